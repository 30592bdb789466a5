"""Work estimates and the limits they are checked against, before any work starts.

Every entry point that simulates (``Chip.run``/``matmul``, ``Chip(...)`` itself, every command)
first computes an :class:`Estimate` from the chip description, the shapes of the arguments and
the options: integration steps per vector, events, bytes of state, traces and results, and wall
time. :meth:`Estimate.check` refuses the work when it is beyond the :class:`Limits`, with a
message that says what is too big, how big, the limit, which argument to change and how to
raise the limit. The limits live here, in one place; their defaults follow the machine and an
environment variable or :func:`override` raises them deliberately (``docs/limits.md``).

    >>> import chipsim
    >>> chip = chipsim.load("bss2")
    >>> est = chipsim.limits.estimate_run(chip.description, (100, 300), (300, 400))
    >>> est.steps_per_vector, est.check() is est
    (2284, True)

Calibrations and sweeps call :func:`estimate_run` once per configuration they will run and
add the results up with :func:`combine` before they start.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np

#: Environment variables that raise (or lower) the limits.
ENV_MEMORY = "CHIPSIM_MAX_MEMORY"
ENV_STEPS = "CHIPSIM_MAX_STEPS_PER_VECTOR"
ENV_SECONDS = "CHIPSIM_MAX_SECONDS"

#: Default of :attr:`Limits.steps_per_vector`: 10 million steps of ``analog.dt`` (320 ms of
#: integration at bss2's 32 ns; a full bss2 vector at wait 5 takes 574).
DEFAULT_STEPS_PER_VECTOR = 10_000_000
#: Default of :attr:`Limits.seconds`: a day of estimated wall time for one call.
DEFAULT_SECONDS = 86_400.0

# ---- the cost model (bytes and seconds; docs/limits.md derives each) -----------------------------
#: Bytes per event of a chunk, over all its tile runs (kept until the chunk is accounted for):
#: the schedule's arrays (vector, request, departure, arrival, ev_time: 8 bytes; send, half,
#: row, activation: 4 bytes).
BYTES_PER_EVENT = 56
#: Bytes per event of the tile run being simulated: the fast engine's temporaries (about a dozen
#: index arrays of 8 bytes), the kernel's copies of one half's events (rows, activations, times,
#: gather indices) and the timing checks.
BYTES_PER_ENGINE_EVENT = 200
#: Bytes per event of the tile run with the SimPy engine (Python objects per event and process).
BYTES_PER_SIMPY_EVENT = 2000
#: Bytes per event of the first ``keep_events`` vectors, kept for ``Result.events`` (schedule +
#: its concatenation).
BYTES_PER_KEPT_EVENT = 112
#: Bytes per event run kept for ``Result.events`` until they are joined (one per chunk and tile
#: run: its Python objects and a score of small arrays).
BYTES_PER_KEPT_RUN = 16 * 2**10
#: Bytes per output of a chunk: the partial sums (int32) and the kernel's outputs of one half
#: (int32 output, two int16 codes, two float64 voltages) plus the regrouped copy (int32).
BYTES_PER_CHUNK_OUTPUT = 32
#: Bytes per input row of a chunk's tile run: activations (int64), their checks (3 bool), the
#: engines' int32 copy and the mask of active inputs.
BYTES_PER_CHUNK_INPUT = 16
#: Bytes per weight: the checked int64 copy (8) and its range checks (3 bool), the tile's int32
#: copy (4), its synapse factors (float32, float64 while picked: 12).
BYTES_PER_SYNAPSE = 28
#: Bytes per synapse of the tile in the kernel: float64 weights and scale, two float32 factors,
#: temporaries.
BYTES_PER_KERNEL_SYNAPSE = 48
#: Fixed overhead of a call (Python objects, small tables).
BYTES_OVERHEAD = 2**20
#: Seconds per column and integration step (two cores; about 0.5-1 ns on idle cores, up to 4 ns
#: on loaded ones).
SECONDS_PER_COLUMN_STEP = 2e-9
#: Seconds per event (schedule and kernel edges).
SECONDS_PER_EVENT = 2e-7
#: Seconds per event with the SimPy engine.
SECONDS_PER_SIMPY_EVENT = 5e-5
#: Seconds per vector and tile run (grouping, ADC, accounting).
SECONDS_PER_VECTOR_RUN = 2e-5
#: Seconds per kernel call (one per read time, half, tile run and chunk).
SECONDS_PER_KERNEL_CALL = 2e-4
#: Noise block of the kernels (steps): the stepped part starts on a block boundary.
NOISE_BLOCK = 8


class WorkLimitError(ValueError):
    """Work refused before it started: it is beyond a limit of :class:`Limits`.

    Attributes:
        quantity: what is too big (``memory``, ``steps_per_vector`` or ``seconds``).
        value: its estimate; ``limit``: the limit it exceeds.
    """

    def __init__(self, message: str, quantity: str, value: float, limit: float) -> None:
        super().__init__(message)
        self.quantity, self.value, self.limit = quantity, value, limit


# ---- sizes written by people -------------------------------------------------------------------

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGTP]?)(i?B?)\s*$")
_SCALE = {"": 1, "k": 2**10, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


def parse_bytes(text, name: str = ENV_MEMORY) -> int:
    """``"8G"``, ``"512 MiB"``, ``"1.5e9"`` -> bytes (binary prefixes: G = 2**30)."""
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        value = int(text)
    else:
        match = _SIZE.match(str(text))
        if not match:
            raise ValueError(f"{name}={text!r} is not a size; write e.g. 8G, 512M or 2000000000")
        value = int(float(match.group(1)) * _SCALE[match.group(2)])
    if value <= 0:
        raise ValueError(f"{name}={text!r} must be a positive size")
    return value


def format_bytes(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} bytes"


def format_seconds(s: float) -> str:
    if s >= 86400 * 365:
        return f"{s / (86400 * 365):.3g} years"
    if s >= 2 * 86400:
        return f"{s / 86400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s / 60:.3g} min"
    return f"{s:.3g} s"


# ---- the limits ----------------------------------------------------------------------------------


_MEMORY_CACHE: list = []  # [(monotonic time, (bytes, source))]
#: Seconds for which a reading of the available memory is reused (calls come in quick series).
MEMORY_READING_SECONDS = 1.0


def available_memory() -> tuple[int, str]:
    """(bytes this process may still allocate, where the figure comes from): the system's
    available memory (``MemAvailable``), lowered to the headroom of an address-space limit
    (``RLIMIT_AS`` minus the address space in use) when one is set. Read at most once per
    :data:`MEMORY_READING_SECONDS`."""
    import time

    now = time.monotonic()
    if _MEMORY_CACHE and now - _MEMORY_CACHE[0][0] < MEMORY_READING_SECONDS:
        return _MEMORY_CACHE[0][1]
    reading = _read_available_memory()
    _MEMORY_CACHE[:] = [(now, reading)]
    return reading


def _read_available_memory() -> tuple[int, str]:
    avail, source = None, "available memory"
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail, source = 8 * 2**30, "an assumed 8 GiB (the machine does not tell its memory)"
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            used = 0
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("VmSize:"):
                        used = int(line.split()[1]) * 1024
                        break
            headroom = max(soft - used, 0)
            if headroom < avail:
                avail, source = headroom, "address-space limit (RLIMIT_AS) minus the space in use"
    except (ImportError, OSError, ValueError):
        pass
    return int(avail), source


@dataclass(frozen=True)
class Limits:
    """What one call may use. See :func:`current` for the defaults and how to raise them."""

    memory_bytes: int
    """Most bytes a call may allocate (peak estimate)."""
    steps_per_vector: int
    """Most integration steps (of ``analog.dt``) one vector may take."""
    seconds: float
    """Most estimated wall time of one call."""
    memory_source: str = ""
    """Where ``memory_bytes`` comes from (the machine, an environment variable, an override)."""


_overrides: list[dict] = []


def current() -> Limits:
    """The limits in force: :func:`override` blocks first, then the environment variables
    ``CHIPSIM_MAX_MEMORY`` (a size: ``8G``), ``CHIPSIM_MAX_STEPS_PER_VECTOR`` and
    ``CHIPSIM_MAX_SECONDS``, then the defaults: the memory this process can still get
    (:func:`available_memory`), 10 million steps per vector and a day of wall time."""
    merged: dict = {}
    for layer in _overrides:
        merged.update({k: v for k, v in layer.items() if v is not None})
    if "memory" in merged:
        memory, source = parse_bytes(merged["memory"], "memory"), "chipsim.limits.override"
    elif os.environ.get(ENV_MEMORY):
        memory, source = parse_bytes(os.environ[ENV_MEMORY]), ENV_MEMORY
    else:
        memory, source = available_memory()
    if "steps_per_vector" in merged:
        steps = merged["steps_per_vector"]
    else:
        steps = _env_number(ENV_STEPS, DEFAULT_STEPS_PER_VECTOR)
    seconds = (
        merged["seconds"] if "seconds" in merged else _env_number(ENV_SECONDS, DEFAULT_SECONDS)
    )
    return Limits(
        memory_bytes=memory,
        steps_per_vector=int(steps),
        seconds=float(seconds),
        memory_source=source,
    )


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None
    if not value > 0:
        raise ValueError(f"{name}={text!r} must be positive")
    return value


@contextlib.contextmanager
def override(*, memory=None, steps_per_vector: int | None = None, seconds: float | None = None):
    """Raise (or lower) limits inside a ``with`` block: ``memory`` as bytes or a size string
    (``"64G"``), ``steps_per_vector``, ``seconds``; ``None`` keeps a limit as it is."""
    if memory is not None:
        parse_bytes(memory, "memory")
    for name, value in (("steps_per_vector", steps_per_vector), ("seconds", seconds)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0
        ):
            raise ValueError(f"{name}(={value!r}) must be a positive number")
    _overrides.append({"memory": memory, "steps_per_vector": steps_per_vector, "seconds": seconds})
    try:
        yield current()
    finally:
        _overrides.pop()


# ---- the estimate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """The work of one call, estimated before it starts.

    ``memory`` maps each part to (bytes, the argument that sets it, how to make it smaller);
    ``peak_bytes`` is their sum, an upper bound of the call's peak allocation (the parts are
    not all alive at once). ``steps_per_vector`` is the integration steps of the longest vector
    (read and baseline windows, whole), ``events`` an upper bound of the events simulated,
    ``seconds`` the estimated wall time.
    """

    what: str
    vectors: int
    steps_per_vector: int
    events: int
    memory: dict = field(default_factory=dict)
    seconds: float = 0.0
    steps_detail: str = ""
    steps_fix: object = ""
    seconds_fix: str = (
        "use fewer vectors or a shorter integration window (wait_between_events, num_sends)"
    )
    """What to change when the steps are too many: text, or a function of the limit giving it."""

    @property
    def peak_bytes(self) -> int:
        return int(sum(part[0] for part in self.memory.values()))

    def summary(self) -> str:
        """One line: vectors, steps, events, memory and time."""
        return (
            f"{self.vectors} vectors, up to {self.steps_per_vector:,} integration steps per "
            f"vector, up to {self.events:,} events, about {format_bytes(self.peak_bytes)} of "
            f"memory and {format_seconds(self.seconds)} of wall time (estimates)"
        )

    def check(self, limits: Limits | None = None) -> Estimate:
        """Raise :class:`WorkLimitError` if the work exceeds ``limits`` (default: :func:`current`);
        return ``self`` otherwise."""
        lim = current() if limits is None else limits
        if self.steps_per_vector > lim.steps_per_vector:
            fix = (
                self.steps_fix(lim.steps_per_vector) if callable(self.steps_fix) else self.steps_fix
            )
            raise WorkLimitError(
                f"{self.what}: one vector would take up to {self.steps_per_vector:.3g} integration "
                f"steps ({self.steps_detail}), more than the limit of {lim.steps_per_vector:.3g} "
                f"steps per vector; {fix}, or raise the limit deliberately: "
                f"{ENV_STEPS}=<steps> or chipsim.limits.override(steps_per_vector=...)",
                "steps_per_vector",
                self.steps_per_vector,
                lim.steps_per_vector,
            )
        if self.peak_bytes > lim.memory_bytes:
            name, (size, driver, fix) = max(self.memory.items(), key=lambda item: item[1][0])
            raise WorkLimitError(
                f"{self.what}: the work would need about {format_bytes(self.peak_bytes)} of "
                f"memory, more than the limit of {format_bytes(lim.memory_bytes)} "
                f"({lim.memory_source}); the largest part is {name}: {format_bytes(size)} for "
                f"{driver}; {fix}, or raise the limit deliberately: {ENV_MEMORY}=<size, e.g. 64G> "
                "or chipsim.limits.override(memory='64G')",
                "memory",
                self.peak_bytes,
                lim.memory_bytes,
            )
        if self.seconds > lim.seconds:
            raise WorkLimitError(
                f"{self.what}: the work would take about {format_seconds(self.seconds)} of wall "
                f"time ({self.vectors} vectors, {self.steps_per_vector:,} integration steps per "
                f"vector), more than the limit of {format_seconds(lim.seconds)}; {self.seconds_fix}, or "
                f"raise the limit deliberately: {ENV_SECONDS}=<seconds> or "
                "chipsim.limits.override(seconds=...)",
                "seconds",
                self.seconds,
                lim.seconds,
            )
        return self


def combine(estimates, what: str) -> Estimate:
    """Estimates of calls made one after another (a sweep): steps are the largest of them,
    events and seconds add up, memory is the largest call's (calls do not overlap)."""
    estimates = list(estimates)
    if not estimates:
        return Estimate(what, 0, 0, 0, {}, 0.0)
    steps = max(estimates, key=lambda e: e.steps_per_vector)
    biggest = max(estimates, key=lambda e: e.peak_bytes)
    return Estimate(
        what,
        sum(e.vectors for e in estimates),
        steps.steps_per_vector,
        sum(e.events for e in estimates),
        dict(biggest.memory),
        sum(e.seconds for e in estimates),
        steps.steps_detail,
        steps.steps_fix,
    )


