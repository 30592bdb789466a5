"""Figures of a simulation, drawn with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def linear_fit(ideal: np.ndarray, outputs: np.ndarray, limit: float = 80.0) -> tuple[float, float]:
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
    timeline: list[tuple[str, float, float]] | None = None,
) -> Path:
    """Write a three-panel PNG: output vs ideal product with the linear fit; membrane traces of a
    few neurons over one vector with its event times; that vector's phase timeline.

    Times are in seconds, membrane voltages in volts; ``timeline`` is ``(name, start, end)``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # A figure of its own on the Agg canvas: no pyplot, no change of the caller's backend.
    fig = Figure(figsize=(8, 11))
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 1, gridspec_kw={"height_ratios": [3, 2, 1.2]})
    ax = axes[0]
    ideal = np.asarray(ideal).ravel()
    outputs = np.asarray(outputs).ravel()
    n = ideal.size
    pick = np.random.default_rng(0).choice(n, size=min(n, 20000), replace=False) if n > 20000 else slice(None)
    ax.plot(ideal[pick], outputs[pick], ".", ms=2, alpha=0.3, color="tab:blue", label="simulated outputs")
    gain, offset = linear_fit(ideal, outputs)
    if np.isfinite(gain):
        xs = np.linspace(ideal.min(), ideal.max(), 200)
        ax.plot(xs, np.clip(gain * xs + offset, *output_range), "k--", lw=1,
                label=f"linear fit for |out| <= 80: gain {gain:.5f}, offset {offset:.2f}")
    for level in (-80, 80):
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
        ax.set_ylabel("membrane (mV)")
        ax.set_title("membrane of a few neurons over the first vector (red: event times)")
        ax.legend(loc="upper left", fontsize=8)
    else:
        ax.set_axis_off()

    ax = axes[2]
    if timeline:
        colors = {"reset": "tab:gray", "wait": "tab:olive", "adc_read": "tab:purple",
                  "events": "tab:red", "transfer": "tab:cyan"}
        for i, (name, start, end, *kind) in enumerate(timeline):
            width = max(end - start, 0.0) * 1e6
            ax.barh(0, width if width > 0 else 0.05, left=start * 1e6, height=0.6,
                    color=colors.get(kind[0] if kind else "", "tab:blue"), edgecolor="k", lw=0.3)
            if width > 1.0:
                ax.text(start * 1e6 + width / 2, 0, name, ha="center", va="center", fontsize=6, rotation=90)
        ax.set_yticks([])
        ax.set_xlabel("time within the vector (us)")
        ax.set_title("phase timeline of the first vector")
    else:
        ax.set_axis_off()
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
