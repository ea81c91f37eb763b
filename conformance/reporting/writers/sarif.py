"""SARIF 2.1.0 (OASIS): findings as code-scanning alerts.

One ``run`` of the tool ``egov-conformance``. Its rules are the requirements
the findings cite (``ruleId`` the requirement id, the requirement's text its
description, its level the rule's default level); each finding is one
``result`` at its place (``ci.placed_findings``): a payload's file, line and
column, or the operation in the service's interface document. Levels follow
RFC 2119: MUST ``error``, SHOULD ``warning``, MAY ``note``. A failure under a
waiver carries an external suppression with the waiver's reason. A result
that could not be checked is a tool execution notification, not a finding.

Paths are relative to ``%SRCROOT%`` (the folder the run was made in), so
that a code-scanning upload finds them in the repository.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from conformance import __version__
from conformance.atomic import write_text_atomic
from conformance.json_text import indented_json
from conformance.model import JsonValue, Level, Outcome
from conformance.reporting.ci import Annotation, placed_findings
from conformance.reporting.escaping import one_line
from conformance.results.run import Run

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_ROOT = "%SRCROOT%"
_DEFAULT_LEVEL = {Level.MUST: "error", Level.SHOULD: "warning", Level.MAY: "note"}


def render_sarif(run: Run, *, root: Path | None = None) -> dict[str, JsonValue]:
    """The SARIF log of a run, as JSON-ready data."""
    found = placed_findings(run)
    rules: list[JsonValue] = []
    index: dict[str, int] = {}
    for item in found:
        if item.rule is not None and item.rule not in index:
            index[item.rule] = len(rules)
            rules.append(_rule(run, item))
    results: list[JsonValue] = [_result(item, index) for item in found]
    notifications: list[JsonValue] = [
        {
            "level": "error",
            "message": {
                "text": one_line(f"{r.id}: {r.reason or 'could not be checked'}")
            },
        }
        for r in run.results
        if r.outcome is Outcome.ERROR
    ]
    invocation: dict[str, JsonValue] = {
        "executionSuccessful": run.complete and not notifications,
        "commandLine": one_line(run.command),
        "startTimeUtc": _utc(run),
    }
    if run.finished is not None:
        invocation["endTimeUtc"] = run.finished.strftime("%Y-%m-%dT%H:%M:%SZ")
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    base = (root or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "egov-conformance",
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"conformance/{run.id}"},
                "originalUriBaseIds": {_ROOT: {"uri": base}},
                "invocations": [invocation],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _utc(run: Run) -> str:
    return run.started.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rule(run: Run, item: Annotation) -> dict[str, JsonValue]:
    assert item.rule is not None
    requirement = (
        run.registry.requirement(item.standard, item.rule) if item.standard else None
    )
    rule: dict[str, JsonValue] = {"id": item.rule}
    if requirement is not None:
        rule["shortDescription"] = {"text": one_line(requirement.text)}
        rule["defaultConfiguration"] = {"level": _DEFAULT_LEVEL[requirement.level]}
        rule["properties"] = {
            "level": requirement.level.value,
            "source": requirement.source,
            "standard": item.standard,
        }
    elif item.standard:
        rule["properties"] = {"standard": item.standard}
    return rule


def _result(item: Annotation, index: dict[str, int]) -> dict[str, JsonValue]:
    result = item.result
    data: dict[str, JsonValue] = {
        "level": item.level,
        "message": {"text": item.message},
        "properties": {
            "result": result.id,
            "title": one_line(result.title),
            "outcome": result.outcome.value,
            "target": result.target,
        },
    }
    if item.rule is not None:
        data["ruleId"] = item.rule
        data["ruleIndex"] = index[item.rule]
    location = _location(item)
    if location:
        data["locations"] = [location]
    if result.waiver is not None and result.waiver.active:
        data["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": one_line(
                    f"waiver {result.waiver.id} until {result.waiver.expires}:"
                    f" {result.waiver.reason}"
                ),
            }
        ]
    return data


def _location(item: Annotation) -> dict[str, JsonValue]:
    location: dict[str, JsonValue] = {}
    if item.file is not None:
        physical: dict[str, JsonValue] = {"artifactLocation": _artifact(item.file)}
        if item.line is not None:
            region: dict[str, JsonValue] = {"startLine": item.line}
            if item.column is not None:
                region["startColumn"] = max(item.column, 1)
            physical["region"] = region
        location["physicalLocation"] = physical
    if item.logical is not None:
        location["logicalLocations"] = [{"fullyQualifiedName": one_line(item.logical)}]
    return location


def _artifact(file: str) -> dict[str, JsonValue]:
    """A relative path under %SRCROOT%, or a ``file:`` URI for one outside it."""
    path = Path(file)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(Path(os.path.normpath(file)).as_posix()), "uriBaseId": _ROOT}


def write_sarif(run: Run, path: Path) -> None:
    """Write the SARIF log atomically."""
    text = indented_json(render_sarif(run))
    write_text_atomic(path, text + "\n")
