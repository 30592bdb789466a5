"""``half_params`` keeps the column tables of a half (everything but the weights' rows and the
random stream) by the bytes of its arguments (kernels.api._COLUMNS): a kept table is the
computed one bit for bit, every argument is part of the key, and bad arguments raise as before.
``kernels.reseed`` gives a prepared half another random stream."""

import inspect
import math
from decimal import Decimal

import numpy as np
import pytest
from kernel_cases import FULL_NOISE, chip_params, events_from_inputs
from kernel_cases import synin_params as synin_case

import kernels
from kernels import api

K, M = 16, 12
#: every argument of half_params with a value other than its default where it has one
RICH = dict(
    FULL_NOISE,
    sigma_bias=0.01,
    sigma_bias_common=0.004,
    sigma_gm=0.006,
    sigma_ramp=0.2,
    flicker_psd_1mhz=1e-14,
    gm_inh=np.linspace(0.8e-6, 1.0e-6, M),
    tau_syn_inh=np.linspace(0.30e-6, 0.34e-6, M),
    v_offset_exc=np.linspace(-2e-3, 2e-3, M),
    v_offset_inh=np.linspace(2e-3, -1e-3, M),
    v_line_max=0.5,
    quadrant=np.arange(M) * 2 // M,
    adc_dev=np.linspace(-0.2, 0.2, 2 * 255).reshape(2, 255),
)


@pytest.fixture
def cold(monkeypatch):
    """An empty column cache for the test (the module's own is left as it was)."""
    monkeypatch.setattr(api, "_COLUMNS", api._RowCache(64))


def _base(**changes):
    p = chip_params(K, M, seed=5)
    del p["t_read"], p["t_baseline"]
    p.update(RICH)
    p.update(changes)
    return p


def _weights(seed=1):
    return np.random.default_rng(seed).integers(-63, 64, (K, M)).astype(np.int8)


def _computed(monkeypatch, w, p):
    """half_params with nothing kept: every table computed from the arguments."""
    with monkeypatch.context() as m:
        m.setattr(api, "_arguments_key", lambda values: None)
        return kernels.half_params(w, **p)


def _same(a, b):
    """Two prepared halves alike field by field, to the bit (0.0 and -0.0 differ)."""
    assert type(a) is type(b)
    for name, x, y in zip(a._fields, a, b):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, name
            assert x.tobytes() == y.tobytes(), name
        else:
            assert type(x) is type(y) and (x == y or (x != x and y != y)), name


def _differ(a, b) -> bool:
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            if x.shape != y.shape or x.tobytes() != y.tobytes():
                return True
        elif x != y:
            return True
    return False


def test_kept_columns_are_the_computed_ones_and_read_only(cold, monkeypatch):
    w, p = _weights(), _base()
    first = kernels.half_params(w, **p)
    assert len(api._COLUMNS.rows) == 1
    again = kernels.half_params(w, **p)  # the columns from the cache
    _same(first, _computed(monkeypatch, w, p))
    _same(again, first)
    assert again.col64 is first.col64 and again.isc is not first.isc
    for name, value in zip(first._fields, first):
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable, name
    # other weights and rows' fixed pattern, another seed and stream: the same columns, new rows
    w2 = _weights(2)
    rows = dict(
        syn_gain=np.asarray(p["syn_gain"]) * np.float32(1.01),
        drv_gain=np.asarray(p["drv_gain"]) + 0.001,
        drv_offset=np.asarray(p["drv_offset"]) + 1e-11,
    )
    other = kernels.half_params(w2, **{**p, **rows, "noise_seed": 77, "stream": 3})
    assert len(api._COLUMNS.rows) == 1
    _same(other, _computed(monkeypatch, w2, {**p, **rows, "noise_seed": 77, "stream": 3}))
    assert _differ(other, first)


def _changes(p):
    """One other value of every argument the columns depend on."""
    a = np.asarray
    return dict(
        gm=a(p["gm"]) * 1.01,
        tau_syn=a(p["tau_syn"]) * 1.01,
        i_offset=a(p["i_offset"]) + 1e-14,
        v_rail_hi=a(p["v_rail_hi"]) + 0.01,
        v_rail_lo=a(p["v_rail_lo"]) - 0.01,
        adc_offset=a(p["adc_offset"]) + 0.1,
        adc_lsb=a(p["adc_lsb"]) * 1.01,
        dt=p["dt"] / 2,
        t_lsb=p["t_lsb"] * 1.5,
        i_lsb=p["i_lsb"] * 1.1,
        c_syn=p["c_syn"] * 1.1,
        c_m=p["c_m"] * 1.1,
        v_lin=p["v_lin"] * 1.1,
        tau_leak=p["tau_leak"] * 2,
        v_reset=p["v_reset"] + 0.01,
        v_leak=p["v_leak"] + 0.01,
        v_adc_lo=p["v_adc_lo"] - 0.01,
        v_compliance=p["v_compliance"] * 1.5,
        sigma_line=p["sigma_line"] * 2,
        ota_noise_psd=p["ota_noise_psd"] * 2,
        sigma_jitter=p["sigma_jitter"] * 2,
        sigma_adc=p["sigma_adc"] * 2,
        noise=False,
        out_min=-100,
        out_max=100,
        noise_substeps=16,
        closed_form_prephase=False,
        act_max=15,
        gm_inh=None,
        tau_syn_inh=None,
        v_offset_exc=None,
        v_offset_inh=None,
        v_line_max=math.inf,
        sigma_bias=0.02,
        sigma_bias_common=0.0,
        sigma_gm=0.0,
        quadrant=None,
        flicker_psd_1mhz=2e-14,
        flicker_tau_min=2e-6,
        flicker_tau_max=2e-3,
        flicker_components=4,
        flicker_blocks=2,
        sigma_ramp=0.0,
        adc_max=127,
        adc_dev=None,
    )


