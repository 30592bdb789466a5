"""A leak time constant per column (``tau_leak`` float [M]): against the analytic decay of a
leaky membrane, against the reference integrator, and column by column against the same half run
with that column's time constant as the one number of all columns (bit for bit, noise on)."""

import numpy as np
import pytest
from kernel_cases import ADC_LSB, FULL_NOISE, chip_params, events_from_inputs, read_time
from reference.integrator import simulate_half_reference

import kernels

#: Leak time constants of the columns (s): the calibration's range (tens of us), a slow one,
#: no leak.
TAUS = np.array([20e-6, 35e-6, 60e-6, 60e-6, 90e-6, 1e-3, np.inf, 45e-6])
M = TAUS.size


@pytest.mark.parametrize("closed_form", [True, False])
def test_membrane_decays_to_its_leak_level_with_its_own_time_constant(closed_form):
    """No events, no offset current: V(t) = v_leak,c + (v_reset - v_leak,c) exp(-t / tau_c)."""
    v_leak = 0.6 + np.linspace(-0.06, 0.06, M)
    p = chip_params(
        2,
        M,
        fixed_pattern=False,
        tau_leak=TAUS,
        v_leak=v_leak,
        i_offset=np.zeros(M),
        t_read=7.3e-6,
        t_baseline=4.1e-6,
    )
    w = np.zeros((2, M), dtype=np.int8)
    ev = (np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    r = kernels.simulate_half(*ev, w, **p, closed_form_prephase=closed_form)
    for t, v in ((7.3e-6, r.v_read[0]), (4.1e-6, r.v_baseline[0])):
        amp = p["v_reset"] - v_leak
        expected = v_leak + amp * np.exp(-t / TAUS)
        # the stepped membrane is an explicit (Euler) step in the leak: its error after t is
        # about |amp| (t / tau) (dt / 2 tau); the closed form is exact to float32 rounding
        euler = 0.0 if closed_form else 1.2 * np.abs(amp) * (t / TAUS) * p["dt"] / (2 * TAUS)
        assert np.all(np.abs(v - expected) <= 2e-7 + euler)
        assert np.all(np.abs(expected - p["v_reset"])[np.isfinite(TAUS)] > 1e-5)  # it moves
    assert r.v_read[0, 6] == p["v_reset"]  # no leak, no offset current: stays at the reset


def _case(seed, n_b=4, wait=5):
    rng = np.random.default_rng(seed)
    k = 24
    w = rng.integers(-63, 64, (k, M)).astype(np.int8)
    x = rng.integers(1, 32, (n_b, k))
    x[rng.random((n_b, k)) > 0.6] = 0
    ev = events_from_inputs(x, wait=wait, t_first=3e-6)
    p = chip_params(k, M, seed=seed + 50, t_read=read_time(ev[3]), t_baseline=3e-6)
    p.update(tau_leak=TAUS, v_leak=p["v_reset"] + 0.03 * rng.standard_normal(M))
    return ev, w, p


@pytest.mark.parametrize("seed, wait", [(1, 5), (2, 2)])
def test_per_column_leak_agrees_with_the_reference_integrator(seed, wait):
    ev, w, p = _case(seed, wait=wait)
    ref = simulate_half_reference(*ev, w, p, refine=16)
    got = kernels.simulate_half(*ev, w, **p)
    assert np.sqrt(np.mean((got.output - ref["output"]) ** 2)) <= 0.25
    assert np.sqrt(np.mean(((got.v_read - ref["v_read"]) / ADC_LSB) ** 2)) <= 0.05
    assert np.sqrt(np.mean(((got.v_baseline - ref["v_baseline"]) / ADC_LSB) ** 2)) <= 0.05
    # and the leak matters here: with one time constant the reference differs by far more
    one = simulate_half_reference(*ev, w, dict(p, tau_leak=60e-6), refine=16)
    assert np.sqrt(np.mean(((one["v_read"] - ref["v_read"]) / ADC_LSB) ** 2)) > 0.5


@pytest.mark.parametrize("closed_form", [True, False])
def test_each_column_is_the_half_with_its_time_constant_for_all(closed_form):
    """Noise on (every source, the closed-form prephase's included): column c of the half with a
    leak per column is bit for bit column c of the half whose columns all have tau_c."""
    ev, w, p = _case(3, n_b=5)
    noise = dict(FULL_NOISE, flicker_psd_1mhz=4e-14, sigma_gm=0.01, sigma_bias=0.01)
    kw = dict(noise_seed=17, stream=2, closed_form_prephase=closed_form, **noise)
    mixed = kernels.simulate_half(*ev, w, **p, **kw)
    for tau in np.unique(TAUS):
        cols = np.flatnonzero(TAUS == tau)
        one = kernels.simulate_half(*ev, w, **dict(p, tau_leak=tau), **kw)
        for field in range(5):
            np.testing.assert_array_equal(mixed[field][:, cols], one[field][:, cols])
    assert mixed.v_read.std() > 0


def test_a_number_and_equal_columns_are_the_same():
    ev, w, p = _case(4)
    kw = dict(FULL_NOISE, noise_seed=5, flicker_psd_1mhz=4e-14)
    a = kernels.simulate_half(*ev, w, **dict(p, tau_leak=60e-6), **kw)
    b = kernels.simulate_half(*ev, w, **dict(p, tau_leak=np.full(M, 60e-6)), **kw)
    for field in range(5):
        np.testing.assert_array_equal(a[field], b[field])


@pytest.mark.parametrize(
    "tau_leak, words",
    [
        (np.full(M + 1, 60e-6), ["tau_leak", f"({M},)", f"({M + 1},)"]),
        (np.where(np.arange(M) == 3, -1.0, 60e-6), ["tau_leak", "> 0", "column 3"]),
        (np.where(np.arange(M) == 2, np.nan, 60e-6), ["tau_leak", "> 0", "column 2"]),
        (np.where(np.arange(M) == 5, 0.3e-6, 60e-6), ["tau_leak", "2 * max(tau_syn)"]),
        (0.0, ["tau_leak", "> 0"]),
    ],
)
def test_bad_leak_time_constants_are_named(tau_leak, words):
    ev, w, p = _case(5, n_b=1)
    with pytest.raises(ValueError) as info:
        kernels.simulate_half(*ev, w, **dict(p, tau_leak=tau_leak))
    for word in words:
        assert word in str(info.value)


def test_a_leak_as_slow_as_a_flicker_component():
    """tau_leak equal to the slowest flicker component (1 ms): the prephase's flicker statistics
    take their limit (before: a division by zero, NaN) and agree with a leak 1e-5 slower."""
    ev, w, p = _case(6, n_b=3)
    kw = dict(FULL_NOISE, noise_seed=9, flicker_psd_1mhz=4e-14, flicker_tau_max=1e-3)
    at = kernels.simulate_half(*ev, w, **dict(p, tau_leak=1e-3), **kw)
    near = kernels.simulate_half(*ev, w, **dict(p, tau_leak=1e-3 * (1 + 1e-5)), **kw)
    assert np.all(np.isfinite(at.v_read)) and np.all(np.isfinite(at.v_baseline))
    np.testing.assert_allclose(at.v_read, near.v_read, rtol=0, atol=1e-8)
    np.testing.assert_allclose(at.v_baseline, near.v_baseline, rtol=0, atol=1e-8)
