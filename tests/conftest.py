"""Test configuration shared by the whole suite.

torch's intra-op threads oversubscribe a small, shared machine (measured: small steps 15x
slower on 2 busy cores), so the suite pins torch to one thread. Figures use the headless Agg
backend.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)


def cuda_available():
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs a CUDA device; none is visible to torch")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)
