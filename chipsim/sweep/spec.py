"""Sweep files: the schema (pydantic, like :mod:`hwdesc.schema`), safe loading with located
errors (the chip description's machinery: file, line, YAML path, hint), and the expansion of the
axes into cells.

A sweep file::

    sweep_version: 1
    experiment: mock                  # what every cell measures (see `chipsim sweep --help`)
    chip: tutorial                    # a built-in chip, or a path relative to this file
    calibration:
      profile: default                # the profile the target fields start from
      targets:                        # calibration target fields, each an axis
        i_synin_gm: [150, 300, 450]
        tau_syn: {first: 0.32 us, last: 1.28 us, count: 3, spacing: log}
    axes:
      chip_seed: {first: 0, last: 2}
      wait_between_events: [2, 5, 10]
    report: {metric: gain, x: i_synin_gm, y: tau_syn}

Every axis is a list of values, a range (``first``, ``last`` and ``step`` or ``count``) or a
seeded random sample (``random: uniform`` or ``log-uniform``, ``low``, ``high``, ``count``,
``seed``). The cells are the product of all axes.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

import hwdesc
from chipsim import __version__
from hwdesc.errors import ChipDescriptionError
from hwdesc.schema import KNOB_TARGETS, CodeKnob
from hwdesc.source import YamlSource, parse_text, read_file
from hwdesc.units import QuantityError, format_si, parse_quantity
from kernels import CODE_VERSION

#: Version of the sweep format and of the cell keys: a change of either recomputes every cell.
SWEEP_VERSION = 1

Scalar = StrictInt | float | str


class SweepSpecError(ChipDescriptionError):
    """A sweep file was rejected: what was wrong, the file, the line, the YAML path and a hint
    (the attributes of :class:`hwdesc.ChipDescriptionError`)."""

    @classmethod
    def from_error(cls, err: ChipDescriptionError) -> SweepSpecError:
        return cls(
            err.problem, file=err.file, line=err.line, yaml_path=err.yaml_path, hint=err.hint
        )

    def _format(self) -> str:
        text = super()._format()
        return text.replace("<chip description>", "<sweep>", 1) if self.file is None else text


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class RangeAxis(_Section):
    """Evenly spaced values from ``first`` to ``last`` (both included): every ``step``, or
    ``count`` values (``spacing: log`` for a geometric series)."""

    first: Scalar = Field(description="the first value")
    last: Scalar = Field(description="the last value (included)")
    step: StrictInt | float | str | None = Field(
        default=None, description="distance between values"
    )
    count: StrictInt | None = Field(default=None, ge=1, description="number of values")
    spacing: Literal["linear", "log"] = Field(
        default="linear", description="with count: linear or log"
    )


class RandomAxis(_Section):
    """``count`` values drawn at random between ``low`` and ``high`` with a seeded generator (the
    same seed gives the same values)."""

    random: Literal["uniform", "log-uniform"] = Field(description="the distribution")
    low: Scalar = Field(description="lowest value")
    high: Scalar = Field(description="highest value")
    count: StrictInt = Field(ge=1, description="number of values")
    seed: StrictInt = Field(ge=0, description="seed of the draw")


Axis = list[Scalar] | RangeAxis | RandomAxis


class CalibrationSpec(_Section):
    """The calibration of every cell: a profile of the chip, and target fields swept over."""

    profile: str = Field(
        default="default", description="the chip's calibration profile the targets start from"
    )
    calibrate: StrictBool = Field(
        default=False,
        description="true: every cell's chip instance is calibrated by the simulated "
        "calibration (chipsim.calibrate, cached) for the profile taken as a target with the "
        "cell's target fields; false: the target fields are knob values of the profile",
    )
    targets: dict[str, Axis] = Field(
        default_factory=dict,
        description="calibration target field -> its values: with calibrate, a field of the "
        "calibration target (leak, tau_mem, tau_syn, i_synin_gm, target_noise, "
        "synapse_dac_bias); without, a knob of the chip; codes and reads are integers, times "
        "unit strings such as '0.64 us'",
    )


class ReportSpec(_Section):
    """What the summary table and the figure show."""

    metric: str = Field(description="the metric shown")
    x: str = Field(description="the axis along the figure's x axis")
    y: str | None = Field(default=None, description="a second axis: a heat map instead of lines")
    maximize: StrictBool | None = Field(
        default=None, description="true: the best cell has the largest metric; false: the smallest"
    )


class SweepFile(_Section):
    """A sweep file (the YAML document)."""

    sweep_version: Literal[1] = Field(description="format of the file; 1 so far")
    experiment: str = Field(description="what each cell measures")
    chip: str = Field(
        description="the chip description: a built-in chip's name, or a path "
        "relative to the sweep file"
    )
    options: dict[str, Any] = Field(default_factory=dict, description="options of the experiment")
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)
    axes: dict[str, Axis] = Field(default_factory=dict, description="axis name -> values")
    report: ReportSpec | None = Field(default=None, description="summary table and figure")


# ---- the validated sweep ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AxisValues:
    """One axis after expansion: its name, kind (``setting`` or ``target``) and values."""

    name: str
    kind: str
    values: tuple
    unit: str = ""  # the SI unit of a physical calibration target (values are SI floats)


@dataclass(frozen=True)
class Cell:
    """One point of a sweep: its index, its key (a hash of the parameters, the options, the
    experiment and the chip description) and the parameters (axis name -> value)."""

    index: int
    key: str
    params: dict


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the experiment, the chip description and the expanded axes.

    Build one with :func:`load_spec` / :func:`loads_spec`; :func:`chipsim.sweep.run` runs it.

    Attributes:
        experiment: name of the experiment (a key of :data:`chipsim.sweep.experiments.EXPERIMENTS`).
        options: the experiment's validated options.
        chip_path: path of the chip description as resolved.
        description: the validated chip description.
        profile: the calibration profile the targets start from.
        axes: the axes, in the file's order (settings first, then calibration targets).
        report: what the summary and figure show (or ``None``).
        file: the sweep file (``None`` when loaded from text).
        calibrate: whether every cell's chip is calibrated by the simulated calibration for
            the profile taken as a target (the target axes are fields of that target) rather
            than run with the profile's knobs overridden (the target axes are knobs).
    """

    experiment: str
    options: dict
    chip_path: str
    description: Any
    profile: str
    axes: tuple
    report: ReportSpec | None = None
    file: str | None = None
    calibrate: bool = False

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def target_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes if a.kind == "target")

    @property
    def description_hash(self) -> str:
        """SHA-256 of the validated chip description (its canonical JSON): comments and layout
        of the YAML do not change it, any value does."""
        return hashlib.sha256(self.description.model_dump_json().encode()).hexdigest()

    def __len__(self) -> int:
        return math.prod(len(a.values) for a in self.axes)

    def cells(self) -> list[Cell]:
        """Every cell: the product of the axes, the last axis varying fastest."""
        names = self.axis_names
        base = {
            "sweep_version": SWEEP_VERSION,
            # the code that measures a cell: a resumed sweep never mixes rows of other versions
            "software": __version__,
            "kernels": CODE_VERSION,
            "experiment": self.experiment,
            "options": self.options,
            "description": self.description_hash,
            "profile": self.profile,
        }
        if self.calibrate:  # the calibration's steps are part of what a cell measures
            from ..calibration.result import PROCEDURE_VERSION

            base["calibrate"] = PROCEDURE_VERSION
        out = []
        for index, values in enumerate(itertools.product(*(a.values for a in self.axes))):
            params = dict(zip(names, values))
            text = json.dumps({**base, "params": params}, sort_keys=True, default=_json_default)
            out.append(Cell(index, hashlib.sha256(text.encode()).hexdigest()[:24], params))
        return out


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot hash {type(value).__name__}")


