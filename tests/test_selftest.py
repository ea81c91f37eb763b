"""Standards self-tests: sound generators, agreeing bindings, compatible minors.

They hold for every shipped standard, and each kind of breakage is caught on
the deliberately broken registries in fixtures/registries.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.model import Outcome, Severity
from conformance.registry.locations import bundled
from conformance.registry.manifest import Status
from conformance.registry.standards import Registry
from conformance.selfcheck.selftest import bindings, compatibility, selftests, soundness

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "fixtures" / "registries"
_BUNDLED = Registry.open(bundled("standards"))
# Differences the shipped standards state themselves: a requirement only one
# binding can check (their XSD comments and requirement texts say which).
STATED_DIFFERENCES = {
    "civil-registration-event": "CRE-4",
    "legal-entity": "LE-8",
    "service-notification": "SN-6",
}


@pytest.mark.parametrize("check", selftests(_BUNDLED), ids=lambda c: c.id)
def test_every_shipped_standard_passes_its_self_tests(check):
    result = check.run()
    assert result.outcome in (Outcome.PASSED, Outcome.WARNING), [
        f.message for f in result.findings
    ]
    for finding in result.findings:
        assert finding.severity is Severity.WARNING
        assert finding.rule in (
            "binding-specific",
            "major-break",
            "known-divergence",
        ), finding.message


@pytest.mark.parametrize("standard_id", sorted(STATED_DIFFERENCES))
def test_a_requirement_one_binding_states_is_noted_with_an_example(standard_id):
    standard = _BUNDLED.versions(standard_id)[-1]
    result = bindings(_BUNDLED, standard)
    assert result.outcome is Outcome.WARNING
    requirement = STATED_DIFFERENCES[standard_id]
    (finding,) = [
        f
        for f in result.findings
        if f.message.startswith(f"{requirement} is stated by the ")
    ]
    assert "the document: " in finding.message


_NEWEST = {
    standard.id: standard
    for standard in _BUNDLED
    if standard.json is not None and standard.xml is not None
}


@pytest.mark.parametrize("ref", sorted(s.ref for s in _NEWEST.values()))
def test_the_newest_version_of_every_standard_needs_no_errata(ref):
    # Released versions keep the differences their errata record; the newest
    # version of each standard (a draft major for the four that have errata)
    # takes the same values in both bindings, edge values included.
    standard = _BUNDLED.resolve(ref)
    result = bindings(_BUNDLED, standard)
    assert result.outcome in (Outcome.PASSED, Outcome.WARNING)
    assert {f.rule for f in result.findings} <= {"binding-specific"}, [
        f.message for f in result.findings
    ]


def test_each_standard_with_errata_has_a_draft_that_fixes_them():
    from conformance.selfcheck.errata import divergences

    with_errata = {
        s.id for s in _BUNDLED if s.xml is not None and divergences(_BUNDLED, s)
    }
    assert with_errata == {
        "person",
        "civil-registration-event",
        "legal-entity",
        "service-notification",
    }
    for standard_id in with_errata:
        newest = _NEWEST[standard_id]
        assert newest.status is Status.DRAFT, newest.ref
        assert not divergences(_BUNDLED, newest)


def test_bindings_without_a_stated_difference_agree_silently():
    for ref in ("address@1.0.0", "address@1.1.0"):
        result = bindings(_BUNDLED, _BUNDLED.resolve(ref))
        assert result.outcome is Outcome.PASSED, [f.message for f in result.findings]


def test_a_major_version_shows_which_earlier_documents_it_rejects():
    result = compatibility(_BUNDLED, _BUNDLED.resolve("person@2.0.0"))
    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert finding.rule == "major-break"
    assert "documents valid under person@1.2.0 are rejected" in finding.message
    assert '"fin"' in finding.message  # the example document itself
    assert result.evidence["breaking"]["rejected"] > 0


def test_a_major_that_only_tightens_values_shows_them_with_edge_values():
    # person 3.0.0 refuses year 0000 (JSON) and long local parts (XML): none
    # of 2.0.0's generated documents holds one, their edge values do. The
    # 2.0.0 XML documents are moved into the person:3 namespace first.
    result = compatibility(_BUNDLED, _BUNDLED.resolve("person@3.0.0"))
    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert finding.rule == "major-break"
    assert finding.message.startswith(
        "person@3.0.0 is a major version: 3 edge values of documents valid"
        " under person@2.0.0 are rejected, e.g. "
    )
    for part in (
        "/birthDate with year 0000 ('0000-01-01') (JSON): /birthDate:",
        "/deathDate with year 0000 ('0000-01-01') (JSON)",
        "/Person/email with 64 more of its first character (XML): line ",
    ):
        assert part in finding.message
    assert result.evidence["breaking"] == {
        "from": "person@2.0.0",
        "tried": 40,
        "rejected": 0,
        "edges_rejected": 3,
    }


def test_generated_documents_are_counted_as_accepted():
    result = soundness(_BUNDLED, _BUNDLED.resolve("land-parcel@1.1.0"))
    assert result.outcome is Outcome.PASSED
    made = result.evidence["json"]
    assert made["accepted"] * 2 >= made["generated"] > 0


def test_bindings_that_disagree_are_caught():
    registry = Registry.open(FIXTURES / "inconsistent-bindings")
    result = bindings(registry, registry.resolve("greeting@1.0.0"))
    assert result.outcome is Outcome.FAILED
    assert {f.rule for f in result.findings} == {"binding-consistency"}
    first, edge = result.findings
    assert "rejected by the XSD" in first.message
    assert "maxLength" in first.message
    # the edge values find it too, and say what to do
    assert edge.message.startswith("/name with 64 more of its first character")
    assert "record the difference in greeting/errata.toml" in edge.message


def test_a_minor_that_refuses_an_edge_value_is_caught(tmp_path):
    # 1.1.0 refuses a line separator in the name: a random document never
    # holds one, an edge value of 1.0.0's documents does.
    root = tmp_path / "registry"
    shutil.copytree(FIXTURES / "breaking-minor", root)
    schema = root / "greeting" / "1.1.0" / "greeting.schema.json"
    document = json.loads(schema.read_text(encoding="utf-8"))
    document["required"] = ["name"]
    document["properties"]["name"]["pattern"] = "^[^\u2028]+$"
    schema.write_text(json.dumps(document), encoding="utf-8")
    registry = Registry.open(root)
    result = compatibility(registry, registry.resolve("greeting@1.1.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.rule == "minor-compatibility"
    assert finding.message.startswith(
        "/name with a line separator inside, valid under greeting@1.0.0 (JSON),"
        " is rejected by greeting@1.1.0"
    )


def test_a_digit_class_that_means_two_things_is_caught(tmp_path):
    # Both bindings write the code as \d{4}: XSD's \d takes any script's
    # digits, ECMA-262's only ASCII ones. Random documents hold ASCII digits.
    root = tmp_path / "registry"
    shutil.copytree(FIXTURES / "inconsistent-bindings", root)
    folder = root / "greeting" / "1.0.0"
    schema = json.loads((folder / "greeting.schema.json").read_text(encoding="utf-8"))
    schema["properties"]["code"] = {"type": "string", "pattern": "^\\d{4}$"}
    (folder / "greeting.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    xsd = (folder / "greeting.xsd").read_text(encoding="utf-8")
    xsd = xsd.replace('<xs:maxLength value="10"/>', '<xs:maxLength value="100"/>')
    xsd = xsd.replace(
        "</xs:sequence>",
        '<xs:element name="code" minOccurs="0"><xs:simpleType>'
        '<xs:restriction base="xs:string"><xs:pattern value="\\d{4}"/>'
        "</xs:restriction></xs:simpleType></xs:element></xs:sequence>",
    )
    (folder / "greeting.xsd").write_text(xsd, encoding="utf-8")
    registry = Registry.open(root)
    result = bindings(registry, registry.resolve("greeting@1.0.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.rule == "binding-consistency"
    assert finding.message.startswith(
        "/Greeting/code with an Arabic-Indic digit last is accepted by the XML"
    ), finding.message


def _registry_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "standards"
    shutil.copytree(bundled("standards"), copy)
    return copy


def test_edge_values_find_what_the_errata_record(tmp_path):
    root = _registry_copy(tmp_path)
    (root / "legal-entity" / "errata.toml").unlink()
    registry = Registry.open(root)
    result = bindings(registry, registry.resolve("legal-entity@1.2.0"))
    assert result.outcome is Outcome.FAILED
    failed = [f.message for f in result.findings if f.rule == "binding-consistency"]
    for expected in (
        "/LegalEntity/name with a line separator inside is accepted by the XML",
        "/LegalEntity/name with a byte order mark first is accepted by the XML",
        "/LegalEntity/contacts/website with a broken percent escape ('https://a%zz')"
        " is accepted by the XML",
        "/LegalEntity/contacts/email with 64 more of its first character",
    ):
        assert any(m.startswith(expected) for m in failed), (expected, failed)


def test_a_recorded_divergence_is_noted_with_its_reason():
    result = bindings(_BUNDLED, _BUNDLED.resolve("legal-entity@1.2.0"))
    notes = [f.message for f in result.findings if f.rule == "known-divergence"]
    (website,) = [
        m
        for m in notes
        if m.startswith("known divergence at /contacts/")
        and "website" in m.split(",")[0]
    ]
    assert "recorded in legal-entity/errata.toml: xs:anyURI takes" in website
    assert "For example, /LegalEntity/contacts/website with " in website


def test_an_erratum_the_self_test_no_longer_observes_fails(tmp_path):
    root = _registry_copy(tmp_path)
    errata = root / "address" / "errata.toml"
    errata.write_text(
        '[[divergences]]\nversions = ["1.1.0"]\naccepted_by = "xml"\n'
        'locations = ["/locality"]\nreason = "None, in truth."\n',
        encoding="utf-8",
    )
    registry = Registry.open(root)
    result = bindings(registry, registry.resolve("address@1.1.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.rule == "errata"
    assert "address/errata.toml records that the XML binding of address@1.1.0" in (
        finding.message
    )
    assert "no longer observes it" in finding.message
    assert bindings(registry, registry.resolve("address@1.0.0")).outcome is (
        Outcome.PASSED
    )


def test_an_erratum_covers_only_the_edge_values_it_names(tmp_path):
    # The leap-second erratum of /registeredAt must not hide a different
    # difference at the same member: an offset past XSD's 14 hours.
    root = _registry_copy(tmp_path)
    errata = root / "civil-registration-event" / "errata.toml"
    text = errata.read_text(encoding="utf-8")
    offset = text.index("[[divergences]]", text.index('edges = ["year 0000"]'))
    errata.write_text(text[:offset], encoding="utf-8")
    registry = Registry.open(root)
    result = bindings(registry, registry.resolve("civil-registration-event@1.2.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = [f for f in result.findings if f.rule == "binding-consistency"]
    assert finding.message.startswith(
        "/registeredAt with an offset of 15 hours ('2024-01-01T00:00:00+15:00')"
        " is accepted by the JSON binding and is rejected by the XSD"
    ), finding.message


def test_a_generated_document_is_covered_by_any_erratum_of_its_place():
    # A random document that shows a recorded place's difference cannot be
    # told apart by value (https://#]dGt for a bracket in the fragment):
    # any entry for the place covers it; edge values only by name.
    from conformance.selfcheck.errata import Divergence

    entry = Divergence(
        versions=("1.0.0",),
        accepted_by="xml",
        locations=("/actionUri",),
        reason="r",
        edges=("a bracket in the fragment",),
    )
    assert entry.covers(None)
    assert entry.covers("a bracket in the fragment")
    assert not entry.covers("a broken percent escape")
    assert Divergence(("1.0.0",), "xml", ("/a",), "r").covers("a space")


def test_an_edge_value_an_erratum_names_and_no_longer_sees_fails(tmp_path):
    root = _registry_copy(tmp_path)
    errata = root / "person" / "errata.toml"
    errata.write_text(
        errata.read_text(encoding="utf-8").replace(
            'edges = ["64 more of its first character"]',
            'edges = ["64 more of its first character", "a line separator inside"]',
        ),
        encoding="utf-8",
    )
    registry = Registry.open(root)
    result = bindings(registry, registry.resolve("person@1.2.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = [f for f in result.findings if f.rule == "errata"]
    assert (
        "person/errata.toml records that the XML binding of person@1.2.0 accepts"
        " values at /email the other refuses (a line separator inside), but the"
        " self-test no longer observes it"
    ) in finding.message


def test_errata_that_do_not_follow_the_format_are_named(tmp_path):
    root = _registry_copy(tmp_path)
    (root / "address" / "errata.toml").write_text(
        '[[divergences]]\nversions = ["1.1.0"]\naccepted_by = "xml"\n'
        'location = "/locality"\nreason = "r"\n',
        encoding="utf-8",
    )
    registry = Registry.open(root)
    (check,) = [c for c in selftests(registry) if c.id == "address@1.1.0::bindings"]
    result = check.run()
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert "address/errata.toml: the errata do not follow the format" in (
        finding.message
    )
    assert "unknown key 'location' (did you mean 'locations'?)" in finding.message


def test_a_minor_version_that_breaks_documents_is_caught():
    registry = Registry.open(FIXTURES / "breaking-minor")
    result = compatibility(registry, registry.resolve("greeting@1.1.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert finding.rule == "minor-compatibility"
    assert "valid under greeting@1.0.0 is rejected by greeting@1.1.0" in finding.message
    assert '"count" is a required property' in finding.message


def test_a_generator_that_makes_nothing_valid_fails_soundness(tmp_path):
    # A schema no document satisfies: nothing generated can be accepted.
    shutil.copytree(FIXTURES / "inconsistent-bindings", tmp_path / "r")
    schema = tmp_path / "r" / "greeting" / "1.0.0" / "greeting.schema.json"
    data = json.loads(schema.read_text(encoding="utf-8"))
    data["properties"]["name"]["pattern"] = "^[A-Za-z]+$"
    data["properties"]["name"]["not"] = {"pattern": "^[A-Za-z]"}
    schema.write_text(json.dumps(data), encoding="utf-8")
    registry = Registry.open(tmp_path / "r")
    result = soundness(registry, registry.resolve("greeting@1.0.0"))
    assert result.outcome is Outcome.FAILED
    assert "made nothing the schema accepts" in result.findings[0].message


def _conformance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_the_command_fails_on_a_breaking_minor_and_says_why():
    done = _conformance(
        "--registry", str(FIXTURES / "breaking-minor"), "standards", "selftest"
    )
    assert done.returncode == 1, done.stderr
    assert "FAIL  greeting@1.1.0: earlier documents of the same major" in done.stdout
    assert "1 failed" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_command_writes_json_results():
    done = _conformance(
        "--registry",
        str(FIXTURES / "inconsistent-bindings"),
        "standards",
        "selftest",
        "--format",
        "json",
    )
    assert done.returncode == 1, done.stderr
    results = {r["id"]: r for r in json.loads(done.stdout)}
    assert results["greeting@1.0.0::bindings"]["outcome"] == "failed"
    assert results["greeting@1.0.0::soundness"]["outcome"] == "passed"


def test_self_tests_run_as_pytest_items(pytester):
    shutil.copytree(FIXTURES / "breaking-minor", pytester.path / "registry")
    result = pytester.runpytest(
        "--selftest-standards", "--registry", "registry", "registry", "-q"
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*greeting@1.1.0*count*is a required property*"])
