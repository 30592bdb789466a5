"""The synaptic-input readout kernel (model.md section 13) against closed forms, the slow
reference integrator (``tests/reference/synin.py``), noise theory, and for determinism and its
argument checks."""

import math

import numba
import numpy as np
import pytest
from kernel_cases import (
    FPGA_CYCLE,
    SYNIN_LSB,
    SYNIN_NOISE,
    events_from_inputs,
    synin_params,
    synin_reference_case,
)
from reference.integrator import pulses
from reference.synin import closed_form_drop, simulate_synin_reference

import kernels


def _run(ev, w, p, **kw):
    return kernels.simulate_synin(*ev, w, **{**p, **kw})


# ---- closed forms ------------------------------------------------------------------------------
@pytest.mark.parametrize("tau", [200e-6, 3e-6, math.inf])
def test_lines_are_exact_leaky_integrators_of_rectangular_pulses(tau):
    """Noise off, unbounded: the drop at the read equals the closed form of a leaky integrator of
    the rectangular pulses (any position of the edges against the grid and the noise blocks;
    pulses cut at the read; the leakage current), to float64 rounding."""
    rng = np.random.default_rng(1)
    k, m, n_b = 16, 6, 5
    w = rng.integers(-63, 64, (k, m))
    p = synin_params(k, m, seed=3, v_line_max=math.inf, tau_line=np.full(2 * m, tau))
    ptr = np.arange(0, 5 * (n_b + 1), 5, dtype=np.int64)
    n_ev = ptr[-1]
    rows = rng.integers(0, k, n_ev).astype(np.int64)
    acts = rng.integers(1, 32, n_ev).astype(np.int64)
    times = rng.uniform(0.3e-6, 3.0e-6, n_ev)  # off the grid, some pulses cut at the read
    p.update(t_read=2.9e-6 + 1.3e-9, t_baseline=2.0e-6)
    got = kernels.simulate_synin(ptr, rows, acts, times, w, noise=False, **p)
    pl = pulses(ptr, rows, acts, times, p["drv_gain"], p["drv_offset"], p["t_lsb"])
    t_read = 2.9e-6 + 1.3e-9
    expect = closed_form_drop(pl, w, p, t_read)
    drop = p["v_rest"] - got.v_read
    scale = np.abs(expect).max()
    assert scale > 3e-3  # a signal of millivolts (several codes)
    np.testing.assert_allclose(drop, expect, rtol=0, atol=1e-12 * scale + 1e-15)
    # the baseline window: the leakage alone
    base = closed_form_drop([(r[:0], a[:0], e[:0]) for r, a, e in pl], w, p, 2.0e-6)
    np.testing.assert_allclose(p["v_rest"] - got.v_baseline, base, rtol=0, atol=1e-15)


def test_one_pulse_gain_and_signed_columns():
    """One event of weight +w on output 0 and -w on output 1: line 0 drops by w a I_lsb t_lsb /
    C_line, line 3 by the same, the other lines not at all; outputs +d and -d codes."""
    k, m = 4, 3
    w = np.zeros((k, m), np.int64)
    w[2, 0], w[2, 1] = 40, -40
    p = synin_params(k, m, fixed_pattern=False, tau_line=np.full(2 * m, math.inf))
    ev = events_from_inputs(np.array([[0, 0, 31, 0]]), t_first=1e-6)
    got = _run(ev, w, p, noise=False, t_read=3e-6, t_baseline=2e-6)
    drop = p["v_rest"] - got.v_read[0]
    q = 40 * p["i_lsb"] * 31 * p["t_lsb"] / p["c_line"]
    np.testing.assert_allclose(drop, [q, 0, 0, q, 0, 0], rtol=1e-12, atol=1e-18)
    d = round(q / SYNIN_LSB)
    assert got.output[0].tolist() == [d, -d, 0]
    assert got.code_read.shape == (1, 2 * m) and got.code_baseline[0, 0] == 210


