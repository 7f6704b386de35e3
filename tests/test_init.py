"""The package's public names."""

import subprocess
import sys

import pytest

import clfcompare


@pytest.mark.parametrize("name", clfcompare.__all__)
def test_every_public_name_resolves(name):
    assert getattr(clfcompare, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        clfcompare.nope  # noqa: B018


def test_star_import_and_identity():
    ns = {}
    exec("from clfcompare import *", ns)
    from clfcompare.estimators.mlp import TorchMLPClassifier

    assert ns["TorchMLPClassifier"] is TorchMLPClassifier
    assert ns["stats"] is sys.modules["clfcompare.stats"]


def test_import_does_not_load_torch():
    code = "import sys, clfcompare; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
