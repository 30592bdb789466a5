"""Native Perfetto traces (protobuf ``TracePacket`` stream), written while a batch is simulated.

:class:`PerfettoTraceWriter` takes the event runs of a batch chunk by chunk (``add``) and appends
their packets to the file as it goes: memory holds the packets of one chunk (encoded with NumPy,
about 60 bytes each), whatever the number of vectors. The file opens in ui.perfetto.dev and in Perfetto's trace processor. Writing
uses the package ``perfetto`` (a dependency of chipsim, imported on first use) for the message
classes of the track descriptors; the many event packets are encoded directly.

Tracks, under one process named after the chip (timestamps in ns from the batch start):

- ``vectors``: a slice per vector (``vector <b>``) with its phases nested inside, in the order
  of the chip's phase program (zero-length phases are slices of duration 0);
- ``half <h> row <r>``: an instant at each pulse start (arrival + driver latency), named
  ``a=<activation>``;
- ``link queue half <h> (events)``: a counter, the events waiting for a link slot (only where
  the link does not keep up);
- ``energy <action> (uJ)``: a counter per action and ``static``, cumulative, at every vector's
  end;
- ``membrane column <c> (mV)``: with :meth:`PerfettoTraceWriter.add_membranes`, the recorded
  membrane of each column over its vectors' integration windows.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from .run import ACTIONS, EventRun

_PROCESS = 1
_VECTORS = 2
_QUEUE = 10  # + half
_ENERGY = 100  # + action index
_MEMBRANE = 1000  # + column
_ROW = 1_000_000  # + half * 100_000 + row
_SEQ = 1  # the sequence of the streamed packets
_SEQ_MEMBRANE = 2  # the sequence of the membrane counters (written after the batch)


# TrackEvent types (perfetto_trace.proto)
_BEGIN, _END, _INSTANT, _COUNTER = 1, 2, 3, 4


class MissingPackageError(ImportError):
    """The package ``perfetto`` is missing; the message says how to install it."""


def _pb():
    try:
        from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb
    except ImportError:
        raise MissingPackageError(
            "writing a native Perfetto trace needs the package perfetto, a dependency of "
            "chipsim that is missing here: pip install 'perfetto>=0.59' (or reinstall chipsim)"
        ) from None
    return pb


class PerfettoTraceWriter:
    """Stream the event runs of a batch into a Perfetto protobuf trace at ``path``.

    Use as a context manager, or call :meth:`close`::

        with eventsim.PerfettoTraceWriter("trace.pftrace", chip_name="bss2") as trace:
            result = chip.run(x, w, on_events=trace.add)

    Args:
        path: the file (overwritten).
        chip_name: names the process.
        events: write an instant per input event (the largest part of a trace; ``False``
            leaves them out).
        flush_packets: packets appended to the file per write.
        record_vectors: vectors whose integration origin is kept for :meth:`add_membranes`.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        chip_name: str = "chip",
        *,
        events: bool = True,
        flush_packets: int = 20000,
        record_vectors=(),
    ) -> None:
        self._pb = _pb()
        if (
            isinstance(flush_packets, bool)
            or not isinstance(flush_packets, (int, np.integer))
            or flush_packets < 1
        ):
            raise ValueError(f"flush_packets(={flush_packets!r}) must be an integer >= 1")
        self.path = Path(path)
        self.chip_name = str(chip_name)
        self.events = bool(events)
        self.flush_packets = int(flush_packets)
        self._file = open(self.path, "wb")
        self._trace = self._pb.Trace()
        self._buffered = 0
        self.max_encoded = 0
        """Most packets encoded at once: those of one run of one chunk (``add``), whatever
        the number of vectors of the batch."""
        self._cycles = 0  # batch cycles written so far (runs follow each other)
        self._tracks: set[int] = set()
        self._energy: np.ndarray | None = None  # cumulative uJ per action
        self._want = {int(v) for v in record_vectors}
        self._origins: dict[tuple[int, int], int] = {}
        self.seconds = 0.0
        """Wall time spent in :meth:`add` and :meth:`add_membranes` (s)."""
        self.counts = {"vectors": 0, "slices": 0, "instants": 0, "counter_values": 0}
        """What was written: vector slices, all slices (vectors and phases), instants, counter
        values."""
        self._closed = False
        self._descriptor(_PROCESS, process=(1, f"{self.chip_name} (simulated)"))
        self._descriptor(_VECTORS, name="vectors", parent=_PROCESS)

    # ---- packets ------------------------------------------------------------------------------
    def _packet(self, seq: int = _SEQ):
        if self._buffered >= self.flush_packets:
            self.flush()
        packet = self._trace.packet.add()
        packet.trusted_packet_sequence_id = seq
        self._buffered += 1
        return packet

    def flush(self) -> None:
        """Append the buffered packets to the file."""
        if self._buffered:
            self._file.write(self._trace.SerializeToString())
            self._trace.Clear()
            self._buffered = 0

    def _descriptor(
        self,
        uuid: int,
        name: str | None = None,
        parent: int | None = None,
        process: tuple[int, str] | None = None,
        unit: str | None = None,
        seq: int = _SEQ,
    ) -> None:
        if uuid in self._tracks:
            return
        self._tracks.add(uuid)
        td = self._packet(seq).track_descriptor
        td.uuid = uuid
        if parent is not None:
            td.parent_uuid = parent
        if name is not None:
            td.name = name
        if process is not None:
            td.process.pid, td.process.process_name = process
        if unit is not None:
            td.counter.unit_name = unit

    def _counter(self, track: int, ts: int, value: float, seq: int = _SEQ) -> None:
        p = self._packet(seq)
        p.timestamp = ts
        p.track_event.type = self._pb.TrackEvent.TYPE_COUNTER
        p.track_event.track_uuid = track
        p.track_event.double_counter_value = value
        self.counts["counter_values"] += 1

    # ---- runs ---------------------------------------------------------------------------------
    def add(self, first_vector: int, runs) -> None:
        """Write the event runs of one chunk, in execution order; vector ``b`` of each run is
        vector ``first_vector + b`` of the batch (the signature of ``Chip.run(on_events=...)``).
        A single :class:`EventRun` is accepted too."""
        if self._closed:
            raise ValueError("the trace writer is closed")
        if isinstance(runs, EventRun):
            runs = [runs]
        t0 = time.perf_counter()
        for r, run in enumerate(runs):
            if not isinstance(run, EventRun):
                raise TypeError(f"runs[{r}] must be an eventsim.EventRun, got {type(run).__name__}")
            self._add_run(int(first_vector), r, run)
        self.seconds += time.perf_counter() - t0

    def _add_run(self, first: int, run_index: int, run: EventRun) -> None:
        """Encode the run's packets with NumPy (one row of bytes per packet), order them by
        time (stable: a slice's end before the next slice's begin at the same time) and append
        them to the file in blocks of at most ``flush_packets``."""
        tl, s = run.timeline, run.schedule
        ns = run.cycle_time * 1e9
        offset = self._cycles - int(tl.vector_start[0])
        start = np.rint((tl.start + offset) * ns).astype(np.int64)
        end = np.rint((tl.end + offset) * ns).astype(np.int64)
        B, P = run.n_vectors, len(tl.names)
        actions = ACTIONS + ("static",)
        if self._energy is None:
            self._energy = np.zeros(len(actions))
            for i, a in enumerate(actions):
                self._descriptor(_ENERGY + i, name=f"energy {a} (uJ)", parent=_PROCESS, unit="uJ")
                self._counter(_ENERGY + i, int(start[0, 0]), 0.0)
        blocks = []  # (timestamps, encoded rows)
        # vectors and their phases: begin vector, (begin, end) per phase, end vector
        suffix = "" if run_index == 0 else f" (run {run_index})"
        vec_names = [f"vector {first + b}{suffix}" for b in range(B)]
        names = list(tl.names) + vec_names
        name_idx = np.empty((B, 2 * P + 2), np.int64)
        name_idx[:, 0] = P + np.arange(B)
        name_idx[:, 1:-1:2] = np.arange(P)
        name_idx[:, 2:-1:2] = -1
        name_idx[:, -1] = -1
        ts = np.empty((B, 2 * P + 2), np.int64)
        ts[:, 0], ts[:, -1] = start[:, 0], end[:, -1]
        ts[:, 1:-1:2], ts[:, 2:-1:2] = start, end
        kind = np.where(name_idx >= 0, _BEGIN, _END)
        blocks.append(
            (ts.ravel(), _track_events(ts.ravel(), kind.ravel(), _VECTORS, name_idx.ravel(), names))
        )
        self.counts["slices"] += B * (P + 1)
        self.counts["vectors"] += B
        reset = _integration_reset_index(tl)
        for b in self._want.intersection(range(first, first + B)):
            self._origins[(b, run_index)] = int(np.rint((tl.start[b - first, reset] + offset) * ns))
        if self.events and s.n_events:
            pulse = np.rint(
                ((tl.start[s.vector, reset] + offset) * run.cycle_time + s.ev_time) * 1e9
            ).astype(np.int64)
            track = _ROW + s.half.astype(np.int64) * 100_000 + s.row
            for t in np.unique(track):
                if int(t) not in self._tracks:
                    h, r = divmod(int(t) - _ROW, 100_000)
                    self._descriptor(int(t), name=f"half {h} row {r}", parent=_PROCESS)
            act_names = [f"a={a}" for a in range(int(s.activation.max()) + 1)]
            blocks.append(
                (
                    pulse,
                    _track_events(
                        pulse,
                        np.full(pulse.size, _INSTANT),
                        track,
                        s.activation.astype(np.int64),
                        act_names,
                    ),
                )
            )
            self.counts["instants"] += int(pulse.size)
            blocks.extend(self._queue(s, offset, ns))
        # cumulative energy per action at every vector's end
        by_action = run.energy.vector_per_action
        per = np.stack([by_action[a] * 1e6 for a in actions], axis=1)
        assert self._energy is not None  # set above on the first run
        cum = self._energy[None, :] + np.cumsum(per, axis=0)
        self._energy = cum[-1].copy()
        ets = np.repeat(end[:, -1], len(actions))
        blocks.append(
            (
                ets,
                _track_events(
                    ets,
                    np.full(ets.size, _COUNTER),
                    np.tile(_ENERGY + np.arange(len(actions)), B),
                    values=cum.ravel(),
                ),
            )
        )
        self.counts["counter_values"] += int(ets.size)
        all_ts = np.concatenate([b[0] for b in blocks])
        rows = _Rows.concat_rows([b[1] for b in blocks])
        order = np.argsort(all_ts, kind="stable")
        self.flush()  # the track descriptors first
        for lo in range(0, order.size, self.flush_packets):
            self._file.write(rows.take(order[lo : lo + self.flush_packets]).tobytes())
        self.max_encoded = max(self.max_encoded, int(order.size))
        self._cycles = int(tl.vector_end[-1]) + offset

    def _queue(self, s, offset: int, ns: float):
        """Counter of the events waiting for a link slot, per half (only where some wait)."""
        waits = s.departure > s.request
        if not waits.any():
            return []
        out = []
        halves = s.half[waits]
        for h in np.unique(halves):
            sel = halves == h
            track = _QUEUE + int(h)
            self._descriptor(
                track, name=f"link queue half {int(h)} (events)", parent=_PROCESS, unit="events"
            )
            n = int(sel.sum())
            times = np.concatenate([s.request[waits][sel], s.departure[waits][sel]]) + offset
            steps = np.concatenate([np.ones(n, np.int64), -np.ones(n, np.int64)])
            order = np.lexsort((steps, times))
            depth = np.cumsum(steps[order])
            times = times[order]
            last = np.r_[times[1:] != times[:-1], True]
            t_ns = np.rint(times[last] * ns).astype(np.int64)
            out.append(
                (
                    t_ns,
                    _track_events(
                        t_ns,
                        np.full(t_ns.size, _COUNTER),
                        track,
                        values=depth[last].astype(np.float64),
                    ),
                )
            )
            self.counts["counter_values"] += int(t_ns.size)
        return out

    def add_membranes(self, traces) -> None:
        """Membrane counters (mV) of recorded traces (``chipsim.Trace``-like objects with
        ``vector``, ``run``, ``columns``, ``time`` and ``v_mem``), placed at their vectors'
        integration windows; the vectors must be in ``record_vectors`` and already added."""
        t0 = time.perf_counter()
        for t in traces:
            key = (int(t.vector), int(getattr(t, "run", 0)))
            if key not in self._origins:
                raise ValueError(
                    f"vector {t.vector} (run {key[1]}) was not recorded by this "
                    "writer: pass it in record_vectors and add its chunk first"
                )
            origin = self._origins[key]
            ts = origin + np.rint(np.asarray(t.time, np.float64) * 1e9).astype(np.int64)
            for i, column in enumerate(t.columns):
                track = _MEMBRANE + int(column)
                self._descriptor(
                    track,
                    name=f"membrane column {int(column)} (mV)",
                    parent=_PROCESS,
                    unit="mV",
                    seq=_SEQ_MEMBRANE,
                )
                v = np.asarray(t.v_mem[i], np.float64)
                ok = np.isfinite(v)
                if not ok.any():
                    continue
                rows = _track_events(
                    ts[ok],
                    np.full(int(ok.sum()), _COUNTER),
                    track,
                    values=v[ok] * 1e3,
                    seq=_SEQ_MEMBRANE,
                )
                self.flush()  # the descriptor first
                self._file.write(rows.tobytes())
                self.counts["counter_values"] += int(ok.sum())
        self.seconds += time.perf_counter() - t0

    def close(self) -> Path:
        """Flush and close the file; returns its path."""
        if not self._closed:
            self.flush()
            self._file.close()
            self._closed = True
        return self.path

    def __enter__(self) -> PerfettoTraceWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _integration_reset_index(tl) -> int:
    ev = tl.kinds.index("events")
    return max(i for i in range(ev) if tl.kinds[i] == "reset")


