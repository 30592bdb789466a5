"""Every public entry that multiplies refuses the same bad arguments, naming the argument: the chip
(``Chip.matmul``/``Chip.run``), the mock, the surrogates and the torch front end. The rules
themselves are tested in tests/hwdesc/test_rules.py; here only that each entry applies them."""

import re

import numpy as np
import pytest
import torch

import chipsim.torch as hxp
from chipsim.models import mock
from chipsim.models import surrogates as S
from hwdesc import rules


def _surrogate():
    shape = (2, 8)
    return S.ColumnSurrogate(
        "column",
        gain=np.full(shape, 0.002),
        offset=np.zeros(shape),
        noise_std=np.ones(shape),
        limit_hi=np.full(shape, np.inf),
        limit_lo=np.full(shape, np.inf),
        tile_inputs=8,
    )


def _entries(tutorial):
    """name -> f(x, w, **options) for every public multiply (numpy arguments)."""

    def torch_chip(x, w, **kw):
        return hxp.matmul(
            torch.as_tensor(x, dtype=torch.float32),
            torch.as_tensor(w, dtype=torch.float32),
            chip=tutorial,
            **kw,
        )

    def torch_mock(x, w, **kw):
        return hxp.matmul(
            torch.as_tensor(x, dtype=torch.float32),
            torch.as_tensor(w, dtype=torch.float32),
            mock=True,
            **kw,
        )

    return {
        "Chip.matmul": tutorial.matmul,
        "Chip.run": tutorial.run,
        "mock.matmul": mock.matmul,
        "ColumnSurrogate.matmul": _surrogate().matmul,
        "torch chip": torch_chip,
        "torch mock": torch_mock,
    }


ENTRIES = [
    "Chip.matmul",
    "Chip.run",
    "mock.matmul",
    "ColumnSurrogate.matmul",
    "torch chip",
    "torch mock",
]
X = np.full((2, 8), 3)
W = np.full((8, 4), 5)


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(
    "option, value, error, message",
    [
        ("num_sends", True, TypeError, "num_sends: expected an integer, got bool True"),
        ("num_sends", np.bool_(True), TypeError, "num_sends: expected an integer, got bool True"),
        ("num_sends", 2.0, TypeError, "num_sends: expected an integer, got float 2.0 (write 2)"),
        ("num_sends", 0, ValueError, "num_sends: 0 is out of range; allowed: >= 1"),
        (
            "wait_between_events",
            False,
            TypeError,
            "wait_between_events: expected an integer, got bool False",
        ),
        (
            "wait_between_events",
            5.0,
            TypeError,
            "wait_between_events: expected an integer, got float 5.0",
        ),
        (
            "wait_between_events",
            -1,
            ValueError,
            "wait_between_events: -1 is out of range; allowed: >= 0",
        ),
        ("noise_seed", True, TypeError, "noise_seed: expected an integer, got bool True"),
        ("noise_seed", 1.0, TypeError, "noise_seed: expected an integer, got float 1.0"),
        ("noise_seed", -1, ValueError, "noise_seed: -1 is out of range; allowed: 0..2**63-1"),
        (
            "noise_seed",
            2**63,
            ValueError,
            "noise_seed: 9223372036854775808 is out of range; allowed: 0..2**63-1",
        ),
    ],
)
def test_options_follow_one_rule_at_every_entry(tutorial, entry, option, value, error, message):
    f = _entries(tutorial)[entry]
    with pytest.raises(error, match=re.escape(message)):
        f(X, W, **{option: value})


@pytest.mark.parametrize("entry", ["Chip.matmul", "mock.matmul", "ColumnSurrogate.matmul"])
@pytest.mark.parametrize(
    "which, value, message",
    [
        ("x", np.ones((2, 8), bool), "x: expected numbers, got a boolean array"),
        (
            "x",
            np.ones((2, 8), "timedelta64[ns]"),
            "x: expected numbers, got an array of dtype timedelta64[ns]",
        ),
        (
            "x",
            np.ma.masked_array(np.ones((2, 8)), mask=np.eye(2, 8)),
            "x: masked arrays are not accepted",
        ),
        ("x", np.ones((2, 8), complex), "x: complex values are not allowed"),
        ("w", np.ones((8, 4), bool), "w: expected numbers, got a boolean array"),
        ("w", np.ma.masked_array(np.ones((8, 4))), "w: masked arrays are not accepted"),
    ],
)
def test_arrays_follow_one_rule_at_every_numpy_entry(tutorial, entry, which, value, message):
    f = _entries(tutorial)[entry]
    args = {"x": X, "w": W, which: value}
    with pytest.raises(TypeError, match=re.escape(message)):
        f(args["x"], args["w"])


