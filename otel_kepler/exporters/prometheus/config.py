"""Configuration of the prometheus exporter."""

from __future__ import annotations

from dataclasses import dataclass

from otel_kepler.config.options import each_once, option
from otel_kepler.data.metrics import Naming
from otel_kepler.data.snapshot import ALL_LEVELS, Level

_ENDPOINT_ALLOWED = "host:port, with a host name or IP address and a port 1-65535"


def parse_endpoint(text: str) -> tuple[str, int]:
    """Split `host:port` (IPv6 in brackets); raise ValueError if malformed.

    An empty host means every interface.
    """
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError("the endpoint has no port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host or any(c.isspace() or c in "/[]" for c in host):
        raise ValueError("the host is not a host name or IP address")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ValueError("the port is out of range")
    return host, port


def _check_endpoint(value: str) -> str | None:
    try:
        parse_endpoint(value)
    except ValueError as error:
        return f'{error} (got "{value}"; allowed: {_ENDPOINT_ALLOWED})'
    return None


@dataclass(frozen=True)
class PrometheusConfig:
    """Where to serve metrics for Prometheus to scrape, and which ones."""

    endpoint: str = option(
        "localhost:28282",
        "Address to listen on, host:port; use 0.0.0.0:28282 to accept scrapes "
        "from other machines.",
        check=_check_endpoint,
    )
    naming: Naming = option(
        "kepler",
        "Metric and label names: kepler (Kepler's own, so its dashboards work) "
        "or otel (names of our OpenTelemetry instruments).",
    )
    levels: tuple[Level, ...] = option(
        ALL_LEVELS,
        "Families of series to serve (node, process, container, vm, pod); "
        "Kepler's exporter.prometheus.metricsLevel.",
        check=each_once,
    )
