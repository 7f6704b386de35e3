"""The trial store against hostile, damaged, concurrent and read-only cases (issue 14).

Every refusal is one :class:`clfcompare.trials.StoreError` (a ValueError with ``.path``)
naming the store and, where one row is at fault, the row; nothing committed is lost; a file
that is not a store is not written to. The SIGKILL of the parent process is tested in
tests/test_trials.py; the SIGKILL of a worker, the ``-wal``/``-shm`` files, the hash seed and
the absence of any code-executing decoder are tested here.
"""

import ast
import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.tree import DecisionTreeClassifier

from clfcompare.trials import (
    SetupMismatch,
    StoreError,
    TrialResults,
    count_finished,
    load_results,
    run_trials,
)

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent / "clfcompare" / "trials"

X, Y = make_classification(
    n_samples=48, n_features=4, n_informative=3, n_redundant=0, random_state=0
)


def _models():
    return {
        "prior": DummyClassifier(),
        "tree": DecisionTreeClassifier(max_depth=2, random_state=0),
    }


def _run(path, models=None, X=X, y=Y, **kw):
    return run_trials(_models() if models is None else models, X, y, cv=3, progress=False,
                      store=path, **kw)  # fmt: skip


def _sql(path, *statements):
    """Run statements on ``path`` with a plain sqlite3 connection (committed); the rows of
    the last."""
    with contextlib.closing(sqlite3.connect(path)) as con, con:
        rows = []
        for stmt in statements:
            rows = con.execute(stmt).fetchall()
        return rows


def _same(a, b):
    """Equal tables, bit for bit, but for the measured fit_time."""
    assert (a.models, a.scoring, a.n_splits) == (b.models, b.scoring, b.n_splits)
    pd.testing.assert_frame_equal(
        a.scores.drop(columns="fit_time"), b.scores.drop(columns="fit_time"), check_exact=True
    )
    pd.testing.assert_frame_equal(a.predictions, b.predictions, check_exact=True)
    pd.testing.assert_frame_equal(a.loss_curves, b.loss_curves, check_exact=True)
    pd.testing.assert_frame_equal(a.probabilities, b.probabilities, check_exact=True)
    pd.testing.assert_frame_equal(
        a.fit_batches.drop(columns="fit_batch_time"),
        b.fit_batches.drop(columns="fit_batch_time"),
        check_exact=True,
    )


def _sidecars(path):
    return sorted(p.name for p in Path(path).parent.iterdir() if p.name != Path(path).name)


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _integrity(path):
    uri = f"{Path(path).as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
        return con.execute("PRAGMA integrity_check").fetchall()


@pytest.fixture(scope="module")
def reference():
    """The results of the default set-up, without a store."""
    return run_trials(_models(), X, Y, cv=3, progress=False)


