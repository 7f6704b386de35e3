"""docs/interfaces.md's signatures state the code's defaults.

Every ``name=value`` that the document writes inside a call of one of the public functions
below (in its code blocks and inline code) is compared with ``inspect.signature``'s default;
``...`` and names without a value are not checked.
"""

import ast
import inspect
import re
from pathlib import Path

import pytest

from clfcompare import analysis, report, stats, study
from clfcompare.trials import RepeatedKFoldWithHalves, run_trials

DOC = (Path(__file__).parents[1] / "docs" / "interfaces.md").read_text(encoding="utf-8")

FUNCTIONS = {
    "run_trials": run_trials,
    "compare": stats.compare,
    "corrected_ttest": stats.corrected_ttest,
    "conservative_z": stats.conservative_z,
    "simultaneous_comparisons": stats.simultaneous_comparisons,
    "equivalence_test": stats.equivalence_test,
    "paired_ttest": stats.paired_ttest,
    "mcnemar": stats.mcnemar,
    "wilcoxon_test": stats.wilcoxon_test,
    "friedman_nemenyi": stats.friedman_nemenyi,
    "bayesian_correlated_ttest": stats.bayesian_correlated_ttest,
    "run_5x2cv": stats.run_5x2cv,
    "analyse": analysis.analyse,
    "write_report": report.write_report,
    "run_study": study.run_study,
    "RepeatedKFoldWithHalves": RepeatedKFoldWithHalves,
}


def _calls(name):
    """The argument texts of every ``name(...)`` in the document (balanced parentheses)."""
    for match in re.finditer(rf"(?<![\w.]){name}\(", DOC):
        depth, start = 1, match.end()
        for i in range(start, len(DOC)):
            depth += {"(": 1, ")": -1}.get(DOC[i], 0)
            if depth == 0:
                yield DOC[start:i]
                break


def _documented_defaults(args):
    """``{param: value}`` for each ``param=literal`` at the top level of ``args``."""
    out, depth, part = {}, 0, ""
    for ch in args + ",":
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            key, sep, value = part.partition("=")
            if sep and re.fullmatch(r"\s*\w+\s*", key):
                try:
                    out[key.strip()] = ast.literal_eval(" ".join(value.split()))
                except (ValueError, SyntaxError):
                    pass  # not a literal ("...", a name): not checked
            part = ""
        else:
            part += ch
    return out


CASES = [(name, args) for name in FUNCTIONS for args in _calls(name)]


@pytest.mark.parametrize(("name", "args"), CASES, ids=[c[0] for c in CASES])
def test_documented_defaults_are_the_codes(name, args):
    params = inspect.signature(FUNCTIONS[name]).parameters
    for param, value in _documented_defaults(args).items():
        assert param in params, f"{name}: docs/interfaces.md names no parameter {param!r}"
        assert params[param].default == value, (
            f"{name}({param}=...): docs/interfaces.md says {value!r}, the code "
            f"{params[param].default!r}"
        )


def test_the_document_is_checked():
    checked = {name for name, args in CASES if _documented_defaults(args)}
    assert {"compare", "analyse", "run_study", "RepeatedKFoldWithHalves"} <= checked
