"""Tests for clfcompare.report: the markdown report holds the right tables and numbers."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from _report_data import (  # tests/ on sys.path
    _with_flat_curve,
    _with_score,
    make_results,
    run_small,
)

from clfcompare import report
from clfcompare.analysis import analyse, find_contrast
from clfcompare.datasets import curve_loss_reference
from clfcompare.stats import compare, simultaneous_comparisons


def write(
    res,
    out,
    *,
    metric="accuracy",
    alpha=0.05,
    rope=0.01,
    contrast="lecture",
    references=None,
    loss_references=None,
    **kwargs,
):
    """analyse(res) then write_report: the lecture's MSE/CE pair is the contrast unless said."""
    if contrast == "lecture":
        contrast = find_contrast(res.models, ("mse", "ce"))
    comp = analyse(
        res,
        metric=metric,
        alpha=alpha,
        rope=rope,
        contrast=contrast,
        references=references,
        loss_references=loss_references,
    )
    return report.write_report(comp, out, **kwargs)


def md_tables(text):
    """Every markdown table of ``text`` as a list of DataFrames of strings."""
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([c.strip() for c in line.strip().strip("|").split(" | ")])
        elif block:
            tables.append(pd.DataFrame(block[2:], columns=block[0]))
            block = []
    return tables


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- pieces


def test_markdown_table_formats_cells():
    df = pd.DataFrame(
        {"name": ["a|b", "c"], "x": [0.123456, np.nan], "n": [3, 4], "ok": [True, False]}
    )
    text = report.markdown_table(df, index=False, digits=2)
    assert text.splitlines() == [
        "| name | x | n | ok |",
        "| --- | --- | --- | --- |",
        "| a\\|b | 0.12 | 3 | yes |",
        "| c | – | 4 | no |",
    ]
    assert report.markdown_table(pd.DataFrame({"x": [1e-7]}), index=False).endswith("1.00e-07 |")
    with pytest.raises(TypeError, match="DataFrame"):
        report.markdown_table([[1, 2]])


def test_contrast_paragraph_says_yes_for_a_clear_difference():
    res = make_results()
    row = report.pair_row(compare(res), "mlp_mse", "mlp_ce")
    assert row["pvalue_adjusted"] < 0.05  # the set-up: CE is 0.05 better on every split
    text = report.contrast_paragraph(analyse(res), "mlp_mse", "mlp_ce")
    # not the pre-specified contrast: judged by its adjusted p-value
    assert f"exploratory, Holm-adjusted over the 3 pairs: p = {row['pvalue_adjusted']:.3g}" in text
    text = report.contrast_paragraph(
        analyse(res, contrast=("mlp_mse", "mlp_ce")), "mlp_mse", "mlp_ce"
    )
    assert "**Yes.**" in text
    assert "mlp_ce is more accurate than mlp_mse" in text
    assert f"{row['mean_difference']:+.3f}" in text
    # the pre-specified contrast: its unadjusted p-value decides
    assert f"p = {row['pvalue']:.3g} (the pre-specified contrast, tested on its own" in text
    assert f"P(mlp_ce better) = {row['prob_b_better']:.3f}" in text


def test_contrast_paragraph_says_no_for_equal_models():
    res = make_results({"gauss": 0.0, "mlp_mse": 0.0, "mlp_ce": 0.0}, seed=3)
    row = report.pair_row(compare(res), "mlp_mse", "mlp_ce")
    assert row["pvalue_adjusted"] >= 0.05
    text = report.contrast_paragraph(analyse(res), "mlp_mse", "mlp_ce")
    assert "**No significant difference.**" in text
    assert "**Yes.**" not in text


def test_describe_machine_and_versions():
    info = report.describe_machine(device="cpu")
    assert info["device requested"] == "cpu"
    assert info["cpu cores (os.cpu_count)"] >= 1
    versions = report.library_versions()
    import numpy
    import sklearn

    assert versions["numpy"] == numpy.__version__
    assert versions["scikit-learn"] == sklearn.__version__
    assert report.library_versions(["no-such-package-xyz"])["no-such-package-xyz"] == (
        "not installed"
    )


# --------------------------------------------------------------------------- write_report


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    res = make_results()
    out = tmp_path_factory.mktemp("report")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = write(
        res,
        out,
        title="HW4 test study",
        data_description="4-class curve data",
        models_description={"gauss": "Gaussian, shared", "mlp_mse": "MLP, MSE loss"},
        machine_info={"host": "test-box", "device": "cpu"},
        timings={"trials": 12.5, "figures": 1.25},
        figures={"The curve data": fig},
        references={"Bayes-optimal accuracy": 0.625},
    )
    return res, out, path, path.read_text(encoding="utf-8")


def test_report_files(written):
    _, out, path, _ = written
    assert path == out / "report.md"
    for name in ("scores_box", "simultaneous_intervals", "loss_curves", "the_curve_data"):
        png = out / f"{name}.png"
        assert png.is_file()
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_sections(written):
    _, _, _, text = written
    assert text.startswith("# HW4 test study\n")
    for heading in (
        "## Data",
        "## Models and settings",
        "## Design",
        "## Test accuracy per model",
        "## Pairwise comparisons",
        "## Several models at once",
        "## Is mlp_mse different from mlp_ce here?",
        "## Figures",
        "## Machine",
        "## Versions",
        "## Timings",
    ):
        assert heading in text
    assert "4-class curve data" in text
    assert "20 train/test splits (4 repeat(s) × 5 fold(s))" in text
    for png in ("scores_box.png", "simultaneous_intervals.png", "loss_curves.png"):
        assert f"]({png})" in text
    # one data set: no rank test, no critical-difference diagram (issue 11)
    for word in ("Friedman", "Nemenyi", "critical_difference.png", "average rank"):
        assert word not in text


