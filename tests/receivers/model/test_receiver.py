from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from otel_kepler.component import ComponentID, CreateSettings, Host, SystemClock
from otel_kepler.data.sample import MeterKind, Provenance, Sample
from otel_kepler.errors import ComponentError
from otel_kepler.receivers.model.config import ModelConfig
from otel_kepler.receivers.model.receiver import ModelReceiver

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
HOST = Host(node_name="node-a", latest=lambda: None)


class FakeProc:
    """A procfs root whose `stat` holds cumulative CPU seconds we choose."""

    def __init__(self, root: Path, cpus: int = 4) -> None:
        self.root = root
        self.cpus = cpus
        root.mkdir(exist_ok=True)
        self.busy_s = 1000.0
        self.idle_s = 5000.0
        self.iowait_s = 20.0
        self.write()

    def advance(self, busy_s: float, idle_s: float, iowait_s: float = 0.0) -> None:
        self.busy_s += busy_s
        self.idle_s += idle_s
        self.iowait_s += iowait_s
        self.write()

    def write(self) -> None:
        """Split busy time over user, system, irq and steal, as a kernel would."""
        user, system = self._ticks(self.busy_s * 0.5), self._ticks(self.busy_s * 0.25)
        irq = self._ticks(self.busy_s * 0.125)
        steal = self._ticks(self.busy_s) - user - system - irq
        idle, iowait = self._ticks(self.idle_s), self._ticks(self.iowait_s)
        lines = [f"cpu  {user} 0 {system} {idle} {iowait} {irq} 0 {steal} 0 0"]
        for n in range(self.cpus):
            lines.append(f"cpu{n} 1 0 1 1 0 0 0 0 0 0")
        lines += ["intr 12345 0 0", "ctxt 987654", "btime 1700000000"]
        (self.root / "stat").write_text("\n".join(lines) + "\n")

    @staticmethod
    def _ticks(seconds: float) -> int:
        return round(seconds * TICKS_PER_S)


def receiver_for(procfs: Path | str, **options: Any) -> ModelReceiver:
    settings = CreateSettings(ComponentID("model"), "node-a", SystemClock())
    config = ModelConfig(procfs=str(procfs), **options)
    receiver = ModelReceiver(settings, config)
    receiver.start(HOST)
    return receiver


def energy_uj(sample: Sample) -> int:
    [zone] = sample.zones
    return zone.energy_uj


def test_power_and_energy_follow_utilisation_exactly(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path / "proc")
    receiver = receiver_for(proc.root, idle_w_per_vcpu=0.5, max_w_per_vcpu=2.5)
    assert receiver.vcpus == 4

    first = receiver.collect(100.0, 1_700_000_100.0)
    assert (receiver.usage_ratio, receiver.power_w, energy_uj(first)) == (0.0, 2.0, 0)

    # (busy s, idle s, iowait s, seconds later) -> U, watts, cumulative joules
    steps = [
        ((2.0, 2.0, 0.0, 2.5), 0.5, 6.0, 15),
        ((3.0, 0.5, 0.5, 4.0), 0.75, 8.0, 47),
        ((2.0, 0.0, 0.0, 1.0), 1.0, 10.0, 57),
        ((0.0, 4.0, 0.0, 0.5), 0.0, 2.0, 58),
    ]
    time_s = 100.0
    for (busy_s, idle_s, iowait_s, elapsed_s), ratio, power_w, total_j in steps:
        proc.advance(busy_s, idle_s, iowait_s)
        time_s += elapsed_s
        sample = receiver.collect(time_s, 1_700_000_000.0 + time_s)

        assert receiver.usage_ratio == ratio
        assert receiver.power_w == power_w
        assert energy_uj(sample) == total_j * 1_000_000


def test_reading_is_marked_estimated(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path / "proc")
    receiver = receiver_for(proc.root, zone="psys")

    sample = receiver.collect(1.0, 2.0)

    assert (sample.time_s, sample.wall_s, sample.sources) == (1.0, 2.0, ("model",))
    [zone] = sample.zones
    assert (zone.zone, zone.path, zone.meter, zone.provenance) == (
        "psys",
        "",
        MeterKind.MODEL,
        Provenance.ESTIMATED,
    )


def test_default_coefficients_with_configured_vcpus(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path / "proc", cpus=16)
    receiver = receiver_for(proc.root, vcpus=2)
    receiver.collect(0.0, 0.0)

    proc.advance(busy_s=1.0, idle_s=3.0)
    sample = receiver.collect(10.0, 10.0)

    assert receiver.vcpus == 2
    assert receiver.power_w == pytest.approx(2 * (0.74 + (3.5 - 0.74) * 0.25))
    assert energy_uj(sample) == int(receiver.power_w * 10.0 * 1_000_000)


