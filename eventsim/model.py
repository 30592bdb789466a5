"""The SimPy model of the digital I/O: host playback, the event link, the synapse drivers, the phase program.

Every process is a plain generator function; all state lives in the arguments (the
environment, stores, event records). Time is integer FPGA cycles. Observation happens outside
the processes: the link and drivers stamp the event records they move (that is their job),
and the phase program reports each finished phase to a ``log`` callable given by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from .program import Program


@dataclass(slots=True)
class Event:
    """One input event on its way from the host to a synapse driver (times in cycles)."""

    vector: int
    send: int
    half: int
    row: int
    activation: int
    request: int = -1
    departure: int = -1
    arrival: int = -1


def _now(env: simpy.Environment) -> int:
    """The simulation clock in whole FPGA cycles (every timeout of the model is an integer)."""
    return int(env.now)


def playback(
    env: simpy.Environment,
    streams: list[list[Event]],
    wait: int,
    events_per_slot: int,
    queue: simpy.Store,
):
    """Host playback of one vector's events.

    ``streams[h]`` are half ``h``'s events in sending order. The longest stream has ``N``
    events; position ``j`` is requested at ``start + j * wait``. Each half is aligned to the
    end: its ``i``-th event takes position ``N - len(stream) + i``, so the last events of all
    halves share the last position. The events of one position are cut into packets of at
    most ``events_per_slot`` events (halves in increasing order) and queued for the link; a
    ``None`` marks the end of the vector.
    """
    start = env.now
    longest = max(len(s) for s in streams)
    first = [longest - len(s) for s in streams]
    for j in range(longest):
        due = start + j * wait
        if due > env.now:
            yield env.timeout(due - env.now)
        group = [streams[h][j - first[h]] for h in range(len(streams)) if j >= first[h]]
        for q in range(0, len(group), events_per_slot):
            packet = group[q : q + events_per_slot]
            for event in packet:
                event.request = _now(env)
            yield queue.put(packet)
    yield queue.put(None)


def link(
    env: simpy.Environment,
    queue: simpy.Store,
    slot_period: int,
    latency: int,
    drivers: list[simpy.Store],
):
    """The FPGA-to-chip link for one events phase: one packet per slot, first in first out.

    Slots are at ``origin + k * slot_period`` where ``origin`` is the start of the events phase.
    A packet leaves in the first free slot at or after its request; its events reach the
    chip ``latency`` cycles later. Returns at the end of the last used slot.
    """
    origin = _now(env)
    next_slot = 0
    while True:
        packet = yield queue.get()
        if packet is None:
            yield env.timeout(origin + next_slot * slot_period - env.now)
            return
        slot = max(next_slot, -(-(_now(env) - origin) // slot_period))
        yield env.timeout(origin + slot * slot_period - env.now)
        for event in packet:
            event.departure = _now(env)
        env.process(transit(env, packet, latency, drivers))
        next_slot = slot + 1


def transit(env: simpy.Environment, packet: list[Event], latency: int, drivers: list[simpy.Store]):
    """A packet in flight: after ``latency`` cycles each event enters its half's driver input."""
    yield env.timeout(latency)
    for event in packet:
        yield drivers[event.half].put(event)


def driver(env: simpy.Environment, inbox: simpy.Store):
    """The synapse drivers of one half: stamp each arriving event (the pulse starts
    ``driver_latency`` seconds later; that analog delay is added when times become seconds)."""
    while True:
        event = yield inbox.get()
        event.arrival = env.now


def events_phase(
    env: simpy.Environment,
    prog: Program,
    streams: list[list[Event]],
    wait: int,
    drivers: list[simpy.Store],
):
    """One events phase: lasts until both the nominal ``N * wait`` cycles have passed and the
    link has finished the slot that carries the vector's last event."""
    longest = max(len(s) for s in streams)
    if longest == 0:
        return
    queue = simpy.Store(env)
    sent = env.process(link(env, queue, prog.slot_period, prog.link_latency, drivers))
    env.process(playback(env, streams, wait, prog.events_per_slot, queue))
    yield env.all_of([env.timeout(longest * wait), sent])


def phase_program(
    env: simpy.Environment,
    prog: Program,
    vectors: list[list[list[Event]]],
    wait: int,
    drivers: list[simpy.Store],
    log: Callable[[int, int, int, int], None],
):
    """The per-vector program, vectors back to back: each phase in order, fixed phases for
    their duration, the events phase for as long as its events need. Calls
    ``log(vector, phase, start, end)`` after each phase."""
    for b, streams in enumerate(vectors):
        for p, duration in enumerate(prog.durations):
            begin = _now(env)
            if p == prog.events_index:
                yield env.process(events_phase(env, prog, streams, wait, drivers))
            elif duration:
                yield env.timeout(duration)
            log(b, p, begin, _now(env))


def build(
    env: simpy.Environment,
    prog: Program,
    vectors: list[list[list[Event]]],
    wait: int,
    log: Callable[[int, int, int, int], None],
) -> simpy.Process:
    """Wire the model into ``env``: one driver process per half and the phase program."""
    drivers = [simpy.Store(env) for _ in range(prog.halves)]
    for inbox in drivers:
        env.process(driver(env, inbox))
    return env.process(phase_program(env, prog, vectors, wait, drivers, log))
