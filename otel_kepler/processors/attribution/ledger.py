"""Cumulative bookkeeping of the attribution processor.

Three kinds of books, each kept across cycles:
- `ZoneLedger`: per zone, the last counter value, the time since it was
  last read, and the cumulative total, active, idle and unattributed joules;
- `Entry`: one workload (process, container, VM or pod) with its last
  published `WorkloadEnergy`, which doubles as its cumulative energy;
- `Retention`: workloads that have ended, kept while they rank among the
  largest by energy, and `AggregateLedger`, the running and ended entries
  of one level built from process CPU time (containers, VMs, pods).

`Shares` carries what one CPU second of the interval is worth per zone, in
joules and in watts. NOTE: workloads never hold per-zone dicts; every
per-zone value is a tuple aligned with the zones in first-seen order, and
when a zone appears every tuple is padded with a zero (`realign`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from otel_kepler.data.sample import ContainerRef, VMRef, ZoneReading
from otel_kepler.data.snapshot import NodeZone, RefT, State, WorkloadEnergy

_logger = logging.getLogger(__name__)

K = TypeVar("K")

_UJ_PER_J = 1e6
_MIN_CPU_S = 1e-9
"""Less CPU time than this shares nothing: the kernel counts in ticks of 1 to
10 ms, and joules per CPU second over a smaller span could overflow a float."""


@dataclass(frozen=True, slots=True)
class Shares:
    """The worth of one CPU second in this interval, per zone.

    `zeros` is the one all-zero tuple of this zone count: workloads that did
    not run share it, so an unchanged workload is recognised by identity.
    """

    j_per_cpu_s: tuple[float, ...]
    w_per_cpu_s: tuple[float, ...]
    zeros: tuple[float, ...]

    def energy_j(self, before_j: tuple[float, ...], cpu_s: float) -> tuple[float, ...]:
        """`before_j` plus the energy of `cpu_s` CPU seconds, per zone."""
        return tuple(
            [e + cpu_s * j for e, j in zip(before_j, self.j_per_cpu_s, strict=True)]
        )

    def power_w(self, cpu_s: float) -> tuple[float, ...]:
        """The power of `cpu_s` CPU seconds spread over the interval."""
        return tuple([cpu_s * w for w in self.w_per_cpu_s])


def pad(values: tuple[float, ...], count: int) -> tuple[float, ...]:
    """`values` with zeros appended up to `count` entries."""
    missing = count - len(values)
    return values + (0.0,) * missing if missing > 0 else values


class _Zone:
    """One zone's counter baseline and cumulative joules."""

    __slots__ = (
        "active_delta_j",
        "active_j",
        "delta_j",
        "elapsed_s",
        "energy_j",
        "idle_j",
        "last_uj",
        "pending_s",
        "reading",
        "unattributed_j",
    )

    def __init__(self, reading: ZoneReading) -> None:
        self.reading = reading
        self.last_uj = reading.energy_uj
        self.pending_s = 0.0
        self.elapsed_s = 0.0
        self.delta_j = 0.0
        self.active_delta_j = 0.0
        self.energy_j = 0.0
        self.active_j = 0.0
        self.idle_j = 0.0
        self.unattributed_j = 0.0


