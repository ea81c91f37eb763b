"""What CI systems read: titles, JUnit types, SARIF, GitHub annotations, job summary.

Real runs of the command (in-process), real payload files and the bundled
reference service with a fault; the SARIF log is validated against the
OASIS SARIF 2.1.0 schema shipped in tests/data/sarif.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree
from report_helpers import PERSON, QUICK_CHECKS, cli, write_profile

from conformance.model import Severity
from conformance.reporting.ci import level_for

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"


def assert_valid_sarif(path: Path) -> dict:
    """The SARIF log at ``path``, after checking it against the 2.1.0 schema."""
    log = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    problems = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(log)]
    assert problems == []
    return log


@pytest.fixture
def payloads(tmp_path, monkeypatch) -> Path:
    """A folder in the working folder: one valid record, two broken differently."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(PERSON), encoding="utf-8")
    # PER-3: the FIN has eight characters; the result's own requirement is
    # the binding's (PER-1), which is not what the file breaks.
    (folder / "bad-fin.json").write_text(
        json.dumps(dict(PERSON, fin="5ZK3T2AB"), indent=2), encoding="utf-8"
    )
    (folder / "two-wrongs.json").write_text(
        json.dumps(dict(PERSON, fin="5ZK3T2AB", sex="x"), indent=2), encoding="utf-8"
    )
    return folder


def test_a_failed_payload_is_titled_as_what_happened(capsys, payloads):
    code, _, _ = cli(
        capsys, "validate", "payloads", "--standard", "person@1.1.0", "--junit", "j.xml"
    )
    assert code == 1
    cases = {
        case.get("name"): case
        for case in etree.parse("j.xml").getroot().iter("testcase")
    }
    failure = cases["validate:payloads/two-wrongs.json"].find("failure")
    assert failure.get("message") == (
        "payloads/two-wrongs.json against person@1.1.0: 2 findings"
    )
    assert cases["validate:payloads/bad-fin.json"].find("failure").get("message") == (
        "payloads/bad-fin.json against person@1.1.0: 1 finding"
    )
    assert "conforms" not in failure.get("message")
    document = json.loads(
        cli(
            capsys,
            "validate",
            "payloads",
            "--standard",
            "person@1.1.0",
            "--format",
            "json",
            "-v",
        )[1]
    )
    titles = {r["id"]: r["title"] for r in document["results"]}
    assert titles["validate:payloads/good.json"] == (
        "payloads/good.json against person@1.1.0: conforms"
    )


def test_junit_type_and_the_markdown_summary_cite_the_requirements_broken(
    capsys, payloads
):
    cli(
        capsys,
        "validate",
        "payloads",
        "--standard",
        "person@1.1.0",
        "--junit",
        "j.xml",
        "--report",
        "r.json",
    )
    cases = {
        case.get("name"): case
        for case in etree.parse("j.xml").getroot().iter("testcase")
    }
    bad_fin = cases["validate:payloads/bad-fin.json"]
    # The result's own requirement is the binding's; the finding breaks PER-3.
    properties = {p.get("name"): p.get("value") for p in bad_fin.iter("property")}
    assert properties["requirement"] == "PER-1"
    assert bad_fin.find("failure").get("type") == "PER-3"
    both = cases["validate:payloads/two-wrongs.json"].find("failure").get("type")
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    (two,) = [r for r in report["results"] if r["id"].endswith("two-wrongs.json")]
    cited = [f["requirement"] for f in two["findings"]]
    assert len(cited) == 2 and cited[0] == "PER-3"
    assert both == ", ".join(dict.fromkeys(cited))
    code, summary, _ = cli(capsys, "report", "summary", "r.json")
    assert code == 0
    row = next(
        line for line in summary.splitlines() if "| validate:payloads/bad" in line
    )
    assert "| PER-3 |" in row


