"""Counter-based random numbers: table normal variates and key separation."""

from statistics import NormalDist

import numpy as np
import pytest

from kernels import rng

TABLE = rng.normal_table()


def test_table_has_zero_mean_unit_variance_and_is_monotone():
    t = rng.normal_knots().astype(np.float64)
    assert np.all(np.diff(t) > 0)
    var = np.mean((t[:-1] ** 2 + t[:-1] * t[1:] + t[1:] ** 2) / 3.0)
    assert abs(var - 1.0) < 1e-6
    assert abs(t[0] + t[-1]) < 1e-6
    assert 3.5 < t[-1] < 4.0


def test_the_kernel_table_interpolates_the_knots_as_the_float32_subtraction_would():
    """The (start, width) pairs give every draw bit for bit the value of interpolating the knots
    with the width computed in float32 (t0 + f (t1 - t0)), at the ends of each cell too."""
    knots = rng.normal_knots()
    assert TABLE.shape == (rng.N_CELLS, 2) and TABLE.dtype == np.float32
    assert np.array_equal(TABLE[:, 0], knots[:-1])
    cells = np.arange(rng.N_CELLS, dtype=np.uint64)
    for frac in (0, 1, 1 << 19, (1 << 20) - 1):
        u = (cells << np.uint64(20)) | np.uint64(frac)
        got = np.array([rng.bits_to_normal(x, TABLE) for x in u])
        f = np.float32(frac) * np.float32(2.0**-20)
        t0 = knots[:-1]
        want = t0 + f * (knots[1:] - t0)
        assert np.array_equal(got, want)


def test_lowbias32_is_a_bijection_on_a_block():
    xs = np.arange(1 << 16, dtype=np.uint64) * np.uint64(65537)
    hs = np.array([rng.lowbias32(x) for x in xs])
    assert np.unique(hs).size == xs.size
    assert hs.max() < 2**32


@pytest.mark.parametrize("n", [200_000])
def test_normals_have_normal_moments_and_cdf(n):
    z = rng.normals(7, 3, 11, rng.PURPOSE_BLOCK, n, TABLE).astype(np.float64)
    se = 1 / np.sqrt(n)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * np.sqrt(2) * se
    nd = NormalDist()
    for q in (-2.5, -1.0, 0.0, 0.5, 2.0):
        p = nd.cdf(q)
        assert abs(np.mean(z < q) - p) < 5 * np.sqrt(p * (1 - p) / n) + 1e-4


def test_keys_separate_streams():
    n = 50_000
    base = rng.normals(1, 0, 0, 1, n, TABLE)
    assert np.array_equal(base, rng.normals(1, 0, 0, 1, n, TABLE))
    for other in (
        rng.normals(2, 0, 0, 1, n, TABLE),
        rng.normals(1, 1, 0, 1, n, TABLE),
        rng.normals(1, 0, 1, 1, n, TABLE),
        rng.normals(1, 0, 0, 2, n, TABLE),
        rng.normals(1, 0, 2**40, 1, n, TABLE),
        rng.normals(2**40 + 1, 0, 0, 1, n, TABLE),
    ):
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / np.sqrt(n)
    # consecutive counters are uncorrelated
    assert abs(np.corrcoef(base[:-1], base[1:])[0, 1]) < 5 / np.sqrt(n)


def test_lowbias32_in_uint32_arithmetic_is_lowbias32():
    xs = np.concatenate(
        [
            np.arange(1 << 12, dtype=np.uint64) * np.uint64(1048573),
            np.array([0, 2**32 - 1], np.uint64),
        ]
    )
    for x in xs:
        assert rng.lowbias32_u32(np.uint32(x)) == rng.lowbias32(x)


@pytest.mark.parametrize(
    "seed, start, stride, n",
    [(7, 0, 1, 1), (2**63 + 5, 4, 8, 300), (1, 32 + 3, 64, 37), (0, 1, 2, 0), (3, 2**31, 3, 9)],
)
def test_fill_normals_is_normal_draw_by_draw(seed, start, stride, n):
    """The kernels' two-pass draws (hash pass, then table pass) are bit for bit those of
    ``normal``, counter by counter."""
    k_lo, k_hi = rng.make_key(np.uint64(seed), 5, 2**40 + 11, rng.PURPOSE_BLOCK)
    out = np.empty(n, np.float32)
    bits = np.zeros(n + 3, np.uint32)  # a longer scratch buffer is allowed
    rng.fill_normals(k_lo, k_hi, start, stride, out, bits, TABLE)
    want = [rng.normal(k_lo, k_hi, start + stride * i, TABLE) for i in range(n)]
    np.testing.assert_array_equal(out, np.array(want, np.float32))
