"""Data of a study: the lecture's curve data, built-in and CSV loaders, study data checks.

Sections: the curve data (:func:`make_curve`, :func:`load_curve`, :func:`true_curve`) and its
reference values (:func:`bayes_accuracy`, :func:`bayes_cross_entropy`, :func:`curve_reference`,
:func:`curve_loss_reference`); the loaders of a study (:func:`load_builtin`, :func:`load_csv`,
and :func:`read_csv_data`, which also reads missing values and text columns for the
preprocessing of :mod:`clfcompare.preprocessing`) and the check that stratified
cross-validation can split the data (:func:`check_study_data`).
Errors about the user's data are :class:`clfcompare._checks.InputError` (a ``ValueError``),
worded in parameter names; the command line words them in its options.

One module of about 950 lines because it is one concept, the data a study is run on: where
they come from (curves, scikit-learn, a CSV file) and what makes them fit for one (the CSV
reader's checks of separators, headers, empty and index columns, and the study's check of the
classes), most of it the CSV reader's refusals of a malformed file, each with its reason.

The curve data
--------------

The seed draws 80 points ``x1`` on ``[-10, 10)`` in steps of 0.25, computes the curve
``y = 3 x1**3 + 2 x1**2 + 5 x1``, min-max normalises both to ``[0, 1]`` and then puts one
point above and one below the curve for every ``x1``::

    class 0: (x1, y + u),  u ~ U(-0.1, 0.3)
    class 1: (x1, y - u),  u ~ U(-0.1, 0.3)

so class 0 lives in the band ``[y - 0.1, y + 0.3]`` and class 1 in ``[y - 0.3, y + 0.1]``:
two bands of width 0.4 whose centres are 0.2 apart and which overlap over half their width.
No classifier can separate them perfectly.

For ``K`` classes we keep exactly that geometry: ``K`` bands of the same width, stacked along
the curve with the same spacing (0.2 between neighbouring centres), symmetric about the curve.
Band ``k`` (``k = 0`` is the top band) has centre ``c_k = s * ((K - 1) / 2 - k)`` with
``s = low + high`` (0.2 for the seed's noise) and its points are::

    upper bands (c_k > 0): (x1, y + c_k + (u - m))
    lower bands (c_k < 0): (x1, y + c_k - (u - m))

with ``m = (low + high) / 2`` the mean of ``u``. For ``K = 2`` this is the seed's construction
literally (``c_0 = 0.1``: ``y + u``; ``c_1 = -0.1``: ``y - u``). Every band overlaps half of each
neighbour, as the seed's two do. For odd ``K`` the middle band is centred on the curve and uses
``+(u - m)``.

Rows are interleaved as in the seed: for each ``x1``, one point of class 0, then class 1, ...

Because the bands have equal width and equal size, the best any classifier can do is known in
closed form (:func:`bayes_accuracy`): ``(K + 1) / (2K)``, i.e. 0.75 for the seed's two classes
and 0.625 for HW4's four.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from clfcompare._checks import InputError, check_choice, check_int

__all__ = [
    "BUILTIN_DATASETS",
    "CANONICAL_RANDOM_STATE",
    "CSV_MISSING",
    "CSV_TEXT",
    "CsvData",
    "bayes_accuracy",
    "bayes_cross_entropy",
    "check_study_data",
    "csv_separator",
    "curve",
    "curve_loss_reference",
    "curve_reference",
    "load_builtin",
    "load_csv",
    "load_curve",
    "make_curve",
    "read_csv_data",
    "true_curve",
    "write_curve_csv",
]

#: Built-in data sets: the lecture's curves and scikit-learn's bundled real data (no download).
BUILTIN_DATASETS = {
    "curve2": "the lecture's curve data, 2 classes (160 points, 2 features)",
    "curve4": "the 4-class curve data of the homework (320 points, 2 features)",
    "iris": "scikit-learn's iris (150 flowers, 4 features, 3 classes)",
    "wine": "scikit-learn's wine (178 wines, 13 features, 3 classes)",
    "breast_cancer": "scikit-learn's breast cancer (569 tumours, 30 features, 2 classes)",
    "digits": "scikit-learn's digits (1797 8x8 images of handwritten digits, 64 pixel "
    "features, 10 classes)",
}

#: What each built-in data set is, without its size: :func:`load_builtin`'s description (a
#: report counts the rows, features and classes itself; :data:`BUILTIN_DATASETS`, the help's
#: listing, gives them too).
_BUILTIN_WHAT = {
    "curve2": "the lecture's curve data",
    "curve4": "the homework's curve data",
    "iris": "scikit-learn's iris flowers",
    "wine": "scikit-learn's wines",
    "breast_cancer": "scikit-learn's breast cancer tumours",
    "digits": "scikit-learn's 8x8 images of handwritten digits, one feature per pixel",
}

#: ``random_state`` used to generate the canonical CSV files in ``data/``.
CANONICAL_RANDOM_STATE = 0

_X_START, _X_STOP, _X_STEP = -10.0, 10.0, 0.25


def curve(x):
    """The seed's curve ``y = 3 x**3 + 2 x**2 + 5 x`` (before normalisation)."""
    x = np.asarray(x, dtype=float)
    return 3 * x**3 + 2 * x**2 + 5 * x


