"""The batch kernel: one half (hemisphere) of a chip, B input vectors, all columns.

Per sample the work is: build the pulse edges, integrate the read window (reset at t = 0, events,
ADC read at t_read), integrate the baseline window (reset, no events, read at t_baseline), convert
both with the ADC. The samples are independent (``prange``); every random number is keyed by the
sample's global index, so the result of a sample does not depend on the batch it is in.

The discretized update is documented in the docstring of the :mod:`kernels` package; the names of the
coefficient rows below are the symbols used there.
"""

import math

import numpy as np
from numba import prange

from . import rng
from ._jit import njit, njit_parallel
from .circuit import compliance, step_area, step_rise, tanh32

# Rows of the float32 per-column table ``col32`` [N_COL32, M] (full step dt, full noise block h).
C_A = 0  # a = exp(-dt/tau): line decay per step
C_B = 1  # b = tau * E1(dt/tau) (s): end-of-step response to the held input rate
C_MU = 2  # mu = b / dt: step mean of the decaying part
C_GAM = 3  # gamma = tau^2 G(dt/tau) / dt (s): step mean response to the held input rate
C_T2DT = 4  # tau^2 / dt (s): step-mean weight of an edge inside the step
C_KI = 5  # k_I = g_m v_lin dt / C_m (V): membrane step per unit of tanh
C_OFF = 6  # (I_off / C_m + (v_leak - v_reset) / tau_leak) dt (V)
C_LDT = 7  # dt / tau_leak
C_TAU = 8  # tau (s)
C_Q = 9  # 1 / tau (1/s)
C_YHI = 10  # v_rail_hi - v_reset (V)
C_YLO = 11  # v_rail_lo - v_reset (V)
C_OU_A = 12  # exp(-h/tau): OU decay per noise block
C_OU_S1 = 13  # innovation std of the OU end value
C_OU_M0 = 14  # block mean = M0 * n_start + M1 * z1 + M2 * z2
C_OU_M1 = 15
C_OU_M2 = 16
C_OTA = 17  # std (V) of the membrane increment by OTA current noise over a block
N_COL32 = 18

# Rows of the float32 per-window table ``win32`` [W, N_WIN32, M]: coefficients of the last,
# possibly shorter step (length rem = t_end - n_full dt) and of the last noise block of a window.
# Row 0 is the baseline window, rows 1.. the read windows (one per read time of the batch).
W_A = 0
W_B = 1
W_MU = 2
W_GAM = 3
W_T2DT = 4
W_KI = 5
W_OFF = 6
W_LDT = 7
W_OU_A = 8
W_OU_S1 = 9
W_OU_M0 = 10
W_OU_M1 = 11
W_OU_M2 = 12
W_OTA = 13
N_WIN32 = 14

# Rows of the float64 per-column table ``col64`` [N_COL64, M] for the closed-form prephase.
D_Q = 0  # 1 / tau
D_GV = 1  # g_m v_lin / C_m (1/s): membrane volts per (normalized line * second)
D_OTA = 2  # (S_ota g_m / 2) / C_m^2 (V^2/s): membrane variance rate of OTA current noise
D_DRIFT = 3  # I_off / C_m + (v_leak - v_reset) / tau_leak (V/s)
D_YHI = 4  # v_rail_hi - v_reset
D_YLO = 5  # v_rail_lo - v_reset
D_ADC_SLOPE = 6  # 1 / adc_lsb (codes/V)
D_ADC_ZERO = 7  # (v_reset - v_adc_lo) / adc_lsb + adc_offset (codes at y = 0)
N_COL64 = 8

# Float64 scalars ``sc`` (shared by all samples).
S_DT = 0
S_T_LSB = 1
S_LAMBDA = 2  # 1 / tau_leak (1/s), 0 for no leak
S_SIGMA_N = 3  # sigma_line / v_lin (stationary std of the normalized line noise)
S_WIDTH = 4  # compliance width w (V)
S_SIGMA_JIT = 5  # pulse jitter std (s)
S_SIGMA_ADC = 6  # ADC noise std (codes)
S_V_LIN = 7
S_V_RESET = 8
N_SC = 9

