"""The ``clfcompare`` command: compare classifiers on a CSV file or a built-in data set.

Argument parsing and the wording of errors, nothing else: the study itself is
:func:`clfcompare.study.run_study` (data checks, trials, analysis, figures, report), the loaders
are :mod:`clfcompare.datasets`'. The study words its errors in parameter names and lets a
store's refusal and a model's failure propagate; this module words them in the command's
options (one line on stderr, exit code 2; Ctrl-C: 130). ``analyses/hw4.py`` shares its
options (:func:`add_study_arguments`, :func:`study_from_args`, :func:`execute`).

One module of about 850 lines because it is one concept, the command's words: its options and
help, and the rewording of every refusal the layers below it raise (the store's refusal of
other settings mapped back to the options that set them, the data checks' advice, a report
that cannot be written); split up, each part would import the others' option names.

Examples
--------
From a shell::

    clfcompare iris                                  # all five models on the iris data
    clfcompare data.csv --target label --models gaussian_shared logistic_gd mlp_ce
    clfcompare data.csv --target label --impute median --one-hot
    clfcompare digits --quick
    clfcompare curve4 --repeats 10 --folds 5 --out results/curve4
    clfcompare curve2 --quick                        # a smoke run in seconds
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from clfcompare._checks import InputError
from clfcompare.datasets import (
    BUILTIN_DATASETS,
    curve_reference,
    load_builtin,
    read_csv_data,
)
from clfcompare.study import (
    GAUSSIAN_FITS,
    MODEL_DESCRIPTIONS,
    MODEL_NAMES,
    SEED_EPOCHS,
    StudyInterrupted,
    build_models,
    check_model_names,
    run_study,
)

__all__ = [
    "QUICK",
    "CommandParser",
    "add_study_arguments",
    "study_from_args",
    "execute",
    "format_summary",
    "make_parser",
    "main",
]

#: The settings of ``--quick``: a smoke run that finishes in seconds.
QUICK = {"n_repeats": 2, "n_folds": 3, "epochs": 5}

#: The advice of an InputError about a parameter (``err.parameter``), in the command's options.
_ADVICE = {
    "n_folds": "; use fewer --folds",
    # --quick sets the folds whatever --folds says
    "n_folds_quick": f"; --quick runs {QUICK['n_folds']} folds whatever --folds says: run "
    "without --quick and with fewer --folds (at least 2), or add rows to those classes",
    # the command always runs the half/half partitions (its default test needs them)
    "halves": "; add rows to those classes or remove their rows from the file (the command's "
    "default test, the conservative Z test, needs the half/half partitions)",
    "out_dir": " (give another --out)",
    "text": "; give --one-hot to one-hot encode them (fitted inside each training split), or "
    "drop them",
    "missing": "; give --impute mean, median or most_frequent to fill them (fitted inside each "
    "training split), or --impute drop to drop those rows",
    "missing_labels": "; give --impute drop to drop those rows",
}

#: The values of ``--impute``: an imputer's strategy, none, or drop the rows.
IMPUTE_CHOICES = ("none", "mean", "median", "most_frequent", "drop")


#: A rendered parameter value that is an estimator (``module.Class(...)``) or a list of
#: pipeline steps (``[(...)]``).
_WHOLE_ESTIMATOR = re.compile(r"^(\[\(|[\w.]+\()")

#: Model parameters in the trial store's fingerprint that a command-line option sets.
_OPTION_OF_PARAM = {
    "random_state": "--seed",
    "max_epochs": "--epochs",
    "device": "--device",
    "allow_singular": "--gaussian",
    "shrinkage": "--gaussian",
}

#: The preprocessing options behind a step of the ``preprocess`` transformer (a part of the
#: parameter's name, or a class in its value).
_PREPROCESSING_OPTION = {
    "impute": "--impute",
    "SimpleImputer": "--impute",
    "scale": "--standardize",
    "StandardScaler": "--standardize",
    "one_hot": "--one-hot",
    "categorical": "--one-hot",
    "OneHotEncoder": "--one-hot",
}

#: The options that put a Pipeline around a model (or take it away).
_PREPROCESSING = ("--standardize", "--impute", "--one-hot")
_SCALE_MLP = "--scale-mlp/--no-scale-mlp"

#: A module path before a class name in a rendered value (``sklearn.pipeline.Pipeline``).
_MODULE_PATH = re.compile(r"\b(?:[A-Za-z_]\w*\.)+(?=[A-Z]\w*)")

#: The longest rendered value a refusal shows, and the most parameters it lists per model.
_MAX_VALUE, _MAX_PARAMS = 60, 3


def _short(value):
    """A rendered value for a one-line message: without module paths, at most _MAX_VALUE
    characters."""
    if value is None:
        return "<absent>"
    text = _MODULE_PATH.sub("", str(value))
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _earlier_one_hot(d):
    """Whether ``d`` is the one-hot categories of a store made before they were the file's:
    ``categories='auto'`` (learnt in each split), which no option of this version sets; or
    a whole step that holds that encoder (its repr with ``categories='auto'``, now not)."""
    if d.kind != "model-param":
        return False
    if d.name.endswith("one_hot__categories"):
        return str(d.stored).strip("'\"") == "auto"
    auto = "OneHotEncoder(categories='auto'"
    return auto in str(d.stored) and auto not in str(d.now)


def _options_of(d):
    """The command-line options that set a model's difference ``d`` (a tuple, maybe empty)."""
    if _earlier_one_hot(d):
        return ()
    values = f"{d.stored or ''} {d.now or ''}"
    if d.kind == "model-class":  # a Pipeline put around the model, or taken away
        if "Pipeline" not in values:
            return ()
        return (*_PREPROCESSING, _SCALE_MLP) if "TorchMLP" in values else _PREPROCESSING
    parts = d.name.split("__")
    absent = d.stored is None or d.now is None
    if parts[0].startswith("preprocess"):
        found = {o for k, o in _PREPROCESSING_OPTION.items() if k in parts or k in values}
        return tuple(o for o in _PREPROCESSING if o in found) or _PREPROCESSING
    if parts[0] in ("scale", "mlp") and (absent or parts[0] == "scale"):
        return (_SCALE_MLP,)  # the networks' own scaler step, or the step it moves
    option = _OPTION_OF_PARAM.get(parts[-1])
    return (option,) if option and not absent else ()


