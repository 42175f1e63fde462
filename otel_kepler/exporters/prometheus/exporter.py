"""The prometheus exporter: serves the latest snapshot at scrape time.

Every metric of `metrics.METRICS` in an enabled level is an observable
OpenTelemetry instrument of a private `MeterProvider`, read by the SDK's
`PrometheusMetricReader` and served by `prometheus_client`'s HTTP server.
A scrape reads `host.latest()` once, so all its series describe the same
cycle; the callbacks only turn that snapshot into observations.

NOTE: the SDK keeps an aggregation for every attribute set an observable
instrument ever reported, so process churn would grow memory without end
and, past the cardinality limit, fold new series into an overflow series.
The exporter therefore counts the label sets it has built and, once they
outnumber the live ones by far, swaps in a fresh reader (dropping the SDK's
state) and forgets its own label cache. Values are cumulative in the
snapshot, so nothing is lost by the swap.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from operator import attrgetter
from typing import Any
from wsgiref.simple_server import WSGIServer

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
)
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import Metric

import otel_kepler
from otel_kepler.component import CreateSettings, Exporter, Host
from otel_kepler.data.metrics import (
    LABELS,
    METRICS,
    NODE_NAME,
    WORKLOAD_LABELS,
    ZONE,
    ZONE_EXTRAS,
    AttributeValue,
    MetricDef,
    Naming,
    cpu_labels,
    zone_labels,
)
from otel_kepler.data.snapshot import Snapshot
from otel_kepler.errors import ComponentError
from otel_kepler.exporters.prometheus.config import PrometheusConfig, parse_endpoint

_logger = logging.getLogger(__name__)

CARDINALITY_LIMIT = 1_000_000
"""Series per instrument before the SDK folds them into an overflow series.

The reader swap keeps the SDK's state within about twice the live series,
so this only has to exceed the largest node: 100,000 processes x 4 zones.
"""
RENEW_SLACK = 1024
"""Stale label sets tolerated beyond twice the live ones before a swap."""

Attributes = dict[str, AttributeValue]


class _Plan:
    """What one metric's callback needs, worked out once at start."""

    __slots__ = ("group", "keys", "metric", "name", "value", "zoned")

    def __init__(self, metric: MetricDef, naming: Naming) -> None:
        self.metric = metric
        self.name = metric.instrument_name(naming)
        self.zoned = ZONE in metric.labels
        zone_keys = {ZONE, *ZONE_EXTRAS} if self.zoned else set()
        self.keys = tuple(
            (key, LABELS[key].name(naming))
            for key in metric.label_keys(naming)
            if key not in zone_keys or metric.source == "zones"
        )
        self.value = attrgetter(metric.value) if metric.value else None
        self.group = (metric.source, metric.labels)


