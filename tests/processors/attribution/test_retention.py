"""Terminated workloads: kept by energy, frozen, visible in every snapshot.

Every cycle below has one zone, 100 J and a node busy for all of its 10 CPU
seconds, so one CPU second is worth exactly 10 J.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Sequence

from otel_kepler.data.sample import ProcessInfo
from otel_kepler.data.snapshot import Snapshot, State
from otel_kepler.processors.attribution.processor import AttributionProcessor
from tests.processors.attribution.helpers import (
    Driver,
    by_key,
    config,
    container,
    info,
    node,
    zone,
)


class TenJoulesPerSecond:
    """Drives cycles in which each CPU second is worth 10 J."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.cpu_s: dict[ProcessInfo, float] = {}
        self.energy_j = 0.0
        self.busy_s = 0.0

    def cycle(
        self, used_s: dict[ProcessInfo, float], alive: Sequence[ProcessInfo] = ()
    ) -> Snapshot:
        """One cycle: `used_s` CPU seconds each; `alive` also present, idle."""
        if self.driver.cycle > 0:
            self.energy_j += 100.0
            self.busy_s += 10.0
        readings = []
        for process in [*used_s, *alive]:
            self.cpu_s[process] = self.cpu_s.get(process, 0.0) + used_s.get(process, 0)
            readings.append((process, self.cpu_s[process]))
        return self.driver.step(
            [zone("package", self.energy_j)], node(self.busy_s, 0), readings
        )


def test_terminated_below_min_energy_is_dropped_and_counted_as_evicted() -> None:
    small, large = info(1), info(2)
    processor = AttributionProcessor(config(min_energy_j=10.0))
    run = TenJoulesPerSecond(Driver(processor))
    run.cycle({}, [small, large])
    run.cycle({small: 0.5, large: 2.0})
    snap = run.cycle({})

    ended = by_key(snap.processes)
    assert list(ended) == [large.key]
    assert ended[large.key].state is State.TERMINATED
    assert ended[large.key].energy_j == (20.0,)
    assert processor.evicted_energy_j == (5.0,)


def test_exactly_min_energy_is_kept() -> None:
    edge = info(1)
    run = TenJoulesPerSecond(Driver(AttributionProcessor(config(min_energy_j=10.0))))
    run.cycle({}, [edge])
    run.cycle({edge: 1.0})
    assert [p.state for p in run.cycle({}).processes] == [State.TERMINATED]


def test_at_most_max_count_are_kept_the_largest_first() -> None:
    processes = [info(pid) for pid in range(1, 5)]
    processor = AttributionProcessor(config(max_count=2, min_energy_j=0.0))
    run = TenJoulesPerSecond(Driver(processor))
    run.cycle({}, processes)
    p1, p2, p3, p4 = processes
    run.cycle({p1: 1.0, p2: 4.0, p3: 2.0, p4: 3.0})
    run.cycle({p2: 0.0, p3: 0.0, p4: 0.0})  # p1 (10 J) ends
    run.cycle({p3: 0.0, p4: 0.0})  # p2 (40 J) ends
    snap = run.cycle({p4: 0.0})  # p3 (20 J) ends; p1 goes

    kept = by_key(p for p in snap.processes if p.state is State.TERMINATED)
    assert sorted(kept) == [p2.key, p3.key]
    assert processor.evicted_energy_j == (10.0,)
    snap = run.cycle({})  # p4 (30 J) ends; p3 goes
    kept = by_key(snap.processes)
    assert sorted(kept) == [p2.key, p4.key]
    assert processor.evicted_energy_j == (30.0,)


def test_max_count_zero_keeps_nothing() -> None:
    process = info(1)
    processor = AttributionProcessor(config(max_count=0, min_energy_j=0.0))
    run = TenJoulesPerSecond(Driver(processor))
    run.cycle({}, [process])
    run.cycle({process: 5.0})
    assert run.cycle({}).processes == ()
    assert processor.evicted_energy_j == (50.0,)


def test_terminated_workloads_stay_frozen_in_every_later_snapshot() -> None:
    ended, other = info(1, container=container("c1", "pod-1")), info(2)
    run = TenJoulesPerSecond(Driver())
    run.cycle({}, [ended, other])
    run.cycle({ended: 3.0, other: 1.0})
    first = run.cycle({other: 1.0})
    views = (first.processes[-1], first.containers[0], first.pods[0])
    assert [v.state for v in views] == [State.TERMINATED] * 3
    assert [v.energy_j for v in views] == [(30.0,)] * 3

    for _ in range(20):
        snap = run.cycle({other: 1.0})
        assert (snap.processes[-1], snap.containers[0], snap.pods[0]) == views
        assert snap.processes[0].state is State.RUNNING


def test_process_missing_for_one_cycle_resumes_with_its_totals() -> None:
    flaky, steady = info(1), info(2)
    run = TenJoulesPerSecond(Driver())
    run.cycle({}, [flaky, steady])
    run.cycle({flaky: 2.0, steady: 1.0})
    gone = run.cycle({steady: 1.0})
    assert by_key(gone.processes)[flaky.key].state is State.TERMINATED

    # Its CPU time of both intervals arrives now, against the old baseline.
    run.cpu_s[flaky] += 3.0
    back = run.cycle({flaky: 1.0, steady: 1.0})
    resumed = by_key(back.processes)[flaky.key]
    assert resumed.state is State.RUNNING
    assert resumed.cpu_time_s == 6.0
    # 4 s of D = max(10, 4 + 1): 40 J more on top of its 20 J.
    assert resumed.energy_j == (60.0,)


def test_container_that_comes_back_runs_on_from_its_totals() -> None:
    ref = container("c1", "pod-1")
    first, second = info(1, container=ref), info(2, container=ref)
    run = TenJoulesPerSecond(Driver())
    run.cycle({}, [first])
    run.cycle({first: 2.0})
    ended = run.cycle({})
    assert ended.containers[0].state is State.TERMINATED
    assert ended.pods[0].state is State.TERMINATED

    back = run.cycle({second: 1.0})
    assert back.containers[0].state is State.RUNNING
    assert back.containers[0].energy_j == (30.0,)
    assert back.containers[0].cpu_time_s == 3.0
    assert back.pods[0].state is State.RUNNING and back.pods[0].energy_j == (30.0,)


def test_memory_stays_flat_under_process_churn() -> None:
    processor = AttributionProcessor(config(max_count=5, min_energy_j=0.0))
    run = TenJoulesPerSecond(Driver(processor))

    def churn(cycles: int, first: int) -> Snapshot:
        for start in range(first, first + cycles):
            pid = 7 + start % 3
            ref = container(f"c{start}", f"pod-{start}")
            snap = run.cycle({info(pid, start_ticks=start, container=ref): 0.5})
            run.cpu_s.clear()
        return snap

    run.cycle({})
    tracemalloc.start()
    try:
        # The first thousand cycles also fill the interpreter's free lists.
        churn(1000, 0)
        before, _ = tracemalloc.get_traced_memory()
        snap = churn(500, 1000)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(snap.processes) == 1 + 5
    assert len(snap.containers) == len(snap.pods) == 1 + 5
    # 500 more processes, containers and pods came and went: keeping their
    # books would cost over a hundred kilobytes.
    assert after - before < 16 * 1024, f"grew by {after - before} bytes"
