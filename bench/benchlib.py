"""What the benchmarks share: the bare /proc reference, ports, scrapes."""

from __future__ import annotations

import os
import socket
import urllib.request


def bare_read() -> int:
    """Read every /proc/<pid>/stat the plain way; return how many were read.

    This is the reference the cycle is measured against: the least any
    Python agent must do to know every process's CPU time.
    """
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                f.read()
            count += 1
        except OSError:
            pass
    return count


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> bytes:
    """GET http://127.0.0.1:<port>/metrics and return the body."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as response:
        body: bytes = response.read()
    return body
