"""The options every subcommand shares, declared once: the chip (positional), ``--calibration``,
``--chip-seed``, ``--noise-seed``, ``--quiet`` (and ``--out``/``--force`` in :mod:`.output`), and
their checks, which run after parsing and before any work (:func:`check_arguments`)."""

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


def add_calibration(parser) -> None:
    parser.add_argument(
        "--calibration",
        metavar="PROFILE",
        default="default",
        help="calibration profile of the chip (default: %(default)s)",
    )


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

        profiles = hwdesc.load(path).calibration  # a description that does not validate: exit 1
        calibration = getattr(args, "calibration", None)
        if calibration is not None:
            if calibration not in profiles:
                raise UsageError(
                    f"--calibration {calibration}: the chip {chip} has no calibration "
                    f"profile {calibration!r}; its profiles: {', '.join(profiles)}"
                )
    if getattr(args, "atomic_out", False):  # commands that declared --out with add_out
        from .output import OutputFolder

        args.out = OutputFolder.check(args.out, force=getattr(args, "force", False))