# Integer scalars ``isc``. The read window is per sample (arguments of simulate_batch).
I_N_FULL_BASE = 0  # full steps in the baseline window
I_N_STEPS_BASE = 1  # steps in the baseline window: I_N_FULL_BASE, plus 1 if it ends off the grid
I_N_SUB = 2  # steps per noise block
I_SEED_LO = 3
I_SEED_HI = 4
I_STREAM = 5
I_OUT_MIN = 6
I_OUT_MAX = 7
I_FLAGS = 8
N_ISC = 9

FLAG_LINE_NOISE = 1
FLAG_OTA_NOISE = 2
FLAG_JITTER = 4
FLAG_ADC_NOISE = 8
FLAG_CLOSED_FORM = 16

WINDOW_READ = 0
WINDOW_BASE = 1

_F0 = np.float32(0.0)
_F1 = np.float32(1.0)


#: A time within GRID_SNAP steps (or 16 ulps of t/dt, whichever is larger) of a grid point k dt
#: lies on that grid point. Event and read times are sums and products of cycles, latencies and
#: dt; this makes a time that is meant to be k dt land on step k however it was rounded.
GRID_SNAP = 1e-9
_EPS = 2.220446049250313e-16


@njit
def grid_position(t, dt):
    """Where time ``t`` (s, >= 0) lies on the step grid of ``dt`` (s): ``(k, s)`` with
    t = k dt + s, k an integer and 0 <= s < dt (s). A time within GRID_SNAP dt of a grid point is
    on it (s = 0). Monotone: a later time never gets an earlier (k, s). Every conversion of a time
    into a step (and so a noise block) goes through this function."""
    x = t / dt
    n = math.floor(x + 0.5)
    if abs(x - n) <= max(GRID_SNAP, 16.0 * _EPS * x):
        return np.int64(n), 0.0
    k = math.floor(x)
    s = t - k * dt
    return np.int64(k), min(max(s, 0.0), dt)


@njit
def _phi(r, t):
    """(1 - exp(-r t)) / r, and t for r = 0 (s)."""
    if r == 0.0:
        return t
    return -math.expm1(-r * t) / r


@njit
def _build_edges(
    b,
    b_key,
    ev_ptr,
    ev_row,
    ev_act,
    ev_time,
    drv_gain,
    drv_offset,
    n_full,
    rem,
    sc,
    isc,
    seed,
    stream,
    table,
):
    """Pulse edges of sample b in the read window, sorted by time: (step, u, row, sign).

    ``step`` is the step the edge falls in (int64, from :func:`grid_position`), ``u`` (s, float32)
    the time from the edge to the end of that step, ``sign`` +1 for a start, -1 for an end.
    Pulse length T = a t_lsb (1 + d_r) + o_r + sigma_jitter z (z one normal per event, common to
    all columns of the row); pulses with T <= 0 or starting at/after the read are dropped, and an
    end at/after the read is dropped (the read happens first). "At/after the read" is decided on
    the grid as well, so an edge is either integrated in exactly one step or dropped. The read
    window has ``n_full`` full steps and a last step of ``rem`` (s) if ``rem > 0``.
    """
    j0 = ev_ptr[b]
    j1 = ev_ptr[b + 1]
    n = j1 - j0
    dt = sc[S_DT]
    times = np.empty(2 * n, dtype=np.float64)
    steps = np.empty(2 * n, dtype=np.int64)
    us = np.empty(2 * n, dtype=np.float32)
    rows = np.empty(2 * n, dtype=np.int64)
    signs = np.empty(2 * n, dtype=np.float32)
    jitter = (isc[I_FLAGS] & FLAG_JITTER) != 0
    if jitter:
        k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_JITTER)
    else:
        k_lo = np.uint64(0)
        k_hi = np.uint64(0)
    m = 0
    for j in range(n):
        r = ev_row[j0 + j]
        t0 = ev_time[j0 + j]
        length = ev_act[j0 + j] * sc[S_T_LSB] * (1.0 + drv_gain[r]) + drv_offset[r]
        if jitter:
            length += sc[S_SIGMA_JIT] * rng.normal(k_lo, k_hi, j, table)
        if length <= 0.0:
            continue
        for edge in range(2):
            t = t0 if edge == 0 else t0 + length
            k, s = grid_position(t, dt)
            if k < n_full:
                u = dt - s
            elif k == n_full and s < rem:
                u = rem - s
            else:
                break  # at/after the read: a start drops the pulse, an end leaves it running
            times[m] = t
            steps[m] = k
            us[m] = np.float32(u)
            rows[m] = r
            signs[m] = _F1 if edge == 0 else -_F1
            m += 1
    order = np.argsort(times[:m], kind="mergesort")
    return steps[:m][order], us[:m][order], rows[:m][order], signs[:m][order]


