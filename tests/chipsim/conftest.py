"""Shared fixtures of the chipsim tests."""

from pathlib import Path

import pytest

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


@pytest.fixture(scope="session")
def chips_dir() -> Path:
    return CHIPS


@pytest.fixture(scope="session")
def tutorial():
    import chipsim

    return chipsim.load(CHIPS / "tutorial.yaml", seed=3)


@pytest.fixture(scope="session")
def bss2():
    import chipsim

    return chipsim.load(CHIPS / "bss2.yaml", seed=0)
