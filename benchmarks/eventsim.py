"""Events per second of the event simulator's two engines on a batch of full 128-input vectors (bss2).

Prints figures only; it never passes or fails on time. Usage:
    python benchmarks/eventsim.py [--batch 4096] [--simpy-vectors 64] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# This file is called eventsim.py: keep its own folder off the import path so that
# ``import eventsim`` finds the package, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import eventsim  # noqa: E402
import hwdesc  # noqa: E402

CHIP = _HERE.parent / "hwdesc" / "chips" / "bss2.yaml"


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch", type=int, default=4096, help="vectors in the batch (default 4096)"
    )
    parser.add_argument(
        "--simpy-vectors",
        type=int,
        default=64,
        help="vectors the SimPy model runs; its rate is extrapolated to the batch (default 64)",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="fast-path repetitions, best is shown (default 5)"
    )
    parser.add_argument("--wait", type=int, default=5, help="wait_between_events (default 5)")
    args = parser.parse_args()

    chip = hwdesc.load(CHIP)
    k, m = chip.tile_shape
    rng = np.random.default_rng(0)
    x = rng.integers(
        1, 32, size=(args.batch, chip.geometry.halves, k), dtype=np.int32
    )  # all inputs non-zero
    w = rng.integers(-63, 64, size=(chip.geometry.halves, k, m), dtype=np.int32)

    eventsim.simulate(chip, x[:2], w, wait_between_events=args.wait)  # warm up
    run = eventsim.simulate(chip, x, w, wait_between_events=args.wait)
    n_events = run.schedule.n_events
    t_fast = best_of(
        args.repeat, lambda: eventsim.simulate(chip, x, w, wait_between_events=args.wait)
    )

    ns = min(args.simpy_vectors, args.batch)
    t0 = time.perf_counter()
    sub = eventsim.simulate(chip, x[:ns], w, wait_between_events=args.wait, engine="simpy")
    t_simpy_sub = time.perf_counter() - t0
    simpy_rate = sub.schedule.n_events / t_simpy_sub
    t_simpy = n_events / simpy_rate

    same = all(
        np.array_equal(getattr(sub.schedule, f), getattr(run.schedule, f)[: sub.schedule.n_events])
        for f in ("request", "departure", "arrival")
    )
    print(
        f"batch: {args.batch} vectors x {chip.geometry.halves} halves x {k} inputs (all non-zero) on "
        f"{chip.identity.name}, wait {args.wait}: {n_events} events"
    )
    print(
        f"fast path : {t_fast * 1e3:8.1f} ms for the batch (best of {args.repeat}), "
        f"{n_events / t_fast:.3g} events/s"
    )
    print(
        f"SimPy     : {t_simpy_sub:8.2f} s for the first {ns} vectors, {simpy_rate:.3g} events/s; "
        f"extrapolated to the batch: {t_simpy:.1f} s ({t_simpy / t_fast:.0f}x the fast path)"
    )
    print(f"engines agree on the first {ns} vectors: {same}")
    print(
        f"simulated hardware: {run.timing.seconds * 1e3:.2f} ms for the batch, "
        f"{run.timing.vector_seconds.mean() * 1e6:.2f} us per vector"
    )


if __name__ == "__main__":
    main()
