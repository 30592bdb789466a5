"""Surrogate models of a simulated chip, fitted from its detailed simulation: per-column gain and
offset with noise ("column"), the same with a per-column soft clip and output-dependent noise
("column_nonlinear"); saving and loading them (JSON/YAML); exporting mock parameters in the
reference software's form and as analog-tile IO terms in aihwkit's vocabulary.

A column surrogate computes, per input tile ``c`` (128 inputs, one half of the chip) and output
column ``j`` on half ``h``::

    u    = gain[h, j] * num_sends * (x_c . W_c[:, j]) + offset[h, j]
    u    = soft_clip(u; limit_hi[h, j], limit_lo[h, j], sharpness)       (column_nonlinear only)
    s    = sqrt(noise_std[h, j]^2 + noise_slope * |u|)                   (noise_slope = 0 for column)
    y_c  = clamp(floor(u + s * N(0, 1)), -128, 127)
    y    = clamp(sum_c y_c, -128, 127)

with ``soft_clip(u) = u / (1 + (u / L)^k)^(1/k)`` (``L`` = ``limit_hi`` for u > 0, ``limit_lo``
for u < 0, ``k`` = ``sharpness``). Tiles map to halves exactly as :func:`chipsim.tiling.plan`
runs them on the chip. No surrogate models the timing: ``wait_between_events`` is accepted and
ignored, so dynamic saturation (short waits, dense inputs) and drift (long waits) are outside
them; ``chipsim validate-model`` measures where that matters.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hwdesc import rules
from hwdesc.rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS

from . import mock as _mock

KINDS = ("column", "column_nonlinear")

#: Outputs up to this magnitude are used for the gain/offset fit (inside the linear range).
FIT_LINEAR_LIMIT = 70.0
#: Sharpness values tried for the soft clip.
SHARPNESS_GRID = (2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


def soft_clip(
    u: np.ndarray, limit_hi: np.ndarray, limit_lo: np.ndarray, sharpness: float
) -> np.ndarray:
    """``u / (1 + (u/L)^k)^(1/k)`` with ``L = limit_hi`` for ``u >= 0`` and ``limit_lo`` below."""
    u = np.asarray(u, dtype=np.float64)
    limit = np.where(u >= 0, limit_hi, limit_lo)
    return u / (1.0 + np.abs(u / limit) ** sharpness) ** (1.0 / sharpness)


@dataclass(frozen=True, eq=False)
class ColumnSurrogate:
    """Per-column surrogate of one chip (arrays of shape ``(halves, columns)``).

    Attributes:
        kind: ``"column"`` (gain, offset, noise) or ``"column_nonlinear"`` (plus soft clip and
            output-dependent noise).
        gain: ADC steps per unit of ``x . w`` and send.
        offset: output at zero product (ADC steps; includes +0.5 against the floor).
        noise_std: output noise per tile at zero output (ADC steps).
        limit_hi, limit_lo: soft-clip limits (positive magnitudes; ``inf`` for ``column``).
        sharpness: exponent ``k`` of the soft clip.
        noise_slope: added noise variance per ADC step of ``|u|`` (0 for ``column``).
        tile_inputs: inputs per tile (128 on BrainScaleS-2).
        info: where the fit came from (chip, calibration, seed, operating point, data size).
    """

    kind: str
    gain: np.ndarray
    offset: np.ndarray
    noise_std: np.ndarray
    limit_hi: np.ndarray
    limit_lo: np.ndarray
    sharpness: float = 8.0
    noise_slope: float = 0.0
    tile_inputs: int = _mock.TILE_INPUTS
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"ColumnSurrogate.kind: {self.kind!r} is not one of {', '.join(KINDS)}"
            )
        shape = np.shape(self.gain)
        if len(shape) != 2:
            raise ValueError(f"ColumnSurrogate.gain: expected shape (halves, columns), got {shape}")
        for name in ("gain", "offset", "noise_std", "limit_hi", "limit_lo"):
            arr = np.array(getattr(self, name), dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(
                    f"ColumnSurrogate.{name}: shape {arr.shape} differs from gain's {shape}"
                )
            if name in ("gain", "offset", "noise_std") and not np.isfinite(arr).all():
                index = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
                raise ValueError(f"ColumnSurrogate.{name}{list(index)}: {arr[index]} is not finite")
            if name in ("noise_std", "limit_hi", "limit_lo") and (
                np.isnan(arr).any() or (arr < 0).any()
            ):
                raise ValueError(f"ColumnSurrogate.{name}: values must be >= 0 (limits may be inf)")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if not self.sharpness > 0:
            raise ValueError(f"ColumnSurrogate.sharpness: {self.sharpness} must be > 0")
        if not self.noise_slope >= 0:
            raise ValueError(f"ColumnSurrogate.noise_slope: {self.noise_slope} must be >= 0")

    @property
    def halves(self) -> int:
        return self.gain.shape[0]

    @property
    def columns(self) -> int:
        return self.gain.shape[1]

    # ---- the model ---------------------------------------------------------------------------
    def _tiles(self, x: np.ndarray, w: np.ndarray, num_sends: int):
        """(u, s) per tile: the noise-free analog value and the noise std, each (n, M) per tile."""
        from ..tiling import plan

        k_total, m_total = w.shape
        for run in plan(k_total, m_total, (self.tile_inputs, self.columns), self.halves):
            for h, t in enumerate(run):
                cols = slice(0, t.m1 - t.m0)
                p = (x[:, t.k0 : t.k1] @ w[t.k0 : t.k1, t.m0 : t.m1]).astype(np.float64)
                u = self.gain[h, cols] * num_sends * p + self.offset[h, cols]
                if self.kind == "column_nonlinear":
                    u = soft_clip(u, self.limit_hi[h, cols], self.limit_lo[h, cols], self.sharpness)
                s = np.sqrt(self.noise_std[h, cols] ** 2 + self.noise_slope * np.abs(u))
                yield t, u, s

    def matmul(
        self,
        x,
        w,
        num_sends: int = DEFAULT_NUM_SENDS,
        wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
        noise_seed: int | None = None,
    ) -> np.ndarray:
        """``x @ w`` through the surrogate (same conventions and errors as :func:`chipsim.models.mock.matmul`;
        ``wait_between_events`` is accepted and ignored). Returns int32 (batch..., M)."""
        x_arr, w_arr, num_sends, noise_seed = _mock.check_operands(
            x, w, num_sends, wait_between_events, noise_seed
        )
        batch = x_arr.shape[:-1]
        flat = x_arr.reshape(-1, x_arr.shape[-1])
        rng = np.random.default_rng(noise_seed)
        lo, hi = _mock.OUTPUT_RANGE
        total = np.zeros((flat.shape[0], w_arr.shape[1]), dtype=np.int64)
        for t, u, s in self._tiles(flat, w_arr, num_sends):
            y = np.floor(u + s * rng.standard_normal(u.shape))
            total[:, t.m0 : t.m1] += np.clip(y, lo, hi).astype(np.int64)
        return np.clip(total, lo, hi).astype(np.int32).reshape(batch + (w_arr.shape[1],))

    __call__ = matmul

    def expected(self, x, w, num_sends: int = DEFAULT_NUM_SENDS) -> tuple[np.ndarray, np.ndarray]:
        """Expected output and its noise std (float arrays (batch..., M)), without drawing noise.

        ``E[floor(u + s z)]`` is taken as ``u - 1/2`` (exact on average for ``s`` of an ADC step
        or more), clipped per tile; the std adds the tiles' variances and the floor's 1/12."""
        x_arr, w_arr, num_sends, _ = _mock.check_operands(
            x, w, num_sends, DEFAULT_WAIT_BETWEEN_EVENTS
        )
        batch = x_arr.shape[:-1]
        flat = x_arr.reshape(-1, x_arr.shape[-1])
        lo, hi = _mock.OUTPUT_RANGE
        mean = np.zeros((flat.shape[0], w_arr.shape[1]))
        var = np.zeros_like(mean)
        for t, u, s in self._tiles(flat, w_arr, num_sends):
            mean[:, t.m0 : t.m1] += np.clip(u - 0.5, lo, hi)
            var[:, t.m0 : t.m1] += s**2 + 1.0 / 12.0
        shape = batch + (w_arr.shape[1],)
        return np.clip(mean, lo, hi).reshape(shape), np.sqrt(var).reshape(shape)

    # ---- summaries and exports ----------------------------------------------------------------
    def mock_parameter(self) -> _mock.MockParameter:
        """The closest global mock: median gain and median noise over all columns."""
        return _mock.MockParameter(
            gain=float(np.median(self.gain)), noise_std=float(np.median(self.noise_std))
        )

    def to_dict(self) -> dict:
        d = {
            "format": "chipsim-surrogate",
            "version": 1,
            "kind": self.kind,
            "model": "per tile: y = clamp(floor(soft_clip(gain*num_sends*(x.w) + offset) + "
            "sqrt(noise_std^2 + noise_slope*|u|)*N(0,1)), -128, 127); sum of tiles clamped",
            "tile_inputs": int(self.tile_inputs),
            "sharpness": float(self.sharpness),
            "noise_slope": float(self.noise_slope),
            "info": self.info,
        }
        for name in ("gain", "offset", "noise_std", "limit_hi", "limit_lo"):
            arr = getattr(self, name)
            d[name] = [[_finite_or_none(v) for v in row] for row in arr.tolist()]
        return d

    @classmethod
    def from_dict(cls, data: dict) -> ColumnSurrogate:
        if data.get("format") != "chipsim-surrogate":
            raise ValueError("not a chipsim surrogate (missing 'format: chipsim-surrogate')")
        if data.get("version") != 1:
            raise ValueError(
                f"surrogate version {data.get('version')!r} is not supported (expected 1)"
            )
        arrays = {}
        for name in ("gain", "offset", "noise_std", "limit_hi", "limit_lo"):
            if name not in data:
                raise ValueError(f"surrogate: missing key {name!r}")
            arrays[name] = np.array(
                [[math.inf if v is None else v for v in row] for row in data[name]],
                dtype=np.float64,
            )
        return cls(
            kind=data["kind"],
            sharpness=float(data["sharpness"]),
            noise_slope=float(data["noise_slope"]),
            tile_inputs=int(data["tile_inputs"]),
            info=dict(data.get("info") or {}),
            **arrays,
        )

    def save(self, path: str | Path) -> Path:
        """Write to ``.json``, ``.yaml`` or ``.yml`` (chosen by the suffix)."""
        return _write(Path(path), self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> ColumnSurrogate:
        return cls.from_dict(_read(Path(path)))


def _finite_or_none(v: float):
    return None if not math.isfinite(v) else float(v)


def _write(path: Path, data: dict) -> Path:
    suffix = path.suffix.lower()
    if suffix == ".json":
        path.write_text(json.dumps(data, indent=1) + "\n")
    elif suffix in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(data, sort_keys=False, width=100))
    else:
        raise ValueError(f"{path}: unknown file type {suffix!r}; use .json, .yaml or .yml")
    return path


def _read(path: Path) -> dict:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    suffix = path.suffix.lower()
    text = path.read_text()
    if suffix == ".json":
        return json.loads(text)
    if suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    raise ValueError(f"{path}: unknown file type {suffix!r}; use .json, .yaml or .yml")


# ---- mock parameters: save, load, export ---------------------------------------------------------


def save_mock_parameter(
    parameter: _mock.MockParameter, path: str | Path, info: dict | None = None
) -> Path:
    """Save a mock parameter (JSON or YAML by suffix) with its provenance ``info``."""
    return _write(
        Path(path),
        {
            "format": "chipsim-mock-parameter",
            "version": 1,
            **parameter.to_dict(),
            "info": info or {},
        },
    )


def load_mock_parameter(path: str | Path) -> _mock.MockParameter:
    data = _read(Path(path))
    if data.get("format") != "chipsim-mock-parameter":
        raise ValueError(
            f"{path}: not a chipsim mock parameter file (missing 'format: chipsim-mock-parameter')"
        )
    return _mock.MockParameter(gain=data["gain"], noise_std=data["noise_std"])


def reference_form(parameter: _mock.MockParameter) -> str:
    """The parameter as the reference software's Python front end builds it (one line to paste)."""
    return f"hxtorch.MockParameter(noise_std={parameter.noise_std:.6g}, gain={parameter.gain:.6g})"


