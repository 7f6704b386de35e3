"""The ``clfcompare benchmark`` and ``clfcompare scores`` subcommands.

``clfcompare benchmark`` runs the built-in models on a suite of data sets (or given ones) into a
resumable store and writes the benchmark report; ``clfcompare scores FILE.csv`` writes the same
report from a score table produced elsewhere (wide: one row per data set, one column per model;
or long: ``model, dataset, score`` columns). :func:`clfcompare.cli.main` hands an argument
list starting with ``benchmark`` or ``scores`` to :func:`main`; every other form of the
``clfcompare`` command is unchanged.

Examples
--------
From a shell::

    clfcompare benchmark --quick                      # the offline suite, smoke settings
    clfcompare benchmark --suite small --models svc random_forest logistic_gd --out res/b
    clfcompare benchmark --datasets data/ --target label --models svc random_forest
    clfcompare scores results.csv --lower-is-better --control baseline
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

from clfcompare._checks import InputError
from clfcompare.cli import CommandParser, positive_int

__all__ = ["SUBCOMMANDS", "main", "make_benchmark_parser", "make_scores_parser"]

#: The subcommands this module runs (the first argument of ``clfcompare``).
SUBCOMMANDS = ("benchmark", "scores")

#: ``--quick``: a smoke run.
QUICK = {"n_repeats": 2, "n_folds": 3, "epochs": 5}


def _analysis_arguments(parser):
    from clfcompare.benchmark.analysis import BENCHMARK_TESTS

    parser.add_argument(
        "--test",
        choices=BENCHMARK_TESTS,
        default=None,
        help="post-hoc test after Friedman's (default: friedman_nemenyi, or holm with --control)",
    )
    parser.add_argument("--control", metavar="MODEL", help="compare every model with this one")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")
    parser.add_argument(
        "--rope",
        type=float,
        default=0.01,
        help="region of practical equivalence of the Bayesian signed-rank test, in score units "
        "(default 0.01; 0 turns it off)",
    )


def make_benchmark_parser(prog="clfcompare benchmark"):
    """The parser of ``clfcompare benchmark``."""
    from clfcompare.benchmark.models import BENCHMARK_MODELS
    from clfcompare.benchmark.suite import SUITES

    parser = CommandParser(
        prog=prog,
        description="Run every model on the same repeated stratified CV splits of every data "
        "set (a resumable store in --out) and write a benchmark report (report.md, "
        "report.html, tables.tex): average ranks, Friedman's test, a post-hoc test, "
        "critical-difference diagram, effect sizes and Bayesian signed-rank probabilities.",
    )
    parser.add_argument(
        "--suite",
        choices=list(SUITES),
        default=None,
        help="a built-in suite of data sets (default: offline, unless --datasets is given)",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        metavar="DATA",
        help="data sets: built-in names, CSV files or folders of them, openml:<id>",
    )
    parser.add_argument("--target", metavar="COLUMN", help="label column of CSV files (last)")
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="MODEL",
        default=list(BENCHMARK_MODELS),
        help=f"models (default: all: {' '.join(BENCHMARK_MODELS)})",
    )
    parser.add_argument("--repeats", type=positive_int, default=10, help="CV repeats (10)")
    parser.add_argument("--folds", type=positive_int, default=5, help="CV folds (5)")
    parser.add_argument("--epochs", type=positive_int, default=499, help="MLP epochs (499)")
    parser.add_argument("--device", default="auto", help="torch device of the MLPs (auto)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N", help="workers (1)")
    parser.add_argument("--seed", type=int, default=0, help="seeds splits and models (0)")
    parser.add_argument(
        "--metric", default="accuracy", help="sklearn scorer name to compare (accuracy)"
    )
    parser.add_argument("--out", metavar="DIR", help="output folder (results/benchmark_<suite>)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke settings: {QUICK['n_repeats']} repeats x {QUICK['n_folds']} folds, "
        f"{QUICK['epochs']} epochs",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    _analysis_arguments(parser)
    return parser


def make_scores_parser(prog="clfcompare scores"):
    """The parser of ``clfcompare scores``."""
    parser = CommandParser(
        prog=prog,
        description="The benchmark report from a score table produced elsewhere: a CSV file, "
        "wide (one row per data set, first column its name, one column per model) or long "
        "(columns model, dataset, score).",
    )
    parser.add_argument("file", metavar="FILE.csv", help="the score table")
    direction = parser.add_mutually_exclusive_group()
    direction.add_argument(
        "--higher-is-better",
        dest="higher_is_better",
        action="store_true",
        default=True,
        help="higher scores are better (accuracy, AUC; the default)",
    )
    direction.add_argument(
        "--lower-is-better",
        dest="higher_is_better",
        action="store_false",
        help="lower scores are better (errors, losses)",
    )
    parser.add_argument("--metric", default="score", help="name of the score (for the report)")
    parser.add_argument("--title", default=None, help="report title")
    parser.add_argument("--out", metavar="DIR", help="output folder (results/scores_<file>)")
    _analysis_arguments(parser)
    return parser


def _test(args):
    if args.test is not None:
        return args.test
    return "holm" if args.control is not None else "friedman_nemenyi"


def _refusal(err):
    """One line for a store's refusal, or "" for another error."""
    from clfcompare.benchmark import BenchmarkMismatch
    from clfcompare.trials import SetupMismatch

    if isinstance(err, BenchmarkMismatch):
        return f"{err}; rerun with the same data sets and --metric, or give another --out"
    if isinstance(err, SetupMismatch):
        where = getattr(err, "clfcompare_dataset", None)
        on = f" (data set {where!r})" if where else ""
        return (
            f"{err}{on}; rerun with the settings the store was made with (--seed, --repeats, "
            "--folds, --epochs or --quick, --device), give another --out, or delete it"
        )
    return ""


