"""A failure under ``oneOf``/``anyOf`` names the most relevant error of its branches.

As jsonschema's ``best_match`` does: when no one branch was evidently meant,
the deepest error of the branches explains the failure; a tie leaves the
branching keyword itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.validation.json_validation import (
    json_validator_for_file,
    validate_json,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# A third-party schema whose root is a oneOf: a single record or a collection.
ONE_OF_ROOT = {
    "$schema": DRAFT,
    "oneOf": [
        {"$ref": "#/$defs/record"},
        {
            "type": "object",
            "required": ["records"],
            "properties": {
                "records": {"type": "array", "items": {"$ref": "#/$defs/record"}}
            },
        },
    ],
    "$defs": {
        "record": {
            "type": "object",
            "required": ["code", "name"],
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "name": {"type": "string"},
                "where": {
                    "type": "object",
                    "properties": {"postcode": {"type": "string", "maxLength": 6}},
                },
            },
        }
    },
}


def _validator(tmp_path: Path, schema: dict[str, object] = ONE_OF_ROOT):
    path = tmp_path / "record.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return json_validator_for_file(path, None)


def _found(tmp_path: Path, document: object) -> list[tuple[str, str]]:
    findings = validate_json(json.dumps(document), _validator(tmp_path))
    return [(f.rule, f.pointer) for f in findings]


def test_a_record_with_a_bad_member_names_that_member(tmp_path):
    found = _found(tmp_path, {"code": "abc", "name": "A"})
    assert found == [("pattern", "/code")]


def test_the_deepest_error_wins(tmp_path):
    found = _found(
        tmp_path, {"code": "ABC", "name": "A", "where": {"postcode": "1234567"}}
    )
    assert found == [("maxLength", "/where/postcode")]


def test_an_error_inside_the_other_branch_is_found_there(tmp_path):
    found = _found(tmp_path, {"records": [{"code": "ABC", "name": 5}]})
    assert found == [("type", "/records/0/name")]


def test_a_tie_leaves_the_branching_keyword(tmp_path):
    # Neither branch got further than the top: both miss a member there.
    found = _found(tmp_path, {"code": "ABC"})
    assert found == [("oneOf", "")]
