"""``chipsim check CHIP``: exit code 0 and a readable summary, or a located error without a
traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chipsim.commands.cli import main

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"


def check(path, capsys) -> tuple[int, str, str]:
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", sorted(CHIPS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_chip_checks(path, capsys):
    code, out, err = check(path, capsys)
    assert code == 0, err
    assert out.rstrip().endswith(f"{path}: OK")
    assert err == ""


def test_bss2_summary(capsys):
    code, out, _ = check(CHIPS / "bss2.yaml", capsys)
    assert code == 0
    assert "2 halves" in out
    assert "128 inputs x 256 outputs" in out
    assert re.search(r"input\s+5-bit\s+0\.\.31", out)
    assert re.search(r"weight\s+6-bit\s+-63\.\.63", out)
    assert re.search(r"ADC\s+8-bit\s+0\.\.255", out)
    # Both calibration profiles with their knob codes and physical values.
    assert re.search(r"default: .*\n\s+i_synin_gm\s+code 450\s+-> gm = 900 nS", out)
    assert re.search(r"custom: .*\n\s+i_synin_gm\s+code 225\s+-> gm = 450 nS", out)
    # model.md section 1: about 43 us per full 128-input vector at wait_between_events=5.
    line = next(text for text in out.splitlines() if "one full 128-input vector" in text)
    microseconds = float(re.search(r": ([0-9.]+) us", line).group(1))
    assert microseconds == pytest.approx(43, rel=0.02)
    assert "energy per action" in out and "static power" in out
    assert "ADC: conversion 540 ns (at most 1.85 MSample/s per channel)" in out
    assert "2 quadrant(s) of 128 columns per half share a ramp" in out
    assert "flicker 4e-14 V**2/Hz at 1 MHz, 4 components 1 us .. 1 ms" in out
    assert re.search(
        r"custom: .*(\n    .*)*\n    line time constant at this g_m: tau_syn x 1.042", out
    )


def test_synin_summary(capsys):
    code, out, _ = check(CHIPS / "bss2-synin.yaml", capsys)
    assert code == 0
    assert "256 inputs x 128 outputs" in out
    assert "synaptic-input readout: the lines integrate on 5.6 pF with a 200 us leak" in out
    assert "(code 210)" in out and "line current 2e-26 A**2/Hz" in out


def test_bad_file_gives_a_message_and_no_traceback(tmp_path, capsys):
    text = (CHIPS / "tutorial.yaml").read_text().replace("    c_syn: 0.2 pF", "    c_syn: 5 ns")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, out, err = check(path, capsys)
    assert code == 1
    assert out == ""
    line = text.splitlines().index("    c_syn: 5 ns") + 1
    assert err.startswith(
        f"chipsim check: error: {path}, line {line}, at `analog.synaptic_input.c_syn`: "
        "'5 ns' is a time, but a capacitance is expected here\n  hint: allowed: a capacitance"
    )
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["missing.yaml", "."])
def test_missing_file_or_folder(tmp_path, capsys, name):
    path = tmp_path / name
    code, out, err = check(path, capsys)
    assert code == 2  # a wrong argument: usage error
    assert out == ""
    assert err.startswith(f"chipsim check: error: {path}: ")
    assert "Traceback" not in err
