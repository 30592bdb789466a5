"""The batch kernel of the second readout mode: integration on the synaptic input lines
("synin", model.md section 13).

The CADC reads the synaptic input lines themselves; there is no OTA and no membrane in the
signal path. Every physical column c of the half has one line (the rows of a column all drive
it), a capacitance C_line with a slow leak of its own (its pull-up is off), bounded like the
lines of the membrane mode. In the drop u = V_rest - V_line (V, positive when the synapses have
discharged the line):

    du/dt = g_c I_c(t) / C_line + i_line,c / C_line - u / tau_line,c,      u <= u_max

with I_c(t) the sum of the rectangular synaptic currents of the column's pulses, g_c the synapse
DAC bias factor of the vector. The equation is linear with a piecewise constant input: between two
pulse edges the line follows its exact exponential, and with a constant input the free solution is
monotone, so min(free solution, u_max) is the exact bounded state. The kernel therefore integrates
from edge to edge, with no time step at all: dt only places the edges and reads on the grid
(:func:`kernels.half.grid_position`, as in the membrane mode) and spaces the recorded trace points.

Noise: white current noise on each line (one-sided PSD S, A^2/Hz), drawn as its exact
Ornstein-Uhlenbeck increment per noise block (``noise_substeps`` steps) and added at the block
end; the stretch before the noise block of the first edge (and the whole baseline window, which
has no events) is drawn in closed form. The 1/f noise of the readout path (the source follower
and comparator between the line and the CADC) is an input-referred voltage added at each
conversion: a sum of K Ornstein-Uhlenbeck components, stationary at the baseline read and
propagated exactly to the read. The pulse jitter, the synapse DAC bias factor (per column and
quadrant), the CADC (per-quadrant ramp, channel offsets, channel and ramp noise, INL/DNL) are the
membrane mode's own building blocks, applied to the physical columns.

Signed outputs: column 2j holds max(w_j, 0), column 2j + 1 max(-w_j, 0) (the reference
software's layout); each column's result is code_baseline - code_read, and output j is
clip(result_2j - result_2j+1, out_min, out_max).
"""

import math

import numpy as np
from numba import prange

from . import rng
from ._jit import njit, njit_inline, njit_parallel
from .half import (
    N_COL64,
    N_SC,
    S_SIGMA_BIAS,
    S_SIGMA_BIAS_Q,
    S_SIGMA_GM,
    WINDOW_BASE,
    WINDOW_READ,
    _adc,
    _adc_reach,
    _bias_factors,
    _flicker_start,
    grid_position,
)

__all__ = [
    "simulate_synin_batch",
    "N_COL64",
    "N_SC",
    "S_SIGMA_BIAS",
    "S_SIGMA_BIAS_Q",
    "S_SIGMA_GM",
]

# Per-line float64 table ``lin`` [N_LIN, L]
L_Q = 0  # 1 / tau_line (1/s); 0 for no leak
L_ROFF = 1  # i_line / C_line (V/s): the leakage current's rate
L_SBLK = 2  # std (V) of the noise increment over a full noise block
L_PRE_D = 3  # unused by the kernel (kept for symmetry); see the prephase cache
N_LIN = 4

# Float64 scalars ``ssc`` [N_SSC]
Y_DT = 0
Y_T_LSB = 1
Y_SIGMA_JIT = 2
Y_SIGMA_ADC = 3
Y_SIGMA_RAMP = 4
Y_U_MAX = 5  # bound of the drop (V), inf: unbounded
Y_V_REST = 6  # CADC input voltage of a line at rest (V)
Y_PSD = 7  # S / (4 C_line^2) (V^2 s): noise variance rate factor
N_SSC = 8

# Integer scalars ``ysc`` [N_YSC]
Z_N_SUB = 0
Z_SEED_LO = 1
Z_SEED_HI = 2
Z_STREAM = 3
Z_OUT_MIN = 4
Z_OUT_MAX = 5
Z_FLAGS = 6
Z_ADC_MAX = 7
N_YSC = 8

