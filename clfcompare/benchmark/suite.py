"""The built-in offline suite of data sets: bundled with scikit-learn, statsmodels and clfcompare.

Nothing is downloaded: every data set ships with a dependency of clfcompare or is generated
from a fixed seed. :data:`SUITE_DATASETS` lists them with what the target is:

========================  ==========================================================  =======
name                      source and target                                           rows
========================  ==========================================================  =======
iris                      ``sklearn.datasets.load_iris``; species (3 classes)         150
wine                      ``sklearn.datasets.load_wine``; cultivar (3 classes)        178
breast_cancer             ``sklearn.datasets.load_breast_cancer``; malignant/benign   569
digits                    ``sklearn.datasets.load_digits``; digit 0-9 (10 classes)    1797
fair                      ``statsmodels.datasets.fair``; ``affairs > 0`` (2 classes)  6366
anes96                    ``statsmodels.datasets.anes96``; ``vote`` (Dole 1 /         944
                          Clinton 0)
curve2, curve4            the lecture's curve data (:func:`clfcompare.datasets.        160/320
                          load_curve`), 2 and 4 classes
moons                     ``make_moons(300, noise=0.3, random_state=0)``              300
circles                   ``make_circles(300, noise=0.15, factor=0.5,                 300
                          random_state=0)``
classification_easy       ``make_classification``: 10 features, 5 informative,        300
                          class_sep 1.5, seed 1
classification_hard       ``make_classification``: 20 features, 3 informative,        300
                          5 redundant, 10 % flipped labels, class_sep 0.6, seed 2
classification_3class     ``make_classification``: 8 features, 4 informative,         300
                          3 classes, seed 3
========================  ==========================================================  =======

``fair``'s features are the other eight columns (``affairs`` itself is the target's source
and is left out); ``anes96``'s are the ten columns besides ``vote``.

The rank tests across data sets have little power with this many rows: with N = 13 data sets
and k = 7 models the Nemenyi critical difference at alpha = 0.05 is 2.50 average ranks
(Demšar's formula), so only large, consistent differences are declared.
"""

from __future__ import annotations

import numpy as np

from clfcompare._checks import InputError

__all__ = ["SUITES", "SUITE_DATASETS", "load_suite", "load_suite_dataset", "suite_table"]

#: Built-in data sets of the suites: ``{name: description}`` (the target in words).
SUITE_DATASETS = {
    "iris": "scikit-learn's iris: 150 flowers, 4 features; target species (3 classes)",
    "wine": "scikit-learn's wine: 178 wines, 13 features; target cultivar (3 classes)",
    "breast_cancer": "scikit-learn's breast cancer: 569 tumours, 30 features; target "
    "malignant/benign",
    "digits": "scikit-learn's digits: 1797 8x8 images, 64 features; target the digit (10 classes)",
    "fair": "statsmodels' fair (Fair 1978, 6366 women): 8 features; target affairs > 0 (1) or "
    "none (0)",
    "anes96": "statsmodels' anes96 (1996 US election survey, 944 voters): 10 features; target "
    "vote (1 Dole, 0 Clinton)",
    "curve2": "the lecture's curve data: 160 points, 2 features, 2 classes",
    "curve4": "the homework's curve data: 320 points, 2 features, 4 classes",
    "moons": "make_moons(n_samples=300, noise=0.3, random_state=0): 2 features, 2 classes",
    "circles": "make_circles(n_samples=300, noise=0.15, factor=0.5, random_state=0): 2 features, "
    "2 classes",
    "classification_easy": "make_classification(n_samples=300, n_features=10, n_informative=5, "
    "n_redundant=2, class_sep=1.5, random_state=1): 2 classes",
    "classification_hard": "make_classification(n_samples=300, n_features=20, n_informative=3, "
    "n_redundant=5, flip_y=0.1, class_sep=0.6, random_state=2): 2 classes",
    "classification_3class": "make_classification(n_samples=300, n_features=8, n_informative=4, "
    "n_redundant=2, n_classes=3, n_clusters_per_class=1, random_state=3): 3 classes",
}

#: Named suites: ``{suite: tuple of data set names}``.
SUITES = {
    "offline": tuple(SUITE_DATASETS),
    # a few small sets, for smoke tests and examples
    "small": ("iris", "wine", "moons", "circles", "curve2"),
}


def _statsmodels_frame(name):
    from statsmodels import datasets as smd

    return getattr(smd, name).load_pandas().data


