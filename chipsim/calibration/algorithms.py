"""The searches of the reference calibration, vectorised over all instances of a circuit.

A calibration step sets one code per instance (a CapMem cell of each neuron, a driver offset, a
CADC channel offset), measures one value per instance and moves the codes toward a target. The
measurement is a function::

    measure(codes: np.ndarray[int64], shape (n_instances,)) -> np.ndarray[float], shape (n_instances,)

so that the same search runs against a synthetic transfer (the tests) and against a simulated
experiment. Every search returns a :class:`SearchResult`.

:func:`binary_search`
    Starts every instance in the middle of ``low..high`` and halves the step each time:
    ``ceil(log2(high - low + 1))`` bisection steps and two more, in which the code the bisection
    reached and both of its neighbours are measured. Per instance the code of the last three
    steps whose value is closest to the target (``|value - target|``; a tie goes to the later
    step) is the result. A value above the target lowers the code (raises it when ``inverted``:
    for a quantity that falls as its code rises).
:func:`noisy_binary_search`
    The same from a random start: each instance starts up to ``noise_amplitude`` codes (default 5,
    drawn from ``seed``) away from the middle, so that many cells are not driven to one value; one
    more step of size ``noise_amplitude`` and ``ceil(log2(noise_amplitude))`` more steps among the
    candidates compensate for the offset.
:func:`linear_prediction`
    One measurement at a probe code, then the code that a linear transfer of known slope predicts
    for the target, by default the median read of all instances (the CADC's per-channel digital
    offsets), and one check measurement at the predicted codes.

An instance whose resulting code lies on a boundary of the range (``low`` or ``high``) is reported
as failed (``success`` is False): the search may have been stopped by the range rather than by
the target, as in the reference. So is one whose search tried a boundary code while every value
of the steps it chooses from still asks to move beyond that boundary: with measurement noise on
a transfer nearly flat there, the best of those steps may be a code or a few inside (the
reference reports only the boundary code itself).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from hwdesc import rules

#: The measurement of a calibration step: codes (int64, one per instance) in, values out.
Measure = Callable[[np.ndarray], np.ndarray]

#: How many of the last steps a binary search chooses its result from.
BEST_OF_LAST = 3
#: The default start offset of :func:`noisy_binary_search` (codes, either way).
NOISE_AMPLITUDE = 5


@dataclass(frozen=True, eq=False)
class SearchResult:
    """What a search found, per instance (arrays of length ``n_instances``).

    ``codes`` the chosen code (int64); ``measured`` the value measured at that code during the
    search; ``target`` the target it was measured against; ``residuals`` ``measured - target``;
    ``success`` False where the search was stopped by the range (see the module docstring). ``tried_codes`` and
    ``tried_values`` hold every step (shape ``(steps, n_instances)``), in order.
    """

    codes: np.ndarray
    measured: np.ndarray
    target: np.ndarray
    success: np.ndarray
    tried_codes: np.ndarray
    tried_values: np.ndarray

    @property
    def residuals(self) -> np.ndarray:
        """``measured - target`` per instance."""
        return self.measured - self.target

    @property
    def steps(self) -> int:
        """How many measurements the search made."""
        return int(self.tried_codes.shape[0])

    @property
    def failed(self) -> np.ndarray:
        """The indices of the failed instances."""
        return np.flatnonzero(~self.success)


def _range(low, high) -> tuple[int, int]:
    low = rules.integer(low, "low")
    high = rules.integer(high, "high")
    if high <= low:
        raise ValueError(f"low..high: {low}..{high} holds fewer than 2 codes; allowed: high > low")
    return low, high


def search_steps(low: int, high: int, noise_amplitude: int = 0) -> tuple[int, ...]:
    """The step sizes of a binary search over ``low..high`` (one per measurement).

    With ``n = high - low + 1`` codes, step ``s`` moves by ``ceil(n / 2**(s + 2))``; there are
    ``ceil(log2(n)) + 2`` steps. A ``noise_amplitude`` > 0 inserts one step of that size (in
    descending order), as :func:`noisy_binary_search` does. The last step's size is never used:
    no move follows the last measurement.
    """
    low, high = _range(low, high)
    noise_amplitude = rules.integer(noise_amplitude, "noise_amplitude", 0)
    n = high - low + 1
    steps = [-(-n // 2 ** (s + 2)) for s in range(math.ceil(math.log2(n)) + 2)]
    if noise_amplitude:
        steps = sorted([*steps, noise_amplitude], reverse=True)
    return tuple(steps)


def _targets(target, n: int) -> np.ndarray:
    values = np.asarray(target, dtype=np.float64)
    if values.ndim == 0:
        values = np.full(n, float(values))
    if values.shape != (n,):
        raise ValueError(
            f"target: expected one value or one per instance ({n}), got shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise ValueError("target: values must be finite")
    return values


def _measure(measure: Measure, codes: np.ndarray, step: int) -> np.ndarray:
    values = np.asarray(measure(codes.copy()), dtype=np.float64)
    if values.shape != codes.shape:
        raise ValueError(
            f"measure: step {step} returned shape {values.shape}, expected one value per "
            f"instance {codes.shape}"
        )
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"measure: step {step} returned {int(bad.sum())} non-finite value(s), first at "
            f"instance {int(np.flatnonzero(bad)[0])}"
        )
    return values


def _run(
    measure: Measure,
    target,
    low: int,
    high: int,
    start: np.ndarray,
    steps: tuple[int, ...],
    inverted: bool,
    best_of: int,
) -> SearchResult:
    n = start.size
    goal = _targets(target, n)
    total = len(steps)
    tried_codes = np.empty((total, n), dtype=np.int64)
    tried_values = np.empty((total, n), dtype=np.float64)
    codes = start.astype(np.int64)
    for step, size in enumerate(steps):
        values = _measure(measure, codes, step)
        tried_codes[step] = codes
        tried_values[step] = values
        remaining = total - 1 - step
        if remaining >= 2:  # bisection: toward the target
            down = values > goal
            if inverted:
                down = ~down
            codes = codes + np.where(down, -size, size)
        elif remaining == 1:  # the last step measures the other neighbour of the bisection's code
            reached, moved = tried_codes[step - 1], tried_codes[step]
            codes = 2 * reached - moved
            stuck = reached == moved  # held at a boundary: try the code inside instead
            codes[stuck & (reached == low)] += 1
            codes[stuck & (reached == high)] -= 1
        codes = np.clip(codes, low, high)
    window = slice(total - best_of, total)
    deviation = np.abs(tried_values[window] - goal)
    # argmin takes the first of equal values: search the window backwards, so a tie goes to the
    # later step
    pick = best_of - 1 - np.argmin(deviation[::-1], axis=0)
    columns = np.arange(n)
    chosen = tried_codes[window][pick, columns]
    # stopped by the range: on a boundary, or the search reached a boundary and every value of
    # the window still asks to move beyond it (with noise, the best of them may lie a few codes
    # inside when the transfer is nearly flat there)
    up = tried_values[window] > goal if inverted else tried_values[window] < goal
    down = tried_values[window] < goal if inverted else tried_values[window] > goal
    beyond_high = (tried_codes == high).any(axis=0) & up.all(axis=0)
    beyond_low = (tried_codes == low).any(axis=0) & down.all(axis=0)
    return SearchResult(
        codes=chosen,
        measured=tried_values[window][pick, columns],
        target=goal,
        success=(chosen > low) & (chosen < high) & ~beyond_high & ~beyond_low,
        tried_codes=tried_codes,
        tried_values=tried_values,
    )


def binary_search(
    measure: Measure,
    target,
    low: int,
    high: int,
    n_instances: int,
    *,
    inverted: bool = False,
) -> SearchResult:
    """Search per instance the code in ``low..high`` whose measured value is closest to
    ``target`` (one value, or one per instance); see the module docstring.

    ``measure`` is called ``len(search_steps(low, high))`` times, each time with all codes.
    ``inverted`` for a quantity that falls as its code rises. Raises ``ValueError`` for a range
    of fewer than 2 codes, a target of the wrong shape, or a measurement of the wrong shape or
    with non-finite values.
    """
    low, high = _range(low, high)
    n = rules.integer(n_instances, "n_instances", 1)
    start = np.full(n, low + (high - low + 1) // 2, dtype=np.int64)
    return _run(
        measure, target, low, high, start, search_steps(low, high), bool(inverted), BEST_OF_LAST
    )


def noisy_binary_search(
    measure: Measure,
    target,
    low: int,
    high: int,
    n_instances: int,
    *,
    inverted: bool = False,
    noise_amplitude: int = NOISE_AMPLITUDE,
    seed: int = 0,
) -> SearchResult:
    """:func:`binary_search` from a random start: each instance starts at the middle plus an
    integer drawn uniformly from ``-noise_amplitude..noise_amplitude`` (from ``seed``: the same
    seed gives the same starts). One more step of size ``noise_amplitude`` is taken, and the
    result is the best of the last ``3 + ceil(log2(noise_amplitude))`` steps.

    ``noise_amplitude`` must be at least 1 and at most the first step size (a quarter of the
    range): a larger offset would be cut by the range boundaries in the first step.
    """
    low, high = _range(low, high)
    n = rules.integer(n_instances, "n_instances", 1)
    plain = search_steps(low, high)
    amplitude = rules.integer(noise_amplitude, "noise_amplitude", 1, plain[0])
    rng = np.random.default_rng(rules.seed(seed))
    offsets = rng.integers(-amplitude, amplitude, size=n, endpoint=True)
    start = np.clip(low + (high - low + 1) // 2 + offsets, low, high).astype(np.int64)
    steps = search_steps(low, high, amplitude)
    best_of = BEST_OF_LAST + math.ceil(math.log2(amplitude))
    return _run(measure, target, low, high, start, steps, bool(inverted), best_of)


def linear_prediction(
    measure: Measure,
    low: int,
    high: int,
    n_instances: int,
    *,
    probe: int = 0,
    slope: float = 1.0,
    target=None,
) -> SearchResult:
    """Predict per instance the code that reaches ``target`` from one measurement at ``probe``,
    for a transfer that is linear with a known ``slope`` (codes per unit of the measured value;
    negative for a quantity that falls as its code rises) and an unknown offset per instance.

    The code is ``round(probe + slope * (target - value_at_probe))``, limited to ``low..high``.
    Without ``target``, the target is the median of the values at the probe, rounded down to a
    whole number: the reference's CADC channel offsets, which move every channel toward the
    median read (probe 0, slope 1). A second measurement at the predicted codes gives
    ``measured`` and ``residuals``; ``tried_codes`` holds both steps.
    """
    low, high = _range(low, high)
    n = rules.integer(n_instances, "n_instances", 1)
    probe = rules.integer(probe, "probe", low, high)
    slope = float(slope)
    if not math.isfinite(slope) or slope == 0:
        raise ValueError(f"slope: {slope} cannot predict a code; allowed: a finite non-zero value")
    probe_codes = np.full(n, probe, dtype=np.int64)
    at_probe = _measure(measure, probe_codes, 0)
    goal = _targets(math.floor(float(np.median(at_probe))) if target is None else target, n)
    codes = np.clip(np.rint(probe + slope * (goal - at_probe)), low, high).astype(np.int64)
    measured = _measure(measure, codes, 1)
    return SearchResult(
        codes=codes,
        measured=measured,
        target=goal,
        success=(codes > low) & (codes < high),
        tried_codes=np.stack([probe_codes, codes]),
        tried_values=np.stack([at_probe, measured]),
    )
