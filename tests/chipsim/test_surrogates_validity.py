"""``chipsim validate-model`` and the validity grid it is built on."""

import json
from pathlib import Path

import numpy as np
import pytest

import chipsim
from chipsim.commands.cli import main
from chipsim.models import mock, validity

BSS2 = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml"


def test_cell_inputs_follow_density_and_weight_magnitude():
    x, w = validity.cell_inputs(validity.Cell(5, 1, 0.3, 16), 128, 256, 200, seed=0)
    assert x.shape == (200, 128) and w.shape == (128, 256)
    assert abs(np.mean(x > 0) - 0.3) < 0.02 and x.max() <= 31
    assert w.min() == -8 and w.max() == 16


@pytest.fixture(scope="module")
def small_grid():
    chip = chipsim.load(BSS2, seed=0)
    sur = {
        "reference": validity.mock_as_surrogate(mock.MockParameter(), 2, 256, "reference"),
        "too high": validity.mock_as_surrogate(mock.MockParameter(0.004, 2.0), 2, 256, "x2"),
    }
    return validity.evaluate(
        chip, sur, waits=(2, 25), sends=(1,), densities=(0.1, 1.0), weights=(63,), vectors=8
    ), list(sur)


def test_grid_metrics_and_words(small_grid):
    results, names = small_grid
    assert len(results) == 4
    sparse_slow = next(r for r in results if r.cell.wait == 25 and r.cell.density == 0.1)
    dense_fast = next(r for r in results if r.cell.wait == 2 and r.cell.density == 1.0)
    # the reference mock is close for sparse inputs at a long wait, far off for dense ones at wait 2
    assert sparse_slow.rms["reference"] < 2.0
    assert dense_fast.bias["reference"] > 5.0 and dense_fast.frac_off["reference"] > 0.5
    # a mock with twice the gain is worse everywhere
    assert all(r.rms["too high"] > r.rms["reference"] for r in results)
    assert 0.5 < sparse_slow.noise_ratio["reference"] < 1.5
    text = validity.summary(results, names)
    assert "reference: holds in" in text and "too high: holds in 0 of 4 cells" in text
    table = validity.table(results, names)
    lines = table.splitlines()
    assert lines[:2] == ["A  reference", "B  too high"]
    assert lines[2:4] == ["", (" " * 30 + f"  {'A':^15}  {'B':^15}").rstrip()]
    assert (
        lines[4].split()
        == ["wait", "sends", "dens", "|w|", "|y|", "noise"] + ["rms", "bias", "n.r"] * 2
    )
    assert len([line for line in lines if line[:4].strip().isdigit()]) == 4  # one line per cell
    assert max(map(len, lines)) <= validity.LINE_WIDTH
    assert all(len(line) <= validity.LINE_WIDTH for line in text.splitlines())


@pytest.mark.slow
def test_validate_model_command(tmp_path, capsys):
    args = [
        "validate-model",
        str(BSS2),
        "--out",
        str(tmp_path),
        "--waits",
        "5",
        "--num-sends",
        "1,2",
        "--densities",
        "0.3",
        "--weights",
        "16",
        "--vectors",
        "4",
        "--fit-vectors",
        "16",
        "--quiet",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "holds in" in text and "hxtorch.MockParameter(" in text and "wall time" in text
    for name in (
        "validity.txt",
        "validity.csv",
        "validity.json",
        "mock_parameter.json",
        "surrogate_column.json",
        "surrogate_column_nonlinear.json",
        "validity_rms.png",
        "validity_bias.png",
        "validity_noise_ratio.png",
    ):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "validity.json").read_text())
    assert len(data["cells"]) == 2 * 4 and data["aihwkit_io_terms"]["approximate"] is True


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--densities", "0.5,1.5", "densities must lie in (0, 1]"),
        ("--weights", "64", "weight magnitudes must lie in 1..63"),
        ("--num-sends", "0", "0 is out of range; allowed: >= 1"),
    ],
)
def test_validate_model_argument_errors(option, value, message, capsys):
    with pytest.raises(SystemExit):
        main(["validate-model", str(BSS2), option, value])
    assert message in capsys.readouterr().err
