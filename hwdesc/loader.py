"""Load a chip YAML into a :class:`ChipDescription`, turning every failure into one clear error."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import pydantic
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .builtin import resolve
from .errors import ChipDescriptionError
from .schema import ChipDescription, FieldProblem, Knob
from .source import YamlSource, dotted, parse_text, read_file
from .units import EXAMPLES, QuantityError, article, format_si, label

# pydantic's name of the type a value should have -> words for users.
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

_RANGE_KINDS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}

# The discriminator tags pydantic puts into error locations of knobs ('code', 'physical').
_TAGS = {
    typing.get_args(member.model_fields["kind"].annotation)[0]: member
    for member in typing.get_args(typing.get_args(Knob)[0])
}


def load(path: str | Path) -> ChipDescription:
    """Load and validate the chip description at ``path``: the path of a YAML file, or the name of
    a built-in chip (``"bss2"``, ``"bss2-synin"``, ``"tutorial"``; see :mod:`hwdesc.builtin`).

    Raises :class:`ChipDescriptionError` (a ``ValueError``) naming the file, the line, the YAML
    path, what was wrong and what is allowed.
    """
    return from_source(read_file(resolve(path)))


def loads(text: str, file: str | None = None) -> ChipDescription:
    """Load a chip description from YAML ``text`` (``file`` labels the messages)."""
    return from_source(parse_text(text, file=file))


def from_source(source: YamlSource) -> ChipDescription:
    """Validate an already parsed :class:`YamlSource`."""
    if not isinstance(source.data, dict):
        raise source.error(
            f"the document is {_describe_input(source.data)}, not a mapping of sections",
            hint="a chip description is a mapping ('schema_version: 1', 'identity:', ...); "
            "copy the built-in tutorial chip (`chipsim list-chips` shows where it is)",
        )
    try:
        return ChipDescription.model_validate(source.data)
    except pydantic.ValidationError as err:
        raise _convert(err, source) from None


# ---- where in the schema an error location points ---------------------------------------------


def _unwrap(annotation: Any) -> list[Any]:
    """The classes and containers inside Optional/Union/Annotated ``annotation``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [inner for arg in typing.get_args(annotation) for inner in _unwrap(arg)]
    return [annotation]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _models_at(loc: tuple, root: type[BaseModel] = ChipDescription) -> list[type[BaseModel]]:
    """The model classes that sit at pydantic location ``loc`` under ``root`` (a tag selects a
    knob kind)."""
    current: list[Any] = [root]
    for part in loc:
        following: list[Any] = []
        for ann in current:
            origin = typing.get_origin(ann)
            if _is_model(ann):
                if isinstance(part, str) and part in ann.model_fields:
                    following += _unwrap(ann.model_fields[part].annotation)
                elif _TAGS.get(part) is ann:
                    following.append(ann)  # a union tag: stay on the member it names
            elif origin is dict:
                following += _unwrap(typing.get_args(ann)[1])
            elif origin in (list, tuple) and isinstance(part, int):
                args = typing.get_args(ann)
                if args and (origin is list or args[-1] is Ellipsis):
                    following += _unwrap(args[0])
                elif 0 <= part < len(args):
                    following += _unwrap(args[part])
        current = following
    return [m for m in current if _is_model(m)]


def _field_at(loc: tuple, root: type[BaseModel] = ChipDescription) -> FieldInfo | None:
    """The model field at ``loc`` (``None`` for list items, dict values or unknown keys)."""
    if not loc or not isinstance(loc[-1], str):
        return None
    for model in _models_at(loc[:-1], root):
        if loc[-1] in model.model_fields:
            return model.model_fields[loc[-1]]
    return None


