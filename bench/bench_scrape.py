"""Cost of one Prometheus scrape of the agent, beside plain prometheus_client.

    .venv/bin/python bench/bench_scrape.py [--processes 1000] [--rounds 40]
                                           [--profile 20]

The agent side is the real `PrometheusExporter` (OpenTelemetry SDK
instruments read by `PrometheusMetricReader`), started on a free loopback
port and fed one published snapshot: 1,000 processes x 3 zones, with
containers, pods and two VMs. The reference is what a hand-written exporter
needs: a custom `prometheus_client` collector on its own registry and
server that turns the same snapshot into the same series (same names,
labels and values) on every scrape. Before timing, both expositions are
parsed and their series compared, so the two serve exactly the same thing.

Timed are real HTTP GETs of /metrics from this process, interleaved (the
order flips every round), so machine noise hits both alike. Target
(design.md §7): a scrape costs at most 1.5x the plain one.

`--profile N` then runs N scrapes of the agent's collector under cProfile
(in this thread, no HTTP) and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from benchlib import free_port, scrape
from prometheus_client import CollectorRegistry, generate_latest, start_http_server
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.parser import text_string_to_metric_families

import otel_kepler
from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.data.metrics import (
    METRICS,
    NODE_NAME,
    WORKLOAD_LABELS,
    ZONE,
    MetricDef,
    cpu_labels,
    zone_labels,
)
from otel_kepler.data.sample import (
    ContainerRef,
    ContainerRuntime,
    CPUInfo,
    MeterKind,
    PodRef,
    ProcessInfo,
    Provenance,
    Sample,
    VMRef,
)
from otel_kepler.data.snapshot import (
    NodeZone,
    RefT,
    Snapshot,
    State,
    WorkloadEnergy,
)
from otel_kepler.exporters.prometheus.config import PrometheusConfig
from otel_kepler.exporters.prometheus.exporter import PrometheusExporter

TARGET_RATIO = 1.5
NODE = "bench-node"
ZONES = ("package", "core", "dram")
PROCESSES_PER_CONTAINER = 4
CONTAINERS_PER_POD = 2


def build_snapshot(processes: int) -> Snapshot:
    """A snapshot of `processes` processes x 3 zones; most in containers.

    Three processes in four are in containers (four per container, two
    containers per pod); a few of the rest run two VMs; one process in
    twenty is terminated.
    """
    zones = tuple(_zone(name, 1000.0 * (i + 1)) for i, name in enumerate(ZONES))
    in_containers = processes * 3 // 4 // PROCESSES_PER_CONTAINER
    pods = [
        PodRef(f"pod-uid-{i:05d}", f"web-{i}", f"ns-{i % 7}")
        for i in range(in_containers // CONTAINERS_PER_POD + 1)
    ]
    containers = [
        ContainerRef(
            f"{i:064x}",
            ContainerRuntime.CONTAINERD,
            pods[i // CONTAINERS_PER_POD].uid,
            f"app-{i}",
        )
        for i in range(in_containers)
    ]
    vms = [VMRef(f"vm-uuid-{i}", f"guest{i}", "kvm") for i in range(2)]
    procs = [_process(pid, containers, vms) for pid in range(1, processes + 1)]
    return Snapshot(
        sample=Sample(
            time_s=60.0,
            wall_s=1_700_000_000.0,
            cpu_info=tuple(
                CPUInfo(str(i), "GenuineIntel", "Xeon", "0", str(i)) for i in range(2)
            ),
        ),
        cycle=12,
        interval_s=5.0,
        node_name=NODE,
        zones=zones,
        usage_ratio=0.37,
        processes=tuple(procs),
        containers=tuple(_energy(c, i) for i, c in enumerate(containers)),
        vms=tuple(_energy(v, i) for i, v in enumerate(vms)),
        pods=tuple(_energy(p, i) for i, p in enumerate(pods)),
    )


def _zone(name: str, energy_j: float) -> NodeZone:
    return NodeZone(
        zone=name,
        path=f"/sys/class/powercap/intel-rapl:0/{name}",
        meter=MeterKind.RAPL,
        provenance=Provenance.MEASURED,
        energy_j=energy_j,
        active_energy_j=energy_j * 0.6,
        idle_energy_j=energy_j * 0.4,
        unattributed_energy_j=energy_j * 0.05,
        power_w=energy_j / 60,
        active_power_w=energy_j / 100,
        idle_power_w=energy_j / 150,
        unattributed_power_w=energy_j / 1200,
    )


def _process(
    pid: int, containers: list[ContainerRef], vms: list[VMRef]
) -> WorkloadEnergy[ProcessInfo]:
    index = pid - 1
    container = None
    if index < len(containers) * PROCESSES_PER_CONTAINER:
        container = containers[index // PROCESSES_PER_CONTAINER]
    in_vm = index >= len(containers) * PROCESSES_PER_CONTAINER and pid % 97 == 0
    vm = vms[pid % len(vms)] if in_vm else None
    comm = "qemu-kvm" if vm else f"worker-{pid % 50}"
    info = ProcessInfo(pid, pid * 13, comm, f"/usr/bin/{comm}", container, vm)
    state = State.TERMINATED if pid % 20 == 0 else State.RUNNING
    return WorkloadEnergy(info, state, pid * 0.01, *_per_zone(pid))


def _energy(ref: RefT, i: int) -> WorkloadEnergy[RefT]:
    return WorkloadEnergy(ref, State.RUNNING, 3.0 + i, *_per_zone(i + 7))


def _per_zone(seed: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    energy_j = tuple(seed * 0.137 * (z + 1) for z in range(len(ZONES)))
    power_w = tuple(seed * 0.0021 * (z + 1) for z in range(len(ZONES)))
    return energy_j, power_w


Family = CounterMetricFamily | GaugeMetricFamily


class PlainCollector:
    """The same series as the agent's, built with prometheus_client alone.

    It reads the metric table the exporter is built from (names, labels,
    which snapshot part holds the value), so only the machinery differs.
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        for metric in METRICS:
            yield self._family(metric)

    def _family(self, metric: MetricDef) -> Family:
        name = metric.exposed_name("kepler")
        label_names = metric.label_names("kepler")
        family = (
            CounterMetricFamily(name, metric.description, labels=label_names)
            if metric.kind == "counter"
            else GaugeMetricFamily(name, metric.description, labels=label_names)
        )
        keys = metric.label_keys("kepler")
        snapshot = self._snapshot
        source = metric.source
        if source == "build":
            build = {"version": otel_kepler.__version__, "revision": ""}
            family.add_metric(_values(keys, build), 1)
        elif source == "node":
            family.add_metric(_values(keys, {}), getattr(snapshot, metric.value))
        elif source == "cpu_info":
            for cpu in snapshot.sample.cpu_info:
                family.add_metric(_values(keys, cpu_labels(cpu)), 1)
        elif source == "zones":
            for zone in snapshot.zones:
                value = getattr(zone, metric.value) if metric.value else 1
                family.add_metric(_values(keys, zone_labels(zone)), value)
        else:
            self._workloads(family, metric, keys)
        return family

    def _workloads(
        self, family: Family, metric: MetricDef, keys: tuple[str, ...]
    ) -> None:
        labels_of = WORKLOAD_LABELS[metric.source]
        zones = self._snapshot.zone_names
        for workload in getattr(self._snapshot, metric.source):
            labels = labels_of(workload)
            value = getattr(workload, metric.value)
            if ZONE not in keys:
                family.add_metric(_values(keys, labels), value)
                continue
            for zone, number in zip(zones, value, strict=True):
                labels[ZONE] = zone
                family.add_metric(_values(keys, labels), number)


