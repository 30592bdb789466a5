"""The uncalibrated chip: the raw mismatch of the circuits the calibration trims and the
code-to-physical transfer of the analog memory (CapMem) cells it sets, drawn once per chip seed
(the description's ``uncalibrated`` section; docs/calibration.md).

Each quantity has its own generator, keyed by (seed, half, name) as in
:mod:`chipsim.fixed_pattern`, so adding a quantity never shifts the others. Shapes: ``H`` halves,
``M`` columns (neurons) of a half, ``Q`` CADC quadrants of a half; arrays of the two paths of a
neuron have shape ``(H, 2, M)``, path 0 excitatory and 1 inhibitory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hwdesc import ChipDescription, ResolvedKnobs
from hwdesc.schema import CodeKnob

from ..fixed_pattern import HalfPattern, _rng
from .target import CAPMEM_MAX, HagenCalibTarget

#: The smallest effective code of a cell whose current sets a rate (a time constant or a ramp):
#: a cell whose offset would drive it to zero or below still gives a finite, slow rate.
MIN_EFFECTIVE_CODE = 0.5


def require_uncalibrated(desc: ChipDescription):
    """The description's ``uncalibrated`` section; ``ValueError`` if it has none."""
    raw = desc.uncalibrated
    if raw is None:
        raise ValueError(
            f"chip '{desc.identity.name}' has no `uncalibrated` section (the raw mismatch and "
            "the transfer of the knobs before calibration), so it cannot be calibrated; use one "
            "of its calibration profiles, or add the section (docs/calibration.md)"
        )
    return raw


@dataclass(frozen=True)
class Cells:
    """The per-instance transfer of a group of CapMem cells: ``c_eff = (c + inl sin(pi c /
    1022)) (1 + gain) + offset``."""

    gain: np.ndarray
    offset: np.ndarray
    inl: float

    def effective(self, codes) -> np.ndarray:
        """The effective codes of ``codes`` (an array of the cells' shape)."""
        c = np.asarray(codes, dtype=np.float64)
        bow = c + self.inl * np.sin(np.pi * c / CAPMEM_MAX)
        return bow * (1.0 + self.gain) + self.offset


