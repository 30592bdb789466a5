"""Plausibility ranges of the physical values of a chip description.

The schema's bounds say what is *valid* (a capacitance is positive); these ranges say what is
*plausible* for a chip built in a semiconductor process, generously (orders of magnitude around
BrainScaleS-2's values). A value outside is refused with its range and the reason, because it is
far more likely a unit slip (``150 V`` for ``150 mV``) or a typo than a design; kept, it makes
the analog model meaningless (``v_lin: 1e300 V`` gives all-zero outputs). A design that really
has such a value declares it, value by value, with a reason::

    exotic:
      analog.synaptic_input.v_lin: "a 20 V OTA input range (high-voltage process)"

``exotic`` only lifts the plausibility range of the paths it names; the schema's bounds (finite,
positive, ...) still hold. docs/chip-description.md lists the ranges.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Plausible ``low .. high`` (SI, both inclusive) of one quantity, and why."""

    low: float
    high: float
    dimension: str
    reason: str


_VOLT = "an on-chip voltage: CMOS supplies are at most a few volts"
_REL = "a residual relative spread beyond 100 % leaves no working circuit to calibrate"

#: Plausible ranges by YAML path. ``calibration.*.knobs`` entries apply to the physical value
#: each profile's knob sets, by the parameter it sets (see ``KNOBS``).
RANGES: dict[str, Range] = {
    "analog.dt": Range(
        1e-12,
        1e-3,
        "time",
        "integration step: below 1 ps no modelled circuit "
        "changes; above 1 ms it is longer than any synaptic time constant (bss2: 8 ns)",
    ),
    "analog.pulse.t_lsb": Range(
        1e-12, 1e-3, "time", "pulse length per activation step (bss2: 1 ns)"
    ),
    "analog.synaptic_input.c_syn": Range(
        1e-18, 1e-9, "capacitance", "an on-chip capacitor: 1 aF .. 1 nF (bss2: 0.2 pF)"
    ),
    "analog.synaptic_input.v_lin": Range(
        1e-3,
        10.0,
        "voltage",
        "OTA linear input range: below 1 mV it is below the offsets; " + _VOLT + " (bss2: 150 mV)",
    ),
    "analog.synaptic_input.v_max": Range(
        1e-3,
        10.0,
        "voltage",
        "bound of a line above its rest level: below 1 mV no pulse fits; "
        + _VOLT
        + " (bss2: 800 mV)",
    ),
    "analog.synaptic_input.tau_gm_coupling.reference_gm": Range(
        1e-12, 1e-3, "conductance", "an on-chip OTA: 1 pS .. 1 mS (bss2: 0.9 uS)"
    ),
    "analog.synaptic_input.tau_gm_coupling.exponent": Range(
        0.0,
        1.0,
        "dimensionless",
        "beyond 1 the time constant would change faster than inversely with g_m: not a coupling "
        "but another circuit (bss2: 0.06)",
    ),
    "analog.synin.c_line": Range(
        1e-18, 1e-9, "capacitance", "an on-chip capacitor: 1 aF .. 1 nF (bss2-synin: 5.6 pF)"
    ),
    "analog.synin.tau_line": Range(
        1e-9,
        1e6,
        "time",
        "leak of a line with its pull-up off: from 1 ns up to 11 days (bss2-synin: 200 us)",
    ),
    "analog.synin.v_rest": Range(-10.0, 10.0, "voltage", _VOLT + " (bss2-synin: 308 mV)"),
    "noise.synin.line_current_psd": Range(
        0.0,
        1e-18,
        "current_psd",
        "white current noise on a line: (1 nA)^2/Hz would be volts on a picofarad within "
        "microseconds (bss2-synin: 2e-26 A**2/Hz)",
    ),
    "noise.synin.readout_flicker_psd_at_1MHz": Range(
        0.0,
        1e-8,
        "voltage_psd",
        "1/f noise of a readout path: (100 uV)^2/Hz at 1 MHz is millivolts in every octave "
        "(bss2-synin: 4e-14 V**2/Hz)",
    ),
    "analog.membrane.tau_leak": Range(
        1e-9,
        1e6,
        "time",
        "residual leak: from 1 ns up to 11 days (a stand-in for no leak; bss2: 500 us)",
    ),
    "analog.membrane.v_leak": Range(-10.0, 10.0, "voltage", _VOLT + " (bss2: 0.3 V)"),
    "analog.membrane.rail_distance_hi": Range(1e-3, 10.0, "voltage", _VOLT + " (bss2: 270 mV)"),
    "analog.membrane.rail_distance_lo": Range(1e-3, 10.0, "voltage", _VOLT + " (bss2: 270 mV)"),
    "analog.membrane.compliance_width": Range(1e-4, 10.0, "voltage", _VOLT + " (bss2: 40 mV)"),
    "analog.adc.v_lo": Range(-10.0, 10.0, "voltage", _VOLT + " (bss2: 0 V)"),
    "analog.adc.v_lsb": Range(
        1e-6, 1.0, "voltage", "volts per ADC code: 1 uV .. 1 V (bss2: 2.5 mV)"
    ),
    "analog.adc.conversion_time": Range(
        0.0, 1e-3, "time", "an on-chip ADC conversion: up to 1 ms (bss2: 540 ns)"
    ),
    "analog.adc.inl": Range(
        0.0, 10.0, "dimensionless", "ADC integral non-linearity in codes (bss2: 0.3)"
    ),
    "noise.sigma_line": Range(
        0.0, 1.0, "voltage", "line noise beyond 1 V swamps any signal (bss2: 1.4 mV)"
    ),
    "noise.ota_current_psd_per_gm": Range(
        0.0,
        1e-12,
        "current_psd_per_conductance",
        "thermal noise is about 1e-20 A**2/Hz/S; up to 1e8 times that (bss2: 2e-18)",
    ),
    "noise.sigma_jitter": Range(
        0.0, 1e-6, "time", "pulse jitter beyond 1 us exceeds any pulse (bss2: 0.2 ns)"
    ),
    "noise.flicker.psd_at_1MHz": Range(
        0.0,
        1e-8,
        "voltage_psd",
        "input-referred 1/f noise of an OTA: (100 uV)^2/Hz at 1 MHz is millivolts in every "
        "octave (bss2: 1e-14 V**2/Hz)",
    ),
    "noise.flicker.tau_min": Range(
        1e-12, 1e3, "time", "1/f band edge: 1 ps .. 1000 s (bss2: 1 us)"
    ),
    "noise.flicker.tau_max": Range(
        1e-12, 1e3, "time", "1/f band edge: 1 ps .. 1000 s (bss2: 1 ms)"
    ),
    "noise.sigma_adc": Range(0.0, 100.0, "dimensionless", "ADC noise in codes (bss2: 0.5)"),
    "noise.sigma_ramp": Range(0.0, 100.0, "dimensionless", "ADC ramp noise in codes (bss2: 0.3)"),
    "fixed_pattern.synapse_current": Range(0.0, 1.0, "dimensionless", _REL),
    "fixed_pattern.driver_pulse_gain": Range(0.0, 1.0, "dimensionless", _REL),
    "fixed_pattern.driver_pulse_offset": Range(
        0.0, 1e-6, "time", "beyond 1 us exceeds any pulse (bss2: 0.2 ns)"
    ),
    "fixed_pattern.gm": Range(0.0, 1.0, "dimensionless", _REL),
    "fixed_pattern.tau_syn": Range(0.0, 1.0, "dimensionless", _REL),
    "fixed_pattern.ota_offset": Range(
        0.0, 1.0, "voltage", _VOLT + "; an OTA offset is millivolts (bss2: 0.3 mV)"
    ),
    "fixed_pattern.leak_level": Range(0.0, 1.0, "voltage", _VOLT + " (bss2: 5 mV)"),
    "fixed_pattern.offset_current": Range(
        0.0, 1e-6, "current", "offset currents of on-chip neurons are pA .. nA (bss2: 10 pA)"
    ),
    "fixed_pattern.rail": Range(0.0, 1.0, "voltage", _VOLT + " (bss2: 10 mV)"),
    "fixed_pattern.adc_slope": Range(0.0, 1.0, "dimensionless", _REL),
    "fixed_pattern.adc_ramp_offset": Range(
        0.0, 100.0, "dimensionless", "ADC ramp offset spread in codes (bss2: 0.5)"
    ),
    "fixed_pattern.adc_offset": Range(
        0.0, 100.0, "dimensionless", "ADC comparator offset spread in codes (bss2: 0.5)"
    ),
    "energy.event_sent": Range(
        0.0,
        1e-6,
        "energy",
        "1 uJ per action is more than a whole bss2 vector's dynamic energy (bss2: 20 pJ)",
    ),
    "energy.synapse_activation": Range(0.0, 1e-6, "energy", "as event_sent (bss2: 0.1 pJ)"),
    "energy.adc_conversion": Range(0.0, 1e-6, "energy", "as event_sent (bss2: 10 pJ)"),
    "energy.reset": Range(0.0, 1e-6, "energy", "as event_sent (bss2: 2 pJ)"),
    "energy.byte_transferred": Range(0.0, 1e-6, "energy", "as event_sent (bss2: 50 pJ)"),
    "energy.static_power": Range(
        0.0, 1e3, "power", "one chip dissipating more than 1 kW would melt (bss2: 0.6 W)"
    ),
}

