"""``conformance report``: render, merge, compare, summary, gate, import, and
the interoperable outputs (JUnit, EARL, TAR, traceability CSV)."""

from __future__ import annotations

import csv
import json

import pytest
from lxml import etree
from report_helpers import QUICK_CHECKS, cli, person_files, report_of, write_profile

from conformance.model import Outcome, Result
from conformance.probing.checks import SERVICE_RULES
from conformance.results.gating import GatePolicy, decide
from conformance.results.run import Run
from conformance.validation.json_validation import json_validator, validate_json


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two machines: MIA's run (a fault on), and the tax office's (all good)."""
    folder = tmp_path_factory.mktemp("runs")
    from conformance.cli.main import main

    payloads = person_files(folder / "payloads", bad=1, good=1)
    mia = write_profile(
        folder / "mia", faults=("lose-correlation-id",), payloads=payloads
    )
    tax = write_profile(folder / "tax", agency="tax")
    good = write_profile(folder / "mia-good", payloads=folder / "payloads")
    reports = {}
    for name, profile in (("mia", mia), ("tax", tax), ("mia-good", good)):
        target = folder / name / "reports"
        main(
            [
                "run",
                "--agency",
                str(profile),
                "--reports-dir",
                str(target),
                *QUICK_CHECKS,
            ]
        )
        reports[name] = target / "conformance-report.json"
    return reports


def _valid(registry, path) -> bool:
    schema = json_validator(registry, registry.resolve("conformance-report@1.1.0"))
    return validate_json(path.read_bytes(), schema) == []


def test_render_writes_any_format_from_a_report(runs, tmp_path, capsys):
    code, out, _ = cli(
        capsys,
        "report",
        "render",
        runs["mia"],
        *("--format", "html", "--format", "earl", "--format", "tar"),
        *("--format", "traceability", "--output-dir", tmp_path, "--lang", "en"),
    )
    assert code == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["earl-results.rdf", "report.html", "tar.xml", "traceability.csv"]
    assert str(tmp_path / "report.html") in out
    html = (tmp_path / "report.html").read_text("utf-8")
    assert 'data-lang="en"' in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not a report</html>", "is not a conformance report: it is not JSON"),
        (b'{"report": "invoice@1.0.0"}', "its \"report\" member is 'invoice@1.0.0'"),
        (
            b'{"report": "conformance-report@1.1.0", "run": {}}',
            "does not follow conformance-report@1.1.0",
        ),
    ],
)
def test_a_file_that_is_not_a_report_is_a_usage_error(
    tmp_path, capsys, content, message
):
    path = tmp_path / "report.json"
    path.write_bytes(content)
    code, _, err = cli(capsys, "report", "render", path, "--output-dir", tmp_path)
    assert code == 2
    assert str(path) in err and message in err
    assert "Traceback" not in err


def test_merge_makes_one_run_from_several_machines(runs, registry, tmp_path, capsys):
    merged = tmp_path / "merged.json"
    code, out, _ = cli(
        capsys,
        "report",
        "merge",
        runs["mia"],
        runs["tax"],
        "--output",
        merged,
        "--record",
        "--reports-dir",
        tmp_path,
    )
    assert code == 0, out
    assert _valid(registry, merged)
    document = json.loads(merged.read_text("utf-8"))
    parts = [report_of(runs[name].parent) for name in ("mia", "tax")]
    assert sorted(document["run"]["merged_from"]) == sorted(
        p["run"]["id"] for p in parts
    )
    assert document["summary"]["total"] == sum(p["summary"]["total"] for p in parts)
    assert document["verdict"] == "non-conformant"  # MIA's fault counts
    assert {t["agency"] for t in document["targets"]} == {"mia", "tax"}
    code, out, _ = cli(capsys, "report", "list", "--reports-dir", tmp_path)
    assert document["run"]["id"] in out  # --record put it in the history
    code, _, err = cli(capsys, "report", "merge", runs["mia"])
    assert code == 2 and "two or more" in err


def test_compare_reports_regressions_and_exits_1(runs, capsys):
    code, out, _ = cli(
        capsys, "report", "compare", runs["mia-good"], runs["mia"], "--format", "json"
    )
    assert code == 1
    changes = json.loads(out)
    regressions = [c for c in changes["changes"] if c["kind"] == "regression"]
    assert [c["id"] for c in regressions] == [
        "mia:population-register:getPerson:correlation-id"
    ]
    assert regressions[0]["requirement"] == "ER-HTTP-1"
    code, out, _ = cli(capsys, "report", "compare", runs["mia"], runs["mia-good"])
    assert code == 0  # a fix is not a regression
    assert "fix" in out and "correlation-id" in out


def test_summary_is_markdown_for_a_job_page(runs, tmp_path, capsys):
    code, out, _ = cli(capsys, "report", "summary", runs["mia"])
    assert code == 0
    assert out.startswith("## Conformance: non-conformant")
    assert "ER-HTTP-1" in out and "| MUST |" in out
    target = tmp_path / "summary.md"
    cli(capsys, "report", "summary", runs["tax"], "--output", target)
    assert target.read_text("utf-8").startswith("## Conformance: conformant")


def test_import_puts_a_report_from_elsewhere_in_the_history(runs, tmp_path, capsys):
    code, out, _ = cli(
        capsys, "report", "import", runs["tax"], "--reports-dir", tmp_path
    )
    assert code == 0
    run_id = report_of(runs["tax"].parent)["run"]["id"]
    assert f"recorded {run_id}" in out
    code, _, err = cli(
        capsys, "report", "import", runs["tax"], "--reports-dir", tmp_path
    )
    assert code == 2 and "already in the results history" in err


def _result(requirement, outcome=Outcome.FAILED, **extra) -> Result:
    return Result(
        id=f"x:{requirement.id}:{extra.get('n', 0)}",
        title=requirement.text[:40],
        outcome=outcome,
        target="x:service",
        standard="exchange-rules@1.1.0",
        requirement=requirement,
        findings=(),
        evidence={"agency": "x"},
        kind="service",
    )


@pytest.mark.parametrize(
    ("outcomes", "threshold", "exit_code"),
    [
        ({"MUST": Outcome.FAILED}, None, 1),  # any failed MUST fails
        ({"SHOULD": Outcome.FAILED}, None, 0),  # SHOULD: counted, not gating
        ({"SHOULD": Outcome.FAILED}, 1, 0),  # within the threshold
        ({"SHOULD": Outcome.FAILED}, 0, 1),  # over the threshold
        ({"MUST": Outcome.ERROR}, None, 3),  # could not check: incomplete
        ({"MUST": Outcome.PASSED}, 0, 0),
    ],
)
def test_the_gate_policy(registry, outcomes, threshold, exit_code):
    must = registry.requirement("exchange-rules@1.1.0", "ER-HTTP-1")
    should = registry.requirement("exchange-rules@1.1.0", "ER-HTTP-13")
    assert (must.level.value, should.level.value) == ("MUST", "SHOULD")
    run = Run(registry=registry, command="test")
    run.add(_result(must, Outcome.PASSED, n=1))
    for level, outcome in outcomes.items():
        requirement = must if level == "MUST" else should
        run.add(_result(requirement, outcome, n=2))
    run.finish(complete=True)
    decision = decide(run, GatePolicy(max_should_failures=threshold))
    assert decision.exit_code == exit_code, decision.summary
    assert decision.passed is (exit_code == 0)


def test_run_takes_a_should_threshold(tmp_path, capsys):
    profile = write_profile(tmp_path / "p", faults=("sluggish",))
    args = [
        "run",
        "--agency",
        profile,
        "--reports-dir",
        tmp_path / "r",
        "--check",
        "latency",
        "--check",
        "correlation-id",
        "--no-history",
    ]
    profile.write_text(
        profile.read_text("utf-8").replace(
            "rate_limit = 1000",
            "rate_limit = 1000\nlatency_objective_ms = 50\nlatency_samples = 5",
        ),
        encoding="utf-8",
    )
    code, out, _ = cli(capsys, *args, "--max-should-failures", "0")
    assert code == 1
    assert "more than the threshold of 0" in out
    report = tmp_path / "r" / "conformance-report.json"
    assert report_of(tmp_path / "r")["summary"]["failed_by_level"]["SHOULD"] == 1
    code, out, _ = cli(capsys, "report", "gate", report)
    assert code == 0, out  # without a threshold a failed SHOULD does not gate
    code, out, _ = cli(capsys, "report", "gate", report, "--max-should-failures", "1")
    assert code == 0, out


def test_junit_carries_requirement_ids_and_levels(runs, tmp_path, capsys):
    target = tmp_path / "junit.xml"
    code, _, _ = cli(capsys, "report", "gate", runs["mia"], "--junit", target)
    assert code == 1
    root = etree.parse(str(target)).getroot()
    cases = root.findall(".//testcase")
    assert cases
    for case in cases:
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if case.find("failure") is not None or props.get("check"):
            assert props["requirement"] and props["level"] in ("MUST", "SHOULD")
    failure = root.find(".//testcase[@name='mia:population-register:getPerson:"
                        "correlation-id']/failure")  # fmt: skip
    assert failure is not None and failure.get("type") == "ER-HTTP-1"


def test_earl_is_rdf_that_tools_can_query(runs, tmp_path, capsys):
    import rdflib

    target = tmp_path / "earl.rdf"
    cli(capsys, "report", "render", runs["mia"], "--format", "earl", "-o", target)
    document = report_of(runs["mia"].parent)
    graph = rdflib.Graph().parse(target, format="xml")
    earl = rdflib.Namespace("http://www.w3.org/ns/earl#")
    cite = rdflib.Namespace("http://cite.opengeospatial.org/")
    assertions = list(graph.subjects(rdflib.RDF.type, earl.Assertion))
    assert len(assertions) == document["summary"]["total"]
    rows = graph.query(
        """
        PREFIX earl: <http://www.w3.org/ns/earl#>
        PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?id ?outcome WHERE {
          ?a a earl:Assertion ; earl:test ?case ; earl:result ?r .
          ?case dct:identifier ?id . ?r earl:outcome ?outcome .
        }
        """
    )
    failed = {str(i) for i, o in rows if o == earl.failed}
    assert "ER-HTTP-1" in failed and "PER-1" in failed
    (test_run,) = graph.subjects(rdflib.RDF.type, cite.TestRun)
    passed = int(graph.value(test_run, cite.testsPassed))
    failed_count = int(graph.value(test_run, cite.testsFailed))
    summary = document["summary"]
    assert passed == summary["passed"] + summary["warning"]
    assert failed_count == summary["failed"]
    classes = list(graph.subjects(rdflib.RDF.type, earl.TestRequirement))
    assert len(classes) >= 2  # one per conformance class


def test_tar_has_the_test_bed_shape(runs, tmp_path, capsys):
    target = tmp_path / "tar.xml"
    cli(capsys, "report", "render", runs["mia"], "--format", "tar", "-o", target)
    ns = {"tr": "http://www.gitb.com/tr/v1/", "gitb": "http://www.gitb.com/core/v1/"}
    root = etree.parse(str(target)).getroot()
    xsi = "{http://www.w3.org/2001/XMLSchema-instance}type"
    assert root.tag == "{http://www.gitb.com/tr/v1/}TestStepReport"
    assert root.get(xsi) == "TAR"
    children = [etree.QName(c).localname for c in root]
    assert children == ["date", "result", "overview", "counters", "context", "reports"]
    assert root.findtext("tr:result", namespaces=ns) == "FAILURE"
    errors = root.findall("tr:reports/tr:error", namespaces=ns)
    assert int(root.findtext("tr:counters/tr:nrOfErrors", namespaces=ns)) == len(errors)
    ids = {e.findtext("tr:assertionID", namespaces=ns) for e in errors}
    assert {"ER-HTTP-1", "PER-3"} <= ids
    assert all(e.get(xsi) == "BAR" for e in errors)
    items = root.findall("tr:context/gitb:item", namespaces=ns)
    assert {i.get("name") for i in items} >= {"run", "verdict", "complete"}
    good = tmp_path / "good.xml"
    cli(capsys, "report", "render", runs["tax"], "--format", "tar", "-o", good)
    assert etree.parse(str(good)).getroot().findtext("tr:result", namespaces=ns) in (
        "SUCCESS",
        "WARNING",
    )


def test_traceability_names_every_requirement_and_why_untested(
    runs, registry, tmp_path, capsys
):
    target = tmp_path / "trace.csv"
    cli(
        capsys,
        "report",
        "render",
        runs["mia"],
        "--format",
        "traceability",
        "-o",
        target,
    )
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_key = {(r["standard"], r["requirement"]): r for r in rows}
    for ref in (SERVICE_RULES, "person@1.1.0", "person@1.2.0"):
        standard = registry.resolve(ref)
        for requirement in standard.requirements:
            assert (ref, requirement.id) in by_key, (ref, requirement.id)
    correlation = by_key[(SERVICE_RULES, "ER-HTTP-1")]
    assert correlation["tested_by"] == "check correlation-id"
    assert correlation["status"] == "failed"
    assert by_key[("person@1.1.0", "PER-3")]["status"] == "failed"
    assert by_key[(SERVICE_RULES, "ER-HTTP-2")]["status"] == "passed"
    # checks this run did not select: not tested, and it says why
    pagination = by_key[(SERVICE_RULES, "ER-HTTP-9")]
    assert pagination["status"] == "not tested"
    assert "check pagination did not run" in pagination["reason"]
    for row in rows:
        if row["status"] == "not tested":
            assert row["reason"], row
        else:
            assert int(row["results"]) > 0
