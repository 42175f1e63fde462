"""The command line as a user meets it: real processes, real port, real signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from otel_kepler import __version__

REPO = Path(__file__).resolve().parents[1]


def cli(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otel_kepler", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return str(response.read().decode())
    except OSError:
        return None


def test_version() -> None:
    result = cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"otel-kepler {__version__}"


def test_components_lists_every_kind() -> None:
    result = cli("components")
    assert result.returncode == 0
    for name in ("rapl", "model", "procfs", "attribution", "prometheus", "debug"):
        assert f"  {name} " in result.stdout
    assert result.stdout.index("receivers:") < result.stdout.index("exporters:")


def test_validate_accepts_an_example() -> None:
    result = cli("validate", "--config", str(REPO / "config" / "rapl.yaml"))
    assert result.returncode == 0, result.stderr
    assert "configuration is valid" in result.stdout


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "receivers:\n  rapl: {zones: [pkg]}\n  procfs: {proc: /proc}\n"
        "exporters:\n  prometheus: {naming: prom}\n"
        "service:\n  pipelines:\n    metrics:\n"
        "      receivers: [rapl, procfs]\n      exporters: [prometheus]\n"
    )
    result = cli("validate", "--config", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == "invalid configuration (3 problems):"
    assert "  receivers::rapl::zones[0]: unknown zone" in result.stderr
    assert (
        "  receivers::procfs::proc: unknown key (allowed: procfs, sysfs)"
        in result.stderr
    )
    assert (
        "  exporters::prometheus::naming: invalid value "
        '(got "prom"; allowed: kepler, otel)' in result.stderr
    )


def test_validate_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = cli("validate", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "cannot read config file" in result.stderr
    assert "Traceback" not in result.stderr


def test_print_config_shows_the_default_pipeline_with_defaults() -> None:
    result = cli("print-config")
    assert result.returncode == 0, result.stderr
    assert "procfs:\n    procfs: /proc" in result.stdout
    assert "endpoint: localhost:28282" in result.stdout
    assert "interval: 5s" in result.stdout


def test_a_meter_that_cannot_start_stops_the_agent_without_a_traceback(
    tmp_path: Path,
) -> None:
    config = tmp_path / "rapl.yaml"
    config.write_text(
        f"receivers:\n  rapl: {{sysfs: {tmp_path}}}\n  procfs: {{}}\n"
        "exporters:\n  debug: {}\n"
        "service:\n  pipelines:\n    metrics:\n"
        "      receivers: [rapl, procfs]\n      exporters: [debug]\n"
    )
    result = cli("run", "--config", str(config))
    assert result.returncode == 1
    assert "cannot start" in result.stderr
    assert "model receiver" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(
    os.path.exists("/sys/class/powercap/intel-rapl:0"), reason="this host has RAPL"
)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_default_run_serves_estimated_metrics_on_28282_and_stops_on_signal(
    signum: signal.Signals,
) -> None:
    agent = subprocess.Popen(
        [sys.executable, "-m", "otel_kepler", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The server is up a moment before the first cycle is published;
        # until then it serves only kepler_build_info.
        body: str | None = None
        deadline = time.monotonic() + 10  # two default intervals
        while time.monotonic() < deadline and agent.poll() is None:
            body = fetch("http://localhost:28282/metrics")
            if body is not None and "kepler_node_cpu_joules_total{" in body:
                break
            time.sleep(0.2)
        assert body is not None, "no /metrics on localhost:28282 within 10 s"
        assert "kepler_node_cpu_joules_total{" in body
        assert 'provenance="estimated"' in body
        assert "kepler_process_cpu_seconds_total{" in body

        started = time.monotonic()
        agent.send_signal(signum)
        _, stderr = agent.communicate(timeout=5)
        assert time.monotonic() - started < 5
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.communicate()
    assert agent.returncode == 0
    assert "meter: model, power is estimated" in stderr
    assert f"received {signum.name}, stopping" in stderr
    assert "Traceback" not in stderr
