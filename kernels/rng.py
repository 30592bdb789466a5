"""Counter-based random numbers: a 32-bit integer hash keyed by (seed, stream, sample, purpose,
block, column, draw) and a table-based conversion to standard normal variates.

No state is carried from one draw to the next, so a draw depends only on its key: results do not
depend on the number of threads, on the order of the work, or on how a batch is chunked.

Hash: ``lowbias32`` (an xorshift-multiply bijection of 32-bit integers). All arithmetic is done
in ``uint64`` variables holding 32-bit values, so a product of two 32-bit numbers never
overflows (the same code is valid compiled and in plain Python with ``NUMBA_DISABLE_JIT=1``).
A key is a pair of 32-bit words (64 bits), so distinct (sample, purpose, block) keys collide
with probability ~2**-64.

Many draws at once (:func:`fill_normals`): a hash pass writes the 32 random bits of every draw
to a uint32 buffer, then a table pass turns them into normal variates (one load of a cell's
start and width per draw, which stays scalar). The hash pass is a branch-free loop of 32-bit multiplies and shifts that LLVM
vectorizes (16 lanes with AVX-512): it uses ``lowbias32`` in uint32 arithmetic
(:func:`lowbias32_u32`; the multiply is a 32-bit LLVM multiply, since numba would widen a product
of uint32 values to 64 bits). The kernels draw this way; each value is bit for bit the one
:func:`normal` returns for its counter.

Normal variates: the inverse normal CDF tabulated at ``N_CELLS + 1`` points
(:func:`normal_knots`; the kernels use it as pairs of cell start and width, :func:`normal_table`)
and interpolated
linearly, i.e. each of the 4096 equal-probability cells maps to a uniform interval of the normal
quantile function. The two open end cells are closed at the value that keeps each cell's mean
equal to the true conditional mean, and the whole table is scaled so the variance is exactly 1
(mean 0 by symmetry). Values are bounded by |z| < 4.0; inside, the distribution function
matches the normal one to within 1e-4.
"""

from statistics import NormalDist

import numpy as np
from numba import types
from numba.extending import intrinsic, overload

from ._jit import njit, njit_inline

MASK32 = np.uint64(0xFFFFFFFF)
_M1 = np.uint64(0x7FEB352D)
_M2 = np.uint64(0x846CA68B)
_GOLDEN = np.uint64(0x9E3779B9)
_S15 = np.uint64(15)
_S16 = np.uint64(16)
_S32 = np.uint64(32)

#: number of equal-probability cells of the normal table
N_CELLS = 4096
_CELL_BITS = np.uint64(20)  # 32 - log2(N_CELLS)
_FRAC_MASK = np.uint64((1 << 20) - 1)
_FRAC_SCALE = np.float32(2.0**-20)

# Draw purposes (part of the key; each noise source has its own stream of numbers).
PURPOSE_JITTER = 1
PURPOSE_PREPHASE = 2
PURPOSE_BLOCK = 3
PURPOSE_ADC = 4
PURPOSE_FLICKER = 5  # flicker block draws (end values and block means), keyed by window and block
PURPOSE_FLICKER_START = 6  # flicker state: stationary start (baseline), gap propagation (read)
PURPOSE_RAMP = 7  # CADC ramp noise, one draw per quadrant and conversion
PURPOSE_BIAS = 8  # synapse DAC bias factor, one draw per column and one per quadrant per vector
PURPOSE_FLICKER_PREPHASE = 9  # flicker over the closed-form prephase, keyed by window
PURPOSE_GM = 10  # OTA bias (g_m) factor, one draw per column and path per vector


def normal_knots() -> np.ndarray:
    """Piecewise-linear inverse normal CDF: its values at the cell edges, float32
    ``[N_CELLS + 1]`` (see module docstring)."""
    nd = NormalDist()
    n = N_CELLS
    q = np.array([nd.inv_cdf(i / n) for i in range(1, n)], dtype=np.float64)
    # end cells: keep the conditional mean E[Z | Z < q_1] = -pdf(q_1) * n
    m_end = -nd.pdf(q[0]) * n
    t = np.empty(n + 1, dtype=np.float64)
    t[1:n] = q
    t[0] = 2.0 * m_end - q[0]
    t[n] = -t[0]
    # variance of the mixture of uniform cells [t_i, t_i+1], each with probability 1/n
    var = np.mean((t[:-1] ** 2 + t[:-1] * t[1:] + t[1:] ** 2) / 3.0)
    return (t / np.sqrt(var)).astype(np.float32)


def normal_table() -> np.ndarray:
    """The table the kernels draw normal variates with, float32 ``[N_CELLS, 2]``: per cell i
    its start ``t_i`` and its width ``t_i+1 - t_i`` (of :func:`normal_knots`, the width rounded
    to float32 exactly as a float32 subtraction of the knots would round it), so a draw loads
    one pair instead of two knots."""
    t = normal_knots()
    out = np.empty((N_CELLS, 2), dtype=np.float32)
    out[:, 0] = t[:-1]
    out[:, 1] = t[1:] - t[:-1]  # float32 - float32: the rounding of the kernels' old subtraction
    return out


