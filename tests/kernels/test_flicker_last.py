"""The read window's last flicker block (model.md section 6): its end values are never used, so
the kernel draws the block mean alone, one normal per column and OTA
(kernels.half._flicker_last_mean), from its exact law given the block's start state, instead of
the K + 1 normals of the joint block draw (kernels.half._flicker_block). Checked against that
block draw and against the closed form of the OU integral's conditional mean and variance."""

import math

import numpy as np
import pytest

from kernels import api, half, rng

TAU_MIN, TAU_MAX, N_COMP = 1e-6, 1e-3, 5
H_F = 4 * 32 * 8e-9  # the default flicker block (s)
N_COLS = 2**16  # columns per call (counters 64 c + 32 path + k stay far below 2**32)
N_KEYS = 8  # 524,288 draws per estimate: the variance's relative standard error is 0.2 %
SIGMA = api.flicker_sigma(1e-12, TAU_MIN, TAU_MAX, N_COMP)
TAUS = api.flicker_taus(TAU_MIN, TAU_MAX, N_COMP)
# a fixed start state, away from 0 in every component (normalized units, as in the kernel)
START = SIGMA * np.array([1.3, -0.7, 2.0, -1.5, 0.4])


def _coefficients(h):
    """The block coefficients of length h as the kernel takes them: the wrapper's table for a
    full block, the kernel's own for a partial block (the first of a stepped part)."""
    if h == H_F:
        return api.flicker_block_coefficients(TAUS, SIGMA, h)
    coef = np.empty((half.N_FLK, N_COMP), np.float64)
    flk = np.zeros((half.F_LAST + 1, half.N_FLK, N_COMP), np.float64)
    flk[half.F_TAU, 0] = TAUS
    flk[half.F_TAU, 1] = SIGMA
    half._flicker_coefficients(flk, h, coef)
    return coef


def _exact(h):
    """Mean and variance of the block mean (1/h) int_0^h sum_k s_k(t) dt given s_k(0) = START:
    per OU component E = s0 tau (1 - a) / h and Var = sigma^2 tau (2h - 2 tau (1 - a)
    - tau (1 - a)^2) / h^2, a = exp(-h / tau)."""
    one_a = -np.expm1(-h / TAUS)
    mean = float(np.sum(START * TAUS * one_a)) / h
    var = float(np.sum(SIGMA**2 * TAUS * (2 * h - 2 * TAUS * one_a - TAUS * one_a**2))) / h**2
    return mean, var


def _means(draw, h, path, sample):
    """N_KEYS * N_COLS block means from the start state START, each key a flicker block of the
    given sample (the kernel's keys); the start state must be left as it was by the one-draw
    mean (it is advanced by the joint block draw, so it is set again for each key)."""
    coef = _coefficients(h)
    fs = np.empty((N_COMP, N_COLS), np.float64)
    zb = np.empty((N_COMP + 1, N_COLS), np.float32)
    bits = np.empty(N_COLS, np.uint32)
    mean = np.empty(N_COLS, np.float64)
    out = np.empty((N_KEYS, N_COLS), np.float64)
    f_lo, f_hi = rng.make_key(5, 1, sample, 16 * half.WINDOW_READ + rng.PURPOSE_FLICKER)
    for j in range(N_KEYS):
        fs[:] = START[:, None]
        b_lo, b_hi = rng.mix_key(f_lo, f_hi, j)
        draw(b_lo, b_hi, fs, path, coef, mean, zb, bits)
        if draw is half._flicker_last_mean:
            assert np.array_equal(fs, np.broadcast_to(START[:, None], fs.shape))
        out[j] = mean
    return out.ravel()


@pytest.mark.parametrize("path", [0, 1])
@pytest.mark.parametrize("h", [H_F, 0.3e-6, 37e-9])
def test_one_draw_mean_has_the_law_of_the_block_draw(h, path):
    """Given a fixed start state, the one-draw block mean and the K + 1-draw one (independent
    keys) agree in mean and variance within 5 standard errors of the estimators, and both match
    the closed form: the variance sum_k M1_k^2 + M2^2 to 1 %. Full, short (the last block of a
    window) and very short (a first, partial block) lengths, both OTA paths."""
    mu, var = _exact(h)
    coef = _coefficients(h)
    # the one-draw variance is the block draw's: the coefficients against the closed form
    var_coef = float(np.sum(coef[half.F_M1] ** 2) + coef[half.F_M2, 0] ** 2)
    assert abs(var_coef / var - 1) < 1e-9
    assert abs(float(np.sum(coef[half.F_M0] * START)) - mu) < 1e-9 * math.sqrt(var)
    one = _means(half._flicker_last_mean, h, path, sample=3)
    block = _means(half._flicker_block, h, path, sample=4)
    n = one.size
    se_mean = math.sqrt(var / n)
    se_var = math.sqrt(2.0 / n)  # relative standard error of a normal sample's variance
    for x in (one, block):
        assert abs(x.mean() - mu) < 5 * se_mean
        assert abs(x.var() / var - 1) < 5 * se_var
    assert abs(one.var() / var - 1) < 0.01
    assert abs(one.mean() - block.mean()) < 5 * math.sqrt(2.0) * se_mean
    assert abs(one.var() / block.var() - 1) < 5 * math.sqrt(2.0) * se_var
    # normal: the fourth standardized moment is 3 (its estimator's standard error sqrt(96 / n))
    kurt = np.mean((one - mu) ** 4) / var**2
    assert abs(kurt - 3.0) < 5 * math.sqrt(96.0 / n)


@pytest.mark.parametrize("path", [0, 1])
def test_one_draw_mean_uses_the_residual_counter(path):
    """The one normal of column c has counter 64 c + 32 path + K (the combined residual's of the
    block draw it replaces): mean = sum_k M0_k s_k + sqrt(sum_k M1_k^2 + M2^2) z."""
    coef = _coefficients(H_F)
    n_cols = 257  # odd: the last value is the first of a pair
    fs = np.repeat(START[:, None], n_cols, axis=1)
    zb = np.empty((N_COMP + 1, n_cols), np.float32)
    bits = np.empty(n_cols, np.uint32)
    mean = np.empty(n_cols, np.float64)
    b_lo, b_hi = rng.mix_key(*rng.make_key(2, 0, 9, rng.PURPOSE_FLICKER), 6)
    half._flicker_last_mean(b_lo, b_hi, fs, path, coef, mean, zb, bits)
    z = np.empty(n_cols, np.float32)
    rng.fill_normals(b_lo, b_hi, 32 * path + N_COMP, 64, z, bits)
    sd = math.sqrt(float(np.sum(coef[half.F_M1] ** 2) + coef[half.F_M2, 0] ** 2))
    want = float(np.sum(coef[half.F_M0] * START)) + sd * z.astype(np.float64)
    np.testing.assert_allclose(mean, want, rtol=0, atol=1e-12 * sd)
    # and not the other counters of the block draw
    rng.fill_normals(b_lo, b_hi, 32 * path, 64, z, bits)
    assert not np.allclose(mean, float(np.sum(coef[half.F_M0] * START)) + sd * z)
