"""Shared fixtures of the event simulator tests: the shipped chips and a helper for inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hwdesc

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


@pytest.fixture(scope="session")
def tutorial():
    return hwdesc.load(CHIPS / "tutorial.yaml")


@pytest.fixture(scope="session")
def bss2():
    return hwdesc.load(CHIPS / "bss2.yaml")


def _vector(*halves, k=8):
    """One input vector (1, len(halves), k): each half's values, padded with zeros to ``k``."""
    x = np.zeros((1, len(halves), k), np.int32)
    for h, values in enumerate(halves):
        x[0, h, : len(values)] = values
    return x


@pytest.fixture(scope="session")
def vector():
    """``vector(half0_values, half1_values, k=8)``: one padded input vector, shape (1, 2, k)."""
    return _vector
