"""The synaptic-input readout through the chip (``chips/bss2-synin.yaml``, model.md section 13):
its wiring against a closed form of the events the event simulator played, the tiling of 256
signed inputs x 128 outputs per half, traces, the description's checks and the CLI."""

import functools
import math
import sys
from pathlib import Path

import numpy as np
import pytest

import chipsim
import hwdesc

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"
sys.path.append(str(CHIPS.parents[1] / "tests"))
from reference.integrator import pulses  # noqa: E402
from reference.synin import closed_form_drop  # noqa: E402


@functools.cache
def _synin_text():
    return (CHIPS / "bss2-synin.yaml").read_text()


@functools.cache
def _flat_synin():
    """bss2-synin with no fixed pattern and an ideal ADC (both halves identical)."""
    text = _synin_text()
    for old, new in (
        ("fixed_pattern_scale: 1.0", "fixed_pattern_scale: 0"),
        ("spatial_gradient: 3 %", "spatial_gradient: 0 %"),
        ("    inl: 0.3 ", "    inl: 0 "),
        ("    dnl: 0.1 ", "    dnl: 0 "),
    ):
        assert old in text
        text = text.replace(old, new)
    return chipsim.Chip(hwdesc.loads(text), seed=0)


@functools.cache
def _synin():
    return chipsim.load("bss2-synin", seed=0)


def test_geometry_256_signed_inputs_by_128_outputs():
    chip = _synin()
    assert chip.tile_shape == (256, 128)
    with pytest.raises(ValueError, match="x"):
        chip.matmul(np.zeros((2, 300)), np.zeros((256, 4)))


def test_outputs_are_the_closed_form_of_the_played_events():
    """Noise off, no fixed pattern: each output is the difference of the CADC codes of two lines,
    line 2 j holding max(w, 0) and line 2 j + 1 max(-w, 0), each line the exact leaky integral of
    the rectangular pulses the event simulator played (times and activations from the traces),
    read against its baseline."""
    chip = _flat_synin()
    desc = chip.description
    rng = np.random.default_rng(3)
    k, m = 256, 6
    x = rng.integers(0, 32, (3, k))
    x[rng.random(x.shape) < 0.4] = 0
    w = rng.integers(-63, 64, (k, m))
    w[:, 0], w[:, 1] = np.abs(w[:, 0]), -np.abs(w[:, 1])  # one-sided: into the clip
    res = chip.run(x, w, noise=False, record_vectors=[0, 1, 2], record_columns=list(range(m)))
    a, syn = desc.analog, desc.analog.synin
    w_max = 63
    p = dict(
        i_lsb=chip.knobs.i_max / w_max,
        syn_gain=np.ones((k, 2 * m)),
        tau_line=np.full(2 * m, syn.tau_line),
        c_line=syn.c_line,
        i_line=np.zeros(2 * m),
    )
    for t in res.traces:
        ptr = np.array([0, t.event_rows.size])
        pl = pulses(
            ptr,
            t.event_rows,
            t.event_activations,
            t.event_times,
            np.zeros(k),
            np.zeros(k),
            a.pulse.t_lsb,
        )
        drop = closed_form_drop(pl, w, p, t.t_read)[0]
        code = np.clip(np.floor((syn.v_rest - drop - a.adc.v_lo) / a.adc.v_lsb + 0.5), 0, 255)
        base = np.floor((syn.v_rest - a.adc.v_lo) / a.adc.v_lsb + 0.5)
        expect = np.clip((base - code[0::2]) - (base - code[1::2]), -128, 127)
        np.testing.assert_array_equal(res.outputs[t.vector], expect)
        # the traces: the drops of the two lines of each output, ending at the closed form
        np.testing.assert_allclose(t.v_exc[:, -1], drop[0::2], atol=1e-12)
        np.testing.assert_allclose(t.v_inh[:, -1], drop[1::2], atol=1e-12)
        np.testing.assert_array_equal(t.code_read - t.code_baseline, res.outputs[t.vector])
    assert res.outputs[:, 0].min() > 40 and res.outputs[:, 1].max() < -40  # a real signal


@pytest.mark.parametrize("k, m, seed", [(300, 3, 1), (600, 2, 2), (513, 130, 3)])
def test_tiles_of_256_inputs_add_up_digitally(k, m, seed):
    """Noise off and both halves identical: a product over several 256-input tiles (and more than
    128 outputs) is the digital sum of its input tiles run one by one, clamped once."""
    chip = _flat_synin()
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 32, (3, k))
    x[rng.random(x.shape) < 0.5] = 0
    w = rng.integers(-63, 64, (k, m))
    full = chip.run(x, w, noise=False).outputs
    by_hand = sum(
        chip.run(x[:, k0 : k0 + 256], w[k0 : k0 + 256], noise=False).outputs.astype(np.int64)
        for k0 in range(0, k, 256)
    )
    np.testing.assert_array_equal(full, np.clip(by_hand, -128, 127))


def test_bss2_synin_gain_noise_and_reproducibility():
    """The shipped description: the gain is the line's I_lsb t_lsb / (C_line v_lsb) (0.00082,
    less the synapse spread and gradient), the noise about one code, the same seed the same
    outputs."""
    chip = _synin()
    desc = chip.description
    rng = np.random.default_rng(0)
    x = rng.integers(0, 32, (60, 256))
    x[rng.random(x.shape) < 0.5] = 0
    w = rng.integers(-63, 64, (256, 128))
    y = chip.matmul(x, w, noise_seed=1)
    np.testing.assert_array_equal(y, chip.matmul(x, w, noise_seed=1))
    ideal = (x @ w).astype(float)
    gain = float(np.sum(ideal * y) / np.sum(ideal * ideal))
    nominal = chip.knobs.i_max / 63 * desc.analog.pulse.t_lsb
    nominal /= desc.analog.synin.c_line * desc.analog.adc.v_lsb
    assert nominal == pytest.approx(0.00082, rel=0.01)
    assert 0.94 * nominal < gain < 1.0 * nominal  # the gradient (-1.5 % on average) and the leak
    x1 = np.repeat(x[:1], 200, axis=0)
    noise = float(np.median(chip.matmul(x1, w, noise_seed=2).std(axis=0)))
    assert 0.8 < noise < 1.6


