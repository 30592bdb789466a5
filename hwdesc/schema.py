"""The typed, frozen chip description: every section of a chip YAML, in SI units.

Physical values are written in YAML as unit strings (``"320 ns"``) and stored here as SI floats
(seconds, hertz, farads, amperes, volts, siemens, joules, watts). Hardware codes are integers
with declared ranges; :class:`CodeKnob` holds their explicit code-to-physical mapping.
"""

from __future__ import annotations

import difflib
import functools
import math
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import rules
from .rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS
from .units import EXAMPLES, QuantityError, format_si, parse_quantity

# What a calibration knob may set, and the physical dimension of that parameter.
KNOB_TARGETS: dict[str, str] = {
    "gm": "conductance",
    "i_max": "current",
    "tau_syn": "time",
    "v_reset": "voltage",
    "c_m": "capacitance",
}
KnobTarget = Literal["gm", "i_max", "tau_syn", "v_reset", "c_m"]


class FieldProblem(ValueError):
    """A problem found by a validator, located at ``path`` relative to the model that raised it.

    The loader turns it into a :class:`~hwdesc.errors.ChipDescriptionError` with ``problem`` and
    ``hint`` as they are.
    """

    def __init__(self, path: tuple, problem: str, hint: str = "") -> None:
        self.path = tuple(path)
        self.problem = problem
        self.hint = hint
        super().__init__(problem)

    @classmethod
    def from_quantity(cls, path: tuple, err: QuantityError) -> FieldProblem:
        return cls(path, err.problem, err.hint)


def quantity(dimension: str, **bounds: Any) -> Any:
    """An annotated float field written with a unit of ``dimension`` (bounds in SI)."""
    return Annotated[
        float,
        BeforeValidator(functools.partial(parse_quantity, dimension=dimension)),
        Field(json_schema_extra={"dimension": dimension, "example": EXAMPLES[dimension]}, **bounds),
    ]


Time = quantity("time", ge=0)
PositiveTime = quantity("time", gt=0)
# Program durations: a phase or latency of a second or more is surely a unit slip (s for ns).
Duration = quantity("time", ge=0, lt=1.0)
PositiveDuration = quantity("time", gt=0, lt=1.0)
Frequency = quantity("frequency", ge=1e3, le=1e11)
Capacitance = quantity("capacitance", gt=0)
PositiveConductance = quantity("conductance", gt=0)
Voltage = quantity("voltage")
PositiveVoltage = quantity("voltage", gt=0)
NonNegativeVoltage = quantity("voltage", ge=0)
Current = quantity("current", ge=0)
Energy = quantity("energy", ge=0)
Power = quantity("power", ge=0)
Fraction = quantity("dimensionless", ge=0, le=1)
NonNegative = quantity("dimensionless", ge=0)
CurrentPsdPerGm = quantity("current_psd_per_conductance", ge=0)
VoltagePsd = quantity("voltage_psd", ge=0)
CurrentPsd = quantity("current_psd", ge=0)


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


Int = Annotated[int, Field(strict=True)]
Bool = Annotated[bool, Field(strict=True)]


