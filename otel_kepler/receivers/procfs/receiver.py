"""The procfs receiver: CPU time of the node and of every process.

Each cycle lists `<procfs>` once and reads every `<pid>/stat`. A process is
identified by its pid and start time, so a reused pid is a new process. Its
static facts (comm, executable, container, VM, kernel thread) are read
the first time it is seen and kept until it is gone, or until the comm in
its stat line changes: an exec keeps pid and start time but changes the
program, and runtimes usually move a process into its container's cgroup
just before that exec.

Steady-state cost per process: one open/read/close of the stat file, one
split, three integer conversions and a dict lookup. A reading whose CPU
time did not change is reused as is, so idle processes allocate nothing.

Churn is normal: a process that exits between the listing and the read is
counted in `vanished_total` and logged at DEBUG. A stat line that cannot be
parsed is skipped for the cycle and counted in `malformed_total`.
"""

from __future__ import annotations

import logging
import os

from otel_kepler.component import CreateSettings, Host, Receiver
from otel_kepler.data.sample import (
    CPUInfo,
    ProcessInfo,
    ProcessKey,
    ProcessReading,
    Sample,
)
from otel_kepler.errors import ComponentError, SourceDenied, SourceError, SourceGone
from otel_kepler.host.cgroup import CgroupLayout, detect_cgroup_layout, parse_container
from otel_kepler.host.procfs import (
    list_pids,
    parse_cmdline,
    parse_pid_stat,
    parse_stat_times,
    read_all_bytes,
    read_cpuinfo,
    read_stat_bytes,
)
from otel_kepler.host.procstat import CLOCK_TICKS_PER_S, read_node_cpu
from otel_kepler.host.vm import parse_vm
from otel_kepler.receivers.procfs.config import ProcfsConfig

_logger = logging.getLogger(__name__)


