"""Plausibility ranges: the shipped chips pass, absurd values are refused at their line and path,
``exotic`` lifts a range by name with a reason and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwdesc
from hwdesc import ChipDescriptionError
from hwdesc.plausibility import KNOBS, RANGES, values

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"
BSS2 = (CHIPS / "bss2.yaml").read_text()


def _edit(old, new, text=BSS2):
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("name", ["bss2", "bss2-synin", "tutorial"])
def test_shipped_chips_are_plausible_with_margin(name):
    chip = hwdesc.load(CHIPS / f"{name}.yaml")
    for path, value, rng in values(chip):
        assert rng.low <= value <= rng.high, path
        if value > 0 and rng.low > 0:  # at least a factor 10 inside, both ways
            assert rng.low * 10 <= value <= rng.high / 10, path


@pytest.mark.parametrize(
    "old, new, path, shown",
    [
        ("v_lin: 185 mV ", "v_lin: 1e300 V ", "analog.synaptic_input.v_lin", "1 mV .. 10 V"),
        ("v_lo: 0 V ", "v_lo: -1e300 V ", "analog.adc.v_lo", "-10 V .. 10 V"),
        ("  dt: 32 ns ", "  dt: 1 as ", "analog.dt", "1 ps .. 1 ms"),
        ("c_syn: 0.2 pF ", "c_syn: 0.2 F ", "analog.synaptic_input.c_syn", "1 aF .. 1 nF"),
        (
            "synapse_current: 3 % ",
            "synapse_current: 300 % ",
            "fixed_pattern.synapse_current",
            "0 .. 1",
        ),
        ("static_power: 0.6 W ", "static_power: 6 MW ", "energy.static_power", "0 W .. 1 kW"),
        ("v_max: 800 mV ", "v_max: 800 V ", "analog.synaptic_input.v_max", "1 mV .. 10 V"),
        (
            "psd_at_1MHz: 4e-14 V**2/Hz ",
            "psd_at_1MHz: 1e-4 V**2/Hz ",
            "noise.flicker.psd_at_1MHz",
            "0 V**2/Hz .. 1e-08 V**2/Hz",
        ),
        ("ota_offset: 0.3 mV ", "ota_offset: 3 V ", "fixed_pattern.ota_offset", "0 V .. 1 V"),
        (
            "conversion_time: 540 ns ",
            "conversion_time: 5 ms ",
            "analog.adc.conversion_time",
            "0 s .. 1 ms",
        ),
        (
            "per_code: 34.92063492 fF ",
            "per_code: 34.92063492 uF ",
            "calibration.default.knobs.membrane_capacitance",
            "1 aF .. 1 nF",
        ),
    ],
)
def test_absurd_values_are_refused_where_they_are(old, new, path, shown):
    text = _edit(old, new)
    with pytest.raises(ChipDescriptionError) as err:
        hwdesc.loads(text, file="chip.yaml")
    e = err.value
    assert e.yaml_path == path
    assert f"outside the plausible range {shown}" in e.problem
    assert f"'exotic: {{{path}: \"<why>\"}}'" in e.hint
    if not path.startswith("calibration"):
        assert e.line == next(
            i for i, line in enumerate(text.splitlines(), 1) if new.strip() in line
        )


def test_exotic_lifts_one_named_range():
    text = _edit("v_lin: 185 mV ", "v_lin: 20 V ")
    exotic = text + 'exotic:\n  analog.synaptic_input.v_lin: "a high-voltage OTA"\n'
    assert hwdesc.loads(exotic).analog.synaptic_input.v_lin == 20.0
    both = _edit("v_lo: 0 V ", "v_lo: 50 V ", exotic)
    with pytest.raises(ChipDescriptionError) as err:  # the other value is still checked
        hwdesc.loads(both)
    assert err.value.yaml_path == "analog.adc.v_lo"


def test_exotic_names_must_exist_and_have_reasons():
    with pytest.raises(ChipDescriptionError) as err:
        hwdesc.loads(BSS2 + 'exotic:\n  analog.synaptic_input.v_lni: "typo"\n')
    assert err.value.yaml_path == "exotic.'analog.synaptic_input.v_lni'"
    assert "did you mean `analog.synaptic_input.v_lin`?" in err.value.hint
    with pytest.raises(ChipDescriptionError) as err:
        hwdesc.loads(BSS2 + 'exotic:\n  analog.dt: "  "\n')
    assert err.value.problem == "an exotic value needs a reason"


def test_every_range_has_a_reason_and_is_ordered():
    for rng in list(RANGES.values()) + list(KNOBS.values()):
        assert rng.low < rng.high and len(rng.reason) > 10
