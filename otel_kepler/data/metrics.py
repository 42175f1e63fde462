"""The metrics otel_kepler exports: one table for every exporter and naming.

Each `MetricDef` names its OpenTelemetry instrument under each naming, its
kind and unit, the labels it carries, the snapshot part it reads and the
level (Kepler's metricsLevel) that switches it off. Exporters build their
instruments from `METRICS` and the prometheus exporter's `docgen` writes
docs/metrics.md from it, so code and docs cannot disagree.

Labels are named by a canonical key, which is Kepler's label name; `LABELS`
gives each its OpenTelemetry attribute name. Two rules apply on top of the
table: every series carries the node name, and under the otel naming every
point that has a zone also says how that zone was measured (`meter`,
`provenance`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from otel_kepler.data.sample import CPUInfo
from otel_kepler.data.snapshot import (
    ContainerEnergy,
    Level,
    NodeZone,
    PodEnergy,
    ProcessEnergy,
    VMEnergy,
)

Naming = Literal["kepler", "otel"]
"""kepler: Kepler's own metric and label names; otel: our instruments' names."""

InstrumentKind = Literal["counter", "gauge"]
Source = Literal[
    "zones", "node", "cpu_info", "build", "processes", "containers", "vms", "pods"
]
AttributeValue = str | int

NODE_NAME = "node_name"
ZONE = "zone"
ZONE_EXTRAS = ("meter", "provenance")
"""Added under the otel naming to every point that carries a zone."""


@dataclass(frozen=True, slots=True)
class Label:
    """One label: its Kepler name (the key), its OTel attribute, its meaning."""

    key: str
    otel: str
    doc: str

    def name(self, naming: Naming) -> str:
        return self.key if naming == "kepler" else self.otel


_LABEL_LIST = (
    Label(NODE_NAME, "k8s.node.name", "name of the node the agent runs on"),
    Label(ZONE, "kepler.zone", "CPU power zone, sockets merged (package, core, ...)"),
    Label("path", "kepler.zone.path", "sysfs path of the zone (first socket)"),
    Label("meter", "kepler.meter", "what measured the zone: rapl, hwmon, model, ..."),
    Label("provenance", "kepler.provenance", "measured or estimated"),
    Label("processor", "cpu.logical_number", "logical CPU number"),
    Label("vendor_id", "host.cpu.vendor.id", "CPU vendor"),
    Label("model_name", "host.cpu.model.name", "CPU model name"),
    Label("physical_id", "kepler.cpu.physical_id", "socket of the logical CPU"),
    Label("core_id", "kepler.cpu.core_id", "core of the logical CPU"),
    Label("version", "kepler.build.version", "version of otel-kepler"),
    Label("revision", "kepler.build.revision", "source revision, empty if unknown"),
    Label("pid", "process.pid", "process id"),
    Label("comm", "process.executable.name", "command name as the kernel keeps it"),
    Label("exe", "process.executable.path", "path of the executable"),
    Label("type", "kepler.process.type", "regular, container or vm"),
    Label("state", "kepler.state", "running or terminated"),
    Label("container_id", "container.id", "container id, empty outside containers"),
    Label("vm_id", "kepler.vm.id", "virtual machine id, empty if not a VM"),
    Label("container_name", "k8s.container.name", "container name, once known"),
    Label("runtime", "container.runtime.name", "docker, containerd, crio, ..."),
    Label("pod_id", "k8s.pod.uid", "pod uid, empty outside Kubernetes"),
    Label("vm_name", "kepler.vm.name", "virtual machine name"),
    Label("hypervisor", "kepler.vm.hypervisor", "kvm, xen, ..."),
    Label("pod_name", "k8s.pod.name", "pod name, once known"),
    Label("pod_namespace", "k8s.namespace.name", "pod namespace, once known"),
)
LABELS: Mapping[str, Label] = {label.key: label for label in _LABEL_LIST}


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric, under both namings.

    `value` names the attribute of the source item that holds the value; it
    is a per-zone tuple for workload metrics with a zone label, and empty
    for info metrics, whose value is always 1. A `level` of None means the
    metric is always served.
    """

    kepler: str
    otel: str
    kind: InstrumentKind
    unit: str
    level: Level | None
    source: Source
    labels: tuple[str, ...]
    value: str
    description: str

    def instrument_name(self, naming: Naming) -> str:
        return self.kepler if naming == "kepler" else self.otel

    def exposed_name(self, naming: Naming) -> str:
        """The name of the series in the Prometheus exposition."""
        return prometheus_name(self.instrument_name(naming), self.unit, self.kind)

    def label_keys(self, naming: Naming) -> tuple[str, ...]:
        """Canonical keys of every label the metric carries under `naming`."""
        keys = (NODE_NAME, *self.labels)
        if naming == "otel" and ZONE in self.labels:
            keys += tuple(k for k in ZONE_EXTRAS if k not in self.labels)
        return keys

    def label_names(self, naming: Naming) -> tuple[str, ...]:
        """Label names as the exposition shows them under `naming`."""
        return tuple(
            _sanitize_label(LABELS[key].name(naming)) for key in self.label_keys(naming)
        )


