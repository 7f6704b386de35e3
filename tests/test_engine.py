"""Tests of the batched MLP training engine (clfcompare/estimators/_engine.py).

The reference implementations are written in this file: torch autograd for the loss
gradients, ``torch.optim.Adam`` for the optimizer, and a plain ``torch.nn.Sequential`` training
loop for whole runs; for the L2 penalty also scikit-learn's ``MLPClassifier``. Runs are kept to
a few epochs on small data so the file stays fast.
"""

import contextlib
import dataclasses

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network import MLPClassifier

from clfcompare.datasets import load_curve
from clfcompare.estimators import EngineOptions, TorchMLPClassifier, train_mlps
from clfcompare.estimators import _engine as engine
from clfcompare.estimators._engine import (
    adam_update_,
    arrange_slots,
    cross_entropy_grad,
    flush_denormals,
    full_float32_matmul,
    init_parameters,
    loss_values,
    make_targets,
    parameter_layout,
    plan_batches,
    resolve_device,
    square_loss_grad,
    torch_threads,
)

ARCH = (2, 50, 100, 50, 4)

#: The options these tests train with unless they say otherwise (the engine's keyword
#: defaults before it took one EngineOptions): the seed's Design 2 on the CPU, threads as set.
BASE = dict(loss="ce", activation="relu", learning_rate=0.005, batch_size=5, max_epochs=499,
            init_std=0.02, square_loss_k=1.0, square_loss_M=1.0, alpha=0.0, beta_1=0.9,
            beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, tol=1e-4,
            stop_on_training_loss=False, record_step_loss=False, device="cpu",
            n_threads=None)  # fmt: skip


_CALL = ("sample_weight", "validation_metric", "initial", "keep_state", "callback")


def _train(X, y, train_indices, *, layer_sizes, seeds, validation_indices=None, **options):
    """``train_mlps`` with the network as ``layer_sizes`` and the options as keywords (and
    train_mlps's own keywords: sample_weight, validation_metric, initial, ...)."""
    assert layer_sizes[0] == X.shape[1]
    call = {k: options.pop(k) for k in _CALL if k in options}
    opts = EngineOptions(hidden_layer_sizes=layer_sizes[1:-1], **{**BASE, **options})
    return train_mlps(X, y, train_indices, n_outputs=layer_sizes[-1], seeds=seeds,
                      options=opts, validation_indices=validation_indices, **call)  # fmt: skip


@pytest.fixture(scope="module")
def curve4():
    return load_curve(4)


def _unequal_splits(n_samples, sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [np.sort(rng.choice(n_samples, size=size, replace=False)) for size in sizes]


def _flat(result):
    return np.concatenate([a.ravel() for a in result.coefs + result.intercepts])


def _assert_params_close(a, b, rel):
    """Norm-wise closeness of two models' parameters.

    Runs whose kernels differ (GPU against CPU; cuBLAS's gemm for one model against its
    batched gemm for many) round differently; after a hundred Adam steps a few near-zero
    parameters differ by more than any element-wise rtol, while the whole parameter vector
    agrees to ~1e-5 relative (measured by emulating other roundings on the CPU).
    """
    a, b = _flat(a), _flat(b)
    error = np.linalg.norm(a - b) / np.linalg.norm(b)
    assert error <= rel, f"relative parameter difference {error:.3g} > {rel}"


# ----------------------------------------------------------------------------------------------
# small pure functions
# ----------------------------------------------------------------------------------------------
def test_parameter_layout_counts_weights_and_biases():
    layout, n_params = parameter_layout(ARCH)
    # 2*50+50 + 50*100+100 + 100*50+50 + 50*4+4 (closed form)
    assert n_params == 10504
    assert [(i, o) for *_, i, o in layout] == [(2, 50), (50, 100), (100, 50), (50, 4)]


def test_init_parameters_match_nn_init_normal_in_named_parameter_order():
    # reference: torch.nn.init.normal_ over nn.Sequential(...).parameters() with one generator
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    gen = torch.Generator().manual_seed(7)
    for param in net.parameters():
        torch.nn.init.normal_(param, 0.0, 0.02, generator=gen)
    flat = init_parameters((2, 3, 2), torch.Generator().manual_seed(7), 0.02)
    layout, _ = parameter_layout((2, 3, 2))
    for (w_off, b_off, n_in, n_out), layer in zip(layout, (net[0], net[2]), strict=True):
        weight = flat[w_off:b_off].view(n_in, n_out)
        assert torch.equal(weight, layer.weight.detach().T)
        assert torch.equal(flat[b_off : b_off + n_out], layer.bias.detach())


def test_he_init_matches_kaiming_normal_with_zero_biases():
    # reference: torch.nn.init.kaiming_normal_(nonlinearity="relu") over the weights, in order
    net = torch.nn.Sequential(torch.nn.Linear(2, 30), torch.nn.ReLU(), torch.nn.Linear(30, 3))
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for layer in (net[0], net[2]):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=gen)
    flat = init_parameters((2, 30, 3), torch.Generator().manual_seed(5), "he")
    layout, _ = parameter_layout((2, 30, 3))
    for (w_off, b_off, n_in, n_out), layer in zip(layout, (net[0], net[2]), strict=True):
        assert torch.equal(flat[w_off:b_off].view(n_in, n_out), layer.weight.detach().T)
        assert torch.equal(flat[b_off : b_off + n_out], torch.zeros(n_out))


def _input_driven_spread(X, flat):
    """Per hidden layer: mean over units of the std over rows of the pre-activation, and the
    mean |bias| (numpy, float64)."""
    layout, _ = parameter_layout(ARCH)
    h, spreads, biases = X.astype(np.float64), [], []
    for w_off, b_off, n_in, n_out in layout[:-1]:
        a = h @ flat[w_off:b_off].reshape(n_in, n_out) + flat[b_off : b_off + n_out]
        spreads.append(a.std(axis=0).mean())
        biases.append(np.abs(flat[b_off : b_off + n_out]).mean())
        h = np.maximum(a, 0.0)
    return np.array(spreads), np.array(biases)


def test_seed_init_makes_the_last_hidden_layer_input_independent_and_he_does_not(curve4):
    # the cause of the CE trials that never train (TorchMLPClassifier's init_std): with
    # N(0, 0.02^2) the input-driven spread shrinks about tenfold per layer and the biases
    # decide the units of the last hidden layer; He's init keeps the spread
    X, _ = curve4
    spread, bias = _input_driven_spread(
        X, init_parameters(ARCH, torch.Generator().manual_seed(0), 0.02).numpy()
    )
    assert np.all(spread[1:] / spread[:-1] < 0.2)
    assert spread[-1] < 0.02 * bias[-1]
    he, _ = _input_driven_spread(
        X, init_parameters(ARCH, torch.Generator().manual_seed(0), "he").numpy()
    )
    assert np.all(he[1:] / he[:-1] > 0.3)


@pytest.mark.parametrize(
    ("n_rows", "batch_size", "expected"),
    [
        # (chunk_rows, n_chunks, n_steps, rows): worked out by hand
        ([7, 5], 3, (3, 1, [3, 2], [[3, 3], [3, 2], [1, 0]])),
        ([10, 10], 5, (5, 1, [2, 2], [[5, 5], [5, 5]])),
        ([300, 200], None, (256, 2, [1, 1], [[300, 200]])),
        ([4], 10, (10, 1, [1], [[4]])),
        ([600], 300, (256, 2, [2], [[300], [300]])),
    ],
)
def test_plan_batches(n_rows, batch_size, expected):
    plan = plan_batches(n_rows, batch_size)
    chunk_rows, n_chunks, n_steps, rows = expected
    assert (plan.chunk_rows, plan.n_chunks) == (chunk_rows, n_chunks)
    assert plan.n_steps.tolist() == n_steps
    assert plan.rows.tolist() == rows


def test_arrange_slots_pads_all_groups_but_the_last():
    slots, groups = arrange_slots([51, 52, 52, 51, 50], quantum=4)
    assert slots.tolist() == [1, 2, -1, -1, 0, 3, -1, -1, 4]
    assert groups == [(52, 0, 4), (51, 4, 8), (50, 8, 9)]


