"""Counter-based random numbers: the hash, the Box-Muller conversion against float64 Box-Muller
of the same bits, the distribution of the draws and key separation."""

import math
import struct

import numba
import numpy as np
import pytest

from kernels import rng

MASK32 = 0xFFFFFFFF
#: largest relative deviation of a draw from float64 Box-Muller of the same bits: the sweep of all
#: 2**32 values of b1 at one angle gave -6.3e-7..8.2e-7, that of all 2**29 angles of an octant
#: at one radius -2.5e-7..2.3e-7, so the two together stay within -9.5e-7..9.8e-7 (the
#: polynomials' remainders and the float32 rounding of the steps), plus at most one rounding
REL_TOL = 1.05e-6


def _box_muller64(b1, b2):
    """Float64 Box-Muller of uint32 arrays: r = sqrt(-2 ln u), u = (b1 + 1/2) 2**-32; angle
    (i + 1/2) pi / 4 / 2**29 with i the low 29 bits of b2; bit 29 swaps cosine and sine, bits
    30 and 31 flip the signs of the first and second value."""
    b1 = np.asarray(b1, np.uint64)
    b2 = np.asarray(b2, np.uint64)
    r = np.sqrt(-2.0 * np.log((b1.astype(np.float64) + 0.5) * 2.0**-32))
    a = ((b2 & np.uint64(0x1FFFFFFF)).astype(np.float64) + 0.5) * (math.pi / 4 * 2.0**-29)
    swap = (b2 >> np.uint64(29)) & np.uint64(1) == 1
    c, s = np.where(swap, np.sin(a), np.cos(a)), np.where(swap, np.cos(a), np.sin(a))
    z1 = np.where((b2 >> np.uint64(30)) & np.uint64(1) == 1, -r * c, r * c)
    z2 = np.where((b2 >> np.uint64(31)) & np.uint64(1) == 1, -r * s, r * s)
    return z1, z2


def _pairs(b1, b2):
    out = np.array([rng.normal_pair(np.uint32(x), np.uint32(y)) for x, y in zip(b1, b2)])
    return out[:, 0], out[:, 1]


@numba.njit
def _pairs_compiled(b1, b2, z1, z2):
    for i in range(b1.shape[0]):
        z1[i], z2[i] = rng.normal_pair(b1[i], b2[i])


def _extreme_words():
    """b1 at the ends and at the switches of the log's range reduction; b2 at both ends of the
    angle range of every octant."""
    b1 = [0, 1, 2, 3, (1 << 23) - 1, 1 << 24, (1 << 24) + 1, (1 << 31) - 1, 1 << 31]
    b1 += [rng._TOP - 2, rng._TOP - 1, rng._TOP, rng._TOP + 1, MASK32 - 256, MASK32 - 1, MASK32]
    b2 = [
        (o << 29) | low for o in range(8) for low in (0, 1, 1 << 28, (1 << 29) - 2, (1 << 29) - 1)
    ]
    return np.array(b1, np.uint32), np.array(b2, np.uint32)


def test_lowbias32_is_a_bijection_on_a_block():
    xs = np.arange(1 << 16, dtype=np.uint64) * np.uint64(65537)
    hs = np.array([rng.lowbias32(x) for x in xs])
    assert np.unique(hs).size == xs.size
    assert hs.max() < 2**32


def test_lowbias32_in_uint32_arithmetic_is_lowbias32():
    xs = np.concatenate(
        [
            np.arange(1 << 12, dtype=np.uint64) * np.uint64(1048573),
            np.array([0, 2**32 - 1], np.uint64),
        ]
    )
    for x in xs:
        assert rng.lowbias32_u32(np.uint32(x)) == rng.lowbias32(x)
    k_lo, k_hi = rng.make_key(3, 1, 2**40, rng.PURPOSE_ADC)
    for c in (0, 1, 77, 2**31, 2**32 - 1):
        assert rng.hash_u32(np.uint32(k_lo), np.uint32(k_hi), np.uint32(c)) == rng.uniform_bits(
            k_lo, k_hi, c
        )


def test_the_compiled_pair_is_the_plain_python_pair():
    g = np.random.default_rng(1)
    e1, e2 = _extreme_words()
    b1 = np.concatenate([g.integers(0, 2**32, 2000, dtype=np.uint32), np.repeat(e1, e2.size)])
    b2 = np.concatenate([g.integers(0, 2**32, 2000, dtype=np.uint32), np.tile(e2, e1.size)])
    py = getattr(rng.normal_pair, "py_func", rng.normal_pair)
    want = np.array([py(np.uint32(x), np.uint32(y)) for x, y in zip(b1, b2)], np.float32)
    z1 = np.empty(b1.size, np.float32)
    z2 = np.empty(b1.size, np.float32)
    _pairs_compiled(b1, b2, z1, z2)
    assert np.array_equal(z1.view(np.uint32), want[:, 0].view(np.uint32))
    assert np.array_equal(z2.view(np.uint32), want[:, 1].view(np.uint32))


