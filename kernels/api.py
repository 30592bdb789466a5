"""The public wrapper: validates arrays and scalars, precomputes per-column coefficients,
allocates the outputs and calls the batch kernel."""

from __future__ import annotations

import inspect
import math
import operator
import threading
from typing import NamedTuple

import numba
import numpy as np

from . import half as _h

#: Largest dt / tau_syn the kernel accepts (its line-response series are exact to float32
#: rounding up to 0.5).
MAX_DT_OVER_TAU = 0.5


class Traces(NamedTuple):
    """Recorded waveforms of selected (sample, column) pairs during the read window.

    ``time`` [T] (s): 0, dt, 2 dt, ..., n_full dt and finally t_read. ``v_exc``, ``v_inh``
    [S, C, T] (V): the line voltages seen by the OTAs (the step mean over the step that ends at
    ``time``, limited to ``v_line_max``, including line noise; the OTA offsets and the flicker
    noise, input-referred, are not part of the line). ``v_mem`` [S, C, T] (V): the membrane voltage at ``time``.
    Points before the start of the stepped part (the closed-form prephase, see
    ``closed_form_prephase``) are NaN; a sample without pulse edges has no stepped part (all NaN
    but the read). S follows ``record_samples``, C ``record_columns``.
    """

    time: np.ndarray
    v_exc: np.ndarray
    v_inh: np.ndarray
    v_mem: np.ndarray


class HalfResult(NamedTuple):
    """Result of :func:`simulate_half` for a batch of B vectors and M columns."""

    output: np.ndarray  #: int32 [B, M]: clip(code_read - code_baseline, out_min, out_max)
    code_read: np.ndarray  #: int16 [B, M]: ADC code of the read conversion (0..adc_max)
    code_baseline: np.ndarray  #: int16 [B, M]: ADC code of the baseline conversion (0..adc_max)
    v_read: np.ndarray  #: float64 [B, M]: membrane voltage (V) at t_read, before the ADC
    v_baseline: np.ndarray  #: float64 [B, M]: membrane voltage (V) at t_baseline
    traces: Traces | None  #: recorded waveforms, or None


def _arr(name, value, ndim, kinds, shape=None):
    """Check an array argument: ndim, dtype kind and (optionally) exact shape."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {value.shape}")
    if value.dtype.kind not in kinds:
        allowed = {"i": "signed integer", "u": "unsigned integer", "f": "floating"}
        names = " or ".join(allowed[k] for k in kinds)
        raise TypeError(f"{name} must have a {names} dtype, got {value.dtype}")
    if shape is not None and value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    return value


def _float_vec(name, value, m):
    """A per-column (or per-row) float array of length m, as float64."""
    v = _arr(name, value, 1, "fiu", (m,)).astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(
            f"{name} must be finite, got non-finite values at {np.flatnonzero(~np.isfinite(v))[:5]}"
        )
    return v


def _positive(name, value, allow_inf=False):
    v = float(value)
    if not (v > 0.0) or (math.isinf(v) and not allow_inf) or math.isnan(v):
        extra = " (inf allowed)" if allow_inf else ""
        raise ValueError(f"{name} must be a positive finite number{extra}, got {value!r}")
    return v


def _nonneg(name, value):
    v = float(value)
    if not (v >= 0.0) or math.isinf(v):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _finite(name, value):
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _column_value(name, value, m, unit, default=None):
    """A per-column float [M] given as a number (the same for every column), an array of
    length m, or None (``default``, a number); as float64."""
    if value is None:
        value = default
    if np.ndim(value) == 0:
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(
                f"{name} must be finite ({unit}; one number or one per column, float [{m}]), "
                f"got {value!r}"
            )
        return np.full(m, v)
    return _float_vec(name, np.asarray(value) if isinstance(value, list) else value, m)


def _column_tau_leak(value, m):
    """tau_leak as float64 [M]: one number (every column) or one per column, each > 0 (s;
    ``inf``: no leak)."""
    what = f"s; one number or one per column, float [{m}]; inf: no leak"
    if np.ndim(value) == 0:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"tau_leak must be a number or an array ({what}), got {type(value).__name__}"
            ) from None
        if not v > 0.0:
            raise ValueError(f"tau_leak must be > 0 ({what}), got {value!r}")
        return np.full(m, v)
    v = _arr("tau_leak", np.asarray(value) if isinstance(value, list) else value, 1, "fiu", (m,))
    v = v.astype(np.float64)
    if not np.all(v > 0.0):
        c = int(np.argmin(np.where(np.isnan(v), -np.inf, v)))
        raise ValueError(f"tau_leak must be > 0 in every column ({what}); column {c}: {v[c]!r}")
    return v


def _bounded(name, value, lo, hi, what, hi_open=True):
    """A float in [lo, hi) (or [lo, hi]) with a message that says what it is and how to fix it."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number ({what}), got {type(value).__name__}") from None
    ok = lo <= v < hi if hi_open else lo <= v <= hi
    if not ok or math.isnan(v):
        bracket = ")" if hi_open else "]"
        raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}{bracket} ({what}), got {value!r}")
    return v


def _int_in(name, value, lo, hi, what):
    """An integer lo..hi (bool refused) with a message that says what it is."""
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer ({what}), got {type(value).__name__} {value!r}"
        ) from None
    if isinstance(value, bool) or not lo <= v <= hi:
        raise ValueError(f"{name} must be an integer in {lo}..{hi} ({what}), got {value!r}")
    return int(v)


def flicker_taus(tau_min, tau_max, n_components):
    """Time constants (s) of the K OU components of the flicker noise: geometric from
    ``tau_min`` to ``tau_max`` (ratio r = (tau_max / tau_min) ** (1 / (K - 1)))."""
    return tau_min * (tau_max / tau_min) ** (np.arange(n_components) / (n_components - 1))


def flicker_sigma(psd_1mhz, tau_min, tau_max, n_components):
    """Stationary std (V) of each flicker component, sqrt(K_f ln r), K_f = psd_1mhz * 1e6 Hz:
    the sum of the K components then has the one-sided PSD K_f / f between about
    1 / (2 pi tau_max) and 1 / (2 pi tau_min)."""
    ratio = (tau_max / tau_min) ** (1.0 / (n_components - 1))
    return math.sqrt(psd_1mhz * 1e6 * math.log(ratio))


def flicker_block_coefficients(taus, sigma, h):
    """float64 [N_FLK, K]: exact OU block coefficients of the K flicker components (stationary
    std ``sigma``, normalized or in V) over a block of length ``h`` (s), the K residual terms of
    the block mean combined into one normal (row F_M2, the same in every entry)."""
    a, s1, m0, m1, m2 = _ou_block(taus, sigma, h)
    out = np.empty((_h.N_FLK, taus.size), dtype=np.float64)
    out[_h.F_A], out[_h.F_S1], out[_h.F_M0], out[_h.F_M1] = a, s1, m0, m1
    out[_h.F_M2] = math.sqrt(float(np.sum(m2**2)))
    return out


