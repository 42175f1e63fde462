"""Helpers for the rapl tests: fixture tree copies and a started receiver."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.receivers.rapl.config import RAPLConfig
from otel_kepler.receivers.rapl.receiver import RAPLReceiver

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "sysfs"
HOST = Host(node_name="node-a", latest=lambda: None)


def settings(name: str = "") -> CreateSettings:
    return CreateSettings(
        id=ComponentID("rapl", name), node_name="node-a", clock=SystemClock()
    )


def copy_tree(name: str, dest: Path) -> Path:
    """Copy fixture tree `name` to `dest/name`, keeping its symlinks."""
    target = dest / name
    shutil.copytree(TESTDATA / name, target, symlinks=True)
    return target


def entry(sysfs: Path, name: str) -> Path:
    """The class/powercap path of entry `name` (a symlink into devices/)."""
    return sysfs / "class" / "powercap" / name


def set_energy(sysfs: Path, name: str, energy_uj: int) -> None:
    (entry(sysfs, name) / "energy_uj").write_text(f"{energy_uj}\n")


def get_energy(sysfs: Path, name: str) -> int:
    return int((entry(sysfs, name) / "energy_uj").read_text())


def start(sysfs: Path | str, zones: tuple[str, ...] = ()) -> RAPLReceiver:
    receiver = RAPLReceiver(settings(), RAPLConfig(sysfs=str(sysfs), zones=zones))
    receiver.start(HOST)
    return receiver


def energies(receiver: RAPLReceiver, time_s: float) -> dict[str, int]:
    sample = receiver.collect(time_s, 1_700_000_000.0 + time_s)
    return {zone.zone: zone.energy_uj for zone in sample.zones}


def is_root() -> bool:
    return os.geteuid() == 0


def break_counter(counter: Path) -> None:
    """Make an energy_uj file unreadable (a directory in its place)."""
    counter.unlink()
    counter.mkdir()


def mend_counter(counter: Path, energy_uj: int) -> None:
    """Put a readable energy_uj file back."""
    counter.rmdir()
    counter.write_text(f"{energy_uj}\n")
