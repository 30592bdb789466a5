"""``chipsim.torch`` against the documented behaviour of the reference ``perceptron`` API: the
bare ``mac``, the mock parameter (order, mutability, where the range is checked), functions that
stay functions when kept on a class, ``add``'s ``alpha`` and the ``constants`` module."""

import inspect
import math
import pickle
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chipsim  # noqa: E402
import chipsim.models.mock  # noqa: E402
import chipsim.torch as hxp  # noqa: E402

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


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
        with pytest.raises(RuntimeError, match="5 inputs in its last dimension .* 4 rows"):
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
    expected = torch.floor(0.001 * x[:, :128] @ w[:128]) + torch.floor(0.001 * x[:, 128:] @ w[128:])
    assert torch.equal(hxp.mac(x, w, mock=True), expected.clamp(-128, 127))


def test_mac_membrane_recording_arguments(tmp_path):
    tutorial = chipsim.load(CHIPS / "tutorial.yaml", seed=0)
    g = torch.Generator().manual_seed(2)
    x = torch.randint(0, 32, (3, 8), generator=g).float()
    w = torch.randint(-63, 64, (8, 6), generator=g).float()
    assert hxp.mac(x[0], w, 1, 5, True, 3, "").shape == (6,)  # the reference's positional order
    plain = hxp.mac(x, w, chip=tutorial, noise_seed=4)
    record = tmp_path / "madc.csv"
    recorded = hxp.mac(x, w, 1, 5, False, 2, str(record), chip=tutorial, noise_seed=4)
    assert torch.equal(recorded, plain)  # recording changes nothing
    lines = record.read_text().splitlines()
    assert lines[0] == "ExecutionIndex\tbatch\ttime\tvalue"
    rows = [line.split("\t") for line in lines[1:]]
    assert {int(row[1]) for row in rows} == {0, 1, 2}  # every vector of the batch
    expected = tutorial.run(
        x.numpy(), w.numpy(), noise_seed=4, record_vectors=[0], record_columns=[2]
    )
    trace = expected.traces[0]
    first = [(float(t), float(v)) for t, v in zip(trace.time, trace.v_mem[0]) if np.isfinite(v)]
    assert [(float(r[2]), float(r[3])) for r in rows if r[1] == "0"] == first
    hxp.matmul(x[0], w, madc_recording_neuron_id=2, madc_recording_path=record, chip=tutorial)
    assert len(record.read_text().splitlines()) > len(lines)  # appended, as the reference
    with pytest.raises(RuntimeError, match="mock mode"):
        hxp.mac(x, w, mock=True, madc_recording_path=str(record))
    with pytest.raises(ValueError, match="madc_recording_neuron_id=6 is not an output column"):
        hxp.mac(x, w, madc_recording_neuron_id=6, madc_recording_path=str(record), chip=tutorial)
    quiet = tmp_path / "quiet.csv"  # recording also works with the temporal noise off
    assert torch.equal(
        hxp.mac(x, w, noise=False, madc_recording_path=str(quiet), chip=tutorial),
        hxp.mac(x, w, noise=False, chip=tutorial),
    )
    assert len(quiet.read_text().splitlines()) == len(lines)
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
    hxp.set_mock_parameter(
        chipsim.models.mock.MockParameter(gain=0.005, noise_std=0.0)
    )  # also taken
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
    # the docstring starts with the call, as those of the reference's compiled functions
    assert hxp.add.__doc__.startswith("add(input, other, alpha=1, mock=False)\n\nSaturating int8")
    assert list(inspect.signature(hxp.mac).parameters)[:7] == [
        "x",
        "weights",
        "num_sends",
        "wait_between_events",
        "mock",
        "madc_recording_neuron_id",
        "madc_recording_path",
    ]
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
    assert (c.defaults.wait_between_events, c.defaults.gain, c.defaults.noise_std) == (
        5,
        0.002,
        2.0,
    )
    assert hxp.MockParameter() == hxp.MockParameter(c.defaults.noise_std, c.defaults.gain)


# ---- layers call their operation through an attribute ------------------------------------------