class ProcfsReceiver(Receiver):
    """Node CPU time, CPU info and per-process CPU time from `<procfs>`.

    Public counters: `vanished_total` (processes gone between listing and
    reading), `malformed_total` (stat lines skipped). `cgroup_layout` is
    the layout found under `<sysfs>/fs/cgroup` at start.
    """

    def __init__(
        self,
        settings: CreateSettings,
        config: ProcfsConfig,
        ticks_per_s: int = CLOCK_TICKS_PER_S,
    ) -> None:
        """`ticks_per_s` is USER_HZ, the unit of CPU times in /proc."""
        self._id = str(settings.id)
        self._sources = (self._id,)
        self._procfs = config.procfs
        self._sysfs = config.sysfs
        self._prefix = os.path.join(config.procfs, "")
        self._ticks_per_s = ticks_per_s
        self._cache: dict[ProcessKey, tuple[ProcessReading, bytes]] = {}
        self._cpu_info: tuple[CPUInfo, ...] = ()
        self._started = False
        self._warned: set[str] = set()
        self.cgroup_layout = CgroupLayout.UNKNOWN
        self.vanished_total = 0
        self.malformed_total = 0

    def start(self, host: Host) -> None:
        try:
            read_node_cpu(self._procfs)
        except SourceError as e:
            raise ComponentError(
                f'{self._id}: cannot read "{e.path}" ({e.reason}); set '
                f"receivers::{self._id}::procfs to the mount point of the proc "
                f'file system (now "{self._procfs}")'
            ) from e

        self._cpu_info = self._read_cpu_info()
        self.cgroup_layout = detect_cgroup_layout(self._sysfs)
        self._started = True
        _logger.info(
            "%s: reading processes from %s, %d CPUs in cpuinfo, cgroup layout %s "
            "(under %s)",
            self._id,
            self._procfs,
            len(self._cpu_info),
            self.cgroup_layout,
            os.path.join(self._sysfs, "fs", "cgroup"),
        )

    def shutdown(self) -> None:
        if self._started:
            _logger.info("%s: stopped", self._id)
        self._started = False
        self._cache = {}

    def collect(self, time_s: float, wall_s: float) -> Sample:
        """Read node CPU time and every process; SourceError if `<procfs>`
        itself cannot be read."""
        if not self._started:
            raise ComponentError(f"{self._id}: collect() called before start()")
        node_cpu = read_node_cpu(self._procfs)
        processes = self._scan()
        return Sample(
            time_s=time_s,
            wall_s=wall_s,
            node_cpu=node_cpu,
            cpu_info=self._cpu_info,
            processes=processes,
            sources=self._sources,
        )

    @property
    def cached_processes(self) -> int:
        """How many processes have their static facts cached."""
        return len(self._cache)

    def _scan(self) -> tuple[ProcessReading, ...]:
        """One reading per live process.

        NOTE: the loop is kept in one function, with locals for what it
        uses, because it runs once per process per cycle.
        """
        cache = self._cache
        prefix = self._prefix
        ticks_per_s = self._ticks_per_s
        readings: list[ProcessReading] = []
        new = 0
        for name in list_pids(self._procfs):
            data = self._read_stat(prefix + name + "/stat")
            if not data:
                continue
            try:
                start_ticks, cpu_ticks, head = parse_stat_times(data)
            except (ValueError, IndexError):
                self._malformed(prefix + name + "/stat", data)
                continue

            cpu_time_s = cpu_ticks / ticks_per_s
            key = (int(name), start_ticks)
            cached = cache.get(key)
            if cached is None or cached[1] != head:
                # New, or it exec'd: comm, argv and often the cgroup changed.
                info = self._learn(prefix + name, data)
                if info is None:
                    continue
                last = ProcessReading(info, cpu_time_s)
                cache[key] = (last, head)
                new += 1
            else:
                last = cached[0]
                if last.cpu_time_s != cpu_time_s:
                    last = ProcessReading(last.info, cpu_time_s)
                    cache[key] = (last, head)
            readings.append(last)

        # Every key read this cycle is in the cache; a larger cache holds
        # processes that are gone.
        if len(cache) != len(readings):
            live = {r.info.key for r in readings}
            self._cache = {k: v for k, v in cache.items() if k in live}
        _logger.debug(
            "%s: %d processes, %d new, %d vanished and %d malformed so far",
            self._id,
            len(readings),
            new,
            self.vanished_total,
            self.malformed_total,
        )
        return tuple(readings)

    def _read_stat(self, path: str) -> bytes:
        """The stat line, or b"" when it cannot be read (counted and logged)."""
        try:
            data = read_stat_bytes(path)
        except SourceError as e:
            self._unreadable(e)
            return b""
        if not data:
            self._vanished(path)
        return data

    def _learn(self, pid_dir: str, stat: bytes) -> ProcessInfo | None:
        """Read the static facts of a new process; None if it is gone."""
        try:
            parsed = parse_pid_stat(stat)
        except ValueError:
            self._malformed(pid_dir + "/stat", stat)
            return None
        argv: tuple[str, ...] = ()
        cgroup = ""
        if not parsed.kernel_thread:
            try:
                argv = parse_cmdline(self._read_fact(pid_dir + "/cmdline"))
                cgroup = self._read_fact(pid_dir + "/cgroup").decode("utf-8", "replace")
            except SourceGone as e:
                self._vanished(e.path)
                return None
        return ProcessInfo(
            pid=parsed.pid,
            start_ticks=parsed.start_ticks,
            comm=parsed.comm,
            exe=argv[0] if argv else "",
            container=parse_container(cgroup) if cgroup else None,
            vm=parse_vm(argv),
            kernel_thread=parsed.kernel_thread,
        )

    def _read_fact(self, path: str) -> bytes:
        """A static fact file; b"" if denied or broken (warned), SourceGone
        if the process is gone."""
        try:
            return read_all_bytes(path)
        except SourceGone:
            raise
        except SourceError as e:
            self._unreadable(e)
            return b""

    def _read_cpu_info(self) -> tuple[CPUInfo, ...]:
        try:
            return read_cpuinfo(self._procfs)
        except SourceError as e:
            self._warn_once(
                "cpuinfo",
                "%s: no CPU info (%s); the node CPU info metric stays empty",
                self._id,
                e,
            )
            return ()

    def _vanished(self, path: str) -> None:
        self.vanished_total += 1
        _logger.debug("%s: %s vanished (process exited)", self._id, path)

    def _unreadable(self, error: SourceError) -> None:
        if isinstance(error, SourceGone):
            self._vanished(error.path)
            return
        if isinstance(error, SourceDenied):
            self._warn_once(
                "denied",
                "%s: permission denied reading %s; processes this user cannot "
                "see are left out (run as root, or mount proc without hidepid)",
                self._id,
                error.path,
            )
            return
        self._warn_once(
            f"unreadable: {error.reason}",
            "%s: skipping what cannot be read: %s",
            self._id,
            error,
        )

    def _malformed(self, path: str, data: bytes) -> None:
        self.malformed_total += 1
        try:
            parse_pid_stat(data)
            reason = "unexpected field layout"
        except ValueError as e:
            reason = str(e)
        self._warn_once(
            f"malformed: {reason}",
            "%s: skipping %s this cycle: malformed stat line (%s)",
            self._id,
            path,
            reason,
        )

    def _warn_once(self, cause: str, message: str, *args: object) -> None:
        """WARNING the first time a cause is seen, DEBUG afterwards."""
        if cause in self._warned:
            _logger.debug(message, *args)
            return
        self._warned.add(cause)
        _logger.warning(message, *args)
