"""What a simulation returns: outputs, timing and energy of the simulated hardware, traces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from eventsim.accounting import Energy, Timing


@dataclass(frozen=True)
class Trace:
    """Recorded waveforms of one vector on one half, over its integration window.

    Times are seconds since the reset before the events phase; voltages in volts.
    ``v_exc``/``v_inh``/``v_mem`` have shape (columns, time); points before the stepped part of
    the integration are NaN (the kernel integrates the quiet start in closed form).
    ``event_rows``/``event_times``/``event_activations``/``event_lengths`` describe the input
    events of the half (row = input index within the tile, pulse start in s, activation 1..31,
    nominal pulse length ``activation * t_lsb`` in s). ``run`` is the tile run (execution order)
    the vector was recorded in: a product of several output tiles records a vector once per run.

    In the synaptic-input readout (model.md section 13) ``v_exc`` and ``v_inh`` are the drops of
    the output's excitatory and inhibitory line below their rest level, ``v_mem`` their
    difference, and ``code_read`` / ``code_baseline`` the inhibitory line's code minus the
    excitatory one's, so that ``code_read - code_baseline`` is the output in both readouts.
    """

    vector: int
    half: int
    columns: tuple
    time: np.ndarray
    v_exc: np.ndarray
    v_inh: np.ndarray
    v_mem: np.ndarray
    event_rows: np.ndarray
    event_times: np.ndarray
    t_read: float
    code_read: np.ndarray
    code_baseline: np.ndarray
    event_activations: np.ndarray | None = None
    event_lengths: np.ndarray | None = None
    run: int = 0


@dataclass(frozen=True)
class Result:
    """Outcome of :meth:`chipsim.Chip.run`.

    Attributes:
        outputs: int32 (batch..., M), values in the chip's output range (-128..127).
        noise_seed: the temporal-noise seed used (drawn when none was given): pass it again to
            reproduce the run exactly.
        timing, energy: of the simulated hardware, from the event simulator
            (:class:`eventsim.Timing`, :class:`eventsim.Energy`): whole cycles and action counts
            per vector, summed over the tile runs, converted to seconds and joules once; the
            chunk size does not change a bit of them.
        events: the event simulator's run of the first ``keep_events`` vectors (schedule,
            timeline; see :meth:`chipsim.Chip.run`), for traces and timelines, whatever the
            chunk size. A matrix that needs several tile runs has them one after another in
            execution order: vector ``b`` of run ``r`` appears there as vector ``r * n + b``,
            with ``n`` the kept vectors.
        traces: recorded waveforms, if requested.
    """

    outputs: np.ndarray
    noise_seed: int
    num_sends: int
    wait_between_events: int
    timing: Timing
    energy: Energy
    events: object
    traces: tuple | None


class RunAccumulator:
    """Adds up the cycles and action counts of every vector over chunks and tile runs, as
    integers (so that the chunk size cannot change a bit of the result), and keeps the event runs
    of the first ``keep_events`` vectors.

    ``add`` takes the chunks in vector order; the caller cuts a chunk boundary at
    ``keep_events``, so that exactly ``min(vectors, keep_events)`` vectors are kept whatever the
    chunk size."""

    def __init__(self, n_vectors: int, n_runs: int, keep_events: int) -> None:
        from eventsim import ACTIONS

        self.vector_cycles = np.zeros(n_vectors, dtype=np.int64)
        self.vector_counts = {a: np.zeros(n_vectors, dtype=np.int64) for a in ACTIONS}
        self.macs = 0
        self.keep_events = keep_events
        self._kept: list[list] = [[] for _ in range(n_runs)]
        self._last: Any = None  # the last chunk's first event run (eventsim.EventRun)

    def add(self, event_runs: list, start: int) -> None:
        """Account for the chunk of vectors ``start...``: ``event_runs`` are its tile runs, in
        execution order."""
        n = event_runs[0].n_vectors
        sl = slice(start, start + n)
        for kept, er in zip(self._kept, event_runs):
            self.vector_cycles[sl] += er.timeline.vector_cycles
            for action, counts in self.vector_counts.items():
                counts[sl] += er.counts[action]
            self.macs += int(er.macs.sum(dtype=np.int64))
            if start < self.keep_events:
                kept.append(er)
        self._last = event_runs[0]

    def events(self):
        """The kept vectors as one event run: tile run after tile run, each over the kept
        vectors (vector ``b`` of run ``r`` is vector ``r * kept + b``)."""
        import eventsim

        runs = [
            parts[0] if len(parts) == 1 else eventsim.concatenate(parts) for parts in self._kept
        ]
        return runs[0] if len(runs) == 1 else eventsim.concatenate(runs)

    def timing(self) -> Timing:
        return Timing(self.vector_cycles, self._last.cycle_time, self.macs)

    def energy(self, timing: Timing) -> Energy:
        er = self._last
        return Energy(self.vector_counts, dict(er.energy_table), er.energy_provenance, timing)
