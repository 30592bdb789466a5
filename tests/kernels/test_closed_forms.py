"""Noise-free kernel against closed-form solutions of the linear regime."""

import numpy as np
import pytest
from kernel_cases import chip_params

import kernels

M = 4
TAU = np.array([0.30e-6, 0.32e-6, 0.35e-6, 0.5e-6])
GM = np.array([0.9e-6, 0.5e-6, 1.2e-6, 0.9e-6])


def _params(n_k=2, **over):
    p = chip_params(
        n_k,
        M,
        fixed_pattern=False,
        tau_syn=TAU,
        gm=GM,
        tau_leak=np.inf,
        drv_gain=np.full(n_k, 0.01),
        drv_offset=np.full(n_k, 0.1e-9),
    )
    p.update(over)
    return p


def _one_event_per_sample(starts, act, row=0):
    n = len(starts)
    return (
        np.arange(n + 1, dtype=np.int64),
        np.full(n, row, np.int32),
        np.full(n, act, np.int32),
        np.asarray(starts, np.float64),
    )


def _charge_on_membrane(w, act, p):
    """g_m q tau_syn / (C_syn C_m): membrane step of one event after full decay (V)."""
    length = act * p["t_lsb"] * (1 + p["drv_gain"][0]) + p["drv_offset"][0]
    q = abs(w) * p["i_lsb"] * length
    return p["gm"] * q * p["tau_syn"] / (p["c_syn"] * p["c_m"])


@pytest.mark.parametrize("closed_form", [True, False])
def test_one_event_puts_gm_q_tau_over_csyn_on_the_membrane(closed_form):
    dt = 8e-9
    # start times at, inside and just before step boundaries
    starts = 1e-6 + np.array([0.0, 0.3e-9, 4e-9, 7.9e-9, 7.999e-9, 13e-9])
    p = _params(t_read=1e-6 + 40 * TAU.max(), t_baseline=1e-6, dt=dt)
    w = np.array([[4, -4, 4, 4], [0, 0, 0, 0]], dtype=np.int8)
    r = kernels.simulate_half(
        *_one_event_per_sample(starts, 3), w, **p, closed_form_prephase=closed_form
    )
    dv = r.v_read - p["v_reset"]
    expected = _charge_on_membrane(4, 3, p) * np.sign(w[0])
    # tanh(x) = x (1 - x^2/3 ...): the line peaks at 0.5 mV, so relative non-linearity < 1e-5
    np.testing.assert_allclose(dv, np.broadcast_to(expected, dv.shape), rtol=1e-4)
    # position of the pulse inside the step does not matter
    assert np.max(np.abs(dv - dv[0])) < 1e-5 * np.max(np.abs(expected))


@pytest.mark.parametrize("dt", [8e-9, 2e-9, 50e-9])
def test_pulses_shorter_and_longer_than_dt_deliver_exact_charge(dt):
    p = _params(t_read=1e-6 + 40 * TAU.max(), t_baseline=1e-6, dt=dt)
    w = np.array([[1, 1, 1, 1], [0, 0, 0, 0]], dtype=np.int8)
    starts = 1e-6 + np.array([0.0, 2.7e-9, 5.5e-9])
    short = kernels.simulate_half(*_one_event_per_sample(starts, 1), w, **p).v_read - p["v_reset"]
    long = kernels.simulate_half(*_one_event_per_sample(starts, 31), w, **p).v_read - p["v_reset"]
    np.testing.assert_allclose(
        short, np.broadcast_to(_charge_on_membrane(1, 1, p), short.shape), rtol=1e-4
    )
    np.testing.assert_allclose(
        long, np.broadcast_to(_charge_on_membrane(1, 31, p), long.shape), rtol=1e-4
    )


def _exact_line(t, s0, s1, rate, tau):
    """Normalized-free line voltage (V) of a rectangular input: rate tau (E(t - s0) - E(t - s1))."""

    def e(u):
        return np.where(u > 0, -np.expm1(-np.clip(u, 0, None) / tau), 0.0)

    return rate * tau * (e(t - s0) - e(t - s1))


@pytest.mark.parametrize("length_ns, start_ns", [(2.0, 5.3), (6.0, 5.3), (30.7, 5.3), (8.0, 0.0)])
def test_line_trace_is_the_exact_step_mean_and_decays_exponentially(length_ns, start_ns):
    dt = 8e-9
    t0 = 1e-6 + start_ns * 1e-9
    p = _params(
        t_read=3e-6,
        t_baseline=1e-6,
        dt=dt,
        t_lsb=length_ns * 1e-9,
        drv_gain=np.zeros(2),
        drv_offset=np.zeros(2),
    )
    w = np.array([[10, 20, 30, -40], [0, 0, 0, 0]], dtype=np.int8)
    r = kernels.simulate_half(
        *_one_event_per_sample([t0], 1),
        w,
        **p,
        record_samples=[0],
        record_columns=np.arange(M),
        closed_form_prephase=False,
    )
    tr = r.traces
    n_full = int(round(3e-6 / dt))
    assert tr.time.shape == (n_full + 1,)
    s1 = t0 + length_ns * 1e-9
    for c in range(M):
        rate = abs(w[0, c]) * p["i_lsb"] / p["c_syn"]  # V/s
        exact = np.empty(n_full)
        for k in range(n_full):
            t = np.linspace(k * dt, (k + 1) * dt, 4001)
            exact[k] = np.trapezoid(_exact_line(t, t0, s1, rate, TAU[c]), t) / dt
        line = tr.v_exc[0, c, 1:] if w[0, c] > 0 else tr.v_inh[0, c, 1:]
        other = tr.v_inh[0, c, 1:] if w[0, c] > 0 else tr.v_exc[0, c, 1:]
        peak = exact.max()
        assert np.max(np.abs(line - exact)) < 2e-6 * peak
        assert np.all(other == 0.0)
        # after the pulse: exponential decay to rounding, exp(-dt/tau) per step
        k_after = int(np.ceil(s1 / dt)) + 1
        ratio = line[k_after + 1 : k_after + 200] / line[k_after : k_after + 199]
        np.testing.assert_allclose(ratio, np.exp(-dt / TAU[c]), rtol=2e-6)


