"""Tests for clfcompare.study: the study reproduces the goldens of the code before the redesign
(issue 10), resumes a store written by it, and words its errors in parameter names.

The goldens in ``tests/data`` (see its README) were written by the pre-redesign code: the
summary and pairwise tables of ``analyses/hw4.py --quick`` and ``clfcompare iris --quick``,
their reports up to the machine section, and a small hw4 store. Tolerance of the tables:
``rtol=1e-9`` on floats (they were written with 17 significant digits; the slack is for another
platform's last bits in the p-values), exact on counts, names, flags and verdicts. An accuracy
is a count over about 107 test rows, so one changed prediction moves a mean by > 1e-3.
"""

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _scripts import load_script  # tests/ is on sys.path (no __init__.py)
from numpy.testing import assert_allclose

from clfcompare import cli, study
from clfcompare.analysis import summary_table
from clfcompare.datasets import curve_reference, load_builtin, load_curve
from clfcompare.stats import compare
from clfcompare.trials import SetupMismatch, count_finished, load_results

DATA = Path(__file__).resolve().parent / "data"
SUMMARY_COLUMNS = ["mean", "sd", "min", "median", "max", "n_trials"]


def assert_tables_match_golden(results, stem):
    """``results``' summary and pairwise tables equal ``tests/data/<stem>_*.csv``."""
    golden = pd.read_csv(DATA / f"{stem}_summary.csv", index_col="model")
    summary = summary_table(results)[SUMMARY_COLUMNS]
    assert list(summary.index) == list(golden.index)
    assert summary["n_trials"].tolist() == golden["n_trials"].tolist()
    assert_allclose(summary.to_numpy(float), golden.to_numpy(float), rtol=1e-9, atol=0)

    golden_p = pd.read_csv(DATA / f"{stem}_pairwise.csv")
    pairwise = compare(results)
    assert list(pairwise.columns) == list(golden_p.columns)
    for col in ("model_a", "model_b", "significant", "verdict", "df"):
        assert pairwise[col].tolist() == golden_p[col].tolist(), col
    numeric = [c for c in golden_p.columns if golden_p[c].dtype == float]
    assert_allclose(
        pairwise[numeric].to_numpy(float), golden_p[numeric].to_numpy(float), rtol=1e-9, atol=0
    )


def report_head(text):
    """A report up to its machine section, without the time stamp and the fit times (facts
    of the run, not of the code)."""
    text = text.split("## Machine")[0]
    lines, in_scores = [], False
    for line in text.splitlines():
        if line.startswith("_Generated "):
            continue
        if line.startswith("## "):
            in_scores = line.startswith("## Test ") and line.endswith(" per model")
        if in_scores and line.startswith("| "):
            line = line.rsplit("|", 2)[0] + "| (fit time) |"
        lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- goldens


@pytest.fixture(scope="module")
def hw4_quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("hw4_quick")
    hw4 = load_script("hw4")
    assert hw4.main(["--quick", "--no-progress", "--out", str(out)]) == 0
    return out


def test_hw4_quick_reproduces_the_golden_tables(hw4_quick):
    assert_tables_match_golden(load_results(hw4_quick / "hw4.sqlite"), "hw4_quick")


def test_hw4_quick_reproduces_the_golden_report(hw4_quick):
    text = (hw4_quick / "report.md").read_text(encoding="utf-8")
    golden = (DATA / "hw4_quick_report.md").read_text(encoding="utf-8")
    assert report_head(text) == report_head(golden)


def test_cli_iris_quick_reproduces_the_goldens(tmp_path, capsys):
    out = tmp_path / "iris"
    assert cli.main(["iris", "--quick", "--no-progress", "--out", str(out)]) == 0
    assert_tables_match_golden(load_results(out / "study.sqlite"), "iris_quick")
    text = (out / "report.md").read_text(encoding="utf-8")
    golden = (DATA / "iris_quick_report.md").read_text(encoding="utf-8")
    assert report_head(text) == report_head(golden)


def test_report_head_normalisation_can_fail():
    golden = (DATA / "hw4_quick_report.md").read_text(encoding="utf-8")
    assert report_head(golden.replace("0.616 ± 0.030", "0.617 ± 0.030")) != report_head(golden)


