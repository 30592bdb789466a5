"""hwdesc: chip descriptions in YAML, validated into a frozen :class:`ChipDescription` (SI units).

    >>> import hwdesc
    >>> chip = hwdesc.load("bss2")          # a built-in chip by name, or the path of a YAML file
    >>> chip.tile_shape
    (128, 256)
"""

from .builtin import CHIPS_DIR, builtin_chips
from .errors import ChipDescriptionError
from .loader import load, loads
from .schema import ChipDescription, CodeKnob, PhysicalKnob, ResolvedKnobs
from .summary import summary
from .units import QuantityError, format_si, parse_quantity

__all__ = [
    "CHIPS_DIR",
    "ChipDescription",
    "ChipDescriptionError",
    "CodeKnob",
    "PhysicalKnob",
    "QuantityError",
    "ResolvedKnobs",
    "builtin_chips",
    "format_si",
    "load",
    "loads",
    "parse_quantity",
    "summary",
]
