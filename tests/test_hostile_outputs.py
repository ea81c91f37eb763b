"""Any text a service or a payload sends reaches the reports and the terminal safely.

A loopback service answers with control characters (ESC sequences, BEL, a
bare CR, NUL, DEL, a C1 CSI) in its headers and body; a payload file has
a name that is not UTF-8. Every report is written and parses (XML with
lxml, EARL with rdflib), the JSON report keeps the original text, and the
other formats show each control character as a visible escape.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import rdflib
from lxml import etree
from report_helpers import (
    COMMAND,
    PERSON,
    cli,
    payload_run,
    report_of,
    run_against_hostile,
)

from conformance.probing.profiles import PayloadTarget
from conformance.registry.locations import bundled
from conformance.reporting.writers import WRITERS, ReportsNotWritten, write_all
from conformance.results.report_io import load_report

EXAMPLES = bundled("standards") / "person" / "1.0.0" / "examples"
CHECKS = ("content-type", "json-body", "correlation-id")
CONTROLS = ("\x1b", "\x07", "\x00", "\x7f", "\x9b")


def _parses(folder: Path) -> dict[str, object]:
    """Every report of ``folder`` read back by a real reader of its format."""
    read: dict[str, object] = {}
    for name, (_, filename) in WRITERS.items():
        path = folder / filename
        assert path.is_file(), f"{filename} was not written"
        if name in ("junit", "tar"):
            read[name] = etree.parse(str(path)).getroot()
        elif name == "earl":
            read[name] = rdflib.Graph().parse(str(path), format="xml")
        elif name == "json":
            read[name] = json.loads(path.read_text("utf-8"))
        elif name == "traceability":
            read[name] = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
        elif name == "html":
            parser = HTMLParser()
            parser.feed(path.read_text("utf-8"))
            parser.close()
            read[name] = parser
        else:
            read[name] = path.read_text("utf-8")
    return read


def _content_type_finding(document: dict) -> str:
    result = next(r for r in document["results"] if r["id"].endswith(":content-type"))
    return str(result["findings"][0]["message"])


def test_control_characters_in_replies_reach_every_report_safely(tmp_path, capsys):
    # A run of the reference service first: its reports must all be replaced.
    code, _, err = cli(
        capsys,
        "run",
        "--reports-dir",
        tmp_path / "reports",
        "--no-history",
        "--check",
        "content-type",
    )
    assert code == 0, err
    code, out, err = run_against_hostile(capsys, tmp_path, *CHECKS, controls=True)
    assert code == 1, err  # the run's verdict: non-conformant
    assert "internal error" not in err
    assert "gate failed" in out
    read = _parses(tmp_path / "reports")
    document = report_of(tmp_path / "reports")
    # The JSON report keeps the original text of the header and the body.
    assert "charset=utf-8\x1b[31m\x07\x00" in _content_type_finding(document)
    exchange = next(
        r for r in document["results"] if r["id"].endswith(":content-type")
    )["evidence"]["exchanges"][-1]["response"]
    assert "\x1b[2J" in exchange["body"] and "\r" in exchange["body"]
    assert "\x00" in exchange["headers"]["X-Evil"]
    # Every report is of this run: none is left over from the first one.
    tar = read["tar"]
    assert isinstance(tar, etree._Element)
    assert tar.get("id") == document["run"]["id"]
    earl = read["earl"]
    assert isinstance(earl, rdflib.Graph)
    identifiers = {str(o) for o in earl.objects(None, rdflib.DCTERMS.identifier)}
    assert document["run"]["id"] in identifiers
    junit = read["junit"]
    assert isinstance(junit, etree._Element)
    failures = "\n".join(
        f.get("message", "") + (f.text or "") for f in junit.iter("failure")
    )
    # In the XML reports each control character is shown, not dropped.
    assert "charset=utf-8\\x1b[31m\\x07\\x00" in failures
    for name in ("junit.xml", "earl-results.rdf", "tar.xml"):
        text = (tmp_path / "reports" / name).read_text("utf-8")
        assert not any(c in text for c in CONTROLS), name
    descriptions = " ".join(
        str(o) for o in earl.objects(None, rdflib.DCTERMS.description)
    )
    assert "charset=utf-8\\x1b[31m\\x07\\x00" in descriptions


def test_report_gate_writes_junit_for_a_report_with_control_characters(
    tmp_path, capsys
):
    code, _, err = run_against_hostile(capsys, tmp_path, "content-type", controls=True)
    assert code == 1, err
    source = tmp_path / "reports" / "conformance-report.json"
    junit, summary = tmp_path / "gate.xml", tmp_path / "gate.md"
    code, out, err = cli(
        capsys, "report", "gate", source, "--junit", junit, "--summary", summary
    )
    assert code == 1, err
    assert out.startswith("gate failed")
    root = etree.parse(str(junit)).getroot()
    assert int(root.get("failures")) >= 1
    assert summary.is_file()


def test_every_report_takes_text_no_xml_can_carry(tmp_path, capsys):
    # Reasons, findings and waivers of a report read back (one merged from
    # another tool, say) may carry any character JSON text can: NUL, ESC,
    # backspace, a noncharacter. `report render` writes every format from it.
    # (A lone surrogate is not one: such a report is refused, the next test.)
    code, _, err = run_against_hostile(capsys, tmp_path, "content-type", controls=True)
    assert code == 1, err
    source = tmp_path / "reports" / "conformance-report.json"
    document = json.loads(source.read_text("utf-8"))
    hostile = "\x00\x1b[2J-\x08\x0b\ufffe"
    for result in document["results"]:
        result["reason"] = f"stopped {hostile}"
        for finding in result["findings"]:
            finding["message"] += hostile
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")  # ASCII, escaped
    out_dir = tmp_path / "rendered"
    args = [f for name in WRITERS for f in ("--format", name)]
    code, _, err = cli(
        capsys, "report", "render", edited, "--output-dir", out_dir, *args
    )
    assert code == 0, err
    read = _parses(out_dir)
    rendered = read["json"]
    assert isinstance(rendered, dict)
    assert hostile in _content_type_finding(rendered)  # the original text


def test_a_report_holding_a_lone_surrogate_is_refused_naming_the_place(
    tmp_path, capsys
):
    code, _, err = run_against_hostile(capsys, tmp_path, "content-type", controls=True)
    source = tmp_path / "reports" / "conformance-report.json"
    document = json.loads(source.read_text("utf-8"))
    document["results"][0]["reason"] = "stopped \ud800"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document), encoding="utf-8")  # ASCII, escaped
    code, _, err = cli(capsys, "report", "render", edited, "-o", tmp_path / "r.html")
    assert code == 2
    assert "/results/0/reason" in err and "lone surrogate" in err
    assert "Traceback" not in err


def test_a_payload_file_name_that_is_not_utf8_reaches_every_report(tmp_path):
    folder = tmp_path / "payloads"
    folder.mkdir()
    # A name with a byte that is not UTF-8 (a lone surrogate in Python) and ESC.
    name = b"bad-\xff-\x1b[31m.json"
    path = Path(folder, name.decode("utf-8", "surrogateescape"))
    path.write_text('{"fin": "5ZK3T2AB"}', encoding="utf-8")
    run = payload_run(PayloadTarget(id="x", paths=(path,), standard="person@1.1.0"))
    write_all(run, tmp_path / "reports")
    read = _parses(tmp_path / "reports")
    document = read["json"]
    assert isinstance(document, dict)
    files = [str(r["evidence"].get("file")) for r in document["results"]]
    # The byte that is not UTF-8 shown as \xff, so the report stays text
    # every reader takes and is read back; the ESC stays the data it was.
    assert any(f.endswith("/bad-\\xff-\x1b[31m.json") for f in files), files
    load_report(tmp_path / "reports" / "conformance-report.json", run.registry)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("plain.json", "plain.json"),
        ("şəki/ünvan.xml", "şəki/ünvan.xml"),
        (
            b"a/b-\xff\xfe.json".decode("utf-8", "surrogateescape"),
            "a/b-\\xff\\xfe.json",
        ),
        ("x\ud800y", "x\\ud800y"),  # no byte decodes into it
    ],
    ids=["ascii", "utf-8", "undecoded bytes", "other lone surrogate"],
)
def test_a_file_name_is_written_as_text_utf8_carries(name, shown):
    from conformance.reporting.escaping import file_name_text

    assert file_name_text(name) == shown
    file_name_text(name).encode("utf-8")  # carried


def test_a_writer_that_fails_does_not_stop_the_others(registry, tmp_path):
    target = PayloadTarget(id="mia:person", paths=(EXAMPLES,), standard="person@1.0.0")
    run = payload_run(target)
    folder = tmp_path / "reports"
    # Something in the way of one report: a folder where the file would go.
    (folder / "junit.xml").mkdir(parents=True)
    (folder / "junit.xml" / "keep").write_text("x", encoding="utf-8")
    with pytest.raises(ReportsNotWritten) as raised:
        write_all(run, folder)
    assert [path.name for path, _, _ in raised.value.failures] == ["junit.xml"]
    message = str(raised.value)
    assert "junit.xml" in message and "IsADirectoryError" in message
    assert "no earlier report is left there" in message
    written = {p.name for p in raised.value.written}
    assert written == {name for _, name in WRITERS.values()} - {"junit.xml"}
    for name in written:
        assert (folder / name).is_file()


# `conformance run` under a file size limit: the largest report cannot be
# written (EFBIG), like a full disk or a quota for one file.
_LIMITED = """
import resource, signal, sys
from conformance.cli.main import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


