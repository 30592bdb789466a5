"""``fma32``: the fused multiply-add the kernels' polynomial and update chains use (the compile
flags never fuse on their own). Compiled, it is a * b + c rounded once to float32, exactly; in
plain Python the float64 sum rounded to float32."""

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels._jit import fma32, njit


@njit
def _fused(a, b, c):
    out = np.empty(a.shape[0], dtype=np.float32)
    for i in range(a.shape[0]):
        out[i] = fma32(a[i], b[i], c[i])
    return out


def _round_to_float32(x: Fraction) -> np.float32:
    """x rounded to the nearest float32, ties to even (normal range)."""
    if x == 0:
        return np.float32(0.0)
    _, e = math.frexp(float(x))  # |x| in [2^(e-1), 2^e) up to float64 rounding
    e2 = e if abs(x) < Fraction(2) ** e else e + 1
    scale = Fraction(2) ** (24 - e2)  # 24 significant bits
    return np.float32(float(Fraction(round(x * scale)) / scale))


def _exact(a, b, c):
    return _round_to_float32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)))


def test_compiled_fma_is_rounded_once():
    # (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46: lost by a rounded product, kept by the fused one
    a = np.float32(1.0 + 2.0**-23)
    c = np.float32(-(1.0 + 2.0**-22))
    assert np.float32(a * a) + c == 0.0
    got = _fused(np.array([a]), np.array([a]), np.array([c]))
    assert got[0] == np.float32(2.0**-46)
    assert fma32(a, a, c) == np.float32(2.0**-46)  # plain Python: exact here too


def test_compiled_fma_equals_the_exactly_rounded_value():
    rng = np.random.default_rng(3)
    n = 4000
    a = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(np.float32)
    b = (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(np.float32)
    # c near -a b, where one rounding or two differ most often
    c = (-(a.astype(np.float64) * b) * (1.0 + rng.standard_normal(n) * 1e-6)).astype(np.float32)
    got = _fused(a, b, c)
    want = np.array([_exact(x, y, z) for x, y, z in zip(a, b, c)], dtype=np.float32)
    np.testing.assert_array_equal(got, want)
    # the unfused arithmetic differs on many of these: the test can tell the two apart
    assert np.count_nonzero((a * b + c) != want) > n // 10


finite32 = st.floats(
    min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=32
).filter(lambda v: v == 0.0 or abs(v) > 1e-6)


@settings(max_examples=300, deadline=None)
@given(finite32, finite32, finite32)
def test_plain_python_fma_matches_the_compiled_one(a, b, c):
    a, b, c = np.float32(a), np.float32(b), np.float32(c)
    got = _fused(np.array([a]), np.array([b]), np.array([c]))[0]
    assert fma32(a, b, c) == got
    if got != 0.0 and abs(got) > 1e-30:
        assert got == _exact(a, b, c)
