"""The whole pipeline over a powercap tree whose counters we drive.

rapl reads a copy of the dual-socket fixture tree, procfs this machine's
/proc, attribution shares the energy out and prometheus serves it; a fake
clock makes every interval exactly 5 s. Between cycles each counter
advances at a known power, so every scrape can be checked exactly.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from otel_kepler.data.sample import MeterKind
from tests.e2e.helpers import (
    NODE,
    Published,
    document,
    never_backwards,
    node_identities,
    node_names,
    running,
    scrape,
    select,
    spin,
    value,
)
from tests.exporters.helpers import Series, free_port
from tests.processors.attribution.helpers import assert_close
from tests.receivers.rapl.trees import (
    break_counter,
    copy_tree,
    entry,
    get_energy,
    mend_counter,
    set_energy,
)
from tests.service.test_service import FakeClock

INTERVAL_S = 5.0
UJ_PER_J = 1_000_000
ZONES = ("package", "dram")
POWER_W = {
    "intel-rapl:0": ("package", 40.0),
    "intel-rapl:1": ("package", 25.0),
    "intel-rapl:0:0": ("dram", 6.0),
    "intel-rapl:1:0": ("dram", 4.0),
}
"""Each socket's counter, its merged zone and the power it advances at."""
ZONE_POWER_W = {"package": 65.0, "dram": 10.0}


class Meters:
    """The counters of a powercap tree, advanced at the powers of POWER_W.

    Each raw value wraps at its own `max_energy_range_uj`, as the kernel's
    does. A broken counter (a directory in place of `energy_uj`) keeps
    counting here and shows its value again when mended.
    """

    def __init__(self, sysfs: Path) -> None:
        self.sysfs = sysfs
        self.raw_uj = {name: get_energy(sysfs, name) for name in POWER_W}
        self.max_uj = {
            name: int((entry(sysfs, name) / "max_energy_range_uj").read_text())
            for name in POWER_W
        }
        self.broken: set[str] = set()
        self.wraps = 0

    def advance(self, seconds: float) -> Counter[str]:
        """Add `seconds` of energy to every counter; the energy per zone, µJ."""
        added_uj: Counter[str] = Counter()
        for name, (zone, power_w) in POWER_W.items():
            step_uj = round(power_w * seconds * UJ_PER_J)
            raw_uj = self.raw_uj[name] + step_uj
            if raw_uj >= self.max_uj[name]:
                raw_uj -= self.max_uj[name]
                self.wraps += 1
            self.raw_uj[name] = raw_uj
            if name not in self.broken:
                set_energy(self.sysfs, name, raw_uj)
            added_uj[zone] += step_uj
        return added_uj

    def counter(self, name: str) -> Path:
        return entry(self.sysfs, name) / "energy_uj"

    def break_(self, name: str) -> None:
        break_counter(self.counter(name))
        self.broken.add(name)

    def mend(self, name: str) -> None:
        mend_counter(self.counter(name), self.raw_uj[name])
        self.broken.discard(name)


def zone_joules(series: Series, zone: str) -> float:
    return value(series, "kepler_node_cpu_joules_total", zone=zone)


def check_zone_labels(series: Series, sysfs: Path) -> None:
    """Sockets merged: one series per zone, labelled with the first socket's
    path and the node name."""
    joules = select(series, "kepler_node_cpu_joules_total")
    assert sorted(dict(key)["zone"] for key in joules) == sorted(ZONES)
    paths = {dict(key)["zone"]: dict(key)["path"] for key in joules}
    assert paths == {
        "package": str(entry(sysfs, "intel-rapl:0")),
        "dram": str(entry(sysfs, "intel-rapl:0:0")),
    }
    assert node_names(series) == {NODE}


def check_exact(
    series: Series, total_uj: Counter[str], power_w: dict[str, float]
) -> None:
    for zone in ZONES:
        assert_close(zone_joules(series, zone), total_uj[zone] / UJ_PER_J, zone)
        watts = value(series, "kepler_node_cpu_watts", zone=zone)
        assert_close(watts, power_w[zone], f"{zone} watts")


def test_scrapes_follow_the_counters_exactly_and_conserve_energy(
    tmp_path: Path,
) -> None:
    sysfs = copy_tree("dual_socket", tmp_path)
    meters = Meters(sysfs)
    port, clock = free_port(), FakeClock()
    receivers = {"rapl": {"sysfs": str(sysfs)}, "procfs": None}

    with running(document(receivers, port, "5s"), clock) as service:
        published = Published(service)
        first = published.cycle()
        assert [(z.zone, z.meter) for z in first.zones] == [
            ("package", MeterKind.RAPL),
            ("dram", MeterKind.RAPL),
        ]
        before = scrape(port)
        check_exact(before, Counter(), {"package": 0.0, "dram": 0.0})
        total_uj: Counter[str] = Counter()

        for cycle in range(2, 8):
            spin(0.3)
            if cycle == 4:
                meters.break_("intel-rapl:1:0")
            if cycle == 5:
                meters.mend("intel-rapl:1:0")
            clock.now += INTERVAL_S
            total_uj += meters.advance(INTERVAL_S)
            published.cycle()
            now = scrape(port)

            check_zone_labels(now, sysfs)
            node_identities(now, ZONES)
            never_backwards(before, now)
            if cycle == 4:
                # dram was left out: its totals stay, it shows no power.
                assert zone_joules(now, "dram") == zone_joules(before, "dram")
                assert value(now, "kepler_node_cpu_watts", zone="dram") == 0.0
                package_uj = total_uj["package"]
                assert_close(zone_joules(now, "package"), package_uj / UJ_PER_J, "pkg")
            else:
                # After the gap, dram catches up: 10 s of energy over 10 s.
                check_exact(now, total_uj, ZONE_POWER_W)
            before = now

    assert meters.wraps >= 1, "no counter wrapped"
    active_j = value(before, "kepler_node_cpu_active_joules_total", zone="package")
    assert active_j > 0, "the node was never busy: conservation held trivially"
    processes = select(before, "kepler_process_cpu_joules_total", zone="package")
    assert sum(processes.values()) > 0
