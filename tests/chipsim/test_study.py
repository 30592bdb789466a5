"""The transfer study: translation rule, table and ordering checks, the command, and the reduced
study end to end (what CI runs)."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chipsim.torch as hxp  # noqa: E402
from chipsim.calibration import CalibrationWarning  # noqa: E402
from chipsim.commands.cli import main  # noqa: E402
from chipsim.studies import transfer as study  # noqa: E402

CHIP = str(Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml")


@pytest.fixture(autouse=True)
def default_mock_parameter():
    hxp.set_mock_parameter(hxp.MockParameter())
    yield
    hxp.set_mock_parameter(hxp.MockParameter())


def _model(n_in=300, hidden=20, n_out=4, scaling="static", seed=0):
    torch.manual_seed(seed)
    _, TransferMLP = study._build_classes()
    model = TransferMLP(n_in, hidden, n_out, scaling)
    x = torch.rand(200, n_in)
    model.fc1.in_mean.copy_(x.mean(0))
    model.fc1.in_std.copy_(x.std(0))
    model.eval()
    return model, x


def test_float_mode_applies_the_input_normalization_and_chip_mode_folds_it():
    model, x = _model()
    with torch.no_grad():
        z = model.fc1(x, model.q_in)
        expect = ((x - model.fc1.in_mean) / model.fc1.in_std) @ model.fc1.weight.t()
        torch.testing.assert_close(z, expect)
        folded = x @ model.fc1.effective_weight().t() - model.fc1.offset()
        torch.testing.assert_close(folded, expect, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("scaling", ["static", "batch", "ema"])
def test_translation_hits_the_target_rms_and_maps_back_to_float(scaling):
    model, x = _model(scaling=scaling)
    model.calibrate_quantizers(x, 50)
    with torch.no_grad():
        z_float = model.fc1(x, model.q_in)
    hxp.set_mock_parameter(hxp.MockParameter(gain=0.002, noise_std=0.0))
    model.translate(None, "mock", 0.002, x, target_rms=40.0, max_sends=8, wait_between_events=5)
    layer = model.fc1
    assert 1 <= layer.num_sends <= 8 and layer.backend == "mock"
    with torch.no_grad():
        codes = model.q_in(x)
        w_codes = torch.clamp(torch.round(layer.effective_weight() * layer.weight_scale), -63, 63)
        y = hxp.matmul(codes, w_codes.t(), num_sends=layer.num_sends, mock=True)
        assert float(y.pow(2).mean().sqrt()) == pytest.approx(40.0, rel=0.25)
        z_mock = model.fc1(x, model.q_in)
    # the noiseless mock differs from float only by rounding: same signal
    assert np.corrcoef(z_mock.flatten().numpy(), z_float.flatten().numpy())[0, 1] > 0.9
    model.to_float()
    assert model.fc1.backend == "float"


def _result(plain_default, plain_custom, hil_default, hil_custom):
    config = study.StudyConfig(seeds=(0, 1, 2))
    result = study.StudyResult(config, 0.9, 0.9, dataset={"name": "keywords", "classes": 10})
    for profile, plain, hil in (
        ("default", plain_default, hil_default),
        ("custom", plain_custom, hil_custom),
    ):
        for seed, (p, h) in enumerate(zip(plain, hil)):
            result.runs.append({"profile": profile, "seed": seed, "plain": p, "hil": h, "mock": p})
    return result


def test_table_reports_mean_spread_and_the_ordering_checks(tmp_path):
    result = _result([0.2, 0.22, 0.18], [0.55, 0.6, 0.58], [0.68, 0.7, 0.69], [0.75, 0.76, 0.74])
    mean, std, n = result.cell("plain", "default")
    assert (mean, n) == (pytest.approx(0.2), 3) and std == pytest.approx(0.02)
    table = result.table()
    assert "plain transfer" in table and "hardware-in-the-loop retraining" in table
    assert "20.00 % +-  2.00" in table
    checks = result.ordering()
    assert len(checks) == 3 and all("margin larger than the spread" in c for c in checks)
    close = _result([0.5, 0.6, 0.4], [0.52, 0.62, 0.42], [0.4, 0.5, 0.3], [0.6, 0.7, 0.5])
    verdicts = close.ordering()
    assert "within the spread" in verdicts[0] and "does not hold" in verdicts[1]
    paths = study.save(result, tmp_path)
    data = json.loads(paths["results"].read_text())
    assert data["table"]["hil"]["custom"]["n"] == 3
    assert study.StudyResult.from_dict(data).table() == result.table()
    assert paths["figure"].stat().st_size > 10_000


def test_command_refuses_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["study", "transfer", "--chip-seeds", "a,b"])
    assert exc.value.code == 2
    for bad in (["--target-rms", "-3"], ["--eval-samples", "0"], ["--wait", "-1"]):
        with pytest.raises(SystemExit):
            main(["study", "transfer", *bad])
    assert main(["study", "transfer", str(tmp_path / "none.yaml")]) == 2
    assert "none.yaml: no such file" in capsys.readouterr().err


@pytest.mark.slow
def test_reduced_study_runs_end_to_end(tmp_path, capsys):
    """The reduced study (``--quick``): every cell filled, files written. The ordering is the
    full study's question (docs/study.md); here only sanity bounds."""
    out = tmp_path / "study"
    assert main(["study", "transfer", CHIP, "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "plain transfer" in printed and "wall time" in printed
    data = json.loads((out / "results.json").read_text())
    assert len(data["runs"]) == 4  # two profiles x two seeds
    assert data["float_accuracy"] > 0.8
    for run in data["runs"]:
        for key in ("plain", "hil", "mock"):
            assert 0.0 <= run[key] <= 1.0
        assert run["hil"] > 0.3  # well above chance (0.1) after retraining
        assert 0.001 < run["gain"] < 0.004
    assert (out / "figure.png").stat().st_size > 10_000
    assert (out / "table.txt").read_text().startswith(" " * 10)


@pytest.mark.slow
def test_digits_transfer_is_far_above_chance(tmp_path):
    """Few input features (64): the plain transfer keeps most of the float accuracy. Guards the
    translation against inputs that are (almost) never active, whose folded weights must not set
    the weight scale."""
    config = study.StudyConfig.quick(
        chip=CHIP, dataset="digits", seeds=(0,), eval_samples=150, hil_samples=200, hil_epochs=1
    )
    result = study.run_study(config)
    assert result.float_accuracy > 0.9
    (run,) = [r for r in result.runs if r["profile"] == "default"]
    assert run["plain"] > 0.7 and run["hil"] > 0.7


# ---- calibrated chips and the options of the published study's other findings -------------


def test_clip_below_sends_exactly_the_codes_at_or_above_the_threshold():
    """Reference computation on a small input: a scale that maps the inputs onto the codes
    0..31 one by one; with the threshold 4 the codes 1..3 are sent as 0, the others unchanged,
    and the layer's output is that of the unclipped layer fed the input with those entries
    zeroed (mock without noise: deterministic)."""
    model, _ = _model(n_in=32, hidden=6, n_out=3)
    x = (torch.arange(32, dtype=torch.float32) / 31.0).repeat(5, 1)  # codes 0..31 per row
    x[1] = x[1].flip(0)
    model.calibrate_quantizers(x, 50)
    hxp.set_mock_parameter(hxp.MockParameter(gain=0.002, noise_std=0.0))
    model.translate(None, "mock", 0.002, x, target_rms=40.0, max_sends=8, wait_between_events=5)
    layer, q = model.fc1, model.q_in
    codes = q(x)
    assert torch.equal(codes[0], torch.arange(32, dtype=codes.dtype))
    model.set_clip(4)
    layer.record = []
    with torch.no_grad():
        clipped_out = layer(x, q)
    ((sent, _),) = layer.record
    layer.record = None
    expect = np.where(codes.numpy() < 4, 0, codes.numpy())
    np.testing.assert_array_equal(sent.numpy(), expect)
    assert int((sent[0] == 0).sum()) == 4  # 0, 1, 2, 3
    model.set_clip(0)
    x_zeroed = torch.where(codes < 4, torch.zeros_like(x), x)
    with torch.no_grad():
        reference = layer(x_zeroed, q)
        unclipped = layer(x, q)
    torch.testing.assert_close(clipped_out, reference, rtol=0, atol=0)
    assert not torch.equal(clipped_out, unclipped)
    # retraining: no gradient flows through a clipped code
    model.set_clip(4)
    xg = x.clone().requires_grad_(True)
    layer(xg, q).sum().backward()
    assert xg.grad is not None
    assert (xg.grad[codes < 4] == 0).all() and (xg.grad[codes >= 4] != 0).any()
    model.set_clip((0, 4))  # the output layer only: the first layer sends every code
    layer.record = []
    with torch.no_grad():
        layer(x, q)
    ((sent_first, _),) = layer.record
    layer.record = None
    assert torch.equal(sent_first, codes) and model.fc2.clip_below == 4
    model.set_clip(4)
    stats = study.layer_stats(model, x)[0]
    assert stats["clipped"] == pytest.approx(float(((codes > 0) & (codes < 4)).double().mean()))
    assert stats["clipped_charge"] == pytest.approx(
        float(torch.where(codes < 4, codes, 0).sum() / codes.sum())
    )


def test_config_refuses_bad_options():
    with pytest.raises(ValueError, match=r"clip_below: -1 is out of range; allowed: 0\.\.31"):
        study.StudyConfig(clip_below=-1)
    with pytest.raises(ValueError, match="clip_below: 32 is out of range"):
        study.StudyConfig(clip_below=32)
    with pytest.raises(TypeError, match="clip_below: expected an integer"):
        study.StudyConfig(clip_below=2.5)
    with pytest.raises(ValueError, match="clip_below: expected one code for both layers or two"):
        study.StudyConfig(clip_below=(1, 2, 3))
    with pytest.raises(ValueError, match="clip_below: -3 is out of range"):
        study.StudyConfig(clip_below=(5, -3))
    assert study.StudyConfig(clip_below=[13, 0]).clip_below == (13, 0)  # as read from JSON
    with pytest.raises(
        ValueError, match="calibration: 'calibrated' is not a mode.*targets, profiles"
    ):
        study.StudyConfig(calibration="calibrated")
    with pytest.raises(
        TypeError, match="output_layer_target: default: i_synin: not a field.*'i_synin_gm'"
    ):
        study.StudyConfig(output_layer_target={"i_synin": 900})
    with pytest.raises(
        ValueError, match="output_layer_target: default: i_synin_gm: 2000 is out of range"
    ):
        study.StudyConfig(output_layer_target={"i_synin_gm": 2000})
    with pytest.raises(ValueError, match="output_layer_target: 'other' is not a compared profile"):
        study.StudyConfig(output_layer_target={"other": {"i_synin_gm": 300}})
    with pytest.raises(TypeError, match="output_layer_target: custom: tau: not a field"):
        study.StudyConfig(output_layer_target={"custom": {"tau": 1}})
    with pytest.raises(ValueError, match="output_layer_target: needs calibration='targets'"):
        study.StudyConfig(calibration="profiles", output_layer_target={"i_synin_gm": 900})


def test_command_refuses_bad_option_values(capsys):
    for bad, says in (
        (["--clip-below", "-2"], "-2 is out of range; allowed: activation codes 0..31"),
        (["--clip-below", "x"], "expected an activation code 0..31 (or two, N1,N2), got 'x'"),
        (["--clip-below", "3,4,5"], "expected one code (both layers) or two"),
        (["--clip-below", "3,40"], "40 is out of range"),
        (["--compare", "both"], "invalid choice: 'both'"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["study", "transfer", *bad])
        assert exc.value.code == 2
        assert says in capsys.readouterr().err
    for bad, says in (
        (
            ["--output-layer-target", "gm=900"],
            "--output-layer-target 'gm=900': no target field 'gm'",
        ),
        (["--output-layer-target", "i_synin_gm=high"], "i_synin_gm takes an integer code"),
        (["--output-layer-target", "other:i_synin_gm=300"], "'other' is not a compared profile"),
        (
            ["--output-layer-target", "i_synin_gm=5000"],
            "--output-layer-target: default: i_synin_gm: 5000",
        ),
        (
            ["--compare", "profiles", "--output-layer-target", "i_synin_gm=900"],
            "--output-layer-target: needs --compare targets",
        ),
    ):
        assert main(["study", "transfer", *bad]) == 2
        assert says in capsys.readouterr().err
    tutorial = str(Path(CHIP).with_name("tutorial.yaml"))
    assert main(["study", "transfer", tutorial]) == 2
    assert "cannot be calibrated" in capsys.readouterr().err


@pytest.fixture(scope="module")
def calibration_cache(tmp_path_factory):
    """A cache of its own for the module: the calibrations of chip seed 0 are made once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHIPSIM_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def test_output_layer_target_calibrates_that_layer_for_the_changed_target(calibration_cache):
    config = study.StudyConfig(chip=CHIP, output_layer_target={"custom": {"i_synin_gm": 300}})
    assert config.output_layer_target == {"custom": {"i_synin_gm": 300}}
    chip, chip_out = study.study_chips(config, "custom", 0)
    assert chip.seed == chip_out.seed == 0
    base, out = chip.calibration_result, chip_out.calibration_result
    assert base.target.i_synin_gm == 225 and out.target.i_synin_gm == 300
    assert out.target.tau_syn == base.target.tau_syn == pytest.approx(0.64e-6)
    assert chip_out.calibration == "calibrated+tau_syn=640 ns+i_synin_gm=300"
    assert out.ok
    # a higher OTA bias target: (nearly) every neuron's calibrated bias code is higher, by
    # about the ratio of the targets (300 / 225)
    assert (out.codes["i_synin_gm_exc"] > base.codes["i_synin_gm_exc"]).mean() > 0.95
    ratio = np.median(out.codes["i_synin_gm_exc"]) / np.median(base.codes["i_synin_gm_exc"])
    assert ratio == pytest.approx(300 / 225, rel=0.05)
    _, default_chip_out = study.study_chips(config, "default", 0)
    assert default_chip_out.calibration == "calibrated"  # no entry for default: one chip
    same, same_out = study.study_chips(study.StudyConfig(chip=CHIP), "custom", 0)
    assert same is same_out and same.calibration_result == base  # the cached result
    profile, _ = study.study_chips(
        study.StudyConfig(chip=CHIP, calibration="profiles"), "custom", 0
    )
    assert profile.calibration == "custom" and profile.calibration_result is None


def test_calibrated_study_records_calibrations_options_and_layer_figures(calibration_cache):
    """The study on a calibrated chip with both options (digits, one seed, few samples): the
    calibration summaries, the output layer's own gain, the clipping in the layer figures."""
    config = study.StudyConfig.quick(
        chip=CHIP,
        dataset="digits",
        profiles=("custom",),
        seeds=(0,),
        float_epochs=5,
        eval_samples=60,
        hil_samples=64,
        hil_epochs=1,
        clip_below=3,
        output_layer_target={"i_synin_gm": 300},
    )
    lines: list[str] = []
    result = study.run_study(config, log=lines.append)
    (run,) = result.runs
    assert run["calibration"]["label"] == "calibrated+tau_syn=640 ns+i_synin_gm=225"
    assert run["calibration"]["ok"] and set(run["calibration"]["residual_std"]) >= {
        "i_synin_gm_exc",
        "tau_syn_exc",
    }
    assert run["calibration"]["residual_std"]["i_synin_gm_exc"] < 0.05
    out = run["output_layer"]
    assert out["summary"]["target"]["i_synin_gm"] == 300 and out["summary"]["ok"]
    assert out["gain"] / run["gain"] == pytest.approx(300 / 225, rel=0.15)  # OTA bias ratio
    plain = run["layers_plain"]
    assert [s["layer"] for s in plain] == [1, 2]
    assert plain[0]["clipped"] > 0 and 0 < plain[0]["clipped_charge"] < 0.2
    assert all(0 <= s["rail"] <= s["beyond_linear"] + 1e-12 <= 1 for s in plain)
    assert any("layer 2: rms" in line for line in lines)
    text = result.table()
    assert "calibrated (chipsim.calibrate) for the targets custom" in text
    assert "activation codes below 3 sent as 0" in text
    assert "output layer (custom): the same chip seed calibrated with i_synin_gm=300" in text
    data = json.loads(json.dumps(result.to_dict()))
    again = study.StudyResult.from_dict(data)
    assert again.config == config and again.table() == text


def test_a_failed_calibration_is_a_warning_line_and_in_the_results(tmp_path, calibration_cache):
    """A chip whose raw g_m spread (50 %) is beyond the OTA bias range: its failed neurons show
    in the progress, the table and results.json; the run still happens on that chip."""
    text = Path(CHIP).read_text()
    wide, n = re.subn(r"(?m)^  gm: 15 %", "  gm: 50 %", text)
    assert n == 1
    path = tmp_path / "wide.yaml"
    path.write_text(wide)
    config = study.StudyConfig.quick(
        chip=str(path),
        dataset="digits",
        profiles=("default",),
        seeds=(0,),
        float_epochs=3,
        eval_samples=40,
        hil_epochs=0,
        diagnostics=False,
    )
    lines: list[str] = []
    with pytest.warns(CalibrationWarning, match="failed for some instances"):
        result = study.run_study(config, log=lines.append)
    (run,) = result.runs
    failures = run["calibration"]["failures"]
    assert not run["calibration"]["ok"] and failures["i_synin_gm_exc"] > 10
    warning = [line for line in lines if line.startswith("WARNING: default seed 0")]
    assert len(warning) == 1 and f"i_synin_gm_exc {failures['i_synin_gm_exc']}" in warning[0]
    assert any(line.startswith("WARNING: default seed 0") for line in result.table().splitlines())
    paths = study.save(result, tmp_path / "out")
    saved = json.loads(paths["results"].read_text())
    assert saved["runs"][0]["calibration"]["failures"] == failures
