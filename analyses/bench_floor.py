"""Benchmark: how close the engine's CPU training is to the cost of its own kernels.

The HW4 study's networks (``analyses/hw4.py``: 2-50-100-50-4 ReLU, Adam, mini-batches of 5,
499 epochs) train per MLP model as one stacked run of 90 networks: the 50 main splits (256
rows, 52 steps per epoch) and the 40 inner splits of the half/half partitions (80 rows, 16
steps). An epoch is therefore 16 steps of 90 networks and 36 steps of 50. This script times,
side by side on one torch thread:

* ``matrix products``: the 11 batched products of one step (forward 4, weight gradients 4,
  input gradients 3) as the engine makes them (``_Layers``, numpy's matmul on views of the
  stacked weights), on random data of the step's shapes;
* ``Adam``: the fused Adam kernel over the stacked parameters of those networks;
* ``floor``: the two added: what one epoch would cost if nothing else ran (no activations,
  no loss, no bias additions, no Python);
* ``engine``: ``train_mlps`` on the study's 90 splits of the 4-class curve data (``--epochs``
  timed, scaled to 499).

It prints seconds per epoch and per 499-epoch model for each, and the engine's share spent
above the floor. The products and Adam are each timed in a tight loop, with their data hot in
the caches, so the floor is optimistic. (It reaches into the engine's private module on
purpose: it times the engine's own kernels on its own layout, which no public function
exposes.) Usage::

    python analyses/bench_floor.py              # 20 epochs of the engine timed
    python analyses/bench_floor.py --epochs 5   # quicker
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch

from clfcompare.cli import positive_int
from clfcompare.datasets import load_curve
from clfcompare.estimators import EngineOptions, train_mlps
from clfcompare.estimators import _engine as engine
from clfcompare.trials import RepeatedKFoldWithHalves

LAYERS = (2, 50, 100, 50, 4)
BATCH = 5
EPOCHS = 499


def _best_of(fn, repeats, rounds=5):
    """Fastest mean seconds per call of ``fn`` over ``rounds`` rounds of ``repeats`` calls."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best


def step_costs(n_models, repeats=200):
    """Seconds of one step's matrix products and of its Adam update for ``n_models``."""
    layout, _ = engine.parameter_layout(LAYERS)
    # the engine's layout on one CPU thread: slots strided to the Adam kernel's vector width
    align = engine._PerModel.VECTOR
    stacked = [engine._stacked_tensors(n_models, layout, 32, "cpu", align) for _ in range(4)]
    (p_store, params), (g_store, grads) = stacked[0], stacked[1]
    gen = torch.Generator().manual_seed(0)
    for p in params:
        p.normal_(0.0, 0.05, generator=gen)
    layers = engine._Layers(params, grads)
    acts = [torch.rand(n_models, BATCH, n, generator=gen) for n in LAYERS]
    deltas = [torch.rand(n_models, BATCH, n, generator=gen) - 0.5 for n in LAYERS[1:]]

    def products():
        for layer in range(len(layers)):
            layers.forward(layer, acts[layer])
        for layer in range(len(layers) - 1, -1, -1):
            layers.backward_weights(layer, acts[layer], deltas[layer], False)
            if layer > 0:
                layers.backward_input(layer, deltas[layer])

    counter = [torch.zeros(())] * len(p_store)
    m_store, v_store = stacked[2][0], stacked[3][0]

    def adam():
        counter[0].add_(1)
        torch._fused_adam_(
            p_store, g_store, m_store, v_store, [], counter, lr=1e-3, beta1=0.9,
            beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
        )  # fmt: skip

    with engine.flush_denormals(), torch.no_grad():
        return _best_of(products, repeats), _best_of(adam, repeats)


def study_splits():
    """The training rows of the HW4 study's 90 splits (one MLP model's networks)."""
    X, y = load_curve(4)
    cv = RepeatedKFoldWithHalves(5, 10, 10, random_state=0)
    return X, y, [train for train, _ in cv.split(X, y)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=positive_int, default=20, help="engine epochs timed")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    X, y, splits = study_splits()
    steps = [-(-len(s) // BATCH) for s in splits]
    # per epoch: every step runs the networks that still have rows at that step
    by_step = np.bincount(steps)[::-1].cumsum()[::-1][1:]  # networks active at step s
    counts = {int(m): int((by_step == m).sum()) for m in np.unique(by_step)}
    costs = {m: step_costs(m) for m in counts}
    products = sum(n * costs[m][0] for m, n in counts.items())
    adam = sum(n * costs[m][1] for m, n in counts.items())
    options = EngineOptions(
        hidden_layer_sizes=LAYERS[1:-1], loss="ce", activation="relu", learning_rate=0.005,
        batch_size=BATCH, max_epochs=args.epochs, init_std=0.02, square_loss_k=1.0,
        square_loss_M=1.0, alpha=0.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        n_iter_no_change=10, tol=1e-4, stop_on_training_loss=False, record_step_loss=False,
        device=torch.device("cpu"), n_threads=1,
    )  # fmt: skip
    train_mlps(X, y, splits[:2], n_outputs=4, seeds=[0, 1], options=options)  # warm-up
    t0 = time.perf_counter()
    train_mlps(X, y, splits, n_outputs=4, seeds=list(range(len(splits))), options=options)
    actual = (time.perf_counter() - t0) / args.epochs
    shape = ", ".join(f"{n} steps of {m} networks" for m, n in sorted(counts.items()))
    print(
        f"HW4 study, one MLP model: {len(splits)} networks of 2-50-100-50-4, an epoch = {shape}; "
        f"torch {torch.__version__}, 1 thread, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; engine timed over {args.epochs} epochs"
    )
    rows = [
        ("matrix products", products),
        ("Adam (fused kernel)", adam),
        ("floor (products + Adam)", products + adam),
        ("engine (train_mlps)", actual),
    ]
    print(f"| {'part':<26} | s per epoch | s per model ({EPOCHS} epochs) | of the engine |")
    print(f"| {'-' * 26} | ----------: | ----------------------: | ------------: |")
    for name, sec in rows:
        print(f"| {name:<26} | {sec:11.4f} | {sec * EPOCHS:23.1f} | {sec / actual:12.0%} |")
    print(
        f"above the floor: {actual - products - adam:.4f} s per epoch "
        f"({(actual - products - adam) / actual:.0%} of the engine's time: activations, loss, "
        "biases, index gathers, Python)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