def test_a_report_that_cannot_be_written_leaves_no_stale_one(tmp_path):
    reports = tmp_path / "reports"
    args = [
        "run",
        "--reports-dir",
        str(reports),
        "--no-history",
        "--check",
        "content-type",
    ]
    first = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(2**40), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr
    sizes = sorted(
        ((reports / name).stat().st_size, name) for _, name in WRITERS.values()
    )
    (largest, too_large), (second, _) = sizes[-1], sizes[-2]
    assert largest > second * 1.1  # room for a run's few bytes of difference
    old_tar = etree.parse(str(reports / "tar.xml")).getroot().get("id")
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, str((largest + second) // 2), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 3, done.stderr
    # The run still says what it found, and which report is missing and why.
    assert "gate passed (conformant)" in done.stdout
    assert "verdict: conformant" in done.stdout
    assert f"1 report(s) not written: {reports / too_large}" in done.stderr
    assert "File too large" in done.stderr
    assert "internal error" not in done.stderr
    # The earlier run's file is gone; every other report is this run's.
    assert not (reports / too_large).exists()
    assert [p.name for p in reports.iterdir() if p.name.startswith(".")] == []
    for _, name in WRITERS.values():
        if name != too_large:
            assert (reports / name).is_file()
            assert f"/{name}\n" in done.stdout  # listed as written
    new_tar = etree.parse(str(reports / "tar.xml")).getroot().get("id")
    assert new_tar != old_tar


def _hostile_payloads(folder: Path) -> Path:
    """A payload whose name and values carry markup, a CR and control characters."""
    folder.mkdir(parents=True)
    name = "evil\r## forged heading <img src=x onerror=alert(1)>`x`|\x1b[2J.json"
    values = dict(
        PERSON,
        fin="<script>alert(2)</script>\r## forged\r| a | b |`x`",
        givenName="x\x1b[31m\x00",
    )
    (folder / name).write_text(json.dumps(values), encoding="utf-8")
    return folder


def _unescaped(line: str, char: str) -> int:
    """How many times ``char`` occurs in a Markdown line, not backslash-escaped."""
    count, escaped = 0, False
    for c in line:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == char:
            count += 1
    return count


def _assert_safe_markdown(text: str) -> None:
    assert not [c for c in text if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f")]
    assert "<script" not in text and "<img" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text  # shown, as text
    headings = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(headings) == 1 and headings[0].startswith("## Conformance: ")
    for line in text.splitlines():
        assert _unescaped(line, "`") == 0, line
        if line.startswith("| result | standard"):
            columns = _unescaped(line, "|")
        elif line.startswith("|") and "evil" in line:
            assert _unescaped(line, "|") == columns, line  # no cell added or cut


def test_the_markdown_summary_shows_markup_and_control_characters_as_text(
    tmp_path, capsys
):
    payloads = _hostile_payloads(tmp_path / "payloads")
    code, _, err = run_against_hostile(
        capsys, tmp_path, "content-type", controls=True, payloads=payloads
    )
    assert code == 1, err
    summary = (tmp_path / "reports" / "summary.md").read_text("utf-8")
    _assert_safe_markdown(summary)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in summary
    assert "onerror=alert(3)&gt;\\`\\|" in summary  # the reply's Content-Type
    assert "evil\\\\r## forged heading" in summary  # CR shown as \\r
    gate_summary = tmp_path / "gate.md"
    source = tmp_path / "reports" / "conformance-report.json"
    code, _, err = cli(capsys, "report", "gate", source, "--summary", gate_summary)
    assert code == 1, err
    _assert_safe_markdown(gate_summary.read_text("utf-8"))


_TERMINAL_CONTROLS = ("\x1b", "\x9b", "\x07", "\x00", "\r", "\x08", "\x7f")


def test_the_terminal_shows_a_reply_s_control_characters_and_forged_lines(
    tmp_path, capsys
):
    payloads = _hostile_payloads(tmp_path / "payloads")
    code, out, err = run_against_hostile(
        capsys, tmp_path, *CHECKS, controls=True, payloads=payloads
    )
    assert code == 1, err
    assert not [c for c in _TERMINAL_CONTROLS if c in out + err]
    lines = out.splitlines()
    # The reply's "verdict: conformant" and "gate passed" stay inside its line.
    assert [line for line in lines if line.startswith("verdict:")] == [
        "verdict: non-conformant"
    ]
    assert [line for line in lines if line.startswith("gate ")] == [
        next(line for line in lines if line.startswith("gate failed"))
    ]
    assert "\\rverdict: conformant\\r\\ngate passed\\x00" in out  # shown, escaped
    # Every finding on its own indented line, under its result's headline.
    results = lines[1 : lines.index(next(x for x in lines if " files checked" in x))]
    marks = ("FAIL  ", "warn  ", "ERR   ", "skip  ")
    assert all(line.startswith((*marks, "    ")) for line in results), results
    assert sum(line.startswith("FAIL  ") for line in results) == 4
    findings = [x for x in results if x.lstrip().startswith("error: ")]
    assert len(findings) == 5  # two FIN / name findings, three of the service
    assert all(x.startswith("      error: ") for x in findings)
    assert any("evil\\r## forged heading" in x for x in results)  # the file name


def test_validate_shows_a_payload_s_control_characters(tmp_path, capsys):
    folder = _hostile_payloads(tmp_path / "payloads")
    odd = folder / "name-\udcff-\u202e.json"  # not UTF-8; a bidi override
    odd.write_text(json.dumps(dict(PERSON, fin="bad")), encoding="utf-8")
    code, out, err = cli(capsys, "validate", folder, "--standard", "person@1.1.0")
    assert code == 1, err
    assert not [c for c in _TERMINAL_CONTROLS if c in out + err]
    assert "\\xff-\\u202e.json" in out and "\u202e" not in out
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("verdict:")] == [
        "verdict: non-conformant"
    ]
    code, out, err = cli(
        capsys, "validate", folder, "--standard", "person@1.1.0", "--format", "json"
    )
    assert code == 1, err
    assert not [c for c in (*_TERMINAL_CONTROLS, "\u202e") if c in out]
    document = json.loads(out)  # the same JSON: the byte shown, the rest as it is
    files = [str(r["evidence"]["file"]) for r in document["results"]]
    assert any(f.endswith("/name-\\xff-\u202e.json") for f in files)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_reports_get_the_mode_the_umask_gives_every_other_file(tmp_path):
    # A CI artifact store or a web server reads the reports: they are created
    # as open() creates the audit log, under the umask (here 022: 0644).
    reports = tmp_path / "reports"
    done = subprocess.run(
        [COMMAND, "run", "--reports-dir", str(reports), "--check", "content-type"],
        capture_output=True,
        text=True,
        timeout=300,
        umask=0o022,
    )
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in reports.iterdir())
    assert {name for _, name in WRITERS.values()} <= set(written)
    assert "dashboard.html" in written and "audit.log" in written
    modes = {name: oct(_mode(reports / name)) for name in written}
    assert set(modes.values()) == {"0o644"}, modes


