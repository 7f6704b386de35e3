"""sklearn-compatible estimators: Gaussian generative, GD logistic regression, torch MLP."""

from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
from clfcompare.estimators.logistic import GDLogisticRegression
from clfcompare.estimators.mlp import TorchMLPClassifier

__all__ = ["GaussianGenerativeClassifier", "GDLogisticRegression", "TorchMLPClassifier"]
