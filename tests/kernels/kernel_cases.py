"""Parameter sets and event lists for the kernel tests (the starting values of model.md section 11),
and the cases compared with the reference integrator (``tests/kernels/test_reference.py``, the
accuracy part of ``benchmarks/kernels.py``)."""

from pathlib import Path

import numpy as np

FPGA_CYCLE = 8e-9  # s
V_RESET = 0.6  # V, reads ADC code 120 with the values below
ADC_LSB = 2.5e-3  # V per code


def chip_params(n_k, n_m, seed=0, fixed_pattern=True, **overrides):
    """Keyword arguments of ``kernels.simulate_half`` for a K x M half (noise arguments excluded).

    Rails 280 mV from the reset with an 80 mV compliance width: full compliance up to 200 mV
    (80 ADC steps) from the reset: the starting values of model.md section 11.
    """
    rng = np.random.default_rng(seed)
    fp = 1.0 if fixed_pattern else 0.0
    p = dict(
        syn_gain=(1.0 + fp * 0.03 * rng.standard_normal((n_k, n_m))).astype(np.float32),
        drv_gain=fp * 0.01 * rng.standard_normal(n_k),
        drv_offset=fp * 0.2e-9 * rng.standard_normal(n_k),
        gm=0.9e-6 * (1.0 + fp * 0.02 * rng.standard_normal(n_m)),
        tau_syn=0.32e-6 * (1.0 + fp * 0.03 * rng.standard_normal(n_m)),
        i_offset=fp * 2e-15 * rng.standard_normal(n_m),
        v_rail_hi=V_RESET + 0.28 + fp * 0.01 * rng.standard_normal(n_m),
        v_rail_lo=V_RESET - 0.28 + fp * 0.01 * rng.standard_normal(n_m),
        adc_offset=fp * 0.5 * rng.standard_normal(n_m),
        adc_lsb=ADC_LSB * (1.0 + fp * 0.02 * rng.standard_normal(n_m)),
        dt=FPGA_CYCLE,
        t_lsb=1e-9,
        i_lsb=0.5e-6 / 63,
        c_syn=0.2e-12,
        c_m=2.2e-12,
        v_lin=0.15,
        tau_leak=500e-6,
        v_reset=V_RESET,
        v_leak=V_RESET,
        v_adc_lo=V_RESET - 120 * ADC_LSB,
        v_compliance=0.08,
        t_read=8.6e-6,
        t_baseline=5e-6,
    )
    p.update(overrides)
    return p


FULL_NOISE = dict(sigma_line=2e-3, ota_noise_psd=4e-18, sigma_jitter=0.2e-9, sigma_adc=0.7)


def events_from_inputs(x, wait=5, num_sends=1, t_first=5e-6, latency=0.0):
    """CSR events of input vectors x [B, K] (0..31; 0 sends nothing), as the FPGA plays them:
    non-zero entries in row order, ``num_sends`` times, one every ``wait`` FPGA cycles."""
    x = np.asarray(x)
    ptr = [0]
    rows, acts, times = [], [], []
    for xb in x:
        nz = np.flatnonzero(xb)
        n = 0
        for _ in range(num_sends):
            for r in nz:
                rows.append(r)
                acts.append(xb[r])
                times.append(t_first + latency + n * wait * FPGA_CYCLE)
                n += 1
        ptr.append(len(rows))
    return (
        np.array(ptr, np.int64),
        np.array(rows, np.int32),
        np.array(acts, np.int32),
        np.array(times, np.float64),
    )


def read_time(ev_time, after=1e-6, default=5e-6):
    """ADC read time: ``after`` the last event (the reference schedule's 1 us wait)."""
    return (ev_time.max() if ev_time.size else default) + after


def _bss2():
    import hwdesc

    return hwdesc.load(Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "bss2.yaml")


def bss2_noise():
    """The temporal-noise arguments of ``kernels.simulate_half`` shipped in ``hwdesc/chips/bss2.yaml``."""
    nz = _bss2().noise
    return dict(
        sigma_line=nz.sigma_line,
        ota_noise_psd=nz.ota_current_psd_per_gm,
        sigma_jitter=nz.sigma_jitter,
        sigma_adc=nz.sigma_adc,
    )


