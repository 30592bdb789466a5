"""Datasets of the transfer study that need no download: scikit-learn's bundled handwritten
digits, and a *synthetic* keyword-spotting-like dataset of log-mel spectrograms.

The keyword dataset is generated, not recorded: each of ten "words" is a fixed sequence of
segments (vowels as harmonic spectra shaped by two or three formants, glides between vowels,
nasal murmurs, fricative noise bands, stop bursts, a pure tone); each sample draws its own
speaker (pitch, vocal-tract length that scales the formants), timing (length of the word, onset,
the share of each segment), loudness and background noise. The spectrogram is built in the
frequency domain frame by frame (no waveform), passed through a triangular mel filterbank and
taken in decibels. It only imitates the *regime* of the study (many input features, classes that
differ in timing and spectral detail, noisy examples); it is not speech and its accuracies are
not those of SpeechCommands. Same arguments, same arrays: the generator is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hwdesc import rules


@dataclass(frozen=True)
class Dataset:
    """A classification dataset split into train and test.

    Attributes:
        name: short name (``digits``, ``keywords``).
        x_train, x_test: features, float32 (samples, features), values in 0..1.
        y_train, y_test: labels, int64 (samples,).
        classes: class names, indexed by label.
        feature_shape: shape of one sample before flattening (e.g. (frames, mels)).
        description: one paragraph on where the data comes from.
    """

    name: str
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    classes: tuple[str, ...]
    feature_shape: tuple[int, ...]
    description: str = field(repr=False)

    @property
    def num_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def digits(test_fraction: float = 0.3, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8 x 8 handwritten digits (1,797 samples, 64 features), scaled to
    0..1 and split by a seeded stratified shuffle."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"the digits dataset needs scikit-learn: pip install 'chipsim[torch]' ({err})"
        ) from None
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction: {test_fraction} must lie strictly between 0 and 1")
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng([seed, 0x64696769])
    test = np.zeros(y.size, dtype=bool)
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        test[idx[: int(round(test_fraction * idx.size))]] = True
    return Dataset(
        "digits",
        x[~test],
        y[~test],
        x[test],
        y[test],
        tuple(str(d) for d in range(10)),
        (8, 8),
        "scikit-learn's bundled copy of the UCI optical handwritten digits "
        "(8 x 8 images, 16 grey levels), scaled to 0..1",
    )


# ---- the synthetic keyword dataset --------------------------------------------------------------

#: Vowel formants (F1, F2, F3) in Hz of an average adult speaker.
_VOWELS = {
    "a": (730, 1090, 2440),
    "i": (270, 2290, 3010),
    "u": (300, 870, 2240),
    "e": (530, 1840, 2480),
    "o": (570, 840, 2410),
    "ah": (640, 1190, 2390),
    "l": (360, 1300, 2700),
    "r": (420, 1300, 1600),
}

# Segment kinds: ("v", vowel, share) voiced; ("g", vowel_from, vowel_to, share) glide;
# ("n", share) nasal murmur; ("f", centre_hz, width_hz, share) fricative noise band;
# ("b", centre_hz, share) stop burst; ("s", share) silence (closure); ("t", hz, share) tone.
_WORDS = {
    "yes": [("g", "i", "e", 0.25), ("v", "e", 0.35), ("f", 6000, 2500, 0.4)],
    "no": [("n", 0.25), ("g", "o", "u", 0.75)],
    "up": [("v", "ah", 0.6), ("s", 0.2), ("b", 1200, 0.2)],
    "down": [("b", 3000, 0.1), ("g", "a", "u", 0.6), ("n", 0.3)],
    "left": [("v", "l", 0.2), ("v", "e", 0.35), ("f", 4000, 4000, 0.3), ("b", 4000, 0.15)],
    "right": [("v", "r", 0.25), ("g", "a", "i", 0.55), ("s", 0.1), ("b", 4000, 0.1)],
    "on": [("v", "o", 0.6), ("n", 0.4)],
    "off": [("v", "o", 0.55), ("f", 4000, 4000, 0.45)],
    "stop": [
        ("f", 6000, 2500, 0.3),
        ("b", 4000, 0.1),
        ("v", "o", 0.4),
        ("s", 0.1),
        ("b", 1200, 0.1),
    ],
    "go": [("b", 1800, 0.1), ("g", "o", "u", 0.65), ("t", 440, 0.25)],
}

KEYWORDS = tuple(_WORDS)


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    n_mels: int, freqs: np.ndarray, f_min: float = 20.0, f_max: float = 8000.0
) -> np.ndarray:
    """Triangular mel filters (n_freqs, n_mels) on the linear frequency grid ``freqs`` (Hz)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2))
    fb = np.zeros((freqs.size, n_mels))
    for m in range(n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        up = (freqs - lo) / (mid - lo)
        down = (hi - freqs) / (hi - mid)
        fb[:, m] = np.clip(np.minimum(up, down), 0.0, None)
    return fb / np.maximum(fb.sum(axis=0, keepdims=True), 1e-12)


def _formant_envelope(freqs, formants, bandwidths):
    env = np.zeros(np.broadcast_shapes(freqs.shape, formants[..., 0].shape))
    for k in range(formants.shape[-1]):
        env = env + 1.0 / (1.0 + ((freqs - formants[..., k]) / bandwidths[k]) ** 2) * 0.6**k
    return env


def _keyword_spectrogram(word, rng, freqs, n_frames, frame_s, difficulty, babble=None):
    """Power spectrogram (n_frames, n_freqs) of one sample of ``word``."""
    n_freqs = freqs.size
    spec = np.zeros((n_frames, n_freqs))
    f0 = rng.uniform(90.0, 250.0)  # pitch of the speaker
    tract = rng.uniform(0.85, 1.15)  # vocal-tract length factor on formants
    length = rng.uniform(0.45, 0.85)  # seconds
    onset = rng.uniform(0.0, n_frames * frame_s - length)
    shares = np.array([seg[-1] for seg in word]) * rng.uniform(
        1 - 0.3 * difficulty, 1 + 0.3 * difficulty, len(word)
    )
    bounds = onset + length * np.concatenate(([0.0], np.cumsum(shares) / shares.sum()))
    t = (np.arange(n_frames) + 0.5) * frame_s
    harmonics = f0 * np.arange(1, int(8000 / f0) + 1)
    line_width = 25.0 + 0.05 * f0
    comb = np.exp(-0.5 * ((freqs[:, None] - harmonics[None, :]) / line_width) ** 2).sum(axis=1)
    tilt = (1.0 + freqs / 500.0) ** -1.2  # glottal spectral tilt
    bandwidths = (90.0, 110.0, 160.0)
    for i, seg in enumerate(word):
        inside = (t >= bounds[i]) & (t < bounds[i + 1])
        if not inside.any():
            continue
        frac = (t[inside] - bounds[i]) / max(bounds[i + 1] - bounds[i], 1e-9)
        amp = rng.uniform(0.7, 1.3)
        kind = seg[0]
        if kind in ("v", "g"):
            a = np.array(_VOWELS[seg[1]], dtype=np.float64)
            b = np.array(_VOWELS[seg[2] if kind == "g" else seg[1]], dtype=np.float64)
            jitter = rng.normal(1.0, 0.04 * difficulty, 3)
            formants = (a[None, :] + (b - a)[None, :] * frac[:, None]) * tract * jitter
            env = _formant_envelope(freqs[None, :], formants[:, None, :], bandwidths)
            spec[inside] += amp * comb[None, :] * tilt[None, :] * env
        elif kind == "n":
            env = _formant_envelope(
                freqs, np.array([250.0 * tract, 2200.0 * tract]), (100.0, 300.0)
            )
            spec[inside] += 0.5 * amp * comb * tilt * env
        elif kind == "f":
            centre, width = seg[1] * rng.uniform(0.9, 1.1), seg[2]
            band = np.exp(-0.5 * ((freqs - centre) / (width / 2)) ** 2)
            noise = rng.exponential(1.0, (int(inside.sum()), n_freqs))
            spec[inside] += 0.05 * amp * band[None, :] * noise
        elif kind == "b":
            first = np.flatnonzero(inside)[0]
            band = np.exp(-0.5 * ((freqs - seg[1] * rng.uniform(0.85, 1.15)) / 1500.0) ** 2)
            spec[first] += 0.15 * amp * band * rng.exponential(1.0, n_freqs)
        elif kind == "t":
            hz = seg[1] * rng.uniform(0.9, 1.1)
            spec[inside] += 0.3 * amp * np.exp(-0.5 * ((freqs - hz) / 30.0) ** 2)[None, :]
        # "s": a closure, nothing
    loudness = 10.0 ** (rng.uniform(-6.0, 6.0) / 10.0)
    snr_db = rng.uniform(25.0 - 30.0 * difficulty, 25.0 - 10.0 * difficulty)
    signal_power = spec.mean() * loudness
    noise_shape = (1.0 + freqs / 1000.0) ** -1.0  # pinkish background
    background = rng.exponential(1.0, spec.shape) * noise_shape[None, :]
    background *= signal_power / noise_shape.mean() * 10.0 ** (-snr_db / 10.0)
    spec = spec * loudness + background
    if babble is not None and rng.random() < 0.6 * difficulty:
        # another word in the background, 4-14 dB below this one
        other = _keyword_spectrogram(babble, rng, freqs, n_frames, frame_s, difficulty)
        level = 10.0 ** (-rng.uniform(4.0, 14.0) / 10.0)
        spec = spec + other * level * signal_power / max(other.mean(), 1e-12)
    return spec


def keywords(
    n_train: int = 3000,
    n_test: int = 1000,
    seed: int = 0,
    *,
    n_mels: int = 40,
    n_frames: int = 32,
    difficulty: float = 1.0,
) -> Dataset:
    """The synthetic keyword-spotting-like dataset (see the module docstring): ten "words",
    log-mel spectrograms of ``n_frames`` frames x ``n_mels`` bands (default 32 x 40 = 1,280
    features), flattened frame-major, in decibels mapped to 0..1 (-50 dB .. 0 dB relative to
    the spectral level of a word at 0 dB loudness, which covers the data from its noise floor up;
    clipped).

    Args:
        n_train, n_test: samples per split, classes drawn uniformly (balanced per split).
        seed: the whole dataset follows from it (train and test use separate streams).
        n_mels, n_frames: spectrogram size (frames of 1 s / n_frames).
        difficulty: scales timing and formant jitter and the background noise (0 = clean).
    """
    n_train = rules.integer(n_train, "n_train", 1)
    n_test = rules.integer(n_test, "n_test", 1)
    n_mels = rules.integer(n_mels, "n_mels", 2)
    n_frames = rules.integer(n_frames, "n_frames", 2)
    if not 0 <= difficulty <= 1.5:
        raise ValueError(f"difficulty: {difficulty} must lie in 0..1.5")
    freqs = np.linspace(0.0, 8000.0, 201)
    fb = mel_filterbank(n_mels, freqs)
    frame_s = 1.0 / n_frames
    words = [_WORDS[w] for w in KEYWORDS]
    splits = []
    for stream, n in ((1, n_train), (2, n_test)):
        rng = np.random.default_rng([seed, 0x6B7773, stream])
        labels = np.arange(n) % len(words)
        labels = labels[rng.permutation(n)]
        x = np.empty((n, n_frames, n_mels), dtype=np.float32)
        for i, label in enumerate(labels):
            babble = words[rng.integers(len(words))]
            power = _keyword_spectrogram(
                words[label], rng, freqs, n_frames, frame_s, difficulty, babble
            )
            mel = power @ fb  # amplitudes are built on a unit scale: 0 dB is their level
            db = 10.0 * np.log10(mel + 1e-12)
            x[i] = np.clip((db + 50.0) / 50.0, 0.0, 1.0)
        splits.append((x.reshape(n, -1), labels.astype(np.int64)))
    (x_tr, y_tr), (x_te, y_te) = splits
    return Dataset(
        "keywords",
        x_tr,
        y_tr,
        x_te,
        y_te,
        KEYWORDS,
        (n_frames, n_mels),
        "synthetic keyword-spotting-like log-mel spectrograms (generated, not speech): "
        "ten formant/tone sequences with pitch, timing, loudness and noise variation",
    )


def load(name: str, **options) -> Dataset:
    """``digits`` or ``keywords`` with their options."""
    makers: dict[str, Callable[..., Dataset]] = {"digits": digits, "keywords": keywords}
    if name not in makers:
        raise ValueError(f"dataset: unknown name {name!r}; allowed: {', '.join(makers)}")
    return makers[name](**options)


__all__ = ["Dataset", "digits", "keywords", "load", "mel_filterbank", "KEYWORDS"]
