"""Scenario tests of ``Chip``: the linear regime against the closed form, tiling, seeds,
chunking, and the errors of ``matmul``."""

import functools
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import chipsim
import hwdesc
from chipsim.fixed_pattern import draw


def _leaky_area(current, length, tau, lam, t0, t_read, c_syn):
    """Integral of the line voltage weighted by the membrane's pseudo-leak up to the read,
    ``int V(s) exp(-lam (t_read - s)) ds``, for a rectangular pulse of ``current`` (A) and
    ``length`` (s) starting at ``t0`` into a line of time constant ``tau`` (closed form)."""
    a = 1.0 / tau
    k = lam - a
    rise = current * tau / c_syn
    during = math.exp(-lam * (t_read - t0)) * (
        math.expm1(lam * length) / lam - math.expm1(k * length) / k
    )
    v_end = rise * -math.expm1(-a * length)
    rest = t_read - t0 - length
    after = v_end * math.exp(-lam * rest) * math.expm1(k * rest) / k
    return rise * during + after


def _adc_codes(pat, x, columns):
    """Noise-free codes of continuous ADC values ``x`` (codes, last axis over ``columns``): the
    number of thresholds of each column's quadrant that ``x`` reaches."""
    thresholds = pat.thresholds()[pat.quadrant[columns]]  # (columns, adc_max)
    return np.sum(np.asarray(x)[..., None] >= thresholds, axis=-1)


def _linear_prediction(chip, result, w, vector=0):
    """Closed-form output of one vector in the linear regime (noise off). Every event is a
    rectangular current pulse into an exponential line (model.md sections 2-3) with the time
    constant of its path (excitatory or inhibitory); the OTAs are linear (small line voltages),
    so their offsets add a constant current; the membrane integrates g_m times the line voltage
    with its pseudo-leak towards the column's leak level (section 4), plus the offset current;
    the ADC reads read and baseline with the column's slope and offset (section 7). Returns the
    continuous ADC values of the read and of the baseline (codes, before the thresholds)."""
    desc, kn, pat = chip.description, chip.knobs, chip.pattern[0]
    sched = result.events.schedule
    sl = sched.events_of(vector, 0)
    t_read = sched.t_read[vector]
    lam = 1.0 / desc.analog.membrane.tau_leak
    i_lsb = kn.i_max / 63
    c_syn = desc.analog.synaptic_input.c_syn
    charge_v = np.zeros(w.shape[1])
    for row, act, t0 in zip(sched.row[sl], sched.activation[sl], sched.ev_time[sl]):
        length = act * desc.analog.pulse.t_lsb * (1 + pat.drv_gain[row]) + pat.drv_offset[row]
        for c in range(w.shape[1]):
            if w[row, c] == 0:
                continue
            exc = w[row, c] > 0
            gain = pat.syn_gain_exc[row, c] if exc else pat.syn_gain_inh[row, c]
            tau = pat.tau_syn[c] if exc else pat.tau_syn_inh[c]
            gm = pat.gm[c] if exc else pat.gm_inh[c]
            area = _leaky_area(abs(w[row, c]) * i_lsb * gain, length, tau, lam, t0, t_read, c_syn)
            charge_v[c] += math.copysign(1, w[row, c]) * gm * area / kn.c_m
    ota = pat.gm * pat.v_offset_exc - pat.gm_inh * pat.v_offset_inh
    rate = (pat.i_offset + ota) / kn.c_m + lam * (pat.v_leak - kn.v_reset)  # V/s at the reset
    drift_read = rate * -math.expm1(-lam * t_read) / lam
    drift_base = rate * -math.expm1(-lam * sched.t_baseline) / lam
    lo = desc.analog.adc.v_lo
    y_read = (kn.v_reset + charge_v + drift_read - lo) / pat.adc_lsb + pat.adc_offset
    y_base = (kn.v_reset + drift_base - lo) / pat.adc_lsb + pat.adc_offset
    return y_read, y_base


