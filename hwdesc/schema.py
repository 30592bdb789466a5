"""The typed, frozen chip description: every section of a chip YAML, in SI units.

Physical values are written in YAML as unit strings (``"320 ns"``) and stored here as SI floats
(seconds, hertz, farads, amperes, volts, siemens, joules, watts). Hardware codes are integers
with declared ranges; :class:`CodeKnob` holds their explicit code-to-physical mapping.
"""

from __future__ import annotations

import functools
import math
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from .units import EXAMPLES, KNOB_DIMENSION_LABELS, format_si, parse_quantity


class FieldProblem(ValueError):
    """A cross-field inconsistency, located at ``path`` relative to the model that raised it."""

    def __init__(self, path: tuple, problem: str, hint: str = "") -> None:
        self.path = tuple(path)
        self.problem = problem
        self.hint = hint
        super().__init__(problem)


def quantity(dimension: str, **bounds: float) -> Any:
    """An annotated float field written with a unit of ``dimension`` (bounds in SI)."""
    return Annotated[
        float,
        BeforeValidator(functools.partial(parse_quantity, dimension=dimension)),
        Field(json_schema_extra={"dimension": dimension, "example": EXAMPLES[dimension]}, **bounds),
    ]


Time = quantity("time", ge=0)
PositiveTime = quantity("time", gt=0)
Frequency = quantity("frequency", gt=0)
Capacitance = quantity("capacitance", gt=0)
Voltage = quantity("voltage")
PositiveVoltage = quantity("voltage", gt=0)
NonNegativeVoltage = quantity("voltage", ge=0)
Current = quantity("current", ge=0)
Energy = quantity("energy", ge=0)
Power = quantity("power", ge=0)
Fraction = quantity("dimensionless", ge=0, le=1)
NonNegative = quantity("dimensionless", ge=0)
CurrentPsdPerGm = quantity("current_psd_per_conductance", ge=0)


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


Int = Annotated[int, Field(strict=True)]


