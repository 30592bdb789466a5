"""Pulse edges and reads on and around step and noise-block boundaries (noise off).

Event, read and baseline times are drawn on grid points of the step (dt), of the noise block
(noise_substeps * dt) and of the FPGA cycle, one or two ulps beside them and one cycle beside
them, and as the event simulator computes them (whole cycles times the cycle, plus one cycle of
driver latency), with random dt and noise_substeps. For every such window:

* the closed-form prephase equals the fully stepped integration (to float32 rounding),
* both agree with the RK4 reference integrator to 0.25 LSB on the membrane voltage,
* shifting every event and the read by a whole number of noise blocks changes nothing.

A pulse edge that is lost or counted twice changes the membrane by several LSB, far beyond these
tolerances.
"""

import inspect
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from kernel_cases import ADC_LSB, FPGA_CYCLE, chip_params
from reference.integrator import simulate_half_reference

import kernels
from kernels import half

K, M = 4, 3
#: Agreement of two kernel paths that differ only by float rounding (V): 1e-3 LSB.
PATH_TOL = 1e-3 * ADC_LSB
#: Largest membrane-voltage error against the RK4 reference (V).
REF_TOL = 0.25 * ADC_LSB
#: Fine step of the reference integrator (s): 0.5 ns, the converged step of ``test_reference``.
REF_STEP = 0.5e-9

OFFSETS = ("on", "+1 ulp", "-1 ulp", "+2 ulp", "-2 ulp", "+1 cycle", "-1 cycle")


def _beside(t, how):
    """``t`` moved as ``how`` says (one of :data:`OFFSETS`), never below 0."""
    if how == "on":
        return t
    if how.endswith("ulp"):
        n = int(how[1])
        for _ in range(n):
            t = np.nextafter(t, math.inf if how[0] == "+" else -math.inf)
        return max(float(t), 0.0)
    return max(t + (FPGA_CYCLE if how[0] == "+" else -FPGA_CYCLE), 0.0)


@st.composite
def boundary_times(draw, dt, n_sub, lo, hi):
    """A time in about [lo, hi] (s) on or beside a step, noise-block or cycle boundary."""
    unit_name = draw(st.sampled_from(["block", "block", "step", "cycle", "eventsim"]))
    unit = {"step": dt, "block": n_sub * dt, "cycle": FPGA_CYCLE, "eventsim": FPGA_CYCLE}[unit_name]
    index = draw(st.integers(max(math.ceil(lo / unit), 1), max(math.floor(hi / unit), 1)))
    if unit_name == "eventsim":
        # arrival cycle times the cycle, plus the driver latency of one cycle
        t = (index - 1) * FPGA_CYCLE + FPGA_CYCLE
    else:
        t = index * unit
    return _beside(t, draw(st.sampled_from(OFFSETS)))


@st.composite
def windows(draw, max_samples=8):
    """(events, weights, kernel parameters, noise_substeps) of a small half, every event, read
    and baseline time on or beside a boundary."""
    dt = draw(st.sampled_from([8e-9, 4e-9, 2e-9, 16e-9, 5e-9]) | st.floats(2e-9, 16e-9))
    n_sub = draw(st.integers(1, 16))
    ptr, rows, acts, times = [0], [], [], []
    for _ in range(draw(st.integers(1, max_samples))):
        for _ in range(draw(st.integers(0, 4))):
            rows.append(draw(st.integers(0, K - 1)))
            acts.append(draw(st.integers(1, 31)))
            times.append(draw(boundary_times(dt, n_sub, 0.05e-6, 0.5e-6)))
        ptr.append(len(rows))
    t_read = draw(boundary_times(dt, n_sub, 0.3e-6, 0.8e-6))
    t_base = draw(boundary_times(dt, n_sub, 0.1e-6, 0.5e-6))
    seed = draw(st.integers(0, 2**16))
    w = np.random.default_rng(seed).integers(-63, 64, (K, M)).astype(np.int8)
    p = chip_params(K, M, seed=seed, dt=dt, t_read=t_read, t_baseline=t_base)
    ev = (
        np.array(ptr, np.int64),
        np.array(rows, np.int32),
        np.array(acts, np.int32),
        np.array(times, np.float64),
    )
    return ev, w, p, n_sub


def _adc_value(v, p):
    return (v - p["v_adc_lo"]) / p["adc_lsb"] + p["adc_offset"]


def assert_same_up_to_rounding(a, b, p):
    """Two results of the same window: voltages within PATH_TOL, codes equal unless the ADC value
    lies within 1e-3 code of a rounding boundary."""
    for va, vb, ca, cb in (
        (a.v_read, b.v_read, a.code_read, b.code_read),
        (a.v_baseline, b.v_baseline, a.code_baseline, b.code_baseline),
    ):
        np.testing.assert_allclose(va, vb, rtol=0, atol=PATH_TOL)
        x = _adc_value(va, p) + 0.5
        at_boundary = np.abs(x - np.round(x)) < 1e-3
        np.testing.assert_array_equal(np.where(at_boundary, 0, ca), np.where(at_boundary, 0, cb))