def _minmax(v):
    return (v - v.min()) / (v.max() - v.min())


def _check_n_classes(n_classes):
    """Raise unless ``n_classes`` is an int (not a bool) of at least 2."""
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int, got {type(n_classes).__name__}")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2, got {n_classes}")


def _check_noise(noise):
    """Return ``noise`` as finite floats ``(low, high)`` with ``low < high``, or raise."""
    try:
        if isinstance(noise, (str, bytes)):
            raise TypeError  # "12" would read as (1.0, 2.0)
        values = tuple(noise)
        if any(isinstance(v, (str, bytes, bool, np.bool_)) for v in values):
            raise TypeError
        low, high = (float(v) for v in values)
    except (TypeError, ValueError):
        raise TypeError(f"noise must be a pair of floats (low, high), got {noise!r}") from None
    if not (np.isfinite(low) and np.isfinite(high)) or high <= low:
        raise ValueError(f"noise must satisfy low < high and be finite, got {noise!r}")
    return low, high


def make_curve(n_classes=2, *, noise=(-0.1, 0.3), random_state=None):
    """Points in bands above and below the curve ``y = 3x³ + 2x² + 5x``.

    Parameters
    ----------
    n_classes : int, default=2
        Number of bands (classes), at least 2. Two classes is the lecture's data set.
    noise : tuple of (float, float), default=(-0.1, 0.3)
        ``(low, high)`` of the uniform offset ``u`` of the seed. The band width is
        ``high - low`` and the distance between neighbouring band centres is ``low + high``.
    random_state : int, RandomState instance or None, default=None
        Seeds the uniform offsets.

    Returns
    -------
    X : ndarray of shape (80 * n_classes, 2)
        Columns ``x1`` and ``x2``, the normalised abscissa and the point's height.
    y : ndarray of shape (80 * n_classes,)
        Integer class labels ``0 .. n_classes - 1``; 0 is the top band (the bottom one if
        ``low + high < 0``).

    Examples
    --------
    >>> from clfcompare.datasets import make_curve
    >>> X, y = make_curve(4, random_state=0)
    >>> X.shape, sorted(set(y.tolist()))
    ((320, 2), [0, 1, 2, 3])
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    rng = check_random_state(random_state)

    x1 = np.arange(_X_START, _X_STOP, _X_STEP)  # 80 points, -10 ... 9.75
    y_curve = _minmax(curve(x1))
    x1 = _minmax(x1)

    spacing = low + high
    mid = 0.5 * (low + high)
    k = np.arange(n_classes)
    centres = spacing * ((n_classes - 1) / 2 - k)
    signs = np.where(centres < 0, -1.0, 1.0)
    # one row per x1, one column per class: drawn in the seed's interleaved order
    u = rng.uniform(low, high, size=(x1.size, n_classes))
    x2 = y_curve[:, None] + centres[None, :] + signs[None, :] * (u - mid)

    X = np.column_stack([np.repeat(x1, n_classes), x2.ravel()])
    y = np.tile(k, x1.size)
    return X, y


def bayes_accuracy(n_classes, *, noise=(-0.1, 0.3)):
    r"""Expected accuracy of the Bayes-optimal classifier on :func:`make_curve` data.

    Given ``x1`` the offset ``o = x2 - y(x1)`` of a point of class ``k`` is uniform on
    ``[c_k - w/2, c_k + w/2]`` (width ``w = high - low``), all classes equally likely. The Bayes
    rule picks any class whose band contains ``o``; its accuracy is

    .. math::

        \frac{1}{K} \int \max_k p(o \mid k)\, do
        = \frac{1}{K}\,\frac{(K - 1)s + w}{w},

    with ``s = |low + high|`` the spacing of the band centres (the integral runs over the union
    of the bands, where the densest band has density ``1/w``), assuming ``s <= w`` (neighbours
    overlap). For the seed's noise, ``s = 0.2``, ``w = 0.4`` and this is ``(K + 1) / (2K)``.
    With ``low + high < 0`` the bands are stacked the other way round (class 0 at the bottom),
    with the same accuracy; with ``low + high = 0`` they coincide and the accuracy is ``1/K``.

    Examples
    --------
    >>> from clfcompare.datasets import bayes_accuracy
    >>> round(bayes_accuracy(2), 12), round(bayes_accuracy(4), 12)
    (0.75, 0.625)
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    width, spacing = high - low, abs(low + high)
    if not spacing <= width:
        raise ValueError(
            f"bayes_accuracy needs overlapping bands, |low + high| <= high - low; got {noise!r}"
        )
    return ((n_classes - 1) * spacing + width) / (n_classes * width)


