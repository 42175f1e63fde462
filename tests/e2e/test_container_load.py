"""The whole pipeline over a real container: stress-ng in kubepods cgroups.

No container engine runs here, so the container is made the way one makes
it: cgroups shaped like the kubelet's cgroupfs layout
(`/kubepods/burstable/pod<uid>/<id>`) in every CPU hierarchy of the host,
and a stress-ng that joins them before it starts its worker. The model
receiver estimates node power, procfs reads the real /proc, and every
check is made on a real scrape or on the published snapshots.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from otel_kepler.component import SystemClock
from tests.cgroups import hierarchies, make_cgroups, remove_cgroups
from tests.e2e.helpers import (
    NODE,
    Published,
    document,
    node_identities,
    running,
    scrape,
    select,
    value,
)
from tests.exporters.helpers import Series, free_port
from tests.peers import require, require_root
from tests.processors.attribution.helpers import assert_close

pytestmark = [pytest.mark.root, pytest.mark.peer]

CYCLE_S = 1.0


@dataclass(frozen=True)
class Container:
    pod_uid: str
    id: str
    procs_files: tuple[Path, ...]


@contextmanager
def kubepods_container() -> Iterator[Container]:
    """A burstable pod's container cgroup in every CPU hierarchy; removed
    (its processes killed first) when the block ends."""
    pod_uid = str(uuid.uuid4())
    container_id = uuid.uuid4().hex + uuid.uuid4().hex
    leaf = f"kubepods/burstable/pod{pod_uid}/{container_id}"
    created = make_cgroups(leaf)
    try:
        files = tuple(root / leaf / "cgroup.procs" for root in hierarchies())
        yield Container(pod_uid, container_id, files)
    finally:
        remove_cgroups(created)


def stress_in(container: Container, stress_ng: str) -> subprocess.Popen[bytes]:
    """One stress-ng CPU worker inside `container`.

    The shell writes its own pid into every cgroup.procs and then becomes
    stress-ng, so the worker it forks starts inside the container too.
    """
    join_then_exec = (
        'for procs in "$@"; do echo $$ > "$procs"; done; '
        f"exec {stress_ng} --cpu 1 --timeout 60s --quiet"
    )
    files = [str(path) for path in container.procs_files]
    return subprocess.Popen(["sh", "-c", join_then_exec, "sh", *files])


def wait_joined(container: Container, stress: subprocess.Popen[bytes]) -> None:
    """Wait until stress-ng and its worker are in every hierarchy's cgroup.

    NOTE: procfs reads a process's container once, when it first sees it;
    a first cycle before the shell joined would file stress-ng as a plain
    process for its whole life.
    """
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        members = [set(f.read_text().split()) for f in container.procs_files]
        if all(str(stress.pid) in m and len(m) >= 2 for m in members):
            return
        assert stress.poll() is None, "stress-ng exited"
        time.sleep(0.05)
    pytest.fail("stress-ng and its worker did not join the container's cgroups")


def cycles(published: Published, count: int) -> None:
    for _ in range(count):
        time.sleep(CYCLE_S)
        published.cycle()


def container_series(series: Series, name: str, container: Container) -> dict[str, str]:
    """The labels of the container's one `name` sample in zone package."""
    (key,) = select(series, name, container_id=container.id, zone="package")
    return dict(key)


def check_running(series: Series, container: Container, stress_pid: int) -> None:
    labels = container_series(series, "kepler_container_cpu_joules_total", container)
    assert labels["runtime"] == "kubernetes"
    assert labels["pod_id"] == container.pod_uid
    assert labels["state"] == "running"
    assert labels["node_name"] == NODE

    joules = value(series, "kepler_container_cpu_joules_total", **labels)
    assert joules > 0
    pod_joules = value(
        series,
        "kepler_pod_cpu_joules_total",
        pod_id=container.pod_uid,
        zone="package",
    )
    assert_close(pod_joules, joules, "pod = its one container")

    # One busy worker on a machine of two cores: most of the active power.
    watts = value(series, "kepler_container_cpu_watts", **labels)
    active_w = value(series, "kepler_node_cpu_active_watts", zone="package")
    assert watts >= 0.3 * active_w, f"{watts} W of {active_w} W active"

    processes = select(
        series, "kepler_process_cpu_joules_total", container_id=container.id
    )
    members = [dict(key) for key in processes]
    assert len(members) >= 2, members  # stress-ng and its worker
    assert {m["type"] for m in members} == {"container"}
    assert {m["comm"][:9] for m in members} == {"stress-ng"}
    assert str(stress_pid) in {m["pid"] for m in members}


def check_terminated(before: Series, now: Series, container: Container) -> None:
    """The container and its pod are kept, ended, with the same totals."""
    for name, key in (
        ("kepler_container_cpu_joules_total", {"container_id": container.id}),
        ("kepler_pod_cpu_joules_total", {"pod_id": container.pod_uid}),
    ):
        running_j = value(before, name, zone="package", state="running", **key)
        assert not select(now, name, state="running", **key)
        ended_j = value(now, name, zone="package", state="terminated", **key)
        assert ended_j == running_j, name


def test_stress_in_a_kubepods_container_gets_its_energy_and_keeps_it() -> None:
    require_root()
    stress_ng = require("stress-ng")
    if not hierarchies():
        pytest.skip("no writable cpu, cpuacct or v2 cgroup hierarchy")
    port = free_port()
    receivers = {"model": None, "procfs": None}

    with (
        kubepods_container() as container,
        running(document(receivers, port, "1s"), SystemClock()) as service,
    ):
        published = Published(service)
        stress = stress_in(container, stress_ng)
        try:
            wait_joined(container, stress)
            published.cycle()
            cycles(published, 4)
            loaded = scrape(port)
            node_identities(loaded, ("package",))
            check_running(loaded, container, stress.pid)
        finally:
            # SIGTERM: stress-ng stops and reaps its worker before it exits.
            stress.terminate()
            stress.wait(timeout=10)

        cycles(published, 2)
        check_terminated(loaded, scrape(port), container)
