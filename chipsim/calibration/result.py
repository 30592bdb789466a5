"""The result of a calibration: codes, residuals and success per instance of every calibrated
quantity, with the target, the chip seed and the description it was found for; saved to one
versioned file and cached.

The file is a NumPy ``.npz`` archive (readable by ``numpy.load(path, allow_pickle=False)``)
holding ``header`` (JSON text as bytes: format name and version, software version, chip seed,
description hash, target, the quantities and their shapes) and, per quantity ``q``, the arrays
``codes.q`` (int64), ``residuals.q`` (float64) and ``success.q`` (bool), and for the quantities
measured before calibration ``before.q`` (float64; file format version 2, version 1 files have
none). It is written to a
temporary file beside the target and renamed into place, so a reader never sees a partial file;
the same result gives the same bytes.

The cache keeps results under ``$CHIPSIM_CACHE_DIR/calibration/`` (default
``~/.cache/chipsim/calibration/``), one file per key: the description hash, the chip seed, the
target, the software version and the file format version.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from chipsim import __version__
from hwdesc import rules
from kernels import CODE_VERSION

from .target import Target, TargetWarning

#: The format name written into every file.
FORMAT = "chipsim-calibration"
#: The version of the file format this software writes (and the newest it reads).
FORMAT_VERSION = 2
#: The environment variable that moves the cache folder.
CACHE_ENV = "CHIPSIM_CACHE_DIR"
#: The version of the calibration steps, part of the cache key: raised whenever the steps
#: change (2: the synaptic time constants are calibrated; 3: the CADC to the narrow range first,
#: the synapse DAC bias, the synapse drivers; 4: the leak and reset levels; 5: the membrane
#: time constant, and the OTA biases with the leak on), so that a cache never returns the
#: result of older steps.
PROCEDURE_VERSION = 5

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_HASH = re.compile(r"[0-9a-f]{64}\Z")
# A fixed time stamp for every member: the same result gives the same bytes.
_STAMP = (1980, 1, 1, 0, 0, 0)
_PARTS = ("codes", "residuals", "success")


class CalibrationFileError(ValueError):
    """A file that is not a readable calibration result: damaged, of another kind, or written
    in a file format version this software does not read."""


class CalibrationWarning(UserWarning):
    """A chip runs with a calibration in which some instances failed."""


def description_hash(description) -> str:
    """The SHA-256 (hex) of a chip description's canonical JSON
    (``description.model_dump_json()``): the same hash the sweep records for a cell."""
    return hashlib.sha256(description.model_dump_json().encode()).hexdigest()


def _frozen(array: np.ndarray) -> np.ndarray:
    array = np.array(array, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Codes, residuals and success per instance of each calibrated quantity.

    ``codes[q]`` the codes found for quantity ``q`` (int64), ``residuals[q]`` the measured value
    minus the target at those codes (float64, in the quantity's unit), ``success[q]`` False for
    an instance whose search was stopped by its range; the three arrays of a quantity have
    one shape. ``target`` the target calibrated for, ``chip_seed`` the seed of the chip instance,
    ``description_hash`` that of its description (:func:`description_hash`), ``software_version``
    the chipsim version that calibrated. ``before[q]`` (optional, for some or all quantities)
    the deviation from the target measured before calibration, in the unit of the residuals.
    The arrays are read-only copies.
    """

    target: Target
    chip_seed: int
    description_hash: str
    codes: Mapping[str, np.ndarray]
    residuals: Mapping[str, np.ndarray]
    success: Mapping[str, np.ndarray]
    software_version: str = field(default=__version__)
    before: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.target, Target):
            raise TypeError(
                f"target: expected a calibration target, got {type(self.target).__name__}"
            )
        object.__setattr__(self, "chip_seed", rules.seed(self.chip_seed, "chip_seed"))
        if not isinstance(self.description_hash, str) or not _HASH.match(self.description_hash):
            raise ValueError(
                f"description_hash: expected 64 lowercase hex digits (a SHA-256), got "
                f"{self.description_hash!r}"
            )
        if not isinstance(self.software_version, str) or not self.software_version:
            raise TypeError("software_version: expected a non-empty string")
        names = list(self.codes)
        for part in ("residuals", "success"):
            other = list(getattr(self, part))
            if sorted(other) != sorted(names):
                raise ValueError(
                    f"{part}: quantities {sorted(other)} differ from those of codes {sorted(names)}"
                )
        codes: dict[str, np.ndarray] = {}
        residuals: dict[str, np.ndarray] = {}
        success: dict[str, np.ndarray] = {}
        for name in sorted(names):
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(
                    f"codes: quantity name {name!r} is not allowed; allowed: lowercase letters, "
                    f"digits and '_', starting with a letter"
                )
            code = rules.plain_array(self.codes[name], f"codes[{name!r}]")
            if code.dtype.kind not in "iu":
                raise TypeError(f"codes[{name!r}]: expected integers, got dtype {code.dtype}")
            residual = rules.plain_array(self.residuals[name], f"residuals[{name!r}]")
            if residual.dtype.kind not in "iuf":
                raise TypeError(
                    f"residuals[{name!r}]: expected real numbers, got dtype {residual.dtype}"
                )
            ok = rules.plain_array(self.success[name], f"success[{name!r}]")
            if ok.dtype.kind != "b":
                raise TypeError(f"success[{name!r}]: expected booleans, got dtype {ok.dtype}")
            if not (code.shape == residual.shape == ok.shape):
                raise ValueError(
                    f"{name}: codes {code.shape}, residuals {residual.shape} and success "
                    f"{ok.shape} must have one shape"
                )
            codes[name] = _frozen(code.astype(np.int64))
            residuals[name] = _frozen(residual.astype(np.float64))
            success[name] = _frozen(ok)
        before: dict[str, np.ndarray] = {}
        for name in sorted(self.before):
            if name not in codes:
                raise ValueError(f"before: quantity {name!r} is not one of codes {sorted(codes)}")
            value = rules.plain_array(self.before[name], f"before[{name!r}]")
            if value.dtype.kind not in "iuf" or value.shape != codes[name].shape:
                raise ValueError(
                    f"before[{name!r}]: expected real numbers of shape {codes[name].shape}, got "
                    f"dtype {value.dtype} and shape {value.shape}"
                )
            before[name] = _frozen(value.astype(np.float64))
        object.__setattr__(self, "before", before)
        object.__setattr__(self, "codes", codes)
        object.__setattr__(self, "residuals", residuals)
        object.__setattr__(self, "success", success)

    @property
    def quantities(self) -> tuple[str, ...]:
        """The calibrated quantities, sorted by name."""
        return tuple(self.codes)

    @property
    def failures(self) -> dict[str, int]:
        """How many instances of each quantity failed."""
        return {name: int((~ok).sum()) for name, ok in self.success.items()}

    @property
    def ok(self) -> bool:
        """True if every instance of every quantity succeeded."""
        return all(bool(ok.all()) for ok in self.success.values())

    def __eq__(self, other: object) -> bool:
        """Equal fields, and arrays equal bit for bit (dtype, shape and bytes)."""
        if not isinstance(other, CalibrationResult):
            return NotImplemented
        if (
            self.target != other.target
            or self.chip_seed != other.chip_seed
            or self.description_hash != other.description_hash
            or self.software_version != other.software_version
            or self.quantities != other.quantities
            or sorted(self.before) != sorted(other.before)
        ):
            return False
        for name in self.before:
            a, b = self.before[name], other.before[name]
            if a.shape != b.shape or a.tobytes() != b.tobytes():
                return False
        for part in _PARTS:
            mine, theirs = getattr(self, part), getattr(other, part)
            for name in self.quantities:
                a, b = mine[name], theirs[name]
                if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                    return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def header(self) -> dict[str, Any]:
        """The JSON header of the saved file."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "software_version": self.software_version,
            "chip_seed": self.chip_seed,
            "description_hash": self.description_hash,
            "target": self.target.to_dict(),
            "quantities": {name: list(self.codes[name].shape) for name in self.quantities},
            "before": sorted(self.before),
        }

    def to_bytes(self) -> bytes:
        """The file's content (see the module docstring)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            text = json.dumps(self.header(), sort_keys=True, indent=1).encode()
            members = [("header", np.frombuffer(text, dtype=np.uint8))]
            for part in _PARTS:
                members += [(f"{part}.{n}", getattr(self, part)[n]) for n in self.quantities]
            members += [(f"before.{n}", self.before[n]) for n in sorted(self.before)]
            for name, array in members:
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_STAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w") as member:
                    np.lib.format.write_array(
                        member, np.ascontiguousarray(array), allow_pickle=False
                    )
        return buffer.getvalue()

    def save(self, path: str | os.PathLike) -> Path:
        """Write the result to ``path`` (a new or replaced file; its folder must exist),
        atomically: a temporary file beside it is renamed into place once complete."""
        path = Path(path)
        _write_atomically(path, self.to_bytes())
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> CalibrationResult:
        """Read a saved result. A missing file raises ``FileNotFoundError``; a damaged file, one
        of another kind, or one written in a newer (or unknown) file format version raises
        :class:`CalibrationFileError` saying which."""
        path = Path(path)
        data = path.read_bytes()
        return cls.from_bytes(data, str(path))

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "calibration result") -> CalibrationResult:
        """The result whose file content is ``data`` (``name`` names it in errors)."""

        def broken(problem: str) -> CalibrationFileError:
            return CalibrationFileError(
                f"{name}: {problem}; it is not a readable chipsim calibration result (calibrate "
                f"again, or give another file)"
            )

        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                if "header" not in archive.files:
                    raise broken("no header")
                header = json.loads(archive["header"].tobytes().decode())
                if not isinstance(header, dict) or header.get("format") != FORMAT:
                    raise broken("the header does not name the chipsim calibration format")
                version = header.get("format_version")
                if not isinstance(version, int) or isinstance(version, bool) or version < 1:
                    raise broken(f"unknown file format version {version!r}")
                if version > FORMAT_VERSION:
                    raise CalibrationFileError(
                        f"{name}: written in file format version {version} (by chipsim "
                        f"{header.get('software_version', '?')}); this chipsim ({__version__}) "
                        f"reads versions up to {FORMAT_VERSION}: upgrade chipsim, or calibrate "
                        f"again with this one"
                    )
                shapes = header["quantities"]
                measured = header.get("before", []) if version >= 2 else []
                if not isinstance(measured, list):
                    raise broken("its header's 'before' is not a list")
                expected = {"header"} | {f"{p}.{q}" for p in _PARTS for q in shapes}
                expected |= {f"before.{q}" for q in measured}
                if set(archive.files) != expected:
                    raise broken(
                        f"its arrays {sorted(archive.files)} do not match its header "
                        f"{sorted(expected)}"
                    )
                parts = {p: {q: archive[f"{p}.{q}"] for q in shapes} for p in _PARTS}
                for q, shape in shapes.items():
                    if any(list(parts[p][q].shape) != shape for p in _PARTS):
                        raise broken(f"the arrays of {q} do not have the shape {shape}")
                with warnings.catch_warnings():  # it was checked when the result was made
                    warnings.simplefilter("ignore", TargetWarning)
                    target = Target.from_dict(header["target"])
                return cls(
                    target=target,
                    chip_seed=header["chip_seed"],
                    description_hash=header["description_hash"],
                    codes=parts["codes"],
                    residuals=parts["residuals"],
                    success=parts["success"],
                    software_version=header["software_version"],
                    before={q: archive[f"before.{q}"] for q in measured},
                )
        except CalibrationFileError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            UnicodeDecodeError,
            KeyError,
            AttributeError,
            TypeError,
            ValueError,
            OSError,
        ) as err:
            raise broken(f"damaged or of another kind ({type(err).__name__}: {err})") from None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file in ``path``'s folder, then rename it to ``path``."""
    folder = path.parent
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def default_cache_dir() -> Path:
    """The cache folder: ``$CHIPSIM_CACHE_DIR`` if set (and not empty), else
    ``~/.cache/chipsim``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "chipsim"


class CalibrationCache:
    """Calibration results on disk, keyed by (description hash, chip seed, target, software
    version, the version of the analog kernels' code (``kernels.CODE_VERSION``: their
    numerics and random streams), file format version, :data:`PROCEDURE_VERSION`); ``folder``
    defaults to :func:`default_cache_dir` (read when the cache is made). Files go to
    ``folder/calibration/<key>.npz``.

    An entry that cannot be read (damaged, another format version) or that does not match its
    key counts as a miss and is replaced by the next :meth:`put` of that key.
    """

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder).expanduser() if folder is not None else default_cache_dir()

    @staticmethod
    def key(
        description_hash: str,
        chip_seed: int,
        target: Target,
        software_version: str = __version__,
        kernels_version: str = CODE_VERSION,
    ) -> str:
        """The cache key (64 hex digits) of a calibration. ``kernels_version`` is the version
        of the analog kernels that measure it: a change of their numerics or random streams
        (without a new software version) calibrates again instead of returning a result the
        kernels would no longer produce."""
        text = json.dumps(
            {
                "description_hash": description_hash,
                "chip_seed": rules.seed(chip_seed, "chip_seed"),
                "target": json.loads(target.key()),
                "software_version": software_version,
                "kernels_version": kernels_version,
                "format_version": FORMAT_VERSION,
                "procedure": PROCEDURE_VERSION,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()

    def path(self, description_hash: str, chip_seed: int, target: Target) -> Path:
        """Where the result of this calibration is (or would be) kept."""
        key = self.key(description_hash, chip_seed, target)
        return self.folder / "calibration" / f"{key}.npz"

    def get(
        self, description_hash: str, chip_seed: int, target: Target
    ) -> CalibrationResult | None:
        """The cached result, or None (a miss)."""
        path = self.path(description_hash, chip_seed, target)
        try:
            result = CalibrationResult.load(path)
        except (OSError, CalibrationFileError):
            return None
        if not _matches(result, description_hash, chip_seed, target):
            return None
        return result

    def put(self, result: CalibrationResult) -> Path:
        """Keep ``result`` (replacing an entry of the same key); returns its path."""
        path = self.path(result.description_hash, result.chip_seed, result.target)
        path.parent.mkdir(parents=True, exist_ok=True)
        return result.save(path)

    def get_or_calibrate(
        self,
        description_hash: str,
        chip_seed: int,
        target: Target,
        calibrate: Callable[[], CalibrationResult],
    ) -> CalibrationResult:
        """The cached result; on a miss, ``calibrate()``'s, which is then kept. Raises
        ``ValueError`` if ``calibrate()`` returns a result of another description, seed or
        target."""
        found = self.get(description_hash, chip_seed, target)
        if found is not None:
            return found
        result = calibrate()
        if not _matches(result, description_hash, chip_seed, target):
            raise ValueError(
                "calibrate: returned a result for another description, chip seed or target "
                f"(seed {result.chip_seed}, target {result.target!r}); expected seed "
                f"{chip_seed}, target {target!r}"
            )
        self.put(result)
        return result


def _matches(
    result: CalibrationResult, description_hash: str, chip_seed: int, target: Target
) -> bool:
    return (
        result.description_hash == description_hash
        and result.chip_seed == chip_seed
        and result.target == target
        and result.software_version == __version__
    )
