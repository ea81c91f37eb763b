"""Hypothesis strategies for XML documents, generated from an XSD.

:func:`from_xsd` draws documents valid against an xmlschema schema
(``XMLSchema10`` or ``XMLSchema11``); :func:`invalid_from_xsd` draws documents
that break exactly one rule, each labelled with the :class:`Violation` the
suite's validator reports (``cvc-pattern-valid`` at ``/Person/fin``). The
generator reads xmlschema's component model: sequences, choices and
``xs:all``; occurrence bounds (at most three occurrences past minOccurs);
attributes; element references across imported namespaces; every
constraining facet, built-in type, list and union (patterns through
xmlschema's translation of XSD regular expressions to Python, drawn a run of
characters at a time, see ``_xsd_regex``); XSD 1.1 assertions and identity
constraints, kept by validating the constrained subtree with xmlschema. What
it cannot generate (substitution groups, required wildcards, keyrefs,
QNames, type alternatives) raises :class:`UnsupportedSchema` naming the
component.

:func:`valid_xml` and :func:`invalid_xml` do the same for a standard
version's XML binding. Strategies are compiled once per (schema, root).

The private modules: ``_xsd_plan`` compiles the component model,
``_xsd_values`` and ``_xsd_lexical`` generate and audit simple values,
``_xsd_regex`` draws strings matching a pattern, ``_xsd_tree`` builds and
writes documents, ``_xsd_mutations`` breaks one rule and confirms it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from conformance.strategies._xsd_mutations import invalid_documents
from conformance.strategies._xsd_plan import Compiler, Plan
from conformance.strategies._xsd_tree import Builder, serialize
from conformance.strategies.common import Invalid, UnsupportedSchema
from conformance.validation.bindings import xsd_model
from conformance.validation.xml_schemas import XsdSchema, compile_xsd
from conformance.validation.xml_validation import xml_validator

if TYPE_CHECKING:
    from xmlschema import XMLSchemaBase

    from conformance.registry.manifest import StandardVersion
    from conformance.registry.standards import Registry

__all__ = ["from_xsd", "invalid_from_xsd", "invalid_xml", "valid_xml"]

_BUILTIN_NAMESPACES = frozenset(
    {
        "http://www.w3.org/2001/XMLSchema",
        "http://www.w3.org/2001/XMLSchema-instance",
        "http://www.w3.org/XML/1998/namespace",
    }
)


@dataclass(eq=False)
class _Compiled:
    plan: Plan
    valid: SearchStrategy[bytes]
    invalid: dict[int, tuple[XsdSchema, SearchStrategy[Invalid[bytes]]]] = field(
        default_factory=dict
    )
    validator: XsdSchema | None = None


CACHED_MODELS = 64
"""Schemas whose compiled strategies are kept (least recently used dropped)."""
# By id, with the model kept alive beside its strategies so that an id is
# never reused while cached; the plans refer to the model anyway.
_CACHE: OrderedDict[int, tuple[XMLSchemaBase, dict[str, _Compiled]]] = OrderedDict()


def from_xsd(model: XMLSchemaBase, root: str) -> SearchStrategy[bytes]:
    """Valid documents of the global element ``root`` of an xmlschema model.

    ``root`` is a local name in the schema's target namespace or a Clark name
    (``{urn:az:gov:std:person:2}Person``). Documents are UTF-8 bytes with an
    XML declaration; namespaces are declared with prefixes on the root.
    Raises :class:`UnsupportedSchema` when the schema uses something that
    cannot be generated, and ``ValueError`` for an unknown root.
    """
    return _compiled(model, root).valid


def invalid_from_xsd(
    model: XMLSchemaBase, root: str, *, validator: XsdSchema | None = None
) -> SearchStrategy[Invalid[bytes]]:
    """Documents that break exactly one rule, each with its :class:`Violation`.

    The rule is named as the suite's validator names it (``cvc-pattern-valid``,
    ``cvc-minLength-valid``, ``cvc-enumeration-valid``,
    ``cvc-datatype-valid.1.2.1``, ``cvc-complex-type.2.4``,
    ``cvc-complex-type.4``, ``cvc-assertion``, ...), the location is the XPath
    of local names it reports (``/Person/fin``). Every document is validated
    before it is yielded, by ``validator`` (a compiled
    :class:`~conformance.xml_schemas.XsdSchema`) or by default the engine the
    suite would use: libxml2 for an XSD 1.0 file, xmlschema otherwise.
    """
    compiled = _compiled(model, root)
    if validator is None:
        if compiled.validator is None:
            compiled.validator = _validator_for(model)
        validator = compiled.validator
    key = id(validator)
    if key not in compiled.invalid:
        # The validator is kept with its strategy, so its id stays unique.
        compiled.invalid[key] = (validator, invalid_documents(compiled.plan, validator))
    return compiled.invalid[key][1]


def valid_xml(registry: Registry, standard: StandardVersion) -> SearchStrategy[bytes]:
    """Documents valid against a standard version's XML binding (its root)."""
    return from_xsd(xsd_model(registry, standard), _root(standard))


def invalid_xml(
    registry: Registry, standard: StandardVersion
) -> SearchStrategy[Invalid[bytes]]:
    """Documents that break one rule of a standard's XML binding, labelled.

    Each is confirmed by the standard's own validator
    (:func:`conformance.xml_validation.xml_validator`).
    """
    return invalid_from_xsd(
        xsd_model(registry, standard),
        _root(standard),
        validator=xml_validator(registry, standard),
    )


def _root(standard: StandardVersion) -> str:
    if standard.xml is None:
        raise UnsupportedSchema(f"{standard.ref} has no XML binding")
    if standard.xml.root is None:  # manifest.schema.json requires it
        raise UnsupportedSchema(f"{standard.ref} names no XML root element")
    return standard.xml.root


def _compiled(model: XMLSchemaBase, root: str) -> _Compiled:
    key = id(model)
    if key in _CACHE:
        _CACHE.move_to_end(key)
    else:
        _CACHE[key] = (model, {})
        while len(_CACHE) > CACHED_MODELS:
            _CACHE.popitem(last=False)
    by_root = _CACHE[key][1]
    if root not in by_root:
        plan = Compiler(model).compile(root)
        by_root[root] = _Compiled(plan, _documents(plan))
    return by_root[root]


def _documents(plan: Plan) -> SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        return serialize(Builder(draw, plan).document(), plan.prefixes)

    return build()


def _local_path(url: str | None) -> Path | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("", "file"):
        return None
    return Path(unquote(parsed.path) if parsed.scheme else url)


def _validator_for(model: XMLSchemaBase) -> XsdSchema:
    """The validator the suite would use for this schema.

    An XSD 1.0 file is compiled by libxml2, allowed to read exactly the
    schema documents xmlschema already read; anything else (XSD 1.1, a schema
    built from a string) is validated by the xmlschema model itself.
    """
    path = _local_path(model.url)
    version = "1.1" if model.XSD_VERSION == "1.1" else "1.0"
    if version == "1.0" and path is not None:
        roots = {
            local.parent
            for schema in model.maps.iter_schemas()
            if schema.target_namespace not in _BUILTIN_NAMESPACES
            and (local := _local_path(schema.url)) is not None
        }
        return compile_xsd(path, "1.0", sorted(roots | {path.parent}))
    return XsdSchema(
        path or Path("schema.xsd"),
        version,
        "xmlschema",
        model,
        model.target_namespace or None,
        global_elements=frozenset(e.name for e in model.maps.elements.values()),
    )
