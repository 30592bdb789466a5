"""Safe YAML loading that remembers the line of every key and refuses duplicate keys and tags."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .builtin import missing_hint
from .errors import ChipDescriptionError

PathTuple = tuple  # a YAML path: keys (str) and list indices (int)

_CORE = "tag:yaml.org,2002:"
_MERGE = _CORE + "merge"  # the '<<' key of merged mappings
# The tags a chip description may hold, each with the node it must tag: plain data only. Anything
# else (``!!python/object``, local ``!tags``, ``!!binary``, ``!!set``) is refused before
# construction, so no constructor ever runs for it.
_PLAIN_TAGS = {
    _CORE + "str": yaml.ScalarNode,
    _CORE + "int": yaml.ScalarNode,
    _CORE + "float": yaml.ScalarNode,
    _CORE + "bool": yaml.ScalarNode,
    _CORE + "null": yaml.ScalarNode,
    _CORE + "map": yaml.MappingNode,
    _CORE + "seq": yaml.SequenceNode,
}
_NODE_WORDS = {
    yaml.ScalarNode: "a single value",
    yaml.MappingNode: "a mapping",
    yaml.SequenceNode: "a list",
}

# ---- size limits of a description (docs/limits.md) ----------------------------------------------
#: Environment variable that raises the file-size limit (bytes).
ENV_MAX_BYTES = "CHIPSIM_MAX_DESCRIPTION_BYTES"
#: Default largest file: 1 MiB. The built-in bss2 (hwdesc/chips/bss2.yaml), fully commented, has 10.6 KB.
MAX_FILE_BYTES = 2**20
#: Deepest nesting of mappings and lists. A description is 4 levels deep (knobs.x.allowed[0]).
MAX_DEPTH = 32
#: Most values (scalars, mappings, lists) once every alias is expanded; bss2.yaml has 210.
MAX_NODES = 100_000


def max_file_bytes() -> int:
    """The file-size limit: ``CHIPSIM_MAX_DESCRIPTION_BYTES`` if set, else :data:`MAX_FILE_BYTES`."""
    text = os.environ.get(ENV_MAX_BYTES)
    if not text:
        return MAX_FILE_BYTES
    try:
        value = int(float(text))
    except ValueError:
        raise ValueError(f"{ENV_MAX_BYTES}={text!r} is not a number of bytes") from None
    if value <= 0:
        raise ValueError(f"{ENV_MAX_BYTES}={text!r} must be positive")
    return value


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class _PlainLoader(yaml.SafeLoader):
    """The safe loader without implicit dates: ``2024-01-01`` stays a string (no field is a
    date, and an impossible date such as ``2024-13-45`` must not fail inside the constructor)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _CORE + "timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _depth = 0

    def compose_node(self, parent, index):
        # nesting is limited while the tree is composed, before any recursion can run deep
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def dotted(path: PathTuple) -> str:
    """``("schedule", "phases", 3, "duration")`` -> ``"schedule.phases[3].duration"``.

    Keys that are empty or hold separators are quoted (``knobs.'a.b'``) so the path stays readable.
    """
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
            continue
        name = str(part)
        if (
            not name
            or any(c in name for c in ".[]'\"`")
            or name != name.strip()
            or not name.isprintable()
        ):
            name = repr(name)
        text += ("." if text else "") + name
    return text


