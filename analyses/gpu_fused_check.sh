#!/usr/bin/env bash
# GPU check of the fused training kernel (clfcompare/estimators/_fused.py), one call on a CUDA
# machine with Triton (about 5 minutes on an H200): the `gpu` tests of tests/test_fused.py,
# the engine-vs-fused benchmark (analyses/bench_fused.py) and an Nsight Compute profile of
# one fused launch.
#
#   bash analyses/gpu_fused_check.sh            # logs to $OUT if set, else ./gpu_fused_logs
#
# Writes env.txt, pytest_fused.log, bench_fused.log, ncu.log and summary.txt. Runs from a
# source checkout (PYTHONPATH); PYTHON overrides the interpreter (default python3).
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu_fused_logs}"
mkdir -p "$out"
export MPLBACKEND=Agg PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
py="${PYTHON:-python3}"

{
    date -u
    nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv || true
    "$py" -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)"
} >"$out/env.txt" 2>&1
cat "$out/env.txt"

timeout "${BENCH_S:-130}" "$py" analyses/bench_fused.py ${BENCH_ARGS:-} 2>&1 | tee "$out/bench_fused.log"
bench_rc=${PIPESTATUS[0]}

timeout "${TEST_S:-120}" "$py" -m pytest -m gpu tests/test_fused.py -q -rs -p no:cacheprovider \
    -W "default::DeprecationWarning" -W "default::FutureWarning" 2>&1 | tee "$out/pytest_fused.log"
tests_rc=${PIPESTATUS[0]}

ncu_rc=skipped
if command -v ncu >/dev/null; then
    # one launch of 264 models (two per SM), 1 epoch: speed of light, memory, compute, occupancy
    timeout "${NCU_S:-45}" ncu --clock-control none -k regex:train_kernel -c 1 \
        --section SpeedOfLight --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
        --section Occupancy --section LaunchStats \
        --metrics smsp__sass_thread_inst_executed_op_ffma_pred_on.sum,dram__bytes.sum,lts__t_bytes.sum,gpu__time_duration.sum \
        "$py" analyses/bench_fused.py --profile 264 2>&1 | tee "$out/ncu.log"
    ncu_rc=${PIPESTATUS[0]}
fi
echo "pytest: $tests_rc; bench_fused: $bench_rc; ncu: $ncu_rc" | tee "$out/summary.txt"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
