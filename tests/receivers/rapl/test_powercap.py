from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from otel_kepler.host.powercap import discover, probe, zone_name
from tests.receivers.rapl.trees import TESTDATA, entry

PKG_MAX_UJ = 262143328850
NO_RAPL = (
    "there is no RAPL on this machine (virtual machines and most clouds do not "
    "expose it); use the model receiver for estimated power"
)


def test_kernel_names_map_to_zone_names() -> None:
    assert zone_name("package-0") == "package"
    assert zone_name("package-12") == "package"
    assert zone_name("dram") == "dram"
    assert zone_name("psys\n") == "psys"


def test_discovery_lists_zones_and_sub_zones_by_class_path() -> None:
    sysfs = TESTDATA / "single_socket"

    discovery = discover(str(sysfs))

    assert [(z.raw_name, z.zone, z.socket, z.mmio) for z in discovery.zones] == [
        ("package-0", "package", 0, False),
        ("core", "core", 0, False),
        ("uncore", "uncore", 0, False),
        ("dram", "dram", 0, False),
        ("psys", "psys", 1, False),
    ]
    assert discovery.zones[1].path == str(entry(sysfs, "intel-rapl:0:0"))
    assert {z.max_energy_range_uj for z in discovery.zones} == {PKG_MAX_UJ}
    assert discovery.malformed == ()
    assert discovery.missing is None


def test_mmio_copy_of_a_package_is_dropped() -> None:
    sysfs = TESTDATA / "mmio_duplicate"

    discovery = discover(str(sysfs))

    assert [z.raw_name for z in discovery.zones] == [
        "package-0",
        "core",
        "uncore",
        "psys",
    ]
    assert not any(z.mmio for z in discovery.zones)
    [(dropped, kept)] = discovery.duplicates
    assert dropped.path == str(entry(sysfs, "intel-rapl-mmio:0"))
    assert kept.path == str(entry(sysfs, "intel-rapl:0"))


def test_mmio_zone_without_a_twin_is_kept(tree: Callable[[str], Path]) -> None:
    sysfs = tree("mmio_duplicate")
    entry(sysfs, "intel-rapl:0").unlink()

    discovery = discover(str(sysfs))

    assert [(z.raw_name, z.mmio) for z in discovery.zones] == [
        ("core", False),
        ("uncore", False),
        ("psys", False),
        ("package-0", True),
    ]
    assert discovery.duplicates == ()


def test_malformed_zones_are_listed_with_their_reason() -> None:
    sysfs = TESTDATA / "malformed"

    discovery = discover(str(sysfs))

    assert [z.raw_name for z in discovery.zones] == ["package-0"]
    no_name, bad_max = discovery.malformed
    assert no_name == (
        str(entry(sysfs, "intel-rapl:0:0")),
        f"{entry(sysfs, 'intel-rapl:0:0')}/name: No such file or directory",
    )
    assert bad_max == (
        str(entry(sysfs, "intel-rapl:0:1")),
        f"{entry(sysfs, 'intel-rapl:0:1')}/max_energy_range_uj: not a number "
        '(got "n/a")',
    )


def test_probe_finds_a_readable_tree() -> None:
    for name in ("single_socket", "dual_socket", "mmio_duplicate", "malformed"):
        assert probe(str(TESTDATA / name)) is None


def test_probe_explains_a_machine_without_powercap(tmp_path: Path) -> None:
    reason = probe(str(tmp_path))

    root = tmp_path / "class" / "powercap"
    assert reason == f"{root}: No such file or directory: {NO_RAPL}"


def test_probe_explains_a_powercap_tree_without_rapl(tmp_path: Path) -> None:
    root = tmp_path / "class" / "powercap"
    (root / "dtpm").mkdir(parents=True)
    (root / "intel-rapl").mkdir()

    assert probe(str(tmp_path)) == f"{root}: no intel-rapl zones: {NO_RAPL}"


def test_probe_explains_a_tree_of_malformed_zones(
    tree: Callable[[str], Path],
) -> None:
    sysfs = tree("malformed")
    (entry(sysfs, "intel-rapl:0") / "name").unlink()

    root = sysfs / "class" / "powercap"
    assert probe(str(sysfs)) == (
        f"{root}: no usable RAPL zone (malformed: {root}/intel-rapl:0, "
        f"{root}/intel-rapl:0:0, {root}/intel-rapl:0:1); use the model receiver "
        "for estimated power"
    )


def test_probe_explains_unreadable_counters(tree: Callable[[str], Path]) -> None:
    sysfs = tree("near_wrap")
    counter = entry(sysfs, "intel-rapl:0") / "energy_uj"
    counter.unlink()
    counter.mkdir()

    assert probe(str(sysfs)) == (
        f"{counter}: Is a directory; use the model receiver for estimated power"
    )