def test_strided_slots_start_at_the_vector_width_and_pad_with_zeros():
    """``slot_align``: slot j's matrix at j * (its size rounded up), contiguous, zeros between."""
    layout, _ = parameter_layout((2, 5, 3))
    storages, views = engine._stacked_tensors(3, layout, 32, "cpu", slot_align=16)
    for storage, view in zip(storages, views, strict=True):
        size = view[0].numel()
        stride = -(-size // 16) * 16
        assert view.stride(0) == stride and view[0].is_contiguous()
        assert storage.numel() % 32 == 0 and storage.numel() >= 3 * stride
        view.copy_(torch.arange(1, view.numel() + 1, dtype=torch.float32).view(view.shape))
        # the values fill [j * stride, j * stride + size); everything else stays 0
        expected = torch.zeros_like(storage)
        for j in range(3):
            expected[j * stride : j * stride + size] = view[j].reshape(-1)
        assert torch.equal(storage, expected)
    # packed (slot_align=1): the old contiguous views
    _, packed = engine._stacked_tensors(3, layout, 32, "cpu")
    assert all(v.is_contiguous() for v in packed)


def test_one_cpu_thread_trains_step_groups_without_empty_slots(curve4, monkeypatch):
    """Step groups of 1, 2, 1 and 1 models (the packed layout pads them to 8): no empty slot.

    Empty slots cost a forward and backward pass at every step of their group; on one CPU
    thread the strided slots make them unneeded (several threads still pad, checked too).
    The results of both layouts are the lone fits (bitwise on one thread, to float32 rtol
    1e-4 on two; see test_models_trained_together_equal_models_trained_alone for more
    shapes).
    """
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 201, 199, 80, 82))  # 40, 41, 40, 16, 17 steps
    seen = []
    arrange = engine.arrange_slots

    def spy(*args, **kwargs):
        slots, groups = arrange(*args, **kwargs)
        seen.append(slots.tolist())
        return slots, groups

    monkeypatch.setattr(engine, "arrange_slots", spy)
    kw = dict(layer_sizes=ARCH, seeds=[1, 2, 3, 4, 5], batch_size=5, max_epochs=2)
    together = _train(X, y, splits, n_threads=1, **kw)
    assert sorted(seen[-1]) == [0, 1, 2, 3, 4]  # groups 41 | 40 40 | 17 | 16, no -1
    threaded = _train(X, y, splits, n_threads=2, **kw)
    assert -1 in seen[-1]  # packed slots: the first group padded to the quantum
    for m, idx in enumerate(splits):
        alone = _train(X[idx], y[idx], [np.arange(len(idx))], n_threads=1,
                       **{**kw, "seeds": [kw["seeds"][m]]})[0]  # fmt: skip
        assert_array_equal(_flat(together[m]), _flat(alone))
        # two threads may round otherwise: the engine's contract, float32 rtol 1e-4
        assert_allclose(_flat(threaded[m]), _flat(alone), rtol=1e-4, atol=1e-7)


def test_make_targets_square_loss_weights_and_scale():
    table = make_targets(np.array([0, 2]), 3, "mse", square_loss_k=5.0, square_loss_M=15.0)
    # [a | M t]: a = k at the true class, 1 elsewhere (Hui & Belkin)
    assert_array_equal(table, [[5, 1, 1, 15, 0, 0], [1, 1, 5, 0, 0, 15]])
    binary = make_targets(np.array([0, 1]), 1, "mse", square_loss_k=2.0, square_loss_M=3.0)
    assert_array_equal(binary, [[1, 0], [2, 3]])


def test_cross_entropy_grad_and_loss_terms_match_autograd():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(3, 5, 4, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 4, (3, 5), generator=gen)
    t = torch.nn.functional.one_hot(y, 4).double()
    w = torch.full((3, 5, 1), 0.2, dtype=torch.float64)
    w[2, 3:] = 0.0  # padding rows
    w[2, :3] = 1.0 / 3.0
    terms = torch.empty_like(z)
    dz = cross_entropy_grad(z.clone(), t, w, terms)
    # reference: torch.nn.functional.cross_entropy (mean over the real rows) and autograd
    z_ref = z.clone().requires_grad_(True)
    real = [5, 5, 3]
    ref = torch.stack(
        [torch.nn.functional.cross_entropy(z_ref[m, : real[m]], y[m, : real[m]]) for m in range(3)]
    )
    ref.sum().backward()
    assert_allclose(loss_values(terms, "ce").numpy(), ref.detach().numpy(), rtol=1e-12)
    assert_allclose(dz.numpy(), z_ref.grad.numpy(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("k", "M"), [(1.0, 1.0), (5.0, 15.0)])
def test_square_loss_grad_matches_autograd_of_hui_belkin_formula(k, M):
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(2, 6, 3, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 3, (2, 6), generator=gen)
    table = make_targets(y.reshape(-1).numpy(), 3, "mse", square_loss_k=k, square_loss_M=M)
    target = torch.as_tensor(table).double().view(2, 6, 6)
    w = torch.full((2, 6, 1), 1.0 / 6.0, dtype=torch.float64)
    terms = torch.empty_like(z)
    dz = square_loss_grad(z.clone(), target, w, terms)
    # reference: (1/C) [k (z_c - M)^2 + sum_{j != c} z_j^2], mean over rows, autograd
    z_ref = z.clone().requires_grad_(True)
    onehot = torch.nn.functional.one_hot(y, 3).double()
    per_row = (k * onehot * (z_ref - M) ** 2 + (1 - onehot) * z_ref**2).sum(-1) / 3
    ref = per_row.mean(-1)
    ref.sum().backward()
    loss = loss_values(terms, "mse").numpy()
    assert_allclose(loss, ref.detach().numpy(), rtol=1e-12)
    assert_allclose(dz.numpy(), z_ref.grad.numpy(), rtol=1e-12, atol=1e-15)
    if k == 1.0 and M == 1.0:  # plain MSE: torch.nn.functional.mse_loss against one-hot
        mse = torch.stack([torch.nn.functional.mse_loss(z[m], onehot[m]) for m in range(2)])
        assert_allclose(loss, mse.numpy(), rtol=1e-12)


def test_adam_update_matches_torch_optim_adam_and_fused_kernel():
    gen = torch.Generator().manual_seed(2)
    p0 = torch.randn(64, generator=gen)
    grads = [torch.randn(64, generator=gen) for _ in range(5)]
    # reference: torch.optim.Adam (default implementation)
    ref = p0.clone().requires_grad_(True)
    opt = torch.optim.Adam([ref], lr=0.01)
    ours = [p0.clone(), torch.zeros(64), torch.zeros(64), torch.zeros(64), torch.zeros(())]
    fused = [p0.clone(), torch.zeros(64), torch.zeros(64), torch.zeros(64), torch.zeros(())]
    for g in grads:
        ref.grad = g.clone()
        opt.step()
        ours[1].copy_(g)
        ours[4].add_(1)
        adam_update_(*[[t] for t in ours], lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
        fused[1].copy_(g)
        fused[4].add_(1)
        torch._fused_adam_(
            [fused[0]], [fused[1]], [fused[2]], [fused[3]], [], [fused[4]],
            lr=0.01, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8,
            amsgrad=False, maximize=False,
        )  # fmt: skip
    assert_allclose(ours[0].numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert_allclose(fused[0].numpy(), ref.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_torch_threads_sets_and_restores_torch_and_blas_threads():
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
        assert all(info["num_threads"] == 1 for info in threadpool_info() if
                   info["user_api"] == "blas")  # fmt: skip
    assert torch.get_num_threads() == before


def test_flush_denormals_flushes_and_restores():
    denormal = torch.tensor([1e-38]) / 16  # 6.25e-40: below float32's smallest normal number
    assert float(denormal) > 0
    with flush_denormals():
        assert float(torch.tensor([1e-38]) / 16) == 0.0
    assert float(torch.tensor([1e-38]) / 16) > 0


@pytest.fixture
def cuda_tf32_by_backend_api():
    """TF32 for CUDA matrix products, set with torch's per-backend precision API."""
    matmul = torch.backends.cuda.matmul
    if not hasattr(matmul, "fp32_precision"):
        pytest.skip("this torch has no per-backend fp32_precision API")
    previous = matmul.fp32_precision
    matmul.fp32_precision = "tf32"
    try:
        yield
    finally:
        matmul.fp32_precision = previous


def test_float32_pin_works_with_torchs_per_backend_precision_api(curve4, cuda_tf32_by_backend_api):
    # after torch.backends.cuda.matmul.fp32_precision = "tf32" (torch's recommended API since
    # 2.9), the legacy torch.get_float32_matmul_precision() raises "mix of the legacy and new
    # APIs": every training run, even on the CPU, crashed inside torch
    matmul = torch.backends.cuda.matmul
    with full_float32_matmul():
        assert matmul.fp32_precision == "ieee"  # full float32 inside
    assert matmul.fp32_precision == "tf32"  # the caller's setting is back
    X, y = curve4
    (res,) = _train(X, y, [np.arange(50)], layer_sizes=(2, 4, 4), seeds=[0], batch_size=10,
                        max_epochs=2)  # fmt: skip
    assert res.n_iter == 2 and np.isfinite(res.loss_curve).all()
    assert matmul.fp32_precision == "tf32"


def test_flush_denormals_restores_the_callers_flushing_under_a_float64_default_dtype():
    # the check of the caller's setting divided a tensor of the default dtype: in float64
    # 6.25e-40 is a normal number, flushing read as off, and was switched off afterwards
    def flushing():
        return float(torch.tensor([1e-38], dtype=torch.float32) / 16) == 0.0

    before, dtype = flushing(), torch.get_default_dtype()
    torch.set_flush_denormal(True)
    torch.set_default_dtype(torch.float64)
    try:
        with flush_denormals():
            assert flushing()
        after = flushing()
    finally:
        torch.set_default_dtype(dtype)
        torch.set_flush_denormal(before)
    assert after


def test_resolve_device(monkeypatch):
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="'auto', 'cpu', 'cuda' or 'cuda:N'"):
        resolve_device("gpu")
    with pytest.raises(TypeError, match="device must be"):
        resolve_device(0)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="torch sees no CUDA device"):
        resolve_device("cuda:0")


# ----------------------------------------------------------------------------------------------
# exactness: M models together == each alone
# ----------------------------------------------------------------------------------------------
# split sizes: 200/5 = 40 steps, 197 -> 40, 160 -> 32, 203 -> 41: three step groups, a last
# batch of 2 rows, group boundaries inside the kernel's vector width (one CPU thread: strided
# slots; otherwise padding slots), and (whole-data) padding of unequal rows
SIZES = (200, 197, 160, 203)


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize(("batch_size", "max_epochs"), [(5, 3), (None, 40), (300, 4)])
def test_models_trained_together_equal_models_trained_alone(curve4, loss, batch_size, max_epochs):
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)
    seeds = [11, 12, 13, 11]
    kw = dict(layer_sizes=ARCH, loss=loss, batch_size=batch_size, max_epochs=max_epochs,
              record_step_loss=True, n_threads=1)  # fmt: skip
    together = _train(X, y, splits, seeds=seeds, **kw)
    for m, idx in enumerate(splits):
        alone = _train(X[idx], y[idx], [np.arange(len(idx))], seeds=[seeds[m]], **kw)[0]
        # the contract: float32 rtol 1e-4; on one CPU thread the engine is in fact bitwise equal
        assert_allclose(_flat(together[m]), _flat(alone), rtol=1e-4, atol=1e-7)
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-4)
        assert_array_equal(_flat(together[m]), _flat(alone))
        # loss values are summed in float64, in an order that may depend on M
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-13)
        assert_allclose(together[m].step_losses, alone.step_losses, rtol=1e-13)


