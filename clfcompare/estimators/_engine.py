"""Batched training of M independent multi-layer perceptrons as one stacked model.

Repeated cross-validation trains many small, independent networks. Each of them alone cannot
keep a CPU core or a GPU busy: a step of a 2-50-100-50-4 network on 5 rows is a few dozen tiny
kernels, so its cost is per-call overhead. This module trains ``M`` such networks at once:

* every weight matrix and bias vector of all models is one float32 tensor of shape
  ``(M, n_in, n_out)`` or ``(M, 1, n_out)`` (each model's matrix contiguous; on one CPU thread
  each model's share starts at a multiple of the Adam kernel's vector width, so that models
  of different step counts need no empty slots between them, see :func:`_stacked_tensors`),
  and every layer is one batched matrix product per
  step forward and two backward, for all models together (``torch.bmm`` on a GPU; on the CPU
  numpy's ``matmul`` on the same memory, twice as fast for these small matrices, see
  ``_Layers``);
* the backward pass is written out by hand (no autograd): the gradients go straight into
  preallocated tensors of the same layout, so a step allocates little and launches few
  kernels;
* every model has its own initialisation, its own training rows (its cross-validation split;
  splits may differ in size), its own shuffling each epoch and its own Adam state. The loss
  that is differentiated is the **sum** of the per-model mean losses, so model ``m`` receives
  exactly the gradient it would receive alone, and Adam, being element-wise, gives it exactly
  the update it would get alone;
* Adam runs as one fused kernel over a few large tensors (``torch._fused_adam_``, the kernel
  behind ``torch.optim.Adam(fused=True)``; :func:`adam_update_`, the same formula in plain
  torch, is the fallback where that kernel is missing);
* on CUDA, one epoch of steps is captured as a CUDA graph after a first, eager epoch and then
  replayed, which removes the per-kernel launch overhead that dominates tiny models on a GPU.

Exactness
---------
Batching changes speed, never results. On the CPU with one thread a model's parameters after
training are *bitwise* those of a lone run, because every kernel sees the same shapes for it:
steps are cut into chunks of a fixed number of rows (:func:`plan_batches`) so that reductions
over rows have the same length, and no tensor handed to the fused Adam kernel has a tail that
its scalar loop (which rounds differently from the vector loop) would treat
(:func:`arrange_slots`). Loss values are summed in float64 (:func:`loss_values`) and agree to
about 1e-16. With several threads or on a GPU, kernels may split work by shape and results
agree to float32 rounding.

The L2 penalty (``alpha > 0``) keeps this: a model's squared weight norms are one dot product
per model and layer, and the penalty's gradient is an element-wise broadcast whose inner loop
runs over one model's weights, so neither depends on the other models. With ``alpha = 0`` no
penalty code runs.

Batch order
-----------
Model ``m`` has ``n_m`` training rows and batch size ``B`` (``B = n_m``: whole-data training).
Each epoch it draws ``torch.randperm(n_m, generator=g_m)`` from its own generator (the one
that drew its initial weights; mini-batch training only, whole-data training does not
shuffle) and cuts it into ``ceil(n_m / B)`` batches, the last one smaller if ``B`` does not
divide ``n_m``: an epoch of ``DataLoader(shuffle=True, drop_last=False)``. (Not the same rows:
a DataLoader given generator ``g_m`` also draws its workers' base seed from it before each
epoch's permutation, and the seed's loaders use torch's global generator.) Stacked, the epoch has
``S = max_m ceil(n_m / B)`` steps: the rows a model does not have are padding with weight 0,
and models that have fewer steps sit the last steps out (their Adam update is skipped, not
just zero; models are ordered by steps, most first, so those that sit a step out are the last
slots, and the step's forward and backward pass runs on the first slots only). Whole-data
training is the same code with ``S = 1``.

Threads and memory
------------------
On the CPU, torch's intra-op thread pool decides a large part of the speed of small steps: on a
busy 2-core machine extra threads made small steps many times slower (measured, see the
project's ARCHITECTURE notes). :func:`train_mlps` therefore runs under :func:`torch_threads`,
which sets ``torch.set_num_threads`` for the duration of training and restores it afterwards.
The number of threads is process-global in torch; do not train in several Python threads of
one process with different ``n_threads``. A step of M stacked models streams their
parameters, gradients and Adam moments through memory; once those outgrow the last-level cache
a step gets slower per model, so on the CPU large ``M`` is trained in balanced blocks of at
most ``_CPU_BLOCK_BYTES`` of such state (about 150 models of 2-50-100-50-4).
Denormal floats are flushed to zero during training (:func:`flush_denormals`).

Sample weights, stopping rules and resuming
-------------------------------------------
Sample weights turn the fixed ``1/b`` row weights of a step into ``w_n / sum_b w_b``, made
inside the epoch from the step's rows (scikit-learn's weighted batch mean). A stopping rule
(early stopping on the validation accuracy or loss, or ``tol`` on the training loss) only
reads each model's own numbers and snapshots its parameters, so the models still train
exactly as alone. ``initial`` and ``keep_state`` hand parameters and Adam's state in and
out, for warm starts and ``partial_fit``.

Models of different hyper-parameters
------------------------------------
Given one :class:`EngineOptions` per model, models that differ in loss (cross-entropy or the
square loss with its own ``k``/``M``), learning rate, Adam's betas and epsilon, ``alpha`` and
``init_std`` (same layers, batch size, epochs, device) train in one stacked run, each still
exactly as alone: the per-model quantities become per-slot tensors (target tables, loss
factors, penalty scales) and Adam runs one fused call per setting (see :class:`_PerModel`).
That is what a grid search over these parameters, or the MSE and CE networks of a study,
needs: all candidates and folds in one run.

Why one module of about 2,200 lines: the stacked memory layout, the hand-written backward
pass, the batch plan, Adam and the training loop are one design held together by one
exactness argument (every kernel sees the same shapes for a model whatever the other models
are); apart, each piece would have to restate the layout and the argument. Its public face is
:func:`train_mlps` with :class:`EngineOptions` (re-exported by :mod:`clfcompare.estimators`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import numbers
import os
import re
import warnings

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from clfcompare._checks import check_bool, check_choice, check_int, check_real

__all__ = [
    "ACTIVATIONS",
    "EngineOptions",
    "LOSSES",
    "TrainedMLP",
    "adam_update_",
    "arrange_slots",
    "cross_entropy_grad",
    "flush_denormals",
    "loss_values",
    "BatchPlan",
    "CHUNK_ROWS",
    "plan_batches",
    "init_parameters",
    "make_targets",
    "parameter_layout",
    "resolve_device",
    "SHARED_OPTIONS",
    "square_loss_grad",
    "stacked_runs",
    "torch_threads",
    "train_mlps",
]

ACTIVATIONS = ("relu", "tanh", "logistic", "identity")
LOSSES = ("ce", "mse")

#: Largest number of row indices held per block of precomputed epoch orders.
_CHUNK_INDICES = 1 << 22

#: Every tensor handed to the fused Adam kernel has a multiple of this many elements per
#: thread (the kernel's vector width is 16 float32 with AVX-512, 8 with AVX2).
_VECTOR_ALIGN = 32

#: On the CPU, models are trained in blocks whose parameters, gradients and Adam moments
#: (16 bytes per parameter) take at most this much memory: about the last-level cache.
_CPU_BLOCK_BYTES = 24 * 2**20


# ----------------------------------------------------------------------------------------------
# devices and threads
# ----------------------------------------------------------------------------------------------
def resolve_device(device):
    """Turn ``"auto" | "cpu" | "cuda" | "cuda:N"`` into a :class:`torch.device`.

    ``"auto"`` is the current CUDA device (``cuda:0`` unless ``torch.cuda.set_device`` chose
    another) when torch sees one and the CPU otherwise; so is ``"cuda"``. An explicit CUDA
    device that torch cannot see is an error, never a silent CPU run.

    Examples
    --------
    >>> from clfcompare.estimators._engine import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(
            "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', "
            f"got {type(device).__name__} {device!r}"
        )
    if device == "auto":
        return resolve_device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if device == "cpu":
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match is None:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested, but torch sees no CUDA device "
            "(torch.cuda.is_available() is False); use device='cpu' or 'auto'"
        )
    if match.group(1) is not None:
        index, count = int(match.group(1)), torch.cuda.device_count()
        if index >= count:
            raise ValueError(
                f"device={device!r} was requested, but torch sees only {count} CUDA "
                f"device(s) (cuda:0 .. cuda:{count - 1})"
            )
        return torch.device("cuda", index)
    return torch.device("cuda", torch.cuda.current_device())


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run a block with ``n_threads`` torch and BLAS threads, then restore the old settings.

    Sets ``torch.set_num_threads`` and, through ``threadpoolctl``, the threads of the BLAS that
    numpy uses (the engine's matrix products on the CPU go through numpy). ``None`` leaves both
    alone. The settings are process-global.

    Examples
    --------
    >>> import torch
    >>> from clfcompare.estimators._engine import torch_threads
    >>> before = torch.get_num_threads()
    >>> with torch_threads(1):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        with threadpool_limits(limits=int(n_threads), user_api="blas"):
            yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def full_float32_matmul():
    """Run a block with float32 matrix products at full precision, then restore the setting.

    ``torch.set_float32_matmul_precision("high")`` (or NVIDIA's containers'
    ``TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1``, which this cannot undo) lets CUDA matrix products
    round their inputs to TF32 (10 mantissa bits, ~1e-3 relative error per product): models
    would then agree with their CPU twins to 1e-3, not to float32 rounding. Training pins
    ``"highest"``. Where the caller set precisions with torch's per-backend API
    (``torch.backends.cuda.matmul.fp32_precision``, torch >= 2.9), the legacy getter refuses
    to read them ("mix of the legacy and new APIs"), and CUDA's matrix products are pinned to
    ``"ieee"`` in that API instead.

    Examples
    --------
    >>> import torch
    >>> from clfcompare.estimators._engine import full_float32_matmul
    >>> before = torch.get_float32_matmul_precision()
    >>> with full_float32_matmul():
    ...     torch.get_float32_matmul_precision()
    'highest'
    >>> torch.get_float32_matmul_precision() == before
    True
    """
    try:
        previous = torch.get_float32_matmul_precision()
    except RuntimeError:  # set through the per-backend API, which the legacy getter rejects
        matmul = torch.backends.cuda.matmul
        previous = matmul.fp32_precision
        matmul.fp32_precision = "ieee"
        try:
            yield
        finally:
            matmul.fp32_precision = previous
        return
    torch.set_float32_matmul_precision("highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def _flushing_denormals():
    """Whether the CPU currently flushes denormal float32 values to zero."""
    # 6.25e-40 is denormal in float32 (not in a float64 default dtype)
    return float(torch.tensor([1e-38], dtype=torch.float32) / 16) == 0.0


@contextlib.contextmanager
def flush_denormals():
    """Run a block with denormal floats flushed to zero on the CPU, then restore the setting.

    As training goes on, Adam's moments of units whose gradients vanish decay into the
    denormal range (below 1.2e-38 in float32), where x86 arithmetic is many times slower:
    measured at M = 100 (2-50-100-50-4, one thread) a step took 1.7 ms in the first 25 epochs
    and 2.4 ms by epoch 150, against a constant 1.55 ms with flushing. Flushing replaces such
    values by 0; next to ``epsilon = 1e-8`` in Adam's denominator that changes nothing that
    matters, and it is the same for every model whatever the batch of models.

    Examples
    --------
    >>> import torch
    >>> from clfcompare.estimators._engine import flush_denormals
    >>> with flush_denormals():
    ...     float(torch.tensor([1e-38]) / 16)
    0.0
    """
    previous = _flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(previous)


# ----------------------------------------------------------------------------------------------
# parameters
# ----------------------------------------------------------------------------------------------
def parameter_layout(layer_sizes):
    """Offsets of the weights and biases in one model's flat parameter vector.

    Layer ``l`` maps ``n_in = layer_sizes[l]`` to ``n_out = layer_sizes[l + 1]``; its weight
    matrix is stored row-major with shape ``(n_in, n_out)`` (the transpose of
    ``torch.nn.Linear.weight``) and is followed by its ``n_out`` biases.

    Returns
    -------
    layout : list of tuple (w_offset, b_offset, n_in, n_out)
    n_params : int

    Examples
    --------
    >>> from clfcompare.estimators._engine import parameter_layout
    >>> parameter_layout((2, 3, 1))
    ([(0, 6, 2, 3), (9, 12, 3, 1)], 13)
    """
    layout, offset = [], 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:], strict=False):
        layout.append((offset, offset + n_in * n_out, n_in, n_out))
        offset += n_in * n_out + n_out
    return layout, offset


