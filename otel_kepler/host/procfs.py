"""Parsers and fast readers for /proc/<pid>/stat, /proc/<pid>/cmdline and
/proc/cpuinfo.

The parsers are plain functions over the bytes or text the kernel prints;
the readers use `os.open`/`os.read` on bytes, which costs well under half of
a text-mode `open().read()` per file, and translate `OSError` into the
`SourceError` tree once, here.

/proc/<pid>/stat (proc(5)): `pid (comm) state ppid ...`. The command name
may contain spaces and `)`, so the fields after it are found from the LAST
`)`. Counting from 1 as proc(5) does: field 9 is `flags`, 14 and 15 are
`utime` and `stime` in clock ticks (summed over the threads of the group,
dead ones included), 22 is `starttime` in clock ticks since boot.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from otel_kepler.data.sample import CPUInfo
from otel_kepler.errors import translate_os_error

PF_KTHREAD = 0x00200000
"""`flags` bit of a kernel thread (include/linux/sched.h)."""

# Offsets into the fields after the comm: the first of them (state) is field 3.
_STATE, _FLAGS, _UTIME, _STIME, _START = 0, 6, 11, 12, 19

_STAT_READ_BYTES = 4096
"""A stat line is at most about 1,100 bytes on current kernels."""

_CHUNK_BYTES = 65536
_CMDLINE_MAX_BYTES = 1 << 20
"""Enough for any hypervisor command line; longer ones are cut here."""


@dataclass(frozen=True, slots=True)
class PidStat:
    """The parts of /proc/<pid>/stat we use."""

    pid: int
    comm: str
    state: str
    flags: int
    utime_ticks: int
    stime_ticks: int
    start_ticks: int

    @property
    def cpu_ticks(self) -> int:
        return self.utime_ticks + self.stime_ticks

    @property
    def kernel_thread(self) -> bool:
        return bool(self.flags & PF_KTHREAD)


def parse_pid_stat(data: bytes) -> PidStat:
    """Parse a whole /proc/<pid>/stat line; ValueError says what is wrong."""
    open_at = data.find(b" (")
    close_at = data.rfind(b")")
    if open_at < 0 or close_at < open_at:
        raise ValueError("no command name in parentheses")
    fields = data[close_at + 2 :].split()
    if len(fields) <= _START:
        raise ValueError(f"too few fields ({len(fields) + 2}; need at least 22)")
    try:
        return PidStat(
            pid=int(data[:open_at]),
            comm=data[open_at + 2 : close_at].decode("utf-8", "replace"),
            state=fields[_STATE].decode("ascii", "replace"),
            flags=int(fields[_FLAGS]),
            utime_ticks=int(fields[_UTIME]),
            stime_ticks=int(fields[_STIME]),
            start_ticks=int(fields[_START]),
        )
    except ValueError:
        raise ValueError("a numeric field is not an integer") from None


def parse_stat_times(data: bytes) -> tuple[int, int, bytes]:
    """`(start_ticks, utime + stime ticks, head)` from a stat line: the hot path.

    `head` is the raw `pid (comm` prefix: it changes when the process
    execs another program, which keeps its pid and start time.
    ValueError or IndexError if malformed; `parse_pid_stat` says why.
    """
    close_at = data.rfind(b")")
    if close_at < 0:
        raise ValueError("no command name in parentheses")
    fields = data[close_at + 2 :].split(b" ", _START + 1)
    head = data[:close_at]
    return int(fields[_START]), int(fields[_UTIME]) + int(fields[_STIME]), head


def parse_cmdline(data: bytes) -> tuple[str, ...]:
    """The argv of /proc/<pid>/cmdline (NUL-separated); () if empty.

    Kernel threads and zombies have an empty command line.
    """
    if not data:
        return ()
    if data.endswith(b"\0"):
        data = data[:-1]
    return tuple(arg.decode("utf-8", "replace") for arg in data.split(b"\0"))


_VENDOR_KEYS = ("vendor_id", "CPU implementer")
_MODEL_KEYS = ("model name", "cpu model", "cpu")
"""x86 first, then arm64 (which has no model name), MIPS, PowerPC."""


def parse_cpuinfo(text: str) -> tuple[CPUInfo, ...]:
    """One `CPUInfo` per `processor : N` block of /proc/cpuinfo.

    Missing fields (arm64 has neither `model name` nor `physical id`) are
    left empty; blocks without a numeric `processor` (the arm64 trailer,
    s390's summary) are skipped.
    """
    cpus: list[CPUInfo] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
        processor = fields.get("processor", "")
        if not processor.isdigit():
            continue
        cpus.append(
            CPUInfo(
                processor=processor,
                vendor_id=_first(fields, _VENDOR_KEYS),
                model_name=_first(fields, _MODEL_KEYS),
                physical_id=fields.get("physical id", ""),
                core_id=fields.get("core id", ""),
            )
        )
    return tuple(cpus)


def _first(fields: dict[str, str], keys: tuple[str, ...]) -> str:
    for key in keys:
        value = fields.get(key)
        if value:
            return value
    return ""


def read_stat_bytes(path: str) -> bytes:
    """One read of a small /proc file (a stat line); SourceError on failure.

    An empty result means the process exited while the file was open.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            return os.read(fd, _STAT_READ_BYTES)
        finally:
            os.close(fd)
    except OSError as e:
        raise translate_os_error(path, e) from e


def read_all_bytes(path: str, limit: int = _CMDLINE_MAX_BYTES) -> bytes:
    """The whole content of a /proc file, up to `limit` bytes; SourceError."""
    chunks: list[bytes] = []
    size = 0
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            while size < limit:
                chunk = os.read(fd, _CHUNK_BYTES)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as e:
        raise translate_os_error(path, e) from e
    return b"".join(chunks)[:limit]


def read_cpuinfo(procfs: str) -> tuple[CPUInfo, ...]:
    """Parse `<procfs>/cpuinfo`; SourceError if it cannot be read."""
    path = os.path.join(procfs, "cpuinfo")
    return parse_cpuinfo(read_all_bytes(path).decode("utf-8", "replace"))


def list_pids(procfs: str) -> list[str]:
    """The names of the numeric entries of `procfs` (one per thread group)."""
    try:
        names = os.listdir(procfs)
    except OSError as e:
        raise translate_os_error(procfs, e) from e
    return [name for name in names if name.isdigit()]