# ------------------------------------------------------------------ 1, 11: read-only folder
@pytest.fixture
def shared_folder():
    """A folder others may enter (tmp_path's parents are private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="clfcompare-ro-"))
    folder.chmod(0o755)
    yield folder
    folder.chmod(0o755)
    shutil.rmtree(folder)


def _as_reader(folder, fn):
    """``fn()`` in a forked child that cannot write to ``folder``: run as user ``nobody``
    when this process is root (chmod does not bind root), else with the folder chmod 555.

    Returns ``fn``'s JSON-able value, or the exception as ``{"error", "message", "path"}``.
    """
    as_root = os.geteuid() == 0
    if not as_root:
        folder.chmod(0o555)
    for f in folder.iterdir():
        f.chmod(0o644)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            if as_root:
                os.setgid(65534)
                os.setuid(65534)
            try:
                (folder / "probe").touch()
                out = {"skip": "the folder stays writable to the reader"}
            except PermissionError:
                try:
                    out = {"value": fn()}
                except BaseException as exc:  # noqa: BLE001 - reported to the parent
                    out = {
                        "error": type(exc).__name__,
                        "message": str(exc),
                        "path": getattr(exc, "path", None),
                    }
            os.write(w, json.dumps(out).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 1 << 16):
        chunks.append(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    if not as_root:
        folder.chmod(0o755)
    # a reader that died without answering is a failure of the code under test, not a skip
    assert chunks, "the read-only reader process died without reporting a result"
    out = json.loads(b"".join(chunks))
    if "skip" in out:  # only: this machine cannot make a folder read-only to the reader
        pytest.skip(out["skip"])
    return out


def _tables(res):
    return {
        "scores": res.scores.drop(columns="fit_time").to_json(),
        "predictions": res.predictions.to_json(),
    }


def _leave_a_wal(path):
    """Commit a change to ``path`` in a process that dies before checkpointing it, so that
    it lives in ``-wal`` only (as a killed writer leaves it)."""
    pid = os.fork()
    if pid == 0:
        try:
            con = sqlite3.connect(path, isolation_level=None)
            con.execute("PRAGMA wal_autocheckpoint=0")
            con.execute("INSERT INTO meta (key, value) VALUES ('note', '\"in the -wal\"')")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_store_in_a_read_only_folder_is_read(shared_folder, reference):
    # tested for real: a forked reader without write access to the folder (user nobody
    # when the suite runs as root, else the folder chmod 555); the probe file it cannot
    # create proves it
    path = shared_folder / "run.sqlite"
    _run(path)
    assert _sidecars(path) == []  # a clean close: no -wal, no -shm

    def read():
        return {
            "load": _tables(load_results(path)),
            "resume": _tables(_run(path)),  # complete: nothing to run, nothing to write
            "count": count_finished(path),
        }

    out = _as_reader(shared_folder, read)
    assert "error" not in out, out
    expected = _tables(reference)
    assert out["value"] == {"load": expected, "resume": expected, "count": 6}
    assert _sidecars(path) == []

    # a store with a model still to run cannot be written here: one clear error
    def add_a_model():
        _run(path, models={**_models(), "new": DummyClassifier(strategy="uniform")})

    out = _as_reader(shared_folder, add_a_model)
    assert out["error"] == "StoreError" and out["path"] == str(path), out
    assert "read-only" in out["message"] and "3 trials" in out["message"], out

    # a killed writer's -wal beside it (with its -shm, or without: copied alone)
    _leave_a_wal(path)
    assert (shared_folder / "run.sqlite-wal").stat().st_size > 0
    out = _as_reader(shared_folder, lambda: _tables(load_results(path)))
    assert out == {"value": expected}, out
    (shared_folder / "run.sqlite-shm").unlink()
    out = _as_reader(shared_folder, lambda: _tables(load_results(path)))
    assert out["error"] == "StoreError" and out["path"] == str(path), out
    assert "-wal" in out["message"], out


# ------------------------------------------------------------------ 3: racing set-ups
def _race(worker, paths, barrier, queue):
    """Run each fresh store of ``paths`` with the other workers, all opening it at the same
    moment (each waits for the others just before its first connection to the file);
    worker 0 uses another scoring on odd rounds (another set-up)."""
    connect = sqlite3.connect

    def connect_together(database, *args, **kwargs):
        if os.fspath(database) != ":memory:" and not waited:
            waited.append(True)
            barrier.wait()
        return connect(database, *args, **kwargs)

    sqlite3.connect = connect_together  # in this forked worker only
    for round_, path in enumerate(paths):
        scoring = "f1_macro" if round_ % 2 and worker == 0 else "accuracy"
        waited = []
        try:
            res = run_trials(
                {"prior": DummyClassifier()},
                X,
                Y,
                cv=3,
                progress=False,
                store=path,
                scoring=scoring,
            )
            queue.put((round_, "ok", len(res.scores)))
        except SetupMismatch:
            queue.put((round_, "refused", None))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            queue.put((round_, "error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_processes_opening_a_fresh_store_at_once_finish_or_are_refused(tmp_path):
    # two processes, each opening the same fresh store at once, 40 times; before the fix a
    # few opens in a hundred died of "database is locked" in the journal-mode change (the
    # deterministic case is the next test)
    ctx = multiprocessing.get_context("fork")
    n_rounds, n_proc = 40, 2
    paths = [tmp_path / f"race{i}.sqlite" for i in range(n_rounds)]
    barrier, queue = ctx.Barrier(n_proc), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(i, paths, barrier, queue)) for i in range(n_proc)]
    for p in procs:
        p.start()
    outcomes = [queue.get(timeout=120) for _ in range(n_rounds * n_proc)]
    for p in procs:
        p.join(timeout=60)
    errors = [o for o in outcomes if o[1] == "error"]
    assert errors == [], (len(errors), errors[:3])
    for round_ in range(n_rounds):
        got = sorted(o[1:] for o in outcomes if o[0] == round_)
        if round_ % 2 == 0:  # the same set-up: both finish
            assert got == [("ok", 3)] * n_proc, got
        else:  # whoever set the store up finishes; the other set-up is refused
            assert got == [("ok", 3), ("refused", None)], got
    for path in paths[:4]:
        assert _integrity(path) == [("ok",)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_set_up_waits_while_another_process_holds_the_fresh_store(tmp_path):
    # the deterministic case of the race: another process holds the write lock of the
    # fresh file while this one switches it to WAL. SQLite answers that upgrade "busy"
    # at once, without the busy timeout (this connection already holds a read lock);
    # before the fix run_trials died of it in 0.02 s, now it waits for the lock
    path = tmp_path / "held.sqlite"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            con = sqlite3.connect(path, isolation_level=None)
            con.execute("BEGIN IMMEDIATE")
            os.write(w, b"held")
            time.sleep(0.5)
            con.execute("ROLLBACK")
            con.close()
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 4) == b"held"
    os.close(r)
    try:
        t0 = time.perf_counter()
        res = _run(path)
        assert time.perf_counter() - t0 > 0.3  # it did wait for the other process
    finally:
        os.waitpid(pid, 0)
    assert res.is_complete and _sidecars(path) == []


# ------------------------------------------------------------------ 4: a foreign file
def _foreign(path, wal=False):
    statements = ["CREATE TABLE people (name TEXT)", "INSERT INTO people VALUES ('ada')"]
    if wal:
        statements.insert(0, "PRAGMA journal_mode=WAL")
    _sql(path, *statements)


def _lookalike(path, reference_store):
    """A copy of a real store with one trigger added: not a file clfcompare wrote."""
    shutil.copy(reference_store, path)
    _sql(path, "CREATE TRIGGER t AFTER INSERT ON trials BEGIN DELETE FROM meta; END")


@pytest.mark.parametrize("kind", ["rollback-journal", "wal", "lookalike", "text"])
def test_a_foreign_file_is_refused_without_a_byte_written(tmp_path, kind):
    real = tmp_path / "real" / "run.sqlite"
    real.parent.mkdir()
    _run(real)
    path = tmp_path / "other" / "app.sqlite"
    path.parent.mkdir()
    if kind == "text":
        path.write_text("not a database " * 300)
    elif kind == "lookalike":
        _lookalike(path, real)
    else:
        _foreign(path, wal=kind == "wal")
    before, files = _digest(path), _sidecars(path)
    calls = [
        lambda: _run(path),
        lambda: load_results(path),
        lambda: count_finished(path),
    ]
    for call in calls:
        with pytest.raises(StoreError, match="not a clfcompare trial store") as info:
            call()
        assert info.value.path == str(path)
        assert _digest(path) == before and _sidecars(path) == files


def test_an_empty_file_is_read_as_no_store_and_left_empty(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    for call in (load_results, count_finished):
        with pytest.raises(StoreError, match="empty file, not a trial store"):
            call(path)
    assert path.stat().st_size == 0 and _sidecars(path) == []
    _run(path)  # run_trials sets an empty file up as a new store
    assert load_results(path).is_complete


# ------------------------------------------------------------------ 5: disk full
def test_a_full_disk_names_the_store_and_keeps_every_committed_trial(tmp_path, monkeypatch):
    from clfcompare.trials import _store

    Xb, yb = make_classification(n_samples=600, n_features=4, random_state=1)
    path = tmp_path / "full.sqlite"
    original = _store.TrialStore.write
    calls = []

    def write(self, trial, repeat, fold):
        calls.append(1)
        if len(calls) == 3:  # the disk fills up: no page beyond those the file has now
            (pages,) = self._con.execute("PRAGMA page_count").fetchone()
            self._con.execute(f"PRAGMA max_page_count = {pages}")
        return original(self, trial, repeat, fold)

    monkeypatch.setattr(_store.TrialStore, "write", write)
    with pytest.raises(StoreError, match="disk (is )?full") as info:
        _run(path, X=Xb, y=yb)
    assert info.value.path == str(path) and repr(str(path)) in str(info.value)
    assert "cannot rollback" not in str(info.value)
    kept = load_results(path)
    assert len(kept.scores) >= 2 and _integrity(path) == [("ok",)]
    monkeypatch.setattr(_store.TrialStore, "write", original)
    resumed = _run(path, X=Xb, y=yb)
    _same(resumed, run_trials(_models(), Xb, yb, cv=3, progress=False))
    # the trials kept were not run again: their measured fit_time is the stored one
    keys = ["model", "split"]
    both = kept.scores[[*keys, "fit_time"]].merge(resumed.scores[[*keys, "fit_time"]], on=keys)
    assert len(both) == len(kept.scores)
    assert (both["fit_time_x"] == both["fit_time_y"]).all()


# ------------------------------------------------------------------ 9, 10, 11, 12, 13
def _store(tmp_path):
    path = tmp_path / "run.sqlite"
    _run(path)
    return path


def _refused(path, *fragments, resume=True):
    """Every reader (and a resumed run) raises one StoreError naming the store and
    ``fragments``."""
    calls = [load_results]
    if resume:
        calls.append(_run)
    for call in calls:
        with pytest.raises(StoreError) as info:
            call(path)
        message = str(info.value)
        assert info.value.path == str(path), message
        assert repr(str(path)) in message, message
        assert "\n" not in message  # a command prints it as one line
        for fragment in fragments:
            assert fragment in message, (fragment, message)


def test_the_resume_path_checks_consistency(tmp_path, reference):
    path = _store(tmp_path)
    # three predictions of one trial lost, and another trial missing: resuming would run
    # the missing one and return the damaged one with n_test = 13
    _sql(
        path,
        "DELETE FROM predictions WHERE model = 'tree' AND split = 1 AND position < 3",
        "DELETE FROM trials WHERE model = 'prior' AND split = 2",
        "DELETE FROM predictions WHERE model = 'prior' AND split = 2",
    )
    _refused(path, "inconsistent", "('tree', 1)")


def test_completeness_is_the_set_of_model_split_keys(tmp_path, reference):
    path = _store(tmp_path)
    # trial ('tree', 2) moved to a split the set-up does not have: as many rows as a
    # complete store, with a trial missing
    _sql(
        path,
        *(
            f"UPDATE {table} SET split = 99 WHERE model = 'tree' AND split = 2"
            for table in ("trials", "predictions")
        ),
    )
    _refused(path, "('tree', 99)", "split")
    # built directly: a duplicated or out-of-range (model, split) is refused
    s = reference.scores
    for scores, fragment in (
        (pd.concat([s, s.iloc[[0]]], ignore_index=True), "duplicate"),
        (s.assign(split=s["split"].where(s.index != 5, 99)), "outside"),
    ):
        with pytest.raises(ValueError, match=fragment):
            TrialResults(
                scores,
                reference.predictions,
                reference.loss_curves,
                models=reference.models,
                scoring=reference.scoring,
                n_splits=reference.n_splits,
            )
    # a copy without one row: incomplete, and says which trial is missing
    part = TrialResults(
        s.iloc[1:].reset_index(drop=True),
        reference.predictions,
        reference.loss_curves,
        models=reference.models,
        scoring=reference.scoring,
        n_splits=reference.n_splits,
    )
    assert not part.is_complete
    assert part.missing_trials().to_numpy().tolist() == [["prior", 0]]


ROW = "model = 'tree' AND split = 1"
DAMAGE = {
    "meta-json": (["UPDATE meta SET value = '{oops' WHERE key = 'scoring'"], ["meta 'scoring'"]),
    "meta-missing": (["DELETE FROM meta WHERE key = 'n_samples'"], ["meta 'n_samples'"]),
    "meta-type": (["UPDATE meta SET value = '\"3\"' WHERE key = 'n_splits'"], ["meta 'n_splits'"]),
    "n-splits-huge": (
        ["UPDATE meta SET value = '10000000000' WHERE key = 'n_splits'"],
        ["meta 'n_splits'"],
    ),
    "params-json": (["UPDATE models SET params = 'nope' WHERE name = 'tree'"], ["model 'tree'"]),
    "scores-json": ([f"UPDATE trials SET scores = '{{' WHERE {ROW}"], ["trial ('tree', 1)"]),
    "scores-text": (
        [f'UPDATE trials SET scores = \'{{"accuracy": "high"}}\' WHERE {ROW}'],
        ["trial ('tree', 1)", "accuracy"],
    ),
    "scores-key": ([f"UPDATE trials SET scores = '{{}}' WHERE {ROW}"], ["trial ('tree', 1)"]),
    "fit-time-text": (
        [f"UPDATE trials SET fit_time = 'slow' WHERE {ROW}"],
        ["trial ('tree', 1)", "fit_time"],
    ),
    "n-train-huge": (
        [f"UPDATE trials SET n_train = 10000 WHERE {ROW}"],
        ["trial ('tree', 1)", "n_train"],
    ),
    "sample-out-of-range": (
        [f"UPDATE predictions SET sample = 4800 WHERE {ROW} AND position = 0"],
        ["prediction ('tree', 1, 0)", "sample"],
    ),
    "label-null": (
        [f"UPDATE predictions SET y_true = NULL WHERE {ROW} AND position = 2"],
        ["prediction ('tree', 1, 2)", "y_true"],
    ),
    "label-string": (
        [f"UPDATE predictions SET y_pred = 'cat' WHERE {ROW} AND position = 3"],
        ["prediction ('tree', 1, 3)", "y_pred"],
    ),
    "label-newline": (
        [f"UPDATE predictions SET y_pred = 'a' || char(10) || 'b' WHERE {ROW} AND position = 4"],
        ["prediction ('tree', 1, 4)", "'a\\nb'"],
    ),
    "label-dtype": (
        ["UPDATE meta SET value = '\"not a dtype\"' WHERE key = 'y_dtype'"],
        ["meta 'y_dtype'"],
    ),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_value_is_one_error_naming_the_store_and_the_row(tmp_path, case):
    path = _store(tmp_path)
    statements, fragments = DAMAGE[case]
    _sql(path, *statements)
    t0 = time.perf_counter()
    _refused(path, *fragments)
    assert time.perf_counter() - t0 < 10  # refused, not ground through (n_splits = 1e10)


def test_a_corrupted_page_is_one_error_naming_the_store(tmp_path):
    path = _store(tmp_path)
    (page_size,) = _sql(path, "PRAGMA page_size")[0]
    data = bytearray(path.read_bytes())
    n_pages = len(data) // page_size
    # every page after the schema's first (the table pages): unreadable b-tree pages
    for page in range(2, n_pages):
        data[page * page_size : page * page_size + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    _refused(path, "damaged")
    with pytest.raises(StoreError, match="damaged"):
        count_finished(path)


# ------------------------------------------------------------------ regressions
def test_no_wal_or_shm_outlives_a_clean_close(tmp_path):
    path = _store(tmp_path)
    assert _sidecars(path) == []
    load_results(path)
    assert _sidecars(path) == []
    count_finished(path)
    assert _sidecars(path) == []
    _run(path)  # resumed, complete
    assert _sidecars(path) == []
    # while another connection is open, the files are its; they go when it closes
    other = sqlite3.connect(path)
    other.execute("SELECT COUNT(*) FROM trials").fetchall()
    load_results(path)
    other.close()
    assert _sidecars(path) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
def test_file_handles_stay_flat(tmp_path):
    path = _store(tmp_path)
    (tmp_path / "notes.sqlite").write_text("not a database " * 300)
    load_results(path)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(30):
        load_results(path)
        count_finished(path)
        _run(path)
        with contextlib.suppress(StoreError):
            load_results(tmp_path / "notes.sqlite")
    assert len(os.listdir("/proc/self/fd")) == before


_FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
_FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
_FORBIDDEN_ATTRS = {"enable_load_extension", "load_extension", "read_pickle"}


def _code_executing_decoders(source, name):
    """``[(file, line, what)]``: imports of pickle-like modules, eval/exec/compile, any
    ``.load``/``.loads`` but ``json.loads`` (torch.load, joblib.load, np.load, pickle.loads),
    SQLite extension loading."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found += [
                (name, node.lineno, m) for m in mods if m.split(".")[0] in _FORBIDDEN_MODULES
            ]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in _FORBIDDEN_CALLS:
                found.append((name, node.lineno, node.func.id))
        elif isinstance(node, ast.Attribute):
            owner = node.value.id if isinstance(node.value, ast.Name) else "?"
            if node.attr in _FORBIDDEN_ATTRS or (
                node.attr in ("load", "loads") and owner != "json"
            ):
                found.append((name, node.lineno, f"{owner}.{node.attr}"))
    return found


