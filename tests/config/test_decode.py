from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from otel_kepler.config.decode import decode
from otel_kepler.config.options import Duration, option, positive
from otel_kepler.errors import Problem


@dataclass(frozen=True)
class Inner:
    enabled: bool = option(True, "on or off")
    names: tuple[str, ...] = option((), "names")


@dataclass(frozen=True)
class Sample:
    path: str = option("/sys", "a root")
    count: int = option(3, "how many", check=positive)
    ratio: float = option(0.5, "a ratio")
    interval: Duration = option(Duration(5), "how often")
    naming: Literal["kepler", "otel"] = option("kepler", "names")
    levels: tuple[Literal["node", "pod"], ...] = option(("node",), "levels")
    inner: Inner = option(Inner(), "nested")
    labels: dict[str, str] = option({}, "labels")
    limit: int | None = option(None, "optional")

    def validate(self) -> list[Problem]:
        if self.path == "/forbidden":
            return [Problem(("path",), "is forbidden")]
        return []


def messages(raw: object) -> list[str]:
    _, problems = decode(Sample, raw, ("receivers", "x"))
    return [str(p) for p in problems]


def test_missing_and_empty_configs_take_every_default() -> None:
    for raw in (None, {}):
        config, problems = decode(Sample, raw)
        assert problems == []
        assert config == Sample()


def test_values_are_decoded_to_their_declared_types() -> None:
    config, problems = decode(
        Sample,
        {
            "path": "/host/sys",
            "count": 7,
            "ratio": 2,
            "interval": "500ms",
            "naming": "otel",
            "levels": ["node", "pod"],
            "inner": {"enabled": False, "names": ["a"]},
            "labels": {"team": "energy", "n": 1},
            "limit": 4,
        },
    )
    assert problems == []
    assert config.ratio == 2.0 and isinstance(config.ratio, float)
    assert config.interval == 0.5 and isinstance(config.interval, Duration)
    assert config.levels == ("node", "pod")
    assert config.inner == Inner(enabled=False, names=("a",))
    assert config.labels == {"team": "energy", "n": "1"}
    assert config.limit == 4


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    assert messages(
        {
            "pth": "/x",
            "count": "three",
            "interval": "5 parsecs",
            "naming": "prom",
            "levels": ["node", "vm"],
            "inner": {"enabled": "yes", "extra": 1},
        }
    ) == [
        "receivers::x::pth: unknown key (allowed: count, inner, interval, labels, "
        "levels, limit, naming, path, ratio)",
        'receivers::x::count: must be an integer (got "three")',
        'receivers::x::interval: "5 parsecs" is not a duration (write a number and '
        "a unit, such as 5s, 500ms or 1m; units: ns, us, ms, s, m, h)",
        'receivers::x::naming: invalid value (got "prom"; allowed: kepler, otel)',
        'receivers::x::levels[1]: invalid value (got "vm"; allowed: node, pod)',
        "receivers::x::inner::extra: unknown key (allowed: enabled, names)",
        'receivers::x::inner::enabled: must be a boolean (true or false) (got "yes")',
    ]


def test_field_checks_and_cross_field_validation_run() -> None:
    assert messages({"count": 0}) == [
        "receivers::x::count: must be greater than 0 (got 0)"
    ]
    assert messages({"path": "/forbidden"}) == ["receivers::x::path: is forbidden"]


def test_booleans_are_not_integers_and_numbers_not_durations() -> None:
    assert messages({"count": True, "interval": 5}) == [
        "receivers::x::count: must be an integer (got true)",
        "receivers::x::interval: must be a duration such as 5s or 500ms (got 5)",
    ]


def test_a_scalar_where_a_mapping_belongs_is_a_problem() -> None:
    assert messages("rapl") == ['receivers::x: must be a mapping of keys (got "rapl")']
    assert messages({"inner": ["a"]}) == [
        "receivers::x::inner: must be a mapping of keys (got a list)"
    ]


def test_durations_parse_and_print_in_their_units() -> None:
    assert Duration.parse("1m") == 60
    assert Duration.parse("1.5s") == 1.5
    assert Duration.parse("250us") == 0.00025
    assert str(Duration.parse("500ms")) == "500ms"
    assert str(Duration(5)) == "5s"
    assert str(Duration(120)) == "2m"
