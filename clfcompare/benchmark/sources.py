"""Where a benchmark's data sets come from: mappings, built-in names, CSV folders, OpenML.

:func:`load_datasets` turns any of these into one ordered ``{name: Dataset}`` mapping, where a
:class:`Dataset` unpacks as ``X, y`` and carries a ``description``:

* a mapping ``{name: (X, y)}`` (or ``(X, y, description)``);
* the name of a built-in suite (``"offline"``, see :mod:`clfcompare.benchmark.suite`) or of one
  of its data sets (``"iris"``, ``"fair"``...);
* the path of a folder of CSV files (one data set per file, named by the file's stem; the
  target column is the last one unless ``target=`` names it; read by
  :func:`clfcompare.datasets.load_csv`), or of one CSV file;
* an OpenML data set id (an int, or ``"openml:61"``), fetched once through scikit-learn's
  :func:`~sklearn.datasets.fetch_openml` and cached in its data folder (``data_home``);
  without a network, an :class:`~clfcompare._checks.InputError` says so;
* a list of any of these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from numbers import Integral
from pathlib import Path

import numpy as np

from clfcompare._checks import InputError
from clfcompare.benchmark.suite import SUITE_DATASETS, SUITES, load_suite_dataset

__all__ = ["Dataset", "load_datasets", "fetch_openml_dataset"]


class Dataset(tuple):
    """A data set: unpacks as ``X, y``; ``description`` says what it is.

    Examples
    --------
    >>> import numpy as np
    >>> ds = Dataset(np.zeros((2, 1)), np.array([0, 1]), "two rows")
    >>> X, y = ds
    >>> X.shape, ds.description
    ((2, 1), 'two rows')
    """

    def __new__(cls, X, y, description=""):
        self = super().__new__(cls, (X, y))
        self.description = str(description)
        return self

    @property
    def X(self):
        return self[0]

    @property
    def y(self):
        return self[1]

    def __repr__(self):
        shape = getattr(self[0], "shape", None)
        return f"Dataset(shape={shape}, description={self.description!r})"


def _csv_dataset(path, target):
    import pandas as pd

    from clfcompare.datasets import csv_separator, load_csv

    if target is None:
        try:
            columns = pd.read_csv(path, sep=csv_separator(path), nrows=0).columns
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
            raise InputError(f"cannot read {path} as CSV: {str(err).strip()}") from None
        if len(columns) < 2:
            raise InputError(f"{path} needs a target column and at least one feature column")
        target = columns[-1]
    X, y, desc = load_csv(path, target)
    return Dataset(X, y, desc)


def fetch_openml_dataset(data_id, *, data_home=None):
    """An OpenML data set by id, through scikit-learn's ``fetch_openml`` (cached).

    Categorical features are one-hot encoded, rows with a missing value dropped (the
    description says how many).

    Parameters
    ----------
    data_id : int
    data_home : str or Path, optional
        scikit-learn's cache folder (default ``~/scikit_learn_data``); a data set fetched once
        is read from there afterwards, offline too.

    Raises
    ------
    InputError
        The data set cannot be fetched (no network, an unknown id), or has no target.
    """
    import pandas as pd
    from sklearn import datasets as skd

    data_id = int(data_id)
    try:
        bunch = skd.fetch_openml(
            data_id=data_id, as_frame=True, data_home=data_home, parser="auto"
        )
    except (OSError, ConnectionError) as err:  # urllib's URLError is an OSError
        raise InputError(
            f"cannot fetch OpenML data set {data_id}: {err} (no network? a data set fetched "
            "once is cached in scikit-learn's data_home and then read offline)"
        ) from None
    except ValueError as err:
        raise InputError(f"cannot fetch OpenML data set {data_id}: {err}") from None
    frame, target = bunch.data, bunch.target
    if target is None or isinstance(target, pd.DataFrame):
        raise InputError(f"OpenML data set {data_id} has no single default target column")
    categorical = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if categorical:
        frame = pd.get_dummies(frame, columns=categorical, dtype=float)
    keep = ~(frame.isna().any(axis=1) | target.isna())
    dropped = int((~keep).sum())
    X = frame[keep].to_numpy(dtype=float)
    y = target[keep].astype(str).to_numpy()
    name = getattr(bunch, "details", {}).get("name", str(data_id))
    desc = (
        f"OpenML data set {data_id} ({name}): {X.shape[0]} rows, {X.shape[1]} features"
        + (f" ({len(categorical)} categorical one-hot encoded)" if categorical else "")
        + (f"; {dropped} rows with missing values dropped" if dropped else "")
    )
    return Dataset(X, y, desc)


def _openml_id(item):
    if isinstance(item, Integral) and not isinstance(item, bool):
        return int(item)
    if isinstance(item, str) and item.lower().startswith("openml:"):
        tail = item.split(":", 1)[1]
        if not tail.isdigit():
            raise InputError(f"an OpenML data set is 'openml:<id>', got {item!r}")
        return int(tail)
    return None


def _resolve(item, target, data_home):
    """``[(name, Dataset)]`` for one non-mapping item of ``datasets``."""
    data_id = _openml_id(item)
    if data_id is not None:
        return [(f"openml{data_id}", fetch_openml_dataset(data_id, data_home=data_home))]
    if not isinstance(item, (str, os.PathLike)):
        raise TypeError(
            "datasets must be a mapping {name: (X, y)}, a suite or data set name, a folder of "
            f"CSV files, an OpenML id, or a list of these; got {type(item).__name__}"
        )
    if isinstance(item, str) and item in SUITES:
        return [(n, Dataset(*load_suite_dataset(n), SUITE_DATASETS[n])) for n in SUITES[item]]
    if isinstance(item, str) and item in SUITE_DATASETS:
        return [(item, Dataset(*load_suite_dataset(item), SUITE_DATASETS[item]))]
    path = Path(item)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
        if not files:
            raise InputError(f"the folder {path} holds no .csv file")
        return [(p.stem, _csv_dataset(p, target)) for p in files]
    if path.is_file():
        return [(path.stem, _csv_dataset(path, target))]
    raise InputError(
        f"unknown data set {str(item)!r}: not a suite ({', '.join(SUITES)}), a built-in data "
        f"set ({', '.join(SUITE_DATASETS)}), an existing CSV file or folder, or 'openml:<id>'"
    )


def _from_value(name, value):
    if isinstance(value, Dataset):
        return value
    if not isinstance(value, (tuple, list)) or len(value) not in (2, 3):
        raise TypeError(
            f"datasets[{name!r}] must be a tuple (X, y) or (X, y, description), got "
            f"{type(value).__name__}"
        )
    return Dataset(*value)


def load_datasets(datasets, *, target=None, data_home=None):
    """Any description of a benchmark's data sets as an ordered ``{name: Dataset}``.

    Parameters
    ----------
    datasets : mapping, str, path, int, or list of these
        See the module docstring: ``{name: (X, y)}``, a suite (``"offline"``), a built-in data
        set name, a folder of CSV files or one CSV file, an OpenML id (int or
        ``"openml:<id>"``).
    target : str, optional
        The label column of the CSV files (default: the last column of each).
    data_home : str or Path, optional
        scikit-learn's cache folder for OpenML data sets.

    Returns
    -------
    dict
        ``{name: Dataset}`` in the order given; a :class:`Dataset` unpacks as ``X, y``.

    Raises
    ------
    InputError
        An unknown name or path, an unreadable CSV file, an OpenML data set that cannot be
        fetched, or the same name twice.

    Examples
    --------
    >>> from clfcompare.benchmark import load_datasets
    >>> data = load_datasets(["iris", "moons"])
    >>> [(name, X.shape) for name, (X, y) in data.items()]
    [('iris', (150, 4)), ('moons', (300, 2))]
    """
    if isinstance(datasets, Mapping):
        pairs = []
        for name, value in datasets.items():
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"data set names must be non-empty str, got {name!r}")
            pairs.append((name, _from_value(name, value)))
    elif isinstance(datasets, (list, tuple)):
        if not datasets:
            raise InputError("datasets is empty")
        pairs = [p for item in datasets for p in _resolve(item, target, data_home)]
    else:
        pairs = _resolve(datasets, target, data_home)
    if not pairs:
        raise InputError("datasets is empty")
    out = {}
    for name, ds in pairs:
        if name in out:
            raise InputError(f"the data set name {name!r} occurs twice")
        X, y = ds
        if np.ndim(y) != 1:
            raise InputError(f"data set {name!r}: y must be 1-D class labels")
        if len(np.unique(np.asarray(y))) < 2:
            raise InputError(f"data set {name!r}: y holds a single class")
        out[name] = ds
    return out
