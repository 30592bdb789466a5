"""``chipsim characterize``: the experiments' numbers and the command's files and errors."""

import json
from pathlib import Path

import numpy as np
import pytest

import chipsim
from chipsim.commands.cli import main
from chipsim.studies import characterization as ch

BSS2 = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml"
TUTORIAL = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml"


def test_with_knob_changes_one_knob_of_the_same_chip():
    chip = chipsim.load(BSS2, seed=3)
    low = ch.with_knob(chip, "i_synin_gm", 225)
    assert low.seed == 3 and low.knobs.gm == pytest.approx(chip.knobs.gm / 2)
    assert low.knobs.tau_syn == chip.knobs.tau_syn
    np.testing.assert_array_equal(low.pattern[0].syn_gain_exc, chip.pattern[0].syn_gain_exc)
    with pytest.raises(ValueError, match="allowed range 30..600"):
        ch.with_knob(chip, "i_synin_gm", 900)
    with pytest.raises(ValueError, match="no knob"):
        ch.with_knob(chip, "ota", 100)


def test_saturation_onset():
    assert ch.saturation_onset([4, 8, 12, 16], [1.0, 0.99, 0.96, 0.94], 1.0) == 16
    assert ch.saturation_onset([4, 8, 12], [0.9, 1.0, 1.0], 1.0, after=4) is None


@pytest.mark.slow
def test_characterize_command_writes_figures_and_numbers(tmp_path, capsys):
    assert (
        main(["characterize", str(BSS2), "--out", str(tmp_path), "--repeats", "8", "--quiet"]) == 0
    )
    text = capsys.readouterr().out
    assert "noise (ADC steps" in text and "calibration   custom" in text and "wall time" in text
    for name in (
        "noise_factors.png",
        "transfer_curve.png",
        "gain_vs_wait.png",
        "drift_spectrum_imbalance.png",
        "characterization.json",
        "characterization.csv",
    ):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "characterization.json").read_text())
    assert set(data["noise_factors"]) == {
        "wait_between_events",
        "num_sends",
        "inputs",
        "weight_magnitude",
        "ota_bias_code",
    }
    assert set(data["calibration"]) == {"default", "custom"}
    assert len(data["transfer"]["gain"]) == 256
    header = (tmp_path / "characterization.csv").read_text().splitlines()[0]
    assert header == "experiment,series,x,value,extra"
    summary = data["summary"]
    assert set(summary["drift"]) == {"wait 5", "wait 25"}
    for d in summary["drift"].values():
        assert all(np.isfinite(v) for v in d.values())
        assert d["spread"] >= 0 and d["fixed_spread"] >= 0 and d["spread_noise_floor"] > 0
    assert summary["drift"]["wait 25"]["read_time_us"] > summary["drift"]["wait 5"]["read_time_us"]
    ns = summary["noise_spectrum"]
    assert np.isfinite(ns["slope_current"]) and np.isfinite(ns["slope_voltage"])
    assert 0 < ns["band_hz"][0] < ns["band_hz"][1] and ns["psd_current_1mhz"] > 0
    assert 0 <= summary["imbalance"]["std"] <= summary["imbalance"]["max"]
    assert "drift         wait 25" in text and "noise PSD" in text and "exc/inh" in text