@pytest.mark.parametrize("entry", ["Chip.matmul", "mock.matmul", "ColumnSurrogate.matmul"])
def test_shapes_follow_one_rule(tutorial, entry):
    with pytest.raises(
        ValueError,
        match=re.escape(
            "x and w do not fit: x has 8 inputs in its last dimension (shape (2, 8)), w has 7 rows"
        ),
    ):
        _entries(tutorial)[entry](X, np.ones((7, 4)))


def test_the_accepted_seed_range_is_the_same_on_the_chip_and_the_mock(tutorial):
    top = rules.SEED_MAX
    a = tutorial.matmul(X, W, noise_seed=top)
    b = mock.matmul(X, W, noise_seed=top)
    assert a.shape == b.shape == (2, 4)
    hxp_chip = hxp.matmul(
        torch.full((2, 8), 3.0), torch.full((8, 4), 5.0), chip=tutorial, noise_seed=top
    )
    np.testing.assert_array_equal(hxp_chip.numpy(), a)
    np.testing.assert_array_equal(
        hxp.matmul(
            torch.full((2, 8), 3.0), torch.full((8, 4), 5.0), mock=True, noise_seed=np.int64(top)
        ).numpy(),
        b,
    )


@pytest.mark.parametrize("mock_flag", [True, False])
@pytest.mark.parametrize(
    "x, w, error, message",
    [
        (torch.ones(0, 8), torch.ones(8, 4), ValueError, "matmul: input is empty (shape (0, 8))"),
        (torch.ones(2, 8), torch.ones(8, 0), ValueError, "matmul: other is empty (shape (8, 0))"),
        (
            torch.ones(2, 8, dtype=torch.complex64),
            torch.ones(8, 4),
            TypeError,
            "matmul: input: complex tensors are not supported (dtype torch.complex64)",
        ),
        (
            torch.ones(2, 8),
            torch.ones(8, 4, dtype=torch.complex128),
            TypeError,
            "matmul: other: complex tensors are not supported",
        ),
        (
            torch.ones(2, 8, dtype=torch.bool),
            torch.ones(8, 4),
            TypeError,
            "matmul: input: expected numbers, got a boolean tensor",
        ),
        (
            np.ones((2, 8)),
            torch.ones(8, 4),
            TypeError,
            "matmul: input: expected a tensor, got ndarray",
        ),
    ],
)
def test_torch_matmul_refuses_empty_complex_and_boolean_tensors(
    tutorial, mock_flag, x, w, error, message
):
    with pytest.raises(error, match=re.escape(message)):
        hxp.matmul(x, w, mock=mock_flag, chip=None if mock_flag else tutorial)


def test_torch_range_hints_point_at_the_right_transform(tutorial):
    with pytest.raises(OverflowError) as info:
        hxp.matmul(torch.full((1, 8), 40.0), torch.ones(8, 2), mock=True)
    assert "inputs between 0 and 31" in str(info.value) and "input_transform" in str(info.value)
    assert "weight_transform" not in str(info.value)
    with pytest.raises(OverflowError) as info:
        hxp.matmul(torch.ones(1, 8), torch.full((8, 2), 70.0), chip=tutorial)
    assert "weights between -63 and 63" in str(info.value) and "weight_transform" in str(info.value)


def test_torch_chip_ranges_come_from_the_chip_formats(tutorial):
    f = tutorial.description.formats
    with pytest.raises(OverflowError, match=f"inputs between {f.input.min} and {f.input.max}"):
        hxp.matmul(torch.full((1, 8), f.input.max + 1.0), torch.ones(8, 2), chip=tutorial)


def test_mock_ranges_are_bss2_formats(bss2):
    f = bss2.description.formats
    assert mock.INPUT_RANGE == (f.input.min, f.input.max)
    assert mock.WEIGHT_RANGE == (f.weight.min, f.weight.max)
    assert mock.OUTPUT_RANGE == (f.output.min, f.output.max)
    assert mock.TILE_INPUTS == bss2.tile_shape[0]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: hxp.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 2), stride=True, mock=True),
            "stride: expected an integer, got bool True",
        ),
        (
            lambda: hxp.conv2d(
                torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), stride=(1, 2.0), mock=True
            ),
            "stride[1]: expected an integer, got float 2.0",
        ),
        (
            lambda: hxp.conv1d(torch.ones(1, 1, 4), torch.ones(1, 1, 2), num_sends=True, mock=True),
            "num_sends: expected an integer, got bool True",
        ),
        (
            lambda: hxp.converting_relu(torch.ones(3), shift=True),
            "converting_relu: shift: expected an integer, got bool True",
        ),
    ],
)
def test_torch_integer_options_refuse_bool_and_floats(call, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        call()
