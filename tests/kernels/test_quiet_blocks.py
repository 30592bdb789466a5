"""The quiet-block closed form (kernels.half._quiet_block): a full noise block without pulses,
summed in closed form instead of stepped, against the explicit steps it replaces (float64,
numpy.tanh), its rejections, and the kernel with it against the reference integrator."""

import math

import numpy as np
import pytest
from kernel_cases import chip_params, reference_case, with_new_effects
from reference.integrator import simulate_half_reference

import kernels
from kernels import half as h

M = 64


def _half(**over):
    """A bss2-like half: a leak per column, separate g_m and tau per path (every row used)."""
    rng = np.random.default_rng(5)
    p = chip_params(4, M, seed=2, **over)
    p["tau_leak"] = rng.uniform(30e-6, 500e-6, M)
    p["gm_inh"] = p["gm"] * (1 + 0.05 * rng.standard_normal(M))
    p["tau_syn_inh"] = p["tau_syn"] * (1 + 0.05 * rng.standard_normal(M))
    w = rng.integers(-63, 64, (4, M)).astype(np.int8)
    keep = ("t_read", "t_baseline")
    return kernels.half_params(w, **{k: v for k, v in p.items() if k not in keep})


def _smoothstep(headroom, width):
    s = np.clip(headroom / width, 0.0, 1.0)
    return s * s * (3 - 2 * s)


def _stepped(ve, vi, y, xe, xi, col32, n_sub, x_max, width=None):
    """The explicit steps the closed form sums (float64, exact tanh; f = 1, or the output
    compliance with ``width``)."""
    t = col32.astype(np.float64)
    ve = ve.astype(np.float64)
    vi = vi.astype(np.float64)
    y = y.astype(np.float64)
    r_e, r_i = t[h.C_RE], t[h.C_RI]
    for _ in range(n_sub):
        me = np.minimum(t[h.R_MU_E] * ve, x_max)
        mi = np.minimum(t[h.R_MU_I] * vi, x_max)
        ve = np.minimum(t[h.R_A_E] * ve, x_max)
        vi = np.minimum(t[h.R_A_I] * vi, x_max)
        f_up = f_dn = 1.0
        if width is not None:
            f_up = _smoothstep(t[h.C_YHI] - y, width)
            f_dn = _smoothstep(y - t[h.C_YLO], width)
        drive = r_e * f_up * np.tanh(me + xe) - r_i * f_dn * np.tanh(mi + xi)
        y = y + t[h.R_KI] * drive + t[h.R_OFF] - t[h.R_LDT] * y
    return ve, vi, y


def _state(prm, m_scale, seed):
    rng = np.random.default_rng(seed)
    mu_e = prm.col32[h.R_MU_E]
    mu_i = prm.col32[h.R_MU_I]
    ve = (rng.uniform(0, m_scale, M) / mu_e).astype(np.float32)
    vi = (rng.uniform(0, m_scale, M) / mu_i).astype(np.float32)
    y = rng.uniform(-0.1, 0.1, M).astype(np.float32)
    # the OTAs' other inputs: offsets and noise, some far into the tanh's bend
    xe = rng.normal(0, 0.05, M).astype(np.float32)
    xi = rng.normal(0, 0.05, M).astype(np.float32)
    xe[:8] = np.linspace(-2.0, 2.0, 8)
    xi[8:16] = np.linspace(-1.5, 1.5, 8)
    return ve, vi, y, xe, xi


def _m_limit(prm):
    """The largest line step mean every column may start a quiet block with."""
    d = np.maximum(prm.col32[h.C_QB_D_E], prm.col32[h.C_QB_D_I])
    return float(h.QUIET_DELTA_MAX / d.max())


