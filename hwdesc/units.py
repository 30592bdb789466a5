"""Physical values written as unit strings (``320 ns``, ``2.2 pF``) become SI floats here."""

from __future__ import annotations

import decimal
import functools
import math
import re

# The dimensions a field may declare, each by its SI unit (as written in YAML and in summaries).
SI_UNIT: dict[str, str] = {
    "time": "s",
    "frequency": "Hz",
    "capacitance": "F",
    "current": "A",
    "voltage": "V",
    "conductance": "S",
    "energy": "J",
    "power": "W",
    "current_psd_per_conductance": "A**2/Hz/S",
    "current_psd": "A**2/Hz",
    "voltage_psd": "V**2/Hz",
    "dimensionless": "",
}

# An example per dimension, shown in error messages.
EXAMPLES: dict[str, str] = {
    "time": "320 ns",
    "frequency": "125 MHz",
    "capacitance": "2.2 pF",
    "current": "0.5 uA",
    "voltage": "150 mV",
    "conductance": "0.9 uS",
    "energy": "20 pJ",
    "power": "0.6 W",
    "current_psd_per_conductance": "4e-18 A**2/Hz/S",
    "current_psd": "2e-26 A**2/Hz",
    "voltage_psd": "1e-14 V**2/Hz",
    "dimensionless": "3 %",
}

_LABELS: dict[str, str] = {
    "dimensionless": "plain number (or percentage)",
    "current_psd_per_conductance": "current noise density per conductance",
    "current_psd": "current noise density",
    "voltage_psd": "voltage noise density",
}

# A number, then optionally a unit expression: names joined by '*' or '/', each with an optional
# small integer power ('A**2', 'A^2'). Deliberately narrower than what pint would evaluate: no
# implicit products ('5 ns 3'), no decimal commas ('1,5 ns'), no arithmetic ('1/0 s'), no
# unbounded powers ('s**10**10').
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?"
_ATOM = r"(?:%|[A-Za-zµμΩ]+(?:\s*(?:\*\*|\^)\s*[+-]?\d)?)"
_UNIT = rf"{_ATOM}(?:\s*[*/]\s*{_ATOM})*"
_QUANTITY = re.compile(rf"\s*(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*", re.ASCII)


class QuantityError(ValueError):
    """A value that is not a valid quantity of the expected dimension.

    ``problem`` says what was found, ``hint`` how to write it; ``str()`` gives both.
    """

    def __init__(self, problem: str, hint: str) -> None:
        self.problem = problem
        self.hint = hint
        super().__init__(f"{problem}; {hint}")


def label(dimension: str) -> str:
    """Words for ``dimension`` in messages (``'plain number (or percentage)'``)."""
    return _LABELS.get(dimension, dimension)


@functools.lru_cache(maxsize=1)
def registry():
    """The shared pint unit registry (built on first use: pint is slow to import)."""
    import pint

    return pint.UnitRegistry()


@functools.lru_cache(maxsize=1)
def _dimensionalities() -> dict[str, object]:
    reg = registry()
    return {
        name: reg.Quantity(1, unit or "dimensionless").dimensionality
        for name, unit in SI_UNIT.items()
    }


@functools.lru_cache(maxsize=256)
def _unit_factor(unit: str) -> tuple[object, decimal.Decimal]:
    """(dimensionality, SI factor) of a unit expression; raises ``LookupError`` if unknown."""
    import pint

    try:
        base = registry().Quantity(1, unit).to_base_units()
    except pint.errors.PintError as err:
        raise LookupError(str(err)) from None
    # SI prefixes are exact decimals; 15 digits keep '320 ns' exactly 3.2e-07 after rounding.
    return base.dimensionality, decimal.Decimal(f"{float(base.magnitude):.15g}")


def _name_of(dimensionality: object) -> str:
    for name, dims in _dimensionalities().items():
        if dims == dimensionality:
            return name
    return f"quantity of dimension {dimensionality}"


def article(words: str) -> str:
    """``'a time'``, ``'an energy'``."""
    return ("an " if words[0] in "aeiou" else "a ") + words


def parse_quantity(value: object, dimension: str) -> float:
    """Convert ``value`` (a unit string such as ``"2.2 pF"``) into an SI float of ``dimension``.

    The string is a number followed by a unit (``"320 ns"``, ``"4e-18 A**2/Hz/S"``); dimensionless
    values may also be plain numbers (``0.03``) or percentages (``"3 %"``). NaN and infinities are
    refused. Raises :class:`QuantityError` (a ``ValueError``) that says what was found and how to
    write the value.
    """
    example = EXAMPLES[dimension]
    how = f"write {article(label(dimension))} like '{example}'"
    if isinstance(value, bool):
        raise QuantityError(f"expected {article(label(dimension))}, got the boolean {value}", how)
    if isinstance(value, (int, float)):
        if dimension != "dimensionless":
            raise QuantityError(
                f"a {dimension} needs a unit, got the bare number {value!r}",
                f"write it with a unit, like '{example}'",
            )
        number = float(value)
        if not math.isfinite(number):
            raise QuantityError(f"expected a finite number, got {value!r}", how)
        return number
    if not isinstance(value, str):
        kinds: dict[type, str] = {dict: "a mapping", list: "a list"}
        kind = kinds.get(type(value), type(value).__name__)
        raise QuantityError(
            f"expected {article(label(dimension))} written as a string, got {kind}", how
        )
    match = _QUANTITY.fullmatch(value)
    if match is None:
        raise QuantityError(f"cannot read '{value}' as {article(label(dimension))}", how)
    digits = decimal.Decimal(match["number"])
    unit = match["unit"]
    if unit is None:
        if dimension != "dimensionless":
            raise QuantityError(
                f"a {dimension} needs a unit, got the bare number '{value}'",
                f"write it with a unit, like '{example}'",
            )
        found, factor = _dimensionalities()["dimensionless"], decimal.Decimal(1)
    else:
        try:
            found, factor = _unit_factor(re.sub(r"\s+", "", unit))
        except LookupError:
            raise QuantityError(f"unknown unit '{unit}' in '{value}'", how) from None
    if found != _dimensionalities()[dimension]:
        raise QuantityError(
            f"'{value}' is {article(label(_name_of(found)))}, but {article(label(dimension))} is expected here",
            how,
        )
    result = float(digits * factor)
    if not math.isfinite(result):
        raise QuantityError(f"'{value}' is too large", how)
    return result


_PREFIXES = [
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "u"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
    (1e-18, "a"),
]


def format_si(value: float, dimension: str, digits: int = 4) -> str:
    """Format an SI float with an engineering prefix, e.g. ``3.2e-07`` s -> ``'320 ns'``.

    The text reads back with :func:`parse_quantity` to ``value`` within ``digits`` significant
    digits. Compound units (``A**2/Hz/S``) and dimensionless values get no prefix.
    """
    unit = SI_UNIT[dimension]
    if not unit:
        return f"{value:.{digits}g}"
    if "/" in unit or "*" in unit or value == 0 or not math.isfinite(value):
        return f"{value:.{digits}g} {unit}"
    for scale, prefix in _PREFIXES:
        mantissa = float(f"{value / scale:.{digits}g}")
        if abs(mantissa) >= 1:
            return f"{mantissa:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"


def format_rate(value: float, unit: str, digits: int = 4) -> str:
    """Format a count per second (``unit`` such as ``vectors/s`` or ``MAC/s``) with a k, M, G or
    T prefix, e.g. ``2.3e7, "MAC/s"`` -> ``'23 MMAC/s'``."""
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"
