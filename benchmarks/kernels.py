"""Benchmark of the analog kernel: one full 128 x 256 tile (one half), batch 4096, full physics.

Workload (issue "Analog kernels"): weights uniform in -63..63, inputs uniform in 0..31 with half
of them zero, num_sends 1, wait_between_events 5 (40 ns), the bss2 window (reset, 5 us, event
phase, 1 us, ADC read; baseline read 5 us after its own reset), the integration step, the noise
block and all noise sources of the built-in bss2 chip (hwdesc/chips/bss2.yaml).

Prints tile-VMMs per second, million MACs per second (128 x 256 per VMM), the ratio to a NumPy
matmul of the same batch measured in the same run, the JIT cost separately (a first call with
an empty on-disk cache, compilation, and with a warm cache, loading, each in a fresh process),
and, in the same run, the accuracy of the kernel with the benchmarked settings against the
reference integrator (``tests/reference/integrator.py``, RK4 at 0.5 ns, noise off) on a fixed
set of cases: the benchmark tile itself, saturating and rail-driven dense inputs at wait 2 and
5, and the shipped bss2 values with every deterministic effect on. The accuracy bar is 0.25 LSB
RMS on the outputs of every case (model.md section 9), so speed cannot be bought silently with
error: the script exits with status 1 when a case misses it. Never fails on time.

    python benchmarks/kernels.py [--batch 4096] [--threads N] [--repeat 3] [--flicker PSD]
                                 [--vs-dt NS] [--vs-kernels DIR]

The noise is that of the built-in bss2 chip, its OTA flicker noise included (4 OU processes
from 1 us to 1 ms, held over 8 noise blocks); ``--flicker PSD`` sets the flicker's level
(V^2/Hz at 1 MHz; 0 switches it off) to measure its cost. ``--vs-dt NS`` times the kernel at
another integration step too (same noise block, same run) and prints the speed ratio.
``--vs-kernels DIR`` times another version of the kernels too, the ``kernels`` package in folder
``DIR`` (e.g. a checkout of an earlier commit), interleaved with this one in the same process,
and prints the speed ratio and the share of outputs that differ (a changed random stream
shows here). The times are CPU times of the process, so that a loaded machine slows both
alike; with more than one thread they add up the threads' time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

K, M = 128, 256
CYCLE = 8e-9
#: Largest output RMS error (LSB) against the reference integrator on any accuracy case.
ACCURACY_BAR = 0.25
#: Step of the reference integrator (s): converged (halving it changes < 1e-5 LSB).
REFERENCE_STEP = 0.5e-9
#: Per-column arguments of the kernel (sliced when a case takes some columns of the tile).
_COLUMN_ARGS = (
    "gm",
    "tau_syn",
    "i_offset",
    "v_rail_hi",
    "v_rail_lo",
    "adc_offset",
    "adc_lsb",
)


def workload(batch, seed=0):
    """(event CSR arrays, weights, inputs, keyword parameters) of the benchmark."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-63, 64, (K, M)).astype(np.int8)
    x = rng.integers(0, 32, (batch, K))
    x[rng.random((batch, K)) < 0.5] = 0
    t_first = 5e-6  # reset, wait 4 us, wait 1 us, then the event phase
    counts = np.count_nonzero(x, axis=1)
    ptr = np.zeros(batch + 1, np.int64)
    ptr[1:] = np.cumsum(counts)
    b_idx, rows = np.nonzero(x)
    pos = np.arange(rows.size) - ptr[b_idx]
    times = t_first + pos * 5 * CYCLE
    ev = (ptr, rows.astype(np.int32), x[b_idx, rows].astype(np.int32), times)
    t_read = t_first + (counts.max() - 1) * 5 * CYCLE + 1e-6
    kernel_cases, _ = _reference_modules()
    # the fixed pattern and circuit values of the kernel tests (model.md section 11, start values)
    p = kernel_cases.chip_params(
        K, M, seed=seed + 1, t_read=t_read, **_bss2_numerics(), noise_seed=1234
    )
    return ev, w, x, p


#: The workload's arguments that are not noise (the accuracy cases are noise-free).
_WORKLOAD_ARGS = (
    "syn_gain",
    "drv_gain",
    "drv_offset",
    *_COLUMN_ARGS,
    "dt",
    "t_lsb",
    "i_lsb",
    "c_syn",
    "c_m",
    "v_lin",
    "tau_leak",
    "v_reset",
    "v_leak",
    "v_adc_lo",
    "v_compliance",
    "t_read",
    "t_baseline",
)


