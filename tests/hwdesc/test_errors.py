"""Every kind of bad chip description gives one ChipDescriptionError whose message names the file,
the line, the YAML path, what was wrong and what is allowed.

Bad inputs are made by editing the text of hwdesc/chips/tutorial.yaml; the expected line is the line of
the edited text (found by a marker that occurs there once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hwdesc

TUTORIAL_PATH = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml"
TUTORIAL = TUTORIAL_PATH.read_text()
FILE = "tutorial-edited.yaml"


def edited(old: str, new: str) -> str:
    """The tutorial text with ``old`` (which occurs exactly once) replaced by ``new``."""
    assert TUTORIAL.count(old) == 1, f"{old!r} occurs {TUTORIAL.count(old)} times in tutorial.yaml"
    return TUTORIAL.replace(old, new)


def line_of(text: str, marker: str) -> int:
    """1-based line of the single line of ``text`` that contains ``marker``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) == 1, f"{marker!r} is on lines {hits}"
    return hits[0]


def rejected(text: str) -> hwdesc.ChipDescriptionError:
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.loads(text, file=FILE)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.file == FILE
    # The message starts with the place: file, line, path.
    where = (
        FILE
        + (f", line {err.line}" if err.line else "")
        + (f", at `{err.yaml_path}`" if err.yaml_path else "")
    )
    assert str(err).startswith(where + ": " + err.problem)
    if err.hint:
        assert f"\n  hint: {err.hint}" in str(err)
    return err


def test_the_tutorial_itself_loads():
    chip = hwdesc.loads(TUTORIAL, file=FILE)
    assert chip.identity.name == "tutorial"


def test_anchors_aliases_and_merge_keys_are_plain_data():
    text = edited("knobs: {i_synin_gm: 450,", "knobs: &defaults {i_synin_gm: 450,").replace(
        "knobs: {i_synin_gm: 225, synapse_dac_bias: 1022, tau_syn: 0.64 us, reset_level: 120, "
        "membrane_capacitance: 63}",
        "knobs: {<<: *defaults, i_synin_gm: 225}",
    )
    chip = hwdesc.loads(text, file=FILE)
    assert chip.profile("custom").knobs == {**chip.profile("default").knobs, "i_synin_gm": 225}


# ---- YAML level ---------------------------------------------------------------------------------


def test_yaml_syntax_error_names_line_and_the_value_being_parsed():
    text = edited("  halves: 2 ", "  halves: [2 ")
    err = rejected(text)
    # The flow list may go on over lines: YAML notices the missing ']' on the next line.
    assert err.line == line_of(text, "halves: [2") + 1
    assert err.yaml_path == "geometry.halves"
    assert err.problem.startswith("YAML syntax error: expected ',' or ']'")
    assert "indentation, colons, brackets and quotes" in err.hint


def test_yaml_syntax_error_colon_in_a_plain_value():
    text = edited(
        "  title: Tutorial chip (8 x 8 signed tile per half)", "  title: Tutorial chip: 8 x 8"
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "title:"), "identity")
    assert err.problem == "YAML syntax error: mapping values are not allowed here"


def test_yaml_syntax_error_in_a_flow_mapping_of_a_list_item():
    text = edited("{name: post_events, kind: wait,", "{name: post_events kind: wait,")
    err = rejected(text)
    assert err.line == line_of(text, "post_events kind")
    assert err.yaml_path == "schedule.phases[6]"
    assert "YAML syntax error" in err.problem


def test_duplicate_key_names_both_lines():
    text = edited("  halves: 2 ", "  halves: 2\n  halves: 4 ")
    err = rejected(text)
    assert err.line == line_of(text, "halves: 4")
    assert err.yaml_path == "geometry.halves"
    assert (
        err.problem
        == f"duplicate key 'halves' (first written on line {line_of(text, 'halves: 2')})"
    )
    assert err.hint == "each key may appear once per mapping: remove or merge one of them"


def test_unsafe_python_tag_is_refused_and_never_run(monkeypatch, capfd):
    calls = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    text = edited("  halves: 2 ", '  halves: !!python/object/apply:os.system ["echo hi"] ')
    err = rejected(text)
    assert calls == []
    assert "hi" not in capfd.readouterr().out
    assert err.line == line_of(text, "!!python")
    assert err.yaml_path == "geometry.halves"
    assert err.problem.startswith("refused the YAML tag '!!python/object/apply:os.system'")
    assert err.hint == "remove the tag and write the value as plain YAML"


