"""The whole simulated bss2 chip, as shipped, against the slow reference integrator (noise off):
every parameter the chip hands to the kernels (its fixed pattern with separate excitatory and
inhibitory paths, OTA offsets, leak levels, the line bound, the ADC quadrants and their threshold
deviations) goes unchanged into ``tests/reference/integrator.py``, with the events and read
times of the chip's own event model. model.md section 9: <= 0.25 LSB RMS."""

import sys
from pathlib import Path

import numpy as np
import pytest

import chipsim
import kernels

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference.integrator import simulate_half_reference  # noqa: E402


def _captured_run(chip, x, w, wait, num_sends, monkeypatch):
    """Run the chip (noise off) and capture, for half 0, the keyword arguments of the kernel
    half and the events and times of every call."""
    seen: dict = {}
    half_params, run_half = kernels.half_params, kernels.run_half

    def spy_params(weights, **kw):
        seen.setdefault("params", []).append((np.array(weights), kw))
        return half_params(weights, **kw)

    def spy_run(params, ev_ptr, ev_row, ev_act, ev_time, **kw):
        seen.setdefault("runs", []).append(
            (params, ev_ptr.copy(), ev_row.copy(), ev_act.copy(), ev_time.copy(), kw)
        )
        return run_half(params, ev_ptr, ev_row, ev_act, ev_time, **kw)

    monkeypatch.setattr(kernels, "half_params", spy_params)
    monkeypatch.setattr(kernels, "run_half", spy_run)
    out = chip.run(x, w, wait_between_events=wait, num_sends=num_sends, noise=False).outputs
    return out, seen


@pytest.mark.parametrize("wait, num_sends", [(5, 1), (2, 2)])
def test_shipped_chip_agrees_with_the_reference(monkeypatch, wait, num_sends):
    chip = chipsim.load("bss2", seed=4)
    k, m = chip.tile_shape
    rng = np.random.default_rng(wait)
    w = rng.integers(-63, 64, (k, m))
    w[:, :32] = np.abs(w[:, :32])  # same-sign columns: into the clip and the rails
    w[:, 32:64] = -np.abs(w[:, 32:64])
    x = rng.integers(8, 32, (2, k))
    x[1, rng.random(k) > 0.5] = 0
    out, seen = _captured_run(chip, x, w, wait, num_sends, monkeypatch)
    weights, kw = seen["params"][0]  # half 0 holds the tile
    params, ev_ptr, ev_row, ev_act, ev_time, run_kw = seen["runs"][0]
    assert run_kw["t_gap"] > run_kw["t_baseline"] and params.n_m == m
    p = dict(kw, t_baseline=run_kw["t_baseline"])
    worst = []
    for b in range(x.shape[0]):
        sl = slice(int(ev_ptr[b]), int(ev_ptr[b + 1]))
        ref = simulate_half_reference(
            np.array([0, sl.stop - sl.start]),
            ev_row[sl],
            ev_act[sl],
            ev_time[sl],
            weights,
            dict(p, t_read=float(run_kw["t_read"][b])),
            out_min=-128,
            out_max=127,
        )
        d = out[b] - ref["output"][0]
        worst.append(np.sqrt(np.mean(d**2)))
    assert max(worst) <= 0.25, worst
    # the comparison can fail: the reference without the inhibitory path's own g_m and tau_syn
    # (both paths as the excitatory one) is far off
    b = 0
    sl = slice(int(ev_ptr[b]), int(ev_ptr[b + 1]))
    shared = dict(p, t_read=float(run_kw["t_read"][b]), gm_inh=None, tau_syn_inh=None)
    ref = simulate_half_reference(
        np.array([0, sl.stop - sl.start]), ev_row[sl], ev_act[sl], ev_time[sl], weights, shared
    )
    assert np.sqrt(np.mean((out[b] - ref["output"][0]) ** 2)) > 1.0
    # the case reaches the clip and the rail, and the shipped effects are on
    assert out.max() == 127 and out.min() < -95
    assert not np.array_equal(kw["gm"], kw["gm_inh"]) and np.isfinite(kw["v_line_max"])
    assert np.any(kw["adc_dev"] != 0) and np.any(kw["v_offset_exc"] != 0)
