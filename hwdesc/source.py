"""Safe YAML loading that remembers the line of every key and refuses duplicate keys."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ChipDescriptionError

PathTuple = tuple  # a YAML path: keys (str) and list indices (int)


def dotted(path: PathTuple) -> str:
    """``("schedule", "phases", 3, "duration")`` -> ``"schedule.phases[3].duration"``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
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


def _walk(node: yaml.Node, path: PathTuple, lines: dict, file: str | None) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ChipDescriptionError(
                    f"duplicate key '{key}' (first written on line {seen[key]})",
                    file=file,
                    line=line,
                    yaml_path=dotted(path + (key,)),
                    hint="each key may appear once per mapping: remove or merge one of them",
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), lines, file)


def _yaml_error(err: yaml.YAMLError, file: str | None) -> ChipDescriptionError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(err, "problem", None) or str(err)
    if isinstance(err, yaml.constructor.ConstructorError) and "tag" in str(problem):
        return ChipDescriptionError(
            f"refused a YAML tag that safe loading does not allow ({problem.strip()})",
            file=file,
            line=line,
            hint="chip descriptions are plain data: remove tags such as !!python/object",
        )
    context = getattr(err, "context", None)
    text = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return ChipDescriptionError(
        text, file=file, line=line, hint="check indentation, colons and quotes around this line"
    )


def parse_text(text: str, file: str | None = None) -> YamlSource:
    """Parse YAML ``text`` safely; ``file`` only labels error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            raise ChipDescriptionError(
                "the file is empty",
                file=file,
                hint="a chip description starts with 'schema_version: 1'; see chips/tutorial.yaml",
            )
        lines: dict = {}
        _walk(root, (), lines, file)
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as err:
        raise _yaml_error(err, file) from None
    return YamlSource(data=data, file=file, lines=lines)


def read_file(path: str | Path) -> YamlSource:
    """Read and safely parse the YAML file at ``path``."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise ChipDescriptionError(
            "no such file", file=name, hint="give the path of a chip YAML, e.g. chips/bss2.yaml"
        )
    if path.is_dir():
        raise ChipDescriptionError(
            "this is a folder, not a file", file=name, hint="give the path of a chip YAML file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ChipDescriptionError(
            f"the file is not UTF-8 text ({err.reason} at byte {err.start})", file=name
        ) from None
    except OSError as err:
        raise ChipDescriptionError(f"cannot read the file: {err.strerror}", file=name) from None
    return parse_text(text, file=name)
