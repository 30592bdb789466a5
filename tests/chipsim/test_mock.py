"""The mock model of the reference software: exact hand-computed outputs, range errors, and the
measurement procedure run on the mock itself."""

from functools import partial

import numpy as np
import pytest

from chipsim.models import mock
from chipsim.models.mock import MockParameter, MockRangeError

EXACT = MockParameter(gain=0.01, noise_std=0.0)


def _two_tile_case():
    """130 inputs (tile 0: 128 inputs of 31, tile 1: inputs 10 and 0) and five columns."""
    x = np.zeros((1, 130))
    x[0, :128] = 31
    x[0, 128] = 10
    w = np.zeros((130, 5))
    w[:, 0] = 1  # tile 0: 3968 * 0.01 = 39.68 -> 39; tile 1: 0.1 -> 0; sum 39
    w[:, 1] = -1  # -39.68 -> -40; -0.1 -> -1; sum -41
    w[:, 2] = 63  # 2499.84 -> clamp 127; 6.3 -> 6; sum 133 -> final clamp 127
    w[:128, 3] = 63  # tile 0 clamps to 127 before the sum ...
    w[128:, 3] = -63  # ... tile 1: -6.3 -> -7; sum 120 (without the tile clamp: 127)
    w[:, 4] = -63  # -2499.84 -> -128; -6.3 -> -7; sum -135 -> final clamp -128
    return x, w


def test_hand_computed_tiles_floor_and_clamps():
    x, w = _two_tile_case()
    out = mock.matmul(x, w, parameter=EXACT)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[39, -41, 127, 120, -128]])


def test_num_sends_multiplies_the_gain():
    x = np.array([[31, 31, 0, 5]])
    w = np.array([[1], [2], [63], [-3]])  # x . w = 31 + 62 - 15 = 78
    assert mock.matmul(x, w, num_sends=1, parameter=EXACT).item() == 0  # 0.78 -> 0
    assert mock.matmul(x, w, num_sends=2, parameter=EXACT).item() == 1  # 1.56 -> 1
    assert mock.matmul(x, w, num_sends=4, parameter=EXACT).item() == 3  # 3.12 -> 3
    assert mock.matmul(-0 * x, w, num_sends=4, parameter=EXACT).item() == 0


def test_fixed_noise_seed_reproduces_hand_computation():
    x, w = _two_tile_case()
    par = MockParameter(gain=0.01, noise_std=2.0)
    # documented draw: default_rng(seed).standard_normal((n_tiles, batch, M)) * noise_std
    z = np.random.default_rng(7).standard_normal((2, 1, 5)) * 2.0
    t0 = np.floor(np.array([39.68, -39.68, 2499.84, 2499.84, -2499.84]) + z[0, 0])
    t1 = np.floor(np.array([0.1, -0.1, 6.3, -6.3, -6.3]) + z[1, 0])
    expected = np.clip(np.clip(t0, -128, 127) + np.clip(t1, -128, 127), -128, 127)
    out = mock.matmul(x, w, parameter=par, noise_seed=7)
    np.testing.assert_array_equal(out[0], expected)
    np.testing.assert_array_equal(mock.matmul(x, w, parameter=par, noise_seed=7), out)


def test_noise_differs_between_seeds_and_has_the_given_std():
    x = np.full((4000, 128), 10)
    w = np.full((128, 2), 2)  # 2560 * 0.002 = 5.12
    out = mock.matmul(x, w, noise_seed=3)
    assert not np.array_equal(out, mock.matmul(x, w, noise_seed=4))
    # floor(5.12 + N(0, 4)) has mean 5.12 - about 0.5 and std about sqrt(4 + 1/12)
    assert abs(out.mean() - 4.62) < 0.1
    assert abs(out.std() - np.sqrt(4 + 1 / 12)) < 0.08


def test_rounding_to_nearest_before_the_product():
    w = np.array([[1.0], [1.0]])
    # 15.5 -> 16 and 14.5 -> 14 (half to even), weight 0.6 -> 1
    out = mock.matmul([[15.5, 14.5]], np.array([[0.6], [1.4]]), parameter=MockParameter(1.0, 0.0))
    assert out.item() == 30
    assert mock.matmul([[30.6, 0.4]], w, parameter=MockParameter(1.0, 0.0)).item() == 31


@pytest.mark.parametrize(
    "x, w, needle",
    [
        ([[31.6]], [[1]], "0..31"),
        ([[-0.6]], [[1]], "0..31"),
        ([[3]], [[63.6]], "-63..63"),
        ([[3]], [[-64]], "-63..63"),
    ],
)
def test_out_of_range_raises_an_overflow_error_naming_the_range(x, w, needle):
    with pytest.raises(MockRangeError, match=needle) as info:
        mock.matmul(x, w)
    assert isinstance(info.value, OverflowError) and isinstance(info.value, ValueError)


