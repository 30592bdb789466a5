"""The static spread of one simulated chip, drawn once from its seed (model.md section 7)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hwdesc import ChipDescription, ResolvedKnobs

#: Smallest distance of two neighbouring ADC thresholds (codes): the drawn deviations are
#: clipped to it, so the thresholds always increase (hwdesc bounds ``analog.adc.dnl`` so that
#: the clipping is rare).
MIN_THRESHOLD_STEP = 0.2


def _rng(seed: int, half: int, name: str) -> np.random.Generator:
    """An independent generator per (seed, half, quantity): adding a quantity never shifts others."""
    return np.random.default_rng([int(seed), int(half), zlib.crc32(name.encode())])


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class HalfPattern:
    """Fixed-pattern arrays of one half, in SI units (read-only arrays).

    Shapes: ``K`` physical input rows of the half (signed inputs), ``M`` columns, ``Q`` ADC
    quadrants of the half (``M / analog.adc.quadrant_columns``), ``A`` the largest ADC code
    (``formats.adc.max``).
    """

    syn_gain_exc: (
        np.ndarray
    )  # (K, M) current factor of the excitatory synapse (mismatch x gradient)
    syn_gain_inh: np.ndarray  # (K, M) current factor of the inhibitory synapse
    drv_gain: (
        np.ndarray
    )  # (K,) relative pulse-length gain d_r (pulse = a * t_lsb * (1 + d_r) + o_r)
    drv_offset: np.ndarray  # (K,) pulse-length offset o_r (s)
    gm: np.ndarray  # (M,) transconductance of the excitatory OTA (S)
    gm_inh: np.ndarray  # (M,) transconductance of the inhibitory OTA (S)
    tau_syn: np.ndarray  # (M,) time constant of the excitatory line (s), g_m coupling included
    tau_syn_inh: np.ndarray  # (M,) time constant of the inhibitory line (s), likewise
    v_offset_exc: np.ndarray  # (M,) input-referred offset of the excitatory OTA (V)
    v_offset_inh: np.ndarray  # (M,) input-referred offset of the inhibitory OTA (V)
    v_leak: np.ndarray  # (M,) level the pseudo-leak pulls each neuron towards (V)
    i_offset: np.ndarray  # (M,) other leakage current into the membrane (A)
    v_rail_hi: np.ndarray  # (M,) upper rail: compliance falls to 0 here (V)
    v_rail_lo: np.ndarray  # (M,) lower rail (V)
    quadrant: np.ndarray  # (M,) int64 ADC quadrant of each column (column // quadrant_columns)
    adc_lsb: np.ndarray  # (M,) volts per ADC code: the quadrant's ramp slope
    adc_offset: np.ndarray  # (M,) ADC offset (codes): quadrant ramp offset + channel offset
    adc_dev: np.ndarray  # (Q, A) deviation of threshold k = 1..A of each quadrant (codes)

    def syn_gain(self, weights: np.ndarray) -> np.ndarray:
        """Current factor of the synapse each signed weight of a (k, m) tile uses, taken from the
        first k rows and m columns of the half (float32, C-contiguous)."""
        k, m = weights.shape
        return np.ascontiguousarray(
            np.where(weights >= 0, self.syn_gain_exc[:k, :m], self.syn_gain_inh[:k, :m]),
            dtype=np.float32,
        )

    def thresholds(self) -> np.ndarray:
        """(Q, A) ADC thresholds of each quadrant (codes): the code of a conversion is the
        number of thresholds ``k - 0.5 + adc_dev[q, k - 1]`` its value reaches."""
        k = np.arange(1, self.adc_dev.shape[1] + 1, dtype=np.float64)
        return k - 0.5 + self.adc_dev


def adc_deviations(inl_q: np.ndarray, z: np.ndarray, dnl: float) -> np.ndarray:
    """(Q, A) threshold deviations (codes): a smooth bow ``inl_q sin(pi (k - 0.5) / A)`` per
    quadrant plus ``dnl z`` per threshold, clipped so that neighbouring thresholds are at least
    :data:`MIN_THRESHOLD_STEP` apart (the smallest increase of each threshold that does it)."""
    n_q, a = z.shape
    k = np.arange(1, a + 1, dtype=np.float64)
    dev = inl_q[:, None] * np.sin(np.pi * (k - 0.5) / a)[None, :] + dnl * z
    # thresholds t_k = k - 0.5 + dev_k with t_k - t_{k-1} >= step: t_k - step k is non-decreasing
    step = MIN_THRESHOLD_STEP
    shifted = np.maximum.accumulate(k - 0.5 + dev - step * k, axis=1)
    return shifted + step * k - (k - 0.5)


def draw(chip: ChipDescription, knobs: ResolvedKnobs, seed: int) -> tuple[HalfPattern, ...]:
    """Draw the fixed pattern of every half of ``chip`` for calibration ``knobs`` from ``seed``.

    All spreads are those of ``chip.fixed_pattern`` times ``knobs.fixed_pattern_scale``; relative
    spreads are Gaussian around 1, absolute ones around 0. The spatial gradient lowers the
    synaptic current linearly from the first column (1) to the last (1 - spatial_gradient).
    Both line time constants follow the profile's g_m (``analog.synaptic_input.tau_gm_coupling``).
    The ADC non-linearity (``analog.adc.inl``, ``dnl``) is not a calibration residual and is not
    scaled.
    """
    fp = chip.fixed_pattern
    scale = knobs.fixed_pattern_scale
    rows, cols = chip.geometry.rows, chip.geometry.columns
    k = chip.tile_shape[0]
    reset = knobs.v_reset
    m = chip.analog.membrane
    adc = chip.analog.adc
    adc_max = chip.formats.adc.max
    quadrant = np.arange(cols, dtype=np.int64) // adc.quadrant_columns
    n_quadrants = int(quadrant[-1]) + 1
    tau = knobs.tau_syn * chip.analog.synaptic_input.tau_gm_coupling.factor(knobs.gm)
    gradient = 1.0 - fp.spatial_gradient * np.linspace(0.0, 1.0, cols)
    halves = []
    for half in range(chip.geometry.halves):

        def normal(name: str, std: float, shape, half: int = half) -> np.ndarray:
            return _rng(seed, half, name).standard_normal(shape) * (std * scale)

        def relative(name: str, std: float, shape) -> np.ndarray:
            return np.clip(1.0 + normal(name, std, shape), 0.05, None)

        syn = 1.0 + normal("synapse_current", fp.synapse_current, (rows, cols))
        syn = np.clip(syn, 0.0, None) * gradient[None, :]
        if chip.geometry.rows_per_signed_input == 2:
            exc, inh = syn[0::2], syn[1::2]
        else:
            exc = inh = syn
        # the calibration sets each path's OTA bias to a common amplitude (g_m tau_syn in the
        # linear regime), so the OTA bias makes up for the residual of the time constant: what
        # remains of the amplitude is the spread `gm` (model.md section 7)
        tau_exc = relative("tau_syn", fp.tau_syn, cols)
        tau_inh = relative("tau_syn_inh", fp.tau_syn, cols)
        slope_q = relative("adc_slope", fp.adc_slope, n_quadrants)
        ramp_offset_q = normal("adc_ramp_offset", fp.adc_ramp_offset, n_quadrants)
        inl_q = _rng(seed, half, "adc_inl").standard_normal(n_quadrants) * adc.inl
        z_dnl = _rng(seed, half, "adc_dnl").standard_normal((n_quadrants, adc_max))
        halves.append(
            HalfPattern(
                syn_gain_exc=_frozen(np.ascontiguousarray(exc)),
                syn_gain_inh=_frozen(np.ascontiguousarray(inh)),
                drv_gain=_frozen(normal("driver_pulse_gain", fp.driver_pulse_gain, k)),
                drv_offset=_frozen(normal("driver_pulse_offset", fp.driver_pulse_offset, k)),
                gm=_frozen(knobs.gm * relative("gm", fp.gm, cols) / tau_exc),
                gm_inh=_frozen(knobs.gm * relative("gm_inh", fp.gm, cols) / tau_inh),
                tau_syn=_frozen(tau * tau_exc),
                tau_syn_inh=_frozen(tau * tau_inh),
                v_offset_exc=_frozen(normal("ota_offset_exc", fp.ota_offset, cols)),
                v_offset_inh=_frozen(normal("ota_offset_inh", fp.ota_offset, cols)),
                v_leak=_frozen(m.v_leak + normal("leak_level", fp.leak_level, cols)),
                i_offset=_frozen(normal("offset_current", fp.offset_current, cols)),
                v_rail_hi=_frozen(reset + m.rail_distance_hi + normal("rail_hi", fp.rail, cols)),
                v_rail_lo=_frozen(reset - m.rail_distance_lo + normal("rail_lo", fp.rail, cols)),
                quadrant=_frozen(quadrant.copy()),
                adc_lsb=_frozen(adc.v_lsb * slope_q[quadrant]),
                adc_offset=_frozen(
                    ramp_offset_q[quadrant] + normal("adc_offset", fp.adc_offset, cols)
                ),
                adc_dev=_frozen(adc_deviations(inl_q, z_dnl, adc.dnl)),
            )
        )
    return tuple(halves)
