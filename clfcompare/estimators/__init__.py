"""sklearn-compatible estimators: Gaussian generative, GD logistic regression, torch MLP.

Also the public face of the MLPs' batched training engine: :func:`train_mlps` trains ``M``
networks at once from one frozen :class:`EngineOptions` (which
:meth:`TorchMLPClassifier.engine_options` builds), returning one :class:`TrainedMLP` each;
:func:`fit_splits_stacked` fits several ``TorchMLPClassifier`` configurations on the same
splits in one stacked run (what a grid search needs); :func:`resolve_device` turns
``"auto" | "cpu" | "cuda" | "cuda:N"`` into a ``torch.device`` (or says why it cannot).

This package imports numpy, scipy, scikit-learn, torch and :mod:`clfcompare._checks` only:
nothing of the analysis layer (``tests/test_layers.py``).
"""

from clfcompare.estimators._engine import EngineOptions, TrainedMLP, resolve_device, train_mlps
from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
from clfcompare.estimators.logistic import GDLogisticRegression
from clfcompare.estimators.mlp import TorchMLPClassifier, fit_splits_stacked

__all__ = [
    "EngineOptions",
    "GDLogisticRegression",
    "GaussianGenerativeClassifier",
    "TorchMLPClassifier",
    "TrainedMLP",
    "fit_splits_stacked",
    "resolve_device",
    "train_mlps",
]
