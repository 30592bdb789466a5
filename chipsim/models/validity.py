"""Where do the simplified models hold? The error of each surrogate against the detailed
simulation over a grid of wait_between_events, num_sends, input density and weight magnitude.

For every grid cell the chip runs the same random vectors twice: with temporal noise off (the
deterministic response, fixed pattern included) and on. A surrogate's *expected* output
(:meth:`chipsim.models.surrogates.ColumnSurrogate.expected`) is compared with the noise-free output:
bias, RMS, and the fraction of outputs off by more than 1 LSB; its predicted noise std is
compared with the chip's (std of noisy minus noise-free outputs) as a ratio.
"""

from __future__ import annotations

import itertools
import textwrap
from dataclasses import dataclass, field

import numpy as np

from . import mock as _mock
from . import surrogates as _sur

DEFAULT_WAITS = (2, 5, 10, 25)
DEFAULT_SENDS = (1, 2, 4)
DEFAULT_DENSITIES = (0.1, 0.3, 1.0)
DEFAULT_WEIGHTS = (16, 63)

#: A surrogate holds in a cell when all three hold.
HOLD_RMS = 1.5  # LSB
HOLD_BIAS = 1.0  # LSB
HOLD_NOISE_RATIO = (0.8, 1.25)


@dataclass(frozen=True)
class Cell:
    wait: int
    num_sends: int
    density: float
    weight: int


@dataclass
class CellResult:
    cell: Cell
    chip_mean_abs: float  # mean |output| of the noise-free chip
    chip_noise: float  # std of (noisy - noise-free)
    bias: dict = field(default_factory=dict)
    rms: dict = field(default_factory=dict)
    frac_off: dict = field(default_factory=dict)
    noise_ratio: dict = field(default_factory=dict)

    def holds(self, name: str) -> bool:
        lo, hi = HOLD_NOISE_RATIO
        return (
            self.rms[name] <= HOLD_RMS
            and abs(self.bias[name]) <= HOLD_BIAS
            and lo <= self.noise_ratio[name] <= hi
        )


def mock_as_surrogate(
    parameter: _mock.MockParameter, halves: int, columns: int, name: str
) -> _sur.ColumnSurrogate:
    """The global mock as a column surrogate (same gain, zero offset, same noise everywhere):
    its outputs follow exactly the mock's formula."""
    full = np.full((halves, columns), 1.0)
    return _sur.ColumnSurrogate(
        "column",
        parameter.gain * full,
        0.0 * full,
        parameter.noise_std * full,
        np.inf * full,
        np.inf * full,
        info={"name": name, **parameter.to_dict()},
    )


