"""Tests for the ``clfcompare`` command (clfcompare.cli): end to end on tiny settings, bad input.

The command's subject is argument parsing and the wording of errors; the study it runs is
tested in test_study.py, the loaders and data checks in test_datasets.py.

Most tests call ``main(argv)`` in-process; one runs the real console entry point in a
subprocess to check that bad input gives one line, exit code 2 and no traceback.
"""

import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from clfcompare import cli
from clfcompare.datasets import BUILTIN_DATASETS, check_study_data, load_csv
from clfcompare.study import MODEL_NAMES, InputError
from clfcompare.trials import SetupDifference, SetupMismatch, load_results

FAST = ["--models", "gaussian_shared", "gaussian_separate", "logistic_gd", "--no-progress"]


@pytest.fixture
def csv_file(tmp_path):
    """A small numeric CSV with a string target, 3 classes."""
    rng = np.random.default_rng(0)
    n = 60
    y = np.repeat(["a", "b", "c"], n // 3)
    centres = {"a": (0, 0), "b": (2, 0), "c": (0, 2)}
    X = np.array([centres[v] for v in y], dtype=float) + rng.normal(0, 1.5, (n, 2))
    frame = pd.DataFrame({"f1": X[:, 0], "f2": X[:, 1], "label": y})
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path, frame


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("clfcompare: error: ")
    assert "Traceback" not in err[0]
    return err[0]


# --------------------------------------------------------------------------- end to end


def test_cli_csv_end_to_end(tmp_path, csv_file, capsys, monkeypatch):
    from clfcompare import plots

    path, frame = csv_file
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--repeats", "2", "--folds", "3", "--out", str(out)]
    axes = []  # the feature names the two-feature figures get: the file's columns
    for name in ("plot_curve_data", "plot_decision_regions"):
        original = getattr(plots, name)

        def spy(*a, _original=original, **kw):
            axes.append(kw.get("feature_names"))
            return _original(*a, **kw)

        monkeypatch.setattr(plots, name, spy)
    assert cli.main(argv + FAST) == 0
    assert axes and all(list(names) == ["f1", "f2"] for names in axes), axes
    stdout = capsys.readouterr().out
    for name in ("gaussian_shared", "gaussian_separate", "logistic_gd"):
        assert name in stdout
    assert "report:" in stdout and "wall time:" in stdout
    for f in ("study.sqlite", "report.md", "scores_box.png", "simultaneous_intervals.png"):
        assert (out / f).is_file(), f
    # two features: the data and the decision regions are drawn too
    assert (out / "decision_regions_split_0.png").is_file()
    res = load_results(out / "study.sqlite")
    assert res.models == ("gaussian_shared", "gaussian_separate", "logistic_gd")
    # 2 x 3 main splits and 10 half/half partitions x 2 halves x 2 inner folds per model
    assert len(res.scores) == 3 * (2 * 3 + 40)
    assert res.score_table().shape == (6, 3)
    assert set(res.predictions["y_true"]) == {"a", "b", "c"}
    # the printed means are the store's, over the main splits
    for name in res.models:
        main = res.scores[res.scores.split < 6]  # the main CV's splits come first
        mean = main.loc[main.model == name, "accuracy"].mean()
        line = next(ln for ln in stdout.splitlines() if ln.startswith(name + " "))
        assert_allclose(float(line.split()[1]), mean, atol=5e-4)
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "`data.csv`: 60 rows, 2 feature(s) (f1, f2), target column `label`" in text


def test_cli_builtin_resumes_from_the_store(tmp_path, capsys):
    out = tmp_path / "iris"
    argv = ["iris", "--quick", "--out", str(out), "--models", "gaussian_shared", "logistic_gd"]
    assert cli.main(argv) == 0
    first = capsys.readouterr()
    assert "resuming" not in first.err
    # --quick: 2 repeats x 3 folds + 10 half/half partitions x 2 halves x 2 inner folds
    assert "running 2 models x 46 splits" in first.err
    assert cli.main(argv) == 0
    second = capsys.readouterr()
    assert "92 of 92 trials already stored" in second.err
    assert "(92 of 92 read from the store" in second.err  # said once the store was accepted
    assert first.out.splitlines()[:3] == second.out.splitlines()[:3]  # same summary table
    # 4 features: no 2-D figures
    assert not (out / "decision_regions_split_0.png").exists()
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Classifier comparison on iris" in text
    assert "RepeatedKFoldWithHalves(n_splits=3, n_repeats=2, n_partitions=10, random_state=0)" in (
        text
    )
    assert "92 of 92 trials were read from the store" in text
    # 4 features: no decision regions drawn, so no timing row for them (issue 13)
    assert "decision-region" not in text.split("## Timings", 1)[1]
    # the HTML and the LaTeX tables beside the markdown
    assert (out / "report.html").is_file() and (out / "report_tables.tex").is_file()


def test_resume_counts_only_the_models_of_this_run(tmp_path, capsys):
    out = tmp_path / "curve"
    base = ["curve2", "--quick", "--out", str(out), "--models"]
    assert cli.main([*base, "gaussian_shared", "gaussian_separate"]) == 0
    capsys.readouterr()
    assert cli.main([*base, "gaussian_shared"]) == 0  # one of the two stored models
    captured = capsys.readouterr()
    assert "46 of 46 trials already stored" in captured.err
    assert "(46 of 46 read from the store" in captured.err
    assert "running 1 model x 46 splits" in captured.err
    assert "6 trials resumed from the store" in captured.out


def test_curve_data_get_the_bayes_reference(tmp_path, capsys):
    out = tmp_path / "c2"
    argv = ["curve2", "--quick", "--no-progress", "--out", str(out), "--models", "gaussian_shared"]
    assert cli.main(argv) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    # clfcompare.datasets.bayes_accuracy(2) = (2 + 1) / (2 * 2) = 0.75
    assert "(K+1)/(2K) = 0.750 for K = 2" in text
    assert "Reference: Bayes-optimal accuracy = 0.750" in text
    assert "Smoke-test settings (`--quick`)" in text


def test_cli_default_out_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["wine", "--quick", "--models", "gaussian_shared", "--no-progress"]) == 0
    assert (tmp_path / "results" / "wine_quick" / "report.md").is_file()  # --quick: its own


def test_quick_default_out_folder_is_its_own(tmp_path, monkeypatch, capsys):
    # --quick wrote to results/<name>, the store of the full run, which then refused it
    monkeypatch.chdir(tmp_path)
    argv = ["wine", "--models", "gaussian_shared", "--no-progress", "--repeats", "1"]
    assert cli.main([*argv, "--folds", "2"]) == 0
    assert cli.main([*argv, "--quick"]) == 0
    assert (tmp_path / "results" / "wine" / "report.md").is_file()
    assert (tmp_path / "results" / "wine_quick" / "report.md").is_file()
    capsys.readouterr()


