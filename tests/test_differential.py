"""The native (jsonschema-rs) and reference (python-jsonschema) validators agree.

Documents are the shipped examples and hypothesis mutations of them: values
replaced by tricky strings (Azerbaijani letters, Unicode spaces, trailing
newlines, look-alike digits), other types, removed or added members. On
every one, both validators must give the same verdict.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.registry.locations import bundled
from conformance.registry.standards import Registry
from conformance.validation.json_schemas import reference_validator
from conformance.validation.json_validation import json_validator, registry_loader

_REGISTRY = Registry.open(bundled("standards"))
_STANDARDS = [s for s in _REGISTRY if s.json is not None]

TRICKY = st.text(
    alphabet=st.sampled_from(
        list("0123456789AZazəƏğıİöüçşО-+@.:/ '\n\r\t\u00a0\u2028\ufeff١٢٣TZ")
    ),
    max_size=16,
)
SCALARS = st.one_of(
    TRICKY,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from(
        [
            "2024-02-29",
            "2023-02-29",
            "2026-11-20T08:00:00Z",
            "5ZK3T2A",
            "AZ1000",
            "+994501234567",
            "a@b",
            "x@e-gov.az",
            "3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6b",
            "https://e-gov.az/",
        ]
    ),
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _mutate(document: Any, data: st.DataObject) -> Any:
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(_paths(document)))
        action = data.draw(st.sampled_from(["replace", "delete", "add", "edit"]))
        if not path:
            if action == "add" and isinstance(document, dict):
                document[data.draw(TRICKY)] = data.draw(SCALARS)
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        current = parent[last]
        if action == "delete":
            del parent[last]
        elif action == "add" and isinstance(current, dict):
            current[data.draw(TRICKY)] = data.draw(SCALARS)
        elif action == "edit" and isinstance(current, str):
            cut = data.draw(st.integers(min_value=0, max_value=len(current)))
            parent[last] = current[:cut] + data.draw(TRICKY) + current[cut + 1 :]
        else:
            parent[last] = data.draw(SCALARS)
    return document


def _readable_examples(standard: Any) -> list[Any]:
    # Examples of the input rules (bad encoding, NaN) never reach a schema.
    found = []
    for example in standard.examples:
        if example.path.suffix != ".json":
            continue
        try:
            found.append(json.loads(example.path.read_bytes().decode("utf-8")))
        except (ValueError, UnicodeDecodeError):
            continue
    return found


@pytest.mark.parametrize("standard", _STANDARDS, ids=lambda s: s.ref)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_native_and_reference_validators_agree(standard, data):
    examples = _readable_examples(standard)
    native = json_validator(_REGISTRY, standard)
    loader = registry_loader(_REGISTRY)
    schema = loader.retrieve(_REGISTRY.uri_for(standard.json.path))
    reference = reference_validator(schema, loader)
    document = _mutate(data.draw(st.sampled_from(examples)), data)
    assert native.is_valid(document) == reference.is_valid(document), document


@pytest.mark.parametrize("standard", _STANDARDS, ids=lambda s: s.ref)
def test_validators_agree_on_every_shipped_example(standard):
    native = json_validator(_REGISTRY, standard)
    loader = registry_loader(_REGISTRY)
    schema = loader.retrieve(_REGISTRY.uri_for(standard.json.path))
    reference = reference_validator(schema, loader)
    documents = _readable_examples(standard)
    assert documents
    for document in documents:
        assert native.is_valid(document) == reference.is_valid(document), document


def test_the_reference_keeps_ecma_patterns_behind_a_cross_document_ref():
    # legal-entity 1.2.0's schema is a $ref to 1.1.0's, which names its
    # dialect; jsonschema then switched to its stock class, whose Python \S
    # takes U+FEFF where ECMA-262's does not (found by the test above).
    standard = _REGISTRY.resolve("legal-entity@1.2.0")
    loader = registry_loader(_REGISTRY)
    schema = loader.retrieve(_REGISTRY.uri_for(standard.json.path))
    assert "name" not in schema.get("properties", {})  # all behind the $ref
    reference = reference_validator(schema, loader)
    (document,) = [
        d for d in _readable_examples(standard) if d.get("voen") == "9900037741"
    ]
    assert reference.is_valid(document)
    assert not reference.is_valid({**document, "name": "\ufeff"})
    assert not json_validator(_REGISTRY, standard).is_valid(
        {**document, "name": "\ufeff"}
    )
