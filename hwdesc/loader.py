"""Load a chip YAML into a :class:`ChipDescription`, turning every failure into one clear error."""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel

from .errors import ChipDescriptionError
from .schema import ChipDescription, FieldProblem
from .units import format_si
from .source import YamlSource, dotted, parse_text, read_file

_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
}


def load(path: str | Path) -> ChipDescription:
    """Load and validate the chip description at ``path``.

    Raises :class:`ChipDescriptionError` (a ``ValueError``) naming the file, the line, the YAML
    path, what was wrong and what is allowed.
    """
    return from_source(read_file(path))


def loads(text: str, file: str | None = None) -> ChipDescription:
    """Load a chip description from YAML ``text`` (``file`` labels the messages)."""
    return from_source(parse_text(text, file=file))


def from_source(source: YamlSource) -> ChipDescription:
    """Validate an already parsed :class:`YamlSource`."""
    if not isinstance(source.data, dict):
        raise source.error(
            f"the document is {type(source.data).__name__} {source.data!r}, not a mapping of sections",
            hint="a chip description is a mapping; see chips/tutorial.yaml",
        )
    try:
        return ChipDescription.model_validate(source.data)
    except pydantic.ValidationError as err:
        raise _convert(err, source) from None


def _field_type(model: type[BaseModel], name: str) -> Any:
    field = model.model_fields.get(name)
    return None if field is None else field.annotation


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete classes inside Optional/Union/Annotated/containers of ``annotation``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        out: list[Any] = []
        for arg in typing.get_args(annotation):
            out += _unwrap(arg)
        return out
    return [annotation]


def _models_at(path: tuple) -> list[type[BaseModel]]:
    """The model classes that could sit at ``path`` (several for a tagged union)."""
    current: list[Any] = [ChipDescription]
    for part in path:
        following: list[Any] = []
        for ann in current:
            origin = typing.get_origin(ann)
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                if isinstance(part, str) and part in ann.model_fields:
                    following += _unwrap(_field_type(ann, part))
            elif origin in (list, dict, tuple):
                args = typing.get_args(ann)
                if args:
                    following += _unwrap(args[-1] if origin is not tuple else args[0])
        current = following
    return [m for m in current if isinstance(m, type) and issubclass(m, BaseModel)]


def _yaml_path(loc: tuple, data: Any) -> tuple:
    """Drop pydantic's union tags from ``loc`` so it names keys that exist in the YAML."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in {"code", "physical"}:
            continue  # discriminated-union tag
        elif isinstance(part, str) and ("[" in part or "-" in part):
            continue  # pydantic's internal step names, e.g. 'function-after[...]'
        else:
            out.append(part)
            node = None
    return tuple(out)


def _dimension_of(loc: tuple) -> str | None:
    """The physical dimension declared by the field at ``loc``, if it has one."""
    for model in _models_at(tuple(p for p in loc[:-1] if p not in ("code", "physical"))):
        field = model.model_fields.get(loc[-1])
        extra = getattr(field, "json_schema_extra", None) if field is not None else None
        if extra is None and field is not None:
            for meta in field.metadata:
                extra = getattr(meta, "json_schema_extra", None) or extra
        if isinstance(extra, dict) and "dimension" in extra:
            return extra["dimension"]
    return None


def _describe_input(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _convert(err: pydantic.ValidationError, source: YamlSource) -> ChipDescriptionError:
    errors = err.errors(include_url=False)
    # An unknown key usually explains a "missing" one next to it (a misspelling): report it first.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    more = len(errors) - 1
    loc = tuple(first["loc"])
    kind = first["type"]
    ctx = first.get("ctx") or {}
    problem, hint = first["msg"], ""
    path = _yaml_path(loc, source.data)

    if kind == "value_error" and isinstance(ctx.get("error"), FieldProblem):
        fp: FieldProblem = ctx["error"]
        path = _yaml_path(loc, source.data) + fp.path
        problem, hint = fp.problem, fp.hint
    elif kind == "value_error":
        problem = str(ctx.get("error", first["msg"]))
    elif kind == "extra_forbidden":
        key = path[-1]
        allowed: list[str] = []
        for model in _models_at(tuple(p for p in loc[:-1] if p not in ("code", "physical"))):
            allowed += [k for k in model.model_fields if k not in allowed]
        problem = f"unknown key '{key}'"
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.5)
        hint = (f"did you mean `{close[0]}`? " if close else "") + f"allowed keys here: {', '.join(allowed)}"
    elif kind == "missing":
        problem = f"missing required key '{path[-1]}'"
        models = _models_at(tuple(p for p in loc[:-1] if p not in ("code", "physical")))
        descr = ""
        if models:
            field = models[0].model_fields.get(path[-1])
            if field is not None and field.description:
                descr = f" ({field.description})"
        hint = f"add '{path[-1]}:'{descr} under `{dotted(path[:-1]) or 'the top level'}`"
    elif kind in _TYPE_WORDS:
        problem = f"expected {_TYPE_WORDS[kind]}, got {_describe_input(first.get('input'))}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()))
        dimension = _dimension_of(loc)
        shown = format_si(float(bound), dimension) if dimension else str(bound)
        problem = f"value {first.get('input')!r} is out of range"
        hint = f"allowed: {op} {shown}"
    elif kind == "literal_error":
        problem = f"value {first.get('input')!r} is not allowed"
        hint = f"allowed: {ctx.get('expected')}"
    elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
        problem = f"'kind' must be one of {ctx.get('expected_tags', ctx)}"
    elif kind == "string_pattern_mismatch":
        problem = f"{first.get('input')!r} is not a valid name"
        hint = f"allowed pattern: {ctx.get('pattern')}"
    elif kind in ("too_short", "too_long"):
        problem = first["msg"]
    if more:
        hint = (hint + "; " if hint else "") + f"{more} more problem{'s' if more > 1 else ''} after this one"
    return ChipDescriptionError(
        problem, file=source.file, line=source.line_of(path), yaml_path=dotted(path), hint=hint
    )
