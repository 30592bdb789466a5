"""Scenario tests: exact event logs and phase boundaries, worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import eventsim

ENGINES = ("fast", "simpy")

# The tutorial chip in cycles (8 ns each): phases reset_baseline 0, settle_baseline 12,
# baseline_read 0, reset_integration 0, settle_reset 10, event_phase (computed),
# post_events 20, read 0, transfer 8. So the events phase of the first vector starts at
# 12 + 10 = 22 and the integration origin (reset_integration) is cycle 12.
# Link: a slot every 2 cycles relative to the events-phase start, 2 events per slot,
# latency 2 cycles; driver latency 8 ns.
NAMES = (
    "reset_baseline",
    "settle_baseline",
    "baseline_read",
    "reset_integration",
    "settle_reset",
    "event_phase",
    "post_events",
    "read",
    "transfer",
)


def boundaries(ev_end):
    """Phase (start, end) of one tutorial vector whose events phase [22, ev_end) ends at ev_end."""
    start = [0, 0, 12, 12, 12, 22, ev_end, ev_end + 20, ev_end + 20]
    end = [0, 12, 12, 12, 22, ev_end, ev_end + 20, ev_end + 20, ev_end + 28]
    return start, end


@pytest.mark.parametrize("engine", ENGINES)
def test_tutorial_wait5_two_sends_exact_log(tutorial, vector, engine):
    # half 0 = [0, 5, 31, 0, 7, 0, 0, 0]: rows 1, 2, 4 send; num_sends 2 -> 6 events, half 1 none.
    run = eventsim.simulate(
        tutorial, vector([0, 5, 31, 0, 7], []), num_sends=2, wait_between_events=5, engine=engine
    )
    s = run.schedule
    assert s.row.tolist() == [1, 2, 4, 1, 2, 4]
    assert s.send.tolist() == [0, 0, 0, 1, 1, 1]
    assert s.activation.tolist() == [5, 31, 7, 5, 31, 7]
    assert s.half.tolist() == [0] * 6
    # event j is requested at 22 + 5 j
    assert s.request.tolist() == [22, 27, 32, 37, 42, 47]
    # slots at 22 + 2 k: requests at offsets 0, 5, 10, 15, 20, 25 take slots 0, 3, 5, 8, 10, 13,
    # i.e. offsets 0, 6, 10, 16, 20, 26 (odd requests wait one cycle for the next slot)
    assert s.departure.tolist() == [22, 28, 32, 38, 42, 48]
    assert s.arrival.tolist() == [24, 30, 34, 40, 44, 50]  # + link latency 2
    # events phase: max(nominal 6 x 5 = 30, end of last slot (13 + 1) x 2 = 28) = 30 -> [22, 52)
    start, end = boundaries(52)
    assert run.timeline.names == NAMES
    assert run.timeline.start[0].tolist() == start
    assert run.timeline.end[0].tolist() == end
    assert run.timing.vector_cycles.tolist() == [80]
    # kernel view: pulse = (arrival - 12) x 8 ns + 8 ns; read at (72 - 12) x 8 ns; baseline 12 x 8 ns
    np.testing.assert_allclose(
        s.ev_time, np.array([104, 152, 184, 232, 264, 312]) * 1e-9, rtol=0, atol=1e-18
    )
    np.testing.assert_allclose(s.t_read, [480e-9], rtol=0, atol=1e-18)
    assert s.t_baseline == pytest.approx(96e-9, abs=1e-18)
    # the integration reset follows the baseline read at once: the gap is the baseline window
    assert s.t_gap == pytest.approx(96e-9, abs=1e-18)
    assert s.ev_ptr.tolist() == [0, 6, 6]


@pytest.mark.parametrize("engine", ENGINES)
def test_tutorial_link_limited_wait1_shows_queueing(tutorial, vector, engine):
    # Same input at wait 1: 6 requests at 22..27, but a slot only every 2 cycles.
    run = eventsim.simulate(
        tutorial, vector([0, 5, 31, 0, 7], []), num_sends=2, wait_between_events=1, engine=engine
    )
    s = run.schedule
    assert s.request.tolist() == [22, 23, 24, 25, 26, 27]
    # slot[p] = max(ceil(offset / 2), slot[p - 1] + 1) = 0, 1, 2, 3, 4, 5 -> one slot each, back to back
    assert s.departure.tolist() == [22, 24, 26, 28, 30, 32]
    assert s.queueing.tolist() == [0, 1, 2, 3, 4, 5]
    assert s.arrival.tolist() == [24, 26, 28, 30, 32, 34]
    # events phase: max(nominal 6 x 1 = 6, end of last slot (5 + 1) x 2 = 12) = 12 -> [22, 34);
    # the vector takes 62 cycles instead of the nominal 56: the queueing delay is in the timeline
    start, end = boundaries(34)
    assert run.timeline.start[0].tolist() == start
    assert run.timeline.end[0].tolist() == end
    assert run.timing.vector_cycles.tolist() == [62]
    assert tutorial.vector_cycles(6, 1, 1) == 56
    np.testing.assert_allclose(run.schedule.t_read, [(54 - 12) * 8e-9], rtol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_tutorial_halves_share_slots_aligned_at_the_end(tutorial, vector, engine):
    # half 0: rows 1, 2, 4 (3 events); half 1: rows 0, 7 (2 events) starts one position later,
    # so the i-th events from the end share a position (and a slot): positions
    #   0: h0 row 1 | 1: h0 row 2 + h1 row 0 | 2: h0 row 4 + h1 row 7
    run = eventsim.simulate(
        tutorial,
        vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9]),
        wait_between_events=5,
        engine=engine,
    )
    s = run.schedule
    assert s.half.tolist() == [0, 0, 0, 1, 1]
    assert s.row.tolist() == [1, 2, 4, 0, 7]
    assert s.request.tolist() == [22, 27, 32, 27, 32]
    assert s.departure.tolist() == [22, 28, 32, 28, 32]
    assert s.arrival.tolist() == [24, 30, 34, 30, 34]
    assert s.ev_ptr.tolist() == [0, 3, 5]
    # nominal 3 x 5 = 15 > last slot end (5 + 1) x 2 = 12
    assert run.timeline.end[0, 5] == 37
    # the last event of each half is equally far from the read
    last = [s.ev_time[s.events_of(0, h)][-1] for h in (0, 1)]
    assert last[0] == last[1]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_event_per_slot_splits_pairs(tutorial, vector, engine):
    # With events_per_slot 1, the pair at a position needs two slots (half 0 first).
    chip = tutorial.model_copy(update={"io": tutorial.io.model_copy(update={"events_per_slot": 1})})
    run = eventsim.simulate(
        chip,
        vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9]),
        wait_between_events=5,
        engine=engine,
    )
    s = run.schedule
    # packets in FIFO order: (pos 0, h0) (pos 1, h0) (pos 1, h1) (pos 2, h0) (pos 2, h1), requested at
    # offsets 0, 5, 5, 10, 10 -> slots max(ceil(r / 2), previous + 1) = 0, 3, 4, 5, 6
    assert s.departure.tolist() == [22 + 0, 22 + 6, 22 + 10, 22 + 8, 22 + 12]
    # events phase: max(15, (6 + 1) x 2 = 14) = 15
    assert run.timeline.end[0, 5] == 37


@pytest.mark.parametrize("engine", ENGINES)
def test_vectors_run_back_to_back(tutorial, vector, engine):
    x = np.concatenate([vector([0, 5, 31, 0, 7], []), vector([], []), vector([1] * 8, [1] * 8)])
    run = eventsim.simulate(tutorial, x, wait_between_events=5, engine=engine)
    tl = run.timeline
    # vector 0: 3 events, 15 cycles of events -> 22 + 15 + 28 = 65; vector 1: no events, 50
    # cycles; vector 2: 8 pairs -> 40 cycles of events -> 90
    assert tl.vector_cycles.tolist() == [65, 50, 90]
    assert tl.vector_start.tolist() == [0, 65, 115]
    assert np.array_equal(tl.start[1:, 0], tl.end[:-1, -1])
    # vector 2's first events depart at its events phase start 115 + 22
    assert run.schedule.departure[run.schedule.events_of(2, 0)][0] == 137
    # t_read is relative to each vector's own origin and follows its events phase
    np.testing.assert_allclose(
        run.schedule.t_read, np.array([10 + 15 + 20, 10 + 20, 10 + 40 + 20]) * 8e-9
    )


def test_zero_input_sends_event_when_the_chip_says_so(tutorial, vector):
    chip = tutorial.model_copy(
        update={"formats": tutorial.formats.model_copy(update={"zero_input_sends_event": True})}
    )
    run = eventsim.simulate(chip, vector([0, 5], []), wait_between_events=5)
    assert run.schedule.ev_ptr.tolist() == [0, 8, 16]
    assert run.schedule.activation[:2].tolist() == [0, 5]


def test_bss2_full_vector_at_wait5_is_about_43us(bss2):
    x = np.full((1, 2, 128), 17, np.int32)
    for engine in ENGINES:
        run = eventsim.simulate(bss2, x, wait_between_events=5, engine=engine)
        seconds = float(run.timing.vector_seconds[0])
        assert abs(seconds - 43e-6) <= 0.02 * 43e-6
        # without congestion the simulation keeps the nominal schedule exactly: 38.048 us + 640 cycles
        assert run.timing.vector_cycles[0] == bss2.vector_cycles(128, 1, 5) == 5396
        assert int(run.schedule.queueing.max()) == 0
        assert run.timing.macs_per_second == pytest.approx(2 * 128 * 256 / 43.168e-6)


def test_half_csr_is_the_per_half_view(tutorial, vector):
    x = np.concatenate(
        [vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9]), vector([], [4]), vector([1], [])]
    )
    s = eventsim.simulate(tutorial, x, wait_between_events=5).schedule
    ptr, row, act, time = s.half_csr(1)
    assert ptr.tolist() == [0, 2, 3, 3]
    assert row.tolist() == [0, 7, 0] and act.tolist() == [2, 9, 4]
    assert np.array_equal(time[0:2], s.ev_time[s.events_of(0, 1)])
    assert np.array_equal(time[2:3], s.ev_time[s.events_of(1, 1)])
    assert s.half_csr(0)[0].tolist() == [0, 3, 3, 4]
    with pytest.raises(ValueError, match=r"half: 2 is out of range; allowed: 0\.\.1"):
        s.half_csr(2)


def test_timeline_phase_by_name(tutorial):
    chip = tutorial
    x = np.zeros((1, 2, 8), np.int32)
    x[0, 0, :5] = [0, 5, 31, 0, 7]
    run = eventsim.simulate(chip, x, num_sends=2, wait_between_events=5)
    start, end = run.timeline.phase("event_phase")
    assert (start.tolist(), end.tolist()) == ([22], [52])  # 3 events x 2 sends x 5 cycles from 22
    with pytest.raises(ValueError, match="no phase named 'nope'; phases: reset_baseline"):
        run.timeline.phase("nope")