def init_parameters(layer_sizes, generator, std):
    """Draw one model's parameters: every weight and bias from :math:`N(0, \\text{std}^2)`.

    The draws are made in the order of ``torch.nn.Sequential(Linear, act, Linear, ...)
    .named_parameters()`` with ``torch.nn.init.normal_(param, 0, std, generator=generator)``:
    for each layer the ``(n_out, n_in)`` weight, then the bias. A network built that way from a
    generator in the same state has exactly these parameters (weights transposed).

    ``std="he"`` is He et al.'s initialisation for ReLU networks instead: the weights of a
    layer with ``n_in`` inputs from :math:`N(0, 2 / n_\\text{in})` (what
    ``torch.nn.init.kaiming_normal_(weight, nonlinearity="relu", generator=generator)`` draws)
    and the biases 0 (not drawn). It keeps the spread of the hidden activations from layer to
    layer, where the seed's fixed ``std = 0.02`` shrinks the input-driven part about tenfold
    per layer of 2-50-100-50-4, so that the last hidden layer's units are set by their biases
    alone and a run can lose all of them (see ``TorchMLPClassifier``'s ``init_std``).

    Returns
    -------
    params : Tensor of shape (n_params,), float32, CPU

    References
    ----------
    .. [1] K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers: surpassing
       human-level performance on ImageNet classification", ICCV 2015, arXiv:1502.01852.
    """
    layout, n_params = parameter_layout(layer_sizes)
    flat = torch.zeros(n_params, dtype=torch.float32)
    for w_off, b_off, n_in, n_out in layout:
        w_std = math.sqrt(2.0) / math.sqrt(n_in) if std == "he" else std  # as torch's
        weight = torch.empty(n_out, n_in, dtype=torch.float32).normal_(
            0.0, w_std, generator=generator
        )
        flat[w_off:b_off].view(n_in, n_out).copy_(weight.T)
        if std != "he":
            bias = torch.empty(n_out, dtype=torch.float32).normal_(0.0, std, generator=generator)
            flat[b_off : b_off + n_out].copy_(bias)
    return flat


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


def _stacked_tensors(n_slots, layout, align, device, slot_align=1):
    """Storage for one stacked quantity (parameters, gradients, Adam moments) of all slots.

    Returns ``(storages, views)``: per weight matrix and per bias vector one 1-D float32
    tensor whose length is a multiple of ``align`` (zero padding at the end), and its views
    ``[W_0, b_0, W_1, b_1, ...]`` of shapes (n_slots, n_in, n_out) and (n_slots, 1, n_out).
    Each slot's matrix is contiguous; slot ``j``'s starts at ``j * stride`` with ``stride``
    its size rounded up to a multiple of ``slot_align`` (1: the slots packed, contiguous
    views; padding zeros otherwise). Contiguous matrices matter: ``torch.bmm`` into a strided
    output is two to three times slower on the CPU (measured); numpy's products, which the
    CPU uses, take any stride between slots. The alignments matter for exactness: the fused
    Adam kernel treats the last ``numel % vector width`` elements of a tensor in a scalar
    loop that rounds differently from its vector loop, so no tensor handed to it has such a
    tail (with ``slot_align`` a multiple of the width, neither has any run of slots).
    """
    storages, views = [], []
    for _, _, n_in, n_out in layout:
        for shape in ((n_in, n_out), (1, n_out)):
            size = shape[0] * shape[1]
            stride = _round_up(size, slot_align)
            numel = n_slots * stride
            storage = torch.zeros(_round_up(numel, align), device=device, dtype=torch.float32)
            storages.append(storage)
            view = storage[:numel].view(n_slots, stride)[:, :size]
            views.append(view.view(n_slots, *shape))
    return storages, views


def arrange_slots(n_steps, quantum, keys=None):
    """Order models by steps per epoch and pad each group of equal steps to a multiple of slots.

    (With ``quantum=1``, no padding: one CPU thread, whose stacked tensors are strided, and
    runs of mixed hyper-parameters, whose slices' tails are updated apart.)

    Models with the same number of steps per epoch share Adam's step counter, so they form one
    group of consecutive slots that Adam updates as one tensor slice. Every group but the last
    is padded with empty slots (``-1``) to a multiple of ``quantum`` slots, so that each slice
    has a length that is a multiple of the kernel's vector width. ``keys`` (one int per
    model; models of different hyper-parameters, :func:`train_mlps` with a list of options)
    splits the groups further: a group is the models of equal steps and equal key, groups
    ordered by steps (descending), then key.

    Returns
    -------
    slots : ndarray of int
        Model index of each slot, ``-1`` for padding.
    groups : list of (n_steps, first_slot, end_slot)

    Examples
    --------
    >>> from clfcompare.estimators._engine import arrange_slots
    >>> slots, groups = arrange_slots([52, 51, 52], quantum=4)
    >>> slots.tolist(), groups
    ([0, 2, -1, -1, 1], [(52, 0, 4), (51, 4, 5)])
    """
    n_steps = np.asarray(n_steps)
    keys = np.zeros(n_steps.shape, dtype=np.int64) if keys is None else np.asarray(keys)
    pairs = sorted(
        set(zip(n_steps.tolist(), keys.tolist(), strict=True)), key=lambda p: (-p[0], p[1])
    )
    slots, groups = [], []
    for g, (count, key) in enumerate(pairs):
        first = len(slots)
        slots.extend(np.flatnonzero((n_steps == count) & (keys == key)).tolist())
        if g < len(pairs) - 1:
            slots.extend([-1] * (-(len(slots) - first) % quantum))
        groups.append((int(count), first, len(slots)))
    return np.array(slots, dtype=np.int64), groups


# ----------------------------------------------------------------------------------------------
# losses: pure functions of (outputs, gathered targets, row weights)
# ----------------------------------------------------------------------------------------------
def make_targets(y, n_outputs, loss, *, square_loss_k=1.0, square_loss_M=1.0):
    """Per-row target table that the loss functions read, one row per sample.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class codes ``0 .. K-1``.
    n_outputs : int
        Output nodes of the network: ``K`` for cross-entropy, ``1`` (two classes) or ``K``
        for the square loss.
    loss : {"ce", "mse"}
    square_loss_k, square_loss_M : float
        Hui & Belkin's weight of the true-class term and target scale (square loss only).

    Returns
    -------
    table : ndarray of shape (n_samples, n_outputs) for ``"ce"`` (the one-hot targets) or
        (n_samples, 2 * n_outputs) for ``"mse"``: the term weights ``a`` (``k`` at the true
        class, 1 elsewhere) followed by the scaled targets ``M t``. With one output the output
        is class 1's one-hot node (class 0's node dropped, as in the seed's Design 1).
    """
    y = np.asarray(y, dtype=np.int64)
    if n_outputs == 1:
        onehot = y[:, None].astype(np.float32)
    else:
        onehot = np.zeros((y.shape[0], n_outputs), dtype=np.float32)
        onehot[np.arange(y.shape[0]), y] = 1.0
    if loss == "ce":
        return onehot
    weights = 1.0 + (square_loss_k - 1.0) * onehot
    return np.hstack([weights, square_loss_M * onehot]).astype(np.float32)


def cross_entropy_grad(z, t, w, terms):
    """Gradient of the weighted cross-entropy on logits; writes the loss terms to ``terms``.

    .. math::

        L_m = -\\sum_{b,c} w_{mb}\\, t_{mbc} \\log \\mathrm{softmax}(z_{mb})_c, \\qquad
        \\frac{\\partial L_m}{\\partial z_{mbc}} = w_{mb}\\,\\mathrm{softmax}(z_{mb})_c
        - w_{mb} t_{mbc}

    With one-hot ``t`` and ``w = 1/b`` on a batch of ``b`` rows this is
    ``torch.nn.CrossEntropyLoss()`` of the logits (softmax applied once, inside the loss).
    The loss itself is not summed here: ``terms`` receives :math:`w t \\log p` and
    :func:`loss_values` sums all steps of an epoch at once (``L = -sum(terms)``).

    Parameters
    ----------
    z : Tensor of shape (M, B, C)
        Logits.
    t : Tensor of shape (M, B, C)
        One-hot targets.
    w : Tensor of shape (M, B, 1)
        Row weights (``1 / b`` for the ``b`` real rows of a batch, 0 for padding).
    terms : Tensor of shape (M, B, C)
        Output.

    Returns
    -------
    dz : Tensor of shape (M, B, C)
    """
    logp = torch.log_softmax(z, dim=-1)
    wt = t * w
    torch.mul(wt, logp, out=terms)
    return logp.exp_().mul_(w).sub_(wt)


def square_loss_grad(z, target, w, terms):
    """Gradient of Hui & Belkin's rescaled square loss; writes the loss terms to ``terms``.

    .. math::

        L_m = \\sum_b \\frac{w_{mb}}{C} \\sum_c a_{mbc} (z_{mbc} - M t_{mbc})^2, \\qquad
        \\frac{\\partial L_m}{\\partial z_{mbc}} = \\frac{2 w_{mb}}{C} a_{mbc}
        (z_{mbc} - M t_{mbc})

    where ``a`` is ``k`` at the true class and 1 elsewhere. With ``k = M = 1`` and
    ``w = 1/b`` this is ``torch.nn.MSELoss()`` (the mean over rows and outputs) against one-hot
    targets. ``terms`` receives the gradient times the residual, :math:`2 w a r^2 / C`, so
    that ``L = sum(terms) / 2`` (:func:`loss_values`).

    Parameters
    ----------
    z : Tensor of shape (M, B, C)
    target : Tensor of shape (M, B, 2C)
        ``[a, M t]`` as built by :func:`make_targets`.
    w : Tensor of shape (M, B, 1)
    terms : Tensor of shape (M, B, C)
        Output.

    Returns
    -------
    dz : Tensor of shape (M, B, C)

    References
    ----------
    .. [1] L. Hui and M. Belkin, "Evaluation of neural architectures trained with square loss
       vs cross-entropy in classification tasks", ICLR 2021, arXiv:2006.07322.
    """
    n_out = z.shape[-1]
    resid = z - target[..., n_out:]
    dz = resid * (target[..., :n_out] * (w * (2.0 / n_out)))
    torch.mul(dz, resid, out=terms)
    return dz


#: gradient function and the factor that turns the sum of its terms into the loss
_LOSSES = {"ce": (cross_entropy_grad, -1.0), "mse": (square_loss_grad, 0.5)}


def loss_values(terms, loss):
    """Per-model losses from the terms written by the gradient functions, in float64.

    ``terms`` has shape (..., M, B, C); the sum runs over the last two axes. It runs in float64
    because torch may vectorise a short reduction across models, which makes the order of the
    additions depend on the number of models: in float64 that moves a loss by about 1e-16
    instead of 1e-7. (Only loss values are summed like this; gradients never are.)

    Examples
    --------
    >>> import torch
    >>> from clfcompare.estimators._engine import loss_values
    >>> loss_values(torch.full((1, 2, 3), -0.5), "ce")
    tensor([3.], dtype=torch.float64)
    """
    return terms.double().sum(dim=(-2, -1)).mul_(_LOSSES[loss][1])


# ----------------------------------------------------------------------------------------------
# forward / backward of the stacked network
# ----------------------------------------------------------------------------------------------
def _activate_(z, activation):
    if activation == "relu":
        return z.relu_()
    if activation == "tanh":
        return z.tanh_()
    if activation == "logistic":
        return z.sigmoid_()
    return z


#: the ATen kernels of the activations' derivatives, as resolved overloads (calling the
#: overload packet, ``torch.ops.aten.threshold_backward``, resolves it at every call)
_ATEN_BACKWARD = {
    "relu": torch.ops.aten.threshold_backward.default,
    "tanh": torch.ops.aten.tanh_backward.default,
    "logistic": torch.ops.aten.sigmoid_backward.default,
}


def _activation_backward(d, h, activation):
    """``d * f'(a)`` written with the activation's output ``h = f(a)`` (as autograd does)."""
    if activation == "relu":
        return _ATEN_BACKWARD["relu"](d, h, 0.0)
    if activation == "tanh":
        return _ATEN_BACKWARD["tanh"](d, h)
    if activation == "logistic":
        return _ATEN_BACKWARD["logistic"](d, h)
    return d


