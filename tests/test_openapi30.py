"""OpenAPI 3.0 Schema Objects, translated to draft 2020-12 when an interface loads.

Each construct is shown twice: the translated schema, and a value the 3.0
meaning accepts (or refuses) being accepted (or refused) after translation,
by the validator the suite really uses.
"""

from __future__ import annotations

import pytest

from conformance.errors import SchemaError
from conformance.model import JsonValue
from conformance.registry.schema_resources import ResourceLoader
from conformance.validation.json_schemas import native_validator
from conformance.validation.openapi30 import (
    openapi_version,
    schema_from_openapi30,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def accepts(schema30: JsonValue, value: JsonValue) -> bool:
    """Whether the translated schema (compiled as the suite compiles) accepts."""
    translated = schema_from_openapi30(schema30)
    assert isinstance(translated, dict)
    compiled = native_validator({"$schema": DRAFT, **translated}, ResourceLoader([]))
    return bool(compiled.is_valid(value))


def test_nullable_true_adds_null_to_the_type():
    schema = {"type": "string", "nullable": True, "maxLength": 3}
    assert schema_from_openapi30(schema) == {"type": ["string", "null"], "maxLength": 3}
    assert accepts(schema, None)
    assert accepts(schema, "abc")
    assert not accepts(schema, "abcd")
    assert not accepts(schema, 5)


def test_nullable_false_or_absent_refuses_null():
    for schema in ({"type": "string", "nullable": False}, {"type": "string"}):
        assert schema_from_openapi30(schema) == {"type": "string"}
        assert not accepts(schema, None)
        assert accepts(schema, "x")


def test_nullable_keeps_an_enum_that_does_not_list_null():
    # OpenAPI 3.0.3: other keywords keep their meaning, so enum refuses null.
    schema = {"type": "string", "nullable": True, "enum": ["a", "b"]}
    assert not accepts(schema, None)
    assert accepts({**schema, "enum": ["a", "b", None]}, None)


def test_nullable_without_a_type_changes_nothing():
    schema = {"nullable": True, "allOf": [{"type": "string"}]}
    assert schema_from_openapi30(schema) == {"allOf": [{"type": "string"}]}
    assert not accepts(schema, None)


def test_boolean_exclusive_minimum_becomes_the_bound():
    schema = {"type": "integer", "minimum": 0, "exclusiveMinimum": True}
    assert schema_from_openapi30(schema) == {"type": "integer", "exclusiveMinimum": 0}
    assert not accepts(schema, 0)
    assert accepts(schema, 1)


def test_boolean_exclusive_maximum_becomes_the_bound():
    schema = {"type": "number", "maximum": 10, "exclusiveMaximum": True}
    assert schema_from_openapi30(schema) == {"type": "number", "exclusiveMaximum": 10}
    assert not accepts(schema, 10)
    assert accepts(schema, 9.5)


def test_false_exclusive_bounds_keep_the_inclusive_bound():
    schema = {
        "type": "integer",
        "minimum": 0,
        "exclusiveMinimum": False,
        "maximum": 5,
        "exclusiveMaximum": False,
    }
    assert schema_from_openapi30(schema) == {
        "type": "integer",
        "minimum": 0,
        "maximum": 5,
    }
    assert accepts(schema, 0)
    assert accepts(schema, 5)
    assert not accepts(schema, 6)


def test_exclusive_true_without_its_bound_constrains_nothing():
    schema = {"type": "integer", "exclusiveMinimum": True}
    assert schema_from_openapi30(schema) == {"type": "integer"}
    assert accepts(schema, -1000)


def test_example_becomes_examples():
    schema = {"type": "string", "example": "r1"}
    assert schema_from_openapi30(schema) == {"type": "string", "examples": ["r1"]}
    assert accepts(schema, "anything")


def test_extensions_stay_and_do_not_constrain():
    schema = {"type": "string", "x-requirement": "ACME-1", "x-internal": {"a": 1}}
    assert schema_from_openapi30(schema) == schema
    assert accepts(schema, "x")
    assert not accepts(schema, 1)


def test_a_ref_keeps_no_siblings():
    # In 3.0 the siblings of $ref are ignored: nullable here allows nothing.
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/S", "nullable": True, "description": "ignored"}
        },
        "$defs": {"S": {"type": "string"}},
    }
    translated = schema_from_openapi30(schema)
    assert isinstance(translated, dict)
    assert translated["properties"] == {"a": {"$ref": "#/$defs/S"}}
    assert not accepts(schema, {"a": None})
    assert accepts(schema, {"a": "x"})


def test_integer_formats_become_their_ranges():
    schema = {"type": "integer", "format": "int32"}
    assert schema_from_openapi30(schema) == {
        "type": "integer",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
    }
    assert accepts(schema, 2**31 - 1)
    assert not accepts(schema, 2**31)
    # A tighter bound of the schema wins; an exclusive one is kept.
    tight = {
        "type": "integer",
        "format": "int32",
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    assert schema_from_openapi30(tight) == {
        "type": "integer",
        "exclusiveMinimum": 0,
        "maximum": 2**31 - 1,
    }
    assert not accepts(tight, 0)


def test_formats_that_check_nothing_go():
    for fmt in ("float", "double", "binary", "password"):
        assert schema_from_openapi30({"type": "string", "format": fmt}) == {
            "type": "string"
        }
    assert schema_from_openapi30({"type": "string", "format": "byte"}) == {
        "type": "string",
        "contentEncoding": "base64",
    }
    assert accepts({"type": "number", "format": "double"}, 1.5)


def test_subschemas_are_translated_where_they_are():
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": {"type": "string", "nullable": True}}
        },
        "additionalProperties": {"type": "integer", "nullable": True},
        "allOf": [{"properties": {"n": {"minimum": 1, "exclusiveMinimum": True}}}],
    }
    translated = schema_from_openapi30(schema)
    assert isinstance(translated, dict)
    assert translated["properties"]["list"]["items"]["type"] == ["string", "null"]  # type: ignore[index,call-overload]
    assert translated["allOf"][0]["properties"]["n"] == {"exclusiveMinimum": 1}  # type: ignore[index,call-overload]
    assert accepts(schema, {"list": [None, "a"], "other": None, "n": 2})
    assert not accepts(schema, {"n": 1})
    # The argument is not changed, and translating twice changes nothing.
    assert schema["properties"]["list"]["items"]["nullable"] is True  # type: ignore[index]
    assert schema_from_openapi30(translated) == translated


@pytest.mark.parametrize(
    ("declared", "version"),
    [("3.0.0", "3.0"), ("3.0.3", "3.0"), ("3.1.0", "3.1"), (None, "3.1")],
)
def test_the_openapi_version_is_read(declared, version):
    document: dict[str, JsonValue] = {} if declared is None else {"openapi": declared}
    assert openapi_version(document, "x.yaml") == version


@pytest.mark.parametrize("declared", ["2.0", "3.2.0", "3.10.0", 3.0])
def test_other_openapi_versions_are_refused(declared):
    with pytest.raises(SchemaError, match=r"x\.yaml: openapi is .*3\.0\.x and 3\.1\.x"):
        openapi_version({"openapi": declared}, "x.yaml")
