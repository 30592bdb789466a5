"""A concrete simulated chip: a description, a calibration profile and a fixed pattern drawn from
a seed. ``Chip.matmul`` / ``Chip.run`` multiply matrices on it the way the reference software
drives the real chip."""

from __future__ import annotations

import os
import secrets
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import hwdesc
from hwdesc import ChipDescription, ResolvedKnobs, rules
from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

from . import fixed_pattern as _fp
from . import limits as _limits
from . import tiling
from .result import Result, RunAccumulator, Trace

#: Vectors simulated per chunk: bounds memory whatever the batch size (results do not depend on it).
DEFAULT_CHUNK = 4096


def load(path: str | Path, calibration="default", seed: int = 0) -> Chip:
    """Load the chip description at ``path`` and build a :class:`Chip`.

    Args:
        path: the name of a built-in chip (``"bss2"``, ``"bss2-synin"``, ``"tutorial"``; see
            ``chipsim list-chips``) or the path of a chip YAML. An existing file wins over a name.
        calibration: name of a calibration profile of the chip (``default``, ``custom``, ...),
            a :class:`~chipsim.calibration.CalibrationResult` (from :func:`chipsim.calibrate`),
            or the path of a saved result (``.npz``). A profile name wins over a file.
        seed: picks the chip instance: its fixed pattern is drawn once from this seed (same
            seed, same chip; another seed, another chip of the same statistics). A calibration
            result belongs to one chip instance: ``seed`` must be its ``chip_seed``.
    """
    description = hwdesc.load(path)
    if isinstance(calibration, (str, os.PathLike)) and str(calibration) not in (
        description.calibration
    ):
        if Path(calibration).is_file():
            from .calibration import CalibrationResult

            calibration = CalibrationResult.load(calibration)
    return Chip(description, calibration=calibration, seed=seed)


