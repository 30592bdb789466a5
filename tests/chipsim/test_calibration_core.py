"""The calibration groundwork (docs/calibration.md): the searches on synthetic instances with a
known transfer against the brute-force best code, the targets, the result file and the cache."""

from __future__ import annotations

import json
import math
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chipsim
import kernels
from chipsim.calibration import (
    CACHE_ENV,
    FORMAT_VERSION,
    CalibrationCache,
    CalibrationFileError,
    CalibrationResult,
    HagenCalibTarget,
    HagenSyninCalibTarget,
    Target,
    TargetWarning,
    binary_search,
    default_cache_dir,
    description_hash,
    linear_prediction,
    noisy_binary_search,
    search_steps,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "calibration.md"

# --- synthetic instances -------------------------------------------------------------------------


class Transfer:
    """``n`` instances with a known monotone transfer code -> value: an offset, a gain and a
    curvature per instance (``value = offset + gain * span * (x + c x**2) / (1 + c)``, ``x`` the
    code as a fraction of the range), optionally falling with the code, optionally with Gaussian
    measurement noise of standard deviation ``sigma`` (from ``seed``)."""

    def __init__(
        self, n, low, high, *, seed=0, inverted=False, sigma=0.0, curvature=1.0, gain=(0.2, 1.0)
    ):
        rng = np.random.default_rng(seed)
        self.low, self.high, self.n = low, high, n
        self.span = high - low
        self.gain = rng.uniform(*gain, n)
        self.offset = rng.uniform(-0.1, 0.1, n) * self.span
        self.curvature = rng.uniform(0.0, curvature, n)
        self.sign = -1.0 if inverted else 1.0
        self.sigma = sigma
        self.noise = np.random.default_rng(seed + 1)
        self.calls = 0

    def true(self, codes):
        x = (np.asarray(codes) - self.low) / self.span
        c = self.curvature
        return self.sign * (self.offset + self.gain * self.span * (x + c * x**2) / (1 + c))

    def __call__(self, codes):
        self.calls += 1
        value = self.true(codes)
        if self.sigma:
            value = value + self.noise.normal(0.0, self.sigma, self.n)
        return value

    def brute_force(self, target):
        """Per instance: the best code and its deviation, over every code of the range."""
        table = np.stack([self.true(np.full(self.n, c)) for c in range(self.low, self.high + 1)])
        deviation = np.abs(table - target)
        return self.low + np.argmin(deviation, axis=0), deviation.min(axis=0)


def _deviation(transfer, codes, target):
    return np.abs(transfer.true(codes) - target)


# --- the step plan -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "steps"),
    [(0, 1022, 12), (0, 1023, 12), (0, 63, 8), (-128, 127, 10), (0, 1, 3), (5, 7, 4)],
)
def test_steps_are_ceil_log2_of_the_range_plus_two(low, high, steps):
    plan = search_steps(low, high)
    assert len(plan) == steps == math.ceil(math.log2(high - low + 1)) + 2
    assert plan[0] == math.ceil((high - low + 1) / 4)
    assert list(plan) == sorted(plan, reverse=True)


def test_noisy_plan_has_one_more_step_of_the_noise_amplitude():
    assert search_steps(0, 1022, 5) == (256, 128, 64, 32, 16, 8, 5, 4, 2, 1, 1, 1, 1)


@pytest.mark.parametrize(("low", "high"), [(3, 3), (4, 2)])
def test_a_range_of_fewer_than_two_codes_is_refused(low, high):
    with pytest.raises(ValueError, match="fewer than 2 codes"):
        search_steps(low, high)
    with pytest.raises(ValueError, match="fewer than 2 codes"):
        binary_search(lambda c: c * 1.0, 0.0, low, high, 3)


def test_the_search_measures_once_per_step_starting_mid_range():
    transfer = Transfer(7, 0, 1022)
    result = binary_search(transfer, 300.0, 0, 1022, 7)
    assert transfer.calls == result.steps == 12
    assert (result.tried_codes[0] == 511).all()
    assert result.tried_codes.shape == result.tried_values.shape == (12, 7)


