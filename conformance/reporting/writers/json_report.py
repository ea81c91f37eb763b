"""The JSON report (the ``conformance-report`` standard)."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.atomic import write_text_atomic
from conformance.results.run import Run, to_document


def write_json(run: Run, path: Path) -> None:
    """Write the report atomically."""
    text = json.dumps(to_document(run), indent=2, ensure_ascii=False)
    write_text_atomic(path, text + "\n")
