"""The registry's own checks: run by `conformance standards check` and by pytest.

For every version: the manifest reads, each JSON Schema is valid against
its meta-schema and compiles with every ``$ref`` inside the registry, each
XSD loads, every valid example passes and every invalid example fails for
the rule and at the location its manifest gives, and a released version
still matches its recorded hashes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ConformanceError, SchemaError
from .integrity import integrity_problems
from .json_schemas import iter_subschemas, lint_schema, meta_schema_problems
from .json_validation import json_validator, registry_loader
from .manifest import Example, StandardVersion
from .model import Finding, Outcome, Result, Severity
from .payloads import Validators, validate_file
from .registry import Registry
from .xml_validation import xml_validator


@dataclass(frozen=True)
class RegistryCheck:
    """One self-check, ready to run: a pytest item or a line of command output."""

    id: str
    title: str
    standard: str | None
    run: Callable[[], Result]


def _result(
    check_id: str,
    *,
    title: str,
    target: str,
    standard: str | None,
    problems: list[str],
    started: float,
) -> Result:
    findings = tuple(Finding(message=p, rule="registry") for p in problems)
    return Result(
        id=check_id,
        title=title,
        outcome=Outcome.FAILED if problems else Outcome.PASSED,
        target=target,
        standard=standard,
        findings=findings,
        duration=time.perf_counter() - started,
        kind="registry",
    )


def _rel(registry: Registry, path: Path) -> str:
    try:
        return path.resolve().relative_to(registry.root).as_posix()
    except ValueError:
        return str(path)


def check_json_schemas(registry: Registry, standard: StandardVersion) -> Result:
    """Meta-schema, dialect, ``$id``, ``x-requirement`` and ``$ref`` checks."""
    started = time.perf_counter()
    problems: list[str] = []
    loader = registry_loader(registry)
    schema_files = sorted(standard.folder.glob("*.schema.json"))
    if standard.json is not None and standard.json.path not in schema_files:
        schema_files.append(standard.json.path)
    known = {r.id for r in standard.requirements}
    for path in schema_files:
        name = _rel(registry, path)
        uri = registry.uri_for(path)
        try:
            schema = loader.retrieve(uri)
        except SchemaError as exc:
            problems.append(str(exc))
            continue
        problems.extend(f"{name}{p}" for p in meta_schema_problems(schema))
        problems.extend(f"{name}: {p}" for p in lint_schema(schema))
        if isinstance(schema, dict) and schema.get("$id") != uri:
            problems.append(
                f"{name}: $id is {schema.get('$id')!r}; it must be {uri!r} (the"
                " registry's base URI followed by the file's place in the registry)"
            )
        for where, node in iter_subschemas(schema):
            requirement = node.get("x-requirement")
            if requirement is not None and requirement not in known:
                problems.append(
                    f"{name}#{where}/x-requirement: {requirement!r} is not a"
                    f" requirement of {standard.ref}"
                )
    if standard.json is not None and not problems:
        try:
            json_validator(registry, standard)
        except SchemaError as exc:
            problems.append(str(exc))
    return _result(
        f"{standard.ref}::json-schema",
        title=f"{standard.ref}: JSON Schema is valid and resolves inside the registry",
        target=_rel(registry, standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def check_xsd(registry: Registry, standard: StandardVersion) -> Result:
    """The XSD binding compiles, loading nothing outside the registry."""
    started = time.perf_counter()
    problems = []
    try:
        xml_validator(registry, standard)
    except SchemaError as exc:
        problems.append(str(exc))
    return _result(
        f"{standard.ref}::xsd",
        title=f"{standard.ref}: the XSD loads",
        target=_rel(registry, standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def example_problems(
    registry: Registry, standard: StandardVersion, example: Example
) -> list[str]:
    """Why an example does not behave as its manifest entry says (empty if it does)."""
    result = validate_file(example.path, Validators(registry), standard=standard)
    name = _rel(registry, example.path)
    if result.error is not None:
        return [f"{name}: could not be checked: {result.error}"]
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if example.valid:
        return [
            f"{name}: a valid example fails: {f.location}: {f.message} [{f.rule}]"
            for f in errors
        ]
    if not errors:
        return [
            f"{name}: an invalid example passes (it should break {example.rule!r}"
            f" at {example.location!r})"
        ]
    for finding in errors:
        if finding.rule == example.rule and _where(finding) == example.location:
            return []
    seen = "; ".join(f"{f.rule} at {_where(f)!r}" for f in errors)
    return [
        f"{name}: fails, but not as labelled: expected {example.rule!r} at"
        f" {example.location!r}, found {seen}"
    ]


def _where(finding: Finding) -> str:
    """The location an example label names: pointer, XPath, or "" for the document."""
    if finding.pointer is not None:
        return finding.pointer
    return finding.xpath if finding.xpath is not None else ""


def check_example(
    registry: Registry, standard: StandardVersion, example: Example
) -> Result:
    """One example behaves as labelled."""
    started = time.perf_counter()
    try:
        problems = example_problems(registry, standard, example)
    except ConformanceError as exc:
        problems = [str(exc)]
    rel = example.path.relative_to(standard.folder).as_posix()
    verdict = "passes" if example.valid else f"fails on {example.rule}"
    return _result(
        f"{standard.ref}::example::{rel}",
        title=f"{standard.ref}: example {rel} {verdict}",
        target=_rel(registry, example.path),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def check_integrity(registry: Registry, standard: StandardVersion) -> Result:
    """A released version still matches its recorded hashes."""
    started = time.perf_counter()
    try:
        problems = integrity_problems(registry, standard)
    except ConformanceError as exc:
        problems = [str(exc)]
    return _result(
        f"{standard.ref}::integrity",
        title=f"{standard.ref}: released content is unchanged",
        target=_rel(registry, standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def registry_checks(
    registry: Registry, standards: list[StandardVersion] | None = None
) -> list[RegistryCheck]:
    """Every self-check of the registry (or of the given versions)."""
    checks: list[RegistryCheck] = []
    if standards is None:
        standards = list(registry)
        for problem in registry.problems:
            rel = _rel(registry, problem.path)
            message = problem.message

            def broken(rel: str = rel, message: str = message) -> Result:
                return _result(
                    f"registry::{rel}",
                    title=f"{rel} reads",
                    target=rel,
                    standard=None,
                    problems=[message],
                    started=time.perf_counter(),
                )

            checks.append(
                RegistryCheck(f"registry::{rel}", f"{rel} reads", None, broken)
            )
    for standard in standards:
        ref = standard.ref
        checks.append(
            RegistryCheck(
                f"{ref}::json-schema",
                f"{ref}: JSON Schema",
                ref,
                lambda s=standard: check_json_schemas(registry, s),
            )
        )
        if standard.xml is not None:
            checks.append(
                RegistryCheck(
                    f"{ref}::xsd",
                    f"{ref}: XSD",
                    ref,
                    lambda s=standard: check_xsd(registry, s),
                )
            )
        for example in standard.examples:
            rel = example.path.relative_to(standard.folder).as_posix()
            checks.append(
                RegistryCheck(
                    f"{ref}::example::{rel}",
                    f"{ref}: example {rel}",
                    ref,
                    lambda s=standard, e=example: check_example(registry, s, e),
                )
            )
        checks.append(
            RegistryCheck(
                f"{ref}::integrity",
                f"{ref}: integrity",
                ref,
                lambda s=standard: check_integrity(registry, s),
            )
        )
    return checks
