"""Tests of the analysis scripts' command lines and figures (analyses/*.py), on tiny settings.

The scripts are loaded from their files (``analyses/`` is not a package). Nothing here times
anything or trains for more than a few epochs.
"""

import numpy as np
import pytest
from _scripts import load_script  # tests/ is on sys.path (no __init__.py)


def last_error_line(capsys):
    """The one error line a refused command line ends with (argparse prints usage first)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing on stderr"
    assert all("Traceback" not in line for line in err)
    return err[-1]


# --------------------------------------------------------------------------- bench_training


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_training")


def test_bench_defaults_unchanged(bench):
    # the README's table was measured with these defaults
    args = bench.parse_args([])
    assert (args.epochs, args.slow_epochs, args.models, args.threads) == (499, 20, [1, 10, 100], 1)


@pytest.mark.parametrize(
    "models, expected",
    [(["1,10,100"], [1, 10, 100]), (["1", "10"], [1, 10]), (["1,10", "100"], [1, 10, 100])],
)
def test_bench_models_comma_or_space_separated(bench, models, expected):
    assert bench.parse_args(["--device", "cpu", "--models", *models]).models == expected


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--models", "0"], "--models must be positive integers"),
        (["--models", "-2"], "--models must be positive integers"),
        (["--models", "1,x"], "got '1,x'"),
        (["--models", ","], "--models must be positive integers"),
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--epochs", "-3"], "--epochs must be at least 1, got -3"),
        (["--slow-epochs", "0"], "--slow-epochs must be at least 1, got 0"),
        (["--threads", "0"], "--threads must be at least 1, got 0"),
    ],
)
def test_bench_bad_arguments_one_line_before_timing(bench, argv, match, capsys, monkeypatch):
    # refused before anything is timed: a timing function that runs fails the test
    def not_called(*args, **kwargs):
        raise AssertionError("a contender was timed before the arguments were checked")

    for name in ("time_seed_loop", "time_sklearn", "time_engine"):
        monkeypatch.setattr(bench, name, not_called)
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cpu", "--epochs", "2", "--slow-epochs", "1", *argv])
    assert exc.value.code == 2
    line = last_error_line(capsys)
    assert "error: " in line and match in line


def test_bench_cuda_without_cuda_is_one_line(bench, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("torch sees a CUDA device")
    with pytest.raises(SystemExit) as exc:
        bench.main(["--device", "cuda"])
    assert exc.value.code == 2
    assert "--device cuda: torch sees no CUDA device" in last_error_line(capsys)


# --------------------------------------------------------------------------- calibration


@pytest.fixture(scope="module")
def calibration():
    return load_script("calibration")


def run_main(main, argv):
    """Exit code of a script's ``main``, whether it returns it or argparse exits."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--replicates", "0"], "--replicates must be at least 1, got 0"),
        (["--power-replicates", "0"], "--power-replicates must be at least 1, got 0"),
        (["--n-samples", "5"], "n_samples must be >= 20, got 5"),
        (["--alpha", "2"], "alpha must be finite and in (0, 1), got 2.0"),
        (["--alpha", "nan"], "alpha must be finite"),
        (["--base-accuracy", "1.5"], "base_accuracy must be finite and in [0.5, 1), got 1.5"),
        (["--effects", "0.3"], "base_accuracy + effect must lie in [0.5, 1)"),
        (["--effects", "0.1", "0.1"], "effects must be distinct"),
        (["--n-jobs", "0"], "n_jobs must not be 0"),
        (["--rope", "-1"], "rope must be finite and in [0, inf), got -1.0"),
        (["--random-state", "-1"], "random_state must be non-negative, got -1"),
    ],
)
def test_calibration_bad_arguments_one_line_before_simulating(
    calibration, tmp_path, monkeypatch, argv, match, capsys
):
    finished = []
    original = calibration.simulate_rejection_rates

    def spy(*args, **kwargs):
        table = original(*args, **kwargs)
        finished.append(args[0])
        return table

    monkeypatch.setattr(calibration, "simulate_rejection_rates", spy)
    small = ["--replicates", "30", "--power-replicates", "25", "--out", str(tmp_path)]
    assert run_main(calibration.main, [*small, *argv]) == 2
    line = last_error_line(capsys)
    assert "error: " in line and match in line
    assert finished == []  # refused before any arm was simulated


