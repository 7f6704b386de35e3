"""`run_trials`: every model on the same repeated cross-validation splits.

Why one module of about 1,400 lines: how a run is planned (which models train their splits
together, a Pipeline's preprocessing per split, which models share one stacked engine run),
what its workers do (fit, score, class probabilities, thread pinning), how its progress is
shown and how its trials reach the store are one concept, the trial run; each part is a
handful of private helpers of :func:`run_trials`.
"""

from __future__ import annotations

import contextlib
import inspect
import multiprocessing
import sys
import time
import traceback
import warnings
from numbers import Integral

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import (
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length, indexable

from clfcompare._checks import check_choice, check_int
from clfcompare.trials._designs import RepeatedKFoldWithHalves
from clfcompare.trials._integrity import MAX_SPLITS
from clfcompare.trials._results import (
    Trial,
    TrialResults,
    build_frames,
    extra_frames,
    read_results,
)
from clfcompare.trials._seeds import (
    SCHEME,
    SEED_DESIGNS,
    SEED_SHARING,
    seeded_params,
    split_seeds,
)
from clfcompare.trials._store import (
    TrialStore,
    as_label_array,
    check_storable_labels,
    hash_data,
    hash_split_labels,
    hash_splits,
    model_fingerprint,
    params_at_default,
)


# --------------------------------------------------------------------------- validation
def _check_models(models):
    if not isinstance(models, dict):
        raise TypeError(
            f"models must be a dict mapping names to estimators, got {type(models).__name__}"
        )
    if not models:
        raise ValueError("models must hold at least one estimator, got an empty dict")
    for name, est in models.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"model names must be non-empty str, got {name!r}")
        if isinstance(est, type):
            raise TypeError(
                f"models[{name!r}] is the class {est.__name__}, not an estimator instance; "
                f"use {est.__name__}()"
            )
        if not (callable(getattr(est, "fit", None)) and callable(getattr(est, "predict", None))):
            raise TypeError(
                f"models[{name!r}] must be an estimator with fit and predict, "
                f"got {type(est).__name__}"
            )
        if not callable(getattr(est, "get_params", None)):
            raise TypeError(
                f"models[{name!r}] must implement get_params (the sklearn estimator API), "
                f"got {type(est).__name__}"
            )
    return tuple(models)


def _check_scoring(scoring):
    if isinstance(scoring, str):
        scoring = (scoring,)
    if not isinstance(scoring, (tuple, list)) or not scoring:
        raise TypeError(
            f"scoring must be a scorer name or a non-empty tuple of names, got {scoring!r}"
        )
    for name in scoring:
        if not isinstance(name, str):
            raise TypeError(f"scoring names must be str, got {name!r}")
        try:
            get_scorer(name)
        except ValueError:
            raise ValueError(
                f"unknown scoring {name!r}; expected a name from "
                "sklearn.metrics.get_scorer_names(), e.g. "
                f"{[n for n in get_scorer_names() if 'accuracy' in n]}"
            ) from None
    if len(set(scoring)) != len(scoring):
        raise ValueError(f"scoring names must be unique, got {tuple(scoring)}")
    return tuple(scoring)


def _make_cv(cv, random_state):
    if cv is None:
        return RepeatedStratifiedKFold(n_splits=5, n_repeats=10, random_state=random_state)
    if isinstance(cv, bool) or (isinstance(cv, Integral) and cv < 2):
        raise ValueError(f"an integer cv must be >= 2 (number of folds), got {cv!r}")
    if isinstance(cv, Integral):
        return StratifiedKFold(
            n_splits=int(cv), shuffle=random_state is not None, random_state=random_state
        )
    if isinstance(cv, type):
        raise TypeError(
            f"cv is the class {cv.__name__}, not a splitter instance; use {cv.__name__}(...)"
        )
    if isinstance(cv, str) or not hasattr(cv, "__iter__") and not hasattr(cv, "split"):
        raise TypeError(
            "cv must be None, an int, an sklearn splitter or an iterable of (train, test) "
            f"index arrays, got {type(cv).__name__}"
        )
    return cv


def _check_n_jobs(n_jobs):
    n_jobs = check_int(n_jobs, "n_jobs", allow_none=True)
    if n_jobs == 0:
        raise ValueError("n_jobs must be non-zero (a positive count, or -1 for all CPUs), got 0")
    return n_jobs


def _check_random_state(random_state):
    try:
        check_random_state(random_state)
    except ValueError:
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState, got {random_state!r}"
        ) from None


def _materialise_splits(cv, X, y, n_samples, groups=None):
    if callable(getattr(cv, "split", None)):
        pairs = cv.split(X, y) if groups is None else cv.split(X, y, groups)
    elif groups is not None:
        raise ValueError(
            "groups are passed to cv.split(X, y, groups); cv is an iterable of (train, test) "
            "pairs, which has no split method: pass the splitter itself, or no groups"
        )
    else:
        pairs = cv
    splits = []
    for s, pair in enumerate(pairs):
        try:
            train, test = pair
        except (TypeError, ValueError):
            raise ValueError(f"cv split {s} is not a (train, test) pair") from None
        train, test = np.asarray(train), np.asarray(test)
        for what, idx in (("train", train), ("test", test)):
            if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
                raise ValueError(
                    f"cv split {s}: {what} indices must be a non-empty 1-D integer array, "
                    f"got shape {idx.shape} dtype {idx.dtype}"
                )
            if idx.min() < 0 or idx.max() >= n_samples:
                raise ValueError(
                    f"cv split {s}: {what} indices must lie in [0, {n_samples}), "
                    f"got [{idx.min()}, {idx.max()}]"
                )
        splits.append((train.astype(np.intp), test.astype(np.intp)))
    if not splits:
        raise ValueError("cv produced no splits")
    return splits


def repeat_fold(cv, n_splits):
    """Repeat and fold number of every split (see :class:`TrialResults`)."""
    s = np.arange(n_splits)
    if isinstance(cv, RepeatedKFoldWithHalves):
        repeats, folds = cv.repeat_fold()
        if len(repeats) != n_splits:
            raise ValueError(
                f"{cv!r} produced {n_splits} splits, expected get_n_splits() = {len(repeats)}"
            )
        return repeats, folds
    if isinstance(cv, (RepeatedKFold, RepeatedStratifiedKFold)):
        per = cv.get_n_splits() // cv.n_repeats
        return s // per, s % per
    return np.zeros(n_splits, dtype=int), s


def _check_seeded(name, estimator):
    """The integer ``random_state`` parameters of ``models[name]`` (ValueError if < 0)."""
    keys = seeded_params(estimator)
    for key, value in keys.items():
        if value < 0:
            raise ValueError(
                f"models[{name!r}] has {key}={value}: an integer random_state must be >= 0 "
                "(run_trials derives the seed of every split from it)"
            )
    return keys


def _hook_takes(estimator, keyword):
    """True when ``estimator.fit_splits`` accepts the keyword ``keyword``."""
    try:
        params = inspect.signature(estimator.fit_splits).parameters
    except (TypeError, ValueError):
        return False
    return keyword in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


