"""``fma32``: the fused multiply-add the kernels' polynomial and update chains use (the compile
flags never fuse on their own): a * b + c rounded once to float32, exactly, compiled and in plain
Python."""

from fractions import Fraction

import numpy as np

from kernels._jit import fma32, njit


@njit
def _fused(a, b, c):
    out = np.empty(a.shape[0], dtype=np.float32)
    for i in range(a.shape[0]):
        out[i] = fma32(a[i], b[i], c[i])
    return out


def _round_f32(q: Fraction) -> float:
    """The float32 nearest to the exact rational q (ties to even)."""
    f = np.float32(float(q))
    cands = [np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))]
    best = min(cands, key=lambda c: (abs(Fraction(float(c)) - q), int(c.view(np.uint32)) & 1))
    return float(best)


def _exact(a, b, c):
    return np.float32(_round_f32(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))))


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


@njit
def _one(a, b, c):
    return fma32(a, b, c)


def test_fma32_rounds_once_plain_and_compiled():
    """a * b + c rounded once to float32, in plain Python and compiled (llvm.fma), on random
    triples and on ones whose exact value lies next to a halfway point of float32 (where a
    product rounded first, or a sum rounded to float64 first, would round differently)."""
    g = np.random.default_rng(5)
    a = g.standard_normal(3000).astype(np.float32)
    b = g.standard_normal(3000).astype(np.float32)
    c = g.standard_normal(3000).astype(np.float32)
    # c = -round(a b) + (half an ulp of the remainder's scale): exact value near a tie
    p = (a.astype(np.float64) * b.astype(np.float64)).astype(np.float32)
    c[:1000] = -p[:1000] + np.float32(2.0**-30) * np.sign(g.standard_normal(1000)).astype(
        np.float32
    )
    # (1 + m 2**-12)(1 + k 2**-12) with m k odd lies halfway between two float32 values, and
    # c = +-2**-80 decides the rounding (lost if the sum were rounded to float64 first)
    m = (2 * g.integers(0, 1 << 10, 1000) + 1).astype(np.float32)
    k = (2 * g.integers(0, 1 << 10, 1000) + 1).astype(np.float32)
    a[1000:2000] = 1 + m * np.float32(2.0**-12)
    b[1000:2000] = 1 + k * np.float32(2.0**-12)
    c[1000:2000] = np.where(np.arange(1000) % 2 == 0, 1, -1) * np.float32(2.0**-80)
    f = _one
    for x, y, z in zip(a, b, c):
        want = _round_f32(Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z)))
        assert float(fma32(x, y, z)) == want
        assert float(f(x, y, z)) == want
