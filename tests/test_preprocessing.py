"""Tests for clfcompare.preprocessing: the transformer fitted inside each split.

References: a ColumnTransformer built by hand from scikit-learn's SimpleImputer, StandardScaler
and OneHotEncoder, and numpy's nanmean/nanmedian over the training rows only.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from clfcompare._checks import InputError
from clfcompare.preprocessing import make_preprocessor


@pytest.fixture
def mixed():
    """Two numeric columns (one with gaps) around a categorical one (codes 0..2, one gap)."""
    rng = np.random.default_rng(0)
    n = 40
    X = np.column_stack(
        [rng.normal(5, 2, n), rng.integers(0, 3, n).astype(float), rng.normal(-1, 10, n)]
    )
    X[[3, 7, 11], 0] = np.nan
    X[5, 1] = np.nan
    return X


def by_hand(strategy="mean"):
    numeric = make_pipeline(SimpleImputer(strategy=strategy), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer([("n", numeric, [0, 2]), ("c", categorical, [1])])


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent"])
def test_the_transformer_is_the_hand_built_column_transformer(mixed, strategy):
    kinds = ["numeric", "categorical", "numeric"]
    pre = make_preprocessor(kinds, standardize=True, impute=strategy, one_hot=True)
    train, test = mixed[:30], mixed[30:].copy()
    test[0, 1] = 7.0  # a category the training rows never saw
    ours = pre.fit(train)
    ref = by_hand(strategy).fit(train)
    assert_allclose(ours.transform(train), ref.transform(train), rtol=0, atol=1e-12)
    out = ours.transform(test)
    assert_allclose(out, ref.transform(test), rtol=0, atol=1e-12)
    # 2 numeric columns, then one indicator per training category; the unseen one: zeros
    assert out.shape == (10, 2 + 3)
    assert_allclose(out[0, 2:], 0.0)
    assert np.isfinite(ours.transform(mixed)).all()


def test_imputation_and_scaling_see_the_training_rows_only(mixed):
    # leakage-free: the statistics are those of the rows it was fitted on, not of all rows
    pre = make_preprocessor(["numeric", "categorical", "numeric"], impute="mean", one_hot=True)
    train = mixed[:20]
    pre.fit(train)
    numeric = pre.named_transformers_["numeric"]
    assert_allclose(numeric.named_steps["impute"].statistics_[0], np.nanmean(train[:, 0]))
    assert not np.isclose(np.nanmean(train[:, 0]), np.nanmean(mixed[:, 0]))
    filled = np.where(np.isnan(train[:, 0]), np.nanmean(train[:, 0]), train[:, 0])
    assert_allclose(numeric.named_steps["scale"].mean_[0], filled.mean())


def test_it_goes_in_front_of_a_model_in_cross_validation(mixed):
    y = (np.nan_to_num(mixed[:, 0]) > 5).astype(int)
    pre = make_preprocessor(["numeric", "categorical", "numeric"], impute="median", one_hot=True)
    model = Pipeline([("preprocess", clone(pre)), ("logistic", LogisticRegression())])
    scores = cross_val_score(model, mixed, y, cv=StratifiedKFold(4))
    ref = cross_val_score(
        make_pipeline(by_hand("median"), LogisticRegression()), mixed, y, cv=StratifiedKFold(4)
    )
    assert_allclose(scores, ref, rtol=0, atol=1e-12)


def test_nothing_asked_passes_the_numbers_through(mixed):
    X = np.nan_to_num(mixed)
    pre = make_preprocessor(["numeric"] * 3, standardize=False)
    assert_allclose(pre.fit_transform(X), X, rtol=0, atol=0)
    scaled = make_preprocessor(["numeric"] * 3).fit_transform(X)
    assert_allclose(scaled, StandardScaler().fit_transform(X), rtol=0, atol=1e-12)


def test_without_an_imputer_no_value_is_invented(mixed):
    out = make_preprocessor(["numeric", "categorical", "numeric"], one_hot=True).fit_transform(
        mixed
    )
    # a numeric gap stays NaN (StandardScaler skips it; the models then refuse it) ...
    assert np.isnan(out[:, 0]).sum() == 3 and not np.isnan(out[:, 1:]).any()
    # ... and a categorical gap is a category of its own (OneHotEncoder's rule for NaN)
    assert out.shape[1] == 2 + 4
    assert_allclose(out[5, 2:], [0, 0, 0, 1])


@pytest.mark.parametrize(
    ("kinds", "kwargs", "err", "match"),
    [
        (["numeric", "categorical"], {}, InputError, r"column\(s\) \[1\].*one_hot=True"),
        (["numeric", "text"], {}, InputError, r"unknown column kind\(s\) \['text'\]"),
        ([], {}, InputError, "column_kinds is empty"),
        ("numeric", {}, TypeError, "column_kinds must be a sequence"),
        (["numeric"], {"impute": "drop"}, ValueError, "impute must be one of"),
        (["numeric"], {"standardize": "yes"}, TypeError, "standardize must be True or False"),
    ],
)
def test_bad_arguments_are_named(kinds, kwargs, err, match):
    with pytest.raises(err, match=match):
        make_preprocessor(kinds, **kwargs)


# --------------------------------------------------------------------------- review fixes


def test_known_categories_give_every_split_the_same_columns():
    # a category held by one row only: the training rows of the split that tests it lack it
    rng = np.random.default_rng(1)
    n = 30
    codes = np.where(np.arange(n) % 2 == 0, 0.0, 1.0)
    codes[7] = 2.0  # the rare category
    X = np.column_stack([rng.normal(size=n), codes])
    y = np.arange(n) % 3
    kinds = ["numeric", "categorical"]
    pre = make_preprocessor(kinds, one_hot=True, categories=[range(3)])
    plain = make_preprocessor(kinds, one_hot=True)
    widths, plain_widths = set(), set()
    for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(X, y):
        out = clone(pre).fit(X[train]).transform(X[test])
        widths.add(out.shape[1])
        plain_widths.add(clone(plain).fit(X[train]).transform(X[test]).shape[1])
        # the indicators against hand-written one-hot rows of codes 0, 1, 2
        assert_allclose(out[:, 1:], np.eye(3)[X[test, 1].astype(int)], rtol=0, atol=0)
        if 7 not in train:  # the rare category's column exists, zero on the training rows
            assert_allclose(clone(pre).fit(X[train]).transform(X[train])[:, 3], 0.0)
    assert widths == {1 + 3}
    assert plain_widths == {1 + 2, 1 + 3}  # without them the widths differ (the bug)
    # a code outside the given categories gets zeros (the decision regions' grid holds such
    # values), in training and in test rows alike
    two = make_preprocessor(kinds, one_hot=True, categories=[range(2)])
    out = clone(two).fit(X).transform(X)
    assert out.shape[1] == 1 + 2
    assert_allclose(out[7, 1:], 0.0)
    assert_allclose(out[codes < 2, 1:].sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "categories, error, match",
    [
        ("abc", TypeError, "categories must be a sequence"),
        (5, TypeError, "categories must be a sequence"),
        ([range(2), range(3)], InputError, "2 entries but there are 1 categorical"),
        ([5], TypeError, r"categories\[0\] must be a sequence"),
        ([["a", "b"]], TypeError, r"categories\[0\] must hold numbers"),
        ([[]], InputError, r"categories\[0\] must hold at least one finite code"),
    ],
)
def test_bad_categories_are_refused(categories, error, match):
    with pytest.raises(error, match=match):
        make_preprocessor(["numeric", "categorical"], one_hot=True, categories=categories)


@pytest.mark.parametrize("kinds", [None, 5, b"numeric"])
def test_column_kinds_that_are_not_a_sequence_are_a_type_error(kinds):
    with pytest.raises(TypeError, match="column_kinds must be a sequence of kinds"):
        make_preprocessor(kinds)