def _takes_seeds(estimator):
    """True when ``estimator.fit_splits`` accepts ``random_states=`` (docs/interfaces.md)."""
    return _hook_takes(estimator, "random_states")


def _batch_plan(estimator, keys):
    """How a model trains its splits together: ``(hook, step)`` or None (one split at a time).

    ``hook``: the estimator whose ``fit_splits`` is called, the model itself (``step`` None)
    or the last step of a :class:`~sklearn.pipeline.Pipeline` (``step`` its name), whose
    preprocessing steps are then fitted per split. ``keys``: the model's integer
    ``random_state`` parameters (:func:`seeded_params`); a hook that cannot receive the
    derived seeds (no ``random_states=``, or seeds nested deeper than its own
    ``random_state``) is bypassed.
    """
    if callable(getattr(estimator, "fit_splits", None)):
        own = set(keys)
        hook, step, seed_key = estimator, None, "random_state"
    elif (
        type(estimator) is Pipeline and estimator.steps
    ):  # a subclass (imblearn's) fits its own way
        step, hook = estimator.steps[-1]
        if hook is None or isinstance(hook, (str, type)):
            return None
        if not callable(getattr(hook, "fit_splits", None)):
            return None
        own = {k for k in keys if k.startswith(f"{step}__")}
        seed_key = f"{step}__random_state"
    else:
        return None
    if own and (own != {seed_key} or not _takes_seeds(hook)):
        return None
    return hook, step


def _hook_seeds(plan, keys, seeds_of):
    """``(states, seeds_of)`` of a batched model: the derived seed of its hook on each
    split (None when the hook keeps its own ``random_state``) and its derived seeds."""
    key = "random_state" if plan[1] is None else f"{plan[1]}__random_state"
    return ([d[key] for d in seeds_of] if key in keys else None), seeds_of


def _stacks(names, models, plans, pending):
    """``{name: (names of its stack)}`` for every model that trains in a stacked run with
    others: the models of one :func:`_stack_key` and the same pending splits (a resumed
    store may have finished some splits of one model only), two or more of them."""
    groups = {}
    for name in names:
        if not pending[name]:
            continue
        key = _stack_key(models[name], plans[name])
        if key is not None:
            groups.setdefault((key, tuple(pending[name])), []).append(name)
    return {n: tuple(group) for group in groups.values() if len(group) > 1 for n in group}


def _design(cv, n_data_splits, n_seeds, seed_design):
    """:attr:`TrialResults.design` of a run (None for plain CV with one seed per split)."""
    if isinstance(cv, RepeatedKFoldWithHalves):
        design = cv.design()
    elif n_seeds is None:
        return None
    else:
        design = {"kind": "cv", "n_main": n_data_splits}
    if n_seeds is not None:
        design.update(n_seeds=n_seeds, seed_design=seed_design)
    return design


# --------------------------------------------------------------------------- workers
def _loss_curve(est):
    curve = getattr(est, "loss_curve_", None)
    if curve is None and hasattr(est, "steps"):  # a Pipeline: its final estimator
        curve = getattr(est.steps[-1][1], "loss_curve_", None)
    if curve is None:
        return None
    curve = np.asarray(curve, dtype=float)
    if curve.ndim != 1:
        raise ValueError(f"loss_curve_ must be 1-D, got shape {curve.shape}")
    return curve if curve.size else None


class _Task:
    """What every worker needs besides its model and splits: scorer names, the sorted class
    labels of ``y`` (the columns of the stored probabilities), the splits whose fitted
    estimators are kept, and whether to pin the worker's thread pools to one thread."""

    def __init__(self, scoring, classes, keep=frozenset(), pin=False):
        self.scoring = scoring
        self.classes = classes
        self.keep = keep
        self.pin = pin


def _probabilities(est, X_test, n_test, classes):
    """``est.predict_proba(X_test)`` in the columns of ``classes`` (None without it)."""
    predict_proba = getattr(est, "predict_proba", None)  # a Pipeline hides it if absent
    if not callable(predict_proba):
        return None
    proba = np.asarray(predict_proba(X_test), dtype=float)
    own = getattr(est, "classes_", None)
    if own is None:
        raise ValueError("the model has predict_proba but no classes_ to name its columns")
    own = np.asarray(own).tolist()
    if proba.shape != (n_test, len(own)):
        raise ValueError(
            f"predict_proba returned shape {proba.shape} for {n_test} test samples "
            f"and {len(own)} classes_"
        )
    position = {label: j for j, label in enumerate(classes.tolist())}
    unknown = [label for label in own if label not in position]
    if unknown:
        raise ValueError(
            f"the model's classes_ {unknown} are not among the classes of y {list(position)}"
        )
    out = np.zeros((n_test, len(classes)))
    out[:, [position[label] for label in own]] = proba
    return out


def _score(model, s, est, X, y, train, test, task, fit_time, batch_time=None, batch_size=1):
    X_test, y_test = _safe_indexing(X, test), y[test]
    y_pred = np.asarray(est.predict(X_test))
    if y_pred.shape != (len(test),):
        raise ValueError(
            f"predict returned shape {y_pred.shape} for {len(test)} test samples; "
            "expected one label per sample"
        )
    scores = {name: float(get_scorer(name)(est, X_test, y_test)) for name in task.scoring}
    return Trial(
        model=model,
        split=s,
        n_train=len(train),
        fit_time=fit_time,
        scores=scores,
        sample=np.asarray(test, dtype=np.int64),
        y_true=y_test,
        y_pred=as_label_array(y_pred, y.dtype),
        loss=_loss_curve(est),
        fit_batch_time=fit_time if batch_time is None else batch_time,
        fit_batch_size=batch_size,
        proba=_probabilities(est, X_test, len(test), task.classes),
        estimator=est if s in task.keep else None,
    )


#: BaseException.add_note exists from Python 3.11 on.
_HAS_ADD_NOTE = hasattr(BaseException, "add_note")


def _annotate(exc, model, what):
    """Name the model and split(s) that raised ``exc``, for people and for callers.

    A note for the traceback, ``(clfcompare.run_trials: while <what> of model '<model>')``,
    and two attributes for code: ``exc.clfcompare_model`` (the model's name) and
    ``exc.clfcompare_context`` (``what``, e.g. ``"fitting/scoring split 3"``).
    """
    note = f"(clfcompare.run_trials: while {what} of model {model!r})"
    # an exception refusing attributes keeps neither the note (3.10) nor these
    with contextlib.suppress(AttributeError, TypeError):
        exc.clfcompare_model = model
        exc.clfcompare_context = what
    if _HAS_ADD_NOTE:
        exc.add_note(note)
        return
    # Python 3.10: fill the list that add_note fills (3.10's own traceback printer does not
    # show it)
    with contextlib.suppress(AttributeError, TypeError):
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]


class _WorkerTraceback(Exception):
    """The formatted traceback of an exception that crossed a process boundary."""

    def __str__(self):
        return f"\n{self.args[0]}"


