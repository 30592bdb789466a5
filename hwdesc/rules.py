"""The argument rules every package shares: integers, seeds, integer arrays and the shapes of a
product, each written once, with one message style::

    <argument>: <what is wrong>; allowed: <the rule>

``hwdesc`` imports nothing of ours, so ``hwdesc`` itself, ``eventsim`` and ``chipsim`` all call
these functions. The ranges of inputs and weights are not written here: they come from a chip
description's ``formats`` (``desc.formats.input.min`` ...), and the callers pass them in.

Types are strict. Where an integer is expected, ``int`` and the NumPy integer types are taken
(and anything else that is an integer by ``__index__``, such as a 0-d integer tensor); ``bool``,
floats (even ``5.0``) and strings are refused with a ``TypeError``. A value outside the allowed
range is a ``ValueError``. Arrays of numbers (:func:`integer_array`) may be floats, which are
rounded to nearest; boolean, complex, date and time-delta arrays and masked arrays are refused.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

#: The reference software's default ``num_sends``: each input vector is sent once.
DEFAULT_NUM_SENDS = 1
#: The reference software's default ``wait_between_events`` (FPGA cycles between events).
DEFAULT_WAIT_BETWEEN_EVENTS = 5
#: Largest seed (of a chip instance or of the temporal noise): seeds are 0..2**63-1, the
#: non-negative range of int64, which NumPy and the kernels take without conversion.
SEED_MAX = 2**63 - 1


def _allowed(minimum: int | None, maximum: int | None) -> str:
    if maximum is None:
        return f">= {minimum}"
    if minimum is None:
        return f"<= {maximum}"
    if maximum == SEED_MAX:
        return f"{minimum}..2**63-1"
    return f"{minimum}..{maximum}"


def _describe(value) -> str:
    shown = value.item() if isinstance(value, np.generic) else value
    return f"{type(value).__name__} {shown!r}"


def integer(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as a Python ``int`` in ``minimum..maximum`` (either bound may be ``None``).

    Raises ``TypeError`` for a bool, a float (also a whole one: ``5.0``), a string or anything
    else that is not an integer, and ``ValueError`` for an integer outside the bounds. The
    messages start with ``name``.
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name}: expected an integer, got {_describe(value)}; allowed: "
            f"{_allowed(minimum, maximum)}"
        )
    try:
        number = operator.index(value)
    except TypeError:
        hint = ""
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            hint = f" (write {int(value)})"
        raise TypeError(
            f"{name}: expected an integer, got {_describe(value)}{hint}; allowed: "
            f"{_allowed(minimum, maximum)}"
        ) from None
    problem = out_of_range(number, minimum, maximum)
    if problem:
        raise ValueError(f"{name}: {problem}")
    return int(number)


def out_of_range(number: int, minimum: int | None = None, maximum: int | None = None) -> str:
    """What is wrong with the integer ``number`` against the bounds (``""`` when nothing is),
    without the argument's name, e.g. ``"0 is out of range; allowed: >= 1"``: for callers that
    name the argument their own way (the command line's options)."""
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        return f"{number} is out of range; allowed: {_allowed(minimum, maximum)}"
    return ""


def seed(value, name: str = "seed") -> int:
    """A seed: an integer in ``0..SEED_MAX`` (2**63-1), by :func:`integer`'s rules."""
    return integer(value, name, 0, SEED_MAX)


def num_sends(value, name: str = "num_sends", maximum: int | None = None) -> int:
    """How often a vector is sent: an integer ``>= 1`` (and ``<= maximum`` when given)."""
    return integer(value, name, 1, maximum)


def wait_between_events(
    value, name: str = "wait_between_events", maximum: int | None = None
) -> int:
    """FPGA cycles between successive events: an integer ``>= 0`` (``<= maximum`` when given)."""
    return integer(value, name, 0, maximum)


def plain_array(value, name: str) -> np.ndarray:
    """``numpy.asarray(value)``, refusing a masked array (``TypeError``): its mask would be
    ignored. Fill the masked entries first (``x.filled(0)``) or drop them."""
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{name}: masked arrays are not accepted (the mask would be ignored); fill the masked "
            f"entries first, e.g. {name}.filled(0), or drop them"
        )
    try:
        return np.asarray(value)
    except Exception as err:
        raise TypeError(f"{name}: cannot be read as an array ({err})") from None


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def integer_array(
    value,
    name: str,
    low: int,
    high: int,
    *,
    min_ndim: int = 1,
    ndim: int | None = None,
    compact: bool = False,
    range_error: type = ValueError,
) -> np.ndarray:
    """``value`` as an integer array with values in ``low..high``, floats rounded to nearest
    (half to even, as ``numpy.rint``).

    Integer and floating-point arrays (and anything ``numpy.asarray`` reads as one, e.g. nested
    lists or CPU tensors) are taken. Refused with ``TypeError``: masked arrays (their mask would
    be ignored; fill the masked entries first, e.g. ``x.filled(0)``), boolean, complex,
    date/time-delta, string and object arrays. Refused with ``ValueError``: a wrong number of
    dimensions, an empty array, NaN/inf, and values outside ``low..high`` after rounding. Every
    message names ``name``; range errors (raised as ``range_error``, a ``ValueError`` subclass)
    also the first offending index and value.

    The result is int64, or with ``compact=True`` the smallest signed integer dtype that holds
    ``low..high`` (int8 for inputs and weights: large batches stay small; cast before
    multiplying, int8 products overflow).
    """
    array = plain_array(value, name)
    kind = array.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{name}: expected numbers, got a boolean array; convert it first, e.g. "
            f"{name}.astype(int) if True means 1"
        )
    if kind == "c":
        raise TypeError(
            f"{name}: complex values are not allowed (dtype {array.dtype}); pass the "
            f"real part explicitly if that is meant"
        )
    if kind not in "iuf":
        raise TypeError(f"{name}: expected numbers, got an array of dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {array.shape}")
    if array.ndim < min_ndim:
        raise ValueError(
            f"{name}: expected at least {min_ndim} dimension(s), got shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name}: is empty (shape {array.shape}); give at least one value")
    if kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            index = _first_bad(~finite)
            raise ValueError(f"{name}: value {array[index]} at index {index} is not finite")
        array = np.rint(array)
    bad = (array < low) | (array > high)
    if bad.any():
        index = _first_bad(bad)
        raise range_error(
            f"{name}: value {np.asarray(value)[index]} at index {index} is out of range "
            f"({int(bad.sum())} value(s) out of range after rounding); allowed: {low}..{high}"
        )
    dtype: Any = np.int64
    if compact:
        dtype = next(
            t
            for t in (np.int8, np.int16, np.int32, np.int64)
            if np.iinfo(t).min <= low and high <= np.iinfo(t).max
        )
    return array.astype(dtype, copy=array.dtype != dtype)


def product_shapes(
    x_shape, w_shape, x: str = "x", w: str = "w", error: type = ValueError, where: str = ""
) -> None:
    """Refuse ``x @ w`` when the last dimension of ``x`` is not the first of ``w``: raises
    ``error`` naming both arguments (and ``where``, e.g. the operation) and their shapes."""
    x_shape, w_shape = tuple(x_shape), tuple(w_shape)
    if x_shape[-1] != w_shape[0]:
        raise error(
            f"{where + ': ' if where else ''}{x} and {w} do not fit: {x} has {x_shape[-1]} inputs in its last dimension "
            f"(shape {x_shape}), {w} has {w_shape[0]} rows (shape {w_shape}); allowed: "
            f"{x}.shape[-1] == {w}.shape[0]"
        )
