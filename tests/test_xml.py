"""XML validation: located findings, namespace detection, XSD 1.1, large files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import SchemaError
from conformance.inputs.excerpts import quoted
from conformance.inputs.xml_input import prolog_finding
from conformance.validation.payloads import Validators, validate_file
from conformance.validation.xml_validation import (
    STREAM_THRESHOLD,
    validate_xml,
    xml_validator,
    xml_validator_for_file,
)
from conftest import ROOT

PERSON = """<per:Person xmlns:per="urn:az:gov:std:person:1"{attrs}>
  <fin>{fin}</fin>
  <givenName>Rəşad</givenName>
  <familyName>Həsənov</familyName>
  <birthDate>{birth}</birthDate>
  <sex>male</sex>
</per:Person>
"""


def person(fin="5ZK3T2A", birth="1990-05-21", attrs=""):
    return PERSON.format(fin=fin, birth=birth, attrs=attrs).encode()


def test_a_valid_document_has_no_findings(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    assert validate_xml(person(), schema) == []


def test_findings_name_line_xpath_rule_and_requirement(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    (finding,) = validate_xml(person(birth="1990-02-30"), schema)
    assert finding.line == 5
    assert finding.xpath == "/Person/birthDate"
    assert finding.rule == "cvc-datatype-valid.1.2.1"
    assert finding.requirement == "PER-2"
    assert finding.standard == "person@1.0.0"
    assert "1990-02-30" in finding.message
    assert "{urn:" not in finding.message  # namespaces are noise to a reader


def test_the_date_pattern_keeps_xml_dates_equal_to_json_dates(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    rules = {f.rule for f in validate_xml(person(birth="1990-05-21Z"), schema)}
    assert rules == {"cvc-pattern-valid"}


def test_the_standard_is_found_from_the_root_namespace(registry, tmp_path):
    plain = tmp_path / "plain.xml"
    plain.write_bytes(person())
    result = validate_file(plain, Validators(registry))
    assert (result.standard, result.outcome.value) == ("person@1.2.0", "passed")
    pinned = tmp_path / "pinned.xml"
    pinned.write_bytes(person(attrs=' version="1.0.0"'))
    assert validate_file(pinned, Validators(registry)).standard == "person@1.0.0"


def test_an_unknown_namespace_is_an_error_that_says_what_to_do(registry, tmp_path):
    path = tmp_path / "other.xml"
    path.write_bytes(b'<Other xmlns="urn:somewhere"/>')
    result = validate_file(path, Validators(registry))
    assert result.outcome.value == "error"
    assert "urn:somewhere" in result.error
    assert "--standard" in result.error


def _declaring(encoding: str, body: bytes | None = None) -> bytes:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode()
    return declaration + (person() if body is None else body)


@pytest.mark.parametrize(
    ("encoding", "says"),
    [
        ("x-nonsense", "not an encoding the XML reader knows"),
        ("rot13", "not a character encoding"),  # a Python codec, bytes to bytes
        ("utf-32", "are not utf-32 text"),  # a known one the bytes are not in
    ],
)
def test_an_unreadable_declared_encoding_is_a_finding_naming_it(
    registry, tmp_path, encoding, says
):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    (finding,) = validate_xml(_declaring(encoding), schema)
    assert (finding.rule, finding.requirement) == ("xml-encoding", "ER-XML-1")
    assert quoted(encoding) in finding.message
    assert says in finding.message
    # Found by content (no standard given), and streamed, alike.
    path = tmp_path / "doc.xml"
    path.write_bytes(_declaring(encoding))
    result = validate_file(path, Validators(registry))
    assert (result.error, [f.rule for f in result.findings]) == (None, ["xml-encoding"])
    assert prolog_finding(path) == finding


def test_an_encoding_libxml2_lacks_is_an_encoding_finding_too(registry):
    # Python's expat reads cp037 (a single-byte code page); libxml2 does not.
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    (finding,) = validate_xml(_declaring("cp037"), schema)
    assert finding.rule == "xml-encoding"
    assert '"cp037"' in finding.message


def test_a_multibyte_encoding_expat_lacks_is_read_and_its_dtd_refused(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    text = PERSON.format(fin="5ZK3T2A", birth="1990-05-21", attrs="")
    text = text.replace("Rəşad", "Rashad").replace("Həsənov", "Hasanov")
    plain = _declaring("shift_jis", f"<!-- 日本語 -->\n{text}".encode("shift_jis"))
    assert validate_xml(plain, schema) == []
    hostile = plain.replace(b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY e "e">]>\n', 1)
    assert [f.rule for f in validate_xml(hostile, schema)] == ["xml-dtd"]


def test_an_xsd_in_an_unknown_encoding_is_a_schema_error(tmp_path):
    xsd = tmp_path / "odd.xsd"
    xsd.write_bytes(
        b'<?xml version="1.0" encoding="x-nonsense"?>\n'
        b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        b'<xs:element name="A" type="xs:string"/></xs:schema>'
    )
    with pytest.raises(SchemaError, match="x-nonsense"):
        xml_validator_for_file(xsd, None)


def test_a_root_element_the_standard_does_not_declare_is_a_finding(registry):
    schema = xml_validator(registry, registry.resolve("person@1.0.0"))
    (finding,) = validate_xml(
        b'<per:Human xmlns:per="urn:az:gov:std:person:1"/>', schema
    )
    assert finding.rule == "xml-unknown-root"
    assert "expected one of: Person" in finding.message


XSD11 = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning"
           vc:minVersion="1.1" targetNamespace="urn:example:period"
           elementFormDefault="unqualified">
  <xs:element name="Period">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="from" type="xs:date"/>
        <xs:element name="to" type="xs:date"/>
      </xs:sequence>
      <xs:assert test="to ge from"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def test_xsd_11_assertions_are_checked(tmp_path):
    xsd = tmp_path / "period.xsd"
    xsd.write_text(XSD11, encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    assert schema.engine == "xmlschema"
    good = b'<p:Period xmlns:p="urn:example:period"><from>2026-01-01</from><to>2026-02-01</to></p:Period>'
    bad = good.replace(b"2026-02-01", b"2025-12-31")
    assert validate_xml(good, schema) == []
    (finding,) = validate_xml(bad, schema)
    assert finding.rule == "cvc-assertion"
    assert finding.xpath == "/Period"
    assert finding.line == 1


def test_a_broken_xsd_is_a_schema_error(tmp_path):
    xsd = tmp_path / "broken.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="A" type="NoSuchType"/></xs:schema>',
        encoding="utf-8",
    )
    with pytest.raises(SchemaError, match="cannot be compiled"):
        xml_validator_for_file(xsd, None)


def _big_collection(path: Path, records: int, bad: dict[int, str]) -> None:
    """A person collection wrapped in a root the test XSD declares."""
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            b'<c:People xmlns:c="urn:example:people" xmlns:per="urn:az:gov:std:person:1">\n'
        )
        for index in range(records):
            fin = bad.get(index, "5ZK3T2A")
            out.write(
                b"<per:Person><fin>"
                + fin.encode()
                + b"</fin><givenName>R\xc9\x99\xc5\x9fad</givenName>"
                b"<familyName>H\xc9\x99s\xc9\x99nov</familyName><birthDate>1990-05-21</birthDate>"
                b"<sex>male</sex></per:Person>\n"
            )
        out.write(b"</c:People>\n")


PEOPLE_XSD = (ROOT / "fixtures" / "drafts" / "people.xsd.template").read_text(
    encoding="utf-8"
)


@pytest.mark.slow
def test_a_large_file_is_streamed_with_every_failure_located(registry, tmp_path):
    person_xsd = registry.resolve("person@1.0.0").xml.path
    standards = tmp_path / "draft"
    standards.mkdir()
    # The draft imports the registry's person XSD by a path inside the registry.
    xsd = standards / "people.xsd"
    xsd.write_text(PEOPLE_XSD.format(person=person_xsd.as_uri()), encoding="utf-8")
    schema = xml_validator_for_file(xsd, registry)
    records = STREAM_THRESHOLD // 150 + 1000
    bad = {7: "5zk3t2a", records - 3: "TOO-LONG-FIN"}
    big = tmp_path / "people.xml"
    _big_collection(big, records, bad)
    assert big.stat().st_size > STREAM_THRESHOLD
    result = validate_file(big, Validators(registry, xml_override=schema))
    located = sorted(((f.line or 0), f.xpath, f.rule) for f in result.findings)
    assert located == [
        (3 + 7, "/People/Person[8]/fin", "cvc-pattern-valid"),
        (3 + records - 3, f"/People/Person[{records - 2}]/fin", "cvc-pattern-valid"),
    ]


def test_streaming_reports_errors_of_the_root_content_model(
    registry, tmp_path, monkeypatch
):
    import conformance.validation.xml_validation as xv

    monkeypatch.setattr(xv, "STREAM_THRESHOLD", 100)  # stream even a small file
    person_xsd = registry.resolve("person@1.0.0").xml.path
    xsd = tmp_path / "people.xsd"
    xsd.write_text(PEOPLE_XSD.format(person=person_xsd.as_uri()), encoding="utf-8")
    schema = xml_validator_for_file(xsd, registry)
    path = tmp_path / "people.xml"
    _big_collection(path, 3, {1: "bad"})
    text = path.read_text(encoding="utf-8").replace(
        "</c:People>", "<stray/></c:People>"
    )
    path.write_text(text, encoding="utf-8")
    findings = validate_file(path, Validators(registry, xml_override=schema)).findings
    rules = sorted((f.rule, f.xpath) for f in findings)
    assert ("cvc-pattern-valid", "/People/Person[2]/fin") in rules
    assert ("cvc-complex-type.2.4", "/People") in rules
    stray = next(f for f in findings if f.rule == "cvc-complex-type.2.4")
    assert "stray" in stray.message
    assert stray.line == 6


def test_a_year_too_large_for_xmlschema_is_a_finding_not_a_crash(registry, tmp_path):
    # elementpath raises OverflowError on such a date instead of reporting it.
    example = (
        ROOT / "standards/legal-entity/1.2.0/examples/valid/azersu-joint-stock.xml"
    )
    text = example.read_text("utf-8")
    start = text.index("<registrationDate>") + len("<registrationDate>")
    huge = text[:start] + "2" * 1000 + text[start + 4 :]
    schema = xml_validator(registry, registry.resolve("legal-entity@1.2.0"))
    assert schema.engine == "xmlschema"
    (finding,) = validate_xml(huge.encode(), schema)
    assert finding.rule == "cvc-datatype-valid"
    assert finding.xpath == "/LegalEntity/registrationDate"
    assert finding.line == huge[:start].count("\n") + 1
    assert "year too large" in finding.message
    path = tmp_path / "huge.xml"
    path.write_text(huge, encoding="utf-8")
    result = validate_file(path, Validators(registry))
    assert result.outcome.value == "failed" and result.error is None


NUMBERS_XSD11 = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:vc="http://www.w3.org/2007/XMLSchema-versioning"
           vc:minVersion="1.1" targetNamespace="urn:example:numbers">
  <xs:element name="N">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="count" type="xs:nonNegativeInteger"/>
        <xs:element name="amount" type="xs:decimal"/>
        <xs:element name="ratio" type="xs:double"/>
        <xs:element name="flag" type="xs:boolean"/>
        <xs:element name="name" type="xs:string"/>
      </xs:sequence>
      <xs:attribute name="scale" type="xs:int"/>
      <xs:attribute name="exact" type="xs:boolean"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def _numbers(
    count="3", amount="2.50", ratio="1E3", flag="true", name=" a\u00a0b ", *, attrs=""
):
    return (
        f'<n:N xmlns:n="urn:example:numbers"{attrs}><count>{count}</count>'
        f"<amount>{amount}</amount><ratio>{ratio}</ratio><flag>{flag}</flag>"
        f"<name>{name}</name></n:N>"
    ).encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "2 500"),
        ("count", "\u0661\u0662"),
        ("amount", "\u00a02.5"),
        ("count", "3\u2028"),
        ("ratio", "\u20031E3"),
        ("flag", "true\u00a0"),
    ],
)
def test_xsd_11_numbers_and_booleans_take_only_xml_white_space(tmp_path, field, value):
    # xmlschema takes these (any Unicode white space, spaces inside a
    # decimal); XSD and libxml2 do not.
    xsd = tmp_path / "numbers.xsd"
    xsd.write_text(NUMBERS_XSD11, encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    assert schema.engine == "xmlschema"
    assert validate_xml(_numbers(count=" 3\t", amount="\n-2.5 "), schema) == []
    (finding,) = validate_xml(_numbers(**{field: value}), schema)
    assert finding.rule == "cvc-datatype-valid.1.2.1"
    assert finding.xpath == f"/N/{field}"
    assert f"{quoted(value.strip(' '))} is not a valid xs:" in finding.message


@pytest.mark.parametrize(
    "attrs",
    [
        ' scale="12\u2028"',
        ' scale="\u00a02"',
        ' scale="\u0661\u0662"',
        ' exact="\u3000true"',
    ],
)
def test_xsd_11_numeric_attributes_take_only_ascii_digits_and_xml_space(
    tmp_path, attrs
):
    xsd = tmp_path / "numbers.xsd"
    xsd.write_text(NUMBERS_XSD11, encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    assert validate_xml(_numbers(attrs=' scale=" -12 " exact="false"'), schema) == []
    (finding,) = validate_xml(_numbers(attrs=attrs), schema)
    assert finding.rule == "cvc-datatype-valid.1.2.1"
    assert finding.xpath == "/N"
    name = attrs.split("=")[0].strip()
    assert f"attribute {name} " in finding.message
    assert "is not a valid xs:" in finding.message


def test_xsd_11_value_xmlschema_refuses_is_reported_once(tmp_path):
    xsd = tmp_path / "numbers.xsd"
    xsd.write_text(NUMBERS_XSD11, encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    assert len(validate_xml(_numbers(attrs=' scale="abc"'), schema)) == 1
    assert len(validate_xml(_numbers(amount="abc"), schema)) == 1


def test_a_streamed_xsd_11_file_is_read_and_its_syntax_errors_are_findings(
    registry, tmp_path, monkeypatch
):
    import conformance.validation.xml_validation as xv

    monkeypatch.setattr(xv, "STREAM_THRESHOLD", 100)  # stream even a small file
    xsd = tmp_path / "numbers.xsd"
    xsd.write_text(NUMBERS_XSD11, encoding="utf-8")
    validators = Validators(registry, xml_override=xml_validator_for_file(xsd, None))
    path = tmp_path / "numbers.xml"
    path.write_bytes(_numbers())
    assert validate_file(path, validators).findings == ()
    path.write_bytes(_numbers(count="x"))
    (invalid,) = validate_file(path, validators).findings
    # A streamed element has no parent to name it by: xmlschema's own path.
    assert (invalid.rule, invalid.xpath) == ("cvc-datatype-valid.1.2.1", "/n:N/count")
    path.write_bytes(_numbers().replace(b"</count>", b"</counted>"))
    result = validate_file(path, validators)
    assert result.error is None
    (broken,) = result.findings
    assert (broken.rule, broken.line) == ("xml-syntax", 1)
    assert "mismatched tag" in broken.message
