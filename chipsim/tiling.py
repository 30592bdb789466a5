"""How a K x M matrix is cut into tiles of one half and grouped into runs (model.md section 1, geometry).

A tile is ``(input_tile, output_tile)``: inputs ``input_tile*k .. +k`` and outputs
``output_tile*m .. +m`` of the matrix, with ``(k, m)`` the chip's tile shape. Tiles are taken
output tile by output tile, input tiles inside; consecutive tiles are grouped into runs of as
many tiles as the chip has halves. The tiles of one run execute at the same time (one per half);
runs execute one after another. Partial results of different input tiles are added digitally and
clamped once at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    """One tile: which rows of x/w and which columns of w it covers."""

    input_tile: int
    output_tile: int
    k0: int
    k1: int
    m0: int
    m1: int


def plan(k_total: int, m_total: int, tile_shape: tuple[int, int], halves: int) -> list[list[Tile]]:
    """Runs of tiles for a ``k_total x m_total`` matrix: a list of runs, each a list of at most
    ``halves`` tiles (tile ``h`` of a run executes on half ``h``)."""
    k, m = tile_shape
    tiles = [
        Tile(i, j, i * k, min((i + 1) * k, k_total), j * m, min((j + 1) * m, m_total))
        for j in range(math.ceil(m_total / m))
        for i in range(math.ceil(k_total / k))
    ]
    return [tiles[r : r + halves] for r in range(0, len(tiles), halves)]
