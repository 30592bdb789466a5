"""Runs the SimPy model on a batch and returns its observations as arrays (the reference engine)."""

from __future__ import annotations

import numpy as np
import simpy

from . import model
from .program import Program


def simpy_engine(
    prog: Program, active: np.ndarray, activations: np.ndarray, num_sends: int, wait: int
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Same contract as :func:`eventsim.fast.fast_engine`, by discrete-event simulation."""
    B, H, _ = active.shape
    vectors: list[list[list[model.Event]]] = []
    issued: list[model.Event] = []
    for b in range(B):
        streams = []
        for h in range(H):
            rows = np.flatnonzero(active[b, h])
            stream = [
                model.Event(b, s, h, int(r), int(activations[b, h, r]))
                for s in range(num_sends)
                for r in rows
            ]
            issued.extend(stream)
            streams.append(stream)
        vectors.append(streams)

    start = np.zeros((B, prog.n_phases), np.int64)
    end = np.zeros((B, prog.n_phases), np.int64)

    def log(b: int, p: int, begin: int, finish: int) -> None:
        start[b, p] = begin
        end[b, p] = finish

    env = simpy.Environment()
    model.build(env, prog, vectors, wait, log)
    env.run()

    fields = ("vector", "send", "half", "row", "activation", "request", "departure", "arrival")
    dtypes = (np.int64, np.int32, np.int32, np.int32, np.int32, np.int64, np.int64, np.int64)
    columns = {
        f: np.fromiter((getattr(e, f) for e in issued), dtype=t, count=len(issued))
        for f, t in zip(fields, dtypes)
    }
    order = np.lexsort((columns["request"], columns["half"], columns["vector"]))
    return {f: c[order] for f, c in columns.items()}, start, end
