"""Checks the arguments of a run and turns them into the arrays the engines take."""

from __future__ import annotations

import numpy as np

from hwdesc.rules import plain_array

from .program import Program

ENGINES = ("fast", "simpy")


def check_engine(engine) -> str:
    if engine not in ENGINES:
        raise ValueError(
            f"engine(={engine!r}) must be one of {', '.join(repr(e) for e in ENGINES)}"
        )
    return engine


def check_activations(prog: Program, activations) -> tuple[np.ndarray, np.ndarray]:
    """Validate activations (B, halves, K'), K' <= inputs per tile; return (int32 values, active mask).

    ``active`` marks inputs that send an event: non-zero ones, or all of them when the chip's
    ``zero_input_sends_event`` is set.
    """
    x = plain_array(activations, "activations")
    if x.dtype.kind not in "iu":
        raise TypeError(
            f"activations must be an integer array (values {prog.input_min}..{prog.input_max}), "
            f"got dtype {x.dtype}; round them first"
        )
    if (
        x.ndim != 3
        or x.shape[0] < 1
        or x.shape[1] != prog.halves
        or not 1 <= x.shape[2] <= prog.inputs_per_tile
    ):
        raise ValueError(
            f"activations has shape {x.shape}; expected (batch >= 1, halves = {prog.halves}, "
            f"inputs 1..{prog.inputs_per_tile})"
        )
    lo, hi = prog.input_min, prog.input_max
    bad = (x < lo) | (x > hi)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"activations[{', '.join(map(str, where))}] = {x[where]} is out of range; allowed {lo}..{hi}"
        )
    x = x.astype(np.int32, copy=False)
    active = np.ones(x.shape, bool) if prog.zero_input_sends_event else x != 0
    return x, active


def check_weights(prog: Program, weights, n_inputs: int) -> np.ndarray:
    """Non-zero synapses per row, int64 (halves, K'), from weights or a mask (halves, K', M).

    ``None`` means a dense tile: every one of the ``outputs_per_tile`` synapses of a row is
    non-zero.
    """
    if weights is None:
        return np.full((prog.halves, n_inputs), prog.outputs_per_tile, np.int64)
    w = plain_array(weights, "weights")
    if w.dtype.kind not in "biuf":
        raise TypeError(f"weights must be a numeric or boolean array, got dtype {w.dtype}")
    if (
        w.ndim != 3
        or w.shape[0] != prog.halves
        or w.shape[1] != n_inputs
        or not 1 <= w.shape[2] <= prog.outputs_per_tile
    ):
        raise ValueError(
            f"weights has shape {w.shape}; expected (halves = {prog.halves}, inputs = {n_inputs} "
            f"as in activations, outputs 1..{prog.outputs_per_tile})"
        )
    if w.dtype.kind == "f" and not np.isfinite(w).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(w))[0])
        raise ValueError(f"weights{list(index)} = {w[index]} is not finite")
    return np.count_nonzero(w, axis=2).astype(np.int64)