class Identity(Section):
    """Who this chip is and where its numbers come from."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short identifier, e.g. 'bss2'")
    title: str = Field(description="one-line human-readable title")
    version: str = Field(description="version of this description")
    provenance: list[str] = Field(default_factory=list, description="sources of the values")


class Geometry(Section):
    """Synapse array layout of one half and how signed numbers map onto it."""

    halves: Int = Field(ge=1, le=16, description="independent synapse arrays run in parallel")
    rows: Int = Field(ge=1, le=65536, description="synapse rows per half")
    columns: Int = Field(ge=1, le=65536, description="neuron columns per half")
    rows_per_signed_input: Literal[1, 2] = Field(
        description="2: an excitatory and an inhibitory row per driver (membrane mode); 1: one row"
    )
    columns_per_signed_output: Literal[1, 2] = Field(
        description="2: an excitatory and an inhibitory column per output (synaptic-input mode)"
    )
    readout: Literal["membrane", "synaptic_input"] = Field(
        description="what the ADC reads: the membrane, or the synaptic input line"
    )

    @model_validator(mode="after")
    def _divisible(self) -> "Geometry":
        if self.rows % self.rows_per_signed_input:
            raise FieldProblem(
                ("rows",),
                f"rows ({self.rows}) is not divisible by rows_per_signed_input "
                f"({self.rows_per_signed_input})",
                "each signed input uses rows_per_signed_input whole rows",
            )
        if self.columns % self.columns_per_signed_output:
            raise FieldProblem(
                ("columns",),
                f"columns ({self.columns}) is not divisible by columns_per_signed_output "
                f"({self.columns_per_signed_output})",
                "each signed output uses columns_per_signed_output whole columns",
            )
        if (self.rows_per_signed_input == 2) == (self.columns_per_signed_output == 2):
            raise FieldProblem(
                ("columns_per_signed_output",),
                "signed weights need either two rows per input or two columns per output, not "
                f"{self.rows_per_signed_input} and {self.columns_per_signed_output}",
                "membrane mode: rows_per_signed_input 2 and columns_per_signed_output 1; "
                "synaptic-input mode: 1 and 2",
            )
        return self

    @property
    def inputs_per_tile(self) -> int:
        """Signed inputs one half takes at once (128 on BrainScaleS-2)."""
        return self.rows // self.rows_per_signed_input

    @property
    def outputs_per_tile(self) -> int:
        """Signed outputs one half produces at once (256 on BrainScaleS-2)."""
        return self.columns // self.columns_per_signed_output

    @property
    def tile_shape(self) -> tuple[int, int]:
        """(inputs, outputs) of one half."""
        return (self.inputs_per_tile, self.outputs_per_tile)


class UnsignedFormat(Section):
    """An unsigned integer format of ``bits`` bits, used over ``min..max``."""

    bits: Int = Field(ge=1, le=16)
    min: Int = Field(ge=0)
    max: Int = Field(ge=1)

    @model_validator(mode="after")
    def _range(self) -> "UnsignedFormat":
        top = 2**self.bits - 1
        if self.max > top:
            raise FieldProblem(
                ("max",), f"max {self.max} does not fit in {self.bits} bits", f"allowed: max <= {top}"
            )
        if self.min >= self.max:
            raise FieldProblem(("min",), f"min {self.min} must be below max {self.max}")
        return self


class SignedMagnitudeFormat(Section):
    """Signed weights: ``bits`` of magnitude, the sign chosen by the row (or column) used."""

    bits: Int = Field(ge=1, le=16)
    min: Int = Field(le=0)
    max: Int = Field(ge=1)

    @model_validator(mode="after")
    def _range(self) -> "SignedMagnitudeFormat":
        top = 2**self.bits - 1
        if self.max > top:
            raise FieldProblem(
                ("max",), f"max {self.max} does not fit in {self.bits} magnitude bits",
                f"allowed: max <= {top}",
            )
        if -self.min > top:
            raise FieldProblem(
                ("min",), f"min {self.min} does not fit in {self.bits} magnitude bits",
                f"allowed: min >= {-top}",
            )
        return self


class AdcFormat(UnsignedFormat):
    """The ADC: raw codes ``min..max``; outputs are read relative to ``center``."""

    center: Int = Field(ge=0)

    @model_validator(mode="after")
    def _center(self) -> "AdcFormat":
        if not self.min <= self.center <= self.max:
            raise FieldProblem(
                ("center",), f"center {self.center} lies outside the ADC range {self.min}..{self.max}"
            )
        return self


class OutputFormat(Section):
    """The digital result range (clamped)."""

    min: Int
    max: Int

    @model_validator(mode="after")
    def _order(self) -> "OutputFormat":
        if self.min >= self.max:
            raise FieldProblem(("min",), f"min {self.min} must be below max {self.max}")
        return self


class Formats(Section):
    """Number formats of inputs, weights, ADC codes and outputs."""

    input: UnsignedFormat
    weight: SignedMagnitudeFormat
    adc: AdcFormat
    output: OutputFormat
    zero_input_sends_event: bool = Field(description="whether activation 0 still sends an event")

    @model_validator(mode="after")
    def _output_vs_adc(self) -> "Formats":
        span = self.output.max - self.output.min + 1
        if span > 2**self.adc.bits:
            raise FieldProblem(
                ("output",),
                f"the output range {self.output.min}..{self.output.max} ({span} values) is wider "
                f"than a {self.adc.bits}-bit ADC can resolve ({2**self.adc.bits} codes)",
                "narrow the output range or raise formats.adc.bits",
            )
        return self


class Clocks(Section):
    """Clock frequencies."""

    fpga: Frequency = Field(description="FPGA clock; one cycle is the unit of wait_between_events (Hz)")
    ppu: Frequency = Field(description="on-chip processor clock (Hz)")


class IO(Section):
    """The FPGA-to-chip event link and the synapse drivers."""

    event_slot_period: PositiveTime = Field(
        description="time between two event slots on the link (s), whole cycles"
    )
    events_per_slot: Int = Field(ge=1, le=64, description="events one slot carries (one per half)")
    link_latency: Time = Field(description="from playback to chip input (s), whole cycles")
    driver_latency: Time = Field(description="synapse-driver decode before the pulse starts (s)")
    result_bytes_per_output: Int = Field(ge=1, le=8, description="bytes per result value")


PhaseKind = Literal["reset", "wait", "adc_read", "events", "transfer"]


class Phase(Section):
    """One step of the per-vector program."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    kind: PhaseKind
    duration: Time | None = Field(
        default=None, description="length (s); the events phase has none: it lasts as long as its events"
    )

    @model_validator(mode="after")
    def _duration(self) -> "Phase":
        if self.kind == "events" and self.duration is not None:
            raise FieldProblem(
                ("duration",), "the events phase takes no duration",
                "its length follows from the inputs, num_sends and wait_between_events: remove it",
            )
        if self.kind != "events" and self.duration is None:
            raise FieldProblem(
                ("duration",), f"a '{self.kind}' phase needs a duration", "write e.g. 'duration: 5 us'"
            )
        return self


