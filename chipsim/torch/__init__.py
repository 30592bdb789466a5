"""PyTorch front end with the names, arguments, defaults and number conventions of the reference
software's ``perceptron`` API, running on a simulated :class:`chipsim.Chip` (or the mock model).

    >>> import chipsim, chipsim.torch as perceptron
    >>> perceptron.use_chip(chipsim.load("bss2", seed=0))   # once, instead of init
    >>> layer = perceptron.nn.Linear(128, 10, num_sends=None, mock=False)
    >>> y = layer(x)                                         # x: 0..31 -> y: -128..127

Needs the optional dependency ``torch`` (``pip install 'chipsim[torch]'``).
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        "chipsim.torch needs PyTorch: install the extra with pip install 'chipsim[torch]' "
        f"({err})"
    ) from None

from ..models.mock import MockParameter, MockRangeError
from . import nn
from ._state import (ChipSelection, get_chip, get_mock_parameter, measure_mock_parameter,
                     release_chip, set_mock_parameter, use_chip)
from .functional import (DEFAULT_WAIT_BETWEEN_EVENTS, INPUT_ACTIVATION_MAX, INPUT_ACTIVATION_MIN,
                         OUTPUT_MAX, OUTPUT_MIN, SYNAPTIC_WEIGHT_MAX, SYNAPTIC_WEIGHT_MIN,
                         ShapeError, add, argmax, conv1d, conv2d, converting_relu, matmul, relu)

__all__ = [
    "nn", "matmul", "conv1d", "conv2d", "relu", "converting_relu", "add", "argmax",
    "MockParameter", "MockRangeError", "ShapeError", "get_mock_parameter", "set_mock_parameter",
    "measure_mock_parameter", "use_chip", "get_chip", "release_chip", "ChipSelection",
    "INPUT_ACTIVATION_MIN", "INPUT_ACTIVATION_MAX", "SYNAPTIC_WEIGHT_MIN", "SYNAPTIC_WEIGHT_MAX",
    "OUTPUT_MIN", "OUTPUT_MAX", "DEFAULT_WAIT_BETWEEN_EVENTS",
]
