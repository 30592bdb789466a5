"""Numba kernels of the analog dynamics (placeholder docstring, completed below)."""

from .api import HalfResult, Traces, simulate_half

__all__ = ["simulate_half", "HalfResult", "Traces"]