def test_report_summary_table_numbers(written):
    res, _, _, text = written
    tables = md_tables(text)
    summary = next(t for t in tables if "mean ± sd accuracy" in t.columns)
    assert list(summary["model"]) == list(res.models)
    for _, row in summary.iterrows():
        acc = res.scores.loc[res.scores.model == row["model"], "accuracy"].to_numpy()
        assert row["mean ± sd accuracy"] == f"{acc.mean():.3f} ± {acc.std(ddof=1):.3f}"
        assert row["n_trials"] == "20"
        # fit times in milliseconds, one format for every model
        fit = res.scores.loc[res.scores.model == row["model"], "fit_time"].mean()
        assert row["fit ms/trial"] == f"{1e3 * fit:.1f}"
    other = next(t for t in tables if "balanced_accuracy" in t.columns)
    bal = res.scores.loc[res.scores.model == "gauss", "balanced_accuracy"].to_numpy()
    assert other.loc[0, "balanced_accuracy"] == f"{bal.mean():.3f} ± {bal.std(ddof=1):.3f}"


def test_report_reference_under_the_table(written):
    res, _, _, text = written
    best = report.summary_table(res)["mean"]
    section = text.split("## Test accuracy per model", 1)[1].split("## Pairwise", 1)[0]
    assert (
        "Reference: Bayes-optimal accuracy = 0.625 (the dashed line in the box plot). Best "
        f"mean: {best.idxmax()} at {best.max():.3f} ({best.max() - 0.625:+.3f})."
    ) in section


def test_report_box_plot_draws_the_reference(tmp_path, monkeypatch):
    from clfcompare import plots

    seen = {}
    original = plots.plot_scores_box

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(plots, "plot_scores_box", spy)
    write(make_results(), tmp_path, references={"ceiling": 0.7})
    assert seen["references"] == {"ceiling": 0.7}
    with pytest.raises(TypeError, match="references must be a mapping"):
        write(make_results(), tmp_path, references=0.7)


def test_report_pairwise_table_is_compares(written):
    res, _, _, text = written
    expected = compare(res)
    table = next(t for t in md_tables(text) if "p (Holm)" in t.columns)
    assert len(table) == 3  # every pair of 3 models
    for (_, got), (_, ref) in zip(table.iterrows(), expected.iterrows(), strict=True):
        assert (got["A"], got["B"]) == (ref.model_a, ref.model_b)
        assert got["mean A − B"] == f"{ref.mean_difference:+.3f}"
        assert got["t"] == f"{ref.statistic:.2f}"
        assert got["p"] == f"{ref.pvalue:.3g}"
        assert got["p (Holm)"] == f"{ref.pvalue_adjusted:.3g}"
        assert got["P(A better)"] == f"{ref.prob_a_better:.3f}"
        assert got["P(B better)"] == f"{ref.prob_b_better:.3f}"
        contrast = (ref.model_a, ref.model_b) == ("mlp_mse", "mlp_ce")
        assert got["role"] == ("pre-specified" if contrast else "exploratory")
        if contrast:  # judged by its unadjusted p-value
            assert got["verdict"] == ref.verdict.replace(
                f"p_adj={ref.pvalue_adjusted:.3g}", f"p={ref.pvalue:.3g}"
            )
            assert got["significant at 0.05"] == ("yes" if ref.pvalue < 0.05 else "no")
        else:
            assert got["verdict"] == ref.verdict
            assert got["significant at 0.05"] == ("yes" if ref.significant else "no")
    assert "Which test holds: Under an exact null at α = 0.05 the corrected t-test" in text


def test_report_simultaneous_intervals(written):
    res, _, _, text = written
    sim = simultaneous_comparisons(res, confidence_level=0.95)
    section = text.split("## Several models at once", 1)[1].split("\n## ", 1)[0]
    assert f"critical value {sim.critical_value:.3f}" in section
    assert "all 3 pairs (Tukey-style)" in section
    table = next(t for t in md_tables(section) if "simultaneous 95% interval" in t.columns)
    for (_, got), (_, ref) in zip(table.iterrows(), sim.table.iterrows(), strict=True):
        assert (got["A"], got["B"]) == (ref.model_a, ref.model_b)
        assert got["simultaneous 95% interval"] == f"{ref.ci_low:+.3f} to {ref.ci_high:+.3f}"
        assert got["p (max-\\|t\\|)"] == f"{ref.pvalue_adjusted:.3g}"  # "|" escaped
        assert got["excludes 0"] == ("yes" if ref.ci_low > 0 or ref.ci_high < 0 else "no")


def test_report_machine_and_timings(written):
    _, _, _, text = written
    tables = md_tables(text)
    machine = next(t for t in tables if list(t.columns) == ["field", "value"])
    assert dict(zip(machine["field"], machine["value"], strict=True)) == {
        "host": "test-box",
        "device": "cpu",
    }
    timings = next(t for t in tables if list(t.columns) == ["phase", "seconds"])
    got = dict(zip(timings["phase"], timings["seconds"], strict=True))
    assert got["trials"] == "12.500"
    assert got["figures"] == "1.250"
    assert got["sum of per-trial fit times"] == f"{3 * sum(0.5 + 0.01 * s for s in range(20)):.3f}"
    versions = next(t for t in tables if list(t.columns) == ["library", "version"])
    assert {"python", "numpy", "torch", "scikit-learn"} <= set(versions["library"])


def test_report_two_models_without_curves(tmp_path):
    res = make_results({"a": 0.0, "b": 0.02}, with_curves=False)
    path = write(res, tmp_path, contrast=("b", "a"))
    text = path.read_text(encoding="utf-8")
    assert "## Pairwise comparisons" in text
    assert "## Several models at once" not in text  # one pair: its test is the answer
    assert "## Is b different from a here?" in text
    assert not (tmp_path / "simultaneous_intervals.png").exists()
    assert not (tmp_path / "loss_curves.png").exists()
    assert (tmp_path / "scores_box.png").exists()


