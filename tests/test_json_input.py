"""Reading JSON: each input problem is a located finding, never an exception."""

import json as _json

import pytest

from conformance.inputs.json_input import JsonLimits, parse_json
from conformance.model import Severity


def _only(data, **limits):
    parsed = (
        parse_json(data, limits=JsonLimits(**limits)) if limits else parse_json(data)
    )
    return parsed, [(f.rule, f.pointer, f.line, f.column) for f in parsed.findings]


def test_a_clean_document_has_no_findings():
    parsed, found = _only(b'{"a": [1, 2.5, "\xc9\x99"], "b": null}')
    assert parsed.ok
    assert found == []
    assert parsed.value == {"a": [1, 2.5, "ə"], "b": None}


def test_duplicate_member_names_are_located_at_the_second_one():
    parsed, found = _only(b'{\n  "a": 1,\n  "b": {"c": 1, "c": 2},\n  "a": 3\n}')
    assert not parsed.ok
    assert ("json-duplicate-key", "/b/c", 3, 17) in found
    assert ("json-duplicate-key", "/a", 4, 3) in found


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_are_findings(token):
    parsed, found = _only(f'{{"x": [1, {token}]}}'.encode())
    assert found == [("json-number", "/x/1", 1, 11)]
    assert token in parsed.findings[0].message


def test_overflowing_numbers_are_errors_and_unsafe_integers_warnings():
    parsed, _ = _only(
        b'{"big": 1e400, "id": 12345678901234567890, "ok": 9007199254740991}'
    )
    by_rule = {f.rule: f for f in parsed.findings}
    assert by_rule["json-number"].pointer == "/big"
    assert by_rule["json-number"].severity is Severity.ERROR
    assert by_rule["json-integer-precision"].pointer == "/id"
    assert by_rule["json-integer-precision"].severity is Severity.WARNING
    assert not parsed.ok


def test_a_only_unsafe_integer_document_is_still_checked_against_the_schema():
    parsed, _ = _only(b'{"id": 12345678901234567890}')
    assert parsed.ok
    assert [f.severity for f in parsed.findings] == [Severity.WARNING]


def test_integers_longer_than_python_can_convert_are_findings():
    parsed, found = _only(b'{"n": ' + b"7" * 5000 + b"}")
    assert found == [("json-number", "/n", 1, 7)]
    assert "5,000 digits" in parsed.findings[0].message


def test_invalid_utf8_names_the_byte_and_position():
    parsed, found = _only(b'{"a": "ok",\n "b": "G\xfcl"}')
    assert found == [("json-encoding", None, 2, 9)]
    assert "bytes fc" in parsed.findings[0].message


def test_a_byte_order_mark_is_an_error_but_the_value_is_still_read():
    parsed, found = _only(b'\xef\xbb\xbf{"a": 1}')
    assert found == [("json-byte-order-mark", None, 1, 1)]
    assert parsed.ok
    assert parsed.value == {"a": 1}


def test_nesting_beyond_the_limit_is_refused_without_recursion():
    _parsed, found = _only(b"[" * 200_000 + b"]" * 200_000)
    assert found == [("json-depth", None, 1, 65)]


def test_the_depth_limit_is_configurable():
    data = b'{"a": [[[[1]]]]}'
    assert _only(data, max_depth=3)[1] == [("json-depth", None, 1, 9)]
    assert _only(data, max_depth=5)[1] == []


def test_size_beyond_the_limit_is_refused_before_parsing():
    parsed, found = _only(b'{"a": "' + b"x" * 100 + b'"}', max_bytes=50)
    assert found == [("json-size", None, None, None)]
    assert "limit is 50 bytes" in parsed.findings[0].message


def test_syntax_errors_give_line_and_column():
    _parsed, found = _only(b'{\n  "a": 1,\n  "b": ]\n}')
    assert found == [("json-syntax", None, 3, 8)]


def test_line_numbers_shift_for_records_of_a_json_lines_file():
    parsed = parse_json(b'{"a": 1, "a": 2}', first_line=41)
    assert parsed.findings[0].line == 41


def test_lone_surrogates_in_names_and_values_are_located_findings():
    parsed, found = _only(
        b'{\n  "\\ud800x": 1,\n  "name": "a\\udc00b",\n  "ok": "\\ud83d\\ude00"\n}'
    )
    assert not parsed.ok
    assert found == [
        ("json-lone-surrogate", "/\\ud800x", 2, 3),
        ("json-lone-surrogate", "/name", 3, 11),
    ]
    name, value = parsed.findings
    assert '"\\ud800x"' in name.message
    assert "\\udc00" in value.message
    assert name.requirement == "ER-JSON-1"
    # Everything a finding says can be written as UTF-8 (reports, terminals).
    for finding in parsed.findings:
        _json.dumps(finding.to_dict(), ensure_ascii=False).encode("utf-8")


