"""``simulate``: one run of a batch through an engine, with its counts, timing and energy; ``concatenate``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from hwdesc import ChipDescription, rules
from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

from .accounting import ACTIONS, Energy, Timing
from .fast import fast_engine
from .inputs import check_activations, check_engine, check_weights
from .program import Program
from .schedule import Schedule, Timeline, check_ranges
from .simpy_engine import simpy_engine


@dataclass(frozen=True, eq=False)
class EventRun:
    """The outcome of :func:`simulate` (or of :func:`concatenate` of several runs)."""

    chip_name: str
    schedule: Schedule
    timeline: Timeline
    counts: dict[str, np.ndarray]
    """Per action (see ``ACTIONS``), the count in each vector, int64 (B,)."""
    macs: np.ndarray
    """Multiply-accumulates each vector computes, int64 (B,)."""
    num_sends: np.ndarray
    """``num_sends`` of each vector, int64 (B,)."""
    wait_between_events: np.ndarray
    """``wait_between_events`` of each vector, int64 (B,)."""
    energy_table: dict[str, float]
    """Joules per action and ``static_power`` (W), from the chip description."""
    energy_provenance: str

    @property
    def n_vectors(self) -> int:
        return self.timeline.n_vectors

    @property
    def cycle_time(self) -> float:
        return self.timeline.cycle_time

    @cached_property
    def timing(self) -> Timing:
        """Cycles of each vector (the vectors follow each other), MACs of the run."""
        return Timing(
            self.timeline.vector_cycles, self.cycle_time, int(self.macs.sum(dtype=np.int64))
        )

    @cached_property
    def energy(self) -> Energy:
        """Action counts of each vector with the chip's energy table."""
        return Energy(self.counts, dict(self.energy_table), self.energy_provenance, self.timing)


def assemble(
    prog: Program, events: dict[str, np.ndarray], start: np.ndarray, end: np.ndarray
) -> tuple[Schedule, Timeline]:
    """Build the :class:`Schedule` (with the kernel-facing arrays) and :class:`Timeline` from an
    engine's raw output."""
    B, H = start.shape[0], prog.halves
    counts = np.bincount(events["vector"] * H + events["half"], minlength=B * H)
    ev_ptr = np.zeros(B * H + 1, np.int64)
    np.cumsum(counts, out=ev_ptr[1:])
    origin = start[:, prog.integration_reset_index]
    ct = prog.cycle_time
    ev_time = (events["arrival"] - origin[events["vector"]]) * ct + prog.driver_latency
    t_read = (start[:, prog.read_index] - origin) * ct
    base_origin = (
        0 if prog.baseline_reset_index < 0 else start[0, prog.baseline_reset_index] - start[0, 0]
    )
    t_baseline = float((start[0, prog.baseline_read_index] - start[0, 0] - base_origin) * ct)
    t_gap = float((start[0, prog.integration_reset_index] - start[0, 0] - base_origin) * ct)
    schedule = Schedule(
        halves=H,
        ev_ptr=ev_ptr,
        ev_time=ev_time,
        t_read=t_read,
        t_baseline=t_baseline,
        t_gap=t_gap,
        **events,
    )
    timeline = Timeline(prog.phase_names, prog.phase_kinds, start, end, ct)
    return schedule, timeline


def _counts(
    prog: Program, active: np.ndarray, nonzero_per_row: np.ndarray, num_sends: int
) -> dict[str, np.ndarray]:
    B = active.shape[0]
    kinds = prog.phase_kinds
    neurons = prog.columns * prog.halves
    per_vector = {
        "event_sent": active.sum(axis=(1, 2), dtype=np.int64) * num_sends,
        "synapse_activation": np.einsum("bhk,hk->b", active.astype(np.int64), nonzero_per_row)
        * num_sends,
        "adc_conversion": np.full(B, kinds.count("adc_read") * neurons, np.int64),
        "reset": np.full(B, kinds.count("reset") * neurons, np.int64),
        "byte_transferred": np.full(
            B,
            kinds.count("transfer")
            * prog.result_bytes_per_output
            * prog.outputs_per_tile
            * prog.halves,
            np.int64,
        ),
    }
    return per_vector


