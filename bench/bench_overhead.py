"""CPU and memory of the running agent at 1,000 processes, steady and churning.

    .venv/bin/python bench/bench_overhead.py [--intervals 12] [--quick]
                                             [--processes 1000]
                                             [--mode both|steady|churn]

The real agent runs as a child process (`python -m otel_kepler run`) with
the model meter, procfs, attribution and the Prometheus exporter on a free
loopback port, at a 5 s interval. `sleep` processes bring the machine to
about 1,000 processes. This script scrapes the agent once per interval,
as Prometheus would, for `--intervals` intervals (12, one minute; 4 with
`--quick`). In churn mode it also kills 50 of the sleeps every second and
starts 50 new ones, so the agent sees 250 processes come and 250 go per
cycle.

Reported: the agent's CPU time (utime + stime from /proc/<pid>/stat, all
threads) over the measured window as a % of one core, and its RSS (VmRSS)
at the start, middle and end of the window. The same-run reference is a
bare Python loop, in its own process, that reads every /proc/<pid>/stat
once per interval. Targets (design.md §7): at most 1% of one core; RSS at
most 100 MiB and flat under churn.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import bare_read, free_port, scrape

INTERVAL_S = 5
CHURN_PER_S = 50
TARGET_CPU_PERCENT = 1.0
TARGET_RSS_MIB = 100.0
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
READY_METRIC = b"kepler_process_cpu_joules_total"

CONFIG = """\
receivers:
  model: {{}}
  procfs: {{}}
processors:
  attribution: {{}}
exporters:
  prometheus:
    endpoint: 127.0.0.1:{port}
service:
  pipelines:
    metrics:
      receivers: [model, procfs]
      processors: [attribution]
      exporters: [prometheus]
      interval: {interval}s
  telemetry:
    logs: {{level: info, encoding: console}}
