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
from .target import CAPMEM_MAX, HagenCalibTarget, HagenSyninCalibTarget

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
    dac_factor: np.ndarray  # (H, Q) raw current factor of each quadrant's synapse DAC bias
    dac_cells: Cells  # (H, Q) the synapse DAC bias cells
    ramp_factor: np.ndarray  # (H, B) raw ramp current factor of each driver block
    ramp_cells: Cells  # (H, B) the ramp cells of the driver blocks
    drv_gain: np.ndarray  # (H, K) raw relative pulse length per step of each driver
    drv_offset: np.ndarray  # (H, K) raw pulse length offset of each driver (s)
    drv_step: np.ndarray  # (H, K) relative size of each driver's DAC offset step (around 1)
    leak_raw: np.ndarray  # (H, M) raw leak level around its cell's voltage (V)
    leak_cells: Cells  # (H, M) the leak level cells
    reset_raw: np.ndarray  # (H, M) raw reset level around its cell's voltage (V)
    reset_cells: Cells  # (H, M) the reset level cells
    leak_factor: np.ndarray  # (H, M) raw leak conductance factor
    leak_bias_cells: Cells  # (H, M) the leak bias cells

    @classmethod
    def draw(cls, desc: ChipDescription, seed: int) -> RawChip:
        """Draw the raw circuits of chip ``seed`` (Gaussian spreads: relative ones around 1,
        absolute ones around 0)."""
        raw = require_uncalibrated(desc)
        halves, m = desc.geometry.halves, desc.geometry.columns
        q = m // desc.analog.adc.quadrant_columns
        k = n_drivers(desc)
        if k % raw.driver_block:
            raise ValueError(
                f"chip '{desc.identity.name}': uncalibrated.driver_block = {raw.driver_block} "
                f"does not divide the {k} synapse drivers of a half; give a divisor of {k}"
            )
        b = k // raw.driver_block
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
            dac_factor=relative("raw_synapse_dac", raw.synapse_dac, q),
            dac_cells=cells("synapse_dac_bias", q),
            ramp_factor=relative("raw_driver_ramp", raw.driver_ramp, b),
            ramp_cells=cells("driver_ramp", b),
            drv_gain=normal("raw_driver_pulse_gain", raw.driver_pulse_gain, k),
            drv_offset=normal("raw_driver_pulse_offset", raw.driver_pulse_offset, k),
            drv_step=relative("raw_driver_offset_step", raw.driver_offset_spread, k),
            leak_raw=normal("raw_leak_level", raw.leak_level, m),
            leak_cells=cells("v_leak", m),
            reset_raw=normal("raw_reset_level", raw.reset_level, m),
            reset_cells=cells("v_reset", m),
            leak_factor=relative("raw_tau_mem", raw.tau_mem, m),
            leak_bias_cells=cells("i_bias_leak", m),
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

    def leak_level(self, codes) -> np.ndarray:
        """(H, M) level (V) the leak of every neuron pulls towards, at its leak cell codes."""
        return self.voltage(self.leak_cells, codes) + self.leak_raw

    def tau_mem(self, codes) -> np.ndarray:
        """(H, M) membrane time constant (s) of every neuron with its leak on at the leak bias
        codes (H, M): the leak's own ``tau_mem_bias / (c_eff f)`` in parallel with the
        description's pseudo-leak (``analog.membrane.tau_leak``)."""
        c_eff = np.maximum(self.leak_bias_cells.effective(codes), MIN_EFFECTIVE_CODE)
        rate = c_eff * self.leak_factor / self._raw.tau_mem_bias
        return 1.0 / (rate + 1.0 / float(self.description.analog.membrane.tau_leak))

    def reset_level(self, codes) -> np.ndarray:
        """(H, M) reset level (V) of every neuron at its reset cell codes."""
        return self.voltage(self.reset_cells, codes) + self.reset_raw

    def i_max(self, codes) -> np.ndarray:
        """(H, Q) synaptic current at weight 63 (A) of each quadrant at its synapse DAC bias
        codes (H, Q)."""
        knob = _code_knob(self.description, "i_max")
        return np.clip(
            knob.offset + knob.per_code * self.dac_cells.effective(codes) * self.dac_factor,
            0.0,
            None,
        )

    def driver_transfer(self, ramp_codes, offset_codes) -> tuple[np.ndarray, np.ndarray]:
        """(H, K) relative gain ``d`` and offset ``o`` (s) of every driver's pulse length
        ``T(a) = a t_lsb (1 + d) + o`` with its block's ramp cell at ``ramp_codes`` (H, B) and its
        DAC offset at ``offset_codes`` (H, K); below the window :attr:`driver_window`.

        The pulse lasts from the time the driver's ramp crosses the DAC level of the activation
        to the end of the window ``W``: ``T(a) = W - g x``, with ``x = W - a t_lsb (1 + d_r) -
        o_r + per_code s_r (c - zero)`` the crossing time of the nominal ramp (a higher
        activation, a lower DAC level, an earlier crossing; a higher DAC offset code, a later
        one) and ``g = driver_ramp_code / (c_eff f_b)`` the inverse of the block's ramp current
        relative to the nominal one (a stronger ramp crosses earlier: longer pulses, a smaller
        step per activation)."""
        raw = self._raw
        block = np.arange(self.drv_gain.shape[1]) // raw.driver_block
        c_eff = np.maximum(self.ramp_cells.effective(ramp_codes), MIN_EFFECTIVE_CODE)
        g = (raw.driver_ramp_code / (c_eff * self.ramp_factor))[:, block]
        gain = g * (1.0 + self.drv_gain) - 1.0
        codes = np.asarray(offset_codes, dtype=np.float64)
        window = self.driver_window
        start = (
            window
            - self.drv_offset
            + raw.driver_offset_per_code * self.drv_step * (codes - raw.driver_offset_zero)
        )
        return gain, window - g * start

    def driver_pulses(self, ramp_codes, offset_codes, activation: int) -> np.ndarray:
        """(H, K) pulse length (s) of every driver at ``activation``: the transfer of
        :meth:`driver_transfer`, limited to 0..:attr:`driver_window`."""
        gain, offset = self.driver_transfer(ramp_codes, offset_codes)
        t_lsb = self.description.analog.pulse.t_lsb
        return np.clip(activation * t_lsb * (1.0 + gain) + offset, 0.0, self.driver_window)

    @property
    def driver_window(self) -> float:
        """The longest pulse a driver makes (s)."""
        return float(self._raw.driver_pulse_window)

    @property
    def quadrant(self) -> np.ndarray:
        """(M,) the quadrant of each column of a half."""
        adc = self.description.analog.adc
        return np.arange(self.description.geometry.columns) // adc.quadrant_columns

    # ---- nominal codes: what the nominal transfer (no mismatch, no bow) gives for a target ----
    def nominal_codes(
        self, target: HagenCalibTarget | HagenSyninCalibTarget
    ) -> dict[str, np.ndarray]:
        """The code of every calibrated cell that the *nominal* transfer gives for ``target``:
        where an uncalibrated chip starts, and the codes of the quantities not calibrated. A
        target without neuron fields (:class:`~.target.HagenSyninCalibTarget`: the lines are
        read directly) has no OTA and time constant codes."""
        desc, raw = self.description, self._raw
        halves, m = int(desc.geometry.halves), int(desc.geometry.columns)
        q = int(self.ramp_start.shape[1])
        k = self.drv_gain.shape[1]
        codes = {
            **self.nominal_cadc_codes(target.dynamic_range, target.read_range),
            "synapse_dac_bias": np.full((halves, q), target.synapse_dac_bias, dtype=np.int64),
            "driver_ramp": np.full(
                (halves, k // raw.driver_block), raw.driver_ramp_code, dtype=np.int64
            ),
            "driver_offset": np.full((halves, k), raw.driver_offset_zero, dtype=np.int64),
        }
        if isinstance(target, HagenCalibTarget):
            cap = raw.capmem
            (c_lo, c_hi), (r_lo, r_hi) = target.dynamic_range, target.read_range
            per_read = cap.v_per_code * (c_hi - c_lo) / (r_hi - r_lo)  # volts per CADC code
            level = cap.v_per_code * c_lo + (target.leak - r_lo) * per_read
            level_code = _code(level / cap.v_per_code)
            codes["v_leak"] = np.full((halves, m), level_code, dtype=np.int64)
            codes["v_reset"] = np.full((halves, m), level_code, dtype=np.int64)
            tau_code = _code(raw.tau_syn_bias / target.tau_syn)
            codes["i_synin_gm"] = np.full((halves, 2, m), target.i_synin_gm, dtype=np.int64)
            codes["i_bias_tau_syn"] = np.full((halves, 2, m), tau_code, dtype=np.int64)
            pseudo = 1.0 / float(desc.analog.membrane.tau_leak)
            leak_code = _code(raw.tau_mem_bias * max(1.0 / target.tau_mem - pseudo, 0.0))
            codes["i_bias_leak"] = np.full((halves, m), leak_code, dtype=np.int64)
        return codes

    def nominal_cadc_codes(
        self, dynamic_range: tuple[int, int], read_range: tuple[int, int]
    ) -> dict[str, np.ndarray]:
        """The CADC codes the nominal transfer gives for ``dynamic_range`` (CapMem codes) read
        as ``read_range``: ramp offset and slope per quadrant, channel offsets 0."""
        desc, raw = self.description, self._raw
        cap = raw.capmem
        halves, m = int(desc.geometry.halves), int(desc.geometry.columns)
        q = int(self.ramp_start.shape[1])
        (c_lo, c_hi), (r_lo, r_hi) = dynamic_range, read_range
        v_lo = cap.v_at_zero + cap.v_per_code * c_lo
        v_hi = cap.v_at_zero + cap.v_per_code * c_hi
        lsb = (v_hi - v_lo) / (r_hi - r_lo)
        start = v_lo - r_lo * lsb  # the ramp's voltage at count 0
        offset_code = _code((start - cap.v_at_zero) / cap.v_per_code)
        slope_code = _code(lsb / raw.adc_slope_per_code)
        return {
            "cadc_ramp_offset": np.full((halves, q), offset_code, dtype=np.int64),
            "cadc_ramp_slope": np.full((halves, q), slope_code, dtype=np.int64),
            "cadc_channel_offset": np.zeros((halves, m), dtype=np.int64),
        }

    # ---- the chip at given codes ------------------------------------------------------------
    def patterns(
        self,
        base: tuple[HalfPattern, ...],
        codes: dict[str, np.ndarray],
        i_max: float,
        v_reset: float,
        activation: int | None = None,
        reset_at_leak: bool = False,
    ) -> tuple[HalfPattern, ...]:
        """The fixed pattern of each half with the calibrated circuits at ``codes`` (the names
        of :meth:`nominal_codes`): ``base`` (from :func:`chipsim.fixed_pattern.draw`) with g_m,
        tau_syn, the CADC's steps and offsets, the drivers' pulse gains and offsets and the
        synaptic currents of each quadrant replaced. ``i_max`` (A) is the chip-wide current at
        weight 63 the kernels run with: each column's synapses are scaled by its quadrant's
        current over it. ``v_reset`` (V) is the chip-wide reset level the kernels run with:
        each neuron's own reset level (its cell at ``codes["v_reset"]``) differs from it by
        ``d``, which the pattern carries by moving the neuron's leak level and rails by ``-d``
        and its ADC offset by ``d`` over its step (the membrane's dynamics depend on the
        distances to these levels only, so this is the neuron with its own reset; a recorded
        membrane trace is in the frame of the chip-wide reset). The leak level is the leak
        cell's at ``codes["v_leak"]``. With ``activation``, every driver's pulse is set to its length at that
        activation, limited to the window (an experiment that sends only that activation);
        without, the transfer is the linear one of :meth:`driver_transfer`. Without OTA bias
        codes (``i_synin_gm``: a synaptic-input chip), g_m and tau_syn stay those of ``base``,
        and without reset codes (``v_reset``) the leak level, the rails and the ADC offset
        carry no reset shift. With ``reset_at_leak`` every neuron is reset to its own leak level
        instead of its reset cell's (the membrane starts at rest: the reference's measurements
        that read a membrane resting at its leak level, with no reset before the events)."""
        neurons: dict[str, np.ndarray] = {}
        if "i_synin_gm" in codes:
            gm = self.gm(codes["i_synin_gm"])
            tau = self.tau_syn(codes["i_bias_tau_syn"], gm)
            neurons = {"gm": gm[:, 0], "gm_inh": gm[:, 1], "tau_syn": tau[:, 0]}
            neurons["tau_syn_inh"] = tau[:, 1]
        lsb, offset = self.adc(
            codes["cadc_ramp_offset"], codes["cadc_ramp_slope"], codes["cadc_channel_offset"]
        )
        if activation is None:
            drv_gain, drv_offset = self.driver_transfer(
                codes["driver_ramp"], codes["driver_offset"]
            )
        else:
            pulse = self.driver_pulses(codes["driver_ramp"], codes["driver_offset"], activation)
            drv_gain = np.zeros_like(pulse)
            drv_offset = pulse - activation * self.description.analog.pulse.t_lsb
        scale = (self.i_max(codes["synapse_dac_bias"]) / float(i_max))[:, self.quadrant]
        if "v_reset" in codes:
            level = self.leak_level(codes["v_leak"])
            reset = level if reset_at_leak else self.reset_level(codes["v_reset"])
            shift = reset - float(v_reset)  # (H, M)
            neurons["v_leak"] = level - shift
            # a reset beyond a rail (a search trying the far ends of the reset cell's range)
            # keeps the rail one compliance width beyond the kernels' reset
            width = float(self.description.analog.membrane.compliance_width)
            rail_hi = np.stack([pat.v_rail_hi for pat in base]) - shift
            rail_lo = np.stack([pat.v_rail_lo for pat in base]) - shift
            neurons["v_rail_hi"] = np.maximum(rail_hi, float(v_reset) + width)
            neurons["v_rail_lo"] = np.minimum(rail_lo, float(v_reset) - width)
            offset = offset + shift / lsb
        return tuple(
            replace(
                pat,
                syn_gain_exc=_frozen(pat.syn_gain_exc * scale[h][None, :]),
                syn_gain_inh=_frozen(pat.syn_gain_inh * scale[h][None, :]),
                drv_gain=_frozen(drv_gain[h]),
                drv_offset=_frozen(drv_offset[h]),
                adc_lsb=_frozen(lsb[h]),
                adc_offset=_frozen(offset[h]),
                **{name: _frozen(values[h]) for name, values in neurons.items()},
            )
            for h, pat in enumerate(base)
        )


def n_drivers(desc: ChipDescription) -> int:
    """The synapse drivers of a half: one per two rows (an excitatory and an inhibitory row in
    the membrane readout, two inputs in the synaptic-input readout)."""
    return int(desc.geometry.rows) // 2


def target_knobs(
    desc: ChipDescription, target: HagenCalibTarget | HagenSyninCalibTarget
) -> ResolvedKnobs:
    """The chip-wide knob values of a calibration ``target``: the default profile's, with the
    synapse DAC bias, the nominal OTA bias and tau_syn of the target and the reset level at the
    target's leak read (the reset-level knob is written in CADC codes); a target without the
    neuron fields keeps the default profile's for them."""
    values = desc.resolve("default").model_dump()
    for knob in desc.knobs.values():
        if knob.sets == "i_max" and isinstance(knob, CodeKnob):
            values["i_max"] = knob.to_physical(target.synapse_dac_bias)
        elif knob.sets == "gm" and isinstance(knob, CodeKnob):
            gm_code = getattr(target, "i_synin_gm", None)
            if gm_code is not None:
                values["gm"] = knob.to_physical(gm_code)
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
