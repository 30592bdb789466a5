"""The ``chipsim`` command line. Heavy modules are imported inside the commands, so that
``chipsim --help`` stays fast.

Exit codes, the same for every command:

- 0: done.
- 1: the command ran and failed: a chip description that does not validate (what ``check``
  reports), an error while computing, a file that could not be written (``OSError``).
- 2: the command line is wrong: an unknown option, a bad value, a chip that is neither a file nor
  a built-in name, an unknown calibration profile, an input file that is missing, not an array or
  does not fit the chip, an output folder that cannot be used. Nothing has been computed.
- 130: interrupted (Ctrl-C); nothing partial is left in the output folder.

Every error is one message without a traceback: ``chipsim COMMAND: error: ...``.
"""

from __future__ import annotations

import argparse
import sys


class UsageError(Exception):
    """A bad command-line argument or input file: printed without a traceback, exit code 2."""


class Failure(Exception):
    """The command ran and failed: printed without a traceback, exit code 1."""


def int_at_least(minimum: int):
    """An argparse ``type``: an integer ``>= minimum``, by the rule of :mod:`hwdesc.rules` (the
    message is its own; argparse puts the option's name in front)."""

    def parse(text: str) -> int:
        from hwdesc.rules import out_of_range

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer, got {text!r}; allowed: >= {minimum}"
            ) from None
        problem = out_of_range(value, minimum)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


#: Modules that add a subcommand: each has ``add_parser(subparsers)``. Heavy imports stay
#: inside the command functions, so building the parser is fast.
COMMAND_MODULES = (
    "chipsim.commands.list_chips",
    "chipsim.commands.check",
    "chipsim.commands.calibrate",
    "chipsim.commands.simulate",
    "chipsim.commands.validate_model",
    "chipsim.commands.characterize",
    "chipsim.commands.study",
    "chipsim.commands.sweep",
)


def build_parser() -> argparse.ArgumentParser:
    import importlib

    from chipsim import __version__

    parser = argparse.ArgumentParser(
        prog="chipsim",
        description="Simulate analog mixed-signal matrix-multiply chips described in YAML "
        "(BrainScaleS-2 hagen mode and friends). A chip is a built-in name (`chipsim list-chips`) "
        "or the path of a YAML file.",
        epilog="Exit codes: 0 done, 1 the command failed (e.g. an invalid chip description, a "
        "write error), 2 a wrong command line (nothing computed), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"chipsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chipsim`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    name = args.command if getattr(args, "study", None) is None else f"{args.command} {args.study}"

    def error(message) -> None:
        print(f"chipsim {name}: error: {message}", file=sys.stderr)

    try:
        from .options import check_arguments

        check_arguments(args)
        return args.func(args)
    except UsageError as err:
        error(err)
        return 2
    except (Failure, ValueError, TypeError) as err:  # ChipDescriptionError is a ValueError
        error(err)
        return 1
    except BrokenPipeError:  # e.g. `chipsim check chip.yaml | head`: the reader left
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:
        error(_os_message(err))
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _os_message(err: OSError) -> str:
    """``path: what went wrong`` for an ``OSError`` (both paths for a failed rename)."""
    what = err.strerror or str(err)
    if err.filename is None:
        return what
    if err.filename2 is not None:
        return f"{err.filename} -> {err.filename2}: {what}"
    return f"{err.filename}: {what}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
