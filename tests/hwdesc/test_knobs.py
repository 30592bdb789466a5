"""Knob codes <-> physical values, and calibration profiles resolved to physical parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hwdesc
from hwdesc import CodeKnob, PhysicalKnob, ResolvedKnobs

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


@pytest.fixture(scope="module")
def bss2():
    return hwdesc.load(CHIPS / "bss2.yaml")


def test_knob_kinds(bss2):
    assert isinstance(bss2.knobs["i_synin_gm"], CodeKnob)
    assert isinstance(bss2.knobs["tau_syn"], PhysicalKnob)
    assert {knob.sets for knob in bss2.knobs.values()} == {
        "gm",
        "i_max",
        "tau_syn",
        "v_reset",
        "c_m",
    }


def test_code_knob_mapping_is_stored_in_si(bss2):
    gm = bss2.knobs["i_synin_gm"]
    assert (gm.per_code, gm.offset) == (2e-09, 0.0)
    assert gm.range == (0, 1022) and gm.allowed == (30, 600)
    assert bss2.knobs["tau_syn"].allowed == (3e-07, 2e-05)


@pytest.mark.parametrize(
    "knob, code, physical, rel",
    [
        ("i_synin_gm", 450, 0.9e-6, 1e-12),  # OTA bias 450 -> g_m 0.9 uS
        ("i_synin_gm", 225, 0.45e-6, 1e-12),
        ("i_synin_gm", 0, 0.0, 0),
        ("synapse_dac_bias", 1022, 0.5e-6, 1e-8),  # 0.489236790 nA per code: 1022 -> 0.5 uA
        ("reset_level", 120, 0.3, 1e-12),  # 2.5 mV per ADC code: 120 -> 0.3 V
        ("membrane_capacitance", 63, 2.2e-12, 1e-9),
    ],
)
def test_to_physical(bss2, knob, code, physical, rel):
    assert bss2.knobs[knob].to_physical(code) == pytest.approx(physical, rel=rel, abs=0)


def test_to_physical_takes_numpy_integers(bss2):
    assert bss2.knobs["i_synin_gm"].to_physical(np.int64(450)) == bss2.knobs[
        "i_synin_gm"
    ].to_physical(450)


@pytest.mark.parametrize("code", [-1, 1023, 10**6])
def test_to_physical_refuses_codes_outside_the_hardware_range(bss2, code):
    with pytest.raises(ValueError) as info:
        bss2.knobs["i_synin_gm"].to_physical(code)
    assert str(info.value) == f"code {code} is outside the range 0..1022 of the knob that sets gm"


@pytest.mark.parametrize("code", [450.0, "450", True, None])
def test_to_physical_refuses_non_integer_codes(bss2, code):
    with pytest.raises(TypeError, match=r"code: expected an integer, got "):
        bss2.knobs["i_synin_gm"].to_physical(code)


@pytest.mark.parametrize(
    "knob, physical, code",
    [
        ("i_synin_gm", 0.9e-6, 450),
        ("i_synin_gm", 0.45e-6, 225),
        ("i_synin_gm", 0.901e-6, 450),  # nearest code
        ("synapse_dac_bias", 0.5e-6, 1022),
        ("reset_level", 0.3, 120),
        ("membrane_capacitance", 2.2e-12, 63),
    ],
)
def test_to_code(bss2, knob, physical, code):
    assert bss2.knobs[knob].to_code(physical) == code


def test_to_code_inverts_to_physical_over_the_allowed_codes(bss2):
    for knob in bss2.knobs.values():
        if isinstance(knob, CodeKnob):
            lo, hi = knob.allowed
            assert all(knob.to_code(knob.to_physical(code)) == code for code in range(lo, hi + 1))


def test_to_code_refuses_values_that_need_a_code_outside_the_allowed_range(bss2):
    gm = bss2.knobs["i_synin_gm"]
    with pytest.raises(ValueError) as info:
        gm.to_code(2e-6)
    assert (
        str(info.value)
        == "2 uS needs code 1000, outside the allowed codes 30..600 (60 nS .. 1.2 uS)"
    )
    with pytest.raises(ValueError, match="needs code 5"):
        gm.to_code(1e-8)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.9 uS", None])
def test_to_code_refuses_non_finite_or_non_numbers(bss2, value):
    with pytest.raises(ValueError, match="must be a finite number of conductance in SI units"):
        bss2.knobs["i_synin_gm"].to_code(value)


def test_resolve_default(bss2):
    resolved = bss2.resolve("default")
    assert resolved == bss2.resolve()
    assert isinstance(resolved, ResolvedKnobs)
    assert resolved.gm == pytest.approx(0.9e-6, rel=1e-12)
    assert resolved.i_max == pytest.approx(0.5e-6, rel=1e-8)
    assert resolved.tau_syn == 3.2e-07
    assert resolved.v_reset == pytest.approx(0.3, rel=1e-12)
    assert resolved.c_m == pytest.approx(2.2e-12, rel=1e-9)
    assert resolved.fixed_pattern_scale == 1.0


def test_resolve_custom_has_half_the_ota_gain_and_twice_tau_syn(bss2):
    default, custom = bss2.resolve("default"), bss2.resolve("custom")
    assert custom.gm == pytest.approx(0.45e-6, rel=1e-12)
    assert custom.tau_syn == 6.4e-07
    assert custom.gm == pytest.approx(default.gm / 2, rel=1e-12)
    assert (custom.i_max, custom.v_reset, custom.c_m) == (
        default.i_max,
        default.v_reset,
        default.c_m,
    )


def test_profile_returns_the_raw_knob_values(bss2):
    profile = bss2.profile("custom")
    assert profile.knobs["i_synin_gm"] == 225
    assert profile.knobs["tau_syn"] == "0.64 us"


def test_unknown_profile_lists_the_profiles(bss2):
    with pytest.raises(ValueError) as info:
        bss2.resolve("turbo")
    assert (
        str(info.value)
        == "no calibration profile 'turbo' in chip 'bss2'; profiles: default, custom"
    )


def test_misspelt_profile_gets_a_suggestion(bss2):
    with pytest.raises(ValueError) as info:
        bss2.profile("custon")
    assert str(info.value) == (
        "no calibration profile 'custon' in chip 'bss2'; did you mean 'custom'? profiles: default, custom"
    )


def test_resolved_knobs_are_frozen(bss2):
    with pytest.raises(ValueError):
        bss2.resolve().gm = 1.0