YFLAG_LINE_NOISE = 1
YFLAG_JITTER = 2
YFLAG_ADC_NOISE = 4
YFLAG_RAMP = 8
YFLAG_BIAS = 16
YFLAG_FLICKER = 32
YFLAG_SHORT = 64  # every line's block / tau_line <= X_SHORT: the short series suffices

# Series coefficients of g(x) = (1 - exp(-x)) / x = sum_n (-x)^n / (n + 1)!, exact to float64
# rounding for 0 <= x <= 0.5 (the wrapper asks for tau_line >= 2 noise blocks, and a piece never
# exceeds a block).
_G = tuple(1.0 / math.factorial(n + 1) * (-1.0) ** n for n in range(16))


@njit_inline
def _g(x):
    """(1 - exp(-x)) / x for 0 <= x <= 0.5 (Horner form of the Taylor series, float64)."""
    p = _G[15]
    p = p * x + _G[14]
    p = p * x + _G[13]
    p = p * x + _G[12]
    p = p * x + _G[11]
    p = p * x + _G[10]
    p = p * x + _G[9]
    p = p * x + _G[8]
    p = p * x + _G[7]
    p = p * x + _G[6]
    p = p * x + _G[5]
    p = p * x + _G[4]
    p = p * x + _G[3]
    p = p * x + _G[2]
    p = p * x + _G[1]
    return p * x + _G[0]


@njit_inline
def _g_short(x):
    """(1 - exp(-x)) / x for 0 <= x <= X_SHORT: the first eight terms of the series (the
    remainder, below x^8 / 9!, is under float64 rounding there)."""
    p = _G[7]
    p = p * x + _G[6]
    p = p * x + _G[5]
    p = p * x + _G[4]
    p = p * x + _G[3]
    p = p * x + _G[2]
    p = p * x + _G[1]
    return p * x + _G[0]


#: Largest x = (noise block) / tau_line for the short series :func:`_g_short`.
X_SHORT = 0.02


@njit_inline
def _advance(u, rate, d, lin, u_max, short):
    """Advance every line over a piece of ``d`` (s, 0 <= d <= one noise block) with its constant
    input ``rate`` (V/s, the leakage included): u <- min(u + g (rate d - x u), u_max),
    x = d / tau, the exact bounded solution. ``short``: every x is at most X_SHORT."""
    q = lin[L_Q]
    if short:
        for c in range(u.shape[0]):
            x = d * q[c]
            u[c] = min(u[c] + _g_short(x) * (rate[c] * d - x * u[c]), u_max)
    else:
        for c in range(u.shape[0]):
            x = d * q[c]
            u[c] = min(u[c] + _g(x) * (rate[c] * d - x * u[c]), u_max)


@njit_inline
def _value_at(u, rate, d, lin, u_max, c):
    """The state of line c a time ``d`` (s) after the piece start, without advancing it."""
    x = d * lin[L_Q, c]
    return min(u[c] + _g(x) * (rate[c] * d - x * u[c]), u_max)