def test_linear_regime_matches_closed_form(tutorial):
    rng = np.random.default_rng(5)
    w = rng.integers(-30, 31, size=(8, 8))
    x = rng.integers(0, 21, size=(6, 8))
    x[:, 2] = 0  # a row that sends no event
    # wait 200 cycles (1.6 us = 5 tau_syn): every event decays before the next, lines stay linear
    result = tutorial.run(x, w, num_sends=8, wait_between_events=200, noise=False)
    same = 0
    pat, columns = tutorial.pattern[0], np.arange(8)
    for b in range(x.shape[0]):
        y_read, y_base = _linear_prediction(tutorial, result, w, vector=b)
        out = result.outputs[b]
        predicted = _adc_codes(pat, y_read, columns) - _adc_codes(pat, y_base, columns)
        # two conversions: the output is within 1 code of the converted prediction ...
        assert np.all(np.abs(out - predicted) <= 1), (out, predicted)
        # ... and equals it except where y_read sits near a threshold
        same += int(np.sum(out == predicted))
    assert same >= 0.9 * result.outputs.size
    assert np.ptp(result.outputs) >= 10  # a real signal, not only rounding


def test_zero_input_gives_drift_only(tutorial):
    out = tutorial.run(np.zeros((3, 8)), np.full((8, 8), 63), noise=False).outputs
    assert np.all(np.abs(out) <= 1)


def test_same_seeds_same_result_and_chunking_invariance(tutorial):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 32, size=(23, 8))
    w = rng.integers(-63, 64, size=(8, 8))
    whole = tutorial.run(x, w, noise_seed=11).outputs
    chunked = tutorial.run(x, w, noise_seed=11, chunk_size=7).outputs
    np.testing.assert_array_equal(whole, chunked)
    again = chipsim.load(_tutorial_path(), seed=tutorial.seed).matmul(x, w, noise_seed=11)
    np.testing.assert_array_equal(whole, again)
    other_noise = tutorial.matmul(x, w, noise_seed=12)
    assert not np.array_equal(whole, other_noise)


def _tutorial_path():
    from pathlib import Path

    return Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml"


def test_fixed_pattern_depends_on_seed_only():
    desc = hwdesc.load(_tutorial_path())
    knobs = desc.resolve("default")
    a, b, c = draw(desc, knobs, 1), draw(desc, knobs, 1), draw(desc, knobs, 2)
    np.testing.assert_array_equal(a[0].gm, b[0].gm)
    np.testing.assert_array_equal(a[1].syn_gain_exc, b[1].syn_gain_exc)
    assert not np.array_equal(a[0].gm, c[0].gm)
    assert not np.array_equal(a[0].gm, a[1].gm)  # halves differ
    with pytest.raises(ValueError):
        a[0].gm[0] = 1.0  # read-only


def test_fixed_pattern_statistics_follow_the_description():
    desc = hwdesc.load(_tutorial_path().parent / "bss2.yaml")
    pat = draw(desc, desc.resolve("default"), 7)
    fp = desc.fixed_pattern
    # the calibration leaves each path's amplitude g_m tau_syn with the spread `gm`
    knobs = desc.resolve("default")
    amp = np.concatenate([p.gm * p.tau_syn for p in pat]) / (knobs.gm * knobs.tau_syn)
    assert np.std(amp) == pytest.approx(fp.gm, rel=0.15)
    # synapse mismatch with the spatial gradient divided out
    grad = 1.0 - fp.spatial_gradient * np.linspace(0, 1, desc.geometry.columns)
    syn = pat[0].syn_gain_exc / grad
    assert np.std(syn) == pytest.approx(fp.synapse_current, rel=0.05)
    assert np.mean(syn) == pytest.approx(1.0, abs=0.002)
    first, last = pat[0].syn_gain_exc[:, 0].mean(), pat[0].syn_gain_exc[:, -1].mean()
    assert last / first == pytest.approx(1 - fp.spatial_gradient, abs=0.01)


