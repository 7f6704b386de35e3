"""Batched grid search: every candidate on every fold trained together in one stacked run.

:class:`BatchedGridSearchCV` is :class:`sklearn.model_selection.GridSearchCV` for
:class:`~clfcompare.estimators.TorchMLPClassifier` (alone, or the last step of a
:class:`~sklearn.pipeline.Pipeline`): instead of ``candidates x folds`` separate fits it trains
all of them, and the refit of every candidate on the whole data, with
:func:`~clfcompare.estimators.fit_splits_stacked` (one engine run for the candidates that
differ only in ``learning_rate``, ``alpha``, ``loss``, ``square_loss_k``/``square_loss_M``,
Adam's parameters, ``init_std`` or ``random_state``; one run per group otherwise). Each fitted
network is the one ``GridSearchCV`` would fit (bitwise on the CPU with one thread), so the
scores, ranks and best parameters are GridSearchCV's; only the time differs.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from joblib import effective_n_jobs
from scipy.stats import rankdata
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, ParameterGrid, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import indexable
from threadpoolctl import threadpool_limits

from clfcompare.estimators import TorchMLPClassifier, fit_splits_stacked, resolve_device

__all__ = ["BatchedGridSearchCV", "MIN_NETWORKS_PER_JOB"]

#: Fewest networks per part when ``n_jobs`` splits a batched run (below, the threads'
#: contention for the interpreter costs more than the second core gives; measured on 2 cores).
MIN_NETWORKS_PER_JOB = 100


class BatchedGridSearchCV(GridSearchCV):
    """``GridSearchCV`` whose candidates x folds train together (TorchMLPClassifier).

    Same parameters, attributes and methods as :class:`~sklearn.model_selection.GridSearchCV`
    (``cv_results_`` with the same keys, ``best_params_``, ``best_score_``, ``best_index_``,
    ``best_estimator_``, ``refit_time_``, ``scorer_``, ``n_splits_``, ``predict``/``score``
    and the other delegations). The batched path applies when ``estimator`` is a
    ``TorchMLPClassifier`` or a ``Pipeline`` ending in one, ``scoring`` is one metric
    (``None``, a name or a callable) and ``fit`` gets no parameters but ``groups``.

    How it trains:

    * the candidates (``ParameterGrid(param_grid)``) are cloned and fitted on every fold's
      training rows by :func:`~clfcompare.estimators.fit_splits_stacked`; with
      ``refit=True`` (or a callable) the whole data set is one more split of the same run, so
      ``best_estimator_`` is the candidate's fit on all rows (what GridSearchCV refits);
    * a Pipeline's earlier steps are fitted per fold (``fit_transform`` on the fold's
      training rows, as ``Pipeline.fit``); the transformed training rows of all folds are
      stacked into one array (folds x rows) and each fold's network trains on its block.
      Candidates with different parameters of the earlier steps are one run per setting;
    * ``mean_fit_time`` is the run's time divided evenly among its networks (plus the
      preprocessing of the fold); ``refit_time_`` the refits' share.

    Anything else (another estimator, several metrics, fit parameters) runs
    ``GridSearchCV.fit`` unchanged, as does a stacked run that raises (e.g. a diverging
    candidate, which GridSearchCV scores with ``error_score``). ``pre_dispatch`` does not
    apply to the batched run.

    ``n_jobs`` (default ``None``: one) splits the candidates of a large batched run into up to
    ``n_jobs`` parts of at least :data:`MIN_NETWORKS_PER_JOB` networks each, trained at the
    same time in Python threads of this process, every thread on one torch thread (each
    network still bitwise its lone fit: the parts are stacked runs like any other). It pays
    only for large grids on idle cores: on a 2-core CPU (2-50-100-50-4, batch 5, torch 2.13)
    two parts of 100 networks took 2.8-3.0 s against 3.7-4.0 s in one run, two parts of 20
    took 1.3-1.6 s against 0.9 s, and with the cores busy (load 1.6-2.2) no size gained (a
    search of 40 candidates x 6 fits: 9.7-10.5 s with ``n_jobs=2``, 9.8-10.6 s without). Torch's
    own intra-op threads (the estimator's ``n_threads=2``) gained less: 3.2-3.4 s against
    3.8 s at 200 networks, 2.3 s against 0.9 s at 40. Guards against oversubscription: no
    split on a GPU, with an estimator whose ``n_threads`` is above 1 or whose ``random_state``
    is ``None`` (its seeds would be drawn in the threads' order), in a Pipeline search,
    inside a worker process (``multiprocessing.parent_process()``, e.g. a joblib worker) or
    outside the main thread; during the split torch and the BLAS run one thread each, and
    torch's thread count and float32 matmul precision are restored afterwards.

    Examples
    --------
    >>> from clfcompare.datasets import make_curve
    >>> from clfcompare.estimators import TorchMLPClassifier
    >>> from clfcompare.search import BatchedGridSearchCV
    >>> X, y = make_curve(2, random_state=0)
    >>> net = TorchMLPClassifier(hidden_layer_sizes=(8,), batch_size=None, max_epochs=20,
    ...                          device="cpu", random_state=0)
    >>> search = BatchedGridSearchCV(net, {"learning_rate": [0.01, 0.05]}, cv=3).fit(X, y)
    >>> sorted(search.best_params_)
    ['learning_rate']
    """

    def fit(self, X, y=None, *, groups=None, **params):
        """Run the search (batched where it applies, see the class); returns ``self``."""
        final = self.estimator
        if isinstance(final, Pipeline):
            final = final.steps[-1][1]
        multimetric = callable(self.scoring) is False and not (
            self.scoring is None or isinstance(self.scoring, str)
        )
        if params or multimetric or not isinstance(final, TorchMLPClassifier):
            return super().fit(X, y, groups=groups, **params)
        try:
            return self._batched_fit(X, y, groups)
        except Exception:  # noqa: BLE001 - one candidate's error is GridSearchCV's to score
            # a diverging or invalid candidate, or preprocessing the stacked run cannot take
            # (e.g. a sparse step output): GridSearchCV fits one by one and applies
            # error_score (raising with error_score="raise")
            return super().fit(X, y, groups=groups)

    def _batched_fit(self, X, y, groups):
        X, y, groups = indexable(X, y, groups)
        candidates = list(ParameterGrid(self.param_grid))
        if not candidates:
            raise ValueError("param_grid gives no candidates")
        estimators = [clone(self.estimator).set_params(**p) for p in candidates]  # names
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        folds = list(cv.split(X, y, groups))
        n_splits, n_samples = len(folds), len(y)
        refit = bool(self.refit)
        trains = [train for train, _ in folds] + ([np.arange(n_samples)] if refit else [])
        fitted, fit_times = self._fit_all(estimators, X, y, trains)
        y_arr = np.asarray(y)
        test_scores = np.empty((len(candidates), n_splits))
        train_scores = np.empty((len(candidates), n_splits))
        score_times = np.empty((len(candidates), n_splits))
        for i in range(len(candidates)):
            for k, (train, test) in enumerate(folds):
                start = time.perf_counter()
                test_scores[i, k] = scorer(fitted[i][k], _rows(X, test), y_arr[test])
                score_times[i, k] = time.perf_counter() - start
                if self.return_train_score:
                    train_scores[i, k] = scorer(fitted[i][k], _rows(X, train), y_arr[train])
        results = {}

        def store(name, values):
            mean = np.average(values, axis=1)
            results[f"mean_{name}"] = mean
            results[f"std_{name}"] = np.sqrt(np.average((values - mean[:, None]) ** 2, axis=1))

        store("fit_time", fit_times[:, :n_splits])
        store("score_time", score_times)
        for name in sorted({key for p in candidates for key in p}):
            column = np.ma.MaskedArray(np.empty(len(candidates), dtype=object), mask=True)
            for i, p in enumerate(candidates):
                if name in p:
                    column[i] = p[name]
            results[f"param_{name}"] = column
        results["params"] = candidates
        for k in range(n_splits):
            results[f"split{k}_test_score"] = test_scores[:, k]
        store("test_score", test_scores)
        means = results["mean_test_score"]
        if np.isnan(means).all():
            ranks = np.ones(len(means), dtype=np.int32)
        else:
            filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
            ranks = rankdata(-filled, method="min").astype(np.int32)
        results["rank_test_score"] = ranks
        if self.return_train_score:
            for k in range(n_splits):
                results[f"split{k}_train_score"] = train_scores[:, k]
            store("train_score", train_scores)
        self.cv_results_ = results
        self.multimetric_ = False
        self.scorer_ = scorer
        self.n_splits_ = n_splits
        # as GridSearchCV with one metric: best_index_/best_params_ (and best_score_ unless
        # refit is callable) also without a refit; best_estimator_ only with one
        if callable(self.refit):
            self.best_index_ = int(self.refit(results))
        else:
            self.best_index_ = int(ranks.argmin())
            self.best_score_ = float(means[self.best_index_])
        self.best_params_ = candidates[self.best_index_]
        if refit:
            self.best_estimator_ = fitted[self.best_index_][n_splits]
            self.refit_time_ = float(fit_times[self.best_index_, n_splits])
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _n_parts(self, estimators, n_splits):
        """Parts trained at the same time (1 unless ``n_jobs`` asks and the guards allow)."""
        n_jobs = effective_n_jobs(self.n_jobs)
        final = self.estimator
        if (
            n_jobs <= 1
            or isinstance(final, Pipeline)
            or resolve_device(final.device).type != "cpu"
            or final.n_threads not in (None, 1)
            or final.random_state is None
            or multiprocessing.parent_process() is not None
            or threading.current_thread() is not threading.main_thread()
        ):
            return 1
        by_size = len(estimators) * n_splits // MIN_NETWORKS_PER_JOB
        return max(1, min(n_jobs, os.cpu_count() or 1, len(estimators), by_size))

    def _fit_all(self, estimators, X, y, trains):
        """Fitted estimators ``[candidate][split]`` and their fit times (even shares)."""
        times = np.zeros((len(estimators), len(trains)))
        if not isinstance(self.estimator, Pipeline):
            start = time.perf_counter()
            n_parts = self._n_parts(estimators, len(trains))
            if n_parts == 1:
                fitted = fit_splits_stacked(estimators, X, y, trains)
            else:
                fitted = _fit_parts(estimators, X, y, trains, n_parts)
            times[:] = (time.perf_counter() - start) / times.size
            return fitted, times
        # pipelines: one run per setting of the earlier steps' parameters
        fitted = [None] * len(estimators)
        settings = {}
        for i, pipe in enumerate(estimators):
            head = Pipeline(pipe.steps[:-1])
            key = repr(sorted(head.get_params(deep=True).items(), key=lambda kv: kv[0]))
            settings.setdefault(key, []).append(i)
        y_arr = np.asarray(y)
        for members in settings.values():
            blocks, ys, heads, splits, at = [], [], [], [], 0
            pre = np.zeros(len(trains))
            for k, train in enumerate(trains):
                start = time.perf_counter()
                head = clone(Pipeline(estimators[members[0]].steps[:-1]))
                blocks.append(np.asarray(head.fit_transform(_rows(X, train), y_arr[train])))
                pre[k] = time.perf_counter() - start
                ys.append(y_arr[train])
                heads.append(head)
                splits.append(np.arange(at, at + len(train)))
                at += len(train)
            finals = [estimators[i].steps[-1][1] for i in members]
            start = time.perf_counter()
            nets = fit_splits_stacked(finals, np.vstack(blocks), np.concatenate(ys), splits)
            share = (time.perf_counter() - start) / (len(members) * len(trains))
            for i, row in zip(members, nets, strict=True):
                steps = estimators[i].steps
                fitted[i] = [
                    Pipeline([*head.steps, (steps[-1][0], net)], memory=estimators[i].memory)
                    for head, net in zip(heads, row, strict=True)
                ]
                times[i] = share + pre
        return fitted, times


def _fit_parts(estimators, X, y, trains, n_parts):
    """``fit_splits_stacked`` of ``n_parts`` parts of the candidates, in threads at once.

    torch's thread count, its float32 matmul precision (each run sets and restores both,
    process-wide: runs that overlap would restore each other's values) and the BLAS threads
    are pinned for the whole section and restored after it.
    """
    parts = [p.tolist() for p in np.array_split(np.arange(len(estimators)), n_parts)]

    def run(part):
        return fit_splits_stacked([estimators[i] for i in part], X, y, trains)

    threads, precision = torch.get_num_threads(), torch.get_float32_matmul_precision()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(n_parts) as pool:
            results = list(pool.map(run, parts))
    finally:
        torch.set_num_threads(threads)
        torch.set_float32_matmul_precision(precision)
    return [row for rows in results for row in rows]


def _rows(X, rows):
    """``X[rows]`` for arrays, sparse matrices and DataFrames."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]
