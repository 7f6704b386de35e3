"""Tests of the analysis scripts' command lines and figures (analyses/*.py), on tiny settings.

The scripts are loaded from their files (``analyses/`` is not a package). Nothing here times
anything or trains for more than a few epochs.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANALYSES = ROOT / "analyses"


def load_script(name):
    spec = importlib.util.spec_from_file_location(f"_analyses_{name}", ANALYSES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ANALYSES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ANALYSES))
    return module


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
        (["--n-samples", "5"], "n_samples must be at least 20, got 5"),
        (["--alpha", "2"], "alpha must lie in (0, 1), got 2.0"),
        (["--alpha", "nan"], "alpha must be finite"),
        (["--base-accuracy", "1.5"], "base_accuracy must lie in [0.5, 1), got 1.5"),
        (["--effects", "0.3"], "base_accuracy + effect must lie in [0.5, 1)"),
        (["--effects", "0.1", "0.1"], "effects must be distinct"),
        (["--n-jobs", "0"], "n_jobs must not be 0"),
        (["--rope", "-1"], "rope must be non-negative, got -1.0"),
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
