"""The wrapper keeps the coefficient rows of its read windows by what they are computed from
(kernels.api._RowCache): a kept row is the computed row bit for bit, a batch's results do not
depend on which batches ran before it, and the cache stays bounded; likewise the read windows'
places on the grid (kernels.api._READ_GRID, by read time and dt)."""

import numpy as np
import pytest
from kernel_cases import FULL_NOISE, chip_params, events_from_inputs

import kernels
from kernels import api

K, M, B = 32, 24, 12


@pytest.fixture
def cold(monkeypatch):
    """Empty row caches for the test (the module's own are left as they were)."""
    monkeypatch.setattr(api, "_WINDOW_ROWS", api._RowCache(512))
    monkeypatch.setattr(api, "_FLICKER_ROWS", api._RowCache(512))


def _case():
    rng = np.random.default_rng(4)
    w = rng.integers(-63, 64, (K, M)).astype(np.int8)
    x = rng.integers(0, 32, (B, K))
    x[rng.random((B, K)) < rng.random((B, 1))] = 0  # another number of events per vector
    ev = events_from_inputs(x, wait=5, t_first=2e-6)
    # one read time per vector, 1 us after its own last event: many distinct windows
    t_read = np.array(
        [
            (ev[3][ev[0][b] : ev[0][b + 1]].max() if ev[0][b + 1] > ev[0][b] else 2e-6) + 1e-6
            for b in range(B)
        ]
    )
    p = chip_params(K, M, t_read=t_read, t_baseline=2e-6)
    return x, w, ev, p


def _run(w, ev, p, rows=slice(None)):
    ptr, row, act, time = ev
    sel = np.arange(B)[rows]
    ptr_sel = np.concatenate([[0], np.cumsum(ptr[sel + 1] - ptr[sel])])
    pick = np.concatenate([np.arange(ptr[b], ptr[b + 1]) for b in sel]).astype(np.int64)
    q = {**FULL_NOISE, **p, "t_read": p["t_read"][sel]}
    return kernels.simulate_half(
        ptr_sel, row[pick], act[pick], time[pick], w, **q,
        noise_seed=9, stream=1, sample_index=sel,
    )  # fmt: skip


def _outputs(res):
    return [np.asarray(a) for a in res[:5]]


def _params(w, p):
    return kernels.half_params(
        w, **{k: v for k, v in p.items() if k not in ("t_read", "t_baseline")}
    )


def _windows(p, dt):
    return [api._grid(t, dt)[:3] for t in sorted(set(p["t_read"])) + [2e-6]]


def _computed_rows(params, windows):
    """The window rows as the wrapper computed them before it kept them (float64, then float32)."""
    g_max = np.maximum(params.gm, params.gm_inh)
    rows = np.empty((len(windows), kernels.half.N_WIN32, params.n_m), dtype=np.float64)
    for i, (n_full, n_steps, rem) in enumerate(windows):
        h_last = (n_full - ((n_steps - 1) // params.n_sub) * params.n_sub) * params.dt + rem
        api._step_and_block_rows(
            rows[i], params.tau_syn, params.tau_syn_inh, g_max, params.v_lin, params.c_m,
            params.drift, params.lam, params.ota_rate, params.sigma_n,
            rem if rem > 0 else params.dt, h_last,
        )  # fmt: skip
    return rows.astype(np.float32)


def test_cached_rows_are_the_computed_rows(cold):
    x, w, ev, p = _case()
    params = _params(w, {**FULL_NOISE, **p})
    windows = _windows(p, params.dt)
    assert len(windows) > 5
    first = api._window_table(params, windows)
    again = api._window_table(params, windows[::-1])[::-1]  # every row from the cache
    np.testing.assert_array_equal(first, _computed_rows(params, windows))
    np.testing.assert_array_equal(again, first)
    assert len(api._WINDOW_ROWS.rows) == len(windows)
    assert not next(iter(api._WINDOW_ROWS.rows.values())).flags.writeable
    # every parameter the rows depend on is part of their key: changed, the rows are computed anew
    changes = dict(
        tau_leak=100e-6,
        sigma_line=2 * FULL_NOISE["sigma_line"],
        ota_noise_psd=2 * FULL_NOISE["ota_noise_psd"],
        tau_syn=1.1 * np.asarray(p["tau_syn"]),
        gm=1.1 * np.asarray(p["gm"]),
        c_m=1.1 * np.asarray(p["c_m"]),
        v_lin=1.1 * np.asarray(p["v_lin"]),
        i_offset=np.asarray(p["i_offset"]) + 1e-13,
    )
    for name, value in changes.items():
        other = _params(w, {**FULL_NOISE, **p, name: value})
        rows = api._window_table(other, windows)
        np.testing.assert_array_equal(rows, _computed_rows(other, windows), err_msg=name)
        assert not np.array_equal(rows, first), name


def test_results_do_not_depend_on_what_ran_before(cold):
    x, w, ev, p = _case()
    cold_part = _outputs(_run(w, ev, p, slice(3, 9)))
    whole = _outputs(_run(w, ev, p))  # warms the cache with every window of the batch
    warm_part = _outputs(_run(w, ev, p, slice(3, 9)))
    for a, b, c in zip(cold_part, warm_part, whole):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c[3:9])


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = api._RowCache(3)
    calls = []

    def row(v):
        def compute():
            calls.append(v)
            return np.full(2, float(v))

        return compute

    for v in (1, 2, 3):
        cache.get(v, row(v))
    cache.get(1, row(1))  # a hit: 1 becomes the most recently used
    cache.get(4, row(4))  # drops 2, the least recently used
    assert calls == [1, 2, 3, 4]
    assert list(cache.rows) == [3, 1, 4]
    cache.get(2, row(2))
    assert calls[-1] == 2 and len(cache.rows) == 3


def test_threads_sharing_the_cache_get_the_computed_rows_and_keep_the_bound():
    from concurrent.futures import ThreadPoolExecutor

    cache = api._RowCache(8)

    def get(i):
        key = i % 20
        return key, cache.get(key, lambda: np.full(3, float(key)))

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(get, range(2000)))
    assert all((row == key).all() for key, row in results)
    assert len(cache.rows) == 8


