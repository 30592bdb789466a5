"""Noise is a function of (seed, stream, sample index): bit-identical whatever the thread count
and however the batch is chunked; different seeds or streams give different noise."""

import numba
import numpy as np
import pytest
from kernel_cases import FULL_NOISE, chip_params, events_from_inputs, read_time

import kernels

K, M, B = 32, 24, 23


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(11)
    w = rng.integers(-63, 64, (K, M)).astype(np.int8)
    x = rng.integers(0, 32, (B, K))
    x[rng.random((B, K)) < 0.5] = 0
    ev = events_from_inputs(x, wait=5, t_first=2e-6)
    p = chip_params(K, M, t_read=read_time(ev[3]), t_baseline=2e-6)
    return x, w, p


def _run(x, w, p, sample_index=None, **kw):
    ev = events_from_inputs(x, wait=5, t_first=2e-6)
    return kernels.simulate_half(
        *ev, w, **p, **FULL_NOISE, noise_seed=2**63 + 5, stream=3, sample_index=sample_index, **kw
    )


def _assert_same(a, b):
    for u, v in zip(a[:5], b[:5]):
        np.testing.assert_array_equal(u, v)


def test_one_vs_two_threads(case):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba runs one thread here (NUMBA_NUM_THREADS < 2): nothing to compare")
    x, w, p = case
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run(x, w, p)
        numba.set_num_threads(2)
        two = _run(x, w, p)
    finally:
        numba.set_num_threads(before)
    _assert_same(one, two)


@pytest.mark.parametrize("closed_form", [True, False])
def test_batch_vs_chunks_of_seven(case, closed_form):
    x, w, p = case
    whole = _run(x, w, p, closed_form_prephase=closed_form)
    parts = [
        _run(
            x[i : i + 7],
            w,
            p,
            sample_index=np.arange(i, min(i + 7, B)),
            closed_form_prephase=closed_form,
        )
        for i in range(0, B, 7)
    ]
    for field in range(5):
        np.testing.assert_array_equal(whole[field], np.concatenate([q[field] for q in parts]))


def test_sample_index_not_position_keys_the_noise(case):
    x, w, p = case
    whole = _run(x, w, p)
    rev = _run(x[::-1], w, p, sample_index=np.arange(B)[::-1].copy())
    _assert_same(whole, [f[::-1] for f in rev[:5]])


def test_seed_and_stream_change_the_noise(case):
    x, w, p = case
    ev = events_from_inputs(x, wait=5, t_first=2e-6)
    base = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=1, stream=0)
    again = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=1, stream=0)
    other_seed = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=2, stream=0)
    other_stream = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=1, stream=1)
    _assert_same(base, again)
    for other in (other_seed, other_stream):
        d = other.v_read - base.v_read
        assert np.mean(d != 0) > 0.99
        # independent noise: the difference has twice the variance of one realization's noise
        quiet = kernels.simulate_half(*ev, w, **p)
        n1 = base.v_read - quiet.v_read
        assert abs(d.var() / (2 * n1.var()) - 1) < 0.15


def test_tiny_batch_vs_chunks_of_seven():
    """Small enough to run with the JIT disabled (see test_without_jit.py)."""
    rng = np.random.default_rng(4)
    k, m, n_b = 4, 3, 9
    w = rng.integers(-63, 64, (k, m)).astype(np.int8)
    x = rng.integers(0, 32, (n_b, k))
    ev = events_from_inputs(x, wait=5, t_first=0.3e-6)
    p = chip_params(k, m, t_read=read_time(ev[3], after=0.2e-6), t_baseline=0.3e-6)
    whole = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=3)
    parts = []
    for i in range(0, n_b, 7):
        evp = events_from_inputs(x[i : i + 7], wait=5, t_first=0.3e-6)
        parts.append(
            kernels.simulate_half(
                *evp, w, **p, **FULL_NOISE, noise_seed=3, sample_index=np.arange(i, min(i + 7, n_b))
            )
        )
    for field in range(5):
        np.testing.assert_array_equal(whole[field], np.concatenate([q[field] for q in parts]))
    assert whole.v_read.std() > 0


