"""Validating payload files: JSON, JSON Lines and XML, found by content.

:func:`validate_file` is what the command line, the pytest plugin and the
registry's example checks all call. A file that cannot be read, or is not
JSON or XML, gives findings; a missing standard or a broken schema gives an
``error`` result that says what to fix. One bad file never stops the others.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import NamedTuple, cast

from conformance.errors import ConformanceError
from conformance.inputs import caps
from conformance.inputs.caps import FindingCap
from conformance.inputs.excerpts import quoted
from conformance.inputs.json_input import (
    DEFAULT_LIMITS,
    NEEDS_FINDINGS,
    JsonLimits,
    read_batches,
    read_fast,
)
from conformance.inputs.rules import EXCHANGE_RULES, FORMAT_UNKNOWN
from conformance.inputs.xml_input import (
    XmlLimits,
    identity,
    parse_xml,
    prolog_finding,
    root_identity,
)
from conformance.model import Finding, JsonValue, Outcome, Severity, outcome_for
from conformance.registry.manifest import StandardVersion, Status
from conformance.registry.standards import Registry
from conformance.validation import xml_validation
from conformance.validation.json_validation import (
    ROOM_FREE_CHARS,
    JsonValidator,
    check_json,
    json_validator,
)
from conformance.validation.xml_schemas import XsdSchema
from conformance.validation.xml_validation import (
    check_tree,
    check_xml_file,
    xml_validator,
)

_HEAD = 4096
PAYLOAD_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".xml"})
JSON_LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
DEFAULT_MAX_FINDINGS = caps.DEFAULT_MAX_FINDINGS
"""Findings kept per file (a document, or a JSON Lines file); the rest are counted."""


# Not frozen, as model.Result (the engine makes one of each per file): 1.1
# against 0.4 µs to make one. Nothing assigns to it once made.
@dataclass(slots=True)
class PayloadResult:
    """What validating one file found."""

    path: Path
    format: str  # json, jsonl, xml or unknown
    standard: str | None
    findings: tuple[Finding, ...]
    records: int = 1
    failed_records: int = 0
    error: str | None = None
    omitted: int = 0
    version: StandardVersion | None = field(default=None, compare=False, repr=False)
    """The standard validated against, when it was found by the document's
    namespace (``standard`` names it)."""

    @property
    def outcome(self) -> Outcome:
        """``error`` when the file could not be checked, else by its findings."""
        if self.error is not None:
            return Outcome.ERROR
        return outcome_for(self.findings)


class Listed(NamedTuple):
    """A payload file to check, and how it was found."""

    path: Path
    named: bool
    """Named directly: a named pipe, socket or device is read only then
    (``<(command)`` on a command line), never when a folder merely holds
    one, where reading it could wait forever."""
    regular: bool = False
    """The folder's listing says it is a regular file (not a link): it is
    opened without asking the file system what it is first."""
    text: str | None = None
    """``path`` as text, when the listing gave it (``os.fspath`` of a Path
    joins its parts again)."""


def iter_payload_files(paths: Iterable[Path]) -> Iterator[Listed]:
    """Files named directly, and payload files (by suffix) inside named folders,
    in order of name, folder by folder."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield Listed(path, True)


def _walk(top: Path) -> Iterator[Listed]:
    """The payload files under a folder, as ``os.walk`` orders them (a
    folder's files, then each subfolder's, by name; hidden folders left
    out), with what the listing says of each file's kind."""
    try:
        with os.scandir(top) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return  # os.walk's default: a folder that cannot be listed is skipped
    folders = []
    for entry in entries:
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        name = entry.name
        if is_folder:
            if not name.startswith("."):
                folders.append(entry)
            continue
        # Path.suffix of the name, without making a Path of every file.
        dot = name.rfind(".")
        if 0 < dot < len(name) - 1 and name[dot:].lower() in PAYLOAD_SUFFIXES:
            try:
                regular = entry.is_file(follow_symlinks=False)
            except OSError:
                regular = False
            yield Listed(_child(top, name), False, regular, entry.path)
    for entry in folders:
        # As os.walk: a link to a folder is listed, not followed.
        if not entry.is_symlink():
            yield from _walk(_child(top, entry.name))


def _join(folder: Path, name: str) -> Path:
    return folder / name


# The path of a listed name, as Path.iterdir makes it: from the folder's
# parts and the name, which pathlib need not parse again (Path(text) or
# folder / name does: a third of the time a plan of many files takes).
# Where that private helper is missing, the public way.
_child: Callable[[Path, str], Path] = getattr(Path, "_make_child_relpath", _join)


