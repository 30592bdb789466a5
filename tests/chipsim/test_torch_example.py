"""The reference-style examples run on the simulated chip, and differ from scripts for the
hardware in their import line only: with that line swapped for the reference's, their code names
nothing of chipsim and uses only names of the reference API."""

import ast
import difflib
import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    name: ROOT / "examples" / f"{name}.py"
    for name in ("reference_style_digits", "expanded_conv_trace")
}
IMPORT_LINE = "import chipsim.torch as hxtorch  # the hardware script: import hxtorch"
REFERENCE_IMPORT = "import hxtorch"

#: Public names of the reference API (hxtorch's hardware initialisation, hxtorch.perceptron and
#: hxtorch.perceptron.nn), read from its bindings and its nn module.
REFERENCE_TOP = {
    "init_hardware",
    "init_hardware_minimal",
    "release_hardware",
    "perceptron",
    "ann",
    "CalibrationPath",
    "HWDBPath",
    "get_unique_identifier",
    "logger",
}
REFERENCE_PERCEPTRON = {
    "mac",
    "matmul",
    "conv1d",
    "expanded_conv1d",
    "conv2d",
    "relu",
    "converting_relu",
    "add",
    "argmax",
    "MockParameter",
    "get_mock_parameter",
    "set_mock_parameter",
    "measure_mock_parameter",
    "InferenceTracer",
    "inference_trace",
    "constants",
    "nn",
}
REFERENCE_NN = {
    "Layer",
    "MACLayer",
    "Linear",
    "ConvNd",
    "Conv1d",
    "ExpandedConv1d",
    "Conv2d",
    "ReLU",
    "ConvertingReLU",
    "scale_input",
    "scale_weight",
    "clamp_weight_",
}


def _load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chain(node):
    """``hxtorch.perceptron.nn.Linear`` -> ["hxtorch", "perceptron", "nn", "Linear"]."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id] + parts[::-1]
    return None


def _check_reference_names(chain):
    if chain[0] == "hxp":  # hxp = hxtorch.perceptron in the examples
        chain = ["hxtorch", "perceptron"] + chain[1:]
    if chain[0] != "hxtorch" or len(chain) < 2:
        return
    assert chain[1] in REFERENCE_TOP, chain
    if chain[1] in ("perceptron", "ann") and len(chain) > 2:
        assert chain[2] in REFERENCE_PERCEPTRON, chain
        if chain[2] == "nn" and len(chain) > 3:
            assert chain[3] in REFERENCE_NN, chain


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_differ_from_a_hardware_script_in_the_import_line_only(name):
    text = EXAMPLES[name].read_text()
    assert text.count(IMPORT_LINE) == 1
    hardware = text.replace(IMPORT_LINE, REFERENCE_IMPORT)
    changed = [
        line
        for line in difflib.unified_diff(text.splitlines(), hardware.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [f"-{IMPORT_LINE}", f"+{REFERENCE_IMPORT}"]
    tree = ast.parse(hardware)
    docstring = ast.get_docstring(tree, clean=False)
    chains = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            assert not any("chipsim" in module for module in modules), ast.dump(node)
        elif isinstance(node, ast.Name):
            assert "chipsim" not in node.id.lower()
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value != docstring
        ):
            assert "chipsim" not in node.value.lower(), node.value
        elif isinstance(node, ast.Attribute):
            assert "chipsim" not in node.attr.lower()
            chain = _chain(node)
            if chain and chain[0] in ("hxtorch", "hxp"):
                _check_reference_names(chain)
                chains += 1
    assert chains > 10  # the examples do use the API


def test_the_name_check_catches_chipsim_extensions():
    with pytest.raises(AssertionError):
        _check_reference_names(["hxtorch", "use_chip"])
    with pytest.raises(AssertionError):
        _check_reference_names(["hxp", "load_trace"])
    _check_reference_names(["hxp", "nn", "ExpandedConv1d"])


@pytest.fixture
def bss2(monkeypatch):
    import chipsim.torch as hxp

    monkeypatch.setenv("CHIPSIM_CHIP", "bss2")
    monkeypatch.delenv("CHIPSIM_CALIBRATION", raising=False)
    monkeypatch.delenv("CHIPSIM_SEED", raising=False)
    yield
    hxp.release_chip()
    hxp.set_mock_parameter(hxp.MockParameter())


def test_digits_example_runs_and_learns(bss2, capsys):
    pytest.importorskip("sklearn")
    accuracy = _load("reference_style_digits").main(["--epochs", "2", "--test-samples", "150"])
    printed = capsys.readouterr().out
    assert "mock mode" in printed and "on the chip" in printed
    assert accuracy > 0.6  # ten classes: chance is 0.1


def test_expanded_conv_trace_example_runs_and_replays(bss2, capsys):
    accuracy, same = _load("expanded_conv_trace").main(
        ["--epochs", "3", "--train-samples", "300", "--test-samples", "60", "--batch-size", "20"]
    )
    printed = capsys.readouterr().out
    assert "expansions of the convolution: 31" in printed
    assert "traced: ['mac', 'add', 'converting_relu', 'mac', 'add']" in printed
    assert same  # replayed batch by batch = eager forward, same seeds
    assert accuracy > 0.45  # three classes: chance is 1/3
