"""How many findings one file keeps: the rest are counted, not built.

A document with 200,000 errors would otherwise hold 200,000 located
findings in memory, in the history and in every report. A
:class:`FindingCap` keeps the first ``limit`` findings offered and counts
the others (and how many of them are errors); its :meth:`~FindingCap.note`
says "… and N more findings" in one final finding. The validators ask
:attr:`~FindingCap.room` before they explain an error, so an error past the
cap is never located nor turned into a finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from conformance.model import Finding, Severity

DEFAULT_MAX_FINDINGS = 10_000
"""Findings kept per file (a JSON or XML document, or a JSON Lines file)."""

FINDINGS_OMITTED = "findings-omitted"
"""The rule of the final finding that counts the findings not kept."""


@dataclass(slots=True)
class FindingCap:
    """The findings of one file: the first ``limit`` kept, the rest counted."""

    limit: int = DEFAULT_MAX_FINDINGS
    kept: list[Finding] = field(default_factory=list)
    omitted: int = 0
    omitted_errors: int = 0
    errors: int = 0
    """Error findings offered, kept or not."""

    @property
    def room(self) -> int:
        """How many more findings will be kept."""
        return max(self.limit - len(self.kept), 0)

    def add(self, finding: Finding) -> None:
        """Keep ``finding`` if there is room, else count it."""
        if len(self.kept) < self.limit:
            self.kept.append(finding)
            if finding.severity is Severity.ERROR:
                self.errors += 1
        else:
            self.omit(finding.severity)

    def extend(self, findings: Iterable[Finding]) -> None:
        """:meth:`add` each finding, as an iterable yields it."""
        for finding in findings:
            self.add(finding)

    def omit(self, severity: Severity, count: int = 1) -> None:
        """Count ``count`` findings of ``severity`` that were never built."""
        self.omitted += count
        if severity is Severity.ERROR:
            self.omitted_errors += count
            self.errors += count

    def note(self) -> Finding | None:
        """The final finding that counts the omitted ones, if any were."""
        if not self.omitted:
            return None
        errors = (
            f" ({self.omitted_errors:,} of them errors)"
            if 0 < self.omitted_errors < self.omitted
            else ""
        )
        return Finding(
            message=f"… and {self.omitted:,} more findings{errors}, not listed:"
            f" the limit is {self.limit:,} per file (raise it with --max-findings)",
            rule=FINDINGS_OMITTED,
            # An error past the cap still fails the file.
            severity=Severity.ERROR if self.omitted_errors else Severity.WARNING,
        )

    def findings(self) -> list[Finding]:
        """The findings kept, then the note if any were omitted."""
        note = self.note()
        return [*self.kept, note] if note is not None else list(self.kept)
