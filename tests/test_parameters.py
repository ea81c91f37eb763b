"""Parameters on the wire: OpenAPI 3 style rules, serialized and read back.

The examples are those of the OpenAPI 3 style table: a primitive ``5``, an
array ``[3, 4, 5]`` and an object ``{"R": 100, "G": 200, "B": 150}``.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from conformance.probing.interfaces import Parameter
from conformance.probing.parameters import (
    belongs,
    explode_of,
    sendable,
    serialize,
    style_of,
    text_of,
)

ARRAY = [3, 4, 5]
OBJECT = {"R": 100, "G": 200, "B": 150}


def _p(
    location: str, style: str | None = None, explode: bool | None = None
) -> Parameter:
    return Parameter(
        name="color",
        location=location,
        required=location == "path",
        pointer=None,
        style=style,
        explode=explode,
    )


def _valid(schema: dict[str, object]):
    return Draft202012Validator(schema).is_valid


def test_defaults_follow_the_location():
    assert (style_of(_p("path")), explode_of(_p("path"))) == ("simple", False)
    assert (style_of(_p("query")), explode_of(_p("query"))) == ("form", True)
    assert (style_of(_p("header")), explode_of(_p("header"))) == ("simple", False)
    # A declared explode wins over the style's default.
    assert explode_of(_p("query", explode=False)) is False


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (5, "5"), (1.5, "1.5"), ("x y", "x y")],
)
def test_primitives_are_written_plainly(value, text):
    assert text_of(value) == text


@pytest.mark.parametrize(
    ("location", "style", "explode", "value", "expected"),
    [
        # path, simple
        ("path", None, None, 5, "5"),
        ("path", None, None, ARRAY, "3,4,5"),
        ("path", None, None, OBJECT, "R,100,G,200,B,150"),
        ("path", None, True, OBJECT, "R=100,G=200,B=150"),
        ("path", None, None, "a/b,c", "a%2Fb%2Cc"),
        # path, label
        ("path", "label", False, 5, ".5"),
        ("path", "label", False, ARRAY, ".3,4,5"),
        ("path", "label", True, ARRAY, ".3.4.5"),
        ("path", "label", False, OBJECT, ".R,100,G,200,B,150"),
        ("path", "label", True, OBJECT, ".R=100.G=200.B=150"),
        # path, matrix
        ("path", "matrix", False, 5, ";color=5"),
        ("path", "matrix", False, ARRAY, ";color=3,4,5"),
        ("path", "matrix", True, ARRAY, ";color=3;color=4;color=5"),
        ("path", "matrix", False, OBJECT, ";color=R,100,G,200,B,150"),
        ("path", "matrix", True, OBJECT, ";R=100;G=200;B=150"),
        # query, form
        ("query", None, None, 5, "color=5"),
        ("query", None, None, ARRAY, "color=3&color=4&color=5"),
        ("query", None, False, ARRAY, "color=3,4,5"),
        ("query", None, None, OBJECT, "R=100&G=200&B=150"),
        ("query", None, False, OBJECT, "color=R,100,G,200,B,150"),
        ("query", None, None, "a&b=c", "color=a%26b%3Dc"),
        ("query", None, None, True, "color=true"),
        # query, the other styles
        ("query", "spaceDelimited", False, ARRAY, "color=3%204%205"),
        ("query", "pipeDelimited", False, ARRAY, "color=3|4|5"),
        ("query", "deepObject", True, OBJECT, "color[R]=100&color[G]=200&color[B]=150"),
        # header, simple: as it is, never percent-encoded
        ("header", None, None, 5, "5"),
        ("header", None, None, ARRAY, "3,4,5"),
        ("header", None, None, OBJECT, "R,100,G,200,B,150"),
        ("header", None, True, OBJECT, "R=100,G=200,B=150"),
        ("header", None, None, "a b/c", "a b/c"),
    ],
)
def test_each_style_serializes_as_openapi_says(
    location, style, explode, value, expected
):
    parameter = _p(location, style, explode)
    text = serialize(parameter, value)
    if style == "deepObject":
        text = text.replace("%5B", "[").replace("%5D", "]")
    assert text == expected


@pytest.mark.parametrize(
    ("location", "style", "explode"),
    [
        ("path", None, None),
        ("path", None, True),
        ("path", "label", False),
        ("path", "label", True),
        ("path", "matrix", False),
        ("path", "matrix", True),
        ("query", None, None),
        ("query", None, False),
        ("query", "spaceDelimited", False),
        ("query", "pipeDelimited", False),
        ("query", "deepObject", True),
        ("header", None, None),
        ("header", None, True),
    ],
)
def test_what_is_serialized_reads_back_as_valid(location, style, explode):
    parameter = _p(location, style, explode)
    shapes = [
        ({"type": "integer"}, 5),
        ({"type": "array", "items": {"type": "integer"}}, ARRAY),
        (
            {
                "type": "object",
                "properties": {c: {"type": "integer"} for c in "RGB"},
                "required": ["R", "G", "B"],
            },
            OBJECT,
        ),
    ]
    for schema, value in shapes:
        if style in ("spaceDelimited", "pipeDelimited") and not isinstance(value, list):
            continue
        if style == "deepObject" and not isinstance(value, dict):
            continue
        text = serialize(parameter, value)
        assert belongs(parameter, text, _valid(schema)), (schema, text)


def test_a_string_of_digits_is_a_valid_string():
    # A URL holds no types: the text 12345 is a string as much as a number.
    parameter = _p("path")
    assert belongs(parameter, serialize(parameter, 12345), _valid({"type": "string"}))


@pytest.mark.parametrize("text", ["12a", "1.5", "", "1e400x", "true"])
def test_an_integer_schema_refuses_text_that_is_no_integer(text):
    parameter = _p("query")
    assert not belongs(parameter, f"color={text}", _valid({"type": "integer"}))


def test_bounds_patterns_and_enums_are_judged_on_the_read_value():
    query = _p("query")
    limit = _valid({"type": "integer", "minimum": 1, "maximum": 50})
    assert belongs(query, "color=50", limit)
    assert not belongs(query, "color=51", limit)
    assert not belongs(query, "color=0", limit)
    fin = _p("path")
    pattern = _valid({"type": "string", "pattern": "^[0-9A-Z]{7}$"})
    assert belongs(fin, "5ZK3T2A", pattern)
    assert not belongs(fin, "5ZK3T2AA", pattern)
    # Percent-encoding is undone before judging.
    assert not belongs(fin, "5ZK3T2%21", pattern)
    assert belongs(fin, "5ZK3T2%41", pattern)
    colours = _valid({"enum": ["red", "green"]})
    assert belongs(_p("header"), "red", colours)
    assert not belongs(_p("header"), "blue", colours)


def test_an_array_of_one_reads_as_the_item_and_as_the_array():
    query = _p("query")
    assert belongs(
        query, "color=3", _valid({"type": "array", "items": {"type": "integer"}})
    )
    assert belongs(query, "color=3", _valid({"type": "integer"}))


def test_what_cannot_be_sent_is_told():
    header, path = _p("header"), _p("path")
    assert sendable(header, "a b")
    assert sendable(header, "")
    assert not sendable(header, " a")
    assert not sendable(header, "a\nb")
    assert not sendable(header, "ğ")
    assert not sendable(path, "")
    assert sendable(path, "%20")


# -- filling: every required parameter on every request ------------------------

EXTRA = """        - $ref: "#/components/parameters/Cursor"
        - name: region
          in: query
          required: true
          schema: {type: string, enum: [BAKU, GANCA]}
          example: GANCA
        - name: X-Agency
          in: header
          required: true
          schema: {type: string, pattern: "^[A-Z]{3}$"}
