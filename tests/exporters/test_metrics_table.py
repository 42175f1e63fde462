"""The metric table, the names it implies and the page generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from otel_kepler.data.metrics import (
    LABELS,
    METRICS,
    InstrumentKind,
    Naming,
    prometheus_name,
)
from otel_kepler.exporters.prometheus import docgen
from tests.exporters.helpers import Published, full_snapshot, get_text, serving
from tests.exporters.test_prometheus_exposition import KEPLER_SERIES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_committed_docs_equal_the_generator_output() -> None:
    assert DOCS.read_text() == docgen.render(), (
        "docs/metrics.md is stale: run "
        "python -m otel_kepler.exporters.prometheus.docgen > docs/metrics.md"
    )


def test_docgen_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "otel_kepler.exporters.prometheus.docgen"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout == docgen.render()


def test_docs_list_every_metric_under_both_namings() -> None:
    page = docgen.render()

    for metric in METRICS:
        assert f"`{metric.exposed_name('kepler')}`" in page
        assert f"`{metric.otel}`, `{metric.exposed_name('otel')}`" in page


def test_kepler_names_are_keplers_and_names_are_unique() -> None:
    assert {m.exposed_name("kepler") for m in METRICS} == KEPLER_SERIES
    namings: tuple[Naming, ...] = ("kepler", "otel")
    for naming in namings:
        names = [m.exposed_name(naming) for m in METRICS]
        assert len(names) == len(set(names)), naming


def test_every_label_is_defined_and_otel_names_are_namespaced() -> None:
    for metric in METRICS:
        assert set(metric.labels) <= set(LABELS), metric.kepler
        assert metric.otel.startswith("kepler.")
    assert len({label.otel for label in LABELS.values()}) == len(LABELS)


@pytest.mark.parametrize(
    ("name", "unit", "kind", "exposed"),
    [
        ("kepler_node_cpu_joules", "J", "counter", "kepler_node_cpu_joules_total"),
        (
            "kepler.node.cpu.energy",
            "J",
            "counter",
            "kepler_node_cpu_energy_joules_total",
        ),
        ("kepler.node.cpu.power", "W", "gauge", "kepler_node_cpu_power_watts"),
        ("kepler_node_cpu_usage_ratio", "1", "gauge", "kepler_node_cpu_usage_ratio"),
        ("kepler.pod.cpu.time", "s", "counter", "kepler_pod_cpu_time_seconds_total"),
        ("kepler_build_info", "", "gauge", "kepler_build_info"),
    ],
)
def test_prometheus_name_follows_the_reader(
    name: str, unit: str, kind: InstrumentKind, exposed: str
) -> None:
    assert prometheus_name(name, unit, kind) == exposed


@pytest.mark.parametrize("naming", ["kepler", "otel"])
def test_scrape_has_exactly_the_names_and_labels_the_table_promises(
    naming: Naming,
) -> None:
    with serving(Published(full_snapshot()), naming) as (_, port):
        text = get_text(port)

    scraped = {
        sample.name: set(sample.labels)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    promised = {m.exposed_name(naming): set(m.label_names(naming)) for m in METRICS}
    assert scraped == promised
