"""Node energy shared out to the workloads that used the CPU.

Per zone and interval (Kepler's rules): the zone's energy delta dE splits
into active = dE * U and idle = dE - active, U being the node's busy share
of CPU time from /proc/stat. A process gets active * d / D, d being its CPU
seconds in the interval and D the larger of the node's busy seconds and the
sum of d over exported processes. What no exported process accounts for
(interrupts, kernel threads, processes that came and went between two
scans) is booked as `unattributed`, so that in every zone

    energy = active + idle
    active = sum of process energy + unattributed

hold every interval and cumulatively. Containers and VMs accumulate the
shares of their processes, pods those of their containers; these totals
are ours and survive the exit of the processes that made them.

The first cycle only sets baselines. A process first seen later started
within the interval and brings all its CPU time. Workloads that end keep
their totals, with no power, for as long as `Retention` keeps them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import repeat

from otel_kepler.component import Host, Processor
from otel_kepler.data.sample import (
    ContainerRef,
    NodeCPU,
    PodRef,
    ProcessInfo,
    ProcessKey,
    ProcessReading,
    VMRef,
)
from otel_kepler.data.snapshot import Snapshot, State, WorkloadEnergy
from otel_kepler.processors.attribution.config import AttributionConfig
from otel_kepler.processors.attribution.ledger import (
    AggregateLedger,
    Entry,
    Retention,
    Shares,
    ZoneLedger,
    pad,
)

_logger = logging.getLogger(__name__)

_RUNNING = State.RUNNING


class AttributionProcessor(Processor):
    """Turns a cycle's sample into node, process, container, VM and pod energy."""

    def __init__(self, config: AttributionConfig, name: str = "attribution") -> None:
        self._config = config
        self._name = name
        self._started = False
        self._reset()

    def _reset(self) -> None:
        kept = self._config.terminated
        self._cycle = 0
        self._node_cpu: NodeCPU | None = None
        self._zones = ZoneLedger()
        self._procs: dict[ProcessKey, Entry[ProcessInfo]] = {}
        self._ended_procs: Retention[ProcessKey, ProcessInfo] = Retention(
            kept.max_count, kept.min_energy_j
        )
        self._containers: AggregateLedger[ContainerRef] = AggregateLedger(
            Retention(kept.max_count, kept.min_energy_j)
        )
        self._vms: AggregateLedger[VMRef] = AggregateLedger(
            Retention(kept.max_count, kept.min_energy_j)
        )
        self._pods: AggregateLedger[PodRef] = AggregateLedger(
            Retention(kept.max_count, kept.min_energy_j)
        )
        self._evicted_j: tuple[float, ...] = ()
        self._warned_no_cpu = False

    def start(self, host: Host) -> None:
        self._started = True
        kept = self._config.terminated
        _logger.info(
            "%s started: kernel threads %s; keeping up to %d terminated workloads "
            "per level of at least %g J",
            self._name,
            "exported" if self._config.kernel_threads else "unattributed",
            kept.max_count,
            kept.min_energy_j,
        )

    def shutdown(self) -> None:
        if self._started:
            _logger.info("%s stopped after %d cycles", self._name, self._cycle)
        self._started = False
        self._reset()

    @property
    def evicted_energy_j(self) -> tuple[float, ...]:
        """Energy of processes dropped from retention, per zone (cumulative).

        Cumulatively, per zone: active = running and kept processes +
        unattributed + this.
        """
        return pad(self._evicted_j, len(self._zones))

    def process(self, snapshot: Snapshot) -> Snapshot:
        self._cycle += 1
        sample = snapshot.sample
        primed = self._node_cpu is not None
        usage_ratio, busy_s = self._usage(sample.node_cpu)
        if self._zones.update(sample.zones, snapshot.interval_s, usage_ratio):
            self._realign(len(self._zones))

        live, busy, cpu_s = self._scan(sample.processes, primed)
        attributed_s = sum(cpu_s)
        shares = self._zones.shares(max(busy_s, attributed_s))
        self._attribute(busy, cpu_s, shares)
        running = [entry.view for entry in live]
        self._end_processes(len(live), shares.zeros)
        self._roll_up_pods()

        result = replace(
            snapshot,
            zones=self._zones.close(attributed_s, shares),
            usage_ratio=usage_ratio,
            processes=(*running, *self._ended_procs.views()),
            containers=self._containers.settle(self._cycle, shares),
            vms=self._vms.settle(self._cycle, shares),
            pods=self._pods.settle(self._cycle, shares),
        )
        _logger.debug(
            "cycle %d: usage %.3f, %d processes running, %d terminated kept",
            snapshot.cycle,
            usage_ratio,
            len(running),
            len(self._ended_procs),
        )
        return result

    def _usage(self, node_cpu: NodeCPU | None) -> tuple[float, float]:
        """The busy ratio U of the interval and the node's busy CPU seconds."""
        if node_cpu is None:
            if not self._warned_no_cpu:
                self._warned_no_cpu = True
                _logger.warning(
                    "the sample has no node CPU time (is a procfs receiver in the "
                    "pipeline?); energy counts as idle until it has"
                )
            return 0.0, 0.0
        previous, self._node_cpu = self._node_cpu, node_cpu
        if previous is None:
            return 0.0, 0.0
        total_s = node_cpu.total_s - previous.total_s
        busy_s = max(node_cpu.busy_s - previous.busy_s, 0.0)
        if total_s <= 0:
            return 0.0, busy_s
        return min(busy_s / total_s, 1.0), busy_s

    def _scan(
        self, readings: Sequence[ProcessReading], primed: bool
    ) -> tuple[list[Entry[ProcessInfo]], list[Entry[ProcessInfo]], list[float]]:
        """Match readings to books and feed containers and VMs.

        Returns the live processes, in sample order, and those that used CPU
        in the interval, with their CPU seconds. A process that did not is settled
        here: same energy, no power. NOTE: this loop runs once per process
        per cycle; it keeps to local names and attribute reads on purpose.
        """
        procs = self._procs
        cycle = self._cycle
        zeros = self._zones.zeros
        skip_kernel = not self._config.kernel_threads
        live: list[Entry[ProcessInfo]] = []
        busy: list[Entry[ProcessInfo]] = []
        busy_s: list[float] = []
        for reading in readings:
            info = reading.info
            if skip_kernel and info.kernel_thread:
                continue
            cpu_s = reading.cpu_time_s
            entry = procs.get((info.pid, info.start_ticks))
            if entry is None:
                entry = self._enter(info, 0.0 if primed else cpu_s)
            elif entry.seen == cycle:
                continue
            entry.seen = cycle
            entry.ref = info
            live.append(entry)

            delta = cpu_s - entry.cpu_base_s
            entry.cpu_base_s = cpu_s
            if delta > 0:
                entry.cpu_time_s = max(entry.cpu_time_s, cpu_s)
                busy.append(entry)
                busy_s.append(delta)
            else:
                delta = 0.0
                view = entry.view
                if (
                    view.power_w is not zeros
                    or view.ref is not info
                    or view.cpu_time_s != entry.cpu_time_s
                ):
                    entry.view = WorkloadEnergy(
                        info, _RUNNING, entry.cpu_time_s, view.energy_j, zeros
                    )

            aggregate = entry.container
            if aggregate is not None:
                aggregate.seen = cycle
                aggregate.delta_s += delta
            aggregate_vm = entry.vm
            if aggregate_vm is not None:
                aggregate_vm.seen = cycle
                aggregate_vm.delta_s += delta
        return live, busy, busy_s

    def _enter(self, info: ProcessInfo, cpu_base_s: float) -> Entry[ProcessInfo]:
        """Books for a process not running in the last cycle."""
        key = info.key
        zeros = self._zones.zeros
        entry = self._ended_procs.revive(key)
        if entry is None:
            entry = Entry(info, zeros)
            entry.cpu_base_s = entry.cpu_time_s = cpu_base_s
        container = info.container
        if container is not None:
            entry.container = self._containers.touch(container.id, container, zeros)
        if info.vm is not None:
            entry.vm = self._vms.touch(info.vm.id, info.vm, zeros)
        self._procs[key] = entry
        return entry

    @staticmethod
    def _attribute(
        busy: list[Entry[ProcessInfo]], busy_s: list[float], shares: Shares
    ) -> None:
        """New views of the processes that used CPU, computed zone by zone.

        NOTE: per-zone columns and `zip` build the per-process tuples at C
        speed; a loop over processes and zones costs several times more.
        """
        if not busy:
            return
        energies: Iterable[tuple[float, ...]]
        powers: Iterable[tuple[float, ...]]
        if shares.zeros:
            columns = zip(*[entry.view.energy_j for entry in busy], strict=True)
            energies = zip(
                *[
                    [e + d * j for e, d in zip(column, busy_s, strict=True)]
                    for column, j in zip(columns, shares.j_per_cpu_s, strict=True)
                ],
                strict=True,
            )
            powers = zip(
                *[[d * w for d in busy_s] for w in shares.w_per_cpu_s], strict=True
            )
        else:
            energies = powers = repeat(())
        views = map(
            WorkloadEnergy,
            [entry.ref for entry in busy],
            repeat(_RUNNING),
            [entry.cpu_time_s for entry in busy],
            energies,
            powers,
        )
        for entry, view in zip(busy, views, strict=False):
            entry.view = view

    def _end_processes(self, live_count: int, zeros: tuple[float, ...]) -> None:
        """Move processes not seen this cycle to retention; count the evicted."""
        if live_count == len(self._procs):
            return
        cycle = self._cycle
        ended = [(k, e) for k, e in self._procs.items() if e.seen != cycle]
        for key, entry in ended:
            del self._procs[key]
            entry.end(zeros)
        evicted = self._ended_procs.admit(ended)
        if evicted:
            totals = list(pad(self._evicted_j, len(zeros)))
            for entry in evicted:
                for index, energy_j in enumerate(entry.view.energy_j):
                    totals[index] += energy_j
            self._evicted_j = tuple(totals)

    def _roll_up_pods(self) -> None:
        """Give each pod the CPU seconds of its containers seen this cycle."""
        cycle = self._cycle
        zeros = self._zones.zeros
        for container in self._containers.running():
            uid = container.ref.pod_uid
            if container.seen != cycle or not uid:
                continue
            pod = self._pods.touch(uid, PodRef(uid), zeros)
            pod.seen = cycle
            pod.delta_s += container.delta_s

    def _realign(self, count: int) -> None:
        """A zone appeared: pad every workload's per-zone tuples."""
        for entry in self._procs.values():
            entry.realign(count)
        self._ended_procs.realign(count)
        self._containers.realign(count)
        self._vms.realign(count)
        self._pods.realign(count)
        self._evicted_j = pad(self._evicted_j, count)