def _one_line(message):
    """``message`` on one line: a line break (from a path or a name) becomes a space."""
    return " ".join(str(message).splitlines())


def _run(prog, body):
    from clfcompare.trials import StoreError

    try:
        return body()
    except InputError as err:
        print(f"{prog}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except StoreError as err:  # a store that cannot be used (damaged, unreadable, disk full)
        where = getattr(err, "clfcompare_dataset", None)
        on = f" (data set {where!r})" if where else ""
        print(f"{prog}: error: {_one_line(err)}{on}", file=sys.stderr)
        return 2
    except ValueError as err:
        line = _refusal(err)
        model = getattr(err, "clfcompare_model", None)
        if not line and model is not None:
            where = getattr(err, "clfcompare_dataset", "?")
            msg = " ".join(str(err).split("\n")[0].split())
            line = (
                f"model {model!r} failed on data set {where!r}: {msg} (the trials finished "
                "before it are kept in the store)"
            )
        if not line:
            raise
        print(f"{prog}: error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"{prog}: interrupted; the finished trials are in the store: run the same command "
            "again to resume",
            file=sys.stderr,
        )
        return 130


def _refuse_links(out):
    """Refuse a symbolic link where the benchmark writes in ``out``: the store folder and its
    files, the reports, the figures (an :class:`InputError` naming it; a write through it
    would land outside the folder)."""
    from clfcompare.report import check_no_links

    names = ["store", "report.md", "report.html", "tables.tex"]
    names += [p.name for p in out.glob("*.png")] if out.is_dir() else []
    check_no_links(out, names)
    store = out / "store"
    if store.is_dir():
        check_no_links(store, [p.name for p in store.iterdir()])


def _print_ranks(comparison):
    ranks = comparison.average_ranks
    width = max(len(str(m)) for m in ranks.index)
    print(f"average ranks over {comparison.n_datasets} data sets (1 = best):")
    for m, r in ranks.items():
        print(f"  {str(m):<{width}}  {r:.2f}")
    fr = comparison.friedman
    print(f"Friedman p = {fr['pvalue']:.3g}; cliques: {[list(c) for c in comparison.cliques]}")


def _benchmark(argv):
    prog = "clfcompare benchmark"
    args = make_benchmark_parser(prog).parse_args(argv)
    t_start = time.perf_counter()

    def body():
        from sklearn.model_selection import RepeatedStratifiedKFold

        from clfcompare.benchmark import analyse_benchmark, run_benchmark
        from clfcompare.benchmark.models import BENCHMARK_MODELS, benchmark_models
        from clfcompare.benchmark.report import write_benchmark_report
        from clfcompare.benchmark.sources import load_datasets

        n_repeats, n_folds, epochs = args.repeats, args.folds, args.epochs
        if args.quick:
            n_repeats, n_folds, epochs = QUICK["n_repeats"], QUICK["n_folds"], QUICK["epochs"]
        if n_folds < 2:
            raise InputError(f"--folds must be at least 2, got {n_folds}")
        models = benchmark_models(
            args.models, epochs=epochs, device=args.device, random_state=args.seed
        )
        if args.suite is not None and args.datasets:
            raise InputError("give --suite or --datasets, not both")
        suite = args.suite or ("offline" if not args.datasets else None)
        data = load_datasets(suite if suite else args.datasets, target=args.target)
        name = suite or "datasets"
        out = (
            Path(args.out)
            if args.out
            else Path("results")
            / (f"benchmark_{name}_quick" if args.quick else f"benchmark_{name}")
        )
        _refuse_links(out)  # before any trial runs
        cv = RepeatedStratifiedKFold(n_splits=n_folds, n_repeats=n_repeats, random_state=args.seed)
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bench = run_benchmark(
                models,
                data,
                cv=cv,
                scoring=(args.metric,),
                store=out / "store",
                n_jobs=args.n_jobs,
                random_state=args.seed,
                progress=not args.no_progress,
            )
        t_trials = time.perf_counter() - t0
        comparison = analyse_benchmark(
            bench.score_table(args.metric),
            metric=args.metric,
            test=_test(args),
            control=args.control,
            alpha=args.alpha,
            rope=args.rope or None,
            random_state=args.seed,
        )
        from clfcompare.study import summarise_warnings

        notes = summarise_warnings(caught)
        for line in notes:
            print(f"warning: {line}", file=sys.stderr)
        if args.quick:
            notes.insert(
                0,
                f"Smoke-test settings (--quick): {n_repeats} repeats x {n_folds} folds and "
                f"{epochs} training epochs; the networks are barely trained.",
            )
        paths = write_benchmark_report(
            comparison,
            out,
            title=f"Benchmark on {name}" + (" (smoke test, --quick)" if args.quick else ""),
            results=bench,
            models_description={m: BENCHMARK_MODELS[m] for m in models},
            timings={"trials": t_trials},
            notes=notes,
        )
        _print_ranks(comparison)
        for kind, path in paths.items():
            print(f"report ({kind}): {path}")
        resumed = f", {bench.n_resumed} trials resumed" if bench.n_resumed else ""
        print(
            f"wall time: {time.perf_counter() - t_start:.1f} s (trials {t_trials:.1f} s{resumed})"
        )
        return 0

    return _run(prog, body)


def _scores(argv):
    prog = "clfcompare scores"
    args = make_scores_parser(prog).parse_args(argv)

    def body():
        from clfcompare.benchmark import analyse_benchmark, read_scores
        from clfcompare.benchmark.report import write_benchmark_report

        table = read_scores(args.file)
        comparison = analyse_benchmark(
            table,
            metric=args.metric,
            test=_test(args),
            control=args.control,
            alpha=args.alpha,
            higher_is_better=args.higher_is_better,
            rope=args.rope or None,
        )
        stem = Path(args.file).stem
        out = Path(args.out) if args.out else Path("results") / f"scores_{stem}"
        paths = write_benchmark_report(
            comparison,
            out,
            title=args.title or f"Comparison of the scores in {Path(args.file).name}",
        )
        _print_ranks(comparison)
        for kind, path in paths.items():
            print(f"report ({kind}): {path}")
        return 0

    return _run(prog, body)


def main(argv):
    """Run ``clfcompare benchmark ...`` or ``clfcompare scores ...``; returns the exit code.

    Exit codes: 0 done, 2 bad input or a store made for other settings (one line on stderr),
    130 interrupted (the finished trials stay in the store).
    """
    argv = list(argv)
    if not argv or argv[0] not in SUBCOMMANDS:
        raise ValueError(f"the first argument must be one of {SUBCOMMANDS}, got {argv[:1]}")
    import matplotlib

    matplotlib.use("Agg")
    return _benchmark(argv[1:]) if argv[0] == "benchmark" else _scores(argv[1:])
