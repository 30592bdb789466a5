"""Calibration of a simulated chip: the reference calibration's searches, its targets, and the
saved, cached result (docs/calibration.md).

    >>> from chipsim.calibration import HagenCalibTarget, binary_search
    >>> target = HagenCalibTarget().with_overrides(tau_syn="0.64 us", i_synin_gm=225)
    >>> search = binary_search(measure, target=120.0, low=0, high=1022, n_instances=512)
    >>> search.codes, search.success

The searches take the measurement as a function ``measure(codes) -> values`` (one value per
instance), so that the same search runs against a synthetic transfer in the tests and against a
simulated experiment. Running the calibration steps against the simulated chip is not part of
this package yet.
"""

from __future__ import annotations

from .algorithms import (
    SearchResult,
    binary_search,
    linear_prediction,
    noisy_binary_search,
    search_steps,
)
from .result import (
    CACHE_ENV,
    FORMAT_VERSION,
    CalibrationCache,
    CalibrationFileError,
    CalibrationResult,
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
    "HagenCalibTarget",
    "HagenSyninCalibTarget",
    "SearchResult",
    "Target",
    "TargetWarning",
    "binary_search",
    "default_cache_dir",
    "description_hash",
    "linear_prediction",
    "noisy_binary_search",
    "search_steps",
]