def _exact_int(value: Any) -> Any:
    """Refuse ``true`` and ``2.0`` where pydantic's lax literals would take them for 1 and 2."""
    if isinstance(value, (bool, float)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


OneOrTwo = Annotated[Literal[1, 2], BeforeValidator(_exact_int)]


class Identity(Section):
    """Who this chip is and where its numbers come from."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short identifier, e.g. 'bss2'")
    title: str = Field(description="one-line human-readable title")
    version: str = Field(description="version of this description")
    provenance: tuple[str, ...] = Field(default=(), description="sources of the values")


class Geometry(Section):
    """Synapse array layout of one half and how signed numbers map onto it."""

    halves: Int = Field(ge=1, le=16, description="independent synapse arrays run in parallel")
    rows: Int = Field(ge=1, le=65536, description="synapse rows per half")
    columns: Int = Field(ge=1, le=65536, description="neuron columns per half")
    rows_per_signed_input: OneOrTwo = Field(
        description="2: an excitatory and an inhibitory row per driver (membrane mode); 1: one row",
    )
    columns_per_signed_output: OneOrTwo = Field(
        description="2: an excitatory and an inhibitory column per output (synaptic-input mode)",
    )
    readout: Literal["membrane", "synaptic_input"] = Field(
        description="what the ADC reads: the membrane, or the synaptic input line"
    )

    @model_validator(mode="after")
    def _divisible(self) -> Geometry:
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


def _ordered(section: Any) -> Any:
    if section.min >= section.max:
        raise FieldProblem(("min",), f"min {section.min} must be below max {section.max}")
    return section


class _BitsFormat(Section):
    """Integers ``min..max`` whose magnitudes fit in ``bits`` bits (fields in the subclasses)."""

    BITS_WORD: ClassVar[str] = "bits"
    if TYPE_CHECKING:
        bits: int  # a field of every subclass

    @model_validator(mode="after")
    def _range(self) -> _BitsFormat:
        top = 2**self.bits - 1
        for key, sign in (("max", 1), ("min", -1)):
            value = getattr(self, key)
            if sign * value > top:
                raise FieldProblem(
                    (key,),
                    f"{key} {value} does not fit in {self.bits} {self.BITS_WORD}",
                    f"allowed: {key} {'<=' if sign > 0 else '>='} {sign * top}",
                )
        return _ordered(self)


class UnsignedFormat(_BitsFormat):
    """An unsigned integer format of ``bits`` bits, used over ``min..max``."""

    bits: Int = Field(ge=1, le=16, description="width of the code")
    min: Int = Field(ge=0, description="smallest value used")
    max: Int = Field(ge=1, description="largest value used (fits in bits)")


class SignedMagnitudeFormat(_BitsFormat):
    """Signed weights: ``bits`` of magnitude, the sign chosen by the row (or column) used."""

    BITS_WORD: ClassVar[str] = "magnitude bits"

    bits: Int = Field(ge=1, le=16, description="magnitude bits of one synapse")
    min: Int = Field(le=0, description="most negative weight (magnitude fits in bits)")
    max: Int = Field(ge=1, description="largest weight (fits in bits)")


class AdcFormat(UnsignedFormat):
    """The ADC: raw codes ``min..max``; outputs are read relative to ``center``."""

    center: Int = Field(ge=0, description="code subtracted from reads before the output is formed")

    @model_validator(mode="after")
    def _center(self) -> AdcFormat:
        if not self.min <= self.center <= self.max:
            raise FieldProblem(
                ("center",),
                f"center {self.center} lies outside the ADC range {self.min}..{self.max}",
            )
        return self


class OutputFormat(Section):
    """The digital result range (clamped)."""

    min: Int = Field(description="smallest result (results are clamped to it)")
    max: Int = Field(description="largest result (results are clamped to it)")

    @model_validator(mode="after")
    def _order(self) -> OutputFormat:
        return _ordered(self)


class Formats(Section):
    """Number formats of inputs, weights, ADC codes and outputs."""

    input: UnsignedFormat
    weight: SignedMagnitudeFormat
    adc: AdcFormat
    output: OutputFormat
    zero_input_sends_event: Bool = Field(description="whether activation 0 still sends an event")

    @model_validator(mode="after")
    def _output_vs_adc(self) -> Formats:
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

    fpga: Frequency = Field(
        description="FPGA clock; one cycle is the unit of wait_between_events (Hz)"
    )
    ppu: Frequency = Field(description="on-chip processor clock (Hz)")


class IO(Section):
    """The FPGA-to-chip event link and the synapse drivers."""

    event_slot_period: PositiveDuration = Field(
        description="time between two event slots on the link (s), whole cycles"
    )
    events_per_slot: Int = Field(ge=1, le=64, description="events one slot carries (one per half)")
    link_latency: Duration = Field(description="from playback to chip input (s), whole cycles")
    driver_latency: Duration = Field(
        description="synapse-driver decode before the pulse starts (s)"
    )
    result_bytes_per_output: Int = Field(ge=1, le=8, description="bytes per result value")


PhaseKind = Literal["reset", "wait", "adc_read", "events", "transfer"]


class Phase(Section):
    """One step of the per-vector program."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="unique name of the phase")
    kind: PhaseKind = Field(description="reset, wait, adc_read, events or transfer")
    duration: Duration | None = Field(
        default=None,
        description="length (s); the events phase has none: it lasts as long as its events",
    )

    @model_validator(mode="after")
    def _duration(self) -> Phase:
        if self.kind == "events" and self.duration is not None:
            raise FieldProblem(
                ("duration",),
                "the events phase takes no duration",
                "its length follows from the inputs, num_sends and wait_between_events: remove it",
            )
        if self.kind != "events" and self.duration is None:
            raise FieldProblem(
                ("duration",),
                f"a '{self.kind}' phase needs a duration",
                "write e.g. 'duration: 5 us'",
            )
        return self


class Schedule(Section):
    """The ordered per-vector phases."""

    phases: tuple[Phase, ...] = Field(
        min_length=1, description="the phases of one vector, in order"
    )

    @model_validator(mode="after")
    def _structure(self) -> Schedule:
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
                ("phases",),
                f"the schedule needs exactly one 'events' phase, it has {kinds.count('events')}",
                "add (or keep only) one '{name: event_phase, kind: events}' phase",
            )
        ev = kinds.index("events")
        before, after = kinds[:ev], kinds[ev + 1 :]
        if "adc_read" not in after:
            raise FieldProblem(
                ("phases",),
                "no 'adc_read' phase after the events phase",
                "the result is read after the events",
            )
        if "reset" not in before:
            raise FieldProblem(
                ("phases",),
                "no 'reset' phase before the events phase",
                "the integration starts at a reset of the neurons",
            )
        last_reset = len(before) - 1 - before[::-1].index("reset")
        if "adc_read" not in before[:last_reset]:
            raise FieldProblem(
                ("phases",),
                "no baseline 'adc_read' before the reset that starts the integration",
                "the output is the read minus a baseline read at the reset level: "
                "reset, wait, adc_read, ..., reset, wait, events, wait, adc_read",
            )
        return self

    @property
    def events_index(self) -> int:
        """Index of the single ``events`` phase in :attr:`phases`."""
        return next(i for i, p in enumerate(self.phases) if p.kind == "events")


class Pulse(Section):
    t_lsb: PositiveTime = Field(description="pulse length per activation step (s)")


class TauGmCoupling(Section):
    """How the synaptic time constant follows the OTA bias (model.md sections 3-4):
    ``tau_eff = tau_knob * (g_m / reference_gm) ** (-exponent)``."""

    reference_gm: PositiveConductance = Field(
        description="g_m at which the line time constant equals the calibrated tau_syn (S)"
    )
    exponent: NonNegative = Field(
        description="tau_eff = tau_syn * (g_m / reference_gm)^(-exponent); 0: no coupling"
    )

    def factor(self, gm: float) -> float:
        """``(gm / reference_gm) ** (-exponent)``: the factor of the calibrated tau_syn at OTA
        transconductance ``gm`` (S). Exactly 1 at the reference (to 1e-12) or with exponent 0."""
        exponent, reference = float(self.exponent), float(self.reference_gm)
        if exponent == 0.0 or math.isclose(gm, reference, rel_tol=1e-12):
            return 1.0
        return float((gm / reference) ** -exponent)


class SynapticInput(Section):
    c_syn: Capacitance = Field(description="synaptic input line capacitance (F)")
    v_lin: PositiveVoltage = Field(description="OTA linear input range, I_sat = g_m * v_lin (V)")
    v_max: PositiveVoltage = Field(
        description="bound of a synaptic input line above its rest level: the synapse current "
        "sources leave compliance there and further charge is lost (V)"
    )
    tau_gm_coupling: TauGmCoupling


class SyninLine(Section):
    """The synaptic input line as the integrator of the synaptic-input readout
    (``geometry.readout: synaptic_input``, model.md section 13): its pull-up is off, the CADC
    reads the line, there is no OTA and no membrane in the signal path."""

    c_line: Capacitance = Field(
        description="capacitance of a line in this mode (the large setting) (F)"
    )
    tau_line: PositiveTime = Field(
        description="leak time constant of a line with its pull-up off (s); the fixed pattern "
        "spreads it by fixed_pattern.tau_syn"
    )
    v_rest: Voltage = Field(
        description="CADC input voltage of a line at rest, after its reset, in the frame of "
        "analog.adc (V); the synaptic currents discharge the line from here"
    )


class Membrane(Section):
    tau_leak: PositiveTime = Field(description="residual pseudo-leak time constant (s)")
    v_leak: Voltage = Field(description="level the pseudo-leak pulls towards (V)")
    rail_distance_hi: PositiveVoltage = Field(description="reset level to upper rail (V)")
    rail_distance_lo: PositiveVoltage = Field(description="reset level to lower rail (V)")
    compliance_width: PositiveVoltage = Field(description="width of the compliance roll-off (V)")


