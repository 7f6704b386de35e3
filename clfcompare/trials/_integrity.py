"""What a file must hold to be read as a trial store, and the one error for one that cannot be.

:class:`StoreError` is raised for every store that cannot be used: not a trial store (another
application's database, a text file, a store with objects clfcompare does not write), damaged
(invalid JSON, missing or ill-typed set-up keys, values of the wrong type or range, a
corrupted page), read-only with trials still to run, locked, or on a full disk. Its message
names the store and, where one row is at fault, the row.

Every check here only reads: the schema from ``sqlite_master``, the set-up from ``meta`` (JSON
values, parsed by :func:`json.loads` and nothing else), and the rows by SQL queries over their
types and ranges, so that a damaged store is refused before a single list is built from it
(e.g. a ``n_splits`` of :math:`10^{10}` is refused, not iterated over).
"""

from __future__ import annotations

import json
import os

import numpy as np

FORMAT = "clfcompare.trials"
VERSION = 1

#: The tables of a store, exactly as :func:`run_trials` creates them (unchanged since the
#: first store format; ``sqlite_master`` keeps the text as written).
SCHEMA = (
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
#: Tables of the stores written since issue 13 (a store written before lacks them, and is
#: read and resumed without them): the sorted class labels of ``y`` (the columns of the
#: probabilities), and per trial the fit batch it was fitted in and its test samples' class
#: probabilities (JSON: ``n_test`` lists of ``n_classes`` numbers; NULL for a model without
#: ``predict_proba``).
EXTRA_SCHEMA = (
    "CREATE TABLE classes (position INTEGER PRIMARY KEY, label NOT NULL)",
    "CREATE TABLE trial_extras (model TEXT NOT NULL, split INTEGER NOT NULL,"
    " fit_batch_time REAL NOT NULL, fit_batch_size INTEGER NOT NULL, probabilities TEXT,"
    " PRIMARY KEY (model, split), FOREIGN KEY (model, split) REFERENCES trials(model, split))",
)
TABLES = {"meta", "models", "trials", "predictions", "loss_curves"}
EXTRA_TABLES = {"classes", "trial_extras"}
_TABLE_SQL = {sql.split()[2]: sql for sql in SCHEMA + EXTRA_SCHEMA}
#: Tables SQLite itself may add (``ANALYZE``): harmless statistics.
_SQLITE_TABLES = {"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}

#: The most trials per model a store may claim: a run of more splits materialises more index
#: arrays than it could fit; a larger ``n_splits`` in a store is damage.
MAX_SPLITS = 1_000_000
#: The widest fixed-width label dtype a store may claim (characters of ``<U``, bytes of ``S``).
MAX_LABEL_WIDTH = 1 << 16

_REQUIRED_META = {
    "format": str,
    "version": int,
    "x_hash": str,
    "y_hash": str,
    "y_dtype": str,
    "n_samples": int,
    "splits_hash": str,
    "n_splits": int,
    "scoring": list,
}
_OPTIONAL_META = {"split_labels_hash": str, "cv": str, "design": dict, "seeding": dict}
_DESIGN_INTS = ("n_main", "n_splits", "n_repeats", "n_partitions", "inner_splits", "n_seeds")


class StoreError(ValueError):
    """A trial store that cannot be used: not a store, damaged, unreadable, read-only with
    trials still to run, locked, or its disk full.

    The message names the store's path and, where one row is at fault, the row (e.g.
    ``trial ('svc', 3)``, ``prediction ('svc', 3, 17)``, ``meta 'n_splits'``). A
    :class:`ValueError`, so code that caught ``ValueError`` still does; a
    :class:`SetupMismatch` (a valid store made for another set-up) is not a StoreError.

    Parameters
    ----------
    path : str or os.PathLike
        The store.
    message : str
        The whole message (it names ``path``).

    Attributes
    ----------
    path : str
        The store, as given to :func:`run_trials` or :func:`load_results`.

    Examples
    --------
    >>> err = StoreError("run.sqlite", "the trial store 'run.sqlite' is damaged: ...")
    >>> err.path, isinstance(err, ValueError)
    ('run.sqlite', True)
    """

    def __init__(self, path, message):
        self.path = os.fspath(path)
        super().__init__(message)

    def __reduce__(self):  # picklable with its path (ValueError's pickles args only)
        return (StoreError, (self.path, str(self)))


# --------------------------------------------------------------------------- SQLite errors
_CODES = {  # primary result codes (the low byte of an extended code)
    5: "busy",
    6: "busy",  # SQLITE_LOCKED
    8: "readonly",
    10: "io",
    11: "corrupt",
    13: "full",
    14: "cantopen",
    26: "notadb",
}
_TEXTS = (  # Python < 3.11 has no sqlite_errorcode: the messages of sqlite3_errstr
    ("database or disk is full", "full"),
    ("malformed", "corrupt"),
    ("not a database", "notadb"),
    ("readonly database", "readonly"),
    ("database is locked", "busy"),
    ("table is locked", "busy"),
    ("unable to open database file", "cantopen"),
    ("disk i/o error", "io"),
)


def error_kind(exc):
    """``"busy"``, ``"readonly"``, ``"io"``, ``"corrupt"``, ``"full"``, ``"cantopen"``,
    ``"notadb"`` or ``"other"``: what an :class:`sqlite3.Error` says of the file."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return _CODES.get(code & 0xFF, "other")
    text = str(exc).lower()
    return next((kind for fragment, kind in _TEXTS if fragment in text), "other")


def store_error(path, exc, what):
    """The :class:`StoreError` for an :class:`sqlite3.Error` ``exc`` raised while ``what``."""
    p = repr(os.fspath(path))
    kind = error_kind(exc)
    if kind == "full":
        message = (
            f"the trial store {p}: disk full (SQLite: {exc}) while {what}; every trial "
            "committed before is kept: free space on its disk and run again to resume"
        )
    elif kind == "corrupt":
        message = (
            f"the trial store {p} is damaged (SQLite: {exc}) while {what}; restore it from "
            "a copy, or run again with a new store path"
        )
    elif kind == "notadb":
        message = f"{p} is not a clfcompare trial store (not an SQLite database: {exc})"
    elif kind == "readonly":
        message = f"the trial store {p} is read-only here (SQLite: {exc}) while {what}"
    elif kind == "busy":
        message = (
            f"the trial store {p} stayed locked by another process (SQLite: {exc}) while {what}"
        )
    else:
        message = f"cannot use the trial store {p} (SQLite: {exc}) while {what}"
    return StoreError(path, message)


def damaged(path, what):
    """The :class:`StoreError` of a store holding a value it cannot hold (``what``)."""
    return StoreError(path, f"the trial store {os.fspath(path)!r} is damaged: {what}")


def _one_line(value, limit=80):
    """``value`` as text on one line (line breaks escaped), cut at ``limit`` characters: a
    stored value quoted in a message that a command prints as one line."""
    text = str(value)
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value, limit=80):
    """``repr(value)`` on one line, cut at ``limit`` characters."""
    return _one_line(repr(value), limit)


# --------------------------------------------------------------------------- schema
def check_schema(path, objects):
    """Refuse a file whose schema is not the one :func:`run_trials` writes.

    ``objects``: the ``(type, name, sql)`` rows of ``sqlite_master``. Returns True when there
    are none (an empty database: a new store), False for a store.
    """
    if not objects:
        return True
    tables = {name for kind, name, _ in objects if kind == "table"}
    p = repr(os.fspath(path))
    extra = tables & EXTRA_TABLES
    if not TABLES <= tables or extra and extra != EXTRA_TABLES:
        raise StoreError(
            path,
            f"{p} is not a clfcompare trial store (expected tables {sorted(TABLES)}; found "
            f"tables {sorted(tables)})",
        )
    for kind, name, sql in objects:
        if kind == "table" and name in _TABLE_SQL:
            if sql != _TABLE_SQL[name]:
                raise StoreError(
                    path,
                    f"{p} is not a clfcompare trial store (its table {_short(name)} is defined "
                    f"otherwise: {_one_line(sql)})",
                )
        elif not (
            (kind == "index" and name.startswith("sqlite_autoindex_") and sql is None)
            or (kind == "table" and name in _SQLITE_TABLES)
        ):
            raise StoreError(
                path,
                f"{p} is not a clfcompare trial store (it holds the {_short(kind)} "
                f"{_short(name)}, which clfcompare does not write)",
            )
    return False


# --------------------------------------------------------------------------- meta
def _loads(text):
    """``json.loads`` of a stored text; ValueError for anything but valid JSON text."""
    if not isinstance(text, str):
        raise ValueError(f"a {type(text).__name__}, not JSON text")
    try:
        return json.loads(text)
    except RecursionError:  # nested beyond the decoder's depth: not what clfcompare writes
        raise ValueError("nested too deeply") from None


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def label_dtype(text):
    """The numpy dtype of a stored ``y_dtype`` string; ValueError unless it is one that
    :func:`run_trials` writes (``y.dtype.str`` of a label array: bool, int, uint, float, str,
    bytes or object; fixed-width types at most :data:`MAX_LABEL_WIDTH` wide)."""
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError, SyntaxError):
        raise ValueError("not a numpy dtype") from None
    if dtype.str != text or dtype.kind not in "biufUSO" or dtype.shape or dtype.names:
        raise ValueError("not the dtype of a label array")
    width = dtype.itemsize // 4 if dtype.kind == "U" else dtype.itemsize
    if dtype.kind in "US" and not 0 < width <= MAX_LABEL_WIDTH:
        raise ValueError(f"labels {width} characters wide")
    return dtype


def parse_meta(path, raw):
    """The store's set-up from its ``meta`` rows ``{key: JSON text}``, checked.

    Raises
    ------
    StoreError
        Not a clfcompare store (no ``format``), another format version, a value that is not
        valid JSON, a required key missing, or a value of the wrong type or range (naming
        the key: ``meta 'n_splits'``).
    """
    p = repr(os.fspath(path))
    meta = {}
    for key, text in raw.items():
        try:
            meta[key] = _loads(text)
        except ValueError as exc:
            if key == "format":
                meta[key] = None
                continue
            what = f"meta {_short(key)} is not valid JSON ({exc}): {_short(text)}"
            raise damaged(path, what) from None
    if meta.get("format") != FORMAT:
        raise StoreError(
            path,
            f"{p} is not a clfcompare trial store (expected meta format {FORMAT!r}, found "
            f"{_short(meta.get('format'))})",
        )
    for key, kind in _REQUIRED_META.items():
        if key not in meta:
            raise damaged(path, f"meta {key!r} is missing")
        if kind is int and not _is_int(meta[key]) or not isinstance(meta[key], kind):
            raise damaged(path, f"meta {key!r} is {_short(meta[key])}, not a {kind.__name__}")
    if meta["version"] != VERSION:
        raise StoreError(
            path,
            f"{p} is a trial store of format version {meta['version']}; this clfcompare "
            f"reads version {VERSION}",
        )
    for key, kind in _OPTIONAL_META.items():
        value = meta.get(key)
        if value is not None and not isinstance(value, kind):
            raise damaged(path, f"meta {key!r} is {_short(value)}, not a {kind.__name__}")
    if not 1 <= meta["n_samples"]:
        raise damaged(path, f"meta 'n_samples' is {meta['n_samples']}, not >= 1")
    if not 1 <= meta["n_splits"] <= MAX_SPLITS:
        raise damaged(
            path,
            f"meta 'n_splits' is {meta['n_splits']}, not in 1 .. {MAX_SPLITS} (more trials "
            "per model than any run can hold)",
        )
    scoring = meta["scoring"]
    if (
        not scoring
        or not all(isinstance(s, str) and s for s in scoring)
        or len(set(scoring)) != len(scoring)
    ):
        raise damaged(path, f"meta 'scoring' is {_short(scoring)}, not a list of distinct names")
    try:
        label_dtype(meta["y_dtype"])
    except ValueError as exc:
        raise damaged(path, f"meta 'y_dtype' is {_short(meta['y_dtype'])}: {exc}") from None
    design = meta.get("design")
    if design is not None:
        bad = [k for k in _DESIGN_INTS if k in design and design[k] is not None]
        bad = [k for k in bad if not _is_int(design[k]) or design[k] < 0]
        if bad or not isinstance(design.get("kind"), str):
            raise damaged(path, f"meta 'design' is {_short(design)}, not a design")
    return meta


def parse_models(path, rows):
    """``[(name, cls, params)]`` from the ``(name, cls, params)`` rows of ``models``, checked
    (a name and class as text, params a JSON object of rendered values)."""
    out = []
    for name, cls, params in rows:
        where = f"model {_short(name)}"
        if not isinstance(name, str) or not name or not isinstance(cls, str):
            raise damaged(path, f"{where}: its name and class must be text, got {_short(cls)}")
        try:
            values = _loads(params)
        except ValueError as exc:
            raise damaged(path, f"{where}: params is not valid JSON ({exc})") from None
        if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
            raise damaged(path, f"{where}: params is not an object of rendered values")
        out.append((name, cls, values))
    return out


def parse_scores(path, model, split, text, scoring):
    """A trial's stored scores ``{name: float}``, checked against the store's scoring."""
    where = f"trial {_short((model, split))}"
    try:
        scores = _loads(text)
    except ValueError as exc:
        raise damaged(path, f"{where}: scores is not valid JSON ({exc})") from None
    if not isinstance(scores, dict):
        raise damaged(path, f"{where}: scores is {_short(scores)}, not an object")
    for name in scoring:
        if name not in scores:
            raise damaged(path, f"{where}: scores lacks {name!r}")
        if not _is_number(scores[name]):
            raise damaged(path, f"{where}: score {name!r} is {_short(scores[name])}, not a number")
    return {name: float(scores[name]) for name in scoring}


# --------------------------------------------------------------------------- rows
def _label_condition(column, dtype):
    """SQL true for a value of ``column`` that is not a label of ``dtype``."""
    if dtype.kind == "b":
        return f"typeof({column}) != 'integer' OR {column} NOT IN (0, 1)"
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        high = min(int(info.max), 2**63 - 1)
        return f"typeof({column}) != 'integer' OR {column} < {int(info.min)} OR {column} > {high}"
    if dtype.kind == "f":
        return f"typeof({column}) NOT IN ('real', 'integer')"
    if dtype.kind == "U":
        return f"typeof({column}) != 'text' OR length({column}) > {dtype.itemsize // 4}"
    if dtype.kind == "S":
        return f"typeof({column}) != 'blob' OR length({column}) > {dtype.itemsize}"
    return f"typeof({column}) = 'null'"  # object labels: any value SQLite holds but NULL


def check_rows(con, path, meta):
    """Refuse a store holding a row that its set-up cannot hold; one query per check.

    Trials: a model the store does not list, a split outside ``0 .. n_splits - 1``,
    non-integer or negative repeat/fold/epoch counts, ``n_train``/``n_test`` outside
    ``1 .. n_samples``, a ``fit_time`` that is not a number >= 0, scores that are not a JSON
    object with a number for every scoring name; predictions of a trial that are missing or
    extra, a ``sample`` outside ``0 .. n_samples - 1``, a position outside ``0 .. n_test - 1``,
    a label that is NULL or not of the store's label dtype; loss values that are not numbers.

    Raises
    ------
    StoreError
        Naming the store, the first offending row and what is wrong with it.
    """
    n_splits, n_samples = meta["n_splits"], meta["n_samples"]
    dtype = label_dtype(meta["y_dtype"])
    checks = [
        (
            "SELECT model, split FROM trials WHERE typeof(model) != 'text' OR model NOT IN"
            " (SELECT name FROM models)",
            "trial {row}: its model is not one of the store's models",
        ),
        (
            f"SELECT model, split FROM trials WHERE typeof(split) != 'integer' OR split < 0"
            f" OR split >= {n_splits}",
            f"trial {{row}}: its split is outside 0 .. {n_splits - 1} (meta 'n_splits' is "
            f"{n_splits})",
        ),
        *(
            (
                f"SELECT model, split FROM trials WHERE typeof({col}) != 'integer'"
                f" OR {col} < {low} OR {col} > {high}",
                f"trial {{row}}: {col} is not an integer in {low} .. {high}",
            )
            for col, low, high in (
                ("repeat", 0, 2**62),
                ("fold", 0, 2**62),
                ("n_train", 1, n_samples),
                ("n_test", 1, n_samples),
                ("n_epochs", 0, 2**31),
            )
        ),
        (
            "SELECT model, split FROM trials WHERE typeof(fit_time) NOT IN ('real', 'integer')"
            " OR fit_time < 0",
            "trial {row}: fit_time is not a number >= 0",
        ),
        (
            f"SELECT model, split, position FROM predictions WHERE typeof(sample) != 'integer'"
            f" OR sample < 0 OR sample >= {n_samples}",
            f"prediction {{row}}: sample is not a row number in 0 .. {n_samples - 1}",
        ),
        (
            "SELECT p.model, p.split, p.position FROM predictions p JOIN trials t"
            " ON t.model = p.model AND t.split = p.split WHERE typeof(p.position) != 'integer'"
            " OR p.position < 0 OR p.position >= t.n_test",
            "prediction {row}: its position is outside 0 .. n_test - 1 of its trial",
        ),
        *(
            (
                f"SELECT model, split, position, quote({col}) FROM predictions"
                f" WHERE {_label_condition(col, dtype)}",
                f"prediction {{row}}: {col} is {{value}}, not a label of the store's label "
                f"dtype {dtype.str}",
            )
            for col in ("y_true", "y_pred")
        ),
        (
            "SELECT c.model, c.split, c.epoch FROM loss_curves c JOIN trials t"
            " ON t.model = c.model AND t.split = c.split WHERE typeof(c.epoch) != 'integer'"
            " OR c.epoch < 1 OR c.epoch > t.n_epochs"
            " OR typeof(c.loss) NOT IN ('real', 'integer', 'null')",
            "loss value {row}: not a number at an epoch 1 .. n_epochs of its trial",
        ),
    ]
    if has_extras(con):
        checks += [
            (
                f"SELECT position FROM classes WHERE typeof(position) != 'integer'"
                f" OR {_label_condition('label', dtype)}",
                f"class at position {{row}}: its label is not a label of the store's label "
                f"dtype {dtype.str}",
            ),
            (
                "SELECT model, split FROM trial_extras WHERE"
                " typeof(fit_batch_time) NOT IN ('real', 'integer') OR fit_batch_time < 0"
                " OR typeof(fit_batch_size) != 'integer' OR fit_batch_size < 1"
                " OR typeof(probabilities) NOT IN ('text', 'null')",
                "trial {row}: its fit batch (time >= 0, size >= 1) or probabilities (JSON "
                "text) are not of their types",
            ),
        ]
    check_consistency(con, path)
    for sql, message in checks:
        row = con.execute(sql + " LIMIT 1").fetchone()
        if row is not None:
            key = tuple(row[:3]) if "{value}" in message else tuple(row)
            raise damaged(path, message.format(row=_short(key, 200), value=_one_line(row[-1])))
    scoring = meta["scoring"]
    for model, split, text in con.execute("SELECT model, split, scores FROM trials"):
        parse_scores(path, model, split, text, scoring)


def check_consistency(con, path):
    """Refuse a store where a trial lacks (or has extra) prediction or loss rows, or rows
    belong to no trial."""
    bad = con.execute(
        "SELECT t.model, t.split FROM trials t LEFT JOIN (SELECT model, split,"
        " COUNT(*) AS n FROM predictions GROUP BY model, split) p"
        " ON p.model = t.model AND p.split = t.split"
        " LEFT JOIN (SELECT model, split, COUNT(*) AS n FROM loss_curves"
        " GROUP BY model, split) c ON c.model = t.model AND c.split = t.split"
        " WHERE COALESCE(p.n, 0) != t.n_test OR COALESCE(c.n, 0) != t.n_epochs LIMIT 10"
    ).fetchall()
    # a trial_extras row without its trial (a trial deleted by hand) is not read, and is
    # replaced when the trial is written again: no damage
    orphans = con.execute(
        "SELECT COUNT(*) FROM (SELECT model, split FROM predictions UNION"
        " SELECT model, split FROM loss_curves) r WHERE NOT EXISTS"
        " (SELECT 1 FROM trials t WHERE t.model = r.model AND t.split = r.split)"
    ).fetchone()[0]
    if bad or orphans:
        raise StoreError(
            path,
            f"the trial store {os.fspath(path)!r} is inconsistent: trials with missing rows "
            f"{[tuple(r) for r in bad]}, {orphans} orphaned (model, split) groups",
        )


def has_extras(con):
    """True when the store behind ``con`` has the tables of :data:`EXTRA_SCHEMA`."""
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return EXTRA_TABLES <= names


def parse_probabilities(path, model, split, text, n_test, n_classes):
    """A trial's stored probabilities as an ``(n_test, n_classes)`` float array (None for
    NULL), checked: JSON of ``n_test`` lists of ``n_classes`` numbers."""
    if text is None:
        return None
    where = f"trial {_short((model, split))}"
    try:
        rows = _loads(text)
    except ValueError as exc:
        raise damaged(path, f"{where}: probabilities is not valid JSON ({exc})") from None
    if (
        not isinstance(rows, list)
        or len(rows) != n_test
        or not all(isinstance(r, list) and len(r) == n_classes for r in rows)
        or not all(_is_number(v) for r in rows for v in r)
    ):
        raise damaged(
            path,
            f"{where}: probabilities is not {n_test} lists of {n_classes} numbers "
            "(its test samples x the stored classes)",
        )
    return np.array(rows, dtype=float).reshape(n_test, n_classes)
