#!/usr/bin/env bash
# GPU check for the MLP training engine, in one call on a CUDA machine (about 2-3 minutes on
# an H100/H200): the tests marked `gpu` and the CUDA half of the training benchmark.
#
#   bash analyses/gpu_check.sh            # logs to $OUT if set, else ./gpu_check_logs
#
# Writes env.txt (card, driver, torch), pytest_gpu.log, bench_cuda.log and summary.txt.
# Exits non-zero if the tests or the benchmark failed.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu_check_logs}"
mkdir -p "$out"
export MPLBACKEND=Agg

{
    date -u
    nvidia-smi || true
    python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
'available', torch.cuda.is_available()); print(torch.cuda.get_device_name(0))"
    uptime
} >"$out/env.txt" 2>&1
cat "$out/env.txt"

timeout 240 python -m pytest -m gpu tests/ -q -p no:cacheprovider 2>&1 | tee "$out/pytest_gpu.log"
tests_rc=${PIPESTATUS[0]}

# seed loop and engine on CUDA; the seed loop is timed over 5 epochs and extrapolated
timeout 300 python analyses/bench_training.py --device cuda --epochs 499 --slow-epochs 5 \
    2>&1 | tee "$out/bench_cuda.log"
bench_rc=${PIPESTATUS[0]}

echo "pytest -m gpu exit code: $tests_rc; bench_training --device cuda exit code: $bench_rc" \
    | tee "$out/summary.txt"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
