"""The service's contracts: build order, start/stop order, the cycle, publication."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any

from otel_kepler.component import (
    ComponentID,
    CreateSettings,
    Exporter,
    Factory,
    Host,
    Kind,
    Processor,
    Receiver,
    SystemClock,
)
from otel_kepler.config.loader import load
from otel_kepler.data.sample import NodeCPU, Sample
from otel_kepler.data.snapshot import Snapshot
from otel_kepler.errors import ComponentError
from otel_kepler.service.service import Service


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now


@dataclass(frozen=True)
class Empty:
    pass


class Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []


class CountingReceiver(Receiver):
    def __init__(self, cid: ComponentID, log: Recorder, fail: bool = False) -> None:
        self.cid, self.log, self.fail, self.ticks = cid, log, fail, 0

    def start(self, host: Host) -> None:
        self.log.events.append(f"start {self.cid}")

    def shutdown(self) -> None:
        self.log.events.append(f"stop {self.cid}")

    def collect(self, time_s: float, wall_s: float) -> Sample:
        if self.fail:
            raise ComponentError("meter gone")
        self.ticks += 1
        cpu = NodeCPU(total_s=10.0 * self.ticks, idle_s=5.0 * self.ticks, iowait_s=0)
        return Sample(time_s, wall_s, node_cpu=cpu, sources=(str(self.cid),))


class TaggingProcessor(Processor):
    def __init__(self, cid: ComponentID, log: Recorder) -> None:
        self.cid, self.log = cid, log

    def start(self, host: Host) -> None:
        self.log.events.append(f"start {self.cid}")

    def shutdown(self) -> None:
        self.log.events.append(f"stop {self.cid}")

    def process(self, snapshot: Snapshot) -> Snapshot:
        if self.cid.name == "broken":
            raise RuntimeError("bug")
        return replace(snapshot, usage_ratio=snapshot.usage_ratio + 1)


class KeepingExporter(Exporter):
    def __init__(self, cid: ComponentID, log: Recorder) -> None:
        self.cid, self.log = cid, log
        self.seen: list[Snapshot] = []
        self.host: Host | None = None

    def start(self, host: Host) -> None:
        self.host = host
        self.log.events.append(f"start {self.cid}")

    def shutdown(self) -> None:
        self.log.events.append(f"stop {self.cid}")

    def export(self, snapshot: Snapshot) -> None:
        assert self.host is not None and self.host.latest() is snapshot
        self.seen.append(snapshot)


def factories(log: Recorder) -> dict[tuple[Kind, str], Factory[Any]]:
    def make(kind: Kind, type_: str, cls: Any) -> Factory[Any]:
        def create(settings: CreateSettings, config: Empty) -> Any:
            if type_ == "bad":
                return cls(settings.id, log, fail=True)
            return cls(settings.id, log)

        return Factory(type_, kind, Empty, create, f"test {type_}")

    built = [
        make(Kind.RECEIVER, "count", CountingReceiver),
        make(Kind.RECEIVER, "bad", CountingReceiver),
        make(Kind.PROCESSOR, "tag", TaggingProcessor),
        make(Kind.EXPORTER, "keep", KeepingExporter),
    ]
    return {(f.kind, f.type): f for f in built}


def service(
    log: Recorder, receivers: list[str], processors: list[str], clock: FakeClock
) -> Service:
    document = {
        "receivers": {r: None for r in receivers},
        "processors": {p: None for p in processors},
        "exporters": {"keep": None},
        "service": {
            "node_name": "node-a",
            "pipelines": {
                "metrics": {
                    "receivers": receivers,
                    "processors": processors,
                    "exporters": ["keep"],
                    "interval": "1s",
                }
            },
        },
    }
    return Service(load(document, factories(log), env={}), clock)


def test_components_start_consumers_first_and_stop_in_reverse() -> None:
    log = Recorder()
    svc = service(log, ["count"], ["tag"], FakeClock())
    svc.start()
    svc.shutdown()
    svc.shutdown()
    assert log.events == [
        "start keep",
        "start tag",
        "start count",
        "stop count",
        "stop tag",
        "stop keep",
    ]


def test_shutdown_without_start_stops_nothing() -> None:
    log = Recorder()
    service(log, ["count"], [], FakeClock()).shutdown()
    assert log.events == []


def test_a_cycle_runs_processors_in_order_and_publishes_before_export() -> None:
    log, clock = Recorder(), FakeClock()
    svc = service(log, ["count"], ["tag", "tag/second"], clock)
    svc.start()
    assert svc.latest() is None

    first = svc.run_cycle()
    clock.now += 1.25
    second = svc.run_cycle()

    assert first is not None and second is not None
    assert (first.cycle, second.cycle) == (1, 2)
    assert (first.interval_s, second.interval_s) == (0.0, 1.25)
    assert second.usage_ratio == 2.0  # both processors ran
    assert second.node_name == "node-a"
    assert second.sample.sources == ("count",)
    assert svc.latest() is second
    exporter = svc.exporters[0]
    assert isinstance(exporter, KeepingExporter)
    assert exporter.seen == [first, second]


def test_a_failing_receiver_loses_only_its_own_part() -> None:
    log = Recorder()
    svc = service(log, ["count", "bad"], [], FakeClock())
    svc.start()
    snapshot = svc.run_cycle()
    assert snapshot is not None
    assert snapshot.sample.sources == ("count",)


def test_a_failing_processor_keeps_the_previous_snapshot_published() -> None:
    log = Recorder()
    svc = service(log, ["count"], ["tag/broken"], FakeClock())
    svc.start()
    assert svc.run_cycle() is None
    assert svc.latest() is None


def test_run_stops_promptly_when_asked() -> None:
    log = Recorder()
    svc = Service(service(log, ["count"], [], FakeClock())._config, SystemClock())
    svc.start()
    stop = threading.Event()
    worker = threading.Thread(target=svc.run, args=(stop,))
    worker.start()
    stop.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert svc.latest() is not None
