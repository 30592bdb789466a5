"""The reference software's simplified ("mock") matrix multiply, its two parameters, and the
published procedure that measures those parameters on a chip (model.md section 1, "The simplified model").

The mock, per input tile ``c`` of at most 128 inputs::

    y_c = clamp(floor(gain * num_sends * (x_c . W_c) + N(0, noise_std^2)), -128, 127)
    y   = clamp(sum_c y_c, -128, 127)

Inputs and weights are rounded to nearest first and must lie in 0..31 and -63..63;
``wait_between_events`` is accepted and ignored, as in the reference software.

Temporal noise is drawn with :func:`numpy.random.default_rng` seeded by ``noise_seed``, as one
standard-normal array of shape ``(n_tiles, batch, M)`` (tile-major, ``batch`` the flattened
leading dimensions of ``x``) scaled by ``noise_std``; no draw happens when ``noise_std == 0``.
Fixing the seed therefore fixes every output exactly.
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from hwdesc import rules
from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

# The reference software's number formats, which are BrainScaleS-2's (``formats`` of
# hwdesc/chips/bss2.yaml; a test holds them equal). The mock has no chip description to read them
# from; a simulated chip checks against its own description's formats.
#: Allowed input activations (unsigned 5 bit; 0 sends no event).
INPUT_RANGE = (0, 31)
#: Allowed signed weights (6-bit magnitude, sign by row choice).
WEIGHT_RANGE = (-63, 63)
#: int8 result range; each tile's partial result and the final sum are clamped to it.
OUTPUT_RANGE = (-128, 127)
#: Signed inputs per tile (one half of the chip); larger K is summed digitally over tiles.
TILE_INPUTS = 128

#: Gains for which the measurement procedure is meant to work (model.md section 1).
MEASURABLE_GAIN_RANGE = (0.001, 0.04)


class MockRangeError(ValueError, OverflowError):
    """An input or weight outside the allowed range (after rounding).

    The reference software raises an overflow error here; this class is both a ``ValueError``
    (as every input error of chipsim) and an ``OverflowError`` (as the reference)."""


@dataclass(frozen=True)
class MockParameter:
    """Parameters of the mock model.

    Attributes:
        gain: ADC steps per unit of ``x . w`` for one send (reference default 0.002; earlier
            defaults were 0.0012, 0.0015 and 0.0018).
        noise_std: standard deviation of the Gaussian output noise per tile, in ADC steps
            (reference default 2.0; earlier 1.6).
    """

    gain: float = 0.002
    noise_std: float = 2.0

    def __post_init__(self) -> None:
        for name in ("gain", "noise_std"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"MockParameter.{name}: expected a real number, got {value!r}")
            if not math.isfinite(float(value)):
                raise ValueError(f"MockParameter.{name}: {value} is not finite")
            object.__setattr__(self, name, float(value))
        if not 0 < self.gain <= 1:
            raise ValueError(f"MockParameter.gain: {self.gain} is outside the allowed range (0, 1]")
        if self.noise_std < 0:
            raise ValueError(f"MockParameter.noise_std: {self.noise_std} must be >= 0")

    def to_dict(self) -> dict:
        """``{"gain": ..., "noise_std": ...}`` (plain floats)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> MockParameter:
        unknown = set(data) - {"gain", "noise_std"}
        if unknown:
            raise ValueError(
                f"MockParameter: unknown keys {sorted(unknown)}; allowed: gain, noise_std"
            )
        return cls(**data)


def check_operands(x, w, num_sends, wait_between_events, noise_seed=None):
    """The arguments of a mock-style matmul (:func:`matmul`, the surrogates), checked by the
    rules of :mod:`hwdesc.rules`: ``(x, w, num_sends, noise_seed)``; ``x`` and ``w`` as int64
    arrays in :data:`INPUT_RANGE` and :data:`WEIGHT_RANGE` (out of range: :class:`MockRangeError`).
    ``wait_between_events`` is checked and dropped; ``noise_seed`` may be ``None``."""
    x_arr = rules.integer_array(x, "x", *INPUT_RANGE, min_ndim=1, range_error=MockRangeError)
    w_arr = rules.integer_array(w, "w", *WEIGHT_RANGE, ndim=2, range_error=MockRangeError)
    rules.product_shapes(x_arr.shape, w_arr.shape)
    num_sends = rules.num_sends(num_sends)
    rules.wait_between_events(wait_between_events)
    if noise_seed is not None:
        noise_seed = rules.seed(noise_seed, "noise_seed")
    return x_arr, w_arr, num_sends, noise_seed