def test_models_trained_together_equal_alone_binary_square_loss_with_rescaling():
    X, y = load_curve(2)
    splits = _unequal_splits(len(X), (100, 96, 131), seed=3)
    kw = dict(layer_sizes=(2, 20, 1), loss="mse", square_loss_k=3.0, square_loss_M=2.0,
              batch_size=8, max_epochs=4, learning_rate=0.01, n_threads=1)  # fmt: skip
    together = _train(X, y, splits, seeds=[1, 2, 3], **kw)
    for m, idx in enumerate(splits):
        alone = _train(X[idx], y[idx], [np.arange(len(idx))], seeds=[m + 1], **kw)[0]
        assert_array_equal(_flat(together[m]), _flat(alone))
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-13)


@pytest.mark.parametrize("alpha", [0.0, 2.0])
def test_cpu_blocks_of_models_give_the_same_results(curve4, monkeypatch, alpha):
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 197, 160, 203, 180))
    kw = dict(layer_sizes=(2, 8, 4), seeds=[1, 2, 3, 4, 5], batch_size=5, max_epochs=2,
              record_step_loss=True, n_threads=1, alpha=alpha)  # fmt: skip
    whole = _train(X, y, splits, **kw)
    # 2-8-4 has 60 parameters: 16 * 60 * 2 bytes allow blocks of two models -> 2 + 1 + 2
    monkeypatch.setattr(engine, "_CPU_BLOCK_BYTES", 16 * 60 * 2)
    blocks = _train(X, y, splits, **kw)
    for a, b in zip(whole, blocks, strict=True):
        assert_array_equal(_flat(a), _flat(b))
        assert_allclose(a.step_losses, b.step_losses, rtol=1e-13)
    if alpha:  # the blocks did get the penalty (alpha is passed on to each block)
        unpenalised = _train(X, y, splits[:1], **{**kw, "seeds": [1], "alpha": 0.0})[0]
        assert not np.allclose(_flat(unpenalised), _flat(blocks[0]), rtol=1e-3)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_early_stopping_together_equals_alone_and_keeps_best_parameters(curve4, alpha):
    X, y = curve4
    rng = np.random.default_rng(5)
    perm = [rng.permutation(len(X)) for _ in range(3)]
    train = [p[:200] for p in perm]
    val = [p[200:240] for p in perm]
    kw = dict(layer_sizes=(2, 16, 4), batch_size=20, max_epochs=60, learning_rate=0.02,
              n_iter_no_change=2, tol=0.0, n_threads=1, alpha=alpha)  # fmt: skip
    together = _train(X, y, train, seeds=[0, 1, 2], validation_indices=val, **kw)
    for m in range(3):
        alone = _train(X, y, [train[m]], seeds=[m], validation_indices=[val[m]], **kw)[0]
        assert_array_equal(_flat(together[m]), _flat(alone))
        assert together[m].n_iter == alone.n_iter
        assert_array_equal(together[m].validation_scores, alone.validation_scores)
    for res, rows in zip(together, val, strict=True):
        scores = res.validation_scores
        assert res.n_iter < 60  # patience 2 with tol 0 stops this run early
        assert len(res.loss_curve) == len(scores) == res.n_iter
        assert res.best_validation_score == scores.max()
        # the kept parameters are those of the best epoch: recompute their accuracy (numpy)
        h = X[rows]
        for layer, (w, b) in enumerate(zip(res.coefs, res.intercepts, strict=True)):
            h = h @ w + b
            h = np.maximum(h, 0) if layer == 0 else h
        assert np.mean(h.argmax(1) == y[rows]) == pytest.approx(res.best_validation_score)


# ----------------------------------------------------------------------------------------------
# an independent reference: nn.Sequential + torch.optim.Adam, same init and batch order
# ----------------------------------------------------------------------------------------------
def _reference_training(
    X, y, *, loss, batch_size, epochs, lr, seed, k=1.0, M=1.0, activation="relu", alpha=0.0,
    sample_weight=None, start=None,
):  # fmt: skip
    n_out = 1 if loss == "mse" and y.max() == 1 else int(y.max()) + 1
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "logistic": torch.nn.Sigmoid}[activation]
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 8), act(), torch.nn.Linear(8, 6), act(),
        torch.nn.Linear(6, n_out),
    )  # fmt: skip
    gen = torch.Generator().manual_seed(seed)
    for param in net.parameters():
        if start is None:
            torch.nn.init.normal_(param, 0.0, 0.3, generator=gen)
    if start is not None:  # (weights, biases) of each layer, weights as (n_in, n_out)
        with torch.no_grad():
            for layer, (w, b) in zip(net[0::2], start, strict=True):
                layer.weight.copy_(torch.tensor(w.T))
                layer.bias.copy_(torch.tensor(b))
    sw = None if sample_weight is None else torch.tensor(sample_weight, dtype=torch.float64)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y)
    n, curve = len(X), []
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen) if batch_size else torch.arange(n)
        step = batch_size or n
        total = 0.0
        for start in range(0, n, step):
            rows = order[start : start + step]
            out = net(Xt[rows])
            if sw is not None:  # scikit-learn's weighted batch mean: sum w l / sum w
                w = sw[rows]
                wsum = float(w.sum())
                if loss == "ce":
                    per_row = torch.nn.functional.cross_entropy(out, yt[rows], reduction="none")
                else:
                    onehot = torch.nn.functional.one_hot(yt[rows], max(n_out, 2)).float()
                    onehot = onehot[:, 1:] if n_out == 1 else onehot
                    per_row = (k * onehot * (out - M) ** 2 + (1 - onehot) * out**2).sum(1) / n_out
                value = (per_row * w.float()).sum() / wsum
            elif loss == "ce":
                value = torch.nn.functional.cross_entropy(out, yt[rows])
            elif n_out == 1 and k == M == 1.0:  # the seed's Design 1
                value = torch.nn.functional.mse_loss(out[:, 0], yt[rows].float())
            else:  # Hui & Belkin; one output: class 1's node of the one-hot targets
                onehot = torch.nn.functional.one_hot(yt[rows], max(n_out, 2)).float()
                onehot = onehot[:, 1:] if n_out == 1 else onehot
                per_row = (k * onehot * (out - M) ** 2 + (1 - onehot) * out**2).sum(1) / n_out
                value = per_row.mean()
            if alpha:  # scikit-learn's L2 penalty: alpha / (2 b) sum ||W||_F^2, weights only
                squares = sum((layer.weight**2).sum() for layer in net[0::2])
                scale = len(rows) if sw is None else wsum  # weighted: sum of the weights
                value = value + alpha / (2 * scale) * squares
            opt.zero_grad()
            value.backward()
            opt.step()
            total += float(value.detach()) * len(rows)
        curve.append(total / n)
    params = [p.detach().numpy() for p in net.parameters()]
    return params, np.array(curve)


