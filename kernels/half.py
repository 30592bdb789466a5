"""The batch kernel: one half (hemisphere) of a chip, B input vectors, all columns.

Per sample the work is: build the pulse edges, integrate the baseline window (reset, no events,
read at t_baseline; the flicker noise starts from its stationary distribution), convert it,
propagate the flicker state over the gap, integrate the read window (reset at t = 0, events, ADC
read at t_read), convert it. The samples are independent (``prange``); every random number is keyed by the
sample's global index, so the result of a sample does not depend on the batch it is in.

The discretized update is documented in the docstring of the :mod:`kernels` package; the names of the
coefficient rows below are the symbols used there.
"""

import math

import numpy as np
from numba import prange

from . import rng
from ._jit import fma32, njit, njit_borrow, njit_inline, njit_parallel
from .circuit import compliance, step_area, step_rise, step_rise_area, tanh32_pq

# Rows shared by the float32 per-column table ``col32`` [N_COL32, M] (a full step dt, a full
# noise block h) and the float32 per-window table ``win32`` [W, N_WIN32, M] (the last, possibly
# shorter step of length rem = t_end - n_full dt and the last noise block of a window; row 0 is
# the baseline window, rows 1.. the read windows, one per read time of the batch). A step or a
# block picks one of the two tables and reads its rows directly (no per-row views in the loops).
R_A_E = 0  # a = exp(-dt/tau): line decay per step (excitatory line)
R_B_E = 1  # b = tau * E1(dt/tau) (s): end-of-step response to the held input rate
R_MU_E = 2  # mu = b / dt: step mean of the decaying part
R_GAM_E = 3  # gamma = tau^2 G(dt/tau) / dt (s): step mean response to the held input rate
R_T2DT_E = 4  # tau^2 / dt (s): step-mean weight of an edge inside the step
R_A_I = 5  # the same five rows for the inhibitory line
R_B_I = 6
R_MU_I = 7
R_GAM_I = 8
R_T2DT_I = 9
R_KI = 10  # k_I = g_max v_lin dt / C_m (V), g_max = max(g_exc, g_inh)
R_OFF = 11  # (I_off / C_m + (v_leak,c - v_reset) / tau_leak,c) dt (V)
R_LDT = 12  # dt / tau_leak,c (the leak time constant of the column)
R_OU_A_E = 13  # exp(-h/tau): OU decay per noise block (excitatory line)
R_OU_S1_E = 14  # innovation std of the OU end value
R_OU_M0_E = 15  # block mean = M0 * n_start + M1 * z1 + M2 * z2
R_OU_M1_E = 16
R_OU_M2_E = 17
R_OU_A_I = 18  # the same five rows for the inhibitory line
R_OU_S1_I = 19
R_OU_M0_I = 20
R_OU_M1_I = 21
R_OU_M2_I = 22
R_OTA = 23  # std (V) of the membrane increment by OTA current noise over a block
# The line noise of the stepped part in innovations form (see :func:`line_noise_gains`): per
# noise block j of a window's stepped part (j = 0 its first block) and column, float32
# ``lng`` [J, N_LNG, M]; row J - 1 serves every later block (the gains have converged there)
L_SD_E = 0  # std of the block mean given the means before it (excitatory line)
L_G_E = 1  # gain of the innovation on the state estimate
L_P_E = 2  # variance of the block-start state given the means before it
L_SD_I = 3  # the same three for the inhibitory line
L_G_I = 4
L_P_I = 5
N_LNG = 6
N_WIN32 = 24
# rows of ``col32`` only
C_TAU_E = 24  # tau_exc (s)
C_Q_E = 25  # 1 / tau_exc (1/s)
C_TAU_I = 26  # tau_inh (s)
C_Q_I = 27  # 1 / tau_inh (1/s)
C_RE = 28  # g_exc / g_max
C_RI = 29  # g_inh / g_max
C_YHI = 30  # v_rail_hi - v_reset (V)
C_YLO = 31  # v_rail_lo - v_reset (V)
C_OS_E = 32  # v_offset_exc / v_lin: input-referred offset of the excitatory OTA
C_OS_I = 33  # v_offset_inh / v_lin
# The quiet-block closed form (:func:`_quiet_block`): a full noise block of n = n_sub full steps
# without pulses. Its line factor a^k (a the line's decay per step, k = 0..n-1) is expanded about
# the centre a_c = (1 + a^(n-1)) / 2 of its range, and V_j = sum_k lam^(n-1-k) (a^k - a_c)^j
# (lam = 1 - dt / tau_leak), j = 1..QUIET_ORDER, weight the Taylor terms
C_QB_LAM = 34  # lam^n: the leak's decay over the block
C_QB_AN_E = 35  # a^n: the excitatory line's decay over the block
C_QB_AN_I = 36  # the inhibitory line's
C_QB_W0 = 37  # W_0 = sum_k lam^(n-1-k)
C_QB_AC_E = 38  # a_c of the excitatory line
C_QB_AC_I = 39  # a_c of the inhibitory line
C_QB_D_E = 40  # (1 - a^(n-1)) / 2 = max_k |a^k - a_c| of the excitatory line
C_QB_D_I = 41  # the same of the inhibitory line
C_QB_WE = 42  # V_1 .. V_QUIET_ORDER of the excitatory line (QUIET_ORDER rows)
QUIET_ORDER = 5
C_QB_WI = C_QB_WE + QUIET_ORDER  # the same of the inhibitory line
N_COL32 = C_QB_WI + QUIET_ORDER

# Rows of the float64 per-column table ``col64`` [N_COL64, M] for the closed-form prephase.
D_Q_E = 0  # 1 / tau_exc
D_Q_I = 1  # 1 / tau_inh
D_GV_E = 2  # g_exc v_lin sech^2(v_os,e / v_lin) / C_m (1/s): linearized OTA, V per (line * s)
D_GV_I = 3  # g_inh v_lin sech^2(v_os,i / v_lin) / C_m
D_OTA = 4  # (S_ota (g_exc + g_inh) / 4) / C_m^2 (V^2/s): membrane variance rate of OTA noise
D_DRIFT = (
    5  # I_off/C_m + (v_leak,c - v_reset)/tau_leak + (g_e tanh(os_e) - g_i tanh(os_i)) v_lin/C_m
)
D_YHI = 6  # v_rail_hi - v_reset
D_YLO = 7  # v_rail_lo - v_reset
D_ADC_SLOPE = 8  # 1 / adc_lsb (codes/V)
D_ADC_ZERO = 9  # (v_reset - v_adc_lo) / adc_lsb + adc_offset (codes at y = 0)
D_G_E = 10  # g_exc v_lin / C_m (V/s): membrane slope per unit of tanh
D_G_I = 11  # g_inh v_lin / C_m
D_OS_E = 12  # v_offset_exc / v_lin
D_OS_I = 13  # v_offset_inh / v_lin
D_LAM = 14  # 1 / tau_leak,c (1/s): leak rate of the column, 0 for no leak
N_COL64 = 15

# Float64 scalars ``sc`` (shared by all samples).
S_DT = 0
S_T_LSB = 1
# 2: unused (the leak rate is per column, col64[D_LAM])
S_SIGMA_N = 3  # sigma_line / v_lin (stationary std of the normalized line noise)
S_WIDTH = 4  # compliance width w (V)
S_SIGMA_JIT = 5  # pulse jitter std (s)
S_SIGMA_ADC = 6  # ADC noise std (codes)
S_V_LIN = 7
S_V_RESET = 8
S_X_MAX = 9  # v_line_max / v_lin: bound of the normalized line state (inf: unbounded)
S_SIGMA_F = 10  # stationary std of one normalized flicker component, sqrt(K_f ln r) / v_lin
S_SIGMA_BIAS = 11  # relative std of the per-column synaptic current factor
S_SIGMA_BIAS_Q = 12  # relative std of the per-quadrant synaptic current factor
S_SIGMA_RAMP = 13  # CADC ramp noise std (codes), common to a quadrant
S_REM_BASE = 14  # length of the last, shorter step of the baseline window (s; set per call)
S_SIGMA_GM = 15  # relative std of the per-vector, per-path OTA bias (g_m) factor
N_SC = 16

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
I_N_FLK = 9  # noise blocks per flicker block
I_ADC_MAX = 10  # largest ADC code
N_ISC = 11

FLAG_LINE_NOISE = 1
FLAG_OTA_NOISE = 2
FLAG_JITTER = 4
FLAG_ADC_NOISE = 8
FLAG_CLOSED_FORM = 16
FLAG_FLICKER = 32
FLAG_BIAS = 64
FLAG_RAMP = 128
FLAG_SPLIT_GM = 256  # g_exc != g_inh in some column (otherwise the membrane step uses one k_I)
FLAG_SPLIT_TAU = 512  # tau_exc != tau_inh in some column (otherwise the lines share edge terms)
FLAG_SPLIT_LEAK = 1024  # tau_leak differs between columns (otherwise one set of flicker terms)

WINDOW_READ = 0
WINDOW_BASE = 1

# Flicker coefficient table ``flk`` [3 + W, N_FLK, K] (float64, per component k): set F_FULL for
# a full flicker block, F_GAP for the propagation over the gap between the windows (F_A, F_S1
# only), F_TAU for the components themselves (row 0: tau_k (s), row 1: stationary std,
# normalized), F_LAST + w for the last (shorter) flicker block of window w (0: baseline, 1..:
# reads).
F_A = 0  # exp(-h_f/tau_k)
F_S1 = 1  # innovation std of the end value
F_M0 = 2  # block mean = sum_k (M0 s_k + M1 z_k) + M2 z (the K residuals combined in one normal)
F_M1 = 3
F_M2 = 4  # sqrt(sum_k M2_k^2): the combined residual std (the same in every entry k)
N_FLK = 5
F_FULL = 0
F_GAP = 1
F_TAU = 2
F_LAST = 3
#: Largest number of flicker components (draw counters per column and OTA are 32 apart).
MAX_FLICKER_COMPONENTS = 31

