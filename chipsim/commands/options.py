"""The options every subcommand shares, declared once: the chip (positional), ``--calibration``
(with ``--calibrate`` and ``--set``), ``--chip-seed``, ``--noise-seed``, ``--quiet`` (and
``--out``/``--force`` in :mod:`.output`), and their checks, which run after parsing and before any
work (:func:`check_arguments`); :func:`load_chip` builds the chip they describe."""

from __future__ import annotations

from .cli import UsageError, int_at_least

CHIP_HELP = (
    "a built-in chip by name (bss2, bss2-synin, tutorial; see `chipsim list-chips`) or "
    "the path of a chip YAML"
)


def add_chip(parser, default: str | None = None) -> None:
    """The chip, positional: a built-in name or a path; optional when ``default`` is given."""
    if default is None:
        parser.add_argument("chip", metavar="CHIP", help=CHIP_HELP)
    else:
        parser.add_argument(
            "chip",
            metavar="CHIP",
            nargs="?",
            default=default,
            help=f"{CHIP_HELP} (default: %(default)s)",
        )


CALIBRATION_HELP = (
    "the chip's calibration: a calibration profile of its description (default, custom, ...) or "
    "a calibration result saved by `chipsim calibrate --out FILE` for this chip and --chip-seed; "
    "a profile name wins over a file of that name (default: %(default)s)"
)
CALIBRATE_HELP = (
    "calibrate this chip instance (--chip-seed) for the default calibration target instead of "
    "using a profile (the result is cached; see `chipsim calibrate`)"
)
SET_HELP = (
    "change a field of the calibration target (repeatable), e.g. --set tau_syn=0.64us "
    "--set i_synin_gm=225; fields: dynamic_range, read_range, leak, tau_mem, tau_syn, "
    "i_synin_gm, target_noise, synapse_dac_bias"
)


def add_calibration(parser, *, calibrate: bool = True) -> None:
    """``--calibration PROFILE|FILE``; with ``calibrate``, also ``--calibrate`` and ``--set``
    (which implies ``--calibrate``): the chip instance calibrated for a target, through the
    cache."""
    parser.add_argument(
        "--calibration", metavar="PROFILE|FILE", default="default", help=CALIBRATION_HELP
    )
    if calibrate:
        parser.add_argument("--calibrate", action="store_true", help=CALIBRATE_HELP)
        add_target_overrides(parser, implies=" (implies --calibrate)")


TARGET_HELP = (
    "the calibration target: a calibration profile of the chip taken as a target (default, "
    "custom: its OTA bias, synapse DAC bias, tau_syn and reset level override the default "
    "target's fields); --set changes fields on top (default: the default target)"
)


def add_target_overrides(parser, help: str = SET_HELP, implies: str = "") -> None:
    """``--target PROFILE`` and ``--set NAME=VALUE`` (repeatable): the calibration target."""
    parser.add_argument("--target", metavar="PROFILE", help=TARGET_HELP + implies)
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", help=help + implies)


def parse_overrides(items: list[str], option: str = "--set", kind=None) -> dict:
    """``NAME=VALUE`` strings as target overrides of a target class ``kind`` (default
    :class:`~chipsim.calibration.HagenCalibTarget`), each value in its field's form: an integer
    code or read, a range ``LOW,HIGH``, a time with its unit, a noise (``none`` for None).
    Errors name ``option``."""
    from chipsim.calibration import HagenCalibTarget

    fields = (HagenCalibTarget if kind is None else kind).fields()
    out: dict = {}
    for item in items:
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise UsageError(
                f"{option} {item!r}: expected NAME=VALUE, e.g. {option} tau_syn=0.64us"
            )
        spec = fields.get(name)
        if spec is None:
            raise UsageError(
                f"{option} {item!r}: no target field {name!r}; fields: {', '.join(fields)}"
            )
        try:
            if spec.kind in ("code", "read"):
                out[name] = int(text)
            elif spec.kind in ("code_range", "read_range"):
                low, high = text.replace("..", ",").split(",")
                out[name] = (int(low), int(high))
            elif spec.kind == "noise":
                out[name] = None if text.lower() == "none" else float(text)
            else:
                out[name] = text
        except ValueError:
            raise UsageError(
                f"{option} {item!r}: {name} takes {_form(spec.kind)}, got {text!r}"
            ) from None
    return out


