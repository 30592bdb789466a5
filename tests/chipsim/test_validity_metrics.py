"""The validity metrics of ``chipsim validate-model`` on known numbers: a stub chip whose
noiseless and noisy outputs are given, and a stub surrogate whose expectation is given."""

from types import SimpleNamespace

import numpy as np
import pytest

from chipsim.models import validity


class StubChip:
    tile_shape = (4, 3)

    def __init__(self, clean, noise):
        self.clean, self.noise = clean, noise

    def run(self, x, w, num_sends, wait_between_events, noise=True, noise_seed=None):
        out = self.clean if not noise else self.clean + self.noise
        return SimpleNamespace(outputs=out.copy())


class StubSurrogate:
    def __init__(self, expected, std):
        self.e, self.s = expected, std

    def expected(self, x, w, num_sends=1):
        return self.e, self.s


def test_rms_bias_fraction_off_and_noise_ratio_on_known_numbers():
    clean = np.array([[0.0, 10.0, -4.0], [2.0, 2.0, 2.0]])
    noise = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])  # std 1 around the clean outputs
    expected = clean + np.array([[0.5, -2.0, 0.0], [3.0, 0.5, -1.0]])
    std = np.full_like(clean, 2.0)
    (res,) = validity.evaluate(StubChip(clean, noise), {"s": StubSurrogate(expected, std)},
                               waits=(5,), sends=(1,), densities=(0.5,), weights=(16,), vectors=2)
    d = np.array([0.5, -2.0, 0.0, 3.0, 0.5, -1.0])
    assert res.chip_mean_abs == pytest.approx(np.mean(np.abs(clean)))
    assert res.chip_noise == pytest.approx(1.0)
    assert res.bias["s"] == pytest.approx(d.mean())
    assert res.rms["s"] == pytest.approx(np.sqrt(np.mean(d**2)))
    assert res.frac_off["s"] == pytest.approx(2 / 6)  # |d| > 1: -2.0 and 3.0
    assert res.noise_ratio["s"] == pytest.approx(2.0)
    assert not res.holds("s")  # RMS 1.55 > 1.5 and noise ratio 2 outside 0.8-1.25
