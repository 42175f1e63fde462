"""Node CPU time from the first line of /proc/stat.

The line is `cpu user nice system idle iowait irq softirq steal guest
guest_nice`, in USER_HZ ticks. guest and guest_nice are already included
in user and nice (kernel/sched/cputime.c), so they are left out of the
total. Older kernels print fewer columns; missing ones count as 0.
"""

from __future__ import annotations

import os

from otel_kepler.data.sample import NodeCPU
from otel_kepler.errors import SourceError, translate_os_error

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def parse_node_cpu(text: str, ticks_per_s: int = CLOCK_TICKS_PER_S) -> NodeCPU:
    """Parse the aggregate `cpu` line of /proc/stat; ValueError if malformed."""
    first = text.split("\n", 1)[0].split()
    if len(first) < 5 or first[0] != "cpu":
        raise ValueError(f'expected an aggregate "cpu" line, got "{first[:1]}"')
    ticks = [int(v) for v in first[1:9]]
    ticks += [0] * (8 - len(ticks))
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    total = user + nice + system + idle + iowait + irq + softirq + steal
    return NodeCPU(
        total_s=total / ticks_per_s,
        idle_s=idle / ticks_per_s,
        iowait_s=iowait / ticks_per_s,
    )


def read_node_cpu(procfs: str) -> NodeCPU:
    """Read `<procfs>/stat`; raise SourceError if unreadable or malformed."""
    path = os.path.join(procfs, "stat")
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            text = f.readline()
    except OSError as e:
        raise translate_os_error(path, e) from e
    try:
        return parse_node_cpu(text)
    except ValueError as e:
        raise SourceError(path, f"malformed: {e}") from e


def count_cpus(procfs: str) -> int:
    """Logical CPUs listed in <procfs>/stat (`cpuN` lines); at least 1."""
    path = os.path.join(procfs, "stat")
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            count = sum(1 for line in f if line[:3] == "cpu" and line[3:4].isdigit())
    except OSError as e:
        raise translate_os_error(path, e) from e
    return max(count, 1)