@pytest.mark.parametrize("closed_form", [True, False])
def test_drift_from_offset_current_and_leak_matches_closed_form(closed_form):
    i_off = np.array([5e-15, -5e-15, 0.0, 2e-14])
    tau_leak = 200e-6
    p = _params(i_offset=i_off, tau_leak=tau_leak, v_leak=0.55, t_read=7.3e-6, t_baseline=4.1e-6)
    w = np.zeros((2, M), dtype=np.int8)
    ev = (np.zeros(2, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    r = kernels.simulate_half(*ev, w, **p, closed_form_prephase=closed_form)
    lam = 1 / tau_leak
    drift = i_off / p["c_m"] + lam * (p["v_leak"] - p["v_reset"])
    for t, v in ((7.3e-6, r.v_read[0]), (4.1e-6, r.v_baseline[0])):
        expected = p["v_reset"] + drift * (-np.expm1(-lam * t)) / lam
        np.testing.assert_allclose(v, expected, rtol=0, atol=2e-7)


def test_adc_conversion_clipping_and_output_clamp():
    p = _params(adc_offset=np.array([0.3, -0.2, 300.0, -300.0]), t_read=3e-6, t_baseline=2e-6)
    w = np.array([[60, -60, 60, 60], [0, 0, 0, 0]], dtype=np.int8)
    ev = _one_event_per_sample([1e-6], 31)
    r = kernels.simulate_half(*ev, w, **p, out_min=-1, out_max=2)
    for v, code in ((r.v_read, r.code_read), (r.v_baseline, r.code_baseline)):
        x = (v - p["v_adc_lo"]) / p["adc_lsb"] + p["adc_offset"]
        np.testing.assert_array_equal(code, np.clip(np.floor(x + 0.5), 0, 255))
    assert r.code_read[0, 2] == 255 and r.code_read[0, 3] == 0
    raw = r.code_read.astype(int) - r.code_baseline
    np.testing.assert_array_equal(r.output, np.clip(raw, -1, 2))
    assert raw[0, 0] > 2 and raw[0, 1] < -1  # the clamp is active
    assert r.output[0, 0] == 2 and r.output[0, 1] == -1


def test_membrane_stays_within_the_rails_when_driven_hard():
    n_k = 64
    p = _params(
        n_k=n_k,
        drv_gain=np.zeros(n_k),
        drv_offset=np.zeros(n_k),
        gm=np.full(M, 3e-6),
        t_read=8e-6,
        t_baseline=2e-6,
    )
    w = np.tile(np.array([63, -63, 63, -63], dtype=np.int8), (n_k, 1))
    starts = 1e-6 + np.arange(2 * n_k) * 40e-9
    ev = (
        np.array([0, 2 * n_k]),
        np.tile(np.arange(n_k, dtype=np.int32), 2),
        np.full(2 * n_k, 31, np.int32),
        starts,
    )
    r = kernels.simulate_half(*ev, w, **p)
    y = r.v_read[0]
    hi, lo = p["v_rail_hi"], p["v_rail_lo"]
    assert np.all(y[[0, 2]] <= hi[[0, 2]]) and np.all(y[[0, 2]] > hi[[0, 2]] - 0.02)
    assert np.all(y[[1, 3]] >= lo[[1, 3]]) and np.all(y[[1, 3]] < lo[[1, 3]] + 0.02)


def test_recording_does_not_change_results_and_ends_at_the_read():
    p = _params(t_read=2.5e-6, t_baseline=1e-6)
    w = np.array([[30, -20, 10, 5], [-5, 40, 0, 63]], dtype=np.int8)
    ev = (
        np.array([0, 2, 3, 3]),
        np.array([0, 1, 1], np.int32),
        np.array([31, 7, 16], np.int32),
        np.array([1e-6, 1.04e-6, 1.2e-6]),
    )
    noise = dict(sigma_line=2e-3, ota_noise_psd=4e-18, sigma_jitter=0.2e-9, sigma_adc=0.7)
    plain = kernels.simulate_half(*ev, w, **p, **noise)
    rec = kernels.simulate_half(*ev, w, **p, **noise, record_samples=[2, 0], record_columns=[3, 1])
    for a, b in zip(plain[:5], rec[:5]):
        np.testing.assert_array_equal(a, b)
    tr = rec.traces
    assert tr.v_mem.shape == (2, 2, tr.time.size) and tr.time[-1] == pytest.approx(2.5e-6)
    np.testing.assert_allclose(tr.v_mem[:, :, -1], rec.v_read[[2, 0]][:, [3, 1]], atol=1e-6)
    # closed-form prephase: NaN before the stepped part, finite after
    assert np.isnan(tr.v_mem[1, 0, 0]) and np.all(np.isfinite(tr.v_mem[1, 0, -50:]))
