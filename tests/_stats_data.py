"""Data and reference formulas shared by the tests of clfcompare.stats (tests/test_stats_*.py).

tests/ is on sys.path (no __init__.py), so the test modules import this as ``_stats_data``.
"""

import numpy as np
import pandas as pd
from scipy import stats as sps

RTOL = 1e-10  # same formula, same inputs: agreement to rounding


def cv_scores(seed, n_splits=50, shift=0.01, noise=0.02):
    """Correlated-looking paired accuracies for two models on ``n_splits`` splits."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.8, 0.03, n_splits)
    a = common + shift + rng.normal(0, noise, n_splits)
    b = common + rng.normal(0, noise, n_splits)
    return a, b


def sklearn_example_corrected_ttest(differences, n_train, n_test):
    """scikit-learn example plot_grid_search_stats.py (current version).

    corrected_std: var(differences, ddof=1) * (1/kr + n_test/n_train), kr = len(differences);
    t = mean / corrected_std, df = n - 1. The example once reported the one-sided
    ``t.sf(|t|, df)`` (and used 1/(n_train + n_test) instead of 1/kr); the current one doubles
    it: p = 2 * t.sf(|t|, df).
    """
    kr = len(differences)
    corrected_std = np.sqrt(np.var(differences, ddof=1) * (1 / kr + n_test / n_train))
    t_stat = np.mean(differences) / corrected_std
    df = kr - 1
    return t_stat, 2 * sps.t.sf(np.abs(t_stat), df), corrected_std


def make_predictions(seed, n=300, acc_a=0.8, acc_b=0.72):
    """Labels in {0, 1, 2} and two models' predictions with about these accuracies."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    wrong = lambda acc: rng.random(n) > acc  # noqa: E731
    pred_a = np.where(wrong(acc_a), (y + 1) % 3, y)
    pred_b = np.where(wrong(acc_b), (y + 2) % 3, y)
    return y, pred_a, pred_b


def score_table(seed, n_blocks=12, k=4, decimals=None):
    """An (n_blocks, k) table of scores, models m0 (best) .. m{k-1}; rounding creates ties."""
    rng = np.random.default_rng(seed)
    base = rng.normal(0.8, 0.05, (n_blocks, 1))
    effects = np.linspace(0.03, 0.0, k)
    table = base + effects + rng.normal(0, 0.02, (n_blocks, k))
    if decimals is not None:
        table = np.round(table, decimals)  # creates ties
    return pd.DataFrame(table, columns=[f"m{j}" for j in range(k)])
