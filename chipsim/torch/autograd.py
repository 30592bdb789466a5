"""The autograd functions behind :mod:`chipsim.torch.functional`: the multiply-accumulate on the
chip or the mock with its straight-through backward pass, and the digital operations of the on-chip
processor with the reference's gradients."""

from __future__ import annotations

from dataclasses import replace as _replace

import numpy as np
import torch

from ..models import mock as _mock
from ._state import mock_model

#: Allowed input activations, signed weights and results (model.md section 1, Number ranges).
INPUT_ACTIVATION_MIN, INPUT_ACTIVATION_MAX = _mock.INPUT_RANGE
SYNAPTIC_WEIGHT_MIN, SYNAPTIC_WEIGHT_MAX = _mock.WEIGHT_RANGE
OUTPUT_MIN, OUTPUT_MAX = _mock.OUTPUT_RANGE


#: Where each operand's out-of-range values are usually fixed.
_RANGE_HINTS = {
    "inputs": "scale or clamp them first (e.g. input_transform=scale_input of the layers, or "
    "converting_relu between layers)",
    "weights": "scale or clamp them first (e.g. weight_transform=clamp_weight_ or scale_weight "
    "of the layers)",
}


def check_operand(tensor, name: str, op: str) -> None:
    """Refuse what no transform of an operand ``name`` of ``op`` can mean: a non-tensor, complex
    or boolean tensors (``TypeError``) and empty tensors (``ValueError``)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{op}: {name}: expected a tensor, got {type(tensor).__name__}")
    if tensor.is_complex():
        raise TypeError(
            f"{op}: {name}: complex tensors are not supported (dtype {tensor.dtype}); "
            f"the chip multiplies real numbers: pass {name}.real if the imaginary "
            f"part is meant to be dropped"
        )
    if tensor.dtype == torch.bool:
        raise TypeError(
            f"{op}: {name}: expected numbers, got a boolean tensor; convert it first, "
            f"e.g. {name}.float() if True means 1"
        )
    if tensor.numel() == 0:
        raise ValueError(
            f"{op}: {name} is empty (shape {tuple(tensor.shape)}); give at least one value"
        )


def to_hardware(tensor: torch.Tensor, what: str, low: int, high: int, op: str) -> np.ndarray:
    """Round to nearest and check the range ``low..high`` (the chip's ``formats`` or the mock's);
    the message names the range, the extremes and the transform that fixes them."""
    array = tensor.detach().to("cpu", torch.float64).numpy()
    if not np.isfinite(array).all():
        raise ValueError(f"{op}: {what} contain NaN or infinite values")
    rounded = np.rint(array)
    lo, hi = float(rounded.min()), float(rounded.max())
    if lo < low or hi > high:
        raise _mock.MockRangeError(
            f"{op}: the chip only supports {what} between {low} and {high} (after rounding to "
            f"nearest), got {lo:g} (min), {hi:g} (max); {_RANGE_HINTS[what]}"
        )
    return rounded.astype(np.int64)


def operand_ranges(chip) -> tuple[tuple[int, int], tuple[int, int]]:
    """(input range, weight range): the chip description's ``formats``, or the mock's ranges
    for ``chip=None``."""
    if chip is None:
        return _mock.INPUT_RANGE, _mock.WEIGHT_RANGE
    f = chip.description.formats
    return (f.input.min, f.input.max), (f.weight.min, f.weight.max)


class MAC(torch.autograd.Function):
    """``x (N, K) @ w (K, M)`` on the chip or the mock; straight-through backward."""

    @staticmethod
    def forward(ctx, x, w, num_sends, wait, mock, chip, noise_seed, noise, madc=None):
        x_range, w_range = operand_ranges(None if mock else chip)
        xs = to_hardware(x, "inputs", *x_range, "matmul")
        ws = to_hardware(w, "weights", *w_range, "matmul")
        if mock:
            parameter = mock_model()
            if not noise:
                parameter = _replace(parameter, noise_std=0.0)
            out = _mock.matmul(
                xs,
                ws,
                num_sends=num_sends,
                wait_between_events=wait,
                parameter=parameter,
                noise_seed=noise_seed,
            )
        else:
            neuron, path = madc if madc is not None else (0, "")
            out = chip.run(
                xs,
                ws,
                num_sends=num_sends,
                wait_between_events=wait,
                noise_seed=noise_seed,
                noise=noise,
                madc_recording_neuron_id=neuron,
                madc_recording_path=path,
            ).outputs
        ctx.save_for_backward(x, w)
        ctx.num_sends = num_sends
        dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        return torch.as_tensor(np.asarray(out), device=x.device).to(dtype)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        grad = grad_output * (mock_model().gain * ctx.num_sends)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_x = grad.matmul(w.t().to(grad.dtype))
        if ctx.needs_input_grad[1]:
            grad_w = x.t().to(grad.dtype).matmul(grad)
        return grad_x, grad_w, None, None, None, None, None, None, None


def int8(t: torch.Tensor) -> torch.Tensor:
    """Floor and clamp to the int8 range, as the on-chip processor reads a value."""
    return t.floor().clamp(OUTPUT_MIN, OUTPUT_MAX)


class ReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.detach().floor().clamp(0, OUTPUT_MAX)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0).to(grad.dtype)


class ConvertingReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, shift):
        ctx.save_for_backward(x)
        ctx.shift = shift
        relu = x.detach().floor().clamp(0, OUTPUT_MAX)
        return torch.floor(relu / 2**shift).clamp(0, INPUT_ACTIVATION_MAX)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0).to(grad.dtype) / 2**ctx.shift, None


class Add(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.shapes = (x.shape, y.shape)
        return (int8(x.detach()) + int8(y.detach())).clamp(OUTPUT_MIN, OUTPUT_MAX)

    @staticmethod
    def backward(ctx, grad):
        x_shape, y_shape = ctx.shapes
        return sum_to(grad, x_shape), sum_to(grad, y_shape)


def sum_to(grad: torch.Tensor, shape) -> torch.Tensor:
    """Reduce a broadcast gradient back to ``shape``."""
    while grad.dim() > len(shape):
        grad = grad.sum(0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis, keepdim=True)
    return grad
