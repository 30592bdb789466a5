"""Unit strings -> SI floats at the boundary (parse_quantity) and back (format_si)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwdesc import format_si, parse_quantity
from hwdesc.units import EXAMPLES, SI_UNIT, QuantityError


@pytest.mark.parametrize(
    "text, dimension, si",
    [
        ("320 ns", "time", 3.2e-07),
        ("125 MHz", "frequency", 1.25e8),
        ("2.2 pF", "capacitance", 2.2e-12),
        ("0.5 uA", "current", 5e-07),
        ("3 %", "dimensionless", 0.03),
        ("150 mV", "voltage", 0.15),
        ("0.9 uS", "conductance", 9e-07),
        ("20 pJ", "energy", 2e-11),
        ("0.6 W", "power", 0.6),
        ("4e-18 A**2/Hz/S", "current_psd_per_conductance", 4e-18),
        ("4e-18 A^2 / Hz / S", "current_psd_per_conductance", 4e-18),
        ("5 µs", "time", 5e-06),
        ("5us", "time", 5e-06),
        ("  -0.3 V ", "voltage", -0.3),
        (".5 ns", "time", 5e-10),
        ("1e3 Hz", "frequency", 1000.0),
        ("2 min", "time", 120.0),
        ("0.03", "dimensionless", 0.03),
    ],
)
def test_parse_quantity_gives_exact_si_floats(text, dimension, si):
    # Exact: decimal prefixes are applied in decimal, so '320 ns' is the float nearest 3.2e-07.
    assert parse_quantity(text, dimension) == si


@pytest.mark.parametrize("number", [0, 0.03, 1, 2.5])
def test_dimensionless_takes_plain_numbers(number):
    assert parse_quantity(number, "dimensionless") == number


def test_every_dimension_has_an_example_that_parses():
    assert set(EXAMPLES) == set(SI_UNIT)
    for dimension, example in EXAMPLES.items():
        assert parse_quantity(example, dimension) > 0


@pytest.mark.parametrize("value", [5, 2.2e-12, "5", " 5 "])
def test_bare_number_for_a_dimensioned_value_is_refused(value):
    with pytest.raises(QuantityError) as info:
        parse_quantity(value, "capacitance")
    assert info.value.problem.startswith("a capacitance needs a unit, got the bare number")
    assert info.value.hint == "write it with a unit, like '2.2 pF'"
    assert str(info.value) == f"{info.value.problem}; {info.value.hint}"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_refused(value):
    with pytest.raises(ValueError, match="expected a finite number"):
        parse_quantity(value, "dimensionless")


@pytest.mark.parametrize("text", ["nan s", "inf s", "NaN ns", "-inf s"])
def test_nan_and_inf_strings_are_refused(text):
    with pytest.raises(ValueError, match=r"cannot read .* as a time; write a time like '320 ns'"):
        parse_quantity(text, "time")


def test_overflow_is_refused():
    with pytest.raises(ValueError, match=r"'1e400 s' is too large"):
        parse_quantity("1e400 s", "time")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ns",
        "fast",
        "5 ns 3",
        "1,5 ns",
        "1/0 s",
        "10**10**10 s",
        "5 ns ns",
        "5 [",
        "()",
        "__import__('os')",
        "5 ns)",
        "0x10 s",
        "5_000 ns",
        "3 ５ ns",
    ],
)
def test_garbage_strings_give_value_error_with_the_example(text):
    with pytest.raises(ValueError) as info:
        parse_quantity(text, "time")
    assert "'320 ns'" in str(info.value)


def test_unknown_unit_is_named():
    with pytest.raises(QuantityError) as info:
        parse_quantity("5 nss", "time")
    assert info.value.problem == "unknown unit 'nss' in '5 nss'"
    assert info.value.hint == "write a time like '320 ns'"


@pytest.mark.parametrize(
    "text, dimension, message",
    [
        ("5 ns", "capacitance", "'5 ns' is a time, but a capacitance is expected here"),
        ("2.2 pF", "time", "'2.2 pF' is a capacitance, but a time is expected here"),
        (
            "3 %",
            "voltage",
            "'3 %' is a plain number (or percentage), but a voltage is expected here",
        ),
        ("5 m", "time", "'5 m' is a quantity of dimension [length], but a time is expected here"),
        (
            "1 uS",
            "current_psd_per_conductance",
            "'1 uS' is a conductance, but a current noise density per conductance is expected here",
        ),
    ],
)
def test_wrong_dimension_names_both(text, dimension, message):
    with pytest.raises(QuantityError) as info:
        parse_quantity(text, dimension)
    assert info.value.problem == message


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}])
def test_non_numbers_are_refused(value):
    with pytest.raises(QuantityError, match="expected a time"):
        parse_quantity(value, "time")


def test_energy_and_noise_density_per_conductance_share_a_dimension():
    # A^2/Hz/S reduces to joules (it is 4 k T gamma): both spellings are accepted for both.
    assert parse_quantity("4 aJ", "current_psd_per_conductance") == pytest.approx(4e-18, rel=1e-15)
    assert parse_quantity("4e-18 A**2/Hz/S", "energy") == 4e-18


@given(st.text(max_size=30), st.sampled_from(sorted(SI_UNIT)))
@settings(max_examples=300, deadline=None)
def test_any_string_gives_a_float_or_value_error(text, dimension):
    try:
        value = parse_quantity(text, dimension)
    except ValueError:
        return
    assert math.isfinite(value)


@pytest.mark.parametrize(
    "value, dimension, text",
    [
        (3.2e-07, "time", "320 ns"),
        (1.25e8, "frequency", "125 MHz"),
        (2.2e-12, "capacitance", "2.2 pF"),
        (5e-07, "current", "500 nA"),
        (9e-07, "conductance", "900 nS"),
        (0.6, "power", "600 mW"),
        (-0.3, "voltage", "-300 mV"),
        (4e-18, "current_psd_per_conductance", "4e-18 A**2/Hz/S"),
        (0.03, "dimensionless", "0.03"),
        (0.0, "time", "0 s"),
        (9.9996e-07, "time", "1 us"),
        (2.048e-06, "time", "2.048 us"),
    ],
)
def test_format_si(value, dimension, text):
    assert format_si(value, dimension) == text


@given(
    st.floats(min_value=1e-20, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.sampled_from(sorted(SI_UNIT)),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_format_si_round_trips(magnitude, dimension, negative):
    value = -magnitude if negative else magnitude
    text = format_si(value, dimension, digits=17)
    assert parse_quantity(text, dimension) == pytest.approx(value, rel=1e-14)
    short = format_si(value, dimension)
    assert parse_quantity(short, dimension) == pytest.approx(value, rel=5e-4)
