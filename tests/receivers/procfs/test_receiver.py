from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

import pytest

from otel_kepler.data.sample import (
    ContainerRef,
    ContainerRuntime,
    CPUInfo,
    ProcessType,
    VMRef,
)
from otel_kepler.errors import ComponentError
from otel_kepler.host.cgroup import CgroupLayout
from otel_kepler.host.procstat import parse_node_cpu
from otel_kepler.receivers.procfs.config import ProcfsConfig
from otel_kepler.receivers.procfs.receiver import ProcfsReceiver
from tests.receivers.procfs.trees import (
    HOST,
    PROC,
    by_pid,
    copy_proc,
    settings,
    started,
)

POD_BURSTABLE = "0f0e5f6a-3b1c-4c2d-9e8f-1a2b3c4d5e6f"


def hexid(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def test_fixture_tree_sample_has_node_cpu_info_and_sources() -> None:
    receiver = started(PROC)

    sample = receiver.collect(12.5, 1_700_000_000.0)

    assert (sample.time_s, sample.wall_s) == (12.5, 1_700_000_000.0)
    assert sample.sources == ("procfs",)
    assert sample.node_cpu == parse_node_cpu((PROC / "stat").read_text(), 100)
    assert sample.cpu_info == (
        CPUInfo("0", "AuthenticAMD", "AMD EPYC", "0", "0"),
        CPUInfo("1", "AuthenticAMD", "AMD EPYC", "0", "1"),
    )
    assert sample.zones == ()


def test_fixture_tree_processes_and_their_cpu_time() -> None:
    sample = started(PROC).collect(0.0, 0.0)
    procs = by_pid(sample)

    expected = [1, 2, 14, 1201, 1202, *range(2001, 2012), 3001, 3002, 6931]
    assert sorted(procs) == expected
    assert procs[1].cpu_time_s == pytest.approx(2.0)
    assert procs[2005].cpu_time_s == pytest.approx(10.0)
    assert procs[3001].cpu_time_s == pytest.approx(37.0)
    assert procs[6931].info.key == (6931, 59534)
    assert procs[6931].info.exe == "sleep"


def test_comm_with_spaces_and_parentheses() -> None:
    info = by_pid(started(PROC).collect(0.0, 0.0))[1201].info

    assert info.comm == "x) (y) z"
    assert info.exe == "./weird"
    assert info.start_ticks == 4000


def test_zombie_is_reported_with_its_cpu_time_and_no_exe() -> None:
    reading = by_pid(started(PROC).collect(0.0, 0.0))[1202]

    assert reading.cpu_time_s == pytest.approx(0.82)
    assert reading.info.exe == ""
    assert reading.info.type is ProcessType.REGULAR


def test_kernel_threads_are_marked() -> None:
    procs = by_pid(started(PROC).collect(0.0, 0.0))

    assert procs[2].info.kernel_thread and procs[14].info.kernel_thread
    assert procs[14].info.comm == "ksoftirqd/0"
    assert procs[14].info.exe == ""
    assert not procs[1].info.kernel_thread


@pytest.mark.parametrize(
    ("pid", "expected"),
    [
        (2001, ContainerRef(hexid("docker-v1"), ContainerRuntime.DOCKER)),
        (2002, ContainerRef(hexid("docker-v2"), ContainerRuntime.DOCKER)),
        (
            2003,
            ContainerRef(
                hexid("containerd-v2"), ContainerRuntime.CONTAINERD, POD_BURSTABLE
            ),
        ),
        (
            2004,
            ContainerRef(
                hexid("crio-v2"),
                ContainerRuntime.CRIO,
                "7c9d2e41-5a6b-4f70-8c1d-2e3f4a5b6c7d",
            ),
        ),
        (
            2005,
            ContainerRef(
                hexid("kubepods-v1"), ContainerRuntime.KUBERNETES, POD_BURSTABLE
            ),
        ),
        (
            2006,
            ContainerRef(
                hexid("kubepods-guaranteed"),
                ContainerRuntime.KUBERNETES,
                "b3a1c2d4-e5f6-4789-a0b1-c2d3e4f5a6b7",
            ),
        ),
        (2007, ContainerRef(hexid("podman"), ContainerRuntime.PODMAN)),
        (
            2008,
            ContainerRef(
                hexid("hybrid"),
                ContainerRuntime.KUBERNETES,
                "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
            ),
        ),
        (
            2009,
            ContainerRef(
                hexid("kind-app"),
                ContainerRuntime.CONTAINERD,
                "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6",
            ),
        ),
        (
            2010,
            ContainerRef(
                hexid("colon"),
                ContainerRuntime.CONTAINERD,
                "9a8b7c6d-5e4f-4a3b-b2c1-d0e9f8a7b6c5",
            ),
        ),
        (2011, ContainerRef(hexid("bare"), ContainerRuntime.UNKNOWN)),
    ],
)
def test_container_processes(pid: int, expected: ContainerRef) -> None:
    info = by_pid(started(PROC).collect(0.0, 0.0))[pid].info

    assert info.container == expected
    assert info.type is ProcessType.CONTAINER
    assert info.vm is None


def test_host_processes_have_no_container() -> None:
    procs = by_pid(started(PROC).collect(0.0, 0.0))

    for pid in (1, 2, 14, 1201, 1202, 6931):
        assert procs[pid].info.container is None, pid
        assert procs[pid].info.type is ProcessType.REGULAR


def test_qemu_processes_are_vms() -> None:
    procs = by_pid(started(PROC).collect(0.0, 0.0))

    web = procs[3001].info
    assert web.vm == VMRef("5b8f3c2a-1d4e-4f6a-9b7c-8d9e0f1a2b3c", "web01", "kvm")
    assert web.type is ProcessType.VM
    assert web.exe == "/usr/bin/qemu-system-x86_64"
    assert procs[3002].info.vm == VMRef("db02", "db02", "kvm")


def test_vanished_and_malformed_pids_are_counted_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = started(PROC)

    with caplog.at_level(logging.DEBUG, "otel_kepler.receivers.procfs"):
        procs = by_pid(receiver.collect(0.0, 0.0))
        by_pid(receiver.collect(5.0, 5.0))

    assert 4001 not in procs and 4002 not in procs
    assert receiver.vanished_total == 2
    assert receiver.malformed_total == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "4002/stat" in warnings[0].getMessage()
    assert "too few fields (6; need at least 22)" in warnings[0].getMessage()
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("4001/stat vanished" in m for m in debug)


def test_static_facts_are_read_once_per_process(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    receiver = started(proc)
    first = by_pid(receiver.collect(0.0, 0.0))

    (proc / "2002" / "cmdline").write_bytes(b"changed\0")
    (proc / "2002" / "cgroup").write_text("0::/\n")
    second = by_pid(receiver.collect(5.0, 5.0))

    assert second[2002].info is first[2002].info
    assert second[2002].info.exe == "redis-server *:6379"
    assert second[2002].info.container is not None


def test_unchanged_cpu_time_reuses_the_reading(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    receiver = started(proc)
    first = by_pid(receiver.collect(0.0, 0.0))

    stat = proc / "2005" / "stat"
    stat.write_text(stat.read_text().replace(" 900 100 ", " 950 150 ", 1))
    second = by_pid(receiver.collect(5.0, 5.0))

    assert second[2005].cpu_time_s == pytest.approx(11.0)
    assert second[2005].info is first[2005].info
    assert second[2001] is first[2001]


def test_reused_pid_is_a_new_process(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    receiver = started(proc)
    first = by_pid(receiver.collect(0.0, 0.0))

    stat = proc / "2002" / "stat"
    text = stat.read_text().replace("(redis-server)", "(bash)")
    stat.write_text(text.replace(" 0 5000 ", " 0 9000 ", 1))
    (proc / "2002" / "cmdline").write_bytes(b"/bin/bash\0")
    (proc / "2002" / "cgroup").write_text("0::/user.slice\n")
    second = by_pid(receiver.collect(5.0, 5.0))

    assert first[2002].info.key == (2002, 5000)
    assert second[2002].info.key == (2002, 9000)
    assert (second[2002].info.comm, second[2002].info.exe) == ("bash", "/bin/bash")
    assert second[2002].info.container is None


def test_cache_drops_processes_that_are_gone(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    receiver = started(proc)
    receiver.collect(0.0, 0.0)
    assert receiver.cached_processes == 19

    shutil.rmtree(proc / "2001")
    shutil.rmtree(proc / "3001")
    procs = by_pid(receiver.collect(5.0, 5.0))

    assert 2001 not in procs and 3001 not in procs
    assert receiver.cached_processes == 17


def test_process_gone_before_its_facts_are_read_is_churn(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    (proc / "2003" / "cgroup").unlink()
    receiver = started(proc)

    procs = by_pid(receiver.collect(0.0, 0.0))

    assert 2003 not in procs
    assert receiver.vanished_total == 2
    assert receiver.cached_processes == 18


def test_empty_stat_read_is_churn(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    (proc / "2004" / "stat").write_bytes(b"")
    receiver = started(proc)

    procs = by_pid(receiver.collect(0.0, 0.0))

    assert 2004 not in procs
    assert receiver.vanished_total == 2
    assert receiver.malformed_total == 1


def test_cgroup_layout_is_detected_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("cpu", "cpuacct", "unified"):
        (tmp_path / "fs" / "cgroup" / name).mkdir(parents=True)
    config = ProcfsConfig(procfs=str(PROC), sysfs=str(tmp_path))
    receiver = ProcfsReceiver(settings(), config)
    before = receiver.cgroup_layout

    with caplog.at_level(logging.INFO, "otel_kepler.receivers.procfs"):
        receiver.start(HOST)

    assert before is CgroupLayout.UNKNOWN
    assert receiver.cgroup_layout is CgroupLayout.HYBRID
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 1
    assert "cgroup layout hybrid" in infos[0]


def test_missing_cpuinfo_leaves_cpu_info_empty(tmp_path: Path) -> None:
    proc = copy_proc(tmp_path)
    (proc / "cpuinfo").unlink()

    sample = started(proc).collect(0.0, 0.0)

    assert sample.cpu_info == ()
    assert len(sample.processes) == 19


def test_lifecycle_start_collect_shutdown_twice() -> None:
    receiver = started(PROC)
    assert receiver.collect(0.0, 0.0).processes

    receiver.shutdown()
    receiver.shutdown()

    assert receiver.cached_processes == 0
    with pytest.raises(ComponentError, match="before start"):
        receiver.collect(1.0, 1.0)


def test_shutdown_without_start() -> None:
    receiver = ProcfsReceiver(settings(), ProcfsConfig(procfs=str(PROC)))

    receiver.shutdown()
    receiver.shutdown()

    with pytest.raises(ComponentError, match="before start"):
        receiver.collect(0.0, 0.0)


def test_restart_after_shutdown_collects_again() -> None:
    receiver = started(PROC)
    receiver.shutdown()

    receiver.start(HOST)

    assert len(receiver.collect(0.0, 0.0).processes) == 19
