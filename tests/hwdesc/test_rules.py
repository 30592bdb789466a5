"""The argument rules of hwdesc.rules, tested once here; the entry points only check that they
call them (tests/chipsim/test_strict_types.py)."""

import fractions
import re

import numpy as np
import pytest

from hwdesc import rules


# ---- integers -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value", [0, 5, 2**63 - 1, 2**80, np.int8(5), np.uint64(2**64 - 1), np.int64(-3)]
)
def test_integer_takes_python_and_numpy_integers_as_int(value):
    got = rules.integer(value, "n")
    assert got == int(value) and type(got) is int


@pytest.mark.parametrize(
    "value, shown",
    [
        (True, "bool True"),
        (False, "bool False"),
        (np.bool_(True), "bool True"),
        (5.0, "float 5.0 (write 5)"),
        (np.float64(2.0), "float64 2.0 (write 2)"),
        (2.5, "float 2.5"),
        (float("nan"), "float nan"),
        (float("inf"), "float inf"),
        ("5", "str '5'"),
        (None, "NoneType None"),
        (fractions.Fraction(1, 2), "Fraction Fraction(1, 2)"),
        (np.array([1]), "ndarray array([1])"),
        (1 + 0j, "complex (1+0j)"),
    ],
)
def test_integer_refuses_everything_else_with_a_type_error(value, shown):
    with pytest.raises(TypeError) as info:
        rules.integer(value, "num_sends", 1)
    assert str(info.value) == f"num_sends: expected an integer, got {shown}; allowed: >= 1"


@pytest.mark.parametrize(
    "value, minimum, maximum, allowed",
    [
        (-1, 0, None, ">= 0"),
        (0, 1, None, ">= 1"),
        (11, None, 10, "<= 10"),
        (11, 2, 10, "2..10"),
        (1, 2, 10, "2..10"),
        (-(2**70), 0, None, ">= 0"),
        (np.int64(-5), 0, 3, "0..3"),
    ],
)
def test_integer_refuses_out_of_range_with_a_value_error(value, minimum, maximum, allowed):
    with pytest.raises(ValueError) as info:
        rules.integer(value, "wait", minimum, maximum)
    assert str(info.value) == f"wait: {int(value)} is out of range; allowed: {allowed}"


def test_integer_bounds_are_inclusive():
    assert rules.integer(2, "n", 2, 10) == 2 and rules.integer(10, "n", 2, 10) == 10
    assert rules.integer(-(2**70), "n") == -(2**70)  # no bounds: any integer


def test_out_of_range_is_the_message_without_a_name():
    assert rules.out_of_range(5, 0, 10) == "" and rules.out_of_range(5) == ""
    assert rules.out_of_range(-1, 0) == "-1 is out of range; allowed: >= 0"
    assert rules.out_of_range(11, 0, 10) == "11 is out of range; allowed: 0..10"


def test_num_sends_and_wait_take_an_upper_bound():
    assert rules.num_sends(3) == 3 and rules.wait_between_events(0) == 0
    with pytest.raises(ValueError, match=re.escape("num_sends: 0 is out of range; allowed: >= 1")):
        rules.num_sends(0)
    with pytest.raises(ValueError, match=re.escape("num_sends: 9 is out of range; allowed: 1..8")):
        rules.num_sends(9, maximum=8)
    with pytest.raises(
        ValueError, match=re.escape("wait_between_events: -1 is out of range; allowed: >= 0")
    ):
        rules.wait_between_events(-1)
    with pytest.raises(TypeError, match="wait_between_events: expected an integer, got bool True"):
        rules.wait_between_events(True)


# ---- seeds ----------------------------------------------------------------------------------
def test_seed_range_is_0_to_2_63_minus_1():
    assert rules.SEED_MAX == 2**63 - 1 == np.iinfo(np.int64).max
    assert rules.seed(0) == 0 and rules.seed(np.uint64(2**63 - 1)) == 2**63 - 1
    for bad in (2**63, 2**64, -1):
        with pytest.raises(ValueError) as info:
            rules.seed(bad, "noise_seed")
        assert str(info.value) == f"noise_seed: {bad} is out of range; allowed: 0..2**63-1"
    with pytest.raises(
        TypeError, match=re.escape("seed: expected an integer, got bool True; allowed: 0..2**63-1")
    ):
        rules.seed(True)
    with pytest.raises(TypeError, match="got float 3.0"):
        rules.seed(3.0)


# ---- integer arrays -------------------------------------------------------------------------
def test_integer_array_rounds_floats_half_to_even_and_keeps_integers():
    got = rules.integer_array([[0.5, 1.5, 2.4999], [2.5, -0.5, 3]], "x", -1, 3)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [[0, 2, 2], [2, 0, 3]])
    ints = np.array([1, 2], np.uint8)
    assert rules.integer_array(ints, "x", 0, 31).tolist() == [1, 2]