def test_a_store_of_the_old_code_resumes_without_refitting(tmp_path):
    # the store was written by the pre-redesign code (hw4 --quick with three models): the new
    # study reads every trial back (no trial is refitted: the stored fit times come back
    # unchanged, which a refit would not reproduce) and its tables are the golden ones
    store = tmp_path / "hw4.sqlite"
    shutil.copy(DATA / "store_hw4_quick.sqlite", store)
    n_stored = count_finished(store)
    assert n_stored == 18
    before = load_results(store)
    X, y = load_curve(4)
    models = study.build_models(["gaussian_shared", "mlp_mse", "mlp_ce"], epochs=5)
    result = study.run_study(
        X,
        y,
        models=models,
        out_dir=tmp_path,
        store_name="hw4.sqlite",
        n_repeats=2,
        n_folds=3,
        curve_classes=4,
        progress=False,
    )
    assert result.n_resumed == n_stored
    assert count_finished(store) == n_stored
    cols = ["model", "split", "accuracy", "fit_time"]
    pd.testing.assert_frame_equal(result.results.scores[cols], before.scores[cols])
    pd.testing.assert_frame_equal(result.results.predictions, before.predictions)
    assert_tables_match_golden(result.results, "store_hw4_quick")
    assert_tables_match_golden(load_results(store), "store_hw4_quick")


# --------------------------------------------------------------------------- the study


def test_study_holds_the_comparison(tmp_path):
    X, y, _ = load_builtin("curve2")
    models = study.build_models(["gaussian_shared", "mlp_mse", "mlp_ce"], epochs=3)
    res = study.run_study(
        X,
        y,
        models=models,
        out_dir=tmp_path,
        n_repeats=1,
        n_folds=3,
        curve_classes=2,
        progress=False,
    )
    comp = res.comparison
    assert comp.contrast == ("mlp_mse", "mlp_ce")  # "auto": the lecture's question
    assert comp.references == curve_reference(2)[0]
    assert set(comp.loss_references) == {"Bayes-optimal cross-entropy"}
    assert res.summary is comp.summary
    text = res.report_path.read_text(encoding="utf-8")
    assert "## Is mlp_mse different from mlp_ce here?" in text
    none = study.run_study(
        X,
        y,
        models=models,
        out_dir=tmp_path / "b",
        n_repeats=1,
        n_folds=3,
        contrast=None,
        progress=False,
    )
    assert none.comparison.contrast is None and none.comparison.references == {}
    assert "different from" not in none.report_path.read_text(encoding="utf-8")


def test_found_count_only_counts_a_store_of_the_same_splits(tmp_path):
    store = tmp_path / "s.sqlite"
    X, y, _ = load_builtin("iris")
    models = study.build_models(["gaussian_shared"])
    study.run_study(
        X,
        y,
        models=models,
        out_dir=tmp_path,
        store_name="s.sqlite",
        n_repeats=1,
        n_folds=3,
        progress=False,
    )
    assert count_finished(store, models, n_splits=3) == 3
    assert count_finished(store, models, n_splits=2) == 0  # other splits: nothing to reuse


def test_errors_are_worded_in_parameter_names(tmp_path):
    X, y, _ = load_builtin("iris")
    models = study.build_models(["gaussian_shared"])
    kwargs = dict(models=models, n_repeats=1, progress=False)
    with pytest.raises(study.InputError, match="fewer rows") as info:
        study.run_study(X, y, out_dir=tmp_path, n_folds=60, **kwargs)
    assert str(info.value).endswith("; use a smaller n_folds")
    assert info.value.parameter == "n_folds" and "--" not in str(info.value)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(study.InputError, match=r"is a file, not a folder \(give another out_dir"):
        study.run_study(X, y, out_dir=blocker, n_folds=3, **kwargs)
    with pytest.raises(ValueError, match="n_folds must be >= 2, got 1"):
        study.run_study(X, y, out_dir=tmp_path, n_folds=1, **kwargs)
    assert study.StudyInputError is study.InputError  # the old name still catches


def test_refusals_and_failures_propagate(tmp_path):
    X, y, _ = load_builtin("iris")
    models = study.build_models(["gaussian_shared"])
    kwargs = dict(models=models, out_dir=tmp_path, n_repeats=1, progress=False)
    study.run_study(X, y, n_folds=2, **kwargs)
    with pytest.raises(SetupMismatch):
        study.run_study(X, y, n_folds=3, **kwargs)
    X_bad = np.c_[X, np.ones(len(X))]  # a constant feature: the shared covariance is singular
    with pytest.raises(ValueError, match="zero variance") as info:
        study.run_study(
            X_bad, y, models=models, out_dir=tmp_path / "b", n_folds=2, n_repeats=1, progress=False
        )
    assert info.value.clfcompare_model == "gaussian_shared"