@njit
def _stepping_start(n_steps, e_step, col64, sc, isc):
    """k_s: the step where stepping starts, the first step of the noise block that holds the
    first edge (the last block without edges); 0 without the closed-form prephase, or when the
    drift would take a column out of full compliance before t_s = k_s dt. Integers only, so no
    edge can lie before it."""
    n_sub = isc[I_N_SUB]
    if (isc[I_FLAGS] & FLAG_CLOSED_FORM) == 0:
        return np.int64(0)
    if e_step.shape[0] > 0:
        k_first = min(e_step[0], n_steps - 1)
    else:
        k_first = n_steps - 1
    k_s = (k_first // n_sub) * n_sub
    if k_s > 0:
        # the closed form assumes full compliance (f = 1) on the whole prephase: the drift is
        # monotone, so checking both ends suffices
        ph = _phi(sc[S_LAMBDA], k_s * sc[S_DT])
        width = sc[S_WIDTH]
        for c in range(col64.shape[1]):
            y_end = col64[D_DRIFT, c] * ph
            lo = col64[D_YLO, c] + width
            hi = col64[D_YHI, c] - width
            if not (lo <= 0.0 <= hi and lo <= y_end <= hi):
                return np.int64(0)
    return k_s


@njit
def _prephase(b_key, window, k_s, col64, sc, isc, table, ve, vi, ie, ii, ne, ni, nem, nim, y):
    """The state at t_s = k_s dt, drawn in closed form: lines at rest (noise only), membrane
    linear (drift, the line noise through the linearized OTA, OTA noise); the plain reset
    state plus stationary line noise for k_s = 0."""
    m_cols = y.shape[0]
    flags = isc[I_FLAGS]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    line_noise = (flags & FLAG_LINE_NOISE) != 0
    ota_noise = (flags & FLAG_OTA_NOISE) != 0
    lam = sc[S_LAMBDA]
    t_s = k_s * sc[S_DT]
    sig_n = sc[S_SIGMA_N]
    p_lo, p_hi = rng.make_key(seed, isc[I_STREAM], b_key, 16 * window + rng.PURPOSE_PREPHASE)
    ph_l = _phi(lam, t_s)
    ph_2l = _phi(2.0 * lam, t_s)
    for c in range(m_cols):
        ve[c] = _F0
        vi[c] = _F0
        ie[c] = _F0
        ii[c] = _F0
        nem[c] = _F0
        nim[c] = _F0
        yc = col64[D_DRIFT, c] * ph_l
        ne_c = 0.0
        ni_c = 0.0
        if line_noise:
            ne_c = sig_n * rng.normal(p_lo, p_hi, 8 * c, table)
            ni_c = sig_n * rng.normal(p_lo, p_hi, 8 * c + 1, table)
            if k_s > 0:
                q = col64[D_Q, c]
                ph_lq = _phi(lam + q, t_s)
                # J = int_0^t exp(-lam (t - s)) n(s) ds, jointly normal with n(t)
                reg = ph_lq  # Cov(n(t), J) / sigma^2
                var_j = 2.0 * (ph_2l - ph_lq) / (q - lam)  # Var(J) / sigma^2
                sd_j = math.sqrt(max(var_j - reg * reg, 0.0)) * sig_n
                j_e = reg * ne_c + sd_j * rng.normal(p_lo, p_hi, 8 * c + 2, table)
                j_i = reg * ni_c + sd_j * rng.normal(p_lo, p_hi, 8 * c + 3, table)
                yc += col64[D_GV, c] * (j_e - j_i)
        if ota_noise and k_s > 0:
            yc += math.sqrt(col64[D_OTA, c] * ph_2l) * rng.normal(p_lo, p_hi, 8 * c + 4, table)
        ne[c] = np.float32(ne_c)
        ni[c] = np.float32(ni_c)
        y[c] = np.float32(yc)


@njit
def _window(
    b_key,
    window,
    wrow,
    n_full,
    n_steps,
    e_step,
    e_u,
    e_row,
    e_sign,
    a_exc,
    a_inh,
    col32,
    win32,
    col64,
    sc,
    isc,
    table,
    rec_slot,
    rec_cols,
    tr_exc,
    tr_inh,
    tr_mem,
    ve,
    vi,
    ie,
    ii,
    me,
    mi,
    ne,
    ni,
    nem,
    nim,
    y,
):
    """Integrate one window of one sample: ``n_full`` full steps, then a last, shorter step if
    ``n_steps > n_full``, with the last-step and last-block coefficients of row ``wrow`` of
    ``win32``; leaves the membrane deviation in ``y``. ``window`` (WINDOW_READ or WINDOW_BASE)
    keys the noise.

    ``b_key`` is the global sample index (the noise key). Edges (e_step, e_u, e_row, e_sign), as
    :func:`_build_edges` makes them, must be sorted by time with steps in [0, n_steps). Traces are
    written when ``rec_slot >= 0``. Returns the number of edges that were not integrated exactly
    once: 0, or the kernel has a bug (the caller turns it into an error).
    """
    k_s = _stepping_start(n_steps, e_step, col64, sc, isc)
    _prephase(b_key, window, k_s, col64, sc, isc, table, ve, vi, ie, ii, ne, ni, nem, nim, y)
    slot = rec_slot
    if slot >= 0:
        v_lin = sc[S_V_LIN]
        v_reset = sc[S_V_RESET]
        for j in range(rec_cols.shape[0]):
            c = rec_cols[j]
            tr_exc[slot, j, k_s] = v_lin * (ve[c] + ne[c])
            tr_inh[slot, j, k_s] = v_lin * (vi[c] + ni[c])
            tr_mem[slot, j, k_s] = v_reset + y[c]
    m_cols = y.shape[0]
    n_sub = isc[I_N_SUB]
    flags = isc[I_FLAGS]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    stream = isc[I_STREAM]
    line_noise = (flags & FLAG_LINE_NOISE) != 0
    ota_noise = (flags & FLAG_OTA_NOISE) != 0
    last_blk = (n_steps - 1) // n_sub
    n_edges = e_step.shape[0]
    purpose_base = 16 * window
    width = sc[S_WIDTH]

    # ---- stepped part [t_s, t_end] -----------------------------------------------------------
    inv_w = np.float32(1.0 / width)
    yhi = col32[C_YHI]
    ylo = col32[C_YLO]
    tau = col32[C_TAU]
    qq = col32[C_Q]
    e = 0
    # edges before the stepped part cannot exist (k_s <= e_step[0]); were there any, they are
    # counted as lost, never silently skipped
    while e < n_edges and e_step[e] < k_s:
        e += 1
    lost = e
    n_active = 0
    k_lo = np.uint64(0)
    k_hi = np.uint64(0)
    for blk in range(k_s // n_sub, last_blk + 1):
        is_last = blk == last_blk
        if is_last:
            ou_a = win32[wrow, W_OU_A]
            ou_s1 = win32[wrow, W_OU_S1]
            ou_m0 = win32[wrow, W_OU_M0]
            ou_m1 = win32[wrow, W_OU_M1]
            ou_m2 = win32[wrow, W_OU_M2]
            ota = win32[wrow, W_OTA]
        else:
            ou_a = col32[C_OU_A]
            ou_s1 = col32[C_OU_S1]
            ou_m0 = col32[C_OU_M0]
            ou_m1 = col32[C_OU_M1]
            ou_m2 = col32[C_OU_M2]
            ota = col32[C_OTA]
        if line_noise or ota_noise:
            k_lo, k_hi = rng.make_key(seed, stream, b_key, purpose_base + rng.PURPOSE_BLOCK)
            k_lo, k_hi = rng.mix_key(k_lo, k_hi, blk)
        if line_noise:
            # exact OU over the block: end value and block mean drawn jointly
            for c in range(m_cols):
                z1 = rng.normal(k_lo, k_hi, 8 * c, table)
                z2 = rng.normal(k_lo, k_hi, 8 * c + 1, table)
                z3 = rng.normal(k_lo, k_hi, 8 * c + 2, table)
                z4 = rng.normal(k_lo, k_hi, 8 * c + 3, table)
                n0 = ne[c]
                nem[c] = ou_m0[c] * n0 + ou_m1[c] * z1 + ou_m2[c] * z2
                ne[c] = ou_a[c] * n0 + ou_s1[c] * z1
                n0 = ni[c]
                nim[c] = ou_m0[c] * n0 + ou_m1[c] * z3 + ou_m2[c] * z4
                ni[c] = ou_a[c] * n0 + ou_s1[c] * z3
        k_hi_step = min((blk + 1) * n_sub, n_steps)
        for k in range(blk * n_sub, k_hi_step):
            if k < n_full:
                la = col32[C_A]
                lb = col32[C_B]
                lmu = col32[C_MU]
                lgam = col32[C_GAM]
                t2dt = col32[C_T2DT]
                ki = col32[C_KI]
                off = col32[C_OFF]
                ldt = col32[C_LDT]
            else:
                la = win32[wrow, W_A]
                lb = win32[wrow, W_B]
                lmu = win32[wrow, W_MU]
                lgam = win32[wrow, W_GAM]
                t2dt = win32[wrow, W_T2DT]
                ki = win32[wrow, W_KI]
                off = win32[wrow, W_OFF]
                ldt = win32[wrow, W_LDT]
            # lines: exact step of dV/dt = rate - V/tau with the rate held over the step
            for c in range(m_cols):
                v = ve[c]
                me[c] = lmu[c] * v + lgam[c] * ie[c]
                ve[c] = la[c] * v + lb[c] * ie[c]
                v = vi[c]
                mi[c] = lmu[c] * v + lgam[c] * ii[c]
                vi[c] = la[c] * v + lb[c] * ii[c]
            # pulse edges inside this step: exact response to a rate step at time s
            while e < n_edges and e_step[e] == k:
                u = e_u[e]
                r = e_row[e]
                sg = e_sign[e]
                ar = a_exc[r]
                br = a_inh[r]
                for c in range(m_cols):
                    x = u * qq[c]
                    rise = tau[c] * step_rise(x)
                    area = t2dt[c] * step_area(x)
                    ae = sg * ar[c]
                    ai = sg * br[c]
                    ve[c] += ae * rise
                    me[c] += ae * area
                    ie[c] += ae
                    vi[c] += ai * rise
                    mi[c] += ai * area
                    ii[c] += ai
                if sg > _F0:
                    n_active += 1
                else:
                    n_active -= 1
                    if n_active == 0:
                        # no pulse left: the held rates are exactly zero (no rounding residue)
                        for c in range(m_cols):
                            ie[c] = _F0
                            ii[c] = _F0
                e += 1
            # membrane: explicit step with the step-mean line voltages through the OTA
            for c in range(m_cols):
                yc = y[c]
                th_e = tanh32(me[c] + nem[c])
                th_i = tanh32(mi[c] + nim[c])
                f_up = compliance(yhi[c] - yc, inv_w)
                f_dn = compliance(yc - ylo[c], inv_w)
                y[c] = yc + ki[c] * (f_up * th_e - f_dn * th_i) + off[c] - ldt[c] * yc
            if slot >= 0:
                v_lin = sc[S_V_LIN]
                v_reset = sc[S_V_RESET]
                for j in range(rec_cols.shape[0]):
                    c = rec_cols[j]
                    tr_exc[slot, j, k + 1] = v_lin * (me[c] + nem[c])
                    tr_inh[slot, j, k + 1] = v_lin * (mi[c] + nim[c])
                    tr_mem[slot, j, k + 1] = v_reset + y[c]
        if ota_noise:
            for c in range(m_cols):
                y[c] += ota[c] * rng.normal(k_lo, k_hi, 8 * c + 4, table)
            if slot >= 0:
                v_reset = sc[S_V_RESET]
                for j in range(rec_cols.shape[0]):
                    tr_mem[slot, j, k_hi_step] = v_reset + y[rec_cols[j]]
    return lost + (n_edges - e)


@njit
def _adc(y, col64, sigma, k_lo, k_hi, counter_offset, table, codes, volts, v_reset):
    """code = clip(floor((V - v_adc_lo)/lsb + offset + sigma z + 1/2), 0, 255)."""
    for c in range(y.shape[0]):
        x = col64[D_ADC_ZERO, c] + col64[D_ADC_SLOPE, c] * y[c]
        if sigma > 0.0:
            x += sigma * rng.normal(k_lo, k_hi, 2 * c + counter_offset, table)
        code = math.floor(x + 0.5)
        codes[c] = min(max(code, 0.0), 255.0)
        volts[c] = v_reset + y[c]


@njit_parallel
def simulate_batch(
    ev_ptr,
    ev_row,
    ev_act,
    ev_time,
    sample_index,
    a_exc,
    a_inh,
    drv_gain,
    drv_offset,
    col32,
    win32,
    col64,
    sc,
    isc,
    table,
    win_read,
    n_full_read,
    n_steps_read,
    rem_read,
    rec_slot,
    rec_cols,
    out,
    code_read,
    code_base,
    v_read,
    v_base,
    tr_exc,
    tr_inh,
    tr_mem,
    lost,
):
    """Simulate all samples of a batch (see :func:`kernels.run_half`); writes the outputs.

    Sample b's read window has ``n_full_read[b]`` full steps, a last step of ``rem_read[b]`` (s)
    if it is > 0 (``n_steps_read[b]`` steps in all) and the coefficients of row ``win_read[b]``
    of ``win32``; the baseline window uses row 0. ``lost[b]`` counts the pulse edges of sample b
    that were not integrated (0 unless the kernel has a bug)."""
    n_b = ev_ptr.shape[0] - 1
    m_cols = a_exc.shape[1]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    stream = isc[I_STREAM]
    adc_noise = (isc[I_FLAGS] & FLAG_ADC_NOISE) != 0
    sigma_adc = sc[S_SIGMA_ADC] if adc_noise else 0.0
    v_reset = sc[S_V_RESET]
    for b in prange(n_b):
        b_key = sample_index[b]
        ve = np.empty(m_cols, np.float32)
        vi = np.empty(m_cols, np.float32)
        ie = np.empty(m_cols, np.float32)
        ii = np.empty(m_cols, np.float32)
        me = np.empty(m_cols, np.float32)
        mi = np.empty(m_cols, np.float32)
        ne = np.empty(m_cols, np.float32)
        ni = np.empty(m_cols, np.float32)
        nem = np.empty(m_cols, np.float32)
        nim = np.empty(m_cols, np.float32)
        y = np.empty(m_cols, np.float32)
        c_read = np.empty(m_cols, np.float64)
        c_base = np.empty(m_cols, np.float64)
        volts = np.empty(m_cols, np.float64)
        k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_ADC)

        e_step, e_u, e_row, e_sign = _build_edges(
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
            sc,
            isc,
            seed,
            stream,
            table,
        )
        n_lost = _window(
            b_key,
            WINDOW_READ,
            win_read[b],
            n_full_read[b],
            n_steps_read[b],
            e_step,
            e_u,
            e_row,
            e_sign,
            a_exc,
            a_inh,
            col32,
            win32,
            col64,
            sc,
            isc,
            table,
            rec_slot[b],
            rec_cols,
            tr_exc,
            tr_inh,
            tr_mem,
            ve,
            vi,
            ie,
            ii,
            me,
            mi,
            ne,
            ni,
            nem,
            nim,
            y,
        )
        _adc(y, col64, sigma_adc, k_lo, k_hi, 0, table, c_read, volts, v_reset)
        for c in range(m_cols):
            v_read[b, c] = volts[c]
        n_lost += _window(
            b_key,
            WINDOW_BASE,
            0,
            isc[I_N_FULL_BASE],
            isc[I_N_STEPS_BASE],
            e_step[:0],
            e_u[:0],
            e_row[:0],
            e_sign[:0],
            a_exc,
            a_inh,
            col32,
            win32,
            col64,
            sc,
            isc,
            table,
            -1,
            rec_cols,
            tr_exc,
            tr_inh,
            tr_mem,
            ve,
            vi,
            ie,
            ii,
            me,
            mi,
            ne,
            ni,
            nem,
            nim,
            y,
        )
        lost[b] = n_lost
        _adc(y, col64, sigma_adc, k_lo, k_hi, 1, table, c_base, volts, v_reset)
        for c in range(m_cols):
            v_base[b, c] = volts[c]
            code_read[b, c] = np.int16(c_read[c])
            code_base[b, c] = np.int16(c_base[c])
            o = c_read[c] - c_base[c]
            o = min(max(o, np.float64(isc[I_OUT_MIN])), np.float64(isc[I_OUT_MAX]))
            out[b, c] = np.int32(o)
