"""The trace and waveform files of ``chipsim simulate``: what to record, and the writers' calls."""

from __future__ import annotations

import argparse
from pathlib import Path

from .cli import UsageError, int_at_least


def column_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated output columns (integers >= 0), each once."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected output columns separated by commas (e.g. 0,5,17), got {text!r}"
        ) from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"columns must be >= 0, got {text!r}")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"a column is given twice in {text!r}")
    return values


def add_arguments(sim) -> None:
    sim.add_argument(
        "--waveforms",
        type=int_at_least(0),
        default=0,
        metavar="N",
        help="record the membrane and both synaptic lines of the --waveform-columns "
        "over the first N vectors, with each input's pulses, and write them to "
        "OUT/waveforms.vcd (GTKWave, Surfer) and OUT/results.npz (wave_* arrays); "
        "needs pyvcd: pip install 'chipsim[vcd]' (default: %(default)s, none)",
    )
    sim.add_argument(
        "--waveform-columns",
        type=column_list,
        metavar="C,C,...",
        help="output columns whose waveforms --waveforms records (default: the four "
        "columns of the figure: first, one third, two thirds, last)",
    )


def recording(args, n_vectors: int, m_total: int, figure_columns: list[int]):
    """``(record_vectors, record_columns, waveform_columns)`` for ``Chip.run``: vector 0 and the
    figure's columns always (the figure shows them), plus the ``--waveforms`` request. Checks the
    request against the batch and the matrix, and that pyvcd is installed, before the work."""
    wave_columns = args.waveform_columns if args.waveform_columns is not None else figure_columns
    if args.waveforms:
        from chipsim.waveforms import MissingPackageError, _vcd_module

        try:
            _vcd_module()
        except MissingPackageError as err:
            raise UsageError(f"--waveforms: {err}") from None
        if args.waveforms > n_vectors:
            raise UsageError(
                f"--waveforms {args.waveforms}: the batch has only {n_vectors} "
                f"vector(s); give at most {n_vectors}"
            )
        bad = [c for c in wave_columns if c >= m_total]
        if bad:
            raise UsageError(
                f"--waveform-columns: column {bad[0]} does not exist; the outputs "
                f"are columns 0..{m_total - 1}"
            )
    elif args.waveform_columns is not None:
        raise UsageError("--waveform-columns needs --waveforms N (how many vectors to record)")
    vectors = list(range(max(args.waveforms, 1)))
    columns = sorted(set(figure_columns) | (set(wave_columns) if args.waveforms else set()))
    return vectors, columns, wave_columns


def waveform_files(args, out_dir: Path, traces, chip_name: str, comment: str):
    """Write OUT/waveforms.vcd and return ``(path, arrays for results.npz)``; ``(None, {})``
    without ``--waveforms``."""
    if not args.waveforms:
        return None, {}
    from chipsim import waveforms

    wave_columns = args.waveform_columns
    chosen = waveforms.select(traces, vectors=range(args.waveforms), columns=wave_columns)
    path = waveforms.write_vcd(
        chosen, out_dir / "waveforms.vcd", chip_name=chip_name, comment=comment
    )
    return path, waveforms.waveform_arrays(chosen)


def perfetto_writer(out_dir: Path, chip_name: str, record_vectors):
    """The streaming writer of OUT/trace.pftrace: ``Chip.run(on_events=writer.add)`` feeds it
    every chunk; the recorded membranes are added after the run."""
    import eventsim
    from eventsim.perfetto import MissingPackageError

    try:
        return eventsim.PerfettoTraceWriter(
            out_dir / "trace.pftrace", chip_name=chip_name, record_vectors=record_vectors
        )
    except MissingPackageError as err:
        raise UsageError(f"trace.pftrace: {err}") from None
