"""The ``clfcompare`` command: compare classifiers on a CSV file or a built-in data set.

Also the home of the study code that ``analyses/hw4.py`` shares with the command:
:func:`build_models` (the five models of the lecture), :func:`load_builtin`, :func:`load_csv`
and :func:`run_study` (repeated-CV trials into a resumable store, figures, the markdown report).

Examples
--------
From a shell::

    clfcompare iris                                  # all five models on the iris data
    clfcompare data.csv --target label --models gaussian_shared logistic_gd mlp_ce
    clfcompare curve4 --repeats 10 --folds 5 --out results/curve4
    clfcompare curve2 --quick                        # a smoke run in seconds
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MODEL_NAMES",
    "BUILTIN_DATASETS",
    "QUICK",
    "StudyInputError",
    "Study",
    "build_models",
    "describe_models",
    "curve_reference",
    "load_builtin",
    "load_csv",
    "check_study_data",
    "run_study",
    "CommandParser",
    "add_study_arguments",
    "study_from_args",
    "execute",
    "main",
]

#: Models a study can run, in the order they are reported.
MODEL_NAMES = ("gaussian_shared", "gaussian_separate", "logistic_gd", "mlp_mse", "mlp_ce")

_MODEL_HELP = {
    "gaussian_shared": "Gaussian generative model, one covariance shared by all classes "
    "(linear boundaries; the lecture's w and b)",
    "gaussian_separate": "Gaussian generative model, one covariance per class "
    "(quadratic boundaries)",
    "logistic_gd": "logistic regression (softmax for K classes) fitted by gradient descent, "
    "after standardising the features",
    "mlp_mse": "MLP 50-100-50 ReLU trained with the square loss (Design 1 of the lecture)",
    "mlp_ce": "MLP 50-100-50 ReLU trained with the cross-entropy loss (Design 2)",
}

#: Built-in data sets: the lecture's curves and scikit-learn's bundled real data (no download).
BUILTIN_DATASETS = {
    "curve2": "the lecture's curve data, 2 classes (160 points, 2 features)",
    "curve4": "the 4-class curve data of the homework (320 points, 2 features)",
    "iris": "scikit-learn's iris (150 flowers, 4 features, 3 classes)",
    "wine": "scikit-learn's wine (178 wines, 13 features, 3 classes)",
    "breast_cancer": "scikit-learn's breast cancer (569 tumours, 30 features, 2 classes)",
}

#: The settings of ``--quick``: a smoke run that finishes in seconds.
QUICK = {"n_repeats": 2, "n_folds": 3, "epochs": 5}

#: The lecture's network: hidden layers, mini-batch size, epochs (``range(1, 500)``).
SEED_HIDDEN = (50, 100, 50)
SEED_BATCH_SIZE = 5
SEED_EPOCHS = 499


class StudyInputError(ValueError):
    """Bad input to a study (a file, a column, the labels): reported in one line by the CLI."""


# --------------------------------------------------------------------------- models


def build_models(
    names=MODEL_NAMES,
    *,
    epochs=SEED_EPOCHS,
    device="auto",
    random_state=0,
    batch_size=SEED_BATCH_SIZE,
    hidden_layer_sizes=SEED_HIDDEN,
):
    """The study's models, unfitted, as ``{name: estimator}`` in ``MODEL_NAMES`` order.

    Parameters
    ----------
    names : sequence of str, default=MODEL_NAMES
        Any of ``gaussian_shared``, ``gaussian_separate``, ``logistic_gd``, ``mlp_mse``,
        ``mlp_ce``.
    epochs : int, default=499
        Training epochs of the MLPs (the lecture's ``for epoch in range(1, 500)``).
    device : str, default="auto"
        Torch device of the MLPs (``"auto"``: a GPU when torch sees one).
    random_state : int, default=0
        Seeds the MLPs' initialisation and batch order, and the mini-batches of the logistic
        regression (unused for full-batch gradient descent).
    batch_size : int, default=5
        The MLPs' mini-batch size (the lecture's).
    hidden_layer_sizes : tuple of int, default=(50, 100, 50)

    Returns
    -------
    models : dict
    """
    names = _check_model_names(names)
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from clfcompare.estimators.gaussian import GaussianGenerativeClassifier
    from clfcompare.estimators.logistic import GDLogisticRegression

    models = {}
    for name in MODEL_NAMES:
        if name not in names:
            continue
        if name == "gaussian_shared":
            models[name] = GaussianGenerativeClassifier(covariance="shared")
        elif name == "gaussian_separate":
            models[name] = GaussianGenerativeClassifier(covariance="separate")
        elif name == "logistic_gd":
            # The maximum-likelihood fit is invariant to affine changes of the features, but
            # gradient descent converges far faster on standardised ones (measured on curve4:
            # 1,923 iterations instead of more than 10,000).
            models[name] = Pipeline(
                [
                    ("scale", StandardScaler()),
                    ("logistic", GDLogisticRegression(random_state=random_state)),
                ]
            )
        else:
            from clfcompare.estimators._engine import resolve_device
            from clfcompare.estimators.mlp import TorchMLPClassifier

            try:  # a missing GPU is bad input: say so now, not deep inside the trials
                resolve_device(device)
            except (TypeError, ValueError) as err:
                raise StudyInputError(str(err)) from None

            models[name] = TorchMLPClassifier(
                loss="mse" if name == "mlp_mse" else "ce",
                hidden_layer_sizes=tuple(hidden_layer_sizes),
                batch_size=batch_size,
                max_epochs=int(epochs),
                learning_rate=None,
                device=device,
                random_state=random_state,
            )
    return models


def _check_model_names(names):
    if isinstance(names, str):
        names = [names]
    names = [str(n) for n in names]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise StudyInputError(f"unknown model(s) {unknown}; choose from {', '.join(MODEL_NAMES)}")
    if not names:
        raise StudyInputError("no models chosen")
    if len(set(names)) != len(names):
        raise StudyInputError(f"a model is listed twice: {names}")
    return names


def describe_models(models):
    """``{name: "what it is; its non-default settings"}`` for the report."""
    out = {}
    for name, est in models.items():
        what = _MODEL_HELP.get(name, type(est).__name__)
        last = est.steps[-1][1] if hasattr(est, "steps") else est
        params = last.get_params(deep=False)
        keys = [
            k
            for k in (
                "covariance",
                "loss",
                "hidden_layer_sizes",
                "batch_size",
                "max_epochs",
                "learning_rate",
                "max_iter",
                "tol",
                "device",
                "n_threads",
                "random_state",
            )
            if k in params
        ]
        settings = ", ".join(f"{k}={params[k]!r}" for k in keys)
        text = f"{what}. `{type(last).__name__}({settings})`"
        if "loss" in params and params.get("learning_rate", 0) is None:
            from clfcompare.estimators.mlp import DEFAULT_LEARNING_RATES

            lr = DEFAULT_LEARNING_RATES.get(params["loss"])
            text += f"; Adam learning rate {lr} (the lecture's for this loss)"
        out[name] = text
    return out


# --------------------------------------------------------------------------- data


def curve_reference(n_classes):
    """The ceiling of the K-class curve data: ``({label: accuracy}, sentence)``.

    The Bayes-optimal accuracy :math:`(K + 1) / (2K)` of
    :func:`clfcompare.datasets.bayes_accuracy` (0.75 for 2 classes, 0.625 for 4) as a reference
    for the report and its box plot, and a sentence for the data section.

    Examples
    --------
    >>> from clfcompare.cli import curve_reference
    >>> curve_reference(4)[0]
    {'Bayes-optimal accuracy': 0.625}
    """
    from clfcompare.datasets import bayes_accuracy

    acc = float(bayes_accuracy(n_classes))
    sentence = (
        f"The Bayes-optimal accuracy of this data is (K+1)/(2K) = {acc:.3f} for K = {n_classes} "
        f"(`clfcompare.datasets.bayes_accuracy({n_classes})`): the expected accuracy of the best "
        "possible classifier, the ceiling to judge the models against (a mean test accuracy a "
        "little above it is sampling noise of one finite data set)."
    )
    return {"Bayes-optimal accuracy": acc}, sentence


def load_builtin(name):
    """A built-in data set: ``(X, y, description)``.

    Parameters
    ----------
    name : {"curve2", "curve4", "iris", "wine", "breast_cancer"}

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    description : str
    """
    if name not in BUILTIN_DATASETS:
        raise StudyInputError(
            f"unknown data set {name!r}; built-in ones are {', '.join(BUILTIN_DATASETS)} "
            "(or give a CSV file with --target)"
        )
    if name.startswith("curve"):
        from clfcompare.datasets import load_curve

        k = int(name[-1])
        X, y = load_curve(k)
        return X, y, f"{BUILTIN_DATASETS[name]} (`clfcompare.datasets.load_curve({k})`)"
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    return (
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target),
        BUILTIN_DATASETS[name] + f" (`sklearn.datasets.load_{name}`)",
    )


_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _separator(path):
    """The field separator of a CSV file, read from its header (first non-blank) line.

    A comma when the line has one (or cannot be read: pandas then says why); else a
    semicolon or a tab when the line holds exactly one of them.
    """
    header = ""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next((line for line in fh if line.strip()), "")
    except (OSError, UnicodeDecodeError):
        pass
    if "," in header:
        return ","
    found = [sep for sep in (";", "\t") if sep in header]
    return found[0] if len(found) == 1 else ","


def load_csv(path, target):
    """Read a CSV file: the ``target`` column is the label, every other column a feature.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the label column.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float
    y : ndarray of shape (n_samples,)
    description : str

    Raises
    ------
    StudyInputError
        Missing or unreadable file, missing target column, no feature columns, non-numeric
        or missing feature values, missing labels, a feature column that is the row number.

    Notes
    -----
    The separator is read from the header line: a comma, or, when that line has no comma, a
    semicolon or a tab (whichever it holds; the description says which). The decimal mark
    is ``.`` (a decimal comma, ``1,5``, makes the column non-numeric, and the error says so).

    A first column with an empty header (the row index that ``DataFrame.to_csv()`` and R's
    ``write.csv`` write) is dropped, and the description says so.
    """
    path = Path(path)
    if path.is_dir():
        raise StudyInputError(f"{path} is a folder, not a CSV file")
    if not path.is_file():
        if str(path) in BUILTIN_DATASETS:
            raise StudyInputError(
                f"{path} is a built-in data set: drop --target (it names the label column of "
                "a CSV file)"
            )
        raise StudyInputError(f"no such file: {path}")
    sep = _separator(path)
    try:
        frame = pd.read_csv(path, sep=sep)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise StudyInputError(f"cannot read {path} as CSV: {str(err).strip()}") from None
    index_note = ""
    if frame.shape[1] and frame.columns[0] == "Unnamed: 0" and target != "Unnamed: 0":
        # an empty first header: the row index written by pandas' to_csv() or R's write.csv,
        # not a feature (with rows sorted by class it would predict the label)
        frame = frame.drop(columns=frame.columns[0])
        index_note = "; its first column, with an empty header, is the row index and is not used"
    if frame.shape[0] == 0:
        raise StudyInputError(f"{path} has a header but no data rows")
    if target not in frame.columns:
        raise StudyInputError(
            f"{path} has no column {target!r}; its columns are {list(frame.columns)}"
        )
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise StudyInputError(f"{path} has no feature columns besides the target {target!r}")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        decimal = (
            f" (the file was read as {_SEPARATORS[sep]}-separated with '.' as the decimal mark: "
            "write 1.5, not 1,5)"
            if sep != ","
            else ""
        )
        raise StudyInputError(
            f"non-numeric feature column(s) {bad} in {path}; encode them as numbers or drop "
            f"them{decimal}"
        )
    if features.isna().to_numpy().any():
        cols = list(features.columns[features.isna().any()])
        raise StudyInputError(f"missing values in feature column(s) {cols} of {path}")
    y = frame[target]
    if y.isna().any():
        raise StudyInputError(f"missing labels in column {target!r} of {path}")
    X = features.to_numpy(dtype=float)
    if not np.all(np.isfinite(X)):
        raise StudyInputError(f"infinite feature values in {path}")
    n = X.shape[0]
    counts = (np.arange(n), np.arange(1, n + 1))
    row_numbers = [
        c
        for c, col in zip(features.columns, X.T, strict=True)
        if n > 2 and any(np.array_equal(col, r) for r in counts)
    ]
    if row_numbers:
        raise StudyInputError(
            f"feature column(s) {row_numbers} of {path} hold the row number (0, 1, ... or "
            "1, 2, ...): a row index, not a measurement (with rows sorted by class it predicts "
            "the label); drop it"
        )
    y = y.to_numpy()
    if y.dtype == object:
        y = y.astype(str)
    sep_note = f" ({_SEPARATORS[sep]}-separated)" if sep != "," else ""
    desc = (
        f"`{path.name}`{sep_note}: {X.shape[0]} rows, {X.shape[1]} feature(s) "
        f"({', '.join(map(str, features.columns[:10]))}{', ...' if X.shape[1] > 10 else ''}), "
        f"target column `{target}`{index_note}"
    )
    return X, y, desc


def check_study_data(X, y, n_folds):
    """Refuse data that stratified k-fold cross-validation cannot split.

    Raises
    ------
    StudyInputError
        A single class, a continuous target (non-integer numbers, or nearly as many distinct
        values as rows), or a class with fewer rows than folds.
    """
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise StudyInputError(
            f"the target has a single class ({classes.tolist()[0]!r}); a classifier needs at "
            "least 2"
        )
    if len(classes) > 0.5 * len(y) and len(y) > 2 * n_folds:
        raise StudyInputError(
            f"the target has {len(classes)} distinct values in {len(y)} rows: it looks like a "
            "continuous quantity, but clfcompare compares classifiers (give a column of class "
            "labels)"
        )
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        example = next((c for c in classes.tolist() if isinstance(c, float) and c != int(c)), None)
        what = (
            f"non-integer numbers (e.g. {example!r}), which scikit-learn takes for a continuous "
            "quantity"
            if example is not None
            else f"values scikit-learn does not take for class labels (type {kind!r})"
        )
        raise StudyInputError(f"the target holds {what}; give class labels (integers or text)")
    small = [(c, n) for c, n in zip(classes.tolist(), counts.tolist(), strict=True) if n < n_folds]
    if small:
        more = f" and {len(small) - 5} more" if len(small) > 5 else ""
        raise StudyInputError(
            f"class(es) {[c for c, _ in small[:5]]}{more} have fewer rows "
            f"([{', '.join(str(n) for _, n in small[:5])}{', ...' if more else ''}]) than the "
            f"{n_folds} folds; use fewer --folds"
        )
    return classes, counts


# --------------------------------------------------------------------------- the study


@dataclass
class Study:
    """What :func:`run_study` produced."""

    results: object
    summary: pd.DataFrame
    report_path: Path
    store_path: Path
    timings: dict = field(default_factory=dict)
    n_resumed: int = 0


def _count_finished(store_path, models, n_splits=None):
    """Trials of ``models`` already in the store (0 when there is none or it is unreadable).

    With ``n_splits``, a store of another number of splits counts 0: its trials cannot be
    reused (the store refuses the run), and counting them gave "250 of 30". Reads the store's
    set-up and its list of finished trials only (not their predictions): it runs at the start
    and on Ctrl-C.
    """
    if not store_path.exists():
        return 0
    from clfcompare.trials._store import TrialStore

    try:
        with TrialStore(store_path, read_only=True) as db:
            if n_splits is not None and db.meta["n_splits"] != n_splits:
                return 0
            names = set(models)
            return sum(1 for model, _ in db.finished() if model in names)
    except Exception:  # an unreadable store is reported by run_trials itself
        return 0


def _model_threads(models):
    """What the models' ``n_threads`` set, e.g. "1 (mlp_mse, mlp_ce: n_threads=1)" ("": none).

    The machine table's "torch threads (process default)" is not what a model with its own
    ``n_threads`` trains with.
    """
    by_value = {}
    for name, est in models.items():
        last = est.steps[-1][1] if hasattr(est, "steps") else est
        params = last.get_params(deep=False)
        if "n_threads" in params:
            by_value.setdefault(params["n_threads"], []).append(str(name))
    parts = []
    for value, names in by_value.items():
        shown = "the process default" if value is None else str(value)
        parts.append(f"{shown} ({', '.join(names)}: n_threads={value!r})")
    return "; ".join(parts)


def _stderr(msg):
    print(msg, file=sys.stderr, flush=True)


def run_study(
    X,
    y,
    *,
    models,
    out_dir,
    store_name="study.sqlite",
    n_repeats=10,
    n_folds=5,
    n_jobs=None,
    random_state=0,
    title="Classifier comparison",
    data_description=None,
    is_curve=False,
    device=None,
    progress=True,
    log=_stderr,
    notes=None,
    references=None,
):
    """Run a repeated-CV comparison into a resumable store and write figures and a report.

    Steps: ``run_trials`` with ``RepeatedStratifiedKFold(n_folds, n_repeats, random_state)``
    and the store ``out_dir/store_name`` (a second run resumes: finished trials are not
    redone); the figures (data and decision regions when there are 2 features, the box plot,
    the CD diagram, the loss curves); ``report.md`` by :func:`clfcompare.report.write_report`.
    The figures it draws are closed when it returns or fails; the caller's stay open.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    models : dict ``{name: unfitted estimator}``
    out_dir : str or Path
    store_name : str, default="study.sqlite"
    n_repeats, n_folds : int, default=10, 5
    n_jobs : int, default=None
        joblib workers for the trials.
    random_state : int, default=0
        Seeds the splits.
    title : str
    data_description : str
    is_curve : bool, default=False
        Draw the true curve in the data figure.
    device : str, default=None
        Reported in the machine section.
    progress : bool, default=True
        tqdm bar (on a terminal) and progress lines through ``log``.
    log : callable, default: print to stderr
        Where progress lines go (``None``: nowhere).
    notes : sequence of str, optional
        Extra lines for the report's "Notes and warnings".
    references : mapping, optional
        ``{label: accuracy}`` to judge the models against (e.g. the Bayes-optimal accuracy of
        :func:`curve_reference`): under the report's table and in its box plot.

    Returns
    -------
    Study
    """
    import matplotlib.pyplot as plt
    from sklearn.base import clone
    from sklearn.model_selection import RepeatedStratifiedKFold

    from clfcompare import plots, report
    from clfcompare.trials import run_trials

    say = log if (log is not None and progress) else (lambda *a, **k: None)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    check_study_data(y=y, X=X, n_folds=n_folds)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise StudyInputError(
            f"the output folder {out_dir} is a file, not a folder (give another --out)"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StudyInputError(
            f"cannot create the output folder {out_dir}: {err.strerror or err}"
        ) from None
    store = out_dir / store_name
    timings = {}
    t_start = time.perf_counter()

    n_splits = n_repeats * n_folds
    total = n_splits * len(models)
    n_done = _count_finished(store, models, n_splits)
    if n_done:  # run_trials checks next that the store was made with these settings
        say(
            f"found {n_done} of {total} trials already stored in {store}; they are reused if "
            "the store was made with these settings"
        )
    say(
        f"running {len(models)} model{'s' if len(models) > 1 else ''} x {n_splits} splits "
        f"({n_repeats} x {n_folds}-fold repeated stratified CV) on {X.shape[0]} rows -> {store}"
    )
    cv = RepeatedStratifiedKFold(n_splits=n_folds, n_repeats=n_repeats, random_state=random_state)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # fits may warn once per split (e.g. a logistic regression on separable data):
        # collect them and report each kind once, with its count, instead of 50 times
        warnings.simplefilter("always")
        try:
            results = run_trials(
                models, X, y, cv=cv, n_jobs=n_jobs, store=store, progress=progress
            )
        except ValueError as err:
            refusal = _store_refusal(err, store)
            if refusal:
                raise StudyInputError(refusal) from None
            if "trial store" in str(err):
                raise StudyInputError(str(err)) from None
            failure = _fit_failure(err)
            if failure:  # a model refused this data (its own message says why)
                raise StudyInputError(failure) from None
            raise
        except KeyboardInterrupt:  # Ctrl-C: say what is kept (execute prints it in one line)
            n_stored = _count_finished(store, models, n_splits)
            raise KeyboardInterrupt(
                f"{n_stored} of {total} trials are in the store {store}; run the same command "
                "again to resume"
            ) from None
    warned = summarise_warnings(caught)
    for note in warned:
        say(f"warning: {note}")
    notes = [str(n) for n in ([notes] if isinstance(notes, str) else (notes or []))] + [
        f"Splits: `RepeatedStratifiedKFold(n_splits={n_folds}, n_repeats={n_repeats}, "
        f"random_state={random_state})`; store `{store.name}`."
    ]
    if n_done:
        notes.append(
            f"{n_done} of {total} trials were read from the store (finished by an earlier "
            "run); the timings below cover only this run, the per-trial fit times all trials."
        )
    notes += warned
    timings["trials"] = time.perf_counter() - t0
    resumed = f" ({n_done} of {total} read from the store {store})" if n_done else ""
    say(f"trials done in {timings['trials']:.1f} s{resumed}")

    own_figures = set(plt.get_fignums())  # the caller's: left open
    try:
        t0 = time.perf_counter()
        extra = {}
        if X.shape[1] == 2:
            ax = plots.plot_curve_data(
                X, y, show_curve=is_curve, title=None if is_curve else "Data"
            )
            extra["The data"] = ax.figure
            train, test = next(iter(cv.split(X, y)))  # split 0 of the trials
            say("refitting every model on split 0 for the decision-region figure")
            with warnings.catch_warnings():
                # the convergence of an individual refit is already part of the trials
                warnings.simplefilter("ignore", category=UserWarning)
                fitted = {name: clone(est).fit(X[train], y[train]) for name, est in models.items()}
            extra["Decision regions (split 0)"] = plots.plot_decision_regions(
                fitted, X[test], y[test]
            )
        timings["decision-region refits and data figure"] = time.perf_counter() - t0

        timings["total before the report"] = time.perf_counter() - t_start
        t0 = time.perf_counter()
        machine = report.describe_machine(device=device)
        threads = _model_threads(models)
        if threads:
            machine["torch threads of the models"] = threads
        path = report.write_report(
            results,
            out_dir,
            title=title,
            data_description=data_description,
            models_description=describe_models(models),
            machine_info=machine,
            timings=timings,
            figures=extra,
            notes=notes,
            references=references,
            curve_classes=len(np.unique(y)) if is_curve else None,
        )
        timings["report"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
    finally:  # ours, also when the report fails (no pile-up in a long session)
        for num in set(plt.get_fignums()) - own_figures:
            plt.close(num)
    return Study(
        results=results,
        summary=report.summary_table(results),
        report_path=path,
        store_path=store,
        timings=timings,
        n_resumed=n_done,
    )


#: A rendered parameter value that is an estimator (``module.Class(...)``) or a list of
#: pipeline steps (``[(...)]``).
_WHOLE_ESTIMATOR = re.compile(r"^(\[\(|[\w.]+\()")

#: Model parameters in the trial store's fingerprint that a command-line option sets.
_OPTION_OF_PARAM = {"random_state": "--seed", "max_epochs": "--epochs", "device": "--device"}


def _cli_difference(d):
    """One :class:`~clfcompare.trials.SetupDifference` in the command's words."""
    if d.kind == "splits":  # the same number of splits: only the split seed can have moved them
        if d.stored == d.now:
            why = f"both {d.now} splits: another --seed, which seeds the splits"
        else:
            why = f"stored {d.stored} splits, now {d.now}: --repeats x --folds"
        return f"the cross-validation splits differ ({why})"
    text = d.text(advice=False)
    opt = _OPTION_OF_PARAM.get(d.name.split("__")[-1]) if d.kind == "model-param" else None
    return f"{d.name} = {opt}{text[len(d.name) :]}" if opt else text


