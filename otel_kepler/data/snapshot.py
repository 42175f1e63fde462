"""What processors produce and exporters read: the energy picture of a cycle.

A `Snapshot` is immutable. The service builds an empty one around the
cycle's `Sample`, each processor returns a new one (`dataclasses.replace`),
and the last is published with one reference swap. Exporters only read it.

Per-zone values of workloads are tuples aligned with `Snapshot.zones`: the
i-th entry of `WorkloadEnergy.energy_j` belongs to zone `zones[i].zone`.
NOTE: this keeps a cycle over thousands of processes free of per-process
dicts; use `Snapshot.zone_names` to label them.

Energy (`_j`) is cumulative since the agent started and never decreases for
a given workload; power (`_w`) is the average over the last interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Literal, TypeVar, get_args

from otel_kepler.data.sample import (
    ContainerRef,
    MeterKind,
    PodRef,
    ProcessInfo,
    Provenance,
    Sample,
    VMRef,
)

Level = Literal["node", "process", "container", "vm", "pod"]
"""A level of the snapshot, as exporters switch them on and off."""

ALL_LEVELS: tuple[Level, ...] = get_args(Level)


class State(StrEnum):
    RUNNING = "running"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class NodeZone:
    """One zone of the node: total, active, idle and unattributed energy.

    Invariants (held by the attribution processor, to 1e-9 relative):
    energy = active + idle, and active = the sum of the top-level workloads'
    energy in this zone + unattributed.
    """

    zone: str
    path: str
    meter: MeterKind
    provenance: Provenance
    energy_j: float
    active_energy_j: float
    idle_energy_j: float
    unattributed_energy_j: float
    power_w: float
    active_power_w: float
    idle_power_w: float
    unattributed_power_w: float


RefT = TypeVar("RefT", ProcessInfo, ContainerRef, VMRef, PodRef)


@dataclass(frozen=True, slots=True)
class WorkloadEnergy(Generic[RefT]):
    """The energy of one workload, per zone, aligned with `Snapshot.zones`.

    `cpu_time_s` is the cumulative CPU time the share was computed from.
    """

    ref: RefT
    state: State
    cpu_time_s: float
    energy_j: tuple[float, ...]
    power_w: tuple[float, ...]

    @property
    def total_energy_j(self) -> float:
        return sum(self.energy_j)


ProcessEnergy = WorkloadEnergy[ProcessInfo]
ContainerEnergy = WorkloadEnergy[ContainerRef]
VMEnergy = WorkloadEnergy[VMRef]
PodEnergy = WorkloadEnergy[PodRef]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The published result of one cycle.

    `cycle` counts from 1; `interval_s` is the measured time since the
    previous cycle (0 for the first). Workload tuples hold running
    workloads first, then retained terminated ones.
    """

    sample: Sample
    cycle: int
    interval_s: float
    node_name: str
    zones: tuple[NodeZone, ...] = ()
    usage_ratio: float = 0.0
    processes: tuple[ProcessEnergy, ...] = ()
    containers: tuple[ContainerEnergy, ...] = ()
    vms: tuple[VMEnergy, ...] = ()
    pods: tuple[PodEnergy, ...] = ()

    @property
    def zone_names(self) -> tuple[str, ...]:
        return tuple(z.zone for z in self.zones)

    @property
    def timestamp_s(self) -> float:
        """Unix time of the cycle."""
        return self.sample.wall_s
