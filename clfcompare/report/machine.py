"""The machine and the library versions a result was computed with."""

from __future__ import annotations

import os
import platform
from importlib import metadata

__all__ = ["describe_machine", "library_versions"]

_LIBRARIES = (
    "clfcompare",
    "numpy",
    "scipy",
    "scikit-learn",
    "pandas",
    "torch",
    "statsmodels",
    "matplotlib",
)


def library_versions(names=_LIBRARIES):
    """Installed versions of the libraries a result depends on, plus Python's.

    Returns
    -------
    versions : dict ``{name: version}`` ("not installed" where missing)
    """
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(device=None):
    """The machine a study ran on: OS, CPU, cores, torch threads and the accelerator.

    Parameters
    ----------
    device : str, default=None
        The device the models were asked to use (e.g. ``"auto"``, ``"cpu"``, ``"cuda"``),
        reported as given alongside what torch sees.

    Returns
    -------
    info : dict ``{field: value}``
    """
    info = {
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cpu cores (os.cpu_count)": os.cpu_count(),
    }
    try:
        import torch

        info["torch threads (process default)"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["cuda devices"] = ", ".join(
                torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())
            )
        else:
            info["cuda devices"] = "none visible to torch"
    except ImportError:  # pragma: no cover - torch is a dependency
        info["cuda devices"] = "torch not installed"
    if device is not None:
        info["device requested"] = str(device)
    return info
