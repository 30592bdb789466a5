"""Parameter sets and event lists for the kernel tests (the starting values of model.md section 11)."""

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
