"""Counter-based random numbers: a 32-bit integer hash keyed by (seed, stream, sample, purpose,
block, column, draw) and a Box-Muller conversion of pairs of hashed words to standard normal
variates.

No state is carried from one draw to the next, so a draw depends only on its key: results do not
depend on the number of threads, on the order of the work, or on how a batch is chunked.

Hash: ``lowbias32`` (an xorshift-multiply bijection of 32-bit integers). All arithmetic is done
in ``uint64`` variables holding 32-bit values, so a product of two 32-bit numbers never
overflows (the same code is valid compiled and in plain Python with ``NUMBA_DISABLE_JIT=1``).
A key is a pair of 32-bit words (64 bits), so distinct (sample, purpose, block) keys collide
with probability ~2**-64.

Normal variates (:func:`normal_pair`): Box-Muller of two hashed words b1, b2, in float32 and
branch-free. Radius r = sqrt(-2 ln u), u = (b1 + 1/2) 2**-32 in (0, 1), so |z| <= sqrt(66 ln 2)
= 6.764 (the tails of the normal distribution up to there). Angle: the top 3 bits of b2 pick the
octant (bit 29 swaps cosine and sine, bits 30 and 31 flip the signs of the first and the
second value), the low 29 bits the angle (i + 1/2) pi / 4 / 2**29 in it; the 2**32 angles are
uniform on the circle. The log is split at the float's bits (u = 2**k m, m in [sqrt(1/2),
sqrt(2)); u - 1 formed from the integer when u > sqrt(1/2), so small radii keep their relative
precision) and log2(m) is a degree-7 polynomial; cosine and sine on the octant are degree 6 and
7, with the factor sqrt(2 ln 2) folded in. The polynomials are minimax fits of the relative
error; every value is within 1e-6 (relative) of float64 Box-Muller of the same bits. The steps
are exactly rounded float32 operations (the fused multiply-adds are explicit ``llvm.fma``,
since the compile options leave out FMA contraction), so compiled, cached and plain-Python code
give the same bits.

Many draws at once (:func:`fill_normals`): a hash pass writes the 32 random bits of every draw
to a uint32 buffer, then the conversion pass turns the pairs into normal variates. Both are
branch-free loops that LLVM vectorizes (16 lanes with AVX-512): the hash uses ``lowbias32`` in
uint32 arithmetic (:func:`lowbias32_u32`; the multiply is a 32-bit LLVM multiply, since numba
would widen a product of uint32 values to 64 bits), the conversion 32-bit integer and float32
instructions. Values 2 j and 2 j + 1 of a fill are the pair of counters 2 j and 2 j + 1; for
an odd count the last value is the first of the pair (n - 1, n). The kernels draw this way.
"""

import math
import struct

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

from ._jit import fma32, njit, njit_borrow, njit_inline

MASK32 = np.uint64(0xFFFFFFFF)
_M1 = np.uint64(0x7FEB352D)
_M2 = np.uint64(0x846CA68B)
_GOLDEN = np.uint64(0x9E3779B9)
_S15 = np.uint64(15)
_S16 = np.uint64(16)
_S32 = np.uint64(32)

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
def hash_u32(lo, hi, counter):
    """:func:`uniform_bits` in uint32 arithmetic (key words and counter as uint32)."""
    return lowbias32_u32(np.uint32(lowbias32_u32(np.uint32(lo ^ counter)) ^ hi))


# --- Box-Muller in float32 ---------------------------------------------------------------------
# Each helper below is plain Python (for NUMBA_DISABLE_JIT=1) with a compiled twin: 32-bit LLVM
# integer instructions (numba would widen uint32 arithmetic to 64 bits) and the exactly rounded
# fused multiply-add, so both give the same bits.

_I32 = ir.IntType(32)
_F32T = ir.FloatType()
_F32S = struct.Struct("<f")
_U32S = struct.Struct("<I")

#: float32 bits of sqrt(1/2): the log's mantissa lies in [sqrt(1/2), sqrt(2))
_MANT_SPLIT = 0x3F3504F3
#: b1 >= _TOP: u >= sqrt(1/2), ln u is taken from u - 1 formed from the integer
_TOP = 0xB504F334


def _f32_bits(x):
    return _U32S.unpack(_F32S.pack(x))[0]


def _bits_f32(i):
    return np.float32(_F32S.unpack(_U32S.pack(i & 0xFFFFFFFF))[0])


def _u32_to_f32(b):
    """uint32 -> float32 (rounded to nearest)."""
    return np.float32(int(b))


@intrinsic
def _u32_to_f32_ir(typingctx, b):
    sig = types.float32(types.uint32)

    def codegen(context, builder, signature, args):
        return builder.uitofp(args[0], _F32T)

    return sig, codegen


@overload(_u32_to_f32, inline="always")
def _u32_to_f32_compiled(b):
    return lambda b: _u32_to_f32_ir(b)


def _i32_to_f32(b):
    """The uint32 ``b`` read as a signed int32, to float32 (b - 2**32 when b >= 2**31)."""
    b = int(b)
    return np.float32(b - (1 << 32) if b >= 1 << 31 else b)