class ZoneLedger:
    """Zones in first-seen order with their cumulative energy.

    A zone missing from a sample keeps its totals and reports no power; the
    energy of the missed interval arrives with the next reading, and its
    power is spread over the whole time since the zone was last read.
    """

    def __init__(self) -> None:
        self._zones: dict[str, _Zone] = {}
        self._warned: set[str] = set()
        self.zeros: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self._zones)

    def update(
        self, readings: Sequence[ZoneReading], interval_s: float, usage_ratio: float
    ) -> bool:
        """Take this cycle's readings; return True if a new zone appeared."""
        for zone in self._zones.values():
            zone.pending_s += interval_s
            zone.elapsed_s = zone.delta_j = zone.active_delta_j = 0.0

        read: set[str] = set()
        for reading in readings:
            if reading.zone in read:
                self._warn_once(
                    f"twice:{reading.zone}",
                    "zone %s is reported twice in one sample; the first reading counts",
                    reading.zone,
                )
                continue
            read.add(reading.zone)
            known = self._zones.get(reading.zone)
            if known is None:
                self._zones[reading.zone] = _Zone(reading)
            else:
                self._advance(known, reading, usage_ratio)

        for name in self._zones.keys() - read:
            self._warn_once(
                f"missing:{name}",
                "zone %s is missing from the sample; it keeps its totals and its "
                "energy is counted when it is read again",
                name,
            )

        grew = len(self.zeros) != len(self._zones)
        if grew:
            self.zeros = (0.0,) * len(self._zones)
        return grew

    def _advance(self, zone: _Zone, reading: ZoneReading, usage_ratio: float) -> None:
        delta_uj = reading.energy_uj - zone.last_uj
        if delta_uj < 0:
            self._warn_once(
                f"backwards:{reading.zone}",
                "energy counter of zone %s went backwards (%d uJ to %d uJ); the "
                "interval counts as 0 J",
                reading.zone,
                zone.last_uj,
                reading.energy_uj,
            )
            delta_uj = 0
        zone.reading = reading
        zone.last_uj = reading.energy_uj
        zone.elapsed_s, zone.pending_s = zone.pending_s, 0.0

        delta_j = delta_uj / _UJ_PER_J
        active_j = delta_j * usage_ratio
        zone.delta_j = delta_j
        zone.active_delta_j = active_j
        zone.energy_j += delta_j
        zone.active_j += active_j
        zone.idle_j += delta_j - active_j

    def shares(self, cpu_s: float) -> Shares:
        """What a CPU second is worth when `cpu_s` seconds share active energy."""
        zones = self._zones.values()
        if cpu_s < _MIN_CPU_S:
            return Shares(self.zeros, self.zeros, self.zeros)
        j_per_cpu_s = tuple([z.active_delta_j / cpu_s for z in zones])
        w_per_cpu_s = tuple(
            [
                j / z.elapsed_s if z.elapsed_s > 0 else 0.0
                for z, j in zip(zones, j_per_cpu_s, strict=True)
            ]
        )
        return Shares(j_per_cpu_s, w_per_cpu_s, self.zeros)

    def close(self, attributed_cpu_s: float, shares: Shares) -> tuple[NodeZone, ...]:
        """Book the unattributed rest of the active energy; the node's zones."""
        out = []
        for zone, j_per_cpu_s in zip(
            self._zones.values(), shares.j_per_cpu_s, strict=True
        ):
            rest_j = max(0.0, zone.active_delta_j - attributed_cpu_s * j_per_cpu_s)
            zone.unattributed_j += rest_j
            out.append(_node_zone(zone, rest_j))
        return tuple(out)

    def _warn_once(self, cause: str, message: str, *args: object) -> None:
        if cause in self._warned:
            _logger.debug(message, *args)
        else:
            self._warned.add(cause)
            _logger.warning(message, *args)


def _node_zone(zone: _Zone, unattributed_delta_j: float) -> NodeZone:
    elapsed_s = zone.elapsed_s
    per_s = 1.0 / elapsed_s if elapsed_s > 0 else 0.0
    reading = zone.reading
    return NodeZone(
        zone=reading.zone,
        path=reading.path,
        meter=reading.meter,
        provenance=reading.provenance,
        energy_j=zone.energy_j,
        active_energy_j=zone.active_j,
        idle_energy_j=zone.idle_j,
        unattributed_energy_j=zone.unattributed_j,
        power_w=zone.delta_j * per_s,
        active_power_w=zone.active_delta_j * per_s,
        idle_power_w=(zone.delta_j - zone.active_delta_j) * per_s,
        unattributed_power_w=unattributed_delta_j * per_s,
    )


class Entry(Generic[RefT]):
    """One workload's running books; `view` holds its cumulative energy.

    `cpu_base_s` (processes) is the CPU time last read; `delta_s` collects
    the CPU seconds of this cycle (aggregates); `container` and `vm` link a
    process to the aggregates it feeds.
    """

    __slots__ = (
        "container",
        "cpu_base_s",
        "cpu_time_s",
        "delta_s",
        "ref",
        "seen",
        "view",
        "vm",
    )

    def __init__(self, ref: RefT, zeros: tuple[float, ...]) -> None:
        self.ref: RefT = ref
        self.view: WorkloadEnergy[RefT] = WorkloadEnergy(
            ref, State.RUNNING, 0.0, zeros, zeros
        )
        self.cpu_time_s = 0.0
        self.cpu_base_s = 0.0
        self.delta_s = 0.0
        self.seen = 0
        self.container: Entry[ContainerRef] | None = None
        self.vm: Entry[VMRef] | None = None

    def end(self, zeros: tuple[float, ...]) -> None:
        """Freeze the totals as a terminated workload with no power."""
        view = self.view
        self.view = WorkloadEnergy(
            self.ref, State.TERMINATED, self.cpu_time_s, view.energy_j, zeros
        )
        self.container = self.vm = None

    def resume(self) -> None:
        """Running again, with the totals it had."""
        self.view = replace(self.view, state=State.RUNNING)

    def realign(self, count: int) -> None:
        view = self.view
        self.view = replace(
            view, energy_j=pad(view.energy_j, count), power_w=pad(view.power_w, count)
        )


