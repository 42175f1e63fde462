"""The service: builds the pipeline, runs its cycle, starts and stops it.

Order matters both ways. Components start consumers first (extensions,
exporters, processors, then receivers), so nothing produces data before
its consumer is ready, and stop in the reverse order.

One clock drives the cycle (design.md §2): sample every receiver, run the
processors over the sample, publish the snapshot with one reference swap,
then hand it to every exporter. Pull exporters read `latest()` at scrape
time and so always see a whole snapshot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TypeVar

from otel_kepler.component import (
    Clock,
    Component,
    CreateSettings,
    Exporter,
    Extension,
    Host,
    Processor,
    Receiver,
)
from otel_kepler.config.loader import AgentConfig, ComponentConfig
from otel_kepler.data.sample import Sample
from otel_kepler.data.snapshot import Snapshot
from otel_kepler.errors import ComponentError, KeplerError

_logger = logging.getLogger(__name__)

C = TypeVar("C", bound=Component)


class Service:
    """A built pipeline. `start()`, then `run_cycle()` per tick or `run()`."""

    def __init__(self, config: AgentConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._node_name = config.node_name
        self.receivers = [self._build(c, Receiver) for c in config.receivers]
        self.processors = [self._build(c, Processor) for c in config.processors]
        self.exporters = [self._build(c, Exporter) for c in config.exporters]
        self.extensions = [self._build(c, Extension) for c in config.extensions]
        self._ids = {
            id(comp): str(cfg.id)
            for comps, cfgs in (
                (self.receivers, config.receivers),
                (self.processors, config.processors),
                (self.exporters, config.exporters),
                (self.extensions, config.extensions),
            )
            for comp, cfg in zip(comps, cfgs, strict=True)
        }
        self._latest: Snapshot | None = None
        self._started: list[Component] = []
        self._cycle = 0
        self._last_time_s: float | None = None

    def _build(self, entry: ComponentConfig, role: type[C]) -> C:
        settings = CreateSettings(entry.id, self._node_name, self._clock)
        component = entry.factory.build(settings, entry.config)
        if not isinstance(component, role):
            raise ComponentError(
                f"{entry.id}: factory built a {type(component).__name__}, "
                f"not a {role.__name__}"
            )
        return component

    def latest(self) -> Snapshot | None:
        """The last published snapshot; None before the first cycle."""
        return self._latest

    @property
    def interval_s(self) -> float:
        return self._config.interval_s

    def start(self) -> None:
        """Start every component, consumers first; undo all on a failure."""
        host = Host(node_name=self._node_name, latest=self.latest)
        order: Sequence[Component] = [
            *self.extensions,
            *self.exporters,
            *self.processors,
            *self.receivers,
        ]
        for component in order:
            try:
                component.start(host)
            except Exception:
                self.shutdown()
                raise
            self._started.append(component)
            _logger.debug("started %s", self._ids[id(component)])

    def shutdown(self) -> None:
        """Stop started components in reverse order; safe to call twice."""
        while self._started:
            component = self._started.pop()
            try:
                component.shutdown()
            except Exception:
                _logger.exception("shutdown of %s failed", self._ids[id(component)])

    def run_cycle(self) -> Snapshot | None:
        """Sample, process, publish and export once; return what is published."""
        time_s, wall_s = self._clock.monotonic(), self._clock.wall()
        parts = [self._collect(r, time_s, wall_s) for r in self.receivers]
        sample = Sample.merge(time_s, wall_s, (p for p in parts if p is not None))

        self._cycle += 1
        interval_s = 0.0 if self._last_time_s is None else time_s - self._last_time_s
        self._last_time_s = time_s
        snapshot = Snapshot(
            sample=sample,
            cycle=self._cycle,
            interval_s=interval_s,
            node_name=self._node_name,
        )
        for processor in self.processors:
            try:
                snapshot = processor.process(snapshot)
            except Exception:
                _logger.exception(
                    "processor %s failed; cycle %d is not published",
                    self._ids[id(processor)],
                    self._cycle,
                )
                return self._latest

        self._latest = snapshot  # NOTE: the one atomic publication of a cycle
        for exporter in self.exporters:
            self._export(exporter, snapshot)
        return snapshot

    def _collect(
        self, receiver: Receiver, time_s: float, wall_s: float
    ) -> Sample | None:
        try:
            return receiver.collect(time_s, wall_s)
        except KeplerError as e:
            _logger.error(
                "receiver %s failed; its data is missing from cycle %d: %s",
                self._ids[id(receiver)],
                self._cycle + 1,
                e,
            )
            return None

    def _export(self, exporter: Exporter, snapshot: Snapshot) -> None:
        try:
            exporter.export(snapshot)
        except Exception:
            _logger.exception(
                "exporter %s failed on cycle %d",
                self._ids[id(exporter)],
                snapshot.cycle,
            )

    def run(self, stop: threading.Event) -> None:
        """Run cycles at a fixed rate until `stop` is set; ticks never pile up."""
        interval_s = self.interval_s
        next_tick = self._clock.monotonic()
        while not stop.is_set():
            self.run_cycle()
            next_tick += interval_s
            now = self._clock.monotonic()
            if next_tick < now:
                skipped = int((now - next_tick) // interval_s) + 1
                _logger.warning(
                    "cycle took longer than the %.3gs interval; skipping %d tick(s)",
                    interval_s,
                    skipped,
                )
                next_tick += skipped * interval_s
            stop.wait(next_tick - self._clock.monotonic())
