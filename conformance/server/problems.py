"""Errors of the service's API as problem details (RFC 9457).

Every refusal is a :class:`Problem`: a status, a short title that is the
same for every occurrence, a detail saying what to do, and for a report
that does not validate one entry per offending member with its JSON
Pointer. The members are those of ``problem-details@1.0.0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROBLEM_TYPE = "https://standards.e-gov.az/problems/"
MEDIA_TYPE = "application/problem+json"
_MAX_ERRORS = 50


@dataclass
class Problem(Exception):
    """A refusal, raised anywhere in a request and answered as problem details."""

    status: int
    kind: str
    title: str
    detail: str
    errors: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    def document(self, correlation_id: str | None) -> dict[str, object]:
        """The problem details body."""
        body: dict[str, object] = {
            "type": PROBLEM_TYPE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail[:2000],
        }
        if self.errors:
            body["errors"] = [
                {"pointer": pointer, "detail": (detail or "invalid")[:500]}
                for pointer, detail in self.errors[:_MAX_ERRORS]
            ]
        if correlation_id:
            body["correlationId"] = correlation_id
        return body
