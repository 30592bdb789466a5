"""The native Perfetto trace, parsed back with the perfetto package's message classes: tracks,
slices nested as the timeline, one instant per event, energy counters, streaming over chunks in
bounded memory."""

from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest

import eventsim

pb = pytest.importorskip("perfetto.protos.perfetto.trace.perfetto_trace_pb2")


def parse(path):
    """Tracks by uuid (name) and, per track, its slices (name, begin, end), instants
    (name, ts) and counter values (ts, value), in file order; slices matched with a stack."""
    trace = pb.Trace.FromString(path.read_bytes())
    tracks, slices, instants, counters, stacks = {}, {}, {}, {}, {}
    TE = pb.TrackEvent
    for p in trace.packet:
        assert p.trusted_packet_sequence_id in (1, 2)
        if p.HasField("track_descriptor"):
            d = p.track_descriptor
            tracks[d.uuid] = d.name or d.process.process_name
            continue
        e = p.track_event
        assert e.track_uuid in tracks, "an event before its track's descriptor"
        if e.type == TE.TYPE_SLICE_BEGIN:
            stacks.setdefault(e.track_uuid, []).append((e.name, p.timestamp))
        elif e.type == TE.TYPE_SLICE_END:
            name, begin = stacks[e.track_uuid].pop()
            slices.setdefault(e.track_uuid, []).append(
                (name, begin, p.timestamp, len(stacks[e.track_uuid]))
            )
        elif e.type == TE.TYPE_INSTANT:
            instants.setdefault(e.track_uuid, []).append((e.name, p.timestamp))
        elif e.type == TE.TYPE_COUNTER:
            counters.setdefault(e.track_uuid, []).append((p.timestamp, e.double_counter_value))
    assert all(not s for s in stacks.values()), "a slice was never closed"
    return tracks, slices, instants, counters


def by_name(tracks, name):
    (uuid,) = [u for u, n in tracks.items() if n == name]
    return uuid


def test_trace_parses_back_to_the_run(tutorial, vector, tmp_path):
    x = np.concatenate([vector([0, 5, 31, 0, 7], [2, 0, 0, 0, 0, 0, 0, 9])] * 3)
    run = eventsim.simulate(tutorial, x, num_sends=2, wait_between_events=1)
    path = eventsim.write_perfetto_trace(run, tmp_path / "t.pftrace")
    tracks, slices, instants, counters = parse(path)
    tl, s = run.timeline, run.schedule
    ns = run.cycle_time * 1e9
    vec = slices[by_name(tracks, "vectors")]
    outer = [v for v in vec if v[3] == 0]
    assert [v[0] for v in outer] == ["vector 0", "vector 1", "vector 2"]
    assert [(v[1], v[2]) for v in outer] == [
        (round(tl.start[b, 0] * ns), round(tl.end[b, -1] * ns)) for b in range(3)
    ]
    phases = [v for v in vec if v[3] == 1]
    assert len(phases) == 3 * len(tl.names)
    assert [p[0] for p in phases] == list(tl.names) * 3
    assert [(p[1], p[2]) for p in phases] == [
        (round(tl.start[b, i] * ns), round(tl.end[b, i] * ns))
        for b in range(3)
        for i in range(len(tl.names))
    ]
    # one instant per event, at the pulse start, on its half/row track, named by its activation
    got = sorted((tracks[u], n, t) for u, evs in instants.items() for n, t in evs)
    reset = [i for i, k in enumerate(tl.kinds[: tl.kinds.index("events")]) if k == "reset"][-1]
    pulse = (tl.start[s.vector, reset] * run.cycle_time + s.ev_time) * 1e9
    expected = sorted(
        (f"half {h} row {r}", f"a={a}", round(t))
        for h, r, a, t in zip(s.half, s.row, s.activation, pulse)
    )
    assert got == expected and len(got) == s.n_events
    # cumulative energy per action ends at the run's energy
    for a in eventsim.ACTIONS + ("static",):
        values = counters[by_name(tracks, f"energy {a} (uJ)")]
        assert len(values) == 4 and values[0] == (0, 0.0)
        assert values[-1][1] == pytest.approx(run.energy.per_action[a] * 1e6, rel=1e-12)
    # wait 1 congests the link: the queue counter rises and falls back to 0
    queue = counters[by_name(tracks, "link queue half 0 (events)")]
    assert max(v for _, v in queue) >= 1 and queue[-1][1] == 0