# Prephase coefficients of one prephase length t_s = k_s dt: functions of t_s and the half only,
# so they are computed once and reused by the following samples (of a chunk of the batch) whose
# window has the same t_s. Per column, float64 ``pre`` [N_PRE, M]:
P_REG_E = 0  # Cov(n(t_s), J) / sigma_n^2 = phi(lambda + 1/tau, t_s) (excitatory line)
P_SD_E = 1  # std of J given n(t_s), J the leak-weighted integral of the line noise
P_REG_I = 2  # the same two for the inhibitory line
P_SD_I = 3
P_OTA = 4  # std (V) of the membrane's OTA-noise part over [0, t_s]
P_PHL = 5  # phi(lambda, t_s) = (1 - exp(-lambda t_s)) / lambda (s): the drift's weight
N_PRE = 6
# Per flicker component k and column (its leak rate), float64 ``pre_f`` [N_PRE_F, K, M] (see
# :func:`_flicker_prephase`):
PF_M = 0  # E[I_k | s_k(0)] / s_k(0)
PF_C1 = 1  # Cov(s_k(t_s), I_k | s_k(0)) / innovation std of the end value
PF_A = 2  # exp(-t_s / tau_k)
PF_S1 = 3  # innovation std of the end value
PF_C2 = 4  # std of the K combined residuals of the integrals (entry 0)
N_PRE_F = 5

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


@njit_borrow
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
    z_jit = np.empty(n if jitter else 0, dtype=np.float32)  # one normal per event
    if jitter:
        k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_JITTER)
        rng.fill_normals(k_lo, k_hi, 0, 1, z_jit, np.empty(n, dtype=np.uint32))
    m = 0
    for j in range(n):
        r = ev_row[j0 + j]
        t0 = ev_time[j0 + j]
        length = ev_act[j0 + j] * sc[S_T_LSB] * (1.0 + drv_gain[r]) + drv_offset[r]
        if jitter:
            length += sc[S_SIGMA_JIT] * z_jit[j]
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


