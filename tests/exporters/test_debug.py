"""The debug exporter: its configuration, its table and its lifecycle."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest

from otel_kepler.config.decode import decode
from otel_kepler.data.sample import MeterKind, Provenance
from otel_kepler.exporters.debug.config import DebugConfig
from otel_kepler.exporters.debug.exporter import DebugExporter, format_snapshot
from otel_kepler.exporters.debug.factory import FACTORY
from tests.exporters.helpers import full_snapshot, process, settings, zone

EVERY_LEVEL = DebugConfig(levels=("node", "pod", "container", "vm", "process"))


def problems(raw: Any) -> list[str]:
    _, found = decode(DebugConfig, raw, ("exporters", "debug"))
    return [str(p) for p in found]


def test_defaults_are_valid() -> None:
    config, found = decode(DebugConfig, None)

    assert found == []
    assert config.top == 10
    assert config.levels == ("node", "pod", "container", "process")


@pytest.mark.parametrize("top", [0, -3])
def test_top_must_be_at_least_one(top: int) -> None:
    assert problems({"top": top}) == [
        f"exporters::debug::top: too small (got {top}; allowed: 1 or more)"
    ]


def test_levels_are_known_and_unique() -> None:
    assert problems({"levels": ["vm", "vm"]}) == [
        "exporters::debug::levels: names vm more than once (allowed: each at most once)"
    ]
    assert problems({"levels": ["gpu"]}) == [
        'exporters::debug::levels[0]: invalid value (got "gpu"; '
        "allowed: node, process, container, vm, pod)"
    ]


def test_table_shows_zones_and_every_level() -> None:
    text = format_snapshot(full_snapshot(), EVERY_LEVEL)

    assert text.splitlines() == [
        "cycle 3  interval 5.00 s  usage 0.250  node node-a",
        "zone     meter  provenance  total W active W   idle W unattr W"
        "     total J    active J      idle J    unattr J",
        "package  rapl   measured      10.00     6.00     4.00     0.50"
        "       100.0        60.0        40.0         5.0",
        "dram     rapl   measured       2.00     1.20     0.80     0.10"
        "        20.0        12.0         8.0         1.0",
        "pods: top 1 of 1 by power",
        "  name                                            W           J",
        "  shop/web-0                                   3.60        36.0",
        "containers: top 1 of 1 by power",
        "  name                                            W           J",
        "  web c0ffee000000                             3.60        36.0",
        "virtual machines: top 1 of 1 by power",
        "  name                                            W           J",
        "  guest1                                       2.40        24.0",
        "processes: top 3 of 3 by power",
        "  name                                            W           J",
        "  42 nginx                                     3.60        36.0",
        "  77 qemu-kvm                                  2.40        24.0",
        "  9 bash (terminated)                          0.00         6.0",
    ]


def test_top_n_keeps_the_most_powerful_in_order() -> None:
    processes = tuple(
        process(pid, f"p{pid}", (float(pid),), (pid / 10,)) for pid in range(1, 30)
    )
    snapshot = dataclasses.replace(
        full_snapshot(), zones=(zone("package", 1.0, 1.0),), processes=processes
    )

    text = format_snapshot(snapshot, DebugConfig(top=3, levels=("process",)))

    assert text.splitlines()[1:] == [
        "processes: top 3 of 29 by power",
        "  name                                            W           J",
        "  29 p29                                       2.90        29.0",
        "  28 p28                                       2.80        28.0",
        "  27 p27                                       2.70        27.0",
    ]


def test_estimated_zones_are_marked() -> None:
    modelled = zone(
        "package", 8.0, 4.0, meter=MeterKind.MODEL, provenance=Provenance.ESTIMATED
    )
    snapshot = dataclasses.replace(full_snapshot(), zones=(modelled,))

    text = format_snapshot(snapshot, DebugConfig(levels=("node",)))

    assert text.splitlines()[2].split()[:3] == ["package", "model", "estimated"]


def test_empty_snapshot_says_what_is_missing() -> None:
    snapshot = dataclasses.replace(
        full_snapshot(), zones=(), processes=(), containers=(), vms=(), pods=()
    )

    text = format_snapshot(snapshot, EVERY_LEVEL)

    assert text.splitlines()[1:] == [
        "zones: none measured",
        "pods: top 0 of 0 by power",
        "containers: top 0 of 0 by power",
        "virtual machines: top 0 of 0 by power",
        "processes: top 0 of 0 by power",
    ]


def test_export_writes_each_snapshot_to_the_stream() -> None:
    stream = io.StringIO()
    exporter = DebugExporter(settings(), DebugConfig(levels=("pod",)), stream)

    exporter.export(full_snapshot(3))
    exporter.export(full_snapshot(4))
    exporter.shutdown()
    exporter.shutdown()

    lines = stream.getvalue().splitlines()
    assert [line for line in lines if line.startswith("cycle")] == [
        "cycle 3  interval 5.00 s  usage 0.250  node node-a",
        "cycle 4  interval 5.00 s  usage 0.250  node node-a",
    ]


def test_factory_builds_an_exporter_writing_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert FACTORY.type == "debug"
    exporter = FACTORY.build(settings(), DebugConfig(levels=()))
    assert isinstance(exporter, DebugExporter)

    exporter.export(full_snapshot(7))

    assert capsys.readouterr().out == (
        "cycle 7  interval 5.00 s  usage 0.250  node node-a\n"
    )
