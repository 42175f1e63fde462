from __future__ import annotations

from otel_kepler.component import Kind
from otel_kepler.config.decode import decode
from otel_kepler.errors import Problem
from otel_kepler.receivers.rapl.config import RAPLConfig
from otel_kepler.receivers.rapl.factory import FACTORY
from otel_kepler.receivers.rapl.receiver import RAPLReceiver
from tests.receivers.rapl.trees import settings

KNOWN = "known: core, dram, package, psys, uncore"


def test_defaults_are_valid() -> None:
    config = RAPLConfig()

    assert config.sysfs == "/sys"
    assert config.zones == ()
    assert config.validate() == []


def test_every_known_zone_is_accepted() -> None:
    config = RAPLConfig(zones=("package", "core", "uncore", "dram", "psys"))

    assert config.validate() == []


def test_unknown_zones_are_reported_with_their_index() -> None:
    config = RAPLConfig(zones=("package", "pkg", "gpu"))

    assert config.validate() == [
        Problem(("zones", "1"), f'unknown zone "pkg" ({KNOWN})'),
        Problem(("zones", "2"), f'unknown zone "gpu" ({KNOWN})'),
    ]


def test_decoded_config_reports_unknown_zone_at_its_key_path() -> None:
    config, problems = decode(
        RAPLConfig, {"sysfs": "/host/sys", "zones": ["dram", "pkg"]}, ("rapl",)
    )

    assert config.sysfs == "/host/sys"
    assert [str(p) for p in problems] == [
        f'rapl::zones[1]: unknown zone "pkg" ({KNOWN})'
    ]


def test_factory_builds_a_rapl_receiver() -> None:
    assert FACTORY.type == "rapl"
    assert FACTORY.kind is Kind.RECEIVER
    assert FACTORY.config is RAPLConfig

    receiver = FACTORY.build(settings(), RAPLConfig())

    assert isinstance(receiver, RAPLReceiver)