def test_a_surrogate_pair_escape_is_one_character_and_no_finding():
    parsed, found = _only(b'{"face": "\\ud83d\\ude00", "path": "C:\\\\ud800"}')
    assert parsed.ok
    assert found == []
    assert parsed.value == {"face": "\U0001f600", "path": "C:\\ud800"}


def test_a_lone_surrogate_in_a_str_text_is_a_finding_on_the_fast_path_too(registry):
    from conformance.validation.json_validation import json_validator, validate_json

    validator = json_validator(registry, registry.resolve("person@1.1.0"))
    for text in ('{"fin": "\\udfff"}', '{"fin": "\udfff"}'):
        found = [(f.rule, f.pointer) for f in validate_json(text, validator)]
        assert found == [("json-lone-surrogate", "/fin")]


# -- the fast reader reads exactly what the careful one does ------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conformance.inputs.json_input import NEEDS_FINDINGS, read_fast  # noqa: E402

_KEYS = st.sampled_from(["a", "b", "fin", "ə", "a b", "c:d", "x"])
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def json_texts(draw):
    """JSON-ish texts, sometimes with duplicate members or odd spacing."""
    value = draw(_VALUES)
    text = _json.dumps(value, ensure_ascii=draw(st.booleans()))
    if draw(st.booleans()) and text.startswith("{") and len(text) > 2:
        # Repeat the first member: a duplicate name, possibly with a new value.
        first = text[1:].split(",", 1)[0].rstrip("}")
        text = "{" + first + "," + text[1:]
    if draw(st.booleans()):
        text = text.replace(":", " : ")
    if draw(st.booleans()):
        text = text.replace("1", "1" * draw(st.integers(min_value=1, max_value=20)))
    return text.encode()


@settings(max_examples=1500, deadline=None)
@given(json_texts())
def test_fast_reader_agrees_with_the_careful_reader(data):
    careful = parse_json(data)
    fast = read_fast(data)
    if fast is NEEDS_FINDINGS:
        return
    # Whatever the fast path accepts, the careful path accepts with no error
    # and reads as the same value.
    assert careful.ok
    assert not [f for f in careful.findings if f.severity is Severity.ERROR]
    assert not careful.findings  # no warnings slip past either
    assert fast[0] == careful.value


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": 1, "b": {"c": 1, "c": 1}}',
        b'{"id": 12345678901234567890}',
        b'{"id": 123456789012345678901}',
        b'{"x": 1e400}',
        b'{"x": NaN}',
        b'{"x": "\\u0022", "x": 1}',
        b"\xef\xbb\xbf{}",
        b'{"a": "\xff"}',
        b"[" * 70 + b"]" * 70,
    ],
)
def test_the_fast_reader_declines_everything_that_needs_explaining(data):
    assert read_fast(data) is NEEDS_FINDINGS
    assert parse_json(data).findings


def test_declined_sound_texts_are_still_read_by_the_careful_reader():
    data = b' {"a": "x\\""}\r\n'
    assert read_fast(data) is NEEDS_FINDINGS
    careful = parse_json(data)
    assert careful.ok
    assert careful.findings == ()
    assert careful.value == {"a": 'x"'}


# -- a block of JSON Lines reads as each record alone -------------------------

from conformance.inputs.json_input import read_block  # noqa: E402


def _block_reads_as_each_line(lines: list[bytes]) -> None:
    block = b"".join(line + b"\n" for line in lines)
    values = read_block(block, lines)
    if values is None:  # the caller then reads each record with read_fast
        return
    for line, value in zip(lines, values, strict=True):
        fast = read_fast(line)
        if fast is NEEDS_FINDINGS:
            assert value is NEEDS_FINDINGS, line
        else:
            assert value is not NEEDS_FINDINGS, line
            assert value == fast[0]


@settings(max_examples=800, deadline=None)
@given(st.lists(json_texts(), min_size=1, max_size=5))
def test_a_block_of_records_reads_as_each_record_alone(texts):
    _block_reads_as_each_line([text.replace(b"\n", b" ") for text in texts])


@pytest.mark.parametrize(
    "data",
    [
        b'{"a": 1, "a": 2}',
        b'{"a": 1, "b": {"c": 1, "c": 1}}',
        b'{"id": 12345678901234567890}',
        b'{"x": 1e400}',
        b'{"x": NaN}',
        b"\xef\xbb\xbf{}",
        b" {}",
        b"\t{}",
        b"\r{}",
        b'{"a": "\xff"}',
        b"[" * 70 + b"]" * 70,
        b"",
    ],
)
def test_a_record_that_needs_explaining_is_declined_inside_a_block(data):
    sound = b'{"fin": "1ABCDEF", "n": [1, 2]}'
    lines = [sound, data, sound]
    _block_reads_as_each_line(lines)
    values = read_block(b"".join(line + b"\n" for line in lines), lines)
    if values is not None:
        assert list(values)[1] is NEEDS_FINDINGS


