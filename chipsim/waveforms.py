"""Recorded waveforms (:class:`chipsim.Trace`) for waveform viewers and for NumPy.

- :func:`write_vcd`: a Value Change Dump that GTKWave and Surfer open: per recorded vector, the
  membrane and both synaptic lines of every recorded neuron as real-valued signals (volts), each
  input row as a wire that is high while its pulse lasts, and a wire that rises at the ADC read.
- :func:`waveform_arrays`: the same waveforms as flat arrays (for ``np.savez``).
- :func:`write_madc_csv`: the reference software's MADC recording file (tab-separated, appended).

Every trace starts at the reset before the events phase (t = 0) of its vector: the vectors of a
VCD file lie on top of each other on one time axis, one scope each, like oscilloscope captures
triggered on that reset. Writing a VCD needs the optional package pyvcd
(``pip install 'chipsim[vcd]'``).
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from .result import Result, Trace

#: Picoseconds per VCD time unit: the VCD timescale is 1 ps, times are rounded to it.
TIMESCALE = "1 ps"
_PS = 1e12


class MissingPackageError(ImportError):
    """An optional package is missing; the message names the extra that installs it."""


def _vcd_module():
    try:
        import vcd  # noqa: F401
        from vcd import VCDWriter
    except ImportError:
        raise MissingPackageError(
            "writing waveforms as VCD needs the optional package pyvcd: install it with "
            "pip install 'chipsim[vcd]' (or pip install 'pyvcd>=0.4')"
        ) from None
    return VCDWriter


def _traces(traces) -> list[Trace]:
    if isinstance(traces, Result):
        if traces.traces is None:
            raise ValueError(
                "the result holds no traces: run with record_vectors and record_columns"
            )
        traces = traces.traces
    out = list(traces)
    for i, t in enumerate(out):
        if not isinstance(t, Trace):
            raise TypeError(f"traces[{i}] must be a chipsim.Trace, got {type(t).__name__}")
    if not out:
        raise ValueError("no traces to write: record at least one vector and one column")
    return out


def _scope_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text) or "chip"


def _pulse_levels(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times (ps) and 0/1 levels of a wire that is high while any pulse [start, end) lasts."""
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(starts.size, np.int64), -np.ones(ends.size, np.int64)])
    order = np.lexsort((-steps, times))  # at equal times, a rise before a fall: no glitch
    times, level = times[order], np.cumsum(steps[order]) > 0
    # keep the last level of each time stamp, then only the changes
    last = np.r_[times[1:] != times[:-1], True]
    times, level = times[last], level[last]
    change = np.r_[True, level[1:] != level[:-1]]
    return times[change], level[change].astype(np.int64)


