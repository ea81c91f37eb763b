"""The traceability matrix (CSV): each requirement, what tests it, and the results.

One row per requirement of every standard the run touched: the standards
of its targets, the standards its results and findings cite, and the
``exchange-rules`` version whose input rules every payload is read under.
For each requirement: the means that test it (a check of the catalogue, a
binding's schema, a schema rule carrying ``x-requirement``, an input rule of
the suite), how many results tested it and with what outcome, and for a
requirement not tested, why not.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from conformance.atomic import write_text_atomic
from conformance.errors import UsageError
from conformance.inputs import rules
from conformance.model import Outcome, Result, Severity
from conformance.probing.checks import CheckSpec, all_checks
from conformance.registry.manifest import StandardVersion
from conformance.results.run import Run

COLUMNS = (
    "standard",
    "requirement",
    "level",
    "text",
    "tested_by",
    "results",
    "passed",
    "failed",
    "waived",
    "warning",
    "not_checked",
    "status",
    "reason",
)

_FORMAT_OF_RULE = {"json": "json", "xml": "xml"}


def _input_rules() -> dict[str, list[str]]:
    """Requirement id → the suite's input rules that test it."""
    found: dict[str, list[str]] = {}
    for value in vars(rules).values():
        if isinstance(value, tuple) and len(value) == 2:
            requirement, rule = value
            found.setdefault(requirement, []).append(rule)
    return found


@cache
def _annotated(path: Path) -> frozenset[str]:
    """Requirement ids a JSON Schema file cites with ``x-requirement``."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("x-requirement"), str):
                found.add(node["x-requirement"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return frozenset(found)


@dataclass
class _Row:
    standard: str
    requirement: str
    level: str
    text: str
    means: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    unchecked_reasons: list[str] = field(default_factory=list)

    def count(self, outcome: str, result: Result | None = None) -> None:
        self.outcomes[outcome] += 1
        if outcome == "not_checked" and result is not None and result.reason:
            self.unchecked_reasons.append(result.reason)


def _scope(run: Run) -> list[str]:
    refs = {t.standard for t in run.targets if t.standard}
    for result in run.results:
        if result.standard:
            refs.add(result.standard)
        refs.update(f.standard for f in result.findings if f.standard)
    if any(r.kind == "payload" for r in run.results):
        refs.add(rules.EXCHANGE_RULES)
    return sorted(refs)


def _means(
    standard: StandardVersion, requirement_id: str, checks: dict[str, CheckSpec]
) -> list[str]:
    means = [
        f"check {spec.id}"
        for spec in checks.values()
        if spec.standard == standard.ref and spec.requirement == requirement_id
    ]
    for binding in standard.bindings:
        if binding.requirement == requirement_id:
            means.append(f"{binding.format} binding {binding.path.name}")
        elif binding.format == "json" and requirement_id in _annotated(binding.path):
            means.append(f"rule in {binding.path.name}")
    if standard.ref == rules.EXCHANGE_RULES:
        means.extend(f"input rule {r}" for r in _input_rules().get(requirement_id, []))
    return means


def _tests(standard: StandardVersion, requirement_id: str, result: Result) -> bool:
    """True when the result tested the requirement, whatever its outcome."""
    cited = result.requirement
    if cited is not None and (result.standard, cited.id) == (
        standard.ref,
        requirement_id,
    ):
        return True
    if any(
        f.requirement == requirement_id and f.standard == standard.ref
        for f in result.findings
    ):
        return True
    if result.kind != "payload":
        return False
    fmt = str(result.evidence.get("format", ""))
    fmt = "json" if fmt == "jsonl" else fmt
    if result.standard == standard.ref:
        for binding in standard.bindings:
            if binding.format != fmt:
                continue
            if binding.requirement == requirement_id:
                return True
            if fmt == "json" and requirement_id in _annotated(binding.path):
                return True
    if standard.ref == rules.EXCHANGE_RULES:
        for rule in _input_rules().get(requirement_id, []):
            prefix = rule.partition("-")[0]
            if prefix == fmt or prefix not in _FORMAT_OF_RULE:
                return True
    return False


def _may_test(ref: str, result: Result) -> bool:
    """Whether ``result`` can test a requirement of the standard ``ref``: it
    is that standard's, a finding cites it, or it is a payload's and ``ref``
    holds the exchange rules every payload follows."""
    return (
        result.standard == ref
        or any(f.standard == ref for f in result.findings)
        or (ref == rules.EXCHANGE_RULES and result.kind == "payload")
    )


def _outcome_for(standard: str, requirement_id: str, result: Result) -> str:
    if result.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE, Outcome.ERROR):
        return "not_checked"
    own = [
        f
        for f in result.findings
        if f.requirement == requirement_id and f.standard == standard
    ]
    direct = result.requirement is not None and result.requirement.id == requirement_id
    if any(f.severity is Severity.ERROR for f in own) or (
        direct and result.outcome is Outcome.FAILED and not own
    ):
        return "waived" if result.waived else "failed"
    if own or (direct and result.outcome is Outcome.WARNING):
        return "warning"
    return "passed"


def _reason(row: _Row, results: int) -> str:
    if not row.means:
        return (
            "no check, schema rule or input rule of the suite tests it: it is"
            " reviewed by people, not by this suite"
        )
    if results == 0:
        checks = [m for m in row.means if m.startswith("check ")]
        if checks:
            return (
                f"{', '.join(checks)} did not run: no service of this run is"
                " checked for it, or the run's selection left it out"
            )
        return "no payload of this run was checked against it"
    first = row.unchecked_reasons[0] if row.unchecked_reasons else "not checked"
    return f"all {results} result(s) were not checked: {first}"


def traceability_rows(run: Run) -> list[dict[str, str]]:
    """The matrix as rows of :data:`COLUMNS`."""
    checks = all_checks()
    rows = []
    for ref in _scope(run):
        try:
            standard = run.registry.resolve(ref)
        except UsageError:
            continue
        # Only these can test one of its requirements (see _tests): every
        # result for every requirement was 65,000 calls for the main job.
        relevant = [r for r in run.results if _may_test(ref, r)]
        for requirement in standard.requirements:
            row = _Row(
                standard=ref,
                requirement=requirement.id,
                level=requirement.level.value,
                text=requirement.text,
                means=_means(standard, requirement.id, checks),
            )
            for result in relevant:
                if _tests(standard, requirement.id, result):
                    row.count(_outcome_for(ref, requirement.id, result), result)
            rows.append(_finish(row))
    return rows


def _finish(row: _Row) -> dict[str, str]:
    counts = row.outcomes
    results = sum(counts.values())
    checked = results - counts["not_checked"]
    if checked == 0:
        status, reason = "not tested", _reason(row, results)
    elif counts["failed"]:
        status, reason = "failed", ""
    elif counts["waived"]:
        status, reason = "waived", ""
    else:
        status, reason = "passed", ""
    return {
        "standard": row.standard,
        "requirement": row.requirement,
        "level": row.level,
        "text": row.text,
        "tested_by": "; ".join(row.means),
        "results": str(results),
        "passed": str(counts["passed"]),
        "failed": str(counts["failed"]),
        "waived": str(counts["waived"]),
        "warning": str(counts["warning"]),
        "not_checked": str(counts["not_checked"]),
        "status": status,
        "reason": reason,
    }


def render_traceability(run: Run) -> str:
    """The CSV text (RFC 4180, a header row, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(traceability_rows(run))
    return buffer.getvalue()


def write_traceability(run: Run, path: Path) -> None:
    """Write the matrix atomically."""
    write_text_atomic(path, render_traceability(run))