def test_shapes_batches_and_errors():
    x = np.random.default_rng(0).integers(0, 32, size=(2, 3, 200))
    w = np.random.default_rng(1).integers(-63, 64, size=(200, 7))
    out = mock.matmul(x, w, noise_seed=0)
    assert out.shape == (2, 3, 7)
    np.testing.assert_array_equal(
        out.reshape(6, 7), mock.matmul(x.reshape(6, 200), w, noise_seed=0)
    )
    assert mock.matmul(x[0, 0], w, noise_seed=0).shape == (7,)
    with pytest.raises(ValueError, match="do not fit"):
        mock.matmul(x, w[:100])
    with pytest.raises(ValueError, match="num_sends"):
        mock.matmul(x, w, num_sends=0)
    with pytest.raises(TypeError, match="MockParameter"):
        mock.matmul(x, w, parameter={"gain": 0.002})


def test_wait_between_events_is_accepted_and_ignored():
    x = np.random.default_rng(0).integers(0, 32, size=(5, 256))
    w = np.random.default_rng(1).integers(-63, 64, size=(256, 10))
    ref = mock.matmul(x, w, noise_seed=11)
    for wait in (0, 2, 25, 1000):
        np.testing.assert_array_equal(
            mock.matmul(x, w, wait_between_events=wait, noise_seed=11), ref
        )


def test_mock_parameter_defaults_and_checks():
    p = MockParameter()
    assert (p.gain, p.noise_std) == (0.002, 2.0)
    with pytest.raises(AttributeError):
        p.gain = 1.0  # type: ignore[misc]
    assert MockParameter.from_dict(p.to_dict()) == p
    with pytest.raises(ValueError, match="noise_std"):
        MockParameter(0.002, -1.0)
    with pytest.raises(ValueError, match="not finite"):
        MockParameter(float("nan"), 1.0)
    with pytest.raises(ValueError, match="unknown keys"):
        MockParameter.from_dict({"gain": 1, "noise": 2})


@pytest.mark.parametrize(
    "gain, noise_std", [(0.002, 2.0), (0.0015, 1.6), (0.004, 1.0), (0.0012, 3.0)]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_measure_recovers_the_mock_itself_within_5_percent(gain, noise_std, seed):
    par = MockParameter(gain=gain, noise_std=noise_std)
    fn = partial(mock.matmul, parameter=par)
    # per tile: the parameter the mock was run with
    measured = mock.measure_mock_parameter(fn, seed=seed, per_tile_noise=True)
    assert measured.gain == pytest.approx(gain, rel=0.05)
    assert measured.noise_std == pytest.approx(noise_std, rel=0.05)
    # the reference statistic itself: the noise of the two tiles of the measurement, summed
    bare = mock.measure_mock_parameter(fn, seed=seed)
    assert bare.gain == measured.gain
    assert bare.noise_std == pytest.approx(np.sqrt(2) * noise_std, rel=0.05)


def test_measure_follows_the_procedure():
    details = mock.measure_mock_parameter_details(mock.matmul, seed=0)
    np.testing.assert_allclose(details.densities, 0.85 ** np.arange(20))
    assert details.inputs.shape == (50, 256) and details.outputs.shape == (50, 128)
    assert set(np.unique(details.inputs)) <= {0.0, 15.5}
    best = np.argmin(np.abs(details.density_medians - 63.5))
    assert details.density == details.densities[best]
    np.testing.assert_allclose(details.ideal, details.inputs @ np.full((256, 128), 21.0))
    # the bare reference statistic is the noise of two tiles together
    assert details.n_tiles == 2
    assert details.noise_std_of_sum == pytest.approx(np.sqrt(2) * 2.0, rel=0.05)
    assert details.parameter.noise_std == details.noise_std_of_sum  # the reference returns it
    tile = mock.measure_mock_parameter(mock.matmul, seed=0, per_tile_noise=True)
    assert tile.noise_std == pytest.approx(details.noise_std_of_sum / np.sqrt(2))
    assert mock.measure_mock_parameter(mock.matmul, seed=0) == details.parameter


def test_measure_accepts_objects_with_matmul_and_refuses_others():
    class Wrapper:
        def matmul(self, x, w, num_sends=1, wait_between_events=5, noise_seed=None):
            return mock.matmul(x, w, num_sends, wait_between_events, noise_seed=noise_seed)

    assert mock.measure_mock_parameter(Wrapper(), seed=2) == mock.measure_mock_parameter(
        mock.matmul, seed=2
    )
    with pytest.raises(TypeError, match="Chip or a callable"):
        mock.measure_mock_parameter(42)