class Schedule(Section):
    """The ordered per-vector phases."""

    phases: list[Phase] = Field(min_length=1)

    @model_validator(mode="after")
    def _structure(self) -> "Schedule":
        names: dict[str, int] = {}
        for index, phase in enumerate(self.phases):
            if phase.name in names:
                raise FieldProblem(
                    ("phases", index, "name"),
                    f"phase name '{phase.name}' is used twice (also phases[{names[phase.name]}])",
                )
            names[phase.name] = index
        kinds = [p.kind for p in self.phases]
        if kinds.count("events") != 1:
            raise FieldProblem(
                ("phases",), f"the schedule needs exactly one 'events' phase, it has {kinds.count('events')}"
            )
        ev = kinds.index("events")
        before, after = kinds[:ev], kinds[ev + 1 :]
        if "adc_read" not in after:
            raise FieldProblem(("phases",), "no 'adc_read' phase after the events phase",
                               "the result is read after the events")
        if "reset" not in before:
            raise FieldProblem(("phases",), "no 'reset' phase before the events phase")
        last_reset = len(before) - 1 - before[::-1].index("reset")
        if "adc_read" not in before[:last_reset]:
            raise FieldProblem(
                ("phases",), "no baseline 'adc_read' between a reset and the reset before the events",
                "the output is the read minus a baseline read at the reset level",
            )
        return self

    def index(self, kind: str, *, after_events: bool) -> int:
        """Index of the first phase of ``kind`` after (or the last before) the events phase."""
        ev = self.events_index
        if after_events:
            return next(i for i in range(ev + 1, len(self.phases)) if self.phases[i].kind == kind)
        return next(i for i in range(ev - 1, -1, -1) if self.phases[i].kind == kind)

    @property
    def events_index(self) -> int:
        return next(i for i, p in enumerate(self.phases) if p.kind == "events")


class Pulse(Section):
    t_lsb: PositiveTime = Field(description="pulse length per activation step (s)")


class SynapticInput(Section):
    c_syn: Capacitance = Field(description="synaptic input line capacitance (F)")
    v_lin: PositiveVoltage = Field(description="OTA linear input range, I_sat = g_m * v_lin (V)")


class Membrane(Section):
    tau_leak: PositiveTime = Field(description="residual pseudo-leak time constant (s)")
    v_leak: Voltage = Field(description="level the pseudo-leak pulls towards (V)")
    rail_distance_hi: PositiveVoltage = Field(description="reset level to upper rail (V)")
    rail_distance_lo: PositiveVoltage = Field(description="reset level to lower rail (V)")
    compliance_width: PositiveVoltage = Field(description="width of the compliance roll-off (V)")


class AdcAnalog(Section):
    v_lo: Voltage = Field(description="voltage read as code 0 (V)")
    v_lsb: PositiveVoltage = Field(description="volts per ADC code (V)")


class Analog(Section):
    """Circuit parameters that calibration does not set (physics.md sections 1-7)."""

    dt: PositiveTime = Field(description="integration step of the analog kernels (s)")
    pulse: Pulse
    synaptic_input: SynapticInput
    membrane: Membrane
    adc: AdcAnalog


