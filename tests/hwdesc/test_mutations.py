"""Property test: a randomly damaged bss2.yaml either loads or raises ChipDescriptionError with a
YAML path and a line; no other exception escapes the loader."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hwdesc

BSS2 = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml").read_text()
)

UNITS = [
    "ns",
    "us",
    "s",
    "MHz",
    "Hz",
    "pF",
    "fF",
    "uA",
    "nA",
    "mV",
    "V",
    "uS",
    "nS",
    "pJ",
    "W",
    "%",
    "A**2/Hz/S",
    "degC",
    "m",
    "kg",
    "furlong",
    "",
    "ns ns",
    "1/0",
]

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2, 3, 255, 256, 1022, 1023, 65536, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
)
unit_strings = st.builds(
    lambda n, u: f"{n} {u}".strip(), st.one_of(numbers, st.just("")), st.sampled_from(UNITS)
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12), unit_strings)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node, prefix=()):
    """Every path (keys and list indices) inside ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield prefix + (index,)
            yield from _paths(value, prefix + (index,))


def _parent(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    return node


def _swap_unit(value, unit):
    if isinstance(value, str) and " " in value:
        return value.split(" ", 1)[0] + " " + unit
    return f"{value} {unit}"


@st.composite
def mutated(draw):
    data = copy.deepcopy(BSS2)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        key = path[-1]
        op = draw(st.sampled_from(["delete", "rename", "replace", "unit", "scale", "insert"]))
        if op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            new = draw(
                st.one_of(st.text(max_size=10), st.just(str(key) + "x"), st.just(str(key)[:-1]))
            )
            parent[new] = parent.pop(key)
        elif op == "unit":
            parent[key] = _swap_unit(parent[key], draw(st.sampled_from(UNITS)))
        elif (
            op == "scale"
            and isinstance(parent[key], (int, float))
            and not isinstance(parent[key], bool)
        ):
            parent[key] = parent[key] * draw(
                st.sampled_from([-1, 0, 2, 1000, 10**12, 0.5, math.inf])
            )
        elif op == "insert" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(values)
        else:
            parent[key] = draw(values)
    return data


@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_bss2_loads_or_raises_a_located_chip_description_error(data):
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        chip = hwdesc.loads(text, file="bss2-mutated.yaml")
    except hwdesc.ChipDescriptionError as err:
        assert err.file == "bss2-mutated.yaml"
        assert err.line is not None and 1 <= err.line <= text.count("\n") + 1
        assert err.yaml_path, str(err)
        assert f"`{err.yaml_path}`" in str(err)
        assert err.problem
    else:
        # Whatever loads must still answer the derived quantities the simulator asks for.
        assert chip.vector_cycles(chip.tile_shape[0]) > 0
        for name in chip.calibration:
            chip.resolve(name)
        hwdesc.summary(chip)


# ---- the same at the level of the text ----------------------------------------------------------

TUTORIAL = (Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml").read_text()
SNIPPETS = [
    ":",
    " ",
    "\n",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    "'",
    '"',
    "#",
    "&a",
    "*a",
    "<<: ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!binary ",
    "!!python/object:os.system ",
    "!x ",
    "2024-13-45",
    "0x",
    "1e999",
    "~",
    "? ",
    "|",
    ">",
    "%",
    "@",
    "\t",
    "\x00",
    "\u2028",
    "é",
]


@st.composite
def damaged_text(draw):
    text = TUTORIAL
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace_line"]))
        if op == "insert":
            text = (
                text[:at]
                + draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=4)))
                + text[at:]
            )
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            lines = text.split("\n")
            index = draw(st.integers(0, len(lines) - 1))
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            lines[index] = indent + draw(st.sampled_from(SNIPPETS)) + lines[index].lstrip()
            text = "\n".join(lines)
    return text


@settings(
    max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(damaged_text())
def test_damaged_tutorial_text_loads_or_raises_a_chip_description_error(text):
    try:
        hwdesc.loads(text, file="tutorial-damaged.yaml")
    except hwdesc.ChipDescriptionError as err:
        assert err.file == "tutorial-damaged.yaml"
        assert err.problem
        str(err).encode("utf-8")  # printable, whatever the file held
