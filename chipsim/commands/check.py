"""``chipsim check CHIP``: validate a chip description and print its summary."""

from __future__ import annotations

import argparse
from typing import Any

from .options import add_chip


def work_report(chip) -> tuple[list[str], Any]:
    """Lines on the work a vector of ``chip`` takes (steps, fixed pattern, trace) against the
    limits, and the description's estimate (checked by the caller)."""
    from chipsim import limits
    from eventsim import Program
    from eventsim.schedule import max_num_sends, max_wait
    from hwdesc import format_si

    lim = limits.current()
    parts = limits.description_parts(chip)
    k = chip.tile_shape[0]
    prog = Program.from_chip(chip)
    top_wait = limits.max_wait_for_steps(chip, k, 1, lim.steps_per_vector)
    top_sends = limits.max_sends_for_steps(chip, k, 5, lim.steps_per_vector)
    lines = [
        "work per vector (limits: docs/limits.md):",
        f"  integration steps of a full vector at wait_between_events 5, num_sends 1: "
        f"{parts['steps_nominal']:,} of dt = {format_si(chip.analog.dt, 'time')} "
        f"(limit {lim.steps_per_vector:,} per vector)",
        f"  within the step limit: wait_between_events <= {top_wait:,} at num_sends 1, "
        f"num_sends <= {top_sends:,} at wait_between_events 5 (the schedule can represent "
        f"wait_between_events <= {max_wait(prog, 1):,}, num_sends <= {max_num_sends(prog, 5):,})",
        f"  fixed pattern: {limits.format_bytes(parts['pattern_bytes'])} while drawn "
        f"(limit {limits.format_bytes(lim.memory_bytes)}: {lim.memory_source})",
        f"  trace: {limits.format_bytes(parts['trace_bytes_per_vector_column'])} per recorded "
        "vector and column at wait_between_events 5",
    ]
    return lines, limits.estimate_description(chip, f"chip '{chip.identity.name}'")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    import eventsim
    import hwdesc
    from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

    chip = hwdesc.load(args.chip)
    lines, estimate = work_report(chip)
    print(hwdesc.summary(chip))
    print("\n".join(lines))
    estimate.check()  # refuses a description whose vectors or fixed pattern are beyond the limits
    k, m = chip.tile_shape
    full = np.full((1, chip.geometry.halves, k), chip.formats.input.max, dtype=np.int64)
    run_ = eventsim.simulate(
        chip, full, num_sends=DEFAULT_NUM_SENDS, wait_between_events=DEFAULT_WAIT_BETWEEN_EVENTS
    )
    print(
        f"\none full vector on every half ({chip.geometry.halves} x {k} inputs x {m} outputs), "
        f"num_sends {DEFAULT_NUM_SENDS}, wait_between_events {DEFAULT_WAIT_BETWEEN_EVENTS}:"
    )
    print(eventsim.format_report(run_))
    print(f"\n{args.chip}: OK")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="validate a chip YAML and print a summary",
        description="Validate a chip description and print its geometry, number formats, "
        "calibration profiles (knob codes and the physical values they set), the per-vector "
        "schedule with the time one full vector takes, the energy table, the work of a vector "
        "(integration steps, fixed-pattern and trace sizes) against the limits, and the "
        "throughput and energy per MAC of one full vector on every half. Exit code 0 when the "
        "file is valid; 1 with a message naming file, line and YAML path when it is not, or "
        "when its vectors or fixed pattern are beyond the limits (docs/limits.md); 2 when there "
        "is no such file or built-in chip.",
    )
    add_chip(p)
    p.set_defaults(func=run)
