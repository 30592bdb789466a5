"""``chipsim characterize CHIP``: the study's figures for a chip (noise against the five
factors, transfer curve per neuron, gain against the wait, default vs custom calibration) and
the drift, the membrane noise spectrum and the exc/inh imbalance, as PNG figures plus the
numbers in JSON and CSV."""

from __future__ import annotations

import time
from typing import Any

from .cli import UsageError, int_at_least
from .options import add_calibration, add_chip, add_chip_seed, add_noise_seed, add_quiet, load_chip
from .output import add_out


def _csv_rows(results: dict):
    for factor, d in results["noise_factors"].items():
        for v, n, m in zip(d["values"], d["noise"], d["mean_output"]):
            yield ("noise", factor, v, n, m)
    for prof, gw in results["gain_vs_wait"].items():
        for label in ("dense", "sparse"):
            for wait, g in zip(gw["waits"], gw[label]):
                yield ("gain_vs_wait", f"{prof}/{label}", wait, g, "")
    for prof, d in results["calibration"].items():
        ev = d["gain_vs_events"]
        for n, g in zip(ev["events"], ev["gain"]):
            yield ("gain_vs_events", prof, n, g, "")
    tc = results["transfer"]
    for c, (g, hi, lo, dev) in enumerate(
        zip(tc["gain"], tc["linear_to_hi"], tc["linear_to_lo"], tc["max_deviation_within_80"])
    ):
        yield ("transfer_gain", f"neuron {c}", c, g, "")
        yield ("transfer_linear_to", f"neuron {c}", c, hi, lo)
        yield ("transfer_max_deviation_within_80", f"neuron {c}", c, dev, "")
    dr = results.get("drift")
    if dr is not None:
        for i, wait in enumerate(dr["waits"]):
            t = dr["read_time"][i]
            yield ("drift_mean", f"wait {wait}", t, dr["mean"][i], dr["mean_stderr"][i])
            yield ("drift_spread", f"wait {wait}", t, dr["spread"][i], dr["spread_noise_floor"][i])
            yield ("drift_fixed_mean", f"wait {wait}", t, dr["fixed_mean"][i], "")
            yield ("drift_fixed_spread", f"wait {wait}", t, dr["fixed_spread"][i], "")
    sp = results.get("noise_spectrum")
    if sp is not None:
        for f, pi, pv in zip(sp["frequency"], sp["psd_current"], sp["psd_voltage"]):
            yield ("psd_membrane_current", "A^2/Hz", f, pi, "")
            yield ("psd_membrane_voltage", "V^2/Hz", f, pv, "")
    im = results.get("imbalance")
    if im is not None:
        for c, (ge, gi, e) in enumerate(zip(im["gain_exc"], im["gain_inh"], im["balanced_error"])):
            yield ("gain_exc_inh", f"neuron {c}", c, ge, gi)
            yield ("balanced_error", f"neuron {c}", c, e, im["balanced_error_output"][c])


def _new_panels_summary(results: dict) -> dict:
    """The summary numbers of the drift, noise-spectrum and imbalance panels: the drift at the
    waits of ``DRIFT_REPORT_WAITS``, the spectral slopes and the imbalance spread."""
    from chipsim.studies import characterization as ch

    dr, sp, im = results["drift"], results["noise_spectrum"], results["imbalance"]
    drift = {}
    for wait in ch.DRIFT_REPORT_WAITS:
        if wait not in dr["waits"]:
            continue
        i = dr["waits"].index(wait)
        drift[f"wait {wait}"] = {
            "read_time_us": dr["read_time"][i] * 1e6,
            "mean": dr["mean"][i],
            "mean_stderr": dr["mean_stderr"][i],
            "spread": dr["spread"][i],
            "spread_noise_floor": dr["spread_noise_floor"][i],
            "spread_excess": dr["spread_excess"][i],
            "fixed_mean": dr["fixed_mean"][i],
            "fixed_spread": dr["fixed_spread"][i],
        }
    return {
        "drift": drift,
        "noise_spectrum": {
            "band_hz": sp["band"],
            "window_us": sp["window"] * 1e6,
            "slope_current": sp["slope_current"],
            "slope_voltage": sp["slope_voltage"],
            "psd_current_1mhz": sp["psd_current_1mhz"],
        },
        "imbalance": {
            "mean": im["imbalance_mean"],
            "std": im["imbalance_std"],
            "max": im["imbalance_max"],
            "balanced_error_std": im["balanced_error_std"],
            "balanced_error_max": im["balanced_error_max"],
            "balanced_error_output_std": im["balanced_error_output_std"],
            "balanced_error_output_max": im["balanced_error_output_max"],
        },
    }


