"""``chipsim sweep SWEEP.yaml``: run an experiment over many chips, calibration targets and
settings (serially, on a local Dask cluster or on an existing one); one Parquet row per cell,
resumable; prints a summary and draws the report's figure."""

from __future__ import annotations

import argparse
import sys
import textwrap

from .cli import UsageError, int_at_least
from .output import OutputFolder

EXAMPLE = """\
example sweep file (examples/sweeps/ has more):

  sweep_version: 1
  experiment: mock               # mock | characterization | validity | study
  chip: bss2                     # a built-in chip, or a path relative to the sweep file
  options: {num_vectors: 50}     # the experiment's options
  calibration:
    profile: default             # the profile the target fields start from
    calibrate: false             # true: calibrate each cell's chip for its target fields
    targets:                     # calibration target fields, each an axis (knobs of the
                                 #   profile, or with calibrate: fields of the target)
      i_synin_gm: {first: 300, last: 600, step: 150}
      tau_syn: [0.32 us, 0.64 us]
  axes:                          # settings: chip_seed, noise_seed, wait_between_events,
    chip_seed: [0, 1, 2]         #   num_sends (study: dataset_seed, scaling)
    wait_between_events: {random: uniform, low: 2, high: 25, count: 4, seed: 1}
  report: {metric: gain, x: i_synin_gm, y: tau_syn}

An axis is a list, a range {first, last, step | count [, spacing: log]} or a seeded random
sample {random: uniform | log-uniform, low, high, count, seed}; the cells are their product.

results: OUT/results.parquet, one row per cell (parameters, metrics, wall_seconds, worker,
error), written as cells finish; OUT/summary.txt and OUT/figure.png. Running the same sweep
again resumes it (cells are keyed by their parameters and the chip description); Ctrl-C leaves
a complete file. On a cluster: --scheduler tcp://host:port or DASK_SCHEDULER_ADDRESS
(docs/sweeps.md).
"""


def run_sweep(args) -> int:
    try:
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError as err:
        if not args.serial or err.name == "pyarrow":
            raise UsageError(
                f"sweeps need the distributed extra ({err.name} is missing): "
                "pip install 'chipsim[distributed]'"
            ) from None
    from chipsim import limits
    from chipsim.sweep import report
    from chipsim.sweep.runner import SweepInterrupted, check_out, default_out, run
    from chipsim.sweep.spec import SweepSpecError, load_spec

    if args.serial and (args.scheduler or args.workers):
        raise UsageError(
            "--serial runs in this process: it takes neither --scheduler nor --workers"
        )
    if args.scheduler and args.workers:
        raise UsageError(
            "--workers sizes the local cluster; an existing cluster (--scheduler) has its own"
        )
    try:
        spec = load_spec(args.sweep)
    except SweepSpecError as err:
        raise UsageError(str(err)) from None
    out = args.out or default_out(spec)
    # the place: as every command's --out (not a file, not under a file, writable, not the
    # current folder); its contents: a sweep's own rule (an earlier run's folder is resumed)
    OutputFolder.check(out, force=True)
    try:
        check_out(out)
    except ValueError as err:
        raise UsageError(str(err)) from None
    log = None if args.quiet else (lambda msg: print(msg, flush=True))
    try:
        result = run(
            spec,
            out,
            scheduler=args.scheduler,
            workers=args.workers,
            serial=args.serial,
            fresh=args.fresh,
            retries=args.retries,
            progress=not args.quiet and sys.stderr.isatty(),
            log=log,
        )
    except SweepInterrupted as stop:
        print(report.summary(stop.result), flush=True)
        raise
    except limits.WorkLimitError as err:  # checked before any cell runs
        raise UsageError(f"{args.sweep}: {err}") from None
    text = report.summary(result)
    print(text)
    (result.folder / "summary.txt").write_text(text + "\n", encoding="utf-8")
    figure = report.figure(result, result.folder / "figure.png")
    print(
        f"wrote         {result.folder / 'results.parquet'}, {result.folder / 'summary.txt'}"
        + (f", {figure}" if figure else "")
    )
    if result.failed:
        print(
            f"chipsim sweep: {result.failed} cell{'s' if result.failed > 1 else ''} failed "
            "(column 'error' of the results; running the sweep again retries them)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "sweep",
        help="run an experiment over many chips, calibration targets and settings (Dask)",
        description=textwrap.fill(
            "Run the experiment of a sweep file over every cell of its axes (chip seeds, "
            "calibration target fields, wait_between_events, num_sends, ...) on a local Dask "
            "cluster (default: one worker process per core), an existing cluster (--scheduler) or "
            "serially (--serial). Each finished cell is written at once; running the same sweep "
            "again computes only what is missing.",
            88,
        ),
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("sweep", metavar="SWEEP.yaml", help="the sweep file")
    p.add_argument(
        "--out",
        default=None,
        help="results folder (default: <sweep file name>-results); an earlier run's folder "
        "is resumed; a folder holding other files is refused",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: Dask's "
        "scheduler-address setting, e.g. DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    p.add_argument(
        "--workers",
        type=int_at_least(1),
        default=None,
        help="worker processes of the local cluster (default: one per core)",
    )
    p.add_argument(
        "--serial",
        action="store_true",
        help="run the cells one after the other in this process (debugging)",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="forget the rows of an earlier run in --out and compute every cell",
    )
    p.add_argument(
        "--retries",
        type=int_at_least(0),
        default=2,
        help="how often a cell whose worker process died is run again (local cluster; default: %(default)s)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or progress lines")
    p.set_defaults(func=run_sweep)