# ---- loading -----------------------------------------------------------------------------------------


def load_spec(path: str | Path) -> SweepSpec:
    """Load and validate the sweep file at ``path``; raises :class:`SweepSpecError` (a
    ``ValueError``) naming the file, the line, the YAML path and how to fix it."""
    try:
        source = read_file(path)
    except ChipDescriptionError as err:
        raise SweepSpecError.from_error(err) from None
    return from_source(source, base_dir=Path(path).parent)


def loads_spec(text: str, file: str | None = None, base_dir: str | Path = ".") -> SweepSpec:
    """Load a sweep from YAML ``text``; the chip path is relative to ``base_dir``."""
    try:
        source = parse_text(text, file=file)
    except ChipDescriptionError as err:
        raise SweepSpecError.from_error(err) from None
    return from_source(source, base_dir=Path(base_dir))


def from_source(source: YamlSource, base_dir: Path) -> SweepSpec:
    """Validate a parsed sweep file (``base_dir``: the folder relative paths start from)."""
    from hwdesc.loader import validate

    from .experiments import EXPERIMENTS

    if not isinstance(source.data, dict):
        raise SweepSpecError.from_error(
            source.error(
                "the document is not a mapping",
                hint="a sweep file starts with 'sweep_version: 1'; "
                "see `chipsim sweep --help` for an example",
            )
        )
    try:
        raw = validate(SweepFile, source)
    except ChipDescriptionError as err:
        raise SweepSpecError.from_error(err) from None

    def fail(problem: str, path: tuple, hint: str = "") -> SweepSpecError:
        return SweepSpecError.from_error(source.error(problem, path, hint))

    experiment = EXPERIMENTS.get(raw.experiment)
    if experiment is None:
        close = difflib.get_close_matches(raw.experiment, list(EXPERIMENTS), n=1, cutoff=0.5)
        raise fail(
            f"unknown experiment {raw.experiment!r}",
            ("experiment",),
            (f"did you mean '{close[0]}'? " if close else "")
            + f"experiments: {', '.join(EXPERIMENTS)}",
        )
    options = _options(experiment, raw.options, source)

    chip_path = Path(raw.chip)
    if not chip_path.is_absolute():
        chip_path = base_dir / chip_path
    if not chip_path.is_file():  # a built-in chip by name (hwdesc.builtin), unless a file wins
        from hwdesc.builtin import builtin_chips, is_name

        if is_name(raw.chip) and raw.chip in builtin_chips():
            chip_path = builtin_chips()[raw.chip]
    try:
        description = hwdesc.load(chip_path)
    except ChipDescriptionError as err:
        if err.problem in ("no such file", "this is a folder, not a file"):
            raise fail(
                f"{err.problem}: {chip_path}",
                ("chip",),
                "give a built-in chip's name (`chipsim list-chips`) or a path relative "
                "to the sweep file's folder",
            ) from None
        raise
    if raw.calibration.profile not in description.calibration:
        raise fail(
            f"the chip has no calibration profile {raw.calibration.profile!r}",
            ("calibration", "profile"),
            f"profiles: {', '.join(description.calibration)}",
        )

    axes = []
    for name, axis in raw.axes.items():
        path: tuple = ("axes", name)
        if name not in experiment.axes:
            hint = f"axes of experiment '{experiment.name}': {', '.join(experiment.axes)}"
            if name in description.knobs:
                hint = (
                    f"'{name}' is a calibration target field: put it under calibration.targets; "
                    + hint
                )
            else:
                close = difflib.get_close_matches(name, list(experiment.axes), n=1, cutoff=0.5)
                hint = (f"did you mean `{close[0]}`? " if close else "") + hint
            raise fail(f"experiment '{experiment.name}' has no axis '{name}'", path, hint)
        kind = experiment.axes[name]
        values = _expand(
            axis, kind, lambda problem, sub=(), hint="", p=path: fail(problem, p + sub, hint)
        )
        axes.append(AxisValues(name, "setting", values))
    # settings the file does not sweep take their default, so that every row is explicit
    axes = [
        AxisValues(name, "setting", (kind.default,))
        for name, kind in experiment.axes.items()
        if name not in raw.axes and kind.default is not None
    ] + axes

    base_target = None
    if raw.calibration.calibrate:
        base_target = _base_target(description, raw.calibration.profile, fail)
    for name, axis in raw.calibration.targets.items():
        path = ("calibration", "targets", name)
        if base_target is not None:
            if name in experiment.axes:
                raise fail(
                    f"'{name}' is both a calibration target field and an axis of the experiment",
                    path,
                    "sweep it as one of them",
                )
            axes.append(
                _field_axis(
                    description,
                    base_target,
                    name,
                    axis,
                    lambda problem, sub=(), hint="", p=path: fail(problem, p + sub, hint),
                )
            )
            continue
        knob = description.knobs.get(name)
        if knob is None:
            close = difflib.get_close_matches(name, list(description.knobs), n=1, cutoff=0.5)
            raise fail(
                f"the chip has no calibration target field (knob) '{name}'",
                path,
                (f"did you mean `{close[0]}`? " if close else "")
                + f"knobs: {', '.join(description.knobs)}",
            )
        if name in experiment.axes:
            raise fail(
                f"'{name}' is both a knob and an axis of the experiment", path, "rename the knob"
            )
        axes.append(
            _target_axis(
                description,
                raw.calibration.profile,
                name,
                knob,
                axis,
                lambda problem, sub=(), hint="", p=path: fail(problem, p + sub, hint),
            )
        )

    report = raw.report
    if report is not None:
        names = [a.name for a in axes]
        for field in ("x", "y"):
            value = getattr(report, field)
            if value is not None and value not in names:
                raise fail(
                    f"'{value}' is not an axis of this sweep",
                    ("report", field),
                    f"axes: {', '.join(names)}",
                )
        if report.y is not None and report.y == report.x:
            raise fail(
                "x and y name the same axis", ("report", "y"), "pick two different axes, or drop y"
            )
        if report.metric not in experiment.metrics:
            close = difflib.get_close_matches(
                report.metric, list(experiment.metrics), n=1, cutoff=0.5
            )
            raise fail(
                f"experiment '{experiment.name}' has no metric '{report.metric}'",
                ("report", "metric"),
                (f"did you mean `{close[0]}`? " if close else "")
                + f"metrics: {', '.join(experiment.metrics)}",
            )
    return SweepSpec(
        experiment.name,
        options,
        str(chip_path),
        description,
        raw.calibration.profile,
        tuple(axes),
        report,
        source.file,
        raw.calibration.calibrate,
    )