_PROGRAMS: dict = {}  # id(description) -> (description, Program): a few, kept alive while cached


def _program(desc):
    """The description's :class:`eventsim.Program`, built once per description object."""
    hit = _PROGRAMS.get(id(desc))
    if hit is not None and hit[0] is desc:
        return hit[1]
    from eventsim import Program

    prog = Program.from_chip(desc)
    if len(_PROGRAMS) >= 32:
        _PROGRAMS.pop(next(iter(_PROGRAMS)))
    _PROGRAMS[id(desc)] = (desc, prog)
    return prog


def _window_cycles(prog, n_inputs: int, num_sends: int, wait: int) -> tuple[int, int, int]:
    """(cycles from the integration reset to the read, bound of the events phase, cycles from
    the baseline origin to the baseline read) of a vector with ``n_inputs`` per half."""
    from eventsim.schedule import vector_cycles_bound

    events = (
        vector_cycles_bound(prog, n_inputs, num_sends, wait)
        - sum(prog.durations)
        - prog.link_latency
    )
    d = prog.durations
    to_read = sum(d[prog.integration_reset_index : prog.read_index]) + events + prog.link_latency
    base_origin = 0 if prog.baseline_reset_index < 0 else prog.baseline_reset_index
    to_base = sum(d[base_origin : prog.baseline_read_index])
    return to_read, events, to_base


