"""The HTML page of ``conformance standards diff``: the report's style and
languages, for the executive group that approves a version."""

from __future__ import annotations

from conformance import __version__
from conformance.reporting.templating import render
from conformance.selfcheck.diff import Diff


def render_diff_html(found: Diff, *, lang: str = "en") -> str:
    """The page listing every change from ``found.old`` to ``found.new``."""
    return render(
        "diff.html.j2",
        lang=lang,
        title_key=f"{found.old.ref} → {found.new.ref}",
        version=__version__,
        old=found.old.ref,
        new=found.new.ref,
        title=found.new.title,
        changes=found.changes,
        breaking=len(found.breaking),
        minor_broken=found.is_minor and bool(found.breaking),
    )