def _options(experiment, options: dict, source: YamlSource) -> dict:
    """The experiment's options validated by its model, errors located under ``options``."""
    from hwdesc.loader import validate

    lines = {path[1:]: line for path, line in source.lines.items() if path[:1] == ("options",)}
    sub = YamlSource(data=options, file=source.file, lines=lines)
    try:
        return validate(experiment.options, sub).model_dump()
    except ChipDescriptionError as err:
        path = "options" + ("." + err.yaml_path if err.yaml_path else "")
        raise SweepSpecError(
            err.problem,
            file=err.file,
            line=err.line or source.line_of(("options",)),
            yaml_path=path,
            hint=err.hint,
        ) from None


@dataclass(frozen=True)
class AxisKind:
    """What an axis of an experiment takes: ``int`` (with a lower bound), ``str`` (one of
    ``choices``); and its value when the sweep does not set it."""

    type: str
    default: Any = None
    minimum: int = 0
    choices: tuple = ()
    description: str = ""
    maximum: int | None = None


def _expand(axis, kind: AxisKind, fail) -> tuple:
    """The values of a setting axis, checked against its kind."""
    if kind.type == "str":
        if not isinstance(axis, list):
            raise fail("this axis takes a list of names", (), f"allowed: {', '.join(kind.choices)}")
        for i, v in enumerate(axis):
            if v not in kind.choices:
                raise fail(f"{v!r} is not allowed", (i,), f"allowed: {', '.join(kind.choices)}")
        values = tuple(axis)
    else:
        values = _numbers(axis, integer=True, fail=fail, parse=lambda v, sub: _as_int(v, sub, fail))
        for i, v in enumerate(values):
            if v < kind.minimum or (kind.maximum is not None and v > kind.maximum):
                allowed = (
                    f"an integer >= {kind.minimum}"
                    if kind.maximum is None
                    else f"an integer {kind.minimum}..{kind.maximum}"
                )
                raise fail(
                    f"value {v} is out of range",
                    (i,) if isinstance(axis, list) else (),
                    f"allowed: {allowed}",
                )
    if not values:
        raise fail("the axis has no values", (), "give at least one value")
    if len(set(values)) != len(values):
        dup = next(v for v in values if values.count(v) > 1)
        raise fail(f"the value {dup!r} appears twice", (), "each value of an axis once")
    return tuple(values)