def _store_refusal(err, store):
    """The trial store's refusal of another set-up, in the command's words ("" if not one).

    The trials layer names the differences and says "pass the same cv"; a command-line user
    needs the options that set them, or a fresh store.
    """
    from clfcompare.trials import SetupMismatch
    from clfcompare.trials._store import group_differences

    if not isinstance(err, SetupMismatch):
        return ""
    diffs = []
    for model, group in group_differences(err.differences):
        if model is None:
            diffs.append(_cli_difference(group[0]))
            continue
        # a pipeline's steps repeat its parameters as whole estimators: drop those
        kept = [d for d in group if not _WHOLE_ESTIMATOR.match(d.stored or "")] or group
        diffs.append(
            f"model {model!r} parameters differ: " + "; ".join(_cli_difference(d) for d in kept)
        )
    if err.empty:  # set up by a run whose first trial failed
        what = "was set up for other settings by a run that finished no trial"
        lost = "; nothing is lost by deleting it"
    else:
        what, lost = "holds trials run with other settings", ""
    return (
        f"the store {store} {what} ({'; '.join(diffs)}); mixing them would break the paired "
        "design. Rerun with the settings it was made with (the same data, --seed, --repeats, "
        "--folds, --epochs or --quick, --device; other --models are added to it), give a new "
        f"--out, or delete {store} to start afresh{lost}"
    )


