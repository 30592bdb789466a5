"""The typed interface: a half prepared once (``half_params`` -> ``HalfParams``) and run on any
batch (``run_half``), with one read time per sample."""

import numpy as np
import pytest
from kernel_cases import FPGA_CYCLE, FULL_NOISE, chip_params, events_from_inputs

import kernels

K, M = 16, 6


def _batch(seed=0, n_b=14):
    """Vectors with different numbers of events, so different read times (1 us after the last
    event, whole cycles as the event simulator has them)."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-63, 64, (K, M)).astype(np.int8)
    x = rng.integers(0, 32, (n_b, K))
    x[rng.random((n_b, K)) < rng.random((n_b, 1))] = 0
    ev = events_from_inputs(x, wait=5, t_first=125 * FPGA_CYCLE, latency=9 * FPGA_CYCLE)
    counts = np.count_nonzero(x, axis=1)
    t_read = (125 + 9 + 5 * np.maximum(counts - 1, 0) + 125) * FPGA_CYCLE
    return ev, w, t_read


def _subset(ev, idx):
    ptr, row, act, time = ev
    counts = ptr[idx + 1] - ptr[idx]
    take = np.concatenate([np.arange(ptr[i], ptr[i + 1]) for i in idx] + [np.zeros(0, int)])
    return (np.concatenate([[0], np.cumsum(counts)]), row[take], act[take], time[take])


@pytest.mark.parametrize("closed_form", [True, False])
def test_one_read_time_per_sample_equals_one_call_per_read_time(closed_form):
    ev, w, t_read = _batch()
    assert np.unique(t_read).size > 3
    p = chip_params(K, M)
    del p["t_read"], p["t_baseline"]
    params = kernels.half_params(
        w,
        **p,
        **FULL_NOISE,
        noise_seed=9,
        stream=2,
        closed_form_prephase=closed_form,
        noise_substeps=5,
    )
    whole = kernels.run_half(params, *ev, t_read=t_read, t_baseline=3e-6)
    for t in np.unique(t_read):
        idx = np.flatnonzero(t_read == t)
        part = kernels.run_half(
            params, *_subset(ev, idx), t_read=float(t), t_baseline=3e-6, sample_index=idx
        )
        for a, b in zip(whole[:5], part[:5]):
            np.testing.assert_array_equal(a[idx], b)  # bit-identical, noise on
    assert whole.v_read.std() > 0


def test_prepared_half_equals_simulate_half_and_is_immutable():
    ev, w, t_read = _batch(1, n_b=5)
    p = chip_params(K, M, t_read=float(t_read.max()), t_baseline=3e-6)
    direct = kernels.simulate_half(*ev, w, **p, **FULL_NOISE, noise_seed=4)
    t, tb = p.pop("t_read"), p.pop("t_baseline")
    params = kernels.half_params(w, **p, **FULL_NOISE, noise_seed=4)
    assert isinstance(params, kernels.HalfParams) and params.n_k == K and params.n_m == M
    again = kernels.run_half(params, *ev, t_read=t, t_baseline=tb)
    for a, b in zip(direct[:5], again[:5]):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(AttributeError):
        params.dt = 1e-9
    with pytest.raises(ValueError, match="read-only"):
        params.col32[0, 0] = 1.0


def test_per_sample_read_times_are_checked():
    ev, w, t_read = _batch(2, n_b=4)
    p = chip_params(K, M)
    del p["t_read"], p["t_baseline"]
    params = kernels.half_params(w, **p)
    with pytest.raises(ValueError, match=r"t_read must have shape \(4,\)"):
        kernels.run_half(params, *ev, t_read=t_read[:3], t_baseline=3e-6)
    bad = t_read.copy()
    bad[2] = -1.0
    with pytest.raises(ValueError, match=r"t_read\[2\] must be a positive"):
        kernels.run_half(params, *ev, t_read=bad, t_baseline=3e-6)
    with pytest.raises(ValueError, match="record_samples must share one read time"):
        kernels.run_half(
            params,
            *ev,
            t_read=np.array([5e-6, 5e-6, 6e-6, 6e-6]),
            t_baseline=3e-6,
            record_samples=[1, 2],
            record_columns=[0],
        )
    with pytest.raises(TypeError, match="kernels.HalfParams"):
        kernels.run_half(dict(params._asdict()), *ev, t_read=5e-6, t_baseline=3e-6)
    # recording samples of one read time in a batch of several
    r = kernels.run_half(
        params,
        *ev,
        t_read=np.array([5e-6, 5e-6, 6e-6, 6e-6]),
        t_baseline=3e-6,
        record_samples=[3, 2],
        record_columns=[0],
    )
    assert r.traces.time[-1] == pytest.approx(6e-6)
    np.testing.assert_allclose(r.traces.v_mem[:, 0, -1], r.v_read[[3, 2], 0], atol=1e-6)