def test_bound_clamps_the_line_and_the_charge_above_it_is_lost():
    """A dense burst on one line drives it to the bound: the drop stays at v_line_max while the
    input lasts, then decays from there (exactly min(free solution, bound) piece by piece)."""
    k, m = 64, 1
    w = np.full((k, m), 63)
    p = synin_params(
        k, m, fixed_pattern=False, v_line_max=0.2, tau_line=np.full(2, 20e-6), c_line=1e-12
    )
    ev = events_from_inputs(np.full((1, k), 31), wait=2, t_first=1e-6)
    t_last = ev[3].max() + 31e-9
    got = _run(ev, w, p, noise=False, t_read=t_last + 4e-6, t_baseline=2e-6)
    free = 64 * 63 * p["i_lsb"] * 31e-9 / p["c_line"]
    assert free > 0.3  # far beyond the bound without it
    expect = 0.2 * math.exp(-(4e-6) / 20e-6)  # decay from the bound after the last pulse ends
    np.testing.assert_allclose(p["v_rest"] - got.v_read[0, 0], expect, rtol=1e-9)


# ---- the reference integrator ------------------------------------------------------------------
def _compare(ev, w, p):
    ref = simulate_synin_reference(*ev, w, p)
    got = kernels.simulate_synin(*ev, w, noise=False, **p)
    rms_out = np.sqrt(np.mean((got.output - ref["output"]) ** 2))
    rms_v = np.sqrt(np.mean(((got.v_read - ref["v_read"]) / SYNIN_LSB) ** 2))
    return rms_out, rms_v, ref


@pytest.mark.parametrize(
    "name, kw",
    [
        ("wait5-half-zero", dict(wait=5, num_sends=1, dens=0.5, act_lo=0)),
        ("wait2-dense-to-the-bound", dict(wait=2, num_sends=2, dens=1.0, act_lo=16)),
        ("wait25-sparse", dict(wait=25, num_sends=1, dens=0.3, act_lo=1)),
    ],
)
def test_against_the_reference_integrator(name, kw):
    ev, w, p = synin_reference_case(5, m=8, n_b=3, n_k=96, **kw)
    bounded = name == "wait2-dense-to-the-bound"
    if bounded:
        p["v_line_max"] = 0.12  # the dense same-sign lines reach the bound
    rms_out, rms_v, ref = _compare(ev, w, p)
    if bounded:  # the bound is reached (then the line decays for the 1 us before the read)
        assert ref["u_read"].max() > 0.995 * 0.12
        free = kernels.simulate_synin(*ev, w, noise=False, **dict(p, v_line_max=np.inf))
        assert (p["v_rest"] - free.v_read).max() > 0.14
    assert rms_out <= 0.25, name
    assert rms_v <= 0.02, name


