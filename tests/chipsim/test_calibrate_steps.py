"""The synapse DAC bias, synapse driver, leak and reset level and membrane time constant steps
(docs/calibration.md) against synthetic benches
that answer with the known transfer of a drawn chip, without noise: the searches reach the best
code the code range offers, the residual spread is what the code resolution leaves, and
instances pushed beyond the range are reported as failed. The CADC to the narrow range runs on
the simulated chip."""

from __future__ import annotations

import numpy as np
import pytest

import hwdesc
from chipsim.calibration import HagenCalibTarget
from chipsim.calibration import procedure as proc
from chipsim.calibration.circuits import RawChip

#: Amplitude (CADC LSB) of a driver's synthetic measurement per second of pulse.
PER_SECOND = 5e8
#: Line drop (V) of the synthetic DAC bias measurement per ampere of I_max.
PER_AMPERE = 1e6


@pytest.fixture(scope="module")
def desc():
    return hwdesc.load("bss2")


class DriverBench:
    """A bench whose driver measurement is the hidden pulse length of every driver (limited to
    its window) times :data:`PER_SECOND`: the amplitude of a linear membrane."""

    def __init__(self, desc, seed=0):
        self.desc = desc
        self.raw = RawChip.draw(desc, seed)
        self.calls = 0

    def driver_amplitudes(self, codes, activation, parallel, runs=proc.DRIVER_RUNS):
        self.calls += 1
        pulses = self.raw.driver_pulses(codes["driver_ramp"], codes["driver_offset"], activation)
        return pulses * PER_SECOND


class DacBench:
    """A bench whose line drop is each column's quadrant current times :data:`PER_AMPERE`."""

    def __init__(self, desc, seed=0):
        self.desc = desc
        self.raw = RawChip.draw(desc, seed)

    def line_drops(self, codes):
        return self.raw.i_max(codes["synapse_dac_bias"])[:, self.raw.quadrant] * PER_AMPERE


def _drivers(bench):
    codes = bench.raw.nominal_codes(HagenCalibTarget())
    steps = proc._drivers(bench, codes, lambda name: None)
    return codes, {s.name: s for s in steps}