def check_work(desc, repeats: int) -> None:
    """Refuse ``--repeats`` whose noise sweeps (the only part that grows with it) are beyond
    the limits, before any work."""
    from dataclasses import replace

    from chipsim import limits
    from chipsim.studies import characterization as ch

    k, m = desc.tile_shape
    points = [(w, 1) for w in ch.NOISE_WAITS] + [(5, s) for s in ch.NOISE_SENDS]
    points += [(5, 1)] * (len(ch.NOISE_INPUTS) + len(ch.NOISE_WEIGHTS) + len(ch.NOISE_OTA_CODES))
    fixed = [
        limits.estimate_run(
            desc,
            (ch.DRIFT_REPEATS, k),
            (k, m),
            wait_between_events=w,
            what="the characterization",
        )
        for w in ch.DRIFT_WAITS
    ]
    fixed.append(
        limits.estimate_run(
            desc,
            (ch.SPECTRUM_VECTORS, k),
            (k, m),
            wait_between_events=ch.SPECTRUM_WAIT,
            record_vectors=ch.SPECTRUM_VECTORS,
            record_columns=min(ch.SPECTRUM_COLUMNS, m),
            what="the characterization",
        )
    )
    est = limits.combine(
        [
            limits.estimate_run(
                desc,
                (repeats, k),
                (k, m),
                num_sends=s,
                wait_between_events=w,
                what="the characterization",
            )
            for w, s in points
        ]
        + fixed,
        "the characterization",
    )
    memory = dict(est.memory)
    memory["the noise sweeps' inputs and outputs"] = (
        repeats * (k + 2 * m) * 8,
        f"--repeats {repeats} x {k} inputs and {m} outputs",
        "lower --repeats",
    )
    try:
        replace(est, memory=memory).check()
    except limits.WorkLimitError as err:
        raise UsageError(f"--repeats {repeats}: {err}") from None


