"""The reference-style example runs on the simulated chip, and differs from a script for the
hardware only in its import and init lines."""

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reference_style_digits.py"


def _load():
    spec = importlib.util.spec_from_file_location("reference_style_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_runs_and_learns(capsys):
    import chipsim.torch as hxp

    try:
        accuracy = _load().main(["--epochs", "2", "--test-samples", "150",
                                 "--chip", str(ROOT / "hwdesc" / "chips" / "bss2.yaml")])
    finally:
        hxp.release_chip()
        hxp.set_mock_parameter(hxp.MockParameter())
    printed = capsys.readouterr().out
    assert "mock mode" in printed and "on the chip" in printed
    assert accuracy > 0.6  # ten classes: chance is 0.1


def test_only_import_and_init_lines_name_chipsim():
    """Every line that mentions chipsim is an import or the chip init/release, marked CHANGED."""
    code = [line for line in EXAMPLE.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    body = code[code.index("import torch"):]  # below the module docstring
    changed = [line for line in body if "chipsim" in line or "use_chip" in line or "release_chip" in line]
    assert len(changed) == 4
    assert all(line.rstrip().endswith(("# CHANGED: import hxtorch",
                                       "# CHANGED: from hxtorch import perceptron as hxp",
                                       "# CHANGED: hxtorch.init_hardware()",
                                       "# CHANGED: hxtorch.release_hardware()")) for line in changed)