def _fit_failure(err):
    """One line for a model's ValueError on the data, from what run_trials attached to it
    ("" if it did not come from a model's trial)."""
    model = getattr(err, "clfcompare_model", None)
    if model is None:
        return ""
    what = getattr(err, "clfcompare_context", "its trials")
    msg = " ".join(str(err).split())
    return (
        f"model {model!r} failed on this data ({what}): {msg} (the trials finished "
        "before it are kept in the store)"
    )


def summarise_warnings(records):
    """Group warnings that differ only in their numbers: ``["Category xN: message", ...]``."""
    groups = {}
    for w in records:
        msg = str(w.message).strip()
        key = (w.category.__name__, re.sub(r"[-+]?\d[\d.e+-]*", "#", msg))
        if key in groups:
            groups[key][1] += 1
        else:
            groups[key] = [msg, 1]
    return [
        f"{cat} ({n} time{'s' if n > 1 else ''} during the trials), e.g.: {msg}"
        for (cat, _), (msg, n) in groups.items()
    ]


def format_summary(summary):
    """The summary table as aligned plain text for a terminal."""
    rows = [("model", "mean acc", "sd", "min", "max", "trials", "fit s/trial")]
    for m, r in summary.iterrows():
        rows.append(
            (
                str(m),
                f"{r['mean']:.3f}",
                f"{r['sd']:.3f}",
                f"{r['min']:.3f}",
                f"{r['max']:.3f}",
                str(int(r["n_trials"])),
                f"{r['fit_time_mean']:.3f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


# --------------------------------------------------------------------------- the command


class CommandParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2, no usage dump)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError(
            "expected a positive number of workers, or -1 for one per CPU core; got 0"
        )
    return value


#: The largest seed numpy's RandomState (and so scikit-learn's splitters) accepts.
_MAX_SEED = 2**32 - 1


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= _MAX_SEED:
        shown = repr(text) if value is None else value
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {_MAX_SEED}, got {shown}"
        ) from None
    return value


