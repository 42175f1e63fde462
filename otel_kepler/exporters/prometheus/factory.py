"""The factory of the prometheus exporter."""

from __future__ import annotations

from otel_kepler.component import Component, CreateSettings, Factory, Kind
from otel_kepler.exporters.prometheus.config import PrometheusConfig
from otel_kepler.exporters.prometheus.exporter import PrometheusExporter


def _create(settings: CreateSettings, config: PrometheusConfig) -> Component:
    return PrometheusExporter(settings, config)


FACTORY = Factory(
    type="prometheus",
    kind=Kind.EXPORTER,
    config=PrometheusConfig,
    create=_create,
    description="Serves the latest snapshot for Prometheus to scrape (pull)",
)
