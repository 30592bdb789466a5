"""Characterization of a simulated chip, as in the study it grew from: output noise against the
five factors (wait between events, num_sends, number of inputs, weight magnitude, OTA gain), the
transfer curve per neuron (linear range, compression, clipping), gain against the wait for
dense and sparse inputs (dynamic saturation), and the default against the custom calibration.

Every experiment is a plain function of a :class:`chipsim.Chip` returning numbers (dicts of
lists), so that tests can assert on them; :func:`figures` draws them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hwdesc.rules import DEFAULT_WAIT_BETWEEN_EVENTS

from ..models import mock as _mock

#: Charge unit of the reference measurement: activation 16 x weight 21.
UNIT_ACT, UNIT_WEIGHT = 16, 21

NOISE_WAITS = (2, 5, 10, 25)
NOISE_SENDS = (1, 2, 4)
NOISE_INPUTS = (8, 16, 32, 64, 128)
NOISE_WEIGHTS = (5, 10, 21, 42, 63)
NOISE_OTA_CODES = (150, 300, 450, 600)
GAIN_WAITS = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 25)
#: Outputs within this magnitude must stay linear within LINEAR_TOLERANCE (model.md section 10).
LINEAR_LIMIT = 80
LINEAR_TOLERANCE = 2.0


def with_knob(chip, knob: str, value, profile_name: str | None = None):
    """The same chip instance (seed) under its calibration with one knob changed (e.g. the OTA
    bias code ``i_synin_gm``); the value must lie in the knob's allowed range."""
    from ..chip import Chip

    desc = chip.description
    spec = desc.knobs.get(knob)
    if spec is None:
        raise ValueError(f"chip {chip.name!r} has no knob {knob!r}; knobs: {', '.join(desc.knobs)}")
    allowed = getattr(spec, "allowed", None)
    if (
        allowed is not None
        and isinstance(value, (int, np.integer))
        and not allowed[0] <= value <= allowed[1]
    ):
        raise ValueError(f"{knob}: {value} is outside the allowed range {allowed[0]}..{allowed[1]}")
    result = chip.calibration_result
    if result is not None:  # a calibrated chip: calibrated again for the changed target (cached)
        from ..calibration import calibrate

        if knob not in type(result.target).fields():
            raise ValueError(
                f"{knob}: not a field of the calibration target of this calibrated chip; "
                f"fields: {', '.join(type(result.target).fields())}"
            )
        target = result.target.with_overrides(**{knob: value})
        return Chip(desc, calibration=calibrate(desc, target, seed=chip.seed), seed=chip.seed)
    base = desc.profile(chip.calibration)
    name = profile_name or f"{chip.calibration}+{knob}={value}"
    prof = base.model_copy(
        update={
            "knobs": {**base.knobs, knob: value},
            "description": f"{base.description}; {knob} = {value}",
        }
    )
    new_desc = desc.model_copy(update={"calibration": {**desc.calibration, name: prof}})
    return Chip(new_desc, calibration=name, seed=chip.seed)


def _columns(chip) -> int:
    return chip.tile_shape[1]


# ---- noise against the five factors ----------------------------------------------------------


def _noise_point(
    chip,
    n_inputs: int,
    weight: int,
    wait: int,
    sends: int,
    repeats: int,
    seed: int,
    activation: int = 8,
):
    """Temporal noise of one configuration: one input vector (``n_inputs`` active rows at
    ``activation``) repeated ``repeats`` times; weights ``+weight`` on even rows and ``-weight``
    on odd rows, so the outputs stay near 0 and no compression masks the noise. Returns
    (median over columns of the std over repeats, mean output)."""
    k, m = chip.tile_shape
    x = np.zeros((repeats, k), dtype=np.int64)
    x[:, :n_inputs] = activation
    w = np.where(np.arange(k)[:, None] % 2 == 0, weight, -weight) * np.ones((1, m), dtype=np.int64)
    y = chip.matmul(x, w, num_sends=sends, wait_between_events=wait, noise_seed=seed).astype(
        np.float64
    )
    return float(np.median(y.std(axis=0, ddof=1))), float(y.mean())


