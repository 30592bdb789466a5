"""Column surrogates: the model, fitting on synthetic data with known parameters, saving and
loading, exports, and one fit on the simulated bss2 chip."""

import json
from pathlib import Path

import numpy as np
import pytest

from chipsim.models import mock
from chipsim.models import surrogates as S
from chipsim.models.validity import mock_as_surrogate

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


def _true_surrogate(kind="column_nonlinear", halves=2, cols=16, seed=0):
    rng = np.random.default_rng(seed)
    shape = (halves, cols)
    return S.ColumnSurrogate(
        kind,
        gain=0.002 * (1 + 0.03 * rng.standard_normal(shape)),
        offset=0.5 + 0.3 * rng.standard_normal(shape),
        noise_std=np.full(shape, 1.8),
        limit_hi=rng.uniform(95, 110, shape),
        limit_lo=rng.uniform(95, 110, shape),
        sharpness=8.0,
        noise_slope=0.01 if kind == "column_nonlinear" else 0.0,
    )


def _synthetic_data(true, n=600, seed=1):
    """FitData drawn from a known surrogate (one tile per half)."""
    rng = np.random.default_rng(seed)
    h, m = true.gain.shape
    ideal = rng.uniform(-75000, 75000, size=(n, h, m))
    u = true.gain * ideal + true.offset
    if true.kind == "column_nonlinear":
        u = S.soft_clip(u, true.limit_hi, true.limit_lo, true.sharpness)
    s = np.sqrt(true.noise_std**2 + true.noise_slope * np.abs(u))
    ys = [np.clip(np.floor(u + s * rng.standard_normal(u.shape)), -128, 127) for _ in range(2)]
    return S.FitData(
        ideal=ideal, y1=ys[0], y2=ys[1], sends=np.ones(n, dtype=int), wait_between_events=5
    )


def test_fit_recovers_known_column_parameters():
    true = _true_surrogate()
    fitted = S.fit(_synthetic_data(true), "column_nonlinear")
    np.testing.assert_allclose(fitted.gain, true.gain, rtol=0.02)
    np.testing.assert_allclose(fitted.offset, true.offset, atol=0.3)
    np.testing.assert_allclose(fitted.limit_hi, true.limit_hi, rtol=0.05)
    np.testing.assert_allclose(fitted.limit_lo, true.limit_lo, rtol=0.05)
    assert np.median(fitted.noise_std) == pytest.approx(1.8, rel=0.1)
    assert fitted.noise_slope == pytest.approx(0.01, abs=0.006)
    linear = S.fit(_synthetic_data(_true_surrogate("column")), "column")
    assert np.median(linear.noise_std) == pytest.approx(1.8, rel=0.05)
    assert np.isinf(linear.limit_hi).all() and linear.noise_slope == 0


def test_expected_matches_the_average_of_noisy_outputs():
    sur = _true_surrogate(cols=8)
    rng = np.random.default_rng(3)
    x = rng.integers(0, 32, size=(4, 200))  # two input tiles
    w = rng.integers(-3, 9, size=(200, 8))
    mean, std = sur.expected(x, w, num_sends=2)
    reps = np.stack([sur.matmul(x, w, num_sends=2, noise_seed=s) for s in range(400)])
    np.testing.assert_allclose(reps.mean(0), mean, atol=0.35)
    np.testing.assert_allclose(reps.std(0), std, rtol=0.15)


def test_matmul_is_seeded_and_follows_the_mock_conventions():
    sur = _true_surrogate(cols=8)
    x = np.random.default_rng(0).integers(0, 32, size=(2, 3, 100))
    w = np.random.default_rng(1).integers(-63, 64, size=(100, 20))  # 20 > 8 columns: output tiles
    a = sur.matmul(x, w, noise_seed=5)
    assert a.shape == (2, 3, 20) and a.dtype == np.int32
    np.testing.assert_array_equal(a, sur.matmul(x, w, wait_between_events=25, noise_seed=5))
    assert a.min() >= -128 and a.max() <= 127
    with pytest.raises(mock.MockRangeError, match="0..31"):
        sur.matmul(x + 31, w)