def _wrap(text, width=79, indent=""):
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)


def _listing(items, key_width, width=79):
    """``name  description`` lines, the descriptions wrapped under themselves."""
    pad = " " * (2 + key_width + 1)
    return "\n".join(
        textwrap.fill(
            f"  {k:<{key_width}} {v}", width, subsequent_indent=pad, break_on_hyphens=False
        )
        for k, v in items.items()
    )


def add_study_arguments(parser, *, out_default=None, out_help):
    """The options a study shares between ``clfcompare`` and ``analyses/hw4.py``.

    ``--models --repeats --folds --epochs --device --out --n-jobs --seed --quick
    --no-progress``; :func:`study_from_args` runs a study from them.
    """
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="MODEL",
        default=list(MODEL_NAMES),
        help=f"models to compare (default: all five: {' '.join(MODEL_NAMES)})",
    )
    parser.add_argument(
        "--repeats", type=_positive_int, default=10, help="CV repeats (default: 10)"
    )
    parser.add_argument(
        "--folds", type=_positive_int, default=5, help="CV folds per repeat (default: 5)"
    )
    parser.add_argument(
        "--epochs",
        type=_positive_int,
        default=SEED_EPOCHS,
        help=f"training epochs of the MLPs (default: {SEED_EPOCHS}, the lecture's)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="torch device of the MLPs: auto (a GPU if there is one), cpu, cuda, cuda:N "
        "(default: auto)",
    )
    parser.add_argument("--out", metavar="DIR", default=out_default, help=out_help)
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel worker processes for the trials, -1 for one per core (default: 1)",
    )
    parser.add_argument(
        "--seed", type=_seed, default=0, help="seeds the splits and the models (default: 0)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke-test settings: {QUICK['n_repeats']} repeats x {QUICK['n_folds']} folds, "
        f"{QUICK['epochs']} epochs (overrides --repeats, --folds, --epochs)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar or progress lines"
    )
    return parser