def _cli_difference(d):
    """One :class:`~clfcompare.trials.SetupDifference` in the command's words."""
    if d.kind == "splits":  # the same number of splits: only the split seed can have moved them
        if d.stored == d.now:
            why = f"both {d.now} splits: another --seed, which seeds the splits"
        else:
            why = f"stored {d.stored} splits, now {d.now}: --repeats x --folds"
        return f"the cross-validation splits differ ({why})"
    if d.kind not in ("model-param", "model-class"):
        return d.text(advice=False)
    if _earlier_one_hot(d) and d.name.endswith("__categories"):
        return (
            "--one-hot's categories (the store is an earlier clfcompare's, which learnt them in "
            "each split; now every split encodes all of the file's, the same columns for all: "
            "this store cannot be resumed, give a new --out or delete it)"
        )
    # the options a rerun must repeat are named once per model (_model_differences)
    options = [o for o in _options_of(d) if o not in _OPTIONS]
    name = "class" if d.kind == "model-class" else d.name
    shown = f"{name} = {' or '.join(options)}" if options else name
    return f"{shown} (stored {_short(d.stored)}, now {_short(d.now)})"


def _absent(d):
    """Whether a parameter came or went (absent from the store or from this run)."""
    return d.stored is None or d.now is None


def _model_options(group):
    """``(options, vague)``: the options of :data:`_OPTIONS` that a model's differences point
    at, and those a difference only may be (a Pipeline put around a model: any preprocessing
    option)."""
    options, vague = [], []
    for d in group:
        found = [o for o in _options_of(d) if o in _OPTIONS]
        target = vague if set(_PREPROCESSING) <= set(found) else options
        target += [o for o in found if o not in target]
    return options, vague


