"""`run_benchmark`: every model on the same splits of every data set, in one resumable store."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from tqdm import tqdm

from clfcompare._checks import InputError, check_bool, check_int
from clfcompare.benchmark.sources import load_datasets
from clfcompare.trials import TrialResults, count_finished, run_trials

MANIFEST = "manifest.json"
_FORMAT = "clfcompare-benchmark"
_VERSION = 1


class BenchmarkMismatch(ValueError):
    """A benchmark store refused a run whose set-up differs from the one it was made with.

    Attributes
    ----------
    path : Path
        The store folder.
    differences : list of tuple
        ``(dataset or None, what, stored, now)``, e.g. ``("iris", "data", "3f2a...",
        "9b1c...")`` or ``(None, "scoring", ["accuracy"], ["f1_macro"])``.
    """

    def __init__(self, path, differences):
        self.path = Path(path)
        self.differences = list(differences)
        parts = []
        for dataset, what, stored, now in self.differences:
            where = f"data set {dataset!r}: " if dataset is not None else ""
            if what == "data":
                parts.append(f"{where}X or y differs from the data the store was made with")
            else:
                parts.append(f"{where}{what}: stored {stored}, now {now}")
        super().__init__(
            f"the benchmark store {str(self.path)!r} was made for a different set-up; refusing "
            f"to mix results. Differences: {' | '.join(parts)}. Use another store folder or "
            "the original set-up."
        )

    def __reduce__(self):
        return (type(self), (self.path, self.differences))


def _digest(X, y):
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(np.asarray(X)), np.asarray(y)):
        if a.dtype == object:
            a = a.astype(str)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _file_name(name, taken):
    """A file name for a data set: its name made safe, plus a short digest of the name."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")[:40] or "dataset"
    tag = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    file = f"{stem}-{tag}.sqlite"
    i = 1
    while file in taken:  # a digest collision of 32 bits: practically never
        file, i = f"{stem}-{tag}-{i}.sqlite", i + 1
    return file


def _read_manifest(folder):
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read the benchmark manifest {str(path)!r}: {err}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not a clfcompare benchmark manifest")
    return manifest