def test_linear_calls_its_matmul_attribute():
    from unittest.mock import Mock

    layer = hxp.nn.Linear(
        19,
        2,
        num_sends=3,
        wait_between_events=10,
        mock=True,
        input_transform=lambda x: x,
        weight_transform=lambda w: torch.ones_like(w),
    )
    assert layer._matmul is hxp.matmul
    layer._matmul = Mock(side_effect=lambda x, w, **kwargs: torch.matmul(x, w))
    x = torch.arange(0.0, 19.0).unsqueeze(0)
    out = layer(x)
    args, kwargs = layer._matmul.call_args
    assert args[0].tolist() == x.tolist() and args[1].tolist() == torch.ones(19, 2).tolist()
    assert kwargs == {"num_sends": 3, "wait_between_events": 10, "mock": True}
    # the bias is added by the on-chip processor's add: floored, saturating
    expected = torch.clamp(
        torch.floor(torch.full((1, 2), 171.0).clamp(-128, 127)) + torch.floor(layer.bias.detach()),
        -128,
        127,
    )
    torch.testing.assert_close(out.detach(), expected)
    assert repr(layer).startswith(
        "Linear(in_features=19, out_features=2, num_sends=3, wait_between_events=10, mock=True"
    )


def test_a_logging_wrapper_sees_every_call_and_changes_nothing():
    calls = []

    def logged(*args, **kwargs):
        calls.append(kwargs["num_sends"])
        return hxp.matmul(*args, **kwargs)

    torch.manual_seed(0)
    layer = hxp.nn.Linear(30, 4, num_sends=2, mock=True)
    x = torch.randint(0, 32, (5, 30)).float()
    torch.manual_seed(1)
    plain = layer(x)
    layer._matmul = logged
    torch.manual_seed(1)
    assert torch.equal(layer(x), plain) and calls == [2]


@pytest.mark.parametrize("dims", [1, 2])
def test_convolutions_call_their_conv_attribute(dims):
    from unittest.mock import Mock

    if dims == 1:
        layer = hxp.nn.Conv1d(
            in_channels=1, out_channels=2, kernel_size=3, stride=2, padding=1, wait_between_events=4
        )
        torch_layer = torch.nn.Conv1d(1, 2, 3, stride=2, padding=1)
        x = torch.arange(-8.0, 11.0).view(1, 1, -1)
        side_effect = lambda x, w, b, stride, **kwargs: torch.conv1d(x, w, b, stride)  # noqa: E731
        assert layer._conv is hxp.conv1d
        assert "num_sends=39, wait_between_events=4" in repr(layer)  # He init: ceil(816.5 / 21)
    else:
        layer = hxp.nn.Conv2d(
            in_channels=1,
            out_channels=2,
            kernel_size=(3, 3),
            stride=(2, 2),
            padding=2,
            num_sends=6,
            wait_between_events=75,
        )
        torch_layer = torch.nn.Conv2d(1, 2, (3, 3), stride=(2, 2), padding=2)
        x = torch.arange(-8.0, 11.0, 0.25).view(1, 1, 4, -1)
        side_effect = lambda x, w, b, stride, **kwargs: torch.conv2d(x, w, b, stride)  # noqa: E731
        assert layer._conv is hxp.conv2d
        assert "num_sends=6, wait_between_events=75" in repr(layer)
    layer._conv = Mock(side_effect=side_effect)
    assert layer(x).shape == torch_layer(x).shape
    args, kwargs = layer._conv.call_args
    assert args[3] == layer.stride
    assert kwargs == {
        "num_sends": layer.num_sends,
        "wait_between_events": layer.wait_between_events,
        "mock": False,
    }


# ---- expanded convolution -----------------------------------------------------------------------


def _rand_full(size, mean, seed):
    """Uniform within +-20 % of ``mean`` (the reference tests' inputs), requiring a gradient."""
    g = torch.Generator().manual_seed(seed)
    return (mean * (0.8 + 0.4 * torch.rand(size, generator=g))).requires_grad_()