def noise_factors(
    chip,
    *,
    repeats: int = 48,
    seed: int = 0,
    waits=NOISE_WAITS,
    sends=NOISE_SENDS,
    inputs=NOISE_INPUTS,
    weights=NOISE_WEIGHTS,
    ota_codes=NOISE_OTA_CODES,
    base=(64, UNIT_WEIGHT, 5, 1),
    activation: int = 8,
) -> dict:
    """Output noise (ADC steps) against each factor, the others at ``base`` = (inputs, weight,
    wait, num_sends), activation ``activation`` on the active inputs, OTA bias at the chip's
    calibration. The small activation keeps the synaptic lines mostly below the OTA's linear
    range even at |w| 63, where saturation would otherwise compress the noise. Returns
    ``{factor: {"values": [...], "noise": [...], "mean_output": [...]}}``."""
    k = chip.tile_shape[0]
    n0, w0, wait0, s0 = base
    n0 = min(n0, k)
    inputs = sorted({min(int(v), k) for v in inputs})
    out: dict[str, Any] = {}

    def sweep(name, values, make):
        rows = [make(v) for v in values]
        out[name] = {
            "values": list(values),
            "noise": [r[0] for r in rows],
            "mean_output": [r[1] for r in rows],
        }

    a = activation
    sweep(
        "wait_between_events", waits, lambda v: _noise_point(chip, n0, w0, v, s0, repeats, seed, a)
    )
    sweep("num_sends", sends, lambda v: _noise_point(chip, n0, w0, wait0, v, repeats, seed, a))
    sweep("inputs", inputs, lambda v: _noise_point(chip, v, w0, wait0, s0, repeats, seed, a))
    sweep(
        "weight_magnitude",
        weights,
        lambda v: _noise_point(chip, n0, v, wait0, s0, repeats, seed, a),
    )
    if "i_synin_gm" in chip.description.knobs and ota_codes:
        sweep(
            "ota_bias_code",
            ota_codes,
            lambda v: _noise_point(
                with_knob(chip, "i_synin_gm", int(v)), n0, w0, wait0, s0, repeats, seed, a
            ),
        )
    return out


# ---- transfer curve per neuron ---------------------------------------------------------------


def transfer_curves(
    chip, *, step: int = 4, sends=(1, 2), noise: bool = False, repeats: int = 1, seed: int = 0
) -> dict:
    """Output against the ideal product per neuron: ``n`` rows active at activation 16 with
    weight +21 (and, separately, -21) in every column, ``n`` = 0..128 in steps of ``step``;
    with ``num_sends=2`` (same event rate, twice the charge) for products beyond one send's
    reach. Temporal noise off by default (the deterministic curve, fixed pattern included);
    with ``noise=True`` every point is the mean of ``repeats`` noisy runs.

    Per neuron and sign (the excitatory and the inhibitory path have gains of their own,
    model.md section 4): the gain of a line fitted to the outputs of that sign within +-60
    (``gain_exc``, ``gain_inh``; ``gain`` is their mean), the deviation of every point from its
    sign's line (``deviation``), the largest |output| up to which every point stays within +-2
    of it (``linear_to_hi``, ``linear_to_lo``), and the extreme outputs."""
    k, m = chip.tile_shape
    rows = []
    for s in sends:
        lo = 0 if s == sends[0] else (k * sends[0]) // s + step
        for n in range(lo, k + 1, step):
            rows.append((n, s))
    ideal: Any = []  # per sign and sends, then one array
    outputs: list = []
    for sign in (1, -1):
        for s in sorted(set(r[1] for r in rows)):
            ns = [n for n, ss in rows if ss == s]
            x = np.zeros((len(ns), k), dtype=np.int64)
            for i, n in enumerate(ns):
                x[i, :n] = UNIT_ACT
            w = np.full((k, m), sign * UNIT_WEIGHT, dtype=np.int64)
            reps = repeats if noise else 1
            res = chip.run(
                np.repeat(x, reps, axis=0),
                w,
                num_sends=s,
                wait_between_events=DEFAULT_WAIT_BETWEEN_EVENTS,
                noise=noise,
                noise_seed=seed,
            )
            outputs.append(res.outputs.astype(np.float64).reshape(len(ns), reps, m).mean(axis=1))
            ideal.append(sign * s * np.array(ns, dtype=np.float64) * UNIT_ACT * UNIT_WEIGHT)
    ideal = np.concatenate(ideal)
    y = np.concatenate(outputs)  # (points, m)
    order = np.argsort(ideal)
    ideal, y = ideal[order], y[order]
    fit = np.abs(y) <= 60
    gains, offsets, linear_to_hi, linear_to_lo, max_dev80 = [], [], [], [], []
    gains_exc, gains_inh, devs = [], [], []
    for c in range(m):
        dev = np.empty(ideal.shape)
        per_sign = []
        for side in (ideal >= 0, ideal <= 0):
            sel = fit[:, c] & side
            g, o = np.polyfit(ideal[sel], y[sel, c], 1)
            dev[side] = y[side, c] - (g * ideal[side] + o)
            per_sign.append((g, o))
        (g_e, o_e), (g_i, o_i) = per_sign
        gains_exc.append(g_e)
        gains_inh.append(g_i)
        gains.append(0.5 * (g_e + g_i))
        offsets.append(0.5 * (o_e + o_i))
        devs.append(dev.tolist())
        linear_to_hi.append(_linear_extent(ideal, y[:, c], dev, +1))
        linear_to_lo.append(_linear_extent(ideal, y[:, c], dev, -1))
        within = np.abs(y[:, c]) <= LINEAR_LIMIT
        max_dev80.append(float(np.max(np.abs(dev[within]))))
    return {
        "ideal": ideal.tolist(),
        "outputs": y.T.tolist(),
        "gain": gains,
        "offset": offsets,
        "gain_exc": gains_exc,
        "gain_inh": gains_inh,
        "deviation": devs,
        "linear_to_hi": linear_to_hi,
        "linear_to_lo": linear_to_lo,
        "max_abs_output": np.max(np.abs(y), axis=0).tolist(),
        "max_output": np.max(y, axis=0).tolist(),
        "min_output": np.min(y, axis=0).tolist(),
        "max_deviation_within_80": max_dev80,
    }


