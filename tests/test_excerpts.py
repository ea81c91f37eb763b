"""Findings quote values capped, never whole: one function, for JSON and XML alike."""

from __future__ import annotations

import json

import pytest

from conformance.inputs.excerpts import QUOTE_LIMIT, cap_quoted, quoted
from conformance.validation.json_validation import json_validator, validate_json
from conformance.validation.xml_validation import validate_xml, xml_validator

# Long enough that no message of a sound finding comes near it.
_MESSAGE_BOUND = 2_000


def test_a_short_value_is_quoted_whole_as_json():
    assert quoted("abc") == '"abc"'
    assert quoted('say "hi"\n') == '"say \\"hi\\"\\n"'
    assert quoted("\ud800") == '"\\ud800"'  # writable as UTF-8
    assert quoted([1, "a"]) == '[1,"a"]'
    assert quoted(None) == "null"


def test_a_long_value_is_cut_and_its_length_said():
    assert quoted("x" * 10_000_000) == (
        '"' + "x" * QUOTE_LIMIT + '"… (10,000,000 characters)'
    )
    assert quoted(list(range(200_000))).endswith("… (200,000 items)")
    assert quoted({str(i): i for i in range(1000)}).endswith("… (1,000 members)")
    assert len(quoted(list(range(200_000)))) < QUOTE_LIMIT + 30


def test_long_values_a_validator_quoted_are_cut_and_short_ones_kept():
    message = "The value '" + "a" * 5000 + "' is not accepted by the pattern '[A-Z]+'."
    assert cap_quoted(message) == (
        'The value "' + "a" * QUOTE_LIMIT + '"… (5,000 characters)'
        " is not accepted by the pattern '[A-Z]+'."
    )
    # libxml2 cuts a long message inside the value: it is at least that long.
    assert cap_quoted("Element 'fin': '" + "a" * 5000).endswith(
        "… (at least 5,000 characters)"
    )


@pytest.fixture(scope="module")
def person(registry):
    return json_validator(registry, registry.resolve("person@1.1.0"))


def _document(**members):
    base = {
        "fin": "5ZK3T2A",
        "givenName": "Rashad",
        "familyName": "Hasanov",
        "birthDate": "1990-05-21",
        "sex": "male",
    }
    return json.dumps({**base, **members}).encode()


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("fin", "x" * 10_000_000),  # pattern
        ("sex", "x" * 10_000_000),  # enum
        ("givenName", ["x" * 1_000_000] * 3),  # type, an array
    ],
)
def test_a_huge_json_value_gives_a_short_message(person, member, value):
    (finding,) = validate_json(_document(**{member: value}), person)
    assert finding.pointer == f"/{member}"
    assert len(finding.message) < _MESSAGE_BOUND
    assert "… (" in finding.message


def test_a_huge_member_name_gives_short_messages(person):
    name = "n" * 1_000_000
    (unexpected,) = validate_json(_document(**{name: 1}), person)
    assert unexpected.rule == "additionalProperties"
    assert len(unexpected.message) < _MESSAGE_BOUND
    assert "(1,000,000 characters)" in unexpected.message
    twice = _document(**{name: 1})[:-1] + b', "' + name.encode() + b'": 2}'
    (duplicate,) = validate_json(twice, person)
    assert duplicate.rule == "json-duplicate-key"
    assert len(duplicate.message) < _MESSAGE_BOUND


def test_many_unexpected_members_are_listed_up_to_a_few(person):
    (finding,) = validate_json(_document(**{f"m{i}": i for i in range(5000)}), person)
    assert finding.rule == "additionalProperties"
    assert "and 4,990 more were unexpected" in finding.message
    assert len(finding.message) < _MESSAGE_BOUND


def _person_xml(fin="5ZK3T2A", attrs=""):
    return (
        f'<per:Person xmlns:per="urn:az:gov:std:person:1"{attrs}>'
        f"<fin>{fin}</fin><givenName>Rashad</givenName>"
        "<familyName>Hasanov</familyName><birthDate>1990-05-21</birthDate>"
        "<sex>male</sex></per:Person>"
    ).encode()


def test_a_huge_xml_value_gives_a_short_message(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    findings = validate_xml(_person_xml(fin="x" * 1_000_000), schema)
    assert [f.rule for f in findings] == ["cvc-pattern-valid"]
    assert len(findings[0].message) < _MESSAGE_BOUND
    assert "characters)" in findings[0].message


def test_a_huge_schema_location_hint_gives_a_short_message(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    hint = "urn:x " + "h" * 1_000_000
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    attrs = f' xmlns:xsi="{xsi}" xsi:schemaLocation="{hint}"'
    (note,) = validate_xml(_person_xml(attrs=attrs), schema)
    assert note.rule == "xml-schema-location-ignored"
    assert len(note.message) < _MESSAGE_BOUND
    assert "(1,000,006 characters)" in note.message
