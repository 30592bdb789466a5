"""Numba kernels of the analog dynamics of one chip half: synaptic lines, OTAs, membranes, noise
and the ADC (model.md sections 2-9). Arrays and scalars in, arrays out; SI units inside.

Public API
----------
``simulate_half(ev_ptr, ev_row, ev_act, ev_time, weights, *, <parameters>) -> HalfResult``

is ``run_half(half_params(weights, <parameters of the half>), ev_ptr, ev_row, ev_act, ev_time,
t_read=..., t_baseline=..., t_gap=..., sample_index=..., record_samples=..., record_columns=...)``:

* ``half_params(weights, **parameters) -> HalfParams`` validates the parameters of one half
  (weights, fixed pattern, scalars, noise, options) and builds its coefficient tables once; the
  result is an immutable NamedTuple of read-only arrays and scalars. Its column tables
  (everything but the weights' rows and the random stream) are kept by the bytes of the
  arguments, so another half of the same columns builds only its weight tables.
* ``reseed(params, noise_seed, stream)`` is a prepared half with another random stream (the same
  as building it with that seed and stream; the tables are shared).
* ``run_half(params, ev_ptr, ev_row, ev_act, ev_time, *, t_read, t_baseline, sample_index=None,
  record_samples=None, record_columns=None, t_gap=None) -> HalfResult`` validates the events and
  the read times and runs the compiled batch kernel. ``t_read`` is one time (s) or one per
  sample (float [B]): samples with different read times run in one call. Recorded samples must
  share one read time.

One call simulates one half for a batch of B input vectors. Each vector is two windows of the
same neuron. The baseline window comes first: the membrane is reset to ``v_reset`` at t = 0, no
events, conversion at t = ``t_baseline`` (offset drift, leak and noise act there too). The read
window starts (reset) ``t_gap`` after the baseline reset (s, >= t_baseline; None: t_gap =
t_baseline): its events arrive, the ADC converts the membrane at t = ``t_read`` (times in the
read window count from its own reset). The windows are independent except for the flicker
noise, whose state runs on over the gap t_gap - t_baseline.

Events (CSR per sample; need not be sorted in time):
    ev_ptr  int [B+1]   sample b owns events ev_ptr[b]:ev_ptr[b+1]
    ev_row  int [N]     signed-input row (driver) 0..K-1
    ev_act  int [N]     activation 1..act_max
    ev_time float [N]   pulse start (s since the reset, link and driver latency included; any
                        real value >= 0, not necessarily a multiple of dt)
    weights int [K, M]  signed weights weight_min..weight_max (w > 0 excitatory line, w < 0
                        inhibitory line)
Fixed pattern (keyword, drawn elsewhere):
    syn_gain float [K, M]  per-synapse current factor s_rc (mismatch and spatial gradient)
    drv_gain, drv_offset float [K]  pulse gain d_r (1) and offset o_r (s) per driver
    gm, tau_syn, i_offset, v_rail_hi, v_rail_lo, adc_offset, adc_lsb  float [M]
        excitatory OTA transconductance (S), excitatory line time constant (s), membrane offset
        current (A), the voltages where the output compliance reaches 0 (V), ADC offset (codes),
        ADC slope (V/code)
    gm_inh, tau_syn_inh  float [M] or None: inhibitory OTA transconductance (S) and inhibitory
        line time constant (s); None: the same as gm, tau_syn
    v_offset_exc, v_offset_inh  float [M] or None: input-referred offset of each OTA (V, inside
        the tanh, so its current scales with g_m); None: 0
    v_leak  float or float [M]: leak level of each neuron (V)
    tau_leak  float or float [M]: leak time constant of each neuron (s; ``inf`` = no leak; each
        > 2 max(tau_syn, tau_syn_inh))
    quadrant  int [M] (>= 0) or None: quadrant of each column (shared CADC ramp, shared synapse
        DAC bias); None: all 0
    adc_dev  float [Q, adc_max] or None: CADC threshold deviations per quadrant (codes),
        Q > max(quadrant), thresholds k - 1/2 + adc_dev[q, k-1] strictly increasing in k; None: 0
Scalars (keyword): dt (s), t_lsb (s per activation step), i_lsb (A per weight unit, I_max/weight_max),
    c_syn, c_m (F), v_lin (V; I_sat = g_m v_lin), v_reset,
    v_adc_lo (V; voltage of code 0), v_compliance (V; compliance width w), v_line_max (V, > 0;
    bound of every synaptic line voltage, default ``inf``: unbounded), adc_max (largest code,
    default 255), t_read, t_baseline, t_gap (s).
Noise (keyword; 0 turns a source off, ``noise=False`` turns all off):
    sigma_line    (V)          stationary std of the OU noise of each line (correlation tau)
    ota_noise_psd (A^2/Hz/S)   one-sided PSD of the OTA output current noise per siemens:
                               S_I = ota_noise_psd (g_exc + g_inh) / 2; over a window T it adds
                               membrane variance S_I T / (2 C_m^2) (no leak)
    sigma_jitter  (s)          std of each event's pulse length, common to all columns of the row
    sigma_adc     (codes)      std of the ADC channel noise, per conversion (two per vector)
    sigma_ramp    (codes)      std of the CADC ramp noise per conversion, common to the columns
                               of a quadrant
    sigma_bias, sigma_bias_common (relative, 0 <= . < 0.5)  synapse DAC bias noise: every
                               synaptic current of column c in a vector is scaled by
                               1 + sigma_bias z_c + sigma_bias_common z_q(c) (read window)
    sigma_gm (relative, 0 <= . < 0.5)  OTA bias noise: per vector the charge of each path s of
                               column c is scaled by 1 + sigma_gm z_s,c on top (independent
                               for the two paths: the linear-regime form of a g_m factor)
    flicker_psd_1mhz (V^2/Hz)  one-sided input-referred 1/f PSD of each OTA at 1 MHz
                               (S_v(f) = K_f / f, K_f = flicker_psd_1mhz * 1e6 Hz);
                               flicker_tau_min, flicker_tau_max (s, default 1e-6, 1e-3),
                               flicker_components (K, 2..31, default 5), flicker_blocks
                               (noise blocks per flicker block, default 4: 1.024 us at
                               dt = 8 ns)
    noise_seed (0..2**64-1), stream (0..2**32-1), sample_index int [B] (global index of each
    sample; default arange(B)): the noise of a sample depends only on (noise_seed, stream,
    sample_index[b]), never on the batch it is in or the number of threads.
Options: out_min, out_max (output clamp, default -128, 127); weight_min, weight_max, act_max (the
    ranges the arrays are checked against: the chip's formats; default -63, 63, 31, those of
    BrainScaleS-2); noise_substeps (steps per noise
    block, default 32: 256 ns at dt = 8 ns; the block length changes the random stream, not the
    noise statistics); closed_form_prephase (default True: the prephase and the
    noise blocks without pulses in closed form; False: every step stepped); record_samples (batch positions) and
    record_columns (columns) to return traces of the read window.
Every default reproduces the results of the model without these effects bit for bit.

Returns ``HalfResult(output int32 [B, M], code_read int16 [B, M], code_baseline int16 [B, M],
v_read float64 [B, M], v_baseline float64 [B, M], traces: Traces | None)`` with codes
0..adc_max and ``output = clip(code_read - code_baseline, out_min, out_max)``
(= ``clip((code_read - 128) - (code_baseline - 128), ...)``, model.md section 8).
``Traces(time [T], v_exc, v_inh, v_mem [S, C, T])``, see :class:`kernels.Traces`.

Model and discretization
------------------------
Pulse (model.md section 2): an event (r, a, t0) drives a rectangular current from t0 to
t0 + T, T = a t_lsb (1 + d_r) + o_r + sigma_jitter z (z ~ N(0,1), one per event), into the
excitatory line of every column c with w_rc > 0 and the inhibitory line where w_rc < 0, with
amplitude |w_rc| i_lsb s_rc g_c,s, g_c,s = (1 + sigma_bias z_c + sigma_bias_common z_q(c))
(1 + sigma_gm z_s,c) the bias factors of the vector for path s (1 without bias noise). Pulses with T <= 0 are dropped; a pulse is
cut at t_read.

Lines (model.md section 3), in normalized units x = V_s / v_lin, with input rate
rho(t) = I(t) / (C_syn v_lin) (1/s), piecewise constant with jumps at the pulse edges, and the
line's own time constant tau (tau_syn for the excitatory, tau_syn_inh for the inhibitory line):
    dx/dt = rho(t) - x / tau,   x <= x_max = v_line_max / v_lin.
On the grid t_k = k dt, with the rate held at its value rho_k at the step start,
    x_{k+1} = a x_k + b rho_k,                 a = exp(-dt/tau),  b = tau (1 - a)
    xbar_k  = mu x_k + gamma rho_k             (exact mean of x over the step)
             mu = b / dt,  gamma = tau^2 G(dt/tau) / dt,  G(u) = u - 1 + exp(-u)
and a rate jump Delta rho at time s inside the step (u = t_{k+1} - s) adds exactly
    x_{k+1} += Delta rho tau E1(u/tau),   xbar_k += Delta rho tau^2 G(u/tau) / dt,
    E1(u) = 1 - exp(-u).
This is the exact solution of the linear line for any pulse length and position relative to dt.
Bounded lines (v_line_max finite; a synapse current source out of compliance, the charge that
would push the line higher is lost): x_{k+1} is clamped to x_max, and the OTA sees
min(xbar_k, x_max). A step with edges is then integrated piece by piece between its edges: with
a constant rate the free solution is monotone, so min(free solution, x_max) is the exact bounded
state at every edge and at the step end; each piece's integral is limited to x_max times its
length. The mean of the one piece in which the bound is reached is thus taken from the unclamped
trajectory (limited to x_max): it overestimates the true mean by less than the overshoot over
that piece, and there the line is at x_max, where the OTA is deep in saturation
(sech^2(x_max) small), so the membrane error is negligible (the reference integrator clamps
after every fine RK4 step; the two agree to a few 1e-2 LSB).

OTA and membrane (model.md sections 4-5), y = V_m - v_reset, explicit step with the step-mean lines:
    y_{k+1} = y_k + (v_lin dt / C_m) [g_exc f_up(y_k) tanh(xbar_exc,k + nbar_exc + os_exc + f_exc)
                                     - g_inh f_down(y_k) tanh(xbar_inh,k + nbar_inh + os_inh + f_inh)]
              + (I_off / C_m + (v_leak,c - v_reset) / tau_leak,c) dt - (dt / tau_leak,c) y_k
with os = v_offset / v_lin the OTA's input-referred offset, f its flicker noise (block mean,
normalized), compliance f_up = s(clip((v_rail_hi - V_m) / w, 0, 1)), f_down = s(clip((V_m -
v_rail_lo) / w, 0, 1)), s(x) = x^2 (3 - 2x): exactly 1 farther than w from a rail, 0 at and
beyond it. tanh is a float32 rational approximation (|error| < 7e-6).

Noise (model.md section 6), on blocks of h = noise_substeps * dt (the last block ends at the read):
- line OU n(t) (normalized std sigma_n = sigma_line / v_lin) is sampled exactly at block ends
  together with its exact block mean nbar (bivariate normal given the start value):
      n_{j+1} = A n_j + S1 z1,  nbar_j = M0 n_j + M1 z1 + M2 z2,  A = exp(-h/tau),
      S1 = sigma_n sqrt(1 - A^2),  M0 = tau (1 - A) / h,  Cov(n_{j+1}, h nbar) = sigma_n^2 tau (1-A)^2,
      Var(h nbar | n_j) = sigma_n^2 tau (2h - 2 tau (1 - A) - tau (1 - A)^2);
  nbar_j is added to the line's step mean in every step of the block, before the tanh. Lines
  are never reset: n(0) is drawn from the stationary distribution. Only the block means reach
  the membrane, and the stepped part starts from a drawn state, so the kernel draws the means
  with one normal per block in innovations form (half.line_noise_gains, the Kalman filter of
  n on the means: nbar_j = M0 m_j + SD_j z_j, m_{j+1} = A m_j + G_j z_j, m_j the state's mean
  given the means before), the same joint law as the two-normal recursion above.
- OTA current noise: the exact membrane increment of white current noise over a block,
  N(0, S_I (1 - exp(-2h/tau_leak)) tau_leak / (4 C_m^2)) (-> S_I h / (2 C_m^2) without leak),
  is added at the end of each block.
- Flicker: per column and OTA, the sum of K OU processes with time constants tau_k geometric
  from flicker_tau_min to flicker_tau_max (ratio r), each of stationary variance K_f ln(r), so
  the sum has the one-sided PSD K_f / f between about 1/(2 pi tau_max) and 1/(2 pi tau_min).
  Drawn on flicker blocks of h_f = flicker_blocks * h (the last block of a window ends at its
  end and has its own coefficients, as has the first block after a closed-form prephase): per block the K end values and the block mean of the sum
  jointly, with the block statistics above (K draws for the end values, the K residuals of the
  block mean combined into one normal); the block mean is held over the block, inside the tanh
  with the offset. The baseline window starts from the stationary distribution; the states at
  its end are propagated exactly over the gap, s = exp(-g/tau_k) s + sqrt(K_f ln r (1 -
  exp(-2 g/tau_k))) z, g = t_gap - t_baseline, to the start of the read window, so slow
  components correlate the two windows and cancel in part in the output.
- ADC (CADC, model.md section 8): x = (V_m - v_adc_lo) / adc_lsb + adc_offset + sigma_adc z_c
  + sigma_ramp z_q (z_q common to the columns of quadrant q, one per conversion); the code is the
  number of thresholds k - 1/2 + adc_dev[q, k-1] (k = 1..adc_max) that x reaches, found from
  clip(floor(x + 1/2), 0, adc_max) by moving up or down while a threshold says so; with
  adc_dev = 0 exactly clip(floor(x + 1/2), 0, adc_max).
Closed-form prephase: before the noise block that contains the first pulse edge, the lines carry
only noise and the membrane is linear if it stays in full compliance. Then (checked per sample:
the drift must keep every column farther than w from its rails; otherwise stepping starts at
t = 0) the state at the block start t_s is drawn exactly: y_det = D (1 - exp(-lambda t_s))/lambda
(D = I_off/C_m + lambda (v_leak,c - v_reset) + v_lin (g_exc tanh(os_exc) - g_inh tanh(os_inh))
/ C_m, lambda = 1/tau_leak,c of the column), and (n_exc, n_inh, y) jointly normal with the OU integrals
J = int_0^t_s exp(-lambda (t_s - s)) n(s) ds of each line (its own tau) entering y through
g v_lin sech^2(os) / C_m (the OTA linearized for the line noise around its offset, the noise
being a few mV against v_lin = 150 mV), plus the OTA noise term. The flicker enters the same
way: per component k, its value at t_s and its leak-weighted integral
I_k = int_0^t_s exp(-lambda (t_s - s)) s_k(s) ds are jointly normal given s_k(0) (exact OU
statistics: E[I_k | s_k(0)] = s_k(0) exp(-lambda t_s) phi(1/tau_k - lambda, t_s), ...), y gets
g v_lin sech^2(os) sum_k I_k / C_m per OTA (K draws for the end values, one for the combined
residuals), and the stepped part starts with a partial flicker block from t_s to the next
flicker-block boundary (or the window end), with exact coefficients of its own. So the prephase
costs the same whatever its length, and stepping still starts at the noise block of the first
edge. The baseline window has no events, so it is closed form up to its last noise block.
The coefficients of a prephase (per column and per flicker component) depend only on its
length t_s: they are computed once and reused while consecutive samples of a chunk of the batch
have the same t_s.

Times on the grid: every time (pulse edges, t_read, t_baseline) is placed on the step grid once,
in integers: step k and offset s with t = k dt + s, 0 <= s < dt; a time within 1e-9 dt of a grid
point lies on it (``half.grid_position``), so a time meant to be k dt is treated as k dt however it
was rounded. A window is n_full full steps plus, if t_end is off the grid, one shorter step; an
edge is integrated in exactly one step, or dropped if it lies at/after the read. The stepped part
starts at the noise block of the first edge's step, so no edge lies before it; the kernel counts
the edges it integrated and ``simulate_half`` raises ``RuntimeError`` if one was missed. Shifting
every event and the read by whole noise blocks changes the membrane voltages only by float
rounding (noise off; the offset-current drift over the longer prephase aside).

Random numbers: counter-based (:mod:`kernels.rng`), keyed by (noise_seed, stream, sample index,
window, purpose, block, column, draw); all draws of a block are made at once, a vectorized 32-bit
hash pass into a buffer, then a vectorized float32 Box-Muller pass over pairs of counters
(``rng.fill_normals``), bit for bit the single pairs (``rng.normal_pair``).

The second readout mode (model.md section 13)
---------------------------------------------
``simulate_synin(ev_ptr, ev_row, ev_act, ev_time, weights, *, <parameters>) -> HalfResult`` is
``run_synin(synin_params(weights, ...), ...)``: the CADC reads the synaptic input lines
themselves (no OTA, no membrane). Signed weights [K, M] use 2 M lines: line 2 j holds max(w_j, 0),
line 2 j + 1 max(-w_j, 0); every line integrates its pulses on C_line with a slow leak of its own
(tau_line), bounded at v_line_max; output j = clip((code_base - code_read)_2j - (code_base -
code_read)_2j+1, out_min, out_max). The lines are integrated exactly from edge to edge (no time
step); white current noise per noise block, a 1/f voltage of the readout path at each conversion,
and the membrane kernel's pulse jitter, bias noise and CADC. See :mod:`kernels.synin` and
:func:`kernels.synin_params` for the arguments.

Modules: ``_jit`` (the JIT policy), ``rng``, ``circuit`` (element functions), ``half`` (the batch
kernel), ``api`` (the wrapper), ``synin`` and ``synin_api`` (the synaptic-input readout).
"""

from ._jit import CODE_VERSION
from .api import HalfParams, HalfResult, Traces, half_params, reseed, run_half, simulate_half
from .synin_api import SyninParams, run_synin, simulate_synin, synin_params

__all__ = [
    "CODE_VERSION",
    "simulate_half",
    "half_params",
    "run_half",
    "reseed",
    "HalfParams",
    "HalfResult",
    "Traces",
    "simulate_synin",
    "synin_params",
    "run_synin",
    "SyninParams",
]
