"""A whole pipeline built from a config document, and checks on what it serves.

`running` builds and starts the real `Service` (every component from the
built-in factories, Prometheus on a loopback port) and stops it after.
`Published` checks every snapshot the service publishes against the
attribution identities; `node_identities` checks the same identities on a
real scrape of the exposition.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from otel_kepler.component import Clock
from otel_kepler.components import builtin_factories
from otel_kepler.config.loader import load
from otel_kepler.data.snapshot import Snapshot
from otel_kepler.processors.attribution.processor import AttributionProcessor
from otel_kepler.service.service import Service
from tests.exporters.helpers import Series, get_text, parse
from tests.processors.attribution.helpers import assert_close, check

NODE = "node-e2e"
KEEP_ALL = {"max_count": 1_000_000, "min_energy_j": 0.0}
"""Retention of terminated workloads under which nothing is evicted."""

Labels = frozenset[tuple[str, str]]


def document(receivers: Mapping[str, Any], port: int, interval: str) -> dict[str, Any]:
    """A pipeline: `receivers`, attribution keeping every ended workload, and
    prometheus on 127.0.0.1:`port`."""
    return {
        "receivers": dict(receivers),
        "processors": {"attribution": {"terminated": dict(KEEP_ALL)}},
        "exporters": {"prometheus": {"endpoint": f"127.0.0.1:{port}"}},
        "service": {
            "node_name": NODE,
            "pipelines": {
                "metrics": {
                    "receivers": list(receivers),
                    "processors": ["attribution"],
                    "exporters": ["prometheus"],
                    "interval": interval,
                }
            },
        },
    }


@contextmanager
def running(config: Mapping[str, Any], clock: Clock) -> Iterator[Service]:
    """The started service of `config`; shut down when the block ends."""
    service = Service(load(config, builtin_factories(), env={}), clock)
    service.start()
    try:
        yield service
    finally:
        service.shutdown()


@dataclass
class Published:
    """Runs cycles of a service and checks each published snapshot.

    Every snapshot must satisfy the identities of design.md §3, and no
    workload's totals may fall since the one before.
    """

    service: Service
    last: Snapshot | None = None

    def cycle(self) -> Snapshot:
        snapshot = self.service.run_cycle()
        assert snapshot is not None, "the cycle published nothing"
        assert self.service.latest() is snapshot
        check(snapshot, self.last, self.attribution.evicted_energy_j)
        assert not any(self.attribution.evicted_energy_j), "a process was evicted"
        self.last = snapshot
        return snapshot

    @property
    def attribution(self) -> AttributionProcessor:
        (processor,) = self.service.processors
        assert isinstance(processor, AttributionProcessor)
        return processor


def scrape(port: int) -> Series:
    """GET /metrics from the service's exporter over HTTP, parsed."""
    return parse(get_text(port))


def select(series: Series, name: str, **labels: str) -> dict[Labels, float]:
    """The samples of `name` whose labels include `labels`."""
    wanted = labels.items()
    return {
        key: value
        for key, value in series.get(name, {}).items()
        if all(pair in key for pair in wanted)
    }


def value(series: Series, name: str, **labels: str) -> float:
    """The one sample of `name` matching `labels`."""
    found = select(series, name, **labels)
    assert len(found) == 1, f"{name} {labels}: {len(found)} samples, not one"
    return next(iter(found.values()))


def node_identities(series: Series, zones: tuple[str, ...]) -> None:
    """Per zone, on a scrape: total = active + idle (joules and watts) and
    active joules = the sum of every process's joules + unattributed."""
    for zone in zones:
        for unit in ("joules_total", "watts"):
            total = value(series, f"kepler_node_cpu_{unit}", zone=zone)
            active = value(series, f"kepler_node_cpu_active_{unit}", zone=zone)
            idle = value(series, f"kepler_node_cpu_idle_{unit}", zone=zone)
            assert_close(active + idle, total, f"{zone} {unit}: active + idle")

        processes = select(series, "kepler_process_cpu_joules_total", zone=zone)
        unattributed = value(
            series, "kepler_node_cpu_unattributed_joules_total", zone=zone
        )
        active = value(series, "kepler_node_cpu_active_joules_total", zone=zone)
        parts = sum(processes.values()) + unattributed
        assert_close(parts, active, f"{zone}: processes + unattributed", parts)


def counters(series: Series) -> dict[tuple[str, Labels], float]:
    """Every counter sample, keyed without `state`: a workload that ends
    keeps its identity."""
    out: dict[tuple[str, Labels], float] = {}
    for name, samples in series.items():
        if not name.endswith("_total"):
            continue
        for key, sample_value in samples.items():
            out[(name, frozenset(p for p in key if p[0] != "state"))] = sample_value
    return out


def never_backwards(before: Series, now: Series) -> None:
    """No counter served in `before` is lower, or missing, in `now`."""
    old, new = counters(before), counters(now)
    for key, old_value in old.items():
        assert key in new, f"{key} disappeared"
        assert new[key] >= old_value, f"{key} went back: {old_value} -> {new[key]}"


def node_names(series: Series) -> set[str]:
    """The node_name of every kepler_ sample ("" where it has none)."""
    return {
        dict(key).get("node_name", "")
        for name, samples in series.items()
        if name.startswith("kepler_")
        for key in samples
    }


def spin(seconds: float) -> None:
    """Keep this process busy for `seconds`, so the node has active energy."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
