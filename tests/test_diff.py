"""`conformance standards diff A B` and the minor-version check of
`standards check`: every change classified with its evidence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import html

from conformance.cli.main import main
from conformance.model import Outcome
from conformance.registry.standards import Registry
from conformance.reporting.diff_page import render_diff_html
from conformance.selfcheck.diff import diff, render_markdown, render_text
from conformance.selfcheck.registry_checks import check_changes

BREAKING = Path(__file__).parent / "data" / "registries" / "breaking"


@pytest.fixture(scope="module")
def breaking() -> Registry:
    return Registry.open(BREAKING)


def _kinds(found):
    return {(c.kind, c.where): c for c in found.changes}


def test_a_minor_that_breaks_is_failed_with_evidence_for_each_change(breaking):
    result = check_changes(breaking, breaking.resolve("parcel-register@1.1.0"))
    assert result.outcome is Outcome.FAILED
    messages = [f.message for f in result.findings]
    assert len(messages) == 4, messages

    def about(kind: str) -> str:
        (message,) = [m for m in messages if f"but {kind} at" in m]
        return message

    made_required, pattern = about("made-required"), about("pattern-changed")
    enum, operation = about("enum-value-removed"), about("operation-removed")
    assert "made-required at /landUse" in made_required
    assert (
        '"cadastralNumber": "11:204:0001", "areaSqm": 1250.5, "region": "Abşeron"}'
        in (made_required)
    )
    assert "pattern-changed at /cadastralNumber" in pattern
    assert "refuses (pattern at /cadastralNumber)" in pattern
    assert 'enum-value-removed at /landUse (the value "forest"' in enum
    assert '"landUse": "forest"' in enum
    assert "operation-removed at GET /v2/parcels" in operation
    assert "the request GET /v2/parcels that parcel-register@1.0.0 documents" in (
        operation
    )
    # The first version of a major has nothing to break.
    first = check_changes(breaking, breaking.resolve("parcel-register@1.0.0"))
    assert first.outcome is Outcome.PASSED


def test_the_evidence_is_accepted_by_the_old_and_refused_by_the_new(breaking):
    from conformance.validation.json_validation import json_validator

    old = breaking.resolve("parcel-register@1.0.0")
    new = breaking.resolve("parcel-register@1.1.0")
    found = diff(breaking, old, new)
    for change in found.breaking:
        if change.kind == "operation-removed":
            continue
        document = json.loads(change.evidence.split("): ", 1)[1])
        assert json_validator(breaking, old).is_valid(document)
        assert not json_validator(breaking, new).is_valid(document)


def test_the_command_exits_1_and_writes_markdown_and_html(capsys, tmp_path):
    code = main(
        [
            "--registry",
            str(BREAKING),
            "standards",
            "diff",
            "parcel-register@1.0.0",
            "parcel-register@1.1.0",
            "--format",
            "markdown",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "| **breaking** | operation-removed | GET /v2/parcels |" in out
    page = tmp_path / "diff.html"
    code = main(
        [
            "--registry",
            str(BREAKING),
            "standards",
            "diff",
            "parcel-register@1.0.0",
            "parcel-register@1.1.0",
            "--format",
            "html",
            "-o",
            str(page),
        ]
    )
    assert code == 1
    tree = html.fromstring(page.read_text(encoding="utf-8"))
    rows = tree.xpath("//tbody/tr")
    assert len(rows) == 4
    assert all(r.xpath(".//span[contains(@class,'failed')]") for r in rows)
    # The report's page: its stylesheet, by nonce, and nothing from outside.
    assert tree.xpath("//style[@nonce]")
    assert not tree.xpath("//*[@src]")


def test_the_shipped_versions_list_their_real_changes(registry):
    added = diff(
        registry,
        registry.resolve("civil-registration-event@1.0.0"),
        registry.resolve("civil-registration-event@1.1.0"),
    )
    assert not added.breaking
    assert ("member-added", "/certificateNumber") in _kinds(added)
    assert ("member-added", "/spouses/*/familyNameAfter") in _kinds(added)
    interface = diff(
        registry,
        registry.resolve("person@1.1.0"),
        registry.resolve("person@1.2.0"),
    )
    assert ("operation-added", "GET /person/v1/persons/{fin}") in _kinds(interface)
    rules = diff(
        registry, registry.resolve("person@1.2.0"), registry.resolve("person@1.3.0")
    )
    change = _kinds(rules)[("rule-added", "per-death-after-birth")]
    assert not change.breaking and change.detail.startswith("SHOULD PER-9")
    major = diff(
        registry, registry.resolve("person@1.2.0"), registry.resolve("person@2.0.0")
    )
    required = _kinds(major)[("made-required", "/name")]
    assert required.breaking and "person@1.2.0 accepts" in required.evidence
    text = render_text(major)
    assert "BREAKING    made-required  /name" in text
    assert render_markdown(major).startswith(
        "## Changes from person@1.2.0 to person@2.0.0"
    )
    assert "person@1.2.0 → person@2.0.0" in render_diff_html(major)


def _copy(tmp_path: Path, edit) -> Registry:
    root = tmp_path / "reg"
    shutil.copytree(BREAKING, root)
    shutil.rmtree(root / "parcel-register" / "1.1.0")
    shutil.copytree(
        root / "parcel-register" / "1.0.0", root / "parcel-register" / "1.1.0"
    )
    folder = root / "parcel-register" / "1.1.0"
    for name in (
        "standard.toml",
        "parcel.schema.json",
        "error.schema.json",
        "openapi.yaml",
    ):
        path = folder / name
        path.write_text(
            path.read_text(encoding="utf-8")
            .replace('version = "1.0.0"', 'version = "1.1.0"')
            .replace("parcel-register/1.0.0", "parcel-register/1.1.0"),
            encoding="utf-8",
        )
    edit(folder)
    return Registry.open(root)


def test_a_pattern_written_otherwise_that_accepts_the_same_is_compatible(tmp_path):
    def rewrite(folder: Path) -> None:
        path = folder / "parcel.schema.json"
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "^[0-9]{2}:[0-9]{3}:[0-9]{4}$", "^[0-9][0-9]:[0-9]{3}:[0-9]{2}[0-9]{2}$"
            ),
            encoding="utf-8",
        )

    mine = _copy(tmp_path, rewrite)
    found = diff(
        mine,
        mine.resolve("parcel-register@1.0.0"),
        mine.resolve("parcel-register@1.1.0"),
    )
    change = _kinds(found)[("pattern-changed", "/cadastralNumber")]
    assert not change.breaking and change.evidence is None


def test_a_must_rule_added_in_a_minor_breaks_with_a_document(tmp_path):
    def add_rule(folder: Path) -> None:
        (folder / "rules.sch").write_text(
            """<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"
  xmlns:conf="urn:az:gov:conformance" queryBinding="xpath31">
  <sch:pattern><sch:rule context="/document/areaSqm">
    <sch:assert id="area-whole" conf:requirement="PAR-2"
      test=". = floor(.)">whole square metres</sch:assert>
  </sch:rule></sch:pattern>
