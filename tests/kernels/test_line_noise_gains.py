"""The line noise of the stepped part in innovations form (model.md section 5): one normal per
line and noise block (kernels.half.line_noise_gains) instead of the joint draw of the block's
end state and mean. Checked against the closed form of the covariance of an OU process's block
means (a fixed start, as after the prephase; stationary, as the kernel's traces see it)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_cases import chip_params

import kernels
from kernels import api, half

SIGMA = 0.01  # stationary std of the normalized line noise


def _intervals(h, n_full, h_last):
    """(start, end) of ``n_full`` blocks of length h, then one of length h_last (s)."""
    starts = np.concatenate([np.arange(n_full) * h, [n_full * h]])
    ends = np.concatenate([np.arange(1, n_full + 1) * h, [n_full * h + h_last]])
    return starts, ends


def _exact_cov(tau, starts, ends, known_start):
    """Covariance of the block means (1/h_j) int n(t) dt over [starts_j, ends_j] of an OU
    process n (std SIGMA, time constant tau), with n(0) fixed (``known_start``) or stationary.
    Stationary: Cov(n(s), n(u)) = SIGMA^2 exp(-|s - u| / tau), whose double integral over one
    block of length h is 2 tau (h - tau (1 - exp(-h/tau))) and over two disjoint blocks
    tau^2 (1 - exp(-h_1/tau)) (1 - exp(-h_2/tau)) exp(-gap/tau); a fixed start subtracts
    SIGMA^2 exp(-(s + u) / tau), whose double integral factorizes."""
    n = starts.size
    lens = ends - starts
    cov = np.empty((n, n))
    for i in range(n):
        for k in range(n):
            if i == k:
                h = lens[i]
                c = 2 * tau * (h - tau * -math.expm1(-h / tau))
            else:
                lo, hi = (i, k) if i < k else (k, i)
                gap = starts[hi] - ends[lo]
                c = (
                    tau**2
                    * -math.expm1(-lens[lo] / tau)
                    * -math.expm1(-lens[hi] / tau)
                    * math.exp(-gap / tau)
                )
            if known_start:
                c -= (
                    tau**2
                    * (math.exp(-starts[i] / tau) - math.exp(-ends[i] / tau))
                    * (math.exp(-starts[k] / tau) - math.exp(-ends[k] / tau))
                )
            cov[i, k] = SIGMA**2 * c / (lens[i] * lens[k])
    return cov


def _col32(tau, h, m_cols=3):
    """A column table with the OU rows of blocks of length h (both lines: tau, 2 tau, ...)."""
    t = np.zeros((half.N_COL32, m_cols), np.float64)
    taus = tau * np.arange(1, m_cols + 1)
    t[half.R_OU_A_E : half.R_OU_A_E + 5] = api._ou_block(taus, SIGMA, h)
    t[half.R_OU_A_I : half.R_OU_A_I + 5] = api._ou_block(taus / 2, SIGMA, h)
    return t.astype(np.float32), taus


def _implied_cov(col32, lng, last, c, line):
    """The covariance of the block means that the kernel's recursion generates for column c
    (line 0: excitatory, 1: inhibitory), as the matrix L L^T of their weights on the normals:
    m_j = M0 n^_j + SD_j z_j, n^_(j+1) = A n^_j + G_j z_j (n^_0 = 0: a known start), the last
    block with its own M0, M1, M2 (``last``, five R_OU rows) and SD from P_j; ``lng`` has a
    row per block (the last one's for its P_j)."""
    r_ou = half.R_OU_A_E if line == 0 else half.R_OU_A_I
    r_l = half.L_SD_E if line == 0 else half.L_SD_I
    a, m0 = (np.float64(col32[r_ou + k, c]) for k in (0, 2))
    n_blocks = lng.shape[0]
    weights = np.zeros((n_blocks, n_blocks))
    state = np.zeros(n_blocks)  # n^ as weights on the normals
    for j in range(n_blocks):
        row = lng[j].astype(np.float64)
        if j == n_blocks - 1:
            lm0, lm1, lm2 = (np.float64(last[k, c]) for k in (2, 3, 4))
            weights[j] = lm0 * state
            weights[j, j] = math.sqrt(lm0**2 * row[r_l + 2, c] + lm1**2 + lm2**2)
            break
        weights[j] = m0 * state
        weights[j, j] = row[r_l, c]
        state = a * state
        state[j] += row[r_l + 1, c]
    return weights @ weights.T


@settings(max_examples=60, deadline=None)
@given(
    tau=st.floats(0.05e-6, 50e-6),
    h=st.floats(16e-9, 2e-6),
    n_full=st.integers(0, 40),
    frac=st.floats(0.01, 1.0),
)
def test_the_innovations_generate_the_exact_covariance_of_the_block_means(tau, h, n_full, frac):
    """Over the whole range of block lengths per time constant (h / tau from 1e-4 to 80): the
    recursion's covariance of n_full full block means and a last, shorter one equals the closed
    form given the start state, to float32 precision (relative to the stationary variance)."""
    col32, taus = _col32(tau, h)
    h_last = frac * h
    last = np.zeros((half.N_COL32, col32.shape[1]), np.float64)
    last[half.R_OU_A_E : half.R_OU_A_E + 5] = api._ou_block(taus, SIGMA, h_last)
    last[half.R_OU_A_I : half.R_OU_A_I + 5] = api._ou_block(taus / 2, SIGMA, h_last)
    last = last.astype(np.float32)
    lng = half.line_noise_gains(col32, n_full + 1)
    assert 1 <= lng.shape[0] <= n_full + 1
    full = np.concatenate([lng, np.repeat(lng[-1:], n_full + 1 - lng.shape[0], axis=0)])
    starts, ends = _intervals(h, n_full, h_last)
    for c in range(col32.shape[1]):
        for line, t_c in ((0, taus[c]), (1, taus[c] / 2)):
            r_ou = half.R_OU_A_E if line == 0 else half.R_OU_A_I
            got = _implied_cov(col32, full, last[r_ou : r_ou + 5], c, line)
            want = _exact_cov(t_c, starts, ends, known_start=True)
            assert np.abs(got - want).max() < 2e-5 * SIGMA**2, (c, line)


def _riccati(col32, r_ou, n):
    """The recursion of SD_j, G_j and P_j written out in NumPy, float64 [n, 3, M]."""
    a, s1, m0, m1, m2 = (col32[r_ou + k].astype(np.float64) for k in range(5))
    p = np.zeros_like(a)
    out = np.empty((n, 3, a.size))
    for j in range(n):
        sd = np.sqrt(m0 * m0 * p + m1 * m1 + m2 * m2)
        g = (a * m0 * p + s1 * m1) / sd
        out[j] = sd, g, p
        p = np.maximum(a * a * p + s1 * s1 - g * g, 0.0)
    return out


def test_the_gains_table_ends_where_its_rows_stop_changing():
    """The table holds the recursion's rows up to the first row equal to the one before it (in
    float32); the recursion's rows beyond it equal its last row to float32 precision; the
    variances P_j rise monotonically from 0 to the fixed point of the Riccati recursion."""
    col32, _ = _col32(0.32e-6, 256e-9)
    lng = half.line_noise_gains(col32, 10_000)
    n = lng.shape[0]
    assert 2 <= n < 60
    for r_ou, r_l in ((half.R_OU_A_E, half.L_SD_E), (half.R_OU_A_I, half.L_SD_I)):
        ref = _riccati(col32, r_ou, n + 50)
        np.testing.assert_allclose(lng[:, r_l : r_l + 3], ref[:n], rtol=2.4e-7, atol=1e-30)
        np.testing.assert_allclose(ref[n:], np.repeat(ref[n - 1 : n], 50, 0), rtol=2.4e-7)
        p = lng[:, r_l + 2].astype(np.float64)
        assert p[0].max() == 0.0
        assert np.all(np.diff(p, axis=0) >= 0)
        # the fixed point: P = A^2 P + S1^2 - (A M0 P + S1 M1)^2 / (M0^2 P + M1^2 + M2^2)
        a, s1, m0, m1, m2 = (col32[r_ou + k].astype(np.float64) for k in range(5))
        p = p[-1]
        fixed = (
            a * a * p + s1 * s1 - (a * m0 * p + s1 * m1) ** 2 / (m0 * m0 * p + m1 * m1 + m2 * m2)
        )
        np.testing.assert_allclose(fixed, p, rtol=1e-6)


@pytest.mark.parametrize("n_blk", [0, 1, 2])
def test_the_gains_table_has_a_row_for_any_window(n_blk):
    """A window of zero or one block still gets a row (the first block: P = 0)."""
    col32, _ = _col32(0.32e-6, 256e-9)
    lng = half.line_noise_gains(col32, n_blk)
    assert lng.shape[0] == max(n_blk, 1)
    assert lng[0, half.L_P_E].max() == 0.0
    np.testing.assert_allclose(
        lng[0, half.L_SD_E],
        np.hypot(col32[half.R_OU_M1_E], col32[half.R_OU_M2_E]),
        rtol=1e-6,
    )


@pytest.mark.parametrize("late", [False, True], ids=["stepped-from-t0", "stepped-from-block-5"])
def test_the_kernel_draws_block_means_with_the_stationary_covariance(late):
    """Through the kernel: with the line noise alone, the recorded block means of 16,384 series
    have the stationary covariance of the closed form across the stepped part's first blocks
    and the window's last, shorter one (every entry within 5 standard errors). Stepped from
    t = 0 (no prephase; the line noise starts stationary), and after a closed-form prephase of
    5 blocks (one event of weight 0 in block 5: the stepped part starts there, with the state
    the prephase drew, so its gains count blocks from there)."""
    m, n_b, dt, n_sub = 32, 512, 32e-9, 8
    t_read = 13 * dt * n_sub + 3 * dt + 0.5 * dt  # 13 full blocks, a last one of 3.5 steps
    p = chip_params(1, m, fixed_pattern=False, tau_leak=np.inf, tau_syn=np.full(m, 0.32e-6), dt=dt)
    p.update(t_read=t_read, t_baseline=1e-6)
    sigma = 3e-3
    first = 5 if late else 0
    if late:
        t_ev = first * n_sub * dt + 1.3 * dt
        events = (
            np.arange(n_b + 1, dtype=np.int64),
            np.zeros(n_b, np.int32),
            np.ones(n_b, np.int32),
            np.full(n_b, t_ev),
        )
    else:
        events = (
            np.zeros(n_b + 1, np.int64),
            np.zeros(0, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
    r = kernels.simulate_half(
        *events,
        np.zeros((1, m), np.int8),
        **p,
        sigma_line=sigma,
        noise_seed=11,
        closed_form_prephase=late,
        noise_substeps=n_sub,
        record_samples=np.arange(n_b),
        record_columns=np.arange(m),
    )
    # the stepped part starts at block `first` (before it, no trace points but the prephase's)
    assert np.isnan(r.traces.v_exc[:, :, 1 : first * n_sub]).all()
    assert np.isfinite(r.traces.v_exc[:, :, first * n_sub + 1 :]).all()
    blocks = [first, first + 1, first + 2, first + 5, 13]
    lens = np.array([n_sub * dt] * 4 + [t_read - 13 * n_sub * dt])
    starts = np.array(blocks) * n_sub * dt
    want = _exact_cov(0.32e-6, starts, starts + lens, known_start=False) * (sigma / SIGMA) ** 2
    for v in (r.traces.v_exc, r.traces.v_inh):
        x = v[:, :, 1 + np.array(blocks) * n_sub].reshape(-1, len(blocks))  # the block means
        got = x.T @ x / x.shape[0]
        # standard error of a product moment of jointly normal values: sqrt((s_ii s_kk + s_ik^2) / n)
        d = np.diag(want)
        se = np.sqrt((np.outer(d, d) + want**2) / x.shape[0])
        assert np.all(np.abs(got - want) < 5 * se), np.abs(got - want) / se
