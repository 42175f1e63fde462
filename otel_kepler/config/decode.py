"""Strict decoding of parsed YAML onto config dataclasses.

`decode(cls, raw)` returns the config and every problem found on the way;
it never stops at the first one. Types are taken from the dataclass's
annotations (see `otel_kepler.config.options` for the supported set).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, TypeVar, get_args, get_origin, get_type_hints

from otel_kepler.config.options import Duration
from otel_kepler.errors import Problem

T = TypeVar("T")
Path = tuple[str, ...]

_TYPE_WORDS = {
    bool: "a boolean (true or false)",
    int: "an integer",
    float: "a number",
    str: "a string",
}


class _Invalid(Exception):
    """Raised inside the decoder for a value that cannot be used at all."""


def decode(cls: type[T], raw: Any, path: Path = ()) -> tuple[T, list[Problem]]:
    """Decode `raw` (a mapping or None) into `cls`; unusable fields keep defaults.

    Returns the best-effort config and the problems; callers must treat any
    problem as fatal.
    """
    problems: list[Problem] = []
    value = _decode_dataclass(cls, raw, path, problems)
    return value, problems


def _decode_dataclass(cls: type[T], raw: Any, path: Path, out: list[Problem]) -> T:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        out.append(Problem(path, f"must be a mapping of keys (got {_show(raw)})"))
        raw = {}

    first = len(out)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    for key in raw:
        if key not in fields:
            allowed = ", ".join(sorted(fields)) or "none"
            out.append(Problem((*path, str(key)), f"unknown key (allowed: {allowed})"))

    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in raw:
            continue
        where = (*path, name)
        try:
            values[name] = _decode_value(hints[name], raw[name], where, out)
        except _Invalid as e:
            out.append(Problem(where, str(e)))
            continue
        message = _run_check(field, values[name])
        if message:
            out.append(Problem(where, message))

    config = cls(**values)
    validate = getattr(config, "validate", None)
    if callable(validate):
        # NOTE: a field that failed to decode holds its default; checks about
        # it would only add noise beside the real problem.
        failed = {p.path[len(path)] for p in out[first:] if len(p.path) > len(path)}
        out.extend(
            p.under(*path) for p in validate() if not (p.path and p.path[0] in failed)
        )
    return config


def _run_check(field: dataclasses.Field[Any], value: Any) -> str | None:
    check = field.metadata.get("check")
    return check(value) if check is not None else None


def _decode_value(hint: Any, raw: Any, path: Path, out: list[Problem]) -> Any:
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in get_args(hint) if a is not type(None)]
        if raw is None:
            return None
        return _decode_value(options[0], raw, path, out)
    if origin is Literal:
        return _decode_literal(get_args(hint), raw)
    if origin is tuple:
        return _decode_list(get_args(hint)[0], raw, path, out)
    if origin is dict:
        return _decode_string_map(raw)
    if dataclasses.is_dataclass(hint):
        return _decode_dataclass(hint, raw, path, out)  # type: ignore[arg-type]
    return _decode_scalar(hint, raw)


def _decode_scalar(hint: Any, raw: Any) -> Any:
    if hint is Duration:
        if isinstance(raw, str):
            try:
                return Duration.parse(raw)
            except ValueError as e:
                raise _Invalid(str(e)) from None
        raise _Invalid(f"must be a duration such as 5s or 500ms (got {_show(raw)})")
    if hint is float and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if hint is int and isinstance(raw, bool):
        raise _Invalid(f"must be {_TYPE_WORDS[int]} (got {_show(raw)})")
    if isinstance(raw, hint):
        return raw
    raise _Invalid(f"must be {_TYPE_WORDS.get(hint, hint.__name__)} (got {_show(raw)})")


def _decode_literal(allowed: tuple[Any, ...], raw: Any) -> Any:
    if raw in allowed and not isinstance(raw, bool):
        return raw
    listed = ", ".join(str(a) for a in allowed)
    raise _Invalid(f"invalid value (got {_show(raw)}; allowed: {listed})")


def _decode_list(
    item: Any, raw: Any, path: Path, out: list[Problem]
) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _Invalid(f"must be a list (got {_show(raw)})")
    items = []
    for index, element in enumerate(raw):
        where = (*path, str(index))
        try:
            items.append(_decode_value(item, element, where, out))
        except _Invalid as e:
            out.append(Problem(where, str(e)))
    return tuple(items)


def _decode_string_map(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _Invalid(f"must be a mapping of strings (got {_show(raw)})")
    bad = [k for k, v in raw.items() if not isinstance(v, str | int | float)]
    if bad:
        raise _Invalid(f"values must be strings (not for: {', '.join(map(str, bad))})")
    return {str(k): str(v) for k, v in raw.items()}


def _show(value: Any) -> str:
    """A value as a message shows it: strings quoted, containers named."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else str(value)