@dataclass(frozen=True)
class RawChip:
    """The raw circuits of one chip instance (drawn by :meth:`draw`)."""

    description: ChipDescription
    seed: int
    gm_factor: np.ndarray  # (H, 2, M) raw OTA bias-to-g_m factor
    tau_factor: np.ndarray  # (H, 2, M) raw synaptic time constant factor
    gm_cells: Cells  # (H, 2, M) the OTA bias cells
    tau_cells: Cells  # (H, 2, M) the time constant bias cells
    ramp_start: np.ndarray  # (H, Q) ramp start around its cell's voltage (V)
    ramp_slope: np.ndarray  # (H, Q) relative ramp slope factor
    ramp_offset_cells: Cells  # (H, Q)
    ramp_slope_cells: Cells  # (H, Q)
    reference_cells: Cells  # (H,) the voltage cell the CADC reads while it is calibrated
    channel_offset: np.ndarray  # (H, M) comparator offsets (codes)

    @classmethod
    def draw(cls, desc: ChipDescription, seed: int) -> RawChip:
        """Draw the raw circuits of chip ``seed`` (Gaussian spreads: relative ones around 1,
        absolute ones around 0)."""
        raw = require_uncalibrated(desc)
        halves, m = desc.geometry.halves, desc.geometry.columns
        q = m // desc.analog.adc.quadrant_columns
        cap = raw.capmem

        def normal(name: str, std: float, shape) -> np.ndarray:
            return np.stack(
                [_rng(seed, h, name).standard_normal(shape) * std for h in range(halves)]
            )

        def relative(name: str, std: float, shape) -> np.ndarray:
            return np.clip(1.0 + normal(name, std, shape), 0.05, None)

        def cells(name: str, shape) -> Cells:
            return Cells(
                gain=normal(f"cell_gain_{name}", cap.gain_spread, shape),
                offset=normal(f"cell_offset_{name}", cap.offset_spread, shape),
                inl=float(cap.inl),
            )

        return cls(
            description=desc,
            seed=int(seed),
            gm_factor=relative("raw_gm", raw.gm, (2, m)),
            tau_factor=relative("raw_tau_syn", raw.tau_syn, (2, m)),
            gm_cells=cells("i_synin_gm", (2, m)),
            tau_cells=cells("i_bias_tau_syn", (2, m)),
            ramp_start=normal("raw_adc_ramp_offset", raw.adc_ramp_offset, q),
            ramp_slope=relative("raw_adc_slope", raw.adc_slope, q),
            ramp_offset_cells=cells("cadc_ramp_offset", q),
            ramp_slope_cells=cells("cadc_ramp_slope", q),
            reference_cells=cells("cadc_reference", ()),
            channel_offset=normal("raw_adc_channel_offset", raw.adc_channel_offset, m),
        )

    # ---- transfers ---------------------------------------------------------------------------
    @property
    def _raw(self):
        return require_uncalibrated(self.description)

    def voltage(self, cells: Cells, codes) -> np.ndarray:
        """Voltage (V) of voltage cells at ``codes``."""
        cap = self._raw.capmem
        return cap.v_at_zero + cap.v_per_code * cells.effective(codes)

    def reference_voltage(self, code: int) -> np.ndarray:
        """(H,) the voltage each half's CADC reference cell gives at ``code``."""
        return self.voltage(self.reference_cells, np.full(self.reference_cells.gain.shape, code))

    def gm(self, codes) -> np.ndarray:
        """(H, 2, M) transconductance (S) of each OTA at its bias codes (H, 2, M)."""
        knob = _code_knob(self.description, "gm")
        return np.clip(
            knob.offset + knob.per_code * self.gm_cells.effective(codes) * self.gm_factor,
            0.0,
            None,
        )

    def tau_syn(self, codes, gm: np.ndarray) -> np.ndarray:
        """(H, 2, M) line time constants (s) at the time constant bias codes (H, 2, M), with
        the coupling to each OTA's transconductance ``gm`` (H, 2, M)."""
        c_eff = np.maximum(self.tau_cells.effective(codes), MIN_EFFECTIVE_CODE)
        coupling = self.description.analog.synaptic_input.tau_gm_coupling
        factor = np.vectorize(coupling.factor, otypes=[np.float64])(gm)
        return self._raw.tau_syn_bias / c_eff * self.tau_factor * factor

    def adc(self, offset_codes, slope_codes, channel_codes) -> tuple[np.ndarray, np.ndarray]:
        """(H, M) volts per code and offsets (codes) of every CADC channel with its quadrant's
        ramp offset and slope codes (H, Q) and its digital offset (H, M), in the kernels' form
        ``x = (V - v_lo) / lsb + offset``."""
        quadrant = self.quadrant
        start = self.voltage(self.ramp_offset_cells, offset_codes) + self.ramp_start
        c_eff = np.maximum(self.ramp_slope_cells.effective(slope_codes), MIN_EFFECTIVE_CODE)
        lsb = self._raw.adc_slope_per_code * c_eff * self.ramp_slope
        v_lo = self.description.analog.adc.v_lo
        lsb_c = lsb[:, quadrant]
        offset = (v_lo - start[:, quadrant]) / lsb_c + self.channel_offset
        return lsb_c, offset + np.asarray(channel_codes, dtype=np.float64)

    @property
    def quadrant(self) -> np.ndarray:
        """(M,) the quadrant of each column of a half."""
        adc = self.description.analog.adc
        return np.arange(self.description.geometry.columns) // adc.quadrant_columns

    # ---- nominal codes: what the nominal transfer (no mismatch, no bow) gives for a target ----
    def nominal_codes(self, target: HagenCalibTarget) -> dict[str, np.ndarray]:
        """The code of every calibrated cell that the *nominal* transfer gives for ``target``:
        where an uncalibrated chip starts, and the codes of the quantities not calibrated."""
        desc, raw = self.description, self._raw
        cap = raw.capmem
        halves, m = int(desc.geometry.halves), int(desc.geometry.columns)
        q = int(self.ramp_start.shape[1])
        (c_lo, c_hi), (r_lo, r_hi) = target.dynamic_range, target.read_range
        v_lo = cap.v_at_zero + cap.v_per_code * c_lo
        v_hi = cap.v_at_zero + cap.v_per_code * c_hi
        lsb = (v_hi - v_lo) / (r_hi - r_lo)
        start = v_lo - r_lo * lsb + desc.analog.adc.v_lo
        offset_code = _code((start - cap.v_at_zero) / cap.v_per_code)
        slope_code = _code(lsb / raw.adc_slope_per_code)
        tau_code = _code(raw.tau_syn_bias / target.tau_syn)
        return {
            "cadc_ramp_offset": np.full((halves, q), offset_code, dtype=np.int64),
            "cadc_ramp_slope": np.full((halves, q), slope_code, dtype=np.int64),
            "cadc_channel_offset": np.zeros((halves, m), dtype=np.int64),
            "i_synin_gm": np.full((halves, 2, m), target.i_synin_gm, dtype=np.int64),
            "i_bias_tau_syn": np.full((halves, 2, m), tau_code, dtype=np.int64),
        }

    # ---- the chip at given codes ------------------------------------------------------------
    def patterns(
        self, base: tuple[HalfPattern, ...], codes: dict[str, np.ndarray]
    ) -> tuple[HalfPattern, ...]:
        """The fixed pattern of each half with the calibrated circuits at ``codes`` (the names
        of :meth:`nominal_codes`): ``base`` (from :func:`chipsim.fixed_pattern.draw`) with g_m,
        tau_syn and the CADC's steps and offsets replaced."""
        gm = self.gm(codes["i_synin_gm"])
        tau = self.tau_syn(codes["i_bias_tau_syn"], gm)
        lsb, offset = self.adc(
            codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
        )
        return tuple(
            replace(
                pat,
                gm=_frozen(gm[h, 0]),
                gm_inh=_frozen(gm[h, 1]),
                tau_syn=_frozen(tau[h, 0]),
                tau_syn_inh=_frozen(tau[h, 1]),
                adc_lsb=_frozen(lsb[h]),
                adc_offset=_frozen(offset[h]),
            )
            for h, pat in enumerate(base)
        )