def test_unsafe_tag_on_a_whole_document_is_refused(tmp_path):
    marker = tmp_path / "ran"
    err = rejected(f'!!python/object/apply:os.system ["touch {marker}"]\n')
    assert not marker.exists()
    assert err.line == 1 and err.yaml_path == ""
    assert "refused the YAML tag" in err.problem


def test_local_tag_is_refused():
    text = edited("  rows: 16 ", "  rows: !big 16 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "!big"), "geometry.rows")
    assert err.problem.startswith("refused the YAML tag '!big'")


@pytest.mark.parametrize("tag", ["!!binary", "!!set", "!!timestamp", "!!omap"])
def test_non_plain_safe_tags_are_refused(tag):
    text = edited('  version: "1.0"', f"  version: {tag} x")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, tag), "identity.version")
    assert err.problem.startswith(f"refused the YAML tag '{tag}'")


def test_explicit_tag_with_an_unreadable_value():
    text = edited("  rows: 16 ", "  rows: !!int sixteen ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "sixteen"), "geometry.rows")
    assert err.problem == "cannot read 'sixteen' as '!!int'"


def test_tag_on_the_wrong_kind_of_node():
    text = edited("  rows: 16 ", "  rows: !!str [16] ")
    err = rejected(text)
    assert err.yaml_path == "geometry.rows"
    assert err.problem == "the tag '!!str' marks a single value, but a list follows"


def test_dates_stay_strings():
    # No field is a date; an impossible date must not fail inside the YAML constructor.
    chip = hwdesc.loads(edited('  version: "1.0"', "  version: 2024-13-45"), file=FILE)
    assert chip.identity.version == "2024-13-45"


def test_merge_of_a_scalar_is_refused():
    text = edited("  halves: 2 ", "  <<: 2\n  halves: 2 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "<<: 2"), "geometry")
    assert err.problem == "'<<' merges a mapping (or a list of mappings) into this one"


def test_recursive_alias_is_refused():
    err = rejected("a: &loop [*loop]\n")
    assert (err.line, err.yaml_path) == (1, "a[0]")
    assert err.problem == "an alias refers to a node that contains it"


def test_control_character_is_refused_with_its_line():
    text = edited("  rows: 16 ", "  rows: 16\x07 ")
    err = rejected(text)
    assert err.line == line_of(text, "rows: 16\x07")
    assert err.problem == "the character '\\x07' (U+0007) is not allowed in YAML"


def test_deep_nesting_is_refused():
    err = rejected("a: " + "[" * 5000)
    assert err.problem == "the document is nested more than 32 levels deep"
    assert err.line == 1


def test_nesting_limit_is_located():
    text = (
        "schema_version: 1\nidentity:\n  name: x\nb:\n"
        + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(40))
        + "  " * 41
        + "v: 1\n"
    )
    err = rejected(text)
    assert err.problem == "the document is nested more than 32 levels deep"
    assert err.line == text.splitlines().index("  " * 31 + "k30:") + 1  # its value is level 33


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_text(text):
    err = rejected(text)
    assert err.line is None and err.yaml_path == ""
    assert err.problem == "the file is empty (no YAML content)"
    assert "schema_version: 1" in err.hint and "built-in tutorial chip" in err.hint


@pytest.mark.parametrize(
    "text, described, line",
    [
        ("- 1\n- 2\n", "a list", 1),
        ("hello\n", "the string 'hello'", 1),
        ("42\n", "the number 42", 1),
        ("~\n", "empty (null)", 1),
        ("---\n", "empty (null)", 2),
    ],
)
def test_document_that_is_not_a_mapping(text, described, line):
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line, "")
    assert err.problem == f"the document is {described}, not a mapping of sections"
    assert "built-in tutorial chip" in err.hint


# ---- files --------------------------------------------------------------------------------------


