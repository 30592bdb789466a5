"""The command line as a user meets it: one dialect, the version, chips by name from any folder
(also from a non-editable install), output folders that are checked before the work and written
atomically, and one exit-code convention across the commands."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import chipsim
import hwdesc
from chipsim.commands.cli import UsageError, main
from chipsim.commands.output import OutputFolder

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = hwdesc.CHIPS_DIR / "tutorial.yaml"
SLOW_COMMANDS = (
    ["validate-model", "tutorial"],
    ["characterize", "tutorial"],
    ["study", "transfer"],
)


def one_line_error(err: str, command: str) -> str:
    """The single line of an error message (a hint may follow on an indented line)."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"chipsim {command}: error: "), err
    assert all(line.startswith("  hint: ") for line in lines[1:]), err
    return lines[0]


# ---- version ---------------------------------------------------------------------------------


def test_version_is_single_sourced(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"chipsim {chipsim.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chipsim.__version__)
    from importlib.metadata import version

    assert version("chipsim") == chipsim.__version__  # the installed metadata reads the same
    text = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and 'attr = "chipsim.__version__"' in text


# ---- chips by name ---------------------------------------------------------------------------


def test_list_chips_and_names_from_another_folder(tmp_path):
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.run(
        [sys.executable, "-m", "chipsim", "list-chips"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    names = [line.split()[0] for line in run.stdout.splitlines() if not line.startswith(" ")]
    assert names == ["bss2", "bss2-synin", "tutorial"]
    assert f"{hwdesc.CHIPS_DIR / 'bss2.yaml'}" in run.stdout
    code = "import chipsim; c = chipsim.load('bss2', seed=1); print(c.name, c.tile_shape)"
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.strip() == "bss2 (128, 256)"


def test_commands_take_chip_names_from_any_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "tutorial"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("tutorial: OK")
    assert main(["simulate", "tutorial", "--batch", "3", "--quiet"]) == 0
    assert "chip          tutorial" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "chipsim-out").iterdir()) == [
        "figure.png",
        "results.npz",
        "trace.json",
        "trace.pftrace",
    ]


def test_chips_by_name_after_a_non_editable_install(tmp_path):
    """A wheel (not the source tree) carries the chips: install it into a folder of its own and
    load a chip by name from an unrelated folder."""
    import shutil

    wheels, site, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    source = tmp_path / "source"  # a copy: building leaves build/ and egg-info in the source tree
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
            "chipsim-*",
            "tests",
            "docs",
            "benchmarks",
        ),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", str(source), "-w", str(wheels)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("chipsim-*.whl")
    assert wheel.name.startswith(f"chipsim-{chipsim.__version__}-")
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    assert sorted(p.name for p in (site / "hwdesc" / "chips").glob("*.yaml")) == [
        "bss2-synin.yaml",
        "bss2.yaml",
        "tutorial.yaml",
    ]
    code = (
        "import chipsim, hwdesc; c = chipsim.load('bss2'); "
        "print(chipsim.__file__); print(hwdesc.builtin_chips()['bss2']); print(c.tile_shape)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(site)},
    )
    module, chip_file, shape = run.stdout.strip().splitlines()
    assert Path(module).is_relative_to(site) and Path(chip_file).is_relative_to(site)
    assert shape == "(128, 256)"


# ---- the output folder -----------------------------------------------------------------------


def test_output_folder_refuses_what_cannot_be_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("x")
    full = tmp_path / "full"
    full.mkdir()
    (full / "old.txt").write_text("old")
    cases = {
        "a-file": "--out a-file: is a file, not a folder; give the path of a folder",
        "a-file/sub/out": f"--out a-file/sub/out: {tmp_path / 'a-file'} is a file, so no folder "
        "can be made under it; give a path outside it",
        "full": "--out full: the folder exists and is not empty (1 entries); add --force to "
        "replace it, or give another folder",
        ".": "--out .: is the current folder or holds it; give a new folder, e.g. --out results",
        "": "--out: empty folder name; give a folder, e.g. --out results",
    }
    for text, message in cases.items():
        with pytest.raises(UsageError) as info:
            OutputFolder.check(text)
        assert str(info.value) == message
    assert OutputFolder.check("full", force=True).path == Path("full")
    assert OutputFolder.check("new/deeper").path == Path("new/deeper")
    assert sorted(os.listdir(tmp_path)) == ["a-file", "full"]  # the checks create nothing


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="root may write into a read-only folder; the "
    "unwritable-place case is covered by test_output_folder_in_an_unwritable_place",
)
def test_output_folder_in_a_read_only_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with pytest.raises(UsageError, match=r"cannot write in .*locked \(Permission denied\)"):
            OutputFolder.check(locked / "out")
    finally:
        locked.chmod(0o755)


