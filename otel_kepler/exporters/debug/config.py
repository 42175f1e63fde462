"""Configuration of the debug exporter."""

from __future__ import annotations

from dataclasses import dataclass

from otel_kepler.config.options import each_once, option
from otel_kepler.data.snapshot import Level


def _at_least_one(value: int) -> str | None:
    return None if value >= 1 else f"too small (got {value}; allowed: 1 or more)"


@dataclass(frozen=True)
class DebugConfig:
    """What the debug exporter prints after every cycle."""

    top: int = option(
        10, "Workloads shown per level, the most powerful first.", check=_at_least_one
    )
    levels: tuple[Level, ...] = option(
        ("node", "pod", "container", "process"),
        "Tables to print, in this order: node (the zones), pod, container, vm, "
        "process.",
        check=each_once,
    )
