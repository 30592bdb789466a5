"""The chip descriptions that ship with the package, addressable by name.

The YAML files live in ``hwdesc/chips/`` (package data, so they are there in every install, editable
or not). A chip argument is either the path of a YAML file or the name of a built-in chip
(``bss2``, ``bss2-synin``, ``tutorial``): an existing file wins, otherwise a bare name (no folder,
no ``.yaml``) picks the built-in chip of that name. This module imports nothing heavy, so the
command line can resolve chip arguments while it parses them.
"""

from __future__ import annotations

from pathlib import Path

#: The folder of the built-in chip descriptions.
CHIPS_DIR = Path(__file__).resolve().parent / "chips"

#: Suffixes of chip description files.
SUFFIXES = (".yaml", ".yml")


def builtin_chips() -> dict[str, Path]:
    """Name -> path of every built-in chip description, sorted by name."""
    return {p.stem: p for p in sorted(CHIPS_DIR.glob("*.yaml"), key=lambda p: p.stem)}


def is_name(text: str) -> bool:
    """True when ``text`` has the form of a chip name: no folder part and no YAML suffix."""
    return (
        bool(text) and "/" not in text and "\\" not in text and not text.lower().endswith(SUFFIXES)
    )


def resolve(chip: str | Path) -> Path:
    """The path of the chip description ``chip``: a file path as given, or a built-in name.

    An existing file is taken as it is, so a file named like a built-in chip still wins. A name
    that is not built in, and a path that does not exist, are returned unchanged: the loader then
    reports ``no such file`` (see :func:`missing_hint` for the hint it gives).
    """
    path = Path(chip)
    if path.is_file() or not isinstance(chip, str) or not is_name(chip):
        return path
    return builtin_chips().get(chip, path)


def missing_hint(chip: str | Path) -> str:
    """The hint for a chip argument that is neither a file nor a built-in name."""
    import difflib

    names = ", ".join(builtin_chips())
    text = str(chip)
    if is_name(text):
        close = difflib.get_close_matches(text, list(builtin_chips()), n=1)
        guess = f"did you mean {close[0]!r}? " if close else ""
        return (
            f"{guess}no built-in chip is called {text!r} either; built-in chips: {names} "
            "(`chipsim list-chips`), or give the path of a chip YAML"
        )
    return f"give the path of a chip YAML, or the name of a built-in chip: {names} (`chipsim list-chips`)"
