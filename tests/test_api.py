"""The Python API and the pytest fixture that agencies' own tests use.

``conformance.validate(payload, "person@1.1.0")`` on real payloads of every
kind it takes, and the ``conformance`` fixture in a real pytest session
(pytester) against the bundled registry and a registry of the test's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_helpers import PERSON

import conformance
from conformance.api import Validator
from conformance.errors import UsageError
from conformance.registry.locations import bundled

EXAMPLES = bundled("standards") / "person" / "1.1.0" / "examples"


def test_a_conforming_record_has_no_findings():
    assert conformance.validate(PERSON, "person@1.1.0") == []
    assert conformance.validate(json.dumps(PERSON), "person@1") == []


def test_a_broken_record_gets_the_findings_the_command_shows():
    findings = conformance.validate(dict(PERSON, fin="5ZK3T2AB"), "person@1.1.0")
    assert [(f.pointer, f.requirement, f.rule) for f in findings] == [
        ("/fin", "PER-3", "pattern")
    ]
    assert findings[0].standard == "person@1.1.0"


def test_documents_as_text_bytes_and_files(tmp_path):
    xml = (EXAMPLES / "valid" / "full-record.xml").read_bytes()
    assert conformance.validate(xml, "person@1.1.0") == []
    broken_xml = (EXAMPLES / "invalid" / "marital-status-code.xml").read_bytes()
    (finding,) = conformance.validate(broken_xml.decode("utf-8"), "person@1.1.0")
    assert finding.xpath == "/Person/maritalStatus" and finding.line == 8
    path = tmp_path / "p.json"
    path.write_text(json.dumps(dict(PERSON, fin="5ZK3T2AB")), encoding="utf-8")
    (finding,) = conformance.validate(path, "person@1.1.0")
    assert finding.requirement == "PER-3"


def test_broken_input_is_a_finding_not_an_exception():
    text = '{"fin": "5ZK3T2A", "fin": "5ZK3T2A"}'
    findings = conformance.validate(text, "person@1.1.0")
    assert any(f.rule == "json-duplicate-key" for f in findings)
    nan = conformance.validate(dict(PERSON, extra=float("nan")), "person@1.1.0")
    assert any("NaN" in f.message for f in nan)


def test_a_wrong_standard_or_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="persn"):
        conformance.validate(PERSON, "persn@1.1.0")
    with pytest.raises(UsageError, match="cannot read"):
        conformance.validate(tmp_path / "missing.json", "person@1.1.0")


THIRD_PARTY = Path(__file__).parent / "data" / "registries" / "third-party"
PARCEL = {
    "id": "P-00001",
    "cadastralNumber": "11:204:0001",
    "areaSqm": 1250.5,
    "region": "Abşeron",
}


def test_a_registry_of_ones_own_sits_beside_the_bundled_one():
    assert conformance.validate(PARCEL, "parcel-api@2.1.0", registry=THIRD_PARTY) == []
    # The bundled standards are still there beside the user's.
    assert conformance.validate(PERSON, "person@1.1.0", registry=THIRD_PARTY) == []
    with pytest.raises(UsageError, match="no-such-standard"):
        conformance.validate(PERSON, "no-such-standard@1", registry=THIRD_PARTY)
    validator = Validator(THIRD_PARTY)
    assert validator.registry.root == THIRD_PARTY.resolve()
    assert validator.conforms(PARCEL, "parcel-api@2.1.0")
    assert not validator.conforms(dict(PARCEL, id="P-1"), "parcel-api@2.1.0")


def test_the_fixture_gives_a_test_the_registry_and_a_validator(pytester):
    pytester.makepyfile(
        test_agency=f"""
        PERSON = {PERSON!r}

        def test_the_registry(conformance):
            assert conformance.registry.resolve("person@1").ref == "person@1.2.0"

        def test_a_valid_record(conformance):
            assert conformance.validate(PERSON, "person@1.1.0") == []
            conformance.assert_conforms(PERSON, "person@1.1.0")

        def test_a_broken_record(conformance):
            conformance.assert_conforms(dict(PERSON, fin="5ZK3T2AB"), "person@1.1.0")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the payload does not conform to person@1.1.0:*",
            "*error: line 1, column 9, /fin: *",
            "*requirement PER-3 (MUST)*",
        ]
    )


def test_the_fixture_uses_the_sessions_registry(pytester):
    pytester.makepyfile(
        test_own="""
        def test_ours_beside_the_bundled(conformance):
            assert "parcel-api" in conformance.registry.ids()
            assert "person" in conformance.registry.ids()
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--registry", str(THIRD_PARTY)
    )
    result.assert_outcomes(passed=1)
