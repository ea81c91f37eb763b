"""The regular-expression dialect: ECMA-262 meanings, linear time, on both sides."""

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.errors import PatternError
from conformance.validation.patterns import search, to_re2

# Each case is a pattern and an input on which Python's `re` and ECMA-262 disagree.
DIFFERENCES = [
    ("^[0-9]{7}$", "1234567\n"),
    ("^\\d{3}$", "١٢٣"),
    ("^\\w+$", "ə"),
    ("^\\s$", "\u00a0"),
    ("^\\s$", "\ufeff"),
    ("^a.c$", "a\rc"),
    ("^a.c$", "a\u2028c"),
    ("^\\S+$", "a\u3000b"),
    ("^\\u0041$", "A"),
    ("^\\cJ$", "\n"),
    ("^(?<x>a)$", "a"),
    ("^[\\s]+$", " \t\u2029"),
    ("^\\/$", "/"),
]


def _native(pattern: str):
    return jsonschema_rs.validator_for(
        {"pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()
    )


@pytest.mark.parametrize(("pattern", "text"), DIFFERENCES)
def test_python_side_agrees_with_jsonschema_rs(pattern, text):
    assert search(pattern, text) == _native(pattern).is_valid(text)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?=a)a", "lookaround"),
        ("(?<!a)b", "lookaround"),
        ("(a)\\1", "backreferences"),
        ("(?<n>a)\\k<n>", "backreferences"),
        ("[]", "empty classes"),
        ("[a", "unclosed character class"),
        ("a\\", "lone backslash"),
        ("[\\S]", "\\S inside a character class"),
    ],
)
def test_patterns_outside_the_dialect_are_refused_with_a_reason(pattern, message):
    with pytest.raises(PatternError, match=message.replace("\\", "\\\\")):
        search(pattern, "a")


def test_a_pathological_pattern_runs_in_linear_time():
    # (a+)+$ backtracks exponentially in Python's re on this input; RE2 does not.
    assert not search("^(a+)+$", "a" * 50_000 + "!")
    assert to_re2("^(a+)+$") == "^(a+)+$"


PATTERNS = [
    "^[0-9A-HJ-NP-Z]{7}$",
    "^[A-Za-zƏəĞğIıİiÖöÜüÇçŞş]+(['’ -][A-Za-zƏəĞğIıİiÖöÜüÇçŞş]+)*$",
    "^\\+994[0-9]{9}$",
    "^AZ[0-9]{4}$",
    "^.{2,5}$",
    "^\\s*\\S+\\s*$",
    "^\\w+@\\w+$",
    "\\bAZ\\b",
    "^[^\\n]*$",
]
TEXT = st.text(
    alphabet=st.sampled_from(
        list("0123456789AZaz+-' əİıÇşО\n\r\t\u00a0\u2028\u3000\ufeff@_.’")
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(pattern=st.sampled_from(PATTERNS), text=TEXT)
def test_differential_on_tricky_text(pattern, text):
    assert search(pattern, text) == _native(pattern).is_valid(text)