def test_integer_array_compact_dtype_holds_the_range():
    assert rules.integer_array([1], "x", 0, 31, compact=True).dtype == np.int8
    assert rules.integer_array([1], "x", -200, 200, compact=True).dtype == np.int16
    assert rules.integer_array([1], "x", 0, 2**40, compact=True).dtype == np.int64


@pytest.mark.parametrize(
    "value, message",
    [
        (np.array([True, False]), "x: expected numbers, got a boolean array"),
        (np.array([1 + 2j]), "x: complex values are not allowed (dtype complex128)"),
        (
            np.array([1], dtype="timedelta64[ns]"),
            "x: expected numbers, got an array of dtype timedelta64[ns]",
        ),
        (
            np.array(["2020-01-01"], dtype="datetime64[D]"),
            "x: expected numbers, got an array of dtype datetime64[D]",
        ),
        (np.array(["1"]), "x: expected numbers, got an array of dtype <U1"),
        (np.array([1, None], dtype=object), "x: expected numbers, got an array of dtype object"),
        (
            np.ma.masked_array([1, 2], mask=[0, 1]),
            "x: masked arrays are not accepted (the mask would be ignored)",
        ),
        (np.ma.masked_array([1, 2]), "x: masked arrays are not accepted"),  # even without a mask
    ],
)
def test_integer_array_refuses_non_numbers_and_masked_arrays(value, message):
    with pytest.raises(TypeError) as info:
        rules.integer_array(value, "x", 0, 31)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    "value, kwargs, message",
    [
        ([1.0, np.nan], {}, "x: value nan at index (1,) is not finite"),
        ([[1.0], [-np.inf]], {}, "x: value -inf at index (1, 0) is not finite"),
        (
            [1, 32, 40],
            {},
            "x: value 32 at index (1,) is out of range (2 value(s) out of range after "
            "rounding); allowed: 0..31",
        ),
        (
            [31.6],
            {},
            "x: value 31.6 at index (0,) is out of range (1 value(s) out of range after "
            "rounding); allowed: 0..31",
        ),
        ([-0.6], {}, "x: value -0.6 at index (0,) is out of range"),
        ([2**70], {}, "x: expected numbers, got an array of dtype object"),
        (np.zeros((0, 3)), {}, "x: is empty (shape (0, 3)); give at least one value"),
        (5, {}, "x: expected at least 1 dimension(s), got shape ()"),
        ([[1]], {"ndim": 1}, "x: expected 1 dimensions, got shape (1, 1)"),
    ],
)
def test_integer_array_refuses_bad_values(value, kwargs, message):
    with pytest.raises((ValueError, TypeError)) as info:
        rules.integer_array(value, "x", 0, 31, **kwargs)
    assert str(info.value).startswith(message)


def test_integer_array_edges_are_inclusive_after_rounding():
    np.testing.assert_array_equal(rules.integer_array([-0.5, 31.4], "x", 0, 31), [0, 31])


def test_integer_array_raises_the_given_range_error():
    class Overflow(ValueError, OverflowError):
        pass

    with pytest.raises(Overflow, match="w: value 64"):
        rules.integer_array([64], "w", -63, 63, range_error=Overflow)
    with pytest.raises(TypeError):  # only range errors change class
        rules.integer_array([True], "w", -63, 63, range_error=Overflow)


def test_plain_array_refuses_masked_arrays_only():
    assert rules.plain_array([1, 2], "a").tolist() == [1, 2]
    assert rules.plain_array(np.array([True]), "a").dtype == bool
    with pytest.raises(TypeError, match=re.escape("a: masked arrays are not accepted")):
        rules.plain_array(np.ma.masked_array([1]), "a")


def test_product_shapes_names_both_operands():
    rules.product_shapes((4, 3), (3, 2))
    rules.product_shapes((3,), (3,))
    with pytest.raises(ValueError) as info:
        rules.product_shapes((4, 3), (5, 2))
    assert str(info.value) == (
        "x and w do not fit: x has 3 inputs in its last dimension (shape "
        "(4, 3)), w has 5 rows (shape (5, 2)); allowed: x.shape[-1] == w.shape[0]"
    )
    with pytest.raises(RuntimeError, match="^matmul: input and other do not fit"):
        rules.product_shapes((4, 3), (5,), "input", "other", error=RuntimeError, where="matmul")


def test_defaults_are_the_reference_software_s():
    assert (rules.DEFAULT_NUM_SENDS, rules.DEFAULT_WAIT_BETWEEN_EVENTS) == (1, 5)
