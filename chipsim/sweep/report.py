"""The summary table and the figure of a sweep: a metric against one axis (lines) or two (a
heat map), averaged over the other axes (e.g. chip seeds), with the best setting."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hwdesc.units import format_si

from .experiments import EXPERIMENTS

_DIMENSIONS = {"S": "conductance", "A": "current", "s": "time", "V": "voltage", "F": "capacitance"}


def _shown(value, unit: str) -> str:
    if unit and isinstance(value, float):
        return format_si(value, _DIMENSIONS[unit])
    return str(value)


def _units(spec) -> dict:
    return {a.name: a.unit for a in spec.axes}


def groups(result, metric: str, by: tuple[str, ...]) -> dict:
    """(value of each ``by`` axis) -> finite values of ``metric`` over the other axes, from the
    rows without error; every combination of the axes' values is a key (possibly empty)."""
    import itertools

    axes = {a.name: a.values for a in result.spec.axes}
    out: dict[tuple, list] = {
        combo: [] for combo in itertools.product(*(axes[name] for name in by))
    }
    for row in result.rows:
        if row.get("error") is not None:
            continue
        value = row.get(metric)
        if value is None or not math.isfinite(value):
            continue
        out[tuple(row[name] for name in by)].append(float(value))
    return out


def _stats(values: list[float]) -> tuple[float, float, int]:
    if not values:
        return math.nan, math.nan, 0
    arr = np.asarray(values)
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0, int(arr.size)


def _maximize(spec) -> bool | None:
    """True: larger is better; False: smaller is; None: the metric has no direction (the
    summary then names the largest and smallest instead of a best)."""
    report = spec.report
    if report.maximize is not None:
        return report.maximize
    return True if report.metric in EXPERIMENTS[spec.experiment].maximize else None


def summary(result) -> str:
    """The text summary: what ran, then the report's metric per value of its axes (mean +-
    sample standard deviation over the other axes, and how many), and the best setting."""
    spec = result.spec
    done = len(result.rows) - result.failed
    lines = [
        f"sweep of '{spec.experiment}' on {spec.description.identity.name}: {len(spec)} cells, "
        f"{done} done, {result.failed} failed; this run computed {result.computed} "
        f"(resumed {result.skipped}) in {result.wall_seconds:.1f} s"
        + (
            ""
            if not result.computed
            else f" on {result.workers} workers"
            if result.workers
            else " serially"
        ),
    ]
    if result.stale_rows:
        lines.append(
            f"({result.stale_rows} rows of the results file belong to no cell of this sweep: "
            "an earlier version of it or of the chip description; kept, not shown)"
        )
    axes_line = ", ".join(f"{a.name} ({len(a.values)})" for a in spec.axes if len(a.values) > 1)
    lines.append(f"axes: {axes_line or 'none'}")
    if spec.calibrate:
        lines.append(
            f"chips: each cell's chip instance calibrated (chipsim.calibrate, cached) for the "
            f"profile '{spec.profile}' taken as a target, with the cell's target fields"
        )
        short = [
            r["cell"]
            for r in result.rows
            if r.get("warnings") and "CalibrationWarning" in str(r["warnings"])
        ]
        if short:
            lines.append(
                f"  the calibration failed for some instances in {len(short)} of "
                f"{len(result.rows)} cells: {', '.join(map(str, short[:8]))}"
                f"{', ...' if len(short) > 8 else ''} (column 'warnings')"
            )
    failed = [r for r in result.rows if r.get("error") is not None]
    for row in failed[:5]:
        params = ", ".join(f"{k}={row[k]}" for k in spec.axis_names)
        lines.append(f"  failed cell {row['cell']} ({params}): {row['error'].splitlines()[0]}")
    if len(failed) > 5:
        lines.append(f"  ... and {len(failed) - 5} more failed cells (column 'error')")
    report = spec.report
    metrics = EXPERIMENTS[spec.experiment].metrics
    if report is None:
        lines.append(f"{'metric':<26}{'mean':>14}{'min':>14}{'max':>14}{'n':>6}")
        for m in metrics:
            values = [v for g in groups(result, m, ()).values() for v in g]
            if values:
                lines.append(
                    f"{m:<26}{np.mean(values):>14.6g}{np.min(values):>14.6g}{np.max(values):>14.6g}{len(values):>6}"
                )
        return "\n".join(lines)
    by = (report.x,) + ((report.y,) if report.y else ())
    units = _units(spec)
    table = {k: _stats(v) for k, v in groups(result, report.metric, by).items()}
    over = [a.name for a in spec.axes if a.name not in by and len(a.values) > 1]
    lines.append(
        f"{report.metric}: mean +- sample standard deviation over "
        f"{', '.join(over) if over else 'nothing (one cell each)'}"
    )
    head = "".join(f"{name:>16}" for name in by)
    lines.append(f"{head}{'mean':>14}{'std':>12}{'n':>5}")
    for combo, (mean, std, n) in table.items():
        cells = "".join(f"{_shown(v, units[name]):>16}" for name, v in zip(by, combo))
        lines.append(f"{cells}{mean:>14.6g}{std:>12.4g}{n:>5}")
    valid = {k: v for k, v in table.items() if v[2] > 0}
    direction = _maximize(spec)
    if valid and direction is None:
        for word, pick in (("largest", max), ("smallest", min)):
            at = pick(valid, key=lambda k: valid[k][0])
            where = ", ".join(f"{name} = {_shown(v, units[name])}" for name, v in zip(by, at))
            lines.append(f"{word}: {report.metric} {valid[at][0]:.6g} at {where}")
    elif valid:
        pick = max if direction else min
        best = pick(valid, key=lambda k: valid[k][0])
        worst = (min if pick is max else max)(valid, key=lambda k: valid[k][0])
        ranked = sorted(valid, key=lambda k: valid[k][0], reverse=pick is max)
        second = ranked[1] if len(ranked) > 1 else None
        where = ", ".join(f"{name} = {_shown(v, units[name])}" for name, v in zip(by, best))
        b = valid[best]
        text = f"best: {where}: {report.metric} {b[0]:.6g} +- {b[1]:.3g} (n = {b[2]})"
        if second is not None:
            text += (
                f"; {b[0] - valid[second][0]:+.4g} over the next best, "
                f"{b[0] - valid[worst][0]:+.4g} over the worst"
            )
        lines.append(text)
        base = _profile_point(spec, by)
        if base is not None and base in valid:
            m = valid[base]
            where = ", ".join(f"{name} = {_shown(v, units[name])}" for name, v in zip(by, base))
            lines.append(
                f"the profile '{spec.profile}' ({where}): {report.metric} {m[0]:.6g} +- {m[1]:.3g} "
                f"(n = {m[2]}); the best is {b[0] - m[0]:+.4g} from it"
            )
    return "\n".join(lines)


