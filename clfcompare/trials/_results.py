"""`TrialResults`: the tidy tables of a trial run, and how they are built."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clfcompare.trials._integrity import StoreError, damaged
from clfcompare.trials._store import TrialStore, as_label_array

_SCORE_COLUMNS = ("model", "split", "repeat", "fold", "n_train", "n_test", "fit_time")
_PRED_COLUMNS = ("model", "split", "sample", "y_true", "y_pred")
_LOSS_COLUMNS = ("model", "split", "epoch", "loss")
_PROBA_KEYS = ("model", "split", "sample", "y_true")
_BATCH_COLUMNS = ("model", "split", "fit_batch_time", "fit_batch_size")
_ROLES = ("main", "half", "all")
_DESIGN_KINDS = ("halves", "cv")


@dataclass
class Trial:
    """One finished (model, split) trial: what a worker sends back to the parent."""

    model: str
    split: int
    n_train: int
    fit_time: float
    scores: dict
    sample: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    loss: np.ndarray | None = None
    repeat: int = field(default=0)
    fold: int = field(default=0)
    #: wall time of the fit call that fitted this trial (with others in one batch); NaN when
    #: unknown (a store written before it was recorded)
    fit_batch_time: float = float("nan")
    #: number of fits in that call (1 for a split fitted alone)
    fit_batch_size: int = 1
    #: (n_test, n_classes) class probabilities in the order of the run's classes, or None
    proba: np.ndarray | None = None
    #: the fitted estimator, when the run keeps it (never stored)
    estimator: object = None


def build_frames(trials, models, scoring, y_dtype):
    """The three tidy DataFrames of :class:`TrialResults` from a list of :class:`Trial`.

    Rows are ordered by model (in ``models`` order), then split, then test position / epoch.
    :func:`extra_frames` builds the probabilities and fit batches of the same trials.
    """
    order = {name: i for i, name in enumerate(models)}
    trials = sorted(trials, key=lambda t: (order[t.model], t.split))
    n_test = np.array([len(t.sample) for t in trials], dtype=np.int64)
    scores = pd.DataFrame(
        {
            "model": np.array([t.model for t in trials], dtype=object),
            "split": np.array([t.split for t in trials], dtype=np.int64),
            "repeat": np.array([t.repeat for t in trials], dtype=np.int64),
            "fold": np.array([t.fold for t in trials], dtype=np.int64),
            "n_train": np.array([t.n_train for t in trials], dtype=np.int64),
            "n_test": n_test,
            "fit_time": np.array([t.fit_time for t in trials], dtype=float),
            **{name: np.array([t.scores[name] for t in trials], dtype=float) for name in scoring},
        }
    )

    def _cat(arrays, dtype):
        if not arrays:
            return np.array([], dtype=dtype)
        return as_label_array(np.concatenate([as_label_array(a, dtype) for a in arrays]), dtype)

    predictions = pd.DataFrame(
        {
            "model": np.repeat(np.array([t.model for t in trials], dtype=object), n_test),
            "split": np.repeat(np.array([t.split for t in trials], dtype=np.int64), n_test),
            "sample": np.concatenate([np.asarray(t.sample, dtype=np.int64) for t in trials])
            if trials
            else np.array([], dtype=np.int64),
            "y_true": _cat([t.y_true for t in trials], y_dtype),
            "y_pred": _cat([t.y_pred for t in trials], y_dtype),
        }
    )
    curves = [t for t in trials if t.loss is not None]
    n_epochs = np.array([len(t.loss) for t in curves], dtype=np.int64)
    loss_curves = pd.DataFrame(
        {
            "model": np.repeat(np.array([t.model for t in curves], dtype=object), n_epochs),
            "split": np.repeat(np.array([t.split for t in curves], dtype=np.int64), n_epochs),
            "epoch": np.concatenate([np.arange(1, n + 1, dtype=np.int64) for n in n_epochs])
            if curves
            else np.array([], dtype=np.int64),
            "loss": np.concatenate([np.asarray(t.loss, dtype=float) for t in curves])
            if curves
            else np.array([], dtype=float),
        }
    )
    for frame in (scores, predictions, loss_curves):
        # one dtype for the model column whatever the number of rows ("str" in pandas 3)
        frame["model"] = frame["model"].astype(str)
    return scores, predictions, loss_curves


def extra_frames(trials, models, y_dtype, n_classes):
    """:attr:`TrialResults.probabilities` and :attr:`TrialResults.fit_batches` of ``trials``
    (in the row order of :func:`build_frames`); ``n_classes`` columns of probabilities."""
    order = {name: i for i, name in enumerate(models)}
    trials = sorted(trials, key=lambda t: (order[t.model], t.split))
    batches = pd.DataFrame(
        {
            "model": np.array([t.model for t in trials], dtype=object),
            "split": np.array([t.split for t in trials], dtype=np.int64),
            "fit_batch_time": np.array([t.fit_batch_time for t in trials], dtype=float),
            "fit_batch_size": np.array([t.fit_batch_size for t in trials], dtype=np.int64),
        }
    )
    with_proba = [t for t in trials if t.proba is not None]
    n_test = np.array([len(t.sample) for t in with_proba], dtype=np.int64)
    proba = (
        np.concatenate([np.asarray(t.proba, dtype=float) for t in with_proba])
        if with_proba
        else np.zeros((0, n_classes))
    )
    if proba.shape[1:] != (n_classes,):
        raise ValueError(
            f"probabilities have {proba.shape[1:]} columns, expected {n_classes} (the classes)"
        )
    labels = [as_label_array(t.y_true, y_dtype) for t in with_proba]
    probabilities = pd.DataFrame(
        {
            "model": np.repeat(np.array([t.model for t in with_proba], dtype=object), n_test),
            "split": np.repeat(np.array([t.split for t in with_proba], dtype=np.int64), n_test),
            "sample": np.concatenate([np.asarray(t.sample, dtype=np.int64) for t in with_proba])
            if with_proba
            else np.array([], dtype=np.int64),
            "y_true": as_label_array(np.concatenate(labels), y_dtype)
            if labels
            else np.array([], dtype=y_dtype),
            **{f"proba_{j}": proba[:, j] for j in range(n_classes)},
        }
    )
    for frame in (batches, probabilities):
        frame["model"] = frame["model"].astype(str)
    return probabilities, batches


class TrialResults:
    """Results of :func:`run_trials`: one row per model and cross-validation split.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per (model, split): ``model`` (str), ``split`` (int, position in the
        ``cv.split`` order), ``repeat``, ``fold``, ``n_train``, ``n_test`` (int),
        ``fit_time`` (float, seconds), then one float column per scoring name.
    predictions : pandas.DataFrame
        Per-sample test predictions: ``model``, ``split``, ``sample`` (row of ``X``),
        ``y_true``, ``y_pred`` (in the dtype of ``y``).
    loss_curves : pandas.DataFrame
        ``model``, ``split``, ``epoch`` (1-based), ``loss``, for fitted estimators that expose
        ``loss_curve_`` (or whose pipeline's last step does).
    probabilities : pandas.DataFrame or None
        Per-sample test class probabilities of the models with ``predict_proba``:
        ``model``, ``split``, ``sample``, ``y_true``, then ``proba_0`` .. ``proba_{k-1}`` in
        the order of :attr:`classes` (a class absent from a split's training rows has
        probability 0 there). Models without ``predict_proba`` have no rows, nor have trials
        read from a store written before probabilities were stored. ``None`` when the
        results were built without them (``TrialResults(...)`` by hand).
    classes : numpy.ndarray
        The sorted class labels of ``y`` (the columns of :attr:`probabilities`). For a store
        written before they were stored, and for results built by hand without them, the
        sorted labels seen in :attr:`predictions` (``y_true`` and ``y_pred``).
    fit_batches : pandas.DataFrame
        How each trial was fitted: ``model``, ``split``, ``fit_batch_time`` (float, seconds:
        the wall time of the call that fitted it, with the others of its batch) and
        ``fit_batch_size`` (int: the fits in that call). A split fitted alone has size 1 and
        ``fit_batch_time`` equal to its ``fit_time``; a model trained on many splits at once
        (a many-split hook, see :func:`run_trials`) has ``fit_time = fit_batch_time /
        fit_batch_size``, its share. NaN and 1 for trials read from a store written before
        batches were recorded, and for results built by hand without them.
    estimators : dict
        ``{(model, split): fitted estimator}`` for the splits :func:`run_trials` was asked
        to keep (``keep_estimators``) and fitted in that run (not persisted; empty by
        default).
    models : tuple of str
        Model names, in the order given.
    scoring : tuple of str
        Names of the score columns.
    n_splits : int
        Number of trials per model: the cross-validation splits of the run, times
        ``n_seeds`` in a split x seed design.
    design : dict or None
        ``None`` for ordinary CV. :class:`RepeatedKFoldWithHalves`: ``{"kind": "halves",
        "n_main": J, "n_splits": K, "n_repeats": R, "n_partitions": M, "inner_splits": F}``;
        a run with ``n_seeds``: ``"n_seeds"`` and ``"seed_design"`` added (to
        ``{"kind": "cv", "n_main": J}`` for ordinary CV, ``J`` its number of splits). Test
        ``design.get("kind") == "halves"`` for the half-partition design. Persisted in the
        store (None for a store written before designs were recorded).
    seeding : dict or None
        How the models' seeds were derived (``scheme``, ``seeds``, ``n_seeds``,
        ``seed_design``, see :func:`run_trials`); None for a store written before seeds
        were derived per split (every split fitted with the model's own ``random_state``).

    Notes
    -----
    For ``RepeatedStratifiedKFold``/``RepeatedKFold`` with ``k`` folds per repeat, split
    :math:`s` is repeat :math:`\\lfloor s / k \\rfloor`, fold :math:`s \\bmod k`; other
    splitters have repeat 0 and fold :math:`s`. :class:`RepeatedKFoldWithHalves` numbers
    its half splits as further repeats (see there). In a design with ``n_seeds`` seeds per
    split, trial ``t`` is data split ``t // n_seeds``, seed ``t % n_seeds``, with the repeat
    and fold of its data split. :meth:`split_roles` tells every trial's place in the design;
    :meth:`score_table` and :meth:`summary` read the main splits only by default.

    A ``TrialResults`` loaded from an interrupted store may lack trials: :attr:`is_complete`
    says so, :meth:`missing_trials` lists them, and :meth:`score_table` refuses to pair
    incomplete results.
    """

    def __init__(
        self,
        scores,
        predictions,
        loss_curves,
        *,
        models,
        scoring,
        n_splits,
        design=None,
        seeding=None,
        probabilities=None,
        classes=None,
        fit_batches=None,
        estimators=None,
    ):
        models = tuple(models)
        scoring = tuple(scoring)
        if classes is None:
            classes = _labels_seen(predictions)
        classes = np.asarray(classes)
        if classes.ndim != 1:
            raise ValueError(f"classes must be 1-D, got shape {classes.shape}")
        proba_cols = _PROBA_KEYS + tuple(f"proba_{j}" for j in range(len(classes)))
        if fit_batches is None:
            fit_batches = pd.DataFrame(
                {
                    "model": scores["model"].astype(str),
                    "split": scores["split"].astype(np.int64),
                    "fit_batch_time": np.full(len(scores), np.nan),
                    "fit_batch_size": np.ones(len(scores), dtype=np.int64),
                }
            )
        checks = [("fit_batches", fit_batches, _BATCH_COLUMNS)]
        if probabilities is not None:
            checks.append(("probabilities", probabilities, proba_cols))
        for name, frame, cols in (
            ("scores", scores, _SCORE_COLUMNS + scoring),
            ("predictions", predictions, _PRED_COLUMNS),
            ("loss_curves", loss_curves, _LOSS_COLUMNS),
            *checks,
        ):
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ValueError(f"{name} lacks the columns {missing}")
        unknown = sorted(set(scores["model"]) - set(models))
        if unknown:
            raise ValueError(f"scores holds models {unknown} that are not in models={models}")
        n_splits = int(n_splits)
        keys = scores[["model", "split"]]
        twice = keys[keys.duplicated()]
        if len(twice):
            raise ValueError(
                f"scores holds duplicate (model, split) rows, e.g. "
                f"{list(twice.itertuples(index=False, name=None))[:5]}"
            )
        split = scores["split"].to_numpy()
        outside = keys[(split < 0) | (split >= n_splits)]
        if len(outside):
            raise ValueError(
                f"scores holds splits outside 0 .. {n_splits - 1} (n_splits={n_splits}), e.g. "
                f"{list(outside.itertuples(index=False, name=None))[:5]}"
            )
        self.scores = scores
        self.predictions = predictions
        self.loss_curves = loss_curves
        self.models = models
        self.scoring = scoring
        self.n_splits = int(n_splits)
        self.design = _check_design(design, self.n_splits)
        self.seeding = None if seeding is None else dict(seeding)
        self.probabilities = probabilities
        self.classes = classes
        self.fit_batches = fit_batches
        if estimators is not None and not isinstance(estimators, dict):
            raise TypeError(f"estimators must be a dict, got {type(estimators).__name__}")
        self.estimators = {} if estimators is None else dict(estimators)

    @classmethod
    def from_store(cls, path):
        """Load the results held in a trial store written by :func:`run_trials`.

        Parameters
        ----------
        path : str or os.PathLike
            The SQLite file. It is opened read-only; only data is read from it (no pickles).
            A store in a folder that cannot be written (an archive, a read-only share) is
            read as it is, unless a ``-wal`` file beside it holds transactions not yet in
            the store's file.

        Returns
        -------
        TrialResults
            Every stored model, in the order it was first stored, with the trials finished so
            far (see :attr:`is_complete`).

        Raises
        ------
        FileNotFoundError
            No file at ``path``.
        StoreError
            ``path`` is not a clfcompare trial store, or is damaged: every row is checked
            against the store's set-up (missing or extra prediction rows, splits outside
            ``0 .. n_splits - 1``, values of the wrong type, NULL labels or labels not of the
            stored label dtype), and the message names the first row at fault.
        """
        with TrialStore(path, read_only=True) as store:
            return read_results(store, None)

    # ------------------------------------------------------------------ accessors
    def missing_trials(self):
        """DataFrame of the ``(model, split)`` pairs without a result."""
        have = set(zip(self.scores["model"], self.scores["split"], strict=True))
        rows = [(m, s) for m in self.models for s in range(self.n_splits) if (m, s) not in have]
        return pd.DataFrame(
            {
                "model": np.array([m for m, _ in rows], dtype=object),
                "split": np.array([s for _, s in rows], dtype=np.int64),
            }
        )

    @property
    def is_complete(self):
        """True when every model has a result on every split: the set of ``(model, split)``
        keys of :attr:`scores` is every model times ``0 .. n_splits - 1`` (the constructor
        refuses duplicated keys and splits outside that range)."""
        keys = set(zip(self.scores["model"], self.scores["split"].tolist(), strict=True))
        return len(keys) == len(self.models) * self.n_splits and all(
            m in self.models and 0 <= s < self.n_splits for m, s in keys
        )

    @property
    def n_seeds(self):
        """Seeds per split (1 unless the run had ``n_seeds``)."""
        return 1 if self.design is None else int(self.design.get("n_seeds") or 1)

    def split_roles(self):
        """Every trial's place in the design: one row per split (trial number).

        Returns
        -------
        pandas.DataFrame
            Columns ``split`` (the ``split`` of :attr:`scores`), ``role`` (``"main"`` for the
            repeated K-fold CV, ``"half"`` for the inner CV of a half partition),
            ``repeat``, ``fold``, ``partition`` and ``half`` (-1 for main splits); with
            ``n_seeds`` also ``data_split`` (the splitter's split) and ``seed`` (the replica,
            ``0 .. n_seeds - 1``). A half split's ``fold`` is its inner fold, its ``repeat``
            ``R + 2 * partition + half``. For ordinary CV ``repeat`` and ``fold`` are read from
            the stored trials (-1 for a split of which none is stored).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.dummy import DummyClassifier
        >>> from clfcompare.trials import RepeatedKFoldWithHalves, run_trials
        >>> X, y = np.zeros((40, 1)), np.repeat([0, 1], 20)
        >>> cv = RepeatedKFoldWithHalves(n_splits=2, n_repeats=1, n_partitions=1,
        ...                              random_state=0)
        >>> res = run_trials({"d": DummyClassifier()}, X, y, cv=cv, progress=False)
        >>> res.split_roles()
           split  role  repeat  fold  partition  half
        0      0  main       0     0         -1    -1
        1      1  main       0     1         -1    -1
        2      2  half       1     0          0     0
        3      3  half       1     1          0     0
        4      4  half       2     0          0     1
        5      5  half       2     1          0     1
        """
        n_rep = self.n_seeds
        unit = np.arange(self.n_splits, dtype=np.int64)
        data = unit // n_rep
        design = self.design
        if design is not None and design["kind"] == "halves":
            n_main, k = design["n_main"], design["n_splits"]
            n_inner = design["inner_splits"]
            main = data < n_main
            h = np.where(main, 0, data - n_main)
            partition = np.where(main, -1, h // (2 * n_inner))
            half = np.where(main, -1, (h // n_inner) % 2)
            repeat = np.where(main, data // k, design["n_repeats"] + 2 * partition + half)
            fold = np.where(main, data % k, h % n_inner)
        else:
            main = np.ones(len(unit), dtype=bool)
            partition = half = np.full(len(unit), -1, dtype=np.int64)
            labels = self.scores.groupby("split")[["repeat", "fold"]].first()
            repeat = labels["repeat"].reindex(unit, fill_value=-1).to_numpy()
            fold = labels["fold"].reindex(unit, fill_value=-1).to_numpy()
        frame = pd.DataFrame(
            {
                "split": unit,
                "role": np.where(main, "main", "half").astype(object),
                "repeat": np.asarray(repeat, dtype=np.int64),
                "fold": np.asarray(fold, dtype=np.int64),
                "partition": np.asarray(partition, dtype=np.int64),
                "half": np.asarray(half, dtype=np.int64),
            }
        )
        frame["role"] = frame["role"].astype(str)
        if design is not None and "n_seeds" in design:
            frame["data_split"] = data
            frame["seed"] = unit % n_rep
        return frame

    def _table(self, column, role, by_seed):
        """``column`` of :attr:`scores` as (rows of ``role``) x model, see :meth:`score_table`."""
        role = _check_role(role)
        if not isinstance(by_seed, bool):
            raise TypeError(f"by_seed must be a bool, got {type(by_seed).__name__}")
        roles = self.split_roles()
        seeded = "seed" in roles.columns
        table = self.scores.pivot(index="split", columns="model", values=column)
        table = table.reindex(columns=list(self.models))
        table.columns = pd.Index(list(self.models), name="model")
        if role == "all":
            return table
        roles = roles[roles["role"] == role].set_index("split")
        table = table.loc[roles.index]
        if role == "main":
            keys = ["data_split"] if seeded else []
            names = ["split"]
        else:
            keys = ["partition", "half", "fold"]
            names = keys
        if seeded and by_seed:
            keys, names = [*keys, "seed"], [*names, "seed"]
        if keys:
            table.index = pd.MultiIndex.from_frame(roles[keys], names=names)
        if seeded and not by_seed:
            table = table.groupby(level=list(range(len(names))), sort=False).mean()
            table.columns = pd.Index(list(self.models), name="model")
        if len(names) == 1:
            table.index = pd.Index(table.index.get_level_values(0), name=names[0])
        return table

    def score_table(self, metric="accuracy", role="main", *, by_seed=False):
        """Scores as a table: one row per split of ``role``, one column per model.

        Parameters
        ----------
        metric : str, default="accuracy"
            One of :attr:`scoring`, or ``"fit_time"``.
        role : {"main", "half", "all"}, default="main"
            ``"main"``: the repeated K-fold CV splits, index ``split`` (for ordinary CV every
            split: the whole table). ``"half"``: the inner-CV splits of the half partitions
            of :class:`RepeatedKFoldWithHalves`, index ``(partition, half, fold)``.
            ``"all"``: every trial, index ``split`` (the trial numbers of :attr:`scores`).
        by_seed : bool, default=False
            In a design with ``n_seeds``: ``False`` averages each model's scores over the
            seeds of a split (``split`` is then the data split, ``0 .. J - 1`` for main);
            ``True`` keeps them, adding an index level ``seed``. Ignored otherwise.

        Returns
        -------
        pandas.DataFrame
            For ``role="main"`` shape ``(J, n_models)``: the paired design the significance
            tests need.

        Raises
        ------
        ValueError
            If ``metric`` or ``role`` is unknown, or some trials are missing.
        """
        if metric not in self.scoring and metric != "fit_time":
            raise ValueError(
                f"metric must be one of {self.scoring + ('fit_time',)}, got {metric!r}"
            )
        self._check_complete()
        return self._table(metric, role, by_seed)

    def split_sizes(self, role="main", *, by_seed=False):
        """``n_train`` and ``n_test`` of every split, on the index of :meth:`score_table`.

        Parameters
        ----------
        role : {"main", "half", "all"}, default="main"
        by_seed : bool, default=False

        Returns
        -------
        pandas.DataFrame
            Columns ``n_train``, ``n_test`` (int), aligned with
            ``score_table(metric, role, by_seed=by_seed)``.
        """
        self._check_complete()
        first = self.models[0]
        cols = {}
        for column in ("n_train", "n_test"):
            table = self._table(column, role, by_seed)
            cols[column] = table[first].round().astype(np.int64)
        return pd.DataFrame(cols)

    def _check_complete(self):
        if not self.is_complete:
            missing = self.missing_trials()
            raise ValueError(
                f"the results are incomplete ({len(missing)} of "
                f"{len(self.models) * self.n_splits} trials missing, e.g. "
                f"{list(zip(missing['model'], missing['split'], strict=True))[:5]}); "
                "resume the run with the same store to complete them"
            )

    def summary(self):
        """Mean, standard deviation (ddof=1), min and max of each metric per model.

        Over the trials of the main splits (every trial for ordinary CV; in a design with
        ``n_seeds``, every seed of every main split).

        Returns
        -------
        pandas.DataFrame
            Columns ``model, metric, n, mean, std, min, max``; one row per model and metric
            (the scoring names, then ``fit_time``).
        """
        rows = []
        roles = self.split_roles()
        main = set(roles.loc[roles["role"] == "main", "split"].tolist())
        scores = self.scores[self.scores["split"].isin(main)]
        for model in self.models:
            sub = scores[scores["model"] == model]
            for metric in (*self.scoring, "fit_time"):
                v = sub[metric].to_numpy(dtype=float)
                n = len(v)
                rows.append(
                    (
                        model,
                        metric,
                        n,
                        v.mean() if n else np.nan,
                        v.std(ddof=1) if n > 1 else np.nan,
                        v.min() if n else np.nan,
                        v.max() if n else np.nan,
                    )
                )
        return pd.DataFrame(rows, columns=["model", "metric", "n", "mean", "std", "min", "max"])

    def scores_long(self):
        """The score columns stacked: ``model, split, repeat, fold, metric, value``."""
        return self.scores.melt(
            id_vars=["model", "split", "repeat", "fold"],
            value_vars=list(self.scoring),
            var_name="metric",
            value_name="value",
        )

    def __repr__(self):
        return (
            f"TrialResults(models={self.models!r}, scoring={self.scoring!r}, "
            f"n_splits={self.n_splits}, trials={len(self.scores)}/"
            f"{len(self.models) * self.n_splits})"
        )


def read_results(store, models):
    """:class:`TrialResults` for ``models`` (None: every stored model) from an open store,
    in one read transaction, after checking every row (:meth:`TrialStore.check_rows`): the
    one check of every path that reads a store (:func:`load_results`, :func:`run_trials`
    fresh, resumed or complete)."""
    with store.snapshot():
        store.check_rows()
        try:
            return results_from_store(store, models)
        except StoreError:
            raise
        except (KeyError, TypeError, ValueError) as exc:  # e.g. a design the rows contradict
            raise damaged(store.path, f"{type(exc).__name__}: {exc}") from exc


def results_from_store(store, models):
    """Build :class:`TrialResults` for ``models`` (None: every stored model) from a store."""
    stored = [name for name, _, _ in store.models()]
    if models is None:
        models = stored
    meta = store.meta
    y_dtype = np.dtype(meta["y_dtype"])
    scoring = tuple(meta["scoring"])
    trials = []
    classes = store.read_classes()
    classes = None if classes is None else as_label_array(classes, y_dtype)
    n_classes = None if classes is None else len(classes)
    for model in models:
        for row, sample, y_true, y_pred, loss in store.read_trials(model, n_classes):
            trials.append(
                Trial(
                    model=model,
                    split=row["split"],
                    n_train=row["n_train"],
                    fit_time=row["fit_time"],
                    scores=row["scores"],
                    sample=sample,
                    y_true=as_label_array(y_true, y_dtype),
                    y_pred=as_label_array(y_pred, y_dtype),
                    loss=loss,
                    repeat=row["repeat"],
                    fold=row["fold"],
                    fit_batch_time=row["fit_batch_time"],
                    fit_batch_size=row["fit_batch_size"],
                    proba=row["proba"],
                )
            )
    frames = build_frames(trials, models, scoring, y_dtype)
    if classes is None:  # a store written before the classes were stored
        classes = _labels_seen(frames[1])
    probabilities, batches = extra_frames(trials, models, y_dtype, len(classes))
    return TrialResults(
        *frames,
        models=models,
        scoring=scoring,
        n_splits=meta["n_splits"],
        design=meta.get("design"),
        seeding=meta.get("seeding"),
        probabilities=probabilities,
        classes=classes,
        fit_batches=batches,
    )


def _labels_seen(predictions):
    """The sorted distinct labels of ``y_true`` and ``y_pred`` of a predictions frame."""
    values = np.concatenate([np.asarray(predictions["y_true"]), np.asarray(predictions["y_pred"])])
    try:
        return np.unique(values)
    except TypeError:  # object labels that do not sort together: first-seen order
        return np.asarray(pd.unique(values))


def _check_role(role):
    if role not in _ROLES:
        raise ValueError(f"role must be one of {_ROLES}, got {role!r}")
    return role


def _check_design(design, n_splits):
    """A copy of ``design`` after checking it is None or a dict consistent with ``n_splits``."""
    if design is None:
        return None
    if not isinstance(design, dict) or design.get("kind") not in _DESIGN_KINDS:
        raise ValueError(
            f"design must be None or a dict with kind in {_DESIGN_KINDS}, got {design!r}"
        )
    design = dict(design)
    n_seeds = design.get("n_seeds") or 1
    n_data = design["n_main"]
    if design["kind"] == "halves":
        n_data += 2 * design["n_partitions"] * design["inner_splits"]
    if n_data * n_seeds != n_splits:
        raise ValueError(
            f"design {design} describes {n_data * n_seeds} trials per model, "
            f"n_splits is {n_splits}"
        )
    return design
