"""A study: data -> models -> trials -> analysis -> figures -> report, in one call.

The one orchestration that the ``clfcompare`` command and the ``analyses/`` scripts call (as
scikit-learn's ``cross_val_score`` is a thin layer over ``cross_validate``):

* :func:`build_models` — the five models of the lecture, unfitted (:data:`MODEL_NAMES`);
* :func:`run_study` — repeated stratified cross-validation of them on ``X, y`` (by default
  with Nadeau and Bengio's half/half partitions beside it, for the conservative Z test that
  holds its level for unstable learners such as the networks, and with every split's models
  seeded afresh from their ``random_state``) into a resumable trial store
  (:func:`clfcompare.trials.run_trials`), every number computed once
  (:func:`clfcompare.analysis.analyse`), the figures (the decision regions drawn from the
  models the trials fitted on split 0, nothing refitted but what a store gave back; the
  reliability diagram and the log loss and Brier score of the stored probabilities), and
  ``report.md`` (:func:`clfcompare.report.write_report`); returns a :class:`Study`;
* :func:`prepare_models` — a preprocessor in front of every model, standardised networks.

Errors are worded in parameter names (``n_folds``, ``out_dir``, ``random_state``). Bad input is
a :class:`clfcompare._checks.InputError` (``StudyInputError`` is the same class); a trial store
made with other settings raises :class:`clfcompare.trials.SetupMismatch`, a model failing on the
data its own ``ValueError`` (with ``clfcompare_model``), and Ctrl-C :class:`StudyInterrupted`:
the study lets them propagate, and the command line words them in its options.

Examples
--------
>>> from clfcompare.datasets import load_builtin
>>> from clfcompare.study import build_models, run_study
>>> X, y, _ = load_builtin("iris")
>>> study = run_study(X, y, models=build_models(["gaussian_shared", "logistic_gd"]),
...                   out_dir="results/iris", n_repeats=2, n_folds=3,
...                   progress=False)  # doctest: +SKIP
>>> study.comparison.pairwise  # doctest: +SKIP

Why one module of about 1,150 lines: it is the one orchestration of a study (data checks,
models and their preprocessing, the trial design and its seeds, the trials, the analysis, the
figures and the calibration of the probabilities, the report and the notes that tie them
together); each step is a small function here, and splitting them across modules would scatter
one sequence a reader follows from top to bottom.
"""

from __future__ import annotations

import re
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clfcompare._checks import InputError, check_int, check_names

__all__ = [
    "InputError",
    "MODEL_NAMES",
    "MODEL_DESCRIPTIONS",
    "GAUSSIAN_FITS",
    "N_PARTITIONS",
    "SEEDINGS",
    "STABLE_MODELS",
    "SEED_HIDDEN",
    "SEED_BATCH_SIZE",
    "SEED_EPOCHS",
    "StudyInputError",
    "StudyInterrupted",
    "Study",
    "build_models",
    "check_model_names",
    "describe_models",
    "prepare_models",
    "run_study",
    "summarise_warnings",
]

#: Models a study can run, in the order they are reported.
MODEL_NAMES = ("gaussian_shared", "gaussian_separate", "logistic_gd", "mlp_mse", "mlp_ce")

#: What each model of :data:`MODEL_NAMES` is, in words (the report and the command's help).
MODEL_DESCRIPTIONS = {
    "gaussian_shared": "Gaussian generative model, one covariance shared by all classes "
    "(linear boundaries; the lecture's w and b)",
    "gaussian_separate": "Gaussian generative model, one covariance per class "
    "(quadratic boundaries)",
    "logistic_gd": "logistic regression (softmax for K classes) fitted by gradient descent, "
    "after standardising the features",
    "mlp_mse": "MLP 50-100-50 ReLU trained with the square loss (Design 1 of the lecture)",
    "mlp_ce": "MLP 50-100-50 ReLU trained with the cross-entropy loss (Design 2)",
}

#: The models of :data:`MODEL_NAMES` that are stable learners (a small change of the training
#: rows moves the fit little, and nothing is random): the corrected t-test holds its level for
#: a pair of them. The networks are not (their fit depends on the initial weights and the
#: order of the mini-batches).
STABLE_MODELS = ("gaussian_shared", "gaussian_separate", "logistic_gd")

#: How :func:`build_models` fits the Gaussian models' covariances (its ``gaussian``): the
#: maximum-likelihood ones (a singular one refused), the same with a pseudo-inverse where one
#: is singular, or Ledoit-Wolf shrunk ones.
GAUSSIAN_FITS = ("exact", "pinv", "shrinkage")

#: Half/half partitions of the rows beside the main CV (Nadeau and Bengio's conservative Z).
N_PARTITIONS = 10

#: How the models' integer ``random_state`` seeds the splits: ``"common"`` (each split its own
#: seed derived from the model's ``random_state``; the models of a split share it),
#: ``"per_model"`` (each model its own seeds too) or ``"fixed"`` (every split fitted with the
#: model's own ``random_state``, as before issue 11: the initialisation's variance is never
#: sampled; for reproducing old results).
SEEDINGS = ("common", "per_model", "fixed")

#: The lecture's network: hidden layers, mini-batch size, epochs (``range(1, 500)``).
SEED_HIDDEN = (50, 100, 50)
SEED_BATCH_SIZE = 5
SEED_EPOCHS = 499

#: The study's bad-input error (kept as a name for code written before ``InputError``).
StudyInputError = InputError


