"""The one place that sets how the kernels are compiled (the JIT policy)."""

import functools
from typing import Any

import numba

#: fastmath flags: allow reciprocal and approximate functions, ignore the sign of zero.
#: ``nnan``/``ninf`` are left out so that NaN and infinity keep their IEEE meaning (e.g.
#: ``tau_leak = inf`` means "no leak"). ``contract`` (FMA) and ``reassoc`` are left out too:
#: with them the compiler may fuse and reorder differently depending on what it inlines, and a
#: kernel compiled in the running process gave results that differed in the last bits from the
#: same kernel loaded from the on-disk cache. Without them the arithmetic is fixed by the
#: source, and the column loops vectorize all the same (they are element-wise).
FASTMATH = {"arcp", "afn", "nsz"}

#: Serial kernels: cached on disk, no Python exception checks on division (``numpy`` error
#: model, so loops vectorize), released GIL. Typed ``Any``: a compiled dispatcher takes the
#: arguments of the Python function it wraps, which static checkers cannot see.
njit: Any = functools.partial(
    numba.njit, cache=True, fastmath=FASTMATH, error_model="numpy", nogil=True
)

#: The batch-parallel entry points (``prange`` over samples).
njit_parallel: Any = functools.partial(
    numba.njit, cache=True, fastmath=FASTMATH, error_model="numpy", nogil=True, parallel=True
)

#: Small helpers that must be inlined into the SIMD loops that call them.
njit_inline: Any = functools.partial(
    numba.njit, cache=True, fastmath=FASTMATH, error_model="numpy", nogil=True, inline="always"
)