def _values(keys: tuple[str, ...], labels: Mapping[str, str | int]) -> list[str]:
    return [NODE if key == NODE_NAME else str(labels[key]) for key in keys]


def timed_get(port: int) -> float:
    start = time.perf_counter()
    scrape(port)
    return time.perf_counter() - start


Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: bytes) -> Series:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text.decode())
        for sample in family.samples
    }


def same_series(agent: bytes, plain: bytes) -> int:
    """Return the number of series, or exit if the two expositions differ."""
    ours, theirs = parse(agent), parse(plain)
    only_agent = ours.keys() - theirs.keys()
    only_plain = theirs.keys() - ours.keys()
    unequal = [k for k in ours.keys() & theirs.keys() if ours[k] != theirs[k]]
    if only_agent or only_plain or unequal:
        for label, keys in (
            ("only in the agent's", only_agent),
            ("only in the plain", only_plain),
            ("different values", unequal),
        ):
            for key in sorted(keys, key=str)[:5]:
                print(f"{label}: {key[0]} {dict(key[1])}")
        raise SystemExit("the expositions differ; the comparison would be unfair")
    return len(ours)


def start_plain(snapshot: Snapshot, port: int) -> tuple[WSGIServer, CollectorRegistry]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlainCollector(snapshot))
    server, _thread = start_http_server(port, "127.0.0.1", registry=registry)
    return server, registry


PHASES = {
    "agent": (
        ("exposition.py", "generate_latest", "whole scrape"),
        ("measurement_consumer.py", "collect", "SDK: callbacks and aggregation"),
        ("exporter.py", "observe", "  of which our callbacks"),
        ("prometheus/__init__.py", "_translate_to_prometheus", "reader: to families"),
    ),
    "plain": (
        ("exposition.py", "generate_latest", "whole scrape"),
        ("bench_scrape.py", "_family", "collector: to families"),
    ),
}
"""Per collector: (file suffix, function, label) of the phases to report."""


