"""Where a CI system shows a finding: file, line, column, rule and level.

SARIF (``writers/sarif.py``) and GitHub's workflow annotations both point
at a place in a file. A payload's finding is in the payload file, at its
line and column. A service check's finding is about the service's reply to
one operation, so it is placed at that operation in the interface document
of the standard the service implements: that is where a reviewer reads what
was promised.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.model import Finding, Level, Outcome, Result, Severity
from conformance.reporting.escaping import one_line
from conformance.reporting.text import cited_requirements
from conformance.results.run import Run, level_of

if TYPE_CHECKING:
    import yaml

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class Annotation:
    """One finding (or a failure with none) placed in a file, for CI."""

    result: Result
    level: str  # "error", "warning" or "note", as SARIF and GitHub name them
    rule: str | None  # the requirement id the finding cites
    standard: str | None
    message: str
    file: str | None = None  # as the run showed it: relative to the working folder
    line: int | None = None
    column: int | None = None
    logical: str | None = None  # a JSON Pointer, an XPath or an operation

    @property
    def title(self) -> str:
        """A short heading: the rule and the result's title."""
        return one_line(
            f"{self.rule}: {self.result.title}" if self.rule else self.result.title
        )


def level_for(requirement_level: str, severity: Severity) -> str:
    """SARIF's level for a finding: MUST an error, SHOULD a warning, MAY a note.

    A finding of warning weight is never more than a warning.
    """
    if requirement_level == Level.MAY.value:
        return "note"
    if requirement_level == Level.SHOULD.value or severity is Severity.WARNING:
        return "warning"
    return "error"


def placed_findings(run: Run) -> list[Annotation]:
    """Every finding of every failed or warning result, placed where it is.

    Results that passed, were skipped or not applicable have nothing to
    show; a result that could not be checked (``error``) is not a finding
    about the file and is left to the run's summary.
    """
    found: list[Annotation] = []
    for result in run.results:
        if result.outcome not in (Outcome.FAILED, Outcome.WARNING):
            continue
        place = _place(run, result)
        if not result.findings:
            rules = cited_requirements(result)
            file, line, logical = place
            found.append(
                Annotation(
                    result=result,
                    level=level_for(level_of(result), Severity.ERROR),
                    rule=rules[0] if rules else None,
                    standard=result.standard,
                    message=one_line(result.reason or result.title),
                    file=file,
                    line=line,
                    logical=logical,
                )
            )
            continue
        findings = result.findings
        for finding in findings:
            found.append(_annotation(run, result, finding, place))
    return found


_Place = tuple[str | None, int | None, str | None]  # file, line, logical place


def _annotation(
    run: Run, result: Result, finding: Finding, place: _Place
) -> Annotation:
    rule = finding.requirement or (
        result.requirement.id if result.requirement else None
    )
    standard = finding.standard or result.standard
    requirement = (
        run.registry.requirement(standard, rule) if standard and rule else None
    )
    level = requirement.level.value if requirement else level_of(result)
    if result.kind == "payload":
        return Annotation(
            result=result,
            level=level_for(level, finding.severity),
            rule=rule,
            standard=standard,
            message=one_line(finding.message),
            file=place[0],
            line=finding.line,
            column=finding.column if finding.line is not None else None,
            logical=finding.pointer if finding.pointer is not None else finding.xpath,
        )
    file, line, logical = place
    return Annotation(
        result=result,
        level=level_for(level, finding.severity),
        rule=rule,
        standard=standard,
        message=one_line(finding.message),
        file=file,
        line=line,
        logical=logical,
    )


def _place(run: Run, result: Result) -> _Place:
    """The file (and, for a service, the operation's line) of a result."""
    if result.kind != "service":
        return result.evidence.get("file"), None, None
    operation = result.evidence.get("operation")
    interface = _interface(run, result)
    if interface is None:
        return None, None, operation
    line = operation_line(interface, operation) if operation else None
    return shown_path(interface), line, operation


def _interface(run: Run, result: Result) -> Path | None:
    """The interface document of the standard the result's service implements."""
    standard = next(
        (t.standard for t in run.targets if t.id == result.target and t.standard),
        None,
    )
    if standard is None:
        return None
    try:
        version = run.registry.resolve(standard)
    except Exception:  # a report read back whose registry lacks the standard
        return None
    return version.interface


def shown_path(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def operation_line(interface: Path, operation: str) -> int | None:
    """The line of ``METHOD /path`` in an OpenAPI document, 1-based; None if absent."""
    method, _, path = operation.partition(" ")
    lines = _operation_lines(interface)
    if (method.lower(), path) in lines:
        return lines[(method.lower(), path)]
    # The operation is named by its full path, the server's base path
    # (``/person/v1``) included; the document's paths are relative to it.
    for (each, template), line in sorted(lines.items(), key=lambda i: -len(i[0][1])):
        if each == method.lower() and path.endswith(template):
            return line
    return None


@cache
def _operation_lines(interface: Path) -> dict[tuple[str, str], int]:
    """Each operation's line, read once per document (YAML or JSON)."""
    import yaml  # only a run with service findings reads interfaces

    try:
        root = yaml.compose(
            interface.read_text(encoding="utf-8"), Loader=yaml.SafeLoader
        )
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    lines: dict[tuple[str, str], int] = {}
    paths = _child(root, "paths")
    if not isinstance(paths, yaml.MappingNode):
        return lines
    for key, item in paths.value:
        if not isinstance(item, yaml.MappingNode):
            continue
        for method_key, _ in item.value:
            if method_key.value in _METHODS:
                lines[(method_key.value, key.value)] = method_key.start_mark.line + 1
    return lines


def _child(node: yaml.Node | None, name: str) -> yaml.Node | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == name:
            assert isinstance(value, yaml.Node)
            return value
    return None


def _escape_data(text: str) -> str:
    # GitHub's workflow commands read %, CR and LF as escapes in a message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def github_annotations(run: Run) -> list[str]:
    """Each finding as a GitHub Actions workflow command, one line each.

    ``::error file=p1.json,line=3,col=9,title=PER-3: ...::message``: GitHub
    shows it on the file's line in the pull request. A waived failure is a
    notice, since it does not fail the gate.
    """
    lines = []
    for item in placed_findings(run):
        level = "notice" if item.result.waived else _GITHUB_LEVEL[item.level]
        properties = []
        if item.file is not None:
            properties.append(f"file={_escape_property(item.file)}")
            if item.line is not None:
                properties.append(f"line={item.line}")
                if item.column is not None:
                    properties.append(f"col={item.column}")
        properties.append(f"title={_escape_property(item.title)}")
        message = item.message
        if item.logical is not None:
            message = f"{item.logical or '/'}: {message}"
        lines.append(f"::{level} {','.join(properties)}::{_escape_data(message)}")
    return lines


def append_step_summary(
    text: str, environ: Mapping[str, str] | None = None
) -> Path | None:
    """Append ``text`` (Markdown) to ``$GITHUB_STEP_SUMMARY`` when it is set.

    GitHub shows that file on the job's page; several steps append to it,
    so it is appended to, never replaced. Returns the file, or None.
    """
    target = (os.environ if environ is None else environ).get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as summary:
        summary.write(text if text.endswith("\n") else text + "\n")
    return path