class Observer:
    """Turns the snapshot of the current scrape into observations.

    Label dicts of workloads are built once per (workload, state) and kept
    until the next renewal; callers must hold one lock around `begin`, the
    callbacks and the end of a scrape.
    """

    def __init__(self, naming: Naming, node_name: str, limit: int) -> None:
        self._naming = naming
        self._node_name = node_name
        self._limit = limit
        self._snapshot: Snapshot | None = None
        self._zone_key: tuple[tuple[str, str, str], ...] = ()
        self._zone_attrs: tuple[Attributes, ...] = ()
        self._zones_changed = False
        self._cache: dict[tuple[Any, ...], dict[Any, tuple[Attributes, ...]]] = {}
        self._warned_limit = False

    def begin(self, snapshot: Snapshot | None) -> None:
        """Take the snapshot every callback of this scrape will read."""
        self._snapshot = snapshot
        if snapshot is None:
            return
        zone_key = tuple(
            (z.zone, z.meter.value, z.provenance.value) for z in snapshot.zones
        )
        if zone_key != self._zone_key:
            self._zones_changed = bool(self._cache)
            self._zone_key = zone_key
            self._zone_attrs = tuple(self._zone_point(z) for z in zone_key)
            self._cache.clear()

    def needs_renewal(self) -> bool:
        """Whether the reader's state should be dropped before this scrape.

        True when the zones changed, when the label sets built since the
        last renewal outnumber twice the live ones by `RENEW_SLACK`, or when
        this scrape could push an instrument past the cardinality limit.
        """
        if self._zones_changed:
            return True
        snapshot = self._snapshot
        if snapshot is None:
            return False
        for (source, labels), entries in self._cache.items():
            points = len(self._zone_attrs) if ZONE in labels else 1
            live = len(getattr(snapshot, source)) * points
            built = len(entries) * points
            if live > self._limit and not self._warned_limit:
                self._warned_limit = True
                _logger.warning(
                    "%d %s series exceed the limit of %d; the rest are folded "
                    "into one overflow series (switch levels off to shed them)",
                    live,
                    source,
                    self._limit,
                )
            crowded = live <= self._limit < built + live
            if built > 2 * live + RENEW_SLACK or crowded:
                return True
        return False

    def forget(self) -> None:
        """Drop every cached label set, after the reader's state was dropped."""
        self._cache.clear()
        self._zones_changed = False

    def observe(self, plan: _Plan) -> list[Observation]:
        source = plan.metric.source
        if source == "build":
            values: Attributes = {"version": otel_kepler.__version__, "revision": ""}
            return [Observation(1, self._attributes(plan, values))]
        snapshot = self._snapshot
        if snapshot is None:
            return []
        if source == "node":
            value = getattr(snapshot, plan.metric.value)
            return [Observation(value, self._attributes(plan, {}))]
        if source == "cpu_info":
            cpus = snapshot.sample.cpu_info
            return [Observation(1, self._attributes(plan, cpu_labels(c))) for c in cpus]
        if source == "zones":
            get = plan.value or (lambda zone: 1)
            return [
                Observation(get(z), self._attributes(plan, zone_labels(z)))
                for z in snapshot.zones
            ]
        return self._workload_observations(plan, getattr(snapshot, source))

    def _workload_observations(
        self, plan: _Plan, workloads: Iterable[Any]
    ) -> list[Observation]:
        cache = self._cache.setdefault(plan.group, {})
        labels = WORKLOAD_LABELS[plan.metric.source]
        value = plan.value
        assert value is not None  # every workload metric has a value
        out: list[Observation] = []
        append = out.append
        for workload in workloads:
            key = (workload.ref, workload.state)
            points = cache.get(key)
            if points is None:
                points = cache[key] = self._points(plan, labels(workload))
            if plan.zoned:
                for attributes, number in zip(points, value(workload), strict=False):
                    append(Observation(number, attributes))
            else:
                append(Observation(value(workload), points[0]))
        return out

    def _points(self, plan: _Plan, values: Attributes) -> tuple[Attributes, ...]:
        base = self._attributes(plan, values)
        if not plan.zoned:
            return (base,)
        return tuple({**base, **zone} for zone in self._zone_attrs)

    def _attributes(self, plan: _Plan, values: Attributes) -> Attributes:
        node_name = self._node_name
        return {
            name: node_name if key == NODE_NAME else values[key]
            for key, name in plan.keys
        }

    def _zone_point(self, zone: tuple[str, str, str]) -> Attributes:
        """The zone's own labels on a workload point."""
        keys = (ZONE, *ZONE_EXTRAS) if self._naming == "otel" else (ZONE,)
        return {
            LABELS[key].name(self._naming): value
            for key, value in zip(keys, zone, strict=False)
        }


class _Scrape:
    """The collector `prometheus_client` serves: one snapshot per scrape.

    It owns the reader, so it can swap it for a fresh one between scrapes.
    """

    def __init__(
        self, provider: MeterProvider, observer: Observer, host: Host, limit: int
    ) -> None:
        self._provider = provider
        self._observer = observer
        self._host = host
        self._limit = limit
        self._lock = threading.Lock()
        self._reader, self._reader_registry = _new_reader(limit)
        provider.add_metric_reader(self._reader)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            started_s = time.perf_counter()
            snapshot = self._host.latest()
            self._observer.begin(snapshot)
            try:
                if self._observer.needs_renewal():
                    self._renew()
                families = list(self._reader_registry.collect())
            finally:
                self._observer.begin(None)
        _logger.debug(
            "scrape of cycle %s: %d series in %.1f ms",
            snapshot.cycle if snapshot else "none",
            sum(len(f.samples) for f in families),
            (time.perf_counter() - started_s) * 1e3,
        )
        return iter(families)

    def close(self) -> None:
        """Detach the reader from the provider."""
        with self._lock:
            self._provider.remove_metric_reader(self._reader)

    def _renew(self) -> None:
        old = self._reader
        self._reader, self._reader_registry = _new_reader(self._limit)
        self._provider.add_metric_reader(self._reader)
        self._provider.remove_metric_reader(old)
        self._observer.forget()
        _logger.debug("dropped the series state of departed workloads")