@pytest.mark.parametrize(
    ("loss", "n_classes", "batch_size", "k", "M", "activation", "alpha"),
    [
        ("ce", 4, 7, 1.0, 1.0, "relu", 0.0),
        ("ce", 4, None, 1.0, 1.0, "relu", 0.0),
        ("mse", 2, 7, 1.0, 1.0, "relu", 0.0),
        ("mse", 2, 7, 2.0, 3.0, "relu", 0.0),
        ("mse", 4, 7, 2.0, 3.0, "relu", 0.0),
        ("ce", 4, 7, 1.0, 1.0, "tanh", 0.0),
        ("mse", 4, 7, 1.0, 1.0, "logistic", 0.0),
        # L2 penalty, 8% to 31% of the first epoch's loss (measured)
        ("ce", 4, 7, 1.0, 1.0, "relu", 0.5),
        ("ce", 4, None, 1.0, 1.0, "relu", 5.0),
        ("mse", 2, 7, 1.0, 1.0, "relu", 0.5),
        ("mse", 2, None, 1.0, 1.0, "relu", 5.0),
        ("mse", 4, 7, 2.0, 3.0, "tanh", 0.5),
    ],
)
def test_engine_matches_plain_torch_training_loop(
    loss, n_classes, batch_size, k, M, activation, alpha
):
    X, y = load_curve(n_classes)
    X, y = X[:110], y[:110]  # 110 = 15 * 7 + 5: the last batch has 5 rows
    epochs = 4 if batch_size else 30
    ref_params, ref_curve = _reference_training(
        X, y, loss=loss, batch_size=batch_size, epochs=epochs, lr=0.01, seed=4, k=k, M=M,
        activation=activation, alpha=alpha,
    )  # fmt: skip
    n_out = ref_params[-1].shape[0]
    (ours,) = _train(
        X, y, [np.arange(len(X))], layer_sizes=(2, 8, 6, n_out), seeds=[4], loss=loss,
        learning_rate=0.01, batch_size=batch_size, max_epochs=epochs, init_std=0.3,
        square_loss_k=k, square_loss_M=M, activation=activation, alpha=alpha,
    )  # fmt: skip
    assert_allclose(ours.loss_curve, ref_curve, rtol=1e-5)
    for layer in range(3):
        assert_allclose(ours.coefs[layer], ref_params[2 * layer].T, rtol=1e-4, atol=1e-5)
        assert_allclose(ours.intercepts[layer], ref_params[2 * layer + 1], rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# the L2 penalty (alpha)
# ----------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter runs
@pytest.mark.parametrize(
    ("alpha", "batch_size", "epochs"), [(5.0, None, 30), (0.5, 7, 1), (0.0, 7, 1)]
)
def test_l2_penalty_matches_sklearn_mlpclassifier(alpha, batch_size, epochs):
    # reference: scikit-learn's MLPClassifier (solver="adam", float64) started from the
    # engine's initial weights and fed the engine's batches: full-batch training, or one
    # epoch of mini-batches in the engine's order (110 = 15 * 7 + 5: an uneven last batch).
    # The initial weights are written into the public coefs_/intercepts_ of a fitted model
    # and trained on with warm_start=True. epsilon is 1e-12 because scikit-learn's Adam adds
    # epsilon to sqrt(v) before the bias correction and torch's after it.
    X, y = load_curve(4)
    X, y = X[:110], y[:110]
    arch, seed, lr, eps = (2, 8, 6, 4), 4, 0.01, 1e-12
    (ours,) = _train(
        X, y, [np.arange(110)], layer_sizes=arch, seeds=[seed], learning_rate=lr,
        batch_size=batch_size, max_epochs=epochs, init_std=0.3, epsilon=eps, alpha=alpha,
    )  # fmt: skip
    gen = torch.Generator().manual_seed(seed)
    flat = init_parameters(arch, gen, 0.3).double().numpy()
    # the engine's first epoch: randperm from the generator that drew the weights
    order = torch.randperm(110, generator=gen).numpy() if batch_size else np.arange(110)
    sk = MLPClassifier(
        hidden_layer_sizes=arch[1:-1], solver="adam", alpha=alpha, batch_size=batch_size or 110,
        learning_rate_init=lr, epsilon=eps, max_iter=1, shuffle=False, tol=0.0,
        n_iter_no_change=epochs + 1, random_state=0,
    ).fit(X[order], y[order])  # fmt: skip
    layout, _ = parameter_layout(arch)
    sk.coefs_ = [flat[w:b].reshape(i, o).copy() for w, b, i, o in layout]
    sk.intercepts_ = [flat[b : b + o].copy() for _, b, _, o in layout]
    sk.set_params(warm_start=True, max_iter=epochs).fit(X[order], y[order])
    # loss_curve_ includes the penalty in both (measured agreement: 7e-8 and 2e-7)
    assert_allclose(ours.loss_curve, sk.loss_curve_[1:], rtol=1e-6)
    for a, b in zip(ours.coefs + ours.intercepts, sk.coefs_ + sk.intercepts_, strict=True):
        assert_allclose(a, b, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize(
    ("loss", "batch_size", "max_epochs"), [("ce", 5, 3), ("mse", None, 40), ("ce", 300, 4)]
)
def test_l2_penalty_keeps_models_trained_together_equal_to_alone(
    curve4, loss, batch_size, max_epochs
):
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)
    seeds = [11, 12, 13, 11]
    kw = dict(layer_sizes=ARCH, loss=loss, batch_size=batch_size, max_epochs=max_epochs,
              record_step_loss=True, n_threads=1, alpha=0.3)  # fmt: skip
    together = _train(X, y, splits, seeds=seeds, **kw)
    for m, idx in enumerate(splits):
        alone = _train(X[idx], y[idx], [np.arange(len(idx))], seeds=[seeds[m]], **kw)[0]
        assert_array_equal(_flat(together[m]), _flat(alone))  # bitwise on one CPU thread
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-13)
        assert_allclose(together[m].step_losses, alone.step_losses, rtol=1e-13)
    unpenalised = _train(X, y, splits[:1], seeds=seeds[:1], **{**kw, "alpha": 0.0})[0]
    assert not np.allclose(_flat(unpenalised), _flat(together[0]), rtol=1e-3)


def test_zero_alpha_runs_no_penalty_code(curve4, monkeypatch):
    # alpha = 0 must leave the computation bitwise as it was: the penalty code is skipped
    X, y = curve4
    kw = dict(layer_sizes=(2, 8, 4), seeds=[0], batch_size=10, max_epochs=2)

    def forbidden(*args):
        raise AssertionError("penalty code ran")

    monkeypatch.setattr(engine._Layers, "squared_norms", forbidden)
    monkeypatch.setattr(engine._Layers, "add_weight_decay", forbidden)
    (default,) = _train(X, y, [np.arange(100)], **kw)
    (zero,) = _train(X, y, [np.arange(100)], alpha=0.0, **kw)
    assert_array_equal(_flat(default), _flat(zero))
    with pytest.raises(AssertionError, match="penalty code ran"):
        _train(X, y, [np.arange(100)], alpha=1e-4, **kw)


def test_larger_alpha_gives_smaller_weights(curve4):
    X, y = curve4
    kw = dict(layer_sizes=(2, 16, 4), seeds=[0], batch_size=20, max_epochs=30,
              learning_rate=0.01, init_std=0.3, n_threads=1)  # fmt: skip
    norms = []
    for alpha in (0.0, 1.0, 10.0):
        (res,) = _train(X, y, [np.arange(len(X))], alpha=alpha, **kw)
        norms.append(sum(float(np.sum(w.astype(np.float64) ** 2)) for w in res.coefs))
    assert norms[0] > norms[1] > norms[2]


@pytest.mark.parametrize(
    ("alpha", "error", "match"),
    [
        (-1.0, ValueError, r"alpha must be finite and in \[0, inf\), got -1.0"),
        (np.nan, ValueError, "alpha must be finite"),
        (np.inf, ValueError, "alpha must be finite"),
        ("a", TypeError, "alpha must be a real number, got str 'a'"),
        (True, TypeError, "alpha must be a real number, got bool True"),
        (None, TypeError, "alpha must be a real number"),
    ],
)
def test_bad_alpha(curve4, alpha, error, match):
    X, y = curve4
    with pytest.raises(error, match=match):
        _train(X, y, [np.arange(10)], layer_sizes=(2, 4, 4), seeds=[0], alpha=alpha)


# ----------------------------------------------------------------------------------------------
# the options object
# ----------------------------------------------------------------------------------------------
def test_options_are_the_estimators_parameters_without_defaults_of_their_own():
    # one place holds the defaults: TorchMLPClassifier.__init__. Every option but cuda_graph
    # and fused (engine switches the estimator does not expose) is a parameter of the
    # estimator, and has no default in EngineOptions that could drift from the estimator's.
    fields = {f.name: f for f in dataclasses.fields(EngineOptions)}
    params = TorchMLPClassifier().get_params()
    assert set(fields) - {"cuda_graph", "fused"} <= set(params)
    with_default = {n for n, f in fields.items() if f.default is not dataclasses.MISSING}
    assert with_default == {"cuda_graph", "fused"}
    est = TorchMLPClassifier(device="cpu")
    options = est.engine_options()
    for name in set(fields) - {"cuda_graph", "fused", "learning_rate", "device"}:
        assert getattr(options, name) == params[name], name
    assert options.learning_rate == 0.005 and options.device == torch.device("cpu")
    assert TorchMLPClassifier(loss="mse").engine_options().learning_rate == 0.001
    assert TorchMLPClassifier(hidden_layer_sizes=7).engine_options().hidden_layer_sizes == (7,)


def test_options_are_frozen_checked_and_canonical():
    options = EngineOptions(
        hidden_layer_sizes=[3, np.int64(2)], **{**BASE, "max_epochs": np.int32(4)}
    )
    assert options.hidden_layer_sizes == (3, 2) and type(options.max_epochs) is int
    assert options.device == torch.device("cpu") and options.cuda_graph is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.alpha = 1.0
    again = dataclasses.replace(options, cuda_graph=False)  # checked again, device kept
    assert again.cuda_graph is False and again.device == options.device
    with pytest.raises(ValueError, match="loss must be one of 'ce', 'mse'; got 'hinge'"):
        EngineOptions(hidden_layer_sizes=(3,), **{**BASE, "loss": "hinge"})
    with pytest.raises(ValueError, match=r"beta_2 must be finite and in \[0, 1\), got 1.0"):
        EngineOptions(hidden_layer_sizes=(3,), **{**BASE, "beta_2": 1.0})
    with pytest.raises(TypeError, match="cuda_graph must be True or False"):
        EngineOptions(hidden_layer_sizes=(3,), **BASE, cuda_graph="yes")


def test_train_mlps_takes_an_options_object(curve4):
    X, y = curve4
    with pytest.raises(TypeError, match="options must be an EngineOptions, got dict"):
        train_mlps(X, y, [np.arange(10)], n_outputs=4, seeds=[0], options=dict(BASE))
    options = EngineOptions(hidden_layer_sizes=(4,), **{**BASE, "max_epochs": 2})
    with pytest.raises(ValueError, match="n_outputs must be >= 1, got 0"):
        train_mlps(X, y, [np.arange(10)], n_outputs=0, seeds=[0], options=options)
    (res,) = train_mlps(X, y, [np.arange(10)], n_outputs=4, seeds=[0], options=options)
    assert [c.shape for c in res.coefs] == [(2, 4), (4, 4)] and res.n_iter == 2