def bayes_cross_entropy(n_classes, *, noise=(-0.1, 0.3)):
    r"""Expected cross-entropy (nats) of the true posterior on :func:`make_curve` data.

    The smallest expected log loss any classifier can reach: a training loss below it means the
    model fits the noise of its sample. With the offsets of :func:`bayes_accuracy` (band ``k``
    uniform on ``[c_k - w/2, c_k + w/2]``, all classes equally likely), a point at offset ``o``
    lies in :math:`n(o)` bands of equal density, so its true posterior is :math:`1/n(o)` on
    each of them and its loss :math:`\ln n(o)`; the offset's density is :math:`n(o)/(K w)`:

    .. math::

        \mathrm{CE}^* = \frac{1}{K w} \int n(o) \ln n(o)\, do,

    computed exactly from the piecewise-constant :math:`n(o)`. For the seed's noise (``w = 2s``:
    every point lies in two bands but for the outer halves of the two end bands, which hold 1
    of the total mass K) this is :math:`\frac{K - 1}{K} \ln 2`: 0.347 for two classes, 0.520
    for four. Coinciding bands (``low + high = 0``) give :math:`\ln K`.

    Examples
    --------
    >>> import math
    >>> from clfcompare.datasets import bayes_cross_entropy
    >>> math.isclose(bayes_cross_entropy(4), 3 / 4 * math.log(2))
    True
    """
    _check_n_classes(n_classes)
    low, high = _check_noise(noise)
    width, spacing = high - low, abs(low + high)
    starts = spacing * np.arange(n_classes)
    edges = np.unique(np.concatenate([starts, starts + width]))
    mids = (edges[:-1] + edges[1:]) / 2
    cover = ((mids[:, None] >= starts) & (mids[:, None] <= starts + width)).sum(axis=1)
    lengths = np.diff(edges)
    terms = cover * np.log(np.maximum(cover, 1))  # 0 where no band covers (n ln n -> 0)
    return float(np.sum(lengths * terms) / (n_classes * width))


def _data_path(n_classes):
    name = f"curve_{n_classes}class.csv"
    try:
        res = resources.files("clfcompare.data").joinpath(name)
        if res.is_file():
            return res
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "data" / name


def write_curve_csv(path, n_classes, *, random_state=CANONICAL_RANDOM_STATE):
    """Write ``make_curve(n_classes, random_state=random_state)`` as CSV, bit-exactly.

    Floats are written with 17 significant digits so that reading the file back gives the
    same float64 values. Returns the SHA-256 of the bytes written.
    """
    text = curve_csv_text(n_classes, random_state=random_state)
    data = text.encode("ascii")
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def curve_csv_text(n_classes, *, random_state=CANONICAL_RANDOM_STATE):
    """The CSV text (header ``x1,x2,y``) of ``make_curve(n_classes, random_state=...)``."""
    X, y = make_curve(n_classes, random_state=random_state)
    lines = ["x1,x2,y"]
    lines += [f"{a:.17g},{b:.17g},{int(c)}" for (a, b), c in zip(X, y, strict=True)]
    return "\n".join(lines) + "\n"


def load_curve(n_classes=2):
    """Load the canonical curve data set shipped in ``data/``.

    Parameters
    ----------
    n_classes : {2, 4}, default=2
        Which of the shipped data sets (generated by :func:`make_curve` with
        ``random_state=CANONICAL_RANDOM_STATE``).

    Returns
    -------
    X : ndarray of shape (80 * n_classes, 2)
    y : ndarray of shape (80 * n_classes,)

    Examples
    --------
    >>> from clfcompare.datasets import load_curve
    >>> X, y = load_curve(4)
    >>> X.shape
    (320, 2)
    """
    _check_n_classes(n_classes)
    if n_classes not in (2, 4):
        raise ValueError(
            f"load_curve ships the 2- and 4-class data sets, got n_classes={n_classes!r}; "
            "use make_curve(n_classes, random_state=...) for other numbers of classes"
        )
    path = _data_path(n_classes)
    with path.open("r") as fh:
        table = np.loadtxt(fh, delimiter=",", skiprows=1)
    return table[:, :2].copy(), table[:, 2].astype(np.int64)


