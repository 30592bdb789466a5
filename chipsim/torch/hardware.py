"""The reference software's hardware initialisation (``init_hardware``, ``init_hardware_minimal``,
``release_hardware``) on simulated chips.

Which chip: the ``chip`` argument (a :class:`chipsim.Chip` or the path of a chip YAML), else the
environment variable ``CHIPSIM_CHIP`` (a built-in chip's name or the path of a chip YAML), else
the built-in ``bss2`` of this repository. Which calibration: the first argument (a :class:`CalibrationPath`, a string or a
:class:`~chipsim.calibration.CalibrationResult`), else ``CHIPSIM_CALIBRATION``, else ``default``:
one of the named profiles of the chip description (``default``, ``custom`` in ``bss2``) or, as
the reference's ``calib_path``, a calibration file saved by ``chipsim calibrate --out FILE`` (or
``CalibrationResult.save``). Which fixed pattern: ``seed``, else ``CHIPSIM_SEED``, else the
calibration file's chip seed, else 0. A hardware script therefore runs on a simulated chip with
only its import line changed, and the chip is chosen from outside it.
"""

from __future__ import annotations

import os

from ._operation import operation
from ._state import get_chip, release_chip, use_chip

#: Environment variables read by :func:`init_hardware`.
CHIP_ENV, CALIBRATION_ENV, SEED_ENV = "CHIPSIM_CHIP", "CHIPSIM_CALIBRATION", "CHIPSIM_SEED"
#: The chip loaded when neither an argument nor ``CHIPSIM_CHIP`` names one.
#: The chip when neither an argument nor CHIPSIM_CHIP names one: the built-in bss2.
DEFAULT_CHIP = "bss2"


class CalibrationPath:
    """The reference's calibration argument: ``value`` names a calibration profile of the
    simulated chip (``"default"``, ``"custom"``, ...) or a saved calibration file."""

    def __init__(self, value: str) -> None:
        if not isinstance(value, (str, os.PathLike)):
            raise TypeError(f"CalibrationPath: expected a string, got {type(value).__name__}")
        self.value = os.fspath(value)

    def __repr__(self) -> str:
        return f"CalibrationPath({self.value!r})"


class HWDBPath:
    """The reference's hardware-database argument (which calibration the real setups use). It
    has no meaning for a simulated chip: :func:`init_hardware` accepts and ignores it."""

    def __init__(self, path: str | None = None, version: str = "stable/latest") -> None:
        self.path = path
        self.version = version

    def __repr__(self) -> str:
        return f"HWDBPath(path={self.path!r}, version={self.version!r})"


def _env_seed() -> int | None:
    text = os.environ.get(SEED_ENV)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(
            f"{SEED_ENV}={text!r}: expected an integer seed of the fixed pattern"
        ) from None


def _load(chip, calibration, seed):
    """The chip to select: ``chip`` (a Chip keeps its seed unless ``seed`` is given) or the
    YAML named by the argument, ``CHIPSIM_CHIP`` or the default, under ``calibration`` (a
    profile name, the path of a saved calibration, or a calibration result)."""
    import hwdesc

    from ..calibration import CalibrationFileError, CalibrationResult, description_hash
    from ..chip import Chip

    if isinstance(chip, Chip):
        description, seed = chip.description, chip.seed if seed is None else seed
    else:
        if chip is None:
            chip = os.environ.get(CHIP_ENV) or DEFAULT_CHIP
        if not isinstance(chip, (str, os.PathLike)):
            raise TypeError(
                f"chip: expected a chipsim.Chip or the path of a chip YAML, got "
                f"{type(chip).__name__}"
            )
        description = hwdesc.load(chip)
        seed = _env_seed() if seed is None else seed
    profiles = list(description.calibration)
    name = description.identity.name
    if isinstance(calibration, str) and calibration in profiles:
        return Chip(description, calibration=calibration, seed=0 if seed is None else seed)
    if not isinstance(calibration, CalibrationResult):
        if not os.path.isfile(calibration):
            raise ValueError(
                f"calib_path: {calibration!r} is neither a calibration profile of chip "
                f"'{name}' (profiles: {', '.join(profiles)}) nor a calibration file (save one "
                "with `chipsim calibrate CHIP --out FILE` or CalibrationResult.save)"
            )
        try:
            calibration = CalibrationResult.load(calibration)
        except CalibrationFileError as err:
            raise ValueError(f"calib_path: {err}") from None
    if calibration.description_hash != description_hash(description):
        raise ValueError(
            f"calib_path: the calibration was made for another chip description than chip "
            f"'{name}'; calibrate this chip (chipsim.calibrate) or select the chip it belongs to"
        )
    if seed is None:
        seed = calibration.chip_seed
    elif seed != calibration.chip_seed:
        raise ValueError(
            f"calib_path: the calibration belongs to chip seed {calibration.chip_seed}, not seed "
            f"{seed} (from the seed argument, {SEED_ENV} or the chip given); select seed "
            f"{calibration.chip_seed}, or calibrate seed {seed}"
        )
    return Chip(description, calibration=calibration, seed=seed)


