"""The registry's own checks: run by `conformance standards check` and by pytest.

For every version: the manifest reads, each JSON Schema is valid against
its meta-schema and compiles with every ``$ref`` inside the registry, each
XSD loads, every valid example passes and every invalid example fails for
the rule and at the location its manifest gives, and a released version
still matches its recorded hashes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import cast

import jsonschema

from conformance.errors import ConformanceError, SchemaError
from conformance.model import Finding, JsonValue, Outcome, Result, Severity
from conformance.probing.conventions import convention_problems
from conformance.probing.interfaces import (
    ROLES,
    Interface,
    Media,
    Operation,
    clark,
    member_at,
)
from conformance.registry.integrity import integrity_notes, integrity_problems
from conformance.registry.manifest import MANIFEST_NAME, Example, StandardVersion
from conformance.registry.standards import Registry
from conformance.selfcheck.errata import errata_path, errata_problems
from conformance.strategies.json import unsupported
from conformance.validation.json_schemas import (
    iter_subschemas,
    lint_schema,
    meta_schema_problems,
)
from conformance.validation.json_validation import json_validator, registry_loader
from conformance.validation.payloads import Validators, validate_file
from conformance.validation.rules import rule_set
from conformance.validation.xml_validation import xml_validator


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


def _guarded(
    check_id: str,
    *,
    title: str,
    target: str,
    standard: str | None,
    problems_of: Callable[[], list[str]],
) -> Result:
    """A result from a problem-finding function; a suite error is a problem too."""
    started = time.perf_counter()
    try:
        problems = problems_of()
    except ConformanceError as exc:
        problems = [str(exc)]
    return _result(
        check_id,
        title=title,
        target=target,
        standard=standard,
        problems=problems,
        started=started,
    )


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
        name = registry.relative(path)
        uri = registry.uri_for(path)
        try:
            schema = loader.retrieve(uri)
        except SchemaError as exc:
            problems.append(str(exc))
            continue
        problems.extend(f"{name}{p}" for p in meta_schema_problems(schema))
        problems.extend(f"{name}: {p}" for p in lint_schema(schema))
        problems.extend(
            f"{name}#{p}: the document generators (fuzzing, self-tests) cannot handle"
            " this keyword; use the keywords listed in docs/fuzzing.md"
            for p in unsupported(schema)
        )
        problems.extend(_id_problems(registry, path, name, uri, schema))
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
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def _id_problems(
    registry: Registry, path: Path, name: str, uri: str, schema: JsonValue
) -> list[str]:
    """A schema's ``$id``: its canonical URI, or its own absolute URI, unique."""
    declared = schema.get("$id") if isinstance(schema, dict) else None
    if declared == uri:
        return []
    in_registry = isinstance(declared, str) and any(
        declared.startswith(folder.base_uri) for folder in registry.folders
    )
    if (
        not isinstance(declared, str)
        or ":" not in declared
        or "#" in declared
        or in_registry
    ):
        return [
            f"{name}: $id is {declared!r}; it must be {uri!r} (the registry's base"
            " URI followed by the file's place in the registry) or the absolute URI"
            " the schema's authors gave it (a URN, or an address on their host)"
        ]
    others = [
        registry.relative(p)
        for p in registry.duplicate_ids().get(declared, [])
        if p != path.resolve()
    ]
    if others:
        return [
            f"{name}: $id {declared!r} is declared by {', '.join(others)} too; a"
            " $ref by it could mean either file: give each schema an $id of its own"
        ]
    return []


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
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def interface_problems(registry: Registry, standard: StandardVersion) -> list[str]:
    """What is wrong with a version's OpenAPI document (empty when nothing)."""
    assert standard.interface is not None
    name = registry.relative(standard.interface)
    try:
        interface = Interface(registry, standard)
    except (ConformanceError, KeyError, TypeError, AttributeError) as exc:
        return [f"{name}: cannot be read as an OpenAPI document: {exc}"]
    document = interface.document
    problems = []
    # The shape is judged on the file as written (a 3.0 document's schemas
    # are read translated), against the schema of its own OpenAPI version.
    written = registry_loader(registry).retrieve(interface.uri)
    checker = _openapi_checker(interface.openapi)
    for error in sorted(checker.iter_errors(written), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "(top level)"
        problems.append(f"{name}: at {where}: {error.message[:300]}")
    # OpenAPI's info is an object (a malformed one fails here, as it did).
    info = cast("dict[str, JsonValue]", document.get("info", {}))
    # A published document need not name the version (the manifest links
    # them); one that names another version is a mix-up.
    if "x-standard" in info and info["x-standard"] != standard.ref:
        problems.append(f"{name}: info.x-standard must be {standard.ref!r}")
    ids = {operation.id for operation in interface.operations}
    for described in (standard.service or {}).get("operations", {}):
        if described not in ids:
            problems.append(
                f"{registry.relative(standard.manifest_path)}: [service.operations]"
                f" names {described!r}, which is not an operationId of {name}"
                f" ({', '.join(sorted(ids))})"
            )
    pointers = []
    for operation in interface.operations:
        if operation.role is not None and operation.role not in ROLES:
            problems.append(
                f"{name}: {operation.id}: x-role {operation.role!r} is not one of"
                f" {', '.join(ROLES)}"
            )
        if operation.role == "read" and operation.key_parameter() is None:
            problems.append(
                f"{name}#{operation.pointer}: {operation.id}: a read needs a key"
                " parameter: a path parameter, or a query parameter marked"
                " x-key: true (or given an x-key-pointer)"
            )
        pointers += [p.pointer for p in operation.parameters if p.pointer]
        documented = [
            *operation.request.values(),
            *(m for kinds in operation.responses.values() for m in kinds.values()),
        ]
        for media in documented:
            if media.pointer:
                pointers.append(media.pointer)
            problems += _xsd_element_problems(registry, standard, name, media)
    problems += _kvp_problems(name, interface.operations)
    for pointer in dict.fromkeys(pointers):
        try:
            interface.validator(pointer)
        except SchemaError as exc:
            problems.append(f"{name}#{pointer}: {exc}")
    problems += convention_problems(standard, interface)
    return problems


def _xsd_element_problems(
    registry: Registry, standard: StandardVersion, name: str, media: Media
) -> list[str]:
    """Each x-xsd-element name that no XSD of the version (nor one it imports)
    declares as a global element."""
    if not media.xsd_elements:
        return []
    try:
        schema = xml_validator(registry, standard)
    except SchemaError as exc:
        return [str(exc)]
    known = schema.all_elements
    problems = []
    for element in media.xsd_elements:
        if clark(element) in known:
            continue
        documents = ", ".join(p.name for p in schema.paths or (schema.path,))
        problems.append(
            f"{name}#{media.at}/x-xsd-element: {element!r} is not a global element"
            f" of the version's XSDs ({documents}) or of a schema they import;"
            f" the elements there are: {', '.join(sorted(known)) or 'none'}"
        )
    return problems


def _kvp_problems(name: str, operations: tuple[Operation, ...]) -> list[str]:
    """Key-value-pair operations must be told apart by their fixed parameters."""
    problems = []
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], Operation] = {}
    for operation in operations:
        if "#" in operation.pointer.split("/")[2] and not operation.kvp:
            problems.append(
                f"{name}#{operation.pointer}: {operation.id}: a path key with a"
                " #name suffix holds a key-value-pair operation, which needs x-kvp"
                " (the fixed query parameters that select it, e.g."
                " {service: CSW, request: GetRecordById})"
            )
        key = (
            operation.method,
            operation.template,
            tuple(sorted(operation.kvp.items())),
        )
        other = seen.setdefault(key, operation)
        if other is not operation:
            problems.append(
                f"{name}#{operation.pointer}: {operation.id} and {other.id} are both"
                f" {operation.method} {operation.template} with the same fixed"
                " parameters (x-kvp); give each its own x-kvp values"
            )
    return problems


