"""Plain data shared by every layer: outcomes, levels, requirements, findings.

No behaviour lives here beyond small conveniences, so that the plugin, the
command line, the writers and the tests all speak the same types.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping with empty fields left out."""
        data: dict[str, Any] = {
            "message": self.message,
            "rule": self.rule,
            "severity": self.severity.value,
        }
        for name in (
            "pointer",
            "xpath",
            "line",
            "column",
            "schema_location",
            "requirement",
            "standard",
        ):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


def outcome_for(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    """Passed when there is nothing, warning when only warnings, else failed."""
    if any(f.severity is Severity.ERROR for f in findings):
        return Outcome.FAILED
    if findings:
        return Outcome.WARNING
    return Outcome.PASSED


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

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON shape (``conformance-report@1.1.0``)."""
        data: dict[str, Any] = {
            "id": self.id,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "status": "active" if self.active else "expired",
        }
        if self.granted is not None:
            data["granted"] = self.granted.isoformat()
        if self.granted_by:
            data["granted_by"] = self.granted_by
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WaiverNote:
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


@dataclass(frozen=True, slots=True)
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
    evidence: dict[str, Any] = field(default_factory=dict)
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


JsonValue = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""Any value a JSON text can hold, as ``json.loads`` returns it."""
