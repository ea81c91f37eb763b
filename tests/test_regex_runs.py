"""Strings from regexes, a run per choice, and objects a member per choice.

Each property is checked with hypothesis's choice primitives (the fast
path) and with the public strategies used where those are missing.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from conformance.strategies import _xsd_regex, primitives, regex_runs
from conformance.strategies import json as json_strategies

QUICK = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
BACKENDS = pytest.mark.parametrize("fast", [True, False], ids=["primitives", "public"])
CLASSES = {"json": json_strategies._classes, "xsd": _xsd_regex._classes}

REGEXES = [
    r"[0-9A-HJ-NP-Z]{7}",
    r"\+994[0-9]{9}",
    r"[A-Za-zƏəĞğIıİiÖöÜüÇçŞş]+(['’ -][A-Za-zƏəĞğIıİiÖöÜüÇçŞş]+)*",
    r"AZ[0-9]{4}",
    r"(ab|cd)?x{2,}",
    r"(az|com|gov[.]az)",
    r"[^\r\n]{0,5}",
    r"a.b",
    r"(x[0-9]){2}(y|zz){1,3}",
    r"",
]


def _strategy(regex: str, kind: str, fast: bool, longest: int | None = None):
    return regex_runs.runs(
        regex_runs.parse(regex), CLASSES[kind], longest=longest, primitives=fast
    )


@BACKENDS
@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("regex", REGEXES)
def test_every_string_matches_the_regex(regex, kind, fast):
    compiled = re.compile(regex)

    @QUICK
    @given(_strategy(regex, kind, fast))
    def check(text):
        assert compiled.fullmatch(text), text

    check()


@BACKENDS
def test_every_alternative_and_repeat_count_is_reached(fast):
    seen: set[str] = set()

    @QUICK
    @given(_strategy(r"(x[0-9]){2}(y|zz){1,3}", "json", fast))
    def collect(text):
        seen.add(re.sub("[0-9]", "9", text))

    collect()
    tails = {text[4:] for text in seen}
    assert {"y", "zz"} <= tails
    assert any(len(re.findall("y|zz", tail)) == 3 for tail in tails), tails


@BACKENDS
def test_an_unbounded_run_grows_to_the_longest_value_allowed(fast):
    lengths: set[int] = set()

    @settings(QUICK, max_examples=400)
    @given(_strategy(r"[a-z]+", "json", fast, longest=60))
    def collect(text):
        assert len(text) <= 60
        lengths.add(len(text))

    collect()
    assert max(lengths) > regex_runs.SPARE + 1


@BACKENDS
def test_failing_strings_shrink_to_the_simplest(fast):
    # Shorter runs, fewer repeats, the first alternative: what a person
    # reading a failure report wants to see.
    fin = find(_strategy(r"[A-Z]{3}[0-9]+", "json", fast), lambda s: True)
    assert re.fullmatch(r"[A-Z]{3}[0-9]", fin)
    branch = find(_strategy(r"(ab|cd)x{2,}", "json", fast), lambda s: "cd" in s)
    assert branch == "cdxx"
    name = find(
        _strategy(r"[a-z]+( [a-z]+)*", "json", fast), lambda s: s.count(" ") >= 2
    )
    assert len(name) == 5 and name.count(" ") == 2


@pytest.mark.parametrize("regex", [r"(?=a)a", r"(a)\1", r"(?i)a", r"a\b"])
def test_what_the_run_builder_cannot_draw_is_named(regex):
    with pytest.raises(regex_runs.Unsupported):
        regex_runs.runs(regex_runs.parse(regex), _xsd_regex._classes)


@pytest.mark.parametrize("regex", [r"(a|b)\1", r"(?i)ab", r"a\b"])
def test_what_the_run_builder_cannot_draw_is_left_to_from_regex(regex):
    compiled = re.compile(regex)

    @QUICK
    @given(_xsd_regex.matching(regex))
    def check(text):
        assert compiled.fullmatch(text)

    check()


def test_an_unanchored_json_pattern_is_searched_for_not_matched():
    @QUICK
    @given(json_strategies._regex_strategy("[0-9]{3}"))
    def check(text):
        assert re.search("[0-9]{3}", text)

    check()


# -- objects ------------------------------------------------------------------


@pytest.fixture(params=[True, False], ids=["primitives", "public"])
def members(request, monkeypatch):
    monkeypatch.setattr(primitives, "AVAILABLE", request.param)
    return primitives.members


def test_objects_carry_every_required_member_and_vary_the_rest(members):
    strategy = members(
        {"fin": st.just("5ABCD12"), "sex": st.sampled_from(["male", "female"])},
        {"phone": st.just("+994501234567"), "email": st.just("a@b.az")},
    )
    shapes: set[tuple[str, ...]] = set()

    @QUICK
    @given(strategy)
    def collect(record):
        assert {"fin", "sex"} <= set(record) <= {"fin", "sex", "phone", "email"}
        shapes.add(tuple(record))

    collect()
    sets = {frozenset(shape) for shape in shapes}
    assert len(sets) == 4  # each optional member with and without the other
    if primitives.AVAILABLE:  # st.fixed_dictionaries of older hypothesis keeps it
        orders = {shape for shape in shapes if set(shape) == {"fin", "sex"}}
        assert len(orders) == 2  # member order varies too


def test_an_object_shrinks_to_its_required_members(members):
    strategy = members({"fin": st.text(max_size=3)}, {"phone": st.text(max_size=3)})
    assert find(strategy, lambda record: True) == {"fin": ""}


def test_an_object_with_an_impossible_required_member_is_empty(members):
    assert members({"fin": st.nothing()}, {}).is_empty
    assert not members({"fin": st.just("A")}, {"x": st.nothing()}).is_empty