def test_expanded_conv1d_layer_fills_one_array():
    layer = hxp.nn.ExpandedConv1d(in_channels=1, out_channels=14, kernel_size=43, stride=2)
    assert layer.num_expansions == 18  # min(256 // 14, (128 - 43) // 2 + 1)
    assert layer._conv is hxp.expanded_conv1d
    assert "num_expansions=18" in repr(layer) and repr(layer).startswith("ExpandedConv1d(")
    assert hxp.nn.ExpandedConv1d(2, 100, 5, num_expansions=3).num_expansions == 3
    assert hxp.nn.ExpandedConv1d(1, 300, 5).num_expansions == 1
    with pytest.raises(ValueError, match="num_expansions"):
        hxp.nn.ExpandedConv1d(1, 2, 3, num_expansions=0)
    with pytest.raises(ValueError, match="num_expansions"):
        hxp.expanded_conv1d(torch.ones(1, 1, 8), torch.ones(1, 1, 3), num_expansions=0, mock=True)


@pytest.mark.parametrize("num_expansions", [1, 2, 5, 18])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_expanded_conv1d_equals_torch_conv1d_with_an_exact_mock(num_expansions, stride):
    hxp.set_mock_parameter(hxp.MockParameter(0.0, 1.0))
    g = torch.Generator().manual_seed(num_expansions * 10 + stride)
    x = torch.randint(0, 3, (2, 3, 41), generator=g).float()
    w = torch.randint(-2, 3, (4, 3, 5), generator=g).float()
    b = torch.tensor([0.5, -1.0, 2.0, 0.0])
    got = hxp.expanded_conv1d(x, w, b, stride, num_expansions, mock=True)
    torch.testing.assert_close(got, torch.nn.functional.conv1d(x, w, b, stride))
    assert got.is_contiguous()


@pytest.mark.parametrize("length", [128, 138])  # the reference's full and overfull array
def test_expanded_conv1d_matches_conv1d_and_its_gradients(length):
    """The reference's comparison: noiseless mock, gain 0.0015, four sends; expanded and plain
    differ by at most one rounding step per synapse array used; gradients are torch's times
    ``gain * num_sends``."""
    hxp.set_mock_parameter(hxp.MockParameter(noise_std=0.0, gain=0.0015))
    x, w = _rand_full((2, 1, length), 10.0, 0), _rand_full((14, 1, 43), 15.0, 1)
    b = torch.full((14,), 1.0, requires_grad=True)
    expanded = hxp.expanded_conv1d(x, w, b, 5, num_expansions=18, num_sends=4, mock=True)
    plain = hxp.conv1d(x.detach(), w.detach(), b.detach(), 5, num_sends=4, mock=True)
    arrays = max(math.ceil((1 * 5 * 18 + 43) / 128), math.ceil(14 / 256))
    torch.testing.assert_close(expanded.detach(), plain, atol=arrays, rtol=0)
    assert expanded.abs().max() > 20  # the comparison is not between zeros
    expanded.backward(torch.ones_like(expanded))
    xt, wt = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
    bt = b.detach().clone().requires_grad_()
    torch.nn.functional.conv1d(xt, wt, bt, 5).backward(torch.ones_like(plain))
    torch.testing.assert_close(w.grad, wt.grad * 0.0015 * 4, rtol=1e-3, atol=0)
    torch.testing.assert_close(x.grad, xt.grad * 0.0015 * 4, rtol=1e-3, atol=1e-6)
    torch.testing.assert_close(b.grad, bt.grad)


def test_expanded_conv1d_layer_on_the_chip(chip):
    layer = hxp.nn.ExpandedConv1d(2, 3, 4, stride=2, padding=1, bias=False, num_sends=2, chip=chip)
    x = torch.randint(0, 32, (2, 2, 20)).float()
    out = layer(x)
    assert out.shape == torch.nn.Conv1d(2, 3, 4, 2, 1)(x).shape == (2, 3, 10)
    assert layer.num_expansions == 63  # min(256 // 3, (128 - 4) // 2 + 1)
    assert torch.equal(out, out.round())


