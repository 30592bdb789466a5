"""The phase timeline of the simulate figure names every phase and never hides one."""

from __future__ import annotations

import pytest

import hwdesc
from chipsim.commands.figures import PHASE_KINDS, _phase_timeline


@pytest.mark.parametrize("chip", ["tutorial", "bss2"])
def test_timeline_names_every_phase_with_a_legend(chips_dir, chip):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    desc = hwdesc.load(chips_dir / f"{chip}.yaml")
    import numpy as np

    import eventsim

    run = eventsim.simulate(desc, np.ones((1, desc.geometry.halves, desc.tile_shape[0]), np.int64))
    tl = run.timeline
    ct = tl.cycle_time
    timeline = [
        (n, s * ct, e * ct, k) for n, k, s, e in zip(tl.names, tl.kinds, tl.start[0], tl.end[0])
    ]
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    _phase_timeline(ax, timeline)
    fig.canvas.draw()
    texts = [t.get_text() for t in ax.texts]
    # every phase named once, with its duration; zero-length phases too
    for name, _start, _end, _ in timeline:
        matches = [t for t in texts if t.startswith(f"{name} (")]
        assert len(matches) == 1, (name, texts)
    assert any(t.endswith("(0 ns)") for t in texts)
    # a bar per phase with a duration, none for zero-length ones (they are lines on top)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == sum(1 for _, s, e, _ in timeline if e > s)
    zero = sum(1 for _, s, e, _ in timeline if e <= s)
    assert zero >= 1 and len(ax.lines) == 2 * zero
    # the legend names the kinds present and the zero-length marker
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [PHASE_KINDS[k][1] for k in dict.fromkeys(tl.kinds)] + ["zero length"]
