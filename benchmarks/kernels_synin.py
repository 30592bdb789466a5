"""Benchmark of the synaptic-input readout kernel (model.md section 13): one full 256 x 128 tile
(one half of ``bss2-synin``), all noise on, against the membrane kernel's tile in the same run.

Workload: weights uniform in -63..63, inputs uniform in 0..31 with half of them zero, num_sends 1,
wait_between_events 5 (40 ns), the bss2 window (reset, 5 us, event phase, 1 us, read; baseline
5 us after its own reset), the fixed pattern and noise of the built-in chip (seed 0). Prints the
CPU time per vector on one thread (the minimum over ``--repeat`` runs; CPU time, not wall time,
so that a loaded machine compares fairly), tile-VMMs per second of CPU, the ratio to the membrane
kernel (``bss2``, its 128 x 256 tile, the same inputs per row) measured in the same process, and
the ratio to a float32 NumPy matmul of the batch. Then the accuracy against the reference
integrator (``tests/reference/synin.py``, RK4 at 0.5 ns, noise off) on the benchmark tile's first
vectors and two dense cases with the shipped values; exits with status 1 if a case misses 0.25
LSB RMS on the outputs. Never fails on time.

    python benchmarks/kernels_synin.py [--batch 1024] [--repeat 5]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# this folder holds a script named eventsim.py: the package of that name must win
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
ACCURACY_BAR = 0.25
CYCLE = 8e-9


def events(x, wait=5, t_first=5e-6, latency=72e-9):
    """CSR events of inputs x [B, K] (non-zero entries in row order, one every ``wait`` cycles)."""
    ptr = np.zeros(x.shape[0] + 1, np.int64)
    np.cumsum(np.count_nonzero(x, axis=1), out=ptr[1:])
    b, rows = np.nonzero(x)
    order = np.arange(rows.size) - ptr[b]
    times = t_first + latency + order * wait * CYCLE
    return ptr, rows.astype(np.int64), x[b, rows].astype(np.int64), times


def _params(name, w, noise=True):
    import chipsim
    from chipsim.chip import kernel_params

    chip = chipsim.load(name, seed=0)
    return chip, kernel_params(
        chip.description, chip.knobs, chip.pattern[0], w, noise=noise, noise_seed=0, stream=0
    )


def _cpu_per_vector(run, batch, repeat):
    best = np.inf
    for _ in range(repeat):
        t = time.process_time()
        run()
        best = min(best, time.process_time() - t)
    return best / batch


def speed(batch, repeat):
    import numba

    import kernels

    numba.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 32, (batch, 256))
    x[rng.random(x.shape) < 0.5] = 0
    ev = events(x)
    t_read = ev[3].max() + 1e-6
    w_s = rng.integers(-63, 64, (256, 128)).astype(np.int32)
    _, p_s = _params("bss2-synin", w_s)
    w_m = rng.integers(-63, 64, (128, 256)).astype(np.int32)
    _, p_m = _params("bss2", w_m)
    x_m = x[:, :128]
    ev_m = events(x_m)
    kw = dict(t_read=t_read, t_baseline=5e-6, t_gap=20e-6)
    kernels.run_synin(p_s, *events(x[:2]), **kw)  # compile or load
    kernels.run_half(p_m, *events(x_m[:2]), **kw)
    synin = _cpu_per_vector(lambda: kernels.run_synin(p_s, *ev, **kw), batch, repeat)
    membrane = _cpu_per_vector(lambda: kernels.run_half(p_m, *ev_m, **kw), batch, repeat)
    xf = x.astype(np.float32)
    wf = w_s.astype(np.float32)
    numpy = _cpu_per_vector(lambda: xf @ wf, batch, repeat)
    macs = 256 * 128
    print(f"batch {batch}, 1 thread, CPU time per vector (minimum of {repeat} runs):")
    print(
        f"  synin    256 x 128: {synin * 1e6:7.1f} us  ({1 / synin:8.0f} tile-VMMs/s per core, "
        f"{macs / synin / 1e6:.0f} MMAC/s)"
    )
    print(
        f"  membrane 128 x 256: {membrane * 1e6:7.1f} us  ({1 / membrane:8.0f} tile-VMMs/s per "
        f"core); synin / membrane time: {synin / membrane:.2f}"
    )
    print(
        f"  NumPy float32 matmul of the batch: {numpy * 1e9:.0f} ns per vector; synin / NumPy "
        f"{synin / numpy:.0f}x"
    )


def accuracy():
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "tests" / "kernels"))
    from reference.synin import simulate_synin_reference

    import kernels

    chip, _ = _params("bss2-synin", np.zeros((1, 1), np.int32))
    desc, kn, pat = chip.description, chip.knobs, chip.pattern[0]
    rng = np.random.default_rng(1)
    cases = []
    x = rng.integers(0, 32, (3, 256))
    x[rng.random(x.shape) < 0.5] = 0
    cases.append(("benchmark tile, 3 vectors (8 outputs)", x, rng.integers(-63, 64, (256, 8)), 5))
    x = rng.integers(16, 32, (2, 256))
    w = np.abs(rng.integers(-63, 64, (256, 8)))
    w[:, 4:] *= -1
    cases.append(("dense one-sided, wait 2 (lines to the CADC floor)", x, w, 2))
    x = rng.integers(1, 32, (2, 256))
    cases.append(("dense mixed, wait 25", x, rng.integers(-63, 64, (256, 8)), 25))
    worst = 0.0
    for name, x, w, wait in cases:
        from chipsim.chip import synin_kernel_params

        m = w.shape[1]
        p = synin_kernel_params(
            desc, kn, pat, w.astype(np.int32), noise=False, noise_seed=0, stream=0
        )
        ev = events(x, wait=wait)
        t_read = ev[3].max() + 1e-6
        got = kernels.run_synin(p, *ev, t_read=t_read, t_baseline=5e-6)
        ref_p = dict(
            syn_gain=np.asarray(pat.syn_gain_exc[:256, : 2 * m], np.float64),
            drv_gain=p.drv_gain,
            drv_offset=p.drv_offset,
            t_lsb=desc.analog.pulse.t_lsb,
            i_lsb=kn.i_max / 63,
            tau_line=p.tau_line,
            i_line=pat.i_offset[: 2 * m],
            c_line=desc.analog.synin.c_line,
            v_line_max=desc.analog.synaptic_input.v_max,
            v_rest=desc.analog.synin.v_rest,
            v_adc_lo=desc.analog.adc.v_lo,
            adc_lsb=pat.adc_lsb[: 2 * m],
            adc_offset=pat.adc_offset[: 2 * m],
            quadrant=pat.quadrant[: 2 * m],
            adc_dev=pat.adc_dev,
            dt=desc.analog.dt,
            t_read=t_read,
            t_baseline=5e-6,
        )
        ref = simulate_synin_reference(*ev, w, ref_p)
        rms_out = float(np.sqrt(np.mean((got.output - ref["output"]) ** 2)))
        rms_v = float(np.sqrt(np.mean(((got.v_read - ref["v_read"]) / desc.analog.adc.v_lsb) ** 2)))
        worst = max(worst, rms_out)
        print(
            f"  {name}: output RMS {rms_out:.3f} LSB, line RMS {rms_v:.4f} LSB, "
            f"outputs {int(ref['output'].min())}..{int(ref['output'].max())}"
        )
    ok = worst <= ACCURACY_BAR
    print(
        f"accuracy: worst output RMS {worst:.3f} LSB ({'within' if ok else 'MISSES'} "
        f"{ACCURACY_BAR} LSB)"
    )
    return ok


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    speed(args.batch, args.repeat)
    print("accuracy against the reference integrator (noise off, shipped bss2-synin values):")
    return 0 if accuracy() else 1


if __name__ == "__main__":
    sys.exit(main())