def _model_differences(model, group, options):
    """A model's differences in the command's words: the ``options`` that set them, a few of
    them (short), how many more."""
    # a pipeline's steps repeat their changed parameters as whole estimators: drop those; a
    # step that came or went is shown whole, without its parameters
    steps = {d.name for d in group if _absent(d) and d.kind == "model-param"}
    kept = [
        d
        for d in group
        if d.kind == "model-class"
        or (
            not any(d.name.startswith(f"{step}__") for step in steps)
            and (_absent(d) or not any(_WHOLE_ESTIMATOR.match(v) for v in (d.stored, d.now)))
        )
    ] or group
    # first the values that changed, then the parameters that came or went
    kept = sorted(kept, key=_absent)
    listed = "; ".join(_cli_difference(d) for d in kept[:_MAX_PARAMS])
    more = f"; and {len(kept) - _MAX_PARAMS} more" if len(kept) > _MAX_PARAMS else ""
    changed = f" (another {', '.join(options)})" if options else ""
    return f"model {model!r}{changed} parameters differ: {listed}{more}"


#: The options a rerun must repeat that only some stores need named.
_OPTIONS = (*_PREPROCESSING, _SCALE_MLP, "--gaussian")


def _store_refusal(err, store):
    """The trial store's refusal of another set-up, in the command's words ("" if not one).

    The trials layer names the differences and says "pass the same cv"; a command-line user
    needs the options that set them (the changed ones named, long values cut short), or a
    fresh store.
    """
    from clfcompare.trials import SetupMismatch

    if not isinstance(err, SetupMismatch):
        return ""
    parts = []  # (text,) of another difference, or (model, group, options, vague)
    for model, group in err.grouped_differences():
        if model is None and group[0].kind != "model-class":
            parts.append((_cli_difference(group[0]),))
        else:
            parts.append((model or group[0].model, group, *_model_options(group)))
    # an option applies to every model: one that a model's differences point at explains
    # another model's Pipeline that came or went
    pointed = {o for part in parts if len(part) > 1 for o in part[2]}
    diffs, named = [], []
    for part in parts:
        if len(part) == 1:
            diffs.append(part[0])
            continue
        model, group, options, vague = part
        options = options or [o for o in vague if o in pointed] or vague
        diffs.append(_model_differences(model, group, options))
        named += [o for o in options if o not in named]
    if err.empty:  # set up by a run whose first trial failed
        what = "was set up for other settings by a run that finished no trial"
        lost = "; nothing is lost by deleting it"
    else:
        what, lost = "holds trials run with other settings", ""
    also = f", {', '.join(named)}" if named else ""
    return (
        f"the store {store} {what} ({'; '.join(diffs)}); mixing them would break the paired "
        "design. Rerun with the settings it was made with (the same data, --seed, --seeds, "
        f"--repeats, --folds, --epochs or --quick, --device{also}; other --models are added "
        f"to it), give a new --out, or delete {store} to start afresh{lost}"
    )


def _fit_failure(err):
    """One line for a model's ValueError on the data, from what run_trials attached to it
    ("" if it did not come from a model's trial)."""
    model = getattr(err, "clfcompare_model", None)
    if model is None:
        return ""
    what = getattr(err, "clfcompare_context", "its trials")
    msg = " ".join(str(err).split())
    return (
        f"model {model!r} failed on this data ({what}): {msg} (the trials finished "
        "before it are kept in the store)"
    )


