"""Tests of analyses/bench_floor.py (the engine's CPU time against its kernels').

Nothing here checks a time: only that the table has its rows with positive seconds, that the
floor is the sum of its parts, and that the epoch's shape is the HW4 study's.
"""

import re

import pytest
from _scripts import load_script  # tests/ is on sys.path (no __init__.py)


@pytest.fixture(scope="module")
def bench():
    return load_script("bench_floor")


def test_one_epoch_prints_the_parts_and_their_sum(bench, capsys):
    assert bench.main(["--epochs", "1"]) == 0
    text = capsys.readouterr().out
    # 50 main splits (256 rows: 52 steps), 40 inner splits (80 rows: 16 steps)
    assert "90 networks" in text and "36 steps of 50 networks, 16 steps of 90 networks" in text
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| (.+?)\s+\|\s+([\d.]+) \|\s+([\d.]+) \|\s+(\d+)% \|$", line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    names = ["matrix products", "Adam (fused kernel)", "floor (products + Adam)",
             "engine (train_mlps)"]  # fmt: skip
    assert list(rows) == names
    assert all(per_epoch > 0 for per_epoch, _ in rows.values())
    products, adam, floor = (rows[n][0] for n in names[:3])
    assert floor == pytest.approx(products + adam, abs=2e-4)  # printed to 4 decimals
    for per_epoch, per_model in rows.values():  # 499 epochs, printed to 0.1 s
        assert per_model == pytest.approx(per_epoch * 499, abs=0.05 + 499 * 5e-5)


def test_bad_epochs_are_refused(bench):
    with pytest.raises(SystemExit):
        bench.main(["--epochs", "0"])
