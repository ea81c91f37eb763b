"""The JSON report (the ``conformance-report`` standard)."""

from __future__ import annotations

from pathlib import Path

from conformance.atomic import write_text_atomic
from conformance.json_text import indented_json
from conformance.results.run import Run, to_document


def write_json(run: Run, path: Path) -> None:
    """Write the report atomically."""
    text = indented_json(to_document(run))
    write_text_atomic(path, text + "\n")
