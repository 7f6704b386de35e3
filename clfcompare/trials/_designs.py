"""Resampling designs beyond plain repeated K-fold CV: the half-partition design.

:class:`RepeatedKFoldWithHalves` is the splitter of Nadeau & Bengio's conservative Z test: the
main repeated K-fold CV and, besides it, ``M`` random half/half partitions of the rows with an
inner K-fold CV inside each half. It is an ordinary scikit-learn CV splitter (``split``,
``get_n_splits``); :func:`~clfcompare.trials.run_trials` recognises it and records the
design (``TrialResults.design``, ``TrialResults.split_roles()``).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.model_selection import (
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedKFold,
)
from sklearn.utils import check_random_state

from clfcompare._checks import check_bool, check_int

#: ``spawn_key`` of the stream that draws the half partitions from an int ``random_state``
#: (the main splits use ``random_state`` itself, as ``RepeatedStratifiedKFold`` does).
_HALVES_STREAM = 0x48414C46  # "HALF"


def _check_random_state(random_state):
    if isinstance(random_state, (bool, np.bool_)):
        raise TypeError("random_state must be None, an int or a numpy RandomState, got bool")
    try:
        check_random_state(random_state)
    except ValueError:
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState, got {random_state!r}"
        ) from None
    return random_state


class RepeatedKFoldWithHalves:
    """Repeated K-fold CV plus random half/half partitions with an inner CV in each half.

    The splits Nadeau & Bengio's conservative Z test needs: the ``J = n_splits * n_repeats``
    *main* splits estimate the difference of two learners; the *half* splits, an inner
    ``inner_splits``-fold CV inside each half of ``n_partitions`` random half/half partitions
    of the rows, estimate its variance from the disagreement of the two halves (two
    independent data sets of size ``n / 2`` each).

    Parameters
    ----------
    n_splits : int, default=5
        Folds of the main CV (``K >= 2``).
    n_repeats : int, default=10
        Repeats of the main CV (``R >= 1``).
    n_partitions : int, default=10
        Random half/half partitions of the rows (``M >= 1``).
    inner_splits : int or None, default=None
        Folds of the CV inside each half (``F >= 2``); ``None`` means ``max(2, n_splits // 2)``
        (10-fold main CV: 5-fold inside each half, training on 0.4 n and testing on 0.1 n as
        in Nadeau & Bengio).
    stratify : bool, default=True
        Stratify by ``y``: the main splits are ``RepeatedStratifiedKFold``'s, each partition
        splits every class in half (``StratifiedKFold(2)``) and the inner CV is a
        ``StratifiedKFold``. ``False``: ``RepeatedKFold``, ``KFold``.
    random_state : int, RandomState or None, default=None
        An int makes every split deterministic. The main splits are exactly those of
        ``RepeatedStratifiedKFold(n_splits, n_repeats, random_state=random_state)``; the
        partitions and inner folds come from a second stream, seeded by
        ``numpy.random.SeedSequence(random_state, spawn_key=(0x48414C46,))``, so they do not
        reuse the main splits' random numbers. A ``RandomState`` is drawn from by the main
        splits first, then by the partitions (every call of :meth:`split` then differs).

    Notes
    -----
    :meth:`split` yields the main splits first (in ``RepeatedStratifiedKFold``'s order), then
    for partition ``m`` in ``range(n_partitions)``, half ``h`` in ``(0, 1)``, inner fold ``f``
    in ``range(inner_splits)`` the split whose training and test rows (rows of the full ``X``)
    both lie inside half ``h`` of partition ``m``. The two halves of a partition are disjoint,
    cover every row and are stratified (class counts differ by at most one between them).

    :func:`~clfcompare.trials.run_trials` numbers main split ``s`` as repeat ``s // K``, fold
    ``s % K``, and the inner fold ``f`` of half ``h`` of partition ``m`` as repeat
    ``R + 2 m + h``, fold ``f``: each half's inner CV is numbered as one more repeat, so that
    every split has its own (repeat, fold) label.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error", Machine
       Learning 52, 239-281 (2003): the conservative Z.

    Examples
    --------
    >>> import numpy as np
    >>> from clfcompare.trials import RepeatedKFoldWithHalves
    >>> y = np.repeat([0, 1], 20)
    >>> cv = RepeatedKFoldWithHalves(n_splits=4, n_repeats=2, n_partitions=3, random_state=0)
    >>> cv.get_n_splits(), cv.n_main, cv.inner_splits_
    (20, 8, 2)
    >>> splits = list(cv.split(np.zeros((40, 1)), y))
    >>> [len(test) for _, test in splits[:8]] + [len(test) for _, test in splits[8:10]]
    [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    """

    def __init__(
        self,
        n_splits=5,
        n_repeats=10,
        n_partitions=10,
        inner_splits=None,
        stratify=True,
        random_state=None,
    ):
        self.n_splits = check_int(n_splits, "n_splits", low=2)
        self.n_repeats = check_int(n_repeats, "n_repeats", low=1)
        self.n_partitions = check_int(n_partitions, "n_partitions", low=1)
        self.inner_splits = check_int(inner_splits, "inner_splits", low=2, allow_none=True)
        self.stratify = check_bool(stratify, "stratify")
        self.random_state = _check_random_state(random_state)

    # ------------------------------------------------------------------ sizes
    @property
    def inner_splits_(self):
        """Folds of the inner CV: ``inner_splits``, or ``max(2, n_splits // 2)``."""
        return self.inner_splits if self.inner_splits is not None else max(2, self.n_splits // 2)

    @property
    def n_main(self):
        """Number of main splits, ``J = n_splits * n_repeats``."""
        return self.n_splits * self.n_repeats

    @property
    def n_half(self):
        """Number of half splits, ``2 * n_partitions * inner_splits_``."""
        return 2 * self.n_partitions * self.inner_splits_

    def get_n_splits(self, X=None, y=None, groups=None):
        """``J + 2 M F``: the main splits and the half splits (the arguments are ignored)."""
        return self.n_main + self.n_half

    def design(self):
        """The design as :attr:`TrialResults.design` records it (plain data).

        Returns
        -------
        dict
            ``{"kind": "halves", "n_main": J, "n_splits": K, "n_repeats": R,
            "n_partitions": M, "inner_splits": F}``.
        """
        return {
            "kind": "halves",
            "n_main": self.n_main,
            "n_splits": self.n_splits,
            "n_repeats": self.n_repeats,
            "n_partitions": self.n_partitions,
            "inner_splits": self.inner_splits_,
        }

    def repeat_fold(self):
        """``(repeat, fold)`` arrays of every split, in :meth:`split` order (see Notes)."""
        s = np.arange(self.n_main)
        h = np.arange(self.n_half)
        repeats = np.concatenate([s // self.n_splits, self.n_repeats + h // self.inner_splits_])
        folds = np.concatenate([s % self.n_splits, h % self.inner_splits_])
        return repeats.astype(np.int64), folds.astype(np.int64)

    # ------------------------------------------------------------------ splits
    def _partition_rng(self):
        if self.random_state is None or isinstance(self.random_state, np.random.RandomState):
            return check_random_state(self.random_state)
        seq = np.random.SeedSequence(int(self.random_state), spawn_key=(_HALVES_STREAM,))
        return np.random.RandomState(seq.generate_state(4))

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays: the main splits, then the half splits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; required when ``stratify=True``.
        groups : ignored
            Accepted for the splitter API (as ``RepeatedStratifiedKFold`` does).

        Yields
        ------
        train, test : ndarray of int
            Rows of ``X``.
        """
        n_samples = len(X) if not hasattr(X, "shape") else X.shape[0]
        if self.stratify:
            if y is None:
                raise ValueError("RepeatedKFoldWithHalves(stratify=True) needs y to stratify")
            y = np.asarray(y)
            if y.shape != (n_samples,):
                raise ValueError(
                    f"y must be 1-D with one label per row of X ({n_samples}), got shape {y.shape}"
                )
        main_cls = RepeatedStratifiedKFold if self.stratify else RepeatedKFold
        rng = self.random_state
        if isinstance(rng, Integral):
            rng = int(rng)
        main = main_cls(n_splits=self.n_splits, n_repeats=self.n_repeats, random_state=rng)
        # materialised first: a RandomState is then drawn from by the main splits, then here
        main_splits = list(main.split(np.zeros((n_samples, 1)), y))
        yield from main_splits
        rng = self._partition_rng()
        labels = y if self.stratify else np.zeros(n_samples)
        halving = (StratifiedKFold if self.stratify else KFold)(
            n_splits=2, shuffle=True, random_state=rng
        )
        inner = (StratifiedKFold if self.stratify else KFold)(
            n_splits=self.inner_splits_, shuffle=True, random_state=rng
        )
        for _ in range(self.n_partitions):
            halves = [test for _, test in halving.split(np.zeros((n_samples, 1)), labels)]
            for half in halves:
                for train, test in inner.split(np.zeros((len(half), 1)), labels[half]):
                    yield half[train], half[test]

    def __repr__(self):
        return (
            f"{type(self).__name__}(n_splits={self.n_splits}, n_repeats={self.n_repeats}, "
            f"n_partitions={self.n_partitions}, inner_splits={self.inner_splits!r}, "
            f"stratify={self.stratify}, random_state={self.random_state!r})"
        )