# --- convergence against brute force -------------------------------------------------------------


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize(("low", "high"), [(0, 1022), (0, 63), (-128, 127)])
@pytest.mark.parametrize("curvature", [0.0, 3.0])
def test_binary_search_finds_the_brute_force_best_code(inverted, low, high, curvature):
    transfer = Transfer(200, low, high, seed=4, inverted=inverted, curvature=curvature)
    target = float(np.median(transfer.true(np.full(200, (low + high) // 2))))
    result = binary_search(transfer, target, low, high, 200, inverted=inverted)
    best_code, best = transfer.brute_force(target)
    # without noise the search is exact: its code is as close as the best code
    np.testing.assert_array_equal(_deviation(transfer, result.codes, target), best)
    np.testing.assert_array_equal(result.measured, transfer.true(result.codes))
    np.testing.assert_array_equal(result.residuals, result.measured - target)
    inside = (best_code > low) & (best_code < high)
    assert result.success[inside].all()


@pytest.mark.parametrize("inverted", [False, True])
def test_noisy_binary_search_finds_the_brute_force_best_code(inverted):
    transfer = Transfer(200, 0, 1022, seed=5, inverted=inverted, curvature=2.0)
    target = float(np.median(transfer.true(np.full(200, 511))))
    result = noisy_binary_search(transfer, target, 0, 1022, 200, inverted=inverted, seed=3)
    _, best = transfer.brute_force(target)
    np.testing.assert_array_equal(_deviation(transfer, result.codes, target), best)
    assert result.steps == 13
    starts = result.tried_codes[0] - 511
    assert starts.min() >= -5 and starts.max() <= 5 and len(set(starts)) > 5


#: The documented tolerance under measurement noise of standard deviation sigma: the chosen
#: code is no more than this many sigma worse than the best code (docs/calibration.md).
NOISE_TOLERANCE_SIGMA = 6


@pytest.mark.parametrize("search", ["binary", "noisy"])
@pytest.mark.parametrize("sigma", [0.3, 3.0])
def test_searches_under_measurement_noise_stay_within_the_tolerance(search, sigma):
    transfer = Transfer(300, 0, 1022, seed=6, sigma=sigma, curvature=1.0)
    target = 250.0
    if search == "binary":
        result = binary_search(transfer, target, 0, 1022, 300)
    else:
        result = noisy_binary_search(transfer, target, 0, 1022, 300, seed=1)
    _, best = transfer.brute_force(target)
    excess = _deviation(transfer, result.codes, target) - best
    assert excess.max() <= NOISE_TOLERANCE_SIGMA * sigma


def test_per_instance_targets():
    transfer = Transfer(50, 0, 255, seed=7)
    targets = np.linspace(40, 160, 50)
    result = binary_search(transfer, targets, 0, 255, 50)
    np.testing.assert_array_equal(result.target, targets)
    _, best = transfer.brute_force(targets)
    np.testing.assert_array_equal(_deviation(transfer, result.codes, targets), best)


# --- failures at the range boundaries -------------------------------------------------------------


@pytest.mark.parametrize("search", [binary_search, noisy_binary_search])
@pytest.mark.parametrize("inverted", [False, True])
def test_instances_out_of_reach_are_reported_failed(search, inverted):
    transfer = Transfer(40, 0, 1022, seed=8, inverted=inverted, gain=(0.4, 1.0))
    sign = -1.0 if inverted else 1.0
    targets = np.full(40, sign * 150.0)  # reachable by every instance
    targets[:5] = 1e6  # above every code's value
    targets[5:10] = -1e6  # below every code's value
    result = search(transfer, targets, 0, 1022, 40, inverted=inverted)
    highest, lowest = (0, 1022) if inverted else (1022, 0)  # the codes of the extreme values
    assert (result.codes[:5] == highest).all()
    assert (result.codes[5:10] == lowest).all()
    assert not result.success[:10].any()
    assert result.success[10:].all()
    assert list(result.failed) == list(range(10))


@pytest.mark.parametrize("inverted", [False, True])
def test_an_instance_stopped_short_of_the_boundary_by_noise_fails(inverted):
    """A transfer nearly flat near the boundary and a target far beyond it: with measurement
    noise the best of the last steps may be a code or a few inside the boundary; every value of
    those steps still asks to move beyond the boundary the search reached, so it fails. An
    instance whose target lies inside, next to the boundary, keeps its success."""
    rng = np.random.default_rng(3)
    sign = -1.0 if inverted else 1.0

    def measure(codes):
        return sign * (1e-4 * codes + 0.01 * rng.standard_normal(codes.size))

    targets = np.full(200, sign * 10.0)  # far beyond code 1022's value (0.1)
    targets[100:] = sign * (1e-4 * 1015)  # inside, 7 codes from the boundary, within the noise
    result = noisy_binary_search(measure, targets, 0, 1022, 200, inverted=inverted, seed=4)
    assert not result.success[:100].any()
    failed_short = int((result.codes[:100] < 1022).sum())
    assert failed_short > 10  # measured: the noise picks an inner code for many of them
    # the boundary itself was tried by every one of them
    assert ((result.tried_codes[:, :100] == 1022).any(axis=0)).all()
    # with the value of 1015 as target the last steps straddle it: most succeed (the noise,
    # 100 codes wide, may still leave some on one side)
    assert result.success[100:].mean() > 0.5


def test_an_instance_ending_on_a_boundary_fails_even_when_on_target():
    # the reference's rule: a code on the boundary may have been stopped by the range
    result = binary_search(lambda codes: codes.astype(float), 0.0, 0, 63, 2)
    assert (result.codes == 0).all()
    assert not result.success.any()


# --- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_result_other_seed_other_start():
    def run(seed):
        transfer = Transfer(100, 0, 1022, seed=9, sigma=1.0)
        return noisy_binary_search(transfer, 200.0, 0, 1022, 100, seed=seed)

    a, b, c = run(11), run(11), run(12)
    for name in ("codes", "measured", "success", "tried_codes", "tried_values"):
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes()
    assert not np.array_equal(a.tried_codes[0], c.tried_codes[0])


def test_the_noise_amplitude_is_bounded_by_the_first_step():
    with pytest.raises(ValueError, match="noise_amplitude: 17 is out of range; allowed: 1..16"):
        noisy_binary_search(lambda c: c * 1.0, 0.0, 0, 63, 3, noise_amplitude=17)
    with pytest.raises(ValueError, match="noise_amplitude"):
        noisy_binary_search(lambda c: c * 1.0, 0.0, 0, 63, 3, noise_amplitude=0)


# --- the measurement -----------------------------------------------------------------------------


def test_a_measurement_of_the_wrong_shape_or_not_finite_is_refused():
    with pytest.raises(ValueError, match=r"measure: step 0 returned shape \(2,\)"):
        binary_search(lambda c: np.zeros(2), 0.0, 0, 63, 3)
    with pytest.raises(ValueError, match="non-finite"):
        binary_search(lambda c: np.full(3, np.nan), 0.0, 0, 63, 3)
    with pytest.raises(ValueError, match="target: expected one value or one per instance"):
        binary_search(lambda c: c * 1.0, np.zeros(4), 0, 63, 3)


def test_the_measurement_gets_a_copy_of_the_codes():
    def spoiling(codes):
        value = codes * 1.0
        codes[:] = 0
        return value

    result = binary_search(spoiling, 30.0, 0, 63, 4)
    assert (result.codes == 30).all()


# --- linear prediction ---------------------------------------------------------------------------


def test_linear_prediction_moves_every_channel_to_the_median_read():
    rng = np.random.default_rng(10)
    offsets = rng.integers(-20, 21, 512).astype(float)
    reads = 120.0 + offsets  # a channel reads its offset plus its digital offset code

    def measure(codes):
        return reads + codes

    result = linear_prediction(measure, -128, 127, 512)
    assert result.target[0] == math.floor(np.median(reads))
    np.testing.assert_array_equal(result.measured, np.full(512, result.target[0]))
    assert result.success.all() and result.steps == 2
    assert (result.tried_codes[0] == 0).all()


def test_linear_prediction_with_a_slope_and_a_target_reports_clipped_channels():
    def measure(codes):  # falls by 0.5 per code
        return np.array([100.0, 140.0, 400.0]) - 0.5 * codes

    result = linear_prediction(measure, -128, 127, 3, slope=-2.0, target=120.0)
    np.testing.assert_array_equal(result.codes, [-40, 40, 127])
    np.testing.assert_array_equal(result.success, [True, True, False])
    np.testing.assert_allclose(result.residuals[:2], 0.0)


# --- property tests ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    low=st.integers(-200, 200),
    width=st.integers(1, 1100),
    seed=st.integers(0, 2**31),
    curvature=st.floats(0.0, 5.0),
    inverted=st.booleans(),
    where=st.floats(-0.2, 1.2),
    noisy=st.booleans(),
)
def test_property_any_monotone_transfer_any_target(
    low, width, seed, curvature, inverted, where, noisy
):
    high = low + width
    transfer = Transfer(16, low, high, seed=seed, inverted=inverted, curvature=curvature)
    # a target anywhere from below to above the reachable values
    span = transfer.true(np.full(16, high)) - transfer.true(np.full(16, low))
    target = transfer.true(np.full(16, low)) + where * span
    amplitude = min(5, search_steps(low, high)[0])
    if noisy:
        result = noisy_binary_search(
            transfer, target, low, high, 16, inverted=inverted, noise_amplitude=amplitude, seed=1
        )
    else:
        result = binary_search(transfer, target, low, high, 16, inverted=inverted)
    best_code, best = transfer.brute_force(target)
    np.testing.assert_array_equal(_deviation(transfer, result.codes, target), best)
    assert ((result.codes >= low) & (result.codes <= high)).all()
    np.testing.assert_array_equal(result.success, (result.codes > low) & (result.codes < high))
    # out of reach: the code the search ends on is the boundary
    beyond = (where > 1.0001) | (where < -0.0001)
    if beyond and width > 2:
        assert not result.success.any()


@settings(max_examples=40, deadline=None)
@given(
    tau_syn=st.floats(0.1, 100.0),
    i_synin_gm=st.integers(0, 1022),
    lower=st.integers(0, 1021),
    extra=st.integers(1, 1022),
)
def test_property_targets_round_trip_through_their_dictionary(tau_syn, i_synin_gm, lower, extra):
    upper = min(lower + extra, 1022)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        target = HagenCalibTarget(
            tau_syn=f"{tau_syn!r} us", i_synin_gm=i_synin_gm, dynamic_range=(lower, upper)
        )
        again = Target.from_dict(json.loads(json.dumps(target.to_dict())))
    assert again == target and hash(again) == hash(target)
    assert again.tau_syn == target.tau_syn
    assert math.isclose(target.tau_syn, tau_syn * 1e-6, rel_tol=1e-12)


# --- targets -------------------------------------------------------------------------------------


def test_the_reference_defaults():
    target = HagenCalibTarget()
    assert target.dynamic_range == (150, 500)
    assert target.read_range == (20, 220)
    assert target.leak == 120
    assert target.tau_mem == 60e-6
    assert target.tau_syn == 0.32e-6
    assert target.i_synin_gm == 450
    assert target.target_noise is None
    assert target.synapse_dac_bias == 1022
    synin = HagenSyninCalibTarget()
    assert synin.dynamic_range == (150, 340)
    assert synin.synapse_dac_bias == 800
    assert synin != HagenCalibTarget()


def test_overrides_with_units_give_a_new_frozen_target():
    target = HagenCalibTarget()
    custom = target.with_overrides(tau_syn="0.64 us", i_synin_gm=225, target_noise=1.5)
    assert custom.tau_syn == 0.64e-6 and custom.i_synin_gm == 225 and custom.target_noise == 1.5
    assert target.tau_syn == 0.32e-6  # unchanged
    assert custom == HagenCalibTarget(tau_syn="640 ns", i_synin_gm=225, target_noise=1.5)
    assert "tau_syn='640 ns'" in repr(custom)
    with pytest.raises(AttributeError, match="frozen; use with_overrides"):
        custom.tau_syn = 1e-6  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(custom)) == custom


@pytest.mark.parametrize(
    ("overrides", "error", "message"),
    [
        (
            {"tau_syn": "200 us"},
            ValueError,
            "tau_syn: 200 us is out of range; allowed: 100 ns..100 us",
        ),
        ({"tau_mem": "5 ms"}, ValueError, r"tau_mem: 5 ms is out of range; allowed: 100 ns..2 ms"),
        ({"tau_syn": 0.64}, ValueError, "tau_syn: a time needs a unit"),
        ({"tau_syn": "1 V"}, ValueError, "tau_syn: '1 V' is a voltage, but a time is expected"),
        (
            {"i_synin_gm": 1023},
            ValueError,
            "i_synin_gm: 1023 is out of range; allowed: 0..1022 CapMem LSB",
        ),
        ({"i_synin_gm": 450.0}, TypeError, "i_synin_gm: expected an integer"),
        ({"leak": 300}, ValueError, "leak: 300 is out of range; allowed: 0..255 CADC LSB"),
        ({"dynamic_range": (500, 150)}, ValueError, "dynamic_range: 500..150 is empty or reversed"),
        ({"dynamic_range": (150, 1100)}, ValueError, "dynamic_range: 150..1100 is out of range"),
        (
            {"dynamic_range": 150},
            TypeError,
            r"dynamic_range: expected two integers \(lower, upper\)",
        ),
        ({"target_noise": 0}, ValueError, "target_noise: 0 is out of range; allowed: > 0"),
        (
            {"tau_sin": "1 us"},
            TypeError,
            "tau_sin: not a field of HagenCalibTarget; did you mean 'tau_syn'",
        ),
    ],
)
def test_bad_overrides_name_the_field_and_the_allowed_range(overrides, error, message):
    with pytest.raises(error, match=message):
        HagenCalibTarget().with_overrides(**overrides)


def test_the_synin_target_has_no_neuron_fields():
    with pytest.raises(TypeError, match="tau_syn: not a field of HagenSyninCalibTarget"):
        HagenSyninCalibTarget(tau_syn="1 us")


def test_values_outside_the_standard_range_warn():
    with pytest.warns(TargetWarning, match="tau_syn: 50 us is outside the standard range"):
        HagenCalibTarget(tau_syn="50 us")
    with pytest.warns(TargetWarning, match="i_synin_gm: 700 is outside the standard range 30..600"):
        HagenCalibTarget().with_overrides(i_synin_gm=700)


def test_the_documentation_lists_every_field_with_its_default():
    text = DOCS.read_text()
    for cls in (HagenCalibTarget, HagenSyninCalibTarget):
        for field in cls.FIELDS:
            assert f"`{field.name}`" in text, field.name
    assert CACHE_ENV in text


# --- the result file -----------------------------------------------------------------------------

HASH = "0123456789abcdef" * 4


def _result(seed=0, target=None, n=512, fail=3):
    rng = np.random.default_rng(seed)
    success = np.ones(n, bool)
    success[:fail] = False
    return CalibrationResult(
        target=target or HagenCalibTarget(),
        chip_seed=seed,
        description_hash=HASH,
        codes={
            "i_bias_leak": rng.integers(0, 1023, n),
            "cadc_channel_offset": rng.integers(-128, 128, n),
        },
        residuals={
            "i_bias_leak": rng.normal(0, 1, n),
            "cadc_channel_offset": np.r_[np.nan, rng.normal(0, 0.5, n - 1)],
        },
        success={"i_bias_leak": success, "cadc_channel_offset": np.ones(n, bool)},
    )


def test_save_and_load_are_bit_identical(tmp_path):
    result = _result(target=HagenCalibTarget(tau_syn="0.64 us"))
    path = result.save(tmp_path / "calib.npz")
    loaded = CalibrationResult.load(path)
    assert loaded == result
    for part in ("codes", "residuals", "success"):
        for name in result.quantities:
            a, b = getattr(result, part)[name], getattr(loaded, part)[name]
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert loaded.target == result.target and loaded.chip_seed == 0
    assert loaded.failures == {"cadc_channel_offset": 0, "i_bias_leak": 3}
    assert not loaded.ok
    # the same result gives the same bytes, and the file is a plain npz
    assert result.save(tmp_path / "again.npz").read_bytes() == path.read_bytes()
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
    assert header["format_version"] == FORMAT_VERSION
    assert header["software_version"] == chipsim.__version__


def test_saving_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "calib.npz"
    _result(seed=1).save(path)
    before = path.read_bytes()

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _result(seed=2).save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calib.npz"]


def test_the_result_arrays_are_read_only_copies():
    codes = np.arange(4)
    result = CalibrationResult(
        HagenCalibTarget(), 0, HASH, {"x": codes}, {"x": np.zeros(4)}, {"x": np.ones(4, bool)}
    )
    codes[0] = 99
    assert result.codes["x"][0] == 0
    with pytest.raises(ValueError, match="read-only"):
        result.codes["x"][0] = 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"description_hash": "abc"}, "description_hash: expected 64 lowercase hex digits"),
        ({"chip_seed": -1}, "chip_seed: -1 is out of range"),
        ({"codes": {"x": np.zeros(3)}}, r"codes\['x'\]: expected integers"),
        ({"success": {"x": np.ones(4, bool), "y": np.ones(4, bool)}}, "success: quantities"),
        ({"residuals": {"x": np.zeros(5)}}, "must have one shape"),
    ],
)
def test_a_malformed_result_is_refused(kwargs, message):
    fields = {
        "target": HagenCalibTarget(),
        "chip_seed": 0,
        "description_hash": HASH,
        "codes": {"x": np.arange(4)},
        "residuals": {"x": np.zeros(4)},
        "success": {"x": np.ones(4, bool)},
    }
    fields.update(kwargs)
    with pytest.raises((TypeError, ValueError), match=message):
        CalibrationResult(**fields)


