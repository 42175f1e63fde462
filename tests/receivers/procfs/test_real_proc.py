"""The receiver over this machine's /proc, with real processes and cgroups."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_kepler.data.sample import ContainerRef, ContainerRuntime, Sample
from otel_kepler.host.cgroup import CgroupLayout
from otel_kepler.receivers.procfs.config import ProcfsConfig
from otel_kepler.receivers.procfs.receiver import ProcfsReceiver
from tests.cgroups import CGROUP, hierarchies, make_cgroups, remove_cgroups
from tests.peers import require, require_root
from tests.receivers.procfs.trees import HOST, by_pid, settings


def real_receiver() -> ProcfsReceiver:
    receiver = ProcfsReceiver(settings(), ProcfsConfig())
    receiver.start(HOST)
    return receiver


def start_ticks_of(pid: int) -> int:
    """Field 22 of /proc/<pid>/stat, read independently of the receiver."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return int(text.rsplit(")", 1)[1].split()[19])


@pytest.fixture
def burner() -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield child
    finally:
        child.kill()
        child.wait()


def test_busy_child_shows_rising_cpu_time_under_a_stable_identity(
    burner: subprocess.Popen[bytes],
) -> None:
    receiver = real_receiver()
    time.sleep(0.2)
    first = by_pid(receiver.collect(time.monotonic(), time.time()))

    time.sleep(1.0)
    second = by_pid(receiver.collect(time.monotonic(), time.time()))

    before, after = first[burner.pid], second[burner.pid]
    assert after.cpu_time_s - before.cpu_time_s >= 0.5
    assert after.info is before.info
    assert after.info.key == (burner.pid, start_ticks_of(burner.pid))
    assert after.info.exe == sys.executable
    assert after.info.container is None and after.info.vm is None


def test_this_process_and_node_cpu_are_read(burner: subprocess.Popen[bytes]) -> None:
    receiver = real_receiver()

    first = receiver.collect(0.0, 0.0)
    time.sleep(0.5)
    second = receiver.collect(0.5, 0.5)

    me = by_pid(second)[os.getpid()].info
    assert me.key == (os.getpid(), start_ticks_of(os.getpid()))
    assert not me.kernel_thread
    assert burner.pid in by_pid(first)
    assert first.node_cpu is not None and second.node_cpu is not None
    assert second.node_cpu.busy_s > first.node_cpu.busy_s
    assert len(second.cpu_info) == os.cpu_count()
    assert receiver.vanished_total >= 0 and receiver.malformed_total == 0


def test_an_exec_refreshes_the_static_facts_under_the_same_identity() -> None:
    child = subprocess.Popen(
        ["sh", "-c", "read line; exec sleep 30"], stdin=subprocess.PIPE
    )
    try:
        receiver = real_receiver()
        before = by_pid(receiver.collect(0.0, 0.0))[child.pid]
        assert before.info.comm == "sh"

        assert child.stdin is not None
        child.stdin.write(b"go\n")
        child.stdin.flush()
        deadline = time.monotonic() + 5
        after = before
        while after.info.comm == "sh" and time.monotonic() < deadline:
            time.sleep(0.05)
            after = by_pid(receiver.collect(0.0, 0.0))[child.pid]

        assert after.info.key == before.info.key
        assert (after.info.comm, after.info.exe) == ("sleep", "sleep")
    finally:
        child.kill()
        child.wait()


def test_exited_child_leaves_the_sample_and_the_cache() -> None:
    receiver = real_receiver()
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in by_pid(receiver.collect(0.0, 0.0))
    finally:
        child.kill()
        child.wait()

    sample = receiver.collect(1.0, 1.0)

    assert child.pid not in by_pid(sample)
    assert receiver.cached_processes == len(sample.processes)


def _container_cpu_s(sample: Sample, container_id: str) -> float:
    return sum(
        r.cpu_time_s
        for r in sample.processes
        if r.info.container is not None and r.info.container.id == container_id
    )


@pytest.mark.root
@pytest.mark.peer
def test_stress_in_kubepods_cgroups_is_a_kubernetes_container() -> None:
    require_root()
    stress_ng = require("stress-ng")
    if not hierarchies():
        pytest.skip("no writable cpu, cpuacct or v2 cgroup hierarchy")
    pod_uid = str(uuid.uuid4())
    container_id = uuid.uuid4().hex + uuid.uuid4().hex
    leaf = f"/kubepods/besteffort/pod{pod_uid}/{container_id}"
    created = make_cgroups(leaf)
    procs_files = [root / leaf.strip("/") / "cgroup.procs" for root in hierarchies()]

    # The shell joins the cgroups and then becomes stress-ng, so the workers
    # it forks start inside them.
    join_then_exec = (
        'for procs in "$@"; do echo $$ > "$procs"; done; '
        f"exec {stress_ng} --cpu 1 --timeout 10s --quiet"
    )
    stress = subprocess.Popen(["sh", "-c", join_then_exec, "sh", *procs_files])
    try:
        receiver = real_receiver()
        time.sleep(1.0)
        first = receiver.collect(time.monotonic(), time.time())
        time.sleep(1.5)
        second = receiver.collect(time.monotonic(), time.time())

        expected = ContainerRef(container_id, ContainerRuntime.KUBERNETES, pod_uid)
        assert by_pid(second)[stress.pid].info.container == expected
        members = [r for r in second.processes if r.info.container == expected]
        assert len(members) >= 2
        rise_s = _container_cpu_s(second, container_id) - _container_cpu_s(
            first, container_id
        )
        assert rise_s >= 0.75
        if (CGROUP / "unified").is_dir() and (CGROUP / "cpu").is_dir():
            assert receiver.cgroup_layout is CgroupLayout.HYBRID
    finally:
        stress.terminate()
        stress.wait(timeout=10)
        remove_cgroups(created)
