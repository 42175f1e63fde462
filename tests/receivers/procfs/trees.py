"""Shared pieces of the procfs receiver tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.data.sample import ProcessReading, Sample
from otel_kepler.receivers.procfs.config import ProcfsConfig
from otel_kepler.receivers.procfs.receiver import ProcfsReceiver

PROC = Path(__file__).parent.parent.parent / "testdata" / "proc"
HOST = Host(node_name="node-a", latest=lambda: None)


def settings(name: str = "") -> CreateSettings:
    return CreateSettings(
        id=ComponentID("procfs", name), node_name="node-a", clock=SystemClock()
    )


def started(procfs: str | Path, sysfs: str | Path = "/sys") -> ProcfsReceiver:
    """A started receiver; USER_HZ is 100 as in the fixture tree."""
    config = ProcfsConfig(procfs=str(procfs), sysfs=str(sysfs))
    receiver = ProcfsReceiver(settings(), config, ticks_per_s=100)
    receiver.start(HOST)
    return receiver


def copy_proc(dest: Path) -> Path:
    """A private copy of the fixture tree, for tests that change it."""
    return Path(shutil.copytree(PROC, dest / "proc"))


def by_pid(sample: Sample) -> dict[int, ProcessReading]:
    return {r.info.pid: r for r in sample.processes}
