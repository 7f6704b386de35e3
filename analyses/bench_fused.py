"""Benchmark: seconds per trained MLP, the batched engine against the fused Triton kernel (CUDA).

The workload of ``bench_training.py`` (the lecture's): 4-class curve data, 256 training rows
per model, 2-50-100-50-4 ReLU, Adam lr 0.005, mini-batches of 5, 499 epochs (25,948 steps per
model). For each M the engine (``train_mlps``, CUDA graphs) and the fused path
(``train_fused``, one kernel launch) train M models on the same card; the engine is timed over
``--eager-epochs`` epochs and extrapolated per epoch (its per-epoch cost is constant once the
graph is captured), the fused path always over all epochs. The seed's loop is timed over
``--seed-epochs`` epochs, one model, and extrapolated, for the ratio to the lecture's loop.

``--divergence`` also measures how far the fused path ends from the engine after E epochs
(norm-wise parameter difference, median over 16 models) next to how far the engine ends from
itself when X is changed by one float32 ulp: training amplifies rounding, and this puts the
fused path's differences next to the engine's own sensitivity.

``--profile`` runs one fused launch only (for ``ncu``). Needs CUDA and Triton.
"""

from __future__ import annotations

import argparse
import importlib.util
import pathlib
import time

import numpy as np
import torch

from clfcompare.datasets import load_curve
from clfcompare.estimators import TorchMLPClassifier, train_mlps
from clfcompare.estimators._fused import train_fused

HIDDEN = (50, 100, 50)
LR = 0.005
BATCH = 5
N_TRAIN = 256


def workload(n_models, seed=0):
    X, y = load_curve(4)
    rng = np.random.default_rng(seed)
    splits = [np.sort(rng.permutation(len(X))[:N_TRAIN]) for _ in range(n_models)]
    return X, y, splits


def options(epochs, loss="ce"):
    return TorchMLPClassifier(
        hidden_layer_sizes=HIDDEN, loss=loss, batch_size=BATCH, max_epochs=epochs,
        learning_rate=LR, device="cuda",
    ).engine_options()  # fmt: skip


def timed(func):
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = func()
    torch.cuda.synchronize()
    return time.perf_counter() - start, out


def run(kind, n_models, epochs, num_warps=8):
    X, y, splits = workload(n_models)
    kw = dict(n_outputs=4, seeds=list(range(n_models)), options=options(epochs))
    if kind == "engine":
        return timed(lambda: train_mlps(X, y, splits, **kw))
    return timed(lambda: train_fused(X, y, splits, num_warps=num_warps, **kw))


def seed_loop_seconds(epochs):
    path = pathlib.Path(__file__).with_name("bench_training.py")
    spec = importlib.util.spec_from_file_location("bench_training", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    X, y, splits = workload(1)
    bench.run_seed_loop(X[splits[0]], y[splits[0]], 1, "cuda")  # warm-up
    seconds, _ = timed(lambda: bench.run_seed_loop(X[splits[0]], y[splits[0]], epochs, "cuda"))
    return seconds


def flat(r):
    return np.concatenate([a.ravel() for a in r.coefs + r.intercepts])


def divergence(epochs_list, n_models=16):
    X, y, splits = workload(n_models, seed=1)
    X_ulp = (X.astype(np.float32) * np.float32(1 + 2**-22)).astype(np.float64)
    print("\n| loss | epochs | fused vs engine (median, max) | engine vs engine, X + 1 ulp |")
    print("| --- | ---: | ---: | ---: |")
    for loss in ("ce", "mse"):
        for epochs in epochs_list:
            kw = dict(n_outputs=4, seeds=list(range(n_models)), options=options(epochs, loss))
            eager = train_mlps(X, y, splits, **kw)
            fused = train_fused(X, y, splits, **kw)
            moved = train_mlps(X_ulp, y, splits, **kw)
            rel = [np.linalg.norm(flat(f) - flat(e)) / np.linalg.norm(flat(e))
                   for f, e in zip(fused, eager, strict=True)]  # fmt: skip
            base = [np.linalg.norm(flat(m) - flat(e)) / np.linalg.norm(flat(e))
                    for m, e in zip(moved, eager, strict=True)]  # fmt: skip
            print(
                f"| {loss} | {epochs} | {np.median(rel):.2e}, {np.max(rel):.2e} | "
                f"{np.median(base):.2e}, {np.max(base):.2e} |",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="100,1000,3000")
    parser.add_argument("--epochs", type=int, default=499)
    parser.add_argument("--eager-epochs", type=int, default=50)
    parser.add_argument(
        "--fused-epochs", type=int, default=0,
        help="time the fused path over this many epochs and extrapolate (0: all)",
    )  # fmt: skip
    parser.add_argument("--seed-epochs", type=int, default=3)
    parser.add_argument("--warps", default="8,16")
    parser.add_argument("--divergence", action="store_true")
    parser.add_argument("--profile", type=int, default=0, help="one fused launch of M models")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        parser.error("needs a CUDA device")
    if args.profile:
        run("fused", args.profile, 1)  # compile outside the profiled launch... and the launch
        return
    models = [int(m) for m in args.models.split(",")]
    warps = [int(w) for w in args.warps.split(",")]
    print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    if args.seed_epochs == 0:
        seed = float("nan")
    else:
        seed = seed_loop_seconds(args.seed_epochs) * args.epochs / args.seed_epochs
    if args.seed_epochs:
        print(f"seed loop: {seed:.1f} s per model ({args.seed_epochs} epochs, extrapolated)")
    run("fused", 8, 2, warps[0])  # compile
    rows = []
    for m in models:
        run("engine", min(m, 8), 2)  # warm-up
        eng, _ = run("engine", m, args.eager_epochs)
        eng *= args.epochs / args.eager_epochs
        for w in warps:
            run("fused", 8, 2, w)
            fused_epochs = args.fused_epochs or args.epochs
            fus, _ = run("fused", m, fused_epochs, w)
            fus *= args.epochs / fused_epochs
            rows.append((m, w, eng / m, fus / m))
            print(f"M={m} warps={w}: engine {eng / m:.4f} s/model, fused {fus / m:.5f} "
                  f"s/model", flush=True)  # fmt: skip
    print(
        "\n| M | warps | engine s/model | fused s/model | fused vs engine | fused vs seed loop |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for m, w, e, f in rows:
        print(f"| {m} | {w} | {e:.4f} | {f:.5f} | {e / f:.1f}x | {seed / f:,.0f}x |")
    if args.divergence:
        divergence([5, 50, 499])


if __name__ == "__main__":
    main()