def test_pairs_are_float64_box_muller_of_the_same_bits_extremes():
    """The extremes: b1 = 0 (the largest radius, sqrt(66 ln 2) = 6.764), b1 = 2**32 - 1 (the
    smallest, 1.5e-5), the range switches of the log; the angle's ends in every octant."""
    e1, e2 = _extreme_words()
    b1 = np.repeat(e1, e2.size)
    b2 = np.tile(e2, e1.size)
    z1, z2 = _pairs(b1, b2)
    w1, w2 = _box_muller64(b1, b2)
    assert np.all(np.abs(z1 / w1 - 1) < REL_TOL)
    assert np.all(np.abs(z2 / w2 - 1) < REL_TOL)
    top = np.hypot(z1[b1 == 0], z2[b1 == 0])
    assert np.allclose(top, math.sqrt(66 * math.log(2)), rtol=REL_TOL)
    # every octant: signs and the order of cosine and sine
    for o in range(8):
        sel = (b2 >> 29) == o
        assert np.all(np.sign(z1[sel]) == (-1 if o & 2 else 1))
        assert np.all(np.sign(z2[sel]) == (-1 if o & 4 else 1))
        # cosine > sine away from the octant's upper end (where they agree in float32)
        sel &= (b2 & 0x1FFFFFFF) <= 1 << 28
        bigger = np.abs(z1[sel]) > np.abs(z2[sel])
        assert np.all(bigger != bool(o & 1))


def test_pairs_are_float64_box_muller_of_the_same_bits_dense():
    """A dense sweep of b1 (every 4099th value, and all values near the ends) and of the angle
    (every 257th of an octant's 2**29), each against float64 Box-Muller."""
    b1 = np.concatenate(
        [
            np.arange(0, 2**32, 4099, dtype=np.uint64),
            np.arange(0, 1 << 16, dtype=np.uint64),
            np.arange(2**32 - (1 << 16), 2**32, dtype=np.uint64),
        ]
    ).astype(np.uint32)
    b2 = np.full(b1.size, 0x9E3779B9, np.uint32)
    z1 = np.empty(b1.size, np.float32)
    z2 = np.empty(b1.size, np.float32)
    _pairs_compiled(b1, b2, z1, z2)
    w1, w2 = _box_muller64(b1, b2)
    assert np.max(np.abs(z1 / w1 - 1)) < REL_TOL
    assert np.max(np.abs(z2 / w2 - 1)) < REL_TOL
    b2 = np.arange(0, 1 << 29, 257, dtype=np.uint32)
    z1 = np.empty(b2.size, np.float32)
    z2 = np.empty(b2.size, np.float32)
    for o in (0, 5):
        for x in (0, 1234567890, MASK32):
            b1 = np.full(b2.size, x, np.uint32)
            _pairs_compiled(b1, b2 | np.uint32(o << 29), z1, z2)
            w1, w2 = _box_muller64(b1, b2 | np.uint32(o << 29))
            assert np.max(np.abs(z1 / w1 - 1)) < REL_TOL
            assert np.max(np.abs(z2 / w2 - 1)) < REL_TOL


@pytest.mark.parametrize(
    "seed, start, stride, n",
    [
        (7, 0, 1, 1),
        (7, 0, 1, 2),
        (2**63 + 5, 4, 8, 300),
        (1, 32 + 3, 64, 37),
        (0, 1, 2, 0),
        (3, 2**31, 3, 9),
        (4, 2**32 - 7, 1, 12),
        (5, 2**32 - 2, 3, 5),
    ],
)
def test_fill_normals_is_normal_pair_of_the_counters(seed, start, stride, n):
    """The kernels' two-pass draws are bit for bit ``normal_pair`` of the hashed counters:
    out[2 j], out[2 j + 1] from counters 2 j and 2 j + 1; for odd n the last value is the first
    of the pair of counters n - 1 and n. Counters are taken mod 2**32."""
    k_lo, k_hi = rng.make_key(np.uint64(seed), 5, 2**40 + 11, rng.PURPOSE_BLOCK)
    out = np.empty(n, np.float32)
    bits = np.zeros(n + 3, np.uint32)  # a longer scratch buffer is allowed
    rng.fill_normals(k_lo, k_hi, start, stride, out, bits)
    words = [
        np.uint32(rng.uniform_bits(k_lo, k_hi, (start + stride * i) & MASK32)) for i in range(n + 1)
    ]
    want = []
    for j in range(0, n, 2):
        z1, z2 = rng.normal_pair(words[j], words[j + 1])
        want += [z1, z2] if j + 1 < n else [z1]
    np.testing.assert_array_equal(out.view(np.uint32), np.array(want, np.float32).view(np.uint32))