def test_mock_as_surrogate_reproduces_the_mock_formula():
    par = mock.MockParameter(gain=0.01, noise_std=0.0)
    sur = mock_as_surrogate(par, 2, 256, "test")
    x = np.random.default_rng(0).integers(0, 32, size=(5, 300))
    w = np.random.default_rng(1).integers(-63, 64, size=(300, 40))
    np.testing.assert_array_equal(sur.matmul(x, w), mock.matmul(x, w, parameter=par))


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_save_and_load_round_trip(tmp_path, suffix):
    sur = _true_surrogate()
    sur = S.ColumnSurrogate(
        **{**sur.__dict__, "limit_hi": np.full(sur.gain.shape, np.inf), "info": {"chip": "bss2"}}
    )
    path = sur.save(tmp_path / f"s{suffix}")
    back = S.ColumnSurrogate.load(path)
    for name in ("gain", "offset", "noise_std", "limit_hi", "limit_lo"):
        np.testing.assert_array_equal(getattr(back, name), getattr(sur, name))
    assert (back.kind, back.sharpness, back.noise_slope, back.info) == (
        sur.kind,
        8.0,
        0.01,
        {"chip": "bss2"},
    )
    with pytest.raises(ValueError, match="unknown file type"):
        sur.save(tmp_path / "s.txt")
    (tmp_path / "bad.json").write_text(json.dumps({"gain": []}))
    with pytest.raises(ValueError, match="not a chipsim surrogate"):
        S.ColumnSurrogate.load(tmp_path / "bad.json")


def test_mock_parameter_files_and_exports(tmp_path):
    par = mock.MockParameter(gain=0.00187, noise_std=1.86)
    for suffix in (".json", ".yml"):
        path = S.save_mock_parameter(par, tmp_path / f"p{suffix}", info={"chip": "bss2"})
        assert S.load_mock_parameter(path) == par
    assert S.reference_form(par) == "hxtorch.MockParameter(noise_std=1.86, gain=0.00187)"
    unit = 0.00187 * 31 * 63
    terms = S.aihwkit_io_terms(par, _true_surrogate())
    assert terms["approximate"] is True
    assert terms["out_noise"] == pytest.approx(1.86 / unit)
    assert terms["out_bound"] == pytest.approx(terms["out_bound_steps"] / unit)
    assert 0.01 < terms["fixed_pattern_out_noise"] < 0.06
    assert 95 <= terms["out_bound_steps"] <= 110  # median soft-clip limit of the surrogate
    assert S.aihwkit_io_terms(par)["out_bound"] == pytest.approx(128 / unit)
    assert terms["inp_res"] == pytest.approx(1 / 31) and terms["out_res"] == pytest.approx(1 / 254)
    for key in ("out_noise", "out_noise_std", "fixed_pattern_out_noise", "out_bound", "out_res"):
        assert key in terms


def test_constructor_checks():
    good = _true_surrogate()
    with pytest.raises(ValueError, match="kind"):
        S.ColumnSurrogate(**{**good.__dict__, "kind": "cubic"})
    with pytest.raises(ValueError, match="shape"):
        S.ColumnSurrogate(**{**good.__dict__, "offset": np.zeros(3)})
    with pytest.raises(ValueError, match="noise_std"):
        S.ColumnSurrogate(**{**good.__dict__, "noise_std": -np.ones(good.gain.shape)})


@pytest.mark.slow
def test_fit_on_the_simulated_chip():
    import chipsim

    chip = chipsim.load(CHIPS / "bss2.yaml", seed=0)
    data = S.fit_data(chip, num_vectors=48, seed=0)
    assert data.ideal.shape == (48 + 12, 2, 256)
    sur = S.fit(data, "column_nonlinear")
    # gain of dense inputs at wait 5 (some dynamic saturation), fixed pattern of a few percent
    assert 0.0015 < np.median(sur.gain) < 0.0020
    assert 0.01 < np.std(sur.gain) / np.mean(sur.gain) < 0.08
    # per-tile noise at the output of the reference measurement (63.5 over two tiles, about 32
    # per tile): that of the measurement on the same chip, within 15 % (the fit spans denser
    # inputs, whose noise differs a little). Much of the chip's noise grows with the output (the
    # OTA bias noise), which the surrogate's noise_slope carries
    per_tile = mock.measure_mock_parameter(chip, seed=0, per_tile_noise=True).noise_std
    at_32 = np.sqrt(np.median(sur.noise_std) ** 2 + sur.noise_slope * 32.0)
    assert at_32 == pytest.approx(per_tile, rel=0.15)
    assert sur.noise_slope > 0
    # positive outputs reach the int8 clip, negative ones saturate on the rail (model.md section 8)
    assert 120 < np.median(sur.limit_hi) < 135 and 85 < np.median(sur.limit_lo) < 125