def study_from_args(args, X, y, *, out_dir, notes=None, **study_kwargs):
    """Build the models and run :func:`run_study` with the options of
    :func:`add_study_arguments`.

    ``--quick`` replaces repeats, folds and epochs by :data:`QUICK`, marks the report's title
    as a smoke test and adds a note that its numbers test the pipeline, not the models.

    Raises
    ------
    StudyInputError
        Unknown models, fewer than 2 folds, data the folds cannot split, a missing GPU.
    """
    names = _check_model_names(args.models)
    n_repeats, n_folds, epochs = args.repeats, args.folds, args.epochs
    notes = list(notes or [])
    if args.quick:
        n_repeats, n_folds, epochs = QUICK["n_repeats"], QUICK["n_folds"], QUICK["epochs"]
        # said where a reader starts, not only in the notes at the end
        study_kwargs["title"] = (
            study_kwargs.get("title", "Classifier comparison") + " (smoke test, --quick)"
        )
        notes.insert(
            0,
            f"**Smoke-test settings (`--quick`)**: {n_repeats} repeats × {n_folds} folds and "
            f"{epochs} training epochs. The networks are barely trained: these numbers check "
            "the pipeline and say nothing about the models.",
        )
    if n_folds < 2:
        raise StudyInputError(f"--folds must be at least 2, got {n_folds}")
    check_study_data(X, y, n_folds)
    models = build_models(names, epochs=epochs, device=args.device, random_state=args.seed)
    return run_study(
        X,
        y,
        models=models,
        out_dir=out_dir,
        n_repeats=n_repeats,
        n_folds=n_folds,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        device=args.device,
        progress=not args.no_progress,
        notes=notes,
        **study_kwargs,
    )


