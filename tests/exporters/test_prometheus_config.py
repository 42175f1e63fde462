"""The prometheus exporter's configuration: defaults and every invalid case."""

from __future__ import annotations

from typing import Any

import pytest

from otel_kepler.config.decode import decode
from otel_kepler.exporters.prometheus.config import PrometheusConfig, parse_endpoint

ALLOWED = "allowed: host:port, with a host name or IP address and a port 1-65535"


def problems(raw: Any) -> list[str]:
    _, found = decode(PrometheusConfig, raw, ("exporters", "prometheus"))
    return [str(p) for p in found]


def test_defaults_are_valid_and_match_kepler() -> None:
    config, found = decode(PrometheusConfig, None)

    assert found == []
    assert config.endpoint == "localhost:28282"
    assert config.naming == "kepler"
    assert config.levels == ("node", "process", "container", "vm", "pod")


@pytest.mark.parametrize(
    ("endpoint", "address"),
    [
        ("0.0.0.0:28282", ("0.0.0.0", 28282)),
        (":9102", ("", 9102)),
        ("[::1]:28282", ("::1", 28282)),
        ("node-1.example:1", ("node-1.example", 1)),
        ("127.0.0.1:65535", ("127.0.0.1", 65535)),
    ],
)
def test_valid_endpoints(endpoint: str, address: tuple[str, int]) -> None:
    assert problems({"endpoint": endpoint}) == []
    assert parse_endpoint(endpoint) == address


@pytest.mark.parametrize(
    ("endpoint", "what"),
    [
        ("28282", "the endpoint has no port"),
        ("localhost:", "the endpoint has no port"),
        ("localhost:http", "the endpoint has no port"),
        ("localhost:0", "the port is out of range"),
        ("localhost:65536", "the port is out of range"),
        ("::1:28282", "the host is not a host name or IP address"),
        ("my host:28282", "the host is not a host name or IP address"),
        ("http://h:28282", "the host is not a host name or IP address"),
    ],
)
def test_invalid_endpoints(endpoint: str, what: str) -> None:
    assert problems({"endpoint": endpoint}) == [
        f'exporters::prometheus::endpoint: {what} (got "{endpoint}"; {ALLOWED})'
    ]


def test_unknown_naming() -> None:
    assert problems({"naming": "openmetrics"}) == [
        'exporters::prometheus::naming: invalid value (got "openmetrics"; '
        "allowed: kepler, otel)"
    ]


def test_unknown_and_repeated_levels() -> None:
    assert problems({"levels": ["node", "gpu"]}) == [
        'exporters::prometheus::levels[1]: invalid value (got "gpu"; '
        "allowed: node, process, container, vm, pod)"
    ]
    assert problems({"levels": ["pod", "node", "pod"]}) == [
        "exporters::prometheus::levels: names pod more than once "
        "(allowed: each at most once)"
    ]


def test_unknown_key() -> None:
    assert problems({"port": 9100}) == [
        "exporters::prometheus::port: unknown key (allowed: endpoint, levels, naming)"
    ]