def test_sarif_places_payload_findings_at_file_line_and_column(capsys, payloads):
    code, _, _ = cli(
        capsys,
        "validate",
        "payloads",
        "--standard",
        "person@1.1.0",
        "--sarif",
        "out/results.sarif",
    )
    assert code == 1
    log = assert_valid_sarif(payloads.parent / "out" / "results.sarif")
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "egov-conformance"
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert "PER-3" in rules
    assert rules["PER-3"]["defaultConfiguration"]["level"] == "error"
    assert "seven characters" in rules["PER-3"]["shortDescription"]["text"]
    fin = next(
        r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "payloads/bad-fin.json"
    )
    assert fin["ruleId"] == "PER-3"
    assert run["tool"]["driver"]["rules"][fin["ruleIndex"]]["id"] == "PER-3"
    assert fin["level"] == "error"
    location = fin["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    # "fin" is on line 2 of the indented file; its value starts at column 10.
    assert location["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 10}
    assert location["logicalLocations"] == [{"fullyQualifiedName": "/fin"}]
    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == payloads.parent.resolve().as_uri() + "/"
    assert len(run["results"]) == 3  # one per finding; the valid file has none


@pytest.mark.parametrize(
    ("level", "severity", "expected"),
    [
        ("MUST", Severity.ERROR, "error"),
        ("SHOULD", Severity.ERROR, "warning"),
        ("MAY", Severity.ERROR, "note"),
        ("MUST", Severity.WARNING, "warning"),
    ],
)
def test_sarif_levels_follow_the_requirement_level(level, severity, expected):
    assert level_for(level, severity) == expected


def test_service_findings_are_placed_at_the_interface_operation(
    capsys, tmp_path, monkeypatch, registry
):
    monkeypatch.chdir(tmp_path)
    profile = write_profile(tmp_path / "agencies", faults=("lose-correlation-id",))
    code, _, _ = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        tmp_path / "r",
        "--no-history",
        *QUICK_CHECKS,
    )
    assert code == 1
    log = assert_valid_sarif(tmp_path / "r" / "conformance.sarif")
    (run,) = log["runs"]
    echoed = [r for r in run["results"] if r["ruleId"] == "ER-HTTP-1"]
    assert echoed
    interface = registry.resolve("person@1.2.0").interface
    lines = interface.read_text(encoding="utf-8").splitlines()
    for result in echoed:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == interface.resolve().as_uri()
        operation = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        method, path = operation.split(" ")
        line = physical["region"]["startLine"]
        # The line is the operation's method under its path in the document.
        assert lines[line - 1].strip() == f"{method.lower()}:"
        above = [text for text in lines[: line - 1] if text.startswith("  /")]
        assert path.endswith(above[-1].strip().rstrip(":"))


def test_github_annotations_point_at_each_finding(capsys, payloads):
    hostile = payloads / "a,b:c%.json"
    hostile.write_text(json.dumps(dict(PERSON, fin="5ZK3T2AB")), encoding="utf-8")
    code, out, _ = cli(
        capsys,
        "validate",
        "payloads",
        "--standard",
        "person@1.1.0",
        "--format",
        "github",
    )
    assert code == 1
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert len(annotations) == 4
    fin = next(a for a in annotations if "bad-fin" in a)
    assert fin.startswith(
        "::error file=payloads/bad-fin.json,line=2,col=10,title=PER-3%3A "
        "payloads/bad-fin.json against person@1.1.0%3A 1 finding::/fin: "
    )
    # A file name cannot add a property or end the command early.
    escaped = next(a for a in annotations if "a%2Cb%3Ac%25.json" in a)
    assert escaped.startswith("::error file=payloads/a%2Cb%3Ac%25.json,line=1,")
    assert out.count("::") == 2 * len(annotations)


def test_the_summary_is_appended_to_the_github_step_summary(
    capsys, payloads, monkeypatch
):
    summary = payloads.parent / "step-summary.md"
    summary.write_text("## an earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, _, _ = cli(capsys, "validate", "payloads", "--standard", "person@1.1.0")
    assert code == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## an earlier step\n## Conformance: non-conformant")
    assert "gate failed" in text and "PER-3" in text
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    cli(capsys, "validate", "payloads", "--standard", "person@1.1.0")
    assert summary.read_text(encoding="utf-8") == text
