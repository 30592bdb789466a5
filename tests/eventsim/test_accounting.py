"""Action counts, timing, energy and sequential runs."""

from __future__ import annotations

import numpy as np
import pytest

import eventsim


def test_counts_of_one_tutorial_vector(tutorial, vector):
    # half 0 rows 1, 2, 4 and half 1 rows 0, 7 send; 2 sends -> 10 events.
    x = vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9])
    w = np.zeros((2, 8, 3), np.int32)
    w[0, 1] = [1, -2, 0]  # 2 non-zero in row 1 of half 0
    w[0, 4] = [0, 0, 63]  # 1
    w[1, 7] = [5, 5, 5]  # 3
    w[1, 3] = [1, 1, 1]  # row 3 of half 1 sends no event: not counted
    run = eventsim.simulate(tutorial, x, w, num_sends=2, wait_between_events=5)
    c = {a: run.counts[a].tolist() for a in eventsim.ACTIONS}
    assert c["event_sent"] == [10]
    assert c["synapse_activation"] == [2 * (2 + 0 + 1 + 0 + 3)]
    # 2 adc_read and 2 reset phases, 8 columns x 2 halves; one transfer of 8 outputs x 2 halves x 1 byte
    assert c["adc_conversion"] == [2 * 16]
    assert c["reset"] == [2 * 16]
    assert c["byte_transferred"] == [16]
    assert run.macs.tolist() == [2 * 8 * 3]
    # a boolean mask gives the same counts
    mask = eventsim.simulate(tutorial, x, w != 0, num_sends=2, wait_between_events=5)
    assert mask.counts["synapse_activation"].tolist() == c["synapse_activation"]


def test_energy_is_counts_times_table_plus_static(tutorial, vector):
    run = eventsim.simulate(
        tutorial, vector([0, 5, 31, 0, 7], []), num_sends=2, wait_between_events=5
    )
    e = run.energy
    t = tutorial.energy
    # 6 events, 6 x 8 synapse activations (dense default), 32 conversions, 32 resets, 16 bytes, 80 cycles
    expected = {
        "event_sent": 6 * t.event_sent,
        "synapse_activation": 48 * t.synapse_activation,
        "adc_conversion": 32 * t.adc_conversion,
        "reset": 32 * t.reset,
        "byte_transferred": 16 * t.byte_transferred,
        "static": t.static_power * 80 * 8e-9,
    }
    assert e.per_action == pytest.approx(expected, rel=1e-12)
    assert e.total == pytest.approx(sum(expected.values()), rel=1e-12)
    assert e.per_vector.tolist() == pytest.approx([e.total], rel=1e-12)
    assert e.per_mac == pytest.approx(e.total / (2 * 8 * 8), rel=1e-12)
    assert e.provenance == t.provenance
    assert e.counts == {
        "event_sent": 6,
        "synapse_activation": 48,
        "adc_conversion": 32,
        "reset": 32,
        "byte_transferred": 16,
    }
    assert e.table["static_power"] == t.static_power


def test_timing_of_a_batch(tutorial, vector):
    x = np.concatenate([vector([0, 5, 31, 0, 7], []), vector([1] * 8, [])])
    run = eventsim.simulate(tutorial, x, wait_between_events=5, macs_per_vector=100)
    t = run.timing
    assert t.vector_cycles.tolist() == [65, 90]
    assert t.cycles == 155 and t.vectors == 2 and t.macs == 200
    # vectors follow each other: the batch is the sum of its vectors
    assert run.timeline.vector_end[-1] - run.timeline.vector_start[0] == 155
    assert t.seconds == 155 * 8e-9  # converted once, from the integer count
    assert t.vector_seconds.tolist() == [65 * 8e-9, 90 * 8e-9]
    assert t.vectors_per_second == pytest.approx(2 / (155 * 8e-9))
    assert t.macs_per_second == pytest.approx(200 / (155 * 8e-9))


def test_concatenated_runs_follow_each_other(tutorial, vector):
    # two tile pairs of the same vector, one after the other
    a = eventsim.simulate(tutorial, vector([0, 5, 31, 0, 7], []), wait_between_events=5)
    b = eventsim.simulate(tutorial, vector([3, 3], [4]), num_sends=2, wait_between_events=1)
    both = eventsim.concatenate([a, b])
    assert both.n_vectors == 2
    assert both.timeline.vector_start.tolist() == [0, 65]
    assert both.schedule.vector.tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert np.array_equal(both.schedule.arrival[3:], b.schedule.arrival + 65)
    assert both.schedule.ev_ptr.tolist() == [0, 3, 3, 7, 9]
    assert np.array_equal(
        both.schedule.ev_time, np.concatenate([a.schedule.ev_time, b.schedule.ev_time])
    )
    assert both.num_sends.tolist() == [1, 2] and both.wait_between_events.tolist() == [5, 1]
    assert both.timing.cycles == a.timing.cycles + b.timing.cycles
    assert both.energy.total == pytest.approx(a.energy.total + b.energy.total, rel=1e-12)
    assert "num_sends 1..2" in eventsim.format_report(both)


def test_report_shows_time_throughput_energy_and_provenance(bss2):
    run = eventsim.simulate(bss2, np.full((1, 2, 128), 9, np.int32))
    text = eventsim.format_report(run)
    assert "chip 'bss2': 1 vector(s), num_sends 1, wait_between_events 5 cycles" in text
    assert "time per vector   43.17 us (5396 cycles)" in text
    assert "23.17 kvectors/s, 1.518 GMAC/s (65536 MAC per vector)" in text
    assert "per MAC" in text and "static" in text
    for action in eventsim.ACTIONS:
        assert action in text
    assert bss2.energy.provenance in text


def test_timeline_table(tutorial, vector):
    run = eventsim.simulate(
        tutorial, vector([0, 5, 31, 0, 7], []), num_sends=2, wait_between_events=1
    )
    lines = eventsim.format_timeline(run).splitlines()
    assert len(lines) == 1 + 9 + 1
    assert lines[6].split() == ["0", "event_phase", "events", "22", "34", "12", "96", "ns"]
    assert lines[7].split()[:2] == ["6", "events,"]
    assert "arrivals 24..34, queueing up to 5 cycles" in lines[7]
    assert lines[-1].split()[:6] == ["0", "transfer", "transfer", "54", "62", "8"]
    with pytest.raises(ValueError, match=r"max_vectors: 0 is out of range; allowed: >= 1"):
        eventsim.format_timeline(run, 0)