def _rewrite_header(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with np.load(path, allow_pickle=False) as archive:
        header = json.loads(archive["header"].tobytes())
    change(header)
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.frombuffer(json.dumps(header).encode(), np.uint8))
    members["header.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_a_newer_format_version_is_refused_clearly(tmp_path):
    path = _result().save(tmp_path / "calib.npz")
    _rewrite_header(path, lambda h: h.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(
        CalibrationFileError,
        match=rf"written in file format version {FORMAT_VERSION + 1} .*reads versions up to "
        rf"{FORMAT_VERSION}: upgrade chipsim",
    ):
        CalibrationResult.load(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(format_version=0), "unknown file format version 0"),
        (lambda h: h.update(format="something"), "does not name the chipsim calibration format"),
        (lambda h: h["quantities"].update(extra=[3]), "do not match its header"),
        (lambda h: h["quantities"].update(i_bias_leak=[7]), "do not have the shape"),
        (lambda h: h["target"].update(tau_syn=1.0), "damaged or of another kind"),
    ],
)
def test_a_wrong_header_is_refused(tmp_path, change, message):
    path = _result().save(tmp_path / "calib.npz")
    _rewrite_header(path, change)
    with pytest.raises(CalibrationFileError, match=message):
        CalibrationResult.load(path)


