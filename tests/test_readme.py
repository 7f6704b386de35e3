"""The README's promises: its examples run, and CI runs its test command."""

import re
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_has_examples():
    assert len(_python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_example_runs(index, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # examples may write a store; keep it out of the repo
    code = _python_blocks()[index]
    exec(compile(code, f"README.md example {index}", "exec"), {"__name__": "__readme__"})
    plt.close("all")
    assert capsys.readouterr().out.strip(), "each README example prints something"


def test_ci_runs_the_readme_test_command():
    quick_start = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"```\n(.*?)```", quick_start, flags=re.S)[0].strip().splitlines()
    assert len(commands) == 2, "the quick start is exactly two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci
