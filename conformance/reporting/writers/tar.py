"""A test assertion report in the shape of the EU Interoperability Test Bed's TAR.

The GITB Test Reporting Language (namespace ``http://www.gitb.com/tr/v1/``)
defines ``TAR``, the report its validators return: a date, an overall
``result`` (SUCCESS, FAILURE, WARNING, UNDEFINED), an ``overview``, the
``counters`` of assertions, errors and warnings, a ``context`` of named
values, and ``reports`` holding one ``error``, ``warning`` or ``info`` item
(of type ``BAR``) per assertion, with its description, location, test,
assertion id, type and value.

Here the root is ``TestStepReport`` of type ``TAR`` (a root the GITB
schema declares). Each finding of a counted failure is an ``error``; a
finding of a SHOULD or MAY failure, of a waived failure, or of warning
weight is a ``warning``; a result that passed, or could not be checked,
is one ``info``. ``assertionID`` is the requirement id.

Every text and attribute goes through
:func:`~conformance.reporting.escaping.xml_safe`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from lxml import etree

from conformance import __version__
from conformance.atomic import write_bytes_atomic
from conformance.model import Finding, Level, Outcome, Result, Severity
from conformance.reporting.escaping import xml_safe
from conformance.results.run import REPORT_STANDARD, Run, Verdict, level_of

TR = "http://www.gitb.com/tr/v1/"
CORE = "http://www.gitb.com/core/v1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {None: TR, "gitb": CORE, "xsi": XSI}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(parent: etree._Element, name: str, value: str) -> etree._Element:
    node = etree.SubElement(parent, _q(TR, name))
    node.text = xml_safe(value)
    return node


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def overall_result(run: Run) -> str:
    """SUCCESS, FAILURE, WARNING (conformant, with SHOULD failures or warnings)
    or UNDEFINED (incomplete)."""
    verdict = run.verdict
    if verdict is Verdict.NON_CONFORMANT:
        return "FAILURE"
    if verdict is Verdict.INCOMPLETE:
        return "UNDEFINED"
    noted = any(
        r.outcome is Outcome.WARNING or (r.outcome is Outcome.FAILED)
        for r in run.results
    )
    return "WARNING" if noted else "SUCCESS"


def _kind(result: Result, finding: Finding | None) -> str:
    if result.outcome is not Outcome.FAILED:
        return "info" if finding is None else "warning"
    if finding is not None and finding.severity is Severity.WARNING:
        return "warning"
    if result.waived or level_of(result) != Level.MUST.value:
        return "warning"
    return "error"


def _item(
    reports: etree._Element, kind: str, result: Result, finding: Finding | None
) -> None:
    node = etree.SubElement(reports, _q(TR, kind))
    node.set(_q(XSI, "type"), "BAR")
    if finding is not None:
        description = finding.message
        location = finding.location
        if result.evidence.get("file"):
            location = f"{result.evidence['file']}: {location}"
        requirement = finding.requirement or (
            result.requirement.id if result.requirement else None
        )
        kind_of = finding.rule
    else:
        description = result.reason or f"{result.title}: {result.outcome.value}"
        location = str(result.evidence.get("file") or result.target)
        requirement = result.requirement.id if result.requirement else None
        kind_of = result.outcome.value
    if result.waiver is not None:
        state = "in force" if result.waiver.active else "expired"
        description += (
            f" [waiver {result.waiver.id} {state}, expires {result.waiver.expires}]"
        )
    if requirement:
        _text(node, "assertionID", requirement)
    _text(node, "description", description)
    _text(node, "location", location)
    _text(node, "test", result.id)
    _text(node, "type", kind_of)
    _text(node, "value", "waived" if result.waived else result.outcome.value)


def build_tar(run: Run) -> etree._Element:
    """The TAR document of a run."""
    root = etree.Element(_q(TR, "TestStepReport"), nsmap=NSMAP)
    root.set(_q(XSI, "type"), "TAR")
    root.set("id", xml_safe(run.id))
    root.set("name", xml_safe(run.command))
    _text(root, "date", _stamp(run.finished or run.started))
    _text(root, "result", overall_result(run))
    overview = etree.SubElement(root, _q(TR, "overview"))
    _text(overview, "profileID", REPORT_STANDARD)
    _text(overview, "validationServiceName", "egov-conformance")
    _text(overview, "validationServiceVersion", __version__)
    if not run.complete:
        _text(overview, "note", f"incomplete: {run.interruption or 'not finished'}")
    counters = etree.SubElement(root, _q(TR, "counters"))
    context = etree.SubElement(root, _q(TR, "context"))
    for name, value in (
        ("run", run.id),
        ("command", run.command),
        ("verdict", run.verdict.value),
        ("complete", "true" if run.complete else "false"),
        ("started", _stamp(run.started)),
    ):
        item = etree.SubElement(context, _q(CORE, "item"))
        item.set("name", name)
        item.set("embeddingMethod", "STRING")
        item.set("type", "string")
        etree.SubElement(item, _q(CORE, "value")).text = xml_safe(value)
    reports = etree.SubElement(root, _q(TR, "reports"))
    for result in run.results:
        if result.findings and result.outcome in (Outcome.FAILED, Outcome.WARNING):
            for finding in result.findings:
                _item(reports, _kind(result, finding), result, finding)
        else:
            _item(reports, "error" if _counted(result) else "info", result, None)
    kinds = [child.tag for child in reports]
    _text(counters, "nrOfAssertions", str(len(kinds)))
    _text(counters, "nrOfErrors", str(kinds.count(_q(TR, "error"))))
    _text(counters, "nrOfWarnings", str(kinds.count(_q(TR, "warning"))))
    return root


def _counted(result: Result) -> bool:
    # A failure without findings (a lifecycle failure read back from an old
    # report) still counts; everything else without findings is an info.
    return (
        result.outcome is Outcome.FAILED
        and not result.waived
        and level_of(result) == Level.MUST.value
    )


def write_tar(run: Run, path: Path) -> None:
    """Write the TAR report atomically."""
    data = etree.tostring(
        build_tar(run), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    write_bytes_atomic(path, data)
