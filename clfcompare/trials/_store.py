"""The durable SQLite store of a trial run, and the fingerprint of a run's set-up.

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

One finished trial (its ``trials`` row, its ``n_test`` predictions and its ``n_epochs`` loss
values) is written in one transaction, so a killed writer leaves either the whole trial or
nothing of it. The database runs in WAL mode with ``synchronous=FULL``: a committed trial
survives a killed process and a power cut.

Why one module of about 860 lines: the schema, the fingerprint of a run's set-up (data,
splits, model parameters rendered as data) and the refusal of another set-up
(:class:`SetupMismatch`) are one concept, what a store holds and when it may be resumed.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import os
import re
import sqlite3
import sys
import types
from pathlib import Path
from typing import NamedTuple

import numpy as np

from clfcompare._checks import check_int, check_names

FORMAT = "clfcompare.trials"
VERSION = 1

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE models (name TEXT PRIMARY KEY, position INTEGER NOT NULL UNIQUE,"
    " cls TEXT NOT NULL, params TEXT NOT NULL)",
    "CREATE TABLE trials (model TEXT NOT NULL REFERENCES models(name), split INTEGER NOT NULL,"
    " repeat INTEGER NOT NULL, fold INTEGER NOT NULL, n_train INTEGER NOT NULL,"
    " n_test INTEGER NOT NULL, fit_time REAL NOT NULL, scores TEXT NOT NULL,"
    " n_epochs INTEGER NOT NULL, PRIMARY KEY (model, split))",
    "CREATE TABLE predictions (model TEXT NOT NULL, split INTEGER NOT NULL,"
    " position INTEGER NOT NULL, sample INTEGER NOT NULL, y_true, y_pred,"
    " PRIMARY KEY (model, split, position),"
    " FOREIGN KEY (model, split) REFERENCES trials(model, split))",
    "CREATE TABLE loss_curves (model TEXT NOT NULL, split INTEGER NOT NULL,"
    " epoch INTEGER NOT NULL, loss REAL, PRIMARY KEY (model, split, epoch),"
    " FOREIGN KEY (model, split) REFERENCES trials(model, split))",
)
_TABLES = {"meta", "models", "trials", "predictions", "loss_curves"}


# --------------------------------------------------------------------------- fingerprints
def _sha(*parts):
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            part = part.encode()
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def hash_data(a):
    """Deterministic SHA-256 of an array-like, a DataFrame/Series or a sparse matrix.

    Numeric and fixed-width string arrays hash their dtype, shape and raw bytes; object
    arrays and pandas objects go through ``pandas.util.hash_array`` /
    ``hash_pandas_object`` (fixed-key hashes, the same in every process).
    """
    import pandas as pd

    if isinstance(a, (pd.DataFrame, pd.Series)):
        names = [str(c) for c in (a.columns if isinstance(a, pd.DataFrame) else [a.name])]
        values = pd.util.hash_pandas_object(a, index=False).to_numpy()
        dtypes = [str(t) for t in (a.dtypes if isinstance(a, pd.DataFrame) else [a.dtype])]
        return _sha("pandas", json.dumps(names), json.dumps(dtypes), values.tobytes())
    if hasattr(a, "tocsr") and hasattr(a, "nnz"):  # scipy sparse
        m = a.tocsr()
        return _sha(
            "sparse",
            str(m.shape),
            hash_data(np.asarray(m.data)),
            np.asarray(m.indices, dtype=np.int64).tobytes(),
            np.asarray(m.indptr, dtype=np.int64).tobytes(),
        )
    arr = np.asarray(a)
    if arr.dtype.kind == "O":
        import pandas as pd

        flat = pd.util.hash_array(arr.ravel(), categorize=False)
        return _sha("object", str(arr.shape), flat.tobytes())
    return _sha(arr.dtype.str, str(arr.shape), np.ascontiguousarray(arr).tobytes())


def hash_splits(splits):
    """SHA-256 of materialised ``(train, test)`` index pairs (order and content)."""
    parts = []
    for train, test in splits:
        parts.append(np.asarray(train, dtype=np.int64).tobytes())
        parts.append(np.asarray(test, dtype=np.int64).tobytes())
    return _sha(str(len(splits)), *parts)


def hash_split_labels(repeats, folds):
    """SHA-256 of the ``repeat`` and ``fold`` number of every split.

    The same split indices can come numbered differently (a ``RepeatedStratifiedKFold``, or
    the list of its splits, which is numbered as one repeat): resuming with the other
    numbering would mix ``repeat``/``fold`` values in one table.
    """
    return _sha(
        "repeat-fold",
        np.asarray(repeats, dtype=np.int64).tobytes(),
        np.asarray(folds, dtype=np.int64).tobytes(),
    )


_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")


def _by_name_only(fn):
    """True for a function its qualified name identifies: defined at the top level of an
    importable module (not a lambda, not local to another function, not in ``__main__`` nor
    made by ``exec`` without a module)."""
    return fn.__module__ not in (None, "__main__") and "<" not in fn.__qualname__


def _code_digest(code, active):
    """SHA-256 of a code object: bytecode, the global/attribute names it reads, constants
    (nested code objects by their own digest). Line numbers and local names are left out."""
    consts = [
        _code_digest(c, active)
        if isinstance(c, types.CodeType)
        else render_param(c, _active=active)
        for c in code.co_consts
    ]
    return _sha(code.co_code, json.dumps(list(code.co_names)), json.dumps(consts))


def _render_function(fn, active):
    """``module.qualname[code <digest>, Python X.Y]`` of a function its name does not
    identify; the digest covers its code, defaults and the values it closes over."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    if id(fn) in active:  # a local function that closes over itself
        return f"{name}[recursive]"
    active = active | {id(fn)}
    cells = []
    for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=True):
        try:
            contents = cell.cell_contents
        except ValueError:  # a cell not yet filled
            cells.append(f"{var}=<empty>")
        else:
            cells.append(f"{var}={render_param(contents, _active=active)}")
    digest = _sha(
        _code_digest(fn.__code__, active),
        render_param(fn.__defaults__, _active=active),
        render_param(fn.__kwdefaults__, _active=active),
        json.dumps(cells),
    )
    return f"{name}[code {digest[:16]}, Python {sys.version_info[0]}.{sys.version_info[1]}]"


