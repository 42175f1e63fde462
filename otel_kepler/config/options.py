"""How a component declares its configuration.

A component config is a frozen dataclass whose fields all have defaults and
are declared with `option()`. Supported field types: `bool`, `int`,
`float`, `str`, `Duration`, `Literal[...]`, `tuple[X, ...]`, `X | None`,
`dict[str, str]` and nested config dataclasses. The decoder in
`otel_kepler.config.decode` maps YAML onto them strictly (unknown keys are
errors) and reports every problem at once.

Checks beyond types:
- per field: `option(..., check=fn)`, where `fn(value)` returns an error
  message or None;
- across fields: a `validate(self) -> list[Problem]` method, paths relative
  to the component (e.g. `Problem(("zones", "1"), "...")`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from typing import Any

_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h)\s*$")
_UNIT_S = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


class Duration(float):
    """A length of time in seconds, written in config as `5s`, `500ms`, `1m`."""

    @staticmethod
    def parse(text: str) -> Duration:
        """Parse `<number><unit>`; raise ValueError naming the allowed units."""
        match = _DURATION_RE.match(text)
        if match is None:
            raise ValueError(
                f'"{text}" is not a duration (write a number and a unit, such as '
                "5s, 500ms or 1m; units: ns, us, ms, s, m, h)"
            )
        return Duration(float(match.group(1)) * _UNIT_S[match.group(2)])

    def __str__(self) -> str:
        if float(self) == 0.0:
            return "0s"
        for unit, scale in (("h", 3600.0), ("m", 60.0), ("s", 1.0), ("ms", 1e-3)):
            count = self / scale
            if count >= 1 and abs(count - round(count)) < 1e-9:
                return f"{round(count)}{unit}"
        return f"{float(self)}s"


Check = Callable[[Any], "str | None"]


def option(default: Any, doc: str, *, check: Check | None = None) -> Any:
    """Declare a config field with its default, a one-line doc and a check.

    Mutable defaults (dicts) are copied per instance.
    """
    metadata = {"doc": doc, "check": check}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def positive(value: float) -> str | None:
    return None if value > 0 else f"must be greater than 0 (got {value})"


def non_negative(value: float) -> str | None:
    return None if value >= 0 else f"must be 0 or more (got {value})"


def each_once(value: tuple[str, ...]) -> str | None:
    """Reject a list that names the same value twice."""
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        return (
            f"names {', '.join(repeated)} more than once (allowed: each at most once)"
        )
    return None
