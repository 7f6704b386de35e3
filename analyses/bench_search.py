"""Benchmark: a grid search of 8 MLP configurations x 5 folds, batched against GridSearchCV.

The workload of issue 15: the 4-class curve data (``clfcompare.datasets.load_curve(4)``), a
2-50-100-50-4 ReLU network, Adam, mini-batches of 5 rows, a grid of 8 configurations
(learning rate {0.005, 0.001} x ``alpha`` {0, 0.001} x loss {ce, mse}), 5-fold stratified CV
and the refit of the best. Contenders, timed side by side in one run:

* ``BatchedGridSearchCV``: :class:`clfcompare.search.BatchedGridSearchCV` over
  ``TorchMLPClassifier`` (all 40 fits and the 8 refits in one stacked engine run);
* ``GridSearchCV(TorchMLPClassifier)``: scikit-learn's search over the same estimator and
  grid (41 fits one after the other); the two must give the same best parameters and scores
  (checked, printed);
* ``GridSearchCV(MLPClassifier)``: scikit-learn's network of the same size and batches (no
  square loss there: the grid is learning rate x ``alpha`` x ``beta_1`` {0.9, 0.8}), no
  loss-based stopping.

Every contender trains ``--epochs`` epochs (default 20; the lecture's 499 would take
GridSearchCV about half an hour), torch on one thread. ``--device cuda`` trains the torch
networks (both searches) on the GPU; ``MLPClassifier`` stays on the CPU, and the two torch
searches then agree to float32 rounding (the check reports whether the best parameters, mean
scores and ranks are still the same). ``--repeats N`` times every search N times,
interleaved, and reports the fastest of each. Run ``python analyses/bench_search.py --help``
for the options; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from clfcompare.cli import positive_int
from clfcompare.datasets import load_curve
from clfcompare.estimators import TorchMLPClassifier, resolve_device
from clfcompare.search import BatchedGridSearchCV

GRID = {"learning_rate": [0.005, 0.001], "alpha": [0.0, 0.001], "loss": ["ce", "mse"]}
SKLEARN_GRID = {"learning_rate_init": [0.005, 0.001], "alpha": [0.0, 0.001], "beta_1": [0.9, 0.8]}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=positive_int, default=20, help="epochs of every fit")
    p.add_argument("--folds", type=positive_int, default=5, help="CV folds")
    p.add_argument("--no-sklearn", action="store_true", help="skip GridSearchCV(MLPClassifier)")
    p.add_argument("--quick", action="store_true", help="smoke run: 3 folds, 2 epochs")
    p.add_argument(
        "--repeats", type=positive_int, default=1,
        help="time every search this many times, interleaved, and report the fastest "
        "(a shared machine's load moves single timings by tens of percent)",
    )  # fmt: skip
    p.add_argument(
        "--device", default="cpu", help="torch networks on: cpu (default), cuda, cuda:N"
    )
    args = p.parse_args(argv)
    try:
        args.device = str(resolve_device(args.device))
    except (TypeError, ValueError) as exc:
        p.error(f"--device: {exc}")
    if args.quick:
        args.folds, args.epochs = 3, 2
    return args


def _device_name(device):
    if device.startswith("cuda"):
        return f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return device


def timed(search, X, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    X, y = load_curve(4)
    cv = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    net = TorchMLPClassifier(hidden_layer_sizes=(50, 100, 50), batch_size=5,
                             max_epochs=args.epochs, device=args.device, n_threads=1,
                             random_state=0)  # fmt: skip
    if args.device != "cpu":  # CUDA's context and libraries start outside the timings
        clone(net).set_params(max_epochs=1).fit(X[:40], y[:40])
    searches = {
        "BatchedGridSearchCV(TorchMLPClassifier)": BatchedGridSearchCV(net, GRID, cv=cv),
        "GridSearchCV(TorchMLPClassifier)": GridSearchCV(net, GRID, cv=cv),
    }
    if not args.no_sklearn:
        sk = MLPClassifier(hidden_layer_sizes=(50, 100, 50), solver="adam", batch_size=5,
                           max_iter=args.epochs, tol=0.0, n_iter_no_change=args.epochs + 1,
                           random_state=0)  # fmt: skip
        searches["GridSearchCV(MLPClassifier)"] = GridSearchCV(sk, SKLEARN_GRID, cv=cv)
    seconds = {name: [] for name in searches}
    with threadpool_limits(limits=1):
        for _ in range(args.repeats):
            for name, search in searches.items():
                seconds[name].append(timed(search, X, y))
    rows = [(name, min(times)) for name, times in seconds.items()]
    batched, plain = list(searches.values())[:2]
    n_cand = len(batched.cv_results_["params"])
    try:
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        load = "load average unknown"
    print(
        f"Grid search: {n_cand} configurations x {args.folds} folds + refit, curve data "
        f"({len(y)} rows, 4 classes), 2-50-100-50-4, batch 5, {args.epochs} epochs; "
        f"torch {torch.__version__}, 1 thread, {os.cpu_count()} CPUs, {load}; torch "
        f"networks on {_device_name(args.device)}; fastest of {args.repeats} run(s) each"
    )
    base = rows[0][1]
    print(f"| {'search':<42} | {'seconds':>8} | {'x batched':>9} |")
    print(f"| {'-' * 42} | {'-' * 7}: | {'-' * 8}: |")
    for name, seconds in rows:
        print(f"| {name:<42} | {seconds:8.2f} | {seconds / base:9.1f} |")
    same_params = batched.best_params_ == plain.best_params_
    same_scores = np.array_equal(
        batched.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    same_ranks = np.array_equal(
        batched.cv_results_["rank_test_score"], plain.cv_results_["rank_test_score"]
    )
    print(
        f"best params {batched.best_params_} (GridSearchCV: {plain.best_params_}); "
        f"best score {batched.best_score_:.4f} ({plain.best_score_:.4f}); same best params "
        f"{same_params}, same mean scores {same_scores}, same ranks {same_ranks}"
    )
    return 0 if same_params and same_scores and same_ranks else 1


if __name__ == "__main__":
    sys.exit(main())
