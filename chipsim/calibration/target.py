"""Calibration targets: what a calibration aims for, in the reference calibration's names and
defaults.

:class:`HagenCalibTarget` is the target of the matrix multiplication with integration on the
neurons' membranes; :class:`HagenSyninCalibTarget` that of integration on the synaptic input
lines (no neuron calibration). Both are frozen; :meth:`Target.with_overrides` returns a copy with
some fields changed::

    >>> target = HagenCalibTarget().with_overrides(tau_syn="0.64 us", i_synin_gm=225)
    >>> target.tau_syn
    6.4e-07

Times are given as unit strings (``"0.64 us"``, read by :func:`hwdesc.units.parse_quantity`) and
stored as SI floats (seconds); codes (CapMem LSB) and reads (CADC LSB) are integers, by the rules
of :mod:`hwdesc.rules`. Every field has an *allowed* range (a value outside it raises
``ValueError`` naming the field and the range) and a *standard* range, the one the reference
calibration was tuned for (a value outside it is accepted with a :class:`TargetWarning`: expect
imperfect results).
"""

from __future__ import annotations

import difflib
import json
import operator
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from hwdesc import rules
from hwdesc.units import QuantityError, format_si, parse_quantity

#: The largest value of a CapMem cell (10 bit; 1023 is not used by the reference).
CAPMEM_MAX = 1022
#: The largest CADC read (8 bit).
CADC_MAX = 255


class TargetWarning(UserWarning):
    """A target value outside the range the reference calibration was tuned for."""


@dataclass(frozen=True)
class Field:
    """One field of a target: its name, unit, default, allowed and standard ranges."""

    name: str
    kind: str  # "code", "read", "time", "noise", "code_range", "read_range"
    unit: str  # in messages and the documentation
    default: Any
    allowed: tuple[float, float]
    standard: tuple[float, float]
    optional: bool = False  # None is a value (target_noise: no noise target)
    doc: str = ""

    def show(self, value) -> str:
        """``value`` as written in messages (times with a prefix: ``'320 ns'``)."""
        if value is None:
            return "None"
        if self.kind == "time":
            return format_si(value, "time", 15)
        if isinstance(value, tuple):
            return f"{value[0]}..{value[1]}"
        return f"{value:g}" if isinstance(value, float) else str(value)

    def bounds(self, which: tuple[float, float]) -> str:
        low, high = which
        if self.kind == "time":
            return f"{format_si(low, 'time')}..{format_si(high, 'time')}"
        return f"{low:g}..{high:g} {self.unit}"

    def check(self, value):
        """``value`` checked and normalised (SI float, int, a tuple of two ints, or None)."""
        if value is None and self.optional:
            return None
        name = self.name
        if self.kind in ("code", "read"):
            low, high = (int(x) for x in self.allowed)
            try:
                number = rules.integer(value, name, low, high)
            except ValueError:  # an integer out of range: say so with the unit
                number = operator.index(value)
            self._within(number, number)
            return number
        if self.kind in ("code_range", "read_range"):
            if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
                raise TypeError(
                    f"{name}: expected two integers (lower, upper), got {value!r}; allowed: "
                    f"lower < upper within {self.bounds(self.allowed)}"
                )
            lower, upper = (rules.integer(v, f"{name}[{i}]") for i, v in enumerate(value))
            if lower >= upper:
                raise ValueError(
                    f"{name}: {lower}..{upper} is empty or reversed; allowed: lower < upper "
                    f"within {self.bounds(self.allowed)}"
                )
            self._within((lower, upper), lower, upper)
            return (lower, upper)
        dimension = "time" if self.kind == "time" else "dimensionless"
        try:
            number = parse_quantity(value, dimension)
        except QuantityError as err:
            plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
            raise (ValueError if plain else TypeError)(f"{name}: {err}") from None
        self._within(number, number)
        return number

    def _within(self, value, *numbers: float) -> None:
        low, high = self.allowed
        if any(not (low <= x <= high) for x in numbers) or (
            self.kind == "noise" and any(x <= 0 for x in numbers)
        ):
            allowed = self.bounds(self.allowed)
            if self.kind == "noise":
                allowed = f"> 0 and <= {high:g} {self.unit}, or None"
            raise ValueError(f"{self.name}: {self.show(value)} is out of range; allowed: {allowed}")
        low, high = self.standard
        if any(not (low <= x <= high) for x in numbers):
            warnings.warn(
                f"{self.name}: {self.show(value)} is outside the standard range "
                f"{self.bounds(self.standard)} of the reference calibration; expect imperfect "
                f"results",
                TargetWarning,
                stacklevel=4,
            )


def _us(value: float) -> float:
    """``value`` microseconds in seconds, exactly as the unit parser reads ``"<value> us"`` (so
    a bound given as "100 us" accepts the value 100 us: 100 * 1e-6 would lie one ulp below)."""
    return parse_quantity(f"{value!r} us", "time")


_DYNAMIC_RANGE_DOC = (
    "CapMem codes of the voltages at the lower and upper end of the CADC's dynamic range"
)
_READ_RANGE_DOC = "CADC reads aimed for at the lower and upper end of the dynamic range"
_SYNAPSE_DAC_BIAS_DOC = (
    "synapse DAC bias current (CapMem code): the charge a multiplication sends per event"
)


def _dynamic_range(default: tuple[int, int]) -> Field:
    return Field(
        "dynamic_range",
        "code_range",
        "CapMem LSB",
        default,
        (0, CAPMEM_MAX),
        (70, 550),
        doc=_DYNAMIC_RANGE_DOC,
    )


_READ_RANGE = Field(
    "read_range", "read_range", "CADC LSB", (20, 220), (0, CADC_MAX), (20, 220), doc=_READ_RANGE_DOC
)


