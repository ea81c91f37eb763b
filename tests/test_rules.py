"""Business rules (ISO Schematron) on both bindings, generation and self-test.

docs/rules.md: one rule set serves XML directly and JSON through the
standard's binding; findings carry the requirement and its level, located by
XPath or JSON Pointer with line and column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.errors import SchemaError
from conformance.model import Outcome, Severity
from conformance.registry.standards import Registry
from conformance.selfcheck.rules_selftest import rules_selftest
from conformance.strategies import fixed_examples
from conformance.strategies.rules import breaking_one_rule, valid_json_with_rules
from conformance.validation.bindings import json_to_xml, xsd_model
from conformance.validation.payloads import Validators, validate_file
from conformance.validation.rules import check_json_rules, json_as_xml, rule_set
from conformance.validation.schematron import compile_schematron

CRE = "civil-registration-event@1.3.0"


def _rule_findings(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_a_rule_broken_in_json_and_in_xml_has_one_requirement_each_at_its_place(
    registry, tmp_path
):
    standard = registry.resolve(CRE)
    document = json.loads(
        (standard.folder / "examples/invalid/death-after-registration.json").read_text(
            encoding="utf-8"
        )
    )
    as_json = tmp_path / "death.json"
    as_json.write_text(json.dumps(document, indent=2), encoding="utf-8")
    as_xml = tmp_path / "death.xml"
    as_xml.write_bytes(
        json_to_xml(document, xsd_model(registry, standard), "CivilRegistrationEvent")
    )
    validators = Validators(registry)
    from_json = validate_file(as_json, validators, standard=standard)
    from_xml = validate_file(as_xml, validators, standard=standard)
    (in_json,) = _rule_findings(from_json, "cre-event-before-registration")
    (in_xml,) = _rule_findings(from_xml, "cre-event-before-registration")
    assert in_json.requirement == in_xml.requirement == "CRE-10"
    assert in_json.standard == in_xml.standard == CRE
    assert (in_json.pointer, in_json.xpath) == ("/dateOfDeath", None)
    assert (in_xml.pointer, in_xml.xpath) == (
        None,
        "/CivilRegistrationEvent/dateOfDeath",
    )
    lines = as_json.read_text(encoding="utf-8").splitlines()
    assert '"dateOfDeath"' in lines[in_json.line - 1]
    assert lines[in_json.line - 1][in_json.column - 1] == '"'
    assert (
        "<dateOfDeath>"
        in as_xml.read_text(encoding="utf-8").splitlines()[in_xml.line - 1]
    )
    # A SHOULD rule warns: the payload passes, with the level in the message.
    assert in_json.severity is in_xml.severity is Severity.WARNING
    assert from_json.outcome is from_xml.outcome is Outcome.WARNING
    assert "[SHOULD CRE-10]" in in_json.message


def test_a_repeated_member_is_located_by_its_index(registry):
    standard = registry.resolve(CRE)
    rules = rule_set(registry, standard)
    document = json.loads(
        (standard.folder / "examples/invalid/spouses-same-person.json").read_text(
            encoding="utf-8"
        )
    )
    root, pointers = json_as_xml(registry, standard, document)
    spouses = root.find("spouses")
    assert pointers[spouses] == "/spouses"
    assert pointers[spouses[1][0]] == "/spouses/1/fin"
    (finding,) = check_json_rules(registry, rules, document)
    assert (finding.rule, finding.pointer) == ("cre-two-distinct-spouses", "/spouses")


def test_a_json_only_standard_is_checked_through_the_plain_mapping(registry):
    standard = registry.resolve("land-parcel@1.2.0")
    path = standard.folder / "examples/invalid/area-larger-than-geometry.json"
    result = validate_file(path, Validators(registry), standard=standard)
    (finding,) = _rule_findings(result, "lp-area-within-geometry")
    assert (finding.pointer, finding.requirement) == ("/properties/area", "LP-10")
    assert finding.line is not None and finding.column is not None


def _standard(root: Path, rules: str, *, level: str = "MUST") -> None:
    folder = root / "visit" / "1.0.0"
    (folder / "examples").mkdir(parents=True)
    (folder / "visit.schema.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": "https://standards.e-gov.az/visit/1.0.0/visit.schema.json",
                "type": "object",
                "required": ["start", "end"],
                "additionalProperties": False,
                "properties": {
                    "start": {"type": "string", "format": "date"},
                    "end": {"type": "string", "format": "date"},
                },
            }
        ),
        encoding="utf-8",
    )
    (folder / "rules.sch").write_text(rules, encoding="utf-8")
    (folder / "examples" / "late.json").write_text(
        '{"start": "2026-02-01", "end": "2026-01-01"}', encoding="utf-8"
    )
    (folder / "standard.toml").write_text(
        f"""id = "visit"