def _bss2_numerics():
    """The integration step, the noise block and the temporal-noise values of the built-in bss2
    chip (hwdesc/chips/bss2.yaml), as kernel arguments."""
    import hwdesc

    root = os.path.dirname(os.path.dirname(os.path.abspath(hwdesc.__file__)))
    desc = hwdesc.load(os.path.join(root, "hwdesc", "chips", "bss2.yaml"))
    n = desc.noise
    return dict(
        dt=desc.analog.dt,
        noise_substeps=desc.noise_substeps,
        sigma_line=n.sigma_line,
        ota_noise_psd=n.ota_current_psd_per_gm,
        sigma_jitter=n.sigma_jitter,
        sigma_bias=n.sigma_bias,
        sigma_bias_common=n.sigma_bias_common,
        sigma_gm=n.sigma_gm,
        flicker_psd_1mhz=n.flicker.psd_at_1MHz,
        flicker_tau_min=n.flicker.tau_min,
        flicker_tau_max=n.flicker.tau_max,
        flicker_components=n.flicker.components,
        flicker_blocks=n.flicker.blocks,
        sigma_adc=n.sigma_adc,
        sigma_ramp=n.sigma_ramp,
    )


def _reference_modules():
    """The reference integrator and the case builders of the kernel tests
    (``tests/reference/integrator.py``, ``tests/kernels/kernel_cases.py``)."""
    import hwdesc  # the repository holding this package holds the tests (also for a copy of
    # this file run from elsewhere, see _first_call_seconds)

    root = os.path.dirname(os.path.dirname(os.path.abspath(hwdesc.__file__)))
    tests = os.path.join(root, "tests")
    for folder in (tests, os.path.join(tests, "kernels")):
        if folder not in sys.path:
            sys.path.append(folder)
    import kernel_cases
    from reference import integrator

    return kernel_cases, integrator


