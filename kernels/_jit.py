"""The one place that sets how the kernels are compiled (the JIT policy) and where their
compiled code is cached."""

import hashlib
import math
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llvmlite.binding as llvm
import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload

#: fastmath flags: allow reciprocal and approximate functions, ignore the sign of zero.
#: ``nnan``/``ninf`` are left out so that NaN and infinity keep their IEEE meaning (e.g.
#: ``tau_leak = inf`` means "no leak"). ``contract`` (FMA) and ``reassoc`` are left out too:
#: with them the compiler may fuse and reorder differently depending on what it inlines, and a
#: kernel compiled in the running process gave results that differed in the last bits from the
#: same kernel loaded from the on-disk cache. Without them the arithmetic is fixed by the
#: source, and the column loops vectorize all the same (they are element-wise).
FASTMATH = {"arcp", "afn", "nsz"}

_OPTIONS: dict[str, Any] = dict(cache=True, fastmath=FASTMATH, error_model="numpy", nogil=True)

_HERE = Path(__file__).resolve().parent

#: Numba's configuration (``NUMBA_CACHE_DIR`` is its ``CACHE_DIR``); typed ``Any``: its attributes
#: are set at run time, which static checkers cannot see.
_CONFIG: Any = numba.config


def _wide_vector_features(host: Any, configured: str | None) -> str | None:
    """The CPU features string that lets LLVM use 512-bit vectors on a CPU with AVX-512, or None
    to leave Numba's choice alone (``host``: the host's feature map; ``configured``: Numba's
    ``NUMBA_CPU_FEATURES``, which is the user's choice when set).

    LLVM's tuning for many AVX-512 CPUs (Intel's server models among them) prefers 256-bit
    vectors (its ``prefer-256-bit``); the kernels are long, branch-free float32 column loops that
    ran 1.16x faster with 512-bit ones (benchmarks/kernels.py, one thread). Each element's
    arithmetic is the same at any width (no reassociation, see FASTMATH), so the results are the
    same bits."""
    if configured is not None or not host.get("avx512f", False):
        return None
    return host.flatten() + ",-prefer-256-bit"


def _prefer_wide_vectors() -> bool:
    """Set Numba's CPU features to :func:`_wide_vector_features` before its code generator is
    made; returns whether it did. Numba has one code generator per process, made at the first
    ``njit`` decoration, so the setting holds for all Numba code of the process (it changes only
    the preferred vector width); if another package made it already, the kernels are compiled
    with Numba's own choice (the same results)."""
    from numba.core.registry import cpu_target

    if "_toplevel_target_context" in vars(cpu_target):
        return False
    try:
        host = llvm.get_host_cpu_features()
    except RuntimeError:  # llvmlite cannot read this platform's features
        return False
    features = _wide_vector_features(host, _CONFIG.CPU_FEATURES)
    if features is None:
        return False
    _CONFIG.CPU_FEATURES = features
    return True


#: Whether the kernels prefer 512-bit vectors in this process (see :func:`_prefer_wide_vectors`).
WIDE_VECTORS = _prefer_wide_vectors()


def _fingerprint() -> str:
    """A hash of everything compiled code of the kernels depends on besides Numba itself:
    the source of every module of the package (a kernel inlines functions of other modules)
    and the compile options. Numba's own cache checks only the file that defines a function
    (and its own version), so a change of an inlined helper or of the options would otherwise
    load stale machine code."""
    h = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(
        repr(
            sorted((k, sorted(v) if isinstance(v, set) else v) for k, v in _OPTIONS.items())
        ).encode()
    )
    return h.hexdigest()[:16]


#: The version of the kernels' compiled code (see :func:`_fingerprint`).
CODE_VERSION = _fingerprint()


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def _cache_root() -> str:
    """Where the compiled kernels of this source version are cached: ``kernels-<version>``
    under ``$NUMBA_CACHE_DIR`` if set, else under the package's ``__pycache__`` (older
    versions there are removed), else under the user's cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``, then ``chipsim``) when the installation is read-only."""
    name = f"kernels-{CODE_VERSION}"
    if _CONFIG.CACHE_DIR:
        return os.path.join(_CONFIG.CACHE_DIR, name)
    in_tree = _HERE / "__pycache__"
    if _writable(in_tree):
        _remove_other_versions(in_tree, name)
        return str(in_tree / name)
    user = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chipsim"
    return str(user / name)


