from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from otel_kepler.data.sample import ContainerRef, ContainerRuntime
from otel_kepler.host.cgroup import (
    CgroupEntry,
    CgroupLayout,
    container_from_path,
    detect_cgroup_layout,
    parse_cgroup_file,
    parse_container,
)

PROC = Path(__file__).parent.parent / "testdata" / "proc"

DOCKER = ContainerRuntime.DOCKER
CONTAINERD = ContainerRuntime.CONTAINERD
CRIO = ContainerRuntime.CRIO
PODMAN = ContainerRuntime.PODMAN
KUBERNETES = ContainerRuntime.KUBERNETES
UNKNOWN = ContainerRuntime.UNKNOWN


def hexid(label: str) -> str:
    """A 64-hex container id, made the way the fixture tree's ids were."""
    return hashlib.sha256(label.encode()).hexdigest()


ID = hexid("a")
INNER = hexid("b")
UID = "0f0e5f6a-3b1c-4c2d-9e8f-1a2b3c4d5e6f"
UID_ = UID.replace("-", "_")
STATIC_UID = "6b4e7c1a9d2f3e5b8a0c1d2e3f4a5b6c"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/docker/{ID}", ContainerRef(ID, DOCKER)),
        (f"/system.slice/docker-{ID}.scope", ContainerRef(ID, DOCKER)),
        (f"/system.slice/containerd-{ID}.scope", ContainerRef(ID, CONTAINERD)),
        (f"/machine.slice/libpod-{ID}.scope", ContainerRef(ID, PODMAN)),
        (f"/machine.slice/libpod-{ID}.scope/container", ContainerRef(ID, PODMAN)),
        (f"/system.slice/crio-{ID}.scope", ContainerRef(ID, CRIO)),
        (f"/default/{ID}", ContainerRef(ID, UNKNOWN)),
        (f"/kubepods/besteffort/pod{UID}/{ID}", ContainerRef(ID, KUBERNETES, UID)),
        (f"/kubepods/burstable/pod{UID}/{ID}", ContainerRef(ID, KUBERNETES, UID)),
        (f"/kubepods/pod{UID}/{ID}", ContainerRef(ID, KUBERNETES, UID)),
        (f"/kubepods/pod{STATIC_UID}/{ID}", ContainerRef(ID, KUBERNETES, STATIC_UID)),
        (f"/kubepods/besteffort/pod{UID}/crio-{ID}", ContainerRef(ID, CRIO, UID)),
        (
            "/kubepods.slice/kubepods-burstable.slice/"
            f"kubepods-burstable-pod{UID_}.slice/cri-containerd-{ID}.scope",
            ContainerRef(ID, CONTAINERD, UID),
        ),
        (
            "/kubepods.slice/kubepods-besteffort.slice/"
            f"kubepods-besteffort-pod{UID_}.slice/crio-{ID}.scope",
            ContainerRef(ID, CRIO, UID),
        ),
        (
            f"/kubepods.slice/kubepods-pod{UID_}.slice/docker-{ID}.scope",
            ContainerRef(ID, DOCKER, UID),
        ),
        (
            "/system.slice/containerd.service/"
            f"kubepods-burstable-pod{UID_}.slice:cri-containerd:{ID}",
            ContainerRef(ID, CONTAINERD, UID),
        ),
    ],
)
def test_container_layouts(path: str, expected: ContainerRef) -> None:
    assert container_from_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/init.scope",
        "/user.slice/user-1000.slice/session-3.scope",
        f"/docker/{ID[:63]}",
        f"/docker/{ID}0",
        f"/kubepods/besteffort/pod{UID}",
        f"/kubepods.slice/kubepods-pod{UID_}.slice/crio-conmon-{ID}.scope",
        "/batch/558d7a89cf2f6b33771b50ad81ed1f99",
        f"/system.slice/notdocker{ID}.scope",
    ],
)
def test_paths_without_a_container(path: str) -> None:
    assert container_from_path(path) is None


def test_nested_docker_gives_the_innermost_container() -> None:
    path = f"/docker/{ID}/docker/{INNER}"

    assert container_from_path(path) == ContainerRef(INNER, DOCKER)


def test_kind_gives_the_pod_container_not_the_node_container() -> None:
    path = (
        f"/system.slice/docker-{ID}.scope/kubelet.slice/kubelet-kubepods.slice/"
        "kubelet-kubepods-besteffort.slice/"
        f"kubelet-kubepods-besteffort-pod{UID_}.slice/cri-containerd-{INNER}.scope"
    )

    assert container_from_path(path) == ContainerRef(INNER, CONTAINERD, UID)


