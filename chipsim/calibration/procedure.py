"""The calibration steps, run against the simulated uncalibrated chip (docs/calibration.md).

Every measurement is a simulated experiment on the kernels of both halves, with the chip's
temporal noise: the CADC steps read a reference voltage, the neuron steps send events and read
the membranes. Nothing reads a hidden parameter of :class:`~.circuits.RawChip`: the searches
only see reads. A chip in the synaptic-input readout (model.md section 13) runs the same steps
but the neuron ones, its experiments on its own kernel: the CADC reads the lines.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from hwdesc import ChipDescription, rules

from .. import fixed_pattern as _fp
from ..chip import kernel_params, synin_kernel_params
from .algorithms import binary_search, linear_prediction, noisy_binary_search
from .circuits import RawChip, n_drivers, require_uncalibrated, target_knobs
from .result import CalibrationResult, description_hash
from .target import CAPMEM_MAX, HagenCalibTarget, HagenSyninCalibTarget, Target

#: Conversions per channel averaged by one CADC measurement (two per simulated vector).
CADC_READS = 16
#: The OTA bias measurement of the reference: events per run, their spacing, runs averaged.
GM_EVENTS = 15
GM_SPACING = 1e-6
GM_RUNS = 5
#: Weight and activation of each of those events.
GM_WEIGHT = 63
GM_ACTIVATION = 31
#: The synaptic time constant measurement: rows sending one event each at the same time
#: (weight 63, activation 31, through one path), runs averaged, and the part of the decay fitted
#: (from the end of the pulses, in units of the target time constant).
TAU_ROWS = 6
TAU_RUNS = 4
TAU_FIT = (0.25, 2.5)
#: The CADC range of the synapse driver steps (CapMem codes), narrower than the default target
#: for a finer step: 150..340 read as the target's read range, as the reference does.
NARROW_RANGE = (150, 340)
#: The synapse DAC bias set (and calibrated per quadrant) for the synapse driver steps.
DRIVER_DAC_BIAS = 800
#: The synapse DAC bias measurement (the reference's, on the synaptic input lines): rows
#: sending one event each at the same time (weight :data:`DAC_WEIGHT`, activation 31,
#: excitatory), the drop of every excitatory line at the end of the pulses, averaged over
#: :data:`GM_RUNS` runs; the median per quadrant.
DAC_ROWS = 16
DAC_WEIGHT = 31
#: The same measurement in the synaptic-input readout, as the reference makes it: the CADC reads
#: every line before and after :data:`SYNIN_DAC_ROWS` rows (weight :data:`DAC_WEIGHT`,
#: activation 31) fire at once into it (the excitatory lines from rows of positive weight, the
#: inhibitory ones from as many other rows of negative weight), :data:`SYNIN_DAC_RUNS` runs (the
#: ramp noise and the bias noise common to a quadrant, about 0.9 % of a drop per run, average to
#: 0.15 %).
SYNIN_DAC_ROWS = 64
SYNIN_DAC_RUNS = 40
#: A quadrant whose synapse DAC bias ends at 1022 counts as calibrated when its line drop is
#: within this fraction of the target: the measurement's noise and the residual of the drivers
#: of the measurement's rows, which differ between the halves (0.3 % std on bss2).
DAC_TOLERANCE = 0.01
#: The synapse driver measurement (reference: synapse_driver.py): each driver sends
#: :data:`DRIVER_SENDS` events (weight 63) to its own columns, the sends :data:`DRIVER_SEND_SPACING`
#: apart, the drivers of a vector :data:`DRIVER_EVENT_SPACING` apart (4 FPGA cycles); the median
#: output over a driver's columns, averaged over :data:`DRIVER_RUNS` runs.
DRIVER_SENDS = 3
DRIVER_SEND_SPACING = 1e-6
#: In the synaptic-input readout a driver's event drops a line by about 1.5 CADC LSB (weight 63,
#: activation 31; model.md section 13), so each driver sends :data:`SYNIN_DRIVER_SENDS` events
#: on both of its rows, :data:`SYNIN_DRIVER_SEND_SPACING` apart (the lines keep their charge:
#: no decay to wait for), and the CADC reads the excitatory lines' drops.
SYNIN_DRIVER_SENDS = 32
SYNIN_DRIVER_SEND_SPACING = 0.5e-6
DRIVER_EVENT_SPACING = 32e-9
DRIVER_RUNS = 5
#: Drivers measured at once (on disjoint columns) while the ramp is searched, and in the final
#: offset search (the reference: 8 and 1).
DRIVER_PARALLEL_RAMP = 8
DRIVER_PARALLEL_OFFSET = 2
#: Runs of the final offset search: twice the reference's five, with two drivers at a time
#: instead of one, the same number of vectors; it halves the variance of the CADC ramp noise
#: common to a quadrant, which no median over columns removes.
DRIVER_RUNS_OFFSET = 10
#: The activations of the driver steps: the ramp is searched at a low one, the offsets at a high
#: one; 90 % of the largest pulse at the largest activation is the target (the reference's).
RAMP_ACTIVATION = 2
OFFSET_ACTIVATION = 29
RANGE_LIMIT = 0.9
#: The leak and reset steps: vectors without events (two reads each), the leak's time constant
#: while the leak is on (at least 2.5 times the longest synaptic time constant), the time
#: constants it settles for before the read, and the read right after a reset.
REST_VECTORS = 8
#: Vectors of the membrane time constant measurement, each reading the membrane at rest and on
#: its rise after a reset (as many conversions of each as a rest read has).
LEAK_VECTORS = 16
LEAK_TAU = 1e-6
LEAK_SETTLE = 8
RESET_READ = 0.1e-6
#: The membrane time constant step (the reference's MembraneTimeConstCalibCADC): the reset is
#: set :data:`TAU_MEM_AMPLITUDE` CADC LSB below each neuron's leak read, and the leak bias is
#: searched so that :attr:`~.target.HagenCalibTarget.tau_mem` after a reset the membrane has
#: risen to 1 - 1/e of the way from its reset to its rest (:data:`LEAK_VECTORS` vectors); a
#: neuron whose reset would read below the CADC's lower target read is reset there, and more
#: than :data:`TAU_MEM_LOW_FRACTION` of them stop the calibration.
TAU_MEM_AMPLITUDE = 50
TAU_MEM_LOW_FRACTION = 0.05
#: The leak bias step for a noise target (the reference's LeakBiasCalib): reads of each
#: membrane, each :data:`NOISE_WAIT` after a reset (two per vector, their resets
#: :data:`NOISE_GAP` apart), whose standard deviation is the noise.
NOISE_READS = 60
NOISE_WAIT = 30e-6
NOISE_GAP = 60e-6
#: Its "floating" penalties (the reference's): a mean read more than the first (second) of
#: :data:`NOISE_DRIFT` CADC LSB from the target leak read, or from the read at rest, adds the
#: first (second) of :data:`NOISE_PENALTY` to the noise; a neuron whose noise at its code ends
#: above the target plus :data:`NOISE_MARGIN` (the reference's masking threshold) failed.
NOISE_DRIFT = (15.0, 30.0)
NOISE_PENALTY = (1.0, 10.0)
NOISE_MARGIN = 0.8
#: Passes over the neuron steps (time constants, then OTA biases): the second corrects the
#: time constants for the g_m the first OTA bias step set.
NEURON_PASSES = 2
#: Bytes of recorded line waveforms one kernel call may hold (longer windows: fewer runs a call).
TAU_RECORD_BYTES = 64 << 20
#: The order of the steps, as they appear in progress messages and summaries.
STEPS = (
    "driver_ramp",
    "driver_offset",
    "cadc_ramp_offset",
    "cadc_ramp_slope",
    "cadc_channel_offset",
    "synapse_dac_bias",
    "tau_syn_exc",
    "tau_syn_inh",
    "tau_mem",
    "i_synin_gm_exc",
    "i_synin_gm_inh",
    "v_leak",
    "v_reset",
)
#: The steps as the progress callback names them, in the order they run: the CADC to the
#: narrow range, the synapse DAC bias for the driver steps, the drivers, then the result's
#: quantities.
PROGRESS = ("cadc_narrow", "synapse_dac_bias_narrow", *STEPS)
#: The steps of a target with a ``target_noise`` (the reference's LeakBiasCalib after the
#: levels, then the levels again, read with the leak at the bias it set), and their progress
#: names (the levels' second time with the suffix "_again").
NOISE_STEPS = (*STEPS[:-2], "target_noise", *STEPS[-2:])
NOISE_PROGRESS = (*PROGRESS, "target_noise", "v_leak_again", "v_reset_again")
#: The steps of a chip in the synaptic-input readout, in the order they run: the CADC to the
#: target range, the synapse DAC bias for the driver steps, the drivers, the synapse DAC bias
#: with the drivers calibrated (no neuron steps: the lines are read directly).
SYNIN_STEPS = (
    "cadc_ramp_offset",
    "cadc_ramp_slope",
    "cadc_channel_offset",
    "driver_ramp",
    "driver_offset",
    "synapse_dac_bias",
)
SYNIN_PROGRESS = (
    "cadc_ramp_offset",
    "cadc_ramp_slope",
    "cadc_channel_offset",
    "synapse_dac_bias_narrow",
    "driver_ramp",
    "driver_offset",
    "synapse_dac_bias",
)


def synin(desc: ChipDescription) -> bool:
    """Whether ``desc`` reads the synaptic input lines (model.md section 13)."""
    return desc.geometry.readout == "synaptic_input"


def default_target(desc: ChipDescription) -> Target:
    """The reference's default target of ``desc``'s readout: :class:`HagenSyninCalibTarget` for
    the synaptic input lines, :class:`HagenCalibTarget` for the membranes."""
    return HagenSyninCalibTarget() if synin(desc) else HagenCalibTarget()


def check_target(desc: ChipDescription, target: Target) -> None:
    """``TypeError`` if ``target`` is not of the kind ``desc``'s readout calibrates."""
    kind = type(default_target(desc))
    if not isinstance(target, kind):
        reads = "the synaptic input lines" if synin(desc) else "the membranes"
        raise TypeError(
            f"target: chip '{desc.identity.name}' reads {reads}, which a {kind.__name__} "
            f"calibrates, not a {type(target).__name__}; give a {kind.__name__} (or no target "
            "for the reference's defaults)"
        )