def test_no_stored_value_goes_through_a_code_executing_decoder():
    # the checker finds what it looks for
    bad = "import pickle\nimport torch\nx = torch.load(f)\ny = eval('1')\nz = pickle.loads(b)\n"
    found = sorted(w for _, _, w in _code_executing_decoders(bad, "bad"))
    assert found == ["eval", "pickle", "pickle.loads", "torch.load"]
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 6
    found = []
    for f in files:
        found += _code_executing_decoders(f.read_text(), f.name)
    assert found == []


# the same trials in another process, with another string hash and n_jobs
#: One run of the hash-seed test: ``case(store, n_jobs)``, run here and in another process
#: (the code alone: importing this test module there would import pytest too).
_HASH_CASE = """
import numpy as np
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier
from clfcompare.trials import run_trials

def case(store, n_jobs):
    X, y = make_classification(n_samples=60, n_features=5, n_informative=3, n_classes=3,
                               random_state=4)
    labels = np.array(["emu", "cat", "dog"])[y]  # str labels: hashed in sets and dicts
    models = {
        "tree": DecisionTreeClassifier(max_features=2, random_state=7),  # derived seeds
        "lr": LogisticRegression(C=0.3),
        "uniform": DummyClassifier(strategy="uniform", random_state=1),
    }
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    return run_trials(models, X, labels, cv=cv, n_jobs=n_jobs, progress=False, store=store,
                      scoring=("accuracy", "f1_macro"))
"""


