"""Export of a run as Chrome/Perfetto trace-event JSON (opens in ui.perfetto.dev and chrome://tracing)."""

from __future__ import annotations

import json
import os

import numpy as np

from hwdesc import rules

from .run import ACTIONS, EventRun

PROGRAM_PID = 1
LINK_PID = 2
ENERGY_PID = 3
DRIVER_PID = 10
"""Half ``h``'s synapse drivers are process ``DRIVER_PID + h``; row ``r`` is thread ``r``."""


def _meta(kind: str, pid: int, name: str, tid: int = 0) -> dict:
    return {"ph": "M", "name": kind, "pid": pid, "tid": tid, "args": {"name": name}}


def trace_events(run: EventRun, max_vectors: int | None = 16) -> dict:
    """The trace of ``run`` as a trace-event JSON object (a dict with ``traceEvents``).

    Timestamps are microseconds from the batch start. Tracks:

    - process "phase program", thread "vectors": a complete (``"X"``) slice per vector with
      its phases nested inside (zero-length phases are slices of duration 0);
    - process "link": a counter (``"C"``) ``link queue half h (events)``, the events of half
      ``h`` waiting for a link slot, at every change (none if the link keeps up; a counter and
      not a slice per event, because the waits of successive events overlap without nesting);
    - process "half h synapse drivers", thread "row r": an instant (``"i"``) event at each
      pulse start (arrival + driver latency), with vector, send and activation as args;
    - process "energy": a counter (``"C"``) ``energy (uJ)`` with the cumulative energy per
      action at the start and at the end of every vector.

    Only the first ``max_vectors`` vectors are exported (``None``: all); a batch of thousands
    of vectors would otherwise make a file too large to open. ``otherData`` records how many
    were exported.
    """
    if not isinstance(run, EventRun):
        raise TypeError(
            f"run must be an EventRun (see eventsim.simulate), got {type(run).__name__}"
        )
    B = run.n_vectors
    n = B if max_vectors is None else min(B, rules.integer(max_vectors, "max_vectors", 1))
    tl, s = run.timeline, run.schedule
    us = run.cycle_time * 1e6
    H = s.halves
    out: list[dict] = [
        _meta("process_name", PROGRAM_PID, "phase program"),
        _meta("thread_name", PROGRAM_PID, "vectors"),
        _meta("process_name", LINK_PID, "link"),
        _meta("process_name", ENERGY_PID, "energy"),
    ]
    for h in range(H):
        out.append(_meta("process_name", DRIVER_PID + h, f"half {h} synapse drivers"))
        out.append(
            {
                "ph": "M",
                "name": "process_sort_index",
                "pid": DRIVER_PID + h,
                "tid": 0,
                "args": {"sort_index": DRIVER_PID + h},
            }
        )

    for b in range(n):
        v0, v1 = int(tl.start[b, 0]), int(tl.end[b, -1])
        out.append(
            {
                "ph": "X",
                "name": f"vector {b}",
                "cat": "vector",
                "pid": PROGRAM_PID,
                "tid": 0,
                "ts": v0 * us,
                "dur": (v1 - v0) * us,
                "args": {"vector": b, "cycles": v1 - v0},
            }
        )
        for p, (name, kind) in enumerate(zip(tl.names, tl.kinds)):
            p0, p1 = int(tl.start[b, p]), int(tl.end[b, p])
            out.append(
                {
                    "ph": "X",
                    "name": name,
                    "cat": kind,
                    "pid": PROGRAM_PID,
                    "tid": 0,
                    "ts": p0 * us,
                    "dur": (p1 - p0) * us,
                    "args": {"vector": b, "start_cycle": p0, "end_cycle": p1},
                }
            )

    stop = int(s.ev_ptr[n * H])
    rows_seen: set[tuple[int, int]] = set()
    # pulse start (absolute) = integration origin of its vector + ev_time
    reset = _integration_reset_index(tl)
    pulse_us = (tl.start[s.vector[:stop], reset] * run.cycle_time + s.ev_time[:stop]) * 1e6
    for i in range(stop):
        h, r = int(s.half[i]), int(s.row[i])
        if (h, r) not in rows_seen:
            rows_seen.add((h, r))
            out.append(_meta("thread_name", DRIVER_PID + h, f"row {r}", tid=r))
        out.append(
            {
                "ph": "i",
                "s": "t",
                "name": f"a={int(s.activation[i])}",
                "cat": "event",
                "pid": DRIVER_PID + h,
                "tid": r,
                "ts": float(pulse_us[i]),
                "args": {
                    "vector": int(s.vector[i]),
                    "send": int(s.send[i]),
                    "activation": int(s.activation[i]),
                    "arrival_cycle": int(s.arrival[i]),
                    "queued_cycles": int(s.departure[i] - s.request[i]),
                },
            }
        )
    waits = s.departure[:stop] > s.request[:stop]
    for h in np.unique(s.half[:stop][waits]):
        sel = waits & (s.half[:stop] == h)
        times = np.concatenate([s.request[:stop][sel], s.departure[:stop][sel]])
        steps = np.concatenate([np.ones(sel.sum(), np.int64), -np.ones(sel.sum(), np.int64)])
        order = np.lexsort((steps, times))
        depth, times = np.cumsum(steps[order]), times[order]
        last = np.r_[times[1:] != times[:-1], True]
        for t, d in zip(times[last], depth[last]):
            out.append(
                {
                    "ph": "C",
                    "name": f"link queue half {int(h)} (events)",
                    "pid": LINK_PID,
                    "tid": 0,
                    "ts": int(t) * us,
                    "args": {"events": int(d)},
                }
            )

    table = run.energy_table
    cumulative = dict.fromkeys(ACTIONS + ("static",), 0.0)
    out.append(
        {
            "ph": "C",
            "name": "energy (uJ)",
            "pid": ENERGY_PID,
            "tid": 0,
            "ts": int(tl.start[0, 0]) * us,
            "args": dict(cumulative),
        }
    )
    for b in range(n):
        for a in ACTIONS:
            cumulative[a] += float(run.counts[a][b]) * table[a] * 1e6
        cumulative["static"] += (
            table["static_power"] * float(tl.end[b, -1] - tl.start[b, 0]) * run.cycle_time * 1e6
        )
        out.append(
            {
                "ph": "C",
                "name": "energy (uJ)",
                "pid": ENERGY_PID,
                "tid": 0,
                "ts": int(tl.end[b, -1]) * us,
                "args": dict(cumulative),
            }
        )
    return {
        "traceEvents": out,
        "displayTimeUnit": "ns",
        "otherData": {
            "chip": run.chip_name,
            "vectors_exported": n,
            "vectors_total": B,
            "cycle_time_s": run.cycle_time,
            "energy_provenance": run.energy_provenance,
        },
    }


def _integration_reset_index(tl) -> int:
    ev = tl.kinds.index("events")
    return max(i for i in range(ev) if tl.kinds[i] == "reset")


def write_trace(run: EventRun, path: str | os.PathLike, max_vectors: int | None = 16) -> str:
    """Write :func:`trace_events` of ``run`` to ``path`` as JSON; returns the path."""
    data = trace_events(run, max_vectors)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    return os.fspath(path)