def aihwkit_io_terms(
    parameter: _mock.MockParameter,
    surrogate: ColumnSurrogate | None = None,
    *,
    out_res_bits: int = 8,
) -> dict:
    """The mock (and, if given, a column surrogate's spread) as analog-tile IO terms in aihwkit's
    vocabulary. APPROXIMATE: aihwkit adds its output noise once per matrix-vector product on
    normalized values and quantizes symmetrically, while the chip adds noise per 128-input tile,
    floors, and has neither a per-tile gain nor a soft clip in that form.

    Normalization as in aihwkit: inputs by their bound (activation 31 = 1), weights by their
    maximum (63 = 1); one normalized output unit is then ``gain * 31 * 63`` ADC steps. Keys:
    ``out_noise`` (output noise std, normalized), ``out_bound`` (where the int8 range or, with a
    ``column_nonlinear`` surrogate, the median soft-clip limit is reached, normalized),
    ``out_res`` (ADC resolution as 1/steps, aihwkit's convention for ``out_res_bits``),
    ``inp_res`` (5-bit unsigned inputs: 1/31), ``out_noise_std`` (aihwkit's term for the
    relative spread of the noise strength across outputs), and ``fixed_pattern_out_noise``
    (relative std of the per-column gain: a static per-output scale error, which aihwkit would
    express through weight programming noise rather than an IO term). ``*_steps`` keys give the
    same in ADC steps."""
    unit = (
        parameter.gain * _mock.INPUT_RANGE[1] * _mock.WEIGHT_RANGE[1]
    )  # ADC steps per normalized unit
    bound_steps = float(-_mock.OUTPUT_RANGE[0])  # 128 steps
    terms = {
        "approximate": True,
        "note": "inputs normalized by 31, weights by 63; chip noise is added per 128-input tile "
        "and floored, aihwkit adds one Gaussian per output on normalized values",
        "normalized_unit_steps": unit,
        "out_noise": parameter.noise_std / unit,
        "out_noise_steps": parameter.noise_std,
        "out_bound": bound_steps / unit,
        "out_bound_steps": bound_steps,
        "out_res": 1.0 / (2**out_res_bits - 2),
        "inp_bound": 1.0,
        "inp_res": 1.0 / _mock.INPUT_RANGE[1],
        "out_noise_std": 0.0,
        "fixed_pattern_out_noise": 0.0,
    }
    if surrogate is not None:
        g = surrogate.gain
        terms["fixed_pattern_out_noise"] = float(np.std(g) / np.mean(g))
        terms["fixed_pattern_out_offset_steps"] = float(np.std(surrogate.offset))
        ns = surrogate.noise_std
        terms["out_noise_std"] = float(np.std(ns) / np.mean(ns)) if np.mean(ns) > 0 else 0.0
        if surrogate.kind == "column_nonlinear":
            lim = np.concatenate([surrogate.limit_hi.ravel(), surrogate.limit_lo.ravel()])
            lim = lim[np.isfinite(lim)]
            if lim.size:
                terms["out_bound_steps"] = float(np.median(lim))
                terms["out_bound"] = float(np.median(lim)) / unit
    return terms


