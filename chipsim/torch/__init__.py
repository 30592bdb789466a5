"""PyTorch front end with the names, arguments, defaults and number conventions of the reference
software's ``perceptron`` API (``hxtorch.perceptron``), running on a simulated
:class:`chipsim.Chip` (or the mock model).

A script written for the hardware runs with its import line changed::

    import chipsim.torch as hxtorch                 # instead of: import hxtorch
    hxtorch.init_hardware()                         # chip from CHIPSIM_CHIP (or the built-in bss2)
    layer = hxtorch.perceptron.nn.Linear(128, 10, num_sends=None, mock=False)
    y = layer(x)                                    # x: 0..31 -> y: -128..127
    hxtorch.release_hardware()

``chipsim.torch`` is at the same time the reference's ``hxtorch`` (hardware initialisation) and
its ``hxtorch.perceptron`` (``chipsim.torch.perceptron`` and ``chipsim.torch.ann`` are this
module), so ``from chipsim.torch import perceptron`` and ``import chipsim.torch.perceptron.nn``
work as their reference forms. chipsim's own names (:func:`use_chip`, :func:`release_chip`,
:func:`get_chip`, the ``chip=`` keywords) remain.

Needs the optional dependency ``torch`` (``pip install 'chipsim[torch]'``).
"""

from __future__ import annotations

import sys as _sys

try:
    import torch as _torch  # noqa: F401
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"chipsim.torch needs PyTorch: install the extra with pip install 'chipsim[torch]' ({err})"
    ) from None

from ..models.mock import MockRangeError
from . import constants, logger, nn
from ._state import (
    ChipSelection,
    MockParameter,
    get_chip,
    get_mock_parameter,
    measure_mock_parameter,
    release_chip,
    set_mock_parameter,
    use_chip,
)
from .functional import (
    DEFAULT_WAIT_BETWEEN_EVENTS,
    INPUT_ACTIVATION_MAX,
    INPUT_ACTIVATION_MIN,
    OUTPUT_MAX,
    OUTPUT_MIN,
    SYNAPTIC_WEIGHT_MAX,
    SYNAPTIC_WEIGHT_MIN,
    ShapeError,
    add,
    argmax,
    conv1d,
    conv2d,
    converting_relu,
    expanded_conv1d,
    mac,
    matmul,
    relu,
)
from .hardware import (
    CalibrationPath,
    HWDBPath,
    get_unique_identifier,
    init_hardware,
    init_hardware_minimal,
    release_hardware,
)
from .tracer import InferenceTracer, inference_trace, load_trace

#: The reference's ``hxtorch.perceptron`` (and its alias ``hxtorch.ann``): this module.
perceptron = ann = _sys.modules[__name__]
for _alias in ("perceptron", "ann"):
    _sys.modules.setdefault(f"{__name__}.{_alias}", perceptron)
    _sys.modules.setdefault(f"{__name__}.{_alias}.nn", nn)
    _sys.modules.setdefault(f"{__name__}.{_alias}.constants", constants)
del _alias

__all__ = [
    # the reference's hxtorch.perceptron
    "nn",
    "constants",
    "mac",
    "matmul",
    "conv1d",
    "expanded_conv1d",
    "conv2d",
    "relu",
    "converting_relu",
    "add",
    "argmax",
    "MockParameter",
    "get_mock_parameter",
    "set_mock_parameter",
    "measure_mock_parameter",
    "InferenceTracer",
    "inference_trace",
    # the reference's hxtorch (hardware initialisation)
    "perceptron",
    "ann",
    "init_hardware",
    "init_hardware_minimal",
    "release_hardware",
    "get_unique_identifier",
    "CalibrationPath",
    "HWDBPath",
    "logger",
    # chipsim's own
    "load_trace",
    "MockRangeError",
    "ShapeError",
    "use_chip",
    "get_chip",
    "release_chip",
    "ChipSelection",
    "INPUT_ACTIVATION_MIN",
    "INPUT_ACTIVATION_MAX",
    "SYNAPTIC_WEIGHT_MIN",
    "SYNAPTIC_WEIGHT_MAX",
    "OUTPUT_MIN",
    "OUTPUT_MAX",
    "DEFAULT_WAIT_BETWEEN_EVENTS",
]
