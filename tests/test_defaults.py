"""The built-in pipeline picks its meter by what the machine allows."""

from __future__ import annotations

from pathlib import Path

from otel_kepler.components import builtin_factories
from otel_kepler.config.loader import load
from otel_kepler.defaults import default_document

SYSFS = Path(__file__).parent / "testdata" / "sysfs"


def test_readable_rapl_zones_make_rapl_the_meter() -> None:
    document, why = default_document(str(SYSFS / "single_socket"))
    config = load(document, builtin_factories(), env={})
    assert [str(c.id) for c in config.receivers] == ["rapl", "procfs"]
    assert [str(c.id) for c in config.processors] == ["attribution"]
    assert [str(c.id) for c in config.exporters] == ["prometheus"]
    assert why.startswith("meter: rapl (RAPL energy counters under ")


def test_no_powercap_tree_falls_back_to_the_model_and_says_why(tmp_path: Path) -> None:
    document, why = default_document(str(tmp_path))
    config = load(document, builtin_factories(), env={})
    assert [str(c.id) for c in config.receivers] == ["model", "procfs"]
    assert why == (
        f"meter: model, power is estimated ({tmp_path}/class/powercap: No such file "
        "or directory: there is no RAPL on this machine (virtual machines and most "
        "clouds do not expose it))"
    )