def write_perfetto_trace(run: EventRun, path: str | os.PathLike, **options) -> Path:
    """Write one :class:`EventRun` as a native Perfetto trace (see :class:`PerfettoTraceWriter`)."""
    with PerfettoTraceWriter(path, chip_name=run.chip_name, **options) as writer:
        writer.add(0, run)
    return Path(path)


# ---- protobuf encoding of many packets at once ---------------------------------------------------
# A packet is one row of bytes. Field tags (field number << 3 | wire type) of the messages used:
# Trace.packet 1 (LEN), TracePacket.timestamp 8 (varint), .trusted_packet_sequence_id 10
# (varint), .track_event 11 (LEN); TrackEvent.type 9 (varint), .track_uuid 11 (varint), .name 23
# (LEN), .double_counter_value 44 (64-bit). The tests parse the result with the perfetto
# package's message classes.


class _Rows:
    """Byte rows of different lengths: ``data`` (n, width) uint8, row i is ``data[i, :lens[i]]``."""

    def __init__(self, data: np.ndarray, lens: np.ndarray) -> None:
        self.data, self.lens = data, lens

    @staticmethod
    def const(raw: bytes, n: int) -> _Rows:
        return _Rows(np.tile(np.frombuffer(raw, np.uint8), (n, 1)), np.full(n, len(raw), np.int64))

    @staticmethod
    def varint(values) -> _Rows:
        v = np.asarray(values, np.uint64)
        shifts = np.arange(10, dtype=np.uint64) * np.uint64(7)
        groups = ((v[:, None] >> shifts[None, :]) & np.uint64(0x7F)).astype(np.uint8)
        lens = 1 + ((v[:, None] >> shifts[None, 1:]) > 0).sum(axis=1)
        width = int(lens.max()) if lens.size else 1
        more = np.arange(width)[None, :] < (lens[:, None] - 1)
        return _Rows(groups[:, :width] | (more * 0x80).astype(np.uint8), lens.astype(np.int64))

    @staticmethod
    def cat(parts: list) -> _Rows:
        """Row-wise concatenation: row i is parts[0] row i, then parts[1] row i, ..."""
        n = parts[0].lens.size
        width = sum(p.data.shape[1] for p in parts)
        out = np.zeros((n, width), np.uint8)
        pos = np.zeros(n, np.int64)
        rows = np.arange(n)
        for part in parts:
            # column by column; bytes past a row's length are overwritten by the next part or
            # lie past the row's end, where nothing reads them
            flat = out.reshape(-1)
            base = rows * width + pos
            for j in range(part.data.shape[1]):
                flat[base + j] = part.data[:, j]
            pos += part.lens
        return _Rows(out, pos)

    @staticmethod
    def concat_rows(blocks: list) -> _Rows:
        """Stack the rows of several blocks (padding to the widest)."""
        width = max(b.data.shape[1] for b in blocks)
        data = np.concatenate(
            [np.pad(b.data, ((0, 0), (0, width - b.data.shape[1]))) for b in blocks]
        )
        return _Rows(data, np.concatenate([b.lens for b in blocks]))

    def take(self, idx) -> _Rows:
        return _Rows(self.data[idx], self.lens[idx])

    def tobytes(self) -> bytes:
        mask = np.arange(self.data.shape[1])[None, :] < self.lens[:, None]
        return self.data[mask].tobytes()


