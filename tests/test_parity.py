"""The two front ends share one engine: the same profile gives the same run.

``conformance run`` and ``pytest --agency`` are run on one profile (a service
with a waived MUST failure and a SHOULD failure over the gate's threshold,
plus payload files), each in a folder of its own, and compared: result ids
and outcomes, the audit log, the history records, the waivers applied and
the gate's decision. (A run of either killed mid-way: tests/test_history.py.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from profile_helpers import profile_text
from report_helpers import COMMAND, person_files

from conformance.history import open_history
from conformance.reporting.writers.markdown import inline

WAIVER = """
[[waivers]]
id = "W-PARITY-1"
agency = "mia"
requirement = "ER-HTTP-1"
standard = "exchange-rules@1.2.0"
reason = "The gateway echoes correlation ids from the next release"
granted = 2026-01-01
granted_by = "Executive group decision 2026/30"
expires = 2099-12-31
"""

CHOSEN = ("correlation-id", "latency", "json-body", "documented-status")


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    payloads = person_files(tmp_path / "payloads", bad=0, good=2)
    profile = tmp_path / "profiles" / "mia.toml"
    profile.parent.mkdir()
    text = profile_text(
        faults=("lose-correlation-id",),
        payloads=payloads,
        service_lines=(
            "timeout = 5",
            "rate_limit = 1000",
            # An objective no reply meets: the SHOULD-level latency check fails.
            "latency_objective_ms = 0.001",
            "latency_samples = 5",
        ),
    )
    profile.write_text(text, encoding="utf-8")
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVER, encoding="utf-8")
    return profile, waivers


def _options(profile: Path, waivers: Path) -> list[str]:
    chosen = [arg for check in CHOSEN for arg in ("--check", check)]
    return [
        "--agency",
        str(profile),
        "--waivers",
        str(waivers),
        "--max-should-failures",
        "0",
        "--fuzz-seed",
        "7",
        *chosen,
    ]


def _run_in(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    return subprocess.run(
        args, cwd=folder, capture_output=True, text=True, timeout=300, check=False
    )


def _recorded(reports: Path, registry):
    store = open_history(reports / "history.sqlite")
    try:
        (summary,) = store.runs()
        run = store.load(summary.id, registry)
    finally:
        store.close()
    results = sorted(
        (r.id, r.outcome.value, r.waiver.id if r.waiver else None) for r in run.results
    )
    return summary, results


def _audit(reports: Path) -> Counter[tuple[str, str, str, int | None]]:
    # The reference service listens on a new port each run: compare paths.
    lines = (reports / "audit.log").read_text("utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    return Counter(
        (e["service"], e["method"], urlsplit(e["url"]).path, e["status"])
        for e in entries
    )


def test_conformance_run_and_pytest_agency_give_the_same_run(tmp_path, registry):
    profile, waivers = _setup(tmp_path)
    options = _options(profile, waivers)
    command = _run_in(tmp_path / "cli", [COMMAND, "run", *options])
    plugin = _run_in(
        tmp_path / "pytest",
        [sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider", "-rxs"],
    )
    # The gate fails on the SHOULD threshold alone: the MUST failure is waived.
    assert command.returncode == 1, command.stdout + command.stderr
    assert plugin.returncode == 1, plugin.stdout + plugin.stderr
    gate = next(
        line for line in command.stdout.splitlines() if line.startswith("gate ")
    )
    assert gate.startswith("gate failed (non-conformant): 1 failed SHOULD")
    assert f"conformance: {gate}" in plugin.stdout.splitlines()
    assert "waived (W-PARITY-1)" in plugin.stdout  # the item is an expected failure

    cli_summary, cli_results = _recorded(tmp_path / "cli" / "reports", registry)
    py_summary, py_results = _recorded(tmp_path / "pytest" / "reports", registry)
    assert cli_results == py_results
    ids = {result_id for result_id, _, _ in cli_results}
    assert "mia:person:../payloads/good-0.json" in ids  # payloads are units too
    assert ("mia:population-register:service:latency", "failed", None) in cli_results
    waived = [r for r in cli_results if r[2] == "W-PARITY-1"]
    assert [r[1] for r in waived] == ["failed"]
    for summary in (cli_summary, py_summary):
        assert summary.complete is True
        assert summary.verdict == "conformant"  # no MUST failure counts
    assert (cli_summary.total, cli_summary.failed) == (
        py_summary.total,
        py_summary.failed,
    )

    cli_audit = _audit(tmp_path / "cli" / "reports")
    assert cli_audit == _audit(tmp_path / "pytest" / "reports")
    assert sum(cli_audit.values()) > len(CHOSEN)


def test_a_finding_reads_the_same_in_every_text_output(tmp_path):
    """One renderer: the terminal, pytest's failure, JUnit and Markdown agree."""
    from lxml import etree

    payloads = person_files(tmp_path / "payloads", bad=1, good=0)
    bad = next(payloads.iterdir())
    expected = (
        'error: line 1, column 9, /fin: "5ZK3T2AB" does not match'
        ' "^[0-9A-HJ-NP-Z]{7}$" (Personal identification number (FIN))'
    )
    command = _run_in(
        tmp_path / "cli",
        [
            COMMAND,
            "validate",
            "--standard",
            "person@1.1.0",
            "--junit",
            "junit.xml",
            str(bad),
        ],
    )
    assert command.returncode == 1
    plugin = _run_in(
        tmp_path / "pytest",
        [
            sys.executable,
            "-m",
            "pytest",
            "--standard",
            "person@1.1.0",
            str(bad),
            "-p",
            "no:cacheprovider",
            "--conformance-report=report.json",
        ],
    )
    assert plugin.returncode == 1
    summary = subprocess.run(
        [COMMAND, "report", "summary", "report.json"],
        cwd=tmp_path / "pytest",
        capture_output=True,
        text=True,
        check=False,
    )
    junit = etree.parse(str(tmp_path / "cli" / "junit.xml"))
    detail = "rule pattern; at person/1.1.0/person.schema.json#/$defs/fin/pattern"
    for text in (
        command.stdout,
        plugin.stdout,
        junit.find(".//failure").text,
    ):
        assert expected in text
        assert detail in text
    assert inline(expected) in summary.stdout  # the same line, as Markdown shows it
