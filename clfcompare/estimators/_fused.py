"""Fused training of many small MLPs on CUDA: one Triton program per network, all its steps.

The batched engine (:mod:`clfcompare.estimators._engine`) trains ``M`` networks as one stacked
model: each optimizer step is a few dozen batched kernels, and Adam reads and writes every
parameter, gradient and moment of all ``M`` networks from device memory. For the lecture's
networks (2-50-100-50-K, about 10,500 parameters) and mini-batches of 5 rows, that is
launch- and memory-bound. This module trains the same networks with **one kernel launch**
for all epochs: program ``m`` of the grid owns network ``m`` and loops over its steps; each
step loads its rows, runs the forward pass, the loss gradient, the backward pass and Adam's
update layer by layer, with the activations and gradients in registers. Parameters and Adam
moments stay in device memory between steps, but only the networks being trained at a time
(a few per multiprocessor) touch them, so they live in the L2 cache, not in DRAM.

Exactness
---------
The arithmetic is the engine's: the same initial parameters (:func:`init_parameters`), the
same rows in the same order (``torch.randperm`` per epoch from each model's generator, cut
by :func:`plan_batches`), the same losses (:func:`make_targets`; cross-entropy on the logits
or Hui & Belkin's square loss, row weights ``1/b``), the same L2 penalty and the same Adam
formula as ``torch._fused_adam_`` (bias corrections computed in float64 and rounded to
float32, IEEE square root and division). Matrix products are float32 FMA products
(``tl.dot(..., input_precision="ieee")``, never TF32), but they sum in another order than
cuBLAS, so results agree with the engine to float32 rounding, as the engine on a GPU agrees
with itself on the CPU.

Scope
-----
Networks with three hidden layers (the lecture's depth), ReLU, every layer at most
:data:`MAX_WIDTH` wide; mini-batch and whole-data training (whole-data steps are cut into
chunks of rows whose gradients are summed in the engine's gradient buffers); both losses;
the L2 penalty; step losses; early stopping (the engine's own bookkeeping, one launch per
epoch). :func:`fused_supported` says whether a configuration is covered; anything else
trains on the engine's path. Triton is imported only when a kernel is built (never by
``import clfcompare``), so machines without it never need it.

Measured (H200, 2026-12-04, ``analyses/gpu_fused_check.sh``): 0.025 / 0.022 s per network at
M = 100 / 1000 (engine 0.065 / 0.021), i.e. no faster than the engine for large M. Nsight
Compute on one launch: 255 registers per thread, so one program (8 warps) per multiprocessor
(12.5 % occupancy), SM busy 23 %, about 6 % of the FP32 FMA peak (most of it on padding:
16 rows for batches of 5, 64/128 columns for 50/100 units), L2 hit rate 99 % and DRAM
traffic negligible: latency-bound, not memory-bound.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util

import numpy as np
import torch

from clfcompare.estimators._engine import (
    TrainedMLP,
    _check_finite,
    _Layers,
    _Validation,
    full_float32_matmul,
    init_parameters,
    make_targets,
    parameter_layout,
    plan_batches,
)

__all__ = ["MAX_WIDTH", "fused_supported", "train_fused", "fused_epochs"]

#: Widest layer (inputs, hidden units, outputs) the kernel keeps in registers.
MAX_WIDTH = 128

#: Rows of one chunk of a step (the rows of a matrix product in the kernel) for steps of
#: more rows than this; smaller steps are one chunk of the next power of two >= 16 rows.
CHUNK_ROWS = 32


def _pow2(n, least=16):
    return max(least, 1 << max(0, int(n) - 1).bit_length())


@functools.lru_cache(maxsize=1)
def triton_available():
    """Whether Triton can be imported (checked once, without importing it twice)."""
    if importlib.util.find_spec("triton") is None:
        return False
    try:
        import triton  # noqa: F401
        import triton.language  # noqa: F401
    except Exception:  # pragma: no cover - broken installs
        return False
    return True


def fused_supported(layer_sizes, activation, device):
    """Whether :func:`train_fused` can train networks of these layers on this device.

    Parameters
    ----------
    layer_sizes : tuple of int
        ``(n_features, h1, h2, h3, n_outputs)``.
    activation : str
    device : torch.device or str

    Returns
    -------
    bool
        True when the device is a CUDA device, Triton imports, the network has three hidden
        layers with ReLU, and every layer is at most :data:`MAX_WIDTH` wide.

    Examples
    --------
    >>> from clfcompare.estimators._fused import fused_supported
    >>> fused_supported((2, 50, 100, 50, 4), "relu", "cpu")
    False
    """
    device = torch.device(device)
    return (
        device.type == "cuda"
        and len(layer_sizes) == 5
        and activation == "relu"
        and all(1 <= int(n) <= MAX_WIDTH for n in layer_sizes)
        and triton_available()
    )


# ----------------------------------------------------------------------------------------------
# the kernel (built on first use)
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _kernel():
    """The Triton kernel (imports Triton on first use)."""
    from clfcompare.estimators._fused_kernel import train_kernel

    return train_kernel


# ----------------------------------------------------------------------------------------------
# launching
# ----------------------------------------------------------------------------------------------
def _adam_tables(n_max, lr, beta1, beta2):
    """``lr / (1 - beta1^t)`` and ``sqrt(1 - beta2^t)`` for t = 0..n_max, float64 -> float32.

    As ``torch._fused_adam_`` computes them: in float64 from the step count, then rounded.
    """
    t = np.arange(n_max + 1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        step_size = lr / (1.0 - np.power(beta1, t))
    bc2_sqrt = np.sqrt(1.0 - np.power(beta2, t))
    step_size[0], bc2_sqrt[0] = 0.0, 1.0  # never read: steps count from 1
    return step_size.astype(np.float32), bc2_sqrt.astype(np.float32)


def fused_epochs(
    X, targets, idx, rows, params, exp_avgs, exp_avg_sqs, grads, adam_steps, step_loss,
    *, n_epochs, loss, learning_rate, beta_1, beta_2, epsilon, alpha, num_warps=8,
):  # fmt: skip
    """Train ``n_epochs`` epochs of ``M`` networks in one kernel launch, in place.

    Parameters
    ----------
    X : Tensor of shape (n_samples, F), float32
    targets : Tensor of shape (n_samples, TC), float32
        The engine's :func:`make_targets` table (``TC = K`` for ``"ce"``, ``2 K`` for ``"mse"``).
    idx : tuple (Tensor, strides)
        Row indices and ``(epoch, step, model, chunk, chunk_width)`` strides: row position
        ``r`` of step ``s`` of model ``m`` in epoch ``e`` is
        ``idx[e*se + s*ss + m*sm + (r // w)*sc + r % w]`` (any integer dtype, flat).
    rows : Tensor of shape (M, S), int32
        Rows of each step (0: the model sits the step out).
    params, exp_avgs, exp_avg_sqs, grads : list of 8 Tensors
        ``[W1, b1, ..., W4, b4]`` stacked per layer, shapes (M, n_in, n_out) and (M, 1, n_out),
        contiguous float32; updated in place (``grads`` is scratch for multi-chunk steps).
    adam_steps : Tensor of shape (M,), int32
        Adam's step counter of each model; advanced in place.
    step_loss : Tensor, float64
        Receives step ``s`` of model ``m`` in epoch ``e`` at ``e * (M * S) + m * S + s``.
    n_epochs : int
    loss : {"ce", "mse"}
    learning_rate, beta_1, beta_2, epsilon, alpha : float
    num_warps : int
    """
    kernel = _kernel()
    flat_idx, (se, ss, sm, sc, w) = idx
    n_models, n_steps = rows.shape
    sizes = [p.shape[1] for p in params[0::2]] + [params[-1].shape[2]]
    F, H1, H2, H3, K = (int(n) for n in sizes)
    row_max = int(rows.max())
    rb = _pow2(row_max) if row_max <= CHUNK_ROWS else CHUNK_ROWS
    t_max = int(adam_steps.max()) + n_epochs * n_steps
    ss_tab, bc_tab = (
        torch.from_numpy(a).to(X.device)
        for a in _adam_tables(t_max, learning_rate, beta_1, beta_2)
    )
    kernel[(n_models,)](
        X, targets, flat_idx, rows, adam_steps, ss_tab, bc_tab, step_loss,
        *params, *exp_avgs, *exp_avg_sqs, *grads,
        n_epochs, n_steps, se, ss, sm, sc, w, n_models * n_steps,
        float(beta_1), float(beta_2), float(epsilon), float(alpha),
        F=F, H1=H1, H2=H2, H3=H3, K=K, TC=int(targets.shape[1]),
        FP=_pow2(F), H1P=_pow2(H1), H2P=_pow2(H2), H3P=_pow2(H3), KP=_pow2(K), RB=rb,
        MSE=loss == "mse", PENALTY=alpha > 0, ACCUM=row_max > rb,
        num_warps=num_warps,
    )  # fmt: skip


class _Stacked:
    """What the engine's validation reads: per-layer parameter views and their products."""

    def __init__(self, params, grads):
        self.params = params
        self.layers = _Layers(params, grads)


def _schedule(rows_list, generators, plan, shuffle, n_epochs):
    """Row indices of every step of every epoch: (E, M, S, B) int32, the engine's order.

    Each model draws ``torch.randperm(n_m, generator=g_m)`` once per epoch (mini-batch
    training), after its initial weights; step ``s`` has the permutation's entries
    ``s B .. s B + b_s - 1``. Positions past ``b_s`` are 0 (never read).
    """
    n_models, n_steps, B = len(rows_list), plan.n_steps_max, plan.step_rows
    table = torch.zeros(n_epochs if shuffle else 1, n_models, n_steps * B, dtype=torch.int32)
    for e in range(table.shape[0]):
        for m, rows in enumerate(rows_list):
            order = (
                rows[torch.randperm(rows.shape[0], generator=generators[m])] if shuffle else rows
            )
            table[e, m, : rows.shape[0]] = order.to(torch.int32)
    return table


def train_fused(X, y, train_indices, *, n_outputs, seeds, options, validation_indices=None,
                num_warps=8):  # fmt: skip
    """Train ``M`` MLPs with the fused kernel; the engine's :func:`train_mlps`, other kernels.

    Same arguments and results as :func:`clfcompare.estimators.train_mlps` (see there); the
    options must be covered by :func:`fused_supported` (on a CPU the kernel runs only under
    Triton's interpreter, ``TRITON_INTERPRET=1``, for testing). Without validation rows all
    epochs run in one launch; with them, one launch per epoch and the engine's early stopping
    between launches.
    """
    o = options
    dev = torch.device(o.device)
    layer_sizes = (np.shape(X)[1], *o.hidden_layer_sizes, int(n_outputs))
    if len(layer_sizes) != 5 or o.activation != "relu" or max(layer_sizes) > MAX_WIDTH:
        raise ValueError(
            f"the fused path trains three hidden layers with ReLU, each at most {MAX_WIDTH} "
            f"wide; got layers {layer_sizes} with {o.activation!r}"
        )
    n_models = len(train_indices)
    if n_models == 0 or len(seeds) != n_models:
        raise ValueError(f"need one seed per model: {n_models} splits, {len(seeds)} seeds")
    layout, n_params = parameter_layout(layer_sizes)
    rows_list = [torch.from_numpy(np.array(i, dtype=np.int64)) for i in train_indices]
    if any(r.ndim != 1 or r.shape[0] == 0 for r in rows_list):
        raise ValueError("every element of train_indices must be a non-empty 1-D index array")
    n_rows = np.array([r.shape[0] for r in rows_list])
    plan = plan_batches(n_rows, o.batch_size)
    generators = [torch.Generator().manual_seed(int(s)) for s in seeds]
    init = torch.stack([init_parameters(layer_sizes, g, o.init_std) for g in generators])
    X32 = np.array(X, dtype=np.float32, order="C")
    if not np.isfinite(X32).all():
        raise ValueError("X has values outside float32's range or not finite: rescale X")
    E = o.max_epochs
    shuffle = o.batch_size is not None
    table = _schedule(rows_list, generators, plan, shuffle, E)
    S, B = plan.n_steps_max, plan.step_rows
    strides = (S * B * n_models if shuffle else 0, B, S * B, 0, B)

    # launches go to the current CUDA device: make it the one the tensors live on
    on_card = torch.cuda.device(dev) if dev.type == "cuda" else contextlib.nullcontext()
    with on_card, torch.no_grad(), full_float32_matmul(), torch.autocast(dev.type, enabled=False):
        X_t = torch.from_numpy(X32).to(dev)
        targets = torch.as_tensor(
            make_targets(
                y, n_outputs, o.loss, square_loss_k=o.square_loss_k, square_loss_M=o.square_loss_M
            )  # fmt: skip
        ).to(dev)
        idx = table.reshape(-1).to(dev)
        rows = torch.as_tensor(plan.rows.T.copy(), dtype=torch.int32).to(dev)
        params, moments1, moments2, grads = [], [], [], []
        for w_off, b_off, n_in, n_out in layout:
            for lo, shape in ((w_off, (n_in, n_out)), (b_off, (1, n_out))):
                size = shape[0] * shape[1]
                params.append(
                    init[:, lo : lo + size].reshape(n_models, *shape).contiguous().to(dev)
                )
                for out in (moments1, moments2, grads):
                    out.append(torch.zeros_like(params[-1]))
        adam_steps = torch.zeros(n_models, dtype=torch.int32, device=dev)
        step_loss = torch.zeros(E, n_models, S, dtype=torch.float64, device=dev)
        fraction = torch.as_tensor(plan.rows.T / n_rows[:, None], dtype=torch.float64).to(dev)
        run = functools.partial(
            fused_epochs, X_t, targets, rows=rows, params=params, exp_avgs=moments1,
            exp_avg_sqs=moments2, grads=grads, adam_steps=adam_steps, loss=o.loss,
            learning_rate=o.learning_rate, beta_1=o.beta_1, beta_2=o.beta_2,
            epsilon=o.epsilon, alpha=o.alpha, num_warps=num_warps,
        )  # fmt: skip
        n_iter = np.full(n_models, E)
        validation = None
        if validation_indices is None:
            run(idx=(idx, strides), step_loss=step_loss, n_epochs=E)
            curve = (step_loss * fraction).sum(-1).cpu().numpy()  # (E, M)
            alive = np.ones(n_models, dtype=bool)
            for e in range(E):
                _check_finite(curve[e], alive, e, np.arange(n_models), o.learning_rate)
            final_views = params
        else:
            validation = _Validation(
                X_t, y, list(validation_indices), n_outputs, o.square_loss_M, tol=o.tol,
                patience=o.n_iter_no_change,
            )  # fmt: skip
            stacked = _Stacked(params, grads)
            alive = np.ones(n_models, dtype=bool)
            curve = np.zeros((E, n_models))
            for e in range(E):
                epoch_idx = idx[e * strides[0] :] if shuffle else idx
                run(idx=(epoch_idx, strides), step_loss=step_loss[e:], n_epochs=1)
                curve[e] = (step_loss[e] * fraction).sum(-1).cpu().numpy()
                _check_finite(curve[e], alive, e, np.arange(n_models), o.learning_rate)
                stopped = validation.update(stacked, o.activation, alive)
                n_iter[stopped] = e + 1
                alive &= ~stopped
                if not alive.any():
                    break
            final_views = validation.best_params
        final = torch.cat([v.reshape(n_models, -1) for v in final_views], 1).cpu().numpy()
        if not np.isfinite(final).all():
            raise ValueError(
                "training diverged: non-finite parameters after training with "
                f"learning_rate={o.learning_rate}; lower the learning rate"
            )
        steps_all = step_loss.cpu().numpy() if o.record_step_loss else None

    results = []
    for m in range(n_models):
        k = int(n_iter[m])
        coefs = [final[m, w:b].reshape(i, n).copy() for w, b, i, n in layout]
        intercepts = [final[m, b : b + n].copy() for _, b, _, n in layout]
        steps = None if steps_all is None else steps_all[:k, m, : plan.n_steps[m]].reshape(-1)
        scores = best = None
        if validation is not None:
            scores = np.array(validation.scores[:k])[:, m]
            best = float(validation.best[m])
        results.append(TrainedMLP(coefs, intercepts, curve[:k, m].copy(), k, steps, scores, best))
    return results