@njit_borrow
def _stepping_start(n_steps, e_step, isc):
    """The candidate k_s: the first step of the noise block that holds the first edge (the last
    block without edges); 0 without the closed-form prephase. Integers only, so no edge can lie
    before it. :func:`_in_compliance` decides whether the prephase may end there."""
    n_sub = isc[I_N_SUB]
    if (isc[I_FLAGS] & FLAG_CLOSED_FORM) == 0:
        return np.int64(0)
    if e_step.shape[0] > 0:
        k_first = min(e_step[0], n_steps - 1)
    else:
        k_first = n_steps - 1
    return (k_first // n_sub) * n_sub


@njit_borrow
def _in_compliance(col64, sc, pre):
    """Whether the drift keeps every column in full compliance over the prephase whose
    coefficients are ``pre`` (the closed form assumes f = 1 on the whole prephase; the drift is
    monotone, so checking both ends suffices)."""
    width = sc[S_WIDTH]
    for c in range(col64.shape[1]):
        y_end = col64[D_DRIFT, c] * pre[P_PHL, c]
        lo = col64[D_YLO, c] + width
        hi = col64[D_YHI, c] - width
        if not (lo <= 0.0 <= hi and lo <= y_end <= hi):
            return False
    return True


@njit_borrow
def _flicker_start(k_lo, k_hi, fs, path, a, s1, stationary, zb, bits):
    """Flicker states ``fs`` [K, M] (normalized) of one OTA path at the start of a window:
    drawn from the stationary distribution (``stationary``, std ``s1``), or propagated exactly
    over the gap from the end of the previous window: fs = a fs + s1 z (a, s1 per component).
    Draw k of column c has counter 64 c + 32 path + k; ``zb`` [>= K, M] and ``bits`` [>= M] are
    scratch buffers (:func:`kernels.rng.fill_normals`)."""
    for k in range(fs.shape[0]):
        rng.fill_normals(k_lo, k_hi, 32 * path + k, 64, zb[k], bits)
    for k in range(fs.shape[0]):
        ak = a[k]
        sk = s1[k]
        fsk = fs[k]
        zk = zb[k]
        for c in range(fs.shape[1]):
            z = zk[c]
            if stationary:
                fsk[c] = sk * z
            else:
                fsk[c] = ak * fsk[c] + sk * z


@njit_borrow
def _flicker_block(k_lo, k_hi, fs, path, coef, mean, zb, bits):
    """One flicker block of one OTA path for every column: the K OU components advance exactly
    over the block (end values and block mean jointly, coefficients ``coef`` [N_FLK, K]); the
    block mean of their sum (normalized) is written to ``mean`` [M]. Draws per column: K for
    the end values (counters 64 c + 32 path + k), one for the combined residual of the block
    mean (counter 64 c + 32 path + K); ``zb`` [>= K + 1, M] and ``bits`` [>= M] are scratch."""
    n_k = fs.shape[0]
    m2 = coef[F_M2, 0]
    for k in range(n_k + 1):
        rng.fill_normals(k_lo, k_hi, 32 * path + k, 64, zb[k], bits)
    zr = zb[n_k]
    for c in range(fs.shape[1]):
        mean[c] = m2 * zr[c]
    for k in range(n_k):
        a = coef[F_A, k]
        s1 = coef[F_S1, k]
        m0 = coef[F_M0, k]
        m1 = coef[F_M1, k]
        fsk = fs[k]
        zk = zb[k]
        for c in range(fs.shape[1]):
            z = zk[c]
            s = fsk[c]
            mean[c] += m0 * s + m1 * z
            fsk[c] = a * s + s1 * z


@njit_borrow
def _flicker_last_mean(k_lo, k_hi, fs, path, coef, mean, zb, bits):
    """The block mean alone of one OTA path's flicker block for every column, for a block whose
    end values are never used (the read window's last): given the states ``fs`` [K, M] at the
    block start, the mean sum_k (m0_k s_k + m1_k z_k) + m2 z of :func:`_flicker_block` is
    normal with mean sum_k m0_k s_k and variance sum_k m1_k^2 + m2^2 (coefficients ``coef``
    [N_FLK, K]), so it is drawn with one normal per column instead of K + 1: the exact
    conditional law, another realization. Its counter is 64 c + 32 path + K, the combined
    residual's of the block draw it replaces (no other draw is made with the block's key).
    ``fs`` is left as it entered (the states at the block start, not advanced); ``mean`` [M]
    gets the block mean (normalized); ``zb`` [>= 1, M] and ``bits`` [>= M] are scratch."""
    n_k = fs.shape[0]
    acc = coef[F_M2, 0] * coef[F_M2, 0]
    for k in range(n_k):
        acc += coef[F_M1, k] * coef[F_M1, k]
    sd = np.sqrt(acc)  # float64 also in plain Python (a Python float times float32 is float32)
    rng.fill_normals(k_lo, k_hi, 32 * path + n_k, 64, zb[0], bits)
    z0 = zb[0]
    for c in range(fs.shape[1]):
        mean[c] = sd * z0[c]
    for k in range(n_k):
        m0 = coef[F_M0, k]
        fsk = fs[k]
        for c in range(fs.shape[1]):
            mean[c] += m0 * fsk[c]


@njit
def flicker_series(seed, stream, sample, window, n_blocks, sigma, coef, n_cols):
    """Block means [n_blocks, n_cols] (normalized) of the excitatory flicker process of one
    sample and window, with the kernel's own draws and code: a stationary start, then
    ``n_blocks`` blocks with coefficients ``coef`` [N_FLK, K] (for tests and tools)."""
    n_k = coef.shape[1]
    fs = np.empty((n_k, n_cols), dtype=np.float64)
    zb = np.empty((n_k + 1, n_cols), dtype=np.float32)
    bits = np.empty(n_cols, dtype=np.uint32)
    s_lo, s_hi = rng.make_key(seed, stream, sample, 16 * window + rng.PURPOSE_FLICKER_START)
    stat = np.full(n_k, sigma)
    _flicker_start(s_lo, s_hi, fs, 0, stat, stat, True, zb, bits)
    out = np.empty((n_blocks, n_cols), dtype=np.float64)
    mean = np.empty(n_cols, dtype=np.float64)
    f_lo, f_hi = rng.make_key(seed, stream, sample, 16 * window + rng.PURPOSE_FLICKER)
    for j in range(n_blocks):
        k_lo, k_hi = rng.mix_key(f_lo, f_hi, j)
        _flicker_block(k_lo, k_hi, fs, 0, coef, mean, zb, bits)
        out[j] = mean
    return out


@njit_borrow
def _flicker_coefficients(flk, h, coef):
    """Exact flicker block coefficients ``coef`` [N_FLK, K] of a block of length ``h`` (s) (the
    first, partial flicker block of a stepped part); the same formulas as the wrapper's."""
    acc = 0.0
    for k in range(flk.shape[2]):
        tau = flk[F_TAU, 0, k]
        sig = flk[F_TAU, 1, k]
        x = h / tau
        one_a = -math.expm1(-x)
        s1 = sig * math.sqrt(-math.expm1(-2.0 * x))
        cov = sig * sig * tau * one_a * one_a  # Cov(s_end, integral)
        var_int = sig * sig * tau * (2.0 * h - 2.0 * tau * one_a - tau * one_a * one_a)
        coef[F_A, k] = 1.0 - one_a
        coef[F_S1, k] = s1
        coef[F_M0, k] = tau * one_a / h
        if s1 > 0.0:
            coef[F_M1, k] = cov / s1 / h
            acc += max(var_int - (cov / s1) ** 2, 0.0)
        else:
            coef[F_M1, k] = 0.0
    m2 = math.sqrt(acc) / h
    for k in range(flk.shape[2]):
        coef[F_M2, k] = m2


@njit_borrow
def _flicker_prephase_coefficients(flk, lam, t_s, pre_f):
    """The coefficients ``pre_f`` [N_PRE_F, K] of the flicker over a prephase of length ``t_s``
    (s) of a column with leak rate ``lam`` (1/s), the same for both OTA paths (see
    :func:`_flicker_prephase`)."""
    n_k = flk.shape[2]
    acc = 0.0
    for k in range(n_k):
        tau = flk[F_TAU, 0, k]
        sig = flk[F_TAU, 1, k]
        q = 1.0 / tau
        a = math.exp(-q * t_s)
        s1 = sig * math.sqrt(-math.expm1(-2.0 * q * t_s))
        m = math.exp(-lam * t_s) * _phi(q - lam, t_s)  # E[I | s(0)] / s(0)
        cov = sig * sig * (_phi(lam + q, t_s) - a * m)  # Cov(s(t_s), I | s(0))
        d = q - lam
        if abs(d) > 1e-6 * q:
            v_stat = 2.0 * (_phi(2.0 * lam, t_s) - _phi(lam + q, t_s)) / d
        else:
            # a component as slow as the leak: the limit d -> 0, -2 d/dr phi(r, t_s) at r = 2 lam
            r = 2.0 * lam
            v_stat = 2.0 * (_phi(r, t_s) - t_s * math.exp(-r * t_s)) / r
        var_i = sig * sig * (v_stat - m * m)  # Var(I | s(0))
        c1 = cov / s1 if s1 > 0.0 else 0.0
        acc += max(var_i - c1 * c1, 0.0)
        pre_f[PF_M, k] = m
        pre_f[PF_C1, k] = c1
        pre_f[PF_A, k] = a
        pre_f[PF_S1, k] = s1
    pre_f[PF_C2, 0] = math.sqrt(acc)


@njit_borrow
def _flicker_prephase(k_lo, k_hi, fs, path, pre_f, gain, y, zb, bits, split):
    """The flicker of one OTA path over the prephase [0, t_s], in closed form: per component the
    end value s(t_s) and the leak-weighted integral I = int_0^t_s exp(-lam_c (t_s - t)) s(t) dt
    are jointly normal given the state ``fs`` [K, M] holds (replaced by s(t_s)): s(0), or, with
    the window's start folded into ``pre_f`` (:func:`_flicker_start_into_prephase`, as the
    kernel draws), the state at the end of the previous window; y += gain_c sum_k I_k
    (``gain`` [M]: g v_lin sech^2(os) / C_m, the OTA linearized around its offset). Draws: K for
    the end values, one for the K combined residuals of the integrals (counters 64 c + 32 path
    + k, k = 0..K); ``zb`` [>= K + 1, M] and ``bits`` [>= M] are scratch. ``pre_f`` [N_PRE_F,
    K, M] are the coefficients of t_s per column (:func:`_flicker_prephase_coefficients`); without
    ``split`` (every column has the same leak) those of column 0 serve all."""
    n_k = fs.shape[0]
    m_cols = fs.shape[1]
    for k in range(n_k + 1):
        rng.fill_normals(k_lo, k_hi, 32 * path + k, 64, zb[k], bits)
    if not split:
        for k in range(n_k):
            m0 = pre_f[PF_M, k, 0]
            c10 = pre_f[PF_C1, k, 0]
            a0 = pre_f[PF_A, k, 0]
            s10 = pre_f[PF_S1, k, 0]
            fsk = fs[k]
            zk = zb[k]
            for c in range(m_cols):
                z = zk[c]
                s0 = fsk[c]
                y[c] += gain[c] * (m0 * s0 + c10 * z)
                fsk[c] = a0 * s0 + s10 * z
        c20 = pre_f[PF_C2, 0, 0]
        zr = zb[n_k]
        for c in range(m_cols):
            y[c] += gain[c] * c20 * zr[c]
        return
    for k in range(n_k):
        m = pre_f[PF_M, k]
        c1 = pre_f[PF_C1, k]
        a = pre_f[PF_A, k]
        s1 = pre_f[PF_S1, k]
        fsk = fs[k]
        zk = zb[k]
        for c in range(m_cols):
            z = zk[c]
            s0 = fsk[c]
            y[c] += gain[c] * (m[c] * s0 + c1[c] * z)
            fsk[c] = a[c] * s0 + s1[c] * z
    c2 = pre_f[PF_C2, 0]
    zr = zb[n_k]
    for c in range(m_cols):
        y[c] += gain[c] * c2[c] * zr[c]


@njit_borrow
def _flicker_start_into_prephase(pre_f, flk, stationary):
    """Fold the flicker's start into the prephase coefficients ``pre_f`` [N_PRE_F, K, M] (in
    place), so that the start and the prephase are one joint draw: K + 1 normals per column and
    OTA instead of K for the start and K + 1 for the prephase. The start is s(0) = g s_prev +
    h z: stationary for the baseline window (g = 0, h the stationary std ``flk[F_TAU, 1]``),
    propagated over the gap from the end of the baseline window for the read window (g, h =
    ``flk[F_GAP, F_A]``, ``flk[F_GAP, F_S1]``). With the prephase's end value s(t_s) = a s(0) +
    s1 z' and integral I = m s(0) + c1 z' + (residual), given s_prev: s(t_s) = a g s_prev + S z
    and I = m g s_prev + beta z + r, with S^2 = a^2 h^2 + s1^2, beta = (m a h^2 + c1 s1) / S and
    Var(r) = m^2 h^2 + c1^2 + (residual variance) - beta^2; the residuals of the K components are
    combined into one normal as before. :func:`_flicker_prephase` then draws with these
    coefficients from the state at the end of the previous window (multiplied by g = 0 for the
    baseline window)."""
    n_k = pre_f.shape[1]
    for c in range(pre_f.shape[2]):
        extra = 0.0
        for k in range(n_k):
            if stationary:
                g = 0.0
                h = flk[F_TAU, 1, k]
            else:
                g = flk[F_GAP, F_A, k]
                h = flk[F_GAP, F_S1, k]
            m = pre_f[PF_M, k, c]
            c1 = pre_f[PF_C1, k, c]
            a = pre_f[PF_A, k, c]
            s1 = pre_f[PF_S1, k, c]
            h2 = h * h
            big_s = math.sqrt(a * a * h2 + s1 * s1)
            beta = (m * a * h2 + c1 * s1) / big_s if big_s > 0.0 else 0.0
            extra += max(m * m * h2 + c1 * c1 - beta * beta, 0.0)
            pre_f[PF_M, k, c] = m * g
            pre_f[PF_C1, k, c] = beta
            pre_f[PF_A, k, c] = a * g
            pre_f[PF_S1, k, c] = big_s
        c2 = pre_f[PF_C2, 0, c]
        pre_f[PF_C2, 0, c] = math.sqrt(c2 * c2 + extra)


@njit_borrow
def _prephase_coefficients(t_s, col64, sc, isc, flk, pre, pre_f):
    """The coefficients of a prephase of length ``t_s`` (s; k_s dt, or a whole window without
    pulse edges): ``pre`` [N_PRE, M] of the drift, the line
    and OTA noise, ``pre_f`` [N_PRE_F, K, M] of the flicker (rows of the noise sources that are
    off are left as they are). Each column has its own leak rate; the coefficients of a column
    whose rate equals the previous column's are copied, not computed again."""
    flags = isc[I_FLAGS]
    sig_n = sc[S_SIGMA_N]
    line_noise = (flags & FLAG_LINE_NOISE) != 0
    ota_noise = (flags & FLAG_OTA_NOISE) != 0
    flicker = (flags & FLAG_FLICKER) != 0
    ph_l = 0.0
    ph_2l = 0.0
    for c in range(col64.shape[1]):
        lam = col64[D_LAM, c]
        new_lam = c == 0 or lam != col64[D_LAM, c - 1]
        if new_lam:
            ph_l = _phi(lam, t_s)
            ph_2l = _phi(2.0 * lam, t_s)
        pre[P_PHL, c] = ph_l
        if line_noise:
            # J = int_0^t exp(-lam (t - s)) n(s) ds, jointly normal with n(t), per line
            q = col64[D_Q_E, c]
            ph_lq = _phi(lam + q, t_s)
            reg = ph_lq  # Cov(n(t), J) / sigma^2
            var_j = 2.0 * (ph_2l - ph_lq) / (q - lam)  # Var(J) / sigma^2
            pre[P_REG_E, c] = reg
            pre[P_SD_E, c] = math.sqrt(max(var_j - reg * reg, 0.0)) * sig_n
            q = col64[D_Q_I, c]
            ph_lq = _phi(lam + q, t_s)
            reg = ph_lq
            var_j = 2.0 * (ph_2l - ph_lq) / (q - lam)
            pre[P_REG_I, c] = reg
            pre[P_SD_I, c] = math.sqrt(max(var_j - reg * reg, 0.0)) * sig_n
        if ota_noise:
            pre[P_OTA, c] = math.sqrt(col64[D_OTA, c] * ph_2l)
        if flicker:
            if new_lam:
                _flicker_prephase_coefficients(flk, lam, t_s, pre_f[:, :, c])
            else:
                for r in range(pre_f.shape[0]):
                    for k in range(pre_f.shape[1]):
                        pre_f[r, k, c] = pre_f[r, k, c - 1]


@njit_borrow
def _prephase(
    b_key,
    window,
    wrow,
    n_steps,
    k_s,
    col32,
    col64,
    sc,
    isc,
    ve,
    vi,
    ie,
    ii,
    ne,
    ni,
    nem,
    nim,
    y,
    fse,
    fsi,
    fme,
    fmi,
    oe,
    oi,
    zb,
    bits,
    pre,
    pre_f,
    yf,
):
    """The state at t_s = k_s dt (or at the end of a window without pulse edges, see
    :func:`_window`), drawn in closed form: lines at rest (noise only), membrane linear (drift
    including the OTA offsets, the line noise through the linearized OTAs, OTA noise); the plain
    reset state plus stationary line noise for k_s = 0. Only whether k_s > 0 matters here: the
    length of the prephase is in its coefficients.

    Flicker: its start and [0, t_s] in closed form, one joint draw (:func:`_flicker_prephase`
    with the coefficients of :func:`_flicker_start_into_prephase`), through the OTAs linearized
    around their offsets; the flicker states ``fse`` and ``fsi`` (at the end of the previous
    window when they enter) advance to t_s, and the
    stepped part starts with a (possibly partial) flicker block at t_s. ``oe``, ``oi`` get the
    OTA offsets (normalized). Draw j of column c has counter 8 c + j (j = 0, 1: line noise at
    t_s; 2, 3: its leak-weighted integrals; 4: OTA noise); ``zb`` [>= 5, M] and ``bits``
    [>= M] are scratch. ``pre``, ``pre_f`` are the coefficients of t_s
    (:func:`_prephase_coefficients`, used for k_s > 0), ``yf`` [M] float64 scratch."""
    m_cols = y.shape[0]
    flags = isc[I_FLAGS]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    line_noise = (flags & FLAG_LINE_NOISE) != 0
    ota_noise = (flags & FLAG_OTA_NOISE) != 0
    flicker = (flags & FLAG_FLICKER) != 0
    sig_n = sc[S_SIGMA_N]
    p_lo, p_hi = rng.make_key(seed, isc[I_STREAM], b_key, 16 * window + rng.PURPOSE_PREPHASE)
    if line_noise:
        for j in range(4 if k_s > 0 else 2):
            rng.fill_normals(p_lo, p_hi, j, 8, zb[j], bits)
    if ota_noise and k_s > 0:
        rng.fill_normals(p_lo, p_hi, 4, 8, zb[4], bits)
    for c in range(m_cols):
        ve[c] = _F0
        vi[c] = _F0
        ie[c] = _F0
        ii[c] = _F0
        nem[c] = _F0
        nim[c] = _F0
        oe[c] = col32[C_OS_E, c]
        oi[c] = col32[C_OS_I, c]
        yc = col64[D_DRIFT, c] * (pre[P_PHL, c] if k_s > 0 else 0.0)
        ne_c = 0.0
        ni_c = 0.0
        if line_noise:
            ne_c = sig_n * zb[0, c]
            ni_c = sig_n * zb[1, c]
            if k_s > 0:
                # J = int_0^t exp(-lam (t - s)) n(s) ds of each line, jointly normal with n(t)
                j_e = pre[P_REG_E, c] * ne_c + pre[P_SD_E, c] * zb[2, c]
                j_i = pre[P_REG_I, c] * ni_c + pre[P_SD_I, c] * zb[3, c]
                if col64[D_GV_E, c] == col64[D_GV_I, c]:
                    yc += col64[D_GV_E, c] * (j_e - j_i)
                else:
                    yc += col64[D_GV_E, c] * j_e - col64[D_GV_I, c] * j_i
        if ota_noise and k_s > 0:
            yc += pre[P_OTA, c] * zb[4, c]
        ne[c] = np.float32(ne_c)
        ni[c] = np.float32(ni_c)
        y[c] = np.float32(yc)
    if flicker and k_s > 0:
        f_lo, f_hi = rng.make_key(
            seed, isc[I_STREAM], b_key, 16 * window + rng.PURPOSE_FLICKER_PREPHASE
        )
        for c in range(m_cols):
            yf[c] = 0.0
        split = (flags & FLAG_SPLIT_LEAK) != 0
        _flicker_prephase(f_lo, f_hi, fse, 0, pre_f, col64[D_GV_E], yf, zb, bits, split)
        for c in range(m_cols):
            yf[c] = -yf[c]
        _flicker_prephase(f_lo, f_hi, fsi, 1, pre_f, col64[D_GV_I], yf, zb, bits, split)
        for c in range(m_cols):
            y[c] = np.float32(y[c] - yf[c])


#: Largest deviation m |a^k - a_c| of a line's step mean in a quiet block from the point the
#: closed form expands tanh about (m the step mean of the line's decaying state at the block
#: start, normalized to v_lin): the Taylor series to order QUIET_ORDER then leaves at most
#: max|tanh^(6)| / 6! d^6 = 0.073 d^6 per unit of drive and step (1.1e-3 at 0.5). At bss2's
#: tau_syn = 0.32 us and 8 steps of 32 ns per block that admits m up to 2.0.
QUIET_DELTA_MAX = np.float32(0.5)
_THIRD = np.float32(1.0 / 3.0)
_TWO_THIRDS = np.float32(2.0 / 3.0)
_F2 = np.float32(2.0)
_F15 = np.float32(15.0)
_INV15 = np.float32(1.0 / 15.0)


@njit_inline
def _tanh_block_sum(x, m, a_c, w_0, v_1, v_2, v_3, v_4, v_5):
    """sum_k lam^(n-1-k) tanh(x + m a^k) over the n steps of a full noise block, from the
    Taylor series of tanh about x0 = x + m a_c to order QUIET_ORDER in m (a^k - a_c): its
    coefficients c_j = tanh^(j)(x0) / j! as polynomials of t = tanh x0, weighted by the block
    sums W_0 (``w_0``) and V_1 .. V_5 (``v_1`` .. ``v_5``) of the column (see
    :data:`C_QB_LAM`). Scalars only: an array passed into an inlined function leaves reference
    counting calls in the column loop, which keep it from vectorizing."""
    p, q = tanh32_pq(x + m * a_c)
    t = p / q
    t2 = t * t
    s = _F1 - t2
    c2 = -t * s
    c3 = (t2 - _THIRD) * s
    c4 = t * s * (_TWO_THIRDS - t2)
    c5 = s * ((_F15 * t2 - _F15) * t2 + _F2) * _INV15
    acc = fma32(c5 * v_5, m, c4 * v_4)
    acc = fma32(acc, m, c3 * v_3)
    acc = fma32(acc, m, c2 * v_2)
    acc = fma32(acc, m, s * v_1)
    return fma32(t, w_0, m * acc)


@njit_inline
def _quiet_step(v_e, v_i, yc, x_e, x_i, col32, c, inv_w, x_max):
    """One explicit step of column c without pulses: the stepped path's arithmetic with its held
    rates exactly 0 (the same values); returns (v_e, v_i, y, m_e, m_i) at the step end, m the
    step means of the lines."""
    m_e = min(col32[R_MU_E, c] * v_e, x_max)
    m_i = min(col32[R_MU_I, c] * v_i, x_max)
    v_e = min(col32[R_A_E, c] * v_e, x_max)
    v_i = min(col32[R_A_I, c] * v_i, x_max)
    p_e, q_e = tanh32_pq(m_e + x_e)
    p_i, q_i = tanh32_pq(m_i + x_i)
    f_up = compliance(col32[C_YHI, c] - yc, inv_w)
    f_dn = compliance(yc - col32[C_YLO, c], inv_w)
    drive = fma32(col32[C_RE, c] * (f_up * p_e), q_i, -(col32[C_RI, c] * (f_dn * p_i) * q_e)) / (
        q_e * q_i
    )
    yc = fma32(col32[R_KI, c], drive, fma32(-col32[R_LDT, c], yc, yc + col32[R_OFF, c]))
    return v_e, v_i, yc, m_e, m_i


@njit_borrow
def _quiet_block(ve, vi, y, xe, xi, col32, sc, n_sub, y_new, ok):
    """One full noise block of ``n_sub`` full steps without pulses (no pulse active, no edge in
    the block) in closed form instead of stepped. The lines only decay (v a^k), so the
    membrane's explicit steps y_k+1 = (1 - dt/tau_leak) y_k + k_I (r_e tanh(x_e + m_e a^k) -
    r_i tanh(x_i + m_i a^k)) + off sum to lam^n y_0 + k_I (r_e S_e - r_i S_i) + off W_0
    (:func:`_tanh_block_sum`), with m = mu v the step mean of the line's state at the block
    start and x the OTA's other inputs held over the block (``xe``, ``xi``). A column qualifies
    when m |a^k - a_c| <= QUIET_DELTA_MAX (and m is below the line bound) on both lines and its
    membrane cannot come
    within the compliance width of a rail during the block (|tanh x| <= |x| bounds its steps),
    so f = 1 throughout, as in its stepped steps; the others (at most an eighth of the columns)
    are stepped here, with the stepped path's arithmetic (:func:`_quiet_step`). Returns whether
    the block was done: then ``y``, ``ve`` and ``vi`` hold their values at the block end;
    otherwise (more columns do not qualify) nothing was changed. ``y_new``, ``ok`` [M]
    (float32) are scratch."""
    m_cols = y.shape[0]
    width = np.float32(sc[S_WIDTH])
    x_max = np.float32(sc[S_X_MAX])
    n = np.float32(n_sub)
    # which columns qualify (a loop of its own: the two loops vectorize, one fused did not)
    bad = 0
    for c in range(m_cols):
        m_e = col32[R_MU_E, c] * ve[c]
        m_i = col32[R_MU_I, c] * vi[c]
        x_e = xe[c]
        x_i = xi[c]
        y0 = y[c]
        # the largest move of y over the block (|tanh x| <= |x|)
        reach = n * (
            col32[R_KI, c]
            * (col32[C_RE, c] * (abs(x_e) + abs(m_e)) + col32[C_RI, c] * (abs(x_i) + abs(m_i)))
            + abs(col32[R_OFF, c])
            + col32[R_LDT, c] * (abs(y0) + _F1)
        )
        good = (
            (abs(m_e) * col32[C_QB_D_E, c] <= QUIET_DELTA_MAX)
            & (abs(m_i) * col32[C_QB_D_I, c] <= QUIET_DELTA_MAX)
            & (m_e <= x_max)
            & (m_i <= x_max)
            & (col32[C_YHI, c] - y0 - width >= reach)
            & (y0 - col32[C_YLO, c] - width >= reach)
        )
        bad += 0 if good else 1
        ok[c] = _F1 if good else _F0
    if 8 * bad > m_cols:
        return False
    for c in range(m_cols):
        m_e = col32[R_MU_E, c] * ve[c]
        m_i = col32[R_MU_I, c] * vi[c]
        w_0 = col32[C_QB_W0, c]
        s_e = _tanh_block_sum(
            xe[c],
            m_e,
            col32[C_QB_AC_E, c],
            w_0,
            col32[C_QB_WE, c],
            col32[C_QB_WE + 1, c],
            col32[C_QB_WE + 2, c],
            col32[C_QB_WE + 3, c],
            col32[C_QB_WE + 4, c],
        )
        s_i = _tanh_block_sum(
            xi[c],
            m_i,
            col32[C_QB_AC_I, c],
            w_0,
            col32[C_QB_WI, c],
            col32[C_QB_WI + 1, c],
            col32[C_QB_WI + 2, c],
            col32[C_QB_WI + 3, c],
            col32[C_QB_WI + 4, c],
        )
        y_new[c] = (
            col32[C_QB_LAM, c] * y[c]
            + col32[R_KI, c] * (col32[C_RE, c] * s_e - col32[C_RI, c] * s_i)
            + col32[R_OFF, c] * w_0
        )
    for c in range(m_cols):
        good = ok[c] != _F0
        y[c] = y_new[c] if good else y[c]
        ve[c] = ve[c] * col32[C_QB_AN_E, c] if good else ve[c]
        vi[c] = vi[c] * col32[C_QB_AN_I, c] if good else vi[c]
    if bad > 0:
        inv_w = np.float32(1.0 / sc[S_WIDTH])
        for c in range(m_cols):
            if ok[c] == _F0:
                v_e = ve[c]
                v_i = vi[c]
                yc = y[c]
                for _ in range(n_sub):
                    v_e, v_i, yc, _m_e, _m_i = _quiet_step(
                        v_e, v_i, yc, xe[c], xi[c], col32, c, inv_w, x_max
                    )
                ve[c] = v_e
                vi[c] = v_i
                y[c] = yc
    return True


@njit_borrow
def _quiet_traces(
    k0, n_sub, ve, vi, y, xe, xi, nem, nim, col32, sc, slot, rec_cols, tr_exc, tr_inh, tr_mem
):
    """The trace points of the recorded columns over a quiet block that starts at step ``k0``
    (before :func:`_quiet_block` changes the state): the steps it sums, taken one by one (a
    column stepped there gets its own values; the block's end point is set from the closed form
    afterwards)."""
    v_lin = sc[S_V_LIN]
    v_reset = sc[S_V_RESET]
    x_max = np.float32(sc[S_X_MAX])
    inv_w = np.float32(1.0 / sc[S_WIDTH])
    for j in range(rec_cols.shape[0]):
        c = rec_cols[j]
        v_e = ve[c]
        v_i = vi[c]
        yc = y[c]
        for k in range(k0, k0 + n_sub):
            v_e, v_i, yc, m_e, m_i = _quiet_step(v_e, v_i, yc, xe[c], xi[c], col32, c, inv_w, x_max)
            tr_exc[slot, j, k + 1] = v_lin * (m_e + nem[c])
            tr_inh[slot, j, k + 1] = v_lin * (m_i + nim[c])
            tr_mem[slot, j, k + 1] = v_reset + yc


@njit_borrow
def _bounded_piece(d, v, m, rate, qq, tau, x_max):
    """Advance bounded lines over a piece of length ``d`` (s, <= dt) with constant input rate:
    the state becomes min(free solution, x_max) (exact: with a constant rate the free solution
    is monotone, so once at the bound the line stays there while the rate holds it), and the
    piece's integral of the free solution, limited to x_max d, is added to ``m``."""
    for c in range(v.shape[0]):
        x = np.float32(d) * qq[c]
        r = step_rise(x)
        t = tau[c]
        v0 = v[c]
        m[c] += min(t * (v0 * r + rate[c] * t * step_area(x)), x_max * np.float32(d))
        v[c] = min(v0 + r * (rate[c] * t - v0), x_max)


@njit
def _line_noise_row(col32, r_ou, p, row, r_out):
    """One noise block of one line in innovations form, every column (float64): from the
    variance ``p`` [M] of the block-start state given the block means before it, rows
    ``r_out`` .. ``r_out + 2`` of ``row`` [N_LNG, M] get the std of the block mean given them,
    the gain of its innovation on the state estimate and ``p`` itself; ``p`` advances to the
    next block. ``r_ou`` is the line's first R_OU_* row of ``col32``."""
    for c in range(col32.shape[1]):
        a = np.float64(col32[r_ou, c])
        s1 = np.float64(col32[r_ou + 1, c])
        m0 = np.float64(col32[r_ou + 2, c])
        m1 = np.float64(col32[r_ou + 3, c])
        m2 = np.float64(col32[r_ou + 4, c])
        pc = p[c]
        cov = a * m0 * pc + s1 * m1  # Cov(state at the block end, block mean | the means before)
        sd = math.sqrt(m0 * m0 * pc + m1 * m1 + m2 * m2)
        g = cov / sd if sd > 0.0 else 0.0
        row[r_out, c] = sd
        row[r_out + 1, c] = g
        row[r_out + 2, c] = pc
        p[c] = max(a * a * pc + s1 * s1 - g * g, 0.0)


@njit
def line_noise_gains(col32, n_blk):
    """float32 [J, N_LNG, M]: the line noise of a stepped part in innovations form, one normal
    per line and noise block instead of two.

    The joint block draw (state at the block end and block mean given the block-start state n,
    rows R_OU_* of ``col32``: n' = A n + S1 z1, m = M0 n + M1 z1 + M2 z2) is exact, but only
    the block means reach the membrane, and the state at the start of the stepped part is
    known (drawn by the prephase). The means are then a Gaussian sequence that one normal per
    block generates exactly (a Kalman filter of the state on the means): with n^ the state's
    mean and P its variance given the means before block j (n^ = n, P = 0 at the first block),

        m_j = M0 n^ + SD_j z_j,   n^ <- A n^ + G_j z_j,
        SD_j^2 = M0^2 P_j + M1^2 + M2^2,   G_j = (A M0 P_j + S1 M1) / SD_j,
        P_(j+1) = A^2 P_j + S1^2 - G_j^2.

    The gains do not depend on the sample, so they are computed once per batch (in float64 from
    the float32 coefficients the kernel uses, stored as float32), for up to ``n_blk`` blocks:
    P_j rises to its fixed point, and the table ends before the first row that equals the row
    before it in float32 (all columns, both lines); its last row serves every later block
    (within a float32 ulp of the recursion). The window's last block, shorter in general, takes
    its SD from P_j and its own coefficients in the kernel (its end state is never needed)."""
    m_cols = col32.shape[1]
    n_blk = max(n_blk, 1)
    p_e = np.zeros(m_cols)
    p_i = np.zeros(m_cols)
    # the table's length: the recursion up to the first row equal to the one before it
    prev = np.empty((N_LNG, m_cols))
    cur = np.empty((N_LNG, m_cols))
    n_rows = n_blk
    for j in range(n_blk):
        _line_noise_row(col32, R_OU_A_E, p_e, cur, L_SD_E)
        _line_noise_row(col32, R_OU_A_I, p_i, cur, L_SD_I)
        if j > 0 and np.all(cur.astype(np.float32) == prev.astype(np.float32)):
            n_rows = j  # rows 0..j-1: row j equals row j - 1
            break
        prev, cur = cur, prev
    # the table: the same recursion again, its rows kept
    out = np.empty((n_rows, N_LNG, m_cols), np.float32)
    p_e[:] = 0.0
    p_i[:] = 0.0
    for j in range(n_rows):
        _line_noise_row(col32, R_OU_A_E, p_e, cur, L_SD_E)
        _line_noise_row(col32, R_OU_A_I, p_i, cur, L_SD_I)
        out[j] = cur.astype(np.float32)
    return out


@njit_borrow
def _far_limit(col32, wtab, yhi, ylo, width, n_sub):
    """The distance (V, float32) from both rails beyond which a column stays in full compliance
    (f = 1 exactly) for a whole noise block of ``n_sub`` steps: the compliance ``width`` plus
    ``n_sub`` times the largest change of any column's membrane over one step while it stays
    between its rails, |k_I drive| <= 2 k_I (|tanh| <= 1, g / g_max <= 1) plus the offset and the
    leak term, of a full step (``col32``) or the window's last one (``wtab``). Margins: 1 % on
    the step (the rational tanh reaches 1 + 1e-5), 1e-4 of the width for the float32 rounding of
    the headroom and of 1 / width. ``yhi``, ``ylo`` (V from the reset) are the rails."""
    d_step = 0.0
    for c in range(yhi.shape[0]):
        y_abs = max(abs(np.float64(yhi[c])), abs(np.float64(ylo[c])))
        d_full = 2.0 * abs(col32[R_KI, c]) + abs(col32[R_OFF, c]) + abs(col32[R_LDT, c]) * y_abs
        d_last = 2.0 * abs(wtab[R_KI, c]) + abs(wtab[R_OFF, c]) + abs(wtab[R_LDT, c]) * y_abs
        d_step = max(d_step, d_full, d_last)
    return np.float32(width * (1.0 + 1e-4) + n_sub * d_step * 1.01)


@njit_borrow
def _window(
    b_key,
    window,
    wrow,
    n_full,
    n_steps,
    step_last,
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
    fse,
    fsi,
    flk,
    gbe,
    gbi,
    xe,
    xi,
    zb,
    bits,
    oe,
    oi,
    fme,
    fmi,
    coef_part,
    yf,
    pre,
    pre_f,
    pre_key,
    lng,
):
    """Integrate one window of one sample: ``n_full`` full steps, then a last, shorter step of
    ``step_last`` (s) if ``n_steps > n_full``, with the last-step and last-block coefficients of
    row ``wrow`` of ``win32`` (and of the flicker table ``flk``); leaves the membrane deviation
    in ``y`` and the flicker states at the window end in ``fse``, ``fsi`` [K, M] (they enter with
    the states at the window start). The read window's stepped part draws its last flicker block's
    means alone (:func:`_flicker_last_mean`): after it ``fse``, ``fsi`` are stale (the states at
    that block's start), which is harmless because nothing reads them before the next sample's
    baseline window, whose flicker starts stationary (the old state times g = 0 in the prephase's
    joint draw, or overwritten by :func:`_flicker_start`); the baseline window's end states carry
    over to the read window as before. ``window`` (WINDOW_READ or WINDOW_BASE) keys the noise;
    ``gbe``, ``gbi`` [M] scale the charge of the excitatory and inhibitory path (the bias
    factors of the vector, :func:`_bias_factors`). ``zb`` [>= max(5, K + 1), M] (float32) and
    ``bits`` [>= M] (uint32) are scratch buffers of the random numbers; ``oe``, ``oi`` (float32
    [M]), ``fme``, ``fmi``, ``yf`` (float64 [M]) and ``coef_part`` [N_FLK, K] scratch of the window.
    ``pre`` [N_PRE, M], ``pre_f`` [N_PRE_F, K, M] hold the prephase coefficients of the prephase
    length ``pre_key[0]`` (steps; -1: none yet; -2 - wrow: the whole window of row wrow):
    computed here when this window's differs. ``lng`` are the line-noise gains of the stepped
    part's blocks (:func:`line_noise_gains`): the line-noise states ``ne``, ``ni`` are the
    states' means given the block means drawn so far, and after the window's last block they
    are left at its start (nothing reads them: the next window's prephase draws its own). A
    window without pulse edges (the baseline window) is drawn in closed form up to its end when
    the drift keeps every column in full compliance: no stepped part at all (a recorded one gets
    its trace point at the read only).

    ``b_key`` is the global sample index (the noise key). Edges (e_step, e_u, e_row, e_sign), as
    :func:`_build_edges` makes them, must be sorted by time with steps in [0, n_steps). Traces are
    written when ``rec_slot >= 0``. Returns the number of edges that were not integrated exactly
    once: 0, or the kernel has a bug (the caller turns it into an error).
    """
    m_cols = y.shape[0]
    # oe, oi: the OTA inputs besides the lines, offset plus the flicker block mean (normalized)
    k_s = _stepping_start(n_steps, e_step, isc)
    # a window without pulse edges (the baseline window) is drawn in closed form up to its end,
    # with no stepped part, when the drift keeps it in full compliance (a recorded one has its
    # trace at the read only)
    whole = (isc[I_FLAGS] & FLAG_CLOSED_FORM) != 0 and e_step.shape[0] == 0
    if whole:
        # the window's length is fixed by its row of win32: cached under the key -2 - wrow
        if pre_key[0] != -2 - wrow:
            t_end = n_full * sc[S_DT] + (step_last if n_steps > n_full else 0.0)
            _prephase_coefficients(t_end, col64, sc, isc, flk, pre, pre_f)
            pre_key[0] = -2 - wrow
            if (isc[I_FLAGS] & FLAG_FLICKER) != 0:
                _flicker_start_into_prephase(pre_f, flk, window == WINDOW_BASE)
        if _in_compliance(col64, sc, pre):
            k_s = n_steps
        else:
            whole = False
            k_s = _stepping_start(n_steps, e_step, isc)
    if not whole:
        if k_s > 0 and pre_key[0] != k_s:
            _prephase_coefficients(k_s * sc[S_DT], col64, sc, isc, flk, pre, pre_f)
            pre_key[0] = k_s
            if (isc[I_FLAGS] & FLAG_FLICKER) != 0:
                _flicker_start_into_prephase(pre_f, flk, window == WINDOW_BASE)
        if k_s > 0 and not _in_compliance(col64, sc, pre):
            k_s = np.int64(0)
    if k_s == 0 and (isc[I_FLAGS] & FLAG_FLICKER) != 0:
        # the flicker's start on its own: stationary (baseline) or propagated over the gap from
        # the end of the baseline window (read); with a prephase it is part of the prephase draw
        seed0 = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
        s_lo, s_hi = rng.make_key(
            seed0, isc[I_STREAM], b_key, 16 * window + rng.PURPOSE_FLICKER_START
        )
        if window == WINDOW_BASE:
            stat = flk[F_TAU, 1]
            _flicker_start(s_lo, s_hi, fse, 0, stat, stat, True, zb, bits)
            _flicker_start(s_lo, s_hi, fsi, 1, stat, stat, True, zb, bits)
        else:
            g = flk[F_GAP, F_A]
            h = flk[F_GAP, F_S1]
            _flicker_start(s_lo, s_hi, fse, 0, g, h, False, zb, bits)
            _flicker_start(s_lo, s_hi, fsi, 1, g, h, False, zb, bits)
    _prephase(
        b_key,
        window,
        wrow,
        n_steps,
        k_s,
        col32,
        col64,
        sc,
        isc,
        ve,
        vi,
        ie,
        ii,
        ne,
        ni,
        nem,
        nim,
        y,
        fse,
        fsi,
        fme,
        fmi,
        oe,
        oi,
        zb,
        bits,
        pre,
        pre_f,
        yf,
    )
    slot = rec_slot
    if slot >= 0:
        v_lin = sc[S_V_LIN]
        v_reset = sc[S_V_RESET]
        for j in range(rec_cols.shape[0]):
            c = rec_cols[j]
            tr_exc[slot, j, k_s] = v_lin * (ve[c] + ne[c])
            tr_inh[slot, j, k_s] = v_lin * (vi[c] + ni[c])
            tr_mem[slot, j, k_s] = v_reset + y[c]
    if whole:
        return 0
    n_sub = isc[I_N_SUB]
    n_flk = isc[I_N_FLK]
    flags = isc[I_FLAGS]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    stream = isc[I_STREAM]
    closed_form = (flags & FLAG_CLOSED_FORM) != 0
    line_noise = (flags & FLAG_LINE_NOISE) != 0
    ota_noise = (flags & FLAG_OTA_NOISE) != 0
    flicker = (flags & FLAG_FLICKER) != 0
    bias = (flags & FLAG_BIAS) != 0 and window == WINDOW_READ
    bounded = not math.isinf(sc[S_X_MAX])
    split_gm = (flags & FLAG_SPLIT_GM) != 0
    split_tau = (flags & FLAG_SPLIT_TAU) != 0
    dt = sc[S_DT]
    last_blk = (n_steps - 1) // n_sub
    last_flk = (n_steps - 1) // (n_sub * n_flk)
    n_edges = e_step.shape[0]
    purpose_base = 16 * window
    width = sc[S_WIDTH]
    x_max = np.float32(sc[S_X_MAX])

    # ---- stepped part [t_s, t_end] -----------------------------------------------------------
    inv_w = np.float32(1.0 / width)
    wtab = win32[wrow]
    yhi = col32[C_YHI]
    ylo = col32[C_YLO]
    tau_e = col32[C_TAU_E]
    qq_e = col32[C_Q_E]
    tau_i = col32[C_TAU_I]
    qq_i = col32[C_Q_I]
    re = col32[C_RE]
    ri = col32[C_RI]
    # a noise block whose columns all start at least far_lim (V) from both rails keeps them in
    # full compliance: the membrane step skips the compliance there (exactly 1)
    far_lim = _far_limit(col32, wtab, yhi, ylo, width, n_sub)
    f_lo = np.uint64(0)
    f_hi = np.uint64(0)
    first_blk = k_s // n_sub
    # length of the last step beyond n_full steps (0 if the window ends on the grid)
    step_last_rem = step_last if n_steps > n_full else 0.0
    if flicker:
        f_lo, f_hi = rng.make_key(seed, stream, b_key, purpose_base + rng.PURPOSE_FLICKER)
    e = 0
    # edges before the stepped part cannot exist (k_s <= e_step[0]); were there any, they are
    # counted as lost, never silently skipped
    while e < n_edges and e_step[e] < k_s:
        e += 1
    lost = e
    n_active = 0
    k_lo = np.uint64(0)
    k_hi = np.uint64(0)
    # the rows of the block draws (views made once: a view made in the loop costs two atomic
    # reference-count updates each time)
    z_e = zb[0]
    z_i = zb[1]
    z_ota = zb[2]
    n_lng = lng.shape[0]
    for blk in range(k_s // n_sub, last_blk + 1):
        # the coefficients of this noise block: a full block, or the window's last one
        btab = wtab if blk == last_blk else col32
        if flicker and (blk % n_flk == 0 or blk == first_blk):
            # a new flicker block: exact OU block draws, the block mean held over the flicker
            # block, inside the tanh like the offset. The first block of the stepped part may
            # start inside a flicker block (after the closed-form prephase): it runs from t_s to
            # the end of that flicker block (or of the window) with coefficients of its own
            fb = blk // n_flk
            if blk % n_flk != 0:
                h_part = min((fb + 1) * n_sub * n_flk * dt, n_full * dt + step_last_rem) - k_s * dt
                _flicker_coefficients(flk, h_part, coef_part)
                coef = coef_part
            elif fb == last_flk:
                coef = flk[F_LAST + wrow]
            else:
                coef = flk[F_FULL]
            b_lo, b_hi = rng.mix_key(f_lo, f_hi, fb)
            if fb == last_flk and window == WINDOW_READ:
                # the read window's last flicker block (possibly also its first, partial one):
                # its end values are never used, so the block means alone, one draw per column
                _flicker_last_mean(b_lo, b_hi, fse, 0, coef, fme, zb, bits)
                _flicker_last_mean(b_lo, b_hi, fsi, 1, coef, fmi, zb, bits)
            else:
                _flicker_block(b_lo, b_hi, fse, 0, coef, fme, zb, bits)
                _flicker_block(b_lo, b_hi, fsi, 1, coef, fmi, zb, bits)
            for c in range(m_cols):
                oe[c] = np.float32(col32[C_OS_E, c] + fme[c])
                oi[c] = np.float32(col32[C_OS_I, c] + fmi[c])
        if line_noise or ota_noise:
            k_lo, k_hi = rng.make_key(seed, stream, b_key, purpose_base + rng.PURPOSE_BLOCK)
            k_lo, k_hi = rng.mix_key(k_lo, k_hi, blk)
        # the block's draws of column c: counters 8 c + j, j = 0 and 2 line noise, 4 OTA noise
        if line_noise:
            rng.fill_normals(k_lo, k_hi, 0, 8, z_e, bits)
            rng.fill_normals(k_lo, k_hi, 2, 8, z_i, bits)
        if ota_noise:
            rng.fill_normals(k_lo, k_hi, 4, 8, z_ota, bits)
        if line_noise:
            # exact OU block means in innovations form (line_noise_gains), one normal per line:
            # ne, ni hold the states' means given the block means so far
            j = min(blk - first_blk, n_lng - 1)
            if blk != last_blk:
                for c in range(m_cols):
                    z = z_e[c]
                    n0 = ne[c]
                    nem[c] = fma32(col32[R_OU_M0_E, c], n0, lng[j, L_SD_E, c] * z)
                    ne[c] = fma32(col32[R_OU_A_E, c], n0, lng[j, L_G_E, c] * z)
                    z = z_i[c]
                    n0 = ni[c]
                    nim[c] = fma32(col32[R_OU_M0_I, c], n0, lng[j, L_SD_I, c] * z)
                    ni[c] = fma32(col32[R_OU_A_I, c], n0, lng[j, L_G_I, c] * z)
            else:
                # the window's last (shorter) block: its own coefficients; the states after it
                # are never read, so they are left at the block's start
                for c in range(m_cols):
                    m0 = wtab[R_OU_M0_E, c]
                    m1 = wtab[R_OU_M1_E, c]
                    m2 = wtab[R_OU_M2_E, c]
                    sd = np.sqrt(fma32(m0 * m0, lng[j, L_P_E, c], fma32(m1, m1, m2 * m2)))
                    nem[c] = fma32(m0, ne[c], sd * z_e[c])
                    m0 = wtab[R_OU_M0_I, c]
                    m1 = wtab[R_OU_M1_I, c]
                    m2 = wtab[R_OU_M2_I, c]
                    sd = np.sqrt(fma32(m0 * m0, lng[j, L_P_I, c], fma32(m1, m1, m2 * m2)))
                    nim[c] = fma32(m0, ni[c], sd * z_i[c])
        # everything the OTAs see besides the line's deterministic state, held over the block
        # and whether every column starts the block far enough from both rails (a NaN is not)
        n_far = 0
        for c in range(m_cols):
            xe[c] = nem[c] + oe[c]
            xi[c] = nim[c] + oi[c]
            yc = y[c]
            n_far += (yhi[c] - yc >= far_lim) & (yc - ylo[c] >= far_lim)
        far = n_far == m_cols
        k_hi_step = min((blk + 1) * n_sub, n_steps)
        k_lo_step = blk * n_sub
        if (
            closed_form
            and n_active == 0
            and (e == n_edges or e_step[e] >= k_hi_step)
            and k_hi_step == k_lo_step + n_sub
            and k_hi_step <= n_full
        ):
            # a full block without pulses: in closed form when every column qualifies
            if slot >= 0:
                _quiet_traces(
                    k_lo_step,
                    n_sub,
                    ve,
                    vi,
                    y,
                    xe,
                    xi,
                    nem,
                    nim,
                    col32,
                    sc,
                    slot,
                    rec_cols,
                    tr_exc,
                    tr_inh,
                    tr_mem,
                )
            if _quiet_block(ve, vi, y, xe, xi, col32, sc, n_sub, me, mi):
                k_lo_step = k_hi_step
                if slot >= 0:
                    v_reset = sc[S_V_RESET]
                    for j in range(rec_cols.shape[0]):
                        tr_mem[slot, j, k_hi_step] = v_reset + y[rec_cols[j]]
        for k in range(k_lo_step, k_hi_step):
            # the coefficients of this step: a full step, or the window's last, shorter one
            stab = col32 if k < n_full else wtab
            if bounded and e < n_edges and e_step[e] == k:
                # bounded lines with edges in this step: integrated piece by piece between the
                # edges (constant rate on each piece, where min(free solution, bound) is the
                # exact bounded state); the step mean is the sum of the pieces' integrals, each
                # limited to x_max times its length
                step_len = dt if k < n_full else step_last
                u_prev = np.float32(step_len)
                for c in range(m_cols):
                    me[c] = _F0
                    mi[c] = _F0
                while e < n_edges and e_step[e] == k:
                    u = e_u[e]
                    _bounded_piece(u_prev - u, ve, me, ie, qq_e, tau_e, x_max)
                    _bounded_piece(u_prev - u, vi, mi, ii, qq_i, tau_i, x_max)
                    u_prev = u
                    r = e_row[e]
                    sg = e_sign[e]
                    for c in range(m_cols):
                        ie[c] += sg * (a_exc[r, c] * gbe[c])
                        ii[c] += sg * (a_inh[r, c] * gbi[c])
                    if sg > _F0:
                        n_active += 1
                    else:
                        n_active -= 1
                        if n_active == 0:
                            for c in range(m_cols):
                                ie[c] = _F0
                                ii[c] = _F0
                    e += 1
                _bounded_piece(u_prev, ve, me, ie, qq_e, tau_e, x_max)
                _bounded_piece(u_prev, vi, mi, ii, qq_i, tau_i, x_max)
                inv_len = np.float32(1.0 / step_len)
                for c in range(m_cols):
                    me[c] *= inv_len
                    mi[c] *= inv_len
            else:
                # lines: exact step of dV/dt = rate - V/tau with the rate held over the step;
                # the deterministic state is bounded by x_max (charge above the bound is lost)
                if split_tau:
                    for c in range(m_cols):
                        v = ve[c]
                        me[c] = fma32(stab[R_MU_E, c], v, stab[R_GAM_E, c] * ie[c])
                        ve[c] = min(fma32(stab[R_A_E, c], v, stab[R_B_E, c] * ie[c]), x_max)
                        v = vi[c]
                        mi[c] = fma32(stab[R_MU_I, c], v, stab[R_GAM_I, c] * ii[c])
                        vi[c] = min(fma32(stab[R_A_I, c], v, stab[R_B_I, c] * ii[c]), x_max)
                else:
                    # one time constant for both lines
                    for c in range(m_cols):
                        la = stab[R_A_E, c]
                        lb = stab[R_B_E, c]
                        lmu = stab[R_MU_E, c]
                        lgam = stab[R_GAM_E, c]
                        v = ve[c]
                        me[c] = fma32(lmu, v, lgam * ie[c])
                        ve[c] = min(fma32(la, v, lb * ie[c]), x_max)
                        v = vi[c]
                        mi[c] = fma32(lmu, v, lgam * ii[c])
                        vi[c] = min(fma32(la, v, lb * ii[c]), x_max)
                # pulse edges inside this step: exact response to a rate step at time s
                while e < n_edges and e_step[e] == k:
                    u = e_u[e]
                    r = e_row[e]
                    sg = e_sign[e]
                    if split_tau:
                        for c in range(m_cols):
                            ae = sg * (a_exc[r, c] * gbe[c])
                            ai = sg * (a_inh[r, c] * gbi[c])
                            x = u * qq_e[c]
                            e1, g = step_rise_area(x)
                            rise = tau_e[c] * e1
                            area = stab[R_T2DT_E, c] * g
                            ve[c] = min(fma32(ae, rise, ve[c]), x_max)
                            me[c] = fma32(ae, area, me[c])
                            ie[c] += ae
                            x = u * qq_i[c]
                            e1, g = step_rise_area(x)
                            rise = tau_i[c] * e1
                            area = stab[R_T2DT_I, c] * g
                            vi[c] = min(fma32(ai, rise, vi[c]), x_max)
                            mi[c] = fma32(ai, area, mi[c])
                            ii[c] += ai
                    elif bias:
                        # one time constant for both lines: one response for both paths, each
                        # path's charge scaled by its bias factor
                        for c in range(m_cols):
                            ae = sg * (a_exc[r, c] * gbe[c])
                            ai = sg * (a_inh[r, c] * gbi[c])
                            x = u * qq_e[c]
                            e1, g = step_rise_area(x)
                            rise = tau_e[c] * e1
                            area = stab[R_T2DT_E, c] * g
                            ve[c] = min(fma32(ae, rise, ve[c]), x_max)
                            me[c] = fma32(ae, area, me[c])
                            ie[c] += ae
                            vi[c] = min(fma32(ai, rise, vi[c]), x_max)
                            mi[c] = fma32(ai, area, mi[c])
                            ii[c] += ai
                    else:
                        # one time constant for both lines, no bias factor
                        for c in range(m_cols):
                            x = u * qq_e[c]
                            e1, g = step_rise_area(x)
                            rise = tau_e[c] * e1
                            area = stab[R_T2DT_E, c] * g
                            ae = sg * a_exc[r, c]
                            ai = sg * a_inh[r, c]
                            ve[c] = min(fma32(ae, rise, ve[c]), x_max)
                            me[c] = fma32(ae, area, me[c])
                            ie[c] += ae
                            vi[c] = min(fma32(ai, rise, vi[c]), x_max)
                            mi[c] = fma32(ai, area, mi[c])
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
            # membrane: explicit step with the step-mean line voltages (limited to the bound)
            # plus noise, offset and flicker, through the OTAs
            # (the two tanh share one division: f_up p_e / q_e - f_dn p_i / q_i
            # = (f_up p_e q_i - f_dn p_i q_e) / (q_e q_i))
            if far:
                # every column in full compliance (f_up = f_dn = 1 exactly): without it; one
                # loop for both cases (without split_gm, r_e = r_i = 1 exactly: the same values)
                for c in range(m_cols):
                    yc = y[c]
                    p_e, q_e = tanh32_pq(min(me[c], x_max) + xe[c])
                    p_i, q_i = tanh32_pq(min(mi[c], x_max) + xi[c])
                    drive = fma32(re[c] * p_e, q_i, -(ri[c] * p_i * q_e)) / (q_e * q_i)
                    y[c] = fma32(
                        stab[R_KI, c], drive, fma32(-stab[R_LDT, c], yc, yc + stab[R_OFF, c])
                    )
            elif split_gm:
                for c in range(m_cols):
                    yc = y[c]
                    p_e, q_e = tanh32_pq(min(me[c], x_max) + xe[c])
                    p_i, q_i = tanh32_pq(min(mi[c], x_max) + xi[c])
                    f_up = compliance(yhi[c] - yc, inv_w)
                    f_dn = compliance(yc - ylo[c], inv_w)
                    drive = fma32(re[c] * (f_up * p_e), q_i, -(ri[c] * (f_dn * p_i) * q_e)) / (
                        q_e * q_i
                    )
                    y[c] = fma32(
                        stab[R_KI, c], drive, fma32(-stab[R_LDT, c], yc, yc + stab[R_OFF, c])
                    )
            else:
                for c in range(m_cols):
                    yc = y[c]
                    p_e, q_e = tanh32_pq(min(me[c], x_max) + xe[c])
                    p_i, q_i = tanh32_pq(min(mi[c], x_max) + xi[c])
                    f_up = compliance(yhi[c] - yc, inv_w)
                    f_dn = compliance(yc - ylo[c], inv_w)
                    drive = fma32(f_up * p_e, q_i, -((f_dn * p_i) * q_e)) / (q_e * q_i)
                    y[c] = fma32(
                        stab[R_KI, c], drive, fma32(-stab[R_LDT, c], yc, yc + stab[R_OFF, c])
                    )
            if slot >= 0:
                v_lin = sc[S_V_LIN]
                v_reset = sc[S_V_RESET]
                for j in range(rec_cols.shape[0]):
                    c = rec_cols[j]
                    tr_exc[slot, j, k + 1] = v_lin * (min(me[c], x_max) + nem[c])
                    tr_inh[slot, j, k + 1] = v_lin * (min(mi[c], x_max) + nim[c])
                    tr_mem[slot, j, k + 1] = v_reset + y[c]
        if ota_noise:
            for c in range(m_cols):
                y[c] = fma32(btab[R_OTA, c], z_ota[c], y[c])
            if slot >= 0:
                v_reset = sc[S_V_RESET]
                for j in range(rec_cols.shape[0]):
                    tr_mem[slot, j, k_hi_step] = v_reset + y[rec_cols[j]]
    return lost + (n_edges - e)


#: Largest reach (codes) of the CADC's threshold deviations that :func:`_adc` resolves by
#: counting the 2 reach thresholds around the rounded value, column by column without branches;
#: beyond it, a search per column.
ADC_REACH_MAX = 4


@njit_borrow
def _adc_reach(adc_dev):
    """The reach ceil(max |adc_dev|) (codes) of the threshold deviations: the count of the
    thresholds reached differs from clip(floor(x + 1/2), 0, adc_max) by at most that much."""
    r = 0.0
    for q in range(adc_dev.shape[0]):
        for k in range(adc_dev.shape[1]):
            r = max(r, abs(adc_dev[q, k]))
    return np.int64(math.ceil(r))


@njit_borrow
def _adc(
    y,
    col64,
    sigma,
    k_lo,
    k_hi,
    conv,
    sigma_ramp,
    r_lo,
    r_hi,
    quadrant,
    adc_dev,
    adc_max,
    reach,
    codes,
    volts,
    v_reset,
    zc,
    zq,
    bits,
    u_buf,
):
    """One conversion (``conv`` 0: read, 1: baseline) of every column. With
    x = (V - v_adc_lo)/lsb_c + offset_c + sigma_adc z_c + sigma_ramp z_q (z_q common to the
    columns of quadrant q), the code is the number of thresholds k - 1/2 + adc_dev[q, k-1],
    k = 1..adc_max, that x reaches; with adc_dev = 0 exactly clip(floor(x + 1/2), 0, adc_max).

    The thresholds strictly increase, so the thresholds reached are 1..code, and with |adc_dev|
    <= ``reach`` (:func:`_adc_reach`) code is within reach of c0 = clip(floor(x + 1/2), 0,
    adc_max): thresholds above c0 + reach are not reached and those up to c0 - reach are. The
    code is then c0 plus the thresholds reached in (c0, c0 + reach] minus those not reached in
    (c0 - reach, c0], counted in one branch-free loop over the columns (scalar: the thresholds
    are indexed loads; the same comparisons as a search, so the same codes). For ``reach`` > :data:`ADC_REACH_MAX` each column searches
    from c0 instead. Draws: counter 2 c + conv of the ADC key (column c), 2 q + conv of the
    ramp key (quadrant q); ``zc`` [M], ``zq`` [Q], ``bits`` [>= M, Q] and ``u_buf`` (float64
    [M]) are scratch."""
    top = np.float64(adc_max)
    m_cols = y.shape[0]
    if sigma > 0.0:
        rng.fill_normals(k_lo, k_hi, conv, 2, zc, bits)
    if sigma_ramp > 0.0:
        rng.fill_normals(r_lo, r_hi, conv, 2, zq, bits)
    # the ramp's draw of each column's quadrant first: a loop of its own, since a loop with an
    # indexed load does not vectorize
    if sigma_ramp > 0.0:
        for c in range(m_cols):
            u_buf[c] = sigma_ramp * zq[quadrant[c]]
    # u = x + 1/2: threshold k is reached when u - adc_dev[q, k-1] >= k
    for c in range(m_cols):
        x = col64[D_ADC_ZERO, c] + col64[D_ADC_SLOPE, c] * y[c]
        if sigma > 0.0:
            x += sigma * zc[c]
        if sigma_ramp > 0.0:
            x += u_buf[c]
        u = x + 0.5
        u_buf[c] = u
        f = np.floor(u)
        f = f if f > 0.0 else 0.0
        codes[c] = f if f < top else top
    if reach > ADC_REACH_MAX:
        for c in range(m_cols):
            u = u_buf[c]
            q = quadrant[c]
            code = codes[c]
            while code < top and u - adc_dev[q, np.int64(code)] >= code + 1.0:
                code += 1.0
            while code > 0.0 and u - adc_dev[q, np.int64(code) - 1] < code:
                code -= 1.0
            codes[c] = code
    elif reach > 0:
        for c in range(m_cols):
            u = u_buf[c]
            q = quadrant[c]
            c0 = codes[c]
            code = c0
            for j in range(1, reach + 1):
                k = c0 + j  # a threshold above c0: reached?
                i = np.int64(k if k < top else top) - 1
                code += 1.0 if (k <= top) & (u - adc_dev[q, i] >= k) else 0.0
            for j in range(reach):
                k = c0 - j  # a threshold up to c0: not reached?
                i = np.int64(k if k > 1.0 else 1.0) - 1
                code -= 1.0 if (k >= 1.0) & (u - adc_dev[q, i] < k) else 0.0
            codes[c] = code
    for c in range(m_cols):
        volts[c] = v_reset + y[c]


@njit_borrow
def _bias_factors(seed, stream, b_key, sc, quadrant, gbe, gbi, zb, zq, bits):
    """Per-vector factors on the charge each path of a column delivers (model.md sections 3 and
    4): the synapse DAC bias, common to both paths, g_c = 1 + sigma_bias z_c +
    sigma_bias_common z_q(c) (z_c counter 2c, z_q counter 2q + 1 of the vector's bias key), times
    the OTA bias factor of each path, 1 + sigma_gm z_s,c (counters 2c and 2c + 1 of the vector's
    own g_m key), in its linear-regime form: a factor on the path's charge. ``zb`` [>= 3, M],
    ``zq`` [Q] and ``bits`` [>= M, Q] are scratch."""
    k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_BIAS)
    g_lo, g_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_GM)
    s_c = sc[S_SIGMA_BIAS]
    s_q = sc[S_SIGMA_BIAS_Q]
    s_g = sc[S_SIGMA_GM]
    if s_c > 0.0:
        rng.fill_normals(k_lo, k_hi, 0, 2, zb[0], bits)
    if s_q > 0.0:
        rng.fill_normals(k_lo, k_hi, 1, 2, zq, bits)
    if s_g > 0.0:
        rng.fill_normals(g_lo, g_hi, 0, 2, zb[1], bits)
        rng.fill_normals(g_lo, g_hi, 1, 2, zb[2], bits)
    for c in range(gbe.shape[0]):
        g = 1.0
        if s_c > 0.0:
            g += s_c * zb[0, c]
        if s_q > 0.0:
            g += s_q * zq[quadrant[c]]
        ge = g
        gi = g
        if s_g > 0.0:
            ge *= 1.0 + s_g * zb[1, c]
            gi *= 1.0 + s_g * zb[2, c]
        gbe[c] = np.float32(ge)
        gbi[c] = np.float32(gi)


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
    flk,
    quadrant,
    adc_dev,
    chunk,
):
    """Simulate all samples of a batch (see :func:`kernels.run_half`); writes the outputs.

    Sample b's read window has ``n_full_read[b]`` full steps, a last step of ``rem_read[b]`` (s)
    if it is > 0 (``n_steps_read[b]`` steps in all) and the coefficients of row ``win_read[b]``
    of ``win32``; the baseline window uses row 0. The baseline window is simulated first (the
    flicker state carries over to the read window). ``lost[b]`` counts the pulse edges of
    sample b that were not integrated (0 unless the kernel has a bug). ``flk`` are the flicker
    coefficients, ``quadrant`` [M] the quadrant of each column, ``adc_dev`` [Q, adc_max] the
    CADC threshold deviations (codes). The samples run in chunks of ``chunk`` consecutive
    samples (one set of buffers per chunk; the prephase coefficients of a window are kept while
    its prephase length repeats); every result is a function of its sample alone, so neither the
    chunk size nor the thread count changes anything."""
    n_b = ev_ptr.shape[0] - 1
    m_cols = a_exc.shape[1]
    n_comp = flk.shape[2]
    seed = (np.uint64(isc[I_SEED_HI]) << np.uint64(32)) | np.uint64(isc[I_SEED_LO])
    stream = isc[I_STREAM]
    flags = isc[I_FLAGS]
    adc_noise = (flags & FLAG_ADC_NOISE) != 0
    sigma_adc = sc[S_SIGMA_ADC] if adc_noise else 0.0
    sigma_ramp = sc[S_SIGMA_RAMP] if (flags & FLAG_RAMP) != 0 else 0.0
    bias = (flags & FLAG_BIAS) != 0
    adc_max = isc[I_ADC_MAX]
    v_reset = sc[S_V_RESET]
    n_q = adc_dev.shape[0]
    n_chunks = (n_b + chunk - 1) // chunk
    adc_reach = _adc_reach(adc_dev)
    # the line noise's gains for the longest stepped part of the batch (its blocks)
    n_steps_max = isc[I_N_STEPS_BASE]
    for b in range(n_b):
        n_steps_max = max(n_steps_max, n_steps_read[b])
    if (flags & FLAG_LINE_NOISE) != 0:
        lng = line_noise_gains(col32, (n_steps_max - 1) // isc[I_N_SUB] + 1)
    else:
        lng = np.zeros((1, N_LNG, m_cols), np.float32)
    for ch in prange(n_chunks):
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
        xe = np.empty(m_cols, np.float32)
        xi = np.empty(m_cols, np.float32)
        y = np.empty(m_cols, np.float32)
        gbe = np.ones(m_cols, np.float32)
        gbi = np.ones(m_cols, np.float32)
        fse = np.zeros((n_comp, m_cols), np.float64)
        fsi = np.zeros((n_comp, m_cols), np.float64)
        c_read = np.empty(m_cols, np.float64)
        c_base = np.empty(m_cols, np.float64)
        volts = np.empty(m_cols, np.float64)
        u_adc = np.empty(m_cols, np.float64)
        # scratch of the random numbers: normals by row and column, per quadrant, hash bits
        zb = np.empty((max(5, n_comp + 1), m_cols), np.float32)
        zq = np.empty(n_q, np.float32)
        bits = np.empty(max(m_cols, n_q), np.uint32)
        oe = np.empty(m_cols, np.float32)
        oi = np.empty(m_cols, np.float32)
        fme = np.empty(m_cols, np.float64)
        fmi = np.empty(m_cols, np.float64)
        yf = np.empty(m_cols, np.float64)
        coef_part = np.empty((N_FLK, n_comp), np.float64)
        # prephase coefficients per window (WINDOW_READ, WINDOW_BASE) and their k_s
        pre = np.empty((2, N_PRE, m_cols), np.float64)
        pre_f = np.empty((2, N_PRE_F, n_comp, m_cols), np.float64)
        pre_key = np.full(2, -1, np.int64)
        for b in range(ch * chunk, min((ch + 1) * chunk, n_b)):
            b_key = sample_index[b]
            k_lo, k_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_ADC)
            r_lo, r_hi = rng.make_key(seed, stream, b_key, rng.PURPOSE_RAMP)

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
            )
            # ---- the baseline window first (reset, no events): the flicker starts stationary ----
            n_lost = _window(
                b_key,
                WINDOW_BASE,
                0,
                isc[I_N_FULL_BASE],
                isc[I_N_STEPS_BASE],
                sc[S_REM_BASE],
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
                fse,
                fsi,
                flk,
                gbe,
                gbi,
                xe,
                xi,
                zb,
                bits,
                oe,
                oi,
                fme,
                fmi,
                coef_part,
                yf,
                pre[WINDOW_BASE],
                pre_f[WINDOW_BASE],
                pre_key[WINDOW_BASE:],
                lng,
            )
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
                v_reset,
                zb[0],
                zq,
                bits,
                u_adc,
            )
            for c in range(m_cols):
                v_base[b, c] = volts[c]
            # ---- the read window: flicker propagated over the gap, bias factor of the vector ----
            if bias:
                _bias_factors(seed, stream, b_key, sc, quadrant, gbe, gbi, zb, zq, bits)
            n_lost += _window(
                b_key,
                WINDOW_READ,
                win_read[b],
                n_full_read[b],
                n_steps_read[b],
                rem_read[b],
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
                fse,
                fsi,
                flk,
                gbe,
                gbi,
                xe,
                xi,
                zb,
                bits,
                oe,
                oi,
                fme,
                fmi,
                coef_part,
                yf,
                pre[WINDOW_READ],
                pre_f[WINDOW_READ],
                pre_key[WINDOW_READ:],
                lng,
            )
            lost[b] = n_lost
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
                v_reset,
                zb[0],
                zq,
                bits,
                u_adc,
            )
            for c in range(m_cols):
                v_read[b, c] = volts[c]
                code_read[b, c] = np.int16(c_read[c])
                code_base[b, c] = np.int16(c_base[c])
                o = c_read[c] - c_base[c]
                o = min(max(o, np.float64(isc[I_OUT_MIN])), np.float64(isc[I_OUT_MAX]))
                out[b, c] = np.int32(o)
