"""Real cgroups for tests: created under every CPU hierarchy, removed after.

On a v2 host that is /sys/fs/cgroup itself; on a hybrid or v1 host, the v1
cpu and cpuacct hierarchies (once each, even when mounted together) and the
v2 one under `unified`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    """The roots to create container cgroups in: v1 cpu and cpuacct (once
    each, even when co-mounted) and the v2 hierarchy."""
    if (CGROUP / "cgroup.controllers").is_file():
        return [CGROUP]
    roots: dict[str, Path] = {}
    for name in ("cpu", "cpuacct", "cpu,cpuacct", "unified"):
        path = CGROUP / name
        if path.is_dir() and (path / "cgroup.procs").is_file():
            roots.setdefault(os.path.realpath(path), path)
    return list(roots.values())


def make_cgroups(relative: str) -> list[Path]:
    """Create `relative` under every hierarchy; return what was created,
    deepest first."""
    created: list[Path] = []
    for root in hierarchies():
        path = root
        for part in relative.strip("/").split("/"):
            path = path / part
            if not path.exists():
                path.mkdir()
                created.append(path)
    return sorted(created, key=lambda p: len(p.parts), reverse=True)


def remove_cgroups(created: list[Path]) -> None:
    for path in created:
        for _ in range(50):
            leftover = (path / "cgroup.procs").read_text().split()
            for pid in leftover:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.1)