def test_output_folder_in_an_unwritable_place():
    """A place where not even root may write: sysfs (read-only for everyone)."""
    place = Path("/sys")
    try:
        os.rmdir(__import__("tempfile").mkdtemp(dir=place))
    except OSError:
        pass
    else:  # pragma: no cover - an unusual system
        pytest.skip("/sys is writable here")
    with pytest.raises(UsageError, match=r"--out /sys/chipsim-out: cannot write in /sys \("):
        OutputFolder.check("/sys/chipsim-out")


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_writing_is_atomic_and_force_replaces_the_whole_folder(tmp_path):
    target = tmp_path / "deep" / "out"
    out = OutputFolder.check(target)
    with out.writing() as folder:
        assert folder.parent == target.parent and folder.name.startswith(".out.partial-")
        (folder / "a.txt").write_text("first")
        (folder / "b.txt").write_text("first")
        assert not target.exists()  # nothing visible until the block completes
    assert _files(target) == {"a.txt": "first", "b.txt": "first"}
    with pytest.raises(UsageError, match="--force"):
        OutputFolder.check(target)
    with OutputFolder.check(target, force=True).writing() as folder:
        (folder / "a.txt").write_text("second")
    assert _files(target) == {"a.txt": "second"}  # b.txt of the first run is gone: never mixed
    assert sorted(os.listdir(target.parent)) == ["out"]


@pytest.mark.parametrize(
    "interruption", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()]
)
def test_an_interrupted_write_leaves_the_previous_result_untouched(tmp_path, interruption):
    target = tmp_path / "out"
    target.mkdir()
    (target / "results.txt").write_text("previous")
    (target / "figure.txt").write_text("previous")
    with pytest.raises(type(interruption)):
        with OutputFolder.check(target, force=True).writing() as folder:
            (folder / "results.txt").write_text("new, complete")
            (folder / "figure.txt").write_text("new, trunc")
            raise interruption
    assert _files(target) == {"results.txt": "previous", "figure.txt": "previous"}
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no temporary folder left behind


def test_a_failed_first_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputFolder.check(tmp_path / "a" / "b" / "out").writing() as folder:
            (folder / "x").write_text("x")
            raise RuntimeError("writer failed")
    assert os.listdir(tmp_path) == []  # not even the parents it made


