"""The first-run notice: the analog kernels are compiled by Numba on first use (about a minute on
two cores) and cached on disk afterwards. A command that is about to run them for the first time
says so in one line on stderr, with a spinner and the seconds elapsed while it waits (on a
terminal), instead of staying silent for a minute."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

NOTICE = "compiling the analog kernels (once per installation, about a minute)"


#: The kernel module of each readout (``geometry.readout`` of a description).
READOUT_MODULES = {"membrane": "kernels.half", "synaptic_input": "kernels.synin"}


def kernels_cached(readout: str = "membrane") -> bool:
    """True when the on-disk cache holds the batch entry point of the kernel of ``readout``
    (``membrane`` or ``synaptic_input``) for its current source (so the first run loads it in
    well under a second). Each readout has a kernel of its own: a run of one compiles only its
    own.

    The check reads Numba's cache index of the module's parallel entry points; if that cannot be
    read (another Numba version, another layout), it answers ``True``: no notice rather than a
    wrong one.
    """
    if readout not in READOUT_MODULES:
        raise ValueError(f"readout must be one of {', '.join(READOUT_MODULES)}, got {readout!r}")
    try:
        import importlib

        from numba.core.dispatcher import Dispatcher

        module = importlib.import_module(READOUT_MODULES[readout])
        entries: list[Any] = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, Dispatcher) and obj.targetoptions.get("parallel")
        ]
        return bool(entries) and all(bool(d._cache._cache_file._load_index()) for d in entries)
    except Exception:
        return True


@contextlib.contextmanager
def compile_notice(quiet: bool = False, stream=None, readout: str = "membrane") -> Iterator[bool]:
    """Wrap the first kernel run of a command on a chip of ``readout`` (its
    ``geometry.readout``). If that readout's kernel is not cached, print
    :data:`NOTICE` (one line on ``stream``, default stderr), animate a spinner with the elapsed
    seconds while the block runs (terminals only, not with ``quiet``), and finish the line with
    the time taken. Yields whether a compilation was announced."""
    stream = sys.stderr if stream is None else stream
    if kernels_cached(readout):
        yield False
        return
    t0 = time.perf_counter()
    tty = not quiet and getattr(stream, "isatty", lambda: False)()
    stop = threading.Event()

    def spin() -> None:
        frames = "|/-\\"
        i = 0
        while not stop.wait(0.25):
            stream.write(f"\r{NOTICE} {frames[i % 4]} {time.perf_counter() - t0:.0f} s ")
            stream.flush()
            i += 1

    stream.write(f"{NOTICE} ...")
    stream.flush()
    spinner = threading.Thread(target=spin, daemon=True) if tty else None
    if spinner is not None:
        spinner.start()
    ok = False
    try:
        yield True
        ok = True
    finally:
        stop.set()
        if spinner is not None:
            spinner.join()
        elapsed = time.perf_counter() - t0
        end = f"done in {elapsed:.0f} s" if ok else "stopped"
        stream.write(f"\r{NOTICE}: {end}    \n" if tty else f" {end}\n")
        stream.flush()
