"""Reports: JSON validated against our own standard, JUnit parsed back, atomic writes."""

from __future__ import annotations

import json

from lxml import etree
from report_helpers import payload_run

from conformance.model import Outcome
from conformance.probing.profiles import PayloadTarget
from conformance.registry.locations import bundled
from conformance.reporting.writers import write_all
from conformance.results.run import to_document
from conformance.validation.json_validation import json_validator, validate_json

EXAMPLES = bundled("standards") / "person" / "1.0.0" / "examples"


def _run(registry, *, complete=True):
    target = PayloadTarget(id="mia:person", paths=(EXAMPLES,), standard="person@1.0.0")
    return payload_run(target, complete=complete)


def test_json_report_validates_against_the_conformance_report_standard(
    registry, tmp_path
):
    run = _run(registry)
    paths = write_all(run, tmp_path)
    data = paths[0].read_bytes()
    report = registry.resolve("conformance-report@1.1.0")
    assert validate_json(data, json_validator(registry, report)) == []
    document = json.loads(data)
    assert document["tool"]["name"] == "egov-conformance"
    assert document["verdict"] == "non-conformant"
    texts = {(r["standard"], r["id"]): r["text"] for r in document["requirements"]}
    assert texts[("person@1.0.0", "PER-3")].startswith("The personal identification")
    assert ("exchange-rules@1.0.0", "ER-VERSION-2") in texts


def test_junit_parses_back_with_every_result(registry, tmp_path):
    run = _run(registry)
    write_all(run, tmp_path, ("junit",))
    root = etree.parse(str(tmp_path / "junit.xml")).getroot()
    cases = list(root.iter("testcase"))
    assert len(cases) == len(run.results)
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == sum(r.outcome is Outcome.FAILED for r in run.results)
    assert int(root.get("failures")) == len(failed)
    text = failed[0].find("failure").text
    assert "error: line" in text


def test_an_incomplete_run_is_never_conformant(registry):
    target = PayloadTarget(
        id="mia:person",
        paths=(EXAMPLES / "valid" / "minimal.json",),
        standard="person@1.1.0",
    )
    run = payload_run(target, complete=False, interruption="stopped")
    assert run.verdict.value == "incomplete"
    assert run.verdict.exit_code == 3
    assert to_document(run)["run"]["interruption"] == "stopped"


def test_reports_are_replaced_atomically(registry, tmp_path):
    run = _run(registry)
    write_all(run, tmp_path, ("json",))
    write_all(run, tmp_path, ("json",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conformance-report.json"]


def test_hostile_reply_text_stays_data_in_the_junit_file(registry, tmp_path):
    path = tmp_path / "evil.json"
    path.write_text('{"fin": "]]><script>alert(1)</script>"}', encoding="utf-8")
    run = payload_run(PayloadTarget(id="x", paths=(path,), standard="person@1.1.0"))
    write_all(run, tmp_path, ("junit",))
    root = etree.parse(str(tmp_path / "junit.xml")).getroot()
    assert "<script>" in root.find(".//failure").text
