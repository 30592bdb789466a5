"""The public wrapper refuses bad arrays and scalars with errors that name the argument."""

import numpy as np
import pytest
from kernel_cases import chip_params, events_from_inputs

import kernels

K, M = 4, 3


def _call(**changes):
    x = np.array([[3, 0, 5, 1], [0, 0, 0, 0]])
    ev = dict(zip(("ev_ptr", "ev_row", "ev_act", "ev_time"), events_from_inputs(x, t_first=1e-6)))
    args = dict(ev, weights=np.array([[1, -2, 3]] * K, dtype=np.int8))
    args.update(chip_params(K, M, t_read=2e-6, t_baseline=1e-6))
    args.update(changes)
    pos = [args.pop(k) for k in ("ev_ptr", "ev_row", "ev_act", "ev_time", "weights")]
    return kernels.simulate_half(*pos, **args)


def test_valid_call_runs():
    r = _call()
    assert r.output.shape == (2, M) and r.output.dtype == np.int32
    assert r.code_read.dtype == np.int16 and r.traces is None


@pytest.mark.parametrize(
    "changes, exc, words",
    [
        (dict(weights=np.ones((K, M))), TypeError, ["weights", "integer", "float64"]),
        (dict(weights=np.full((K, M), 64)), ValueError, ["weights", "-63..63", "64"]),
        (dict(weights=np.ones(K, dtype=np.int8)), ValueError, ["weights", "2-dimensional", "(4,)"]),
        (dict(ev_act=np.array([3, 0, 5], dtype=np.int32)), ValueError, ["ev_act", "1..31"]),
        (dict(ev_act=np.array([3, 5], dtype=np.int32)), ValueError, ["ev_act", "shape (3,)"]),
        (dict(ev_row=np.array([0, 9, 3], dtype=np.int32)), ValueError, ["ev_row", "0..3"]),
        (dict(ev_time=np.array([1e-6, -1.0, 2e-6])), ValueError, ["ev_time", ">= 0"]),
        (dict(ev_ptr=np.array([0, 2, 2])), ValueError, ["ev_ptr", "len(ev_row) = 3"]),
        (
            dict(syn_gain=np.ones((M, K), dtype=np.float32)),
            ValueError,
            ["syn_gain", "(4, 3)", "(3, 4)"],
        ),
        (dict(gm=np.ones(M + 1)), ValueError, ["gm", "(3,)", "(4,)"]),
        (dict(tau_syn=np.array([3e-7, np.nan, 3e-7])), ValueError, ["tau_syn", "finite"]),
        (dict(dt=1e-6), ValueError, ["dt", "min(tau_syn)"]),
        (dict(dt=0.0), ValueError, ["dt", "positive"]),
        (dict(tau_leak=1e-7), ValueError, ["tau_leak"]),
        (dict(sigma_adc=-1.0), ValueError, ["sigma_adc", ">= 0"]),
        (dict(noise_substeps=0), ValueError, ["noise_substeps"]),
        (dict(noise_seed=-1), ValueError, ["noise_seed"]),
        (dict(sample_index=np.array([0])), ValueError, ["sample_index", "(2,)"]),
        (dict(t_read=np.array([2e-6, -1.0])), ValueError, ["t_read[1]", "positive"]),
        (dict(t_read=np.array([2e-6, np.nan])), ValueError, ["t_read[1]", "positive finite"]),
        (dict(out_min=5, out_max=-5), ValueError, ["out_min", "out_max"]),
        (dict(record_samples=[5], record_columns=[0]), ValueError, ["record_samples", "0..1"]),
        (dict(record_samples=[0]), ValueError, ["record_columns"]),
        (dict(v_rail_hi=np.full(M, 0.5)), ValueError, ["v_rail_hi"]),
        (dict(ev_time=[1e-6, 2e-6, 3e-6]), TypeError, ["ev_time", "numpy array", "list"]),
        (
            dict(weights=np.full((K, M), 20), weight_max=15),
            ValueError,
            ["weights", "-63..15", "20"],
        ),
        (
            dict(weights=np.full((K, M), -20), weight_min=-15),
            ValueError,
            ["weights", "-15..63", "-20"],
        ),
        (dict(act_max=4), ValueError, ["ev_act", "1..4"]),
    ],
)
def test_bad_arguments_are_named(changes, exc, words):
    with pytest.raises(exc) as info:
        _call(**changes)
    for word in words:
        assert word in str(info.value)


def test_ranges_are_passed_in_not_assumed():
    """A chip with wider formats passes its ranges; the kernel assumes none of its own."""
    wide = _call(
        weights=np.full((K, M), 100, dtype=np.int16),
        weight_min=-127,
        weight_max=127,
        ev_act=np.array([3, 40, 5], dtype=np.int32),
        act_max=63,
    )
    assert wide.output.shape == (2, M)
    assert (wide.output[0] > _call().output[0]).all()  # larger weights, larger outputs