def execute(prog, run, *, t_start=None):
    """Run a study and print its summary, the report's path and the wall time.

    Parameters
    ----------
    prog : str
        The command's name, prefixed to error lines.
    run : callable
        ``run() -> Study``.
    t_start : float, optional
        ``time.perf_counter()`` when the command started (default: now).

    Returns
    -------
    code : int
        0 on success, 2 on bad input (a :class:`StudyInputError`: one line on stderr), 130
        when interrupted (Ctrl-C: one line on stderr, e.g. how many trials the store holds).
    """
    t_start = time.perf_counter() if t_start is None else t_start
    try:
        study = run()
    except StudyInputError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        detail = f"; {err}" if str(err) else ""
        print(f"{prog}: interrupted{detail}", file=sys.stderr)
        return 130
    print(format_summary(study.summary))
    print(f"report: {study.report_path}")
    resumed = f", {study.n_resumed} trials resumed from the store" if study.n_resumed else ""
    print(
        f"wall time: {time.perf_counter() - t_start:.1f} s "
        f"(trials {study.timings['trials']:.1f} s{resumed})"
    )
    return 0


def make_parser(prog="clfcompare"):
    """The argument parser of the ``clfcompare`` command."""
    parser = CommandParser(
        prog=prog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_wrap(
            "Compare classifiers on one data set, as a statistician would: every model is "
            "trained and tested on the same repeated stratified cross-validation splits, the "
            "scores go into a resumable SQLite store, and a markdown report (report.md, with "
            "PNG figures beside it) gives mean ± sd accuracy per model, pairwise significance "
            "tests (corrected t-test, Holm-adjusted, and Bayesian probabilities) and a "
            "critical-difference diagram."
        ),
        epilog=(
            f"built-in data sets:\n{_listing(BUILTIN_DATASETS, 14)}\n\n"
            f"models:\n{_listing(_MODEL_HELP, 18)}\n\n"
            "examples:\n"
            "  clfcompare iris\n"
            "  clfcompare mydata.csv --target label --models gaussian_shared mlp_ce\n"
            "  clfcompare curve4 --repeats 10 --folds 5 --out results/curve4\n"
            "  clfcompare curve2 --quick            # smoke run in seconds\n\n"
            "Running the same command again resumes from the store in --out.\n"
            "The MLPs train on the features as given (the curve data are already scaled to\n"
            "[0, 1]); if your columns have very different ranges, standardise them first.\n"
            "The logistic regression standardises inside each training split by itself.\n"
            "Exit codes: 0 done, 2 bad input (one line on stderr says what), 130\n"
            "interrupted (Ctrl-C; the finished trials stay in the store)."
        ),
    )
    parser.add_argument(
        "data",
        help="a built-in data set name (see below) or the path of a CSV file (then give --target)",
    )
    parser.add_argument(
        "--target",
        metavar="COLUMN",
        help="the label column of the CSV file (comma-, semicolon- or tab-separated, read "
        "from its header line; '.' as the decimal mark); every other column is a numeric "
        "feature",
    )
    return add_study_arguments(
        parser,
        out_help="output folder for the store, figures and report.md "
        "(default: results/<data set name>, with --quick results/<data set name>_quick)",
    )