@operation
def init_hardware(calib_path=None, ann: bool = False, *, chip=None, seed: int | None = None):
    """Select a simulated chip for every later non-mock operation (the reference connects to a
    BrainScaleS-2 setup and loads its calibration).

    Args:
        calib_path: the calibration: a :class:`CalibrationPath` or a string naming a calibration
            profile of the chip or the path of a saved calibration (``chipsim calibrate --out
            FILE``; it must belong to the chip and the seed), or a
            :class:`~chipsim.calibration.CalibrationResult`; ``None`` takes
            ``CHIPSIM_CALIBRATION`` or ``"default"``. A :class:`HWDBPath` (the reference's first
            argument in the other form) is ignored.
        ann: accepted for the reference's signature; the simulated chip is always set up for
            matrix multiplication.
        chip: a :class:`chipsim.Chip` or the path of a chip YAML; ``None`` takes ``CHIPSIM_CHIP``
            or the built-in ``bss2``.
        seed: seed of the fixed pattern (``None``: ``CHIPSIM_SEED``, else the chip's own seed,
            else the calibration file's chip seed, else 0).

    Returns:
        the selected :class:`chipsim.Chip`.
    """
    from ..calibration import CalibrationResult

    calibration: str | CalibrationResult
    if isinstance(calib_path, HWDBPath) or calib_path is None:
        calibration = os.environ.get(CALIBRATION_ENV) or "default"
    elif isinstance(calib_path, CalibrationPath):
        calibration = calib_path.value
    elif isinstance(calib_path, (str, os.PathLike)):
        calibration = os.fspath(calib_path)
    elif isinstance(calib_path, CalibrationResult):
        calibration = calib_path
    else:
        raise TypeError(
            f"calib_path: expected a CalibrationPath, a profile name, the path of a calibration "
            f"file, a CalibrationResult or None, got {type(calib_path).__name__}"
        )
    selected = _load(chip, calibration, seed)
    use_chip(selected)
    return selected


@operation
def init_hardware_minimal(*, chip=None, seed: int | None = None):
    """The reference initialises the hardware without any calibration here. chipsim has no model
    of an uncalibrated chip yet, so this selects the chip (chosen as in :func:`init_hardware`)
    with its ``default`` calibration profile; results are those of a calibrated chip.

    Returns:
        the selected :class:`chipsim.Chip`.
    """
    selected = _load(chip, "default", seed)
    use_chip(selected)
    return selected


@operation
def release_hardware() -> None:
    """Deselect the chip (the reference releases the connection to the setup)."""
    release_chip()


@operation
def get_unique_identifier(hwdb_path=None) -> list[str]:
    """Identifier of the selected simulated chip: ``["<name> seed <seed> calibration
    <profile>"]`` (the reference lists the setups of its hardware database). ``hwdb_path`` is
    ignored. Raises ``RuntimeError`` if no chip is selected."""
    chip = get_chip()
    return [f"{chip.name} seed {chip.seed} calibration {chip.calibration}"]


__all__ = [
    "init_hardware",
    "init_hardware_minimal",
    "release_hardware",
    "get_unique_identifier",
    "CalibrationPath",
    "HWDBPath",
    "CHIP_ENV",
    "CALIBRATION_ENV",
    "SEED_ENV",
    "DEFAULT_CHIP",
]
