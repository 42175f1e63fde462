"""Configuration of the procfs receiver."""

from __future__ import annotations

from dataclasses import dataclass

from otel_kepler.config.options import option


def _absolute_path(value: str) -> str | None:
    if value.startswith("/"):
        return None
    return f'must be an absolute path (got "{value}"; allowed: a path starting with /)'


@dataclass(frozen=True, slots=True)
class ProcfsConfig:
    """Where the receiver finds the kernel's proc and sys file systems.

    In a container, point these at the host's file systems mounted
    read-only (e.g. `/host/proc`, `/host/sys`).
    """

    procfs: str = option(
        "/proc",
        "Mount point of the proc file system to read processes from.",
        check=_absolute_path,
    )
    sysfs: str = option(
        "/sys",
        "Mount point of the sys file system (cgroup layout detection).",
        check=_absolute_path,
    )
