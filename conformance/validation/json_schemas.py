"""Compiling JSON Schemas (draft 2020-12) with one set of meanings.

Two implementations are built from one schema, with the same formats
(:mod:`conformance.validation.formats`) and the same regular-expression dialect
(:mod:`conformance.validation.patterns`):

- the *native* validator (jsonschema-rs) decides validity and reports
  located errors for bulk payloads, near native speed;
- the *reference* validator (python-jsonschema on a ``referencing``
  registry) serves schema-level work: meta-schema checks with readable
  errors, and the differential tests that prove both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import jsonschema_rs

from conformance.errors import PatternError, SchemaError
from conformance.inputs.json_locate import pointer
from conformance.interrupts import Callbacks
from conformance.model import JsonValue
from conformance.registry.schema_resources import (
    RefOutsideRegistryError,
    ResourceLoader,
)
from conformance.validation.formats import FORMATS, NATIVE_OVERRIDES, format_checker
from conformance.validation.patterns import compile_pattern, search
from conformance.validation.ref_cycles import ref_cycles
from conformance.validation.schema_walk import iter_subschemas

if TYPE_CHECKING:
    import referencing
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator
    from jsonschema.validators import _Validator

# python-jsonschema and referencing (a tenth of a second to import) serve the
# reference validator only: they are imported when it is first built, never
# by a command that only validates payloads.

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
INSTANCE_MASK = "\x00instance\x00"
"""What jsonschema-rs writes in a message for the value it is about.

