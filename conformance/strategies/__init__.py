"""Hypothesis strategies for the registry's standards.

``valid_json(registry, standard)`` and ``valid_xml(registry, standard)``
generate documents a standard accepts; ``invalid_json`` and ``invalid_xml``
documents that break exactly one rule, each with its :class:`Violation`.
Everything a strategy yields has been checked by the suite's validator.
"""

from __future__ import annotations

# "json" names the JSON strategies submodule in this package: the json
# module is _json here.
import json as _json
from typing import TYPE_CHECKING, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, find, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from conformance.registry.schema_resources import ResourceLoader
from conformance.strategies import mutations
from conformance.strategies.common import Invalid, UnsupportedSchema, Violation
from conformance.strategies.json import Compiler
from conformance.strategies.seeded import repeatable
from conformance.validation.json_schemas import native_validator
from conformance.validation.json_validation import json_validator, registry_loader

if TYPE_CHECKING:
    from conformance.model import JsonValue
    from conformance.registry.manifest import Binding, StandardVersion
    from conformance.registry.standards import Registry
    from conformance.strategies.mutations import Case
    from conformance.strategies.xml import (
        from_xsd,
        invalid_from_xsd,
        invalid_xml,
        valid_xml,
    )

__all__ = [
    "Invalid",
    "UnsupportedSchema",
    "Violation",
    "boundary_cases",
    "compiler",
    "fixed_examples",
    "from_schema",
    "from_xsd",
    "invalid_from_xsd",
    "invalid_json",
    "invalid_xml",
    "valid_json",
    "valid_xml",
]


_T = TypeVar("_T")


def __getattr__(name: str) -> object:
    # The XML strategies load xmlschema's component model (~200 ms): only on
    # first use, so that JSON-only users never import it.
    if name in ("from_xsd", "invalid_from_xsd", "valid_xml", "invalid_xml"):
        from conformance.strategies import xml

        return getattr(xml, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def compiler(registry: Registry) -> Compiler:
    """The registry's JSON Schema compiler, made once: a strategy from any
    schema (or ``$ref`` into the registry) with :meth:`Compiler.strategy`."""
    return registry.cached(
        ("json-compiler",), lambda: Compiler(registry_loader(registry))
    )


def valid_json(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[JsonValue]:
    """Documents valid against a standard version's JSON Schema."""
    if standard.json is None:
        raise UnsupportedSchema(f"{standard.ref} has no JSON binding")
    binding = standard.json

    def build() -> st.SearchStrategy[JsonValue]:
        validator = json_validator(registry, standard)
        uri = registry.uri_for(binding.path)
        schema = validator.loader.retrieve(uri)
        return (
            compiler(registry).strategy(schema, uri).filter(validator.native.is_valid)
        )

    return registry.cached(("valid-json", standard.ref), build)


def invalid_json(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[Invalid[JsonValue]]:
    """Documents that break exactly one rule of a standard's JSON Schema, labelled."""

    def build() -> st.SearchStrategy[Invalid[JsonValue]]:
        validator = json_validator(registry, standard)
        uri = registry.uri_for(_json_binding(standard).path)
        schema = validator.loader.retrieve(uri)
        return mutations.invalid(
            compiler(registry), schema, uri, valid_json(registry, standard), validator
        )

    return registry.cached(("invalid-json", standard.ref), build)


def boundary_cases(
    registry: Registry, standard: StandardVersion, document: JsonValue = None
) -> list[Case]:
    """Deterministic boundary cases of a standard's JSON Schema, each confirmed.

    One document per branch of a top-level oneOf/anyOf; then, around
    ``document`` (by default the standard's first valid JSON example, else
    the simplest generated document), each enum value, lengths and numbers
    at and past their bounds. The default cases are worked out once per
    registry: both fuzz checks of every service, and the self-tests, use them.
    """
    if document is None:
        return list(
            registry.cached(
                ("boundary-cases", standard.ref),
                lambda: _boundary_cases(registry, standard, None),
            )
        )
    return _boundary_cases(registry, standard, document)


def _boundary_cases(
    registry: Registry, standard: StandardVersion, document: JsonValue
) -> list[Case]:
    validator = json_validator(registry, standard)
    uri = registry.uri_for(_json_binding(standard).path)
    schema = validator.loader.retrieve(uri)
    if document is None:
        document = next(
            (
                _json.loads(e.path.read_text(encoding="utf-8"))
                for e in standard.examples
                if e.valid and e.path.suffix == ".json"
            ),
            None,
        )
    if document is None:
        document = _simplest(valid_json(registry, standard))
    schemas = compiler(registry)
    found = mutations.branch_cases(schemas, schema, uri, validator)
    if document is not None:
        found += mutations.boundary_cases(schemas, schema, uri, document, validator)
    return found


def _json_binding(standard: StandardVersion) -> Binding:
    if standard.json is None:  # json_validator has already said so
        raise UnsupportedSchema(f"{standard.ref} has no JSON binding")
    return standard.json


def fixed_examples(strategy: st.SearchStrategy[_T], count: int, seed: int) -> list[_T]:
    """``count`` examples of a strategy, the same list for the same seed.

    Generation only (no shrinking) and quiet: for self-tests and for showing
    an author what a schema admits, not for finding a failure.
    """
    found: list[_T] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        verbosity=Verbosity.quiet,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @with_seed(seed)
    @given(strategy)
    def collect(value: _T) -> None:
        found.append(value)

    with repeatable():
        collect()
    return found


def _simplest(strategy: st.SearchStrategy[_T]) -> _T | None:
    """The simplest value of a strategy: the same on every run."""
    try:
        with repeatable():
            return find(
                strategy,
                lambda _: True,
                settings=settings(
                    database=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                ),
            )
    except (NoSuchExample, Unsatisfiable):
        return None


def from_schema(
    schema: dict[str, JsonValue], *, registry: Registry | None = None
) -> st.SearchStrategy[JsonValue]:
    """Documents valid against a JSON Schema that may refer into the registry."""
    loader = registry_loader(registry) if registry is not None else ResourceLoader([])
    declared = schema.get("$id", "") if isinstance(schema, dict) else ""
    base = declared if isinstance(declared, str) else ""
    native = native_validator(schema, loader)
    return Compiler(loader).strategy(schema, base).filter(native.is_valid)