"""


def _with_required_parameters(tmp_registry):
    from conformance.registry.standards import Registry

    interface = tmp_registry / "person" / "1.2.0" / "openapi.yaml"
    text = interface.read_text(encoding="utf-8")
    cursor = '        - $ref: "#/components/parameters/Cursor"\n'
    assert text.count(cursor) == 1
    # The correlation id made required: the suite still sends its own.
    text = text.replace(cursor, EXTRA).replace(
        "      name: X-Correlation-ID\n      in: header\n      required: false",
        "      name: X-Correlation-ID\n      in: header\n      required: true",
    )
    interface.write_text(text, encoding="utf-8")
    return Registry.open(tmp_registry)


def _probe(registry, checks, seed=20261201):
    from conformance.model import Outcome
    from conformance.probing.checks import select
    from conformance.probing.fuzzing import FuzzSettings
    from conformance.probing.plan import opened, plan, run_planned
    from conformance.probing.profiles import ServiceTarget
    from conformance.probing.reference import ReferenceService
    from conformance.registry.manifest import Agency

    with ReferenceService(registry) as running:
        target = ServiceTarget(
            id="test:population-register",
            standard="person@1.2.0",
            base_url=running.url,
            agency=Agency("test", "Test agency"),
            token_env="REFERENCE_TOKEN",
            timeout=5,
            existing={"fin": ("83EB3H4",)},
            missing={"fin": ("ZZZZZZZ",)},
        )
        with opened(
            registry,
            environ={"REFERENCE_TOKEN": running.token},
            fuzz=FuzzSettings(seed=seed),
        ) as services:
            results = [
                run_planned(services, item)
                for item in plan(registry, [target], select(ids=checks))
            ]
            sent = list(services.exchanges())
    assert Outcome.ERROR not in {r.outcome for r in results}, results
    return results, sent


def test_required_query_and_header_parameters_are_filled(tmp_registry):
    import re

    registry = _with_required_parameters(tmp_registry)
    results, sent = _probe(registry, ["documented-status", "correlation-id"])
    lists = [e for e in sent if e.url.split("?")[0].endswith("/persons")]
    assert lists
    for exchange in lists:
        # From the parameter's example, not the first value of its enum.
        assert "region=GANCA" in exchange.url
        # Generated from the schema with the run's seed.
        assert re.fullmatch("[A-Z]{3}", exchange.request_headers["X-Agency"])
    # Optional parameters are left out of the ordinary request.
    assert not any("cursor=" in e.url for e in lists)
    # The correlation-id check's own id is sent and echoed: filling leaves the
    # suite's own headers alone.
    echoed = next(r for r in results if r.evidence["check"] == "correlation-id")
    assert echoed.outcome.value == "passed", echoed.findings
    _, again = _probe(registry, ["documented-status"])
    agency = {e.request_headers["X-Agency"] for e in lists}
    assert agency == {
        e.request_headers["X-Agency"]
        for e in again
        if e.url.split("?")[0].endswith("/persons")
    }