def accuracy_cases(kernel_cases):
    """The fixed accuracy cases: [(name, events, weights, parameters)], noise-free.

    The benchmark tile itself (3 vectors of its workload, 32 of its columns) and the
    cases of the reference tests that stress the integration most: dense large inputs at wait 2
    with two sends and doubled g_m (outputs far beyond the linear range, into the rails), the
    same-sign columns of wait 5 with two sends (rail-driven), and the shipped bss2 values at
    wait 2 with every deterministic effect (path imbalance, OTA offsets, bounded lines, leak
    levels, CADC thresholds)."""
    ev, w, _, p = workload(3)
    cols = np.arange(0, M, M // 32)
    tile = {key: value for key, value in p.items() if key in _WORKLOAD_ARGS}
    for key in _COLUMN_ARGS:
        tile[key] = tile[key][cols]
    tile["syn_gain"] = tile["syn_gain"][:, cols]
    kc = kernel_cases
    ev_s, w_s, p_s = kc.bss2_reference_case(5, m=8, n_b=2, wait=2, num_sends=2)
    return [
        ("benchmark tile (3 vectors, 32 of its columns)", ev, w[:, cols], tile),
        (
            "saturating: dense large inputs, wait 2, 2 sends, 2 g_m",
            *kc.reference_case(
                1, m=8, n_b=4, wait=2, num_sends=2, dens=1.0, act_lo=16, gm_factor=2.0
            ),
        ),
        (
            "rail-driven: dense large inputs, wait 5, 2 sends",
            *kc.reference_case(7, m=16, n_b=6, wait=5, num_sends=2, dens=1.0, act_lo=16),
        ),
        (
            "shipped bss2, wait 2, 2 sends, every deterministic effect",
            ev_s,
            w_s,
            kc.with_new_effects(p_s, 8, seed=3, v_line_max=0.2),
        ),
    ]


def accuracy(kernels, options):
    """Per accuracy case (name, output RMS error, membrane RMS error (LSB), seconds of the
    reference): the kernel with the benchmarked ``options`` (dt and friends) against the
    reference integrator, noise off."""
    kernel_cases, integrator = _reference_modules()
    rows = []
    for name, ev, w, p in accuracy_cases(kernel_cases):
        p = dict(p, **options)
        t0 = time.perf_counter()
        refine = max(16, round(p["dt"] / REFERENCE_STEP))
        ref = integrator.simulate_half_reference(*ev, w, p, refine=refine)
        seconds = time.perf_counter() - t0
        got = kernels.simulate_half(*ev, w, **dict(p, noise=False))
        out = float(np.sqrt(np.mean((got.output - ref["output"]) ** 2)))
        lsb = np.asarray(p["adc_lsb"])[None, :]
        mem = float(np.sqrt(np.mean(((got.v_read - ref["v_read"]) / lsb) ** 2)))
        rows.append((name, out, mem, seconds))
    return rows


def _first_call_seconds(cache_dir):
    """Seconds of the first (tiny) call in a fresh process using ``cache_dir`` as numba cache."""
    code = (
        "import time, sys; sys.path.insert(0, %r)\n"
        "t0 = time.perf_counter()\n"
        "import kernels\n"
        "from benchmarks_kernels_workload import workload\n"
        "ev, w, x, p = workload(2)\n"
        "t1 = time.perf_counter()\n"
        "kernels.simulate_half(*ev, w, **p)\n"
        "print(time.perf_counter() - t1)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    with tempfile.TemporaryDirectory() as mod_dir:
        # make this file importable under a unique name from the child process
        with open(os.path.join(mod_dir, "benchmarks_kernels_workload.py"), "w") as fh:
            with open(os.path.abspath(__file__)) as src:
                fh.write(src.read())
        env["PYTHONPATH"] = os.pathsep.join([mod_dir, root, env.get("PYTHONPATH", "")])
        res = subprocess.run(
            [sys.executable, "-c", code % root], env=env, capture_output=True, text=True, check=True
        )
    return float(res.stdout.strip().splitlines()[-1])


def _at_dt(p, dt):
    """The kernel arguments ``p`` at integration step ``dt`` (s), with the same noise block."""
    block = p["dt"] * p["noise_substeps"]
    steps = block / dt
    if abs(steps - round(steps)) > 1e-6 * steps or round(steps) < 1:
        raise SystemExit(
            f"--vs-dt: the noise block ({block * 1e9:g} ns) is not a whole number of "
            f"{dt * 1e9:g} ns steps; use a divisor of it"
        )
    return dict(p, dt=dt, noise_substeps=round(steps))


def _import_kernels():
    """Import the ``kernels`` package (not this file, which has the same name)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [q for q in sys.path if os.path.abspath(q or os.curdir) != here]
    sys.path.append(os.path.dirname(here))
    if getattr(sys.modules.get("kernels"), "__file__", "") == os.path.abspath(__file__):
        del sys.modules["kernels"]
    import kernels

    return kernels


def _import_other_kernels(folder):
    """The ``kernels`` package of ``folder`` under another module name (``kernels_other``), so
    that it runs next to this one in the same process (it compiles into its own cache)."""
    import importlib.util

    init = os.path.join(os.path.abspath(folder), "kernels", "__init__.py")
    if not os.path.isfile(init):
        raise SystemExit(f"--vs-kernels: no kernels package in {folder!r} (no {init})")
    spec = importlib.util.spec_from_file_location(
        "kernels_other", init, submodule_search_locations=[os.path.dirname(init)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["kernels_other"] = module
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--threads", type=int, default=None, help="numba threads (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-compile", action="store_true", help="do not measure JIT cost")
    ap.add_argument(
        "--vs-dt",
        type=float,
        default=None,
        metavar="NS",
        help="also time the kernel at this integration step (ns; the noise block kept at "
        "bss2's length) in the same run and print the speed ratio, e.g. 8",
    )
    ap.add_argument(
        "--vs-kernels",
        default=None,
        metavar="DIR",
        help="also time the kernels package in folder DIR (e.g. a checkout of an earlier "
        "commit) in the same run and print the speed ratio (CPU time)",
    )
    ap.add_argument(
        "--flicker",
        type=float,
        default=None,
        help="flicker PSD at 1 MHz (V^2/Hz; default: bss2's; 0: off)",
    )
    args = ap.parse_args(argv)

    import numba

    kernels = _import_kernels()

    if args.threads:
        numba.set_num_threads(args.threads)
    ev, w, x, p = workload(args.batch)
    if args.flicker is not None:
        p["flicker_psd_1mhz"] = args.flicker
    n_events = ev[1].size
    print(
        f"tile {K} x {M}, batch {args.batch}, {n_events / args.batch:.1f} events per vector, "
        f"wait 5, num_sends 1, t_read {p['t_read'] * 1e6:.2f} us, dt {p['dt'] * 1e9:.0f} ns, "
        f"all noise on (flicker {p['flicker_psd_1mhz']:g} V^2/Hz at 1 MHz), "
        f"{numba.get_num_threads()} numba threads"
    )

    if not args.skip_compile:
        with tempfile.TemporaryDirectory() as cache:
            cold = _first_call_seconds(cache)
            warm = _first_call_seconds(cache)
        print(
            f"JIT: first call with empty cache (compile) {cold:.2f} s, "
            f"first call with warm cache (load) {warm:.2f} s"
        )

    kernels.simulate_half(*ev, w, **p)  # make sure this process has the code loaded
    other = None
    if args.vs_dt is not None:
        other = _at_dt(p, args.vs_dt * 1e-9)
        kernels.simulate_half(*ev, w, **other)
    older = None
    if args.vs_kernels is not None:
        older = _import_other_kernels(args.vs_kernels)
        t0 = time.perf_counter()
        res_older = older.simulate_half(*ev, w, **p)
        print(f"kernels of {args.vs_kernels}: first call {time.perf_counter() - t0:.1f} s")
    best = best_other = best_older = np.inf
    cpu = cpu_older = np.inf
    for _ in range(args.repeat):  # interleaved, so that both see the same load
        t0 = time.perf_counter()
        c0 = time.process_time()
        res = kernels.simulate_half(*ev, w, **p)
        cpu = min(cpu, time.process_time() - c0)
        best = min(best, time.perf_counter() - t0)
        if other is not None:
            t0 = time.perf_counter()
            kernels.simulate_half(*ev, w, **other)
            best_other = min(best_other, time.perf_counter() - t0)
        if older is not None:
            t0 = time.perf_counter()
            c0 = time.process_time()
            older.simulate_half(*ev, w, **p)
            cpu_older = min(cpu_older, time.process_time() - c0)
            best_older = min(best_older, time.perf_counter() - t0)
    xf = x.astype(np.float32)
    wf = w.astype(np.float32)
    best_mm = np.inf
    for _ in range(max(args.repeat, 5)):
        t0 = time.perf_counter()
        ideal = xf @ wf
        best_mm = min(best_mm, time.perf_counter() - t0)
    vmm_s = args.batch / best
    print(
        f"kernel: {best * 1e3:.1f} ms per batch -> {vmm_s:,.0f} tile-VMMs/s, "
        f"{vmm_s * K * M / 1e6:,.1f} million MAC/s"
    )
    if other is not None:
        print(
            f"kernel at dt {other['dt'] * 1e9:g} ns ({other['noise_substeps']} steps per noise "
            f"block): {args.batch / best_other:,.0f} tile-VMMs/s; dt {p['dt'] * 1e9:g} ns is "
            f"{best_other / best:.2f}x as fast"
        )
    if older is not None:
        differ = np.mean(res.output != res_older.output)
        print(
            f"kernels of {args.vs_kernels}: {args.batch / best_older:,.0f} tile-VMMs/s, "
            f"{cpu_older / args.batch * 1e6:.1f} us of CPU per vector against "
            f"{cpu / args.batch * 1e6:.1f}: these kernels are {cpu_older / cpu:.3f}x as fast "
            f"(wall {best_older / best:.3f}x); {differ * 100:.2f} % of the outputs differ"
        )
    print(
        f"numpy float32 matmul of the same batch: {best_mm * 1e3:.3f} ms -> kernel is "
        f"{best / best_mm:,.0f}x slower"
    )
    gain = np.polyfit(ideal.ravel(), res.output.ravel(), 1)[0]
    print(
        f"sanity: output range {res.output.min()}..{res.output.max()}, "
        f"fitted gain {gain:.5f} per unit of x*w"
    )
    options = {"dt": p["dt"]}  # the kernel settings of the speed run that shape the numerics
    rows = accuracy(kernels, options)
    print(
        f"accuracy against the reference integrator (RK4 at {REFERENCE_STEP * 1e9:g} ns, noise "
        f"off), kernel at dt {options['dt'] * 1e9:g} ns, output / membrane RMS error:"
    )
    for name, out, mem, seconds in rows:
        print(f"  {name}: {out:.3f} / {mem:.3f} LSB (reference {seconds:.1f} s)")
    worst = max(out for _, out, _, _ in rows)
    verdict = "within" if worst <= ACCURACY_BAR else "MISSES"
    print(
        f"result: {vmm_s:,.0f} tile-VMMs/s, {best / best_mm:,.0f}x the NumPy matmul, largest "
        f"output error {worst:.3f} LSB RMS ({verdict} the {ACCURACY_BAR} LSB bar)"
    )
    return 0 if worst <= ACCURACY_BAR else 1


if __name__ == "__main__":
    sys.exit(main())
