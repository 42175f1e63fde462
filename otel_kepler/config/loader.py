"""From YAML files to a checked `AgentConfig`, every problem reported at once.

Steps: parse each file, merge them in order (mappings merge key by key,
later files win, lists are replaced), expand environment references, then
decode the top-level sections, each component's config through its
factory, and the service section; finally check that every id the pipeline
names is defined and of the right kind.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from otel_kepler.component import ComponentID, Factory, Kind
from otel_kepler.config.decode import decode
from otel_kepler.config.expand import expand_all
from otel_kepler.config.service import ServiceConfig
from otel_kepler.errors import ConfigError, Problem

SECTIONS = {kind.section: kind for kind in Kind}
_TOP_LEVEL = (*SECTIONS, "service")


@dataclass(frozen=True, slots=True)
class ComponentConfig:
    """One component the pipeline uses: its id, factory and decoded config."""

    id: ComponentID
    factory: Factory[Any]
    config: Any


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """A complete, checked configuration; components in pipeline order."""

    receivers: tuple[ComponentConfig, ...]
    processors: tuple[ComponentConfig, ...]
    exporters: tuple[ComponentConfig, ...]
    extensions: tuple[ComponentConfig, ...]
    service: ServiceConfig
    node_name: str

    @property
    def interval_s(self) -> float:
        return float(self.service.pipelines.metrics.interval)


def read_documents(paths: Sequence[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Parse and merge the YAML files; unreadable files are problems."""
    merged: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                document = yaml.safe_load(f)
        except OSError as e:
            problems.append(
                Problem((), f"cannot read config file {path}: {e.strerror}")
            )
            continue
        except yaml.YAMLError as e:
            problems.append(Problem((), f"config file {path} is not valid YAML: {e}"))
            continue
        if document is None:
            continue
        if not isinstance(document, dict):
            problems.append(
                Problem((), f"config file {path} must hold a mapping at the top level")
            )
            continue
        merged = _merge(merged, document)
    return merged, problems


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = value
    return result


def load(
    document: Mapping[str, Any],
    factories: Mapping[tuple[Kind, str], Factory[Any]],
    env: Mapping[str, str] | None = None,
) -> AgentConfig:
    """Check a merged document; raise ConfigError listing every problem."""
    expanded, problems = expand_all(dict(document), os.environ if env is None else env)
    expansion_problems = list(problems)
    for key in expanded:
        if key not in _TOP_LEVEL:
            allowed = ", ".join(_TOP_LEVEL)
            problems.append(
                Problem((str(key),), f"unknown section (allowed: {allowed})")
            )

    defined: dict[Kind, dict[ComponentID, ComponentConfig]] = {}
    for section, kind in SECTIONS.items():
        defined[kind] = _decode_section(
            expanded.get(section), kind, factories, problems
        )

    service, service_problems = decode(
        ServiceConfig, expanded.get("service"), ("service",)
    )
    problems.extend(service_problems)
    pipeline = service.pipelines.metrics
    if "metrics" not in ((expanded.get("service") or {}).get("pipelines") or {}):
        problems.append(
            Problem(
                ("service", "pipelines", "metrics"),
                "missing: name at least one receiver and one exporter",
            )
        )

    base = ("service", "pipelines", "metrics")
    chosen = {
        kind: _resolve(ids, kind, defined[kind], (*base, kind.section), problems)
        for kind, ids in (
            (Kind.RECEIVER, pipeline.receivers),
            (Kind.PROCESSOR, pipeline.processors),
            (Kind.EXPORTER, pipeline.exporters),
        )
    }
    chosen[Kind.EXTENSION] = _resolve(
        service.extensions,
        Kind.EXTENSION,
        defined[Kind.EXTENSION],
        ("service", "extensions"),
        problems,
    )
    if problems:
        raise ConfigError(_without_echoes(problems, expansion_problems))
    return AgentConfig(
        receivers=chosen[Kind.RECEIVER],
        processors=chosen[Kind.PROCESSOR],
        exporters=chosen[Kind.EXPORTER],
        extensions=chosen[Kind.EXTENSION],
        service=service,
        node_name=resolve_node_name(service.node_name),
    )


def _without_echoes(
    problems: list[Problem], expansion_problems: list[Problem]
) -> list[Problem]:
    """Drop problems about a value whose environment variable was unset: the
    unset variable is the one problem to fix there."""
    unset = [p.path for p in expansion_problems]
    return [
        p
        for p in problems
        if p in expansion_problems or not any(p.path[: len(u)] == u for u in unset)
    ]


def _decode_section(
    raw: Any,
    kind: Kind,
    factories: Mapping[tuple[Kind, str], Factory[Any]],
    out: list[Problem],
) -> dict[ComponentID, ComponentConfig]:
    section = kind.section
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        out.append(Problem((section,), "must be a mapping of component ids to configs"))
        return {}

    known = sorted(t for k, t in factories if k is kind)
    result: dict[ComponentID, ComponentConfig] = {}
    for key, body in raw.items():
        where = (section, str(key))
        try:
            cid = ComponentID.parse(str(key))
        except ValueError as e:
            out.append(Problem(where, str(e)))
            continue
        factory = factories.get((kind, cid.type))
        if factory is None:
            out.append(
                Problem(
                    where,
                    f'unknown {kind.value} type "{cid.type}" '
                    f"(known: {', '.join(known) or 'none'})",
                )
            )
            continue
        config, problems = decode(factory.config, body, where)
        out.extend(problems)
        result[cid] = ComponentConfig(cid, factory, config)
    return result


def _resolve(
    ids: tuple[str, ...],
    kind: Kind,
    defined: Mapping[ComponentID, ComponentConfig],
    path: tuple[str, ...],
    out: list[Problem],
) -> tuple[ComponentConfig, ...]:
    chosen: list[ComponentConfig] = []
    seen: set[ComponentID] = set()
    for index, text in enumerate(ids):
        where = (*path, str(index))
        try:
            cid = ComponentID.parse(text)
        except ValueError as e:
            out.append(Problem(where, str(e)))
            continue
        if cid in seen:
            out.append(Problem(where, f'"{cid}" is listed twice'))
            continue
        seen.add(cid)
        if cid not in defined:
            names = ", ".join(str(c) for c in sorted(defined)) or "none"
            out.append(
                Problem(
                    where,
                    f'{kind.value} "{cid}" is not defined in {kind.section} '
                    f"(defined: {names})",
                )
            )
            continue
        chosen.append(defined[cid])
    return tuple(chosen)


def resolve_node_name(configured: str) -> str:
    """The configured name, else $NODE_NAME, else this host's name."""
    return configured or os.environ.get("NODE_NAME", "") or socket.gethostname()