@pytest.mark.parametrize("first", [b" ", b"\t", b"\r", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_block_with_a_record_starting_oddly_anywhere_is_read_record_by_record(
    first, position
):
    sound = b'{"fin": "1ABCDEF", "n": [1, 2]}'
    lines = [sound, sound, sound]
    lines[position] = first + sound
    assert read_block(b"".join(line + b"\n" for line in lines), lines) is None


def _deep(openers: int) -> bytes:
    return b'{"a": ' + b"[" * (openers - 1) + b"1" + b"]" * (openers - 1) + b"}"


def test_a_block_reads_records_as_deep_as_the_limit_and_no_deeper():
    sound = b'{"fin": "1ABCDEF", "n": [1, 2]}'
    limits = JsonLimits(max_depth=5)
    at_the_limit = [sound, _deep(5), sound]
    values = read_block(b"".join(x + b"\n" for x in at_the_limit), at_the_limit, limits)
    assert values is not None
    assert list(values)[1] == {"a": [[[[1]]]]}
    deeper = [sound, _deep(6), sound]
    assert read_block(b"".join(x + b"\n" for x in deeper), deeper, limits) is None
    # Openers spread over several records add up to no record's depth.
    many = [_deep(5)] * 40
    assert read_block(b"".join(x + b"\n" for x in many), many, limits) is not None


def test_a_depth_limit_larger_than_the_block_reads_it():
    lines = [_deep(70)] * 3
    limits = JsonLimits(max_depth=10**15)  # no run of openers that long is made
    values = read_block(b"".join(x + b"\n" for x in lines), lines, limits)
    assert values is not None
    assert len(list(values)) == 3


def test_a_duplicate_member_deep_in_a_long_block_is_declined_alone():
    # Quotes are counted per batch of records: a duplicate far from the
    # block's start (in a later batch) is still found, and only that record
    # is declined; every other record of its batch is read.
    sound = b'{"fin": "1ABCDEF", "n": [1, 2], "a": {"b": "c"}}'
    lines = [sound] * 300
    lines[201] = b'{"fin": "1ABCDEF", "n": [1, 2], "a": {"b": "c", "b": "d"}}'
    values = read_block(b"".join(line + b"\n" for line in lines), lines)
    assert values is not None
    read = list(values)
    assert [i for i, v in enumerate(read) if v is NEEDS_FINDINGS] == [201]
    assert read[200] == read[202] == read_fast(sound)[0]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], ""),
        (["a"], "/a"),
        (["a", 0, "b c"], "/a/0/b c"),
        (["a/b", "c"], "/a~1b/c"),
        (["m~n"], "/m~0n"),
        (["", ""], "//"),
        (["/"], "/~1"),
    ],
)
def test_a_pointer_escapes_its_tokens(parts, expected):
    from conformance.inputs.json_locate import pointer

    assert pointer(parts) == expected


# -- how deep a text nests, decided without a scan ------------------------------

from conformance.inputs.json_input import _nests_within  # noqa: E402
from conformance.inputs.json_locate import scan  # noqa: E402

# Strings that hold what could be mistaken for structure (json.dumps escapes
# the quotes and backslashes).
_TRICKY = st.sampled_from(['"', "\\", "[", "]", "{", "}", "ə", "\ud800"])
_DEEP_VALUES = st.recursive(
    st.one_of(st.integers(), st.text(_TRICKY, max_size=6)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(_TRICKY, max_size=3), children, max_size=3),
    ),
    max_leaves=40,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=600, deadline=None)
@given(_DEEP_VALUES, st.integers(min_value=0, max_value=8), st.booleans())
def test_the_depth_of_a_json_text_is_told_exactly(value, limit, ascii_only):
    text = _json.dumps(value, ensure_ascii=ascii_only)
    expected = _depth(value) <= limit
    assert _nests_within(text, limit) is expected
    if ascii_only:  # bytes hold no lone surrogate
        assert _nests_within(text.encode(), limit) is expected


@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from('[]{}"\\,:a '), max_size=40), st.integers(0, 6))
def test_a_text_said_to_nest_within_the_limit_never_scans_deeper(text, limit):
    # Whatever the text, JSON or not: "within" is a promise the scan keeps.
    if _nests_within(text, limit):
        assert scan(text, max_depth=limit).too_deep_at is None


def test_a_reply_listing_many_records_is_read_on_the_fast_path():
    # More openers than the depth limit, two levels deep: a page of records.
    records = [
        {"id": n, "names": [{"given": "Ə[li"}], "tags": ["{x}"]} for n in range(40)
    ]
    text = _json.dumps(records, ensure_ascii=False)
    for data in (text.encode(), text):
        fast = read_fast(data)
        assert fast is not NEEDS_FINDINGS
        assert fast[0] == records
    # With escapes the careful reader reads it, and finds nothing either.
    assert parse_json(_json.dumps(records).encode()).findings == ()
    # A text that does nest too deep is still refused, and located.
    deep = b'{"a": "[[[", "b": ' + b"[" * 65 + b"]" * 65 + b"}"
    assert read_fast(deep) is NEEDS_FINDINGS
    # The object is the first level: the 64th bracket is one too many.
    assert _only(deep)[1] == [("json-depth", None, 1, 82)]