def test_file_that_does_not_exist(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(path)
    err = info.value
    assert (err.file, err.line, err.yaml_path) == (str(path), None, "")
    assert str(err) == (
        f"{path}: no such file\n  hint: give the path of a chip YAML, or the name of a "
        "built-in chip: bss2, bss2-synin, tutorial (`chipsim list-chips`)"
    )


def test_builtin_chips_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sorted(hwdesc.builtin_chips()) == ["bss2", "bss2-synin", "tutorial"]
    assert hwdesc.load("tutorial") == hwdesc.load(hwdesc.CHIPS_DIR / "tutorial.yaml")
    (tmp_path / "bss2").mkdir()  # a folder of that name (e.g. an output folder) does not shadow it
    assert hwdesc.load("bss2").tile_shape == (128, 256)
    # An existing file wins over the built-in name.
    (tmp_path / "tutorial").write_text(TUTORIAL.replace("name: tutorial", "name: mine"))
    assert hwdesc.load("tutorial").identity.name == "mine"


@pytest.mark.parametrize(
    "arg, hint",
    [
        (
            "bss3",
            "did you mean 'bss2'? no built-in chip is called 'bss3' either; built-in chips: bss2, "
            "bss2-synin, tutorial (`chipsim list-chips`), or give the path of a chip YAML",
        ),
        (
            "chips/bss2.yaml",
            "give the path of a chip YAML, or the name of a built-in chip: bss2, "
            "bss2-synin, tutorial (`chipsim list-chips`)",
        ),
    ],
)
def test_unknown_chip_name_or_path(tmp_path, monkeypatch, arg, hint):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(arg)
    assert (info.value.problem, info.value.hint) == ("no such file", hint)


def test_folder_instead_of_a_file(tmp_path):
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(tmp_path)
    assert info.value.file == str(tmp_path)
    assert info.value.problem == "this is a folder, not a file"


def test_empty_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(path)
    assert info.value.file == str(path)
    assert info.value.problem == "the file is empty (no YAML content)"


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"schema_version: 1\nidentity:\n  title: Gr\xfcn\n")
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(path)
    err = info.value
    assert (err.file, err.line) == (str(path), 3)
    assert err.problem == "the file is not UTF-8 text (byte 0xfc at offset 39)"
    assert err.hint == "save the file as UTF-8"


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TUTORIAL.encode())
    assert hwdesc.load(path).identity.name == "tutorial"


def test_file_errors_carry_the_path_in_the_message(tmp_path):
    path = tmp_path / "bad.yaml"
    text = edited("  halves: 2 ", "  halves: zwei ")
    path.write_text(text)
    with pytest.raises(hwdesc.ChipDescriptionError) as info:
        hwdesc.load(path)
    assert str(info.value).startswith(
        f"{path}, line {line_of(text, 'zwei')}, at `geometry.halves`: "
    )


# ---- schema level -------------------------------------------------------------------------------


def test_unknown_key_suggests_the_closest_and_lists_the_allowed_keys():
    text = edited("    c_syn: 0.2 pF", "    c_sin: 0.2 pF")
    err = rejected(text)
    assert err.line == line_of(text, "c_sin")
    assert err.yaml_path == "analog.synaptic_input.c_sin"
    assert err.problem == "unknown key 'c_sin'"
    # The misspelling is one mistake: the "missing c_syn" it causes is not reported as another.
    assert err.hint == (
        "did you mean `c_syn`? allowed keys here: c_syn, v_lin, v_max, tau_gm_coupling"
    )