_UNIT_SUFFIX = {"J": "joules", "W": "watts", "s": "seconds", "1": "", "": ""}


def prometheus_name(name: str, unit: str, kind: InstrumentKind) -> str:
    """The exposition name the OpenTelemetry Prometheus reader gives a metric.

    Dots become underscores, the unit is appended unless the name already
    ends with it, and counters end in `_total`.
    """
    base = re.sub(r"[^a-zA-Z0-9:]+", "_", name)
    suffix = _UNIT_SUFFIX[unit]
    if suffix and not base.endswith(f"_{suffix}"):
        base = f"{base}_{suffix}"
    return f"{base}_total" if kind == "counter" else base


def _sanitize_label(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9]+", "_", name)


def _zone_metrics(part: str, what: str) -> tuple[MetricDef, MetricDef]:
    """Energy and power of every zone; `part` is "", "active_", "idle_", ..."""
    labels = (ZONE, "path")
    return (
        MetricDef(
            f"kepler_node_cpu_{part}joules",
            f"kepler.node.cpu.{part}energy",
            "counter",
            "J",
            "node",
            "zones",
            labels,
            f"{part}energy_j",
            f"{what} energy of the CPU zone since the agent started",
        ),
        MetricDef(
            f"kepler_node_cpu_{part}watts",
            f"kepler.node.cpu.{part}power",
            "gauge",
            "W",
            "node",
            "zones",
            labels,
            f"{part}power_w",
            f"{what} power of the CPU zone over the last interval",
        ),
    )


def _workload_metrics(
    level: Level, source: Source, labels: tuple[str, ...], noun: str
) -> tuple[MetricDef, MetricDef]:
    return (
        MetricDef(
            f"kepler_{level}_cpu_joules",
            f"kepler.{level}.cpu.energy",
            "counter",
            "J",
            level,
            source,
            labels,
            "energy_j",
            f"CPU energy attributed to the {noun} since the agent started",
        ),
        MetricDef(
            f"kepler_{level}_cpu_watts",
            f"kepler.{level}.cpu.power",
            "gauge",
            "W",
            level,
            source,
            labels,
            "power_w",
            f"CPU power attributed to the {noun} over the last interval",
        ),
    )


def _cpu_time(level: Level, source: Source, labels: tuple[str, ...]) -> MetricDef:
    return MetricDef(
        f"kepler_{level}_cpu_seconds",
        f"kepler.{level}.cpu.time",
        "counter",
        "s",
        level,
        source,
        labels,
        "cpu_time_s",
        f"CPU time of the {level} the energy share was computed from",
    )


_PROCESS_TIME = ("pid", "comm", "exe", "type", "container_id", "vm_id")
_PROCESS = ("pid", "comm", "exe", "type", "state", "container_id", "vm_id", ZONE)
_CONTAINER_TIME = ("container_id", "container_name", "runtime", "state", "pod_id")
_CONTAINER = ("container_id", "container_name", "runtime", "state", ZONE, "pod_id")
_VM = ("vm_id", "vm_name", "hypervisor", "state", ZONE)
_POD = ("pod_id", "pod_name", "pod_namespace", "state", ZONE)

