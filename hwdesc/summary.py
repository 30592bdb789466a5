"""A readable text summary of a chip description (what ``chipsim check`` prints)."""

from __future__ import annotations

from .rules import DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS
from .schema import KNOB_TARGETS, ChipDescription, CodeKnob
from .units import format_si


def summary(chip: ChipDescription) -> str:
    """Geometry, formats, calibration profiles, schedule, the ADC, the noise and the energy
    table, as text."""
    g, f = chip.geometry, chip.formats
    k, m = chip.tile_shape
    lines = [
        f"chip: {chip.identity.name} - {chip.identity.title} (version {chip.identity.version})",
        "geometry:",
        f"  {g.halves} {'half' if g.halves == 1 else 'halves'} x {g.rows} rows x {g.columns} columns, readout on the {g.readout.replace('_', ' ')}",
        f"  signed tile per half: {k} inputs x {m} outputs "
        f"({g.rows_per_signed_input} row(s) per input, {g.columns_per_signed_output} column(s) per output)",
        "formats:",
        f"  input  {f.input.bits}-bit  {f.input.min}..{f.input.max}"
        f"  (zero input {'sends an event' if f.zero_input_sends_event else 'sends no event'})",
        f"  weight {f.weight.bits}-bit  {f.weight.min}..{f.weight.max}",
        f"  ADC    {f.adc.bits}-bit  {f.adc.min}..{f.adc.max}, centre {f.adc.center}",
        f"  output {f.output.min}..{f.output.max}",
        f"clocks: FPGA {format_si(chip.clocks.fpga, 'frequency')} "
        f"(cycle {format_si(chip.cycle_time, 'time')}), PPU {format_si(chip.clocks.ppu, 'frequency')}",
        f"link: one slot every {format_si(chip.io.event_slot_period, 'time')} carrying "
        f"{chip.io.events_per_slot} event(s); latency {format_si(chip.io.link_latency, 'time')}, "
        f"driver {format_si(chip.io.driver_latency, 'time')}",
        "calibration profiles:",
    ]
    for name, profile in chip.calibration.items():
        lines.append(f"  {name}: {profile.description}")
        resolved = chip.resolve(name)
        for kname, raw in profile.knobs.items():
            knob = chip.knobs[kname]
            target = knob.sets
            value = format_si(getattr(resolved, target), KNOB_TARGETS[target])
            code = f"code {raw:<5}" if isinstance(knob, CodeKnob) else f"{'target':<10}"
            lines.append(f"    {kname:<22} {code} -> {target} = {value}")
        factor = chip.analog.synaptic_input.tau_gm_coupling.factor(resolved.gm)
        if factor != 1.0:
            lines.append(
                f"    line time constant at this g_m: tau_syn x {factor:.4g} = "
                f"{format_si(resolved.tau_syn * factor, 'time')}"
            )
        if profile.fixed_pattern_scale != 1.0:
            lines.append(f"    fixed pattern x {profile.fixed_pattern_scale:g}")
    lines.append("schedule per vector:")
    for phase in chip.schedule.phases:
        if phase.duration is None:
            length = "n_inputs x num_sends x wait_between_events cycles"
        else:
            length = f"{format_si(phase.duration, 'time')} ({chip.cycles(phase.duration)} cycles)"
        lines.append(f"  {phase.name:<22} {phase.kind:<9} {length}")
    full = chip.vector_time(k, DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS)
    lines.append(
        f"  one full {k}-input vector at wait_between_events={DEFAULT_WAIT_BETWEEN_EVENTS}, "
        f"num_sends={DEFAULT_NUM_SENDS}: {format_si(full, 'time')} "
        f"({chip.vector_cycles(k, DEFAULT_NUM_SENDS, DEFAULT_WAIT_BETWEEN_EVENTS)} cycles; "
        f"fixed phases {format_si(chip.fixed_cycles() * chip.cycle_time, 'time')})"
    )
    adc, syn, nz = chip.analog.adc, chip.analog.synaptic_input, chip.noise
    rate = (
        f"at most {1e-6 / adc.conversion_time:.3g} MSample/s per channel"
        if adc.conversion_time > 0
        else "instantaneous"
    )
    quadrants = g.columns // adc.quadrant_columns
    coupling = syn.tau_gm_coupling
    fl = nz.flicker
    lines += [
        "analog:",
        f"  ADC: conversion {format_si(adc.conversion_time, 'time')} ({rate}); "
        f"{quadrants} quadrant(s) of {adc.quadrant_columns} columns per half share a ramp; "
        f"INL {adc.inl:g} codes, DNL {adc.dnl:g} codes",
        f"  synaptic lines bounded at {format_si(syn.v_max, 'voltage')} above rest; tau_syn x "
        f"(g_m / {format_si(coupling.reference_gm, 'conductance')})^-{coupling.exponent:g}",
        "noise:",
        f"  line {format_si(nz.sigma_line, 'voltage')}, OTA {nz.ota_current_psd_per_gm:.3g} "
        f"A**2/Hz/S, jitter {format_si(nz.sigma_jitter, 'time')}, synapse bias "
        f"{100 * nz.sigma_bias:g} % per column + {100 * nz.sigma_bias_common:g} % per quadrant, "
        f"OTA bias {100 * nz.sigma_gm:g} % per path",
        f"  flicker {fl.psd_at_1MHz:.3g} V**2/Hz at 1 MHz, {fl.components} components "
        f"{format_si(fl.tau_min, 'time')} .. {format_si(fl.tau_max, 'time')}; ADC "
        f"{nz.sigma_adc:g} codes per channel + {nz.sigma_ramp:g} codes per ramp",
    ]
    if chip.analog.synin is not None and nz.synin is not None:
        line = chip.analog.synin
        rest = (float(line.v_rest) - float(adc.v_lo)) / float(adc.v_lsb)
        lines[lines.index("noise:") : lines.index("noise:")] = [
            f"  synaptic-input readout: the lines integrate on {format_si(line.c_line, 'capacitance')}"
            f" with a {format_si(line.tau_line, 'time')} leak, at rest at "
            f"{format_si(line.v_rest, 'voltage')} (code {rest:.0f}); OTA and membrane not in the "
            "signal path",
        ]
        lines.append(
            f"  synaptic-input readout: line current {nz.synin.line_current_psd:.3g} A**2/Hz, "
            f"readout flicker {nz.synin.readout_flicker_psd_at_1MHz:.3g} V**2/Hz at 1 MHz"
        )
    e = chip.energy
    lines += [
        "energy per action:",
        f"  event sent          {format_si(e.event_sent, 'energy')}",
        f"  synapse activation  {format_si(e.synapse_activation, 'energy')}",
        f"  ADC conversion      {format_si(e.adc_conversion, 'energy')}",
        f"  neuron reset        {format_si(e.reset, 'energy')}",
        f"  byte transferred    {format_si(e.byte_transferred, 'energy')}",
        f"  static power        {format_si(e.static_power, 'power')}",
        f"  provenance: {e.provenance}",
    ]
    return "\n".join(lines)
