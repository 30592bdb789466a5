"""The transfer study: translation rule, table and ordering checks, the command, and the reduced
study end to end (what CI runs)."""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import chipsim.torch as hxp  # noqa: E402
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
