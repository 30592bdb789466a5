"""Every shipped chip description loads, and bss2 has the published shape and timing."""

from pathlib import Path

import pytest

import hwdesc

CHIPS = sorted((Path(__file__).resolve().parents[2] / "hwdesc" / "chips").glob("*.yaml"))


@pytest.mark.parametrize("path", CHIPS, ids=[p.stem for p in CHIPS])
def test_every_chip_loads(path):
    chip = hwdesc.load(path)
    assert chip.identity.name == path.stem
    assert "default" in chip.calibration


def test_bss2_shape_formats_and_vector_time():
    chip = hwdesc.load(CHIPS[0].parent / "bss2.yaml")
    assert chip.geometry.halves == 2
    assert chip.tile_shape == (128, 256)
    assert (chip.formats.input.bits, chip.formats.weight.bits, chip.formats.adc.bits) == (5, 6, 8)
    # model.md section 1: about 38 us of fixed phases plus 128 x 5 cycles of 8 ns: about 43 us per vector.
    assert chip.vector_time(128, 1, 5) == pytest.approx(43e-6, rel=0.02)
    assert chip.cycle_time == pytest.approx(8e-9)


def test_bss2_adc_noise_and_line_values_of_issue_12():
    chip = hwdesc.load(CHIPS[0].parent / "bss2.yaml")
    adc, syn, nz, fp = chip.analog.adc, chip.analog.synaptic_input, chip.noise, chip.fixed_pattern
    assert adc.conversion_time == pytest.approx(540e-9)  # at most 1.85 MSample/s per channel
    assert adc.quadrant_columns == 128 and chip.geometry.columns // adc.quadrant_columns == 2
    assert (adc.inl, adc.dnl) == (0.3, 0.1)
    assert syn.v_max == pytest.approx(0.8) and syn.v_lin == pytest.approx(0.185)
    assert syn.tau_gm_coupling.reference_gm == pytest.approx(0.9e-6)
    # about +4 % tau per halving of the OTA bias; exactly the calibrated tau at the reference
    assert syn.tau_gm_coupling.factor(chip.resolve("custom").gm) == pytest.approx(1.0425, abs=1e-4)
    assert syn.tau_gm_coupling.factor(chip.resolve("default").gm) == 1.0
    assert nz.sigma_jitter == pytest.approx(0.2e-9)
    assert (nz.sigma_bias, nz.sigma_bias_common, nz.sigma_ramp) == (0.005, 0.003, 0.3)
    assert nz.sigma_gm == pytest.approx(0.022)
    assert nz.flicker.psd_at_1MHz == pytest.approx(4e-14)
    assert (nz.flicker.tau_min, nz.flicker.tau_max) == pytest.approx((1e-6, 1e-3))
    assert (nz.flicker.components, nz.flicker.blocks) == (4, 8)
    assert fp.ota_offset == pytest.approx(0.3e-3) and fp.leak_level == pytest.approx(5e-3)
    assert fp.offset_current == pytest.approx(10e-12)
    assert (fp.adc_slope, fp.adc_ramp_offset, fp.adc_offset) == (0.02, 0.5, 0.5)
