"""The agent's own logs (`service::telemetry::logs`)."""

from __future__ import annotations

import json
import logging
import sys
from typing import TextIO

from otel_kepler.config.service import LogsConfig

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class JSONFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(config: LogsConfig, stream: TextIO = sys.stderr) -> None:
    """Send the package's logs to `stream` at the configured level and format."""
    handler = logging.StreamHandler(stream)
    if config.encoding == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        )
    logger = logging.getLogger("otel_kepler")
    logger.handlers[:] = [handler]
    logger.setLevel(_LEVELS[config.level])
    logger.propagate = False
