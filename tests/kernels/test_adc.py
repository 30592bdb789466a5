"""The CADC of model.md section 8: codes from per-quadrant thresholds k - 1/2 + adc_dev[q, k-1]
(k = 1..adc_max), the largest code adc_max, against the reference integrator's converter."""

import numpy as np
import pytest
from kernel_cases import chip_params
from reference.integrator import adc_code

import kernels

M = 64


def _constant_membrane(adc_max=255, **over):
    """A half whose membrane stays at the reset level (no events, no drift): the ADC value of
    column c is x_c = 120 + adc_offset[c] exactly."""
    p = chip_params(1, M, fixed_pattern=False, tau_leak=np.inf, t_read=1e-6, t_baseline=0.5e-6)
    p.update(i_offset=np.zeros(M), adc_max=adc_max, **over)
    ev = (np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    return ev, np.zeros((1, M), np.int8), p


@pytest.mark.parametrize("adc_max", [255, 200, 127])
def test_codes_count_the_thresholds_reached(adc_max):
    rng = np.random.default_rng(adc_max)
    quadrant = np.arange(M) % 4
    dev = rng.uniform(-0.45, 0.45, (4, adc_max))
    # ADC values across codes 116..124 and beyond adc_max, fine steps, some on thresholds
    offset = np.linspace(-4.2, 4.2, M)
    offset[::7] = (
        np.round(offset[::7]) + 0.5 + dev[quadrant[::7], 119 + np.round(offset[::7]).astype(int)]
    )
    if adc_max < 130:
        offset[-4:] = adc_max - 120 + np.array([-0.6, 0.3, 2.0, 50.0])
    ev, w, p = _constant_membrane(adc_max, adc_offset=offset, quadrant=quadrant, adc_dev=dev)
    got = kernels.simulate_half(*ev, w, **p)
    want = adc_code(got.v_read, p)
    np.testing.assert_array_equal(got.code_read, want)
    assert got.code_read.max() <= adc_max
    no_dev = kernels.simulate_half(*ev, w, **dict(p, adc_dev=None))
    np.testing.assert_array_equal(
        no_dev.code_read[0], np.clip(np.floor(120 + offset + 0.5), 0, adc_max)
    )
    assert np.any(no_dev.code_read != got.code_read)  # the deviations matter here


def test_zero_deviations_are_the_plain_rounding():
    ev, w, p = _constant_membrane(adc_offset=np.linspace(-3, 3, M), quadrant=np.arange(M) // 16)
    a = kernels.simulate_half(*ev, w, **p)
    b = kernels.simulate_half(*ev, w, **dict(p, adc_dev=np.zeros((4, 255))))
    np.testing.assert_array_equal(a.code_read, b.code_read)