@intrinsic
def _i32_to_f32_ir(typingctx, b):
    sig = types.float32(types.uint32)

    def codegen(context, builder, signature, args):
        return builder.sitofp(args[0], _F32T)

    return sig, codegen


@overload(_i32_to_f32, inline="always")
def _i32_to_f32_compiled(b):
    return lambda b: _i32_to_f32_ir(b)


def _neg_exponent(u):
    """-k for a positive normal float32 u = 2**k m, m in [sqrt(1/2), sqrt(2)), as float32."""
    t = (_f32_bits(u) - _MANT_SPLIT) & 0xFFFFFFFF
    k = (t >> 23) - (512 if t >> 31 else 0)  # arithmetic shift of the int32
    return np.float32(-k)


@intrinsic
def _neg_exponent_ir(typingctx, u):
    sig = types.float32(types.float32)

    def codegen(context, builder, signature, args):
        t = builder.sub(builder.bitcast(args[0], _I32), ir.Constant(_I32, _MANT_SPLIT))
        k = builder.ashr(t, ir.Constant(_I32, 23))
        return builder.sitofp(builder.neg(k), _F32T)

    return sig, codegen


@overload(_neg_exponent, inline="always")
def _neg_exponent_compiled(u):
    return lambda u: _neg_exponent_ir(u)


def _mantissa(u):
    """m of u = 2**k m (see :func:`_neg_exponent`), float32."""
    i = _f32_bits(u)
    return _bits_f32(i - ((i - _MANT_SPLIT) & 0xFF800000))


@intrinsic
def _mantissa_ir(typingctx, u):
    sig = types.float32(types.float32)

    def codegen(context, builder, signature, args):
        i = builder.bitcast(args[0], _I32)
        t = builder.sub(i, ir.Constant(_I32, _MANT_SPLIT))
        return builder.bitcast(
            builder.sub(i, builder.and_(t, ir.Constant(_I32, 0xFF800000))), _F32T
        )

    return sig, codegen


@overload(_mantissa, inline="always")
def _mantissa_compiled(u):
    return lambda u: _mantissa_ir(u)


def _is_top(b):
    """b >= _TOP (uint32)."""
    return int(b) >= _TOP


@intrinsic
def _is_top_ir(typingctx, b):
    sig = types.boolean(types.uint32)

    def codegen(context, builder, signature, args):
        return builder.icmp_unsigned(">=", args[0], ir.Constant(_I32, _TOP))

    return sig, codegen


@overload(_is_top, inline="always")
def _is_top_compiled(b):
    return lambda b: _is_top_ir(b)


def _angle_f32(b):
    """The low 29 bits of b (the angle within an octant), as float32."""
    return np.float32(int(b) & 0x1FFFFFFF)


@intrinsic
def _angle_f32_ir(typingctx, b):
    sig = types.float32(types.uint32)

    def codegen(context, builder, signature, args):
        return builder.sitofp(builder.and_(args[0], ir.Constant(_I32, 0x1FFFFFFF)), _F32T)

    return sig, codegen


@overload(_angle_f32, inline="always")
def _angle_f32_compiled(b):
    return lambda b: _angle_f32_ir(b)


def _swapped(b):
    """Bit 29 of b: the octant is mirrored (sine and cosine swap)."""
    return (int(b) >> 29) & 1 == 1


@intrinsic
def _swapped_ir(typingctx, b):
    sig = types.boolean(types.uint32)

    def codegen(context, builder, signature, args):
        bit = builder.and_(args[0], ir.Constant(_I32, 1 << 29))
        return builder.icmp_unsigned("!=", bit, ir.Constant(_I32, 0))

    return sig, codegen


@overload(_swapped, inline="always")
def _swapped_compiled(b):
    return lambda b: _swapped_ir(b)


def _signs(z1, z2, b):
    """z1 negated if bit 30 of b is set, z2 if bit 31 is."""
    b = int(b)
    s1 = (b << 1) & 0x80000000
    s2 = b & 0x80000000
    return _bits_f32(_f32_bits(z1) ^ s1), _bits_f32(_f32_bits(z2) ^ s2)


@intrinsic
def _sign1_ir(typingctx, z, b):
    sig = types.float32(types.float32, types.uint32)

    def codegen(context, builder, signature, args):
        z, b = args
        s = builder.and_(builder.shl(b, ir.Constant(_I32, 1)), ir.Constant(_I32, 0x80000000))
        return builder.bitcast(builder.xor(builder.bitcast(z, _I32), s), _F32T)

    return sig, codegen


@intrinsic
def _sign2_ir(typingctx, z, b):
    sig = types.float32(types.float32, types.uint32)

    def codegen(context, builder, signature, args):
        z, b = args
        s = builder.and_(b, ir.Constant(_I32, 0x80000000))
        return builder.bitcast(builder.xor(builder.bitcast(z, _I32), s), _F32T)

    return sig, codegen


@overload(_signs, inline="always")
def _signs_compiled(z1, z2, b):
    return lambda z1, z2, b: (_sign1_ir(z1, b), _sign2_ir(z2, b))