class AdcAnalog(Section):
    v_lo: Voltage = Field(description="voltage read as code 0 (V)")
    v_lsb: PositiveVoltage = Field(description="volts per ADC code (V)")
    conversion_time: Duration = Field(
        description="one conversion, from the sample at an adc_read to the code (s); only wait "
        "phases may follow an adc_read while it runs"
    )
    quadrant_columns: Int = Field(
        ge=1,
        le=65536,
        description="columns sharing one ramp (and one synapse DAC bias): a quadrant; the "
        "quadrant of column c is c // quadrant_columns",
    )
    inl: NonNegative = Field(
        description="integral non-linearity: std of the amplitude of the smooth bow of the "
        "thresholds of each quadrant (codes)"
    )
    dnl: NonNegative = Field(
        description="differential non-linearity: std of each threshold's own deviation (codes)"
    )


class Analog(Section):
    """Circuit parameters that calibration does not set (model.md sections 2-8)."""

    dt: PositiveTime = Field(description="integration step of the analog kernels (s)")
    pulse: Pulse
    synaptic_input: SynapticInput
    membrane: Membrane
    adc: AdcAnalog
    synin: SyninLine | None = Field(
        default=None,
        description="the line as the integrator: required with geometry.readout: "
        "synaptic_input, refused otherwise",
    )


class Flicker(Section):
    """1/f noise of every OTA, input-referred (model.md section 6): a sum of ``components``
    Ornstein-Uhlenbeck processes with time constants spaced geometrically from ``tau_min`` to
    ``tau_max``, held over ``blocks`` noise blocks at a time."""

    psd_at_1MHz: VoltagePsd = Field(
        description="one-sided input-referred PSD at 1 MHz (V^2/Hz): S(f) = psd_at_1MHz * 1 MHz / f; "
        "0 switches it off"
    )
    tau_min: PositiveTime = Field(description="shortest time constant (s): the band's upper edge")
    tau_max: PositiveTime = Field(description="longest time constant (s): the band's lower edge")
    components: Int = Field(
        ge=2, le=31, description="OU processes that make up the 1/f band (the kernels hold 31)"
    )
    blocks: Int = Field(
        ge=1, le=4096, description="noise blocks over which the flicker is held constant"
    )

    @model_validator(mode="after")
    def _band(self) -> Flicker:
        if not float(self.tau_min) < float(self.tau_max):
            raise FieldProblem(
                ("tau_max",),
                f"tau_max = {format_si(self.tau_max, 'time')} is not longer than tau_min = "
                f"{format_si(self.tau_min, 'time')}",
                "the 1/f band runs from 1 / (2 pi tau_max) to 1 / (2 pi tau_min): tau_min < tau_max",
            )
        return self


class SyninNoise(Section):
    """The temporal noise of the synaptic-input readout besides the CADC's, the pulse jitter and
    the synapse DAC bias noise (model.md section 13)."""

    line_current_psd: CurrentPsd = Field(
        description="one-sided PSD of the white current noise on a line (A^2/Hz)"
    )
    readout_flicker_psd_at_1MHz: VoltagePsd = Field(
        description="one-sided 1/f PSD at 1 MHz of the readout path between the line and the "
        "CADC, added at each conversion (V^2/Hz); band and components of noise.flicker"
    )


class Noise(Section):
    """Temporal noise sources."""

    sigma_line: NonNegativeVoltage = Field(description="stationary std of the line OU noise (V)")
    ota_current_psd_per_gm: CurrentPsdPerGm = Field(
        description="one-sided PSD of the OTA output current noise per siemens of g_m (A^2/Hz/S)"
    )
    sigma_jitter: Time = Field(description="std of the per-event pulse length jitter (s)")
    sigma_bias: NonNegative = Field(
        le=0.5,
        description="relative std of the per-vector factor of every synaptic current of a column "
        "(synapse DAC bias fluctuation); at most 0.5, beyond the factor is often negative",
    )
    sigma_bias_common: NonNegative = Field(
        le=0.5,
        description="relative std of the per-vector synaptic current factor common to a quadrant; "
        "at most 0.5",
    )
    sigma_gm: NonNegative = Field(
        le=0.5,
        description="relative std of the per-vector factor on the OTA transconductance of each "
        "path of a neuron (OTA bias fluctuation, independent for the excitatory and inhibitory "
        "path); at most 0.5",
    )
    block: PositiveTime = Field(
        default=256e-9,
        description="noise block (s): the line and OTA noise enter as exact block means over "
        "this time; a whole number of analog.dt steps (default 256 ns)",
    )
    flicker: Flicker
    sigma_adc: NonNegative = Field(description="ADC read noise per conversion (codes)")
    sigma_ramp: NonNegative = Field(
        description="ADC ramp noise per conversion, common to the columns of a quadrant (codes)"
    )
    synin: SyninNoise | None = Field(
        default=None,
        description="noise of the synaptic-input readout: required with geometry.readout: "
        "synaptic_input, refused otherwise",
    )


class FixedPattern(Section):
    """Static spread, drawn once per simulated chip (relative std unless a unit is given)."""

    synapse_current: NonNegative = Field(description="relative std of the current per synapse")
    driver_pulse_gain: NonNegative = Field(
        description="relative std of the pulse length per driver"
    )
    driver_pulse_offset: Time = Field(description="std of the pulse length offset per driver (s)")
    gm: NonNegative = Field(
        description="relative std of each path's amplitude (g_m tau_syn) per neuron after "
        "calibration, drawn separately for the excitatory and the inhibitory path; g_m = "
        "g_m,knob (1 + this) / (1 + tau_syn residual), as the calibration sets the OTA bias to "
        "a common amplitude"
    )
    tau_syn: NonNegative = Field(
        description="relative std of the synaptic time constant per neuron, drawn separately for "
        "the excitatory and the inhibitory line"
    )
    ota_offset: NonNegativeVoltage = Field(
        description="std of the input-referred offset of each OTA left by the calibration (V)"
    )
    leak_level: NonNegativeVoltage = Field(
        description="std of the level the pseudo-leak pulls each neuron towards (V)"
    )
    offset_current: Current = Field(
        description="std of the other leakage current into the membrane per neuron (A)"
    )
    rail: NonNegativeVoltage = Field(description="std of both rail distances per neuron (V)")
    adc_slope: NonNegative = Field(
        description="relative std of the ramp slope per ADC quadrant (volts per code)"
    )
    adc_ramp_offset: NonNegative = Field(
        description="std of the ramp offset per ADC quadrant (codes)"
    )
    adc_offset: NonNegative = Field(
        description="std of the comparator offset per ADC channel (column) (codes)"
    )
    spatial_gradient: Fraction = Field(description="current loss from the first to the last column")


