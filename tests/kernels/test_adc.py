"""The CADC of model.md section 8: codes from per-quadrant thresholds k - 1/2 + adc_dev[q, k-1]
(k = 1..adc_max), the largest code adc_max, against the reference integrator's converter."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import chip_params
from reference.integrator import adc_code

import kernels
from kernels import half

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


def _thresholds_reached(u, q, adc_dev):
    """The definition: the number of thresholds k = 1..adc_max with u - adc_dev[q, k-1] >= k
    (u = x + 1/2), the comparisons of the kernel in NumPy's float64."""
    k = np.arange(1, adc_dev.shape[1] + 1, dtype=np.float64)
    return np.sum(u[:, None] - adc_dev[q] >= k[None, :], axis=1).astype(np.float64)


def _convert(y, zero, slope, quadrant, adc_dev, sigma, sigma_ramp, reach, conv=0):
    """One conversion by the kernel's converter; returns codes, volts and u = x + 1/2 as the
    reference computes it from the converter's own draws."""
    m = y.shape[0]
    col64 = np.zeros((half.N_COL64, m))
    col64[half.D_ADC_ZERO] = zero
    col64[half.D_ADC_SLOPE] = slope
    n_q = adc_dev.shape[0]
    codes, volts, u_buf = np.empty(m), np.empty(m), np.empty(m)
    zc, zq = np.zeros(m, np.float32), np.zeros(n_q, np.float32)
    bits = np.empty(max(m, n_q), np.uint32)
    key = (np.uint64(12345), np.uint64(678))
    half._adc(
        y, col64, sigma, *key, conv, sigma_ramp, *key, quadrant, adc_dev, adc_dev.shape[1],
        reach, codes, volts, 0.6, zc, zq, bits, u_buf,
    )  # fmt: skip
    x = zero + slope * y.astype(np.float64)
    if sigma > 0.0:
        x = x + sigma * zc.astype(np.float64)
    if sigma_ramp > 0.0:
        x = x + sigma_ramp * zq[quadrant].astype(np.float64)
    return codes, volts, x + 0.5


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    adc_max=st.sampled_from([1, 2, 7, 127, 255]),
    spread=st.sampled_from([0.0, 0.3, 0.999, 1.0, 2.5, 4.0, 6.0]),
    noise=st.booleans(),
)
def test_converter_counts_the_thresholds_reached(seed, adc_max, spread, noise):
    """The converter's code is the count of the thresholds reached, by definition, for every
    reach of the deviations (the vectorized count up to ADC_REACH_MAX, the search beyond it):
    ADC values across the whole range and beyond both ends, on thresholds and one ulp either
    side of them."""
    rng = np.random.default_rng(seed)
    n_q = 3
    m = 240
    # strictly increasing thresholds k - 1/2 + dev within the spread (dev_k - dev_{k-1} > -1)
    dev = np.clip(rng.uniform(-spread, spread, (n_q, adc_max)), -spread, spread)
    if adc_max > 1:
        for q in range(n_q):
            for k in range(1, adc_max):
                dev[q, k] = max(dev[q, k], dev[q, k - 1] - 0.9)
    quadrant = rng.integers(0, n_q, m).astype(np.int64)
    # x = zero + y: a third across the range and beyond, the rest on a threshold or 1 ulp beside
    y = np.zeros(m, np.float32)
    zero = rng.uniform(-3.0, adc_max + 3.0, m)
    on = rng.integers(1, adc_max + 1, m)
    thr = on - 0.5 + dev[quadrant, on - 1]
    pick = rng.integers(0, 4, m)
    zero = np.where(pick == 1, thr, zero)
    zero = np.where(pick == 2, np.nextafter(thr, np.inf), zero)
    zero = np.where(pick == 3, np.nextafter(thr, -np.inf), zero)
    reach = int(half._adc_reach(dev))
    assert reach == math.ceil(np.abs(dev).max())
    sigma, sigma_ramp = (0.7, 0.4) if noise else (0.0, 0.0)
    codes, volts, u = _convert(y, zero, 1.0, quadrant, dev, sigma, sigma_ramp, reach)
    np.testing.assert_array_equal(codes, _thresholds_reached(u, quadrant, dev))
    np.testing.assert_array_equal(volts, 0.6 + y.astype(np.float64))
    # the search gives the same codes (and the same draws)
    searched, _, _ = _convert(y, zero, 1.0, quadrant, dev, sigma, sigma_ramp, 99)
    np.testing.assert_array_equal(codes, searched)


def test_converter_reach_is_a_bound():
    """A reach below the deviations' misses thresholds: the reach the kernel passes is what
    makes the count exact. Thresholds k + 1.1 (deviations 1.6, reach 2)."""
    dev = np.full((1, 255), 1.6)
    y = np.zeros(3, np.float32)
    zero = np.array([3.0, 5.3, 200.0])
    quadrant = np.zeros(3, np.int64)
    ok, _, u = _convert(y, zero, 1.0, quadrant, dev, 0.0, 0.0, int(half._adc_reach(dev)))
    np.testing.assert_array_equal(ok, _thresholds_reached(u, quadrant, dev))
    np.testing.assert_array_equal(ok, [1.0, 4.0, 198.0])
    short, _, _ = _convert(y, zero, 1.0, quadrant, dev, 0.0, 0.0, 1)
    np.testing.assert_array_equal(short, [2.0, 4.0, 199.0])
