"""Calibrated chips in the commands: ``--calibration FILE`` (a saved calibration result),
``--calibrate`` and ``--set NAME=VALUE`` (calibrated through the cache) in simulate,
characterize and validate-model, with errors that name the argument."""

from __future__ import annotations

import pytest

import chipsim
from chipsim.commands.cli import main

CALIBRATED_COMMANDS = ("simulate", "characterize", "validate-model")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A calibration of bss2, chip seed 0, saved to a file."""
    path = tmp_path_factory.mktemp("calibration") / "calib.npz"
    chipsim.calibrate("bss2", seed=0, cache=False).save(path)
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPSIM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    first = err.strip().splitlines()[0]
    assert first.startswith(f"chipsim {command}: error: "), err
    return first


def test_simulate_runs_on_a_saved_calibration(saved, tmp_path, capsys):
    argv = ["simulate", "bss2", "--calibration", str(saved), "--batch", "20", "-q"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 0
    assert "calibration   calibrated (chip seed 0)" in capsys.readouterr().out


@pytest.mark.parametrize("command", CALIBRATED_COMMANDS)
def test_every_command_refuses_a_wrong_calibration_file_naming_the_argument(
    command, saved, tmp_path, capsys
):
    out = ["--out", str(tmp_path / "out")]
    assert main([command, "bss2", "--calibration", str(tmp_path / "none.npz"), *out]) == 2
    first = _error(capsys, command)
    assert "the chip bss2 has no calibration profile" in first
    assert first.endswith(
        "there is no calibration file of that name; its profiles: default, custom"
    )
    assert main([command, "bss2", "--calibration", str(tmp_path), *out]) == 2
    assert "it is a folder, not a calibration file" in _error(capsys, command)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(saved.read_bytes()[:300])
    assert main([command, "bss2", "--calibration", str(damaged), *out]) == 2
    first = _error(capsys, command)
    assert f"--calibration {damaged}: damaged" in first
    assert main([command, "bss2", "--calibration", str(saved), "--chip-seed", "1", *out]) == 2
    assert "a calibration of chip seed 0, not of --chip-seed 1" in _error(capsys, command)
    assert main([command, "tutorial", "--calibration", str(saved), *out]) == 2
    first = _error(capsys, command)
    assert "a calibration of another chip description" in first
    assert "this chip cannot be calibrated" in first


@pytest.mark.parametrize("command", CALIBRATED_COMMANDS)
def test_every_command_checks_calibrate_and_set_before_any_work(command, tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")]
    assert main([command, "tutorial", "--calibrate", *out]) == 2
    assert "--calibrate: the chip tutorial cannot be calibrated" in _error(capsys, command)
    assert main([command, "bss2", "--set", "tau=1us", *out]) == 2
    assert "no target field 'tau'" in _error(capsys, command)
    assert main([command, "bss2", "--set", "tau_syn=1", *out]) == 2
    assert "--set: tau_syn: a time needs a unit" in _error(capsys, command)
    assert main([command, "bss2", "--calibration", "custom", "--calibrate", *out]) == 2
    assert "exclude each other" in _error(capsys, command)
    assert main([command, "bss2", "--target", "fast", *out]) == 2
    assert "--target fast: 'fast' is not a calibration profile of chip 'bss2'; profiles: " in (
        _error(capsys, command)
    )


def test_set_calibrates_through_the_cache(cache, tmp_path, capsys):
    argv = ["simulate", "bss2", "--set", "i_synin_gm=300", "--batch", "20"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    captured = capsys.readouterr()
    from chipsim.calibration.procedure import PROGRESS

    n = len(PROGRESS)
    assert f"calibrating chip seed 0 [{n}/{n}] {PROGRESS[-1]}" in captured.err
    assert "calibration   calibrated+i_synin_gm=300 (chip seed 0)" in captured.out
    assert len(list((cache / "calibration").glob("*.npz"))) == 1
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    assert "calibrating" not in capsys.readouterr().err  # the cached result


def test_a_profile_as_a_target(cache, tmp_path, capsys):
    argv = ["--target", "custom", "--set", "i_synin_gm=300", "-q"]
    assert main(["calibrate", "bss2", *argv]) == 0
    assert "i_synin_gm=300" in capsys.readouterr().out
    assert main(["simulate", "bss2", *argv, "--batch", "20", "--out", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    assert "calibration   calibrated+tau_syn=640 ns+i_synin_gm=300 (chip seed 0)" in printed
    assert len(list((cache / "calibration").glob("*.npz"))) == 1  # calibrated once


def test_a_calibrated_chip_with_a_changed_knob_is_calibrated_again(cache):
    from chipsim.studies.characterization import _knobs_of, with_knob

    chip = chipsim.load("bss2", calibration=chipsim.calibrate("bss2", i_synin_gm=300))
    changed = with_knob(chip, "i_synin_gm", 450)
    assert changed.calibration == "calibrated"
    assert changed.calibration_result.target.i_synin_gm == 450
    assert _knobs_of(chip)["i_synin_gm"] == 300
    with pytest.raises(ValueError, match="not a field of the calibration target"):
        with_knob(chip, "membrane_capacitance", 63)
