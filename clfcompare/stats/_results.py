"""The frozen result objects every test of :mod:`clfcompare.stats` returns.

:class:`TestResult` (a two-model frequentist test), :class:`BayesianResult` (the posterior of
:func:`~clfcompare.stats.bayesian_correlated_ttest`) and :class:`FriedmanResult` (Friedman with
the Nemenyi post-hoc comparison). Numbers are stored as Python floats/ints so reprs stay
readable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import pandas as pd
from scipy import stats as sps

from clfcompare._checks import check_level

__all__ = ["BayesianResult", "FriedmanResult", "TestResult"]


def _as_float(value):
    """Return ``value`` as a Python float (or ``None``), so reprs stay readable."""
    if value is None:
        return None
    return float(value)


def _fmt(value, digits=4):
    if value is None:
        return "None"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


@dataclass(frozen=True)
class TestResult:
    """Result of a two-model significance test.

    Attributes
    ----------
    test : str
        Name of the test (the function that produced it).
    statistic : float
        Test statistic (t, F, chi-squared, Wilcoxon's W or McNemar's ``min(b, c)``).
    pvalue : float
        p-value for ``alternative``.
    df : float or None
        Degrees of freedom (the numerator degrees of freedom for an F statistic).
    mean_difference : float or None
        Mean of ``scores_a - scores_b`` (for McNemar: ``accuracy_a - accuracy_b``).
    ci_low, ci_high : float or None
        Confidence interval of the mean difference, where the test defines one. One-sided
        alternatives give one-sided intervals (one bound infinite), as in SciPy.
    alternative : str
        ``"two-sided"``, ``"less"`` (A worse than B) or ``"greater"`` (A better than B).
    confidence_level : float or None
        Level of the confidence interval.
    df_denominator : float or None
        Denominator degrees of freedom of an F statistic.
    std_error : float or None
        Standard error of the mean difference used by the statistic.
    n : int or None
        Number of paired observations (splits or samples).
    b, c : int or None
        McNemar's discordant counts: ``b`` samples only A classified correctly, ``c`` samples
        only B classified correctly.
    """

    __test__ = False  # not a pytest test class, despite the name

    test: str
    statistic: float
    pvalue: float
    df: float | None = None
    mean_difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    alternative: str = "two-sided"
    confidence_level: float | None = None
    df_denominator: float | None = None
    std_error: float | None = None
    n: int | None = None
    b: int | None = None
    c: int | None = None

    def __post_init__(self):
        for f in fields(self):
            if f.name in ("test", "alternative"):
                continue
            value = getattr(self, f.name)
            if f.name in ("n", "b", "c"):
                value = None if value is None else int(value)
            else:
                value = _as_float(value)
            object.__setattr__(self, f.name, value)

    def __str__(self):
        parts = [f"{self.test}: statistic={_fmt(self.statistic)}"]
        if self.df is not None:
            df = _fmt(self.df)
            if self.df_denominator is not None:
                df += f", {_fmt(self.df_denominator)}"
            parts.append(f"df={df}")
        parts.append(f"pvalue={_fmt(self.pvalue)} ({self.alternative})")
        text = ", ".join(parts)
        if self.mean_difference is not None:
            text += f"; mean difference={_fmt(self.mean_difference)}"
            if self.ci_low is not None and self.confidence_level is not None:
                level = f"{100 * self.confidence_level:g}%"
                text += f", {level} CI [{_fmt(self.ci_low)}, {_fmt(self.ci_high)}]"
        if self.b is not None:
            text += f"; b={self.b}, c={self.c}"
        return text


@dataclass(frozen=True)
class BayesianResult:
    """Posterior of the mean difference from :func:`bayesian_correlated_ttest`.

    The posterior is a Student t distribution with ``df`` degrees of freedom, location
    ``mean_difference`` and scale ``scale``. "Worse" and "better" are of model A relative to
    model B: ``prob_worse = P(mu < -rope)``, ``prob_equivalent = P(-rope <= mu <= rope)``,
    ``prob_better = P(mu > rope)``.

    Attributes
    ----------
    prob_worse, prob_equivalent, prob_better : float
        Posterior probabilities; they sum to one.
    mean_difference : float
        Posterior location, the mean of ``scores_a - scores_b``.
    scale : float
        Posterior scale (0 when all differences are equal: a point mass).
    df : float
        Degrees of freedom, ``J - 1``.
    rope : float
        Half-width of the region of practical equivalence.
    rho : float or None
        Correlation between splits used, ``n_test / (n_test + n_train)``.
    n : int or None
        Number of splits ``J``.
    """

    prob_worse: float
    prob_equivalent: float
    prob_better: float
    mean_difference: float
    scale: float
    df: float
    rope: float
    rho: float | None = None
    n: int | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            value = (None if value is None else int(value)) if f.name == "n" else value
            if f.name != "n":
                value = _as_float(value)
            object.__setattr__(self, f.name, value)

    def credible_interval(self, level=0.95):
        """Equal-tailed credible interval of the mean difference.

        Parameters
        ----------
        level : float, default=0.95
            Posterior probability inside the interval, in (0, 1).

        Returns
        -------
        (low, high) : tuple of float
        """
        level = check_level(level, "level")
        if self.scale == 0:
            return (self.mean_difference, self.mean_difference)
        low, high = sps.t.interval(level, self.df, loc=self.mean_difference, scale=self.scale)
        return (float(low), float(high))

    def __str__(self):
        return (
            f"bayesian_correlated_ttest: P(A worse)={_fmt(self.prob_worse)}, "
            f"P(equivalent)={_fmt(self.prob_equivalent)}, P(A better)={_fmt(self.prob_better)} "
            f"(rope={_fmt(self.rope)}); posterior t(df={_fmt(self.df)}, "
            f"loc={_fmt(self.mean_difference)}, scale={_fmt(self.scale)})"
        )


@dataclass(frozen=True, eq=False)
class FriedmanResult:
    """Result of :func:`friedman_nemenyi`.

    Attributes
    ----------
    statistic : float
        Friedman's chi-squared statistic (with the correction for ties).
    pvalue : float
        p-value from the chi-squared distribution with ``df = k - 1``.
    df : float
        ``k - 1``.
    average_ranks : pandas.Series
        Average rank of each model (rank 1 = highest score), indexed by model.
    critical_difference : float
        Nemenyi critical difference at level ``alpha``: two models whose average ranks differ by
        at least this much differ significantly.
    pairwise_pvalues : pandas.DataFrame
        Symmetric k-by-k table of Nemenyi p-values (diagonal 1), indexed by model.
    alpha : float
        Significance level of ``critical_difference``.
    q_alpha : float
        Critical value ``q_alpha`` of the Nemenyi test (studentized range / sqrt(2)).
    n_blocks : int
        Number of rows (splits or data sets), ``N``.
    n_models : int
        Number of columns (models), ``k``.
    iman_davenport_statistic : float
        Iman and Davenport's F statistic (``inf`` when every row ranks the models alike).
    iman_davenport_pvalue : float
        Its p-value from F(k - 1, (k - 1)(N - 1)).
    iman_davenport_df : tuple of float
        ``(k - 1, (k - 1)(N - 1))``.
    """

    statistic: float
    pvalue: float
    df: float
    average_ranks: pd.Series
    critical_difference: float
    pairwise_pvalues: pd.DataFrame = field(repr=False)
    alpha: float
    q_alpha: float
    n_blocks: int
    n_models: int
    iman_davenport_statistic: float
    iman_davenport_pvalue: float
    iman_davenport_df: tuple
    test: str = "friedman_nemenyi"

    def __repr__(self):
        ranks = ", ".join(f"{k}: {v:.3g}" for k, v in self.average_ranks.items())
        return (
            f"FriedmanResult(statistic={self.statistic!r}, pvalue={self.pvalue!r}, "
            f"df={self.df!r}, critical_difference={self.critical_difference!r}, "
            f"alpha={self.alpha!r}, n_blocks={self.n_blocks}, n_models={self.n_models}, "
            f"average_ranks={{{ranks}}})"
        )

    def __str__(self):
        ranks = ", ".join(f"{k}={v:.3g}" for k, v in self.average_ranks.items())
        return (
            f"Friedman chi2={_fmt(self.statistic)} (df={_fmt(self.df)}), "
            f"pvalue={_fmt(self.pvalue)}; Iman-Davenport F={_fmt(self.iman_davenport_statistic)}, "
            f"pvalue={_fmt(self.iman_davenport_pvalue)}; N={self.n_blocks}, k={self.n_models}; "
            f"average ranks: {ranks}; Nemenyi CD={_fmt(self.critical_difference)} "
            f"(alpha={_fmt(self.alpha)})"
        )
