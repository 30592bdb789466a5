"""eventsim: the digital side of a run - when each input event reaches which row, the phase
timeline of every vector, action counts, timing and energy, and trace export (native
Perfetto protobuf, streamed; and a small trace-event JSON).

    >>> import hwdesc, numpy as np, eventsim
    >>> chip = hwdesc.load("tutorial")
    >>> x = np.zeros((1, 2, 8), np.int32); x[0, 0, :5] = [0, 5, 31, 0, 7]
    >>> run = eventsim.simulate(chip, x, num_sends=2, wait_between_events=5)
    >>> run.schedule.arrival.tolist()
    [24, 30, 34, 40, 44, 50]

Two engines give identical results: a vectorized NumPy one (``engine="fast"``, default) and a
SimPy discrete-event model (``engine="simpy"``). See ``docs/eventsim.md`` for the rules.
"""

from .perfetto import PerfettoTraceWriter, write_perfetto_trace
from .program import Program
from .report import format_report, format_timeline
from .run import ACTIONS, Energy, EventRun, Timing, concatenate, simulate
from .schedule import Schedule, Timeline
from .trace import trace_events, write_trace

__all__ = [
    "ACTIONS",
    "Energy",
    "EventRun",
    "PerfettoTraceWriter",
    "Program",
    "Schedule",
    "Timeline",
    "Timing",
    "concatenate",
    "format_report",
    "format_timeline",
    "simulate",
    "trace_events",
    "write_perfetto_trace",
    "write_trace",
]
