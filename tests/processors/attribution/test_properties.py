"""Generated runs: the identities of design.md §3 hold every cycle.

Each run draws zones (some found late, some missing now and then, counters
that only rise), a node busy for a random share of its CPU time, and a
population of processes that start, stop, reuse each other's PIDs, skip a
scan, run inside containers, pods and VMs, or are kernel threads. After
every cycle `helpers.check` asserts, to 1e-9 relative, that energy =
active + idle, active = processes + unattributed (+ evicted, cumulatively),
that containers, VMs and pods equal the sums of their parts, and that no
total decreases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_kepler.data.sample import (
    ContainerRef,
    NodeCPU,
    ProcessInfo,
    VMRef,
    ZoneReading,
)
from otel_kepler.processors.attribution.processor import AttributionProcessor
from tests.processors.attribution.helpers import (
    UJ,
    Driver,
    config,
    container,
    info,
    node,
    zone,
)

ZONES = ("package", "core", "dram")
CONTAINERS: tuple[ContainerRef | None, ...] = (
    None,
    None,
    container("c0", "pod-0"),
    container("c1", "pod-0"),
    container("c2", "pod-1"),
    container("c3"),
)
VMS: tuple[VMRef | None, ...] = (None, None, VMRef("vm-0", "guest0", "kvm"))


@dataclass
class Process:
    info: ProcessInfo
    cpu_s: float


@dataclass
class World:
    """The machine the samples describe, advanced one cycle at a time."""

    found_at: dict[str, int]
    energy_uj: dict[str, int]
    busy_s: float = 0.0
    idle_s: float = 0.0
    next_tick: int = 1


seconds = st.floats(0.0, 5.0, allow_nan=False, allow_subnormal=False)


@st.composite
def new_process(draw: st.DrawFn, world: World) -> Process:
    world.next_tick += draw(st.integers(1, 50))
    ref = info(
        draw(st.integers(1, 6)),
        world.next_tick,
        container=draw(st.sampled_from(CONTAINERS)),
        vm=draw(st.sampled_from(VMS)),
        kernel_thread=draw(st.integers(0, 9)) == 0,
    )
    return Process(ref, draw(seconds))


Readings = list[tuple[ProcessInfo, float]]


def step_world(
    draw: Callable[..., Any], world: World, cycle: int, alive: list[Process]
) -> tuple[list[ZoneReading], NodeCPU | None, Readings]:
    """Advance one cycle; return this cycle's zones, node CPU and readings."""
    if cycle > 1:
        total_s = draw(st.floats(0.0, 40.0, allow_nan=False))
        busy_s = total_s * draw(st.floats(0.0, 1.0))
        world.busy_s += busy_s
        world.idle_s += total_s - busy_s
        for name in world.energy_uj:
            world.energy_uj[name] += draw(st.integers(0, 500 * UJ))
    zones = [
        zone(name, world.energy_uj[name] / UJ)
        for name in world.found_at
        if world.found_at[name] <= cycle and draw(st.integers(0, 7)) != 0
    ]
    if draw(st.integers(0, 9)) == 0:
        zones.reverse()

    alive[:] = [p for p in alive if draw(st.integers(0, 5)) != 0]
    for _ in range(draw(st.integers(0, 3))):
        born = draw(new_process(world))
        alive[:] = [p for p in alive if p.info.pid != born.info.pid]
        alive.append(born)
    for process in alive:
        process.cpu_s += draw(seconds)
    readings = [(p.info, p.cpu_s) for p in alive if draw(st.integers(0, 9)) != 0]
    cpu = node(world.busy_s, world.idle_s) if draw(st.integers(0, 19)) else None
    return zones, cpu, readings


@st.composite
def runs(draw: st.DrawFn) -> tuple[Driver, int]:
    """A driver whose retention may evict, and how many cycles to run."""
    evicting = draw(st.booleans())
    if evicting:
        retention = config(draw(st.integers(0, 3)), draw(st.sampled_from([0, 5, 50])))
    else:
        retention = config(max_count=10_000, min_energy_j=0.0)
    retention = config(
        retention.terminated.max_count,
        retention.terminated.min_energy_j,
        kernel_threads=draw(st.booleans()),
    )
    driver = Driver(AttributionProcessor(retention), exact_pods=not evicting)
    return driver, draw(st.integers(1, 14))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), runs())
def test_identities_hold_every_cycle(
    data: st.DataObject, run: tuple[Driver, int]
) -> None:
    driver, cycles = run
    count = data.draw(st.integers(1, len(ZONES)))
    world = World(
        found_at={name: data.draw(st.integers(1, 3)) for name in ZONES[:count]},
        energy_uj={name: data.draw(st.integers(0, 2**40)) for name in ZONES[:count]},
    )
    alive: list[Process] = []
    for cycle in range(1, cycles + 1):
        zones, cpu, readings = step_world(data.draw, world, cycle, alive)
        interval_s = data.draw(st.sampled_from([5.0, 5.0, 1.5, 0.0]))
        driver.step(zones, cpu, readings, interval_s)  # checks every identity


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**10), st.floats(0, 1), st.lists(seconds, max_size=4)
        ),
        min_size=2,
        max_size=10,
    )
)
def test_zone_totals_match_the_counter_and_usage(
    steps: list[tuple[int, float, list[float]]],
) -> None:
    """The zone books equal sums computed here from the counter and U."""
    driver = Driver()
    counter_uj = 7 * UJ
    busy_s = idle_s = expected_j = expected_active_j = 0.0
    processes = [info(pid) for pid in range(1, 5)]
    cpu_s = [0.0] * len(processes)
    for cycle, (delta_uj, ratio, used) in enumerate(steps, start=1):
        if cycle > 1:
            counter_uj += delta_uj
            busy_s += 10 * ratio
            idle_s += 10 * (1 - ratio)
            expected_j += delta_uj / UJ
            expected_active_j += delta_uj / UJ * ratio
        for i, used_s in enumerate(used):
            cpu_s[i] += used_s
        snap = driver.step(
            [zone("package", counter_uj / UJ)],
            node(busy_s, idle_s),
            list(zip(processes, cpu_s, strict=True)),
        )
        (pkg,) = snap.zones
        assert abs(pkg.energy_j - expected_j) <= 1e-9 * expected_j
        assert abs(pkg.active_energy_j - expected_active_j) <= 1e-9 * expected_j