class Noise(Section):
    """Temporal noise sources."""

    sigma_line: NonNegativeVoltage = Field(description="stationary std of the line OU noise (V)")
    ota_current_psd_per_gm: CurrentPsdPerGm = Field(
        description="two-sided PSD of the OTA output current noise per siemens of g_m (A^2/Hz/S)"
    )
    sigma_jitter: Time = Field(description="std of the per-event pulse length jitter (s)")
    sigma_adc: NonNegative = Field(description="ADC read noise per conversion (codes)")


class FixedPattern(Section):
    """Static spread, drawn once per simulated chip (relative std unless a unit is given)."""

    synapse_current: NonNegative
    driver_pulse_gain: NonNegative
    driver_pulse_offset: Time
    gm: NonNegative
    tau_syn: NonNegative
    offset_current: Current
    rail: NonNegativeVoltage
    adc_slope: NonNegative
    adc_offset: NonNegative = Field(description="std of the per-neuron ADC offset (codes)")
    spatial_gradient: Fraction = Field(description="current loss from the first to the last column")


# What each knob may set, and the dimension of that physical parameter.
KNOB_TARGETS: dict[str, str] = KNOB_DIMENSION_LABELS
KnobTarget = Literal["gm", "i_max", "tau_syn", "v_reset", "c_m"]


class CodeKnob(Section):
    """A knob set as an integer hardware code; ``value = offset + per_code * code`` (SI)."""

    description: str
    kind: Literal["code"]
    range: tuple[Int, Int] = Field(description="codes the hardware can hold")
    allowed: tuple[Int, Int] = Field(description="codes the calibration may use")
    sets: KnobTarget
    per_code: Any = Field(description="physical value per code step (unit of the target)")
    offset: Any = Field(description="physical value at code 0 (unit of the target)")

    @model_validator(mode="after")
    def _mapping(self) -> "CodeKnob":
        dim = KNOB_TARGETS[self.sets]
        for key in ("per_code", "offset"):
            raw = getattr(self, key)
            if not isinstance(raw, float) or isinstance(raw, bool):
                try:
                    value = parse_quantity(raw, dim)
                except ValueError as err:
                    raise FieldProblem((key,), str(err)) from None
                object.__setattr__(self, key, value)
        lo, hi = self.range
        if lo > hi:
            raise FieldProblem(("range",), f"range [{lo}, {hi}] is empty", "write [low, high]")
        alo, ahi = self.allowed
        if not (lo <= alo <= ahi <= hi):
            raise FieldProblem(
                ("allowed",), f"allowed [{alo}, {ahi}] is not a sub-range of range [{lo}, {hi}]"
            )
        return self

    def to_physical(self, code: int) -> float:
        """Physical value (SI) of ``code``; codes outside ``range`` are refused."""
        lo, hi = self.range
        if not (isinstance(code, int) and lo <= code <= hi):
            raise ValueError(f"code {code!r} is outside the range {lo}..{hi}")
        return self.offset + self.per_code * code

    def to_code(self, value: float) -> int:
        """Nearest code for a physical value (SI), clipped to ``allowed`` only if exact: else error."""
        if self.per_code == 0:
            raise ValueError("per_code is 0: the mapping cannot be inverted")
        code = round((value - self.offset) / self.per_code)
        lo, hi = self.allowed
        if not lo <= code <= hi:
            raise ValueError(f"value {value:g} needs code {code}, outside the allowed {lo}..{hi}")
        return code


class PhysicalKnob(Section):
    """A knob whose calibration target is a physical value (e.g. a time constant)."""

    description: str
    kind: Literal["physical"]
    sets: KnobTarget
    allowed: tuple[Any, Any] = Field(description="lowest and highest target (unit of the target)")

    @model_validator(mode="after")
    def _bounds(self) -> "PhysicalKnob":
        dim = KNOB_TARGETS[self.sets]
        values = []
        for index, raw in enumerate(self.allowed):
            try:
                values.append(raw if isinstance(raw, float) else parse_quantity(raw, dim))
            except ValueError as err:
                raise FieldProblem(("allowed", index), str(err)) from None
        if values[0] > values[1]:
            raise FieldProblem(("allowed",), "allowed range is empty: write [low, high]")
        object.__setattr__(self, "allowed", tuple(values))
        return self


