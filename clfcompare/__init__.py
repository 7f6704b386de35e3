"""clfcompare: compare classifiers statistically."""

from clfcompare._version import __version__
from clfcompare.datasets import load_curve, make_curve

__all__ = [
    "__version__",
    "load_curve",
    "make_curve",
]