def _form(kind: str) -> str:
    return {
        "code": "an integer code",
        "read": "an integer CADC read",
        "code_range": "two integer codes LOW,HIGH",
        "read_range": "two integer reads LOW,HIGH",
        "noise": "a number of CADC LSB or none",
    }.get(kind, "a time with its unit (0.64us)")


def calibration_target(args, desc):
    """The target of ``--target`` (a profile of ``desc`` as a target) and ``--set``; a
    :class:`UsageError` naming the option for a wrong one."""
    name = getattr(args, "target", None)
    base = None
    if name is not None:
        from chipsim.calibration import profile_target

        try:
            base = profile_target(desc, name)
        except ValueError as err:
            message = str(err).removeprefix("target: ")
            raise UsageError(f"--target {name}: {message}") from None
    return target_of(getattr(args, "set", None), base, desc)


def target_of(items: list[str] | None, base=None, desc=None):
    """The calibration target of ``--set`` items applied to ``base`` (default: the default
    target of ``desc``'s readout, or of the membrane readout without ``desc``); a
    :class:`UsageError` for a wrong field or value."""
    from chipsim.calibration import HagenCalibTarget
    from chipsim.calibration.procedure import check_target, default_target

    if base is None:
        base = HagenCalibTarget() if desc is None else default_target(desc)
    overrides = parse_overrides(items or [], kind=type(base))
    try:
        target = base.with_overrides(**overrides)
        if desc is not None:
            check_target(desc, target)
        return target
    except (ValueError, TypeError) as err:
        raise UsageError(f"--set: {err}") from None


def add_chip_seed(parser) -> None:
    parser.add_argument(
        "--chip-seed",
        metavar="N",
        type=int_at_least(0),
        default=0,
        help="the chip instance: seed of its fixed pattern (default: %(default)s)",
    )


def add_noise_seed(parser, what: str = "the temporal noise") -> None:
    parser.add_argument(
        "--noise-seed",
        metavar="N",
        type=int_at_least(0),
        default=0,
        help=f"seed of {what} (default: %(default)s)",
    )


def add_quiet(parser) -> None:
    import argparse

    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress lines, bars or spinners (the results are still printed)",
    )
    # the former spelling of simulate and validate-model, kept working but not shown
    parser.add_argument("--no-progress", dest="quiet", action="store_true", help=argparse.SUPPRESS)


def check_arguments(args) -> None:
    """Check what argparse cannot, before any work: the chip exists (as a file or a built-in
    name) and validates, the calibration profile exists, the output folder can be written.

    Raises :class:`UsageError` (exit code 2) for a wrong argument; a chip description that does
    not validate raises its :class:`hwdesc.ChipDescriptionError` (exit code 1, as ``check``).
    """
    chip = getattr(args, "chip", None)
    if chip is not None:
        from hwdesc.builtin import missing_hint, resolve

        path = resolve(chip)
        if path.is_dir() or not path.exists():  # other kinds (a FIFO, a device): the loader says
            problem = (
                "this is a folder, not a chip description" if path.is_dir() else "no such file"
            )
            raise UsageError(f"{chip}: {problem}\n  hint: {missing_hint(chip)}")
        import hwdesc

        desc = hwdesc.load(path)  # a description that does not validate: exit 1
        if getattr(args, "calibration", None) is not None:
            _check_calibration(args, chip, desc)
    if getattr(args, "atomic_out", False):  # commands that declared --out with add_out
        from .output import OutputFolder

        args.out = OutputFolder.check(args.out, force=getattr(args, "force", False))


