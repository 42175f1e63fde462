"""The effective configuration as a YAML document, with secrets redacted."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

from otel_kepler.config.loader import AgentConfig, ComponentConfig
from otel_kepler.config.options import Duration

REDACTED = "[REDACTED]"
_SECRET_RE = re.compile(
    r"password|passwd|secret|token|api_?key|authorization|credential|bearer",
    re.IGNORECASE,
)


def effective_document(config: AgentConfig) -> dict[str, Any]:
    """Every component the pipeline uses with every key, defaults included."""

    def section(entries: tuple[ComponentConfig, ...]) -> dict[str, Any]:
        return {str(e.id): to_plain(e.config) for e in entries}

    document: dict[str, Any] = {
        "receivers": section(config.receivers),
        "processors": section(config.processors),
        "exporters": section(config.exporters),
        "extensions": section(config.extensions),
        "service": to_plain(config.service),
    }
    document["service"]["node_name"] = config.node_name
    redacted: dict[str, Any] = redact(document)
    return redacted


def render(config: AgentConfig) -> str:
    return yaml.safe_dump(effective_document(config), sort_keys=False)


def redact(value: Any, key: str = "") -> Any:
    """Replace the values of secret-looking keys, at any depth."""
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if _SECRET_RE.search(key) and value not in (None, ""):
        return REDACTED
    return value


def to_plain(value: Any) -> Any:
    """Config dataclasses as YAML-safe builtins; durations as `5s`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    return value
