"""Running a sweep: the cells that are not done yet, serially or on dask.distributed, each row
written as its cell finishes."""

from __future__ import annotations

import logging
import math
import os
import shutil
import socket
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from . import store as _store
from .experiments import EXPERIMENTS, CellContext
from .spec import Cell, SweepSpec, load_spec

#: Files a results folder may hold (besides temporary files being renamed into place).
_OWN_FILES = {_store.RESULTS, _store.PARTS, "sweep.yaml", "summary.txt", "figure.png"}


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a sweep; every finished cell is in the results folder (run it again to
    resume). ``result`` holds what was done."""

    def __init__(self, result: SweepResult) -> None:
        super().__init__("interrupted")
        self.result = result


@dataclass
class SweepResult:
    """What a run of a sweep did.

    Attributes:
        spec: the sweep.
        folder: the results folder.
        rows: one dict per cell of the sweep that has a row (parameters, metrics, ``error``,
            ``wall_seconds``, ``worker``, ...), sorted by cell index.
        computed: cells computed by this run.
        skipped: cells already done (resumed from the folder).
        failed: cells whose row holds an error.
        wall_seconds: wall time of this run.
        workers: worker processes used (0 for the serial mode).
        stale_rows: rows of the folder that belong to no cell of this sweep (an earlier version
            of the sweep or of the chip description); kept in the file, not in ``rows``.
    """

    spec: SweepSpec
    folder: Path
    rows: list = field(default_factory=list)
    computed: int = 0
    skipped: int = 0
    failed: int = 0
    wall_seconds: float = 0.0
    workers: int = 0
    stale_rows: int = 0


# ---- one cell (runs on a worker) ------------------------------------------------------------------


def execute_cell(
    fn: Callable,
    metrics: tuple,
    description,
    profile: str,
    units: dict,
    options: dict,
    cell: Cell,
    target_names: tuple,
    calibrate: bool = False,
) -> dict:
    """Run experiment ``fn`` on one cell and return its row. An exception of the experiment is
    recorded in the row (``error`` and ``traceback``), not raised; warnings go to ``warnings``."""
    params = dict(cell.params)
    ctx = CellContext(
        description,
        profile,
        params,
        {k: params[k] for k in target_names},
        units,
        options,
        calibrate,
    )
    row = {"key": cell.key, "cell": cell.index, **params}
    error = trace = None
    values: dict = {}
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(ctx)
            if not isinstance(out, dict) or set(out) != set(metrics):
                raise TypeError(
                    f"the experiment returned {sorted(out) if isinstance(out, dict) else type(out).__name__}, "
                    f"expected the metrics {list(metrics)}"
                )
            values = {k: float(out[k]) for k in metrics}
        except Exception as err:  # recorded in the row: the sweep goes on
            error = f"{type(err).__name__}: {err}"
            trace = traceback.format_exc(limit=-8)
    row.update({m: values.get(m, math.nan) for m in metrics})
    texts = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))
    row.update(
        error=error,
        traceback=trace,
        warnings="; ".join(texts) if texts else None,
        wall_seconds=time.perf_counter() - t0,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        finished_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    return row


def _failed_row(cell: Cell, metrics: tuple, message: str) -> dict:
    return {
        "key": cell.key,
        "cell": cell.index,
        **cell.params,
        **{m: math.nan for m in metrics},
        "error": message,
        "traceback": None,
        "warnings": None,
        "wall_seconds": math.nan,
        "worker": None,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


# ---- the results folder ---------------------------------------------------------------------------


def default_out(spec: SweepSpec) -> Path:
    """``<sweep file stem>-results`` in the current folder (``sweep-results`` for a sweep from text)."""
    return Path(f"{Path(spec.file).stem if spec.file else 'sweep'}-results")


def check_out(folder: str | Path, *, fresh: bool = False) -> Path:
    """Check a results folder before any work: missing, empty or a sweep's results folder
    (resumed) are fine; a folder with other files is refused (``ValueError``). ``fresh``
    deletes the rows of an earlier run."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"{folder}: exists and is not a folder; give a folder for the results (--out)"
        )
    if folder.is_dir():
        foreign = sorted(
            p.name
            for p in folder.iterdir()
            if p.name not in _OWN_FILES and not p.name.startswith(".")
        )
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise ValueError(
                f"{folder}: not a sweep's results folder (it holds {shown}); "
                "give an empty or new folder, or the folder of an earlier run to resume it (--out)"
            )
        if fresh:
            (folder / _store.RESULTS).unlink(missing_ok=True)
            shutil.rmtree(folder / _store.PARTS, ignore_errors=True)
    return folder