def test_report_contrast_none_and_no_figures(tmp_path):
    res = make_results()
    path = write(res, tmp_path, contrast=None, standard_figures=False)
    text = path.read_text(encoding="utf-8")
    assert "different from" not in text
    assert "## Figures" not in text
    # no figure files; the HTML and the LaTeX tables beside the markdown (by default)
    written = sorted(p.name for p in Path(tmp_path).iterdir())
    assert written == ["report.html", "report.md", "report_tables.tex"]


def test_write_report_rejects_non_results(tmp_path):
    # the report reads a Comparison; a TrialResults must go through analyse() first
    with pytest.raises(TypeError, match=r"needs a Comparison .*analyse\(results\), got TrialR"):
        report.write_report(make_results(), tmp_path)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"figures": ["x"]}, TypeError, "figures must be a mapping"),
        ({"figures": {"bad": 3}}, TypeError, "not a matplotlib Figure"),
        ({"reference_notes": ["x"]}, TypeError, "reference_notes must be a mapping"),
        ({"standard_figures": 1}, TypeError, "standard_figures must be True or False"),
    ],
)
def test_write_report_validates(tmp_path, kwargs, err, match):
    with pytest.raises(err, match=match):
        write(make_results(), tmp_path, **{"standard_figures": False, **kwargs})


def test_report_notes_stalled_trials(tmp_path):
    res = _with_flat_curve(make_results())
    text = write(res, tmp_path, standard_figures=False, notes=["a note of mine"]).read_text(
        encoding="utf-8"
    )
    section = text.split("## Notes and warnings", 1)[1].split("## Machine", 1)[0]
    assert "- mlp_ce: 1 of 20 trials did not train" in section
    assert "splits 3," in section
    assert "- a note of mine" in section
    # the answer to "is MSE different from CE?" warns about them where it is read
    answer = text.split("different from mlp_ce here?", 1)[1].split("## ", 1)[0]
    acc = res.scores.loc[(res.scores.model == "mlp_ce") & (res.scores.split == 3), "accuracy"]
    assert (
        f"Beware: 1 of the 20 mlp_ce trials never trained (training loss flat at its "
        f"first-epoch value; test accuracy {acc.iloc[0]:.3f})"
    ) in answer
    clean = write(make_results(), tmp_path, standard_figures=False)
    assert "Beware" not in clean.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- review fixes


def test_figure_captions_with_the_same_file_name_keep_both(tmp_path):
    # "The data" and "the data!" (and a caption "Scores box" against the standard box plot)
    # mapped to one PNG name: the later figure overwrote the earlier, one image was lost
    figs = {}
    for caption in ("The data", "the data!", "Scores box"):
        fig, ax = plt.subplots()
        ax.set_title(caption)
        figs[caption] = fig
    path = write(make_results(), tmp_path, figures=figs)
    text = path.read_text(encoding="utf-8")
    images = [ln.split("](")[1].rstrip(")") for ln in text.splitlines() if ln.startswith("![")]
    assert len(images) == len(set(images)) == 3 + 3  # box, CD, loss curves + the three given
    assert all((tmp_path / name).is_file() for name in images)
    assert "![Scores box](scores_box_2.png)" in text


@pytest.mark.parametrize(
    "metric, words",
    [
        ("accuracy", "mlp_ce is more accurate than mlp_mse"),
        ("balanced_accuracy", "mlp_ce scores a higher balanced_accuracy than mlp_mse"),
        ("f1_macro", "mlp_ce scores a higher f1_macro than mlp_mse"),
        # sklearn's neg_ scorers are higher-is-better: the higher neg_log_loss is the lower loss
        ("neg_log_loss", "mlp_ce has the lower log_loss (higher neg_log_loss) than mlp_mse"),
    ],
)
def test_contrast_paragraph_words_follow_the_metric(metric, words):
    # "more accurate" was said for every metric, e.g. for a log loss
    res = make_results()
    if metric not in res.scoring:
        # a score that orders the models as accuracy does (mlp_ce best by the set-up)
        shift = -1.0 if metric.startswith("neg_") else -0.05
        res = _with_score(res, metric, res.scores["accuracy"] + shift)
    text = report.contrast_paragraph(analyse(res, metric=metric), "mlp_mse", "mlp_ce")
    assert "**Yes.**" in text
    assert words in text
    if metric != "accuracy":
        assert "more accurate" not in text


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda r, d: write(r, d, alpha="x"), TypeError, r"alpha .*got str 'x'"),
        (lambda r, d: write(r, d, alpha=None), TypeError, "alpha .*NoneType"),
        (lambda r, d: write(r, d, alpha=True), TypeError, "alpha .*bool"),
        (lambda r, d: write(r, d, alpha=np.nan), ValueError, r"alpha must .*\(0, 1"),
        (lambda r, d: write(r, d, rope="x"), TypeError, "rope .*got str"),
        (lambda r, d: write(r, d, rope=-0.1), ValueError, "rope must .*-0.1"),
        (
            lambda r, d: write(r, d, timings={"trials": "x"}),
            TypeError,
            r"timings\['trials'\] .*got str 'x'",
        ),
        (lambda r, d: report.markdown_table(r.scores, digits="x"), TypeError, "digits .*str"),
        (lambda r, d: report.markdown_table(r.scores, digits=2.5), TypeError, "digits .*2.5"),
        (lambda r, d: report.markdown_table(r.scores, digits=-1), ValueError, "digits .*-1"),
        (lambda r, d: report.stalled_trials(r, rel_tol="x"), TypeError, "rel_tol .*str"),
        (lambda r, d: report.stalled_trials(r, rel_tol=1.5), ValueError, r"rel_tol .*\[0, 1"),
    ],
)
def test_numeric_arguments_are_named_when_bad(tmp_path, call, err, match):
    # alpha="x" failed in a bare float() ("could not convert string to float"), digits="x"
    # in a format spec, rel_tol="x" passed silently: the message must name the argument
    with pytest.raises(err, match=match):
        call(make_results(), tmp_path)


