"""Seeds as a factor: the per-split seed of a model, derived from its integer ``random_state``.

A model given an integer ``random_state`` would otherwise start every split from the same
random numbers (for a network, the same initial weights), so the variance that initialisation
adds would never be sampled. :func:`run_trials` instead gives the model of split ``s`` (and
seed replica ``k`` of a design with several seeds per split) its own seed,
:func:`derive_seed`, a pure function of the model's ``random_state`` and ``(s, k)``: the same
in every run, on every worker, whichever trials a store already holds.
"""

from __future__ import annotations

import hashlib
from numbers import Integral

import numpy as np

#: How the models of one split are seeded: ``"common"`` (every model of a split derives its
#: seed from its own ``random_state`` and the split alone, so models given the same
#: ``random_state`` share the split's seed: common random numbers) or ``"per_model"`` (the
#: model's name enters the derivation too, so no two models share a seed).
SEED_SHARING = ("common", "per_model")
#: How the seed replicas of a design with ``n_seeds`` seeds per split are drawn: ``"nested"``
#: (every (split, replica) cell its own seed: seeds nested within splits) or ``"crossed"``
#: (replica ``k`` uses the same seed on every split: a split x seed crossed design).
SEED_DESIGNS = ("nested", "crossed")
#: The name of the derivation, recorded in a store's set-up (a store without it was written
#: by code that fitted every split with the model's own ``random_state``).
SCHEME = "derived-v1"

_SEED_BITS = 31  # seeds in [0, 2**31 - 1]: valid for numpy, torch and every sklearn estimator


def _model_key(name):
    """A stable non-negative integer of a model name (the first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def derive_seed(random_state, split, replica=0, *, model=None, crossed=False):
    """The seed of a model on one split (and seed replica), derived from its ``random_state``.

    .. math::

        \\text{seed} = \\lfloor w / 2 \\rfloor, \\quad
        w = \\texttt{SeedSequence(random\\_state, spawn\\_key=key).generate\\_state(1,
        uint32)[0]}

    with ``key = (split, replica)`` (``(replica,)`` when ``crossed``), followed by the first
    8 bytes of the SHA-256 of ``model`` (little-endian) when a model name is given.

    Parameters
    ----------
    random_state : int
        The model's own ``random_state`` (>= 0).
    split : int
        The data split (its position in the splitter's order).
    replica : int, default=0
        The seed replica of a design with several seeds per split (0 for one seed).
    model : str, optional
        The model's name, for ``seeds="per_model"``.
    crossed : bool, default=False
        Leave the split out of the key: replica ``k`` gets the same seed on every split.

    Returns
    -------
    int
        A seed in ``[0, 2**31 - 1]``.

    Examples
    --------
    >>> from clfcompare.trials import derive_seed
    >>> derive_seed(0, 3) == derive_seed(0, 3), derive_seed(0, 3) == derive_seed(0, 4)
    (True, False)
    >>> derive_seed(0, 3, crossed=True) == derive_seed(0, 4, crossed=True)
    True
    """
    for name, value in (("random_state", random_state), ("split", split), ("replica", replica)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    key = (int(replica),) if crossed else (int(split), int(replica))
    if model is not None:
        if not isinstance(model, str):
            raise TypeError(f"model must be a str (a model name), got {type(model).__name__}")
        key = (*key, _model_key(model))
    word = np.random.SeedSequence(int(random_state), spawn_key=key).generate_state(1, np.uint32)
    return int(word[0]) >> (32 - _SEED_BITS)


def seeded_params(estimator):
    """``{parameter: int}``: the integer ``random_state`` parameters of an estimator.

    Every key of ``get_params(deep=True)`` that is ``random_state`` or ends in
    ``__random_state`` (a pipeline step's, a meta-estimator's inner estimator's) and holds an
    int. ``None`` and ``RandomState`` instances are left out: such models are fitted as they
    are.
    """
    params = estimator.get_params(deep=True)
    out = {}
    for key in sorted(params):
        value = params[key]
        if not (key == "random_state" or key.endswith("__random_state")):
            continue
        if isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)):
            out[key] = int(value)
    return out


def split_seeds(params, split, replica, *, model=None, crossed=False):
    """``{parameter: derived seed}`` for one (split, replica) from :func:`seeded_params`."""
    return {
        key: derive_seed(value, split, replica, model=model, crossed=crossed)
        for key, value in params.items()
    }