def _tidy(value: float) -> float:
    """A computed range value to 12 significant digits: ``0.64 us`` rather than
    ``6.400000000000005e-07`` s (far below any tolerance of the chip)."""
    return float(f"{float(value):.12g}")


def _as_int(value, sub, fail) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise fail(f"expected an integer, got {value!r}", sub, "write a whole number")
    return int(value)


def _numbers(axis, integer: bool, fail, parse) -> tuple:
    """Expand a list, range or random axis into numbers; ``parse(value, subpath)`` reads one."""
    if isinstance(axis, list):
        return tuple(parse(v, (i,)) for i, v in enumerate(axis))
    if isinstance(axis, RangeAxis):
        first, last = parse(axis.first, ("first",)), parse(axis.last, ("last",))
        if (axis.step is None) == (axis.count is None):
            if integer and axis.step is None and axis.count is None:
                step = 1
            else:
                raise fail(
                    "a range takes either 'step' or 'count'",
                    (),
                    "e.g. {first: 150, last: 600, step: 150}",
                )
        if axis.count is not None:
            if axis.spacing == "log":
                if first <= 0 or last <= 0:
                    raise fail("a log range needs positive ends", (), "use spacing: linear")
                raw = np.geomspace(first, last, axis.count)
            else:
                raw = np.linspace(first, last, axis.count)
            if integer:
                if not np.allclose(raw, np.round(raw), rtol=0, atol=1e-9):
                    raise fail(
                        f"{axis.count} values from {first} to {last} are not whole numbers "
                        f"({', '.join(f'{v:g}' for v in raw)})",
                        ("count",),
                        "use a 'step', or a count that divides the range evenly",
                    )
                return tuple(int(round(v)) for v in raw)
            return tuple(_tidy(v) for v in raw)
        if axis.spacing != "linear":
            raise fail("spacing: log goes with 'count'", ("spacing",), "give count instead of step")
        if axis.step is not None:
            step = parse(axis.step, ("step",))
        if not step > 0:
            raise fail(
                "the step must be positive", ("step",), "write first <= last and a positive step"
            )
        if last < first:
            raise fail(f"last ({last}) is below first ({first})", ("last",), "write first <= last")
        n = int(math.floor((last - first) / step * (1 + 1e-12))) + 1
        if n > 1_000_000:
            raise fail(f"the range has {n} values", ("step",), "use a larger step")
        if integer:
            return tuple(int(first + i * step) for i in range(n))
        return tuple(_tidy(first + i * step) for i in range(n))
    # random
    low, high = parse(axis.low, ("low",)), parse(axis.high, ("high",))
    if not low < high:
        raise fail(f"low ({low}) must be below high ({high})", ("high",), "write low < high")
    rng = np.random.default_rng([axis.seed, 0x5357454550])
    if axis.random == "log-uniform":
        if low <= 0:
            raise fail("log-uniform needs a positive low", ("low",), "use random: uniform")
        draws = np.exp(rng.uniform(math.log(low), math.log(high), axis.count))
    else:
        draws = rng.uniform(low, high, axis.count)
    if integer:
        if axis.random == "uniform":
            if high - low + 1 < axis.count:
                raise fail(
                    f"only {high - low + 1} integers lie in {low}..{high}",
                    ("count",),
                    "lower count or widen the range",
                )
            return tuple(
                int(v) for v in rng.choice(np.arange(low, high + 1), axis.count, replace=False)
            )
        values = sorted(set(int(round(v)) for v in draws))
        if len(values) < axis.count:
            raise fail(
                f"{axis.count} log-uniform draws gave only {len(values)} distinct integers",
                ("count",),
                "lower count or widen the range",
            )
        return tuple(values)
    return tuple(float(v) for v in draws)


