"""Hand-computed attribution cases: every expected value worked out below."""

from __future__ import annotations

import logging

import pytest

from otel_kepler.data.sample import MeterKind, Provenance, ZoneReading
from otel_kepler.data.snapshot import State
from otel_kepler.processors.attribution.processor import AttributionProcessor
from tests.processors.attribution.helpers import (
    Driver,
    by_key,
    config,
    info,
    node,
    zone,
)

A = info(101)
B = info(102)


def two_process_driver() -> Driver:
    """Cycle 1: baselines. Cycle 2, 5 s later: 100 J, U = 4 s / 8 s = 0.5."""
    driver = Driver()
    driver.step([zone("package", 1000.0)], node(10, 10), [(A, 7.0), (B, 2.0)])
    return driver


def test_first_cycle_only_sets_baselines() -> None:
    driver = Driver()
    first = driver.step(
        [zone("package", 1000.0), zone("dram", 50.0)], node(10, 10), [(A, 7.0)]
    )
    assert first.usage_ratio == 0.0
    assert first.zone_names == ("package", "dram")
    for z in first.zones:
        assert (z.energy_j, z.active_energy_j, z.idle_energy_j) == (0.0, 0.0, 0.0)
        assert (z.power_w, z.unattributed_power_w) == (0.0, 0.0)
    (process,) = first.processes
    assert process.ref is A and process.state is State.RUNNING
    assert process.energy_j == (0.0, 0.0) and process.power_w == (0.0, 0.0)
    assert process.cpu_time_s == 7.0


def test_three_to_one_cpu_split_gets_exact_joules_and_watts() -> None:
    driver = two_process_driver()
    snap = driver.step([zone("package", 1100.0)], node(14, 14), [(A, 10.0), (B, 3.0)])

    # dE = 100 J; busy 4 s of 8 s: U = 0.5, active 50 J, idle 50 J.
    # D = max(4, 3 + 1) = 4: A gets 50 * 3/4, B 50 * 1/4, nothing is left.
    assert snap.usage_ratio == 0.5
    (pkg,) = snap.zones
    assert (pkg.energy_j, pkg.active_energy_j, pkg.idle_energy_j) == (100, 50, 50)
    assert (pkg.power_w, pkg.active_power_w, pkg.idle_power_w) == (20, 10, 10)
    assert pkg.unattributed_energy_j == 0.0
    assert pkg.meter is MeterKind.RAPL and pkg.provenance is Provenance.MEASURED
    a, b = snap.processes
    assert a.energy_j == (37.5,) and a.power_w == (7.5,) and a.cpu_time_s == 10.0
    assert b.energy_j == (12.5,) and b.power_w == (2.5,) and b.cpu_time_s == 3.0


def test_cpu_not_seen_in_processes_is_unattributed() -> None:
    driver = two_process_driver()
    snap = driver.step([zone("package", 1100.0)], node(14, 14), [(A, 8.5), (B, 2.5)])

    # D = max(4, 1.5 + 0.5) = 4: A 50 * 1.5/4, B 50 * 0.5/4, 25 J unattributed.
    a, b = snap.processes
    assert (a.energy_j, b.energy_j) == ((18.75,), (6.25,))
    assert (a.power_w, b.power_w) == ((3.75,), (1.25,))
    (pkg,) = snap.zones
    assert pkg.unattributed_energy_j == 25.0 and pkg.unattributed_power_w == 5.0


def test_process_cpu_beyond_node_busy_time_shares_all_active_energy() -> None:
    driver = two_process_driver()
    snap = driver.step([zone("package", 1100.0)], node(14, 14), [(A, 13.0), (B, 4.0)])

    # D = max(4, 6 + 2) = 8: shares 6/8 and 2/8 of 50 J.
    a, b = snap.processes
    assert (a.energy_j, b.energy_j) == ((37.5,), (12.5,))
    assert snap.zones[0].unattributed_energy_j == 0.0


def test_idle_interval_keeps_totals_and_reports_no_power() -> None:
    driver = two_process_driver()
    busy = driver.step([zone("package", 1100.0)], node(14, 14), [(A, 10.0), (B, 3.0)])
    idle = driver.step([zone("package", 1140.0)], node(14, 24), [(A, 10.0), (B, 3.0)])

    # 40 J in 5 s with no busy time: all idle.
    assert idle.usage_ratio == 0.0
    (pkg,) = idle.zones
    assert (pkg.energy_j, pkg.active_energy_j, pkg.idle_energy_j) == (140, 50, 90)
    assert (pkg.power_w, pkg.active_power_w, pkg.idle_power_w) == (8, 0, 8)
    for before, after in zip(busy.processes, idle.processes, strict=True):
        assert after.energy_j == before.energy_j
        assert after.power_w == (0.0,) and after.state is State.RUNNING