"""


def bare_loop(interval_s: float) -> None:
    """The reference process: one bare read per interval, until killed."""
    next_tick = time.monotonic()
    while True:
        bare_read()
        next_tick += interval_s
        time.sleep(max(0.0, next_tick - time.monotonic()))


def cpu_time_s(pid: int, thread: int | None = None) -> float:
    """utime + stime of every thread of `pid` (or of one), in seconds.

    A process's total includes the threads that have already exited.
    """
    path = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    with open(path) as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS in /proc/{pid}/status")


class Sleepers:
    """`sleep` processes that fill the machine up to a process count."""

    def __init__(self) -> None:
        self._running: deque[subprocess.Popen[bytes]] = deque()

    def fill(self, processes: int) -> None:
        present = sum(1 for n in os.listdir("/proc") if n.isdigit())
        self.start(max(0, processes - present))

    def start(self, count: int) -> None:
        for _ in range(count):
            self._running.append(subprocess.Popen(["sleep", "3600"]))

    def churn(self, count: int) -> None:
        """Kill the `count` oldest and start as many new ones."""
        for _ in range(min(count, len(self._running))):
            self._stop(self._running.popleft())
        self.start(count)

    def stop_all(self) -> None:
        while self._running:
            self._stop(self._running.popleft())

    @staticmethod
    def _stop(process: subprocess.Popen[bytes]) -> None:
        process.kill()
        process.wait()


@dataclass
class Run:
    """What one mode measured."""

    mode: str
    processes: int = 0
    window_s: float = 0.0
    startup_cpu_s: float = 0.0
    agent_cpu_s: float = 0.0
    main_cpu_s: float = 0.0
    reference_cpu_s: float = 0.0
    interval_cpu_s: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    scrape_s: list[float] = field(default_factory=list)
    churned: int = 0

    def percent(self, cpu_s: float) -> float:
        return cpu_s / self.window_s * 100

    @property
    def rss_start_middle_end(self) -> tuple[float, float, float]:
        samples = self.rss_mib
        return samples[0], samples[len(samples) // 2], samples[-1]


def run_mode(
    mode: str, processes: int, intervals: int, workdir: Path, *, scrapes: bool
) -> Run:
    """Start the agent and the reference, measure one window, stop all."""
    port = free_port()
    config = workdir / f"{mode}.yaml"
    config.write_text(CONFIG.format(port=port, interval=INTERVAL_S))
    log_path = workdir / f"{mode}.log"
    sleepers = Sleepers()
    sleepers.fill(processes - 2)  # the agent and the reference are two more
    with log_path.open("wb") as log:
        agent = subprocess.Popen(
            [sys.executable, "-m", "otel_kepler", "run", "--config", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        reference = subprocess.Popen(
            [sys.executable, __file__, "--bare-loop", str(INTERVAL_S)]
        )
        try:
            wait_ready(agent, port, log_path)
            return measure(
                mode,
                agent=agent.pid,
                reference=reference.pid,
                port=port,
                sleepers=sleepers,
                intervals=intervals,
                scrapes=scrapes,
            )
        finally:
            for process in (agent, reference):
                stop(process)
            sleepers.stop_all()


def wait_ready(agent: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait until the agent serves a first cycle's process series."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if agent.poll() is not None:
            break
        try:
            if READY_METRIC in scrape(port):
                return
        except OSError:
            pass
        time.sleep(0.5)
    tail = log_path.read_text(errors="replace")[-2000:]
    raise SystemExit(f"the agent did not come up; its log ends with:\n{tail}")


def measure(
    mode: str,
    *,
    agent: int,
    reference: int,
    port: int,
    sleepers: Sleepers,
    intervals: int,
    scrapes: bool,
) -> Run:
    """Scrape once per interval (and churn every second) for `intervals`.

    Without `scrapes` the window shows what the cycles alone cost.
    """
    run = Run(mode, startup_cpu_s=cpu_time_s(agent))
    start = time.monotonic()
    agent_0, main_0, reference_0 = (
        cpu_time_s(agent),
        cpu_time_s(agent, agent),
        cpu_time_s(reference),
    )
    run.rss_mib.append(rss_mib(agent))
    last = agent_0
    for second in range(1, intervals * INTERVAL_S + 1):
        if mode == "churn":
            sleepers.churn(CHURN_PER_S)
            run.churned += CHURN_PER_S
        if scrapes and second % INTERVAL_S == INTERVAL_S // 2:
            begin = time.perf_counter()
            scrape(port)
            run.scrape_s.append(time.perf_counter() - begin)
        time.sleep(max(0.0, start + second - time.monotonic()))
        if second % INTERVAL_S == 0:
            now = cpu_time_s(agent)
            run.interval_cpu_s.append(now - last)
            last = now
            run.rss_mib.append(rss_mib(agent))
    run.window_s = time.monotonic() - start
    run.agent_cpu_s = cpu_time_s(agent) - agent_0
    run.main_cpu_s = cpu_time_s(agent, agent) - main_0
    run.reference_cpu_s = cpu_time_s(reference) - reference_0
    run.processes = sum(1 for n in os.listdir("/proc") if n.isdigit())
    return run


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def report(run: Run, intervals: int) -> None:
    agent_pct = run.percent(run.agent_cpu_s)
    reference_pct = run.percent(run.reference_cpu_s)
    per_interval = [cpu_s / INTERVAL_S * 100 for cpu_s in run.interval_cpu_s]
    start, middle, end = run.rss_start_middle_end
    cpu_verdict = "within" if agent_pct <= TARGET_CPU_PERCENT else "OVER"
    rss_verdict = "within" if max(run.rss_mib) <= TARGET_RSS_MIB else "OVER"
    churn = (
        f"{CHURN_PER_S} killed and {CHURN_PER_S} started per second, "
        f"{run.churned} in all"
        if run.churned
        else "no churn"
    )
    scrape = (
        f"median {statistics.median(run.scrape_s) * 1e3:.0f} ms, "
        f"{len(run.scrape_s)} scrapes"
        if run.scrape_s
        else "none (--no-scrape)"
    )
    growth = f"{end - start:+.1f} MiB"
    if run.churned:
        growth += f" ({(end - start) / run.churned * 1000:+.2f} MiB per 1,000 churned)"
    rows = [
        ("processes on the machine", f"{run.processes} ({churn})"),
        ("window", f"{run.window_s:.1f} s, {intervals} intervals of {INTERVAL_S} s"),
        (
            "agent CPU, % of one core",
            f"{agent_pct:.2f}% ({cpu_verdict} the {TARGET_CPU_PERCENT:g}% target)",
        ),
        ("  main thread (cycles)", f"{run.percent(run.main_cpu_s):.2f}%"),
        (
            "  other threads (HTTP server)",
            f"{run.percent(run.agent_cpu_s - run.main_cpu_s):.2f}%",
        ),
        (
            "  per interval, min/median/max",
            f"{min(per_interval):.2f} / {statistics.median(per_interval):.2f}"
            f" / {max(per_interval):.2f}%",
        ),
        ("bare /proc read loop (reference)", f"{reference_pct:.2f}% of one core"),
        ("ratio agent / bare loop", f"{agent_pct / max(reference_pct, 1e-9):.1f}x"),
        ("scrape as seen by the client", scrape),
        ("agent CPU until ready", f"{run.startup_cpu_s:.2f} s (imports, cycle 1)"),
        (
            "agent RSS start / middle / end",
            f"{start:.1f} / {middle:.1f} / {end:.1f} MiB "
            f"({rss_verdict} the {TARGET_RSS_MIB:g} MiB target)",
        ),
        ("RSS growth over the window", growth),
        ("RSS after each interval, MiB", " ".join(f"{m:.0f}" for m in run.rss_mib)),
    ]
    print(f"\n== {run.mode} ==")
    for label, value in rows:
        print(f"{label + ':':<36}{value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=1000)
    parser.add_argument("--intervals", type=int, default=12)
    parser.add_argument("--quick", action="store_true", help="4 intervals")
    parser.add_argument("--mode", choices=("both", "steady", "churn"), default="both")
    parser.add_argument(
        "--no-scrape",
        action="store_true",
        help="never scrape the agent: what the cycles alone cost",
    )
    parser.add_argument("--bare-loop", type=float, metavar="S", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_loop:
        bare_loop(args.bare_loop)
        return

    intervals = 4 if args.quick else args.intervals
    modes = ("steady", "churn") if args.mode == "both" else (args.mode,)
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as workdir:
        for mode in modes:
            run = run_mode(
                mode,
                args.processes,
                intervals,
                Path(workdir),
                scrapes=not args.no_scrape,
            )
            report(run, intervals)


if __name__ == "__main__":
    main()