class StudyInterrupted(KeyboardInterrupt):
    """Ctrl-C during a study's trials: what the store kept.

    Attributes
    ----------
    store : Path
    n_finished : int
        Trials of the study's models in the store (the finished ones are kept).
    n_total : int
        Trials of the whole study.
    """

    def __init__(self, store, n_finished, n_total):
        super().__init__(
            f"{n_finished} of {n_total} trials are in the store {store}; run_study with the "
            "same arguments resumes"
        )
        self.store, self.n_finished, self.n_total = Path(store), n_finished, n_total


# --------------------------------------------------------------------------- models


def check_model_names(names):
    """``names`` as a list of known, distinct model names (a string is one name).

    Raises
    ------
    InputError
        An unknown name, none, or a name twice.
    """
    if isinstance(names, str):
        names = [names]
    names = [str(n) for n in names]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise InputError(f"unknown model(s) {unknown}; choose from {', '.join(MODEL_NAMES)}")
    if not names:
        raise InputError("no models chosen")
    if len(set(names)) != len(names):
        raise InputError(f"a model is listed twice: {names}")
    return names


def build_models(
    names=MODEL_NAMES,
    *,
    epochs=SEED_EPOCHS,
    device="auto",
    random_state=0,
    batch_size=SEED_BATCH_SIZE,
    hidden_layer_sizes=SEED_HIDDEN,
    scale_mlp=False,
    gaussian="exact",
):
    """The study's models, unfitted, as ``{name: estimator}`` in ``MODEL_NAMES`` order.

    Parameters
    ----------
    names : sequence of str, default=MODEL_NAMES
        Any of ``gaussian_shared``, ``gaussian_separate``, ``logistic_gd``, ``mlp_mse``,
        ``mlp_ce`` (checked here, once).
    epochs : int, default=499
        Training epochs of the MLPs (the lecture's ``for epoch in range(1, 500)``).
    device : str, default="auto"
        Torch device of the MLPs (``"auto"``: a GPU when torch sees one); a device torch does
        not see is an :class:`InputError` now, not deep inside the trials.
    random_state : int, default=0
        Seeds the MLPs' initialisation and batch order, and the mini-batches of the logistic
        regression (unused for full-batch gradient descent).
    batch_size : int, default=5
        The MLPs' mini-batch size (the lecture's).
    hidden_layer_sizes : tuple of int, default=(50, 100, 50)
    scale_mlp : bool, default=False
        Standardise the MLPs' inputs: each becomes ``Pipeline([("scale", StandardScaler()),
        ("mlp", TorchMLPClassifier(...))])`` (the scaler fitted on each training split; the
        trial runner still trains the networks of all splits together). ``False``: the
        lecture's network on the features as given (the curve data are min-max normalised
        already); the ``clfcompare`` command standardises by default.
    gaussian : {"exact", "pinv", "shrinkage"}, default="exact"
        How the two Gaussian models treat their covariances (:data:`GAUSSIAN_FITS`).
        ``"exact"``: the maximum-likelihood estimates, and a singular one (a constant
        feature, one-hot columns that sum to 1, too few rows) is a ``ValueError`` (the
        lecture's model; ``analyses/hw4.py``). ``"pinv"``: the same estimates, a singular one
        used through its pseudo-inverse (``allow_singular=True``): on data whose covariances
        are invertible the model, and every score, is the exact one bit for bit, and on
        rank-deficient data (``digits``, one-hot columns) it is the Gaussian on the data's
        affine span (the ``clfcompare`` command's default). ``"shrinkage"``: Ledoit-Wolf
        shrunk covariances (``shrinkage="auto"``, as ``LinearDiscriminantAnalysis(
        solver="lsqr", shrinkage="auto")``), another model on every data set.

    Returns
    -------
    models : dict
    """
    from clfcompare._checks import check_bool, check_choice

    names = check_model_names(names)
    scale_mlp = check_bool(scale_mlp, "scale_mlp")
    gaussian_params = {"exact": {}, "pinv": {"allow_singular": True}, "shrinkage": {
        "shrinkage": "auto"}}[check_choice(gaussian, "gaussian", GAUSSIAN_FITS)]  # fmt: skip
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
            models[name] = GaussianGenerativeClassifier(covariance="shared", **gaussian_params)
        elif name == "gaussian_separate":
            models[name] = GaussianGenerativeClassifier(covariance="separate", **gaussian_params)
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
            from clfcompare.estimators import TorchMLPClassifier, resolve_device

            try:  # a missing GPU is bad input: say so now, not deep inside the trials
                resolve_device(device)
            except (TypeError, ValueError) as err:
                raise InputError(str(err)) from None

            models[name] = TorchMLPClassifier(
                loss="mse" if name == "mlp_mse" else "ce",
                hidden_layer_sizes=tuple(hidden_layer_sizes),
                batch_size=batch_size,
                max_epochs=int(epochs),
                learning_rate=None,
                device=device,
                random_state=random_state,
            )
            if scale_mlp:
                models[name] = Pipeline([("scale", StandardScaler()), ("mlp", models[name])])
    return models


def _is_mlp(est):
    """Whether ``est`` is a bare network (clfcompare's or scikit-learn's MLP)."""
    from sklearn.neural_network import MLPClassifier

    if isinstance(est, MLPClassifier):
        return True
    if type(est).__name__ != "TorchMLPClassifier":  # no torch import for other models
        return False
    from clfcompare.estimators import TorchMLPClassifier

    return isinstance(est, TorchMLPClassifier)


