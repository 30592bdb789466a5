"""Uniform symmetric quantization with static, per-batch and moving-average scaling."""

import math

import pytest

torch = pytest.importorskip("torch")

from chipsim.torch.quantization import Quantizer, code_range, quantize, quantize_weight  # noqa: E402


def test_code_ranges():
    assert code_range(5, signed=False) == (0, 31)
    assert code_range(7, signed=True) == (-63, 63)
    assert code_range(8, signed=True) == (-127, 127)
    with pytest.raises(ValueError, match="bits"):
        code_range(0, signed=False)
    with pytest.raises(ValueError, match="at least 2 bits"):
        code_range(1, signed=True)


def test_quantize_rounds_clips_and_passes_gradients_straight_through():
    x = torch.tensor([-1.0, 0.26, 0.74, 2.0], requires_grad=True)
    q = quantize(x, 10.0, 0, 15)
    assert q.tolist() == [0.0, 3.0, 7.0, 15.0]
    q.sum().backward()
    assert x.grad.tolist() == [0.0, 10.0, 10.0, 0.0]  # zero where the clip is active


def test_static_scale_is_fixed_by_calibration():
    q = Quantizer(5, scaling="static")
    q.calibrate(torch.tensor([0.0, 2.0, 1.0]))
    assert q.scale == pytest.approx(31 / 2)
    out = q(torch.tensor([1.0, 3.0]))  # 3.0 is beyond the calibrated range: clipped
    assert out.tolist() == [16.0, 31.0]
    q(torch.tensor([100.0]))
    assert q.scale == pytest.approx(31 / 2)  # never changes afterwards
    assert q.dequantize(torch.tensor([31.0])).item() == pytest.approx(2.0)


def test_static_without_calibration_calibrates_on_the_first_training_batch_only():
    q = Quantizer(5, scaling="static")
    q.eval()
    with pytest.raises(RuntimeError, match="not calibrated"):
        q(torch.ones(3))
    q.train()
    q(torch.tensor([4.0, 1.0]))
    q(torch.tensor([8.0]))
    assert q.scale == pytest.approx(31 / 4)
    assert Quantizer(5, scale=2.0).scale == pytest.approx(2.0)


def test_batch_scale_follows_each_batch():
    q = Quantizer(5, scaling="batch")
    assert q(torch.tensor([0.0, 1.0])).tolist() == [0.0, 31.0]
    assert q(torch.tensor([0.0, 10.0])).tolist() == [0.0, 31.0]
    q.eval()
    assert q(torch.tensor([2.0, 4.0])).tolist() == [16.0, 31.0]


def test_ema_scale_is_a_moving_average_in_training_and_frozen_in_eval():
    q = Quantizer(5, scaling="ema", momentum=0.5)
    q.eval()
    with pytest.raises(RuntimeError, match="no batch seen"):
        q(torch.ones(2))
    q.train()
    q(torch.tensor([2.0]))
    q(torch.tensor([4.0]))
    assert q.dequantize(torch.tensor(31.0)).item() == pytest.approx(3.0)  # 0.5 * 2 + 0.5 * 4
    q.eval()
    q(torch.tensor([100.0]))
    assert q.scale == pytest.approx(31 / 3)


def test_signed_quantizer_and_percentile():
    q = Quantizer(7, signed=True, scaling="batch")
    assert q(torch.tensor([-2.0, 1.0, 2.0])).tolist() == [-63.0, 32.0, 63.0]
    p = Quantizer(5, scaling="batch", percentile=50)
    out = p(torch.tensor([1.0, 1.0, 1.0, 100.0]))
    assert out.tolist() == [31.0, 31.0, 31.0, 31.0]  # the outlier is clipped


def test_quantize_weight_is_static_symmetric_per_tensor():
    w = torch.tensor([[-0.5, 0.25], [1.0, 0.0]], requires_grad=True)
    codes, scale = quantize_weight(w)
    assert scale == pytest.approx(63.0)
    assert codes.tolist() == [[-32.0, 16.0], [63.0, 0.0]]
    codes.sum().backward()
    assert torch.all(w.grad == 63.0)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="scaling"):
        Quantizer(scaling="median")
    with pytest.raises(ValueError, match="momentum"):
        Quantizer(momentum=0)
    with pytest.raises(ValueError, match="percentile"):
        Quantizer(percentile=0)
    with pytest.raises(ValueError, match="scale"):
        Quantizer(scale=-1.0)
    assert math.isnan(Quantizer().scale)