class Retention(Generic[K, RefT]):
    """Ended workloads of one level: the largest by energy, each big enough.

    A workload below `min_energy_j`, or pushed out by `max_count` larger
    ones, is evicted: its books are dropped and its energy leaves the level.
    """

    def __init__(self, max_count: int, min_energy_j: float) -> None:
        self._max_count = max_count
        self._min_energy_j = min_energy_j
        self._kept: dict[K, Entry[RefT]] = {}
        self._views: tuple[WorkloadEnergy[RefT], ...] | None = ()

    def __len__(self) -> int:
        return len(self._kept)

    def admit(self, ended: Iterable[tuple[K, Entry[RefT]]]) -> list[Entry[RefT]]:
        """Keep what qualifies of `ended` (already ended); return the evicted."""
        evicted: list[Entry[RefT]] = []
        for key, entry in ended:
            if self._max_count > 0 and entry.view.total_energy_j >= self._min_energy_j:
                self._kept[key] = entry
                self._views = None
            else:
                evicted.append(entry)

        if len(self._kept) > self._max_count:
            ranked = sorted(
                self._kept.items(),
                key=lambda kv: kv[1].view.total_energy_j,
                reverse=True,
            )
            for key, entry in ranked[self._max_count :]:
                del self._kept[key]
                evicted.append(entry)
        return evicted

    def revive(self, key: K) -> Entry[RefT] | None:
        """Take back an ended workload seen again, or None if not kept."""
        entry = self._kept.pop(key, None)
        if entry is not None:
            entry.resume()
            self._views = None
        return entry

    def views(self) -> tuple[WorkloadEnergy[RefT], ...]:
        """The kept workloads, in the order they ended."""
        if self._views is None:
            self._views = tuple([entry.view for entry in self._kept.values()])
        return self._views

    def realign(self, count: int) -> None:
        for entry in self._kept.values():
            entry.realign(count)
        self._views = None


class AggregateLedger(Generic[RefT]):
    """Containers, VMs or pods: energy accumulated from their processes' shares.

    The totals are ours, not sums of the current processes, so they keep
    what a workload's exited processes used.
    """

    def __init__(self, retention: Retention[str, RefT]) -> None:
        self._running: dict[str, Entry[RefT]] = {}
        self._ended: Retention[str, RefT] = retention

    def running(self) -> Iterator[Entry[RefT]]:
        return iter(self._running.values())

    def touch(self, key: str, ref: RefT, zeros: tuple[float, ...]) -> Entry[RefT]:
        """The running entry of `key`: existing, revived from retention, or new."""
        entry = self._running.get(key)
        if entry is None:
            entry = self._ended.revive(key) or Entry(ref, zeros)
            entry.ref = ref
            self._running[key] = entry
        return entry

    def settle(self, cycle: int, shares: Shares) -> tuple[WorkloadEnergy[RefT], ...]:
        """Book this cycle's CPU seconds; end what was not seen; all views."""
        views: list[WorkloadEnergy[RefT]] = []
        ended: list[tuple[str, Entry[RefT]]] = []
        for key, entry in self._running.items():
            if entry.seen != cycle:
                ended.append((key, entry))
                continue
            cpu_s, entry.delta_s = entry.delta_s, 0.0
            view = entry.view
            if cpu_s > 0:
                entry.cpu_time_s += cpu_s
                view = WorkloadEnergy(
                    entry.ref,
                    State.RUNNING,
                    entry.cpu_time_s,
                    shares.energy_j(view.energy_j, cpu_s),
                    shares.power_w(cpu_s),
                )
            elif view.power_w is not shares.zeros or view.ref is not entry.ref:
                view = replace(view, ref=entry.ref, power_w=shares.zeros)
            entry.view = view
            views.append(view)

        for key, entry in ended:
            del self._running[key]
            entry.end(shares.zeros)
        self._ended.admit(ended)
        return tuple(views) + self._ended.views()

    def realign(self, count: int) -> None:
        for entry in self._running.values():
            entry.realign(count)
        self._ended.realign(count)