def test_iowait_counts_as_idle_time() -> None:
    driver = Driver()
    driver.step([zone("package", 0.0)], node(0, 0, 0), [(A, 0.0)])
    snap = driver.step([zone("package", 80.0)], node(2, 4, 2), [(A, 2.0)])

    # busy = total - idle - iowait = 2 of 8: U = 0.25, active 20 J.
    assert snap.usage_ratio == 0.25
    assert snap.processes[0].energy_j == (20.0,)
    assert snap.zones[0].idle_energy_j == 60.0


def test_zone_read_error_keeps_totals_and_catches_up_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = Driver()
    driver.step([zone("package", 0), zone("dram", 0)], node(0, 0), [(A, 0)])
    driver.step([zone("package", 100), zone("dram", 10)], node(4, 4), [(A, 4)])
    with caplog.at_level(logging.WARNING):
        missed = driver.step([zone("package", 200)], node(8, 8), [(A, 8)])
        driver.step([zone("package", 300)], node(12, 12), [(A, 12)])
    back = driver.step(
        [zone("package", 400), zone("dram", 40)], node(16, 16), [(A, 16)]
    )

    pkg, dram = missed.zones
    assert (dram.energy_j, dram.active_energy_j, dram.power_w) == (10, 5, 0)
    assert missed.processes[0].energy_j == (100.0, 5.0)
    assert missed.processes[0].power_w == (10.0, 0.0)
    assert pkg.energy_j == 200

    # 30 J of dram over the 15 s since its last reading, at this cycle's U.
    pkg, dram = back.zones
    assert (dram.energy_j, dram.active_energy_j, dram.idle_energy_j) == (40, 20, 20)
    assert dram.power_w == 2.0 and dram.active_power_w == 1.0
    assert back.processes[0].energy_j == (200.0, 20.0)
    assert back.processes[0].power_w == (10.0, 1.0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "zone dram is missing from the sample; it keeps its totals and its energy "
        "is counted when it is read again"
    ]


def test_zone_found_later_is_appended_and_every_tuple_padded() -> None:
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0), [(A, 0)])
    driver.step([zone("package", 100)], node(8, 0), [(A, 8)])
    appears = driver.step(
        [zone("dram", 7), zone("package", 200)], node(16, 0), [(B, 1)]
    )
    later = driver.step([zone("package", 300), zone("dram", 17)], node(24, 0), [(B, 9)])

    assert appears.zone_names == ("package", "dram")
    assert appears.zones[1].energy_j == 0.0
    b, a = appears.processes
    assert a.state is State.TERMINATED and a.energy_j == (100.0, 0.0)
    # B started within the interval: 1 s of the node's 8 busy seconds.
    assert b.energy_j == (12.5, 0.0)
    assert later.processes[0].energy_j == (112.5, 10.0)


def test_counter_going_backwards_counts_as_no_energy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = Driver()
    driver.step([zone("package", 500)], node(0, 0), [(A, 0)])
    with caplog.at_level(logging.WARNING):
        snap = driver.step([zone("package", 400)], node(4, 4), [(A, 4)])
    after = driver.step([zone("package", 450)], node(8, 8), [(A, 8)])

    assert snap.zones[0].energy_j == 0.0
    assert after.zones[0].energy_j == 50.0
    assert "went backwards" in caplog.text


def test_reused_pid_is_a_new_process_and_the_old_one_terminates() -> None:
    old, new = info(300, start_ticks=1000), info(300, start_ticks=2000)
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0), [(old, 5.0)])
    first = driver.step([zone("package", 100)], node(10, 0), [(old, 15.0)])
    reused = driver.step([zone("package", 200)], node(20, 0), [(new, 2.5)])

    assert first.processes[0].energy_j == (100.0,)
    running, ended = reused.processes
    # The new process started within the interval: all its 2.5 s count, of a
    # node busy for 10 s, so it gets 25 J and 75 J stay unattributed.
    assert running.ref is new and running.state is State.RUNNING
    assert running.energy_j == (25.0,) and running.cpu_time_s == 2.5
    assert ended.ref is old and ended.state is State.TERMINATED
    assert ended.energy_j == (100.0,) and ended.power_w == (0.0,)
    assert ended.cpu_time_s == 15.0
    assert reused.zones[0].unattributed_energy_j == 75.0


def test_process_cpu_time_never_goes_backwards() -> None:
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0), [(A, 10.0)])
    dip = driver.step([zone("package", 10)], node(1, 0), [(A, 9.0)])
    rise = driver.step([zone("package", 20)], node(2, 0), [(A, 10.0)])

    assert dip.processes[0].cpu_time_s == 10.0 and dip.processes[0].energy_j == (0,)
    assert rise.processes[0].cpu_time_s == 10.0
    assert rise.processes[0].energy_j == (10.0,)


