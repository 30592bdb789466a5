"""Element functions of the analog model, inlined into the kernels: the OTA's saturating
transfer (a rational tanh), the membrane's output compliance near the rails, and the exact
response coefficients of an exponential synaptic line to a current step.

All are float32 where they run inside the per-column SIMD loops.
"""

import numpy as np

from ._jit import fma32, njit_inline

_F0 = np.float32(0.0)
_F1 = np.float32(1.0)
_F2 = np.float32(2.0)
_F3 = np.float32(3.0)

# Rational approximation of tanh on [-6, 6]: x P(x^2) / Q(x^2) with P and Q of degree 3 in x^2
# (odd degree-7 numerator, even degree-6 denominator, both with constant term 1), clamped
# outside. The coefficients are a near-minimax fit of the error on [0, 6] (least squares of
# P - tanh Q with iterated weights, the clamp chosen for the smallest largest error): |error| <
# 7e-6 against numpy.tanh everywhere, in float32 (tested), a fraction 7e-6 of the saturated OTA
# current, far below the integration error of the membrane step (model.md section 9). Two
# degrees lower than the float32-exact form it replaced (error 2e-7), which made the membrane
# step about a quarter slower.
_TANH_CLAMP = np.float32(6.0)
_P1 = np.float32(0.12576355040073395)
_P2 = np.float32(0.0025359145365655422)
_P3 = np.float32(5.322887318470748e-06)
_Q1 = np.float32(0.4590967297554016)
_Q2 = np.float32(0.022235119715332985)
_Q3 = np.float32(0.0001721185981296003)


@njit_inline
def tanh32(x):
    """tanh(x) in float32 by a rational function (branch-free, vectorizes)."""
    p, q = tanh32_pq(x)
    return p / q


@njit_inline
def tanh32_pq(x):
    """Numerator and denominator of :func:`tanh32`: tanh(x) = p / q (float32), q in
    [1, 55]. Two of them share one division: p_e / q_e - p_i / q_i =
    (p_e q_i - p_i q_e) / (q_e q_i), and a division costs as much as the rest of the rational."""
    x = min(max(x, -_TANH_CLAMP), _TANH_CLAMP)
    x2 = x * x
    p = fma32(_P3, x2, _P2)
    p = fma32(p, x2, _P1)
    p = fma32(p, x2, _F1)
    p = p * x
    q = fma32(_Q3, x2, _Q2)
    q = fma32(q, x2, _Q1)
    q = fma32(q, x2, _F1)
    return p, q


@njit_inline
def compliance(headroom, inv_width):
    """Output compliance f in [0, 1] of an OTA driving the membrane.

    ``headroom`` (V) is the distance to the rail the current pushes towards (``v_rail_hi - V``
    for the excitatory OTA, ``V - v_rail_lo`` for the inhibitory one), ``inv_width`` = 1/w (1/V).
    With s = clip(headroom / w, 0, 1):  f = s^2 (3 - 2 s)  (smoothstep). So f = 1 while the
    membrane is more than w from the rail, f falls smoothly (C1) to 0 at the rail and stays 0
    beyond it.
    """
    s = min(max(headroom * inv_width, _F0), _F1)
    return s * s * (_F3 - _F2 * s)


# Taylor coefficients for the line response functions (valid, to float32 rounding, for
# 0 <= x <= 0.5; the wrapper refuses dt > tau_syn / 2).
_C2 = np.float32(1.0 / 2.0)
_C3 = np.float32(1.0 / 3.0)
_C4 = np.float32(1.0 / 4.0)
_C5 = np.float32(1.0 / 5.0)
_C6 = np.float32(1.0 / 6.0)
_C7 = np.float32(1.0 / 7.0)
_C8 = np.float32(1.0 / 8.0)


@njit_inline
def step_rise(x):
    """E1(x) = 1 - exp(-x) for 0 <= x <= 0.5 (nested Taylor series, relative error < 1e-7).

    A line at rest that receives a constant input from time s on has, at time s + u, the
    normalized voltage  rate * tau * E1(u / tau).
    """
    return x * (
        _F1
        - x
        * _C2
        * (
            _F1
            - x
            * _C3
            * (
                _F1
                - x * _C4 * (_F1 - x * _C5 * (_F1 - x * _C6 * (_F1 - x * _C7 * (_F1 - x * _C8))))
            )
        )
    )


@njit_inline
def step_area(x):
    """G(x) = x - (1 - exp(-x)) for 0 <= x <= 0.5, computed without cancellation.

    The time integral over [s, s + u] of the response above is  rate * tau^2 * G(u / tau).
    """
    return (
        x
        * x
        * _C2
        * (
            _F1
            - x
            * _C3
            * (
                _F1
                - x * _C4 * (_F1 - x * _C5 * (_F1 - x * _C6 * (_F1 - x * _C7 * (_F1 - x * _C8))))
            )
        )
    )


# Taylor coefficients of H(x) = G(x) / x^2 = sum_k (-x)^k / (k + 2)! (to float32 rounding for
# 0 <= x <= 0.5: the first omitted term, x^8 / 10!, is below 1e-9 of H)
_H0 = np.float32(1.0 / 2.0)
_H1 = np.float32(-1.0 / 6.0)
_H2 = np.float32(1.0 / 24.0)
_H3 = np.float32(-1.0 / 120.0)
_H4 = np.float32(1.0 / 720.0)
_H5 = np.float32(-1.0 / 5040.0)
_H6 = np.float32(1.0 / 40320.0)
_H7 = np.float32(-1.0 / 362880.0)


@njit_inline
def step_rise_area(x):
    """(E1(x), G(x)) for 0 <= x <= 0.5 from one polynomial: G = x^2 H(x) with H(x) = G(x) / x^2
    in Horner form, E1 = x - G (G <= x / 4 there: the subtraction adds one rounding). The same
    values as :func:`step_rise` and :func:`step_area` to float32 rounding, at about 40 % of
    their cost; the kernel's edges use it."""
    h = fma32(_H7, x, _H6)
    h = fma32(h, x, _H5)
    h = fma32(h, x, _H4)
    h = fma32(h, x, _H3)
    h = fma32(h, x, _H2)
    h = fma32(h, x, _H1)
    h = fma32(h, x, _H0)
    g = (x * x) * h
    return x - g, g
