"""End-to-end benchmark: ``Chip.matmul`` on the kernel benchmark's workload.

One full 128 x 256 tile of bss2, batch 4096, weights uniform in -63..63, inputs
uniform in 0..31 with half of them zero, num_sends 1, wait_between_events 5, all noise on.
Prints tile-VMMs per second, the share of wall time spent in the event simulator (scheduling),
in the analog kernels and in the rest (validation, tiling, grouping, accounting), and the ratio
to a NumPy matmul of the same batch measured in the same run. Never fails on time.

    python benchmarks/end_to_end.py [--batch 4096] [--repeat 3] [--chip bss2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

# The script sits next to modules named like the packages it measures: import the packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import chipsim  # noqa: E402
import eventsim  # noqa: E402
import kernels  # noqa: E402


class Stopwatch:
    """Accumulates the wall time spent inside a wrapped function."""

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.original = getattr(module, name)
        self.seconds = 0.0

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0

        setattr(module, name, timed)

    def reset(self):
        self.seconds = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--chip",
        default=str(Path(__file__).resolve().parents[1] / "hwdesc" / "chips" / "bss2.yaml"),
    )
    args = parser.parse_args()

    chip = chipsim.load(args.chip)
    k, m = chip.tile_shape
    rng = np.random.default_rng(0)
    w = rng.integers(-63, 64, (k, m))
    x = rng.integers(0, 32, (args.batch, k))
    x[rng.random((args.batch, k)) < 0.5] = 0

    sched = Stopwatch(eventsim, "simulate")
    kern = Stopwatch(kernels, "run_half")  # the kernel entry point Chip calls
    t0 = time.perf_counter()
    chip.matmul(x[:64], w, noise_seed=1)  # compile or load the JIT cache
    warm = time.perf_counter() - t0

    best = None
    for _ in range(args.repeat):
        sched.reset()
        kern.reset()
        t0 = time.perf_counter()
        chip.matmul(x, w, num_sends=1, wait_between_events=5, noise_seed=1)
        wall = time.perf_counter() - t0
        if best is None or wall < best[0]:
            best = (wall, sched.seconds, kern.seconds)
    wall, t_sched, t_kern = best

    xf, wf = x.astype(np.float32), w.astype(np.float32)
    np_best = float("inf")
    for _ in range(max(args.repeat, 5)):
        t0 = time.perf_counter()
        xf @ wf
        np_best = min(np_best, time.perf_counter() - t0)

    vmm = args.batch / wall
    print(f"chip {chip.name}, tile {k} x {m}, batch {args.batch}, num_sends 1, wait 5, full noise")
    print(f"first call (JIT compile or cache load, 64 vectors): {warm:.2f} s")
    print(
        f"Chip.matmul: {wall:.3f} s for the batch (best of {args.repeat}) -> {vmm:,.0f} tile-VMMs/s, "
        f"{vmm * k * m / 1e6:,.1f} million MAC/s"
    )
    rest = wall - t_sched - t_kern
    print(
        f"wall time share: scheduling {100 * t_sched / wall:.1f} %, kernels {100 * t_kern / wall:.1f} %, "
        f"rest {100 * rest / wall:.1f} %"
    )
    print(f"kernels alone inside the run: {args.batch / t_kern:,.0f} tile-VMMs/s")
    print(
        f"numpy float32 matmul of the same batch: {np_best * 1e3:.2f} ms; "
        f"Chip.matmul is {wall / np_best:,.0f}x slower"
    )


if __name__ == "__main__":
    main()
