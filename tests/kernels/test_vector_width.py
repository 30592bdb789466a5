"""The kernels prefer 512-bit vectors on CPUs with AVX-512 (``kernels/_jit.py``), and the vector
width does not change a single bit of the results (model.md section 6: same seeds, same results):
each element's arithmetic is the same at any width."""

import os
import subprocess
import sys
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest
from llvmlite.binding.targets import FeatureMap

from kernels import _jit

ROOT = Path(__file__).resolve().parents[2]


def _features(**flags):
    fm = FeatureMap()
    fm.update(flags)
    return fm


def test_wide_vectors_only_with_avx512_and_no_user_choice():
    host = _features(avx512f=True, avx2=True, sse4a=False)
    got = _jit._wide_vector_features(host, None)
    assert got is not None
    assert set(got.split(",")) == {"+avx512f", "+avx2", "-sse4a", "-prefer-256-bit"}
    assert _jit._wide_vector_features(_features(avx512f=False, avx2=True), None) is None
    assert _jit._wide_vector_features(_features(avx2=True), None) is None
    # NUMBA_CPU_FEATURES set by the user: left alone, whatever the host
    assert _jit._wide_vector_features(host, "+avx2") is None


def test_this_process_follows_the_rule():
    """In the test process the kernels were imported before any other Numba code."""
    configured = os.environ.get("NUMBA_CPU_FEATURES")
    wide = llvm.get_host_cpu_features().get("avx512f", False) and configured is None
    assert _jit.WIDE_VECTORS == wide


SCRIPT = """
import sys
import numpy as np
import chipsim
from kernels import _jit, rng

chip = chipsim.load("bss2", seed=0)
k, m = chip.tile_shape
g = np.random.default_rng(0)
x = g.integers(0, 32, (12, k))
w = g.integers(-63, 64, (k, m))
r = chip.run(x, w, noise_seed=5, record_vectors=[0, 3], record_columns=[0, 7, 200])
traces = np.concatenate([t.v_mem.ravel() for t in r.traces])
asm = rng.fill_normals.inspect_asm(rng.fill_normals.signatures[0])
np.savez(sys.argv[1], outputs=r.outputs, traces=traces, wide=_jit.WIDE_VECTORS,
         zmm=asm.count("zmm"))
"""


@pytest.mark.slow
@pytest.mark.skipif(
    not llvm.get_host_cpu_features().get("avx512f", False), reason="the host has no AVX-512"
)
def test_512_and_256_bit_vectors_give_the_same_bits(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("NUMBA_CPU_FEATURES", None)
    runs = {}
    # narrow: the host's features with LLVM's 256-bit preference asked for explicitly (LLVM's
    # tuning for some AVX-512 CPUs prefers 256-bit vectors, for others, e.g. AMD's Zen 5, not)
    narrow_features = llvm.get_host_cpu_features().flatten() + ",+prefer-256-bit"
    for name, features in (("wide", None), ("narrow", narrow_features)):
        e = dict(env, NUMBA_CACHE_DIR=str(tmp_path / name))
        if features is not None:
            e["NUMBA_CPU_FEATURES"] = features
        out = tmp_path / f"{name}.npz"
        subprocess.run([sys.executable, "-c", SCRIPT, str(out)], env=e, check=True, timeout=900)
        runs[name] = np.load(out)
    wide, narrow = runs["wide"], runs["narrow"]
    assert bool(wide["wide"]) and not bool(narrow["wide"])
    # the vectorized loops of the random numbers use 512-bit registers where they did not
    assert wide["zmm"] > narrow["zmm"]
    np.testing.assert_array_equal(wide["outputs"], narrow["outputs"])
    np.testing.assert_array_equal(wide["traces"], narrow["traces"])  # NaN where NaN