@dataclass(frozen=True, eq=False)
class Chip:
    """A simulated chip instance. Immutable; :meth:`with_calibration` gives another one.

    Attributes:
        description: the validated chip description.
        calibration: name of the calibration profile in use; for a chip calibrated by
            :func:`chipsim.calibrate`, ``"calibrated"`` followed by the target's differences
            from the default target (``calibrated+tau_syn=640 ns``). Given as a profile name or
            a :class:`~chipsim.calibration.CalibrationResult`.
        calibration_result: the calibration result in use, or None (a profile).
        seed: seed of the fixed pattern.
        knobs: physical values (SI) the profile's knobs set (g_m, I_max, tau_syn, V_reset, C_m).
        pattern: fixed-pattern arrays per half (read-only).
    """

    description: ChipDescription
    calibration: Any = "default"
    seed: int = 0
    calibration_result: Any = field(init=False, default=None, repr=False)
    knobs: ResolvedKnobs = field(init=False)
    pattern: tuple = field(init=False, repr=False)
    _halves: _PreparedHalves = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_halves", _PreparedHalves(PREPARED_HALVES))
        if not isinstance(self.description, ChipDescription):
            raise TypeError(
                f"description must be a hwdesc.ChipDescription (see chipsim.load), "
                f"got {type(self.description).__name__}"
            )
        _check_simulable(self.description)
        _limits.estimate_description(
            self.description, f"chip '{self.description.identity.name}'"
        ).check()
        seed = rules.seed(self.seed, "seed")
        object.__setattr__(self, "seed", seed)
        from .calibration import CalibrationResult

        if isinstance(self.calibration, CalibrationResult):
            self._calibrated(self.calibration)
            return
        object.__setattr__(self, "knobs", self.description.resolve(self.calibration))
        object.__setattr__(self, "pattern", _fp.draw(self.description, self.knobs, seed))

    def _calibrated(self, result) -> None:
        """Knobs and fixed pattern of this chip under a calibration result: the calibrated
        circuits at their codes, the other circuits with the residual spreads of
        ``fixed_pattern`` (docs/calibration.md)."""
        from .calibration import CalibrationWarning, description_hash
        from .calibration.circuits import RawChip, target_knobs
        from .calibration.procedure import check_target, codes_of, label

        desc = self.description
        try:
            check_target(desc, result.target)
        except TypeError as err:  # a result of the other readout
            raise ValueError(f"calibration: {str(err).removeprefix('target: ')}") from None
        if result.description_hash != description_hash(desc):
            raise ValueError(
                f"calibration: the result was made for another chip description (hash "
                f"{result.description_hash[:12]}..., this one {description_hash(desc)[:12]}...); "
                "calibrate this description (chipsim.calibrate)"
            )
        if result.chip_seed != self.seed:
            raise ValueError(
                f"calibration: the result belongs to chip seed {result.chip_seed}, not seed "
                f"{self.seed}; load with seed={result.chip_seed}, or calibrate seed {self.seed}"
            )
        if not result.ok:
            failed = ", ".join(f"{q} {n}" for q, n in result.failures.items() if n)
            warnings.warn(
                f"chip '{desc.identity.name}' seed {self.seed}: its calibration failed for some "
                f"instances ({failed}); they keep a code at (or near) the end of their range",
                CalibrationWarning,
                stacklevel=4,
            )
        knobs = target_knobs(desc, result.target)
        raw = RawChip.draw(desc, self.seed)
        pattern = raw.patterns(
            _fp.draw(desc, knobs, self.seed), codes_of(result, raw), knobs.i_max, knobs.v_reset
        )
        object.__setattr__(self, "calibration_result", result)
        object.__setattr__(self, "calibration", label(result.target))
        object.__setattr__(self, "knobs", knobs)
        object.__setattr__(self, "pattern", pattern)

    def __getstate__(self) -> dict:
        # the prepared halves are not part of the chip (a copy or an unpickled chip starts
        # without them; their lock cannot be pickled)
        return {k: v for k, v in self.__dict__.items() if k != "_halves"}

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_halves", _PreparedHalves(PREPARED_HALVES))

    # ---- conveniences ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.description.identity.name

    @property
    def tile_shape(self) -> tuple[int, int]:
        return self.description.tile_shape

    def with_calibration(self, calibration) -> Chip:
        """The same chip (same seed) under another calibration profile or result."""
        return Chip(self.description, calibration=calibration, seed=self.seed)

    def __repr__(self) -> str:
        return f"Chip({self.name!r}, calibration={self.calibration!r}, seed={self.seed})"

    # ---- the API of the reference software ----------------------------------------------------
    def matmul(
        self,
        x,
        w,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
        noise_seed: int | None = None,
        *,
        madc_recording_neuron_id: int = 0,
        madc_recording_path: str | os.PathLike = "",
    ):
        """``x @ w`` on the simulated chip, with the reference software's conventions.

        Args:
            x: inputs, shape (batch..., K), values in the chip's ``formats.input`` range (0..31 on
                BrainScaleS-2); floats are rounded to nearest. Integer or float arrays only:
                boolean, complex, time-delta and masked arrays are refused.
            w: weights, shape (K, M), values in ``formats.weight`` (-63..63; rounded likewise).
            num_sends: how often each input vector is sent (gain grows linearly with it); an
                integer >= 1 (``bool`` and floats such as ``2.0`` are refused).
            wait_between_events: FPGA cycles between successive events; an integer >= 0.
            noise_seed: seed of the temporal noise, an integer in 0..2**63-1; ``None`` draws a
                fresh one.
            madc_recording_neuron_id, madc_recording_path: the reference's membrane recording.
                With a non-empty path, the membrane of the neuron that computes output column
                ``madc_recording_neuron_id`` (0..M-1; for a product of one tile this is the
                reference's neuron number on the top half) is recorded for every vector of the
                batch and written to the path: a ``.vcd`` file (with both synaptic lines and the
                input events, see :func:`chipsim.waveforms.write_vcd`) or else the reference's
                tab-separated MADC file, appended to (:func:`chipsim.waveforms.write_madc_csv`).
                Recording keeps three voltages per time step and vector in memory until the
                end (bss2: about 15 kB per vector).

        Returns:
            int32 array (batch..., M) with values -128..127.
        """
        return self.run(
            x,
            w,
            num_sends=num_sends,
            wait_between_events=wait_between_events,
            noise_seed=noise_seed,
            madc_recording_neuron_id=madc_recording_neuron_id,
            madc_recording_path=madc_recording_path,
        ).outputs

    def run(
        self,
        x,
        w,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
        noise_seed: int | None = None,
        *,
        noise: bool = True,
        record_vectors=None,
        record_columns=None,
        chunk_size: int = DEFAULT_CHUNK,
        progress: bool = False,
        engine: str = "fast",
        on_events=None,
        madc_recording_neuron_id: int = 0,
        madc_recording_path: str | os.PathLike = "",
        keep_events: int | None = None,
    ) -> Result:
        """Simulate ``x @ w`` and return a :class:`Result` with outputs, timing and energy.

        Beyond :meth:`matmul`'s arguments:
            noise: ``False`` switches every temporal noise source off (the fixed pattern stays).
            record_vectors, record_columns: record the line and membrane voltages of these
                vectors (flat batch indices) and output columns, with their event times.
                Traces are taken on the half that runs input tile 0 of each column. In the
                synaptic-input readout (model.md section 13) a trace holds the drops of the
                output's two lines (``v_exc``, ``v_inh``) and their difference (``v_mem``).
            chunk_size: vectors simulated at a time (memory bound); results do not depend on it,
                to the last bit of outputs, timing and energy.
            progress: show a progress bar (tqdm) over the chunks.
            engine: ``"fast"`` or ``"simpy"`` event simulator (identical schedules).
            on_events: called as ``on_events(first_vector, event_runs)`` after each chunk, with
                the event simulator's runs of the chunk (one ``eventsim.EventRun`` per tile run,
                in execution order; vector ``b`` of a run is vector ``first_vector + b`` of the
                flattened batch). A trace writer streams a whole batch through it
                (``eventsim.PerfettoTraceWriter.add``) while the result keeps only the first
                ``keep_events`` vectors.
            madc_recording_neuron_id, madc_recording_path: the reference's membrane recording,
                as in :meth:`matmul`; the recorded traces are also in ``Result.traces``. Not
                together with ``record_vectors``/``record_columns``.
            keep_events: how many of the first vectors ``Result.events`` holds (an integer
                >= 1; the batch if it is smaller), whatever the chunk size. ``None`` (default):
                ``chunk_size``, the first chunk, which is what the memory estimate of
                :mod:`chipsim.limits` assumes; give a number to make ``Result.events`` the same
                for every chunk size.
        """
        desc = self.description
        num_sends = rules.num_sends(num_sends)
        wait = rules.wait_between_events(wait_between_events)
        chunk_size = rules.integer(chunk_size, "chunk_size", 1)
        keep_events = (
            chunk_size if keep_events is None else rules.integer(keep_events, "keep_events", 1)
        )
        # the work, estimated before anything is allocated (docs/limits.md)
        estimate = _limits.estimate_call(
            desc,
            x,
            w,
            num_sends=num_sends,
            wait_between_events=wait,
            chunk_size=chunk_size,
            record_vectors=_count(record_vectors),
            record_columns=_count(record_columns),
            engine=engine,
            keep_events=keep_events,
        )
        if estimate is not None and madc_recording_path not in (None, ""):
            # the membrane recording keeps one column of every vector
            estimate = _limits.estimate_call(
                desc,
                x,
                w,
                num_sends=num_sends,
                wait_between_events=wait,
                chunk_size=chunk_size,
                record_vectors=estimate.vectors,
                record_columns=1,
                engine=engine,
                keep_events=keep_events,
            )
        if estimate is not None:
            estimate.check()
        fin, fw = desc.formats.input, desc.formats.weight
        x_arr = rules.integer_array(x, "x", fin.min, fin.max, min_ndim=1, compact=True)
        w_arr = rules.integer_array(w, "w", fw.min, fw.max, ndim=2)
        rules.product_shapes(x_arr.shape, w_arr.shape)
        if noise_seed is None:
            noise_seed = secrets.randbits(63)
        noise_seed = rules.seed(noise_seed, "noise_seed")
        batch_shape = x_arr.shape[:-1]
        flat = x_arr.reshape(-1, x_arr.shape[-1])
        n_vec = flat.shape[0]
        k_total, m_total = w_arr.shape
        madc = _madc_spec(madc_recording_neuron_id, madc_recording_path, m_total)
        if madc is not None:
            if record_vectors is not None or record_columns is not None:
                raise ValueError(
                    "give either madc_recording_path (one neuron, every vector) or "
                    "record_vectors/record_columns, not both"
                )
            record_vectors, record_columns = np.arange(n_vec), [madc[0]]
        record = _record_spec(record_vectors, record_columns, n_vec, m_total)
        if on_events is not None and not callable(on_events):
            raise TypeError(
                f"on_events must be callable (first_vector, event_runs), got "
                f"{type(on_events).__name__}"
            )

        runs = [
            self._prepare_run(run, w_arr, noise_seed, noise, run_index)
            for run_index, run in enumerate(
                tiling.plan(k_total, m_total, self.tile_shape, desc.geometry.halves)
            )
        ]
        outputs = np.zeros((n_vec, m_total), dtype=np.int32)
        acc = RunAccumulator(n_vec, len(runs), keep_events)
        traces: list[Trace] = []
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=n_vec, unit="vec", desc=f"simulating {self.name}", leave=False)
        try:
            for start, stop in _chunks(n_vec, chunk_size, cut=keep_events):
                partial = np.zeros((stop - start, m_total), dtype=np.int32)
                event_runs = []
                for run in runs:
                    event_run = self._run_tiles(
                        run,
                        flat[start:stop],
                        start,
                        num_sends,
                        wait,
                        partial,
                        record,
                        traces,
                        engine,
                    )
                    event_runs.append(event_run)
                np.clip(partial, desc.formats.output.min, desc.formats.output.max, out=partial)
                outputs[start:stop] = partial
                acc.add(event_runs, start)
                if on_events is not None:
                    on_events(start, event_runs)
                if bar is not None:
                    bar.update(stop - start)
        finally:
            if bar is not None:
                bar.close()
        timing = acc.timing()
        result = Result(
            outputs=outputs.reshape(batch_shape + (m_total,)),
            noise_seed=noise_seed,
            num_sends=num_sends,
            wait_between_events=wait,
            timing=timing,
            energy=acc.energy(timing),
            events=acc.events(),
            traces=tuple(traces) if record is not None else None,
        )
        if madc is not None:
            from . import waveforms

            neuron, path = madc
            if path.suffix.lower() == ".vcd":
                waveforms.write_vcd(result, path, chip_name=self.name)
            else:
                waveforms.write_madc_csv(result, path, neuron)
        return result

    # ---- one tile pair ------------------------------------------------------------------------
    def _prepare_run(self, run, w, noise_seed, noise, run_index) -> _PreparedRun:
        """What a tile run needs from the weights and the chip, computed once per call (not per
        chunk): the non-zero masks and MACs for the event simulator, and per tile the prepared
        kernel half (:class:`kernels.HalfParams`: weights, the synapse factors they use, the
        fixed pattern of the columns, validated and turned into coefficient tables)."""
        import kernels

        desc = self.description
        halves = desc.geometry.halves
        k, m = self.tile_shape
        masks = np.zeros((halves, k, m), dtype=bool)
        params = []
        for h, tile in enumerate(run):
            w_tile = np.ascontiguousarray(w[tile.k0 : tile.k1, tile.m0 : tile.m1], dtype=np.int32)
            kk, mm = w_tile.shape
            masks[h, :kk, :mm] = w_tile != 0
            half = self._prepared_half(h, w_tile, noise)
            params.append(kernels.reseed(half, noise_seed, run_index * halves + h))
        macs = sum((t.k1 - t.k0) * (t.m1 - t.m0) for t in run)
        return _PreparedRun(
            tiles=tuple(run), masks=masks, macs=macs, params=tuple(params), index=run_index
        )

    def _prepared_half(self, half: int, w_tile: np.ndarray, noise: bool):
        """The kernels' parameters of half ``half`` running the weights ``w_tile`` (int32
        (k, m), C-contiguous) with noise on or off, at noise seed 0 and stream 0
        (:func:`kernel_params`; :func:`kernels.reseed` gives another stream). Kept by the
        half, the weights' shape and bytes and the noise switch, which is all they depend on
        besides the chip's description, knobs and fixed pattern (immutable): a model that runs
        the same weights call after call builds them once."""
        key = (half, w_tile.shape, w_tile.tobytes(), bool(noise))
        return self._halves.get(
            key,
            lambda: kernel_params(
                self.description,
                self.knobs,
                self.pattern[half],
                w_tile,
                noise=noise,
                noise_seed=0,
                stream=0,
            ),
        )

    def _run_tiles(self, run, x, offset, num_sends, wait, partial, record, traces, engine):
        import eventsim

        desc = self.description
        halves = desc.geometry.halves
        n = x.shape[0]
        acts = np.zeros((n, halves, self.tile_shape[0]), dtype=np.int64)
        for h, tile in enumerate(run.tiles):
            acts[:, h, : tile.k1 - tile.k0] = x[:, tile.k0 : tile.k1]
        event_run = eventsim.simulate(
            desc,
            acts,
            run.masks,
            num_sends=num_sends,
            wait_between_events=wait,
            engine=engine,
            macs_per_vector=run.macs,
        )
        sched = event_run.schedule
        # the kernels place every time on their step grid and treat a time within GRID_SNAP
        # steps of a grid point as on it: an event that starts that close before the read (a time
        # meant to equal the read, rounded below it) starts at the read, and its charge is lost
        from kernels.half import GRID_SNAP

        late = sched.ev_time >= sched.t_read[sched.vector] - GRID_SNAP * desc.analog.dt
        if late.any():
            raise ValueError(
                f"chip '{desc.identity.name}': {int(late.sum())} event(s) reach the synapses after "
                "the ADC read (link_latency + driver_latency exceed the waits after the events "
                "phase), so their charge would be lost; lengthen the wait after the events phase in "
                "`schedule.phases` or shorten `io.link_latency`/`io.driver_latency`"
            )
        sample_index = np.arange(offset, offset + n, dtype=np.int64)
        for h, (tile, params) in enumerate(zip(run.tiles, run.params)):
            rec = None
            if record is not None and tile.input_tile == 0:
                rec = _tile_record(record, tile, offset, n)
            out = self._simulate_half(
                h,
                params,
                sched.half_csr(h),
                sched.t_read,
                sched.t_baseline,
                t_gap=sched.t_gap,
                sample_index=sample_index,
                record=rec,
                traces=traces,
                tile=tile,
                run_index=run.index,
            )
            partial[:, tile.m0 : tile.m1] += out
        return event_run

    def _simulate_half(
        self,
        half,
        params,
        csr,
        t_read,
        t_baseline,
        *,
        t_gap,
        sample_index,
        record,
        traces,
        tile,
        run_index=0,
    ):
        """Run the kernel of one half: one call for all vectors (each with its own read time).
        Recorded vectors are run again, with recording, once per read time among them (the
        kernel records one read time per call); noise is keyed by ``sample_index``, so the
        second run reproduces the first exactly."""
        import kernels

        run = kernels.run_synin if isinstance(params, kernels.SyninParams) else kernels.run_half
        ev_ptr, ev_row, ev_act, ev_time = csr
        res = run(
            params,
            ev_ptr,
            ev_row,
            ev_act,
            ev_time,
            t_read=t_read,
            t_baseline=t_baseline,
            t_gap=t_gap,
            sample_index=sample_index,
        )
        if record is None:
            return res.output
        chosen = np.array(sorted(record["local"]), dtype=np.int64)
        columns = np.asarray(record["columns_local"], dtype=np.int64)
        for t_group in np.unique(t_read[chosen]):
            idx = chosen[t_read[chosen] == t_group]
            counts = ev_ptr[idx + 1] - ev_ptr[idx]
            ptr = np.zeros(idx.size + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            take = _ranges(ev_ptr[idx], counts)
            rec = run(
                params,
                ptr,
                ev_row[take],
                ev_act[take],
                ev_time[take],
                t_read=float(t_group),
                t_baseline=t_baseline,
                t_gap=t_gap,
                sample_index=sample_index[idx],
                record_samples=np.arange(idx.size),
                record_columns=columns,
            )
            code_read, code_base = rec.code_read, rec.code_baseline
            if isinstance(params, kernels.SyninParams):
                # per signed output: the inhibitory line's code minus the excitatory one's, so
                # that output = code_read - code_baseline as in the membrane readout
                code_read = code_read[:, 1::2] - code_read[:, 0::2]
                code_base = code_base[:, 1::2] - code_base[:, 0::2]
            for slot, b in enumerate(idx):
                sl = slice(int(ev_ptr[b]), int(ev_ptr[b + 1]))
                traces.append(
                    Trace(
                        vector=int(sample_index[b]),
                        half=half,
                        columns=tuple(tile.m0 + c for c in record["columns_local"]),
                        time=rec.traces.time,
                        v_exc=rec.traces.v_exc[slot],
                        v_inh=rec.traces.v_inh[slot],
                        v_mem=rec.traces.v_mem[slot],
                        event_rows=ev_row[sl].copy(),
                        event_times=ev_time[sl].copy(),
                        t_read=float(t_group),
                        code_read=code_read[slot, columns].copy(),
                        code_baseline=code_base[slot, columns].copy(),
                        event_activations=ev_act[sl].copy(),
                        event_lengths=ev_act[sl] * params.t_lsb,
                        run=run_index,
                    )
                )
        return res.output


def _run_args(desc, *, noise, noise_seed, stream):
    """The kernel arguments both readouts take alike: the noise switch, seed and stream, the
    steps per noise block and the number formats of the description."""
    return dict(
        noise_substeps=desc.noise_substeps,
        noise=noise,
        noise_seed=noise_seed,
        stream=stream,
        out_min=desc.formats.output.min,
        out_max=desc.formats.output.max,
        weight_min=desc.formats.weight.min,
        weight_max=desc.formats.weight.max,
        act_max=desc.formats.input.max,
    )


def kernel_params(desc, kn, pat, w_tile, *, noise, noise_seed, stream, tau_leak=None):
    """The kernels' parameters of one half (:class:`kernels.HalfParams`) running the weights
    ``w_tile`` (k, m) on the first k rows and m columns of the half's fixed pattern ``pat``,
    with the knob values ``kn``; shared by the chip and the calibration's experiments.
    ``tau_leak`` (s; one number or one per column of the half): the membranes' leak time
    constant, the leak switched on (the calibration's experiments); None: the description's
    pseudo-leak ``analog.membrane.tau_leak`` (the leak off, as on a calibrated chip)."""
    import kernels

    a, nz = desc.analog, desc.noise
    kk, mm = w_tile.shape
    w_max = max(abs(desc.formats.weight.min), desc.formats.weight.max)
    if desc.geometry.readout == "synaptic_input":
        return synin_kernel_params(
            desc, kn, pat, w_tile, noise=noise, noise_seed=noise_seed, stream=stream
        )
    return kernels.half_params(
        w_tile,
        syn_gain=pat.syn_gain(w_tile),
        drv_gain=pat.drv_gain[:kk],
        drv_offset=pat.drv_offset[:kk],
        gm=pat.gm[:mm],
        gm_inh=pat.gm_inh[:mm],
        tau_syn=pat.tau_syn[:mm],
        tau_syn_inh=pat.tau_syn_inh[:mm],
        v_offset_exc=pat.v_offset_exc[:mm],
        v_offset_inh=pat.v_offset_inh[:mm],
        i_offset=pat.i_offset[:mm],
        v_rail_hi=pat.v_rail_hi[:mm],
        v_rail_lo=pat.v_rail_lo[:mm],
        adc_offset=pat.adc_offset[:mm],
        adc_lsb=pat.adc_lsb[:mm],
        dt=a.dt,
        t_lsb=a.pulse.t_lsb,
        i_lsb=kn.i_max / w_max,
        c_syn=a.synaptic_input.c_syn,
        c_m=kn.c_m,
        v_lin=a.synaptic_input.v_lin,
        v_line_max=a.synaptic_input.v_max,
        tau_leak=_leak(a.membrane.tau_leak if tau_leak is None else tau_leak, mm),
        v_reset=kn.v_reset,
        v_leak=pat.v_leak[:mm],
        v_adc_lo=a.adc.v_lo,
        v_compliance=a.membrane.compliance_width,
        sigma_line=nz.sigma_line,
        ota_noise_psd=nz.ota_current_psd_per_gm,
        sigma_jitter=nz.sigma_jitter,
        sigma_bias=nz.sigma_bias,
        sigma_bias_common=nz.sigma_bias_common,
        sigma_gm=nz.sigma_gm,
        quadrant=pat.quadrant[:mm],
        flicker_psd_1mhz=nz.flicker.psd_at_1MHz,
        flicker_tau_min=nz.flicker.tau_min,
        flicker_tau_max=nz.flicker.tau_max,
        flicker_components=nz.flicker.components,
        flicker_blocks=nz.flicker.blocks,
        sigma_adc=nz.sigma_adc,
        sigma_ramp=nz.sigma_ramp,
        adc_max=desc.formats.adc.max,
        adc_dev=pat.adc_dev,
        **_run_args(desc, noise=noise, noise_seed=noise_seed, stream=stream),
    )


def _leak(tau_leak, m):
    """A leak time constant (s) for the kernels: one number, or the first ``m`` columns'."""
    if np.ndim(tau_leak) == 0:
        return float(tau_leak)
    return np.ascontiguousarray(np.asarray(tau_leak, dtype=np.float64)[:m])


def synin_kernel_params(desc, kn, pat, w_tile, *, noise, noise_seed, stream, v_rest=None):
    """The kernels' parameters of one half in the synaptic-input readout
    (:class:`kernels.SyninParams`, model.md section 13): output j of the tile on the half's
    columns 2 j (excitatory) and 2 j + 1 (inhibitory), rows 2 i and 2 i + 1 sharing the pulse
    fixed pattern of driver i; each line's leak is ``analog.synin.tau_line`` times the drawn
    time-constant factor of its column, its leakage current the drawn offset current.
    ``v_rest`` (V) replaces ``analog.synin.v_rest``, the voltage of a line at rest (the
    calibration holds the lines at a reference voltage)."""
    import kernels

    a, nz = desc.analog, desc.noise
    line, line_noise = a.synin, nz.synin
    assert line is not None and line_noise is not None  # hwdesc requires them in this readout
    kk, mm = w_tile.shape
    n_l = 2 * mm
    w_max = max(abs(desc.formats.weight.min), desc.formats.weight.max)
    drivers = np.arange(kk) // 2
    # the drawn relative spread of each column's time constant (pattern tau / nominal tau)
    tau_nominal = kn.tau_syn * a.synaptic_input.tau_gm_coupling.factor(kn.gm)
    return kernels.synin_params(
        w_tile,
        syn_gain=np.ascontiguousarray(pat.syn_gain_exc[:kk, :n_l], dtype=np.float32),
        drv_gain=pat.drv_gain[drivers],
        drv_offset=pat.drv_offset[drivers],
        tau_line=line.tau_line * pat.tau_syn[:n_l] / tau_nominal,
        i_line=pat.i_offset[:n_l],
        adc_offset=pat.adc_offset[:n_l],
        adc_lsb=pat.adc_lsb[:n_l],
        quadrant=pat.quadrant[:n_l],
        adc_dev=pat.adc_dev,
        adc_max=desc.formats.adc.max,
        dt=a.dt,
        t_lsb=a.pulse.t_lsb,
        i_lsb=kn.i_max / w_max,
        c_line=line.c_line,
        v_rest=line.v_rest if v_rest is None else float(v_rest),
        v_adc_lo=a.adc.v_lo,
        v_line_max=a.synaptic_input.v_max,
        line_current_psd=line_noise.line_current_psd,
        readout_flicker_psd_1mhz=line_noise.readout_flicker_psd_at_1MHz,
        flicker_tau_min=nz.flicker.tau_min,
        flicker_tau_max=nz.flicker.tau_max,
        flicker_components=nz.flicker.components,
        sigma_jitter=nz.sigma_jitter,
        sigma_adc=nz.sigma_adc,
        sigma_ramp=nz.sigma_ramp,
        sigma_bias=nz.sigma_bias,
        sigma_bias_common=nz.sigma_bias_common,
        **_run_args(desc, noise=noise, noise_seed=noise_seed, stream=stream),
    )


@dataclass(frozen=True)
class _PreparedRun:
    """One tile run, prepared once per call: see :meth:`Chip._prepare_run`."""

    tiles: tuple
    masks: np.ndarray
    macs: int
    params: tuple
    index: int = 0


#: Prepared kernel halves a chip keeps (:meth:`Chip._prepared_half`; with its key about 0.4 MiB
#: for a bss2 tile, 0.7 MiB for bss2-synin): the tiles of one or a few products (the transfer
#: study's network has 11), at most about 6 or 11 MiB per chip.
PREPARED_HALVES = 16


class _PreparedHalves:
    """The kernel halves a chip prepared, by their key; at most ``size`` (the least recently
    used dropped). Shared by the threads that use the chip."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.halves: dict = {}
        self._lock = threading.Lock()

    def get(self, key, compute):
        with self._lock:
            half = self.halves.pop(key, None)
        if half is None:
            half = compute()  # outside the lock: two threads may build one half, alike
        with self._lock:
            self.halves.pop(key, None)
            while len(self.halves) >= self.size:
                self.halves.pop(next(iter(self.halves)))
            self.halves[key] = half  # the most recently used last
        return half


def _check_simulable(desc: ChipDescription) -> None:
    """Refuse descriptions the analog kernels do not model, naming the YAML key."""
    f = desc.formats
    problems = []
    if f.zero_input_sends_event:
        problems.append(
            ("formats.zero_input_sends_event", "true", "false (activation 0 sends no event)")
        )
    if f.input.max > 31 or f.input.min != 0:
        problems.append(
            (
                "formats.input",
                f"{f.input.min}..{f.input.max}",
                "0..31 or fewer (5-bit pulse lengths)",
            )
        )
    if max(-f.weight.min, f.weight.max) > 63:
        problems.append(
            (
                "formats.weight",
                f"{f.weight.min}..{f.weight.max}",
                "at most -63..63 (6-bit synapses)",
            )
        )
    if (f.adc.min, f.adc.max) != (0, 255):
        problems.append(("formats.adc", f"{f.adc.min}..{f.adc.max}", "0..255 (8-bit ADC)"))
    if problems:
        path, value, allowed = problems[0]
        raise ValueError(
            f"chip '{desc.identity.name}': `{path}` is {value}, which the analog kernels do not "
            f"simulate; allowed: {allowed}. `chipsim check` validates such a file, but it cannot be "
            "simulated yet"
        )


def _chunks(n: int, size: int, cut: int):
    """(start, stop) of chunks of at most ``size`` vectors, with a boundary at ``cut`` (the
    vectors whose events ``Result.events`` keeps end there)."""
    start = 0
    while start < n:
        stop = min(start + size, n)
        if start < cut < stop:
            stop = cut
        yield start, stop
        start = stop


def _count(indices) -> int:
    """How many indices a ``record_vectors``/``record_columns`` argument holds (0 for ``None``)."""
    return 0 if indices is None else int(np.size(indices))


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (start, count), as one index array."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
    return offsets + np.arange(total, dtype=np.int64)


def _madc_spec(neuron_id, path, m_total):
    """``None`` (no recording) or ``(output column, Path)`` of the reference's MADC arguments,
    checked before the work: the column exists, the folder exists, pyvcd is there for ``.vcd``."""
    if path is None or os.fspath(path) == "":
        return None
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(
            f"madc_recording_path={os.fspath(path)!r}: the folder "
            f"{os.fspath(path.parent)!r} does not exist"
        )
    if path.suffix.lower() == ".vcd":
        from .waveforms import _vcd_module

        _vcd_module()  # says which extra to install
    neuron = rules.integer(neuron_id, "madc_recording_neuron_id", 0)
    if neuron >= m_total:
        raise ValueError(
            f"madc_recording_neuron_id={neuron} is not an output column of this "
            f"product: w has {m_total} columns (0..{m_total - 1})"
        )
    return neuron, path


def _record_spec(record_vectors, record_columns, n_vec, m_total):
    if record_vectors is None and record_columns is None:
        return None
    if record_vectors is None or record_columns is None:
        raise ValueError("record_vectors and record_columns must be given together")
    vecs = rules.integer_array(record_vectors, "record_vectors", 0, n_vec - 1, ndim=1)
    cols = rules.integer_array(record_columns, "record_columns", 0, m_total - 1, ndim=1)
    for name, values in (("record_vectors", vecs), ("record_columns", cols)):
        unique, counts = np.unique(values, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f"{name}: index {int(unique[counts > 1][0])} is given more than once")
    return {"vectors": vecs, "columns": cols}


def _tile_record(record, tile, offset, n):
    local = {int(v) - offset for v in record["vectors"] if offset <= v < offset + n}
    cols = [int(c) - tile.m0 for c in record["columns"] if tile.m0 <= c < tile.m1]
    if not local or not cols:
        return None
    return {"local": local, "columns_local": cols}