def format_summary(summary):
    """The summary table as aligned plain text for a terminal."""
    rows = [("model", "mean acc", "sd", "min", "max", "trials", "fit s/trial")]
    for m, r in summary.iterrows():
        rows.append(
            (
                str(m),
                f"{r['mean']:.3f}",
                f"{r['sd']:.3f}",
                f"{r['min']:.3f}",
                f"{r['max']:.3f}",
                str(int(r["n_trials"])),
                f"{r['fit_time_mean']:.3f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )


# --------------------------------------------------------------------------- the command


class CommandParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2, no usage dump)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _n_jobs(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError(
            "expected a positive number of workers, or -1 for one per CPU core; got 0"
        )
    return value


#: The largest seed numpy's RandomState (and so scikit-learn's splitters) accepts.
_MAX_SEED = 2**32 - 1


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= _MAX_SEED:
        shown = repr(text) if value is None else value
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {_MAX_SEED}, got {shown}"
        ) from None
    return value


def _wrap(text, width=79, indent=""):
    return textwrap.fill(text, width, initial_indent=indent, subsequent_indent=indent)


def _listing(items, key_width, width=79):
    """``name  description`` lines, the descriptions wrapped under themselves."""
    pad = " " * (2 + key_width + 1)
    return "\n".join(
        textwrap.fill(
            f"  {k:<{key_width}} {v}", width, subsequent_indent=pad, break_on_hyphens=False
        )
        for k, v in items.items()
    )


def add_study_arguments(
    parser,
    *,
    out_default=None,
    out_help,
    contrast_default="none: the report leads with the best model against the runner-up",
):
    """The options a study shares between ``clfcompare`` and ``analyses/hw4.py``.

    ``--models --repeats --folds --epochs --device --out --n-jobs --seed --seeds --contrast
    --baseline --quick --no-progress``; :func:`study_from_args` runs a study from them.
    ``contrast_default`` words what happens without ``--contrast`` in the help.
    """
    parser.add_argument(
        "--models",
        nargs="+",
        metavar="MODEL",
        default=list(MODEL_NAMES),
        help=f"models to compare (default: all five: {' '.join(MODEL_NAMES)})",
    )
    parser.add_argument(
        "--repeats", type=positive_int, default=10, help="CV repeats (default: 10)"
    )
    parser.add_argument(
        "--folds", type=positive_int, default=5, help="CV folds per repeat (default: 5)"
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=SEED_EPOCHS,
        help=f"training epochs of the MLPs (default: {SEED_EPOCHS}, the lecture's)",
    )
    parser.add_argument(
        "--device",
        default="auto",
        help="torch device of the MLPs: auto (a GPU if there is one), cpu, cuda, cuda:N "
        "(default: auto)",
    )
    parser.add_argument("--out", metavar="DIR", default=out_default, help=out_help)
    parser.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel worker processes for the trials, -1 for one per core (default: one "
        "per network that trains on the CPU, at most the usable cores; 1 without one)",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seeds the splits and the models; every split's models get their own seed "
        "derived from it (default: 0)",
    )
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        metavar="S",
        help="fit every split with S seeds, seed k the same on every split (a crossed split x "
        "seed design); the report then splits the score variance into data split and "
        "initialisation (default: 1)",
    )
    parser.add_argument(
        "--contrast",
        nargs=2,
        metavar=("A", "B"),
        default=None,
        help="the pre-specified question: is model A different from model B? Tested on its "
        "own (unadjusted); the other pairs are exploratory (adjusted). Default: "
        + contrast_default,
    )
    parser.add_argument(
        "--baseline",
        metavar="MODEL",
        default=None,
        help="simultaneous intervals of every model against MODEL instead of all pairs",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke-test settings: {QUICK['n_repeats']} repeats x {QUICK['n_folds']} folds, "
        f"{QUICK['epochs']} epochs (overrides --repeats, --folds, --epochs)",
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar or progress lines"
    )
    return parser