@njit_inline
def lowbias32(x):
    """Bijective 32-bit integer hash (x held in a uint64, result < 2**32)."""
    x = x & MASK32
    x = ((x ^ (x >> _S16)) * _M1) & MASK32
    x = ((x ^ (x >> _S15)) * _M2) & MASK32
    return x ^ (x >> _S16)


def _xorshift_mul(x, s, m):
    """(x ^ (x >> s)) * m mod 2**32 of 32-bit values, as uint32 (plain Python; compiled code
    uses the 32-bit LLVM instructions below, with the same result)."""
    x = int(x)
    return np.uint32(((x ^ (x >> int(s))) * int(m)) & 0xFFFFFFFF)


@intrinsic
def _xorshift_mul_i32(typingctx, x, s, m):
    """(x ^ (x >> s)) * m in i32 arithmetic (wraps mod 2**32), for the vectorized hash."""
    sig = types.uint32(types.uint32, types.uint32, types.uint32)

    def codegen(context, builder, signature, args):
        x, s, m = args
        return builder.mul(builder.xor(x, builder.lshr(x, s)), m)

    return sig, codegen


@overload(_xorshift_mul, inline="always")
def _xorshift_mul_compiled(x, s, m):
    return lambda x, s, m: _xorshift_mul_i32(x, s, m)


_U15 = np.uint32(15)
_U16 = np.uint32(16)
_UM1 = np.uint32(0x7FEB352D)
_UM2 = np.uint32(0x846CA68B)


@njit_inline
def lowbias32_u32(x):
    """:func:`lowbias32` of a uint32 in uint32 arithmetic (the same value, as uint32)."""
    x = _xorshift_mul(x, _U16, _UM1)
    x = _xorshift_mul(x, _U15, _UM2)
    return np.uint32(x ^ (x >> _U16))


@njit_inline
def mix_key(k_lo, k_hi, word):
    """Fold one more 32-bit word into a two-word key; returns the new (k_lo, k_hi)."""
    w = np.uint64(word) & MASK32
    lo = lowbias32(k_lo ^ lowbias32(w + _GOLDEN))
    hi = lowbias32((k_hi + lo + _GOLDEN) & MASK32)
    return lo, hi


@njit_inline
def make_key(seed, stream, sample, purpose):
    """Two-word key of (64-bit seed, stream, 64-bit sample index, purpose)."""
    s = np.uint64(seed)
    n = np.uint64(sample)
    lo = np.uint64(0x243F6A88)
    hi = np.uint64(0x85A308D3)
    lo, hi = mix_key(lo, hi, s & MASK32)
    lo, hi = mix_key(lo, hi, s >> _S32)
    lo, hi = mix_key(lo, hi, np.uint64(stream) & MASK32)
    lo, hi = mix_key(lo, hi, n & MASK32)
    lo, hi = mix_key(lo, hi, n >> _S32)
    lo, hi = mix_key(lo, hi, np.uint64(purpose) & MASK32)
    return lo, hi


@njit_inline
def uniform_bits(k_lo, k_hi, counter):
    """32 random bits for ``counter`` (< 2**32) under key (k_lo, k_hi)."""
    return lowbias32(lowbias32(k_lo ^ (np.uint64(counter) & MASK32)) ^ k_hi)


@njit_inline
def bits_to_normal(u, table):
    """Standard normal variate from 32 random bits via the interpolated quantile table
    (``table`` from :func:`normal_table`): the top 12 bits pick the cell, the low 20 bits the
    position inside it."""
    i = np.int64(u >> _CELL_BITS)
    f = np.float32(u & _FRAC_MASK) * _FRAC_SCALE
    return table[i, 0] + f * table[i, 1]


@njit_inline
def normal(k_lo, k_hi, counter, table):
    """Standard normal variate number ``counter`` of key (k_lo, k_hi)."""
    return bits_to_normal(uniform_bits(k_lo, k_hi, counter), table)


@njit
def fill_normals(k_lo, k_hi, start, stride, out, bits, table):
    """``out[i] = normal(k_lo, k_hi, start + stride * i, table)`` for every i (counters < 2**32).

    Two passes: the hash of every counter into ``bits`` (uint32, at least as long as ``out``),
    a loop of integer multiplies and shifts without loads that LLVM vectorizes, then the table
    lookups. Bit for bit the values of :func:`normal`, at about half its cost per draw."""
    n = out.shape[0]
    lo = np.uint32(k_lo)
    hi = np.uint32(k_hi)
    for i in range(n):
        # uniform_bits in uint32 arithmetic; the counter is taken mod 2**32 as there
        bits[i] = lowbias32_u32(
            np.uint32(lowbias32_u32(np.uint32(lo ^ np.uint32(start + stride * i))) ^ hi)
        )
    for i in range(n):
        out[i] = bits_to_normal(np.uint64(bits[i]), table)


@njit
def normals(seed, stream, sample, purpose, n, table):
    """``n`` standard normal variates with counters 0..n-1 of one key (for tests and tools)."""
    k_lo, k_hi = make_key(seed, stream, sample, purpose)
    out = np.empty(n, dtype=np.float32)
    fill_normals(k_lo, k_hi, 0, 1, out, np.empty(n, dtype=np.uint32), table)
    return out