def cell_inputs(cell: Cell, k: int, m: int, vectors: int, seed: int):
    """Random inputs (active with probability ``density``, activations 1..31) and weights
    (uniform integers in [-weight/2, weight]: mostly positive, so dense inputs reach the
    saturating range) of one cell; the same seed gives the same data in every cell."""
    rng = np.random.default_rng([seed, int(cell.density * 1000), cell.weight])
    x = np.where(rng.random((vectors, k)) < cell.density, rng.integers(1, 32, size=(vectors, k)), 0)
    w = rng.integers(-(cell.weight // 2), cell.weight + 1, size=(k, m))
    return x, w


def evaluate(
    chip,
    surrogates: dict,
    *,
    waits=DEFAULT_WAITS,
    sends=DEFAULT_SENDS,
    densities=DEFAULT_DENSITIES,
    weights=DEFAULT_WEIGHTS,
    vectors: int = 24,
    seed: int = 0,
    progress=None,
) -> list[CellResult]:
    """Run the grid on ``chip`` (one tile: 128 inputs x 256 columns of half 0) and compare
    ``surrogates`` (name -> ColumnSurrogate). ``progress`` is called with (done, total)."""
    k, m = chip.tile_shape
    cells = [
        Cell(wt, ns, d, wm) for wt, ns, d, wm in itertools.product(waits, sends, densities, weights)
    ]
    results = []
    for i, cell in enumerate(cells):
        x, w = cell_inputs(cell, k, m, vectors, seed)
        nseed = 1000 * seed + i
        y0 = chip.run(
            x,
            w,
            num_sends=cell.num_sends,
            wait_between_events=cell.wait,
            noise=False,
            noise_seed=nseed,
        ).outputs.astype(np.float64)
        y1 = chip.run(
            x, w, num_sends=cell.num_sends, wait_between_events=cell.wait, noise_seed=nseed
        ).outputs.astype(np.float64)
        res = CellResult(cell, float(np.mean(np.abs(y0))), float(np.std(y1 - y0)))
        for name, sur in surrogates.items():
            e, s = sur.expected(x, w, num_sends=cell.num_sends)
            d = e - y0
            res.bias[name] = float(np.mean(d))
            res.rms[name] = float(np.sqrt(np.mean(d**2)))
            res.frac_off[name] = float(np.mean(np.abs(d) > 1.0))
            res.noise_ratio[name] = float(np.sqrt(np.mean(s**2)) / max(res.chip_noise, 1e-9))
        results.append(res)
        if progress is not None:
            progress(i + 1, len(cells))
    return results


#: Width of the lines of :func:`table` (without ``full``) and :func:`summary`, characters.
LINE_WIDTH = 100


def table(results: list[CellResult], names, full: bool = False) -> str:
    """A fixed-width text table, one line per grid cell. The surrogates are columns keyed A, B,
    ... (a legend above the table gives their full names); each shows RMS error and bias (LSB),
    the noise ratio (predicted / simulated std) and ``*`` where it holds. ``full`` adds the
    percentage of outputs off by more than 1 LSB (wider lines: for files). Without ``full`` the
    lines fit :data:`LINE_WIDTH` for up to four surrogates."""
    keys = [chr(ord("A") + i) for i in range(len(names))]
    head = f"{'wait':>4} {'sends':>5} {'dens':>4} {'|w|':>3} {'|y|':>4} {'noise':>5}"
    cell = f"{'rms':>4} {'bias':>5} {'n.r':>4}" + (f" {'>1':>4}" if full else "")
    legend = [f"{k}  {n}" for k, n in zip(keys, names)]
    sub = (" " * len(head) + "".join(f"  {k:^{len(cell)}}" for k in keys)).rstrip()
    unit = head + "".join(f"  {cell}" for _ in names)
    lines = [*legend, "", sub, unit, "-" * len(unit)]
    for r in results:
        c = r.cell
        s = (
            f"{c.wait:>4} {c.num_sends:>5} {c.density:>4.2f} {c.weight:>3} "
            f"{r.chip_mean_abs:>4.0f} {r.chip_noise:>5.2f}"
        )
        for n in names:
            mark = "*" if r.holds(n) else " "
            s += (
                f" {mark}{min(r.rms[n], 99.9):>4.1f} {r.bias[n]:>+5.1f} "
                f"{min(r.noise_ratio[n], 9.99):>4.2f}"
            )
            s += f" {100 * r.frac_off[n]:>3.0f}%" if full else ""
        lines.append(s)
    lines += textwrap.wrap(
        f"* before a surrogate's numbers: it holds there (RMS <= {HOLD_RMS} LSB, |bias| <= "
        f"{HOLD_BIAS} LSB, noise ratio {HOLD_NOISE_RATIO[0]}-{HOLD_NOISE_RATIO[1]}). |y|: mean |output| of the chip (LSB); "
        "noise: the chip's noise std (LSB); rms, bias in LSB; n.r: noise ratio "
        "(predicted / simulated std)"
        + ("; >1: outputs off by more than 1 LSB" if full else "")
        + ("" if full else "; the CSV and JSON files hold every metric unrounded")
        + ".",
        LINE_WIDTH,
    )
    return "\n".join(lines)


def _describe_dim(results, name, attr, label, fmt=str) -> str:
    values = sorted({getattr(r.cell, attr) for r in results})
    parts = []
    for v in values:
        sel = [r for r in results if getattr(r.cell, attr) == v]
        parts.append(f"{fmt(v)}: {sum(r.holds(name) for r in sel)}/{len(sel)}")
    return f"{label} " + ", ".join(parts)


def summary(results: list[CellResult], names) -> str:
    """In words, per surrogate: in how many cells it holds, how that splits over each grid
    dimension, and where it errs most."""
    out = []
    for n in names:
        held = [r for r in results if r.holds(n)]
        worst = max(results, key=lambda r: r.rms[n])
        c = worst.cell
        text = (
            f"{n}: holds in {len(held)} of {len(results)} cells "
            f"(RMS <= {HOLD_RMS}, |bias| <= {HOLD_BIAS}, noise within "
            f"{HOLD_NOISE_RATIO[0]}-{HOLD_NOISE_RATIO[1]}x). By "
            + "; ".join(
                [
                    _describe_dim(results, n, "wait", "wait"),
                    _describe_dim(results, n, "num_sends", "num_sends"),
                    _describe_dim(results, n, "density", "density", lambda v: f"{v:g}"),
                    _describe_dim(results, n, "weight", "weight magnitude"),
                ]
            )
            + f". Worst cell: wait {c.wait}, num_sends {c.num_sends}, density {c.density:g}, "
            f"|w| {c.weight}: RMS {worst.rms[n]:.1f}, bias {worst.bias[n]:+.1f} LSB."
        )
        bins = ((0, 10), (10, 30), (30, 60), (60, 1e9))
        parts = []
        for lo, hi in bins:
            sel = [r.holds(n) for r in results if lo <= r.chip_mean_abs < hi]
            if sel:
                label = f"{lo}-{hi}" if hi < 1e9 else f">= {lo}"
                parts.append(f"{label}: {sum(sel)}/{len(sel)}")
        text += " By the chip's mean |output| (LSB) " + ", ".join(parts) + "."
        always, never = [], []
        for attr, label in (
            ("wait", "wait"),
            ("num_sends", "num_sends"),
            ("density", "density"),
            ("weight", "|w|"),
        ):
            for v in sorted({getattr(r.cell, attr) for r in results}):
                sel = [r.holds(n) for r in results if getattr(r.cell, attr) == v]
                if all(sel):
                    always.append(f"{label} {v:g}")
                elif not any(sel):
                    never.append(f"{label} {v:g}")
        if always:
            text += " It holds in every cell with " + " or ".join(always) + "."
        if never:
            text += " It holds in no cell with " + " or ".join(never) + "."
        out.append(textwrap.fill(text, LINE_WIDTH, subsequent_indent="  "))
    return "\n\n".join(out)


def heatmaps(results: list[CellResult], names, metric: str, path, title: str) -> None:
    """One heat map per surrogate: rows (wait, num_sends), columns (|w|, density)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted({(r.cell.wait, r.cell.num_sends) for r in results})
    cols = sorted({(r.cell.weight, r.cell.density) for r in results})
    ncols = min(len(names), 2)
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(5.2 * ncols, 0.42 * len(rows) * nrows + 1.6),
        squeeze=False,
        constrained_layout=True,
    )
    lookup = {(r.cell.wait, r.cell.num_sends, r.cell.weight, r.cell.density): r for r in results}
    if metric == "rms":
        vmin, vmax, cmap = 0.0, 8.0, "viridis"
    elif metric == "bias":
        vmin, vmax, cmap = -8.0, 8.0, "coolwarm"
    else:
        vmin, vmax, cmap = 0.0, 2.0, "coolwarm"
    for ax, n in zip(axes.flat, names):
        data = np.array(
            [[getattr(lookup[(a, b, c, d)], metric)[n] for (c, d) in cols] for (a, b) in rows]
        )
        im = ax.imshow(data, vmin=vmin, vmax=vmax, cmap=cmap, aspect="auto")
        for i in range(data.shape[0]):
            for j in range(data.shape[1]):
                r = lookup[(rows[i][0], rows[i][1], cols[j][0], cols[j][1])]
                ax.text(
                    j,
                    i,
                    f"{data[i, j]:.1f}" + ("*" if r.holds(n) else ""),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="w" if metric == "rms" and data[i, j] < 4 else "k",
                )
        ax.set_xticks(range(len(cols)), [f"|w|{c}\nd{d:g}" for c, d in cols], fontsize=7)
        ax.set_yticks(range(len(rows)), [f"wait {a}, x{b}" for a, b in rows], fontsize=7)
        ax.set_title(n, fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(title + "  (* = surrogate holds)", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def to_records(results: list[CellResult], names) -> list[dict]:
    recs = []
    for r in results:
        c = r.cell
        for n in names:
            recs.append(
                {
                    "surrogate": n,
                    "wait_between_events": c.wait,
                    "num_sends": c.num_sends,
                    "density": c.density,
                    "weight_magnitude": c.weight,
                    "chip_mean_abs_output": round(r.chip_mean_abs, 4),
                    "chip_noise_std": round(r.chip_noise, 4),
                    "rms": round(r.rms[n], 4),
                    "bias": round(r.bias[n], 4),
                    "frac_off_1lsb": round(r.frac_off[n], 4),
                    "noise_ratio": round(r.noise_ratio[n], 4),
                    "holds": r.holds(n),
                }
            )
    return recs