class CapMemTransfer(Section):
    """The code-to-physical transfer of the analog parameter memory's cells (10 bit, codes
    0..1022), before calibration (docs/calibration.md).

    A cell at code ``c`` acts as the *effective code*
    ``c_eff = (c + inl sin(pi c / 1022)) (1 + gain_i) + offset_i``, with ``gain_i`` and
    ``offset_i`` drawn per cell (standard deviations ``gain_spread`` and ``offset_spread``); a
    voltage cell gives ``v_at_zero + v_per_code c_eff``, a current cell a value proportional to
    ``c_eff``."""

    inl: NonNegative = Field(
        description="amplitude of the smooth bow of every cell's transfer (codes, at mid-range)"
    )
    gain_spread: NonNegative = Field(
        le=0.5, description="relative std of the slope of each cell's transfer"
    )
    offset_spread: NonNegative = Field(description="std of the offset of each cell (codes)")
    v_per_code: PositiveVoltage = Field(description="volts per code of a voltage cell (V)")
    v_at_zero: Voltage = Field(
        description="voltage of a voltage cell at code 0 (V), in the model's frame (0 V: the "
        "level a calibrated CADC reads as code 0 when the target range is the default)"
    )


class Uncalibrated(Section):
    """The chip before calibration: the raw mismatch of the circuits the calibration trims and
    the transfer of the knobs it sets (docs/calibration.md). Optional: a description without it
    cannot be calibrated, only run with its profiles."""

    capmem: CapMemTransfer
    gm: NonNegative = Field(
        le=0.5,
        description="relative std of the raw OTA bias-to-g_m factor per neuron and path "
        "(g_m = i_synin_gm's per_code x effective code x factor)",
    )
    tau_syn: NonNegative = Field(
        le=0.5, description="relative std of the raw synaptic time constant per neuron and path"
    )
    tau_syn_bias: PositiveTime = Field(
        description="time constant of a line whose bias cell has effective code 1 (s): "
        "tau_syn = tau_syn_bias / effective code x raw factor (a bias current sets the rate)"
    )
    tau_mem: NonNegative = Field(
        le=0.5,
        description="relative std of the raw leak conductance factor per neuron (the leak "
        "bias cell's OTA, with leak division as in the reference's integration mode)",
    )
    tau_mem_bias: PositiveTime = Field(
        description="membrane time constant of a neuron whose leak bias cell has effective "
        "code 1 (s): the leak's own time constant is tau_mem_bias / effective code / raw "
        "factor, in parallel with analog.membrane.tau_leak (the pseudo-leak)"
    )
    adc_ramp_offset: NonNegativeVoltage = Field(
        description="std of the start voltage of each quadrant's ramp around its cell's (V)"
    )
    adc_slope: NonNegative = Field(
        le=0.5, description="relative std of the slope of each quadrant's ramp"
    )
    adc_slope_per_code: PositiveVoltage = Field(
        description="volts per CADC count per effective code of the ramp slope cell (V)"
    )
    adc_channel_offset: NonNegative = Field(
        description="std of each channel's comparator offset before calibration (codes)"
    )
    adc_channel_offset_range: tuple[Int, Int] = Field(
        default=(-128, 127),
        description="digital offsets a channel can add to its reads (codes, lowest, highest)",
    )
    leak_level: NonNegativeVoltage = Field(
        description="std of each neuron's raw leak level around its cell's voltage (V)"
    )
    reset_level: NonNegativeVoltage = Field(
        description="std of each neuron's raw reset level around its cell's voltage (V)"
    )
    synapse_dac: NonNegative = Field(
        le=0.5,
        description="relative std of the raw current factor of each quadrant's synapse DAC bias "
        "(I_max = synapse_dac_bias's per_code x effective code x factor)",
    )
    driver_block: Int = Field(
        ge=1,
        description="synapse drivers per analog memory block: they share one ramp cell "
        "(drivers 0..driver_block-1 of a half the first block, ...)",
    )
    driver_ramp: NonNegative = Field(
        le=0.5, description="relative std of the raw ramp current factor of each driver block"
    )
    driver_ramp_code: Int = Field(
        ge=1,
        le=1022,
        description="effective code of a ramp cell at which a driver's pulse grows by "
        "analog.pulse.t_lsb per activation step (the pulse per step grows with the code)",
    )
    driver_pulse_window: PositiveTime = Field(
        description="longest pulse a driver makes (s): the end of its ramp window; the "
        "calibration aims for 90 % of it at the largest activation, as the reference does"
    )
    driver_pulse_gain: NonNegative = Field(
        le=0.5,
        description="relative std of each driver's raw pulse length per activation step (no "
        "per-driver knob trims it)",
    )
    driver_pulse_offset: Time = Field(
        description="std of each driver's raw pulse length offset (s)"
    )
    driver_offset_per_code: PositiveTime = Field(
        description="pulse length one code of a driver's 6-bit DAC offset removes (s): a "
        "higher code, a shorter pulse"
    )
    driver_offset_spread: NonNegative = Field(
        le=0.5, description="relative std of each driver's DAC offset step"
    )
    driver_offset_zero: Int = Field(
        description="DAC offset code at which a driver's offset adds nothing (its nominal code)"
    )
    driver_offset_range: tuple[Int, Int] = Field(
        default=(0, 63), description="codes of a driver's DAC offset (lowest, highest)"
    )

    @model_validator(mode="after")
    def _offset_range(self) -> Uncalibrated:
        lo, hi = self.adc_channel_offset_range
        if not lo < 0 < hi:
            raise FieldProblem(
                ("adc_channel_offset_range",),
                f"[{lo}, {hi}] does not hold 0 inside",
                "write [lowest, highest] with lowest < 0 < highest (BrainScaleS-2: [-128, 127])",
            )
        lo, hi = self.driver_offset_range
        if not lo <= self.driver_offset_zero <= hi or lo >= hi:
            raise FieldProblem(
                ("driver_offset_zero",),
                f"{self.driver_offset_zero} is not a code of driver_offset_range [{lo}, {hi}]",
                "give a code inside the range (BrainScaleS-2: 32 in [0, 63])",
            )
        return self