def _write_manifest(folder, manifest):
    """Write the manifest atomically (a kill leaves the old or the new one, never half)."""
    path = Path(folder) / MANIFEST
    tmp = path.with_name(f".{MANIFEST}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _prepare_store(folder, data, scoring, models):
    """Create or check the store folder; returns ``{dataset: sqlite path}``.

    A data set whose X or y differ from the stored ones, or another scoring, is refused before
    any trial runs (:class:`BenchmarkMismatch`); new data sets and models are added.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"the benchmark store {folder} is a file; give a folder")
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).exists():
        manifest = _read_manifest(folder)
    else:
        manifest = {"format": _FORMAT, "version": _VERSION, "scoring": list(scoring),
                    "models": [], "datasets": []}  # fmt: skip
    entries = {d["name"]: d for d in manifest["datasets"]}
    differences = []
    if manifest["scoring"] != list(scoring):
        differences.append((None, "scoring", manifest["scoring"], list(scoring)))
    for name, (X, y) in data.items():
        entry = entries.get(name)
        if entry is not None and entry["digest"] != _digest(X, y):
            differences.append((name, "data", entry["digest"][:12], _digest(X, y)[:12]))
    if differences:
        raise BenchmarkMismatch(folder, differences)
    taken = {d["file"] for d in manifest["datasets"]}
    for name, (X, y) in data.items():
        if name not in entries:
            file = _file_name(name, taken)
            taken.add(file)
            entry = {
                "name": name,
                "file": file,
                "digest": _digest(X, y),
                "n_samples": int(len(y)),
                "n_features": int(np.shape(X)[1]) if np.ndim(X) == 2 else None,
                "n_classes": int(len(np.unique(np.asarray(y)))),
                "description": getattr(data[name], "description", ""),
            }
            manifest["datasets"].append(entry)
            entries[name] = entry
    manifest["models"] = list(dict.fromkeys([*manifest["models"], *models]))
    _write_manifest(folder, manifest)
    return {name: folder / entries[name]["file"] for name in data}


def _check_cv(cv):
    if cv is None or (isinstance(cv, Integral) and not isinstance(cv, bool)):
        return cv
    if isinstance(cv, type):
        raise TypeError(
            f"cv is the class {cv.__name__}, not a splitter instance; use {cv.__name__}(...)"
        )
    if not callable(getattr(cv, "split", None)):
        raise TypeError(
            "cv must be None, an int or an sklearn splitter (its split(X, y) is called on every "
            f"data set); got {type(cv).__name__}: index pairs fit one data set only"
        )
    return cv


def _backend_name():
    """The name and n_jobs of the active joblib backend (to re-enter it in worker threads)."""
    backend, n_jobs = joblib.parallel.get_active_backend()
    for name, cls in joblib.parallel.BACKENDS.items():
        if type(backend) is cls:
            return name, n_jobs
    return None, n_jobs


class BenchmarkResults:
    """What :func:`run_benchmark` returns: one :class:`~clfcompare.trials.TrialResults` per
    data set, and the tables across data sets.

    Attributes
    ----------
    results : dict
        ``{dataset: TrialResults}`` in the order of the data sets.
    datasets : tuple of str
    models : tuple of str
    scoring : tuple of str
    info : pandas.DataFrame
        One row per data set (index ``dataset``): ``n_samples``, ``n_features``,
        ``n_classes``, ``description``.
    store : Path or None
        The store folder.
    timings : dict
        ``{dataset: seconds}`` spent running that data set's trials in this call.
    n_resumed : int
        Trials read back from the store rather than run in this call.
    """

    def __init__(self, results, *, info=None, store=None, timings=None, n_resumed=0):
        if not isinstance(results, Mapping) or not results:
            raise TypeError("results must be a non-empty mapping {dataset: TrialResults}")
        for name, res in results.items():
            if not isinstance(res, TrialResults):
                raise TypeError(
                    f"results[{name!r}] must be a TrialResults, got {type(res).__name__}"
                )
        self.results = dict(results)
        self.datasets = tuple(self.results)
        first = next(iter(self.results.values()))
        self.models = tuple(first.models)
        self.scoring = tuple(first.scoring)
        for name, res in self.results.items():
            if tuple(res.models) != self.models or tuple(res.scoring) != self.scoring:
                raise ValueError(
                    f"results[{name!r}] has models {res.models} and scoring {res.scoring}; "
                    f"the first data set has {self.models} and {self.scoring}"
                )
        if info is None:
            info = pd.DataFrame(index=pd.Index(list(self.datasets), name="dataset"))
        self.info = info
        self.store = None if store is None else Path(store)
        self.timings = dict(timings or {})
        self.n_resumed = int(n_resumed)

    @classmethod
    def from_store(cls, path, *, models=None):
        """Load a benchmark from its store folder (read-only).

        Parameters
        ----------
        path : str or Path
            The folder :func:`run_benchmark` wrote (its ``manifest.json`` and SQLite files).
        models : sequence of str, optional
            The models to keep (default: every model of the manifest, in its order).
        """
        folder = Path(path)
        manifest = _read_manifest(folder)
        keep = list(models) if models is not None else manifest["models"]
        results, rows = {}, []
        for entry in manifest["datasets"]:
            file = folder / entry["file"]
            if not file.exists():
                continue
            res = TrialResults.from_store(file)
            missing = [m for m in keep if m not in res.models]
            if missing:
                raise ValueError(
                    f"the store of data set {entry['name']!r} holds no trial of {missing}"
                )
            results[entry["name"]] = _select(res, keep)
            rows.append(entry)
        if not results:
            raise ValueError(f"the benchmark store {str(folder)!r} holds no data set yet")
        return cls(results, info=_info_frame(rows), store=folder)

    @property
    def is_complete(self):
        """True when every data set has every trial."""
        return all(r.is_complete for r in self.results.values())

    def score_table(self, metric=None):
        """Mean score of every model on every data set (over its splits).

        Parameters
        ----------
        metric : str, optional
            One of :attr:`scoring` or ``"fit_time"`` (default: the first scoring).

        Returns
        -------
        pandas.DataFrame
            Index ``dataset`` (the data sets in order), one column per model.
        """
        metric = self.scoring[0] if metric is None else metric
        rows = {name: res.score_table(metric).mean(axis=0) for name, res in self.results.items()}
        table = pd.DataFrame(rows).T.reindex(columns=list(self.models))
        table.index = pd.Index(list(self.results), name="dataset")
        table.columns = pd.Index(list(self.models), name="model")
        return table.astype(float)

    def scores_long(self):
        """Every trial's scores stacked: ``dataset, model, split, repeat, fold, metric, value``."""
        frames = []
        for name, res in self.results.items():
            frame = res.scores_long()
            frame.insert(0, "dataset", name)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out["dataset"] = out["dataset"].astype(str)
        return out

    def __repr__(self):
        n = sum(len(r.scores) for r in self.results.values())
        total = sum(len(r.models) * r.n_splits for r in self.results.values())
        return (
            f"BenchmarkResults(datasets={len(self.datasets)}, models={self.models!r}, "
            f"scoring={self.scoring!r}, trials={n}/{total})"
        )


def _select(res, models):
    """``res`` restricted to ``models`` (in that order)."""
    if tuple(res.models) == tuple(models):
        return res
    keep = list(models)
    return TrialResults(
        res.scores[res.scores["model"].isin(keep)].reset_index(drop=True),
        res.predictions[res.predictions["model"].isin(keep)].reset_index(drop=True),
        res.loss_curves[res.loss_curves["model"].isin(keep)].reset_index(drop=True),
        models=keep,
        scoring=res.scoring,
        n_splits=res.n_splits,
        design=res.design,
        seeding=res.seeding,
    )


def _info_frame(rows):
    cols = ["n_samples", "n_features", "n_classes", "description"]
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    frame.index = pd.Index([r["name"] for r in rows], name="dataset")
    return frame


def _annotate(exc, dataset):
    with contextlib.suppress(AttributeError, TypeError):
        exc.clfcompare_dataset = dataset
    if hasattr(exc, "add_note"):
        exc.add_note(f"(clfcompare.run_benchmark: on data set {dataset!r})")


def run_benchmark(
    models,
    datasets,
    *,
    cv=None,
    scoring=("accuracy",),
    store=None,
    n_jobs=None,
    random_state=0,
    progress=True,
    target=None,
):
    """Every model on the same cross-validation splits of every data set.

    Parameters
    ----------
    models : dict of str -> estimator
        Names mapped to unfitted sklearn classifiers (as for
        :func:`clfcompare.trials.run_trials`; a model with the many-split hook, such as
        :class:`~clfcompare.TorchMLPClassifier`, trains all its splits of a data set at once).
    datasets : mapping, str, path, int or list
        ``{name: (X, y)}``, a suite name (``"offline"``), built-in data set names, a folder of
        CSV files, OpenML ids: anything :func:`clfcompare.benchmark.load_datasets` takes.
    cv : None, int or splitter, default=None
        Applied to every data set: ``None`` is ``RepeatedStratifiedKFold(n_splits=5,
        n_repeats=10, random_state=random_state)``, an int ``k`` a shuffled
        ``StratifiedKFold(k)``. Every model of a data set sees the same splits.
    scoring : str or tuple of str, default=("accuracy",)
    store : str or Path, default=None
        A folder: ``manifest.json`` (the data sets, their digests, the scoring, the models)
        and one SQLite trial store per data set. Every finished trial is committed as it
        finishes; running again resumes. A data set whose data changed, another scoring, or
        (per data set, by its store) other splits or model parameters under a stored name are
        refused (:class:`BenchmarkMismatch` or :class:`clfcompare.trials.SetupMismatch`, both
        ``ValueError``); new data sets and new models are added.
    n_jobs : int, default=None
        Workers. ``None`` or 1: the data sets one after the other, each split of a data set
        in this process. Otherwise up to ``n_jobs`` data sets run at once (one thread each,
        which only waits and commits) and their splits are tasks of the active joblib
        backend: the process pool (loky) by default, or a dask.distributed cluster inside
        ``with joblib.parallel_config(backend="dask"):`` (data sets x splits then spread over
        the cluster). Results are identical for any ``n_jobs`` and backend.
    random_state : int, default=0
        Seeds the default and integer ``cv`` (pass the same value to resume a store).
    progress : bool, default=True
        A progress bar over the data sets on stderr (when it is a terminal).
    target : str, optional
        The label column of CSV files given in ``datasets``.

    Returns
    -------
    BenchmarkResults

    Examples
    --------
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from clfcompare.benchmark import run_benchmark
    >>> bench = run_benchmark({"nb": GaussianNB(), "knn": KNeighborsClassifier()},
    ...                       ["iris", "moons"], cv=3, progress=False)
    >>> bench.score_table().shape
    (2, 2)
    >>> bench.results["iris"].n_splits
    3
    """
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict mapping names to estimators")
    cv = _check_cv(cv)
    n_jobs = check_int(n_jobs, "n_jobs", allow_none=True)
    if n_jobs == 0:
        raise ValueError("n_jobs must be non-zero (a positive count, or -1 for all CPUs), got 0")
    random_state = check_int(random_state, "random_state", low=0, allow_none=True)
    progress = check_bool(progress, "progress")
    if isinstance(scoring, str):
        scoring = (scoring,)
    scoring = tuple(scoring)
    data = load_datasets(datasets, target=target)
    paths = None
    if store is not None:
        paths = _prepare_store(store, data, scoring, list(models))

    names = list(data)
    timings, resumed = {}, {}
    backend, backend_jobs = _backend_name()
    n_threads = 1
    if n_jobs not in (None, 1) and len(names) > 1:
        n_threads = min(len(names), max(1, joblib.effective_n_jobs(n_jobs)))

    def one(name):
        X, y = data[name]
        path = None if paths is None else paths[name]
        before = 0 if path is None else count_finished(path, list(models))
        t0 = time.perf_counter()
        config = (
            joblib.parallel_config(backend=backend, n_jobs=backend_jobs)
            if n_threads > 1 and backend is not None
            else contextlib.nullcontext()
        )
        try:
            with config:
                res = run_trials(
                    models,
                    X,
                    y,
                    cv=cv,
                    scoring=scoring,
                    n_jobs=n_jobs,
                    store=path,
                    random_state=random_state,
                    progress=progress and n_threads == 1,
                )
        except BaseException as exc:
            _annotate(exc, name)
            raise
        timings[name] = time.perf_counter() - t0
        resumed[name] = before
        return res

    bar = tqdm(
        total=len(names),
        desc="run_benchmark",
        unit="dataset",
        file=sys.stderr,
        disable=not (progress and sys.stderr.isatty()),
    )
    results = {}
    with bar:
        if n_threads == 1:
            for name in names:
                bar.set_postfix_str(name)
                results[name] = one(name)
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=n_threads) as pool:
                futures = {name: pool.submit(one, name) for name in names}
                try:
                    for name in names:
                        results[name] = futures[name].result()
                        bar.update(1)
                except BaseException:
                    for f in futures.values():
                        f.cancel()
                    raise
    rows = []
    for name in names:
        X, y = data[name]
        rows.append(
            {
                "name": name,
                "n_samples": int(len(y)),
                "n_features": int(np.shape(X)[1]) if np.ndim(X) == 2 else None,
                "n_classes": int(len(np.unique(np.asarray(y)))),
                "description": getattr(data[name], "description", ""),
            }
        )
    return BenchmarkResults(
        {name: results[name] for name in names},
        info=_info_frame(rows),
        store=store,
        timings=timings,
        n_resumed=sum(resumed.values()),
    )
