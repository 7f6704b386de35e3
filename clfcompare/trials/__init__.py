"""Repeated cross-validation trials of many models on the same splits, with a durable store.

Public names: :func:`run_trials`, :class:`TrialResults`, :func:`load_results`,
:func:`count_finished` (the finished trials in a store, read cheaply),
:class:`SetupMismatch` (a store's refusal of another set-up, whose
:meth:`~SetupMismatch.grouped_differences` lists them as its message does) with its
:class:`SetupDifference`, and :class:`StoreError` (a store that cannot be used: not a
store, damaged, read-only with trials to run, its disk full; ``.path`` names it);
:class:`RepeatedKFoldWithHalves` (repeated K-fold CV plus the half partitions of Nadeau &
Bengio's conservative Z), :func:`derive_seed` (the seed a model with an integer
``random_state`` gets on each split), and :func:`variance_components` /
:func:`anova_components` (how the score variance of a split x seed design divides into data
split and initialisation).

A *trial* is one model fitted on one training split and scored on its test split. Every model
sees the same materialised splits (a paired design, which the significance tests in
:mod:`clfcompare.stats` assume). With ``store="run.sqlite"`` every finished trial is committed
to an SQLite file as it finishes; running again resumes, and :func:`load_results` reads the
tables back: scores, per-sample predictions, class probabilities (models with
``predict_proba``), loss curves and how each trial was fitted (alone or in a batch of splits
trained together: a model with a ``fit_splits`` hook, or a Pipeline ending in one).

This package imports numpy, pandas, scipy, scikit-learn, joblib, tqdm and
:mod:`clfcompare._checks` only (threadpoolctl inside worker processes): nothing of the
estimators or of the analysis layer, and not torch (``tests/test_layers.py``).
"""

from clfcompare.trials._designs import RepeatedKFoldWithHalves
from clfcompare.trials._integrity import StoreError
from clfcompare.trials._results import TrialResults
from clfcompare.trials._runner import load_results, run_trials
from clfcompare.trials._seeds import derive_seed
from clfcompare.trials._store import SetupDifference, SetupMismatch, count_finished
from clfcompare.trials._variance import VARIANCE_COLUMNS, anova_components, variance_components

__all__ = [
    "run_trials",
    "TrialResults",
    "load_results",
    "count_finished",
    "SetupMismatch",
    "SetupDifference",
    "StoreError",
    "RepeatedKFoldWithHalves",
    "derive_seed",
    "variance_components",
    "anova_components",
    "VARIANCE_COLUMNS",
]