_SPECIAL = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _special_kind(status: os.stat_result | None) -> str | None:
    """What a file is when it is not a regular file that can be read whole."""
    if status is None or stat.S_ISREG(status.st_mode):
        return None  # reading it says why, or it is read
    mode = status.st_mode
    return next((what for test, what in _SPECIAL if test(mode)), None)


def _status(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def sniff(head: bytes) -> str:
    """``json``, ``xml`` or ``unknown``, from the first bytes of a file."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            # Only the first character matters; UTF-16 JSON is then reported as
            # not UTF-8, and UTF-16 XML is read as XML allows.
            head = head[2:].decode(codec, "ignore").encode("utf-8")
            break
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    first = text[:1]
    if first in (b"{", b"[", b'"', b"-") or first.isdigit():
        return "json"
    if text.startswith((b"true", b"false", b"null")):
        return "json"
    return "unknown"


class Validators:
    """Finds and caches the compiled schema for each standard a run uses."""

    def __init__(
        self,
        registry: Registry,
        *,
        json_override: JsonValidator | None = None,
        xml_override: XsdSchema | None = None,
    ) -> None:
        self.registry = registry
        self.json_override = json_override
        self.xml_override = xml_override
        self._by_root: dict[tuple[str, str | None], StandardVersion | None] = {}
        # By the standard's identity, holding the standard: asked once per
        # file, where the registry's cache would spell its reference each time.
        self._xml: dict[int, tuple[StandardVersion, XsdSchema]] = {}

    def for_xml(self, namespace: str, version: str | None) -> StandardVersion | None:
        """The standard of an XML root element's namespace and ``version``."""
        key = (namespace, version)
        try:
            return self._by_root[key]
        except KeyError:
            found = self._by_root[key] = self.registry.standard_for_xml(
                namespace, version
            )
            return found

    def json(self, standard: StandardVersion | None) -> JsonValidator | None:
        """The JSON validator to use, or ``None`` if there is none."""
        if self.json_override is not None:
            return self.json_override
        if standard is None or standard.json is None:
            return None
        return json_validator(self.registry, standard)

    def xml(self, standard: StandardVersion | None) -> XsdSchema | None:
        """The XSD to use, or ``None`` if there is none."""
        if self.xml_override is not None:
            return self.xml_override
        if standard is None:
            return None
        try:
            return self._xml[id(standard)][1]
        except KeyError:
            pass
        if standard.xml is None:
            return None
        schema = xml_validator(self.registry, standard)
        self._xml[id(standard)] = (standard, schema)
        return schema


def validate_file(
    path: Path,
    validators: Validators,
    *,
    standard: StandardVersion | None = None,
    limits: JsonLimits = DEFAULT_LIMITS,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    named: bool = True,
    regular: bool = False,
) -> PayloadResult:
    """Validate one payload file against ``standard`` (or what its content names).

    ``named`` says the user named this path; a named pipe, socket or device
    that was only found in a folder is refused without being opened.
    ``regular`` says a folder's listing found a regular file there: it is
    opened without a look first (and refused if it has since become
    anything else).
    """
    status = None if named or regular else _status(path)
    special = None if status is None else _special_kind(status)
    if special is not None:
        return _not_regular(path, special, standard)
    try:
        data, head = _read_start(
            path, xml_validation.STREAM_THRESHOLD, status, listed=regular
        )
    except _Special as exc:
        return _not_regular(path, exc.kind, standard)
    except OSError as exc:
        return PayloadResult(
            path,
            "unknown",
            _ref(standard),
            (),
            error=f"cannot read {path}: {exc.strerror}",
        )
    kind = sniff(head)
    if kind == "json" and path.suffix.lower() in JSON_LINES_SUFFIXES:
        kind = "jsonl"
    try:
        if kind == "xml":
            if data is not None:
                result = _validate_xml_data(
                    path, data, validators, standard, max_findings
                )
            else:
                result = _validate_xml(path, validators, standard, max_findings)
            chosen = result.version
            if chosen is None and result.standard:
                chosen = validators.registry.resolve(result.standard)
            return _with_rules(result, validators.registry, chosen, path)
        if kind in ("json", "jsonl"):
            validator = validators.json(standard)
            if validator is None:
                return PayloadResult(
                    path, kind, _ref(standard), (), error=_no_json_standard(standard)
                )
            if kind == "jsonl":
                return _validate_lines(path, validator, standard, limits, max_findings)
            result = _validate_json_file(
                path, validator, standard, limits, max_findings, data=data
            )
            return _with_rules(result, validators.registry, standard, path)
    except ConformanceError as exc:
        return PayloadResult(path, kind, _ref(standard), (), error=str(exc))
    finding = Finding(
        message="the file is neither JSON nor XML (it starts with"
        f" {head[:16]!r}); payloads must be one or the other",
        rule=FORMAT_UNKNOWN[1],
        requirement=FORMAT_UNKNOWN[0],
        standard=EXCHANGE_RULES,
        line=1,
    )
    return PayloadResult(path, "unknown", _ref(standard), (finding,))


def _not_regular(
    path: Path, special: str, standard: StandardVersion | None
) -> PayloadResult:
    return PayloadResult(
        path,
        "unknown",
        _ref(standard),
        (),
        error=f"{path} is {special}, not a regular file: a payload folder is"
        " read for regular files only, since reading this could wait"
        " forever; copy its content into a file, or name it on the"
        " command line to read it",
    )


class _Special(Exception):
    """A file listed as regular was something else once opened."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def _with_rules(
    result: PayloadResult,
    registry: Registry,
    standard: StandardVersion | None,
    path: Path,
) -> PayloadResult:
    """The result with the standard's business rules' findings added (docs/rules.md)."""
    if result.error is not None or standard is None or standard.rules is None:
        return result
    # Imported on first need: the rules bring XPath and XSD 1.1 engines
    # (half a second of every command's start) that most standards never use.
    from conformance.validation.rules import rule_findings_for_file

    found = rule_findings_for_file(registry, standard, path, result.format)
    if not found:
        return result
    failed = result.failed_records or int(
        any(f.severity is Severity.ERROR for f in found)
    )
    return dataclasses.replace(
        result, findings=result.findings + tuple(found), failed_records=failed
    )


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)
_LISTED_FLAGS = _READ_FLAGS | getattr(os, "O_NONBLOCK", 0)


def _read_start(
    path: Path,
    whole: int,
    status: os.stat_result | None = None,
    *,
    listed: bool = False,
) -> tuple[bytes | None, bytes]:
    """The whole content of a regular file of at most ``whole`` bytes (else
    ``None``), and its head.

    A file is opened once: most payload files are small, and their reading
    costs as much as their parsing. Of any other file (a large one, a pipe
    named on the command line), only the head is read here. ``status`` is
    the file's, when the caller has just asked for it. ``listed``: a folder
    listed a regular file here; if it has become a pipe, a socket or a
    device since, :class:`_Special` is raised (it is opened without
    waiting for a writer, so a pipe cannot hold the run).
    """
    fd = os.open(path, _LISTED_FLAGS if listed else _READ_FLAGS)
    if status is None or not stat.S_ISREG(status.st_mode):
        try:
            status = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
    special = _special_kind(status) if listed else None
    if special is not None:
        os.close(fd)
        raise _Special(special)
    if stat.S_ISREG(status.st_mode) and status.st_size <= whole:
        try:
            data = os.read(fd, status.st_size + 1)
        finally:
            os.close(fd)
        if len(data) == status.st_size:
            return data, data[:_HEAD]
        # It changed size while being read: read its head again, as any file.
        fd = os.open(path, _READ_FLAGS)
    with open(fd, "rb") as handle:
        return None, handle.read(_HEAD)


def _ref(standard: StandardVersion | None) -> str | None:
    return standard.ref if standard else None


def _no_json_standard(standard: StandardVersion | None) -> str:
    if standard is None:
        return (
            "no standard to validate this JSON file against: pass --standard"
            " (e.g. --standard person@1.1.0), or map its folder to a standard"
            " in the configuration"
        )
    return f"{standard.ref} has no JSON binding; it can only validate XML"


def lifecycle_findings(standard: StandardVersion | None) -> list[Finding]:
    """A warning for a deprecated version, an error for a retired one."""
    if standard is None:
        return []
    if standard.status is Status.DEPRECATED:
        return [
            Finding(
                message=f"{standard.ref} is deprecated; its sunset date is"
                f" {standard.sunset}: move to a newer version before then",
                rule="standard-deprecated",
                requirement="ER-VERSION-2",
                standard=EXCHANGE_RULES,
                severity=Severity.WARNING,
            )
        ]
    if standard.status is Status.RETIRED:
        return [
            Finding(
                message=f"{standard.ref} was retired on {standard.sunset}; payloads"
                " must use a version that is in force",
                rule="standard-retired",
                requirement="ER-VERSION-1",
                standard=EXCHANGE_RULES,
            )
        ]
    return []


def _validate_json_file(
    path: Path,
    validator: JsonValidator,
    standard: StandardVersion | None,
    limits: JsonLimits,
    max_findings: int,
    *,
    data: bytes | None = None,
) -> PayloadResult:
    size = path.stat().st_size if data is None else len(data)
    cap = FindingCap(max_findings)
    if size > limits.max_bytes:
        # Refuse before reading: a huge file must not be loaded into memory.
        cap.add(
            Finding(
                message=f"the document is {size:,} bytes; the limit is"
                f" {limits.max_bytes:,} bytes (use JSON Lines for bulk data, or"
                " raise the limit with --max-bytes)",
                rule="json-size",
                requirement="ER-PAYLOAD-1",
                standard=EXCHANGE_RULES,
            )
        )
    else:
        check_json(
            path.read_bytes() if data is None else data, validator, cap, limits=limits
        )
    return PayloadResult(
        path,
        "json",
        _ref(standard),
        tuple(cap.findings()),
        failed_records=int(cap.errors > 0),
        omitted=cap.omitted,
    )


_CHUNK = 1 << 20


class _TooLong:
    """Stands for a JSON Lines record longer than the size limit."""

    def __init__(self, size: int) -> None:
        self.size = size


def _json_line_blocks(
    path: Path, max_bytes: int, start: int = 0, end: int | None = None, number: int = 0
) -> Iterator[tuple[int, bytes | None, Sequence[bytes | _TooLong]]]:
    """Blocks of records of a JSON Lines file, with the line number before each.

    The file is read in chunks of about a megabyte, from byte ``start`` (a
    line's first, line ``number + 1``) to byte ``end`` (the end of a line,
    or of the file). Each block comes with its bytes (``None`` for a block
    that is not whole lines). A record longer than ``max_bytes`` is
    skipped, never held in memory, and stands as a :class:`_TooLong`.
    """
    pending = b""
    skipping = 0
    with path.open("rb") as handle:
        handle.seek(start)
        left = -1 if end is None else end - start
        while True:
            chunk = handle.read(_CHUNK if left < 0 else min(_CHUNK, left))
            if not chunk:
                break
            if left >= 0:
                left -= len(chunk)
            data = pending + chunk
            if skipping:
                stop = data.find(b"\n") + 1
                if stop == 0:
                    skipping += len(data)
                    pending = b""
                    continue
                yield number, None, [_TooLong(skipping + stop)]
                number += 1
                skipping = 0
                data = data[stop:]
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if len(pending) > max_bytes:
                skipping, pending = len(pending), b""
            if not cut:
                continue
            block = data[:cut]
            # Records stay bytes: the fast reader takes bytes and checks the
            # encoding itself; only records that need explaining are decoded.
            lines = block.split(b"\n")
            lines.pop()  # the empty piece after the final newline
            yield number, block, lines
            number += len(lines)
    if skipping:
        yield number, None, [_TooLong(skipping)]
    elif pending:
        yield number, None, [pending]


class _LinesChecker:
    """The findings of one JSON Lines file, record by record, in order."""

    def __init__(
        self, validator: JsonValidator, limits: JsonLimits, max_findings: int
    ) -> None:
        self.validator = validator
        self.limits = limits
        self.cap = FindingCap(max_findings)  # one for the whole file
        self.records = 0
        self.failed = 0
        self.room_dependent = False
        """Whether a record explained was long enough that what its findings
        say could depend on the room left in the cap (see ROOM_FREE_CHARS)."""

    def block(
        self, before: int, block: bytes | None, lines: Sequence[bytes | _TooLong]
    ) -> None:
        """Check the records of one block; line ``before + 1`` is its first."""
        batches = (
            read_batches(block, cast("Sequence[bytes]", lines), self.limits)
            if block is not None
            else None
        )
        if batches is None:
            for number, line in enumerate(lines, before + 1):
                self.record(number, line)
            return
        # The bulk path: a sound record costs one C-level parse and the
        # native verdict, the batch's loop run by map; anything unusual goes
        # through check_json, which reads it again carefully and explains.
        is_valid = self.validator.native.is_valid
        first = 0
        for whole, values in batches:
            if whole:
                self.records += len(values)
                failing = compress(
                    range(len(values)), map(operator.not_, map(is_valid, values))
                )
                for index in failing:
                    at = first + index
                    # A whole batch holds values only.
                    sound = cast("JsonValue", values[index])
                    self._explain(before + at + 1, sound, lines[at])
            else:
                for index, value in enumerate(values, first):
                    if value is NEEDS_FINDINGS:
                        self.record(before + index + 1, lines[index])
                        continue
                    self.records += 1
                    if not is_valid(value):
                        self._explain(before + index + 1, value, lines[index])
            first += len(values)

    def _explain(self, number: int, value: JsonValue, line: bytes | _TooLong) -> None:
        """Findings of a record (line ``number``) the native verdict rejected."""
        cap = self.cap
        errors = cap.errors
        line = cast("bytes", line)  # a record too long is never parsed
        if len(line) > ROOM_FREE_CHARS:
            self.room_dependent = True
        self.validator.explain(value, line.decode("utf-8"), cap, first_line=number)
        if cap.errors > errors:
            self.failed += 1

    def record(self, number: int, line: bytes | _TooLong) -> None:
        """Check one record (line ``number``) read on its own."""
        cap = self.cap
        errors = cap.errors
        max_bytes = self.limits.max_bytes
        if isinstance(line, _TooLong):
            self.records += 1
            cap.add(
                Finding(
                    message=f"this record is {line.size:,} bytes; the limit is"
                    f" {max_bytes:,} bytes",
                    rule="json-size",
                    requirement="ER-PAYLOAD-1",
                    standard=EXCHANGE_RULES,
                    line=number,
                )
            )
        else:
            if not line or line.isspace():
                return
            self.records += 1
            if len(line) > ROOM_FREE_CHARS:
                self.room_dependent = True
            fast = read_fast(line, self.limits)
            validator = self.validator
            if fast is NEEDS_FINDINGS:
                check_json(line, validator, cap, limits=self.limits, first_line=number)
            elif not validator.native.is_valid(fast[0]):
                text = line.decode("utf-8")
                validator.explain(fast[0], text, cap, first_line=number)
        if cap.errors > errors:
            self.failed += 1


def _validate_lines(
    path: Path,
    validator: JsonValidator,
    standard: StandardVersion | None,
    limits: JsonLimits,
    max_findings: int,
) -> PayloadResult:
    checker = _LinesChecker(validator, limits, max_findings)
    for before, block, lines in _json_line_blocks(path, limits.max_bytes):
        checker.block(before, block, lines)
    cap = checker.cap
    return PayloadResult(
        path,
        "jsonl",
        _ref(standard),
        tuple(cap.findings()),
        records=checker.records,
        failed_records=checker.failed,
        omitted=cap.omitted,
    )


@dataclass(frozen=True, slots=True)
class LinesPart:
    """What one part of a JSON Lines file found, to merge in file order.

    ``findings`` are those kept by a cap of its own, ``omitted`` (and
    ``omitted_errors`` of them errors) those counted past it.
    """

    findings: tuple[Finding, ...]
    omitted: int
    omitted_errors: int
    records: int
    failed: int
    room_dependent: bool


def split_lines(path: Path, parts: int) -> list[tuple[int, int, int]]:
    """``(start, end, lines before)`` of about ``parts`` byte ranges of whole lines.

    Each range but the last ends just after a newline; the line numbers
    are counted here, in C, so each part can number its own lines.
    """
    size = path.stat().st_size
    step = max(size // max(parts, 1), 1)
    cuts = [0]
    with path.open("rb") as handle:
        target = step
        while target < size:
            handle.seek(target)
            found = -1
            while found < 0:
                chunk = handle.read(_CHUNK)
                if not chunk:
                    break
                found = chunk.find(b"\n")
                if found < 0:
                    target += len(chunk)
            if found < 0:
                break
            cut = target + found + 1
            if cut >= size:
                break
            cuts.append(cut)
            target = max(cut, cuts[-1]) + step
        cuts.append(size)
        ranges = []
        lines = 0
        handle.seek(0)
        position = 0
        for start, end in itertools.pairwise(cuts):
            while position < start:
                chunk = handle.read(min(_CHUNK, start - position))
                lines += chunk.count(b"\n")
                position += len(chunk)
            ranges.append((start, end, lines))
    return ranges


def validate_lines_part(
    path: Path,
    validator: JsonValidator,
    part: tuple[int, int, int],
    *,
    limits: JsonLimits = DEFAULT_LIMITS,
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> LinesPart:
    """Validate one range of :func:`split_lines` of a JSON Lines file."""
    start, end, before = part
    checker = _LinesChecker(validator, limits, max_findings)
    for number, block, lines in _json_line_blocks(
        path, limits.max_bytes, start, end, before
    ):
        checker.block(number, block, lines)
    cap = checker.cap
    return LinesPart(
        tuple(cap.kept),
        cap.omitted,
        cap.omitted_errors,
        checker.records,
        checker.failed,
        checker.room_dependent,
    )


def merge_lines_parts(
    path: Path,
    standard: StandardVersion | None,
    parts: Sequence[LinesPart],
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> PayloadResult | None:
    """The result of a JSON Lines file from its parts, as one pass would give it.

    One cap takes every part's findings in order, and counts what each
    part counted. ``None`` when a part after the first explained a record
    whose findings depend on the room left (the file is then validated in
    one pass).
    """
    if any(part.room_dependent for part in parts[1:]):
        return None
    cap = FindingCap(max_findings)
    for part in parts:
        cap.extend(part.findings)
        cap.omit(Severity.ERROR, part.omitted_errors)
        cap.omit(Severity.WARNING, part.omitted - part.omitted_errors)
    return PayloadResult(
        path,
        "jsonl",
        _ref(standard),
        tuple(cap.findings()),
        records=sum(part.records for part in parts),
        failed_records=sum(part.failed for part in parts),
        omitted=cap.omitted,
    )


def _validate_xml(
    path: Path,
    validators: Validators,
    standard: StandardVersion | None,
    max_findings: int,
) -> PayloadResult:
    chosen = standard
    if chosen is None and validators.xml_override is None:
        namespace, local, version = root_identity(path)
        if namespace is not None:
            chosen = validators.for_xml(namespace, version)
        elif (problem := prolog_finding(path)) is not None:
            # No root to name a standard: a DTD or an unreadable encoding.
            return PayloadResult(path, "xml", None, (problem,), failed_records=1)
        if chosen is None:
            return PayloadResult(
                path,
                "xml",
                None,
                (),
                error=(
                    f"no standard in the registry has the XML namespace"
                    f" {quoted(namespace or '(none)')} of the root element"
                    f" {quoted(local or '(none)')}:"
                    " pass --standard, or check the namespace"
                ),
            )
    schema = validators.xml(chosen)
    if schema is None:
        return PayloadResult(
            path,
            "xml",
            _ref(chosen),
            (),
            error=f"{_ref(chosen)} has no XML binding; it can only validate JSON",
        )
    cap = FindingCap(max_findings)
    check_xml_file(path, schema, cap)
    return _xml_result(path, chosen, cap)


_READ_WHOLE = XmlLimits(xml_validation.STREAM_THRESHOLD)
"""A file read whole is at most this large (else it is streamed): within
the in-memory limit of a document read from a file."""


def _validate_xml_data(
    path: Path,
    data: bytes,
    validators: Validators,
    standard: StandardVersion | None,
    max_findings: int,
) -> PayloadResult:
    """:func:`_validate_xml` of a file read whole: parsed once, and its
    standard found from the parsed root. A document that cannot be parsed
    takes :func:`_validate_xml`, which says why in the same words."""
    parsed = parse_xml(data, limits=_READ_WHOLE)
    if not parsed.ok or parsed.tree is None:
        return _validate_xml(path, validators, standard, max_findings)
    chosen = standard
    if chosen is None and validators.xml_override is None:
        namespace, _, version = identity(parsed.tree.getroot())
        if namespace is not None:
            chosen = validators.for_xml(namespace, version)
        if chosen is None:
            return _validate_xml(path, validators, standard, max_findings)
    schema = validators.xml(chosen)
    if schema is None:
        return _validate_xml(path, validators, standard, max_findings)
    cap = FindingCap(max_findings)
    if parsed.findings:
        cap.extend(parsed.findings)
    check_tree(parsed.tree, schema, cap)
    return _xml_result(path, chosen, cap)


def _xml_result(
    path: Path, chosen: StandardVersion | None, cap: FindingCap
) -> PayloadResult:
    """The result of one XML file checked against ``chosen``."""
    # Most files have no finding: no list to make and copy.
    findings = tuple(cap.findings()) if cap.kept or cap.omitted else ()
    return PayloadResult(
        path,
        "xml",
        _ref(chosen),
        findings,
        failed_records=int(cap.errors > 0),
        omitted=cap.omitted,
        version=chosen,
    )


def with_findings(result: PayloadResult, findings: Iterable[Finding]) -> PayloadResult:
    """A copy of ``result`` with other findings."""
    return dataclasses.replace(result, findings=tuple(findings))