def test_markdown_table_keeps_newlines_and_pipes_inside_cells():
    # a newline in a cell or a header ended the table row in the middle: the table broke
    df = pd.DataFrame({"model": ["a\nb", "c|d", "e\r\nf"], "x\ny": [1.0, 2.0, 3.0]})
    text = report.markdown_table(df.set_index("model"))
    lines = text.splitlines()
    assert len(lines) == 2 + 3
    assert lines[0] == "| model | x<br>y |"
    assert lines[2:] == ["| a<br>b | 1.000 |", "| c\\|d | 2.000 |", "| e<br>f | 3.000 |"]


def test_report_headings_stay_on_one_line(tmp_path):
    # a caption or model name with a newline split its heading, the rest became a paragraph
    res = make_results({"mlp\nmse": 0.0, "mlp|ce": 0.05})
    fig, _ = plt.subplots()
    text = write(
        res, tmp_path, title="My\nstudy", figures={"The data\nraw": fig}, standard_figures=False
    ).read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# My study"
    assert "## Is mlp mse different from mlp\\|ce here?" in lines  # | escaped (issue 14)
    assert "### The data raw" in lines
    assert "![The data raw](the_data_raw.png)" in lines
    # the score table has a row per model: the newline did not split a row
    table = md_tables(text)[0]
    assert list(table["model"]) == ["mlp<br>mse", "mlp\\|ce"]


# --------------------------------------------------------------------------- the answer up front


def _section(text, heading):
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def test_report_answers_the_question_first(written):
    res, _, _, text = written
    # the answer comes right after the title, before the data and the tables
    assert text.index("## In short") < text.index("## Data")
    answer = _section(text, "## In short")
    summary = report.summary_table(res)
    row = report.pair_row(compare(res), "mlp_mse", "mlp_ce")
    for m in ("mlp_mse", "mlp_ce"):
        assert f"**{m}** {summary.loc[m, 'mean']:.3f} ± {summary.loc[m, 'sd']:.3f}" in answer
    # the pre-specified contrast: unadjusted, the others exploratory
    assert (
        f"t = {row['statistic']:.2f}, p = {row['pvalue']:.3g} (the pre-specified contrast, "
        "tested on its own: unadjusted)"
    ) in answer
    assert "Holm-adjusted over the 3 pairs: p =" not in answer
    assert "The other 2 pairs are exploratory: judged by p-values adjusted" in answer
    assert f"P(mlp_mse better) = {row['prob_a_better']:.3f}" in answer
    assert f"P(practically equivalent) = {row['prob_equivalent']:.3f}" in answer
    assert "mlp_ce is more accurate than mlp_mse" in answer  # the set-up: CE 0.05 better
    # against the best model (mlp_ce itself here) and the Bayes-optimal accuracy 0.625
    best = summary["mean"].idxmax()
    assert f"best model is **{best}**" in answer
    gap = summary.loc["mlp_mse", "mean"] - 0.625
    assert f"Bayes-optimal accuracy 0.625: mlp_mse {gap:+.3f}" in answer


def test_report_answer_without_a_contrast_names_the_best_and_runner_up(tmp_path):
    res = make_results({"a": 0.0, "b": 0.05, "c": 0.1}, with_curves=False)
    text = write(res, tmp_path, standard_figures=False).read_text("utf-8")
    answer = _section(text, "## In short")
    row = report.pair_row(compare(res), "c", "b")
    assert "best model is **c**" in answer and "runner-up **b**" in answer
    assert f"exploratory, Holm-adjusted over the 3 pairs: p = {row['pvalue_adjusted']:.3g}" in (
        answer
    )
    assert "a pair chosen from the data, so exploratory" in answer
    # one model: nothing to compare, no section
    one = make_results({"a": 0.0}, with_curves=False)
    text = write(one, tmp_path, standard_figures=False).read_text("utf-8")
    assert "## In short" not in text


def test_not_significant_is_not_equal():
    res = make_results({"gauss": 0.0, "mlp_mse": 0.0, "mlp_ce": 0.0}, seed=3)
    row = report.pair_row(compare(res), "mlp_mse", "mlp_ce")
    text = report.contrast_paragraph(analyse(res), "mlp_mse", "mlp_ce")
    assert "not evidence that they are equal" in text
    assert f"{row['ci_low']:+.3f} to {row['ci_high']:+.3f}" in text
    assert f"P(practically equivalent) = {row['prob_equivalent']:.3f}" in text
    clear = report.contrast_paragraph(analyse(make_results()), "mlp_mse", "mlp_ce")
    assert "not evidence that they are equal" not in clear


def test_report_recomputes_the_contrast_without_stalled_splits(tmp_path):
    from scipy import stats as sps

    res = _with_flat_curve(make_results(), split=3)
    text = write(res, tmp_path, standard_figures=False).read_text("utf-8")
    table = res.score_table("accuracy").drop(index=3)
    d = (table["mlp_mse"] - table["mlp_ce"]).to_numpy()
    # Nadeau-Bengio by hand (scipy's t distribution): 19 splits, n_test/n_train = 64/256
    t = d.mean() / np.sqrt((1 / d.size + 64 / 256) * d.var(ddof=1))
    p = 2 * sps.t.sf(abs(t), d.size - 1)
    want = (
        f"Without the 1 stalled trial (split 3; dropped for both models, 19 paired splits "
        f"left): mlp_mse {table['mlp_mse'].mean():.3f} vs mlp_ce {table['mlp_ce'].mean():.3f}, "
        f"corrected t-test p = {p:.3g}"
    )
    # computed once: in full in the answer, the contrast section points there
    answer = _section(text, "## In short")
    assert answer.count(want) == 1
    assert "approximation" in answer
    contrast = _section(text, "different from mlp_ce here?")
    assert "Beware: 1 of the 20 mlp_ce trials never trained" in contrast
    assert "without the stalled splits (a sensitivity check) is in [In short]" in contrast
    assert want not in contrast
    assert text.count("Without the 1 stalled trial") == 1
    clean = write(make_results(), tmp_path, standard_figures=False)
    assert "Without the" not in clean.read_text("utf-8")