Knob = Annotated[Union[CodeKnob, PhysicalKnob], Field(discriminator="kind")]


class Profile(Section):
    """A named calibration profile: a value for every knob, and the residual fixed pattern."""

    description: str
    knobs: dict[str, Any] = Field(description="knob name -> code (int) or physical value (unit string)")
    fixed_pattern_scale: NonNegative = Field(
        default=1.0, description="multiplies every fixed_pattern spread (1 = as calibrated)"
    )


class EnergyTable(Section):
    """Energy per action and static power."""

    provenance: str
    event_sent: Energy = Field(description="per event sent over the link (J)")
    synapse_activation: Energy = Field(description="per synapse with non-zero weight x input (J)")
    adc_conversion: Energy = Field(description="per column and conversion (J)")
    reset: Energy = Field(description="per neuron reset (J)")
    byte_transferred: Energy = Field(description="per result byte moved to the FPGA (J)")
    static_power: Power = Field(description="static power of the chip (W)")


class ResolvedKnobs(BaseModel):
    """Physical parameters of one calibration profile (SI floats)."""

    model_config = ConfigDict(frozen=True)

    gm: float = Field(description="OTA transconductance (S)")
    i_max: float = Field(description="synaptic current at the largest weight (A)")
    tau_syn: float = Field(description="synaptic input time constant (s)")
    v_reset: float = Field(description="reset level of the membrane (V)")
    c_m: float = Field(description="membrane capacitance (F)")
    fixed_pattern_scale: float = Field(description="multiplier of the fixed-pattern spreads")