</sch:schema>
""",
            encoding="utf-8",
        )
        (folder / "examples" / "invalid" / "fraction.json").write_text(
            '{"id": "P-00009", "cadastralNumber": "11:204:0009", "areaSqm": 0.5,'
            ' "region": "Bakı"}',
            encoding="utf-8",
        )
        manifest = folder / "standard.toml"
        text = manifest.read_text(encoding="utf-8").replace(
            'interface = "openapi.yaml"',
            'interface = "openapi.yaml"\nrules = "rules.sch"',
        )
        manifest.write_text(
            text + '\n[[requirements]]\nid = "PAR-2"\nlevel = "MUST"\n'
            'text = "An area is in whole square metres."\n'
            '\n[[examples]]\nfile = "examples/invalid/fraction.json"\nvalid = false\n'
            'title = "Half a square metre"\nrule = "area-whole"\n'
            'location = "/areaSqm"\n',
            encoding="utf-8",
        )

    mine = _copy(tmp_path, add_rule)
    result = check_changes(mine, mine.resolve("parcel-register@1.1.0"))
    assert result.outcome is Outcome.FAILED
    (finding,) = result.findings
    assert "rule-added at area-whole" in finding.message
    assert '"areaSqm": 0.5' in finding.message


def test_the_page_escapes_what_a_standard_holds(registry):
    from conformance.selfcheck.diff import Change, Diff

    person = registry.resolve("person@1.2.0")
    hostile = "</td><script>alert(1)</script>"
    found = Diff(
        person,
        registry.resolve("person@1.3.0"),
        (Change("pattern-changed", hostile, hostile, True, evidence=hostile),),
    )
    page = html.fromstring(render_diff_html(found))
    scripts = page.xpath("//script")
    assert len(scripts) == 1 and scripts[0].get("nonce")
    assert "alert(1)" not in scripts[0].text_content()
    assert page.xpath("//tbody/tr/td/code")[1].text_content() == hostile
