"""The ``chipsim`` command line. Heavy modules are imported inside the commands, so that
``chipsim --help`` stays fast."""

from __future__ import annotations

import argparse
import sys


class UsageError(Exception):
    """A bad command-line argument or input file: printed without a traceback, exit code 2."""


def int_at_least(minimum: int):
    """An argparse ``type``: an integer ``>= minimum``, with a message naming what was wrong."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


#: Modules that add a subcommand: each has ``add_parser(subparsers)``. Heavy imports stay
#: inside the command functions, so building the parser is fast.
COMMAND_MODULES = ("chipsim.commands.check", "chipsim.commands.simulate", "chipsim.commands.validate_model", "chipsim.commands.characterize", "chipsim.commands.study", "chipsim.commands.sweep")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="chipsim",
        description="Simulate analog mixed-signal matrix-multiply chips described in YAML "
        "(BrainScaleS-2 hagen mode and friends).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
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
    except (ValueError, TypeError) as err:  # ChipDescriptionError and input-validation errors
        print(f"chipsim {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `chipsim check chip.yaml | head`: the reader left
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
