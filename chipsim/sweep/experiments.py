"""What a sweep's cell measures: the experiments, their axes, options and metrics, and the one
function that builds a cell's chip.

An experiment is a function ``fn(cell: CellContext) -> dict[str, float]`` (metric name ->
value). It builds its chip with :meth:`CellContext.chip` and reads its settings from
``cell.params`` (axis name -> value) and ``cell.options``. Built-in experiments:

========================  =========================================================================
``mock``                  the reference procedure's mock parameter: ``gain``, ``noise_std``
``characterization``      figures of merit: the mock parameter, gain and noise of sparse events,
                          the dense gain and the saturation onset (in events)
``validity``              where the mock holds: its RMS, bias, fraction of outputs off by more
                          than 1 LSB and noise ratio against the full simulation
``study``                 the transfer study on one chip: float, plain-transfer and
                          hardware-in-the-loop accuracy
========================  =========================================================================

:func:`register` adds an experiment (for example one a test defines).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from hwdesc.rules import SEED_MAX

from .spec import AxisKind


def build_chip(
    description,
    profile: str,
    chip_seed: int,
    targets: dict,
    units: dict | None = None,
    calibrate: bool = False,
):
    """The chip of a cell: chip instance ``chip_seed`` of ``description`` under calibration
    ``profile`` with the calibration target fields ``targets`` (name -> value).

    With ``calibrate`` the chip instance is calibrated by the simulated calibration
    (:func:`chipsim.calibrate`, cached by description, seed and target) for the profile taken as
    a target with the fields ``targets`` changed; instances the calibration failed for are
    reported by a :class:`~chipsim.calibration.CalibrationWarning` (a sweep records it in the
    cell's row). Without, a target field is a knob value: the chip gets a profile that is
    ``profile`` with those knobs overridden (codes as integers; physical values as SI floats,
    ``units`` gives their SI unit). Every experiment builds its chip here.
    """
    from ..chip import Chip

    units = units or {}
    if calibrate:
        from .. import calibration
        from .spec import field_value

        overrides = {k: field_value(v, units.get(k, "")) for k, v in targets.items()}
        target = calibration.profile_target(description, profile)
        result = calibration.calibrate(description, target=target, seed=chip_seed, **overrides)
        return Chip(description, calibration=result, seed=chip_seed)
    if not targets:
        return Chip(description, calibration=profile, seed=chip_seed)
    written = {k: (f"{v!r} {units[k]}" if units.get(k) else v) for k, v in targets.items()}
    name = "sweep"
    return Chip(
        description.with_knobs(written, base=profile, name=name), calibration=name, seed=chip_seed
    )


@dataclass(frozen=True)
class CellContext:
    """What an experiment gets for one cell.

    Attributes:
        description: the chip description.
        profile: the calibration profile the targets start from.
        params: axis name -> value of this cell (settings and calibration targets).
        targets: the calibration target fields among ``params``.
        units: SI unit of each physical target field.
        options: the experiment's validated options.
        calibrate: whether the chip is calibrated by the simulated calibration
            (:func:`build_chip`).
    """

    description: Any
    profile: str
    params: dict
    targets: dict
    units: dict
    options: dict
    calibrate: bool = False

    def chip(self):
        """The cell's chip (see :func:`build_chip`)."""
        return build_chip(
            self.description,
            self.profile,
            int(self.params.get("chip_seed", 0)),
            self.targets,
            self.units,
            self.calibrate,
        )


class Options(BaseModel):
    """Base of experiment options: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Experiment:
    """An experiment a sweep can run.

    Attributes:
        name: its name in sweep files.
        fn: ``fn(cell: CellContext) -> dict`` of metrics (floats; NaN where undefined).
        axes: axis name -> :class:`~chipsim.sweep.spec.AxisKind` it takes.
        metrics: the metric names it returns, in table order.
        options: the pydantic model of its options.
        summary: one line for ``--help``.
        maximize: metrics for which larger is better (the summary's best cell).
    """

    name: str
    fn: Callable
    axes: dict
    metrics: tuple
    options: type = Options
    summary: str = ""
    maximize: tuple = ()
    estimate: Callable | None = None
    """``estimate(description, params, options)``: the chip calls of one cell as a list of
    :func:`chipsim.limits.estimate_run` estimates, checked before the sweep starts."""


#: Registered experiments, by name.
EXPERIMENTS: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add ``experiment`` (replacing one of the same name); returns it."""
    if not isinstance(experiment, Experiment):
        raise TypeError(f"expected an Experiment, got {type(experiment).__name__}")
    EXPERIMENTS[experiment.name] = experiment
    return experiment


# ---- axes the built-in experiments share --------------------------------------------------------


CHIP_SEED = AxisKind(
    "int", 0, 0, description="the chip instance (seed of its fixed pattern)", maximum=SEED_MAX
)
NOISE_SEED = AxisKind(
    "int", 0, 0, description="seed of the inputs and the temporal noise", maximum=SEED_MAX
)
WAIT = AxisKind("int", 5, 0, description="FPGA cycles between events")
SENDS = AxisKind("int", 1, 1, description="how often each input vector is sent")
DATASET_SEED = AxisKind(
    "int", 0, 0, description="seed of the dataset, float training and noise", maximum=SEED_MAX
)
SCALING = AxisKind(
    "str",
    "static",
    choices=("static", "batch", "ema"),
    description="activation quantization scaling",
)

_CHIP_AXES = {
    "chip_seed": CHIP_SEED,
    "noise_seed": NOISE_SEED,
    "wait_between_events": WAIT,
    "num_sends": SENDS,
}


# ---- work estimates (chipsim.limits) -----------------------------------------------------------------


def _run(desc, batch: int, k: int, m: int, p: dict, what: str):
    from .. import limits

    return limits.estimate_run(
        desc,
        (batch, k),
        (k, m),
        num_sends=p.get("num_sends", 1),
        wait_between_events=p.get("wait_between_events", 5),
        what=what,
    )


def _mock_estimate(desc, p: dict, o: dict) -> list:
    """The reference procedure: 20 trial vectors and the batch, 256 inputs x 128 outputs."""
    return [
        _run(desc, 20, 256, 128, p, "the mock measurement's trial vectors"),
        _run(desc, o.get("num_vectors", 50), 256, 128, p, "the mock measurement"),
    ]


def _characterization_estimate(desc, p: dict, o: dict) -> list:
    k, m = desc.tile_shape
    return _mock_estimate(desc, p, {}) + [
        _run(desc, o["repeats"], k, m, p, "the sparse-noise measurement"),
        _run(desc, 32, k, m, p, "the gain against the number of events"),
    ]


def _validity_estimate(desc, p: dict, o: dict) -> list:
    k, m = desc.tile_shape
    grid = len(o["densities"]) * len(o["weights"])
    return _mock_estimate(desc, dict(p, num_sends=1, wait_between_events=5), {}) + [
        _run(desc, o["vectors"], k, m, p, "a validity grid cell") for _ in range(2 * grid)
    ]


def _study_estimate(desc, p: dict, o: dict) -> list:
    """The chip calls of the study without its training: the mock measurement and the test
    samples through a first layer of the largest fan-in (keywords: 1,280 features)."""
    features = 64 if o.get("dataset") == "digits" else 1280
    hidden = o.get("hidden") or 128
    samples = o.get("eval_samples") or (200 if o.get("quick", True) else 1000)
    return _mock_estimate(desc, dict(p, num_sends=1), {}) + [
        _run(
            desc,
            samples,
            features,
            hidden,
            dict(p, num_sends=o.get("max_sends") or 8),
            "the study's test samples on the chip",
        )
    ]


# ---- mock ------------------------------------------------------------------------------------------


class MockOptions(Options):
    per_tile_noise: StrictBool = Field(default=False, description="noise per 128-input tile")
    num_vectors: StrictInt = Field(default=50, ge=2, description="vectors of the measurement batch")


def _mock(cell: CellContext) -> dict:
    from ..models.mock import measure_mock_parameter

    p = cell.params
    par = measure_mock_parameter(
        cell.chip(),
        seed=p["noise_seed"],
        num_sends=p["num_sends"],
        wait_between_events=p["wait_between_events"],
        **cell.options,
    )
    return {"gain": par.gain, "noise_std": par.noise_std}


# ---- characterization ---------------------------------------------------------------------------


class CharacterizationOptions(Options):
    sparse_events: StrictInt = Field(
        default=10, ge=1, description="events of the sparse-noise measurement"
    )
    repeats: StrictInt = Field(
        default=100, ge=2, description="repeats of the sparse-noise measurement"
    )


def _characterization(cell: CellContext) -> dict:
    import numpy as np

    from ..models.mock import measure_mock_parameter
    from ..studies import characterization as ch

    p = cell.params
    chip = cell.chip()
    wait, sends, seed = p["wait_between_events"], p["num_sends"], p["noise_seed"]
    par = measure_mock_parameter(chip, seed=seed, num_sends=sends, wait_between_events=wait)
    k, m = chip.tile_shape
    events = min(cell.options["sparse_events"], k)
    x = np.zeros((cell.options["repeats"], k), dtype=np.int64)
    x[:, :events] = ch.UNIT_ACT
    w = np.full((k, m), ch.UNIT_WEIGHT)
    y = chip.matmul(x, w, num_sends=sends, wait_between_events=wait, noise_seed=seed).astype(
        np.float64
    )
    unit = events * ch.UNIT_ACT * ch.UNIT_WEIGHT * sends
    # gain against the number of same-sign events (as characterization.gain_vs_events, at the
    # cell's wait and num_sends), temporal noise off: where dynamic saturation sets in
    counts = [n for n in range(4, 129, 4) if n <= k] or [k]
    xe = np.zeros((len(counts), k), dtype=np.int64)
    for i, n in enumerate(counts):
        xe[i, :n] = ch.UNIT_ACT
    ye = chip.run(
        xe, w, num_sends=sends, wait_between_events=wait, noise=False, noise_seed=seed
    ).outputs
    gains = (
        np.mean(ye, axis=1) / (np.asarray(counts) * ch.UNIT_ACT * ch.UNIT_WEIGHT * sends)
    ).tolist()
    ref_n = 12 if 12 in counts else counts[0]
    onset = ch.saturation_onset(counts, gains, gains[counts.index(ref_n)], after=ref_n)
    return {
        "mock_gain": par.gain,
        "mock_noise_std": par.noise_std,
        "sparse_gain": float(np.median(y.mean(axis=0))) / unit,
        "sparse_noise": float(np.median(y.std(axis=0, ddof=1))),
        "dense_gain": float(gains[-1]),
        "saturation_onset_events": math.nan if onset is None else float(onset),
    }


# ---- validity ----------------------------------------------------------------------------------------


class ValidityOptions(Options):
    densities: list[float] = Field(
        default=[0.1, 0.3, 1.0], min_length=1, description="input densities"
    )
    weights: list[StrictInt] = Field(default=[16, 63], min_length=1, description="largest weights")
    vectors: StrictInt = Field(default=24, ge=2, description="vectors per density and weight")


def _validity(cell: CellContext) -> dict:
    import numpy as np

    from ..models import validity as va
    from ..models.mock import measure_mock_parameter

    p = cell.params
    chip = cell.chip()
    par = measure_mock_parameter(chip, seed=p["noise_seed"], per_tile_noise=True)
    sur = va.mock_as_surrogate(par, chip.description.geometry.halves, chip.tile_shape[1], "mock")
    o = cell.options
    results = va.evaluate(
        chip,
        {"mock": sur},
        waits=(p["wait_between_events"],),
        sends=(p["num_sends"],),
        densities=tuple(o["densities"]),
        weights=tuple(o["weights"]),
        vectors=o["vectors"],
        seed=p["noise_seed"],
    )
    return {
        "mock_rms": float(np.mean([r.rms["mock"] for r in results])),
        "mock_bias": float(np.mean([r.bias["mock"] for r in results])),
        "mock_frac_off": float(np.mean([r.frac_off["mock"] for r in results])),
        "mock_noise_ratio": float(np.mean([r.noise_ratio["mock"] for r in results])),
        "mock_holds": float(np.mean([r.holds("mock") for r in results])),
        "chip_noise": float(np.mean([r.chip_noise for r in results])),
    }


# ---- the transfer study ------------------------------------------------------------------------


class StudyOptions(Options):
    quick: StrictBool = Field(
        default=True, description="start from the reduced study (StudyConfig.quick)"
    )
    dataset: Literal["keywords", "digits"] = Field(default="keywords", description="the data set")
    n_train: StrictInt | None = Field(default=None, ge=1, description="training samples (keywords)")
    n_test: StrictInt | None = Field(default=None, ge=1, description="test samples (keywords)")
    hidden: StrictInt | None = Field(default=None, ge=1, description="hidden units")
    float_epochs: StrictInt | None = Field(
        default=None, ge=1, description="epochs of float training"
    )
    target_rms: float | None = Field(
        default=None, gt=0, description="RMS layer output aimed at (ADC steps)"
    )
    max_sends: StrictInt | None = Field(
        default=None, ge=1, description="largest num_sends of the translation"
    )
    eval_samples: StrictInt | None = Field(
        default=None, ge=1, description="test samples run on the chip"
    )
    hil_samples: StrictInt | None = Field(
        default=None, ge=1, description="samples of the HIL retraining"
    )
    hil_epochs: StrictInt | None = Field(default=None, ge=0, description="HIL passes; 0 skips HIL")


def _study(cell: CellContext) -> dict:
    import torch

    from ..studies import transfer

    p = cell.params
    o = {k: v for k, v in cell.options.items() if v is not None and k != "quick"}
    config_fields = dict(
        o,
        chip="(sweep)",
        profiles=(cell.profile,),
        seeds=(int(p["chip_seed"]),),
        seed=int(p["dataset_seed"]),
        wait_between_events=int(p["wait_between_events"]),
        scaling=p["scaling"],
        diagnostics=False,
    )
    config = (
        transfer.StudyConfig.quick(**config_fields)
        if cell.options["quick"]
        else transfer.StudyConfig(**config_fields)
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the same float arithmetic on every worker and serially
    try:
        result = transfer.run_study(config, chip_factory=lambda profile, seed: cell.chip())
    finally:
        torch.set_num_threads(threads)
    run = result.runs[0]
    return {
        "plain_accuracy": float(run["plain"]),
        "hil_accuracy": float(run.get("hil", math.nan)),
        "float_accuracy": float(result.float_accuracy_eval),
        "mock_accuracy": float(run["mock"]),
        "gain": float(run["gain"]),
        "noise_std": float(run["noise_std"]),
    }


register(
    Experiment(
        "mock",
        _mock,
        dict(_CHIP_AXES),
        ("gain", "noise_std"),
        MockOptions,
        "the mock parameter by the reference procedure",
        estimate=_mock_estimate,
    )
)
register(
    Experiment(
        "characterization",
        _characterization,
        dict(_CHIP_AXES),
        (
            "mock_gain",
            "mock_noise_std",
            "sparse_gain",
            "sparse_noise",
            "dense_gain",
            "saturation_onset_events",
        ),
        CharacterizationOptions,
        "figures of merit: mock parameter, sparse gain and noise, dense gain, saturation onset",
        maximize=("saturation_onset_events",),
        estimate=_characterization_estimate,
    )
)
register(
    Experiment(
        "validity",
        _validity,
        dict(_CHIP_AXES),
        ("mock_rms", "mock_bias", "mock_frac_off", "mock_noise_ratio", "mock_holds", "chip_noise"),
        ValidityOptions,
        "where the mock agrees with the full simulation",
        maximize=("mock_holds",),
        estimate=_validity_estimate,
    )
)
register(
    Experiment(
        "study",
        _study,
        {
            "chip_seed": CHIP_SEED,
            "dataset_seed": DATASET_SEED,
            "wait_between_events": WAIT,
            "scaling": SCALING,
        },
        ("plain_accuracy", "hil_accuracy", "float_accuracy", "mock_accuracy", "gain", "noise_std"),
        StudyOptions,
        "the transfer study on one chip: plain-transfer and HIL accuracy",
        maximize=("plain_accuracy", "hil_accuracy", "float_accuracy", "mock_accuracy"),
        estimate=_study_estimate,
    )
)