class _Failure:
    """A trial's exception, returned by its worker rather than raised.

    joblib aborts on a raised exception and drops results that had finished but were not yet
    handed to the caller; returned, the failure arrives after every trial that finished
    before it, all of which the caller commits before raising it.
    """

    def __init__(self, exc, model, what):
        _annotate(exc, model, what)
        self.exc = exc
        self.trace = "".join(traceback.format_exception(exc))

    def reraise(self):
        if self.exc.__traceback__ is None:  # unpickled in the parent: chain the worker's
            raise self.exc from _WorkerTraceback(self.trace)
        raise self.exc


@contextlib.contextmanager
def _one_thread(pin):
    """In a worker process (``pin`` and not the main process): BLAS/OpenMP pools and, when
    torch is already imported (a torch estimator was unpickled), torch's intra-op pool
    limited to one thread, so that ``n_jobs`` workers do not oversubscribe the cores.
    Imports nothing new: torch is only looked up in ``sys.modules``."""
    if not pin or multiprocessing.current_process().name == "MainProcess":
        yield
        return
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def _run_split(model, estimator, X, y, s, train, test, task, seeds=None):
    """Clone (with the split's derived ``seeds`` set), fit on one training split, predict and
    score its test split."""
    try:
        with _one_thread(task.pin):
            est = clone(estimator)
            if seeds:
                est.set_params(**seeds)
            t0 = time.perf_counter()
            est.fit(_safe_indexing(X, train), y[train])
            fit_time = time.perf_counter() - t0
            return [_score(model, s, est, X, y, train, test, task, fit_time)]
    except Exception as exc:
        return [_Failure(exc, model, f"fitting/scoring split {s}")]


class _WidthsDiffer(Exception):
    """The preprocessing of a Pipeline made blocks of different widths (columns) on
    different splits (e.g. a OneHotEncoder meeting a category absent from one split's
    training rows), so its splits cannot share one stacked matrix: the caller fits them
    one at a time instead."""


def _widths(block):
    """What the columns of a row block are: the column labels of a DataFrame, else the
    shape past the rows."""
    if isinstance(block, pd.DataFrame):
        return ("frame", tuple(block.columns))
    return ("shape", tuple(block.shape[1:]) if sp.issparse(block) else np.shape(block)[1:])


def _stack(blocks):
    """Row blocks (arrays, sparse matrices or DataFrames) as one matrix of all their rows.

    Raises :class:`_WidthsDiffer` when the blocks do not all have the same columns.
    """
    kinds = {_widths(b) for b in blocks}
    if len(kinds) > 1:
        raise _WidthsDiffer(
            f"the preprocessed splits have different columns: {sorted(map(str, kinds))}"
        )
    if all(sp.issparse(b) for b in blocks):
        return sp.vstack(blocks, format="csr")
    if all(isinstance(b, pd.DataFrame) for b in blocks):
        return pd.concat(blocks, ignore_index=True)
    return np.concatenate([np.asarray(b) for b in blocks])


def _preprocess_splits(pipeline, step, X, y, chunk, seeds):
    """Per split of ``chunk``, a clone of ``pipeline`` (with the split's derived ``seeds``)
    whose preprocessing steps are fitted on the training rows, as ``Pipeline.fit`` does
    (``fit_transform``).

    Returns ``(pipes, blocks, targets, states)``: the pipelines (their last step unfitted),
    the transformed training rows and labels of every split, and the derived seed of each
    split's last step (None where it has none).
    """
    pipes, blocks, targets, states = [], [], [], []
    key = f"{step}__random_state"
    for (_, train, _), seed in zip(chunk, seeds, strict=True):
        pipe = clone(pipeline)
        if seed:
            pipe.set_params(**seed)
        y_train = y[train]
        X_train = _safe_indexing(X, train)
        # a one-step Pipeline hands X to its last step as it is
        blocks.append(
            pipe[:-1].fit_transform(X_train, y_train) if len(pipe.steps) > 1 else X_train
        )
        targets.append(y_train)
        states.append(seed.get(key) if seed else None)
        pipes.append(pipe)
    return pipes, blocks, targets, states


def _block_indices(targets):
    """The row numbers of each split's block in the stacked matrix (one label per row in
    ``targets``)."""
    out, offset = [], 0
    for target in targets:
        n = len(target)
        out.append(np.arange(offset, offset + n, dtype=np.intp))
        offset += n
    return out


def _fit_pipeline_splits(pipeline, step, hook, X, y, chunk, seeds, on_epoch):
    """Fit a Pipeline whose last step has the many-split hook on every split of ``chunk``.

    Per split, a clone of the pipeline (with the split's derived ``seeds``) fits its
    preprocessing steps on the training rows (:func:`_preprocess_splits`); the transformed
    training rows of all splits are stacked into one matrix and the last steps of all
    splits train together in one ``fit_splits`` call, split ``k`` on its own block of rows
    (the hook reads only the rows it is given: ``fit_splits(X, y, [idx])[0]`` is
    ``clone(hook).fit(X[idx], y[idx])``). Returns the fitted pipelines; raises
    :class:`_WidthsDiffer` (before the hook runs) when the preprocessing made blocks of
    different widths.
    """
    pipes, blocks, targets, states = _preprocess_splits(pipeline, step, X, y, chunk, seeds)
    kwargs = {} if on_epoch is None else {"on_epoch": on_epoch}
    if any(state is not None for state in states):
        kwargs["random_states"] = states
    fitted = list(clone(hook).fit_splits(_stack(blocks), np.concatenate(targets),
                                         _block_indices(targets), **kwargs))  # fmt: skip
    if len(fitted) != len(chunk):
        raise ValueError(f"fit_splits returned {len(fitted)} estimators for {len(chunk)} splits")
    for pipe, final in zip(pipes, fitted, strict=True):
        pipe.steps[-1] = (step, final)
    return pipes


