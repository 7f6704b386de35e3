"""The fingerprint of a run's set-up: data, splits and model parameters rendered as data.

A trial store records these digests and rendered parameters (:mod:`._store`) and refuses to
resume a run whose fingerprint differs. Every function here is deterministic across
processes, platforms and ``PYTHONHASHSEED`` values (no memory addresses, sets sorted).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import re
import sys
import types

import numpy as np


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
    # an estimator whose behaviour changed under the same parameter values says so, so that
    # a store written before the change is refused rather than resumed with mixed results
    version = getattr(estimator, "clfcompare_behaviour_version", None)
    if version is not None:
        cls += f" (behaviour version {version})"
    params = estimator.get_params(deep=True)
    return cls, {k: render_param(params[k]) for k in sorted(params)}


def params_at_default(estimator):
    """The (deep) parameter names of ``estimator`` whose value renders as their default.

    The default is the one in the signature of the owning estimator's ``__init__``
    (``a__b`` is owned by the estimator held in parameter ``a``). A store written before a
    parameter existed holds no value for it; the parameter is then taken to be unchanged
    when its value now is its default, so that adding a parameter to an estimator (with a
    default that keeps the old behaviour) does not make every existing store unusable.
    """
    params = estimator.get_params(deep=True)
    at_default = set()
    for key, value in params.items():
        owner_key, _, name = key.rpartition("__")
        owner = params.get(owner_key) if owner_key else estimator
        try:
            default = inspect.signature(type(owner).__init__).parameters[name].default
        except (KeyError, TypeError, ValueError):
            continue
        if default is inspect.Parameter.empty:
            continue
        if render_param(value) == render_param(default):
            at_default.add(key)
    return at_default
