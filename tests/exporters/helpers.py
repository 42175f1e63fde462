"""Hand-built snapshots and a scraping client for the exporter tests."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.data.metrics import Naming
from otel_kepler.data.sample import (
    ContainerRef,
    ContainerRuntime,
    CPUInfo,
    MeterKind,
    PodRef,
    ProcessInfo,
    Provenance,
    Sample,
    VMRef,
)
from otel_kepler.data.snapshot import NodeZone, Snapshot, State, WorkloadEnergy
from otel_kepler.exporters.prometheus.config import PrometheusConfig
from otel_kepler.exporters.prometheus.exporter import PrometheusExporter

NODE = "node-a"
CONTAINER_ID = "c0ffee" + "0" * 58
POD_UID = "5b3e1c4a-0d1f-4a5e-9c1b-2f6d7e8a9b0c"
VM_UUID = "a1b2c3d4-e5f6-4711-8899-aabbccddeeff"


def zone(
    name: str,
    energy_j: float,
    power_w: float,
    *,
    meter: MeterKind = MeterKind.RAPL,
    provenance: Provenance = Provenance.MEASURED,
) -> NodeZone:
    """A zone with active = 60%, idle = 40% and unattributed = 5% of the total."""
    return NodeZone(
        zone=name,
        path=f"/sys/class/powercap/intel-rapl:0/{name}",
        meter=meter,
        provenance=provenance,
        energy_j=energy_j,
        active_energy_j=energy_j * 0.6,
        idle_energy_j=energy_j * 0.4,
        unattributed_energy_j=energy_j * 0.05,
        power_w=power_w,
        active_power_w=power_w * 0.6,
        idle_power_w=power_w * 0.4,
        unattributed_power_w=power_w * 0.05,
    )


def process(
    pid: int,
    comm: str,
    energy_j: tuple[float, ...],
    power_w: tuple[float, ...],
    *,
    cpu_time_s: float = 1.0,
    state: State = State.RUNNING,
    container: ContainerRef | None = None,
    vm: VMRef | None = None,
) -> WorkloadEnergy[ProcessInfo]:
    info = ProcessInfo(pid, pid * 10, comm, f"/usr/bin/{comm}", container, vm)
    return WorkloadEnergy(info, state, cpu_time_s, energy_j, power_w)


CONTAINER = ContainerRef(CONTAINER_ID, ContainerRuntime.CONTAINERD, POD_UID, "web")
VM = VMRef(VM_UUID, "guest1", "kvm")
POD = PodRef(POD_UID, "web-0", "shop")


def full_snapshot(cycle: int = 3) -> Snapshot:
    """Two zones and one workload of every kind, values easy to check."""
    zones = (zone("package", 100.0, 10.0), zone("dram", 20.0, 2.0))
    sample = Sample(
        time_s=15.0,
        wall_s=1_700_000_000.0,
        cpu_info=(CPUInfo("0", "GenuineIntel", "Xeon E5", "0", "0"),),
    )
    return Snapshot(
        sample=sample,
        cycle=cycle,
        interval_s=5.0,
        node_name=NODE,
        zones=zones,
        usage_ratio=0.25,
        processes=(
            process(42, "nginx", (30.0, 6.0), (3.0, 0.6), container=CONTAINER),
            process(77, "qemu-kvm", (20.0, 4.0), (2.0, 0.4), vm=VM, cpu_time_s=9.5),
            process(9, "bash", (5.0, 1.0), (0.0, 0.0), state=State.TERMINATED),
        ),
        containers=(
            WorkloadEnergy(CONTAINER, State.RUNNING, 1.0, (30.0, 6.0), (3.0, 0.6)),
        ),
        vms=(WorkloadEnergy(VM, State.RUNNING, 9.5, (20.0, 4.0), (2.0, 0.4)),),
        pods=(WorkloadEnergy(POD, State.RUNNING, 1.0, (30.0, 6.0), (3.0, 0.6)),),
    )


def settings(name: str = "") -> CreateSettings:
    return CreateSettings(ComponentID("prometheus", name), NODE, SystemClock())


@dataclass
class Published:
    """Stands in for the service: holds the snapshot a scrape should see."""

    snapshot: Snapshot | None = None
    host: Host = field(init=False)

    def __post_init__(self) -> None:
        self.host = Host(node_name=NODE, latest=lambda: self.snapshot)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_text(port: int) -> str:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


Series = dict[str, dict[frozenset[tuple[str, str]], float]]
"""Sample name -> label set -> value."""


def parse(text: str) -> Series:
    series: Series = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = frozenset(sample.labels.items())
            series.setdefault(sample.name, {})[labels] = sample.value
    return series


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


@contextmanager
def serving(
    published: Published, naming: Naming = "kepler", **options: Any
) -> Iterator[tuple[PrometheusExporter, int]]:
    """A started prometheus exporter on a free loopback port; stopped after."""
    port = free_port()
    limit = options.pop("cardinality_limit", None)
    config = PrometheusConfig(endpoint=f"127.0.0.1:{port}", naming=naming, **options)
    exporter = (
        PrometheusExporter(settings(), config)
        if limit is None
        else PrometheusExporter(settings(), config, cardinality_limit=limit)
    )
    exporter.start(published.host)
    try:
        yield exporter, port
    finally:
        exporter.shutdown()