def _new_reader(limit: int) -> tuple[PrometheusMetricReader, CollectorRegistry]:
    registry = CollectorRegistry(auto_describe=False)
    reader = PrometheusMetricReader(
        disable_target_info=True,
        scope_info_enabled=False,
        registry=registry,
        cardinality_limits={
            ObservableCounter: limit,
            ObservableGauge: limit,
        },
    )
    return reader, registry


class PrometheusExporter(Exporter):
    """Serves the latest snapshot in Kepler's or OpenTelemetry's names."""

    def __init__(
        self,
        settings: CreateSettings,
        config: PrometheusConfig,
        *,
        cardinality_limit: int = CARDINALITY_LIMIT,
    ) -> None:
        self._id = str(settings.id)
        self._cardinality_limit = cardinality_limit
        self._config = config
        try:
            self._listen_host, self._port = parse_endpoint(config.endpoint)
        except ValueError as error:
            raise ComponentError(f"{self._id}: {error} ({config.endpoint})") from None
        self._metrics = tuple(
            m for m in METRICS if m.level is None or m.level in config.levels
        )
        self._provider: MeterProvider | None = None
        self._scrape: _Scrape | None = None
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def metrics(self) -> tuple[MetricDef, ...]:
        """The metrics this exporter serves, given its levels."""
        return self._metrics

    @property
    def address(self) -> tuple[str, int] | None:
        """The (host, port) the server listens on; None when not serving."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def start(self, host: Host) -> None:
        naming = self._config.naming
        provider = MeterProvider(
            resource=Resource.get_empty(),
            exemplar_filter=AlwaysOffExemplarFilter(),
            shutdown_on_exit=False,
        )
        observer = Observer(naming, host.node_name, self._cardinality_limit)
        meter = provider.get_meter("otel_kepler.exporters.prometheus")
        for metric in self._metrics:
            _instrument(meter, _Plan(metric, naming), observer)
        scrape = _Scrape(provider, observer, host, self._cardinality_limit)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(scrape)
        listen = self._listen_host or "0.0.0.0"
        shown = f"[{listen}]" if ":" in listen else listen
        try:
            self._server, self._thread = start_http_server(
                self._port, listen, registry=registry
            )
        except OSError as error:
            scrape.close()
            provider.shutdown()
            reason = error.strerror or str(error)
            raise ComponentError(
                f"{self._id}: cannot listen on {self._config.endpoint}: {reason}"
            ) from error
        self._provider, self._scrape = provider, scrape
        _logger.info(
            "%s: serving %d metrics (naming %s, levels %s) on http://%s:%d/metrics",
            self._id,
            len(self._metrics),
            naming,
            ", ".join(self._config.levels) or "none",
            shown,
            self._port,
        )

    def export(self, snapshot: Snapshot) -> None:
        """Nothing to do: scrapes read the published snapshot themselves."""

    def shutdown(self) -> None:
        server, thread = self._server, self._thread
        provider, scrape = self._provider, self._scrape
        self._server = self._thread = self._provider = self._scrape = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if scrape is not None:
            scrape.close()
        if provider is not None:
            provider.shutdown()
            _logger.info("%s: stopped serving metrics", self._id)


def _instrument(meter: Meter, plan: _Plan, observer: Observer) -> None:
    def callback(options: CallbackOptions) -> list[Observation]:
        return observer.observe(plan)

    metric = plan.metric
    create = (
        meter.create_observable_counter
        if metric.kind == "counter"
        else meter.create_observable_gauge
    )
    create(
        plan.name,
        callbacks=[callback],
        unit=metric.unit,
        description=metric.description,
    )
