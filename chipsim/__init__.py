"""chipsim: simulate analog mixed-signal matrix-multiply chips described in YAML.

    >>> import chipsim
    >>> chip = chipsim.load("chips/bss2.yaml", calibration="default", seed=0)
    >>> y = chip.matmul(x, w, num_sends=1, wait_between_events=5, noise_seed=1)

Heavy modules (numba kernels, SimPy) are imported when first used.
"""

from .chip import Chip, load
from .result import Energy, Result, Timing, Trace

__all__ = ["Chip", "Energy", "Result", "Timing", "Trace", "load"]
