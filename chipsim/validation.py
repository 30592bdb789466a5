"""Checks and conversions of user arrays (inputs, weights, options) with messages that name the
argument, the offending value and where it sits, and the allowed range."""

from __future__ import annotations

import numbers

import numpy as np


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def as_integer_array(
    value, name: str, low: int, high: int, *, min_ndim: int = 1, ndim: int | None = None,
    compact: bool = False,
) -> np.ndarray:
    """Convert ``value`` to an integer array, rounding to nearest (half to even, as ``numpy.rint``).

    The result is int64, or with ``compact=True`` the smallest signed integer dtype that holds
    ``low..high`` (int8 for inputs and weights: large batches stay small; cast before
    multiplying, int8 products overflow).

    Raises ``TypeError`` for non-numeric data and ``ValueError`` for a wrong number of
    dimensions, NaN/inf, or values outside ``low..high`` after rounding (the message names
    ``name``, the first offending index and value, and the allowed range).
    """
    try:
        array = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - anything numpy cannot read
        raise TypeError(f"{name}: cannot be read as an array ({err})") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)
    ):
        raise TypeError(f"{name}: expected numbers, got an array of dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name}: complex values are not allowed (dtype {array.dtype})")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {array.shape}")
    if array.ndim < min_ndim:
        raise ValueError(f"{name}: expected at least {min_ndim} dimension(s), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: is empty (shape {array.shape})")
    if np.issubdtype(array.dtype, np.floating):
        finite = np.isfinite(array)
        if not finite.all():
            index = _first_bad(~finite)
            raise ValueError(f"{name}: value {array[index]} at index {index} is not finite")
        array = np.rint(array)
    bad = (array < low) | (array > high)
    if bad.any():
        index = _first_bad(bad)
        raise ValueError(
            f"{name}: value {np.asarray(value)[index]} at index {index} is outside the allowed "
            f"range {low}..{high} (after rounding; {int(bad.sum())} value(s) out of range)"
        )
    dtype = np.int64
    if compact:
        dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                     if np.iinfo(t).min <= low and high <= np.iinfo(t).max)
    return array.astype(dtype, copy=array.dtype != dtype)


def positive_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer option ``>= minimum`` (and ``<= maximum``); refuses bools and fractions."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name}: expected an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        allowed = f">= {minimum}" if maximum is None else f"{minimum}..{maximum}"
        raise ValueError(f"{name}: {value} is out of range; allowed: {allowed}")
    return value
