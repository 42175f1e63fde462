"""Building samples by hand and checking the attribution identities.

`Driver` feeds an `AttributionProcessor` one hand-made sample per cycle
and, after every cycle, checks what design.md promises: per zone
energy = active + idle and active = processes + unattributed, both for the
interval (power) and cumulatively; containers, VMs and pods equal the sum
of their parts; nothing ever decreases; terminated workloads are frozen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_kepler.data.sample import (
    ContainerRef,
    ContainerRuntime,
    MeterKind,
    NodeCPU,
    ProcessInfo,
    ProcessReading,
    Provenance,
    Sample,
    VMRef,
    ZoneReading,
)
from otel_kepler.data.snapshot import Snapshot, State, WorkloadEnergy
from otel_kepler.processors.attribution.config import (
    AttributionConfig,
    TerminatedConfig,
)
from otel_kepler.processors.attribution.processor import AttributionProcessor

RELATIVE = 1e-9
FLOOR_J = 1e-12

UJ = 1_000_000
"""Microjoules in a joule."""


def zone(name: str, energy_j: float, path: str = "") -> ZoneReading:
    return ZoneReading(
        zone=name,
        path=path or f"/sys/class/powercap/intel-rapl:0/{name}",
        energy_uj=round(energy_j * UJ),
        meter=MeterKind.RAPL,
        provenance=Provenance.MEASURED,
    )


def node(busy_s: float, idle_s: float, iowait_s: float = 0.0) -> NodeCPU:
    return NodeCPU(total_s=busy_s + idle_s + iowait_s, idle_s=idle_s, iowait_s=iowait_s)


def info(
    pid: int,
    start_ticks: int = 1,
    *,
    container: ContainerRef | None = None,
    vm: VMRef | None = None,
    kernel_thread: bool = False,
) -> ProcessInfo:
    return ProcessInfo(
        pid=pid,
        start_ticks=start_ticks,
        comm=f"proc{pid}",
        exe=f"/usr/bin/proc{pid}",
        container=container,
        vm=vm,
        kernel_thread=kernel_thread,
    )


def container(cid: str, pod_uid: str = "") -> ContainerRef:
    return ContainerRef(
        id=cid.rjust(64, "0"), runtime=ContainerRuntime.CONTAINERD, pod_uid=pod_uid
    )


def config(
    max_count: int = 500, min_energy_j: float = 10.0, kernel_threads: bool = False
) -> AttributionConfig:
    return AttributionConfig(
        terminated=TerminatedConfig(max_count=max_count, min_energy_j=min_energy_j),
        kernel_threads=kernel_threads,
    )


def by_key(workloads: Iterable[WorkloadEnergy[Any]]) -> dict[Any, WorkloadEnergy[Any]]:
    """Workloads by identity: process key, container/VM id, pod uid."""
    out: dict[Any, WorkloadEnergy[Any]] = {}
    for workload in workloads:
        key = key_of(workload)
        assert key not in out, f"{key} appears twice"
        out[key] = workload
    return out


def key_of(workload: WorkloadEnergy[Any]) -> Any:
    ref = workload.ref
    if isinstance(ref, ProcessInfo):
        return ref.key
    return getattr(ref, "id", None) or ref.uid


def assert_close(actual: float, expected: float, what: str, scale: float = 0.0) -> None:
    tolerance = RELATIVE * max(abs(actual), abs(expected), scale) + FLOOR_J
    assert abs(actual - expected) <= tolerance, f"{what}: {actual} != {expected}"


@dataclass
class Driver:
    """Feeds samples to a processor and checks every snapshot it returns."""

    processor: AttributionProcessor = field(
        default_factory=lambda: AttributionProcessor(config())
    )
    exact_pods: bool = True
    """Pods equal the sum of their containers' totals (no container evicted)."""
    time_s: float = 0.0
    cycle: int = 0
    last: Snapshot | None = None

    def step(
        self,
        zones: Sequence[ZoneReading] = (),
        node_cpu: NodeCPU | None = None,
        processes: Sequence[tuple[ProcessInfo, float]] = (),
        interval_s: float = 5.0,
    ) -> Snapshot:
        self.cycle += 1
        if self.cycle == 1:
            interval_s = 0.0
        self.time_s += interval_s
        sample = Sample(
            time_s=self.time_s,
            wall_s=1.7e9 + self.time_s,
            zones=tuple(zones),
            node_cpu=node_cpu,
            processes=tuple(ProcessReading(i, cpu_s) for i, cpu_s in processes),
        )
        snapshot = Snapshot(sample, self.cycle, interval_s, "node-1")
        result = self.processor.process(snapshot)
        check(result, self.last, self.processor.evicted_energy_j, self.exact_pods)
        self.last = result
        return result


def check(
    now: Snapshot,
    before: Snapshot | None,
    evicted_j: tuple[float, ...],
    exact_pods: bool = True,
) -> None:
    """Every identity of design.md §3 on `now`, and monotonicity since `before`."""
    count = len(now.zones)
    assert len(evicted_j) == count
    for level in (now.processes, now.containers, now.vms, now.pods):
        for workload in level:
            assert len(workload.energy_j) == count
            assert len(workload.power_w) == count
            assert all(p >= 0 for p in workload.power_w)
            if workload.state is State.TERMINATED:
                assert workload.power_w == (0.0,) * count
        states = [w.state for w in level]
        assert states == sorted(states, key=lambda s: s is State.TERMINATED)
    assert 0.0 <= now.usage_ratio <= 1.0

    _check_zones(now, evicted_j)
    _check_parts(now, before, exact_pods)
    if before is not None:
        _check_monotonic(now, before)


