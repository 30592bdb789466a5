"""Shared setup of the kernel tests: makes ``tests/reference`` importable as ``reference``."""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
