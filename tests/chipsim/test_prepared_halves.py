"""A chip keeps the kernel halves it prepared (``Chip._prepared_half``) by the half, the
weights' shape and bytes and the noise switch, and gives each call its own random stream
(``kernels.reseed``): kept halves are the halves ``kernel_params`` builds, bit for bit, every
input is part of the key, results do not depend on what ran before, and copies and threads
work."""

import copy
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import chipsim
import kernels
from chipsim import chip as chip_module
from chipsim.chip import kernel_params


def _same(a, b):
    assert type(a) is type(b)
    for name, x, y in zip(a._fields, a, b):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), name
        else:
            assert x == y, name


def _differ(a, b) -> bool:
    return any(
        (x.shape != y.shape or x.tobytes() != y.tobytes()) if isinstance(x, np.ndarray) else x != y
        for x, y in zip(a, b)
    )


def _fresh(chip, half, w_tile, noise, seed=0, stream=0):
    return kernel_params(
        chip.description,
        chip.knobs,
        chip.pattern[half],
        w_tile,
        noise=noise,
        noise_seed=seed,
        stream=stream,
    )


@pytest.mark.parametrize("name", ["tutorial", "bss2-synin"])
def test_kept_halves_are_the_built_ones_and_every_input_is_in_the_key(chips_dir, name):
    chip = chipsim.load(chips_dir / f"{name}.yaml", seed=2)
    k, m = chip.tile_shape
    rng = np.random.default_rng(0)
    w = np.ascontiguousarray(rng.integers(-63, 64, (k, m)), dtype=np.int32)
    base = chip._prepared_half(0, w, True)
    _same(base, _fresh(chip, 0, w, True))
    assert chip._prepared_half(0, w.copy(), True) is base  # kept
    w1 = w.copy()
    w1[k // 2, m // 3] = -w1[k // 2, m // 3] + (1 if w1[k // 2, m // 3] == 0 else 0)
    others = {
        "a weight": (0, w1, True),
        "the half": (1, w, True),
        "the noise switch": (0, w, False),
        "the shape": (0, np.ascontiguousarray(w[: k - 2]), True),
    }
    for what, (half, w_tile, noise) in others.items():
        kept = chip._prepared_half(half, w_tile, noise)
        _same(kept, _fresh(chip, half, w_tile, noise))
        assert _differ(kept, base), what
    # the same bytes in another shape: another half
    narrow = np.ascontiguousarray(w[: k // 2, : m // 2])
    wide = narrow.reshape(k // 4, m)
    first = chip._prepared_half(0, narrow, True)
    kept = chip._prepared_half(0, wide, True)
    _same(kept, _fresh(chip, 0, wide, True))
    assert kept.n_m == m and first.n_m == m // 2
    # a call's own stream: the kept half reseeded is the half built with that seed and stream
    _same(kernels.reseed(base, 123456789, 3), _fresh(chip, 0, w, True, 123456789, 3))


def test_results_do_not_depend_on_kept_halves_and_the_bound_holds(tutorial, monkeypatch):
    k, m = tutorial.tile_shape
    rng = np.random.default_rng(1)
    w = rng.integers(-63, 64, (2 * k + 3, m + 5))  # 3 x 2 tiles
    x = rng.integers(0, 32, (7, w.shape[0]))
    cold = chipsim.Chip(tutorial.description, seed=tutorial.seed).matmul(x, w, noise_seed=5)
    warm1 = tutorial.matmul(x, w, noise_seed=5)
    warm2 = tutorial.matmul(x, w, noise_seed=5)
    np.testing.assert_array_equal(warm1, cold)
    np.testing.assert_array_equal(warm2, cold)
    # another seed with kept halves: as on a fresh chip
    np.testing.assert_array_equal(
        tutorial.matmul(x, w, noise_seed=6),
        chipsim.Chip(tutorial.description, seed=tutorial.seed).matmul(x, w, noise_seed=6),
    )
    small = chipsim.Chip(tutorial.description, seed=tutorial.seed)
    monkeypatch.setattr(small._halves, "size", 2)
    np.testing.assert_array_equal(small.matmul(x, w, noise_seed=5), cold)
    assert len(small._halves.halves) == 2
    assert chip_module.PREPARED_HALVES >= 2


def test_copies_start_without_kept_halves_and_compute_alike(tutorial):
    k, m = tutorial.tile_shape
    rng = np.random.default_rng(2)
    w = rng.integers(-63, 64, (k, m))
    x = rng.integers(0, 32, (5, k))
    y = tutorial.matmul(x, w, noise_seed=8)
    for other in (pickle.loads(pickle.dumps(tutorial)), copy.deepcopy(tutorial)):
        assert other._halves is not tutorial._halves and not other._halves.halves
        assert other.seed == tutorial.seed and other.calibration == tutorial.calibration
        np.testing.assert_array_equal(other.matmul(x, w, noise_seed=8), y)


def test_threads_sharing_a_chip_get_the_serial_results(tutorial):
    k, m = tutorial.tile_shape
    rng = np.random.default_rng(3)
    ws = [rng.integers(-63, 64, (k + 4, m)) for _ in range(3)]
    x = rng.integers(0, 32, (4, k + 4))
    chip = chipsim.Chip(tutorial.description, seed=tutorial.seed)
    serial = [tutorial.matmul(x, ws[i % 3], noise_seed=i) for i in range(12)]
    with ThreadPoolExecutor(3) as pool:
        threaded = list(pool.map(lambda i: chip.matmul(x, ws[i % 3], noise_seed=i), range(12)))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)
