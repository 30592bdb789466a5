"""The chip and the mock parameter that the ``chipsim.torch`` operations use when a call does
not name its own (the reference software keeps one hardware connection and one mock parameter
per process in the same way)."""

from __future__ import annotations

import math
import numbers
from pathlib import Path
from typing import Any

from ..models import mock as _mock
from ._operation import operation
from .constants import defaults


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"MockParameter.{name}: expected a real number, got {value!r}")
    return float(value)


class MockParameter:
    """Gain and noise of the mock model, as the reference's ``MockParameter``.

    As there, the positional order is ``(noise_std, gain)``, the fields can be changed after
    construction, and the values are not checked until :func:`set_mock_parameter` (which raises
    ``OverflowError`` for a gain outside (0, 1]).

    Args:
        noise_std: standard deviation of the Gaussian output noise per 128-input tile, in ADC
            steps (default 2.0).
        gain: ADC steps per unit of ``x . w`` for one send (default 0.002).
    """

    __slots__ = ("_noise_std", "_gain")
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __init__(self, noise_std: float = defaults.noise_std, gain: float = defaults.gain) -> None:
        self.noise_std = noise_std
        self.gain = gain

    @property
    def noise_std(self) -> float:
        return self._noise_std

    @noise_std.setter
    def noise_std(self, value) -> None:
        self._noise_std = _real(value, "noise_std")

    @property
    def gain(self) -> float:
        return self._gain

    @gain.setter
    def gain(self, value) -> None:
        self._gain = _real(value, "gain")

    def __eq__(self, other):
        if isinstance(other, (MockParameter, _mock.MockParameter)):
            return self.gain == other.gain and self.noise_std == other.noise_std
        return NotImplemented

    def __repr__(self) -> str:
        return f"MockParameter(noise_std={self.noise_std!r}, gain={self.gain!r})"

    def to_mock(self) -> _mock.MockParameter:
        """The checked, immutable :class:`chipsim.models.mock.MockParameter` of the same values."""
        check_mock_parameter(self)
        return _mock.MockParameter(gain=self.gain, noise_std=self.noise_std)

    @classmethod
    def from_mock(cls, parameter: _mock.MockParameter) -> MockParameter:
        """The same values as a (mutable) reference-style parameter."""
        return cls(noise_std=parameter.noise_std, gain=parameter.gain)


def check_mock_parameter(parameter: MockParameter) -> None:
    """Raise ``OverflowError`` (:class:`chipsim.models.mock.MockRangeError`) for values the mock cannot
    use: a gain outside (0, 1] (the reference's check) or a noise std that is negative or not
    finite."""
    if not (math.isfinite(parameter.gain) and 0 < parameter.gain <= 1):
        raise _mock.MockRangeError(
            f"MockParameter.gain: expected a value in the interval (0, 1], got {parameter.gain}"
        )
    if not (math.isfinite(parameter.noise_std) and parameter.noise_std >= 0):
        raise _mock.MockRangeError(
            f"MockParameter.noise_std: expected a finite value >= 0, got {parameter.noise_std}"
        )


_current: dict[str, Any] = {
    "chip": None,
    "mock_parameter": MockParameter(),
    "mock_model": _mock.MockParameter(),
}


class ChipSelection:
    """What :func:`use_chip` returns: the chip is selected at once; used as a context manager,
    the previous selection comes back on exit."""

    def __init__(self, chip, previous) -> None:
        self.chip = chip
        self._previous = previous

    def __enter__(self):
        return self.chip

    def __exit__(self, *exc) -> None:
        _current["chip"] = self._previous

    def __repr__(self) -> str:
        return f"ChipSelection({self.chip!r})"


def _as_chip(chip):
    from ..chip import Chip, load

    if isinstance(chip, (str, Path)):
        return load(chip)
    if not isinstance(chip, Chip):
        raise TypeError(
            f"chip: expected a chipsim.Chip (see chipsim.load) or the path of a chip YAML, "
            f"got {type(chip).__name__}"
        )
    return chip


def use_chip(chip) -> ChipSelection:
    """Select the simulated chip that every non-mock operation runs on (chipsim's own form of
    :func:`chipsim.torch.init_hardware`).

    Args:
        chip: a :class:`chipsim.Chip`, or the path of a chip YAML (loaded with the
            ``default`` calibration and seed 0).

    Returns:
        a :class:`ChipSelection`; ``with use_chip(other): ...`` restores the previous chip after
        the block.
    """
    chip = _as_chip(chip)
    previous = _current["chip"]
    _current["chip"] = chip
    return ChipSelection(chip, previous)


def release_chip() -> None:
    """Deselect the chip (the reference's ``release_hardware()``)."""
    _current["chip"] = None


def get_chip():
    """The selected chip; raises ``RuntimeError`` if none is selected."""
    chip = _current["chip"]
    if chip is None:
        raise RuntimeError(
            "No chip selected: call chipsim.torch.init_hardware() (the chip of CHIPSIM_CHIP, else "
            "the built-in bss2) or chipsim.torch.use_chip(chip) first, pass chip=... to the "
            "operation, or use mock=True"
        )
    return chip


def resolve_chip(chip):
    """``chip`` if given (a Chip or a YAML path), else the selected one."""
    return get_chip() if chip is None else _as_chip(chip)


@operation
def get_mock_parameter() -> MockParameter:
    """A copy of the mock parameter in use: by mock-mode operations, and by every backward pass
    (whose gradients are scaled by ``gain * num_sends``). Changing the copy changes nothing;
    pass it to :func:`set_mock_parameter`."""
    current = _current["mock_parameter"]
    return MockParameter(current.noise_std, current.gain)


@operation
def set_mock_parameter(parameter: MockParameter) -> None:
    """Set the mock parameter (e.g. the result of :func:`measure_mock_parameter`); a copy is
    kept. Also accepts a :class:`chipsim.models.mock.MockParameter`.

    Raises:
        OverflowError (:class:`chipsim.models.mock.MockRangeError`): gain outside (0, 1], or a negative
            or non-finite noise std.
        TypeError: not a mock parameter.
    """
    if isinstance(parameter, _mock.MockParameter):
        parameter = MockParameter.from_mock(parameter)
    if not isinstance(parameter, MockParameter):
        raise TypeError(
            f"set_mock_parameter: expected a chipsim.torch.MockParameter, got {type(parameter).__name__}"
        )
    model = parameter.to_mock()
    _current["mock_parameter"] = MockParameter(parameter.noise_std, parameter.gain)
    _current["mock_model"] = model


def mock_model() -> _mock.MockParameter:
    """The parameter in use, as the :mod:`chipsim.models.mock` model takes it."""
    return _current["mock_model"]


@operation
def measure_mock_parameter(chip=None, *, seed: int = 0, **options) -> MockParameter:
    """Measure gain and noise of the mock model on the selected chip (or ``chip``) with the
    reference procedure (see :func:`chipsim.models.mock.measure_mock_parameter`). Does not set it:
    pass the result to :func:`set_mock_parameter`, as with the reference software."""
    return MockParameter.from_mock(
        _mock.measure_mock_parameter(resolve_chip(chip), seed=seed, **options)
    )
