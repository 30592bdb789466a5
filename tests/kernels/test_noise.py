"""Noise statistics with fixed seeds against their closed forms (one source on at a time)."""

import inspect
import math

import numpy as np
import pytest
from kernel_cases import chip_params

import kernels

M = 32
TAU = 0.32e-6
GM = 0.9e-6


def NO_EVENTS(n_b):
    """Event arrays (CSR) of ``n_b`` samples without events."""
    return (np.zeros(n_b + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


def _params(n_k=1, **over):
    p = chip_params(
        n_k, M, fixed_pattern=False, tau_leak=np.inf, tau_syn=np.full(M, TAU), gm=np.full(M, GM)
    )
    p.update(over)
    return p


def _rel_se_var(n):
    return np.sqrt(2.0 / n)


def test_line_ou_block_means_are_stationary_with_the_exact_variance_and_correlation():
    sigma, n_b = 3e-3, 64
    p = _params(t_read=6e-6, t_baseline=1e-6)
    r = kernels.simulate_half(
        *NO_EVENTS(n_b),
        np.zeros((1, M), np.int8),
        **p,
        sigma_line=sigma,
        noise_seed=5,
        closed_form_prephase=False,
        record_samples=np.arange(n_b),
        record_columns=np.arange(M),
    )
    n_sub = inspect.signature(kernels.half_params).parameters["noise_substeps"].default
    h = n_sub * p["dt"]
    x = h / TAU
    var_mean = sigma**2 * 2 * (x - 1 + np.exp(-x)) / x**2  # stationary variance of a block mean
    cov_lag1 = sigma**2 * (1 - np.exp(-x)) ** 2 / x**2
    for v in (r.traces.v_exc, r.traces.v_inh):
        blocks = v[:, :, 1::n_sub]  # one value per noise block
        early, late = blocks[:, :, :20], blocks[:, :, -20:]
        n = early.size / 4  # effective number of independent values (correlation 0.6-0.9 per block)
        for part in (early, late):
            assert abs(part.var() / var_mean - 1) < 4 * _rel_se_var(n)
            assert abs(part.mean()) < 4 * np.sqrt(var_mean / n)
        lag = np.mean(blocks[:, :, 1:] * blocks[:, :, :-1])
        assert abs(lag / cov_lag1 - 1) < 0.03
    # the line state at t = 0 is drawn from the stationary distribution
    v0 = r.traces.v_exc[:, :, 0]
    assert abs(v0.var() / sigma**2 - 1) < 4 * _rel_se_var(v0.size)


# the noise block length (default 32 steps, 256 ns; before 8, 64 ns) changes the random stream,
# not the statistics: the block draws are exact
BLOCKS = [{}, {"noise_substeps": 8}]


@pytest.mark.parametrize("blocks", BLOCKS, ids=["default-blocks", "8-step-blocks"])
@pytest.mark.parametrize("closed_form", [True, False])
def test_membrane_variance_from_line_noise_matches_linear_theory(closed_form, blocks):
    sigma, n_b, t = 2e-3, 1500, 4e-6
    p = _params(t_read=t, t_baseline=1e-6)
    r = kernels.simulate_half(
        *NO_EVENTS(n_b),
        np.zeros((1, M), np.int8),
        **p,
        sigma_line=sigma,
        noise_seed=6,
        closed_form_prephase=closed_form,
        **blocks,
    )
    # y = g_m / C_m * int (n_exc - n_inh) dt for two independent OU lines; both windows have no
    # pulse edges (with the closed form on, each is drawn in closed form up to its read)
    for t_w, v in ((t, r.v_read), (1e-6, r.v_baseline)):
        y = v - p["v_reset"]
        var = 4 * (GM / p["c_m"]) ** 2 * sigma**2 * TAU * (t_w - TAU * (1 - np.exp(-t_w / TAU)))
        assert abs(y.var() / var - 1) < 4 * _rel_se_var(y.size)
        assert abs(y.mean()) < 4 * np.sqrt(var / y.size)


@pytest.mark.parametrize("blocks", BLOCKS, ids=["default-blocks", "8-step-blocks"])
@pytest.mark.parametrize("closed_form", [True, False])
def test_membrane_random_walk_variance_grows_linearly_with_window(closed_form, blocks):
    psd, n_b = 4e-18, 1500
    var = {}
    for t in (2e-6, 4e-6):
        p = _params(t_read=t, t_baseline=1e-6)
        r = kernels.simulate_half(
            *NO_EVENTS(n_b),
            np.zeros((1, M), np.int8),
            **p,
            ota_noise_psd=psd,
            noise_seed=7,
            closed_form_prephase=closed_form,
            **blocks,
        )
        y = r.v_read - p["v_reset"]
        var[t] = y.var()
        expected = 0.5 * psd * GM * t / p["c_m"] ** 2
        assert abs(var[t] / expected - 1) < 4 * _rel_se_var(y.size)
        y_base = r.v_baseline - p["v_reset"]
        expected = 0.5 * psd * GM * 1e-6 / p["c_m"] ** 2
        assert abs(y_base.var() / expected - 1) < 4 * _rel_se_var(y_base.size)
    assert abs(var[4e-6] / var[2e-6] - 2) < 0.1


def test_jitter_noise_grows_with_weight_magnitude_and_is_common_to_the_row():
    sj, n_b = 0.5e-9, 3000
    p = _params(
        n_k=1, t_read=1e-6 + 30 * TAU, t_baseline=1e-6, drv_gain=np.zeros(1), drv_offset=np.zeros(1)
    )
    w = np.tile(np.array([[4, 16, -4, -16]], np.int8), (1, M // 4))
    ev = (
        np.arange(n_b + 1, dtype=np.int64),
        np.zeros(n_b, np.int32),
        np.full(n_b, 8, np.int32),
        np.full(n_b, 1e-6),
    )
    r = kernels.simulate_half(*ev, w, **p, sigma_jitter=sj, noise_seed=8)
    y = r.v_read - p["v_reset"]
    per_unit = GM * TAU / (p["c_syn"] * p["c_m"]) * p["i_lsb"] * sj  # V per |w| per sigma
    std = y.std(axis=0)
    expected = per_unit * np.abs(w[0])
    assert np.all(np.abs(std / expected - 1) < 4 * np.sqrt(0.5 / n_b))
    # one jitter draw per event and row: all columns move together
    assert np.corrcoef(y[:, 0], y[:, 1])[0, 1] > 0.999
    assert np.corrcoef(y[:, 0], y[:, 2])[0, 1] < -0.999


def test_adc_noise_on_a_constant_input():
    sa, n_b = 0.7, 2000
    # fractional ADC offsets spread evenly: the rounding phase is uniform over the columns
    p = _params(t_read=2e-6, t_baseline=1e-6, adc_offset=np.arange(M) / M)
    r = kernels.simulate_half(
        *NO_EVENTS(n_b), np.zeros((1, M), np.int8), **p, sigma_adc=sa, noise_seed=9
    )
    code = r.code_read.astype(float)
    var = code.var(axis=0).mean()
    n = code.size
    assert abs(var / (sa**2 + 1 / 12) - 1) < 4 * _rel_se_var(n) + 0.01
    # two independent conversions per vector
    assert abs(r.output.var(axis=0).mean() / (2 * (sa**2 + 1 / 12)) - 1) < 0.03
    cr = r.code_read - r.code_read.mean(axis=0)
    cb = r.code_baseline - r.code_baseline.mean(axis=0)
    assert abs(np.corrcoef(cr.ravel(), cb.ravel())[0, 1]) < 0.02


def test_noise_switches():
    p = _params(t_read=2e-6, t_baseline=1e-6)
    args = (*NO_EVENTS(50), np.zeros((1, M), np.int8))
    full = dict(sigma_line=2e-3, ota_noise_psd=4e-18, sigma_jitter=0.2e-9, sigma_adc=0.7)
    quiet = kernels.simulate_half(*args, **p)
    off = kernels.simulate_half(*args, **p, **full, noise=False)
    on = kernels.simulate_half(*args, **p, **full)
    np.testing.assert_array_equal(quiet.v_read, off.v_read)
    np.testing.assert_array_equal(quiet.code_read, off.code_read)
    assert np.all(quiet.v_read == quiet.v_read[0, 0])  # no noise: identical columns and samples
    assert on.v_read.std() > 0 and np.any(on.code_read != quiet.code_read)


def test_bias_noise_grows_with_weight_magnitude_and_is_common_to_a_quadrant():
    """One small event per vector: every column's charge is scaled by its bias factor
    g = 1 + sigma_bias z_c + sigma_bias_common z_q, so std(y_c) = |E y_c| sqrt(sb^2 + sq^2), and
    columns of one quadrant correlate by sq^2 / (sb^2 + sq^2)."""
    sb, sq, n_b = 0.04, 0.03, 3000
    p = _params(
        n_k=1, t_read=1e-6 + 30 * TAU, t_baseline=1e-6, drv_gain=np.zeros(1), drv_offset=np.zeros(1)
    )
    w = np.tile(np.array([[4, 16, -4, -16]], np.int8), (1, M // 4))
    quadrant = np.arange(M) // 8
    ev = (
        np.arange(n_b + 1, dtype=np.int64),
        np.zeros(n_b, np.int32),
        np.full(n_b, 8, np.int32),
        np.full(n_b, 1e-6),
    )
    r = kernels.simulate_half(
        *ev, w, **p, sigma_bias=sb, sigma_bias_common=sq, quadrant=quadrant, noise_seed=12
    )
    quiet = kernels.simulate_half(*ev, w, **p, quadrant=quadrant)
    y = r.v_read - p["v_reset"]
    y0 = quiet.v_read[0] - p["v_reset"]
    ratio = y.std(axis=0) / np.abs(y0)
    assert np.all(np.abs(ratio / math.hypot(sb, sq) - 1) < 4 * np.sqrt(0.5 / n_b))
    np.testing.assert_allclose(y.mean(axis=0), y0, rtol=4 * math.hypot(sb, sq) / np.sqrt(n_b))
    g = y / y0  # the factor of every column and vector
    c = np.corrcoef(g.T)
    same = quadrant[:, None] == quadrant[None, :]
    off_diag = ~np.eye(M, dtype=bool)
    rho = sq**2 / (sb**2 + sq**2)
    assert abs(c[same & off_diag].mean() - rho) < 0.03
    assert abs(c[~same].mean()) < 0.01
    # the baseline window has no synaptic current: untouched
    np.testing.assert_array_equal(r.v_baseline, quiet.v_baseline)


def test_gm_noise_is_independent_per_path_so_balanced_columns_get_noisier_with_the_weight():
    """One excitatory and one inhibitory event of the same size per vector (a balanced column:
    mean output 0). Each path's charge is scaled by its own factor 1 + sigma_gm z_s, so
    std(y) = sigma_gm sqrt(y_e^2 + y_i^2) = sqrt(2) sigma_gm |y_e|: it grows with the weight
    although the mean stays 0. A factor common to both paths (sigma_bias) cancels there."""
    sg, n_b = 0.03, 3000
    p = _params(
        n_k=2, t_read=1e-6 + 30 * TAU, t_baseline=1e-6, drv_gain=np.zeros(2), drv_offset=np.zeros(2)
    )
    w = np.tile(np.array([[4, 16, 32, 63], [-4, -16, -32, -63]], np.int8), (1, M // 4))
    ev = (
        np.arange(0, 2 * n_b + 1, 2, dtype=np.int64),
        np.tile(np.array([0, 1], np.int32), n_b),
        np.full(2 * n_b, 8, np.int32),
        np.full(2 * n_b, 1e-6),
    )
    one = (np.arange(n_b + 1, dtype=np.int64), np.zeros(n_b, np.int32), np.full(n_b, 8, np.int32))
    p1 = _params(
        n_k=1, t_read=1e-6 + 30 * TAU, t_baseline=1e-6, drv_gain=np.zeros(1), drv_offset=np.zeros(1)
    )
    exc = kernels.simulate_half(*one, np.full(n_b, 1e-6), w[:1], **p1)
    y_e = exc.v_read[0] - p["v_reset"]  # the excitatory path alone, noise-free
    r = kernels.simulate_half(*ev, w, **p, sigma_gm=sg, noise_seed=14)
    y = r.v_read - p["v_reset"]
    assert np.all(np.abs(y.mean(axis=0)) < 4 * sg * np.abs(y_e) * np.sqrt(2 / n_b) + 1e-7)
    ratio = y.std(axis=0) / (np.sqrt(2) * sg * np.abs(y_e))
    assert np.all(np.abs(ratio - 1) < 4 * np.sqrt(0.5 / n_b) + 0.01), ratio
    common = kernels.simulate_half(*ev, w, **p, sigma_bias=sg, noise_seed=14)
    assert np.all(np.abs(common.v_read - p["v_reset"]).max(axis=0) < 0.02 * sg * np.abs(y_e))


def test_ramp_noise_is_common_to_a_quadrant_and_independent_per_conversion():
    sr, n_b = 2.0, 2000
    quadrant = np.arange(M) // 8
    p = _params(t_read=2e-6, t_baseline=1e-6, adc_offset=np.arange(M) / M)
    r = kernels.simulate_half(
        *NO_EVENTS(n_b),
        np.zeros((1, M), np.int8),
        **p,
        sigma_ramp=sr,
        quadrant=quadrant,
        noise_seed=13,
    )
    code = r.code_read.astype(float)
    assert abs(code.var(axis=0).mean() / (sr**2 + 1 / 12) - 1) < 0.05
    c = np.corrcoef(code.T)
    same = quadrant[:, None] == quadrant[None, :]
    off_diag = ~np.eye(M, dtype=bool)
    assert c[same & off_diag].min() > 0.9
    assert abs(c[~same].mean()) < 0.02 and np.abs(c[~same]).max() < 0.1
    # read and baseline are two conversions with independent ramp noise
    cr = r.code_read - r.code_read.mean(axis=0)
    cb = r.code_baseline - r.code_baseline.mean(axis=0)
    assert abs(np.corrcoef(cr.ravel(), cb.ravel())[0, 1]) < 0.02