def matmul(
    x,
    w,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    parameter: MockParameter | None = None,
    noise_seed: int | None = None,
) -> np.ndarray:
    """``x @ w`` with the mock model of the reference software.

    Args:
        x: inputs, shape (batch..., K), values 0..31 (rounded to nearest first).
        w: weights, shape (K, M), values -63..63 (rounded to nearest first).
        num_sends: how often the input is sent; the gain is ``parameter.gain * num_sends``.
        wait_between_events: accepted and ignored (the mock has no timing).
        parameter: gain and noise; ``None`` uses :class:`MockParameter` defaults.
        noise_seed: seed of the Gaussian noise (``numpy.random.default_rng``), an integer in
            0..2**63-1 as for a chip; ``None`` draws fresh noise.

    Returns:
        int32 array (batch..., M) with values -128..127.

    Raises:
        MockRangeError: an input or weight is out of range after rounding (message names the
            allowed range).
        ValueError: shapes do not fit, or an option is invalid.
    """
    if parameter is None:
        parameter = MockParameter()
    if not isinstance(parameter, MockParameter):
        raise TypeError(
            f"parameter: expected a chipsim.models.mock.MockParameter, got {type(parameter).__name__}"
        )
    x_arr, w_arr, num_sends, noise_seed = check_operands(
        x, w, num_sends, wait_between_events, noise_seed
    )
    batch_shape = x_arr.shape[:-1]
    flat = x_arr.reshape(-1, x_arr.shape[-1])
    k_total, m_total = w_arr.shape
    n_tiles = -(-k_total // TILE_INPUTS)
    noise = None
    if parameter.noise_std > 0:
        rng = np.random.default_rng(noise_seed)
        noise = rng.standard_normal((n_tiles, flat.shape[0], m_total)) * parameter.noise_std
    gain = parameter.gain * num_sends
    lo, hi = OUTPUT_RANGE
    total = np.zeros((flat.shape[0], m_total), dtype=np.int64)
    for c in range(n_tiles):
        k0, k1 = c * TILE_INPUTS, min((c + 1) * TILE_INPUTS, k_total)
        analog = gain * (flat[:, k0:k1] @ w_arr[k0:k1]).astype(np.float64)
        if noise is not None:
            analog = analog + noise[c]
        total += np.clip(np.floor(analog), lo, hi).astype(np.int64)
    out = np.clip(total, lo, hi).astype(np.int32)
    return out.reshape(batch_shape + (m_total,))


# ---- measuring the parameters -------------------------------------------------------------------


@dataclass(frozen=True)
class MockMeasurement:
    """Everything :func:`measure_mock_parameter` saw, for reports and figures.

    Attributes:
        parameter: the measured gain and noise.
        densities: the input densities tried (0.85**i).
        density_medians: median output of the trial vector at each density.
        density: the chosen density (median output closest to the target).
        inputs: the inputs of the measurement batch (n_vectors, K), unrounded values.
        ideal: ``inputs @ weights`` (n_vectors, M), computed with the unrounded input value.
        outputs: measured outputs (n_vectors, M).
        noise_std_of_sum: the reference statistic itself: median over columns of the std of
            the residual of the *summed* output, i.e. the noise of ``n_tiles`` tiles together.
        n_tiles: input tiles the measurement matrix spans (2 for 256 inputs).
    """

    parameter: MockParameter
    densities: np.ndarray
    density_medians: np.ndarray
    density: float
    inputs: np.ndarray
    ideal: np.ndarray
    outputs: np.ndarray
    noise_std_of_sum: float
    n_tiles: int


def _as_matmul(chip_or_matmul) -> Callable:
    """A callable with the matmul signature from a Chip (its ``matmul``) or a callable."""
    method = getattr(chip_or_matmul, "matmul", None)
    if callable(method):
        return method
    if callable(chip_or_matmul):
        return chip_or_matmul
    raise TypeError(
        "measure_mock_parameter: expected a chipsim.Chip or a callable "
        "matmul(x, w, num_sends=..., wait_between_events=..., noise_seed=...), "
        f"got {type(chip_or_matmul).__name__}"
    )


def _call(fn: Callable, x, w, num_sends: int, wait: int, noise_seed: int) -> np.ndarray:
    kwargs = {"num_sends": num_sends, "wait_between_events": wait}
    try:
        accepts_seed = "noise_seed" in inspect.signature(fn).parameters or any(
            p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values()
        )
    except (TypeError, ValueError):  # builtins without a signature
        accepts_seed = False
    if accepts_seed:
        kwargs["noise_seed"] = noise_seed
    return np.asarray(fn(x, w, **kwargs), dtype=np.float64)


def measure_mock_parameter_details(
    chip_or_matmul,
    *,
    seed: int = 0,
    num_inputs: int = 256,
    num_outputs: int = 128,
    weight: float = 21.0,
    input_value: float = 15.5,
    density_base: float = 0.85,
    num_densities: int = 20,
    target_median: float = 63.5,
    num_vectors: int = 50,
    num_sends: int = DEFAULT_NUM_SENDS,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    per_tile_noise: bool = False,
) -> MockMeasurement:
    """:func:`measure_mock_parameter` with everything it saw (see there)."""
    fn = _as_matmul(chip_or_matmul)
    seed = rules.seed(seed, "seed")
    num_inputs = rules.integer(num_inputs, "num_inputs", 1)
    num_outputs = rules.integer(num_outputs, "num_outputs", 1)
    num_densities = rules.integer(num_densities, "num_densities", 1)
    num_vectors = rules.integer(num_vectors, "num_vectors", 2)
    if not 0 < density_base < 1:
        raise ValueError(f"density_base: {density_base} must lie strictly between 0 and 1")
    rng = np.random.default_rng([seed, 0x6D6F636B])  # inputs
    seeds = np.random.default_rng([seed, 0x6E6F6973]).integers(0, 2**62, size=2)  # noise
    w = np.full((num_inputs, num_outputs), float(weight))

    # 1. one random vector per density; pick the density whose median output is nearest target
    densities = density_base ** np.arange(num_densities)
    trial = (rng.random((num_densities, num_inputs)) < densities[:, None]) * float(input_value)
    trial_out = _call(fn, trial, w, num_sends, wait_between_events, int(seeds[0]))
    medians = np.median(trial_out, axis=1)
    best = int(np.argmin(np.abs(medians - target_median)))
    density = float(densities[best])

    # 2. a batch at that density
    x = (rng.random((num_vectors, num_inputs)) < density) * float(input_value)
    out = _call(fn, x, w, num_sends, wait_between_events, int(seeds[1]))
    ideal = x @ w
    valid = ideal != 0
    if not valid.any():
        raise ValueError(
            "measure_mock_parameter: every measurement vector was empty; "
            "raise num_inputs or density_base"
        )
    gain = float(np.median(out[valid] / ideal[valid]))
    lo_gain, hi_gain = MEASURABLE_GAIN_RANGE
    if not lo_gain <= gain / num_sends <= hi_gain:
        warnings.warn(
            f"measure_mock_parameter: measured gain {gain / num_sends:.3g} is outside "
            f"{lo_gain}-{hi_gain}, the range the procedure is meant for; treat it with care",
            RuntimeWarning,
            stacklevel=3,
        )
    residual = out - gain * ideal
    noise_of_sum = float(np.median(np.std(residual, axis=0, ddof=1)))
    n_tiles = -(-num_inputs // TILE_INPUTS)
    noise_std = noise_of_sum / math.sqrt(n_tiles) if per_tile_noise else noise_of_sum
    return MockMeasurement(
        parameter=MockParameter(gain=gain / num_sends, noise_std=noise_std),
        densities=densities,
        density_medians=medians,
        density=density,
        inputs=x,
        ideal=ideal,
        outputs=out,
        noise_std_of_sum=noise_of_sum,
        n_tiles=n_tiles,
    )


def measure_mock_parameter(chip_or_matmul, *, seed: int = 0, **options) -> MockParameter:
    """Measure the mock parameters on a chip, following the reference procedure step by step.

    1. Weights: ``num_inputs x num_outputs`` = 256 x 128 (two input tiles), all 21.
    2. Inputs: active entries hold 15.5 (the chip rounds it to 16; the ideal product below
       uses 15.5, as the reference procedure does, which lifts the measured gain by 16/15.5).
    3. For the 20 densities ``p = 0.85**i`` draw one random vector whose entries are active with
       probability ``p``; keep the density whose median output is closest to 63.5.
    4. Run 50 random vectors at that density (``num_sends=1``, ``wait_between_events=5``).
    5. ``gain = median(measured / ideal)`` over all outputs with a non-zero ideal product;
       ``noise_std`` = median over columns of the standard deviation over the batch of
       ``measured - gain * ideal`` (the unbiased standard deviation, as the reference).
    6. That statistic is returned as ``noise_std``, as the reference software does. Note that
       the mock adds its noise once per 128-input tile while the measurement matrix spans two
       tiles: the statistic is the noise of the *sum* of two tiles, sqrt(2) times a per-tile
       noise (run on the mock itself it returns about 2.83 for noise_std 2.0).
       ``per_tile_noise=True`` divides it by sqrt(number of tiles): the parameter that, fed back
       into :func:`matmul`, reproduces the measured noise of multi-tile products. The bare
       statistic is also kept in :class:`MockMeasurement` as ``noise_std_of_sum``.

    The procedure is meant for gains 0.001-0.04. ``floor`` in the mock lowers every output by
    0.5 on average, so on the mock itself the result is about 2.5 % above its gain
    (+3.2 % from 16/15.5, -0.8 % from the floor at outputs near 63).

    Args:
        chip_or_matmul: a :class:`chipsim.Chip` (its ``matmul`` is used) or any callable
            ``f(x, w, num_sends=..., wait_between_events=..., noise_seed=...)``, e.g.
            :func:`chipsim.models.mock.matmul` itself.
        seed: seeds the random inputs and the noise seeds passed on.
        **options: ``num_inputs``, ``num_outputs``, ``weight``, ``input_value``,
            ``density_base``, ``num_densities``, ``target_median``, ``num_vectors``,
            ``num_sends``, ``wait_between_events``, ``per_tile_noise`` (reference values by
            default). With
            ``num_sends > 1`` the returned gain is per send.
    """
    return measure_mock_parameter_details(chip_or_matmul, seed=seed, **options).parameter


__all__ = [
    "INPUT_RANGE",
    "WEIGHT_RANGE",
    "OUTPUT_RANGE",
    "TILE_INPUTS",
    "MockParameter",
    "MockRangeError",
    "MockMeasurement",
    "matmul",
    "measure_mock_parameter",
    "measure_mock_parameter_details",
]
