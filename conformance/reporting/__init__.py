"""What people read: the text renderer, report writers and the dashboard.

Writers are looked up by format name (:mod:`.writers`); HTML pages come from
autoescaping Jinja2 templates (:mod:`.templating`, ``templates/``) in
Azerbaijani and English (:mod:`.i18n`); :mod:`.dashboard` draws every agency
against every standard over the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.reporting.dashboard import write_dashboard
    from conformance.reporting.text import (
        details,
        finding_detail,
        finding_line,
        headline,
        render_result,
    )
    from conformance.reporting.writers import (
        ReportsNotWritten,
        WriterOptions,
        write_all,
        writer,
    )

__all__ = [
    "ReportsNotWritten",
    "WriterOptions",
    "details",
    "finding_detail",
    "finding_line",
    "headline",
    "render_result",
    "write_all",
    "write_dashboard",
    "writer",
]

__getattr__ = lazy_face(
    __name__,
    {
        "ReportsNotWritten": "writers",
        "WriterOptions": "writers",
        "details": "text",
        "finding_detail": "text",
        "finding_line": "text",
        "headline": "text",
        "render_result": "text",
        "write_all": "writers",
        "write_dashboard": "dashboard",
        "writer": "writers",
    },
)
