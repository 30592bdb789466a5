"""Sweeps: one experiment over many chips, calibration targets and settings, serially or on
dask.distributed, with one Parquet row per cell, resumable.

    >>> import chipsim.sweep
    >>> result = chipsim.sweep.run("examples/sweeps/mock-ota.yaml", out="mock-ota-results")
    >>> rows = chipsim.sweep.read_results("mock-ota-results")

The sweep file format is in :mod:`chipsim.sweep.spec`, the experiments in
:mod:`chipsim.sweep.experiments`; docs/sweeps.md explains both and how to use a cluster.
Names are imported on first use (``import chipsim.sweep`` stays fast).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "run": "chipsim.sweep.runner",
    "SweepResult": "chipsim.sweep.runner",
    "SweepInterrupted": "chipsim.sweep.runner",
    "load_spec": "chipsim.sweep.spec",
    "loads_spec": "chipsim.sweep.spec",
    "SweepSpec": "chipsim.sweep.spec",
    "SweepSpecError": "chipsim.sweep.spec",
    "read_results": "chipsim.sweep.store",
    "Experiment": "chipsim.sweep.experiments",
    "CellContext": "chipsim.sweep.experiments",
    "EXPERIMENTS": "chipsim.sweep.experiments",
    "register": "chipsim.sweep.experiments",
    "build_chip": "chipsim.sweep.experiments",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'chipsim.sweep' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
