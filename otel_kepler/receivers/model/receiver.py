"""The model receiver: CPU zone energy estimated from CPU utilisation.

For machines with no readable meter (virtual machines, clouds, CI). Power
is linear in the node's CPU busy ratio U over the last interval:

    power_w = vcpus * (idle_w_per_vcpu + (max_w_per_vcpu - idle_w_per_vcpu) * U)

and energy is its integral over the service clock. Every reading is marked
`MeterKind.MODEL` and `Provenance.ESTIMATED`, so no exporter can pass an
estimate off as a measurement.

U is busy CPU time over total CPU time between two collects, with busy =
total - idle - iowait as in the attribution processor. If `/proc/stat`
cannot be read in a cycle, the zone is left out of that cycle and the next
good read covers the whole gap: the CPU counters span it, so no energy is
lost.
"""

from __future__ import annotations

import logging

from otel_kepler.component import CreateSettings, Host, Receiver
from otel_kepler.data.sample import (
    MeterKind,
    NodeCPU,
    Provenance,
    Sample,
    ZoneReading,
)
from otel_kepler.errors import ComponentError, SourceError
from otel_kepler.host.procstat import count_cpus, read_node_cpu
from otel_kepler.receivers.model.config import ModelConfig

_logger = logging.getLogger(__name__)

_UJ_PER_J = 1_000_000


def busy_ratio(previous: NodeCPU, current: NodeCPU) -> float:
    """Busy share of the CPU time between two readings, clamped to [0, 1]."""
    total_s = current.total_s - previous.total_s
    if total_s <= 0:
        return 0.0
    ratio = (current.busy_s - previous.busy_s) / total_s
    return min(max(ratio, 0.0), 1.0)


class ModelReceiver(Receiver):
    """Estimates one zone's power from CPU utilisation, once per cycle."""

    def __init__(self, settings: CreateSettings, config: ModelConfig) -> None:
        self._id = str(settings.id)
        self._config = config
        self._vcpus = config.vcpus
        self._last_cpu: NodeCPU | None = None
        self._last_time_s: float | None = None
        self._energy_uj = 0.0
        self._warned = False
        self.power_w = 0.0
        """The power estimated for the last interval."""
        self.usage_ratio = 0.0
        """The CPU busy ratio U of the last interval."""
        self.read_errors_total = 0
        """Cycles in which <procfs>/stat could not be read."""

    @property
    def vcpus(self) -> int:
        """The vCPU count in use (counted at start when configured as 0)."""
        return self._vcpus

    def start(self, host: Host) -> None:
        procfs = self._config.procfs
        try:
            read_node_cpu(procfs)
            self._vcpus = self._config.vcpus or count_cpus(procfs)
        except SourceError as e:
            raise ComponentError(
                f"{e}: the model receiver estimates power from the node's CPU "
                f"time and cannot start without it; check the procfs option "
                f"(got {procfs})"
            ) from e

        config = self._config
        _logger.info(
            "%s: estimating zone %s from CPU utilisation (not measured): "
            "%d vCPUs, %s W idle to %s W busy per vCPU",
            self._id,
            config.zone,
            self._vcpus,
            config.idle_w_per_vcpu,
            config.max_w_per_vcpu,
        )

    def collect(self, time_s: float, wall_s: float) -> Sample:
        try:
            cpu = read_node_cpu(self._config.procfs)
        except SourceError as e:
            self._failed(e)
            return Sample(time_s=time_s, wall_s=wall_s, sources=(self._id,))

        self._integrate(cpu, time_s)
        reading = ZoneReading(
            zone=self._config.zone,
            path="",
            energy_uj=int(self._energy_uj),
            meter=MeterKind.MODEL,
            provenance=Provenance.ESTIMATED,
        )
        return Sample(
            time_s=time_s, wall_s=wall_s, zones=(reading,), sources=(self._id,)
        )

    def power_at(self, ratio: float) -> float:
        """The modelled node power in watts at CPU busy ratio `ratio`."""
        idle_w = self._config.idle_w_per_vcpu
        span_w = self._config.max_w_per_vcpu - idle_w
        return self._vcpus * (idle_w + span_w * ratio)

    def _integrate(self, cpu: NodeCPU, time_s: float) -> None:
        previous_cpu, previous_time_s = self._last_cpu, self._last_time_s
        self._last_cpu, self._last_time_s = cpu, time_s

        ratio = 0.0 if previous_cpu is None else busy_ratio(previous_cpu, cpu)
        self.usage_ratio = ratio
        self.power_w = self.power_at(ratio)
        if previous_time_s is not None:
            elapsed_s = max(time_s - previous_time_s, 0.0)
            self._energy_uj += self.power_w * elapsed_s * _UJ_PER_J

        _logger.debug(
            "%s: U=%.4f power=%.3f W energy=%.6f J",
            self._id,
            ratio,
            self.power_w,
            self._energy_uj / _UJ_PER_J,
        )

    def _failed(self, error: SourceError) -> None:
        self.read_errors_total += 1
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        _logger.log(
            level,
            "%s: zone %s left out of this cycle; the next read covers the gap: %s",
            self._id,
            self._config.zone,
            error,
        )