class _Layers:
    """The stacked layers' weights and gradients, and their batched matrix products.

    On the CPU the products run through numpy's ``matmul`` on views of the same memory:
    numpy's BLAS (OpenBLAS, which has kernels for small matrices) computed the products of
    this engine (5-row batches, 50-100 units) about twice as fast as ``torch.bmm`` (measured
    with one thread: 0.55 ms against 1.0 ms for the matrix products of one step of 100 stacked
    2-50-100-50-4 networks). The numpy views of weights and gradients are made once. Elsewhere
    the products are ``torch.bmm``. Every model goes through the same kernels whatever the
    number of models, which keeps batched training exact.
    """

    def __init__(self, params, grads):
        self.weights, self.biases = params[0::2], params[1::2]
        self.grad_weights, self.grad_biases = grads[0::2], grads[1::2]
        self.cpu = params[0].device.type == "cpu"
        if self.cpu:
            self.np_weights = [w.numpy() for w in self.weights]
            self.np_weights_t = [w.transpose(0, 2, 1) for w in self.np_weights]
            self.np_grad_weights = [g.numpy() for g in self.grad_weights]

    def __len__(self):
        return len(self.weights)

    def forward(self, layer, h):
        """``h @ W_l + b_l`` for (M, B, n_in) ``h``."""
        if self.cpu:
            z = torch.from_numpy(np.matmul(h.numpy(), self.np_weights[layer]))
        else:
            z = torch.bmm(h, self.weights[layer])
        return z.add_(self.biases[layer])

    def backward_input(self, layer, d):
        """``d @ W_l^T``: the gradient with respect to the layer's input."""
        if self.cpu:
            return torch.from_numpy(np.matmul(d.numpy(), self.np_weights_t[layer]))
        return torch.bmm(d, self.weights[layer].transpose(1, 2))

    def backward_weights(self, layer, h, d, accumulate):
        """Write (or add) ``h^T d`` and the column sums of ``d``: the layer's gradients."""
        grad_w, grad_b = self.grad_weights[layer], self.grad_biases[layer]
        if accumulate:
            if self.cpu:
                grad_w.add_(torch.from_numpy(np.matmul(h.numpy().transpose(0, 2, 1), d.numpy())))
            else:
                grad_w.baddbmm_(h.transpose(1, 2), d)
            grad_b.add_(d.sum(dim=1, keepdim=True))
        else:
            if self.cpu:
                np.matmul(h.numpy().transpose(0, 2, 1), d.numpy(), out=self.np_grad_weights[layer])
            else:
                torch.bmm(h.transpose(1, 2), d, out=grad_w)
            torch.sum(d, dim=1, keepdim=True, out=grad_b)

    def squared_norms(self, out):
        """Write every model's :math:`\\|W_l\\|_F^2` of every layer to ``out[l]`` (float32).

        One dot product per model and layer (a (1, n) by (n, 1) matrix product), so a model's
        value is computed alone whatever the number of models: on the CPU the loop over models
        is numpy's, with the same call for each model.
        """
        for layer, weight in enumerate(self.weights):
            flat = weight.as_strided((weight.shape[0], 1, weight[0].numel()),
                                     (weight.stride(0), 0, 1))  # fmt: skip
            target = out[layer].view(-1, 1, 1)
            if self.cpu:
                rows = flat.numpy()
                np.matmul(rows, rows.transpose(0, 2, 1), out=target.numpy())
            else:
                torch.bmm(flat, flat.transpose(1, 2), out=target)

    def add_weight_decay(self, scale):
        """Add ``scale[m] * W_l`` to the weight gradients (the L2 penalty's gradient).

        ``scale`` has shape (M, 1, 1). The loop over a model's elements is the same for every
        model (the model index is the outer loop of the broadcast), so each model gets the
        numbers it would get alone.
        """
        for grad_w, weight in zip(self.grad_weights, self.weights, strict=True):
            grad_w.addcmul_(weight, scale)


def _forward(layers, x, activation):
    """Outputs of every layer (hidden activations, then the raw outputs) for (M, B, n_in)."""
    outputs, h = [], x
    last = len(layers) - 1
    for layer in range(len(layers)):
        h = layers.forward(layer, h)
        if layer < last:
            h = _activate_(h, activation)
        outputs.append(h)
    return outputs


def _backward(layers, x, outputs, dz, activation, accumulate=False):
    """Write (or add) the gradients of every layer (backpropagation by hand)."""
    d = dz
    for layer in range(len(layers) - 1, -1, -1):
        h_in = x if layer == 0 else outputs[layer - 1]
        layers.backward_weights(layer, h_in, d, accumulate)
        if layer > 0:
            d = layers.backward_input(layer, d)
            d = _activation_backward(d, outputs[layer - 1], activation)


# ----------------------------------------------------------------------------------------------
# Adam
# ----------------------------------------------------------------------------------------------
def adam_update_(params, grads, exp_avgs, exp_avg_sqs, steps, *, lr, beta1, beta2, eps):
    """One Adam step, in place, for lists of tensors (the formula of ``torch.optim.Adam``).

    .. math::

        m &\\leftarrow \\beta_1 m + (1 - \\beta_1) g, \\quad
        v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2 \\\\
        \\theta &\\leftarrow \\theta - \\frac{\\eta}{1 - \\beta_1^t}\\,
        \\frac{m}{\\sqrt{v} / \\sqrt{1 - \\beta_2^t} + \\epsilon}

    ``steps`` holds one scalar tensor per parameter tensor with the number ``t`` of this step,
    already incremented by the caller (as for ``torch._fused_adam_``; tensors may share one
    counter). The engine uses that fused kernel (same formula, one pass over memory) and this
    function where the kernel is missing; the tests compare the two.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: a method for stochastic optimization", ICLR 2015.
    """
    for param, grad, exp_avg, exp_avg_sq, step in zip(
        params, grads, exp_avgs, exp_avg_sqs, steps, strict=True
    ):
        exp_avg.lerp_(grad, 1 - beta1)
        exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        t = step.double()  # in float32, 1 - 0.999**t loses five digits to cancellation
        bias_correction1 = 1 - torch.pow(beta1, t)
        bias_correction2_sqrt = torch.sqrt(1 - torch.pow(beta2, t))
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
        param.sub_(exp_avg / denom * (lr / bias_correction1))


_FUSED_OK = {}


def _fused_adam_available(device):
    """Whether ``torch._fused_adam_`` runs on this device type (probed once)."""
    kind = device.type
    if kind not in _FUSED_OK:
        try:
            probe = [torch.zeros(4, device=device) for _ in range(4)]
            torch._fused_adam_(
                [probe[0]], [probe[1]], [probe[2]], [probe[3]], [],
                [torch.zeros((), device=device)], lr=1e-3, beta1=0.9, beta2=0.999,
                weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False,
            )  # fmt: skip
            _FUSED_OK[kind] = True
        except (AttributeError, RuntimeError, NotImplementedError):
            _FUSED_OK[kind] = False
    return _FUSED_OK[kind]


# ----------------------------------------------------------------------------------------------
# batch plan: which rows each model sees at each step
# ----------------------------------------------------------------------------------------------
#: Rows per matrix product when a step has more rows than this (whole-data training and
#: batches larger than this are cut into chunks of this many rows, gradients summed).
CHUNK_ROWS = 256


@dataclasses.dataclass(frozen=True)
class BatchPlan:
    """How the rows of an epoch are cut into steps and chunks; see :func:`plan_batches`.

    Attributes
    ----------
    step_rows : int
        ``B``, the rows of one optimizer step (the largest split for whole-data training).
    chunk_rows : int
        ``w``, the rows of one batched matrix product.
    n_chunks : int
        ``c``, the chunks of one step (``c w >= B`` rows, the rest padding).
    n_steps : ndarray of shape (M,)
        Steps per epoch of each model, ``ceil(n_m / B)``.
    rows : ndarray of shape (S, M)
        Real rows of model ``m`` in step ``s`` (0 once the model has no rows left).
    """

    step_rows: int
    chunk_rows: int
    n_chunks: int
    n_steps: np.ndarray
    rows: np.ndarray

    @property
    def n_steps_max(self):
        return int(self.n_steps.max())

    @property
    def step_width(self):
        return self.chunk_rows * self.n_chunks