def test_characterize_errors(tmp_path, capsys):
    assert main(["characterize", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
    assert "missing.yaml" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["characterize", str(BSS2), "--repeats", "1"])
    assert "is out of range; allowed: >= 2" in capsys.readouterr().err


def test_other_chip_descriptions_still_load():
    import hwdesc

    chipsim.load(TUTORIAL)
    assert hwdesc.load(BSS2.with_name("bss2-synin.yaml")).geometry.readout == "synaptic_input"


# ---- drift, noise spectrum, exc/inh imbalance (tutorial chip: 8 x 8, fast) -------------------


def _tutorial(fixed_pattern=None, noise=None, seed=0):
    """The tutorial chip with some fixed-pattern or noise entries replaced (entries the
    description does not have are left out, so that the helpers hold across model versions)."""
    import hwdesc
    from chipsim.chip import Chip

    desc = hwdesc.load(TUTORIAL)
    update = {}
    for section, changes in (("fixed_pattern", fixed_pattern), ("noise", noise)):
        if changes:
            model = getattr(desc, section)
            known = {k: v for k, v in changes.items() if k in type(model).model_fields}
            update[section] = model.model_copy(update=known)
    return Chip(desc.model_copy(update=update), seed=seed)


def _only_ota_noise():
    """Every temporal noise source of the tutorial chip off but the OTA's white current noise."""
    import hwdesc

    changes = {}
    for name, value in hwdesc.load(TUTORIAL).noise:
        if name == "ota_current_psd_per_gm":
            continue
        if isinstance(value, (int, float)):
            changes[name] = 0.0
        elif hasattr(value, "psd_at_1MHz"):  # 1/f noise
            changes[name] = value.model_copy(update={"psd_at_1MHz": 0.0})
    return changes


#: Fixed-pattern spreads that make a neuron's excitatory and inhibitory path differ.
PATH_SPREADS = {"synapse_current": 0.0, "gm": 0.0, "tau_syn": 0.0, "ota_offset": 0.0}


def _kernel_outputs(chip, x, w, wait, seed, noise):
    """The outputs of ``x @ w`` computed by calling the analog kernel directly on the event
    schedule of the same product (one tile, one half), with the same noise seed."""
    import kernels
    from chipsim import tiling

    k, m = chip.tile_shape
    res = chip.run(x, w, wait_between_events=wait, noise=noise, noise_seed=seed)
    (run,) = tiling.plan(k, m, chip.tile_shape, chip.description.geometry.halves)
    prepared = chip._prepare_run(run, np.asarray(w), seed, noise, 0)
    sched = res.events.schedule
    ev_ptr, ev_row, ev_act, ev_time = sched.half_csr(0)
    # noise carried from the baseline to the read window needs the gap between them
    gap = {"t_gap": sched.t_gap} if hasattr(sched, "t_gap") else {}
    out = kernels.run_half(
        prepared.params[0],
        ev_ptr,
        ev_row,
        ev_act,
        ev_time,
        t_read=sched.t_read,
        t_baseline=sched.t_baseline,
        sample_index=np.arange(x.shape[0]),
        **gap,
    )
    return out


def test_drift_equals_the_kernel_with_the_same_seed():
    # a large offset current so that the drift is several LSB and grows with the read time
    chip = _tutorial(fixed_pattern={"offset_current": 2e-8})
    k, m = chip.tile_shape
    d = ch.drift_vs_read_time(chip, waits=(2, 10, 25), repeats=6, seed=11)
    assert d["inputs"] == k and len(d["read_time"]) == 3
    assert np.all(np.diff(d["read_time"]) > 0)
    for key in ("mean", "spread", "fixed_mean", "fixed_spread", "spread_noise_floor"):
        assert np.all(np.isfinite(d[key]))
    assert min(d["spread"] + d["fixed_spread"] + d["spread_excess"]) >= 0
    assert d["fixed_spread"][-1] > 1  # the offset currents differ per neuron: a real spread
    x = np.zeros((6, k), dtype=np.int64)
    x[:, :k] = 1
    w = np.zeros((k, m), dtype=np.int64)
    for i, wait in enumerate(d["waits"]):
        quiet = _kernel_outputs(chip, x[:1], w, wait, 11, noise=False)
        np.testing.assert_array_equal(d["fixed_per_column"][i], quiet.output[0])
        noisy = _kernel_outputs(chip, x, w, wait, 11, noise=True)
        np.testing.assert_allclose(d["per_column"][i], noisy.output.mean(axis=0))
        # the drift the membrane makes between the baseline read and the read, in LSB
        analog = (quiet.v_read[0] - quiet.v_baseline[0]) / chip.pattern[0].adc_lsb
        assert abs(d["fixed_mean"][i] - analog.mean()) < 0.6
    # the same seed gives the same numbers
    assert ch.drift_vs_read_time(chip, waits=(2, 10, 25), repeats=6, seed=11) == d


def test_noise_spectrum_of_white_current_noise_is_flat_at_the_ota_psd():
    # only the OTA's white current noise: the membrane current PSD is S_I = psd_per_gm * g_m
    chip = _tutorial(noise=_only_ota_noise())
    sp = ch.noise_spectrum(chip, wait=100, vectors=4, columns=8, seed=3)
    p_i, p_v = np.asarray(sp["psd_current"]), np.asarray(sp["psd_voltage"])
    assert np.all(p_i > 0) and np.all(p_v > 0) and np.all(np.isfinite(p_i))
    pat = chip.pattern[0]
    gm = (pat.gm + getattr(pat, "gm_inh", pat.gm)) / 2  # the noise of both OTAs
    s_i = chip.description.noise.ota_current_psd_per_gm * np.mean(gm)
    assert np.mean(p_i) == pytest.approx(s_i, rel=0.1)
    assert abs(sp["slope_current"]) < 0.25
    assert sp["slope_voltage"] == pytest.approx(-2, abs=0.25)  # the membrane integrates it
    assert sp["band"][0] >= 3 / sp["window"] and sp["band"][1] <= 1 / (2 * sp["dt"])
    assert sp == ch.noise_spectrum(chip, wait=100, vectors=4, columns=8, seed=3)


def test_noise_spectrum_of_flicker_noise_falls_as_1_over_f():
    import hwdesc

    flicker = getattr(hwdesc.load(TUTORIAL).noise, "flicker", None)
    if flicker is None:
        pytest.skip("this model has no 1/f noise")
    noise = {**_only_ota_noise(), "ota_current_psd_per_gm": 0.0}
    noise["flicker"] = flicker.model_copy(update={"psd_at_1MHz": 1e-11})
    chip = _tutorial(noise=noise)
    # 8 events at wait 1000: a 64 us window, resolving from 47 kHz
    sp = ch.noise_spectrum(chip, wait=1000, vectors=4, columns=8, band=(30e3, 150e3))
    assert sp["band"][0] == pytest.approx(3 / sp["window"], rel=0.01)
    # 1/f up to the corner of the fastest component (1/(2 pi tau_min) = 160 kHz), then steeper
    assert -1.8 < sp["slope_current"] < -0.8
    f, p = np.asarray(sp["frequency"]), np.asarray(sp["psd_current"])
    pat = chip.pattern[0]
    expected = np.mean(pat.gm**2 + pat.gm_inh**2) * 1e-11 * 1e6 / f  # g_m^2 S_v(f), both OTAs
    band = (f >= sp["band"][0]) & (f <= sp["band"][1])
    assert 0.3 < np.median(p[band] / expected[band]) < 1.5


def test_noise_spectrum_with_every_source_is_positive_and_finite():
    sp = ch.noise_spectrum(_tutorial(), wait=100, vectors=2, columns=4)
    assert np.all(np.asarray(sp["psd_current"]) > 0) and np.isfinite(sp["slope_current"])
    assert np.isfinite(sp["slope_voltage"]) and sp["psd_current_1mhz"] > 0


def test_imbalance_is_zero_when_both_paths_are_equal():
    # without mismatch of synapses, OTAs and lines both paths of a neuron are equal
    equal = ch.exc_inh_imbalance(_tutorial(fixed_pattern=PATH_SPREADS))
    assert equal["imbalance_max"] < 1e-5
    assert np.allclose(equal["gain_exc"], equal["gain_inh"], rtol=1e-5)
    mismatch = ch.exc_inh_imbalance(_tutorial())
    assert mismatch["imbalance_std"] > 1e-3
    assert 0 <= mismatch["imbalance_std"] <= mismatch["imbalance_max"]
    assert np.all(np.asarray(mismatch["gain_exc"]) > 0)
    assert np.all(np.isfinite(mismatch["balanced_error"]))
    assert mismatch["balanced_error_max"] >= mismatch["balanced_error_std"] >= 0


def test_figure_of_the_new_panels(tmp_path):
    chip = _tutorial()
    results = {
        "drift": ch.drift_vs_read_time(chip, waits=(2, 25), repeats=3),
        "noise_spectrum": ch.noise_spectrum(chip, wait=100, vectors=2, columns=4),
        "imbalance": ch.exc_inh_imbalance(chip),
    }
    path = ch.drift_noise_imbalance_figure(results, tmp_path, "tutorial")
    assert path.name == "drift_spectrum_imbalance.png" and path.stat().st_size > 0
