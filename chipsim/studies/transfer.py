"""The transfer study (Kern et al. 2023, model.md section 1): an MLP with BatchNorm trained in float, then
run on simulated chips (a) as it is ("plain transfer") and (b) after hardware-in-the-loop
retraining (forward pass on the simulator, backward pass straight-through), on chip instances
(seeds) calibrated with the ``default`` and with the ``custom`` target (:func:`chipsim.calibrate`,
cached; ``calibration="profiles"``: the chip description's calibration profiles of those names
instead), over several chip instances.

Two options measure the published study's other findings: ``clip_below`` sets activation codes
below a threshold to zero before they go to the chip (in plain transfer and in the retraining),
and ``output_layer_target`` runs the output layer (few input features) on the same chip instance
calibrated for a changed target (e.g. a higher OTA bias ``i_synin_gm``).

The network: ``Quantizer(5 bit) -> AnalogLinear -> BatchNorm -> ReLU -> Quantizer(5 bit) ->
AnalogLinear -> BatchNorm``. Each :class:`AnalogLinear` keeps float weights; in float mode it is
a plain ``x @ W^T``; on a chip (or the mock) it sends the activation codes (0..31) and the
weight codes (-63..63) to :func:`chipsim.torch.matmul` and maps the int8 result back to the
float domain with ``z = y / (gain * num_sends * s_x * s_w)`` (``gain`` as measured on that layer's chip
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

#: Targets (or profiles) compared by the study, in table order.
PROFILES = ("default", "custom")
#: How the chips of the study are calibrated: ``targets``: each chip instance calibrated with
#: :func:`chipsim.calibrate` for the calibration profile of that name taken as a target
#: (``target="custom"``); ``profiles``: the description's profiles with their given residual
#: spreads (the study before the simulated calibration).
CALIBRATION_MODES = ("targets", "profiles")
#: The largest activation code (5 bit).
ACTIVATION_MAX = 31
#: Test samples on which each layer's output noise, signal and saturation are measured.
STATS_SAMPLES = 100
#: Percentile of the weight magnitudes mapped to the largest weight code when translating.
WEIGHT_PERCENTILE = 99.9
#: Floor of the per-feature standard deviation in the input normalization, relative to the
#: median over features (features that barely vary would otherwise get huge weights on the chip).
STD_FLOOR = 0.1


def _per_profile(overrides: dict, profiles) -> dict[str, dict[str, Any]]:
    """``output_layer_target`` as ``{profile: {field: value}}``: a dictionary of fields alone
    applies to every profile; a dictionary of profiles must name compared profiles only and
    hold a dictionary of fields each; empty ones are dropped."""
    if not overrides:
        return {}
    values = list(overrides.values())
    if all(isinstance(v, dict) for v in values):
        unknown = [p for p in overrides if p not in profiles]
        if unknown:
            raise ValueError(
                f"output_layer_target: {unknown[0]!r} is not a compared profile; profiles: "
                f"{', '.join(profiles)}"
            )
        return {p: dict(overrides[p]) for p in profiles if overrides.get(p)}
    if any(isinstance(v, dict) for v in values):
        raise TypeError(
            "output_layer_target: give either target fields for every profile "
            "({'i_synin_gm': 600}) or fields per profile ({'default': {'i_synin_gm': 600}}), "
            "not both"
        )
    return {p: dict(overrides) for p in profiles}


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
        profiles: the calibrations compared: names of calibration profiles of the chip,
            calibrated as targets (``calibration="targets"``) or used as profiles.
        calibration: ``targets`` (each chip seed calibrated by :func:`chipsim.calibrate` for
            each profile taken as a target, through the cache) or ``profiles`` (the
            description's profiles with their fixed residual spreads).
        clip_below: activation codes (0..31) below this become 0 before they go to the chip
            (plain transfer, retraining and the mock diagnostics); one code for both layers or
            a pair (first layer, output layer); 0 or 1: off.
        output_layer_target: target fields changed for the output layer, per compared
            profile (``{"default": {"i_synin_gm": 600}, "custom": {"i_synin_gm": 300}}``; a
            dictionary of fields alone, ``{"i_synin_gm": 600}``, applies to every profile): that
            layer runs on the same chip seed calibrated for the run's target with these fields
            changed (``calibration="targets"`` only); a profile without entry, or an empty
            dictionary: both layers on one chip.
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
    calibration: str = "targets"
    clip_below: int | tuple[int, int] = 0
    output_layer_target: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    eval_samples: int = 1000
    hil_samples: int = 3000
    hil_epochs: int = 3
    hil_lr: float = 1e-3
    seed: int = 0
    diagnostics: bool = True

    def __post_init__(self) -> None:
        if self.calibration not in CALIBRATION_MODES:
            raise ValueError(
                f"calibration: {self.calibration!r} is not a mode of the study; allowed: "
                f"{', '.join(CALIBRATION_MODES)}"
            )
        clip = self.clip_below
        if isinstance(clip, list):  # read back from JSON
            clip = tuple(clip)
        values = clip if isinstance(clip, tuple) else (clip,)
        if isinstance(clip, tuple) and len(clip) != 2:
            raise ValueError(
                f"clip_below: expected one code for both layers or two (first layer, output "
                f"layer), got {len(clip)} values"
            )
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(
                    f"clip_below: expected an integer activation code 0..{ACTIVATION_MAX} (or two), "
                    f"got {self.clip_below!r}"
                )
            if not 0 <= value <= ACTIVATION_MAX:
                raise ValueError(
                    f"clip_below: {value} is out of range; allowed: 0..{ACTIVATION_MAX} (activation "
                    "codes below it become 0; 0 switches the clipping off)"
                )
        object.__setattr__(
            self,
            "clip_below",
            tuple(int(v) for v in clip) if isinstance(clip, tuple) else int(clip),
        )
        if not isinstance(self.output_layer_target, dict):
            raise TypeError(
                f"output_layer_target: expected a dictionary of target fields per profile, e.g. "
                f"{{'default': {{'i_synin_gm': 600}}}}, got {type(self.output_layer_target).__name__}"
            )
        per_profile = _per_profile(self.output_layer_target, self.profiles)
        object.__setattr__(self, "output_layer_target", per_profile)
        if per_profile:
            if self.calibration != "targets":
                raise ValueError(
                    "output_layer_target: needs calibration='targets' (the output layer is "
                    "calibrated for a changed target); the profiles cannot be changed per layer"
                )
            import warnings

            from ..calibration import HagenCalibTarget, TargetWarning

            for profile, fields in per_profile.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TargetWarning)  # said when calibrating
                    try:
                        HagenCalibTarget().with_overrides(**fields)
                    except (TypeError, ValueError) as err:
                        raise type(err)(f"output_layer_target: {profile}: {err}") from None

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
            self.clip_below = 0  # activation codes below it are sent as 0
            self.mock_parameter = None  # the mock's parameter for this layer (None: the global)
            self.record: list | None = None  # a list: (codes, chip output) of each call
            # input normalization (x - mean) / std of the float network; on a chip the raw,
            # non-negative input is sent, the weights become W / std and the constant
            # (mean / std) . W is subtracted digitally after the read
            self.register_buffer("in_mean", torch.zeros(in_features))
            self.register_buffer("in_std", torch.ones(in_features))

        def weight_codes(self) -> torch.Tensor:
            """The weight codes (-63..63) sent to the chip, ``(out, in)``."""
            return quantize(self.effective_weight(), self.weight_scale)

        def effective_weight(self) -> torch.Tensor:
            """The weight applied to the raw input: ``W / std``."""
            return self.weight / self.in_std

        def offset(self) -> torch.Tensor:
            """The constant ``(mean / std) . W`` that the input normalization subtracts."""
            return (self.in_mean / self.in_std) @ self.weight.t()

        def forward(self, x: torch.Tensor, quantizer: Quantizer) -> torch.Tensor:
            if self.backend == "float":
                return ((x - self.in_mean) / self.in_std) @ self.weight.t()
            codes = clip_codes(quantizer(x), self.clip_below)
            w_codes = self.weight_codes()
            mock = self.backend == "mock"
            previous = hxp.get_mock_parameter()
            if mock and self.mock_parameter is not None:
                hxp.set_mock_parameter(self.mock_parameter)
            try:
                y = hxp.matmul(
                    codes,
                    w_codes.t(),
                    num_sends=self.num_sends,
                    wait_between_events=self.wait_between_events,
                    mock=mock,
                    chip=self.chip,
                    noise=self.noise,
                )
            finally:
                if mock and self.mock_parameter is not None:
                    hxp.set_mock_parameter(previous)
            # the backward pass of matmul scales by the global mock gain; a layer on a chip of
            # another gain (output_layer_target) needs its own: rescale the gradient only
            ratio = self.gain / previous.gain
            if ratio != 1.0 and y.requires_grad:
                y = y.detach() + (y - y.detach()) * ratio
            if self.record is not None:
                self.record.append((codes.detach().clone(), y.detach().clone()))
            return (
                y / (self.gain * self.num_sends * quantizer.scale * self.weight_scale)
                - self.offset()
            )

        def extra_repr(self) -> str:
            return (
                f"in={self.weight.shape[1]}, out={self.weight.shape[0]}, backend={self.backend}, "
                f"num_sends={self.num_sends}, weight_scale={self.weight_scale:.4g}"
            )

    def clip_codes(codes, threshold: int):
        """``codes`` with the codes below ``threshold`` set to 0 (zero gradient there)."""
        if threshold <= 1:
            return codes
        return codes * (codes >= threshold).to(codes.dtype)

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
            gain,
            x_cal: torch.Tensor,
            *,
            target_rms: float,
            max_sends: int,
            wait_between_events: int,
        ) -> None:
            """Map the float network onto ``chip`` (or the mock): per layer pick the weight
            scale and ``num_sends`` so that the RMS output on ``x_cal`` is ``target_rms``.
            ``chip`` and ``gain`` (ADC steps per unit of x.w and send) are one for both layers
            or a pair, one per layer."""
            inputs = (x_cal, self.hidden_input(x_cal))
            chips = chip if isinstance(chip, (tuple, list)) else (chip, chip)
            gains = gain if isinstance(gain, (tuple, list)) else (gain, gain)
            for (layer, q), data, chip, gain in zip(self.layers(), inputs, chips, gains):
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

        def set_clip(self, threshold) -> None:
            """Activation codes below ``threshold`` are sent as 0: one code for both layers, or
            a pair (first layer, output layer)."""
            pair = threshold if isinstance(threshold, (tuple, list)) else (threshold, threshold)
            for (layer, _), value in zip(self.layers(), pair):
                layer.clip_below = int(value)

        def set_mock_parameters(self, parameters) -> None:
            """The mock's parameter of each layer (None: the global one)."""
            for (layer, _), parameter in zip(self.layers(), parameters):
                layer.mock_parameter = parameter

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