def steps_per_vector(desc, n_inputs: int, num_sends: int = 1, wait: int = 5) -> int:
    """Integration steps (of ``analog.dt``) of one vector with ``n_inputs`` per half, upper
    bound: the whole read window (reset to read, with the events phase's bound and the link
    and driver latency) and the whole baseline window, each rounded up, plus one step each."""
    prog = _program(desc)
    to_read, _, to_base = _window_cycles(prog, n_inputs, num_sends, wait)
    dt, ct = desc.analog.dt, prog.cycle_time
    t_read = to_read * ct + prog.driver_latency
    return _ceil_steps(t_read, dt) + _ceil_steps(to_base * ct, dt) + 2


def _ceil_steps(seconds: float, dt: float) -> int:
    ratio = seconds / dt
    return int(math.ceil(ratio)) if math.isfinite(ratio) else 2**63


def max_wait_for_steps(desc, n_inputs: int, num_sends: int, limit: int) -> int:
    """Largest ``wait_between_events`` whose vectors stay within ``limit`` steps (-1: none)."""
    lo, hi = -1, 1
    while steps_per_vector(desc, n_inputs, num_sends, hi) <= limit and hi < 2**62:
        lo, hi = hi, hi * 2
    if lo < 0 and steps_per_vector(desc, n_inputs, num_sends, 0) <= limit:
        lo = 0
    if lo < 0:
        return -1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if steps_per_vector(desc, n_inputs, num_sends, mid) <= limit:
            lo = mid
        else:
            hi = mid
    return lo


