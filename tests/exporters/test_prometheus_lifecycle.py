"""Start and shutdown of the prometheus exporter, and its factory."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from otel_kepler.component import Kind
from otel_kepler.errors import ComponentError
from otel_kepler.exporters.prometheus.config import PrometheusConfig
from otel_kepler.exporters.prometheus.exporter import PrometheusExporter
from otel_kepler.exporters.prometheus.factory import FACTORY
from tests.exporters.helpers import (
    Published,
    free_port,
    full_snapshot,
    get_text,
    settings,
)


def exporter_on(port: int) -> PrometheusExporter:
    return PrometheusExporter(
        settings(), PrometheusConfig(endpoint=f"127.0.0.1:{port}")
    )


def test_shutdown_without_start_is_safe_twice() -> None:
    exporter = exporter_on(free_port())

    exporter.shutdown()
    exporter.shutdown()

    assert exporter.address is None


def test_shutdown_twice_after_start_frees_the_port() -> None:
    port = free_port()
    exporter = exporter_on(port)
    exporter.start(Published(full_snapshot()).host)
    assert exporter.address == ("127.0.0.1", port)
    assert "kepler_node_cpu_joules_total" in get_text(port)

    exporter.shutdown()
    exporter.shutdown()

    assert exporter.address is None
    with pytest.raises(OSError):
        get_text(port)
    again = exporter_on(port)  # a restarted agent can listen there again
    again.start(Published(full_snapshot()).host)
    try:
        assert "kepler_node_cpu_joules_total" in get_text(port)
    finally:
        again.shutdown()


def test_busy_port_is_a_component_error_naming_the_endpoint() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        exporter = PrometheusExporter(
            settings("busy"), PrometheusConfig(endpoint=f"127.0.0.1:{port}")
        )

        with pytest.raises(ComponentError) as caught:
            exporter.start(Published().host)

    assert str(caught.value) == (
        f"prometheus/busy: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
    assert exporter.address is None
    exporter.shutdown()


def test_export_leaves_serving_to_the_scrape() -> None:
    port = free_port()
    published = Published()
    exporter = exporter_on(port)
    exporter.start(published.host)
    try:
        exporter.export(full_snapshot())  # not published: nothing changes
        assert "kepler_node_cpu_joules_total" not in get_text(port)
        published.snapshot = full_snapshot()
        assert "kepler_node_cpu_joules_total" in get_text(port)
    finally:
        exporter.shutdown()


def test_factory_builds_the_exporter_from_its_default_config() -> None:
    assert FACTORY.type == "prometheus"
    assert FACTORY.kind is Kind.EXPORTER
    assert FACTORY.config is PrometheusConfig

    exporter = FACTORY.build(settings(), PrometheusConfig())

    assert isinstance(exporter, PrometheusExporter)
    assert len(exporter.metrics) == 22
    exporter.shutdown()


def test_levels_decide_which_metrics_an_exporter_serves() -> None:
    config = PrometheusConfig(levels=("pod", "vm"))

    exporter = PrometheusExporter(settings(), config)

    assert {m.level for m in exporter.metrics} == {"pod", "vm", None}


def test_ipv6_endpoint_is_served() -> None:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
            port = sock.getsockname()[1]
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    exporter = PrometheusExporter(
        settings(), PrometheusConfig(endpoint=f"[::1]:{port}")
    )
    exporter.start(Published(full_snapshot()).host)
    try:
        assert exporter.address == ("::1", port)
        url = f"http://[::1]:{port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"kepler_node_cpu_joules_total" in response.read()
    finally:
        exporter.shutdown()


def test_malformed_endpoint_in_a_hand_built_config_is_a_component_error() -> None:
    with pytest.raises(ComponentError) as caught:
        PrometheusExporter(settings(), PrometheusConfig(endpoint="nowhere"))

    assert str(caught.value) == "prometheus: the endpoint has no port (nowhere)"
