"""The simulated calibration of a chip in the synaptic-input readout (``chips/bss2-synin.yaml``,
docs/calibration.md "The synaptic-input target"): the reference's synin target by default, the
CADC, synapse DAC bias and driver steps through the synin kernel, the calibrated chip."""

from __future__ import annotations

import numpy as np
import pytest

import chipsim
import hwdesc
from chipsim.calibration import HagenCalibTarget, HagenSyninCalibTarget, profile_target
from chipsim.calibration.circuits import RawChip, target_knobs
from chipsim.calibration.procedure import (
    DAC_TOLERANCE,
    SYNIN_DAC_ROWS,
    SYNIN_PROGRESS,
    SYNIN_STEPS,
    codes_of,
    default_target,
)
from chipsim.commands.cli import main
from chipsim.fixed_pattern import draw

#: The steps' targets (the reference's): 90 % of the window at activation 31.
RANGE_LIMIT = 0.9


@pytest.fixture(scope="module")
def desc():
    return hwdesc.load("bss2-synin")


@pytest.fixture(scope="module")
def calibrated(desc):
    """bss2-synin chip seed 0 calibrated for the default (synin) target, with the progress."""
    seen: list[str] = []
    result = chipsim.calibrate(
        desc, seed=0, cache=False, progress=lambda step, i, n: seen.append(step)
    )
    return result, seen


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPSIM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_the_synin_target_has_the_references_defaults_and_is_the_chips_default(desc):
    target = HagenSyninCalibTarget()
    assert target.to_dict() == {
        "kind": "hagen_synin",
        "dynamic_range": [150, 340],
        "read_range": [20, 220],
        "synapse_dac_bias": 800,
    }
    assert default_target(desc) == target
    assert default_target(hwdesc.load("bss2")) == HagenCalibTarget()
    # the profiles as targets: only the synapse DAC bias is a field (the OTA bias, tau_syn and
    # the reset level of the profiles are not in this readout's signal path)
    assert profile_target(desc, "default") == target
    assert profile_target(desc, "custom") == target


def test_calibration_runs_the_synin_steps_and_converges(desc, calibrated):
    result, seen = calibrated
    assert seen == list(SYNIN_PROGRESS)
    assert result.target == HagenSyninCalibTarget()
    assert sorted(result.quantities) == sorted(SYNIN_STEPS)
    assert result.ok, result.failures
    before = {q: result.before[q] for q in SYNIN_STEPS}
    after = result.residuals
    # the CADC: the quadrants' medians within a code of the target reads (the search's step is
    # a code of the ramp cells, about 0.5 CADC LSB), the channels within the read noise
    assert np.abs(after["cadc_ramp_offset"]).max() < 1.0 < before["cadc_ramp_offset"].std()
    assert np.abs(after["cadc_ramp_slope"]).max() < 1.0 < before["cadc_ramp_slope"].std()
    assert after["cadc_channel_offset"].std() < 0.2 * before["cadc_channel_offset"].std()
    # the drivers: block means and single drivers to their targets. A block's mean is measured
    # at activation 2 (about 6 LSB per line): over chip seeds 0-2 and two random streams the 24
    # block residuals scatter by 0.017 RMS (largest 0.057), so 0.09 is about 5 of that
    assert np.abs(after["driver_ramp"]).max() < 0.09 < before["driver_ramp"].std()
    assert after["driver_offset"].std() < 0.25 * before["driver_offset"].std()
    assert np.abs(after["driver_offset"]).max() < 0.02
    # the synapse DAC bias: every quadrant at the weakest one's drop (code step 1/800)
    assert np.abs(after["synapse_dac_bias"]).max() <= DAC_TOLERANCE
    assert after["synapse_dac_bias"].std() < 0.5 * before["synapse_dac_bias"].std()