#: Names a Pipeline step cannot take (its own parameters).
_PIPELINE_PARAMS = ("steps", "memory", "verbose", "transform_input")


def _step_name(name, taken):
    """A Pipeline step name for the model ``name`` (``"model"`` when ``name`` cannot be one)."""
    name = str(name)
    ok = name and "__" not in name and name not in _PIPELINE_PARAMS and name not in taken
    return name if ok else "model"


def prepare_models(models, *, preprocessor=None, scale_mlp=False):
    """``models`` with the study's preprocessing: standardised networks, a preprocessor first.

    Parameters
    ----------
    models : dict ``{name: unfitted estimator}``
    preprocessor : scikit-learn transformer, optional
        Put in front of every model, a fresh clone each: a bare model becomes
        ``Pipeline([("preprocess", preprocessor), (name, model)])`` (the step named
        ``"model"`` when ``name`` cannot name a step), a Pipeline gets it as its first step
        (flat, so that a Pipeline whose last step trains many splits at once keeps doing so).
        E.g. a ``ColumnTransformer`` that imputes missing values and one-hot encodes text
        columns; it is fitted on each training split only.
    scale_mlp : bool, default=False
        A bare network (``TorchMLPClassifier`` or ``MLPClassifier``) becomes
        ``Pipeline([("scale", StandardScaler()), ("mlp", network)])`` (after the
        preprocessor). Networks already inside a Pipeline are left as they are.

    Returns
    -------
    dict
        New ``{name: estimator}``; the models not changed are the same objects.

    Raises
    ------
    TypeError
        ``preprocessor`` is not a transformer (no ``fit`` and ``transform``).
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from clfcompare._checks import check_bool

    scale_mlp = check_bool(scale_mlp, "scale_mlp")
    if preprocessor is not None and not (
        hasattr(preprocessor, "fit") and hasattr(preprocessor, "transform")
    ):
        raise TypeError(
            "preprocessor must be a scikit-learn transformer (with fit and transform), got "
            f"{type(preprocessor).__name__}"
        )
    out = {}
    for name, est in models.items():
        if scale_mlp and _is_mlp(est):
            est = Pipeline([("scale", StandardScaler()), ("mlp", est)])
        if preprocessor is not None:
            if isinstance(est, Pipeline):
                steps = list(clone(est).steps)
                extra = {"memory": est.memory, "verbose": est.verbose}
            else:
                steps, extra = [(_step_name(name, {"preprocess"}), est)], {}
            taken = {n for n, _ in steps}
            first = "preprocess"
            while first in taken:
                first += "_"
            est = Pipeline([(first, clone(preprocessor)), *steps], **extra)
        out[name] = est
    return out


def _last_step(est):
    return est.steps[-1][1] if hasattr(est, "steps") else est


def describe_models(models):
    """``{name: "what it is; its non-default settings"}`` for the report.

    The descriptions are :class:`~clfcompare.report.Markdown`: the settings are a code span
    (:func:`~clfcompare.report.code_span`), and a parameter value or class name that is not
    plain text is escaped.
    """
    from clfcompare.report import Markdown, code_span, escape_markdown

    out = {}
    for name, est in models.items():
        what = MODEL_DESCRIPTIONS.get(name, type(est).__name__)
        last = _last_step(est)
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
        keys += [  # shown only when set: the lecture's model otherwise
            k
            for k, default in (("reg_covar", 0.0), ("shrinkage", None), ("allow_singular", False))
            if k in params and params[k] != default
        ]
        settings = ", ".join(f"{k}={params[k]!r}" for k in keys)
        text = f"{escape_markdown(what)}. {code_span(f'{type(last).__name__}({settings})')}"
        if "loss" in params and params.get("learning_rate", 0) is None:
            from clfcompare.estimators.mlp import DEFAULT_LEARNING_RATES

            lr = DEFAULT_LEARNING_RATES.get(params["loss"])
            text += f"; Adam learning rate {escape_markdown(lr)} (the lecture's for this loss)"
        out[name] = Markdown(text)
    return out


def _describe(models, scaled):
    """:func:`describe_models`, saying which networks standardise their inputs."""
    from clfcompare.report import Markdown

    out = describe_models(models)
    for name in scaled:
        out[name] = Markdown(
            f"{out[name]}; inputs standardised (`StandardScaler` fitted on each training split)"
        )
    return out


def _default_n_jobs(models):
    """The study's trial workers when ``n_jobs`` is None: one per network that trains on the
    CPU, at most the cores this process may use, and 1 without such a network.

    The trial runner trains all splits of a network as one batched task, and the networks
    dominate a study's time: on an idle 2-core CPU (the H200 host pinned to two cores) the
    HW4 study took 99 s with 2 workers and 155 s with 1. The other models are cheap, and a
    network on a GPU gains nothing from a second CPU process.
    """
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    on_cpu = 0
    for est in models.values():
        last = _last_step(est)
        if not _is_mlp(last):
            continue
        device = last.get_params(deep=False).get("device", "cpu")
        if type(last).__name__ == "TorchMLPClassifier":
            from clfcompare.estimators import resolve_device

            try:
                device = resolve_device(device).type
            except (TypeError, ValueError):  # the model refuses it when it is fitted
                continue
        on_cpu += device == "cpu"
    return max(1, min(cores, on_cpu))


def _model_threads(models):
    """What the models' ``n_threads`` set, e.g. "1 (mlp_mse, mlp_ce: n_threads=1)" ("": none).

    The machine table's "torch threads (process default)" is not what a model with its own
    ``n_threads`` trains with.
    """
    by_value = {}
    for name, est in models.items():
        params = _last_step(est).get_params(deep=False)
        if "n_threads" in params:
            by_value.setdefault(params["n_threads"], []).append(str(name))
    parts = []
    for value, names in by_value.items():
        shown = "the process default" if value is None else str(value)
        parts.append(f"{shown} ({', '.join(names)}: n_threads={value!r})")
    return "; ".join(parts)


# --------------------------------------------------------------------------- the study


@dataclass
class Study:
    """What :func:`run_study` produced.

    Attributes
    ----------
    results : TrialResults
    comparison : Comparison
        :func:`clfcompare.analysis.analyse` of the results (every number of the report).
    report_path, store_path : Path
    timings : dict
        ``{phase: seconds}`` of this run, in order: ``trials``, ``analysis``, one
        ``figure: ...`` entry per figure drawn here, ``refits for the decision regions``
        (only when a model's split-0 fit was not at hand), ``probability scores`` (only with
        stored probabilities), ``total before the report``, ``report`` (with the box plot,
        interval and loss-curve figures it draws), ``total``. No entry for a step that did
        not run.
    n_resumed : int
        Trials read from the store instead of run.
    n_jobs : int
        The trial workers of this run (``run_study``'s ``n_jobs``, its default resolved).
    """

    results: object
    comparison: object
    report_path: Path
    store_path: Path
    timings: dict = field(default_factory=dict)
    n_resumed: int = 0
    n_jobs: int = 1

    @property
    def summary(self):
        """The summary table of the study's metric (``comparison.summary``)."""
        return self.comparison.summary


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


def _count_finished(store, models, n_splits=None):
    """Trials of ``models`` already in ``store`` (0 when there is none or it is unreadable:
    run_trials then says why)."""
    from clfcompare.trials import count_finished

    try:
        return count_finished(store, models, n_splits=n_splits)
    except (ValueError, OSError):
        return 0


def _stderr(msg):
    print(msg, file=sys.stderr, flush=True)


def _prepare_out_dir(out_dir):
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        problem = f"the output folder {out_dir} is a file, not a folder"
        err = InputError(f"{problem} (give another out_dir)")
        err.problem, err.parameter = problem, "out_dir"
        raise err
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"cannot create the output folder {out_dir}: {err.strerror or err}"
        ) from None
    return out_dir


