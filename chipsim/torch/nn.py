"""Layers of the reference ``perceptron.nn`` API: ``torch.nn`` modules whose multiply-accumulate
runs on the simulated chip (or the mock model) and whose ReLUs are the on-chip processor's.

As in the reference, a layer's weight is kept in hardware units (-63..63) and its input in
0..31; ``weight_transform`` (default :func:`clamp_weight_`) and ``input_transform`` (default
none) map them before each run. ``num_sends=None`` is chosen at initialisation from the fan-in
and the mock gain (He initialisation, see :meth:`MACLayer.reset_parameters`).

Also as in the reference, a layer calls its operation through an attribute set at construction,
``self._matmul`` (:class:`Linear`) or ``self._conv`` (convolutions), so that it can be replaced
per layer (a mock, a logging wrapper, another function). The call is
``self._matmul(input, weight, num_sends=..., wait_between_events=..., mock=...)`` and
``self._conv(input, weight, bias, stride, num_sends=..., wait_between_events=..., mock=...)``
(plus ``num_expansions=...`` for :class:`ExpandedConv1d`, and ``chip=...`` only when the layer
was given a chip).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any, Literal

import torch

from hwdesc import rules

from . import constants
from . import functional as F
from ._state import get_mock_parameter


def scale_input(x_in: torch.Tensor) -> torch.Tensor:
    """Scale a tensor so that its maximum becomes the largest input activation (31)."""
    with torch.no_grad():
        max_in = torch.max(x_in)
        factor = F.INPUT_ACTIVATION_MAX / max_in if max_in > 0 else 1
    return x_in * factor


def scale_weight(weight: torch.Tensor) -> torch.Tensor:
    """Scale a tensor so that its largest magnitude becomes the largest weight (63)."""
    with torch.no_grad():
        max_w = torch.max(torch.abs(weight))
        factor = F.SYNAPTIC_WEIGHT_MAX / max_w if max_w > 0 else 1
    return weight * factor


def clamp_weight_(weight: torch.Tensor) -> torch.Tensor:
    """Clamp a weight in place to -63..63 and return it (the default ``weight_transform``)."""
    with torch.no_grad():
        weight.clamp_(F.SYNAPTIC_WEIGHT_MIN, F.SYNAPTIC_WEIGHT_MAX)
    return weight


def _differs(value, default) -> bool:
    if value is default:
        return False
    if isinstance(value, torch.Tensor) or isinstance(default, torch.Tensor):
        return True
    try:
        return bool(value != default)
    except Exception:
        return True


class Layer:
    """Base of every layer here: holds ``mock`` (run on the mock model instead of the chip).

    The representation is the reference's: the class name and the constructor arguments whose
    values differ from their defaults (a tensor argument such as ``bias`` shows as ``True``).
    """

    def __init__(self, mock: bool = False):
        self.mock = mock

    def __repr__(self) -> str:
        parts = []
        for name, param in inspect.signature(type(self)).parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or not hasattr(self, name):
                continue
            value = getattr(self, name)
            if isinstance(value, torch.Tensor):
                value = value.numel() > 0
            if _differs(value, param.default):
                parts.append(f"{name}={value}")
        return f"{type(self).__name__}({', '.join(parts)})"


class MACLayer(Layer):
    """A layer with a multiply-accumulate on the chip.

    Args:
        num_sends: times each input is sent (more gain, better signal-to-noise); ``None``: chosen
            at initialisation (:meth:`reset_parameters`).
        wait_between_events: FPGA cycles between events; shorter waits can saturate the
            synaptic input.
        mock: use the mock model instead of the chip.
        input_transform: maps the input to the tensor sent to the chip (default: none).
        weight_transform: maps the weight to the matrix written to the chip (default:
            :func:`clamp_weight_`, in place).
        chip: run on this chip instead of the one selected with :func:`chipsim.torch.use_chip`
            (not in the reference API).
    """

    # set by the torch layer class that follows in the MRO (declared for type checkers)
    weight: torch.Tensor
    bias: Any  # a tensor or None, typed as the torch layer types it

    def __init__(
        self,
        num_sends: int | None = None,
        wait_between_events: int = F.DEFAULT_WAIT_BETWEEN_EVENTS,
        mock: bool = False,
        *,
        input_transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
        weight_transform: Callable[[torch.Tensor], torch.Tensor] | None = clamp_weight_,
        chip=None,
    ):
        super().__init__(mock=mock)
        if num_sends is not None:
            num_sends = rules.num_sends(num_sends)
        self.num_sends = num_sends
        self.wait_between_events = rules.wait_between_events(wait_between_events)
        self.input_transform = input_transform
        self.weight_transform = weight_transform
        self.chip = chip

    def reset_parameters(self, weight_mean: float = 0.0, relu_shift: int = 1) -> None:
        """Initialise in hardware units (He et al. 2015), as the reference does.

        The total gain of MAC, ReLU and the ``relu_shift`` of the following ConvertingReLU is
        ``g = 2**relu_shift * sqrt(2) / gain`` (``gain`` from :func:`get_mock_parameter`); the
        weight std would be ``g / sqrt(fan_in)``. With ``num_sends=None`` the layer takes
        ``num_sends = ceil(std / (63 / 3))`` (so that the weights fit in three standard
        deviations) and divides the std by it. Weights are drawn from a normal truncated to
        -63..63; the bias uniformly from ``+-g / sqrt(fan_in) / (31 / sqrt(3))``.
        """
        fan_in = self.weight[0].numel()
        gain_total = 2**relu_shift * math.sqrt(2) / get_mock_parameter().gain
        std = gain_total / math.sqrt(fan_in)
        if self.num_sends is None:
            self.num_sends = max(1, int(math.ceil(std / (F.SYNAPTIC_WEIGHT_MAX / 3))))
        std /= self.num_sends
        torch.nn.init.trunc_normal_(
            self.weight, mean=weight_mean, std=std, a=F.SYNAPTIC_WEIGHT_MIN, b=F.SYNAPTIC_WEIGHT_MAX
        )
        if self.bias is not None:
            std_in = F.INPUT_ACTIVATION_MAX / math.sqrt(3.0)
            bound = gain_total / math.sqrt(fan_in) / std_in
            with torch.no_grad():
                self.bias.uniform_(-bound, bound)

    def _transformed(self, input, weight):
        if self.weight_transform is not None:
            weight = self.weight_transform(weight)
        if self.input_transform is not None:
            input = self.input_transform(input)
        return input, weight

    def _op_options(self) -> dict:
        options = dict(
            num_sends=self.num_sends, wait_between_events=self.wait_between_events, mock=self.mock
        )
        if self.chip is not None:
            options["chip"] = self.chip
        return options


class Linear(MACLayer, torch.nn.Linear):
    """``y = x W^T (+ b)`` with the product on the chip; the bias is added by the on-chip
    processor (:func:`chipsim.torch.add`: floored, saturating int8).

    Args:
        in_features, out_features, bias: as ``torch.nn.Linear``.
        num_sends, wait_between_events, mock, input_transform, weight_transform, chip: see
            :class:`MACLayer`.
        avg: each output is computed on ``avg`` neurons with the same weights and averaged
            (less temporal noise, ``avg`` times the columns).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        num_sends: int | None = None,
        wait_between_events: int = F.DEFAULT_WAIT_BETWEEN_EVENTS,
        mock: bool = False,
        *,
        avg: int = 1,
        input_transform=None,
        weight_transform=clamp_weight_,
        chip=None,
    ):
        MACLayer.__init__(
            self,
            num_sends,
            wait_between_events,
            mock,
            input_transform=input_transform,
            weight_transform=weight_transform,
            chip=chip,
        )
        self.avg = rules.integer(avg, "avg", 1)
        torch.nn.Linear.__init__(self, in_features, out_features, bias)
        #: the multiply-accumulate this layer calls (replaceable, as in the reference)
        self._matmul = F.matmul

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        input, weight = self._transformed(input, self.weight)
        output = self._matmul(
            input, weight.t().repeat_interleave(self.avg, -1), **self._op_options()
        )
        if self.avg > 1:
            output = torch.nn.functional.avg_pool1d(output.unsqueeze(-2), self.avg).squeeze(-2)
        if self.bias is not None:
            output = F.add(output, self.bias, mock=self.mock)
        return output


