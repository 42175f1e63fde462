"""The factory of the attribution processor."""

from __future__ import annotations

from otel_kepler.component import Component, CreateSettings, Factory, Kind
from otel_kepler.processors.attribution.config import AttributionConfig
from otel_kepler.processors.attribution.processor import AttributionProcessor


def _create(settings: CreateSettings, config: AttributionConfig) -> Component:
    return AttributionProcessor(config, name=str(settings.id))


FACTORY = Factory(
    type="attribution",
    kind=Kind.PROCESSOR,
    config=AttributionConfig,
    create=_create,
    description="Node energy shared out to processes, containers, VMs and pods "
    "by CPU time",
)
