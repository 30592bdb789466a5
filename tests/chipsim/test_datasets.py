"""The datasets of the transfer study: digits from scikit-learn, the synthetic keyword set."""

import numpy as np
import pytest

from chipsim.studies import datasets


def test_keywords_are_deterministic_and_have_many_features():
    a = datasets.keywords(60, 20, seed=3)
    b = datasets.keywords(60, 20, seed=3)
    c = datasets.keywords(60, 20, seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.num_features == 32 * 40 > 1000
    assert a.feature_shape == (32, 40)
    assert a.x_train.dtype == np.float32 and a.x_train.min() >= 0 and a.x_train.max() <= 1
    assert a.num_classes == 10 and set(a.classes) >= {"yes", "no", "stop", "go"}
    assert np.bincount(a.y_train).tolist() == [6] * 10  # balanced
    assert "synthetic" in a.description


def test_keyword_classes_differ_and_samples_vary():
    d = datasets.keywords(200, 10, seed=0, difficulty=0.5)
    means = np.stack([d.x_train[d.y_train == k].mean(0) for k in range(10)])
    between = np.linalg.norm(means[:, None] - means[None], axis=-1)[np.triu_indices(10, 1)]
    within = np.mean(
        [np.linalg.norm(d.x_train[d.y_train == k] - means[k], axis=1).mean() for k in range(10)]
    )
    assert between.min() > 0.5  # every pair of words differs on average
    assert within > 1.0  # and samples of one word vary (timing, pitch, noise)


def test_keyword_options_are_checked():
    with pytest.raises(ValueError, match="difficulty"):
        datasets.keywords(10, 10, difficulty=3)
    with pytest.raises(ValueError, match="n_train"):
        datasets.keywords(0, 10)
    with pytest.raises(ValueError, match="unknown name"):
        datasets.load("mnist")


def test_mel_filterbank_covers_the_band():
    freqs = np.linspace(0, 8000, 201)
    fb = datasets.mel_filterbank(40, freqs)
    assert fb.shape == (201, 40)
    np.testing.assert_allclose(fb.sum(axis=0), 1.0)
    peaks = fb.argmax(axis=0)
    assert np.all(np.diff(peaks) >= 0)  # filters ordered by frequency


def test_digits_from_scikit_learn():
    pytest.importorskip("sklearn")
    d = datasets.digits(seed=0)
    assert d.num_features == 64 and d.num_classes == 10
    assert d.x_train.shape[0] + d.x_test.shape[0] == 1797
    assert d.x_train.max() <= 1 and d.x_train.min() >= 0
    assert abs(d.x_test.shape[0] / 1797 - 0.3) < 0.01