def test_kernel_threads_are_unattributed_unless_exported() -> None:
    kthread = info(2, kernel_thread=True)
    for exported in (False, True):
        driver = Driver(AttributionProcessor(config(kernel_threads=exported)))
        driver.step([zone("package", 0)], node(0, 0), [(A, 0), (kthread, 0)])
        snap = driver.step([zone("package", 80)], node(4, 4), [(A, 1), (kthread, 3)])

        processes = by_key(snap.processes)
        assert processes[A.key].energy_j == (10.0,)
        if exported:
            assert processes[kthread.key].energy_j == (30.0,)
            assert snap.zones[0].unattributed_energy_j == 0.0
        else:
            assert kthread.key not in processes
            assert snap.zones[0].unattributed_energy_j == 30.0


def test_no_node_cpu_time_leaves_all_energy_idle(
    caplog: pytest.LogCaptureFixture,
) -> None:
    driver = Driver()
    with caplog.at_level(logging.WARNING):
        driver.step([zone("package", 0)], None, [(A, 0)])
        snap = driver.step([zone("package", 50)], None, [(A, 5)])
        driver.step([zone("package", 60)], None, [(A, 6)])

    assert snap.usage_ratio == 0.0
    assert snap.zones[0].idle_energy_j == 50.0
    assert snap.processes[0].energy_j == (0.0,)
    assert caplog.text.count("no node CPU time") == 1


def test_zero_interval_gives_energy_but_no_power() -> None:
    driver = two_process_driver()
    snap = driver.step(
        [zone("package", 1100.0)], node(14, 14), [(A, 10.0), (B, 3.0)], interval_s=0
    )
    assert snap.processes[0].energy_j == (37.5,)
    assert snap.processes[0].power_w == (0.0,)
    assert snap.zones[0].power_w == 0.0


def test_no_zones_still_tracks_processes() -> None:
    driver = Driver()
    driver.step([], node(0, 0), [(A, 0)])
    snap = driver.step([], node(4, 0), [(A, 4)])
    assert snap.zones == ()
    assert snap.processes[0].energy_j == () and snap.processes[0].cpu_time_s == 4


def test_zone_reported_twice_counts_once() -> None:
    driver = Driver()
    twice = (zone("package", 0), zone("package", 30))
    driver.step(twice, node(0, 0))
    snap = driver.step((zone("package", 10), zone("package", 99)), node(1, 1))
    assert snap.zone_names == ("package",) and snap.zones[0].energy_j == 10.0


def test_zone_metadata_follows_the_latest_reading() -> None:
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0))
    model = ZoneReading(
        "package", "model", 5 * 10**6, MeterKind.MODEL, Provenance.ESTIMATED
    )
    snap = driver.step([model], node(1, 1))
    assert snap.zones[0].meter is MeterKind.MODEL
    assert snap.zones[0].provenance is Provenance.ESTIMATED
    assert snap.zones[0].path == "model"


def test_duplicate_process_readings_count_once() -> None:
    driver = Driver()
    driver.step([zone("package", 0)], node(0, 0), [(A, 0)])
    snap = driver.step([zone("package", 40)], node(4, 0), [(A, 4), (A, 4)])
    assert len(snap.processes) == 1 and snap.processes[0].energy_j == (40.0,)


def test_unchanged_idle_process_is_published_as_the_same_object() -> None:
    driver = two_process_driver()
    first = driver.step([zone("package", 1010)], node(10, 20), [(A, 7.0), (B, 2.0)])
    second = driver.step([zone("package", 1020)], node(10, 30), [(A, 7.0), (B, 2.0)])
    assert first.processes[0] is second.processes[0]


def test_cpu_time_below_a_nanosecond_shares_nothing_and_overflows_nothing() -> None:
    # Found by the property test: 1 J over 5e-324 CPU seconds is an infinite
    # number of joules per CPU second. Kernels count in 1 to 10 ms ticks.
    driver = Driver()
    driver.step([zone("dram", 10.0)], node(0.0, 0.0), [])
    snap = driver.step([zone("dram", 11.0)], node(5e-324, 0.0), [(A, 5e-324)])

    (dram,) = snap.zones
    assert (dram.energy_j, dram.active_energy_j) == (1.0, 1.0)
    assert dram.unattributed_energy_j == 1.0
    assert dram.unattributed_power_w == dram.active_power_w == 0.2
    (process,) = snap.processes
    assert process.energy_j == (0.0,) and process.power_w == (0.0,)
