"""The registry of built-in component factories, keyed by (kind, type)."""

from __future__ import annotations

from typing import Any

from otel_kepler.component import Factory, Kind


def builtin_factories() -> dict[tuple[Kind, str], Factory[Any]]:
    """Every factory shipped with otel_kepler."""
    from otel_kepler.exporters.debug.factory import FACTORY as debug
    from otel_kepler.exporters.prometheus.factory import FACTORY as prometheus
    from otel_kepler.processors.attribution.factory import FACTORY as attribution
    from otel_kepler.receivers.model.factory import FACTORY as model
    from otel_kepler.receivers.procfs.factory import FACTORY as procfs
    from otel_kepler.receivers.rapl.factory import FACTORY as rapl

    factories: list[Factory[Any]] = [
        rapl,
        model,
        procfs,
        attribution,
        prometheus,
        debug,
    ]
    return {(f.kind, f.type): f for f in factories}