def test_chunking_does_not_change_a_bit():
    chip = _synin()
    rng = np.random.default_rng(5)
    x = rng.integers(0, 32, (11, 300))
    w = rng.integers(-63, 64, (300, 140))
    whole = chip.run(x, w, noise_seed=9)
    parts = chip.run(x, w, noise_seed=9, chunk_size=4)
    np.testing.assert_array_equal(whole.outputs, parts.outputs)


def test_descriptions_need_their_readout_sections():
    text = _synin_text()
    start = text.index("  synin:                           # the line as the integrator")
    end = text.index("\n\nnoise:")
    with pytest.raises(hwdesc.ChipDescriptionError, match="analog.synin` is missing"):
        hwdesc.loads(text[:start] + text[end + 1 :])
    bss2 = (CHIPS / "bss2.yaml").read_text()
    extra = bss2.replace(
        "    dnl: 0.1 ",
        "    dnl: 0.1\n  synin: {c_line: 5 pF, tau_line: 200 us, v_rest: 0.3 V} ",
        1,
    )
    with pytest.raises(hwdesc.ChipDescriptionError, match="geometry.readout is membrane"):
        hwdesc.loads(extra)
    short = text.replace("    tau_line: 200 us ", "    tau_line: 300 ns ")
    with pytest.raises(hwdesc.ChipDescriptionError, match="shorter than two noise blocks"):
        hwdesc.loads(short)
    unit = text.replace("line_current_psd: 2e-26 A**2/Hz", "line_current_psd: 2e-26 V**2/Hz")
    with pytest.raises(hwdesc.ChipDescriptionError, match="line_current_psd"):
        hwdesc.loads(unit)


def test_simulate_cli_runs_in_the_synin_readout(tmp_path, capsys):
    from chipsim.commands.cli import main

    code = main(["simulate", "bss2-synin", "--batch", "40", "--out", str(tmp_path / "o"), "-q"])
    assert code in (0, None)
    out = capsys.readouterr().out
    assert "256 x 128 tile" in out or "256 inputs -> 128 outputs" in out
    data = np.load(tmp_path / "o" / "results.npz")
    assert data["outputs"].shape == (40, 128)
    fit = np.polyfit(data["ideal"].ravel(), data["outputs"].ravel(), 1)[0]
    assert math.isclose(fit, 0.00078, rel_tol=0.05)


def test_noise_of_an_output_is_the_budget_of_its_four_conversions():
    """With the line's own noise negligible (2e-26 A^2/Hz: 0.05 codes), an output's noise is that
    of its two columns' two conversions: CADC channel noise sigma_adc each, the rounding of each
    (1/12 code^2, dithered by the noise), and the readout 1/f noise's change between the
    baseline read and the read (K components: 2 sigma_k^2 (1 - exp(-span / tau_k))); the ramp
    noise cancels between the two columns of a quadrant. Median over the outputs of the std over
    400 repeats of one vector, within 6 %."""
    chip = _synin()
    desc = chip.description
    nz = desc.noise
    k = 256
    x = np.zeros((400, k), np.int64)
    x[:, :64] = 8
    w = np.where(np.arange(k)[:, None] % 2 == 0, 21, -21) * np.ones((1, 128), np.int64)
    y = chip.matmul(x, w, noise_seed=3).astype(float)
    measured = float(np.median(y.std(axis=0, ddof=1)))
    # the span between the two conversions: baseline read at 5 us, read window from 20 us on
    run = chip.run(x[:1], w, noise=False, record_vectors=[0], record_columns=[0])
    t_read = run.traces[0].t_read
    span = 20e-6 - 5e-6 + t_read
    fl = nz.flicker
    taus = fl.tau_min * (fl.tau_max / fl.tau_min) ** (
        np.arange(fl.components) / (fl.components - 1)
    )
    ratio = (fl.tau_max / fl.tau_min) ** (1 / (fl.components - 1))
    sig2 = nz.synin.readout_flicker_psd_at_1MHz * 1e6 * math.log(ratio)
    flicker = 2 * sig2 * np.sum(-np.expm1(-span / taus)) / desc.analog.adc.v_lsb**2
    per_column = 2 * nz.sigma_adc**2 + 2 / 12 + flicker
    budget = math.sqrt(2 * per_column)
    assert 1.0 < budget < 1.4
    assert measured == pytest.approx(budget, rel=0.06), (measured, budget)


def test_a_membrane_calibration_result_is_refused_on_the_synin_readout():
    """A synin chip refuses a result for the membrane readout's target (a HagenCalibTarget)
    instead of running circuits calibrated for another readout."""
    from chipsim.calibration import CalibrationResult, HagenCalibTarget

    desc = _synin().description
    result = CalibrationResult(
        target=HagenCalibTarget(),
        chip_seed=0,
        description_hash="0" * 64,
        codes={"cadc_channel_offset": np.zeros((2, 256), np.int64)},
        residuals={"cadc_channel_offset": np.zeros((2, 256))},
        success={"cadc_channel_offset": np.ones((2, 256), bool)},
    )
    with pytest.raises(ValueError, match="reads the synaptic input lines.*HagenSyninCalibTarget"):
        chipsim.Chip(desc, calibration=result, seed=0)
