"""Every shipped chip description loads, and bss2 has the published shape and timing."""

from pathlib import Path

import pytest

import hwdesc

CHIPS = sorted((Path(__file__).resolve().parents[2] / "hwdesc" / "chips").glob("*.yaml"))


@pytest.mark.parametrize("path", CHIPS, ids=[p.stem for p in CHIPS])
def test_every_chip_loads(path):
    chip = hwdesc.load(path)
    assert chip.identity.name == path.stem
    assert "default" in chip.calibration


def test_bss2_shape_formats_and_vector_time():
    chip = hwdesc.load(CHIPS[0].parent / "bss2.yaml")
    assert chip.geometry.halves == 2
    assert chip.tile_shape == (128, 256)
    assert (chip.formats.input.bits, chip.formats.weight.bits, chip.formats.adc.bits) == (5, 6, 8)
    # model.md section 1: about 38 us of fixed phases plus 128 x 5 cycles of 8 ns: about 43 us per vector.
    assert chip.vector_time(128, 1, 5) == pytest.approx(43e-6, rel=0.02)
    assert chip.cycle_time == pytest.approx(8e-9)