def render_param(value, *, _active=frozenset()):
    """Render a parameter value as a deterministic string (no memory addresses).

    Estimators render as ``Class(name=value, ...)`` over their own ``get_params(deep=True)``
    in sorted order (independent of sklearn's ``print_changed_only``); arrays and random
    states as a digest of their contents; containers element-wise (sets sorted, their own
    order follows the per-process string hash); classes, and functions defined at the top
    level of an importable module, by their qualified name; lambdas, local functions and
    functions of ``__main__`` by their name and a digest of their code, defaults and closure
    values (see :func:`run_trials` Notes); everything else by ``repr`` with `` at 0x...``
    addresses removed.
    """
    render = functools.partial(render_param, _active=_active)
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if hasattr(value, "get_params"):
        params = value.get_params(deep=True)
        inner = ", ".join(f"{k}={render(params[k])}" for k in sorted(params))
        return f"{type(value).__module__}.{type(value).__qualname__}({inner})"
    if isinstance(value, np.random.RandomState):
        name, keys, pos, has_gauss, cached = value.get_state()
        return f"RandomState({_sha(name, keys.tobytes(), repr((pos, has_gauss, cached)))})"
    if isinstance(value, np.random.Generator):
        return f"Generator({_sha(repr(value.bit_generator.state))})"
    if isinstance(value, np.ndarray):
        return f"ndarray({value.dtype.str}, {value.shape}, {hash_data(value)})"
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, types.FunctionType) and not _by_name_only(value):
        return _render_function(value, _active)
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{getattr(value, '__module__', '?')}.{value.__qualname__}"
    if isinstance(value, dict):
        items = sorted((repr(k), render(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(render(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (set, frozenset)):  # sorted: a set's own order follows str hashing
        inner = ", ".join(sorted(render(v) for v in value))
        return f"{{{inner}}}" if isinstance(value, set) else f"frozenset({{{inner}}})"
    return _ADDRESS.sub("", repr(value))


def model_fingerprint(estimator):
    """``(class name, {parameter: rendered value})`` of an estimator."""
    cls = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    params = estimator.get_params(deep=True)
    return cls, {k: render_param(params[k]) for k in sorted(params)}


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
    ValueError
        ``path`` is not a clfcompare trial store, or cannot be read.

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
        raise ValueError(f"cannot read the trial store {os.fspath(path)!r}: {exc}") from None


class TrialStore:
    """An open SQLite trial store (used by :func:`run_trials` and :func:`load_results`).

    Parameters
    ----------
    path : str or os.PathLike
        The database file. Created (with its tables) when missing or empty.
    read_only : bool, default=False
        Open with ``mode=ro``; the file must exist.
    """

    def __init__(self, path, *, read_only=False):
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"store must be a path (str or os.PathLike), got {type(path).__name__}"
            )
        self.path = os.fspath(path)
        self.read_only = read_only
        if read_only:
            p = Path(self.path)
            if not p.is_file():
                raise FileNotFoundError(f"no trial store at {self.path!r}")
            uri = p.resolve().as_uri() + "?mode=ro"
        try:
            if read_only:
                self._con = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            else:
                self._con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise ValueError(f"cannot open the trial store {self.path!r}: {exc}") from None
        try:
            self._open()
        except BaseException:
            self._con.close()
            raise

    def _open(self):
        con = self._con
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise ValueError(
                f"{self.path!r} is not a clfcompare trial store (not an SQLite database: {exc})"
            ) from None
        if not self.read_only:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        self.is_new = not tables
        if self.is_new:
            if self.read_only:
                raise ValueError(f"{self.path!r} is an empty database, not a trial store")
            return
        meta = {}
        if "meta" in tables:
            meta = dict(con.execute("SELECT key, value FROM meta"))
        if not _TABLES <= tables or json.loads(meta.get("format", "null")) != FORMAT:
            raise ValueError(
                f"{self.path!r} is not a clfcompare trial store (expected tables "
                f"{sorted(_TABLES)} and meta format {FORMAT!r}; found tables {sorted(tables)})"
            )
        version = json.loads(meta["version"])
        if version != VERSION:
            raise ValueError(
                f"{self.path!r} is a trial store of format version {version}; "
                f"this clfcompare reads version {VERSION}"
            )
        self.meta = {k: json.loads(v) for k, v in meta.items()}

    def close(self):
        self._con.close()

    @contextlib.contextmanager
    def snapshot(self):
        """One read transaction: every query inside sees the same committed state, even
        while another process keeps committing trials (WAL snapshot isolation)."""
        self._con.execute("BEGIN")
        try:
            yield self
        finally:
            self._con.execute("ROLLBACK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---------------------------------------------------------------- set-up
    def models(self):
        """``[(name, cls, params)]`` in the order the models were first stored."""
        rows = self._con.execute("SELECT name, cls, params FROM models ORDER BY position")
        return [(name, cls, json.loads(params)) for name, cls, params in rows]

    def initialise(self, setup, models):
        """Create the tables and write the set-up (one transaction).

        Returns False, creating nothing, when another process initialised the file first
        (the caller then checks the set-up as for any existing store).
        """
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                con.execute("ROLLBACK")
                self._open()
                return False
            for stmt in _SCHEMA:
                con.execute(stmt)
            meta = {"format": FORMAT, "version": VERSION, **setup}
            con.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in meta.items()],
            )
            self._insert_models(models, start=0)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self.meta = meta
        self.is_new = False
        return True

    def _insert_models(self, models, start):
        self._con.executemany(
            "INSERT INTO models (name, position, cls, params) VALUES (?, ?, ?, ?)",
            [
                (name, start + i, cls, json.dumps(params, sort_keys=True))
                for i, (name, cls, params) in enumerate(models)
            ],
        )

    def check_setup(self, setup, models, *, seeded=()):
        """Compare a set-up with the stored one; add unknown models; raise if they differ.

        ``seeded``: the model names whose trials get derived per-split seeds (an integer
        ``random_state``). A store written before the seeding was recorded is refused only
        when one of them still has a trial to run (see :func:`run_trials` Notes).

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
            diffs.extend(
                SetupDifference("model-param", k, s_params.get(k), params.get(k), model=name)
                for k in sorted(set(s_params) | set(params))
                if s_params.get(k) != params.get(k)
            )
        if diffs:
            # no finished trial: e.g. the first trial of the run that set the store up failed;
            # nothing in the file is worth keeping, but another process may still be running
            # its first trial under that set-up, so it is not rewritten here (see run_trials
            # Notes)
            empty = not self._con.execute("SELECT EXISTS (SELECT 1 FROM trials)").fetchone()[0]
            raise SetupMismatch(self.path, diffs, empty=empty)
        if new:
            con = self._con
            con.execute("BEGIN IMMEDIATE")
            try:
                (top,) = con.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM models")
                self._insert_models(new, start=top[0])
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    # ---------------------------------------------------------------- trials
    def finished(self):
        """Set of ``(model, split)`` pairs already stored."""
        return set(self._con.execute("SELECT model, split FROM trials"))

    def write(self, trial, repeat, fold):
        """Commit one finished trial (score row, predictions, loss curve) atomically.

        Returns False (and writes nothing) when the trial is already stored.
        """
        con = self._con
        loss = trial.loss
        con.execute("BEGIN IMMEDIATE")
        try:
            exists = con.execute(
                "SELECT 1 FROM trials WHERE model = ? AND split = ?",
                (trial.model, trial.split),
            ).fetchone()
            if exists:
                con.execute("ROLLBACK")
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
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return True

    def check_consistency(self):
        """Raise ValueError if a trial lacks predictions/loss values or rows are orphaned."""
        con = self._con
        bad = con.execute(
            "SELECT t.model, t.split FROM trials t LEFT JOIN (SELECT model, split,"
            " COUNT(*) AS n FROM predictions GROUP BY model, split) p"
            " ON p.model = t.model AND p.split = t.split"
            " LEFT JOIN (SELECT model, split, COUNT(*) AS n FROM loss_curves"
            " GROUP BY model, split) c ON c.model = t.model AND c.split = t.split"
            " WHERE COALESCE(p.n, 0) != t.n_test OR COALESCE(c.n, 0) != t.n_epochs"
        ).fetchall()
        orphans = con.execute(
            "SELECT COUNT(*) FROM (SELECT model, split FROM predictions UNION"
            " SELECT model, split FROM loss_curves) r WHERE NOT EXISTS"
            " (SELECT 1 FROM trials t WHERE t.model = r.model AND t.split = r.split)"
        ).fetchone()[0]
        if bad or orphans:
            raise ValueError(
                f"the trial store {self.path!r} is inconsistent: trials with missing rows "
                f"{bad[:10]}, {orphans} orphaned (model, split) groups"
            )

    def read_trials(self, model):
        """All stored trials of one model as ``(row, sample, y_true, y_pred, loss)``."""
        con = self._con
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
        out = []
        ip = il = 0
        for split, repeat, fold, n_train, n_test, fit_time, scores, n_epochs in rows:
            block = preds[ip : ip + n_test]
            ip += n_test
            curve = losses[il : il + n_epochs]
            il += n_epochs
            if any(r[0] != split for r in block) or any(r[0] != split for r in curve):
                raise ValueError(
                    f"the trial store {self.path!r} is inconsistent at "
                    f"model {model!r}, split {split}"
                )
            out.append(
                (
                    dict(
                        split=split,
                        repeat=repeat,
                        fold=fold,
                        n_train=n_train,
                        fit_time=fit_time,
                        scores=json.loads(scores),
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