def _reference(ev, w, p):
    return simulate_half_reference(*ev, w, p, refine=max(1, math.ceil(p["dt"] / REF_STEP)))


# the reported instance: the first pulse starts 24 steps after the reset, the start of a noise
# block, timed as the event simulator times it; floor(t / dt) dt lay one ulp above it
REPORTED = (
    (
        np.array([0, 2]),
        np.array([0, 1], np.int32),
        np.array([20, 9], np.int32),
        np.array([23 * FPGA_CYCLE + FPGA_CYCLE, 40 * FPGA_CYCLE]),
    ),
    np.array([[40, -20, 63], [-63, 10, 5], [0, 0, 0], [0, 0, 0]], np.int8),
    chip_params(K, M, seed=1, t_read=1.2e-6, t_baseline=0.5e-6),
    8,
)


@settings(max_examples=60, deadline=None)
@given(windows())
@example(REPORTED)
def test_closed_form_prephase_equals_stepping_from_the_reset(case):
    ev, w, p, n_sub = case
    for blocks in {n_sub, 1}:  # one step per block: every step boundary is a block boundary
        closed = kernels.simulate_half(*ev, w, **p, noise_substeps=blocks)
        stepped = kernels.simulate_half(
            *ev, w, **p, noise_substeps=blocks, closed_form_prephase=False
        )
        assert_same_up_to_rounding(closed, stepped, p)


@settings(max_examples=15, deadline=None)
@given(windows(max_samples=4))
@example(REPORTED)
def test_both_paths_agree_with_the_reference_integrator(case):
    ev, w, p, n_sub = case
    ref = _reference(ev, w, p)
    for closed_form in (True, False):
        got = kernels.simulate_half(
            *ev, w, **p, noise_substeps=n_sub, closed_form_prephase=closed_form
        )
        assert np.max(np.abs(got.v_read - ref["v_read"])) <= REF_TOL
        assert np.max(np.abs(got.v_baseline - ref["v_baseline"])) <= REF_TOL
        assert np.max(np.abs(got.output - ref["output"])) <= 1


@settings(max_examples=40, deadline=None)
@given(windows(), st.integers(1, 200), st.booleans())
@example(REPORTED, 1, True)
def test_shifting_a_window_by_whole_noise_blocks_changes_nothing(case, blocks, closed_form):
    ev, w, p, n_sub = case
    shift = blocks * n_sub * p["dt"]
    moved_ev = ev[:3] + (ev[3] + shift,)
    moved_p = dict(p, t_read=p["t_read"] + shift)
    here = kernels.simulate_half(
        *ev, w, **p, noise_substeps=n_sub, closed_form_prephase=closed_form
    )
    there = kernels.simulate_half(
        *moved_ev, w, **moved_p, noise_substeps=n_sub, closed_form_prephase=closed_form
    )
    # the drift of the offset current over the longer prephase is below 1e-5 LSB here
    assert_same_up_to_rounding(here, there, p)


@pytest.mark.parametrize("n_sub", [1, 8])
@pytest.mark.parametrize("dt", [8e-9, 2e-9])
def test_first_pulse_on_every_block_boundary_as_the_event_simulator_times_it(dt, n_sub):
    """One pulse per sample, starting at cycle c + 1 (the driver latency) for c = 0..199: every
    sample must hold the same charge (the pulse start never falls before the stepped part)."""
    starts = np.arange(200) * FPGA_CYCLE + FPGA_CYCLE
    n = starts.size
    ev = (np.arange(n + 1, dtype=np.int64), np.zeros(n, np.int32), np.full(n, 31, np.int32), starts)
    w = np.array([[63, -63, 50], [0, 0, 0], [0, 0, 0], [0, 0, 0]], np.int8)
    p = chip_params(K, M, seed=3, fixed_pattern=False, dt=dt, tau_leak=np.inf, t_baseline=0.5e-6)
    # the read follows every pulse by the same 1.6 us, so every sample is the same window shifted
    dv = np.empty((n, M))
    for i in range(n):
        one = tuple(a[i : i + 1] if a is not ev[0] else np.array([0, 1]) for a in ev)
        r = kernels.simulate_half(
            *one, w, **dict(p, t_read=starts[i] + 1.6e-6), noise_substeps=n_sub
        )
        dv[i] = r.v_read[0] - p["v_reset"]
    assert np.all(np.abs(dv[0]) > 2 * ADC_LSB)  # a large, clearly visible charge
    np.testing.assert_allclose(dv, np.broadcast_to(dv[0], dv.shape), rtol=0, atol=PATH_TOL)


