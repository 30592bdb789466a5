"""The transfer study (Kern et al. 2023, model.md section 1): an MLP with BatchNorm trained in float, then
run on simulated chips (a) as it is ("plain transfer") and (b) after hardware-in-the-loop
retraining (forward pass on the simulator, backward pass straight-through), under the ``default``
and the ``custom`` calibration profile, over several chip instances (seeds).

The network: ``Quantizer(5 bit) -> AnalogLinear -> BatchNorm -> ReLU -> Quantizer(5 bit) ->
AnalogLinear -> BatchNorm``. Each :class:`AnalogLinear` keeps float weights; in float mode it is
a plain ``x @ W^T``; on a chip (or the mock) it sends the activation codes (0..31) and the
weight codes (-63..63) to :func:`chipsim.torch.matmul` and maps the int8 result back to the
float domain with ``z = y / (gain * num_sends * s_x * s_w)`` (``gain`` as measured on that chip
with the reference procedure). Translation to hardware (:meth:`TransferMLP.translate`) picks,
per layer, the weight scale ``s_w`` and ``num_sends`` so that the root-mean-square output is
``target_rms`` ADC steps on the calibration data; the same rule holds for every profile and seed.
"""

from __future__ import annotations

import copy
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hwdesc.rules import DEFAULT_WAIT_BETWEEN_EVENTS

#: Profiles compared by the study, in table order.
PROFILES = ("default", "custom")
#: Percentile of the weight magnitudes mapped to the largest weight code when translating.
WEIGHT_PERCENTILE = 99.9
#: Floor of the per-feature standard deviation in the input normalization, relative to the
#: median over features (features that barely vary would otherwise get huge weights on the chip).
STD_FLOOR = 0.1


@dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a run of the study (saved with its results).

    Attributes:
        chip: path of the chip YAML.
        dataset: ``keywords`` (synthetic, 1,280 features) or ``digits`` (64 features).
        n_train, n_test: dataset sizes (keywords only; digits has its fixed size).
        hidden: hidden units of the MLP.
        float_epochs, float_lr, batch_size: float training (Adam).
        scaling: activation scaling, ``static``, ``batch`` or ``ema``
            (:class:`chipsim.torch.quantization.Quantizer`).
        target_rms: root-mean-square layer output aimed at, in ADC steps, when translating.
        max_sends: largest ``num_sends`` the translation may pick.
        wait_between_events: FPGA cycles between events on the chip.
        profiles: calibration profiles compared.
        seeds: chip instances (fixed-pattern seeds).
        eval_samples: test samples run on each chip (the first ones of the test split).
        hil_samples, hil_epochs, hil_lr: hardware-in-the-loop retraining (training samples
            used, passes over them, Adam learning rate).
        seed: seed of the dataset, the float training and the noise of the runs.
        diagnostics: also run the plain transfer with the temporal noise switched off (the
            static imperfections alone); the mock is always run with and without noise.
    """

    chip: str = "bss2"
    dataset: str = "keywords"
    n_train: int = 3000
    n_test: int = 1000
    hidden: int = 128
    float_epochs: int = 30
    float_lr: float = 1e-3
    batch_size: int = 64
    scaling: str = "static"
    target_rms: float = 40.0
    max_sends: int = 8
    wait_between_events: int = DEFAULT_WAIT_BETWEEN_EVENTS
    profiles: tuple[str, ...] = PROFILES
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    eval_samples: int = 1000
    hil_samples: int = 3000
    hil_epochs: int = 3
    hil_lr: float = 1e-3
    seed: int = 0
    diagnostics: bool = True

    @classmethod
    def quick(cls, **overrides) -> StudyConfig:
        """A reduced study (two seeds, 200 test samples per run) that runs in about 25 s on two
        idle cores (about 70 s on shared ones): a first look, and what CI runs."""
        base: dict[str, Any] = dict(
            n_train=1200,
            n_test=300,
            float_epochs=15,
            seeds=(0, 1),
            eval_samples=200,
            hil_samples=600,
            hil_epochs=2,
        )
        base.update(overrides)
        return cls(**base)


# ---- the network ---------------------------------------------------------------------------------


def _torch():
    import torch

    return torch


def _build_classes():
    """Define the torch modules (torch is imported only when the study runs)."""
    import torch

    import chipsim.torch as hxp

    from ..torch.quantization import Quantizer

    class _AnalogLinear(torch.nn.Module):
        """A bias-free linear layer that runs in float, on the mock model or on a chip."""

        in_mean: torch.Tensor  # buffers, registered in __init__ (declared for type checkers)
        in_std: torch.Tensor

        def __init__(self, in_features: int, out_features: int):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.empty(out_features, in_features))
            torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
            self.backend = "float"
            self.chip = None
            self.gain = math.nan  # ADC steps per unit of x.w and send, measured
            self.num_sends = 1
            self.weight_scale = math.nan  # s_w
            self.wait_between_events = DEFAULT_WAIT_BETWEEN_EVENTS
            self.noise = True  # False: temporal noise off (diagnostics)
            # input normalization (x - mean) / std of the float network; on a chip the raw,
            # non-negative input is sent, the weights become W / std and the constant
            # (mean / std) . W is subtracted digitally after the read
            self.register_buffer("in_mean", torch.zeros(in_features))
            self.register_buffer("in_std", torch.ones(in_features))

        def effective_weight(self) -> torch.Tensor:
            """The weight applied to the raw input: ``W / std``."""
            return self.weight / self.in_std

        def offset(self) -> torch.Tensor:
            """The constant ``(mean / std) . W`` that the input normalization subtracts."""
            return (self.in_mean / self.in_std) @ self.weight.t()

        def forward(self, x: torch.Tensor, quantizer: Quantizer) -> torch.Tensor:
            if self.backend == "float":
                return ((x - self.in_mean) / self.in_std) @ self.weight.t()
            codes = quantizer(x)
            w_codes = quantize(self.effective_weight(), self.weight_scale)
            y = hxp.matmul(
                codes,
                w_codes.t(),
                num_sends=self.num_sends,
                wait_between_events=self.wait_between_events,
                mock=self.backend == "mock",
                chip=self.chip,
                noise=self.noise,
            )
            return (
                y / (self.gain * self.num_sends * quantizer.scale * self.weight_scale)
                - self.offset()
            )

        def extra_repr(self) -> str:
            return (
                f"in={self.weight.shape[1]}, out={self.weight.shape[0]}, backend={self.backend}, "
                f"num_sends={self.num_sends}, weight_scale={self.weight_scale:.4g}"
            )

    def quantize(weight, scale):
        from ..torch.quantization import quantize as q

        return q(weight, scale, -hxp.SYNAPTIC_WEIGHT_MAX, hxp.SYNAPTIC_WEIGHT_MAX)

    class _TransferMLP(torch.nn.Module):
        """``Q -> AnalogLinear -> BN -> ReLU -> Q -> AnalogLinear -> BN``."""

        def __init__(self, n_in: int, hidden: int, n_out: int, scaling: str):
            super().__init__()
            self.q_in = Quantizer(5, signed=False, scaling=scaling)
            self.fc1 = _AnalogLinear(n_in, hidden)
            self.bn1 = torch.nn.BatchNorm1d(hidden)
            self.q_hidden = Quantizer(5, signed=False, scaling=scaling)
            self.fc2 = _AnalogLinear(hidden, n_out)
            self.bn2 = torch.nn.BatchNorm1d(n_out)

        def layers(self):
            return ((self.fc1, self.q_in), (self.fc2, self.q_hidden))

        def forward(self, x):
            h = torch.relu(self.bn1(self.fc1(x, self.q_in)))
            return self.bn2(self.fc2(h, self.q_hidden))

        def hidden_input(self, x):
            """The input of the second layer (float backend only)."""
            return torch.relu(self.bn1(self.fc1(x, self.q_in)))

        @torch.no_grad()
        def calibrate_quantizers(self, x: torch.Tensor, batch_size: int) -> None:
            """Static: magnitude of the calibration data; EMA: running average over its batches
            (training mode); batch: nothing to do. The network must be in float mode."""
            was = self.training
            self.eval()
            h = self.hidden_input(x)
            for q, data in ((self.q_in, x), (self.q_hidden, h)):
                if q.scaling == "static":
                    q.calibrate(data)
                elif q.scaling == "ema":
                    q.train()
                    for start in range(0, data.shape[0], batch_size):
                        q(data[start : start + batch_size])
                    q.eval()
            self.train(was)

        @torch.no_grad()
        def translate(
            self,
            chip,
            backend: str,
            gain: float,
            x_cal: torch.Tensor,
            *,
            target_rms: float,
            max_sends: int,
            wait_between_events: int,
        ) -> None:
            """Map the float network onto ``chip`` (or the mock): per layer pick the weight
            scale and ``num_sends`` so that the RMS output on ``x_cal`` is ``target_rms``."""
            inputs = (x_cal, self.hidden_input(x_cal))
            for (layer, q), data in zip(self.layers(), inputs):
                q_scale = q.scale if q.scaling != "batch" else q.q_max / float(data.abs().max())
                w_eff = layer.effective_weight()
                z = data @ w_eff.t()  # what the chip integrates (with the offset)
                rms = float(torch.sqrt(torch.mean(z.double() ** 2)))
                want = target_rms / (gain * q_scale * max(rms, 1e-12))  # s_w * num_sends
                # full scale at the 99.9th percentile of |w|: a few outliers clip at +-63 rather
                # than coarsening every other weight (inputs that are almost never active get
                # large normalized weights)
                top = float(torch.quantile(w_eff.abs().flatten().double(), WEIGHT_PERCENTILE / 100))
                full = hxp.SYNAPTIC_WEIGHT_MAX / max(top, 1e-12)
                if want <= full:
                    s_w, sends = want, 1
                else:
                    sends = int(min(max_sends, max(1, round(want / full))))
                    s_w = full
                layer.backend, layer.chip, layer.gain = backend, chip, gain
                layer.num_sends, layer.weight_scale = sends, s_w
                layer.wait_between_events = wait_between_events

        def to_float(self) -> None:
            for layer, _ in self.layers():
                layer.backend, layer.chip, layer.noise = "float", None, True

        def set_noise(self, noise: bool) -> None:
            for layer, _ in self.layers():
                layer.noise = noise

    return _AnalogLinear, _TransferMLP


# ---- training and evaluation -------------------------------------------------------------------


def _batches(n: int, batch_size: int, rng: np.random.Generator | None):
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        if idx.size >= 2:  # BatchNorm needs two samples in training mode
            yield idx


def _train(model, x, y, *, epochs: int, lr: float, batch_size: int, rng) -> None:
    torch = _torch()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for idx in _batches(x.shape[0], batch_size, rng):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()


def _accuracy(model, x, y, batch_size: int = 4096) -> float:
    torch = _torch()
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            out = model(x[start : start + batch_size])
            correct += int((out.argmax(dim=1) == y[start : start + batch_size]).sum())
    return correct / x.shape[0]


@dataclass
class StudyResult:
    """What a run of the study measured.

    Attributes:
        config: the configuration.
        float_accuracy: test accuracy of the float network (all test samples).
        float_accuracy_eval: the same on the samples run on the chips.
        runs: one dict per (profile, seed): measured gain and noise, ``num_sends`` per layer,
            the accuracies (``plain``, ``hil``; diagnostics ``plain_noise_off``, ``mock``,
            ``mock_noise_off``), wall time.
        wall_seconds: wall time of the whole study.
        dataset: dataset name, features, classes.
    """

    config: StudyConfig
    float_accuracy: float
    float_accuracy_eval: float
    runs: list[dict] = field(default_factory=list)
    wall_seconds: float = 0.0
    dataset: dict = field(default_factory=dict)

    def cell(self, method: str, profile: str) -> tuple[float, float, int]:
        """(mean, sample standard deviation, number of seeds) of ``method`` (``plain``, ``hil``,
        ``plain_noise_off``, ``mock``, ``mock_noise_off``) under ``profile``."""
        values = np.array(
            [r[method] for r in self.runs if r["profile"] == profile and method in r], dtype=float
        )
        if values.size == 0:
            return math.nan, math.nan, 0
        spread = float(values.std(ddof=1)) if values.size > 1 else 0.0
        return float(values.mean()), spread, int(values.size)

    def table(self) -> str:
        """The 2 x 2 table (mean +- standard deviation over seeds), the float baseline and the
        ordering checks of the study."""
        profiles = self.config.profiles
        head = f"{'':<34}" + "".join(f"{p + ' calibration':>26}" for p in profiles)
        lines = [head]
        names = (
            ("plain", "plain transfer"),
            ("hil", "hardware-in-the-loop retraining"),
            (None, "diagnostics (not in the published table):"),
            ("plain_noise_off", "  plain, temporal noise off"),
            ("mock", "  mock, measured gain and noise"),
            ("mock_noise_off", "  mock, noise off (rounding only)"),
        )
        for key, name in names:
            row = f"{name:<34}"
            if key is not None and not any(key in r for r in self.runs):
                continue
            for p in profiles:
                if key is None:
                    break
                mean, std, n = self.cell(key, p)
                row += f"{100 * mean:>15.2f} % +- {100 * std:5.2f}"
            lines.append(row)
        lines.append(
            f"{'float baseline':<34}{100 * self.float_accuracy_eval:>15.2f} %  "
            f"(all {self.dataset.get('n_test', '?')} test samples: "
            f"{100 * self.float_accuracy:.2f} %)"
        )
        lines.append(
            f"spread: sample standard deviation over {len(self.config.seeds)} chip seeds; "
            f"{self.config.eval_samples} test samples per run"
        )
        lines.extend(self.ordering())
        return "\n".join(lines)

    def ordering(self) -> list[str]:
        """The three comparisons of the published table, each with its margin and spread."""
        if set(self.config.profiles) != set(PROFILES):
            return []
        out = []

        def check(label, a, b):
            (ma, sa, _), (mb, sb, _) = a, b
            margin = ma - mb
            spread = max(sa, sb)
            verdict = (
                "holds, margin larger than the spread"
                if margin > spread
                else "holds, but the margin is within the spread"
                if margin > 0
                else "does not hold"
            )
            out.append(
                f"{label}: {100 * margin:+.2f} points (spread {100 * spread:.2f}): {verdict}"
            )

        check(
            "custom > default, plain transfer",
            self.cell("plain", "custom"),
            self.cell("plain", "default"),
        )
        check("HIL > plain, default", self.cell("hil", "default"), self.cell("plain", "default"))
        check("HIL > plain, custom", self.cell("hil", "custom"), self.cell("plain", "custom"))
        return out

    @classmethod
    def from_dict(cls, data: dict) -> StudyResult:
        """Inverse of :meth:`to_dict` (e.g. ``json.load`` of ``results.json``), to redraw or
        re-tabulate a saved run."""
        cfg = dict(data["config"])
        for key in ("seeds", "profiles"):
            cfg[key] = tuple(cfg[key])
        return cls(
            StudyConfig(**cfg),
            data["float_accuracy"],
            data["float_accuracy_eval"],
            list(data["runs"]),
            data["wall_seconds"],
            dict(data["dataset"]),
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["config"] = asdict(self.config)
        d["table"] = {
            m: {p: dict(zip(("mean", "std", "n"), self.cell(m, p))) for p in self.config.profiles}
            for m in ("plain", "hil", "plain_noise_off", "mock", "mock_noise_off")
        }
        return d


def run_study(
    config: StudyConfig = StudyConfig(),
    *,
    log: Callable[[str], None] | None = None,
    chip_factory: Callable | None = None,
) -> StudyResult:
    """Run the study as configured; ``log`` receives progress lines.

    ``chip_factory(profile, seed)`` builds the chip of each run (default:
    ``chipsim.load(config.chip, calibration=profile, seed=seed)``), e.g. a chip with knob values
    that no profile of the file holds. ``config.hil_epochs = 0`` skips the hardware-in-the-loop
    retraining (the runs then have no ``hil`` accuracy).
    """
    torch = _torch()
    import chipsim
    import chipsim.torch as hxp

    from . import datasets

    say = log or (lambda _msg: None)
    t_start = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    if config.dataset == "keywords":
        data = datasets.keywords(config.n_train, config.n_test, seed=config.seed)
    else:  # digits: a fixed set; the seed picks its train/test split
        data = datasets.load(config.dataset, seed=config.seed)
    x_tr = torch.as_tensor(data.x_train, dtype=torch.float32)
    y_tr = torch.as_tensor(data.y_train)
    x_te = torch.as_tensor(data.x_test, dtype=torch.float32)
    y_te = torch.as_tensor(data.y_test)
    n_eval = min(config.eval_samples, x_te.shape[0])
    x_ev, y_ev = x_te[:n_eval], y_te[:n_eval]
    say(
        f"dataset {data.name}: {x_tr.shape[0]} train / {x_te.shape[0]} test samples, "
        f"{data.num_features} features, {data.num_classes} classes"
    )

    _, TransferMLP = _build_classes()
    model = TransferMLP(data.num_features, config.hidden, data.num_classes, config.scaling)
    model.fc1.in_mean.copy_(x_tr.mean(dim=0))
    std = x_tr.std(dim=0)
    model.fc1.in_std.copy_(std.clamp(min=max(STD_FLOOR * float(std.median()), 1e-3)))
    _train(
        model,
        x_tr,
        y_tr,
        epochs=config.float_epochs,
        lr=config.float_lr,
        batch_size=config.batch_size,
        rng=rng,
    )
    cal = x_tr[: min(1000, x_tr.shape[0])]
    model.calibrate_quantizers(cal, config.batch_size)
    result = StudyResult(
        config,
        _accuracy(model, x_te, y_te),
        _accuracy(model, x_ev, y_ev),
        dataset={
            "name": data.name,
            "features": data.num_features,
            "classes": data.num_classes,
            "n_train": int(x_tr.shape[0]),
            "n_test": int(x_te.shape[0]),
        },
    )
    say(
        f"float network: test accuracy {100 * result.float_accuracy:.2f} % "
        f"({time.perf_counter() - t_start:.1f} s)"
    )
    float_state = copy.deepcopy(model.state_dict())
    hil_n = min(config.hil_samples, x_tr.shape[0])
    previous_parameter = hxp.get_mock_parameter()
    try:
        for profile in config.profiles:
            for seed in config.seeds:
                t_run = time.perf_counter()
                chip = (
                    chip_factory(profile, seed)
                    if chip_factory is not None
                    else chipsim.load(config.chip, calibration=profile, seed=seed)
                )
                # per tile: the mock adds its noise once per 128-input tile, so this is the
                # parameter with which the mock reproduces the chip's noise on multi-tile layers
                parameter = hxp.measure_mock_parameter(chip, seed=seed, per_tile_noise=True)
                hxp.set_mock_parameter(parameter)
                torch.manual_seed(config.seed * 1_000_003 + seed)
                run = {
                    "profile": profile,
                    "seed": seed,
                    "gain": parameter.gain,
                    "noise_std": parameter.noise_std,
                }
                model.load_state_dict(float_state)
                translate = dict(
                    target_rms=config.target_rms,
                    max_sends=config.max_sends,
                    wait_between_events=config.wait_between_events,
                )
                model.translate(None, "mock", parameter.gain, cal, **translate)
                run["mock"] = _accuracy(model, x_ev, y_ev)
                model.set_noise(False)
                run["mock_noise_off"] = _accuracy(model, x_ev, y_ev)
                model.to_float()
                model.translate(chip, "chip", parameter.gain, cal, **translate)
                run["num_sends"] = [layer.num_sends for layer, _ in model.layers()]
                run["plain"] = _accuracy(model, x_ev, y_ev)
                if config.diagnostics:
                    model.set_noise(False)
                    run["plain_noise_off"] = _accuracy(model, x_ev, y_ev)
                    model.set_noise(True)
                if config.hil_epochs > 0:
                    hil_rng = np.random.default_rng([config.seed, seed, 7])
                    _train(
                        model,
                        x_tr[:hil_n],
                        y_tr[:hil_n],
                        epochs=config.hil_epochs,
                        lr=config.hil_lr,
                        batch_size=config.batch_size,
                        rng=hil_rng,
                    )
                    run["hil"] = _accuracy(model, x_ev, y_ev)
                model.to_float()
                run["seconds"] = time.perf_counter() - t_run
                result.runs.append(run)
                quiet = (
                    f", plain noise off {100 * run['plain_noise_off']:.1f} %"
                    if "plain_noise_off" in run
                    else ""
                )
                say(
                    f"{profile:>8} seed {seed}: gain {parameter.gain:.5f}, noise "
                    f"{parameter.noise_std:.2f}, num_sends {run['num_sends']}; mock "
                    f"{100 * run['mock']:.1f} % (noise off {100 * run['mock_noise_off']:.1f} %), "
                    f"plain {100 * run['plain']:.1f} %{quiet}"
                    + (f", HIL {100 * run['hil']:.1f} %" if "hil" in run else "")
                    + " "
                    f"({run['seconds']:.1f} s)"
                )
    finally:
        hxp.set_mock_parameter(previous_parameter)
    result.wall_seconds = time.perf_counter() - t_start
    return result


def study_figure(result: StudyResult, path: str | Path) -> Path:
    """Bars of the 2 x 2 table (mean, error bar = spread, dots = seeds) and the float baseline."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    profiles = result.config.profiles
    methods = (
        ("plain", "plain transfer", "tab:orange"),
        ("hil", "hardware-in-the-loop", "tab:blue"),
    )
    fig, ax = plt.subplots(figsize=(7, 4.5))
    width = 0.38
    for j, (key, label, color) in enumerate(methods):
        for i, p in enumerate(profiles):
            mean, std, _ = result.cell(key, p)
            xpos = i + (j - 0.5) * width
            ax.bar(
                xpos,
                100 * mean,
                width,
                yerr=100 * std,
                color=color,
                capsize=4,
                label=label if i == 0 else None,
            )
            vals = [100 * r[key] for r in result.runs if r["profile"] == p]
            ax.plot([xpos] * len(vals), vals, "k.", ms=4)
            top = max([100 * (mean + std)] + vals)
            ax.text(xpos, top + 1.5, f"{100 * mean:.1f}", ha="center", fontsize=8)
    ax.axhline(
        100 * result.float_accuracy_eval,
        color="k",
        ls="--",
        lw=1,
        label=f"float baseline {100 * result.float_accuracy_eval:.1f} %",
    )
    ax.axhline(
        100 / max(result.dataset.get("classes", 10), 1),
        color="tab:gray",
        ls=":",
        lw=1,
        label="chance",
    )
    ax.set_xticks(range(len(profiles)))
    ax.set_xticklabels([f"{p} calibration" for p in profiles])
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 120)
    ax.set_title(
        f"{result.dataset.get('name')} ({result.dataset.get('features')} features): "
        f"{len(result.config.seeds)} chip seeds, {result.wall_seconds / 60:.1f} min"
    )
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save(result: StudyResult, out_dir: str | Path) -> dict[str, Path]:
    """Write ``results.json``, ``table.txt`` and ``figure.png`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.json",
        "table": out / "table.txt",
        "figure": out / "figure.png",
    }
    paths["results"].write_text(json.dumps(result.to_dict(), indent=2) + "\n")
    paths["table"].write_text(result.table() + f"\nwall time {result.wall_seconds:.1f} s\n")
    study_figure(result, paths["figure"])
    return paths


__all__ = ["StudyConfig", "StudyResult", "run_study", "study_figure", "save", "PROFILES"]
