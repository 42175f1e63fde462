"""The command line: run, validate, components, print-config.

Exit codes: 0 success; 1 the agent could not start or failed while
running; 2 the configuration or the command line is wrong. A configuration
mistake is printed as a list of problems, never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from otel_kepler import __version__
from otel_kepler.component import Kind, SystemClock
from otel_kepler.components import builtin_factories
from otel_kepler.config.loader import AgentConfig, load, read_documents
from otel_kepler.config.render import render
from otel_kepler.defaults import default_document
from otel_kepler.errors import ConfigError, KeplerError
from otel_kepler.service.service import Service
from otel_kepler.service.telemetry import configure_logging

_logger = logging.getLogger("otel_kepler.cli")

EXIT_FAILURE = 1
EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handler = {
        "run": _run,
        "validate": _validate,
        "components": _components,
        "print-config": _print_config,
    }[args.command]
    return handler(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otel-kepler",
        description="Measure energy per process, container, VM and pod, and "
        "export it as OpenTelemetry metrics.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(name: str, help_: str, required: bool) -> None:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.add_argument(
            "--config",
            action="append",
            default=[],
            required=required,
            metavar="FILE",
            help="YAML config; repeat to merge files, later ones win"
            + ("" if required else " (default: the built-in pipeline)"),
        )

    with_config("run", "run the agent", required=False)
    with_config("validate", "check a config and list every problem", required=True)
    with_config("print-config", "print the effective config, secrets redacted", False)
    commands.add_parser("components", help="list the available component types")
    return parser


def _load(paths: list[str]) -> tuple[AgentConfig | None, str | None]:
    """The checked config (or None after printing its problems) and a note."""
    note = None
    if paths:
        document, problems = read_documents(paths)
        if problems:
            _print_problems(ConfigError(problems))
            return None, None
    else:
        document, note = default_document()
    try:
        return load(document, builtin_factories()), note
    except ConfigError as e:
        _print_problems(e)
        return None, None


def _print_problems(error: ConfigError) -> None:
    count = len(error.problems)
    plural = "s" if count != 1 else ""
    print(f"invalid configuration ({count} problem{plural}):", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def _validate(args: argparse.Namespace) -> int:
    config, _ = _load(args.config)
    if config is None:
        return EXIT_USAGE
    print(f"configuration is valid: {', '.join(args.config)}")
    return 0


def _print_config(args: argparse.Namespace) -> int:
    config, _ = _load(args.config)
    if config is None:
        return EXIT_USAGE
    sys.stdout.write(render(config))
    return 0


def _components(args: argparse.Namespace) -> int:
    factories = builtin_factories()
    for kind in Kind:
        print(f"{kind.section}:")
        for (k, type_), factory in sorted(factories.items()):
            if k is kind:
                print(f"  {type_:<14} {factory.description}")
    return 0


def _run(args: argparse.Namespace) -> int:
    config, note = _load(args.config)
    if config is None:
        return EXIT_USAGE
    configure_logging(config.service.telemetry.logs)
    if note:
        _logger.info("no --config given, running the built-in pipeline; %s", note)

    stop = threading.Event()
    _install_signal_handlers(stop)
    try:
        service = Service(config, SystemClock())
        service.start()
    except KeplerError as e:
        _logger.error("cannot start: %s", e)
        return EXIT_FAILURE
    _logger.info(
        "started: node %s, every %.3gs, receivers %s, exporters %s",
        config.node_name,
        config.interval_s,
        ", ".join(str(c.id) for c in config.receivers),
        ", ".join(str(c.id) for c in config.exporters),
    )
    status = 0
    try:
        service.run(stop)
    except KeplerError as e:
        _logger.error("stopping: %s", e)
        status = EXIT_FAILURE
    finally:
        service.shutdown()
        _logger.info("stopped")
    return status


def _install_signal_handlers(stop: threading.Event) -> None:
    def on_signal(signum: int, frame: FrameType | None) -> Any:
        _logger.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
