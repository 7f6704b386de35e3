"""The durable SQLite store of a trial run: how it is opened, written and read, and the
refusal of another set-up.

Layout (every value is plain data: INTEGER, REAL, TEXT; nothing is pickled)::

    meta(key TEXT PRIMARY KEY, value TEXT)          JSON values: format, version, data and
                                                    split fingerprints (indices, repeat/fold
                                                    numbers), cv class, scoring, label dtype,
                                                    design and seeding (absent in stores
                                                    written before issue 11)
    models(name TEXT PRIMARY KEY, position INTEGER, cls TEXT, params TEXT)
                                                    params: JSON {name: rendered value}
    trials(model, split, repeat, fold, n_train, n_test, fit_time, scores, n_epochs)
                                                    PRIMARY KEY (model, split); scores: JSON
    predictions(model, split, position, sample, y_true, y_pred)
                                                    PRIMARY KEY (model, split, position)
    loss_curves(model, split, epoch, loss)          PRIMARY KEY (model, split, epoch)
    classes(position, label)                        the sorted class labels of y
    trial_extras(model, split, fit_batch_time, fit_batch_size, probabilities)
                                                    PRIMARY KEY (model, split);
                                                    probabilities: JSON, n_test lists of
                                                    n_classes numbers, or NULL

The last two tables are written by stores made since issue 13. A store made before lacks
them: it is read (no probabilities, fit batches unknown: NaN time, size 1); resumed with
trials to write, it gets them when opened for writing (:meth:`TrialStore.make_writable`),
so that its new trials have probabilities and fit batches (its earlier ones stay without).

One finished trial (its ``trials`` row, its ``n_test`` predictions and its ``n_epochs`` loss
values) is written in one transaction, so a killed writer leaves either the whole trial or
nothing of it. The database runs in WAL mode with ``synchronous=FULL``: a committed trial
survives a killed process and a power cut. An existing file is opened read-only and checked
(schema, set-up, rows: :mod:`._integrity`) before anything is written to it, and is opened
for writing only when a trial or model is to be added: a file that is not a store is never
written to, and a complete store is read from a read-only folder. Every SQLite error becomes
a :class:`StoreError` naming the store (a full disk: "disk full", every committed trial
kept). The fingerprint of a set-up is computed in :mod:`._fingerprint`.

Why one module of about 1,000 lines: opening (read-only first, then for writing, with the
retries a racing set-up needs), writing and reading the store, and comparing a run's set-up
with the stored one (:class:`SetupMismatch`), are one concept: what a store holds and when
it may be resumed.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from clfcompare._checks import check_int, check_names
from clfcompare.trials._fingerprint import (  # noqa: F401 - the store's fingerprint functions
    hash_data,
    hash_split_labels,
    hash_splits,
    model_fingerprint,
    params_at_default,
    render_param,
)
from clfcompare.trials._integrity import (
    EXTRA_SCHEMA,
    FORMAT,
    SCHEMA,
    VERSION,
    StoreError,
    check_rows,
    check_schema,
    error_kind,
    has_extras,
    parse_meta,
    parse_models,
    parse_probabilities,
    parse_scores,
    store_error,
)

#: Seconds a store waits for another process's lock (and retries a busy set-up) before
#: giving up with a StoreError.
_BUSY_SECONDS = 60.0


def _param_hint(stored, now):
    """Why two rendered parameter values that look alike are still refused ("" if none)."""
    if stored is None or now is None:
        return ""
    if now.startswith(stored + "[code "):
        return (
            ": the store was written before clfcompare fingerprinted the code of lambdas, "
            "local and __main__ functions, so it cannot tell whether this function changed, "
            "use a new store path"
        )
    try:
        same_number = float(stored) == float(now)
    except ValueError:
        return ""
    if same_number:
        return (
            ": an int and a float are different settings to many estimators, e.g. "
            "max_features=1 is one feature and 1.0 all of them, pass the stored one"
        )
    return ""


# --------------------------------------------------------------------------- SQL values
def to_sql_values(arr):
    """A 1-D array as a list of Python scalars sqlite3 can bind (int, float, str, bytes).

    The write path's only conversion (the crash tests patch it to fail inside a write).
    """
    out = np.asarray(arr).tolist()
    if np.asarray(arr).dtype.kind == "O":
        out = [v.item() if isinstance(v, np.generic) else v for v in out]
    return out


def check_storable_labels(y):
    """Raise ValueError unless every distinct label of ``y`` round-trips through the store.

    Each distinct value is bound to SQLite and read back as :func:`run_trials` reads stored
    predictions; it must come back equal and in ``y``'s dtype. Checked before any fit, so
    that labels SQLite cannot hold (``uint64`` from :math:`2^{63}`, ``longdouble``, objects
    sqlite3 cannot bind) do not fail after the fitting work is done.
    """
    import pandas as pd

    y = np.asarray(y)
    codes, _ = pd.factorize(y.astype(object) if y.dtype.kind not in "biufUSO" else y)
    first = np.unique(codes, return_index=True)[1]
    sample = y[first]
    con = sqlite3.connect(":memory:")
    try:
        for value in sample:
            # what to_sql_values binds for this label (element by element, it is .item());
            # not a call of it: that is the write path's alone, which the crash tests count
            bound = value.item() if isinstance(value, np.generic) else value
            try:
                (back,) = con.execute("SELECT ?", (bound,)).fetchone()
                ok = as_label_array([back], y.dtype)
                problem = (
                    None
                    if ok.dtype == y.dtype and bool(ok[0] == value)
                    else f"it comes back as {back!r}"
                )
            except (OverflowError, TypeError, ValueError, sqlite3.Error) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if problem is not None:
                raise ValueError(
                    f"y holds labels the trial store cannot hold: {value!r} "
                    f"(dtype {y.dtype}; {problem}). Encode y as int64 or str (e.g. with "
                    "sklearn.preprocessing.LabelEncoder), or run without a store."
                )
    finally:
        con.close()


def as_label_array(values, dtype):
    """``values`` as a 1-D array of the label dtype ``dtype`` where that is value-preserving.

    Used on predictions and on labels read back from the store, so that both paths of
    :func:`run_trials` (in memory, through the store) give the same column dtypes.
    """
    if dtype.kind == "O":
        out = np.empty(len(values), dtype=object)
        out[:] = list(values)
        return out
    arr = np.asarray(values)
    if arr.dtype == dtype:
        return arr
    families = ("biuf", "US")
    if not any(arr.dtype.kind in f and dtype.kind in f for f in families):
        return arr
    try:
        cast = arr.astype(dtype)
    except (TypeError, ValueError):
        return arr
    return cast if np.array_equal(cast, arr) else arr


# --------------------------------------------------------------------------- refusals
class SetupDifference(NamedTuple):
    """One way a run's set-up differs from the one a trial store was made with.

    Attributes
    ----------
    kind : str
        ``"data"`` (``name`` is ``"X"`` or ``"y"``; the values are content digests, for ``y``
        ``(digest, dtype)``), ``"n_samples"``, ``"splits"`` (the split indices differ; the
        values are the numbers of splits), ``"split-numbering"`` (the same splits numbered
        by another kind of cv; the values are cv class names, ``stored`` None when the store
        did not record it), ``"scoring"`` (tuples of scorer names), ``"design"`` (the
        :attr:`TrialResults.design` dicts, None for plain CV), ``"seeding"`` (the seeding
        dicts: scheme, seeds, n_seeds, seed_design; ``stored`` None for a store written when
        every split was fitted with the model's own ``random_state``, refused only when a
        trial of a model with an integer ``random_state`` would be added to it),
        ``"model-class"`` or ``"model-param"`` (``name`` is the parameter; the values are
        rendered with :func:`render_param`, None where the parameter is absent).
    name : str
        The setting that differs.
    stored, now : object
        Its value in the store and in this run.
    model : str or None
        The model, for the two ``model-`` kinds.
    """

    kind: str
    name: str
    stored: object
    now: object
    model: str | None = None

    def text(self, *, advice=True):
        """This difference in the words of :class:`SetupMismatch`'s message.

        A model parameter reads ``name (stored value, now value[: why they differ])``, the
        part its model's ``model 'm' parameters differ: ...`` lists; ``advice=False`` leaves
        out what the splits' differences advise (``; pass the same ...``).
        """
        stored, now = self.stored, self.now
        if self.kind == "model-param":
            shown = ["<absent>" if v is None else v for v in (stored, now)]
            return f"{self.name} (stored {shown[0]}, now {shown[1]}{_param_hint(stored, now)})"
        if self.kind == "data":
            what = "the data" if self.name == "X" else "the labels"
            return f"{self.name} differs from {what} the store was made with"
        if self.kind == "n_samples":
            return f"n_samples: stored {stored}, now {now}"
        if self.kind == "splits":
            tail = "; pass the same cv, with a fixed random_state, to resume" if advice else ""
            return f"the cross-validation splits differ (stored {stored} splits, now {now}){tail}"
        if self.kind == "split-numbering":
            tail = "; pass the same kind of cv" if advice else ""
            return (
                f"the splits are numbered differently (stored repeat/fold from a "
                f"{stored or '?'}, now from a {now}){tail}"
            )
        if self.kind == "scoring":
            return f"scoring: stored {stored}, now {now}"
        if self.kind == "design":
            return f"the resampling design differs (stored {stored}, now {now})"
        if self.kind == "seeding":
            if stored is None:
                return (
                    "the store was written when every split was fitted with the model's own "
                    "integer random_state; this run derives a seed per split "
                    f"({now}), and resuming would mix the two in one model's trials"
                )
            return f"the seeding differs (stored {stored}, now {now})"
        if self.kind == "model-class":
            return f"model {self.model!r}: class stored {stored}, now {now}"
        raise ValueError(f"unknown kind of set-up difference {self.kind!r}")


def group_differences(differences):
    """``[(model or None, [difference, ...])]``: a model's changed parameters together (the
    message lists them as one part), every other difference alone, in order."""
    out = []
    for (kind, model), group in itertools.groupby(differences, key=lambda d: (d.kind, d.model)):
        if kind == "model-param":
            out.append((model, list(group)))
        else:
            out.extend((None, [d]) for d in group)
    return out


class SetupMismatch(ValueError):
    """A trial store refused a run whose set-up differs from the one it was made with.

    Parameters
    ----------
    path : str
        The store.
    differences : list of SetupDifference
        Every difference found, in the order of the message.
    empty : bool, default=False
        The store holds no finished trial (set up by a run that finished none): nothing
        would be lost by deleting it.

    Examples
    --------
    >>> err = SetupMismatch("run.sqlite", [SetupDifference("n_samples", "n_samples", 9, 8)])
    >>> err.differences[0].stored, err.empty
    (9, False)
    >>> print(err)  # doctest: +NORMALIZE_WHITESPACE
    the trial store 'run.sqlite' was made for a different set-up; refusing to mix results.
    Differences: n_samples: stored 9, now 8. Use another store path or the original set-up.
    """

    def __init__(self, path, differences, *, empty=False):
        self.path = path
        self.differences = list(differences)
        self.empty = bool(empty)
        joined = " | ".join(
            f"model {model!r} parameters differ: " + "; ".join(d.text() for d in group)
            if model is not None
            else group[0].text()
            for model, group in self.grouped_differences()
        )
        if self.empty:
            message = (
                f"the trial store {path!r} holds no finished trial; it was made for a "
                f"different set-up by a run that stored none. Differences: {joined}. "
                "Nothing would be lost: delete it or use another store path."
            )
        else:
            message = (
                f"the trial store {path!r} was made for a different set-up; refusing to mix "
                f"results. Differences: {joined}. Use another store path or the original "
                "set-up."
            )
        super().__init__(message)

    def grouped_differences(self):
        """The differences as the message lists them: ``[(model or None, [difference, ...])]``.

        A model's changed parameters come together under its name (one part of the
        message); every other difference is a part of its own, under ``None``; in order.

        Examples
        --------
        >>> err = SetupMismatch("run.sqlite", [
        ...     SetupDifference("model-param", "C", "1.0", "2.0", model="svc"),
        ...     SetupDifference("model-param", "kernel", "'rbf'", "'linear'", model="svc"),
        ...     SetupDifference("n_samples", "n_samples", 9, 8)])
        >>> [(model, [d.name for d in group]) for model, group in err.grouped_differences()]
        [('svc', ['C', 'kernel']), (None, ['n_samples'])]
        """
        return group_differences(self.differences)

    def __reduce__(self):  # picklable with its fields (ValueError's pickles args only)
        return (_rebuild_mismatch, (self.path, self.differences, self.empty))


def _rebuild_mismatch(path, differences, empty):
    return SetupMismatch(path, differences, empty=empty)


# --------------------------------------------------------------------------- the store
def count_finished(path, models=None, *, n_splits=None):
    """How many trials the store at ``path`` holds finished (of ``models`` when given).

    Reads the store's set-up and its index of finished trials only (not the predictions or
    loss curves), read-only: cheap, and safe while another process writes to the store (a
    command counts before a run, to say how much it resumes, and when it is interrupted).

    Parameters
    ----------
    path : str or os.PathLike
        The store.
    models : iterable of str, optional
        Count only the trials of these model names (a dict counts its keys).
    n_splits : int, optional
        The number of splits of the run about to use the store: a store made for another
        number counts 0, since none of its trials can be reused (:func:`run_trials` refuses
        the run).

    Returns
    -------
    int
        0 when there is no file at ``path``.

    Raises
    ------
    StoreError
        ``path`` is not a clfcompare trial store, is damaged, or cannot be read.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from clfcompare.trials import count_finished, run_trials
    >>> X, y = make_classification(n_samples=30, random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "run.sqlite")
    >>> count_finished(path)
    0
    >>> _ = run_trials({"d": DummyClassifier()}, X, y, cv=3, store=path, progress=False)
    >>> count_finished(path), count_finished(path, ["other"]), count_finished(path, n_splits=5)
    (3, 0, 0)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    names = None if models is None else set(check_names(models, "models"))
    n_splits = check_int(n_splits, "n_splits", low=1, allow_none=True)
    if not Path(path).exists():
        return 0
    try:
        with TrialStore(path, read_only=True) as db:
            if n_splits is not None and db.meta["n_splits"] != n_splits:
                return 0
            return sum(1 for model, _ in db.finished() if names is None or model in names)
    except sqlite3.Error as exc:
        raise store_error(path, exc, "counting its trials") from None