_SI_UNITS = {"conductance": "S", "current": "A", "time": "s", "voltage": "V", "capacitance": "F"}


def _target_values(axis, dimension: str | None, fail) -> tuple:
    """The values of a calibration target axis: integers (``dimension`` None) or quantities of
    ``dimension`` as SI floats; at least one, each once."""
    if dimension is None:
        values = _numbers(axis, True, fail, lambda v, sub: _as_int(v, sub, fail))
    else:

        def parse(v, sub):
            try:
                return parse_quantity(v, dimension)
            except QuantityError as err:
                raise fail(err.problem, sub, err.hint) from None

        values = _numbers(axis, False, fail, parse)
    if not values:
        raise fail("the axis has no values", (), "give at least one value")
    if len(set(values)) != len(values):
        raise fail("a value appears twice", (), "each value of an axis once")
    return values


def _target_axis(description, profile: str, name: str, knob, axis, fail) -> AxisValues:
    """A calibration target axis: code knobs take integer codes, physical knobs quantities
    (kept as SI floats); every value is checked like a profile value of the chip."""
    if isinstance(knob, CodeKnob):
        values = _target_values(axis, None, fail)
        unit = ""
        as_profile = values
    else:
        values = _target_values(axis, KNOB_TARGETS[knob.sets], fail)
        unit = _SI_UNITS[KNOB_TARGETS[knob.sets]]
        as_profile = tuple(f"{v!r} {unit}" for v in values)
    for i, (value, written) in enumerate(zip(values, as_profile)):
        try:
            description.with_knobs({name: written}, base=profile)
        except ValueError as err:
            shown = value if not unit else format_si(value, KNOB_TARGETS[knob.sets])
            raise fail(
                f"the value {shown} is refused: {err}",
                (i,) if isinstance(axis, list) else (),
                "keep every value inside the knob's allowed range",
            ) from None
    return AxisValues(name, "target", tuple(values), unit)


