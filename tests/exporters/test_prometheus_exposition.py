"""What a scrape of the prometheus exporter shows, for both namings."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from otel_kepler import __version__
from otel_kepler.data.metrics import METRICS, Naming
from otel_kepler.data.sample import MeterKind, Provenance
from otel_kepler.data.snapshot import Snapshot, State
from tests.exporters.helpers import (
    CONTAINER_ID,
    NODE,
    POD_UID,
    VM_UUID,
    Published,
    Series,
    full_snapshot,
    get_text,
    labels,
    parse,
    process,
    serving,
    zone,
)

KEPLER_SERIES = {
    "kepler_node_cpu_joules_total",
    "kepler_node_cpu_watts",
    "kepler_node_cpu_active_joules_total",
    "kepler_node_cpu_active_watts",
    "kepler_node_cpu_idle_joules_total",
    "kepler_node_cpu_idle_watts",
    "kepler_node_cpu_unattributed_joules_total",
    "kepler_node_cpu_unattributed_watts",
    "kepler_node_cpu_usage_ratio",
    "kepler_node_cpu_info",
    "kepler_node_cpu_zone_info",
    "kepler_process_cpu_joules_total",
    "kepler_process_cpu_watts",
    "kepler_process_cpu_seconds_total",
    "kepler_container_cpu_joules_total",
    "kepler_container_cpu_watts",
    "kepler_container_cpu_seconds_total",
    "kepler_vm_cpu_joules_total",
    "kepler_vm_cpu_watts",
    "kepler_pod_cpu_joules_total",
    "kepler_pod_cpu_watts",
    "kepler_build_info",
}
PACKAGE_PATH = "/sys/class/powercap/intel-rapl:0/package"


def scrape(naming: Naming = "kepler", **options: object) -> Series:
    published = Published(full_snapshot())
    with serving(published, naming, **options) as (_, port):
        return parse(get_text(port))


def test_kepler_naming_serves_keplers_metric_names() -> None:
    assert set(scrape()) == KEPLER_SERIES


def test_kepler_naming_node_series_carry_zone_path_and_node_name() -> None:
    series = scrape()

    assert series["kepler_node_cpu_joules_total"] == {
        labels(node_name=NODE, zone="package", path=PACKAGE_PATH): 100.0,
        labels(
            node_name=NODE, zone="dram", path="/sys/class/powercap/intel-rapl:0/dram"
        ): 20.0,
    }
    package = labels(node_name=NODE, zone="package", path=PACKAGE_PATH)
    assert series["kepler_node_cpu_active_watts"][package] == pytest.approx(6.0)
    assert series["kepler_node_cpu_idle_joules_total"][package] == pytest.approx(40.0)
    unattributed = series["kepler_node_cpu_unattributed_joules_total"]
    assert unattributed[package] == pytest.approx(5.0)
    assert series["kepler_node_cpu_usage_ratio"] == {labels(node_name=NODE): 0.25}


def test_kepler_naming_info_series() -> None:
    series = scrape()

    assert series["kepler_node_cpu_info"] == {
        labels(
            node_name=NODE,
            processor="0",
            vendor_id="GenuineIntel",
            model_name="Xeon E5",
            physical_id="0",
            core_id="0",
        ): 1.0
    }
    assert (
        series["kepler_node_cpu_zone_info"][
            labels(
                node_name=NODE,
                zone="package",
                path=PACKAGE_PATH,
                meter="rapl",
                provenance="measured",
            )
        ]
        == 1.0
    )
    assert series["kepler_build_info"] == {
        labels(node_name=NODE, version=__version__, revision=""): 1.0
    }


def test_kepler_naming_process_series() -> None:
    series = scrape()
    nginx = dict(
        node_name=NODE,
        pid="42",
        comm="nginx",
        exe="/usr/bin/nginx",
        type="container",
        container_id=CONTAINER_ID,
        vm_id="",
    )

    joules = series["kepler_process_cpu_joules_total"]
    assert joules[labels(**nginx, state="running", zone="package")] == 30.0
    assert joules[labels(**nginx, state="running", zone="dram")] == 6.0
    assert len(joules) == 6  # three processes, two zones
    watts = series["kepler_process_cpu_watts"]
    assert watts[labels(**nginx, state="running", zone="dram")] == pytest.approx(0.6)
    qemu = labels(
        node_name=NODE,
        pid="77",
        comm="qemu-kvm",
        exe="/usr/bin/qemu-kvm",
        type="vm",
        container_id="",
        vm_id=VM_UUID,
    )
    assert series["kepler_process_cpu_seconds_total"][qemu] == 9.5


def test_kepler_naming_container_vm_and_pod_series() -> None:
    series = scrape()

    container = labels(
        node_name=NODE,
        container_id=CONTAINER_ID,
        container_name="web",
        runtime="containerd",
        state="running",
        zone="package",
        pod_id=POD_UID,
    )
    assert series["kepler_container_cpu_joules_total"][container] == 30.0
    seconds = series["kepler_container_cpu_seconds_total"]
    assert set(seconds) == {container - {("zone", "package")}}
    vm = labels(
        node_name=NODE,
        vm_id=VM_UUID,
        vm_name="guest1",
        hypervisor="kvm",
        state="running",
        zone="dram",
    )
    assert series["kepler_vm_cpu_watts"][vm] == pytest.approx(0.4)
    pod = labels(
        node_name=NODE,
        pod_id=POD_UID,
        pod_name="web-0",
        pod_namespace="shop",
        state="running",
        zone="package",
    )
    assert series["kepler_pod_cpu_joules_total"][pod] == 30.0


def test_otel_naming_serves_instrument_names_with_units() -> None:
    names = set(scrape("otel"))

    assert "kepler_node_cpu_energy_joules_total" in names
    assert "kepler_node_cpu_power_watts" in names
    assert "kepler_node_cpu_utilization" in names
    assert "kepler_process_cpu_time_seconds_total" in names
    assert "kepler_pod_cpu_energy_joules_total" in names
    assert names == {m.exposed_name("otel") for m in METRICS}
    assert "kepler_node_cpu_joules_total" not in names
    assert "kepler_process_cpu_seconds_total" not in names


def test_otel_naming_uses_semantic_convention_attributes() -> None:
    series = scrape("otel")

    pod = labels(
        k8s_node_name=NODE,
        k8s_pod_uid=POD_UID,
        k8s_pod_name="web-0",
        k8s_namespace_name="shop",
        kepler_state="running",
        kepler_zone="package",
        kepler_meter="rapl",
        kepler_provenance="measured",
    )
    assert series["kepler_pod_cpu_energy_joules_total"][pod] == 30.0
    process = labels(
        k8s_node_name=NODE,
        process_pid="42",
        process_executable_name="nginx",
        process_executable_path="/usr/bin/nginx",
        kepler_process_type="container",
        kepler_state="running",
        container_id=CONTAINER_ID,
        kepler_vm_id="",
        kepler_zone="dram",
        kepler_meter="rapl",
        kepler_provenance="measured",
    )
    assert series["kepler_process_cpu_power_watts"][process] == pytest.approx(0.6)
    node = series["kepler_node_cpu_energy_joules_total"]
    assert {dict(k)["kepler_zone_path"] for k in node} == {
        PACKAGE_PATH,
        "/sys/class/powercap/intel-rapl:0/dram",
    }


@pytest.mark.parametrize(
    ("naming", "key"), [("kepler", "node_name"), ("otel", "k8s_node_name")]
)
def test_every_series_carries_the_node_name(naming: Naming, key: str) -> None:
    for name, points in scrape(naming).items():
        for point in points:
            assert dict(point)[key] == NODE, name


def test_levels_switch_off_whole_families() -> None:
    node_only = set(scrape(levels=("node",)))
    assert node_only == {n for n in KEPLER_SERIES if n.startswith("kepler_node_")} | {
        "kepler_build_info"
    }

    pods_only = set(scrape(levels=("pod",)))
    assert pods_only == {
        "kepler_pod_cpu_joules_total",
        "kepler_pod_cpu_watts",
        "kepler_build_info",
    }

    assert set(scrape(levels=())) == {"kepler_build_info"}


def test_only_build_info_is_served_before_the_first_cycle() -> None:
    with serving(Published(None)) as (_, port):
        assert set(parse(get_text(port))) == {"kepler_build_info"}


def test_terminated_workload_is_shown_with_state_terminated() -> None:
    series = scrape()

    bash = labels(
        node_name=NODE,
        pid="9",
        comm="bash",
        exe="/usr/bin/bash",
        type="regular",
        state="terminated",
        container_id="",
        vm_id="",
        zone="package",
    )
    assert series["kepler_process_cpu_joules_total"][bash] == 5.0
    assert series["kepler_process_cpu_watts"][bash] == 0.0


def test_workload_gone_from_the_snapshot_disappears_from_the_next_scrape() -> None:
    first = full_snapshot()
    published = Published(first)
    with serving(published) as (_, port):
        before = parse(get_text(port))["kepler_process_cpu_joules_total"]
        published.snapshot = dataclasses.replace(
            first, cycle=4, processes=first.processes[:1]
        )
        after = parse(get_text(port))["kepler_process_cpu_joules_total"]

    assert {dict(k)["pid"] for k in before} == {"42", "77", "9"}
    assert {dict(k)["pid"] for k in after} == {"42"}


def test_workload_turning_terminated_changes_its_state_label() -> None:
    first = full_snapshot()
    published = Published(first)
    ended = dataclasses.replace(first.pods[0], state=State.TERMINATED)
    with serving(published, levels=("pod",)) as (_, port):
        get_text(port)
        published.snapshot = dataclasses.replace(first, cycle=4, pods=(ended,))
        pods = parse(get_text(port))["kepler_pod_cpu_joules_total"]

    assert {dict(k)["state"] for k in pods} == {"terminated"}


def test_estimated_zones_say_so() -> None:
    estimated = zone(
        "package", 50.0, 5.0, meter=MeterKind.MODEL, provenance=Provenance.ESTIMATED
    )
    snapshot = dataclasses.replace(
        full_snapshot(),
        zones=(estimated,),
        processes=(process(5, "job", (1.0,), (0.5,)),),
        containers=(),
        vms=(),
        pods=(),
    )
    with serving(Published(snapshot), "otel", levels=("node", "process")) as (_, p):
        series = parse(get_text(p))
    with serving(Published(snapshot), levels=("node",)) as (_, p):
        kepler = parse(get_text(p))

    (point,) = series["kepler_process_cpu_energy_joules_total"]
    assert dict(point)["kepler_meter"] == "model"
    assert dict(point)["kepler_provenance"] == "estimated"
    (info,) = kepler["kepler_node_cpu_zone_info"]
    assert dict(info)["provenance"] == "estimated"


def test_zone_change_relabels_workload_series() -> None:
    one_zone = dataclasses.replace(
        full_snapshot(),
        zones=(zone("package", 10.0, 1.0),),
        processes=(process(5, "job", (10.0,), (1.0,)),),
    )
    two_zones = dataclasses.replace(
        one_zone,
        cycle=4,
        zones=(zone("package", 20.0, 1.0), zone("dram", 4.0, 0.2)),
        processes=(process(5, "job", (12.0, 3.0), (1.0, 0.2)),),
    )
    published = Published(one_zone)
    with serving(published, levels=("process",)) as (_, port):
        get_text(port)
        published.snapshot = two_zones
        joules = parse(get_text(port))["kepler_process_cpu_joules_total"]

    assert {dict(k)["zone"]: v for k, v in joules.items()} == {
        "package": 12.0,
        "dram": 3.0,
    }


def test_process_churn_never_overflows_the_cardinality_limit() -> None:
    base = full_snapshot()
    published = Published()
    with serving(published, levels=("process",), cardinality_limit=100) as (_, port):
        for round_ in range(30):
            pids = range(round_ * 10, round_ * 10 + 10)
            published.snapshot = dataclasses.replace(
                base,
                cycle=round_ + 1,
                processes=tuple(process(p, "w", (1.0, 2.0), (0.1, 0.2)) for p in pids),
            )
            text = get_text(port)
            joules = parse(text)["kepler_process_cpu_joules_total"]

            assert "overflow" not in text
            assert {dict(k)["pid"] for k in joules} == {str(p) for p in pids}
            assert len(joules) == 20


def test_each_scrape_reads_one_snapshot() -> None:
    def snapshot_of(cycle: int) -> Snapshot:
        value = float(cycle)
        return dataclasses.replace(
            full_snapshot(cycle),
            zones=(zone("package", value, value),),
            processes=tuple(process(p, "w", (value,), (value,)) for p in range(1, 200)),
        )

    published = Published(snapshot_of(1))
    stop = threading.Event()

    def publish() -> None:
        cycle = 1
        while not stop.is_set():
            cycle += 1
            published.snapshot = snapshot_of(cycle)

    writer = threading.Thread(target=publish)
    with serving(published, levels=("node", "process")) as (_, port):
        writer.start()
        try:
            for _ in range(10):
                series = parse(get_text(port))
                values = {
                    *series["kepler_node_cpu_joules_total"].values(),
                    *series["kepler_process_cpu_joules_total"].values(),
                    *series["kepler_process_cpu_watts"].values(),
                }
                assert len(values) == 1
        finally:
            stop.set()
            writer.join()


def test_more_live_series_than_the_limit_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    snapshot = dataclasses.replace(
        full_snapshot(),
        processes=tuple(process(p, "w", (1.0, 2.0), (0.1, 0.2)) for p in range(10)),
    )
    published = Published(snapshot)
    caplog.set_level("WARNING", "otel_kepler.exporters.prometheus")
    with serving(published, levels=("process",), cardinality_limit=8) as (_, port):
        for _ in range(3):
            get_text(port)

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "20 processes series exceed the limit of 8; the rest are folded into one "
        "overflow series (switch levels off to shed them)"
    ]