def test_utilisation_is_clamped_when_counters_misbehave(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path / "proc")
    receiver = receiver_for(proc.root, idle_w_per_vcpu=1.0, max_w_per_vcpu=2.0)
    receiver.collect(0.0, 0.0)

    # The idle counter going backwards (seen with NO_HZ idle accounting)
    # would make busy exceed total.
    proc.advance(busy_s=3.0, idle_s=-1.0)
    receiver.collect(1.0, 1.0)
    assert receiver.usage_ratio == 1.0

    # No CPU time at all between two reads.
    receiver.collect(2.0, 2.0)
    assert receiver.usage_ratio == 0.0
    assert receiver.power_w == 4.0


def test_energy_never_decreases_when_time_goes_backwards(tmp_path: Path) -> None:
    proc = FakeProc(tmp_path / "proc")
    receiver = receiver_for(proc.root, idle_w_per_vcpu=1.0, max_w_per_vcpu=1.0)
    receiver.collect(10.0, 10.0)
    assert energy_uj(receiver.collect(12.0, 12.0)) == 8_000_000

    assert energy_uj(receiver.collect(11.0, 11.0)) == 8_000_000
    assert energy_uj(receiver.collect(12.0, 12.0)) == 12_000_000


def test_unreadable_stat_mid_run_is_counted_and_the_gap_covered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc = FakeProc(tmp_path / "proc")
    receiver = receiver_for(proc.root, idle_w_per_vcpu=0.5, max_w_per_vcpu=2.5)
    receiver.collect(0.0, 0.0)
    caplog.set_level(logging.DEBUG, "otel_kepler.receivers.model")

    (proc.root / "stat").unlink()
    assert receiver.collect(5.0, 5.0).zones == ()
    assert receiver.collect(10.0, 10.0).zones == ()
    assert receiver.read_errors_total == 2
    failures = [r for r in caplog.records if "left out" in r.getMessage()]
    assert [r.levelno for r in failures] == [logging.WARNING, logging.DEBUG]
    assert failures[0].getMessage() == (
        "model: zone package left out of this cycle; the next read covers the "
        f"gap: {proc.root}/stat: No such file or directory"
    )

    # 20 s of CPU time at U = 0.5 over the 15 s since the last good read.
    proc.advance(busy_s=10.0, idle_s=10.0)
    sample = receiver.collect(15.0, 15.0)
    assert energy_uj(sample) == int(4 * (0.5 + 2.0 * 0.5) * 15.0 * 1_000_000)


def test_start_fails_clearly_without_proc_stat(tmp_path: Path) -> None:
    missing = tmp_path / "proc"

    with pytest.raises(ComponentError) as raised:
        receiver_for(missing)

    assert str(raised.value) == (
        f"{missing}/stat: No such file or directory: the model receiver "
        "estimates power from the node's CPU time and cannot start without it; "
        f"check the procfs option (got {missing})"
    )


def test_start_fails_clearly_on_malformed_proc_stat(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("intr 1 2 3\n")

    with pytest.raises(ComponentError) as raised:
        receiver_for(tmp_path)

    assert str(raised.value).startswith(f"{tmp_path}/stat: malformed: ")


def test_lifecycle_shutdown_is_safe_without_start_and_twice(tmp_path: Path) -> None:
    settings = CreateSettings(ComponentID("model", "vm"), "node-a", SystemClock())
    never_started = ModelReceiver(settings, ModelConfig(procfs="/nonexistent"))
    never_started.shutdown()
    never_started.shutdown()

    receiver = ModelReceiver(settings, ModelConfig(procfs=str(FakeProc(tmp_path).root)))
    receiver.start(HOST)
    assert receiver.collect(1.0, 1.0).sources == ("model/vm",)
    receiver.shutdown()
    receiver.shutdown()


def test_estimates_from_the_real_proc() -> None:
    receiver = receiver_for("/proc")
    assert receiver.vcpus == os.cpu_count()
    idle_w, max_w = 0.74 * receiver.vcpus, 3.5 * receiver.vcpus

    start_s = time.monotonic()
    receiver.collect(start_s, time.time())
    while time.monotonic() - start_s < 0.3:
        sum(range(10_000))
    end_s = time.monotonic()
    sample = receiver.collect(end_s, time.time())

    assert 0.0 < receiver.usage_ratio <= 1.0
    assert idle_w < receiver.power_w <= max_w
    assert energy_uj(sample) == int(receiver.power_w * (end_s - start_s) * 1e6)
