"""Draw the figures the README shows (the curve data sets) into ``docs/``.

Run from the repository root: ``python analyses/readme_figures.py``.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from clfcompare.datasets import bayes_accuracy, load_curve  # noqa: E402
from clfcompare.plots import plot_curve_data  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs"


def main():
    OUT.mkdir(exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    for ax, k in zip(axes, (2, 4), strict=True):
        X, y = load_curve(k)
        plot_curve_data(X, y, ax=ax)
        ax.set_title(f"load_curve({k}): {len(y)} points, Bayes accuracy {bayes_accuracy(k):.3f}")
    path = OUT / "curve_data.png"
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