# ---- hardware initialisation --------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch):
    for name in ("CHIPSIM_CHIP", "CHIPSIM_CALIBRATION", "CHIPSIM_SEED"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_init_hardware_defaults_and_release(no_env):
    chip = hxp.init_hardware()
    assert hxp.get_chip() is chip
    assert (chip.name, chip.calibration, chip.seed) == ("bss2", "default", 0)
    assert hxp.get_unique_identifier() == ["bss2 seed 0 calibration default"]
    assert hxp.matmul(torch.ones(4), torch.ones(4, 2)).shape == (2,)  # runs on it
    hxp.release_hardware()
    with pytest.raises(RuntimeError, match="No chip selected"):
        hxp.matmul(torch.ones(4), torch.ones(4, 2))


def test_init_hardware_takes_the_chip_from_the_environment_or_the_arguments(no_env):
    no_env.setenv("CHIPSIM_CHIP", str(CHIPS / "tutorial.yaml"))
    no_env.setenv("CHIPSIM_CALIBRATION", "custom")
    no_env.setenv("CHIPSIM_SEED", "3")
    chip = hxp.init_hardware()
    assert (chip.name, chip.calibration, chip.seed) == ("tutorial", "custom", 3)
    chip = hxp.init_hardware(hxp.CalibrationPath("default"), chip=CHIPS / "bss2.yaml", seed=1)
    assert (chip.name, chip.calibration, chip.seed) == ("bss2", "default", 1)
    assert hxp.init_hardware("default", True).calibration == "default"  # (calib_path, ann)
    assert hxp.init_hardware(hxp.HWDBPath()).calibration == "custom"  # hwdb ignored
    own = chipsim.load(CHIPS / "tutorial.yaml", seed=7)
    assert hxp.init_hardware(chip=own).seed == 7  # a Chip keeps its seed
    minimal = hxp.init_hardware_minimal()
    assert (minimal.name, minimal.calibration, minimal.seed) == ("tutorial", "default", 3)


def test_init_hardware_errors_name_the_argument(no_env):
    with pytest.raises(
        ValueError,
        match=r"calib_path: 'nightly' is neither a calibration profile .* default, custom\) nor "
        "a calibration file",
    ):
        hxp.init_hardware(hxp.CalibrationPath("nightly"))
    with pytest.raises(TypeError, match="calib_path"):
        hxp.init_hardware(3.5)
    no_env.setenv("CHIPSIM_SEED", "zero")
    with pytest.raises(ValueError, match="CHIPSIM_SEED='zero'"):
        hxp.init_hardware()
    with pytest.raises(RuntimeError):
        hxp.get_chip()  # nothing selected after a failed init


def test_init_hardware_takes_a_saved_calibration_as_calib_path(no_env, tmp_path):
    result = chipsim.calibrate("bss2", seed=2, cache=False)
    path = result.save(tmp_path / "calib.npz")
    chip = hxp.init_hardware(str(path))  # the reference's init_hardware(calib_path)
    assert hxp.get_chip() is chip and chip.calibration_result == result
    assert (chip.name, chip.calibration, chip.seed) == ("bss2", "calibrated", 2)  # its seed
    assert hxp.get_unique_identifier() == ["bss2 seed 2 calibration calibrated"]
    expected = chipsim.load("bss2", calibration=result, seed=2)
    x, w = torch.full((3, 128), 20.0), torch.full((128, 4), 30.0)
    np.testing.assert_array_equal(
        hxp.matmul(x, w, noise_seed=1).numpy(),
        expected.matmul(x.numpy().astype(int), w.numpy().astype(int), noise_seed=1),
    )
    assert hxp.init_hardware(hxp.CalibrationPath(path), seed=2).calibration_result == result
    assert hxp.init_hardware(result).seed == 2  # a result in memory
    no_env.setenv("CHIPSIM_CALIBRATION", str(path))
    assert hxp.init_hardware().calibration_result == result
    with pytest.raises(ValueError, match="calib_path: the calibration belongs to chip seed 2"):
        hxp.init_hardware(path, seed=0)
    with pytest.raises(ValueError, match="calib_path: the calibration was made for another chip"):
        hxp.init_hardware(path, chip=CHIPS / "tutorial.yaml")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="calib_path: .*broken.npz: damaged"):
        hxp.init_hardware(broken)


