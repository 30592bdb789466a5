"""The wrapper of the synaptic-input readout ("synin", model.md section 13): validates the
arguments, builds the per-line tables once (:func:`synin_params`) and runs the batch kernel
(:func:`run_synin`). Results come as a :class:`kernels.HalfResult`, like the membrane mode's."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import half as _h
from . import synin as _s
from .api import (
    HalfResult,
    Traces,
    _arr,
    _bounded,
    _check_events,
    _check_gap,
    _check_no_edge_lost,
    _check_run_options,
    _chunk_size,
    _finite,
    _float_vec,
    _int_in,
    _nonneg,
    _positive,
    _read_windows,
    _recording,
    _window_on_grid,
    flicker_sigma,
    flicker_taus,
)


class SyninParams(NamedTuple):
    """One half in the synaptic-input readout, validated and turned into the kernel's tables
    once (:func:`synin_params`); immutable, reusable for any number of batches. M signed outputs
    use L = 2 M lines (physical columns)."""

    n_k: int  #: inputs (rows of the weights)
    n_m: int  #: signed outputs (columns of the weights)
    dt: float  #: grid step (s): places edges and reads, spaces the trace points
    t_lsb: float  #: pulse length per activation step (s)
    act_max: int  #: largest activation
    n_sub: int  #: steps per noise block
    a_line: np.ndarray  #: float64 [K, L]: rate (V/s) of a row's pulse on each line
    drv_gain: np.ndarray  #: float64 [K]
    drv_offset: np.ndarray  #: float64 [K] (s)
    lin: np.ndarray  #: float64 [N_LIN, L]: per-line coefficients (kernels.synin.L_*)
    col64: np.ndarray  #: float64 [N_COL64, L]: the CADC rows (zero level, slope) per line
    sc: np.ndarray  #: float64 [N_SC]: the bias-noise scalars at the membrane kernel's indices
    ssc: np.ndarray  #: float64 [N_SSC]: scalars of the synin kernel
    ysc: np.ndarray  #: int64 [N_YSC]: integer scalars of the synin kernel
    tau_line: np.ndarray  #: float64 [L]: line time constants (s; inf: no leak)
    psd_rate: float  #: S / (4 C_line^2) (V^2 s)
    flicker_taus: np.ndarray  #: float64 [K_f]: readout flicker components' time constants (s)
    flicker_sigma: float  #: stationary std of one readout flicker component (V)
    quadrant: np.ndarray  #: int64 [L]
    adc_dev: np.ndarray  #: float64 [Q, adc_max]
    adc_max: int


def synin_params(
    weights,
    *,
    syn_gain,
    drv_gain,
    drv_offset,
    tau_line,
    i_line,
    adc_offset,
    adc_lsb,
    dt,
    t_lsb,
    i_lsb,
    c_line,
    v_rest,
    v_adc_lo,
    v_line_max=math.inf,
    line_current_psd=0.0,
    readout_flicker_psd_1mhz=0.0,
    flicker_tau_min=1e-6,
    flicker_tau_max=1e-3,
    flicker_components=4,
    sigma_jitter=0.0,
    sigma_adc=0.0,
    sigma_ramp=0.0,
    sigma_bias=0.0,
    sigma_bias_common=0.0,
    quadrant=None,
    adc_max=255,
    adc_dev=None,
    noise=True,
    noise_seed=0,
    stream=0,
    out_min=-128,
    out_max=127,
    noise_substeps=32,
    weight_min=-63,
    weight_max=63,
    act_max=31,
) -> SyninParams:
    """Validate one half in the synaptic-input readout and build its tables.

    ``weights`` int [K, M] are signed (weight_min..weight_max); output j uses line 2 j (holding
    max(w, 0)) and line 2 j + 1 (holding max(-w, 0)), L = 2 M lines. Per line (float [L]):
    ``tau_line`` (s, > 0, ``inf``: no leak), ``i_line`` (A, leakage current discharging the
    line; negative charges it), ``adc_offset`` (codes), ``adc_lsb`` (V/code), ``quadrant``
    (int >= 0, None: all 0). ``syn_gain`` float [K, L]: the current factor of the synapse of each
    row on each line. Scalars: ``dt`` (s), ``t_lsb`` (s per activation step), ``i_lsb`` (A per
    weight unit), ``c_line`` (F), ``v_rest`` (V: the CADC input of a line at rest), ``v_adc_lo``
    (V: code 0), ``v_line_max`` (V > 0: bound of the drop, default unbounded). Noise:
    ``line_current_psd`` (A^2/Hz, one-sided white current noise on each line),
    ``readout_flicker_psd_1mhz`` (V^2/Hz, the readout path's 1/f noise at 1 MHz) with
    ``flicker_tau_min``, ``flicker_tau_max`` (s) and ``flicker_components``, ``sigma_jitter`` (s),
    ``sigma_adc``, ``sigma_ramp`` (codes), ``sigma_bias``, ``sigma_bias_common`` (relative, < 0.5).
    The CADC: ``adc_max``, ``adc_dev`` [Q, adc_max] as in :func:`kernels.half_params`. Options as
    there (noise, noise_seed, stream, out_min, out_max, noise_substeps, weight_min, weight_max,
    act_max). Errors name the argument, what it got and what is allowed."""
    weights = _arr("weights", weights, 2, "iu")
    n_k, n_m = weights.shape
    if n_k < 1 or n_m < 1:
        raise ValueError(f"weights must have shape (K, M) with K, M >= 1, got {weights.shape}")
    if weights.min() < weight_min or weights.max() > weight_max:
        raise ValueError(
            f"weights must lie in {weight_min}..{weight_max} (weight_min..weight_max), got "
            f"values in {weights.min()}..{weights.max()}"
        )
    n_l = 2 * n_m
    syn_gain = _arr("syn_gain", syn_gain, 2, "f", (n_k, n_l))
    drv_gain = _float_vec("drv_gain", drv_gain, n_k)
    drv_offset = _float_vec("drv_offset", drv_offset, n_k)
    tau = _arr("tau_line", tau_line, 1, "fiu", (n_l,)).astype(np.float64)
    if not np.all(tau > 0) or np.any(np.isnan(tau)):
        raise ValueError(
            f"tau_line must be > 0 (s; the leak of each line, inf: no leak; one per line, "
            f"[{n_l}] = 2 x outputs), got {tau[~(tau > 0)][:3].tolist()}"
        )
    i_line = _float_vec("i_line", i_line, n_l)
    adc_offset = _float_vec("adc_offset", adc_offset, n_l)
    adc_lsb = _float_vec("adc_lsb", adc_lsb, n_l)
    if np.any(adc_lsb <= 0):
        raise ValueError("adc_lsb must be > 0 (V per code)")
    dt = _positive("dt", dt)
    t_lsb = _positive("t_lsb", t_lsb)
    i_lsb = _nonneg("i_lsb", i_lsb)
    c_line = _positive("c_line", c_line)
    v_rest = _finite("v_rest", v_rest)
    v_adc_lo = _finite("v_adc_lo", v_adc_lo)
    try:
        u_max = float(v_line_max)
    except (TypeError, ValueError):
        raise TypeError(
            f"v_line_max must be a number (V; the bound of a line's drop, math.inf: unbounded), "
            f"got {type(v_line_max).__name__}"
        ) from None
    if not u_max > 0.0:
        raise ValueError(
            f"v_line_max must be > 0 (V; the bound of a line's drop, math.inf: unbounded), got "
            f"{v_line_max!r}"
        )
    psd = _nonneg("line_current_psd", line_current_psd)
    flk_psd = _nonneg("readout_flicker_psd_1mhz", readout_flicker_psd_1mhz)
    flicker_components = _int_in(
        "flicker_components",
        flicker_components,
        2,
        _h.MAX_FLICKER_COMPONENTS,
        "number of OU processes summed to the readout's 1/f noise",
    )
    flicker_tau_min = _positive("flicker_tau_min", flicker_tau_min)
    flicker_tau_max = _positive("flicker_tau_max", flicker_tau_max)
    if not flicker_tau_max > flicker_tau_min:
        raise ValueError(
            f"flicker_tau_max ({flicker_tau_max:g} s) must be > flicker_tau_min "
            f"({flicker_tau_min:g} s)"
        )
    sigma_jitter = _nonneg("sigma_jitter", sigma_jitter)
    sigma_adc = _nonneg("sigma_adc", sigma_adc)
    sigma_ramp = _nonneg("sigma_ramp", sigma_ramp)
    what = "relative std of the per-vector synaptic current factor of a column; 0 turns it off"
    sigma_bias = _bounded("sigma_bias", sigma_bias, 0.0, 0.5, what)
    sigma_bias_common = _bounded(
        "sigma_bias_common", sigma_bias_common, 0.0, 0.5, what.replace("a column", "a quadrant")
    )
    adc_max = _int_in("adc_max", adc_max, 1, 32767, "largest ADC code; codes are 0..adc_max")
    if quadrant is None:
        quadrant = np.zeros(n_l, dtype=np.int64)
    else:
        quadrant = _arr("quadrant", quadrant, 1, "iu", (n_l,)).astype(np.int64)
        if quadrant.min() < 0:
            raise ValueError(f"quadrant must be >= 0 (one per line, [{n_l}]), got {quadrant.min()}")
    n_q = int(quadrant.max()) + 1
    if adc_dev is None:
        adc_dev = np.zeros((n_q, adc_max), dtype=np.float64)
    else:
        adc_dev = _arr("adc_dev", adc_dev, 2, "fiu").astype(np.float64)
        if adc_dev.shape[1] != adc_max or adc_dev.shape[0] < n_q:
            raise ValueError(
                f"adc_dev must have shape (Q, adc_max) = (Q, {adc_max}) with Q > max(quadrant) "
                f"= {n_q - 1}, got {adc_dev.shape}"
            )
        if not np.all(np.isfinite(adc_dev)) or (
            adc_max > 1 and not np.all(np.diff(adc_dev, axis=1) + 1.0 > 0.0)
        ):
            raise ValueError(
                "adc_dev must be finite and keep the CADC thresholds k - 0.5 + adc_dev[q, k-1] "
                "strictly increasing in k"
            )
    n_sub = int(noise_substeps)
    if n_sub < 1 or n_sub != noise_substeps:
        raise ValueError(f"noise_substeps must be an integer >= 1, got {noise_substeps!r}")
    h = n_sub * dt
    if float(tau.min()) < 2.0 * h:
        raise ValueError(
            f"tau_line must be >= 2 noise blocks = 2 x noise_substeps x dt = {2 * h:.4g} s (the "
            f"kernel's piece series is exact up to a piece of tau / 2), got {tau.min():.4g} s"
        )
    out_min, out_max, seed, stream = _check_run_options(out_min, out_max, noise_seed, stream)

    noise = bool(noise)
    flags = 0
    if noise and psd > 0:
        flags |= _s.YFLAG_LINE_NOISE
    if noise and sigma_jitter > 0:
        flags |= _s.YFLAG_JITTER
    if noise and sigma_adc > 0:
        flags |= _s.YFLAG_ADC_NOISE
    if noise and sigma_ramp > 0:
        flags |= _s.YFLAG_RAMP
    if noise and (sigma_bias > 0 or sigma_bias_common > 0):
        flags |= _s.YFLAG_BIAS
    if noise and flk_psd > 0:
        flags |= _s.YFLAG_FLICKER
    q = np.where(np.isinf(tau), 0.0, 1.0 / tau)
    if h * float(q.max()) <= _s.X_SHORT:
        flags |= _s.YFLAG_SHORT
    psd_rate = psd / (4.0 * c_line * c_line)
    lin = np.zeros((_s.N_LIN, n_l), dtype=np.float64)
    lin[_s.L_Q] = q
    lin[_s.L_ROFF] = i_line / c_line
    lin[_s.L_SBLK] = _block_std(q, psd_rate, h)
    col64 = np.zeros((_h.N_COL64, n_l), dtype=np.float64)
    col64[_h.D_ADC_SLOPE] = 1.0 / adc_lsb
    col64[_h.D_ADC_ZERO] = (v_rest - v_adc_lo) / adc_lsb + adc_offset
    sc = np.zeros(_h.N_SC, dtype=np.float64)
    sc[_h.S_SIGMA_BIAS] = sigma_bias
    sc[_h.S_SIGMA_BIAS_Q] = sigma_bias_common
    ssc = np.zeros(_s.N_SSC, dtype=np.float64)
    ssc[_s.Y_DT] = dt
    ssc[_s.Y_T_LSB] = t_lsb
    ssc[_s.Y_SIGMA_JIT] = sigma_jitter
    ssc[_s.Y_SIGMA_ADC] = sigma_adc
    ssc[_s.Y_SIGMA_RAMP] = sigma_ramp
    ssc[_s.Y_U_MAX] = u_max
    ssc[_s.Y_V_REST] = v_rest
    ssc[_s.Y_PSD] = psd_rate
    ysc = np.zeros(_s.N_YSC, dtype=np.int64)
    ysc[_s.Z_N_SUB] = n_sub
    ysc[_s.Z_SEED_LO] = seed & 0xFFFFFFFF
    ysc[_s.Z_SEED_HI] = seed >> 32
    ysc[_s.Z_STREAM] = stream
    ysc[_s.Z_OUT_MIN] = out_min
    ysc[_s.Z_OUT_MAX] = out_max
    ysc[_s.Z_FLAGS] = flags
    ysc[_s.Z_ADC_MAX] = adc_max
    # the signed split: line 2 j holds max(w, 0), line 2 j + 1 max(-w, 0)
    w = weights.astype(np.float64)
    split = np.empty((n_k, n_l), dtype=np.float64)
    split[:, 0::2] = np.maximum(w, 0.0)
    split[:, 1::2] = np.maximum(-w, 0.0)
    a_line = np.ascontiguousarray(split * (i_lsb / c_line) * syn_gain.astype(np.float64))
    taus = flicker_taus(flicker_tau_min, flicker_tau_max, flicker_components)
    sigma_f = flicker_sigma(flk_psd, flicker_tau_min, flicker_tau_max, flicker_components)
    adc_dev = np.ascontiguousarray(adc_dev)
    for a in (a_line, drv_gain, drv_offset, lin, col64, sc, ssc, ysc, tau, taus, quadrant, adc_dev):
        a.setflags(write=False)
    return SyninParams(
        n_k,
        n_m,
        dt,
        t_lsb,
        int(act_max),
        n_sub,
        a_line,
        drv_gain,
        drv_offset,
        lin,
        col64,
        sc,
        ssc,
        ysc,
        tau,
        psd_rate,
        taus,
        sigma_f,
        quadrant,
        adc_dev,
        adc_max,
    )


def _block_std(q, psd_rate, h):
    """Std (V) of the OU increment of white current noise over ``h`` (s) on lines with leak
    rates ``q`` (1/s): sqrt(S tau (1 - exp(-2 h / tau)) / (4 C^2)), S h / (2 C^2) without leak."""
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(q > 0, -np.expm1(-2.0 * q * h) / np.where(q > 0, q, 1.0), 2.0 * h)
    return np.sqrt(psd_rate * v)


def run_synin(
    params: SyninParams,
    ev_ptr,
    ev_row,
    ev_act,
    ev_time,
    *,
    t_read,
    t_baseline,
    sample_index=None,
    record_samples=None,
    record_columns=None,
    t_gap=None,
) -> HalfResult:
    """Simulate a batch of B input vectors on a half prepared by :func:`synin_params`.

    The arguments are those of :func:`kernels.run_half` (events CSR per sample, ``t_read`` one
    time or one per sample, ``t_baseline``, ``t_gap``: the readout flicker runs on from the
    baseline read to the read, ``t_gap - t_baseline + t_read``). ``record_columns`` are signed
    outputs; the traces hold the drop of the excitatory line (``v_exc``) and of the inhibitory
    line (``v_inh``) of each, V; ``v_mem`` is their difference, the analog signed result.

    Returns a :class:`kernels.HalfResult`: ``output`` int32 [B, M] (the signed outputs),
    ``code_read``, ``code_baseline`` int16 [B, 2 M] (per line), ``v_read``, ``v_baseline``
    float64 [B, 2 M] (V, the CADC input: v_rest minus the drop, readout flicker included)."""
    if not isinstance(params, SyninParams):
        raise TypeError(
            f"params must be a kernels.SyninParams (from kernels.synin_params), got "
            f"{type(params).__name__}"
        )
    n_k, n_m, dt = params.n_k, params.n_m, params.dt
    ev_ptr, ev_row, ev_act, ev_time, sample_index = _check_events(
        ev_ptr, ev_row, ev_act, ev_time, sample_index, n_k, params.act_max
    )
    n_b = ev_ptr.shape[0] - 1
    reads, win_read = _read_windows(t_read, n_b, dt)
    base = _window_on_grid("t_baseline", t_baseline, dt)
    t_base = base[3]
    t_gap_f = _check_gap(t_gap, t_baseline)
    gap = t_base if t_gap_f is None else t_gap_f
    # per read window: the last noise block's std, the readout flicker's propagation
    n_sub = params.n_sub
    h = n_sub * dt
    q = params.lin[_s.L_Q]
    s_last = np.empty((len(reads), 2 * n_m), dtype=np.float64)
    n_f = params.flicker_taus.size
    flk_a = np.empty((len(reads), n_f), dtype=np.float64)
    flk_s1 = np.empty((len(reads), n_f), dtype=np.float64)
    for w, (n_full, n_steps, rem, t_end) in enumerate(reads):
        h_last = (n_full - ((n_steps - 1) // n_sub) * n_sub) * dt + rem
        s_last[w] = _block_std(q, params.psd_rate, min(h_last, h))
        span = max(gap - t_base + t_end, 0.0)
        flk_a[w] = np.exp(-span / params.flicker_taus)
        flk_s1[w] = params.flicker_sigma * np.sqrt(-np.expm1(-2.0 * span / params.flicker_taus))
    flk_stat = np.full(n_f, params.flicker_sigma)
    n_full_read = np.array([r[0] for r in reads], dtype=np.int64)[win_read]
    n_steps_read = np.array([r[1] for r in reads], dtype=np.int64)[win_read]
    rem_read = np.array([r[2] for r in reads], dtype=np.float64)[win_read]

    rec_slot, rc, rec_read, tr_shape = _recording(
        record_samples, record_columns, n_m, reads, win_read, " (signed outputs)"
    )
    tr_exc = np.full(tr_shape, np.nan)
    tr_inh = np.full(tr_shape, np.nan)

    out = np.empty((n_b, n_m), dtype=np.int32)
    code_read = np.empty((n_b, 2 * n_m), dtype=np.int16)
    code_base = np.empty((n_b, 2 * n_m), dtype=np.int16)
    v_read = np.empty((n_b, 2 * n_m), dtype=np.float64)
    v_base = np.empty((n_b, 2 * n_m), dtype=np.float64)
    lost = np.zeros(n_b, dtype=np.int64)
    _s.simulate_synin_batch(
        ev_ptr,
        ev_row.astype(np.int64),
        ev_act.astype(np.int64),
        ev_time.astype(np.float64),
        sample_index,
        params.a_line,
        params.drv_gain,
        params.drv_offset,
        params.lin,
        params.col64,
        params.sc,
        params.ssc,
        params.ysc,
        t_base,
        win_read,
        n_full_read,
        n_steps_read,
        rem_read,
        s_last,
        flk_a,
        flk_s1,
        flk_stat,
        params.quadrant,
        params.adc_dev,
        rec_slot,
        rc,
        out,
        code_read,
        code_base,
        v_read,
        v_base,
        tr_exc,
        tr_inh,
        lost,
        _chunk_size(n_b),
    )
    _check_no_edge_lost(lost, sample_index)
    traces = None
    if rec_read is not None:  # recording
        time = np.arange(tr_shape[2], dtype=np.float64) * dt
        time[-1] = rec_read[3]
        traces = Traces(time, tr_exc, tr_inh, tr_exc - tr_inh)
    return HalfResult(out, code_read, code_base, v_read, v_base, traces)


def simulate_synin(
    ev_ptr,
    ev_row,
    ev_act,
    ev_time,
    weights,
    *,
    t_read,
    t_baseline,
    sample_index=None,
    record_samples=None,
    record_columns=None,
    t_gap=None,
    **parameters,
) -> HalfResult:
    """``run_synin(synin_params(weights, **parameters), ev_ptr, ev_row, ev_act, ev_time, ...)``:
    one half in the synaptic-input readout (model.md section 13)."""
    return run_synin(
        synin_params(weights, **parameters),
        ev_ptr,
        ev_row,
        ev_act,
        ev_time,
        t_read=t_read,
        t_baseline=t_baseline,
        sample_index=sample_index,
        record_samples=record_samples,
        record_columns=record_columns,
        t_gap=t_gap,
    )
