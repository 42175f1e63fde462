"""The rapl receiver: cumulative CPU zone energy from powercap counters.

Same-named zones of several sockets (`package-0`, `package-1`) merge into
one zone (`package`) whose energy is their sum; each socket's counter wraps
on its own `max_energy_range_uj`, so each keeps its own last raw value.

A zone whose read fails in a cycle is left out of that cycle's sample and
its state is kept as it was: when it reads again, its deltas run from the
last good raw values, so its energy neither resets nor jumps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from otel_kepler.component import CreateSettings, Host, Receiver
from otel_kepler.data.sample import MeterKind, Provenance, Sample, ZoneReading
from otel_kepler.errors import MeterUnavailable, SourceError
from otel_kepler.host.powercap import (
    MODEL_HINT,
    Discovery,
    PowercapZone,
    discover,
    read_energy_uj,
    readable_zones,
    unavailable_reason,
    unreadable_reason,
)
from otel_kepler.receivers.rapl.config import RAPLConfig

_logger = logging.getLogger(__name__)


def counter_delta_uj(old_uj: int, new_uj: int, max_energy_range_uj: int) -> int:
    """The energy between two raw readings of one counter, across one wrap."""
    if new_uj >= old_uj:
        return new_uj - old_uj
    return new_uj + max_energy_range_uj - old_uj


@dataclass(slots=True)
class _Socket:
    zone: PowercapZone
    last_raw_uj: int | None = None


@dataclass(slots=True)
class _MergedZone:
    name: str
    sockets: list[_Socket]
    energy_uj: int = 0
    read_errors_total: int = 0
    failing: bool = False
    warned: bool = False
    recovered_once: bool = False

    @property
    def path(self) -> str:
        return self.sockets[0].zone.path

    def advance(self, raws_uj: list[int]) -> None:
        """Add each socket's delta since its last good reading."""
        for socket, raw_uj in zip(self.sockets, raws_uj, strict=True):
            if socket.last_raw_uj is not None:
                self.energy_uj += counter_delta_uj(
                    socket.last_raw_uj, raw_uj, socket.zone.max_energy_range_uj
                )
            socket.last_raw_uj = raw_uj


class RAPLReceiver(Receiver):
    """Reads every (or every configured) RAPL zone once per cycle."""

    def __init__(self, settings: CreateSettings, config: RAPLConfig) -> None:
        self._id = str(settings.id)
        self._config = config
        self._zones: list[_MergedZone] = []

    @property
    def zones(self) -> tuple[str, ...]:
        """The merged zones this receiver reports, in discovery order."""
        return tuple(zone.name for zone in self._zones)

    @property
    def read_errors_total(self) -> dict[str, int]:
        """Failed reads per zone since start."""
        return {zone.name: zone.read_errors_total for zone in self._zones}

    def start(self, host: Host) -> None:
        discovery = discover(self._config.sysfs)
        self._log_discovery(discovery)

        good, bad = readable_zones(discovery)
        if not good:
            raise MeterUnavailable(unavailable_reason(discovery, bad))

        merged = _merge(discovery.zones)
        unreadable = {zone.path: error for zone, error in bad}
        self._zones = self._select(merged, unreadable, discovery.root)
        _logger.info(
            "%s: reading RAPL zones %s from %s",
            self._id,
            ", ".join(_describe(zone) for zone in self._zones),
            discovery.root,
        )

    def collect(self, time_s: float, wall_s: float) -> Sample:
        readings: list[ZoneReading] = []
        for zone in self._zones:
            raws_uj = self._read(zone)
            if raws_uj is None:
                continue
            zone.advance(raws_uj)
            readings.append(
                ZoneReading(
                    zone=zone.name,
                    path=zone.path,
                    energy_uj=zone.energy_uj,
                    meter=MeterKind.RAPL,
                    provenance=Provenance.MEASURED,
                )
            )
        return Sample(
            time_s=time_s, wall_s=wall_s, zones=tuple(readings), sources=(self._id,)
        )

    def _read(self, zone: _MergedZone) -> list[int] | None:
        try:
            raws_uj = [read_energy_uj(s.zone.energy_path) for s in zone.sockets]
        except SourceError as e:
            self._failed(zone, e)
            return None
        if zone.failing:
            zone.failing = False
            level = logging.DEBUG if zone.recovered_once else logging.INFO
            zone.recovered_once = True
            _logger.log(level, "%s: zone %s is readable again", self._id, zone.name)
        return raws_uj

    def _failed(self, zone: _MergedZone, error: SourceError) -> None:
        zone.read_errors_total += 1
        zone.failing = True
        level = logging.DEBUG if zone.warned else logging.WARNING
        zone.warned = True
        _logger.log(
            level,
            "%s: zone %s left out of this cycle, its energy kept: %s",
            self._id,
            zone.name,
            error,
        )

    def _log_discovery(self, discovery: Discovery) -> None:
        for path, reason in discovery.malformed:
            _logger.warning(
                "%s: skipping malformed zone %s: %s", self._id, path, reason
            )
        for dropped, kept in discovery.duplicates:
            _logger.info(
                "%s: dropping %s (%s), a duplicate of %s",
                self._id,
                dropped.path,
                dropped.raw_name,
                kept.path,
            )

    def _select(
        self,
        merged: list[_MergedZone],
        unreadable: dict[str, SourceError],
        root: str,
    ) -> list[_MergedZone]:
        """Keep the configured zones whose every socket reads now."""
        wanted = self._config.zones
        found = [zone.name for zone in merged]
        candidates = [z for z in merged if not wanted or z.name in wanted]
        if not candidates:
            raise MeterUnavailable(
                f"{root}: none of the configured zones was found (configured: "
                f"{', '.join(wanted)}; found: {', '.join(found)}); {MODEL_HINT}"
            )
        missing = [name for name in wanted if name not in found]
        if missing:
            _logger.warning(
                "%s: configured zones not found: %s (found: %s)",
                self._id,
                ", ".join(missing),
                ", ".join(found),
            )

        selected: list[_MergedZone] = []
        errors: list[SourceError] = []
        for zone in candidates:
            error = _first_error(zone, unreadable)
            if error is None:
                selected.append(zone)
                continue
            errors.append(error)
            _logger.warning("%s: leaving zone %s out: %s", self._id, zone.name, error)
        if not selected:
            raise MeterUnavailable(unreadable_reason(errors[0]))
        return selected


def _merge(zones: tuple[PowercapZone, ...]) -> list[_MergedZone]:
    merged: dict[str, _MergedZone] = {}
    for zone in zones:
        entry = merged.setdefault(zone.zone, _MergedZone(zone.zone, []))
        entry.sockets.append(_Socket(zone))
    return list(merged.values())


def _first_error(
    zone: _MergedZone, unreadable: dict[str, SourceError]
) -> SourceError | None:
    for socket in zone.sockets:
        if socket.zone.path in unreadable:
            return unreadable[socket.zone.path]
    return None


def _describe(zone: _MergedZone) -> str:
    count = len(zone.sockets)
    return zone.name if count == 1 else f"{zone.name} ({count} sockets)"
