"""Benchmark: the lecture's five models, a random forest and an SVC on the offline suite.

Runs every model on the same repeated stratified cross-validation splits of the 13 data sets of
``clfcompare.benchmark.load_suite("offline")`` (scikit-learn's iris, wine, breast_cancer,
digits; statsmodels' fair and anes96; the curve data; seeded moons, circles and
make_classification variants) into a resumable store, compares them across data sets
(Friedman, Nemenyi post-hoc, Wilcoxon-Holm as a second opinion, Bayesian signed-rank) and
writes the report (``report.md`` with PNG figures, ``report.html``, ``tables.tex``).

Running it again resumes from the store: finished trials are read back, not refitted.

The full design (10 x 5-fold CV, the lecture's 499 epochs with mini-batches of 5) trains
2 x 50 networks on each data set, 5,093 training rows for ``fair``; on a 2-core CPU that is
hours. The default is therefore a reduced design, printed at the start and written in the
report: 2 repeats x 5 folds and 50 epochs (``--full`` restores 10 x 5 and 499 epochs).

Usage::

    python analyses/benchmark.py                 # reduced settings (see above)
    python analyses/benchmark.py --full --n-jobs 2
    python analyses/benchmark.py --quick         # smoke run: 2 x 3 folds, 5 epochs
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

REDUCED = {"repeats": 2, "folds": 5, "epochs": 50}
FULL = {"repeats": 10, "folds": 5, "epochs": 499}
QUICK = {"repeats": 2, "folds": 3, "epochs": 5}


def parse_args(argv=None):
    from clfcompare.benchmark.models import BENCHMARK_MODELS
    from clfcompare.benchmark.suite import SUITES

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="10 x 5-fold CV, 499 epochs")
    size.add_argument("--quick", action="store_true", help="2 x 3-fold CV, 5 epochs (smoke)")
    p.add_argument("--repeats", type=int, help="override the CV repeats")
    p.add_argument("--epochs", type=int, help="override the MLP epochs")
    p.add_argument("--suite", choices=list(SUITES), default="offline")
    p.add_argument("--models", nargs="+", default=list(BENCHMARK_MODELS))
    p.add_argument("--out", type=Path, default=None, help="default results/benchmark_analysis")
    p.add_argument("--n-jobs", type=int, default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    settings = dict(FULL if args.full else QUICK if args.quick else REDUCED)
    if args.repeats is not None:
        settings["repeats"] = args.repeats
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    args.settings = settings
    if args.out is None:
        tag = "full" if args.full else "quick" if args.quick else "reduced"
        args.out = Path("results") / f"benchmark_{args.suite}_{tag}"
    return args


def main(argv=None):
    args = parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    from sklearn.model_selection import RepeatedStratifiedKFold

    from clfcompare.benchmark import (
        BenchmarkMismatch,
        analyse_benchmark,
        load_suite,
        run_benchmark,
    )
    from clfcompare.benchmark.models import BENCHMARK_MODELS, benchmark_models
    from clfcompare.benchmark.report import write_benchmark_report
    from clfcompare.study import summarise_warnings
    from clfcompare.trials import SetupMismatch

    s = args.settings
    print(
        f"benchmark: suite {args.suite!r}, models {args.models}, {s['repeats']} repeats x "
        f"{s['folds']} folds, {s['epochs']} MLP epochs, store {args.out / 'store'}",
        flush=True,
    )
    t_start = time.perf_counter()
    data = load_suite(args.suite)
    models = benchmark_models(
        args.models, epochs=s["epochs"], device=args.device, random_state=args.seed
    )
    cv = RepeatedStratifiedKFold(
        n_splits=s["folds"], n_repeats=s["repeats"], random_state=args.seed
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            bench = run_benchmark(
                models,
                data,
                cv=cv,
                store=args.out / "store",
                n_jobs=args.n_jobs,
                random_state=args.seed,
                progress=not args.no_progress,
            )
        except (BenchmarkMismatch, SetupMismatch) as err:  # another set-up: say it in one line
            print(f"benchmark.py: error: {err} (give another --out)", file=sys.stderr)
            return 2
    t_trials = time.perf_counter() - t_start
    table = bench.score_table("accuracy")
    comparison = analyse_benchmark(table, metric="accuracy", rope=0.01, random_state=args.seed)
    second = analyse_benchmark(table, metric="accuracy", test="wilcoxon_holm", rope=None)
    settings = f"{s['repeats']} x {s['folds']}-fold CV, {s['epochs']} MLP epochs"
    notes = [
        f"Design: {settings}"
        + ("" if args.full else " (reduced from 10 x 5-fold CV and 499 epochs to fit a CPU)")
        + ".",
        "Wilcoxon-Holm (a second opinion, no CD): groups "
        + "; ".join(", ".join(c) for c in second.cliques)
        + ".",
        *summarise_warnings(caught),
    ]
    per_dataset = {f"trials: {k}": v for k, v in bench.timings.items()}
    paths = write_benchmark_report(
        comparison,
        args.out,
        title=f"Benchmark of {len(models)} models on the {args.suite} suite",
        results=bench,
        models_description={m: BENCHMARK_MODELS[m] for m in models},
        timings={"trials (all data sets)": t_trials, **per_dataset},
        notes=notes,
    )
    total = time.perf_counter() - t_start
    print(table.round(3).to_string())
    print(comparison.average_ranks.round(2).to_string())
    print(f"Friedman p = {comparison.friedman['pvalue']:.3g}; cliques {comparison.cliques}")
    for kind, path in paths.items():
        print(f"report ({kind}): {path}")
    resumed = f"; {bench.n_resumed} trials resumed from the store" if bench.n_resumed else ""
    print(f"wall time {total:.1f} s (trials {t_trials:.1f} s{resumed})")
    for name, secs in bench.timings.items():
        print(f"  {name:<22} {secs:7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