def test_ctrl_c_is_a_study_interrupted_with_the_count(tmp_path, monkeypatch):
    from clfcompare.estimators.gaussian import GaussianGenerativeClassifier

    real_fit, calls = GaussianGenerativeClassifier.fit, []

    def fit_then_interrupt(self, X, y):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_fit(self, X, y)

    monkeypatch.setattr(GaussianGenerativeClassifier, "fit", fit_then_interrupt)
    X, y, _ = load_builtin("iris")
    with pytest.raises(study.StudyInterrupted) as info:
        study.run_study(
            X,
            y,
            models=study.build_models(["gaussian_shared"]),
            out_dir=tmp_path,
            n_repeats=2,
            n_folds=2,
            progress=False,
        )
    err = info.value
    assert (err.n_finished, err.n_total) == (2, 4)
    assert err.store == tmp_path / "study.sqlite"
    assert isinstance(err, KeyboardInterrupt)


def test_build_models_order_and_settings():
    models = study.build_models(["logistic_gd", "gaussian_shared"])
    assert list(models) == ["gaussian_shared", "logistic_gd"]  # MODEL_NAMES order
    assert models["gaussian_shared"].covariance == "shared"
    assert type(models["logistic_gd"][-1]).__name__ == "GDLogisticRegression"
    with pytest.raises(ValueError, match="epochs"):
        study.build_models(["gaussian_shared"], epochs=0)
    with pytest.raises(study.StudyInputError, match="listed twice"):
        study.build_models(["gaussian_shared", "gaussian_shared"])
    with pytest.raises(study.InputError, match=r"unknown model\(s\) \['svm'\]"):
        study.build_models(["svm"])


def test_build_models_mlps_follow_the_seed():
    models = study.build_models(["mlp_mse", "mlp_ce"], epochs=7, device="cpu", random_state=3)
    for name, loss in (("mlp_mse", "mse"), ("mlp_ce", "ce")):
        p = models[name].get_params()
        assert p["loss"] == loss
        assert tuple(p["hidden_layer_sizes"]) == (50, 100, 50)
        assert p["batch_size"] == 5
        assert p["max_epochs"] == 7
        assert p["device"] == "cpu"
        assert p["random_state"] == 3


def test_describe_models_names_settings_and_learning_rates():
    desc = study.describe_models(study.build_models(epochs=3, device="cpu"))
    assert list(desc) == list(study.MODEL_NAMES)
    assert "covariance='separate'" in desc["gaussian_separate"]
    assert "max_epochs=3" in desc["mlp_mse"]
    # the lecture's rates: Adam's default 0.001 in Design 1 (MSE), 0.005 in Design 2 (CE)
    assert desc["mlp_mse"].endswith("Adam learning rate 0.001 (the lecture's for this loss)")
    assert desc["mlp_ce"].endswith("Adam learning rate 0.005 (the lecture's for this loss)")


def test_summarise_warnings_groups_by_message_without_numbers():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for g in (1e-5, 2.5e-4, 3e-3):
            warnings.warn(f"stopped on max_iter=100 (gradient {g:.3g}).", UserWarning, 1)
        warnings.warn("something else", RuntimeWarning, 1)
    notes = study.summarise_warnings(caught)
    assert notes == [
        "UserWarning (3 times during the trials), e.g.: stopped on max_iter=100 (gradient 1e-05).",
        "RuntimeWarning (1 time during the trials), e.g.: something else",
    ]


def test_run_study_closes_only_its_own_figures(tmp_path, monkeypatch):
    # run_study closed *all* figures (the caller's too) on success, and left its own open
    # when the report failed: a long session then hit matplotlib's "too many figures" warning
    import matplotlib.pyplot as plt

    from clfcompare import report

    X, y, _ = load_builtin("curve2")
    models = study.build_models(["gaussian_shared"])
    mine = plt.figure()
    kwargs = dict(models=models, n_repeats=1, n_folds=2, progress=False)
    study.run_study(X, y, out_dir=tmp_path / "ok", **kwargs)
    assert plt.get_fignums() == [mine.number]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "write_report", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        study.run_study(X, y, out_dir=tmp_path / "broken", **kwargs)
    assert plt.get_fignums() == [mine.number]
    plt.close(mine)