# ----------------------------------------------------------------------------------------------
# curves, divergence, chunked steps
# ----------------------------------------------------------------------------------------------
def test_epoch_loss_is_the_batch_size_weighted_mean_of_step_losses(curve4):
    X, y = curve4
    (res,) = _train(X[:23], y[:23], [np.arange(23)], layer_sizes=(2, 5, 4), seeds=[0],
                        batch_size=5, max_epochs=3, record_step_loss=True)  # fmt: skip
    steps = res.step_losses.reshape(3, 5)  # 23 rows: batches of 5, 5, 5, 5, 3
    sizes = np.array([5, 5, 5, 5, 3])
    assert_allclose(res.loss_curve, steps @ sizes / 23, rtol=1e-6)


@pytest.mark.parametrize("alpha", [0.0, 20.0])
def test_big_steps_are_cut_into_chunks_without_changing_the_gradient(curve4, alpha):
    # 300 rows in one step of chunk 256 + 44 padded rows vs a reference plain full-batch loop;
    # the L2 penalty is added once per step, not once per chunk
    X, y = load_curve(4)
    X, y = np.vstack([X, X[:20]]), np.concatenate([y, y[:20]])
    ref_params, ref_curve = _reference_training(
        X, y, loss="ce", batch_size=None, epochs=10, lr=0.01, seed=9, alpha=alpha
    )
    (ours,) = _train(
        X, y, [np.arange(len(X))], layer_sizes=(2, 8, 6, 4), seeds=[9], learning_rate=0.01,
        batch_size=None, max_epochs=10, init_std=0.3, alpha=alpha,
    )  # fmt: skip
    assert plan_batches([len(X)], None).n_chunks == 2
    assert_allclose(ours.loss_curve, ref_curve, rtol=1e-5)
    assert_allclose(ours.coefs[-1], ref_params[-2].T, rtol=1e-4, atol=1e-5)


def test_diverging_run_raises_naming_the_learning_rate(curve4):
    X, y = curve4
    with pytest.raises(ValueError, match=r"diverged.*learning_rate=1e\+30"):
        _train(X, y, [np.arange(len(X))], layer_sizes=(2, 8, 4), seeds=[0], loss="mse",
                   learning_rate=1e30, batch_size=None, max_epochs=20, init_std=1.0)  # fmt: skip


def test_input_errors(curve4):
    X, y = curve4
    with pytest.raises(ValueError, match="empty"):
        _train(X, y, [], layer_sizes=ARCH, seeds=[])
    with pytest.raises(ValueError, match="one seed per model"):
        _train(X, y, [np.arange(5)], layer_sizes=ARCH, seeds=[0, 1])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        _train(X, y, [np.arange(0)], layer_sizes=ARCH, seeds=[0])


def test_fused_adam_fallback_gives_the_same_training(curve4, monkeypatch):
    X, y = curve4
    kw = dict(layer_sizes=(2, 8, 4), seeds=[0], batch_size=10, max_epochs=3)
    (fused,) = _train(X, y, [np.arange(100)], **kw)
    monkeypatch.setitem(engine._FUSED_OK, "cpu", False)
    (plain,) = _train(X, y, [np.arange(100)], **kw)
    assert_allclose(_flat(plain), _flat(fused), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------------------------
# GPU (skipped without CUDA)
# ----------------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize(("loss", "alpha"), [("ce", 0.0), ("mse", 0.0), ("ce", 0.3)])
def test_gpu_graph_replay_equals_eager_and_cpu(curve4, loss, alpha):
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)
    kw = dict(layer_sizes=ARCH, loss=loss, seeds=[1, 2, 3, 4], batch_size=5, max_epochs=3,
              alpha=alpha, fused=False)  # fmt: skip
    graph = _train(X, y, splits, device="cuda", cuda_graph=True, **kw)
    eager = _train(X, y, splits, device="cuda", cuda_graph=False, **kw)
    cpu = _train(X, y, splits, device="cpu", **kw)
    for g, e, c in zip(graph, eager, cpu, strict=True):
        # same kernels, same shapes: graph replay and eager agree to rounding
        assert_allclose(_flat(g), _flat(e), rtol=1e-4, atol=1e-6)
        assert_allclose(g.loss_curve, e.loss_curve, rtol=1e-5)
        # other kernels on the CPU
        _assert_params_close(g, c, rel=1e-4)
        assert_allclose(g.loss_curve, c.loss_curve, rtol=1e-5)


def test_fused_switch_is_checked_and_inert_on_the_cpu(curve4):
    # the fused Triton path is for CUDA only: on the CPU fused=True trains exactly as False
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)[:2]
    kw = dict(layer_sizes=(2, 8, 4), seeds=[1, 2], batch_size=5, max_epochs=2)
    on = _train(X, y, splits, fused=True, **kw)
    off = _train(X, y, splits, fused=False, **kw)
    for a, b in zip(on, off, strict=True):
        assert_array_equal(_flat(a), _flat(b))
    with pytest.raises(TypeError, match="fused must be True or False"):
        EngineOptions(hidden_layer_sizes=(3,), **BASE, fused="no")


@pytest.mark.gpu
def test_gpu_engine_selects_the_fused_path_and_the_switch_turns_it_off(curve4, monkeypatch):
    from clfcompare.estimators import _fused

    if not _fused.triton_available():
        pytest.skip("triton is not importable")
    X, y = curve4
    calls = []
    real = _fused.train_fused
    monkeypatch.setattr(_fused, "train_fused", lambda *a, **k: calls.append(1) or real(*a, **k))
    kw = dict(layer_sizes=ARCH, seeds=[1, 2], batch_size=5, max_epochs=2, device="cuda")
    splits = _unequal_splits(len(X), SIZES)[:2]
    fused = _train(X, y, splits, **kw)  # the default on CUDA: the fused kernel
    assert calls == [1]
    eager = _train(X, y, splits, fused=False, **kw)
    monkeypatch.setenv("CLFCOMPARE_FUSED", "0")
    _train(X, y, splits, **kw)
    assert calls == [1]  # neither fused=False nor CLFCOMPARE_FUSED=0 went fused
    for f, e in zip(fused, eager, strict=True):
        _assert_params_close(f, e, rel=1e-3)  # rounding only (see test_fused.py)


@pytest.mark.gpu
def test_gpu_together_equals_alone(curve4):
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)
    kw = dict(layer_sizes=ARCH, batch_size=5, max_epochs=3, device="cuda", fused=False)
    together = _train(X, y, splits, seeds=[1, 2, 3, 4], **kw)
    for m, idx in enumerate(splits):
        alone = _train(X[idx], y[idx], [np.arange(len(idx))], seeds=[m + 1], **kw)[0]
        # one model goes through cuBLAS's gemm, many through its batched gemm
        _assert_params_close(together[m], alone, rel=1e-4)
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-5)


@pytest.mark.gpu
def test_gpu_auto_and_explicit_index_name_the_same_card(curve4):
    X, y = curve4
    card = torch.device("cuda", torch.cuda.current_device())
    assert resolve_device("auto") == resolve_device("cuda") == card
    kw = dict(layer_sizes=(2, 16, 4), seeds=[0], batch_size=5, max_epochs=3)
    by_name = _train(X, y, [np.arange(len(X))], device="cuda", **kw)[0]
    by_index = _train(X, y, [np.arange(len(X))], device=f"cuda:{card.index}", **kw)[0]
    assert_array_equal(_flat(by_name), _flat(by_index))


@pytest.mark.gpu
def test_gpu_early_stopping_and_step_losses_graph_equals_eager(curve4):
    X, y = curve4
    rng = np.random.default_rng(0)
    perm = [rng.permutation(len(X)) for _ in range(2)]
    kw = dict(layer_sizes=(2, 16, 4), seeds=[0, 1], batch_size=20, max_epochs=200,
              learning_rate=0.02, n_iter_no_change=2, tol=0.0, record_step_loss=True,
              device="cuda", fused=False)  # fmt: skip
    train, val = [p[:200] for p in perm], [p[200:] for p in perm]
    graph = _train(X, y, train, validation_indices=val, cuda_graph=True, **kw)
    eager = _train(X, y, train, validation_indices=val, cuda_graph=False, **kw)
    for g, e in zip(graph, eager, strict=True):
        assert g.n_iter == e.n_iter < 200
        assert_allclose(g.step_losses, e.step_losses, rtol=1e-5)
        assert_allclose(_flat(g), _flat(e), rtol=1e-4, atol=1e-6)


class _FakeGraph:
    """Stands in for torch.cuda.CUDAGraph: replay runs the epoch recorded at capture."""

    def __init__(self, log):
        self.log, self.epoch = log, None

    def replay(self):
        self.log.append("replay")
        self.epoch()


