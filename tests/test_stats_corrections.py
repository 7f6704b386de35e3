"""Tests of clfcompare.stats.corrections: adjust_pvalues against statsmodels' multipletests.

statsmodels' ``multipletests(p, method="holm")`` / ``method="bonferroni"`` is the independent
reference; the same arithmetic on the same inputs agrees to the last bit (tolerance 0), and
Holm's step-down is also written out by hand below.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from statsmodels.stats.multitest import multipletests

from clfcompare.stats import CORRECTIONS, adjust_pvalues


def _pvalue_sets():
    rng = np.random.default_rng(0)
    yield rng.uniform(0, 1, 10)
    yield rng.uniform(0, 0.05, 15)  # where Holm and Bonferroni differ most
    yield np.array([0.01, 0.04, 0.03, 0.04, 0.002, 0.5])  # ties
    yield np.array([0.3])  # one comparison: no adjustment
    yield np.array([0.0, 1.0, 0.6, 0.6])  # the ends of [0, 1], clipped at 1
    yield np.array([])  # no comparison


@pytest.mark.parametrize("method", ["holm", "bonferroni"])
@pytest.mark.parametrize("case", range(6))
def test_adjust_pvalues_matches_statsmodels(method, case):
    p = list(_pvalue_sets())[case]
    ours = adjust_pvalues(p, method)
    ref = multipletests(p, method=method)[1] if p.size else np.array([])
    assert_array_equal(ours, ref)  # bitwise: the same arithmetic
    assert ours.dtype == np.float64 and ours.shape == p.shape


def test_holm_by_hand():
    # sorted p: 0.01, 0.03, 0.04 times m - i + 1 = 3, 2, 1 -> 0.03, 0.06, 0.04; running max
    # 0.03, 0.06, 0.06; back in the input order
    assert_allclose(adjust_pvalues([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06], rtol=1e-15)
    # Holm is never larger than Bonferroni, and never smaller than the raw p-values
    p = np.random.default_rng(1).uniform(0, 0.2, 12)
    holm, bonf = adjust_pvalues(p, "holm"), adjust_pvalues(p, "bonferroni")
    assert np.all(holm <= bonf) and np.all(holm >= p) and np.any(holm < bonf)


def test_none_is_a_copy():
    p = np.array([0.2, 0.01])
    out = adjust_pvalues(p, "none")
    assert_array_equal(out, p)
    out[0] = 0.5
    assert p[0] == 0.2
    assert CORRECTIONS == ("holm", "bonferroni", "none")


@pytest.mark.parametrize(
    ("pvalues", "method", "exc", "match"),
    [
        ([0.1, 0.2], "hs", ValueError, "method must be one of 'holm', 'bonferroni', 'none'"),
        ([0.1, 1.2], "holm", ValueError, r"pvalues must lie in \[0, 1\]"),
        ([0.1, -0.1], "holm", ValueError, r"pvalues must lie in \[0, 1\]"),
        ([0.1, np.nan], "holm", ValueError, "pvalues contains 1 non-finite"),
        ([[0.1, 0.2]], "holm", ValueError, "pvalues must be 1-dimensional"),
        (0.1, "holm", ValueError, "pvalues must be 1-dimensional"),
        (["a", "b"], "holm", TypeError, "pvalues must be an array of numbers"),
        (None, "holm", TypeError, "pvalues must be an array of numbers, got None"),
    ],
)
def test_adjust_pvalues_bad_input(pvalues, method, exc, match):
    with pytest.raises(exc, match=match):
        adjust_pvalues(pvalues, method)
