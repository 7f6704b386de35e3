"""The CUDA dispatch of :func:`train_mlps` to the fused kernel, checked without a GPU.

The fused Triton kernel runs only on CUDA (its tests are ``gpu``-marked), but which options
reach it is decided on the host: a list of identical per-model options (what
``fit_splits_stacked`` and ``fit_splits`` pass) must reach ``train_fused`` as the one shared
:class:`EngineOptions`, not as the list (on an H200 the list raised ``AttributeError: 'list'
object has no attribute 'device'`` inside ``train_fused``).
"""

import dataclasses

import numpy as np
import pytest
import torch

from clfcompare.estimators import TorchMLPClassifier
from clfcompare.estimators import _engine as engine
from clfcompare.estimators import _fused as fused


def _cuda_options(**params):
    options = TorchMLPClassifier(max_epochs=2, **params).engine_options()
    # a CUDA device without a GPU: EngineOptions is frozen and checks its device, so the
    # field is set past the check (the spy below stands in for everything that would use it)
    object.__setattr__(options, "device", torch.device("cuda"))
    return options


def _spy(monkeypatch):
    seen = []

    def train_fused(X, y, train_indices, *, n_outputs, seeds, options, validation_indices):
        seen.append(options)
        return [dataclasses.make_dataclass("R", ["n_iter"])(1) for _ in train_indices]

    monkeypatch.setattr(fused, "fused_supported", lambda *a: True)
    monkeypatch.setattr(fused, "train_fused", train_fused)
    monkeypatch.setenv("CLFCOMPARE_FUSED", "1")
    return seen


def test_a_list_of_identical_options_reaches_the_fused_kernel_as_one(monkeypatch):
    seen = _spy(monkeypatch)
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = np.arange(20) % 2
    options = _cuda_options()
    trains = [np.arange(10), np.arange(10, 20)]
    engine.train_mlps(X, y, trains, n_outputs=2, seeds=[0, 1], options=[options, options])
    engine.train_mlps(X, y, trains, n_outputs=2, seeds=[0, 1], options=options)
    assert len(seen) == 2
    assert all(isinstance(o, engine.EngineOptions) for o in seen)
    assert seen[0] == seen[1] == options


def test_mixed_options_do_not_take_the_fused_kernel(monkeypatch):
    seen = _spy(monkeypatch)
    calls = []

    def no_cuda_run(*args, **kwargs):  # the stacked CUDA path: stop before it allocates
        calls.append(kwargs)
        raise RuntimeError("stacked path reached")

    monkeypatch.setattr(engine, "parameter_layout", no_cuda_run)
    X = np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32)
    y = np.arange(20) % 2
    options = [_cuda_options(loss="ce"), _cuda_options(loss="mse")]
    trains = [np.arange(10), np.arange(10, 20)]
    with pytest.raises(RuntimeError, match="stacked path reached"):
        engine.train_mlps(X, y, trains, n_outputs=2, seeds=[0, 1], options=options)
    assert seen == [] and len(calls) == 1