def test_unknown_top_level_key_without_a_close_match():
    text = edited("schema_version: 1 ", "schema_version: 1\npaint: blue ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "paint"), "paint")
    assert err.hint == (
        "allowed keys here: schema_version, identity, geometry, formats, clocks, io, schedule, "
        "analog, noise, fixed_pattern, knobs, calibration, energy, uncalibrated, exotic"
    )


def test_unknown_key_inside_a_knob_lists_the_keys_of_that_knob_kind():
    text = edited("    sets: tau_syn\n", "    sets: tau_syn\n    per_code: 1 ns\n")
    err = rejected(text)
    assert err.yaml_path == "knobs.tau_syn.per_code"
    assert err.line == line_of(text, "per_code: 1 ns")
    assert err.hint == "allowed keys here: description, kind, sets, allowed"


def test_missing_required_key():
    text = edited("    c_syn: 0.2 pF\n", "")
    err = rejected(text)
    # The key is absent: the line is that of the mapping it belongs in.
    assert err.line == line_of(text, "synaptic_input:")
    assert err.yaml_path == "analog.synaptic_input.c_syn"
    assert err.problem == "missing required key 'c_syn'"
    assert err.hint == (
        "add 'c_syn:' under `analog.synaptic_input`; allowed: a capacitance such as '2.2 pF', "
        "> 0 F - synaptic input line capacitance (F)"
    )


def test_missing_top_level_section():
    start = TUTORIAL.index("energy:")
    err = rejected(TUTORIAL[:start])
    # The key is absent: the line is where the top-level mapping starts.
    assert (err.line, err.yaml_path) == (line_of(TUTORIAL, "schema_version:"), "energy")
    assert err.problem == "missing required key 'energy'"
    assert err.hint.startswith("add 'energy:' at the top level")


def test_wrong_type():
    text = edited("  halves: 2 ", "  halves: two ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "halves: two"), "geometry.halves")
    assert err.problem == "expected an integer, got the string 'two'"
    assert err.hint == "allowed: an integer, 1 .. 16 - independent synapse arrays run in parallel"


def test_float_where_an_integer_code_is_required():
    text = edited("  rows: 16 ", "  rows: 16.0 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "rows: 16.0"), "geometry.rows")
    assert err.problem == "expected an integer, got the number 16.0"


def test_number_where_a_string_is_required_suggests_quotes():
    text = edited('  version: "1.0"', "  version: 1.0")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "version: 1.0"), "identity.version")
    assert err.problem == "expected a string, got the number 1.0"
    assert err.hint.startswith("put quotes around it: '\"1.0\"'")


def test_boolean_must_be_true_or_false():
    text = edited("  zero_input_sends_event: false", "  zero_input_sends_event: 0")
    err = rejected(text)
    assert err.yaml_path == "formats.zero_input_sends_event"
    assert err.problem == "expected true or false, got the number 0"


def test_wrong_unit_dimension():
    text = edited("    c_syn: 0.2 pF", "    c_syn: 5 ns")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "c_syn: 5 ns"),
        "analog.synaptic_input.c_syn",
    )
    assert err.problem == "'5 ns' is a time, but a capacitance is expected here"
    assert err.hint.startswith("allowed: a capacitance such as '2.2 pF'")


def test_bare_number_for_a_dimensioned_value():
    text = edited("  fpga: 125 MHz", "  fpga: 125")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "fpga: 125"), "clocks.fpga")
    assert err.problem == "a frequency needs a unit, got the bare number 125"
    assert "'125 MHz'" in err.hint


def test_unreadable_quantity():
    text = edited("    v_lin: 150 mV", "    v_lin: 1,5 mV")
    err = rejected(text)
    assert err.yaml_path == "analog.synaptic_input.v_lin"
    assert err.problem == "cannot read '1,5 mV' as a voltage"


def test_integer_out_of_range():
    text = edited("  halves: 2 ", "  halves: 0 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "halves: 0"), "geometry.halves")
    assert err.problem == "value 0 is out of range"
    assert err.hint == "allowed: an integer, 1 .. 16 - independent synapse arrays run in parallel"


def test_quantity_out_of_range():
    text = edited("    c_syn: 0.2 pF", "    c_syn: -1 pF")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "-1 pF"), "analog.synaptic_input.c_syn")
    assert err.problem == "value '-1 pF' is out of range"
    assert (
        err.hint
        == "allowed: a capacitance such as '2.2 pF', > 0 F - synaptic input line capacitance (F)"
    )


def test_duration_of_a_second_or_more_is_a_unit_slip():
    text = edited("duration: 96 ns", "duration: 96 s")
    err = rejected(text)
    assert err.yaml_path == "schedule.phases[1].duration"
    assert err.problem == "value '96 s' is out of range"
    assert "< 1 s" in err.hint


def test_value_not_among_the_allowed_ones():
    text = edited("  rows_per_signed_input: 2 ", "  rows_per_signed_input: 3 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "rows_per_signed_input: 3"),
        "geometry.rows_per_signed_input",
    )
    assert err.problem == "value 3 is not allowed"
    assert err.hint == "allowed: 1 or 2"


def test_true_is_not_taken_for_one():
    text = edited("  rows_per_signed_input: 2 ", "  rows_per_signed_input: true ")
    err = rejected(text)
    assert err.yaml_path == "geometry.rows_per_signed_input"
    assert err.problem == "expected an integer, got the boolean true"