def _phi(r, t):
    """(1 - exp(-r t)) / r elementwise, t where r = 0."""
    r = np.asarray(r, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = -np.expm1(-r * t) / r
    return np.where(r == 0.0, t, v)


def _phi_columns(r, t):
    """_phi(r, t) of a rate per column (float [M]), evaluated once per distinct rate: the same
    numbers for columns that share a rate as for one scalar rate."""
    values, index = np.unique(r, return_inverse=True)
    return np.array([float(_phi(v, t)) for v in values])[index.reshape(-1)]


def _line_coefficients(tau, step):
    """(a, b, mu, gamma, tau^2/step) of an exact line step of length ``step`` (s)."""
    x = step / tau
    e1 = -np.expm1(-x)
    g = x + np.expm1(-x)
    return np.exp(-x), tau * e1, tau * e1 / step, tau * tau * g / step, tau * tau / step


def _ou_block(tau, sigma_n, h):
    """Coefficients (A, S1, M0, M1, M2) of the exact OU block update of length h.

    n_end = A n_0 + S1 z1,  mean over the block = M0 n_0 + M1 z1 + M2 z2.
    """
    a = np.exp(-h / tau)
    one_a = -np.expm1(-h / tau)
    s1 = sigma_n * np.sqrt(-np.expm1(-2.0 * h / tau))
    cov = sigma_n**2 * tau * one_a**2  # Cov(n_end, integral)
    var_int = sigma_n**2 * tau * (2.0 * h - 2.0 * tau * one_a - tau * one_a**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        m1 = np.where(s1 > 0, cov / np.where(s1 > 0, s1, 1.0) / h, 0.0)
        resid = np.where(s1 > 0, var_int - cov**2 / np.where(s1 > 0, s1, 1.0) ** 2, 0.0)
    m2 = np.sqrt(np.maximum(resid, 0.0)) / h
    return a, s1, tau * one_a / h, m1, m2


def _grid(t_end, dt):
    """(n_full, n_steps, rem, t_end snapped) of a window that ends at ``t_end`` (s): ``n_full``
    full steps of ``dt``, then a last step of ``rem`` (s, 0 < rem < dt) if ``rem > 0``. Placed by
    the kernel's own :func:`kernels.half.grid_position`, so a ``t_end`` within
    ``GRID_SNAP * dt`` of a grid point ends exactly on it (``rem = 0``, ``t_end = n_full * dt``),
    and an edge counts as before the read exactly when it falls in one of the steps."""
    k, s = _h.grid_position(float(t_end), float(dt))
    k = int(k)
    if s > 0.0:
        return k, k + 1, float(s), t_end
    return k, k, 0.0, k * dt


def _chunk_size(n_b):
    """Samples per chunk of the batch kernel: up to 32 (the per-chunk buffers and prephase
    coefficients are reused), and at least 8 chunks per thread for the load balance. The results
    do not depend on it."""
    return max(1, min(32, n_b // (8 * numba.get_num_threads())))


def _check_no_edge_lost(lost, sample_index):
    """The kernel integrates every pulse edge exactly once; if its own count says otherwise, the
    results are wrong and must not be returned."""
    if np.any(lost):
        bad = np.flatnonzero(lost)
        raise RuntimeError(
            f"kernels.simulate_half: {int(lost.sum())} pulse edge(s) of {bad.size} sample(s) "
            f"(sample_index {sample_index[bad[:5]].tolist()}) fell outside the integrated steps. "
            "This is a bug in kernels/half.py, not in the arguments: please report it with the "
            "event times, dt, t_read, t_baseline and noise_substeps of these samples"
        )


class HalfParams(NamedTuple):
    """One half, validated and turned into the kernel's coefficient tables once: everything
    :func:`run_half` needs besides the events and the read times. Build it with
    :func:`half_params`; it is immutable (a NamedTuple of arrays and scalars, SI units) and can be
    reused for any number of batches and read times."""

    n_k: int  #: inputs (rows of the weights)
    n_m: int  #: columns
    dt: float  #: integration step (s)
    t_lsb: float  #: pulse length per activation step (s)
    act_max: int  #: largest activation (events are checked against 1..act_max)
    n_sub: int  #: steps per noise block
    a_exc: np.ndarray  #: float32 [K, M]: excitatory line rate per pulse (1/s, normalized)
    a_inh: np.ndarray  #: float32 [K, M]: inhibitory line rate per pulse (1/s, normalized)
    drv_gain: np.ndarray  #: float64 [K]: relative pulse-length gain per driver
    drv_offset: np.ndarray  #: float64 [K]: pulse-length offset per driver (s)
    col32: np.ndarray  #: float32 [N_COL32, M]: per-column coefficients of a full step and block
    col64: np.ndarray  #: float64 [N_COL64, M]: prephase and ADC coefficients
    tau_syn: np.ndarray  #: float64 [M]: excitatory line time constant (s)
    gm: np.ndarray  #: float64 [M]: excitatory OTA transconductance (S)
    v_lin: float  #: linear input range of the OTA (V)
    c_m: float  #: membrane capacitance (F)
    drift: np.ndarray  #: float64 [M]: I_off / C_m + lambda (v_leak,c - v_reset) (V/s)
    ota_rate: np.ndarray  #: float64 [M]: membrane variance rate of the OTA noise (V^2/s)
    lam: np.ndarray  #: float64 [M]: 1 / tau_leak of each column (1/s), 0 for no leak
    sigma_n: float  #: stationary std of the normalized line noise
    sc: np.ndarray  #: float64 [N_SC]: kernel scalars (the per-window entries are unused)
    isc: np.ndarray  #: int64 [N_ISC]: kernel integer scalars (the per-window entries unused)
    tau_syn_inh: np.ndarray  #: float64 [M]: inhibitory line time constant (s)
    gm_inh: np.ndarray  #: float64 [M]: inhibitory OTA transconductance (S)
    flicker_taus: np.ndarray  #: float64 [K_f]: time constants of the flicker components (s)
    flicker_sigma_n: float  #: stationary std of one normalized flicker component
    flicker_steps: int  #: steps per flicker block (noise_substeps * flicker_blocks)
    quadrant: np.ndarray  #: int64 [M]: quadrant of each column
    adc_dev: np.ndarray  #: float64 [Q, adc_max]: CADC threshold deviations (codes)
    adc_max: int  #: largest ADC code


def _check_run_options(out_min, out_max, noise_seed, stream):
    """The output range, the noise seed (0..2**64-1) and the stream (0..2**32-1), checked:
    (out_min, out_max, seed, stream) as Python ints."""
    out_min, out_max = int(out_min), int(out_max)
    if out_min > out_max:
        raise ValueError(f"out_min ({out_min}) must be <= out_max ({out_max})")
    try:
        seed = operator.index(noise_seed)
    except TypeError:
        raise TypeError(
            f"noise_seed must be an integer, got {type(noise_seed).__name__} {noise_seed!r}"
        ) from None
    if isinstance(noise_seed, bool) or not 0 <= seed < 2**64:
        raise ValueError(f"noise_seed must lie in 0..2**64-1, got {noise_seed!r}")
    stream = int(stream)
    if not 0 <= stream < 2**32:
        raise ValueError(f"stream must lie in 0..2**32-1, got {stream!r}")
    return out_min, out_max, seed, stream


def half_params(
    weights,
    *,
    syn_gain,
    drv_gain,
    drv_offset,
    gm,
    tau_syn,
    i_offset,
    v_rail_hi,
    v_rail_lo,
    adc_offset,
    adc_lsb,
    dt,
    t_lsb,
    i_lsb,
    c_syn,
    c_m,
    v_lin,
    tau_leak,
    v_reset,
    v_leak,
    v_adc_lo,
    v_compliance,
    sigma_line=0.0,
    ota_noise_psd=0.0,
    sigma_jitter=0.0,
    sigma_adc=0.0,
    noise=True,
    noise_seed=0,
    stream=0,
    out_min=-128,
    out_max=127,
    noise_substeps=32,
    closed_form_prephase=True,
    weight_min=-63,
    weight_max=63,
    act_max=31,
    gm_inh=None,
    tau_syn_inh=None,
    v_offset_exc=None,
    v_offset_inh=None,
    v_line_max=math.inf,
    sigma_bias=0.0,
    sigma_bias_common=0.0,
    sigma_gm=0.0,
    quadrant=None,
    flicker_psd_1mhz=0.0,
    flicker_tau_min=1e-6,
    flicker_tau_max=1e-3,
    flicker_components=5,
    flicker_blocks=4,
    sigma_ramp=0.0,
    adc_max=255,
    adc_dev=None,
) -> HalfParams:
    """Validate the parameters of one half and build its coefficient tables (see
    :mod:`kernels` for the arguments; they are those of :func:`simulate_half` without the events,
    the read times, ``sample_index`` and the recording).

    Everything but the weights' rows (``weights``, ``syn_gain``, ``drv_gain``, ``drv_offset``)
    and the random stream (``noise_seed``, ``stream``) is kept from an earlier call with the same
    arguments (:func:`_half_columns`, kept by their bytes in ``_COLUMNS``): a half of the same
    columns, knobs and noise settings with other weights or another seed builds only its
    weight tables (about 0.15 ms for 128 x 256 instead of 0.7 ms)."""
    arguments = dict(locals())  # the arguments as given, before any is checked
    # ---- weights and the rows' fixed pattern ------------------------------------------------
    weights = _arr("weights", weights, 2, "iu")
    n_k, n_m = weights.shape
    if n_k < 1 or n_m < 1:
        raise ValueError(f"weights must have shape (K, M) with K, M >= 1, got {weights.shape}")
    if weights.size and (weights.min() < weight_min or weights.max() > weight_max):
        raise ValueError(
            f"weights must lie in {weight_min}..{weight_max} (weight_min.."
            f"weight_max), got values in {weights.min()}..{weights.max()}"
        )
    syn_gain = _arr("syn_gain", syn_gain, 2, "f", (n_k, n_m))
    drv_gain = _float_vec("drv_gain", drv_gain, n_k)
    drv_offset = _float_vec("drv_offset", drv_offset, n_k)
    # ---- the columns (kept) ---------------------------------------------------------------
    columns = {name: arguments[name] for name in _COLUMN_ARGS}
    key = _arguments_key(columns)
    if key is None:  # an argument without bytes of its own: computed, not kept
        col = _half_columns(n_m, **columns)
    else:
        col = _COLUMNS.get((n_m, key), lambda: _half_columns(n_m, **columns))
    # ---- the weights' tables ----------------------------------------------------------------
    w = weights.astype(np.float64)
    scale = col.i_lsb * syn_gain.astype(np.float64) / (col.c_syn * col.v_lin)
    a_exc = np.ascontiguousarray(np.maximum(w, 0.0) * scale, dtype=np.float32)
    a_inh = np.ascontiguousarray(np.maximum(-w, 0.0) * scale, dtype=np.float32)
    for a in (a_exc, a_inh, drv_gain, drv_offset):
        a.setflags(write=False)
    params = HalfParams(
        n_k,
        n_m,
        col.dt,
        col.t_lsb,
        col.act_max,
        col.n_sub,
        a_exc,
        a_inh,
        drv_gain,
        drv_offset,
        col.col32,
        col.col64,
        col.tau_syn,
        col.gm,
        col.v_lin,
        col.c_m,
        col.drift,
        col.ota_rate,
        col.lam,
        col.sigma_n,
        col.sc,
        col.isc,
        col.tau_syn_inh,
        col.gm_inh,
        col.flicker_taus,
        col.flicker_sigma_n,
        col.flicker_steps,
        col.quadrant,
        col.adc_dev,
        col.adc_max,
    )
    return reseed(params, noise_seed, stream)  # the random stream: the integer scalars


def reseed(params, noise_seed, stream):
    """The prepared half ``params`` (a :class:`HalfParams` or :class:`kernels.SyninParams`) with
    another random stream: what :func:`half_params` (:func:`kernels.synin_params`) returns for
    the same arguments with ``noise_seed`` (an integer in 0..2**64-1) and ``stream`` (0..2**32-1)
    instead. Its tables are shared with ``params`` (read-only), only the integer scalars are
    new: a caller that keeps the prepared halves of its weights runs them with a fresh seed per
    call without building them again."""
    from . import synin as _s
    from .synin_api import SyninParams

    if isinstance(params, HalfParams):
        field, lo, hi, st = "isc", _h.I_SEED_LO, _h.I_SEED_HI, _h.I_STREAM
    elif isinstance(params, SyninParams):
        field, lo, hi, st = "ysc", _s.Z_SEED_LO, _s.Z_SEED_HI, _s.Z_STREAM
    else:
        raise TypeError(
            f"params must be a kernels.HalfParams or kernels.SyninParams (from half_params or "
            f"synin_params), got {type(params).__name__}"
        )
    _, _, seed, stream = _check_run_options(0, 0, noise_seed, stream)
    ints = getattr(params, field).copy()
    ints[lo] = seed & 0xFFFFFFFF
    ints[hi] = seed >> 32
    ints[st] = stream
    ints.setflags(write=False)
    return params._replace(**{field: ints})


class _Columns(NamedTuple):
    """What :func:`half_params` builds from everything but the weights' rows and the random
    stream (see :class:`HalfParams` for the fields; ``isc`` without seed and stream; ``i_lsb``
    (A) and ``c_syn`` (F) checked, for the weights' tables). Read-only."""

    dt: float
    t_lsb: float
    act_max: int
    n_sub: int
    col32: np.ndarray
    col64: np.ndarray
    tau_syn: np.ndarray
    gm: np.ndarray
    v_lin: float
    c_m: float
    drift: np.ndarray
    ota_rate: np.ndarray
    lam: np.ndarray
    sigma_n: float
    sc: np.ndarray
    isc: np.ndarray
    tau_syn_inh: np.ndarray
    gm_inh: np.ndarray
    flicker_taus: np.ndarray
    flicker_sigma_n: float
    flicker_steps: int
    quadrant: np.ndarray
    adc_dev: np.ndarray
    adc_max: int
    i_lsb: float
    c_syn: float


def _half_columns(
    n_m,
    *,
    gm,
    tau_syn,
    i_offset,
    v_rail_hi,
    v_rail_lo,
    adc_offset,
    adc_lsb,
    dt,
    t_lsb,
    i_lsb,
    c_syn,
    c_m,
    v_lin,
    tau_leak,
    v_reset,
    v_leak,
    v_adc_lo,
    v_compliance,
    sigma_line,
    ota_noise_psd,
    sigma_jitter,
    sigma_adc,
    noise,
    out_min,
    out_max,
    noise_substeps,
    closed_form_prephase,
    act_max,
    gm_inh,
    tau_syn_inh,
    v_offset_exc,
    v_offset_inh,
    v_line_max,
    sigma_bias,
    sigma_bias_common,
    sigma_gm,
    quadrant,
    flicker_psd_1mhz,
    flicker_tau_min,
    flicker_tau_max,
    flicker_components,
    flicker_blocks,
    sigma_ramp,
    adc_max,
    adc_dev,
) -> _Columns:
    """Check the arguments of :func:`half_params` that describe the ``n_m`` columns, the
    knobs and the noise settings, and build their tables (:class:`_Columns`). A pure function of
    its arguments: :func:`half_params` keeps its results by the arguments' bytes."""
    gm = _float_vec("gm", gm, n_m)
    tau_syn = _float_vec("tau_syn", tau_syn, n_m)
    gm_inh = gm.copy() if gm_inh is None else _float_vec("gm_inh", gm_inh, n_m)
    tau_inh = tau_syn.copy() if tau_syn_inh is None else _float_vec("tau_syn_inh", tau_syn_inh, n_m)
    i_offset = _float_vec("i_offset", i_offset, n_m)
    v_rail_hi = _float_vec("v_rail_hi", v_rail_hi, n_m)
    v_rail_lo = _float_vec("v_rail_lo", v_rail_lo, n_m)
    adc_offset = _float_vec("adc_offset", adc_offset, n_m)
    adc_lsb = _float_vec("adc_lsb", adc_lsb, n_m)
    v_os_e = (
        np.zeros(n_m) if v_offset_exc is None else _float_vec("v_offset_exc", v_offset_exc, n_m)
    )
    v_os_i = (
        np.zeros(n_m) if v_offset_inh is None else _float_vec("v_offset_inh", v_offset_inh, n_m)
    )
    if np.any(gm < 0):
        raise ValueError("gm must be >= 0 (S)")
    if np.any(gm_inh < 0):
        raise ValueError(
            "gm_inh must be >= 0 (S; the inhibitory OTA transconductance, None: the same as gm)"
        )
    if np.any(tau_syn <= 0):
        raise ValueError("tau_syn must be > 0 (s)")
    if np.any(tau_inh <= 0):
        raise ValueError(
            "tau_syn_inh must be > 0 (s; the inhibitory line time constant, None: the same as "
            "tau_syn)"
        )
    if np.any(adc_lsb <= 0):
        raise ValueError("adc_lsb must be > 0 (V per code)")
    # ---- scalars --------------------------------------------------------------------------
    dt = _positive("dt", dt)
    t_lsb = _positive("t_lsb", t_lsb)
    i_lsb = _nonneg("i_lsb", i_lsb)
    c_syn = _positive("c_syn", c_syn)
    c_m = _positive("c_m", c_m)
    v_lin = _positive("v_lin", v_lin)
    tau_leak = _column_tau_leak(tau_leak, n_m)
    v_reset = _finite("v_reset", v_reset)
    v_leak_c = _column_value("v_leak", v_leak, n_m, "V")
    v_adc_lo = _finite("v_adc_lo", v_adc_lo)
    v_compliance = _positive("v_compliance", v_compliance)
    sigma_line = _nonneg("sigma_line", sigma_line)
    ota_noise_psd = _nonneg("ota_noise_psd", ota_noise_psd)
    sigma_jitter = _nonneg("sigma_jitter", sigma_jitter)
    sigma_adc = _nonneg("sigma_adc", sigma_adc)
    try:
        v_line_max = float(v_line_max)
    except (TypeError, ValueError):
        raise TypeError(
            f"v_line_max must be a number (V; the bound of every synaptic line voltage, "
            f"math.inf: unbounded), got {type(v_line_max).__name__}"
        ) from None
    if not v_line_max > 0.0:
        raise ValueError(
            f"v_line_max must be > 0 (V; the bound of every synaptic line voltage, math.inf: "
            f"unbounded), got {v_line_max!r}"
        )
    sigma_bias = _bounded(
        "sigma_bias",
        sigma_bias,
        0.0,
        0.5,
        "relative std of the per-vector synaptic current factor of a column; 0 turns it off",
    )
    sigma_bias_common = _bounded(
        "sigma_bias_common",
        sigma_bias_common,
        0.0,
        0.5,
        "relative std of the per-vector "
        "synaptic current factor common to a quadrant; 0 turns it off",
    )
    sigma_gm = _bounded(
        "sigma_gm",
        sigma_gm,
        0.0,
        0.5,
        "relative std of the per-vector OTA bias factor of each path of a column; 0 turns it off",
    )
    sigma_ramp = _nonneg("sigma_ramp", sigma_ramp)
    flicker_psd_1mhz = _nonneg("flicker_psd_1mhz", flicker_psd_1mhz)
    flicker_components = _int_in(
        "flicker_components",
        flicker_components,
        2,
        _h.MAX_FLICKER_COMPONENTS,
        "number of OU processes summed to the 1/f noise",
    )
    flicker_blocks = _int_in(
        "flicker_blocks", flicker_blocks, 1, 2**20, "noise blocks per flicker block"
    )
    flicker_tau_min = _positive("flicker_tau_min", flicker_tau_min)
    flicker_tau_max = _positive("flicker_tau_max", flicker_tau_max)
    if not flicker_tau_max > flicker_tau_min:
        raise ValueError(
            f"flicker_tau_max ({flicker_tau_max:g} s) must be > flicker_tau_min "
            f"({flicker_tau_min:g} s): the 1/f band of the flicker noise runs from about "
            "1 / (2 pi flicker_tau_max) to 1 / (2 pi flicker_tau_min)"
        )
    adc_max = _int_in("adc_max", adc_max, 1, 32767, "largest ADC code; codes are 0..adc_max")
    if quadrant is None:
        quadrant = np.zeros(n_m, dtype=np.int64)
    else:
        quadrant = _arr("quadrant", quadrant, 1, "iu", (n_m,)).astype(np.int64)
        if quadrant.min() < 0:
            raise ValueError(
                f"quadrant must be >= 0 (the quadrant of each column, int [{n_m}]), got "
                f"{quadrant.min()}"
            )
    n_q = int(quadrant.max()) + 1
    if adc_dev is None:
        adc_dev = np.zeros((n_q, adc_max), dtype=np.float64)
    else:
        adc_dev = _arr("adc_dev", adc_dev, 2, "fiu").astype(np.float64)
        if adc_dev.shape[1] != adc_max or adc_dev.shape[0] < n_q:
            raise ValueError(
                f"adc_dev must have shape (Q, adc_max) = (Q, {adc_max}) with Q > max(quadrant) "
                f"= {n_q - 1} (one row of threshold deviations per quadrant, codes), got "
                f"{adc_dev.shape}"
            )
        if not np.all(np.isfinite(adc_dev)):
            raise ValueError("adc_dev must be finite (threshold deviations, codes)")
        steps = np.diff(adc_dev, axis=1) + 1.0
        if adc_max > 1 and not np.all(steps > 0.0):
            q, k = np.argwhere(~(steps > 0.0))[0]
            raise ValueError(
                "adc_dev must keep the CADC thresholds k - 0.5 + adc_dev[q, k-1] strictly "
                "increasing in k (adc_dev[q, k] - adc_dev[q, k-1] > -1 code); quadrant "
                f"{q}: threshold {k + 2} ({k + 1.5 + adc_dev[q, k + 1]:g}) is not above "
                f"threshold {k + 1} ({k + 0.5 + adc_dev[q, k]:g})"
            )
    tau_lo, tau_lo_name = min((tau_syn.min(), "tau_syn"), (tau_inh.min(), "tau_syn_inh"))
    if dt > MAX_DT_OVER_TAU * tau_lo:
        raise ValueError(
            f"dt must be <= {MAX_DT_OVER_TAU} * min({tau_lo_name}) = "
            f"{MAX_DT_OVER_TAU * tau_lo:.4g} s, got {dt:.4g} s"
        )
    with np.errstate(divide="ignore"):
        lam = np.where(np.isinf(tau_leak), 0.0, 1.0 / tau_leak)
    if np.any(lam >= 0.5 / max(tau_syn.max(), tau_inh.max())):
        raise ValueError(
            f"tau_leak must be > 2 * max(tau_syn) = {2 * max(tau_syn.max(), tau_inh.max()):.4g} s "
            f"in every column (the leak is slow), got {tau_leak.min():.4g} s"
        )
    if np.any(v_rail_hi - v_reset <= 0) or np.any(v_reset - v_rail_lo <= 0):
        raise ValueError("v_rail_lo < v_reset < v_rail_hi must hold for every column")
    n_sub = int(noise_substeps)
    if n_sub < 1 or n_sub != noise_substeps:
        raise ValueError(f"noise_substeps must be an integer >= 1, got {noise_substeps!r}")
    out_min, out_max, _, _ = _check_run_options(out_min, out_max, 0, 0)

    # ---- coefficient tables ------------------------------------------------------------------
    noise = bool(noise)
    flags = _h.FLAG_CLOSED_FORM if closed_form_prephase else 0
    if noise and sigma_line > 0:
        flags |= _h.FLAG_LINE_NOISE
    if noise and ota_noise_psd > 0:
        flags |= _h.FLAG_OTA_NOISE
    if noise and sigma_jitter > 0:
        flags |= _h.FLAG_JITTER
    if noise and sigma_adc > 0:
        flags |= _h.FLAG_ADC_NOISE
    if noise and flicker_psd_1mhz > 0:
        flags |= _h.FLAG_FLICKER
    if noise and (sigma_bias > 0 or sigma_bias_common > 0 or sigma_gm > 0):
        flags |= _h.FLAG_BIAS
    if noise and sigma_ramp > 0:
        flags |= _h.FLAG_RAMP
    if np.any(gm != gm_inh):
        flags |= _h.FLAG_SPLIT_GM
    if np.any(tau_syn != tau_inh):
        flags |= _h.FLAG_SPLIT_TAU
    if np.any(tau_leak != tau_leak[0]):
        flags |= _h.FLAG_SPLIT_LEAK
    sigma_n = sigma_line / v_lin
    drift = i_offset / c_m + lam * (v_leak_c - v_reset)
    # the OTA offsets inside the tanh: their currents at rest, in the prephase's drift
    os_e = v_os_e / v_lin
    os_i = v_os_i / v_lin
    drift_all = drift + (gm * np.tanh(os_e) - gm_inh * np.tanh(os_i)) * v_lin / c_m
    ota_rate = 0.5 * ota_noise_psd * ((gm + gm_inh) * 0.5) / c_m**2  # V^2/s
    h = n_sub * dt
    g_max = np.maximum(gm, gm_inh)
    g_ref = np.where(g_max > 0, g_max, 1.0)

    col32 = np.empty((_h.N_COL32, n_m), dtype=np.float64)
    _step_and_block_rows(
        col32, tau_syn, tau_inh, g_max, v_lin, c_m, drift, lam, ota_rate, sigma_n, dt, h
    )
    col32[_h.C_TAU_E] = tau_syn
    col32[_h.C_Q_E] = 1.0 / tau_syn
    col32[_h.C_TAU_I] = tau_inh
    col32[_h.C_Q_I] = 1.0 / tau_inh
    col32[_h.C_RE] = np.where(g_max > 0, gm / g_ref, 0.0)
    col32[_h.C_RI] = np.where(g_max > 0, gm_inh / g_ref, 0.0)
    col32[_h.C_YHI] = v_rail_hi - v_reset
    col32[_h.C_YLO] = v_rail_lo - v_reset
    col32[_h.C_OS_E] = os_e
    col32[_h.C_OS_I] = os_i
    _quiet_block_rows(col32, tau_syn, tau_inh, lam, dt, n_sub)

    col64 = np.empty((_h.N_COL64, n_m), dtype=np.float64)
    col64[_h.D_Q_E] = 1.0 / tau_syn
    col64[_h.D_Q_I] = 1.0 / tau_inh
    col64[_h.D_GV_E] = gm * v_lin / c_m / np.cosh(os_e) ** 2
    col64[_h.D_GV_I] = gm_inh * v_lin / c_m / np.cosh(os_i) ** 2
    col64[_h.D_OTA] = ota_rate
    col64[_h.D_DRIFT] = drift_all
    col64[_h.D_YHI] = v_rail_hi - v_reset
    col64[_h.D_YLO] = v_rail_lo - v_reset
    col64[_h.D_ADC_SLOPE] = 1.0 / adc_lsb
    col64[_h.D_ADC_ZERO] = (v_reset - v_adc_lo) / adc_lsb + adc_offset
    col64[_h.D_G_E] = gm * v_lin / c_m
    col64[_h.D_G_I] = gm_inh * v_lin / c_m
    col64[_h.D_OS_E] = os_e
    col64[_h.D_OS_I] = os_i
    col64[_h.D_LAM] = lam

    taus = flicker_taus(flicker_tau_min, flicker_tau_max, flicker_components)
    sigma_f = flicker_sigma(flicker_psd_1mhz, flicker_tau_min, flicker_tau_max, flicker_components)
    sigma_fn = sigma_f / v_lin

    sc = np.zeros(_h.N_SC, dtype=np.float64)
    sc[_h.S_DT] = dt
    sc[_h.S_T_LSB] = t_lsb
    sc[_h.S_SIGMA_N] = sigma_n
    sc[_h.S_WIDTH] = v_compliance
    sc[_h.S_SIGMA_JIT] = sigma_jitter
    sc[_h.S_SIGMA_ADC] = sigma_adc
    sc[_h.S_V_LIN] = v_lin
    sc[_h.S_V_RESET] = v_reset
    sc[_h.S_X_MAX] = v_line_max / v_lin
    sc[_h.S_SIGMA_F] = sigma_fn
    sc[_h.S_SIGMA_BIAS] = sigma_bias
    sc[_h.S_SIGMA_BIAS_Q] = sigma_bias_common
    sc[_h.S_SIGMA_GM] = sigma_gm
    sc[_h.S_SIGMA_RAMP] = sigma_ramp
    isc = np.zeros(_h.N_ISC, dtype=np.int64)
    isc[_h.I_N_SUB] = n_sub
    isc[_h.I_OUT_MIN] = out_min
    isc[_h.I_OUT_MAX] = out_max
    isc[_h.I_FLAGS] = flags
    isc[_h.I_N_FLK] = flicker_blocks
    isc[_h.I_ADC_MAX] = adc_max

    ota_rate = np.asarray(ota_rate, dtype=np.float64)
    adc_dev = np.ascontiguousarray(adc_dev)
    col32 = np.ascontiguousarray(col32, dtype=np.float32)
    for a in (col32, col64, tau_syn, gm, drift, ota_rate, lam, sc, isc, tau_inh, gm_inh, taus):
        a.setflags(write=False)
    quadrant.setflags(write=False)
    adc_dev.setflags(write=False)
    return _Columns(
        dt,
        t_lsb,
        int(act_max),
        n_sub,
        col32,
        col64,
        tau_syn,
        gm,
        v_lin,
        c_m,
        drift,
        ota_rate,
        lam,
        sigma_n,
        sc,
        isc,
        tau_inh,
        gm_inh,
        taus,
        sigma_fn,
        n_sub * flicker_blocks,
        quadrant,
        adc_dev,
        adc_max,
        i_lsb,
        c_syn,
    )


#: The arguments of :func:`half_params` that :func:`_half_columns` takes (all but the weights'
#: rows, their range and the random stream).
_COLUMN_ARGS = tuple(
    name
    for name, p in inspect.signature(_half_columns).parameters.items()
    if p.kind is p.KEYWORD_ONLY
)


def _arguments_key(values: dict) -> tuple | None:
    """A hashable key of named arguments: each by its type and, as an array, its dtype, shape
    and bytes (so 0.0 and -0.0, or a list and an array, are other keys). None if a value has no
    bytes of its own (an object array holds addresses, not content): such arguments are not
    kept."""
    out: list[tuple] = []
    for name, v in values.items():
        if v is None:
            out.append((name, None))
            continue
        try:
            a = np.asarray(v)
        except (TypeError, ValueError, OverflowError):  # a ragged sequence and the like
            return None
        if a.dtype.hasobject:
            return None
        out.append((name, type(v), a.dtype.str, a.shape, a.tobytes()))
    return tuple(out)


def _step_and_block_rows(
    t, tau_e, tau_i, g_max, v_lin, c_m, drift, lam, ota_rate, sigma_n, step, h
):
    """Fill the rows shared by ``col32`` and ``win32`` (``half.R_*``) of ``t`` for a step of
    length ``step`` (s) and a noise block of length ``h`` (s)."""
    for r_line, r_ou, tau in ((_h.R_A_E, _h.R_OU_A_E, tau_e), (_h.R_A_I, _h.R_OU_A_I, tau_i)):
        t[r_line : r_line + 5] = _line_coefficients(tau, step)  # A, B, MU, GAM, T2DT
        t[r_ou : r_ou + 5] = _ou_block(tau, sigma_n, h)  # A, S1, M0, M1, M2
    t[_h.R_KI] = g_max * v_lin * step / c_m
    t[_h.R_OFF] = drift * step
    t[_h.R_LDT] = lam * step
    t[_h.R_OTA] = np.sqrt(ota_rate * _phi_columns(2 * lam, h))


def _quiet_block_rows(t, tau_e, tau_i, lam, dt, n_sub):
    """Fill the rows ``half.C_QB_*`` of ``t`` (per column) for a full noise block of ``n_sub``
    steps of ``dt`` (s): the block's decays lam^n and a^n, W_0 = sum_k lam^(n-1-k), and per line
    the centre a_c = (1 + a^(n-1)) / 2 of its factors a^k, their largest distance from it
    (1 - a^(n-1)) / 2, and the sums V_j = sum_k lam^(n-1-k) (a^k - a_c)^j the quiet-block closed
    form weights its Taylor terms with (lam = 1 - dt / tau_leak the membrane step's decay,
    a = exp(-dt / tau) the line's, k = 0..n-1)."""
    k = np.arange(n_sub, dtype=np.float64)[:, None]
    lam_step = 1.0 - lam * dt  # [M]: the membrane step's factor of y (y - dt/tau_leak y)
    weight = lam_step[None, :] ** (n_sub - 1 - k)  # [n, M]
    t[_h.C_QB_LAM] = lam_step**n_sub
    t[_h.C_QB_W0] = weight.sum(axis=0)
    rows = (
        (_h.C_QB_AN_E, _h.C_QB_AC_E, _h.C_QB_D_E, _h.C_QB_WE, tau_e),
        (_h.C_QB_AN_I, _h.C_QB_AC_I, _h.C_QB_D_I, _h.C_QB_WI, tau_i),
    )
    for row_an, row_ac, row_d, row_w, tau in rows:
        a = np.exp(-dt / tau)  # [M]
        a_last = a ** (n_sub - 1)
        a_c = 0.5 * (1.0 + a_last)
        t[row_an] = a**n_sub
        t[row_ac] = a_c
        t[row_d] = 0.5 * (1.0 - a_last)
        dev = a[None, :] ** k - a_c[None, :]  # [n, M]
        for j in range(1, _h.QUIET_ORDER + 1):
            t[row_w + j - 1] = (weight * dev**j).sum(axis=0)


class _RowCache:
    """Values kept by what they are computed from: the coefficient rows of a window by the
    bytes of the parameters they depend on and the window, the column tables of a half by the
    bytes of its arguments. A value is a pure function of its key, so a kept value is the value
    that would be computed (bit for bit) and results do not depend on which calls came before;
    the wrapper of a batch of many read times (one per number of events) otherwise recomputes
    the same rows on every call, a chip the same columns on every tile of every call. At most
    ``size`` values (the least recently used dropped); an array is kept read-only (a value of
    another type must be read-only itself)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: dict = {}
        self._lock = threading.Lock()  # runs of several threads share the cache

    def get(self, key, compute):
        with self._lock:
            row = self.rows.pop(key, None)
        if row is None:
            row = compute()  # outside the lock: two threads may compute one value, alike
            if isinstance(row, np.ndarray):
                row.setflags(write=False)
        with self._lock:
            self.rows.pop(key, None)
            while len(self.rows) >= self.size:
                self.rows.pop(next(iter(self.rows)))
            self.rows[key] = row  # the most recently used last
        return row


#: Rows of :func:`_window_table` (float32 [N_WIN32, M], about 25 KiB each for 256 columns) and
#: of :func:`_flicker_table` (float64 [N_FLK, K]).
_WINDOW_ROWS = _RowCache(512)
_FLICKER_ROWS = _RowCache(512)
#: The column tables of :func:`half_params` (:class:`_Columns`, about 100 KiB for 256 columns,
#: and their key of about 30 KiB): a chip of two halves uses a few (one per half and number
#: of columns of its tiles, with and without noise); at most about 8.5 MiB.
_COLUMNS = _RowCache(64)


def _key(*values) -> tuple:
    """A hashable key of numbers and arrays: each array by dtype, shape and bytes."""
    out = []
    for v in values:
        a = np.asarray(v)
        out.append((a.dtype.str, a.shape, a.tobytes()))
    return tuple(out)


def _window_table(params, windows):
    """float32 [len(windows), N_WIN32, M]: the coefficients of the last, possibly shorter step
    and of the last noise block of each window ``(n_full, n_steps, rem)``."""
    dt, n_sub = params.dt, params.n_sub
    g_max = np.maximum(params.gm, params.gm_inh)
    inputs = (
        params.tau_syn,
        params.tau_syn_inh,
        g_max,
        params.v_lin,
        params.c_m,
        params.drift,
        params.lam,
        params.ota_rate,
        params.sigma_n,
    )
    base = _key(dt, n_sub, *inputs)
    table = np.empty((len(windows), _h.N_WIN32, params.n_m), dtype=np.float32)
    for w, (n_full, n_steps, rem) in enumerate(windows):

        def compute(n_full=n_full, n_steps=n_steps, rem=rem):
            step = rem if rem > 0 else dt
            # the last noise block: from the start of its first step to the end of the window
            h_last = (n_full - ((n_steps - 1) // n_sub) * n_sub) * dt + rem
            row = np.empty((_h.N_WIN32, params.n_m), dtype=np.float64)
            _step_and_block_rows(row, *inputs, step, h_last)
            return row.astype(np.float32)

        table[w] = _WINDOW_ROWS.get((base, n_full, n_steps, rem), compute)
    return table


def _flicker_table(params, windows, gap):
    """float64 [3 + len(windows), N_FLK, K]: the flicker coefficients of a full flicker block
    (set F_FULL), of the gap between the windows (F_GAP: F_A, F_S1), the components' time
    constants and stationary std (F_TAU) and of the last, possibly shorter flicker block of each
    window ``(n_full, n_steps, rem)`` (F_LAST + w)."""
    taus, sig, dt, nf = params.flicker_taus, params.flicker_sigma_n, params.dt, params.flicker_steps
    table = np.zeros((3 + len(windows), _h.N_FLK, taus.size), dtype=np.float64)
    table[_h.F_TAU, 0] = taus
    table[_h.F_TAU, 1] = sig
    base = _key(taus, sig, dt, nf)
    h_full = nf * dt
    table[_h.F_FULL] = _FLICKER_ROWS.get(
        (base, h_full), lambda: flicker_block_coefficients(taus, sig, h_full)
    )
    table[_h.F_GAP, _h.F_A] = np.exp(-gap / taus)
    table[_h.F_GAP, _h.F_S1] = sig * np.sqrt(-np.expm1(-2.0 * gap / taus))
    for w, (n_full, n_steps, rem) in enumerate(windows):
        h_last = (n_full - ((n_steps - 1) // nf) * nf) * dt + rem
        table[_h.F_LAST + w] = _FLICKER_ROWS.get(
            (base, h_last), lambda h=h_last: flicker_block_coefficients(taus, sig, h)
        )
    return table


def _window_on_grid(name, t, dt):
    """(n_full, n_steps, rem, t snapped) of a window of length ``t`` (s), checked."""
    t = _positive(name, t)
    n_full, n_steps, rem, t = _grid(t, dt)
    if n_steps < 1:
        raise ValueError(
            f"{name} must be at least {_h.GRID_SNAP:g} * dt = "
            f"{_h.GRID_SNAP * dt:.3g} s (one step can hold the window), got {t!r}"
        )
    return n_full, n_steps, rem, t


def _check_events(ev_ptr, ev_row, ev_act, ev_time, sample_index, n_k, act_max):
    """The events of a batch in CSR form and the samples' indices, checked against ``n_k`` rows
    and activations 1..``act_max``: (ev_ptr int64, ev_row, ev_act, ev_time, sample_index int64)."""
    ev_ptr = _arr("ev_ptr", ev_ptr, 1, "iu")
    if ev_ptr.shape[0] < 1:
        raise ValueError("ev_ptr must have length B + 1 >= 1, got length 0")
    n_b = ev_ptr.shape[0] - 1
    ev_row = _arr("ev_row", ev_row, 1, "iu")
    n_ev = ev_row.shape[0]
    ev_act = _arr("ev_act", ev_act, 1, "iu", (n_ev,))
    ev_time = _arr("ev_time", ev_time, 1, "f", (n_ev,))
    ev_ptr = ev_ptr.astype(np.int64)
    if ev_ptr[0] != 0 or ev_ptr[-1] != n_ev or np.any(np.diff(ev_ptr) < 0):
        raise ValueError(
            f"ev_ptr must start at 0, be non-decreasing and end at len(ev_row) = {n_ev}; "
            f"got start {ev_ptr[0]}, end {ev_ptr[-1]}"
        )
    if n_ev:
        if ev_row.min() < 0 or ev_row.max() >= n_k:
            raise ValueError(
                f"ev_row must lie in 0..{n_k - 1} (rows of weights), got "
                f"{ev_row.min()}..{ev_row.max()}"
            )
        if ev_act.min() < 1 or ev_act.max() > act_max:
            raise ValueError(
                f"ev_act must lie in 1..{act_max} (0 sends no event; act_max), got "
                f"{ev_act.min()}..{ev_act.max()}"
            )
        if not np.all(np.isfinite(ev_time)) or ev_time.min() < 0.0:
            raise ValueError("ev_time must be finite and >= 0 (seconds since the reset)")
    if sample_index is None:
        sample_index = np.arange(n_b, dtype=np.int64)
    else:
        sample_index = _arr("sample_index", sample_index, 1, "iu", (n_b,)).astype(np.int64)
        if n_b and sample_index.min() < 0:
            raise ValueError("sample_index must be >= 0")
    return ev_ptr, ev_row, ev_act, ev_time, sample_index


def _read_windows(t_read, n_b, dt):
    """The read windows of ``n_b`` samples (one ``t_read`` or one per sample), each put on the
    grid of ``dt`` once: (the distinct windows, the window index int64 [n_b] of each sample)."""
    if np.ndim(t_read) == 0:
        return [_window_on_grid("t_read", t_read, dt)], np.zeros(n_b, dtype=np.int64)
    t_reads = _arr("t_read", t_read, 1, "f", (n_b,))
    values, first, win_read = np.unique(t_reads, return_index=True, return_inverse=True)
    reads = []
    for i, v in zip(first.tolist(), values.tolist()):
        window = _READ_GRID.get((v, dt))
        if window is None:
            window = _window_on_grid(f"t_read[{i}]", v, dt)  # raises for a bad one: not kept
            if len(_READ_GRID) >= _READ_GRID_SIZE:
                _READ_GRID.clear()
            _READ_GRID[(v, dt)] = window
        reads.append(window)
    return reads, win_read.astype(np.int64).reshape(n_b)


#: The read windows on the grid, ``(n_full, n_steps, rem, t snapped)`` by ``(t_read, dt)``
#: (floats, s): a pure function of the two, and a chip's read times repeat from call to call
#: (one per number of events), where a batch has up to a few hundred distinct ones (about 1 us
#: each to place). Only valid read times are kept (0.0, -0.0, inf and NaN are refused), so equal
#: keys are equal bits. A plain dict (its single operations are atomic for threads), emptied
#: when it holds ``_READ_GRID_SIZE``.
_READ_GRID: dict = {}
_READ_GRID_SIZE = 4096


def _check_gap(t_gap, t_baseline) -> float | None:
    """``t_gap`` (s, from the baseline window's reset to the read window's) checked: None, or
    a finite number >= ``t_baseline``; returned as a float (or None)."""
    if t_gap is None:
        return None
    try:
        value = float(t_gap)
    except (TypeError, ValueError):
        raise TypeError(
            f"t_gap must be a number (s; from the baseline reset to the read reset) or None, "
            f"got {type(t_gap).__name__}"
        ) from None
    if not math.isfinite(value) or value < float(t_baseline):
        raise ValueError(
            f"t_gap must be finite and >= t_baseline = {float(t_baseline):.6g} s (the read "
            f"window starts after the baseline window; None: t_gap = t_baseline), "
            f"got {t_gap!r}"
        )
    return value


def _recording(record_samples, record_columns, n_m, reads, win_read, columns=""):
    """The recorded samples and columns of a batch checked: (each sample's slot among the
    recorded ones, -1 if not recorded, int64 [B]; the recorded columns int64; the read window
    they share, from ``reads`` (None without recording); the shape of a trace array).
    ``win_read``: each sample's index into ``reads``; ``columns`` says what a column is in the
    error message."""
    n_b = win_read.shape[0]
    rec_slot = np.full(n_b, -1, dtype=np.int64)
    if record_samples is None and record_columns is None:
        return rec_slot, np.zeros(0, dtype=np.int64), None, (0, 0, 1)
    if record_samples is None or record_columns is None:
        raise ValueError("record_samples and record_columns must be given together")
    rs = _arr("record_samples", np.asarray(record_samples), 1, "iu").astype(np.int64)
    rc = _arr("record_columns", np.asarray(record_columns), 1, "iu").astype(np.int64)
    if rs.size and (rs.min() < 0 or rs.max() >= n_b or np.unique(rs).size != rs.size):
        raise ValueError(
            f"record_samples must be distinct batch positions in 0..{n_b - 1}, got {rs.tolist()}"
        )
    if rc.size and (rc.min() < 0 or rc.max() >= n_m):
        raise ValueError(f"record_columns must lie in 0..{n_m - 1}{columns}, got {rc.tolist()}")
    groups = np.unique(win_read[rs])
    if groups.size > 1:
        raise ValueError(
            "record_samples must share one read time (t_read); record the "
            "samples of each read time in a call of their own"
        )
    rec_slot[rs] = np.arange(rs.size)
    rec_read = reads[int(groups[0])] if groups.size else reads[0]
    return rec_slot, rc, rec_read, (rs.size, rc.size, rec_read[1] + 1)


def run_half(
    params: HalfParams,
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
    """Simulate a batch of B input vectors on a prepared half (see :func:`half_params`).

    ``t_read`` (s) is one read time for the whole batch or one per sample (float [B]); samples
    with different read times run in the same call. ``t_baseline`` (s) is one time. ``t_gap``
    (s, >= t_baseline; None: t_baseline) is the time from the reset of the baseline window to
    the reset of the read window: the flicker state runs on over t_gap - t_baseline between
    them. Recorded samples (``record_samples``) must share one read time. The other arguments
    are those of :func:`simulate_half`.
    """
    if not isinstance(params, HalfParams):
        raise TypeError(
            f"params must be a kernels.HalfParams (from kernels.half_params), got "
            f"{type(params).__name__}"
        )
    n_k, n_m, dt = params.n_k, params.n_m, params.dt
    ev_ptr, ev_row, ev_act, ev_time, sample_index = _check_events(
        ev_ptr, ev_row, ev_act, ev_time, sample_index, n_k, params.act_max
    )
    n_b = ev_ptr.shape[0] - 1
    reads, win_read = _read_windows(t_read, n_b, dt)
    base = _window_on_grid("t_baseline", t_baseline, dt)
    t_gap_f = _check_gap(t_gap, t_baseline)
    gap = 0.0 if t_gap_f is None else max(t_gap_f - base[3], 0.0)
    # row 0 of the window table: the baseline; row 1 + g: read window g
    windows = [base[:3]] + [r[:3] for r in reads]
    win32 = _window_table(params, windows)
    flk = _flicker_table(params, windows, gap)
    n_full_read = np.array([r[0] for r in reads], dtype=np.int64)[win_read]
    n_steps_read = np.array([r[1] for r in reads], dtype=np.int64)[win_read]
    rem_read = np.array([r[2] for r in reads], dtype=np.float64)[win_read]
    rec_slot, rc, rec_read, tr_shape = _recording(
        record_samples, record_columns, n_m, reads, win_read
    )
    win_read = win_read + 1
    isc = params.isc.copy()
    isc[_h.I_N_FULL_BASE] = base[0]
    isc[_h.I_N_STEPS_BASE] = base[1]
    sc = params.sc.copy()
    sc[_h.S_REM_BASE] = base[2]
    tr_exc = np.full(tr_shape, np.nan)
    tr_inh = np.full(tr_shape, np.nan)
    tr_mem = np.full(tr_shape, np.nan)

    out = np.empty((n_b, n_m), dtype=np.int32)
    code_read = np.empty((n_b, n_m), dtype=np.int16)
    code_base = np.empty((n_b, n_m), dtype=np.int16)
    v_read = np.empty((n_b, n_m), dtype=np.float64)
    v_base = np.empty((n_b, n_m), dtype=np.float64)
    lost = np.zeros(n_b, dtype=np.int64)
    _h.simulate_batch(
        ev_ptr,
        ev_row.astype(np.int64),
        ev_act.astype(np.int64),
        ev_time.astype(np.float64),
        sample_index,
        params.a_exc,
        params.a_inh,
        params.drv_gain,
        params.drv_offset,
        params.col32,
        win32,
        params.col64,
        sc,
        isc,
        win_read,
        n_full_read,
        n_steps_read,
        rem_read,
        rec_slot,
        rc,
        out,
        code_read,
        code_base,
        v_read,
        v_base,
        tr_exc,
        tr_inh,
        tr_mem,
        lost,
        flk,
        params.quadrant,
        params.adc_dev,
        _chunk_size(n_b),
    )
    _check_no_edge_lost(lost, sample_index)
    traces = None
    if rec_read is not None:  # recording
        time = np.arange(tr_shape[2], dtype=np.float64) * dt
        time[-1] = rec_read[3]
        traces = Traces(time, tr_exc, tr_inh, tr_mem)
    return HalfResult(out, code_read, code_base, v_read, v_base, traces)


def simulate_half(
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
    """Simulate one half of the chip for a batch of input vectors. See :mod:`kernels`.

    The same as ``run_half(half_params(weights, **parameters), ev_ptr, ev_row, ev_act, ev_time,
    t_read=..., t_baseline=..., ...)``; prepare the half once with :func:`half_params` when it
    runs many batches.
    """
    params = half_params(weights, **parameters)
    return run_half(
        params,
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
