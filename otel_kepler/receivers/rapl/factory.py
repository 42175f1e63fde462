"""The factory of the rapl receiver."""

from __future__ import annotations

from otel_kepler.component import Component, CreateSettings, Factory, Kind
from otel_kepler.receivers.rapl.config import RAPLConfig
from otel_kepler.receivers.rapl.receiver import RAPLReceiver


def _create(settings: CreateSettings, config: RAPLConfig) -> Component:
    return RAPLReceiver(settings, config)


FACTORY = Factory(
    type="rapl",
    kind=Kind.RECEIVER,
    config=RAPLConfig,
    create=_create,
    description="CPU energy zones (RAPL) from <sysfs>/class/powercap",
)