def test_graph_replay_control_flow_trains_like_eager_on_cpu(curve4, monkeypatch):
    """The CUDA-graph path of the training loop, run on the CPU with torch.cuda faked.

    A real capture records the epoch's kernels without running them; the fake records the
    epoch function instead and runs it at each replay. So this checks, without a GPU, what
    the loop does around the graph: one eager warm-up epoch, one capture that trains nothing,
    then one replay per later epoch, each reading the refilled batch indices, with early
    stopping and the L2 penalty, bitwise equal to eager training.
    """
    X, y = curve4
    log = []
    capturing = []

    class FakeStream:
        def __init__(self, *args, **kwargs):
            pass

        def wait_stream(self, other):
            pass

    @contextlib.contextmanager
    def fake_capture(graph, stream=None):
        capturing.append(graph)
        try:
            yield
        finally:
            capturing.pop()

    real_init = engine._EpochRunner.__init__

    def fake_init(self, run_epoch, device, use_graph):
        def epoch():
            if capturing:  # capture: record, do not run
                log.append("capture")
                capturing[-1].epoch = run_epoch
            else:
                log.append("eager")
                run_epoch()

        real_init(self, epoch, device, True)

    monkeypatch.setattr(torch.cuda, "Stream", FakeStream)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda *args: FakeStream())
    monkeypatch.setattr(torch.cuda, "stream", lambda stream: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "CUDAGraph", lambda: _FakeGraph(log))
    monkeypatch.setattr(torch.cuda, "graph", fake_capture)

    rng = np.random.default_rng(0)
    perm = [rng.permutation(len(X)) for _ in range(2)]
    train, val = [p[:200] for p in perm], [p[200:] for p in perm]
    kw = dict(layer_sizes=(2, 16, 4), seeds=[0, 1], batch_size=20, max_epochs=60,
              learning_rate=0.02, n_iter_no_change=2, tol=0.0, alpha=1e-3,
              record_step_loss=True)  # fmt: skip
    with monkeypatch.context() as patch:
        patch.setattr(engine._EpochRunner, "__init__", fake_init)
        replayed = _train(X, y, train, validation_indices=val, **kw)
    eager = _train(X, y, train, validation_indices=val, **kw)

    n_epochs = max(r.n_iter for r in replayed)
    assert 1 < n_epochs < 60  # early stopping ended the run
    assert log == ["eager", "capture"] + ["replay"] * (n_epochs - 1)
    for r, e in zip(replayed, eager, strict=True):
        assert r.n_iter == e.n_iter
        assert_array_equal(_flat(r), _flat(e))
        assert_array_equal(r.step_losses, e.step_losses)
        assert_array_equal(r.validation_scores, e.validation_scores)


# ----------------------------------------------------------------------------------------------
# issue 13: sample weights, stopping on the training loss or the validation loss, resuming,
# per-epoch callbacks
# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("loss", "n_classes", "batch_size", "alpha"),
    [("ce", 4, 7, 0.0), ("ce", 4, None, 0.5), ("mse", 2, 7, 0.5), ("mse", 4, None, 0.0)],
)
def test_weighted_training_matches_a_weighted_torch_loop(loss, n_classes, batch_size, alpha):
    # reference: nn.Sequential + torch.optim.Adam on sum_b w_b l_b / sum_b w_b (+ alpha /
    # (2 sum_b w_b) ||W||^2), scikit-learn's weighting, same init and batch order
    X, y = load_curve(n_classes)
    X, y = X[:110], y[:110]
    w = np.random.default_rng(3).uniform(0.2, 3.0, size=110)
    epochs = 4 if batch_size else 30
    ref_params, ref_curve = _reference_training(
        X, y, loss=loss, batch_size=batch_size, epochs=epochs, lr=0.01, seed=4, alpha=alpha,
        sample_weight=w,
    )  # fmt: skip
    n_out = ref_params[-1].shape[0]
    (ours,) = _train(
        X, y, [np.arange(110)], layer_sizes=(2, 8, 6, n_out), seeds=[4], loss=loss,
        learning_rate=0.01, batch_size=batch_size, max_epochs=epochs, init_std=0.3,
        alpha=alpha, sample_weight=w,
    )  # fmt: skip
    assert_allclose(ours.loss_curve, ref_curve, rtol=1e-5)
    for layer in range(3):
        assert_allclose(ours.coefs[layer], ref_params[2 * layer].T, rtol=1e-4, atol=1e-5)
        assert_allclose(ours.intercepts[layer], ref_params[2 * layer + 1], rtol=1e-4, atol=1e-5)
    unweighted = _train(
        X, y, [np.arange(110)], layer_sizes=(2, 8, 6, n_out), seeds=[4], loss=loss,
        learning_rate=0.01, batch_size=batch_size, max_epochs=epochs, init_std=0.3, alpha=alpha,
    )[0]  # fmt: skip
    assert not np.allclose(ours.loss_curve, unweighted.loss_curve, rtol=1e-3)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # max_iter runs
@pytest.mark.parametrize(("alpha", "batch_size", "epochs"), [(0.5, None, 30), (0.5, 7, 1)])
def test_sample_weight_matches_sklearn_mlpclassifier(alpha, batch_size, epochs):
    # as test_l2_penalty_matches_sklearn_mlpclassifier, with sample weights: scikit-learn
    # takes the weighted mean over each batch and divides the penalty by the batch's weights
    X, y = load_curve(4)
    X, y = X[:110], y[:110]
    w = np.random.default_rng(5).uniform(0.2, 3.0, size=110)
    arch, seed, lr, eps = (2, 8, 6, 4), 4, 0.01, 1e-12
    (ours,) = _train(
        X, y, [np.arange(110)], layer_sizes=arch, seeds=[seed], learning_rate=lr,
        batch_size=batch_size, max_epochs=epochs, init_std=0.3, epsilon=eps, alpha=alpha,
        sample_weight=w,
    )  # fmt: skip
    gen = torch.Generator().manual_seed(seed)
    flat = init_parameters(arch, gen, 0.3).double().numpy()
    order = torch.randperm(110, generator=gen).numpy() if batch_size else np.arange(110)
    sk = MLPClassifier(
        hidden_layer_sizes=arch[1:-1], solver="adam", alpha=alpha, batch_size=batch_size or 110,
        learning_rate_init=lr, epsilon=eps, max_iter=1, shuffle=False, tol=0.0,
        n_iter_no_change=epochs + 1, random_state=0,
    ).fit(X[order], y[order])  # fmt: skip
    layout, _ = parameter_layout(arch)
    sk.coefs_ = [flat[w_:b].reshape(i, o).copy() for w_, b, i, o in layout]
    sk.intercepts_ = [flat[b : b + o].copy() for _, b, _, o in layout]
    sk.set_params(warm_start=True, max_iter=epochs).fit(X[order], y[order], sample_weight=w[order])
    assert_allclose(ours.loss_curve, sk.loss_curve_[1:], rtol=1e-6)
    for a, b in zip(ours.coefs + ours.intercepts, sk.coefs_ + sk.intercepts_, strict=True):
        assert_allclose(a, b, rtol=1e-5, atol=2e-6)


def test_integer_weights_full_batch_are_repeated_rows(curve4):
    # whole-data steps: weights of k give the loss and gradient of k copies of the row, so the
    # runs agree to float32 rounding (the sums run over other rows); zero weights drop rows
    X, y = curve4
    w = np.random.default_rng(6).integers(0, 4, size=len(y))
    kw = dict(layer_sizes=(2, 16, 4), seeds=[2], batch_size=None, max_epochs=25,
              learning_rate=0.01, alpha=0.3)  # fmt: skip
    (weighted,) = _train(X, y, [np.arange(len(y))], sample_weight=w, **kw)
    rows = np.repeat(np.arange(len(y)), w)
    (repeated,) = _train(X, y, [rows], **kw)
    assert_allclose(weighted.loss_curve, repeated.loss_curve, rtol=2e-6)
    assert_allclose(_flat(weighted), _flat(repeated), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("batch_size", [5, None])
def test_weighted_models_together_equal_alone(curve4, batch_size):
    X, y = curve4
    splits = _unequal_splits(len(X), [200, 173, 240])
    weights = np.random.default_rng(7).uniform(0, 2, size=(3, len(X)))
    kw = dict(layer_sizes=(2, 12, 4), batch_size=batch_size, max_epochs=3, n_threads=1,
              alpha=0.2)  # fmt: skip
    together = _train(X, y, splits, seeds=[0, 1, 2], sample_weight=weights, **kw)
    shared = _train(X, y, splits, seeds=[0, 1, 2], sample_weight=weights[0], **kw)
    for m in range(3):
        alone = _train(X, y, [splits[m]], seeds=[m], sample_weight=weights[m], **kw)[0]
        assert_allclose(_flat(together[m]), _flat(alone), rtol=1e-6, atol=1e-9)
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-9)
        first = _train(X, y, [splits[m]], seeds=[m], sample_weight=weights[0], **kw)[0]
        assert_allclose(_flat(shared[m]), _flat(first), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match=r"sample_weight must have shape"):
        _train(X, y, splits, seeds=[0, 1, 2], sample_weight=weights[:2], **kw)
    with pytest.raises(ValueError, match="finite and >= 0"):
        _train(X, y, splits, seeds=[0, 1, 2], sample_weight=-weights[0], **kw)


def test_stopping_on_the_training_loss_is_sklearns_rule(curve4):
    # a model stops after more than n_iter_no_change epochs whose loss is not below the best
    # by more than tol (MLPClassifier's rule, re-applied here to the loss curve), and keeps
    # the parameters of that epoch: those of a run of exactly that many epochs
    X, y = curve4
    splits = _unequal_splits(len(X), [150, 220])
    kw = dict(layer_sizes=(2, 12, 4), batch_size=20, max_epochs=200, learning_rate=0.05,
              n_iter_no_change=3, n_threads=1)  # fmt: skip
    results = _train(X, y, splits, seeds=[0, 1], tol=2e-3, stop_on_training_loss=True, **kw)
    for m, res in enumerate(results):
        best, count, stop = np.inf, 0, None
        for e, value in enumerate(res.loss_curve):
            count = count + 1 if value > best - 2e-3 else 0
            best = min(best, value)
            if count > 3:
                stop = e + 1
                break
        assert stop == res.n_iter < 200 and res.stopped
        fixed = _train(X, y, [splits[m]], seeds=[m], **{**kw, "max_epochs": stop})[0]
        assert_array_equal(_flat(res), _flat(fixed))
        assert_array_equal(res.loss_curve, fixed.loss_curve)
        assert not fixed.stopped
    assert results[0].n_iter != results[1].n_iter  # stopped at their own epochs


