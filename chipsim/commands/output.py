"""The output folder of a command: checked when the arguments are read, written atomically.

Every command that writes files takes ``--out FOLDER`` and ``--force`` (:func:`add_out`). Before
any computation, :meth:`OutputFolder.check` refuses a folder that cannot be used, with a one-line
message: a path that is a file or lies under a file, a place where nothing can be written, an
existing non-empty folder without ``--force``, or the current folder (or one holding it). When
the work is done, the command writes its files inside :meth:`OutputFolder.writing`: into a hidden
temporary folder beside the target, renamed into place only once every file is complete. An
interruption or a failing writer therefore leaves the previous result as it was and no partial
folder behind; ``--force`` swaps the previous folder for the new one.

    out = OutputFolder.check("results", force=False)     # at argument time (UsageError if bad)
    ...                                                  # the work
    with out.writing() as folder:                        # a temporary folder beside `results`
        np.save(folder / "x.npy", x)
    # `results` now holds x.npy, and nothing else
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .cli import Failure, UsageError

_PARTIAL = ".partial-"
_OLD = ".replaced-"


def add_out(parser, default: str) -> None:
    """Add ``--out FOLDER`` (default ``default``) and ``--force`` to a subcommand's parser."""
    parser.add_argument(
        "--out",
        metavar="FOLDER",
        default=default,
        help="output folder, created with its parents; it must not exist yet or be empty "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace an existing non-empty output folder (the old one is kept until the new "
        "one is complete)",
    )
    parser.set_defaults(atomic_out=True)  # check_arguments turns --out into an OutputFolder


def _entries(path: Path) -> list[str]:
    with os.scandir(path) as it:
        return [e.name for e in it]


def _is_within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


class OutputFolder:
    """A checked output folder (see the module docstring). ``path`` is where the files end up."""

    def __init__(self, path: Path, force: bool, option: str = "--out"):
        self.path = path
        self.force = force
        self.option = option

    @classmethod
    def check(
        cls, text: str | os.PathLike, force: bool = False, option: str = "--out"
    ) -> OutputFolder:
        """Check that ``text`` can become the output folder; raise :class:`UsageError` if not.

        Nothing is created: the check writes and removes one empty probe folder in the nearest
        existing parent, which is the only reliable test of writability (permissions, read-only
        file systems, quotas, root).
        """
        raw = os.fspath(text)
        if not raw.strip():
            raise UsageError(f"{option}: empty folder name; give a folder, e.g. {option} results")
        path = Path(raw).expanduser()
        absolute = Path(os.path.abspath(path))
        here = Path(os.path.abspath(os.getcwd()))

        def fail(problem: str, hint: str) -> UsageError:
            return UsageError(f"{option} {raw}: {problem}; {hint}")

        existing = absolute
        while not os.path.lexists(existing):
            existing = existing.parent
        if existing == absolute:
            if not absolute.is_dir():
                raise fail("is a file, not a folder", "give the path of a folder")
            if _is_within(here, absolute.resolve()):
                raise fail(
                    "is the current folder or holds it", "give a new folder, e.g. --out results"
                )
            entries = _entries(absolute)
            if entries and not force:
                raise fail(
                    f"the folder exists and is not empty ({len(entries)} entries)",
                    "add --force to replace it, or give another folder",
                )
            if entries and absolute.resolve() in (Path.home().resolve(), Path(absolute.anchor)):
                raise fail("is the home or the root folder", "give a folder of its own")
            probe_in = absolute.parent
        else:
            if not existing.is_dir():
                raise fail(
                    f"{existing} is a file, so no folder can be made under it",
                    "give a path outside it",
                )
            probe_in = existing
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".chipsim-probe-", dir=probe_in))
        except OSError as err:
            raise fail(
                f"cannot write in {probe_in} ({err.strerror or err})",
                "give a folder where you may write",
            ) from None
        return cls(path, force, option)

    def _clean_stale(self, parent: Path) -> None:
        """Remove temporary folders of this target left by processes that no longer run."""
        prefix = f".{self.path.name}{_PARTIAL}"
        for name in _entries(parent):
            if not name.startswith(prefix):
                continue
            pid = name[len(prefix) :].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(parent / name, ignore_errors=True)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """Yield a temporary folder beside :attr:`path`; when the block completes, rename it
        into place (swapping out the previous folder under ``--force``). If the block raises
        (a failing writer, Ctrl-C), the temporary folder is removed and :attr:`path` is left as
        it was."""
        target = Path(os.path.abspath(self.path))
        parent = target.parent
        made = []  # parents created here, removed again if nothing is written
        for folder in reversed([parent, *parent.parents]):
            if not folder.exists():
                folder.mkdir()
                made.append(folder)
        self._clean_stale(parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{_PARTIAL}{os.getpid()}-", dir=parent))
        try:
            yield tmp
            self._commit(tmp, target)
        except BaseException as err:
            shutil.rmtree(tmp, ignore_errors=True)
            for folder in reversed(made):
                with contextlib.suppress(OSError):
                    folder.rmdir()
            if isinstance(
                err, OSError
            ):  # name the file where it was meant to be, not the temporary one
                for attr in ("filename", "filename2"):
                    name = getattr(err, attr)
                    if isinstance(name, str) and name.startswith(str(tmp)):
                        setattr(err, attr, str(self.path / os.path.relpath(name, tmp)))
            raise

    def _commit(self, tmp: Path, target: Path) -> None:
        if not os.path.lexists(target):
            os.rename(tmp, target)
            return
        if not target.is_dir() or os.path.islink(target):
            self._keep(tmp, target, "became a file during the run")
        if not _entries(target):
            target.rmdir()
            os.rename(tmp, target)
            return
        if not self.force:
            self._keep(tmp, target, "was filled by something else during the run")
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}{_OLD}", dir=target.parent))
        old.rmdir()
        os.rename(target, old)
        try:
            os.rename(tmp, target)
        except BaseException:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def _keep(self, tmp: Path, target: Path, what: str) -> None:
        """The target changed while the command ran: keep the complete results beside it."""
        n = 1
        while os.path.lexists(kept := target.with_name(f"{target.name}-new{n}")):
            n += 1
        os.rename(tmp, kept)
        raise Failure(
            f"{self.option} {self.path}: {what}; it was left alone and the new results "
            f"are in {kept}"
        )

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"OutputFolder({str(self.path)!r}, force={self.force})"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True
