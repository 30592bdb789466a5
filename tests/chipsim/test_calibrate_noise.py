"""The leak bias step for a noise target (the reference's LeakBiasCalib; docs/calibration.md):
the search on a synthetic transfer with a known answer, and on the simulated bss2 chip the read
noise it reaches, failures for an unreachable target, reproducibility and the command line."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import chipsim
import hwdesc
from chipsim.calibration import CalibrationResult, CalibrationWarning, HagenCalibTarget
from chipsim.calibration.procedure import (
    NOISE_MARGIN,
    NOISE_STEPS,
    STEPS,
    Bench,
    _leak_bias_noise,
    codes_of,
)
from chipsim.calibration.target import TargetWarning

#: The noise target of the bss2 tests (CADC LSB): inside what the leak bias reaches on bss2
#: (about 1.7 at code 1022 to 3.3 at code 0, measured).
TARGET = 2.5


@pytest.fixture(scope="module")
def bss2_description():
    return hwdesc.load("bss2")


@pytest.fixture(scope="module")
def noisy(bss2_description):
    return chipsim.calibrate(bss2_description, seed=0, cache=False, target_noise=TARGET)


class _SyntheticBench:
    """A bench whose noise falls with the leak bias code as ``a / sqrt(1 + code / b)`` per
    neuron (plus white read noise of ``sigma``), and whose membrane floats (mean read 40 LSB
    off) below a per-neuron code ``floor``."""

    def __init__(self, a, b, floor, sigma, seed=1):
        self.a, self.b, self.floor, self.sigma = a, b, floor, sigma
        self.rng = np.random.default_rng(seed)
        shape = a.shape
        self.desc = SimpleNamespace(geometry=SimpleNamespace(halves=shape[0], columns=shape[1]))
        self.raw = SimpleNamespace(seed=0, tau_mem=lambda c: np.ones(c.shape))
        self.calls = 0

    def noise_reads(self, codes):
        self.calls += 1
        c = codes["i_bias_leak"]
        std = self.a / np.sqrt(1.0 + c / self.b) + self.sigma * self.rng.standard_normal(c.shape)
        mean = np.where(c < self.floor, 100.0 + 40.0, 100.0)
        return std, mean

    def rest_reads(self, codes, leak, tau_leak=None):
        return np.full(codes["i_bias_leak"].shape, 100.0)


def test_the_search_finds_the_known_code_of_a_synthetic_transfer():
    rng = np.random.default_rng(0)
    shape = (2, 64)
    a = rng.uniform(3.0, 4.0, shape)
    b = rng.uniform(150.0, 400.0, shape)
    floor = np.where(np.arange(128).reshape(shape) % 8 == 0, 700, 0)  # every 8th floats below 700
    bench = _SyntheticBench(a, b, floor, sigma=0.01)
    codes = {"i_bias_leak": np.full(shape, 300, dtype=np.int64)}
    target = HagenCalibTarget(target_noise=2.5, leak=100)
    step = _leak_bias_noise(bench, codes, target)  # type: ignore[arg-type]
    exact = b * ((a / 2.5) ** 2 - 1.0)  # the code where the noise is the target
    expected = np.maximum(exact, floor)  # a floating membrane needs the stronger leak
    assert step.name == "target_noise" and step.unit == "CADC LSB"
    assert step.success.all()
    np.testing.assert_array_equal(codes["i_bias_leak"], step.codes)
    ok = floor == 0
    # the read noise (0.01 LSB) over the transfer's slope at the target sets the code's error
    slope = a / (2.0 * b) * (1.0 + exact / b) ** -1.5  # LSB per code
    assert (np.abs(step.codes[ok] - exact[ok]) <= (4 * 0.01 / slope[ok] + 1)).all()
    assert np.abs(step.residuals[ok]).max() < 0.05
    # below its floor the penalty (+10) pushes a floating neuron up to the floor's code
    assert (np.abs(step.codes[~ok] - expected[~ok]) <= 1).all()


def test_the_search_reports_a_synthetic_target_out_of_reach():
    shape = (2, 8)
    b = np.full(shape, 200.0)
    codes = {"i_bias_leak": np.full(shape, 300, dtype=np.int64)}
    # above the noise at code 0 (1.5), below the noise at 1022 (3 / sqrt(6.11) = 1.21)
    for noise, a, code in ((2.4, 1.5, 0), (1.0, 3.0, 1022)):
        bench = _SyntheticBench(np.full(shape, a), b, np.zeros(shape), sigma=0.0)
        target = HagenCalibTarget(target_noise=noise, leak=100)
        step = _leak_bias_noise(bench, dict(codes), target)  # type: ignore[arg-type]
        assert (step.codes == code).all() and not step.success.any()


def test_a_noise_target_calibrates_the_leak_bias_and_the_levels_again(noisy, bss2_description):
    assert noisy.quantities == tuple(sorted(NOISE_STEPS))
    assert set(NOISE_STEPS) - set(STEPS) == {"target_noise"}
    ok = noisy.success["target_noise"]
    assert ok.mean() > 0.95, noisy.failures
    assert noisy.success["v_leak"].all() and noisy.success["v_reset"].all()
    # a fresh measurement (new temporal noise) on the chip at the result's codes: the read noise
    # of the successful neurons, 60 reads each: the std of that estimate alone is about
    # 2.5 / sqrt(118) = 0.23 LSB (measured spread of the deviation: 0.30, max 1.0-1.3)
    bench = Bench(bss2_description, noisy.target, 0)
    codes = codes_of(noisy, bench.raw)
    np.testing.assert_array_equal(codes["i_bias_leak"], noisy.codes["target_noise"])
    std, mean = bench.noise_reads(codes)
    deviation = std[ok] - TARGET
    assert abs(float(np.median(deviation))) < 0.1
    assert 0.2 < float(deviation.std()) < 0.4
    assert np.mean(np.abs(deviation) < NOISE_MARGIN) > 0.97
    assert np.abs(deviation).max() < 1.6
    # the direction: a neuron noisier than the target at the membrane time constant's bias got a
    # stronger leak (most: "before" is one noisy measurement; measured 93 %; at 2.5 LSB few
    # neurons are quieter than the target there: 3 by more than 0.5 LSB)
    before = noisy.before["target_noise"]
    moved = noisy.codes["target_noise"].astype(int) - noisy.codes["tau_mem"].astype(int)
    assert (before > 0.5).sum() > 50
    assert (moved[before > 0.5] > 0).mean() > 0.9
    # the leak level was calibrated again with the leak at that bias: it reads the target, within
    # the noise of a read at rest with that weak leak (16 conversions; measured std 1.4 LSB)
    rest = bench.rest_reads(codes, True, bench.raw.tau_mem(codes["i_bias_leak"]))
    assert abs(float(np.median(rest - noisy.target.leak))) < 0.5
    assert float((rest - noisy.target.leak).std()) < 2.5


def test_a_noise_target_out_of_reach_fails(noisy, bss2_description):
    """Far above the noise at the weakest leak bias (about 3.3 LSB): every neuron ends at or a
    few codes above 0 (the transfer is flat there; measured <= 7) and fails (the reference would
    accept it: its only failure is a noise above the target)."""
    with pytest.warns(TargetWarning, match="target_noise: 20 is outside"):
        target = noisy.target.with_overrides(target_noise=20)
    bench = Bench(bss2_description, target, 0)
    codes = codes_of(noisy, bench.raw)
    step = _leak_bias_noise(bench, codes, target)
    assert (step.codes <= 10).all() and not step.success.any()
    # below the target (by 15-17 LSB; a floating membrane's penalty adds up to 11)
    assert (step.residuals < 0).all() and np.median(step.residuals) < -15


def test_same_seed_gives_the_same_result_and_the_command_line(noisy, tmp_path, capsys):
    from chipsim.commands.cli import main

    out = tmp_path / "calib.npz"
    argv = ["calibrate", "bss2", "--set", f"target_noise={TARGET}", "--no-cache", "-q"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"target_noise={TARGET:g}" in printed and "target_noise " in printed
    result = CalibrationResult.load(out)
    assert result.to_bytes() == noisy.to_bytes()
    with pytest.warns(CalibrationWarning, match="target_noise"):  # its few failed neurons
        chip = chipsim.load("bss2", calibration=str(out))
    assert chip.calibration is not None
