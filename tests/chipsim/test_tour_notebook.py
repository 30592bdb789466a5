"""examples/tour.ipynb runs from top to bottom (small sizes: CHIPSIM_TOUR_QUICK=1), on a kernel
of this interpreter, so the tour cannot rot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")
nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("vcd")

TOUR = Path(__file__).resolve().parents[2] / "examples" / "tour.ipynb"


def test_tour_runs(tmp_path, monkeypatch):
    # a kernel spec of its own that starts this interpreter, whatever kernels the machine has
    spec = tmp_path / "jupyter" / "kernels" / "chipsim-tour"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "chipsim tour",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("CHIPSIM_TOUR_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend shows figures
    # run in a folder of its own (the chips go by name), so that the outputs stay out of the
    # repository
    work = tmp_path / "repo"
    (work / "examples").mkdir(parents=True)
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="chipsim-tour",
        timeout=600,
        resources={"metadata": {"path": str(work / "examples")}},
    )
    client.execute()
    outputs = {
        i: "".join(o.get("text", "") for o in cell.get("outputs", []))
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    }
    text = "\n".join(outputs.values())
    assert "hardware time" in text and "waveforms.vcd" in text  # the simulate summary
    assert "'wave_v_mem': (8, " in text  # 2 vectors x 4 columns
    assert "one-vector.vcd" in text and "input events" in text
    assert "gain 0.0" in text and "noise" in text
    assert "on the chip: test accuracy" in text
    images = [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) >= 3  # figure, curve, waveforms
    assert (work / "examples" / "tour-out" / "trace.pftrace").stat().st_size > 0