class TrialStore:
    """An open SQLite trial store (used by :func:`run_trials` and :func:`load_results`).

    Parameters
    ----------
    path : str or os.PathLike
        The database file.
    read_only : bool, default=False
        True: the file must exist, and is only read (``mode=ro``; where its folder cannot be
        written and no ``-wal`` file is beside it, as a file that cannot change,
        ``immutable=1``). False (:func:`run_trials`): an existing file is first opened the
        same way and its schema and set-up checked, so that a file that is not a trial
        store is refused before a byte of it is written; :meth:`make_writable` then opens
        it for writing. A missing or empty file is created.

    Notes
    -----
    A reader that found no ``-wal``/``-shm`` files beside the store leaves none: SQLite
    cannot delete them through a read-only connection, so :meth:`close` opens the store
    once more for writing and closes it, which removes them unless another connection still
    uses them (then its own close removes them).
    """

    def __init__(self, path, *, read_only=False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"store must be a path (str or os.PathLike), got {type(path).__name__}"
            )
        self.path = os.fspath(path)
        self.read_only = read_only
        self.writable = False
        self.immutable = False
        self.is_new = True
        self.meta = None
        #: the store has the tables of EXTRA_SCHEMA (classes, trial_extras)
        self.extras = False
        self._con = None
        self._tidy = False
        p = Path(self.path)
        try:
            size = p.stat().st_size if p.is_file() else None
        except OSError as exc:
            message = f"cannot open the trial store {self.path!r}: {exc}"
            raise StoreError(self.path, message) from None
        if read_only and size is None:
            raise FileNotFoundError(f"no trial store at {self.path!r}")
        if read_only and not size:
            raise StoreError(self.path, f"{self.path!r} is an empty file, not a trial store")
        try:
            if size:
                self._connect_reader()
                if not self.is_new:
                    return
                if read_only:
                    raise StoreError(
                        self.path, f"{self.path!r} is an empty database, not a trial store"
                    )
                self.close()  # an empty database: set up as a new store
            self._connect_writer()
        except BaseException:
            self.close()
            raise

    # ---------------------------------------------------------------- connections
    def _retry(self, fn, what):
        """``fn()``, retried while SQLite answers busy (another process setting the store
        up or switching its journal mode: the busy timeout does not cover every such case),
        for up to 60 s; a :class:`StoreError` for any other SQLite error."""
        deadline = time.monotonic() + _BUSY_SECONDS
        delay = 0.001
        while True:
            try:
                return fn()
            except sqlite3.Error as exc:
                if error_kind(exc) != "busy" or time.monotonic() > deadline:
                    raise store_error(self.path, exc, what) from exc
            time.sleep(delay)
            delay = min(2 * delay, 0.05)

    @contextlib.contextmanager
    def _guard(self, what):
        """Any SQLite error inside as one :class:`StoreError` naming the store."""
        try:
            yield
        except sqlite3.Error as exc:
            raise store_error(self.path, exc, what) from exc

    def _connect(self, target, *, uri=False):
        try:
            self._con = sqlite3.connect(
                target, uri=uri, timeout=_BUSY_SECONDS, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(
                self.path, f"cannot open the trial store {self.path!r}: {exc}"
            ) from None

    def _connect_reader(self):
        """Open read-only and check the file (see the class docstring)."""
        p = Path(self.path)
        wal, shm = Path(self.path + "-wal"), Path(self.path + "-shm")
        self._tidy = not wal.exists() and not shm.exists()
        uri = p.resolve().as_uri()
        self._connect(uri + "?mode=ro", uri=True)
        try:
            self._con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            if error_kind(exc) not in ("readonly", "cantopen"):
                self._retry(self._open, "reading its schema")  # busy, or says what it is
                return
            # no -shm can be made beside the store: a read-only folder. Without a -wal
            # (nothing committed outside the main file) the file is read as it is.
            self._con.close()
            self._con = None
            self._tidy = False
            pending = (wal.exists() and wal.stat().st_size > 0) or Path(
                self.path + "-journal"
            ).exists()
            if pending:
                raise StoreError(
                    self.path,
                    f"the trial store {self.path!r} cannot be read here without writing: "
                    f"{p.name}-wal (or -journal) beside it holds transactions not yet in the "
                    "store's file (its writer stopped before it checkpointed them, or the "
                    "-shm file was not copied with it), and its folder cannot be written; "
                    f"copy the store with its -wal and -shm files to a writable folder ({exc})",
                ) from None
            self.immutable = True
            self._connect(uri + "?mode=ro&immutable=1", uri=True)
        self._retry(self._open, "reading its schema and set-up")

    def _connect_writer(self, why=None):
        """Open for writing: check the file first (reading only), then switch to WAL."""
        self._connect(self.path)
        con = self._con
        self._retry(self._open, "reading its schema and set-up")
        try:
            self._retry(lambda: con.execute("PRAGMA journal_mode=WAL").fetchall(), "set-up")
            con.execute("PRAGMA synchronous=FULL")
            if why is not None:  # a connection SQLite opened read-only writes nothing
                self._retry(lambda: con.execute("BEGIN IMMEDIATE"), "opening it for writing")
                con.execute("ROLLBACK")
        except (StoreError, sqlite3.Error) as exc:
            cause = exc.__cause__ if isinstance(exc, StoreError) else exc
            if why is not None and error_kind(cause) in ("readonly", "cantopen"):
                raise StoreError(
                    self.path,
                    f"the trial store {self.path!r} is read-only here (its file or folder "
                    f"cannot be written: {cause}) and {why}; run where it can be written, "
                    "or with a copy in a writable folder",
                ) from None
            if isinstance(exc, StoreError):
                raise
            raise store_error(self.path, exc, "opening it for writing") from exc
        self.writable = True

    def make_writable(self, why, classes=None):
        """Reopen for writing (no-op if open so); ``why``: what is to be written, for the
        :class:`StoreError` of a store that cannot be written here (e.g. ``"3 trials are
        still to run"``).

        ``classes``: the sorted class labels of the run's ``y``. A store written before
        issue 13 (no ``classes``/``trial_extras`` tables) then gets those tables and the
        labels (:meth:`add_extras`), so that the trials written into it from now on keep
        their probabilities and fit batches; its earlier trials stay without them.
        """
        if not self.writable:
            self._reopen_writer(why)
        if classes is not None and not self.extras:
            self.add_extras(classes)

    def _reopen_writer(self, why):
        """Close the reader and open the store for writing (see :meth:`make_writable`)."""
        if self.immutable:
            raise StoreError(
                self.path,
                f"the trial store {self.path!r} is read-only here (its folder cannot be "
                f"written) and {why}; run where it can be written, or with a copy in a "
                "writable folder",
            )
        self._con.close()
        self._con = None
        self._tidy = False  # the writer's close removes the -wal/-shm files
        try:
            self._connect_writer(why)
        except BaseException:
            self.close()
            raise

    def _open(self):
        """Read and check the schema and the set-up (reads only)."""
        con = self._con
        objects = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        self.is_new = check_schema(self.path, objects)
        if self.is_new:
            self.meta = None
            return
        con.execute("PRAGMA foreign_keys=ON")
        self.extras = has_extras(con)
        raw = dict(con.execute("SELECT key, value FROM meta").fetchall())
        self.meta = parse_meta(self.path, raw)

    def close(self):
        con, self._con = self._con, None
        if con is None:
            return
        con.close()
        if self._tidy:
            self._tidy = False
            _hand_back_sidecars(self.path)

    @contextlib.contextmanager
    def snapshot(self):
        """One read transaction: every query inside sees the same committed state, even
        while another process keeps committing trials (WAL snapshot isolation)."""
        with self._guard("reading it"):
            self._con.execute("BEGIN")
        try:
            yield self
        finally:
            if self._con is not None and self._con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._con.execute("ROLLBACK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _transaction(self, what):
        """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any error (an SQLite error,
        e.g. a full disk, as a :class:`StoreError` naming ``what``)."""
        con = self._con
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            # SQLite rolls back itself on some errors (a full disk): then there is no
            # transaction to roll back, and ROLLBACK would hide the cause
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise store_error(self.path, exc, what) from exc
            raise

    # ---------------------------------------------------------------- set-up
    def models(self):
        """``[(name, cls, params)]`` in the order the models were first stored."""
        with self._guard("reading its models"):
            rows = self._con.execute(
                "SELECT name, cls, params FROM models ORDER BY position"
            ).fetchall()
        return parse_models(self.path, rows)

    def initialise(self, setup, models, classes=()):
        """Create the tables and write the set-up and the sorted class labels ``classes``
        (one transaction).

        Returns False, creating nothing, when another process initialised the file first
        (the caller then checks the set-up as for any existing store).
        """
        meta = {"format": FORMAT, "version": VERSION, **setup}
        with self._transaction("setting it up") as con:
            first = not con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
            if first:  # else another process set it up first: nothing written, COMMIT ends
                for stmt in SCHEMA + EXTRA_SCHEMA:
                    con.execute(stmt)
                con.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v)) for k, v in meta.items()],
                )
                self._insert_models(models, start=0)
                _insert_classes(con, classes)
        if not first:
            self._retry(self._open, "reading its schema and set-up")
            return False
        self.meta = meta
        self.is_new = False
        self.extras = True
        return True

    def add_extras(self, classes):
        """Add the tables of :data:`EXTRA_SCHEMA` and the class labels ``classes`` (sorted
        labels of ``y``) to a store written before they existed (one transaction; nothing
        when another process added them first). The store must be open for writing."""
        with self._transaction("adding its classes and trial_extras tables") as con:
            if not has_extras(con):  # else another process added them meanwhile
                for stmt in EXTRA_SCHEMA:
                    con.execute(stmt)
                _insert_classes(con, classes)
        self.extras = True

    def read_classes(self):
        """The stored class labels (a list of SQLite values), or None for a store written
        before they were stored."""
        if not self.extras:
            return None
        with self._guard("reading its classes"):
            rows = self._con.execute("SELECT label FROM classes ORDER BY position").fetchall()
        return [label for (label,) in rows]

    def _insert_models(self, models, start):
        self._con.executemany(
            "INSERT INTO models (name, position, cls, params) VALUES (?, ?, ?, ?)",
            [
                (name, start + i, cls, json.dumps(params, sort_keys=True))
                for i, (name, cls, params) in enumerate(models)
            ],
        )

    def add_models(self, models):
        """Store the set-up of ``models`` (``[(name, cls, params)]``) not yet stored."""
        with self._transaction("adding models") as con:
            stored = {name for (name,) in con.execute("SELECT name FROM models")}
            new = [m for m in models if m[0] not in stored]
            (top,) = con.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM models")
            self._insert_models(new, start=top[0])

    def check_setup(self, setup, models, *, seeded=(), defaults=None):
        """Compare a set-up with the stored one; return the models the store lacks.

        Reads only: :meth:`add_models` stores the new ones. ``seeded``: the model names
        whose trials get derived per-split seeds (an integer ``random_state``). A store
        written before the seeding was recorded is refused only when one of them still has
        a trial to run (see :func:`run_trials` Notes). ``defaults``: ``{model name: names of
        its parameters at their default}`` (:func:`params_at_default`); a parameter the
        store does not hold (written before the parameter existed) is no difference when it
        is at its default now.

        Raises
        ------
        SetupMismatch
            Naming every difference: data, labels, splits, scoring, design, seeding, and for
            each model already stored its class and the parameters whose values differ.
        """
        diffs = []
        meta = self.meta
        if meta["x_hash"] != setup["x_hash"]:
            diffs.append(SetupDifference("data", "X", meta["x_hash"], setup["x_hash"]))
        if meta["y_hash"] != setup["y_hash"] or meta["y_dtype"] != setup["y_dtype"]:
            diffs.append(
                SetupDifference(
                    "data",
                    "y",
                    (meta["y_hash"], meta["y_dtype"]),
                    (setup["y_hash"], setup["y_dtype"]),
                )
            )
        if meta["n_samples"] != setup["n_samples"]:
            diffs.append(
                SetupDifference("n_samples", "n_samples", meta["n_samples"], setup["n_samples"])
            )
        if meta["splits_hash"] != setup["splits_hash"]:
            diffs.append(
                SetupDifference("splits", "n_splits", meta["n_splits"], setup["n_splits"])
            )
        elif (
            meta.get("split_labels_hash", setup["split_labels_hash"]) != setup["split_labels_hash"]
        ):
            # a store written before this key existed is not checked for it
            diffs.append(SetupDifference("split-numbering", "cv", meta.get("cv"), setup["cv"]))
        if list(meta["scoring"]) != list(setup["scoring"]):
            diffs.append(
                SetupDifference(
                    "scoring", "scoring", tuple(meta["scoring"]), tuple(setup["scoring"])
                )
            )
        if meta.get("design") != setup.get("design"):
            # a store written before designs were recorded held plain CV: None
            diffs.append(
                SetupDifference("design", "design", meta.get("design"), setup.get("design"))
            )
        if "seeding" in meta:
            if meta["seeding"] != setup.get("seeding"):
                diffs.append(
                    SetupDifference("seeding", "seeding", meta["seeding"], setup.get("seeding"))
                )
        elif seeded:
            done = self.finished()
            n_splits = setup["n_splits"]
            if any((name, s) not in done for name in seeded for s in range(n_splits)):
                diffs.append(SetupDifference("seeding", "seeding", None, setup.get("seeding")))
        stored = {name: (cls, params) for name, cls, params in self.models()}
        new = []
        for name, cls, params in models:
            if name not in stored:
                new.append((name, cls, params))
                continue
            s_cls, s_params = stored[name]
            if s_cls != cls:
                diffs.append(SetupDifference("model-class", "class", s_cls, cls, model=name))
                continue
            added_at_default = (defaults or {}).get(name, set()) - set(s_params)
            diffs.extend(
                SetupDifference("model-param", k, s_params.get(k), params.get(k), model=name)
                for k in sorted(set(s_params) | set(params))
                if s_params.get(k) != params.get(k) and k not in added_at_default
            )
        if diffs:
            # no finished trial: e.g. the first trial of the run that set the store up failed;
            # nothing in the file is worth keeping, but another process may still be running
            # its first trial under that set-up, so it is not rewritten here (see run_trials
            # Notes)
            with self._guard("reading its trials"):
                empty = not self._con.execute("SELECT EXISTS (SELECT 1 FROM trials)").fetchone()[0]
            raise SetupMismatch(self.path, diffs, empty=empty)
        return new

    # ---------------------------------------------------------------- trials
    def finished(self):
        """Set of ``(model, split)`` pairs already stored."""
        with self._guard("reading its trials"):
            return set(self._con.execute("SELECT model, split FROM trials").fetchall())

    def write(self, trial, repeat, fold):
        """Commit one finished trial (score row, predictions, loss curve) atomically.

        Returns False (and writes nothing) when the trial is already stored.

        Raises
        ------
        StoreError
            SQLite could not write it (a full disk, a read-only file, a damaged page); the
            transaction is rolled back, every trial committed before is kept.
        """
        loss = trial.loss
        key = (trial.model, int(trial.split))
        with self._transaction(f"writing trial {key!r}") as con:
            exists = con.execute(
                "SELECT 1 FROM trials WHERE model = ? AND split = ?", key
            ).fetchone()
            if exists:  # nothing written: the COMMIT ends a read
                return False
            con.execute(
                "INSERT INTO trials (model, split, repeat, fold, n_train, n_test, fit_time,"
                " scores, n_epochs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    trial.model,
                    int(trial.split),
                    int(repeat),
                    int(fold),
                    int(trial.n_train),
                    int(len(trial.sample)),
                    float(trial.fit_time),
                    json.dumps({k: float(v) for k, v in trial.scores.items()}),
                    0 if loss is None else int(len(loss)),
                ),
            )
            con.executemany(
                "INSERT INTO predictions (model, split, position, sample, y_true, y_pred)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                zip(
                    [trial.model] * len(trial.sample),
                    [int(trial.split)] * len(trial.sample),
                    range(len(trial.sample)),
                    np.asarray(trial.sample, dtype=np.int64).tolist(),
                    to_sql_values(trial.y_true),
                    to_sql_values(trial.y_pred),
                    strict=True,
                ),
            )
            if loss is not None:
                con.executemany(
                    "INSERT INTO loss_curves (model, split, epoch, loss) VALUES (?, ?, ?, ?)",
                    [
                        (trial.model, int(trial.split), e + 1, float(v))
                        for e, v in enumerate(np.asarray(loss, dtype=float).tolist())
                    ],
                )
            if self.extras:
                proba = trial.proba
                con.execute(
                    "INSERT OR REPLACE INTO trial_extras (model, split, fit_batch_time,"
                    " fit_batch_size, probabilities) VALUES (?, ?, ?, ?, ?)",
                    (
                        trial.model,
                        int(trial.split),
                        float(trial.fit_batch_time),
                        int(trial.fit_batch_size),
                        None
                        if proba is None
                        else json.dumps(np.asarray(proba, dtype=float).tolist()),
                    ),
                )
        return True

    def check_rows(self):
        """Refuse a store holding rows its set-up cannot hold (see
        :func:`clfcompare.trials._integrity.check_rows`): missing or extra prediction and
        loss rows, out-of-range splits and samples, ill-typed values and labels."""
        with self._guard("checking its rows"):
            check_rows(self._con, self.path, self.meta)

    def read_trials(self, model, n_classes=None):
        """All stored trials of one model as ``(row, sample, y_true, y_pred, loss)``.

        ``row`` holds ``fit_batch_time``, ``fit_batch_size`` (NaN and 1 where the store did
        not record them) and ``proba`` (an ``(n_test, n_classes)`` array, or None).
        """
        with self._guard(f"reading the trials of model {model!r}"):
            return self._read_trials(model, n_classes)

    def _read_trials(self, model, n_classes=None):
        con = self._con
        extras = {}
        if self.extras:
            extras = {
                split: rest
                for split, *rest in con.execute(
                    "SELECT split, fit_batch_time, fit_batch_size, probabilities"
                    " FROM trial_extras WHERE model = ?",
                    (model,),
                ).fetchall()
            }
        rows = con.execute(
            "SELECT split, repeat, fold, n_train, n_test, fit_time, scores, n_epochs"
            " FROM trials WHERE model = ? ORDER BY split",
            (model,),
        ).fetchall()
        preds = con.execute(
            "SELECT split, sample, y_true, y_pred FROM predictions WHERE model = ?"
            " ORDER BY split, position",
            (model,),
        ).fetchall()
        losses = con.execute(
            "SELECT split, loss FROM loss_curves WHERE model = ? ORDER BY split, epoch",
            (model,),
        ).fetchall()
        scoring = self.meta["scoring"]
        out = []
        ip = il = 0
        for split, repeat, fold, n_train, n_test, fit_time, scores, n_epochs in rows:
            block = preds[ip : ip + n_test]
            ip += n_test
            curve = losses[il : il + n_epochs]
            il += n_epochs
            if (
                len(block) != n_test
                or len(curve) != n_epochs
                or any(r[0] != split for r in block)
                or any(r[0] != split for r in curve)
            ):
                raise StoreError(
                    self.path,
                    f"the trial store {self.path!r} is inconsistent at "
                    f"model {model!r}, split {split}",
                )
            batch_time, batch_size, proba = extras.get(split, (float("nan"), 1, None))
            if proba is not None and n_classes is None:
                raise StoreError(
                    self.path, f"the trial store {self.path!r} holds probabilities but no classes"
                )
            out.append(
                (
                    dict(
                        split=split,
                        repeat=repeat,
                        fold=fold,
                        n_train=n_train,
                        fit_time=fit_time,
                        scores=parse_scores(self.path, model, split, scores, scoring),
                        fit_batch_time=float(batch_time),
                        fit_batch_size=int(batch_size),
                        proba=parse_probabilities(
                            self.path, model, split, proba, n_test, n_classes
                        ),
                    ),
                    np.array([r[1] for r in block], dtype=np.int64),
                    [r[2] for r in block],
                    [r[3] for r in block],
                    None
                    if n_epochs == 0
                    else np.array([np.nan if r[1] is None else r[1] for r in curve], dtype=float),
                )
            )
        return out


def _insert_classes(con, classes):
    """Write the class labels ``classes`` into the ``classes`` table, in their order."""
    # bound as to_sql_values binds labels (not a call of it: that is the write path's alone,
    # which the crash tests count)
    labels = [v.item() if isinstance(v, np.generic) else v for v in classes]
    con.executemany("INSERT INTO classes (position, label) VALUES (?, ?)", enumerate(labels))


def _hand_back_sidecars(path):
    """Let SQLite remove the ``-wal``/``-shm`` files a read-only connection left beside
    ``path``: a writable connection that reads and closes removes them when it is the last
    one (a checkpoint of an empty log writes nothing); if another process holds the store
    open, they stay for its close. Nothing is done where the store cannot be written."""
    if not (os.path.exists(path + "-wal") or os.path.exists(path + "-shm")):
        return
    with contextlib.suppress(sqlite3.Error, OSError):
        con = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            con.close()