version = "1.0.0"
title = "A visit"
status = "draft"
rules = "rules.sch"

[json]
schema = "visit.schema.json"
requirement = "V-1"

[[requirements]]
id = "V-1"
level = "MUST"
text = "A visit validates against visit.schema.json."

[[requirements]]
id = "V-2"
level = "{level}"
text = "A visit ends on or after its start."
""",
        encoding="utf-8",
    )


_HEAD = """<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"
  xmlns:conf="urn:az:gov:conformance" queryBinding="xpath31">
  <sch:pattern>
    <sch:rule context="/document/end">
"""
_ORDER = """      <sch:assert id="visit-order" conf:requirement="V-2"
        test="xs:date(.) ge xs:date(../start)">ends <sch:value-of select="."/>
        before it starts</sch:assert>
"""
_NEVER = """      <sch:assert id="visit-never" conf:requirement="V-2"
        test="xs:date(.) lt xs:date(.)">cannot hold</sch:assert>
"""
_TAIL = "    </sch:rule>\n  </sch:pattern>\n</sch:schema>\n"


def test_a_must_rule_fails_the_payload_with_its_level(tmp_path):
    _standard(tmp_path, _HEAD + _ORDER + _TAIL)
    registry = Registry.open(tmp_path)
    standard = registry.resolve("visit@1.0.0")
    path = standard.folder / "examples" / "late.json"
    result = validate_file(path, Validators(registry), standard=standard)
    (finding,) = result.findings
    assert (finding.rule, finding.requirement, finding.pointer) == (
        "visit-order",
        "V-2",
        "/end",
    )
    assert finding.severity is Severity.ERROR
    assert result.outcome is Outcome.FAILED
    assert "ends 2026-01-01 before it starts [MUST V-2]" in finding.message


def test_a_rule_no_valid_document_can_satisfy_is_caught_by_the_self_test(tmp_path):
    _standard(tmp_path, _HEAD + _ORDER + _NEVER + _TAIL)
    registry = Registry.open(tmp_path)
    result = rules_selftest(registry, registry.resolve("visit@1.0.0"), documents=10)
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.rule == "rule-unsatisfiable"
    assert "visit-never" in finding.message
    assert finding.requirement == "V-2"


def test_the_shipped_rules_can_be_satisfied(registry):
    result = rules_selftest(registry, registry.resolve("person@1.3.0"), documents=10)
    assert result.outcome is Outcome.PASSED, [f.message for f in result.findings]


def test_valid_generation_keeps_the_rules_and_invalid_generation_breaks_one(
    registry,
):
    standard = registry.resolve(CRE)
    rules = rule_set(registry, standard)
    for document in fixed_examples(valid_json_with_rules(registry, standard), 8, 1):
        assert check_json_rules(registry, rules, document) == []
    broken = fixed_examples(breaking_one_rule(registry, standard), 8, 1)
    assert broken
    for case in broken:
        found = check_json_rules(registry, rules, case.document)
        assert [(f.rule, f.pointer) for f in found] == [(case.rule, case.pointer)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"/>',
            "queryBinding 'xslt' is not supported",
        ),
        (
            _HEAD.replace("xpath31", "xpath2")
            + '<sch:assert id="a" test="true()">x</sch:assert>'
            + _TAIL,
            "needs a test, an id and conf:requirement",
        ),
        (
            _HEAD + _ORDER.replace("xs:date(.) ge", "xs:date(. ge") + _TAIL,
            "is not valid XPath 3.1",
        ),
        (
            _HEAD.replace("<sch:pattern>", '<sch:phase id="p"/><sch:pattern>')
            + _ORDER
            + _TAIL,
            "phases are not supported",
        ),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_file_and_line(
    tmp_path, text, message
):
    path = tmp_path / "rules.sch"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        compile_schematron(path)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_rule_naming_an_unknown_requirement_is_refused(tmp_path):
    _standard(tmp_path, _HEAD + _ORDER.replace('"V-2"', '"V-9"') + _TAIL)
    registry = Registry.open(tmp_path)
    with pytest.raises(SchemaError, match="names the requirement 'V-9'"):
        rule_set(registry, registry.resolve("visit@1.0.0"))


def test_generated_samples_of_a_version_with_rules_know_them(registry):
    from conformance.selfcheck.samples import samples

    standard = registry.resolve(CRE)
    rules = rule_set(registry, standard)
    for sample in samples(registry, standard, count=4):
        assert check_json_rules(registry, rules, sample.document) == []
    invalid = samples(registry, standard, kind="invalid", count=12)
    names = {a.id for a in rules.schematron.assertions}
    broken = [s for s in invalid if s.rule in names]
    assert broken
    for sample in broken:
        found = check_json_rules(registry, rules, sample.document)
        assert [(f.rule, f.pointer) for f in found] == [(sample.rule, sample.location)]