def _remove_other_versions(folder: Path, keep: str) -> None:
    """Drop the compiled code of other source versions from the package's own cache folder
    (and what Numba cached there itself before the versions had folders of their own)."""
    for entry in folder.iterdir():
        if entry.name == keep:
            continue
        if entry.is_dir() and entry.name.startswith("kernels-"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.suffix in (".nbi", ".nbc"):
            entry.unlink(missing_ok=True)


CACHE_ROOT = _cache_root()


def _jit(**extra: Any) -> Callable[[Callable], Any]:
    """A Numba ``njit`` decorator whose cache lives in :data:`CACHE_ROOT`. Numba takes the
    cache folder from ``numba.config.CACHE_DIR`` when a function is decorated, so it is set for
    the decoration only and restored after."""

    def decorate(fn: Callable) -> Any:
        saved = _CONFIG.CACHE_DIR
        _CONFIG.CACHE_DIR = CACHE_ROOT
        try:
            return numba.njit(**_OPTIONS, **extra)(fn)
        finally:
            _CONFIG.CACHE_DIR = saved

    return decorate


#: Serial kernels: cached on disk, no Python exception checks on division (``numpy`` error
#: model, so loops vectorize), released GIL. Typed ``Any``: a compiled dispatcher takes the
#: arguments of the Python function it wraps, which static checkers cannot see.
njit: Any = _jit()

#: The batch-parallel entry points (``prange`` over samples).
njit_parallel: Any = _jit(parallel=True)

#: Small helpers that must be inlined into the SIMD loops that call them.
njit_inline: Any = _jit(inline="always")


def _without_refcounts() -> dict[str, Any]:
    """Numba's option that compiles a function without the runtime's reference counting
    (``_nrt=False``), or nothing on a Numba that does not take it (the same results, slower)."""
    from numba.core.cpu import CPUTargetOptions

    return {"_nrt": False} if hasattr(CPUTargetOptions, "_nrt") else {}


#: Functions that only borrow arrays: they take arrays (and views of them), but allocate and
#: return none; the window, its block-level helpers, the converter and the normal draws. They
#: are compiled without the runtime's reference counting: every array they see is held by
#: their caller for the call, and counting cost two atomic updates per array argument at every
#: call (90 per window) and per view. The rules, and who enforces them:
#:
#: - no allocation: Numba refuses to compile one (no implementation without the runtime, or
#:   "NRT required but not enabled");
#: - no array returned: not checked by Numba (a returned argument array would be released one
#:   time too many by a counting caller); ``tests/kernels/test_borrow.py`` checks every
#:   signature of ours;
#: - they call only each other and inlined helpers: Numba compiles a plain function that is
#:   first compiled as the callee of such a function without counting as well (and its cache
#:   does not tell the two apart), so a plain callee would get one or the other behaviour by
#:   the order of compilation; the same test checks the callees.
njit_borrow: Any = _jit(**_without_refcounts())


def fma32(a, b, c):
    """a * b + c in float32 with one rounding: the fused multiply-add, where the source asks for
    it. The compile flags leave contraction out (see FASTMATH), so the compiler never fuses on
    its own, and an explicit fused operation is exactly rounded: the arithmetic stays fixed by
    the source, the same compiled or cached, on any CPU with FMA (on one without, LLVM computes
    it in software, with the same result). In the polynomial and update chains of the column
    loops it halves the operations (a Horner step is one instruction instead of two).

    In plain Python (``NUMBA_DISABLE_JIT=1``) the same value: the product of two float32 is
    exact in float64, the sum is rounded to odd in float64 (TwoSum gives its error), and
    rounding that to float32 is the single rounding, since 53 >= 2 * 24 + 2."""
    p = float(a) * float(b)
    c = float(c)
    s = p + c
    bp = s - p
    err = (p - (s - bp)) + (c - bp)  # s + err == p + c exactly (TwoSum)
    if err != 0.0 and (struct.unpack("<q", struct.pack("<d", s))[0] & 1) == 0:
        s = math.nextafter(s, math.inf if err > 0.0 else -math.inf)
    return np.float32(s)


@intrinsic
def _fma32_llvm(typingctx, a, b, c):
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)

    return sig, codegen


@overload(fma32, inline="always")
def _fma32_compiled(a, b, c):  # unannotated: Numba compares the signatures
    return lambda a, b, c: _fma32_llvm(np.float32(a), np.float32(b), np.float32(c))
