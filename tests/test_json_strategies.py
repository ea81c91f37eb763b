"""The JSON strategies: valid documents, labelled invalid ones, boundary cases."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.registry.locations import bundled
from conformance.registry.standards import Registry
from conformance.strategies import (
    UnsupportedSchema,
    boundary_cases,
    from_schema,
    invalid_json,
    valid_json,
)
from conformance.strategies import json as json_strategies
from conformance.strategies.json import unsupported
from conformance.validation.json_schemas import reference_validator
from conformance.validation.json_validation import json_validator, registry_loader

_REGISTRY = Registry.open(bundled("standards"))
_STANDARDS = [s for s in _REGISTRY if s.json is not None]
# The exchange rules' schema accepts any JSON value: there is nothing to break.
_BREAKABLE = [s for s in _STANDARDS if s.id != "exchange-rules"]
_QUICK = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _reference(standard):
    loader = registry_loader(_REGISTRY)
    return reference_validator(
        loader.retrieve(_REGISTRY.uri_for(standard.json.path)), loader
    )


@pytest.mark.parametrize("standard", _STANDARDS, ids=lambda s: s.ref)
@_QUICK
@given(data=st.data())
def test_generated_documents_are_valid_by_both_validators(standard, data):
    document = data.draw(valid_json(_REGISTRY, standard))
    # The strategy already filters by the native validator; the reference
    # implementation is the independent judge.
    assert _reference(standard).is_valid(document), document
    json.dumps(document, allow_nan=False)  # plain JSON: no NaN, no tuples


@pytest.mark.parametrize("standard", _BREAKABLE, ids=lambda s: s.ref)
@_QUICK
@given(data=st.data())
def test_invalid_documents_break_exactly_the_rule_they_name(standard, data):
    bad = data.draw(invalid_json(_REGISTRY, standard))
    validator = json_validator(_REGISTRY, standard)
    errors = [
        f
        for f in validator.findings(bad.document, json.dumps(bad.document))
        if f.severity.value == "error"
    ]
    assert [(f.rule, f.pointer) for f in errors] == [
        (bad.violation.rule, bad.violation.location)
    ]
    assert not _reference(standard).is_valid(bad.document)
    assert bad.violation.description


def test_invalid_documents_cover_every_kind_of_rule():
    person = _REGISTRY.resolve("person@1.2.0")
    seen: set[str] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(invalid_json(_REGISTRY, person))
    def collect(bad):
        seen.add(bad.violation.rule)

    collect()
    wanted = {"required", "type", "enum", "pattern", "maxLength"}
    wanted |= {"additionalProperties", "format"}
    assert wanted <= seen, sorted(seen)


def test_boundary_cases_sit_on_each_side_of_each_bound():
    person = _REGISTRY.resolve("person@1.2.0")
    cases = boundary_cases(_REGISTRY, person)
    validator = json_validator(_REGISTRY, person)
    labels = {(c.label, c.valid) for c in cases}
    # givenName: at most 100 characters (PER-4).
    assert ("/givenName: a length of 100", True) in labels
    assert ("/givenName: a length of 101", False) in labels
    assert ("/sex: the value 'female'", True) in labels
    assert ("/sex: the value 'male'", True) in labels
    for case in cases:
        assert validator.is_valid(case.document) is case.valid, case.label
        if not case.valid:
            assert case.violation is not None
            assert case.violation.location.startswith("/")


def test_boundary_cases_are_the_same_on_every_run():
    person = _REGISTRY.resolve("person@1.2.0")
    first = [json.dumps(c.document) for c in boundary_cases(_REGISTRY, person)]
    again = [json.dumps(c.document) for c in boundary_cases(_REGISTRY, person)]
    assert first == again


def test_each_branch_of_a_top_level_one_of_gets_a_case():
    event = _REGISTRY.resolve("civil-registration-event@1.2.0")
    branches = [c for c in boundary_cases(_REGISTRY, event) if "branch" in c.label]
    kinds = {c.document["eventType"] for c in branches}
    assert kinds == {"birth", "death", "marriage", "divorce"}


def test_long_values_are_generated_up_to_max_length():
    schema = {"type": "string", "pattern": "^[A-Za-z]+$", "maxLength": 60}
    longest = 0

    @settings(max_examples=300, deadline=None, database=None)
    @given(from_schema(schema))
    def measure(value):
        nonlocal longest
        assert re.fullmatch("[A-Za-z]+", value) and len(value) <= 60
        longest = max(longest, len(value))

    measure()
    assert longest > 20


def test_exclusive_one_of_branches_are_generated_without_filtering_most_away():
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"fin": {"const": "A"}, "voen": {"const": "B"}},
        "oneOf": [{"required": ["fin"]}, {"required": ["voen"]}],
    }
    from conformance.strategies import compiler

    raw = compiler(_REGISTRY).strategy(schema, "")
    made = []

    @settings(max_examples=100, deadline=None, database=None)
    @given(raw)
    def collect(value):
        made.append(value)

    collect()
    # Each branch leaves the other's member out, so none needs filtering.
    assert all(len(v) == 1 for v in made), [v for v in made if len(v) != 1]


def test_a_keyword_the_compiler_cannot_generate_is_named():
    schema = {
        "type": "object",
        "properties": {"a": {"type": "array", "contains": {"const": 1}}},
        "dependentRequired": {"a": ["b"]},
    }
    assert unsupported(schema) == [
        "/dependentRequired: 'dependentRequired'",
        "/properties/a/contains: 'contains'",
    ]


def test_a_schema_with_nothing_to_break_says_so():
    rules = _REGISTRY.resolve("exchange-rules@1.2.0")
    with pytest.raises(UnsupportedSchema, match="accepts any JSON value"):
        invalid_json(_REGISTRY, rules)


def test_cross_standard_references_resolve_through_the_registry():
    schema = {
        "$ref": "https://standards.e-gov.az/person/1.2.0/person.schema.json#/$defs/fin"
    }

    @settings(max_examples=50, deadline=None, database=None)
    @given(from_schema(schema, registry=_REGISTRY))
    def check(value):
        assert re.fullmatch("[0-9A-HJ-NP-Z]{7}", value)

    check()


def test_the_documented_keywords_are_the_supported_ones():
    from pathlib import Path

    from conformance.strategies.json import SUPPORTED

    document = Path(__file__).parent.parent / "docs" / "fuzzing.md"
    text = document.read_text(encoding="utf-8")
    missing = [k for k in sorted(SUPPORTED) if f"`{k}`" not in text]
    assert not missing, f"docs/fuzzing.md does not list {missing}"


@pytest.mark.parametrize("name", sorted(json_strategies._FORMAT_WIDTHS))
def test_format_values_have_the_lengths_the_compiler_counts_on(name):
    # A string whose format's values always fit its length limits is drawn
    # without a length filter: a wrong width would let bad lengths through.
    shortest, longest = json_strategies._FORMAT_WIDTHS[name]

    @settings(_QUICK, max_examples=200)
    @given(json_strategies._format_strategy(name))
    def measure(value):
        assert shortest <= len(value) and (longest is None or len(value) <= longest)

    measure()


def test_a_string_whose_pattern_always_fits_is_drawn_without_a_filter():
    fits = {"type": "string", "pattern": "^[0-9]{10}$", "maxLength": 10}
    may_not = {"type": "string", "pattern": "^[0-9]{8,12}$", "maxLength": 10}
    compiler = json_strategies.Compiler(registry_loader(_REGISTRY))
    assert "filter" not in repr(compiler.strategy(fits, ""))
    assert "filter" in repr(compiler.strategy(may_not, ""))

    @settings(_QUICK, max_examples=100)
    @given(compiler.strategy(may_not, ""))
    def check(value):
        assert 8 <= len(value) <= 10

    check()


def test_a_position_is_one_draw_per_coordinate():
    """A GeoJSON position (prefixItems, nothing after): one number each.

    Neither an empty list after the tuple (older hypothesis makes new
    strategies at every draw of one) nor a choice between integers and
    numbers: a boundary holds hundreds of positions.
    """
    position = {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "prefixItems": [
            {"type": "number", "minimum": 44.7, "maximum": 50.4},
            {"type": "number", "minimum": 38.3, "maximum": 41.95},
        ],
    }
    compiler = json_strategies.Compiler(registry_loader(_REGISTRY))
    shown = repr(compiler.strategy(position, ""))
    assert "lists" not in shown and "one_of" not in shown, shown
    made = []

    @settings(_QUICK, max_examples=100)
    @given(compiler.strategy(position, ""))
    def check(value):
        assert isinstance(value, list) and len(value) == 2, value
        assert 44.7 <= value[0] <= 50.4 and 38.3 <= value[1] <= 41.95, value
        made.append(value)

    check()
    kinds = {type(v) for value in made for v in value}
    assert kinds == {int, float}, made


@pytest.mark.parametrize(
    ("schema", "low", "high"),
    [
        ({"type": "number", "exclusiveMinimum": 0, "maximum": 1}, 0, 1),
        ({"type": "number", "minimum": -1, "exclusiveMaximum": 0}, -1, 0),
        ({"type": "number", "exclusiveMinimum": 2, "exclusiveMaximum": 3}, 2, 3),
    ],
)
def test_numbers_keep_to_their_bounds(schema, low, high):
    compiler = json_strategies.Compiler(registry_loader(_REGISTRY))
    validator = reference_validator(schema, registry_loader(_REGISTRY))
    made = []

    @settings(_QUICK, max_examples=150)
    @given(compiler.strategy(schema, ""))
    def check(value):
        assert validator.is_valid(value), value
        assert low <= value <= high
        made.append(value)

    check()
    assert any(isinstance(v, float) and v != int(v) for v in made), made


def test_an_objects_enum_date_and_pattern_members_are_drawn_inside_its_draw():
    """Leaves: hypothesis tracks a draw of each member otherwise, which
    costs more than the member's one or two choices."""
    from conformance.strategies.primitives import AVAILABLE, Leaf

    if not AVAILABLE:
        pytest.skip("this hypothesis has no internal API to draw leaves with")
    compiler = json_strategies.Compiler(registry_loader(_REGISTRY))
    person = compiler.strategy(
        {
            "type": "object",
            "required": ["sex", "born", "fin", "height"],
            "properties": {
                "sex": {"enum": ["male", "female"]},
                "born": {"type": "string", "format": "date"},
                "fin": {"type": "string", "pattern": "^[0-9A-Z]{7}$"},
                "height": {"type": "number", "minimum": 0.5, "maximum": 2.5},
            },
        },
        "",
    )
    required = dict(person.required)
    assert all(isinstance(s, Leaf) for s in required.values()), required


def test_an_enum_shrinks_to_its_first_value_and_draws_every_value():
    from hypothesis import find

    values = ["single", "married", "divorced", "widowed"]
    strategy = json_strategies.Compiler(registry_loader(_REGISTRY)).strategy(
        {"enum": values}, ""
    )
    assert find(strategy, lambda _: True) == "single"
    seen = set()

    @settings(_QUICK, max_examples=100)
    @given(strategy)
    def check(value):
        seen.add(value)

    check()
    assert seen == set(values)


def test_a_date_shrinks_to_the_first_day_and_keeps_to_its_form():
    from hypothesis import find

    strategy = json_strategies.Compiler(registry_loader(_REGISTRY)).strategy(
        {"type": "string", "format": "date"}, ""
    )
    import datetime as dt

    earliest = dt.date.fromordinal(json_strategies._FIRST_DAY).isoformat()
    assert find(strategy, lambda _: True) == earliest
    later = find(strategy, lambda day: day.startswith("2000-"))
    assert later == "2000-01-01", later
