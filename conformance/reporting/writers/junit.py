"""JUnit XML for CI: one test case per result, requirement id and level attached.

Every name, message and body goes through
:func:`~conformance.reporting.escaping.xml_safe`: a reply's control
characters are shown as escapes, never refused by the XML library.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from lxml import etree

from conformance.atomic import write_bytes_atomic
from conformance.model import Outcome, Result
from conformance.reporting.escaping import xml_safe
from conformance.reporting.text import cited_requirements, details
from conformance.results.run import Run


def write_junit(run: Run, path: Path) -> None:
    """Write one ``testsuite`` per target, atomically."""
    by_target: dict[str, list[Result]] = defaultdict(list)
    for result in run.results:
        by_target[_group(result)].append(result)
    suites = etree.Element("testsuites", name="conformance")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for group, results in by_target.items():
        suite = _node(suites, "testsuite", name=group)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        for result in results:
            counts["tests"] += 1
            counts["time"] += result.duration
            case = _node(
                suite,
                "testcase",
                classname=result.standard or result.kind,
                name=result.id,
                time=f"{result.duration:.6f}",
            )
            properties = _node(case, "properties")
            for name, value in _properties(result):
                _node(properties, "property", name=name, value=value)
            text = "\n".join(details(result, run.registry))
            if result.waived:
                # A failure under a waiver in force does not fail the gate, so it
                # must not turn the CI job red either; its findings stay visible.
                counts["skipped"] += 1
                assert result.waiver is not None
                _node(
                    case,
                    "skipped",
                    message=f"waived ({result.waiver.id}) until"
                    f" {result.waiver.expires}: {result.waiver.reason}",
                )
                _node(case, "system-out", text)
            elif result.outcome is Outcome.FAILED:
                counts["failures"] += 1
                _node(
                    case,
                    "failure",
                    text,
                    message=result.title,
                    type=", ".join(cited_requirements(result)) or "conformance",
                )
            elif result.outcome is Outcome.ERROR:
                counts["errors"] += 1
                _node(case, "error", text, message=result.reason or "error")
            elif result.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE):
                counts["skipped"] += 1
                _node(case, "skipped", message=result.reason or result.outcome.value)
            elif text:
                _node(case, "system-out", text)
        for key, amount in counts.items():
            suite.set(key, f"{amount:.6f}" if key == "time" else str(amount))
            totals[key] += amount
    for key, amount in totals.items():
        suites.set(key, f"{amount:.6f}" if key == "time" else str(amount))
    data = etree.tostring(
        suites, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    write_bytes_atomic(path, data)


def _node(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    """A child element whose attributes and text are made XML-safe."""
    node = etree.SubElement(
        parent, tag, {name: xml_safe(value) for name, value in attributes.items()}
    )
    if text is not None:
        node.text = xml_safe(text)
    return node


def _group(result: Result) -> str:
    return result.evidence.get("agency") or result.kind


def _properties(result: Result) -> list[tuple[str, str]]:
    props = [("outcome", result.outcome.value), ("target", result.target)]
    if result.standard:
        props.append(("standard", result.standard))
    if result.requirement:
        props.append(("requirement", result.requirement.id))
        props.append(("level", result.requirement.level.value))
    for key in ("check", "conformance_class"):
        if result.evidence.get(key):
            props.append((key, str(result.evidence[key])))
    if result.waiver is not None:
        props.append(("waiver", result.waiver.id))
        props.append(("waiver_expires", result.waiver.expires.isoformat()))
        props.append(("waiver_status", "active" if result.waiver.active else "expired"))
    return props
