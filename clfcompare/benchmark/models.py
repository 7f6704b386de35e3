"""The models of the built-in benchmark: the lecture's five and two scikit-learn references."""

from __future__ import annotations

from clfcompare._checks import InputError

__all__ = ["BENCHMARK_MODELS", "benchmark_models"]

#: Model names :func:`benchmark_models` builds, in report order, with what they are.
BENCHMARK_MODELS = {
    "gaussian_shared": "Gaussian generative model, one covariance shared by all classes "
    "(reg_covar=1e-6)",
    "gaussian_separate": "Gaussian generative model, one covariance per class (reg_covar=1e-6)",
    "logistic_gd": "logistic regression fitted by gradient descent (standardised features)",
    "mlp_mse": "MLP 50-100-50 ReLU, square loss (Design 1 of the lecture)",
    "mlp_ce": "MLP 50-100-50 ReLU, cross-entropy loss (Design 2)",
    "random_forest": "scikit-learn RandomForestClassifier(n_estimators=100)",
    "svc": "scikit-learn SVC (RBF kernel, C=1) after StandardScaler, in a Pipeline",
}


def benchmark_models(names=None, *, epochs=499, device="auto", random_state=0):
    """The benchmark's models, unfitted, as ``{name: estimator}`` in :data:`BENCHMARK_MODELS`
    order.

    The five models of :func:`clfcompare.study.build_models` (the MLPs with ``epochs`` epochs
    on ``device``), a random forest of 100 trees and an RBF SVC after standardisation. The
    Gaussian models get ``reg_covar=1e-6`` on their covariances' diagonals: without it they
    fail on data with a feature constant within a training split (digits' blank corner
    pixels).

    Parameters
    ----------
    names : sequence of str, optional
        Default: all seven.
    epochs : int, default=499
    device : str, default="auto"
    random_state : int, default=0

    Examples
    --------
    >>> from clfcompare.benchmark.models import benchmark_models
    >>> list(benchmark_models(["svc", "random_forest"]))
    ['random_forest', 'svc']
    """
    if names is None:
        names = list(BENCHMARK_MODELS)
    names = [names] if isinstance(names, str) else [str(n) for n in names]
    unknown = [n for n in names if n not in BENCHMARK_MODELS]
    if unknown:
        raise InputError(f"unknown model(s) {unknown}; choose from {', '.join(BENCHMARK_MODELS)}")
    if not names:
        raise InputError("no models chosen")
    if len(set(names)) != len(names):
        raise InputError(f"a model is listed twice: {names}")
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from clfcompare.study import MODEL_NAMES, build_models

    lecture = [n for n in names if n in MODEL_NAMES]
    built = (
        build_models(lecture, epochs=epochs, device=device, random_state=random_state)
        if lecture
        else {}
    )
    for name in ("gaussian_shared", "gaussian_separate"):
        if name in built:
            built[name].set_params(reg_covar=1e-6)
    built["random_forest"] = RandomForestClassifier(n_estimators=100, random_state=random_state)
    built["svc"] = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
    return {n: built[n] for n in BENCHMARK_MODELS if n in names}
