"""Benchmark: seconds per trained MLP for the seed's loop, scikit-learn and the batched engine.

The workload of the lecture notes, the same for every contender: the 4-class curve data,
256 training rows, a 2-50-100-50-4 ReLU network, Adam with learning rate 0.005, mini-batches of
5 rows, 499 epochs (25,948 optimizer steps per model). Contenders:

* ``seed loop``: the seed's training loop, one model at a time (``nn.Sequential``,
  ``DataLoader(shuffle=True)`` over a ``TensorDataset``, ``CrossEntropyLoss``,
  ``float(loss)`` every step as the seed records it; the softmax is applied once, in the loss);
* ``sklearn``: ``MLPClassifier`` with the same settings (solver adam, learning_rate_init 0.005,
  batch_size 5, alpha 0, no early stopping, tol 0 and no loss-based stopping);
* ``engine M=...``: ``TorchMLPClassifier`` (``fit`` for one model, ``fit_splits`` for M models
  trained together, each on its own 256 rows), on the CPU and, when torch sees one, on CUDA
  (with and without CUDA graphs).

Slow contenders are timed over fewer epochs and extrapolated per step to the full number of
epochs; the table says how many epochs were timed. Ratios compare with the seed loop on the
same device. Run ``python analyses/bench_training.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from clfcompare.datasets import load_curve
from clfcompare.estimators import TorchMLPClassifier, train_mlps

HIDDEN = (50, 100, 50)
LR = 0.005
BATCH = 5
N_TRAIN = 256


def cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_text():
    try:
        return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load average unknown"


def workload(n_models, seed=0):
    """The curve data and ``n_models`` training sets of 256 rows each (a fresh 80% each)."""
    X, y = load_curve(4)
    rng = np.random.default_rng(seed)
    splits = [np.sort(rng.permutation(len(X))[:N_TRAIN]) for _ in range(n_models)]
    return X, y, splits


def run_seed_loop(X, y, epochs, device, seed=0):
    """The seed's mini-batch loop (Design 2), one model."""
    gen = torch.Generator().manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 50), torch.nn.ReLU(), torch.nn.Linear(50, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 50), torch.nn.ReLU(), torch.nn.Linear(50, 4),
    )  # fmt: skip
    for param in net.parameters():
        torch.nn.init.normal_(param, mean=0.0, std=0.02, generator=gen)
    net.to(device)
    loss_func = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=LR)
    tensor_x = torch.tensor(X, dtype=torch.float32, device=device)
    tensor_y = torch.tensor(y, device=device)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(tensor_x, tensor_y),
        batch_size=BATCH, shuffle=True, num_workers=0, generator=gen,
    )  # fmt: skip
    loss_list = []
    for _ in range(epochs):
        for batch_x, batch_y in loader:
            out = net(batch_x)
            loss = loss_func(out, batch_y)
            loss_list.append(loss.item())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss_list


def time_seed_loop(epochs, device, n_models=1):
    X, y, splits = workload(n_models)
    start = time.perf_counter()
    for m, idx in enumerate(splits):
        run_seed_loop(X[idx], y[idx], epochs, device, seed=m)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def time_sklearn(epochs, n_models=1):
    X, y, splits = workload(n_models)
    start = time.perf_counter()
    for m, idx in enumerate(splits):
        clf = MLPClassifier(
            hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", alpha=0.0,
            batch_size=BATCH, learning_rate_init=LR, max_iter=epochs, shuffle=True,
            tol=0.0, n_iter_no_change=epochs + 1, early_stopping=False, random_state=m,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X[idx], y[idx])
    return time.perf_counter() - start


def time_engine(epochs, device, n_models, threads, cuda_graph=True):
    X, y, splits = workload(n_models)
    est = TorchMLPClassifier(
        hidden_layer_sizes=HIDDEN, batch_size=BATCH, max_epochs=epochs, learning_rate=LR,
        device=device, n_threads=threads, random_state=0,
    )  # fmt: skip
    start = time.perf_counter()
    if n_models == 1:
        est.fit(X[splits[0]], y[splits[0]])
    elif cuda_graph:
        est.fit_splits(X, y, splits)
    else:  # the engine itself, with the estimator's options but CUDA graphs off
        options = dataclasses.replace(est.engine_options(), cuda_graph=False)
        train_mlps(X, y, splits, n_outputs=4, seeds=list(range(n_models)), options=options)
    return time.perf_counter() - start


