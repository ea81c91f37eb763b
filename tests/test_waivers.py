"""Waivers: a failure waived until its expiry date, and not after; bad files."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree
from report_helpers import cli, payload_run, person_files, report_of, write_profile

from conformance.errors import UsageError
from conformance.results.gating import decide
from conformance.results.report_io import load_report
from conformance.results.run import to_document
from conformance.results.waivers import apply_waivers, load_waivers
from conformance.validation.json_validation import json_validator, validate_json

WAIVER = """
[[waivers]]
id = "W-2026-014"
agency = "mia"
requirement = "PER-3"
standard = "person@1.1.0"
reason = "The register moves to the new FIN check in April"
granted = 2026-01-10
granted_by = "Executive group decision 2026/14"
expires = 2026-03-31
"""


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    """A real run whose only failure is a payload breaking PER-3 (the FIN)."""
    folder = tmp_path_factory.mktemp("waivers")
    payloads = person_files(folder / "payloads", bad=1, good=2)
    profile = write_profile(folder / "profiles", service=False, payloads=payloads)
    from conformance.cli.main import main

    code = main(
        ["run", "--agency", str(profile), "--reports-dir", str(folder / "reports")]
    )
    assert code == 1
    return folder / "reports" / "conformance-report.json"


@pytest.fixture
def waivers_file(tmp_path):
    path = tmp_path / "waivers.toml"
    path.write_text(WAIVER, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "case",
    [
        ("2026-01-10", True, 0),  # the day it was granted
        ("2026-03-31", True, 0),  # its last day
        ("2026-04-01", False, 1),  # the day after: the failure counts again
        ("2026-01-09", False, 1),  # before it was granted: not there yet
    ],
)
def test_a_waiver_suppresses_its_failure_until_its_expiry_and_not_after(
    failing_report, waivers_file, registry, case
):
    day, waived, exit_code = case
    run = load_report(failing_report, registry)
    on = dt.date.fromisoformat(day)
    assert apply_waivers(run, load_waivers(waivers_file, registry), on) == int(waived)
    failed = [r for r in run.results if r.outcome.value == "failed"]
    assert len(failed) == 1  # still reported as a failure, whatever the waiver
    assert failed[0].waived is waived
    decision = decide(run)
    assert decision.exit_code == exit_code
    assert run.verdict.value == ("conformant" if waived else "non-conformant")
    if day == "2026-04-01":
        assert failed[0].waiver is not None  # shown as expired, not dropped
        assert failed[0].waiver.active is False


def test_the_gate_command_follows_the_waiver_dates(
    failing_report, waivers_file, capsys
):
    code, out, _ = cli(
        capsys,
        "report",
        "gate",
        failing_report,
        "--waivers",
        waivers_file,
        "--on",
        "2026-03-31",
    )
    assert code == 0, out
    assert "1 failure(s) waived" in out
    code, out, _ = cli(
        capsys,
        "report",
        "gate",
        failing_report,
        "--waivers",
        waivers_file,
        "--on",
        "2026-04-01",
    )
    assert code == 1
    assert "1 failed MUST requirement(s)" in out


def test_waived_results_in_the_json_junit_and_markdown(
    failing_report, waivers_file, registry, tmp_path, capsys
):
    code, _, _ = cli(
        capsys,
        "report",
        "render",
        failing_report,
        "--waivers",
        waivers_file,
        "--on",
        "2026-03-01",
        "--format",
        "json",
        "--format",
        "junit",
        "--format",
        "markdown",
        "--format",
        "html",
        "--output-dir",
        tmp_path,
    )
    assert code == 0
    data = (tmp_path / "conformance-report.json").read_bytes()
    schema = json_validator(registry, registry.resolve("conformance-report@1.1.0"))
    assert validate_json(data, schema) == []
    document = json.loads(data)
    assert document["verdict"] == "conformant"
    assert document["summary"]["waived"] == 1
    assert document["summary"]["waived_by_level"]["MUST"] == 1
    (waived,) = [r for r in document["results"] if "waiver" in r]
    assert waived["outcome"] == "failed"
    assert waived["waiver"] == {
        "id": "W-2026-014",
        "reason": "The register moves to the new FIN check in April",
        "expires": "2026-03-31",
        "status": "active",
        "granted": "2026-01-10",
        "granted_by": "Executive group decision 2026/14",
    }
    junit = etree.parse(str(tmp_path / "junit.xml")).getroot()
    assert junit.get("failures") == "0"
    skipped = junit.find(".//testcase/skipped")
    assert skipped is not None and "W-2026-014" in skipped.get("message")
    assert "2026-03-31" in skipped.get("message")
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert "Waived failures" in summary and "W-2026-014" in summary
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "W-2026-014" in html and "2026-03-31" in html


def test_conformance_run_applies_waivers_on_its_own_date(
    tmp_path, waivers_file, capsys
):
    # The run is today, long after the waiver expired: the failure counts.
    payloads = person_files(tmp_path / "payloads", bad=1, good=0)
    profile = write_profile(tmp_path / "profiles", service=False, payloads=payloads)
    code, _, _ = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        tmp_path / "reports",
        "--waivers",
        waivers_file,
    )
    assert code == 1
    (result,) = [r for r in report_of(tmp_path / "reports")["results"] if "waiver" in r]
    assert result["waiver"]["status"] == "expired"


def test_a_waiver_for_one_rule_does_not_hide_another(tmp_path, registry):
    folder = tmp_path / "payloads"
    folder.mkdir()
    record = {
        "fin": "5ZK3T2AB",  # breaks PER-3 ...
        "givenName": "Aytən",
        "familyName": "Əliyeva",
        "birthDate": "1995-02-30",  # ... and the birth date's rule
        "sex": "female",
    }
    (folder / "two-problems.json").write_text(json.dumps(record), encoding="utf-8")
    from conformance.probing.profiles import PayloadTarget
    from conformance.registry.manifest import Agency

    agency = Agency(id="mia", name="MIA")
    run = payload_run(PayloadTarget("mia:person", (folder,), "person@1.1.0", agency))
    waivers = tmp_path / "w.toml"
    waivers.write_text(WAIVER, encoding="utf-8")
    assert apply_waivers(run, load_waivers(waivers), dt.date(2026, 2, 1)) == 0
    assert to_document(run)["verdict"] == "non-conformant"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[waivers]]\nid = 'W1'\n", "'agency' is a required property"),
        (
            WAIVER.replace("expires =", "expiry ="),
            "unknown key 'expiry' (did you mean 'expires'?)",
        ),
        (
            WAIVER.replace("expires = 2026-03-31", 'expires = "31.03.2026"'),
            "'31.03.2026' is not a date; write it as YYYY-MM-DD",
        ),
        ("[[waivers]\nid = 1", "the waivers file is not valid TOML"),
        (WAIVER + WAIVER, "the id 'W-2026-014' is used twice"),
        (
            WAIVER.replace('requirement = "PER-3"', 'requirement = "PER-33"'),
            "person@1.1.0 has no requirement 'PER-33' (did you mean 'PER-3'?)",
        ),
        (
            WAIVER.replace("granted = 2026-01-10", "granted = 2026-05-01"),
            "expires 2026-03-31 is before granted 2026-05-01",
        ),
    ],
)
def test_a_broken_waivers_file_is_a_usage_error_naming_it(
    tmp_path, failing_report, capsys, text, message
):
    path = tmp_path / "waivers.toml"
    path.write_text(text, encoding="utf-8")
    code, _, err = cli(capsys, "report", "gate", failing_report, "--waivers", path)
    assert code == 2
    assert str(path) in err
    assert message in err
    assert "Traceback" not in err


def test_a_missing_waivers_file_stops_a_run_before_any_check(tmp_path, capsys):
    profile = write_profile(tmp_path / "p")
    code, _, err = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        tmp_path / "r",
        "--waivers",
        tmp_path / "nowhere.toml",
    )
    assert code == 2
    assert "waivers file" in err and "nowhere.toml" in err
    assert not (tmp_path / "r").exists()


def test_load_waivers_reads_dates_and_optional_fields(waivers_file):
    (waiver,) = load_waivers(waivers_file)
    assert waiver.expires == dt.date(2026, 3, 31)
    assert waiver.granted == dt.date(2026, 1, 10)
    assert waiver.in_force(dt.date(2026, 3, 31))
    assert not waiver.in_force(dt.date(2026, 4, 1))
    with pytest.raises(UsageError):
        load_waivers(waivers_file.parent / "missing.toml")