#: Plausible physical values the calibration knobs set (checked per profile).
KNOBS: dict[str, Range] = {
    "gm": Range(0.0, 1e-3, "conductance", "an on-chip OTA: up to 1 mS (bss2: 0.9 uS)"),
    "i_max": Range(0.0, 1e-3, "current", "a synapse current: up to 1 mA (bss2: 0.5 uA)"),
    "tau_syn": Range(1e-12, 1.0, "time", "synaptic time constant: 1 ps .. 1 s (bss2: 0.32 us)"),
    "v_reset": Range(-10.0, 10.0, "voltage", _VOLT + " (bss2: 0.3 V)"),
    "c_m": Range(1e-18, 1e-9, "capacitance", "an on-chip capacitor: 1 aF .. 1 nF (bss2: 2.2 pF)"),
}


def values(desc):
    """(YAML path tuple, value, Range) of every quantity with a plausibility range."""
    for dotted_path, rng in RANGES.items():
        node = desc
        for part in dotted_path.split("."):
            node = getattr(node, part)
            if node is None:  # an optional section this chip does not have
                break
        else:
            yield tuple(dotted_path.split(".")), float(node), rng
    for pname in desc.calibration:
        resolved = desc.resolve(pname)
        for kname, knob in desc.knobs.items():
            yield (
                ("calibration", pname, "knobs", kname),
                float(getattr(resolved, knob.sets)),
                KNOBS[knob.sets],
            )
