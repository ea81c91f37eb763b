"""What a page shows of one result: its evidence, made plain for a template.

The HTML report and the dashboard show a failure the same way; this module
turns a :class:`Result` into that shape once, so the templates hold no
logic beyond layout.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TypedDict

from conformance.model import (
    ExchangeEvidence,
    Finding,
    Level,
    Outcome,
    Requirement,
    Result,
)
from conformance.reporting.templating import anchor
from conformance.results.run import Run, level_of
from conformance.results.scores import Subjects, class_of

SHOWN_FINDINGS = 50
_EVIDENCE_SHOWN_ELSEWHERE = {"exchanges", "agency", "service", "conformance_class"}
_VALUE_LIMIT = 2000


def outcome_tokens(result: Result) -> str:
    """The values the outcome filter matches: ``failed waived`` for a waived failure."""
    return f"{result.outcome.value} waived" if result.waived else result.outcome.value


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One line of the results table."""

    result: Result
    agency: str
    standard: str
    level: str
    outcomes: str
    anchor: str | None


class RequestView(TypedDict):
    """The request of an exchange, as a page shows it."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None


class ResponseView(TypedDict):
    """The reply of an exchange, as a page shows it."""

    status: int | str
    headers: dict[str, str]
    body: str


class ExchangeView(TypedDict):
    """One recorded exchange, every key present (templates are strict)."""

    request: RequestView
    response: ResponseView | None
    error: str | None
    curl: str | None


@dataclass(frozen=True, slots=True)
class FailureView:
    """A failed (or unchecked) result with everything a reviewer needs."""

    result: Result
    anchor: str
    agency: str
    agency_name: str | None
    standard: str
    level: str
    klass: str
    outcomes: str
    findings: list[tuple[Finding, Requirement | None]]
    hidden_findings: int
    exchanges: list[ExchangeView]
    other_evidence: list[tuple[str, str]]
    reproduce: list[str]


def is_failure(result: Result) -> bool:
    """Results the failure sections show: failed ones and those not checked."""
    return result.outcome in (Outcome.FAILED, Outcome.ERROR)


def result_anchor(run: Run, result: Result) -> str:
    """The HTML id of a result's evidence, stable for one run."""
    return anchor(run.id, result.id)


def _exchange(data: ExchangeEvidence) -> ExchangeView:
    # Templates are strict about missing keys; evidence may lack any of them.
    # Evidence is any JSON a check recorded (ServiceClient's to_evidence).
    request = data.get("request") or {}
    response = data.get("response")
    return {
        "request": {
            "method": request.get("method", ""),
            "url": request.get("url", ""),
            "headers": request.get("headers") or {},
            "body": request.get("body"),
        },
        "response": None
        if response is None
        else {
            "status": response.get("status", ""),
            "headers": response.get("headers") or {},
            "body": response.get("body", ""),
        },
        "error": data.get("error"),
        "curl": data.get("curl"),
    }


def _plain(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > _VALUE_LIMIT:
        text = text[:_VALUE_LIMIT] + f"… ({len(text):,} characters)"
    return text


def _cited(run: Run, finding: Finding) -> Requirement | None:
    if not (finding.requirement and finding.standard):
        return None
    found = run.registry.requirement(finding.standard, finding.requirement)
    if found is not None:
        return found
    for item in run.recorded_requirements:
        if (item["standard"], item["id"]) == (finding.standard, finding.requirement):
            return Requirement(
                item["id"], Level(item["level"]), item["text"], item["source"]
            )
    return None


def _reproduce(result: Result, exchanges: list[ExchangeView]) -> list[str]:
    commands = [curl for e in exchanges if (curl := e["curl"])]
    if commands:
        return commands
    path = result.evidence.get("file")
    if result.kind == "payload" and path:
        standard = f"--standard {result.standard} " if result.standard else ""
        return [f"conformance validate {standard}{shlex.quote(str(path))}"]
    return []


def failure_view(run: Run, result: Result, subjects: Subjects) -> FailureView:
    """The evidence view of one result."""
    exchanges = [_exchange(e) for e in result.evidence.get("exchanges") or []]
    agency = subjects.agency(result)
    return FailureView(
        result=result,
        anchor=result_anchor(run, result),
        agency=agency,
        agency_name=subjects.agency_name(agency),
        standard=subjects.standard(result),
        level=level_of(result),
        klass=class_of(result),
        outcomes=outcome_tokens(result),
        findings=[(f, _cited(run, f)) for f in result.findings[:SHOWN_FINDINGS]],
        hidden_findings=max(len(result.findings) - SHOWN_FINDINGS, 0),
        exchanges=exchanges,
        other_evidence=[
            (key, _plain(value))
            for key, value in result.evidence.items()
            if key not in _EVIDENCE_SHOWN_ELSEWHERE
        ],
        reproduce=_reproduce(result, exchanges),
    )


def result_row(run: Run, result: Result, subjects: Subjects) -> ResultRow:
    """The results-table line of one result."""
    return ResultRow(
        result=result,
        agency=subjects.agency(result),
        standard=subjects.standard(result),
        level=level_of(result),
        outcomes=outcome_tokens(result),
        anchor=result_anchor(run, result) if is_failure(result) else None,
    )
