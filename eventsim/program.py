"""The per-vector phase program and the link of a chip, in integer FPGA cycles."""

from __future__ import annotations

from dataclasses import dataclass

from hwdesc import ChipDescription


@dataclass(frozen=True)
class Program:
    """Everything the event engines need from a chip description, in whole FPGA cycles.

    Built once per run with :meth:`from_chip`; both engines read only this object, so a test can
    check them on any chip the schema accepts.
    """

    cycle_time: float
    """One FPGA cycle (s)."""
    halves: int
    """Synapse arrays that run at the same time; one event stream each."""
    inputs_per_tile: int
    """Signed inputs (synapse drivers) of one half: the ``K`` of a run."""
    outputs_per_tile: int
    """Signed outputs of one half."""
    columns: int
    """Neuron columns per half (each converts in every ADC read and resets in every reset)."""
    phase_names: tuple[str, ...]
    phase_kinds: tuple[str, ...]
    durations: tuple[int, ...]
    """Length of every phase (cycles); the entry of the events phase is 0 (it is computed)."""
    events_index: int
    """Index of the single ``events`` phase."""
    integration_reset_index: int
    """The last reset before the events phase: the origin of the integration window."""
    read_index: int
    """The first ``adc_read`` after the events phase: the result read."""
    baseline_read_index: int
    """The last ``adc_read`` before the integration reset: the baseline read."""
    baseline_reset_index: int
    """The last reset before the baseline read, or -1 if there is none (origin: vector start)."""
    slot_period: int
    """Cycles between two link slots (>= 1)."""
    events_per_slot: int
    """Events one slot carries."""
    link_latency: int
    """Cycles from a slot's departure to the arrival of its events at the chip."""
    driver_latency: float
    """From arrival at the chip to the start of the pulse (s, need not be whole cycles)."""
    zero_input_sends_event: bool
    input_min: int
    input_max: int
    result_bytes_per_output: int

    @classmethod
    def from_chip(cls, chip: ChipDescription) -> Program:
        """Extract the cycle-level program of ``chip`` (durations are whole cycles by validation)."""
        phases = chip.schedule.phases
        kinds = tuple(p.kind for p in phases)
        ev = chip.schedule.events_index
        reset = max(i for i in range(ev) if kinds[i] == "reset")
        read = next(i for i in range(ev + 1, len(kinds)) if kinds[i] == "adc_read")
        baseline = max(i for i in range(reset) if kinds[i] == "adc_read")
        baseline_reset = max((i for i in range(baseline) if kinds[i] == "reset"), default=-1)
        slot = chip.cycles(chip.io.event_slot_period)
        return cls(
            cycle_time=chip.cycle_time,
            halves=chip.geometry.halves,
            inputs_per_tile=chip.tile_shape[0],
            outputs_per_tile=chip.tile_shape[1],
            columns=chip.geometry.columns,
            phase_names=tuple(p.name for p in phases),
            phase_kinds=kinds,
            durations=tuple(0 if p.duration is None else chip.cycles(p.duration) for p in phases),
            events_index=ev,
            integration_reset_index=reset,
            read_index=read,
            baseline_read_index=baseline,
            baseline_reset_index=baseline_reset,
            slot_period=max(slot, 1),
            events_per_slot=chip.io.events_per_slot,
            link_latency=chip.cycles(chip.io.link_latency),
            driver_latency=float(chip.io.driver_latency),
            zero_input_sends_event=chip.formats.zero_input_sends_event,
            input_min=chip.formats.input.min,
            input_max=chip.formats.input.max,
            result_bytes_per_output=chip.io.result_bytes_per_output,
        )

    @property
    def n_phases(self) -> int:
        return len(self.phase_names)
