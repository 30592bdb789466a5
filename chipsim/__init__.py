"""chipsim: simulate analog mixed-signal matrix-multiply chips described in YAML.

    >>> import chipsim
    >>> chip = chipsim.load("bss2", calibration="default", seed=0)  # a built-in chip, or a YAML path
    >>> y = chip.matmul(x, w, num_sends=1, wait_between_events=5, noise_seed=1)

Names are imported on first use, so that ``import chipsim`` (and ``chipsim --help``) stays fast.
"""

from __future__ import annotations

import importlib

#: The package version (the single source: pyproject.toml reads it from here).
__version__ = "0.2.0"

_EXPORTS = {
    "Chip": "chipsim.chip",
    "load": "chipsim.chip",
    "calibrate": "chipsim.calibration",
    "Result": "chipsim.result",
    "Timing": "chipsim.result",
    "Energy": "chipsim.result",
    "Trace": "chipsim.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chipsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
