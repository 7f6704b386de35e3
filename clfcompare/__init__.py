"""clfcompare: compare classifiers statistically.

Estimators (sklearn-compatible)
    GaussianGenerativeClassifier, GDLogisticRegression, TorchMLPClassifier
Analysis
    run_trials, TrialResults, load_results, and the modules ``stats`` (significance tests),
    ``plots`` (figures), ``report`` (markdown report), ``calibration`` (how often the tests err)
Data
    make_curve, load_curve
"""

from clfcompare import calibration, plots, report, stats
from clfcompare._version import __version__
from clfcompare.datasets import load_curve, make_curve
from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
from clfcompare.estimators.logistic import GDLogisticRegression
from clfcompare.estimators.mlp import TorchMLPClassifier
from clfcompare.stats import compare
from clfcompare.trials import TrialResults, load_results, run_trials

__all__ = [
    "__version__",
    "GaussianGenerativeClassifier",
    "GDLogisticRegression",
    "TorchMLPClassifier",
    "TrialResults",
    "calibration",
    "compare",
    "load_curve",
    "load_results",
    "make_curve",
    "plots",
    "report",
    "run_trials",
    "stats",
]
