"""HW4 of the lecture, answered as a statistician would.

    "Extend the example to 4 classes. Compare the classification performance (loss plot,
    scatter plot, box plot) between MSE and CE loss functions."

With no arguments: the 4-class curve data (``clfcompare.datasets.load_curve(4)``), 10 x 5-fold
repeated stratified cross-validation, and five models on the same 50 splits: the Gaussian
generative model with a shared and with separate covariances, logistic regression by gradient
descent, and the lecture's MLP (2-50-100-50-K, ReLU, Adam, mini-batches of 5, N(0, 0.02)
initialisation) trained with the square loss and with the cross-entropy. Beside the main CV,
10 random half/half partitions of the rows with a 2-fold CV inside each half (40 more splits
per model) give the variance of Nadeau and Bengio's conservative Z, the default test, which
holds its level for unstable learners such as these networks (the corrected t-test, shown
beside it, is valid for stable learners only). Every split's networks start from their own
initial weights, derived from ``--seed`` (the MSE and the CE network of a split share them);
``--seeds S`` trains every split with S seeds and splits the score variance into data split
and initialisation.

The question of the homework, MSE vs CE, is the pre-specified contrast: tested on its own,
unadjusted, with its equivalence test (TOST, margin 0.01) beside the Bayesian ROPE; the other
pairs are exploratory (Holm-adjusted, and simultaneous intervals over all pairs). Everything
goes to ``results/hw4/``: the trial store ``hw4.sqlite`` (a second run resumes from it), the
figures (data, loss curves, decision regions, box plot, simultaneous intervals, reliability) and
``report.md`` (``--quick`` writes to ``results/hw4_quick/`` unless ``--out`` is given),
with the log loss, Brier score and a reliability diagram of every model's probabilities (MSE
vs CE calibration). The networks see the lecture's inputs, the min-max normalised curve data,
not standardised ones (``run_study(scale_mlp=False)``, unlike the ``clfcompare`` command). The
summary table and the wall time are printed. The data's Bayes-optimal
accuracy, (K + 1) / (2K) = 0.625 for 4 classes, is stated in the report and drawn in the box
plot: the ceiling against which to read the models' accuracies.

Usage::

    python analyses/hw4.py                   # the default study
    python analyses/hw4.py --quick           # smoke run: 2 x 3 folds, 5 epochs, results/hw4_quick
    python analyses/hw4.py --seeds 3         # every split with 3 seeds: split vs initialisation
    python analyses/hw4.py --classes 2 --out results/hw4_2class
    python analyses/hw4.py --device cuda --epochs 499
"""

from __future__ import annotations

import sys
import time


def load_data(n_classes):
    """The K-class curve data, its description and its Bayes-optimal accuracy.

    The shipped CSV for 2 and 4 classes, else ``make_curve(K, random_state=0)``.

    Returns
    -------
    X, y : ndarray
    text : str
        The report's data section.
    references : dict
        ``{"Bayes-optimal accuracy": (K + 1) / (2K)}``.
    """
    from clfcompare.datasets import (
        CANONICAL_RANDOM_STATE,
        curve_reference,
        load_curve,
        make_curve,
    )

    if n_classes in (2, 4):
        X, y = load_curve(n_classes)
        src = f"`clfcompare.datasets.load_curve({n_classes})` (the canonical CSV in `data/`)"
    else:
        X, y = make_curve(n_classes, random_state=CANONICAL_RANDOM_STATE)
        src = f"`clfcompare.datasets.make_curve({n_classes}, random_state=0)`"
    references, bayes = curve_reference(n_classes)
    text = (
        f"The lecture's curve data extended to {n_classes} classes: {src}. 80 values of "
        "x1 on [-10, 9.75] in steps of 0.25, the curve y = 3x³ + 2x² + 5x, both min-max "
        f"normalised; {n_classes} bands of width 0.4 stacked along the curve with centres 0.2 "
        "apart (each band overlaps half of each neighbour, as the lecture's two do, so no "
        f"classifier can be perfect). {len(y)} points, 2 features, {n_classes} balanced "
        f"classes (class 0 is the top band). {bayes}"
    )
    return X, y, text, references


def make_parser():
    from clfcompare.cli import CommandParser, add_study_arguments

    p = CommandParser(
        prog="hw4.py",
        description="HW4: MSE vs cross-entropy MLPs (with classical models alongside) on the "
        "K-class curve data, by repeated stratified cross-validation. Writes the trial store, "
        "the figures and report.md to --out; running it again resumes from the store.",
    )
    p.add_argument("--classes", type=int, default=4, help="number of classes (default: 4)")
    return add_study_arguments(
        p,
        out_default=None,  # main: results/hw4, or results/hw4_quick with --quick
        out_help="output folder for hw4.sqlite, the figures and report.md (default: "
        "results/hw4; with --quick results/hw4_quick, so that a smoke run never meets the "
        "full study's store)",
        contrast_default="mlp_mse mlp_ce, the homework's question (when both are run)",
    )


def main(argv=None):
    t_start = time.perf_counter()  # before the imports: the wall time is the user's
    from clfcompare.cli import execute, study_from_args
    from clfcompare.study import InputError

    args = make_parser().parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")  # the script writes files; it never opens windows

    def run():
        if args.classes < 2:
            raise InputError(f"--classes must be at least 2, got {args.classes}")
        X, y, data_text, _ = load_data(args.classes)
        return study_from_args(
            args,
            X,
            y,
            out_dir=args.out or ("results/hw4_quick" if args.quick else "results/hw4"),
            store_name="hw4.sqlite",
            title=f"HW4: MSE vs cross-entropy on the {args.classes}-class curve data",
            data_description=data_text,
            curve_classes=args.classes,  # the Bayes-optimal references, the true curve
            contrast="auto",  # MSE vs CE (unless --contrast gives another pair)
            # the lecture's network on the lecture's inputs: the curve data are min-max
            # normalised to [0, 1] already (the clfcompare command standardises by default)
            scale_mlp=False,
        )

    return execute("hw4.py", run, t_start=t_start)


if __name__ == "__main__":
    sys.exit(main())