@dataclass(frozen=True)
class YamlSource:
    """A parsed YAML document plus the line (1-based) of each key and list item."""

    data: Any
    file: str | None
    lines: dict = field(default_factory=dict)

    def line_of(self, path: PathTuple) -> int | None:
        """Line of ``path``, or of its closest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, problem: str, path: PathTuple = (), hint: str = "") -> ChipDescriptionError:
        """A :class:`ChipDescriptionError` located at ``path`` in this source."""
        return ChipDescriptionError(
            problem, file=self.file, line=self.line_of(path), yaml_path=dotted(path), hint=hint
        )


class _Walker:
    """Checks a composed YAML tree before construction and records the line of every path."""

    def __init__(self, loader: yaml.SafeLoader, file: str | None) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict = {}
        self.done: dict[int, int] = {}  # id of a checked node -> its values, aliases expanded
        self.nodes = 0

    def fail(
        self, problem: str, node: yaml.Node, path: PathTuple, hint: str
    ) -> ChipDescriptionError:
        return ChipDescriptionError(
            problem,
            file=self.file,
            line=node.start_mark.line + 1,
            yaml_path=dotted(path),
            hint=hint,
        )

    def check_tag(self, node: yaml.Node, path: PathTuple) -> None:
        tag = node.tag.replace(_CORE, "!!")
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(
                f"refused the YAML tag '{tag}': only plain data is allowed (nothing is constructed "
                "or run from tags)",
                node,
                path,
                "remove the tag and write the value as plain YAML",
            )
        if not isinstance(node, _PLAIN_TAGS[node.tag]):
            raise self.fail(
                f"the tag '{tag}' marks {_NODE_WORDS[_PLAIN_TAGS[node.tag]]}, but {_NODE_WORDS[type(node)]} follows",
                node,
                path,
                "remove the tag",
            )

    def construct_scalar(self, node: yaml.ScalarNode, path: PathTuple) -> Any:
        """Construct one scalar now, so that a bad '!!int abc' is reported where it is."""
        try:
            return self.loader.construct_object(node)
        except (ValueError, KeyError, OverflowError):
            tag = node.tag.replace(_CORE, "!!")
            raise self.fail(
                f"cannot read {node.value!r} as '{tag}'",
                node,
                path,
                "remove the tag or fix the value",
            ) from None

    def count(self, node: yaml.Node, path: PathTuple, values: int) -> None:
        """Add ``values`` to the running count of values (aliases expanded) and refuse a
        document beyond :data:`MAX_NODES` where it crosses the limit."""
        self.nodes += values
        if self.nodes > MAX_NODES:
            raise self.fail(
                f"the document holds more than {MAX_NODES:,} values (aliases expanded)",
                node,
                path,
                "a chip description has a few hundred values (bss2.yaml: 210); remove repeated '*alias' expansions",
            )

    def walk(self, node: yaml.Node, path: PathTuple, parents: tuple[int, ...] = ()) -> int:
        """Check ``node`` and its children; return how many values it holds (aliases expanded)."""
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.check_tag(node, path)
        if isinstance(node, yaml.ScalarNode):
            self.construct_scalar(node, path)
            self.count(node, path, 1)
            return 1
        if id(node) in parents:
            raise self.fail(
                "an alias refers to a node that contains it",
                node,
                path,
                "remove the recursive '*alias'",
            )
        if id(node) in self.done:  # an alias of a node checked already
            self.count(node, path, self.done[id(node)])
            return self.done[id(node)]
        self.done[id(node)] = 0
        parents = parents + (id(node),)
        before = self.nodes
        self.count(node, path, 1)
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(
                        "a key must be a plain name, not a list or a mapping",
                        key_node,
                        path,
                        "write 'name: value'",
                    )
                if key_node.tag == _MERGE:  # '<<: *defaults'
                    items = (
                        value_node.value
                        if isinstance(value_node, yaml.SequenceNode)
                        else [value_node]
                    )
                    if not all(isinstance(item, yaml.MappingNode) for item in items):
                        raise self.fail(
                            "'<<' merges a mapping (or a list of mappings) into this one",
                            value_node,
                            path,
                            "write '<<: *anchor' of a mapping",
                        )
                    self.walk(value_node, path, parents)
                    continue
                self.check_tag(key_node, path)
                key = self.construct_scalar(key_node, path)
                if key in seen:
                    raise ChipDescriptionError(
                        f"duplicate key '{key}' (first written on line {seen[key]})",
                        file=self.file,
                        line=line,
                        yaml_path=dotted(path + (key,)),
                        hint="each key may appear once per mapping: remove or merge one of them",
                    )
                seen[key] = line
                self.lines[path + (key,)] = line
                self.walk(value_node, path + (key,), parents)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines[path + (index,)] = item.start_mark.line + 1
                self.walk(item, path + (index,), parents)
        self.done[id(node)] = self.nodes - before
        return self.done[id(node)]


def _path_at_error(text: str) -> PathTuple:
    """The YAML path whose value was being parsed when the parser stopped (events are replayed
    up to the error); ``()`` when the error is outside any value."""
    frames: list[list] = []  # [kind 'map' or 'seq', current key or index, map expects a key]
    try:
        for event in yaml.parse(text, Loader=_PlainLoader):
            top = frames[-1] if frames else None
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frames.pop()
                if frames and frames[-1][0] == "map":
                    frames[-1][2] = True
                continue
            if not isinstance(
                event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.CollectionStartEvent)
            ):
                continue
            if top is not None and top[0] == "map" and top[2]:  # a key
                top[1] = (
                    getattr(event, "value", None) if isinstance(event, yaml.ScalarEvent) else "?"
                )
                top[2] = False
                if isinstance(event, yaml.CollectionStartEvent):
                    frames.append(
                        ["map" if isinstance(event, yaml.MappingStartEvent) else "seq", None, True]
                    )
                continue
            if top is not None and top[0] == "seq":
                top[1] = 0 if top[1] is None else top[1] + 1
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append(
                    ["map" if isinstance(event, yaml.MappingStartEvent) else "seq", None, True]
                )
            elif top is not None and top[0] == "map":
                top[2] = True  # the value is complete: a key comes next
    except yaml.YAMLError:
        if frames and frames[-1][0] == "seq":
            frames[-1][1] = None  # the error may lie between items: name the list itself
        return tuple(f[1] for f in frames if f[1] is not None and not (f[0] == "map" and f[2]))
    return ()


def _yaml_error(err: yaml.YAMLError, text: str, file: str | None) -> ChipDescriptionError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(err, yaml.reader.ReaderError):  # a character YAML does not allow
        line = text.count("\n", 0, err.position) + 1
        char = chr(err.character) if isinstance(err.character, int) else err.character
        return ChipDescriptionError(
            f"the character {char!r} (U+{ord(char):04X}) is not allowed in YAML",
            file=file,
            line=line,
            hint="remove control characters; save the file as UTF-8 text",
        )
    problem = getattr(err, "problem", None) or str(err)
    context = getattr(err, "context", None)
    text_ = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    path = _path_at_error(text)
    return ChipDescriptionError(
        text_,
        file=file,
        line=line,
        yaml_path=dotted(path),
        hint="check indentation, colons, brackets and quotes on this line and the one before",
    )


def parse_text(text: str, file: str | None = None) -> YamlSource:
    """Parse YAML ``text`` safely; ``file`` only labels error messages.

    Duplicate keys, tags other than plain data and recursive aliases are refused before any
    value is constructed.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    limit = max_file_bytes()
    if len(text) > limit:
        raise ChipDescriptionError(
            f"the text is longer than {limit:,} characters, the limit for a chip description",
            file=file,
            line=text.count("\n", 0, limit) + 1,
            hint=f"a chip description has a few KB (the built-in bss2: 10.6 KB); if yours really is "
            f"larger, raise the limit with the environment variable {ENV_MAX_BYTES}",
        )
    try:
        loader = _PlainLoader(text)
    except yaml.YAMLError as err:  # the reader refuses control characters up front
        raise _yaml_error(err, text, file) from None
    try:
        root = loader.get_single_node()
        if root is None:
            raise ChipDescriptionError(
                "the file is empty (no YAML content)",
                file=file,
                hint="a chip description starts with 'schema_version: 1'; copy the built-in tutorial chip (`chipsim list-chips` shows where it is)",
            )
        walker = _Walker(loader, file)
        walker.walk(root, ())
        data = loader.construct_document(root)
    except yaml.YAMLError as err:
        raise _yaml_error(err, text, file) from None
    except _TooDeep as err:
        raise ChipDescriptionError(
            f"the document is nested more than {MAX_DEPTH} levels deep",
            file=file,
            line=err.line,
            hint="a chip description is a few levels deep (knobs.NAME.allowed[0] is the deepest)",
        ) from None
    except RecursionError:
        raise ChipDescriptionError(
            "the document is nested too deeply",
            file=file,
            hint="a chip description is a few levels deep",
        ) from None
    finally:
        loader.dispose()
    return YamlSource(data=data, file=file, lines=walker.lines)