def _linear_extent(ideal, y, dev, sign) -> float:
    """|output| of the last point on the ``sign`` side before the first deviation beyond the
    tolerance (walking out from 0)."""
    idx = np.flatnonzero(np.sign(ideal) == sign) if sign > 0 else np.flatnonzero(ideal < 0)[::-1]
    last = 0.0
    for i in idx:
        if abs(dev[i]) > LINEAR_TOLERANCE:
            break
        last = abs(float(y[i]))
    return last


# ---- gain against the wait -------------------------------------------------------------------


def gain_vs_wait(
    chip,
    *,
    waits=GAIN_WAITS,
    dense: int = 128,
    sparse: int = 10,
    noise: bool = False,
    seed: int = 0,
) -> dict:
    """Gain (mean over columns of output / (n x 16 x 21)) against ``wait_between_events`` for
    ``dense`` and ``sparse`` same-sign inputs (temporal noise off by default)."""
    k, m = chip.tile_shape
    dense, sparse = min(dense, k), min(sparse, k)
    out: dict[str, Any] = {"waits": list(waits)}
    for label, n in (("dense", dense), ("sparse", sparse)):
        x = np.zeros((1, k), dtype=np.int64)
        x[0, :n] = UNIT_ACT
        w = np.full((k, m), UNIT_WEIGHT, dtype=np.int64)
        gains = []
        for wait in waits:
            y = chip.run(x, w, wait_between_events=wait, noise=noise, noise_seed=seed).outputs[0]
            gains.append(float(np.mean(y)) / (n * UNIT_ACT * UNIT_WEIGHT))
        out[label] = gains
    out["dense_inputs"], out["sparse_inputs"] = dense, sparse
    return out


def gain_vs_events(
    chip, *, events=tuple(range(4, 129, 4)), wait: int = DEFAULT_WAIT_BETWEEN_EVENTS, seed: int = 0
) -> dict:
    """Gain (mean over columns, which smooths the ADC rounding of small outputs) against the
    number of same-sign events (16 x 21 each) at ``wait``, temporal noise off: where dynamic
    saturation sets in."""
    k, m = chip.tile_shape
    events = tuple(n for n in events if n <= k) or (k,)
    x = np.zeros((len(events), k), dtype=np.int64)
    for i, n in enumerate(events):
        x[i, :n] = UNIT_ACT
    y = chip.run(
        x, np.full((k, m), UNIT_WEIGHT), wait_between_events=wait, noise=False, noise_seed=seed
    ).outputs
    gains = np.mean(y, axis=1) / (np.asarray(events) * UNIT_ACT * UNIT_WEIGHT)
    return {"events": list(events), "gain": gains.tolist(), "wait_between_events": wait}


def saturation_onset(events, gains, reference_gain, drop: float = 0.05, after: int = 0):
    """First number of events beyond ``after`` whose gain lies more than ``drop`` below
    ``reference_gain`` (``None`` if none does)."""
    for n, g in zip(events, gains):
        if n > after and g < (1 - drop) * reference_gain:
            return int(n)
    return None


# ---- calibration profiles --------------------------------------------------------------------


def sparse_noise(
    chip, *, events: int = 10, repeats: int = 100, seed: int = 0
) -> tuple[float, float]:
    """Gain and noise for ``events`` same-sign events (16 x 21) at wait 5: (median gain over
    columns of the mean output, median over columns of the std over repeats)."""
    k, m = chip.tile_shape
    events = min(events, k)
    x = np.zeros((repeats, k), dtype=np.int64)
    x[:, :events] = UNIT_ACT
    y = chip.matmul(x, np.full((k, m), UNIT_WEIGHT), noise_seed=seed).astype(np.float64)
    gain = float(np.median(y.mean(axis=0))) / (events * UNIT_ACT * UNIT_WEIGHT)
    return gain, float(np.median(y.std(axis=0, ddof=1)))


