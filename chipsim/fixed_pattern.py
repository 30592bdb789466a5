"""The static spread of one simulated chip, drawn once from its seed (model.md section 7)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from hwdesc import ChipDescription, ResolvedKnobs


def _rng(seed: int, half: int, name: str) -> np.random.Generator:
    """An independent generator per (seed, half, quantity): adding a quantity never shifts others."""
    return np.random.default_rng([int(seed), int(half), zlib.crc32(name.encode())])


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class HalfPattern:
    """Fixed-pattern arrays of one half, in SI units (read-only arrays).

    Shapes: ``K`` physical input rows of the half (signed inputs), ``M`` columns.
    """

    syn_gain_exc: (
        np.ndarray
    )  # (K, M) current factor of the excitatory synapse (mismatch x gradient)
    syn_gain_inh: np.ndarray  # (K, M) current factor of the inhibitory synapse
    drv_gain: (
        np.ndarray
    )  # (K,) relative pulse-length gain d_r (pulse = a * t_lsb * (1 + d_r) + o_r)
    drv_offset: np.ndarray  # (K,) pulse-length offset o_r (s)
    gm: np.ndarray  # (M,) OTA transconductance (S)
    tau_syn: np.ndarray  # (M,) synaptic time constant (s)
    i_offset: np.ndarray  # (M,) membrane offset current (A)
    v_rail_hi: np.ndarray  # (M,) upper rail: compliance falls to 0 here (V)
    v_rail_lo: np.ndarray  # (M,) lower rail (V)
    adc_lsb: np.ndarray  # (M,) volts per ADC code
    adc_offset: np.ndarray  # (M,) ADC offset (codes)

    def syn_gain(self, weights: np.ndarray) -> np.ndarray:
        """Current factor of the synapse each signed weight of a (k, m) tile uses, taken from the
        first k rows and m columns of the half (float32, C-contiguous)."""
        k, m = weights.shape
        return np.ascontiguousarray(
            np.where(weights >= 0, self.syn_gain_exc[:k, :m], self.syn_gain_inh[:k, :m]),
            dtype=np.float32,
        )


def draw(chip: ChipDescription, knobs: ResolvedKnobs, seed: int) -> tuple[HalfPattern, ...]:
    """Draw the fixed pattern of every half of ``chip`` for calibration ``knobs`` from ``seed``.

    All spreads are those of ``chip.fixed_pattern`` times ``knobs.fixed_pattern_scale``; relative
    spreads are Gaussian around 1, absolute ones around 0. The spatial gradient lowers the
    synaptic current linearly from the first column (1) to the last (1 - spatial_gradient).
    """
    fp = chip.fixed_pattern
    scale = knobs.fixed_pattern_scale
    rows, cols = chip.geometry.rows, chip.geometry.columns
    k = chip.tile_shape[0]
    reset = knobs.v_reset
    m = chip.analog.membrane
    gradient = 1.0 - fp.spatial_gradient * np.linspace(0.0, 1.0, cols)
    halves = []
    for half in range(chip.geometry.halves):

        def normal(name: str, std: float, shape, half: int = half) -> np.ndarray:
            return _rng(seed, half, name).standard_normal(shape) * (std * scale)

        syn = 1.0 + normal("synapse_current", fp.synapse_current, (rows, cols))
        syn = np.clip(syn, 0.0, None) * gradient[None, :]
        if chip.geometry.rows_per_signed_input == 2:
            exc, inh = syn[0::2], syn[1::2]
        else:
            exc = inh = syn
        halves.append(
            HalfPattern(
                syn_gain_exc=_frozen(np.ascontiguousarray(exc)),
                syn_gain_inh=_frozen(np.ascontiguousarray(inh)),
                drv_gain=_frozen(normal("driver_pulse_gain", fp.driver_pulse_gain, k)),
                drv_offset=_frozen(normal("driver_pulse_offset", fp.driver_pulse_offset, k)),
                gm=_frozen(knobs.gm * np.clip(1.0 + normal("gm", fp.gm, cols), 0.05, None)),
                tau_syn=_frozen(
                    knobs.tau_syn * np.clip(1.0 + normal("tau_syn", fp.tau_syn, cols), 0.05, None)
                ),
                i_offset=_frozen(normal("offset_current", fp.offset_current, cols)),
                v_rail_hi=_frozen(reset + m.rail_distance_hi + normal("rail_hi", fp.rail, cols)),
                v_rail_lo=_frozen(reset - m.rail_distance_lo + normal("rail_lo", fp.rail, cols)),
                adc_lsb=_frozen(
                    chip.analog.adc.v_lsb
                    * np.clip(1.0 + normal("adc_slope", fp.adc_slope, cols), 0.05, None)
                ),
                adc_offset=_frozen(normal("adc_offset", fp.adc_offset, cols)),
            )
        )
    return tuple(halves)
