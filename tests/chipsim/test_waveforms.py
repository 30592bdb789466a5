"""Recorded waveforms: the VCD file parsed back (pyvcd's reader) against the simulated traces,
the arrays of results.npz, the reference's MADC recording arguments, and the missing-package
message."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from chipsim import waveforms
from chipsim.commands.cli import main

pytest.importorskip("vcd")


def read_vcd(path):
    """{(scope path, name): (kind, [(time ps, value), ...])} and the timescale, via pyvcd's
    tokenizer."""
    from vcd.reader import TokenKind, tokenize

    scopes, signals, by_id, now = [], {}, {}, None
    timescale = None
    with open(path, "rb") as f:
        for tok in tokenize(f):
            if tok.kind is TokenKind.TIMESCALE:
                timescale = (int(tok.timescale.magnitude), str(tok.timescale.unit.value))
            elif tok.kind is TokenKind.SCOPE:
                scopes.append(tok.scope.ident)
            elif tok.kind is TokenKind.UPSCOPE:
                scopes.pop()
            elif tok.kind is TokenKind.VAR:
                key = (".".join(scopes), tok.var.reference)
                signals[key] = (tok.var.type_.value, [])
                by_id[tok.var.id_code] = key
            elif tok.kind is TokenKind.CHANGE_TIME:
                now = tok.time_change
            elif tok.kind is TokenKind.CHANGE_REAL:
                signals[by_id[tok.real_change.id_code]][1].append((now, tok.real_change.value))
            elif tok.kind is TokenKind.CHANGE_SCALAR:
                value = int(tok.scalar_change.value)
                signals[by_id[tok.scalar_change.id_code]][1].append((now, value))
    return signals, timescale


def value_at(changes, t):
    """The value a VCD signal holds at time ``t`` (the last change at or before it)."""
    times = np.array([c[0] for c in changes])
    return changes[int(np.searchsorted(times, t, side="right")) - 1][1]


@pytest.fixture(scope="module")
def recorded(tutorial):
    x = np.array([[0, 5, 31, 0, 7, 1, 2, 3], [4, 0, 0, 9, 0, 0, 0, 1], [1] * 8])
    w = np.random.default_rng(0).integers(-63, 64, size=(8, 8))
    return tutorial.run(
        x, w, num_sends=2, noise_seed=1, record_vectors=[0, 2], record_columns=[2, 6]
    )


def test_vcd_parses_back_to_the_simulated_waveforms(recorded, tmp_path):
    path = waveforms.write_vcd(recorded, tmp_path / "w.vcd", chip_name="tutorial")
    signals, timescale = read_vcd(path)
    assert timescale == (1, "ps")
    assert len(recorded.traces) == 2
    for trace in recorded.traces:
        scope = f"tutorial.vector_{trace.vector}"  # one digit: nothing to pad
        for i, column in enumerate(trace.columns):
            for name in ("v_mem", "v_exc", "v_inh"):
                kind, changes = signals[(f"{scope}.column_{column}", name)]
                assert kind == "real"
                expected = getattr(trace, name)[i]
                ok = np.isfinite(expected)
                assert ok.sum() > 10
                times_ps = np.rint(trace.time[ok] * 1e12).astype(np.int64)
                got = np.array([value_at(changes, t) for t in times_ps])
                # 16 significant digits: within 1e-15 relative
                np.testing.assert_allclose(got, expected[ok], rtol=1e-15, atol=0)
        # every input's wire is high from each pulse start for its nominal length a * t_lsb
        t_lsb = 1e-9
        for row, start, act in zip(trace.event_rows, trace.event_times, trace.event_activations):
            kind, changes = signals[(f"{scope}.inputs", f"input_{row}")]
            assert kind == "wire"
            t0 = int(round(start * 1e12))
            t1 = t0 + int(round(act * t_lsb * 1e12))
            assert value_at(changes, t0 - 1) == 0
            assert value_at(changes, t0) == 1 and value_at(changes, t1 - 1) == 1
            assert value_at(changes, t1) == 0
        assert np.array_equal(trace.event_lengths, trace.event_activations * t_lsb)
        rows_with_events = {f"input_{r}" for r in trace.event_rows}
        assert {n for (s, n) in signals if s == f"{scope}.inputs"} == rows_with_events
        _, read = signals[(scope, "adc_read")]
        assert read == [(0, 0), (int(round(trace.t_read * 1e12)), 1)]


def test_waveform_arrays_hold_the_traces(recorded):
    arrays = waveforms.waveform_arrays(recorded)
    traces = recorded.traces
    assert arrays["wave_vector"].tolist() == [t.vector for t in traces for _ in t.columns]
    assert arrays["wave_column"].tolist() == [c for t in traces for c in t.columns]
    for n, t in enumerate(traces):
        rows = arrays["wave_trace"] == n
        T = t.time.size
        np.testing.assert_array_equal(arrays["wave_v_mem"][rows][:, :T], t.v_mem)
        np.testing.assert_array_equal(arrays["wave_v_exc"][rows][:, :T], t.v_exc)
        assert np.isnan(arrays["wave_v_inh"][rows][:, T:]).all()
        np.testing.assert_array_equal(arrays["wave_time"][n, :T], t.time)
        ev = slice(arrays["wave_event_ptr"][n], arrays["wave_event_ptr"][n + 1])
        np.testing.assert_array_equal(arrays["wave_event_input"][ev], t.event_rows)
        np.testing.assert_array_equal(arrays["wave_event_time"][ev], t.event_times)
        np.testing.assert_array_equal(arrays["wave_event_activation"][ev], t.event_activations)
    # vector 0 has six non-zero inputs sent twice, vector 2 eight
    assert np.diff(arrays["wave_event_ptr"]).tolist() == [12, 16]


def test_matmul_records_the_membrane_with_the_reference_arguments(tutorial, tmp_path):
    x = np.array([[0, 5, 31, 0, 7, 1, 2, 3], [4, 0, 0, 9, 0, 0, 0, 1]])
    w = np.random.default_rng(0).integers(-63, 64, size=(8, 8))
    plain = tutorial.matmul(x, w, noise_seed=4)
    csv = tmp_path / "madc.csv"
    out = tutorial.matmul(x, w, noise_seed=4, madc_recording_neuron_id=5, madc_recording_path=csv)
    np.testing.assert_array_equal(out, plain)  # recording changes nothing
    lines = csv.read_text().splitlines()
    assert lines[0] == "ExecutionIndex\tbatch\ttime\tvalue"
    res = tutorial.run(x, w, noise_seed=4, record_vectors=[0, 1], record_columns=[5])
    expected = [
        (t.vector, tm, v)
        for t in sorted(res.traces, key=lambda t: t.vector)
        for tm, v in zip(t.time, t.v_mem[0])
        if np.isfinite(v)
    ]
    rows = [line.split("\t") for line in lines[1:]]
    got = sorted((int(b), float(tm), float(v)) for e, b, tm, v in rows)
    assert all(r[0] == "0" for r in rows)
    assert got == sorted(expected)
    # the reference appends to an existing file, with one header
    tutorial.matmul(x[:1], w, noise_seed=4, madc_recording_neuron_id=5, madc_recording_path=csv)
    again = csv.read_text().splitlines()
    assert again[: len(lines)] == lines and again.count(lines[0]) == 1
    assert len(again) > len(lines)
    vcd = tmp_path / "madc.vcd"
    tutorial.matmul(x, w, noise_seed=4, madc_recording_neuron_id=5, madc_recording_path=str(vcd))
    signals, _ = read_vcd(vcd)
    assert {s for s, n in signals if n == "v_mem"} == {
        "tutorial.vector_0.column_5",
        "tutorial.vector_1.column_5",
    }


def test_vcd_names_sort_in_numeric_order(tutorial, tmp_path):
    x = np.ones((12, 12), dtype=np.int64)
    w = np.ones((12, 12), dtype=np.int64)
    res = tutorial.run(x, w, noise=False, record_vectors=[2, 11], record_columns=[3, 10])
    signals, _ = read_vcd(waveforms.write_vcd(res, tmp_path / "p.vcd", chip_name="t"))
    scopes = sorted({s for s, n in signals if n == "v_mem"})
    assert scopes == [
        "t.vector_02.column_03",
        "t.vector_02.column_10",
        "t.vector_11.column_03",
        "t.vector_11.column_10",
    ]
    # two traces per vector (the columns lie in two output tiles, two tile runs)
    inputs = sorted(n for s, n in signals if s == "t.vector_02.run0_half0.inputs")
    assert inputs == [f"input_{r}" for r in range(8)]  # rows 0..7 of input tile 0: one digit


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(madc_recording_neuron_id=8), "madc_recording_neuron_id=8 is not an output column"),
        (dict(madc_recording_neuron_id=-1), "madc_recording_neuron_id"),
        (
            dict(madc_recording_path="{tmp}/missing/rec.csv"),
            "the folder .*missing.* does not exist",
        ),
    ],
)
def test_matmul_recording_errors(tutorial, tmp_path, kwargs, message):
    kwargs = {k: (v.format(tmp=tmp_path) if isinstance(v, str) else v) for k, v in kwargs.items()}
    kwargs.setdefault("madc_recording_path", tmp_path / "rec.csv")
    with pytest.raises(ValueError, match=message):
        tutorial.matmul(np.ones((1, 8)), np.ones((8, 8)), **kwargs)


def test_missing_pyvcd_names_the_extra(
    tutorial, recorded, tmp_path, monkeypatch, chips_dir, capsys
):
    monkeypatch.setitem(sys.modules, "vcd", None)
    with pytest.raises(ImportError, match=r"pip install 'chipsim\[vcd\]'"):
        waveforms.write_vcd(recorded, tmp_path / "w.vcd")
    code = main(
        [
            "simulate",
            str(chips_dir / "tutorial.yaml"),
            "--batch",
            "3",
            "--waveforms",
            "1",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
        ]
    )
    assert code == 2
    assert (
        "--waveforms: writing waveforms as VCD needs the optional package pyvcd"
        in capsys.readouterr().err
    )


def test_simulate_writes_waveforms(chips_dir, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "simulate",
            str(chips_dir / "tutorial.yaml"),
            "--batch",
            "6",
            "--waveforms",
            "2",
            "--waveform-columns",
            "1,7",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    assert "waveforms.vcd" in capsys.readouterr().out
    data = np.load(out / "results.npz")
    assert sorted(set(data["wave_vector"].tolist())) == [0, 1]
    assert sorted(set(data["wave_column"].tolist())) == [1, 7]
    signals, _ = read_vcd(out / "waveforms.vcd")
    mem = sorted(s for s, n in signals if n == "v_mem")
    assert mem == [f"tutorial.vector_{v}.column_{c}" for v in (0, 1) for c in (1, 7)]
    # the VCD's membrane of vector 1, column 7 is the npz's
    row = np.flatnonzero((data["wave_vector"] == 1) & (data["wave_column"] == 7))[0]
    trace = data["wave_trace"][row]
    ok = np.isfinite(data["wave_v_mem"][row])
    t_ps = np.rint(data["wave_time"][trace][ok] * 1e12).astype(np.int64)
    _, changes = signals[("tutorial.vector_1.column_7", "v_mem")]
    np.testing.assert_allclose(
        [value_at(changes, t) for t in t_ps], data["wave_v_mem"][row][ok], rtol=1e-15
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--waveforms", "9"], "--waveforms 9: the batch has only 4 vector"),
        (
            ["--waveforms", "1", "--waveform-columns", "3,8"],
            "column 8 does not exist; the outputs are columns 0..7",
        ),
        (["--waveform-columns", "1"], "--waveform-columns needs --waveforms N"),
    ],
)
def test_simulate_waveform_errors(chips_dir, tmp_path, capsys, extra, message):
    code = main(
        [
            "simulate",
            str(chips_dir / "tutorial.yaml"),
            "--batch",
            "4",
            "--out",
            str(tmp_path / "o"),
            "--quiet",
            *extra,
        ]
    )
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text", ["1,a", "-1", "2,2"])
def test_waveform_columns_are_checked_when_parsed(chips_dir, capsys, text):
    with pytest.raises(SystemExit):
        main(
            [
                "simulate",
                str(chips_dir / "tutorial.yaml"),
                "--waveforms",
                "1",
                "--waveform-columns",
                text,
            ]
        )
    assert "--waveform-columns" in capsys.readouterr().err
