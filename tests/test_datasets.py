"""Tests of clfcompare.datasets: the seed's curve data and its K-class extension, the reference
values, the built-in and CSV loaders and the study data checks (the CSV loader's errors are
tested end to end through the command in test_cli.py)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from clfcompare import datasets
from clfcompare._checks import InputError
from clfcompare.datasets import (
    CANONICAL_RANDOM_STATE,
    _data_path,
    bayes_accuracy,
    bayes_cross_entropy,
    curve_csv_text,
    load_curve,
    make_curve,
)


def _seed_notebook(random_state):
    """The lecture's data generation written as the notebook writes it (loops, lists).

    Reference for make_curve(2): the seed's own code, with Python's `random.uniform`
    replaced by draws from a numpy RandomState in the same order.
    """
    rng = np.random.RandomState(random_state)
    lstX1, lstY1 = [], []
    x = -10
    while x < 10:
        lstY1.append(3 * x * x * x + 2 * x * x + 5 * x)
        lstX1.append(x)
        x = x + 0.25
    lstX1 = [(float(i) - min(lstX1)) / (max(lstX1) - min(lstX1)) for i in lstX1]
    lstY1 = [(float(i) - min(lstY1)) / (max(lstY1) - min(lstY1)) for i in lstY1]
    lstX, lstY = [], []
    for i in range(len(lstX1)):
        lstX.append([lstX1[i], lstY1[i] + rng.uniform(-0.1, 0.3)])
        lstY.append(0)
        lstX.append([lstX1[i], lstY1[i] - rng.uniform(-0.1, 0.3)])
        lstY.append(1)
    return np.array(lstX), np.array(lstY)


@pytest.mark.parametrize("seed", [0, 1, 123])
def test_two_classes_is_the_seed_construction(seed):
    X, y = make_curve(2, random_state=seed)
    X_ref, y_ref = _seed_notebook(seed)
    assert X.shape == (160, 2)
    assert_array_equal(y, y_ref)
    assert_allclose(X, X_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3, 4, 6])
def test_bands_have_the_seed_geometry(n_classes):
    X, y = make_curve(n_classes, random_state=0)
    assert X.shape == (80 * n_classes, 2)
    assert_array_equal(np.bincount(y), [80] * n_classes)
    x1 = np.arange(-10, 10, 0.25)
    c = 3 * x1**3 + 2 * x1**2 + 5 * x1
    c = (c - c.min()) / (c.max() - c.min())
    offset = X[:, 1] - np.repeat(c, n_classes)
    # closed form: band k spans centre_k +- 0.2 with centre_k = 0.2 * ((K - 1) / 2 - k)
    centres = 0.2 * ((n_classes - 1) / 2 - np.arange(n_classes))
    for k in range(n_classes):
        o = offset[y == k]
        assert o.min() >= centres[k] - 0.2 - 1e-12
        assert o.max() <= centres[k] + 0.2 + 1e-12
    # neighbouring bands overlap (as the seed's two do), so no classifier can reach 100%
    for k in range(n_classes - 1):
        assert offset[y == k].min() < offset[y == k + 1].max()
    # x1 is the min-max normalised grid, each value repeated once per class
    assert_allclose(X[::n_classes, 0], (x1 + 10) / 19.75, atol=1e-12)


def test_reproducible_and_seed_dependent():
    a = make_curve(4, random_state=7)[0]
    assert_array_equal(a, make_curve(4, random_state=7)[0])
    assert not np.array_equal(a, make_curve(4, random_state=8)[0])


@pytest.mark.parametrize("n_classes", [2, 4])
def test_shipped_csv_regenerates_byte_for_byte(n_classes):
    shipped = _data_path(n_classes).read_bytes()
    regenerated = curve_csv_text(n_classes, random_state=CANONICAL_RANDOM_STATE).encode("ascii")
    assert shipped == regenerated


@pytest.mark.parametrize("n_classes", [2, 4])
def test_load_curve_equals_make_curve(n_classes):
    X, y = load_curve(n_classes)
    X_ref, y_ref = make_curve(n_classes, random_state=CANONICAL_RANDOM_STATE)
    assert_array_equal(X, X_ref)  # 17 significant digits round-trip float64 exactly
    assert_array_equal(y, y_ref)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_classes": 1}, ValueError, "at least 2"),
        ({"n_classes": 2.5}, TypeError, "n_classes must be an int"),
        ({"n_classes": True}, TypeError, "n_classes must be an int"),
        ({"n_classes": 2, "noise": (0.3, -0.1)}, ValueError, "low < high"),
        ({"n_classes": 2, "noise": 0.3}, TypeError, "pair of floats"),
        # a string of two digits was read as the pair of its characters: "12" -> (1.0, 2.0)
        ({"n_classes": 2, "noise": "12"}, TypeError, "pair of floats"),
        ({"n_classes": 2, "noise": ("-0.1", "0.3")}, TypeError, "pair of floats"),
        ({"n_classes": 2, "noise": (False, True)}, TypeError, "pair of floats"),
    ],
)
def test_make_curve_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_curve(**kwargs)


def test_load_curve_unknown_size():
    with pytest.raises(ValueError, match="make_curve"):
        load_curve(3)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_bayes_accuracy_matches_the_nearest_band_rule(n_classes):
    # Reference: Monte Carlo over 400 fresh data sets of the Bayes rule (nearest band centre
    # given the true curve), against the closed form (K + 1) / (2K).
    assert bayes_accuracy(n_classes) == pytest.approx((n_classes + 1) / (2 * n_classes))
    x1 = np.arange(-10, 10, 0.25)
    c = 3 * x1**3 + 2 * x1**2 + 5 * x1
    c = np.repeat((c - c.min()) / (c.max() - c.min()), n_classes)
    centres = 0.2 * ((n_classes - 1) / 2 - np.arange(n_classes))
    acc = []
    for seed in range(400):
        X, y = make_curve(n_classes, random_state=seed)
        pred = np.abs((X[:, 1] - c)[:, None] - centres[None, :]).argmin(axis=1)
        acc.append(np.mean(pred == y))
    se = np.std(acc) / np.sqrt(len(acc))
    assert abs(np.mean(acc) - bayes_accuracy(n_classes)) < 4 * se


@pytest.mark.parametrize("noise", [(-0.3, 0.1), (-0.2, 0.2), (-0.25, 0.05)])
def test_bayes_accuracy_of_bands_spaced_downwards_or_not_at_all(noise):
    # low + high <= 0 still gives overlapping bands (class 0 at the bottom for < 0; all
    # classes the same band for = 0), which bayes_accuracy refused as "not overlapping".
    # Reference: Monte Carlo of the nearest-band-centre rule (a Bayes rule: the nearest
    # centre's band contains the point) over 200 data sets; the closed form by symmetry is
    # ((K - 1)|s| + w) / (K w), 1/K when the bands coincide.
    n_classes = 3
    low, high = noise
    width, spacing = high - low, low + high
    expected = ((n_classes - 1) * abs(spacing) + width) / (n_classes * width)
    assert bayes_accuracy(n_classes, noise=noise) == pytest.approx(expected, rel=1e-12)
    x1 = np.arange(-10, 10, 0.25)
    c = 3 * x1**3 + 2 * x1**2 + 5 * x1
    c = np.repeat((c - c.min()) / (c.max() - c.min()), n_classes)
    centres = spacing * ((n_classes - 1) / 2 - np.arange(n_classes))
    acc = []
    for seed in range(200):
        X, y = make_curve(n_classes, noise=noise, random_state=seed)
        pred = np.abs((X[:, 1] - c)[:, None] - centres[None, :]).argmin(axis=1)
        acc.append(np.mean(pred == y))
    se = max(np.std(acc) / np.sqrt(len(acc)), 1e-12)
    assert abs(np.mean(acc) - expected) < 4 * se


def test_bayes_accuracy_needs_overlap():
    with pytest.raises(ValueError, match="overlapping"):
        bayes_accuracy(2, noise=(0.1, 0.3))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        # n_classes = 0 divided by zero; 1 and -1 returned 1.0 and ~0 as if they were valid
        ({"n_classes": 0}, ValueError, "at least 2"),
        ({"n_classes": 1}, ValueError, "at least 2"),
        ({"n_classes": -1}, ValueError, "at least 2"),
        ({"n_classes": True}, TypeError, "n_classes must be an int"),
        ({"n_classes": "2"}, TypeError, "n_classes must be an int"),
        ({"n_classes": 2, "noise": (1,)}, TypeError, "pair of floats"),
        ({"n_classes": 2, "noise": None}, TypeError, "pair of floats"),
        ({"n_classes": 2, "noise": (0.3, -0.1)}, ValueError, "low < high"),
    ],
)
def test_bayes_accuracy_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        bayes_accuracy(**kwargs)


@pytest.mark.parametrize("n_classes", [2.0, True])
def test_load_curve_non_int(n_classes):
    # 2.0 == 2 passed the membership test and then looked for data/curve_2.0class.csv
    with pytest.raises(TypeError, match="n_classes must be an int"):
        load_curve(n_classes)


def _true_log_loss(X, n_classes, noise):
    """Mean log loss of the true posterior on make_curve data: 1 / (bands containing o).

    Rows come x1 by x1, one per class (make_curve's order); the curve is min-max normalised.
    """
    from clfcompare import datasets

    low, high = noise
    x1 = np.arange(datasets._X_START, datasets._X_STOP, datasets._X_STEP)
    offset = X[:, 1] - np.repeat(datasets._minmax(datasets.curve(x1)), n_classes)
    centres = (low + high) * ((n_classes - 1) / 2 - np.arange(n_classes))
    inside = np.abs(offset[:, None] - centres[None, :]) <= (high - low) / 2 + 1e-12
    return np.log(inside.sum(axis=1)).mean()


@pytest.mark.parametrize(
    ("n_classes", "noise"),
    [(2, (-0.1, 0.3)), (4, (-0.1, 0.3)), (3, (-0.3, 0.1)), (3, (-0.05, 0.3)), (4, (-0.2, 0.2))],
)
def test_bayes_cross_entropy_matches_monte_carlo(n_classes, noise):
    # reference: the mean of ln(number of bands containing the offset) over 60 data sets of
    # make_curve (80 K points each); standard error below 0.004
    losses = [
        _true_log_loss(make_curve(n_classes, noise=noise, random_state=rs)[0], n_classes, noise)
        for rs in range(60)
    ]
    assert_allclose(np.mean(losses), bayes_cross_entropy(n_classes, noise=noise), atol=0.015)


def test_bayes_cross_entropy_closed_forms():
    # the seed's noise: (K - 1)/K ln 2; coinciding bands: ln K; disjoint bands: 0
    for k in (2, 4, 7):
        assert_allclose(bayes_cross_entropy(k), (k - 1) / k * np.log(2), rtol=1e-12)
    assert_allclose(bayes_cross_entropy(5, noise=(-0.2, 0.2)), np.log(5), rtol=1e-12)
    assert bayes_cross_entropy(3, noise=(0.1, 0.3)) == 0.0


# --------------------------------------------------------------------------- study data


@pytest.mark.parametrize("name", sorted(datasets.BUILTIN_DATASETS))
def test_load_builtin(name):
    X, y, desc = datasets.load_builtin(name)
    assert X.ndim == 2 and X.shape[0] == y.shape[0]
    assert np.isfinite(X).all()
    assert len(np.unique(y)) >= 2
    assert desc


def test_loaders_refuse_unknown_names_in_parameter_words(tmp_path):
    with pytest.raises(InputError, match="unknown data set 'mnist'.*load_csv"):
        datasets.load_builtin("mnist")
    # the command's "drop --target" advice is the command's (tests/test_cli.py)
    with pytest.raises(InputError, match="no such file: iris$"):
        datasets.load_csv("iris", "y")
    with pytest.raises(InputError, match="is a folder, not a CSV file"):
        datasets.load_csv(tmp_path, "y")


def test_check_study_data_names_the_parameter():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.raises(InputError, match=r"than the 3 folds; use a smaller n_folds$") as e:
        datasets.check_study_data(np.zeros((12, 1)), y, 3)
    assert e.value.parameter == "n_folds"
    assert e.value.problem == "class(es) [1] have fewer rows ([2]) than the 3 folds"
    classes, counts = datasets.check_study_data(np.zeros((12, 1)), y, 2)
    assert classes.tolist() == [0, 1] and counts.tolist() == [10, 2]


def test_curve_references():
    # bayes_accuracy (K + 1) / (2K) and bayes_cross_entropy (K - 1)/K ln 2 (module docstring)
    refs, sentence = datasets.curve_reference(4)
    assert refs == {"Bayes-optimal accuracy": 0.625}
    assert "(K+1)/(2K) = 0.625 for K = 4" in sentence
    loss, text = datasets.curve_loss_reference(2)
    assert list(loss) == ["Bayes-optimal cross-entropy"]
    assert loss["Bayes-optimal cross-entropy"] == pytest.approx(0.5 * np.log(2), rel=1e-12)
    assert "≈ 0.347 nats" in text


@pytest.mark.parametrize(
    "k, err, match",
    [(1, ValueError, "n_classes must be at least 2"), (True, TypeError, "got bool")],
)
def test_curve_loss_reference_validates(k, err, match):
    with pytest.raises(err, match=match):
        datasets.curve_loss_reference(k)


def test_true_curve_ends_at_0_and_1():
    x1, x2 = datasets.true_curve(5)
    np.testing.assert_allclose([x1[0], x1[-1], x2[0], x2[-1]], [0, 1, 0, 1], atol=1e-12)
    assert np.all(np.diff(x2) > 0)  # the curve is strictly increasing
    with pytest.raises(ValueError, match="n_points must be >= 1"):
        datasets.true_curve(0)


@pytest.mark.parametrize(
    ("header", "dupes"),
    [
        ("f1,label,label", ["label"]),  # pandas would read the copy as a feature 'label.1'
        ("f1,f1,label", ["f1"]),
        ("label;f2;f2;label", ["f2", "label"]),  # semicolon-separated: both named
        ("f1,label.1,label,label", ["label"]),  # 'label.1' is a name of its own
    ],
)
def test_load_csv_refuses_duplicate_column_names(tmp_path, header, dupes):
    # the leak the check prevents: a copy of the target column read as a feature
    sep = ";" if ";" in header else ","
    n = len(header.split(sep))
    rows = [
        sep.join(str(v) for v in [i % 2, *(float(i) * (j + 2) for j in range(n - 1))])
        for i in range(12)
    ]
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(InputError, match="duplicate column name") as info:
        datasets.load_csv(path, "label")
    message = str(info.value)
    assert f"{dupes}" in message and str(path) in message, message
    # a file without duplicates but with a 'label.1' column is read as before
    ok = tmp_path / "ok.csv"
    ok.write_text(
        "f1,label.1,label\n" + "".join(f"{i * 1.5},{i * 2.5},{i % 2}\n" for i in range(12))
    )
    X, y, _ = datasets.load_csv(ok, "label")
    assert X.shape == (12, 2) and y.tolist() == [i % 2 for i in range(12)]


def test_digits_is_sklearns(tmp_path):
    from sklearn.datasets import load_digits

    X, y, desc = datasets.load_builtin("digits")
    ref = load_digits()
    assert_array_equal(X, ref.data) and X.dtype == float
    assert_array_equal(y, ref.target)
    assert X.shape == (1797, 64) and "load_digits" in desc
    assert "digits" in datasets.BUILTIN_DATASETS


# --------------------------------------------------------------------------- CSV: text, gaps


@pytest.fixture
def gappy_csv(tmp_path):
    """A CSV file with a text column (a gap in it), a numeric gap and a missing label."""
    path = tmp_path / "gappy.csv"
    rows = [
        "size,colour,weight,label",
        "1.5,red,10,a",
        ",blue,11,b",
        "2.5,,12,a",
        "3.5,red,13,b",
        "4.0,green,14.5,a",
        "4.5,blue,15,",
        "5.0,red,16.5,b",
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_text_columns_become_sorted_category_codes(gappy_csv):
    data = datasets.read_csv_data(gappy_csv, "label", missing="drop", text="codes")
    # rows 2, 3 (gaps) and 6 (no label) dropped
    assert data.n_dropped == 3
    assert data.columns == ("size", "colour", "weight")
    assert data.kinds == ("numeric", "categorical", "numeric")
    # of the rows kept (the blue ones had a gap)
    assert data.categories == {"colour": ("green", "red")}
    assert_array_equal(data.X[:, 1], [1, 1, 0, 1])  # red red green red
    assert_allclose(data.X[:, [0, 2]], [[1.5, 10], [3.5, 13], [4.0, 14.5], [5.0, 16.5]])
    assert data.y.tolist() == ["a", "b", "a", "b"]
    assert data.missing_columns == ()
    assert "3 row(s) with a missing value dropped" in data.description
    assert "`colour` (2 categories)" in data.description


def test_missing_values_kept_as_nan_for_an_imputer(gappy_csv):
    with pytest.raises(InputError, match=r"missing labels in column 'label'.*\(1 row\(s\)\)"):
        datasets.read_csv_data(gappy_csv, "label", missing="keep", text="codes")
    ok = gappy_csv.with_name("ok.csv")
    ok.write_text(gappy_csv.read_text().replace("4.5,blue,15,\n", "4.5,blue,15,a\n"))
    data = datasets.read_csv_data(ok, "label", missing="keep", text="codes")
    assert data.X.shape == (7, 3) and data.n_dropped == 0
    assert np.isnan(data.X[1, 0]) and np.isnan(data.X[2, 1])  # the gaps, also a text one
    assert np.isnan(data.X).sum() == 2
    assert data.missing_columns == ("size", "colour")
    assert "missing values in `size`, `colour`" in data.description


def test_refusals_name_the_parameter_that_fixes_them(gappy_csv):
    with pytest.raises(InputError, match=r"\['colour'\].*pass text='codes'") as e:
        datasets.read_csv_data(gappy_csv, "label")
    assert e.value.parameter == "text" and "text='codes'" not in e.value.problem
    with pytest.raises(InputError, match=r"\['size', 'colour'\].*missing='drop'") as e:
        datasets.read_csv_data(gappy_csv, "label", text="codes")
    assert e.value.parameter == "missing"
    assert e.value.problem.endswith("(2 row(s))")
    # load_csv: both refused, as before
    with pytest.raises(InputError, match="non-numeric feature column"):
        datasets.load_csv(gappy_csv, "label")
    for kwargs, match in (({"missing": "fill"}, "missing must be"), ({"text": 1}, "text must")):
        with pytest.raises(ValueError, match=match):
            datasets.read_csv_data(gappy_csv, "label", **kwargs)


def test_numbers_with_a_few_text_values_are_not_read_as_categories(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("age,label\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(
        ["31", "?", "45", "52", "?", "28"])))  # fmt: skip
    with pytest.raises(InputError, match=r"'age'.*numbers but also.*\['\?'\] \(2 row\(s\)\)"):
        datasets.read_csv_data(path, "label", missing="keep", text="codes")


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("Label", "did you mean 'label'?"),  # the case differs
        ("LABEL", "did you mean 'label'?"),
        ("lable", "did you mean 'label'?"),  # misspelt (difflib)
        ("zzz", None),  # nothing like it
    ],
)
def test_a_wrong_target_suggests_the_column(gappy_csv, target, hint):
    with pytest.raises(InputError, match=f"has no column '{target}'") as e:
        datasets.read_csv_data(gappy_csv, target)
    message = str(e.value)
    assert "['size', 'colour', 'weight', 'label']" in message
    assert (hint in message) if hint else ("did you mean" not in message)


def test_case_matches_come_before_close_ones(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Class,class_,x\n" + "".join(f"{i % 2},{i % 2},{i * 1.5}\n" for i in range(6)))
    with pytest.raises(InputError, match=r"did you mean 'Class'\? Its columns"):
        datasets.read_csv_data(path, "CLASS")


# --------------------------------------------------------------------------- review fixes


@pytest.mark.parametrize("name", sorted(datasets.BUILTIN_DATASETS))
def test_a_builtin_description_leaves_the_counting_to_the_report(name):
    # the report counts rows, features and classes itself: the description says what the
    # data are and where they come from, once
    X, y, desc = datasets.load_builtin(name)
    source = "clfcompare.datasets.load_curve" if name.startswith("curve") else "sklearn.datasets"
    assert source in desc
    for count in (X.shape[0], X.shape[1], len(np.unique(y))):
        assert f"{count} " not in desc.replace("8x8", ""), desc
    assert "feature" not in desc.replace("one feature per pixel", "") and "class" not in desc


@pytest.mark.parametrize("name", [["iris"], None, 3])
def test_load_builtin_refuses_a_name_that_is_not_a_string(name):
    with pytest.raises(TypeError, match="name must be a str"):
        datasets.load_builtin(name)


def test_a_csvs_markdown_description_quotes_every_name_once(tmp_path):
    path = tmp_path / "we`ird_*x*<b>|.csv"
    path.write_text("a|b*c_d`e<f>g,t`xt,label\n1.5,u,p\n2.5,,q\n3.5,v,p\n4.5,u,q\n")
    data = datasets.read_csv_data(path, "label", missing="keep", text="codes")
    assert (data.file_name, data.separator, data.target) == (path.name, ",", "label")
    assert not data.index_dropped
    # the plain description as before: names as written, some between backticks
    assert data.description == (
        f"`{path.name}`: 4 rows, 2 feature(s) (a|b*c_d`e<f>g, t`xt), target column `label`; "
        "text column(s) `t`xt` (2 categories); missing values in `t`xt`"
    )
    assert data.markdown() == (
        r"<code>we\`ird\_\*x\*&lt;b&gt;\|.csv</code>: 4 rows, 2 feature(s) "
        r"(a\|b\*c_d\`e&lt;f&gt;g, t\`xt), target column `label`; text column(s) "
        r"<code>t\`xt</code> (2 categories); missing values in <code>t\`xt</code>"
    )


def test_a_quoted_header_name_with_a_comma_does_not_make_the_file_comma_separated(tmp_path):
    path = tmp_path / "semiq.csv"
    path.write_text('a;"weight (kg, net)";label\n1.5;2;x\n-0.5;3.25;y\n0.5;1;x\n2;0;y\n')
    data = datasets.read_csv_data(path, "label")
    assert data.separator == ";" and data.columns == ("a", "weight (kg, net)")
    assert_array_equal(data.X, [[1.5, 2], [-0.5, 3.25], [0.5, 1], [2, 0]])
    assert_array_equal(data.y, ["x", "y", "x", "y"])
    # and the other way round: a quoted semicolon in a comma-separated header
    path.write_text('a,"x;y;z",label\n1,2,p\n3,4,q\n')
    data = datasets.read_csv_data(path, "label")
    assert data.separator == "," and data.columns == ("a", "x;y;z")


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zip"])
@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_a_compressed_csv_is_read_with_its_own_separator(tmp_path, suffix, sep):
    text = sep.join(["a", "b", "label"]) + "\n"
    text += "".join(f"{i + 0.5}{sep}{-i}{sep}{'pq'[i % 2]}\n" for i in range(6))
    path = tmp_path / f"data.csv{suffix}"
    raw = text.encode("utf-8")
    if suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("data.csv", raw)
    else:
        import bz2
        import gzip
        import lzma

        path.write_bytes({".gz": gzip, ".bz2": bz2, ".xz": lzma}[suffix].compress(raw))
    data = datasets.read_csv_data(path, "label")
    assert data.separator == sep and data.columns == ("a", "b")
    assert_array_equal(data.X, [[i + 0.5, -i] for i in range(6)])
    assert_array_equal(data.y, list("pqpqpq"))


@pytest.mark.parametrize("missing", ["refuse", "keep", "drop"])
def test_an_all_empty_feature_column_is_refused_by_name(tmp_path, missing):
    # an imputer would drop it silently; --impute drop would drop every row
    path = tmp_path / "allnan.csv"
    path.write_text("a,b,label\n1,,x\n2,,y\n3,,x\n4,,y\n")
    with pytest.raises(InputError) as err:
        datasets.read_csv_data(path, "label", missing=missing)
    assert str(err.value) == (
        f"feature column(s) ['b'] of {path} are empty in every row: nothing to learn from or "
        "to impute; remove them"
    )


def test_a_delimiter_at_the_end_of_every_line_is_named(tmp_path):
    path = tmp_path / "trail.csv"
    path.write_text("a,b,label,\n1,5,x,\n2,6,y,\n3,7,x,\n4,8,y,\n")
    with pytest.raises(InputError) as err:
        datasets.read_csv_data(path, "label", missing="keep")
    assert str(err.value) == (
        f"feature column(s) ['Unnamed: 3'] of {path} are empty in every row: nothing to "
        "learn from or to impute; remove them ('Unnamed: 3' has no name in the header: a "
        "delimiter at the end of every line? then remove that delimiter)"
    )


@pytest.mark.parametrize("sep", [",", ";"])
def test_rows_with_one_field_more_than_the_header_are_refused(tmp_path, sep):
    # pandas would read the first field as a row index and shift every column by one
    path = tmp_path / "trail.csv"
    rows = ["a,b,label", "1.5,5,x,", "2.5,6,y,", "3.5,7,x,", "4.5,8,y,"]
    path.write_text("\n".join(r.replace(",", sep) for r in rows) + "\n")
    with pytest.raises(InputError) as err:
        datasets.read_csv_data(path, "label", missing="drop")
    assert str(err.value) == (
        f"the rows of {path} have one field more than the header (a trailing delimiter?): "
        "remove the delimiter at the end of each line, or give the extra column a name in the "
        "header"
    )


def test_an_index_column_with_an_empty_header_is_still_dropped(tmp_path):
    path = tmp_path / "idx.csv"
    path.write_text(",a,b,label\n0,1.5,5,x\n1,2.5,6,y\n2,3.5,7,x\n3,4.5,8,y\n")
    data = datasets.read_csv_data(path, "label")
    assert data.columns == ("a", "b") and data.index_dropped
    assert_array_equal(data.X, [[1.5, 5], [2.5, 6], [3.5, 7], [4.5, 8]])
    assert "is the row index and is not used" in data.description


def test_a_missing_column_without_a_guess_ends_its_sentence(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("f1,f2,label\n1,2,x\n3,4,y\n")
    with pytest.raises(InputError) as err:
        datasets.read_csv_data(path, "zzz")
    assert str(err.value) == f"{path} has no column 'zzz'. Its columns are ['f1', 'f2', 'label']"
    with pytest.raises(InputError) as err:
        datasets.read_csv_data(path, "Label")
    assert str(err.value) == (
        f"{path} has no column 'Label'; did you mean 'label'? Its columns are "
        "['f1', 'f2', 'label']"
    )


@pytest.mark.parametrize(
    "path, target, match",
    [
        ("d.csv", None, "target must be a str, the name of the label column, got NoneType"),
        ("d.csv", ["label"], "target must be a str.*got list"),
        (None, "label", "path must be a str or Path, got NoneType None"),
        (3, "label", "path must be a str or Path, got int 3"),
    ],
)
def test_read_csv_data_refuses_wrong_types_by_name(tmp_path, path, target, match):
    (tmp_path / "d.csv").write_text("f1,label\n1,x\n2,y\n")
    if path == "d.csv":
        path = tmp_path / path
    with pytest.raises(TypeError, match=match):
        datasets.read_csv_data(path, target)


def test_check_study_data_refuses_no_rows_missing_labels_and_too_few_folds():
    X = np.zeros((6, 1))
    with pytest.raises(InputError, match="^y is empty: the data have no rows to split$"):
        datasets.check_study_data(np.zeros((0, 1)), [], 2)
    y = np.array([0.0, 1.0, np.nan, 0.0, 1.0, np.nan])
    with pytest.raises(InputError) as err:
        datasets.check_study_data(X, y, 2)
    assert str(err.value) == (
        "missing labels (NaN or None) in y at row(s) [2, 5] (2 row(s)); drop those rows or "
        "give them their class"
    )
    with pytest.raises(InputError, match=r"at row\(s\) \[1\] \(1 row"):
        datasets.check_study_data(X, np.array(["a", None, "b", "a", "b", "a"], dtype=object), 2)
    for n_folds in (0, 1, -3):
        with pytest.raises(ValueError, match=f"n_folds must be >= 2, got {n_folds}"):
            datasets.check_study_data(X, [0, 1, 0, 1, 0, 1], n_folds)
    with pytest.raises(TypeError, match="n_folds must be an int"):
        datasets.check_study_data(X, [0, 1, 0, 1, 0, 1], 2.0)
    with pytest.raises(InputError, match=r"y must be one label per row \(1-d\)"):
        datasets.check_study_data(X, np.zeros((6, 2)), 2)


@pytest.mark.parametrize(
    "header, sep",
    [
        ("a,b,label", ","),
        ("a;b;label", ";"),
        ("a\tb\tlabel", "\t"),
        ('a;"weight (kg, net)";label', ";"),
        ('a,"x;y;z",label', ","),
        ("a;b\tc", ","),  # one field more each way: a tie, pandas then says why
        ("label", ","),
        ('"x;1";"y,2,3";label', ";"),  # at "," the quotes sit inside fields: not a split
    ],
)
def test_csv_separator_splits_the_header_as_the_csv_module_does(tmp_path, header, sep):
    path = tmp_path / "h.csv"
    path.write_text(f"\n{header}\n1,2,3\n")
    assert datasets.csv_separator(path) == sep
    assert datasets.csv_separator(str(path)) == sep


def test_a_zip_of_several_files_is_one_clear_error(tmp_path):
    import zipfile

    path = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "x,label\n1,a\n2,b\n")
        archive.writestr("b.csv", "x,label\n3,a\n4,b\n")
    with pytest.raises(InputError, match=r"cannot read .*two\.csv\.zip as CSV: .*ultiple files"):
        datasets.read_csv_data(path, "label")
