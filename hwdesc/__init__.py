"""hwdesc: chip descriptions in YAML, validated into a frozen :class:`ChipDescription` (SI units).

>>> import hwdesc
>>> chip = hwdesc.load("bss2")          # a built-in chip by name, or the path of a YAML file
>>> chip.tile_shape
(128, 256)
"""

from . import rules
from .builtin import CHIPS_DIR, builtin_chips

# The names below are imported on first use (PEP 562): the schema needs pydantic and pint, which
# take a noticeable fraction of a second, and ``hwdesc.rules`` (the argument rules and
# defaults) must stay cheap to import for the command line's ``--help``.
_HOMES = {
    "ChipDescriptionError": "errors",
    "load": "loader",
    "loads": "loader",
    "ChipDescription": "schema",
    "CodeKnob": "schema",
    "PhysicalKnob": "schema",
    "ResolvedKnobs": "schema",
    "summary": "summary",
    "QuantityError": "units",
    "format_si": "units",
    "format_rate": "units",
    "parse_quantity": "units",
}


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'hwdesc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{home}", __name__), name)
    # binds the name in this module (``hwdesc.summary`` the function, not its module)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__all__ = [
    "CHIPS_DIR",
    "ChipDescription",
    "ChipDescriptionError",
    "CodeKnob",
    "PhysicalKnob",
    "QuantityError",
    "ResolvedKnobs",
    "builtin_chips",
    "format_rate",
    "format_si",
    "load",
    "loads",
    "parse_quantity",
    "rules",
    "summary",
]
