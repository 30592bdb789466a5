"""Trace export: valid Chrome/Perfetto trace-event JSON with the expected tracks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import eventsim

PHASES = {"X", "i", "C", "M"}


def load_valid(path):
    data = json.loads(path.read_text())
    assert isinstance(data["traceEvents"], list)
    for e in data["traceEvents"]:
        assert e["ph"] in PHASES
        assert (
            isinstance(e["name"], str) and isinstance(e["pid"], int) and isinstance(e["tid"], int)
        )
        if e["ph"] != "M":
            assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0
        if e["ph"] == "X":
            assert e["dur"] >= 0
        if e["ph"] == "i":
            assert e["s"] in ("t", "p", "g")
        if e["ph"] == "C":
            assert all(isinstance(v, (int, float)) for v in e["args"].values())
    return data


def names(data, kind):
    return {
        (e["pid"], e["tid"]): e["args"]["name"]
        for e in data["traceEvents"]
        if e["ph"] == "M" and e["name"] == kind
    }


def test_trace_file_has_the_expected_tracks(tutorial, vector, tmp_path):
    x = np.concatenate([vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9])] * 3)
    run = eventsim.simulate(tutorial, x, num_sends=2, wait_between_events=1)
    path = tmp_path / "trace.json"
    assert eventsim.write_trace(run, path, max_vectors=2) == str(path)
    data = load_valid(path)
    events = data["traceEvents"]
    procs = set(names(data, "process_name").values())
    assert {
        "phase program",
        "link",
        "energy",
        "half 0 synapse drivers",
        "half 1 synapse drivers",
    } <= procs
    threads = names(data, "thread_name")
    assert {"row 1", "row 2", "row 4", "row 0", "row 7"} == {
        v for (p, _), v in threads.items() if p >= 10
    }
    # only the first 2 vectors: 2 vector slices with 9 phase slices each
    slices = [e for e in events if e["ph"] == "X" and e["pid"] == 1]
    assert [e["name"] for e in slices if e["cat"] == "vector"] == ["vector 0", "vector 1"]
    assert len(slices) == 2 * (1 + 9)
    ev = [e for e in slices if e["name"] == "event_phase"][0]
    assert ev["ts"] == pytest.approx(22 * 8e-3) and ev["dur"] == pytest.approx(
        run.timeline.end[0, 5] * 8e-3 - 22 * 8e-3
    )
    # one instant per pulse of the exported vectors, at pulse start, on its half/row track
    instants = [e for e in events if e["ph"] == "i"]
    assert len(instants) == int(run.schedule.ev_ptr[4])
    first = instants[0]
    assert (first["pid"], first["tid"]) == (10, 1)
    assert first["ts"] == pytest.approx((run.schedule.arrival[0] * 8e-9 + 8e-9) * 1e6)
    # the link is congested at wait 1: the queue counter rises and falls back to 0
    queue = [e for e in events if e["ph"] == "C" and e["name"] == "link queue half 0 (events)"]
    assert queue and max(e["args"]["events"] for e in queue) >= 1
    assert queue[-1]["args"]["events"] == 0
    assert all(a["ts"] < b["ts"] for a, b in zip(queue, queue[1:]))
    # the energy counter grows to the energy of the exported vectors
    counters = [e for e in events if e["ph"] == "C" and e["pid"] == 3]
    assert len(counters) == 3
    assert sum(counters[-1]["args"].values()) == pytest.approx(
        run.energy.per_vector[:2].sum() * 1e6
    )
    assert data["otherData"]["vectors_exported"] == 2 and data["otherData"]["vectors_total"] == 3


def test_trace_of_all_vectors(tutorial, vector):
    run = eventsim.simulate(tutorial, np.concatenate([vector([1], [])] * 20))
    data = eventsim.trace_events(run, max_vectors=None)
    assert data["otherData"]["vectors_exported"] == 20
    json.dumps(data)  # serializable
