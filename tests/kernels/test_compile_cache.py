"""The kernels give the same bits whether they were compiled in the running process or loaded
from the on-disk cache (model.md section 6: same seeds, same results). Two fresh processes share
an empty cache folder: the first compiles and writes it, the second loads it."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import numpy as np
import chipsim

chip = chipsim.load("bss2", seed=0)
k, m = chip.tile_shape
rng = np.random.default_rng(0)
x = rng.integers(0, 32, (16, k))
w = rng.integers(-63, 64, (k, m))
r = chip.run(x, w, noise_seed=3, record_vectors=[0, 1], record_columns=[0, 5, 100])
traces = np.concatenate([t.v_mem.ravel() for t in r.traces])
np.savez(sys.argv[1], outputs=r.outputs, traces=traces)
"""


@pytest.mark.slow
def test_compiled_and_cached_kernels_give_the_same_bits(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    runs = []
    for name in ("compiled", "cached"):
        out = tmp_path / f"{name}.npz"
        subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=env, check=True, timeout=900)
        runs.append(np.load(out))
    assert any((tmp_path / "cache").rglob("*.nbi"))  # the second run had a cache to load
    compiled, cached = runs
    np.testing.assert_array_equal(compiled["outputs"], cached["outputs"])
    # bit for bit, NaN (points before the stepped part) where NaN
    np.testing.assert_array_equal(compiled["traces"], cached["traces"])
