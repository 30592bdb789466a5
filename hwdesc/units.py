"""Physical values written as unit strings (``320 ns``, ``2.2 pF``) become SI floats here."""

from __future__ import annotations

import functools
import math

# The dimensions a field may declare, each by a reference unit.
DIMENSIONS: dict[str, str] = {
    "time": "s",
    "frequency": "Hz",
    "capacitance": "F",
    "current": "A",
    "voltage": "V",
    "conductance": "S",
    "energy": "J",
    "power": "W",
    "current_psd_per_conductance": "A**2/Hz/S",
    "dimensionless": "dimensionless",
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
    "dimensionless": "3 %",
}

# Dimension of each physical parameter a calibration knob can set.
KNOB_DIMENSION_LABELS: dict[str, str] = {
    "gm": "conductance",
    "i_max": "current",
    "tau_syn": "time",
    "v_reset": "voltage",
    "c_m": "capacitance",
}

# SI unit per dimension, for summaries.
SI_UNIT: dict[str, str] = {
    "time": "s",
    "frequency": "Hz",
    "capacitance": "F",
    "current": "A",
    "voltage": "V",
    "conductance": "S",
    "energy": "J",
    "power": "W",
    "current_psd_per_conductance": "A^2/Hz/S",
    "dimensionless": "",
}


@functools.lru_cache(maxsize=1)
def registry():
    """The shared pint unit registry (built on first use: pint is slow to import)."""
    import pint

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=True)


def _dimension_name(dimensionality) -> str:
    reg = registry()
    for name, unit in DIMENSIONS.items():
        if dimensionality == reg.Quantity(1, unit).dimensionality:
            return name
    return str(dimensionality)


def parse_quantity(value: object, dimension: str) -> float:
    """Convert ``value`` (a unit string such as ``"2.2 pF"``) into an SI float of ``dimension``.

    Dimensionless values may also be plain numbers (``0.03``) or percentages (``"3 %"``).
    Raises ``ValueError`` with a message that says what was found and what is expected.
    """
    import pint

    example = EXAMPLES[dimension]
    if isinstance(value, bool):
        raise ValueError(f"expected a {dimension} such as '{example}', got the boolean {value}")
    if isinstance(value, (int, float)):
        if dimension == "dimensionless":
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"expected a finite number, got {value}")
            return number
        raise ValueError(
            f"a {dimension} needs a unit: write it like '{example}', not the bare number {value}"
        )
    if not isinstance(value, str):
        raise ValueError(
            f"expected a {dimension} written as a string with a unit such as '{example}', "
            f"got {type(value).__name__} {value!r}"
        )
    reg = registry()
    try:
        quantity = reg.Quantity(value.strip())
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as err:
        raise ValueError(f"cannot read '{value}' as a {dimension}: {err}; write it like '{example}'") from None
    except (SyntaxError, TypeError, ValueError, AttributeError, tokenize_error()) as err:
        raise ValueError(f"cannot read '{value}' as a {dimension} ({err}); write it like '{example}'") from None
    if not isinstance(quantity, reg.Quantity):  # a bare number string such as "3"
        quantity = reg.Quantity(quantity, "dimensionless")
    wanted = reg.Quantity(1, DIMENSIONS[dimension]).dimensionality
    if quantity.dimensionality != wanted:
        found = _dimension_name(quantity.dimensionality)
        raise ValueError(
            f"'{value}' is a {_label(found)}, but a {_label(dimension)} is expected here; "
            f"write it like '{example}'"
        )
    number = float(quantity.to_base_units().magnitude)
    if not math.isfinite(number):
        raise ValueError(f"'{value}' is not a finite {dimension}")
    return number


def _label(dimension: str) -> str:
    return {
        "dimensionless": "plain number (or percentage)",
        "current_psd_per_conductance": "current noise density per conductance",
    }.get(dimension, dimension)


def tokenize_error() -> type:
    """The tokenizer's error type (pint raises it for strings like ``'5 ))'``)."""
    import tokenize

    return tokenize.TokenError


def format_si(value: float, dimension: str, digits: int = 4) -> str:
    """Format an SI float with an engineering prefix, e.g. ``3.2e-07`` s -> ``'320 ns'``."""
    unit = SI_UNIT[dimension]
    if dimension == "dimensionless":
        return f"{value:g}"
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    prefixes = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "u"),
                (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a")]
    for scale, prefix in prefixes:
        if abs(value) >= scale * 0.9995:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    return f"{value:.{digits}g} {unit}"