class Bench:
    """The uncalibrated chip ``seed`` on the bench: its circuits at given codes, and the
    experiments that read it. Every experiment draws fresh temporal noise (its own stream); the
    sequence of experiments, and so every read, is a function of the chip seed alone."""

    def __init__(
        self, desc: ChipDescription, target: HagenCalibTarget | HagenSyninCalibTarget, seed: int
    ) -> None:
        self.desc = desc
        self.synin = synin(desc)
        self.raw = RawChip.draw(desc, seed)
        self.knobs = target_knobs(desc, target)
        self.base = _fp.draw(desc, self.knobs, seed)
        self.noise_seed = int(zlib.crc32(f"calibration:{seed}".encode()))
        self.experiments = 0

    def _stream(self) -> int:
        self.experiments += 1
        return self.experiments * self.desc.geometry.halves

    def _params(self, h, pattern, weights, stream, knobs=None, v_rest=None, tau_leak=None):
        """The kernel half of half ``h`` for one experiment: ``pattern`` with ``weights``, all
        noise on, keyed by the experiment's ``stream``; ``v_rest`` (V): the lines of a
        synaptic-input chip held at that voltage; ``tau_leak`` (s, one number or one per
        column): the membranes' leak on at that time constant (None: the pseudo-leak)."""
        if v_rest is not None:
            build = partial(synin_kernel_params, v_rest=v_rest)
        else:
            build = partial(kernel_params, tau_leak=tau_leak)
        return build(
            self.desc,
            self.knobs if knobs is None else knobs,
            pattern,
            weights,
            noise=True,
            noise_seed=self.noise_seed,
            stream=stream + h,
        )

    def _run(self, h, params, ev, n, *, t_read, t_baseline, t_gap):
        import kernels

        ev_ptr, ev_row, ev_act, ev_time = ev
        run = kernels.run_synin if isinstance(params, kernels.SyninParams) else kernels.run_half
        return run(
            params,
            ev_ptr,
            ev_row,
            ev_act,
            ev_time,
            t_read=t_read,
            t_baseline=t_baseline,
            t_gap=t_gap,
            sample_index=np.arange(n, dtype=np.int64),
        )

    def read_reference(self, code: int, codes: dict[str, np.ndarray], reads: int = CADC_READS):
        """(H, M) mean CADC read of every channel holding the reference voltage of CapMem code
        ``code`` (the membrane tied to it: OTAs off, no offset current, rails out of the way;
        in the synaptic-input readout the line held at it, no leakage current), with the CADC
        at ``codes``. ``reads`` conversions, two per simulated vector."""
        v_ref = self.raw.reference_voltage(code)
        lsb, offset = self.raw.adc(
            codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
        )
        m = self.desc.geometry.columns
        n = max(1, reads // 2)
        stream = self._stream()
        out = np.empty((self.desc.geometry.halves, m))
        zeros = np.zeros(m)
        empty = (
            np.zeros(n + 1, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.float64),
        )
        outputs = self.desc.tile_shape[1]
        for h, pat in enumerate(self.base):
            v = float(v_ref[h])
            if self.synin:
                line = replace(pat, i_offset=zeros, adc_lsb=lsb[h], adc_offset=offset[h])
                weights = np.zeros((1, outputs), dtype=np.int32)
                params = self._params(h, line, weights, stream, v_rest=v)
                res = self._run(h, params, empty, n, t_read=1e-6, t_baseline=1e-6, t_gap=2e-6)
                both = np.concatenate([res.code_baseline, res.code_read]).astype(np.float64)
                out[h] = both.mean(axis=0)
                continue
            held = replace(
                pat,
                gm=zeros,
                gm_inh=zeros,
                i_offset=zeros,
                v_leak=np.full(m, v),
                v_rail_hi=np.full(m, v + 1.0),
                v_rail_lo=np.full(m, v - 1.0),
                adc_lsb=lsb[h],
                adc_offset=offset[h],
            )
            knobs = self.knobs.model_copy(update={"v_reset": v})
            params = self._params(h, held, np.zeros((1, m), dtype=np.int32), stream, knobs)
            res = self._run(h, params, empty, n, t_read=1e-6, t_baseline=1e-6, t_gap=2e-6)
            both = np.concatenate([res.code_baseline, res.code_read]).astype(np.float64)
            out[h] = both.mean(axis=0)
        return out

    def amplitudes(
        self, codes: dict[str, np.ndarray], path: int, events: int = GM_EVENTS
    ) -> np.ndarray:
        """(H, M) mean amplitude (CADC LSB; positive for both paths) of every neuron for
        ``events`` events (rows spread over the half) :data:`GM_SPACING` apart through path
        ``path`` (0 excitatory, 1 inhibitory), averaged over :data:`GM_RUNS` runs, with the chip
        at ``codes``. The leak is on at the time constants of the leak bias codes
        (``codes["i_bias_leak"]``, :meth:`RawChip.tau_mem`) and the membranes start at rest (at
        their leak levels), as in the reference, which reads a resting membrane before and
        after the events."""
        desc = self.desc
        k, m = desc.tile_shape
        rows = np.linspace(0, k - 1, events).round().astype(np.int64)
        weights = np.zeros((k, m), dtype=np.int32)
        weights[rows] = GM_WEIGHT if path == 0 else -GM_WEIGHT
        latency = desc.io.link_latency + desc.io.driver_latency
        t_baseline, t_gap, pre, post = _windows(desc)
        times = pre + latency + GM_SPACING * np.arange(events)
        t_read = pre + GM_SPACING * (events - 1) + post
        n = GM_RUNS
        ev = (
            np.arange(n + 1, dtype=np.int64) * events,
            np.tile(rows, n),
            np.full(n * events, GM_ACTIVATION, dtype=np.int64),
            np.tile(times, n),
        )
        patterns = self.raw.patterns(
            self.base, codes, self.knobs.i_max, self.knobs.v_reset, reset_at_leak=True
        )
        tau_mem = self.raw.tau_mem(codes["i_bias_leak"])
        stream = self._stream()
        out = np.empty((desc.geometry.halves, m))
        for h, pat in enumerate(patterns):
            params = self._params(h, pat, weights, stream, tau_leak=tau_mem[h])
            res = self._run(h, params, ev, n, t_read=t_read, t_baseline=t_baseline, t_gap=t_gap)
            sign = 1.0 if path == 0 else -1.0
            out[h] = sign * res.output.astype(np.float64).mean(axis=0)
        return out

    def time_constants(self, codes: dict[str, np.ndarray], path: int, tau: float) -> np.ndarray:
        """(H, M) synaptic time constant (s) of path ``path`` (0 excitatory, 1 inhibitory) of
        every neuron, with the chip at ``codes``: :data:`TAU_ROWS` rows send one event each at
        the same time (weight 63, activation 31), the line's voltage is recorded as the membrane
        ADC records a synaptic input through the readout multiplexer (every step, with the
        line's noise), averaged over :data:`TAU_RUNS` runs, and the decay after the pulses is
        fitted with an exponential (least squares on its logarithm, weighted by the squared
        voltage) over :data:`TAU_FIT` times ``tau``, the target time constant. A decay the fit
        cannot see (no positive voltage, or not falling) reads as 1 s."""
        import kernels

        desc = self.desc
        k, m = desc.tile_shape
        rows = np.linspace(0, k - 1, TAU_ROWS).round().astype(np.int64)
        weights = np.zeros((k, m), dtype=np.int32)
        weights[rows] = GM_WEIGHT if path == 0 else -GM_WEIGHT
        t_baseline, t_gap, pre, _ = _windows(desc)
        start = (
            pre
            + desc.io.link_latency
            + desc.io.driver_latency
            + GM_ACTIVATION * desc.analog.pulse.t_lsb
        )
        t_fit = (start + TAU_FIT[0] * tau, start + TAU_FIT[1] * tau)
        t_read = t_fit[1] + 2 * desc.analog.dt
        steps = int(np.ceil(t_read / desc.analog.dt)) + 2
        per_call = int(max(1, min(TAU_RUNS, TAU_RECORD_BYTES // (steps * m * 3 * 8))))
        patterns = self.raw.patterns(self.base, codes, self.knobs.i_max, self.knobs.v_reset)
        stream = self._stream()
        out = np.empty((desc.geometry.halves, m))
        for h, pat in enumerate(patterns):
            params = self._params(h, pat, weights, stream)
            total = None
            time = None
            for first in range(0, TAU_RUNS, per_call):
                n = min(per_call, TAU_RUNS - first)
                ev = (
                    np.arange(n + 1, dtype=np.int64) * TAU_ROWS,
                    np.tile(rows, n),
                    np.full(n * TAU_ROWS, GM_ACTIVATION, dtype=np.int64),
                    np.full(n * TAU_ROWS, pre),
                )
                res = kernels.run_half(
                    params,
                    *ev,
                    t_read=t_read,
                    t_baseline=t_baseline,
                    t_gap=t_gap,
                    sample_index=np.arange(first, first + n, dtype=np.int64),
                    record_samples=np.arange(n),
                    record_columns=np.arange(m),
                )
                assert res.traces is not None
                lines = res.traces.v_exc if path == 0 else res.traces.v_inh  # (n, M, T)
                part = lines.sum(axis=0)
                total = part if total is None else total + part
                time = res.traces.time
            assert total is not None and time is not None
            out[h] = _decay_time(time, total / TAU_RUNS, t_fit)
        return out

    def line_drops(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        """(H, M) voltage (V) of every excitatory synaptic input line at the end of the pulses
        of :data:`DAC_ROWS` rows (spread over the half) sending one event each at the same time
        (weight :data:`DAC_WEIGHT`, activation 31), as the membrane ADC records a synaptic input through the
        readout multiplexer (with the line's noise), averaged over :data:`GM_RUNS` runs. In the
        synaptic-input readout: :meth:`line_reads`."""
        import kernels

        if self.synin:
            return self.line_reads(codes)
        desc = self.desc
        k, m = desc.tile_shape
        rows = np.linspace(0, k - 1, DAC_ROWS).round().astype(np.int64)
        weights = np.zeros((k, m), dtype=np.int32)
        weights[rows] = DAC_WEIGHT
        t_baseline, t_gap, pre, _ = _windows(desc)
        window = self.raw.driver_window
        t_end = pre + desc.io.link_latency + desc.io.driver_latency + window
        t_read = t_end + 2 * desc.analog.dt
        n = GM_RUNS
        ev = _together(rows, n, pre)
        patterns = self.raw.patterns(
            self.base, codes, self.knobs.i_max, self.knobs.v_reset, activation=GM_ACTIVATION
        )
        stream = self._stream()
        out = np.empty((desc.geometry.halves, m))
        for h, pat in enumerate(patterns):
            params = self._params(h, pat, weights, stream)
            res = kernels.run_half(
                params,
                *ev,
                t_read=t_read,
                t_baseline=t_baseline,
                t_gap=t_gap,
                sample_index=np.arange(n, dtype=np.int64),
                record_samples=np.arange(n),
                record_columns=np.arange(m),
            )
            assert res.traces is not None
            at = int(np.argmin(np.abs(res.traces.time - t_end)))
            out[h] = res.traces.v_exc[:, :, at].mean(axis=0)
        return out

    def line_reads(self, codes: dict[str, np.ndarray]) -> np.ndarray:
        """(H, L) drop (CADC LSB) of every synaptic input line of a synaptic-input chip with
        the chip at ``codes``, read by the CADC: the baseline read minus the read after
        :data:`SYNIN_DAC_ROWS` rows fired at once into it (weight :data:`DAC_WEIGHT`,
        activation 31; rows spread over the half, alternately of positive and negative weight:
        every excitatory and every inhibitory line), averaged over :data:`SYNIN_DAC_RUNS`
        runs."""
        desc = self.desc
        k, outputs = desc.tile_shape
        rows = np.linspace(0, k - 1, 2 * SYNIN_DAC_ROWS).round().astype(np.int64)
        weights = np.zeros((k, outputs), dtype=np.int32)
        weights[rows[0::2]] = DAC_WEIGHT
        weights[rows[1::2]] = -DAC_WEIGHT
        t_baseline, t_gap, pre, _ = _windows(desc)
        t_end = pre + desc.io.link_latency + desc.io.driver_latency + self.raw.driver_window
        n = SYNIN_DAC_RUNS
        ev = _together(rows, n, pre)
        patterns = self.raw.patterns(
            self.base, codes, self.knobs.i_max, self.knobs.v_reset, activation=GM_ACTIVATION
        )
        stream = self._stream()
        out = np.empty((desc.geometry.halves, desc.geometry.columns))
        for h, pat in enumerate(patterns):
            params = self._params(h, pat, weights, stream)
            res = self._run(
                h,
                params,
                ev,
                n,
                t_read=t_end + 2 * desc.analog.dt,
                t_baseline=t_baseline,
                t_gap=t_gap,
            )
            drop = res.code_baseline.astype(np.float64) - res.code_read.astype(np.float64)
            out[h] = drop.mean(axis=0)
        return out

    def _quiet(self, codes: dict[str, np.ndarray], n: int, window: Callable) -> list:
        """Run ``n`` vectors without events on every half with the chip at ``codes`` (one
        experiment: one random stream), all noise on; ``window(h, pattern)`` gives the half's
        ``(pattern, tau_leak, t_read, t_baseline, t_gap)``. Returns each half's
        :class:`kernels.HalfResult`."""
        import kernels

        m = self.desc.tile_shape[1]
        patterns = self.raw.patterns(self.base, codes, self.knobs.i_max, self.knobs.v_reset)
        stream = self._stream()
        weights = np.zeros((1, m), dtype=np.int32)
        out = []
        for h, pat in enumerate(patterns):
            pattern, tau, t_read, t_baseline, t_gap = window(h, pat)
            params = self._params(h, pattern, weights, stream, tau_leak=tau)
            out.append(
                kernels.run_half(
                    params,
                    *_no_events(n),
                    t_read=t_read,
                    t_baseline=t_baseline,
                    t_gap=t_gap,
                    sample_index=np.arange(n, dtype=np.int64),
                )
            )
        return out

    def rest_reads(
        self, codes: dict[str, np.ndarray], leak: bool, tau_leak: np.ndarray | None = None
    ) -> np.ndarray:
        """(H, M) mean CADC read of every membrane with no events, with the chip at ``codes``:
        with ``leak`` the leak on (time constant :data:`LEAK_TAU`, or 2.5 times the longest
        synaptic time constant if that is longer) and the read :data:`LEAK_SETTLE` time
        constants after the reset, where the membrane rests at its leak level; without, the
        pseudo-leak of the description and the read :data:`RESET_READ` after the reset, where
        the membrane holds its reset level. With ``leak`` and ``tau_leak`` ((H, M), s) the leak
        is on at those time constants instead and the read :data:`LEAK_SETTLE` times the longest
        of them after the reset. Both conversions of :data:`REST_VECTORS` vectors are
        averaged."""

        def window(h, pat):
            tau: float | np.ndarray | None = None
            t_window = RESET_READ
            if leak and tau_leak is not None:
                tau = np.asarray(tau_leak[h], dtype=np.float64)
                t_window = LEAK_SETTLE * float(tau.max())
            elif leak:
                tau = max(LEAK_TAU, 2.5 * float(max(pat.tau_syn.max(), pat.tau_syn_inh.max())))
                t_window = LEAK_SETTLE * tau
            return pat, tau, t_window, t_window, t_window

        runs = self._quiet(codes, REST_VECTORS, window)
        return np.stack(
            [
                np.concatenate([res.code_baseline, res.code_read]).astype(np.float64).mean(axis=0)
                for res in runs
            ]
        )

    def leak_reads(self, codes: dict[str, np.ndarray], t: float) -> tuple[np.ndarray, np.ndarray]:
        """((H, M), (H, M)): the mean CADC read of every membrane at rest and ``t`` (s) after
        its reset, with the leak on at the time constants of the leak bias codes
        (``codes["i_bias_leak"]``, :meth:`RawChip.tau_mem`) and the synaptic inputs off (OTA
        biases 0, as in the reference's membrane time constant step), no events: after a reset
        the membrane rises from its reset level toward its resting level, which the leak level
        and the leakage current set. Each of :data:`LEAK_VECTORS` vectors reads both: the
        baseline window at rest (:data:`LEAK_SETTLE` times the longest of the time constants
        after its reset), the read window at ``t``."""
        tau_mem = self.raw.tau_mem(codes["i_bias_leak"])
        off = np.zeros(self.desc.tile_shape[1])

        def window(h, pat):
            t_rest = max(LEAK_SETTLE * float(tau_mem[h].max()), float(t))
            return replace(pat, gm=off, gm_inh=off), tau_mem[h], t, t_rest, t_rest

        runs = self._quiet(codes, LEAK_VECTORS, window)
        rest = np.stack([res.code_baseline.astype(np.float64).mean(axis=0) for res in runs])
        rise = np.stack([res.code_read.astype(np.float64).mean(axis=0) for res in runs])
        return rest, rise

    def noise_reads(self, codes: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """((H, M), (H, M)): the standard deviation and the mean of :data:`NOISE_READS` CADC
        reads of every membrane, each :data:`NOISE_WAIT` after its reset, with the leak on at the
        time constants of the leak bias codes (``codes["i_bias_leak"]``,
        :meth:`RawChip.tau_mem`), the synaptic inputs on and no events (the reference's
        LeakBiasCalib: reset, wait 30 us, read, 60 times): two reads a vector, both windows of
        length :data:`NOISE_WAIT` and their resets :data:`NOISE_GAP` apart. The deviation of
        the reads is the membrane's temporal noise over the wait (larger with a weaker leak)
        with the CADC's; their mean tells a membrane that drifts off within the wait."""
        tau_mem = self.raw.tau_mem(codes["i_bias_leak"])

        def window(h, pat):
            return pat, tau_mem[h], NOISE_WAIT, NOISE_WAIT, NOISE_GAP

        runs = self._quiet(codes, NOISE_READS // 2, window)
        both = [np.concatenate([r.code_baseline, r.code_read]).astype(np.float64) for r in runs]
        return np.stack([b.std(axis=0) for b in both]), np.stack([b.mean(axis=0) for b in both])

    def driver_amplitudes(
        self,
        codes: dict[str, np.ndarray],
        activation: int,
        parallel: int,
        runs: int = DRIVER_RUNS,
    ) -> np.ndarray:
        """(H, K) amplitude (CADC LSB) of every synapse driver at ``activation``, with the chip
        at ``codes``: ``parallel`` drivers at a time, each on its own columns (driver ``r`` on
        the columns ``c`` with ``c % parallel == r % parallel``, spread over the half), send
        :data:`DRIVER_SENDS` events each (weight 63, excitatory row); a driver's amplitude is
        the median output of its columns, averaged over ``runs`` runs. Every pulse is the
        driver's length at ``activation``, limited to its window (the reference's measurement,
        on the membranes instead of the synaptic input lines). In the synaptic-input readout
        every driver sends :data:`SYNIN_DRIVER_SENDS` events on both its rows and the output is
        the drop of the excitatory line (CADC LSB)."""
        desc = self.desc
        rows_k, m = desc.tile_shape
        k = n_drivers(desc)
        if k % parallel or m % parallel:
            raise ValueError(f"parallel: {parallel} must divide {k} drivers and {m} columns")
        per_driver = rows_k // k  # tile rows a driver feeds: one signed input, or two inputs
        group = np.arange(rows_k) // per_driver % parallel
        weights = np.zeros((rows_k, m), dtype=np.int32)
        columns = np.arange(m) % parallel
        weights[:] = np.where(columns[None, :] == group[:, None], GM_WEIGHT, 0)
        per_run = k // parallel
        latency = desc.io.link_latency + desc.io.driver_latency
        t_baseline, t_gap, pre, post = _windows(desc)
        j = np.arange(parallel)
        sends = SYNIN_DRIVER_SENDS if self.synin else DRIVER_SENDS
        spacing = SYNIN_DRIVER_SEND_SPACING if self.synin else DRIVER_SEND_SPACING
        send = np.arange(sends)
        # one vector: every send of its drivers, send by send, on every row of the driver
        times = (
            pre + latency + send[:, None] * spacing + j[None, :] * DRIVER_EVENT_SPACING
        ).reshape(-1)
        times = times.repeat(per_driver)
        t_read = float(times.max()) - latency + post
        n = runs * per_run
        first = (np.arange(n) % per_run) * parallel  # the first driver of each vector
        drivers = (first[:, None, None] + j[None, None, :]).repeat(sends, axis=1)
        rows = drivers[..., None] * per_driver + np.arange(per_driver)
        per_vector = sends * parallel * per_driver
        ev = (
            np.arange(n + 1, dtype=np.int64) * per_vector,
            rows.reshape(-1).astype(np.int64),
            np.full(n * per_vector, activation, dtype=np.int64),
            np.tile(times, n),
        )
        patterns = self.raw.patterns(
            self.base, codes, self.knobs.i_max, self.knobs.v_reset, activation=activation
        )
        stream = self._stream()
        out = np.empty((desc.geometry.halves, k))
        for h, pat in enumerate(patterns):
            params = self._params(h, pat, weights, stream)
            res = self._run(h, params, ev, n, t_read=t_read, t_baseline=t_baseline, t_gap=t_gap)
            if self.synin:  # the drop of each output's excitatory line
                drop = res.code_baseline[:, 0::2].astype(np.float64) - res.code_read[:, 0::2]
                output = drop.reshape(runs, per_run, m)
            else:
                output = res.output.astype(np.float64).reshape(runs, per_run, m)
            # (runs, per_run, parallel): the median over the columns of each driver's group
            med = np.stack(
                [np.median(output[:, :, columns == g], axis=2) for g in range(parallel)],
                axis=2,
            )
            out[h] = med.reshape(runs, k).mean(axis=0)
        return out


def _no_events(n: int):
    """The events (CSR) of ``n`` vectors without events."""
    return (
        np.zeros(n + 1, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.float64),
    )


def _together(rows: np.ndarray, runs: int, time: float):
    """The events (CSR: pointers, rows, activations, times) of ``runs`` vectors in each of which
    every row of ``rows`` sends one event of activation 31 at ``time`` (s)."""
    per = rows.size
    return (
        np.arange(runs + 1, dtype=np.int64) * per,
        np.tile(rows, runs),
        np.full(runs * per, GM_ACTIVATION, dtype=np.int64),
        np.full(runs * per, time),
    )


def _decay_time(time: np.ndarray, lines: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """(M,) the time constant of an exponential decay fitted to each row of ``lines`` (M, T)
    at ``time`` (T,) within ``window``: least squares on the logarithm of the positive samples,
    weighted by the squared voltage (the noise is the same at every sample, so a sample's
    logarithm is as uncertain as the inverse of its voltage). 1 s (at most) where there is
    nothing to fit or the voltage does not fall."""
    inside = (time >= window[0]) & (time <= window[1])
    t = time[inside]
    v = lines[:, inside]
    ok = np.isfinite(v) & (v > 0)
    w = np.where(ok, v, 0.0) ** 2
    logv = np.log(np.where(ok, v, 1.0))
    sw = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mt = (w * t).sum(axis=1) / sw
        ml = (w * logv).sum(axis=1) / sw
        cov = (w * (t - mt[:, None]) * (logv - ml[:, None])).sum(axis=1)
        var = (w * (t - mt[:, None]) ** 2).sum(axis=1)
        slope = cov / var
        tau = np.where((ok.sum(axis=1) >= 3) & (slope < 0), -1.0 / slope, 1.0)
    return np.where(np.isfinite(tau), np.minimum(tau, 1.0), 1.0)


def _windows(desc: ChipDescription) -> tuple[float, float, float, float]:
    """The description's program around the events (s): the baseline read after its reset,
    the baseline reset to the integration reset, that reset to the events, the events to the
    read."""
    phases = desc.schedule.phases
    ev = desc.schedule.events_index
    kinds = [p.kind for p in phases]
    reset = max(i for i in range(ev) if kinds[i] == "reset")
    base_read = max(i for i in range(reset) if kinds[i] == "adc_read")
    base_reset = max((i for i in range(base_read) if kinds[i] == "reset"), default=0)
    read = next(i for i in range(ev + 1, len(phases)) if kinds[i] == "adc_read")

    def span(i: int, j: int) -> float:
        return float(sum(p.duration or 0.0 for p in phases[i:j]))

    return span(base_reset, base_read), span(base_reset, reset), span(reset, ev), span(ev + 1, read)


@dataclass
class Step:
    """One finished step: its quantity, codes, measured residuals before and after, success."""

    name: str
    codes: np.ndarray
    before: np.ndarray
    residuals: np.ndarray
    success: np.ndarray
    unit: str


Progress = Callable[[str, int, int], None]


def run(
    desc: ChipDescription,
    target: Target,
    seed: int,
    progress: Progress | None = None,
) -> tuple[CalibrationResult, list[Step]]:
    """Calibrate chip ``seed`` of ``desc`` for ``target``, in the reference's order: the CADC to
    the narrow range :data:`NARROW_RANGE`; the synapse DAC bias per quadrant at
    :data:`DRIVER_DAC_BIAS`; the synapse drivers (ramp per block, DAC offset per driver); the
    CADC to the target range (ramp offset and slope per quadrant, channel offsets); the synapse
    DAC bias per quadrant at the target's; per neuron the excitatory and inhibitory synaptic
    time constant, the membrane time constant (leak bias), the OTA biases with that leak on,
    the time constants and OTA biases again, the leak and reset levels (docs/calibration.md);
    the leak is then off, as in the reference's integration mode. A chip in the synaptic-input
    readout (a :class:`HagenSyninCalibTarget`): the CADC to the target's range, the synapse DAC
    bias at the target's, the drivers, the synapse DAC bias again (:data:`SYNIN_STEPS`).
    ``progress(step, index, total)`` is called before each step (names: :data:`PROGRESS`,
    :data:`SYNIN_PROGRESS`)."""
    check_target(desc, target)
    assert isinstance(target, (HagenCalibTarget, HagenSyninCalibTarget))
    bench = Bench(desc, target, seed)
    raw = bench.raw
    codes = raw.nominal_codes(target)
    steps: dict[str, Step] = {}
    names: tuple[str, ...] = SYNIN_PROGRESS if bench.synin else PROGRESS
    if getattr(target, "target_noise", None) is not None:
        names = NOISE_PROGRESS

    def tell(name: str) -> None:
        if progress is not None:
            progress(name, names.index(name), len(names))

    if isinstance(target, HagenSyninCalibTarget):
        return _result(desc, target, seed, _run_synin(bench, codes, target, tell), SYNIN_STEPS)
    assert isinstance(target, HagenCalibTarget)  # check_target
    # ---- the synapse drivers, on the CADC calibrated to the narrow range ---------------------
    tell("cadc_narrow")
    _cadc(bench, codes, NARROW_RANGE, target.read_range)
    tell("synapse_dac_bias_narrow")
    codes["synapse_dac_bias"] = np.full_like(codes["synapse_dac_bias"], DRIVER_DAC_BIAS)
    _synapse_dac_bias(bench, codes, DRIVER_DAC_BIAS)
    for step in _drivers(bench, codes, tell):
        steps[step.name] = step
    # ---- the CADC to the target range -------------------------------------------------------
    tell("cadc_ramp_offset")
    for step in _cadc(bench, codes, target.dynamic_range, target.read_range, tell):
        steps[step.name] = step
    # ---- the neurons ------------------------------------------------------------------------
    tell("synapse_dac_bias")
    codes["synapse_dac_bias"] = np.full_like(codes["synapse_dac_bias"], target.synapse_dac_bias)
    steps["synapse_dac_bias"] = _synapse_dac_bias(bench, codes, target.synapse_dac_bias)
    for step in _synaptic_inputs(bench, codes, target, tell):
        steps[step.name] = step
    # the reference's integration mode then switches the leak off (neuron_disable_leakage): a
    # calibrated chip runs with the pseudo-leak; the levels are set for that
    for step in _levels(bench, codes, target, tell):
        steps[step.name] = step
    if target.target_noise is not None:
        # the reference's LeakBiasCalib, then the leak and reset levels again, the leak read at
        # the bias it set (the synaptic input references it recalibrates too are not cells of
        # the simulated chip: its offset currents are fixed pattern)
        tell("target_noise")
        steps["target_noise"] = _leak_bias_noise(bench, codes, target)
        tau_leak = raw.tau_mem(codes["i_bias_leak"])
        again = _levels(
            bench, codes, target, lambda name: tell(f"{name}_again"), tau_leak, seed_offset=12
        )
        for step in again:
            steps[step.name] = step
        return _result(desc, target, seed, steps, NOISE_STEPS)
    return _result(desc, target, seed, steps, STEPS)


def _run_synin(
    bench: Bench,
    codes: dict[str, np.ndarray],
    target: HagenSyninCalibTarget,
    tell: Callable[[str], None],
) -> dict[str, Step]:
    """The steps of a synaptic-input chip (see :func:`run`); sets ``codes``."""
    steps: dict[str, Step] = {}
    tell("cadc_ramp_offset")
    for step in _cadc(bench, codes, target.dynamic_range, target.read_range, tell):
        steps[step.name] = step
    tell("synapse_dac_bias_narrow")
    codes["synapse_dac_bias"] = np.full_like(codes["synapse_dac_bias"], target.synapse_dac_bias)
    _synapse_dac_bias(bench, codes, target.synapse_dac_bias)
    for step in _drivers(bench, codes, tell):
        steps[step.name] = step
    tell("synapse_dac_bias")
    codes["synapse_dac_bias"] = np.full_like(codes["synapse_dac_bias"], target.synapse_dac_bias)
    steps["synapse_dac_bias"] = _synapse_dac_bias(bench, codes, target.synapse_dac_bias)
    return steps


def _result(
    desc: ChipDescription,
    target: Target,
    seed: int,
    steps: dict[str, Step],
    order: tuple[str, ...],
) -> tuple[CalibrationResult, list[Step]]:
    ordered = [steps[name] for name in order]
    result = CalibrationResult(
        target=target,
        chip_seed=seed,
        description_hash=description_hash(desc),
        codes={s.name: s.codes for s in ordered},
        residuals={s.name: s.residuals for s in ordered},
        success={s.name: s.success for s in ordered},
        before={s.name: s.before for s in ordered},
    )
    return result, ordered


def _quadrant_median(raw: RawChip, reads: np.ndarray) -> np.ndarray:
    """(H * Q,) the median of (H, M) ``reads`` over the columns of each quadrant."""
    q = int(raw.quadrant.max()) + 1
    return np.stack(
        [np.median(reads[:, raw.quadrant == j], axis=1) for j in range(q)], axis=1
    ).reshape(-1)


def _cadc(
    bench: Bench,
    codes: dict[str, np.ndarray],
    dynamic_range: tuple[int, int],
    read_range: tuple[int, int],
    tell: Callable[[str], None] | None = None,
) -> list[Step]:
    """The CADC to ``dynamic_range`` read as ``read_range``: ramp offset per quadrant at the
    lower end, ramp slope at the upper end (twice: each moves the other's read a little), then
    the channel offsets toward the median read in the middle, from the codes the nominal
    transfer gives for that range (the "before"). Sets ``codes``; returns the three steps."""
    desc, raw = bench.desc, bench.raw
    codes.update(raw.nominal_cadc_codes(dynamic_range, read_range))
    halves, m = desc.geometry.halves, desc.geometry.columns
    q = codes["cadc_ramp_offset"].shape[1]
    (c_lo, c_hi), (r_lo, r_hi) = dynamic_range, read_range

    def ramp_read(name: str, level: int):
        def measure(c: np.ndarray) -> np.ndarray:
            trial = dict(codes, **{name: c.reshape(halves, q)})
            return _quadrant_median(raw, bench.read_reference(level, trial))

        return measure

    before_lo = ramp_read("cadc_ramp_offset", c_lo)(codes["cadc_ramp_offset"].reshape(-1)) - r_lo
    before_hi = ramp_read("cadc_ramp_slope", c_hi)(codes["cadc_ramp_slope"].reshape(-1)) - r_hi
    offset = slope = None
    for _ in range(2):
        offset = binary_search(
            ramp_read("cadc_ramp_offset", c_lo), r_lo, 0, CAPMEM_MAX, halves * q, inverted=True
        )
        codes["cadc_ramp_offset"] = offset.codes.reshape(halves, q)
        slope = binary_search(
            ramp_read("cadc_ramp_slope", c_hi), r_hi, 0, CAPMEM_MAX, halves * q, inverted=True
        )
        codes["cadc_ramp_slope"] = slope.codes.reshape(halves, q)
    assert offset is not None and slope is not None
    check_lo = ramp_read("cadc_ramp_offset", c_lo)(codes["cadc_ramp_offset"].reshape(-1)) - r_lo
    if tell is not None:
        tell("cadc_ramp_slope")
    check_hi = ramp_read("cadc_ramp_slope", c_hi)(codes["cadc_ramp_slope"].reshape(-1)) - r_hi
    steps = [
        Step(
            "cadc_ramp_offset",
            codes["cadc_ramp_offset"],
            before_lo.reshape(halves, q),
            check_lo.reshape(halves, q),
            offset.success.reshape(halves, q),
            "CADC LSB",
        ),
        Step(
            "cadc_ramp_slope",
            codes["cadc_ramp_slope"],
            before_hi.reshape(halves, q),
            check_hi.reshape(halves, q),
            slope.success.reshape(halves, q),
            "CADC LSB",
        ),
    ]
    if tell is not None:
        tell("cadc_channel_offset")
    middle = (c_lo + c_hi) // 2
    lo_ch, hi_ch = require_range(desc)

    def channel_read(c: np.ndarray) -> np.ndarray:
        trial = dict(codes, cadc_channel_offset=c.reshape(halves, m))
        return bench.read_reference(middle, trial).reshape(-1)

    channels = linear_prediction(channel_read, lo_ch, hi_ch, halves * m, probe=0, slope=1.0)
    codes["cadc_channel_offset"] = channels.codes.reshape(halves, m)
    steps.append(
        Step(
            "cadc_channel_offset",
            codes["cadc_channel_offset"],
            (channels.tried_values[0] - channels.target).reshape(halves, m),
            channels.residuals.reshape(halves, m),
            channels.success.reshape(halves, m),
            "CADC LSB",
        )
    )
    return steps


def _synapse_dac_bias(bench: Bench, codes: dict[str, np.ndarray], level: int) -> Step:
    """The synapse DAC bias of every quadrant, all set to ``level`` in ``codes``, searched so
    that each quadrant's median line drop (:meth:`Bench.line_drops`) meets the weakest
    quadrant's (the reference's target: the minimum of the quadrant medians). The
    weakest quadrant keeps ``level`` (it defines the target); the others are searched over
    0..1022. Sets ``codes``; returns the step (residuals relative to the target)."""
    raw = bench.raw
    shape = codes["synapse_dac_bias"].shape

    def measure(c: np.ndarray) -> np.ndarray:
        trial = dict(codes, synapse_dac_bias=c.reshape(shape))
        return _quadrant_median(raw, bench.line_drops(trial))

    start = codes["synapse_dac_bias"].reshape(-1).copy()
    at_level = measure(start)
    goal = float(at_level.min())
    if goal <= 0:
        raise ValueError(
            f"the weakest quadrant's median line drop at synapse DAC bias {level} is {goal:g} "
            "V: no signal to calibrate to; raise synapse_dac_bias"
        )
    weakest = int(np.argmin(at_level))
    search = binary_search(measure, goal, 0, CAPMEM_MAX, start.size)
    found = search.codes.copy()
    found[weakest] = level
    codes["synapse_dac_bias"] = found.reshape(shape)
    after = measure(found) / goal - 1.0
    # a quadrant as weak as the weakest (within the measurement's noise) ends at the top of the
    # range when the set code is 1022: it is on target, not stopped short of it
    success = search.success | ((found == CAPMEM_MAX) & (np.abs(after) <= DAC_TOLERANCE))
    success[weakest] = True
    return Step(
        "synapse_dac_bias",
        codes["synapse_dac_bias"],
        (at_level / goal - 1.0).reshape(shape),
        after.reshape(shape),
        success.reshape(shape),
        "relative",
    )


def _drivers(bench: Bench, codes: dict[str, np.ndarray], tell: Callable[[str], None]) -> list[Step]:
    """The synapse drivers (the reference's synapse_driver.py): the largest amplitude of every
    driver (ramp at 1022, DAC offset at its lowest, activation 31: the pulse fills its window);
    the ramp per driver block by a binary search at activation :data:`RAMP_ACTIVATION` toward
    the block's mean of 90 % of those amplitudes scaled to that activation, the DAC offsets
    searched anew (:data:`DRIVER_PARALLEL_RAMP` drivers at a time) before each of its
    measurements; then the DAC offset per driver by an inverted binary search at activation
    :data:`OFFSET_ACTIVATION` toward 90 % of its own largest amplitude scaled to it,
    :data:`DRIVER_PARALLEL_OFFSET` drivers at a time over :data:`DRIVER_RUNS_OFFSET` runs.
    Sets ``codes``; returns the two steps (residuals relative to the targets)."""
    desc = bench.desc
    uncal = require_uncalibrated(desc)
    halves = desc.geometry.halves
    a_max = desc.formats.input.max
    lo, hi = uncal.driver_offset_range
    k = codes["driver_offset"].shape[1]
    block = uncal.driver_block
    n_blocks = k // block

    def largest(parallel: int, runs: int = DRIVER_RUNS) -> np.ndarray:
        trial = dict(
            codes,
            driver_ramp=np.full_like(codes["driver_ramp"], CAPMEM_MAX),
            driver_offset=np.full_like(codes["driver_offset"], lo),
        )
        return bench.driver_amplitudes(trial, a_max, parallel, runs)

    def block_mean(values: np.ndarray) -> np.ndarray:
        return values.reshape(halves, n_blocks, block).mean(axis=2).reshape(-1)

    def offsets(parallel: int, goal: np.ndarray, runs: int = DRIVER_RUNS):
        def measure(c: np.ndarray) -> np.ndarray:
            trial = dict(codes, driver_offset=c.reshape(halves, k))
            amplitudes = bench.driver_amplitudes(trial, OFFSET_ACTIVATION, parallel, runs)
            return amplitudes.reshape(-1) / goal

        return binary_search(measure, 1.0, lo, hi, halves * k, inverted=True)

    # ---- the ramp per block ----------------------------------------------------------------
    tell("driver_ramp")
    top = largest(DRIVER_PARALLEL_RAMP).reshape(-1)
    offset_goal = top * RANGE_LIMIT * OFFSET_ACTIVATION / a_max
    ramp_goal = block_mean(top * RANGE_LIMIT * RAMP_ACTIVATION / a_max)

    def ramp_measure(c: np.ndarray) -> np.ndarray:
        codes["driver_ramp"] = c.reshape(halves, n_blocks)
        codes["driver_offset"] = offsets(DRIVER_PARALLEL_RAMP, offset_goal).codes.reshape(halves, k)
        amplitudes = bench.driver_amplitudes(codes, RAMP_ACTIVATION, DRIVER_PARALLEL_RAMP)
        return block_mean(amplitudes) / ramp_goal

    ramp_before = (
        block_mean(bench.driver_amplitudes(codes, RAMP_ACTIVATION, DRIVER_PARALLEL_RAMP))
        / ramp_goal
        - 1.0
    )
    ramp = binary_search(ramp_measure, 1.0, 0, CAPMEM_MAX, halves * n_blocks)
    codes["driver_ramp"] = ramp.codes.reshape(halves, n_blocks)
    # ---- the DAC offset per driver, two drivers at a time ----------------------------------
    tell("driver_offset")
    par, runs = DRIVER_PARALLEL_OFFSET, DRIVER_RUNS_OFFSET
    top = largest(par, runs).reshape(-1)
    offset_goal = top * RANGE_LIMIT * OFFSET_ACTIVATION / a_max
    nominal_offsets = np.full((halves, k), uncal.driver_offset_zero, dtype=np.int64)
    before = bench.driver_amplitudes(
        dict(codes, driver_offset=nominal_offsets), OFFSET_ACTIVATION, par, runs
    )
    search = offsets(par, offset_goal, runs)
    codes["driver_offset"] = search.codes.reshape(halves, k)
    after = bench.driver_amplitudes(codes, OFFSET_ACTIVATION, par, runs)
    ramp_after = (
        block_mean(bench.driver_amplitudes(codes, RAMP_ACTIVATION, DRIVER_PARALLEL_RAMP))
        / ramp_goal
        - 1.0
    )
    per_block = ramp.success.reshape(halves, n_blocks)
    return [
        Step(
            "driver_ramp",
            codes["driver_ramp"],
            ramp_before.reshape(halves, n_blocks),
            ramp_after.reshape(halves, n_blocks),
            per_block,
            "relative",
        ),
        Step(
            "driver_offset",
            codes["driver_offset"],
            (before.reshape(-1) / offset_goal - 1.0).reshape(halves, k),
            (after.reshape(-1) / offset_goal - 1.0).reshape(halves, k),
            search.success.reshape(halves, k),
            "relative",
        ),
    ]


def _levels(
    bench: Bench,
    codes: dict[str, np.ndarray],
    target: HagenCalibTarget,
    tell: Callable[[str], None],
    tau_leak: np.ndarray | None = None,
    seed_offset: int = 4,
) -> list[Step]:
    """Per neuron, the leak level and then the reset level to the target's ``leak`` read (the
    reference's last neuron steps, "reset equal to leak"): the leak cell by a noisy binary
    search with the leak on (:meth:`Bench.rest_reads`; ``tau_leak`` (H, M) (s): at those time
    constants), the reset cell by one on the read right after a reset, each over 0..1022; the
    searches' starts drawn from the chip seed and ``seed_offset``. Sets ``codes``; returns the
    two steps (residuals: read minus the target, CADC LSB)."""
    steps = []
    nominal = bench.raw.nominal_codes(target)
    for index, (name, leak) in enumerate((("v_leak", True), ("v_reset", False))):
        tell(name)
        seed = bench.raw.seed * 2 + seed_offset + index
        goal = float(target.leak)
        steps.append(_level(bench, codes, name, leak, goal, seed, nominal[name], tau_leak))
    return steps


def _level(
    bench: Bench,
    codes: dict[str, np.ndarray],
    name: str,
    leak: bool,
    goal: float | np.ndarray,
    seed: int,
    before_codes: np.ndarray | None = None,
    tau_leak: np.ndarray | None = None,
) -> Step:
    """The leak (``name`` "v_leak", read with the leak on) or reset ("v_reset", read right
    after a reset) level cell of every neuron by a noisy binary search over 0..1022 toward the
    read ``goal`` (CADC LSB; one, or one per neuron (H, M)). Sets ``codes``; returns the step
    (residuals: read minus the goal; "before": the read at ``before_codes`` (H, M), default the
    cell's codes in ``codes``); ``tau_leak``: see :meth:`Bench.rest_reads`."""
    halves, m = bench.desc.geometry.halves, bench.desc.geometry.columns
    flat_goal = np.broadcast_to(np.asarray(goal, dtype=np.float64), (halves, m)).reshape(-1)

    def measure(c: np.ndarray) -> np.ndarray:
        trial = dict(codes, **{name: c.reshape(halves, m)})
        if tau_leak is None:
            return bench.rest_reads(trial, leak).reshape(-1)
        return bench.rest_reads(trial, leak, tau_leak).reshape(-1)

    start = codes[name] if before_codes is None else before_codes
    before = measure(np.asarray(start).reshape(-1)) - flat_goal
    search = noisy_binary_search(measure, flat_goal, 0, CAPMEM_MAX, halves * m, seed=seed)
    codes[name] = search.codes.reshape(halves, m)
    after = measure(codes[name].reshape(-1)) - flat_goal
    return Step(
        name,
        codes[name],
        before.reshape(halves, m),
        after.reshape(halves, m),
        search.success.reshape(halves, m),
        "CADC LSB",
    )


def _membrane_time_constant(
    bench: Bench,
    codes: dict[str, np.ndarray],
    target: HagenCalibTarget,
) -> Step:
    """The leak bias of every neuron to the target's membrane time constant, as the reference's
    MembraneTimeConstCalibCADC measures it: the leak level to the target's leak read (the
    reference calibrates the leak potential just before), the reset level
    :data:`TAU_MEM_AMPLITUDE` below each neuron's leak read, then a noisy binary search over
    0..1022 of the leak bias toward the read that has risen to ``rest - (rest - reset) / e`` at
    ``tau_mem`` after a reset (:meth:`Bench.leak_reads`, the synaptic inputs off). The searched
    value is that rise relative to the amplitude, ``(rest - rise) / (rest - reset)``, toward
    ``1 / e`` (``inverted``: a stronger leak, a faster rise, a smaller value), with ``rest``
    read at the bias being tried: the reference calibrates the leak level back to its read at
    every bias instead (the leakage current moves the resting level with the leak's time
    constant). Sets ``codes`` (``i_bias_leak``, and ``v_leak``, ``v_reset`` as the step leaves
    them); returns the step. Its residuals are relative: the time constant the three reads
    give, ``-tau_mem / ln((rest - rise) / (rest - reset))``, over the target, minus 1."""
    desc, raw = bench.desc, bench.raw
    halves, m = desc.geometry.halves, desc.geometry.columns
    t = float(target.tau_mem)
    low = float(target.read_range[0])
    _level(bench, codes, "v_leak", True, float(target.leak), raw.seed * 2 + 8)
    leak_read = bench.rest_reads(codes, True)
    reset_goal = leak_read - TAU_MEM_AMPLITUDE
    too_low = reset_goal < low
    if too_low.sum() > TAU_MEM_LOW_FRACTION * too_low.size:
        raise ValueError(
            f"tau_mem: {int(too_low.sum())} of {too_low.size} neurons would be reset below the "
            f"CADC's lower target read {low:g} ({TAU_MEM_AMPLITUDE} LSB below their leak read, "
            f"lowest {float(leak_read.min()):.1f}): raise leak (or lower read_range[0])"
        )
    _level(bench, codes, "v_reset", False, np.maximum(reset_goal, low), raw.seed * 2 + 9)
    reset = bench.rest_reads(codes, False)

    def fraction(c: np.ndarray) -> np.ndarray:
        rest, rise = bench.leak_reads(dict(codes, i_bias_leak=c.reshape(halves, m)), t)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = (rest - rise) / (rest - reset)
        return np.where(np.isfinite(value), value, 1.0)

    def measure(c: np.ndarray) -> np.ndarray:
        return fraction(c).reshape(-1)

    def relative() -> np.ndarray:
        value = fraction(codes["i_bias_leak"])
        with np.errstate(invalid="ignore", divide="ignore"):
            tau = -t / np.log(value)
        return np.where(np.isfinite(tau) & (tau > 0), tau / t - 1.0, np.inf)

    before = relative()
    search = noisy_binary_search(
        measure,
        1.0 / math.e,
        0,
        CAPMEM_MAX,
        halves * m,
        inverted=True,
        seed=raw.seed * 2 + 10,
    )
    codes["i_bias_leak"] = search.codes.reshape(halves, m)
    return Step(
        "tau_mem",
        codes["i_bias_leak"],
        before,
        relative(),
        search.success.reshape(halves, m),
        "relative",
    )


def _leak_bias_noise(
    bench: Bench,
    codes: dict[str, np.ndarray],
    target: HagenCalibTarget,
) -> Step:
    """The leak bias of every neuron as low as the target's noise allows, as the reference's
    LeakBiasCalib measures it (after the leak and reset levels: the membrane is reset to its
    resting level): a noisy binary search over 0..1022 (``inverted``: a stronger leak, a shorter
    membrane time constant, less noise) toward ``target_noise``, of the standard deviation of
    :data:`NOISE_READS` reads each :data:`NOISE_WAIT` after a reset (:meth:`Bench.noise_reads`)
    plus the reference's penalties for a floating membrane: the first (second) of
    :data:`NOISE_PENALTY` where the mean of those reads lies more than the first (second) of
    :data:`NOISE_DRIFT` CADC LSB from the target leak read or from the read at rest
    (:meth:`Bench.rest_reads` at the leak of the code tried). Sets ``codes["i_bias_leak"]``;
    returns the step "target_noise": residuals that value minus the target (CADC LSB), before
    at the codes the step starts from (the membrane time constant's). A neuron fails where its
    code ends on a boundary of the range (:func:`~.algorithms.noisy_binary_search`) or its value
    at the code exceeds the target by more than :data:`NOISE_MARGIN` (the reference reports only
    the latter)."""
    raw = bench.raw
    halves, m = bench.desc.geometry.halves, bench.desc.geometry.columns
    assert target.target_noise is not None
    goal = float(target.target_noise)
    leak_read = float(target.leak)

    def value(c: np.ndarray) -> np.ndarray:
        trial = dict(codes, i_bias_leak=c.reshape(halves, m))
        std, mean = bench.noise_reads(trial)
        rest = bench.rest_reads(trial, True, raw.tau_mem(trial["i_bias_leak"]))
        out = std.copy()
        for drift, penalty in zip(NOISE_DRIFT, NOISE_PENALTY, strict=True):
            off = (np.abs(mean - leak_read) > drift) | (np.abs(mean - rest) > drift)
            out += np.where(off, penalty, 0.0)
        return out.reshape(-1)

    before = value(codes["i_bias_leak"].reshape(-1)) - goal
    search = noisy_binary_search(
        value, goal, 0, CAPMEM_MAX, halves * m, inverted=True, seed=raw.seed * 2 + 11
    )
    codes["i_bias_leak"] = search.codes.reshape(halves, m)
    after = value(codes["i_bias_leak"].reshape(-1)) - goal
    success = search.success & (after <= NOISE_MARGIN)
    return Step(
        "target_noise",
        codes["i_bias_leak"],
        before.reshape(halves, m),
        after.reshape(halves, m),
        success.reshape(halves, m),
        "CADC LSB",
    )


def _synaptic_inputs(
    bench: Bench,
    codes: dict[str, np.ndarray],
    target: HagenCalibTarget,
    tell: Callable[[str], None],
) -> list[Step]:
    """Per neuron: each path's synaptic time constant to the target, the membrane time constant
    (:func:`_membrane_time_constant`), then each path's OTA bias to the median excitatory
    amplitude with that leak on; the time constants and OTA biases twice, as a time constant
    depends a little on its OTA's g_m, which the OTA bias step moves. Sets ``codes``; returns
    the five steps."""
    desc, raw = bench.desc, bench.raw
    halves, m = desc.geometry.halves, desc.geometry.columns
    tau_target = float(target.tau_syn)
    tau_before = [bench.time_constants(codes, p, tau_target) / tau_target - 1.0 for p in (0, 1)]
    gm_before = [bench.amplitudes(codes, p) for p in (0, 1)]  # every cell at its nominal code
    membrane: Step | None = None
    tau_codes = codes["i_bias_tau_syn"].copy()
    gm_codes = codes["i_synin_gm"].copy()
    tau_ok: list[np.ndarray] = []
    gm_ok: list[np.ndarray] = []
    amplitude = 0.0
    for rnd in range(NEURON_PASSES):
        tau_ok, gm_ok = [], []
        for path in (0, 1):
            if rnd == 0:
                tell(("tau_syn_exc", "tau_syn_inh")[path])

            def measure_tau(c: np.ndarray, path: int = path) -> np.ndarray:
                trial = tau_codes.copy()
                trial[:, path] = c.reshape(halves, m)
                taus = bench.time_constants(dict(codes, i_bias_tau_syn=trial), path, tau_target)
                return taus.reshape(-1) / tau_target

            search = binary_search(measure_tau, 1.0, 0, CAPMEM_MAX, halves * m, inverted=True)
            tau_codes[:, path] = search.codes.reshape(halves, m)
            codes["i_bias_tau_syn"] = tau_codes.copy()
            tau_ok.append(search.success.reshape(halves, m))
        if rnd == 0:  # the leak, on from here (the reference's order)
            tell("tau_mem")
            membrane = _membrane_time_constant(bench, codes, target)
        if rnd == 0:  # the common amplitude: the median at the nominal OTA bias, tau calibrated
            amplitude = float(np.median(bench.amplitudes(codes, 0)))
            if amplitude <= 0:
                raise ValueError(
                    f"the median excitatory amplitude at OTA bias {target.i_synin_gm} is "
                    f"{amplitude:g} CADC LSB: no signal to calibrate to; raise i_synin_gm or "
                    "synapse_dac_bias"
                )
        for path in (0, 1):
            if rnd == 0:
                tell(("i_synin_gm_exc", "i_synin_gm_inh")[path])

            def measure(c: np.ndarray, path: int = path, amplitude: float = amplitude):
                trial = gm_codes.copy()
                trial[:, path] = c.reshape(halves, m)
                amplitudes = bench.amplitudes(dict(codes, i_synin_gm=trial), path)
                return amplitudes.reshape(-1) / amplitude

            search = noisy_binary_search(
                measure, 1.0, 0, CAPMEM_MAX, halves * m, seed=raw.seed * 2 + path + 2 * rnd
            )
            gm_codes[:, path] = search.codes.reshape(halves, m)
            codes["i_synin_gm"] = gm_codes.copy()
            gm_ok.append(search.success.reshape(halves, m))
    steps = []
    for path, name in enumerate(("tau_syn_exc", "tau_syn_inh")):
        after = bench.time_constants(codes, path, tau_target) / tau_target - 1.0
        ok = tau_ok[path]
        steps.append(Step(name, tau_codes[:, path].copy(), tau_before[path], after, ok, "relative"))
    assert membrane is not None
    steps.append(membrane)
    for path, name in enumerate(("i_synin_gm_exc", "i_synin_gm_inh")):
        after = bench.amplitudes(codes, path) / amplitude - 1.0
        before = gm_before[path] / amplitude - 1.0
        ok = gm_ok[path]
        steps.append(Step(name, gm_codes[:, path].copy(), before, after, ok, "relative amplitude"))
    return steps


def require_range(desc: ChipDescription) -> tuple[int, int]:
    raw = desc.uncalibrated
    assert raw is not None
    lo, hi = raw.adc_channel_offset_range
    return int(lo), int(hi)


def codes_of(result: CalibrationResult, raw: RawChip) -> dict[str, np.ndarray]:
    """The codes of every calibrated cell of a result (in the names of
    :meth:`RawChip.nominal_codes`); cells it does not calibrate (the time constants, the
    synapse DAC bias and the drivers of a result made before they were calibrated) at their
    nominal codes for its target. A result for a :class:`HagenSyninCalibTarget` has no neuron
    codes."""
    target = result.target
    if not isinstance(target, (HagenCalibTarget, HagenSyninCalibTarget)):
        raise TypeError(f"a result for a {type(target).__name__} cannot be run")
    codes = raw.nominal_codes(target)
    for name in ("cadc_ramp_offset", "cadc_ramp_slope", "cadc_channel_offset"):
        codes[name] = np.asarray(result.codes[name], dtype=np.int64)
    for name in ("synapse_dac_bias", "driver_ramp", "driver_offset"):
        if name in result.codes:  # results before these were calibrated
            codes[name] = np.asarray(result.codes[name], dtype=np.int64)
    if not isinstance(target, HagenCalibTarget):
        return codes
    gm = codes["i_synin_gm"].copy()
    gm[:, 0] = result.codes["i_synin_gm_exc"]
    gm[:, 1] = result.codes["i_synin_gm_inh"]
    codes["i_synin_gm"] = gm
    if "tau_syn_exc" in result.codes:  # results before the time constants were calibrated
        tau = codes["i_bias_tau_syn"].copy()
        tau[:, 0] = result.codes["tau_syn_exc"]
        tau[:, 1] = result.codes["tau_syn_inh"]
        codes["i_bias_tau_syn"] = tau
    for name in ("v_leak", "v_reset"):
        if name in result.codes:  # results before these were calibrated
            codes[name] = np.asarray(result.codes[name], dtype=np.int64)
    if "tau_mem" in result.codes:  # results before the leak bias was calibrated
        codes["i_bias_leak"] = np.asarray(result.codes["tau_mem"], dtype=np.int64)
    if "target_noise" in result.codes:  # the leak bias of a noise target
        codes["i_bias_leak"] = np.asarray(result.codes["target_noise"], dtype=np.int64)
    return codes


#: The target field that each kind of knob (what it ``sets``) becomes in :func:`profile_target`.
KNOB_FIELDS = {
    "gm": "i_synin_gm",
    "i_max": "synapse_dac_bias",
    "tau_syn": "tau_syn",
    "v_reset": "leak",
}


def profile_target(desc: ChipDescription, name: str) -> Target:
    """The calibration profile ``name`` of ``desc`` as a target: the default target of its
    readout (:func:`default_target`) with the profile's knob values as overrides
    (``i_synin_gm`` the OTA bias, ``synapse_dac_bias``, ``tau_syn``, the reset level as
    ``leak``; a :class:`HagenSyninCalibTarget` takes only ``synapse_dac_bias``: the others are
    not in its signal path). A knob no target field expresses (the membrane capacitance) must
    keep the ``default`` profile's value, which a calibrated chip uses; the profile's
    ``fixed_pattern_scale`` does not apply (the calibration sets the residuals)."""
    profiles = desc.calibration
    if not isinstance(name, str) or name not in profiles:
        raise ValueError(
            f"target: {name!r} is not a calibration profile of chip '{desc.identity.name}'; "
            f"profiles: {', '.join(profiles)}"
        )
    knobs = desc.profile(name).knobs
    default = desc.profile("default").knobs if "default" in profiles else {}
    base = default_target(desc)
    overrides: dict = {}
    for knob, value in knobs.items():
        spec = desc.knobs[knob]
        field = KNOB_FIELDS.get(spec.sets)
        if field is not None and field not in base.fields():
            continue  # a neuron knob of a synaptic-input chip: not in its signal path
        if field is None:
            if knob in default and value != default[knob]:
                raise ValueError(
                    f"target: profile {name!r} sets {knob} = {value}, which no field of a "
                    f"calibration target expresses (a calibrated chip keeps the default "
                    f"profile's {default[knob]})"
                )
            continue
        if isinstance(value, (int, float)) and spec.sets == "tau_syn":
            value = f"{float(value)!r} s"
        overrides[field] = value
    try:
        return base.with_overrides(**overrides)
    except (ValueError, TypeError) as err:
        raise ValueError(f"target: profile {name!r}: {err}") from None


def calibrate(
    chip,
    target: Target | None = None,
    seed: int = 0,
    *,
    cache=True,
    progress: Progress | None = None,
    **target_overrides,
) -> CalibrationResult:
    """Calibrate chip instance ``seed`` of ``chip`` (a description, the name of a built-in chip
    or the path of a chip YAML) for ``target`` (default: the reference's defaults for the
    chip's readout, :class:`HagenCalibTarget` for the membranes, :class:`HagenSyninCalibTarget`
    for the synaptic input lines; a string names a calibration profile of the chip, taken as a target
    by :func:`profile_target`: ``target="custom"``) with ``target_overrides`` applied (``tau_syn="0.64 us"``,
    ``i_synin_gm=225``, ...), against the simulated chip; see docs/calibration.md.

    ``cache``: True keeps and reuses results in :class:`CalibrationCache` (keyed by the
    description, the seed and the target), a :class:`CalibrationCache` uses that one, False
    calibrates without it. ``progress(step, index, total)`` is called before each step (not on
    a cache hit). Instances whose code ends on a boundary of its range are failures:
    ``result.success``, ``result.failures``.
    """
    import hwdesc

    from .result import CalibrationCache

    desc = chip if isinstance(chip, ChipDescription) else hwdesc.load(chip)
    if isinstance(target, str):
        target = profile_target(desc, target)
    target = default_target(desc) if target is None else target
    if not isinstance(target, Target):
        raise TypeError(
            f"target: expected a calibration target or the name of a calibration profile, got "
            f"{type(target).__name__}"
        )
    check_target(desc, target)
    if target_overrides:
        target = target.with_overrides(**target_overrides)
        check_target(desc, target)
    seed = rules.seed(seed, "seed")

    def work() -> CalibrationResult:
        return run(desc, target, seed, progress)[0]

    if cache is False or cache is None:
        return work()
    store = cache if isinstance(cache, CalibrationCache) else CalibrationCache()
    return store.get_or_calibrate(description_hash(desc), seed, target, work)


#: Units of the residuals of each calibrated quantity.
UNITS = {
    "driver_ramp": "relative",
    "driver_offset": "relative",
    "synapse_dac_bias": "relative",
    "v_leak": "CADC LSB",
    "v_reset": "CADC LSB",
    "cadc_ramp_offset": "CADC LSB",
    "cadc_ramp_slope": "CADC LSB",
    "cadc_channel_offset": "CADC LSB",
    "tau_syn_exc": "relative",
    "tau_syn_inh": "relative",
    "tau_mem": "relative",
    "target_noise": "CADC LSB",
    "i_synin_gm_exc": "relative",
    "i_synin_gm_inh": "relative",
}
#: What each quantity's residual is.
MEANING = {
    "driver_ramp": "mean amplitude of a driver block at activation 2 / its target - 1",
    "driver_offset": "amplitude of a driver at activation 29 / 90 % of its largest x 29/31 - 1",
    "synapse_dac_bias": "median line drop of a quadrant / the weakest quadrant's - 1",
    "v_leak": "read of a neuron at rest with the leak on minus the target leak read",
    "v_reset": "read of a neuron right after its reset minus the target leak read",
    "cadc_ramp_offset": "median read of a quadrant at the lower end of the range minus its target",
    "cadc_ramp_slope": "median read of a quadrant at the upper end of the range minus its target",
    "cadc_channel_offset": "read of a channel in the middle of the range minus the median read",
    "tau_syn_exc": "excitatory synaptic time constant of a neuron (fitted decay) / the target - 1",
    "tau_syn_inh": "inhibitory synaptic time constant of a neuron (fitted decay) / the target - 1",
    "tau_mem": "membrane time constant of a neuron with its leak on (rise after a reset, "
    "from three reads) / the target - 1",
    "target_noise": "std of 60 reads of a neuron each 30 us after a reset, leak on (with the "
    "reference's penalties for a floating membrane), minus the target noise",
    "i_synin_gm_exc": "excitatory amplitude of a neuron / the median amplitude - 1",
    "i_synin_gm_inh": "inhibitory amplitude of a neuron / the median excitatory amplitude - 1",
}


def summary(result: CalibrationResult) -> list[dict]:
    """One row per calibrated quantity, in the order of the steps: instances, the mean and
    standard deviation of the deviation from the target before and after (over all instances;
    before: every cell at the code the nominal transfer gives), failures."""
    rows = []
    order = SYNIN_STEPS if isinstance(result.target, HagenSyninCalibTarget) else NOISE_STEPS
    names = [n for n in order if n in result.quantities]
    names += [n for n in result.quantities if n not in names]
    for name in names:
        after = result.residuals[name]
        before = result.before.get(name)
        rows.append(
            {
                "quantity": name,
                "unit": UNITS.get(name, ""),
                "instances": int(after.size),
                "before_mean": float(before.mean()) if before is not None else float("nan"),
                "before_std": float(before.std()) if before is not None else float("nan"),
                "after_mean": float(after.mean()),
                "after_std": float(after.std()),
                "failures": result.failures[name],
            }
        )
    return rows


def format_summary(result: CalibrationResult) -> str:
    """:func:`summary` as a text table."""
    head = (
        f"{'quantity':<22} {'unit':<9} {'n':>4}  {'before mean':>11} {'std':>8}  "
        f"{'after mean':>10} {'std':>8}  {'failed':>6}"
    )
    lines = [head, "-" * len(head)]
    for row in summary(result):
        lines.append(
            f"{row['quantity']:<22} {row['unit']:<9} {row['instances']:>4}  "
            f"{row['before_mean']:>+11.4f} {row['before_std']:>8.4f}  "
            f"{row['after_mean']:>+10.4f} {row['after_std']:>8.4f}  {row['failures']:>6}"
        )
    return "\n".join(lines)


def label(target: Target) -> str:
    """The name of a chip calibrated for ``target``: ``"calibrated"`` and the target's fields
    that differ from the default target, e.g. ``calibrated+i_synin_gm=225+tau_syn=640 ns``."""
    default = type(target)()
    parts = []
    for name, spec in type(target).fields().items():
        value = getattr(target, name)
        if value != getattr(default, name):
            parts.append(f"+{name}={spec.show(value)}")
    return "calibrated" + "".join(parts)