@pytest.mark.parametrize("damage", ["truncate", "flip", "text", "empty"])
def test_a_damaged_file_is_refused_clearly(tmp_path, damage):
    path = _result().save(tmp_path / "calib.npz")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        middle = len(data) // 2
        data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    elif damage == "text":
        data = bytearray(b"not a calibration\n")
    else:
        data = bytearray()
    path.write_bytes(bytes(data))
    with pytest.raises(
        CalibrationFileError, match=r"calib.npz: .*not a readable chipsim calibration"
    ):
        CalibrationResult.load(path)


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        CalibrationResult.load(tmp_path / "nothing.npz")


def test_description_hash_is_the_sha256_of_the_canonical_json():
    import hashlib

    import hwdesc

    description = hwdesc.load("bss2")
    value = description_hash(description)
    assert value == hashlib.sha256(description.model_dump_json().encode()).hexdigest()
    assert value != description_hash(hwdesc.load("tutorial"))


# --- the cache -----------------------------------------------------------------------------------


def test_cache_miss_then_hit(tmp_path):
    cache = CalibrationCache(tmp_path)
    target = HagenCalibTarget()
    calls = []

    def calibrate():
        calls.append(1)
        return _result(seed=5, target=target)

    assert cache.get(HASH, 5, target) is None
    first = cache.get_or_calibrate(HASH, 5, target, calibrate)
    second = cache.get_or_calibrate(HASH, 5, target, calibrate)
    assert len(calls) == 1 and first == second
    assert cache.path(HASH, 5, target).parent == tmp_path / "calibration"
    # every part of the key matters
    assert cache.get(HASH, 6, target) is None
    assert cache.get(HASH, 5, target.with_overrides(tau_syn="0.64 us")) is None
    assert cache.get("f" * 64, 5, target) is None
    assert cache.key(HASH, 5, target) != cache.key(HASH, 5, target, software_version="0.0.1")
    # the kernels' code: their numerics and random streams change what a calibration measures
    assert cache.key(HASH, 5, target) == cache.key(
        HASH, 5, target, kernels_version=kernels.CODE_VERSION
    )
    assert cache.key(HASH, 5, target) != cache.key(HASH, 5, target, kernels_version="0" * 16)


