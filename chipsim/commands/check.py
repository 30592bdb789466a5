"""``chipsim check CHIP.yaml``: validate a chip description and print its summary."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    import eventsim
    import hwdesc
    import numpy as np
    from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

    chip = hwdesc.load(args.chip)
    print(hwdesc.summary(chip))
    k, m = chip.tile_shape
    full = np.full((1, chip.geometry.halves, k), chip.formats.input.max, dtype=np.int64)
    run_ = eventsim.simulate(chip, full, num_sends=DEFAULT_NUM_SENDS,
                            wait_between_events=DEFAULT_WAIT_BETWEEN_EVENTS)
    print(f"\none full vector on every half ({chip.geometry.halves} x {k} inputs x {m} outputs), "
          f"num_sends {DEFAULT_NUM_SENDS}, wait_between_events {DEFAULT_WAIT_BETWEEN_EVENTS}:")
    print(eventsim.format_report(run_))
    print(f"\n{args.chip}: OK")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "check",
        help="validate a chip YAML and print a summary",
        description="Validate a chip description and print its geometry, number formats, "
        "calibration profiles (knob codes and the physical values they set), the per-vector "
        "schedule with the time one full vector takes, the energy table, and the throughput and "
        "energy per MAC of one full vector on every half. Exit code 0 when the file is valid; 1 "
        "with a message naming file, line and YAML path when it is not.",
    )
    p.add_argument("chip", metavar="CHIP.yaml", help="path of the chip description")
    p.set_defaults(func=run)
