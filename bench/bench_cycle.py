"""Cost of one collection cycle at 1,000 processes, beside a bare /proc read.

    .venv/bin/python bench/bench_cycle.py [--processes 1000] [--rounds 40]

The reference is the least any Python agent must do: open and read every
`/proc/<pid>/stat` with the builtin `open()`. The cycle is the agent's real
one (`Service.run_cycle`) on the built-in pipeline's components: model meter,
procfs, attribution, and the Prometheus exporter (idle: it serves on
scrape, not per cycle). Both run interleaved in the same process, on the same
processes, so machine noise hits both alike. Target (design.md §7): the cycle
costs at most 1.5x the bare read.

A second reference, when the Debian package prometheus-node-exporter is
installed: the `processes` collector of node-exporter (Go), alone, timed as
HTTP GETs of its /metrics in the same interleaved rounds. Target: the cycle
costs less than half of that scrape. Without the binary the reference is
skipped and says so.

Extra `sleep` processes are started to reach the requested count, and
killed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from functools import partial

from benchlib import bare_read, free_port, scrape

from otel_kepler.component import SystemClock
from otel_kepler.components import builtin_factories
from otel_kepler.config.loader import load
from otel_kepler.service.service import Service

TARGET_RATIO = 1.5
TARGET_NODE_EXPORTER_RATIO = 0.5
NODE_EXPORTER = "prometheus-node-exporter"


def build_service() -> Service:
    document = {
        "receivers": {"model": None, "procfs": None},
        "processors": {"attribution": None},
        "exporters": {"prometheus": {"endpoint": f"127.0.0.1:{free_port()}"}},
        "service": {
            "pipelines": {
                "metrics": {
                    "receivers": ["model", "procfs"],
                    "processors": ["attribution"],
                    "exporters": ["prometheus"],
                }
            }
        },
    }
    return Service(load(document, builtin_factories(), env={}), SystemClock())


def start_node_exporter() -> tuple[subprocess.Popen[bytes], int] | None:
    """node-exporter with only its processes collector, ready; None if absent."""
    binary = shutil.which(NODE_EXPORTER)
    if binary is None:
        return None
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--collector.disable-defaults",
            "--collector.processes",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            scrape(port)
            return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                stop(process)
                raise
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()

    present = sum(1 for n in os.listdir("/proc") if n.isdigit())
    sleepers = [
        subprocess.Popen(["sleep", "600"])
        for _ in range(max(0, args.processes - present))
    ]
    service = build_service()
    node_exporter = None
    try:
        node_exporter = start_node_exporter()
        service.start()
        first_s = timed(service.run_cycle)  # reads every process's static facts
        bare_s, cycle_s, node_s = [], [], []
        for _ in range(args.rounds):
            bare_s.append(timed(bare_read))
            cycle_s.append(timed(service.run_cycle))
            if node_exporter is not None:
                node_s.append(timed(partial(scrape, node_exporter[1])))
        snapshot = service.latest()
        processes = len(snapshot.processes) if snapshot else 0
    finally:
        service.shutdown()
        if node_exporter is not None:
            stop(node_exporter[0])
        for sleeper in sleepers:
            sleeper.kill()
        for sleeper in sleepers:
            sleeper.wait()

    bare_ms, cycle_ms = (
        statistics.median(bare_s) * 1e3,
        statistics.median(cycle_s) * 1e3,
    )
    ratio = cycle_ms / bare_ms
    verdict = "within" if ratio <= TARGET_RATIO else "OVER"
    rows = [
        ("processes in the snapshot", f"{processes}"),
        ("rounds (interleaved)", f"{args.rounds}"),
        ("bare read of every stat, median", f"{bare_ms:.2f} ms"),
        ("agent cycle, median", f"{cycle_ms:.2f} ms"),
        (
            "bare read / agent cycle, minimum",
            f"{min(bare_s) * 1e3:.2f} / {min(cycle_s) * 1e3:.2f} ms",
        ),
        ("first cycle (static facts read)", f"{first_s * 1e3:.2f} ms"),
        (
            "ratio cycle / bare read",
            f"{ratio:.2f}x ({verdict} the {TARGET_RATIO}x target)",
        ),
    ]
    rows += node_exporter_rows(cycle_ms, node_s)
    for label, value in rows:
        print(f"{label + ':':<36}{value}")


def node_exporter_rows(cycle_ms: float, node_s: list[float]) -> list[tuple[str, str]]:
    if not node_s:
        return [
            (
                "node-exporter processes collector",
                f"skipped ({NODE_EXPORTER} "
                "not found; apt-get install prometheus-node-exporter)",
            )
        ]
    node_ms = statistics.median(node_s) * 1e3
    ratio = cycle_ms / node_ms
    target = TARGET_NODE_EXPORTER_RATIO
    verdict = "within" if ratio < target else "OVER"
    return [
        ("node-exporter processes, median", f"{node_ms:.2f} ms"),
        ("node-exporter processes, minimum", f"{min(node_s) * 1e3:.2f} ms"),
        (
            "ratio cycle / node-exporter",
            f"{ratio:.2f}x ({verdict} the <{target}x target)",
        ),
    ]


if __name__ == "__main__":
    main()