def test_the_calibrated_circuits_are_on_target_in_the_hidden_truth(desc, calibrated):
    """The searches only see reads; the raw chip's noise-free transfer at the codes found shows
    the circuits on target: the CADC reads the range's ends as 20 and 220, the quadrants'
    synapse currents agree, every driver's pulse at activation 31 is 90 % of its window."""
    result, _ = calibrated
    raw = RawChip.draw(desc, 0)
    codes = codes_of(result, raw)
    nominal = raw.nominal_codes(result.target)
    (c_lo, c_hi), (r_lo, r_hi) = result.target.dynamic_range, result.target.read_range

    def reads(c: dict, level: int) -> np.ndarray:
        lsb, offset = raw.adc(c["cadc_ramp_offset"], c["cadc_ramp_slope"], c["cadc_channel_offset"])
        v = raw.reference_voltage(level)[:, None]
        return (v - desc.analog.adc.v_lo) / lsb + offset

    for level, goal in ((c_lo, r_lo), (c_hi, r_hi)):
        err = reads(codes, level) - goal
        assert np.abs(np.median(err)) < 0.5 and err.std() < 0.6
        assert (reads(nominal, level) - goal).std() > 5 * err.std()
    # the quantity the step evens, noise-free: each quadrant's median line drop, the sum over
    # the measurement's rows of synapse x pulse at activation 31, times the quadrant's current,
    # in the channel's CADC steps (a linear CADC)
    rows = np.linspace(0, 255, 2 * SYNIN_DAC_ROWS).round().astype(np.int64)
    base = draw(desc, target_knobs(desc, result.target), 0)

    lsb, _ = raw.adc(
        codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
    )

    def drops(c: dict) -> np.ndarray:
        pulse = raw.driver_pulses(c["driver_ramp"], c["driver_offset"], 31)  # (H, 128)
        out = np.empty((2, 2))
        for h, pat in enumerate(base):
            charge = np.empty(256)
            for parity in (0, 1):  # excitatory lines: rows[0::2], inhibitory: rows[1::2]
                r = rows[parity::2]
                lines = slice(parity, None, 2)
                charge[lines] = (pat.syn_gain_exc[r][:, lines] * pulse[h, r // 2, None]).sum(0)
            current = raw.i_max(c["synapse_dac_bias"])[h, raw.quadrant] / lsb[h]
            out[h] = [np.median((charge * current)[raw.quadrant == q]) for q in range(2)]
        return out

    drop, drop0 = drops(codes), drops(dict(codes, synapse_dac_bias=nominal["synapse_dac_bias"]))
    # seed 0: 0.84 % after, 3.5 % before; what the measured drops (0.1 %) have and this model
    # leaves out is the CADC's non-linearity over the drop, which differs between quadrants
    spread, spread0 = drop.max() / drop.min() - 1, drop0.max() / drop0.min() - 1
    assert spread < 0.012 and spread0 > 3 * spread
    window, t_lsb = raw.driver_window, desc.analog.pulse.t_lsb
    a_max = desc.formats.input.max
    pulses = raw.driver_pulses(codes["driver_ramp"], codes["driver_offset"], 29)
    raw_pulses = raw.driver_pulses(nominal["driver_ramp"], nominal["driver_offset"], 29)
    goal = RANGE_LIMIT * window * 29 / a_max
    assert np.abs(pulses / goal - 1).max() < 0.03
    assert (pulses / goal - 1).std() < 0.3 * (raw_pulses / goal - 1).std()
    # the pulse per activation step is t_lsb within the ramp's code step and the fit
    gain, _ = raw.driver_transfer(codes["driver_ramp"], codes["driver_offset"])
    assert np.abs(np.median(gain, axis=1)).max() < 0.03
    assert t_lsb > 0


def test_same_seed_and_target_give_the_same_codes_bit_for_bit(desc, calibrated):
    result, _ = calibrated
    again = chipsim.calibrate(desc, HagenSyninCalibTarget(), seed=0, cache=False)
    assert again == result
    for name in SYNIN_STEPS:
        np.testing.assert_array_equal(again.codes[name], result.codes[name])
        np.testing.assert_array_equal(again.residuals[name], result.residuals[name])


def test_a_calibrated_synin_chip_has_the_published_like_gain_and_noise(desc, calibrated):
    """The gain of model.md section 13 (I_lsb t_lsb / (C_line v_lsb), 0.00082 per unit of x w),
    less the weakest quadrant's synapse DAC current (the others are brought down to it), the
    gradient and the leak; the noise about a code, as the profile chip's."""
    result, _ = calibrated
    chip = chipsim.load("bss2-synin", calibration=result, seed=0)
    assert chip.calibration == "calibrated" and chip.calibration_result is result
    profile = chipsim.load("bss2-synin", seed=0)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 32, (60, 256))
    x[rng.random(x.shape) < 0.5] = 0
    w = rng.integers(-63, 64, (256, 128))
    ideal = (x @ w).astype(float)
    y = chip.matmul(x, w, noise_seed=1)
    np.testing.assert_array_equal(y, chip.matmul(x, w, noise_seed=1))
    gain = float(np.sum(ideal * y) / np.sum(ideal * ideal))
    nominal = chip.knobs.i_max / 63 * desc.analog.pulse.t_lsb
    nominal /= desc.analog.synin.c_line * desc.analog.adc.v_lsb
    assert nominal == pytest.approx(0.00082, rel=0.01)
    assert 0.9 * nominal < gain < 1.02 * nominal
    y0 = profile.matmul(x, w, noise_seed=1)
    gain0 = float(np.sum(ideal * y0) / np.sum(ideal * ideal))
    assert gain == pytest.approx(gain0, rel=0.05)
    # the error against the best linear fit: noise and the residual fixed pattern
    assert np.std(y - gain * ideal) < 2.0 * np.std(y0 - gain0 * ideal) + 0.5
    x1 = np.repeat(x[:1], 200, axis=0)
    noise = float(np.median(chip.matmul(x1, w, noise_seed=2).std(axis=0)))
    assert 0.8 < noise < 1.6


def test_a_target_of_the_other_readout_is_refused(desc):
    with pytest.raises(TypeError, match="reads the synaptic input lines.*HagenSyninCalibTarget"):
        chipsim.calibrate(desc, HagenCalibTarget(), seed=0, cache=False)
    with pytest.raises(TypeError, match="reads the membranes.*not a HagenSyninCalibTarget"):
        chipsim.calibrate("bss2", HagenSyninCalibTarget(), seed=0, cache=False)
    with pytest.raises(TypeError, match="tau_syn: not a field of HagenSyninCalibTarget"):
        chipsim.calibrate(desc, seed=0, cache=False, tau_syn="1 us")
    with pytest.raises(ValueError, match="synapse_dac_bias: 2000 is out of range"):
        chipsim.calibrate(desc, seed=0, cache=False, synapse_dac_bias=2000)


def test_calibrate_command_prints_the_synin_quantities(calibrated, tmp_path, cache, capsys):
    out = tmp_path / "synin.npz"
    argv = ["calibrate", "bss2-synin", "--set", "synapse_dac_bias=700", "--out", str(out), "-q"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "HagenSyninCalibTarget(dynamic_range=(150, 340)" in printed
    assert "synapse_dac_bias=700" in printed
    for name in SYNIN_STEPS:
        assert f"\n{name} " in printed
    # the summary in the order the steps run: the CADC first
    at = [printed.index(f"\n{name} ") for name in SYNIN_STEPS]
    assert at == sorted(at)
    assert "i_synin_gm" not in printed and "tau_syn" not in printed
    assert out.exists() and out.with_suffix(".png").exists()
    # a field of the membrane target: the error names the synin target's fields
    assert main(["calibrate", "bss2-synin", "--set", "tau_syn=1us", "-q"]) == 2
    err = capsys.readouterr().err
    assert "--set 'tau_syn=1us': no target field 'tau_syn'" in err
    assert "fields: dynamic_range, read_range, synapse_dac_bias" in err


def test_simulate_runs_a_calibrated_synin_chip(calibrated, tmp_path, cache, capsys):
    argv = ["simulate", "bss2-synin", "--calibrate", "--batch", "20", "-q"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 0
    assert "calibration   calibrated (chip seed 0)" in capsys.readouterr().out


def test_failures_of_a_synin_calibration_are_reported(tmp_path, cache, capsys):
    """A CADC range whose ends lie beyond what the ramp cells reach (code 0 of the range, -164
    mV, and code 1022, 1.3 V): the ramp offset searches of the four quadrants fail (two end at
    code 0, two at code 1 with their reads still at 0, below the target 20), and so do the
    slope searches (at 1021, the reads still at 255, above 220); the command says so on stderr,
    and a chip built with the result warns."""
    from chipsim.calibration import CalibrationWarning

    out = tmp_path / "wide.npz"
    argv = ["calibrate", "bss2-synin", "--set", "dynamic_range=0,1022", "--out", str(out), "-q"]
    with pytest.warns(chipsim.calibration.TargetWarning, match="dynamic_range"):
        assert main(argv) == 0
    captured = capsys.readouterr()
    assert "FAILED instances (cadc_ramp_offset: 4, cadc_ramp_slope: 4)" in captured.err
    row = next(line for line in captured.out.splitlines() if line.startswith("cadc_ramp_offset "))
    assert row.split()[-1] == "4"
    with pytest.warns(CalibrationWarning, match="cadc_ramp_offset 4"):
        chip = chipsim.load("bss2-synin", calibration=str(out), seed=0)
    assert not chip.calibration_result.ok
