"""The timing and energy of a run: one model for a single event run, for runs joined one after
another, and for a whole chip call (``chipsim.Result.timing``/``.energy`` are these classes).

Both keep integers: the FPGA cycles of every vector and the count of every action in every
vector. Seconds and joules are derived from them once, when asked for, so that adding up chunks
or tile runs in any grouping gives the same numbers to the last bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

ACTIONS = ("event_sent", "synapse_activation", "adc_conversion", "reset", "byte_transferred")
"""The counted actions, named as in the chip's energy table."""


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


@dataclass(frozen=True, eq=False)
class Timing:
    """Simulated hardware time of a batch. Vectors run one after another, each starting when
    the previous one ends; a vector that needs several tile runs takes the sum of their cycles.

    Attributes:
        vector_cycles: FPGA cycles of each vector, int64 (vectors,).
        cycle_time: one FPGA cycle (s).
        macs: multiply-accumulates of the whole batch.
    """

    vector_cycles: np.ndarray
    cycle_time: float
    macs: int

    @property
    def vectors(self) -> int:
        return int(self.vector_cycles.shape[0])

    @cached_property
    def cycles(self) -> int:
        """FPGA cycles of the batch (an exact integer)."""
        return int(self.vector_cycles.sum(dtype=np.int64))

    @property
    def seconds(self) -> float:
        """Time of the batch (s): :attr:`cycles` x :attr:`cycle_time`."""
        return self.cycles * self.cycle_time

    @cached_property
    def vector_seconds(self) -> np.ndarray:
        """Time of each vector (s), float64 (vectors,)."""
        return self.vector_cycles * self.cycle_time

    @property
    def seconds_per_vector(self) -> float:
        """Mean time of a vector (s)."""
        return self.seconds / self.vectors

    @property
    def vectors_per_second(self) -> float:
        """Throughput of the simulated hardware (``inf`` for a batch of zero cycles)."""
        return _rate(self.vectors, self.seconds)

    @property
    def macs_per_vector(self) -> float:
        return self.macs / self.vectors

    @property
    def macs_per_second(self) -> float:
        return _rate(self.macs, self.seconds)


@dataclass(frozen=True, eq=False)
class Energy:
    """Energy estimate of a batch: the count of each action x the chip's energy per action, plus
    static power x time.

    Attributes:
        vector_counts: per action (see ``ACTIONS``), its count in each vector, int64 (vectors,).
        table: the chip's energy per action (J) and ``static_power`` (W).
        provenance: where the chip's energy numbers come from.
        timing: the batch's :class:`Timing` (for the static part and per MAC).
    """

    vector_counts: dict
    table: dict
    provenance: str
    timing: Timing

    @cached_property
    def counts(self) -> dict:
        """Per action, its count over the batch (exact integers)."""
        return {a: int(self.vector_counts[a].sum(dtype=np.int64)) for a in ACTIONS}

    @cached_property
    def per_action(self) -> dict:
        """Joules per counted action over the batch, and ``static`` (static power x time)."""
        out = {a: self.counts[a] * self.table[a] for a in ACTIONS}
        out["static"] = self.table["static_power"] * self.timing.seconds
        return out

    @property
    def total(self) -> float:
        """Joules of the batch."""
        return float(sum(self.per_action.values()))

    @cached_property
    def vector_per_action(self) -> dict:
        """Joules of each vector per action, and ``static`` (static power over the vector's
        duration): float64 arrays (vectors,)."""
        out = {a: np.asarray(self.vector_counts[a] * self.table[a], float) for a in ACTIONS}
        out["static"] = np.asarray(self.table["static_power"] * self.timing.vector_seconds, float)
        return out

    @cached_property
    def per_vector(self) -> np.ndarray:
        """Joules of each vector: its actions plus static power over its duration, (vectors,)."""
        parts = self.vector_per_action
        dynamic = sum(parts[a] for a in ACTIONS)
        return np.asarray(dynamic + parts["static"], float)

    @property
    def per_mac(self) -> float:
        """``total`` / MACs (J); nan without MACs."""
        macs = self.timing.macs
        return self.total / macs if macs > 0 else float("nan")
