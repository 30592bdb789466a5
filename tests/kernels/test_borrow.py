"""Functions that only borrow arrays (``kernels._jit.njit_borrow``: the window, its block-level
helpers, the converter, the normal draws) are compiled without the runtime's reference
counting: no atomic count updates for their array arguments and views, the same results, and an
allocation in one is refused when it is compiled."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from kernel_cases import chip_params
from numba import types
from numba.core.dispatcher import Dispatcher

import kernels
from kernels import _jit, circuit, half, rng

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
import numpy as np
from kernels import _jit

@_jit.njit
def scale(a, b):
    for i in range(a.shape[0]):
        b[i] = 2.0 * a[i] + b[i]

def views(a, b):
    # a view per call of a function that takes arrays
    for k in range(3):
        scale(a[k:], b[k:])

def views_counted(a, b):  # the same, compiled with reference counting
    for k in range(3):
        scale(a[k:], b[k:])

borrowing = _jit.njit_borrow(views)
counting = _jit.njit(views_counted)

def allocates(a):
    return np.empty_like(a)

a = np.arange(8.0)
b1 = np.zeros(8)
b2 = np.zeros(8)
borrowing(a, b1)
counting(a, b2)
ir = list(borrowing.inspect_llvm().values())[0]
try:
    _jit.njit_borrow(allocates)(a)
    refused = ""
except Exception as exc:
    refused = str(exc)
np.savez(sys.argv[1], b1=b1, b2=b2, incref=ir.count("@NRT_incref("),
         decref=ir.count("@NRT_decref("), refused=refused)
"""


def test_borrowing_functions_count_no_references_and_cannot_allocate(tmp_path):
    out = tmp_path / "out.npz"
    script = tmp_path / "borrow_script.py"  # a file: Numba caches functions of files only
    script.write_text(SCRIPT)
    env = {"PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PATH": ""}
    subprocess.run([sys.executable, str(script), str(out)], env=env, check=True, timeout=600)
    r = np.load(out)
    np.testing.assert_array_equal(r["b1"], r["b2"])
    np.testing.assert_array_equal(r["b1"], 2 * np.arange(8.0) * np.minimum(np.arange(8) + 1, 3))
    assert int(r["incref"]) == 0 and int(r["decref"]) == 0
    # refused when it is compiled: no implementation of the allocating function without the
    # runtime (or, for an allocation inside an implementation, "NRT required but not enabled")
    refused = str(r["refused"])
    assert "empty_like" in refused or "NRT required but not enabled" in refused, refused


BORROWING = (
    half._phi,
    half._stepping_start,
    half._in_compliance,
    half._flicker_start,
    half._flicker_block,
    half._flicker_last_mean,
    half._flicker_coefficients,
    half._flicker_prephase_coefficients,
    half._flicker_prephase,
    half._flicker_start_into_prephase,
    half._prephase_coefficients,
    half._prephase,
    half._quiet_block,
    half._quiet_traces,
    half._bounded_piece,
    half._far_limit,
    half._window,
    half._adc_reach,
    half._adc,
    half._bias_factors,
    rng.fill_normals,
)


def _dispatchers_called(fn):
    """The compiled functions that ``fn``'s code names: module globals and attributes of the
    modules it uses (``rng.fill_normals``)."""
    names = fn.py_func.__code__.co_names
    found = []
    for name in names:
        objs = [fn.py_func.__globals__.get(name)]
        objs += [getattr(m, name, None) for m in (half, rng, circuit, _jit)]
        found += [o for o in objs if isinstance(o, Dispatcher)]
    return set(found)


def test_the_kernels_loop_functions_borrow_by_the_rules():
    """The functions called per window, block, conversion and draw are compiled without
    counting (when the installed Numba takes the option), return no array, and call only each
    other and inlined helpers (a plain function compiled first for one of them would be
    compiled without counting too, see kernels._jit.njit_borrow)."""
    if not _jit._without_refcounts():
        pytest.skip("the installed Numba has no option to compile without reference counting")
    borrowing = set(BORROWING)
    for fn in BORROWING:
        assert fn.targetoptions.get("_nrt") is False, fn.__name__
        for callee in _dispatchers_called(fn):
            inline = callee.targetoptions.get("inline") == "always"
            assert callee in borrowing or inline, (fn.__name__, callee.__name__)
    # every signature they were compiled for in the tests so far returns no array
    ev = (np.zeros(3, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    kernels.simulate_half(*ev, np.zeros((2, 8), np.int8), **chip_params(2, 8), sigma_line=1e-3)
    for fn in BORROWING:
        for sig in fn.signatures:
            ret = fn.overloads[sig].signature.return_type
            assert not isinstance(ret, types.Array), (fn.__name__, ret)
