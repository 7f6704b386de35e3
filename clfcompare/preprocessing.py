"""Preprocessing fitted inside each cross-validation split: impute, standardise, one-hot encode.

A CSV file with a missing value or a text column cannot go to the models as it is. Filling the
gaps, scaling the columns or encoding the categories on the whole table before the splits
would let every test fold leak into its training fold (the mean used to impute a training row
would include the test rows). :func:`make_preprocessor` builds one scikit-learn transformer
instead, a :class:`~sklearn.compose.ColumnTransformer` that the study puts in front of every
model (``Pipeline([("preprocess", clone(preprocessor)), (name, model)])``), so that it is
fitted on the training rows of each split only and applied to its test rows.

The rest of the toolkit keeps a numeric ``X`` (the trial store hashes it, the checks read it):
:func:`clfcompare.datasets.read_csv_data` stores a text column as float category codes
``0, 1, ..., k - 1`` (NaN where a value is missing) and the preprocessor one-hot encodes those
columns by index (:class:`~sklearn.preprocessing.OneHotEncoder` with
``handle_unknown="ignore"``: a category seen only in a test fold becomes all zeros).

Per column kind:

* ``"numeric"``: :class:`~sklearn.impute.SimpleImputer` (``impute``: mean, median or
  most_frequent) when asked, then :class:`~sklearn.preprocessing.StandardScaler` when
  ``standardize``;
* ``"categorical"``: the most frequent category imputed when ``impute`` is not ``"none"`` (the
  mean of codes means nothing), then the one-hot encoding (``one_hot=True`` is required).

Examples
--------
>>> import numpy as np
>>> from clfcompare.preprocessing import make_preprocessor
>>> X = np.array([[1.0, 0.0], [np.nan, 1.0], [3.0, 2.0], [5.0, 1.0]])
>>> pre = make_preprocessor(["numeric", "categorical"], impute="mean", one_hot=True)
>>> pre.fit_transform(X).shape  # one scaled numeric column and three indicators
(4, 4)
"""

from __future__ import annotations

from clfcompare._checks import InputError, check_bool, check_choice

__all__ = ["COLUMN_KINDS", "IMPUTE_STRATEGIES", "make_preprocessor"]

#: The kinds of column :func:`make_preprocessor` knows.
COLUMN_KINDS = ("numeric", "categorical")

#: ``impute`` values: none, or the strategy of :class:`sklearn.impute.SimpleImputer` for the
#: numeric columns (the categorical ones always get the most frequent category).
IMPUTE_STRATEGIES = ("none", "mean", "median", "most_frequent")


def make_preprocessor(
    column_kinds, *, standardize=True, impute="none", one_hot=False, categories=None
):
    """A transformer that imputes, standardises and one-hot encodes, fitted per split.

    Parameters
    ----------
    column_kinds : sequence of {"numeric", "categorical"}
        The kind of every column of ``X``, in order. A categorical column holds category codes
        (any numbers; NaN for a missing value).
    standardize : bool, default=True
        Scale every numeric column to mean 0 and standard deviation 1 (on the training rows).
    impute : {"none", "mean", "median", "most_frequent"}, default="none"
        How missing values (NaN) of the numeric columns are filled (on the training rows);
        the categorical columns get their most frequent category. ``"none"``: no imputer (the
        models then refuse a NaN).
    one_hot : bool, default=False
        One-hot encode the categorical columns; must be True when there is one (a category
        code is not a measurement).
    categories : sequence of array-like, optional
        The codes each categorical column can take, one entry per categorical column in
        order (e.g. ``range(k)`` for the ``k`` categories of a CSV column, all of the file's:
        the set of categories is no label information). Every split then gets one indicator
        per known category, also for a category missing from its training rows (all zeros
        there), so that every split's output has the same columns. A code outside them gets
        zeros, as a category first seen in a test split does without them (the decision
        regions of a study evaluate a grid of values in every column). Default: the
        categories of each split's training rows (a rare category can then change the width
        between splits).

    Returns
    -------
    sklearn.compose.ColumnTransformer
        Unfitted; numeric columns first in its output, then the indicators.

    Raises
    ------
    ValueError
        An unknown kind or ``impute``, no columns, or a categorical column with
        ``one_hot=False`` (an :class:`~clfcompare._checks.InputError` but for ``impute``).
    TypeError
        ``standardize`` or ``one_hot`` not a bool, ``column_kinds`` a string or not a
        sequence, ``categories`` not a sequence of sequences of numbers.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if isinstance(column_kinds, (str, bytes)) or not _is_sequence(column_kinds):
        raise TypeError(
            f"column_kinds must be a sequence of kinds, one per column, got {column_kinds!r}"
        )
    kinds = [str(k) for k in column_kinds]
    if not kinds:
        raise InputError("column_kinds is empty: the data need at least one column")
    unknown = sorted({k for k in kinds if k not in COLUMN_KINDS})
    if unknown:
        raise InputError(f"unknown column kind(s) {unknown}; choose from {COLUMN_KINDS}")
    standardize = check_bool(standardize, "standardize")
    one_hot = check_bool(one_hot, "one_hot")
    impute = check_choice("none" if impute is None else impute, "impute", IMPUTE_STRATEGIES)
    numeric = [i for i, k in enumerate(kinds) if k == "numeric"]
    categorical = [i for i, k in enumerate(kinds) if k == "categorical"]
    if categorical and not one_hot:
        raise InputError(
            f"column(s) {categorical} are categorical: pass one_hot=True to encode them (a "
            "category code is not a measurement)"
        )
    known = _check_categories(categories, len(categorical))
    parts = []
    if numeric:
        steps = []
        if impute != "none":
            steps.append(("impute", SimpleImputer(strategy=impute)))
        if standardize:
            steps.append(("scale", StandardScaler()))
        parts.append(("numeric", Pipeline(steps) if steps else "passthrough", numeric))
    if categorical:
        steps = []
        if impute != "none":
            steps.append(("impute", SimpleImputer(strategy="most_frequent")))
        # dense output: the models take arrays; a category first seen in a test fold (or a
        # value of the decision regions' grid): zeros
        encoder = OneHotEncoder(
            categories="auto" if known is None else known,
            handle_unknown="ignore",
            sparse_output=False,
        )
        steps.append(("one_hot", encoder))
        parts.append(("categorical", Pipeline(steps), categorical))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _is_sequence(value):
    try:
        len(value)
        iter(value)
    except TypeError:
        return False
    return True


def _check_categories(categories, n_categorical):
    """``categories`` as a list of sorted float arrays, one per categorical column (None:
    None)."""
    import numpy as np

    if categories is None:
        return None
    if isinstance(categories, (str, bytes)) or not _is_sequence(categories):
        raise TypeError(
            "categories must be a sequence with the codes of every categorical column, got "
            f"{type(categories).__name__}"
        )
    if len(categories) != n_categorical:
        raise InputError(
            f"categories has {len(categories)} entries but there are {n_categorical} "
            "categorical columns: give one list of codes per categorical column"
        )
    known = []
    for i, codes in enumerate(categories):
        if isinstance(codes, (str, bytes)) or not _is_sequence(codes):
            raise TypeError(f"categories[{i}] must be a sequence of codes, got {codes!r}")
        try:
            values = np.unique(np.asarray(codes, dtype=float))
        except (TypeError, ValueError):
            raise TypeError(f"categories[{i}] must hold numbers (codes), got {codes!r}") from None
        if values.size == 0 or not np.isfinite(values).all():
            raise InputError(f"categories[{i}] must hold at least one finite code")
        known.append(values)
    return known
