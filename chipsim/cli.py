"""The ``chipsim`` command line. Heavy modules are imported inside the commands, so that
``chipsim --help`` stays fast."""

from __future__ import annotations

import argparse
import sys


class UsageError(Exception):
    """A bad command-line argument or input file: printed without a traceback, exit code 2."""


def _cmd_check(args: argparse.Namespace) -> int:
    import hwdesc

    chip = hwdesc.load(args.chip)
    print(hwdesc.summary(chip))
    print(f"\n{args.chip}: OK")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chipsim",
        description="Simulate analog mixed-signal matrix-multiply chips described in YAML "
        "(BrainScaleS-2 hagen mode and friends).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    check = sub.add_parser(
        "check",
        help="validate a chip YAML and print a summary",
        description="Validate a chip description and print its geometry, number formats, "
        "calibration profiles (knob codes and the physical values they set), the per-vector "
        "schedule with the time one full vector takes, and the energy table. Exit code 0 when "
        "the file is valid, 1 with a message naming file, line and YAML path when it is not.",
    )
    check.add_argument("chip", metavar="CHIP.yaml", help="path of the chip description")
    check.set_defaults(func=_cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chipsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"chipsim {args.command}: error: {err}", file=sys.stderr)
        return 2
    except ValueError as err:  # ChipDescriptionError and input-validation errors
        print(f"chipsim {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