def bss2_params(n_k, n_m, seed=0, calibration="default"):
    """Keyword arguments of ``kernels.simulate_half`` with the values shipped in
    ``hwdesc/chips/bss2.yaml`` (analog values, the knobs of ``calibration`` and a fixed pattern drawn
    with its spreads), read through ``hwdesc``. Noise arguments (see :func:`bss2_noise`) and the
    read and baseline times are not included."""
    desc = _bss2()
    kn = desc.resolve(calibration)
    a, fp = desc.analog, desc.fixed_pattern
    rng = np.random.default_rng(seed)
    s = kn.fixed_pattern_scale
    w_max = max(-desc.formats.weight.min, desc.formats.weight.max)
    return dict(
        syn_gain=(1.0 + s * fp.synapse_current * rng.standard_normal((n_k, n_m))).astype(
            np.float32
        ),
        drv_gain=s * fp.driver_pulse_gain * rng.standard_normal(n_k),
        drv_offset=s * fp.driver_pulse_offset * rng.standard_normal(n_k),
        gm=kn.gm * (1.0 + s * fp.gm * rng.standard_normal(n_m)),
        tau_syn=kn.tau_syn * (1.0 + s * fp.tau_syn * rng.standard_normal(n_m)),
        i_offset=s * fp.offset_current * rng.standard_normal(n_m),
        v_rail_hi=kn.v_reset + a.membrane.rail_distance_hi + s * fp.rail * rng.standard_normal(n_m),
        v_rail_lo=kn.v_reset - a.membrane.rail_distance_lo + s * fp.rail * rng.standard_normal(n_m),
        adc_offset=s * fp.adc_offset * rng.standard_normal(n_m),
        adc_lsb=a.adc.v_lsb * (1.0 + s * fp.adc_slope * rng.standard_normal(n_m)),
        dt=a.dt,
        t_lsb=a.pulse.t_lsb,
        i_lsb=kn.i_max / w_max,
        c_syn=a.synaptic_input.c_syn,
        c_m=kn.c_m,
        v_lin=a.synaptic_input.v_lin,
        tau_leak=a.membrane.tau_leak,
        v_reset=kn.v_reset,
        v_leak=a.membrane.v_leak,
        v_adc_lo=a.adc.v_lo,
        v_compliance=a.membrane.compliance_width,
    )


def reference_case(
    seed, m, n_b, wait, num_sends, dens, act_lo, gm_factor=1.0, t_first=1e-6, n_k=128
):
    """(events, weights [n_k, m], parameters) of a random noise-free case with the test
    parameters of :func:`chip_params`: inputs act_lo..31 with density ``dens``, the first quarter
    of the columns all-excitatory and the second all-inhibitory (driven into the rails), read
    1 us after the last event, g_m scaled by ``gm_factor``."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-63, 64, (n_k, m)).astype(np.int8)
    q = m // 4
    w[:, :q] = np.abs(w[:, :q])  # same-sign columns: driven into the rails
    w[:, q : 2 * q] = -np.abs(w[:, q : 2 * q])
    x = rng.integers(act_lo, 32, (n_b, n_k))
    x[rng.random((n_b, n_k)) > dens] = 0
    ev = events_from_inputs(x, wait=wait, num_sends=num_sends, t_first=t_first)
    p = chip_params(n_k, m, seed=seed + 100, t_read=read_time(ev[3]), t_baseline=t_first)
    p["gm"] = p["gm"] * gm_factor
    return ev, w, p


def bss2_reference_case(seed, m, n_b, wait, num_sends, calibration="default", n_k=128):
    """(events, weights, parameters) of dense inputs (density 0.7) through a half with the values
    shipped in ``hwdesc/chips/bss2.yaml``; events timed as the event simulator times them (whole
    cycles after the reset, plus link and driver latency), same-sign quarters as in
    :func:`reference_case`."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-63, 64, (n_k, m)).astype(np.int8)
    q = m // 4
    w[:, :q] = np.abs(w[:, :q])  # same-sign columns: into the compliance region and the rails
    w[:, q : 2 * q] = -np.abs(w[:, q : 2 * q])
    x = rng.integers(1, 32, (n_b, n_k))
    x[rng.random((n_b, n_k)) > 0.7] = 0
    ev = events_from_inputs(
        x, wait=wait, num_sends=num_sends, t_first=125 * FPGA_CYCLE, latency=9 * FPGA_CYCLE
    )
    p = bss2_params(n_k, m, seed=seed + 100, calibration=calibration)
    p.update(t_read=read_time(ev[3]), t_baseline=625 * FPGA_CYCLE)
    return ev, w, p


