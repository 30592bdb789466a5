"""Flicker (1/f) noise of the OTAs (model.md section 6): the sum-of-OU generator against its
target PSD K_f / f, its exact block statistics for any block length (the last, shorter flicker
block of a window), the membrane variance it causes, and the correlation of the read and
baseline windows through its slow components."""

import math

import numpy as np
import pytest
from kernel_cases import chip_params

import kernels
from kernels import api, half

TAU_MIN, TAU_MAX, N_COMP = 1e-6, 1e-3, 5
H_F = 4 * 32 * 8e-9  # default flicker block: 4 noise blocks of 32 steps of 8 ns (s)


def _series(psd, h, n_blocks, n_cols, sample=0, window=0):
    """Block means (V) [n_blocks, n_cols] of the kernel's flicker generator."""
    taus = api.flicker_taus(TAU_MIN, TAU_MAX, N_COMP)
    sigma = api.flicker_sigma(psd, TAU_MIN, TAU_MAX, N_COMP)
    coef = api.flicker_block_coefficients(taus, sigma, h)
    return half.flicker_series(11, 2, sample, window, n_blocks, sigma, coef, n_cols)


def _welch(x, fs, seg):
    """One-sided PSD of the columns of x [N, C] (Hann window, half-overlapping segments)."""
    win = np.hanning(seg)
    scale = 2.0 / (fs * np.sum(win**2))
    acc = np.zeros(seg // 2 + 1)
    n = 0
    for i in range(0, x.shape[0] - seg + 1, seg // 2):
        part = x[i : i + seg] - x[i : i + seg].mean(axis=0)
        acc += np.sum(np.abs(np.fft.rfft(part * win[:, None], axis=0)) ** 2, axis=1)
        n += x.shape[1]
    return np.fft.rfftfreq(seg, 1.0 / fs), acc * scale / n


def test_generator_psd_is_one_over_f_in_the_band():
    psd_1mhz = 1e-12  # V^2/Hz at 1 MHz
    x = _series(psd_1mhz, H_F, 2**18, 8)
    f, s = _welch(x, 1.0 / H_F, 2**14)
    band = (f >= 1e3) & (f <= 3e4)  # well inside 1/(2 pi tau_max) .. 1/(2 pi tau_min)
    slope = np.polyfit(np.log(f[band]), np.log(s[band]), 1)[0]
    assert abs(slope + 1.0) <= 0.15
    k_f = psd_1mhz * 1e6
    mid = (f >= 4e3) & (f <= 8e3)
    level = np.mean(s[mid] * f[mid]) / k_f  # S(f) f / K_f, 1 for an exact 1/f PSD
    assert abs(level - 1.0) <= 0.2


def _mean_var(sigma, taus, h):
    """Stationary variance of the mean over a block of length h of the sum of K OU processes."""
    x = h / taus
    return float(np.sum(sigma**2 * 2.0 * (x - 1.0 + np.exp(-x)) / x**2))


def test_block_means_have_the_exact_variance_for_any_block_length():
    """First and second block from a stationary start, over many independent columns: the
    variance of each block mean and of their average (which checks the state carried from one
    block to the next) match the closed forms, also for a short block (the last flicker block)."""
    psd = 1e-12
    taus = api.flicker_taus(TAU_MIN, TAU_MAX, N_COMP)
    sigma = api.flicker_sigma(psd, TAU_MIN, TAU_MAX, N_COMP)
    n = 40000
    for h in (H_F, 0.3e-6, 37e-9):
        x = _series(psd, h, 2, n)
        se = 4 * math.sqrt(2.0 / n)
        for j in range(2):
            assert abs(x[j].var() / _mean_var(sigma, taus, h) - 1) < se
        pair = 0.5 * (x[0] + x[1])
        assert abs(pair.var() / _mean_var(sigma, taus, 2 * h) - 1) < se
        assert abs(x.mean()) < 4 * math.sqrt(_mean_var(sigma, taus, h) / n)


M = 32
GM = 0.9e-6


def _no_events(n_b):
    return (np.zeros(n_b + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


def _params(**over):
    p = chip_params(1, M, fixed_pattern=False, tau_leak=np.inf, gm=np.full(M, GM))
    p.update(over)
    return p


def _membrane_var(psd, t, c_m):
    """Variance (V^2) of y = (g_m / C_m) int_0^t (v_f,exc - v_f,inh) ds, two independent
    stationary flicker processes (the OTA linearized)."""
    taus = api.flicker_taus(TAU_MIN, TAU_MAX, N_COMP)
    sigma = api.flicker_sigma(psd, TAU_MIN, TAU_MAX, N_COMP)
    x = t / taus
    one = np.sum(sigma**2 * 2 * taus**2 * (x - 1 + np.exp(-x)))
    return 2 * (GM / c_m) ** 2 * one


@pytest.mark.parametrize("closed_form", [True, False])
@pytest.mark.parametrize("t", [5e-6, 4.096e-6, 4.2e-6, 0.5e-6])
def test_membrane_variance_and_read_baseline_correlation(closed_form, t):
    """Windows ending on a flicker-block boundary (4.096 us), inside one (a last, shorter flicker
    block), and shorter than one flicker block; the closed-form prephase draws the flicker up to
    the start of the stepped part in closed form, which then starts with a partial block."""
    psd, n_b = 1e-12, 300
    p = _params(t_read=t, t_baseline=t, closed_form_prephase=closed_form)
    args = (*_no_events(n_b), np.zeros((1, M), np.int8))
    near = kernels.simulate_half(*args, **p, flicker_psd_1mhz=psd, noise_seed=3, t_gap=20e-6)
    far = kernels.simulate_half(*args, **p, flicker_psd_1mhz=psd, noise_seed=3, t_gap=10.0)
    var = _membrane_var(psd, t, p["c_m"])
    for r in (near, far):
        for v in (r.v_read, r.v_baseline):
            y = v - p["v_reset"]
            assert abs(y.var() / var - 1) < 4 * math.sqrt(2.0 / y.size)
    # 20 us apart, the slow components are common to both windows: their covariance against its
    # closed form (half the variance at 0.5 us, 0.6 at 5 us), with the flicker's start drawn on
    # its own (stepping) or folded into the prephase's joint draw (closed form)
    y_r = near.v_read.ravel() - near.v_read.mean()
    y_b = near.v_baseline.ravel() - near.v_baseline.mean()
    want = _window_cov(psd, t, 20e-6, p["c_m"])
    assert 0.45 * var < want < 0.65 * var
    se = math.sqrt((var * var + want * want) / y_r.size)
    assert abs(np.mean(y_r * y_b) - want) < 4 * se
    # 10 s apart, every component has decorrelated: the variances add
    d_far = (far.v_read - far.v_baseline).var()
    assert abs(d_far / (far.v_read.var() + far.v_baseline.var()) - 1) < 0.15


def _window_cov(psd, t, gap, c_m):
    """Covariance (V^2) of the membrane deviations of two windows of length t whose starts are
    ``gap`` >= t apart, each y = (g_m / C_m) int (v_f,exc - v_f,inh) over its window (the OTA
    linearized): per component sigma^2 tau^2 exp(-gap / tau) (exp(t / tau) - 1)(1 - exp(-t / tau))."""
    taus = api.flicker_taus(TAU_MIN, TAU_MAX, N_COMP)
    sigma = api.flicker_sigma(psd, TAU_MIN, TAU_MAX, N_COMP)
    x = t / taus
    one = np.sum(sigma**2 * taus**2 * np.exp(-gap / taus) * np.expm1(x) * -np.expm1(-x))
    return 2 * (GM / c_m) ** 2 * one


def test_flicker_is_off_without_noise_and_keyed_by_the_sample():
    p = _params(t_read=3e-6, t_baseline=2e-6)
    args = (*_no_events(6), np.zeros((1, M), np.int8))
    quiet = kernels.simulate_half(*args, **p)
    off = kernels.simulate_half(*args, **p, flicker_psd_1mhz=1e-12, noise=False)
    np.testing.assert_array_equal(quiet.v_read, off.v_read)
    on = kernels.simulate_half(*args, **p, flicker_psd_1mhz=1e-12)
    assert np.all(on.v_read != quiet.v_read)
    swapped = kernels.simulate_half(
        *args, **p, flicker_psd_1mhz=1e-12, sample_index=np.arange(6)[::-1].copy()
    )
    np.testing.assert_array_equal(on.v_read, swapped.v_read[::-1])