class _ConvNd(MACLayer):
    """Shared by :class:`Conv1d` and :class:`Conv2d`: the arguments of ``torch.nn.ConvNd`` plus
    those of the MAC layers; the torch base class is the one that follows in the MRO."""

    _dims = 0
    # set by torch.nn.Conv1d / Conv2d, which follow in the MRO (declared for type checkers)
    stride: tuple[int, ...]
    padding: str | tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"]

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        num_sends: int | None = None,
        wait_between_events: int = F.DEFAULT_WAIT_BETWEEN_EVENTS,
        mock: bool = False,
        *,
        input_transform=None,
        weight_transform=clamp_weight_,
        chip=None,
    ):
        MACLayer.__init__(
            self,
            num_sends,
            wait_between_events,
            mock,
            input_transform=input_transform,
            weight_transform=weight_transform,
            chip=chip,
        )
        # the torch class's initializer, called on this mixed-in instance
        torch_init: Any = (torch.nn.Conv1d if self._dims == 1 else torch.nn.Conv2d).__init__
        torch_init(
            self,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
        )
        #: the convolution this layer calls (replaceable, as in the reference)
        self._conv = F.conv1d if self._dims == 1 else F.conv2d

    def _conv_options(self) -> dict:
        return self._op_options()

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        if any(d != 1 for d in self.dilation):
            raise ValueError(
                f"{type(self).__name__}: dilation={self.dilation} is not supported; "
                "only dilation 1 (as the reference)"
            )
        if self.groups != 1:
            raise ValueError(
                f"{type(self).__name__}: groups={self.groups} is not supported; "
                "only groups=1 (as the reference)"
            )
        if isinstance(self.padding, str):
            raise ValueError(
                f"{type(self).__name__}: padding={self.padding!r} is not supported; "
                "give the padding as integers"
            )
        if any(self.padding):
            pad = []
            for p in self.padding[::-1]:
                pad += [p, p]
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            input = torch.nn.functional.pad(input, tuple(pad), mode)
        input, weight = self._transformed(input, self.weight)
        return self._conv(input, weight, self.bias, self.stride, **self._conv_options())


