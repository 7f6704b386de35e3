"""Where the HW4 study's time goes: imports, data, each model's trials, analysis, figures, report.

Runs the study of ``analyses/hw4.py`` (the K-class curve data, the five models of
:func:`clfcompare.study.build_models`, :func:`clfcompare.study.run_study` with its defaults)
into a fresh folder and prints one table of seconds:

- ``imports``: importing :mod:`clfcompare.study`, :mod:`clfcompare.estimators` (torch) and
  matplotlib in this process (about 0 when they were imported before, e.g. under pytest);
- ``data``: loading the curve data;
- ``trials``: :func:`run_study`'s ``Study.timings["trials"]``, and below it every model's
  share: the sum of its trials' ``fit_time`` as the trial runner recorded it (fitting only;
  predicting and scoring, the store and the process overhead are the ``rest``; with
  ``--n-jobs`` above 1 the fits run side by side and their sum can exceed the trials' wall
  time: the row then says ``fits overlapped`` with a negative number);
- ``analysis``: ``Study.timings["analysis"]`` (:func:`clfcompare.analysis.analyse`);
- every other step ``run_study`` timed, in its order: each figure it draws (``figure: the
  data``, ``figure: decision regions (split 0)``, ``figure: reliability diagram``), the
  refits for the decision regions (only when a model's split-0 fit was not at hand: trials
  read from a store), the log loss and Brier scores of the stored probabilities;
- ``setup and the rest of run_study``: ``total before the report`` minus the steps above
  (the data checks, the splits, the store's count);
- ``report (box plot, intervals, loss curves)``: ``Study.timings["report"]`` (the markdown
  and the three figures ``write_report`` draws and saves, which it does not time one by
  one);
- ``wall``: the whole run of this script.

The header says the machine's load average before and after the run (1-minute): on a
machine shared with other work the seconds are those of a loaded machine.

Usage::

    python analyses/bench_study.py                 # the default study on the CPU
    python analyses/bench_study.py --quick         # smoke run (2 x 3 folds, 5 epochs)
    python analyses/bench_study.py --device cuda   # the MLPs on the GPU
    python analyses/bench_study.py --repeats 40 --out /tmp/bench

The output folder (``--out``, default a temporary folder) must not hold a store of an earlier
run: a resumed study would time nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

#: ``--quick``: the settings of ``hw4.py --quick``.
QUICK = {"repeats": 2, "folds": 3, "epochs": 5}


def _positive(text):  # cli.positive_int's twin: importing clfcompare.cli would load the
    # study before the imports are timed
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def parse_args(argv=None):
    """The command line (``--quick`` overrides ``--repeats``, ``--folds`` and ``--epochs``)."""
    p = argparse.ArgumentParser(
        prog="bench_study.py",
        description="Time the HW4 study step by step (imports, data, each model's trials, "
        "analysis, figures, report).",
    )
    p.add_argument("--classes", type=_positive, default=4, help="curve classes (default: 4)")
    p.add_argument("--repeats", type=_positive, default=10, help="CV repeats (default: 10)")
    p.add_argument("--folds", type=_positive, default=5, help="CV folds (default: 5)")
    p.add_argument("--epochs", type=_positive, default=None, help="MLP epochs (default: study's)")
    p.add_argument("--device", default="cpu", help="the MLPs' device: cpu, cuda, auto")
    p.add_argument("--n-jobs", type=int, default=None, help="run_trials' n_jobs")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: temporary)")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 x 3 folds, 5 epochs")
    args = p.parse_args(argv)
    if args.classes < 2:
        p.error(f"--classes must be at least 2, got {args.classes}")
    if args.folds < 2:
        p.error(f"--folds must be at least 2, got {args.folds}")
    if args.quick:
        args.repeats, args.folds, args.epochs = QUICK["repeats"], QUICK["folds"], QUICK["epochs"]
    if args.out is not None and (args.out / "bench.sqlite").exists():
        p.error(f"{args.out / 'bench.sqlite'} exists: a resumed study times nothing")
    return args


def bench(args, out_dir):
    """Run the study into ``out_dir`` and return ``[(step, seconds)]`` in order; the study's
    trial workers (its ``n_jobs``, resolved) go to ``args.workers``."""
    rows = []
    t0 = time.perf_counter()
    import matplotlib

    matplotlib.use("Agg")
    import clfcompare.estimators  # noqa: F401  (torch)
    from clfcompare.datasets import load_curve, make_curve
    from clfcompare.study import build_models, run_study

    rows.append(("imports", time.perf_counter() - t0))

    t0 = time.perf_counter()
    if args.classes in (2, 4):
        X, y = load_curve(args.classes)
    else:
        X, y = make_curve(args.classes, random_state=0)
    rows.append(("data", time.perf_counter() - t0))

    options = {"device": args.device}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    models = build_models(**options)
    study = run_study(
        X,
        y,
        models=models,
        out_dir=out_dir,
        store_name="bench.sqlite",
        n_repeats=args.repeats,
        n_folds=args.folds,
        n_jobs=args.n_jobs,
        curve_classes=args.classes,
        device=args.device,
        progress=False,
        log=lambda message: None,
    )
    args.workers = study.n_jobs
    t = study.timings
    rows.append(("trials", t["trials"]))
    scores = study.results.scores
    fit = scores.groupby("model", sort=False)["fit_time"].sum()
    for name in models:
        rows.append((f"  {name} (fit time)", float(fit.get(name, 0.0))))
    rest = t["trials"] - float(fit.sum())
    # with n_jobs > 1 the fits overlap in the workers: their sum can exceed the trials' wall
    rows.append(("  rest (predict, score, store)" if rest >= 0 else "  fits overlapped", rest))
    skip = {"trials", "total before the report", "report", "total"}
    steps = [(step, seconds) for step, seconds in t.items() if step not in skip]
    rows += steps
    setup = t["total before the report"] - t["trials"] - sum(s for _, s in steps)
    rows.append(("setup and the rest of run_study", setup))
    rows.append(("report (box plot, intervals, loss curves)", t["report"]))
    return rows


def format_rows(rows, wall):
    """The table printed: step, seconds, share of the wall time."""
    width = max(len(step) for step, _ in rows) + 2
    lines = [f"{'step':<{width}}{'seconds':>9}{'share':>8}"]
    for step, seconds in rows:
        lines.append(f"{step:<{width}}{seconds:>9.2f}{seconds / wall:>8.1%}")
    lines.append(f"{'wall':<{width}}{wall:>9.2f}{1:>8.1%}")
    return "\n".join(lines)


def _load():
    """The 1-minute load average ("n/a" where the platform has none)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "n/a"


def main(argv=None):
    t_start = time.perf_counter()
    args = parse_args(argv)
    load_before = _load()
    if args.out is None:
        with tempfile.TemporaryDirectory(prefix="bench_study_") as tmp:
            rows = bench(args, Path(tmp))
    else:
        rows = bench(args, args.out)
    wall = time.perf_counter() - t_start
    settings = (
        f"{args.classes}-class curve data, {args.repeats} x {args.folds}-fold CV (+ halves), "
        f"device {args.device}, n_jobs {args.workers}"
        f"{' (the study default)' if args.n_jobs is None else ''}"
        f"{', --quick' if args.quick else ''}; "
        f"{os.cpu_count()} CPUs, load average {load_before} before, {_load()} after"
    )
    print(f"HW4 study, {settings}")
    print(format_rows(rows, wall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