def test_tau_leak_inf_means_no_leak():
    r = _call(tau_leak=np.inf, i_offset=np.zeros(M))
    assert np.all(np.isfinite(r.v_read))


@pytest.mark.parametrize(
    "changes, exc, words",
    [
        (dict(gm_inh=np.ones(M + 1)), ValueError, ["gm_inh", "(3,)", "(4,)"]),
        (dict(gm_inh=-np.ones(M)), ValueError, ["gm_inh", ">= 0", "None"]),
        (dict(tau_syn_inh=np.zeros(M)), ValueError, ["tau_syn_inh", "> 0", "None"]),
        (dict(tau_syn_inh=np.full(M, 1e-8)), ValueError, ["dt", "min(tau_syn_inh)"]),
        (dict(v_offset_exc=np.array([0, np.nan, 0])), ValueError, ["v_offset_exc", "finite"]),
        (dict(v_offset_inh=np.zeros(2)), ValueError, ["v_offset_inh", "(3,)", "(2,)"]),
        (dict(v_leak=np.full(M + 1, 0.6)), ValueError, ["v_leak", "(3,)", "(4,)"]),
        (dict(v_leak=float("nan")), ValueError, ["v_leak", "finite", "one per column"]),
        (dict(v_line_max=0.0), ValueError, ["v_line_max", "> 0", "math.inf"]),
        (dict(v_line_max="high"), TypeError, ["v_line_max", "number"]),
        (dict(sigma_bias=0.7), ValueError, ["sigma_bias", "[0, 0.5)", "0 turns it off"]),
        (dict(sigma_bias_common=-0.1), ValueError, ["sigma_bias_common", "[0, 0.5)"]),
        (dict(sigma_gm=0.5), ValueError, ["sigma_gm", "[0, 0.5)", "each path"]),
        (dict(quadrant=np.array([0, -1, 0])), ValueError, ["quadrant", ">= 0"]),
        (dict(quadrant=np.zeros(M)), TypeError, ["quadrant", "integer"]),
        (dict(quadrant=np.zeros(M + 1, int)), ValueError, ["quadrant", "(3,)"]),
        (dict(flicker_psd_1mhz=-1e-12), ValueError, ["flicker_psd_1mhz", ">= 0"]),
        (
            dict(flicker_tau_min=1e-3, flicker_tau_max=1e-6),
            ValueError,
            ["flicker_tau_max", "flicker_tau_min", "1/f band"],
        ),
        (dict(flicker_tau_min=0.0), ValueError, ["flicker_tau_min", "positive"]),
        (dict(flicker_components=1), ValueError, ["flicker_components", "2..31"]),
        (dict(flicker_components=2.5), TypeError, ["flicker_components", "integer"]),
        (dict(flicker_blocks=0), ValueError, ["flicker_blocks", "1..1048576"]),
        (dict(sigma_ramp=-1.0), ValueError, ["sigma_ramp", ">= 0"]),
        (dict(adc_max=0), ValueError, ["adc_max", "1..32767", "codes are 0..adc_max"]),
        (dict(adc_dev=np.zeros((1, 200))), ValueError, ["adc_dev", "(Q, 255)", "(1, 200)"]),
        (
            dict(adc_dev=np.zeros((1, 255)), quadrant=np.array([0, 2, 1])),
            ValueError,
            ["adc_dev", "max(quadrant) = 2", "(1, 255)"],
        ),
        (
            dict(adc_dev=np.r_[np.zeros(10), [-1.2], np.zeros(244)][None, :]),
            ValueError,
            ["adc_dev", "strictly increasing", "quadrant 0", "threshold 11"],
        ),
        (dict(adc_dev=np.full((1, 255), np.inf)), ValueError, ["adc_dev", "finite"]),
        (dict(t_gap=0.5e-6), ValueError, ["t_gap", ">= t_baseline", "None"]),
        (dict(t_gap="later"), TypeError, ["t_gap", "number"]),
    ],
)
def test_bad_new_arguments_are_named(changes, exc, words):
    with pytest.raises(exc) as info:
        _call(**changes)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_new_arguments_accept_their_documented_forms():
    r = _call(
        gm_inh=np.full(M, 0.8e-6),
        tau_syn_inh=np.full(M, 0.4e-6),
        v_offset_exc=np.zeros(M),
        v_offset_inh=np.zeros(M),
        v_leak=np.full(M, 0.6),
        v_line_max=0.3,
        sigma_bias=0.01,
        sigma_bias_common=0.01,
        quadrant=np.array([0, 1, 1]),
        flicker_psd_1mhz=1e-13,
        flicker_components=3,
        flicker_blocks=2,
        sigma_ramp=0.2,
        adc_max=200,
        adc_dev=np.zeros((2, 200)),
        t_gap=20e-6,
    )
    assert r.output.shape == (2, M) and r.code_read.max() <= 200