def test_invalid_name():
    text = edited("  name: tutorial ", "  name: my chip ")
    err = rejected(text)
    assert err.yaml_path == "identity.name"
    assert err.problem == "'my chip' is not a valid name"
    assert "^[A-Za-z0-9_.-]+$" in err.hint


def test_knob_of_unknown_kind():
    text = edited("    kind: physical", "    kind: physics")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "kind: physics"), "knobs.tau_syn.kind")
    assert err.problem == "unknown kind 'physics'"
    assert err.hint == "allowed: 'kind: code' or 'kind: physical'"


def test_range_with_one_item():
    text = edited("    range: [0, 255]", "    range: [0]")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "range: [0]"), "knobs.reset_level.range")
    assert err.problem == "the list has too few items (item 1 is missing)"


def test_more_problems_are_counted_in_the_hint():
    text = edited("  halves: 2 ", "  halves: 0 ").replace("  rows: 16 ", "  rows: 0 ")
    err = rejected(text)
    assert err.yaml_path == "geometry.halves"
    assert err.hint.endswith("; 1 more problem after this one")


# ---- inconsistent fields ------------------------------------------------------------------------


def test_adc_bits_too_few_for_the_output_range():
    text = edited(
        "  adc: {bits: 8, min: 0, max: 255, center: 128}",
        "  adc: {bits: 7, min: 0, max: 127, center: 64}",
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "output: {min"), "formats.output")
    assert err.problem == (
        "the output range -128..127 (256 values) is wider than a 7-bit ADC can resolve (128 codes)"
    )
    assert err.hint == "narrow the output range or raise formats.adc.bits"


def test_adc_max_that_does_not_fit_its_bits():
    text = edited(
        "  adc: {bits: 8, min: 0, max: 255, center: 128}",
        "  adc: {bits: 8, min: 0, max: 256, center: 128}",
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "max: 256"), "formats.adc.max")
    assert err.problem == "max 256 does not fit in 8 bits"
    assert err.hint == "allowed: max <= 255"


def test_rows_not_divisible_by_rows_per_signed_input():
    text = edited("  rows: 16 ", "  rows: 15 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "rows: 15"), "geometry.rows")
    assert err.problem == "rows (15) is not divisible by rows_per_signed_input (2)"
    assert err.hint == "each signed input uses rows_per_signed_input whole rows"


def test_phase_duration_that_is_not_whole_fpga_cycles():
    text = edited("duration: 96 ns", "duration: 95 ns")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "95 ns"), "schedule.phases[1].duration")
    assert err.problem == "95 ns is not a whole number of FPGA cycles (8 ns each at clocks.fpga)"
    assert err.hint == "use a multiple of 8 ns"


def test_link_latency_that_is_not_whole_fpga_cycles():
    text = edited("  link_latency: 16 ns", "  link_latency: 12 ns")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "link_latency"), "io.link_latency")
    assert err.problem.startswith("12 ns is not a whole number of FPGA cycles")


def test_schedule_without_events_phase():
    text = edited("    - {name: event_phase, kind: events}\n", "")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "phases:"), "schedule.phases")
    assert err.problem == "the schedule needs exactly one 'events' phase, it has 0"


def test_events_phase_with_a_duration():
    text = edited(
        "{name: event_phase, kind: events}", "{name: event_phase, kind: events, duration: 8 ns}"
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "event_phase"),
        "schedule.phases[5].duration",
    )
    assert err.problem == "the events phase takes no duration"


def test_profile_missing_a_knob():
    text = edited("knobs: {i_synin_gm: 450, ", "knobs: {")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "knobs: {synapse_dac_bias: 1022"),
        "calibration.default.knobs",
    )
    assert err.problem == "profile 'default' gives no value for knob 'i_synin_gm'"
    assert err.hint == "every profile sets every knob"


def test_profile_naming_an_unknown_knob():
    text = edited("tau_syn: 0.64 us, ", "tau_syn: 0.64 us, tau_sin: 1 us, ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "tau_sin"),
        "calibration.custom.knobs.tau_sin",
    )
    assert err.problem == "unknown knob 'tau_sin'"
    assert err.hint == (
        "did you mean `tau_syn`? knobs of this chip: i_synin_gm, synapse_dac_bias, tau_syn, "
        "reset_level, membrane_capacitance"
    )


