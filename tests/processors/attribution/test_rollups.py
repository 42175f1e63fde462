"""Containers, VMs and pods: accumulated from their processes' shares.

Each cycle has one zone with 80 J and a node busy for 8 of 8 CPU seconds
over 5 s, so one CPU second is worth 10 J and, as power, 2 W.
"""

from __future__ import annotations

from otel_kepler.data.sample import ContainerRef, PodRef, VMRef
from otel_kepler.data.snapshot import State
from tests.processors.attribution.helpers import (
    Driver,
    by_key,
    container,
    info,
    node,
    zone,
)

C1 = container("c1", pod_uid="pod-a")
C2 = container("c2", pod_uid="pod-a")
C3 = container("c3")
VM = VMRef(id="4a5b6c", name="guest1", hypervisor="kvm")
P1 = info(11, container=C1)
P2 = info(12, container=C1)
P3 = info(13, container=C2)
P4 = info(14)
Q = info(15, vm=VM)


def started() -> Driver:
    driver = Driver()
    driver.step(
        [zone("package", 0)],
        node(0, 0),
        [(P1, 0), (P2, 0), (P3, 0), (P4, 0), (Q, 0)],
    )
    return driver


def test_containers_and_pods_are_the_sums_of_their_parts() -> None:
    driver = started()
    snap = driver.step(
        [zone("package", 80)],
        node(8, 0),
        [(P1, 3.0), (P2, 1.0), (P3, 2.0), (P4, 2.0), (Q, 0.0)],
    )

    containers = by_key(snap.containers)
    c1, c2 = containers[C1.id], containers[C2.id]
    assert c1.ref == C1 and c1.state is State.RUNNING
    assert (c1.energy_j, c1.power_w, c1.cpu_time_s) == ((40.0,), (8.0,), 4.0)
    assert (c2.energy_j, c2.power_w, c2.cpu_time_s) == ((20.0,), (4.0,), 2.0)
    (pod,) = snap.pods
    assert pod.ref == PodRef("pod-a")
    assert (pod.energy_j, pod.power_w, pod.cpu_time_s) == ((60.0,), (12.0,), 6.0)
    (vm,) = snap.vms
    assert vm.ref == VM and vm.energy_j == (0.0,) and vm.state is State.RUNNING


def test_container_total_survives_the_exit_of_its_processes() -> None:
    driver = started()
    driver.step(
        [zone("package", 80)],
        node(8, 0),
        [(P1, 3.0), (P2, 1.0), (P3, 2.0), (P4, 2.0), (Q, 0.0)],
    )
    driver.step([zone("package", 160)], node(16, 0), [(P1, 4.0), (P4, 9.0)])
    snap = driver.step([zone("package", 240)], node(24, 0), [(P1, 12.0)])

    # c1: 40 J, then 10 J (P1 only), then 80 J; P2 (10 J) ended on the way.
    c1 = by_key(snap.containers)[C1.id]
    assert c1.energy_j == (130.0,) and c1.cpu_time_s == 13.0
    processes = by_key(snap.processes)
    assert processes[P1.key].energy_j == (120.0,)
    assert processes[P2.key].state is State.TERMINATED
    assert processes[P2.key].energy_j == (10.0,)
    # c2 ended with 20 J and stays in its pod's total.
    c2 = by_key(snap.containers)[C2.id]
    assert c2.state is State.TERMINATED and c2.energy_j == (20.0,)
    (pod,) = snap.pods
    assert pod.energy_j == (150.0,) and pod.power_w == (16.0,)


def test_vm_energy_is_its_hypervisor_process_energy() -> None:
    driver = started()
    snap = driver.step(
        [zone("package", 80)], node(8, 0), [(P4, 2.0), (Q, 6.0), (P1, 0.0)]
    )
    (vm,) = snap.vms
    assert vm.energy_j == (60.0,) and vm.power_w == (12.0,) and vm.cpu_time_s == 6.0
    assert by_key(snap.processes)[Q.key].ref.type.value == "vm"


def test_container_without_pod_has_no_pod() -> None:
    driver = Driver()
    alone = info(21, container=C3)
    driver.step([zone("package", 0)], node(0, 0), [(alone, 0)])
    snap = driver.step([zone("package", 80)], node(8, 0), [(alone, 8.0)])
    assert snap.pods == ()
    assert snap.containers[0].energy_j == (80.0,)


def test_vm_inside_a_container_counts_at_both_levels() -> None:
    ref = ContainerRef(id="f" * 64, runtime=C1.runtime, pod_uid="pod-v")
    launcher = info(31, container=ref, vm=VM)
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0), [(launcher, 0)])
    snap = driver.step([zone("package", 80)], node(8, 0), [(launcher, 4.0)])
    assert snap.vms[0].energy_j == snap.containers[0].energy_j == (40.0,)
    assert snap.pods[0].energy_j == (40.0,)
