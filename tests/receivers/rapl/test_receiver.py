from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from otel_kepler.data.sample import MeterKind, Provenance
from otel_kepler.errors import MeterUnavailable
from otel_kepler.receivers.rapl.config import RAPLConfig
from otel_kepler.receivers.rapl.receiver import RAPLReceiver, counter_delta_uj
from tests.receivers.rapl.trees import (
    HOST,
    energies,
    entry,
    get_energy,
    set_energy,
    settings,
    start,
)

Tree = Callable[[str], Path]
PKG_MAX_UJ = 262143328850
DRAM_MAX_UJ = 65712999613
HINT = "use the model receiver for estimated power"


def test_counter_delta_handles_one_wrap() -> None:
    assert counter_delta_uj(100, 350, 1000) == 250
    assert counter_delta_uj(900, 900, 1000) == 0
    assert counter_delta_uj(900, 150, 1000) == 250


def test_first_collect_is_the_baseline(tree: Tree) -> None:
    sysfs = tree("single_socket")
    receiver = start(sysfs)

    sample = receiver.collect(10.0, 1_700_000_010.0)

    assert sample.time_s == 10.0
    assert sample.wall_s == 1_700_000_010.0
    assert sample.sources == ("rapl",)
    assert [(z.zone, z.energy_uj) for z in sample.zones] == [
        ("package", 0),
        ("core", 0),
        ("uncore", 0),
        ("dram", 0),
        ("psys", 0),
    ]
    assert {(z.meter, z.provenance) for z in sample.zones} == {
        (MeterKind.RAPL, Provenance.MEASURED)
    }
    assert sample.zones[0].path == str(entry(sysfs, "intel-rapl:0"))
    assert sample.zones[3].path == str(entry(sysfs, "intel-rapl:0:2"))


def test_energy_advances_exactly_as_the_counters(tree: Tree) -> None:
    sysfs = tree("single_socket")
    rates_uj = {
        "intel-rapl:0": 12_345_678,
        "intel-rapl:0:0": 7_654_321,
        "intel-rapl:0:1": 1_000_001,
        "intel-rapl:0:2": 2_500_000,
        "intel-rapl:1": 30_000_007,
    }
    receiver = start(sysfs)
    receiver.collect(0.0, 0.0)

    for cycle in range(1, 6):
        for name, rate_uj in rates_uj.items():
            set_energy(sysfs, name, get_energy(sysfs, name) + rate_uj)
        got = energies(receiver, cycle * 5.0)

        assert got == {
            "package": cycle * 12_345_678,
            "core": cycle * 7_654_321,
            "uncore": cycle * 1_000_001,
            "dram": cycle * 2_500_000,
            "psys": cycle * 30_000_007,
        }


def test_energy_is_continuous_across_a_counter_wrap(tree: Tree) -> None:
    sysfs = tree("near_wrap")
    raw_uj = get_energy(sysfs, "intel-rapl:0")
    receiver = start(sysfs)
    receiver.collect(0.0, 0.0)

    # 28,800 uJ up to 50 uJ below the top of the range, then across it.
    set_energy(sysfs, "intel-rapl:0", PKG_MAX_UJ - 50)
    assert energies(receiver, 5.0) == {"package": PKG_MAX_UJ - 50 - raw_uj}
    assert PKG_MAX_UJ - 50 - raw_uj == 28_800

    set_energy(sysfs, "intel-rapl:0", 71_150)
    assert energies(receiver, 10.0) == {"package": 100_000}

    set_energy(sysfs, "intel-rapl:0", 171_150)
    assert energies(receiver, 15.0) == {"package": 200_000}


def test_sockets_merge_and_wrap_each_on_its_own(tree: Tree) -> None:
    sysfs = tree("dual_socket")
    receiver = start(sysfs)
    first = receiver.collect(0.0, 0.0)
    assert [(z.zone, z.path) for z in first.zones] == [
        ("package", str(entry(sysfs, "intel-rapl:0"))),
        ("dram", str(entry(sysfs, "intel-rapl:0:0"))),
    ]
    assert receiver.zones == ("package", "dram")

    expected = {"package": 0, "dram": 0}
    for cycle in range(1, 4):
        # Socket 1's package counter (850 uJ below its top) wraps in cycle 1.
        steps_uj = {
            "intel-rapl:0": 40_000_000,
            "intel-rapl:1": 50_000_000 + cycle,
            "intel-rapl:0:0": 3_000_000,
            "intel-rapl:1:0": 4_000_000,
        }
        for name, step_uj in steps_uj.items():
            max_uj = PKG_MAX_UJ if name.count(":") == 1 else DRAM_MAX_UJ
            new_uj = get_energy(sysfs, name) + step_uj
            set_energy(sysfs, name, new_uj - max_uj if new_uj > max_uj else new_uj)
        expected["package"] += 90_000_000 + cycle
        expected["dram"] += 7_000_000

        assert energies(receiver, cycle * 5.0) == expected
    assert get_energy(sysfs, "intel-rapl:1") < 200_000_000