def _running(workloads: Iterable[WorkloadEnergy[Any]]) -> list[WorkloadEnergy[Any]]:
    return [w for w in workloads if w.state is State.RUNNING]


def _check_zones(now: Snapshot, evicted_j: tuple[float, ...]) -> None:
    running = _running(now.processes)
    for i, z in enumerate(now.zones):
        assert_close(z.energy_j, z.active_energy_j + z.idle_energy_j, f"{z.zone} E")
        assert_close(z.power_w, z.active_power_w + z.idle_power_w, f"{z.zone} P")
        assert min(z.active_energy_j, z.idle_energy_j, z.unattributed_energy_j) >= 0
        assert min(z.active_power_w, z.idle_power_w, z.unattributed_power_w) >= 0

        power_parts = [p.power_w[i] for p in running] + [z.unattributed_power_w]
        assert_close(
            z.active_power_w, sum(power_parts), f"{z.zone} active P", sum(power_parts)
        )
        parts = [p.energy_j[i] for p in now.processes]
        parts += [z.unattributed_energy_j, evicted_j[i]]
        assert_close(z.active_energy_j, sum(parts), f"{z.zone} active E", sum(parts))


def _check_parts(now: Snapshot, before: Snapshot | None, exact_pods: bool) -> None:
    """Containers and VMs from processes, pods from containers."""
    running = _running(now.processes)
    containers = _group(running, lambda p: p.ref.container and p.ref.container.id)
    vms = _group(running, lambda p: p.ref.vm and p.ref.vm.id)
    pods = _group(_running(now.containers), lambda c: c.ref.pod_uid)
    all_by_pod = _group(now.containers, lambda c: c.ref.pod_uid)
    for level, members in (
        (now.containers, containers),
        (now.vms, vms),
        (now.pods, pods),
    ):
        for workload in level:
            key = key_of(workload)
            parts = members.pop(key, [])
            if workload.state is State.TERMINATED:
                assert parts == [], f"terminated {key} has running parts"
                continue
            assert parts, f"running {key} has no running parts"
            _check_sum(workload.power_w, [p.power_w for p in parts], f"{key} P")
            if before is not None:
                _check_increment(workload, parts, before)
        assert members == {}, f"parts without their aggregate: {list(members)}"

    if exact_pods:
        for pod in now.pods:
            energy = [c.energy_j for c in all_by_pod[pod.ref.uid]]
            _check_sum(pod.energy_j, energy, f"pod {pod.ref.uid} E")


def _group(workloads: Iterable[WorkloadEnergy[Any]], key: Any) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for workload in workloads:
        group = key(workload)
        if group:
            groups[group].append(workload)
    return groups


def _check_sum(
    total: tuple[float, ...], parts: list[tuple[float, ...]], what: str
) -> None:
    for i, value in enumerate(total):
        column = [part[i] for part in parts]
        assert_close(value, sum(column), f"{what}[{i}]", sum(column))


def _check_increment(
    workload: WorkloadEnergy[Any], parts: list[Any], before: Snapshot
) -> None:
    """An aggregate grows by exactly what its running parts grew by."""
    previous = _all_by_key(before)

    def was(now: WorkloadEnergy[Any], zone: int) -> float:
        old = previous.get(key_of(now))
        if old is None or zone >= len(old.energy_j):
            return 0.0
        return old.energy_j[zone]

    for i, value in enumerate(workload.energy_j):
        grown = value - was(workload, i)
        parts_grown = sum(part.energy_j[i] - was(part, i) for part in parts)
        scale = value + sum(part.energy_j[i] for part in parts)
        assert_close(grown, parts_grown, f"{key_of(workload)} dE[{i}]", scale)


def _all_by_key(snapshot: Snapshot) -> dict[Any, WorkloadEnergy[Any]]:
    out: dict[Any, WorkloadEnergy[Any]] = {}
    for level in (snapshot.processes, snapshot.containers, snapshot.vms, snapshot.pods):
        out.update(by_key(level))
    return out


def _check_monotonic(now: Snapshot, before: Snapshot) -> None:
    old_zones = {z.zone: z for z in before.zones}
    assert now.zone_names[: len(before.zones)] == before.zone_names
    for z in now.zones:
        old = old_zones.get(z.zone)
        if old is None:
            continue
        assert z.energy_j >= old.energy_j
        assert z.active_energy_j >= old.active_energy_j
        assert z.idle_energy_j >= old.idle_energy_j
        assert z.unattributed_energy_j >= old.unattributed_energy_j

    for level_now, level_before in (
        (now.processes, before.processes),
        (now.containers, before.containers),
        (now.vms, before.vms),
        (now.pods, before.pods),
    ):
        current = by_key(level_now)
        for key, old_w in by_key(level_before).items():
            new_w = current.get(key)
            if new_w is None:
                continue
            assert new_w.cpu_time_s >= old_w.cpu_time_s, f"{key} CPU time fell"
            for i, value in enumerate(old_w.energy_j):
                assert new_w.energy_j[i] >= value, f"{key} energy fell"
            if old_w.state is State.TERMINATED and new_w.state is State.TERMINATED:
                assert new_w.energy_j[: len(old_w.energy_j)] == old_w.energy_j
                assert new_w.cpu_time_s == old_w.cpu_time_s
