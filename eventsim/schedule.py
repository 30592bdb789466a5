"""The data an event simulation produces: the event ``Schedule`` and the phase ``Timeline``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hwdesc import rules


@dataclass(frozen=True, eq=False)
class Timeline:
    """Start and end cycle of every phase of every vector, counted from the batch start.

    ``start[b, p]`` and ``end[b, p]`` (int64, cycles) belong to phase ``names[p]`` of vector
    ``b``. Vectors run back to back: ``start[b + 1, 0] == end[b, -1]``.
    """

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    start: np.ndarray
    end: np.ndarray
    cycle_time: float
    """One FPGA cycle (s)."""

    @property
    def n_vectors(self) -> int:
        return int(self.start.shape[0])

    @property
    def vector_start(self) -> np.ndarray:
        """First cycle of each vector (int64, shape (B,))."""
        return self.start[:, 0]

    @property
    def vector_end(self) -> np.ndarray:
        """Cycle after the last phase of each vector (int64, shape (B,))."""
        return self.end[:, -1]

    @property
    def vector_cycles(self) -> np.ndarray:
        """Cycles each vector takes (int64, shape (B,))."""
        return self.vector_end - self.vector_start

    def phase(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(start, end) cycles of the phase called ``name`` in every vector."""
        try:
            p = self.names.index(name)
        except ValueError:
            raise ValueError(f"no phase named {name!r}; phases: {', '.join(self.names)}") from None
        return self.start[:, p], self.end[:, p]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Every event of a batch, and the arrays the analog kernels integrate.

    Event arrays (one entry per event, all the same length) are in *canonical order*: by
    vector, then half, then time (which is send, then row). Cycles count from the batch start.

    The kernel-facing view is CSR per (vector, half): the events of vector ``b`` in half ``h``
    are the slice ``ev_ptr[b * halves + h] : ev_ptr[b * halves + h + 1]`` of ``ev_row``,
    ``ev_act`` and ``ev_time``; within a slice they are sorted by time (strictly increasing).
    """

    halves: int
    vector: np.ndarray
    """Vector index in the batch (int64)."""
    send: np.ndarray
    """Which of the ``num_sends`` repetitions of the vector (int32)."""
    half: np.ndarray
    """Half (synapse array) the event drives (int32)."""
    row: np.ndarray
    """Input index within the half's tile, i.e. the synapse driver (int32)."""
    activation: np.ndarray
    """5-bit activation the driver turns into a pulse length (int32)."""
    request: np.ndarray
    """Cycle the host playback asks for the event (int64)."""
    departure: np.ndarray
    """Cycle of the link slot that carries it (int64); ``departure - request`` is the queueing."""
    arrival: np.ndarray
    """Cycle it reaches the chip: ``departure + link_latency`` (int64)."""
    ev_ptr: np.ndarray
    """CSR offsets, int64, shape (B * halves + 1,)."""
    ev_time: np.ndarray
    """Pulse start (s, float64) relative to the integration origin of its vector: the start of
    the last reset before the events phase. ``(arrival - origin) * cycle + driver_latency``."""
    t_read: np.ndarray
    """Result read (s, float64, shape (B,)): start of the first ``adc_read`` after the events
    phase, relative to the same origin. Grows with the events phase."""
    t_baseline: float
    """Baseline window (s): from the start of the reset before the baseline read (or of the
    vector, if there is none) to the start of the baseline read. The same for every vector."""

    @property
    def ev_row(self) -> np.ndarray:
        """Row of each event (int32), CSR order."""
        return self.row

    @property
    def ev_act(self) -> np.ndarray:
        """Activation of each event (int32), CSR order."""
        return self.activation

    @property
    def n_events(self) -> int:
        return int(self.vector.shape[0])

    @property
    def queueing(self) -> np.ndarray:
        """Cycles each event waited for a link slot (int64)."""
        return self.departure - self.request

    def half_csr(self, half: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """CSR of one half over the vectors: ``(ev_ptr, ev_row, ev_act, ev_time)`` with
        ``ev_ptr`` of shape (B + 1,), the layout a one-half kernel call takes."""
        half = rules.integer(half, "half", 0, self.halves - 1)
        counts = np.diff(self.ev_ptr).reshape(-1, self.halves)[:, half]
        ptr = np.zeros(counts.shape[0] + 1, np.int64)
        np.cumsum(counts, out=ptr[1:])
        sel = self.half == half
        return ptr, self.row[sel], self.activation[sel], self.ev_time[sel]

    def events_of(self, vector: int, half: int) -> slice:
        """The slice of the event arrays that holds ``vector``'s events in ``half``."""
        i = vector * self.halves + half
        return slice(int(self.ev_ptr[i]), int(self.ev_ptr[i + 1]))