def plan_batches(n_rows, batch_size):
    """Cut epochs of models with ``n_rows`` training rows into steps and fixed-width chunks.

    Every matrix product of a step has the same number of rows ``w`` whatever the other
    models are: ``w = batch_size`` for mini-batches of at most :data:`CHUNK_ROWS` rows and
    ``w = CHUNK_ROWS`` otherwise. A model's rows sit at the start of each step, padded with
    rows of weight 0; padding only ever adds exact zeros to the gradient sums, and the
    reductions over rows always have the same length ``w``, so a model's numbers do not
    depend on which other models it is trained with.

    Parameters
    ----------
    n_rows : array-like of int, shape (M,)
    batch_size : int or None
        ``None``: whole-data training, one step per epoch.

    Returns
    -------
    BatchPlan

    Examples
    --------
    >>> from clfcompare.estimators._engine import plan_batches
    >>> plan = plan_batches([7, 5], 3)
    >>> plan.chunk_rows, plan.n_chunks, plan.n_steps.tolist(), plan.rows.tolist()
    (3, 1, [3, 2], [[3, 3], [3, 2], [1, 0]])
    >>> plan = plan_batches([300, 200], None)
    >>> plan.chunk_rows, plan.n_chunks, plan.n_steps.tolist(), plan.rows.tolist()
    (256, 2, [1, 1], [[300, 200]])
    """
    n_rows = np.asarray(n_rows, dtype=np.int64)
    n_max = int(n_rows.max())
    if batch_size is None:
        step_rows, chunk_rows = n_max, CHUNK_ROWS
    else:
        step_rows = int(batch_size)
        chunk_rows = min(step_rows, CHUNK_ROWS)
    n_chunks = -(-min(step_rows, n_max) // chunk_rows)
    n_steps = -(-n_rows // step_rows)
    starts = np.arange(int(n_steps.max()))[:, None] * step_rows
    rows = np.clip(n_rows[None, :] - starts, 0, step_rows)
    return BatchPlan(step_rows, chunk_rows, n_chunks, n_steps, rows)


class _EpochOrders:
    """Row indices of every chunk of every step of every epoch, made on the CPU in blocks.

    Model ``m`` draws ``torch.randperm(n_m, generator=generators[m])`` once per epoch
    (mini-batch training), independently of the other models; its ``B`` rows of step ``s``
    are the permutation's entries ``s B .. s B + B - 1``. Positions a model does not fill are
    padded with its first row (their weight is 0). Empty slots (``None``) read row 0.
    """

    def __init__(self, rows_list, generators, plan, shuffle, device):
        self.rows_list, self.generators, self.plan = rows_list, generators, plan
        self.shuffle, self.device = shuffle, device
        n_models = len(rows_list)
        span = plan.n_steps_max * plan.step_width
        padded = torch.empty(n_models, span, dtype=torch.int64)
        for m, rows in enumerate(rows_list):
            padded[m] = 0 if rows is None else int(rows[0])
        self.padded = padded
        # position of the p-th row of a model's permutation in its padded epoch
        p = torch.arange(max(r.shape[0] for r in rows_list if r is not None))
        self.dest = (p // plan.step_rows) * plan.step_width + p % plan.step_rows
        self.block = max(1, _CHUNK_INDICES // (n_models * span))
        self.start, self.table = None, None

    def _make_block(self, first, count):
        plan, n_models = self.plan, len(self.rows_list)
        table = self.padded.repeat(count, 1, 1)
        for e in range(count):
            for m, rows in enumerate(self.rows_list):
                if rows is None:
                    continue
                n = rows.shape[0]
                if self.shuffle:
                    order = rows[torch.randperm(n, generator=self.generators[m])]
                else:
                    order = rows
                table[e, m, self.dest[:n]] = order
        table = table.view(count, n_models, plan.n_steps_max, plan.n_chunks, plan.chunk_rows)
        self.start = first
        self.table = table.permute(0, 2, 3, 1, 4).contiguous().to(self.device)

    def epoch(self, e, max_epochs):
        """Index table of epoch ``e``: shape (S, c, M, w), on the device."""
        if self.table is None or not (self.start <= e < self.start + self.table.shape[0]):
            self._make_block(e, min(self.block, max_epochs - e))
        return self.table[e - self.start]


# ----------------------------------------------------------------------------------------------
# the trainer
# ----------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class EngineOptions:
    """How :func:`train_mlps` trains: the hidden layers, the loss, Adam, epochs and device.

    One frozen object, built once by :meth:`TorchMLPClassifier.engine_options
    <clfcompare.estimators.TorchMLPClassifier.engine_options>` from the estimator's
    hyper-parameters, whose ``__init__`` holds the defaults (so this class has none, but for
    ``cuda_graph``, which the estimator does not expose). The fields have the meaning and the
    names of the estimator's parameters; ``learning_rate`` is a number (the estimator's
    ``None`` is resolved to the loss's default before). Construction checks every field and
    stores it in its canonical type (``device`` as a :class:`torch.device`); a bad value
    raises ``TypeError`` or ``ValueError`` naming the field.

    Attributes
    ----------
    hidden_layer_sizes : tuple of int
        Widths of the hidden layers (an int is one layer; ``()`` a linear model).
    loss : {"ce", "mse"}
    activation : {"relu", "tanh", "logistic", "identity"}
    learning_rate : float
        Adam's step size, > 0.
    batch_size : int or None
        Rows per step; ``None`` trains on all of a model's rows at each step (no shuffling).
    max_epochs : int
    init_std : float or "he"
        Standard deviation of the normal initialisation of every weight and bias, or ``"he"``
        (He initialisation, see :func:`init_parameters`).
    square_loss_k, square_loss_M : float
        Hui & Belkin's weight and target scale of the square loss (``"mse"`` only).
    alpha : float
        Strength of the L2 penalty on the weights (not the biases), as in scikit-learn's
        ``MLPClassifier``: a step on a batch of ``b`` rows minimises
        :math:`\\text{mean loss} + \\frac{\\alpha}{2b} \\sum_l \\|W_l\\|_F^2`, so the
        gradient of :math:`W_l` gains :math:`\\alpha W_l / b`. The loss curves include the
        penalty. ``0`` runs no penalty code at all.
    beta_1, beta_2, epsilon : float
        Adam's other parameters.
    n_iter_no_change : int
    tol : float
        The stopping rules' patience and least improvement: early stopping on the
        validation metric (when :func:`train_mlps` gets ``validation_indices``), or
        ``stop_on_training_loss``.
    stop_on_training_loss : bool
        Without ``validation_indices``: stop a model when its epoch loss has not improved on
        its best by more than ``tol`` for more than ``n_iter_no_change`` consecutive epochs
        (scikit-learn's ``MLPClassifier`` rule on the training loss), keeping the parameters
        of its last epoch. ``False``: every model trains ``max_epochs`` epochs.
    record_step_loss : bool
        Also return the loss of every step.
    device : torch.device
        Given as ``"auto" | "cpu" | "cuda" | "cuda:N"`` (see :func:`resolve_device`).
    n_threads : int or None
        torch intra-op threads during training (restored afterwards); ``None``: unchanged.
    cuda_graph : bool, default=True
        On CUDA, replay each epoch as a captured CUDA graph.
    fused : bool, default=True
        On CUDA, train with the fused Triton kernel of :mod:`clfcompare.estimators._fused`
        (forward, backward and Adam of every network in one launch) where it applies (Triton
        importable, three hidden ReLU layers of at most 128 units, none of the options the
        kernel lacks); elsewhere, and with ``fused=False`` or the environment variable
        ``CLFCOMPARE_FUSED=0``, the batched eager path. Both train the same networks up to
        float32 rounding (measured on an H200: 3.5e-5 median norm-wise difference after 5
        epochs, growing with training as any change of rounding does). Measured, it is 2.7x
        faster than the eager path at M = 100 networks and no faster from M = 1000 on (README,
        Performance).
    """

    hidden_layer_sizes: tuple
    loss: str
    activation: str
    learning_rate: float
    batch_size: int | None
    max_epochs: int
    init_std: float | str
    square_loss_k: float
    square_loss_M: float
    alpha: float
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: int
    tol: float
    stop_on_training_loss: bool
    record_step_loss: bool
    device: torch.device
    n_threads: int | None
    cuda_graph: bool = True
    fused: bool = True

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("loss", check_choice(self.loss, "loss", LOSSES))
        put("activation", check_choice(self.activation, "activation", ACTIVATIONS))
        put("hidden_layer_sizes", _check_hidden(self.hidden_layer_sizes))
        put("batch_size", check_int(self.batch_size, "batch_size", low=1, allow_none=True))
        put("max_epochs", check_int(self.max_epochs, "max_epochs", low=1))
        put("n_iter_no_change", check_int(self.n_iter_no_change, "n_iter_no_change", low=1))
        put("n_threads", check_int(self.n_threads, "n_threads", low=1, allow_none=True))
        positive = dict(low=0.0, low_open=True)
        put("learning_rate", check_real(self.learning_rate, "learning_rate", **positive))
        if isinstance(self.init_std, str):
            if self.init_std != "he":
                raise ValueError(
                    f"init_std must be a positive float or 'he', got {self.init_std!r}"
                )
        else:
            put("init_std", check_real(self.init_std, "init_std", **positive))
        put("square_loss_k", check_real(self.square_loss_k, "square_loss_k", **positive))
        put("square_loss_M", check_real(self.square_loss_M, "square_loss_M", **positive))
        put("alpha", check_real(self.alpha, "alpha", low=0.0))
        unit = dict(low=0.0, high=1.0, high_open=True)
        put("beta_1", check_real(self.beta_1, "beta_1", **unit))
        put("beta_2", check_real(self.beta_2, "beta_2", **unit))
        put("epsilon", check_real(self.epsilon, "epsilon", **positive))
        put("tol", check_real(self.tol, "tol", low=0.0))
        put(
            "stop_on_training_loss",
            check_bool(self.stop_on_training_loss, "stop_on_training_loss"),
        )
        put("record_step_loss", check_bool(self.record_step_loss, "record_step_loss"))
        put("cuda_graph", check_bool(self.cuda_graph, "cuda_graph"))
        put("fused", check_bool(self.fused, "fused"))
        put("device", resolve_device(self.device))


def _check_hidden(sizes):
    """``hidden_layer_sizes`` (an int or a sequence of ints >= 1) as a tuple of ints."""
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool | np.bool_):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(
            f"hidden_layer_sizes must be a tuple of ints, got {type(sizes).__name__} {sizes!r}"
        ) from None
    return tuple(check_int(size, "every hidden layer size", low=1) for size in sizes)


@dataclasses.dataclass(frozen=True)
class TrainedMLP:
    """One trained network, as returned by :func:`train_mlps`.

    Attributes
    ----------
    coefs : list of ndarray of shape (n_in, n_out), float32
    intercepts : list of ndarray of shape (n_out,), float32
    loss_curve : ndarray of shape (n_iter,)
        Mean training loss per sample in each epoch (the step losses weighted by their rows);
        with ``alpha > 0`` every step loss includes its L2 penalty, as scikit-learn's.
    n_iter : int
        Epochs trained.
    step_losses : ndarray of shape (n_iter * steps_per_epoch,) or None
        Loss of every optimizer step (with its L2 penalty), when asked for.
    validation_scores : ndarray of shape (n_iter,) or None
        Validation accuracy after each epoch (early stopping only).
    best_validation_score : float or None
        The validation accuracy of the epoch whose parameters were kept (the best epoch of
        the monitored metric).
    validation_losses : ndarray of shape (n_iter,) or None
        Validation loss (the training loss function, no penalty) after each epoch (early
        stopping only).
    best_validation_loss : float or None
        The validation loss of the kept epoch.
    stopped : bool
        Whether a stopping rule (early stopping, or ``tol`` on the training loss) ended the
        training before ``max_epochs``.
    adam_state : tuple (exp_avg, exp_avg_sq, step) or None
        With ``keep_state=True``: Adam's moments (flat float32 arrays in the order of the
        parameters, :func:`parameter_layout`) and step count after the last epoch, which
        ``initial`` takes to resume training.
    """

    coefs: list
    intercepts: list
    loss_curve: np.ndarray
    n_iter: int
    step_losses: np.ndarray | None = None
    validation_scores: np.ndarray | None = None
    best_validation_score: float | None = None
    validation_losses: np.ndarray | None = None
    best_validation_loss: float | None = None
    stopped: bool = False
    adam_state: tuple | None = None


class _Workspace:
    """The stacked model, its Adam state and the static per-step tables, on the device.

    Slot ``j`` holds model ``slots[j]`` (or nothing, for ``-1``); see :func:`arrange_slots`.
    """

    def __init__(
        self, X, targets, layout, init, plan, groups, align, device, alpha=0.0,
        sample_weights=None, per_model=False, slot_align=1,
    ):  # fmt: skip
        n_slots = init.shape[0]
        self.X, self.targets, self.plan, self.n_slots = X, targets, plan, n_slots
        self.groups, self.layout = groups, layout
        state = [_stacked_tensors(n_slots, layout, align, device, slot_align) for _ in range(4)]
        # elements of each stacked tensor's storage per slot (its share: values and padding)
        self.slot_sizes = [_round_up(v[0].numel(), slot_align) for v in state[0][1]]
        (self.param_storage, self.params), (self.grad_storage, self.grads) = state[:2]
        self.exp_avg_storage, self.exp_avg_sq_storage = state[2][0], state[3][0]
        self.exp_avgs, self.exp_avg_sqs = state[2][1], state[3][1]
        self.load(self.params, init)
        self.layers = _Layers(self.params, self.grads)
        self._prefix = {n_slots: self.layers}  # the layers of the first n slots, by n
        n_steps, c, w = plan.n_steps_max, plan.n_chunks, plan.chunk_rows
        rows = torch.as_tensor(plan.rows, dtype=torch.float32)  # (S, slots)
        pos = torch.arange(c * w, dtype=torch.float32).view(c, 1, w)
        # row weight of chunk position j of step s: 1/b_{s,m} on the b_{s,m} real rows, else 0
        real = (pos[None] < rows[:, None, :, None]).float()  # (S, c, slots, w)
        weights = real / rows.clamp(min=1)[:, None, :, None]
        self.row_weights = weights.unsqueeze(-1).to(device)  # (S, c, slots, w, 1)
        # b_{s,m} / n_m: weights of the step losses in the epoch's mean loss per sample
        fraction = rows.double() / rows.double().sum(0).clamp(min=1)
        self.row_fraction = fraction.T.contiguous().to(device)
        self.idx = torch.zeros(n_steps, c, n_slots * w, dtype=torch.long, device=device)
        self.step_loss = torch.zeros(n_slots, n_steps, dtype=torch.float64, device=device)
        n_out = layout[-1][3]
        self.loss_terms = torch.zeros(
            n_steps, c, n_slots, w, n_out, device=device, dtype=torch.float32
        )
        # Adam's step counter t: one per group, repeated for each tensor of the fused call
        self.adam_steps = [torch.zeros((), device=device, dtype=torch.float32) for _ in groups]
        # sample weights (weights is not None): the row weights of every step are made from
        # the weights of its rows at the start of the step, w_n / sum of the batch's weights
        self.weighted = sample_weights is not None
        if self.weighted:
            self.real = real.to(device)  # (S, c, slots, w)
            self.rows = rows.double().to(device)  # (S, slots)
            # (n_samples,), or per_model: (slots * n_samples,), slot by slot
            self.sample_weights = sample_weights.to(device)
            self.per_model = per_model
            if per_model:  # row r of slot j is entry j * n_samples + r
                offset = torch.arange(n_slots, dtype=torch.long) * X.shape[0]
                self.weight_offset = offset.repeat_interleave(w).to(device)  # (slots * w,)
        # the L2 penalty (alpha > 0 only): alpha / b_{s,m} scales the gradient's weight decay,
        # alpha / (2 b_{s,m}) the squared norms in the step loss; 0 where a model has no rows
        # alpha: a float, or (mixed hyper-parameters) one float per slot
        self.penalty = bool(np.any(np.asarray(alpha) > 0))
        if np.ndim(alpha):
            alpha = torch.as_tensor(np.asarray(alpha, dtype=np.float64))
        self.alpha = alpha.to(device) if torch.is_tensor(alpha) else alpha
        if self.penalty:
            per_row = torch.where(rows > 0, alpha / rows.double().clamp(min=1), 0.0)
            self.decay_scale = per_row.float().view(n_steps, n_slots, 1, 1).to(device)
            self.penalty_scale = (per_row / 2).to(device)  # (S, slots), float64
            self.weight_sq = torch.zeros(
                n_steps, len(layout), n_slots, device=device, dtype=torch.float32
            )

    def active(self, s):
        """Slots that train at step ``s``: the first ``n``, with their layers and chunk views.

        Groups are ordered by steps per epoch, most first (:func:`arrange_slots`), so the
        models that still have rows at step ``s`` are a prefix of the slots; the others sit
        the step out, and their forward and backward pass is skipped, not computed on padding
        (e.g. the folds of a grid search next to its refits on all rows, which have more
        steps). Every model's products and reductions keep their shapes, so its numbers do
        not change (as with any other number of models).

        Returns
        -------
        n : int
        layers : _Layers
            The layers of slots ``[0, n)`` (views of the same memory).
        chunks : list of (idx, row_weights, loss_terms)
            Per chunk of the step: the row indices of slots ``[0, n)`` and views of the row
            weights and loss terms.
        """
        n = max(end if g < len(self.groups) - 1 else self.n_slots
                for g, (count, _, end) in enumerate(self.groups) if s < count)  # fmt: skip
        if n not in self._prefix:
            self._prefix[n] = _Layers([v[:n] for v in self.params], [v[:n] for v in self.grads])
        w = self.plan.chunk_rows
        chunks = [(self.idx[s, k, : n * w], self.row_weights[s, k, :n], self.loss_terms[s, k, :n])
                  for k in range(self.plan.n_chunks)]  # fmt: skip
        return n, self._prefix[n], chunks

    def load(self, views, flat):
        """Copy (slots, n_params) ``flat`` into stacked ``views`` (params or Adam moments)."""
        n_slots = flat.shape[0]
        for view, (w_off, b_off, n_in, n_out) in zip(views[0::2], self.layout, strict=True):
            view.copy_(flat[:, w_off:b_off].reshape(n_slots, n_in, n_out))
        for view, (_, b_off, _, n_out) in zip(views[1::2], self.layout, strict=True):
            view.copy_(flat[:, b_off : b_off + n_out].reshape(n_slots, 1, n_out))

    def weigh_step(self, s):
        """Row weights (and the penalty's scales) of step ``s`` from the sample weights.

        ``w_n / sum_b w_b`` over the step's real rows (all chunks), scikit-learn's weighted
        batch mean; a step whose weights are all 0 divides by its row count instead (its
        loss terms are 0). Runs inside the epoch, so CUDA graphs capture it.
        """
        idx = self.idx[s]  # (c, slots * w)
        if self.per_model:
            idx = idx + self.weight_offset
        c, w = self.plan.n_chunks, self.plan.chunk_rows
        sw = self.sample_weights.index_select(0, idx.reshape(-1)).view(c, self.n_slots, w)
        sw = sw * self.real[s]
        total = sw.double().sum(dim=(0, 2))  # (slots,)
        # (a step a model sits out has no rows: 1; float32 must not underflow the sum)
        norm = torch.where(total > 0, total, self.rows[s]).clamp(min=1e-30)
        norm = torch.where(self.rows[s] > 0, norm, 1.0)
        self.row_weights[s].copy_((sw / norm.float()[None, :, None]).unsqueeze(-1))
        if self.penalty:
            scale = torch.where(self.rows[s] > 0, self.alpha / norm, 0.0)  # float64
            self.decay_scale[s].copy_(scale.float().view(-1, 1, 1))
            self.penalty_scale[s].copy_(scale / 2)

    def adam_lists(self, s):
        """Slices of (params, grads, m, v), step counters, distinct counters of step ``s``."""
        sizes = self.slot_sizes
        buffers = (self.param_storage, self.grad_storage)
        buffers += (self.exp_avg_storage, self.exp_avg_sq_storage)
        lists, steps, distinct = [[], [], [], []], [], []
        for g, (count, first, end) in enumerate(self.groups):
            if s >= count:
                continue
            last = g == len(self.groups) - 1
            for k, size in enumerate(sizes):
                for out, buf in zip(lists, buffers, strict=True):
                    out.append(buf[k][first * size : None if last else end * size])
                steps.append(self.adam_steps[g])
            distinct.append(self.adam_steps[g])
        return (*lists, steps, distinct)

    def stacked(self, views=None):
        """Parameters (or ``views`` of the same layout) as one (slots, P) CPU ndarray."""
        views = self.params if views is None else views
        return torch.cat([v.reshape(self.n_slots, -1) for v in views], dim=1).cpu().numpy()


def _epoch_function(ws, loss, activation, adam, fused):
    """The body of one epoch: every step reads its rows from ``ws.idx`` and updates in place."""
    loss_grad = _LOSSES[loss][0]
    plan = ws.plan
    active = [ws.active(s) for s in range(plan.n_steps_max)]
    adam_lists = [ws.adam_lists(s) for s in range(plan.n_steps_max)]

    def run_epoch():
        for s in range(plan.n_steps_max):
            if ws.weighted:
                ws.weigh_step(s)
            n, layers, chunks = active[s]
            shape = (n, plan.chunk_rows, -1)
            for k, (idx, w, terms) in enumerate(chunks):
                xb = ws.X.index_select(0, idx).view(shape)
                tb = ws.targets.index_select(0, idx).view(shape)
                outputs = _forward(layers, xb, activation)
                dz = loss_grad(outputs[-1], tb, w, terms)
                _backward(layers, xb, outputs, dz, activation, k > 0)
            if ws.penalty:  # at the weights the step starts from, as the loss terms
                layers.squared_norms(ws.weight_sq[s, :, :n])
                layers.add_weight_decay(ws.decay_scale[s, :n])
            params, grads, exp_avgs, exp_avg_sqs, counters, distinct = adam_lists[s]
            torch._foreach_add_(distinct, 1)
            _adam_step(fused, params, grads, exp_avgs, exp_avg_sqs, counters, adam)
        # the loss of every step, summed over its chunks: (S, c, slots, w, C) -> (slots, S)
        per_chunk = loss_values(ws.loss_terms, loss)  # (S, c, slots)
        ws.step_loss.copy_(per_chunk.sum(dim=1).T)
        if ws.penalty:  # + alpha / (2 b) sum_l ||W_l||^2, summed in float64 like the terms
            penalty = ws.weight_sq.double().sum(dim=1).mul_(ws.penalty_scale)  # (S, slots)
            ws.step_loss.add_(penalty.T)

    return run_epoch


def train_mlps(
    X, y, train_indices, *, n_outputs, seeds, options, validation_indices=None,
    sample_weight=None, validation_metric="accuracy", initial=None, keep_state=False,
    callback=None, on_epoch=None,
):  # fmt: skip
    """Train ``M = len(train_indices)`` independent MLPs together; one result per model.

    Model ``m`` is trained on the rows ``train_indices[m]`` of ``X`` exactly as it would be
    trained alone: same initial weights from ``seeds[m]``, same batch order, same Adam steps,
    and the same shapes for every matrix product and Adam kernel (see :func:`plan_batches`
    and :func:`arrange_slots`). On the CPU with one thread the results are bitwise those of a
    lone run; with several threads (the fused Adam kernel splits tensors between threads) or
    on a GPU (other kernels for other shapes) they agree to float32 rounding.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Converted to float32.
    y : ndarray of shape (n_samples,)
        Class codes ``0 .. K-1``.
    train_indices : list of 1-D int ndarray
        The training rows of each model (sizes may differ).
    n_outputs : int
        Output nodes of every network: ``K`` for cross-entropy, ``1`` (two classes) or ``K``
        for the square loss. The layers are ``(n_features, *options.hidden_layer_sizes,
        n_outputs)``.
    seeds : list of int
        One per model: seeds its ``torch.Generator`` (initial weights, then one permutation per
        epoch).
    options : EngineOptions or list of EngineOptions
        How to train (loss, activation, Adam's parameters, batch size, epochs, the L2 penalty,
        the stopping rule, device, threads); see :class:`EngineOptions`. A list gives one per
        model: models of different ``loss``, ``learning_rate``, ``init_std``,
        ``square_loss_k``, ``square_loss_M``, ``alpha``, ``beta_1``, ``beta_2`` and
        ``epsilon`` then train in one stacked run, each exactly as alone (bitwise on the CPU
        with one thread; see :class:`_PerModel`); the other fields (:data:`SHARED_OPTIONS`)
        must be equal (``ValueError`` naming the field), and with ``validation_indices``
        the loss and its ``k``/``M`` too. A list of equal options is the single-options run.
        Such runs take the engine's own path on CUDA, not the fused kernel.
    validation_indices : list of 1-D int ndarray or None
        Rows of each model's validation set: early stopping on ``validation_metric`` (stop
        when it has not improved by ``options.tol`` for more than
        ``options.n_iter_no_change`` epochs; keep the parameters of the best epoch).
        Without them, ``options.stop_on_training_loss`` stops each model on its training
        loss instead (scikit-learn's rule, see :class:`EngineOptions`).
    sample_weight : ndarray of shape (n_samples,) or (M, n_samples), optional
        Non-negative weights of the rows of ``X``, for all models or one row per model. The
        loss of a step is the weighted mean over its rows, :math:`\\sum_b w_b \\ell_b /
        \\sum_b w_b` (scikit-learn's ``MLPClassifier``; a step whose weights are all 0
        contributes only its penalty), and the L2 penalty is divided by the same sum. The
        epoch loss is the mean of the step losses weighted by their row counts, as
        scikit-learn's. The validation loss is the weighted mean too. ``None``: the
        unweighted code, unchanged.
    validation_metric : {"accuracy", "loss"}, default="accuracy"
        What early stopping monitors: the validation accuracy (scikit-learn's
        ``MLPClassifier``) or the validation loss (skorch's ``valid_loss``). Both are
        recorded.
    initial : list of (params, adam_state) or None
        Per model, training starts from ``params`` (a flat float32 array in the order of
        :func:`parameter_layout`) instead of drawing initial weights, and, when
        ``adam_state`` (``TrainedMLP.adam_state``) is not ``None``, continues Adam from it
        (models trained together must then have the same step count). The generator of
        ``seeds[m]`` still draws each epoch's permutation.
    keep_state : bool, default=False
        Return Adam's state after the last epoch in ``TrainedMLP.adam_state``.
    callback : callable or None
        Called after every epoch as ``callback(epoch, info)`` (``epoch`` from 1) with
        ``info`` a dict of per-model arrays: ``"loss"`` (the epoch's training loss),
        ``"validation_loss"`` and ``"validation_score"`` (``None`` without validation rows)
        and ``"alive"`` (models still training).
    on_epoch : callable or None
        Progress: called as ``on_epoch(epochs_done, n_epochs)`` after every epoch of the
        stacked run, ``epochs_done`` counting from 1 up to ``n_epochs``. ``n_epochs`` is
        ``options.max_epochs`` times the number of stacked runs the call makes (on the CPU
        more than :func:`stacked_runs` ``== 1`` only when the models' state outgrows the
        cache and they train in blocks, one after the other). With a stopping rule a run
        may end before ``max_epochs`` (all its models stopped): the calls then skip to the
        next run's epochs, and the last ``epochs_done`` may be below ``n_epochs``. The
        fused CUDA path trains all epochs in one launch and calls it once, at the end, with
        the most epochs any model trained. Unlike ``callback`` it changes nothing of the
        training (not the path, nor the blocks).

    The fused CUDA path (:mod:`clfcompare.estimators._fused`) is taken only for what it
    covers; sample weights, the loss metric, stopping on the training loss, ``initial``,
    ``keep_state`` and ``callback`` train on this module's path.

    Returns
    -------
    list of TrainedMLP

    Raises
    ------
    ValueError
        If the loss of a model becomes non-finite (a diverging run); the message names the
        learning rate. If ``X`` has a value that is not finite in float32.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.estimators import TorchMLPClassifier, train_mlps
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> options = TorchMLPClassifier(hidden_layer_sizes=(4,), batch_size=2, max_epochs=3,
    ...                              device="cpu").engine_options()
    >>> fits = train_mlps(X, y, [np.arange(4), np.arange(3)], n_outputs=2, seeds=[0, 0],
    ...                   options=options)
    >>> [f.loss_curve.shape for f in fits]
    [(3,), (3,)]
    """
    n_models = len(train_indices)
    o, mixed = _resolve_options(options, n_models)
    loss, activation, batch_size, max_epochs = o.loss, o.activation, o.batch_size, o.max_epochs
    learning_rate, alpha, n_threads, dev = o.learning_rate, o.alpha, o.n_threads, o.device
    n_outputs = check_int(n_outputs, "n_outputs", low=1)
    validation_metric = check_choice(validation_metric, "validation_metric", ("accuracy", "loss"))
    layer_sizes = (np.shape(X)[1], *o.hidden_layer_sizes, n_outputs)
    if n_models == 0:
        raise ValueError("train_indices is empty: nothing to train")
    if len(seeds) != n_models:
        raise ValueError(f"need one seed per model: {n_models} splits, {len(seeds)} seeds")
    weights = _check_engine_weights(sample_weight, np.shape(X)[0], n_models)
    if initial is not None and len(initial) != n_models:
        raise ValueError(f"initial has {len(initial)} entries for {n_models} models")
    loss_stopping = validation_indices is None and o.stop_on_training_loss
    plain = (
        weights is None
        and not loss_stopping
        and (validation_indices is None or validation_metric == "accuracy")
        and initial is None
        and not keep_state
        and callback is None
        and mixed is None
    )
    if plain and o.fused and dev.type == "cuda" and os.environ.get("CLFCOMPARE_FUSED", "1") != "0":
        from clfcompare.estimators._fused import fused_supported, train_fused

        if fused_supported(layer_sizes, activation, dev):
            results = train_fused(
                X, y, train_indices, n_outputs=n_outputs, seeds=seeds, options=o,
                validation_indices=validation_indices,
            )  # fmt: skip
            if on_epoch is not None:
                on_epoch(max(r.n_iter for r in results), max_epochs)
            return results
    layout, n_params = parameter_layout(layer_sizes)
    n_blocks = 1 if callback is not None else stacked_runs(n_models, layer_sizes, dev)
    if n_blocks > 1:
        # past the CPU's last-level cache a step gets slower per model (measured: 0.84 s per
        # model at M=200 against 0.62 at M=100, 2-50-100-50-4): train in balanced blocks
        bounds = np.linspace(0, n_models, n_blocks + 1).round().astype(int)
        results = []
        for b, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
            val = None if validation_indices is None else list(validation_indices[lo:hi])
            block_weights = weights if weights is None or weights.ndim == 1 else weights[lo:hi]
            progress = None
            if on_epoch is not None:
                progress = functools.partial(
                    _block_progress, on_epoch, b * max_epochs, n_blocks * max_epochs
                )
            results += train_mlps(
                X, y, list(train_indices[lo:hi]), n_outputs=n_outputs,
                seeds=list(seeds[lo:hi]), validation_indices=val,
                options=options if mixed is None else mixed[lo:hi],
                sample_weight=block_weights, validation_metric=validation_metric,
                initial=None if initial is None else list(initial[lo:hi]),
                keep_state=keep_state, on_epoch=progress,
            )  # fmt: skip
        return results
    rows_list = [torch.from_numpy(np.array(idx, dtype=np.int64)) for idx in train_indices]
    if any(rows.ndim != 1 or rows.shape[0] == 0 for rows in rows_list):
        raise ValueError("every element of train_indices must be a non-empty 1-D index array")
    n_rows = np.array([rows.shape[0] for rows in rows_list])
    threads = max(1, n_threads or torch.get_num_threads()) if dev.type == "cpu" else 1
    align = _VECTOR_ALIGN * threads
    sizes = [n_in * n_out for _, _, n_in, n_out in layout] + [n for *_, n in layout]
    # one thread on the CPU: every slot's share of a stacked tensor starts at a multiple of
    # the kernel's vector width, so any run of slots is a slice the vector loop takes whole
    # and groups need no empty slots; otherwise (the kernel's threads cut the slices; CUDA)
    # slots are packed and every group but the last is padded to a multiple of `quantum`
    slot_align = _PerModel.VECTOR if dev.type == "cpu" and threads == 1 else 1
    quantum = int(np.lcm.reduce([align // np.gcd(size, align) for size in sizes]))
    model_steps = plan_batches(n_rows, batch_size).n_steps
    if mixed is None:
        slots, groups = arrange_slots(model_steps, quantum if slot_align == 1 else 1)
    else:  # groups of equal steps and hyper-parameters, unpadded: see _PerModel
        kinds = _PerModel.kinds(mixed)
        slots, groups = arrange_slots(model_steps, 1, keys=kinds)
    real = slots >= 0
    plan = plan_batches(np.where(real, n_rows[slots], 0), batch_size)
    rows_list = [rows_list[m] if m >= 0 else None for m in slots]
    generators = [torch.Generator().manual_seed(int(seeds[m])) if m >= 0 else None for m in slots]
    adam = dict(lr=learning_rate, beta1=o.beta_1, beta2=o.beta_2, eps=o.epsilon)
    if mixed is not None:
        if validation_indices is not None:
            _PerModel.check_validation(mixed)
        by_slot = [mixed[m] for m in slots]
        learning_rate = np.array([op.learning_rate for op in by_slot])
        alpha = np.array([op.alpha for op in by_slot])
    start_step = _initial_step(initial, slots, groups)

    # numpy computes the CPU matrix products; a diverging run is reported by the loss check
    # below, not by numpy's overflow warnings. On CUDA the chosen card is made the current
    # device, so that streams, graph capture and any tensor created without a device argument
    # land on it ("cuda:1" while the current device is 0).
    # Autocast is switched off (a caller's torch.autocast would run the products in half
    # precision into float32 buffers) and float32 products are kept at full precision.
    on_card = torch.cuda.device(dev) if dev.type == "cuda" else contextlib.nullcontext()
    with (
        on_card,
        torch_threads(n_threads),
        flush_denormals(),
        full_float32_matmul(),
        torch.autocast(dev.type, enabled=False),
        torch.no_grad(),
        np.errstate(all="ignore"),
    ):
        init = torch.zeros(len(slots), n_params, dtype=torch.float32)
        for j, g in enumerate(generators):
            if g is None:
                continue
            if initial is None:
                std = o.init_std if mixed is None else mixed[slots[j]].init_std
                init[j] = init_parameters(layer_sizes, g, std)
            else:
                init[j] = _initial_params(initial[slots[j]][0], n_params)
        X32 = np.array(X, dtype=np.float32, order="C")
        n_bad = int(np.count_nonzero(~np.isfinite(X32)))
        if n_bad:  # e.g. |x| > 3.4e38: finite in float64, inf in float32
            raise ValueError(
                f"X has {n_bad} value{'s' if n_bad > 1 else ''} outside float32's range "
                f"(|x| <= {np.finfo(np.float32).max:.4g}) or not finite; training runs in "
                "float32: rescale X"
            )
        X_t = torch.from_numpy(X32).to(dev)
        table = make_targets(
            y, n_outputs, loss, square_loss_k=o.square_loss_k, square_loss_M=o.square_loss_M
        )
        targets = torch.as_tensor(table).to(dev)
        per_model = None
        if mixed is not None:
            per_model = _PerModel(by_slot, y, n_outputs, plan.chunk_rows, groups, dev)
            targets = per_model.targets
        slot_weights = None
        if weights is not None:
            if weights.ndim == 1:
                slot_weights = torch.from_numpy(weights.astype(np.float32))
            else:  # one row per slot, zeros for empty slots
                per_slot = np.zeros((len(slots), weights.shape[1]), dtype=np.float32)
                per_slot[real] = weights[slots[real]]
                slot_weights = torch.from_numpy(per_slot.reshape(-1))
        ws = _Workspace(
            X_t, targets, layout, init, plan, groups, align, dev, alpha,
            sample_weights=slot_weights, per_model=weights is not None and weights.ndim == 2,
            slot_align=slot_align,
        )  # fmt: skip
        if initial is not None:
            _load_adam_state(ws, initial, slots, n_params, start_step)
        orders = _EpochOrders(rows_list, generators, plan, batch_size is not None, dev)
        validation = None
        if validation_indices is not None:
            val_weights = None
            if weights is not None:
                val_weights = weights
                if weights.ndim == 2:
                    val_weights = np.zeros((len(slots), weights.shape[1]))
                    val_weights[real] = weights[slots[real]]
            validation = _Validation(
                X_t, y, [validation_indices[m] if m >= 0 else [] for m in slots],
                n_outputs, o.square_loss_M, tol=o.tol, patience=o.n_iter_no_change,
                metric=validation_metric, loss=loss, square_loss_k=o.square_loss_k,
                sample_weights=val_weights,
            )  # fmt: skip
        stopping = _LossStopping(ws, o.tol, o.n_iter_no_change) if loss_stopping else None
        if per_model is None:
            run_epoch = _epoch_function(ws, loss, activation, adam, _fused_adam_available(dev))
        else:
            run_epoch = per_model.epoch_function(ws, activation, _fused_adam_available(dev))
        # a graph pays off from the second epoch on: a one-epoch fit runs eagerly
        use_graph = o.cuda_graph and dev.type == "cuda" and max_epochs > 1
        runner = _EpochRunner(run_epoch, dev, use_graph)
        curve = torch.zeros(max_epochs, len(slots), dtype=torch.float64, device=dev)
        step_curve = None
        if o.record_step_loss:
            shape = (max_epochs, len(slots), plan.n_steps_max)
            step_curve = torch.zeros(shape, dtype=torch.float64, device=dev)
        n_iter = np.full(len(slots), max_epochs)
        stopped_early = np.zeros(len(slots), dtype=bool)  # a stopping rule ended training
        alive = real.copy()
        for e in range(max_epochs):
            ws.idx.copy_(orders.epoch(e, max_epochs).view(ws.idx.shape))
            runner()
            torch.sum(ws.step_loss * ws.row_fraction, dim=1, out=curve[e])
            if step_curve is not None:
                step_curve[e].copy_(ws.step_loss)
            epoch_loss = curve[e].cpu().numpy()
            _check_finite(epoch_loss, alive, e, slots, learning_rate)
            stopped = np.zeros(len(slots), dtype=bool)
            if validation is not None:
                stopped = validation.update(ws, activation, alive)
            elif stopping is not None:
                stopped = stopping.update(ws, epoch_loss, alive)
            if callback is not None:
                info = {
                    "loss": _by_model(epoch_loss, slots, n_models),
                    "validation_loss": None,
                    "validation_score": None,
                    "alive": _by_model(alive & ~stopped, slots, n_models).astype(bool),
                }
                if validation is not None:
                    info["validation_loss"] = _by_model(validation.losses[-1], slots, n_models)
                    info["validation_score"] = _by_model(validation.scores[-1], slots, n_models)
                callback(e + 1, info)
            if on_epoch is not None:
                on_epoch(e + 1, max_epochs)
            n_iter[stopped] = e + 1
            stopped_early |= stopped
            alive &= ~stopped
            if (validation is not None or stopping is not None) and not alive.any():
                break
        if validation is not None:
            final = ws.stacked(validation.best_params)
        elif stopping is not None:
            final = ws.stacked(stopping.final_params(ws))
        else:
            final = ws.stacked(None)
        if not np.isfinite(final[real]).all():
            if np.ndim(learning_rate):
                bad = ~np.isfinite(final).all(axis=1) & real
                learning_rate = float(learning_rate[np.flatnonzero(bad)[0]])
            raise ValueError(
                "training diverged: non-finite parameters after training with "
                f"learning_rate={learning_rate}; lower the learning rate"
            )
        curve = curve.cpu().numpy()
        if step_curve is not None:
            step_curve = step_curve.cpu().numpy()
        states = None
        if keep_state:
            moments = ws.stacked(ws.exp_avgs), ws.stacked(ws.exp_avg_sqs)
            steps = [int(t.item()) for t in ws.adam_steps]
            states = (moments, steps)

    results = [None] * n_models
    for j in np.flatnonzero(real):
        k = int(n_iter[j])
        coefs = [final[j, w:b].reshape(i, o).copy() for w, b, i, o in layout]
        intercepts = [final[j, b : b + o].copy() for _, b, _, o in layout]
        steps = None
        if step_curve is not None:
            steps = step_curve[:k, j, : plan.n_steps[j]].reshape(-1)
        scores = best = losses = best_loss = None
        if validation is not None:
            scores = np.array(validation.scores[:k])[:, j]
            losses = np.array(validation.losses[:k])[:, j]
            best = float(validation.best_accuracy[j])
            best_loss = float(validation.best_loss[j])
        adam_state = None
        if states is not None:
            (m1, m2), counts = states
            group = next(g for g, (_, lo, hi) in enumerate(groups) if lo <= j < hi)
            adam_state = (m1[j].copy(), m2[j].copy(), counts[group])
        results[slots[j]] = TrainedMLP(
            coefs, intercepts, curve[:k, j].copy(), k, steps, scores, best, losses, best_loss,
            bool(stopped_early[j]), adam_state,
        )  # fmt: skip
    return results


#: Fields of EngineOptions that models trained in one run must share; the others (loss,
#: learning_rate, init_std, square_loss_k, square_loss_M, alpha, beta_1, beta_2, epsilon)
#: may differ from model to model.
SHARED_OPTIONS = (
    "hidden_layer_sizes", "activation", "batch_size", "max_epochs", "n_iter_no_change", "tol",
    "stop_on_training_loss", "record_step_loss", "device", "n_threads", "cuda_graph", "fused",
)  # fmt: skip


def _resolve_options(options, n_models):
    """``(shared options, per-model list or None)``: None when every model has the same."""
    if isinstance(options, EngineOptions):
        return options, None
    if not isinstance(options, list | tuple):
        raise TypeError(
            f"options must be an EngineOptions, got {type(options).__name__} (or a list "
            "of EngineOptions, one per model)"
        )
    if len(options) != n_models:
        raise ValueError(f"need one EngineOptions per model: {n_models} models, {len(options)}")
    for k, op in enumerate(options):
        if not isinstance(op, EngineOptions):
            raise TypeError(f"options[{k}] must be an EngineOptions, got {type(op).__name__}")
    first = options[0]
    for name in SHARED_OPTIONS:
        values = [getattr(op, name) for op in options]
        if any(v != values[0] for v in values):
            distinct = list(dict.fromkeys(map(repr, values)))
            raise ValueError(
                f"models trained in one run must have the same {name}; got {', '.join(distinct)}"
            )
    if all(op == first for op in options):
        return first, None
    return first, list(options)


def _adam_calls(ws, s, setting, vector, device):
    """The fused Adam calls of step ``s`` over groups that need not be padded.

    The groups of ``ws`` that train at step ``s`` are cut into segments: consecutive groups of
    one Adam setting (``setting(first_slot)``, a tuple ``(lr, beta_1, beta_2, epsilon)``),
    equal steps per epoch and equal step counts (their counters stay equal) are one slice
    ``[first, end)`` per tensor with the first's counter (the last slots' slice runs on to
    the end of the storage, which is aligned). A slice need not hold a multiple of
    the kernel's vector width ``vector``: its last ``numel % vector`` elements, which the
    fused kernel would treat in its scalar loop (other rounding), are copied into a
    zero-padded scratch tensor of ``vector * k`` elements, updated there in the vector loop
    with the slice's counter and copied back, so every element gets the vector loop's
    rounding, as alone. (Padding the groups with empty slots instead costs their forward and
    backward pass at every step.)

    Returns
    -------
    distinct : list of Tensor
        The step counters of the groups that train at step ``s`` (each incremented once).
    copy_in, copy_out : (list of Tensor, list of Tensor)
        ``(destinations, sources)`` for :func:`torch._foreach_copy_` before and after the
        calls (tails into the scratch, then parameters and moments back).
    calls : list of (lists, kwargs)
        Per Adam setting: ``(params, grads, exp_avgs, exp_avg_sqs, counters)`` and the
        keyword arguments ``lr``, ``beta1``, ``beta2``, ``eps`` of the fused kernel.
    """
    sizes = ws.slot_sizes
    buffers = (ws.param_storage, ws.grad_storage, ws.exp_avg_storage, ws.exp_avg_sq_storage)
    calls, distinct, copy_in, copy_out = {}, [], ([], []), ([], [])
    segments, previous = [], None
    for g, (count, first, end) in enumerate(ws.groups):
        if s >= count:
            continue
        key = setting(first)
        counter = ws.adam_steps[g]
        distinct.append(counter)
        merge = (key, count, float(counter))
        if segments and previous == merge and segments[-1][3] == first:
            segments[-1][3] = end
        else:
            segments.append([key, counter, first, end])
        previous = merge
    for key, counter, first, end in segments:
        lists = calls.setdefault(key, ([], [], [], [], []))
        tails = []
        for k, size in enumerate(sizes):
            # the last slots' slice runs on over the storage's zero padding (aligned, no tail)
            lo, hi = first * size, (end * size if end < ws.n_slots else len(buffers[0][k]))
            body = hi - (hi - lo) % vector
            for out, buf in zip(lists, buffers, strict=False):
                if body > lo:
                    out.append(buf[k][lo:body])
            if body > lo:
                lists[4].append(counter)
            if hi > body:
                tails.append((k, body, hi))
        if not tails:
            continue
        n_tail = sum(hi - body for _, body, hi in tails)
        padded = -(-n_tail // vector) * vector
        scratch = [torch.zeros(padded, device=device) for _ in buffers]
        for out, buf in zip(lists, scratch, strict=False):
            out.append(buf)
        lists[4].append(counter)
        at = 0
        for k, body, hi in tails:
            for q, buf in enumerate(buffers):
                piece = scratch[q][at : at + hi - body]
                copy_in[0].append(piece)
                copy_in[1].append(buf[k][body:hi])
                if q != 1:  # parameters and moments come back; gradients do not
                    copy_out[0].append(buf[k][body:hi])
                    copy_out[1].append(piece)
            at += hi - body
    adam = [
        (lists, dict(lr=key[0], beta1=key[1], beta2=key[2], eps=key[3]))
        for key, lists in calls.items()
    ]
    return distinct, copy_in, adam, copy_out


def _adam_step(fused, params, grads, exp_avgs, exp_avg_sqs, counters, kwargs):
    """One Adam update of lists of tensors: the fused kernel, or :func:`adam_update_`."""
    if fused:
        torch._fused_adam_(
            params, grads, exp_avgs, exp_avg_sqs, [], counters,
            weight_decay=0.0, amsgrad=False, maximize=False, **kwargs,
        )  # fmt: skip
    else:
        adam_update_(params, grads, exp_avgs, exp_avg_sqs, counters, **kwargs)


def _run_adam_calls(calls, fused):
    """Run what :func:`_adam_calls` made: counters, tails in, the updates, tails out."""
    distinct, copy_in, adam, copy_out = calls
    torch._foreach_add_(distinct, 1)
    if copy_in[0]:
        torch._foreach_copy_(copy_in[0], copy_in[1])
    for lists, kwargs in adam:
        _adam_step(fused, *lists, kwargs)
    if copy_out[0]:
        torch._foreach_copy_(copy_out[0], copy_out[1])


class _PerModel:
    """What differs between the models of a run with a list of options (one per model).

    The engine then trains models of different loss (``"ce"``/``"mse"`` with their own
    ``square_loss_k``/``square_loss_M``), learning rate, Adam parameters, ``alpha`` and
    ``init_std`` in one stacked run, each exactly as alone:

    * target tables: one per distinct ``(loss, k, M)``, stacked, and each slot reads its own
      (its row indices are offset by ``table * n_samples``);
    * the output gradient is computed per run of consecutive slots of one loss (slots are
      ordered by steps per epoch, then by hyper-parameters: :func:`arrange_slots` with
      keys), each run with its loss's function on a slice; the loss values get the loss's
      factor per slot;
    * ``alpha`` scales the penalty per slot (already per slot and per step in the
      workspace); a model with ``alpha = 0`` among penalised ones adds ``0 * W`` to its
      gradient, which changes no value;
    * Adam runs one fused call per distinct ``(lr, beta_1, beta_2, epsilon)`` on the slices
      of its groups; consecutive groups of one setting (its losses) with equal steps are one
      slice per tensor (slots ordered by setting, then loss: :meth:`kinds`). The groups are
      not padded with empty slots (which would cost their compute in every product): on
      one CPU thread the slots are strided (:func:`_stacked_tensors`), so every slice holds
      a multiple of the kernel's vector width; otherwise a slice's last ``numel % 16``
      elements, which the fused kernel would treat in its scalar loop, are updated in a
      zero-padded scratch tensor (:func:`_adam_calls`): every element gets the vector
      loop's rounding, as alone.
    """

    #: elements per vector of the fused Adam kernel's widest loop (float32, AVX-512)
    VECTOR = 16

    @staticmethod
    def kind(op):
        return (op.loss, op.square_loss_k, op.square_loss_M, op.learning_rate, op.beta_1,
                op.beta_2, op.epsilon)  # fmt: skip

    @staticmethod
    def kinds(options):
        """Key of each model: the rank of its (loss, Adam parameters) among the distinct.

        Sorted by Adam's parameters first, so that in each group of equal steps the slots of
        one Adam setting are consecutive (one slice per tensor and setting for the fused
        kernel: fewer slices and tails, see :meth:`adam_calls`); within a setting by loss,
        the first loss of a setting being the last one of the setting before where it can
        (fewer runs of the output gradient: ce mse | mse ce | ce mse ...).
        """
        kinds = [_PerModel.kind(op) for op in options]
        settings = sorted({kind[3:] for kind in kinds}, key=repr)
        order, previous = {}, None
        for setting in settings:
            losses = sorted({kind[:3] for kind in kinds if kind[3:] == setting}, key=repr)
            losses.sort(key=lambda loss, p=previous: loss[0] != p)  # stable: repr order kept
            for loss in losses:
                order[(*loss, *setting)] = len(order)
            previous = losses[-1][0]
        return np.array([order[kind] for kind in kinds])

    @staticmethod
    def check_validation(options):
        losses = {(op.loss, op.square_loss_k, op.square_loss_M) for op in options}
        if len(losses) > 1:
            raise ValueError(
                "early stopping (validation_indices) needs the same loss, square_loss_k and "
                f"square_loss_M for all models trained together; got {sorted(losses)}"
            )

    def __init__(self, by_slot, y, n_outputs, chunk_rows, groups, device):
        self.by_slot, self.groups, self.device = by_slot, groups, device
        n_samples = len(y)
        keys = {}
        slot_table = [keys.setdefault((o.loss, o.square_loss_k, o.square_loss_M), len(keys))
                      for o in by_slot]  # fmt: skip
        width = 2 * n_outputs if any(key[0] == "mse" for key in keys) else n_outputs
        tables = []
        for loss, k, M in keys:
            table = make_targets(y, n_outputs, loss, square_loss_k=k, square_loss_M=M)
            if table.shape[1] < width:
                table = np.hstack([table, np.zeros((n_samples, width - table.shape[1]),
                                                   dtype=np.float32)])  # fmt: skip
            tables.append(table)
        self.targets = torch.as_tensor(np.vstack(tables)).to(device)
        offset = torch.as_tensor(slot_table, dtype=torch.long) * n_samples
        self.target_offset = offset.repeat_interleave(chunk_rows).to(device)
        self.n_outputs = n_outputs
        # runs of consecutive slots of one loss
        self.runs = []
        for j, o in enumerate(by_slot):
            if self.runs and self.runs[-1][2] == o.loss:
                self.runs[-1][1] = j + 1
            else:
                self.runs.append([j, j + 1, o.loss])
        factor = [_LOSSES[o.loss][1] for o in by_slot]
        self.loss_factor = torch.tensor(factor, dtype=torch.float64, device=device)

    def adam_calls(self, ws, s):
        """Fused Adam calls of step ``s``: per Adam setting, its slices and tail scratch.

        Returns ``(distinct counters, copy-in (dst, src), calls, copy-out (dst, src))``; see
        :func:`_adam_calls`.
        """

        def setting(first):
            o = self.by_slot[first]
            return (o.learning_rate, o.beta_1, o.beta_2, o.epsilon)

        return _adam_calls(ws, s, setting, self.VECTOR, self.device)

    def epoch_function(self, ws, activation, fused):
        """The body of one epoch (as :func:`_epoch_function`, hyper-parameters per slot)."""
        plan = ws.plan
        steps = [self.adam_calls(ws, s) for s in range(plan.n_steps_max)]
        n_out = self.n_outputs
        # the rows of every chunk in the stacked target tables (made once per epoch) and the
        # static views of every step (its active slots, see _Workspace.active), made once
        target_idx = torch.empty_like(ws.idx)
        active = []
        for s in range(plan.n_steps_max):
            n, layers, chunks = ws.active(s)
            runs = [(lo, min(hi, n), _LOSSES[name][0], name == "ce")
                    for lo, hi, name in self.runs if lo < n]  # fmt: skip
            per_chunk = []
            for k, (idx, w, terms) in enumerate(chunks):
                pieces = [(lo, hi, grad, ce, w[lo:hi], terms[lo:hi])
                          for lo, hi, grad, ce in runs]  # fmt: skip
                per_chunk.append((idx, target_idx[s, k, : idx.shape[0]], pieces))
            active.append((n, layers, per_chunk))

        def run_epoch():
            torch.add(ws.idx, self.target_offset, out=target_idx)
            for s in range(plan.n_steps_max):
                if ws.weighted:
                    ws.weigh_step(s)
                n, layers, per_chunk = active[s]
                shape = (n, plan.chunk_rows, -1)
                for k, (idx, t_idx, pieces) in enumerate(per_chunk):
                    xb = ws.X.index_select(0, idx).view(shape)
                    tb = ws.targets.index_select(0, t_idx).view(shape)
                    outputs = _forward(layers, xb, activation)
                    z = outputs[-1]
                    if len(pieces) == 1:
                        _, _, grad, ce, w, terms = pieces[0]
                        dz = grad(z, tb[..., :n_out] if ce else tb, w, terms)
                    else:
                        dz = torch.cat([
                            grad(z[lo:hi], tb[lo:hi, :, :n_out] if ce else tb[lo:hi], w, terms)
                            for lo, hi, grad, ce, w, terms in pieces
                        ])  # fmt: skip
                    _backward(layers, xb, outputs, dz, activation, k > 0)
                if ws.penalty:
                    layers.squared_norms(ws.weight_sq[s, :, :n])
                    layers.add_weight_decay(ws.decay_scale[s, :n])
                _run_adam_calls(steps[s], fused)
            terms = ws.loss_terms.double().sum(dim=(-2, -1)).mul_(self.loss_factor)
            ws.step_loss.copy_(terms.sum(dim=1).T)
            if ws.penalty:
                penalty = ws.weight_sq.double().sum(dim=1).mul_(ws.penalty_scale)
                ws.step_loss.add_(penalty.T)

        return run_epoch


def stacked_runs(n_models, layer_sizes, device):
    """How many stacked runs, one after the other, :func:`train_mlps` makes for ``n_models``.

    1, but on the CPU when the models' parameters, gradients and Adam moments (16 bytes per
    parameter) outgrow ``_CPU_BLOCK_BYTES``: then balanced blocks of at most that size
    (what ``on_epoch``'s ``n_epochs`` counts). A ``callback`` keeps one run.

    Examples
    --------
    >>> import torch
    >>> from clfcompare.estimators._engine import stacked_runs
    >>> stacked_runs(100, (2, 50, 100, 50, 4), torch.device("cpu"))
    1
    """
    _, n_params = parameter_layout(layer_sizes)
    per_block = max(1, _CPU_BLOCK_BYTES // (16 * n_params))  # params, grads, m, v: float32
    if torch.device(device).type != "cpu" or n_models <= per_block:
        return 1
    return -(-n_models // per_block)


def _block_progress(on_epoch, offset, total, epochs_done, _n_epochs):
    """``on_epoch`` of one block of a blocked run: its epochs after the earlier blocks'."""
    on_epoch(offset + epochs_done, total)


def _check_engine_weights(sample_weight, n_samples, n_models):
    """``sample_weight`` as float64 (n_samples,) or (n_models, n_samples), or None."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape not in ((n_samples,), (n_models, n_samples)):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) or ({n_models}, {n_samples}), "
            f"got {weights.shape}"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and >= 0")
    return weights


def _by_model(values, slots, n_models):
    """Per-slot values in model order."""
    out = np.full(n_models, np.nan)
    real = slots >= 0
    out[slots[real]] = np.asarray(values, dtype=np.float64)[real]
    return out


def _initial_params(params, n_params):
    flat = np.asarray(params, dtype=np.float32).reshape(-1)
    if flat.shape[0] != n_params:
        raise ValueError(
            f"initial parameters have {flat.shape[0]} values; these layers have {n_params}"
        )
    return torch.from_numpy(flat.copy())


def _initial_step(initial, slots, groups):
    """Adam's step count to resume from, per group of slots (0 without a state)."""
    if initial is None:
        return None
    counts = []
    for _, lo, hi in groups:
        states = [initial[m][1] for m in slots[lo:hi] if m >= 0]
        steps = {0 if st is None else int(st[2]) for st in states}
        if len(steps) > 1:
            raise ValueError(
                "models resumed together with the same number of steps per epoch must have "
                f"the same Adam step count, got {sorted(steps)}"
            )
        counts.append(steps.pop() if steps else 0)
    return counts


def _load_adam_state(ws, initial, slots, n_params, start_step):
    """Copy the moments and step counts of ``initial`` into the workspace."""
    m1 = torch.zeros(len(slots), n_params, dtype=torch.float32)
    m2 = torch.zeros(len(slots), n_params, dtype=torch.float32)
    for j, m in enumerate(slots):
        if m >= 0 and initial[m][1] is not None:
            m1[j] = _initial_params(initial[m][1][0], n_params)
            m2[j] = _initial_params(initial[m][1][1], n_params)
    ws.load(ws.exp_avgs, m1)
    ws.load(ws.exp_avg_sqs, m2)
    for counter, step in zip(ws.adam_steps, start_step, strict=True):
        counter.fill_(float(step))


class _LossStopping:
    """scikit-learn's ``MLPClassifier`` stopping rule on the training loss, per model.

    An epoch whose loss is not below the best so far by more than ``tol`` counts as no
    improvement; after more than ``patience`` of them in a row the model stops and keeps the
    parameters of that (its last) epoch.
    """

    def __init__(self, ws, tol, patience):
        self.tol, self.patience = tol, patience
        self.best = np.full(ws.n_slots, np.inf)
        self.no_improvement = np.zeros(ws.n_slots, dtype=np.int64)
        self.done = np.zeros(ws.n_slots, dtype=bool)
        self.kept = [t.clone() for t in ws.params]

    def update(self, ws, epoch_loss, alive):
        worse = epoch_loss > self.best - self.tol
        self.no_improvement = np.where(worse, self.no_improvement + 1, 0)
        self.best = np.minimum(self.best, epoch_loss)
        stopped = alive & (self.no_improvement > self.patience)
        self.done |= stopped
        if stopped.any():
            rows = torch.as_tensor(np.flatnonzero(stopped), device=ws.params[0].device)
            for kept, current in zip(self.kept, ws.params, strict=True):
                kept.index_copy_(0, rows, current.index_select(0, rows))
        return stopped

    def final_params(self, ws):
        """The kept parameters of stopped models, the current ones of the others."""
        still = torch.as_tensor(np.flatnonzero(~self.done), device=ws.params[0].device)
        for kept, current in zip(self.kept, ws.params, strict=True):
            kept.index_copy_(0, still, current.index_select(0, still))
        return self.kept


def _check_finite(epoch_loss, alive, epoch, slots, learning_rate):
    bad = alive & ~np.isfinite(epoch_loss)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        if np.ndim(learning_rate):  # models of different hyper-parameters: this model's
            learning_rate = float(learning_rate[first])
        raise ValueError(
            f"training diverged: the loss became {epoch_loss[first]} in epoch {epoch + 1} "
            f"(model {int(slots[first])}) with learning_rate={learning_rate}; "
            "lower the learning rate"
        )


class _EpochRunner:
    """Runs one epoch of steps: eagerly, or on CUDA replayed from a captured graph.

    The first call trains its epoch eagerly on a side stream (real training, and the warm-up
    that capture needs) and then captures the epoch's kernels into a graph (capture records
    and runs nothing); every later call replays the graph. The captured kernels read the
    static buffers of the workspace, which the training loop refills before each call.
    """

    def __init__(self, run_epoch, device, use_graph):
        self.run_epoch, self.device, self.use_graph = run_epoch, device, use_graph
        self.graph = None

    def __call__(self):
        if not self.use_graph:
            self.run_epoch()
        elif self.graph is not None:
            self.graph.replay()
        else:
            stream = torch.cuda.Stream(self.device)
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                self.run_epoch()
            current = torch.cuda.current_stream(self.device)
            current.wait_stream(stream)
            try:
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph, stream=stream):
                    self.run_epoch()
            except RuntimeError as exc:  # pragma: no cover - needs CUDA
                # a failed capture can leave the side stream current: restore the caller's
                torch.cuda.set_stream(current)
                warnings.warn(
                    f"CUDA graph capture failed ({exc}); training continues without graphs",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self.use_graph = False
            else:
                self.graph = graph


class _Validation:
    """Per-model validation accuracy and loss, and the early-stopping bookkeeping.

    After every epoch each model's accuracy and loss on its validation rows are recorded;
    the monitored metric (``"accuracy"``, scikit-learn's ``MLPClassifier``, or ``"loss"``,
    skorch's ``valid_loss``) counts an epoch as no improvement when it is not better than the
    best so far by more than ``tol`` (``None``: 0), stops a model after more than
    ``patience`` such epochs in a row, and keeps the parameters of its best epoch. The loss is
    the training loss function without the penalty: the cross-entropy, or Hui & Belkin's
    square loss, averaged over the validation rows (weighted by ``sample_weights``).
    """

    def __init__(
        self, X, y, validation_indices, n_outputs, square_loss_M, *, tol, patience,
        metric="accuracy", loss="ce", square_loss_k=1.0, sample_weights=None,
    ):  # fmt: skip
        self.tol = 0.0 if tol is None else tol
        self.patience, self.metric, self.loss = patience, metric, loss
        device = X.device
        n_models = len(validation_indices)
        sizes = [len(v) for v in validation_indices]
        width = max(sizes)
        idx = torch.zeros(n_models, width, dtype=torch.int64)
        mask = torch.zeros(n_models, width, dtype=torch.float64)
        for m, rows in enumerate(validation_indices):
            idx[m, : len(rows)] = torch.from_numpy(np.array(rows, dtype=np.int64))
            if sample_weights is None:
                mask[m, : len(rows)] = 1.0
            elif len(rows):
                weights = sample_weights[m] if sample_weights.ndim == 2 else sample_weights
                mask[m, : len(rows)] = torch.from_numpy(
                    np.asarray(weights, dtype=np.float64)[np.asarray(rows, dtype=np.int64)]
                )
        self.x = X[idx.view(-1).to(device)].view(n_models, width, -1)
        y_t = torch.from_numpy(np.array(y, dtype=np.int64))
        self.y = y_t[idx].to(device)
        self.mask = (mask > 0).float().to(device) if sample_weights is None else None
        self.weights = mask.to(device)
        self.weight_sum = np.maximum(mask.sum(1).numpy(), 1e-300)
        self.size = np.maximum(np.array(sizes, dtype=np.float64), 1.0)
        self.binary_threshold = 0.5 * square_loss_M if n_outputs == 1 else None
        if loss == "mse":
            table = make_targets(
                y, n_outputs, "mse", square_loss_k=square_loss_k, square_loss_M=square_loss_M
            )
            self.targets = torch.from_numpy(table)[idx].to(device)
        self.best = np.full(n_models, -np.inf)
        self.best_accuracy = np.full(n_models, np.nan)
        self.best_loss = np.full(n_models, np.nan)
        self.no_improvement = np.zeros(n_models, dtype=np.int64)
        self.scores, self.losses = [], []
        self.best_params = None

    def evaluate(self, ws, activation):
        """Accuracy (unweighted, as before) and (weighted) mean loss of every model."""
        out = _forward(ws.layers, self.x, activation)[-1]
        if self.binary_threshold is not None:
            pred = (out[..., 0] > self.binary_threshold).long()
        else:
            pred = out.argmax(-1)
        real = (self.weights > 0).float() if self.mask is None else self.mask
        correct = ((pred == self.y).float() * real).sum(1)  # integers, exact in float32
        accuracy = correct.cpu().numpy().astype(np.float64) / self.size
        if self.loss == "ce":
            per_row = -torch.log_softmax(out, dim=-1).gather(-1, self.y.unsqueeze(-1))[..., 0]
        else:
            n_out = out.shape[-1]
            resid = out - self.targets[..., n_out:]
            per_row = (self.targets[..., :n_out] * resid * resid).sum(-1) / n_out
        total = (per_row.double() * self.weights).sum(1).cpu().numpy()
        return accuracy, total / self.weight_sum

    def accuracy(self, ws, activation):
        return self.evaluate(ws, activation)[0]

    def update(self, ws, activation, alive):
        """Record this epoch's scores; return the mask of models that stop now."""
        if self.best_params is None:
            self.best_params = [t.clone() for t in ws.params]
        accuracy, loss = self.evaluate(ws, activation)
        self.scores.append(accuracy)
        self.losses.append(loss)
        score = accuracy if self.metric == "accuracy" else -loss
        self.no_improvement = np.where(score < self.best + self.tol, self.no_improvement + 1, 0)
        better = alive & (score > self.best)
        self.best = np.where(better, score, self.best)
        self.best_accuracy = np.where(better, accuracy, self.best_accuracy)
        self.best_loss = np.where(better, loss, self.best_loss)
        if better.any():
            rows = torch.as_tensor(np.flatnonzero(better), device=self.x.device)
            for best, current in zip(self.best_params, ws.params, strict=True):
                best.index_copy_(0, rows, current.index_select(0, rows))
        return alive & (self.no_improvement > self.patience)
