"""``chipsim.torch`` against the documented behaviour of the reference ``perceptron`` API: the
bare ``mac``, the mock parameter (order, mutability, where the range is checked), functions that
stay functions when kept on a class, ``add``'s ``alpha`` and the ``constants`` module."""

import inspect
import pickle
from functools import partial
from pathlib import Path
from typing import ClassVar

import pytest

torch = pytest.importorskip("torch")

import chipsim  # noqa: E402
import chipsim.mock  # noqa: E402
import chipsim.torch as hxp  # noqa: E402

CHIPS = Path(__file__).resolve().parents[2] / "chips"


@pytest.fixture(scope="module")
def chip():
    return chipsim.load(CHIPS / "bss2.yaml", seed=0)


@pytest.fixture(autouse=True)
def clean_state():
    hxp.release_chip()
    hxp.set_mock_parameter(hxp.MockParameter())
    yield
    hxp.release_chip()
    hxp.set_mock_parameter(hxp.MockParameter())


# ---- mac ----------------------------------------------------------------------------------------

class _MacCases:
    """The reference's construction and batch cases, with ``mac`` kept as a class attribute as
    the reference tests keep it (it must not bind)."""

    mac: ClassVar

    def test_construction(self, chip):
        hxp.use_chip(chip)
        with pytest.raises(RuntimeError, match="weights must be 2-D"):
            self.mac(torch.ones(5), torch.empty(5, 3, 4))
        with pytest.raises(OverflowError, match="inputs between 0 and 31"):
            self.mac(torch.full((5,), -2.0), torch.ones(5, 3))
        with pytest.raises(OverflowError, match="weights between -63 and 63"):
            self.mac(torch.ones(5), torch.full((5, 3), 65.0))
        with pytest.raises(RuntimeError, match="1-D .* or 2-D"):
            self.mac(torch.ones(2, 2, 5), torch.ones(5, 3))
        with pytest.raises(RuntimeError, match="5 entries .* 4 rows"):
            self.mac(torch.ones(5), torch.ones(4, 3))
        assert self.mac(torch.ones(5), torch.ones(5, 3)).shape == (3,)

    def test_batch_input_and_gradient(self, chip):
        hxp.use_chip(chip)
        hxp.set_mock_parameter(hxp.MockParameter(noise_std=2.0, gain=0.003))
        weights = torch.ones(5, 3, requires_grad=True)
        data = torch.full((10, 5), 4.0, requires_grad=True)
        result = self.mac(data, weights, num_sends=2)
        assert result.shape == (10, 3)
        result.sum().backward()
        # straight through, scaled by gain * num_sends
        torch.testing.assert_close(weights.grad, torch.full((5, 3), 0.006 * 40.0))
        torch.testing.assert_close(data.grad, torch.full((10, 5), 0.006 * 3.0))


class TestMacOnTheChip(_MacCases):
    mac = hxp.mac


class TestMacMock(_MacCases):
    mac = partial(hxp.mac, mock=True)


def test_mac_equals_matmul_for_the_same_seed(chip):
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 32, (6, 200), generator=g).float()
    w = torch.randint(-63, 64, (200, 9), generator=g).float()
    for mock in (True, False):
        got = hxp.mac(x, w, 2, 5, mock, chip=chip, noise_seed=4)
        assert torch.equal(got, hxp.matmul(x, w, 2, 5, mock, chip=chip, noise_seed=4))
    hxp.set_mock_parameter(hxp.MockParameter(noise_std=0.0, gain=0.001))
    # noiseless mock: per 128-input tile floor(gain * x . w), summed and clamped
    expected = (torch.floor(0.001 * x[:, :128] @ w[:128]) + torch.floor(0.001 * x[:, 128:] @ w[128:]))
    assert torch.equal(hxp.mac(x, w, mock=True), expected.clamp(-128, 127))


def test_mac_membrane_recording_arguments():
    x, w = torch.ones(4), torch.ones(4, 2)
    assert hxp.mac(x, w, 1, 5, True, 3, "").shape == (2,)  # the reference's positional order
    with pytest.raises(RuntimeError, match="mock mode"):
        hxp.mac(x, w, mock=True, madc_recording_path="trace.csv")
    with pytest.raises(NotImplementedError, match="record_vectors"):
        hxp.matmul(x, w, madc_recording_path="trace.csv", chip=CHIPS / "tutorial.yaml")
    with pytest.raises(ValueError, match="madc_recording_neuron_id"):
        hxp.mac(x, w, mock=True, madc_recording_neuron_id=-1)


# ---- mock parameter -----------------------------------------------------------------------------

def test_mock_parameter_order_defaults_and_equality():
    default = hxp.MockParameter()
    assert (default.noise_std, default.gain) == (2.0, 0.002)
    assert hxp.MockParameter(1.6, 0.0018).noise_std == 1.6  # positional: (noise_std, gain)
    assert hxp.MockParameter(1.6, 0.0018).gain == 0.0018
    assert hxp.MockParameter(gain=default.gain, noise_std=default.noise_std) == default
    assert hxp.MockParameter(1.0, 0.002) != default
    assert inspect.signature(hxp.MockParameter).parameters.keys() == {"noise_std", "gain"}
    assert repr(hxp.MockParameter(1.5, 0.25)) == "MockParameter(noise_std=1.5, gain=0.25)"
    with pytest.raises(TypeError, match="noise_std"):
        hxp.MockParameter("loud")


