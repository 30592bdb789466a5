"""Peak memory of a large streamed batch: ``Chip.matmul`` on one full 128 x 256 tile of bss2.

Inputs are generated chunk by chunk into one compact int8 array (128 bytes per vector); the
simulator streams through it in chunks of ``--chunk-size`` vectors. Prints the peak resident
memory of the process (``ru_maxrss``) with the sizes of the input and output arrays, and the
wall time. Never fails.

    python benchmarks/memory.py [--batch 1000000] [--chunk-size 4096]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import chipsim  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=4096)
    args = parser.parse_args()
    chip = chipsim.load(Path(__file__).resolve().parents[1] / "hwdesc" / "chips" / "bss2.yaml")
    k, m = chip.tile_shape
    rng = np.random.default_rng(0)
    w = rng.integers(-63, 64, (k, m), dtype=np.int8)
    x = np.empty((args.batch, k), dtype=np.int8)
    for s in range(0, args.batch, 65536):
        part = rng.integers(0, 32, (min(65536, args.batch - s), k), dtype=np.int8)
        part[rng.random(part.shape) < 0.5] = 0
        x[s : s + part.shape[0]] = part
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    result = chip.run(x, w, noise_seed=1, chunk_size=args.chunk_size, progress=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"batch {args.batch} vectors on one {k} x {m} tile, chunks of {args.chunk_size}")
    print(
        f"inputs {x.nbytes / 2**20:.0f} MiB (int8), outputs {result.outputs.nbytes / 2**20:.0f} MiB (int32)"
    )
    print(f"peak resident memory {peak:.0f} MiB (before the run: {base:.0f} MiB)")
    print(
        f"wall time {wall:.1f} s, {args.batch / wall:,.0f} vectors/s; simulated hardware time "
        f"{result.timing.seconds:.2f} s"
    )


if __name__ == "__main__":
    main()