def test_every_argument_of_the_columns_is_part_of_their_key(cold, monkeypatch):
    w, p = _weights(), _base()
    changes = _changes(p)
    # the arguments the columns take are exactly half_params' but the rows' and the stream's
    names = set(inspect.signature(kernels.half_params).parameters)
    rows_and_stream = {"weights", "syn_gain", "drv_gain", "drv_offset", "noise_seed", "stream"}
    assert set(api._COLUMN_ARGS) == names - rows_and_stream - {"weight_min", "weight_max"}
    assert set(changes) == set(api._COLUMN_ARGS)  # a new argument needs a change here
    base = kernels.half_params(w, **p)
    for name, value in changes.items():
        q = {**p, name: value}
        if name == "adc_max":
            q["adc_dev"] = np.zeros((2, 127))
        kept = kernels.half_params(w, **q)  # the base's columns are in the cache
        _same(kept, _computed(monkeypatch, w, q))
        assert _differ(kept, base), name
        # and back: the base again, from the cache
        _same(kernels.half_params(w, **p), base)
    # the type and the bits of a value count: -0.0 is not 0.0, a list is not an array
    zero = kernels.half_params(w, **{**p, "sigma_bias_common": -0.0})
    _same(zero, _computed(monkeypatch, w, {**p, "sigma_bias_common": -0.0}))
    p0 = {**p, "sigma_bias_common": 0.0}
    assert kernels.half_params(w, **p0).sc.tobytes() != zero.sc.tobytes()
    with pytest.raises(TypeError, match="gm must be a numpy array"):
        kernels.half_params(w, **{**p, "gm": list(p["gm"])})


def test_bad_arguments_raise_as_before_and_are_not_kept(cold):
    w, p = _weights(), _base()
    kernels.half_params(w, **p)
    bad = dict(
        tau_syn=-np.asarray(p["tau_syn"]),
        dt=-1.0,
        sigma_bias=0.7,
        flicker_components=1,
        out_min=200,
    )
    messages = {
        "tau_syn": "tau_syn must be > 0",
        "dt": "dt must be a positive",
        "sigma_bias": "sigma_bias must lie in",
        "flicker_components": "flicker_components must be an integer in 2..",
        "out_min": "out_min .* must be <= out_max",
    }
    for name, value in bad.items():
        for _ in range(2):  # the second time too: nothing was kept
            with pytest.raises(ValueError, match=messages[name]):
                kernels.half_params(w, **{**p, name: value})
    assert len(api._COLUMNS.rows) == 1


def test_arguments_without_bytes_of_their_own_are_computed_not_kept(cold, monkeypatch):
    w, p = _weights(), _base()
    exact = kernels.half_params(w, **p)
    # a Decimal becomes an object array: its bytes would be an address, so it is not kept
    assert api._arguments_key({"v_reset": Decimal(repr(p["v_reset"]))}) is None
    odd = kernels.half_params(w, **{**p, "v_reset": Decimal(repr(p["v_reset"]))})
    assert len(api._COLUMNS.rows) == 1
    _same(odd, exact)


def test_results_do_not_depend_on_the_kept_columns(cold):
    w, p = _weights(), _base()
    rng = np.random.default_rng(2)
    x = rng.integers(0, 32, (6, K))
    ev = events_from_inputs(x, wait=5, t_first=2e-6)
    run = dict(t_read=ev[3].max() + 1e-6, t_baseline=2e-6)
    first = kernels.run_half(kernels.half_params(w, **p, noise_seed=4), *ev, **run)
    api._COLUMNS.rows.clear()
    kernels.half_params(_weights(3), **p)  # the columns kept from a half of other weights
    again = kernels.run_half(kernels.half_params(w, **p, noise_seed=4), *ev, **run)
    for a, b in zip(first[:5], again[:5]):
        np.testing.assert_array_equal(a, b)


def test_reseed_is_half_params_with_that_seed_and_stream():
    w, p = _weights(), _base()
    params = kernels.half_params(w, **p, noise_seed=3, stream=1)
    for seed, stream in ((0, 0), (2**64 - 1, 2**32 - 1), (12345678901, 7)):
        _same(
            kernels.reseed(params, seed, stream),
            kernels.half_params(w, **p, noise_seed=seed, stream=stream),
        )
    assert kernels.reseed(params, 9, 2).col32 is params.col32  # tables shared
    q = synin_case(K, M, seed=1)
    del q["t_read"], q["t_baseline"]
    synin = kernels.synin_params(w, **q, noise_seed=3, stream=1)
    _same(kernels.reseed(synin, 99, 4), kernels.synin_params(w, **q, noise_seed=99, stream=4))


def test_reseed_refuses_bad_arguments():
    params = kernels.half_params(_weights(), **_base())
    with pytest.raises(TypeError, match="params must be a kernels.HalfParams or kernels.Synin"):
        kernels.reseed(tuple(params), 1, 0)
    with pytest.raises(ValueError, match=r"noise_seed must lie in 0..2\*\*64-1, got -1"):
        kernels.reseed(params, -1, 0)
    with pytest.raises(ValueError, match="noise_seed must lie in"):
        kernels.reseed(params, 2**64, 0)
    with pytest.raises(ValueError, match="noise_seed must lie in"):
        kernels.reseed(params, True, 0)
    with pytest.raises(TypeError, match="noise_seed must be an integer, got float"):
        kernels.reseed(params, 1.5, 0)
    with pytest.raises(ValueError, match=r"stream must lie in 0..2\*\*32-1, got 4294967296"):
        kernels.reseed(params, 1, 2**32)
    with pytest.raises(ValueError, match="stream must lie in"):
        kernels.reseed(params, 1, -1)
