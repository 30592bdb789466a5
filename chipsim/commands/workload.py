"""The default workload of ``chipsim simulate``: one tile whose ideal products sweep the linear
range, the compression and the clip of the readout."""

from __future__ import annotations

import numpy as np

from hwdesc import ChipDescription


def default_workload(chip: ChipDescription, batch: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(batch, K)`` and weights ``(K, M)`` (int8) for one full tile of ``chip``.

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
    weights = np.clip(weights, wf.min, wf.max).astype(np.int8)
    inputs = np.empty((batch, k), dtype=np.int8)  # compact: 128 bytes per bss2 vector
    block = 65536
    for s in range(0, batch, block):
        n = min(block, batch - s)
        density = rng.uniform(0.05, 1.0, size=(n, 1)).astype(np.float32)
        active = rng.random((n, k), dtype=np.float32) < density
        values = rng.integers(max(xf.min, 1), xf.max + 1, size=(n, k), dtype=np.int8)
        inputs[s : s + n] = np.where(active, values, 0)
    return inputs, weights
