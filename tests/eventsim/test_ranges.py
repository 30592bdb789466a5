"""The proven ranges of the schedule arithmetic: the vector bound holds on real schedules, and
the largest wait_between_events / num_sends the chip allows are exactly the boundary."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eventsim
from eventsim import Program
from eventsim.schedule import (
    BATCH_CYCLES_MAX,
    VECTOR_CYCLES_MAX,
    check_ranges,
    max_num_sends,
    max_wait,
    vector_cycles_bound,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), sends=st.integers(1, 4), wait=st.integers(0, 40), batch=st.integers(1, 6))
def test_vector_bound_holds_on_simulated_schedules(tutorial, bss2, data, sends, wait, batch):
    chip = data.draw(st.sampled_from([tutorial, bss2]))
    prog = Program.from_chip(chip)
    k = prog.inputs_per_tile
    x = np.asarray(
        data.draw(
            st.lists(
                st.integers(0, 31),
                min_size=batch * prog.halves * k,
                max_size=batch * prog.halves * k,
            )
        )
    ).reshape(batch, prog.halves, k)
    run = eventsim.simulate(chip, x, num_sends=sends, wait_between_events=wait)
    bound = vector_cycles_bound(prog, k, sends, wait)
    assert int(run.timeline.vector_cycles.max()) + prog.link_latency <= bound
    # every arrival lies within its vector plus the link latency
    s = run.schedule
    vec_end = run.timeline.vector_end[s.vector]
    assert (s.arrival <= vec_end + prog.link_latency).all()


def test_bss2_bounds_are_the_boundary(bss2):
    prog = Program.from_chip(bss2)
    top = max_wait(prog, 1)
    assert top == 8_589_934_552
    assert (
        vector_cycles_bound(prog, 128, 1, top)
        <= VECTOR_CYCLES_MAX
        < vector_cycles_bound(prog, 128, 1, top + 1)
    )
    assert check_ranges(prog, "bss2", 1, 1, top) <= VECTOR_CYCLES_MAX
    with pytest.raises(
        ValueError, match=re.escape(f"wait_between_events(={top + 1}) is too large for chip 'bss2'")
    ) as err:
        check_ranges(prog, "bss2", 1, 1, top + 1)
    assert f"allowed: wait_between_events <= {top} at num_sends=1" in str(err.value)
    sends = max_num_sends(prog, 5)
    assert (
        vector_cycles_bound(prog, 128, sends, 5)
        <= VECTOR_CYCLES_MAX
        < vector_cycles_bound(prog, 128, sends + 1, 5)
    )
    with pytest.raises(
        ValueError, match=re.escape(f"allowed at wait_between_events=5: num_sends <= {sends}")
    ):
        check_ranges(prog, "bss2", 1, sends + 1, 5)


def test_batch_bound_names_the_batch(bss2):
    prog = Program.from_chip(bss2)
    per_vector = vector_cycles_bound(prog, 128, 1, 10**9)
    most = BATCH_CYCLES_MAX // per_vector
    check_ranges(prog, "bss2", most, 1, 10**9)
    with pytest.raises(ValueError, match=re.escape(f"simulate at most {most} vectors at a time")):
        check_ranges(prog, "bss2", most + 1, 1, 10**9)


@pytest.mark.parametrize("wait", [2**50, 2**60, 10**30])
def test_huge_waits_are_refused_before_any_arithmetic(tutorial, wait):
    x = np.ones((1, 2, 8), np.int32)
    with pytest.raises(
        ValueError,
        match=re.escape(f"wait_between_events(={wait}) is too large for chip 'tutorial'"),
    ):
        eventsim.simulate(tutorial, x, wait_between_events=wait)