@settings(max_examples=200, deadline=None)
@given(
    k=st.integers(0, 10**6),
    dt=st.floats(1e-10, 1e-7),
    ulps=st.integers(-4, 4),
    frac=st.floats(1e-6, 1 - 1e-6),
)
def test_grid_position_snaps_grid_points_and_is_monotone(k, dt, ulps, frac):
    t = k * dt
    for _ in range(abs(ulps)):
        t = float(np.nextafter(t, math.inf if ulps > 0 else -math.inf))
    if t >= 0:
        assert half.grid_position(t, dt) == (k, 0.0)  # a grid point however it was rounded
    inside = (k + frac) * dt
    step, s = half.grid_position(inside, dt)
    assert step == k and 0.0 < s < dt
    assert s == pytest.approx(frac * dt, rel=1e-6, abs=1e-6 * dt)
    later = float(np.nextafter(inside, math.inf))
    assert half.grid_position(later, dt) >= (step, s)  # a later time never lies earlier


def test_an_edge_the_stepping_never_reaches_is_an_error_not_a_silent_loss(monkeypatch):
    """The kernel counts the edges it integrated; if its steps ever missed one, the call fails
    instead of returning a wrong result. Shown by stepping the read window 40 steps short of the
    window its edges were placed in."""
    real = half.simulate_batch
    i_steps = list(inspect.signature(getattr(real, "py_func", real)).parameters).index(
        "n_steps_read"
    )

    def short_window(*args):
        args = list(args)
        args[i_steps] = args[i_steps] - 40  # the edges are still placed in the full window
        return real(*args)

    ev = (
        np.array([0, 1, 2]),
        np.array([0, 1], np.int32),
        np.array([5, 5], np.int32),
        np.array([0.1e-6, 0.9e-6]),
    )
    w = np.ones((K, M), np.int8)
    p = chip_params(K, M, t_read=1e-6, t_baseline=0.5e-6)
    kernels.simulate_half(*ev, w, **p)  # the edges fit the real window
    monkeypatch.setattr(half, "simulate_batch", short_window)
    with pytest.raises(RuntimeError, match=r"1 sample\(s\) \(sample_index \[1\]\).*bug in kernels"):
        kernels.simulate_half(*ev, w, **p)


@settings(max_examples=40, deadline=None)
@given(windows(max_samples=4), st.integers(1, 4), st.integers(0, 2**16))
@example(REPORTED, 2, 1)
def test_flicker_blocks_closed_form_equals_stepping(case, flicker_blocks, seed):
    """Flicker on at every position of the windows against the flicker-block grid (a first,
    partial flicker block where the stepped part starts inside one, a last, shorter one at the
    read) plus OTA offsets: closed form and stepping agree with each other and with the
    flicker-free result to PATH_TOL. The flicker is tiny here (its statistics are tested in
    test_flicker.py); what is tested is that no block length, weight or edge goes wrong."""
    ev, w, p, n_sub = case
    rng = np.random.default_rng(seed)
    extra = dict(
        noise_substeps=n_sub,
        flicker_blocks=flicker_blocks,
        flicker_psd_1mhz=1e-20,
        flicker_tau_min=0.05e-6,
        flicker_tau_max=5e-6,
        v_offset_exc=1e-3 * rng.standard_normal(M),
        v_offset_inh=1e-3 * rng.standard_normal(M),
        noise_seed=seed,
    )
    closed = kernels.simulate_half(*ev, w, **p, **extra)
    stepped = kernels.simulate_half(*ev, w, **p, **extra, closed_form_prephase=False)
    quiet = kernels.simulate_half(*ev, w, **p, **extra, noise=False)
    assert_same_up_to_rounding(closed, stepped, p)
    assert_same_up_to_rounding(closed, quiet, p)
    # the flicker is on: it moves both windows (per neuron it may by chance move one less than
    # the float32 resolution of the membrane at this tiny level, so not every neuron is asked)
    assert np.any(closed.v_baseline != quiet.v_baseline)
    assert np.any(closed.v_read != quiet.v_read)


@settings(max_examples=15, deadline=None)
@given(windows(max_samples=4), st.sampled_from([0.05, 0.1, 0.2]))
@example(REPORTED, 0.05)
def test_bounded_lines_agree_with_the_reference_integrator(case, v_line_max):
    """Edges on and beside step and block boundaries with the line bound active."""
    ev, w, p, n_sub = case
    p = dict(p, v_line_max=v_line_max)
    ref = _reference(ev, w, p)
    for closed_form in (True, False):
        got = kernels.simulate_half(
            *ev, w, **p, noise_substeps=n_sub, closed_form_prephase=closed_form
        )
        assert np.max(np.abs(got.v_read - ref["v_read"])) <= REF_TOL
        assert np.max(np.abs(got.output - ref["output"])) <= 1
