"""Hostile arguments and descriptions, each of which must be refused quickly with a message that
names what to change. Run as a script (the tests run it under an address-space limit):

    python tests/chipsim/hostile_cases.py [--table]

prints one JSON line per case: name, seconds to the refusal, the exception type (API cases) or
exit code (command cases), whether a traceback was printed, and the message. ``--table`` prints
a Markdown table instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BSS2 = (ROOT / "hwdesc" / "chips" / "bss2.yaml").read_text()


def _yaml(tmp: Path, name: str, text: str) -> str:
    path = tmp / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def _edit(old: str, new: str, text: str = BSS2) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def cases(tmp: Path):
    """(name, kind, callable or argv, substring the message must hold)."""
    import chipsim

    chip = chipsim.load(ROOT / "hwdesc" / "chips" / "bss2.yaml")
    x2, w = np.ones((2, 128), np.int64), np.ones((128, 256), np.int64)
    huge = _yaml(
        tmp,
        "huge",
        _edit(
            "  halves: 2 ",
            "  halves: 16 ",
            _edit("  rows: 256 ", "  rows: 65536 ", _edit("  columns: 256 ", "  columns: 65536 ")),
        ),
    )
    long_wait = _yaml(
        tmp,
        "long_wait",
        _edit(
            "{name: post_events, kind: wait, duration: 1 us}",
            "{name: post_events, kind: wait, duration: 999 ms}",
        ),
    )
    tiny_dt = _yaml(tmp, "tiny_dt", _edit("  dt: 32 ns ", "  dt: 1 as "))
    tiny_dt_exotic = _yaml(
        tmp,
        "tiny_dt_exotic",
        _edit("  dt: 32 ns ", "  dt: 1 as ")
        + ('exotic:\n  analog.dt: "an attosecond step, declared on purpose"\n'),
    )
    v_lin = _yaml(tmp, "v_lin", _edit("v_lin: 185 mV ", "v_lin: 1e300 V "))
    v_lo = _yaml(tmp, "v_lo", _edit("v_lo: 0 V ", "v_lo: -1e300 V "))
    fifo = tmp / "fifo.yaml"
    os.mkfifo(fifo)
    big = tmp / "big.yaml"
    with open(big, "wb") as fh:  # 70 MB, sparse: only the limit's worth is ever read
        fh.write(b"schema_version: 1\n")
        fh.truncate(70 * 2**20)
    bss2 = str(ROOT / "hwdesc" / "chips" / "bss2.yaml")
    return [
        (
            "matmul wait_between_events=10**9",
            "api",
            lambda: chip.matmul(x2, w, wait_between_events=10**9),
            "wait_between_events <= ",
        ),
        (
            "matmul wait_between_events=2**60",
            "api",
            lambda: chip.matmul(x2, w, wait_between_events=2**60),
            "wait_between_events(=1152921504606846976)",
        ),
        (
            "matmul wait_between_events=2**50",
            "api",
            lambda: chip.matmul(x2, w, wait_between_events=2**50),
            "wait_between_events(=1125899906842624)",
        ),
        (
            "matmul num_sends=2**20",
            "api",
            lambda: chip.matmul(x2, w, num_sends=2**20),
            "num_sends <= ",
        ),
        (
            "matmul num_sends=2**24",
            "api",
            lambda: chip.matmul(x2, w, num_sends=2**24),
            "num_sends <= ",
        ),
        (
            "matmul x = broadcast_to(x[0], (10**8, 128))",
            "api",
            lambda: chip.matmul(np.broadcast_to(x2[0], (10**8, 128)), w),
            "x of shape (100000000, 128)",
        ),
        (
            "run: traces of 4 vectors x 256 columns at wait 70000",
            "api",
            lambda: chip.run(
                np.ones((4, 128)),
                w,
                wait_between_events=70000,
                record_vectors=range(4),
                record_columns=range(256),
            ),
            "record fewer vectors or columns",
        ),
        (
            "run: chunk_size=10**6 of 10**6 vectors, num_sends=64",
            "api",
            lambda: chip.run(
                np.broadcast_to(np.ones(128, np.int8), (10**6, 128)),
                w,
                num_sends=64,
                chunk_size=10**6,
            ),
            "lower chunk_size",
        ),
        (
            "Chip: 16 halves of 65536 x 65536",
            "api",
            lambda: chipsim.load(huge),
            "the fixed pattern",
        ),
        (
            "Chip: a 999 ms wait after the events",
            "api",
            lambda: chipsim.load(long_wait),
            "integration steps",
        ),
        ("load: dt: 1 as", "api", lambda: chipsim.load(tiny_dt), "`analog.dt`"),
        (
            "load: dt: 1 as, declared exotic",
            "api",
            lambda: chipsim.load(tiny_dt_exotic),
            "lengthen analog.dt",
        ),
        (
            "load: v_lin: 1e300 V",
            "api",
            lambda: chipsim.load(v_lin),
            "`analog.synaptic_input.v_lin`",
        ),
        ("load: adc.v_lo: -1e300 V", "api", lambda: chipsim.load(v_lo), "`analog.adc.v_lo`"),
        ("chipsim check /dev/zero", "cli", ["check", "/dev/zero"], "character device"),
        ("chipsim check FIFO", "cli", ["check", str(fifo)], "named pipe"),
        ("chipsim check 70 MB YAML", "cli", ["check", str(big)], "CHIPSIM_MAX_DESCRIPTION_BYTES"),
        ("chipsim check 16 halves of 65536 x 65536", "cli", ["check", huge], "the fixed pattern"),
        ("chipsim check 999 ms wait", "cli", ["check", long_wait], "integration steps"),
        (
            "chipsim simulate --batch 100000000",
            "cli",
            ["simulate", bss2, "--batch", "100000000", "--out", str(tmp / "out")],
            "lower --batch",
        ),
        (
            "chipsim simulate --batch 2 --wait 1000000",
            "cli",
            ["simulate", bss2, "--batch", "2", "--wait", "1000000", "--out", str(tmp / "out")],
            "--wait <= ",
        ),
        (
            "chipsim simulate --num-sends 1048576",
            "cli",
            ["simulate", bss2, "--num-sends", "1048576", "--out", str(tmp / "out")],
            "--num-sends <= ",
        ),
        (
            "chipsim simulate --wait 2**60",
            "cli",
            ["simulate", bss2, "--wait", str(2**60), "--out", str(tmp / "out")],
            "--wait(=1152921504606846976)",
        ),
        (
            "chipsim validate-model --waits 1000000000",
            "cli",
            ["validate-model", bss2, "--waits", "1000000000", "--out", str(tmp / "out")],
            "--waits <= ",
        ),
        (
            "chipsim characterize --repeats 1000000000",
            "cli",
            ["characterize", bss2, "--repeats", "1000000000", "--out", str(tmp / "out")],
            "lower --repeats",
        ),
        (
            "chipsim study transfer --chip-seeds 0-100000000",
            "cli",
            ["study", "transfer", bss2, "--chip-seeds", "0-100000000", "--out", str(tmp / "out")],
            "pass fewer --chip-seeds",
        ),
    ]


def run_case(kind, action) -> dict:
    from chipsim.commands.cli import main

    err, out = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    record = {}
    if kind == "api":
        try:
            action()
            record = {"outcome": "accepted", "message": ""}
        except Exception as exc:
            record = {
                "outcome": type(exc).__name__,
                "message": str(exc),
                "value_error": isinstance(exc, ValueError),
            }
    else:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(action)
            except SystemExit as exc:
                code = exc.code
        record = {
            "outcome": f"exit {code}",
            "message": err.getvalue().strip(),
            "code": code,
            "traceback": "Traceback" in err.getvalue() + out.getvalue(),
        }
    record["seconds"] = round(time.perf_counter() - t0, 3)
    return record


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, action, expect in cases(Path(tmp)):
            record = run_case(kind, action)
            record.update(name=name, kind=kind, expect=expect)
            if "--table" in sys.argv:
                msg = re.sub(r"\s+", " ", record["message"]).replace("|", "\\|")
                print(
                    f"| {name} | {record['seconds']:.2f} | {record['outcome']} | {msg} |",
                    flush=True,
                )
            else:
                print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