def _goal(raw):
    """(H, K) each driver's goal at activation 29 (s): 90 % x 29/31 of its largest pulse (ramp
    at 1022, DAC offset 0, activation 31), as the step measures it."""
    h, k = raw.drv_gain.shape
    top = raw.driver_pulses(np.full((h, k // 64), 1022), np.zeros((h, k)), 31)
    return proc.RANGE_LIMIT * top * proc.OFFSET_ACTIVATION / 31


def _best_offsets(raw, ramp_codes, goal):
    """(H, K) the smallest deviation from ``goal`` (s) at activation 29 of any DAC offset code,
    and that code, by trying every code."""
    lo, hi = raw.description.uncalibrated.driver_offset_range
    trial = np.arange(lo, hi + 1)
    h, k = raw.drv_gain.shape
    pulses = np.stack(
        [raw.driver_pulses(ramp_codes, np.full((h, k), c), proc.OFFSET_ACTIVATION) for c in trial]
    )
    return np.abs(pulses - goal).min(axis=0), trial[np.abs(pulses - goal).argmin(axis=0)]


def test_the_driver_offsets_reach_the_best_code_of_the_range(desc):
    """Without noise, the inverted search over 0..63 ends, per driver, as close to its goal
    (90 % x 29/31 of its largest amplitude, nearly always the full window) as the best of all
    64 codes (the transfer falls monotonically with the code), with the ramp the ramp step
    chose."""
    bench = DriverBench(desc)
    codes, steps = _drivers(bench)
    raw = bench.raw
    goal = _goal(raw)
    best, _ = _best_offsets(raw, codes["driver_ramp"], goal)
    chosen = raw.driver_pulses(codes["driver_ramp"], codes["driver_offset"], 29)
    np.testing.assert_allclose(np.abs(chosen - goal), best, rtol=0, atol=1e-18)
    assert steps["driver_offset"].success.all()
    # the step's residual is the measured one: here the hidden pulse relative to the goal
    np.testing.assert_allclose(steps["driver_offset"].residuals, chosen / goal - 1, atol=1e-12)


def test_the_driver_residual_is_what_the_code_resolution_leaves(desc):
    """One code removes 0.2 ns (times each driver's step, 1 +- 5 %, and the ramp's factor): a
    uniform rounding error leaves a std of 0.2 ns / sqrt(12) = 0.058 ns at activation 29,
    against a raw spread of about 0.6 ns (raw offset) and 0.3 ns (1 % gain at 29 ns), mixed
    with the ramp's."""
    bench = DriverBench(desc)
    raw = bench.raw
    nominal = raw.nominal_codes(HagenCalibTarget())
    codes, _ = _drivers(bench)
    goal = proc.RANGE_LIMIT * raw.driver_window * proc.OFFSET_ACTIVATION / 31
    before = raw.driver_pulses(nominal["driver_ramp"], nominal["driver_offset"], 29) - goal
    after = raw.driver_pulses(codes["driver_ramp"], codes["driver_offset"], 29) - goal
    uncal = desc.uncalibrated
    g = 1.0 / (1.0 + raw.driver_transfer(codes["driver_ramp"], codes["driver_offset"])[0])
    expected = uncal.driver_offset_per_code * np.sqrt(np.mean((raw.drv_step / g) ** 2) / 12)
    assert 0.8 * expected < after.std() < 1.2 * expected, (after.std(), expected)
    assert abs(after.mean()) < 0.3 * expected
    assert before.std() > 0.6e-9
    assert before.std() / after.std() > 10


def test_the_ramp_sets_each_block_to_the_target_step(desc):
    """The ramp of a block is searched at activation 2, each of its measurements after the
    offsets were searched anew: the block's mean pulse per activation step ends at t_lsb (90 %
    of the window / 31) within what one ramp code (about 0.2 % near code 500) and the offsets'
    rounding allow; raw, the blocks are 5 % apart (ramp factor and cell mismatch)."""
    bench = DriverBench(desc)
    raw = bench.raw
    nominal = raw.nominal_codes(HagenCalibTarget())
    codes, steps = _drivers(bench)
    t_lsb = desc.analog.pulse.t_lsb
    step = proc.RANGE_LIMIT * raw.driver_window / 31
    assert step == pytest.approx(t_lsb, rel=1e-3)

    def block_steps(c):
        gain = raw.driver_transfer(c["driver_ramp"], c["driver_offset"])[0]
        return (1 + gain).reshape(2, -1, desc.uncalibrated.driver_block).mean(axis=2)

    assert np.abs(block_steps(nominal) - 1).max() > 0.03
    assert np.abs(block_steps(codes) * t_lsb / step - 1).max() < 0.004
    # the measured residual at activation 2: one code of the ramp moves it by about 3 %
    assert np.abs(steps["driver_ramp"].residuals).max() < 0.03
    assert np.abs(steps["driver_ramp"].before).max() > 0.3
    assert steps["driver_ramp"].success.all()
    # the reference's plan: 12 ramp steps, each with 8 offset steps and one measurement at
    # activation 2; one measurement of the largest amplitudes before; then the final offsets
    # (largest amplitudes, before, 8 steps, after) and the check at activation 2
    assert bench.calls == 1 + 1 + 12 * (8 + 1) + 1 + 1 + 8 + 1 + 1


def test_drivers_beyond_the_offset_range_are_reported_failed(desc):
    """With a raw pulse offset of 3 ns (std), drivers needing more than the 32 codes (6.4 ns)
    either way end on 0 or 63: exactly those fail, and their residual is what the boundary
    leaves."""
    wide = desc.model_copy(
        update={"uncalibrated": desc.uncalibrated.model_copy(update={"driver_pulse_offset": 3e-9})}
    )
    bench = DriverBench(wide)
    codes, steps = _drivers(bench)
    raw = bench.raw
    _, best = _best_offsets(raw, codes["driver_ramp"], _goal(raw))
    failed = ~steps["driver_offset"].success
    assert 5 < failed.sum() < 100
    assert np.array_equal(failed, (best == 0) | (best == 63))
    assert set(np.unique(codes["driver_offset"][failed])) <= {0, 63}
    assert np.abs(steps["driver_offset"].residuals[failed]).min() > 0.004


def test_the_synapse_dac_bias_meets_the_weakest_quadrant(desc):
    """Without noise, every quadrant's current ends within half a code of the weakest
    quadrant's at the set code (one code near 800 is 0.125 %); the weakest keeps the set code."""
    bench = DacBench(desc)
    raw = bench.raw
    codes = raw.nominal_codes(HagenCalibTarget())
    for level in (800, 1022):
        codes["synapse_dac_bias"][:] = level
        at_level = raw.i_max(codes["synapse_dac_bias"])
        step = proc._synapse_dac_bias(bench, codes, level)
        after = raw.i_max(codes["synapse_dac_bias"])
        weakest = np.unravel_index(at_level.argmin(), at_level.shape)
        assert codes["synapse_dac_bias"][weakest] == level
        assert np.abs(after / at_level.min() - 1).max() < 0.6 / level
        assert at_level.std() / at_level.mean() > 0.005
        assert step.success.all()
        np.testing.assert_allclose(step.residuals, after / at_level.min() - 1, atol=1e-12)


def test_the_cadc_reaches_the_narrow_range_on_the_simulated_chip(desc):
    """The first CADC calibration, to 150..340 (CapMem codes) read as 20..220: the quadrant
    medians of reads of the reference cell at both ends land within half a code; the step is
    1.84 times finer than with the default range 150..500."""
    target = HagenCalibTarget()
    bench = proc.Bench(desc, target, 0)
    codes = bench.raw.nominal_codes(target)
    steps = proc._cadc(bench, codes, proc.NARROW_RANGE, target.read_range)
    assert np.abs(steps[0].residuals).max() < 0.75 + 0.15
    assert np.abs(steps[1].residuals).max() < 0.55 + 0.15
    for level, read in zip(proc.NARROW_RANGE, target.read_range):
        medians = proc._quadrant_median(bench.raw, bench.read_reference(level, codes))
        # one ramp offset code moves the lower read by 1.5 LSB of this range, one slope code
        # the upper by about 1.1; the channel offsets then move each channel to the floor of
        # the median read in the middle (up to one code more)
        assert np.abs(medians - read).max() < 1.9, (level, medians)
    lsb, _ = bench.raw.adc(
        codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
    )
    assert lsb.mean() == pytest.approx(desc.analog.adc.v_lsb * 190 / 350, rel=0.02)


class LevelBench:
    """A bench whose rest read is the noise-free CADC value of the leak level (leak on) or the
    reset level (right after a reset) of every neuron, through the chip's CADC at the codes."""

    def __init__(self, desc, seed=0):
        self.desc = desc
        self.raw = RawChip.draw(desc, seed)

    def rest_reads(self, codes, leak):
        raw = self.raw
        lsb, offset = raw.adc(
            codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
        )
        level = raw.leak_level(codes["v_leak"]) if leak else raw.reset_level(codes["v_reset"])
        return (level - self.desc.analog.adc.v_lo) / lsb + offset


def _levels(bench):
    target = HagenCalibTarget()
    codes = bench.raw.nominal_codes(target)
    steps = proc._levels(bench, codes, target, lambda name: None)
    return codes, {s.name: s for s in steps}


def test_the_leak_and_reset_levels_reach_the_best_code_and_its_resolution(desc):
    """Without noise, the noisy binary searches over 0..1022 end as close to the target read
    (120) as the best code of the range, per neuron; one code moves a read by 1.43 mV / 2.5 mV
    = 0.57 LSB (times the cell's gain), so the rounding leaves a std of 0.57 / sqrt(12) = 0.165
    LSB, against a raw spread of 15 mV = 6 LSB."""
    bench = LevelBench(desc)
    codes, steps = _levels(bench)
    raw = bench.raw
    trial = np.arange(0, 1023)
    h, m = codes["v_leak"].shape
    for name, leak in (("v_leak", True), ("v_reset", False)):
        reads = np.stack(
            [bench.rest_reads(dict(codes, **{name: np.full((h, m), c)}), leak) for c in trial]
        )
        best = np.abs(reads - 120).min(axis=0)
        chosen = bench.rest_reads(codes, leak)
        np.testing.assert_allclose(np.abs(chosen - 120), best, rtol=0, atol=1e-9)
        step = steps[name]
        assert step.success.all()
        assert 0.8 * 0.165 < step.residuals.std() < 1.2 * 0.165, (name, step.residuals.std())
        assert step.before.std() > 5.0
    # both levels read alike: the pseudo-leak pulls each neuron to where it was reset
    gap = raw.leak_level(codes["v_leak"]) - raw.reset_level(codes["v_reset"])
    assert np.abs(gap).std() < 0.6e-3  # V; raw: 21 mV


def test_levels_beyond_the_code_range_are_reported_failed(desc):
    """A raw leak level spread of 400 mV puts some neurons' leak beyond what 0..1022 (1.46 V)
    reaches around the target (0.3 V): they end on 0 or 1022 and fail."""
    wide = desc.model_copy(
        update={"uncalibrated": desc.uncalibrated.model_copy(update={"leak_level": 0.4})}
    )
    bench = LevelBench(wide)
    codes, steps = _levels(bench)
    failed = ~steps["v_leak"].success
    assert failed.sum() > 10
    assert set(np.unique(codes["v_leak"][failed])) <= {0, 1022}
    assert np.abs(steps["v_leak"].residuals[failed]).min() > 0.3
    assert steps["v_reset"].success.all()


class LeakBench(LevelBench):
    """:class:`LevelBench` with the membrane time constant measurement: at rest the membrane
    reads its leak level, ``t`` after a reset ``rest + (reset - rest) exp(-t / tau)`` with the
    hidden time constant of its leak bias code, noise-free, through the chip's CADC."""

    def leak_reads(self, codes, t):
        raw = self.raw
        lsb, offset = raw.adc(
            codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
        )
        rest = raw.leak_level(codes["v_leak"])
        reset = raw.reset_level(codes["v_reset"])
        rise = rest + (reset - rest) * np.exp(-t / raw.tau_mem(codes["i_bias_leak"]))
        v_lo = self.desc.analog.adc.v_lo
        return (rest - v_lo) / lsb + offset, (rise - v_lo) / lsb + offset


def _membrane(bench, target=None):
    target = HagenCalibTarget() if target is None else target
    codes = bench.raw.nominal_codes(target)
    step = proc._membrane_time_constant(bench, codes, target)
    return codes, step


def test_the_membrane_time_constant_reaches_the_best_code_and_its_resolution(desc):
    """Without noise, the noisy binary search over the leak bias ends on the code whose rise
    fraction (rest - rise) / (rest - reset) at tau_mem after a reset is closest to 1/e, per
    neuron; the measured time constant is then the hidden one, and the hidden spread shrinks
    from the raw ~20 % to what one code leaves: near code 260 a code moves the leak's rate by
    0.4 % (0.35 % of tau_mem with the pseudo-leak in parallel), so rounding leaves about
    0.35 % / sqrt(12) = 0.1 %."""
    bench = LeakBench(desc)
    codes, step = _membrane(bench)
    raw = bench.raw
    t = HagenCalibTarget().tau_mem
    h, m = codes["i_bias_leak"].shape

    def fraction(c):
        rest, rise = bench.leak_reads(dict(codes, i_bias_leak=c), t)
        reset = bench.rest_reads(codes, False)
        return (rest - rise) / (rest - reset)

    trial = np.arange(0, 1023)
    values = np.stack([fraction(np.full((h, m), c)) for c in trial])
    best = np.abs(values - 1 / np.e).min(axis=0)
    np.testing.assert_allclose(
        np.abs(fraction(codes["i_bias_leak"]) - 1 / np.e), best, rtol=0, atol=1e-12
    )
    assert step.success.all()
    hidden = raw.tau_mem(codes["i_bias_leak"]) / t - 1
    np.testing.assert_allclose(step.residuals, hidden, rtol=0, atol=1e-9)  # the reads are exact
    nominal = raw.tau_mem(raw.nominal_codes(HagenCalibTarget())["i_bias_leak"]) / t - 1
    np.testing.assert_allclose(step.before, nominal, rtol=0, atol=1e-9)
    assert 0.15 < nominal.std() < 0.25  # raw: 20 % on the leak, the pseudo-leak in parallel
    assert 0.0006 < hidden.std() < 0.0015, hidden.std()
    assert abs(hidden.mean()) < 0.0005
    # the reset sits 50 LSB below the leak read (within its code's resolution)
    rest, _ = bench.leak_reads(codes, t)
    np.testing.assert_allclose(rest - bench.rest_reads(codes, False), 50, atol=0.6)


def test_leak_biases_beyond_the_code_range_are_reported_failed(desc):
    """A raw leak conductance spread of 50 %: neurons whose leak is weaker than about a quarter
    of the nominal need a leak bias above 1022 for 60 us; they end there, fail, and stay slow.
    A target faster than code 1022 reaches (10 us) fails for every neuron."""
    wide = desc.model_copy(
        update={"uncalibrated": desc.uncalibrated.model_copy(update={"tau_mem": 0.5})}
    )
    bench = LeakBench(wide)
    codes, step = _membrane(bench)
    failed = ~step.success
    assert failed.sum() > 10
    assert (codes["i_bias_leak"][failed] == 1022).all()
    assert step.residuals[failed].min() > 0.02  # too slow: the leak is too weak
    assert np.abs(step.residuals[~failed]).max() < 0.01
    with pytest.warns(UserWarning, match="tau_mem"):  # a TargetWarning: outside 20..100 us
        fast = HagenCalibTarget(tau_mem="10 us")
    codes, step = _membrane(LeakBench(desc), fast)
    assert not step.success.any() and (codes["i_bias_leak"] == 1022).all()
    assert step.residuals.min() > 0.1  # all slower: 17 us at code 1022 for a nominal leak


def test_the_membrane_step_is_deterministic(desc):
    a_codes, a = _membrane(LeakBench(desc, seed=3))
    b_codes, b = _membrane(LeakBench(desc, seed=3))
    for name in ("i_bias_leak", "v_leak", "v_reset"):
        np.testing.assert_array_equal(a_codes[name], b_codes[name])
    np.testing.assert_array_equal(a.residuals, b.residuals)
    _, c = _membrane(LeakBench(desc, seed=4))
    assert not np.array_equal(a.codes, c.codes)
