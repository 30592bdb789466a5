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

__all__ = [
    "DEFAULT_NUM_SENDS",
    "DEFAULT_WAIT_BETWEEN_EVENTS",
    "SEED_MAX",
    "integer",
    "integer_array",
    "num_sends",
    "product_shapes",
    "seed",
    "wait_between_events",
]
