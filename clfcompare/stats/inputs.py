"""Scores produced elsewhere, as the wide score table the tests read.

Every test across data sets reads a *wide* table: one row per block (a data set, or a split of
one data set), one column per model, higher scores better unless said otherwise.
:func:`as_score_table` builds it from

- a wide pandas DataFrame (returned as a float copy, after checks);
- a long pandas DataFrame with one row per (model, block) and a score column, e.g. columns
  ``model, dataset, score`` or ``model, split, accuracy`` (pivoted);
- scikit-learn's ``GridSearchCV.cv_results_`` (or the fitted search object): one column per
  candidate, one row per split, from the ``split<i>_test_<metric>`` entries
  (:func:`from_cv_results`);
- a 2-D array (models named ``0 .. k-1``).

:func:`published_table` loads the published result tables bundled with the package
(``data/benchmarks``: Demšar 2006, García and Herrera 2008, García et al. 2010, scmamp's
cross-validation example), each with its citation in that folder's README.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from clfcompare._checks import InputError, check_choice

__all__ = [
    "BLOCK_COLUMNS",
    "PUBLISHED_TABLES",
    "as_score_table",
    "from_cv_results",
    "published_table",
]

#: Column names :func:`as_score_table` recognises as the block of a long table, in order.
BLOCK_COLUMNS = ("dataset", "data_set", "split", "fold", "block")

#: Names accepted by :func:`published_table` and their files in ``data/benchmarks``.
PUBLISHED_TABLES = {
    "demsar_2006": "demsar_2006.csv",
    "garcia_herrera_2008": "garcia_herrera_2008.csv",
    "garcia_herrera_2010": "garcia_herrera_2010.csv",
    "scmamp_kcv_example": "scmamp_kcv_example.csv",
}

_SPLIT_KEY = re.compile(r"^split(\d+)_test_(.+)$")


def _check_wide(table, name="score table"):
    """Float copy of a wide table, or an error naming the bad column / cell."""
    if table.shape[1] < 2:
        raise InputError(
            f"the {name} needs at least 2 model columns, got {list(table.columns)}; for a long "
            "table (one row per model and block) pass model=, block= and score= column names"
        )
    if table.shape[0] < 1:
        raise InputError(f"the {name} has no rows")
    if table.columns.duplicated().any():
        dupes = sorted({str(c) for c in table.columns[table.columns.duplicated()]})
        raise InputError(f"the {name} has duplicate model column(s) {dupes}")
    out = {}
    for col in table.columns:
        values = pd.to_numeric(table[col], errors="coerce")
        bad = values.isna() & table[col].notna()
        if bad.any():
            first = table[col][bad].iloc[0]
            raise InputError(
                f"column {col!r} of the {name} holds a non-numeric score {first!r} "
                f"(row {table.index[bad][0]!r})"
            )
        out[col] = values.astype(np.float64)
    wide = pd.DataFrame(out, index=table.index)
    missing = wide.isna() | ~np.isfinite(wide)
    if missing.to_numpy().any():
        rows, cols = np.nonzero(missing.to_numpy())
        cells = [(wide.index[r], wide.columns[c]) for r, c in zip(rows[:5], cols[:5], strict=True)]
        raise InputError(
            f"the {name} has {len(rows)} missing or non-finite score(s), e.g. (row, model) "
            f"{cells}; every model must be scored on every row"
        )
    return wide


def _pick_block(frame, block):
    if block is not None:
        return block
    for name in BLOCK_COLUMNS:
        if name in frame.columns:
            return name
    raise InputError(
        f"cannot tell which column holds the blocks of this long table (none of "
        f"{list(BLOCK_COLUMNS)}); columns are {list(frame.columns)}: pass block=..."
    )


def _long_to_wide(frame, model, block, score):
    missing = [c for c in (model, block, score) if c not in frame.columns]
    if missing:
        raise InputError(
            f"the long score table lacks column(s) {missing}; it has {list(frame.columns)}"
        )
    dupes = frame.duplicated([model, block])
    if dupes.any():
        first = frame.loc[dupes, [model, block]].iloc[0].tolist()
        raise InputError(
            f"the long score table has more than one score for (model, {block}) = {first}; "
            "average the repeats first or give each its own block"
        )
    models = list(pd.unique(frame[model]))
    blocks = list(pd.unique(frame[block]))
    wide = frame.pivot(index=block, columns=model, values=score)
    wide = wide.reindex(index=blocks, columns=models)
    wide.columns.name = None
    return _check_wide(wide, "long score table (pivoted)")


def from_cv_results(cv_results, *, metric=None, names=None):
    """A wide score table (rows: splits, columns: candidates) from ``cv_results_``.

    Parameters
    ----------
    cv_results : mapping or fitted ``GridSearchCV`` / ``RandomizedSearchCV``
        ``search.cv_results_`` (or the search itself): its ``split<i>_test_<metric>`` entries
        hold one score per candidate for split ``i``.
    metric : str or None, default=None
        Which test score, for a search with several scorers (``"score"`` for a single
        unnamed scorer). None: the only one present.
    names : sequence of str or None, default=None
        Column names, one per candidate. None: ``str(params)`` of each candidate, e.g.
        ``"{'C': 1.0}"``.

    Returns
    -------
    DataFrame of shape (n_splits, n_candidates)
        The index is named ``split`` (0, 1, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.stats.inputs import from_cv_results
    >>> res = {"params": [{"C": 1}, {"C": 10}],
    ...        "split0_test_score": np.array([0.8, 0.9]),
    ...        "split1_test_score": np.array([0.7, 0.85])}
    >>> from_cv_results(res, names=["C=1", "C=10"])
           C=1  C=10
    split
    0      0.8  0.90
    1      0.7  0.85
    """
    if hasattr(cv_results, "cv_results_"):
        cv_results = cv_results.cv_results_
    if not isinstance(cv_results, Mapping):
        raise TypeError(
            "cv_results must be GridSearchCV.cv_results_ (a dict) or a fitted search, got "
            f"{type(cv_results).__name__}"
        )
    by_metric = {}
    for key in cv_results:
        match = _SPLIT_KEY.match(str(key))
        if match:
            by_metric.setdefault(match.group(2), []).append((int(match.group(1)), key))
    if not by_metric:
        raise InputError(
            "cv_results has no 'split<i>_test_<metric>' entries; was it fitted with "
            f"cross-validation? keys: {sorted(map(str, cv_results))[:10]}"
        )
    if metric is None:
        if len(by_metric) > 1:
            raise InputError(
                f"cv_results holds several test metrics {sorted(by_metric)}; pass metric=..."
            )
        metric = next(iter(by_metric))
    metric = check_choice(metric, "metric", sorted(by_metric))
    keys = [key for _, key in sorted(by_metric[metric])]
    scores = np.vstack([np.asarray(cv_results[key], dtype=np.float64) for key in keys])
    n_candidates = scores.shape[1]
    if names is None:
        params = cv_results.get("params")
        if params is None or len(params) != n_candidates:
            names = [f"candidate {i}" for i in range(n_candidates)]
        else:
            names = [str(p) for p in params]
    else:
        names = [str(n) for n in names]
        if len(names) != n_candidates:
            raise InputError(
                f"names has {len(names)} entries but cv_results has {n_candidates} candidates"
            )
    table = pd.DataFrame(scores, columns=names, index=pd.RangeIndex(len(keys), name="split"))
    return _check_wide(table, "cv_results score table")


def as_score_table(data, *, model=None, block=None, score=None, metric=None):
    """The wide score table (rows: blocks, columns: models) of ``data``.

    Parameters
    ----------
    data : DataFrame, mapping, fitted search or array-like of shape (N, k)
        A wide DataFrame (every column a model), a long DataFrame (pass ``model=`` and
        ``score=``, or have columns ``model`` and ``score``), ``GridSearchCV.cv_results_``
        or the fitted search (:func:`from_cv_results`), a mapping ``{model: scores}``, or a
        2-D array.
    model, block, score : str or None
        Column names of a long table: the model, the block (default: the first of
        :data:`BLOCK_COLUMNS` present) and the score. A DataFrame with columns ``model`` and
        ``score`` is read as long without them.
    metric : str or None
        For ``cv_results``: which test metric.

    Returns
    -------
    DataFrame of float64
        One row per block, one column per model, no missing values.

    Raises
    ------
    InputError
        (a ValueError) naming the missing column, the duplicate (model, block) pair, the
        missing or non-numeric score.
    TypeError
        For an input of another kind.

    Examples
    --------
    >>> import pandas as pd
    >>> from clfcompare.stats.inputs import as_score_table
    >>> long = pd.DataFrame({"model": ["a", "b", "a", "b"], "dataset": ["x", "x", "y", "y"],
    ...                      "score": [0.9, 0.8, 0.7, 0.75]})
    >>> as_score_table(long)
               a     b
    dataset
    x        0.9  0.80
    y        0.7  0.75
    """
    if isinstance(data, pd.DataFrame):
        long_hint = model is not None or score is not None or {"model", "score"} <= set(data)
        if long_hint:
            model = "model" if model is None else model
            score = "score" if score is None else score
            return _long_to_wide(data, model, _pick_block(data, block), score)
        return _check_wide(data)
    if hasattr(data, "cv_results_"):
        return from_cv_results(data, metric=metric)
    if isinstance(data, Mapping):
        keys = [str(key) for key in data]
        if "params" in keys or any(
            _SPLIT_KEY.match(key) or key.startswith("mean_test_") for key in keys
        ):
            return from_cv_results(data, metric=metric)
        try:
            frame = pd.DataFrame(dict(data))
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"a mapping must be cv_results_ or {{model: scores}} with equal lengths: {exc}"
            ) from exc
        return _check_wide(frame)
    if isinstance(data, pd.Series | str) or data is None:
        raise TypeError(
            "expected a score table (a wide or long DataFrame, cv_results_ or a 2-D array), "
            f"got {type(data).__name__}"
        )
    try:
        array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read a score table from {type(data).__name__}: {exc}") from exc
    if array.ndim != 2:
        raise InputError(
            f"a score table array must be 2-dimensional (rows = blocks, columns = models), "
            f"got shape {array.shape}"
        )
    return _check_wide(pd.DataFrame(array))


def published_table(name):
    """One of the published result tables bundled in ``data/benchmarks``.

    Parameters
    ----------
    name : {"demsar_2006", "garcia_herrera_2008", "garcia_herrera_2010", \
"scmamp_kcv_example"}
        See ``data/benchmarks/README.md`` for the sources.

    Returns
    -------
    DataFrame
        The first three: rows data sets (index ``dataset``), columns classifiers (AUC or
        accuracy as published). ``scmamp_kcv_example``: the long table with columns
        ``dataset, repetition, fold, AlgA, AlgB, AlgC, AlgD`` (AUC of 10x10-fold CV on 10 data
        sets).

    Examples
    --------
    >>> from clfcompare.stats.inputs import published_table
    >>> published_table("demsar_2006").shape
    (14, 4)
    """
    filename = PUBLISHED_TABLES[check_choice(name, "name", tuple(PUBLISHED_TABLES))]
    path = None
    try:
        res = resources.files("clfcompare.data").joinpath("benchmarks", filename)
        if res.is_file():
            path = res
    except ModuleNotFoundError:
        pass
    if path is None:
        path = Path(__file__).resolve().parents[2] / "data" / "benchmarks" / filename
    with path.open("r", encoding="utf-8") as handle:
        if name == "scmamp_kcv_example":
            return pd.read_csv(handle)
        return pd.read_csv(handle, index_col="dataset")
