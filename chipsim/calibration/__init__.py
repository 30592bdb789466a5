"""Calibration of a simulated chip: the reference calibration's searches, its targets, and the
saved, cached result (docs/calibration.md).

    >>> from chipsim.calibration import HagenCalibTarget, binary_search
    >>> target = HagenCalibTarget().with_overrides(tau_syn="0.64 us", i_synin_gm=225)
    >>> search = binary_search(measure, target=120.0, low=0, high=1022, n_instances=512)
    >>> search.codes, search.success

The searches take the measurement as a function ``measure(codes) -> values`` (one value per
instance), so that the same search runs against a synthetic transfer in the tests and against a
simulated experiment.

:func:`calibrate` runs the calibration steps against the simulated uncalibrated chip (the
description's ``uncalibrated`` section, :mod:`.circuits`; the steps in :mod:`.procedure`) and
returns a :class:`CalibrationResult`, cached; ``chipsim.load(..., calibration=result)`` runs the
calibrated chip.
"""

from __future__ import annotations

from .algorithms import (
    SearchResult,
    binary_search,
    linear_prediction,
    noisy_binary_search,
    search_steps,
)
from .procedure import calibrate, format_summary, profile_target, summary
from .result import (
    CACHE_ENV,
    FORMAT_VERSION,
    CalibrationCache,
    CalibrationFileError,
    CalibrationResult,
    CalibrationWarning,
    default_cache_dir,
    description_hash,
)
from .target import HagenCalibTarget, HagenSyninCalibTarget, Target, TargetWarning

__all__ = [
    "CACHE_ENV",
    "FORMAT_VERSION",
    "CalibrationCache",
    "CalibrationFileError",
    "CalibrationResult",
    "CalibrationWarning",
    "HagenCalibTarget",
    "HagenSyninCalibTarget",
    "SearchResult",
    "Target",
    "TargetWarning",
    "binary_search",
    "calibrate",
    "default_cache_dir",
    "description_hash",
    "format_summary",
    "linear_prediction",
    "noisy_binary_search",
    "profile_target",
    "search_steps",
    "summary",
]
