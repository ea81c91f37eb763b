"""A document with far more errors than the cap is counted, not materialised.

jsonschema-rs builds every error of a document before it yields the first;
past the cap the reference validator counts them lazily instead, so memory
stays bounded by the cap (benchmarks/run.py --only many-errors measures it).
Below the cap, findings are the native validator's, unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conformance.inputs.caps import FINDINGS_OMITTED
from conformance.model import Severity
from conformance.validation.json_validation import (
    json_validator_for_file,
    validate_json,
)

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA = {
    "$schema": DRAFT,
    "type": "object",
    "properties": {
        "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
    },
    "$defs": {
        "record": {
            "type": "object",
            "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        }
    },
}


@contextmanager
def native_error_lists() -> Iterator[list[int]]:
    """Count the calls of jsonschema-rs iter_errors while the block runs."""
    counted = [0]

    def profile(frame, event, arg):
        if event == "c_call" and getattr(arg, "__name__", "") == "iter_errors":
            counted[0] += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield counted
    finally:
        sys.setprofile(previous)


def _validator(tmp_path: Path):
    path = tmp_path / "records.schema.json"
    path.write_text(json.dumps(SCHEMA), encoding="utf-8")
    return json_validator_for_file(path, None)


def _document(bad: int, good: int) -> bytes:
    records = [{"code": "abc"}] * bad + [{"code": "ABC"}] * good
    return json.dumps({"records": records}).encode()


def test_a_document_far_past_the_cap_never_builds_every_native_error(tmp_path):
    validator = _validator(tmp_path)
    with native_error_lists() as lists:
        findings = validate_json(_document(20_000, 0), validator, max_findings=100)
    assert lists == [0]
    assert len(findings) == 101
    first = findings[0]
    assert (first.rule, first.pointer) == ("pattern", "/records/0/code")
    assert first.schema_location.endswith("#/$defs/record/properties/code/pattern")
    assert first.line == 1
    note = findings[-1]
    assert note.rule == FINDINGS_OMITTED
    assert "… and 19,900 more findings" in note.message
    assert note.severity is Severity.ERROR


def test_a_large_document_below_the_cap_keeps_the_native_findings(tmp_path):
    validator = _validator(tmp_path)
    data = _document(50, 5_000)
    native_only = dataclasses.replace(validator, schema=None)
    expected = validate_json(data, native_only, max_findings=100)
    assert len(expected) == 50
    assert validate_json(data, validator, max_findings=100) == expected


def test_past_the_cap_a_registry_finding_keeps_its_requirement(registry):
    """Through a cross-document $ref, the lazy path finds the x-requirement."""
    from conformance.validation.json_validation import json_validator

    standard = registry.resolve("person@1.2.0")
    validator = json_validator(registry, standard)
    valid = next(e for e in standard.examples if e.valid and e.path.suffix == ".json")
    person = json.loads(valid.path.read_text("utf-8"))
    bad = dict(person, fin="not a fin", extra=[0] * 3_000)
    native_only = dataclasses.replace(validator, schema=None)
    data = json.dumps(bad).encode()
    native = validate_json(data, native_only, max_findings=10)
    assert len(native) == 2  # two errors: past a cap of one
    (kept, note) = validate_json(data, validator, max_findings=1)
    assert note.rule == FINDINGS_OMITTED
    (same,) = [f for f in native if (f.rule, f.pointer) == (kept.rule, kept.pointer)]
    assert kept.requirement is not None
    assert (kept.requirement, kept.standard, kept.schema_location) == (
        same.requirement,
        same.standard,
        same.schema_location,
    )