def read_file(path: str | Path) -> YamlSource:
    """Read and safely parse the YAML file at ``path`` (UTF-8, an optional byte-order mark)."""
    path = Path(path)
    name = str(path)
    limit = max_file_bytes()
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ChipDescriptionError("no such file", file=name, hint=missing_hint(name)) from None
    except IsADirectoryError:
        raise ChipDescriptionError(
            "this is a folder, not a file", file=name, hint=missing_hint(name)
        ) from None
    except OSError as err:
        raise ChipDescriptionError(
            f"cannot read the file: {err.strerror or err}",
            file=name,
            hint="check the path and its permissions",
        ) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise ChipDescriptionError(
                "this is a folder, not a file", file=name, hint=missing_hint(name)
            )
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(mode)
            else "a character device"
            if stat.S_ISCHR(mode)
            else "a block device"
            if stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise ChipDescriptionError(
            f"this is {kind}, not a regular file",
            file=name,
            hint="give the path of a chip YAML file; copy a stream into a file first",
        )
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as err:
            raise ChipDescriptionError(
                f"cannot read the file: {err.strerror or err}",
                file=name,
                hint="check the path and its permissions",
            ) from None
    if len(data) > limit:
        raise ChipDescriptionError(
            f"the file is larger than {limit:,} bytes, the limit for a chip description",
            file=name,
            line=data.count(b"\n", 0, limit) + 1,
            hint=f"a chip description has a few KB (the built-in bss2: 10.6 KB); if yours really is "
            f"larger, raise the limit with the environment variable {ENV_MAX_BYTES}",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ChipDescriptionError(
            f"the file is not UTF-8 text (byte 0x{err.object[err.start]:02x} at offset {err.start})",
            file=name,
            line=err.object.count(b"\n", 0, err.start) + 1,
            hint="save the file as UTF-8",
        ) from None
    return parse_text(text, file=name)
