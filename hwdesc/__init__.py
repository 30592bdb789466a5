"""hwdesc: chip descriptions in YAML, validated into a frozen :class:`ChipDescription` (SI units).

    >>> import hwdesc
    >>> chip = hwdesc.load("chips/bss2.yaml")
    >>> chip.tile_shape
    (128, 256)
"""

from .errors import ChipDescriptionError
from .loader import load, loads
from .schema import ChipDescription, CodeKnob, PhysicalKnob, ResolvedKnobs
from .summary import summary
from .units import QuantityError, format_si, parse_quantity

__all__ = [
    "ChipDescription",
    "ChipDescriptionError",
    "CodeKnob",
    "PhysicalKnob",
    "QuantityError",
    "ResolvedKnobs",
    "format_si",
    "load",
    "loads",
    "parse_quantity",
    "summary",
]
