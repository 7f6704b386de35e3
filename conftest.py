"""Collection rules for the whole repository (the test suite's own fixtures are in tests/).

``clfcompare/estimators/_fused_kernel.py`` holds the Triton kernel of the fused CUDA path and
imports Triton at its top (Triton looks a kernel's helpers up by module-level name); the package
imports it only on a CUDA device with Triton installed. Where Triton is missing (CI, CPU
machines), ``--doctest-modules`` must not import it.
"""

import importlib.util

collect_ignore = []
if importlib.util.find_spec("triton") is None:
    collect_ignore.append("clfcompare/estimators/_fused_kernel.py")
