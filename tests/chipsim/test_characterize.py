"""``chipsim characterize``: the experiments' numbers and the command's files and errors."""

import json
from pathlib import Path

import numpy as np
import pytest

import chipsim
from chipsim.commands.cli import main
from chipsim.studies import characterization as ch

BSS2 = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml"
TUTORIAL = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml"


def test_with_knob_changes_one_knob_of_the_same_chip():
    chip = chipsim.load(BSS2, seed=3)
    low = ch.with_knob(chip, "i_synin_gm", 225)
    assert low.seed == 3 and low.knobs.gm == pytest.approx(chip.knobs.gm / 2)
    assert low.knobs.tau_syn == chip.knobs.tau_syn
    np.testing.assert_array_equal(low.pattern[0].syn_gain_exc, chip.pattern[0].syn_gain_exc)
    with pytest.raises(ValueError, match="allowed range 30..600"):
        ch.with_knob(chip, "i_synin_gm", 900)
    with pytest.raises(ValueError, match="no knob"):
        ch.with_knob(chip, "ota", 100)


def test_saturation_onset():
    assert ch.saturation_onset([4, 8, 12, 16], [1.0, 0.99, 0.96, 0.94], 1.0) == 16
    assert ch.saturation_onset([4, 8, 12], [0.9, 1.0, 1.0], 1.0, after=4) is None


@pytest.mark.slow
def test_characterize_command_writes_figures_and_numbers(tmp_path, capsys):
    assert (
        main(["characterize", str(BSS2), "--out", str(tmp_path), "--repeats", "8", "--quiet"]) == 0
    )
    text = capsys.readouterr().out
    assert "noise (ADC steps" in text and "calibration   custom" in text and "wall time" in text
    for name in (
        "noise_factors.png",
        "transfer_curve.png",
        "gain_vs_wait.png",
        "characterization.json",
        "characterization.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "characterization.json").read_text())
    assert set(data["noise_factors"]) == {
        "wait_between_events",
        "num_sends",
        "inputs",
        "weight_magnitude",
        "ota_bias_code",
    }
    assert set(data["calibration"]) == {"default", "custom"}
    assert len(data["transfer"]["gain"]) == 256
    header = (tmp_path / "characterization.csv").read_text().splitlines()[0]
    assert header == "experiment,series,x,value,extra"


def test_characterize_errors(tmp_path, capsys):
    assert main(["characterize", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["characterize", str(BSS2), "--repeats", "1"])
    assert "is out of range; allowed: >= 2" in capsys.readouterr().err


def test_other_chip_descriptions_still_load():
    import hwdesc

    chipsim.load(TUTORIAL)
    assert hwdesc.load(BSS2.with_name("bss2-synin.yaml")).geometry.readout == "synaptic_input"