def _parse_target_values(data: Any, keys: tuple[str, ...]) -> Any:
    """Before validation of a knob: parse ``keys`` as quantities in the unit of its target.

    The dimension follows from ``sets``; when ``sets`` is missing or unknown the raw values are
    left alone and the field validation reports ``sets``.
    """
    if not isinstance(data, dict) or not isinstance(data.get("sets"), str):
        return data
    dimension = KNOB_TARGETS.get(data["sets"])
    if dimension is None:
        return data
    data = dict(data)
    for key in keys:
        raw = data.get(key)
        if raw is None:
            continue
        if key == "allowed":
            if not isinstance(raw, list) or len(raw) != 2:
                continue  # the field validation says what a range looks like
            parsed = []
            for index, item in enumerate(raw):
                try:
                    parsed.append(parse_quantity(item, dimension))
                except QuantityError as err:
                    raise FieldProblem.from_quantity((key, index), err) from None
            data[key] = parsed
        else:
            try:
                data[key] = parse_quantity(raw, dimension)
            except QuantityError as err:
                raise FieldProblem.from_quantity((key,), err) from None
    return data


class CodeKnob(Section):
    """A knob set as an integer hardware code (a DAC or CapMem cell).

    The mapping is linear: ``value = offset + per_code * code`` in the SI unit of the target
    (``per_code`` and ``offset`` are written with that unit). ``range`` holds the codes the
    hardware can store, ``allowed`` the codes a calibration may choose.
    """

    description: str = Field(description="what the knob is, in words")
    kind: Literal["code"] = Field(description="'code': set as an integer hardware code")
    range: tuple[Int, Int] = Field(description="lowest and highest code the hardware can hold")
    allowed: tuple[Int, Int] = Field(description="lowest and highest code a calibration may use")
    sets: KnobTarget = Field(description="the physical parameter this knob sets")
    per_code: float = Field(description="physical value per code step (SI unit of the target)")
    offset: float = Field(description="physical value at code 0 (SI unit of the target)")

    @model_validator(mode="before")
    @classmethod
    def _units(cls, data: Any) -> Any:
        return _parse_target_values(data, ("per_code", "offset"))

    @model_validator(mode="after")
    def _mapping(self) -> CodeKnob:
        lo, hi = self.range
        if not 0 <= lo <= hi:
            raise FieldProblem(
                ("range",),
                f"range [{lo}, {hi}] is not a range of codes",
                "write [lowest, highest] with 0 <= lowest <= highest",
            )
        alo, ahi = self.allowed
        if not (lo <= alo <= ahi <= hi):
            raise FieldProblem(
                ("allowed",),
                f"allowed [{alo}, {ahi}] is not a sub-range of range [{lo}, {hi}]",
                "a calibration can only choose codes the hardware can hold",
            )
        if self.per_code == 0:
            raise FieldProblem(
                ("per_code",),
                "per_code is 0: every code would give the same value",
                "give the change of the physical value per code step",
            )
        return self

    def to_physical(self, code: int) -> float:
        """Physical value (SI) of ``code``: ``offset + per_code * code``.

        Any code the hardware can hold (``range``) is accepted; others raise ``ValueError``, a
        non-integer code (``bool``, a float) ``TypeError``.
        """
        code = rules.integer(code, "code")
        lo, hi = self.range
        if not lo <= code <= hi:
            raise ValueError(
                f"code {code} is outside the range {lo}..{hi} of the knob that sets {self.sets}"
            )
        return self.offset + self.per_code * code

    def to_code(self, value: float) -> int:
        """The code (nearest) that gives the physical ``value`` (SI).

        Only codes a calibration may use (``allowed``) are returned: a value that needs another
        code raises ``ValueError`` instead of being clipped.
        """
        dimension = KNOB_TARGETS[self.sets]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise ValueError(
                f"value must be a finite number of {dimension} in SI units, got {value!r}"
            )
        code = round((value - self.offset) / self.per_code)
        lo, hi = self.allowed
        if not lo <= code <= hi:
            raise ValueError(
                f"{format_si(value, dimension)} needs code {code}, outside the allowed codes "
                f"{lo}..{hi} ({format_si(self.to_physical(lo), dimension)} .. "
                f"{format_si(self.to_physical(hi), dimension)})"
            )
        return code


class PhysicalKnob(Section):
    """A knob whose calibration target is a physical value (e.g. a time constant)."""

    description: str = Field(description="what the knob is, in words")
    kind: Literal["physical"] = Field(description="'physical': set as a physical target value")
    sets: KnobTarget = Field(description="the physical parameter this knob sets")
    allowed: tuple[float, float] = Field(
        description="lowest and highest target (written in the unit of the target, stored in SI)"
    )

    @model_validator(mode="before")
    @classmethod
    def _units(cls, data: Any) -> Any:
        return _parse_target_values(data, ("allowed",))

    @model_validator(mode="after")
    def _bounds(self) -> PhysicalKnob:
        lo, hi = self.allowed
        if lo > hi:
            dimension = KNOB_TARGETS[self.sets]
            raise FieldProblem(
                ("allowed",),
                f"allowed [{format_si(lo, dimension)}, {format_si(hi, dimension)}] is empty",
                "write [lowest, highest]",
            )
        return self


Knob = Annotated[CodeKnob | PhysicalKnob, Field(discriminator="kind")]


class Profile(Section):
    """A named calibration profile: a value for every knob, and the residual fixed pattern."""

    description: str = Field(description="what this profile is for, in words")
    knobs: dict[str, Any] = Field(
        description="knob name -> code (int) or physical value (unit string)"
    )
    fixed_pattern_scale: NonNegative = Field(
        default=1.0, description="multiplies every fixed_pattern spread (1 = as calibrated)"
    )


