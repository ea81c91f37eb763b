"""Plain data shared by every layer: outcomes, levels, requirements, findings.

No behaviour lives here beyond small conveniences, so that the plugin, the
command line, the writers and the tests all speak the same types.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Required, TypedDict


class Outcome(enum.StrEnum):
    """The result of one check on one target.

    ``error`` means the tool or the target's infrastructure failed; it is
    not a non-conformance. ``skipped`` and ``not_applicable`` never count
    as a pass.
    """

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Level(enum.StrEnum):
    """Requirement levels as in RFC 2119."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Severity(enum.StrEnum):
    """How a single finding weighs: an error fails the check, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Requirement:
    """One testable statement with a stable id."""

    id: str
    level: Level
    text: str
    source: str  # the standard and clause, e.g. "person@1.1.0 §3"


class FindingDocument(TypedDict, total=False):
    """A finding as the JSON report holds it: empty fields left out."""

    message: Required[str]
    rule: Required[str]
    severity: Required[str]
    pointer: str
    xpath: str
    line: int
    column: int
    schema_location: str
    requirement: str
    standard: str


class WaiverDocument(TypedDict, total=False):
    """A waiver on a result as the JSON report holds it."""

    id: Required[str]
    reason: Required[str]
    expires: Required[str]
    status: Required[str]
    granted: str
    granted_by: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong (or worth a warning) in one document.

    ``pointer`` is a JSON Pointer (RFC 6901) for JSON, ``xpath`` an XPath for
    XML; ``line`` and ``column`` are 1-based positions in the input file when
    the input has them. ``rule`` names what was broken: a JSON Schema keyword
    (``pattern``), an XSD validation rule (``cvc-pattern-valid``) or one of the
    suite's own input rules (``json-duplicate-key``).
    """

    message: str
    rule: str
    pointer: str | None = None
    xpath: str | None = None
    line: int | None = None
    column: int | None = None
    schema_location: str | None = None
    requirement: str | None = None
    standard: str | None = None
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        """Where the finding is, as a person reads it: ``line 3, column 9, /fin``."""
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
            if self.column is not None:
                parts.append(f"column {self.column}")
        where = self.pointer if self.pointer is not None else self.xpath
        if where is not None:
            parts.append(where or "/")
        return ", ".join(parts) or "document"

    def to_dict(self) -> FindingDocument:
        """A JSON-ready mapping with empty fields left out."""
        data = FindingDocument(
            message=self.message, rule=self.rule, severity=self.severity.value
        )
        if self.pointer is not None:
            data["pointer"] = self.pointer
        if self.xpath is not None:
            data["xpath"] = self.xpath
        if self.line is not None:
            data["line"] = self.line
        if self.column is not None:
            data["column"] = self.column
        if self.schema_location is not None:
            data["schema_location"] = self.schema_location
        if self.requirement is not None:
            data["requirement"] = self.requirement
        if self.standard is not None:
            data["standard"] = self.standard
        return data

    @classmethod
    def from_dict(cls, data: FindingDocument) -> Finding:
        """The inverse of :meth:`to_dict`."""
        return cls(
            message=data["message"],
            rule=data["rule"],
            pointer=data.get("pointer"),
            xpath=data.get("xpath"),
            line=data.get("line"),
            column=data.get("column"),
            schema_location=data.get("schema_location"),
            requirement=data.get("requirement"),
            standard=data.get("standard"),
            severity=Severity(data.get("severity", "error")),
        )


def outcome_for(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    """Passed when there is nothing, warning when only warnings, else failed."""
    if not findings:
        return Outcome.PASSED
    if any(f.severity is Severity.ERROR for f in findings):
        return Outcome.FAILED
    return Outcome.WARNING


@dataclass(frozen=True, slots=True)
class WaiverNote:
    """A waiver as it applies to one failed result on the run's date.

    ``active`` is decided once, for the date the waiver was applied on (the
    run's date unless a report is re-rendered for another day): an expired
    waiver stays on the result, so a reviewer sees it lapsed.
    """

    id: str
    reason: str
    expires: dt.date
    active: bool
    granted: dt.date | None = None
    granted_by: str | None = None

    def to_dict(self) -> WaiverDocument:
        """The report's JSON shape (``conformance-report@1.1.0``)."""
        data = WaiverDocument(
            id=self.id,
            reason=self.reason,
            expires=self.expires.isoformat(),
            status="active" if self.active else "expired",
        )
        if self.granted is not None:
            data["granted"] = self.granted.isoformat()
        if self.granted_by:
            data["granted_by"] = self.granted_by
        return data

    @classmethod
    def from_dict(cls, data: WaiverDocument) -> WaiverNote:
        """The inverse of :meth:`to_dict`."""
        granted = data.get("granted")
        return cls(
            id=data["id"],
            reason=data["reason"],
            expires=dt.date.fromisoformat(data["expires"]),
            active=data["status"] == "active",
            granted=dt.date.fromisoformat(granted) if granted else None,
            granted_by=data.get("granted_by"),
        )


JsonValue = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""Any value a JSON text can hold, as ``json.loads`` returns it."""


class ExchangeRequest(TypedDict, total=False):
    """A request as a result shows it (secrets redacted)."""

    method: Required[str]
    url: Required[str]
    headers: Required[dict[str, str]]
    body: str  # an excerpt


class ExchangeResponse(TypedDict):
    """A reply as a result shows it: status, headers, an excerpt of the body."""

    status: int
    headers: dict[str, str]
    body: str


class ExchangeEvidence(TypedDict, total=False):
    """One HTTP exchange of a service check, with the curl command to repeat it."""

    request: Required[ExchangeRequest]
    curl: Required[str]
    elapsed_ms: Required[float]
    dry_run: bool
    error: str
    response: ExchangeResponse


class Evidence(TypedDict, total=False):
    """What a result shows besides its findings; every key is optional.

    The report's JSON form (``conformance-report``) carries it as it is, and
    the renderers read these keys and no others.
    """

    # A payload file: its path as shown, its format, JSON Lines counts.
    file: str
    format: str
    records: int
    failed_records: int
    # The agency whose target it is.
    agency: str
    # A service check: which service, check, class and operation, every
    # exchange, and what the check measured.
    service: str
    check: str
    conformance_class: str
    operation: str
    exchanges: list[ExchangeEvidence]
    latency_ms: dict[str, float]
    fuzz: dict[str, JsonValue]
    damaged_regression_cases: list[str]
    # A standards self-test: how many documents were made and judged.
    json: dict[str, int]
    xml: dict[str, int]
    breaking: dict[str, JsonValue]


# Not frozen, unlike the other values here. A frozen dataclass sets each of
# its twelve fields through object.__setattr__: 1.8 against 0.9 µs to make
# one, of the 34 µs a conformant XML file cost, paid again where the main
# process of --jobs makes each result from its pickled arguments.
# Nothing assigns to a result once made (dataclasses.replace makes a changed
# one), and it was never hashable: its evidence is a dict.
@dataclass(slots=True)
class Result:
    """The outcome of one check (one pytest item) with its evidence."""

    id: str
    title: str
    outcome: Outcome
    target: str
    standard: str | None = None
    requirement: Requirement | None = None
    findings: tuple[Finding, ...] = ()
    reason: str | None = None
    evidence: Evidence = field(default_factory=Evidence)
    duration: float = 0.0
    kind: str = "payload"
    waiver: WaiverNote | None = None

    @property
    def waived(self) -> bool:
        """A failure covered by a waiver in force: shown, but not counted."""
        return (
            self.outcome is Outcome.FAILED
            and self.waiver is not None
            and self.waiver.active
        )