def _run_fit_splits(model, estimator, X, y, chunk, task, random_states=None, *, plan=None,
                    seeds=None, on_epoch=None):  # fmt: skip
    """Fit one model on many splits with its ``fit_splits`` hook, then score each split.

    ``random_states``: the derived seed of each split of ``chunk``, passed on as
    ``fit_splits(..., random_states=...)``; None calls the hook without it. ``plan``: the
    ``(hook, step)`` of :func:`_batch_plan`; a Pipeline (``step`` not None) fits its
    preprocessing per split with the derived ``seeds`` (one dict per split) and its last
    steps together (:func:`_fit_pipeline_splits`). ``on_epoch``: the hook's progress
    callback (passed only when given).
    When the preprocessing of a Pipeline gives the splits different widths
    (:class:`_WidthsDiffer`), the splits are fitted one at a time with the Pipeline's own
    ``fit`` (:func:`_run_split`, as for a model without the hook).
    Returns the scored trials in split order, ending with a :class:`_Failure` at the first
    split that fails (the splits scored before it are kept).
    """
    with _one_thread(task.pin):
        try:
            t0 = time.perf_counter()
            hook, step = plan if plan is not None else (estimator, None)
            if step is not None:
                fitted = _fit_pipeline_splits(estimator, step, hook, X, y, chunk, seeds, on_epoch)
            else:
                est = clone(estimator)
                trains = [train for _, train, _ in chunk]
                kwargs = {} if on_epoch is None else {"on_epoch": on_epoch}
                if random_states is not None:
                    kwargs["random_states"] = random_states
                fitted = list(est.fit_splits(X, y, trains, **kwargs))
            batch_time = time.perf_counter() - t0
            if len(fitted) != len(chunk):
                raise ValueError(
                    f"fit_splits returned {len(fitted)} estimators for {len(chunk)} splits"
                )
        except _WidthsDiffer:
            fitted = None
        except Exception as exc:
            what = f"fitting (one fit_splits call) splits {[s for s, _, _ in chunk]}"
            return [_Failure(exc, model, what)]
    if fitted is None:
        out = []
        for k, (s, train, test) in enumerate(chunk):
            out += _run_split(model, estimator, X, y, s, train, test, task,
                              seeds[k] if seeds else None)  # fmt: skip
            if isinstance(out[-1], _Failure):
                break
        return out
    with _one_thread(task.pin):
        out = []
        per_split = batch_time / len(chunk)
        for f, (s, train, test) in zip(fitted, chunk, strict=True):
            try:
                out.append(
                    _score(
                        model, s, f, X, y, train, test, task, per_split, batch_time, len(chunk)
                    )  # fmt: skip
                )
            except Exception as exc:
                out.append(_Failure(exc, model, f"scoring split {s}"))
                break
        return out


class _Member:
    """One model of a stacked run (:func:`_run_stacked`): its name, the estimator, its
    :func:`_batch_plan`, the derived seed of its hook on each split (``states``, or None),
    its derived seeds per split (``seeds``, dicts for a Pipeline's clones) and the progress
    callback it gets if it has to be fitted alone (``on_epoch``)."""

    def __init__(self, name, estimator, plan, states, seeds, on_epoch=None):
        self.name = name
        self.estimator = estimator
        self.plan = plan
        self.states = states
        self.seeds = seeds
        self.on_epoch = on_epoch


def _stack_key(estimator, plan):
    """Which models may train their splits in one stacked engine run, as a hashable key
    (models with equal keys may); None for a model that trains alone.

    Only clfcompare's ``TorchMLPClassifier`` itself (not a subclass, which may fit another
    way) has a stacked fit (``clfcompare.estimators.fit_splits_stacked``), looked up in
    ``sys.modules``: an estimator of that class has imported it, and the trial runner
    imports no estimators. A bare network is fitted on the rows of ``X``; a
    :class:`~sklearn.pipeline.Pipeline` (the class itself) ending in one on the rows its
    preprocessing steps make, so two pipelines share a run only when those steps are of the
    same classes with the same parameters (rendered as the store renders them; the step
    names do not matter) and none has
    a ``random_state`` (seeded or random preprocessing could give each model other rows).
    :func:`_run_stacked` checks that the rows are indeed the same, split by split.
    """
    if plan is None:
        return None
    hook, step = plan
    package = sys.modules.get("clfcompare.estimators")
    mlp = getattr(package, "TorchMLPClassifier", None)
    if mlp is None or type(hook) is not mlp:
        return None
    if not callable(getattr(package, "fit_splits_stacked", None)):
        return None
    if step is None:
        return ("X",)
    if type(estimator) is not Pipeline:
        return None
    key = ["pipeline"]
    for _, step_est in estimator.steps[:-1]:  # step names do not change the rows
        if step_est is None or isinstance(step_est, str):  # "passthrough"
            key.append(("passthrough",))
            continue
        try:
            params = step_est.get_params(deep=True)
            if any(k == "random_state" or k.endswith("__random_state") for k in params):
                return None
            cls, rendered = model_fingerprint(step_est)
        except Exception:  # noqa: BLE001 - a step that cannot be rendered trains alone
            return None
        key.append((cls, tuple(rendered.items())))
    return tuple(key)


class _RowsDiffer(Exception):
    """The preprocessing of the pipelines of one stack made different training rows."""


def _same_rows(a, b):
    """True when two transformed row blocks are identical (values, shape, kind)."""
    if sp.issparse(a) or sp.issparse(b):
        return sp.issparse(a) and sp.issparse(b) and a.shape == b.shape and (a != b).nnz == 0
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _fit_stacked(members, X, y, chunk, on_epoch):
    """Fit every model of ``members`` on every split of ``chunk`` in one
    ``fit_splits_stacked`` call; returns one list of fitted estimators per member.

    Bare networks train on the rows of ``X``; pipelines fit their preprocessing per split
    each (as :func:`_fit_pipeline_splits` does) and their last steps train on the stacked
    transformed rows, which must be the same for every member (else :class:`_RowsDiffer`).
    """
    stacked = sys.modules["clfcompare.estimators"].fit_splits_stacked
    hooks, states, pipes_of = [], [], []
    if members[0].plan[1] is None:
        X_fit, y_fit = X, y
        indices = [train for _, train, _ in chunk]
        for m in members:
            hooks.append(clone(m.estimator))
            states.append(None if m.states is None else list(m.states))
            pipes_of.append(None)
    else:
        first = None
        for m in members:
            pipes, blocks, targets, own = _preprocess_splits(
                m.estimator, m.plan[1], X, y, chunk, m.seeds
            )
            if first is None:
                first = (blocks, targets)
            elif not all(_same_rows(a, b) for a, b in zip(first[0], blocks, strict=True)):
                raise _RowsDiffer(f"model {m.name!r}")
            hooks.append(clone(m.plan[0]))
            states.append(own if any(state is not None for state in own) else None)
            pipes_of.append(pipes)
        X_fit, y_fit = _stack(first[0]), np.concatenate(first[1])
        indices = _block_indices(first[1])
    kwargs = {} if on_epoch is None else {"on_epoch": on_epoch}
    if any(state is not None for state in states):
        kwargs["random_states"] = states
    fitted = [list(fits) for fits in stacked(hooks, X_fit, y_fit, indices, **kwargs)]
    if len(fitted) != len(members) or any(len(f) != len(chunk) for f in fitted):
        raise ValueError(
            f"fit_splits_stacked returned {[len(f) for f in fitted]} estimators for "
            f"{len(members)} models x {len(chunk)} splits"
        )
    out = []
    for m, fits, pipes in zip(members, fitted, pipes_of, strict=True):
        if pipes is not None:
            for pipe, final in zip(pipes, fits, strict=True):
                pipe.steps[-1] = (m.plan[1], final)
            fits = pipes
        out.append(fits)
    return out