def true_curve(n_points=400):
    """The seed's curve in the normalised coordinates of :func:`make_curve`.

    The curve :math:`y = 3x^3 + 2x^2 + 5x` is strictly increasing (its derivative
    :math:`9x^2 + 4x + 5` has no real root), so min-max normalisation over the seed's grid
    :math:`x \\in [-10, 9.75]` maps the grid's end points to 0 and 1.

    Returns
    -------
    x1, x2 : ndarray of shape (n_points,)
    """
    n_points = check_int(n_points, "n_points", low=1)
    x_last = _X_STOP - _X_STEP
    x = np.linspace(_X_START, x_last, n_points)
    lo, hi = curve(_X_START), curve(x_last)
    return (x - _X_START) / (x_last - _X_START), (curve(x) - lo) / (hi - lo)


# --------------------------------------------------------------------------- reference values


def curve_reference(n_classes):
    """The ceiling of the K-class curve data: ``({label: accuracy}, sentence)``.

    The Bayes-optimal accuracy :math:`(K + 1) / (2K)` of :func:`bayes_accuracy` (0.75 for 2
    classes, 0.625 for 4) as a reference for the report and its box plot, and a sentence for
    the data section.

    Examples
    --------
    >>> from clfcompare.datasets import curve_reference
    >>> curve_reference(4)[0]
    {'Bayes-optimal accuracy': 0.625}
    """
    acc = float(bayes_accuracy(n_classes))
    sentence = (
        f"The Bayes-optimal accuracy of this data is (K+1)/(2K) = {acc:.3f} for K = {n_classes} "
        f"(`clfcompare.datasets.bayes_accuracy({n_classes})`): the expected accuracy of the best "
        "possible classifier, the ceiling to judge the models against (a mean test accuracy a "
        "little above it is sampling noise of one finite data set)."
    )
    return {"Bayes-optimal accuracy": acc}, sentence


def curve_loss_reference(n_classes):
    """The floor of the training cross-entropy on K-class curve data: ``({label: ce}, text)``.

    The Bayes-optimal expected cross-entropy :math:`\\frac{K-1}{K}\\ln 2` of
    :func:`bayes_cross_entropy`, and the sentence the report prints by the loss curves.

    Examples
    --------
    >>> from clfcompare.datasets import curve_loss_reference
    >>> {k: round(v, 4) for k, v in curve_loss_reference(4)[0].items()}
    {'Bayes-optimal cross-entropy': 0.5199}
    """
    ce = bayes_cross_entropy(n_classes)
    sentence = (
        f"For the networks trained with the cross-entropy: the best possible "
        f"expected cross-entropy on this data (the true posterior, {n_classes} "
        f"classes) is (K − 1)/K · ln 2 ≈ {ce:.3f} nats (where two bands overlap "
        "the posterior is 1/2, 1/2; `clfcompare.datasets.bayes_cross_entropy`). "
        "A training loss below it means the network "
        "fits the noise of its training set."
    )
    return {"Bayes-optimal cross-entropy": ce}, sentence


# --------------------------------------------------------------------------- study data