def _varint_bytes(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _name_rows(name_idx: np.ndarray, names: list[str]) -> _Rows:
    """The encoded ``TrackEvent.name`` field of each row (empty where ``name_idx`` < 0)."""
    enc = []
    for name in names:
        raw = name.encode("utf-8")
        enc.append(b"\xba\x01" + _varint_bytes(len(raw)) + raw)
    width = max((len(e) for e in enc), default=0)
    table = np.zeros((len(enc) + 1, width), np.uint8)
    lens = np.zeros(len(enc) + 1, np.int64)
    for i, e in enumerate(enc):
        table[i, : len(e)] = np.frombuffer(e, np.uint8)
        lens[i] = len(e)
    idx = np.where(name_idx < 0, len(enc), name_idx)
    return _Rows(table[idx], lens[idx])


def _track_events(
    ts, kind, track, name_idx=None, names=None, values=None, seq: int = _SEQ
) -> _Rows:
    """Framed ``Trace.packet`` entries, one row per event: a TrackEvent of type ``kind`` on
    ``track`` at ``ts`` (ns), with a name from ``names[name_idx]`` and/or a double counter value."""
    ts = np.asarray(ts, np.int64)
    n = ts.size
    kind = np.asarray(kind, np.uint8)
    body = [
        _Rows(np.stack([np.full(n, 0x48, np.uint8), kind], axis=1), np.full(n, 2, np.int64)),
        _Rows.const(b"\x58", n),
        _Rows.varint(np.broadcast_to(np.asarray(track, np.int64), (n,))),
    ]
    if names is not None:
        body.append(_name_rows(np.asarray(name_idx, np.int64), names))
    if values is not None:
        raw = np.asarray(values, "<f8").reshape(n, 1).view(np.uint8)
        body += [_Rows.const(b"\xe1\x02", n), _Rows(raw, np.full(n, 8, np.int64))]
    te = _Rows.cat(body)
    packet = _Rows.cat(
        [
            _Rows.const(b"\x40", n),
            _Rows.varint(ts),
            _Rows.const(bytes([0x50, seq]), n),
            _Rows.const(b"\x5a", n),
            _Rows.varint(te.lens),
            te,
        ]
    )
    return _Rows.cat([_Rows.const(b"\x0a", n), _Rows.varint(packet.lens), packet])
