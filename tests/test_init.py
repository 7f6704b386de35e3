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


def test_study_and_analysis_names():
    from clfcompare import analysis, report, study

    assert clfcompare.run_study is study.run_study
    assert clfcompare.build_models is study.build_models
    assert clfcompare.analyse is analysis.analyse
    assert clfcompare.Comparison is analysis.Comparison
    assert clfcompare.write_report is report.write_report


def test_study_layer_loads_without_torch():
    # the study imports torch only when it builds an MLP; analyse only when it runs (stats)
    code = (
        "import sys, clfcompare; clfcompare.run_study; clfcompare.analyse; "
        "print('torch' in sys.modules, 'clfcompare.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
