"""Argument checking of the public functions: clear messages naming the argument, value and what is allowed."""

from __future__ import annotations

import re

import numpy as np
import pytest

import eventsim


def x_ok():
    return np.ones((1, 2, 8), np.int32)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"num_sends": 0}, ValueError, "num_sends: 0 is out of range; allowed: >= 1"),
        (
            {"num_sends": 1.5},
            TypeError,
            "num_sends: expected an integer, got float 1.5; allowed: >= 1",
        ),
        (
            {"num_sends": True},
            TypeError,
            "num_sends: expected an integer, got bool True; allowed: >= 1",
        ),
        (
            {"wait_between_events": -1},
            ValueError,
            "wait_between_events: -1 is out of range; allowed: >= 0",
        ),
        (
            {"wait_between_events": "5"},
            TypeError,
            "wait_between_events: expected an integer, got str '5'",
        ),
        ({"engine": "numba"}, ValueError, "engine(='numba') must be one of 'fast', 'simpy'"),
        ({"macs_per_vector": -3}, ValueError, "macs_per_vector: -3 is out of range; allowed: >= 0"),
    ],
)
def test_scalar_arguments(tutorial, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        eventsim.simulate(tutorial, x_ok(), **kwargs)


def test_numpy_integers_are_accepted(tutorial):
    run = eventsim.simulate(
        tutorial, x_ok(), num_sends=np.int64(2), wait_between_events=np.uint8(3)
    )
    assert run.num_sends.tolist() == [2] and run.wait_between_events.tolist() == [3]


def test_activations_must_be_integers(tutorial):
    with pytest.raises(
        TypeError,
        match=re.escape(
            "activations must be an integer array (values 0..31), "
            "got dtype float64; round them first"
        ),
    ):
        eventsim.simulate(tutorial, np.ones((1, 2, 8)))


@pytest.mark.parametrize("shape", [(2, 8), (1, 3, 8), (1, 2, 9), (0, 2, 8), (1, 2, 0)])
def test_activations_shape(tutorial, shape):
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"activations has shape {shape}; expected (batch >= 1, halves = 2, inputs 1..8)"
        ),
    ):
        eventsim.simulate(tutorial, np.ones(shape, np.int32))


def test_activations_range_names_the_entry(tutorial):
    x = x_ok()
    x[0, 1, 3] = 32
    with pytest.raises(
        ValueError, match=re.escape("activations[0, 1, 3] = 32 is out of range; allowed 0..31")
    ):
        eventsim.simulate(tutorial, x)
    x[0, 1, 3] = -1
    with pytest.raises(ValueError, match=re.escape("activations[0, 1, 3] = -1 is out of range")):
        eventsim.simulate(tutorial, x)


def test_weights_shape_and_type(tutorial):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "weights has shape (2, 7, 8); expected (halves = 2, inputs = 8 "
            "as in activations, outputs 1..8)"
        ),
    ):
        eventsim.simulate(tutorial, x_ok(), np.ones((2, 7, 8)))
    with pytest.raises(
        TypeError, match="weights must be a numeric or boolean array, got dtype <U1"
    ):
        eventsim.simulate(tutorial, x_ok(), np.full((2, 8, 8), "a"))


def test_chip_must_be_a_description():
    with pytest.raises(TypeError, match="chip must be a hwdesc.ChipDescription"):
        eventsim.simulate("tutorial", x_ok())


def test_concatenate_arguments(tutorial, bss2):
    with pytest.raises(ValueError, match="runs must hold at least one EventRun, got none"):
        eventsim.concatenate([])
    run = eventsim.simulate(tutorial, x_ok())
    with pytest.raises(TypeError, match=re.escape("runs[1] must be an EventRun, got int")):
        eventsim.concatenate([run, 3])
    other = eventsim.simulate(bss2, np.ones((1, 2, 128), np.int32))
    with pytest.raises(
        ValueError,
        match=re.escape("runs[1] comes from chip 'bss2', which differs from runs[0] ('tutorial')"),
    ):
        eventsim.concatenate([run, other])


def test_trace_and_report_arguments(tutorial):
    with pytest.raises(TypeError, match="run must be an EventRun"):
        eventsim.format_report(None)
    run = eventsim.simulate(tutorial, x_ok())
    with pytest.raises(
        ValueError, match=re.escape("max_vectors: 0 is out of range; allowed: >= 1")
    ):
        eventsim.trace_events(run, max_vectors=0)
