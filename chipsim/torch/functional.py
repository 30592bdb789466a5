"""Operations of the reference ``perceptron`` API on tensors: multiply-accumulate on the simulated
chip (or the mock model), convolutions unrolled to matrix multiplications, and the digital
operations of the on-chip processor (ReLU, converting ReLU, add, argmax).

Number conventions are the reference software's: inputs 0..31 and weights -63..63 as float
tensors (rounded to nearest, out of range is an ``OverflowError``), results in -128..127 as float
tensors. The backward pass of the multiply-accumulate is straight-through: the gradient of
``x @ w`` scaled by ``gain * num_sends``, with ``gain`` from :func:`get_mock_parameter`.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from hwdesc import rules
from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

from . import tracer as _tracer
from ._operation import operation
from ._state import resolve_chip
from .autograd import (
    INPUT_ACTIVATION_MAX,
    INPUT_ACTIVATION_MIN,
    MAC,
    OUTPUT_MAX,
    OUTPUT_MIN,
    SYNAPTIC_WEIGHT_MAX,
    SYNAPTIC_WEIGHT_MIN,
    Add,
    ConvertingReLU,
    ReLU,
    check_operand,
    int8,
)


class ShapeError(RuntimeError, ValueError):
    """Arguments whose shapes do not fit. The reference software raises ``RuntimeError`` here;
    this class is also a ``ValueError``, as every input error of chipsim."""


def _check_options(num_sends, wait_between_events) -> tuple[int, int]:
    return rules.num_sends(num_sends), rules.wait_between_events(wait_between_events)


def _noise_seed(noise_seed) -> int:
    """A seed for the temporal noise: given, or drawn from torch's default generator (so that
    ``torch.manual_seed`` makes a whole run reproducible). The same rule on the chip and the mock
    path: an integer in 0..2**63-1."""
    if noise_seed is not None:
        return rules.seed(noise_seed, "noise_seed")
    return int(torch.randint(0, 2**62, (), dtype=torch.int64).item())


def _check_madc(op: str, mock: bool, neuron_id, path):
    """The reference's membrane-recording arguments: ``None`` without a path, else
    ``(neuron_id, path)`` for :meth:`chipsim.Chip.run`."""
    neuron_id = rules.integer(neuron_id, "madc_recording_neuron_id", 0)
    if path is None or os.fspath(path) == "":
        return None
    if mock:
        raise RuntimeError(
            f"{op}: recording with the MADC in mock mode is not possible "
            f"(madc_recording_path={os.fspath(path)!r}); pass mock=False or no path"
        )
    return neuron_id, os.fspath(path)


@operation
def mac(
    x: torch.Tensor,
    weights: torch.Tensor,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    mock: bool = False,
    madc_recording_neuron_id: int = 0,
    madc_recording_path: str = "",
    *,
    chip=None,
    noise_seed: int | None = None,
    noise: bool = True,
) -> torch.Tensor:
    """The bare multiply-accumulate ``x @ weights`` on the simulated chip (or the mock model), as
    the reference ``mac``: a 1-D input is one vector, a 2-D input a batch of vectors sent one
    after the other with the weights written once. :func:`matmul` and the layers call it.

    Args:
        x: activations, ``(K,)`` or ``(N, K)``, values 0..31.
        weights: ``(K, M)``, values -63..63.
        num_sends, wait_between_events, mock, chip, noise_seed, noise: see :func:`matmul`.
        madc_recording_neuron_id, madc_recording_path: the reference's membrane recording.
            With a non-empty path the membrane of the neuron of output column
            ``madc_recording_neuron_id`` (0..M-1; for a product on one tile the reference's
            neuron number) is recorded for every vector and appended to the path in the
            reference's tab-separated format, or written as VCD for a ``.vcd`` path (see
            :meth:`chipsim.Chip.run`). ``RuntimeError`` in mock mode, as the reference.

    Returns:
        float tensor ``(M,)`` or ``(N, M)``, values -128..127.

    Raises:
        OverflowError (:class:`chipsim.models.mock.MockRangeError`): values out of range after rounding.
        RuntimeError (:class:`ShapeError`): weights not 2-D, input not 1-D or 2-D, or sizes that
            do not match.
    """
    check_operand(x, "x", "mac")
    check_operand(weights, "weights", "mac")
    num_sends, wait = _check_options(num_sends, wait_between_events)
    if weights.dim() != 2:
        raise ShapeError(f"mac: weights must be 2-D (K, M), got shape {tuple(weights.shape)}")
    if x.dim() not in (1, 2):
        raise ShapeError(
            f"mac: the input must be 1-D (K,) or 2-D (N, K), got shape {tuple(x.shape)}"
        )
    rules.product_shapes(x.shape, weights.shape, "x", "weights", error=ShapeError, where="mac")
    madc = _check_madc("mac", mock, madc_recording_neuron_id, madc_recording_path)
    if not mock:
        _tracer.check_input(x, "mac")
    the_chip = None if mock else resolve_chip(chip)
    seed = _noise_seed(noise_seed)
    flat = x.unsqueeze(0) if x.dim() == 1 else x
    out = MAC.apply(flat, weights, num_sends, wait, bool(mock), the_chip, seed, bool(noise), madc)
    out = out.squeeze(0) if x.dim() == 1 else out
    if not mock:
        _tracer.record(
            "mac",
            {
                "weights": torch.round(weights.detach()).to("cpu", torch.int8),
                "num_sends": num_sends,
                "wait_between_events": wait,
            },
            out,
        )
    return out


@operation
def matmul(
    input: torch.Tensor,
    other: torch.Tensor,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    mock: bool = False,
    madc_recording_neuron_id: int = 0,
    madc_recording_path: str = "",
    *,
    chip=None,
    noise_seed: int | None = None,
    noise: bool = True,
) -> torch.Tensor:
    """``input @ other`` on the simulated chip (or the mock model), as the reference ``matmul``:
    the leading dimensions of ``input`` are folded into one batch for :func:`mac`.

    Args:
        input: activations, 1-D ``(K,)`` or ``(batch..., K)``, values in the chip's
            ``formats.input`` range (0..31; the mock: always 0..31).
        other: weights, ``(K,)`` or ``(K, M)``, values in ``formats.weight`` (-63..63).
            Both: real, non-boolean, non-empty tensors.
        num_sends: times the input is sent; the gain grows linearly with it.
        wait_between_events: FPGA cycles (8 ns each) between events (ignored by the mock).
        mock: use the mock model (:func:`get_mock_parameter`) instead of the chip.
        madc_recording_neuron_id, madc_recording_path: see :func:`mac`.
        chip: run on this chip instead of the selected one (:func:`init_hardware`,
            :func:`use_chip`). Not in the reference API, as the keywords below.
        noise_seed: seed of the temporal noise, an integer in 0..2**63-1 (chip and mock alike);
            ``None`` draws one from torch's generator.
        noise: ``False`` switches the temporal noise off (chip: every noise source, the fixed
            pattern stays; mock: ``noise_std = 0``). For diagnostics.

    Returns:
        float tensor ``(batch..., M)`` (dimensions of size 1 added for 1-D arguments are removed),
        values -128..127.

    Raises:
        TypeError: a complex or boolean tensor, or a non-integer option (``bool`` included).
        ValueError: an empty tensor, an option out of range.
        OverflowError (:class:`chipsim.models.mock.MockRangeError`): values out of range after rounding.
        RuntimeError (:class:`ShapeError`): 0-D arguments, weights with more than 2 dimensions,
            or mismatching sizes.
    """
    check_operand(input, "input", "matmul")
    check_operand(other, "other", "matmul")
    _check_options(num_sends, wait_between_events)
    if input.dim() == 0 or other.dim() == 0:
        raise ShapeError("matmul: both arguments need to be at least 1-D")
    if other.dim() > 2:
        raise ShapeError(f"matmul: weights must be 1-D or 2-D, got shape {tuple(other.shape)}")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    w = other.unsqueeze(-1) if other.dim() == 1 else other
    rules.product_shapes(
        input.shape, other.shape, "input", "other", error=ShapeError, where="matmul"
    )
    _check_madc("matmul", mock, madc_recording_neuron_id, madc_recording_path)
    flat = x.reshape(-1, x.shape[-1])
    out = mac(
        flat,
        w,
        num_sends,
        wait_between_events,
        mock,
        madc_recording_neuron_id,
        madc_recording_path,
        chip=chip,
        noise_seed=noise_seed,
        noise=noise,
    )
    out = out.reshape(x.shape[:-1] + (w.shape[1],))
    if input.dim() == 1:
        out = out.squeeze(-2)
    if other.dim() == 1:
        out = out.squeeze(-1)
    return out


def _tuple(value, dim: int, name: str) -> tuple[int, ...]:
    try:
        values = (value,) * dim if isinstance(value, (int, np.integer)) else tuple(value)
    except TypeError:
        raise TypeError(
            f"{name}: expected a positive integer or {dim} of them, got {value!r}"
        ) from None
    if len(values) != dim:
        raise ValueError(f"{name}: expected a positive integer or {dim} of them, got {value!r}")
    return tuple(
        rules.integer(v, name if dim == 1 else f"{name}[{i}]", 1) for i, v in enumerate(values)
    )


def _conv(
    input, weight, bias, stride, dim, num_sends, wait, mock, chip, noise_seed, dilation, groups, op
):
    if groups != 1:
        raise ValueError(
            f"{op}: groups={groups} is not supported; only groups=1 (as the reference)"
        )
    if any(d != 1 for d in _tuple(dilation, dim, "dilation")):
        raise ValueError(
            f"{op}: dilation={dilation!r} is not supported; only dilation 1 (as the reference)"
        )
    stride = _tuple(stride, dim, "stride")
    if weight.dim() != 2 + dim:
        raise ShapeError(
            f"{op} expects a weight of shape (out_channels, in_channels, "
            f"{dim} kernel sizes), got {tuple(weight.shape)}"
        )
    if input.dim() != 2 + dim:
        raise ShapeError(
            f"{op} expects an input of shape (batch, in_channels, {dim} sizes), "
            f"got {tuple(input.shape)}"
        )
    if input.shape[1] != weight.shape[1]:
        raise ShapeError(
            f"{op}: the input has {input.shape[1]} channels but the weight expects "
            f"{weight.shape[1]}"
        )
    kernel = tuple(weight.shape[2:])
    for axis, (size, k) in enumerate(zip(input.shape[2:], kernel)):
        if k > size:
            raise ShapeError(
                f"{op}: kernel size {k} exceeds the input size {size} (dimension {axis + 2})"
            )
    patches = input
    for axis, (k, s) in enumerate(zip(kernel, stride)):
        patches = patches.unfold(2 + axis, k, s)
    # (N, C, out..., k...) -> (N, out..., C, k...) -> (N, out..., C * prod(k))
    order = [0] + list(range(2, 2 + dim)) + [1] + list(range(2 + dim, 2 + 2 * dim))
    patches = patches.permute(*order)
    patches = patches.reshape(patches.shape[: 1 + dim] + (-1,))
    out = matmul(
        patches, weight.flatten(1).t(), num_sends, wait, mock, chip=chip, noise_seed=noise_seed
    )
    out = out.movedim(-1, 1).contiguous()
    if bias is not None:
        out = out + bias.view((-1,) + (1,) * dim)
    return out


@operation
def conv1d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    mock: bool = False,
    *,
    dilation: int = 1,
    groups: int = 1,
    chip=None,
    noise_seed: int | None = None,
):
    """1-D convolution ``(N, C, L) * (O, C, k) -> (N, O, L_out)``, unrolled to one :func:`matmul`
    (every output position is a vector of ``C * k`` inputs). No padding (pad the input first, as
    the layers do). ``bias`` is added digitally, unrounded, as the reference does. Only
    ``dilation=1`` and ``groups=1`` (``ValueError`` otherwise)."""
    num_sends, wait = _check_options(num_sends, wait_between_events)
    return _conv(
        input,
        weight,
        bias,
        stride,
        1,
        num_sends,
        wait,
        mock,
        chip,
        noise_seed,
        dilation,
        groups,
        "conv1d",
    )


@operation
def expanded_conv1d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride: int = 1,
    num_expansions: int = 1,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    mock: bool = False,
    *,
    chip=None,
    noise_seed: int | None = None,
) -> torch.Tensor:
    """1-D convolution with ``num_expansions`` copies of the kernel on the array at once, as the
    reference ``expanded_conv1d``: copy ``i`` is shifted by ``i * stride`` inputs and has its own
    output columns, so one input vector of ``C * (k + stride * (num_expansions - 1))`` entries
    gives ``num_expansions`` neighbouring output positions, and the convolution runs with stride
    ``stride * num_expansions``. More of the array is used per vector and fewer vectors are sent.
    The input is padded on the right with zeros where the last block needs it; the result has
    the shape of :func:`conv1d`'s and, up to the noise and the per-tile rounding, its values.

    The copies share one weight, so the fixed pattern of their columns cannot be compensated for
    by training; the weight gradient is the sum over the copies (the one of :func:`conv1d`).

    Args:
        input: ``(N, C, L)``, values 0..31.
        weight: ``(O, C, k)``, values -63..63.
        bias: ``(O,)`` or ``None``; added digitally, unrounded.
        stride: positive integer (or a 1-tuple).
        num_expansions: copies of the kernel (positive integer).
        num_sends, wait_between_events, mock, chip, noise_seed: see :func:`matmul`.

    Returns:
        float tensor ``(N, O, (L - k) // stride + 1)``.
    """
    num_sends, wait = _check_options(num_sends, wait_between_events)
    n = rules.integer(num_expansions, "num_expansions", 1)
    (s,) = _tuple(stride, 1, "stride")
    if weight.dim() != 3 or input.dim() != 3:
        raise ShapeError(
            f"expanded_conv1d expects an input (N, C, L) and a weight (O, C, k), got "
            f"shapes {tuple(input.shape)} and {tuple(weight.shape)}"
        )
    out_channels, in_channels, k = weight.shape
    length = input.shape[2]
    if k > length:
        raise ShapeError(
            f"expanded_conv1d: kernel size {k} exceeds the input size {length} (dimension 2)"
        )
    k_new = k + s * (n - 1)
    copies = weight.new_zeros((out_channels, n, in_channels, k_new))
    for i in range(n):
        copies[:, i, :, i * s : i * s + k] = weight
    weight_new = copies.reshape(out_channels * n, in_channels, k_new)  # copy i of o: row o*n + i
    bias_new = None if bias is None else bias.repeat_interleave(n)
    stride_new = s * n
    l_out = (length - k) // s + 1
    l_out_new = ((length - k_new) // stride_new + 1) * n if length >= k_new else 0
    if l_out > l_out_new:
        input = torch.nn.functional.pad(input, (0, stride_new))
    out = _conv(
        input,
        weight_new,
        bias_new,
        stride_new,
        1,
        num_sends,
        wait,
        mock,
        chip,
        noise_seed,
        1,
        1,
        "expanded_conv1d",
    )
    batch = input.shape[0]
    out = (
        out.permute(0, 2, 1)
        .reshape(batch, -1, out_channels, n)
        .permute(0, 2, 1, 3)
        .reshape(batch, out_channels, -1)
    )
    return out[..., :l_out].contiguous()


@operation
def conv2d(
    input: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    stride=1,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    mock: bool = False,
    *,
    dilation=1,
    groups: int = 1,
    chip=None,
    noise_seed: int | None = None,
):
    """2-D convolution ``(N, C, H, W) * (O, C, kh, kw) -> (N, O, H_out, W_out)``, unrolled to one
    :func:`matmul` (see :func:`conv1d`)."""
    num_sends, wait = _check_options(num_sends, wait_between_events)
    return _conv(
        input,
        weight,
        bias,
        stride,
        2,
        num_sends,
        wait,
        mock,
        chip,
        noise_seed,
        dilation,
        groups,
        "conv2d",
    )


# ---- digital operations of the on-chip processor (the same with mock=True and mock=False) ----


@operation
def relu(input: torch.Tensor, mock: bool = False) -> torch.Tensor:
    """ReLU of the on-chip processor: ``clamp(floor(input), 0, 127)``; gradient 1 where input > 0."""
    if not mock:
        _tracer.check_input(input, "relu")
    out = ReLU.apply(input)
    if not mock:
        _tracer.record("relu", {}, out)
    return out


@operation
def converting_relu(input: torch.Tensor, shift: int = 2, mock: bool = False) -> torch.Tensor:
    """ReLU, right shift by ``shift`` bits and clamp to 0..31: turns results (-128..127) into
    inputs of the next layer. Gradient ``2**-shift`` where input > 0."""
    shift = rules.integer(shift, "converting_relu: shift")
    if shift < 0:
        raise RuntimeError(f"converting_relu: non-negative shift value expected, got {shift}")
    if not mock:
        _tracer.check_input(input, "converting_relu")
    out = ConvertingReLU.apply(input, int(shift))
    if not mock:
        _tracer.record("converting_relu", {"shift": int(shift)}, out)
    return out


@operation
def add(
    input: torch.Tensor, other: torch.Tensor, alpha: float = 1, mock: bool = False
) -> torch.Tensor:
    """Saturating int8 addition of the on-chip processor: both operands are floored and clamped to
    -128..127, added, and clamped again. ``other`` broadcasts to ``input`` (it may not have more
    dimensions). Gradient 1 to both. ``alpha`` (the scale of ``other``) must be 1, as in the
    reference (``RuntimeError`` otherwise)."""
    if alpha != 1:
        raise RuntimeError(
            f"add: alpha={alpha!r} is not supported; only alpha=1 (as the reference)"
        )
    if other.dim() > input.dim():
        raise ShapeError(
            f"add: other ({other.dim()}-D) may not have more dimensions than input "
            f"({input.dim()}-D)"
        )
    try:
        torch.broadcast_shapes(input.shape, other.shape)
    except RuntimeError as err:
        raise ShapeError(
            f"add: shapes {tuple(input.shape)} and {tuple(other.shape)} do not broadcast ({err})"
        ) from None
    if not mock:
        _tracer.check_input(input, "add")
    out = Add.apply(input, other)
    if not mock:
        _tracer.record("add", {"other": int8(other.detach()).to("cpu", torch.float32)}, out)
    return out


@operation
def argmax(
    input: torch.Tensor, dim: int | None = None, keepdim: bool = False, mock: bool = False
) -> torch.Tensor:
    """Index of the largest value after flooring and clamping to int8, as ``torch.argmax``."""
    if not mock:
        _tracer.check_input(input, "argmax")
    out = torch.argmax(int8(input.detach()), dim=dim, keepdim=keepdim)
    if not mock:
        _tracer.record("argmax", {"dim": dim, "keepdim": bool(keepdim)}, out)
    return out


__all__ = [
    "mac",
    "matmul",
    "conv1d",
    "expanded_conv1d",
    "conv2d",
    "relu",
    "converting_relu",
    "add",
    "argmax",
    "ShapeError",
    "INPUT_ACTIVATION_MIN",
    "INPUT_ACTIVATION_MAX",
    "SYNAPTIC_WEIGHT_MIN",
    "SYNAPTIC_WEIGHT_MAX",
    "OUTPUT_MIN",
    "OUTPUT_MAX",
    "DEFAULT_WAIT_BETWEEN_EVENTS",
]