@pytest.mark.parametrize("m_frac", [2e-3, 0.25, 0.99])
def test_closed_form_equals_the_explicit_steps_it_replaces(m_frac):
    prm = _half()
    n_sub = prm.n_sub
    x_max = prm.sc[h.S_X_MAX]
    m_scale = m_frac * _m_limit(prm)
    assert _m_limit(prm) > 1.5  # tau_syn about 0.32 us, a block of 32 steps of 8 ns
    for seed in range(3):
        ve, vi, y, xe, xi = _state(prm, m_scale, seed)
        want_e, want_i, want_y = _stepped(ve, vi, y, xe, xi, prm.col32, n_sub, x_max)
        scratch = np.empty((2, M), np.float32)
        assert h._quiet_block(ve, vi, y, xe, xi, prm.col32, prm.sc, n_sub, *scratch)
        lsb = 2.5e-3  # V per ADC step (about; the bound below is in volts)
        # float32 arithmetic and the Taylor remainder (<= 0.073 d^6 per unit of drive and step,
        # d the largest deviation from the expansion point)
        k_i = float(prm.col32[h.R_KI].max())
        d = m_frac * float(h.QUIET_DELTA_MAX)
        bound = 2 * n_sub * k_i * 0.073 * d**6 + 4e-7
        assert np.max(np.abs(y - want_y)) <= bound
        assert np.max(np.abs(y - want_y)) / lsb < 2e-3
        np.testing.assert_allclose(ve, want_e, rtol=4e-6, atol=1e-30)
        np.testing.assert_allclose(vi, want_i, rtol=4e-6, atol=1e-30)
    # the drive must matter: the sum moved y by more than the bound
    assert np.max(np.abs(want_y - _state(prm, m_scale, 2)[2])) > 100 * bound


def test_taylor_coefficients_are_the_derivatives_of_tanh():
    """_tanh_block_sum with one step (W_0 = V_j = 1) is the Taylor polynomial of tanh(x0 + m)
    about x0 = x + m a_c."""
    for a_c in (0.0, 0.75):
        for x in (-1.3, -0.2, 0.0, 0.4, 1.1):
            for m in (1e-3, 0.05, 0.2):
                got = h._tanh_block_sum(
                    np.float32(x), np.float32(m), np.float32(a_c), *([np.float32(1.0)] * 6)
                )
                x0 = float(np.float32(x) + np.float32(m) * np.float32(a_c))
                taylor = sum(
                    _tanh_derivative(x0, j) / math.factorial(j) * m**j
                    for j in range(h.QUIET_ORDER + 1)
                )
                assert got == pytest.approx(taylor, abs=2e-6)
                assert got == pytest.approx(math.tanh(x0 + m), abs=2e-6 + 0.073 * m**6)


def _tanh_derivative(x, j):
    """d^j/dx^j tanh(x) by the recursion on polynomials of t = tanh x (exact coefficients)."""
    poly = np.polynomial.Polynomial([0.0, 1.0])  # t
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    for _ in range(j):
        poly = poly.deriv() * one_minus_t2
    return float(poly(math.tanh(x)))


def _spoil(prm, ve, y, cols, case):
    """Make ``cols`` fail the closed form's conditions."""
    for c in cols:
        if case == "line":  # a line still above the closed form's bound
            ve[c] = 1.01 * h.QUIET_DELTA_MAX / (prm.col32[h.C_QB_D_E, c] * prm.col32[h.R_MU_E, c])
        elif case == "upper rail":  # a membrane inside the compliance width of a rail
            y[c] = prm.col32[h.C_YHI, c] - 0.5 * prm.sc[h.S_WIDTH]
        else:
            y[c] = prm.col32[h.C_YLO, c] + 0.5 * prm.sc[h.S_WIDTH]


@pytest.mark.parametrize("case", ["line", "upper rail", "lower rail"])
def test_columns_that_do_not_qualify_are_stepped(case):
    """Up to an eighth of the columns failing the conditions are stepped (their compliance
    included); the others still take the closed form."""
    prm = _half()
    n_sub, x_max, width = prm.n_sub, prm.sc[h.S_X_MAX], prm.sc[h.S_WIDTH]
    ve, vi, y, xe, xi = _state(prm, 0.1, 0)
    cols = [3, 17, 30, 41, 50, 63, 8, 24]  # M / 8
    _spoil(prm, ve, y, cols, case)
    xe[cols] = 0.4  # both OTAs drive the membrane: the compliance has something to act on
    xi[cols] = -0.3
    start = [a.copy() for a in (ve, vi, y)]
    want = _stepped(ve, vi, y, xe, xi, prm.col32, n_sub, x_max, width)
    assert h._quiet_block(ve, vi, y, xe, xi, prm.col32, prm.sc, n_sub, *np.empty((2, M), "f4"))
    np.testing.assert_allclose(y, want[2], rtol=0, atol=2e-6)
    np.testing.assert_allclose(ve, want[0], rtol=2e-6, atol=1e-30)
    if case != "line":  # the compliance acted on the stepped columns (f < 1 there)
        f_one = _stepped(*start, xe, xi, prm.col32, n_sub, x_max)[2]
        assert np.max(np.abs(f_one[cols] - want[2][cols])) > 1e-5