@pytest.mark.slow
def test_results_are_bitwise_identical_across_n_jobs_and_hash_seeds(tmp_path):
    # here: n_jobs=2 under this process's hash seed; there: n_jobs=1 under PYTHONHASHSEED=2
    namespace = {}
    exec(_HASH_CASE, namespace)  # noqa: S102 - the test's own code, run in two processes
    here = namespace["case"](tmp_path / "here.sqlite", 2)
    there = tmp_path / "there.sqlite"
    subprocess.run(
        [sys.executable, "-c", _HASH_CASE + f"case({str(there)!r}, 1)"],
        env=dict(os.environ, PYTHONPATH=str(HERE.parent), PYTHONHASHSEED="2"),
        check=True,
        timeout=120,
    )
    _same(here, load_results(there))
    # and the stored rows themselves, byte for byte but the wall-clock fit_time
    for q in (
        "SELECT model, split, repeat, fold, n_train, n_test, scores FROM trials ORDER BY 1, 2",
        "SELECT * FROM predictions ORDER BY model, split, position",
        "SELECT * FROM models ORDER BY position",
        "SELECT * FROM meta ORDER BY key",
    ):
        assert _sql(there, q) == _sql(tmp_path / "here.sqlite", q)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_a_killed_worker_loses_no_committed_trial_and_the_run_resumes_exactly(
    tmp_path, monkeypatch
):
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    monkeypatch.syspath_prepend(str(HERE))
    import _kill_target

    marker = tmp_path / "kill-workers"
    marker.write_text(str(os.getpid()))  # the parent's pid: only another process dies
    Xk = X.copy()
    Xk[5, 0] = _kill_target.KILL_VALUE  # a row in two of the three training sets
    models = {
        "prior": DummyClassifier(),
        "killer": _kill_target.KillWorkerOnValue(marker=str(marker)),
    }
    path = tmp_path / "worker.sqlite"
    with pytest.raises(TerminatedWorkerError):
        run_trials(models, Xk, Y, cv=3, n_jobs=2, progress=False, store=path)
    assert _integrity(path) == [("ok",)]
    marker.unlink()  # the same set-up, no longer killing
    reference = run_trials(models, Xk, Y, cv=3, progress=False)
    if path.exists() and count_finished(path):
        kept = load_results(path)
        keys = list(zip(kept.scores["model"], kept.scores["split"], strict=True))
        ref_rows = reference.predictions.set_index(["model", "split"]).loc[keys]
        kept_rows = kept.predictions.set_index(["model", "split"])
        pd.testing.assert_frame_equal(kept_rows, ref_rows, check_exact=True)
    resumed = run_trials(models, Xk, Y, cv=3, progress=False, store=path)
    _same(resumed, reference)
    assert _sidecars(path) == [] and _integrity(path) == [("ok",)]


