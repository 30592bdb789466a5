"""``chipsim study transfer``: the transfer study (float training, plain transfer and
hardware-in-the-loop retraining on simulated chips, default vs custom calibration); prints the
table and writes results, the table and a figure."""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Sequence

from hwdesc.rules import DEFAULT_WAIT_BETWEEN_EVENTS

from .cli import UsageError, int_at_least
from .options import add_chip, add_quiet, parse_overrides
from .output import add_out

#: What to install for the study on a machine without a GPU: the CPU build of PyTorch first (the
#: default build pulls about 20 CUDA wheels), then the extra.
TORCH_HINT = (
    "pip install torch --index-url https://download.pytorch.org/whl/cpu && "
    "pip install 'chipsim[torch]'  (CPU only; with a CUDA GPU: pip install 'chipsim[torch]')"
)


def _seeds(text: str):
    """Chip seeds: ``0,3,7`` (a tuple) or ``0-4`` (a range: a long one costs nothing until the
    work estimate has looked at it)."""
    try:
        if "-" in text and "," not in text:
            lo, hi = (int(v) for v in text.split("-"))
            values: Sequence[int] = range(lo, hi + 1)
            if not values or lo < 0:
                raise argparse.ArgumentTypeError(
                    f"expected distinct non-negative seeds, got {text!r}"
                )
            return values
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected seeds like 0,1,2 or 0-4, got {text!r}"
        ) from None
    if not values or min(values) < 0 or len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"expected distinct non-negative seeds, got {text!r}")
    return values


def _seeds_text(seeds) -> str:
    return (
        f"{seeds.start}-{seeds.stop - 1}" if isinstance(seeds, range) else ",".join(map(str, seeds))
    )


#: Input features and classes of the datasets (the layers the chip runs).
_DATASET_SHAPES = {"keywords": (1280, 12), "digits": (64, 10)}


def check_work(config, seeds_text: str | None) -> None:
    """Refuse a study whose chip work (every seed and profile: plain transfer, diagnostics,
    hardware-in-the-loop epochs and evaluation, at the largest num_sends the translation may
    pick) is beyond the limits, before the float training starts."""
    import hwdesc
    from chipsim import limits

    desc = hwdesc.load(config.chip)
    features, classes = _DATASET_SHAPES.get(config.dataset, (1280, 12))
    n = (
        config.eval_samples * (3 if config.diagnostics else 2)
        + config.hil_samples * config.hil_epochs
    )
    # the largest call: an evaluation (batches of up to 4096 test samples); training batches are smaller
    per_call = min(4096, max(config.eval_samples, config.batch_size))
    one = limits.combine(
        [
            limits.estimate_run(
                desc,
                (per_call, features),
                (features, config.hidden),
                num_sends=config.max_sends,
                wait_between_events=config.wait_between_events,
            ),
            limits.estimate_run(
                desc,
                (per_call, config.hidden),
                (config.hidden, classes),
                num_sends=config.max_sends,
                wait_between_events=config.wait_between_events,
            ),
        ],
        "one chip of the study",
    )
    scale = n / per_call
    runs = len(config.seeds) * len(config.profiles)
    study = limits.combine([one], "the study")
    from dataclasses import replace

    study = replace(
        study,
        vectors=int(one.vectors * scale * runs),
        events=int(one.events * scale * runs),
        seconds=one.seconds * scale * runs,
        seconds_fix="pass fewer --chip-seeds (or fewer samples: --eval-samples, --hil-samples, --hil-epochs)",
    )
    try:
        study.check()
    except limits.WorkLimitError as err:
        what = (
            f"--chip-seeds {seeds_text}: {len(config.seeds)} seeds"
            if seeds_text
            else f"{len(config.seeds)} seeds"
        )
        raise UsageError(f"{what} x {len(config.profiles)} calibration profiles: {err}") from None


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _output_layer_target(items: list[str]) -> dict:
    """``[PROFILE:]NAME=VALUE`` items as ``{profile: {field: value}}`` (without a profile: for
    both compared profiles; a profile's own item wins over one for both)."""
    from chipsim.studies.transfer import PROFILES

    both: list[str] = []
    own: dict[str, list[str]] = {p: [] for p in PROFILES}
    for item in items:
        head, sep, rest = item.partition(":")
        if sep and "=" not in head:
            if head not in own:
                raise UsageError(
                    f"--output-layer-target {item!r}: {head!r} is not a compared profile; "
                    f"profiles: {', '.join(PROFILES)} (or give NAME=VALUE for both)"
                )
            own[head].append(rest)
        else:
            both.append(item)
    return {
        p: {
            **parse_overrides(both, option="--output-layer-target"),
            **parse_overrides(own[p], option=f"--output-layer-target {p}:"),
        }
        for p in PROFILES
    }