def study_from_args(args, X, y, *, out_dir, notes=None, gaussian="exact", **study_kwargs):
    """Build the models and run :func:`clfcompare.study.run_study` with the options of
    :func:`add_study_arguments`.

    ``gaussian`` is :func:`~clfcompare.study.build_models`' (how the Gaussian models treat a
    singular covariance); ``study_kwargs`` go to ``run_study`` (e.g. ``scale_mlp``).

    ``--quick`` replaces repeats, folds and epochs by :data:`QUICK`, marks the report's title
    as a smoke test and adds a note that its numbers test the pipeline, not the models.

    Raises
    ------
    InputError
        Unknown models, fewer than 2 folds, data the folds cannot split, a missing GPU.
    """
    n_repeats, n_folds, epochs = args.repeats, args.folds, args.epochs
    notes = list(notes or [])
    if args.quick:
        n_repeats, n_folds, epochs = QUICK["n_repeats"], QUICK["n_folds"], QUICK["epochs"]
        # said where a reader starts, not only in the notes at the end
        study_kwargs["title"] = (
            study_kwargs.get("title", "Classifier comparison") + " (smoke test, --quick)"
        )
        notes.insert(
            0,
            f"**Smoke-test settings (`--quick`)**: {n_repeats} repeats × {n_folds} folds and "
            f"{epochs} training epochs. The networks are barely trained: these numbers check "
            "the pipeline and say nothing about the models.",
        )
    if n_folds < 2:
        raise InputError(f"--folds must be at least 2, got {n_folds}")
    chosen = check_model_names(args.models)
    if args.contrast is not None:
        a, b = args.contrast
        unknown = [m for m in (a, b) if m not in chosen]
        if unknown or a == b:
            why = f"{unknown} not among --models {chosen}" if unknown else "the same model twice"
            raise InputError(f"--contrast needs two different models of --models: {why}")
        study_kwargs["contrast"] = (a, b)
    if args.baseline is not None:
        if args.baseline not in chosen:
            raise InputError(f"--baseline {args.baseline!r} is not among --models {chosen}")
        study_kwargs["baseline"] = args.baseline
    models = build_models(
        args.models, epochs=epochs, device=args.device, random_state=args.seed, gaussian=gaussian
    )
    try:
        return run_study(
            X,
            y,
            models=models,
            out_dir=out_dir,
            n_repeats=n_repeats,
            n_folds=n_folds,
            n_jobs=args.n_jobs,
            random_state=args.seed,
            n_seeds=args.seeds,
            device=args.device,
            progress=not args.no_progress,
            notes=notes,
            **study_kwargs,
        )
    except InputError as err:
        if args.quick and getattr(err, "parameter", None) == "n_folds":
            err.parameter = "n_folds_quick"  # fewer --folds would not help: --quick sets them
        raise


def _input_error(err):
    """An :class:`InputError` in the command's words: advice about a parameter names its
    option."""
    parameter = getattr(err, "parameter", None)
    if parameter in _ADVICE and getattr(err, "problem", None):
        return f"{err.problem}{_ADVICE[parameter]}"
    return str(err)


def _one_line(message):
    """``message`` on one line: a line break (from a path or a name) becomes a space."""
    return " ".join(str(message).splitlines())


def _store_path(err):
    return Path(err.path) if getattr(err, "path", None) is not None else "(unknown)"


def _write_failure(err):
    """One line for an :class:`OSError` of the study (a report or figure it cannot write:
    the path taken by a folder, no permission, a full disk), naming the path."""
    problem = err.strerror or str(err) or type(err).__name__
    where = f"{err.filename}: " if getattr(err, "filename", None) is not None else ""
    return (
        f"cannot write {where}{problem} (the trials that finished are kept in the store: "
        "run the same command again to resume once that is fixed)"
    )


