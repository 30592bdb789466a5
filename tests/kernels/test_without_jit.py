"""The small kernel tests also pass with ``NUMBA_DISABLE_JIT=1``, so the kernel lines run as
plain Python (and count for coverage measured that way)."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMALL = [
    "test_circuit.py",
    "test_validation.py",
    "test_closed_forms.py",
    "test_rng.py::test_lowbias32_is_a_bijection_on_a_block",
    "test_rng.py::test_lowbias32_in_uint32_arithmetic_is_lowbias32",
    "test_fma.py::test_fma32_rounds_once_plain_and_compiled",
    "test_rng.py::test_the_compiled_pair_is_the_plain_python_pair",
    "test_rng.py::test_pairs_are_float64_box_muller_of_the_same_bits_extremes",
    "test_rng.py::test_fill_normals_is_normal_pair_of_the_counters",
    "test_rng.py::test_a_fill_is_a_prefix_of_a_longer_fill",
    "test_noise.py::test_noise_switches",
    "test_determinism.py::test_tiny_batch_vs_chunks_of_seven",
    "test_flicker_last.py::test_one_draw_mean_uses_the_residual_counter",
    "test_synin.py::test_lines_are_exact_leaky_integrators_of_rectangular_pulses",
    "test_synin.py::test_one_pulse_gain_and_signed_columns",
    "test_synin.py::test_bad_arguments_name_what_and_how",
]


def test_small_kernel_tests_pass_with_the_jit_disabled():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        *[str(HERE / s) for s in SMALL],
    ]
    res = subprocess.run(
        cmd, env=env, capture_output=True, text=True, cwd=HERE.parents[1], timeout=600
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert " passed" in res.stdout and "skipped" not in res.stdout


def test_the_subprocess_really_runs_without_jit():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    code = "import kernels.half as h; print(hasattr(h.simulate_batch, 'py_func'))"
    res = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=HERE.parents[1],
        timeout=120,
        check=True,
    )
    assert res.stdout.strip() == "False"