def _new_physics(m):
    """Every new noise source on, with the deterministic effects they interact with."""
    rng = np.random.default_rng(21)
    return dict(
        flicker_psd_1mhz=1e-13,
        flicker_blocks=3,
        sigma_bias=0.02,
        sigma_bias_common=0.01,
        sigma_gm=0.02,
        sigma_ramp=0.4,
        quadrant=np.arange(m) * 4 // m,
        adc_dev=0.2 * rng.uniform(-1, 1, (4, 255)),
        gm_inh=0.9e-6 * (1 + 0.05 * rng.standard_normal(m)),
        tau_syn_inh=0.36e-6 * np.ones(m),
        v_offset_exc=0.3e-3 * rng.standard_normal(m),
        v_offset_inh=0.3e-3 * rng.standard_normal(m),
        v_line_max=0.2,
    )


def _run_new(x, w, p, sample_index=None, **kw):
    return _run(x, w, p, sample_index=sample_index, t_gap=9e-6, **_new_physics(M), **kw)


def test_all_new_noise_one_vs_two_threads(case):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba runs one thread here (NUMBA_NUM_THREADS < 2): nothing to compare")
    x, w, p = case
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _run_new(x, w, p)
        numba.set_num_threads(2)
        two = _run_new(x, w, p)
    finally:
        numba.set_num_threads(before)
    _assert_same(one, two)
    assert one.v_read.std() > 0


@pytest.mark.parametrize("closed_form", [True, False])
def test_all_new_noise_batch_vs_chunks_of_seven(case, closed_form):
    x, w, p = case
    whole = _run_new(x, w, p, closed_form_prephase=closed_form)
    parts = [
        _run_new(
            x[i : i + 7],
            w,
            p,
            sample_index=np.arange(i, min(i + 7, B)),
            closed_form_prephase=closed_form,
        )
        for i in range(0, B, 7)
    ]
    for field in range(5):
        np.testing.assert_array_equal(whole[field], np.concatenate([q[field] for q in parts]))
    # every new source changes the result on its own
    base = _run(x, w, p, closed_form_prephase=closed_form, t_gap=9e-6)
    for name in ("flicker_psd_1mhz", "sigma_bias", "sigma_bias_common", "sigma_gm", "sigma_ramp"):
        only = dict(_new_physics(M))
        without = _run(
            x, w, p, closed_form_prephase=closed_form, t_gap=9e-6, **dict(only, **{name: 0.0})
        )
        assert np.any(without.v_read != whole.v_read) or np.any(
            without.code_read != whole.code_read
        ), name
    assert np.any(base.v_read != whole.v_read)


def test_all_new_noise_sample_index_not_position_keys_the_noise(case):
    x, w, p = case
    whole = _run_new(x, w, p)
    rev = _run_new(x[::-1], w, p, sample_index=np.arange(B)[::-1].copy())
    _assert_same(whole, [f[::-1] for f in rev[:5]])


@pytest.mark.parametrize("closed_form", [True, False])
def test_chunk_size_and_reused_prephase_coefficients_change_nothing(monkeypatch, closed_form):
    """The batch kernel runs chunks of consecutive samples and keeps a window's prephase
    coefficients while its prephase length repeats: samples whose first events (so prephase
    lengths) change from one to the next give the same results in chunks of 1, 3 and 32."""
    rng = np.random.default_rng(8)
    n_b, k, m = 40, 16, 12
    w = rng.integers(-63, 64, (k, m)).astype(np.int8)
    x = rng.integers(0, 32, (n_b, k))
    x[rng.random((n_b, k)) < 0.6] = 0
    x[5] = 0  # a sample without events
    t_first = rng.choice([1e-6, 2.3e-6, 4.1e-6], n_b)
    evs = [events_from_inputs(x[b : b + 1], wait=5, t_first=t_first[b]) for b in range(n_b)]
    ptr = np.concatenate([[0], np.cumsum([e[1].size for e in evs])]).astype(np.int64)
    ev = (ptr, *(np.concatenate([e[i] for e in evs]) for i in (1, 2, 3)))
    p = chip_params(k, m, t_read=6e-6, t_baseline=2e-6)
    runs = []
    for chunk in (1, 3, 32):
        monkeypatch.setattr(kernels.api, "_chunk_size", lambda n, chunk=chunk: chunk)
        runs.append(
            kernels.simulate_half(
                *ev,
                w,
                **p,
                **FULL_NOISE,
                **_new_physics(m),
                t_gap=4e-6,
                noise_seed=9,
                closed_form_prephase=closed_form,
            )
        )
    for other in runs[1:]:
        _assert_same(runs[0], other)
    assert runs[0].v_read.std() > 0