_F = np.float32
_ONE = _F(1.0)
_TWO_M32 = _F(2.0**-32)
_TWO_M33 = _F(2.0**-33)
#: the angle step: the 2**29 angles of an octant are (i + 1/2) pi / 4 / 2**29
_ANGLE = _F(math.pi / 4 * 2.0**-29)
_ANGLE_HALF = _F(math.pi / 4 * 2.0**-30)
# log2(1 + x) = x P(x) on [sqrt(1/2) - 1, sqrt(2) - 1], P negated (minimax, relative error)
_L = tuple(
    _F(-c)
    for c in (
        1.442696452140808,
        -0.7213642597198486,
        0.4806266129016876,
        -0.35934919118881226,
        0.295691579580307,
        -0.2694914638996124,
        0.17182908952236176,
    )
)
# R cos(a) and R sin(a) / a as polynomials in a**2 on [0, pi/4], R = sqrt(2 ln 2)
_C = (
    _F(1.1774100065231323),
    _F(-0.5887025594711304),
    _F(0.049040988087654114),
    _F(-0.0015950402012094855),
)
_S = (
    _F(1.1774100065231323),
    _F(-0.19623500108718872),
    _F(0.009810724295675755),
    _F(-0.00022996467305347323),
)
_L0, _L1, _L2, _L3, _L4, _L5, _L6 = _L
_C0, _C1, _C2, _C3 = _C
_S0, _S1, _S2, _S3 = _S


@njit_inline
def normal_pair(b1, b2):
    """Two standard normal variates (float32) from two uint32 words by Box-Muller:
    r = sqrt(-2 ln u), u = (b1 + 1/2) 2**-32; the angle's octant from the top 3 bits of b2 and
    its position in the octant from the low 29 (see module docstring)."""
    u = fma32(_u32_to_f32(b1), _TWO_M32, _TWO_M33)
    # u = 2**k (1 + x); for b1 >= _TOP, k = 0 (u rounds to at least sqrt(1/2)) and x = u - 1
    # from the integer (exact but for its rounding to float32)
    x = fma32(_i32_to_f32(b1), _TWO_M32, _TWO_M33) if _is_top(b1) else _mantissa(u) - _ONE
    nk = _neg_exponent(u)
    p = fma32(_L6, x, _L5)
    p = fma32(p, x, _L4)
    p = fma32(p, x, _L3)
    p = fma32(p, x, _L2)
    p = fma32(p, x, _L1)
    p = fma32(p, x, _L0)
    r = np.sqrt(fma32(p, x, nk))  # sqrt(-log2 u); R = sqrt(2 ln 2) is in the polynomials below
    a = fma32(_angle_f32(b2), _ANGLE, _ANGLE_HALF)
    t = a * a
    c = fma32(fma32(fma32(_C3, t, _C2), t, _C1), t, _C0)
    s = a * fma32(fma32(fma32(_S3, t, _S2), t, _S1), t, _S0)
    sw = _swapped(b2)
    return _signs(r * (s if sw else c), r * (c if sw else s), b2)


@njit_borrow
def fill_normals(k_lo, k_hi, start, stride, out, bits):
    """Standard normal variates for counters ``start + stride * i`` (mod 2**32), i = 0..n-1:
    ``out[2 j], out[2 j + 1] = normal_pair(bits of counter 2 j, bits of counter 2 j + 1)``; for
    odd n the last draw is the first of the pair (its counter, counter n).

    Two passes, both branch-free loops that LLVM vectorizes: the hash of every counter into
    ``bits`` (uint32, at least as long as ``out``), the first words of the pairs in its first
    half and the second words in its second half (so the next pass loads them without
    shuffles), then the Box-Muller conversion of the pairs."""
    n = out.shape[0]
    h = n // 2
    lo = np.uint32(k_lo)
    hi = np.uint32(k_hi)
    for j in range(h):
        c = start + stride * 2 * j
        bits[j] = hash_u32(lo, hi, np.uint32(c & 0xFFFFFFFF))
        bits[h + j] = hash_u32(lo, hi, np.uint32((c + stride) & 0xFFFFFFFF))
    for j in range(h):
        z1, z2 = normal_pair(bits[j], bits[h + j])
        out[2 * j] = z1
        out[2 * j + 1] = z2
    if n % 2 == 1:
        c = start + stride * (n - 1)
        b1 = hash_u32(lo, hi, np.uint32(c & 0xFFFFFFFF))
        z1, _ = normal_pair(b1, hash_u32(lo, hi, np.uint32((c + stride) & 0xFFFFFFFF)))
        out[n - 1] = z1


@njit
def normals(seed, stream, sample, purpose, n):
    """``n`` standard normal variates with counters 0..n-1 of one key (for tests and tools)."""
    k_lo, k_hi = make_key(seed, stream, sample, purpose)
    out = np.empty(n, dtype=np.float32)
    fill_normals(k_lo, k_hi, 0, 1, out, np.empty(n, dtype=np.uint32))
    return out