def test_calibration_out_is_a_file_one_line(calibration, tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    argv = ["--replicates", "30", "--power-replicates", "25", "--out", str(blocker / "sub")]
    assert run_main(calibration.main, argv) == 2
    line = last_error_line(capsys)
    assert "cannot create the output folder" in line and "a_file" in line


def test_calibration_outputs_consistent(calibration, tmp_path, monkeypatch, capsys):
    import pandas as pd

    axes = []
    original = calibration.plot_power_curve

    def spy(table, *, ax=None):
        axes.append(ax)
        return original(table, ax=ax)

    monkeypatch.setattr(calibration, "plot_power_curve", spy)
    argv = ["--replicates", "30", "--power-replicates", "25", "--effects", "0.05"]
    assert calibration.main([*argv, "--out", str(tmp_path)]) == 0
    null = pd.read_csv(tmp_path / "null_rates.csv")
    curve = pd.read_csv(tmp_path / "power_curve.csv")
    assert (null["n_replicates"] == 30).all() and (null["effect"] == 0).all()
    # the power-curve table holds the null arm's rows unchanged, then the power arm's
    n_null = len(null)
    pd.testing.assert_frame_equal(
        curve.iloc[:n_null].drop(columns="cpu_s"), null.drop(columns="cpu_s")
    )
    assert (curve["n_replicates"].iloc[n_null:] == 25).all()
    # rate = rejections / n (the printed and plotted number)
    assert (curve["rate"] == curve["rejections"] / curve["n_replicates"]).all()
    for f in ("rejection_rates.png", "power_curve.png", "run_info.json"):
        assert (tmp_path / f).is_file()
    # the figure's title gives both replicate counts: the effect-0 points come from the null arm
    (ax,) = axes
    assert "30" in ax.get_title() and "25" in ax.get_title()


# --------------------------------------------------------------------------- readme_figures


def test_readme_curve_figure_fits(monkeypatch):
    # drawn as main() draws it, without writing into docs/
    import matplotlib.pyplot as plt

    module = load_script("readme_figures")
    saved = []
    monkeypatch.setattr(plt.Figure, "savefig", lambda fig, *a, **k: saved.append(fig))
    monkeypatch.setattr(module, "simulate_rejection_rates", lambda *a, **k: None)
    monkeypatch.setattr(module, "plot_rejection_rates", lambda table: plt.gca())
    module.main()
    fig = saved[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    for ax in fig.axes:
        title = ax.title.get_window_extent(renderer)
        legend = ax.get_legend().get_window_extent(renderer)
        for box in (title, legend):  # nothing cut off at the figure's edges
            assert box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5, ax.get_title()
        assert "Bayes accuracy" in ax.get_title()
    plt.close("all")


# --------------------------------------------------------------------------- design1/2


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--seeds", "1"], "--seeds must be >= 2, got 1"),
        (["--seeds", "-3"], "--seeds must be >= 2, got -3"),
        (["--epochs", "0"], "--epochs must be >= 1, got 0"),
    ],
)
def test_design_bad_numbers_name_the_value(tmp_path, argv, match, capsys):
    design = load_script("design1_mse")
    assert design.main("mse", [*argv, "--out", str(tmp_path)]) == 2
    line = last_error_line(capsys)
    assert line.startswith("design1_mse.py: error: ") and match in line


def test_design_out_is_a_file_names_the_option(tmp_path, capsys):
    design = load_script("design1_mse")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    assert design.main("ce", ["--out", str(blocker / "sub")]) == 2
    line = last_error_line(capsys)
    assert line.startswith("design2_ce.py: error: cannot create the output folder (--out)")


# ------------------------------------------------------------- design1/2: never-trained seeds


def design_table(accuracy, stalled, last_loss=None, classes=None):
    """A per-seed table as ``reproduce`` returns it (only the columns ``summarise`` reads)."""
    import pandas as pd

    n = len(accuracy)
    table = pd.DataFrame(
        {
            "seed": range(n),
            "accuracy": accuracy,
            "first_loss": [0.7] * n,
            "last_loss": last_loss if last_loss is not None else [0.3] * n,
            "stalled": stalled,
        }
    )
    if classes is not None:
        table["classes_predicted"] = classes
    return table


def test_mark_stalled_uses_the_report_criterion():
    # clfcompare.report.stalled_trials: stalled iff last >= (1 - 0.01) * first. Seed 1 drops
    # by 0.5% (stalled), seed 2 by 2% (trained), seed 3's curve rises (stalled), seed 0 trains.
    import pandas as pd

    design = load_script("design1_mse")
    curves = pd.DataFrame(
        {
            "split": np.repeat([0, 1, 2, 3], 3),
            "epoch": [3, 1, 2] * 4,  # out of order: first/last are by epoch, not by row
            "loss": [0.2, 0.7, 0.5, 0.6965, 0.7, 0.699, 0.686, 0.7, 0.69, 0.8, 0.7, 0.75],
        }
    )
    table = pd.DataFrame({"seed": [0, 1, 2, 3], "accuracy": [0.8, 0.5, 0.7, 0.45]})
    out = design.mark_stalled(table, curves)
    assert list(out["stalled"]) == [False, True, False, True]
    np.testing.assert_allclose(out["first_loss"], [0.7] * 4, rtol=1e-12)
    np.testing.assert_allclose(out["last_loss"], [0.2, 0.6965, 0.686, 0.8], rtol=1e-12)
    assert "stalled" not in table  # the input is not modified