def test_help_explains_data_and_models(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for word in (*BUILTIN_DATASETS, *MODEL_NAMES, "--target", "--quick", "resumes"):
        assert word in text
    # wrapped for an 80-column terminal (argparse keeps the epilog's lines as written)
    assert max(len(line) for line in text.splitlines()) <= 80


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path, capsys):
    assert cli.main([str(tmp_path / "nope.csv"), "--target", "y"]) == 2
    assert "no such file" in one_error_line(capsys)


def test_missing_target_column(csv_file, capsys):
    path, _ = csv_file
    assert cli.main([str(path), "--target", "class"] + FAST) == 2
    line = one_error_line(capsys)
    assert "no column 'class'" in line and "['f1', 'f2', 'label']" in line


def test_non_numeric_features(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "text.csv"
    frame.assign(colour=["red"] * len(frame)).to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "non-numeric feature column(s) ['colour']" in line
    # the way forward, in the command's options (not the loader's text='codes')
    assert line.endswith("; give --one-hot to one-hot encode them (fitted inside each training "
                         "split), or drop them"), line  # fmt: skip


def test_missing_feature_values(tmp_path, csv_file, capsys):
    _, frame = csv_file
    frame = frame.copy()
    frame.loc[3, "f2"] = np.nan
    path = tmp_path / "nan.csv"
    frame.to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "missing values in feature column(s) ['f2']" in line and "(1 row(s))" in line
    assert "give --impute mean, median or most_frequent" in line and "--impute drop" in line
    assert "missing=" not in line


def test_single_class(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "one.csv"
    frame.assign(label="a").to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "the target has a single class ('a')" in line  # the label, not np.str_('a')


def test_continuous_target_is_explained(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "regression.csv"
    frame.assign(label=frame["f1"] * 2.5).to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "60 distinct values in 60 rows" in line and "continuous" in line
    assert len(line) < 300  # not a list of 60 values


def test_many_small_classes_are_listed_briefly(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "rare_many.csv"
    frame = frame.copy()
    frame.loc[:7, "label"] = [f"r{i}" for i in range(8)]  # 8 classes of one row each
    frame.to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "['r0', 'r1', 'r2', 'r3', 'r4'] and 3 more have fewer rows ([1, 1, 1, 1, 1, ...])" in (
        line
    )


def test_unwritable_output_folder(tmp_path, csv_file, capsys):
    path, _ = csv_file
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    argv = [str(path), "--target", "label", "--quick", "--out", str(blocker / "out")]
    assert cli.main(argv + FAST) == 2
    assert "cannot create the output folder" in one_error_line(capsys)


def test_folder_or_builtin_name_given_as_csv(tmp_path, capsys):
    assert cli.main([str(tmp_path), "--target", "y"]) == 2
    assert "is a folder, not a CSV file" in one_error_line(capsys)
    assert cli.main(["iris", "--target", "y"]) == 2
    assert "iris is a built-in data set: drop --target" in one_error_line(capsys)


def test_class_smaller_than_folds(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "rare.csv"
    frame = frame.copy()
    frame.loc[:1, "label"] = "rare"
    frame.to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label", "--folds", "5"] + FAST) == 2
    line = one_error_line(capsys)
    # the study says "use a smaller n_folds"; the command names its option
    assert line.endswith("have fewer rows ([2]) than the 5 folds; use fewer --folds"), line


@pytest.mark.parametrize(
    "argv, match",
    [
        (["mnist"], "unknown data set 'mnist'"),
        (["iris", "--models", "svm"], "unknown model(s) ['svm']"),
        (["iris", "--folds", "1"], "--folds must be at least 2"),
        (["iris", "--repeats", "0"], "expected a positive integer"),
        (["iris", "--epochs", "many"], "expected a positive integer"),
        (["iris", "--models", "mlp_ce", "--device", "tpu"], "device must be"),
        (["iris", "--n-jobs", "0"], "or -1 for one per CPU core; got 0"),
        (["iris", "--n-jobs", "two"], "expected an integer, got 'two'"),
        # a negative or too large seed crashed in sklearn's check_random_state (traceback)
        (["iris", "--seed", "-1"], "--seed: expected an integer from 0 to 4294967295, got -1"),
        (["iris", "--seed", str(2**32)], "from 0 to 4294967295, got 4294967296"),
        (["iris", "--seed", "1.5"], "--seed: expected an integer from 0 to 4294967295, got '1.5'"),
    ],
)
def test_bad_arguments(argv, match, capsys):
    code = None
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse's own errors exit directly, with code 2
        code = exc.code
    assert code == 2
    assert match in one_error_line(capsys)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_gpu_is_one_line(capsys):
    argv = ["curve2", "--quick", "--models", "mlp_ce", "--device", "cuda"]
    assert cli.main(argv) == 2
    assert "torch sees no CUDA device" in one_error_line(capsys)


def test_csv_without_target_is_explained(csv_file, capsys):
    path, _ = csv_file
    assert cli.main([str(path)]) == 2
    assert "--target" in one_error_line(capsys)


def test_console_script_bad_input_has_no_traceback(tmp_path):
    # the real process: python -m clfcompare.cli, as the console script runs main()
    proc = subprocess.run(
        [sys.executable, "-m", "clfcompare.cli", str(tmp_path / "missing.csv"), "--target", "y"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"clfcompare: error: no such file: {tmp_path / 'missing.csv'}"
    ]
    assert proc.stdout == ""


# --------------------------------------------------------------------------- pieces


def test_format_summary_aligns_columns():
    summary = pd.DataFrame(
        {
            "mean": [0.5, 0.75],
            "sd": [0.1, 0.05],
            "min": [0.4, 0.7],
            "max": [0.6, 0.8],
            "n_trials": [10, 10],
            "fit_time_mean": [0.01, 1.5],
        },
        index=pd.Index(["a", "long_name"], name="model"),
    )
    lines = cli.format_summary(summary).splitlines()
    assert len(lines) == 3
    assert len({len(ln) for ln in lines}) == 1
    assert lines[2].split() == ["long_name", "0.750", "0.050", "0.700", "0.800", "10", "1.500"]


def test_fit_warnings_reach_the_report(tmp_path, capsys, monkeypatch):
    # separable classes: the unpenalised logistic MLE does not exist, so the lecture's plain
    # gradient descent stops on max_iter with a ConvergenceWarning in every split (6 main, 40
    # half splits). The default accelerated solver meets `tol` there without a warning (the
    # estimator's coef_table refuses such a fit), so the command is given the plain one.
    real = cli.build_models

    def plain_descent(*args, **kwargs):
        models = real(*args, **kwargs)
        models["logistic_gd"].set_params(logistic__solver="gd")
        return models

    monkeypatch.setattr(cli, "build_models", plain_descent)
    X = np.r_[np.linspace(0, 1, 12), np.linspace(2, 3, 12)]
    frame = pd.DataFrame({"x": X, "z": np.sin(X), "y": [0] * 12 + [1] * 12})
    path = tmp_path / "sep.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = [str(path), "--target", "y", "--quick", "--models", "logistic_gd", "--out", str(out)]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "warning: ConvergenceWarning (46 times during the trials)" in err
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "## Notes and warnings" in text
    assert "ConvergenceWarning (46 times during the trials)" in text


# --------------------------------------------------------------------------- review fixes


def test_csv_index_column_is_not_a_feature(tmp_path, csv_file, capsys):
    # pandas' to_csv() (and R's write.csv) write the row index as a first column with an
    # empty header; rows sorted by class make that index a perfect predictor of the label
    path, frame = csv_file
    indexed = tmp_path / "indexed.csv"
    frame.to_csv(indexed)  # index=True: header ",f1,f2,label"
    X, y, desc = load_csv(indexed, "label")
    X0, y0, _ = load_csv(path, "label")
    assert X.shape == (60, 2)
    assert_allclose(X, X0, rtol=0, atol=0)
    assert (y == y0).all()
    assert "row index" in desc
    # the same numbers as the file without the index
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    base = ["--target", "label", "--quick", "--models", "gaussian_shared", "--no-progress"]
    assert cli.main([str(path), *base, "--out", str(out_a)]) == 0
    assert cli.main([str(indexed), *base, "--out", str(out_b)]) == 0
    a = load_results(out_a / "study.sqlite").scores["accuracy"].to_numpy()
    b = load_results(out_b / "study.sqlite").scores["accuracy"].to_numpy()
    assert_allclose(b, a, rtol=0, atol=0)


@pytest.mark.parametrize("start", [0, 1])
def test_csv_row_number_column_is_refused(tmp_path, csv_file, capsys, start):
    _, frame = csv_file
    path = tmp_path / "ids.csv"
    frame.assign(id=np.arange(start, start + len(frame))).to_csv(path, index=False)
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "feature column(s) ['id']" in line and "row number" in line


def test_a_model_failing_on_the_data_is_one_line(tmp_path, csv_file, capsys):
    # a constant feature makes the Gaussian model's covariance singular: its own ValueError
    # (which names the feature and the remedy) was raised as a traceback with exit code 1.
    # The command's default Gaussian models use a pseudo-inverse there: the exact one refuses
    _, frame = csv_file
    path = tmp_path / "const.csv"
    frame.assign(c=1.0).to_csv(path, index=False)
    argv = [str(path), "--target", "label", "--quick", "--out", str(tmp_path / "o"),
            "--gaussian", "exact"]  # fmt: skip
    assert cli.main([*argv, "--models", "logistic_gd", "gaussian_shared", "--no-progress"]) == 2
    line = one_error_line(capsys)
    assert "model 'gaussian_shared' failed on this data" in line
    assert "zero variance" in line and "split 0" in line


def test_non_integer_numeric_labels_are_one_line(tmp_path, csv_file, capsys):
    # 3 float labels 0.5/1.5/2.5: scikit-learn's type_of_target calls them 'continuous' and
    # StratifiedKFold raised deep inside the trials (traceback, exit code 1)
    _, frame = csv_file
    path = tmp_path / "floatlab.csv"
    frame.assign(label=frame["label"].map({"a": 0.5, "b": 1.5, "c": 2.5})).to_csv(
        path, index=False
    )
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "non-integer numbers (e.g. 0.5)" in line and "class labels" in line
    with pytest.raises(InputError, match="non-integer"):
        check_study_data(np.zeros((6, 1)), np.array([0.5, 0.5, 0.5, 1.5, 1.5, 1.5]), 3)
    # integer-valued floats are class labels (scikit-learn: 'binary')
    check_study_data(np.zeros((6, 1)), np.array([0.0, 0.0, 0.0, 1.0, 1.0, 1.0]), 3)


def test_csv_with_a_header_and_no_rows(tmp_path, capsys):
    # it was reported as "non-numeric feature column(s) ['f1', 'f2']"
    path = tmp_path / "header_only.csv"
    path.write_text("f1,f2,label\n")
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "has a header but no data rows" in line and "non-numeric" not in line


def test_out_that_is_a_file(tmp_path, capsys):
    # was "cannot create the output folder ...: File exists"
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file")
    assert cli.main(["iris", "--quick", "--out", str(blocker)] + FAST) == 2
    line = one_error_line(capsys)
    assert line.endswith(
        f"the output folder {blocker} is a file, not a folder (give another --out)"
    )
    assert blocker.read_text() == "a file"


def test_interrupted_run_says_so_and_resumes(tmp_path, monkeypatch, capsys):
    # Ctrl-C printed a KeyboardInterrupt traceback; now one line with what the store holds,
    # exit code 130 (128 + SIGINT), and the same command resumes to the uninterrupted numbers
    from clfcompare.estimators.gaussian import GaussianGenerativeClassifier

    real_fit = GaussianGenerativeClassifier.fit
    calls = []

    def fit_then_interrupt(self, X, y):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real_fit(self, X, y)

    argv = ["curve2", "--quick", "--models", "gaussian_shared", "--out", str(tmp_path / "a")]
    monkeypatch.setattr(GaussianGenerativeClassifier, "fit", fit_then_interrupt)
    assert cli.main(argv) == 130
    err = capsys.readouterr().err.strip().splitlines()
    store = tmp_path / "a" / "study.sqlite"
    assert err[-1] == (
        f"clfcompare: interrupted; 3 of 46 trials are in the store {store}; run the same "
        "command again to resume"
    )
    assert not [ln for ln in err if "Traceback" in ln]
    monkeypatch.setattr(GaussianGenerativeClassifier, "fit", real_fit)
    assert cli.main(argv) == 0
    assert "3 of 46 trials already stored" in capsys.readouterr().err
    assert cli.main([*argv[:-1], str(tmp_path / "b")]) == 0  # never interrupted
    resumed = load_results(tmp_path / "a" / "study.sqlite").scores["accuracy"].to_numpy()
    straight = load_results(tmp_path / "b" / "study.sqlite").scores["accuracy"].to_numpy()
    assert_allclose(resumed, straight, rtol=0, atol=0)


@pytest.mark.parametrize(
    "change, differences",
    [
        # the store holds 1 repeat x 2 folds = 2 main splits of each model, and 10 half/half
        # partitions x 2 halves x 2 inner folds = 40 half splits
        (["--folds", "3"], ["stored 42 splits, now 43"]),
        # the seed moves the splits and the logistic regression's own random_state
        (
            ["--seed", "1"],
            ["splits differ (both 42 splits: another --seed", "random_state = --seed (stored 0, "],
        ),
    ],
)
def test_store_of_other_settings_is_refused_in_cli_words(tmp_path, capsys, change, differences):
    # the refusal came in the trials layer's words ("pass the same cv, with a fixed
    # random_state", "use another store path"), after a line "resuming from ...: 4 of 6
    # trials already stored" that the refusal then contradicted
    out = tmp_path / "iris"
    base = ["iris", "--repeats", "1", "--folds", "2", "--epochs", "5", "--out", str(out)]
    base += ["--models", "gaussian_shared", "logistic_gd"]
    assert cli.main(base) == 0
    capsys.readouterr()
    assert cli.main([*base, *change]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert not [ln for ln in err if "resuming" in ln]
    # "found 4 of 6 trials already stored" counted trials of the other splits
    assert not [ln for ln in err if "found" in ln and "--folds" in change]
    line = err[-1]
    store = out / "study.sqlite"
    assert line.startswith(f"clfcompare: error: the store {store} holds trials run with other ")
    for words in differences:
        assert words in line
    for option in ("--seed", "--repeats", "--folds", "--epochs", "--out", f"delete {store}"):
        assert option in line
    for layer_words in ("pass the same", "store path", "original set-up"):
        assert layer_words not in line
    # the store is untouched: the first run's settings still resume it
    assert cli.main(base) == 0
    assert "(84 of 84 read from the store" in capsys.readouterr().err


@pytest.mark.parametrize(
    "differences, empty, message, start, end",
    [
        (
            [
                SetupDifference("n_samples", "n_samples", 9, 8),
                SetupDifference("model-param", "max_epochs", "5", "7", model="m"),
            ],
            False,
            "the trial store 's.sqlite' was made for a different set-up; refusing to mix "
            "results. Differences: n_samples: stored 9, now 8 | model 'm' parameters differ: "
            "max_epochs (stored 5, now 7). Use another store path or the original set-up.",
            "the store s.sqlite holds trials run with other settings (n_samples: stored 9, "
            "now 8; model 'm' parameters differ: max_epochs = --epochs (stored 5, now 7));",
            "delete s.sqlite to start afresh",
        ),
        (
            [SetupDifference("data", "X", "a" * 64, "b" * 64)],
            True,
            "the trial store 's.sqlite' holds no finished trial; it was made for a different "
            "set-up by a run that stored none. Differences: X differs from the data the store "
            "was made with. Nothing would be lost: delete it or use another store path.",
            "the store s.sqlite was set up for other settings by a run that finished no trial "
            "(X differs from the data the store was made with);",
            "delete s.sqlite to start afresh; nothing is lost by deleting it",
        ),
        (
            [
                SetupDifference("splits", "n_splits", 4, 4),
                SetupDifference("model-param", "mlp__random_state", "0", "1", model="p"),
                SetupDifference("model-param", "steps", "[(...)]", "[(..)]", model="p"),
            ],
            False,
            "the trial store 's.sqlite' was made for a different set-up; refusing to mix "
            "results. Differences: the cross-validation splits differ (stored 4 splits, now "
            "4); pass the same cv, with a fixed random_state, to resume | model 'p' parameters "
            "differ: mlp__random_state (stored 0, now 1); steps (stored [(...)], now [(..)]). "
            "Use another store path or the original set-up.",
            "the store s.sqlite holds trials run with other settings (the cross-validation "
            "splits differ (both 4 splits: another --seed, which seeds the splits); model 'p' "
            "parameters differ: mlp__random_state = --seed (stored 0, now 1));",
            "delete s.sqlite to start afresh",
        ),
    ],
)
def test_store_refusal_rewords_both_kinds_of_refusal(differences, empty, message, start, end):
    # the trials layer's two refusals of another set-up (their message: the layer's words,
    # unchanged), read from their fields for the command's one line; a pipeline's steps,
    # which repeat its parameters as whole estimators, are left out
    err = SetupMismatch("s.sqlite", differences, empty=empty)
    assert str(err) == message
    text = cli._store_refusal(err, "s.sqlite")
    assert text.startswith(start) and text.endswith(end), text
    assert "pass the same" not in text and "steps" not in text
    # another error of the store, even worded like a refusal, is not reworded
    assert cli._store_refusal(ValueError("the trial store 's' is inconsistent"), "s") == ""
    assert cli._store_refusal(ValueError(message), "s.sqlite") == ""


def test_fit_failure_reads_the_model_from_the_exception():
    err = ValueError("Input X contains NaN.\n  more")
    assert cli._fit_failure(err) == ""  # not from a trial
    err.clfcompare_model = "m"
    err.clfcompare_context = "fitting/scoring split 3"
    assert cli._fit_failure(err) == (
        "model 'm' failed on this data (fitting/scoring split 3): Input X contains NaN. more "
        "(the trials finished before it are kept in the store)"
    )


@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_separated_csv_are_read(tmp_path, csv_file, capsys, sep, name):
    # was "no column 'label'; its columns are ['f1;f2;label']"
    path, frame = csv_file
    other = tmp_path / f"{name}.csv"
    frame.to_csv(other, sep=sep, index=False)
    X, y, desc = load_csv(other, "label")
    X_comma, y_comma, _ = load_csv(path, "label")
    assert_allclose(X, X_comma, rtol=0, atol=0)
    assert y.tolist() == y_comma.tolist()
    assert f"`{name}.csv` ({name}-separated): 60 rows, 2 feature(s) (f1, f2)" in desc
    out = tmp_path / "out"
    argv = [str(other), "--target", "label", "--quick", "--out", str(out)]
    assert cli.main(argv + ["--models", "gaussian_shared", "--no-progress"]) == 0
    assert f"({name}-separated)" in (out / "report.md").read_text(encoding="utf-8")


def test_decimal_commas_are_explained(tmp_path, capsys):
    # a semicolon-separated file from a locale with decimal commas: "1,5" is text
    path = tmp_path / "de.csv"
    path.write_text("f1;f2;label\n" + "".join(f"{i},5;2,25;{i % 2}\n" for i in range(12)))
    assert cli.main([str(path), "--target", "label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "non-numeric feature column(s) ['f1', 'f2']" in line
    assert "read as semicolon-separated with '.' as the decimal mark" in line


def test_help_names_the_csv_separators(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "comma-, semicolon- or tab-separated" in text


# --------------------------------------------------------------------------- issue 11


def test_study_options_of_issue_11_parse():
    parser = cli.make_parser()
    args = parser.parse_args(["iris"])
    assert (args.seeds, args.contrast, args.baseline) == (1, None, None)
    args = parser.parse_args(
        ["iris", "--seeds", "3", "--contrast", "mlp_mse", "mlp_ce", "--baseline", "logistic_gd"]
    )
    assert (args.seeds, args.contrast, args.baseline) == (3, ["mlp_mse", "mlp_ce"], "logistic_gd")
    text = parser.format_help()
    for words in ("--contrast A B", "--baseline MODEL", "--seeds S", "best model against"):
        assert words in " ".join(text.split()), words
    assert "critical-difference" not in text
    with pytest.raises(SystemExit) as info:
        parser.parse_args(["iris", "--seeds", "0"])
    assert info.value.code == 2


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--contrast", "gaussian_shared", "mlp_ce"], "--contrast needs two different models"),
        (["--contrast", "gaussian_shared", "gaussian_shared"], "the same model twice"),
        (["--baseline", "mlp_ce"], "--baseline 'mlp_ce' is not among --models"),
    ],
)
def test_study_options_of_issue_11_refuse_bad_values(tmp_path, capsys, extra, message):
    argv = ["iris", "--quick", "--out", str(tmp_path / "o"), *FAST, *extra]
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o" / "study.sqlite").exists()  # refused before any trial


def test_cli_contrast_seeds_and_no_pre_specified_question(tmp_path, csv_file, capsys):
    path, _ = csv_file
    base = [str(path), "--target", "label", "--repeats", "2", "--folds", "3"]
    models = ["--models", "gaussian_shared", "gaussian_separate"]
    # without --contrast a CSV run leads with the best model against the runner-up
    assert cli.main([*base, *models, "--out", str(tmp_path / "a")]) == 0
    text = (tmp_path / "a" / "report.md").read_text(encoding="utf-8")
    assert "the best model is **" in text and "a pair chosen from the data" in text
    assert "different from" not in text
    # --contrast B A: the question, tested unadjusted; --seeds 2: a crossed split x seed design
    argv = [*base, *models, "--contrast", "gaussian_separate", "gaussian_shared", "--seeds", "2"]
    assert cli.main([*argv, "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "running 2 models x 92 splits" in err and "each split x 2 seeds" in err
    text = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "## Is gaussian_separate different from gaussian_shared here?" in text
    assert "(the pre-specified contrast, tested on its own: unadjusted)" in text
    assert "## Data split vs initialisation" in text
    res = load_results(tmp_path / "b" / "study.sqlite")
    assert res.design["n_seeds"] == 2 and res.design["seed_design"] == "crossed"


# --------------------------------------------------------------------------- damaged stores


@pytest.mark.parametrize(
    "garbage",
    [b"this is not a database" * 10, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text", "sqlite-header-then-noise"],
)
def test_a_damaged_store_is_one_line_exit_2(tmp_path, capsys, garbage):
    # a store file that is not a trial store (or a damaged one) is a StoreError of the trials
    # layer: the command says so in one line naming the store, exit 2, and leaves it alone
    out = tmp_path / "out"
    out.mkdir()
    store = out / "study.sqlite"
    store.write_bytes(garbage)
    argv = ["iris", "--quick", "--out", str(out), "--models", "gaussian_shared", "--no-progress"]
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert str(store) in line
    assert store.read_bytes() == garbage
    assert not (out / "report.md").exists()


def test_a_store_error_outside_the_study_is_one_line_exit_2(capsys):
    # execute() words a StoreError raised by any step (not only the trials) in one line
    from clfcompare.trials import StoreError

    def run():
        raise StoreError("x.sqlite", "the trial store 'x.sqlite' is damaged:\nrow 3")

    assert cli.execute("clfcompare", run) == 2
    assert one_error_line(capsys) == (
        "clfcompare: error: the trial store 'x.sqlite' is damaged: row 3"
    )


def test_a_symlinked_report_in_out_is_one_line_exit_2(tmp_path, capsys):
    # issue 14 item 8: refused before any trial, the link named; nothing written outside
    victim = tmp_path / "victim.md"
    victim.write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").symlink_to(victim)
    argv = ["iris", "--quick", "--out", str(out), "--models", "gaussian_shared", "--no-progress"]
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert str(out / "report.md") in line and "symbolic link" in line
    assert victim.read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]


# --------------------------------------------------------------------------- preprocessing


def gappy_frame(frame):
    """``frame`` with a text column and one missing value in f2."""
    frame = frame.copy()
    frame["colour"] = np.where(np.arange(len(frame)) % 3 == 0, "red", "blue")
    frame.loc[4, "f2"] = np.nan
    return frame


def test_a_target_in_the_wrong_case_is_suggested(csv_file, capsys):
    path, _ = csv_file
    assert cli.main([str(path), "--target", "Label"] + FAST) == 2
    line = one_error_line(capsys)
    assert "no column 'Label'; did you mean 'label'?" in line
    assert "['f1', 'f2', 'label']" in line


def test_impute_drop_drops_the_rows_and_says_how_many(tmp_path, csv_file, capsys):
    _, frame = csv_file
    frame = frame.copy()
    frame.loc[[4, 9], "f2"] = np.nan
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--quick", "--impute", "drop", "--out", str(out)]
    assert cli.main(argv + FAST[:-1]) == 0
    err = capsys.readouterr().err
    assert "2 row(s) with a missing value were dropped before the splits" in err
    assert "on 58 rows" in err
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "2 row(s) with a missing value were dropped before the splits (`--impute drop`)" in text
    assert "58 rows" in text


@pytest.mark.parametrize(
    ("options", "steps"),
    [
        ([], None),  # nothing asked, nothing needed: no preprocessor (the study as before)
        (["--standardize"], [("numeric", ["scale"])]),
        (["--impute", "median", "--one-hot"], [("numeric", ["impute"]),
                                               ("categorical", ["impute", "one_hot"])]),
        (["--impute", "mean", "--one-hot", "--standardize"],
         [("numeric", ["impute", "scale"]), ("categorical", ["impute", "one_hot"])]),
    ],
)  # fmt: skip
def test_the_options_hand_the_study_a_preprocessor(tmp_path, csv_file, monkeypatch, options,
                                                   steps):  # fmt: skip
    _, frame = csv_file
    gappy = "--one-hot" in options
    path = tmp_path / "mixed.csv"
    (gappy_frame(frame) if gappy else frame).to_csv(path, index=False)
    seen = {}

    def fake_run_study(X, y, **kwargs):
        seen.update(kwargs, X=X)
        raise InputError("stopped before the trials")

    monkeypatch.setattr(cli, "run_study", fake_run_study)
    assert cli.main([str(path), "--target", "label", "--quick", *options] + FAST) == 2
    pre = seen.get("preprocessor")
    if steps is None:
        assert pre is None and "preprocessor" not in seen
        return
    got = [(name, list(t.named_steps) if hasattr(t, "named_steps") else t)
           for name, t, _ in pre.transformers]  # fmt: skip
    assert got == steps
    X = seen["X"]
    if gappy:  # the text column as codes (blue 0, red 1), the gap as NaN for the imputer
        assert_allclose(X[:, 2], np.where(np.arange(len(frame)) % 3 == 0, 1.0, 0.0))
        assert np.isnan(X[4, 1]) and np.isnan(X).sum() == 1
        assert [c for _, _, c in pre.transformers] == [[0, 1], [2]]
    note = next(n for n in seen["notes"] if n.startswith("Preprocessing"))
    assert "fitted on the training rows of every split" in note


def test_help_lists_digits_and_the_preprocessing_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for word in ("digits", "--standardize", "--no-standardize", "--impute", "--one-hot",
                 "most_frequent"):  # fmt: skip
        assert word in text, word


def _run_study_takes_a_preprocessor():
    import inspect

    from clfcompare.study import run_study

    return "preprocessor" in inspect.signature(run_study).parameters


@pytest.mark.skipif(
    not _run_study_takes_a_preprocessor(), reason="waits on run_study(preprocessor=...)"
)
def test_a_csv_with_a_gap_and_a_text_column_runs_end_to_end(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "mixed.csv"
    gappy_frame(frame).to_csv(path, index=False)
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--quick", "--impute", "median", "--one-hot",
            "--standardize", "--out", str(out), "--no-progress"]  # fmt: skip
    # the Gaussian models on one-hot columns: test_a_one_hot_csv_runs_with_the_gaussian_models
    models = ["--models", "logistic_gd", "mlp_ce"]
    assert cli.main(argv + models) == 0, capsys.readouterr().err
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Preprocessing, fitted on the training rows of every split" in text
    assert "60 rows" in text
    res = load_results(out / "study.sqlite")
    assert res.scores["accuracy"].between(0, 1).all() and len(res.scores)


# --------------------------------------------------------------------------- issue 13 defaults


def _stopped_study(monkeypatch):
    """Patch the command's run_study and build_models to record their arguments and stop."""
    seen = {}
    real_build = cli.build_models

    def build(*args, **kwargs):
        seen["build"] = kwargs
        return real_build(*args, **kwargs)

    def fake_run_study(X, y, **kwargs):
        seen["study"] = kwargs
        raise InputError("stopped before the trials")

    monkeypatch.setattr(cli, "build_models", build)
    monkeypatch.setattr(cli, "run_study", fake_run_study)
    return seen


@pytest.mark.parametrize(
    ("options", "scaled"),
    [([], True), (["--no-scale-mlp"], False), (["--scale-mlp"], True),
     (["--standardize"], False)],  # --standardize: the features are standardised already
)  # fmt: skip
def test_the_command_standardises_the_networks_by_default(csv_file, monkeypatch, capsys,
                                                          options, scaled):  # fmt: skip
    path, _ = csv_file
    seen = _stopped_study(monkeypatch)
    argv = [str(path), "--target", "label", "--quick", "--models", "mlp_ce", "--no-progress"]
    assert cli.main(argv + options) == 2
    assert seen["study"]["scale_mlp"] is scaled
    assert "scale_mlp" not in seen["build"]  # the study wraps the bare networks and says so


def test_the_command_picks_the_pinv_gaussians_unless_told(csv_file, monkeypatch, capsys):
    path, _ = csv_file
    seen = _stopped_study(monkeypatch)
    argv = [str(path), "--target", "label", "--quick", "--no-progress"]
    assert cli.main(argv) == 2
    assert seen["build"]["gaussian"] == "pinv"
    assert cli.main(argv + ["--gaussian", "shrinkage"]) == 2
    assert seen["build"]["gaussian"] == "shrinkage"
    capsys.readouterr()
    with pytest.raises(SystemExit):
        cli.main(argv + ["--gaussian", "lw"])
    assert "invalid choice: 'lw'" in capsys.readouterr().err


def test_hw4s_shared_options_keep_the_exact_gaussians(monkeypatch):
    # study_from_args (analyses/hw4.py) keeps the lecture's exact model unless asked
    import argparse

    parser = cli.add_study_arguments(argparse.ArgumentParser(), out_help="x")
    args = parser.parse_args(["--quick", "--models", "gaussian_shared", "--no-progress"])
    seen = {}
    monkeypatch.setattr(cli, "run_study", lambda X, y, **kw: seen.update(kw))
    X, y = np.zeros((6, 1)), np.array([0, 1] * 3)
    cli.study_from_args(args, X, y, out_dir="unused")
    assert not seen["models"]["gaussian_shared"].allow_singular
    assert "scale_mlp" not in seen  # run_study's default (False)


def test_the_networks_inputs_are_standardised_in_the_report(tmp_path, csv_file, capsys):
    path, _ = csv_file
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--quick", "--models", "logistic_gd", "mlp_ce",
            "--no-progress", "--out", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    text = (out / "report.md").read_text(encoding="utf-8")
    row = next(ln for ln in text.splitlines() if ln.startswith("| mlp_ce |"))
    assert "inputs standardised (`StandardScaler` fitted on each training split)" in row
    row = next(ln for ln in text.splitlines() if ln.startswith("| logistic_gd |"))
    assert "inputs standardised" not in row  # only the networks get the scaler
    capsys.readouterr()


def test_help_says_the_default_workers_and_the_new_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 1)" not in text.split("--n-jobs", 1)[1].split("--seed")[0]
    assert "one per network that trains on the CPU, at most the usable cores" in text
    for word in ("--no-scale-mlp", "--gaussian", "pinv", "shrinkage", "Ledoit-Wolf"):
        assert word in text, word


def _data_paragraph(text):
    return text.split("## Data", 1)[1].split("\n## ", 1)[0].strip()


def test_a_csvs_data_paragraph_counts_rows_and_features_once(tmp_path, csv_file, capsys):
    path, _ = csv_file
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--quick", "--out", str(out)]
    assert cli.main(argv + FAST) == 0
    data = _data_paragraph((out / "report.md").read_text(encoding="utf-8"))
    assert data.count("60 rows") == 1 and data.count("feature") == 1, data
    assert "3 classes (counts: a: 20, b: 20, c: 20)" in data
    capsys.readouterr()


def test_digits_runs_with_all_default_models(tmp_path, capsys):
    # constant pixels make the exact Gaussian covariances singular: the command's default
    # (pinv) fits them; --gaussian exact is the model's one-line refusal
    out = tmp_path / "digits"
    argv = ["digits", "--quick", "--no-progress", "--out", str(out)]
    assert cli.main(argv) == 0, capsys.readouterr().err
    res = load_results(out / "study.sqlite")
    assert res.models == MODEL_NAMES
    summary = res.score_table().mean()
    assert (summary[["gaussian_shared", "gaussian_separate", "logistic_gd"]] > 0.85).all()
    capsys.readouterr()
    argv = ["digits", "--quick", "--no-progress", "--out", str(tmp_path / "exact"),
            "--models", "gaussian_shared", "--gaussian", "exact"]  # fmt: skip
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert "model 'gaussian_shared' failed on this data" in line


def test_a_one_hot_csv_runs_with_the_gaussian_models(tmp_path, csv_file, capsys):
    _, frame = csv_file
    path = tmp_path / "mixed.csv"
    gappy_frame(frame).to_csv(path, index=False)
    argv = [str(path), "--target", "label", "--quick", "--impute", "median", "--one-hot",
            "--no-progress", "--models", "gaussian_shared", "gaussian_separate"]  # fmt: skip
    assert cli.main(argv + ["--out", str(tmp_path / "a")]) == 0, capsys.readouterr().err
    res = load_results(tmp_path / "a" / "study.sqlite")
    means = res.score_table().mean()  # the main CV's splits: above chance (1/3)
    assert (means > 0.5).all(), means
    capsys.readouterr()
    # the indicator columns sum to 1: the exact model refuses them
    assert cli.main(argv + ["--out", str(tmp_path / "b"), "--gaussian", "exact"]) == 2
    assert "failed on this data" in one_error_line(capsys)


# --------------------------------------------------------------------------- review fixes


def test_a_report_that_cannot_be_written_is_one_line_and_the_trials_resume(tmp_path, capsys):
    # a folder where report.md goes: the trials run, the report cannot be written
    out = tmp_path / "out"
    (out / "report.md").mkdir(parents=True)
    argv = ["iris", "--quick", "--out", str(out), "--models", "gaussian_shared", "--no-progress"]
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert f"cannot write {out / 'report.md'}: Is a directory" in line
    assert "trials that finished are kept in the store" in line
    assert "run the same command again to resume" in line
    (out / "report.md").rmdir()
    assert cli.main(argv) == 0
    assert "trials resumed from the store" in capsys.readouterr().out
    assert (out / "report.md").is_file()


def test_a_full_disk_while_writing_the_report_is_one_line(tmp_path, monkeypatch, capsys):
    import errno

    from clfcompare import report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.png"))

    monkeypatch.setattr(report, "write_report", full)
    argv = ["iris", "--quick", "--out", str(tmp_path / "o"), "--models", "gaussian_shared"]
    assert cli.main([*argv, "--no-progress"]) == 2
    line = one_error_line(capsys)
    assert f"cannot write {tmp_path / 'x.png'}: No space left on device" in line


def test_a_builtin_data_paragraph_counts_rows_features_and_classes_once(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["iris", "--quick", "--out", str(out), "--models", "gaussian_shared", "--no-progress"]
    assert cli.main(argv) == 0
    data = _data_paragraph((out / "report.md").read_text(encoding="utf-8"))
    assert data == (
        "scikit-learn's iris flowers (`sklearn.datasets.load_iris`). 150 rows, 4 features, "
        "3 classes (counts: 0: 50, 1: 50, 2: 50)."
    )
    capsys.readouterr()


def test_backticks_and_markup_in_file_and_column_names_stay_literal(tmp_path, capsys):
    # a backtick in a name used to end its code span early and pair the spans wrongly
    rng = np.random.default_rng(0)
    column = "a|b*c_d`e<f>g"
    frame = pd.DataFrame(
        {column: rng.normal(size=30), "b": rng.normal(size=30), "label": list("xyz") * 10}
    )
    path = tmp_path / "we`ird_*x*<b>|.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    assert cli.main([str(path), "--target", "label", "--quick", "--out", str(out)] + FAST) == 0
    data = _data_paragraph((out / "report.md").read_text(encoding="utf-8"))
    assert data == (
        r"<code>we\`ird\_\*x\*&lt;b&gt;\|.csv</code>: 30 rows, 2 feature(s) "
        r"(a\|b\*c_d\`e&lt;f&gt;g, b), target column `label`. 3 classes (counts: x: 10, "
        "y: 10, z: 10)."
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    para = html.split('<h2 id="data">Data</h2>', 1)[1].split("</p>", 1)[0]
    assert para == (
        "\n<p><code>we`ird_*x*&lt;b&gt;|.csv</code>: 30 rows, 2 feature(s) "
        "(a|b*c_d`e&lt;f&gt;g, b), target column <code>label</code>. 3 classes (counts: x: 10, "
        "y: 10, z: 10)."
    )
    capsys.readouterr()


def test_a_rare_category_gives_every_split_the_same_one_hot_columns(tmp_path, monkeypatch, capsys):
    # one row of "blue": a training split without it used to give fewer indicator columns
    # (the stacked fits of the networks and the logistic regression then failed)
    from sklearn.base import clone

    handed = {}
    real = cli.run_study

    def spy(X, y, **kwargs):
        handed.update(X=X, preprocessor=kwargs["preprocessor"])
        return real(X, y, **kwargs)

    monkeypatch.setattr(cli, "run_study", spy)
    rng = np.random.default_rng(0)
    n = 60
    colour = np.where(np.arange(n) % 2 == 0, "red", "green").astype(object)
    colour[5] = "blue"
    frame = pd.DataFrame(
        {"a": rng.normal(size=n), "colour": colour, "label": np.repeat(["p", "q"], n // 2)}
    )
    path = tmp_path / "rare.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    argv = [str(path), "--target", "label", "--one-hot", "--quick", "--out", str(out)]
    assert cli.main([*argv, "--models", "logistic_gd", "mlp_ce", "--no-progress"]) == 0
    capsys.readouterr()
    res = load_results(out / "study.sqlite")
    assert set(res.scores.model) == {"logistic_gd", "mlp_ce"}
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "1 text column(s) one-hot encoded, one indicator per category of the file" in text
    # fitted on rows without "blue" (code 0 of blue, green, red): still 1 + 3 columns
    X = handed["X"]
    no_blue = X[X[:, 1] != 0]
    out_ = clone(handed["preprocessor"]).fit(no_blue).transform(X)
    assert out_.shape == (n, 1 + 3)
    assert_allclose(out_[:, 1:], np.eye(3)[X[:, 1].astype(int)], rtol=0, atol=0)


@pytest.mark.parametrize(
    "n_rare, options, advice",
    [
        # 3 rows pass the 3 folds of --quick but not the 4 of the half/half partitions
        (
            3,
            ["--quick"],
            "class(es) ['rare'] have fewer rows ([3]) than the 4 that the half/half partitions "
            "need (a 2-fold CV inside each half); add rows to those classes or remove their "
            "rows from the file (the command's default test, the conservative Z test, needs "
            "the half/half partitions)",
        ),
        # under --quick, fewer --folds would not help
        (
            2,
            ["--quick", "--folds", "2"],
            "class(es) ['rare'] have fewer rows ([2]) than the 3 folds; --quick runs 3 folds "
            "whatever --folds says: run without --quick and with fewer --folds (at least 2), or "
            "add rows to those classes",
        ),
        (
            2,
            ["--folds", "3", "--repeats", "2"],
            "class(es) ['rare'] have fewer rows ([2]) than the 3 folds; use fewer --folds",
        ),
    ],
)
def test_too_small_classes_get_advice_in_the_commands_options(
    tmp_path, csv_file, capsys, n_rare, options, advice
):
    _, frame = csv_file
    path = tmp_path / "rare.csv"
    frame = frame.copy()
    frame.loc[: n_rare - 1, "label"] = "rare"
    frame.to_csv(path, index=False)
    argv = [str(path), "--target", "label", "--out", str(tmp_path / "o"), *options]
    assert cli.main(argv + FAST) == 2
    line = one_error_line(capsys)
    assert line == f"clfcompare: error: {advice}"
    assert "halves=False" not in line


@pytest.mark.parametrize(
    "change, option",
    [
        (["--standardize"], "--standardize"),
        (["--gaussian", "shrinkage"], "--gaussian"),
        (["--no-scale-mlp"], "--scale-mlp/--no-scale-mlp"),
    ],
)
def test_a_changed_preprocessing_option_is_named_in_a_short_refusal(
    tmp_path, capsys, change, option
):
    # the refusal dumped whole ColumnTransformer reprs on one line and named no option
    out = tmp_path / "o"
    base = ["iris", "--quick", "--out", str(out), "--no-progress"]
    base += ["--models", "gaussian_shared", "logistic_gd", "mlp_ce"]
    assert cli.main(base) == 0
    capsys.readouterr()
    assert cli.main([*base, *change]) == 2
    line = one_error_line(capsys)
    changed = re.findall(r"model '\w+' \(another ([^)]*)\) parameters differ", line)
    assert changed and all(option in c for c in changed), line
    assert option in line.split("Rerun with the settings it was made with")[1]
    assert len(line) < 1200, len(line)
    assert "sklearn." not in line and "clfcompare." not in line  # no module paths
    for text in line.split("(stored ")[1:]:  # every value shown is cut short
        stored, now = text.split(")")[0].split(", now ", 1)[0], text.split(", now ", 1)[1]
        assert len(stored) <= 60 and len(now.split(")")[0]) <= 60


def test_a_store_of_the_earlier_one_hot_is_refused_as_such(tmp_path, capsys, monkeypatch):
    # before, --one-hot learnt the categories in each split (categories='auto'); now every
    # split encodes all of the file's: an earlier store cannot resume, and the refusal must
    # say so instead of asking for the --one-hot that the rerun already gives
    from clfcompare import preprocessing

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "colour": rng.choice(["r", "g", "b"], 60)})
    frame["label"] = np.where(frame.a > 0, "x", "y")
    path = tmp_path / "cat.csv"
    frame.to_csv(path, index=False)
    argv = [str(path), "--target", "label", "--one-hot", "--quick", "--no-progress"]
    argv += ["--models", "gaussian_shared", "logistic_gd", "--out", str(tmp_path / "o")]
    make = preprocessing.make_preprocessor

    def earlier(*args, categories=None, **kwargs):  # the earlier version's preprocessor
        return make(*args, **kwargs)

    monkeypatch.setattr(preprocessing, "make_preprocessor", earlier)
    assert cli.main(argv) == 0
    monkeypatch.undo()
    capsys.readouterr()
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert "store is an earlier clfcompare's, which learnt them in each split" in line
    assert "cannot be resumed, give a new --out or delete it" in line
    assert "another --one-hot" not in line


def test_store_refusal_names_preprocessing_options_and_cuts_values_short():
    long = "sklearn.preprocessing._data.StandardScaler(" + "x=1, " * 40 + ")"
    differences = [
        SetupDifference(
            "model-param", "preprocess__numeric__impute__strategy", "'mean'", "'median'", model="m"
        ),  # fmt: skip
        SetupDifference("model-param", "preprocess__numeric__scale", None, long, model="m"),
        SetupDifference(
            "model-param", "preprocess__numeric__scale__copy", None, "True", model="m"
        ),  # fmt: skip
        SetupDifference(
            "model-param",
            "preprocess__categorical__one_hot__categories",
            "[array([0., 1., 2.])]",
            "[array([0., 1.])]",
            model="m",
        ),  # fmt: skip
        SetupDifference("model-param", "m__max_epochs", "5", "7", model="m"),
    ]
    text = cli._store_refusal(SetupMismatch("s.sqlite", differences), "s.sqlite")
    assert text == (
        "the store s.sqlite holds trials run with other settings (model 'm' (another "
        "--impute, --standardize, --one-hot) parameters differ: "
        "preprocess__numeric__impute__strategy (stored 'mean', now 'median'); "
        "preprocess__categorical__one_hot__categories (stored [array([0., 1., 2.])], now "
        "[array([0., 1.])]); m__max_epochs = --epochs (stored 5, now 7); and 1 more); mixing "
        "them would break the paired design. Rerun with the settings it was made with (the "
        "same data, --seed, --seeds, --repeats, --folds, --epochs or --quick, --device, "
        "--impute, --standardize, --one-hot; other --models are added to it), give a new "
        "--out, or delete s.sqlite to start afresh"
    )
    one = [SetupDifference("model-param", "preprocess__numeric__scale", None, long, model="m")]
    text = cli._store_refusal(SetupMismatch("s.sqlite", one), "s.sqlite")
    assert "model 'm' (another --standardize) parameters differ: preprocess__numeric__scale " in (
        text
    )
    assert f"(stored <absent>, now StandardScaler({'x=1, ' * 8}x=...)" in text
    # a Pipeline put around a model: the option another model's difference points at
    two = [
        SetupDifference("model-class", "class", "a.Gauss", "sklearn.pipeline.Pipeline", "g"),
        *one,
    ]
    text = cli._store_refusal(SetupMismatch("s.sqlite", two), "s.sqlite")
    assert text.startswith(
        "the store s.sqlite holds trials run with other settings (model 'g' (another "
        "--standardize) parameters differ: class (stored Gauss, now Pipeline); model 'm' "
    )
    # alone, it may be any preprocessing option
    text = cli._store_refusal(SetupMismatch("s.sqlite", two[:1]), "s.sqlite")
    assert "model 'g' (another --standardize, --impute, --one-hot) parameters" in text
