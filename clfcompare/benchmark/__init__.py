"""Benchmarks across many data sets: run every model on every data set, then compare them.

The Demšar (2006) / Benavoli et al. (2017) workflow:

* :func:`run_benchmark` runs every model on the same repeated cross-validation splits of every
  data set (:func:`clfcompare.trials.run_trials` per data set, one resumable store folder for
  the whole benchmark) and returns :class:`BenchmarkResults`, whose
  :meth:`~BenchmarkResults.score_table` is the data set x model table the tests across data
  sets take;
* :func:`load_datasets` and :func:`load_suite` say where the data sets come from (mappings,
  the built-in offline suite of :mod:`~clfcompare.benchmark.suite`, CSV folders, OpenML ids);
* :func:`analyse_benchmark` computes every number of the comparison once (average ranks, the
  omnibus test, the pairwise or against-control test, cliques, wins/ties/losses, Bayesian
  probabilities) into a frozen :class:`BenchmarkComparison`;
* :mod:`clfcompare.benchmark.plots` draws it (critical-difference diagram, p-value heat map,
  win/tie/loss matrix, posterior simplex) and :mod:`clfcompare.benchmark.report` writes it as
  markdown, HTML and LaTeX.

The figures and the report are imported on use (they load matplotlib).
"""

from clfcompare.benchmark._runner import (
    MANIFEST,
    BenchmarkMismatch,
    BenchmarkResults,
    run_benchmark,
)
from clfcompare.benchmark.analysis import (
    BENCHMARK_TESTS,
    BenchmarkComparison,
    analyse_benchmark,
    read_scores,
)
from clfcompare.benchmark.sources import Dataset, fetch_openml_dataset, load_datasets
from clfcompare.benchmark.suite import SUITE_DATASETS, SUITES, load_suite

__all__ = [
    "BENCHMARK_TESTS",
    "MANIFEST",
    "SUITES",
    "SUITE_DATASETS",
    "BenchmarkComparison",
    "BenchmarkMismatch",
    "BenchmarkResults",
    "Dataset",
    "analyse_benchmark",
    "fetch_openml_dataset",
    "load_datasets",
    "load_suite",
    "read_scores",
    "run_benchmark",
]
