from __future__ import annotations

from otel_kepler.component import ComponentID, CreateSettings, Kind, SystemClock
from otel_kepler.config.decode import decode
from otel_kepler.errors import Problem
from otel_kepler.receivers.model.config import ModelConfig
from otel_kepler.receivers.model.factory import FACTORY
from otel_kepler.receivers.model.receiver import ModelReceiver


def test_defaults_are_valid() -> None:
    config = ModelConfig()

    assert config.procfs == "/proc"
    assert config.idle_w_per_vcpu == 0.74
    assert config.max_w_per_vcpu == 3.5
    assert config.vcpus == 0
    assert config.zone == "package"
    assert config.validate() == []


def test_zero_watts_and_equal_bounds_are_valid() -> None:
    assert ModelConfig(idle_w_per_vcpu=0.0, max_w_per_vcpu=0.0).validate() == []
    assert ModelConfig(idle_w_per_vcpu=2.0, max_w_per_vcpu=2.0).validate() == []


def test_negative_idle_watts_is_rejected() -> None:
    assert ModelConfig(idle_w_per_vcpu=-0.5).validate() == [
        Problem(("idle_w_per_vcpu",), "must be 0 or more (got -0.5)")
    ]


def test_negative_max_watts_is_rejected_with_the_bound_it_breaks() -> None:
    assert ModelConfig(max_w_per_vcpu=-1.0).validate() == [
        Problem(("max_w_per_vcpu",), "must be 0 or more (got -1.0)"),
        Problem(
            ("max_w_per_vcpu",),
            "must be at least idle_w_per_vcpu (got -1.0; idle_w_per_vcpu is 0.74)",
        ),
    ]


def test_max_below_idle_is_rejected() -> None:
    assert ModelConfig(idle_w_per_vcpu=4.0).validate() == [
        Problem(
            ("max_w_per_vcpu",),
            "must be at least idle_w_per_vcpu (got 3.5; idle_w_per_vcpu is 4.0)",
        )
    ]


def test_negative_vcpus_is_rejected() -> None:
    assert ModelConfig(vcpus=-2).validate() == [
        Problem(("vcpus",), "must be 0 or more (got -2)")
    ]


def test_empty_zone_is_rejected() -> None:
    assert ModelConfig(zone="").validate() == [
        Problem(("zone",), 'must not be empty (got "")')
    ]


def test_decoded_config_reports_every_problem_at_its_key_path() -> None:
    raw = {"idle_w_per_vcpu": 2, "max_w_per_vcpu": 1.5, "vcpus": -1}

    _, problems = decode(ModelConfig, raw, ("receivers", "model"))

    assert [str(p) for p in problems] == [
        "receivers::model::vcpus: must be 0 or more (got -1)",
        "receivers::model::max_w_per_vcpu: must be at least idle_w_per_vcpu "
        "(got 1.5; idle_w_per_vcpu is 2.0)",
    ]


def test_factory_builds_a_model_receiver() -> None:
    assert FACTORY.type == "model"
    assert FACTORY.kind is Kind.RECEIVER
    assert FACTORY.config is ModelConfig

    settings = CreateSettings(ComponentID("model"), "node-a", SystemClock())
    receiver = FACTORY.build(settings, ModelConfig())

    assert isinstance(receiver, ModelReceiver)
