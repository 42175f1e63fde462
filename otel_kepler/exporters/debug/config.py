"""Configuration of the debug exporter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from otel_kepler.config.options import option

Level = Literal["node", "process", "container", "vm", "pod"]

ALL_LEVELS: tuple[Level, ...] = get_args(Level)


def _at_least_one(value: int) -> str | None:
    return None if value >= 1 else f"too small (got {value}; allowed: 1 or more)"


def _each_once(value: tuple[str, ...]) -> str | None:
    repeated = sorted({level for level in value if value.count(level) > 1})
    if repeated:
        return (
            f"a level is repeated (got {', '.join(repeated)} more than once; "
            f"allowed: each of {', '.join(ALL_LEVELS)} at most once)"
        )
    return None


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
        check=_each_once,
    )