def profile(exporter: PrometheusExporter, plain: CollectorRegistry, n: int) -> None:
    """Run `n` scrapes of each collector under cProfile, without HTTP.

    Prints each phase's cumulative time per scrape; the rest of a scrape
    is prometheus_client writing the text. Profiling slows Python calls
    unevenly, so read the shares, not the milliseconds.
    """
    agent = CollectorRegistry(auto_describe=False)
    # NOTE: the exporter keeps its collector private; the profile needs it
    # without the HTTP server around it.
    agent.register(exporter._scrape)  # type: ignore[arg-type]
    for label, registry in (("agent", agent), ("plain", plain)):
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(n):
            generate_latest(registry)
        profiler.disable()
        stats = pstats.Stats(profiler)
        times = [_cumulative_s(stats, f, fn) / n for f, fn, _ in PHASES[label]]
        print(f"\n{label}, under cProfile, {n} scrapes:")
        phases = [
            (phase, t) for (_, _, phase), t in zip(PHASES[label], times, strict=True)
        ]
        rest_s = times[0] - sum(t for p, t in phases[1:] if not p.startswith(" "))
        for phase, time_s in [*phases, ("prometheus_client: text", rest_s)]:
            share = f"{time_s / times[0]:.0%}"
            print(f"  {phase + ':':<36}{time_s * 1e3:8.1f} ms {share:>5}")
        if label == "agent":
            print("  functions by own time:")
            stats.sort_stats("tottime").print_stats(12)


def _cumulative_s(stats: pstats.Stats, file_suffix: str, function: str) -> float:
    table = stats.stats  # type: ignore[attr-defined]
    return float(
        sum(
            row[3]
            for (path, _line, name), row in table.items()
            if path.endswith(file_suffix) and name == function
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()

    snapshot = build_snapshot(args.processes)
    agent_port, plain_port = free_port(), free_port()
    exporter = PrometheusExporter(
        CreateSettings(ComponentID("prometheus"), NODE, SystemClock()),
        PrometheusConfig(endpoint=f"127.0.0.1:{agent_port}"),
    )
    exporter.start(Host(node_name=NODE, latest=lambda: snapshot))
    server, plain_registry = start_plain(snapshot, plain_port)
    try:
        first_s = timed_get(agent_port)  # builds the exporter's label cache
        series = same_series(scrape(agent_port), scrape(plain_port))
        sizes = len(scrape(agent_port)), len(scrape(plain_port))
        agent_s, plain_s = [], []
        for round_ in range(args.rounds):
            if round_ % 2:
                plain_s.append(timed_get(plain_port))
                agent_s.append(timed_get(agent_port))
            else:
                agent_s.append(timed_get(agent_port))
                plain_s.append(timed_get(plain_port))
        if args.profile:
            profile(exporter, plain_registry, args.profile)
    finally:
        exporter.shutdown()
        server.shutdown()
        server.server_close()

    report(
        args,
        snapshot,
        series=series,
        sizes=sizes,
        first_s=first_s,
        agent_s=agent_s,
        plain_s=plain_s,
    )


def report(
    args: argparse.Namespace,
    snapshot: Snapshot,
    *,
    series: int,
    sizes: tuple[int, int],
    first_s: float,
    agent_s: list[float],
    plain_s: list[float],
) -> None:
    agent_ms = statistics.median(agent_s) * 1e3
    plain_ms = statistics.median(plain_s) * 1e3
    ratio = agent_ms / plain_ms
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    workloads = (
        f"{len(snapshot.processes)} processes x {len(snapshot.zones)} zones, "
        f"{len(snapshot.containers)} containers, {len(snapshot.pods)} pods, "
        f"{len(snapshot.vms)} VMs"
    )
    rows = [
        ("snapshot", workloads),
        ("series in each exposition", f"{series} (same names, labels, values)"),
        ("exposition size agent / plain", f"{sizes[0]} / {sizes[1]} bytes"),
        ("rounds (interleaved)", f"{args.rounds}"),
        ("plain prometheus_client, median", f"{plain_ms:.2f} ms"),
        ("agent scrape, median", f"{agent_ms:.2f} ms"),
        (
            "plain / agent, minimum",
            f"{min(plain_s) * 1e3:.2f} / {min(agent_s) * 1e3:.2f} ms",
        ),
        ("first agent scrape (label cache)", f"{first_s * 1e3:.2f} ms"),
        (
            "ratio agent / plain",
            f"{ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)",
        ),
    ]
    for label, value in rows:
        print(f"{label + ':':<36}{value}")


if __name__ == "__main__":
    main()
