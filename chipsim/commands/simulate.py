"""``chipsim simulate CHIP``: run a workload on a chip YAML, print a summary, write results, a trace
and a figure."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hwdesc.rules import DEFAULT_WAIT_BETWEEN_EVENTS

from ..studies.characterization import LINEAR_LIMIT  # outputs beyond it: outside the linear range
from .cli import UsageError, int_at_least
from .options import add_calibration, add_chip, add_chip_seed, add_noise_seed, add_quiet, load_chip
from .output import add_out


def _load_npy(path: str, option: str) -> np.ndarray:
    """The array of the ``.npy`` file ``path``, mapped rather than read (its shape is known
    before its size is spent: the work estimate comes first); a :class:`UsageError` naming
    ``option`` if there is no such file or it is not a ``.npy`` array (NumPy's own message for a
    text file speaks of pickled data, which misleads)."""
    p = Path(path)
    if not p.is_file():
        what = "is a folder, not a .npy file" if p.is_dir() else "no such file"
        raise UsageError(f"{option} {path}: {what}")
    try:
        with open(p, "rb") as fh:
            magic = fh.read(6)
        if magic != b"\x93NUMPY":
            raise UsageError(
                f"{option} {path}: not a .npy file (it does not start with NumPy's "
                "magic bytes); save the array with numpy.save(path, array)"
            )
        return np.load(p, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError, EOFError) as err:
        reason = (
            "it holds Python objects, which are not loaded"
            if "pickle" in str(err) or "Python objects" in str(err)
            else str(err) or type(err).__name__
        )
        raise UsageError(
            f"{option} {path}: not a readable .npy array ({reason}); save a numeric "
            "array with numpy.save(path, array)"
        ) from None


_BLOCK = 65536  # vectors per block of the post-processing (bounds temporary memory)


def _ideal_products(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``x @ w`` in int32 (exact: |x . w| <= K * 31 * 63), computed block by block."""
    w32 = w.astype(np.int32)
    ideal = np.empty((x.shape[0], w.shape[1]), dtype=np.int32)
    for s in range(0, x.shape[0], _BLOCK):
        ideal[s : s + _BLOCK] = x[s : s + _BLOCK].astype(np.int32) @ w32
    return ideal


def _sample_rows(n: int, most: int) -> np.ndarray:
    """Every row, or ``most`` rows picked evenly, for fits and scatter plots of huge batches."""
    return np.arange(n) if n <= most else np.linspace(0, n - 1, most).astype(np.int64)


def _output_stats(outputs: np.ndarray, omin: int, omax: int) -> dict:
    """Mean, std, range and saturated fractions of ``outputs``, block by block."""
    total = total_sq = compressed = clipped = 0.0
    for s in range(0, outputs.shape[0], _BLOCK):
        block = outputs[s : s + _BLOCK].astype(np.float64)
        total += block.sum()
        total_sq += np.square(block).sum()
        compressed += np.count_nonzero(np.abs(block) > LINEAR_LIMIT)
        clipped += np.count_nonzero((block <= omin) | (block >= omax))
    n = outputs.size
    mean = total / n
    return {
        "mean": mean,
        "std": max(total_sq / n - mean * mean, 0.0) ** 0.5,
        "min": int(outputs.min()),
        "max": int(outputs.max()),
        "compressed": compressed / n,
        "clipped": clipped / n,
    }


def _check_work(desc, args, batch: int, k_total: int, m_total: int, x_kind: str) -> None:
    """Refuse the whole command up front when its work is beyond the limits: the simulation
    (with its warm-up vector and recorded trace) plus the workload and the post-processing."""
    from dataclasses import replace

    from chipsim import limits

    est = limits.estimate_run(
        desc,
        (batch, k_total),
        (k_total, m_total),
        num_sends=args.num_sends,
        wait_between_events=args.wait,
        chunk_size=args.chunk_size,
        record_vectors=min(max(getattr(args, "waveforms", 0), 1), batch),
        record_columns=4 + len(getattr(args, "waveform_columns", None) or ()),
        x_kind=x_kind,
        what="the simulation",
    )
    memory = dict(est.memory)
    memory["the workload's inputs"] = (
        batch * k_total,
        f"--batch {batch} x {k_total} inputs",
        "lower --batch",
    )
    memory["the results (int8 outputs, int32 ideal products, statistics)"] = (
        batch * m_total * 5 + _BLOCK * max(m_total, k_total) * 16,
        f"{batch} vectors x {m_total} outputs",
        "lower --batch or give fewer vectors in --inputs",
    )
    replace(est, memory=memory).check()