def _run_stacked(members, X, y, chunk, task, on_epoch=None):
    """Fit several models on the same splits in one stacked engine run, then score each.

    ``members``: the :class:`_Member` models (all of one :func:`_stack_key`), ``chunk``
    their common pending splits, ``on_epoch`` the progress callback of the whole run. Each
    trial gets the run's wall time as ``fit_batch_time``, the number of its fits
    (models x splits) as ``fit_batch_size`` and its share as ``fit_time``. If the stacked
    call fails, or the pipelines' preprocessing made different rows or blocks of different
    widths, every model is fitted on its own (:func:`_run_fit_splits`, as without
    stacking) so that a failure names its model; a failed stacked call also warns
    (``RuntimeWarning``) with its cause.
    Returns every scored trial, model by model, then the first :class:`_Failure` if any.
    """
    with _one_thread(task.pin):
        try:
            t0 = time.perf_counter()
            fitted = _fit_stacked(members, X, y, chunk, on_epoch)
            batch_time = time.perf_counter() - t0
        except (_RowsDiffer, _WidthsDiffer):
            fitted = None
        except Exception as exc:  # noqa: BLE001 - refitted alone: the error is named there
            fitted = None
            warnings.warn(
                f"run_trials: the stacked fit of models {[m.name for m in members]} failed "
                f"({type(exc).__name__}: {exc}); fitting each model on its own",
                RuntimeWarning,
                stacklevel=2,
            )
    if fitted is None:
        out = []
        for m in members:
            out += _run_fit_splits(m.name, m.estimator, X, y, chunk, task, m.states,
                                   plan=m.plan, seeds=m.seeds, on_epoch=m.on_epoch)  # fmt: skip
        return _failures_last(out)
    with _one_thread(task.pin):
        n_fits = len(members) * len(chunk)
        per_fit = batch_time / n_fits
        out = []
        for m, fits in zip(members, fitted, strict=True):
            for f, (s, train, test) in zip(fits, chunk, strict=True):
                try:
                    out.append(
                        _score(m.name, s, f, X, y, train, test, task, per_fit, batch_time, n_fits)
                    )
                except Exception as exc:
                    out.append(_Failure(exc, m.name, f"scoring split {s}"))
                    break
        return _failures_last(out)


def _failures_last(out):
    """The trials of ``out``, then its first :class:`_Failure` (the runner stores every
    trial before it raises)."""
    failures = [t for t in out if isinstance(t, _Failure)]
    return [t for t in out if not isinstance(t, _Failure)] + failures[:1]


#: Seconds before any progress shows: runs shorter than this stay silent.
_PROGRESS_DELAY = 0.5
#: Plain progress lines (a log file): at most one per this fraction of the trials, or per
#: this many seconds.
_LINE_STEP = 0.1
_LINE_SECONDS = 30.0