def _load(args):
    if args.target is None:
        if args.data in BUILTIN_DATASETS:
            return load_builtin(args.data)
        if Path(args.data).suffix.lower() == ".csv" or Path(args.data).exists():
            raise StudyInputError(f"give the label column of {args.data} with --target")
        raise StudyInputError(
            f"unknown data set {args.data!r}; built-in ones are "
            f"{', '.join(BUILTIN_DATASETS)}, or give a CSV file with --target"
        )
    return load_csv(args.data, args.target)


def main(argv=None):
    """Entry point of the ``clfcompare`` console script; returns the exit code.

    Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 130 interrupted.
    """
    t_start = time.perf_counter()
    parser = make_parser()
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # a command writes files; it never opens windows

    def run():
        _check_model_names(args.models)
        X, y, desc = _load(args)
        name = args.data if args.target is None else Path(args.data).stem
        classes, counts = np.unique(y, return_counts=True)
        data_desc = (
            f"{desc}. {X.shape[0]} rows, {X.shape[1]} features, {len(classes)} classes "
            f"(counts: {', '.join(f'{c}: {n}' for c, n in zip(classes, counts, strict=True))})."
        )
        references = None
        is_curve = args.target is None and args.data.startswith("curve")
        if is_curve:
            references, sentence = curve_reference(len(classes))
            data_desc += " " + sentence
        return study_from_args(
            args,
            X,
            y,
            out_dir=Path(args.out)
            if args.out
            else Path("results") / (f"{name}_quick" if args.quick else name),
            title=f"Classifier comparison on {name}",
            data_description=data_desc,
            is_curve=is_curve,
            references=references,
        )

    return execute(parser.prog, run, t_start=t_start)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
