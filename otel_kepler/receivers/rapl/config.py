"""Configuration of the rapl receiver."""

from __future__ import annotations

from dataclasses import dataclass

from otel_kepler.config.options import option
from otel_kepler.errors import Problem

KNOWN_ZONES = ("core", "dram", "package", "psys", "uncore")


@dataclass(frozen=True)
class RAPLConfig:
    """Where the powercap tree is and which of its zones to report."""

    sysfs: str = option(
        "/sys", "Root of sysfs; zones are read from <sysfs>/class/powercap."
    )
    zones: tuple[str, ...] = option(
        (),
        "Zones to report (core, dram, package, psys, uncore); empty means all found.",
    )

    def validate(self) -> list[Problem]:
        known = ", ".join(KNOWN_ZONES)
        return [
            Problem(("zones", str(index)), f'unknown zone "{zone}" (known: {known})')
            for index, zone in enumerate(self.zones)
            if zone not in KNOWN_ZONES
        ]