def test_the_reference_import_forms():
    import importlib

    nn = importlib.import_module("chipsim.torch.perceptron.nn")
    assert nn is hxp.nn and hxp.perceptron is hxp and hxp.ann is hxp
    from chipsim.torch.perceptron.constants import defaults

    assert defaults.wait_between_events == 5
    assert hxp.perceptron.nn.ExpandedConv1d is hxp.nn.ExpandedConv1d


# ---- trace and replay ---------------------------------------------------------------------------


def _traced(path, func):
    tracer = hxp.InferenceTracer(path)
    tracer.start()
    try:
        func()
    finally:
        names = tracer.stop() if tracer._recording is not None else None
    return names


def _sequence(shift_in_between=False):
    """The reference's traced sequence (smaller batch): mac, relu, converting_relu, mac, relu."""
    r1 = hxp.mac(torch.zeros(3, 256), torch.zeros(256, 512))
    r3 = hxp.converting_relu(hxp.relu(r1))
    if shift_in_between:
        r3 = r3 + 2.0  # not traceable
    hxp.relu(hxp.mac(r3, torch.zeros(512, 123)))


def test_tracer_records_the_chain_of_chip_operations(chip, tmp_path):
    hxp.use_chip(chip)
    assert _traced(tmp_path / "empty", lambda: None) == []
    assert _traced(tmp_path / "seq", _sequence) == ["mac", "relu", "converting_relu", "mac", "relu"]
    ops = hxp.load_trace(tmp_path / "seq")
    assert [op["name"] for op in ops] == ["mac", "relu", "converting_relu", "mac", "relu"]
    assert ops[0]["weights"].shape == (256, 512) and ops[2]["shift"] == 2
    # mock-mode operations are not recorded (they do not run on the chip)
    assert (
        _traced(
            tmp_path / "mock",
            lambda: hxp.relu(hxp.mac(torch.ones(4), torch.ones(4, 2), mock=True), mock=True),
        )
        == []
    )


def test_tracer_refuses_untraced_computations_in_the_chain(chip, tmp_path):
    hxp.use_chip(chip)
    with pytest.raises(RuntimeError, match="not the output of the traced operation before it"):
        _traced(tmp_path / "wrong", lambda: _sequence(shift_in_between=True))
    with pytest.raises(RuntimeError, match="not started"):
        hxp.InferenceTracer(tmp_path / "x").stop()


def test_nested_tracers(chip, tmp_path):
    hxp.use_chip(chip)
    outer, inner = hxp.InferenceTracer(tmp_path / "outer"), hxp.InferenceTracer(tmp_path / "inner")
    outer.start()
    r1 = hxp.mac(torch.zeros(3, 256), torch.zeros(256, 512))
    inner.start()
    r3 = hxp.converting_relu(hxp.relu(r1))
    assert inner.stop() == ["relu", "converting_relu"]
    hxp.relu(hxp.mac(r3, torch.zeros(512, 123)))
    assert outer.stop() == ["mac", "relu", "converting_relu", "mac", "relu"]


def test_single_relu_replay(chip, tmp_path):
    hxp.use_chip(chip)
    inputs = torch.arange(-128.0, 127.0)
    tracer = hxp.InferenceTracer(tmp_path / "relu")
    tracer.start()
    result = hxp.relu(inputs)
    assert tracer.stop() == ["relu"]
    assert torch.equal(hxp.inference_trace(inputs, tmp_path / "relu"), result)


def test_replay_of_a_model_equals_the_eager_forward(chip, tmp_path):
    hxp.use_chip(chip)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        hxp.nn.Linear(64, 32, num_sends=2),
        hxp.nn.ConvertingReLU(shift=1),
        hxp.nn.Linear(32, 10, num_sends=3),
    )
    x = torch.randint(0, 32, (12, 64)).float()
    tracer = hxp.InferenceTracer(tmp_path / "model")
    tracer.start()
    with torch.no_grad():
        model(x)
    assert tracer.stop() == ["mac", "add", "converting_relu", "mac", "add"]
    ops = hxp.load_trace(tmp_path / "model")
    assert torch.equal(ops[0]["weights"].float(), model[0].weight.detach().round().t())
    assert torch.equal(ops[1]["other"], model[0].bias.detach().floor())
    with torch.no_grad():
        torch.manual_seed(5)
        eager = model(x)
        torch.manual_seed(5)
        assert torch.equal(hxp.inference_trace(x, tmp_path / "model"), eager)
        torch.manual_seed(6)
        eager_batches = torch.cat([model(part) for part in x.split(5)])
        torch.manual_seed(6)
        replayed = hxp.inference_trace(x, tmp_path / "model", batch_size=5)
    assert torch.equal(replayed, eager_batches)
    assert not torch.equal(eager_batches, eager)  # the noise is live: equality is not trivial


