"""Loading whole documents: sections, ids, pipelines, merging, examples."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

import pytest

from otel_kepler.component import ComponentID
from otel_kepler.components import builtin_factories
from otel_kepler.config.loader import load, read_documents
from otel_kepler.config.render import REDACTED, effective_document, redact
from otel_kepler.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def pipeline(**metrics: Any) -> dict[str, Any]:
    return {"service": {"pipelines": {"metrics": metrics}}}


def problems(document: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(document, builtin_factories(), env=env or {})
    return [str(p) for p in caught.value.problems]


def test_only_components_named_in_the_pipeline_are_built() -> None:
    config = load(
        {
            "receivers": {"model": None, "procfs": None, "rapl": None},
            "exporters": {"prometheus": None, "prometheus/otel": {"naming": "otel"}},
            **pipeline(receivers=["model", "procfs"], exporters=["prometheus/otel"]),
        },
        builtin_factories(),
        env={},
    )
    assert [c.id for c in config.receivers] == [
        ComponentID("model"),
        ComponentID("procfs"),
    ]
    assert [str(c.id) for c in config.exporters] == ["prometheus/otel"]
    assert config.exporters[0].config.naming == "otel"
    assert config.interval_s == 5.0


def test_every_kind_of_mistake_is_reported_in_one_run() -> None:
    found = problems(
        {
            "receiver": {},
            "receivers": {"rapl": {"zones": ["package", "pkg"]}, "Bad-Id": None},
            "processors": {"nope": None},
            "exporters": {"prometheus": {"endpoint": 28282}},
            **pipeline(
                receivers=["rapl", "rapl/other", "rapl"],
                exporters=[],
                interval="fast",
            ),
        }
    )
    assert found[0] == (
        "receiver: unknown section (allowed: receivers, processors, exporters, "
        "extensions, service)"
    )
    assert any(
        p.startswith('receivers::rapl::zones[1]: unknown zone "pkg"') for p in found
    )
    assert any(p.startswith("receivers::Bad-Id: invalid component id") for p in found)
    assert (
        'processors::nope: unknown processor type "nope" (known: attribution)' in found
    )
    assert any(
        p.startswith("exporters::prometheus::endpoint: must be a string") for p in found
    )
    assert any(
        p.startswith('service::pipelines::metrics::interval: "fast"') for p in found
    )
    assert (
        "service::pipelines::metrics::exporters: needs at least one exporter" in found
    )
    assert (
        'service::pipelines::metrics::receivers[1]: receiver "rapl/other" is not '
        "defined in receivers (defined: rapl)" in found
    )
    assert 'service::pipelines::metrics::receivers[2]: "rapl" is listed twice' in found


def test_a_document_without_a_pipeline_says_what_is_missing() -> None:
    assert problems({"receivers": {"procfs": None}}) == [
        "service::pipelines::metrics: missing: name at least one receiver and one "
        "exporter"
    ]


def test_environment_references_expand_before_decoding() -> None:
    document = {
        "receivers": {"procfs": {"procfs": "${env:HOST_PROC:-/proc}"}},
        "exporters": {"prometheus": {"endpoint": "127.0.0.1:${PORT}"}},
        **pipeline(receivers=["procfs"], exporters=["prometheus"], interval="${IVL}"),
    }
    config = load(document, builtin_factories(), env={"PORT": "9999", "IVL": "2s"})
    assert config.receivers[0].config.procfs == "/proc"
    assert config.exporters[0].config.endpoint == "127.0.0.1:9999"
    assert config.interval_s == 2.0
    assert problems(document, env={"IVL": "2s"}) == [
        'exporters::prometheus::endpoint: environment variable "PORT" is not set '
        "(set it, or give a default: ${env:PORT:-value})"
    ]


def test_several_files_merge_key_by_key_later_files_winning(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(
        "receivers: {procfs: {}}\n"
        "exporters: {prometheus: {endpoint: 'localhost:1'}}\n"
        "service: {pipelines: {metrics:\n"
        "  {receivers: [procfs], exporters: [prometheus]}}}\n"
    )
    override = tmp_path / "override.yaml"
    override.write_text("exporters: {prometheus: {naming: otel}}\n")
    document, read_problems = read_documents([str(base), str(override)])
    assert read_problems == []
    config = load(document, builtin_factories(), env={})
    assert config.exporters[0].config.endpoint == "localhost:1"
    assert config.exporters[0].config.naming == "otel"


def test_unreadable_and_malformed_files_are_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("receivers: [unclosed\n")
    _, found = read_documents([str(tmp_path / "absent.yaml"), str(broken)])
    assert str(found[0]) == (
        f"cannot read config file {tmp_path / 'absent.yaml'}: No such file or directory"
    )
    assert str(found[1]).startswith(f"config file {broken} is not valid YAML")


@pytest.mark.parametrize("path", sorted(glob.glob(str(REPO / "config" / "*.yaml"))))
def test_every_example_config_is_valid(path: str) -> None:
    document, found = read_documents([path])
    assert found == []
    load(document, builtin_factories(), env={})


def test_effective_config_fills_defaults_and_redacts_secrets() -> None:
    config = load(
        {
            "receivers": {"procfs": None},
            "exporters": {"prometheus": None},
            **pipeline(receivers=["procfs"], exporters=["prometheus"]),
        },
        builtin_factories(),
        env={},
    )
    document = effective_document(config)
    assert document["receivers"]["procfs"] == {"procfs": "/proc", "sysfs": "/sys"}
    assert document["service"]["pipelines"]["metrics"]["interval"] == "5s"
    assert redact(
        {"headers": {"authorization": "Bearer x"}, "api_key": "k", "n": 1}
    ) == {
        "headers": {"authorization": REDACTED},
        "api_key": REDACTED,
        "n": 1,
    }
