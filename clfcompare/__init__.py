"""clfcompare: compare classifiers statistically.

Estimators (sklearn-compatible)
    GaussianGenerativeClassifier, GDLogisticRegression, TorchMLPClassifier
Analysis
    run_trials, TrialResults, load_results (the trials); compare (a test table); analyse,
    Comparison (every number of a comparison, computed once); write_report; and the modules
    ``stats`` (significance tests), ``analysis``, ``plots`` (figures), ``report`` (markdown
    report), ``calibration`` (how often the tests err)
Benchmarks across data sets
    run_benchmark, BenchmarkResults, and the module ``benchmark`` (data set suites, the tests
    across data sets, CD diagrams, the benchmark report)
Study
    run_study, build_models (data -> models -> trials -> analysis -> figures -> report), the
    module ``study``
Model selection
    BatchedGridSearchCV (a GridSearchCV whose candidates x folds train in one stacked run), the
    module ``search``
Data
    make_curve, load_curve, bayes_accuracy, bayes_cross_entropy, load_builtin, load_csv,
    read_csv_data, make_preprocessor (missing values, text columns, scaling; fitted inside each
    split), the modules ``datasets`` and ``preprocessing``

Names are imported on first use (PEP 562), so ``import clfcompare`` and the ``clfcompare``
command start without loading torch and matplotlib until they are needed.
"""

from importlib import import_module

from clfcompare._version import __version__

# public name -> module that defines it (a module maps to itself)
_LAZY = {
    "GaussianGenerativeClassifier": "clfcompare.estimators.gaussian",
    "GDLogisticRegression": "clfcompare.estimators.logistic",
    "TorchMLPClassifier": "clfcompare.estimators.mlp",
    "TrialResults": "clfcompare.trials",
    "load_results": "clfcompare.trials",
    "run_trials": "clfcompare.trials",
    "run_benchmark": "clfcompare.benchmark",
    "BenchmarkResults": "clfcompare.benchmark",
    "benchmark": "clfcompare.benchmark",
    "compare": "clfcompare.stats",
    "analyse": "clfcompare.analysis",
    "Comparison": "clfcompare.analysis",
    "write_report": "clfcompare.report",
    "run_study": "clfcompare.study",
    "build_models": "clfcompare.study",
    "load_builtin": "clfcompare.datasets",
    "load_csv": "clfcompare.datasets",
    "read_csv_data": "clfcompare.datasets",
    "make_preprocessor": "clfcompare.preprocessing",
    "BatchedGridSearchCV": "clfcompare.search",
    "bayes_accuracy": "clfcompare.datasets",
    "bayes_cross_entropy": "clfcompare.datasets",
    "load_curve": "clfcompare.datasets",
    "make_curve": "clfcompare.datasets",
    "analysis": "clfcompare.analysis",
    "calibration": "clfcompare.calibration",
    "datasets": "clfcompare.datasets",
    "study": "clfcompare.study",
    "plots": "clfcompare.plots",
    "preprocessing": "clfcompare.preprocessing",
    "search": "clfcompare.search",
    "report": "clfcompare.report",
    "stats": "clfcompare.stats",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name):
    try:
        module_name = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'clfcompare' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if module_name == f"clfcompare.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
