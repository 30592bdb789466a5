"""Quantities derived from a description: cycle time, tile shape, and the time of a vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hwdesc

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


@pytest.fixture(scope="module")
def bss2():
    return hwdesc.load(CHIPS / "bss2.yaml")


@pytest.fixture(scope="module")
def tutorial():
    return hwdesc.load(CHIPS / "tutorial.yaml")


def test_cycle_time(bss2, tutorial):
    assert bss2.cycle_time == 8e-09
    assert tutorial.cycle_time == 8e-09


@pytest.mark.parametrize(
    "name, shape", [("bss2", (128, 256)), ("bss2-synin", (256, 128)), ("tutorial", (8, 8))]
)
def test_tile_shape(name, shape):
    chip = hwdesc.load(CHIPS / f"{name}.yaml")
    assert chip.tile_shape == shape
    assert chip.geometry.tile_shape == shape
    assert (chip.geometry.inputs_per_tile, chip.geometry.outputs_per_tile) == shape


def test_cycles_converts_whole_cycles_and_refuses_the_rest(bss2):
    assert bss2.cycles(0.0) == 0
    assert bss2.cycles(8e-9) == 1
    assert bss2.cycles(5e-6) == 625
    assert bss2.cycles(2.048e-6) == 256
    with pytest.raises(
        ValueError, match=r"1.2e-08 s is not a whole number of FPGA cycles \(8 ns\)"
    ):
        bss2.cycles(12e-9)
    with pytest.raises(ValueError, match="not a whole number"):
        bss2.cycles(float("inf"))


def test_schedule_events_index(bss2, tutorial):
    assert bss2.schedule.phases[bss2.schedule.events_index].kind == "events"
    assert tutorial.schedule.events_index == 5


@pytest.mark.parametrize(
    "n_inputs, num_sends, wait, cycles",
    [
        (128, 1, 5, 640),
        (0, 1, 5, 0),
        (1, 1, 5, 5),
        (128, 2, 5, 1280),
        (64, 1, 25, 1600),
        (100, 3, 2, 600),
    ],
)
def test_event_phase_cycles(bss2, n_inputs, num_sends, wait, cycles):
    assert bss2.event_phase_cycles(n_inputs, num_sends, wait) == cycles


def test_event_phase_cycles_defaults_and_numpy_integers(bss2):
    assert bss2.event_phase_cycles(128) == 640  # num_sends 1, wait_between_events 5
    assert bss2.event_phase_cycles(np.int64(10), np.int32(2), np.int16(3)) == 60


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((-1,), ValueError, "n_inputs: -1 is out of range; allowed: 0..128"),
        ((129,), ValueError, "n_inputs: 129 is out of range; allowed: 0..128"),
        ((2.5,), TypeError, "n_inputs: expected an integer, got float 2.5; allowed: 0..128"),
        ((True,), TypeError, "n_inputs: expected an integer, got bool True; allowed: 0..128"),
        ((10, 0), ValueError, "num_sends: 0 is out of range; allowed: >= 1"),
        ((10, 1, -1), ValueError, "wait_between_events: -1 is out of range; allowed: >= 0"),
        (
            (10, 1, 5.0),
            TypeError,
            "wait_between_events: expected an integer, got float 5.0 (write 5); allowed: >= 0",
        ),
    ],
)
def test_event_phase_cycles_refuses_bad_arguments(bss2, args, error, message):
    with pytest.raises(error) as info:
        bss2.event_phase_cycles(*args)
    assert str(info.value) == message


def test_fixed_cycles_is_the_sum_of_the_phase_durations(bss2, tutorial):
    assert tutorial.fixed_cycles() == (96 + 80 + 160 + 64) // 8
    assert bss2.fixed_cycles() == sum(
        round(p.duration / 8e-9) for p in bss2.schedule.phases if p.duration is not None
    )
    # model.md section 1: about 38 us of fixed overhead per vector.
    assert bss2.fixed_cycles() * bss2.cycle_time == pytest.approx(38e-6, rel=0.02)


def test_vector_cycles_and_time(tutorial):
    assert tutorial.vector_cycles(8) == 50 + 40
    assert tutorial.vector_cycles(8, 2, 3) == 50 + 48
    assert tutorial.vector_time(8) == pytest.approx(90 * 8e-9, rel=1e-12)


def test_bss2_full_vector_takes_about_43_us(bss2):
    # model.md section 1: about 38 us fixed + 128 inputs x 5 cycles x 8 ns (5.1 us): about 43 us per vector.
    assert bss2.event_phase_cycles(128, 1, 5) * bss2.cycle_time == pytest.approx(5.12e-6, rel=1e-12)
    assert bss2.vector_cycles(128, 1, 5) == bss2.fixed_cycles() + 640
    assert bss2.vector_time(128, 1, 5) == pytest.approx(43e-6, rel=0.02)


def test_the_description_is_frozen(bss2):
    with pytest.raises(ValueError):
        bss2.geometry.halves = 3
    assert isinstance(bss2.schedule.phases, tuple)
    assert isinstance(bss2.identity.provenance, tuple)


def test_equal_descriptions_hash_equal(tutorial):
    again = hwdesc.load(CHIPS / "tutorial.yaml")
    assert again == tutorial and hash(again) == hash(tutorial)
    assert {tutorial: 1}[again] == 1
