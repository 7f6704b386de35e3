"""The ``clfcompare benchmark`` and ``clfcompare scores`` subcommands."""

import pandas as pd
import pytest
from scipy import stats as sps

from clfcompare import cli
from clfcompare.benchmark.models import BENCHMARK_MODELS, benchmark_models


def write_scores(path, *, long=False):
    wide = pd.DataFrame(
        {
            "dataset": [f"d{i}" for i in range(6)],
            "svm": [0.90, 0.85, 0.91, 0.80, 0.93, 0.88],
            "tree": [0.80, 0.82, 0.70, 0.79, 0.88, 0.81],
            "nb": [0.70, 0.60, 0.72, 0.65, 0.80, 0.75],
        }
    )
    if long:
        wide.melt(id_vars="dataset", var_name="model", value_name="score").to_csv(
            path, index=False
        )
    else:
        wide.to_csv(path, index=False)
    return wide.set_index("dataset")


@pytest.mark.parametrize("long", [False, True])
def test_scores_writes_the_report(tmp_path, capsys, long):
    wide = write_scores(tmp_path / "s.csv", long=long)
    code = cli.main(["scores", str(tmp_path / "s.csv"), "--out", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "svm   1.00" in out
    md = (tmp_path / "out" / "report.md").read_text()
    chi2 = sps.friedmanchisquare(*(wide[c] for c in wide.columns)).statistic
    assert f"chi2_F = {chi2:.3f}" in md
    assert (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / "tables.tex").exists()


def test_scores_lower_is_better_and_control(tmp_path, capsys):
    write_scores(tmp_path / "s.csv")
    code = cli.main(["scores", str(tmp_path / "s.csv"), "--lower-is-better", "--control", "nb",
                     "--out", str(tmp_path / "out"), "--rope", "0"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    # lower is better: nb (the lowest scores) ranks first
    assert out.splitlines()[1].split()[0] == "nb"
    md = (tmp_path / "out" / "report.md").read_text()
    assert "against the control **nb**" in md and "lower is better" in md


def test_scores_errors_are_one_line(tmp_path, capsys):
    assert cli.main(["scores", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    write_scores(tmp_path / "s.csv")
    assert cli.main(["scores", str(tmp_path / "s.csv"), "--control", "zz",
                     "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "control 'zz'" in err
    with pytest.raises(SystemExit) as info:
        cli.main(["scores", "x.csv", "--higher-is-better", "--lower-is-better"])
    assert info.value.code == 2


def test_benchmark_runs_and_resumes(tmp_path, capsys):
    argv = ["benchmark", "--datasets", "iris", "moons", "wine", "--models", "gaussian_shared",
            "svc", "random_forest", "--repeats", "1", "--folds", "2",
            "--out", str(tmp_path / "b"), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "average ranks over 3 data sets" in out and "resumed" not in out
    assert (tmp_path / "b" / "report.html").exists()
    assert (tmp_path / "b" / "store" / "manifest.json").exists()
    assert cli.main(argv) == 0
    assert "18 trials resumed" in capsys.readouterr().out  # 3 data sets x 3 models x 2 splits
    # another seed moves the splits: the store refuses, in one line
    assert cli.main([*argv, "--seed", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--seed" in err and "data set 'iris'" in err


def test_benchmark_bad_input(tmp_path, capsys):
    assert cli.main(["benchmark", "--models", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown model(s) ['nope']" in capsys.readouterr().err
    assert cli.main(["benchmark", "--suite", "small", "--datasets", "iris", "--models", "svc",
                     "--out", str(tmp_path)]) == 2  # fmt: skip
    assert "not both" in capsys.readouterr().err


def test_old_form_still_parses(capsys):
    # `clfcompare <data>`: the positional data name is not taken for a subcommand
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "clfcompare benchmark --help" in capsys.readouterr().out
    assert cli.main(["nosuchdata", "--quick"]) == 2
    assert "unknown data set 'nosuchdata'" in capsys.readouterr().err


def test_benchmark_models():
    models = benchmark_models(epochs=3)
    assert list(models) == list(BENCHMARK_MODELS)
    assert models["mlp_ce"].max_epochs == 3
    assert [s for s, _ in models["svc"].steps] == ["scale", "svc"]


def test_analysis_script_runs_and_resumes(tmp_path, capsys):
    from _scripts import load_script  # tests/ is on sys.path

    script = load_script("benchmark")
    assert script.parse_args([]).settings == script.REDUCED
    assert script.parse_args(["--full"]).settings == {"repeats": 10, "folds": 5, "epochs": 499}
    argv = ["--quick", "--suite", "small", "--models", "gaussian_shared", "svc",
            "--out", str(tmp_path), "--no-progress"]  # fmt: skip
    assert script.main(argv) == 0
    out = capsys.readouterr().out
    assert "wall time" in out and "resumed" not in out
    md = (tmp_path / "report.md").read_text()
    assert "2 x 3-fold CV, 5 MLP epochs (reduced from 10 x 5-fold CV" in md
    assert script.main(argv) == 0
    assert "60 trials resumed" in capsys.readouterr().out  # 5 data sets x 2 models x 6 splits


def test_benchmark_damaged_store_is_one_line_exit_2(tmp_path, capsys):
    # a data set's store file overwritten with garbage: a StoreError naming it, one line, exit 2
    out = tmp_path / "b"
    argv = ["benchmark", "--datasets", "iris", "moons", "--models", "gaussian_shared", "svc",
            "--repeats", "1", "--folds", "2", "--out", str(out), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    capsys.readouterr()
    (store,) = (out / "store").glob("iris*.sqlite")
    garbage = b"not a database at all " * 50
    store.write_bytes(garbage)
    for suffix in ("-wal", "-shm"):
        store.with_name(store.name + suffix).unlink(missing_ok=True)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("clfcompare benchmark: error: ")
    assert store.name in err and "Traceback" not in err
    assert store.read_bytes() == garbage


@pytest.mark.parametrize("where", ["store", "store/manifest.json", "report.html"])
def test_benchmark_refuses_a_symlink_in_out_before_any_trial(tmp_path, capsys, where):
    # issue 14 item 8: the store folder, a file in it or a report name linked outside --out
    victim = tmp_path / "outside"
    victim.mkdir()
    (victim / "keep").write_text("mine")
    out = tmp_path / "b"
    (out / "store").mkdir(parents=True)
    target = victim if where == "store" else victim / "keep"
    if where == "store":
        (out / "store").rmdir()
    (out / where).symlink_to(target)
    argv = ["benchmark", "--datasets", "iris", "moons", "--models", "gaussian_shared", "svc",
            "--repeats", "1", "--folds", "2", "--out", str(out), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "symbolic link" in err and str(out / where) in err
    assert sorted(p.name for p in victim.iterdir()) == ["keep"]
    assert (victim / "keep").read_text() == "mine"
    assert not (out / "report.md").exists()