METRICS: tuple[MetricDef, ...] = (
    *_zone_metrics("", "Total"),
    *_zone_metrics("active_", "Active (busy CPU)"),
    *_zone_metrics("idle_", "Idle"),
    *_zone_metrics("unattributed_", "Active but unattributed"),
    MetricDef(
        "kepler_node_cpu_usage_ratio",
        "kepler.node.cpu.utilization",
        "gauge",
        "1",
        "node",
        "node",
        (),
        "usage_ratio",
        "Busy share of the node's CPU time over the last interval (0 to 1)",
    ),
    MetricDef(
        "kepler_node_cpu_info",
        "kepler.node.cpu.info",
        "gauge",
        "",
        "node",
        "cpu_info",
        ("processor", "vendor_id", "model_name", "physical_id", "core_id"),
        "",
        "One series per logical CPU, value 1",
    ),
    MetricDef(
        "kepler_node_cpu_zone_info",
        "kepler.node.cpu.zone.info",
        "gauge",
        "",
        "node",
        "zones",
        (ZONE, "path", *ZONE_EXTRAS),
        "",
        "One series per CPU zone saying how it is measured, value 1",
    ),
    *_workload_metrics("process", "processes", _PROCESS, "process"),
    _cpu_time("process", "processes", _PROCESS_TIME),
    *_workload_metrics("container", "containers", _CONTAINER, "container"),
    _cpu_time("container", "containers", _CONTAINER_TIME),
    *_workload_metrics("vm", "vms", _VM, "virtual machine"),
    *_workload_metrics("pod", "pods", _POD, "pod"),
    MetricDef(
        "kepler_build_info",
        "kepler.build.info",
        "gauge",
        "",
        None,
        "build",
        ("version", "revision"),
        "",
        "Version of the agent, value 1",
    ),
)


def zone_labels(zone: NodeZone) -> dict[str, AttributeValue]:
    return {
        ZONE: zone.zone,
        "path": zone.path,
        "meter": zone.meter.value,
        "provenance": zone.provenance.value,
    }


def cpu_labels(cpu: CPUInfo) -> dict[str, AttributeValue]:
    return {
        "processor": cpu.processor,
        "vendor_id": cpu.vendor_id,
        "model_name": cpu.model_name,
        "physical_id": cpu.physical_id,
        "core_id": cpu.core_id,
    }


def process_labels(process: ProcessEnergy) -> dict[str, AttributeValue]:
    info = process.ref
    return {
        "pid": info.pid,
        "comm": info.comm,
        "exe": info.exe,
        "type": info.type.value,
        "state": process.state.value,
        "container_id": info.container.id if info.container else "",
        "vm_id": info.vm.id if info.vm else "",
    }


def container_labels(container: ContainerEnergy) -> dict[str, AttributeValue]:
    ref = container.ref
    return {
        "container_id": ref.id,
        "container_name": ref.name,
        "runtime": ref.runtime.value,
        "state": container.state.value,
        "pod_id": ref.pod_uid,
    }


def vm_labels(vm: VMEnergy) -> dict[str, AttributeValue]:
    ref = vm.ref
    return {
        "vm_id": ref.id,
        "vm_name": ref.name,
        "hypervisor": ref.hypervisor,
        "state": vm.state.value,
    }


def pod_labels(pod: PodEnergy) -> dict[str, AttributeValue]:
    ref = pod.ref
    return {
        "pod_id": ref.uid,
        "pod_name": ref.name,
        "pod_namespace": ref.namespace,
        "state": pod.state.value,
    }


WORKLOAD_LABELS: Mapping[Source, Callable[[Any], dict[str, AttributeValue]]] = {
    "processes": process_labels,
    "containers": container_labels,
    "vms": vm_labels,
    "pods": pod_labels,
}
"""The canonical label values of one workload of each workload source."""