def write_vcd(
    traces, path: str | os.PathLike, *, chip_name: str = "chip", comment: str = ""
) -> Path:
    """Write recorded waveforms as a VCD file (timescale 1 ps) and return its path.

    Args:
        traces: a :class:`chipsim.Result` run with ``record_vectors``/``record_columns``, or
            its ``traces``.
        path: the file to write (overwritten).
        chip_name: name of the top scope.
        comment: text for the file's ``$comment``.

    Layout (scopes separated by dots, as a viewer shows them)::

        <chip_name>.vector_<b>.column_<c>.v_mem, v_exc, v_inh   real, volts
                                                                (numbers zero-padded to one
                                                                width: vector_07, column_085)
        <chip_name>.vector_<b>.inputs.input_<r>                wire: 1 while the pulse of input r
                                                                lasts (nominal length a * t_lsb)
        <chip_name>.vector_<b>.adc_read                        wire: rises at the ADC read

    A vector recorded on several halves or tile runs (columns of several tiles) has its inputs
    and ``adc_read`` once per trace, in ``vector_<b>.run<R>_half<H>``. Time 0 is the reset before
    the events phase of each vector. Real values are written with 16 significant digits. The
    first points of a window may lie before the part the kernel steps through (the quiet start
    is integrated in closed form, see :class:`chipsim.Trace`): a signal holds its first computed
    value until then.
    """
    VCDWriter = _vcd_module()
    traces = _traces(traces)
    top = _scope_name(chip_name)
    per_vector = defaultdict(list)
    for t in traces:
        per_vector[t.vector].append(t)
    # numbers zero-padded to one width, so that viewers, which sort names, list them in order
    vec_w = len(str(max(per_vector)))
    col_w = len(str(max(c for t in traces for c in t.columns)))
    row_w = len(str(max((int(r) for t in traces for r in t.event_rows), default=0)))

    path = Path(path)
    with open(path, "w", encoding="ascii") as f:
        writer = VCDWriter(
            f,
            timescale=TIMESCALE,
            date="",
            version="chipsim",
            comment=comment or f"chipsim waveforms of chip {chip_name}",
        )
        regs = []  # (scope, name, kind, init, times_ps, values)
        for vector in sorted(per_vector):
            group = per_vector[vector]
            vscope = f"{top}.vector_{vector:0{vec_w}d}"
            for t in group:
                tps = np.rint(np.asarray(t.time, np.float64) * _PS).astype(np.int64)
                for i, column in enumerate(t.columns):
                    for name in ("v_mem", "v_exc", "v_inh"):
                        v = np.asarray(getattr(t, name)[i], np.float64)
                        ok = np.isfinite(v)
                        if not ok.any():
                            continue
                        regs.append(
                            (
                                f"{vscope}.column_{column:0{col_w}d}",
                                name,
                                "real",
                                float(v[ok][0]),
                                tps[ok],
                                v[ok],
                            )
                        )
                sub = vscope if len(group) == 1 else f"{vscope}.run{t.run}_half{t.half}"
                rows = np.asarray(t.event_rows, np.int64)
                start = np.rint(np.asarray(t.event_times, np.float64) * _PS).astype(np.int64)
                lengths = (
                    np.zeros(rows.size)
                    if t.event_lengths is None
                    else np.asarray(t.event_lengths, np.float64)
                )
                end = start + np.maximum(np.rint(lengths * _PS).astype(np.int64), 1)
                for r in np.unique(rows):
                    sel = rows == r
                    wt, wv = _pulse_levels(start[sel], end[sel])
                    regs.append((f"{sub}.inputs", f"input_{int(r):0{row_w}d}", "wire", 0, wt, wv))
                t_read = int(round(t.t_read * _PS))
                regs.append((sub, "adc_read", "wire", 0, np.array([t_read]), np.array([1])))
        handles = [
            writer.register_var(scope, name, kind, size=1 if kind == "wire" else 64, init=init)
            for scope, name, kind, init, _, _ in regs
        ]
        all_t = np.concatenate([r[4] for r in regs])
        all_var = np.concatenate([np.full(r[4].size, k, np.int64) for k, r in enumerate(regs)])
        all_val = np.concatenate([np.asarray(r[5], np.float64) for r in regs])
        is_wire = [r[2] == "wire" for r in regs]
        for i in np.argsort(all_t, kind="stable"):
            k = int(all_var[i])
            value = int(all_val[i]) if is_wire[k] else float(all_val[i])
            writer.change(handles[k], int(all_t[i]), value)
        end_time = int(all_t.max())
        writer.close(end_time)
    return path


