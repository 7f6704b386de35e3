"""Guard tests that make the layer rules of ``../shared/ARCHITECTURE.md`` facts.

Two layers, one direction of flow: the estimators know nothing of the analysis layer, the
trial runner treats every estimator as an sklearn estimator, and ``report`` only reads what
``analysis`` computed. The import tests run each in a fresh interpreter (``python -c``) and
read ``sys.modules`` there, since the test session itself has imported everything. The
static tests read the source with :mod:`ast`, so they see the imports inside functions too
(the command line imports lazily).

Rules checked:

* ``import clfcompare`` loads no clfcompare module but ``_version`` and nothing heavy
  (torch, matplotlib, scikit-learn, scipy, pandas): names are imported on first use;
* ``import clfcompare.estimators`` loads, of clfcompare, only the estimators and the shared
  private modules ``_checks``/``_version``; no matplotlib;
* ``import clfcompare.trials`` loads, of clfcompare, only the trials package and the shared
  private modules: no analysis layer, and no estimators either (the runner finds the
  many-split hook ``fit_splits`` by duck typing), so no torch;
* no module imports an underscore name or an underscore module from another package or
  top-level module of clfcompare (inside one package, such as ``clfcompare/trials/``,
  private modules import each other freely; ``clfcompare._checks`` and
  ``clfcompare._version`` are the package's shared private modules, open to all);
* ``report`` never imports ``clfcompare.stats``.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "clfcompare"

#: The analysis layer and the orchestration above it.
ANALYSIS = ("stats", "report", "plots", "study", "cli", "analysis", "calibration")

#: The package's private modules that every module may import (not their private names).
SHARED_PRIVATE = {"clfcompare._checks", "clfcompare._version"}

#: Libraries that ``import clfcompare`` must not load.
HEAVY = ("torch", "matplotlib", "sklearn", "scipy", "pandas")


def _loaded_after(statement):
    """``(clfcompare modules, top-level modules)`` in ``sys.modules`` after ``statement``,
    run in a fresh interpreter."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    ours = {m for m in modules if m == "clfcompare" or m.startswith("clfcompare.")}
    tops = {m.split(".")[0] for m in modules}
    return ours, tops


def _outside(ours, package):
    """Modules of ``ours`` that are neither ``package`` nor the root nor shared-private."""
    allowed = {"clfcompare", *SHARED_PRIVATE}
    return sorted(
        m for m in ours if m not in allowed and m != package and not m.startswith(package + ".")
    )


# ----------------------------------------------------------------------------------------------
# what an import loads (fresh interpreters)
# ----------------------------------------------------------------------------------------------
def test_import_clfcompare_loads_nothing_heavy():
    ours, tops = _loaded_after("import clfcompare")
    assert ours == {"clfcompare", "clfcompare._version"}
    assert [h for h in HEAVY if h in tops] == []


def test_estimators_load_nothing_of_the_analysis_layer():
    ours, tops = _loaded_after("import clfcompare.estimators")
    assert "clfcompare.estimators.mlp" in ours  # the import did load the estimators
    assert [m for m in ANALYSIS if f"clfcompare.{m}" in ours] == []
    assert _outside(ours, "clfcompare.estimators") == []
    assert "matplotlib" not in tops


def test_trials_load_neither_the_analysis_layer_nor_the_estimators():
    ours, tops = _loaded_after("import clfcompare.trials")
    assert "clfcompare.trials._runner" in ours
    assert [m for m in ANALYSIS if f"clfcompare.{m}" in ours] == []
    assert _outside(ours, "clfcompare.trials") == []
    assert "torch" not in tops and "matplotlib" not in tops