def test_kind_with_cgroupfs_inside_a_docker_node() -> None:
    path = f"/docker/{ID}/kubepods/burstable/pod{UID}/{INNER}"

    assert container_from_path(path) == ContainerRef(INNER, KUBERNETES, UID)


def test_a_pod_is_only_taken_from_the_container_s_parent() -> None:
    path = f"/kubepods/besteffort/pod{UID}/extra/docker-{ID}.scope"

    assert container_from_path(path) == ContainerRef(ID, DOCKER)


def test_cgroup_file_lines_of_v1_v2_and_hybrid() -> None:
    text = (PROC / "2008" / "cgroup").read_text()

    entries = parse_cgroup_file(text)

    assert len(entries) == 10
    assert entries[0] == CgroupEntry(
        9, ("name=systemd",), "/system.slice/containerd.service"
    )
    assert entries[-1].unified and not entries[-1].cpu
    assert entries[-2].cpu and entries[-3].cpu
    combined = parse_cgroup_file("4:cpu,cpuacct:/docker/x\n")[0]
    assert combined.controllers == ("cpu", "cpuacct") and combined.cpu


def test_malformed_cgroup_lines_are_skipped() -> None:
    text = f"garbage\nx:cpu:/a\n\n0::/docker/{ID}\n"

    assert parse_cgroup_file(text) == (CgroupEntry(0, (), f"/docker/{ID}"),)
    assert parse_container(text) == ContainerRef(ID, DOCKER)


def test_v1_only_file() -> None:
    text = (PROC / "2005" / "cgroup").read_text()

    ref = parse_container(text)

    assert ref == ContainerRef(hexid("kubepods-v1"), KUBERNETES, UID)


def test_v2_only_file() -> None:
    text = (PROC / "2002" / "cgroup").read_text()

    assert parse_container(text) == ContainerRef(hexid("docker-v2"), DOCKER)


def test_hybrid_file_finds_the_container_in_the_cpu_lines() -> None:
    text = (PROC / "2008" / "cgroup").read_text()

    ref = parse_container(text)

    assert ref == ContainerRef(
        hexid("hybrid"), KUBERNETES, "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
    )


def test_cpu_controller_wins_over_other_controllers_that_disagree() -> None:
    text = (
        f"5:memory:/docker/{INNER}\n"
        f"2:cpu,cpuacct:/kubepods/pod{UID}/{ID}\n"
        f"0::/system.slice/docker-{hexid('c')}.scope\n"
    )

    assert parse_container(text) == ContainerRef(ID, KUBERNETES, UID)


def test_v2_line_wins_over_non_cpu_controllers() -> None:
    text = f"5:memory:/docker/{INNER}\n1:cpu:/\n0::/system.slice/docker-{ID}.scope\n"

    assert parse_container(text) == ContainerRef(ID, DOCKER)


def test_other_controllers_are_asked_last() -> None:
    text = f"9:name=systemd:/docker/{ID}\n1:cpu:/\n0::/\n"

    assert parse_container(text) == ContainerRef(ID, DOCKER)


def test_host_process_has_no_container() -> None:
    assert parse_container((PROC / "6931" / "cgroup").read_text()) is None
    assert parse_container((PROC / "1" / "cgroup").read_text()) is None
    assert parse_container("") is None


def _mkdirs(root: Path, *names: str) -> None:
    for name in names:
        (root / name).mkdir(parents=True)


def test_layout_v2(tmp_path: Path) -> None:
    _mkdirs(tmp_path, "fs/cgroup/system.slice")
    (tmp_path / "fs/cgroup/cgroup.controllers").write_text("cpuset cpu io memory\n")

    assert detect_cgroup_layout(str(tmp_path)) is CgroupLayout.V2


def test_layout_hybrid(tmp_path: Path) -> None:
    _mkdirs(tmp_path, "fs/cgroup/cpu", "fs/cgroup/cpuacct", "fs/cgroup/unified")
    (tmp_path / "fs/cgroup/unified/cgroup.controllers").write_text("\n")

    assert detect_cgroup_layout(str(tmp_path)) is CgroupLayout.HYBRID


def test_layout_v1(tmp_path: Path) -> None:
    _mkdirs(tmp_path, "fs/cgroup/cpu,cpuacct", "fs/cgroup/memory")

    assert detect_cgroup_layout(str(tmp_path)) is CgroupLayout.V1


def test_layout_without_cgroup_file_system(tmp_path: Path) -> None:
    assert detect_cgroup_layout(str(tmp_path)) is CgroupLayout.UNKNOWN