def test_early_stopping_on_the_validation_loss_keeps_the_best_loss_epoch(curve4):
    X, y = curve4
    rng = np.random.default_rng(5)
    perm = [rng.permutation(len(X)) for _ in range(2)]
    train, val = [p[:200] for p in perm], [p[200:240] for p in perm]
    w = rng.uniform(0.5, 2.0, size=len(X))
    kw = dict(layer_sizes=(2, 16, 4), batch_size=20, max_epochs=80, learning_rate=0.05,
              n_iter_no_change=2, tol=0.0, n_threads=1)  # fmt: skip
    res = _train(X, y, train, seeds=[0, 1], validation_indices=val, sample_weight=w,
                 validation_metric="loss", **kw)  # fmt: skip
    for r, rows in zip(res, val, strict=True):
        assert r.n_iter < 80 and r.stopped
        best = int(np.argmin(r.validation_losses))
        assert r.n_iter == best + 4  # 3 epochs without a lower loss after the best
        assert r.best_validation_loss == r.validation_losses[best]
        assert r.best_validation_score == r.validation_scores[best]
        # the kept parameters' weighted validation cross-entropy, recomputed in numpy
        h = X[rows]
        for layer, (c, b) in enumerate(zip(r.coefs, r.intercepts, strict=True)):
            h = h @ c + b
            h = np.maximum(h, 0) if layer == 0 else h
        logp = h - np.log(np.exp(h).sum(1, keepdims=True))
        ce = -np.average(logp[np.arange(len(rows)), y[rows]], weights=w[rows])
        assert ce == pytest.approx(r.best_validation_loss, rel=1e-5)
    # the default metric is still the accuracy (scikit-learn's; the fused path's)
    acc = _train(X, y, train, seeds=[0, 1], validation_indices=val, **kw)
    for r in acc:
        assert r.best_validation_score == r.validation_scores.max()


@pytest.mark.parametrize("batch_size", [None, 7])
def test_resuming_from_a_kept_state_continues_the_run(curve4, batch_size):
    # 3 epochs, then 2 more from the returned parameters and Adam state: whole-data training
    # gives exactly the 5-epoch run; mini-batches too when the permutations are the same
    X, y = curve4
    rows = np.arange(150)
    kw = dict(layer_sizes=(2, 12, 4), batch_size=batch_size, learning_rate=0.02, n_threads=1)
    (five,) = _train(X, y, [rows], seeds=[3], max_epochs=5, **kw)
    (first,) = _train(X, y, [rows], seeds=[3], max_epochs=3, keep_state=True, **kw)
    pairs = zip(first.coefs, first.intercepts, strict=True)
    start = np.concatenate([a.ravel() for pair in pairs for a in pair])
    (rest,) = _train(X, y, [rows], seeds=[3], max_epochs=2, initial=[(start, first.adam_state)],
                     **kw)  # fmt: skip
    assert first.adam_state[2] == 3 * (1 if batch_size is None else -(-150 // 7))
    if batch_size is None:
        assert_array_equal(_flat(rest), _flat(five))
        assert_array_equal(np.r_[first.loss_curve, rest.loss_curve], five.loss_curve)
    else:  # the generator restarts: other batches, but Adam continues (no restart spike)
        assert rest.loss_curve[0] < first.loss_curve[-1] * 1.2
    (fresh_adam,) = _train(X, y, [rows], seeds=[3], max_epochs=2, initial=[(start, None)], **kw)
    assert not np.array_equal(_flat(fresh_adam), _flat(rest))
    with pytest.raises(ValueError, match="initial parameters have 3 values"):
        _train(X, y, [rows], seeds=[3], max_epochs=2, initial=[(np.zeros(3), None)], **kw)


def test_callback_gets_every_epochs_losses(curve4):
    X, y = curve4
    seen = []
    splits = _unequal_splits(len(X), [100, 120])
    res = _train(X, y, splits, seeds=[0, 1], layer_sizes=(2, 8, 4), batch_size=10,
                 max_epochs=4, callback=lambda e, info: seen.append((e, info)))  # fmt: skip
    assert [e for e, _ in seen] == [1, 2, 3, 4]
    for e, info in seen:
        assert_allclose(info["loss"], [r.loss_curve[e - 1] for r in res], rtol=1e-15)
        assert info["validation_loss"] is None and info["alive"].all()


@pytest.mark.gpu
def test_gpu_issue13_features_train_eagerly_and_match_the_cpu(curve4, monkeypatch):
    # sample weights (made inside the captured epoch), the loss metric, tol on the training
    # loss, resuming and callbacks are not the fused kernel's: the engine keeps them on its
    # own path (graph replay), which agrees with the CPU to float32 rounding
    from clfcompare.estimators import _fused

    def refuse(*args, **kwargs):
        raise AssertionError("the fused path was taken")

    monkeypatch.setattr(_fused, "train_fused", refuse)
    X, y = curve4
    splits = _unequal_splits(len(X), SIZES)
    rng = np.random.default_rng(0)
    weights = rng.uniform(0, 2, size=(len(splits), len(X)))
    val = [np.setdiff1d(np.arange(len(X)), s)[:40] for s in splits]
    kw = dict(layer_sizes=ARCH, seeds=[1, 2, 3, 4], batch_size=5, max_epochs=3, alpha=0.3,
              fused=True)  # fmt: skip
    cases = [
        dict(sample_weight=weights),
        dict(sample_weight=weights[0], batch_size=None, max_epochs=20),
        dict(validation_indices=val, validation_metric="loss", tol=0.0, n_iter_no_change=1,
             max_epochs=30),
        dict(tol=0.05, n_iter_no_change=1, max_epochs=30, stop_on_training_loss=True),
        dict(callback=lambda e, info: None, keep_state=True),
    ]  # fmt: skip
    for case in cases:
        args = {**kw, **case}
        gpu = _train(X, y, splits, device="cuda", **args)
        cpu = _train(X, y, splits, device="cpu", **args)
        for g, c in zip(gpu, cpu, strict=True):
            assert g.n_iter == c.n_iter
            _assert_params_close(g, c, rel=1e-3)
            assert_allclose(g.loss_curve, c.loss_curve, rtol=1e-4)


# ----------------------------------------------------------------------------------------------
# on_epoch: progress of the stacked run
# ----------------------------------------------------------------------------------------------
def test_on_epoch_reports_every_epoch_and_changes_nothing(curve4, monkeypatch):
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 197, 160, 203, 180))
    kw = dict(layer_sizes=(2, 8, 4), seeds=[1, 2, 3, 4, 5], batch_size=5, max_epochs=3,
              n_threads=1)  # fmt: skip
    plain = _train(X, y, splits, **kw)
    seen = []
    opts = EngineOptions(hidden_layer_sizes=(8,), **{**BASE, "batch_size": 5, "max_epochs": 3})
    reported = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=opts,
                          on_epoch=lambda d, n: seen.append((d, n)))  # fmt: skip
    assert seen == [(1, 3), (2, 3), (3, 3)]
    for a, b in zip(plain, reported, strict=True):
        assert_array_equal(_flat(a), _flat(b))
    # in CPU blocks (2 + 1 + 2 models, one run after the other) the count runs on
    monkeypatch.setattr(engine, "_CPU_BLOCK_BYTES", 16 * 60 * 2)
    assert engine.stacked_runs(5, (2, 8, 4), torch.device("cpu")) == 3
    seen.clear()
    blocked = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=opts,
                         on_epoch=lambda d, n: seen.append((d, n)))  # fmt: skip
    assert seen == [(d, 9) for d in range(1, 10)]
    for a, b in zip(plain, blocked, strict=True):
        assert_array_equal(_flat(a), _flat(b))


def test_on_epoch_with_loss_stopping_may_end_below_n_epochs(curve4):
    X, y = curve4
    seen = []
    opts = EngineOptions(hidden_layer_sizes=(8,), **{**BASE, "batch_size": None,
                         "max_epochs": 200, "learning_rate": 0.05, "tol": 0.05,
                         "n_iter_no_change": 1, "stop_on_training_loss": True})  # fmt: skip
    (fit,) = train_mlps(X, y, [np.arange(len(X))], n_outputs=4, seeds=[0], options=opts,
                        on_epoch=lambda d, n: seen.append((d, n)))  # fmt: skip
    assert fit.stopped and fit.n_iter < 200
    assert seen == [(d, 200) for d in range(1, fit.n_iter + 1)]


# ----------------------------------------------------------------------------------------------
# models of different hyper-parameters in one run (a list of options)
# ----------------------------------------------------------------------------------------------
MIXED = [
    dict(),
    dict(learning_rate=0.01, alpha=0.5),
    dict(loss="mse", learning_rate=0.002),
    dict(loss="mse", square_loss_k=3.0, square_loss_M=2.0, alpha=0.1),
    dict(beta_1=0.8, epsilon=1e-6, init_std="he"),
    dict(learning_rate=0.01, alpha=0.5),  # the same as model 1, on another split
]


def _options(**changes):
    return EngineOptions(hidden_layer_sizes=(50, 100, 50), **{**BASE, "n_threads": 1, **changes})