def _isatty(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # closed stream
        return False


def _in_notebook():
    """True inside a Jupyter kernel (IPython's ZMQ shell); imports nothing."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    try:
        shell = get() if callable(get) else None
    except Exception:  # noqa: BLE001 - an IPython that cannot tell is no notebook
        return False
    return type(shell).__name__ == "ZMQInteractiveShell"


class _Progress:
    """The progress of a run, counted in trials, where it can be seen.

    A ``tqdm.auto`` bar (a widget in a notebook, a bar in a terminal) when ``stream`` is a
    terminal or the code runs in a notebook; otherwise (a log file, a pipe) plain lines,
    ``run_trials: 40/100 trials (40%), 12.3 s``, at most one per 10 % of the trials or 30 s;
    nothing when not ``enabled``. Nothing shows during the first half second. A batched
    model's epochs advance the count by fractions (:meth:`epochs`), corrected to the whole
    count as its trials land (:meth:`advance`).
    """

    def __init__(self, total, enabled, stream, clock=time.monotonic):
        self.total, self.done, self.partial = total, 0, 0.0
        self.stream, self.clock = stream, clock
        self.start = clock()
        self.mode = None
        if enabled and total:
            self.mode = "bar" if _in_notebook() or _isatty(stream) else "lines"
        self._bar = None
        self._last = None  # (count, time) of the last line printed
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                desc="run_trials",
                unit="trial",
                file=stream,
                delay=_PROGRESS_DELAY,
            )

    def epochs(self, n_trials):
        """An ``on_epoch(epochs_done, n_epochs)`` callback for a hook training ``n_trials``
        trials together: the count rises by ``n_trials * epochs_done / n_epochs``."""

        def on_epoch(epochs_done, n_epochs):
            if n_epochs > 0:
                self.partial = n_trials * min(max(epochs_done / n_epochs, 0.0), 1.0)
                self._show()

        return on_epoch

    def advance(self, n=1):
        """``n`` trials landed (each one taken off the fraction its batch had shown)."""
        self.done += n
        self.partial = max(0.0, self.partial - n)
        self._show()

    def _count(self):
        count = min(self.done + self.partial, self.total)
        return self.done if count == self.done else round(count, 1)

    def _show(self, final=False):
        if self.mode == "bar":
            self._bar.n = self._count()
            self._bar.update(0)  # redraws when tqdm's delay and mininterval allow
        elif self.mode == "lines":
            now = self.clock()
            count = self._count()
            if now - self.start < _PROGRESS_DELAY:
                return
            if self._last is not None:
                last_count, last_time = self._last
                if str(count) == str(last_count):  # "4.0" (epochs) is followed by "4"
                    return
                due = (
                    count - last_count >= _LINE_STEP * self.total
                    or now - last_time >= _LINE_SECONDS
                    or (final and count >= self.total)
                )
                if not due:
                    return
            self._last = (count, now)
            print(
                f"run_trials: {count}/{self.total} trials ({100 * count / self.total:.0f}%), "
                f"{now - self.start:.1f} s",
                file=self.stream,
                flush=True,
            )

    def close(self):
        if self.mode == "bar":
            self._bar.close()
        elif self.mode == "lines" and self.done:
            self._show(final=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _parallel(n_jobs):
    """A joblib Parallel yielding results as they finish (falls back to a list)."""
    try:
        return joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    except ValueError:  # a backend without generator support (e.g. "multiprocessing")
        return joblib.Parallel(n_jobs=n_jobs)


# --------------------------------------------------------------------------- public
def run_trials(
    models,
    X,
    y,
    *,
    cv=None,
    groups=None,
    scoring=("accuracy",),
    n_jobs=None,
    store=None,
    random_state=None,
    progress=True,
    n_seeds=None,
    seeds="common",
    seed_design="nested",
    keep_estimators=None,
):
    """Fit and score every model on the same cross-validation splits (a paired design).

    Parameters
    ----------
    models : dict of str -> estimator
        Names mapped to unfitted sklearn classifiers. Each is cloned for every split; the
        order of the dict is the order of :attr:`TrialResults.models`.
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Class labels.
    cv : None, int, splitter or iterable of (train, test), default=None
        ``None``: ``RepeatedStratifiedKFold(n_splits=5, n_repeats=10,
        random_state=random_state)``, 50 splits. An int ``k``: ``StratifiedKFold(k)``,
        shuffled with ``random_state`` when that is given. Any sklearn splitter (its
        ``split(X, y)`` is called once) or an iterable of index pairs. The splits are
        materialised once, so every model sees exactly the same ones.
        :class:`RepeatedKFoldWithHalves` adds half-partition splits to a repeated K-fold CV;
        the run records it as :attr:`TrialResults.design`.
    groups : array-like of shape (n_samples,), default=None
        Group labels passed to ``cv.split(X, y, groups)``, for group splitters such as
        :class:`~sklearn.model_selection.GroupKFold` (as in
        :func:`sklearn.model_selection.cross_validate`). Not allowed with an iterable ``cv``.
    scoring : str or tuple of str, default=("accuracy",)
        Scorer names known to :func:`sklearn.metrics.get_scorer` (``"accuracy"``,
        ``"balanced_accuracy"``, ``"f1_macro"``, ``"neg_log_loss"``, ``"roc_auc_ovr"``...).
    n_jobs : int, default=None
        Workers for :class:`joblib.Parallel` (``None``: 1, or the active
        ``joblib.parallel_backend`` context, e.g. ``"dask"``). Each split of an ordinary
        estimator is one task (joblib batches short tasks); a model with the many-split hook
        is one task. In one process (``n_jobs`` resolving to 1) models that can share an
        engine run are one task (see Notes); with more workers each model stays its own
        task, so that the workers train them side by side. Results are identical for any
        ``n_jobs`` and backend. Each worker
        process limits its BLAS/OpenMP pools (threadpoolctl) and, when torch is imported
        there, torch's intra-op threads to one while it runs a task, so that the workers do
        not oversubscribe the cores (``n_jobs=1`` runs in this process and changes nothing).
    store : str or os.PathLike, default=None
        SQLite file in which each finished trial is committed as it arrives (in the calling
        process only). A second run with the same store skips the finished trials. A store
        made for another set-up is refused (see Notes). An existing store is checked before
        any fit (its rows against its set-up) and opened for writing only when something is
        left to run: a complete store is read from a read-only folder.
    random_state : int, RandomState or None, default=None
        Seeds the default (``None`` or int) ``cv`` only; the estimators' seeds come from
        their own ``random_state`` (see Notes). Pass an int with a ``store`` so a resumed run
        gets the same splits.
    progress : bool, default=True
        Show the progress, counted in trials, once the run has lasted half a second: a
        ``tqdm.auto`` bar when stderr is a terminal or the code runs in a Jupyter notebook
        (a widget there); otherwise (stderr a log file or a pipe) plain lines on stderr,
        ``run_trials: 40/100 trials (40%), 12.3 s``, at most one per 10 % of the trials or
        per 30 s. With ``n_jobs=1``, a many-split hook that takes ``on_epoch`` (the
        MLP's) advances the count by fractions of its batch after every epoch, corrected to
        the whole count as its trials land. ``False``: silent.
    n_seeds : int or None, default=None
        Fit every model ``n_seeds`` times on every split, each time with another derived
        seed (a split x seed design, for :func:`variance_components`).
        The trials are numbered split-major: trial ``t`` is data split ``t // n_seeds``,
        seed replica ``t % n_seeds`` (:meth:`TrialResults.split_roles` has ``data_split``
        and ``seed`` columns, :meth:`TrialResults.score_table` averages over the seeds
        unless asked not to). ``None``: one fit per split (``n_seeds=1`` gives the same
        seeds, with the ``seed`` column).
    seeds : {"common", "per_model"}, default="common"
        ``"common"``: the seed of a model on a split is derived from its ``random_state``
        and the split only, so models given the same ``random_state`` start every split from
        the same random numbers (common random numbers: the MSE and the cross-entropy
        network of a split start from the same initial weights, and their difference is
        not blurred by two independent initialisations). ``"per_model"``: the model's name
        enters the derivation too, so every model draws its own seeds.
    seed_design : {"nested", "crossed"}, default="nested"
        With ``n_seeds``: ``"nested"`` gives every (split, replica) its own seed;
        ``"crossed"`` gives replica ``k`` the same seed on every split (the seed is then a
        factor crossed with the split). ``"crossed"`` needs ``n_seeds``.
    keep_estimators : iterable of int, optional
        Trial numbers (splits) whose fitted estimators are kept in
        :attr:`TrialResults.estimators`, ``{(model, split): estimator}``, e.g. ``[0]`` for
        a figure of the models of split 0 without refitting them. Only trials fitted in this
        run are there (a trial resumed from ``store`` is not refitted); never stored.

    Returns
    -------
    TrialResults
        Tables of scores, per-sample predictions and loss curves; rows ordered by model
        (in ``models`` order), then split.

    Raises
    ------
    SetupMismatch
        ``store`` was made for another set-up (a ValueError naming every difference).
    StoreError
        ``store`` cannot be used: not a clfcompare trial store (refused before a byte of it
        is written), damaged (the message names the row), read-only here with trials still
        to run, locked by another process for more than 60 s, or its disk full (the trials
        committed before are kept; run again to resume). A ValueError with ``.path``.

    Notes
    -----
    **Seeds.** A model whose ``get_params(deep=True)`` holds an integer ``random_state`` (or
    ``<step>__random_state``: a pipeline step, an inner estimator) is fitted on split ``s``,
    seed replica ``k``, as ``clone(model).set_params(random_state=derive_seed(
    random_state, s, k))`` (:func:`derive_seed`; ``crossed`` and the model's name as
    ``seeds``/``seed_design`` say), so that the variance initialisation adds is sampled
    across splits, not frozen at one draw. The seeds depend on nothing else: a resumed run,
    another ``n_jobs`` or backend gives the same ones. A model with ``random_state=None``
    or a ``RandomState`` instance is fitted as it is. A many-split hook receives the seeds as
    ``fit_splits(X, y, train_indices, random_states=...)``; a hook that does not take
    ``random_states`` is bypassed for seeded models (each split is then fitted alone).

    Trial :math:`(m, s)` fits ``clone(models[m])`` on ``X[train_s]`` and scores it on
    ``X[test_s]``; ``fit_time`` is the wall time of ``fit``. Estimators with a many-split
    hook (``callable(est.fit_splits)``, see ``docs/interfaces.md``) are fitted on all their
    pending splits in one call; so is a :class:`~sklearn.pipeline.Pipeline` whose last step
    has the hook (e.g. ``StandardScaler`` then the MLP): per split, a clone of the pipeline
    (with the split's derived seeds) fits its preprocessing steps on the training rows as
    ``Pipeline.fit`` does, and the last steps of all splits train together in one
    ``fit_splits`` call on the stacked transformed training rows; each split's fitted
    pipeline is then scored on the original ``X[test_s]``. Their scores equal those of the
    split-by-split path. Such a batch's ``fit_time`` is its per-split share,
    :math:`t_{\\text{fit}} = T_{\\text{batch}} / n_{\\text{batch}}` (for a Pipeline
    :math:`T_{\\text{batch}}` includes the preprocessing); :attr:`TrialResults.fit_batches`
    labels it with ``fit_batch_time`` (:math:`T_{\\text{batch}}`, the wall time of the
    call) and ``fit_batch_size`` (:math:`n_{\\text{batch}}`); a split fitted alone has 1 and
    its ``fit_time``. The store keeps both.

    **Models stacked in one engine run.** Run in one process (``n_jobs`` resolving to 1),
    models whose networks can train together are fitted in one
    :func:`clfcompare.estimators.fit_splits_stacked` call over all their pending splits,
    each model with its own derived seeds, each network exactly as its model's own
    ``fit_splits`` call would train it (bitwise on the CPU with one thread): bare
    ``TorchMLPClassifier`` models (e.g. the MSE and the cross-entropy network of a study),
    or :class:`~sklearn.pipeline.Pipeline` objects ending in one whose preprocessing steps
    are of the same classes with the same parameters (e.g. both ``StandardScaler()``) and
    hold no ``random_state``, so that their stacked transformed rows are the same (checked
    split by split before the call: rows that differ after all send each model to its own
    call). Models stack only with the same pending splits (a resumed store may differ by
    model; a model whose splits are all stored is not refitted). Such a batch's
    ``fit_batch_time`` is the wall time of the whole call and ``fit_batch_size`` its number
    of fits (models x splits), ``fit_time`` the share of one fit. Every trial is still
    scored, kept and stored per model and split. If the stacked call fails, each model is
    fitted on its own call (a ``RuntimeWarning`` gives the stacked call's error), so that
    an error is raised naming its model.

    For a model with ``predict_proba`` the class probabilities of every test sample are
    kept (:attr:`TrialResults.probabilities`, columns in the order of
    :attr:`TrialResults.classes`, the sorted labels of ``y``) and stored, so that log loss,
    Brier score and calibration can be computed from the trials.

    The store fingerprints the set-up: SHA-256 of ``X`` and ``y`` (values, dtype, shape), of
    the materialised split indices and their repeat/fold numbers, the scoring names, and for
    each model its class and every value of ``get_params(deep=True)`` (rendered
    deterministically). Resuming with a different ``X`` (float32 for float64 counts), ``y``,
    splits (or the same splits numbered by another kind of ``cv``), scoring, or different
    class/parameters under a stored model name raises ``ValueError`` naming the differences.
    Parameter values are compared as settings, not as numbers: ``C=1`` and ``C=1.0`` differ
    (equal in Python, but many estimators read an int and a float differently, e.g.
    ``max_features=1`` is one feature and ``1.0`` all of them), and the message says so.
    Functions are compared by qualified name when that identifies them (top level of an
    importable module); a lambda, a local function or one defined in ``__main__`` (a script,
    a notebook) is compared by a digest of its bytecode, constants, the global names it reads,
    its defaults and the values it closes over, so that an edited lambda is refused rather
    than resumed. Such a digest depends on the Python version (a store is then refused under
    another one), and does not cover the values of the globals the function reads. A store
    written before these digests existed holds such a function by its name alone; resuming
    it is refused with that reason (it stays readable by :func:`load_results`).
    New model names may be added to an existing store (they share its splits, so the design
    stays paired); stored models missing from ``models`` are kept in the store but not
    returned. A store that holds no finished trial (the run that made it failed on its first
    trial) is refused the same way, with a message saying so: delete it, nothing is lost. It
    is not set up anew automatically, since another process may still be running its first
    trial under the stored set-up and would then commit that trial under the new one.

    The store records the design (:attr:`TrialResults.design`) and the seeding (scheme,
    ``seeds``, ``n_seeds``, ``seed_design``), and refuses a run that differs in either. A
    store written before seeds were derived per split (no seeding in its set-up) fitted
    every split with the model's own ``random_state``: it is read and resumed as before as
    long as no trial of a model with an integer ``random_state`` remains to be run (a
    complete store, or only unseeded models pending); otherwise the run is refused
    (``SetupDifference`` kind ``"seeding"``), since it would mix the two seedings in one
    model's trials.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> res = run_trials(
    ...     {"logreg": LogisticRegression(), "tree": DecisionTreeClassifier(random_state=0)},
    ...     X, y, cv=3, progress=False,
    ... )
    >>> res
    TrialResults(models=('logreg', 'tree'), scoring=('accuracy',), n_splits=3, trials=6/6)
    >>> res.score_table().shape
    (3, 2)
    >>> len(res.predictions) == 2 * len(y)
    True
    """
    names = _check_models(models)
    scoring = _check_scoring(scoring)
    n_jobs = _check_n_jobs(n_jobs)
    _check_random_state(random_state)
    n_seeds = check_int(n_seeds, "n_seeds", low=1, allow_none=True)
    seeds = check_choice(seeds, "seeds", SEED_SHARING)
    seed_design = check_choice(seed_design, "seed_design", SEED_DESIGNS)
    if seed_design == "crossed" and n_seeds is None:
        raise ValueError(
            "seed_design='crossed' needs n_seeds (the number of seeds every split is crossed with)"
        )
    seed_keys = {name: _check_seeded(name, models[name]) for name in names}
    X, y, groups = indexable(X, y, groups)
    check_consistent_length(X, y, groups)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D class labels, got shape {y.shape}")
    n_samples = len(y)
    classes = _classes(y)
    cv = _make_cv(cv, random_state)
    data_splits = _materialise_splits(cv, X, y, n_samples, groups)
    data_repeats, data_folds = repeat_fold(cv, len(data_splits))
    n_rep = 1 if n_seeds is None else n_seeds
    splits = [pair for pair in data_splits for _ in range(n_rep)]
    repeats, folds = np.repeat(data_repeats, n_rep), np.repeat(data_folds, n_rep)
    keep = _check_keep(keep_estimators, len(splits))
    design = _design(cv, len(data_splits), n_seeds, seed_design)
    seeding = {"scheme": SCHEME, "seeds": seeds, "n_seeds": n_seeds, "seed_design": seed_design}

    def unit_seeds(name, t):  # the derived seeds of model `name` on trial unit t
        return split_seeds(
            seed_keys[name],
            t // n_rep,
            t % n_rep,
            model=name if seeds == "per_model" else None,
            crossed=seed_design == "crossed",
        )

    finished = set()
    db = None
    if store is not None:
        if len(splits) > MAX_SPLITS:
            raise ValueError(
                f"a trial store holds at most {MAX_SPLITS} trials per model; this run has "
                f"{len(splits)} (cv splits x n_seeds)"
            )
        check_storable_labels(y)
        setup = {
            "x_hash": hash_data(X),
            "y_hash": hash_data(y),
            "y_dtype": y.dtype.str,
            "n_samples": n_samples,
            "splits_hash": hash_splits(splits),
            "split_labels_hash": hash_split_labels(repeats, folds),
            "cv": type(cv).__name__,
            "n_splits": len(splits),
            "scoring": list(scoring),
            "design": design,
            "seeding": seeding,
        }
        fingerprints = [(name, *model_fingerprint(models[name])) for name in names]
        defaults = {name: params_at_default(models[name]) for name in names}
        db = TrialStore(store)
    try:
        if db is not None:
            finished = _open_store(
                db, setup, fingerprints, [n for n in names if seed_keys[n]], defaults, classes
            )

        pending = {
            name: [s for s in range(len(splits)) if (name, s) not in finished] for name in names
        }
        n_pending = sum(len(p) for p in pending.values())
        # A many-split job is long. Run in parallel, the long jobs start first (the
        # shortest total time: the batched jobs, the longest first, see _expected_work);
        # run one task at a time, the short per-split trials go first, so that an
        # interrupted run has stored them.
        serial = joblib.effective_n_jobs(n_jobs) == 1
        task = _Task(scoring, classes, keep, pin=not serial)
        fast, tasks = [], []
        trials, kept = [], {}
        with _Progress(n_pending, bool(progress), sys.stderr) as bar:

            def epochs(hook, n_trials):  # the progress callback of a batch, or None
                if serial and bar.mode is not None and _hook_takes(hook, "on_epoch"):
                    return bar.epochs(n_trials)
                return None

            plans = {name: _batch_plan(models[name], seed_keys[name]) for name in names}
            stacks = _stacks(names, models, plans, pending) if serial else {}
            for name in names:
                todo = pending[name]
                if not todo or stacks.get(name, (name,))[0] != name:
                    continue  # done, or a later member of a stack
                est, keys, plan = models[name], seed_keys[name], plans[name]
                if name in stacks:  # the first member: the whole stack in one job
                    chunk = [(s, *splits[s]) for s in todo]
                    members = []
                    for member in stacks[name]:
                        states, seeds_of = _hook_seeds(
                            plans[member], seed_keys[member], [unit_seeds(member, s) for s in todo]
                        )
                        members.append(
                            _Member(
                                member,
                                models[member],
                                plans[member],
                                states,
                                seeds_of,
                                epochs(plans[member][0], len(chunk)),
                            )  # fmt: skip
                        )
                    on_epoch = epochs(plan[0], len(chunk) * len(members))
                    job = joblib.delayed(_run_stacked)(members, X, y, chunk, task, on_epoch)
                    fast.append((_expected_work(plan[0], len(chunk)), job))
                elif plan is not None:
                    chunk = [(s, *splits[s]) for s in todo]
                    states, seeds_of = _hook_seeds(plan, keys, [unit_seeds(name, s) for s in todo])
                    job = joblib.delayed(_run_fit_splits)(
                        name, est, X, y, chunk, task, states, plan=plan, seeds=seeds_of,
                        on_epoch=epochs(plan[0], len(chunk)),
                    )  # fmt: skip
                    fast.append((_expected_work(plan[0], len(chunk)), job))
                else:
                    tasks.extend(
                        joblib.delayed(_run_split)(
                            name, est, X, y, s, *splits[s], task, unit_seeds(name, s)
                        )
                        for s in todo
                    )
            fast = [job for _, job in (fast if serial else _longest_first(fast))]
            jobs = tasks + fast if serial else fast + tasks
            if jobs:
                for batch in _parallel(n_jobs)(jobs):
                    for trial in batch:
                        if isinstance(trial, _Failure):
                            trial.reraise()
                        trial.repeat = int(repeats[trial.split])
                        trial.fold = int(folds[trial.split])
                        if trial.estimator is not None:
                            kept[(trial.model, trial.split)] = trial.estimator
                            trial.estimator = None
                        if db is not None:
                            db.write(trial, trial.repeat, trial.fold)
                        else:
                            trials.append(trial)
                        bar.advance(1)
        if db is not None:
            results = read_results(db, names)
            results.estimators = kept
            return results
        frames = build_frames(trials, names, scoring, y.dtype)
        probabilities, batches = extra_frames(trials, names, y.dtype, len(classes))
        return TrialResults(
            *frames,
            models=names,
            scoring=scoring,
            n_splits=len(splits),
            design=design,
            seeding=seeding,
            probabilities=probabilities,
            classes=classes,
            fit_batches=batches,
            estimators=kept,
        )
    finally:
        if db is not None:
            db.close()


def _expected_work(hook, n_splits):
    """A batched job's rough cost, to start the longest first: the splits times the hook's
    ``max_epochs`` (a network's passes over its rows), or the splits alone for estimators
    without epochs (the classical models here fit in milliseconds per split)."""
    epochs = getattr(hook, "max_epochs", None)
    return n_splits * (epochs if isinstance(epochs, int) and epochs > 0 else 1)


def _longest_first(jobs):
    """``(work, job)`` pairs sorted by work, largest first (ties keep their order)."""
    return sorted(jobs, key=lambda pair: -pair[0])


def _classes(y):
    """The sorted distinct labels of ``y`` (first-seen order for labels that do not sort)."""
    try:
        return np.unique(y)
    except TypeError:
        return np.asarray(pd.unique(y))


def _check_keep(keep_estimators, n_splits):
    """``keep_estimators`` as a frozenset of split numbers in ``0 .. n_splits - 1``."""
    if keep_estimators is None:
        return frozenset()
    if isinstance(keep_estimators, (str, bytes)) or not hasattr(keep_estimators, "__iter__"):
        raise TypeError(
            "keep_estimators must be None or an iterable of split numbers, got "
            f"{type(keep_estimators).__name__}"
        )
    out = set()
    for s in keep_estimators:
        s = check_int(s, "keep_estimators entries")
        if not 0 <= s < n_splits:
            raise ValueError(
                f"keep_estimators holds split {s}, outside 0 .. {n_splits - 1} "
                f"(this run has {n_splits} trials per model)"
            )
        out.add(s)
    return frozenset(out)


def _open_store(db, setup, fingerprints, seeded, defaults=None, classes=()):
    """Set up a new store, or check an existing one; the set of its finished trials.

    An existing store is read only until something is to be written: its set-up is compared
    (:class:`SetupMismatch`) and every row checked (:class:`StoreError`) before any fit, and
    a complete one is never opened for writing (so it is read from a read-only folder).
    """
    names = [name for name, _, _ in fingerprints]
    n_total = len(names) * setup["n_splits"]
    if db.is_new:
        db.make_writable(f"{n_total} trials are still to run")
        if db.initialise(setup, fingerprints, classes):
            return set()
    new = db.check_setup(setup, fingerprints, seeded=seeded, defaults=defaults)
    with db.snapshot():
        db.check_rows()
        finished = db.finished()
    n_splits = setup["n_splits"]
    n_todo = sum(1 for name in names for s in range(n_splits) if (name, s) not in finished)
    if new or n_todo:
        # a store written before the classes and trial_extras tables gets them here
        db.make_writable(f"{n_todo} trials are still to run", classes)
        if new:
            db.add_models(new)
            # one added meanwhile by another process may differ
            db.check_setup(setup, fingerprints, seeded=seeded, defaults=defaults)
    return finished


def load_results(path):
    """Load :class:`TrialResults` from a trial store (see :meth:`TrialResults.from_store`)."""
    return TrialResults.from_store(path)
