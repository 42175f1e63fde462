"""The debug exporter: prints each snapshot as a compact table.

For people watching an agent at work: the cycle, then every zone's total,
active, idle and unattributed power and energy with how it was measured
("estimated" marks a modelled zone), then the most powerful workloads of
each configured level.
"""

from __future__ import annotations

import heapq
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from otel_kepler.component import CreateSettings, Exporter
from otel_kepler.data.snapshot import (
    ContainerEnergy,
    NodeZone,
    PodEnergy,
    ProcessEnergy,
    Snapshot,
    State,
    VMEnergy,
    WorkloadEnergy,
)
from otel_kepler.exporters.debug.config import DebugConfig

_logger = logging.getLogger(__name__)

_NAME_WIDTH = 40
_ZONE_HEADER = (
    f"{'zone':<8} {'meter':<6} {'provenance':<10} "
    f"{'total W':>8} {'active W':>8} {'idle W':>8} {'unattr W':>8} "
    f"{'total J':>11} {'active J':>11} {'idle J':>11} {'unattr J':>11}"
)


def _process_name(process: ProcessEnergy) -> str:
    return f"{process.ref.pid} {process.ref.comm}"


def _container_name(container: ContainerEnergy) -> str:
    return f"{container.ref.name or '-'} {container.ref.id[:12]}"


def _vm_name(vm: VMEnergy) -> str:
    return vm.ref.name or vm.ref.id


def _pod_name(pod: PodEnergy) -> str:
    ref = pod.ref
    return f"{ref.namespace}/{ref.name}" if ref.name else ref.uid


_WORKLOADS: dict[str, tuple[str, str, Callable[[Any], str]]] = {
    "process": ("processes", "processes", _process_name),
    "container": ("containers", "containers", _container_name),
    "vm": ("vms", "virtual machines", _vm_name),
    "pod": ("pods", "pods", _pod_name),
}
"""Level -> (snapshot field, heading, how to name one workload)."""


def format_snapshot(snapshot: Snapshot, config: DebugConfig) -> str:
    """The text the debug exporter prints for `snapshot`."""
    lines = [
        f"cycle {snapshot.cycle}  interval {snapshot.interval_s:.2f} s  "
        f"usage {snapshot.usage_ratio:.3f}  node {snapshot.node_name}"
    ]
    for level in config.levels:
        if level == "node":
            lines.extend(_zone_lines(snapshot.zones))
        else:
            field, heading, name = _WORKLOADS[level]
            workloads = getattr(snapshot, field)
            lines.extend(_workload_lines(heading, workloads, name, config.top))
    return "\n".join(lines) + "\n"


def _zone_lines(zones: Sequence[NodeZone]) -> list[str]:
    if not zones:
        return ["zones: none measured"]
    lines = [_ZONE_HEADER]
    for z in zones:
        lines.append(
            f"{z.zone:<8} {z.meter.value:<6} {z.provenance.value:<10} "
            f"{z.power_w:>8.2f} {z.active_power_w:>8.2f} {z.idle_power_w:>8.2f} "
            f"{z.unattributed_power_w:>8.2f} {z.energy_j:>11.1f} "
            f"{z.active_energy_j:>11.1f} {z.idle_energy_j:>11.1f} "
            f"{z.unattributed_energy_j:>11.1f}"
        )
    return lines


def _workload_lines(
    heading: str,
    workloads: Sequence[WorkloadEnergy[Any]],
    name: Callable[[Any], str],
    top: int,
) -> list[str]:
    shown = heapq.nlargest(
        top, workloads, key=lambda w: (sum(w.power_w), w.total_energy_j)
    )
    lines = [f"{heading}: top {len(shown)} of {len(workloads)} by power"]
    if shown:
        lines.append(f"  {'name':<{_NAME_WIDTH}} {'W':>8} {'J':>11}")
    for workload in shown:
        label = name(workload)
        if workload.state is State.TERMINATED:
            label += " (terminated)"
        if len(label) > _NAME_WIDTH:
            label = label[: _NAME_WIDTH - 1] + "…"
        lines.append(
            f"  {label:<{_NAME_WIDTH}} {sum(workload.power_w):>8.2f} "
            f"{workload.total_energy_j:>11.1f}"
        )
    return lines


class DebugExporter(Exporter):
    """Writes `format_snapshot` of every exported snapshot to a stream."""

    def __init__(
        self,
        settings: CreateSettings,
        config: DebugConfig,
        stream: TextIO | None = None,
    ) -> None:
        self._id = str(settings.id)
        self._config = config
        self._stream = stream

    def export(self, snapshot: Snapshot) -> None:
        stream = self._stream if self._stream is not None else sys.stdout
        stream.write(format_snapshot(snapshot, self._config))
        stream.flush()
        _logger.debug("%s: printed cycle %d", self._id, snapshot.cycle)