def test_inference_trace_errors(chip, tmp_path):
    hxp.use_chip(chip)
    _traced(tmp_path / "empty", lambda: None)
    with pytest.raises(RuntimeError, match="empty"):
        hxp.inference_trace(torch.ones(3), tmp_path / "empty")
    _traced(tmp_path / "relu", lambda: hxp.relu(torch.ones(3)))
    with pytest.raises(RuntimeError, match="1-D or 2-D"):
        hxp.inference_trace(torch.ones(2, 2, 3), tmp_path / "relu")
    torch.save({"something": 1}, tmp_path / "other")
    with pytest.raises(ValueError, match="not a trace"):
        hxp.inference_trace(torch.ones(3), tmp_path / "other")
    hxp.release_chip()
    with pytest.raises(RuntimeError, match="No chip selected"):
        hxp.inference_trace(torch.ones(3), tmp_path / "relu")


# ---- the reference's logger ---------------------------------------------------------------------


def test_logger_of_the_reference_scripts(tmp_path):
    log_file = tmp_path / "run.log"
    logger = hxp.logger
    try:
        logger.default_config(level=logger.LogLevel.INFO, fname=str(log_file))
        logger.set_loglevel(logger.get("grenade"), logger.LogLevel.WARN)
        log = logger.get("hxtorch.examples.minimal")
        log.info("Input (mean): ", 10.0)
        log.INFO("accuracy 96.5 %")
        log.DEBUG("below the level")
        logger.get("grenade").INFO("quietened")
        logger.get("grenade").WARN("still shown")
    finally:
        logger.reset()
    lines = log_file.read_text().splitlines()
    assert [line.split(maxsplit=3)[2:] for line in lines] == [
        ["INFO", "hxtorch.examples.minimal Input (mean): 10.0"],
        ["INFO", "hxtorch.examples.minimal accuracy 96.5 %"],
        ["WARNING", "grenade still shown"],
    ]
    assert logger.LogLevel.TRACE < logger.LogLevel.DEBUG < logger.LogLevel.FATAL
    with pytest.raises(TypeError, match="logger.get"):
        logger.get(3)
    assert hxp.nn.ConvNd is hxp.nn.Conv1d.__mro__[1]


# ---- the compatibility table of docs/torch.md ---------------------------------------------------


def test_compatibility_table_names_exist_and_the_counts_add_up():
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "torch.md").read_text()
    table = text[text.index("## Compatibility with the reference API") :]
    counts = {"same": 0, "different": 0, "missing": 0}
    names = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[1] not in counts:
            continue
        row = []
        for name in re.findall(r"`([^`]+)`", cells[0]):
            name = name.split("(")[0]
            if "." not in name and row:  # `a.b.first`, `second` -> a.b.second
                name = row[0].rsplit(".", 1)[0] + "." + name
            if name not in row:
                row.append(name)
        counts[cells[1]] += len(row)
        names += row
    for name in names:
        parts = name.split(".")
        obj = hxp
        for part in parts[1:] if parts[0] in ("hxtorch", "perceptron") else parts:
            obj = getattr(obj, part)  # AttributeError if chipsim.torch lacks the name
    stated = re.search(r"\*\*(\d+) same, (\d+) different, (\d+)\s+missing\*\*", table)
    assert stated is not None
    assert tuple(map(int, stated.groups())) == (
        counts["same"],
        counts["different"],
        counts["missing"],
    )
    assert f"{len(names)} names)" in " ".join(table.split())
    assert len(names) == len(set(names)) == 47
