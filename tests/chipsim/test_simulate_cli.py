"""``chipsim simulate`` end to end on the tutorial chip: files it writes, and its errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from chipsim.commands.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_simulate_default_workload_writes_loadable_files(chips_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "simulate",
            str(chips_dir / "tutorial.yaml"),
            "--batch",
            "40",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    for word in ("chip          tutorial", "hardware time", "per MAC", "saturation", "wall time"):
        assert word in text
    data = np.load(out / "results.npz")
    assert data["inputs"].shape == (40, 8) and data["weights"].shape == (8, 8)
    assert data["outputs"].shape == (40, 8)
    assert data["outputs"].dtype == np.int8 and data["ideal"].dtype == np.int32
    np.testing.assert_array_equal(
        data["ideal"], data["inputs"].astype(np.int32) @ data["weights"].astype(np.int32)
    )
    trace = json.loads((out / "trace.json").read_text())
    assert trace["traceEvents"]
    assert (out / "figure.png").read_bytes()[:8] == PNG


def test_simulate_reads_npy_and_is_reproducible(chips_dir, tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "x.npy", rng.integers(0, 32, size=(12, 20)))
    np.save(tmp_path / "w.npy", rng.integers(-63, 64, size=(20, 10)))
    args = [
        "simulate",
        str(chips_dir / "tutorial.yaml"),
        "--inputs",
        str(tmp_path / "x.npy"),
        "--weights",
        str(tmp_path / "w.npy"),
        "--num-sends",
        "2",
        "--wait",
        "3",
        "--noise-seed",
        "9",
        "--quiet",
    ]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b"), "--chunk-size", "5"]) == 0
    a = np.load(tmp_path / "a" / "results.npz")["outputs"]
    b = np.load(tmp_path / "b" / "results.npz")["outputs"]
    assert a.shape == (12, 10)
    np.testing.assert_array_equal(a, b)
    assert "12 x 20 inputs -> 10 outputs" in capsys.readouterr().out


def test_the_chunk_size_changes_no_file(chips_dir, tmp_path, capsys):
    """--chunk-size 1 against the default: results, the trace (all --trace-vectors vectors) and
    the figure are the same to the byte, and so are the printed time and energy."""
    args = [
        "simulate",
        str(chips_dir / "tutorial.yaml"),
        "--batch",
        "24",
        "--trace-vectors",
        "20",
        "--quiet",
    ]
    texts = []
    for name, extra in (("whole", []), ("ones", ["--chunk-size", "1"])):
        assert main(args + ["--out", str(tmp_path / name)] + extra) == 0
        texts.append(
            [
                line
                for line in capsys.readouterr().out.splitlines()
                if line.startswith(("hardware time", "energy "))
            ]
        )
    assert texts[0] == texts[1] and len(texts[0]) == 2
    for f in ("results.npz", "trace.json", "figure.png"):
        assert (tmp_path / "whole" / f).read_bytes() == (tmp_path / "ones" / f).read_bytes(), f
    trace = json.loads((tmp_path / "ones" / "trace.json").read_text())
    assert trace["otherData"]["vectors_exported"] == 20


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            ["--inputs", "missing.npy", "--weights", "missing.npy"],
            "--inputs missing.npy: no such file",
        ),
        (["--inputs", "{x}"], "give --inputs and --weights together"),
        (
            ["--inputs", "{x}", "--weights", "{w_bad}"],
            "--weights .*: value 99 at index \\(0, 0\\) is out of range .*; allowed: -63..63",
        ),
        (
            ["--inputs", "{x}", "--weights", "{w_short}"],
            "--inputs has 8 inputs per vector but --weights has 5 rows",
        ),
        (["--calibration", "fastest"], "no calibration profile 'fastest'"),
        (
            ["--inputs", "{x_text}", "--weights", "{w_bad}"],
            "--inputs .*: expected numbers, got an array of dtype <U",
        ),
        (
            ["--inputs", "{x_complex}", "--weights", "{w_bad}"],
            "--inputs .*: complex values are not allowed",
        ),
    ],
)
def test_simulate_errors_name_the_problem(chips_dir, tmp_path, capsys, extra, message):
    import re

    np.save(tmp_path / "x.npy", np.ones((3, 8), dtype=np.int64))
    np.save(tmp_path / "w_bad.npy", np.full((8, 2), 99))
    np.save(tmp_path / "w_short.npy", np.ones((5, 2)))
    np.save(tmp_path / "x_text.npy", np.full((3, 8), "a"))
    np.save(tmp_path / "x_complex.npy", np.ones((3, 8), dtype=complex))
    files = {
        name: tmp_path / f"{name}.npy" for name in ("x", "w_bad", "w_short", "x_text", "x_complex")
    }
    extra = [e.format(**files) for e in extra]
    code = main(
        ["simulate", str(chips_dir / "tutorial.yaml"), "--out", str(tmp_path / "o"), *extra]
    )
    assert code == 2  # every bad input is a usage error, and nothing was written
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_bad_option_values_exit_without_traceback(chips_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", str(chips_dir / "tutorial.yaml"), "--num-sends", "0"])
    assert exc.value.code == 2
    assert "--num-sends: 0 is out of range; allowed: >= 1" in capsys.readouterr().err


def test_missing_chip_file(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file" in capsys.readouterr().err


def test_help_is_fast_and_imports_no_heavy_module():
    code = (
        "import sys, chipsim.commands.cli; chipsim.commands.cli.build_parser(); "
        "heavy = [m for m in ('numba', 'simpy', 'matplotlib', 'pydantic', 'pint', 'kernels') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_figure_uses_a_non_interactive_backend(chips_dir, tmp_path):
    # An interactive backend asked for, and no display: the figure is still drawn (on an Agg
    # canvas of its own), pyplot is never imported, and the caller's backend is left alone.
    code = (
        f"import sys; from chipsim.commands.cli import main; "
        f"code = main(['simulate', {str(chips_dir / 'tutorial.yaml')!r}, "
        f"'--batch', '5', '--out', {str(tmp_path / 'out')!r}, '--quiet']); "
        "import matplotlib; print(code, 'matplotlib.pyplot' in sys.modules, matplotlib.rcParams['backend'])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"MPLBACKEND": "TkAgg", "PATH": "", "HOME": str(tmp_path)},
    ).stdout
    assert out.strip().splitlines()[-1] == "0 False TkAgg"
    assert (tmp_path / "out" / "figure.png").read_bytes()[:8] == PNG