#: The reference's public name of the convolution base class.
ConvNd = _ConvNd


class Conv1d(_ConvNd, torch.nn.Conv1d):
    """1-D convolution, unrolled to one matrix multiplication on the chip. Only ``dilation=1``
    and ``groups=1`` (a ``ValueError`` at the forward pass otherwise, as the reference); the
    bias is added unrounded."""

    _dims = 1


class ExpandedConv1d(Conv1d):
    """1-D convolution with ``num_expansions`` shifted copies of the kernel on the array at once
    (:func:`chipsim.torch.expanded_conv1d`), to use more of the array per vector.

    Args:
        as :class:`Conv1d`, and
        num_expansions: copies of the kernel; ``None`` (default) takes as many as fit one
            synapse array: ``min(256 // out_channels, (128 - kernel_size) // stride + 1)``
            (``constants.hardware_matrix_width`` and ``hardware_matrix_height``), at least 1.

    The copies share one weight: the fixed pattern of their columns cannot be compensated for by
    training. ``self._conv`` is :func:`chipsim.torch.expanded_conv1d`, called with
    ``num_expansions=self.num_expansions``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        num_sends: int | None = None,
        wait_between_events: int = F.DEFAULT_WAIT_BETWEEN_EVENTS,
        mock: bool = False,
        *,
        input_transform=None,
        weight_transform=clamp_weight_,
        chip=None,
        num_expansions: int | None = None,
    ):
        Conv1d.__init__(
            self,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            num_sends,
            wait_between_events,
            mock,
            input_transform=input_transform,
            weight_transform=weight_transform,
            chip=chip,
        )
        if num_expansions is None:
            by_width = constants.hardware_matrix_width // self.out_channels
            by_height = (constants.hardware_matrix_height - self.kernel_size[0]) // self.stride[
                0
            ] + 1
            num_expansions = max(1, min(by_width, by_height))
        self.num_expansions = rules.integer(num_expansions, "num_expansions", 1)
        self._conv = F.expanded_conv1d

    def _conv_options(self) -> dict:
        return dict(self._op_options(), num_expansions=self.num_expansions)


class Conv2d(_ConvNd, torch.nn.Conv2d):
    """2-D convolution, unrolled to one matrix multiplication on the chip (see :class:`Conv1d`)."""

    _dims = 2


class ReLU(Layer, torch.nn.ReLU):
    """ReLU of the on-chip processor (:func:`chipsim.torch.relu`)."""

    def __init__(self, mock: bool = False):
        Layer.__init__(self, mock)
        torch.nn.ReLU.__init__(self)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.relu(input, mock=self.mock)


class ConvertingReLU(ReLU):
    """ReLU, right shift by ``shift`` bits, clamp to 0..31 (:func:`chipsim.torch.converting_relu`)."""

    def __init__(self, shift: int = 2, mock: bool = False):
        super().__init__(mock)
        self.shift = shift

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.converting_relu(input, shift=self.shift, mock=self.mock)


__all__ = [
    "Layer",
    "MACLayer",
    "Linear",
    "ConvNd",
    "Conv1d",
    "ExpandedConv1d",
    "Conv2d",
    "ReLU",
    "ConvertingReLU",
    "scale_input",
    "scale_weight",
    "clamp_weight_",
]
