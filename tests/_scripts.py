"""Loading the analysis scripts (``analyses/*.py``, not a package) in tests."""

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANALYSES = ROOT / "analyses"


def load_script(name):
    """Import ``analyses/<name>.py`` as a fresh module (its folder on sys.path meanwhile)."""
    spec = importlib.util.spec_from_file_location(f"_analyses_{name}", ANALYSES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ANALYSES))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ANALYSES))
    return module
