"""``chipsim.torch``: the reference perceptron API on a simulated chip: straight-through
gradients, mock and chip sharing shapes and conventions, layers, conversions, errors."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chipsim  # noqa: E402
import chipsim.torch as hxp  # noqa: E402

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


@pytest.fixture(scope="module")
def chip():
    return chipsim.load(CHIPS / "bss2.yaml", seed=0)


@pytest.fixture(autouse=True)
def clean_state():
    """Every test starts without a selected chip and with the default mock parameter."""
    hxp.release_chip()
    hxp.set_mock_parameter(hxp.MockParameter())
    yield
    hxp.release_chip()
    hxp.set_mock_parameter(hxp.MockParameter())


def _inputs(shape, seed=0, high=32):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, high, shape, generator=g).float()


def _weights(shape, seed=1, bound=63):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(-bound, bound + 1, shape, generator=g).float()


# ---- gradients ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mock", [True, False])
@pytest.mark.parametrize("num_sends", [1, 3])
def test_matmul_gradient_is_straight_through_scaled_by_gain_and_sends(chip, mock, num_sends):
    hxp.set_mock_parameter(hxp.MockParameter(gain=0.0017, noise_std=2.0))
    x = _inputs((5, 200)).requires_grad_()
    w = _weights((200, 7), bound=20).requires_grad_()
    y = hxp.matmul(x, w, num_sends=num_sends, mock=mock, chip=chip)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(3))
    (y * g).sum().backward()
    scale = 0.0017 * num_sends
    torch.testing.assert_close(x.grad, scale * g @ w.detach().t())
    torch.testing.assert_close(w.grad, scale * x.detach().t() @ g)


def test_matmul_gradient_of_batched_and_one_dimensional_arguments():
    x = _inputs((2, 3, 40)).requires_grad_()
    w = _weights((40,), bound=10).requires_grad_()
    y = hxp.matmul(x, w, mock=True)
    assert y.shape == (2, 3)
    y.sum().backward()
    gain = hxp.get_mock_parameter().gain
    torch.testing.assert_close(x.grad, gain * w.detach().expand(2, 3, 40))
    torch.testing.assert_close(w.grad, gain * x.detach().reshape(-1, 40).sum(0))


def test_linear_gradients_follow_the_formula(chip):
    hxp.use_chip(chip)
    layer = hxp.nn.Linear(150, 6, num_sends=2, mock=False)
    x = _inputs((4, 150), high=20).requires_grad_()
    out = layer(x)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(5))
    (out * g).sum().backward()
    scale = hxp.get_mock_parameter().gain * 2
    w = layer.weight.detach()
    torch.testing.assert_close(layer.weight.grad, scale * (x.detach().t() @ g).t())
    torch.testing.assert_close(layer.bias.grad, g.sum(0))
    torch.testing.assert_close(x.grad, scale * g @ w)


def test_converting_relu_and_relu_gradients():
    x = torch.tensor([-3.0, 0.0, 0.5, 10.0, 200.0], requires_grad=True)
    hxp.converting_relu(x, shift=2).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 0.0, 0.25, 0.25, 0.25]))
    x.grad = None
    hxp.relu(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.tensor([0.0, 0.0, 1.0, 1.0, 1.0]))


def test_add_gradient_reduces_broadcasting():
    a = torch.zeros(3, 4, requires_grad=True)
    b = torch.zeros(4, requires_grad=True)
    hxp.add(a, b).sum().backward()
    torch.testing.assert_close(a.grad, torch.ones(3, 4))
    torch.testing.assert_close(b.grad, torch.full((4,), 3.0))


# ---- mock and chip share shapes and conventions -------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, w_shape, out_shape",
    [
        ((300,), (300, 5), (5,)),
        ((4, 300), (300, 5), (4, 5)),
        ((2, 3, 300), (300, 5), (2, 3, 5)),
        ((4, 300), (300,), (4,)),
        ((300,), (300,), ()),
    ],
)
def test_mock_and_chip_give_the_same_shapes_and_number_format(chip, x_shape, w_shape, out_shape):
    x, w = _inputs(x_shape, high=12), _weights(w_shape, bound=15)
    for mock in (True, False):
        y = hxp.matmul(x, w, mock=mock, chip=chip, noise_seed=3)
        assert y.shape == out_shape
        assert y.dtype == torch.float32
        assert torch.equal(y, y.round())
        assert y.min() >= -128 and y.max() <= 127


def test_mock_with_measured_parameter_tracks_the_chip(chip):
    hxp.use_chip(chip)
    hxp.set_mock_parameter(hxp.measure_mock_parameter())
    x = _inputs((40, 256), high=32) * (
        torch.rand(40, 256, generator=torch.Generator().manual_seed(2)) < 0.3
    )
    w = _weights((256, 64), bound=63)
    on_chip = hxp.matmul(x, w, noise_seed=1)
    mocked = hxp.matmul(x, w, mock=True, noise_seed=1)
    inside = (mocked.abs() < 80) & (on_chip.abs() < 80)
    assert inside.float().mean() > 0.8
    # both are the same signal plus independent noise of a few steps
    corr = np.corrcoef(on_chip[inside].numpy(), mocked[inside].numpy())[0, 1]
    assert corr > 0.85
    assert abs(float((on_chip - mocked)[inside].mean())) < 3.0


def test_rounding_of_inputs_and_weights_is_to_nearest(chip):
    x = torch.full((2, 10), 15.4)
    w = torch.full((10, 3), 20.6)
    hxp.set_mock_parameter(hxp.MockParameter(gain=0.01, noise_std=0.0))
    y = hxp.matmul(x, w, mock=True)
    assert torch.all(y == np.floor(0.01 * 10 * 15 * 21))


def test_noise_follows_torch_manual_seed(chip):
    x, w = _inputs((3, 128), high=20), _weights((128, 8), bound=20)
    results = []
    for _ in range(2):
        torch.manual_seed(42)
        results.append((hxp.matmul(x, w, chip=chip), hxp.matmul(x, w, mock=True)))
    assert torch.equal(results[0][0], results[1][0])
    assert torch.equal(results[0][1], results[1][1])


def test_noise_switch_turns_temporal_noise_off(chip):
    x, w = _inputs((3, 128), high=20), _weights((128, 8), bound=20)
    quiet = [hxp.matmul(x, w, chip=chip, noise=False, noise_seed=s) for s in (1, 2)]
    assert torch.equal(quiet[0], quiet[1])
    assert not torch.equal(
        hxp.matmul(x, w, chip=chip, noise_seed=1), hxp.matmul(x, w, chip=chip, noise_seed=2)
    )
    mocked = [hxp.matmul(x, w, mock=True, noise=False, noise_seed=s) for s in (1, 2)]
    torch.testing.assert_close(mocked[0], torch.floor(0.002 * x @ w))
    assert torch.equal(mocked[0], mocked[1])


# ---- convolutions -------------------------------------------------------------------------------


@pytest.fixture
def exact_mock():
    """A noiseless mock with gain 1: small integer convolutions come out exact."""
    hxp.set_mock_parameter(hxp.MockParameter(gain=1.0, noise_std=0.0))


def test_conv1d_equals_torch_conv1d_with_an_exact_mock(exact_mock):
    x = _inputs((2, 3, 11), high=2)
    w = _weights((4, 3, 3), bound=1)
    b = torch.tensor([0.5, -1.0, 2.0, 0.0])
    got = hxp.conv1d(x, w, b, stride=2, mock=True)
    torch.testing.assert_close(got, torch.nn.functional.conv1d(x, w, b, stride=2))


def test_conv2d_equals_torch_conv2d_with_an_exact_mock(exact_mock):
    x = _inputs((2, 2, 7, 6), high=2)
    w = _weights((5, 2, 3, 2), bound=1)
    got = hxp.conv2d(x, w, stride=(2, 1), mock=True)
    torch.testing.assert_close(got, torch.nn.functional.conv2d(x, w, stride=(2, 1)))


def test_conv_layers_pad_and_match_torch(exact_mock):
    layer = hxp.nn.Conv2d(1, 3, 3, padding=1, mock=True, bias=False)
    with torch.no_grad():
        layer.weight.copy_(_weights((3, 1, 3, 3), bound=1))
    x = _inputs((2, 1, 5, 5), high=2)
    out = layer(x)
    torch.testing.assert_close(out, torch.nn.functional.conv2d(x, layer.weight, padding=1))
    conv1 = hxp.nn.Conv1d(2, 4, 3, stride=2, padding=1, mock=True)
    assert (
        conv1(_inputs((3, 2, 9), high=2)).shape
        == torch.nn.Conv1d(2, 4, 3, 2, 1)(torch.zeros(3, 2, 9)).shape
    )


def test_conv_on_the_chip_has_the_torch_shape(chip):
    layer = hxp.nn.Conv1d(2, 4, 3, num_sends=1, mock=False, chip=chip)
    x = _inputs((2, 2, 12), high=10)
    assert layer(x).shape == (2, 4, 10)


def test_conv_refuses_groups_and_dilation():
    x, w = _inputs((1, 2, 8)), _weights((2, 2, 3), bound=5)
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        hxp.conv1d(x, w, mock=True, groups=2)
    with pytest.raises(ValueError, match="dilation"):
        hxp.conv2d(_inputs((1, 1, 6, 6)), _weights((1, 1, 2, 2)), mock=True, dilation=2)
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        hxp.nn.Conv1d(2, 2, 3, groups=2, mock=True)(x)
    with pytest.raises(ValueError, match="dilation"):
        hxp.nn.Conv2d(1, 1, 2, dilation=2, mock=True)(_inputs((1, 1, 6, 6)))
    with pytest.raises(RuntimeError, match="kernel size 9 exceeds"):
        hxp.conv1d(x, _weights((2, 2, 9), bound=5), mock=True)


# ---- layers -------------------------------------------------------------------------------------


def test_num_sends_none_is_chosen_at_initialisation_as_the_reference():
    # std = 2**1 * sqrt(2) / 0.002 / sqrt(128) = 125; num_sends = ceil(125 / 21) = 6
    layer = hxp.nn.Linear(128, 10, mock=True)
    assert layer.num_sends == 6
    assert layer.weight.abs().max() <= 63
    assert float(layer.weight.detach().std()) == pytest.approx(125 / 6, rel=0.2)
    assert hxp.nn.Linear(128, 10, num_sends=2, mock=True).num_sends == 2
    hxp.set_mock_parameter(hxp.MockParameter(gain=0.02))
    assert hxp.nn.Linear(128, 10, mock=True).num_sends == 1


def test_layer_defaults_follow_the_reference():
    layer = hxp.nn.Linear(4, 2)
    assert layer.wait_between_events == 5 and layer.mock is False
    assert layer.input_transform is None and layer.weight_transform is hxp.nn.clamp_weight_
    assert hxp.nn.ConvertingReLU().shift == 2
    assert hxp.nn.Conv2d(1, 1, 2).weight_transform is hxp.nn.clamp_weight_


def test_weight_transform_clamps_in_place_and_input_transform_is_applied():
    layer = hxp.nn.Linear(8, 2, num_sends=1, mock=True, input_transform=hxp.nn.scale_input)
    with torch.no_grad():
        layer.weight.fill_(100.0)
    layer(torch.full((1, 8), 0.5))
    assert torch.all(layer.weight == 63)


def test_linear_runs_on_the_selected_chip_and_on_an_explicit_one(chip):
    layer = hxp.nn.Linear(64, 4, num_sends=1, mock=False)
    x = _inputs((3, 64), high=10)
    with pytest.raises(RuntimeError, match="No chip selected"):
        layer(x)
    with hxp.use_chip(chip) as selected:
        assert selected is chip and hxp.get_chip() is chip
        assert layer(x).shape == (3, 4)
    with pytest.raises(RuntimeError):
        hxp.get_chip()
    layer.chip = chip
    assert layer(x).shape == (3, 4)


def test_relu_layers_and_digital_operations_follow_the_reference_numbers():
    x = torch.tensor([[-5.7, 0.2, 3.9, 130.0]])
    assert hxp.nn.ReLU()(x).tolist() == [[0.0, 0.0, 3.0, 127.0]]
    assert hxp.nn.ConvertingReLU(shift=1)(x).tolist() == [[0.0, 0.0, 1.0, 31.0]]
    assert hxp.add(
        torch.tensor([100.0, -100.0, 1.7]), torch.tensor([100.0, -100.0, 1.7])
    ).tolist() == [127.0, -128.0, 2.0]
    assert hxp.argmax(torch.tensor([[1.0, 300.0, 200.0]]), dim=1).tolist() == [1]


def test_model_of_reference_layers_trains_in_mock_mode():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        hxp.nn.Linear(32, 16, mock=True),
        hxp.nn.ConvertingReLU(1, mock=True),
        hxp.nn.Linear(16, 2, mock=True),
    )
    x = _inputs((64, 32), high=32)
    y = (x[:, :16].sum(1) > x[:, 16:].sum(1)).long()
    before = float((hxp.argmax(model(x), dim=1) == y).float().mean())
    opt = torch.optim.Adam(model.parameters(), lr=0.5)
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x) / 8, y)
        loss.backward()
        opt.step()
    after = float((hxp.argmax(model(x), dim=1) == y).float().mean())
    assert after > 0.8 and after > before


# ---- errors of the reference's kind -------------------------------------------------------------


def test_out_of_range_values_raise_overflow_errors_naming_the_range(chip):
    w = _weights((10, 2), bound=5)
    for mock in (True, False):
        with pytest.raises(OverflowError, match="inputs between 0 and 31"):
            hxp.matmul(torch.full((1, 10), 31.6), w, mock=mock, chip=chip)
        with pytest.raises(OverflowError, match="inputs between 0 and 31"):
            hxp.matmul(torch.full((1, 10), -1.0), w, mock=mock, chip=chip)
        with pytest.raises(OverflowError, match="weights between -63 and 63"):
            hxp.matmul(torch.ones(1, 10), torch.full((10, 2), 64.0), mock=mock, chip=chip)
    with pytest.raises(ValueError):  # also a ValueError, as every input error of chipsim
        hxp.matmul(torch.full((1, 10), 40.0), w, mock=True)
    with pytest.raises(ValueError, match="NaN"):
        hxp.matmul(torch.full((1, 10), float("nan")), w, mock=True)


def test_shape_errors_are_runtime_errors():
    with pytest.raises(RuntimeError, match="at least 1-D"):
        hxp.matmul(torch.tensor(1.0), torch.ones(1, 1), mock=True)
    with pytest.raises(RuntimeError, match="weights must be 1-D or 2-D"):
        hxp.matmul(torch.ones(2, 3), torch.ones(3, 2, 2), mock=True)
    with pytest.raises(
        RuntimeError,
        match="matmul: input and other do not fit: input has 3 inputs in its last dimension",
    ):
        hxp.matmul(torch.ones(2, 3), torch.ones(4, 2), mock=True)
    with pytest.raises(RuntimeError, match="more dimensions"):
        hxp.add(torch.ones(3), torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="non-negative shift"):
        hxp.converting_relu(torch.ones(3), shift=-1)


def test_option_errors_name_the_option():
    with pytest.raises(ValueError, match="num_sends: 0"):
        hxp.matmul(torch.ones(1, 3), torch.ones(3, 1), num_sends=0, mock=True)
    with pytest.raises(TypeError, match="wait_between_events"):
        hxp.matmul(torch.ones(1, 3), torch.ones(3, 1), wait_between_events=2.5, mock=True)
    with pytest.raises(ValueError, match="num_sends"):
        hxp.nn.Linear(3, 1, num_sends=0)
    with pytest.raises(TypeError, match="MockParameter"):
        hxp.set_mock_parameter({"gain": 0.002})
    with pytest.raises(TypeError, match="chipsim.Chip"):
        hxp.use_chip(42)


def test_measure_mock_parameter_on_the_selected_chip(chip):
    hxp.use_chip(chip)
    parameter = hxp.measure_mock_parameter()
    assert isinstance(parameter, hxp.MockParameter)
    assert 0.001 < parameter.gain < 0.004
    assert 0.5 < parameter.noise_std < 5
    assert hxp.get_mock_parameter() == hxp.MockParameter()  # measuring does not set it
