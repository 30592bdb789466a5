"""Translation of float tensors into hardware numbers: uniform symmetric quantization
``q = clip(round(x * s), q_min, q_max)`` with the three scaling strategies of the study (Kern et
al. 2023): a **static** scale fixed once from calibration data, a scale set **per batch** from
the batch itself, and an **exponential moving average** of the batch statistic.

The scale maps the magnitude ``r`` of the data (its largest absolute value, or a percentile of
it) onto the largest code: ``s = q_max / r``. Rounding has a straight-through gradient (the
gradient of ``x * s`` inside the clip range, zero outside), so the modules can sit in a network
that is trained. Needs torch.
"""

from __future__ import annotations

import math

import torch

#: The strategies of :class:`Quantizer`.
SCALINGS = ("static", "batch", "ema")


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad):
        return grad


def quantize(x: torch.Tensor, scale, q_min: float, q_max: float) -> torch.Tensor:
    """``clip(round(x * scale), q_min, q_max)`` with a straight-through gradient for the
    rounding (and zero gradient where the clip is active)."""
    return torch.clamp(_RoundSTE.apply(x * scale), q_min, q_max)


def code_range(bits: int, signed: bool) -> tuple[int, int]:
    """Codes of a uniform symmetric quantizer: unsigned ``0..2**bits-1``; signed
    ``-(2**(bits-1)-1)..2**(bits-1)-1`` (symmetric, no extra negative code)."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"bits: {bits!r} must be an integer in 1..16")
    if signed:
        if bits < 2:
            raise ValueError("bits: a signed quantizer needs at least 2 bits")
        top = 2 ** (bits - 1) - 1
        return -top, top
    return 0, 2**bits - 1


class Quantizer(torch.nn.Module):
    """Uniform symmetric quantizer of activations with a static, per-batch or moving-average
    scale. ``forward`` returns the codes (as a float tensor); :meth:`dequantize` maps codes back.

    Args:
        bits: code width (5 for the chip's inputs, 0..31).
        signed: signed codes (symmetric) or unsigned (for non-negative data such as ReLU outputs).
        scaling: ``"static"``: the scale is fixed by :meth:`calibrate` (or given as ``scale``) and
            never changes; ``"batch"``: every forward pass sets it from its own batch (also in
            eval mode); ``"ema"``: in training mode the magnitude is averaged,
            ``r <- (1 - momentum) * r + momentum * r_batch``, and eval mode uses the average.
        momentum: weight of a new batch in the moving average.
        percentile: magnitude statistic: 100 takes the largest absolute value; lower values clip
            rare outliers.
        scale: initial (for ``static``, final) scale.

    A static quantizer without a scale calibrates itself on the first batch it sees in training
    mode, and refuses to run in eval mode before that.
    """

    magnitude: (
        torch.Tensor
    )  #: buffer: the magnitude that maps to ``q_max`` (nan before calibration)

    def __init__(
        self,
        bits: int = 5,
        signed: bool = False,
        scaling: str = "static",
        momentum: float = 0.1,
        percentile: float = 100.0,
        scale: float | None = None,
    ):
        super().__init__()
        if scaling not in SCALINGS:
            raise ValueError(f"scaling: {scaling!r} is not one of {', '.join(SCALINGS)}")
        if not 0 < momentum <= 1:
            raise ValueError(f"momentum: {momentum} must lie in (0, 1]")
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile: {percentile} must lie in (0, 100]")
        self.q_min, self.q_max = code_range(bits, signed)
        self.bits, self.signed, self.scaling = bits, signed, scaling
        self.momentum, self.percentile = float(momentum), float(percentile)
        magnitude = math.nan
        if scale is not None:
            if not (scale > 0 and math.isfinite(scale)):
                raise ValueError(f"scale: {scale} must be a positive finite number")
            magnitude = self.q_max / scale
        self.register_buffer("magnitude", torch.tensor(magnitude, dtype=torch.float64))

    @property
    def scale(self) -> float:
        """Current scale ``q_max / magnitude`` (nan before calibration)."""
        return float(self.q_max / self.magnitude)

    def _batch_magnitude(self, x: torch.Tensor) -> torch.Tensor:
        a = x.detach().abs().flatten().to(torch.float64)
        r = a.max() if self.percentile >= 100 else torch.quantile(a, self.percentile / 100.0)
        return torch.clamp(r, min=1e-12)

    @torch.no_grad()
    def calibrate(self, x: torch.Tensor) -> Quantizer:
        """Set the magnitude from data ``x`` (any scaling; the static one keeps it)."""
        self.magnitude.fill_(float(self._batch_magnitude(x)))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.scaling == "batch":
            magnitude = self._batch_magnitude(x)
            self.magnitude.fill_(float(magnitude))
        elif self.scaling == "ema":
            if self.training:
                r = self._batch_magnitude(x)
                if torch.isnan(self.magnitude):
                    self.magnitude.fill_(float(r))
                else:
                    self.magnitude.mul_(1 - self.momentum).add_(self.momentum * r)
            elif torch.isnan(self.magnitude):
                raise RuntimeError(
                    "Quantizer(scaling='ema'): no batch seen in training mode yet; "
                    "run it in training mode or call calibrate() first"
                )
        elif torch.isnan(self.magnitude):
            if not self.training:
                raise RuntimeError(
                    "Quantizer(scaling='static'): not calibrated; call "
                    "calibrate(data) or give scale="
                )
            self.calibrate(x)
        return quantize(x, self.q_max / float(self.magnitude), self.q_min, self.q_max)

    def dequantize(self, q: torch.Tensor) -> torch.Tensor:
        """Codes back to the float domain: ``q / scale``."""
        return q * (float(self.magnitude) / self.q_max)

    def extra_repr(self) -> str:
        return (
            f"bits={self.bits}, signed={self.signed}, scaling={self.scaling!r}, "
            f"codes={self.q_min}..{self.q_max}, scale={self.scale:.4g}"
        )


def quantize_weight(
    weight: torch.Tensor, max_code: int = 63, percentile: float = 100.0
) -> tuple[torch.Tensor, float]:
    """Static symmetric per-tensor quantization of a weight to ``-max_code..max_code``.

    Returns ``(codes, scale)``; the codes carry a straight-through gradient to ``weight``."""
    a = weight.detach().abs().flatten().to(torch.float64)
    r = float(a.max() if percentile >= 100 else torch.quantile(a, percentile / 100.0))
    scale = max_code / max(r, 1e-12)
    return quantize(weight, scale, -max_code, max_code), scale


__all__ = ["Quantizer", "quantize", "quantize_weight", "code_range", "SCALINGS"]
