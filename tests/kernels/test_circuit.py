"""Element functions: rational tanh, compliance, line step-response series."""

import numpy as np

from kernels.circuit import compliance, step_area, step_rise, tanh32, tanh32_pq


def test_tanh32_matches_numpy():
    x = np.concatenate([np.linspace(-12, 12, 4001), [-1e30, 1e30, 0.0]]).astype(np.float32)
    got = np.array([tanh32(v) for v in x])
    assert np.max(np.abs(got - np.tanh(x.astype(np.float64)))) < 7e-6
    assert np.max(np.abs(got)) < 1.0
    assert tanh32(np.float32(0.0)) == 0.0
    # odd, and monotone up to float32 rounding (a few ulps)
    assert np.array_equal(got[:4001], -got[4000::-1][:4001])
    assert np.min(np.diff(got[:4001])) > -1e-6


def test_two_tanh_with_one_division_match_numpy():
    """The membrane step's drive f_up tanh(x_e) - f_dn tanh(x_i) as one fraction
    (f_up p_e q_i - f_dn p_i q_e) / (q_e q_i), in float32, also where the terms cancel."""
    rng = np.random.default_rng(5)
    x_e = rng.uniform(-12, 12, 20000).astype(np.float32)
    x_i = np.where(rng.random(20000) < 0.5, x_e, rng.uniform(-12, 12, 20000)).astype(np.float32)
    f_up = rng.uniform(0, 1, 20000).astype(np.float32)
    f_dn = np.where(rng.random(20000) < 0.5, f_up, rng.uniform(0, 1, 20000)).astype(np.float32)
    got = []
    for xe, xi, fu, fd in zip(x_e, x_i, f_up, f_dn, strict=True):
        p_e, q_e = tanh32_pq(xe)
        p_i, q_i = tanh32_pq(xi)
        got.append(((fu * p_e) * q_i - (fd * p_i) * q_e) / (q_e * q_i))
    want = f_up * np.tanh(x_e.astype(np.float64)) - f_dn * np.tanh(x_i.astype(np.float64))
    assert np.max(np.abs(np.array(got, dtype=np.float64) - want)) < 1.5e-5
    same = (x_e == x_i) & (f_up == f_dn)
    assert np.all(np.array(got)[same] == 0.0)


def test_compliance_is_one_far_from_rail_zero_at_and_beyond_it_and_smooth():
    inv_w = np.float32(1 / 0.08)
    h = np.linspace(-0.05, 0.2, 2501).astype(np.float32)
    f = np.array([compliance(v, inv_w) for v in h])
    assert np.all(f[h >= 0.08] == 1.0)
    assert np.all(f[h <= 0.0] == 0.0)
    assert np.all(np.diff(f) >= 0)
    # C1: the slope is continuous (no jump at 0 and at w); max slope 1.5 / w
    slope = np.diff(f) / np.diff(h)
    assert np.max(np.abs(np.diff(slope))) < 0.1
    assert abs(np.max(slope) - 1.5 / 0.08) < 0.05 / 0.08


def test_line_step_series_match_exact_functions():
    x = np.linspace(0.0, 0.5, 1001)
    rise = np.array([step_rise(np.float32(v)) for v in x])
    area = np.array([step_area(np.float32(v)) for v in x])
    e1 = -np.expm1(-x)
    g = x + np.expm1(-x)
    assert np.allclose(rise, e1, rtol=1e-6, atol=1e-12)
    assert np.allclose(area, g, rtol=2e-6, atol=1e-14)
