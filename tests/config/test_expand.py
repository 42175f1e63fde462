from __future__ import annotations

from otel_kepler.config.expand import expand_all

ENV = {"PORT": "9000", "HOST": "node-1", "INTERVAL": "5s", "EMPTY": "", "FLAG": "true"}


def expanded(raw: object) -> object:
    value, problems = expand_all(raw, ENV)
    assert problems == []
    return value


def test_all_reference_forms_expand() -> None:
    assert expanded("${env:HOST}") == "node-1"
    assert expanded("${HOST}") == "node-1"
    assert expanded("${env:MISSING:-fallback}") == "fallback"
    assert expanded("${env:EMPTY:-fallback}") == "fallback"
    assert expanded("http://${HOST}:${env:PORT}/x") == "http://node-1:9000/x"


def test_double_dollar_is_a_literal_dollar() -> None:
    assert expanded("$$HOST") == "$HOST"
    assert expanded("cost: $$5 ${HOST}") == "cost: $5 node-1"


def test_a_whole_reference_is_typed_like_yaml() -> None:
    assert expanded({"port": "${PORT}"}) == {"port": 9000}
    assert expanded({"on": "${FLAG}"}) == {"on": True}
    assert expanded({"interval": "${INTERVAL}"}) == {"interval": "5s"}
    assert expanded({"addr": "${HOST}:${PORT}"}) == {"addr": "node-1:9000"}


def test_expansion_reaches_into_lists_and_leaves_other_scalars() -> None:
    assert expanded({"a": [1, "${HOST}", None], "b": 2.5}) == {
        "a": [1, "node-1", None],
        "b": 2.5,
    }


def test_an_unset_variable_is_a_problem_with_its_path() -> None:
    _, problems = expand_all({"exporters": {"otlp": {"endpoint": "${env:NOPE}"}}}, ENV)
    assert [str(p) for p in problems] == [
        'exporters::otlp::endpoint: environment variable "NOPE" is not set (set it, '
        "or give a default: ${env:NOPE:-value})"
    ]


def test_a_set_but_empty_variable_expands_to_nothing() -> None:
    assert expanded("x${EMPTY}y") == "xy"