def compare_calibrations(chip, profiles=("default", "custom"), *, seed: int = 0) -> dict:
    """Per profile: the measured mock parameters (reference procedure), gain and noise of 10
    sparse events, the dense (128-event) gain at wait 5, and the saturation onset (events beyond
    12 at which the gain falls 5 % below the 12-event gain). An entry of ``profiles`` is the name
    of a profile of the chip (others are skipped) or a :class:`~chipsim.Chip` (a calibrated one:
    keyed by its ``calibration``, its knobs are its target's fields)."""
    from ..chip import Chip

    out: dict[str, Any] = {}
    for entry in profiles:
        if isinstance(entry, Chip):
            c, name = entry, entry.calibration
        elif entry in chip.description.calibration:
            c, name = chip.with_calibration(entry), entry
        else:
            continue
        par = _mock.measure_mock_parameter(c, seed=seed)
        g10, noise10 = sparse_noise(c, seed=seed)
        ev = gain_vs_events(c, seed=seed)
        ref_n = 12 if 12 in ev["events"] else ev["events"][0]
        ref = ev["gain"][ev["events"].index(ref_n)]
        out[name] = {
            "mock_gain": par.gain,
            "mock_noise_std": par.noise_std,
            "sparse_gain": g10,
            "sparse_noise": noise10,
            "dense_gain": ev["gain"][-1],
            "saturation_onset_events": saturation_onset(ev["events"], ev["gain"], ref, after=ref_n),
            "gain_vs_events": ev,
            "knobs": _knobs_of(c),
        }
    return out


def _knobs_of(chip) -> dict[str, Any]:
    """The knob values a chip's calibration sets: its profile's, or its calibration target's
    fields (JSON values; times in seconds)."""
    if chip.calibration_result is not None:
        fields = chip.calibration_result.target.to_dict()
        fields.pop("kind")
        return fields
    return dict(chip.description.profile(chip.calibration).knobs.items())


# ---- drift: the output with no charge against the read time --------------------------------

#: Waits of the drift panel: with DRIFT_INPUTS zero-weight events they set the read time.
DRIFT_WAITS = (2, 5, 10, 15, 20, 25)
DRIFT_INPUTS = 128
DRIFT_REPEATS = 16
#: Waits whose drift the summary reports.
DRIFT_REPORT_WAITS = (5, 25)


def drift_vs_read_time(
    chip,
    *,
    waits=DRIFT_WAITS,
    inputs: int = DRIFT_INPUTS,
    repeats: int = DRIFT_REPEATS,
    activation: int = 1,
    seed: int = 0,
) -> dict:
    """The output of a vector that moves no charge, against the read time: ``inputs`` rows
    active at ``activation`` with every weight 0. The events lengthen the event phase as real
    ones would (the read time is set by the number of events and the wait), but no synaptic
    current flows, so the output (read minus baseline, LSB) is the drift of the membrane
    between the baseline read and the read (model.md sections 5 and 8: offset current, leak,
    and whatever else moves the membrane without input).

    Per wait: ``read_time`` (s since the reset before the events phase; the baseline read is at
    ``baseline_time`` after its own reset); with temporal noise off, the deterministic output
    per column (``fixed_per_column``; ADC-rounded, so a drift below half an LSB reads as the
    rounding of each column's ADC offset), its mean over columns (``fixed_mean``) and std over
    columns (``fixed_spread``); with noise on, ``repeats`` repeats of the vector: the per-column
    mean over repeats (``per_column``; the noise dithers the ADC rounding, so this resolves a
    fraction of an LSB), its mean (``mean``) and std over columns (``spread``), and the
    standard error of ``mean`` from the repeats (``mean_stderr``). ``spread`` includes the
    temporal noise left in a mean of ``repeats`` (``spread_noise_floor``: the RMS over columns of
    the standard error of the per-column mean); ``spread_excess`` is the spread beyond it
    (sqrt(spread^2 - floor^2), 0 when the floor explains it all)."""
    k, m = chip.tile_shape
    n = min(int(inputs), k)
    x = np.zeros((repeats, k), dtype=np.int64)
    x[:, :n] = activation
    w = np.zeros((k, m), dtype=np.int64)
    out: dict[str, Any] = {
        "waits": list(waits),
        "inputs": n,
        "repeats": repeats,
        "read_time": [],
        "fixed_per_column": [],
        "fixed_mean": [],
        "fixed_spread": [],
        "per_column": [],
        "mean": [],
        "spread": [],
        "mean_stderr": [],
        "spread_noise_floor": [],
        "spread_excess": [],
    }
    for wait in waits:
        quiet = chip.run(x[:1], w, wait_between_events=wait, noise=False, noise_seed=seed)
        fixed = quiet.outputs[0].astype(np.float64)
        y = chip.run(x, w, wait_between_events=wait, noise_seed=seed).outputs.astype(np.float64)
        per_col = y.mean(axis=0)
        sched = quiet.events.schedule
        out["read_time"].append(float(sched.t_read[0]))
        out["baseline_time"] = float(sched.t_baseline)
        out["fixed_per_column"].append(fixed.tolist())
        out["fixed_mean"].append(float(fixed.mean()))
        out["fixed_spread"].append(float(fixed.std()))
        out["per_column"].append(per_col.tolist())
        out["mean"].append(float(per_col.mean()))
        out["spread"].append(float(per_col.std()))
        out["mean_stderr"].append(float(y.mean(axis=1).std(ddof=1) / np.sqrt(repeats)))
        floor = float(np.sqrt(np.mean(y.var(axis=0, ddof=1)) / repeats))
        out["spread_noise_floor"].append(floor)
        out["spread_excess"].append(float(np.sqrt(max(per_col.std() ** 2 - floor**2, 0.0))))
    return out


