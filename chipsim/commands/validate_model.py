"""``chipsim validate-model CHIP``: fit the surrogates on a chip and map where each holds
against the detailed simulation (table, statement in words, heat maps, JSON/CSV, fitted models)."""

from __future__ import annotations

import argparse
import time

from .cli import UsageError, int_at_least
from .options import add_calibration, add_chip, add_chip_seed, add_noise_seed, add_quiet, load_chip
from .output import add_out


def _int_list(minimum: int):
    """Comma-separated integers, each by :func:`int_at_least`'s rule."""
    each = int_at_least(minimum)

    def parse(text: str) -> tuple[int, ...]:
        return tuple(each(v) for v in text.split(","))

    return parse


def _density_list(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if any(not 0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"densities must lie in (0, 1], got {text!r}")
    return values


def _weight_list(text: str) -> tuple[int, ...]:
    values = _int_list(1)(text)
    if any(v > 63 for v in values):
        raise argparse.ArgumentTypeError(f"weight magnitudes must lie in 1..63, got {text!r}")
    return values


def check_work(desc, args) -> None:
    """Refuse a grid (``--waits`` x ``--num-sends`` x ``--densities`` x ``--weights`` cells of
    ``--vectors``, run twice) and a fit (``--fit-vectors``) beyond the limits, before any work."""
    import itertools
    import re

    from chipsim import limits

    k, m = desc.tile_shape
    calls = [((-(-args.fit_vectors // 2), k), 1, 5)] * 4 + [
        ((max(-(-args.fit_vectors // 8), 1), k), 3, 5)
    ] * 4
    calls += [
        ((args.vectors, k), s, w)
        for w, s, _, _ in itertools.product(
            args.waits, args.num_sends, args.densities, args.weights
        )
    ] * 2
    try:
        limits.combine(
            [
                limits.estimate_run(
                    desc,
                    shape,
                    (k, m),
                    num_sends=s,
                    wait_between_events=w,
                    what="the model validation",
                )
                for shape, s, w in calls
            ],
            "the model validation",
        ).check()
    except ValueError as err:
        text = str(err)
        for api, option in (("wait_between_events", "--waits"), ("num_sends", "--num-sends")):
            text = re.sub(rf"\b{api}\b(?=\(=|=| <=|\)|,)", option, text)
        raise UsageError(text) from None


def run(args) -> int:
    import csv
    import json

    from chipsim.commands.compile_notice import compile_notice
    from chipsim.models import mock, surrogates, validity

    t_start = time.perf_counter()
    chip = load_chip(args)
    check_work(chip.description, args)
    halves, columns = chip.description.geometry.halves, chip.tile_shape[1]

    print(
        f"chip          {chip.name}, calibration {chip.calibration}, chip seed {chip.seed}; "
        f"noise seed {args.noise_seed}"
    )
    with compile_notice(quiet=args.quiet, readout=chip.description.geometry.readout):
        details = mock.measure_mock_parameter_details(
            chip, seed=args.noise_seed, per_tile_noise=True
        )
    measured = details.parameter
    print(
        f"mock measured gain {measured.gain:.5f}, noise_std {details.noise_std_of_sum:.3f} "
        f"(reference procedure: two tiles summed), {measured.noise_std:.3f} per tile (used below)"
    )
    data = surrogates.fit_data(chip, num_vectors=args.fit_vectors, seed=args.noise_seed)
    info = {
        "chip": chip.name,
        "calibration": chip.calibration,
        "seed": chip.seed,
        "fit_seed": args.noise_seed,
    }
    col = surrogates.fit(data, "column", info=info)
    nonlin = surrogates.fit(data, "column_nonlinear", info=info)
    sur = {
        "mock (reference 0.002/2.0)": validity.mock_as_surrogate(
            mock.MockParameter(), halves, columns, "reference"
        ),
        f"mock (measured {measured.gain:.5f}/{measured.noise_std:.2f})": validity.mock_as_surrogate(
            measured, halves, columns, "measured"
        ),
        "column gain/offset": col,
        "column + soft clip": nonlin,
    }
    names = list(sur)
    t_fit = time.perf_counter() - t_start

    def progress(done, total):
        if not args.quiet:
            print(f"\rgrid          {done}/{total} cells", end="", flush=True)

    results = validity.evaluate(
        chip,
        sur,
        waits=args.waits,
        sends=args.num_sends,
        densities=args.densities,
        weights=args.weights,
        vectors=args.vectors,
        seed=args.noise_seed,
        progress=progress,
    )
    if not args.quiet:
        print()
    text_table = validity.table(results, names)
    words = validity.summary(results, names)
    print(text_table)
    print()
    print(words)

    recs = validity.to_records(results, names)
    figs = []
    with args.out.writing() as out:
        surrogates.save_mock_parameter(measured, out / "mock_parameter.json", info=info)
        col.save(out / "surrogate_column.json")
        nonlin.save(out / "surrogate_column_nonlinear.json")
        with open(out / "validity.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(recs[0]))
            writer.writeheader()
            writer.writerows(recs)
        (out / "validity.json").write_text(
            json.dumps(
                {
                    "chip": info,
                    "mock_measured": measured.to_dict(),
                    "reference_form": surrogates.reference_form(measured),
                    "aihwkit_io_terms": surrogates.aihwkit_io_terms(measured, nonlin),
                    "criteria": {
                        "rms_max": validity.HOLD_RMS,
                        "abs_bias_max": validity.HOLD_BIAS,
                        "noise_ratio": list(validity.HOLD_NOISE_RATIO),
                    },
                    "summary": words,
                    "cells": recs,
                },
                indent=1,
            )
            + "\n"
        )
        (out / "validity.txt").write_text(
            validity.table(results, names, full=True) + "\n\n" + words + "\n"
        )
        for metric, title in (
            ("rms", "RMS error vs the detailed simulation (LSB)"),
            ("bias", "bias vs the detailed simulation (LSB)"),
            ("noise_ratio", "predicted / simulated noise std"),
        ):
            path = out / f"validity_{metric}.png"
            validity.heatmaps(results, names, metric, path, f"{chip.name}: {title}")
            figs.append(path.name)
    total = time.perf_counter() - t_start
    print(f"\nreference form  {surrogates.reference_form(measured)}")
    print(
        f"wall time     {total:.1f} s ({t_fit:.1f} s measuring and fitting, {len(results)} cells x "
        f"{args.vectors} vectors)"
    )
    print(
        f"wrote         {args.out}/: validity.txt, validity.csv, validity.json, mock_parameter.json, "
        f"surrogate_column.json, surrogate_column_nonlinear.json, {', '.join(figs)}"
    )
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "validate-model",
        help="fit the simplified models on a chip and map where each holds",
        description="Measure the mock parameters on the chip with the reference procedure, fit "
        "the per-column surrogates from the detailed simulation, then compare every surrogate "
        "with the simulation over a grid of wait_between_events, num_sends, input density and "
        "weight magnitude (one tile: 128 x 256 on bss2, 256 x 128 on bss2-synin; random inputs and "
        "mostly-positive random weights). "
        "Prints the table (RMS, bias, fraction of outputs off by more than 1 LSB, noise ratio) "
        "and, in words, where each surrogate holds; writes heat maps (PNG), CSV/JSON and the "
        "fitted models to OUT.",
    )
    add_chip(p)
    add_calibration(p)
    add_chip_seed(p)
    add_noise_seed(p, "the random inputs and the temporal noise")
    p.add_argument(
        "--waits",
        type=_int_list(0),
        default=(2, 5, 10, 25),
        help="wait_between_events values (default: 2,5,10,25)",
    )
    p.add_argument(
        "--num-sends",
        type=_int_list(1),
        default=(1, 2, 4),
        help="num_sends values (default: 1,2,4)",
    )
    p.add_argument(
        "--densities",
        type=_density_list,
        default=(0.1, 0.3, 1.0),
        help="input densities (default: 0.1,0.3,1)",
    )
    p.add_argument(
        "--weights",
        type=_weight_list,
        default=(16, 63),
        help="weight magnitudes m: weights uniform in [-m/2, m] (default: 16,63)",
    )
    p.add_argument(
        "--vectors",
        type=int_at_least(2),
        default=24,
        help="vectors per grid cell (default: %(default)s)",
    )
    p.add_argument(
        "--fit-vectors",
        type=int_at_least(2),
        default=128,
        help="vectors simulated to fit the column surrogates (default: %(default)s)",
    )
    add_out(p, "chipsim-validity")
    add_quiet(p)
    p.set_defaults(func=run)