def contenders(args, device):
    """(name, device, models, epochs to time, function of epochs -> seconds)."""
    full, slow = args.epochs, min(args.epochs, args.slow_epochs)
    mid = min(args.epochs, 5 * args.slow_epochs)
    rows = [("seed loop (DataLoader)", device, 1, slow, lambda e: time_seed_loop(e, device))]
    if device == "cpu":
        rows.append(("sklearn MLPClassifier", "cpu", 1, slow, lambda e: time_sklearn(e)))
    for m in args.models:
        # on CUDA every engine run trains all epochs: a fit's fixed costs (graph capture, the
        # first eager epoch, host-device copies) must not be multiplied by an extrapolation
        epochs = mid if m < 100 and device == "cpu" else full
        rows.append(
            (f"engine M={m}", device, m, epochs,
             lambda e, m=m: time_engine(e, device, m, args.threads))
        )  # fmt: skip
        if device != "cpu" and m == max(args.models):
            rows.append(
                (f"engine M={m}, no CUDA graph", device, m, mid,
                 lambda e, m=m: time_engine(e, device, m, args.threads, cuda_graph=False))
            )  # fmt: skip
    return rows


def parse_args(argv=None):
    """The command line, checked before anything is timed (argparse errors, exit code 2)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=499, help="epochs per model (499)")
    parser.add_argument(
        "--slow-epochs", type=int, default=20,
        help="epochs timed for the slow contenders, extrapolated per step (20)",
    )  # fmt: skip
    parser.add_argument(
        "--device", default="auto", choices=["auto", "cpu", "cuda", "all"],
        help="cpu contenders, cuda contenders, or both; auto: both when torch sees a GPU",
    )  # fmt: skip
    parser.add_argument(
        "--models", nargs="+", default=["1,10,100"],
        help="engine batch sizes M, comma- or space-separated (1,10,100)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads (1)")
    parser.add_argument(
        "--quick", action="store_true", help="time 3 slow / 20 other epochs (smoke test)"
    )
    args = parser.parse_args(argv)
    given = " ".join(args.models)
    try:
        args.models = [int(m) for tok in args.models for m in tok.split(",")]
    except ValueError:
        args.models = []
    if not args.models or min(args.models) < 1:
        parser.error(f"--models must be positive integers (e.g. 1,10,100), got {given!r}")
    if args.quick:
        args.epochs, args.slow_epochs = 20, 3
    for option, value in (
        ("--epochs", args.epochs), ("--slow-epochs", args.slow_epochs), ("--threads", args.threads)
    ):  # fmt: skip
        if value < 1:
            parser.error(f"{option} must be at least 1, got {value}")
    if args.device == "auto":
        args.device = "all" if torch.cuda.is_available() else "cpu"
    if args.device in ("cuda", "all") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: torch sees no CUDA device")
    return args


def main(argv=None):
    args = parse_args(argv)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    torch.set_num_threads(args.threads)
    steps = args.epochs * -(-N_TRAIN // BATCH)

    print(f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}")
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs), torch threads {args.threads}")
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name(0)}")
    print(f"{load_text()} (before)")
    print(
        f"workload: 4-class curve data, {N_TRAIN} training rows, 2-50-100-50-4 ReLU, Adam lr "
        f"{LR}, batch {BATCH}, {args.epochs} epochs = {steps} steps per model\n"
    )
    results = []
    with threadpool_limits(args.threads):
        for device in devices:
            for name, dev, n_models, epochs, func in contenders(args, device):
                func(1)  # warm-up: imports, allocator, CUDA context, kernels
                cpu_start = time.process_time()
                seconds = func(epochs)
                cpu = time.process_time() - cpu_start
                scale = args.epochs / epochs / n_models
                results.append((name, dev, n_models, epochs, seconds * scale, cpu * scale))
                print(
                    f"  {name:32s} {dev:5s} timed {epochs:4d} epochs: {seconds:8.2f} s "
                    f"-> {seconds * scale:8.3f} s/model (CPU time {cpu * scale:8.3f}) "
                    f"[{load_text()}]",
                    file=sys.stderr,
                )

    seed = {r[1]: r for r in results if r[0].startswith("seed loop")}
    print(
        "| contender | device | models | epochs timed | s per model | vs seed loop "
        "| CPU s per model | vs seed loop (CPU) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, dev, n_models, epochs, per_model, cpu in results:
        note = "" if epochs == args.epochs else f" (extrapolated to {args.epochs})"
        print(
            f"| {name} | {dev} | {n_models} | {epochs}{note} | {per_model:.3f} | "
            f"{seed[dev][4] / per_model:.1f}x | {cpu:.3f} | {seed[dev][5] / cpu:.1f}x |"
        )
    print(
        "\nwall-clock seconds are what a user waits; CPU seconds (time.process_time of this "
        "process)\nare less sensitive to other jobs on a shared machine. On CUDA the CPU time "
        "is the host side only."
    )
    print(f"\n{load_text()} (after)")


if __name__ == "__main__":
    main()
