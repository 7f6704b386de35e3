#!/usr/bin/env bash
# The MLP arm of the calibration at full size, in one call on a CUDA machine: the lecture's
# network (cross-entropy, 50-100-50 ReLU, Adam, mini-batches of 5, 100 epochs), n = 300,
# every test of clfcompare.calibration under the null and at effect 0.10 (EFFECTS), up to
# 1,000 replicates per cell, stopped after MAX_S seconds of simulation (whole waves of blocks;
# the tables then say how many replicates ran).
#
# Measured (2026-12-04, one H200, torch 2.11 + CUDA 13.0, 16 CPUs, the defaults below): 192
# replicates of the null and the +0.10 arm in 346 s = 121,536 networks (633 per replicate:
# 211 splits x model B + model A at effects 0 and 0.10), about 350 networks per second.
# Tables in docs/calibration_mlp_h200/.
#
#   bash analyses/calibration_gpu.sh        # writes to $OUT if set, else ./calibration_gpu
#
# Writes env.txt, calibration.log, summary.md (the README's rows), null_rates.csv,
# power_curve.csv, run_info.json and, where matplotlib is installed, the figures. Runs from a
# source checkout (PYTHONPATH); PYTHON overrides the interpreter (default python3).
# JOBS workers (default 12) share the card: each trains its own block of BLOCK replicates
# (default 1: 211 splits x 3 feature groups = 633 networks) as one stacked run, and the
# engine's per-network CPU work (one row permutation per network and epoch) runs in parallel.
# Keep blocks small: a wave is JOBS blocks, and a wave that outlasts TOTAL_S is lost (a block of
# 25 replicates would be ~16,000 networks, about 45 s of the whole card per block).
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

timeout "${TOTAL_S:-430}" "$py" analyses/calibration.py --arm mlp --device "${DEVICE:-cuda}" \
    --replicates "${REPLICATES:-1000}" --power-replicates "${REPLICATES:-1000}" \
    --effects ${EFFECTS:-0.1} --n-jobs "${JOBS:-12}" --block-size "${BLOCK:-1}" \
    --max-seconds "${MAX_S:-350}" \
    --out "$out" ${EXTRA:-} 2>&1 | tee "$out/calibration.log"
rc=${PIPESTATUS[0]}
cat "$out/summary.md" 2>/dev/null
echo "calibration: $rc" | tee -a "$out/env.txt"
exit "$rc"