def waveform_arrays(traces, prefix: str = "wave_") -> dict[str, np.ndarray]:
    """The waveforms of ``traces`` (a :class:`chipsim.Result` or its traces) as flat arrays.

    With S = one row per (trace, column), N traces, T the longest time grid (shorter ones padded
    with NaN) and E the events of all traces (keys carry ``prefix``):

    ``vector``, ``column``, ``trace`` (S,): vector and output column of each signal row, and the
    trace it belongs to; ``v_mem``, ``v_exc``, ``v_inh`` (S, T): volts (NaN where not computed);
    ``time`` (N, T): seconds since the reset before the events phase; ``t_read`` (N,): the ADC
    read (s); ``half``, ``run``, ``trace_vector`` (N,); ``event_ptr`` (N + 1,): the events of
    trace n are ``event_ptr[n]:event_ptr[n + 1]`` of ``event_input`` (input index),
    ``event_time`` (s, pulse start), ``event_activation`` (1..31) and ``event_length`` (s,
    nominal pulse length).
    """
    traces = _traces(traces)
    n_t = max(t.time.size for t in traces)
    rows = sum(len(t.columns) for t in traces)

    def padded(shape):
        return np.full(shape, np.nan)

    time, v = (
        padded((len(traces), n_t)),
        {k: padded((rows, n_t)) for k in ("v_mem", "v_exc", "v_inh")},
    )
    vector, column, trace = (np.zeros(rows, np.int64) for _ in range(3))
    s = 0
    for n, t in enumerate(traces):
        time[n, : t.time.size] = t.time
        c = len(t.columns)
        for k in v:
            v[k][s : s + c, : t.time.size] = getattr(t, k)
        vector[s : s + c], column[s : s + c], trace[s : s + c] = t.vector, t.columns, n
        s += c
    counts = [len(t.event_rows) for t in traces]
    ptr = np.zeros(len(traces) + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])

    def events(name, dtype):
        parts = [
            np.zeros(len(t.event_rows)) if getattr(t, name) is None else getattr(t, name)
            for t in traces
        ]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    out = {
        "vector": vector,
        "column": column,
        "trace": trace,
        **v,
        "time": time,
        "t_read": np.array([t.t_read for t in traces]),
        "half": np.array([t.half for t in traces], np.int64),
        "run": np.array([t.run for t in traces], np.int64),
        "trace_vector": np.array([t.vector for t in traces], np.int64),
        "event_ptr": ptr,
        "event_input": events("event_rows", np.int64),
        "event_time": events("event_times", np.float64),
        "event_activation": events("event_activations", np.int64),
        "event_length": events("event_lengths", np.float64),
    }
    return {prefix + k: val for k, val in out.items()}


#: Header of the reference software's MADC recording file.
MADC_CSV_HEADER = "ExecutionIndex\tbatch\ttime\tvalue\n"


def write_madc_csv(traces, path: str | os.PathLike, column: int) -> Path:
    """Append the membrane of output ``column`` to ``path`` in the reference software's MADC
    recording format: tab-separated ``ExecutionIndex, batch, time, value`` with that header
    written when the file is new. ``ExecutionIndex`` is the tile run, ``batch`` the vector,
    ``time`` seconds since the reset before the events phase and ``value`` the membrane in volts
    (the reference writes FPGA cycles and raw MADC codes; no MADC is simulated here). Points
    before the stepped part of the window (NaN in the trace) are left out."""
    traces = _traces(traces)
    path = Path(path)
    new = not path.exists()
    with open(path, "a", encoding="ascii") as f:
        if new:
            f.write(MADC_CSV_HEADER)
        for t in traces:
            if column not in t.columns:
                continue
            v = np.asarray(t.v_mem[t.columns.index(column)], np.float64)
            ok = np.isfinite(v)
            lines = [
                f"{t.run}\t{t.vector}\t{time!r}\t{value!r}\n"
                for time, value in zip(t.time[ok].tolist(), v[ok].tolist())
            ]
            f.writelines(lines)
    return path


def select(traces, vectors=None, columns=None) -> list[Trace]:
    """The traces of ``vectors`` (all if ``None``) cut down to ``columns`` (all if ``None``);
    traces left without a column are dropped."""
    from dataclasses import replace

    traces = _traces(traces)
    keep_v = None if vectors is None else {int(v) for v in vectors}
    keep_c = None if columns is None else {int(c) for c in columns}
    out = []
    for t in traces:
        if keep_v is not None and t.vector not in keep_v:
            continue
        idx = [i for i, c in enumerate(t.columns) if keep_c is None or c in keep_c]
        if not idx:
            continue
        out.append(
            replace(
                t,
                columns=tuple(t.columns[i] for i in idx),
                v_exc=t.v_exc[idx],
                v_inh=t.v_inh[idx],
                v_mem=t.v_mem[idx],
                code_read=t.code_read[idx],
                code_baseline=t.code_baseline[idx],
            )
        )
    return out
