"""The membrane step without the compliance (a noise block whose columns all start far from both
rails) gives the same bits as the general step: the compliance is exactly 1 there, and the
block's bound keeps every column beyond the compliance width for the whole block."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from kernels.circuit import compliance

HERE = Path(__file__).resolve().parent


def test_compliance_is_exactly_one_beyond_the_width_with_the_kernels_margin():
    # the kernel's far limit adds 1e-4 of the width for the float32 rounding of the headroom
    # and of 1 / width; beyond it f must be exactly 1 (not merely close), below the width < 1
    rng = np.random.default_rng(3)
    for width in (0.01, 0.03, 0.08, 0.1, 0.2, *rng.uniform(0.005, 0.5, 200)):
        inv_w = np.float32(1.0 / width)
        far = np.float32(width * (1.0 + 1e-4)) * (1.0 + rng.uniform(0.0, 3.0, 100))
        for h in far.astype(np.float32):
            assert compliance(h, inv_w) == np.float32(1.0), (width, h)
        assert compliance(np.float32(width * 0.999), inv_w) < np.float32(1.0)


_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    import kernel_cases as kc
    import kernels
    from kernels import half

    # rail-driven columns (two towards each rail): the membrane starts far from the rails and
    # runs into the compliance zone during the event phase; every noise source on
    K, M = 128, 4
    w = np.full((K, M), 63, np.int8)
    w[:, 2:] = -63
    w[::3, 1] = 20
    x = np.full((2, K), 31)
    x[1, ::2] = 0
    ev = kc.events_from_inputs(x, wait=2, num_sends=3)
    p = kc.chip_params(
        K, M, seed=1, t_read=kc.read_time(ev[3]), dt=32e-9, noise_substeps=8,
        flicker_psd_1mhz=4e-14, noise_seed=5, **kc.FULL_NOISE,
    )
    rec = dict(record_samples=[0, 1], record_columns=list(range(M)))
    real = half._far_limit
    limits = []

    def spy(*args):
        limits.append(real(*args))
        return limits[-1]

    half._far_limit = spy
    fast = kernels.simulate_half(*ev, w, **p, **rec)
    half._far_limit = lambda *args: np.float32(np.inf)  # never far: the general step only
    general = kernels.simulate_half(*ev, w, **p, **rec)
    same = [
        np.array_equal(getattr(fast, f), getattr(general, f))
        for f in ("output", "code_read", "code_baseline", "v_read", "v_baseline")
    ]
    same += [
        np.array_equal(getattr(fast.traces, f), getattr(general.traces, f), equal_nan=True)
        for f in ("v_exc", "v_inh", "v_mem")
    ]
    # which noise blocks of the read window started far from the rails (all columns)
    y = fast.traces.v_mem[:, :, ::8] - p["v_reset"]
    hi = (p["v_rail_hi"] - p["v_reset"])[None, :, None]
    lo = (p["v_rail_lo"] - p["v_reset"])[None, :, None]
    far = np.all((hi - y >= limits[0]) & (y - lo >= limits[0]), axis=1)
    switch = [bool(f[i] and not f[i + 1]) for f in far for i in range(len(f) - 1)]
    print("SAME", all(same), "FAR", int(far.sum()), "SWITCH", sum(switch))
    print("LIMIT", float(limits[0]), "WIDTH", p["v_compliance"], "OUT", fast.output.tolist())
    """
)


def test_far_blocks_step_bit_for_bit_as_the_general_step():
    # run as plain Python (the JIT off) so that the far limit can be replaced: once the kernel
    # as it is, once with no block ever far; the same bits, on a case that switches from far
    # blocks to blocks near the rails
    env = dict(
        os.environ,
        NUMBA_DISABLE_JIT="1",
        PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parents[1])]),
    )
    res = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        cwd=HERE.parents[1],
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    words = res.stdout.split()
    assert words[words.index("SAME") + 1] == "True", res.stdout
    # far blocks were stepped without the compliance, then the membrane came near the rails
    assert int(words[words.index("FAR") + 1]) >= 10, res.stdout
    assert int(words[words.index("SWITCH") + 1]) >= 2, res.stdout
    limit = float(words[words.index("LIMIT") + 1])
    width = float(words[words.index("WIDTH") + 1])
    assert width < limit < 2 * width, res.stdout
