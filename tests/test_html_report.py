"""The HTML run report: every failure's evidence, escaping, self-containment.

The page in a real browser (filters, languages, no script from a reply
running) is in test_dashboard_browser.py; here the file itself is read.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from report_helpers import (
    HOSTILE_BODY,
    QUICK_CHECKS,
    cli,
    person_files,
    report_of,
    run_against_hostile,
    write_profile,
)


class _Page(HTMLParser):
    """Collects what matters for safety: scripts, external references, ids."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.sources: list[str] = []
        self.ids: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name, value in attrs:
            if name in ("src", "srcset") or (tag == "link" and name == "href"):
                self.sources.append(f"{tag} {name}={value}")
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    """A run with payload failures and a reference service with two faults on."""
    folder = tmp_path_factory.mktemp("faulty")
    payloads = person_files(folder / "payloads", bad=2, good=1)
    profile = write_profile(
        folder / "profiles",
        faults=("lose-correlation-id", "leak-internals"),
        payloads=payloads,
    )
    reports = folder / "reports"
    from conformance.cli.main import main

    code = main(
        [
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(reports),
            "--lang",
            "en",
            *QUICK_CHECKS,
            "--check",
            "no-internals",
        ]
    )
    assert code == 1
    return reports


def test_every_failure_is_shown_with_its_evidence(faulty_run):
    text = (faulty_run / "report.html").read_text("utf-8")
    document = report_of(faulty_run)
    page = _parse(text)
    failures = [r for r in document["results"] if r["outcome"] == "failed"]
    assert len(failures) >= 4  # two payloads, two service faults
    requirements = {(r["standard"], r["id"]): r for r in document["requirements"]}
    for result in failures:
        assert result["title"] in text.replace("&#39;", "'"), result["id"]
        requirement = requirements[(result["standard"], result["requirement"])]
        assert requirement["text"] in text
        for finding in result["findings"]:
            assert finding["message"].split("'")[0].split('"')[0] in text
        if result["kind"] == "service":
            for exchange in result["evidence"]["exchanges"]:
                assert exchange["request"]["url"] in text  # the request
                assert "curl -i" in text  # how to reproduce
        else:
            assert f"conformance validate --standard {result['standard']}" in text
    # each failure has its own anchor, linked from the results table
    anchors = re.findall(r'<article class="failure[^"]*" id="(r-[0-9a-f]{16})"', text)
    assert len(anchors) == len(failures) == len(set(anchors))
    for anchor in anchors:
        assert f'href="#{anchor}"' in text
    assert anchors[0] in page.ids


def test_the_summary_scores_standards_classes_and_levels(faulty_run):
    text = (faulty_run / "report.html").read_text("utf-8")
    for section in ('id="by-standard"', 'id="by-class"', 'id="by-level"'):
        assert section in text
    assert "person@1.1.0" in text and "person@1.2.0" in text
    # The classes are there, by their names in both languages.
    for klass, az, en in (
        ("payloads", "Məlumat faylları", "Payloads"),
        ("core", "Əsas", "Core"),
        ("errors", "Xətalar", "Errors"),
    ):
        assert (
            f'<tr data-class="{klass}"><td><span class="l-az" lang="az">{az}</span>'
            in text
        )
        assert f'<span class="l-en" lang="en">{en}</span></td>' in text
    assert '<html lang="en" data-lang="en">' in text  # --lang en
    assert "Uyğunluq hesabatı" in text and "Conformance report" in text


def test_the_report_is_self_contained_and_printable(faulty_run):
    text = (faulty_run / "report.html").read_text("utf-8")
    page = _parse(text)
    assert page.sources == []  # no script, image or stylesheet from anywhere
    assert not re.search(r"(?i)@import|url\(", text)
    assert "default-src 'none'" in text  # the CSP forbids fetching anything
    assert len(page.scripts) == 1 and page.scripts[0].get("nonce")
    assert "@media print" in text


def test_hostile_reply_content_is_escaped(tmp_path, capsys):
    code, _, err = run_against_hostile(
        capsys, tmp_path, "content-type", "json-body", "correlation-id"
    )
    assert code == 1, err
    text = (tmp_path / "reports" / "report.html").read_text("utf-8")
    page = _parse(text)
    assert len(page.scripts) == 1  # only the page's own script
    assert page.handlers == []  # no onerror= or any other handler survived
    assert page.sources == []  # the <img src> is text, not an element
    assert "window.__pwned" in text  # the reply is shown ...
    assert "<script>window.__pwned" not in text  # ... as text
    assert "&lt;script&gt;window.__pwned = 1" in text
    assert "&lt;script&gt;window.__pwned = 4&lt;/script&gt;" in text  # a header
    assert HOSTILE_BODY not in text


def test_a_payload_with_markup_is_escaped_too(tmp_path, capsys):
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "evil.json").write_text(
        '{"fin": "<script>alert(1)</script>"}', encoding="utf-8"
    )
    profile = write_profile(tmp_path / "p", service=False, payloads=folder)
    code, _, _ = cli(
        capsys, "run", "--agency", profile, "--reports-dir", tmp_path / "r"
    )
    assert code == 1
    text = (tmp_path / "r" / "report.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