@njit
def _synin_edges(
    b, b_key, ev_ptr, ev_row, ev_act, ev_time, drv_gain, drv_offset, n_full, rem, ssc, ysc
):
    """Pulse edges of sample b in the read window, sorted by time: (time, step, row, sign).

    The same pulses as the membrane kernel's (:func:`kernels.half._build_edges`: length
    a t_lsb (1 + d_r) + o_r + sigma_jitter z with the same jitter draws; pulses of length <= 0 or
    starting at/after the read dropped, an end at/after the read dropped), with the time of each
    edge as placed on the grid, k dt + s (float64)."""
    j0 = ev_ptr[b]
    j1 = ev_ptr[b + 1]
    n = j1 - j0
    dt = ssc[Y_DT]
    seed = (np.uint64(ysc[Z_SEED_HI]) << np.uint64(32)) | np.uint64(ysc[Z_SEED_LO])
    times = np.empty(2 * n, dtype=np.float64)
    steps = np.empty(2 * n, dtype=np.int64)
    rows = np.empty(2 * n, dtype=np.int64)
    signs = np.empty(2 * n, dtype=np.float64)
    jitter = (ysc[Z_FLAGS] & YFLAG_JITTER) != 0
    z_jit = np.empty(n if jitter else 0, dtype=np.float32)
    if jitter:
        k_lo, k_hi = rng.make_key(seed, ysc[Z_STREAM], b_key, rng.PURPOSE_JITTER)
        rng.fill_normals(k_lo, k_hi, 0, 1, z_jit, np.empty(n, dtype=np.uint32))
    m = 0
    for j in range(n):
        r = ev_row[j0 + j]
        t0 = ev_time[j0 + j]
        length = ev_act[j0 + j] * ssc[Y_T_LSB] * (1.0 + drv_gain[r]) + drv_offset[r]
        if jitter:
            length += ssc[Y_SIGMA_JIT] * z_jit[j]
        if length <= 0.0:
            continue
        for edge in range(2):
            t = t0 if edge == 0 else t0 + length
            k, s = grid_position(t, dt)
            if not (k < n_full or (k == n_full and s < rem)):
                break  # at/after the read: a start drops the pulse, an end leaves it running
            times[m] = k * dt + s
            steps[m] = k
            rows[m] = r
            signs[m] = 1.0 if edge == 0 else -1.0
            m += 1
    order = np.argsort(times[:m], kind="mergesort")
    return times[:m][order], steps[:m][order], rows[:m][order], signs[:m][order]


@njit
def _closed_form(u, t, lin, psd, z, noise, pre, pre_t):
    """The state of every line a time ``t`` (s) after a reset with no events: the leakage drift
    i_line tau (1 - exp(-t/tau)) / C_line plus, with ``noise``, its exact OU part
    sqrt(S tau (1 - exp(-2 t/tau)) / (4 C_line^2)) z. ``pre`` [2, L] caches both coefficients
    for the length ``pre_t[0]`` (s; recomputed when t differs)."""
    if pre_t[0] != t:
        for c in range(u.shape[0]):
            q = lin[L_Q, c]
            if q > 0.0:
                pre[0, c] = -math.expm1(-q * t) / q
                pre[1, c] = math.sqrt(psd * -math.expm1(-2.0 * q * t) / q)
            else:
                pre[0, c] = t
                pre[1, c] = math.sqrt(psd * 2.0 * t)
        pre_t[0] = t
    for c in range(u.shape[0]):
        u[c] = lin[L_ROFF, c] * pre[0, c]
        if noise:
            u[c] += pre[1, c] * z[c]