def execute(prog, run, *, t_start=None):
    """Run a study and print its summary, the report's path and the wall time.

    Parameters
    ----------
    prog : str
        The command's name, prefixed to error lines.
    run : callable
        ``run() -> Study``.
    t_start : float, optional
        ``time.perf_counter()`` when the command started (default: now).

    Returns
    -------
    code : int
        0 on success; 2 on bad input (an :class:`~clfcompare._checks.InputError`, a store
        made with other settings, a store that cannot be used
        (:class:`~clfcompare.trials.StoreError`: damaged, unreadable, disk full), a model
        failing on the data, a report or figure that cannot be written (an
        :class:`OSError`): one line on stderr in the command's words); 130 when
        interrupted (Ctrl-C: one line on stderr, e.g. how many trials the store holds).
    """
    from clfcompare.trials import SetupMismatch, StoreError

    t_start = time.perf_counter() if t_start is None else t_start
    try:
        study = run()
    except InputError as err:
        print(f"{prog}: error: {_one_line(_input_error(err))}", file=sys.stderr)
        return 2
    except SetupMismatch as err:
        print(f"{prog}: error: {_store_refusal(err, _store_path(err))}", file=sys.stderr)
        return 2
    except StoreError as err:  # a store that cannot be used (damaged, unreadable, disk full)
        print(f"{prog}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except ValueError as err:
        failure = _fit_failure(err)
        if not failure:  # not a model's failure on the data: a bug, with its traceback
            raise
        print(f"{prog}: error: {failure}", file=sys.stderr)
        return 2
    except OSError as err:  # writing the report or the figures after the trials
        print(f"{prog}: error: {_one_line(_write_failure(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        detail = ""
        if isinstance(err, StudyInterrupted):
            detail = (
                f"; {err.n_finished} of {err.n_total} trials are in the store {err.store}; "
                "run the same command again to resume"
            )
        print(f"{prog}: interrupted{detail}", file=sys.stderr)
        return 130
    print(format_summary(study.summary))
    print(f"report: {study.report_path}")
    resumed = f", {study.n_resumed} trials resumed from the store" if study.n_resumed else ""
    print(
        f"wall time: {time.perf_counter() - t_start:.1f} s "
        f"(trials {study.timings['trials']:.1f} s{resumed})"
    )
    return 0


def make_parser(prog="clfcompare"):
    """The argument parser of the ``clfcompare`` command."""
    parser = CommandParser(
        prog=prog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_wrap(
            "Compare classifiers on one data set, as a statistician would: every model is "
            "trained and tested on the same repeated stratified cross-validation splits, the "
            "scores go into a resumable SQLite store, and a markdown report (report.md, with "
            "PNG figures beside it) gives mean ± sd accuracy per model, pairwise significance "
            "tests (Nadeau and Bengio's conservative Z, which holds for unstable learners such "
            "as networks, beside the corrected t-test, valid for stable ones; Holm-adjusted "
            "for the exploratory pairs, unadjusted for a pre-specified --contrast; Bayesian "
            "probabilities and an equivalence test) and simultaneous intervals of all pairs."
        ),
        epilog=(
            f"built-in data sets:\n{_listing(BUILTIN_DATASETS, 14)}\n\n"
            f"models:\n{_listing(MODEL_DESCRIPTIONS, 18)}\n\n"
            "examples:\n"
            "  clfcompare iris\n"
            "  clfcompare mydata.csv --target label --models gaussian_shared mlp_ce\n"
            "  clfcompare curve4 --repeats 10 --folds 5 --out results/curve4\n"
            "  clfcompare curve2 --quick            # smoke run in seconds\n"
            "  clfcompare benchmark --help          # many data sets (see also: scores)\n\n"
            "Running the same command again resumes from the store in --out.\n"
            "The MLPs' inputs are standardised inside each training split (--no-scale-mlp:\n"
            "the features as given, as analyses/hw4.py on the curve data, scaled to [0, 1]).\n"
            "The logistic regression standardises inside each training split by itself.\n"
            "The Gaussian models use a pseudo-inverse where a covariance is singular\n"
            "(constant pixels of digits, one-hot columns); --gaussian exact refuses one.\n"
            "--standardize, --impute and --one-hot are fitted on the training rows of each\n"
            "split (a Pipeline in front of every model), so no test row leaks into them.\n"
            "Exit codes: 0 done, 2 bad input (one line on stderr says what), 130\n"
            "interrupted (Ctrl-C; the finished trials stay in the store)."
        ),
    )
    parser.add_argument(
        "data",
        help="a built-in data set name (see below) or the path of a CSV file (then give --target)",
    )
    parser.add_argument(
        "--target",
        metavar="COLUMN",
        help="the label column of the CSV file (comma-, semicolon- or tab-separated, read "
        "from its header line; '.' as the decimal mark); every other column is a feature: "
        "numbers, or text with --one-hot; an empty field is a missing value (see --impute)",
    )
    parser.add_argument(
        "--standardize",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="scale every numeric feature to mean 0 and sd 1, fitted on the training rows of "
        "each split (default: no)",
    )
    parser.add_argument(
        "--impute",
        choices=IMPUTE_CHOICES,
        default="none",
        help="missing feature values of a CSV file: fill a numeric column with its mean, "
        "median or most frequent value and a text column with its most frequent category, "
        "fitted on the training rows of each split; or drop the rows that have one before "
        "the splits (default: none, a missing value is refused)",
    )
    parser.add_argument(
        "--scale-mlp",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="standardise the networks' inputs (mean 0, sd 1, a StandardScaler fitted on the "
        "training rows of each split in front of each MLP); --no-scale-mlp trains them on the "
        "features as given, as analyses/hw4.py does (default: yes; with --standardize the "
        "features are standardised already and no second scaler is added)",
    )
    parser.add_argument(
        "--gaussian",
        choices=GAUSSIAN_FITS,
        default="pinv",
        help="the Gaussian models' covariances: exact (maximum likelihood; a singular one, "
        "e.g. from a constant feature or one-hot columns, is an error), pinv (the same, a "
        "singular one used through its pseudo-inverse: the exact model wherever that is "
        "defined) or shrinkage (Ledoit-Wolf, as LinearDiscriminantAnalysis's "
        "shrinkage='auto') (default: pinv)",
    )
    parser.add_argument(
        "--one-hot",
        action="store_true",
        help="read the text columns of a CSV file as categories, one-hot encoded: one "
        "indicator per category of the file in every split (fitted on the training rows of "
        "each split otherwise; a category missing from them is a column of zeros there)",
    )
    return add_study_arguments(
        parser,
        out_help="output folder for the store, figures and report.md "
        "(default: results/<data set name>, with --quick results/<data set name>_quick)",
    )


def _load(args):
    """``(X, y, description, column kinds, notes, codes, feature names)`` of the data the
    command names; ``codes``: the category codes of every text column (all of the file's);
    feature names: a CSV file's columns (None for a built-in data set)."""
    if args.target is None:
        if args.data in BUILTIN_DATASETS:
            X, y, desc = load_builtin(args.data)
            return X, y, desc, ("numeric",) * X.shape[1], [], [], None
        if Path(args.data).suffix.lower() == ".csv" or Path(args.data).exists():
            raise InputError(f"give the label column of {args.data} with --target")
        raise InputError(
            f"unknown data set {args.data!r}; built-in ones are "
            f"{', '.join(BUILTIN_DATASETS)}, or give a CSV file with --target"
        )
    path = Path(args.data)
    if args.data in BUILTIN_DATASETS and not path.is_dir() and not path.is_file():
        raise InputError(
            f"{path} is a built-in data set: drop --target (it names the label column of "
            "a CSV file)"
        )
    missing = {"none": "refuse", "drop": "drop"}.get(args.impute, "keep")
    data = read_csv_data(
        path, args.target, missing=missing, text="codes" if args.one_hot else "refuse"
    )
    notes = []
    if data.n_dropped:
        notes.append(
            f"{data.n_dropped} row(s) with a missing value were dropped before the splits "
            "(`--impute drop`)."
        )
    codes = [
        range(len(data.categories[c]))
        for c, kind in zip(data.columns, data.kinds, strict=True)
        if kind == "categorical"
    ]
    # the names of the file and its columns as code spans, escaped
    return data.X, data.y, data.markdown(), data.kinds, notes, codes, list(data.columns)


def _preprocessing(args, X, kinds, codes=None):
    """``(preprocessor or None, markdown note or None)``: the transformer fitted inside each
    split that the options and the data need (none when they need nothing). ``codes``: the
    category codes of every text column, so that every split encodes all of them (a rare
    category missing from a training split would otherwise change its width)."""
    from clfcompare.preprocessing import make_preprocessor

    categorical = "categorical" in kinds
    impute = args.impute if np.isnan(X).any() and args.impute != "drop" else "none"
    if not (args.standardize or categorical or impute != "none"):
        return None, None
    preprocessor = make_preprocessor(
        kinds,
        standardize=args.standardize,
        impute=impute,
        one_hot=categorical,
        categories=codes if categorical and codes else None,
    )
    steps = []
    if impute != "none":
        steps.append(
            f"missing values imputed ({impute} of a numeric column"
            + (", most frequent category of a text column" if categorical else "")
            + ")"
        )
    if args.standardize:
        steps.append("numeric features standardised (mean 0, sd 1)")
    if categorical:
        n = kinds.count("categorical")
        steps.append(
            f"{n} text column(s) one-hot encoded, one indicator per category of the file (a "
            "category missing from a training split: an indicator that is zero there)"
        )
    note = (
        "Preprocessing, fitted on the training rows of every split and applied to its test "
        f"rows (a `Pipeline` in front of every model): {'; '.join(steps)}."
    )
    return preprocessor, note


def main(argv=None):
    """Entry point of the ``clfcompare`` console script; returns the exit code.

    Exit codes: 0 success, 2 bad input (one line on stderr, no traceback), 130 interrupted.
    """
    t_start = time.perf_counter()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("benchmark", "scores"):  # subcommands; a file so named: ./scores
        from clfcompare.benchmark.cli import main as subcommand

        return subcommand(argv)
    parser = make_parser()
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # a command writes files; it never opens windows

    def run():
        from clfcompare.report import Markdown, escape_markdown

        check_model_names(args.models)  # before the data: a typo in --models is said first
        X, y, desc, kinds, notes, codes, feature_names = _load(args)
        preprocessor, note = _preprocessing(args, X, list(kinds), codes)
        for line in notes:
            print(f"{parser.prog}: {line.replace('`', '')}", file=sys.stderr)
        if note is not None:
            notes.append(note)
        name = args.data if args.target is None else Path(args.data).stem
        classes, counts = np.unique(y, return_counts=True)
        counted = ", ".join(
            f"{escape_markdown(c)}: {n}" for c, n in zip(classes, counts, strict=True)
        )
        # a CSV's description gives its rows and features already; a built-in one's does not
        size = "" if args.target is not None else f"{X.shape[0]} rows, {X.shape[1]} features, "
        data_desc = f"{desc}. {size}{len(classes)} classes (counts: {counted})."
        curve_classes = None
        if args.target is None and args.data.startswith("curve"):
            curve_classes = len(classes)
            data_desc += " " + curve_reference(curve_classes)[1]
        return study_from_args(
            args,
            X,
            y,
            out_dir=Path(args.out)
            if args.out
            else Path("results") / (f"{name}_quick" if args.quick else name),
            title=f"Classifier comparison on {name}",
            data_description=Markdown(data_desc),  # the names in it escaped
            curve_classes=curve_classes,
            contrast=None,  # no question is pre-specified unless --contrast gives one
            notes=notes,
            gaussian=args.gaussian,
            # with --standardize the features are standardised already
            scale_mlp=args.scale_mlp and not args.standardize,
            feature_names=feature_names,  # the axes of the data and decision-region figures
            # only when there is one: the study's default (None) otherwise
            **({} if preprocessor is None else {"preprocessor": preprocessor}),
        )

    return execute(parser.prog, run, t_start=t_start)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
