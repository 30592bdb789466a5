"""Reference integrator of one half (noise off): the equations of model.md sections 2-5 and 8,
integrated by classical RK4 on a fine uniform grid, in plain NumPy.

Nothing here is shared with ``kernels``: the pulses are turned into the exact average current of
every fine step (overlap of the rectangular pulse with the step), and the three ODEs

    dV_exc/dt = I_exc(t) / C_syn - V_exc / tau_exc
    dV_inh/dt = I_inh(t) / C_syn - V_inh / tau_inh
    C_m dV/dt = f_up(V) g_exc v_lin tanh((V_exc + v_os,e) / v_lin)
                - f_down(V) g_inh v_lin tanh((V_inh + v_os,i) / v_lin)
                - (C_m / tau_leak,c) (V - v_leak,c) + I_off

are stepped together with RK4 (input held at its step average). Per column: g_exc = ``gm``,
g_inh = ``gm_inh`` (default ``gm``), tau_exc = ``tau_syn``, tau_inh = ``tau_syn_inh`` (default
``tau_syn``), the input-referred OTA offsets v_os,e = ``v_offset_exc``, v_os,i = ``v_offset_inh``
(V, default 0), the leak level v_leak,c = ``v_leak`` (V, a number or one per column) and the leak
time constant tau_leak,c = ``tau_leak`` (s, a number or one per column; inf: no leak). The
lines are bounded: after every fine step each line voltage is clamped to ``v_line_max`` (V,
default unbounded), so charge that would push a line above it is lost. The step is
``dt / refine``; 0.5 ns (refine 16 at dt = 8 ns) is converged: halving it changes the result by
< 1e-5 LSB. The compliance is the documented smoothstep:
f_up(V) = s(clip((v_rail_hi - V) / w, 0, 1)), f_down(V) = s(clip((V - v_rail_lo) / w, 0, 1)),
s(x) = x^2 (3 - 2 x).

The ADC (noise-free) counts the thresholds k - 1/2 + adc_dev[q, k-1], k = 1..adc_max, that
x = (V - v_adc_lo) / lsb_c + offset_c reaches, q = ``quadrant[c]`` (model.md section 8; without
``adc_dev`` this is clip(floor(x + 1/2), 0, adc_max), adc_max default 255).
"""

import numpy as np


def smoothstep_compliance(headroom, width):
    s = np.clip(headroom / width, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def pulses(ev_ptr, ev_row, ev_act, ev_time, drv_gain, drv_offset, t_lsb):
    """Per sample: list of (row, start, end) of the noise-free rectangular pulses."""
    out = []
    for b in range(len(ev_ptr) - 1):
        sl = slice(ev_ptr[b], ev_ptr[b + 1])
        rows = ev_row[sl].astype(np.int64)
        start = ev_time[sl].astype(np.float64)
        length = ev_act[sl] * t_lsb * (1.0 + drv_gain[rows]) + drv_offset[rows]
        keep = length > 0
        out.append((rows[keep], start[keep], start[keep] + length[keep]))
    return out


def _column(p, name, default, n_m):
    value = p.get(name)
    if value is None:
        value = default
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n_m,))[None, :]


