"""Sweeps: the file format and its errors, cells and keys, the results file, resume, failing
cells, and serial vs dask.distributed identity (with a worker killed mid-sweep)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

import chipsim

pytest.importorskip("pyarrow")

from chipsim.sweep import experiments as sx
from chipsim.sweep import read_results, run
from chipsim.sweep.spec import AxisKind, SweepSpecError, loads_spec
from hwdesc.units import parse_quantity

CHIPS = Path(__file__).resolve().parents[2] / "hwdesc" / "chips"
META = {"error", "traceback", "warnings", "wall_seconds", "worker", "finished_at"}


class ProbeOptions(sx.Options):
    marker: str = ""
    fail_seed: int = -1
    crash_seed: int = -1


def _on_a_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ImportError, ValueError):
        return False


def _probe(cell: sx.CellContext) -> dict:
    """A tiny experiment: four vectors on the cell's chip. ``fail_seed`` raises; ``crash_seed``
    kills the dask worker process that runs it first (a marker file remembers it)."""
    p, o = cell.params, cell.options
    if p["chip_seed"] == o["fail_seed"]:
        raise RuntimeError(f"probe refuses chip seed {p['chip_seed']}")
    if (
        p["chip_seed"] == o["crash_seed"]
        and o["marker"]
        and not os.path.exists(o["marker"])
        and _on_a_worker()
    ):
        Path(o["marker"]).write_text("crashed once")
        os._exit(3)
    chip = cell.chip()
    k, m = chip.tile_shape
    x = np.full((4, k), 12)
    w = np.full((k, m), 21)
    y = chip.matmul(x, w, wait_between_events=p["wait_between_events"], noise_seed=p["noise_seed"])
    return {"mean": float(y.mean()), "std": float(y.std()), "gm": float(chip.knobs.gm)}


sx.register(
    sx.Experiment(
        "probe",
        _probe,
        {
            "chip_seed": sx.CHIP_SEED,
            "noise_seed": sx.NOISE_SEED,
            "wait_between_events": sx.WAIT,
            "label": AxisKind("str", None, choices=("a", "b")),
        },
        ("mean", "std", "gm"),
        ProbeOptions,
        "a test experiment",
    )
)


def sweep_text(
    axes: str = "chip_seed: [0, 1]", targets: str = "i_synin_gm: [300, 450]", options: str = "{}"
) -> str:
    return (
        f"sweep_version: 1\nexperiment: probe\nchip: {CHIPS / 'tutorial.yaml'}\n"
        f"options: {options}\n"
        f"calibration:\n  profile: default\n  targets:\n    {targets}\n"
        f"axes:\n  {axes}\n"
    )


def metrics(rows):
    """Everything of the rows but where, when and how long: floats as their exact bits."""
    return [
        {k: (v.hex() if isinstance(v, float) else v) for k, v in r.items() if k not in META}
        for r in rows
    ]


# ---- the file --------------------------------------------------------------------------------------


def test_axes_expand_and_keys_follow_parameters_and_description():
    spec = loads_spec(
        sweep_text(
            axes="chip_seed: {first: 0, last: 4, step: 2}\n  noise_seed: {random: uniform, low: 0, high: 100, count: 2, seed: 5}",
            targets="tau_syn: {first: 0.32 us, last: 1.28 us, count: 3, spacing: log}",
        )
    )
    axes = {a.name: a.values for a in spec.axes}
    assert axes["chip_seed"] == (0, 2, 4)
    assert axes["wait_between_events"] == (5,)  # not swept: the default, explicit in every row
    assert axes["tau_syn"] == pytest.approx((0.32e-6, 0.64e-6, 1.28e-6), rel=1e-12)
    again = loads_spec(
        sweep_text(
            axes="chip_seed: {first: 0, last: 4, step: 2}\n  noise_seed: {random: uniform, low: 0, high: 100, count: 2, seed: 5}",
            targets="tau_syn: {first: 0.32 us, last: 1.28 us, count: 3, spacing: log}",
        )
    )
    assert axes["noise_seed"] == {a.name: a.values for a in again.axes}["noise_seed"]
    cells = spec.cells()
    assert len(cells) == len(spec) == 3 * 2 * 3
    assert len({c.key for c in cells}) == len(cells)
    assert [c.key for c in cells] == [c.key for c in again.cells()]
    # a changed description changes every key
    text = (
        (CHIPS / "tutorial.yaml").read_text().replace("static_power: 0.6 W", "static_power: 0.7 W")
    )
    assert text != (CHIPS / "tutorial.yaml").read_text()
    import hwdesc

    other = type(spec)(**{**spec.__dict__, "description": hwdesc.loads(text)})
    assert not {c.key for c in other.cells()} & {c.key for c in cells}


def test_keys_follow_the_code_that_measures_the_cells(monkeypatch):
    """Another chipsim version or another version of the analog kernels' code (their numerics
    and random streams) changes every key: a resumed sweep recomputes instead of mixing rows."""
    from chipsim.sweep import spec as module

    spec = loads_spec(sweep_text(axes="chip_seed: {first: 0, last: 2}"))
    keys = {c.key for c in spec.cells()}
    assert keys == {c.key for c in spec.cells()}
    monkeypatch.setattr(module, "CODE_VERSION", "0" * 16)
    assert not {c.key for c in spec.cells()} & keys
    monkeypatch.undo()
    monkeypatch.setattr(module, "__version__", "0.0.1")
    assert not {c.key for c in spec.cells()} & keys


@pytest.mark.parametrize(
    "text, line, path, words",
    [
        (sweep_text(axes="chip_sed: [0]"), 10, "axes.chip_sed", "did you mean `chip_seed`"),
        (
            sweep_text(axes="chip_seed: [0, -1]"),
            10,
            "axes.chip_seed[1]",
            "an integer 0..9223372036854775807",
        ),
        (sweep_text(axes="chip_seed: [0, 0]"), 10, "axes.chip_seed", "twice"),
        (
            sweep_text(axes="wait_between_events: [5, -1]"),
            10,
            "axes.wait_between_events[1]",
            "an integer >= 0",
        ),
        (
            sweep_text(axes="chip_seed: [0, 9223372036854775808]"),
            10,
            "axes.chip_seed[1]",
            "0..9223372036854775807",
        ),
        (sweep_text(axes="label: [a, c]"), 10, "axes.label[1]", "allowed: a, b"),
        (
            sweep_text(targets="i_synin_gm: [300, 900]"),
            8,
            "calibration.targets.i_synin_gm[1]",
            "out of range",
        ),
        (
            sweep_text(targets="tau_syn: [0.64]"),
            8,
            "calibration.targets.tau_syn[0]",
            "needs a unit",
        ),
        (
            sweep_text(targets="tau: [0.64 us]"),
            8,
            "calibration.targets.tau",
            "did you mean `tau_syn`",
        ),
        (
            sweep_text(axes="chip_seed: {first: 0, last: 3, count: 3}"),
            10,
            "axes.chip_seed.count",
            "whole numbers",
        ),
        (sweep_text(options="{marker: 3}"), 4, "options.marker", "put quotes"),
        (sweep_text(options="{colour: red}"), 4, "options.colour", "unknown key"),
        (
            sweep_text().replace("experiment: probe", "experiment: prob"),
            2,
            "experiment",
            "did you mean 'probe'",
        ),
        (
            sweep_text().replace("sweep_version: 1\n", "sweep_version: 1\nextra: 1\n"),
            2,
            "extra",
            "unknown key 'extra'",
        ),
        (
            sweep_text().replace("profile: default", "profile: nope"),
            6,
            "calibration.profile",
            "profiles: default, custom",
        ),
    ],
)
def test_bad_sweep_files_are_located(text, line, path, words):
    assert_located(text, line, path, words)


def assert_located(text: str, line: int, path: str, words: str) -> None:
    """Reading ``text`` fails naming the file, ``line`` and YAML ``path``, saying ``words``."""
    with pytest.raises(SweepSpecError) as info:
        loads_spec(text, file="s.yaml")
    err = info.value
    assert (err.file, err.line, err.yaml_path) == ("s.yaml", line, path), str(err)
    assert words in str(err)


def test_missing_chip_is_named_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "s.yaml").write_text(
        sweep_text().replace(str(CHIPS / "tutorial.yaml"), "nowhere.yaml")
    )
    from chipsim.sweep import load_spec

    with pytest.raises(SweepSpecError, match="no such file") as info:
        load_spec(tmp_path / "s.yaml")
    assert info.value.yaml_path == "chip" and info.value.line == 3


def test_a_sweep_names_a_built_in_chip(tmp_path):
    import hwdesc

    text = sweep_text().replace(str(CHIPS / "tutorial.yaml"), "tutorial")
    spec = loads_spec(text, base_dir=tmp_path)
    assert spec.chip_path == str(hwdesc.CHIPS_DIR / "tutorial.yaml")
    (tmp_path / "tutorial").write_text(
        (CHIPS / "bss2.yaml").read_text()
    )  # a file of that name wins
    assert loads_spec(text, base_dir=tmp_path).description.identity.name == "bss2"


def test_a_target_builds_the_chip_with_that_knob(tutorial):
    spec = loads_spec(sweep_text(targets="tau_syn: [0.64 us]"))
    cell = spec.cells()[0]
    chip = sx.build_chip(
        spec.description, "default", 0, {"tau_syn": cell.params["tau_syn"]}, {"tau_syn": "s"}
    )
    assert chip.knobs.tau_syn == 0.64e-6
    assert chip.knobs.gm == tutorial.knobs.gm


# ---- running ------------------------------------------------------------------------------------------


def test_serial_run_resume_and_failed_cell(tmp_path):
    spec = loads_spec(sweep_text(axes="chip_seed: [0, 1, 2]", options="{fail_seed: 2}"))
    out = tmp_path / "out"
    first = run(spec, out, serial=True)
    assert (first.computed, first.skipped, first.failed) == (6, 0, 2)
    rows = read_results(out)
    assert [r["cell"] for r in rows] == list(range(6))
    failed = [r for r in rows if r["error"] is not None]
    assert [r["chip_seed"] for r in failed] == [2, 2]
    assert failed[0]["error"] == "RuntimeError: probe refuses chip seed 2"
    assert "_probe" in failed[0]["traceback"] and math.isnan(failed[0]["mean"])
    good = [r for r in rows if r["error"] is None]
    assert {r["gm"] for r in good} == {300 * 2e-9, 450 * 2e-9}  # the target knob reached the chip
    assert all(r["wall_seconds"] > 0 and r["worker"] for r in good)
    # the file is plain Parquet
    import pyarrow.parquet as pq

    assert pq.read_table(out / "results.parquet").num_rows == 6
    assert not list((out / "parts").iterdir())

    # resume: only the failed cells run again; same rows for the others
    again = run(spec, out, serial=True)
    assert (again.computed, again.skipped) == (2, 4)
    assert metrics(again.rows) == metrics(first.rows)
    # fresh: every cell again, the same rows
    fresh = run(spec, out, serial=True, fresh=True)
    assert (fresh.computed, fresh.skipped) == (6, 0)
    assert metrics(fresh.rows) == metrics(first.rows)


def test_resume_after_an_interrupted_run_computes_only_the_missing_cells(tmp_path, monkeypatch):
    from chipsim.sweep import runner

    spec = loads_spec(sweep_text(axes="chip_seed: [0, 1, 2]"))
    out = tmp_path / "out"
    reference = run(spec, tmp_path / "ref", serial=True)
    calls = []
    real = runner.execute_cell

    def interrupt_after_two(*args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(args[6].index)
        return real(*args)

    monkeypatch.setattr(runner, "execute_cell", interrupt_after_two)
    with pytest.raises(runner.SweepInterrupted) as info:
        run(spec, out, serial=True)
    assert info.value.result.computed == 2
    assert [r["cell"] for r in read_results(out)] == [0, 1]  # consolidated, readable
    monkeypatch.setattr(runner, "execute_cell", real)
    done = []
    resumed = run(spec, out, serial=True, log=done.append)
    assert (resumed.computed, resumed.skipped) == (4, 2)
    assert "2 done before, 4 to run" in done[0]
    assert metrics(resumed.rows) == metrics(reference.rows)


def test_parts_of_a_killed_run_are_merged(tmp_path):
    from chipsim.sweep.store import ResultStore

    store = ResultStore(tmp_path, consolidate_every=1e9)
    store.append([{"key": "a", "cell": 1, "x": 1.0, "error": None}])
    store.append([{"key": "b", "cell": 0, "x": 2.0, "error": None}])
    store.append(
        [{"key": "a", "cell": 1, "x": 3.0, "error": None}]
    )  # a rerun of a: the newest wins
    assert not (tmp_path / "results.parquet").exists()  # as a killed run leaves it
    assert [(r["key"], r["x"]) for r in read_results(tmp_path)] == [("b", 2.0), ("a", 3.0)]
    assert ResultStore(tmp_path).consolidate() == 2
    assert [(r["key"], r["x"]) for r in read_results(tmp_path)] == [("b", 2.0), ("a", 3.0)]


def test_a_foreign_out_folder_is_refused_before_work(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not a sweep's results folder"):
        run(loads_spec(sweep_text()), tmp_path, serial=True)


def test_local_cluster_gives_the_serial_rows_despite_a_killed_worker_and_a_failing_cell(tmp_path):
    pytest.importorskip("distributed")
    marker = tmp_path / "crashed"
    spec = loads_spec(
        sweep_text(
            axes="chip_seed: [0, 1, 2, 3]",
            options=f"{{marker: '{marker}', fail_seed: 1, crash_seed: 2}}",
        )
    )
    serial = run(spec, tmp_path / "serial", serial=True)
    assert not marker.exists()  # the crash fires on dask workers only
    parallel = run(spec, tmp_path / "dask", workers=2)
    assert marker.exists()  # a worker died running chip seed 2 ...
    assert parallel.workers == 2
    rows = read_results(tmp_path / "dask")
    assert [r["cell"] for r in rows] == list(range(8))  # ... and its cells ran again, once each
    assert metrics(rows) == metrics(serial.rows)
    assert [r["chip_seed"] for r in rows if r["error"]] == [1, 1]
    import socket

    assert f"{socket.gethostname()}:{os.getpid()}" not in {
        r["worker"] for r in rows
    }  # all on workers


def test_cli_writes_rows_summary_and_figure_and_resumes(tmp_path, capsys):
    from chipsim.commands.cli import main

    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        sweep_text(axes="chip_seed: [0, 1]", targets="i_synin_gm: [300, 450]")
        + "report: {metric: gm, x: i_synin_gm, y: chip_seed, maximize: true}\n"
    )
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--serial", "--quiet", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rows = read_results(out)
    assert len(rows) == 4 and (out / "figure.png").stat().st_size > 0
    assert (out / "summary.txt").read_text() == text.split("wrote")[0]
    assert (out / "sweep.yaml").read_text() == sweep.read_text()
    assert "4 cells, 4 done, 0 failed; this run computed 4 (resumed 0)" in text
    best = max(rows, key=lambda r: r["gm"])
    assert f"best: i_synin_gm = 450, chip_seed = {best['chip_seed']}: gm {best['gm']:.6g}" in text
    assert main(["sweep", str(sweep), "--serial", "--quiet", "--out", str(out)]) == 0
    assert "this run computed 0 (resumed 4)" in capsys.readouterr().out


def test_cli_refuses_bad_input_with_exit_code_2(tmp_path, capsys):
    from chipsim.commands.cli import main

    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        sweep_text(axes="chip_seed: [0, 1]") + "report: {metric: gains, x: chip_seed}\n"
    )
    assert main(["sweep", str(sweep), "--serial"]) == 2
    err = capsys.readouterr().err
    assert "s.yaml, line 11, at `report.metric`: experiment 'probe' has no metric 'gains'" in err
    sweep.write_text(sweep_text(options="{fail_seed: 0}"))
    assert main(["sweep", str(sweep), "--serial", "--workers", "2"]) == 2
    assert "--serial runs in this process" in capsys.readouterr().err
    assert main(["sweep", str(sweep), "--serial", "--quiet", "--out", str(tmp_path / "o")]) == 1
    assert "2 cells failed" in capsys.readouterr().err


def test_built_in_experiments_on_bss2(tmp_path, bss2):
    from chipsim.models.mock import measure_mock_parameter
    from chipsim.studies.characterization import gain_vs_events, with_knob

    rows = {}
    for name, options in (
        ("mock", "{num_vectors: 8}"),
        ("characterization", "{repeats: 4}"),
        ("validity", "{densities: [0.3], weights: [63], vectors: 4}"),
    ):
        spec = loads_spec(
            f"sweep_version: 1\nexperiment: {name}\nchip: {CHIPS / 'bss2.yaml'}\n"
            f"options: {options}\ncalibration: {{targets: {{i_synin_gm: [300]}}}}\n"
        )
        (row,) = run(spec, tmp_path / name, serial=True).rows
        assert row["error"] is None, row["traceback"]
        # saturation_onset_events is NaN (documented) when the gain does not fall 5 % within
        # 128 events: at OTA bias 300 the dense gain stays within that
        finite = [m for m in sx.EXPERIMENTS[name].metrics if m != "saturation_onset_events"]
        assert all(math.isfinite(row[m]) for m in finite), row
        if name == "characterization" and math.isnan(row["saturation_onset_events"]):
            ev = gain_vs_events(with_knob(bss2, "i_synin_gm", 300), events=(12, 128))
            assert ev["gain"][1] >= 0.95 * ev["gain"][0], ev  # no onset: the dense gain holds
        rows[name] = row
    reference = measure_mock_parameter(with_knob(bss2, "i_synin_gm", 300), seed=0, num_vectors=8)
    assert (rows["mock"]["gain"], rows["mock"]["noise_std"]) == (
        reference.gain,
        reference.noise_std,
    )
    assert 0 <= rows["validity"]["mock_holds"] <= 1


def test_work_beyond_the_limits_is_refused_before_any_cell(tmp_path, capsys):
    from chipsim.commands.cli import main

    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        f"sweep_version: 1\nexperiment: mock\nchip: {CHIPS / 'bss2.yaml'}\n"
        "axes:\n  wait_between_events: [5, 100000000]\n"
    )
    assert main(["sweep", str(sweep), "--serial", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (
        "sweep cell 1 (chip_seed=0, noise_seed=0, num_sends=1, wait_between_events=100000000)"
        in err
    )
    assert "wait_between_events <= 312487" in err and "CHIPSIM_MAX_STEPS_PER_VECTOR" in err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_out_under_a_file_is_refused_like_every_command(tmp_path, capsys):
    from chipsim.commands.cli import main

    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        f"sweep_version: 1\nexperiment: mock\nchip: {CHIPS / 'tutorial.yaml'}\n"
        "axes:\n  wait_between_events: [5]\n"
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["sweep", str(sweep), "--serial", "--out", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "is a file, so no folder can be made under it" in err


def test_line_figure_and_summary_without_a_direction(tmp_path):
    import dataclasses

    from chipsim.sweep import report
    from chipsim.sweep.spec import ReportSpec

    spec = loads_spec(sweep_text(axes="chip_seed: [0, 1]", targets="i_synin_gm: [300, 450]"))
    spec = dataclasses.replace(spec, report=ReportSpec(metric="gm", x="i_synin_gm"))
    result = run(spec, tmp_path / "out", serial=True)
    text = report.summary(result)
    assert (
        "largest: gm 9e-07 at i_synin_gm = 450" in text
        and "smallest: gm 6e-07 at i_synin_gm = 300" in text
    )
    assert "best" not in text
    assert (
        "       300         6e-07           0    2" in text
    )  # mean, std and n over the chip seeds
    path = report.figure(result, tmp_path / "line.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_example_of_the_help_is_a_valid_sweep_file():
    from chipsim.commands.sweep import EXAMPLE

    text = EXAMPLE.split("examples/sweeps/ has more):\n\n")[1].split("\n\n")[0]
    spec = loads_spec(text)  # the built-in chip by name
    assert (spec.experiment, len(spec)) == ("mock", 3 * 2 * 3 * 4)


# ---- calibrated sweeps ---------------------------------------------------------------------------


def calibrated_text(targets: str = "i_synin_gm: [300, 450]", chip: str = "bss2") -> str:
    return (
        f"sweep_version: 1\nexperiment: probe\nchip: {chip}\noptions: {{}}\n"
        f"calibration:\n  profile: default\n  calibrate: true\n  targets:\n    {targets}\n"
        "axes:\n  chip_seed: [0]\n"
    )


@pytest.mark.parametrize(
    "text, line, path, words",
    [
        (calibrated_text("tau_sin: [0.64 us]"), 9, "calibration.targets.tau_sin", "`tau_syn`"),
        (
            calibrated_text("dynamic_range: [150, 500]"),
            9,
            "calibration.targets.dynamic_range",
            "is a range",
        ),
        (
            calibrated_text("i_synin_gm: [300, 2000]"),
            9,
            "calibration.targets.i_synin_gm[1]",
            "allowed: 0..1022",
        ),
        (calibrated_text("tau_syn: [0.64]"), 9, "calibration.targets.tau_syn[0]", "needs a unit"),
        (
            calibrated_text(chip=str(CHIPS / "tutorial.yaml")),
            7,
            "calibration.calibrate",
            "no 'uncalibrated' section",
        ),
        (
            calibrated_text().replace("calibrate: true", "calibrate: 1"),
            7,
            "calibration.calibrate",
            "true or false",
        ),
    ],
)
def test_bad_calibrated_sweep_files_are_located(text, line, path, words):
    assert_located(text, line, path, words)


def test_calibrated_cells_take_target_fields_and_have_their_own_keys():
    calibrated = loads_spec(calibrated_text("tau_syn: [0.64 us, 1 us]\n    leak: [110, 120]"))
    assert calibrated.calibrate and calibrated.target_names == ("tau_syn", "leak")
    assert [a.unit for a in calibrated.axes if a.kind == "target"] == ["s", ""]
    assert [c.params["tau_syn"] for c in calibrated.cells()][::2] == [
        parse_quantity("0.64 us", "time"),
        parse_quantity("1 us", "time"),
    ]
    # the same chip, profile and knob values as a plain sweep: other cells
    text = calibrated_text("i_synin_gm: [300, 450]")
    plain = loads_spec(text.replace("  calibrate: true\n", ""))
    assert not plain.calibrate
    assert [c.params for c in plain.cells()] == [c.params for c in loads_spec(text).cells()]
    assert not {c.key for c in plain.cells()} & {c.key for c in loads_spec(text).cells()}


def test_a_calibrated_sweep_runs_each_cell_on_the_chip_calibrated_for_its_target(
    tmp_path, monkeypatch
):
    """A cell's chip is the chip instance calibrated (through the cache) for the profile taken
    as a target with the cell's fields; a calibration that failed for some instances shows in
    the row's warnings and in the summary."""
    import dataclasses

    from chipsim.calibration import CalibrationWarning, HagenCalibTarget
    from chipsim.sweep import report

    monkeypatch.setenv("CHIPSIM_CACHE_DIR", str(tmp_path / "cache"))
    spec = loads_spec(calibrated_text("tau_syn: [0.64 us]\n    i_synin_gm: [225]"))
    result = run(spec, tmp_path / "out", serial=True)
    (row,) = read_results(tmp_path / "out")
    assert row["error"] is None and row["warnings"] is None, row
    # the same calibration, now from the cache, and the same experiment on its chip
    fields = dict(tau_syn="0.64 us", i_synin_gm=225)
    calibration = chipsim.calibrate("bss2", target="default", seed=0, **fields)
    assert calibration.target == HagenCalibTarget().with_overrides(**fields)
    chip = chipsim.load("bss2", calibration=calibration, seed=0)
    k, m = chip.tile_shape
    y = chip.matmul(np.full((4, k), 12), np.full((k, m), 21), wait_between_events=5, noise_seed=0)
    assert (row["mean"], row["std"]) == (float(y.mean()), float(y.std()))
    assert "calibrated (chipsim.calibrate, cached) for the profile 'default'" in report.summary(
        result
    )

    # an instance the calibration failed for
    success = dict(calibration.success)
    success["i_synin_gm_exc"] = success["i_synin_gm_exc"].copy()
    success["i_synin_gm_exc"].flat[0] = False
    failed = dataclasses.replace(calibration, success=success)
    monkeypatch.setattr("chipsim.calibration.calibrate", lambda *a, **k: failed)
    result = run(spec, tmp_path / "failed", serial=True)
    (row,) = read_results(tmp_path / "failed")
    assert row["error"] is None and CalibrationWarning.__name__ in row["warnings"]
    assert "i_synin_gm_exc 1" in row["warnings"]
    assert "the calibration failed for some instances in 1 of 1 cells: 0 (column" in report.summary(
        result
    )
