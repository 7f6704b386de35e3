"""Tests of clfcompare.stats.inputs: wide/long DataFrames, cv_results_, arrays -> score table.

References: pandas' own pivot (the long -> wide reshaping checked cell by cell), a real
scikit-learn GridSearchCV run, and the bundled published tables.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from clfcompare._checks import InputError
from clfcompare.stats import as_score_table, compare_datasets, from_cv_results, published_table


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        rng.uniform(0.6, 0.9, (6, 3)),
        columns=["lr", "mlp", "rf"],
        index=pd.Index([f"d{i}" for i in range(6)], name="dataset"),
    )


def test_wide_frame_is_copied_as_float(wide):
    out = as_score_table(wide)
    pd.testing.assert_frame_equal(out, wide.astype(float))
    out.iloc[0, 0] = -1
    assert wide.iloc[0, 0] != -1


def test_long_frame_round_trip(wide):
    long = wide.reset_index().melt(id_vars="dataset", var_name="model", value_name="score")
    long = long.sample(frac=1, random_state=0)  # order must not matter for the values
    out = as_score_table(long)
    assert set(out.columns) == {"lr", "mlp", "rf"} and set(out.index) == set(wide.index)
    pd.testing.assert_frame_equal(
        out.loc[wide.index, wide.columns], wide, check_names=False, check_freq=False
    )


def test_long_frame_with_custom_columns(wide):
    long = wide.reset_index().melt(id_vars="dataset", var_name="clf", value_name="accuracy")
    long = long.rename(columns={"dataset": "fold"})
    out = as_score_table(long, model="clf", score="accuracy")
    assert out.index.name == "fold"
    assert_allclose(out.loc[wide.index.to_numpy(), wide.columns].to_numpy(), wide.to_numpy())


def test_mapping_and_array(wide):
    out = as_score_table({c: wide[c].to_list() for c in wide.columns})
    assert_allclose(out.to_numpy(), wide.to_numpy())
    arr = as_score_table(wide.to_numpy())
    assert list(arr.columns) == [0, 1, 2]


def test_cv_results_of_a_real_grid_search():
    X, y = load_iris(return_X_y=True)
    search = GridSearchCV(
        LogisticRegression(max_iter=500),
        {"C": [0.01, 1.0]},
        cv=KFold(4, shuffle=True, random_state=0),
    ).fit(X, y)
    table = from_cv_results(search)
    assert table.shape == (4, 2)
    assert list(table.columns) == ["{'C': 0.01}", "{'C': 1.0}"]
    for i in range(4):
        assert_allclose(table.iloc[i].to_numpy(), search.cv_results_[f"split{i}_test_score"])
    assert_allclose(table.mean().to_numpy(), search.cv_results_["mean_test_score"])
    # the dict itself, through as_score_table
    pd.testing.assert_frame_equal(as_score_table(search.cv_results_), table)


def test_cv_results_several_metrics():
    res = {
        "params": [{"a": 1}, {"a": 2}],
        "split0_test_acc": np.array([0.8, 0.9]),
        "split1_test_acc": np.array([0.7, 0.8]),
        "split0_test_f1": np.array([0.6, 0.5]),
        "split1_test_f1": np.array([0.65, 0.55]),
    }
    with pytest.raises(InputError, match="several test metrics"):
        from_cv_results(res)
    f1 = from_cv_results(res, metric="f1", names=["one", "two"])
    assert_allclose(f1.to_numpy(), [[0.6, 0.5], [0.65, 0.55]])
    with pytest.raises(InputError, match="names has 1"):
        from_cv_results(res, metric="acc", names=["one"])


def test_compare_datasets_reads_a_long_table(wide):
    long = wide.reset_index().melt(id_vars="dataset", var_name="model", value_name="score")
    a = compare_datasets(long, effect_sizes=False)
    b = compare_datasets(wide, effect_sizes=False)
    pd.testing.assert_frame_equal(a, b)


def test_published_tables_load():
    assert published_table("demsar_2006").shape == (14, 4)
    assert published_table("garcia_herrera_2008").shape == (30, 5)
    assert published_table("garcia_herrera_2010").shape == (24, 4)
    kcv = published_table("scmamp_kcv_example")
    assert kcv.shape == (1000, 7)
    assert kcv.groupby("dataset").size().eq(100).all()
    with pytest.raises(ValueError, match="name must be one of"):
        published_table("demsar")


@pytest.mark.parametrize(
    ("data", "kwargs", "error", "match"),
    [
        (pd.DataFrame({"a": [0.1, 0.2]}), {}, InputError, "at least 2 model columns"),
        (pd.DataFrame({"a": [0.1, np.nan], "b": [0.2, 0.3]}), {}, InputError, "missing"),
        (pd.DataFrame({"a": [0.1, "x"], "b": [0.2, 0.3]}), {}, InputError, "non-numeric"),
        (
            pd.DataFrame({"model": ["a", "a"], "dataset": [1, 1], "score": [0.1, 0.2]}),
            {},
            InputError,
            "more than one score",
        ),
        (
            pd.DataFrame({"model": ["a", "b"], "score": [0.1, 0.2]}),
            {},
            InputError,
            "which column holds the blocks",
        ),
        (
            pd.DataFrame(
                {"model": ["a", "b", "a"], "dataset": [1, 1, 2], "score": [0.1, 0.2, 0.3]}
            ),
            {},
            InputError,
            "missing",
        ),
        (pd.DataFrame({"m": ["a"], "dataset": [1]}), {"model": "m"}, InputError, "lacks column"),
        ({"params": [{}], "mean_test_score": [0.5]}, {}, InputError, "split<i>_test"),
        (np.zeros(3), {}, InputError, "2-dimensional"),
        ("scores.csv", {}, TypeError, "expected a score table"),
        (None, {}, TypeError, "expected a score table"),
    ],
)
def test_bad_inputs(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        as_score_table(data, **kwargs)