def test_mmio_duplicate_is_not_counted_twice(
    tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    sysfs = tree("mmio_duplicate")
    caplog.set_level(logging.INFO)
    receiver = start(sysfs)
    receiver.collect(0.0, 0.0)

    set_energy(sysfs, "intel-rapl:0", get_energy(sysfs, "intel-rapl:0") + 1000)
    set_energy(
        sysfs, "intel-rapl-mmio:0", get_energy(sysfs, "intel-rapl-mmio:0") + 1000
    )

    assert energies(receiver, 5.0) == {
        "package": 1000,
        "core": 0,
        "uncore": 0,
        "psys": 0,
    }
    dropped = [r for r in caplog.records if "dropping" in r.getMessage()]
    assert [r.levelno for r in dropped] == [logging.INFO]
    assert dropped[0].getMessage() == (
        f"rapl: dropping {entry(sysfs, 'intel-rapl-mmio:0')} (package-0), a "
        f"duplicate of {entry(sysfs, 'intel-rapl:0')}"
    )


def test_malformed_zones_are_skipped_with_a_warning(
    tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    sysfs = tree("malformed")
    receiver = start(sysfs)

    assert receiver.zones == ("package",)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"rapl: skipping malformed zone {entry(sysfs, 'intel-rapl:0:0')}: "
        f"{entry(sysfs, 'intel-rapl:0:0')}/name: No such file or directory",
        f"rapl: skipping malformed zone {entry(sysfs, 'intel-rapl:0:1')}: "
        f"{entry(sysfs, 'intel-rapl:0:1')}/max_energy_range_uj: not a number "
        '(got "n/a")',
    ]


def test_configured_zones_limit_the_output(tree: Tree) -> None:
    sysfs = tree("single_socket")
    receiver = start(sysfs, zones=("dram", "package"))

    assert receiver.zones == ("package", "dram")
    assert set(energies(receiver, 0.0)) == {"package", "dram"}


def test_configured_zone_absent_from_the_machine_is_a_warning(
    tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    sysfs = tree("mmio_duplicate")
    receiver = start(sysfs, zones=("package", "dram"))

    assert receiver.zones == ("package",)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "rapl: configured zones not found: dram (found: package, core, uncore, psys)"
    ]


def test_no_configured_zone_present_fails_start(tree: Tree) -> None:
    sysfs = tree("mmio_duplicate")

    with pytest.raises(MeterUnavailable) as raised:
        start(sysfs, zones=("dram",))

    assert str(raised.value) == (
        f"{sysfs}/class/powercap: none of the configured zones was found "
        f"(configured: dram; found: package, core, uncore, psys); {HINT}"
    )


def test_machine_without_powercap_fails_start_with_advice(tmp_path: Path) -> None:
    with pytest.raises(MeterUnavailable) as raised:
        start(tmp_path)

    assert str(raised.value) == (
        f"{tmp_path}/class/powercap: No such file or directory: there is no RAPL "
        "on this machine (virtual machines and most clouds do not expose it); "
        f"{HINT}"
    )


def test_zone_unreadable_at_start_is_left_out(
    tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    sysfs = tree("dual_socket")
    counter = entry(sysfs, "intel-rapl:1:0") / "energy_uj"
    counter.unlink()

    receiver = start(sysfs)

    assert receiver.zones == ("package",)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"rapl: leaving zone dram out: {counter}: No such file or directory"
    ]


def test_lifecycle_shutdown_is_safe_without_start_and_twice(tree: Tree) -> None:
    never_started = RAPLReceiver(settings(), RAPLConfig(sysfs="/nonexistent"))
    never_started.shutdown()
    never_started.shutdown()

    receiver = RAPLReceiver(
        settings("node"), RAPLConfig(sysfs=str(tree("single_socket")))
    )
    receiver.start(HOST)
    assert receiver.collect(1.0, 1.0).sources == ("rapl/node",)
    receiver.shutdown()
    receiver.shutdown()


def test_start_fails_when_every_configured_zone_is_unreadable(tree: Tree) -> None:
    sysfs = tree("dual_socket")
    counter = entry(sysfs, "intel-rapl:1:0") / "energy_uj"
    counter.unlink()

    with pytest.raises(MeterUnavailable) as raised:
        start(sysfs, zones=("dram",))

    assert str(raised.value) == f"{counter}: No such file or directory; {HINT}"
