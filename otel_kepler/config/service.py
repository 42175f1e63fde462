"""The `service` section: which components run, how often, and how it logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from otel_kepler.config.options import Duration, option
from otel_kepler.errors import Problem

LogLevel = Literal["debug", "info", "warn", "warning", "error"]


def _at_least_100ms(value: Duration) -> str | None:
    if value >= 0.1:
        return None
    return f"must be at least 100ms (got {value})"


@dataclass(frozen=True)
class LogsConfig:
    level: LogLevel = option("info", "Lowest level written: debug, info, warn, error.")
    encoding: Literal["console", "json"] = option(
        "console", "console: one readable line per record; json: one JSON object."
    )


@dataclass(frozen=True)
class TelemetryConfig:
    logs: LogsConfig = option(LogsConfig(), "The agent's own logs.")


@dataclass(frozen=True)
class MetricsPipelineConfig:
    receivers: tuple[str, ...] = option((), "Receiver ids, sampled every interval.")
    processors: tuple[str, ...] = option((), "Processor ids, run in this order.")
    exporters: tuple[str, ...] = option((), "Exporter ids; each gets every snapshot.")
    interval: Duration = option(
        Duration(5.0),
        "Collection period: one sample, one snapshot per tick (Kepler: "
        "monitor.interval).",
        check=_at_least_100ms,
    )

    def validate(self) -> list[Problem]:
        problems = []
        if not self.receivers:
            problems.append(Problem(("receivers",), "needs at least one receiver"))
        if not self.exporters:
            problems.append(Problem(("exporters",), "needs at least one exporter"))
        return problems


@dataclass(frozen=True)
class PipelinesConfig:
    metrics: MetricsPipelineConfig = option(
        MetricsPipelineConfig(), "The one metrics pipeline."
    )


@dataclass(frozen=True)
class ServiceConfig:
    extensions: tuple[str, ...] = option((), "Extension ids to start.")
    pipelines: PipelinesConfig = option(PipelinesConfig(), "Pipelines by signal.")
    telemetry: TelemetryConfig = option(TelemetryConfig(), "The agent's own telemetry.")
    node_name: str = option(
        "",
        "Name of this node on every series (node_name, k8s.node.name); empty: "
        "the NODE_NAME environment variable, else the host name (Kepler: "
        "kube.nodeName).",
    )
