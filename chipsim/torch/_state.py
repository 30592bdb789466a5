"""The chip and the mock parameter that the ``chipsim.torch`` operations use when a call does
not name its own (the reference software keeps one hardware connection and one mock parameter
per process in the same way)."""

from __future__ import annotations

from pathlib import Path

from ..models.mock import MockParameter

_current = {"chip": None, "mock_parameter": MockParameter()}


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
    """Select the simulated chip that every non-mock operation runs on (replaces the
    reference's ``init_hardware()``).

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
            "No chip selected: call chipsim.torch.use_chip(chipsim.load('bss2')) "
            "first, pass chip=... to the operation, or use mock=True"
        )
    return chip


def resolve_chip(chip):
    """``chip`` if given (a Chip or a YAML path), else the selected one."""
    return get_chip() if chip is None else _as_chip(chip)


def get_mock_parameter() -> MockParameter:
    """The mock parameter in use: by mock-mode operations, and by every backward pass (whose
    gradients are scaled by ``gain * num_sends``)."""
    return _current["mock_parameter"]


def set_mock_parameter(parameter: MockParameter) -> None:
    """Set the mock parameter (e.g. the result of :func:`measure_mock_parameter`)."""
    if not isinstance(parameter, MockParameter):
        raise TypeError(
            f"set_mock_parameter: expected a chipsim.torch.MockParameter, got {type(parameter).__name__}"
        )
    _current["mock_parameter"] = parameter


def measure_mock_parameter(chip=None, *, seed: int = 0, **options) -> MockParameter:
    """Measure gain and noise of the mock model on the selected chip (or ``chip``) with the
    reference procedure (see :func:`chipsim.models.mock.measure_mock_parameter`). Does not set it:
    pass the result to :func:`set_mock_parameter`, as with the reference software."""
    from ..models import mock

    return mock.measure_mock_parameter(resolve_chip(chip), seed=seed, **options)