The native validator never writes the value itself (a 10 MB string would
make a 10 MB message); the message's reader puts in a capped quotation
(:func:`conformance.inputs.excerpts.quoted`).
"""


def lint_schema(schema: JsonValue) -> list[str]:
    """What a meta-schema cannot see.

    Unknown formats, patterns outside the dialect, and ``$ref`` cycles
    inside the document that never move into the instance (those through
    other documents are found when the schema is compiled,
    :func:`native_validator`).
    """
    problems = []
    if not isinstance(schema, dict):
        return ["the schema is not a JSON object"]
    if schema.get("$schema") != DRAFT_2020_12:
        problems.append(
            f"/$schema: must be {DRAFT_2020_12!r} (the suite validates draft 2020-12)"
        )
    for where, node in iter_subschemas(schema):
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt not in FORMATS:
            problems.append(
                f"{where}/format: {fmt!r} is not a format the suite knows"
                f" ({', '.join(sorted(FORMATS))}); a typo here would silently"
                " accept anything"
            )
        patterns = []
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            patterns.append((f"{where}/pattern", pattern))
        pattern_properties = node.get("patternProperties")
        if isinstance(pattern_properties, dict):
            patterns.extend(
                (f"{where}/patternProperties", p) for p in pattern_properties
            )
        for at, source in patterns:
            try:
                compile_pattern(source)
            except PatternError as exc:
                problems.append(f"{at}: {exc}")
    problems.extend(ref_cycles(schema))
    return problems


def native_validator(
    schema: JsonValue, loader: ResourceLoader
) -> jsonschema_rs.Validator:
    """Compile with jsonschema-rs; a :class:`SchemaError` explains any failure.

    A ``$ref`` cycle that never moves into the instance is refused here,
    through every document the schema reaches (jsonschema-rs would accept
    everything against it).
    """
    cycles = ref_cycles(schema, loader)
    if cycles:
        raise SchemaError("; ".join(cycles))
    callbacks = Callbacks()

    def retrieve(uri: str) -> JsonValue:
        with callbacks.noting():
            return loader.retrieve(uri)

    try:
        # jsonschema-rs makes a Ctrl-C inside the retriever an error naming
        # it: raised as such once jsonschema-rs is done.
        with callbacks:
            resources = _reachable(schema, loader)
            registry = (
                jsonschema_rs.Registry(resources, retriever=retrieve)
                if resources
                else None
            )
            return jsonschema_rs.validator_for(
                # The stubs admit objects and booleans only; jsonschema-rs refuses
                # any other value with a meta-schema error, reported below.
                schema,  # type: ignore[arg-type]
                formats={name: FORMATS[name] for name in NATIVE_OVERRIDES},
                validate_formats=True,
                ignore_unknown_formats=False,
                retriever=None if registry else retrieve,
                registry=registry,
                pattern_options=jsonschema_rs.RegexOptions(),
                mask=INSTANCE_MASK,
            )
    except jsonschema_rs.ValidationError as exc:
        first = str(exc).split("\n", 1)[0]
        # jsonschema-rs wraps our retriever's refusal; our own words are clearer.
        marker = f"{RefOutsideRegistryError.__name__}: "
        if marker in first:
            raise RefOutsideRegistryError(first.split(marker, 1)[1]) from None
        raise SchemaError(f"the schema cannot be compiled: {first}") from None
    except (ValueError, TypeError) as exc:
        raise SchemaError(f"the schema cannot be compiled: {exc}") from None


def _reachable(
    schema: JsonValue, loader: ResourceLoader
) -> list[tuple[str, JsonValue]]:
    """Every registry document a schema reaches through ``$ref``, loaded.

    jsonschema-rs finds the references of schema documents itself, but not
    those inside a schema that sits deep in another kind of document (an
    OpenAPI document); handing it every document up front covers both.
    A reference outside the registry is refused here, with the loader's
    message.
    """
    declared = schema.get("$id", "") if isinstance(schema, dict) else ""
    # A non-string $id fails the meta-schema when jsonschema-rs compiles.
    base = declared if isinstance(declared, str) else ""
    pending = [(base, _ref_targets(base, schema))]
    found: dict[str, JsonValue] = {}
    while pending:
        document_uri, targets = pending.pop()
        for target in targets:
            if target and target != document_uri and target not in found:
                # Refuses, with its own message, anything outside.
                found[target] = document = loader.retrieve(target)
                pending.append(
                    (target, loader.derived("$ref", target, document, _ref_targets))
                )
    return list(found.items())


def _ref_targets(document_uri: str, document: JsonValue) -> list[str]:
    """The document each ``$ref`` of a document points into, in the order a
    depth-first walk meets them (repeats included)."""
    found: list[str] = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.append(urljoin(document_uri, ref).split("#", 1)[0])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


# Keyword functions for python-jsonschema: (validator, the keyword's value,
# instance, schema) to the errors found. The isinstance tests after is_type
# change nothing (the stock type checker means exactly those types); they
# tell the type checker what is_type found.


def _pattern(
    validator: _Validator,
    pattern: str,
    instance: JsonValue,
    schema: dict[str, JsonValue],
) -> Iterator[ValidationError]:
    if (
        validator.is_type(instance, "string")
        and isinstance(instance, str)
        and not search(pattern, instance)
    ):
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: _Validator,
    patterns: dict[str, dict[str, JsonValue] | bool],
    instance: JsonValue,
    schema: dict[str, JsonValue],
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object") or not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        for name, value in instance.items():
            if search(pattern, name):
                yield from validator.descend(
                    value, subschema, path=name, schema_path=pattern
                )


def _additional_properties(
    validator: _Validator,
    extra: dict[str, JsonValue] | bool,
    instance: JsonValue,
    schema: dict[str, JsonValue],
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object") or not isinstance(instance, dict):
        return
    # Objects in any schema that passes the meta-schema.
    declared = _members(schema, "properties")
    patterns = _members(schema, "patternProperties")
    unexpected = [
        name
        for name in instance
        if name not in declared and not any(search(p, name) for p in patterns)
    ]
    if validator.is_type(extra, "object"):
        for name in unexpected:
            yield from validator.descend(instance[name], extra, path=name)
    elif not extra and unexpected:
        from jsonschema.exceptions import ValidationError

        listed = ", ".join(repr(name) for name in sorted(unexpected))
        yield ValidationError(f"Additional properties are not allowed ({listed})")


def _members(schema: dict[str, JsonValue], keyword: str) -> dict[str, JsonValue]:
    value = schema.get(keyword, {})
    return value if isinstance(value, dict) else {}


def reference_validator(schema: JsonValue, loader: ResourceLoader) -> Validator:
    """Compile with python-jsonschema over a ``referencing`` registry of our files."""
    import jsonschema
    import referencing
    import referencing.jsonschema

    def retrieve(uri: str) -> referencing.Resource:
        contents = loader.retrieve(uri)
        if isinstance(contents, dict) and "$schema" in contents:
            # A referenced document that names its dialect is validated by
            # the stock class of that dialect (jsonschema's evolve looks
            # "$schema" up), which would drop the ECMA-262 pattern keywords
            # below for everything behind a cross-document $ref. Every
            # registry schema is 2020-12 (the registry check sees to it).
            contents = {k: v for k, v in contents.items() if k != "$schema"}
        return referencing.Resource.from_contents(
            contents, default_specification=referencing.jsonschema.DRAFT202012
        )

    registry: referencing.Registry[JsonValue] = referencing.Registry(
        # referencing's attrs field _retrieve takes retrieve= (its alias) at
        # run time; mypy does not see the alias through referencing's types.
        retrieve=retrieve  # type: ignore[call-arg]
    )
    # types-jsonschema leaves extend() unannotated.
    cls = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator,
        {
            "pattern": _pattern,
            "patternProperties": _pattern_properties,
            "additionalProperties": _additional_properties,
        },
    )
    validator: Validator = cls(
        schema, registry=registry, format_checker=format_checker()
    )
    return validator


def meta_schema_problems(schema: JsonValue) -> list[str]:
    """Where ``schema`` breaks the 2020-12 meta-schema, as ``pointer: message``."""
    import jsonschema

    checker = jsonschema.Draft202012Validator(
        jsonschema.Draft202012Validator.META_SCHEMA
    )
    problems = []
    for error in sorted(checker.iter_errors(schema), key=lambda e: list(e.path)):
        best = jsonschema.exceptions.best_match([error])
        problems.append(f"{pointer(list(best.path)) or '/'}: {best.message}")
    return problems


def check_refs(schema: JsonValue, loader: ResourceLoader) -> list[str]:
    """Every ``$ref`` problem, found by compiling the schema natively."""
    try:
        native_validator(schema, loader)
    except SchemaError as exc:
        return [str(exc)]
    return []


__all__ = [
    "DRAFT_2020_12",
    "INSTANCE_MASK",
    "SchemaError",
    "check_refs",
    "iter_subschemas",
    "lint_schema",
    "meta_schema_problems",
    "native_validator",
    "reference_validator",
]
