"""What the command prints besides results: exit codes, progress, JSON."""

from __future__ import annotations

import json
import sys
import time
from typing import TextIO

from conformance.reporting.escaping import json_for_a_terminal

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Progress:
    """A one-line progress display on a terminal; silent otherwise."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, name: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        text = f"[{done}] {name}"
        width = 78
        if len(text) > width:
            # The end of a path says more than its start.
            head = f"[{done}] …"
            text = head + name[-(width - len(head)) :]
        self.stream.write("\r" + text.ljust(width))
        self.stream.flush()

    def clear(self) -> None:
        """Remove the progress line."""
        if self.enabled:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


def print_json(data: object) -> None:
    """Machine output on stdout (C1 controls, bidirectional controls and lone
    surrogates as ``\\u`` escapes: the same JSON, safe on a terminal)."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    sys.stdout.write(json_for_a_terminal(text) + "\n")