def test_blocks_with_many_columns_out_of_reach_change_nothing():
    prm = _half()
    ve, vi, y, xe, xi = _state(prm, 0.1, 0)
    _spoil(prm, ve, y, range(0, M, 7), "upper rail")  # 10 of 64 columns
    before = [a.copy() for a in (ve, vi, y)]
    done = h._quiet_block(ve, vi, y, xe, xi, prm.col32, prm.sc, prm.n_sub, *np.empty((2, M), "f4"))
    assert not done
    for a, b in zip((ve, vi, y), before):
        np.testing.assert_array_equal(a, b)


def test_quiet_sums_are_the_geometric_weights():
    prm = _half()
    n, t = prm.n_sub, prm.col32
    lam = 1.0 - prm.lam * prm.dt
    k = np.arange(n)[:, None]
    for tau, r_ac, r_d, r_w in (
        (prm.tau_syn, h.C_QB_AC_E, h.C_QB_D_E, h.C_QB_WE),
        (prm.tau_syn_inh, h.C_QB_AC_I, h.C_QB_D_I, h.C_QB_WI),
    ):
        a = np.exp(-prm.dt / tau)
        fac = a ** np.arange(n)[:, None]
        np.testing.assert_allclose(t[r_ac], (fac.max(0) + fac.min(0)) / 2, rtol=1e-6)
        np.testing.assert_allclose(t[r_d], (fac.max(0) - fac.min(0)) / 2, rtol=1e-5)
        for j in range(1, h.QUIET_ORDER + 1):
            want = np.sum(lam ** (n - 1 - k) * (fac - t[r_ac].astype(float)) ** j, axis=0)
            np.testing.assert_allclose(t[r_w + j - 1], want, rtol=1e-4, atol=1e-7 * n)
    np.testing.assert_allclose(t[h.C_QB_W0], (1 - lam**n) / (1 - lam), rtol=1e-5)
    np.testing.assert_allclose(t[h.C_QB_LAM], lam**n, rtol=1e-6)
    np.testing.assert_allclose(t[h.C_QB_AN_I], np.exp(-n * prm.dt / prm.tau_syn_inh), rtol=1e-6)


@pytest.mark.parametrize("wait, dens, dt", [(25, 0.3, 8e-9), (60, 0.15, 32e-9), (5, 0.5, 32e-9)])
def test_kernel_with_quiet_blocks_agrees_with_the_reference(wait, dens, dt):
    """Sparse events (quiet blocks between them) and a long tail after the last one (2.5 us),
    every deterministic effect on (leak per column, imbalanced paths, offsets, bounded lines):
    the kernel with its closed forms against the reference integrator (RK4 at 0.5 ns) and
    against itself stepped throughout, noise off."""
    ev, w, p = reference_case(11, m=16, n_b=4, wait=wait, num_sends=1, dens=dens, act_lo=1)
    p = with_new_effects(p, 16, seed=4)
    p.update(t_read=ev[3].max() + 2.5e-6, dt=dt, noise_substeps=round(256e-9 / dt))
    ref = simulate_half_reference(*ev, w, p, refine=max(16, round(dt / 0.5e-9)))
    got = kernels.simulate_half(*ev, w, **dict(p, noise=False))
    lsb = np.asarray(p["adc_lsb"])[None, :]
    mem = np.sqrt(np.mean(((got.v_read - ref["v_read"]) / lsb) ** 2))
    assert mem <= 0.05
    assert np.sqrt(np.mean((got.output - ref["output"]) ** 2)) <= 0.25
    stepped = kernels.simulate_half(*ev, w, **dict(p, noise=False), closed_form_prephase=False)
    assert np.max(np.abs(got.v_read - stepped.v_read) / lsb) <= 0.01