@pytest.mark.parametrize(
    ("batch_size", "max_epochs", "call"),
    [(5, 3, {}), (None, 30, {}), (7, 3, {"weights": True}),
     (None, 60, {"stop": True})],
)  # fmt: skip
def test_models_of_different_hyper_parameters_together_equal_alone(
    curve4, batch_size, max_epochs, call
):
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 197, 160, 203, 180, 199), seed=4)
    seeds = [5, 6, 7, 8, 9, 10]
    shared = dict(batch_size=batch_size, max_epochs=max_epochs, record_step_loss=True)
    if call.get("stop"):
        shared.update(stop_on_training_loss=True, tol=1e-3, n_iter_no_change=2)
    options = [_options(**shared, **m) for m in MIXED]
    weights = None
    if call.get("weights"):
        weights = np.random.default_rng(1).uniform(0, 2, size=(len(splits), len(X)))
    together = train_mlps(X, y, splits, n_outputs=4, seeds=seeds, options=options,
                          sample_weight=weights)  # fmt: skip
    for m, idx in enumerate(splits):
        w = None if weights is None else weights[m][idx]
        (alone,) = train_mlps(X[idx], y[idx], [np.arange(len(idx))], n_outputs=4,
                              seeds=[seeds[m]], options=options[m], sample_weight=w)  # fmt: skip
        assert together[m].n_iter == alone.n_iter
        assert_array_equal(_flat(together[m]), _flat(alone))
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-13)
        assert_allclose(together[m].step_losses, alone.step_losses, rtol=1e-13)
    # the hyper-parameters did act: model 5 equals model 1's settings, not model 0's
    (as_zero,) = train_mlps(X, y, [splits[5]], n_outputs=4, seeds=[10], options=options[0])
    assert not np.allclose(_flat(as_zero), _flat(together[5]), rtol=1e-3)


def test_mixed_options_in_cpu_blocks_and_all_equal_options_take_the_plain_path(
    curve4, monkeypatch
):
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 197, 160, 203, 180))
    options = [EngineOptions(hidden_layer_sizes=(8,), **{**BASE, "batch_size": 5,
               "max_epochs": 2, "n_threads": 1, **m}) for m in MIXED[:5]]  # fmt: skip
    whole = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=options)
    monkeypatch.setattr(engine, "_CPU_BLOCK_BYTES", 16 * 60 * 2)
    blocks = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=options)
    for a, b in zip(whole, blocks, strict=True):
        assert_array_equal(_flat(a), _flat(b))
    monkeypatch.undo()

    def refuse(*args, **kwargs):
        raise AssertionError("the per-model path was taken")

    monkeypatch.setattr(engine._PerModel, "epoch_function", refuse)
    same = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=[options[0]] * 5)
    plain = train_mlps(X, y, splits, n_outputs=4, seeds=[1, 2, 3, 4, 5], options=options[0])
    for a, b in zip(same, plain, strict=True):
        assert_array_equal(_flat(a), _flat(b))


def test_mixed_options_errors(curve4):
    X, y = curve4
    splits = [np.arange(100), np.arange(50, 150)]
    opts = EngineOptions(hidden_layer_sizes=(8,), **{**BASE, "max_epochs": 2})
    call = dict(n_outputs=4, seeds=[0, 1])
    with pytest.raises(TypeError, match="must be an EngineOptions, got str .or a list"):
        train_mlps(X, y, splits, options="fast", **call)
    with pytest.raises(TypeError, match=r"options\[1\] must be an EngineOptions"):
        train_mlps(X, y, splits, options=[opts, {}], **call)
    with pytest.raises(ValueError, match="one EngineOptions per model: 2 models, 1"):
        train_mlps(X, y, splits, options=[opts], **call)
    other = dataclasses.replace(opts, max_epochs=3)
    with pytest.raises(ValueError, match="same max_epochs; got 2, 3"):
        train_mlps(X, y, splits, options=[opts, other], **call)
    mse = dataclasses.replace(opts, loss="mse")
    with pytest.raises(ValueError, match="early stopping .* same loss"):
        train_mlps(X, y, splits, options=[opts, mse], validation_indices=splits, **call)
    wild = dataclasses.replace(opts, loss="mse", learning_rate=1e30, batch_size=None,
                               max_epochs=20, init_std=1.0)  # fmt: skip
    tame = dataclasses.replace(wild, loss="ce", learning_rate=1e-3)
    with pytest.raises(ValueError, match=r"diverged.*learning_rate=1e\+30"):
        train_mlps(X, y, splits, options=[tame, wild], **call)


def _state(fit):
    """``initial`` entry that resumes ``fit``: its flat parameters and Adam state."""
    pairs = zip(fit.coefs, fit.intercepts, strict=True)
    return np.concatenate([a.ravel() for pair in pairs for a in pair]), fit.adam_state


def test_grid_of_losses_and_rates_with_refits_equal_alone_and_resume(curve4, monkeypatch):
    """A grid search's run: 2 losses x 2 learning rates x (3 folds + the refit on all rows).

    Models of one Adam setting and both losses share one slice of the fused kernel, and the
    refits (64 steps per epoch) train alone in the steps the folds (43) sit out; each model
    must still be bitwise its lone fit, also when resumed from its Adam state.
    """
    X, y = curve4
    folds = [np.setdiff1d(np.arange(len(X)), np.arange(k, len(X), 3)) for k in range(3)]
    splits = [*folds, np.arange(len(X))]
    grid = [
        _options(batch_size=5, max_epochs=2, loss=loss, learning_rate=lr, alpha=alpha)
        for loss in ("ce", "mse")
        for lr in (0.005, 0.001)
        for alpha in (0.0, 0.01)
    ]
    options = [op for op in grid for _ in splits]
    trains = splits * len(grid)
    seeds = list(range(len(trains)))
    seen = []
    adam_calls = engine._PerModel.adam_calls

    def spy(self, ws, s):
        calls = adam_calls(self, ws, s)
        seen.append((s, len(calls[2]), sum(len(lists[0]) for lists, _ in calls[2])))
        return calls

    monkeypatch.setattr(engine._PerModel, "adam_calls", spy)
    together = train_mlps(X, y, trains, n_outputs=4, seeds=seeds, options=options,
                          keep_state=True)  # fmt: skip
    # two fused calls (one per learning rate); at most 2 x 8 slices (folds, refits) + scratch
    assert {calls for _, calls, _ in seen} == {2}
    assert max(n for _, _, n in seen) <= 2 * (2 * 8 + 2)
    resumed = train_mlps(X, y, trains, n_outputs=4, seeds=seeds, options=options,
                         initial=[_state(f) for f in together])  # fmt: skip
    for m, idx in enumerate(trains):
        (alone,) = train_mlps(X[idx], y[idx], [np.arange(len(idx))], n_outputs=4,
                              seeds=[seeds[m]], options=options[m], keep_state=True)  # fmt: skip
        assert_array_equal(_flat(together[m]), _flat(alone))
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-13)
        if m % 5 == 0:  # the resumed run too, for a few models
            (again,) = train_mlps(X[idx], y[idx], [np.arange(len(idx))], n_outputs=4,
                                  seeds=[seeds[m]], options=options[m],
                                  initial=[_state(alone)])  # fmt: skip
            assert_array_equal(_flat(resumed[m]), _flat(again))


@pytest.mark.gpu
def test_gpu_mixed_options_together_match_alone(curve4):
    """A mixed-settings run on CUDA against each model's lone CUDA fit.

    The lone fits take the fused CUDA kernel where it applies (plain options), the mixed run
    the engine's path with a CUDA graph: other kernels, so float32 rounding, not bits. After
    3 epochs of 5-row steps the parameter vectors must agree to 1e-3 relative (norm-wise, see
    _assert_params_close; the engine's torch.bmm path against numpy's on the CPU differs by
    4e-7, and a model trained with another model's options by more than 1e-2, checked), the
    loss curves to 1e-4 and the predicted classes on all 320 rows for at least 98% of them.
    """
    X, y = curve4
    splits = _unequal_splits(len(X), (200, 197, 160, 203, 180, 199), seed=4)
    seeds = [5, 6, 7, 8, 9, 10]
    options = [_options(batch_size=5, max_epochs=3, device="cuda", n_threads=None, **m)
               for m in MIXED]  # fmt: skip
    together = train_mlps(X, y, splits, n_outputs=4, seeds=seeds, options=options)
    for m, idx in enumerate(splits):
        (alone,) = train_mlps(X[idx], y[idx], [np.arange(len(idx))], n_outputs=4,
                              seeds=[seeds[m]], options=options[m])  # fmt: skip
        _assert_params_close(together[m], alone, rel=1e-3)
        assert_allclose(together[m].loss_curve, alone.loss_curve, rtol=1e-4)
        same = np.mean(_predict(together[m], X) == _predict(alone, X))
        assert same >= 0.98, f"model {m}: {same:.3f} of the predictions agree"
    (as_zero,) = train_mlps(X, y, [splits[5]], n_outputs=4, seeds=[10], options=options[0])
    with pytest.raises(AssertionError, match="relative parameter difference"):
        _assert_params_close(as_zero, together[5], rel=1e-2)


def _predict(fit, X):
    """Classes from a TrainedMLP's parameters (ReLU hidden layers), float64 on the CPU."""
    h = np.asarray(X, dtype=np.float64)
    for layer, (w, b) in enumerate(zip(fit.coefs, fit.intercepts, strict=True)):
        h = h @ w.astype(np.float64) + b
        if layer < len(fit.coefs) - 1:
            h = np.maximum(h, 0.0)
    return h.argmax(axis=1)