#: The files SQLite keeps beside a store (write-ahead log, shared memory, rollback journal).
_STORE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _refuse_links(out_dir, store_name):
    """Refuse a symbolic link among the files the study writes in ``out_dir`` (the store and
    SQLite's files beside it, ``report.md``, ``report.html``, ``report_tables.tex``, the
    figures): a write through it would land outside the folder. An :class:`InputError`
    naming the link."""
    from clfcompare.report import check_no_links, report_files

    names = [store_name, *(f"{store_name}{s}" for s in _STORE_SIDE_FILES)]
    names += list(report_files("report.md").values())
    names += [p.name for p in out_dir.glob("*.png")]
    check_no_links(out_dir, names)


def _keeps_estimators():
    """Whether :func:`clfcompare.trials.run_trials` can hand back fitted estimators
    (``keep_estimators``)."""
    import inspect

    from clfcompare.trials import run_trials

    return "keep_estimators" in inspect.signature(run_trials).parameters


def _run_trials(models, X, y, cv, *, n_jobs, store, progress, total, seeding=None, keep=None):
    """run_trials with its warnings collected; a store error is an InputError, Ctrl-C a
    :class:`StudyInterrupted`; a refusal and a model's failure propagate. ``seeding``: the
    ``seeds``/``n_seeds``/``seed_design`` arguments of run_trials; ``keep``: the splits whose
    fitted estimators come back in ``results.estimators`` (when run_trials can)."""
    from clfcompare.trials import StoreError, run_trials

    if keep and _keeps_estimators():
        seeding = {**(seeding or {}), "keep_estimators": list(keep)}

    with warnings.catch_warnings(record=True) as caught:
        # fits may warn once per split (e.g. a logistic regression on separable data):
        # collect them and report each kind once, with its count, instead of 50 times
        warnings.simplefilter("always")
        try:
            results = run_trials(
                models,
                X,
                y,
                cv=cv,
                n_jobs=n_jobs,
                store=store,
                progress=progress,
                **(seeding or {}),
            )
        except StoreError as err:  # not a store, damaged, unreadable, read-only, disk full
            raise InputError(str(err)) from err
        except KeyboardInterrupt:
            n_stored = _count_finished(store, models, total // max(1, len(models)))
            raise StudyInterrupted(store, n_stored, total) from None
    return results, summarise_warnings(caught)


def _split0_models(models, seeds, crossed):
    """``models`` seeded as the trials seeded them on split 0 (seed replica 0)."""
    if seeds == "fixed":
        return models
    from sklearn.base import clone

    from clfcompare.trials import derive_seed

    out = {}
    for name, est in models.items():
        params = est.get_params(deep=True)
        derived = {
            k: derive_seed(
                int(v), 0, model=str(name) if seeds == "per_model" else None, crossed=crossed
            )
            for k, v in params.items()
            if (k == "random_state" or k.endswith("__random_state"))
            and isinstance(v, int | np.integer)
            and not isinstance(v, bool | np.bool_)
        }
        out[name] = clone(est).set_params(**derived) if derived else est
    return out


def _plottable(X, preprocessor):
    """``X`` as two finite float columns for the 2-D figures, or None (no such figures)."""
    if preprocessor is not None and hasattr(X, "iloc"):
        return None  # the preprocessor may select columns by name: a grid has none
    try:
        Xf = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None
    if Xf.ndim != 2 or Xf.shape[1] != 2 or not np.all(np.isfinite(Xf)):
        return None
    return Xf


def _check_feature_names(names, n_features):
    """``names`` as a list of one string per feature (None stays None), or raise."""
    if names is None:
        return None
    try:
        return check_names(names, "feature_names", n=n_features, of="features of X")
    except ValueError as err:  # the study's input errors are InputError (a ValueError)
        raise InputError(str(err)) from None


def _figures(X, y, models, cv, show_curve, say, *, fitted, timings, feature_names=None):
    """The data figure and the decision regions of every model on split 0 (2 features only):
    ``{caption: Figure}``.

    Their axes are labelled with ``feature_names``; without them, the curve data
    (``show_curve``) keep their :math:`x_1`, :math:`x_2` and other data get ``feature 1``,
    ``feature 2``.

    ``fitted``: ``{name: estimator}`` fitted on split 0 by the trials; a model not in it (its
    trials read from the store) is refitted, seeded as on split 0 (``models``). Each step's
    seconds go to ``timings`` (no entry for a step that did not run).
    """
    from sklearn.base import clone

    from clfcompare import plots

    if feature_names is None and not show_curve:
        feature_names = ("feature 1", "feature 2")
    extra = {}
    t0 = time.perf_counter()
    ax = plots.plot_curve_data(
        X,
        y,
        show_curve=show_curve,
        title=None if show_curve else "Data",
        feature_names=feature_names,
    )
    extra["The data"] = ax.figure
    timings["figure: the data"] = time.perf_counter() - t0
    train, test = next(iter(cv.split(X, y)))  # split 0 of the trials
    missing = [name for name in models if name not in fitted]
    fitted = dict(fitted)
    if missing:
        t0 = time.perf_counter()
        why = (
            "trials read from the store, not fitted in this run"
            if _keeps_estimators()
            else "this run_trials does not hand back fitted estimators"
        )
        say(
            f"refitting {', '.join(map(str, missing))} on split 0 for the decision-region "
            f"figure ({why})"
        )
        with warnings.catch_warnings():
            # the convergence of an individual refit is already part of the trials
            warnings.simplefilter("ignore", category=UserWarning)
            for name in missing:
                fitted[name] = clone(models[name]).fit(X[train], y[train])
        timings["refits for the decision regions"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ordered = {name: fitted[name] for name in models}
    extra["Decision regions (split 0)"] = plots.plot_decision_regions(
        ordered, X[test], y[test], feature_names=feature_names
    )
    timings["figure: decision regions (split 0)"] = time.perf_counter() - t0
    return extra


def _calibration(results, colors, timings):
    """The calibration note (log loss, Brier, over-confidence per model over the main splits)
    and the reliability diagram, from the stored probabilities: ``(note, {caption: Figure})``
    (``(None, {})`` without probabilities)."""
    from clfcompare import plots
    from clfcompare.analysis import probabilities_by_model, probability_table
    from clfcompare.report import markdown_table

    t0 = time.perf_counter()
    pooled, classes = probabilities_by_model(results)
    if not pooled:
        return None, {}
    table = probability_table(results)
    rows = {}
    for model, part in table.groupby("model", sort=False):

        def spread(col, part=part):
            mean = f"{part[col].mean():.3f}"
            return f"{mean} ± {part[col].std(ddof=1):.3f}" if len(part) > 1 else mean

        rows[model] = {
            "log loss": spread("log_loss"),
            "Brier score": spread("brier"),
            "confidence − accuracy": spread("overconfidence"),
            "p = 0 on the true class": int(part["n_zero"].sum()),
        }
    frame = _table_frame(rows)
    lines = markdown_table(frame).splitlines()
    note = (
        "**Calibration** of the predicted probabilities on the test rows of the main CV "
        f"splits (mean ± sd over the {table['split'].nunique()} splits; lower log loss and "
        "Brier score are better; confidence − accuracy > 0 is over-confidence; a probability "
        "of 0 on the true class counts as float64's machine epsilon in the log loss, as in "
        "scikit-learn's `log_loss`; the Brier score is the multi-class one, 0 to 2):\n\n"
        + "\n".join(f"  {line}" for line in lines)
    )
    timings["probability scores"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fig = plots.plot_reliability(pooled, classes, colors={m: colors[m] for m in pooled})
    timings["figure: reliability diagram"] = time.perf_counter() - t0
    return note, {"Reliability diagram (main CV splits)": fig}


def _table_frame(rows):
    import pandas as pd

    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "model"
    return frame


def _fixed_seeds(models):
    """``models`` with every integer ``random_state`` parameter replaced by a
    ``numpy.random.RandomState`` of that seed (``seeds="fixed"``).

    :func:`clfcompare.trials.run_trials` derives a seed per split from an integer
    ``random_state``; a ``RandomState`` it leaves as it is, and every split's clone starts
    from a copy of it in its initial state: the first draw, and so the seed of every split, is
    the one the integer gives (scikit-learn's ``check_random_state(seed)`` is
    ``RandomState(seed)``). This reproduces the trials of the code before seeds were derived
    per split.
    """
    from sklearn.base import clone

    out = {}
    for name, est in models.items():
        params = est.get_params(deep=True)
        fixed = {
            k: np.random.RandomState(int(v))
            for k, v in params.items()
            if (k == "random_state" or k.endswith("__random_state"))
            and isinstance(v, int | np.integer)
            and not isinstance(v, bool | np.bool_)
        }
        out[name] = clone(est).set_params(**fixed) if fixed else est
    return out


def _check_halves_data(y, inner_splits):
    """Refuse data whose half partitions cannot hold a stratified inner CV."""
    classes, counts = np.unique(np.asarray(y), return_counts=True)
    need = 2 * inner_splits
    small = [(c, n) for c, n in zip(classes.tolist(), counts.tolist(), strict=True) if n < need]
    if small:
        problem = (
            f"class(es) {[c for c, _ in small[:5]]} have fewer rows "
            f"([{', '.join(str(n) for _, n in small[:5])}]) than the {need} that the half/half "
            f"partitions need (a {inner_splits}-fold CV inside each half)"
        )
        err = InputError(f"{problem}; use halves=False (the corrected t-test only)")
        err.problem, err.parameter = problem, "halves"
        raise err


def _design_words(n_repeats, n_folds, halves, n_partitions, inner_splits, n_seeds):
    words = f"{n_repeats} x {n_folds}-fold repeated stratified CV"
    if halves:
        words += (
            f" + {n_partitions} half/half partitions x 2 halves x {inner_splits}-fold inner CV"
        )
    if n_seeds > 1:
        words += f", each split x {n_seeds} seeds"
    return words


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
    halves=True,
    n_partitions=N_PARTITIONS,
    seeds="common",
    n_seeds=1,
    title="Classifier comparison",
    data_description=None,
    curve_classes=None,
    references=None,
    contrast="auto",
    baseline=None,
    stable="auto",
    device=None,
    progress=True,
    log=_stderr,
    notes=None,
    preprocessor=None,
    scale_mlp=False,
    feature_names=None,
):
    """Run a repeated-CV comparison into a resumable store and write figures and a report.

    Steps: the data are checked (:func:`clfcompare.datasets.check_study_data`, once);
    ``run_trials`` with ``RepeatedKFoldWithHalves(n_folds, n_repeats, n_partitions,
    random_state)`` (``halves=False``: ``RepeatedStratifiedKFold(n_folds, n_repeats,
    random_state)``) and the store ``out_dir/store_name`` (a second run resumes: finished
    trials are not redone); :func:`clfcompare.analysis.analyse`; the figures (data and decision
    regions when there are 2 features, drawn from the models the trials fitted on split 0:
    only a model whose split-0 trial was read from the store is refitted, and the progress
    says so; the box plot, the simultaneous intervals, the loss curves; the reliability
    diagram when the trials stored probabilities, with the log loss, Brier score and
    over-confidence per model in the notes); ``report.md`` by
    :func:`clfcompare.report.write_report`. The figures it draws are
    closed when it returns or fails; the caller's stay open.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    models : dict ``{name: unfitted estimator}``
        E.g. :func:`build_models`.
    out_dir : str or Path
    store_name : str, default="study.sqlite"
    n_repeats : int >= 1, default=10
    n_folds : int >= 2, default=5
    n_jobs : int, default=None
        joblib workers for the trials. ``None``: one per network that trains on the CPU
        (each network's splits are one batched task), at most the cores this process may
        use; 1 when no network trains on the CPU. The scores do not depend on it.
    random_state : int, default=0
        Seeds the splits.
    halves : bool, default=True
        Run Nadeau and Bengio's ``n_partitions`` random half/half partitions of the rows (with
        an inner ``max(2, n_folds // 2)``-fold CV in each half) beside the main CV, so that
        the tests default to the conservative Z, which holds its level for unstable learners
        (the networks) too; the report shows the corrected t-test beside it. ``False``: the
        main CV only, and the corrected t-test (valid for stable learners only).
    n_partitions : int >= 1, default=10
    seeds : {"common", "per_model", "fixed"}, default="common"
        How a model's integer ``random_state`` seeds its splits (:data:`SEEDINGS`): every split
        its own derived seed, shared by the models of the split (``"common"``: the MSE and the
        CE network of a split start from the same initial weights) or not (``"per_model"``);
        ``"fixed"``: every split from the model's own ``random_state``, as before issue 11
        (``halves=False, seeds="fixed"`` reproduces the trials of that code exactly).
    n_seeds : int >= 1, default=1
        Seeds per split: with ``n_seeds >= 2`` every split is fitted ``n_seeds`` times, seed
        ``k`` the same on every split (a crossed split x seed design), and the report shows
        how the score variance splits into data split and initialisation; the tests average
        each split over its seeds.
    title : str
    data_description : str
    curve_classes : int >= 2, optional
        Set when the data are the lecture's K-class curve data: the data figure draws the true
        curve, the Bayes-optimal accuracy (:func:`clfcompare.datasets.curve_reference`) is a
        reference of the report and its box plot, and the Bayes-optimal cross-entropy
        (:func:`clfcompare.datasets.curve_loss_reference`) is stated by the loss curves.
    references : mapping, optional
        Further ``{label: accuracy}`` to judge the models against.
    contrast : "auto", (str, str) or None, default="auto"
        The pre-specified pair the report asks "is A different from B?" about, tested on its
        own (unadjusted); "auto": the models named with ``mse`` and ``ce`` when there is one
        of each (the lecture's question, :func:`clfcompare.analysis.find_contrast`), else
        none; None: the answer is about the best model and the runner-up (exploratory).
    baseline : str, optional
        The simultaneous intervals compare every model with it instead of all pairs.
    stable : "auto", collection of str or None, default="auto"
        The models known to be stable learners (the report says for which pairs the
        corrected t-test holds); "auto": those of :data:`STABLE_MODELS` when every model is
        one of :data:`MODEL_NAMES`, else not known.
    device : str, default=None
        Reported in the machine section.
    progress : bool, default=True
        tqdm bar (on a terminal) and progress lines through ``log``.
    log : callable, default: print to stderr
        Where progress lines go (``None``: nowhere).
    notes : sequence of str, optional
        Extra lines for the report's "Notes and warnings", in markdown (escape the
        user-supplied parts with :func:`clfcompare.report.escape_markdown`). The study's own
        notes escape what they quote (the store's name, the fits' warnings).
    preprocessor : scikit-learn transformer, optional
        Put in front of every model, fitted on each training split (:func:`prepare_models`),
        e.g. a ``ColumnTransformer`` imputing missing values and one-hot encoding text
        columns; ``X`` is then passed to it as given (a DataFrame stays one). The 2-D figures
        are drawn only when ``X`` is two finite numeric columns and not a DataFrame. The
        report does not describe it: say what it does in ``notes``.
    scale_mlp : bool, default=False
        Standardise the inputs of every bare network (:func:`prepare_models`): the
        ``clfcompare`` command's default. ``False`` keeps the lecture's network on the
        features as given (``analyses/hw4.py``: the curve data are min-max normalised).
    feature_names : sequence of str, optional
        The names of the columns of ``X`` (e.g. a CSV file's header), one per feature: the
        axis labels of the 2-D figures, drawn as written. Default: the column names of a
        DataFrame ``X``; otherwise ``feature 1``, ``feature 2``, except for the curve data
        (``curve_classes``), which keep their :math:`x_1` (normalised), :math:`x_2`.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Bad parameters or data, an output folder that cannot be made, a store that cannot be
        used (:class:`clfcompare.trials.StoreError`: damaged, unreadable, disk full), or a
        symbolic link in ``out_dir`` where the study writes (the store and its ``-wal``,
        ``-shm``, ``-journal`` files, ``report.md``, ``report.html``, ``report_tables.tex``,
        a figure ``*.png``): refused before any
        trial runs, and nothing is written through a link (writes never follow one).
    clfcompare.trials.SetupMismatch
        The store holds trials of other settings.
    ValueError
        A model failed on the data (``err.clfcompare_model`` names it).
    StudyInterrupted
        Ctrl-C during the trials (the finished trials stay in the store).
    """
    import matplotlib.pyplot as plt
    from sklearn.model_selection import RepeatedStratifiedKFold

    from clfcompare import report
    from clfcompare._checks import check_bool, check_choice
    from clfcompare.analysis import analyse, find_contrast
    from clfcompare.datasets import check_study_data, curve_loss_reference, curve_reference
    from clfcompare.trials import RepeatedKFoldWithHalves

    say = log if (log is not None and progress) else (lambda *a, **k: None)
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    n_folds = check_int(n_folds, "n_folds", low=2)
    halves = check_bool(halves, "halves")
    n_partitions = check_int(n_partitions, "n_partitions", low=1)
    seeds = check_choice(seeds, "seeds", SEEDINGS)
    n_seeds = check_int(n_seeds, "n_seeds", low=1)
    if seeds == "fixed" and n_seeds > 1:
        raise InputError(
            f"seeds='fixed' fits every split with the model's own random_state, so n_seeds "
            f"must be 1, got {n_seeds}"
        )
    if feature_names is None and hasattr(X, "columns"):  # a DataFrame names its columns
        columns = [str(c) for c in X.columns]
        # (names for the figures' axes only: repeated ones are no names, not an error)
        feature_names = columns if len(set(columns)) == len(columns) else None
    if preprocessor is None:
        X = np.asarray(X, dtype=float)
    elif not hasattr(X, "iloc"):  # a DataFrame stays one (columns by name)
        X = np.asarray(X)
    y = np.asarray(y)
    check_study_data(X, y, n_folds)
    feature_names = _check_feature_names(feature_names, X.shape[1])
    scale_mlp = check_bool(scale_mlp, "scale_mlp")
    scaled = [name for name, est in models.items() if scale_mlp and _is_mlp(est)]
    models = prepare_models(models, preprocessor=preprocessor, scale_mlp=scale_mlp)
    inner_splits = max(2, n_folds // 2)
    if halves:
        _check_halves_data(y, inner_splits)
    references = dict(references or {})
    loss_references, reference_notes = {}, {}
    if curve_classes is not None:
        references = {**curve_reference(curve_classes)[0], **references}
        loss_references, sentence = curve_loss_reference(curve_classes)
        reference_notes = {label: sentence for label in loss_references}
    if contrast == "auto":
        contrast = find_contrast(list(models), ("mse", "ce"))
    if stable == "auto":
        stable = (
            [m for m in models if m in STABLE_MODELS]
            if all(m in MODEL_NAMES for m in models)
            else None
        )
    out_dir = _prepare_out_dir(out_dir)
    store = out_dir / store_name
    _refuse_links(out_dir, store_name)  # before any trial runs
    timings = {}
    t_start = time.perf_counter()

    if halves:
        cv = RepeatedKFoldWithHalves(
            n_splits=n_folds,
            n_repeats=n_repeats,
            n_partitions=n_partitions,
            random_state=random_state,
        )
        cv_text = (
            f"RepeatedKFoldWithHalves(n_splits={n_folds}, n_repeats={n_repeats}, "
            f"n_partitions={n_partitions}, random_state={random_state})"
        )
    else:
        cv = RepeatedStratifiedKFold(
            n_splits=n_folds, n_repeats=n_repeats, random_state=random_state
        )
        cv_text = (
            f"RepeatedStratifiedKFold(n_splits={n_folds}, n_repeats={n_repeats}, "
            f"random_state={random_state})"
        )
    n_splits = cv.get_n_splits() * n_seeds
    total = n_splits * len(models)
    n_done = _count_finished(store, models, n_splits)
    if n_done:  # run_trials checks next that the store was made with these settings
        say(
            f"found {n_done} of {total} trials already stored in {store}; they are reused if "
            "the store was made with these settings"
        )
    words = _design_words(n_repeats, n_folds, halves, n_partitions, inner_splits, n_seeds)
    if n_jobs is None:
        n_jobs = _default_n_jobs(models)
    say(
        f"running {len(models)} model{'s' if len(models) > 1 else ''} x {n_splits} splits "
        f"({words}) on {X.shape[0]} rows, n_jobs={n_jobs} -> {store}"
    )
    fitted_models = _fixed_seeds(models) if seeds == "fixed" else models
    seeding = {} if seeds == "fixed" else {"seeds": seeds}
    if n_seeds > 1:
        seeding.update(n_seeds=n_seeds, seed_design="crossed")
    t0 = time.perf_counter()
    results, warned = _run_trials(
        fitted_models,
        X,
        y,
        cv,
        n_jobs=n_jobs,
        store=store,
        progress=progress,
        total=total,
        seeding=seeding,
        keep=[0] if _plottable(X, preprocessor) is not None else None,
    )
    for note in warned:
        say(f"warning: {note}")
    seed_text = {
        "common": "every split's models get a seed derived from their random_state and the "
        "split (`clfcompare.trials.derive_seed`), the models of a split the same one",
        "per_model": "every split's models get seeds derived from their random_state, the "
        "split and the model's name",
        "fixed": "every split is fitted with the model's own random_state (the design before "
        "issue 11: the initialisation's variance is not sampled)",
    }[seeds]
    if n_seeds > 1:
        seed_text += f"; {n_seeds} seeds per split, crossed with the splits"
    notes = [str(n) for n in ([notes] if isinstance(notes, str) else (notes or []))] + [
        f"Splits: {report.code_span(cv_text)}; store {report.code_span(store.name)}. "
        f"Seeds: {seed_text}."
    ]
    if n_done:
        notes.append(
            f"{n_done} of {total} trials were read from the store (finished by an earlier "
            "run); the timings below cover only this run, the per-trial fit times all trials."
        )
    notes += [report.escape_markdown(w) for w in warned]  # they may quote labels, names
    timings["trials"] = time.perf_counter() - t0
    resumed = f" ({n_done} of {total} read from the store {store})" if n_done else ""
    say(f"trials done in {timings['trials']:.1f} s{resumed}")

    t0 = time.perf_counter()
    comparison = analyse(
        results,
        contrast=contrast,
        baseline=baseline,
        stable=stable,
        references=references,
        loss_references=loss_references,
    )
    timings["analysis"] = time.perf_counter() - t0
    own_figures = set(plt.get_fignums())  # the caller's: left open
    try:
        extra = {}
        Xf = _plottable(X, preprocessor)
        if Xf is not None:
            split0 = _split0_models(models, seeds, crossed=n_seeds > 1)
            kept = getattr(results, "estimators", None) or {}
            fitted = {name: kept[(name, 0)] for name in models if (name, 0) in kept}
            extra.update(
                _figures(
                    Xf,
                    y,
                    split0,
                    cv,
                    curve_classes is not None,
                    say,
                    fitted=fitted,
                    timings=timings,
                    feature_names=feature_names,
                )
            )
        from clfcompare.plots import model_colors

        note, figs = _calibration(results, model_colors(list(results.models)), timings)
        if note is not None:
            notes.append(note)
        extra.update(figs)

        timings["total before the report"] = time.perf_counter() - t_start
        t0 = time.perf_counter()
        machine = report.describe_machine(device=device)
        threads = _model_threads(models)
        if threads:
            machine["torch threads of the models"] = threads
        machine["trial workers (n_jobs)"] = str(n_jobs)
        path = report.write_report(
            comparison,
            out_dir,
            title=title,
            data_description=data_description,
            models_description=_describe(models, scaled),
            machine_info=machine,
            timings=timings,
            figures=extra,
            notes=notes,
            reference_notes=reference_notes,
        )
        timings["report"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
    finally:  # ours, also when the report fails (no pile-up in a long session)
        for num in set(plt.get_fignums()) - own_figures:
            plt.close(num)
    return Study(
        results=results,
        comparison=comparison,
        report_path=path,
        store_path=store,
        timings=timings,
        n_resumed=n_done,
        n_jobs=n_jobs,
    )
