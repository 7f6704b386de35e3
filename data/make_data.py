"""Regenerate the canonical curve CSVs in this folder and print their SHA-256.

Run from the repository root: ``python data/make_data.py``.
"""

from pathlib import Path

from clfcompare.datasets import CANONICAL_RANDOM_STATE, write_curve_csv

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for k in (2, 4):
        digest = write_curve_csv(HERE / f"curve_{k}class.csv", k)
        print(f"curve_{k}class.csv  random_state={CANONICAL_RANDOM_STATE}  sha256={digest}")
