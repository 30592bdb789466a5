"""The results of a sweep: one row per cell in Parquet, written as cells finish.

A results folder holds::

    results.parquet     the consolidated rows (rewritten by rename: always a complete file)
    parts/*.parquet     rows written since the last consolidation, one small file per flush
    sweep.yaml          a copy of the sweep file of the last run

Every file is written under a temporary name and renamed into place, so a run that is killed at
any moment leaves only complete files. :func:`read_results` merges both (a part wins over the
consolidated file, since it is newer); a run consolidates when it starts, every
``consolidate_every`` seconds and when it stops (also on Ctrl-C).
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

RESULTS = "results.parquet"
PARTS = "parts"

#: Columns every row has, besides the cell's parameters and metrics.
META_COLUMNS = (
    "key",
    "cell",
    "error",
    "traceback",
    "warnings",
    "wall_seconds",
    "worker",
    "finished_at",
)


def _pa():
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa, pq


def _write_atomic(table, path: Path) -> None:
    _, pq = _pa()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_table(path: Path):
    _, pq = _pa()
    return pq.read_table(path)


def _concat(tables):
    pa, _ = _pa()
    tables = [t for t in tables if t is not None and t.num_rows]
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def _part_files(folder: Path) -> list[Path]:
    parts = folder / PARTS
    if not parts.is_dir():
        return []
    return sorted(p for p in parts.glob("*.parquet") if not p.name.startswith("."))


def read_table(folder: str | Path):
    """The rows of a results folder as a ``pyarrow.Table`` (consolidated file and parts, one
    row per key, the newest; sorted by cell index), or ``None`` when it has none."""
    folder = Path(folder)
    tables = []
    main = folder / RESULTS
    if main.is_file():
        tables.append(_read_table(main))
    tables += [_read_table(p) for p in _part_files(folder)]
    table = _concat(tables)
    if table is None:
        return None
    return _latest_per_key(table)


def _latest_per_key(table):
    """Keep the last row of each key (later tables come later), sorted by (cell, key)."""
    keys = table.column("key").to_pylist()
    last = {k: i for i, k in enumerate(keys)}
    keep = sorted(last.values(), key=lambda i: (table.column("cell")[i].as_py(), keys[i]))
    return table.take(keep)


def read_results(folder: str | Path) -> list[dict]:
    """The rows of a results folder as dicts (one per cell), sorted by cell index.

    ``pandas.read_parquet(folder / "results.parquet")`` reads the consolidated file of a
    finished run; this function also merges the parts of a run that was killed."""
    table = read_table(folder)
    return [] if table is None else table.to_pylist()


class ResultStore:
    """Appends rows to a results folder and consolidates them.

    Args:
        folder: the results folder (created if missing).
        consolidate_every: seconds between consolidations while running.
    """

    def __init__(self, folder: str | Path, consolidate_every: float = 60.0) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / PARTS).mkdir(exist_ok=True)
        self.consolidate_every = consolidate_every
        self._last = time.monotonic()
        self._sequence = 0

    def rows(self) -> list[dict]:
        return read_results(self.folder)

    def append(self, rows: list[dict]) -> None:
        """Write ``rows`` as one part file (atomically); consolidate when it is time."""
        if not rows:
            return
        pa, _ = _pa()
        self._sequence += 1
        name = f"{time.time_ns():020d}-{os.getpid()}-{self._sequence:06d}.parquet"
        _write_atomic(pa.Table.from_pylist(rows), self.folder / PARTS / name)
        if time.monotonic() - self._last >= self.consolidate_every:
            self.consolidate()

    def consolidate(self) -> int:
        """Merge the parts into ``results.parquet`` (rename), then remove them; returns the rows."""
        parts = _part_files(self.folder)
        self._last = time.monotonic()
        table = read_table(self.folder)
        if table is None:
            return 0
        if parts or not (self.folder / RESULTS).is_file():
            _write_atomic(table, self.folder / RESULTS)
            for part in parts:
                part.unlink(missing_ok=True)
        return table.num_rows