def test_code_out_of_the_allowed_range():
    text = edited("knobs: {i_synin_gm: 450, ", "knobs: {i_synin_gm: 900, ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "i_synin_gm: 900"),
        "calibration.default.knobs.i_synin_gm",
    )
    assert err.problem == "code 900 is out of range"
    assert err.hint == "allowed codes for 'i_synin_gm': 30..600 (gm 60 nS .. 1.2 uS)"


def test_code_that_is_not_an_integer():
    text = edited("knobs: {i_synin_gm: 450, ", "knobs: {i_synin_gm: 0.9 uS, ")
    err = rejected(text)
    assert err.yaml_path == "calibration.default.knobs.i_synin_gm"
    assert err.problem == "knob 'i_synin_gm' takes an integer code, got '0.9 uS'"
    assert err.hint == "allowed codes for 'i_synin_gm': 30..600"


def test_physical_knob_out_of_range():
    text = edited("tau_syn: 0.32 us, ", "tau_syn: 30 us, ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        line_of(text, "30 us"),
        "calibration.default.knobs.tau_syn",
    )
    assert err.problem == "30 us is out of range"
    assert err.hint == "allowed for 'tau_syn': 300 ns .. 20 us"


def test_physical_knob_with_the_wrong_unit():
    text = edited("tau_syn: 0.32 us, ", "tau_syn: 0.32 pF, ")
    err = rejected(text)
    assert err.yaml_path == "calibration.default.knobs.tau_syn"
    assert err.problem == "'0.32 pF' is a capacitance, but a time is expected here"


def test_code_knob_mapping_in_the_unit_of_its_target():
    text = edited("    per_code: 2 nS", "    per_code: 2 nA")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "2 nA"), "knobs.i_synin_gm.per_code")
    assert err.problem == "'2 nA' is a current, but a conductance is expected here"
    assert err.hint == "write a conductance like '0.9 uS'"


def test_allowed_codes_outside_the_hardware_range():
    text = edited("    allowed: [30, 600]", "    allowed: [30, 2000]")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "[30, 2000]"), "knobs.i_synin_gm.allowed")
    assert err.problem == "allowed [30, 2000] is not a sub-range of range [0, 1022]"


def test_two_knobs_setting_the_same_target():
    text = edited(
        "    sets: c_m\n    per_code: 34.92063492 fF\n    offset: 0 F",
        "    sets: gm\n    per_code: 1 nS\n    offset: 0 S",
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (
        _second("sets: gm", text),
        "knobs.membrane_capacitance.sets",
    )
    assert (
        err.problem == "knob 'membrane_capacitance' sets 'gm', which knob 'i_synin_gm' already sets"
    )
    assert err.hint == "each physical parameter is set by exactly one knob"


def _second(marker: str, text: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if marker in line]
    assert len(hits) == 2
    return hits[1]


def test_no_default_profile():
    text = edited(
        "  default:\n    description: the defaults", "  standard:\n    description: the defaults"
    )
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "calibration:"), "calibration")
    assert err.problem == "no 'default' calibration profile"
    assert (
        err.hint
        == "add calibration.default with a value for every knob (profiles now: standard, custom)"
    )


def test_dt_too_long_for_tau_syn_names_analog_dt():
    text = TUTORIAL.replace("  dt: 8 ns", "  dt: 200 ns")
    with pytest.raises(hwdesc.ChipDescriptionError) as exc:
        hwdesc.loads(text, file="t.yaml")
    assert exc.value.yaml_path == "analog.dt"
    assert "too long for tau_syn = 320 ns of profile 'default'" in str(exc.value)


def test_noise_block_not_a_whole_number_of_steps_names_noise_block():
    text = edited("  sigma_line: 1.4 mV\n", "  sigma_line: 1.4 mV\n  block: 100 ns\n")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "block: 100 ns"), "noise.block")
    assert err.problem == "100 ns is not a whole number of integration steps (analog.dt = 8 ns)"
    assert err.hint == "use a multiple of analog.dt, e.g. 96 ns"
    # a whole number of steps is accepted, one step included; the steps follow
    for block, steps in (("104 ns", 13), ("8 ns", 1)):
        desc = hwdesc.loads(text.replace("block: 100 ns", f"block: {block}"), file="t.yaml")
        assert desc.noise_substeps == steps
    assert hwdesc.loads(TUTORIAL, file="t.yaml").noise_substeps == 32  # the 256 ns default
    err = rejected(text.replace("block: 100 ns", "block: 4 ns"))  # shorter than a step
    assert err.hint == "use a multiple of analog.dt, e.g. 8 ns"