@njit
def _read_window(
    b_key,
    n_full,
    n_steps,
    rem,
    e_time,
    e_step,
    e_row,
    e_sign,
    a_line,
    lin,
    s_last,
    gb,
    ssc,
    ysc,
    u,
    rate,
    zb,
    bits,
    pre,
    pre_t,
    rec_slot,
    rec_lines,
    tr_exc,
    tr_inh,
):
    """Integrate the read window of one sample (reset at t = 0, events, read at n_full dt +
    rem); leaves the drops in ``u`` [L]. ``a_line`` [K, L] is the rate (V/s) of each row's pulse
    on each line, ``gb`` [L] the bias factor of the vector, ``s_last`` [L] the noise std of the
    window's last (possibly shorter) noise block. Returns the number of edges not integrated
    (0 unless the kernel has a bug). Trace points (k dt, and the read) are written when
    ``rec_slot >= 0``: line 2 j of output j to ``tr_exc``, line 2 j + 1 to ``tr_inh``."""
    n_lines = u.shape[0]
    dt = ssc[Y_DT]
    n_sub = ysc[Z_N_SUB]
    flags = ysc[Z_FLAGS]
    seed = (np.uint64(ysc[Z_SEED_HI]) << np.uint64(32)) | np.uint64(ysc[Z_SEED_LO])
    stream = ysc[Z_STREAM]
    noise = (flags & YFLAG_LINE_NOISE) != 0
    u_max = ssc[Y_U_MAX]
    t_end = n_full * dt + rem
    short = (flags & YFLAG_SHORT) != 0
    n_edges = e_time.shape[0]
    last_blk = (n_steps - 1) // n_sub
    first_blk = last_blk
    if n_edges > 0:
        first_blk = min(e_step[0] // n_sub, last_blk)
    # ---- closed form up to the noise block of the first edge --------------------------------
    t_s = first_blk * n_sub * dt
    if noise:
        p_lo, p_hi = rng.make_key(seed, stream, b_key, 16 * WINDOW_READ + rng.PURPOSE_PREPHASE)
        rng.fill_normals(p_lo, p_hi, 0, 1, zb[0], bits)
    _closed_form(u, t_s, lin, ssc[Y_PSD], zb[0], noise, pre, pre_t)
    for c in range(n_lines):
        rate[c] = lin[L_ROFF, c]
    slot = rec_slot
    pt = first_blk * n_sub  # the next trace point to write
    if slot >= 0:
        for j in range(rec_lines.shape[0]):
            o = rec_lines[j]
            tr_exc[slot, j, pt] = u[2 * o]
            tr_inh[slot, j, pt] = u[2 * o + 1]
        pt += 1
    e = 0
    n_active = 0
    if noise:
        k_lo, k_hi = rng.make_key(seed, stream, b_key, 16 * WINDOW_READ + rng.PURPOSE_BLOCK)
    else:
        k_lo = np.uint64(0)
        k_hi = np.uint64(0)
    for blk in range(first_blk, last_blk + 1):
        k_end = min((blk + 1) * n_sub, n_steps)  # the point index of the block end
        t_blk_end = min(k_end * dt, t_end)
        t_prev = blk * n_sub * dt
        while True:
            if e < n_edges and e_step[e] // n_sub == blk:
                t_next = e_time[e]
            else:
                t_next = t_blk_end
            if slot >= 0:
                # trace points inside the piece (the block end is written after its noise)
                while pt < k_end and pt * dt <= t_next:
                    d = pt * dt - t_prev
                    for j in range(rec_lines.shape[0]):
                        o = rec_lines[j]
                        tr_exc[slot, j, pt] = _value_at(u, rate, d, lin, u_max, 2 * o)
                        tr_inh[slot, j, pt] = _value_at(u, rate, d, lin, u_max, 2 * o + 1)
                    pt += 1
            _advance(u, rate, max(t_next - t_prev, 0.0), lin, u_max, short)
            t_prev = max(t_next, t_prev)
            if not (e < n_edges and e_step[e] // n_sub == blk):
                break
            r = e_row[e]
            sg = e_sign[e]
            for c in range(n_lines):
                rate[c] += sg * (a_line[r, c] * gb[c])
            e += 1
            if sg > 0.0:
                n_active += 1
            else:
                n_active -= 1
                if n_active == 0:
                    # no pulse left: only the leakage (no rounding residue of the pulses)
                    for c in range(n_lines):
                        rate[c] = lin[L_ROFF, c]
        if noise:
            b_lo, b_hi = rng.mix_key(k_lo, k_hi, blk)
            rng.fill_normals(b_lo, b_hi, 0, 1, zb[0], bits)
            s = lin[L_SBLK] if blk < last_blk else s_last
            for c in range(n_lines):
                u[c] = min(u[c] + s[c] * zb[0, c], u_max)
        if slot >= 0:
            for j in range(rec_lines.shape[0]):
                o = rec_lines[j]
                tr_exc[slot, j, k_end] = u[2 * o]
                tr_inh[slot, j, k_end] = u[2 * o + 1]
            pt = k_end + 1
    return n_edges - e


@njit_parallel
def simulate_synin_batch(
    ev_ptr,
    ev_row,
    ev_act,
    ev_time,
    sample_index,
    a_line,
    drv_gain,
    drv_offset,
    lin,
    col64,
    sc,
    ssc,
    ysc,
    t_base,
    win_read,
    n_full_read,
    n_steps_read,
    rem_read,
    s_last,
    flk_a,
    flk_s1,
    flk_stat,
    quadrant,
    adc_dev,
    rec_slot,
    rec_lines,
    out,
    code_read,
    code_base,
    v_read,
    v_base,
    tr_exc,
    tr_inh,
    lost,
    chunk,
):
    """Simulate all samples of a batch in the synaptic-input readout (see
    :func:`kernels.run_synin`); writes the outputs.

    Lines L = 2 M (column 2 j the excitatory, 2 j + 1 the inhibitory line of output j).
    ``t_base`` (s) is the baseline read; sample b's read window has ``n_full_read[b]`` full steps
    and a last step of ``rem_read[b]`` (s), and row ``win_read[b]`` of ``s_last`` [W, L] (noise
    std of its last block) and of the readout flicker's propagation from the baseline read to
    the read, ``flk_a``, ``flk_s1`` [W, K]; ``flk_stat`` [K] is the stationary std of each
    component (V). ``col64`` holds the CADC rows of :mod:`kernels.half` (zero level and slope per
    line), ``sc`` the bias-noise scalars at the :mod:`kernels.half` indices. Samples run in chunks
    of ``chunk``; every result is a function of its sample alone."""
    n_b = ev_ptr.shape[0] - 1
    n_lines = a_line.shape[1]
    n_out = n_lines // 2
    n_comp = flk_stat.shape[0]
    seed = (np.uint64(ysc[Z_SEED_HI]) << np.uint64(32)) | np.uint64(ysc[Z_SEED_LO])
    stream = ysc[Z_STREAM]
    flags = ysc[Z_FLAGS]
    line_noise = (flags & YFLAG_LINE_NOISE) != 0
    sigma_adc = ssc[Y_SIGMA_ADC] if (flags & YFLAG_ADC_NOISE) != 0 else 0.0
    sigma_ramp = ssc[Y_SIGMA_RAMP] if (flags & YFLAG_RAMP) != 0 else 0.0
    flicker = (flags & YFLAG_FLICKER) != 0
    bias = (flags & YFLAG_BIAS) != 0
    adc_max = ysc[Z_ADC_MAX]
    v_rest = ssc[Y_V_REST]
    n_q = adc_dev.shape[0]
    n_chunks = (n_b + chunk - 1) // chunk
    adc_reach = _adc_reach(adc_dev)
    for ch in prange(n_chunks):
        u = np.empty(n_lines, np.float64)
        y = np.empty(n_lines, np.float64)
        rate = np.empty(n_lines, np.float64)
        gb = np.ones(n_lines, np.float32)
        gbi = np.ones(n_lines, np.float32)
        fs = np.zeros((max(n_comp, 1), n_lines), np.float64)
        c_read = np.empty(n_lines, np.float64)
        c_base = np.empty(n_lines, np.float64)
        volts = np.empty(n_lines, np.float64)
        u_adc = np.empty(n_lines, np.float64)
        zb = np.empty((max(3, n_comp + 1), n_lines), np.float32)
        zq = np.empty(n_q, np.float32)
        bits = np.empty(max(n_lines, n_q), np.uint32)
        pre = np.empty((2, n_lines), np.float64)
        pre_t = np.full(1, -1.0)
        pre_b = np.empty((2, n_lines), np.float64)
        pre_bt = np.full(1, -1.0)
        for b in range(ch * chunk, min((ch + 1) * chunk, n_b)):
            b_key = sample_index[b]
            k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_ADC)
            r_lo, r_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_RAMP)
            e_time, e_step, e_row, e_sign = _synin_edges(
                b,
                b_key,
                ev_ptr,
                ev_row,
                ev_act,
                ev_time,
                drv_gain,
                drv_offset,
                n_full_read[b],
                rem_read[b],
                ssc,
                ysc,
            )
            # ---- baseline window: reset, no events, read at t_base (closed form) -------------
            if line_noise:
                p_lo, p_hi = rng.make_key(
                    seed, stream, b_key, 16 * WINDOW_BASE + rng.PURPOSE_PREPHASE
                )
                rng.fill_normals(p_lo, p_hi, 0, 1, zb[0], bits)
            _closed_form(u, t_base, lin, ssc[Y_PSD], zb[0], line_noise, pre_b, pre_bt)
            for c in range(n_lines):
                y[c] = -min(u[c], ssc[Y_U_MAX])
            if flicker:
                s_lo, s_hi = rng.make_key(
                    seed, stream, b_key, 16 * WINDOW_BASE + rng.PURPOSE_FLICKER_START
                )
                _flicker_start(s_lo, s_hi, fs, 0, flk_stat, flk_stat, True, zb, bits)
                for k in range(n_comp):
                    for c in range(n_lines):
                        y[c] += fs[k, c]
            _adc(
                y,
                col64,
                sigma_adc,
                k_lo,
                k_hi,
                1,
                sigma_ramp,
                r_lo,
                r_hi,
                quadrant,
                adc_dev,
                adc_max,
                adc_reach,
                c_base,
                volts,
                v_rest,
                zb[0],
                zq,
                bits,
                u_adc,
            )
            for c in range(n_lines):
                v_base[b, c] = volts[c]
            # ---- read window -----------------------------------------------------------------
            if bias:
                _bias_factors(seed, stream, b_key, sc, quadrant, gb, gbi, zb, zq, bits)
            w = win_read[b]
            lost[b] = _read_window(
                b_key,
                n_full_read[b],
                n_steps_read[b],
                rem_read[b],
                e_time,
                e_step,
                e_row,
                e_sign,
                a_line,
                lin,
                s_last[w],
                gb,
                ssc,
                ysc,
                u,
                rate,
                zb,
                bits,
                pre,
                pre_t,
                rec_slot[b],
                rec_lines,
                tr_exc,
                tr_inh,
            )
            for c in range(n_lines):
                y[c] = -u[c]
            if flicker:
                s_lo, s_hi = rng.make_key(
                    seed, stream, b_key, 16 * WINDOW_READ + rng.PURPOSE_FLICKER_START
                )
                _flicker_start(s_lo, s_hi, fs, 0, flk_a[w], flk_s1[w], False, zb, bits)
                for k in range(n_comp):
                    for c in range(n_lines):
                        y[c] += fs[k, c]
            _adc(
                y,
                col64,
                sigma_adc,
                k_lo,
                k_hi,
                0,
                sigma_ramp,
                r_lo,
                r_hi,
                quadrant,
                adc_dev,
                adc_max,
                adc_reach,
                c_read,
                volts,
                v_rest,
                zb[0],
                zq,
                bits,
                u_adc,
            )
            for c in range(n_lines):
                v_read[b, c] = volts[c]
                code_read[b, c] = np.int16(c_read[c])
                code_base[b, c] = np.int16(c_base[c])
            lo = np.float64(ysc[Z_OUT_MIN])
            hi = np.float64(ysc[Z_OUT_MAX])
            for j in range(n_out):
                o = (c_base[2 * j] - c_read[2 * j]) - (c_base[2 * j + 1] - c_read[2 * j + 1])
                out[b, j] = np.int32(min(max(o, lo), hi))
