"""What receivers produce: raw readings of one collection cycle.

A receiver returns a `Sample` holding only the parts it measures; the
service merges the parts of every receiver into the one `Sample` of the
cycle. Every value here is cumulative (a counter as the kernel keeps it,
made monotonic by the receiver); differences between cycles are the
processors' business.

Units are in the field names: `_uj` microjoules, `_j` joules, `_s` seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from otel_kepler.errors import ComponentError


class MeterKind(StrEnum):
    """The instrument a power reading comes from."""

    RAPL = "rapl"
    HWMON = "hwmon"
    MODEL = "model"
    NVML = "nvml"
    REDFISH = "redfish"


class Provenance(StrEnum):
    """Whether a value was read from hardware or computed by a model."""

    MEASURED = "measured"
    ESTIMATED = "estimated"


@dataclass(frozen=True, slots=True)
class ZoneReading:
    """The cumulative energy of one CPU power zone, sockets merged.

    `energy_uj` is monotonic since the receiver started: counter wraps are
    already removed and same-named zones of several sockets are summed.
    """

    zone: str
    path: str
    energy_uj: int
    meter: MeterKind
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class NodeCPU:
    """Cumulative CPU time of the whole node, from the first line of /proc/stat.

    `total_s` excludes guest and guest_nice, which the kernel already counts
    in user and nice.
    """

    total_s: float
    idle_s: float
    iowait_s: float

    @property
    def busy_s(self) -> float:
        return self.total_s - self.idle_s - self.iowait_s


@dataclass(frozen=True, slots=True)
class CPUInfo:
    """One logical CPU as /proc/cpuinfo describes it."""

    processor: str
    vendor_id: str
    model_name: str
    physical_id: str
    core_id: str


class ContainerRuntime(StrEnum):
    DOCKER = "docker"
    CONTAINERD = "containerd"
    CRIO = "crio"
    PODMAN = "podman"
    KUBERNETES = "kubernetes"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ContainerRef:
    """A container as seen from a process's cgroup path.

    `name` and the pod's name and namespace are unknown to /proc; an
    enrichment processor fills them in later.
    """

    id: str
    runtime: ContainerRuntime
    pod_uid: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class PodRef:
    """A Kubernetes pod; only `uid` is known from /proc."""

    uid: str
    name: str = ""
    namespace: str = ""


@dataclass(frozen=True, slots=True)
class VMRef:
    """A virtual machine, identified through its hypervisor process."""

    id: str
    name: str
    hypervisor: str


class ProcessType(StrEnum):
    REGULAR = "regular"
    CONTAINER = "container"
    VM = "vm"


ProcessKey = tuple[int, int]
"""(pid, start time in clock ticks since boot): unique across PID reuse."""


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """The static facts of one process, read once in its lifetime."""

    pid: int
    start_ticks: int
    comm: str
    exe: str
    container: ContainerRef | None = None
    vm: VMRef | None = None
    kernel_thread: bool = False

    @property
    def key(self) -> ProcessKey:
        return (self.pid, self.start_ticks)

    @property
    def type(self) -> ProcessType:
        if self.vm is not None:
            return ProcessType.VM
        if self.container is not None:
            return ProcessType.CONTAINER
        return ProcessType.REGULAR


@dataclass(frozen=True, slots=True)
class ProcessReading:
    """A process's cumulative CPU time (utime + stime) at this cycle."""

    info: ProcessInfo
    cpu_time_s: float


@dataclass(frozen=True, slots=True)
class Sample:
    """Everything measured in one cycle. Receivers fill only their parts.

    `time_s` is the service clock's monotonic time of the cycle; `wall_s`
    the matching Unix time.
    """

    time_s: float
    wall_s: float
    zones: tuple[ZoneReading, ...] = ()
    node_cpu: NodeCPU | None = None
    cpu_info: tuple[CPUInfo, ...] = ()
    processes: tuple[ProcessReading, ...] = ()
    sources: tuple[str, ...] = field(default=())
    """Ids of the receivers that contributed to this sample."""

    @staticmethod
    def merge(time_s: float, wall_s: float, parts: Iterable[Sample]) -> Sample:
        """Combine the parts of every receiver into the sample of a cycle.

        Zones and processes concatenate; a singular part (node CPU) may come
        from one receiver only.
        """
        zones: list[ZoneReading] = []
        processes: list[ProcessReading] = []
        node_cpu: NodeCPU | None = None
        cpu_info: tuple[CPUInfo, ...] = ()
        sources: list[str] = []
        for part in parts:
            zones.extend(part.zones)
            processes.extend(part.processes)
            sources.extend(part.sources)
            if part.node_cpu is not None:
                if node_cpu is not None:
                    raise ComponentError(
                        "two receivers report node CPU time; keep one procfs "
                        "receiver in the pipeline"
                    )
                node_cpu = part.node_cpu
            cpu_info = cpu_info or part.cpu_info
        return Sample(
            time_s=time_s,
            wall_s=wall_s,
            zones=tuple(zones),
            node_cpu=node_cpu,
            cpu_info=cpu_info,
            processes=tuple(processes),
            sources=tuple(sources),
        )