def test_the_cache_key_holds_the_version_of_the_steps(monkeypatch):
    from chipsim.calibration import result as module

    target = HagenCalibTarget()
    key = CalibrationCache.key(HASH, 5, target)
    monkeypatch.setattr(module, "PROCEDURE_VERSION", module.PROCEDURE_VERSION + 1)
    assert CalibrationCache.key(HASH, 5, target) != key  # other steps: calibrated again


def test_a_damaged_cache_entry_is_a_miss_and_is_replaced(tmp_path):
    cache = CalibrationCache(tmp_path)
    target = HagenSyninCalibTarget()
    path = cache.put(_result(seed=2, target=target))
    path.write_bytes(b"garbage")
    assert cache.get(HASH, 2, target) is None
    again = cache.get_or_calibrate(HASH, 2, target, lambda: _result(seed=2, target=target))
    assert CalibrationResult.load(path) == again


def test_a_result_for_another_key_is_not_cached(tmp_path):
    cache = CalibrationCache(tmp_path)
    with pytest.raises(ValueError, match="another description, chip seed or target"):
        cache.get_or_calibrate(HASH, 1, HagenCalibTarget(), lambda: _result(seed=2))
    assert not (tmp_path / "calibration").exists()


def test_the_cache_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    assert CalibrationCache().folder == tmp_path / "elsewhere"
    monkeypatch.setenv(CACHE_ENV, "")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "chipsim"


@pytest.mark.parametrize("text", ["0.1 us", "100 us", "100.0 us", "1e-4 s", "100000 ns"])
def test_the_ends_of_the_allowed_tau_syn_range_are_accepted(text):
    """The bounds are read by the same unit parser as the values: 100 us is 1e-4 s, not
    100 * 1e-6 (one ulp below)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TargetWarning)
        HagenCalibTarget(tau_syn=text)
    with pytest.raises(ValueError, match="tau_syn"):
        HagenCalibTarget(tau_syn="100.001 us")
