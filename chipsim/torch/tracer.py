"""Trace and replay, as the reference's ``InferenceTracer`` and ``inference_trace``: record the
chain of chip operations of a forward pass (multiply-accumulates with their weights, ReLUs,
additions, argmax), save it to a file, and replay it later on a simulated chip as one program,
without the model that produced it.

As in the reference, only operations that run on the chip (``mock=False``) are recorded, and a
trace must be a chain: every recorded operation has to receive exactly the output of the one
before it (compared value by value); anything computed in between outside the API (``x + 2``, a
reshape, a pooling) raises ``RuntimeError``, because the replay could not reproduce it.
"""

from __future__ import annotations

import contextlib
import os

import torch

from ._operation import operation

#: Written into every trace file; :func:`inference_trace` refuses other files.
TRACE_FORMAT = "chipsim.torch inference trace"
TRACE_VERSION = 1


class _Recording:
    """What one started tracer has seen: operation names, their entries, the last output."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.ops: list[dict] = []
        self.last_output: torch.Tensor | None = None


_active: list[_Recording] = []
_suspended = [0]


def tracing() -> bool:
    """Whether an operation running now is recorded."""
    return bool(_active) and not _suspended[0]


def check_input(value: torch.Tensor, op: str) -> None:
    """Raise ``RuntimeError`` if ``value`` is not the last recorded output of a started tracer."""
    if not tracing():
        return
    for recording in _active:
        last = recording.last_output
        if last is None:
            continue
        same = tuple(value.shape) == tuple(last.shape) and torch.equal(
            value.detach().to(last.dtype), last
        )
        if not same:
            raise RuntimeError(
                f"InferenceTracer: the input of {op} (shape {tuple(value.shape)}) is not the "
                f"output of the traced operation before it (shape {tuple(last.shape)}); only a "
                "chain of chip operations can be traced: move untraced computations (arithmetic, "
                "reshapes, pooling, mock-mode operations) before tracer.start() or after stop()"
            )


def record(name: str, entry: dict, output: torch.Tensor) -> None:
    """Append an operation to every started tracer and remember its output."""
    if not tracing():
        return
    kept = output.detach().clone()
    for recording in _active:
        recording.names.append(name)
        recording.ops.append(dict(entry, name=name))
        recording.last_output = kept


@contextlib.contextmanager
def _not_recorded():
    _suspended[0] += 1
    try:
        yield
    finally:
        _suspended[0] -= 1


class InferenceTracer:
    """Record the chip operations between :meth:`start` and :meth:`stop` and save them.

    Args:
        filename: where :meth:`stop` writes the trace (a file of :func:`torch.save`, readable
            with :func:`load_trace`, run with :func:`inference_trace`).

    Tracers can be nested: each records what runs while it is started.
    """

    def __init__(self, filename) -> None:
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(
                f"InferenceTracer: filename must be a path, got {type(filename).__name__}"
            )
        self.filename = os.fspath(filename)
        self._recording: _Recording | None = None

    def start(self) -> None:
        """Start recording (from an empty trace)."""
        if self._recording is not None:
            raise RuntimeError(
                "InferenceTracer.start: this tracer is already started; call stop() first"
            )
        self._recording = _Recording()
        _active.append(self._recording)

    def stop(self) -> list[str]:
        """Stop recording, save the trace to ``filename`` and return the names of the recorded
        operations (``"mac"``, ``"relu"``, ``"converting_relu"``, ``"add"``, ``"argmax"``)."""
        recording = self._recording
        if recording is None:
            raise RuntimeError(
                "InferenceTracer.stop: the tracer was not started; call start() first"
            )
        _active.remove(recording)
        self._recording = None
        torch.save(
            {"format": TRACE_FORMAT, "version": TRACE_VERSION, "ops": recording.ops}, self.filename
        )
        return list(recording.names)

    def __repr__(self) -> str:
        state = "started" if self._recording is not None else "stopped"
        return f"InferenceTracer({self.filename!r}, {state})"


def load_trace(filename) -> list[dict]:
    """The recorded operations of a trace file, in order: dictionaries with ``name`` and the
    operation's settings (``weights`` as an int8 tensor (K, M), ``num_sends`` and
    ``wait_between_events`` for ``mac``; ``shift`` for ``converting_relu``; ``other`` for
    ``add``; ``dim`` and ``keepdim`` for ``argmax``)."""
    data = torch.load(os.fspath(filename), weights_only=True)
    if not isinstance(data, dict) or data.get("format") != TRACE_FORMAT:
        raise ValueError(f"{os.fspath(filename)!r} is not a trace written by InferenceTracer")
    if data.get("version") != TRACE_VERSION:
        raise ValueError(
            f"{os.fspath(filename)!r}: trace version {data.get('version')!r}, this "
            f"chipsim reads version {TRACE_VERSION}"
        )
    return data["ops"]


def _replay(value: torch.Tensor, ops: list[dict], chip) -> torch.Tensor:
    from . import functional as F

    for op in ops:
        name = op["name"]
        if name == "mac":
            value = F.mac(
                value,
                op["weights"].to(torch.float32),
                op["num_sends"],
                op["wait_between_events"],
                False,
                chip=chip,
            )
        elif name == "relu":
            value = F.relu(value)
        elif name == "converting_relu":
            value = F.converting_relu(value, op["shift"])
        elif name == "add":
            value = F.add(value, op["other"])
        elif name == "argmax":
            value = F.argmax(value, op["dim"], op["keepdim"])
        else:
            raise ValueError(f"inference_trace: unknown operation {name!r} in the trace")
    return value


@operation
def inference_trace(
    input: torch.Tensor, filename, *, chip=None, batch_size: int | None = None
) -> torch.Tensor:
    """Run a saved trace on ``input``, on the selected chip (or ``chip``).

    Each multiply-accumulate draws its noise seed from torch's generator as the eager forward
    does, so after the same ``torch.manual_seed`` the replay gives exactly the eager results for
    the same batches.

    Args:
        input: ``(K,)`` or ``(N, K)``: input activations (0..31) if the trace starts with a
            multiply-accumulate, else results (-128..127).
        filename: a file written by :meth:`InferenceTracer.stop`.
        chip: run on this chip instead of the selected one (not in the reference API).
        batch_size: replay ``batch_size`` rows at a time, as an eager loop over batches of that
            size would (``None``: all rows at once; not in the reference API).

    Returns:
        the output of the last operation (float; ``argmax`` gives integer indices).

    Raises:
        RuntimeError: an empty trace, an input with more than 2 dimensions, or no chip selected.
    """
    from hwdesc.rules import integer

    from ._state import resolve_chip

    ops = load_trace(filename)
    if not ops:
        raise RuntimeError(
            f"inference_trace: the trace {os.fspath(filename)!r} is empty; record "
            "operations between InferenceTracer.start() and stop()"
        )
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"inference_trace: input must be a tensor, got {type(input).__name__}")
    if input.dim() not in (1, 2):
        raise RuntimeError(
            f"inference_trace: the input must be 1-D or 2-D, got shape {tuple(input.shape)}"
        )
    check_input(input, "inference_trace")
    the_chip = resolve_chip(chip)
    with _not_recorded(), torch.no_grad():
        if batch_size is None or input.dim() == 1:
            output = _replay(input, ops, the_chip)
        else:
            size = integer(batch_size, "batch_size", 1)
            output = torch.cat([_replay(part, ops, the_chip) for part in input.split(size)])
    if tracing():
        kept = output.detach().clone()
        for recording in _active:
            recording.last_output = kept
    return output


__all__ = ["InferenceTracer", "inference_trace", "load_trace"]
