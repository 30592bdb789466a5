"""A short text summary of a run's timing and energy (what the command line prints)."""

from __future__ import annotations

import numpy as np

from hwdesc import format_rate, format_si, rules

from .run import ACTIONS, EventRun


def _span(values: np.ndarray) -> str:
    lo, hi = int(values.min()), int(values.max())
    return str(lo) if lo == hi else f"{lo}..{hi}"


def format_report(run: EventRun) -> str:
    """Timing and energy of ``run`` as a few lines of text: time per vector, throughput
    (vectors/s, MAC/s of the simulated hardware), energy per vector and per MAC, the per-action
    breakdown and the provenance of the energy table."""
    if not isinstance(run, EventRun):
        raise TypeError(
            f"run must be an EventRun (see eventsim.simulate), got {type(run).__name__}"
        )
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
        per_vector = (
            f"{format_si(mean_s, 'time')} mean ({int(cycles.min())}..{int(cycles.max())} cycles, "
            f"{run.cycle_time * 1e9:g} ns each)"
        )
    lines = [
        f"event simulation on chip '{run.chip_name}': {B} vector(s), num_sends {_span(run.num_sends)}, "
        f"wait_between_events {_span(run.wait_between_events)} cycles",
        f"  time per vector   {per_vector}",
        f"  events phase      {_span(ev_cycles)} cycles; link queueing up to "
        f"{int(queue.max(initial=0))} cycles ({int(np.count_nonzero(queue))} of {run.schedule.n_events} events delayed)",
        f"  batch             {format_si(timing.seconds, 'time')} ({timing.cycles} cycles)",
        f"  throughput        {format_rate(timing.vectors_per_second, 'vectors/s')}, {format_rate(timing.macs_per_second, 'MAC/s')} "
        f"({int(run.macs.sum() // max(B, 1))} MAC per vector)",
        f"  energy            {format_si(energy.total / B, 'energy')} per vector, "
        f"{format_si(energy.per_mac, 'energy')} per MAC, {format_si(energy.total, 'energy')} in total",
        "  energy by action  (count per vector, energy per vector, share)",
    ]
    for action in ACTIONS:
        count = run.counts[action].sum() / B
        joules = energy.per_action[action]
        lines.append(
            f"    {action:<20} {count:>12.6g}  {format_si(joules / B, 'energy'):>10}  "
            f"{100 * joules / energy.total:5.1f} %"
        )
    static = energy.per_action["static"]
    lines.append(
        f"    {'static':<20} {format_si(energy.table['static_power'], 'power'):>12}  "
        f"{format_si(static / B, 'energy'):>10}  {100 * static / energy.total:5.1f} %"
    )
    lines.append(f"  energy provenance {energy.provenance}")
    return "\n".join(lines)


def format_timeline(run: EventRun, max_vectors: int = 1) -> str:
    """The phases of the first ``max_vectors`` vectors as a table: name, kind, start and end
    cycle (from the batch start), length, and the events each phase saw leave the link."""
    if not isinstance(run, EventRun):
        raise TypeError(
            f"run must be an EventRun (see eventsim.simulate), got {type(run).__name__}"
        )
    max_vectors = rules.integer(max_vectors, "max_vectors", 1)
    tl, s = run.timeline, run.schedule
    ct = run.cycle_time
    lines = [
        f"{'vector':>6}  {'phase':<22} {'kind':<9} {'start':>9} {'end':>9} {'cycles':>7} {'length':>10}"
    ]
    for b in range(min(run.n_vectors, int(max_vectors))):
        for p, (name, kind) in enumerate(zip(tl.names, tl.kinds)):
            t0, t1 = int(tl.start[b, p]), int(tl.end[b, p])
            lines.append(
                f"{b:>6}  {name:<22} {kind:<9} {t0:>9} {t1:>9} {t1 - t0:>7} "
                f"{format_si((t1 - t0) * ct, 'time'):>10}"
            )
            if kind == "events":
                sl = slice(int(s.ev_ptr[b * s.halves]), int(s.ev_ptr[(b + 1) * s.halves]))
                if sl.stop > sl.start:
                    q = s.queueing[sl]
                    lines.append(
                        f"{'':>6}    {sl.stop - sl.start} events, departures {int(s.departure[sl].min())}.."
                        f"{int(s.departure[sl].max())}, arrivals {int(s.arrival[sl].min())}.."
                        f"{int(s.arrival[sl].max())}, queueing up to {int(q.max())} cycles"
                    )
    return "\n".join(lines)
