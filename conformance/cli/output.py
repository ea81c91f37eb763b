"""What the command prints besides results: exit codes, colour, progress, JSON."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from conformance.json_text import indented_json
from conformance.reporting.escaping import json_for_a_terminal

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

# Colour is hand-written rather than brought in with a library (rich): the
# command needs six SGR codes and one progress line, and rich would add three
# packages and ~60 ms of start-up to every command for them.
_CODES = {
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "dim": "2",
    "bold": "1",
}


def colour_wanted(
    choice: str, stream: TextIO, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to colour ``stream``: ``always``, ``never`` or ``auto``.

    ``auto`` colours a terminal only, and never when ``NO_COLOR`` is set to
    anything but the empty string (https://no-color.org) or ``TERM`` is
    ``dumb``; ``FORCE_COLOR`` colours a CI log that renders colour.
    """
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never" or env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


class Style:
    """Colours text with SGR codes, or leaves it as it is."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        """``text`` in the given styles (``red``, ``bold``, ...)."""
        if not self.enabled or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


class Progress:
    """Progress of a long job, with its total and rate.

    On a terminal, one line redrawn in place (at most ten times a second).
    Elsewhere (a CI log), a plain line when the job starts (with
    ``announce``), one every ``interval`` seconds while it runs, and one when
    it ends, so that a log never stays silent for long and never fills with
    redraws; a short job that announced nothing says nothing.
    """

    def __init__(
        self,
        stream: TextIO = sys.stderr,
        *,
        total: int | None = None,
        what: str = "checked",
        interval: float = 5.0,
        terminal: bool | None = None,
        style: Style | None = None,
        announce: bool = True,
    ) -> None:
        self.stream = stream
        self.total = total
        self.what = what
        self.interval = interval
        self.terminal = stream.isatty() if terminal is None else terminal
        self.style = style or Style(False)
        self.started = time.monotonic()
        self._last = 0.0
        self._done = 0
        self._drawn = False
        self._said = False
        self.announce = announce

    def start(self) -> None:
        """Say how much there is to do (in a log; a terminal draws on the first)."""
        if not self.terminal and self.total and self.announce:
            self._line(f"{self.total} to check")

    def __call__(self, done: int, name: str | Callable[[], str]) -> None:
        """``done`` items so far; ``name`` the one just finished (or how to
        say it, asked only when the line is drawn)."""
        self._done = done
        now = time.monotonic()
        if self.terminal:
            if now - self._last < 0.1 and done != self.total:
                return
            self._last = now
            if callable(name):
                name = name()
            text = f"{self._counts(now)} {name}"
            width = 78
            if len(text) > width:
                # The end of a path says more than its start.
                head = f"{self._counts(now)} …"
                text = head + name[-(width - len(head)) :]
            self.stream.write("\r" + self.style(text.ljust(width), "dim"))
            self.stream.flush()
            self._drawn = True
            return
        if now - self._last >= self.interval and now - self.started >= self.interval:
            self._last = now
            self._line(self._counts(now))

    def clear(self) -> None:
        """End the display: the line goes (terminal), or a last line says how long."""
        if self.terminal:
            if self._drawn:
                self.stream.write("\r" + " " * 78 + "\r")
                self.stream.flush()
            return
        if self.total and (self.announce or self._said):
            elapsed = time.monotonic() - self.started
            self._line(f"{self._done}/{self.total} {self.what} in {elapsed:.1f} s")

    def _counts(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self._done / elapsed
        if not self.total:
            return f"[{self._done}] {rate:.1f}/s"
        percent = 100 * self._done // self.total
        text = f"[{self._done}/{self.total} {percent}%] {rate:.1f}/s"
        if 0 < self._done < self.total and rate > 0:
            text += f", ~{(self.total - self._done) / rate:.0f} s left"
        return text

    def _line(self, text: str) -> None:
        self._said = True
        self.stream.write(f"progress: {text}\n")
        self.stream.flush()


def print_json(data: object) -> None:
    """Machine output on stdout (C1 controls, bidirectional controls and lone
    surrogates as ``\\u`` escapes: the same JSON, safe on a terminal)."""
    # A lone surrogate in a name is escaped below.
    sys.stdout.write(json_for_a_terminal(indented_json(data)) + "\n")