def load_builtin(name):
    """A built-in data set: ``(X, y, description)``.

    Parameters
    ----------
    name : {"curve2", "curve4", "iris", "wine", "breast_cancer", "digits"}

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    description : str
        What the data are and where they come from (markdown), without their size.

    Raises
    ------
    InputError
        An unknown name.
    TypeError
        ``name`` not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, the name of a data set, got {type(name).__name__}")
    if name not in BUILTIN_DATASETS:
        raise InputError(
            f"unknown data set {name!r}; built-in ones are {', '.join(BUILTIN_DATASETS)} "
            "(or read a CSV file with load_csv)"
        )
    if name.startswith("curve"):
        k = int(name[-1])
        X, y = load_curve(k)
        return X, y, f"{_BUILTIN_WHAT[name]} (`clfcompare.datasets.load_curve({k})`)"
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    return (
        np.asarray(bunch.data, dtype=float),
        np.asarray(bunch.target),
        _BUILTIN_WHAT[name] + f" (`sklearn.datasets.load_{name}`)",
    )


_SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _open_text(path, stack):
    """``path`` opened as text (UTF-8, a BOM skipped), decompressed as ``pandas.read_csv``
    infers from its suffix (``.gz``, ``.bz2``, ``.xz``, ``.zip``: the archive's one file)."""
    import bz2
    import gzip
    import io
    import lzma
    import zipfile

    text = {"encoding": "utf-8-sig", "newline": ""}
    suffix = path.suffix.lower()
    openers = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
    if suffix in openers:
        return stack.enter_context(openers[suffix](path, "rt", **text))
    if suffix == ".zip":
        archive = stack.enter_context(zipfile.ZipFile(path))
        names = [n for n in archive.namelist() if not n.endswith("/")]
        raw = stack.enter_context(archive.open(names[0]))
        return stack.enter_context(io.TextIOWrapper(raw, **text))
    return stack.enter_context(open(path, **text))  # noqa: SIM115 (closed by the stack)


def _header_line(path):
    """The first non-blank line of a CSV file ("" if it cannot be read: pandas says why)."""
    import contextlib

    try:
        with contextlib.ExitStack() as stack:
            return next((line for line in _open_text(path, stack) if line.strip()), "")
    except (OSError, EOFError, UnicodeDecodeError, ValueError, IndexError):
        # unreadable, a damaged archive (BadZipFile, LZMAError are ValueError/OSError), an
        # empty zip: pandas reads it and says why
        return ""


def csv_separator(path):
    """The field separator of a CSV file, read from its header (first non-blank) line.

    The header is split by the csv module (a quoted name may hold a separator) at a comma, a
    semicolon and a tab; the one that gives the most fields wins, a comma on a tie (and when
    the line cannot be read: pandas then says why). A compressed file (``.gz``, ``.bz2``,
    ``.xz``, ``.zip``) is read as pandas reads it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
        ``","``, ``";"`` or ``"\t"``, for ``pandas.read_csv(path, sep=...)``.
    """
    import csv

    path = Path(path)

    header = _header_line(path).rstrip("\r\n")
    counts = {}
    for sep in _SEPARATORS:
        try:
            # strict: a quote inside a field is an error, not one more odd field
            counts[sep] = len(next(csv.reader([header], delimiter=sep, strict=True), []))
        except csv.Error:
            counts[sep] = 0
    most = max(counts.values())
    best = [sep for sep, n in counts.items() if n == most]
    return best[0] if most > 1 and len(best) == 1 else ","


def _duplicate_names(path, sep):
    """The header names of a CSV file that occur more than once, as written (sorted).

    Read from the raw header row: ``pandas.read_csv`` renames a repeated name (``label``,
    ``label`` -> ``label``, ``label.1``), which would hide it. Empty names are left out
    (pandas numbers them ``Unnamed: k``; the first is the row index of ``to_csv()``).
    """
    header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    names = [str(v) for v in header.iloc[0].tolist()] if len(header) else []
    seen, dupes = set(), set()
    for name in names:
        if name and name in seen:
            dupes.add(name)
        seen.add(name)
    return sorted(dupes)


#: What :func:`read_csv_data` does with missing feature values, and with text columns.
CSV_MISSING = ("refuse", "keep", "drop")
CSV_TEXT = ("refuse", "codes")


@dataclass(frozen=True)
class CsvData:
    """A CSV file read by :func:`read_csv_data`: numeric ``X``, labels, what each column is.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float
        Numbers as read; a text column as category codes ``0 .. k - 1`` (the index into
        ``categories[column]``); NaN where a value is missing (``missing="keep"``).
    y : ndarray of shape (n_samples,)
    description : str
        Markdown-like text naming the file and its columns (in backtick spans, unescaped;
        :meth:`markdown` writes it safely).
    columns : tuple of str
        The feature columns, in the order of ``X``.
    kinds : tuple of {"numeric", "categorical"}
        The kind of every feature column, for
        :func:`clfcompare.preprocessing.make_preprocessor`.
    categories : dict
        ``{column: tuple of the category texts, sorted}`` for every text column.
    missing_columns : tuple of str
        The feature columns with a missing value (after dropping rows: none).
    n_dropped : int
        Rows dropped for a missing value (``missing="drop"``).
    file_name : str
        The file's name (without its folder).
    separator : str
        The field separator it was read with (``","``, ``";"`` or a tab).
    target : str
        The label column.
    index_dropped : bool
        Whether a first column with an empty header (a row index) was dropped.
    """

    X: np.ndarray
    y: np.ndarray
    description: str
    columns: tuple
    kinds: tuple
    categories: dict = field(default_factory=dict)
    missing_columns: tuple = ()
    n_dropped: int = 0
    file_name: str = ""
    separator: str = ","
    target: str = ""
    index_dropped: bool = False

    def markdown(self):
        """:attr:`description` as safe markdown, for a report: the file's and the columns'
        names as code spans (:func:`clfcompare.report.code_span`), the others escaped
        (:func:`clfcompare.report.escape_markdown`), so that no name forms HTML, a link or a
        broken code span (a name may hold a backtick).

        Returns
        -------
        clfcompare.report.Markdown
        """
        from clfcompare.report import Markdown, code_span, escape_markdown

        return Markdown(_describe(self, code_span, escape_markdown))


def _advised(problem, parameter, advice):
    """An InputError ``problem + advice`` that carries ``problem`` and ``parameter``, so that a
    command line can give its own advice in its option names."""
    err = InputError(f"{problem}{advice}")
    err.problem, err.parameter = problem, parameter
    return err


def _no_such_column(path, target, columns):
    """The refusal of a ``target`` that is not a column: a column that differs only in case,
    else the close matches (:func:`difflib.get_close_matches`), then all the columns."""
    names = [str(c) for c in columns]
    wanted = str(target)
    guesses = [c for c in names if c.casefold() == wanted.casefold()]
    if not guesses:
        guesses = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(g) for g in guesses)}?" if guesses else "."
    return InputError(f"{path} has no column {target!r}{hint} Its columns are {names}")


