"""The exposition against real Prometheus tools: promtool and a real server."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from otel_kepler.data.metrics import Naming
from tests.exporters.helpers import (
    NODE,
    Published,
    free_port,
    full_snapshot,
    get_text,
    serving,
)
from tests.peers import require

pytestmark = pytest.mark.peer


@pytest.mark.parametrize("naming", ["kepler", "otel"])
def test_promtool_finds_nothing_to_lint(naming: Naming) -> None:
    promtool = require("promtool")
    with serving(Published(full_snapshot()), naming) as (_, port):
        text = get_text(port)

    result = subprocess.run(
        [promtool, "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def query(port: int, expression: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode(
        {"query": expression}
    )
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success"
    return list(body["data"]["result"])


def poll(port: int, expression: str, deadline_s: float) -> list[dict[str, Any]]:
    """Query until the result is not empty or the deadline passes."""
    while True:
        try:
            result = query(port, expression)
        except OSError:
            result = []  # the server is still starting
        if result or time.monotonic() > deadline_s:
            return result
        time.sleep(0.5)


def test_real_prometheus_scrapes_node_energy(tmp_path: Path) -> None:
    binary = require("prometheus")
    prometheus_port = free_port()
    with serving(Published(full_snapshot())) as (_, port):
        config = tmp_path / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: kepler\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        )
        log = (tmp_path / "prometheus.log").open("w")
        server = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            result = poll(
                prometheus_port,
                'kepler_node_cpu_joules_total{zone="package"}',
                time.monotonic() + 20,
            )
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()

    assert result, (tmp_path / "prometheus.log").read_text()[-2000:]
    (series,) = result
    assert series["metric"] == {
        "__name__": "kepler_node_cpu_joules_total",
        "instance": f"127.0.0.1:{port}",
        "job": "kepler",
        "node_name": NODE,
        "path": "/sys/class/powercap/intel-rapl:0/package",
        "zone": "package",
    }
    assert float(series["value"][1]) == 100.0
