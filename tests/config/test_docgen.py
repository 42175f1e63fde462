from __future__ import annotations

from pathlib import Path

import yaml

from otel_kepler.components import builtin_factories
from otel_kepler.config import docgen
from otel_kepler.config.loader import load

REPO = Path(__file__).resolve().parents[2]


def test_committed_configuration_doc_matches_the_code() -> None:
    committed = (REPO / "docs" / "configuration.md").read_text()
    assert committed == docgen.generate(), (
        "docs/configuration.md is stale: run "
        "`python -m otel_kepler.config.docgen > docs/configuration.md`"
    )


def test_every_component_has_an_example_that_validates() -> None:
    for type_, text in docgen.EXAMPLES.items():
        example = yaml.safe_load(text)
        document = {"receivers": {"procfs": None}, "exporters": {"debug": None}}
        pipeline: dict[str, list[str]] = {
            "receivers": ["procfs"],
            "exporters": ["debug"],
        }
        for section, components in example.items():
            document[section] = {**document.get(section, {}), **components}
            names = pipeline.setdefault(section, [])
            names += [name for name in components if name not in names]
        document["service"] = {"pipelines": {"metrics": pipeline}}
        assert load(document, builtin_factories(), env={}), type_


def test_every_component_type_has_an_example() -> None:
    assert sorted(docgen.EXAMPLES) == sorted(t for _, t in builtin_factories())
