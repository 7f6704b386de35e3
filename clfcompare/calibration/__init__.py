r"""Calibration of the significance tests: Type I error and power, by simulation.

A significance test at level :math:`\alpha` should reject a true null hypothesis in at most a
fraction :math:`\alpha` of experiments. Dietterich (1998), Nadeau & Bengio (2003) and Bouckaert
& Frank (2004) showed that several popular tests for comparing classifiers do not: the
uncorrected t-test on repeated cross-validation treats overlapping training and test sets as
independent and rejects far too often, and tests that ignore training-set variability become
liberal for unstable learners. This package measures the Type I error and the power of every
test of :mod:`clfcompare.stats`, applied as a user would apply it, for stable and unstable
learners (the *learner arms*).

The simulation
--------------
Two classes of equal size (``n_samples // 2`` and the rest), labels :math:`y \in \{0, 1\}`.
Model A sees only its own group of :math:`p` features, model B only its own group; every
feature is independent of the others given the class:

.. math::

    x_{j,k} \mid y \sim \mathcal{N}\!\left((y - \tfrac12)\, d_j / \sqrt p,\; 1\right),
    \qquad j \in \{a, b\},\; k = 1..p,

so the Bayes accuracy of group :math:`j` is :math:`\Phi(d_j/2)` whatever :math:`p`.

*Null arm* (``effect=0``): :math:`d_a = d_b`, so swapping the two groups leaves the joint
distribution of the data unchanged. The two models then have exactly equal expected accuracy
for every split, while their accuracies on any one split differ (they make different errors).

*Power arm* (``effect > 0``): group *a* is made more informative,

.. math::

    d_b = 2\,\Phi^{-1}(p_0), \qquad d_a = 2\,\Phi^{-1}(p_0 + \delta),

with :math:`p_0` the ``base_accuracy`` and :math:`\delta` the ``effect``: the difference of the
two groups' Bayes (population, infinite-training) accuracies. The learners are trained on
finite samples, so their expected accuracy difference is smaller than :math:`\delta` (much
smaller for 1-NN and trees); the tables give the observed difference.

The learner arms
----------------
Both models are the same learner (``learner=``), fitted on every split of every replicate of a
block at once:

``"nearest_mean"`` (stable; the default, one feature per model)
    The nearest class mean: from the training rows the class means :math:`\hat m_0, \hat m_1`;
    class 1 when :math:`(\hat m_1 - \hat m_0)\cdot(x - (\hat m_0 + \hat m_1)/2) > 0`. Fitting is
    a pair of masked sums; the fitted model's population accuracy has a closed form
    (``true_difference``).
``"tree"`` (unstable)
    A fully grown decision tree, scikit-learn's ``DecisionTreeClassifier(random_state=0)``
    (Gini, best splits, pure leaves), one fit per split.
``"1nn"`` (unstable)
    The nearest training row (Euclidean distance) decides.
``"mlp"`` or a ``TorchMLPClassifier`` (in between)
    The lecture's network (cross-entropy, 50-100-50 ReLU, Adam, mini-batches of 5, 100
    epochs), or any other settings of :class:`~clfcompare.estimators.TorchMLPClassifier` (a
    small network and few epochs for the CPU, ``device="cuda"`` for the full arm), trained by
    the batched engine: every network of a block of replicates in one ``fit_splits`` call, each
    split's network from its own seed (initial weights drawn afresh per split; models A and B
    of one split share it, as the trial runner's default does).

With one feature per model a fully grown tree predicts exactly what 1-NN predicts (both cut the
line between neighbouring training values, the tree at their midpoint), so the tree, 1-NN and
MLP arms give each model its own group of **two** exchangeable features (``n_features=None``);
there a tree's axis-parallel cuts and 1-NN's Voronoi cells differ. The nearest-mean arm keeps
one feature per model, the setting of the package's earlier tables.

Every replicate draws a fresh data set and fresh splits. All splits are stratified (round-robin
assignment of each class, in a random order, to the folds).

The tests and their protocols
-----------------------------
============================  ========================  ==========================================
``test``                      protocol                  call
============================  ========================  ==========================================
``conservative_z``            10x10 CV + 10 halves      ``conservative_z(a, b, half_a, half_b)``
``corrected_ttest``           10x10 CV                  ``corrected_ttest(a, b, n_train, n_test)``
``paired_ttest_10x10``        10x10 CV (same scores)    ``paired_ttest(a, b)`` (uncorrected)
``paired_ttest_10fold``       10-fold CV                ``paired_ttest(a, b)``
``wilcoxon_10x10``            10x10 CV                  ``wilcoxon_test(a, b)``
``wilcoxon_10fold``           10-fold CV                ``wilcoxon_test(a, b)``
``paired_ttest_5x2cv``        5x2 CV                    ``paired_ttest_5x2cv(a, b)``
``combined_ftest_5x2cv``      5x2 CV                    ``combined_ftest_5x2cv(a, b)``
``mcnemar_exact``             hold-out (2/3 : 1/3)      ``mcnemar(y, pred_a, pred_b, exact=True)``
``mcnemar_chi2``              hold-out (2/3 : 1/3)      ``mcnemar(y, pred_a, pred_b, exact=False)``
``bayesian_correlated_ttest`` 10x10 CV                  ``bayesian_correlated_ttest(a, b, n_train,
                                                        n_test, rope=rope)``
============================  ========================  ==========================================

The 10-fold CV is the first repeat of the 10x10 CV (a single 10-fold CV in its own right). The
conservative Z's halves are Nadeau and Bengio's design (``clfcompare.trials.
RepeatedKFoldWithHalves``' default for a 10-fold main CV): 10 random stratified half/half
partitions of the rows, a stratified 5-fold CV inside each half (train 0.4 n, test 0.1 n), so
each model is fitted 211 times per replicate (100 + 100 + 10 + 1). A frequentist test rejects
when its p-value is at most ``alpha``. The Bayesian correlated t-test "rejects equality" when
the posterior probability that A is better, or that B is better (by more than ``rope``),
exceeds ``threshold`` (0.95 by default).

What the simulation can and cannot show
---------------------------------------
The nearest-class-mean learner is very *stable*: its one threshold barely moves between
training sets. That is the best case for the tests that ignore training-set variability (the
single 10-fold t-test and Wilcoxon, McNemar on one split). The tree and 1-NN arms are the
unstable case: the scores of splits that share training rows covary more than the corrected
t-test's factor ``n_test / n_train`` allows, and it becomes liberal, while the conservative Z,
whose variance comes from independent halves, holds its level. The failure of the uncorrected
tests on 10x10 CV does not need instability: the ten repeats reuse the same test rows, so their
100 scores carry little more information than 10.

The Bayesian rule is not a level-``alpha`` test by construction: with ``rope=0`` and
``threshold=0.95`` it rejects exactly when the corrected t-test's two-sided p-value is below
0.10 (the posterior is the corrected t distribution), and a wider rope makes it stricter, so its
rejection rate under the null depends on ``rope`` relative to the standard error of the mean
difference.

Cost: every test call takes well under a millisecond (``wilcoxon_test`` computes the exact
signed-rank null with tied ranks itself, about 0.1 ms per call); the ``cpu_s`` column of the
tables shows each test's share. The fits dominate for the tree (about 0.7 ms each, 211 per
model and replicate; model B's fits are shared by all effects) and the MLP.

Monte Carlo error
-----------------
With :math:`k` rejections in :math:`R` replicates the rate is :math:`\hat r = k/R`, its Monte
Carlo standard error :math:`\sqrt{\hat r (1 - \hat r)/R}` (Morris et al., 2019), and the 95%
interval is Wilson's score interval or the Clopper–Pearson interval.

Reproducibility and parallelism
-------------------------------
Replicate :math:`i` draws all of its random numbers from its own generator, seeded by the
:math:`i`-th child of ``np.random.SeedSequence(random_state)``. Replicates run in blocks of
:data:`BLOCK_SIZE` (one vectorised fit per block) dispatched with joblib, so results are
identical for every ``n_jobs`` and block size, and the first :math:`R` replicates of a longer
run are the same data sets as a run of :math:`R`. Different effects use the same random numbers
(common random numbers), so a power curve is smooth and differences between effects are not
Monte Carlo noise. (An MLP on a GPU agrees with itself to float32 rounding.)

Layout
------
The package's private modules: ``_data`` (data, splits), ``_learners`` (the arms),
``_simulate`` (replicates, tests, rates) and ``_plots`` (the two figures); every public name is
importable from :mod:`clfcompare.calibration`.

References
----------
.. [1] T. G. Dietterich, "Approximate statistical tests for comparing supervised classification
   learning algorithms", Neural Computation 10(7), 1895-1923, 1998.
.. [2] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine Learning 52,
   239-281, 2003.
.. [3] R. R. Bouckaert and E. Frank, "Evaluating the replicability of significance tests for
   comparing learning algorithms", PAKDD 2004, LNCS 3056, 3-12.
.. [4] E. Alpaydin, "Combined 5x2cv F test for comparing supervised classification learning
   algorithms", Neural Computation 11(8), 1885-1892, 1999.
.. [5] A. Benavoli, G. Corani, J. Demšar and M. Zaffalon, "Time for a change: a tutorial for
   comparing multiple classifiers through Bayesian analysis", JMLR 18(77), 1-36, 2017.
.. [6] T. P. Morris, I. R. White and M. J. Crowther, "Using simulation studies to evaluate
   statistical methods", Statistics in Medicine 38(11), 2074-2102, 2019.
.. [7] E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
   JASA 22(158), 209-212, 1927; C. J. Clopper and E. S. Pearson, "The use of confidence or
   fiducial limits illustrated in the case of the binomial", Biometrika 26(4), 404-413, 1934.
"""

from clfcompare.calibration._data import (
    conditional_accuracy,
    separation_for_accuracy,
    stratified_fold_ids,
)
from clfcompare.calibration._learners import LEARNERS, fit_nearest_mean, lecture_mlp
from clfcompare.calibration._plots import plot_power_curve, plot_rejection_rates
from clfcompare.calibration._simulate import (
    BLOCK_SIZE,
    TESTS,
    binomial_interval,
    monte_carlo_se,
    power_curve,
    simulate_rejection_rates,
    simulate_replicates,
    summarize_rejections,
)

__all__ = [
    "BLOCK_SIZE",
    "LEARNERS",
    "TESTS",
    "binomial_interval",
    "conditional_accuracy",
    "fit_nearest_mean",
    "lecture_mlp",
    "monte_carlo_se",
    "plot_power_curve",
    "plot_rejection_rates",
    "power_curve",
    "separation_for_accuracy",
    "simulate_rejection_rates",
    "simulate_replicates",
    "stratified_fold_ids",
    "summarize_rejections",
]