def load_suite_dataset(name):
    """One built-in data set of the suites: ``(X, y)``, float features.

    Parameters
    ----------
    name : str
        A key of :data:`SUITE_DATASETS`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float
    y : ndarray of shape (n_samples,), int

    Examples
    --------
    >>> from clfcompare.benchmark.suite import load_suite_dataset
    >>> X, y = load_suite_dataset("fair")
    >>> X.shape, sorted(set(y.tolist()))
    ((6366, 8), [0, 1])
    """
    if name not in SUITE_DATASETS:
        raise InputError(
            f"unknown built-in data set {name!r}; the suites hold {', '.join(SUITE_DATASETS)}"
        )
    from sklearn import datasets as skd

    if name in ("iris", "wine", "breast_cancer", "digits"):
        bunch = getattr(skd, f"load_{name}")()
        X, y = bunch.data, bunch.target
    elif name == "fair":
        frame = _statsmodels_frame("fair")
        y = (frame["affairs"] > 0).to_numpy()
        X = frame.drop(columns=["affairs"]).to_numpy()
    elif name == "anes96":
        frame = _statsmodels_frame("anes96")
        y = frame["vote"].to_numpy()
        X = frame.drop(columns=["vote"]).to_numpy()
    elif name in ("curve2", "curve4"):
        from clfcompare.datasets import load_curve

        X, y = load_curve(int(name[-1]))
    elif name == "moons":
        X, y = skd.make_moons(n_samples=300, noise=0.3, random_state=0)
    elif name == "circles":
        X, y = skd.make_circles(n_samples=300, noise=0.15, factor=0.5, random_state=0)
    elif name == "classification_easy":
        X, y = skd.make_classification(
            n_samples=300, n_features=10, n_informative=5, n_redundant=2, class_sep=1.5,
            random_state=1,
        )  # fmt: skip
    elif name == "classification_hard":
        X, y = skd.make_classification(
            n_samples=300, n_features=20, n_informative=3, n_redundant=5, flip_y=0.1,
            class_sep=0.6, random_state=2,
        )  # fmt: skip
    else:  # classification_3class
        X, y = skd.make_classification(
            n_samples=300, n_features=8, n_informative=4, n_redundant=2, n_classes=3,
            n_clusters_per_class=1, random_state=3,
        )  # fmt: skip
    return np.asarray(X, dtype=float), np.asarray(y).astype(np.int64)


def _check_suite(suite):
    if suite not in SUITES:
        raise InputError(f"unknown suite {suite!r}; built-in suites are {', '.join(SUITES)}")
    return SUITES[suite]


def load_suite(suite="offline", *, names=None):
    """The data sets of a built-in suite, as ``{name: (X, y)}`` in the suite's order.

    Parameters
    ----------
    suite : str, default="offline"
        A key of :data:`SUITES`: ``"offline"`` (the 13 data sets of :data:`SUITE_DATASETS`)
        or ``"small"`` (five small ones).
    names : sequence of str, optional
        Keep only these data sets of the suite (in the suite's order).

    Returns
    -------
    dict
        ``{name: (X, y)}``; pass it to :func:`clfcompare.benchmark.run_benchmark`.

    Examples
    --------
    >>> from clfcompare.benchmark import load_suite
    >>> data = load_suite("offline")
    >>> len(data), list(data)[:4]
    (13, ['iris', 'wine', 'breast_cancer', 'digits'])
    """
    members = _check_suite(suite)
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in members]
        if unknown:
            raise InputError(
                f"data set(s) {unknown} are not in the suite {suite!r}; it holds "
                f"{', '.join(members)}"
            )
        members = [m for m in members if m in names]
    return {name: load_suite_dataset(name) for name in members}


def suite_table(suite="offline"):
    """The data sets of a suite: name, rows, features, classes and description (a DataFrame).

    Examples
    --------
    >>> from clfcompare.benchmark.suite import suite_table
    >>> suite_table("small")[["n_samples", "n_classes"]].loc["iris"].tolist()
    [150, 3]
    """
    import pandas as pd

    rows = []
    for name in _check_suite(suite):
        X, y = load_suite_dataset(name)
        rows.append((name, X.shape[0], X.shape[1], len(np.unique(y)), SUITE_DATASETS[name]))
    return pd.DataFrame(
        rows, columns=["dataset", "n_samples", "n_features", "n_classes", "description"]
    ).set_index("dataset")
