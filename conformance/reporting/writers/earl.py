"""An EARL report (W3C Evaluation and Report Language 1.0) in RDF/XML.

Shaped as the OGC TEAM Engine writes its ``earl-results.rdf``, so tools
that read TEAM Engine results read ours:

- one ``cite:TestRun`` with the run's id, start, duration, the tallies
  ``cite:testsPassed``/``testsFailed``/``testsSkipped``, the targets as
  ``cite:inputs``, and one ``earl:TestRequirement`` per conformance class
  (its tallies, its test cases as ``dct:hasPart``) under ``cite:requirements``;
- one ``earl:Assertion`` per result: asserted by the suite
  (``earl:Software``), about a target (``earl:TestSubject``), for a test
  case whose description is the requirement's text, with an
  ``earl:TestResult``.

TEAM Engine's readers know three outcomes, so a result maps to
``earl:passed`` (passed, warning), ``earl:failed`` (failed, waived or not)
or ``earl:untested`` (skipped, not applicable, error); the suite's own
outcome, level and waiver ride along in the ``conf:`` vocabulary.

Every literal goes through :func:`~conformance.reporting.escaping.xml_safe`
and every URI is percent-encoded, so no character a service sends can stop
the document being written or read.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from conformance import __version__
from conformance.atomic import write_bytes_atomic
from conformance.model import Outcome, Result
from conformance.reporting.escaping import xml_safe
from conformance.results.run import Run, level_of
from conformance.results.scores import class_of

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
EARL = "http://www.w3.org/ns/earl#"
DCT = "http://purl.org/dc/terms/"
CITE = "http://cite.opengeospatial.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
CONF = "https://standards.e-gov.az/ns/conformance#"
NSMAP = {"rdf": RDF, "earl": EARL, "dct": DCT, "cite": CITE, "conf": CONF}
TOOL = "urn:egov-conformance:tool"

_EARL_OUTCOME = {
    Outcome.PASSED: "passed",
    Outcome.WARNING: "passed",
    Outcome.FAILED: "failed",
    Outcome.SKIPPED: "untested",
    Outcome.NOT_APPLICABLE: "untested",
    Outcome.ERROR: "untested",
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(parent: etree._Element, ns: str, name: str, value: str) -> etree._Element:
    node = etree.SubElement(parent, _q(ns, name))
    node.text = xml_safe(value)
    return node


def _typed(parent: etree._Element, ns: str, name: str, value: str, kind: str) -> None:
    _text(parent, ns, name, value).set(_q(RDF, "datatype"), XSD + kind)


def _ref(parent: etree._Element, ns: str, name: str, uri: str) -> None:
    etree.SubElement(parent, _q(ns, name)).set(_q(RDF, "resource"), uri)


def _quoted(text: str, safe: str = ":/@") -> str:
    # A lone surrogate (a file name that is not UTF-8) is encoded as it is
    # held, not refused: the URI stays one per text.
    return quote(text, safe=safe, errors="surrogatepass")


def case_uri(result: Result) -> str:
    """The test case of one result: one check (or file) on one target."""
    return "urn:egov-conformance:test:" + _quoted(result.id)


def subject_uri(target: str) -> str:
    """The test subject: a target of the run."""
    return "urn:egov-conformance:target:" + _quoted(target)


def _duration(run: Run) -> str:
    if run.finished is None:
        return "PT0S"
    seconds = max((run.finished - run.started).total_seconds(), 0.0)
    return f"PT{seconds:.3f}S"


def _tallies(node: etree._Element, results: list[Result]) -> None:
    counts = Counter(_EARL_OUTCOME[r.outcome] for r in results)
    _typed(node, CITE, "testsPassed", str(counts["passed"]), "int")
    _typed(node, CITE, "testsFailed", str(counts["failed"]), "int")
    _typed(node, CITE, "testsSkipped", str(counts["untested"]), "int")


def _description(result: Result) -> str:
    lines = [
        f"{f.severity.value}: {f.location}: {f.message} ({f.rule})"
        for f in result.findings
    ]
    if result.reason:
        lines.append(result.reason)
    if result.waiver is not None:
        state = "in force" if result.waiver.active else "expired"
        lines.append(
            f"waiver {result.waiver.id} ({state}, expires"
            f" {result.waiver.expires}): {result.waiver.reason}"
        )
    return "\n".join(lines) or result.outcome.value


def build_earl(run: Run) -> etree._Element:
    """The EARL document of a run."""
    root = etree.Element(_q(RDF, "RDF"), nsmap=NSMAP)
    test_run = etree.SubElement(root, _q(CITE, "TestRun"))
    test_run.set(_q(RDF, "about"), f"urn:uuid:{_quoted(run.id)}")
    _text(test_run, DCT, "title", run.command)
    _text(test_run, DCT, "identifier", run.id)
    _text(test_run, DCT, "created", run.started.isoformat().replace("+00:00", "Z"))
    _typed(test_run, DCT, "extent", _duration(run), "duration")
    _tallies(test_run, run.results)
    _text(test_run, CONF, "verdict", run.verdict.value)
    _typed(test_run, CONF, "complete", "true" if run.complete else "false", "boolean")
    if run.interruption:
        _text(test_run, CONF, "interruption", run.interruption)
    inputs = etree.SubElement(
        etree.SubElement(test_run, _q(CITE, "inputs")), _q(RDF, "Bag")
    )
    for target in run.targets:
        item = etree.SubElement(inputs, _q(RDF, "li"))
        item.set(_q(RDF, "parseType"), "Resource")
        _text(item, DCT, "title", target.id)
        _text(item, DCT, "description", target.location or target.standard or "")
    by_class: dict[str, list[Result]] = defaultdict(list)
    for result in run.results:
        by_class[class_of(result)].append(result)
    sequence = etree.SubElement(
        etree.SubElement(test_run, _q(CITE, "requirements")), _q(RDF, "Seq")
    )
    for name, results in sorted(by_class.items()):
        requirement = etree.SubElement(
            etree.SubElement(sequence, _q(RDF, "li")), _q(EARL, "TestRequirement")
        )
        requirement.set(
            _q(RDF, "about"), f"urn:egov-conformance:class:{_quoted(name, '/')}"
        )
        _text(requirement, DCT, "title", name)
        _tallies(requirement, results)
        for result in results:
            _ref(requirement, DCT, "hasPart", case_uri(result))
    software = etree.SubElement(root, _q(EARL, "Software"))
    software.set(_q(RDF, "about"), TOOL)
    _text(software, DCT, "title", "egov-conformance")
    _text(software, DCT, "hasVersion", __version__)
    targets = {t.id: t for t in run.targets}
    for target_id in sorted({r.target for r in run.results}):
        subject = etree.SubElement(root, _q(EARL, "TestSubject"))
        subject.set(_q(RDF, "about"), subject_uri(target_id))
        _text(subject, DCT, "title", target_id)
        known = targets.get(target_id)
        if known is not None and (known.location or known.standard):
            _text(subject, DCT, "description", known.location or "")
            if known.standard:
                _text(subject, DCT, "conformsTo", known.standard)
    for result in run.results:
        _assertion(root, run, result)
    return root


def _assertion(root: etree._Element, run: Run, result: Result) -> None:
    assertion = etree.SubElement(root, _q(EARL, "Assertion"))
    _ref(assertion, EARL, "assertedBy", TOOL)
    _ref(assertion, EARL, "subject", subject_uri(result.target))
    case = etree.SubElement(
        etree.SubElement(assertion, _q(EARL, "test")), _q(EARL, "TestCase")
    )
    case.set(_q(RDF, "about"), case_uri(result))
    _text(case, DCT, "title", result.title)
    if result.requirement is not None:
        _text(case, DCT, "description", result.requirement.text or result.title)
        _text(case, DCT, "identifier", result.requirement.id)
        _text(case, DCT, "source", result.requirement.source)
    _text(case, CONF, "level", level_of(result))
    outcome = etree.SubElement(
        etree.SubElement(assertion, _q(EARL, "result")), _q(EARL, "TestResult")
    )
    _ref(outcome, EARL, "outcome", EARL + _EARL_OUTCOME[result.outcome])
    _text(outcome, DCT, "description", _description(result))
    _text(
        outcome,
        DCT,
        "date",
        (run.finished or run.started).isoformat().replace("+00:00", "Z"),
    )
    _text(outcome, CONF, "outcome", "waived" if result.waived else result.outcome.value)
    if result.waiver is not None:
        _text(outcome, CONF, "waiver", result.waiver.id)
        _typed(
            outcome, CONF, "waiverExpires", result.waiver.expires.isoformat(), "date"
        )
    _ref(assertion, EARL, "mode", EARL + "automatic")


def write_earl(run: Run, path: Path) -> None:
    """Write the EARL report atomically."""
    data = etree.tostring(
        build_earl(run), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    write_bytes_atomic(path, data)