def with_new_effects(p, m, seed, v_line_max=0.25):
    """``p`` with every deterministic effect of model.md sections 3-8 on: excitatory/inhibitory
    imbalance of g_m (10 %) and tau_syn (+15 % on the inhibitory line), OTA offsets inside the
    tanh (0.4 mV), a leak level per column (+-20 mV around the reset) and a leak time constant
    per column (100 us, 30 % log-normal spread), bounded lines and CADC threshold deviations
    (+-0.3 code) on four quadrants."""
    rng = np.random.default_rng(seed)
    q = np.arange(m) * 4 // m
    dev = 0.3 * rng.uniform(-1, 1, (4, 255))
    return dict(
        p,
        gm_inh=p["gm"] * (1 + 0.1 * rng.standard_normal(m)),
        tau_syn_inh=p["tau_syn"] * 1.15 * (1 + 0.03 * rng.standard_normal(m)),
        v_offset_exc=0.4e-3 * rng.standard_normal(m),
        v_offset_inh=0.4e-3 * rng.standard_normal(m),
        v_leak=p["v_reset"] + 0.02 * rng.standard_normal(m),
        v_line_max=v_line_max,
        quadrant=q,
        adc_dev=dev,
        tau_leak=100e-6 * np.exp(0.3 * rng.standard_normal(m)),
    )


#: CADC step of the synaptic-input cases (V per code): the range 150..340 of the analog memory
#: read as codes 20..220.
SYNIN_LSB = 1.36e-3


def synin_params(n_k, n_m, seed=0, fixed_pattern=True, **overrides):
    """Keyword arguments of ``kernels.simulate_synin`` for K inputs and M signed outputs (2 M
    lines), noise arguments excluded: a 5.6 pF line with a 200 us leak, bounded at 600 mV, its
    rest level reading code 210, synapse DAC bias 800 (0.39 uA at weight 63)."""
    rng = np.random.default_rng(seed)
    fp = 1.0 if fixed_pattern else 0.0
    n_l = 2 * n_m
    quadrant = np.arange(n_l) * 2 // n_l
    p = dict(
        syn_gain=(1.0 + fp * 0.03 * rng.standard_normal((n_k, n_l))).astype(np.float32),
        drv_gain=fp * 0.01 * rng.standard_normal(n_k),
        drv_offset=fp * 0.2e-9 * rng.standard_normal(n_k),
        tau_line=200e-6 * (1.0 + fp * 0.03 * rng.standard_normal(n_l)),
        i_line=fp * 10e-12 * rng.standard_normal(n_l),
        adc_offset=fp * 0.5 * rng.standard_normal(n_l),
        adc_lsb=SYNIN_LSB * (1.0 + fp * 0.02 * rng.standard_normal(2))[quadrant],
        quadrant=quadrant,
        dt=FPGA_CYCLE,
        t_lsb=1e-9,
        i_lsb=800 * 0.48923679e-9 / 63,
        c_line=5.6e-12,
        v_rest=0.3,
        v_adc_lo=0.3 - 210 * SYNIN_LSB,
        v_line_max=0.6,
        t_read=8.6e-6,
        t_baseline=5e-6,
    )
    p.update(overrides)
    return p


SYNIN_NOISE = dict(
    line_current_psd=2e-26,
    readout_flicker_psd_1mhz=1e-14,
    sigma_jitter=0.2e-9,
    sigma_adc=0.4,
    sigma_ramp=0.3,
    sigma_bias=0.005,
    sigma_bias_common=0.003,
)


def synin_reference_case(seed, m, n_b, wait, num_sends, dens, act_lo, n_k=256, **overrides):
    """(events, weights [n_k, m], parameters) of a random noise-free synin case: inputs
    act_lo..31 with density ``dens``, the first quarter of the outputs all-positive and the
    second all-negative (their lines driven far, to the ADC's code 0 and the line bound when the
    inputs are dense), read 1 us after the last event."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-63, 64, (n_k, m)).astype(np.int8)
    q = m // 4
    w[:, :q] = np.abs(w[:, :q])
    w[:, q : 2 * q] = -np.abs(w[:, q : 2 * q])
    x = rng.integers(act_lo, 32, (n_b, n_k))
    x[rng.random((n_b, n_k)) > dens] = 0
    ev = events_from_inputs(x, wait=wait, num_sends=num_sends, t_first=1e-6, latency=72e-9)
    p = synin_params(n_k, m, seed=seed + 100, t_read=read_time(ev[3]), t_baseline=2e-6)
    p.update(overrides)
    return ev, w, p