def test_an_atomic_write_follows_the_current_umask(tmp_path):
    run = payload_run(
        PayloadTarget(id="mia:person", paths=(EXAMPLES,), standard="person@1.0.0")
    )
    before = os.umask(0o027)
    try:
        paths = write_all(run, tmp_path / "a")
        os.umask(0o002)
        paths += write_all(run, tmp_path / "b", ("json",))
    finally:
        os.umask(before)
    assert {oct(_mode(p)) for p in paths if p.parent.name == "a"} == {"0o640"}
    assert oct(_mode(tmp_path / "b" / "conformance-report.json")) == "0o664"


def test_report_compare_and_gate_show_a_file_name_s_control_characters(
    tmp_path, capsys
):
    # A payload's file name reaches result ids and titles: compare and gate
    # show it escaped, on its own line, in text and in Markdown.
    from report_helpers import cli, person_files, write_profile

    folder = person_files(tmp_path / "payloads", bad=0, good=1)
    hostile = folder / "a\x1b[2Jb\rverdict: conformant.json"
    hostile.write_text((folder / "good-0.json").read_text("utf-8"), "utf-8")
    profile = write_profile(tmp_path / "profiles", service=False, payloads=folder)
    reports = tmp_path / "reports"
    assert cli(capsys, "run", "--agency", profile, "--reports-dir", reports)[0] == 0
    hostile.write_text('{"fin": "bad"}', encoding="utf-8")
    cli(capsys, "run", "--agency", profile, "--reports-dir", reports)
    for args in (
        ("report", "compare", "previous", "latest", "--reports-dir", reports),
        (
            "report",
            "compare",
            "previous",
            "latest",
            "--format",
            "markdown",
            "--reports-dir",
            reports,
        ),
        ("report", "gate", "latest", "--reports-dir", reports),
    ):
        _, out, _ = cli(capsys, *args)
        assert "\x1b" not in out and "\r" not in out, args
        assert not [line for line in out.splitlines() if line.startswith("verdict:")], (
            args
        )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("plain ascii", "plain ascii"),
        ("del\x7fhere", "del\\u007fhere"),
        ("csi\x9b[2J", "csi\\u009b[2J"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("Ləman", "Ləman"),
    ],
)
def test_json_for_a_terminal_escapes_what_a_terminal_acts_on(value, shown):
    from conformance.reporting.escaping import json_for_a_terminal

    text = json.dumps({"v": value}, ensure_ascii=False)
    assert json_for_a_terminal(text) == f'{{"v": "{shown}"}}'
    assert json.loads(json_for_a_terminal(text)) == {"v": value}