def test_mock_parameter_is_mutable_and_checked_when_set():
    parameter = hxp.MockParameter(gain=2000)  # allowed, as in the reference
    with pytest.raises(OverflowError, match=r"\(0, 1\]"):
        hxp.set_mock_parameter(parameter)
    with pytest.raises(OverflowError):
        hxp.set_mock_parameter(hxp.MockParameter(gain=0.0))
    with pytest.raises(OverflowError, match="noise_std"):
        hxp.set_mock_parameter(hxp.MockParameter(noise_std=-1.0))
    assert hxp.get_mock_parameter() == hxp.MockParameter()  # failed sets change nothing
    parameter.gain = 0.0043
    hxp.set_mock_parameter(parameter)
    assert hxp.get_mock_parameter() == parameter
    parameter.gain = 0.5  # the set parameter is a copy ...
    assert hxp.get_mock_parameter().gain == 0.0043
    copy = hxp.get_mock_parameter()
    copy.noise_std = 0.0  # ... and so is the one returned
    assert hxp.get_mock_parameter().noise_std == 2.0


def test_mock_uses_the_set_parameter():
    x, w = torch.full((3, 10), 10.0), torch.full((10, 2), 20.0)
    hxp.set_mock_parameter(hxp.MockParameter(0.0, 0.01))
    assert torch.all(hxp.matmul(x, w, mock=True) == 20.0)  # floor(0.01 * 10 * 10 * 20)
    hxp.set_mock_parameter(chipsim.mock.MockParameter(gain=0.005, noise_std=0.0))  # also taken
    assert hxp.get_mock_parameter() == hxp.MockParameter(0.0, 0.005)
    assert torch.all(hxp.matmul(x, w, mock=True) == 10.0)


def test_measured_mock_parameter_is_the_reference_type(chip):
    hxp.use_chip(chip)
    parameter = hxp.measure_mock_parameter()
    assert type(parameter) is hxp.MockParameter
    assert 0.001 < parameter.gain < 0.004 and 0.5 < parameter.noise_std < 5


# ---- functions kept on a class ------------------------------------------------------------------

class _Ops:
    mac: ClassVar = hxp.mac
    matmul: ClassVar = hxp.matmul
    relu: ClassVar = hxp.relu
    converting_relu: ClassVar = hxp.converting_relu
    add: ClassVar = hxp.add
    argmax: ClassVar = hxp.argmax
    conv1d: ClassVar = hxp.conv1d
    get_mock_parameter: ClassVar = hxp.get_mock_parameter


def test_functions_kept_on_a_class_do_not_bind():
    ops = _Ops()
    x = torch.tensor([[-3.0, 5.5, 200.0]])
    assert ops.relu(x).tolist() == [[0.0, 5.0, 127.0]]
    assert ops.converting_relu(x, 1).tolist() == [[0.0, 2.0, 31.0]]
    assert ops.add(x, x).tolist() == [[-6.0, 10.0, 127.0]]
    assert ops.argmax(x, 1).tolist() == [2]
    assert ops.mac(torch.ones(4), torch.ones(4, 2), mock=True).shape == (2,)
    assert ops.matmul(torch.ones(4), torch.ones(4, 2), mock=True).shape == (2,)
    assert ops.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 2), mock=True).shape == (1, 1, 4)
    assert ops.get_mock_parameter() == hxp.MockParameter()
    assert _Ops.relu is hxp.relu and ops.relu is hxp.relu


def test_functions_keep_name_signature_and_pickle():
    assert hxp.matmul.__name__ == "matmul" and "mock model" in hxp.matmul.__doc__
    assert list(inspect.signature(hxp.mac).parameters)[:7] == [
        "x", "weights", "num_sends", "wait_between_events", "mock", "madc_recording_neuron_id",
        "madc_recording_path"]
    assert list(inspect.signature(hxp.add).parameters) == ["input", "other", "alpha", "mock"]
    assert pickle.loads(pickle.dumps(hxp.mac)) is hxp.mac


def test_add_alpha_is_one_only():
    a = torch.tensor([1.0, 2.0])
    assert hxp.add(a, a, 1, True).tolist() == [2.0, 4.0]  # mock is the fourth argument
    with pytest.raises(RuntimeError, match="alpha=2"):
        hxp.add(a, a, alpha=2)


def test_constants_are_the_reference_values():
    c = hxp.constants
    assert (c.synaptic_weight_min, c.synaptic_weight_max) == (-63, 63)
    assert (c.input_activation_min, c.input_activation_max) == (0, 31)
    assert (c.output_activation_min, c.output_activation_max) == (-128, 127)
    assert (c.hardware_matrix_height, c.hardware_matrix_width) == (128, 256)
    assert (c.defaults.wait_between_events, c.defaults.gain, c.defaults.noise_std) == (5, 0.002, 2.0)
    assert hxp.MockParameter() == hxp.MockParameter(c.defaults.noise_std, c.defaults.gain)
