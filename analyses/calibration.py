"""Test the tests: Type I error and power of every significance test of clfcompare.stats.

The simulation of :mod:`clfcompare.calibration` (two exchangeable groups of Gaussian features,
the same learner on each, a fresh data set of ``--n-samples`` rows per replicate), for one or
several *learner arms* (``--arm``): ``nearest_mean`` (stable), ``tree`` (fully grown) and
``1nn`` (unstable), ``mlp`` (the lecture's network through the batched engine; on a GPU with
``--device cuda``); ``cpu`` is the three CPU arms. For each arm:

* the **null arm** (effect 0: both models have exactly equal expected accuracy) gives each
  test's Type I error at alpha = 0.05;
* the **power arm** (group A more accurate by ``effect`` in population accuracy) gives the
  rejection rate as the true difference grows. Its replicates are the first replicates of the
  null arm with a shifted class mean (common random numbers).

Everything goes to ``--out`` (default ``results/calibration/``): ``null_rates.csv``,
``power_curve.csv`` (null row included), ``rejection_rates.png``, ``power_curve.png``,
``summary.md`` (Type I error and power per test, the README's table) and ``run_info.json``
(wall times, load average, settings, device). With several arms each arm writes these into
``--out/<arm>/`` and the combined ``all_rates.csv``, ``summary.md`` and
``calibration_arms.png`` (Type I error of every test per arm, and power) go to ``--out``;
``--docs-figure PATH`` also saves that figure at PATH. Tables and wall times are printed.

Usage::

    python analyses/calibration.py                  # nearest mean: 1,000 null, 500 per effect
    python analyses/calibration.py --quick          # smoke run: 100 / 50 replicates
    python analyses/calibration.py --arm cpu --power-replicates 1000 --effects 0.05 0.1 \\
        --n-jobs 2 --out results/calibration_arms --docs-figure docs/calibration_arms.png
    # the lecture's MLP on a GPU, one call (stops starting blocks after --max-seconds):
    python analyses/calibration.py --arm mlp --device cuda --power-replicates 1000 \\
        --effects 0.05 0.1 --max-seconds 420 --out "$OUT/mlp"
    # a small MLP on the CPU
    python analyses/calibration.py --arm mlp --device cpu --mlp-hidden 8 --mlp-epochs 10 \\
        --mlp-batch-size 0 --replicates 50 --power-replicates 50 --effects 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

try:  # a GPU machine may lack matplotlib: then the tables only
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:  # pragma: no cover - depends on the machine
    plt = None

from clfcompare.calibration import (
    BLOCK_SIZE,
    TESTS,
    plot_power_curve,
    plot_rejection_rates,
    simulate_rejection_rates,
)

DEFAULT_EFFECTS = (0.025, 0.05, 0.075, 0.1, 0.125)
QUICK = {"replicates": 100, "power_replicates": 50, "effects": (0.05, 0.1)}
ARMS = ("nearest_mean", "tree", "1nn", "mlp")
CPU_ARMS = ("nearest_mean", "tree", "1nn")
_SHOWN = [
    "learner",
    "test",
    "protocol",
    "effect",
    "observed_difference",
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
    p.add_argument(
        "--arm",
        nargs="+",
        default=["nearest_mean"],
        choices=[*ARMS, "cpu"],
        help="learner arm(s); 'cpu' = nearest_mean tree 1nn (default: nearest_mean)",
    )
    p.add_argument(
        "--n-features",
        type=int,
        default=None,
        help="features per model (default: 1 for nearest_mean, 2 for the other arms)",
    )
    p.add_argument("--n-samples", type=int, default=300, help="rows per simulated data set")
    p.add_argument("--base-accuracy", type=float, default=0.75, help="accuracy of group B")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--rope", type=float, default=0.01, help="rope of the Bayesian test")
    p.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="joblib workers (-1: all cores); the nearest-mean arm takes seconds, so starting "
        "workers costs more than it saves; on a GPU several workers share the card (the "
        "engine's per-network CPU work runs in parallel)",
    )
    p.add_argument("--block-size", type=int, default=None, help="replicates per block")
    p.add_argument(
        "--max-seconds",
        type=float,
        default=None,
        help="per simulation call: start no new wave of blocks (one per worker) past this "
        "wall time (whole blocks are kept; the tables then hold fewer replicates)",
    )
    mlp = p.add_argument_group("mlp arm (default: the lecture's network, 100 epochs)")
    mlp.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    mlp.add_argument("--mlp-hidden", type=int, nargs="+", default=[50, 100, 50])
    mlp.add_argument("--mlp-epochs", type=int, default=100)
    mlp.add_argument(
        "--mlp-batch-size", type=int, default=5, help="rows per step; 0: all rows per step"
    )
    mlp.add_argument("--mlp-loss", default="ce", choices=["ce", "mse"])
    mlp.add_argument(
        "--mlp-learning-rate", type=float, default=None, help="default: the loss's default"
    )
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("results/calibration"))
    p.add_argument("--docs-figure", type=Path, default=None, help="also save the arms figure")
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
    arms = []
    for arm in args.arm:
        arms += list(CPU_ARMS) if arm == "cpu" else [arm]
    args.arm = list(dict.fromkeys(arms))
    if args.mlp_batch_size < 0:
        p.error(f"--mlp-batch-size must be at least 0, got {args.mlp_batch_size}")
    return args


def learner_for(arm, args):
    """The ``learner`` argument of the simulation for ``arm``."""
    if arm != "mlp":
        return arm
    from clfcompare.estimators import TorchMLPClassifier

    return TorchMLPClassifier(
        loss=args.mlp_loss,
        hidden_layer_sizes=tuple(args.mlp_hidden),
        batch_size=args.mlp_batch_size or None,
        max_epochs=args.mlp_epochs,
        learning_rate=args.mlp_learning_rate,
        device=args.device,
    )


def _format(table):
    shown = table[_SHOWN].copy()
    for col in ("rate", "mc_se", "ci_low", "ci_high"):
        shown[col] = shown[col].map("{:.3f}".format)
    shown["observed_difference"] = shown["observed_difference"].map("{:+.4f}".format)
    return shown.to_string(index=False)


def summary_markdown(curve):
    """One row per (learner, test): Type I error with its 95% interval, power per effect."""
    effects = sorted(e for e in curve["effect"].unique() if e != 0)
    head = ["learner", "test", "protocol", "Type I error [95% CI]", "R (null)"]
    head += [f"power at {e:g}" for e in effects] + ["R (power)"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * 3 + " ---: |" * (len(head) - 3)]
    for (learner, test), sub in curve.groupby(["learner", "test"], sort=False):
        null = sub[sub["effect"] == 0].iloc[0]
        cells = [
            learner,
            f"`{test}`",
            null.protocol,
            f"{null.rate:.3f} [{null.ci_low:.3f}, {null.ci_high:.3f}]",
            str(int(null.n_replicates)),
        ]
        power = sub[sub["effect"] != 0].set_index("effect")
        cells += [f"{power.loc[e, 'rate']:.3f}" for e in effects]
        cells.append(str(int(power["n_replicates"].min())) if len(power) else "–")
        lines.append("| " + " | ".join(cells) + " |")
    observed = curve.groupby(["learner", "effect"], sort=False)["observed_difference"].first()
    notes = ", ".join(f"{m} {e:g}: {v:+.4f}" for (m, e), v in observed.items())
    lines += ["", f"Mean observed 10x10 accuracy difference (learner, effect): {notes}."]
    return "\n".join(lines) + "\n"


def run_arm(arm, args, out, common):
    """Simulate one arm; write its tables and figures into ``out``; return (curve, info)."""
    learner = learner_for(arm, args)
    kwargs = dict(common, learner=learner, n_jobs=args.n_jobs, max_seconds=args.max_seconds)
    t0 = time.perf_counter()
    if args.power_replicates == args.replicates:
        # one call for every effect: model B's fits (one stacked MLP run) serve them all
        both = simulate_rejection_rates(args.replicates, [0.0, *args.effects], **kwargs)
        null = both[both["effect"] == 0].reset_index(drop=True)
        power = both[both["effect"] != 0].reset_index(drop=True)
        wall_null, wall_power = time.perf_counter() - t0, 0.0
        stopped = both.attrs.get("stopped_early", False)
    else:
        # The power arm runs first: the simulation checks all its arguments (the effects too)
        # before it starts, so a bad one is refused at once rather than after the null arm.
        # The arms are seeded independently (same random_state), so the order changes no
        # number.
        power = simulate_rejection_rates(args.power_replicates, list(args.effects), **kwargs)
        wall_power = time.perf_counter() - t0
        t0 = time.perf_counter()
        null = simulate_rejection_rates(args.replicates, 0.0, **kwargs)
        wall_null = time.perf_counter() - t0
        stopped = power.attrs.get("stopped_early", False) or null.attrs.get("stopped_early", False)
    curve = pd.concat([null, power], ignore_index=True)
    out.mkdir(parents=True, exist_ok=True)
    null.to_csv(out / "null_rates.csv", index=False)
    curve.to_csv(out / "power_curve.csv", index=False)
    (out / "summary.md").write_text(summary_markdown(curve))
    n_null = int(null["n_replicates"].iloc[0])
    n_power = int(power["n_replicates"].iloc[0])
    if plt is not None:
        _arm_figures(arm, args, out, null, curve, n_null, n_power)
    info = {
        "arm": arm,
        "learner": repr(learner),
        "n_features": null.attrs.get("n_features"),
        "replicates": n_null,
        "power_replicates": n_power,
        "stopped_early": bool(stopped),
        "n_jobs": kwargs["n_jobs"],
        "wall_s_null": round(wall_null, 2),
        "wall_s_power": round(wall_power, 2),
    }
    return curve, info


def _arm_figures(arm, args, out, null, curve, n_null, n_power):
    ax = plot_rejection_rates(null)
    ax.set_title(f"{arm}: Type I error at α = {args.alpha:g} ({n_null} null replicates)")
    ax.figure.tight_layout()
    ax.figure.savefig(out / "rejection_rates.png", dpi=150)
    plt.close(ax.figure)

    fig, ax = plt.subplots(figsize=(10, 5.5))
    plot_power_curve(curve, ax=ax)
    ax.set_title(
        f"{arm}: rejection rate vs accuracy difference "
        f"({n_null} replicates at effect 0, {n_power} per other effect)"
    )
    fig.tight_layout()
    fig.savefig(out / "power_curve.png", dpi=150)
    plt.close(fig)


def _device_info(arms, args):
    if "mlp" not in arms:
        return None
    import torch

    info = {"torch": torch.__version__, "device": args.device}
    if torch.cuda.is_available():
        info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def arms_figure(curve, alpha, effect, path):
    """Type I error of every test per arm (left) and power at ``effect`` (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(15, 0.5 * curve["test"].nunique() + 2.5))
    plot_rejection_rates(curve[curve["effect"] == 0], ax=axes[0])
    axes[0].set_title(f"Type I error at α = {alpha:g}, 95% Wilson intervals")
    plot_rejection_rates(curve[curve["effect"] == effect], ax=axes[1])
    axes[1].set_xlim(0, 1)
    axes[1].set_title(f"Power at a population accuracy difference of {effect:g}")
    axes[1].set_yticklabels([])
    handles, labels = axes[0].get_legend_handles_labels()
    for ax in axes:
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


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
        n_features=args.n_features,
        base_accuracy=args.base_accuracy,
        rope=args.rope,
        random_state=args.random_state,
        block_size=args.block_size,
    )
    load_before = os.getloadavg()
    single = len(args.arm) == 1
    curves, infos = [], []
    try:
        for arm in args.arm:
            curve, info = run_arm(arm, args, args.out if single else args.out / arm, common)
            curves.append(curve)
            infos.append(info)
    except (TypeError, ValueError) as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    load_after = os.getloadavg()

    curve = pd.concat(curves, ignore_index=True)
    if not single:
        curve.to_csv(args.out / "all_rates.csv", index=False)
        (args.out / "summary.md").write_text(summary_markdown(curve))
    figure_effect = max(args.effects, key=lambda e: (abs(e - 0.1) < 1e-12, -abs(e - 0.1)))
    if plt is None:
        print("matplotlib is not installed: tables only, no figures")
    elif not single or args.docs_figure is not None:
        paths = [args.out / "calibration_arms.png"]
        if args.docs_figure is not None:
            paths.append(args.docs_figure)
        for path in paths:
            arms_figure(curve, args.alpha, figure_effect, path)

    info = {
        "command": " ".join(sys.argv),
        "arms": infos,
        "effects": list(args.effects),
        "n_samples": args.n_samples,
        "base_accuracy": args.base_accuracy,
        "alpha": args.alpha,
        "rope": args.rope,
        "random_state": args.random_state,
        "block_size": args.block_size or BLOCK_SIZE,
        "max_seconds": args.max_seconds,
        "tests": list(TESTS),
        "wall_s_null": sum(i["wall_s_null"] for i in infos),
        "wall_s_power": sum(i["wall_s_power"] for i in infos),
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": _device_info(args.arm, args),
    }
    (args.out / "run_info.json").write_text(json.dumps(info, indent=2) + "\n")

    for arm_info, arm_curve in zip(infos, curves, strict=True):
        null = arm_curve[arm_curve["effect"] == 0]
        power = arm_curve[arm_curve["effect"] != 0]
        print(f"{arm_info['arm']}: null arm (effect 0), {arm_info['replicates']} replicates, "
              f"n_samples={args.n_samples}")  # fmt: skip
        print(_format(null))
        print()
        print(
            f"{arm_info['arm']}: power arm, {arm_info['power_replicates']} replicates per effect"
        )
        print(_format(power))
        print()
        print(
            f"{arm_info['arm']}: wall time null {arm_info['wall_s_null']:.1f} s, power "
            f"{arm_info['wall_s_power']:.1f} s (n_jobs={arm_info['n_jobs']}"
            + (", stopped early at --max-seconds" if arm_info["stopped_early"] else "")
            + ")"
        )
        print()
    print(
        f"{os.cpu_count()} CPUs, load average before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f}"
    )
    print(f"results in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
