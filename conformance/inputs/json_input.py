"""Reading JSON safely: every problem in the input becomes a finding.

Duplicate member names, ``NaN``/``Infinity``, numbers that overflow or lose
precision, invalid UTF-8, a byte order mark, excessive nesting and excessive
size are reported with their position; nothing here raises on bad input.
"""

from __future__ import annotations

import enum
import json
import operator
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

import orjson

from conformance.inputs.caps import FindingCap
from conformance.inputs.excerpts import SURROGATE, printable, quoted
from conformance.inputs.json_locate import Locator, pointer
from conformance.inputs.rules import (
    JSON_BOM,
    JSON_DEPTH,
    JSON_DUPLICATE,
    JSON_ENCODING,
    JSON_NUMBER,
    JSON_PRECISION,
    JSON_SIZE,
    JSON_SURROGATE,
    JSON_SYNTAX,
    rule_finding,
)
from conformance.model import Finding, JsonValue, Severity

_MAX_SAFE_INTEGER = 2**53 - 1
_INFINITIES = (float("inf"), float("-inf"))
_LEADING_SPACE = re.compile(r"[ \t\n\r]*")
_SPACE = frozenset(" \t\n\r")
_BOM = b"\xef\xbb\xbf"
# An escape of a UTF-16 surrogate, paired or not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Sentinel(enum.Enum):
    NEEDS_FINDINGS = enum.auto()


NEEDS_FINDINGS: Final = _Sentinel.NEEDS_FINDINGS
"""Returned by :func:`read_fast` when only :func:`parse_json` can say what is wrong."""


@dataclass(frozen=True, slots=True)
class JsonLimits:
    """Input limits; each one breached is a finding, never a crash."""

    max_bytes: int = 50 * 1024 * 1024
    max_depth: int = 64


DEFAULT_LIMITS = JsonLimits()


@dataclass(frozen=True, slots=True)
class ParsedJson:
    """The outcome of reading one JSON text.

    ``ok`` says the value was read and is fit to check against a schema;
    ``findings`` may hold errors even then (a byte order mark). Past
    ``max_findings`` findings are counted in ``omitted`` (``omitted_errors``
    of them errors), not kept.
    """

    ok: bool
    value: JsonValue = None
    text: str = ""
    findings: tuple[Finding, ...] = ()
    omitted: int = 0
    omitted_errors: int = 0


class _Duplicate(ValueError):
    pass


class _NotANumber(ValueError):
    pass


class _Suspicious(ValueError):
    """A number that may be out of binary64 range or precision."""


def _unique_pairs(pairs: list[tuple[str, JsonValue]]) -> dict[str, JsonValue]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Duplicate
    return result


def _reject_constant(name: str) -> float:
    raise _NotANumber(name)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in _INFINITIES:
        raise _Suspicious
    return value


def _parse_int(text: str) -> int:
    # Sixteen digits or more may pass 2^53: let the careful path look.
    if len(text) > 15:
        raise _Suspicious
    return int(text)


# The C scanner a decoder runs: from a text and a start index, the value
# and the index just past it.
_Scan: TypeAlias = Callable[[str, int], tuple[JsonValue, int]]

# The fast decoder refuses anything unusual; the careful one reads big
# numbers as they are so that they can be reported with their place.
# typeshed's JSONDecoder omits scan_once, which JSONDecoder.__init__ sets.
_FAST: _Scan = json.JSONDecoder(  # type: ignore[attr-defined]
    object_pairs_hook=_unique_pairs,
    parse_constant=_reject_constant,
    parse_float=_parse_float,
    parse_int=_parse_int,
).scan_once
_CAREFUL: _Scan = json.JSONDecoder(  # type: ignore[attr-defined]
    object_pairs_hook=_unique_pairs, parse_constant=_reject_constant
).scan_once
_BIG_NUMBER_HINT = re.compile(r"[0-9]{16,}|[eE][+-]?[0-9]{3,}")


def _decode(text: str, scan: _Scan = _FAST) -> JsonValue:
    """Decode one JSON text with the C scanner; raises like ``json.loads``."""
    leading = _LEADING_SPACE.match(text) if text[:1] in _SPACE else None
    start = leading.end() if leading else 0
    try:
        value, end = scan(text, start)
    except StopIteration as stop:
        raise json.JSONDecodeError("Expecting value", text, stop.value) from None
    if end != len(text) and not text[end:].isspace():
        raise json.JSONDecodeError("Extra data", text, end)
    return value


