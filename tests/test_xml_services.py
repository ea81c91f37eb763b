"""XML beyond one XSD, and key-value-pair operations (issue 11, parts 4 and 5).

A user registry (tests/data/registries/ows-like) holds catalogue-record@1.0.0:
two listed XSDs (a record, a capabilities document), an exception report
the record's XSD imports, and an OpenAPI interface whose operations share
one path and are chosen by fixed query parameters (``x-kvp``). The service
of tests/services/kvp_xml.py implements it on a loopback port; each of its
faults is caught by the engine.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from services.kvp_xml import (
    KvpXmlService,
    broken_exception_report,
    exception_report,
)

from conformance.cli.main import main
from conformance.errors import RegistryError, SchemaError
from conformance.model import Outcome, Result
from conformance.probing.interfaces import Interface
from conformance.probing.plan import opened, plan, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.registry.manifest import Agency, parse_manifest
from conformance.registry.standards import Registry
from conformance.selfcheck.registry_checks import interface_problems
from conformance.validation.xml_schemas import compile_xsd_set
from conformance.validation.xml_validation import validate_xml, xml_validator

OWS_LIKE = Path(__file__).parent / "data" / "registries" / "ows-like"
STANDARD = "catalogue-record@1.0.0"
RECORD = "{urn:example:catalogue:record:1}Record"
CAPABILITIES = "{urn:example:catalogue:capabilities:1}Capabilities"
EXCEPTION_REPORT = "{urn:example:exceptions:1}ExceptionReport"
EXCEPTION = "{urn:example:exceptions:1}Exception"
FIXED = {"service": "CSW", "request": "GetRecordById"}
# The checks that judge XML bodies, statuses, media types and the key-value-
# pair requests; none may fail on the conformant service.
XML_AND_KVP_CHECKS = {
    "documented-status",
    "content-type",
    "xml-body",
    "content-negotiation",
    "fuzz-valid",
}


@pytest.fixture(scope="module")
def ows_registry() -> Registry:
    return Registry.open(OWS_LIKE)


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """A private copy of the OWS-like registry that a test may edit."""
    target = tmp_path / "ows-like"
    shutil.copytree(OWS_LIKE, target)
    return target


@pytest.fixture
def service() -> Iterator[type[KvpXmlService]]:
    started: list[KvpXmlService] = []

    class Started(KvpXmlService):
        def __init__(self, faults: tuple[str, ...] = ()) -> None:
            super().__init__(faults)
            self.start()
            started.append(self)

    yield Started
    for one in started:
        one.stop()


def _probe(
    registry: Registry, url: str, checks: set[str] | None = None
) -> list[Result]:
    target = ServiceTarget(
        id="test:catalogue",
        standard=STANDARD,
        base_url=url,
        agency=Agency("test", "Test agency"),
        timeout=5,
        existing={"id": ("REC-0001",)},
        missing={"id": ("REC-9999",)},
    )
    with opened(registry, environ={}) as services:
        return [
            run_planned(services, item)
            for item in plan(registry, [target])
            if checks is None or item.spec.id in checks
        ]


# -- several XSD documents ------------------------------------------------------


def test_the_listed_xsds_and_their_imports_compile_as_one(ows_registry):
    standard = ows_registry.resolve(STANDARD)
    assert standard.xml is not None
    assert [p.name for p in standard.xml.documents] == [
        "record.xsd",
        "capabilities.xsd",
    ]
    schema = xml_validator(ows_registry, standard)
    # Payload roots (ER-XML-4) are the listed documents' own elements; the
    # imported exception report is known, for replies that document it.
    assert schema.global_elements == {RECORD, CAPABILITIES}
    assert schema.all_elements == {RECORD, CAPABILITIES, EXCEPTION_REPORT, EXCEPTION}
    assert schema.document_of(EXCEPTION_REPORT).name == "exception-report.xsd"
    capabilities = (standard.folder / "examples" / "capabilities.xml").read_bytes()
    assert validate_xml(capabilities, schema) == []
    report = exception_report("NotFound", "id", "no such record")
    assert validate_xml(report, schema, roots={RECORD, EXCEPTION_REPORT}) == []
    (unknown,) = validate_xml(report, schema)
    assert unknown.requirement == "ER-XML-4"


@pytest.mark.parametrize("xsd_version", ["1.0", "1.1"])
def test_an_error_inside_an_imported_element_has_its_xpath(ows_registry, xsd_version):
    # The exception declares its prefix on itself, not on the root: libxml2
    # names it "x:Exception", which the root's prefixes cannot resolve.
    # XSD 1.1 (xmlschema) compiles the same listed documents.
    standard = ows_registry.resolve(STANDARD)
    assert standard.xml is not None
    schema = compile_xsd_set(standard.xml.documents, xsd_version, [ows_registry.root])
    assert schema.engine == ("lxml" if xsd_version == "1.0" else "xmlschema")
    assert schema.all_elements >= {RECORD, CAPABILITIES, EXCEPTION_REPORT}
    findings = validate_xml(broken_exception_report(), schema, roots={EXCEPTION_REPORT})
    assert [(f.xpath, f.rule) for f in findings] == [
        ("/ExceptionReport/Exception", "cvc-enumeration-valid")
    ]
    assert findings[0].line == 2
    assert findings[0].schema_location == "exception-report.xsd"


def test_an_error_nested_under_a_record_of_another_namespace_is_located(tmp_path):
    # A record that embeds an element of an imported schema, with that
    # schema's prefix declared where it is used, deep in the document.
    (tmp_path / "exc.xsd").write_text(
        (
            OWS_LIKE / "catalogue-record/1.0.0/exceptions/exception-report.xsd"
        ).read_text()
    )
    (tmp_path / "outer.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        ' xmlns:exc="urn:example:exceptions:1" targetNamespace="urn:test:outer"'
        ' elementFormDefault="qualified">'
        '<xs:import namespace="urn:example:exceptions:1" schemaLocation="exc.xsd"/>'
        '<xs:element name="Outer"><xs:complexType><xs:sequence>'
        '<xs:element name="Part"><xs:complexType><xs:sequence>'
        '<xs:element ref="exc:ExceptionReport"/>'
        "</xs:sequence></xs:complexType></xs:element>"
        "</xs:sequence></xs:complexType></xs:element></xs:schema>"
    )
    schema = compile_xsd_set([tmp_path / "outer.xsd"], "1.0", [tmp_path])
    document = (
        b'<o:Outer xmlns:o="urn:test:outer"><o:Part>'
        b'<e:ExceptionReport xmlns:e="urn:example:exceptions:1" version="1">'
        b'<e:Exception exceptionCode="NotFound"/>'
        b'<e:Exception exceptionCode="Gone"/>'
        b"</e:ExceptionReport></o:Part></o:Outer>"
    )
    (finding,) = validate_xml(document, schema)
    assert finding.xpath == "/Outer/Part/ExceptionReport/Exception[2]"


def test_two_listed_xsds_of_one_namespace_are_refused(tmp_path):
    folder = OWS_LIKE / "catalogue-record/1.0.0"
    shutil.copy(folder / "record.xsd", tmp_path / "record.xsd")
    shutil.copy(folder / "record.xsd", tmp_path / "record-copy.xsd")
    shutil.copytree(folder / "exceptions", tmp_path / "exceptions")
    with pytest.raises(SchemaError, match=r"record-copy\.xsd.*xs:include"):
        compile_xsd_set(
            [tmp_path / "record.xsd", tmp_path / "record-copy.xsd"], "1.0", [tmp_path]
        )


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('schemas = ["record.xsd"]\nschema = "record.xsd"', "one of the two, not both"),
        ("", "one of the two, not both"),
        ('schemas = ["record.xsd", "nowhere.xsd"]', "[xml] schemas 'nowhere.xsd'"),
    ],
)
def test_the_manifest_names_its_xsds_one_way(copied, lines, message):
    manifest = copied / "catalogue-record/1.0.0/standard.toml"
    text = manifest.read_text()
    text = text.replace('schemas = ["record.xsd", "capabilities.xsd"]', lines)
    manifest.write_text(text)
    with pytest.raises(RegistryError) as raised:
        parse_manifest(manifest)
    assert message in str(raised.value)
    assert str(manifest) in str(raised.value)


def test_a_single_schema_still_reads(copied):
    manifest = copied / "catalogue-record/1.0.0/standard.toml"
    text = manifest.read_text().replace(
        'schemas = ["record.xsd", "capabilities.xsd"]', 'schema = "record.xsd"'
    )
    manifest.write_text(text)
    standard = parse_manifest(manifest)
    assert standard.xml is not None
    assert standard.xml.documents == (standard.folder / "record.xsd",)


# -- the interface: x-xsd-element lists, key-value-pair operations ----------


def test_the_interface_reads_key_value_pair_operations(ows_registry):
    interface = Interface(ows_registry, ows_registry.resolve(STANDARD))
    by_id = {op.id: op for op in interface.operations}
    assert set(by_id) == {"getCapabilities", "getRecordById"}
    read = by_id["getRecordById"]
    assert read.path == "/catalogue/csw?service=CSW&request=GetRecordById"
    assert read.template == "/catalogue/csw"
    assert read.kvp == FIXED
    # The fixed parameters are not parameters to fill or fuzz; the key is id.
    assert [p.name for p in read.parameters] == ["id"]
    key = read.key_parameter()
    assert key is not None
    assert (key.name, key.location, key.key_pointer) == ("id", "query", "/id")
    media = read.documented(200)
    assert media is not None
    assert media["application/xml"].xsd_elements == (RECORD, EXCEPTION_REPORT)
    assert by_id["getCapabilities"].path.endswith("request=GetCapabilities")
    assert interface_problems(ows_registry, ows_registry.resolve(STANDARD)) == []


def _edited(copied: Path, old: str, new: str) -> list[str]:
    interface = copied / "catalogue-record/1.0.0/openapi.yaml"
    text = interface.read_text()
    assert old in text
    interface.write_text(text.replace(old, new, 1))
    registry = Registry.open(copied)
    return interface_problems(registry, registry.resolve(STANDARD))


def test_an_x_xsd_element_no_xsd_declares_is_named_with_what_exists(copied):
    problems = _edited(
        copied,
        '- "{urn:example:exceptions:1}ExceptionReport"',
        '- "{urn:example:exceptions:1}Report"',
    )
    assert problems == [
        "catalogue-record/1.0.0/openapi.yaml#/paths/~1csw#GetRecordById/get"
        "/responses/200/content/application~1xml/x-xsd-element:"
        " '{urn:example:exceptions:1}Report' is not a global element of the"
        " version's XSDs (record.xsd, capabilities.xsd) or of a schema they"
        " import; the elements there are:"
        f" {CAPABILITIES}, {RECORD}, {EXCEPTION}, {EXCEPTION_REPORT}"
    ]


def test_a_read_without_a_key_parameter_is_refused(copied):
    problems = _edited(copied, "          x-key: true\n", "")
    assert len(problems) == 1
    assert "getRecordById: a read needs a key parameter" in problems[0]
    assert "x-key: true" in problems[0]


def test_a_hash_path_without_x_kvp_is_refused(copied):
    problems = _edited(
        copied, "      x-kvp: {service: CSW, request: GetCapabilities}\n", ""
    )
    assert len(problems) == 1
    assert "openapi.yaml#/paths/~1csw#GetCapabilities/get:" in problems[0]
    assert "needs x-kvp" in problems[0]


def test_two_operations_with_the_same_fixed_parameters_are_refused(copied):
    problems = _edited(
        copied,
        "x-kvp: {service: CSW, request: GetCapabilities}",
        "x-kvp: {service: CSW, request: GetRecordById}",
    )
    assert any(
        "getRecordById and getCapabilities are both GET /catalogue/csw" in p
        for p in problems
    ), problems


def test_a_malformed_x_kvp_is_a_clear_error(copied):
    problems = _edited(
        copied,
        "x-kvp: {service: CSW, request: GetCapabilities}",
        "x-kvp: [service, request]",
    )
    assert len(problems) == 1
    assert "x-kvp must be a mapping of query parameter names" in problems[0]
    assert "#/paths/~1csw#GetCapabilities/get/x-kvp" in problems[0]


# -- probing the service --------------------------------------------------------


def test_the_conformant_service_passes_the_xml_and_kvp_checks(ows_registry, service):
    running = service()
    results = _probe(ows_registry, running.url)
    outcomes = {r.evidence["check"]: r for r in results}
    for check in XML_AND_KVP_CHECKS:
        assert outcomes[check].outcome is Outcome.PASSED, (
            check,
            outcomes[check].reason,
            [f.message for f in outcomes[check].findings],
        )
    # The body is XML: judged once, by xml-body, not again as the main body.
    body = outcomes["json-body"]
    assert body.outcome is Outcome.NOT_APPLICABLE
    assert "which xml-body judges" in (body.reason or "")
    # The fuzz check of invalid requests sent each request without one fixed
    # parameter first, and the service refused them all.
    invalid = outcomes["fuzz-invalid"]
    assert not any("not a 4xx" in f.message for f in invalid.findings)
    # Every request the suite made carried the fixed parameters, untouched,
    # but for the two fuzz-invalid left one out of on purpose.
    dropped = []
    for target in running.received:
        query = dict(parse_qsl(urlsplit(target).query))
        fixed = {k: query[k] for k in ("service", "request") if k in query}
        if fixed not in (FIXED, {"service": "CSW", "request": "GetCapabilities"}):
            dropped.append(fixed)
    assert sorted(dropped, key=str) == [
        {"request": "GetRecordById"},
        {"service": "CSW"},
    ]


@pytest.mark.parametrize(
    ("fault", "check", "expected"),
    [
        (
            "invalid-exception-report",
            "xml-body",
            "'Unavailable' is not an element of the set",
        ),
        (
            "undocumented-root",
            "xml-body",
            f"the XML root is {CAPABILITIES}; the interface documents"
            f" {RECORD} or {EXCEPTION_REPORT}",
        ),
        (
            "ignore-missing-request",
            "fuzz-invalid",
            "(breaking the fixed parameter request) got 200, not a 4xx: GET",
        ),
    ],
)
def test_each_fault_is_caught(ows_registry, service, fault, check, expected):
    running = service((fault,))
    # The read is the operation the faults are in (fuzzing also runs on the
    # role-less GetCapabilities, which they leave alone).
    (result,) = [
        r
        for r in _probe(ows_registry, running.url, {check})
        if ":getRecordById:" in r.id
    ]
    assert result.outcome is Outcome.FAILED, (result.reason, result.findings)
    assert any(expected in f.message for f in result.findings), [
        f.message for f in result.findings
    ]
    if fault == "invalid-exception-report":
        (finding,) = result.findings
        assert finding.xpath == "/ExceptionReport/Exception"
        assert finding.schema_location == "exception-report.xsd"
    if fault == "ignore-missing-request":
        url = result.findings[0].message.rsplit(" ", 1)[-1]
        assert dict(parse_qsl(urlsplit(url).query)) == {
            "service": "CSW",
            "id": "REC-0001",
        }


def test_a_run_with_the_user_registry(tmp_path, capsys, service):
    running = service()
    profile = tmp_path / "catalogue.toml"
    profile.write_text(
        "[agency]\n"
        'id = "test"\n'
        'name = "Test agency"\n'
        "[[services]]\n"
        'id = "catalogue"\n'
        f'standard = "{STANDARD}"\n'
        f'base_url = "{running.url}"\n'
        "[services.test_data]\n"
        'existing = { id = ["REC-0001"] }\n'
        'missing = { id = ["REC-9999"] }\n'
    )
    reports = tmp_path / "reports"
    main(
        [
            "--registry",
            str(OWS_LIKE),
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(reports),
            "--check",
            "xml-body",
            "--check",
            "documented-status",
        ]
    )
    capsys.readouterr()
    document = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    outcomes = {
        (r["evidence"]["check"], r["evidence"]["operation"]): r["outcome"]
        for r in document["results"]
    }
    operation = "GET /catalogue/csw?service=CSW&request=GetRecordById"
    assert outcomes == {
        ("xml-body", operation): "passed",
        ("documented-status", operation): "passed",
    }


def test_a_payload_of_the_second_listed_xsd_finds_its_standard(capsys):
    # The standard is picked by the root's namespace: that of any listed XSD.
    examples = OWS_LIKE / "catalogue-record/1.0.0/examples"
    code = main(
        ["--registry", str(OWS_LIKE), "validate", str(examples / "capabilities.xml")]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "1 passed" in out