def test_streamed_batch_holds_every_vector_and_the_membranes(tmp_path):
    from pathlib import Path

    import chipsim

    chip = chipsim.load(
        Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml", seed=1
    )
    rng = np.random.default_rng(2)
    x, w = rng.integers(0, 32, size=(40, 12)), rng.integers(-63, 64, size=(12, 6))
    path = tmp_path / "b.pftrace"
    with eventsim.PerfettoTraceWriter(path, chip.name, record_vectors=[0, 33]) as writer:
        res = chip.run(
            x,
            w,
            chunk_size=7,
            on_events=writer.add,
            noise_seed=3,
            record_vectors=[0, 33],
            record_columns=[1, 4],
        )
        writer.add_membranes(res.traces)
    tracks, slices, instants, counters = parse(path)
    # 12 inputs: two input tiles on the two halves, one run; 40 vectors back to back
    outer = [v for v in slices[by_name(tracks, "vectors")] if v[3] == 0]
    assert [v[0] for v in outer] == [f"vector {b}" for b in range(40)]
    assert all(a[2] == b[1] for a, b in zip(outer, outer[1:]))
    assert outer[-1][2] - outer[0][1] == pytest.approx(res.timing.seconds * 1e9, abs=1)
    assert writer.counts["vectors"] == 40
    assert (
        sum(len(v) for v in instants.values()) == np.count_nonzero(x) == writer.counts["instants"]
    )
    total = sum(
        counters[by_name(tracks, f"energy {a} (uJ)")][-1][1] for a in eventsim.ACTIONS + ("static",)
    )
    assert total == pytest.approx(res.energy.total * 1e6, rel=1e-12)
    # the membrane counters: each trace placed at its vector's reset before the events phase
    # (the phases before it have fixed lengths: the same offset in every vector)
    tl = res.events.timeline
    reset = [i for i, k in enumerate(tl.kinds[: tl.kinds.index("events")]) if k == "reset"][-1]
    offset_ns = round((tl.start[0, reset] - tl.start[0, 0]) * tl.cycle_time * 1e9)
    assert len(res.traces) == 2
    for trace in res.traces:
        for i, column in enumerate(trace.columns):
            values = dict(counters[by_name(tracks, f"membrane column {column} (mV)")])
            ok = np.isfinite(trace.v_mem[i])
            origin = outer[trace.vector][1] + offset_ns
            stamps = origin + np.rint(trace.time[ok] * 1e9).astype(np.int64)
            np.testing.assert_allclose(
                [values[int(t)] for t in stamps], trace.v_mem[i][ok] * 1e3, rtol=1e-12
            )


def test_writing_streams_in_bounded_memory(tutorial, tmp_path):
    """Twenty chunks take no more memory than two: each chunk goes to the file as it comes."""
    rng = np.random.default_rng(0)
    x = np.zeros((1000, 2, 8), np.int64)
    x[:, 0, :] = rng.integers(0, 32, size=(1000, 8))
    runs = [eventsim.simulate(tutorial, x)]

    def write(n_chunks, path):
        tracemalloc.start()
        writer = eventsim.PerfettoTraceWriter(path, "tutorial")
        sizes = []
        for c in range(n_chunks):
            writer.add(c * 1000, runs)
            sizes.append(path.stat().st_size)
        writer.close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak, sizes, writer

    peak2, sizes2, _ = write(2, tmp_path / "a.pftrace")
    peak20, sizes20, writer = write(20, tmp_path / "b.pftrace")
    assert all(b > a for a, b in zip(sizes20, sizes20[1:]))  # on disk before the end
    assert sizes20[-1] > 9 * sizes2[-1]
    assert writer.counts["vectors"] == 20_000
    assert writer.max_encoded < 1000 * 60  # one chunk's packets, not the batch's
    assert peak20 < 1.25 * peak2, (peak2, peak20)


def test_missing_perfetto_package_says_how_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "perfetto" or m.startswith("perfetto.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "perfetto", None)
    with pytest.raises(ImportError, match=r"pip install 'perfetto>=0.59'"):
        eventsim.PerfettoTraceWriter(tmp_path / "t.pftrace")


def test_bad_arguments(tutorial, vector, tmp_path):
    with pytest.raises(ValueError, match="flush_packets"):
        eventsim.PerfettoTraceWriter(tmp_path / "t.pftrace", flush_packets=0)
    writer = eventsim.PerfettoTraceWriter(tmp_path / "t.pftrace")
    with pytest.raises(TypeError, match=r"runs\[0\] must be an eventsim.EventRun"):
        writer.add(0, [object()])
    from types import SimpleNamespace

    trace = SimpleNamespace(vector=3, run=0, columns=(0,), time=np.zeros(1), v_mem=np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"vector 3 \(run 0\) was not recorded by this writer"):
        writer.add_membranes([trace])
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.add(0, eventsim.simulate(tutorial, vector([1], [])))


def test_simulate_writes_the_whole_batch(tmp_path, capsys):
    from pathlib import Path

    from chipsim.commands.cli import main

    chips = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"
    out = tmp_path / "o"
    assert (
        main(
            [
                "simulate",
                str(chips / "tutorial.yaml"),
                "--batch",
                "40",
                "--chunk-size",
                "16",
                "--trace-vectors",
                "2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    assert "trace.pftrace" in capsys.readouterr().out
    tracks, slices, instants, counters = parse(out / "trace.pftrace")
    outer = [v for v in slices[by_name(tracks, "vectors")] if v[3] == 0]
    assert [v[0] for v in outer] == [f"vector {b}" for b in range(40)]
    inputs = np.load(out / "results.npz")["inputs"]
    assert sum(len(v) for v in instants.values()) == np.count_nonzero(inputs)
    # the membranes of the figure's four columns over vector 0
    assert sorted(n for n in tracks.values() if n.startswith("membrane")) == [
        f"membrane column {c} (mV)" for c in (0, 2, 5, 7)
    ]


def test_simulate_says_which_package_is_missing(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    from chipsim.commands.cli import main

    for name in [m for m in sys.modules if m == "perfetto" or m.startswith("perfetto.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "perfetto", None)
    chips = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"
    code = main(
        [
            "simulate",
            str(chips / "tutorial.yaml"),
            "--batch",
            "2",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "trace.pftrace: writing a native Perfetto trace needs the package perfetto" in err
    assert "pip install 'perfetto>=0.59'" in err and "Traceback" not in err


def test_events_can_be_left_out(tutorial, vector, tmp_path):
    run = eventsim.simulate(tutorial, np.concatenate([vector([3, 4], [5])] * 4))
    path = eventsim.write_perfetto_trace(run, tmp_path / "t.pftrace", events=False)
    tracks, slices, instants, counters = parse(path)
    assert instants == {} and not any(n.startswith("half ") for n in tracks.values())
    assert len([v for v in slices[by_name(tracks, "vectors")] if v[3] == 0]) == 4