UNUSUAL_START = frozenset(" \t\r\n\ufeff")
"""First characters that send a text down the careful path (space, BOM)."""
_UNUSUAL_START_BYTES = (b" ", b"\t", b"\r", b"\n", b"\xef")


# One translation serves two checks: digits become "0" (to find long runs)
# and "{" becomes "[" (to count openers, an upper bound of the depth).
_FOLD = bytes.maketrans(b"123456789{", b"000000000[")
_SIXTEEN_DIGITS = b"0" * 16

_ALL_BUT_BRACKETS = bytes(b for b in range(256) if b not in b'[]{}"')
_QUOTED = re.compile(r'"[^"]*"')
_INNERMOST = re.compile(r"\[\]|\{\}")


def _nests_within(data: bytes | str, limit: int) -> bool:
    """Whether a JSON text surely nests ``limit`` levels deep at most.

    Counting openers bounds the depth from above, but a reply listing a
    hundred records has more openers than the limit: a full scan of it, in
    Python, cost some forty times its parse. Here, in C, the text is cut down to
    its brackets and quotes, the strings are taken away, and then the
    brackets a level at a time: each round takes every pair with nothing
    left between, so a text nested ``n`` levels deep is gone in ``n``
    rounds. ``False`` when unsure (brackets that do not pair up, a string
    left open): the caller then scans, which says where.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        # An escaped backslash, then an escaped quote: what is left of
        # other escapes is no bracket or quote.
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Two quotes side by side hold or part nothing that counts: taken away
    # first, they leave the regular expression little to do.
    kept = data.translate(None, _ALL_BUT_BRACKETS).decode("ascii").replace('""', "")
    if kept.count('"') % 2:
        return False  # a string left open
    brackets = _QUOTED.sub("", kept)
    for _ in range(limit):
        if not brackets:
            return True
        brackets, taken = _INNERMOST.subn("", brackets)
        if not taken:
            return False
    return not brackets


def read_fast(
    data: bytes | str, limits: JsonLimits = DEFAULT_LIMITS
) -> tuple[JsonValue, str | None] | Literal[_Sentinel.NEEDS_FINDINGS]:
    """``(value, text)`` of a sound JSON text, or :data:`NEEDS_FINDINGS`.

    The common case costs one C-level parse. Bytes go to orjson, but only
    when it provably reads what the careful path would: no escapes at all
    (so every ``"`` delimits a string and re-serialising cannot add one),
    no run of sixteen digits (an integer that may pass 2^53), and as many
    quotes out as in (a duplicate member name would have dropped some).
    Anything else is left to :func:`parse_json`, which explains. ``text``
    is returned lazily as ``None`` for bytes; decode when needed.
    """
    if len(data) > limits.max_bytes:
        return NEEDS_FINDINGS
    if isinstance(data, bytes):
        if data[:1] in _UNUSUAL_START_BYTES or b"\\" in data:
            return NEEDS_FINDINGS
        folded = data.translate(_FOLD)
        if folded.find(_SIXTEEN_DIGITS) >= 0 or (
            folded.count(b"[") > limits.max_depth
            and not _nests_within(data, limits.max_depth)
        ):
            return NEEDS_FINDINGS
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return NEEDS_FINDINGS
        if data.count(b'"') != orjson.dumps(value).count(b'"'):
            return NEEDS_FINDINGS
        return value, None
    if (
        data[:1] in UNUSUAL_START
        or _may_hold_surrogates(data)
        or (
            data.count("[") + data.count("{") > limits.max_depth
            and not _nests_within(data, limits.max_depth)
        )
    ):
        return NEEDS_FINDINGS
    try:
        value, end = _FAST(data, 0)
    except (ValueError, RecursionError, StopIteration):
        return NEEDS_FINDINGS
    if end != len(data) and not data[end:].isspace():
        return NEEDS_FINDINGS
    return value, data


# The bytes a record may not start with in a block, as read_fast declines
# them (space, tab, carriage return, a BOM's first), and each line's first
# byte (a slice: one byte, or none for an empty line).
_UNUSUAL_FIRST = frozenset((b" ", b"\t", b"\r", b"\xef"))
_FIRST_BYTE = operator.itemgetter(slice(0, 1))


_ALL_BUT_OPENERS = bytes(b for b in range(256) if b not in b"[\n")


def read_block(
    block: bytes, lines: Sequence[bytes], limits: JsonLimits = DEFAULT_LIMITS
) -> Iterator[JsonValue | Literal[_Sentinel.NEEDS_FINDINGS]] | None:
    """The records of a block of JSON Lines, each as :func:`read_fast` reads it.

    ``lines`` are ``block`` split at its newlines. The iterator gives each
    record's value, or :data:`NEEDS_FINDINGS` for a record (or blank line)
    only :func:`parse_json` can explain. ``None`` when the block holds
    anything the per-record checks must decide: the caller then reads each
    record with :func:`read_fast`, which gives the same values. See
    :func:`read_batches`, which this reads.
    """
    batches = read_batches(block, lines, limits)
    if batches is None:
        return None
    return (value for _, values in batches for value in values)


BATCH_RECORDS = 64
"""Records read at once by :func:`read_batches`: enough for one call to
check their quotes, few enough that their values stay in the processor's
cache until they are validated."""


def read_batches(
    block: bytes, lines: Sequence[bytes], limits: JsonLimits = DEFAULT_LIMITS
) -> Iterator[tuple[bool, list[JsonValue | Literal[_Sentinel.NEEDS_FINDINGS]]]] | None:
    """The records of a block of JSON Lines in batches, as :func:`read_block`.

    Most conditions :func:`read_fast` checks per record are checked here
    once over the whole block, in C: no escape, no unusual first byte, no
    run of sixteen digits, no record with more openers than the depth
    limit. Then each batch of up to :data:`BATCH_RECORDS` records costs
    one parse by orjson per record, and one count of quotes for the whole
    batch, written back: without escapes every quote delimits a string
    and writing a value back cannot add one, so the batch's quotes are as
    many as its records' only when no record lost a member name to a
    duplicate. Each batch comes with whether every record in it was read
    (``True``: no :data:`NEEDS_FINDINGS` in it). ``None`` as for
    :func:`read_block`.
    """
    if len(block) > limits.max_bytes or b"\\" in block:
        return None
    # Each line's first byte in C (a search for a newline then such a byte
    # went through the block byte by byte, at a third of its checks' time).
    if not _UNUSUAL_FIRST.isdisjoint(map(_FIRST_BYTE, lines)):
        return None
    folded = block.translate(_FOLD)
    if _SIXTEEN_DIGITS in folded:
        return None
    # The depth bound counts openers, as read_fast does: here for every
    # record at once, in the block's openers and newlines alone, where a
    # record with more openers than the limit is a run longer than it.
    openers = folded.translate(None, _ALL_BUT_OPENERS)
    deeper = limits.max_depth + 1
    # (A run cannot be longer than all of them: no needle larger than that.)
    if len(openers) >= deeper and b"[" * deeper in openers:
        return None
    return _batches(block, lines)


def _batches(
    block: bytes, lines: Sequence[bytes]
) -> Iterator[tuple[bool, list[JsonValue | Literal[_Sentinel.NEEDS_FINDINGS]]]]:
    loads = orjson.loads
    dumps = orjson.dumps
    start = 0
    for first in range(0, len(lines), BATCH_RECORDS):
        batch = lines[first : first + BATCH_RECORDS]
        end = start + sum(map(len, batch)) + len(batch)  # and their newlines
        values: list[JsonValue | Literal[_Sentinel.NEEDS_FINDINGS]] | None
        try:
            values = list(map(loads, batch))
            if block.count(b'"', start, end) != dumps(values).count(b'"'):
                values = None
        except (orjson.JSONDecodeError, orjson.JSONEncodeError):
            values = None
        start = end
        if values is not None:
            yield True, values
        else:
            # Which record it was is found one record at a time.
            yield False, [_one_record(line) for line in batch]


def _one_record(line: bytes) -> JsonValue | Literal[_Sentinel.NEEDS_FINDINGS]:
    try:
        value: JsonValue = orjson.loads(line)
        # As for a batch: a lost quote is a lost member name.
        if line.count(b'"') != orjson.dumps(value).count(b'"'):
            return NEEDS_FINDINGS
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return NEEDS_FINDINGS
    return value


def parse_json(
    data: bytes | str,
    *,
    limits: JsonLimits = DEFAULT_LIMITS,
    first_line: int = 1,
    max_findings: int | None = None,
) -> ParsedJson:
    """Parse one JSON text, returning the value or findings that say why not.

    ``first_line`` shifts reported line numbers, for a record inside a
    JSON Lines file. Past ``max_findings`` findings (none by default), the
    rest are counted, not kept.
    """
    cap = FindingCap(sys.maxsize if max_findings is None else max_findings)

    def parsed(ok: bool, value: JsonValue = None, text: str = "") -> ParsedJson:
        return ParsedJson(
            ok,
            value,
            text,
            tuple(cap.kept),
            omitted=cap.omitted,
            omitted_errors=cap.omitted_errors,
        )

    size = len(data)
    from_bytes = isinstance(data, bytes)
    if size > limits.max_bytes:
        return ParsedJson(
            ok=False,
            findings=(
                rule_finding(
                    JSON_SIZE,
                    f"the document is {size:,} bytes; the limit is"
                    f" {limits.max_bytes:,} bytes (raise it with --max-bytes if"
                    " the receiving service accepts more)",
                ),
            ),
        )
    bom_errors = 0
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            cap.add(
                rule_finding(
                    JSON_BOM,
                    "the document starts with a UTF-8 byte order mark; JSON sent"
                    " between systems must not carry one (RFC 8259 §8.1)",
                    line=first_line,
                    column=1,
                )
            )
            data = data[3:]
            bom_errors = 1
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first_line + data.count(b"\n", 0, exc.start)
            start = data.rfind(b"\n", 0, exc.start) + 1
            column = len(data[start : exc.start].decode("utf-8", "replace")) + 1
            bad = data[exc.start : exc.end].hex(" ")
            cap.add(
                rule_finding(
                    JSON_ENCODING,
                    f"invalid UTF-8 at byte offset {exc.start} (bytes {bad}):"
                    f" {exc.reason}; JSON must be UTF-8 (RFC 8259 §8.1)",
                    line=line,
                    column=column,
                )
            )
            return parsed(False)
    else:
        text = data
    # Depth can only exceed the limit if there are that many openers at all;
    # counting them is far cheaper than scanning.
    if text.count("[") + text.count("{") > limits.max_depth and not _nests_within(
        text, limits.max_depth
    ):
        locator = Locator(text, first_line=first_line, max_depth=limits.max_depth)
        if locator.scan.too_deep_at is not None:
            line, column = locator.position(locator.scan.too_deep_at)
            cap.add(
                rule_finding(
                    JSON_DEPTH,
                    f"the document nests deeper than {limits.max_depth} levels",
                    line=line,
                    column=column,
                )
            )
            return parsed(False, text=text)
    try:
        value = _decode(text, _CAREFUL)
    except json.JSONDecodeError as exc:
        cap.add(
            rule_finding(
                JSON_SYNTAX,
                f"not well-formed JSON: {exc.msg}",
                line=first_line + exc.lineno - 1,
                column=exc.colno,
            )
        )
        return parsed(False, text=text)
    except (_Duplicate, _NotANumber, ValueError, RecursionError):
        cap.extend(_explain_rejection(text, first_line, limits))
        return parsed(False, text=text)
    if _BIG_NUMBER_HINT.search(text):
        cap.extend(_number_findings(value, text, first_line))
    # Valid UTF-8 holds no surrogate; only an escape (or a str) brings one.
    if ("\\u" in text or not from_bytes) and _may_hold_surrogates(text):
        cap.extend(_surrogate_findings(value, text, first_line))
    # A byte order mark is a finding, but the value behind it is still sound
    # enough to check against the schema; an overflowing number is not.
    return parsed(cap.errors == bom_errors, value=value, text=text)


def _may_hold_surrogates(text: str) -> bool:
    """Whether a text may decode to a lone surrogate (a cheap over-estimate)."""
    if "\\u" in text and _SURROGATE_ESCAPE.search(text):
        return True
    return not text.isascii() and SURROGATE.search(text) is not None


def _surrogate_findings(
    value: JsonValue, text: str, first_line: int
) -> Iterator[Finding]:
    """Strings and member names holding a lone surrogate, each located.

    A surrogate pair escape (``\\ud83d\\ude00``) decodes to one character; a
    surrogate left in a decoded string had no partner.
    """
    found: list[tuple[list[str | int], str, bool]] = []  # path, string, is_name
    stack: list[tuple[list[str | int], JsonValue]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            for key, member in item.items():
                if SURROGATE.search(key):
                    found.append(([*path, key], key, True))
                stack.append(([*path, key], member))
        elif isinstance(item, list):
            stack.extend(([*path, i], v) for i, v in enumerate(item))
        elif isinstance(item, str) and SURROGATE.search(item):
            found.append((path, item, False))
    if not found:
        return
    locator = Locator(text, first_line=first_line)
    located = []
    for path, string, is_name in found:
        where = pointer(path)
        offset = locator.scan.escaped_keys.get(where) if is_name else None
        if offset is None:
            offset = locator.scan.values.get(where)
        located.append(
            (len(text) if offset is None else offset, where, string, is_name)
        )
    for offset, where, string, is_name in sorted(located):
        line, column = locator.position(offset) if offset < len(text) else (None, None)
        lone = printable(SURROGATE.findall(string)[0])
        what = f"the member name {quoted(string)}" if is_name else "this string"
        yield (
            rule_finding(
                JSON_SURROGATE,
                f"{what} holds a lone surrogate ({lone}), an escape of half a"
                " UTF-16 pair that stands for no character: it cannot be"
                " written as UTF-8, and receivers reject or replace it"
                " (RFC 8259 §8.2, RFC 7493 §2.1)",
                pointer=printable(where),
                line=line,
                column=column,
            )
        )


def _explain_rejection(
    text: str, first_line: int, limits: JsonLimits
) -> Iterator[Finding]:
    """Say exactly why the strict decoder refused a text the scanner can follow."""
    locator = Locator(text, first_line=first_line, max_depth=limits.max_depth)
    explained = False
    for obj, key, offset in locator.scan.duplicates:
        line, column = locator.position(offset)
        explained = True
        yield (
            rule_finding(
                JSON_DUPLICATE,
                f"member name {quoted(key)} appears more than once in its object;"
                " receivers disagree on which value wins"
                " (RFC 7493 §2.3)",
                pointer=pointer([*_split(obj), key]),
                line=line,
                column=column,
            )
        )
    for where, token, offset in locator.scan.scalars:
        line, column = locator.position(offset)
        if token in ("NaN", "Infinity", "-Infinity"):
            explained = True
            yield (
                rule_finding(
                    JSON_NUMBER,
                    f"{token} is not a JSON number (RFC 8259 §6)",
                    pointer=where,
                    line=line,
                    column=column,
                )
            )
        elif token.lstrip("-").isdigit() and len(token.lstrip("-")) > 4300:
            explained = True
            yield (
                rule_finding(
                    JSON_NUMBER,
                    f"an integer with {len(token.lstrip('-')):,} digits is far"
                    " beyond what any receiver can represent (RFC 7493 §2.2)",
                    pointer=where,
                    line=line,
                    column=column,
                )
            )
    if not explained:
        yield rule_finding(
            JSON_SYNTAX, "the JSON text could not be read", line=first_line
        )


def _split(json_pointer: str) -> list[str]:
    if not json_pointer:
        return []
    return [
        p.replace("~1", "/").replace("~0", "~") for p in json_pointer.split("/")[1:]
    ]


def _number_findings(value: JsonValue, text: str, first_line: int) -> Iterator[Finding]:
    """Numbers that overflow binary64 (errors) or lose integer precision (warnings)."""
    found: list[tuple[str, int | float]] = []
    stack: list[tuple[list[str | int], JsonValue]] = [([], value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(([*path, k], v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(([*path, i], v) for i, v in enumerate(item))
        elif (isinstance(item, float) and item in (float("inf"), float("-inf"))) or (
            isinstance(item, int)
            and not isinstance(item, bool)
            and abs(item) > _MAX_SAFE_INTEGER
        ):
            found.append((pointer(path), item))
    if not found:
        return
    locator = Locator(text, first_line=first_line)
    for where, item in sorted(found, key=lambda f: f[0]):
        position = locator.locate(where)
        line, column = position if position else (None, None)
        if isinstance(item, float):
            yield (
                rule_finding(
                    JSON_NUMBER,
                    "this number is too large for IEEE 754 binary64: receivers"
                    " would read it as infinity (RFC 7493 §2.2)",
                    pointer=where,
                    line=line,
                    column=column,
                )
            )
        else:
            digits = len(str(abs(item)))
            yield (
                rule_finding(
                    JSON_PRECISION,
                    f"this integer ({digits} digits) is outside ±(2^53-1);"
                    " receivers that read numbers as binary64 will change it;"
                    " send it as a string (RFC 7493 §2.2)",
                    pointer=where,
                    line=line,
                    column=column,
                    severity=Severity.WARNING,
                )
            )