def _profile_point(spec, by: tuple) -> tuple | None:
    """The values of the base profile's knobs on the report's axes, when they all are
    calibration targets (``None`` otherwise)."""
    from hwdesc.schema import KNOB_TARGETS, CodeKnob
    from hwdesc.units import parse_quantity

    kinds = {a.name: a.kind for a in spec.axes}
    if not all(kinds[name] == "target" for name in by):
        return None
    if spec.calibrate:  # the profile taken as a target: its fields
        from ..calibration import profile_target

        target = profile_target(spec.description, spec.profile)
        return tuple(getattr(target, name) for name in by)
    knobs = spec.description.profile(spec.profile).knobs
    point = []
    for name in by:
        knob = spec.description.knobs[name]
        raw = knobs[name]
        point.append(
            raw if isinstance(knob, CodeKnob) else parse_quantity(raw, KNOB_TARGETS[knob.sets])
        )
    return tuple(point)


def figure(result, path: str | Path) -> Path | None:
    """The report's metric against its x axis, averaged over the axes not shown: a line with
    sample-standard-deviation bars, or a heat map of the means when the report names y too.
    Written to ``path`` (PNG); ``None`` when the sweep has no report."""
    spec = result.spec
    report = spec.report
    if report is None:
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    units = _units(spec)
    axes = {a.name: a.values for a in spec.axes}
    xs = axes[report.x]
    over = [a.name for a in spec.axes if a.name not in (report.x, report.y) and len(a.values) > 1]
    note = f"mean over {', '.join(over)}" if over else "one cell each"
    # A figure of its own on the Agg canvas: no pyplot, no change of the caller's backend.
    fig = Figure(figsize=(6.4, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    if report.y is None:
        table = {k[0]: _stats(v) for k, v in groups(result, report.metric, (report.x,)).items()}
        numeric = all(isinstance(v, (int, float)) for v in xs)
        pos = list(xs) if numeric else list(range(len(xs)))
        means = [table[v][0] for v in xs]
        stds = [table[v][1] for v in xs]
        ax.errorbar(pos, means, yerr=stds, marker="o", capsize=3)
        if not numeric:
            ax.set_xticks(pos, [str(v) for v in xs])
        ax.set_xlabel(report.x + (f" ({units[report.x]})" if units[report.x] else ""))
        ax.set_ylabel(report.metric)
    else:
        ys = axes[report.y]
        table = {
            k: _stats(v) for k, v in groups(result, report.metric, (report.x, report.y)).items()
        }
        grid = np.array([[table[(x, y)][0] for x in xs] for y in ys])
        image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(xs)), [_shown(v, units[report.x]) for v in xs], rotation=30)
        ax.set_yticks(range(len(ys)), [_shown(v, units[report.y]) for v in ys])
        ax.set_xlabel(report.x)
        ax.set_ylabel(report.y)
        finite = grid[np.isfinite(grid)]
        for j in range(len(ys)):
            for i in range(len(xs)):
                if np.isfinite(grid[j, i]):
                    light = finite.size and grid[j, i] < (finite.min() + finite.max()) / 2
                    ax.text(
                        i,
                        j,
                        f"{grid[j, i]:.4g}",
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if light else "black",
                    )
        fig.colorbar(image, ax=ax, label=report.metric)
    ax.set_title(
        f"{spec.experiment} on {spec.description.identity.name}: {report.metric} ({note})",
        fontsize=9,
    )
    path = Path(path)
    fig.savefig(path, dpi=120)
    return path
