"""Factory of the procfs receiver."""

from __future__ import annotations

from otel_kepler.component import CreateSettings, Factory, Kind
from otel_kepler.receivers.procfs.config import ProcfsConfig
from otel_kepler.receivers.procfs.receiver import ProcfsReceiver


def create_receiver(settings: CreateSettings, config: ProcfsConfig) -> ProcfsReceiver:
    return ProcfsReceiver(settings, config)


FACTORY = Factory(
    type="procfs",
    kind=Kind.RECEIVER,
    config=ProcfsConfig,
    create=create_receiver,
    description=(
        "CPU time of the node and of every process, with its container, pod "
        "and VM, from /proc"
    ),
)
