"""The argument rules of chipsim: those of :mod:`hwdesc.rules`, where every package finds them
(``eventsim`` and ``hwdesc`` cannot import ``chipsim``). Nothing is defined here; the names are
re-exported so that ``chipsim.validation`` stays the place a chipsim user looks for them."""

from __future__ import annotations

from hwdesc.rules import (
    DEFAULT_NUM_SENDS,
    DEFAULT_WAIT_BETWEEN_EVENTS,
    SEED_MAX,
    integer,
    integer_array,
    num_sends,
    product_shapes,
    seed,
    wait_between_events,
)

#: Older names of :func:`hwdesc.rules.integer_array` and :func:`hwdesc.rules.integer`.
as_integer_array = integer_array


def positive_int(value, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """:func:`hwdesc.rules.integer` with ``minimum`` 1 by default (the older name)."""
    return integer(value, name, minimum, maximum)


__all__ = [
    "DEFAULT_NUM_SENDS",
    "DEFAULT_WAIT_BETWEEN_EVENTS",
    "SEED_MAX",
    "as_integer_array",
    "integer",
    "integer_array",
    "num_sends",
    "positive_int",
    "product_shapes",
    "seed",
    "wait_between_events",
]