# ---- noise -------------------------------------------------------------------------------------
def test_line_noise_and_readout_flicker_match_theory():
    """No events: the drop at the read has the OU variance S tau (1 - exp(-2T/tau)) / (4 C^2) of
    white current noise on the line, and the difference of the two conversions' readout flicker
    has the variance of the K components' increments over the time between the reads."""
    k, m, n_b = 2, 64, 400
    p = synin_params(k, m, fixed_pattern=False, tau_line=np.full(2 * m, 20e-6))
    ev = (np.zeros(n_b + 1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    w = np.zeros((k, m), np.int64)
    t_read, t_base, t_gap = 11.3e-6, 2e-6, 20e-6
    psd = 3e-24
    got = _run(ev, w, p, t_read=t_read, t_baseline=t_base, line_current_psd=psd, noise_seed=5)
    tau, c = 20e-6, p["c_line"]
    var = psd * tau * -math.expm1(-2 * t_read / tau) / (4 * c * c)
    drop = p["v_rest"] - got.v_read
    n = drop.size
    assert abs(drop.var() / var - 1) < 4 * math.sqrt(2 / n)
    flk = 1e-12
    got = _run(
        ev,
        w,
        p,
        t_read=t_read,
        t_baseline=t_base,
        t_gap=t_gap,
        readout_flicker_psd_1mhz=flk,
        flicker_tau_min=1e-6,
        flicker_tau_max=1e-3,
        flicker_components=4,
        noise_seed=6,
    )
    diff = got.v_read - got.v_baseline
    taus = 1e-6 * 1e3 ** (np.arange(4) / 3)
    sig2 = flk * 1e6 * math.log(10.0)
    span = t_gap - t_base + t_read
    expect = np.sum(2 * sig2 * -np.expm1(-span / taus))
    assert abs(diff.var() / expect - 1) < 4 * math.sqrt(2 / diff.size)
    assert abs(got.v_baseline.var() / (4 * sig2) - 1) < 0.2


def test_noise_is_deterministic_and_independent_of_chunking_and_threads():
    ev, w, p = synin_reference_case(2, m=32, n_b=24, wait=5, num_sends=1, dens=0.5, act_lo=1)
    kw = dict(p, **{**SYNIN_NOISE, "line_current_psd": 3e-24}, noise_seed=11)
    a = kernels.simulate_synin(*ev, w, **kw)
    b = kernels.simulate_synin(*ev, w, **kw)
    np.testing.assert_array_equal(a.output, b.output)
    np.testing.assert_array_equal(a.v_read, b.v_read)
    # the same samples in two chunks, keyed by their global index
    ptr, rows, acts, times = ev
    cut = 10
    parts = []
    for lo, hi in ((0, cut), (cut, 24)):
        sl = slice(ptr[lo], ptr[hi])
        parts.append(
            kernels.simulate_synin(
                ptr[lo : hi + 1] - ptr[lo],
                rows[sl],
                acts[sl],
                times[sl],
                w,
                sample_index=np.arange(lo, hi),
                **kw,
            )
        )
    np.testing.assert_array_equal(np.vstack([q.output for q in parts]), a.output)
    np.testing.assert_array_equal(np.vstack([q.v_read for q in parts]), a.v_read)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = kernels.simulate_synin(*ev, w, **kw)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(c.output, a.output)
    # another seed: another realization
    d = kernels.simulate_synin(*ev, w, **dict(kw, noise_seed=12))
    assert not np.array_equal(d.v_read, a.v_read)


def test_traces_end_at_the_read_and_recording_changes_nothing():
    ev, w, p = synin_reference_case(4, m=8, n_b=3, wait=5, num_sends=1, dens=0.6, act_lo=1)
    kw = dict(p, **{**SYNIN_NOISE, "line_current_psd": 3e-24}, noise_seed=2)
    plain = kernels.simulate_synin(*ev, w, **kw)
    rec = kernels.simulate_synin(*ev, w, record_samples=[1], record_columns=[0, 5], **kw)
    np.testing.assert_array_equal(plain.output, rec.output)
    np.testing.assert_array_equal(plain.v_read, rec.v_read)
    tr = rec.traces
    assert tr.time[-1] == pytest.approx(p["t_read"])
    drop = p["v_rest"] - plain.v_read[1]
    # the readout flicker is not part of the line: compare without it
    noflk = kernels.simulate_synin(
        *ev, w, **dict(kw, readout_flicker_psd_1mhz=0.0), record_samples=[1], record_columns=[0, 5]
    )
    drop = p["v_rest"] - noflk.v_read[1]
    np.testing.assert_allclose(noflk.traces.v_exc[0, :, -1], drop[[0, 10]], atol=1e-12)
    np.testing.assert_allclose(noflk.traces.v_inh[0, :, -1], drop[[1, 11]], atol=1e-12)
    finite = np.isfinite(tr.v_exc[0, 0])
    assert finite.sum() > 100 and np.all(np.diff(tr.time) > 0)


# ---- arguments ---------------------------------------------------------------------------------
def test_bad_arguments_name_what_and_how():
    ev, w, p = synin_reference_case(1, m=4, n_b=2, wait=5, num_sends=1, dens=0.5, act_lo=1, n_k=8)
    with pytest.raises(ValueError, match=r"syn_gain must have shape \(8, 8\)"):
        kernels.simulate_synin(*ev, w, **dict(p, syn_gain=np.ones((8, 4), np.float32)))
    with pytest.raises(ValueError, match="tau_line must be >= 2 noise blocks"):
        kernels.simulate_synin(*ev, w, **dict(p, tau_line=np.full(8, 0.3e-6)))
    with pytest.raises(ValueError, match="tau_line must be > 0"):
        kernels.simulate_synin(*ev, w, **dict(p, tau_line=np.full(8, -1.0)))
    with pytest.raises(ValueError, match="weights must lie in -63..63"):
        kernels.simulate_synin(*ev, w * 3, **p)
    with pytest.raises(ValueError, match="v_line_max must be > 0"):
        kernels.simulate_synin(*ev, w, **dict(p, v_line_max=0.0))
    with pytest.raises(ValueError, match="record_columns must lie in 0..3"):
        kernels.simulate_synin(*ev, w, record_samples=[0], record_columns=[4], **p)
    with pytest.raises(TypeError, match="kernels.SyninParams"):
        kernels.run_synin(kernels.half_params, *ev, t_read=p["t_read"], t_baseline=p["t_baseline"])
    assert FPGA_CYCLE == p["dt"]