def run(args) -> int:
    import csv
    import json

    import numpy as np

    from chipsim.commands.compile_notice import compile_notice
    from chipsim.studies import characterization as ch

    t0 = time.perf_counter()
    chip = load_chip(args)
    check_work(chip.description, args.repeats)
    seed = args.noise_seed
    names = [p for p in ("default", "custom") if p in chip.description.calibration]
    if not names:
        raise UsageError(f"chip {chip.name!r} has neither a 'default' nor a 'custom' profile")
    # the chip's own calibration first, unless it is one of the two profiles
    profiles: list = [chip.with_calibration(p) for p in names]
    if chip.calibration not in names:
        profiles.insert(0, chip)
    timings = {}

    def step(name, fn):
        t = time.perf_counter()
        if not args.quiet:
            print(f"{name} ...", flush=True)
        with compile_notice(quiet=args.quiet, readout=chip.description.geometry.readout):
            value = fn()
        timings[name] = round(time.perf_counter() - t, 2)
        return value

    results = {
        "chip": {
            "name": chip.name,
            "calibration": chip.calibration,
            "seed": chip.seed,
            "noise_seed": seed,
        }
    }
    results["noise_factors"] = step(
        "noise against the five factors",
        lambda: ch.noise_factors(chip, repeats=args.repeats, seed=seed),
    )
    results["transfer"] = step("transfer curves", lambda: ch.transfer_curves(chip, seed=seed))
    results["gain_vs_wait"] = step(
        "gain against the wait",
        lambda: {c.calibration: ch.gain_vs_wait(c, seed=seed) for c in profiles},
    )
    results["calibration"] = step(
        "calibration profiles", lambda: ch.compare_calibrations(chip, profiles, seed=seed)
    )
    results["drift"] = step("drift", lambda: ch.drift_vs_read_time(chip, seed=seed))
    results["noise_spectrum"] = step(
        "membrane noise spectrum", lambda: ch.noise_spectrum(chip, seed=seed)
    )
    results["imbalance"] = step("exc/inh imbalance", lambda: ch.exc_inh_imbalance(chip, seed=seed))

    tc = results["transfer"]
    hi, lo = np.asarray(tc["linear_to_hi"]), np.asarray(tc["linear_to_lo"])
    dev80 = np.asarray(tc["max_deviation_within_80"])
    summary: dict[str, Any] = {
        "transfer_gain_median": float(np.median(tc["gain"])),
        "transfer_gain_spread": float(np.std(tc["gain"]) / np.mean(tc["gain"])),
        "linear_to_median": [float(np.median(lo)), float(np.median(hi))],
        "linear_to_5th_percentile": [float(np.percentile(lo, 5)), float(np.percentile(hi, 5))],
        "neurons_linear_within_2_to_80": float(np.mean(dev80 <= ch.LINEAR_TOLERANCE)),
        "saturation_median": [
            float(np.median(tc["min_output"])),
            float(np.median(tc["max_output"])),
        ],
        "neurons_clipped_at_output_max": float(
            np.mean(np.asarray(tc["max_output"]) >= chip.description.formats.output.max)
        ),
        "path_gain_imbalance_std": float(
            np.std(
                (np.asarray(tc["gain_exc"]) - np.asarray(tc["gain_inh"])) / np.asarray(tc["gain"])
            )
        ),
    }
    summary.update(_new_panels_summary(results))
    results["summary"] = summary
    with args.out.writing() as out:
        paths = step(
            "figures", lambda: ch.figures(results, out, f"{chip.name} (chip seed {chip.seed})")
        )
        results["timings_s"] = timings
        (out / "characterization.json").write_text(json.dumps(results, indent=1) + "\n")
        with open(out / "characterization.csv", "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["experiment", "series", "x", "value", "extra"])
            writer.writerows(_csv_rows(results))

    nf = results["noise_factors"]
    print(
        f"chip          {chip.name}, calibration {chip.calibration}, chip seed {chip.seed}; "
        f"noise seed {seed}"
    )
    print("noise (ADC steps, base: 64 inputs at activation 8, |w| 21 alternating, wait 5, 1 send):")
    for factor, d in nf.items():
        pairs = ", ".join(f"{v}: {n:.2f}" for v, n in zip(d["values"], d["noise"]))
        print(f"  {factor:<20} {pairs}")
    print(
        f"transfer      gain {summary['transfer_gain_median']:.5f} (spread "
        f"{100 * summary['transfer_gain_spread']:.1f} %), linear within +-2 up to "
        f"{summary['linear_to_median'][0]:.0f} / +{summary['linear_to_median'][1]:.0f} (median neuron), "
        f"{summary['linear_to_5th_percentile'][0]:.0f} / +{summary['linear_to_5th_percentile'][1]:.0f} "
        f"(5th percentile); {100 * summary['neurons_linear_within_2_to_80']:.0f} % of neurons linear "
        f"within +-{ch.LINEAR_TOLERANCE:g} for |output| <= {ch.LINEAR_LIMIT}; saturation at {summary['saturation_median'][0]:.0f} / "
        f"+{summary['saturation_median'][1]:.0f}"
    )
    for prof, gw in results["gain_vs_wait"].items():
        print(
            f"gain vs wait  {prof}: dense "
            + ", ".join(f"{w}: {g:.5f}" for w, g in zip(gw["waits"], gw["dense"]))
        )
    for prof, d in results["calibration"].items():
        print(
            f"calibration   {prof}: mock gain {d['mock_gain']:.5f}, noise_std {d['mock_noise_std']:.2f}; "
            f"10 events: gain {d['sparse_gain']:.5f}, noise {d['sparse_noise']:.2f}; {d['gain_vs_events']['events'][-1]} events: gain "
            f"{d['dense_gain']:.5f}; saturation onset {d['saturation_onset_events']} events"
        )
    for wait, d in summary["drift"].items():
        print(
            f"drift         {wait} (read at {d['read_time_us']:.1f} us): mean "
            f"{d['mean']:+.3f} +- {d['mean_stderr']:.3f} LSB (noise off {d['fixed_mean']:+.2f}), "
            f"spread over neurons {d['spread']:.3f} (noise floor {d['spread_noise_floor']:.3f}; "
            f"noise off {d['fixed_spread']:.2f})"
        )
    ns = summary["noise_spectrum"]
    print(
        f"noise PSD     membrane current slope {ns['slope_current']:.2f}, voltage slope "
        f"{ns['slope_voltage']:.2f} over {ns['band_hz'][0] / 1e3:.0f} kHz - "
        f"{ns['band_hz'][1] / 1e6:.0f} MHz ({ns['window_us']:.1f} us window); current PSD "
        f"{ns['psd_current_1mhz']:.3g} A^2/Hz at 1 MHz"
    )
    ib = summary["imbalance"]
    print(
        f"exc/inh       (gain_exc - gain_inh)/mean: std {100 * ib['std']:.2f} %, max "
        f"{100 * ib['max']:.2f} %; balanced mix error std {ib['balanced_error_std']:.3f} LSB, "
        f"max {ib['balanced_error_max']:.3f} LSB (ADC outputs: std "
        f"{ib['balanced_error_output_std']:.2f}, max {ib['balanced_error_output_max']:.0f})"
    )
    print(
        f"wall time     {time.perf_counter() - t0:.1f} s ("
        + ", ".join(f"{k} {v} s" for k, v in timings.items())
        + ")"
    )
    print(
        f"wrote         {args.out}/: characterization.json, characterization.csv, "
        + ", ".join(p.name for p in paths)
    )
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "characterize",
        help="the study's characterization figures for a chip (noise factors, transfer, saturation, "
        "drift, noise spectrum, exc/inh imbalance)",
        description="Characterize a simulated chip as the study did on hardware: output noise "
        "against wait between events, num_sends, number of inputs, weight magnitude and OTA gain; "
        "the transfer curve per neuron (linear range, compression, clipping); gain against the "
        "wait for dense and sparse inputs (dynamic saturation); and the default against the "
        "custom calibration (measured mock gain and noise, saturation onset); the drift of the "
        "output with no charge against the read time, the spectrum of the membrane noise, and "
        "the imbalance of the excitatory and inhibitory paths per neuron. Writes PNG "
        "figures, characterization.json and characterization.csv to OUT.",
    )
    add_chip(p)
    add_calibration(p)
    add_chip_seed(p)
    add_noise_seed(p, "the random inputs and the temporal noise")
    p.add_argument(
        "--repeats",
        type=int_at_least(2),
        default=48,
        help="repeats per noise measurement (default: %(default)s)",
    )
    add_out(p, "chipsim-characterization")
    add_quiet(p)
    p.set_defaults(func=run)
