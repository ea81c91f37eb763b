"""A file keeps at most max_findings findings; the rest are counted, never built.

Each test counts the findings the validators build (by watching calls of the
function that builds one, with a profile hook: nothing is replaced) and
checks the count of the rest in the final finding.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.inputs.caps import DEFAULT_MAX_FINDINGS, FINDINGS_OMITTED
from conformance.model import Severity
from conformance.validation import json_validation, xml_validation
from conformance.validation.json_validation import (
    json_validator,
    json_validator_for_file,
    validate_json,
)
from conformance.validation.payloads import Validators, validate_file
from conformance.validation.xml_validation import (
    validate_xml,
    xml_validator_for_file,
)
from conftest import ROOT


@contextmanager
def calls_of(function: Callable[..., object]) -> Iterator[list[int]]:
    """Count the calls of a Python function while the block runs."""
    code = function.__code__
    counted = [0]

    def profile(frame, event, _arg):
        if event == "call" and frame.f_code is code:
            counted[0] += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)  # a large XML file is streamed in a thread
    try:
        yield counted
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)  # type: ignore[arg-type]


def _integers_schema(tmp_path: Path) -> Path:
    path = tmp_path / "integers.schema.json"
    path.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "array",
                "items": {"type": "integer"},
            }
        ),
        encoding="utf-8",
    )
    return path


def _omitted(findings) -> int:
    note = findings[-1]
    assert note.rule == FINDINGS_OMITTED
    return int(note.message.split(" more findings")[0].split()[-1].replace(",", ""))


def test_a_json_document_keeps_the_cap_and_counts_the_rest(tmp_path):
    validator = json_validator_for_file(_integers_schema(tmp_path), None)
    data = json.dumps(["x"] * 5000).encode()
    # A document this far past the cap is explained by the lazy path.
    with calls_of(json_validation.JsonValidator._python_finding) as built:
        findings = validate_json(data, validator, max_findings=100)
    assert built == [100]
    assert len(findings) == 101
    assert all(f.rule == "type" for f in findings[:100])
    assert _omitted(findings) == 4900
    assert "… and 4,900 more findings" in findings[-1].message
    assert findings[-1].severity is Severity.ERROR  # the rest hold errors


def test_the_default_cap_applies_per_json_document(registry, tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps(["x"] * (DEFAULT_MAX_FINDINGS + 50)), encoding="utf-8")
    validator = json_validator_for_file(_integers_schema(tmp_path), None)
    result = validate_file(path, Validators(registry, json_override=validator))
    assert len(result.findings) == DEFAULT_MAX_FINDINGS + 1
    assert result.omitted == 50
    assert _omitted(result.findings) == 50
    assert result.outcome.value == "failed"


def test_input_findings_are_capped_too(registry):
    members = ", ".join(f'"k{i % 2}": {i}' for i in range(3001))
    validator = json_validator(registry, registry.resolve("person@1.1.0"))
    findings = validate_json(f"{{{members}}}".encode(), validator, max_findings=10)
    assert [f.rule for f in findings[:10]] == ["json-duplicate-key"] * 10
    assert _omitted(findings) == 2999 - 10


def test_warnings_past_the_cap_leave_the_note_a_warning(tmp_path):
    schema = tmp_path / "object.schema.json"
    schema.write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}',
        encoding="utf-8",
    )
    validator = json_validator_for_file(schema, None)
    members = ", ".join(f'"n{i}": {2**60}' for i in range(30))
    findings = validate_json(f"{{{members}}}".encode(), validator, max_findings=5)
    assert [f.rule for f in findings[:5]] == ["json-integer-precision"] * 5
    assert _omitted(findings) == 25
    assert findings[-1].severity is Severity.WARNING


def test_json_lines_keep_the_cap_per_file_and_count_every_failed_record(
    registry, tmp_path
):
    validator = json_validator_for_file(_integers_schema(tmp_path), None)
    path = tmp_path / "records.jsonl"
    path.write_text("".join('["x", "y"]\n' for _ in range(50)), encoding="utf-8")
    result = validate_file(
        path, Validators(registry, json_override=validator), max_findings=15
    )
    assert (result.records, result.failed_records) == (50, 50)
    assert len(result.findings) == 16
    assert result.omitted == 100 - 15 == _omitted(result.findings)


_LIST_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning"
           vc:minVersion="{version}" targetNamespace="urn:example:list">
  <xs:element name="L">
    <xs:complexType><xs:sequence>
      <xs:element name="n" type="xs:integer" maxOccurs="unbounded"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""


def _numbers_xml(count: int) -> bytes:
    items = "".join(f"<n>x{i}</n>\n" for i in range(count))
    return f'<l:L xmlns:l="urn:example:list">\n{items}</l:L>\n'.encode()


@pytest.mark.parametrize(
    ("version", "builder"),
    [
        ("1.0", xml_validation._from_libxml),  # libxml2
        ("1.1", xml_validation._from_xmlschema),  # xmlschema
    ],
)
def test_an_xml_document_keeps_the_cap_and_counts_the_rest(tmp_path, version, builder):
    xsd = tmp_path / "list.xsd"
    xsd.write_text(_LIST_XSD.format(version=version), encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    assert schema.engine == ("lxml" if version == "1.0" else "xmlschema")
    with calls_of(builder) as built:
        findings = validate_xml(_numbers_xml(3000), schema, max_findings=100)
    assert built == [100]
    assert len(findings) == 101
    assert findings[99].xpath == "/L/n[100]"
    assert _omitted(findings) == 2900


def test_a_streamed_xml_file_keeps_the_cap_and_counts_the_rest(
    registry, tmp_path, monkeypatch
):
    monkeypatch.setattr(xml_validation, "STREAM_THRESHOLD", 100)  # stream it
    xsd = tmp_path / "list.xsd"
    xsd.write_text(_LIST_XSD.format(version="1.0"), encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    path = tmp_path / "list.xml"
    path.write_bytes(_numbers_xml(3000))
    result = validate_file(
        path, Validators(registry, xml_override=schema), max_findings=100
    )
    assert len(result.findings) == 101
    # Local elements are no records of their own: libxml2's stream errors.
    assert (result.findings[0].xpath, result.findings[0].line) == ("/L", 2)
    assert result.omitted == 2900 == _omitted(result.findings)


def test_streamed_records_past_the_cap_are_counted_not_located(
    registry, tmp_path, monkeypatch
):
    monkeypatch.setattr(xml_validation, "STREAM_THRESHOLD", 100)  # stream it
    person_xsd = registry.resolve("person@1.0.0").xml.path
    xsd = tmp_path / "people.xsd"
    template = ROOT / "fixtures" / "drafts" / "people.xsd.template"
    xsd.write_text(
        template.read_text(encoding="utf-8").format(person=person_xsd.as_uri()),
        encoding="utf-8",
    )
    schema = xml_validator_for_file(xsd, registry)
    path = tmp_path / "people.xml"
    person = (
        "<per:Person><fin>bad</fin><givenName>Rashad</givenName>"
        "<familyName>Hasanov</familyName><birthDate>1990-05-21</birthDate>"
        "<sex>male</sex></per:Person>\n"
    )
    path.write_text(
        '<c:People xmlns:c="urn:example:people"'
        ' xmlns:per="urn:az:gov:std:person:1">\n' + person * 300 + "</c:People>\n",
        encoding="utf-8",
    )
    with calls_of(xml_validation._from_libxml) as built:
        result = validate_file(
            path, Validators(registry, xml_override=schema), max_findings=100
        )
    assert built == [100]
    assert len(result.findings) == 101
    assert result.findings[99].xpath == "/People/Person[100]/fin"
    assert result.omitted == 200 == _omitted(result.findings)


def test_the_default_cap_applies_per_xml_document(tmp_path):
    xsd = tmp_path / "list.xsd"
    xsd.write_text(_LIST_XSD.format(version="1.0"), encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    findings = validate_xml(_numbers_xml(DEFAULT_MAX_FINDINGS + 50), schema)
    assert len(findings) == DEFAULT_MAX_FINDINGS + 1
    assert _omitted(findings) == 50
