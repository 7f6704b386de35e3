#!/usr/bin/env bash
# The MLP arm of the calibration at full size, in one call on a CUDA machine: the lecture's
# network (cross-entropy, 50-100-50 ReLU, Adam, mini-batches of 5, 100 epochs), n = 300,
# every test of clfcompare.calibration under the null and at effects 0.05 and 0.10, up to
# 1,000 replicates per cell, stopped after MAX_S seconds of simulation (whole waves of blocks;
# the tables then say how many replicates ran).
#
#   bash analyses/calibration_gpu.sh        # writes to $OUT if set, else ./calibration_gpu
#
# Writes env.txt, calibration.log, summary.md (the README's rows), null_rates.csv,
# power_curve.csv, run_info.json and, where matplotlib is installed, the figures. Runs from a
# source checkout (PYTHONPATH); PYTHON overrides the interpreter (default python3).
# JOBS workers (default 8) share the card: each trains its own block of 25 replicates
# (25 x 211 splits x 4 feature groups = 21,100 networks) as one stacked run, and the engine's
# per-network CPU work (one row permutation per network and epoch) runs in parallel.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-calibration_gpu}"
mkdir -p "$out"
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
py="${PYTHON:-python3}"

{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
    nproc
    "$py" -c "import torch; print('torch', torch.__version__, torch.cuda.is_available())"
} >"$out/env.txt" 2>&1
cat "$out/env.txt"

timeout "${TOTAL_S:-560}" "$py" analyses/calibration.py --arm mlp --device "${DEVICE:-cuda}" \
    --replicates "${REPLICATES:-1000}" --power-replicates "${REPLICATES:-1000}" \
    --effects 0.05 0.1 --n-jobs "${JOBS:-8}" --max-seconds "${MAX_S:-400}" \
    --out "$out" ${EXTRA:-} 2>&1 | tee "$out/calibration.log"
rc=${PIPESTATUS[0]}
cat "$out/summary.md" 2>/dev/null
echo "calibration: $rc" | tee -a "$out/env.txt"
exit "$rc"
