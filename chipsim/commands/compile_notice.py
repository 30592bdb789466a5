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


def kernels_cached() -> bool:
    """True when Numba's on-disk cache holds the batch entry points of :mod:`kernels` for their
    current source (so the first run loads them in well under a second).

    The check reads Numba's cache index of every parallel entry point; if that cannot be read
    (another Numba version, another layout), it answers ``True``: no notice rather than a wrong one.
    """
    try:
        from numba.core.dispatcher import Dispatcher

        import kernels

        entries: list[Any] = [
            obj
            for name, module in list(sys.modules.items())
            if name == "kernels" or name.startswith("kernels.")
            for obj in vars(module).values()
            if isinstance(obj, Dispatcher) and obj.targetoptions.get("parallel")
        ]
        del kernels
        return all(bool(d._cache._cache_file._load_index()) for d in entries)
    except Exception:
        return True


@contextlib.contextmanager
def compile_notice(quiet: bool = False, stream=None) -> Iterator[bool]:
    """Wrap the first kernel run of a command. If the kernels are not cached, print
    :data:`NOTICE` (one line on ``stream``, default stderr), animate a spinner with the elapsed
    seconds while the block runs (terminals only, not with ``quiet``), and finish the line with
    the time taken. Yields whether a compilation was announced."""
    stream = sys.stderr if stream is None else stream
    if kernels_cached():
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
