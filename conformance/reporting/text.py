"""The one text renderer of a result and its findings.

The terminal (``conformance validate`` and ``run``), pytest's failure text,
JUnit's failure bodies and the Markdown summary all show a finding the same
way: ``severity: location: message``, then the rule, the schema location and
the requirement it breaks. A service check adds how to reproduce it.

Every line is :func:`~conformance.reporting.escaping.one_line`: a control
character a service or a payload sent (CR, LF, ESC, ...) is shown as its
escape, so each finding stays on its own line and nothing a service sends
can start a line of its own or act on a terminal.
"""

from __future__ import annotations

from conformance.model import Finding, Outcome, Result, Severity
from conformance.registry.standards import Registry
from conformance.reporting.escaping import one_line

_SHOWN_EXCHANGES = 3
_REPLY_EXCERPT = 300


def finding_line(finding: Finding) -> str:
    """One line: ``error: line 2, column 10, /fin: message``.

    A finding about a whole exchange (a service check's) has no place to name.
    """
    placed = (finding.line, finding.pointer, finding.xpath) != (None, None, None)
    where = f"{finding.location}: " if placed else ""
    return one_line(f"{finding.severity.value}: {where}{finding.message}")


def finding_detail(finding: Finding, registry: Registry | None) -> str:
    """The rule, the schema location and the requirement (with its text)."""
    detail = [f"rule {finding.rule}"]
    if finding.schema_location:
        detail.append(f"at {finding.schema_location}")
    if finding.requirement:
        requirement = (
            registry.requirement(finding.standard, finding.requirement)
            if registry is not None and finding.standard
            else None
        )
        if requirement is not None:
            detail.append(
                f"requirement {requirement.id} ({requirement.level}):"
                f" {requirement.text}"
            )
        else:
            detail.append(f"requirement {finding.requirement}")
    return one_line("; ".join(detail))


def cited_requirements(result: Result) -> list[str]:
    """The requirements a result breaks, as its findings cite them.

    A payload fails its binding's requirement (PER-1) while its findings
    cite the rules it broke (PER-3, PER-5): those are what a reader needs.
    The error findings' requirements in order, else every finding's, else
    the result's own requirement.
    """
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    cited = [f.requirement for f in errors or result.findings if f.requirement]
    if cited:
        return list(dict.fromkeys(cited))
    return [result.requirement.id] if result.requirement is not None else []


def headline(result: Result) -> str:
    """What the result says, in one line."""
    if result.kind != "payload":
        return one_line(result.title)
    shown = result.evidence.get("file", result.target)
    against = result.standard or "its standard"
    if result.outcome is Outcome.ERROR:
        line = f"{shown} could not be checked against {against}"
    elif result.outcome in (Outcome.PASSED, Outcome.WARNING):
        line = f"{shown} conforms to {against}"
    else:
        line = f"{shown} does not conform to {against}"
    if "records" in result.evidence:
        line += (
            f"; {result.evidence['failed_records']} of"
            f" {result.evidence['records']} records failed"
        )
    return one_line(line)


def render_result(
    result: Result,
    registry: Registry | None,
    *,
    max_findings: int | None = None,
    more_hint: str = "",
) -> list[str]:
    """The headline, then the :func:`details` indented under it."""
    body = details(result, registry, max_findings=max_findings, more_hint=more_hint)
    return [headline(result), *(f"  {line}" for line in body)]


def details(
    result: Result,
    registry: Registry | None,
    *,
    max_findings: int | None = None,
    more_hint: str = "",
) -> list[str]:
    """Requirement, waiver, reason, each finding with its rule, and the replay.

    With ``max_findings`` the rest are counted, not shown; ``more_hint``
    says where to find them.
    """
    lines = []
    requirement = result.requirement
    if requirement is not None and result.kind != "payload":
        lines.append(
            f"requirement {requirement.id} ({requirement.level}): {requirement.text}"
        )
    if result.waiver is not None:
        state = "in force" if result.waiver.active else "expired"
        lines.append(
            f"waiver {result.waiver.id} ({state}, expires"
            f" {result.waiver.expires}): {result.waiver.reason}"
        )
    if result.reason:
        lines.append(f"{result.outcome.value}: {result.reason}")
    shown = result.findings if max_findings is None else result.findings[:max_findings]
    for finding in shown:
        lines.append(finding_line(finding))
        lines.append(f"  {finding_detail(finding, registry)}")
    hidden = len(result.findings) - len(shown)
    if hidden > 0:
        lines.append(f"… {hidden} more findings{more_hint}")
    lines += _replay(result)
    lines += _fuzzed(result)
    return [one_line(line) for line in lines]


def _fuzzed(result: Result) -> list[str]:
    """How to repeat a fuzzing failure: its seed, and the case kept for it."""
    fuzz = result.evidence.get("fuzz")
    if not isinstance(fuzz, dict) or result.outcome is Outcome.PASSED:
        return []
    seed = fuzz.get("seed")
    if seed is None:
        return []
    request = "the shrunk request above" if fuzz.get("shrunk") else "the request above"
    lines = [
        f"  fuzzing: {request}, found with seed {seed} (repeat: --fuzz-seed {seed})"
    ]
    if fuzz.get("regression_case"):
        lines.append(f"  kept as a regression case: {fuzz['regression_case']}")
    if fuzz.get("replayed"):
        lines.append(f"  replayed regression case: {fuzz['replayed']}")
    return lines


def _replay(result: Result) -> list[str]:
    exchanges = result.evidence.get("exchanges") or []
    if not exchanges or result.outcome is Outcome.PASSED:
        return []
    lines = ["  reproduce with:"]
    lines += [f"    {e['curl']}" for e in exchanges[-_SHOWN_EXCHANGES:]]
    last = exchanges[-1].get("response")
    if last:
        lines.append(f"  last reply: {last['status']} {last['body'][:_REPLY_EXCERPT]}")
    return lines