def integrate_window(pulse_list, weights, p, t_end, refine=16):
    """Membrane voltage (V) [B, M] at t_end after a reset at t = 0, plus the line voltages."""
    n_b = len(pulse_list)
    n_k, n_m = weights.shape
    w = weights.astype(np.float64)
    cur = p["i_lsb"] * p["syn_gain"].astype(np.float64)  # A per weight unit, [K, M]
    i_exc_row = np.maximum(w, 0.0) * cur
    i_inh_row = np.maximum(-w, 0.0) * cur
    n_ev = max([len(r) for r, _, _ in pulse_list] + [1])
    # padded per-sample pulse tables (zero-current padding)
    start = np.zeros((n_b, n_ev))
    end = np.zeros((n_b, n_ev))
    ie = np.zeros((n_b, n_ev, n_m))
    ii = np.zeros((n_b, n_ev, n_m))
    for b, (rows, s0, s1) in enumerate(pulse_list):
        n = len(rows)
        start[b, :n] = s0
        end[b, :n] = s1
        ie[b, :n] = i_exc_row[rows]
        ii[b, :n] = i_inh_row[rows]

    h = p["dt"] / refine
    n_steps = int(np.ceil(t_end / h - 1e-9))
    h_last = t_end - (n_steps - 1) * h
    tau_e = _column(p, "tau_syn", None, n_m)
    tau_i = _column(p, "tau_syn_inh", p["tau_syn"], n_m)
    g_e = _column(p, "gm", None, n_m)
    g_i = _column(p, "gm_inh", p["gm"], n_m)
    os_e = _column(p, "v_offset_exc", 0.0, n_m)
    os_i = _column(p, "v_offset_inh", 0.0, n_m)
    v_leak = _column(p, "v_leak", None, n_m)
    v_max = float(p.get("v_line_max", np.inf))
    c_syn, c_m, v_lin = p["c_syn"], p["c_m"], p["v_lin"]
    tau_leak = _column(p, "tau_leak", None, n_m)
    g_leak = np.where(np.isinf(tau_leak), 0.0, c_m / tau_leak)
    hi, lo, width = p["v_rail_hi"][None, :], p["v_rail_lo"][None, :], p["v_compliance"]

    def rhs(ve, vi, v, i_e, i_i):
        dve = i_e / c_syn - ve / tau_e
        dvi = i_i / c_syn - vi / tau_i
        i_m = (
            smoothstep_compliance(hi - v, width) * g_e * v_lin * np.tanh((ve + os_e) / v_lin)
            - smoothstep_compliance(v - lo, width) * g_i * v_lin * np.tanh((vi + os_i) / v_lin)
            - g_leak * (v - v_leak)
            + p["i_offset"][None, :]
        )
        return dve, dvi, i_m / c_m

    ve = np.zeros((n_b, n_m))
    vi = np.zeros((n_b, n_m))
    v = np.full((n_b, n_m), float(p["v_reset"]))
    t = 0.0
    for j in range(n_steps):
        step = h if j < n_steps - 1 else h_last
        overlap = np.clip(np.minimum(end, t + step) - np.maximum(start, t), 0.0, None) / step
        i_e = np.einsum("be,bem->bm", overlap, ie)
        i_i = np.einsum("be,bem->bm", overlap, ii)
        k1 = rhs(ve, vi, v, i_e, i_i)
        k2 = rhs(ve + 0.5 * step * k1[0], vi + 0.5 * step * k1[1], v + 0.5 * step * k1[2], i_e, i_i)
        k3 = rhs(ve + 0.5 * step * k2[0], vi + 0.5 * step * k2[1], v + 0.5 * step * k2[2], i_e, i_i)
        k4 = rhs(ve + step * k3[0], vi + step * k3[1], v + step * k3[2], i_e, i_i)
        ve = np.minimum(ve + step / 6.0 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]), v_max)
        vi = np.minimum(vi + step / 6.0 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]), v_max)
        v = v + step / 6.0 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
        t += step
    return v, ve, vi


def adc_code(v, p):
    """Noise-free ADC: the number of thresholds k - 1/2 + adc_dev[q, k-1] (k = 1..adc_max) that
    x = (V - v_adc_lo)/lsb + offset reaches; clip(floor(x + 1/2), 0, adc_max) without adc_dev."""
    x = (v - p["v_adc_lo"]) / p["adc_lsb"][None, :] + p["adc_offset"][None, :]
    adc_max = int(p.get("adc_max", 255))
    dev = p.get("adc_dev")
    if dev is None:
        return np.clip(np.floor(x + 0.5), 0, adc_max)
    n_m = x.shape[1]
    quadrant = np.zeros(n_m, np.int64) if p.get("quadrant") is None else p["quadrant"]
    thresholds = np.arange(1, adc_max + 1) - 0.5 + np.asarray(dev, np.float64)[quadrant]  # [M, K]
    return np.sum(x[:, :, None] >= thresholds[None, :, :], axis=2).astype(np.float64)


def simulate_half_reference(
    ev_ptr, ev_row, ev_act, ev_time, weights, p, refine=16, out_min=-128, out_max=127
):
    """Reference result: dict with v_read, v_baseline, code_read, code_baseline, output."""
    pl = pulses(ev_ptr, ev_row, ev_act, ev_time, p["drv_gain"], p["drv_offset"], p["t_lsb"])
    v_read, _, _ = integrate_window(pl, weights, p, p["t_read"], refine)
    empty = [(r[:0], s0[:0], s1[:0]) for r, s0, s1 in pl]
    v_base, _, _ = integrate_window(empty, weights, p, p["t_baseline"], refine)
    code_read = adc_code(v_read, p)
    code_base = adc_code(v_base, p)
    out = np.clip(code_read - code_base, out_min, out_max)
    return dict(
        v_read=v_read, v_baseline=v_base, code_read=code_read, code_baseline=code_base, output=out
    )