def _constraints(field: FieldInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    """(bounds such as {'ge': 0}, extra such as {'dimension': 'time'}) of ``field``."""
    bounds: dict[str, Any] = {}
    extra: dict[str, Any] = (
        dict(field.json_schema_extra or {}) if isinstance(field.json_schema_extra, dict) else {}
    )
    metadata = list(field.metadata)

    def collect(annotation: Any) -> None:
        if typing.get_origin(annotation) is typing.Annotated:
            for meta in typing.get_args(annotation)[1:]:
                if isinstance(meta, FieldInfo):
                    metadata.extend(meta.metadata)
                    if isinstance(meta.json_schema_extra, dict):
                        extra.update(meta.json_schema_extra)
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            for arg in typing.get_args(annotation):
                collect(arg)

    collect(field.annotation)
    for meta in metadata:
        for key in ("gt", "ge", "lt", "le"):
            if getattr(meta, key, None) is not None:
                bounds[key] = getattr(meta, key)
        if getattr(meta, "pattern", None) is not None:
            extra["pattern"] = meta.pattern
    return bounds, extra


def _allowed(loc: tuple, root: type[BaseModel] = ChipDescription) -> str:
    """What the field at ``loc`` accepts, in words ('an integer 1..16', "a time such as '320 ns'")."""
    field = _field_at(loc, root)
    if field is None:
        return ""
    bounds, extra = _constraints(field)
    dimension = extra.get("dimension")
    kinds = _unwrap(field.annotation)
    show = (lambda v: format_si(float(v), dimension)) if dimension else str
    if dimension:
        text = f"{article(label(dimension))} such as '{EXAMPLES[dimension]}'"
    elif any(typing.get_origin(k) is typing.Literal for k in kinds):
        options = [
            v for k in kinds if typing.get_origin(k) is typing.Literal for v in typing.get_args(k)
        ]
        return "one of " + ", ".join(str(v) for v in options)
    elif int in kinds:
        text = "an integer"
    elif bool in kinds:
        return "true or false"
    elif str in kinds:
        text = "a string" + (f" matching {extra['pattern']}" if "pattern" in extra else "")
    elif any(typing.get_origin(k) is tuple for k in kinds):
        return "a list [lowest, highest]"
    else:
        return ""
    low = ("ge", ">=") if "ge" in bounds else ("gt", ">") if "gt" in bounds else None
    high = ("le", "<=") if "le" in bounds else ("lt", "<") if "lt" in bounds else None
    if low and high and low[0] == "ge" and high[0] == "le":
        text += f", {show(bounds['ge'])} .. {show(bounds['le'])}"
    else:
        parts = [f"{pair[1]} {show(bounds[pair[0]])}" for pair in (low, high) if pair]
        if parts:
            text += ", " + " and ".join(parts)
    if field.description:
        text += f" - {field.description}"
    return text


def _yaml_path(loc: tuple, data: Any) -> tuple:
    """``loc`` without pydantic's union tags and step names: the keys as written in the YAML."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and part in _TAGS:
            continue  # discriminated-union tag
        elif isinstance(part, str) and ("[" in part or "-" in part):
            continue  # pydantic's internal step names, e.g. '[key]' or 'function-after[...]'
        else:
            out.append(part)
            node = None
    return tuple(out)


def _describe_input(value: Any) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"{type(value).__name__} {value!r}"


# ---- one pydantic error -> one ChipDescriptionError ------------------------------------------


def validate(model: type[BaseModel], source: YamlSource) -> Any:
    """Validate a parsed :class:`YamlSource` against the pydantic ``model`` (a schema built like
    :class:`ChipDescription`, e.g. a sweep file's), turning a failure into one
    :class:`ChipDescriptionError` with file, line, YAML path and hint."""
    try:
        return model.model_validate(source.data)
    except pydantic.ValidationError as err:
        raise _convert(err, source, model) from None


def _convert(
    err: pydantic.ValidationError, source: YamlSource, root: type[BaseModel] = ChipDescription
) -> ChipDescriptionError:
    errors = err.errors(include_url=False)
    # An unknown key usually explains a "missing" one next to it (a misspelling): report it first.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    if first["type"] == "extra_forbidden":
        # A misspelt key also makes the key it was meant to be "missing": that is the same mistake.
        parent, key = tuple(first["loc"][:-1]), str(first["loc"][-1])
        errors = [
            e
            for e in errors
            if not (
                e["type"] == "missing"
                and tuple(e["loc"][:-1]) == parent
                and difflib.get_close_matches(key, [str(e["loc"][-1])], n=1, cutoff=0.5)
            )
        ]
    more = len(errors) - 1
    problem, hint, path = _explain(dict(first), source, root)
    if more:
        hint = (
            hint + "; " if hint else ""
        ) + f"{more} more problem{'s' if more > 1 else ''} after this one"
    return ChipDescriptionError(
        problem, file=source.file, line=source.line_of(path), yaml_path=dotted(path), hint=hint
    )


def _explain(
    error: dict, source: YamlSource, root: type[BaseModel] = ChipDescription
) -> tuple[str, str, tuple]:
    """(problem, hint, YAML path) of one pydantic error."""
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    path = _yaml_path(loc, source.data)
    cause = ctx.get("error")

    if isinstance(cause, FieldProblem):
        return cause.problem, cause.hint, path + cause.path
    if isinstance(cause, QuantityError):
        bounds = _allowed(loc, root)
        return cause.problem, (f"allowed: {bounds}" if bounds else cause.hint), path
    if kind == "extra_forbidden":
        keys: list[str] = []
        for model in _models_at(loc[:-1], root):
            keys += [k for k in model.model_fields if k not in keys]
        key = path[-1]
        close = difflib.get_close_matches(str(key), keys, n=1, cutoff=0.5)
        hint = (
            f"did you mean `{close[0]}`? " if close else ""
        ) + f"allowed keys here: {', '.join(keys)}"
        return f"unknown key '{key}'", hint, path
    if kind == "missing" and path and isinstance(path[-1], int):
        return (
            f"the list has too few items (item {path[-1]} is missing)",
            f"allowed: {_allowed(loc[:-1], root)}",
            path[:-1],
        )
    if kind == "missing":
        allowed = _allowed(loc, root)
        where = f"under `{dotted(path[:-1])}`" if path[:-1] else "at the top level"
        return (
            f"missing required key '{path[-1]}'",
            f"add '{path[-1]}:' {where}" + (f"; allowed: {allowed}" if allowed else ""),
            path,
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = " or ".join(f"'kind: {tag}'" for tag in _TAGS)
        if kind == "union_tag_not_found":
            return "missing required key 'kind'", f"add {tags}", path + ("kind",)
        return f"unknown kind {ctx.get('tag')!r}", f"allowed: {tags}", path + ("kind",)
    if kind in _TYPE_WORDS:
        allowed = _allowed(loc, root)
        hint = f"allowed: {allowed}" if allowed else ""
        if kind == "string_type" and isinstance(value, (int, float, bool)):
            hint = f"put quotes around it: '\"{value}\"'" + (f"; {hint}" if hint else "")
        return f"expected {_TYPE_WORDS[kind]}, got {_describe_input(value)}", hint, path
    if kind in _RANGE_KINDS:
        return (
            f"value {value!r} is out of range",
            f"allowed: {_allowed(loc, root) or _bound(kind, ctx, loc, root)}",
            path,
        )
    if kind == "literal_error":
        return f"value {value!r} is not allowed", f"allowed: {ctx.get('expected')}", path
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid name", f"allowed: {_allowed(loc, root)}", path
    if kind in ("too_short", "too_long"):
        allowed = _allowed(loc, root)
        return error["msg"], f"allowed: {allowed}" if allowed else "", path
    return error["msg"], "", path


def _bound(kind: str, ctx: dict, loc: tuple, root: type[BaseModel] = ChipDescription) -> str:
    bound = next(iter(ctx.values()))
    field = _field_at(loc, root)
    dimension = _constraints(field)[1].get("dimension") if field is not None else None
    shown = format_si(float(bound), dimension) if dimension else str(bound)
    return f"{_RANGE_KINDS[kind]} {shown}"
