"""The component model: kinds, ids, lifecycle, factories.

Every receiver, processor, exporter and extension lives in its own folder
with a `config.py` (a frozen dataclass, decoded strictly by
`otel_kepler.config`), a `factory.py` (a `Factory` naming its type) and the
component itself. Components never import each other; they meet in the data
types of `otel_kepler.data`.

Lifecycle contract, as in the OpenTelemetry Collector: `start(host)` once;
`shutdown()` is safe without `start` and safe twice.
"""

from __future__ import annotations

import builtins
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from otel_kepler.data.sample import Sample
from otel_kepler.data.snapshot import Snapshot


class Kind(StrEnum):
    RECEIVER = "receiver"
    PROCESSOR = "processor"
    EXPORTER = "exporter"
    EXTENSION = "extension"

    @property
    def section(self) -> str:
        """The top-level config key holding components of this kind."""
        return f"{self.value}s"


_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True, order=True)
class ComponentID:
    """`type[/name]`, e.g. `prometheus` or `otlp_grpc/backup`."""

    type: str
    name: str = ""

    @staticmethod
    def parse(text: str) -> ComponentID:
        """Parse an id; raise ValueError with the reason if it is malformed."""
        type_, sep, name = text.strip().partition("/")
        if not _TYPE_RE.match(type_):
            raise ValueError(
                f'invalid component id "{text}": the type must be snake_case '
                "letters, digits and underscores"
            )
        if sep and not name:
            raise ValueError(f'invalid component id "{text}": empty name after "/"')
        return ComponentID(type_, name)

    def __str__(self) -> str:
        return f"{self.type}/{self.name}" if self.name else self.type


class Clock(Protocol):
    """Time source; tests pass a fake."""

    def monotonic(self) -> float: ...

    def wall(self) -> float: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()


@dataclass(frozen=True, slots=True)
class CreateSettings:
    """What a factory gets besides the component's config."""

    id: ComponentID
    node_name: str
    clock: Clock


@dataclass(frozen=True, slots=True)
class Host:
    """What a started component may use from the service."""

    node_name: str
    latest: Callable[[], Snapshot | None]
    """The most recently published snapshot, or None before the first cycle."""


class Component(ABC):  # noqa: B024 - lifecycle hooks are optional
    """Base of all components; the default lifecycle does nothing."""

    def start(self, host: Host) -> None:  # noqa: B027 - optional hook
        """Acquire resources (sockets, threads, file handles)."""

    def shutdown(self) -> None:  # noqa: B027 - optional hook
        """Release resources; safe without `start` and safe twice."""


class Receiver(Component):
    @abstractmethod
    def collect(self, time_s: float, wall_s: float) -> Sample:
        """Read the source now and return this receiver's part of the sample."""


class Processor(Component):
    @abstractmethod
    def process(self, snapshot: Snapshot) -> Snapshot:
        """Return a new snapshot derived from `snapshot`."""


class Exporter(Component):
    @abstractmethod
    def export(self, snapshot: Snapshot) -> None:
        """Deliver a published snapshot. Pull exporters may only note it."""


class Extension(Component):
    """A component outside the data path (health checks, ...)."""


ConfigT = TypeVar("ConfigT")


@dataclass(frozen=True, slots=True)
class Factory(Generic[ConfigT]):
    """How to build one component type from its decoded config."""

    type: str
    kind: Kind
    config: builtins.type[ConfigT]
    create: Callable[[CreateSettings, ConfigT], Component]
    description: str

    def build(self, settings: CreateSettings, config: Any) -> Component:
        return self.create(settings, config)