def target_knobs(desc: ChipDescription, target: HagenCalibTarget) -> ResolvedKnobs:
    """The chip-wide knob values of a calibration ``target``: the default profile's, with the
    synapse DAC bias, the nominal OTA bias and tau_syn of the target and the reset level at the
    target's leak read (the reset-level knob is written in CADC codes)."""
    values = desc.resolve("default").model_dump()
    for knob in desc.knobs.values():
        if knob.sets == "i_max" and isinstance(knob, CodeKnob):
            values["i_max"] = knob.to_physical(target.synapse_dac_bias)
        elif knob.sets == "gm" and isinstance(knob, CodeKnob):
            values["gm"] = knob.to_physical(target.i_synin_gm)
        elif knob.sets == "v_reset" and isinstance(knob, CodeKnob):
            leak = getattr(target, "leak", None)
            if leak is not None:
                lo, hi = knob.range
                values["v_reset"] = knob.to_physical(min(max(int(leak), lo), hi))
    tau = getattr(target, "tau_syn", None)
    if tau is not None:
        values["tau_syn"] = float(tau)
    values["fixed_pattern_scale"] = 1.0
    return ResolvedKnobs(**values)


def _code_knob(desc: ChipDescription, sets: str) -> CodeKnob:
    for knob in desc.knobs.values():
        if knob.sets == sets and isinstance(knob, CodeKnob):
            return knob
    raise ValueError(f"chip '{desc.identity.name}': no code knob sets {sets}")


def _code(value: float) -> int:
    return int(min(max(round(float(value)), 0), CAPMEM_MAX))


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array, dtype=np.float64)
    array.setflags(write=False)
    return array
