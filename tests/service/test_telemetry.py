from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from otel_kepler.config.service import LogsConfig
from otel_kepler.service.telemetry import configure_logging


@pytest.fixture(autouse=True)
def restore_package_logger() -> Iterator[None]:
    """configure_logging takes over the package logger; give it back after."""
    logger = logging.getLogger("otel_kepler")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    yield
    logger.handlers[:], logger.level, logger.propagate = saved


def test_json_encoding_writes_one_object_per_record() -> None:
    stream = io.StringIO()
    configure_logging(LogsConfig(level="info", encoding="json"), stream)
    logging.getLogger("otel_kepler.test").info("meter: %s", "model")
    logging.getLogger("otel_kepler.test").debug("not shown at info")

    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "info"
    assert record["logger"] == "otel_kepler.test"
    assert record["msg"] == "meter: model"


def test_console_encoding_and_level_are_applied() -> None:
    stream = io.StringIO()
    configure_logging(LogsConfig(level="warn", encoding="console"), stream)
    logging.getLogger("otel_kepler.x").info("hidden")
    logging.getLogger("otel_kepler.x").warning("zone %s skipped", "dram")
    output = stream.getvalue()
    assert "hidden" not in output
    assert "WARNING otel_kepler.x: zone dram skipped" in output