def _synapse_dac_bias(default: int) -> Field:
    return Field(
        "synapse_dac_bias",
        "code",
        "CapMem LSB",
        default,
        (0, CAPMEM_MAX),
        (30, CAPMEM_MAX),
        doc=_SYNAPSE_DAC_BIAS_DOC,
    )


class Target:
    """A calibration target (a base class: use :class:`HagenCalibTarget` or
    :class:`HagenSyninCalibTarget`). Construct with keyword arguments for the fields that differ
    from the defaults; the instance is frozen, equal to another of the same kind and values, and
    hashable."""

    #: The name of this kind of target in saved files.
    kind: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[Field, ...]] = ()

    def __init__(self, **values: Any) -> None:
        self._refuse_unknown(values)
        for field in self.FIELDS:
            raw = values[field.name] if field.name in values else field.default
            object.__setattr__(self, field.name, field.check(raw))

    @classmethod
    def fields(cls) -> dict[str, Field]:
        """The fields of this kind of target, by name."""
        return {f.name: f for f in cls.FIELDS}

    @classmethod
    def _refuse_unknown(cls, values: Mapping[str, Any]) -> None:
        names = [f.name for f in cls.FIELDS]
        for key in values:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise TypeError(
                    f"{key}: not a field of {cls.__name__}; {hint}fields: {', '.join(names)}"
                )

    def with_overrides(self, **overrides: Any) -> Target:
        """A copy with the given fields changed (checked like the constructor's)."""
        self._refuse_unknown(overrides)
        copy = object.__new__(type(self))
        for field in self.FIELDS:
            if field.name in overrides:
                value = field.check(overrides[field.name])
            else:
                value = getattr(self, field.name)  # checked already
            object.__setattr__(copy, field.name, value)
        return copy

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON values (times in seconds), with ``kind``."""
        out: dict[str, Any] = {"kind": self.kind}
        for field in self.FIELDS:
            value = getattr(self, field.name)
            out[field.name] = list(value) if isinstance(value, tuple) else value
        return out

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> Target:
        """The target that :meth:`to_dict` gave (``kind`` selects the class)."""
        data = dict(data)
        kind = data.pop("kind", None)
        classes = {c.kind: c for c in (HagenCalibTarget, HagenSyninCalibTarget)}
        if kind not in classes:
            raise ValueError(f"kind: unknown target kind {kind!r}; allowed: {', '.join(classes)}")
        cls = classes[kind]
        cls._refuse_unknown(data)
        values: dict[str, Any] = {}
        for name, value in data.items():
            if cls.fields()[name].kind == "time" and isinstance(value, (int, float)):
                value = f"{float(value)!r} s"  # read back exactly
            values[name] = value
        return cls(**values)

    def key(self) -> str:
        """The target as canonical JSON text (sorted keys): part of the calibration cache's key."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is frozen; use with_overrides({name}=...) for a changed copy"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Target):
            return NotImplemented
        return self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        parts = []
        for field in self.FIELDS:
            value = getattr(self, field.name)
            shown = repr(field.show(value)) if field.kind == "time" else repr(value)
            parts.append(f"{field.name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self):
        return (_rebuild, (self.to_dict(),))


def _rebuild(data: dict[str, Any]) -> Target:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        return Target.from_dict(data)


class HagenCalibTarget(Target):
    """The target of the reference's hagen-mode calibration (integration on the membranes):
    CADC range, neuron leak potential, time constants, synaptic input OTA bias, synapse DAC
    bias."""

    kind: ClassVar[str] = "hagen"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        _dynamic_range((150, 500)),
        _READ_RANGE,
        Field(
            "leak",
            "read",
            "CADC LSB",
            120,
            (0, CADC_MAX),
            (100, 140),
            doc="CADC read of the membrane at rest",
        ),
        Field(
            "tau_mem",
            "time",
            "s",
            "60 us",
            (_us(0.1), _us(2000)),
            (_us(20), _us(100)),
            doc="membrane time constant while the synaptic inputs are calibrated",
        ),
        Field(
            "tau_syn",
            "time",
            "s",
            "0.32 us",
            (_us(0.1), _us(100)),
            (_us(0.3), _us(20)),
            doc="synaptic input time constant, excitatory and inhibitory",
        ),
        Field(
            "i_synin_gm",
            "code",
            "CapMem LSB",
            450,
            (0, CAPMEM_MAX),
            (30, 600),
            doc="synaptic input OTA bias: the median amplitude at this bias becomes the common "
            "target of all neurons",
        ),
        Field(
            "target_noise",
            "noise",
            "CADC LSB",
            None,
            (0, CADC_MAX),
            (1.0, 2.5),
            optional=True,
            doc="noise of an integration (standard deviation of reads) the leak bias aims for; "
            "None: the leak bias follows tau_mem",
        ),
        _synapse_dac_bias(CAPMEM_MAX),
    )

    dynamic_range: tuple[int, int]
    read_range: tuple[int, int]
    leak: int
    tau_mem: float
    tau_syn: float
    i_synin_gm: int
    target_noise: float | None
    synapse_dac_bias: int


class HagenSyninCalibTarget(Target):
    """The target of the reference's calibration for integration on the synaptic input lines:
    a narrower CADC range and a lower synapse DAC bias, no neuron calibration."""

    kind: ClassVar[str] = "hagen_synin"
    FIELDS: ClassVar[tuple[Field, ...]] = (
        _dynamic_range((150, 340)),
        _READ_RANGE,
        _synapse_dac_bias(800),
    )

    dynamic_range: tuple[int, int]
    read_range: tuple[int, int]
    synapse_dac_bias: int
