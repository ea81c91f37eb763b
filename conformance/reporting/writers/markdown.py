"""A Markdown summary for a CI job page.

A job page renders Markdown, and the HTML in it: every cell and line that
carries a service's or a payload's text goes through :func:`inline`, so
``<script>`` is shown, not run, a CR or LF cannot end a table row (and
start a forged heading), and ``|``, a backtick or a ``[`` cannot change the
table or make a link.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from conformance.atomic import write_text_atomic
from conformance.model import Level, Outcome
from conformance.reporting.escaping import one_line
from conformance.reporting.text import cited_requirements, finding_line
from conformance.results.gating import GateDecision
from conformance.results.run import Run, level_of

_CELL_LIMIT = 300
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# HTML's three, and the punctuation of Markdown's inline syntax and tables
# (a backslash escape shows each as itself).
_SPECIAL = re.compile(r"[&<>\\`*_\[\]|~$]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _HTML.get(char) or "\\" + char


def inline(text: str) -> str:
    """``text`` as Markdown that shows it as it is, on one line.

    Control characters (CR and LF too) are shown as escapes (``\\r``,
    ``\\x1b``); ``&``, ``<`` and ``>`` become entities; Markdown's
    punctuation is escaped with a backslash.
    """
    return _SPECIAL.sub(_escaped, one_line(text))


def _cell(text: str, limit: int | None = None) -> str:
    return inline(text if limit is None else text[:limit])


def render_markdown(
    run: Run, *, limit: int = 50, decision: GateDecision | None = None
) -> str:
    """The summary text: verdict, counts, and the first failures with their findings.

    With a gate ``decision`` the heading is the gate's verdict and its
    reasons follow; waived failures are listed apart, with their expiry.
    """
    counts = run.counts()
    waived = [r for r in run.results if r.waived]
    verdict = decision.verdict if decision is not None else run.verdict
    lines = [
        f"## Conformance: {verdict.value}",
        "",
    ]
    if decision is not None:
        lines += [f"**{inline(decision.summary)}**", ""]
    lines += [
        "| outcome | results |",
        "|---|---|",
    ]
    for outcome in Outcome:
        count = counts.get(outcome.value, 0)
        if outcome is Outcome.FAILED and waived:
            lines.append(f"| failed | {count - len(waived)} |")
            lines.append(f"| failed, waived | {len(waived)} |")
        else:
            lines.append(f"| {outcome.value} | {count} |")
    lines += _levels(run)
    if not run.complete:
        lines += [
            "",
            f"**The run is incomplete** ({inline(run.interruption or 'interrupted')}).",
        ]
    failing = [
        r
        for r in run.results
        if r.outcome in (Outcome.FAILED, Outcome.ERROR) and not r.waived
    ]
    if failing:
        lines += [
            "",
            "| result | standard | requirement | class | finding |",
            "|---|---|---|---|---|",
        ]
        for result in failing[:limit]:
            first = result.findings[0] if result.findings else None
            finding = finding_line(first) if first else result.reason or ""
            requirement = ", ".join(cited_requirements(result))
            # The conformance class (an OGC kit's, say) a service check is in.
            group = str(result.evidence.get("conformance_class") or "")
            lines.append(
                f"| {_cell(result.id)} | {_cell(result.standard or '')}"
                f" | {_cell(requirement)} | {_cell(group)}"
                f" | {_cell(finding, _CELL_LIMIT)} |"
            )
        if len(failing) > limit:
            lines.append(f"\n{len(failing) - limit} more not shown.")
    if waived:
        lines += [
            "",
            "Waived failures (they count again once the waiver expires):",
            "",
            "| result | requirement | waiver | expires | reason |",
            "|---|---|---|---|---|",
        ]
        for result in waived[:limit]:
            assert result.waiver is not None
            requirement = ", ".join(cited_requirements(result))
            lines.append(
                f"| {_cell(result.id)} | {_cell(requirement)}"
                f" | {_cell(result.waiver.id)} | {result.waiver.expires}"
                f" | {_cell(result.waiver.reason)} |"
            )
    return "\n".join(lines) + "\n"


def _levels(run: Run) -> list[str]:
    failed = Counter(level_of(r) for r in run.results if r.outcome is Outcome.FAILED)
    excused = Counter(level_of(r) for r in run.results if r.waived)
    if not failed:
        return []
    lines = ["", "| level | failed | of which waived |", "|---|---|---|"]
    for level in Level:
        lines.append(
            f"| {level.value} | {failed.get(level.value, 0)}"
            f" | {excused.get(level.value, 0)} |"
        )
    return lines


def write_markdown(run: Run, path: Path) -> None:
    """Write the summary atomically."""
    write_text_atomic(path, render_markdown(run))
