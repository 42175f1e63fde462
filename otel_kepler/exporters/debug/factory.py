"""The factory of the debug exporter."""

from __future__ import annotations

from otel_kepler.component import Component, CreateSettings, Factory, Kind
from otel_kepler.exporters.debug.config import DebugConfig
from otel_kepler.exporters.debug.exporter import DebugExporter


def _create(settings: CreateSettings, config: DebugConfig) -> Component:
    return DebugExporter(settings, config)


FACTORY = Factory(
    type="debug",
    kind=Kind.EXPORTER,
    config=DebugConfig,
    create=_create,
    description="Prints each snapshot as a readable table on stdout",
)
