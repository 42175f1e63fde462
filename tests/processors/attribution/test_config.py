"""The attribution processor's config, factory and lifecycle."""

from __future__ import annotations

import logging

import pytest

from otel_kepler.component import ComponentID, CreateSettings, Host, Kind, SystemClock
from otel_kepler.config.decode import decode
from otel_kepler.processors.attribution.config import (
    AttributionConfig,
    TerminatedConfig,
)
from otel_kepler.processors.attribution.factory import FACTORY
from otel_kepler.processors.attribution.processor import AttributionProcessor
from tests.processors.attribution.helpers import Driver, info, node, zone

PATH = ("processors", "attribution")


def problems(raw: object) -> list[str]:
    _, found = decode(AttributionConfig, raw, PATH)
    return [str(p) for p in found]


def test_defaults_are_keplers_and_valid() -> None:
    config, found = decode(AttributionConfig, None, PATH)
    assert found == []
    assert config == AttributionConfig()
    assert config.terminated == TerminatedConfig(max_count=500, min_energy_j=10.0)
    assert config.kernel_threads is False


def test_values_are_decoded() -> None:
    config, found = decode(
        AttributionConfig,
        {"terminated": {"max_count": 0, "min_energy_j": 0}, "kernel_threads": True},
        PATH,
    )
    assert found == []
    assert config.terminated == TerminatedConfig(max_count=0, min_energy_j=0.0)
    assert config.kernel_threads is True


def test_each_invalid_value_is_reported_with_its_path() -> None:
    assert problems(
        {"terminated": {"max_count": -1, "min_energy_j": -2.5, "keep": 3}}
    ) == [
        "processors::attribution::terminated::keep: unknown key (allowed: "
        "max_count, min_energy_j)",
        "processors::attribution::terminated::max_count: must not be negative "
        "(got -1; allowed: 0 or more, 0 keeps none)",
        "processors::attribution::terminated::min_energy_j: must be a finite "
        "number of joules (got -2.5; allowed: 0 or more)",
    ]
    assert problems({"terminated": {"min_energy_j": float("nan")}}) == [
        "processors::attribution::terminated::min_energy_j: must be a finite "
        "number of joules (got nan; allowed: 0 or more)",
    ]
    assert problems({"kernel_threads": "yes", "terminated": {"max_count": 1.5}}) == [
        "processors::attribution::terminated::max_count: must be an integer (got 1.5)",
        "processors::attribution::kernel_threads: must be a boolean (true or "
        'false) (got "yes")',
    ]


def settings() -> CreateSettings:
    return CreateSettings(
        id=ComponentID("attribution", "main"), node_name="node-1", clock=SystemClock()
    )


def host() -> Host:
    return Host(node_name="node-1", latest=lambda: None)


def test_factory_builds_the_processor() -> None:
    assert FACTORY.type == "attribution"
    assert FACTORY.kind is Kind.PROCESSOR
    assert FACTORY.config is AttributionConfig
    processor = FACTORY.build(settings(), AttributionConfig(kernel_threads=True))
    assert isinstance(processor, AttributionProcessor)

    driver = Driver(processor)
    kthread = info(2, kernel_thread=True)
    driver.step([zone("package", 0)], node(0, 0), [(kthread, 0)])
    snap = driver.step([zone("package", 10)], node(1, 0), [(kthread, 1)])
    assert snap.processes[0].energy_j == (10.0,)


def test_lifecycle_start_and_shutdown(caplog: pytest.LogCaptureFixture) -> None:
    processor = FACTORY.build(settings(), AttributionConfig())
    assert isinstance(processor, AttributionProcessor)
    with caplog.at_level(logging.INFO):
        processor.start(host())
        driver = Driver(processor)
        driver.step([zone("package", 0)], node(0, 0), [(info(1), 0)])
        driver.step([zone("package", 10)], node(1, 0), [(info(1), 1)])
        processor.shutdown()
        processor.shutdown()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert messages == [
        "attribution/main started: kernel threads unattributed; keeping up to 500 "
        "terminated workloads per level of at least 10 J",
        "attribution/main stopped after 2 cycles",
    ]

    # After shutdown the books are empty: a restart begins with baselines.
    processor.start(host())
    again = Driver(processor).step([zone("package", 99)], node(5, 0), [(info(1), 4)])
    assert again.zones[0].energy_j == 0.0
    assert again.processes[0].energy_j == (0.0,)
    processor.shutdown()


def test_shutdown_without_start_is_safe() -> None:
    processor = AttributionProcessor(AttributionConfig())
    processor.shutdown()
    processor.shutdown()
