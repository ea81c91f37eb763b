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


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token for a JSON Pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """Join reference tokens into a JSON Pointer; the root is the empty string."""
    if not parts:
        return ""
    joined = "/".join(map(str, parts))
    # As many slashes as joints: no token held one (nor a "~"), none to escape.
    if "~" not in joined and joined.count("/") == len(parts) - 1:
        return "/" + joined
    return "".join("/" + escape_pointer_token(p) for p in parts)


@dataclass(slots=True)
class Scan:
    """What a scan found: value positions, duplicate keys, the first too-deep spot.

    ``escaped_keys`` holds where each member name written with an escape
    starts, by the member's pointer (plain names are not recorded).
    """

    values: dict[str, int] = field(default_factory=dict)
    escaped_keys: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    scalars: list[tuple[str, str, int]] = field(default_factory=list)
    too_deep_at: int | None = None
    depth: int = 0


class Locator:
    """Maps character offsets and JSON Pointers of one text to line and column."""

    def __init__(
        self,
        text: str,
        *,
        first_line: int = 1,
        max_depth: int = 10_000,
        wanted: frozenset[str] | None = None,
    ):
        self.text = text
        self.first_line = first_line
        self.max_depth = max_depth
        self.wanted = wanted
        self._newlines = (
            [m.start() for m in re.finditer("\n", text)] if "\n" in text else []
        )
        self._scan: Scan | None = None

    @property
    def scan(self) -> Scan:
        """The full scan, made on first use."""
        if self._scan is None:
            self._scan = scan(self.text, max_depth=self.max_depth, wanted=self.wanted)
        return self._scan

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        index = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[index - 1] + 1 if index else 0
        return self.first_line + index, offset - line_start + 1

    def locate(self, json_pointer: str) -> tuple[int, int] | None:
        """Where the value at ``json_pointer`` starts, or ``None`` if unknown."""
        offset = _by_unique_key(self.text, json_pointer)
        if offset is None:
            offset = self.scan.values.get(json_pointer)
        if offset is None:
            return None
        return self.position(offset)


def _by_unique_key(text: str, json_pointer: str) -> int | None:
    """The value's offset when the pointer's last member name occurs once as a key.

    In valid JSON an unescaped ``"name"`` followed by ``:`` can only be a
    member name, so a name that occurs exactly once is where the value is,
    whatever its depth. This answers most lookups without a scan; anything
    ambiguous returns ``None`` and the caller scans.
    """
    if not json_pointer:
        return None
    last = json_pointer.rsplit("/", 1)[1]
    if last.isdigit() or last == "-":
        return None
    name = last.replace("~1", "/").replace("~0", "~") if "~" in last else last
    if '"' in name or "\\" in name or not name.isprintable():
        return None
    needle = f'"{name}"'
    first = text.find(needle)
    if first < 1 or text[first - 1] == "\\" or text.find(needle, first + 1) >= 0:
        return None
    after = first + len(needle)
    while after < len(text) and text[after] in " \t\r\n":
        after += 1
    if after >= len(text) or text[after] != ":":
        return None
    after += 1
    while after < len(text) and text[after] in " \t\r\n":
        after += 1
    return after


def _member(parent: str, key: str) -> str:
    return parent + "/" + escape_pointer_token(key)


@dataclass(slots=True)
class _Frame:
    """One open object or array: its pointer and the current key or next index."""

    is_object: bool
    pointer: str
    key: str = ""
    index: int = 0
    seen: set[str] = field(default_factory=set)


_VALUE, _VALUE_OR_END, _KEY, _KEY_OR_END, _COLON, _AFTER = range(6)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^ \t\n\r{}\[\]:,"]+', re.DOTALL)


def scan(
    text: str, *, max_depth: int = 10_000, wanted: frozenset[str] | None = None
) -> Scan:
    """Walk a JSON text recording where every value starts.

    The scanner is lenient: it expects text that is JSON or nearly so
    (duplicate keys, ``NaN``, huge numbers) and stops quietly on anything
    it cannot follow, keeping what it found so far. Given ``wanted``
    pointers, it stops as soon as it has found them all.
    """
    result = Scan()
    values = result.values
    remaining = set(wanted) if wanted is not None else None
    stack: list[_Frame] = []
    state = _VALUE
    for match in _TOKEN.finditer(text):
        token = match.group()
        pos = match.start()
        first = token[0]
        if state <= _VALUE_OR_END:
            if state == _VALUE_OR_END and first == "]":
                stack.pop()
                state = _AFTER
                continue
            if not stack:
                here = ""
            else:
                frame = stack[-1]
                if frame.is_object:
                    key = frame.key
                    if "~" in key or "/" in key:
                        key = escape_pointer_token(key)
                    here = frame.pointer + "/" + key
                else:
                    here = frame.pointer + "/" + str(frame.index)
                    frame.index += 1
            if here not in values:
                values[here] = pos
                if remaining is not None:
                    remaining.discard(here)
                    if not remaining:
                        break
            if first in {"{", "["}:
                if len(stack) >= max_depth:
                    result.too_deep_at = pos
                    break
                stack.append(_Frame(first == "{", here))
                result.depth = max(result.depth, len(stack))
                state = _KEY_OR_END if first == "{" else _VALUE_OR_END
                continue
            if first in "}]:,":
                break
            if first != '"':
                result.scalars.append((here, token, pos))
            state = _AFTER
        elif state <= _KEY_OR_END:
            if state == _KEY_OR_END and first == "}":
                stack.pop()
                state = _AFTER
                continue
            if first != '"':
                break
            if "\\" in token:
                try:
                    key = json.loads(token)
                except ValueError:
                    break
            else:
                key = token[1:-1]
            frame = stack[-1]
            if "\\" in token:
                result.escaped_keys[_member(frame.pointer, key)] = pos
            if key in frame.seen:
                result.duplicates.append((frame.pointer, key, pos))
            frame.seen.add(key)
            frame.key = key
            state = _COLON
        elif state == _COLON:
            if first != ":":
                break
            state = _VALUE
        else:  # after a value
            if not stack:
                break
            if first == ",":
                state = _KEY if stack[-1].is_object else _VALUE
            elif first == ("}" if stack[-1].is_object else "]"):
                stack.pop()
            else:
                break
    return result
