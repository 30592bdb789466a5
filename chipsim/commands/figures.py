"""Figures of a simulation, drawn with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..studies.characterization import LINEAR_LIMIT


def linear_fit(
    ideal: np.ndarray, outputs: np.ndarray, limit: float = LINEAR_LIMIT
) -> tuple[float, float]:
    """Least-squares ``outputs = gain * ideal + offset`` over the outputs with ``|output| <= limit``
    (the linear range of the readout). Returns ``(gain, offset)``; ``(nan, nan)`` if too few points."""
    ideal = np.asarray(ideal, dtype=np.float64).ravel()
    outputs = np.asarray(outputs, dtype=np.float64).ravel()
    keep = np.abs(outputs) <= limit
    if keep.sum() < 2 or np.ptp(ideal[keep]) == 0:
        return float("nan"), float("nan")
    gain, offset = np.polyfit(ideal[keep], outputs[keep], 1)
    return float(gain), float(offset)


def simulation_figure(
    path: str | Path,
    *,
    title: str,
    ideal: np.ndarray,
    outputs: np.ndarray,
    output_range: tuple[int, int],
    trace_time: np.ndarray | None = None,
    trace_membrane: np.ndarray | None = None,
    trace_columns: list[int] | None = None,
    event_times: np.ndarray | None = None,
    read_time: float | None = None,
    timeline: list[tuple] | None = None,
    trace_quantity: str = "membrane",
) -> Path:
    """Write a three-panel PNG: output vs ideal product with the linear fit; membrane traces of a
    few neurons over one vector with its event times; that vector's phase timeline.

    Times are in seconds, membrane voltages in volts; ``timeline`` is ``(name, start, end)`` or
    ``(name, start, end, kind)`` per phase. ``trace_quantity`` names what the traces are (the
    synaptic-input readout records the drop of the excitatory line minus the inhibitory one).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A figure of its own on the Agg canvas: no pyplot, no change of the caller's backend.
    fig = Figure(figsize=(8, 11))
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, gridspec_kw={"height_ratios": [3, 2, 1.6]})
    ax = axes[0]
    ideal = np.asarray(ideal).ravel()
    outputs = np.asarray(outputs).ravel()
    n = ideal.size
    pick = (
        np.random.default_rng(0).choice(n, size=min(n, 20000), replace=False)
        if n > 20000
        else slice(None)
    )
    ax.plot(
        ideal[pick],
        outputs[pick],
        ".",
        ms=2,
        alpha=0.3,
        color="tab:blue",
        label="simulated outputs",
    )
    gain, offset = linear_fit(ideal, outputs)
    if np.isfinite(gain):
        xs = np.linspace(ideal.min(), ideal.max(), 200)
        ax.plot(
            xs,
            np.clip(gain * xs + offset, *output_range),
            "k--",
            lw=1,
            label=f"linear fit for |out| <= {LINEAR_LIMIT}: gain {gain:.5f}, offset {offset:.2f}",
        )
    for level in (-LINEAR_LIMIT, LINEAR_LIMIT):
        ax.axhline(level, color="tab:gray", lw=0.5, ls=":")
    ax.set_xlabel("ideal product x . w")
    ax.set_ylabel("output (LSB)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)

    ax = axes[1]
    if trace_time is not None and trace_membrane is not None:
        t_us = np.asarray(trace_time) * 1e6
        for i, trace in enumerate(np.asarray(trace_membrane)):
            label = f"column {trace_columns[i]}" if trace_columns is not None else None
            ax.plot(t_us, np.asarray(trace) * 1e3, lw=1, label=label)
        if event_times is not None and len(event_times):
            for t in np.asarray(event_times) * 1e6:
                ax.axvline(t, color="tab:red", lw=0.3, alpha=0.4)
        if read_time is not None:
            ax.axvline(read_time * 1e6, color="k", lw=1, ls="--", label="ADC read")
        ax.set_xlabel("time since the reset before the events (us)")
        ax.set_ylabel(f"{trace_quantity} (mV)")
        ax.set_title(f"{trace_quantity} of a few outputs over the first vector (red: event times)")
        ax.legend(loc="upper left", fontsize=8)
    else:
        ax.set_axis_off()

    ax = axes[2]
    if timeline:
        _phase_timeline(ax, timeline)
    else:
        ax.set_axis_off()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


#: Colours of the phase kinds of a chip's phase program, and their names in the legend.
PHASE_KINDS = {
    "reset": ("tab:gray", "reset"),
    "wait": ("tab:olive", "wait"),
    "adc_read": ("tab:purple", "ADC read"),
    "events": ("tab:red", "events"),
    "transfer": ("tab:cyan", "transfer"),
}


def _duration_text(seconds: float) -> str:
    return f"{seconds * 1e9:.0f} ns" if seconds < 1e-6 else f"{seconds * 1e6:.3g} us"


def _phase_timeline(ax, timeline) -> None:
    """Every phase of one vector, named: a bar per phase with a duration (coloured by kind, the
    name inside when it fits), a vertical line per zero-length phase (drawn over the bars, never
    hiding them), and the names that do not fit inside in staggered labels below the bar, with
    a leader line to their phase. A legend names the kinds."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    t0 = min(p[1] for p in timeline)
    total = max(max(p[2] for p in timeline) - t0, 1e-12)
    outside = []
    kinds_seen = []
    for name, start, end, *kind in timeline:
        kind = kind[0] if kind else ""
        color = PHASE_KINDS.get(kind, ("tab:blue", kind))[0]
        if kind not in kinds_seen:
            kinds_seen.append(kind)
        x0, width = (start - t0) * 1e6, max(end - start, 0.0) * 1e6
        text = f"{name} ({_duration_text(end - start)})"
        if width > 0:
            ax.barh(0, width, left=x0, height=0.6, color=color, edgecolor="k", lw=0.5)
            if width >= 0.22 * total * 1e6:
                ax.text(x0 + width / 2, 0, text, ha="center", va="center", fontsize=7)
            else:
                outside.append((x0 + width / 2, text, color))
        else:
            outside.append((x0, text, color))
    for _name, start, end, *kind in timeline:  # zero-length phases over the bars
        if end <= start:
            color = PHASE_KINDS.get(kind[0] if kind else "", ("tab:blue",))[0]
            x = (start - t0) * 1e6
            ax.plot([x, x], [-0.42, 0.42], color=color, lw=2.5, ls=(0, (2, 1)))
            ax.plot([x], [0.47], marker="v", ms=5, color=color, ls="none")
    levels = 4
    for i, (x, text, color) in enumerate(sorted(outside)):
        y = -0.75 - 0.42 * (i % levels)
        ax.annotate(
            text,
            xy=(x, -0.3),
            xytext=(x, y),
            fontsize=6.5,
            ha="center",
            va="top",
            color="k",
            arrowprops=dict(arrowstyle="-", color=color, lw=0.8),
        )
    ax.set_ylim(-0.75 - 0.42 * levels - 0.1, 0.55)
    ax.set_xlim(-0.02 * total * 1e6, 1.02 * total * 1e6)
    ax.set_yticks([])
    ax.set_xlabel("time within the vector (us)")
    ax.set_title("phase timeline of the first vector (dashed lines: phases of zero length)")
    handles: list = [
        Patch(
            facecolor=PHASE_KINDS.get(k, ("tab:blue", k))[0],
            edgecolor="k",
            label=PHASE_KINDS.get(k, ("", k))[1],
        )
        for k in kinds_seen
    ]
    handles.append(Line2D([], [], color="k", lw=2, ls=(0, (2, 1)), label="zero length"))
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.32),
        ncol=len(handles),
        fontsize=7,
        frameon=False,
    )


def calibration_figure(path: str | Path, result, *, title: str = "") -> Path:
    """Write a PNG of a calibration result: per calibrated quantity (in the order of the
    steps), the histogram of the deviation from the target before calibration (every cell at its
    nominal code) and after, on common bins, with their means, standard deviations and
    failures. Written atomically: the PNG goes to a temporary file beside ``path`` and is
    renamed into place when complete."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from chipsim.calibration.procedure import summary
    from chipsim.calibration.result import _write_atomically

    rows = summary(result)
    cols = 2 if len(rows) > 1 else 1
    nrows = (len(rows) + cols - 1) // cols
    fig = Figure(figsize=(5.2 * cols, 3.0 * nrows + 0.6))
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
    for ax, row in zip(axes, rows):
        name = row["quantity"]
        after = np.asarray(result.residuals[name], dtype=np.float64).ravel()
        before = result.before.get(name)
        both = after if before is None else np.concatenate([after, np.ravel(before)])
        finite = both[np.isfinite(both)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        if high <= low:
            low, high = low - 0.5, high + 0.5
        bins = np.linspace(low, high, int(min(60, max(8, np.sqrt(after.size) * 2))) + 1)
        if before is not None:
            ax.hist(
                np.ravel(before),
                bins=bins,
                color="tab:gray",
                alpha=0.6,
                label=f"before: mean {row['before_mean']:+.3g}, std {row['before_std']:.3g}",
            )
        failed = f", {row['failures']} failed" if row["failures"] else ""
        ax.hist(
            after,
            bins=bins,
            color="tab:blue",
            alpha=0.75,
            label=f"after: mean {row['after_mean']:+.3g}, std {row['after_std']:.3g}{failed}",
        )
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_title(f"{name} ({row['instances']} instances)", fontsize=9)
        ax.set_xlabel(f"deviation from the target ({row['unit']})", fontsize=8)
        ax.set_ylabel("instances", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes[len(rows) :]:
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    path = Path(path)
    _write_atomically(path, buffer.getvalue())
    return path
