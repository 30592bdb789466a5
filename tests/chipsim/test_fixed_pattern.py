"""The fixed pattern of a chip instance: one independent generator per quantity, the ADC
quadrants and their thresholds, and the line time constant that follows the OTA bias."""

from __future__ import annotations

import numpy as np
import pytest

import hwdesc
from chipsim.fixed_pattern import MIN_THRESHOLD_STEP, _rng, adc_deviations, draw
from hwdesc.builtin import CHIPS_DIR


@pytest.fixture(scope="module")
def bss2():
    return hwdesc.load("bss2")


def test_unchanged_quantities_keep_their_draws(bss2):
    knobs = bss2.resolve("default")
    pat = draw(bss2, knobs, 3)
    fp = bss2.fixed_pattern
    cols = bss2.geometry.columns
    for half in range(2):
        z = _rng(3, half, "tau_syn").standard_normal(cols)
        tau_rel = np.clip(1 + z * fp.tau_syn, 0.05, None)
        np.testing.assert_array_equal(pat[half].tau_syn, knobs.tau_syn * tau_rel)  # coupling 1 here
        # the calibration sets the OTA bias to a common amplitude g_m tau_syn: g_m makes up for
        # the residual of tau_syn, what remains is the amplitude spread `gm`
        z = _rng(3, half, "gm").standard_normal(cols)
        amp = np.clip(1 + z * fp.gm, 0.05, None)
        np.testing.assert_array_equal(pat[half].gm, knobs.gm * amp / tau_rel)
        z = _rng(3, half, "adc_offset").standard_normal(cols) * fp.adc_offset
        ramp = _rng(3, half, "adc_ramp_offset").standard_normal(2) * fp.adc_ramp_offset
        np.testing.assert_array_equal(pat[half].adc_offset, ramp[pat[half].quadrant] + z)


def test_excitatory_and_inhibitory_paths_are_drawn_separately(bss2):
    (p, _) = draw(bss2, bss2.resolve("default"), 0)
    assert not np.array_equal(p.gm, p.gm_inh) and not np.array_equal(p.tau_syn, p.tau_syn_inh)
    assert not np.array_equal(p.v_offset_exc, p.v_offset_inh)
    # the same spreads
    assert np.std(p.tau_syn_inh / p.tau_syn.mean()) == pytest.approx(0.03, rel=0.3)
    # the amplitudes g_m tau_syn of the two paths spread by `gm` each (1 %), g_m alone by more
    amp_e = p.gm * p.tau_syn / (p.gm * p.tau_syn).mean()
    amp_i = p.gm_inh * p.tau_syn_inh / (p.gm_inh * p.tau_syn_inh).mean()
    assert np.std(amp_e) == pytest.approx(0.01, rel=0.3)
    assert np.std(amp_i) == pytest.approx(0.01, rel=0.3)
    assert np.std(amp_e - amp_i) == pytest.approx(0.01 * np.sqrt(2), rel=0.3)
    assert np.std(p.gm_inh / p.gm_inh.mean()) == pytest.approx(np.hypot(0.01, 0.03), rel=0.3)
    assert np.std(p.v_offset_exc) == pytest.approx(0.3e-3, rel=0.3)
    assert np.std(p.v_leak - 0.3) == pytest.approx(5e-3, rel=0.3)
    assert np.std(p.i_offset) == pytest.approx(10e-12, rel=0.3)


def test_tau_follows_the_profiles_otas_bias(bss2):
    default = draw(bss2, bss2.resolve("default"), 0)[0]
    custom = draw(bss2, bss2.resolve("custom"), 0)[0]
    # twice the calibrated tau_syn, and 2^0.06 longer at half the OTA bias
    np.testing.assert_allclose(custom.tau_syn / default.tau_syn, 2 * 2**0.06, rtol=1e-12)
    np.testing.assert_allclose(custom.tau_syn_inh / default.tau_syn_inh, 2 * 2**0.06, rtol=1e-12)


def test_adc_quadrants_share_slope_and_ramp_offset(bss2):
    for p in draw(bss2, bss2.resolve("default"), 1):
        assert p.quadrant.tolist() == [0] * 128 + [1] * 128
        for q in range(2):
            lsb = p.adc_lsb[p.quadrant == q]
            assert np.all(lsb == lsb[0])
        assert p.adc_lsb[0] != p.adc_lsb[128]
        assert p.adc_dev.shape == (2, 255)
        steps = np.diff(p.thresholds(), axis=1)
        assert steps.min() >= MIN_THRESHOLD_STEP - 1e-12
        assert 0.05 < np.std(np.diff(p.adc_dev, axis=1)) < 0.3  # the DNL is there


def test_adc_deviations_bow_dnl_and_the_clip():
    z = np.zeros((2, 255))
    bow = adc_deviations(np.array([0.3, -0.5]), z, 0.1)
    k = np.arange(1, 256)
    np.testing.assert_allclose(bow[0], 0.3 * np.sin(np.pi * (k - 0.5) / 255), atol=1e-12)
    np.testing.assert_allclose(bow[1], -0.5 * np.sin(np.pi * (k - 0.5) / 255), atol=1e-12)
    assert np.all(adc_deviations(np.zeros(1), np.zeros((1, 255)), 0.3) == 0.0)  # no INL/DNL: ideal
    z = np.zeros((1, 6))
    z[0, 2] = -10.0  # threshold 3 would fall below threshold 2: raised to 0.2 codes above it
    dev = adc_deviations(np.zeros(1), z, 0.1)
    thresholds = np.arange(1, 7) - 0.5 + dev[0]
    np.testing.assert_allclose(np.diff(thresholds), [1.0, 0.2, 1.8, 1.0, 1.0], atol=1e-12)
    z[0, 2] = 10.0  # threshold 3 far above: 4 and 5 are raised behind it, 6 is above it again
    dev = adc_deviations(np.zeros(1), z, 0.1)
    thresholds = np.arange(1, 7) - 0.5 + dev[0]
    np.testing.assert_allclose(thresholds, [0.5, 1.5, 3.5, 3.7, 4.5, 5.5], atol=1e-12)


def test_inl_and_dnl_are_not_scaled_with_the_calibration(bss2):
    text = (CHIPS_DIR / "bss2.yaml").read_text()
    # the custom profile's scale: the last one, before the uncalibrated section
    head, tail = text.split("\nuncalibrated:", 1)
    assert head.count("fixed_pattern_scale: 1.0") == 2
    cut = head.rindex("fixed_pattern_scale: 1.0")
    text = head[:cut] + "fixed_pattern_scale: 0.0" + head[cut + 24 :] + "\nuncalibrated:" + tail
    chip = hwdesc.loads(text)
    p = draw(chip, chip.resolve("custom"), 0)[0]
    assert np.all(p.gm == p.gm[0]) and np.all(p.adc_offset == 0)
    assert np.any(p.adc_dev != 0)
