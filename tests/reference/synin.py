"""Reference integrator of one half in the synaptic-input readout (noise off, model.md section
13), in plain NumPy and sharing nothing with ``kernels``.

The signed weights are split as the reference software does (line 2 j: max(w_j, 0), line 2 j + 1:
max(-w_j, 0)); each pulse becomes the exact average current of every fine step (its overlap with
the step), and each line's drop

    du/dt = I(t) / C_line + i_line / C_line - u / tau_line,      u <= v_line_max

is stepped by classical RK4 at dt / refine with the input held at its step average, clamped to
the bound after every fine step. The CADC (noise-free) reads V = v_rest - u through
:func:`reference.integrator.adc_code`; each line's result is code_baseline - code_read and output
j is clip(result_2j - result_2j+1, out_min, out_max).
"""

import numpy as np

from .integrator import adc_code, pulses


def split_weights(weights):
    """[K, 2 M] unsigned weights of the lines: column 2 j max(w, 0), 2 j + 1 max(-w, 0)."""
    w = np.asarray(weights, dtype=np.float64)
    out = np.empty((w.shape[0], 2 * w.shape[1]))
    out[:, 0::2] = np.maximum(w, 0.0)
    out[:, 1::2] = np.maximum(-w, 0.0)
    return out


def integrate_lines(pulse_list, weights, p, t_end, refine=16):
    """Drops u (V) [B, L] of every line at ``t_end`` after a reset at t = 0."""
    n_b = len(pulse_list)
    cur = split_weights(weights) * p["i_lsb"] * np.asarray(p["syn_gain"], np.float64)  # [K, L]
    n_l = cur.shape[1]
    n_ev = max([len(r) for r, _, _ in pulse_list] + [1])
    start = np.zeros((n_b, n_ev))
    end = np.zeros((n_b, n_ev))
    amp = np.zeros((n_b, n_ev, n_l))
    for b, (rows, s0, s1) in enumerate(pulse_list):
        n = len(rows)
        start[b, :n] = s0
        end[b, :n] = s1
        amp[b, :n] = cur[rows]
    tau = np.asarray(p["tau_line"], np.float64)[None, :]
    q = np.where(np.isinf(tau), 0.0, 1.0 / tau)
    c_line = p["c_line"]
    i_line = np.asarray(p["i_line"], np.float64)[None, :]
    u_max = float(p.get("v_line_max", np.inf))
    h = p["dt"] / refine
    n_steps = int(np.ceil(t_end / h - 1e-9))
    h_last = t_end - (n_steps - 1) * h

    def rhs(u, i_in):
        return (i_in + i_line) / c_line - q * u

    u = np.zeros((n_b, n_l))
    t = 0.0
    for j in range(n_steps):
        step = h if j < n_steps - 1 else h_last
        overlap = np.clip(np.minimum(end, t + step) - np.maximum(start, t), 0.0, None) / step
        i_in = np.einsum("be,bel->bl", overlap, amp)
        k1 = rhs(u, i_in)
        k2 = rhs(u + 0.5 * step * k1, i_in)
        k3 = rhs(u + 0.5 * step * k2, i_in)
        k4 = rhs(u + step * k3, i_in)
        u = np.minimum(u + step / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4), u_max)
        t += step
    return u


def simulate_synin_reference(ev_ptr, ev_row, ev_act, ev_time, weights, p, refine=16):
    """Reference result: dict with u_read, u_baseline (drops, V), v_read, v_baseline (CADC
    inputs, V), code_read, code_baseline (per line) and output (per signed output)."""
    pl = pulses(ev_ptr, ev_row, ev_act, ev_time, p["drv_gain"], p["drv_offset"], p["t_lsb"])
    u_read = integrate_lines(pl, weights, p, p["t_read"], refine)
    empty = [(r[:0], s0[:0], s1[:0]) for r, s0, s1 in pl]
    u_base = integrate_lines(empty, weights, p, p["t_baseline"], refine)
    v_read = p["v_rest"] - u_read
    v_base = p["v_rest"] - u_base
    code_read = adc_code(v_read, p)
    code_base = adc_code(v_base, p)
    drop = code_base - code_read
    out = np.clip(drop[:, 0::2] - drop[:, 1::2], p.get("out_min", -128), p.get("out_max", 127))
    return dict(
        u_read=u_read,
        u_baseline=u_base,
        v_read=v_read,
        v_baseline=v_base,
        code_read=code_read,
        code_baseline=code_base,
        output=out,
    )


def closed_form_drop(pulse_list, weights, p, t_end):
    """The drop of every line at ``t_end`` in closed form (no bound): each rectangular pulse
    [s0, s1] of current I adds I tau (exp(-(t - s1)/tau) - exp(-(t - s0)/tau)) / C_line (I
    (s1 - s0) / C_line without leak), the leakage current i_line tau (1 - exp(-t/tau)) /
    C_line. Pulses are cut at ``t_end``."""
    cur = split_weights(weights) * p["i_lsb"] * np.asarray(p["syn_gain"], np.float64)
    tau = np.asarray(p["tau_line"], np.float64)
    c_line = p["c_line"]

    def integral(a, bnd):  # int_a^b exp(-(t_end - t)/tau) dt, per line
        with np.errstate(over="ignore", invalid="ignore"):
            v = tau * (np.exp(-(t_end - bnd) / tau) - np.exp(-(t_end - a) / tau))
        return np.where(np.isinf(tau), bnd - a, v)

    out = np.zeros((len(pulse_list), cur.shape[1]))
    for b, (rows, s0, s1) in enumerate(pulse_list):
        for r, a, e in zip(rows, s0, s1):
            if a >= t_end:
                continue
            out[b] += cur[r] * integral(a, min(e, t_end)) / c_line
    out += np.asarray(p["i_line"], np.float64) * integral(0.0, t_end) / c_line
    return out
