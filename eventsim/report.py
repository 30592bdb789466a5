"""A short text summary of a run's timing and energy (what the command line prints)."""

from __future__ import annotations

import numpy as np

from hwdesc import format_si

from .run import ACTIONS, EventRun


def _rate(value: float, unit: str) -> str:
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.4g} {prefix}{unit}"
    return f"{value:.4g} {unit}"


def _settings(values: np.ndarray) -> str:
    unique = np.unique(values)
    return str(int(unique[0])) if unique.size == 1 else f"{int(unique.min())}..{int(unique.max())}"


def format_report(run: EventRun) -> str:
    """Timing and energy of ``run`` as a few lines of text: time per vector, throughput
    (vectors/s, MAC/s of the simulated hardware), energy per vector and per MAC, the per-action
    breakdown and the provenance of the energy table."""
    if not isinstance(run, EventRun):
        raise TypeError(f"run must be an EventRun (see eventsim.simulate), got {type(run).__name__}")
    timing, energy, tl = run.timing, run.energy, run.timeline
    B = run.n_vectors
    cycles = timing.vector_cycles
    ev = tl.kinds.index("events")
    ev_cycles = tl.end[:, ev] - tl.start[:, ev]
    queue = run.schedule.queueing
    mean_s = float(timing.vector_seconds.mean())
    if cycles.min() == cycles.max():
        per_vector = f"{format_si(mean_s, 'time')} ({int(cycles[0])} cycles)"
    else:
        per_vector = (f"{format_si(mean_s, 'time')} mean ({int(cycles.min())}..{int(cycles.max())} cycles, "
                      f"{run.cycle_time * 1e9:g} ns each)")
    lines = [
        f"event simulation on chip '{run.chip_name}': {B} vector(s), num_sends {_settings(run.num_sends)}, "
        f"wait_between_events {_settings(run.wait_between_events)} cycles",
        f"  time per vector   {per_vector}",
        f"  events phase      {int(ev_cycles.min())}..{int(ev_cycles.max())} cycles; link queueing up to "
        f"{int(queue.max(initial=0))} cycles ({int(np.count_nonzero(queue))} of {run.schedule.n_events} events delayed)",
        f"  batch             {format_si(timing.batch_seconds, 'time')} ({timing.batch_cycles} cycles)",
        f"  throughput        {_rate(timing.vectors_per_second, 'vectors/s')}, {_rate(timing.macs_per_second, 'MAC/s')} "
        f"({int(run.macs.sum() // max(B, 1))} MAC per vector)",
        f"  energy            {format_si(energy.total / B, 'energy')} per vector, "
        f"{format_si(energy.per_mac, 'energy')} per MAC, {format_si(energy.total, 'energy')} in total",
        "  energy by action  (count per vector, energy per vector, share)",
    ]
    for action in ACTIONS:
        count = run.counts[action].sum() / B
        joules = energy.per_action[action]
        lines.append(f"    {action:<20} {count:>12.6g}  {format_si(joules / B, 'energy'):>10}  "
                     f"{100 * joules / energy.total:5.1f} %")
    static = energy.per_action["static"]
    lines.append(f"    {'static':<20} {format_si(energy.table['static_power'], 'power'):>12}  "
                 f"{format_si(static / B, 'energy'):>10}  {100 * static / energy.total:5.1f} %")
    lines.append(f"  energy provenance {energy.provenance}")
    return "\n".join(lines)