def test_fast_leak_names_tau_leak():
    text = TUTORIAL.replace("tau_leak: 500 us", "tau_leak: 0.5 us")
    with pytest.raises(hwdesc.ChipDescriptionError) as exc:
        hwdesc.loads(text, file="t.yaml")
    assert exc.value.yaml_path == "analog.membrane.tau_leak"


def test_knob_mapping_to_a_negative_value_is_refused():
    text = TUTORIAL.replace("    offset: 0 S", "    offset: -1 uS")
    with pytest.raises(hwdesc.ChipDescriptionError) as exc:
        hwdesc.loads(text, file="t.yaml")
    assert exc.value.yaml_path == "calibration.default.knobs.i_synin_gm"
    assert "sets gm = -100 nS" in str(exc.value)


def test_size_limit_can_be_raised_and_is_located(monkeypatch, tmp_path):
    path = tmp_path / "chip.yaml"
    source = Path(__file__).resolve().parents[2] / "hwdesc" / "chips" / "tutorial.yaml"
    text = source.read_text()
    path.write_text(text)
    monkeypatch.setenv("CHIPSIM_MAX_DESCRIPTION_BYTES", "100")
    for load in (lambda: hwdesc.load(path), lambda: hwdesc.loads(text, file=str(path))):
        with pytest.raises(hwdesc.ChipDescriptionError) as err:
            load()
        assert "the limit for a chip description" in err.value.problem
        assert err.value.line == text.count("\n", 0, 100) + 1
        assert "CHIPSIM_MAX_DESCRIPTION_BYTES" in err.value.hint
    monkeypatch.setenv("CHIPSIM_MAX_DESCRIPTION_BYTES", str(len(text.encode())))
    assert hwdesc.load(path).identity.name == "tutorial"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "chip.yaml"
    os.mkfifo(fifo)
    with pytest.raises(hwdesc.ChipDescriptionError, match="this is a named pipe"):
        hwdesc.load(fifo)


# ---- the ADC and the noise of issue 12 ----------------------------------------------------------


def test_conversion_that_does_not_fit_before_the_next_phase_names_the_read():
    # the tutorial's baseline read is followed at once by the integration reset
    text = edited("    conversion_time: 0 ns ", "    conversion_time: 540 ns ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "name: baseline_read"), "schedule.phases[2]")
    assert err.problem == (
        "the conversion of adc_read phase 'baseline_read' takes 540 ns "
        "(analog.adc.conversion_time), but only 0 s of wait follow before phase "
        "'reset_integration' (reset)"
    )
    # the shortest wait of whole FPGA cycles that holds 540 ns: 68 cycles of 8 ns
    assert "at least 544 ns in total" in err.hint
    assert "'{name: ..., kind: wait, duration: 544 ns}'" in err.hint


def test_conversion_counts_every_wait_up_to_the_next_phase_and_the_next_vector():
    phases = (
        "  phases:\n"
        "    - {name: idle, kind: wait, duration: 24 ns}\n"
        "    - {name: reset_baseline, kind: reset, duration: 0 us}\n"
        "    - {name: settle_baseline, kind: wait, duration: 96 ns}\n"
        "    - {name: baseline_read, kind: adc_read, duration: 8 ns}\n"
        "    - {name: convert_a, kind: wait, duration: 16 ns}\n"
        "    - {name: convert_b, kind: wait, duration: 24 ns}\n"
        "    - {name: reset_integration, kind: reset, duration: 0 us}\n"
        "    - {name: settle_reset, kind: wait, duration: 80 ns}\n"
        "    - {name: event_phase, kind: events}\n"
        "    - {name: post_events, kind: wait, duration: 160 ns}\n"
        "    - {name: transfer, kind: transfer, duration: 64 ns}\n"
        "    - {name: read, kind: adc_read, duration: 0 us}\n"
        "    - {name: convert_c, kind: wait, duration: 24 ns}\n"
    )
    start = TUTORIAL.index("  phases:\n")
    end = TUTORIAL.index("\nanalog:")
    base = TUTORIAL[:start] + phases + TUTORIAL[end:]
    # 8 + 16 + 24 ns after the baseline read; 24 ns after the read and 24 ns at the start of the
    # next vector
    ok = base.replace("conversion_time: 0 ns ", "conversion_time: 48 ns ")
    assert hwdesc.loads(ok).analog.adc.conversion_time == pytest.approx(48e-9)
    text = base.replace("conversion_time: 0 ns ", "conversion_time: 56 ns ")
    err = rejected(text)
    assert err.yaml_path == "schedule.phases[3]"
    assert "only 48 ns of wait follow before phase 'reset_integration' (reset)" in err.problem
    text = base.replace(
        "convert_a, kind: wait, duration: 16 ns", "convert_a, kind: wait, duration: 24 ns"
    )
    err = rejected(text.replace("conversion_time: 0 ns ", "conversion_time: 56 ns "))
    assert err.yaml_path == "schedule.phases[11]"
    assert "only 48 ns of wait follow before phase 'reset_baseline' (reset)" in err.problem


def test_dnl_that_would_cross_thresholds():
    text = edited("    dnl: 0.1 ", "    dnl: 0.35 ")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "dnl: 0.35"), "analog.adc.dnl")
    assert err.problem == "dnl = 0.35 codes is too large for increasing thresholds"
    assert err.hint.startswith("dnl <= 0.3 codes: neighbouring thresholds differ by 1 code")