def simulate(
    chip: ChipDescription,
    activations,
    weights=None,
    *,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    engine: str = "fast",
    macs_per_vector: int | None = None,
) -> EventRun:
    """Simulate the digital side of a batch of input vectors on ``chip``.

    Parameters
    ----------
    chip:
        A loaded :class:`hwdesc.ChipDescription`.
    activations:
        Integer array (B, halves, K) with K <= inputs per tile, values in the chip's input range
        (0..31); entry ``[b, h, k]`` drives row ``k`` of half ``h`` in vector ``b``. An input of 0
        sends no event unless the chip sets ``formats.zero_input_sends_event``.
    weights:
        (halves, K, M) weights or their non-zero mask, used to count synapse activations (each
        event activates the non-zero synapses of its row) and MACs (halves x K x M per vector).
        ``None``: a dense tile of ``outputs_per_tile`` columns.
    num_sends:
        Integer >= 1: the whole vector is sent this many times in a row.
    wait_between_events:
        Integer >= 0: FPGA cycles between successive events of a half.
    engine:
        ``"fast"`` (vectorized, default) or ``"simpy"`` (the discrete-event model); both give
        identical results.
    macs_per_vector:
        Override the MAC count per vector (e.g. the true K x M of a tiled matrix).
    """
    if not isinstance(chip, ChipDescription):
        raise TypeError(
            f"chip must be a hwdesc.ChipDescription (see hwdesc.load), got {type(chip).__name__}"
        )
    prog = Program.from_chip(chip)
    x, active = check_activations(prog, activations)
    nonzero = check_weights(prog, weights, x.shape[2])
    sends = rules.num_sends(num_sends)
    wait = rules.wait_between_events(wait_between_events)
    check_engine(engine)
    check_ranges(prog, chip.identity.name, x.shape[0], sends, wait)
    if macs_per_vector is None:
        m = prog.outputs_per_tile if weights is None else np.shape(weights)[2]
        macs = prog.halves * x.shape[2] * m
    else:
        macs = rules.integer(macs_per_vector, "macs_per_vector", 0)

    run_engine = fast_engine if engine == "fast" else simpy_engine
    events, start, end = run_engine(prog, active, x, sends, wait)
    schedule, timeline = assemble(prog, events, start, end)
    B = x.shape[0]
    e = chip.energy
    return EventRun(
        chip_name=chip.identity.name,
        schedule=schedule,
        timeline=timeline,
        counts=_counts(prog, active, nonzero, sends),
        macs=np.full(B, macs, np.int64),
        num_sends=np.full(B, sends, np.int64),
        wait_between_events=np.full(B, wait, np.int64),
        energy_table={
            **{a: float(getattr(e, a)) for a in ACTIONS},
            "static_power": float(e.static_power),
        },
        energy_provenance=e.provenance,
    )


def concatenate(runs) -> EventRun:
    """Runs executed one after another (e.g. the tile pairs of a large matrix) as one run.

    Run ``i + 1`` starts when run ``i``'s last vector ends: its cycles are shifted by the
    cycles of the runs before it, and its vectors are numbered after theirs. The
    kernel-facing times (``ev_time``, ``t_read``) are relative to each vector's own
    integration origin and do not change.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("runs must hold at least one EventRun, got none")
    for i, r in enumerate(runs):
        if not isinstance(r, EventRun):
            raise TypeError(f"runs[{i}] must be an EventRun, got {type(r).__name__}")
    first = runs[0]
    for i, r in enumerate(runs[1:], 1):
        if (r.chip_name, r.cycle_time, r.schedule.halves, r.timeline.names) != (
            first.chip_name,
            first.cycle_time,
            first.schedule.halves,
            first.timeline.names,
        ) or r.energy_table != first.energy_table:
            raise ValueError(
                f"runs[{i}] comes from chip {r.chip_name!r}, which differs from runs[0] ({first.chip_name!r})"
            )
        if (r.schedule.t_baseline, r.schedule.t_gap) != (
            first.schedule.t_baseline,
            first.schedule.t_gap,
        ):
            raise ValueError(
                f"runs[{i}] has a different baseline window than runs[0]: not the same chip"
            )

    shift = 0
    vec = 0
    ev_off = 0
    parts: dict[str, list] = {
        k: []
        for k in (
            "vector",
            "send",
            "half",
            "row",
            "activation",
            "request",
            "departure",
            "arrival",
            "ev_time",
            "t_read",
            "start",
            "end",
        )
    }
    ptrs = [np.zeros(1, np.int64)]
    for r in runs:
        s, t = r.schedule, r.timeline
        offset = shift - int(t.vector_start[0])
        parts["vector"].append(s.vector + vec)
        for k in ("send", "half", "row", "activation", "ev_time"):
            parts[k].append(getattr(s, k))
        for k in ("request", "departure", "arrival"):
            parts[k].append(getattr(s, k) + offset)
        parts["t_read"].append(s.t_read)
        parts["start"].append(t.start + offset)
        parts["end"].append(t.end + offset)
        ptrs.append(s.ev_ptr[1:] + ev_off)
        shift = int(t.vector_end[-1]) + offset
        vec += r.n_vectors
        ev_off += s.n_events
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    schedule = Schedule(
        halves=first.schedule.halves,
        ev_ptr=np.concatenate(ptrs),
        t_baseline=first.schedule.t_baseline,
        t_gap=first.schedule.t_gap,
        **{
            k: cat[k]
            for k in (
                "vector",
                "send",
                "half",
                "row",
                "activation",
                "request",
                "departure",
                "arrival",
                "ev_time",
                "t_read",
            )
        },
    )
    timeline = Timeline(
        first.timeline.names, first.timeline.kinds, cat["start"], cat["end"], first.cycle_time
    )
    return EventRun(
        chip_name=first.chip_name,
        schedule=schedule,
        timeline=timeline,
        counts={a: np.concatenate([r.counts[a] for r in runs]) for a in ACTIONS},
        macs=np.concatenate([r.macs for r in runs]),
        num_sends=np.concatenate([r.num_sends for r in runs]),
        wait_between_events=np.concatenate([r.wait_between_events for r in runs]),
        energy_table=first.energy_table,
        energy_provenance=first.energy_provenance,
    )
