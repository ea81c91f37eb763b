"""A Markdown summary for a CI job page."""

from __future__ import annotations

from pathlib import Path

from ..atomic import write_text_atomic
from ..model import Outcome
from ..report import Run


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(run: Run, *, limit: int = 50) -> str:
    """The summary text: verdict, counts, and the first failures with their findings."""
    counts = run.counts()
    lines = [
        f"## Conformance: {run.verdict.value}",
        "",
        "| outcome | results |",
        "|---|---|",
    ]
    lines += [f"| {o.value} | {counts.get(o.value, 0)} |" for o in Outcome]
    if not run.complete:
        lines += [
            "",
            f"**The run is incomplete** ({run.interruption or 'interrupted'}).",
        ]
    failing = [r for r in run.results if r.outcome in (Outcome.FAILED, Outcome.ERROR)]
    if failing:
        lines += [
            "",
            "| result | standard | requirement | finding |",
            "|---|---|---|---|",
        ]
        for result in failing[:limit]:
            first = result.findings[0] if result.findings else None
            finding = (
                f"{first.location}: {first.message}" if first else result.reason or ""
            )
            requirement = result.requirement.id if result.requirement else ""
            lines.append(
                f"| {_cell(result.id)} | {result.standard or ''} | {requirement}"
                f" | {_cell(finding)[:300]} |"
            )
        if len(failing) > limit:
            lines.append(f"\n{len(failing) - limit} more not shown.")
    return "\n".join(lines) + "\n"


def write_markdown(run: Run, path: Path) -> None:
    """Write the summary atomically."""
    write_text_atomic(path, render_markdown(run))