class EnergyTable(Section):
    """Energy per action and static power."""

    provenance: str = Field(description="where the energies come from (or that they are estimates)")
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

    schema_version: Annotated[Literal[1], BeforeValidator(_exact_int)] = Field(
        description="format of the file; 1 so far"
    )
    identity: Identity
    geometry: Geometry
    formats: Formats
    clocks: Clocks
    io: IO
    schedule: Schedule
    analog: Analog
    noise: Noise
    fixed_pattern: FixedPattern
    knobs: dict[str, Knob] = Field(description="knob name -> code knob or physical knob")
    calibration: dict[str, Profile] = Field(description="profile name -> knob values")
    energy: EnergyTable
    uncalibrated: Uncalibrated | None = Field(
        default=None,
        description="the raw mismatch and knob transfers before calibration (None: the chip "
        "runs only with its calibration profiles)",
    )
    exotic: dict[str, str] = Field(
        default_factory=dict,
        description="YAML path -> reason: values allowed outside their plausibility range "
        "(hwdesc.plausibility)",
    )

    @field_validator("calibration")
    @classmethod
    def _has_default(cls, value: dict) -> dict:
        if "default" not in value:
            raise FieldProblem(
                (),
                "no 'default' calibration profile",
                f"add calibration.default with a value for every knob "
                f"(profiles now: {', '.join(map(str, value)) or 'none'})",
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ChipDescription:
        cycle = self.cycle_time
        for path, seconds in self._cycle_times():
            try:
                self.cycles(seconds)
            except ValueError:
                raise FieldProblem(
                    path,
                    f"{format_si(seconds, 'time', digits=9)} is not a whole number of FPGA "
                    f"cycles ({format_si(cycle, 'time')} each at clocks.fpga)",
                    f"use a multiple of {format_si(cycle, 'time')}",
                ) from None
        targets: dict[str, str] = {}
        for name, knob in self.knobs.items():
            if knob.sets in targets:
                raise FieldProblem(
                    ("knobs", name, "sets"),
                    f"knob '{name}' sets '{knob.sets}', which knob '{targets[knob.sets]}' already sets",
                    "each physical parameter is set by exactly one knob",
                )
            targets[knob.sets] = name
        missing = [t for t in KNOB_TARGETS if t not in targets]
        if missing:
            raise FieldProblem(
                ("knobs",),
                f"no knob sets {', '.join(missing)}",
                f"every one of {', '.join(KNOB_TARGETS)} must be set by one knob",
            )
        for pname, profile in self.calibration.items():
            self._check_profile(pname, profile)
        self._check_plausible()  # first: a unit slip is reported as one
        self._check_adc()
        steps = float(self.noise.block) / float(self.analog.dt)
        if round(steps) < 1 or abs(steps - round(steps)) > 1e-6 * steps:
            n = max(1, round(steps))
            raise FieldProblem(
                ("noise", "block"),
                f"{format_si(self.noise.block, 'time', digits=9)} is not a whole number of "
                f"integration steps (analog.dt = {format_si(self.analog.dt, 'time')})",
                f"use a multiple of analog.dt, e.g. {format_si(n * float(self.analog.dt), 'time')}",
            )
        self._check_readout()
        return self

    def _check_readout(self) -> None:
        """The synaptic-input readout needs its line and noise sections, the membrane readout
        has none; the line's leak must be slow against the kernels' noise block."""
        synin = self.geometry.readout == "synaptic_input"
        for path, section in (
            (("analog", "synin"), self.analog.synin),
            (("noise", "synin"), self.noise.synin),
        ):
            if synin and section is None:
                raise FieldProblem(
                    path,
                    f"geometry.readout is synaptic_input but `{'.'.join(path)}` is missing",
                    "the synaptic-input readout integrates on the lines: give "
                    + (
                        "analog.synin: {c_line, tau_line, v_rest}"
                        if path[0] == "analog"
                        else "noise.synin: {line_current_psd, readout_flicker_psd_at_1MHz}"
                    )
                    + " (docs/chip-description.md)",
                )
            if not synin and section is not None:
                raise FieldProblem(
                    path,
                    f"`{'.'.join(path)}` is given but geometry.readout is {self.geometry.readout}",
                    "only the synaptic-input readout reads it: remove the section, or set "
                    "geometry.readout: synaptic_input (with rows_per_signed_input 1 and "
                    "columns_per_signed_output 2)",
                )
        if synin:
            assert self.analog.synin is not None
            block = float(self.noise.block)
            if self.analog.synin.tau_line < 2 * block:
                raise FieldProblem(
                    ("analog", "synin", "tau_line"),
                    f"tau_line = {format_si(self.analog.synin.tau_line, 'time')} is shorter than "
                    f"two noise blocks ({format_si(2 * block, 'time')} = 2 x noise.block)",
                    "the line of this mode leaks slowly (its pull-up is off): tau_line >= "
                    f"{format_si(2 * block, 'time')}",
                )

    #: Largest ``analog.adc.dnl`` (codes). The thresholds ``k - 0.5 + dev_k`` must increase; two
    #: neighbours differ by ``1 + dev_{k+1} - dev_k``, whose random part has std ``dnl * sqrt(2)``.
    #: At 0.3 codes a step shorter than 0.2 codes (the floor the fixed pattern clips to) is a
    #: 1.9-sigma event (3 % of the steps); beyond, the clipping, not ``dnl``, would shape the steps.
    MAX_DNL: ClassVar[float] = 0.3

    def _check_adc(self) -> None:
        """The ADC quadrants tile a half, its thresholds stay increasing, and every conversion
        ends before the next phase that needs or disturbs it."""
        adc = self.analog.adc
        columns = self.geometry.columns
        if adc.quadrant_columns > columns or columns % adc.quadrant_columns:
            raise FieldProblem(
                ("analog", "adc", "quadrant_columns"),
                f"quadrant_columns ({adc.quadrant_columns}) does not divide the "
                f"{columns} columns of a half (geometry.columns) into whole quadrants",
                f"use a divisor of {columns} (BrainScaleS-2: 128 of 256, two quadrants per half)",
            )
        if adc.dnl > self.MAX_DNL:
            raise FieldProblem(
                ("analog", "adc", "dnl"),
                f"dnl = {adc.dnl:g} codes is too large for increasing thresholds",
                f"dnl <= {self.MAX_DNL:g} codes: neighbouring thresholds differ by 1 code plus "
                "two independent deviations (std dnl x 1.41); above 0.3 codes many of them would "
                "cross and be clipped, so the drawn DNL would no longer be the one declared",
            )
        # the bow of quadrant q is inl_q sin(pi (k - 0.5) / max) with inl_q ~ inl N(0, 1): its
        # steepest step, inl_q pi / max, must stay below half a code up to inl_q = 4 inl
        max_inl = self.formats.adc.max / (8 * math.pi)
        if adc.inl > max_inl:
            raise FieldProblem(
                ("analog", "adc", "inl"),
                f"inl = {adc.inl:g} codes is too large for increasing thresholds of a "
                f"{self.formats.adc.max + 1}-code ADC",
                f"inl <= formats.adc.max / (8 pi) = {max_inl:.3g} codes: the bow's steepest step "
                "(pi inl_q / max) must stay below half a code for a quadrant 4 standard deviations "
                "out",
            )
        self._check_conversion()

    def _check_conversion(self) -> None:
        """After every adc_read, wait phases of at least ``analog.adc.conversion_time`` (the
        read's own duration counts) before any other phase; the program repeats per vector, so
        the waits at the start of the next vector count after the last phase."""
        t_conv = self.analog.adc.conversion_time
        if t_conv <= 0:
            return
        phases = self.schedule.phases
        n = len(phases)
        for index, phase in enumerate(phases):
            if phase.kind != "adc_read":
                continue
            total = phase.duration or 0.0
            nxt = (index + 1) % n
            for _ in range(n - 1):
                if phases[nxt].kind != "wait":
                    break
                total += phases[nxt].duration or 0.0
                nxt = (nxt + 1) % n
            if total < t_conv * (1 - 1e-9):
                after = phases[nxt]
                # a wait is whole FPGA cycles: the shortest one that holds the conversion
                need = math.ceil(t_conv / self.cycle_time - 1e-6) * self.cycle_time
                raise FieldProblem(
                    ("schedule", "phases", index),
                    f"the conversion of adc_read phase '{phase.name}' takes "
                    f"{format_si(t_conv, 'time')} (analog.adc.conversion_time), but only "
                    f"{format_si(total, 'time')} of wait follow before phase '{after.name}' "
                    f"({after.kind})",
                    f"lengthen the wait phase(s) after '{phase.name}' to at least "
                    f"{format_si(need, 'time')} in total, or insert "
                    f"'{{name: ..., kind: wait, duration: {format_si(need, 'time')}}}' after it "
                    "(the conversion must end before the next reset, read, events or transfer)",
                )

    def _check_plausible(self) -> None:
        """Every physical value within its plausibility range, unless ``exotic`` names it."""
        from . import plausibility
        from .source import dotted

        found = {dotted(path): (path, value, rng) for path, value, rng in plausibility.values(self)}
        for key, reason in self.exotic.items():
            if key not in found:
                close = difflib.get_close_matches(key, list(found), n=1, cutoff=0.6)
                raise FieldProblem(
                    ("exotic", key),
                    f"'{key}' names no value with a plausibility range",
                    (f"did you mean `{close[0]}`? " if close else "")
                    + "exotic takes YAML paths such as analog.synaptic_input.v_lin or "
                    "calibration.default.knobs.<knob>",
                )
            if not reason.strip():
                raise FieldProblem(
                    ("exotic", key),
                    "an exotic value needs a reason",
                    f"write why the design has it: '{key}: \"...\"'",
                )
        for key, (path, value, rng) in found.items():
            if key in self.exotic or rng.low <= value <= rng.high:
                continue
            where = "the value this knob sets" if path[0] == "calibration" else "the value"
            raise FieldProblem(
                path,
                f"{where}, {format_si(value, rng.dimension)}, is outside the plausible range "
                f"{format_si(rng.low, rng.dimension)} .. {format_si(rng.high, rng.dimension)}",
                f"{rng.reason}. A unit slip? If the design really has this value, declare it: "
                f"'exotic: {{{key}: \"<why>\"}}'",
            )

    def _cycle_times(self):
        yield ("io", "link_latency"), self.io.link_latency
        yield ("io", "event_slot_period"), self.io.event_slot_period
        for index, phase in enumerate(self.schedule.phases):
            if phase.duration is not None:
                yield ("schedule", "phases", index, "duration"), phase.duration

    def _check_profile(self, pname: str, profile: Profile) -> None:
        base = ("calibration", pname, "knobs")
        for kname in profile.knobs:
            if kname not in self.knobs:
                close = difflib.get_close_matches(str(kname), list(self.knobs), n=1, cutoff=0.5)
                raise FieldProblem(
                    base + (kname,),
                    f"unknown knob '{kname}'",
                    (f"did you mean `{close[0]}`? " if close else "")
                    + f"knobs of this chip: {', '.join(self.knobs)}",
                )
        missing = [k for k in self.knobs if k not in profile.knobs]
        if missing:
            raise FieldProblem(
                base,
                f"profile '{pname}' gives no value for knob{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(k) for k in missing)}",
                "every profile sets every knob",
            )
        for kname, raw in profile.knobs.items():
            knob = self.knobs[kname]
            if isinstance(knob, CodeKnob):
                lo, hi = knob.allowed
                if isinstance(raw, bool) or not isinstance(raw, int):
                    shown = (
                        "a mapping"
                        if isinstance(raw, dict)
                        else "a list"
                        if isinstance(raw, list)
                        else repr(raw)
                    )
                    raise FieldProblem(
                        base + (kname,),
                        f"knob '{kname}' takes an integer code, got {shown}",
                        f"allowed codes for '{kname}': {lo}..{hi}",
                    )
                if not lo <= raw <= hi:
                    dim = KNOB_TARGETS[knob.sets]
                    raise FieldProblem(
                        base + (kname,),
                        f"code {raw} is out of range",
                        f"allowed codes for '{kname}': {lo}..{hi} "
                        f"({knob.sets} {format_si(knob.to_physical(lo), dim)} .. "
                        f"{format_si(knob.to_physical(hi), dim)})",
                    )
            else:
                dim = KNOB_TARGETS[knob.sets]
                try:
                    value = parse_quantity(raw, dim)
                except QuantityError as err:
                    raise FieldProblem.from_quantity(base + (kname,), err) from None
                v_lo, v_hi = knob.allowed
                if not v_lo <= value <= v_hi:
                    raise FieldProblem(
                        base + (kname,),
                        f"{raw} is out of range",
                        f"allowed for '{kname}': {format_si(v_lo, dim)} .. {format_si(v_hi, dim)}",
                    )
        self._check_physics(pname, profile)

    def _check_physics(self, pname: str, profile: Profile) -> None:
        """What the profile's knobs set must make a circuit the analog model can integrate."""
        base = ("calibration", pname, "knobs")
        values = {}
        for kname, raw in profile.knobs.items():
            knob = self.knobs[kname]
            dim = KNOB_TARGETS[knob.sets]
            value = (
                knob.to_physical(raw) if isinstance(knob, CodeKnob) else parse_quantity(raw, dim)
            )
            values[knob.sets] = (kname, value)
            must_be_positive = knob.sets in ("tau_syn", "c_m")
            if value < 0 or (must_be_positive and value <= 0):
                raise FieldProblem(
                    base + (kname,),
                    f"knob '{kname}' sets {knob.sets} = {format_si(value, dim)}",
                    f"{knob.sets} must be {'> 0' if must_be_positive else '>= 0'}; check the code and "
                    f"the mapping in `knobs.{kname}`",
                )
        kname, tau = values["tau_syn"]
        # the lines run at the time constant the OTA bias leaves (tau_gm_coupling)
        factor = self.analog.synaptic_input.tau_gm_coupling.factor(values["gm"][1])
        which = f"of profile '{pname}'"
        if factor != 1.0:
            which += (
                f" (the calibrated {format_si(tau, 'time')} x {factor:.4g} at g_m = "
                f"{format_si(values['gm'][1], 'conductance')}: analog.synaptic_input.tau_gm_coupling)"
            )
            tau *= factor
        if self.analog.dt > 0.45 * tau:
            raise FieldProblem(
                ("analog", "dt"),
                f"dt = {format_si(self.analog.dt, 'time')} is too long for tau_syn = "
                f"{format_si(tau, 'time')} {which}",
                f"the kernels integrate exactly up to dt = tau_syn / 2 (with a margin for the "
                f"fixed pattern: dt <= 0.45 tau_syn = {format_si(0.45 * tau, 'time')})",
            )
        if self.analog.membrane.tau_leak < 2.5 * tau:
            raise FieldProblem(
                ("analog", "membrane", "tau_leak"),
                f"tau_leak = {format_si(self.analog.membrane.tau_leak, 'time')} is not slow "
                f"compared with tau_syn = {format_si(tau, 'time')} {which}",
                f"the pseudo-leak must be slow: tau_leak >= 2.5 tau_syn = {format_si(2.5 * tau, 'time')}",
            )

    @property
    def noise_substeps(self) -> int:
        """Integration steps (of ``analog.dt``) per noise block (``noise.block``)."""
        return max(1, round(float(self.noise.block) / float(self.analog.dt)))

    def __hash__(self) -> int:
        # Frozen, so usable as a cache key; the knob and profile mappings are dicts, which the
        # generated hash of a frozen model cannot take.
        return hash(self.model_dump_json())

    # ---- derived quantities -------------------------------------------------------------
    @property
    def cycle_time(self) -> float:
        """One FPGA cycle (s)."""
        return 1.0 / self.clocks.fpga

    def cycles(self, seconds: float) -> int:
        """``seconds`` as a whole number of FPGA cycles.

        A time that is not a whole number of cycles (to 1e-6 of a cycle) raises ``ValueError``
        rather than being rounded; every validated duration and latency is whole.
        """
        count = seconds * self.clocks.fpga
        if not math.isfinite(count) or abs(count - round(count)) > 1e-6:
            raise ValueError(
                f"{seconds!r} s is not a whole number of FPGA cycles ({format_si(self.cycle_time, 'time')})"
            )
        return int(round(count))

    @property
    def tile_shape(self) -> tuple[int, int]:
        """(signed inputs, signed outputs) of one half, e.g. (128, 256)."""
        return self.geometry.tile_shape

    def event_phase_cycles(
        self,
        n_inputs: int,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    ) -> int:
        """Nominal length of the event phase (cycles): ``n_inputs * num_sends * wait_between_events``.

        ``n_inputs`` is the number of events one half sends per pass (its non-zero inputs, at most
        ``tile_shape[0]``); with two halves, pass the larger count. The event simulator adds link
        queueing and latencies on top of this nominal length.
        """
        n = rules.integer(n_inputs, "n_inputs", 0, self.tile_shape[0])
        sends = rules.num_sends(num_sends)
        wait = rules.wait_between_events(wait_between_events)
        return n * sends * wait

    def fixed_cycles(self) -> int:
        """Cycles of every phase but the events phase."""
        total = 0
        for phase in self.schedule.phases:
            if phase.duration is not None:
                total += self.cycles(phase.duration)
        return total

    def vector_cycles(
        self,
        n_inputs: int,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    ) -> int:
        """Nominal cycles per input vector: :meth:`fixed_cycles` + :meth:`event_phase_cycles`."""
        return self.fixed_cycles() + self.event_phase_cycles(
            n_inputs, num_sends, wait_between_events
        )

    def vector_time(
        self,
        n_inputs: int,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    ) -> float:
        """Nominal seconds per input vector (:meth:`vector_cycles` x :attr:`cycle_time`)."""
        return self.vector_cycles(n_inputs, num_sends, wait_between_events) * self.cycle_time

    def profile(self, name: str) -> Profile:
        """The calibration profile ``name``; an unknown name raises ``ValueError`` listing them."""
        if isinstance(name, str) and name in self.calibration:
            return self.calibration[name]
        close = difflib.get_close_matches(str(name), list(self.calibration), n=1, cutoff=0.5)
        raise ValueError(
            f"no calibration profile {name!r} in chip '{self.identity.name}'; "
            + (f"did you mean '{close[0]}'? " if close else "")
            + f"profiles: {', '.join(self.calibration)}"
        )

    def with_knobs(
        self, knobs: dict[str, Any], base: str = "default", name: str | None = None
    ) -> ChipDescription:
        """A copy with one more calibration profile: profile ``base`` with ``knobs`` overridden.

        ``knobs`` maps knob names to values written as in a profile (an integer code for a code
        knob, a unit string such as ``"0.64 us"`` for a physical knob). The new profile is
        checked like a profile in the file (known knob, allowed range, a circuit the kernels can
        integrate) and is named ``name`` (default: ``base`` followed by the overrides, e.g.
        ``default+i_synin_gm=300``). Raises ``ValueError`` naming the knob and what is allowed.
        """
        prof = self.profile(base)
        if not isinstance(knobs, dict):
            raise TypeError(
                f"knobs must be a dict of knob name -> value, got {type(knobs).__name__}"
            )
        name = name or base + "".join(f"+{k}={v}" for k, v in knobs.items())
        new = prof.model_copy(
            update={
                "knobs": {**prof.knobs, **knobs},
                "description": prof.description + "".join(f"; {k} = {v}" for k, v in knobs.items()),
            }
        )
        try:
            self._check_profile(name, new)
        except FieldProblem as err:
            where = str(err.path[-1]) if len(err.path) > 3 else f"profile {name!r}"
            raise ValueError(
                f"{where}: {err.problem}" + (f"; {err.hint}" if err.hint else "")
            ) from None
        return self.model_copy(update={"calibration": {**self.calibration, name: new}})

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