def test_report_states_a_loss_reference_by_the_loss_curves(tmp_path):
    # the report knows nothing of curve data: the study passes the value (analyse) and what
    # it means (write_report's reference_notes), both from clfcompare.datasets
    res = make_results()
    refs, sentence = curve_loss_reference(4)
    text = write(
        res,
        tmp_path,
        loss_references=refs,
        reference_notes={"Bayes-optimal cross-entropy": sentence},
    ).read_text("utf-8")
    figure = _section(text, "### Training loss per epoch")
    assert f"≈ {0.75 * np.log(2):.3f} nats" in figure  # (K - 1)/K ln 2 for K = 4
    generic = write(res, tmp_path, loss_references={"floor": 0.25}).read_text("utf-8")
    figure = _section(generic, "### Training loss per epoch")
    assert "Reference for the training loss: floor = 0.250." in figure
    plain = write(res, tmp_path).read_text("utf-8")
    assert "nats" not in plain and "Reference for the training loss" not in plain


# --------------------------------------------------------------------------- layer rules


def test_report_never_imports_stats():
    # the report reads a Comparison; it runs no test (statically: no import of clfcompare.stats
    # in any of its files; and importing it loads no test code)
    import ast
    import subprocess
    import sys

    folder = Path(report.__file__).parent
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            bad = [n for n in names if n.startswith("clfcompare.stats")]
            bad += [n for n in names if n == "clfcompare" and "stats" in str(ast.dump(node))]
            assert not bad, f"{path.name} imports {bad}"
    code = (
        "import sys, clfcompare.report; "
        "print(any(m.startswith('clfcompare.stats') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- issue 11


@pytest.fixture(scope="module")
def halves_report(tmp_path_factory):
    res = run_small()
    out = tmp_path_factory.mktemp("halves")
    comp = analyse(res, contrast=("nb", "tree"), stable=["nb"])
    path = report.write_report(comp, out, standard_figures=False)
    return res, comp, path.read_text(encoding="utf-8")


def test_report_shows_the_default_test_and_the_corrected_t(halves_report):
    res, comp, text = halves_report
    z = compare(res)
    t = compare(res, test="corrected_ttest")
    pairwise = _section(text, "## Pairwise comparisons")
    assert "the conservative Z test (Nadeau–Bengio, half/half partitions), two-sided" in pairwise
    tables = md_tables(pairwise)
    main, corrected = tables[0], tables[1]
    assert list(main["Z"]) == [f"{v:.2f}" for v in z["statistic"]]
    assert list(main["p"]) == [f"{v:.3g}" for v in z["pvalue"]]
    assert list(corrected["t"]) == [f"{v:.2f}" for v in t["statistic"]]
    assert list(corrected["p"]) == [f"{v:.3g}" for v in t["pvalue"]]
    assert list(corrected["p (Holm)"]) == [f"{v:.3g}" for v in t["pvalue_adjusted"]]
    # which test holds for which learner, with the calibration's numbers (the README's table)
    assert "rejected 0.041 of the time for a stable learner" in pairwise
    assert "but 0.072 and 0.119 for unstable ones (a fully grown tree, 1-NN)" in pairwise
    assert "the conservative Z rejected 0.019, 0.008 and 0.016" in pairwise
    assert "Stable learners here: nb; not stable: tree, stump." in pairwise
    answer = _section(text, "## In short")
    row_t = report.pair_row(t, "nb", "tree")
    assert f"t = {row_t['statistic']:.2f}, p = {row_t['pvalue']:.3g} (unadjusted)" in answer
    assert "tree is not a stable learner" in answer and "the conservative Z decides" in answer
    design = _section(text, "## Design")
    assert "12 train/test splits (3 repeat(s) × 4 fold(s))" in design
    assert "4 random half/half partitions of the rows with a 2-fold CV inside each half" in design
    assert "(16 more splits per model; 40 training and 40 test rows each)" in design


def test_report_states_the_tost_beside_the_rope(halves_report):
    _, comp, text = halves_report
    eq, ec = comp.equivalence, comp.equivalence_corrected
    answer = _section(text, "## In short")
    assert (
        "Equivalence test (TOST, two one-sided tests with margin ±0.01, the ROPE; conservative "
        f"variance): p = {eq.pvalue:.3g}; the 90% CI of nb − tree, {eq.ci_low:+.3f} to "
        f"{eq.ci_high:+.3f}, {'lies inside' if eq.equivalent else 'does not lie inside'} ±0.01"
    ) in answer
    assert f"With the corrected variance (stable learners only): p = {ec.pvalue:.3g}" in answer
    assert "Bayesian correlated t-test (region of practical equivalence, ROPE, ±0.01)" in answer


def test_report_tost_says_equivalent_when_it_is(tmp_path):
    # two models within 0.001 of each other on every split: TOST shows equivalence at 0.02
    res = make_results({"a": 0.0, "b": 0.001}, with_curves=False)
    comp = analyse(res, contrast=("a", "b"), rope=0.02)
    assert comp.equivalence.equivalent
    text = report.write_report(comp, tmp_path, standard_figures=False).read_text("utf-8")
    assert "lies inside ±0.02: equivalent within ±0.02 at α = 0.05." in text


def test_report_splits_the_variance_into_data_split_and_initialisation(tmp_path):
    res = run_small(halves=False, n_seeds=3)
    comp = analyse(res, contrast=("tree", "stump"))
    vc = comp.variance_components
    text = report.write_report(comp, tmp_path, standard_figures=False).read_text("utf-8")
    section = _section(text, "## Data split vs initialisation")
    assert "the same 3 seeds (a crossed split × seed design" in section
    design = _section(text, "## Design")
    assert design.strip().startswith("12 train/test splits (3 repeat(s) × 4 fold(s))")
    assert "fitted 3 times with different seeds (seed k the same on every split" in design
    table = md_tables(section)[0].set_index("model")
    for m in ("nb", "tree", "stump"):
        assert table.loc[m, "sd from the data split"] == f"{np.sqrt(vc.loc[m, 'split']):.4f}"
        assert table.loc[m, "sd from the seed"] == f"{np.sqrt(vc.loc[m, 'seed']):.4f}"
        assert table.loc[m, "sd split × seed"] == f"{np.sqrt(vc.loc[m, 'residual']):.4f}"
    share = vc.loc["tree", "split_share"]
    answer = _section(text, "## In short")
    assert f"tree {100 * share:.0f}% data split, {100 * (1 - share):.0f}% initialisation" in (
        answer
    )
    # one seed per split: no such section
    plain = report.write_report(analyse(make_results()), tmp_path / "b", standard_figures=False)
    assert "## Data split vs initialisation" not in plain.read_text("utf-8")


# --------------------------------------------------------------------------- symbolic links


def outside_victim(tmp_path):
    """A file outside the output folder that a link will point to, and its content."""
    victim = tmp_path / "outside" / "victim.txt"
    victim.parent.mkdir()
    victim.write_bytes(b"not yours")
    return victim


@pytest.mark.parametrize("name", ["report.md", "scores_box.png", "simultaneous_intervals.png"])
@pytest.mark.parametrize("dangling", [False, True])
def test_write_report_refuses_a_symlink_in_the_output_folder(tmp_path, name, dangling):
    # issue 14 item 8: a link planted under a name the report writes is not followed
    from clfcompare._checks import InputError

    victim = outside_victim(tmp_path)
    target = tmp_path / "outside" / "new.txt" if dangling else victim
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(target)
    res = make_results({"mlp_mse": 0.0, "mlp_ce": 0.05, "gauss": 0.02})
    with pytest.raises(InputError) as info:
        write(res, out)
    assert str(out / name) in str(info.value) and "symbolic link" in str(info.value)
    assert victim.read_bytes() == b"not yours"
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["victim.txt"]
    assert sorted(p.name for p in out.iterdir()) == [name]  # refused before writing anything
    assert (out / name).is_symlink()


def test_open_new_does_not_follow_a_link_made_after_the_check(tmp_path):
    from clfcompare._checks import InputError

    victim = outside_victim(tmp_path)
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    for mode in ("w", "wb"):
        with pytest.raises(InputError, match="symbolic link"):
            report.open_new(link, mode)
    assert victim.read_bytes() == b"not yours"
    with report.open_new(tmp_path / "plain.md") as fh:
        fh.write("ok")
    assert (tmp_path / "plain.md").read_text() == "ok"
    report.check_no_links(tmp_path, ["plain.md", "missing.md"])  # no link: no error


def test_the_reports_calibration_numbers_are_the_readmes_table():
    """The report cites the README's "Which test to use when" for its Type I errors: the
    numbers it prints are that table's (nearest mean = stable; tree, 1-NN = unstable)."""
    from clfcompare.report.prose import CALIBRATION

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Which test to use when", 1)[1].split("Power at", 1)[0]
    rates = {}
    for learner in ("nearest mean (stable)", "fully grown tree", "1-NN"):
        row = next(line for line in section.splitlines() if line.startswith(f"| {learner} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        # columns: learner, conservative_z, corrected_ttest, ...; "0.019 [0.012, 0.029]"
        rates[learner] = [float(c.split()[0].strip("*")) for c in cells[1:3]]
    z = [rates[k][0] for k in ("nearest mean (stable)", "fully grown tree", "1-NN")]
    t = [rates[k][1] for k in ("nearest mean (stable)", "fully grown tree", "1-NN")]
    assert [
        CALIBRATION["conservative_z"]["stable"],
        *CALIBRATION["conservative_z"]["unstable"],
    ] == z
    assert [
        CALIBRATION["corrected_ttest"]["stable"],
        *CALIBRATION["corrected_ttest"]["unstable"],
    ] == t


# --------------------------------------------------------------------------- HTML and LaTeX

import base64  # noqa: E402
import re  # noqa: E402
from html.parser import HTMLParser  # noqa: E402

from clfcompare.trials import TrialResults  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """What an HTML file holds: tags, tables (cells per row, the header row first), images,
    the text of every element (decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.tables, self.images, self.text, self.open = [], [], [], [], []
        self.headings = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in ("br", "img", "meta"):
            self.open.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append(0)
        elif tag in ("td", "th"):
            self.tables[-1][-1] += 1
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open[-3:], tag)  # well nested
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.open and re.fullmatch(r"h[1-6]", self.open[-1]):
            self.headings.append(data)


def parse_html(text):
    page = _Page()
    page.feed(text)
    page.close()
    assert page.open == [], page.open
    return page


def md_cell_counts(text):
    """Cells per row of every markdown table of ``text`` (header row first)."""
    tables, block = [], []
    for ln in [*text.splitlines(), ""]:
        if ln.startswith("|"):
            if not re.fullmatch(r"\|( --- \|)+", ln):
                block.append(len(re.findall(r"(?<!\\)\|", ln)) - 1)
        elif block:
            tables.append(block)
            block = []
    return tables


def test_html_report_is_one_self_contained_file(written):
    _, out, path, md = written
    text = (out / "report.html").read_text(encoding="utf-8")
    page = parse_html(text)
    # every table of the markdown, with the same rows and cells per row
    assert page.tables == md_cell_counts(md)
    assert len(page.tables) >= 6
    for rows in page.tables:
        assert len(set(rows)) == 1, rows
    # the figures embedded: as many as report.md links, each decoding to a PNG
    assert len(page.images) == md.count("](") - md.count("](#") == 4
    for img in page.images:
        assert img["src"].startswith("data:image/png;base64,")
        assert base64.b64decode(img["src"].split(",", 1)[1])[:8] == PNG_MAGIC
    # nothing outside it: no stylesheet, script, frame or link to a file
    assert not {"link", "script", "iframe", "object"} & set(page.tags)
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", text)
    # the same headings as the markdown, in order
    md_headings = [re.sub(r"^#+ ", "", ln) for ln in md.splitlines() if ln.startswith("#")]
    assert [h.strip() for h in page.headings] == [h.replace("\\", "") for h in md_headings]
    assert '<h2 id="in-short">' in text or "## In short" not in md  # the anchor links work


HOSTILE = {
    "<script>alert(1)</script>": 0.0,
    "a|b *c* _d_ <i>&amp;": 0.04,
    "mlp_ce\u202e`x`": 0.08,
}


def test_html_and_latex_escape_hostile_names(tmp_path):
    res = make_results(offsets=HOSTILE)
    fig, _ = plt.subplots()
    path = write(
        res,
        tmp_path,
        contrast=None,
        title="<b>T</b> & 50% $x$ #1 {y} ~ ^ \\ | [z]",
        models_description={m: report.escape_markdown(m) for m in HOSTILE},
        data_description=report.escape_markdown("<img src=x onerror=alert(1)> a|b"),
        notes=[report.escape_markdown("**not bold** <script>")],
        figures={"<caption> & \u202e": fig},
        machine_info={"host": "<h>"},
    )
    md = path.read_text(encoding="utf-8")
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    page = parse_html(text)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul",
               "li", "strong", "em", "code", "br", "a", "table", "thead", "tbody", "tr", "th",
               "td", "figure", "img", "figcaption"}  # fmt: skip
    assert set(page.tags) <= allowed, set(page.tags) - allowed
    assert "<script" not in text and "onerror=" not in text.replace("onerror=alert", "")
    assert "\u202e" not in text and "&#x202e;" not in text.lower()
    assert page.tables == md_cell_counts(md) and all(len(set(t)) == 1 for t in page.tables)
    plain = "".join(page.text)
    for name in HOSTILE:  # shown as written (bidi visible), not as markup
        assert name.replace("\u202e", "[U+202E]") in plain, name
    assert "<img src=x onerror=alert(1)> a|b" in plain
    assert "**not bold** <script>" in plain
    assert "<b>T</b> & 50% $x$ #1 {y} ~ ^ \\ | [z]" in plain
    assert page.headings[0] == "<b>T</b> & 50% $x$ #1 {y} ~ ^ \\ | [z]"
    tex = (tmp_path / "report_tables.tex").read_text(encoding="utf-8")
    assert "\u202e" not in tex and "<" not in tex
    # the names as a hand-written reference escapes them
    assert r"\textless{}script\textgreater{}alert(1)\textless{}/script\textgreater{}" in tex
    assert r"a\textbar{}b {*}c{*} \_d\_ \textless{}i\textgreater{}\&amp;" in tex
    assert r"mlp\_ce[U+202E]`x`".replace("[", "{[}").replace("]", "{]}") in tex
    assert_balanced_latex(tex)


def assert_balanced_latex(tex):
    """Braces balanced (escaped ones not counted), every environment closed, every tabular
    row with its header's number of cells."""
    bare = re.sub(r"\\[{}%&$#_]", "", tex)
    depth = 0
    for ch in bare:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    assert tex.count("\\begin{table}") == tex.count("\\end{table}") >= 1
    assert tex.count("\\begin{tabular}") == tex.count("\\end{tabular}") == tex.count("\\toprule")
    assert "%" not in re.sub(r"\\%", "", "\n".join(tex.splitlines()[2:]))  # no comment cut
    for spec, body in re.findall(r"\\begin\{tabular\}\{(\w+)\}\n(.*?)\\bottomrule", tex, re.S):
        rows = [r for r in body.splitlines() if r.endswith("\\\\")]
        assert {len(re.findall(r"(?<!\\)&", r)) + 1 for r in rows} == {len(spec)}, body


def test_latex_tables_are_the_reports_tables(written):
    _, out, _, md = written
    tex = (out / "report_tables.tex").read_text(encoding="utf-8")
    assert_balanced_latex(tex)
    assert tex.count("\\begin{tabular}") == len(md_cell_counts(md))
    assert "\\caption{Test accuracy per model}" in tex
    corrected = "The corrected repeated-CV t-test on the same main splits, for comparison"
    assert ("\\caption{The corrected repeated-CV t-test" in tex) == (corrected in md)
    assert "\\usepackage{booktabs}" in tex.splitlines()[1]


def test_latex_escaping_against_a_hand_written_reference():
    from clfcompare.report.latex import latex_tabular

    got = latex_tabular(["a & b", "n"], [["x_1 % {y} ~ ^ \\ # $", "0.95 ± 0.01"]], caption="c_1")
    assert got.splitlines() == [
        r"\begin{table}[ht]",
        r"\centering",
        r"\caption{c\_1}",
        r"\begin{tabular}{lr}",
        r"\toprule",
        r"a \& b & n \\",
        r"\midrule",
        r"x\_1 \% \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{} \# \$ & "
        r"0.95 \textpm{} 0.01 \\",
        r"\bottomrule",
        r"\end{tabular}",
        r"\end{table}",
    ]
    with pytest.raises(ValueError, match="as many cells as its header"):
        latex_tabular(["a"], [["1", "2"]])


def test_latex_tabular_options_against_a_hand_written_reference():
    # the options the benchmark's latex_table uses: given column spec, bold cells, caption
    # and label below the tabular, ± − × kept as they are
    from clfcompare.report.latex import latex_tabular

    header, rows = ["a", "b ± c"], [["x − y", "1"], ["2_", "3"]]
    got = latex_tabular(
        header, rows, caption="d × e", label="t:1 x", align="cr",
        bold=[[True, False], [False, np.True_]], caption_below=True, symbols=False,
    )  # fmt: skip
    assert got.splitlines() == [
        r"\begin{table}[ht]",
        r"\centering",
        r"\begin{tabular}{cr}",
        r"\toprule",
        r"a & b ± c \\",
        r"\midrule",
        r"\textbf{x − y} & 1 \\",
        r"2\_ & \textbf{3} \\",
        r"\bottomrule",
        r"\end{tabular}",
        r"\caption{d × e}",
        r"\label{t:1x}",
        r"\end{table}",
    ]
    # the defaults: inferred spec (b's cells are all numbers), caption above, symbols as commands
    assert latex_tabular(header, rows, caption="d × e").splitlines()[2:6] == [
        r"\caption{d \texttimes{} e}",
        r"\begin{tabular}{lr}",
        r"\toprule",
        r"a & b \textpm{} c \\",
    ]
    # a table without rows: the given spec is kept, the inferred one is all "l"
    assert r"\begin{tabular}{rl}" in latex_tabular(["x", "y"], [], align="rl")
    assert r"\begin{tabular}{ll}" in latex_tabular(["x", "y"], [])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"align": "lx"}, ValueError, "align must have one letter l, c or r per column"),
        ({"align": "l"}, ValueError, r"per column \(2\)"),
        ({"align": ["l", "r"]}, TypeError, "align must be a string"),
        ({"bold": [[True, False]]}, ValueError, "bold needs one flag per cell"),
        ({"bold": [[True], [False]]}, ValueError, "bold needs one flag per cell"),
    ],
)
def test_latex_tabular_refuses_bad_options(kwargs, error, match):
    from clfcompare.report.latex import latex_tabular

    with pytest.raises(error, match=match):
        latex_tabular(["a", "b"], [["1", "2"], ["3", "4"]], **kwargs)


