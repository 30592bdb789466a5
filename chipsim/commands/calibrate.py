"""``chipsim calibrate CHIP``: calibrate a simulated chip instance for a target and print what
each step left (docs/calibration.md)."""

from __future__ import annotations

import argparse
import sys
import time

from .cli import UsageError
from .options import add_chip, add_chip_seed, add_quiet, add_target_overrides, calibration_target


def figure_path(out):
    """The figure written beside the result file ``out``: its name with ``.png`` (``calib.npz``
    -> ``calib.png``; ``calib`` -> ``calib.png``)."""
    return out.with_suffix(".png") if out.suffix != ".png" else out.with_name(out.name + ".png")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import chipsim
    import hwdesc
    from chipsim.calibration import format_summary, summary
    from chipsim.calibration.procedure import MEANING, UNITS, label

    target = calibration_target(args, hwdesc.load(args.chip))
    out = Path(args.out) if args.out else None
    figure = None if out is None else figure_path(out)
    if out is not None:
        if out.exists() and not args.force:
            raise UsageError(f"--out {args.out}: the file exists; --force replaces it")
        if figure is not None and figure.exists() and not args.force:
            raise UsageError(
                f"--out {args.out}: its figure {str(figure)!r} exists; --force replaces it"
            )
        if not out.parent.is_dir():
            raise UsageError(f"--out {args.out}: the folder {str(out.parent)!r} does not exist")

    ran: list[str] = []

    def progress(step: str, index: int, total: int) -> None:
        ran.append(step)
        if not args.quiet:
            print(f"[{index + 1}/{total}] {step}", file=sys.stderr, flush=True)

    start = time.perf_counter()
    result = chipsim.calibrate(
        args.chip,
        target,
        seed=args.chip_seed,
        cache=not args.no_cache,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    print(f"chip          {args.chip}, chip seed {result.chip_seed}")
    print(f"target        {result.target!r}")
    print(f"time          {seconds:.1f} s" + ("" if ran else " (the cached result)"))
    print()
    print(format_summary(result))
    print()
    for name in (row["quantity"] for row in summary(result)):
        print(f"  {name}: {MEANING.get(name, '')} ({UNITS.get(name, '')})")
    if out is not None and figure is not None:
        from .figures import calibration_figure

        result.save(out)
        calibration_figure(
            figure,
            result,
            title=f"{args.chip}, chip seed {result.chip_seed}: {label(result.target)}",
        )
        print(f"\nwritten       {out}, {figure} (histograms before/after)")
    if not result.ok:
        failed = ", ".join(f"{q}: {n}" for q, n in result.failures.items() if n)
        print(
            f"\nFAILED instances ({failed}): their searches were stopped by the code range; "
            "the chip runs, with these circuits off target",
            file=sys.stderr,
        )
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "calibrate",
        help="calibrate a simulated chip instance for a target (CADC, synapse DAC bias, "
        "synapse drivers, tau_syn, tau_mem, OTA bias, leak and reset per neuron)",
        description="Run the calibration steps against the simulated, uncalibrated chip "
        "instance (the description's `uncalibrated` section), with its temporal noise, in the "
        "reference's order: the CADC to a narrow range, the synapse DAC bias per quadrant, the "
        "synapse drivers (ramp per block, DAC offset per driver), the CADC to the target range "
        "(ramp offset and slope per quadrant, channel offsets), the synapse DAC bias at the "
        "target's value, then the excitatory and inhibitory synaptic time constant of every "
        "neuron to tau_syn, its membrane time constant (leak bias) to tau_mem, its OTA bias to a "
        "common amplitude with that leak on, and its leak and reset levels to the target's leak "
        "read; the leak is then switched off, as in the reference's integration mode. A chip that reads the synaptic input lines (bss2-synin) is "
        "calibrated for the reference's synin target: the CADC to its range, the synapse DAC "
        "bias, the drivers, the synapse DAC bias again (no neuron steps). Prints, per calibrated "
        "quantity, the deviation from the target before (every cell at its nominal code) and "
        "after, and the failed instances. Results are cached by description, chip seed and "
        "target; --out saves the result for `chipsim.load(..., calibration=FILE)` and, beside it "
        "(FILE with .png), a figure of the histograms before and after per quantity.",
        epilog="Example: chipsim calibrate bss2 --chip-seed 3 --set tau_syn=0.64us "
        "--set i_synin_gm=225 --out calib.npz (or --target custom: the profile custom as a "
        "target). Target fields: dynamic_range, read_range, leak, "
        "tau_mem, tau_syn, i_synin_gm, target_noise, synapse_dac_bias (docs/calibration.md). "
        "target_noise=<CADC LSB> adds the reference's leak bias search for that read noise and "
        "the leak and reset levels again. On a synaptic-input chip: dynamic_range, read_range, synapse_dac_bias.",
    )
    add_chip(p)
    add_chip_seed(p)
    add_target_overrides(p)
    p.add_argument(
        "--out",
        metavar="FILE",
        help="save the result to this file (.npz), and beside it the figure of the histograms "
        "before and after (the name with .png)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument(
        "--no-cache", action="store_true", help="calibrate again, without reading or keeping"
    )
    add_quiet(p)
    p.set_defaults(func=run)