def _flat_chip():
    """The tutorial chip with no fixed pattern and an ideal ADC (its non-linearity is not a
    calibration residual, so fixed_pattern_scale leaves it): both halves identical."""
    text = _tutorial_path().read_text()
    text = text.replace(
        "  default:\n    description: the defaults\n",
        "  default:\n    description: the defaults\n    fixed_pattern_scale: 0\n",
    )
    for old, new in (
        ("spatial_gradient: 3 %", "spatial_gradient: 0 %"),
        ("    inl: 0.3 ", "    inl: 0 "),
        ("    dnl: 0.1 ", "    dnl: 0 "),
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    desc = hwdesc.loads(text)
    return chipsim.Chip(desc, seed=0)


def test_tiling_equals_tiles_run_by_hand_and_added():
    chip = _flat_chip()
    rng = np.random.default_rng(2)
    x = rng.integers(0, 32, size=(5, 20))  # 3 input tiles of 8 (the last one partial)
    w = rng.integers(-63, 64, size=(20, 11))  # 2 output tiles of 8 (the last one partial)
    full = chip.run(x, w, noise=False)
    by_hand = np.zeros((5, 11), dtype=np.int64)
    seconds = 0.0
    for k0 in range(0, 20, 8):
        for m0 in range(0, 11, 8):
            part = chip.run(x[:, k0 : k0 + 8], w[k0 : k0 + 8, m0 : m0 + 8], noise=False)
            by_hand[:, m0 : m0 + 8] += part.outputs
            seconds += part.timing.seconds
    np.testing.assert_array_equal(full.outputs, np.clip(by_hand, -128, 127))
    # 6 tiles on 2 halves: 3 runs one after another; run by hand, each tile took a run of its own
    assert full.timing.seconds < seconds
    assert full.timing.macs_per_vector == 20 * 11


def test_tiled_timing_is_the_sum_of_sequential_runs(tutorial):
    rng = np.random.default_rng(4)
    x = rng.integers(1, 32, size=(3, 16))
    w = rng.integers(-63, 64, size=(16, 16))  # 4 tiles: 2 runs of 2 halves
    res = tutorial.run(x, w, noise=False)
    desc = tutorial.description
    # every vector has 8 non-zero inputs per tile: the nominal vector time, twice
    expected = 2 * desc.vector_time(8, 1, 5)
    np.testing.assert_allclose(res.timing.vector_seconds, expected)
    assert res.timing.seconds == pytest.approx(3 * expected)


def test_result_shapes_follow_batch_dimensions(tutorial):
    x = np.ones((2, 3, 8))
    out = tutorial.matmul(x, np.ones((8, 5)), noise_seed=0)
    assert out.shape == (2, 3, 5) and out.dtype == np.int32
    out1 = tutorial.matmul(np.ones(8), np.ones((8, 5)), noise_seed=0)
    assert out1.shape == (5,)


def test_non_integers_are_rounded(tutorial):
    x = np.array([[1.4, 2.6, 0.2, 31.4, 0, 0, 0, 0]])
    w = np.full((8, 3), 20.4)
    a = tutorial.matmul(x, w, noise_seed=5)
    b = tutorial.matmul(np.rint(x), np.rint(w), noise_seed=5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "x, w, kwargs, message",
    [
        (
            np.full((1, 8), 32),
            np.ones((8, 2)),
            {},
            r"x: value 32 at index \(0, 0\) is out of range .*; allowed: 0..31",
        ),
        (np.full((1, 8), -1), np.ones((8, 2)), {}, r"x: value -1 .* 0..31"),
        (np.ones((1, 8)), np.full((8, 2), 64), {}, r"w: value 64 .* -63..63"),
        (
            np.full((1, 8), np.nan),
            np.ones((8, 2)),
            {},
            r"x: value nan at index \(0, 0\) is not finite",
        ),
        (np.ones((1, 8)), np.full((8, 2), np.inf), {}, r"w: value inf .* not finite"),
        (
            np.ones((1, 7)),
            np.ones((8, 2)),
            {},
            r"x and w do not fit: x has 7 inputs .* w has 8 rows",
        ),
        (
            np.ones((1, 8)),
            np.ones((8, 2, 1)),
            {},
            r"w: expected 2 dimensions, got shape \(8, 2, 1\)",
        ),
        (
            np.ones((1, 8)),
            np.ones((8, 2)),
            {"num_sends": 0},
            r"num_sends: 0 is out of range; allowed: >= 1",
        ),
        (
            np.ones((1, 8)),
            np.ones((8, 2)),
            {"wait_between_events": -1},
            r"wait_between_events: -1 is out of range",
        ),
        (np.ones((1, 8)), np.ones((8, 2)), {"noise_seed": -3}, r"noise_seed: -3 is out of range"),
        (np.ones((0, 8)), np.ones((8, 2)), {}, r"x: is empty"),
    ],
)
def test_matmul_rejects_bad_input(tutorial, x, w, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tutorial.matmul(x, w, **kwargs)


def test_matmul_rejects_bad_types(tutorial):
    with pytest.raises(TypeError, match="x: expected numbers, got an array of dtype <U1"):
        tutorial.matmul(np.array([["a"] * 8]), np.ones((8, 2)))
    with pytest.raises(TypeError, match="num_sends: expected an integer, got float 1.5"):
        tutorial.matmul(np.ones((1, 8)), np.ones((8, 2)), num_sends=1.5)


def test_unknown_calibration_lists_profiles(chips_dir):
    with pytest.raises(
        ValueError, match="no calibration profile 'fast'.*profiles: default, custom"
    ):
        chipsim.load(chips_dir / "tutorial.yaml", calibration="fast")


def test_chip_is_immutable_and_recalibrates(tutorial):
    with pytest.raises(AttributeError):
        tutorial.seed = 4
    custom = tutorial.with_calibration("custom")
    assert custom.seed == tutorial.seed and custom.calibration == "custom"
    assert custom.knobs.gm == pytest.approx(tutorial.knobs.gm / 2)
    assert custom.knobs.tau_syn == pytest.approx(2 * tutorial.knobs.tau_syn)


def test_traces_show_events_and_the_read(tutorial):
    x = np.array([[3, 0, 31, 10, 0, 5, 0, 1]] * 2)
    w = np.full((8, 8), 40)
    res = tutorial.run(x, w, noise=False, record_vectors=[1], record_columns=[2, 6])
    (trace,) = res.traces
    assert trace.vector == 1 and trace.columns == (2, 6)
    assert trace.v_mem.shape == (2, trace.time.size)
    assert trace.time[-1] == pytest.approx(trace.t_read)
    assert len(trace.event_times) == 5  # five non-zero inputs, one send
    # the membrane rises over the window and its last point is what the ADC converted
    assert np.all(trace.v_mem[:, -1] > np.nanmin(trace.v_mem, axis=1) + 0.003)
    pat = tutorial.pattern[0]
    x_adc = (trace.v_mem[:, -1] - tutorial.description.analog.adc.v_lo) / pat.adc_lsb[
        [2, 6]
    ] + pat.adc_offset[[2, 6]]
    np.testing.assert_array_equal(trace.code_read, _adc_codes(pat, x_adc, [2, 6]))


def test_large_batches_keep_the_events_of_the_first_vectors_only(tutorial):
    x = np.random.default_rng(0).integers(0, 32, size=(50, 8)).astype(np.int8)
    whole = tutorial.run(x[:20], np.full((8, 4), 10), noise_seed=1)
    for chunk in (1, 7, 16, 50):
        res = tutorial.run(x, np.full((8, 4), 10), noise_seed=1, chunk_size=chunk, keep_events=20)
        assert res.events.n_vectors == 20  # whatever the chunk size
        assert np.array_equal(res.events.timeline.start, whole.events.timeline.start)
        assert np.array_equal(res.events.schedule.ev_time, whole.events.schedule.ev_time)
        assert res.timing.vector_seconds.shape == (50,) and res.energy.per_vector.shape == (50,)
        assert res.timing.cycles == res.timing.vector_cycles.sum()
    assert (
        tutorial.run(x, np.full((8, 4), 10), chunk_size=3).events.n_vectors == 3
    )  # default: a chunk
    assert (
        tutorial.run(x, np.full((8, 4), 10), chunk_size=3, keep_events=4096).events.n_vectors == 50
    )
    with pytest.raises(ValueError, match="keep_events: 0 is out of range; allowed: >= 1"):
        tutorial.run(x, np.full((8, 4), 10), keep_events=0)


def test_tiled_bss2_is_chunking_invariant(bss2):
    rng = np.random.default_rng(8)
    x = rng.integers(0, 32, size=(9, 300))  # 3 input tiles x 2 output tiles = 3 runs of 2 halves
    w = rng.integers(-63, 64, size=(300, 270))
    whole = bss2.run(x, w, noise_seed=4)
    chunked = bss2.run(x, w, noise_seed=4, chunk_size=4, keep_events=9)
    np.testing.assert_array_equal(whole.outputs, chunked.outputs)
    _assert_same_accounting(whole, chunked)
    assert whole.events.n_vectors == chunked.events.n_vectors == 3 * 9  # 3 runs of 9 vectors


@settings(max_examples=25, deadline=None)
@given(
    k=st.integers(1, 20),
    m=st.integers(1, 20),
    batch=st.integers(1, 12),
    chunk=st.integers(1, 12),
    num_sends=st.integers(1, 3),
    wait=st.integers(0, 6),
    data=st.data(),
)
def test_chunking_never_changes_a_result(tutorial, k, m, batch, chunk, num_sends, wait, data):
    x = np.asarray(
        data.draw(
            st.lists(
                st.lists(st.integers(0, 31), min_size=k, max_size=k), min_size=batch, max_size=batch
            )
        )
    )
    w = np.asarray(
        data.draw(
            st.lists(st.lists(st.integers(-63, 63), min_size=m, max_size=m), min_size=k, max_size=k)
        )
    )
    whole = tutorial.run(x, w, num_sends=num_sends, wait_between_events=wait, noise_seed=3)
    parts = tutorial.run(
        x, w, num_sends=num_sends, wait_between_events=wait, noise_seed=3, chunk_size=chunk
    )
    np.testing.assert_array_equal(whole.outputs, parts.outputs)
    _assert_same_accounting(whole, parts)


def _assert_same_accounting(a, b):
    """Timing and energy equal to the last bit (not approximately)."""
    assert np.array_equal(a.timing.vector_cycles, b.timing.vector_cycles)
    assert (a.timing.cycles, a.timing.macs) == (b.timing.cycles, b.timing.macs)
    assert a.timing.seconds == b.timing.seconds
    assert np.array_equal(a.timing.vector_seconds, b.timing.vector_seconds)
    assert a.timing.vectors_per_second == b.timing.vectors_per_second
    assert a.energy.counts == b.energy.counts
    assert a.energy.per_action == b.energy.per_action
    assert a.energy.total == b.energy.total and a.energy.per_mac == b.energy.per_mac
    assert np.array_equal(a.energy.per_vector, b.energy.per_vector)


@settings(max_examples=30, deadline=None)
@given(
    batch=st.integers(1, 40),
    chunk=st.integers(1, 40),
    keep=st.integers(1, 45),
    k=st.sampled_from([5, 8, 13]),
    m=st.sampled_from([3, 8, 11]),
    seed=st.integers(0, 2**32),
)
def test_timing_and_energy_are_bit_identical_for_every_chunk_size(
    tutorial, batch, chunk, keep, k, m, seed
):
    """Noise off and tiles of the tutorial chip (8 x 8 per half): K, M up to 13 x 11 make up to
    4 tiles in 2 runs; each run adds its cycles and counts per vector."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 32, size=(batch, k)) * (rng.random((batch, k)) < 0.7)
    w = rng.integers(-63, 64, size=(k, m))
    sends, wait = int(rng.integers(1, 4)), int(rng.integers(0, 9))
    whole = tutorial.run(x, w, sends, wait, noise=False, keep_events=keep)
    parts = tutorial.run(x, w, sends, wait, noise=False, chunk_size=chunk, keep_events=keep)
    np.testing.assert_array_equal(whole.outputs, parts.outputs)
    _assert_same_accounting(whole, parts)
    runs = whole.events.n_vectors // min(batch, keep)
    assert whole.events.n_vectors == parts.events.n_vectors == runs * min(batch, keep)
    assert np.array_equal(whole.events.timeline.start, parts.events.timeline.start)
    # the integers are the whole truth: seconds and joules are one conversion of them
    t = whole.timing
    assert t.seconds == t.cycles * tutorial.description.cycle_time
    table = whole.energy.table
    assert (
        whole.energy.per_action["event_sent"]
        == whole.energy.counts["event_sent"] * table["event_sent"]
    )


@functools.cache
def _flat_bss2(dt_ns):
    """bss2 with no fixed pattern and an ideal ADC (both halves identical) and integration step
    ``dt_ns``."""
    text = (_tutorial_path().parent / "bss2.yaml").read_text()
    assert "dt: 32 ns" in text and "spatial_gradient: 3 %" in text
    text = text.replace("fixed_pattern_scale: 1.0", "fixed_pattern_scale: 0")
    text = text.replace("spatial_gradient: 3 %", "spatial_gradient: 0 %")
    assert "    inl: 0.3 " in text and "    dnl: 0.1 " in text
    text = text.replace("    inl: 0.3 ", "    inl: 0 ").replace("    dnl: 0.1 ", "    dnl: 0 ")
    return chipsim.Chip(hwdesc.loads(text.replace("dt: 32 ns", f"dt: {dt_ns} ns")), seed=0)


@settings(max_examples=12, deadline=None)
@given(
    k=st.integers(129, 400),
    m=st.integers(1, 5),
    batch=st.integers(1, 6),
    num_sends=st.integers(1, 3),
    wait=st.integers(0, 8),
    dt_ns=st.sampled_from([32, 8, 2]),
    seed=st.integers(0, 2**32 - 1),
)
@example(k=230, m=3, batch=4, num_sends=2, wait=0, dt_ns=32, seed=153282936)  # a one-code flip
def test_tiled_bss2_equals_its_input_tiles_run_one_by_one(
    k, m, batch, num_sends, wait, dt_ns, seed
):
    """Several 128-input tiles on the two halves at once: the halves' event streams are aligned at
    their ends, so the shorter one starts later, on any step or noise-block boundary. Noise off
    and both halves identical, the result is the digital sum of the tiles run one by one: exactly
    where the shift is a whole number of steps (dt 8 and 2 ns: every shift is whole FPGA cycles);
    at dt 32 ns a shift by 1-3 cycles moves the step grid against the events, and the membrane's
    step error (<= 0.05 LSB against a converged reference, docs/kernels.md) may flip an output
    that lies at a rounding threshold by one code (seen: 1 output of 12)."""
    chip = _flat_bss2(dt_ns)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 32, size=(batch, k))
    x[rng.random((batch, k)) < rng.random((batch, 1))] = 0  # a random density per vector
    w = rng.integers(-63, 64, size=(k, m))
    kw = dict(num_sends=num_sends, wait_between_events=wait, noise=False)
    full = chip.run(x, w, **kw).outputs
    by_hand = sum(
        chip.run(x[:, k0 : k0 + 128], w[k0 : k0 + 128], **kw).outputs.astype(np.int64)
        for k0 in range(0, k, 128)
    )
    expected = np.clip(by_hand, -128, 127)
    if dt_ns in (8, 2):
        np.testing.assert_array_equal(full, expected)
    else:
        assert np.abs(full.astype(np.int64) - expected).max() <= 1


def test_traces_carry_the_codes_of_their_own_vector(bss2):
    """Recorded vectors that share their read time with others (same number of events) and
    vectors with other read times: each trace's ADC codes are those of its own vector, so their
    difference is that vector's output."""
    rng = np.random.default_rng(12)
    x = rng.integers(1, 32, size=(10, 40))
    for b in range(10):
        x[b, rng.permutation(40)[: 4 + 6 * (b // 2)]] = 0  # pairs of vectors with equal counts
    w = rng.integers(-63, 64, size=(40, 5))
    vectors = [7, 3, 9, 4]
    res = bss2.run(x, w, noise_seed=5, record_vectors=vectors, record_columns=[4, 1])
    assert len({t.t_read for t in res.traces}) > 1
    assert sorted(t.vector for t in res.traces) == sorted(vectors)
    for t in res.traces:
        np.testing.assert_array_equal(
            t.code_read.astype(int) - t.code_baseline, res.outputs[t.vector, [4, 1]]
        )


@pytest.mark.parametrize("settle_cycles", [10, 41, 44, 47, 100])
def test_an_event_that_starts_exactly_at_the_read_is_refused(settle_cycles):
    """Link and driver latency equal to the wait after the events phase (a slow link, wait 0):
    the last event starts exactly at the read, whatever the rounding of its time in seconds
    (for some lengths of the settling wait it lands 1e-22 s before the read)."""
    text = _tutorial_path().read_text().replace("link_latency: 16 ns", "link_latency: 168 ns")
    text = text.replace(
        "{name: settle_reset, kind: wait, duration: 80 ns}",
        f"{{name: settle_reset, kind: wait, duration: {8 * settle_cycles} ns}}",
    )
    chip = chipsim.Chip(hwdesc.loads(text), seed=0)
    x = np.zeros((1, 8), dtype=int)
    x[0, 0] = 7
    with pytest.raises(ValueError, match="after the ADC read"):
        chip.run(x, np.full((8, 2), 10), wait_between_events=0, noise=False)
