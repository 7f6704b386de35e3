"""Test the tests: Type I error and power of every significance test of clfcompare.stats.

Two arms of the simulation of :mod:`clfcompare.calibration` (two exchangeable Gaussian
features, a one-feature nearest-class-mean learner on each, fresh data set of ``--n-samples``
rows per replicate):

* the **null arm** (effect 0: both learners have exactly equal expected accuracy) gives each
  test's Type I error at alpha = 0.05;
* the **power arm** (feature A more accurate by ``effect`` in population accuracy) gives the
  rejection rate as the true difference grows. Its replicates are the first replicates of the
  null arm with a shifted class mean (common random numbers).

Everything goes to ``--out`` (default ``results/calibration/``): ``null_rates.csv``,
``power_curve.csv`` (null row included), ``rejection_rates.png``, ``power_curve.png`` and
``run_info.json`` (wall times, load average, settings). Tables and wall times are printed.

Usage::

    python analyses/calibration.py                  # 1,000 null replicates, 500 per effect
    python analyses/calibration.py --quick          # smoke run: 100 / 50 replicates
    python analyses/calibration.py --replicates 2000 --n-jobs 2 --out results/calib2k
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from clfcompare.calibration import (  # noqa: E402
    BLOCK_SIZE,
    TESTS,
    plot_power_curve,
    plot_rejection_rates,
    simulate_rejection_rates,
)

DEFAULT_EFFECTS = (0.025, 0.05, 0.075, 0.1, 0.125)
QUICK = {"replicates": 100, "power_replicates": 50, "effects": (0.05, 0.1)}
_SHOWN = [
    "test",
    "protocol",
    "effect",
    "true_difference",
    "n_replicates",
    "rejections",
    "rate",
    "mc_se",
    "ci_low",
    "ci_high",
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--replicates", type=int, default=1000, help="null-arm replicates")
    p.add_argument(
        "--power-replicates", type=int, default=500, help="power-arm replicates per effect"
    )
    p.add_argument(
        "--effects",
        type=float,
        nargs="+",
        default=list(DEFAULT_EFFECTS),
        help="population accuracy differences of the power arm",
    )
    p.add_argument("--n-samples", type=int, default=300, help="rows per simulated data set")
    p.add_argument("--base-accuracy", type=float, default=0.75, help="accuracy of feature B")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--rope", type=float, default=0.01, help="rope of the Bayesian test")
    p.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="joblib workers (-1: all cores); the run takes seconds, so starting workers "
        "costs more than it saves",
    )
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("results/calibration"))
    p.add_argument("--quick", action="store_true", help="smoke run with few replicates")
    args = p.parse_args(argv)
    if args.quick:
        args.replicates = QUICK["replicates"]
        args.power_replicates = QUICK["power_replicates"]
        args.effects = list(QUICK["effects"])
    for option, value in (
        ("--replicates", args.replicates),
        ("--power-replicates", args.power_replicates),
    ):
        if value < 1:
            p.error(f"{option} must be at least 1, got {value}")
    if args.power_replicates > args.replicates:
        p.error("--power-replicates must not exceed --replicates (they share replicates)")
    if 0.0 in args.effects:
        p.error("--effects are the power arm; effect 0 is the null arm and always run")
    return args


def _format(table):
    shown = table[_SHOWN].copy()
    for col in ("rate", "mc_se", "ci_low", "ci_high"):
        shown[col] = shown[col].map("{:.3f}".format)
    shown["true_difference"] = shown["true_difference"].map("{:+.4f}".format)
    return shown.to_string(index=False)


def main(argv=None):
    args = parse_args(argv)
    prog = "calibration.py"
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        print(f"{prog}: error: cannot create the output folder {args.out}: {err}", file=sys.stderr)
        return 2
    common = dict(
        alpha=args.alpha,
        n_samples=args.n_samples,
        base_accuracy=args.base_accuracy,
        rope=args.rope,
        random_state=args.random_state,
        n_jobs=args.n_jobs,
    )
    load_before = os.getloadavg()

    # The power arm runs first: the simulation checks all its arguments (the effects too)
    # before it starts, so a bad one is refused at once rather than after the null arm. The
    # arms are seeded independently (same random_state), so the order changes no number.
    try:
        t0 = time.perf_counter()
        power = simulate_rejection_rates(args.power_replicates, list(args.effects), **common)
        wall_power = time.perf_counter() - t0

        t0 = time.perf_counter()
        null = simulate_rejection_rates(args.replicates, 0.0, **common)
        wall_null = time.perf_counter() - t0
    except (TypeError, ValueError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    load_after = os.getloadavg()

    curve = pd.concat([null, power], ignore_index=True)
    null.to_csv(args.out / "null_rates.csv", index=False)
    curve.to_csv(args.out / "power_curve.csv", index=False)

    ax = plot_rejection_rates(null)
    ax.set_title(f"Type I error at α = {args.alpha:g} ({args.replicates} null replicates)")
    ax.figure.tight_layout()
    ax.figure.savefig(args.out / "rejection_rates.png", dpi=150)
    plt.close(ax.figure)

    fig, ax = plt.subplots(figsize=(10, 5.5))
    plot_power_curve(curve, ax=ax)
    ax.set_title(
        "Rejection rate vs accuracy difference "
        f"({args.replicates} replicates at effect 0, {args.power_replicates} per other effect)"
    )
    fig.tight_layout()
    fig.savefig(args.out / "power_curve.png", dpi=150)
    plt.close(fig)

    info = {
        "command": " ".join(sys.argv),
        "replicates": args.replicates,
        "power_replicates": args.power_replicates,
        "effects": list(args.effects),
        "n_samples": args.n_samples,
        "base_accuracy": args.base_accuracy,
        "alpha": args.alpha,
        "rope": args.rope,
        "random_state": args.random_state,
        "n_jobs": args.n_jobs,
        "block_size": BLOCK_SIZE,
        "tests": list(TESTS),
        "wall_s_null": round(wall_null, 2),
        "wall_s_power": round(wall_power, 2),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }
    (args.out / "run_info.json").write_text(json.dumps(info, indent=2) + "\n")

    print(f"Null arm (effect 0): {args.replicates} replicates, n_samples={args.n_samples}")
    print(_format(null))
    print()
    print(f"Power arm: {args.power_replicates} replicates per effect")
    print(_format(power))
    print()
    print(
        f"wall time: null arm {wall_null:.1f} s, power arm {wall_power:.1f} s "
        f"(n_jobs={args.n_jobs}, {os.cpu_count()} CPUs, load average before "
        f"{load_before[0]:.2f}, after {load_after[0]:.2f})"
    )
    print(f"results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
