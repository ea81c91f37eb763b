"""Positions inside a JSON text: which line and column each JSON Pointer starts at.

The fast path parses with the C decoder, which keeps no positions. Only
documents that fail get scanned again here, with a small iterative scanner
(no recursion, so a deeply nested hostile input cannot overflow the stack).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r'[^ \t\n\r{}\[\]:,"]+')


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token for a JSON Pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """Join reference tokens into a JSON Pointer; the root is the empty string."""
    return "".join("/" + escape_pointer_token(p) for p in parts)


@dataclass(slots=True)
class Scan:
    """What a scan found: value positions, duplicate keys, the first too-deep spot."""

    values: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    scalars: list[tuple[str, str, int]] = field(default_factory=list)
    too_deep_at: int | None = None
    depth: int = 0


class Locator:
    """Maps character offsets and JSON Pointers of one text to line and column."""

    def __init__(self, text: str, *, first_line: int = 1, max_depth: int = 10_000):
        self.text = text
        self.first_line = first_line
        self._newlines = [m.start() for m in re.finditer("\n", text)]
        self.scan = scan(text, max_depth=max_depth)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        index = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[index - 1] + 1 if index else 0
        return self.first_line + index, offset - line_start + 1

    def locate(self, json_pointer: str) -> tuple[int, int] | None:
        """Where the value at ``json_pointer`` starts, or ``None`` if unknown."""
        offset = self.scan.values.get(json_pointer)
        if offset is None:
            return None
        return self.position(offset)


_VALUE, _VALUE_OR_END, _KEY, _KEY_OR_END, _COLON, _AFTER = range(6)


def scan(text: str, *, max_depth: int = 10_000) -> Scan:
    """Walk a JSON text recording where every value starts.

    The scanner is lenient: it expects text that is JSON or nearly so
    (duplicate keys, ``NaN``, huge numbers) and stops quietly on anything
    it cannot follow, keeping what it found so far.
    """
    result = Scan()
    # A frame is [is_object, pointer, current key or next index, seen keys].
    stack: list[list] = []
    pos, n, state = 0, len(text), _VALUE
    while True:
        pos = _WS.match(text, pos).end()
        if pos >= n:
            break
        ch = text[pos]
        if state in (_VALUE, _VALUE_OR_END):
            if state == _VALUE_OR_END and ch == "]":
                stack.pop()
                pos, state = pos + 1, _AFTER
                continue
            if not stack:
                here = ""
            elif stack[-1][0]:
                here = stack[-1][1] + "/" + escape_pointer_token(stack[-1][2])
            else:
                here = stack[-1][1] + "/" + str(stack[-1][2])
                stack[-1][2] += 1
            result.values.setdefault(here, pos)
            if ch in "{[":
                if len(stack) >= max_depth:
                    result.too_deep_at = pos
                    break
                stack.append([ch == "{", here, "" if ch == "{" else 0, set()])
                result.depth = max(result.depth, len(stack))
                pos, state = pos + 1, _KEY_OR_END if ch == "{" else _VALUE_OR_END
                continue
            if ch == '"':
                match = _STRING.match(text, pos)
            else:
                match = _SCALAR.match(text, pos)
                if match:
                    result.scalars.append((here, match.group(), pos))
            if not match:
                break
            pos, state = match.end(), _AFTER
        elif state in (_KEY, _KEY_OR_END):
            if state == _KEY_OR_END and ch == "}":
                stack.pop()
                pos, state = pos + 1, _AFTER
                continue
            match = _STRING.match(text, pos)
            if not match:
                break
            try:
                key = json.loads(match.group())
            except ValueError:
                break
            frame = stack[-1]
            if key in frame[3]:
                result.duplicates.append((frame[1], key, pos))
            frame[3].add(key)
            frame[2] = key
            pos, state = match.end(), _COLON
        elif state == _COLON:
            if ch != ":":
                break
            pos, state = pos + 1, _VALUE
        else:  # after a value
            if not stack:
                break
            if ch == ",":
                pos, state = pos + 1, _KEY if stack[-1][0] else _VALUE
            elif ch == ("}" if stack[-1][0] else "]"):
                stack.pop()
                pos += 1
            else:
                break
    return result