# ---- the read windows on the grid, kept by (t_read, dt) ------------------------------------------
@pytest.fixture
def cold_grid(monkeypatch):
    """An empty memo of read windows for the test (the module's own is left as it was)."""
    monkeypatch.setattr(api, "_READ_GRID", {})


def _read_times(dt, n=300, seed=0):
    """Read times on, next to (within and beyond the snap) and between grid points."""
    rng = np.random.default_rng(seed)
    k = rng.integers(100, 400, n).astype(np.float64)
    offset = rng.choice([0.0, 0.3e-9, -0.3e-9, 2e-9, 0.37, 0.5, 0.99], n)  # in steps
    return (k + offset) * dt


def test_kept_read_windows_are_the_placed_ones(cold_grid):
    for dt in (8e-9, 32e-9):
        t = _read_times(dt)
        placed = [api._window_on_grid("t", float(v), dt) for v in t]
        cold_reads, cold_index = api._read_windows(t, t.size, dt)
        warm_reads, warm_index = api._read_windows(t[::-1].copy(), t.size, dt)
        assert [cold_reads[i] for i in cold_index] == placed
        assert [warm_reads[i] for i in warm_index] == placed[::-1]
    # dt is part of the key: the same times on another grid are placed anew
    t = _read_times(8e-9)
    other = api._read_windows(t, t.size, 24e-9)
    assert [other[0][i] for i in other[1]] == [api._window_on_grid("t", v, 24e-9) for v in t]
    assert other[0] != api._read_windows(t, t.size, 8e-9)[0]


def test_a_bad_read_time_is_named_and_not_kept(cold_grid):
    dt = 32e-9
    t = _read_times(dt, n=20)
    api._read_windows(t, t.size, dt)
    n_kept = len(api._READ_GRID)
    for bad in (np.nan, 0.0, -0.0, np.inf, -1e-6, 0.5e-9 * 1e-9):
        u = t.copy()
        u[7] = bad
        for _ in range(2):
            with pytest.raises(ValueError, match=r"t_read\[7\]"):
                api._read_windows(u, u.size, dt)
    assert len(api._READ_GRID) == n_kept


def test_the_read_window_memo_is_bounded(cold_grid, monkeypatch):
    monkeypatch.setattr(api, "_READ_GRID_SIZE", 16)
    dt = 32e-9
    for seed in range(5):
        t = _read_times(dt, n=40, seed=seed)
        reads, index = api._read_windows(t, t.size, dt)
        assert [reads[i] for i in index] == [api._window_on_grid("t", v, dt) for v in t]
        assert len(api._READ_GRID) <= 16