def test_temporary_folders_of_dead_processes_are_cleaned(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stale = tmp_path / f".out.partial-{dead}-abc123"
    stale.mkdir()
    (stale / "half.npz").write_text("x")
    mine = tmp_path / f".out.partial-{os.getpid()}-zzz"  # a live process: left alone
    mine.mkdir()
    with OutputFolder.check(tmp_path / "out").writing() as folder:
        (folder / "a").write_text("a")
    assert sorted(os.listdir(tmp_path)) == [mine.name, "out"]


# ---- commands: outputs -----------------------------------------------------------------------


def test_simulate_refuses_to_mix_runs_and_force_replaces(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["simulate", "tutorial", "--batch", "4", "--quiet", "--out", str(out)]
    assert main(args) == 0
    first = np.load(out / "results.npz")["outputs"].copy()
    capsys.readouterr()
    assert main(args + ["--noise-seed", "5"]) == 2
    line = one_line_error(capsys.readouterr().err, "simulate")
    assert line.endswith(
        "the folder exists and is not empty (4 entries); add --force to "
        "replace it, or give another folder"
    )
    np.testing.assert_array_equal(np.load(out / "results.npz")["outputs"], first)
    (out / "notes.txt").write_text("mine")
    assert main(args + ["--noise-seed", "5", "--force"]) == 0
    assert sorted(os.listdir(out)) == ["figure.png", "results.npz", "trace.json", "trace.pftrace"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize(
    "interruption, code, message",
    [
        (OSError(errno.ENOSPC, "No space left on device"), 1, "No space left on device"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_simulate_interrupted_while_writing(
    tmp_path, capsys, monkeypatch, interruption, code, message
):
    """The figure writer fails after results.npz and trace.json are written: the previous run's
    files stay as they were and no partial folder remains."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.npz").write_bytes(b"previous run")
    (out / "figure.png").write_bytes(b"previous figure")
    import chipsim.commands.figures as figures

    def failing_figure(path, **kwargs):
        assert (path.parent / "results.npz").stat().st_size > 0  # midway through the writing
        if isinstance(interruption, OSError):
            raise OSError(interruption.errno, interruption.strerror, str(path))
        raise interruption

    monkeypatch.setattr(figures, "simulation_figure", failing_figure)
    assert (
        main(["simulate", "tutorial", "--batch", "4", "--quiet", "--out", str(out), "--force"])
        == code
    )
    err = capsys.readouterr().err
    if code == 1:
        assert one_line_error(err, "simulate") == (
            f"chipsim simulate: error: {out / 'figure.png'}: No space left on device"
        )
    else:
        assert err.strip() == message
    assert (out / "results.npz").read_bytes() == b"previous run"
    assert (out / "figure.png").read_bytes() == b"previous figure"
    assert sorted(os.listdir(out)) == ["figure.png", "results.npz"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


@pytest.mark.parametrize("command", [["simulate", "tutorial"], *SLOW_COMMANDS])
def test_bad_out_is_refused_before_any_work(tmp_path, capsys, monkeypatch, command):
    """Every command checks --out when it reads its arguments: nothing is computed (the chip is
    never built), the message is one line, the exit code 2."""
    monkeypatch.setattr(chipsim.Chip, "__post_init__", lambda self: pytest.fail("work started"))
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file", tmp_path / "file" / "below"):
        assert main([*command, "--out", str(out)]) == 2
        one_line_error(
            capsys.readouterr().err, " ".join(command[: 1 if command[0] != "study" else 2])
        )


# ---- commands: exit codes --------------------------------------------------------------------

ALL_COMMANDS = (["check"], ["simulate"], ["validate-model"], ["characterize"])


@pytest.mark.parametrize("command", ALL_COMMANDS + (["study", "transfer"],), ids=" ".join)
def test_exit_codes_are_the_same_across_commands(tmp_path, capsys, command):
    name = " ".join(command)
    bad = tmp_path / "bad.yaml"
    bad.write_text(TUTORIAL.read_text().replace("    c_syn: 0.2 pF", "    c_syn: 5 ns"))
    # a chip that is neither a file nor a built-in name: usage error
    assert main([*command, "bsss2"]) == 2
    line = one_line_error(capsys.readouterr().err, name)
    assert line == f"chipsim {name}: error: bsss2: no such file"
    # a chip description that does not validate: the command failed
    assert main([*command, str(bad)]) == 1
    assert "'5 ns' is a time, but a capacitance is expected here" in capsys.readouterr().err
    # an option value argparse refuses: usage error
    option = ["--chip-seeds", "x"] if command[0] == "study" else ["--calibration"]
    with pytest.raises(SystemExit) as exc:
        main([*command, "tutorial", *option])
    assert exc.value.code == 2
    capsys.readouterr()
    if command[0] in ("simulate", "validate-model", "characterize"):
        assert main([*command, "tutorial", "--calibration", "fastest"]) == 2
        assert one_line_error(capsys.readouterr().err, name) == (
            f"chipsim {name}: error: --calibration fastest: the chip tutorial has no calibration "
            "profile 'fastest' and there is no calibration file of that name; its profiles: "
            "default, custom"
        )


def test_simulate_input_files_are_usage_errors(tmp_path, capsys, monkeypatch):
    (tmp_path / "x.txt").write_text("1 2 3\n")
    np.save(tmp_path / "x.npy", np.full((2, 8), 40))
    np.save(tmp_path / "w.npy", np.ones((8, 2)))
    np.save(tmp_path / "w5.npy", np.ones((5, 2)))
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    cases = [
        (
            ["--inputs", "x.txt", "--weights", "w.npy"],
            "--inputs x.txt: not a .npy file (it does not "
            "start with NumPy's magic bytes); save the array with numpy.save(path, array)",
        ),
        (
            ["--inputs", "obj.npy", "--weights", "w.npy"],
            "--inputs obj.npy: not a readable .npy "
            "array (it holds Python objects, which are not loaded); save a numeric array with "
            "numpy.save(path, array)",
        ),
        (["--inputs", "x.npy", "--weights", "w.npy"], "--inputs x.npy: value 40 at index (0, 0)"),
        (
            ["--inputs", "w.npy", "--weights", "w5.npy"],
            "--inputs has 2 inputs per vector but --weights has 5 rows: they must match",
        ),
    ]
    monkeypatch.chdir(tmp_path)
    for extra, message in cases:
        assert main(["simulate", "tutorial", "--out", "o", *extra]) == 2
        line = one_line_error(capsys.readouterr().err, "simulate")
        assert line.startswith(f"chipsim simulate: error: {message}"), (
            line
        )  # the rule's wording may add detail
    assert not (tmp_path / "o").exists()


def test_help_texts_have_no_format_leftovers():
    from chipsim.commands.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    helps = {name: p.format_help() for name, p in sub.choices.items()}
    helps["study transfer"] = (
        sub.choices["study"]._subparsers._group_actions[0].choices["transfer"].format_help()
    )
    for name, text in helps.items():
        assert "%%" not in text and "%(" not in text, name
    for name in ("simulate", "validate-model", "characterize", "study transfer"):
        for option in ("--out FOLDER", "--force", "--quiet"):
            assert option in helps[name], (name, option)
    for name in ("simulate", "validate-model", "characterize"):
        for option in ("--chip-seed N", "--noise-seed N", "--calibration PROFILE"):
            assert option in helps[name], (name, option)
        assert "--seed " not in helps[name]


# ---- first run: the compile notice -----------------------------------------------------------


def test_kernels_cached_reads_numbas_cache(tutorial, tmp_path):
    from chipsim.commands.compile_notice import kernels_cached

    tutorial.matmul(np.ones((1, 8)), np.ones((8, 8)), noise_seed=0)  # compiled or loaded now
    assert kernels_cached() and kernels_cached("membrane")
    code = (
        "from chipsim.commands.compile_notice import kernels_cached; "
        "print(kernels_cached('membrane'), kernels_cached('synaptic_input'))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert run.stdout.split() == ["False", "False"]  # an empty cache: the kernels would compile
    with pytest.raises(ValueError, match="readout must be one of membrane, synaptic_input"):
        kernels_cached("synin")


def test_each_readout_is_cached_on_its_own(tmp_path):
    """A run of one readout compiles its own kernel only: the notice of the other one still
    says that it will compile, and the first one's stays quiet."""
    code = (
        "import numpy as np, chipsim\n"
        "from chipsim.commands.compile_notice import kernels_cached\n"
        "chipsim.load('tutorial').matmul(np.ones((1, 8)), np.ones((8, 8)), noise_seed=0)\n"
        "print(kernels_cached('membrane'), kernels_cached('synaptic_input'))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert run.stdout.split() == ["True", "False"]


@pytest.mark.parametrize("cached", [True, False])
def test_compile_notice_only_when_not_cached(monkeypatch, cached):
    import io

    from chipsim.commands import compile_notice as cn

    monkeypatch.setattr(cn, "kernels_cached", lambda readout="membrane": cached)
    stream = io.StringIO()
    with cn.compile_notice(stream=stream) as announced:
        pass
    assert announced is (not cached)
    if cached:
        assert stream.getvalue() == ""
    else:  # not a terminal: no spinner, one line finished with the time taken
        assert re.fullmatch(re.escape(cn.NOTICE) + r" \.\.\. done in \d+ s\n", stream.getvalue())
    stream = io.StringIO()
    with pytest.raises(KeyboardInterrupt), cn.compile_notice(stream=stream):
        raise KeyboardInterrupt
    assert stream.getvalue() == ("" if cached else f"{cn.NOTICE} ... stopped\n")


def test_study_without_torch_gives_a_cpu_only_hint(monkeypatch, capsys, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert main(["study", "transfer", "--quick", "--out", str(tmp_path / "o")]) == 2
    line = one_line_error(capsys.readouterr().err, "study transfer")
    assert "(torch not installed)" in line
    assert "pip install torch --index-url https://download.pytorch.org/whl/cpu" in line
    assert not (tmp_path / "o").exists()


def test_compile_notice_spins_on_a_terminal(monkeypatch):
    import io
    import time

    from chipsim.commands import compile_notice as cn

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(cn, "kernels_cached", lambda readout="membrane": False)
    stream = Terminal()
    with cn.compile_notice(stream=stream):
        time.sleep(0.8)
    text = stream.getvalue()
    frames = re.findall(re.escape(cn.NOTICE) + r" ([|/\\-]) (\d+) s ", text)
    assert len(frames) >= 2 and frames[0][0] == "|" and frames[1][0] == "/"  # it turns
    assert text.endswith(f"\r{cn.NOTICE}: done in 1 s    \n") or text.endswith(
        f"\r{cn.NOTICE}: done in 0 s    \n"
    )
    quiet = Terminal()
    with cn.compile_notice(stream=quiet, quiet=True):
        time.sleep(0.3)
    assert re.fullmatch(re.escape(cn.NOTICE) + r" \.\.\. done in \d+ s\n", quiet.getvalue())