def test_inl_that_would_bend_the_thresholds_backwards():
    text = edited("    inl: 0.3 ", "    inl: 12 ")
    # beyond the plausible 0 .. 10 codes of an 8-bit ADC; a declared exotic value is checked too
    assert rejected(text).problem.startswith("the value, 12, is outside the plausible range")
    text += 'exotic:\n  analog.adc.inl: "a badly bowed ramp"\n'
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "inl: 12"), "analog.adc.inl")
    assert err.problem == "inl = 12 codes is too large for increasing thresholds of a 256-code ADC"
    assert err.hint.startswith("inl <= formats.adc.max / (8 pi) = 10.1 codes")


@pytest.mark.parametrize("columns", ["3", "16", "0"])
def test_quadrants_must_tile_a_half(columns):
    text = edited("    quadrant_columns: 4 ", f"    quadrant_columns: {columns} ")
    err = rejected(text)
    assert err.yaml_path == "analog.adc.quadrant_columns"
    if columns != "0":
        assert err.problem == (
            f"quadrant_columns ({columns}) does not divide the 8 columns of a half "
            "(geometry.columns) into whole quadrants"
        )


def test_flicker_band_must_be_ordered():
    text = edited("    tau_max: 1 ms", "    tau_max: 1 us")
    err = rejected(text)
    assert (err.line, err.yaml_path) == (line_of(text, "tau_max: 1 us"), "noise.flicker.tau_max")
    assert err.problem == "tau_max = 1 us is not longer than tau_min = 1 us"


def test_flicker_psd_needs_a_voltage_density():
    text = edited("    psd_at_1MHz: 1e-14 V**2/Hz", "    psd_at_1MHz: 1e-14 V")
    err = rejected(text)
    assert err.yaml_path == "noise.flicker.psd_at_1MHz"
    assert err.problem == "'1e-14 V' is a voltage, but a voltage noise density is expected here"
    assert "'1e-14 V**2/Hz'" in err.hint


def test_flicker_needs_two_components():
    err = rejected(edited("    components: 5", "    components: 1"))
    assert err.yaml_path == "noise.flicker.components"


def test_tau_coupling_moves_the_time_constant_checks():
    # a strong coupling at a low OTA bias lengthens the line time constant beyond tau_leak / 2.5
    text = edited("      exponent: 0.06", "      exponent: 1").replace(
        "tau_leak: 500 us", "tau_leak: 2 us"
    )
    err = rejected(text)
    assert err.yaml_path == "analog.membrane.tau_leak"
    assert "compared with tau_syn = 1.28 us of profile 'custom' (the calibrated 640 ns x 2" in (
        err.problem
    )


def test_synapse_bias_noise_is_at_most_half():
    err = rejected(edited("  sigma_bias: 1 % ", "  sigma_bias: 60 % "))
    assert err.yaml_path == "noise.sigma_bias"
    assert "0.5" in err.hint
