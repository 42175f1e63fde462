"""Containers and pods from /proc/<pid>/cgroup, and the host's cgroup layout.

/proc/<pid>/cgroup has one `hierarchy:controllers:path` line per mounted
hierarchy; cgroup v2 is the single line `0::path`, a hybrid host has both.
Container runtimes name the cgroup of a container after its 64-hex id:

    /docker/<id>                                   docker, cgroupfs driver
    /system.slice/docker-<id>.scope                docker, systemd driver
    /machine.slice/libpod-<id>.scope               podman
    /kubepods/burstable/pod<uid>/<id>              kubelet, cgroupfs driver
    /kubepods.slice/kubepods-burstable.slice/
      kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope
                                                   kubelet, systemd driver
    .../kubepods-burstable-pod<uid_>.slice:cri-containerd:<id>
                                                   containerd's systemd-style
                                                   name on a cgroupfs tree

In the systemd layout the pod uid has `_` where the uid has `-`. Nested
runtimes (docker in docker, Kubernetes in docker with kind) put one
container path inside another: the rightmost match is the innermost
container, the one the process belongs to.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum

from otel_kepler.data.sample import ContainerRef, ContainerRuntime

_CONTAINER_RE = re.compile(
    r"(?:(?P<prefix>cri-containerd|containerd|docker|crio|libpod)[-/:]|(?<=/))"
    r"(?P<id>[0-9a-f]{64})(?![0-9a-f])"
)
_POD_RE = re.compile(
    r"(?:^|[/-])pod(?P<uid>[0-9a-f]{8}(?:[-_][0-9a-f]{4}){3}[-_][0-9a-f]{12}"
    r"|[0-9a-f]{32})(?:\.slice)?\Z"
)
"""A pod segment ending right where its container's segment begins.

Static pods have a 32-hex uid (a hash of the manifest) without dashes.
"""

_RUNTIMES = {
    "docker": ContainerRuntime.DOCKER,
    "containerd": ContainerRuntime.CONTAINERD,
    "cri-containerd": ContainerRuntime.CONTAINERD,
    "crio": ContainerRuntime.CRIO,
    "libpod": ContainerRuntime.PODMAN,
}

_CPU_CONTROLLERS = frozenset({"cpu", "cpuacct"})


@dataclass(frozen=True, slots=True)
class CgroupEntry:
    """One line of /proc/<pid>/cgroup."""

    hierarchy: int
    controllers: tuple[str, ...]
    path: str

    @property
    def unified(self) -> bool:
        """True for the cgroup v2 line (`0::path`)."""
        return self.hierarchy == 0 and not self.controllers

    @property
    def cpu(self) -> bool:
        """True for a v1 line of the cpu or cpuacct controller."""
        return not _CPU_CONTROLLERS.isdisjoint(self.controllers)


def parse_cgroup_file(text: str) -> tuple[CgroupEntry, ...]:
    """The entries of /proc/<pid>/cgroup; malformed lines are skipped."""
    entries: list[CgroupEntry] = []
    for line in text.splitlines():
        hierarchy, sep1, rest = line.partition(":")
        controllers, sep2, path = rest.partition(":")
        if not (sep1 and sep2 and hierarchy.isdigit()):
            continue
        names = tuple(c for c in controllers.split(",") if c)
        entries.append(CgroupEntry(int(hierarchy), names, path))
    return tuple(entries)


def container_from_path(path: str) -> ContainerRef | None:
    """The innermost container a cgroup path names, or None.

    Runtime: the one named by the prefix of the id; for a pod's container
    without a prefix `kubernetes`; for a bare id outside a pod `unknown`.
    """
    match = None
    for found in _CONTAINER_RE.finditer(path):
        match = found
    if match is None:
        return None

    prefix = match.group("prefix")
    runtime = _RUNTIMES[prefix] if prefix else ContainerRuntime.UNKNOWN
    pod_uid = ""
    start = match.start(0)
    if start > 0 and path[start - 1] in "/:":
        pod = _POD_RE.search(path, 0, start - 1)
        if pod is not None:
            pod_uid = _dashed_uid(pod.group("uid"))
            runtime = runtime if prefix else ContainerRuntime.KUBERNETES
    return ContainerRef(id=match.group("id"), runtime=runtime, pod_uid=pod_uid)


def _dashed_uid(uid: str) -> str:
    return uid.replace("_", "-")


def parse_container(text: str) -> ContainerRef | None:
    """The container of a process from its /proc/<pid>/cgroup text, or None.

    When lines disagree (a hybrid host whose runtime manages only the v1
    hierarchies, or only some controllers), the cpu/cpuacct lines are
    asked first (they hold the CPU accounting on v1 and hybrid hosts), then
    the v2 line, then the others.
    """
    entries = parse_cgroup_file(text)
    ordered = sorted(entries, key=_preference)
    seen: set[str] = set()
    for entry in ordered:
        if entry.path in seen or entry.path == "/":
            continue
        seen.add(entry.path)
        container = container_from_path(entry.path)
        if container is not None:
            return container
    return None


def _preference(entry: CgroupEntry) -> int:
    if entry.cpu:
        return 0
    return 1 if entry.unified else 2


class CgroupLayout(StrEnum):
    """How the cgroup hierarchies of the host are mounted."""

    V1 = "v1"
    V2 = "v2"
    HYBRID = "hybrid"
    """v1 controllers plus the v2 hierarchy at fs/cgroup/unified."""
    UNKNOWN = "unknown"
    """No cgroup file system under the given sysfs."""


def detect_cgroup_layout(sysfs: str) -> CgroupLayout:
    """The cgroup layout mounted at `<sysfs>/fs/cgroup`."""
    root = os.path.join(sysfs, "fs", "cgroup")
    if os.path.isfile(os.path.join(root, "cgroup.controllers")):
        return CgroupLayout.V2
    if not os.path.isdir(root):
        return CgroupLayout.UNKNOWN
    if os.path.isdir(os.path.join(root, "unified")):
        return CgroupLayout.HYBRID
    return CgroupLayout.V1
