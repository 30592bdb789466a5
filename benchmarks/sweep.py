"""Sweep benchmark: throughput in cells per second, serially and on a LocalCluster on the same
machine, the parallel efficiency, and Dask's overhead per cell.

The working cell builds a chip instance of the built-in bss2 (its seed is the cell's chip seed) and
runs ``--batch`` vectors through one full 128 x 256 tile (inputs 0..31 with half zeros, weights
-63..63, all noise on): a real, CPU-bound cell of about a second. The empty cell returns at once:
its time per cell on the cluster, less its time serially, is what Dask adds per cell (submit,
schedule, run on a worker, send back), on top of writing the row, which both modes do.

The cluster is started and warmed up (each worker loads the compiled kernels) before timing;
its start-up time is printed apart. Never fails on time.

    python benchmarks/sweep.py [--cells 16] [--workers 2] [--batch 256] [--empty-cells 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# The script sits next to modules named like the packages it measures: import the packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from chipsim.sweep import experiments as sx  # noqa: E402
from chipsim.sweep import run  # noqa: E402
from chipsim.sweep.runner import connect  # noqa: E402
from chipsim.sweep.spec import loads_spec  # noqa: E402

CHIP = Path(__file__).resolve().parents[1] / "hwdesc" / "chips" / "bss2.yaml"


class WorkOptions(sx.Options):
    batch: int = 256


def work(cell: sx.CellContext) -> dict:
    chip = cell.chip()
    k, m = chip.tile_shape
    rng = np.random.default_rng(cell.params["noise_seed"])
    x = rng.integers(0, 32, size=(cell.options["batch"], k)) * (
        rng.random((cell.options["batch"], k)) < 0.5
    )
    w = rng.integers(-63, 64, size=(k, m))
    y = chip.matmul(x, w, noise_seed=cell.params["noise_seed"])
    return {"mean": float(y.mean())}


def empty(cell: sx.CellContext) -> dict:
    return {"mean": 0.0}


AXES = {"chip_seed": sx.CHIP_SEED, "noise_seed": sx.NOISE_SEED}
sx.register(sx.Experiment("bench-work", work, AXES, ("mean",), WorkOptions))
sx.register(sx.Experiment("bench-empty", empty, AXES, ("mean",)))


def spec(experiment: str, cells: int, first_seed: int, options: str = "{}"):
    return loads_spec(
        f"sweep_version: 1\nexperiment: {experiment}\nchip: {CHIP}\noptions: {options}\n"
        f"axes:\n  noise_seed: {{first: {first_seed}, last: {first_seed + cells - 1}}}\n"
    )


def timed(label: str, sweep, folder: Path, **kwargs) -> float:
    t0 = time.perf_counter()
    result = run(sweep, folder, **kwargs)
    seconds = time.perf_counter() - t0
    assert result.computed == len(sweep) and not result.failed, result.rows[:1]
    print(
        f"{label:<34}{len(sweep):>6} cells {seconds:>9.2f} s {len(sweep) / seconds:>9.3f} cells/s"
        f" {1000 * seconds / len(sweep):>9.1f} ms/cell",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=16, help="working cells per mode")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--batch", type=int, default=256, help="vectors per working cell")
    parser.add_argument("--empty-cells", type=int, default=200, help="empty cells per mode")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"cores {os.cpu_count()}, load average {load:.1f} at the start; working cell: a bss2 "
        f"chip instance and {args.batch} vectors on one tile",
        flush=True,
    )
    options = f"{{batch: {args.batch}}}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run(
            spec("bench-work", 1, 10_000, options), root / "warm", serial=True
        )  # compile / load kernels
        serial = timed(
            "serial", spec("bench-work", args.cells, 0, options), root / "s", serial=True
        )
        empty_serial = timed(
            "serial, empty cells",
            spec("bench-empty", args.empty_cells, 0),
            root / "es",
            serial=True,
        )
        t0 = time.perf_counter()
        client, cluster = connect(workers=args.workers)
        started = time.perf_counter() - t0
        try:
            t0 = time.perf_counter()
            run(spec("bench-work", 2 * args.workers, 20_000, options), root / "wc", client=client)
            warm = time.perf_counter() - t0
            print(
                f"LocalCluster of {args.workers} workers: started in {started:.1f} s, warmed up "
                f"(kernels loaded in each worker) in {warm:.1f} s",
                flush=True,
            )
            parallel = timed(
                f"LocalCluster, {args.workers} workers",
                spec("bench-work", args.cells, 0, options),
                root / "p",
                client=client,
            )
            empty_parallel = timed(
                "LocalCluster, empty cells",
                spec("bench-empty", args.empty_cells, 0),
                root / "ep",
                client=client,
            )
        finally:
            client.close()
            cluster.close()
    speedup = serial / parallel
    print(
        f"speed-up {speedup:.2f} on {args.workers} workers: parallel efficiency "
        f"{100 * speedup / args.workers:.0f} %"
    )
    print(
        f"Dask's overhead per cell: {1000 * (empty_parallel - empty_serial) / args.empty_cells:.1f} ms "
        f"(empty cells: {1000 * empty_parallel / args.empty_cells:.1f} ms on the cluster, "
        f"{1000 * empty_serial / args.empty_cells:.1f} ms serially, writing the row included)"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} at the end")


if __name__ == "__main__":
    main()