def test_a_fill_is_a_prefix_of_a_longer_fill():
    """Determinism: the same key gives the same values, whatever the length of the fill."""
    k_lo, k_hi = rng.make_key(9, 1, 3, rng.PURPOSE_GM)
    long = np.empty(64, np.float32)
    rng.fill_normals(k_lo, k_hi, 3, 5, long, np.empty(64, np.uint32))
    for n in (1, 2, 7, 33, 64):
        out = np.empty(n, np.float32)
        rng.fill_normals(k_lo, k_hi, 3, 5, out, np.empty(n, np.uint32))
        assert np.array_equal(out, long[:n])
    assert np.array_equal(rng.normals(1, 2, 3, 4, 1000), rng.normals(1, 2, 3, 4, 1000))


@numba.njit
def _ks_statistic(z_sorted):
    n = z_sorted.shape[0]
    d = 0.0
    for i in range(n):
        f = 0.5 * math.erfc(-z_sorted[i] / math.sqrt(2.0))
        d = max(d, abs(f - i / n), abs((i + 1) / n - f))
    return d


N_DIST = 4_000_000


@pytest.fixture(scope="module")
def draws():
    return rng.normals(7, 3, 11, rng.PURPOSE_BLOCK, N_DIST).astype(np.float64)


def test_normals_pass_kolmogorov_smirnov(draws):
    """KS test against the normal CDF on 4e6 draws and on each half of the pairs: the
    statistic below its 0.1 % critical value 1.949 / sqrt(n)."""
    for z in (draws, draws[0::2], draws[1::2]):
        d = _ks_statistic(np.sort(z))
        assert d * math.sqrt(z.size) < 1.949


def test_normals_have_normal_moments(draws):
    """Mean, variance, skewness and excess kurtosis within 4 standard errors of 0, 1, 0, 0."""
    z = draws
    n = z.size
    m = z.mean()
    v = z.var()
    skew = np.mean((z - m) ** 3) / v**1.5
    kurt = np.mean((z - m) ** 4) / v**2 - 3
    assert abs(m) < 4 / math.sqrt(n)
    assert abs(v - 1) < 4 * math.sqrt(2 / n)
    assert abs(skew) < 4 * math.sqrt(6 / n)
    assert abs(kurt) < 4 * math.sqrt(24 / n)


def test_normal_tails(draws):
    """The share beyond 3 and 4 sigma within 4 standard errors of the normal tail; nothing
    beyond the cap sqrt(66 ln 2) = 6.764 that u >= 2**-33 sets."""
    n = draws.size
    a = np.abs(draws)
    for k in (3.0, 4.0, 4.5):
        p = math.erfc(k / math.sqrt(2))
        count = np.count_nonzero(a > k)
        assert abs(count - n * p) < 4 * math.sqrt(n * p * (1 - p)), (k, count, n * p)
    assert a.max() < math.sqrt(66 * math.log(2))


def test_pairs_and_neighbours_are_uncorrelated(draws):
    """The two values of a pair (and their squares: a non-uniform angle would correlate them),
    and neighbouring draws across pairs."""
    n = draws.size // 2
    z1, z2 = draws[0::2], draws[1::2]
    lim = 5 / math.sqrt(n)
    assert abs(np.corrcoef(z1, z2)[0, 1]) < lim
    assert abs(np.corrcoef(z1**2, z2**2)[0, 1]) < lim
    assert abs(np.corrcoef(np.abs(z1), np.abs(z2))[0, 1]) < lim
    assert abs(np.corrcoef(z2[:-1], z1[1:])[0, 1]) < lim
    assert abs(np.corrcoef(draws[:-1], draws[1:])[0, 1]) < 5 / math.sqrt(2 * n)


def test_keys_separate_streams():
    n = 50_000
    base = rng.normals(1, 0, 0, 1, n)
    assert np.array_equal(base, rng.normals(1, 0, 0, 1, n))
    for other in (
        rng.normals(2, 0, 0, 1, n),
        rng.normals(1, 1, 0, 1, n),
        rng.normals(1, 0, 1, 1, n),
        rng.normals(1, 0, 0, 2, n),
        rng.normals(1, 0, 2**40, 1, n),
        rng.normals(2**40 + 1, 0, 0, 1, n),
    ):
        assert abs(np.corrcoef(base, other)[0, 1]) < 5 / np.sqrt(n)
        assert abs(np.corrcoef(base**2, other**2)[0, 1]) < 5 / np.sqrt(n)


def test_struct_round_trip_of_the_bit_helpers():
    """The plain-Python bit helpers agree with numpy's views."""
    for x in (np.float32(0.7071068), np.float32(2.0**-33), np.float32(1.0), np.float32(-3.5)):
        assert rng._f32_bits(x) == int(x.view(np.uint32))
        assert rng._bits_f32(rng._f32_bits(x)) == x
    assert struct.calcsize("<f") == 4