def _numbers_with_text(column):
    """``(texts, n_rows)`` when a text column holds mostly numbers and a few distinct other
    values (``"?"``, ``"n/a"``, ``"1,5"``), else None."""
    present = column.dropna()
    parsed = pd.to_numeric(present, errors="coerce")
    other = present[parsed.isna()].astype(str)
    texts = sorted(set(other))
    if len(present) and parsed.notna().sum() >= 0.5 * len(present) and 0 < len(texts) <= 3:
        return texts, len(other)
    return None


def load_csv(path, target):
    """Read a CSV file of numbers: the ``target`` column is the label, every other column a
    feature.

    :func:`read_csv_data` with a missing value and a text column refused; it reads those too,
    and says what each column is.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the label column.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float
    y : ndarray of shape (n_samples,)
    description : str

    Raises
    ------
    InputError
        As :func:`read_csv_data`; a text column or a missing value too.
    """
    data = read_csv_data(path, target)
    return data.X, data.y, data.description


def read_csv_data(path, target, *, missing="refuse", text="refuse"):
    """Read a CSV file: the ``target`` column is the label, every other column a feature.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the label column (a name that differs only in case, or is close, is
        suggested in the error).
    missing : {"refuse", "keep", "drop"}, default="refuse"
        A missing feature value: an error; kept as NaN (for an imputer fitted inside each
        split, :func:`clfcompare.preprocessing.make_preprocessor`); or its row dropped (so are
        rows without a label; :attr:`CsvData.n_dropped` and the description say how many).
    text : {"refuse", "codes"}, default="refuse"
        A column that is not numeric: an error, or category codes (for a one-hot encoding
        fitted inside each split).

    Returns
    -------
    CsvData

    Raises
    ------
    TypeError
        ``path`` not a str or Path, ``target`` not a str.
    InputError
        Missing or unreadable file, a column name that occurs twice in the header, missing
        target column, no feature columns, non-numeric or missing feature values (as
        ``text`` and ``missing`` say; the error carries ``parameter`` and ``problem``),
        a column of numbers with a few text values (``?``), missing labels, infinite values,
        a feature column that is the row number, no rows left after dropping, a feature
        column that is empty in every row (e.g. from a delimiter at the end of every line),
        rows with more fields than the header.

    Notes
    -----
    The separator is read from the header line: a comma, or, when that line has no comma, a
    semicolon or a tab (whichever it holds; the description says which). The decimal mark
    is ``.`` (a decimal comma, ``1,5``, makes the column non-numeric, and the error says so).

    A first column with an empty header (the row index that ``DataFrame.to_csv()`` and R's
    ``write.csv`` write) is dropped, and the description says so.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__} {path!r}")
    if not isinstance(target, str):
        raise TypeError(
            f"target must be a str, the name of the label column, got {type(target).__name__} "
            f"{target!r}"
        )
    missing = check_choice(missing, "missing", CSV_MISSING)
    text = check_choice(text, "text", CSV_TEXT)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a CSV file")
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    sep = csv_separator(path)
    try:
        frame = pd.read_csv(path, sep=sep)
    except (ValueError, UnicodeDecodeError) as err:  # ParserError, EmptyDataError, a zip
        # archive of several files ("Multiple files found in ZIP file") are ValueErrors
        raise InputError(f"cannot read {path} as CSV: {str(err).strip()}") from None
    except OSError as err:  # no permission to read it, an I/O error
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas takes the extra leading field(s) of every row for a row index: the columns
        # would be shifted against their names
        extra = frame.index.nlevels
        raise InputError(
            f"the rows of {path} have {'one field' if extra == 1 else f'{extra} fields'} more "
            "than the header (a trailing delimiter?): remove the delimiter at the end of each "
            "line, or give the extra column a name in the header"
        )
    duplicates = _duplicate_names(path, sep)
    if duplicates:
        # pandas renames a repeated name ('label' -> 'label.1'): the copy of the target
        # column would then be read as a feature, and predict the label
        raise InputError(
            f"duplicate column name(s) {duplicates} in the header of {path}; every column "
            "needs a name of its own (rename or drop the copies)"
        )
    index_note = ""
    if frame.shape[1] and frame.columns[0] == "Unnamed: 0" and target != "Unnamed: 0":
        # an empty first header: the row index written by pandas' to_csv() or R's write.csv,
        # not a feature (with rows sorted by class it would predict the label)
        frame = frame.drop(columns=frame.columns[0])
        index_note = "; its first column, with an empty header, is the row index and is not used"
    if frame.shape[0] == 0:
        raise InputError(f"{path} has a header but no data rows")
    if target not in frame.columns:
        raise _no_such_column(path, target, frame.columns)
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise InputError(f"{path} has no feature columns besides the target {target!r}")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    for c in bad:
        mixed = _numbers_with_text(features[c])
        if mixed is not None and not (sep != "," and any("," in t for t in mixed[0])):
            texts, n_rows = mixed
            raise InputError(
                f"feature column {str(c)!r} of {path} holds numbers but also the text "
                f"value(s) {texts} ({n_rows} row(s)); if they mark missing values, leave those "
                "fields empty (then impute or drop them), else correct them"
            )
    if bad and text == "refuse":
        decimal = (
            f" (the file was read as {_SEPARATORS[sep]}-separated with '.' as the decimal mark: "
            "write 1.5, not 1,5)"
            if sep != ","
            else ""
        )
        raise _advised(
            f"non-numeric feature column(s) {bad} in {path}{decimal}",
            "text",
            "; pass text='codes' to read them as categories and one-hot encode them inside "
            "each split (clfcompare.preprocessing.make_preprocessor), or drop them",
        )
    empty = [str(c) for c in features.columns if features[c].isna().all()]
    if empty:
        # an imputer would drop such a column without a word; every row would be dropped
        unnamed = [c for c in empty if c.startswith("Unnamed: ")]
        hint = (
            f" ({', '.join(repr(c) for c in unnamed)} has no name in the header: a delimiter "
            "at the end of every line? then remove that delimiter)"
            if unnamed
            else ""
        )
        raise InputError(
            f"feature column(s) {empty} of {path} are empty in every row: nothing to learn "
            f"from or to impute; remove them{hint}"
        )
    y = frame[target]
    n_dropped = 0
    if missing == "drop":
        keep = ~(features.isna().any(axis=1) | y.isna())
        n_dropped = int((~keep).sum())
        if not keep.any():
            raise InputError(f"every row of {path} has a missing value: none is left to use")
        features, y = features[keep], y[keep]
    holes = features.isna().any()
    if holes.any() and missing == "refuse":
        cols = [str(c) for c in features.columns[holes]]
        n_rows = int(features.isna().any(axis=1).sum())
        raise _advised(
            f"missing values in feature column(s) {cols} of {path} ({n_rows} row(s))",
            "missing",
            "; pass missing='keep' and impute them inside each split "
            "(clfcompare.preprocessing.make_preprocessor), or missing='drop' to drop those rows",
        )
    if y.isna().any():
        raise _advised(
            f"missing labels in column {target!r} of {path} ({int(y.isna().sum())} row(s))",
            "missing_labels",
            "; pass missing='drop' to drop those rows",
        )
    columns = tuple(str(c) for c in features.columns)
    kinds, categories, values = [], {}, []
    for c in features.columns:
        col = features[c]
        if c in bad:
            cats = tuple(sorted(set(col.dropna().astype(str))))
            lookup = {v: float(i) for i, v in enumerate(cats)}
            values.append(col.map(lambda v, lookup=lookup: lookup.get(str(v), np.nan)))
            categories[str(c)] = cats
            kinds.append("categorical")
        else:
            values.append(col.astype(float))
            kinds.append("numeric")
    X = np.column_stack([np.asarray(v, dtype=float) for v in values])
    if np.isinf(X).any():
        raise InputError(f"infinite feature values in {path}")
    n = X.shape[0]
    counts = (np.arange(n), np.arange(1, n + 1))
    row_numbers = [
        c
        for c, kind, col in zip(features.columns, kinds, X.T, strict=True)
        if n > 2 and kind == "numeric" and any(np.array_equal(col, r) for r in counts)
    ]
    if row_numbers:
        raise InputError(
            f"feature column(s) {row_numbers} of {path} hold the row number (0, 1, ... or "
            "1, 2, ...): a row index, not a measurement (with rows sorted by class it predicts "
            "the label); drop it"
        )
    y = y.to_numpy()
    if y.dtype == object:
        y = y.astype(str)
    missing_columns = tuple(str(c) for c in features.columns[features.isna().any()])
    facts = {
        "X": X,
        "y": y,
        "columns": columns,
        "kinds": tuple(kinds),
        "categories": categories,
        "missing_columns": missing_columns,
        "n_dropped": n_dropped,
        "file_name": path.name,
        "separator": sep,
        "target": str(target),
        "index_dropped": bool(index_note),
    }
    data = CsvData(description="", **facts)
    return replace(data, description=_describe(data, _backticked, str))


def _backticked(name):
    return f"`{name}`"


def _describe(data, code, text):
    """The description of a CSV file's data: ``code(name)`` quotes the file's and some
    columns' names, ``text(name)`` writes the other column names."""
    sep_note = f" ({_SEPARATORS[data.separator]}-separated)" if data.separator != "," else ""
    shown = ", ".join(text(c) for c in data.columns[:10])
    more = ", ..." if len(data.columns) > 10 else ""
    index_note = (
        "; its first column, with an empty header, is the row index and is not used"
        if data.index_dropped
        else ""
    )
    coded = ", ".join(f"{code(c)} ({len(v)} categories)" for c, v in data.categories.items())
    text_note = f"; text column(s) {coded}" if data.categories else ""
    holed = ", ".join(code(c) for c in data.missing_columns)
    missing_note = f"; missing values in {holed}" if data.missing_columns else ""
    n_dropped = data.n_dropped
    drop_note = f"; {n_dropped} row(s) with a missing value dropped" if n_dropped else ""
    return (
        f"{code(data.file_name)}{sep_note}: {data.X.shape[0]} rows, {len(data.columns)} "
        f"feature(s) ({shown}{more}), target column {code(data.target)}"
        f"{index_note}{text_note}{missing_note}{drop_note}"
    )


