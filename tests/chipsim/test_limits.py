"""Work estimates and limits: exact figures, refusals of hostile arguments (in a subprocess under an
address-space limit), and the estimate as an upper bound of the measured peak memory."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chipsim
from chipsim import limits

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).with_name("hostile_cases.py")
#: Address space granted to the hostile cases: a few GiB, far below what any of them would take.
ADDRESS_SPACE = 4 * 2**30
#: Seconds within which each case must be refused (they take well under one on an idle machine).
REFUSED_WITHIN = 5.0


def _limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHIPSIM_MAX")}
    env["PYTHONPATH"] = str(ROOT)
    return env


# ---- exact figures -------------------------------------------------------------------------------


def test_steps_of_a_full_bss2_vector(bss2):
    # read window: settle_reset 4 us + pre_events 1 us (625 cycles), events bound 128 x 5 +
    # 1 x (128 x 2 + 2) = 898 cycles, post_events 1 us (125), link latency 8 cycles: 1656 cycles
    # = 13.248 us, plus the 8 ns driver latency = 13.256 us -> 415 steps of 32 ns (414.25
    # rounded up); baseline window reset_baseline + settle_baseline = 5 us -> 157 steps (156.25
    # rounded up); plus one step each
    assert bss2.description.analog.dt == 32e-9
    assert limits.steps_per_vector(bss2.description, 128, 1, 5) == 415 + 157 + 2
    est = limits.estimate_run(bss2.description, (100, 300), (300, 400))
    assert est.steps_per_vector == 574
    # every one of the 300 inputs sends (at most) one event per output tile (2 of 256 columns)
    assert est.events == 100 * 300 * 2
    assert est.memory["the outputs"][0] == 100 * 400 * 4 + 100 * 16


def test_estimate_scales_with_the_arguments(bss2):
    base = limits.estimate_run(bss2.description, (64, 128), (128, 256))
    more = limits.estimate_run(
        bss2.description, (64, 128), (128, 256), num_sends=3, wait_between_events=50
    )
    assert more.events == 3 * base.events
    assert more.steps_per_vector > base.steps_per_vector
    assert more.seconds > base.seconds
    traced = limits.estimate_run(
        bss2.description, (64, 128), (128, 256), record_vectors=2, record_columns=4
    )
    assert traced.memory["the traces"][0] == 2 * 4 * (24 * 576 + 16) + 2 * 8 * 576


def test_max_wait_for_steps_is_the_boundary(bss2):
    desc = bss2.description
    top = limits.max_wait_for_steps(desc, 128, 1, 10**6)
    assert (
        limits.steps_per_vector(desc, 128, 1, top)
        <= 10**6
        < limits.steps_per_vector(desc, 128, 1, top + 1)
    )
    sends = limits.max_sends_for_steps(desc, 128, 5, 10**6)
    assert (
        limits.steps_per_vector(desc, 128, sends, 5)
        <= 10**6
        < limits.steps_per_vector(desc, 128, sends + 1, 5)
    )


def test_check_command_reports_the_work(capsys):
    from chipsim.commands.cli import main

    assert main(["check", str(ROOT / "hwdesc" / "chips" / "bss2.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "integration steps of a full vector at wait_between_events 5, num_sends 1: 574 of dt = 32 ns"
        in out
    )
    assert (
        "wait_between_events <= 312,487 at num_sends 1, num_sends <= 44,641 at wait_between_events 5"
        in out
    )
    parts = limits.description_parts(
        chipsim.load(ROOT / "hwdesc" / "chips" / "bss2.yaml").description
    )
    # synapse factors, draw temporaries, per-row and per-column arrays, and the ADC threshold
    # tables (2 quadrants x 255 thresholds per half, kept for 2 halves plus 2 while drawn)
    assert parts["pattern_bytes"] == (
        2 * 256 * 256 * 8 + 3 * 256 * 256 * 8 + 64 * 2 * 256 + 128 * 2 * 256 + 4 * 2 * 255 * 8
    )


# ---- limits: defaults, environment, override -----------------------------------------------------


def test_limits_from_environment_and_override(monkeypatch, tutorial):
    monkeypatch.setenv(limits.ENV_MEMORY, "512M")
    monkeypatch.setenv(limits.ENV_STEPS, "1000")
    monkeypatch.setenv(limits.ENV_SECONDS, "60")
    lim = limits.current()
    assert (lim.memory_bytes, lim.steps_per_vector, lim.seconds) == (512 * 2**20, 1000, 60.0)
    assert lim.memory_source == limits.ENV_MEMORY
    with limits.override(memory="1K", steps_per_vector=5) as inner:
        assert (inner.memory_bytes, inner.steps_per_vector) == (1024, 5)
        with pytest.raises(
            limits.WorkLimitError, match=r"more than the limit of 5 steps per vector"
        ):
            tutorial.matmul(np.ones((1, 8)), np.ones((8, 8)))
    assert limits.current().memory_bytes == 512 * 2**20
    monkeypatch.setenv(limits.ENV_MEMORY, "lots")
    with pytest.raises(ValueError, match=re.escape("CHIPSIM_MAX_MEMORY='lots' is not a size")):
        limits.current()


def test_default_memory_limit_is_the_available_memory(monkeypatch):
    monkeypatch.delenv(limits.ENV_MEMORY, raising=False)
    avail, source = limits.available_memory()
    lim = limits.current()
    assert lim.memory_source == source
    assert abs(lim.memory_bytes - avail) < 0.2 * avail  # the machine's figure, read again


def test_raised_limit_lets_long_waits_through(tutorial):
    x, w = np.ones((1, 8)), np.ones((8, 8))
    est = limits.estimate_call(tutorial.description, x, w, wait_between_events=20_000_000)
    with pytest.raises(limits.WorkLimitError) as err:
        est.check()
    assert err.value.quantity == "steps_per_vector" and err.value.value == est.steps_per_vector
    with limits.override(steps_per_vector=est.steps_per_vector, seconds=1e9, memory="1T"):
        assert est.check() is est


def test_outputs_of_a_huge_batch_are_refused_before_allocation(tutorial):
    x = np.broadcast_to(np.ones(8, np.int8), (10**9, 8))
    tracemalloc.start()
    try:
        with pytest.raises(
            limits.WorkLimitError, match=r"the outputs: .* for 1000000000 vectors x 8 outputs"
        ):
            with limits.override(memory="4G"):
                tutorial.matmul(x, np.ones((8, 8)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20


# ---- hostile arguments, under an address-space limit ---------------------------------------------


def test_hostile_cases_are_refused_quickly_and_clearly():
    proc = subprocess.run(
        [sys.executable, str(CASES)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_address_space,
        env=_clean_env(),
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(records) == 26
    for r in records:
        assert r["outcome"] != "accepted", r["name"]
        assert r["expect"] in r["message"], (r["name"], r["message"])
        assert r["seconds"] < REFUSED_WITHIN, (r["name"], r["seconds"])
        if r["kind"] == "api":
            assert r["value_error"], (r["name"], r["outcome"])
        else:
            assert r["code"] in (1, 2) and not r["traceback"], (r["name"], r["message"])
            assert len(r["message"].splitlines()) <= 2, r["message"]
        if "of memory" in r["message"]:  # the default limit follows the address-space limit
            assert "RLIMIT_AS" in r["message"], r["message"]


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["simulate", "bss2", "--batch", "100000000"], "lower --batch"),
        (["check", "/dev/zero"], "this is a character device, not a regular file"),
    ],
)
def test_command_line_refusals_print_no_traceback(argv, expect, tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "chipsim",
            *argv,
            *(["--out", str(tmp_path)] if argv[0] == "simulate" else []),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_address_space,
        env=_clean_env(),
        cwd=ROOT,
    )
    assert proc.returncode in (1, 2)
    assert expect in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"chipsim {argv[0]}: error: ")


# ---- the estimate bounds the measured peak ------------------------------------------------------

#: The stated factor: peak <= estimate <= FACTOR x peak + BYTES_OVERHEAD (docs/limits.md); the
#: workloads have 40 % zero inputs, which send no event but which the estimate must count.
FACTOR = 5


@pytest.fixture(scope="module")
def warm(tutorial):
    tutorial.matmul(np.ones((2, 8)), np.ones((8, 8)), noise_seed=0)  # compiled before measuring
    return tutorial


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.integers(1, 400),
    k=st.integers(1, 24),
    m=st.integers(1, 24),
    sends=st.integers(1, 3),
    wait=st.integers(0, 30),
    chunk=st.integers(1, 500),
    record=st.integers(0, 2),
    dtype=st.sampled_from(["int8", "int64", "float64", "list"]),
    seed=st.integers(0, 2**16),
)
def test_estimate_bounds_the_peak(warm, batch, k, m, sends, wait, chunk, record, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 32, (batch, k))
    x[rng.random(x.shape) < 0.4] = 0
    x = x.tolist() if dtype == "list" else x.astype(dtype)
    w = rng.integers(-63, 64, (k, m))
    rec = (
        {}
        if not record
        else {
            "record_vectors": list(range(min(record, batch))),
            "record_columns": list(range(min(2, m))),
        }
    )
    est = limits.estimate_call(
        warm.description,
        x,
        w,
        num_sends=sends,
        wait_between_events=wait,
        chunk_size=chunk,
        record_vectors=len(rec.get("record_vectors", [])),
        record_columns=len(rec.get("record_columns", [])),
    )
    # a first, unmeasured run: Numba compiles the specializations that these argument types
    # need on first use (about 1 MB of compiler objects once per process, not the run's memory)
    warm.run(x, w, num_sends=sends, wait_between_events=wait, chunk_size=chunk, noise_seed=1, **rec)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        result = warm.run(
            x, w, num_sends=sends, wait_between_events=wait, chunk_size=chunk, noise_seed=1, **rec
        )
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert result.outputs.shape == (batch, m)
    assert peak <= est.peak_bytes <= FACTOR * peak + limits.BYTES_OVERHEAD, (peak, est.memory)
