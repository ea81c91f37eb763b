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