def test_summarise_with_and_without_the_never_trained_seeds():
    design = load_script("design1_mse")
    acc = [0.8, 0.7, 0.4, 0.75, 0.5, 0.6]
    stalled = [False, False, True, False, True, False]
    text = design.summarise(
        design_table(acc, stalled, [0.3, 0.3, 0.6931, 0.3, 0.6935, 0.3], [2, 2, 1, 2, 1, 1]),
        "ce",
    )
    lines = text.splitlines()
    assert (
        "test accuracy per seed (* = never trained): 0.800 0.700 0.400* 0.750 0.500* 0.600"
        in lines
    )
    # headline over all 6 seeds: mean 3.75 / 6 = 0.625, median of 0.4 .. 0.8 = (0.6 + 0.7) / 2
    headline = next(x for x in lines if x.startswith("all seeds: "))
    assert "mean 0.625 " in headline and "over 6 seeds" in headline
    assert "median 0.650" in headline
    never = next(x for x in lines if x.startswith("never trained: "))
    assert never.startswith("never trained: 2 of 6 seeds (2, 4)")
    assert "(0.693, 0.694)" in never and never.endswith("accuracy 0.400 0.500")
    # without them: 0.8, 0.7, 0.75, 0.6 -> mean 0.7125 (2.85 / 4), median 0.725, sample sd
    # sqrt(((0.0875)^2 + (0.0125)^2 + (0.0375)^2 + (0.1125)^2) / 3) = 0.0854
    without = next(x for x in lines if x.startswith("without the 2 never-trained seeds: "))
    assert "mean 0.713 ± sd 0.085 over 4 seeds" in without
    assert "median 0.725" in without and "range 0.600 to 0.800" in without
    assert lines.index(headline) < lines.index(without)  # the headline comes first
    # seed 5 predicts one class but its loss moved: named, not counted as never trained
    one = next(x for x in lines if x.startswith("trained by that criterion but predicting one"))
    assert "seed 5 (loss 0.700 -> 0.300, accuracy 0.600)" in one and "seed 2" not in one


@pytest.mark.parametrize(
    "stalled, expect, absent",
    [
        ([False] * 3, "never trained: 0 of 3 seeds", "without the"),
        ([True] * 3, "without the never-trained seeds: no seed left", "trained by that"),
    ],
)
def test_summarise_none_or_all_never_trained(stalled, expect, absent):
    design = load_script("design1_mse")
    text = design.summarise(design_table([0.5, 0.6, 0.7], stalled, classes=[1, 1, 1]), "mse")
    assert expect in text
    assert "all seeds: mean 0.600 " in text  # (0.5 + 0.6 + 0.7) / 3
    if not any(stalled):
        assert "*" not in text.splitlines()[1].split(": ", 1)[1]
    assert absent not in text


def test_loss_figure_draws_never_trained_seeds_grey_dashed():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    design = load_script("design1_mse")
    epochs = np.arange(1, 6)
    curves = pd.concat(
        [
            pd.DataFrame({"split": s, "epoch": epochs, "loss": loss})
            for s, loss in enumerate(
                [0.7 / epochs, np.full(5, 0.693), 0.69 / epochs, np.full(5, 0.694)]
            )
        ]
    )
    table = design_table([0.8, 0.4, 0.7, 0.45], [False, True, False, True])
    fig = design.loss_figure(curves, table, "MLP (CE)")
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 2
    np.testing.assert_allclose(dashed[0].get_ydata(), 0.693, rtol=1e-12)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "never trained (2)" in labels
    assert any(t.startswith("MLP (CE), trained (median of 2") for t in labels)
    plt.close("all")


def test_design_ce_marks_a_seed_that_never_trains(tmp_path, capsys):
    # measured with this script (torch 2.13, CPU): at 20 epochs seed 2's network is still on
    # the ln 2 plateau (the same seed never trains in the default 499-epoch run), 0 and 1 train
    import pandas as pd

    design = load_script("design2_ce")  # its main is design1_mse's
    assert design.main("ce", ["--seeds", "3", "--epochs", "20", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "accuracies.csv")
    assert list(table["stalled"]) == [False, False, True]
    # the column is the criterion of clfcompare.report.stalled_trials on the saved losses
    expected = table["last_loss"] >= 0.99 * table["first_loss"]
    assert (table["stalled"] == expected).all()
    np.testing.assert_allclose(table.loc[2, "last_loss"], np.log(2), atol=0.01)
    assert "never trained: 1 of 3 seeds (2)" in text
    assert "without the 1 never-trained seeds: " in text
    assert (tmp_path / "loss.png").is_file()