# ---- spectrum of the membrane noise -----------------------------------------------------------

SPECTRUM_WAIT = 25
SPECTRUM_VECTORS = 8
SPECTRUM_COLUMNS = 32
#: The band of the slope fit (Hz); its lower edge is raised to three frequency bins of the
#: recorded window if the window is too short to resolve it.
SPECTRUM_BAND = (100e3, 10e6)


def _loglog_slope(f, p, band) -> float:
    """Least-squares slope of log10 p against log10 f over ``band``, each decade weighted
    equally (weight 1/f per bin of a linear frequency grid)."""
    sel = (f >= band[0]) & (f <= band[1]) & (p > 0)
    if sel.sum() < 3:
        return float("nan")
    slope = np.polyfit(np.log10(f[sel]), np.log10(p[sel]), 1, w=f[sel] ** -0.5)[0]
    return float(slope)


def noise_spectrum(
    chip,
    *,
    wait: int = SPECTRUM_WAIT,
    inputs: int = DRIFT_INPUTS,
    vectors: int = SPECTRUM_VECTORS,
    columns: int = SPECTRUM_COLUMNS,
    band=SPECTRUM_BAND,
    seed: int = 0,
) -> dict:
    """One-sided PSD of the simulated membrane noise, from the recorded membrane waveform.

    The window: ``inputs`` zero-weight events at ``wait`` (no charge, as in
    :func:`drift_vs_read_time`; they only stretch the integration window), all temporal noise
    on, ``vectors`` vectors, ``columns`` columns spread over the tile. The membrane voltage is
    recorded every ``dt`` over the stepped part of the window (from the first event to the
    read). The membrane integrates its input current, C_m dV/dt = I, so the spectrum of V is
    that of the current divided by (2 pi f C_m)^2: white current noise gives a 1/f^2 voltage
    spectrum, and the current's own shape is seen directly in C_m dV/dt. Both are estimated
    with Welch's method (``matplotlib.mlab.psd``, Hann window, one segment per recording of
    the whole window, detrended: mean for the current, linear for the voltage) and averaged
    over every recorded (vector, column). The slopes are fitted in log-log over ``band``, whose
    lower edge is raised to 3 frequency bins if the window cannot resolve it.

    Returns frequencies (Hz), ``psd_current`` (A^2/Hz), ``psd_voltage`` (V^2/Hz), the fitted
    ``slope_current`` and ``slope_voltage`` (the latter close to ``slope_current - 2``), the
    ``band`` used, the window length and the current PSD at the frequency bin nearest 1 MHz."""
    from matplotlib import mlab

    k, m = chip.tile_shape
    n = min(int(inputs), k)
    x = np.zeros((vectors, k), dtype=np.int64)
    x[:, :n] = 1
    cols = np.unique(np.linspace(0, m - 1, min(int(columns), m)).round().astype(np.int64))
    res = chip.run(
        x,
        np.zeros((k, m), dtype=np.int64),
        wait_between_events=wait,
        noise_seed=seed,
        record_vectors=np.arange(vectors),
        record_columns=cols,
    )
    dt = float(chip.description.analog.dt)
    c_m = float(chip.knobs.c_m)
    assert res.traces is not None
    volts = []
    for tr in res.traces:
        v = np.asarray(tr.v_mem, dtype=np.float64)
        t = np.asarray(tr.time, dtype=np.float64)
        # the last point is the read; it ends a shorter step when the read is off the grid
        stop = t.size if np.isclose(t[-1] - t[-2], dt, rtol=1e-6, atol=0.0) else t.size - 1
        start = int(np.argmax(np.all(np.isfinite(v), axis=0)))
        volts.append(v[:, start:stop])
    length = min(s.shape[1] for s in volts)
    v_all = np.concatenate([s[:, -length:] for s in volts])  # (series, samples), end at the read
    fs = 1.0 / dt
    current = c_m * np.diff(v_all, axis=1) / dt
    nfft_i, nfft_v = current.shape[1], v_all.shape[1]
    p_i = np.zeros(nfft_i // 2 + 1)
    p_v = np.zeros(nfft_v // 2 + 1)
    f = fv = np.zeros(0)
    for i_series, v_series in zip(current, v_all):
        pi, f_i = mlab.psd(
            i_series, NFFT=nfft_i, Fs=fs, detrend="mean", window=mlab.window_hanning, noverlap=0
        )
        pv, f_v = mlab.psd(
            v_series, NFFT=nfft_v, Fs=fs, detrend="linear", window=mlab.window_hanning, noverlap=0
        )
        p_i += np.asarray(pi, dtype=np.float64).ravel()
        p_v += np.asarray(pv, dtype=np.float64).ravel()
        f, fv = np.asarray(f_i, dtype=np.float64), np.asarray(f_v, dtype=np.float64)
    p_i /= len(current)
    p_v /= len(v_all)
    # the voltage spectrum on the current's frequency grid
    p_v = np.interp(f, fv, p_v)
    lo = max(float(band[0]), 3.0 * fs / nfft_i)
    hi = min(float(band[1]), fs / 2)
    used = (lo, hi)
    i1 = int(np.argmin(np.abs(f - 1e6)))
    return {
        "wait": wait,
        "inputs": n,
        "vectors": vectors,
        "columns": cols.tolist(),
        "window": length * dt,
        "dt": dt,
        "c_m": c_m,
        "frequency": f[1:].tolist(),
        "psd_current": p_i[1:].tolist(),
        "psd_voltage": p_v[1:].tolist(),
        "band": list(used),
        "slope_current": _loglog_slope(f, p_i, used),
        "slope_voltage": _loglog_slope(f, p_v, used),
        "psd_current_1mhz": float(p_i[i1]),
        "frequency_1mhz_bin": float(f[i1]),
    }


# ---- imbalance of the excitatory and the inhibitory path --------------------------------------

IMBALANCE_INPUTS = 64
IMBALANCE_ACTIVATION = 8


def exc_inh_imbalance(
    chip,
    *,
    inputs: int = IMBALANCE_INPUTS,
    activation: int = IMBALANCE_ACTIVATION,
    weight: int = UNIT_WEIGHT,
    wait: int = DEFAULT_WAIT_BETWEEN_EVENTS,
    seed: int = 0,
) -> dict:
    """Gain of the excitatory and of the inhibitory path of every neuron, and the output error
    of a balanced signed mix, temporal noise off (the fixed pattern of this chip instance).

    One input pattern (``inputs`` rows at ``activation``, ``wait``) is run with four weight
    matrices on the first ``inputs`` rows: 0 (the drift), ``+weight`` (every event on the
    excitatory path), ``-weight`` (the inhibitory path) and alternating ``+weight`` / ``-weight``
    by row (a balanced mix: equal positive and negative nominal charge, ideal output 0). The
    events and the read time are the same in all four, so subtracting the zero-weight run
    removes the drift exactly. The membrane at the read is taken from the recorded waveform
    (continuous, before the ADC rounding): ``gain_exc = (V+ - V0) / Q`` and
    ``gain_inh = (V0 - V-) / Q`` per neuron (Q = inputs x activation x weight), in LSB per unit
    of x . w (the column's ADC slope); ``imbalance = (gain_exc - gain_inh) / mean`` with the
    mean of the two gains of that neuron. The balanced-mix error is ``(V_bal - V0)`` in LSB
    (``balanced_error``), and the same from the ADC outputs (``balanced_error_output``:
    output of the mix minus that of the zero-weight run, integers)."""
    k, m = chip.tile_shape
    n = min(int(inputs), k)
    x = np.zeros((1, k), dtype=np.int64)
    x[0, :n] = activation
    rows = np.arange(k)[:, None] < n
    sign = np.where(np.arange(k)[:, None] % 2 == 0, 1, -1)
    mats = {
        "zero": np.zeros((k, m), dtype=np.int64),
        "exc": np.where(rows, weight, 0) * np.ones((1, m), dtype=np.int64),
        "inh": np.where(rows, -weight, 0) * np.ones((1, m), dtype=np.int64),
        "balanced": np.where(rows, sign * weight, 0) * np.ones((1, m), dtype=np.int64),
    }
    v_read, outputs = {}, {}
    lsb = np.full(m, np.nan)
    for name, w in mats.items():
        res = chip.run(
            x,
            w,
            wait_between_events=wait,
            noise=False,
            noise_seed=seed,
            record_vectors=[0],
            record_columns=np.arange(m),
        )
        assert res.traces is not None
        v = np.full(m, np.nan)
        for tr in res.traces:
            cols = list(tr.columns)
            v[cols] = np.asarray(tr.v_mem, dtype=np.float64)[:, -1]
            # a one-tile product: column c is neuron c of the half the trace was taken on
            lsb[cols] = np.asarray(chip.pattern[tr.half].adc_lsb, dtype=np.float64)[cols]
        v_read[name] = v
        outputs[name] = res.outputs[0].astype(np.float64)
    q = float(n * activation * weight)
    g_exc = (v_read["exc"] - v_read["zero"]) / lsb / q
    g_inh = (v_read["zero"] - v_read["inh"]) / lsb / q
    mean = (g_exc + g_inh) / 2
    imbalance = (g_exc - g_inh) / mean
    bal = (v_read["balanced"] - v_read["zero"]) / lsb
    bal_out = outputs["balanced"] - outputs["zero"]
    return {
        "inputs": n,
        "activation": activation,
        "weight": weight,
        "wait": wait,
        "charge": q,
        "gain_exc": g_exc.tolist(),
        "gain_inh": g_inh.tolist(),
        "imbalance": imbalance.tolist(),
        "imbalance_mean": float(imbalance.mean()),
        "imbalance_std": float(imbalance.std()),
        "imbalance_max": float(np.max(np.abs(imbalance))),
        "balanced_error": bal.tolist(),
        "balanced_error_mean": float(bal.mean()),
        "balanced_error_std": float(bal.std()),
        "balanced_error_max": float(np.max(np.abs(bal))),
        "balanced_error_output": bal_out.tolist(),
        "balanced_error_output_std": float(bal_out.std()),
        "balanced_error_output_max": float(np.max(np.abs(bal_out))),
    }


# ---- figures ----------------------------------------------------------------------------------


def figures(results: dict, out_dir, chip_label: str) -> list:
    """Draw the figures into ``out_dir`` (three, and a fourth with the drift, the noise spectrum
    and the imbalance when ``results`` holds them); returns their paths."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    paths = []

    nf = results["noise_factors"]
    labels = {
        "wait_between_events": "wait between events (cycles)",
        "num_sends": "num_sends",
        "inputs": "active inputs (events)",
        "weight_magnitude": "weight magnitude |w|",
        "ota_bias_code": "OTA bias code i_synin_gm",
    }
    fig, axes = plt.subplots(1, len(nf), figsize=(3.1 * len(nf), 3.0), constrained_layout=True)
    for ax, (name, d) in zip(np.atleast_1d(axes), nf.items()):
        ax.plot(d["values"], d["noise"], "o-")
        ax.set_xlabel(labels.get(name, name), fontsize=8)
        ax.set_ylim(0, max(d["noise"]) * 1.2)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("output noise std (ADC steps)")
    fig.suptitle(
        f"{chip_label}: temporal output noise against the five factors "
        f"(base: 64 inputs at activation 8, |w| 21 alternating sign, wait 5, 1 send)",
        fontsize=9,
    )
    paths.append(out_dir / "noise_factors.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    tc = results["transfer"]
    ideal = np.asarray(tc["ideal"])
    y = np.asarray(tc["outputs"])
    g_med = float(np.median(tc["gain"]))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for c in range(y.shape[0]):
        a1.plot(ideal, y[c], color="0.6", lw=0.3, alpha=0.5)
    a1.plot(ideal, np.median(y, axis=0), color="C0", lw=2, label="median neuron")
    a1.plot(ideal, g_med * ideal, "k--", lw=1, label=f"linear, gain {g_med:.5f}")
    a1.axhspan(-LINEAR_LIMIT, LINEAR_LIMIT, color="C2", alpha=0.08, label="|output| <= 80")
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    a1.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    a1.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:g}k" if v else "0"))
    a1.set_xlabel("ideal product num_sends x (x . w)  (k = 1000)")
    a1.set_ylabel("output (ADC steps)")
    a1.legend(fontsize=7)
    a1.set_title("transfer curve per neuron (wait 5, 16 x +-21 per event)", fontsize=9)
    for c in range(y.shape[0]):
        a2.plot(y[c], tc["deviation"][c], color="0.5", lw=0.3, alpha=0.5)
    a2.axhline(LINEAR_TOLERANCE, color="C3", lw=1)
    a2.axhline(-LINEAR_TOLERANCE, color="C3", lw=1)
    a2.axvline(LINEAR_LIMIT, color="C2", lw=1)
    a2.axvline(-LINEAR_LIMIT, color="C2", lw=1)
    a2.set_ylim(-15, 15)
    a2.set_xlabel("output (ADC steps)")
    a2.set_ylabel("output - per-neuron, per-sign linear fit")
    a2.set_title("deviation from linear (+-2 band, |output| 80)", fontsize=9)
    paths.append(out_dir / "transfer_curve.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    for i, (prof, gw) in enumerate(results["gain_vs_wait"].items()):
        a1.plot(
            gw["waits"],
            gw["dense"],
            "o-",
            color=f"C{i}",
            label=f"{prof}: {gw['dense_inputs']} events",
        )
        a1.plot(
            gw["waits"],
            gw["sparse"],
            "s--",
            color=f"C{i}",
            alpha=0.7,
            label=f"{prof}: {gw['sparse_inputs']} events",
        )
    a1.set_xlabel("wait between events (FPGA cycles)")
    a1.set_ylabel("gain (output per unit of x . w)")
    a1.set_title("gain against the wait: dynamic saturation", fontsize=9)
    a1.legend(fontsize=7)
    a1.grid(alpha=0.3)
    for i, (prof, d) in enumerate(results["calibration"].items()):
        ev = d["gain_vs_events"]
        a2.plot(
            ev["events"],
            ev["gain"],
            "o-",
            ms=3,
            color=f"C{i}",
            label=f"{prof}: mock gain {d['mock_gain']:.5f}, noise {d['mock_noise_std']:.2f}; "
            f"onset {d['saturation_onset_events']} events",
        )
    a2.set_xlabel("same-sign events (16 x 21 each) at wait 5")
    a2.set_ylabel("gain")
    a2.set_title("default vs custom calibration", fontsize=9)
    a2.legend(fontsize=7)
    a2.grid(alpha=0.3)
    paths.append(out_dir / "gain_vs_wait.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    if all(key in results for key in ("drift", "noise_spectrum", "imbalance")):
        paths.append(drift_noise_imbalance_figure(results, out_dir, chip_label))
    return paths


def drift_noise_imbalance_figure(results: dict, out_dir, chip_label: str):
    """Draw the drift, the membrane noise spectrum and the exc/inh imbalance into
    ``out_dir/drift_spectrum_imbalance.png``; returns its path."""
    from pathlib import Path

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dr, sp, im = results["drift"], results["noise_spectrum"], results["imbalance"]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), constrained_layout=True)
    a = axes[0]
    t_us = np.asarray(dr["read_time"]) * 1e6
    a.errorbar(
        t_us,
        dr["mean"],
        yerr=dr["mean_stderr"],
        fmt="o-",
        color="C0",
        ms=4,
        label=f"mean, noise on ({dr['repeats']} repeats)",
    )
    a.plot(t_us, dr["fixed_mean"], "s--", color="C1", ms=4, label="mean, noise off")
    a.plot(t_us, dr["spread"], "^-", color="C2", ms=4, label="spread over neurons, noise on")
    a.plot(t_us, dr["spread_noise_floor"], ":", color="C2", label="  its noise floor")
    a.plot(t_us, dr["fixed_spread"], "v--", color="C3", ms=4, label="spread, noise off")
    for t, wait in zip(t_us, dr["waits"]):
        a.axvline(t, color="0.85", lw=0.5, zorder=0)
        a.text(
            t,
            1.01,
            f"wait {wait}",
            transform=a.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="0.3",
        )
    a.axhline(0, color="k", lw=0.5)
    a.set_xlabel("read time since the reset (us)")
    a.set_ylabel("output with no charge (LSB)")
    a.set_title(
        f"drift: {dr['inputs']} zero-weight events; baseline read at "
        f"{dr['baseline_time'] * 1e6:.3g} us",
        fontsize=9,
        pad=14,
    )
    a.legend(fontsize=6.5)
    a.grid(alpha=0.3)

    f = np.asarray(sp["frequency"])
    band = sp["band"]
    for ax, key, unit, slope, note in (
        (axes[1], "psd_current", "A^2/Hz", sp["slope_current"], "membrane current C_m dV/dt"),
        (
            axes[2],
            "psd_voltage",
            "V^2/Hz",
            sp["slope_voltage"],
            "membrane voltage (integrates the current: 1/f^2 more)",
        ),
    ):
        p = np.asarray(sp[key])
        ax.loglog(f, p, color="C0", lw=1)
        sel = (f >= band[0]) & (f <= band[1])
        if sel.any() and np.isfinite(slope):
            ref = p[sel][0] * (f[sel] / f[sel][0]) ** slope
            ax.loglog(
                f[sel],
                ref,
                "k--",
                lw=1,
                label=f"slope {slope:.2f} over {band[0] / 1e3:.0f} kHz - {band[1] / 1e6:.0f} MHz",
            )
        ax.axvspan(band[0], band[1], color="C2", alpha=0.06)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel(f"one-sided PSD ({unit})")
        ax.set_title(f"{note}", fontsize=8)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
    axes[1].text(
        0.02,
        0.02,
        f"no charge, wait {sp['wait']}: {sp['window'] * 1e6:.1f} us window, "
        f"{sp['vectors']} vectors x {len(sp['columns'])} neurons",
        transform=axes[1].transAxes,
        fontsize=6.5,
    )

    a = axes[3]
    imb = 100 * np.asarray(im["imbalance"])
    bal = np.asarray(im["balanced_error"])
    a.plot(imb, bal, ".", ms=3, alpha=0.6, color="C0")
    a.axhline(0, color="k", lw=0.5)
    a.axvline(0, color="k", lw=0.5)
    a.set_xlabel("(gain_exc - gain_inh) / mean, per neuron (%)")
    a.set_ylabel("balanced mix: output - drift (LSB, before the ADC)")
    a.set_title(
        f"exc/inh imbalance: std {100 * im['imbalance_std']:.2f} %, max "
        f"{100 * im['imbalance_max']:.2f} %; error std {im['balanced_error_std']:.2f} LSB",
        fontsize=8,
    )
    a.grid(alpha=0.3)
    fig.suptitle(f"{chip_label}: drift, membrane noise spectrum, exc/inh imbalance", fontsize=9)
    path = Path(out_dir) / "drift_spectrum_imbalance.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