# ---- fitting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitData:
    """Detailed-simulation data a surrogate is fitted to (one tile per half, two noise runs).

    ``ideal`` (n, H, M) is ``num_sends * (x . w)`` per half; ``y1``, ``y2`` (n, H, M) two runs of
    the same vectors with independent noise; ``sends`` (n,) the num_sends of each row."""

    ideal: np.ndarray
    y1: np.ndarray
    y2: np.ndarray
    sends: np.ndarray
    wait_between_events: int
    tile_inputs: int = _mock.TILE_INPUTS


def fit_data(
    chip,
    *,
    num_vectors: int = 128,
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    seed: int = 0,
    clip_sends: int = 3,
) -> FitData:
    """Simulate the fit data on ``chip``.

    ``num_vectors`` random vectors (input density 5-100 %, activations 1..31) against random
    weights (normal, std 12, mean +-24 with a random sign per column: every column gets the same
    weight statistics, so that per-column differences are the chip's fixed pattern; each vector
    also runs with the negated weights, so that every column sees both signs) on every half, at
    ``num_sends=1``; plus a quarter as many dense vectors (density 50-100 %) at
    ``num_sends=clip_sends``, whose outputs reach the rails (for the soft clip). Every vector
    runs twice with independent noise. Activations and weights are clipped to the chip's
    ``formats`` (1..31 and -63..63 on BrainScaleS-2)."""
    num_vectors = rules.integer(num_vectors, "num_vectors", 1)
    wait_between_events = rules.wait_between_events(wait_between_events)
    seed = rules.seed(seed, "seed")
    clip_sends = rules.integer(clip_sends, "clip_sends", 1)
    k, m = chip.tile_shape
    halves = chip.description.geometry.halves
    fin, fw = chip.description.formats.input, chip.description.formats.weight
    rng = np.random.default_rng([seed, 0x666974])
    mu = 24.0 * rng.choice([-1.0, 1.0], size=halves * m)
    w = np.clip(
        np.rint(mu[None, :] + 12.0 * rng.standard_normal((k, halves * m))), fw.min, fw.max
    ).astype(np.int64)
    noise_seeds = iter(np.random.default_rng([seed, 0x6E7365]).integers(0, 2**62, size=8).tolist())
    parts = []
    for n_vec, lo, sends in (
        (-(-num_vectors // 2), 0.05, 1),
        (max(-(-num_vectors // 8), 1), 0.5, clip_sends),
    ):
        density = rng.uniform(lo, 1.0, size=(n_vec, 1))
        x = np.where(
            rng.random((n_vec, k)) < density, rng.integers(1, fin.max + 1, size=(n_vec, k)), 0
        )
        runs = []
        for _ in range(2):
            # K = k, M = halves * m puts output tile h on half h
            ys = [
                chip.matmul(
                    x,
                    sw,
                    num_sends=sends,
                    wait_between_events=wait_between_events,
                    noise_seed=next(noise_seeds),
                )
                for sw in (w, -w)
            ]
            runs.append(np.concatenate(ys).reshape(-1, halves, m).astype(np.float64))
        ideal = np.concatenate([x @ w, x @ -w]).reshape(-1, halves, m).astype(np.float64) * sends
        parts.append((ideal, runs[0], runs[1], np.full(ideal.shape[0], sends)))
    ideal, first, second, sends_per_row = (np.concatenate(a) for a in zip(*parts))
    return FitData(
        ideal, first, second, sends_per_row, wait_between_events=wait_between_events, tile_inputs=k
    )


def _linear_fit(p: np.ndarray, y: np.ndarray, use: np.ndarray):
    """Per-column least squares y = g p + o over the points in ``use`` (arrays (n, H, M))."""
    wgt = use.astype(np.float64)
    n = np.maximum(wgt.sum(0), 1.0)
    mp = (wgt * p).sum(0) / n
    my = (wgt * y).sum(0) / n
    cov = (wgt * (p - mp) * (y - my)).sum(0)
    var = (wgt * (p - mp) ** 2).sum(0)
    g = np.where(var > 0, cov / np.where(var > 0, var, 1.0), 0.0)
    return g, my - g * mp


def fit(data: FitData, kind: str = "column_nonlinear", info: dict | None = None) -> ColumnSurrogate:
    """Fit a :class:`ColumnSurrogate` of ``kind`` to simulated data (see :func:`fit_data`).

    Gain and offset: per-column least squares of ``mean output + 1/2`` against the product over
    outputs within +-70 (the linear range). Noise: from the two independent runs,
    ``var(y1 - y2) / 2 - 1/12`` (the floor adds the 1/12 back). ``column_nonlinear`` adds, per
    column, the soft-clip limits that best fit the outputs beyond the linear range (one global
    sharpness from a grid), and a global noise variance slope per ADC step of output."""
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    mean = 0.5 * (data.y1 + data.y2)
    diff_var = 0.5 * (data.y1 - data.y2) ** 2  # unbiased per-point estimate of the noise variance
    single = (data.sends == 1)[:, None, None]
    linear = single & (np.abs(mean) <= FIT_LINEAR_LIMIT)
    gain, offset = _linear_fit(data.ideal, mean + 0.5, linear)  # ideal = x.w at one send
    info = dict(info or {})
    info.update(
        wait_between_events=data.wait_between_events,
        vectors=int(data.ideal.shape[0]),
        num_sends=sorted({int(v) for v in data.sends}),
    )
    inf = np.full_like(gain, np.inf)
    unclipped = single & (np.abs(mean) < 120)
    if kind == "column":
        var = (diff_var * unclipped).sum(0) / np.maximum(unclipped.sum(0), 1)
        noise = np.sqrt(np.maximum(var - 1 / 12, 0.0))
        return ColumnSurrogate(
            kind, gain, offset, noise, inf, inf, tile_inputs=data.tile_inputs, info=info
        )

    u_lin = gain * data.ideal + offset
    target = mean + 0.5
    best = None
    for k in SHARPNESS_GRID:
        lim_hi = _fit_limit(u_lin, target, k, positive=True)
        lim_lo = _fit_limit(u_lin, target, k, positive=False)
        err = float(np.mean((soft_clip(u_lin, lim_hi, lim_lo, k) - target) ** 2))
        if best is None or err < best[0]:
            best = (err, k, lim_hi, lim_lo)
    assert best is not None  # SHARPNESS_GRID is not empty
    _, k, lim_hi, lim_lo = best
    u = soft_clip(u_lin, lim_hi, lim_lo, k)
    # noise variance = s0^2 + slope * |u|  (global slope, per-column s0), from unclipped outputs
    keep = np.broadcast_to(unclipped, u.shape).ravel()
    a = np.abs(u).ravel()[keep]
    v = (diff_var - 1 / 12).ravel()[keep]
    slope = 0.0
    if a.size > 2 and np.ptp(a) > 0:
        slope = max(float(np.polyfit(a, v, 1)[0]), 0.0)
    cnt = np.maximum(unclipped.sum(0), 1)
    s0_sq = ((diff_var - 1 / 12 - slope * np.abs(u)) * unclipped).sum(0) / cnt
    noise = np.sqrt(np.maximum(s0_sq, 0.0))
    info["sharpness_grid"] = list(SHARPNESS_GRID)
    return ColumnSurrogate(
        kind,
        gain,
        offset,
        noise,
        lim_hi,
        lim_lo,
        sharpness=k,
        noise_slope=slope,
        tile_inputs=data.tile_inputs,
        info=info,
    )


_LIMIT_GRID = np.concatenate([np.arange(60.0, 160.0, 1.0), np.arange(160.0, 400.0, 10.0)])


def _fit_limit(u: np.ndarray, target: np.ndarray, k: float, positive: bool) -> np.ndarray:
    """Per-column limit L (grid search) of the soft clip on one side; columns without data on
    that side beyond 90 steps get the median of the others (or inf when none has data)."""
    side = (u > 0) if positive else (u < 0)
    au = np.where(side, np.abs(u), 0.0)
    at = np.where(side, np.abs(target), 0.0)
    informative = (side & (np.abs(u) > 90)).sum(0) >= 3
    errs = np.empty((_LIMIT_GRID.size,) + u.shape[1:])
    for i, lim in enumerate(_LIMIT_GRID):
        pred = au / (1.0 + (au / lim) ** k) ** (1.0 / k)
        errs[i] = ((pred - at) ** 2 * side).sum(0)
    lim = _LIMIT_GRID[np.argmin(errs, axis=0)]
    if informative.any():
        fill = float(np.median(lim[informative]))
        return np.where(informative, lim, fill)
    return np.full(u.shape[1:], np.inf)


def fit_chip(
    chip,
    kind: str = "column_nonlinear",
    *,
    num_vectors: int = 128,
    seed: int = 0,
    data: FitData | None = None,
) -> ColumnSurrogate:
    """Simulate fit data on ``chip`` (unless ``data`` is given) and fit a surrogate of ``kind``."""
    if data is None:
        data = fit_data(chip, num_vectors=num_vectors, seed=seed)
    info = {"chip": chip.name, "calibration": chip.calibration, "seed": chip.seed, "fit_seed": seed}
    return fit(data, kind, info=info)


__all__ = [
    "KINDS",
    "ColumnSurrogate",
    "FitData",
    "fit_data",
    "fit",
    "fit_chip",
    "soft_clip",
    "save_mock_parameter",
    "load_mock_parameter",
    "reference_form",
    "aihwkit_io_terms",
]