def test_formats_choose_the_files(tmp_path):
    res = make_results()
    path = write(res, tmp_path / "html", formats=("html",), standard_figures=True)
    assert path.name == "report.html"
    assert sorted(p.name for p in (tmp_path / "html").iterdir()) == ["report.html"]  # no PNG
    assert len(parse_html(path.read_text(encoding="utf-8")).images) == 3
    path = write(res, tmp_path / "md", formats="md", standard_figures=False)
    assert sorted(p.name for p in (tmp_path / "md").iterdir()) == ["report.md"]
    with pytest.raises(ValueError, match="formats must be some of"):
        write(res, tmp_path / "bad", formats=("pdf",))
    with pytest.raises(ValueError, match="formats must be some of"):
        write(res, tmp_path / "bad", formats=())


# --------------------------------------------------------------------------- report items


def _with_accuracy(res, values):
    scores = res.scores.copy()
    scores["accuracy"] = values
    return TrialResults(scores, res.predictions, res.loss_curves, models=res.models,
                        scoring=res.scoring, n_splits=res.n_splits)  # fmt: skip


def test_enough_decimals_for_a_tiny_spread(tmp_path):
    # an AUC of 0.9993 ± 0.0004 printed as 0.999 ± 0.000 (issue 13)
    res = make_results(offsets={"a": 0.0, "b": 0.0}, with_curves=False)
    rng = np.random.default_rng(1)
    values = np.r_[0.9993 + rng.normal(0, 0.0004, 20), 0.9990 + rng.normal(0, 0.0004, 20)]
    res = _with_accuracy(res, np.minimum(values, 1.0))
    text = write(res, tmp_path, contrast=None, standard_figures=False).read_text("utf-8")
    summary = res.scores.groupby("model")["accuracy"].agg(["mean", "std"])
    m, s = summary.loc["a"]
    assert 0.0002 < s < 0.0007
    assert f"| a | {m:.4f} ± {s:.4f} |" in text  # 4 decimals: the sd shows
    assert "± 0.000 " not in text and "± 0.000|" not in text
    # the difference and its interval get the decimals of the interval
    row = next(ln for ln in text.splitlines() if ln.startswith("| a | b |"))
    diff, ci = row.split(" | ")[2:4]
    assert re.fullmatch(r"[+-]0\.\d{4,}", diff), diff
    assert re.fullmatch(r"[+-]0\.\d{4,} to [+-]0\.\d{4,}", ci), ci
    # and a usual spread keeps 3 decimals
    assert report.markdown.mean_sd(0.95, 0.02) == "0.950 ± 0.020"


def _paragraphs(text):
    return [
        b.strip()
        for b in text.split("\n\n")
        if b.strip()
        and not b.lstrip().startswith(("|", "#", "!["))
        and b.strip() != "_Not described._"  # the placeholder of a missing description
    ]


@pytest.mark.parametrize("contrast", ["lecture", None])
def test_no_paragraph_twice(tmp_path, contrast):
    text = write(make_results(), tmp_path, contrast=contrast).read_text("utf-8")
    paragraphs = _paragraphs(text)
    assert len(paragraphs) > 5
    assert len(set(paragraphs)) == len(paragraphs), [p for p in paragraphs
                                                     if paragraphs.count(p) > 1]  # fmt: skip
    bullets = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert len(set(bullets)) == len(bullets)


def test_no_timing_row_for_a_step_that_did_not_run(tmp_path):
    # the report lists the phases it is given and the sum of the fit times, nothing more
    text = write(make_results(), tmp_path, timings={"trials": 2.5}).read_text("utf-8")
    rows = text.split("## Timings", 1)[1].strip().splitlines()[2:]
    assert [r.split(" | ")[0] for r in rows] == ["| trials", "| sum of per-trial fit times"]