def _clip_code(text: str):
    """``N`` (both layers) or ``N1,N2`` (first layer, output layer): activation codes 0..31."""
    parts = text.split(",")
    try:
        values = [int(v) for v in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an activation code 0..31 (or two, N1,N2), got {text!r}"
        ) from None
    if len(values) > 2:
        raise argparse.ArgumentTypeError(
            f"expected one code (both layers) or two (first layer, output layer), got {text!r}"
        )
    for value in values:
        if not 0 <= value <= 31:
            raise argparse.ArgumentTypeError(
                f"{value} is out of range; allowed: activation codes 0..31 (0: no clipping)"
            )
    return values[0] if len(values) == 1 else tuple(values)


def run_transfer(args) -> int:
    from chipsim.commands.compile_notice import compile_notice
    from chipsim.studies import transfer as study

    overrides = {
        k: v
        for k, v in dict(
            chip=args.chip,
            dataset=args.dataset,
            seeds=args.chip_seeds,
            scaling=args.scaling,
            eval_samples=args.eval_samples,
            hil_samples=args.hil_samples,
            hil_epochs=args.hil_epochs,
            float_epochs=args.float_epochs,
            target_rms=args.target_rms,
            seed=args.seed,
            wait_between_events=args.wait,
            diagnostics=False if args.no_diagnostics else None,
            calibration=args.compare,
            clip_below=args.clip_below,
        ).items()
        if v is not None
    }
    if args.output_layer_target:
        if (args.compare or "targets") != "targets":
            raise UsageError(
                "--output-layer-target: needs --compare targets (the output layer is "
                "calibrated for a changed target; a profile cannot be changed per layer)"
            )
        overrides["output_layer_target"] = _output_layer_target(args.output_layer_target)
    seeds = overrides.pop("seeds", None)
    try:
        config = (
            study.StudyConfig.quick(**overrides) if args.quick else study.StudyConfig(**overrides)
        )
    except (TypeError, ValueError) as err:  # a target value out of its range
        text = str(err)
        if text.startswith("output_layer_target: "):
            text = "--output-layer-target: " + text.removeprefix("output_layer_target: ")
        raise UsageError(text) from None
    if config.calibration == "targets":
        import hwdesc

        desc = hwdesc.load(config.chip)
        if desc.uncalibrated is None:
            raise UsageError(
                f"chip '{desc.identity.name}' cannot be calibrated (its description has no "
                "`uncalibrated` section): run the study under its profiles with "
                "--compare profiles"
            )
        missing = [p for p in config.profiles if p not in desc.calibration]
        if missing:
            raise UsageError(
                f"chip '{desc.identity.name}' has no calibration profile {missing[0]!r} to "
                f"take as a target; profiles: {', '.join(desc.calibration)}"
            )
    if seeds is not None:  # a range stays lazy until the estimate has seen its length
        from dataclasses import replace

        config = replace(config, seeds=seeds)
    check_work(config, None if args.chip_seeds is None else _seeds_text(args.chip_seeds))
    missing = [name for name in ("torch", "sklearn") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"the study needs PyTorch and scikit-learn ({', '.join(missing)} not "
            f"installed): {TORCH_HINT}"
        )
    if seeds is not None:
        config = replace(config, seeds=tuple(seeds))
    log = None if args.quiet else (lambda msg: print(msg, flush=True))
    t0 = time.perf_counter()
    import chipsim

    chip = chipsim.load(args.chip)
    with compile_notice(quiet=args.quiet, readout=chip.description.geometry.readout):
        chip.matmul([[1]], [[1]], noise_seed=0)  # compiles on first use
    result = study.run_study(config, log=log)
    with args.out.writing() as folder:
        paths = study.save(result, folder)
    print(result.table())
    print(
        f"wall time     {result.wall_seconds:.1f} s ({result.wall_seconds / 60:.1f} min; "
        f"{time.perf_counter() - t0:.1f} s in all)"
    )
    print(f"wrote         {args.out}/: " + ", ".join(p.name for p in paths.values()))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "study",
        help="studies that train networks for the simulated chip",
        description="Studies run on simulated chips.",
    )
    studies = p.add_subparsers(dest="study", metavar="STUDY")
    studies.required = True
    t = studies.add_parser(
        "transfer",
        help="float training vs plain transfer vs hardware-in-the-loop retraining, "
        "default vs custom calibration",
        description="Train an MLP with BatchNorm in float, translate it to hardware numbers "
        "(5-bit activations, 6-bit weights) and run it on simulated chips: as it is (plain "
        "transfer) and after hardware-in-the-loop retraining (forward on the simulator, backward "
        "straight-through), on chip seeds calibrated with the default and with the custom target "
        "(or under the profiles: --compare profiles). Prints the 2 x 2 accuracy table (mean "
        "+- standard deviation over seeds), per-layer figures (gain, noise, saturation), the "
        "float baseline and the wall time; writes OUT/results.json, OUT/table.txt and "
        "OUT/figure.png. The full study takes about 5 minutes on two idle cores (14-20 when "
        "they are shared with other work); --quick runs a reduced one in about 25 s on two "
        "idle cores (about 70 s on shared ones).",
    )
    add_chip(t, default="bss2")
    t.add_argument(
        "--dataset",
        choices=("keywords", "digits"),
        default=None,
        help="keywords: synthetic log-mel spectrograms, 1,280 features (default); "
        "digits: scikit-learn's 8 x 8 digits",
    )
    t.add_argument(
        "--chip-seeds",
        metavar="SEEDS",
        type=_seeds,
        default=None,
        help="the chip instances: seeds of their fixed patterns, e.g. 0-4 or 0,3,7 "
        "(default: 0-4; --quick: 0,1)",
    )
    t.add_argument(
        "--scaling",
        choices=("static", "batch", "ema"),
        default=None,
        help="activation quantization scale (default: static)",
    )
    t.add_argument(
        "--eval-samples",
        type=int_at_least(1),
        default=None,
        help="test samples run on each chip (default: 1000; --quick: 200)",
    )
    t.add_argument(
        "--hil-samples",
        type=int_at_least(1),
        default=None,
        help="training samples for hardware-in-the-loop retraining (default: 3000, all of "
        "them; --quick: 600)",
    )
    t.add_argument(
        "--hil-epochs",
        type=int_at_least(1),
        default=None,
        help="passes of hardware-in-the-loop retraining (default: 3; --quick: 2)",
    )
    t.add_argument(
        "--float-epochs",
        type=int_at_least(1),
        default=None,
        help="epochs of float training (default: 30; --quick: 15)",
    )
    t.add_argument(
        "--target-rms",
        type=_positive_float,
        default=None,
        help="RMS layer output aimed at when translating, ADC steps (default: 40)",
    )
    t.add_argument(
        "--wait",
        type=int_at_least(0),
        default=None,
        help=f"wait_between_events in FPGA cycles (default: {DEFAULT_WAIT_BETWEEN_EVENTS})",
    )
    t.add_argument(
        "--seed",
        metavar="N",
        type=int_at_least(0),
        default=None,
        help="seed of the data set, the float training and retraining, and the temporal "
        "noise of the runs (default: 0); the chip instances are --chip-seeds",
    )
    t.add_argument(
        "--no-diagnostics",
        action="store_true",
        help="skip the plain transfer with the temporal noise off (saves about 15 %% of the time)",
    )
    t.add_argument(
        "--compare",
        choices=("targets", "profiles"),
        default=None,
        help="targets: each chip seed calibrated (chipsim.calibrate, cached; 10-20 s per chip "
        "and target the first time) for the profiles default and custom taken as targets "
        "(default); profiles: the chip description's profiles with their given residual spreads "
        "(the study before the simulated calibration)",
    )
    t.add_argument(
        "--clip-below",
        metavar="N[,N2]",
        type=_clip_code,
        default=None,
        help="activation codes (0..31) below N are sent as 0 (no event), in plain transfer and "
        "in the retraining: N for both layers, N1,N2 for the first and the output layer, e.g. "
        "13,0 for the network's input only (default: 0, off)",
    )
    t.add_argument(
        "--output-layer-target",
        metavar="[PROFILE:]NAME=VALUE",
        action="append",
        help="(repeatable; --compare targets) the output layer runs on the same chip seed "
        "calibrated for the run's target with this field changed, for both targets or, with "
        "PROFILE: in front, for one, e.g. --output-layer-target default:i_synin_gm=600 "
        "--output-layer-target custom:i_synin_gm=300 (the forms of chipsim calibrate --set; "
        "the OTA bias calibration fails for amplitudes much above these)",
    )
    t.add_argument("--quick", action="store_true", help="the reduced study (what CI runs)")
    add_quiet(t)
    add_out(t, "chipsim-study")
    t.set_defaults(func=run_transfer)
