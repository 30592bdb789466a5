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


def _cmd_simulate(args: argparse.Namespace) -> int:
    from . import simulate_cmd

    return simulate_cmd.run(args)


def _int_arg(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


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

    sim = sub.add_parser(
        "simulate",
        help="simulate a workload on a chip and write results, a trace and a figure",
        description="Simulate matrix-vector products on the described chip: the event simulator "
        "plays the input events, the analog kernels integrate lines and membranes, the ADC reads "
        "the result. Without --inputs/--weights a default workload runs: one full tile whose "
        "weights sweep from negative to positive across the columns, with input densities from 5 "
        "to 100 %%, so the outputs cover the linear range, the compression and the clip. Prints a "
        "summary (hardware time and throughput, energy per vector and per MAC, output statistics, "
        "saturation, wall time) and writes OUT/results.npz, OUT/trace.json (Perfetto / "
        "chrome://tracing) and OUT/figure.png.",
    )
    sim.add_argument("chip", metavar="CHIP.yaml", help="path of the chip description")
    sim.add_argument("--inputs", metavar="X.npy", help="inputs (batch, K), integers 0..31")
    sim.add_argument("--weights", metavar="W.npy", help="weights (K, M), integers -63..63")
    sim.add_argument("--batch", type=_int_arg(1), default=2000,
                     help="vectors of the default workload (default: %(default)s)")
    sim.add_argument("--num-sends", type=_int_arg(1), default=1,
                     help="times each vector is sent (default: %(default)s)")
    sim.add_argument("--wait", type=_int_arg(0), default=5,
                     help="wait_between_events in FPGA cycles (default: %(default)s)")
    sim.add_argument("--calibration", default="default",
                     help="calibration profile of the chip (default: %(default)s)")
    sim.add_argument("--seed", type=_int_arg(0), default=0,
                     help="chip instance: seed of the fixed pattern (default: %(default)s)")
    sim.add_argument("--noise-seed", type=_int_arg(0), default=0,
                     help="seed of the temporal noise (default: %(default)s)")
    sim.add_argument("--out", default="chipsim-out", help="output folder (default: %(default)s)")
    sim.add_argument("--chunk-size", type=_int_arg(1), default=4096,
                     help="vectors simulated at a time; bounds memory, never changes results "
                     "(default: %(default)s)")
    sim.add_argument("--trace-vectors", type=_int_arg(1), default=16,
                     help="vectors exported to the trace file (default: %(default)s)")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    sim.set_defaults(func=_cmd_simulate)
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