# ---- executors --------------------------------------------------------------------------------------


def _cell_args(spec: SweepSpec):
    exp = EXPERIMENTS[spec.experiment]
    units = {a.name: a.unit for a in spec.axes if a.kind == "target" and a.unit}
    return exp.fn, exp.metrics, spec.description, spec.profile, units, spec.options


def _run_serial(spec: SweepSpec, todo: list[Cell], on_row: Callable) -> None:
    fn, metrics, description, profile, units, options = _cell_args(spec)
    for cell in todo:
        on_row(
            execute_cell(
                fn,
                metrics,
                description,
                profile,
                units,
                options,
                cell,
                spec.target_names,
                spec.calibrate,
            )
        )


def machine_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cluster_env(n_workers: int, cores: int | None = None) -> dict:
    """Environment of local worker processes: each gets ``cores // n_workers`` threads for
    Numba and the BLAS libraries, so that the workers together do not oversubscribe the cores."""
    cores = cores or machine_cores()
    threads = str(max(1, cores // max(1, n_workers)))
    return {
        "NUMBA_NUM_THREADS": threads,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
    }


def connect(scheduler: str | None = None, workers: int | None = None, retries: int = 2):
    """A ``distributed.Client`` and the ``LocalCluster`` it owns (or ``None``).

    ``scheduler`` (``tcp://host:port``) or Dask's ``scheduler-address`` setting (e.g. the
    environment variable ``DASK_SCHEDULER_ADDRESS``) connects to an existing cluster; otherwise
    a ``LocalCluster`` starts with ``workers`` processes (default: one per core) of one thread
    each. A worker that dies has its cells run again up to ``retries`` times
    (``distributed.scheduler.allowed-failures``; on an existing cluster its scheduler's setting
    holds).
    """
    import dask
    from distributed import Client, LocalCluster

    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        return Client(address), None
    if workers is None:
        workers = machine_cores()
    # dashboard_address ":0": the scheduler's HTTP server (and the dashboard, where bokeh is
    # installed) on a free port, never a clash with another cluster on the default 8787.
    with dask.config.set({"distributed.scheduler.allowed-failures": retries}):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.CRITICAL,
            env=cluster_env(workers),
        )
    return Client(cluster), cluster


def _run_dask(spec: SweepSpec, todo: list[Cell], on_row: Callable, client) -> None:
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    args = _cell_args(spec)
    metrics = args[1]
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    window = 2 * n_workers + 2  # cells in flight: the workers stay busy, Ctrl-C cancels few
    cells = iter(todo)
    by_future = {}
    pending = as_completed()

    def submit(count: int) -> None:
        for cell in islice(cells, count):
            future = client.submit(
                execute_cell,
                *args,
                cell,
                spec.target_names,
                spec.calibrate,
                key=f"sweep-cell-{cell.key}",
                pure=False,
            )
            by_future[future.key] = cell
            pending.add(future)

    submit(window)
    try:
        for future in pending:
            cell = by_future.pop(future.key)
            try:
                row = future.result()
            except KilledWorker:
                row = _failed_row(
                    cell,
                    metrics,
                    "KilledWorker: the worker process running this cell died "
                    "on every attempt (see distributed.scheduler.allowed-failures)",
                )
            except FutureCancelledError:
                row = _failed_row(cell, metrics, "cancelled by the cluster")
            except Exception as err:  # a cell that cannot even be sent or returned
                row = _failed_row(cell, metrics, f"{type(err).__name__}: {err}")
            future.release()
            on_row(row)
            submit(1)
    finally:
        for future in list(pending.futures):
            future.cancel()


# ---- the entry point --------------------------------------------------------------------------------


def run(
    spec: SweepSpec | str | Path,
    out: str | Path | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    fresh: bool = False,
    retries: int = 2,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
    client=None,
) -> SweepResult:
    """Run a sweep: every cell not done yet in ``out``; returns a :class:`SweepResult`.

    Args:
        spec: a :class:`SweepSpec` or the path of a sweep file.
        out: the results folder (default :func:`default_out`); an earlier run's folder is
            resumed: cells whose key (their parameters, the options and the chip description)
            has a row without error are skipped, failed cells are run again.
        scheduler: address of an existing Dask scheduler (``tcp://host:port``); default: Dask's
            ``scheduler-address`` setting if set, else a ``LocalCluster`` on this machine.
        workers: processes of the ``LocalCluster`` (default: one per core).
        serial: run the cells one after the other in this process (for debugging).
        fresh: forget the rows of an earlier run in ``out`` and compute every cell.
        retries: how often a cell whose worker died is run again (LocalCluster).
        progress: show a progress bar over the cells (with ETA).
        log: receives progress lines.
        client: an existing ``distributed.Client`` to use (it is not closed).

    Ctrl-C stops the run with :class:`SweepInterrupted` after consolidating the results: the
    folder is complete and consistent, and the same call resumes it.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    say = log or (lambda _msg: None)
    folder = check_out(default_out(spec) if out is None else out)
    if spec.experiment not in EXPERIMENTS:
        raise ValueError(f"experiment {spec.experiment!r} is not registered in this process")
    t0 = time.perf_counter()
    cells = spec.cells()
    estimate = estimate_work(spec, cells)  # before anything is written or forgotten
    if fresh:
        check_out(folder, fresh=True)
    results = _store.ResultStore(folder)
    results.consolidate()  # the parts a killed run left
    if spec.file is not None:
        _copy_spec(spec.file, folder / "sweep.yaml")
    keys = {c.key for c in cells}
    old = {r["key"]: r for r in results.rows()}
    done = {k for k, r in old.items() if k in keys and r.get("error") is None}
    todo = [c for c in cells if c.key not in done]
    result = SweepResult(
        spec, folder, skipped=len(done), stale_rows=sum(k not in keys for k in old)
    )
    say(
        f"sweep: {len(cells)} cells ({len(done)} done before, {len(todo)} to run) of experiment "
        f"'{spec.experiment}' on {spec.description.identity.name}; results in {folder}"
    )
    if estimate is not None:
        say(f"chip work of all cells: {estimate.summary()}")

    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="cell", desc="sweep", dynamic_ncols=True)

    def on_row(row: dict) -> None:
        results.append([row])
        result.computed += 1
        if bar is not None:
            bar.update(1)
            if row.get("error") is not None:
                bar.write(f"cell {row['cell']} failed: {row['error'].splitlines()[0]}")

    own = None
    interrupted = False
    try:
        if todo:
            if serial:
                _run_serial(spec, todo, on_row)
            else:
                if client is None:
                    client, own = connect(scheduler, workers, retries)
                    opened = client
                else:
                    opened = None
                try:
                    result.workers = len(client.scheduler_info().get("workers", {}))
                    _run_dask(spec, todo, on_row, client)
                finally:
                    if opened is not None:
                        opened.close()
                    if own is not None:
                        own.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
        results.consolidate()
        rows = {r["key"]: r for r in results.rows()}
        result.rows = [rows[c.key] for c in cells if c.key in rows]
        result.failed = sum(r.get("error") is not None for r in result.rows)
        result.wall_seconds = time.perf_counter() - t0
    if interrupted:
        say(
            f"interrupted: {len(result.rows) - result.failed} of {len(cells)} cells done, in {folder}; "
            "run the same sweep again to resume"
        )
        raise SweepInterrupted(result)
    return result


def estimate_work(spec: SweepSpec, cells: list[Cell]):
    """The chip work of every cell (:mod:`chipsim.limits`), checked before anything starts:
    a cell beyond the limits (steps per vector, memory) or a sweep beyond the time limit raises
    :class:`chipsim.limits.WorkLimitError` naming the cell's parameters. ``None`` when the
    experiment has no estimate."""
    from .. import limits

    exp = EXPERIMENTS[spec.experiment]
    if exp.estimate is None:
        return None
    per_cell = []
    for cell in cells:
        parts = exp.estimate(spec.description, cell.params, spec.options)
        shown = ", ".join(f"{k}={v}" for k, v in cell.params.items())
        one = limits.combine(parts, f"sweep cell {cell.index} ({shown})")
        one.check()
        per_cell.append(one)
    import dataclasses

    total = dataclasses.replace(
        limits.combine(per_cell, f"the sweep's {len(cells)} cells"),
        seconds_fix="sweep fewer cells or shorter ones",
    )
    return total.check()


def _copy_spec(source: str, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
