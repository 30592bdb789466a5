"""Property tests: the vectorized engine and the SimPy model give identical schedules and
timelines on random chips, batches, num_sends and waits; invariants of the link hold."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventsim

EVENT_FIELDS = ("vector", "send", "half", "row", "activation", "request", "departure", "arrival")


@st.composite
def scenarios(draw, base):
    """A random variant of the tutorial chip and a batch for it."""
    ct = base.cycle_time
    halves = draw(st.integers(1, 3))
    io = base.io.model_copy(
        update={
            "event_slot_period": draw(st.integers(1, 4)) * ct,
            "events_per_slot": draw(st.integers(1, 3)),
            "link_latency": draw(st.integers(0, 6)) * ct,
            "driver_latency": draw(st.floats(0, 50e-9)),
        }
    )
    phases = [
        p
        if p.duration is None
        else p.model_copy(update={"duration": draw(st.integers(0, 12)) * ct})
        for p in base.schedule.phases
    ]
    chip = base.model_copy(
        update={
            "io": io,
            "geometry": base.geometry.model_copy(update={"halves": halves}),
            "schedule": base.schedule.model_copy(update={"phases": phases}),
            "formats": base.formats.model_copy(
                update={"zero_input_sends_event": draw(st.booleans())}
            ),
        }
    )
    batch = draw(st.integers(1, 4))
    k = draw(st.integers(1, 8))
    density = draw(st.sampled_from([0.0, 0.2, 0.6, 1.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 32, size=(batch, halves, k)) * (rng.random((batch, halves, k)) < density)
    return chip, x.astype(np.int32), draw(st.integers(1, 3)), draw(st.integers(0, 6))


def check_invariants(chip, run, wait):
    s, tl = run.schedule, run.timeline
    prog = eventsim.Program.from_chip(chip)
    ev = prog.events_index
    assert np.array_equal(s.arrival - s.departure, np.full(s.n_events, prog.link_latency))
    assert (s.departure >= s.request).all()
    ev_start = tl.start[s.vector, ev]
    assert ((s.departure - ev_start) % prog.slot_period == 0).all()  # on the slot grid
    assert (s.departure < tl.end[s.vector, ev]).all()  # sent within the events phase
    # no slot carries more than events_per_slot events, nor two events of one half
    slots, per_slot = np.unique(s.departure, return_counts=True)
    assert per_slot.max(initial=0) <= prog.events_per_slot
    assert len(np.unique(np.stack([s.departure, s.half]), axis=1).T) == s.n_events
    # within a half, times strictly increase (CSR slices sorted by time)
    for b in range(run.n_vectors):
        for h in range(prog.halves):
            t = s.ev_time[s.events_of(b, h)]
            assert (np.diff(t) > 0).all()
    # the timeline is contiguous and the events phase at least its nominal length
    assert np.array_equal(tl.start[:, 1:], tl.end[:, :-1])
    assert np.array_equal(tl.start[1:, 0], tl.end[:-1, -1])
    n_pos = np.bincount(s.vector * prog.halves + s.half, minlength=run.n_vectors * prog.halves)
    n_pos = n_pos.reshape(run.n_vectors, prog.halves).max(axis=1)
    assert (tl.end[:, ev] - tl.start[:, ev] >= n_pos * wait).all()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fast_and_simpy_give_identical_schedules(tutorial, data):
    chip, x, num_sends, wait = data.draw(scenarios(tutorial))
    fast = eventsim.simulate(chip, x, num_sends=num_sends, wait_between_events=wait, engine="fast")
    slow = eventsim.simulate(chip, x, num_sends=num_sends, wait_between_events=wait, engine="simpy")
    for field in EVENT_FIELDS:
        a, b = getattr(fast.schedule, field), getattr(slow.schedule, field)
        assert a.dtype == b.dtype and np.array_equal(a, b), field
    assert np.array_equal(fast.timeline.start, slow.timeline.start)
    assert np.array_equal(fast.timeline.end, slow.timeline.end)
    assert np.array_equal(fast.schedule.ev_ptr, slow.schedule.ev_ptr)
    assert np.array_equal(fast.schedule.ev_time, slow.schedule.ev_time)
    assert np.array_equal(fast.schedule.t_read, slow.schedule.t_read)
    check_invariants(chip, fast, wait)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_uncongested_link_keeps_the_nominal_schedule(tutorial, data):
    # When the wait is a multiple of the slot period and a slot carries all halves' events,
    # no event waits and every vector takes exactly chip.vector_cycles.
    chip, x, num_sends, _ = data.draw(scenarios(tutorial))
    period = eventsim.Program.from_chip(chip).slot_period
    wait = period * data.draw(st.integers(1, 3))
    chip = chip.model_copy(
        update={"io": chip.io.model_copy(update={"events_per_slot": chip.geometry.halves})}
    )
    run = eventsim.simulate(chip, x, num_sends=num_sends, wait_between_events=wait)
    assert int(run.schedule.queueing.max(initial=0)) == 0
    active = np.ones(x.shape, bool) if chip.formats.zero_input_sends_event else x != 0
    n = active.sum(axis=2).max(axis=1)
    expected = [chip.vector_cycles(int(v), num_sends, wait) for v in n]
    assert run.timing.vector_cycles.tolist() == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_splitting_a_batch_never_changes_the_result(tutorial, data):
    chip, x, num_sends, wait = data.draw(scenarios(tutorial))
    cut = data.draw(st.integers(0, x.shape[0]))
    whole = eventsim.simulate(chip, x, num_sends=num_sends, wait_between_events=wait)
    parts = [
        eventsim.simulate(chip, part, num_sends=num_sends, wait_between_events=wait)
        for part in (x[:cut], x[cut:])
        if len(part)
    ]
    joined = eventsim.concatenate(parts)
    for field in EVENT_FIELDS + ("ev_ptr", "ev_time", "t_read"):
        assert np.array_equal(getattr(joined.schedule, field), getattr(whole.schedule, field)), (
            field
        )
    assert np.array_equal(joined.timeline.start, whole.timeline.start)
    assert np.array_equal(joined.timeline.end, whole.timeline.end)
    for action in eventsim.ACTIONS:
        assert np.array_equal(joined.counts[action], whole.counts[action])
    assert joined.timing.seconds == whole.timing.seconds
    assert joined.energy.total == whole.energy.total
    assert np.array_equal(joined.energy.per_vector, whole.energy.per_vector)