# ----------------------------------------------------------------------------------------------
# static checks of the source
# ----------------------------------------------------------------------------------------------
def _module_name(path):
    """``clfcompare/trials/_runner.py`` -> ``clfcompare.trials._runner`` (a package's
    ``__init__.py`` is the package)."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _unit(module):
    """The package or top-level module of clfcompare that ``module`` belongs to."""
    return ".".join(module.split(".")[:2])


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports(path):
    """``(line, module, name)`` of every import in the file; ``name`` is None for
    ``import module`` and ``importlib.import_module("module")``. Relative imports are
    resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            out += [(node.lineno, target, alias.name) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.append((node.lineno, node.args[0].value, None))
    return out


def _sources():
    return sorted(PACKAGE.rglob("*.py"))


def _private_crossings(path):
    """Imports of ``path`` that take a private module or name from another package."""
    own = _unit(_module_name(path))
    found = []
    for line, target, name in _imports(path):
        if target != "clfcompare" and not target.startswith("clfcompare."):
            continue  # another library
        full = target if name is None or name == "*" else f"{target}.{name}"
        if _unit(full) == own:
            continue
        shared = any(full == s or full.startswith(s + ".") for s in SHARED_PRIVATE)
        parts = target.split(".")[1:] + ([] if name is None else [name])
        if shared:  # the module is open to all; its private names are not
            private = name is not None and full not in SHARED_PRIVATE and _is_private(name)
        else:
            private = any(_is_private(p) for p in parts)
        if private:
            shown = f"import {target}" if name is None else f"from {target} import {name}"
            found.append(f"{path.relative_to(ROOT)}:{line}: {shown}")
    return found


def test_the_static_checks_see_what_they_look_for(tmp_path, monkeypatch):
    # the checks can fail: a module written with each kind of violation is reported
    fake = tmp_path / "clfcompare"
    (fake / "trials").mkdir(parents=True)
    (fake / "report").mkdir()
    (fake / "trials" / "__init__.py").write_text("from ._store import TrialStore\n")
    (fake / "report" / "__init__.py").write_text(
        "from clfcompare.plots import _check_references\n"
        "import clfcompare.estimators._engine\n"
        "from clfcompare.estimators import _engine\n"
        "from clfcompare._checks import check_int, _is_int\n"
        "from clfcompare import _version, plots\n"
        "from .. import stats\n"
        "def f():\n"
        "    from clfcompare.trials._store import group_differences\n"
        "    from clfcompare.stats.two_models import corrected_ttest\n"
    )
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert _private_crossings(fake / "trials" / "__init__.py") == []
    assert [v.split(": ", 1)[1] for v in _private_crossings(fake / "report" / "__init__.py")] == [
        "from clfcompare.plots import _check_references",
        "import clfcompare.estimators._engine",
        "from clfcompare.estimators import _engine",
        "from clfcompare._checks import _is_int",
        "from clfcompare.trials._store import group_differences",
    ]
    assert _stats_imports(fake / "report" / "__init__.py") == [
        "clfcompare/report/__init__.py:6: clfcompare.stats",
        "clfcompare/report/__init__.py:9: clfcompare.stats.two_models",
    ]


def test_no_private_name_crosses_a_package_boundary():
    found = [v for path in _sources() for v in _private_crossings(path)]
    assert found == [], "private names imported across package boundaries:\n" + "\n".join(found)


def _stats_imports(path):
    found = []
    for line, target, name in _imports(path):
        full = target if name is None or name == "*" else f"{target}.{name}"
        for candidate in (target, full):
            if candidate == "clfcompare.stats" or candidate.startswith("clfcompare.stats."):
                found.append(f"{path.relative_to(ROOT)}:{line}: {candidate}")
                break
    return found


def test_report_never_imports_stats():
    # report formats what analysis computed; it runs no test of its own
    files = [PACKAGE / "report.py", *sorted((PACKAGE / "report").rglob("*.py"))]
    files = [f for f in files if f.is_file()]
    if not files:
        pytest.fail("no clfcompare/report.py nor clfcompare/report/ to check")
    found = [v for path in files for v in _stats_imports(path)]
    assert found == [], "report imports stats:\n" + "\n".join(found)
