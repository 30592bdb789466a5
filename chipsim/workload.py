"""The default workload of ``chipsim simulate``: one tile whose ideal products sweep the linear
range, the compression and the clip of the readout."""

from __future__ import annotations

import numpy as np

from hwdesc import ChipDescription

#: Estimate of the chip's gain (LSB per unit of x . w) used only to scale the default workload.
NOMINAL_GAIN = 0.002


def default_workload(chip: ChipDescription, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(batch, K)`` and weights ``(K, M)`` for one full tile of ``chip``.

    Weights: column ``c`` holds integers drawn around a mean that sweeps linearly from
    ``-0.65 * w_max`` (first column) to ``+0.65 * w_max`` (last column), std ``0.3 * w_max``,
    clipped to the weight range. Inputs: every vector has its own density drawn uniformly in
    5..100 %; active entries are uniform in ``1..x_max``. With the default ``chip`` these ideal
    products reach beyond the output range, so the figure shows the linear part, the compression
    and the clip. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng([int(seed), 7])
    k, m = chip.tile_shape
    wf, xf = chip.formats.weight, chip.formats.input
    w_max = min(abs(wf.min), wf.max)
    means = np.linspace(-0.65, 0.65, m) * w_max
    weights = np.rint(rng.normal(means[None, :], 0.3 * w_max, size=(k, m)))
    weights = np.clip(weights, wf.min, wf.max).astype(np.int64)
    density = rng.uniform(0.05, 1.0, size=(batch, 1))
    active = rng.random((batch, k)) < density
    values = rng.integers(max(xf.min, 1), xf.max + 1, size=(batch, k))
    inputs = np.where(active, values, 0).astype(np.int64)
    return inputs, weights
