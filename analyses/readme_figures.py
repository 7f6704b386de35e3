"""Draw the figures the README shows (the curve data, the tests' Type I error) into ``docs/``.

Run from the repository root: ``python analyses/readme_figures.py``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from clfcompare.calibration import plot_rejection_rates, simulate_rejection_rates  # noqa: E402
from clfcompare.datasets import bayes_accuracy, load_curve  # noqa: E402
from clfcompare.plots import plot_curve_data  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs"


def main():
    OUT.mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 4.8), constrained_layout=True)
    for ax, k in zip(axes, (2, 4), strict=True):
        X, y = load_curve(k)
        plot_curve_data(X, y, ax=ax)
        # two lines: the legend stands beside the axes, so one line is wider than the panel
        ax.set_title(f"load_curve({k}): {len(y)} points\nBayes accuracy {bayes_accuracy(k):.3f}")
    path = OUT / "curve_data.png"
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")

    # the null arm of analyses/calibration.py with its defaults (1,000 replicates, seed 0)
    table = simulate_rejection_rates(1000, random_state=0)
    ax = plot_rejection_rates(table)
    path = OUT / "calibration_type1.png"
    ax.figure.savefig(path, dpi=90, bbox_inches="tight")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
