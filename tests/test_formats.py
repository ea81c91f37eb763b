"""One meaning per format, shared by both validators."""

import os

import pytest

from conformance.registry.schema_resources import ResourceLoader
from conformance.validation.formats import FORMATS
from conformance.validation.json_schemas import native_validator, reference_validator

CASES = {
    "date": (
        ["2024-02-29", "1987-03-14"],
        ["2023-02-29", "2024-13-01", "2024-1-01", "20240101", "2024-02-29Z"],
    ),
    "time": (
        ["08:30:00Z", "23:59:60Z", "12:00:00.5+04:00", "03:59:60+04:00"],
        ["08:30:00", "24:00:00Z", "23:59:60+04:00", "12:00Z"],
    ),
    "date-time": (
        ["2026-11-20T08:00:00Z", "2026-11-20t08:00:00+04:00"],
        ["2026-11-20 08:00:00Z", "2026-11-20T08:00:00"],
    ),
    "duration": (["P1Y2M", "PT36H", "P3W", "P1DT12H"], ["P", "PT", "P1H", "1Y"]),
    "email": (
        ["gulnare.memmedova@example.az", "a+tag@mail.gov.az"],
        [
            "a@b",
            "@example.az",
            "a..b@example.az",
            "ə@example.az",
            "a@example.123",
            "a b@example.az",
        ],
    ),
    "hostname": (["e-gov.az", "a.b-c.az"], ["-e.az", "a" * 64 + ".az", "a_b.az"]),
    "ipv4": (["192.168.0.1"], ["192.168.0.01", "256.1.1.1"]),
    "ipv6": (["::1", "2001:db8::1"], ["::1%eth0", "2001:db8:::1"]),
    "uri": (
        ["https://e-gov.az/xidmet?id=1", "urn:az:gov:std:person:1"],
        ["/relative", "https://e-gov.az/%zz", "https://e gov.az"],
    ),
    "uri-reference": (["/relative/path", "https://e-gov.az/"], ["a b", "%zz"]),
    "uuid": (
        ["3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6b"],
        ["3f2b8c1e4a5d4e6f9a7b1c2d3e4f5a6b", "3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6"],
    ),
}


def test_every_known_format_has_cases():
    assert set(CASES) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_format_meanings(name):
    good, bad = CASES[name]
    check = FORMATS[name]
    assert all(check(v) for v in good), [v for v in good if not check(v)]
    assert not any(check(v) for v in bad), [v for v in bad if check(v)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_validators_use_the_same_meaning(name):
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "format": name}
    loader = ResourceLoader([])
    native = native_validator(schema, loader)
    reference = reference_validator(schema, loader)
    good, bad = CASES[name]
    for value in good + bad:
        assert native.is_valid(value) == reference.is_valid(value), value
        assert native.is_valid(value) == FORMATS[name](value), value
    # Formats only constrain strings.
    assert native.is_valid(42) and reference.is_valid(42)


# -- the native built-in formats mean what ours mean ---------------------------

import jsonschema_rs  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conformance.validation.formats import NATIVE_OVERRIDES  # noqa: E402

NEAR = {
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Z]?",
    "time": r"[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})?",
    "date-time": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})?",
    "duration": r"P([0-9]{1,2}[YMWD]){0,3}(T([0-9]{1,2}[HMS]){0,3})?",
    "ipv4": r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}",
    "ipv6": r"([0-9a-f]{0,4}:){2,8}[0-9a-f]{0,4}",
    "uri": r"[a-z][a-z0-9+.-]{0,4}:[a-zA-Z0-9/?#%:@._ ~-]{0,12}",
    "uri-reference": r"[a-zA-Z0-9/?#%:@._ ~\\-]{0,12}",
    "uuid": r"[0-9a-fA-Fg]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{11,13}",
}
NATIVE_FORMATS = sorted(set(FORMATS) - NATIVE_OVERRIDES)


def test_every_native_format_has_a_grammar():
    assert set(NEAR) == set(NATIVE_FORMATS)


@pytest.mark.parametrize("name", NATIVE_FORMATS)
@settings(max_examples=int(os.environ.get("FORMAT_EXAMPLES", "400")), deadline=None)
@given(data=st.data())
def test_native_builtin_format_agrees_with_ours(name, data):
    value = data.draw(
        st.one_of(
            st.from_regex(NEAR[name], fullmatch=True),
            st.text(alphabet="0123456789-:.TZPYMD+afgz/%@[] ", max_size=25),
            st.sampled_from(CASES[name][0] + CASES[name][1]),
        )
    )
    native = jsonschema_rs.validator_for({"format": name}, validate_formats=True)
    assert native.is_valid(value) == FORMATS[name](value), value