def check_study_data(X, y, n_folds):
    """Refuse data that stratified k-fold cross-validation cannot split.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Unused but for the signature's symmetry with the study.
    y : array-like of shape (n_samples,)
    n_folds : int

    Returns
    -------
    classes, counts : ndarray
        The class labels and their numbers of rows.

    Raises
    ------
    InputError
        No rows, a missing label (NaN or None), a single class, a continuous target
        (non-integer numbers, or nearly as many distinct values as rows), or a class with
        fewer rows than folds. The last carries
        ``parameter = "n_folds"`` and ``problem`` (the message without its advice), so a
        command line can give the advice in its own option names.
    ValueError
        ``n_folds`` below 2.
    TypeError
        ``n_folds`` not an int.
    """
    n_folds = check_int(n_folds, "n_folds", low=2)
    y = np.asarray(y)
    if y.ndim != 1:
        raise InputError(f"y must be one label per row (1-d), got shape {y.shape}")
    if y.size == 0:
        raise InputError("y is empty: the data have no rows to split")
    absent = np.flatnonzero(pd.isna(y))
    if absent.size:
        more = ", ..." if absent.size > 10 else ""
        raise InputError(
            f"missing labels (NaN or None) in y at row(s) "
            f"[{', '.join(map(str, absent[:10].tolist()))}{more}] ({absent.size} row(s)); "
            "drop those rows or give them their class"
        )
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise InputError(
            f"the target has a single class ({classes.tolist()[0]!r}); a classifier needs at "
            "least 2"
        )
    if len(classes) > 0.5 * len(y) and len(y) > 2 * n_folds:
        raise InputError(
            f"the target has {len(classes)} distinct values in {len(y)} rows: it looks like a "
            "continuous quantity, but clfcompare compares classifiers (give a column of class "
            "labels)"
        )
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind not in ("binary", "multiclass"):
        example = next((c for c in classes.tolist() if isinstance(c, float) and c != int(c)), None)
        what = (
            f"non-integer numbers (e.g. {example!r}), which scikit-learn takes for a continuous "
            "quantity"
            if example is not None
            else f"values scikit-learn does not take for class labels (type {kind!r})"
        )
        raise InputError(f"the target holds {what}; give class labels (integers or text)")
    small = [(c, n) for c, n in zip(classes.tolist(), counts.tolist(), strict=True) if n < n_folds]
    if small:
        more = f" and {len(small) - 5} more" if len(small) > 5 else ""
        problem = (
            f"class(es) {[c for c, _ in small[:5]]}{more} have fewer rows "
            f"([{', '.join(str(n) for _, n in small[:5])}{', ...' if more else ''}]) than the "
            f"{n_folds} folds"
        )
        err = InputError(f"{problem}; use a smaller n_folds")
        err.problem, err.parameter = problem, "n_folds"
        raise err
    return classes, counts
