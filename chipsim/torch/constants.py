"""The reference software's ``perceptron.constants``: number ranges, the size of one synapse
array as the reference API sees it, and the defaults of the operations and the mock.

``hardware_matrix_height`` is in signed inputs (two synapse rows each) and
``hardware_matrix_width`` in output columns; both are the values of the BrainScaleS-2 chip
(``bss2``: 256 rows, 256 columns per half), whichever chip is selected.
"""

from __future__ import annotations

from hwdesc.rules import DEFAULT_WAIT_BETWEEN_EVENTS

from ..models import mock as _mock

#: Signed weights (6-bit magnitude, sign by the choice of row).
synaptic_weight_min, synaptic_weight_max = _mock.WEIGHT_RANGE
#: Input activations (unsigned 5 bit).
input_activation_min, input_activation_max = _mock.INPUT_RANGE
#: Results of a multiply-accumulate (int8).
output_activation_min, output_activation_max = _mock.OUTPUT_RANGE
#: Signed inputs of one synapse array (256 rows, two per signed input).
hardware_matrix_height = 128
#: Output columns of one synapse array.
hardware_matrix_width = 256


class defaults:
    """Defaults of the operations and of :class:`chipsim.torch.MockParameter`."""

    #: FPGA cycles (8 ns each) between events.
    wait_between_events = DEFAULT_WAIT_BETWEEN_EVENTS
    #: ADC steps per unit of ``x . w`` for one send.
    gain = _mock.MockParameter.gain
    #: Standard deviation of the mock's output noise, in ADC steps.
    noise_std = _mock.MockParameter.noise_std


__all__ = [
    "synaptic_weight_min",
    "synaptic_weight_max",
    "input_activation_min",
    "input_activation_max",
    "output_activation_min",
    "output_activation_max",
    "hardware_matrix_height",
    "hardware_matrix_width",
    "defaults",
]
