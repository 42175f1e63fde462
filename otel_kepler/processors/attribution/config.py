"""Configuration of the attribution processor."""

from __future__ import annotations

import math
from dataclasses import dataclass

from otel_kepler.config.options import option


def _count(value: int) -> str | None:
    if value >= 0:
        return None
    return f"must not be negative (got {value}; allowed: 0 or more, 0 keeps none)"


def _joules(value: float) -> str | None:
    if math.isfinite(value) and value >= 0:
        return None
    return f"must be a finite number of joules (got {value}; allowed: 0 or more)"


@dataclass(frozen=True)
class TerminatedConfig:
    """How many workloads that have ended stay visible, and which.

    The defaults are Kepler's: the 500 largest by energy, each at least 10 J.
    """

    max_count: int = option(
        500,
        "Terminated workloads kept per level (process, container, VM, pod), "
        "largest energy first; 0 keeps none.",
        check=_count,
    )
    min_energy_j: float = option(
        10.0,
        "Energy (all zones, joules) a terminated workload needs to be kept.",
        check=_joules,
    )


@dataclass(frozen=True)
class AttributionConfig:
    """How node energy is shared out to processes, containers, VMs and pods."""

    terminated: TerminatedConfig = option(
        TerminatedConfig(), "Retention of workloads that have ended."
    )
    kernel_threads: bool = option(
        False,
        "Export kernel threads as processes; when off, their CPU time is part "
        "of the unattributed energy.",
    )
