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
    (res,) = validity.evaluate(
        StubChip(clean, noise),
        {"s": StubSurrogate(expected, std)},
        waits=(5,),
        sends=(1,),
        densities=(0.5,),
        weights=(16,),
        vectors=2,
    )
    d = np.array([0.5, -2.0, 0.0, 3.0, 0.5, -1.0])
    assert res.chip_mean_abs == pytest.approx(np.mean(np.abs(clean)))
    assert res.chip_noise == pytest.approx(1.0)
    assert res.bias["s"] == pytest.approx(d.mean())
    assert res.rms["s"] == pytest.approx(np.sqrt(np.mean(d**2)))
    assert res.frac_off["s"] == pytest.approx(2 / 6)  # |d| > 1: -2.0 and 3.0
    assert res.noise_ratio["s"] == pytest.approx(2.0)
    assert not res.holds("s")  # RMS 1.55 > 1.5 and noise ratio 2 outside 0.8-1.25


def test_table_fits_the_terminal_and_reads_back():
    """Four surrogates with long names: a legend keys them, no line is wider than LINE_WIDTH,
    and the numbers of a row read back as the metrics (rounded as printed)."""
    clean = np.array([[0.0, 10.0, -4.0], [2.0, 2.0, 2.0]])
    noise = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])
    names = [f"a surrogate with a long descriptive name number {i}" for i in range(4)]
    sur = {n: StubSurrogate(clean + i, np.full_like(clean, 1.0 + i)) for i, n in enumerate(names)}
    results = validity.evaluate(
        StubChip(clean, noise),
        sur,
        waits=(5, 10),
        sends=(1,),
        densities=(0.5,),
        weights=(16,),
        vectors=2,
    )
    lines = validity.table(results, names).splitlines()
    assert lines[:4] == [f"{k}  {n}" for k, n in zip("ABCD", names)]
    assert max(len(line) for line in lines) <= validity.LINE_WIDTH
    row = next(line for line in lines if line.startswith("   5 "))
    fields = row.replace("*", " ").split()
    r = results[0]
    assert [int(fields[0]), int(fields[1])] == [5, 1]
    for i, n in enumerate(names):
        rms, bias, ratio = (float(v) for v in fields[6 + 3 * i : 9 + 3 * i])
        assert rms == pytest.approx(r.rms[n], abs=0.05)
        assert bias == pytest.approx(r.bias[n], abs=0.05)
        assert ratio == pytest.approx(r.noise_ratio[n], abs=0.005)
    assert ("*" in row.split()[6]) == r.holds(names[0])
    words = validity.summary(results, names)
    assert max(len(line) for line in words.splitlines()) <= validity.LINE_WIDTH