def layer_stats(model, x) -> list[dict]:
    """Per layer of a translated ``model``, measured on the inputs ``x`` (each layer run twice
    on the same inputs; the second layer gets the first layer's output of the first pass), in
    ADC steps of the chip output unless said otherwise:

    - ``rms``: root-mean-square output; ``signal``: per unit, the standard deviation over the
      samples of the output without its noise (mean over units); ``noise``: standard deviation
      of the output over repeated runs; ``snr``: signal / noise;
    - ``rail``: fraction of outputs at -128 or 127; ``beyond_linear``: fraction with
      ``|y| > 80`` (the chip is linear to about +-80, model.md section 1);
    - ``active``: fraction of activation codes sent as events (> 0 after clipping);
      ``clipped``: fraction of codes the clipping set to 0; ``clipped_charge``: their share of
      the sum of the activation codes (pulse lengths); ``clip_error``: RMS of the change of
      the ideal output that the clipping causes (``gain * num_sends * removed . w``).

    Consumes no numbers of torch's global generator."""
    torch = _torch()
    out = []
    was = model.training
    model.eval()
    inputs = x
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(12345)
        for index, (layer, q) in enumerate(model.layers()):
            raw = q(inputs)
            layer.record = []
            try:
                z = layer(inputs, q)
                layer(inputs, q)
            finally:
                record, layer.record = layer.record, None
            (codes, ya), (_, yb) = record
            ya, yb = ya.double(), yb.double()
            noise = float(torch.sqrt(torch.mean((ya - yb) ** 2) / 2))
            mean_var = ((ya + yb) / 2).var(dim=0, unbiased=True)  # per unit, over samples
            signal = float(torch.sqrt(torch.clamp(mean_var - noise**2 / 2, min=0.0)).mean())
            removed = (raw - codes).double()
            w = layer.weight_codes().double()
            change = layer.gain * layer.num_sends * (removed @ w.t())
            out.append(
                {
                    "layer": index + 1,
                    "num_sends": int(layer.num_sends),
                    "rms": float(torch.sqrt(torch.mean(ya**2))),
                    "signal": signal,
                    "noise": noise,
                    "snr": signal / noise if noise > 0 else math.inf,
                    "rail": float(((ya <= -128) | (ya >= 127)).double().mean()),
                    "beyond_linear": float((ya.abs() > 80).double().mean()),
                    "active": float((codes > 0).double().mean()),
                    "clipped": float(((raw > 0) & (codes == 0)).double().mean()),
                    "clipped_charge": float(removed.sum() / max(float(raw.sum()), 1e-12)),
                    "clip_error": float(torch.sqrt(torch.mean(change**2))),
                }
            )
            if index == 0:
                inputs = torch.relu(model.bn1(z))
    model.train(was)
    return out