def max_sends_for_steps(desc, n_inputs: int, wait: int, limit: int) -> int:
    """Largest ``num_sends`` whose vectors stay within ``limit`` steps at ``wait`` (0: none)."""
    lo, hi = 0, 1
    while steps_per_vector(desc, n_inputs, hi, wait) <= limit and hi < 2**62:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if steps_per_vector(desc, n_inputs, mid, wait) <= limit:
            lo = mid
        else:
            hi = mid
    return lo


def description_parts(desc) -> dict:
    """Sizes that follow from a description alone: the fixed pattern (bytes, while drawn and
    kept), the steps of a full vector at ``wait_between_events=5``, ``num_sends=1``, and the
    bytes of a trace per recorded vector and column at that point."""
    g = desc.geometry
    synapses = g.halves * g.rows * g.columns
    k = desc.tile_shape[0]
    steps = steps_per_vector(desc, k, 1, 5)
    # the ADC threshold table: one row of formats.adc.max deviations per quadrant
    adc_table = (g.columns // desc.analog.adc.quadrant_columns) * desc.formats.adc.max * 8
    return {
        # kept: the excitatory and inhibitory factors (float64, rows x columns per half between
        # them), the per-column arrays and the ADC table; while one half is drawn: three more
        # float64 rows x columns temporaries and two more ADC tables
        "pattern_bytes": synapses * 8
        + 3 * g.rows * g.columns * 8
        + 64 * g.halves * g.rows
        + 128 * g.halves * g.columns
        + (g.halves + 2) * adc_table,
        "steps_nominal": steps,
        "trace_bytes_per_vector_column": 24 * (steps + 2),
    }


def estimate_description(desc, what: str = "the chip") -> Estimate:
    """The work of building a :class:`~chipsim.Chip` (drawing its fixed pattern) and the steps
    of one full vector at the nominal point (``wait_between_events=5``, ``num_sends=1``)."""
    parts = description_parts(desc)
    g = desc.geometry
    name = desc.identity.name
    return Estimate(
        what=what,
        vectors=0,
        steps_per_vector=parts["steps_nominal"],
        events=0,
        memory={
            "the fixed pattern": (
                parts["pattern_bytes"],
                f"{g.halves} halves x {g.rows} rows x {g.columns} columns of chip '{name}'",
                "describe fewer or smaller halves (geometry.halves, rows, columns)",
            )
        },
        seconds=0.0,
        steps_detail=(
            f"dt = {desc.analog.dt:.3g} s for a full vector at wait_between_events=5, "
            f"num_sends=1, with the schedule's fixed phases"
        ),
        steps_fix="lengthen analog.dt or shorten the phases of schedule.phases between the "
        "integration reset and the read",
    )


def _shape(value):
    """(shape, itemsize, dtype kind, converted) of an array-like, without copying arrays and
    tensors (``converted``: reading it makes a new array); ``None`` if it is no array at all
    (the argument checks then say what is wrong)."""
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        try:
            d = np.dtype(dtype)
            return tuple(int(s) for s in shape), d.itemsize, d.kind, False
        except TypeError:  # a torch dtype
            kind = "f" if getattr(dtype, "is_floating_point", False) else "i"
            return tuple(int(s) for s in shape), int(getattr(dtype, "itemsize", 8)), kind, False
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    return arr.shape, arr.dtype.itemsize, arr.dtype.kind, True


def estimate_run(
    desc,
    x_shape,
    w_shape,
    *,
    num_sends: int = 1,
    wait_between_events: int = 5,
    chunk_size: int = 4096,
    record_vectors: int = 0,
    record_columns: int = 0,
    x_kind: str = "i",
    x_converted: bool = False,
    engine: str = "fast",
    keep_events: int | None = None,
    what: str = "Chip.run",
) -> Estimate:
    """The work of ``Chip.run(x, w, ...)`` on ``desc`` for ``x`` of shape ``x_shape`` and ``w``
    of shape ``w_shape`` (see docs/limits.md for the formula).

    Raises ``ValueError`` right away when the schedule could not represent the arguments
    (:func:`eventsim.schedule.check_ranges`: a hard bound, not a limit one can raise).
    """
    from eventsim.schedule import check_ranges

    x_shape, w_shape = tuple(int(s) for s in x_shape), tuple(int(s) for s in w_shape)
    prog = _program(desc)
    name = desc.identity.name
    H = desc.geometry.halves
    k_t, m_t = desc.tile_shape
    B = math.prod(x_shape[:-1]) if len(x_shape) >= 1 else 1
    K = x_shape[-1] if x_shape else 0
    M = w_shape[1] if len(w_shape) == 2 else 0
    S, wait = int(num_sends), int(wait_between_events)
    C = max(1, min(int(chunk_size), max(B, 1)))
    keep_events = int(chunk_size) if keep_events is None else int(keep_events)  # as Chip.run
    k_eff = max(1, min(K, k_t))
    tiles = math.ceil(K / k_t) * math.ceil(M / m_t) if K and M else 0
    runs = math.ceil(tiles / H) if tiles else 0
    check_ranges(prog, name, C, S, wait)

    to_read, ev_cycles, _ = _window_cycles(prog, k_eff, S, wait)
    steps = steps_per_vector(desc, k_eff, S, wait)
    ct, dt = prog.cycle_time, desc.analog.dt
    # the kernel steps from the noise block of the first event to the read; the baseline window
    # has no events and is stepped over its last noise block only
    ev_start = sum(prog.durations[prog.integration_reset_index : prog.events_index])
    stepped = min(steps, _ceil_steps((to_read - ev_start) * ct, dt) + 3 * NOISE_BLOCK)
    # every input sends up to S events per output tile; a tile run drives at most H tiles
    events_per_vector = K * math.ceil(M / m_t) * S if K and M else 0
    events_per_vector_run = min(events_per_vector, min(tiles, H) * k_eff * S)
    events = B * events_per_vector
    chunk_events = C * events_per_vector

    x_text = f"x of shape {x_shape}"
    # compact int8 copy, three bool temporaries of the range check, a reshaped copy; float64
    # rounding of float inputs; the array made of a list
    per_input = 5 + (8 if x_kind == "f" else 0) + (8 if x_converted else 0)
    memory = {
        "the inputs' checks and compact copy": (
            B * K * per_input,
            f"{B} vectors x {K} inputs ({x_text})",
            "pass fewer vectors at a time",
        ),
        "the outputs": (
            B * M * 4 + B * 16,
            f"{B} vectors x {M} outputs ({x_text}, w of shape {w_shape})",
            "pass fewer vectors at a time (split x)",
        ),
        "the prepared weights": (
            K * M * BYTES_PER_SYNAPSE
            + runs * H * k_t * m_t
            + min(K, k_t) * min(M, m_t) * BYTES_PER_KERNEL_SYNAPSE,
            f"{runs} tile runs of {H} x {k_t} x {m_t} synapses (w of shape {w_shape})",
            "split w into fewer columns per call",
        ),
        "the state of one chunk": (
            C * (M * BYTES_PER_CHUNK_OUTPUT + H * k_t * BYTES_PER_CHUNK_INPUT)
            + chunk_events * BYTES_PER_EVENT
            + C
            * events_per_vector_run
            * (BYTES_PER_SIMPY_EVENT if engine == "simpy" else BYTES_PER_ENGINE_EVENT),
            f"chunks of {C} vectors with up to {chunk_events:,} events (num_sends={S}, "
            f"{runs} tile runs)",
            f"lower chunk_size (now {C}) or num_sends",
        ),
        "the events kept for Result.events": (
            max(min(int(keep_events), B), 1) * events_per_vector * BYTES_PER_KEPT_EVENT
            + math.ceil(max(min(int(keep_events), B), 1) / C) * runs * BYTES_PER_KEPT_RUN,
            f"the events of the first {min(int(keep_events), B)} vectors",
            f"lower keep_events (now {keep_events}) or num_sends",
        ),
        "the traces": (
            record_vectors * record_columns * (24 * (steps + 2) + 16)
            + record_vectors * 8 * (steps + 2),
            f"{record_vectors} recorded vectors x {record_columns} columns x {steps + 2:,} points",
            "record fewer vectors or columns, or shorten the integration window "
            "(wait_between_events, num_sends)",
        ),
        "overhead": (BYTES_OVERHEAD, "Python objects and small tables", "nothing to change"),
    }
    # the kernel is called once per distinct read time (at most one per active-input count)
    calls = math.ceil(B / C) * runs * H * min(C, k_eff * S + 1)
    seconds = (
        B * runs * (H * m_t * stepped * SECONDS_PER_COLUMN_STEP + SECONDS_PER_VECTOR_RUN)
        + events * (SECONDS_PER_SIMPY_EVENT if engine == "simpy" else SECONDS_PER_EVENT)
        + calls * SECONDS_PER_KERNEL_CALL
    )

    def fix(limit: int) -> str:
        top = max_wait_for_steps(desc, k_eff, S, limit)
        if top >= wait or top < 0:  # the sends are too many even without waits
            return (
                f"allowed on chip '{name}' with {k_eff} inputs per half at "
                f"wait_between_events={wait}: num_sends <= {max_sends_for_steps(desc, k_eff, wait, limit)}"
            )
        return (
            f"allowed on chip '{name}' with {k_eff} inputs per half at num_sends={S}: "
            f"wait_between_events <= {top}"
        )

    detail = (
        f"dt = {dt:.3g} s over a read window of up to {to_read * ct:.3g} s, its events phase "
        f"up to {ev_cycles:,} cycles for {k_eff} inputs per half x num_sends={S} at "
        f"wait_between_events={wait}"
    )
    return Estimate(what, B, steps, events, memory, seconds, detail, fix)


def estimate_call(desc, x, w, *, what: str = "Chip.run", **options) -> Estimate | None:
    """:func:`estimate_run` for the arrays (or array-likes) ``x`` and ``w`` themselves;
    ``None`` when either is no array (the argument checks report that)."""
    xs, ws = _shape(x), _shape(w)
    if xs is None or ws is None:
        return None
    return estimate_run(desc, xs[0], ws[0], x_kind=xs[2], x_converted=xs[3], what=what, **options)