class ChipDescription(Section):
    """A whole chip: validated, frozen, SI units. Load one with :func:`hwdesc.load`."""

    schema_version: Literal[1]
    identity: Identity
    geometry: Geometry
    formats: Formats
    clocks: Clocks
    io: IO
    schedule: Schedule
    analog: Analog
    noise: Noise
    fixed_pattern: FixedPattern
    knobs: dict[str, Knob]
    calibration: dict[str, Profile]
    energy: EnergyTable

    @field_validator("calibration")
    @classmethod
    def _has_default(cls, value: dict) -> dict:
        if "default" not in value:
            raise FieldProblem((), "no 'default' calibration profile",
                               "add calibration.default with a value for every knob")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "ChipDescription":
        cycle = self.cycle_time
        for path, seconds in self._cycle_times():
            cycles = seconds / cycle
            if abs(cycles - round(cycles)) > 1e-6:
                raise FieldProblem(
                    path, f"{format_si(seconds, 'time', digits=9)} is not a whole number of FPGA cycles "
                    f"({format_si(cycle, 'time')} each)",
                    f"use a multiple of {format_si(cycle, 'time')}",
                )
        targets: dict[str, str] = {}
        for name, knob in self.knobs.items():
            if knob.sets in targets:
                raise FieldProblem(("knobs", name, "sets"),
                                   f"'{knob.sets}' is already set by knob '{targets[knob.sets]}'")
            targets[knob.sets] = name
        missing = sorted(set(KNOB_TARGETS) - set(targets))
        if missing:
            raise FieldProblem(("knobs",), f"no knob sets {', '.join(missing)}",
                               f"every one of {', '.join(KNOB_TARGETS)} must be set by a knob")
        for pname, profile in self.calibration.items():
            self._check_profile(pname, profile)
        return self

    def _cycle_times(self):
        yield ("io", "link_latency"), self.io.link_latency
        yield ("io", "event_slot_period"), self.io.event_slot_period
        for index, phase in enumerate(self.schedule.phases):
            if phase.duration is not None:
                yield ("schedule", "phases", index, "duration"), phase.duration

    def _check_profile(self, pname: str, profile: Profile) -> None:
        base = ("calibration", pname, "knobs")
        unknown = sorted(set(profile.knobs) - set(self.knobs))
        if unknown:
            raise FieldProblem(base + (unknown[0],), f"unknown knob '{unknown[0]}'",
                               f"knobs of this chip: {', '.join(self.knobs)}")
        missing = [k for k in self.knobs if k not in profile.knobs]
        if missing:
            raise FieldProblem(base, f"profile '{pname}' gives no value for knob '{missing[0]}'",
                               "every profile sets every knob")
        for kname, raw in profile.knobs.items():
            knob = self.knobs[kname]
            if isinstance(knob, CodeKnob):
                if isinstance(raw, bool) or not isinstance(raw, int):
                    raise FieldProblem(base + (kname,), f"knob '{kname}' takes an integer code, got {raw!r}",
                                       f"allowed codes: {knob.allowed[0]}..{knob.allowed[1]}")
                lo, hi = knob.allowed
                if not lo <= raw <= hi:
                    raise FieldProblem(base + (kname,), f"code {raw} is out of range",
                                       f"allowed codes for '{kname}': {lo}..{hi}")
            else:
                dim = KNOB_TARGETS[knob.sets]
                try:
                    value = parse_quantity(raw, dim)
                except ValueError as err:
                    raise FieldProblem(base + (kname,), str(err)) from None
                lo, hi = knob.allowed
                if not lo <= value <= hi:
                    raise FieldProblem(
                        base + (kname,), f"{raw} is out of range",
                        f"allowed for '{kname}': {format_si(lo, dim)} .. {format_si(hi, dim)}",
                    )

    # ---- derived quantities -------------------------------------------------------------
    @property
    def cycle_time(self) -> float:
        """One FPGA cycle (s)."""
        return 1.0 / self.clocks.fpga

    def cycles(self, seconds: float) -> int:
        """Whole FPGA cycles in ``seconds`` (validated durations are exact multiples)."""
        return int(round(seconds / self.cycle_time))

    @property
    def tile_shape(self) -> tuple[int, int]:
        """(signed inputs, signed outputs) of one half, e.g. (128, 256)."""
        return self.geometry.tile_shape

    def event_phase_cycles(self, n_inputs: int, num_sends: int = 1, wait_between_events: int = 5) -> int:
        """Nominal length of the event phase (cycles) for ``n_inputs`` non-zero inputs per half:
        ``n_inputs * num_sends * wait_between_events`` (the event simulator adds link queueing)."""
        return int(n_inputs) * int(num_sends) * int(wait_between_events)

    def fixed_cycles(self) -> int:
        """Cycles of every phase but the events phase."""
        return sum(self.cycles(p.duration) for p in self.schedule.phases if p.duration is not None)

    def vector_cycles(self, n_inputs: int, num_sends: int = 1, wait_between_events: int = 5) -> int:
        """Nominal cycles per input vector (fixed phases + event phase)."""
        return self.fixed_cycles() + self.event_phase_cycles(n_inputs, num_sends, wait_between_events)

    def vector_time(self, n_inputs: int, num_sends: int = 1, wait_between_events: int = 5) -> float:
        """Nominal seconds per input vector."""
        return self.vector_cycles(n_inputs, num_sends, wait_between_events) * self.cycle_time

    def profile(self, name: str) -> Profile:
        """The calibration profile ``name``; a clear error lists the profiles that exist."""
        try:
            return self.calibration[name]
        except KeyError:
            raise ValueError(
                f"no calibration profile '{name}' in chip '{self.identity.name}'; "
                f"profiles: {', '.join(self.calibration)}"
            ) from None

    def resolve(self, profile: str = "default") -> ResolvedKnobs:
        """Physical parameters (SI) set by the knobs of calibration ``profile``."""
        prof = self.profile(profile)
        values: dict[str, float] = {}
        for kname, knob in self.knobs.items():
            raw = prof.knobs[kname]
            if isinstance(knob, CodeKnob):
                values[knob.sets] = knob.to_physical(raw)
            else:
                values[knob.sets] = parse_quantity(raw, KNOB_TARGETS[knob.sets])
        return ResolvedKnobs(**values, fixed_pattern_scale=prof.fixed_pattern_scale)
