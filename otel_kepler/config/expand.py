"""Environment expansion of config values, as the OpenTelemetry Collector does it.

After YAML parsing, every string scalar is expanded:
`${env:VAR}` and `${VAR}` take the variable, `${env:VAR:-default}` falls back
to the default when it is unset or empty, and `$$` is a literal `$`. A value
that is exactly one reference is parsed again as a YAML scalar, so
`interval: ${env:INTERVAL}` with INTERVAL=5s stays a string and
`port: ${PORT}` with PORT=9000 becomes an integer. An unset variable without a
default is a problem, reported with its path like any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from otel_kepler.errors import Problem

_REF_RE = re.compile(r"\$\$|\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_all(
    raw: Any, env: Mapping[str, str], path: tuple[str, ...] = ()
) -> tuple[Any, list[Problem]]:
    """Return `raw` with every string expanded, and the problems found."""
    problems: list[Problem] = []
    return _walk(raw, env, path, problems), problems


def _walk(
    raw: Any, env: Mapping[str, str], path: tuple[str, ...], out: list[Problem]
) -> Any:
    if isinstance(raw, dict):
        return {k: _walk(v, env, (*path, str(k)), out) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_walk(v, env, (*path, str(i)), out) for i, v in enumerate(raw)]
    if isinstance(raw, str) and "$" in raw:
        return _expand_string(raw, env, path, out)
    return raw


def _expand_string(
    text: str, env: Mapping[str, str], path: tuple[str, ...], out: list[Problem]
) -> Any:
    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(2)
        value = env.get(name, "")
        if value:
            return value
        if default is not None:
            return default
        if name not in env:
            out.append(
                Problem(
                    path,
                    f'environment variable "{name}" is not set (set it, or give '
                    f"a default: ${{env:{name}:-value}})",
                )
            )
        return ""

    whole = _REF_RE.fullmatch(text)
    expanded = _REF_RE.sub(substitute, text)
    if whole is None or whole.group(0) == "$$":
        return expanded
    return _reparse(expanded)


def _reparse(text: str) -> Any:
    """Type a fully substituted value the way YAML would have typed it."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, str | int | float | bool) else text