def _base_target(description, profile: str, fail):
    """The calibration target a calibrated sweep starts from: ``profile`` taken as a target
    (:func:`chipsim.calibration.profile_target`), refused with the reason where the chip cannot
    be calibrated for it."""
    from ..calibration import profile_target

    if description.uncalibrated is None:
        raise fail(
            f"chip '{description.identity.name}' has no 'uncalibrated' section: the simulated "
            "calibration has nothing to calibrate",
            ("calibration", "calibrate"),
            "use a chip with an uncalibrated section (bss2, bss2-synin), or calibrate: false "
            "to sweep the profile's knobs",
        )
    try:
        return profile_target(description, profile)
    except ValueError as err:
        raise fail(
            str(err), ("calibration", "profile"), "pick a profile the calibration can target"
        ) from None


def _field_axis(description, target, name: str, axis, fail) -> AxisValues:
    """A calibration target field as an axis of a calibrated sweep: codes and reads take
    integers, times unit strings (kept as SI floats, seconds), the noise target numbers (CADC
    LSB); every value is checked by the target (its allowed range) and by the calibration of
    ``description`` (what it can calibrate)."""
    from ..calibration.procedure import check_target

    fields = target.fields()
    field = fields.get(name)
    if field is None:
        close = difflib.get_close_matches(name, list(fields), n=1, cutoff=0.5)
        raise fail(
            f"'{name}' is not a field of the calibration target ({type(target).__name__})",
            (),
            (f"did you mean `{close[0]}`? " if close else "") + f"fields: {', '.join(fields)}",
        )
    if field.kind in ("code_range", "read_range"):
        raise fail(
            f"'{name}' is a range (two values), which cannot be an axis",
            (),
            f"sweep the scalar fields: {', '.join(n for n, f in fields.items() if not f.kind.endswith('range'))}",
        )
    if field.kind in ("code", "read"):
        values = _target_values(axis, None, fail)
    else:
        values = _target_values(axis, "time" if field.kind == "time" else "dimensionless", fail)
    unit = "s" if field.kind == "time" else ""
    for i, value in enumerate(values):
        where = (i,) if isinstance(axis, list) else ()
        try:
            changed = target.with_overrides(**{name: field_value(value, unit)})
        except (ValueError, TypeError) as err:
            raise fail(
                f"the value {field.show(value)} is refused: {err}",
                where,
                f"allowed: {field.bounds(field.allowed)}",
            ) from None
        try:
            check_target(description, changed)
        except (ValueError, TypeError) as err:
            raise fail(
                f"the value {field.show(value)} is refused: {err}",
                where,
                "sweep a field this chip's calibration calibrates",
            ) from None
    return AxisValues(name, "target", tuple(values), unit)


def field_value(value, unit: str):
    """A target axis value as a calibration target takes it: a time (SI float, ``unit`` "s")
    as a unit string, anything else as it is."""
    return f"{float(value)!r} s" if unit == "s" else value
