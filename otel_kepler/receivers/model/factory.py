"""The factory of the model receiver."""

from __future__ import annotations

from otel_kepler.component import Component, CreateSettings, Factory, Kind
from otel_kepler.receivers.model.config import ModelConfig
from otel_kepler.receivers.model.receiver import ModelReceiver


def _create(settings: CreateSettings, config: ModelConfig) -> Component:
    return ModelReceiver(settings, config)


FACTORY = Factory(
    type="model",
    kind=Kind.RECEIVER,
    config=ModelConfig,
    create=_create,
    description="CPU energy estimated from CPU utilisation (no meter needed)",
)
