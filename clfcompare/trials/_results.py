"""`TrialResults`: the tidy tables of a trial run, and how they are built."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clfcompare.trials._store import TrialStore, as_label_array

_SCORE_COLUMNS = ("model", "split", "repeat", "fold", "n_train", "n_test", "fit_time")
_PRED_COLUMNS = ("model", "split", "sample", "y_true", "y_pred")
_LOSS_COLUMNS = ("model", "split", "epoch", "loss")


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


def build_frames(trials, models, scoring, y_dtype):
    """The three tidy DataFrames of :class:`TrialResults` from a list of :class:`Trial`.

    Rows are ordered by model (in ``models`` order), then split, then test position / epoch.
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
    models : tuple of str
        Model names, in the order given.
    scoring : tuple of str
        Names of the score columns.
    n_splits : int
        Number of cross-validation splits of the run.

    Notes
    -----
    For ``RepeatedStratifiedKFold``/``RepeatedKFold`` with ``k`` folds per repeat, split
    :math:`s` is repeat :math:`\\lfloor s / k \\rfloor`, fold :math:`s \\bmod k`; other
    splitters have repeat 0 and fold :math:`s`.

    A ``TrialResults`` loaded from an interrupted store may lack trials: :attr:`is_complete`
    says so, :meth:`missing_trials` lists them, and :meth:`score_table` refuses to pair
    incomplete results.
    """

    def __init__(self, scores, predictions, loss_curves, *, models, scoring, n_splits):
        models = tuple(models)
        scoring = tuple(scoring)
        for name, frame, cols in (
            ("scores", scores, _SCORE_COLUMNS + scoring),
            ("predictions", predictions, _PRED_COLUMNS),
            ("loss_curves", loss_curves, _LOSS_COLUMNS),
        ):
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise ValueError(f"{name} lacks the columns {missing}")
        unknown = sorted(set(scores["model"]) - set(models))
        if unknown:
            raise ValueError(f"scores holds models {unknown} that are not in models={models}")
        self.scores = scores
        self.predictions = predictions
        self.loss_curves = loss_curves
        self.models = models
        self.scoring = scoring
        self.n_splits = int(n_splits)

    @classmethod
    def from_store(cls, path):
        """Load the results held in a trial store written by :func:`run_trials`.

        Parameters
        ----------
        path : str or os.PathLike
            The SQLite file. It is opened read-only; only data is read from it (no pickles).

        Returns
        -------
        TrialResults
            Every stored model, in the order it was first stored, with the trials finished so
            far (see :attr:`is_complete`).
        """
        with TrialStore(path, read_only=True) as store, store.snapshot():
            store.check_consistency()
            return results_from_store(store, None)

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
        """True when every model has a result on every split."""
        return len(self.scores) == len(self.models) * self.n_splits

    def score_table(self, metric="accuracy"):
        """Scores as a table: index ``split``, one column per model (in model order).

        Parameters
        ----------
        metric : str, default="accuracy"
            One of :attr:`scoring`, or ``"fit_time"``.

        Returns
        -------
        pandas.DataFrame
            Shape ``(n_splits, n_models)``; the paired design the significance tests need.

        Raises
        ------
        ValueError
            If ``metric`` is not a score column, or some trials are missing.
        """
        if metric not in self.scoring and metric != "fit_time":
            raise ValueError(
                f"metric must be one of {self.scoring + ('fit_time',)}, got {metric!r}"
            )
        if not self.is_complete:
            missing = self.missing_trials()
            raise ValueError(
                f"the results are incomplete ({len(missing)} of "
                f"{len(self.models) * self.n_splits} trials missing, e.g. "
                f"{list(zip(missing['model'], missing['split'], strict=True))[:5]}); "
                "resume the run with the same store to complete them"
            )
        table = self.scores.pivot(index="split", columns="model", values=metric)
        table = table.loc[:, list(self.models)]
        table.columns = pd.Index(list(self.models), name="model")
        return table

    def summary(self):
        """Mean, standard deviation (ddof=1), min and max of each metric per model.

        Returns
        -------
        pandas.DataFrame
            Columns ``model, metric, n, mean, std, min, max``; one row per model and metric
            (the scoring names, then ``fit_time``).
        """
        rows = []
        for model in self.models:
            sub = self.scores[self.scores["model"] == model]
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


def results_from_store(store, models):
    """Build :class:`TrialResults` for ``models`` (None: every stored model) from a store."""
    stored = [name for name, _, _ in store.models()]
    if models is None:
        models = stored
    meta = store.meta
    y_dtype = np.dtype(meta["y_dtype"])
    scoring = tuple(meta["scoring"])
    trials = []
    for model in models:
        for row, sample, y_true, y_pred, loss in store.read_trials(model):
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
                )
            )
    frames = build_frames(trials, models, scoring, y_dtype)
    return TrialResults(*frames, models=models, scoring=scoring, n_splits=meta["n_splits"])
