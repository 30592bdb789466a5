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
    t_gap: float
    """From the start of the baseline window (as in ``t_baseline``) to the start of the read
    window, the integration reset (s); at least ``t_baseline``. The same for every vector."""

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


# ---- ranges of the schedule arithmetic ----------------------------------------------------------
#
# The engines compute in int64 cycles and turn cycle differences into float64 seconds. Every
# value they form is bounded by the cycles of the batch: a request ``j * wait`` of position ``j``
# lies inside its vector's events phase; a slot index, its packet count and the per-vector
# offset of the link queue (``vector * (max slot + packets + 2)``) lie below
# ``batch * (vector cycles + link_latency)``; phase boundaries are partial sums of vector
# lengths. :func:`vector_cycles_bound` gives a vector's cycles exactly as an upper bound (Python
# integers, no overflow), and :func:`check_ranges` refuses arguments for which
#
#   * one vector (plus the link latency) exceeds ``VECTOR_CYCLES_MAX`` = 2**40 cycles: every
#     cycle difference inside a vector is then an exact float64 (< 2**53) and the float seconds
#     of ``ev_time`` and ``t_read`` are exact to the rounding of the cycle time, and
#   * the batch exceeds ``BATCH_CYCLES_MAX`` = 2**62 cycles: every int64 value of the engines is
#     then below 2**62 + 2**40 < 2**63, and no sum or product overflows.
#
# Both bounds are far above anything simulable (2**40 cycles are 2.4 hours of hardware time per
# vector at 125 MHz); what is practical is decided by the work limits of ``chipsim.limits``.

VECTOR_CYCLES_MAX = 2**40
"""Most cycles one vector (with the link latency) may take: cycle differences stay exact floats."""
BATCH_CYCLES_MAX = 2**62
"""Most cycles one batch may take: every int64 value of the engines stays below 2**63."""


def vector_cycles_bound(prog, n_inputs: int, num_sends: int, wait: int) -> int:
    """Upper bound (exact, a Python int) of one vector's cycles plus the link latency, for a
    vector with ``n_inputs`` active inputs per half sent ``num_sends`` times.

    The events phase lasts ``max(N wait, (last slot + 1) P)`` with ``N = n_inputs num_sends``
    positions; the last slot is at most ``ceil((N - 1) wait / P)`` plus the packets before it,
    at most ``N halves``; so it is below ``N wait + P (N halves + 2)``.
    """
    n_pos = int(n_inputs) * int(num_sends)
    events = n_pos * int(wait) + prog.slot_period * (n_pos * prog.halves + 2)
    return sum(prog.durations) + events + prog.link_latency


def max_wait(prog, num_sends: int) -> int:
    """Largest ``wait_between_events`` (cycles) the schedule can represent for a full vector
    (every input active) sent ``num_sends`` times; -1 if even 0 is too long."""
    n_pos = prog.inputs_per_tile * int(num_sends)
    rest = VECTOR_CYCLES_MAX - vector_cycles_bound(prog, prog.inputs_per_tile, num_sends, 0)
    return rest // n_pos if rest >= 0 else -1


def max_num_sends(prog, wait: int) -> int:
    """Largest ``num_sends`` the schedule can represent for a full vector at ``wait``."""
    fixed = sum(prog.durations) + prog.link_latency + 2 * prog.slot_period
    per_send = prog.inputs_per_tile * (int(wait) + prog.slot_period * prog.halves)
    return (VECTOR_CYCLES_MAX - fixed) // per_send


def check_ranges(prog, chip_name: str, batch: int, num_sends: int, wait: int) -> int:
    """Refuse ``num_sends``/``wait_between_events``/``batch`` whose schedule could leave the
    ranges proven above (for a full vector on every half); returns the vector bound (cycles).

    The bounds depend on the chip only through its program (inputs per tile, halves, slot
    period, fixed phases), so the message gives the largest value allowed on this chip.
    """
    per_vector = vector_cycles_bound(prog, prog.inputs_per_tile, num_sends, wait)
    if per_vector > VECTOR_CYCLES_MAX:
        if int(wait) > max_wait(prog, 1):  # the wait alone is too long, whatever num_sends
            top = max_wait(prog, num_sends)
            top = top if top >= 0 else max_wait(prog, 1)
            raise ValueError(
                f"wait_between_events(={wait}) is too large for chip '{chip_name}': a full vector "
                f"would take up to {per_vector:.3g} cycles, more than the {VECTOR_CYCLES_MAX:.3g} "
                f"(2**40) the schedule can represent; allowed: wait_between_events <= {top}"
                + (
                    f" at num_sends={num_sends}"
                    if top == max_wait(prog, num_sends)
                    else " at num_sends=1"
                )
            )
        raise ValueError(
            f"num_sends(={num_sends}) is too large for chip '{chip_name}': a full vector would "
            f"take up to {per_vector:.3g} cycles, more than the {VECTOR_CYCLES_MAX:.3g} (2**40) "
            f"the schedule can represent; allowed at wait_between_events={wait}: "
            f"num_sends <= {max_num_sends(prog, wait)}"
        )
    if int(batch) * per_vector > BATCH_CYCLES_MAX:
        most = BATCH_CYCLES_MAX // per_vector
        raise ValueError(
            f"a batch of {batch} vectors is too long for one event simulation on chip "
            f"'{chip_name}': up to {per_vector:.3g} cycles each, {int(batch) * per_vector:.3g} in "
            f"all, more than 2**62; simulate at most {most} vectors at a time (chipsim's "
            "Chip.run does so with chunk_size)"
        )
    return per_vector
