"""Tests of analyses/bench_study.py (the study's time broken down), on --quick settings.

Nothing here checks a time: only that every step is printed, with non-negative seconds, and
that the command line refuses bad settings before anything runs.
"""

import re

import pytest
from _scripts import load_script  # tests/ is on sys.path (no __init__.py)


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_study")


def test_quick_run_prints_every_step(bench, tmp_path, capsys):
    out = tmp_path / "study"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 x 3-fold CV" in text and "--quick" in text and "load average" in text
    # the study's own default, resolved: one worker per network on the CPU, at most the cores
    import os

    workers = min(2, len(os.sched_getaffinity(0)))
    assert f"n_jobs {workers} (the study default)" in text
    probabilities = "reliability" in text  # when run_trials stores probabilities
    # with 2 workers the fits may overlap: their sum then exceeds the trials' wall time
    rest = "  fits overlapped" if "  fits overlapped" in text else "rest (predict, score, store)"
    rest = rest.strip()
    steps = [
        "imports",
        "data",
        "trials",
        "gaussian_shared (fit time)",
        "gaussian_separate (fit time)",
        "logistic_gd (fit time)",
        "mlp_mse (fit time)",
        "mlp_ce (fit time)",
        rest,
        "analysis",
        "figure: the data",
        "figure: decision regions (split 0)",
        *(["probability scores", "figure: reliability diagram"] if probabilities else []),
        "setup and the rest of run_study",
        "report (box plot, intervals, loss curves)",
        "wall",
    ]
    seconds = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(.+?)\s+(-?\d+\.\d\d)\s+(-?[\d.]+)%$", line)
        if m:
            seconds[m.group(1)] = float(m.group(2))
    assert list(seconds) == steps
    assert all(v >= 0 for k, v in seconds.items() if k != rest)
    assert (seconds[rest] >= 0) == (rest == "rest (predict, score, store)")
    report = seconds["report (box plot, intervals, loss curves)"]
    assert seconds["trials"] > 0 and report > 0
    # a fresh run fits every model during the trials: nothing is refitted for a figure
    assert "refits for the decision regions" not in seconds
    # the models' fit times are part of the workers' time, the steps part of the wall time
    fits = sum(v for k, v in seconds.items() if k.endswith("(fit time)"))
    assert fits <= workers * seconds["trials"] + 0.01
    assert abs(fits + seconds[rest] - seconds["trials"]) <= 0.04  # the rows add up (rounded)
    assert seconds["trials"] + report <= seconds["wall"] + 0.01
    assert (
        sum(v for k, v in seconds.items() if not k.endswith("(fit time)") and k != "wall")
        - seconds[rest]
        <= seconds["wall"] + 0.01
    )
    assert (out / "report.md").is_file() and (out / "bench.sqlite").is_file()


def test_quick_sets_the_smoke_settings(bench):
    args = bench.parse_args(["--quick", "--repeats", "9"])
    assert (args.repeats, args.folds, args.epochs) == (2, 3, 5)
    assert bench.parse_args([]).device == "cpu"


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--folds", "1"], "--folds must be at least 2, got 1"),
        (["--classes", "1"], "--classes must be at least 2, got 1"),
        (["--repeats", "0"], "expected a positive integer, got 0"),
        (["--epochs", "x"], "expected a positive integer, got 'x'"),
    ],
)
def test_bad_arguments_refused_before_running(bench, argv, match, capsys, monkeypatch):
    def not_called(*args, **kwargs):
        raise AssertionError("the study ran before the arguments were checked")

    monkeypatch.setattr(bench, "bench", not_called)
    with pytest.raises(SystemExit) as exc:
        bench.main(argv)
    assert exc.value.code == 2
    assert match in capsys.readouterr().err


def test_a_store_already_there_is_refused(bench, tmp_path, capsys):
    (tmp_path / "bench.sqlite").write_bytes(b"")
    with pytest.raises(SystemExit):
        bench.parse_args(["--out", str(tmp_path)])
    assert "a resumed study times nothing" in capsys.readouterr().err