def calibration_summary(result) -> dict:
    """The part of a :class:`~chipsim.calibration.CalibrationResult` a study run records: its
    label, target, success, failures and residual spreads (per quantity: mean and standard
    deviation of the residuals, in the quantity's unit, docs/calibration.md)."""
    from ..calibration.procedure import UNITS, label

    return {
        "label": label(result.target),
        "target": result.target.to_dict(),
        "ok": bool(result.ok),
        "failures": {q: int(n) for q, n in result.failures.items()},
        "residual_mean": {q: float(np.mean(result.residuals[q])) for q in result.quantities},
        "residual_std": {q: float(np.std(result.residuals[q])) for q in result.quantities},
        "units": {q: UNITS.get(q, "") for q in result.quantities},
    }


def _failure_text(summary: dict) -> str:
    return ", ".join(f"{q} {n}" for q, n in summary["failures"].items() if n)


@dataclass
class StudyResult:
    """What a run of the study measured.

    Attributes:
        config: the configuration.
        float_accuracy: test accuracy of the float network (all test samples).
        float_accuracy_eval: the same on the samples run on the chips.
        runs: one dict per (profile, seed): measured gain and noise (of the first layer's
            chip), ``num_sends`` per layer, the accuracies (``plain``, ``hil``; diagnostics
            ``plain_noise_off``, ``mock``, ``mock_noise_off``), per-layer figures of the plain
            transfer and after retraining (``layers_plain``, ``layers_hil``:
            :func:`layer_stats`), with ``calibration="targets"`` the calibration's summary
            (``calibration``: :func:`calibration_summary`) and with ``output_layer_target``
            the output layer's (``output_layer``: its gain, noise and calibration summary),
            wall time.
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
        lines.extend(self.settings())
        lines.extend(self.ordering())
        return "\n".join(lines)

    def settings(self) -> list[str]:
        """Lines that say how the chips were calibrated, the options in use and every chip
        whose calibration failed for some instances."""
        cfg = self.config
        if cfg.calibration == "targets":
            out = [
                "chips: each chip seed calibrated (chipsim.calibrate) for the targets "
                + " / ".join(cfg.profiles)
            ]
        else:
            out = [
                "chips: the calibration profiles " + " / ".join(cfg.profiles) + " (given spreads)"
            ]
        clip = cfg.clip_below
        if isinstance(clip, tuple) and max(clip) > 1:
            out.append(
                f"activation codes below {clip[0]} (first layer) and {clip[1]} (output layer) "
                "sent as 0"
            )
        elif isinstance(clip, int) and clip > 1:
            out.append(f"activation codes below {clip} sent as 0 (both layers)")
        for profile, changed in cfg.output_layer_target.items():
            fields = ", ".join(f"{k}={v}" for k, v in changed.items())
            out.append(f"output layer ({profile}): the same chip seed calibrated with {fields}")
        for run in self.runs:
            for key, what in (("calibration", ""), ("output_layer", " (output layer)")):
                summary = run.get(key, {}).get("summary") if key == "output_layer" else run.get(key)
                if summary and not summary["ok"]:
                    out.append(
                        f"WARNING: {run['profile']} seed {run['seed']}{what}: calibration failed "
                        f"for {_failure_text(summary)} instances"
                    )
        return out

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
        cfg.setdefault("calibration", "profiles")  # results written before the targets mode
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


def format_layer(stats: dict) -> str:
    """One line of :func:`layer_stats` figures of a layer."""
    line = (
        f"layer {stats['layer']}: rms {stats['rms']:.1f}, signal {stats['signal']:.1f}, noise "
        f"{stats['noise']:.2f} (snr {stats['snr']:.1f}), at the rails {100 * stats['rail']:.2f} %, "
        f"|y| > 80 {100 * stats['beyond_linear']:.2f} %, events {100 * stats['active']:.1f} %"
    )
    if stats["clipped"] > 0:
        line += (
            f", clipped {100 * stats['clipped']:.1f} % of the codes "
            f"({100 * stats['clipped_charge']:.1f} % of the charge, output change "
            f"{stats['clip_error']:.2f} rms)"
        )
    return line


def study_chips(config: StudyConfig, profile: str, seed: int, say=None):
    """The chips of one run: (first layer's, output layer's) chip instance ``seed``, with
    ``config.calibration == "targets"`` calibrated for the profile ``profile`` taken as a target
    (:func:`chipsim.calibrate`, cached) and the output layer's for that target with
    ``config.output_layer_target[profile]`` on top (the same chip object when there are none), with
    ``"profiles"`` the profile itself. ``say`` receives a line before each calibration that is
    not in the cache."""
    import chipsim
    import hwdesc
    from chipsim.chip import Chip

    from ..calibration import profile_target

    desc = hwdesc.load(config.chip)
    if config.calibration == "profiles":
        chip = Chip(desc, calibration=profile, seed=seed)
        return chip, chip

    def calibrated(target, what: str):
        def progress(step: str, index: int, total: int) -> None:
            if index == 0 and say is not None:
                say(f"calibrating {what} (not in the cache; {total} steps) ...")

        result = chipsim.calibrate(desc, target, seed, progress=progress)
        return Chip(desc, calibration=result, seed=seed)

    target = profile_target(desc, profile)
    chip = calibrated(target, f"chip seed {seed} for the target {profile!r}")
    changed = config.output_layer_target.get(profile)
    if not changed:
        return chip, chip
    target_out = target.with_overrides(**changed)
    if target_out == target:
        return chip, chip
    fields = ", ".join(f"{k}={v}" for k, v in changed.items())
    return chip, calibrated(target_out, f"chip seed {seed} for {profile!r} with {fields}")


def run_study(
    config: StudyConfig = StudyConfig(),
    *,
    log: Callable[[str], None] | None = None,
    chip_factory: Callable | None = None,
) -> StudyResult:
    """Run the study as configured; ``log`` receives progress lines.

    ``chip_factory(profile, seed)`` builds the chip of each run, or a pair (first layer's chip,
    output layer's chip); default: :func:`study_chips` (the chip seed calibrated for the profile
    taken as a target, or the profile itself with ``config.calibration == "profiles"``), e.g. a
    chip with knob values that no profile of the file holds. ``config.hil_epochs = 0`` skips the hardware-in-the-loop
    retraining (the runs then have no ``hil`` accuracy).
    """
    torch = _torch()
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
    translate = dict(
        target_rms=config.target_rms,
        max_sends=config.max_sends,
        wait_between_events=config.wait_between_events,
    )
    model.set_clip(config.clip_below)
    x_stats = x_ev[: min(STATS_SAMPLES, n_eval)]
    try:
        for profile in config.profiles:
            for seed in config.seeds:
                t_run = time.perf_counter()
                if chip_factory is not None:
                    made = chip_factory(profile, seed)
                    chip, chip_out = made if isinstance(made, tuple) else (made, made)
                else:
                    chip, chip_out = study_chips(config, profile, seed, say)
                # per tile: the mock adds its noise once per 128-input tile, so this is the
                # parameter with which the mock reproduces the chip's noise on multi-tile layers
                parameter = hxp.measure_mock_parameter(chip, seed=seed, per_tile_noise=True)
                parameter_out = (
                    parameter
                    if chip_out is chip
                    else hxp.measure_mock_parameter(chip_out, seed=seed, per_tile_noise=True)
                )
                hxp.set_mock_parameter(parameter)
                model.set_mock_parameters((None, parameter_out))
                gains = (parameter.gain, parameter_out.gain)
                torch.manual_seed(config.seed * 1_000_003 + seed)
                run: dict[str, Any] = {
                    "profile": profile,
                    "seed": seed,
                    "gain": parameter.gain,
                    "noise_std": parameter.noise_std,
                }
                if chip.calibration_result is not None:
                    run["calibration"] = calibration_summary(chip.calibration_result)
                if chip_out is not chip:
                    run["output_layer"] = {
                        "chip": chip_out.calibration,
                        "gain": parameter_out.gain,
                        "noise_std": parameter_out.noise_std,
                    }
                    if chip_out.calibration_result is not None:
                        run["output_layer"]["summary"] = calibration_summary(
                            chip_out.calibration_result
                        )
                for key, what in (("calibration", ""), ("output_layer", " (output layer)")):
                    summary = (
                        run.get(key, {}).get("summary") if key == "output_layer" else run.get(key)
                    )
                    if summary is not None and not summary["ok"]:
                        say(
                            f"WARNING: {profile} seed {seed}{what}: its calibration failed for "
                            f"{_failure_text(summary)} instances (they keep a code at the end of "
                            "their range; the run uses the chip as it is)"
                        )
                model.load_state_dict(float_state)
                model.translate(None, "mock", gains, cal, **translate)
                run["mock"] = _accuracy(model, x_ev, y_ev)
                model.set_noise(False)
                run["mock_noise_off"] = _accuracy(model, x_ev, y_ev)
                model.to_float()
                model.translate((chip, chip_out), "chip", gains, cal, **translate)
                run["num_sends"] = [layer.num_sends for layer, _ in model.layers()]
                run["plain"] = _accuracy(model, x_ev, y_ev)
                if config.diagnostics:
                    model.set_noise(False)
                    run["plain_noise_off"] = _accuracy(model, x_ev, y_ev)
                    model.set_noise(True)
                    run["layers_plain"] = layer_stats(model, x_stats)
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
                    if config.diagnostics:
                        run["layers_hil"] = layer_stats(model, x_stats)
                model.to_float()
                model.set_mock_parameters((None, None))
                run["seconds"] = time.perf_counter() - t_run
                result.runs.append(run)
                quiet = (
                    f", plain noise off {100 * run['plain_noise_off']:.1f} %"
                    if "plain_noise_off" in run
                    else ""
                )
                out_gain = (
                    f" (output layer {parameter_out.gain:.5f}, {parameter_out.noise_std:.2f})"
                    if chip_out is not chip
                    else ""
                )
                say(
                    f"{profile:>8} seed {seed}: gain {parameter.gain:.5f}, noise "
                    f"{parameter.noise_std:.2f}{out_gain}, num_sends {run['num_sends']}; mock "
                    f"{100 * run['mock']:.1f} % (noise off {100 * run['mock_noise_off']:.1f} %), "
                    f"plain {100 * run['plain']:.1f} %{quiet}"
                    + (f", HIL {100 * run['hil']:.1f} %" if "hil" in run else "")
                    + " "
                    f"({run['seconds']:.1f} s)"
                )
                for key, when in (("layers_plain", "plain"), ("layers_hil", "HIL")):
                    for stats in run.get(key, []):
                        say(f"{'':>10}{when:>5} {format_layer(stats)}")
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
            mean, std, n = result.cell(key, p)
            if n == 0:  # e.g. no retraining (hil_epochs 0)
                continue
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
            vals = [100 * r[key] for r in result.runs if r["profile"] == p and key in r]
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


__all__ = [
    "CALIBRATION_MODES",
    "PROFILES",
    "StudyConfig",
    "StudyResult",
    "calibration_summary",
    "layer_stats",
    "run_study",
    "save",
    "study_chips",
    "study_figure",
]