def _check_calibration(args, chip: str, desc) -> None:
    """Check ``--calibration`` (a profile, or a saved result of this description and chip
    seed), ``--calibrate`` and ``--set``. Leaves in ``args.calibration`` the profile name or the
    loaded :class:`~chipsim.calibration.CalibrationResult`, and in ``args.calibration_target``
    the target to calibrate for (None: no calibration to run)."""
    from pathlib import Path

    calibration = args.calibration
    profiles = desc.calibration
    items = getattr(args, "set", None) or []
    named = getattr(args, "target", None)
    args.calibration_target = None
    if getattr(args, "calibrate", False) or items or named is not None:
        given = (
            "--calibrate"
            if getattr(args, "calibrate", False)
            else ("--target" if named is not None else "--set")
        )
        if calibration != "default":
            raise UsageError(
                f"{given} and --calibration {calibration} exclude each other: {given} calibrates "
                "the chip instance, --calibration names a profile or a saved calibration"
            )
        if desc.uncalibrated is None:
            raise UsageError(
                f"{given}: the chip {chip} cannot be calibrated (its description has no "
                f"`uncalibrated` section); use --calibration with one of its profiles: "
                f"{', '.join(profiles)}"
            )
        args.calibration_target = calibration_target(args, desc)
        return
    if calibration in profiles:
        return
    file = Path(calibration)
    if not file.exists() or file.is_dir():
        problem = (
            "it is a folder, not a calibration file"
            if file.is_dir()
            else "there is no calibration file of that name"
        )
        hint = (
            f"\n  hint: save a calibration with `chipsim calibrate {chip} --chip-seed "
            f"{getattr(args, 'chip_seed', 0)} --out FILE`"
            if desc.uncalibrated is not None
            else ""
        )
        raise UsageError(
            f"--calibration {calibration}: the chip {chip} has no calibration profile "
            f"{calibration!r} and {problem}; its profiles: {', '.join(profiles)}{hint}"
        )
    from chipsim.calibration import CalibrationFileError, CalibrationResult, description_hash

    try:
        result = CalibrationResult.load(file)
    except CalibrationFileError as err:
        message = _without_name(str(err), str(file))
        raise UsageError(f"--calibration {calibration}: {message}") from None
    except OSError as err:
        raise UsageError(f"--calibration {calibration}: {err.strerror or err}") from None
    if result.description_hash != description_hash(desc):
        remedy = (
            f"calibrate this chip with `chipsim calibrate {chip} --out FILE`"
            if desc.uncalibrated is not None
            else f"this chip cannot be calibrated: use one of its profiles ({', '.join(profiles)})"
        )
        raise UsageError(
            f"--calibration {calibration}: a calibration of another chip description (hash "
            f"{result.description_hash[:12]}..., the chip {chip}: "
            f"{description_hash(desc)[:12]}...); {remedy}"
        )
    seed = getattr(args, "chip_seed", 0)
    if result.chip_seed != seed:
        raise UsageError(
            f"--calibration {calibration}: a calibration of chip seed {result.chip_seed}, not "
            f"of --chip-seed {seed}; give --chip-seed {result.chip_seed}, or calibrate seed "
            f"{seed}"
        )
    args.calibration = result


def _without_name(message: str, name: str) -> str:
    """``message`` without the leading ``name: `` that the calibration file's errors carry."""
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def load_chip(args, *, quiet: bool | None = None):
    """The chip of the common options: ``chipsim.load(args.chip, calibration=...,
    seed=args.chip_seed)``, calibrated for ``args.calibration_target`` through the calibration
    cache when :func:`check_arguments` found ``--calibrate`` or ``--set`` (progress on stderr
    unless quiet)."""
    import sys

    import chipsim

    quiet = getattr(args, "quiet", False) if quiet is None else quiet
    calibration = args.calibration
    target = getattr(args, "calibration_target", None)
    if target is not None:

        def progress(step: str, index: int, total: int) -> None:
            if not quiet:
                print(
                    f"calibrating chip seed {args.chip_seed} [{index + 1}/{total}] {step}",
                    file=sys.stderr,
                    flush=True,
                )

        calibration = chipsim.calibrate(args.chip, target, seed=args.chip_seed, progress=progress)
    return chipsim.load(args.chip, calibration=calibration, seed=args.chip_seed)