# --------------------------------------------------------------------------------------------
# an estimator that gains a parameter: old stores stay usable while it is at its default
# --------------------------------------------------------------------------------------------
def _toy_class(with_new_param):
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Toy(ClassifierMixin, BaseEstimator):
        if with_new_param:

            def __init__(self, depth=2, shrink=None):
                self.depth, self.shrink = depth, shrink
        else:

            def __init__(self, depth=2):
                self.depth = depth

        def fit(self, X, y):
            self.tree_ = DecisionTreeClassifier(max_depth=self.depth, random_state=0).fit(X, y)
            self.classes_ = self.tree_.classes_
            return self

        def predict(self, X):
            return self.tree_.predict(X)

    Toy.__qualname__ = "Toy"  # both versions are "the same class" to the store
    return Toy


def test_a_parameter_added_at_its_default_keeps_an_old_store_usable(tmp_path):
    path = tmp_path / "s.sqlite"
    old = _toy_class(False)
    n = len(Y)
    cv = [
        (list(range(0, n // 2)), list(range(n // 2, n))),
        (list(range(n // 2, n)), list(range(n // 2))),
    ]
    first = run_trials({"toy": old()}, X, Y, cv=cv, store=path, progress=False)
    new = _toy_class(True)
    # the new parameter at its default: the stored trials are reused, nothing refitted
    again = run_trials({"toy": new()}, X, Y, cv=cv, store=path, progress=False)
    pd.testing.assert_frame_equal(again.scores, first.scores)
    # a new model under the new class, and the old one with the parameter set: refused
    with pytest.raises(SetupMismatch, match=r"shrink \(stored <absent>, now 0.5\)"):
        run_trials({"toy": new(shrink=0.5)}, X, Y, cv=cv, store=path, progress=False)


def test_a_changed_behaviour_under_the_same_parameters_is_refused(tmp_path):
    # GDLogisticRegression gained `solver` with the accelerated descent as its default: a store
    # of the old plain descent must not resume under it, although `solver` is at its default
    from clfcompare.estimators import GDLogisticRegression, TorchMLPClassifier
    from clfcompare.trials._fingerprint import model_fingerprint

    assert "behaviour version 2" in model_fingerprint(GDLogisticRegression())[0]
    assert "behaviour" not in model_fingerprint(GDLogisticRegression(solver="gd"))[0]
    assert "behaviour" not in model_fingerprint(TorchMLPClassifier())[0]
    assert "behaviour version 2" in model_fingerprint(TorchMLPClassifier(early_stopping=True))[0]

    path = tmp_path / "s.sqlite"
    old = _toy_class(False)
    n = len(Y)
    cv = [(list(range(n // 2)), list(range(n // 2, n)))]
    run_trials({"toy": old()}, X, Y, cv=cv, store=path, progress=False)
    new = _toy_class(True)
    new.clfcompare_behaviour_version = 2  # same parameters at their defaults, new behaviour
    with pytest.raises(SetupMismatch, match="behaviour version 2"):
        run_trials({"toy": new()}, X, Y, cv=cv, store=path, progress=False)


def test_memory_stays_flat_over_2000_trials(tmp_path):
    # a 2,000-trial store, read and resumed again and again: memory does not grow with the
    # number of reads (nothing kept alive between calls: connections, frames, caches)
    import gc
    import tracemalloc

    import numpy as np
    from sklearn.model_selection import ShuffleSplit

    rng = np.random.default_rng(0)
    Xs, ys = rng.normal(size=(40, 2)), np.repeat([0, 1], 20)
    cv = ShuffleSplit(n_splits=1000, test_size=0.25, random_state=0)
    models = {"a": DummyClassifier(), "b": DummyClassifier(strategy="uniform", random_state=0)}
    path = tmp_path / "big.sqlite"
    run_trials(models, Xs, ys, cv=cv, store=path, progress=False)
    assert count_finished(path) == 2000

    def cycle():
        load_results(path)
        run_trials(models, Xs, ys, cv=cv, store=path, progress=False)  # nothing to run
        gc.collect()

    cycle()
    tracemalloc.start()
    try:
        cycle()
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(4):
            cycle()
        growth = tracemalloc.get_traced_memory()[0] - first
    finally:
        tracemalloc.stop()
    assert growth < 256 * 1024, f"memory grew by {growth} bytes over 4 read/resume cycles"


# --------------------------------------------------------------------------------------------
# a store of the code before issue 13 (no classes/trial_extras tables) resumed
# --------------------------------------------------------------------------------------------
def test_the_golden_old_store_gets_the_new_tables_when_trials_are_written_into_it(tmp_path):
    from numpy.testing import assert_allclose, assert_array_equal
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RepeatedStratifiedKFold

    from clfcompare.datasets import load_curve

    path = tmp_path / "hw4.sqlite"
    shutil.copy(HERE / "data" / "store_hw4_quick.sqlite", path)
    tables = "SELECT name FROM sqlite_master WHERE type = 'table'"
    assert {"classes", "trial_extras"}.isdisjoint(n for (n,) in _sql(path, tables))
    before = load_results(path)
    X4, y4 = load_curve(4)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)  # the store's
    res = run_trials({"lr": LogisticRegression()}, X4, y4, cv=cv, store=path, progress=False)
    assert {"classes", "trial_extras"} <= {n for (n,) in _sql(path, tables)}
    assert _sql(path, "SELECT label FROM classes ORDER BY position") == [(0,), (1,), (2,), (3,)]
    assert _sidecars(path) == [] and _integrity(path) == [("ok",)]
    back = load_results(path)
    assert back.models == (*before.models, "lr")
    # the old trials read back as before: scores, predictions, loss curves, no extras
    old = list(before.models)
    for what in ("scores", "predictions", "loss_curves"):
        frame = getattr(back, what)
        pd.testing.assert_frame_equal(
            frame[frame["model"].isin(old)].reset_index(drop=True),
            getattr(before, what),
            check_exact=True,
        )
    assert set(back.probabilities["model"]) == {"lr"}
    batches = back.fit_batches.set_index("model")
    assert batches.loc[old, "fit_batch_time"].isna().all()
    assert (batches.loc["lr", "fit_batch_size"] == 1).all()
    assert_allclose(batches.loc["lr", "fit_batch_time"], res.scores["fit_time"], rtol=1e-12)
    # the new model's probabilities are those of its refit (independent reference)
    train, test = next(iter(cv.split(X4, y4)))
    ref = LogisticRegression().fit(X4[train], y4[train]).predict_proba(X4[test])
    rows = back.probabilities[back.probabilities["split"] == 0]
    assert_array_equal(rows["sample"], test)
    assert_allclose(rows[[f"proba_{k}" for k in range(4)]].to_numpy(), ref, rtol=1e-12)
    # opened again for writing (a new model), the tables are not added twice
    run_trials({"d": DummyClassifier()}, X4, y4, cv=cv, store=path, progress=False)
    assert count_finished(path, ["d"]) == 6 and _integrity(path) == [("ok",)]
    assert len(_sql(path, "SELECT * FROM classes")) == 4