#: The options of this command that the estimate's messages name by their API names.
_OPTION_NAMES = (
    ("wait_between_events", "--wait"),
    ("num_sends", "--num-sends"),
    ("chunk_size", "--chunk-size"),
)


def _check_work_cli(*args) -> None:
    """:func:`_check_work`, with the messages naming this command's options."""
    import re

    try:
        _check_work(*args)
    except ValueError as err:
        text = str(err)
        for api, option in _OPTION_NAMES:
            text = re.sub(rf"\b{api}\b(?=\(=|=| <=|\)|,)", option, text)
        raise UsageError(text) from None


def run(args) -> int:
    from chipsim.chip import DEFAULT_CHUNK
    from chipsim.commands import trace_files
    from chipsim.commands.compile_notice import compile_notice
    from chipsim.commands.figures import linear_fit, simulation_figure
    from chipsim.commands.workload import default_workload

    t_load = time.perf_counter()
    chip = load_chip(args)
    desc = chip.description
    if (args.inputs is None) != (args.weights is None):
        raise UsageError(
            "give --inputs and --weights together (or neither, for the default workload)"
        )
    if args.inputs is not None:
        from hwdesc.rules import integer_array

        fin, fw = desc.formats.input, desc.formats.weight
        x_map, w_map = _load_npy(args.inputs, "--inputs"), _load_npy(args.weights, "--weights")
        if x_map.ndim >= 2 and w_map.ndim == 2 and x_map.shape[-1] == w_map.shape[0]:
            _check_work_cli(
                desc,
                args,
                int(np.prod(x_map.shape[:-1])),
                w_map.shape[0],
                w_map.shape[1],
                x_map.dtype.kind,
            )
        try:
            x = integer_array(x_map, f"--inputs {args.inputs}", fin.min, fin.max, min_ndim=2)
            w = integer_array(w_map, f"--weights {args.weights}", fw.min, fw.max, ndim=2)
        except (ValueError, TypeError) as err:
            raise UsageError(str(err)) from None
        del x_map, w_map
        x = x.reshape(-1, x.shape[-1])
        if x.shape[1] != w.shape[0]:
            raise UsageError(
                f"--inputs has {x.shape[1]} inputs per vector but --weights has "
                f"{w.shape[0]} rows: they must match"
            )
        workload = f"from files: {x.shape[0]} vectors x {x.shape[1]} inputs -> {w.shape[1]} outputs"
    else:
        _check_work_cli(desc, args, args.batch, *desc.tile_shape, "i")
        x, w = default_workload(desc, args.batch, seed=0)
        k, m = desc.tile_shape
        workload = (
            f"default: {args.batch} vectors on one {k} x {m} tile (weights sweep from "
            f"negative to positive across the columns, input density 5..100 %)"
        )
    m_total = w.shape[1]
    columns = sorted({0, m_total // 3, (2 * m_total) // 3, m_total - 1})
    record_vectors, record_columns, _ = trace_files.recording(args, x.shape[0], m_total, columns)
    t0 = time.perf_counter()
    with compile_notice(quiet=args.quiet, readout=desc.geometry.readout) as compiled:
        chip.run(x[:1], w, num_sends=args.num_sends, wait_between_events=args.wait, noise_seed=0)
    warmup = time.perf_counter() - t0  # compiles the kernels on first use, loads them afterwards
    t0 = time.perf_counter()
    # The output folder is a temporary one until everything is written (trace.pftrace streams
    # into it during the run): an interruption leaves no partial output and any previous one as
    # it was.
    with args.out.writing() as folder:
        with trace_files.perfetto_writer(folder, chip.name, record_vectors) as pftrace:
            result = chip.run(
                x,
                w,
                num_sends=args.num_sends,
                wait_between_events=args.wait,
                noise_seed=args.noise_seed,
                record_vectors=record_vectors,
                record_columns=record_columns,
                chunk_size=args.chunk_size,
                keep_events=DEFAULT_CHUNK,  # the trace holds the same vectors whatever --chunk-size
                progress=not args.quiet and x.shape[0] > args.chunk_size,
                on_events=pftrace.add,
            )
            pftrace.add_membranes(result.traces)
        wall = time.perf_counter() - t0 - pftrace.seconds
        # Outputs fit int8; keep that compact copy only, so that a large batch stays small.
        outputs = result.outputs.astype(np.int8)
        tm, en, events, traces, noise_seed = (
            result.timing,
            result.energy,
            result.events,
            result.traces,
            result.noise_seed,
        )
        del result
        ideal = _ideal_products(x, w)
        omin, omax = desc.formats.output.min, desc.formats.output.max
        pick = _sample_rows(x.shape[0], max(1, 2_000_000 // w.shape[1]))
        gain, offset = linear_fit(ideal[pick], outputs[pick], LINEAR_LIMIT)
        stats = _output_stats(outputs, omin, omax)

        import eventsim

        tl = events.timeline
        origin = tl.start[0, 0]
        timeline = [
            (n, (s - origin) * tl.cycle_time, (e - origin) * tl.cycle_time, k)
            for n, k, s, e in zip(tl.names, tl.kinds, tl.start[0], tl.end[0])
        ]
        trace = next((t for t in traces if t.vector == 0), None) if traces else None
        if trace is not None and trace.columns != tuple(columns):
            from chipsim.waveforms import select

            trace = select([trace], columns=columns)[0]
        run_text = (
            f"{chip.name}, calibration {chip.calibration}, chip seed {chip.seed}, "
            f"noise seed {noise_seed}"
        )
        wave_path, wave_arrays = trace_files.waveform_files(
            args, folder, traces, chip.name, run_text
        )
        np.savez_compressed(
            folder / "results.npz",
            inputs=x,
            weights=w,
            outputs=outputs,
            ideal=ideal,
            vector_seconds=tm.vector_seconds,
            vector_energy=en.per_vector,
            **wave_arrays,
        )
        trace_path = eventsim.write_trace(
            events, folder / "trace.json", max_vectors=args.trace_vectors
        )
        fig_path = simulation_figure(
            folder / "figure.png",
            title=f"{chip.name}, calibration {chip.calibration}, chip seed {chip.seed}: "
            f"num_sends {args.num_sends}, wait {args.wait}",
            ideal=ideal[pick],
            outputs=outputs[pick],
            output_range=(omin, omax),
            trace_time=None if trace is None else trace.time,
            trace_membrane=None if trace is None else trace.v_mem,
            trace_columns=None if trace is None else list(trace.columns),
            event_times=None if trace is None else trace.event_times,
            read_time=None if trace is None else trace.t_read,
            timeline=timeline,
            trace_quantity="membrane"
            if desc.geometry.readout == "membrane"
            else "line drop, excitatory - inhibitory",
        )
        written = [
            Path(p).name
            for p in ("results.npz", pftrace.path, trace_path, fig_path, wave_path)
            if p
        ]
    t_all = time.perf_counter() - t_load
    static = en.per_action.get("static", 0.0) / en.total if en.total else 0.0
    k_total, m_total = w.shape
    print(f"chip          {desc.identity.name}: {desc.identity.title}")
    print(f"calibration   {chip.calibration} (chip seed {chip.seed}); noise seed {noise_seed}")
    print(f"workload      {workload}")
    print(
        f"matrix        {x.shape[0]} x {k_total} inputs -> {m_total} outputs; "
        f"num_sends {args.num_sends}, wait_between_events {args.wait} cycles"
    )
    from hwdesc import format_rate, format_si

    print(
        f"hardware time {format_si(tm.seconds_per_vector, 'time')} per vector, "
        f"{format_si(tm.seconds, 'time')} for the batch; "
        f"{format_rate(tm.vectors_per_second, 'vectors/s', 3)}, {format_rate(tm.macs_per_second, 'MAC/s', 3)}"
    )
    print(
        f"energy        {format_si(float(en.per_vector.mean()), 'energy')} per vector, "
        f"{format_si(en.per_mac, 'energy')} per MAC ({100 * static:.1f} % static; estimates: {en.provenance})"
    )
    print(
        f"outputs       mean {stats['mean']:.2f}, std {stats['std']:.2f}, range "
        f"{stats['min']}..{stats['max']}; linear fit for |out| <= {LINEAR_LIMIT}: "
        f"gain {gain:.5f} per unit of x.w, offset {offset:.2f}"
    )
    print(
        f"saturation    {100 * stats['compressed']:.1f} % of outputs beyond +-{LINEAR_LIMIT} "
        f"(compressed), {100 * stats['clipped']:.1f} % at the clip ({omin} / {omax})"
    )
    kernels = (
        "compiling the kernels (first use; cached from now on)"
        if compiled
        else "loading the kernels (compiled on first use, then cached)"
    )
    print(
        f"wall time     {wall:.2f} s simulating ({x.shape[0] / wall:.0f} vectors/s), "
        f"{pftrace.seconds:.2f} s writing trace.pftrace, {warmup:.2f} s {kernels}, "
        f"{t_all:.2f} s in all"
    )
    print(f"wrote         {args.out}/: {', '.join(written)}")
    return 0


def add_parser(sub) -> None:
    sim = sub.add_parser(
        "simulate",
        help="simulate a workload on a chip and write results, a trace and a figure",
        description="Simulate matrix-vector products on the described chip: the event simulator "
        "plays the input events, the analog kernels integrate lines and membranes, the ADC reads "
        "the result. Without --inputs/--weights a default workload runs: one full tile whose "
        "weights sweep from negative to positive across the columns, with input densities from 5 "
        "to 100 percent, so the outputs cover the linear range, the compression and the clip. "
        "Prints a summary (hardware time and throughput, energy per vector and per MAC, output "
        "statistics, saturation, wall time) and writes OUT/results.npz, OUT/trace.pftrace (every "
        "vector, Perfetto), OUT/trace.json (the first vectors, Perfetto / chrome://tracing) and "
        "OUT/figure.png, all at once when complete. The first run compiles the analog kernels "
        "(about a minute, announced); later runs load them from the cache.",
    )
    add_chip(sim)
    sim.add_argument("--inputs", metavar="X.npy", help="inputs (batch, K), integers 0..31")
    sim.add_argument("--weights", metavar="W.npy", help="weights (K, M), integers -63..63")
    sim.add_argument(
        "--batch",
        metavar="N",
        type=int_at_least(1),
        default=2000,
        help="vectors of the default workload (default: %(default)s)",
    )
    sim.add_argument(
        "--num-sends",
        metavar="N",
        type=int_at_least(1),
        default=1,
        help="times each vector is sent (default: %(default)s)",
    )
    sim.add_argument(
        "--wait",
        metavar="CYCLES",
        type=int_at_least(0),
        default=DEFAULT_WAIT_BETWEEN_EVENTS,
        help="wait_between_events in FPGA cycles (default: %(default)s)",
    )
    add_calibration(sim)
    add_chip_seed(sim)
    add_noise_seed(sim)
    add_out(sim, "chipsim-out")
    sim.add_argument(
        "--chunk-size",
        metavar="N",
        type=int_at_least(1),
        default=4096,
        help="vectors simulated at a time; bounds memory, never changes results "
        "(default: %(default)s)",
    )
    sim.add_argument(
        "--trace-vectors",
        metavar="N",
        type=int_at_least(1),
        default=16,
        help="vectors exported to trace.json; trace.pftrace holds every vector "
        "(default: %(default)s)",
    )
    add_quiet(sim)
    from chipsim.commands.trace_files import add_arguments

    add_arguments(sim)
    sim.set_defaults(func=run)
