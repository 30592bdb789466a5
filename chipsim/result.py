"""What a simulation returns: outputs, timing and energy of the simulated hardware, traces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
class Timing:
    """Simulated hardware time (tile runs execute one after another)."""

    vectors: int
    seconds: float
    """Total time of the batch (s)."""
    vector_seconds: np.ndarray
    """Time of each vector, summed over the tile runs it needs (s), shape (vectors,)."""
    vectors_per_second: float
    macs_per_second: float
    macs_per_vector: int

    @property
    def seconds_per_vector(self) -> float:
        return self.seconds / self.vectors


@dataclass(frozen=True)
class Energy:
    """Energy estimate: counts x the chip's per-action table + static power x time (J)."""

    per_action: dict
    total: float
    per_vector: np.ndarray
    per_mac: float
    table: dict
    provenance: str


@dataclass(frozen=True)
class Result:
    """Outcome of :meth:`chipsim.Chip.run`.

    Attributes:
        outputs: int32 (batch..., M), values in the chip's output range (-128..127).
        noise_seed: the temporal-noise seed used (drawn when none was given): pass it again to
            reproduce the run exactly.
        timing, energy: of the simulated hardware, from the event simulator.
        events: the event simulator's run of the first chunk of vectors (schedule, timeline),
            for traces and timelines. A matrix that needs several tile runs has them one after
            another in execution order: vector ``b`` of run ``r`` appears there as vector
            ``r * n + b``, with ``n`` the vectors of the chunk.
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
    """Adds up timing and energy over chunks and tile runs without keeping every event."""

    def __init__(self, n_vectors: int, macs_per_vector: int) -> None:
        self.n = n_vectors
        self.macs_per_vector = macs_per_vector
        self.vector_seconds = np.zeros(n_vectors)
        self.vector_energy = np.zeros(n_vectors)
        self.per_action: dict[str, float] = {}
        self.seconds = 0.0
        self.first_events = None
        self.table: dict = {}
        self.provenance = ""
        self._filled = 0

    def add(self, event_runs: list, first: bool) -> None:
        """Account for one chunk: ``event_runs`` are its tile runs, in execution order."""
        import eventsim

        n = event_runs[0].n_vectors
        sl = slice(self._filled, self._filled + n)
        for er in event_runs:
            timing, energy = er.timing, er.energy
            self.vector_seconds[sl] += timing.vector_seconds
            self.vector_energy[sl] += energy.per_vector
            self.seconds += timing.batch_seconds
            for action, joules in energy.per_action.items():
                self.per_action[action] = self.per_action.get(action, 0.0) + joules
            self.table, self.provenance = energy.table, energy.provenance
        self._filled += n
        if first:
            self.first_events = eventsim.concatenate(event_runs) if len(event_runs) > 1 else event_runs[0]

    def timing(self) -> Timing:
        s = self.seconds
        return Timing(
            vectors=self.n,
            seconds=s,
            vector_seconds=self.vector_seconds,
            vectors_per_second=self.n / s if s > 0 else float("inf"),
            macs_per_second=self.n * self.macs_per_vector / s if s > 0 else float("inf"),
            macs_per_vector=self.macs_per_vector,
        )

    def energy(self) -> Energy:
        total = float(sum(self.per_action.values()))
        macs = self.n * self.macs_per_vector
        return Energy(
            per_action=dict(self.per_action),
            total=total,
            per_vector=self.vector_energy,
            per_mac=total / macs if macs else float("nan"),
            table=dict(self.table),
            provenance=self.provenance,
        )