def _openapi_checker(version: str) -> jsonschema.protocols.Validator:
    """A validator of OpenAPI documents of ``version`` ("3.0" or "3.1"), from
    the OpenAPI Initiative's schemas shipped in ``openapi_schemas/`` (see its
    NOTICE; nothing is fetched)."""
    text = resources.files("conformance.selfcheck").joinpath(
        f"openapi_schemas/openapi-{version}.schema.json"
    )
    schema: dict[str, JsonValue] = json.loads(text.read_text(encoding="utf-8"))
    # 3.1's schema is draft 2020-12, 3.0's draft 4: each by its own $schema.
    checker: jsonschema.protocols.Validator = jsonschema.validators.validator_for(
        schema
    )(schema)
    return checker


def key_pointer_notes(registry: Registry, standard: StandardVersion) -> list[str]:
    """A read's path parameter that names no member of the valid examples.

    The write checks create a record and read it back by the key they put
    at the read's ``x-key-pointer`` (by default the member named like the
    path parameter). When no valid example has a member there, the
    created records keep the example's key and the write checks raise
    false alarms, so it is said here, before any service is probed.
    """
    if standard.interface is None:
        return []
    interface = Interface(registry, standard)
    if not interface.by_role("create"):
        return []
    examples = [
        e
        for e in standard.examples
        if e.valid and e.path.suffix.lower() == ".json" and e.path.is_file()
    ]
    values: list[JsonValue] = []
    for example in examples:
        try:
            values.append(json.loads(example.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    if not values:
        return []
    name = registry.relative(standard.interface)
    notes = []
    for operation in interface.by_role("read"):
        for parameter in operation.path_parameters()[:1]:
            where = parameter.key_pointer or ""
            if any(member_at(value, where) is not None for value in values):
                continue
            notes.append(
                f"{name}: {operation.id}: the path parameter {parameter.name!r}"
                f" names the member {where!r}, which no valid example has; the"
                " write checks would create records that keep the example's key"
                " and then read the wrong one. Add `x-key-pointer: <JSON Pointer"
                f" of the key member>` to the parameter {parameter.name!r}"
                " (docs/interfaces.md)"
            )
    return notes


def check_interface(registry: Registry, standard: StandardVersion) -> Result:
    """The OpenAPI document is valid, and every reference in it resolves.

    A read whose key names no member of the valid examples is a warning
    (:func:`key_pointer_notes`).
    """
    result = _guarded(
        f"{standard.ref}::interface",
        title=f"{standard.ref}: the OpenAPI interface is valid and resolves",
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems_of=lambda: interface_problems(registry, standard),
    )
    if result.outcome is not Outcome.PASSED:
        return result
    try:
        notes = key_pointer_notes(registry, standard)
    except ConformanceError as exc:
        notes = [str(exc)]
    return _noted(result, notes)


def example_problems(
    registry: Registry, standard: StandardVersion, example: Example
) -> list[str]:
    """Why an example does not behave as its manifest entry says (empty if it does)."""
    result = validate_file(example.path, Validators(registry), standard=standard)
    name = registry.relative(example.path)
    if result.error is not None:
        return [f"{name}: could not be checked: {result.error}"]
    errors = [f for f in result.findings if f.severity is Severity.ERROR]
    if example.valid:
        # A valid example keeps every business rule, SHOULD ones included:
        # it is what the standard's owners show as right.
        rules = rule_set(registry, standard)
        ids = {a.id for a in rules.schematron.assertions} if rules else set()
        return [
            f"{name}: a valid example fails: {f.location}: {f.message} [{f.rule}]"
            for f in result.findings
            if f.severity is Severity.ERROR or f.rule in ids
        ]
    # An invalid example of a SHOULD or MAY business rule is refused with a
    # warning (docs/rules.md): the labelled finding is what it must show.
    labelled = [
        f
        for f in result.findings
        if f.rule == example.rule and _where(f) == example.location
    ]
    if labelled and not errors:
        return []
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


MIN_VALID_EXAMPLES = 3
MIN_INVALID_EXAMPLES = 5


def example_set_problems(registry: Registry, standard: StandardVersion) -> list[str]:
    """What the examples of a version lack as a set: enough of each kind, and
    one broken rule per invalid example (docs/standards.md, "Examples")."""
    manifest = registry.relative(standard.folder / MANIFEST_NAME)
    valid = [e for e in standard.examples if e.valid]
    invalid = [e for e in standard.examples if not e.valid]
    problems = [
        f"{manifest}: {len(found)} {kind} examples; a version carries at least"
        f" {least} (add examples showing what the standard accepts and refuses)"
        for kind, found, least in (
            ("valid", valid, MIN_VALID_EXAMPLES),
            ("invalid", invalid, MIN_INVALID_EXAMPLES),
        )
        if len(found) < least
    ]
    first: dict[tuple[str | None, str | None], Example] = {}
    for example in invalid:
        key = (example.rule, example.location)
        if key in first:
            problems.append(
                f"{manifest}: {registry.relative(first[key].path)} and"
                f" {registry.relative(example.path)} both break {example.rule!r} at"
                f" {example.location!r}; give each invalid example a rule or"
                " location of its own, so each shows one more thing refused"
            )
        else:
            first[key] = example
    return problems


def _where(finding: Finding) -> str:
    """The location an example label names: pointer, XPath, or "" for the document."""
    if finding.pointer is not None:
        return finding.pointer
    return finding.xpath if finding.xpath is not None else ""


def check_example(
    registry: Registry, standard: StandardVersion, example: Example
) -> Result:
    """One example behaves as labelled."""
    rel = example.path.relative_to(standard.folder).as_posix()
    verdict = "passes" if example.valid else f"fails on {example.rule}"
    return _guarded(
        f"{standard.ref}::example::{rel}",
        title=f"{standard.ref}: example {rel} {verdict}",
        target=registry.relative(example.path),
        standard=standard.ref,
        problems_of=lambda: example_problems(registry, standard, example),
    )


def check_example_set(registry: Registry, standard: StandardVersion) -> Result:
    """A version has enough examples, each invalid one breaking its own rule."""
    return _guarded(
        f"{standard.ref}::examples",
        title=f"{standard.ref}: enough examples, one broken rule each",
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems_of=lambda: example_set_problems(registry, standard),
    )


def check_rules(registry: Registry, standard: StandardVersion) -> Result:
    """The rules compile, name requirements of the manifest and known code
    lists; each rule has an invalid example that breaks it (docs/rules.md)."""
    started = time.perf_counter()
    problems: list[str] = []
    try:
        rules = rule_set(registry, standard)
    except ConformanceError as exc:
        rules = None
        problems.append(str(exc))
    if rules is not None:
        shown = {e.rule for e in standard.examples if not e.valid}
        for assertion in rules.schematron.assertions:
            if assertion.id not in shown:
                problems.append(
                    f"{registry.relative(standard.manifest_path)}: no invalid"
                    f" example breaks the rule {assertion.id}; add one with"
                    f' rule = "{assertion.id}"'
                )
    return _result(
        f"{standard.ref}::rules",
        title=f"{standard.ref}: business rules",
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def check_changes(registry: Registry, standard: StandardVersion) -> Result:
    """A minor or patch version has no breaking change from the version
    before it in its major, each breaking change shown with its evidence."""
    from conformance.selfcheck.diff import breaking_findings, diff, previous_version

    started = time.perf_counter()
    previous = previous_version(registry, standard)
    problems: list[str] = []
    if previous is not None:
        try:
            found = diff(registry, previous, standard)
        except ConformanceError as exc:
            problems.append(f"the versions cannot be compared: {exc}")
        else:
            problems = [f.message for f in breaking_findings(found)]
    return _result(
        f"{standard.ref}::changes",
        title=f"{standard.ref}: a minor version breaks nothing",
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems=problems,
        started=started,
    )


def check_integrity(registry: Registry, standard: StandardVersion) -> Result:
    """A released version still matches its recorded hashes.

    One not yet recorded is a warning that says to run `standards lock`:
    the documented order is check, then lock.
    """
    result = _guarded(
        f"{standard.ref}::integrity",
        title=f"{standard.ref}: released content is unchanged",
        target=registry.relative(standard.folder),
        standard=standard.ref,
        problems_of=lambda: integrity_problems(registry, standard),
    )
    if result.outcome is not Outcome.PASSED:
        return result
    try:
        notes = integrity_notes(registry, standard)
    except ConformanceError as exc:
        notes = [str(exc)]
    return _noted(result, notes)


def _noted(result: Result, notes: list[str]) -> Result:
    """A passed result with notes: a warning carrying them (unchanged without)."""
    if not notes:
        return result
    findings = tuple(
        Finding(message=n, rule="registry", severity=Severity.WARNING) for n in notes
    )
    return replace(result, outcome=Outcome.WARNING, findings=findings)


def _errata_checks(
    registry: Registry, standards: list[StandardVersion]
) -> list[RegistryCheck]:
    """One check per standard with errata (they read, and name its versions),
    for a check of the whole registry."""
    checks = []
    first_of: dict[str, StandardVersion] = {}
    for standard in standards:
        first_of.setdefault(standard.id, standard)
    for standard in first_of.values():
        path = errata_path(standard)
        if not path.is_file():
            continue
        rel = registry.relative(path)
        checks.append(
            RegistryCheck(
                f"registry::{rel}",
                f"{rel} reads",
                standard.id,
                partial(
                    _guarded,
                    f"registry::{rel}",
                    title=f"{rel} reads",
                    target=rel,
                    standard=None,
                    problems_of=partial(errata_problems, registry, standard),
                ),
            )
        )
    return checks


def registry_checks(
    registry: Registry, standards: list[StandardVersion] | None = None
) -> list[RegistryCheck]:
    """Every self-check of the registry (or of the given versions)."""
    checks: list[RegistryCheck] = []
    if standards is None:
        # The bundled standards beside a user's folder are checked in this
        # project's CI; a user's check is of their own (name one to add it).
        standards = registry.own()
        for problem in registry.problems:
            rel = registry.relative(problem.path)
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
        checks.extend(_errata_checks(registry, standards))
    for standard in standards:
        ref = standard.ref
        checks.append(
            RegistryCheck(
                f"{ref}::json-schema",
                f"{ref}: JSON Schema",
                ref,
                partial(check_json_schemas, registry, standard),
            )
        )
        if standard.interface is not None:
            checks.append(
                RegistryCheck(
                    f"{ref}::interface",
                    f"{ref}: interface",
                    ref,
                    partial(check_interface, registry, standard),
                )
            )
        if standard.xml is not None:
            checks.append(
                RegistryCheck(
                    f"{ref}::xsd",
                    f"{ref}: XSD",
                    ref,
                    partial(check_xsd, registry, standard),
                )
            )
        if standard.rules is not None:
            checks.append(
                RegistryCheck(
                    f"{ref}::rules",
                    f"{ref}: business rules",
                    ref,
                    partial(check_rules, registry, standard),
                )
            )
        checks.append(
            RegistryCheck(
                f"{ref}::examples",
                f"{ref}: examples",
                ref,
                partial(check_example_set, registry, standard),
            )
        )
        for example in standard.examples:
            rel = example.path.relative_to(standard.folder).as_posix()
            checks.append(
                RegistryCheck(
                    f"{ref}::example::{rel}",
                    f"{ref}: example {rel}",
                    ref,
                    partial(check_example, registry, standard, example),
                )
            )
        checks.append(
            RegistryCheck(
                f"{ref}::changes",
                f"{ref}: a minor version breaks nothing",
                ref,
                partial(check_changes, registry, standard),
            )
        )
        checks.append(
            RegistryCheck(
                f"{ref}::integrity",
                f"{ref}: integrity",
                ref,
                partial(check_integrity, registry, standard),
            )
        )
    return checks
