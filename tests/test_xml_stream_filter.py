"""A large XML document streamed with a tag filter gives the findings of the
stream without one: records of tags first seen late, records after the last
one seen, a document that breaks off, and a filter that hides too much."""

from __future__ import annotations

import pytest

from conformance.validation import xml_validation
from conformance.validation.payloads import Validators, validate_file
from conformance.validation.xml_validation import xml_validator_for_file

_XSD = """<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:l="urn:example:log" targetNamespace="urn:example:log"
           elementFormDefault="unqualified">
  <xs:element name="Log">
    <xs:complexType><xs:choice maxOccurs="unbounded">
      <xs:element ref="l:Item"/>
      <xs:element ref="l:Note"/>
    </xs:choice></xs:complexType>
  </xs:element>
  <xs:element name="Item">
    <xs:complexType><xs:sequence>
      <xs:element name="code">
        <xs:simpleType><xs:restriction base="xs:string">
          <xs:pattern value="[A-Z]{3}"/>
        </xs:restriction></xs:simpleType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="Note">
    <xs:complexType><xs:sequence>
      <xs:element name="n" type="xs:integer"/>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""


def _item(code: str = "ABC") -> str:
    return f"<l:Item><code>{code}</code></l:Item>\n"


def _note(n: str = "1") -> str:
    return f"<l:Note><n>{n}</n></l:Note>\n"


def _document(parts: list[str], *, tail: str = "</l:Log>\n") -> bytes:
    head = '<?xml version="1.0"?>\n<l:Log xmlns:l="urn:example:log">\n'
    return (head + "".join(parts) + tail).encode()


@pytest.fixture
def streamed(tmp_path, monkeypatch, registry):
    """Validate a document as a large one (streamed), with the tag filter
    learnt from its first 2 KB, or (``filtered=False``) with none; the
    passes made, by their filter."""
    monkeypatch.setattr(xml_validation, "STREAM_THRESHOLD", 100)
    monkeypatch.setattr(xml_validation, "_PEEK_BYTES", 2048)
    xsd = tmp_path / "log.xsd"
    xsd.write_text(_XSD, encoding="utf-8")
    schema = xml_validator_for_file(xsd, None)
    passes: list[frozenset[str] | None] = []
    real_pass = xml_validation._stream_pass
    real_tags = xml_validation._record_tags

    def spy_pass(path, schema, compiled, cap, tags, **kwargs):
        passes.append(tags)
        return real_pass(path, schema, compiled, cap, tags, **kwargs)

    monkeypatch.setattr(xml_validation, "_stream_pass", spy_pass)

    def validate(document: bytes, *, filtered: bool = True, max_findings=10_000):
        path = tmp_path / "log.xml"
        path.write_bytes(document)
        monkeypatch.setattr(
            xml_validation,
            "_record_tags",
            real_tags if filtered else (lambda path: None),
        )
        passes.clear()
        result = validate_file(
            path,
            Validators(registry, xml_override=schema),
            max_findings=max_findings,
        )
        validate.last = result  # type: ignore[attr-defined]
        return (
            [(f.message, f.xpath, f.line, f.rule) for f in result.findings],
            list(passes),
        )

    return validate


@pytest.fixture
def validated(monkeypatch) -> list[bool]:
    """Each record validated again on its own, in order: whether it failed."""
    seen: list[bool] = []
    real = xml_validation._validate_record

    def spy(*args, **kwargs):
        found = real(*args, **kwargs)
        seen.append(found != ([], []))
        return found

    monkeypatch.setattr(xml_validation, "_validate_record", spy)
    return seen


ITEM = "{urn:example:log}Item"
SEEN = frozenset({ITEM, "{urn:example:log}Log"})
"""The filter learnt: the root's children in the first 2 KB, and the root."""


def test_records_of_a_tag_first_seen_late_are_located(streamed):
    # 2 KB of items only: the filter shows items; notes (some invalid) and
    # invalid items come later, in both orders.
    parts = [_item() for _ in range(100)]
    parts += [_note("x"), _item("abc"), _note("2"), _note("y"), _item("ABCD")]
    parts += [_item() for _ in range(50)]
    document = _document(parts)
    filtered, passes = streamed(document)
    assert passes == [SEEN]
    unfiltered, passes = streamed(document, filtered=False)
    assert passes == [None]
    assert filtered == unfiltered
    assert [xpath for _, xpath, _, _ in filtered] == [
        "/Log/Note[1]/n",
        "/Log/Item[101]/code",
        "/Log/Note[3]/n",
        "/Log/Item[102]/code",
    ]
    assert all(line is not None for _, _, line, _ in filtered), filtered


def test_hidden_records_after_the_last_record_seen_are_located(streamed):
    parts = [_item() for _ in range(100)] + [_note("1"), _note("z"), _note("3")]
    document = _document(parts)
    filtered, passes = streamed(document)
    assert passes == [SEEN]
    assert filtered == streamed(document, filtered=False)[0]
    assert [xpath for _, xpath, _, _ in filtered] == ["/Log/Note[2]/n"]


def test_a_document_that_breaks_off_after_hidden_records_is_streamed_again(
    streamed,
):
    parts = [_item() for _ in range(100)] + [_item("bad"), _note("q"), _note("2")]
    document = _document(parts, tail="<l:Note><n>")
    filtered, passes = streamed(document)
    # The filtered pass cannot tell which hidden record was whole: again
    # without the filter, from the findings as they were before.
    assert passes == [SEEN, None]
    unfiltered, _ = streamed(document, filtered=False)
    assert filtered == unfiltered
    # The records before the break, then where the document broke off.
    assert [xpath for _, xpath, _, _ in filtered[:-1]] == [
        "/Log/Item[101]/code",
        "/Log/Note[1]/n",
    ]
    assert "Premature end of data in tag n" in filtered[-1][0], filtered
    assert filtered[-1][2] == 106


@pytest.mark.parametrize("filtered", [True, False])
@pytest.mark.parametrize(
    ("tail", "where", "line"),
    [
        ("<l:Note><n>", "Premature end of data in tag n", 104),
        ("", "Premature end of data in tag Log", 104),
        ("<l:Note><n>1</n></l:Note>\n<<>\n</l:Log>\n", "StartTag", 105),
        ("</l:Log>\n<junk/>\n", "Extra content at the end", 105),
    ],
)
def test_a_document_with_schema_errors_that_is_not_well_formed_says_where(
    streamed, filtered, tail, where, line
):
    """libxml2, validating as it parses, raises its first schema error and
    not the parser's: the stream still reports where the document broke."""
    parts = [_item() for _ in range(100)] + [_item("bad")]
    findings, _ = streamed(_document(parts, tail=tail), filtered=filtered)
    syntax = [f for f in findings if f[3] == "xml-syntax"]
    assert len(syntax) == 1, findings
    assert findings[-1] == syntax[0]
    assert where in syntax[0][0]
    assert syntax[0][2] == line
    # The records located before the break (none from the chunk it is in).
    assert all(f[1] == "/Log/Item[101]/code" for f in findings[:-1]), findings


@pytest.mark.parametrize("filtered", [True, False])
def test_only_the_records_that_failed_are_validated_again(
    streamed, validated, filtered
):
    """A record is validated on its own (to locate its errors) only when
    the stream logged errors that no record before it accounts for: not
    for the errors its neighbour's own validation logged, nor for those of
    records already located."""
    # Records longer than a chunk, their error at their end: no record ends
    # in a chunk where the next one's error is logged.
    padding = " " * (2 * xml_validation._STREAM_CHUNK)

    def item(code: str) -> str:
        return f"<l:Item>{padding}<code>{code}</code></l:Item>\n"

    bad = {3, 4, 9, 20, 21, 22}
    parts = [item("bad" if i in bad else "ABC") for i in range(30)]
    findings, _ = streamed(_document(parts), filtered=filtered)
    assert [xpath for _, xpath, _, _ in findings] == [
        f"/Log/Item[{i + 1}]/code" for i in sorted(bad)
    ]
    assert validated == [True] * len(bad)


@pytest.mark.parametrize("filtered", [True, False])
def test_errors_past_the_cap_are_counted(streamed, filtered):
    """Past ``max_findings``, the stream's errors are counted, not reported:
    the records' and one no record accounts for (an element the schema does
    not declare, reported at the root)."""
    bad = [4, 9, 10, 30, 31, 50, 70]
    parts = [_item("bad" if i in bad else "ABC") for i in range(100)]
    # After the records: libxml2 validates no sibling after it.
    parts.insert(95, "<l:Other/>\n")
    findings, _ = streamed(_document(parts), filtered=filtered, max_findings=3)
    assert [xpath for _, xpath, _, _ in findings] == [
        *(f"/Log/Item[{i + 1}]/code" for i in bad[:3]),
        None,  # the note of what was left out
    ]
    omitted = len(bad) + 1 - 3
    assert streamed.last.omitted == omitted
    assert streamed.last.findings[-1].message.startswith(f"… and {omitted} more")


def test_a_sound_record_is_not_validated_again_for_the_next_ones_error(
    streamed, validated
):
    """Records far shorter than a chunk, each error in a record's first
    element: a chunk ends at a record's end tag, so when a sound record
    ends the next one's error is not logged yet, and only the records
    that failed are validated again."""
    bad = {3, 4, 9, 20, 21, 22, 60, 61, 99}
    parts = [_item("bad" if i in bad else "ABC") for i in range(100)]
    assert len(parts[0]) * 8 < xml_validation._STREAM_CHUNK
    findings, passes = streamed(_document(parts))
    assert passes == [SEEN]
    assert [xpath for _, xpath, _, _ in findings] == [
        f"/Log/Item[{i + 1}]/code" for i in sorted(bad)
    ]
    assert all(line is not None for _, _, line, _ in findings), findings
    assert validated == [True] * len(bad)


def test_a_document_that_breaks_off_past_the_cap_is_streamed_once(streamed):
    """Once the findings are full no record is validated again: records the
    filter hid before the break need no second pass, and the counts are
    those of the stream without the filter."""
    bad = [2, 5, 7, 40, 41]
    parts = [_item("bad" if i in bad else "ABC") for i in range(100)]
    parts += [_note("q"), _note("2"), _item("bad")]
    document = _document(parts, tail="<l:Note><n>")
    filtered, passes = streamed(document, max_findings=2)
    assert passes == [SEEN]
    counted = streamed.last.omitted
    unfiltered, _ = streamed(document, filtered=False, max_findings=2)
    assert filtered == unfiltered
    assert counted == streamed.last.omitted
    assert [xpath for _, xpath, _, _ in filtered[:2]] == [
        "/Log/Item[3]/code",
        "/Log/Item[6]/code",
    ]


def test_a_chunk_ends_after_a_records_end_tag_as_the_document_writes_it():
    ends = (b"</l:Item", b"</Other")
    data = b"<l:Item><l:ItemX/></l:ItemX ></l:Item  \n><Other></Other>"
    first = data.index(b"\n>") + 2
    assert xml_validation._end_tag_end(data, ends, 0, len(data)) == first
    assert xml_validation._end_tag_end(data, ends, first, len(data)) == len(data)
    # Not within the bound, or cut off by it: none.
    assert xml_validation._end_tag_end(data, ends, 0, first - 1) == -1
    assert xml_validation._end_tag_end(data, (b"</l:Note",), 0, len(data)) == -1


@pytest.mark.parametrize("align", [8, 40, 16 * 1024])
def test_the_findings_do_not_depend_on_where_chunks_end(streamed, monkeypatch, align):
    """A record whose end tag is not within reach of a chunk's start is fed
    in plain chunks (a chunk may then end inside a tag); the findings are
    those of the stream without the filter, whose chunks never align."""
    monkeypatch.setattr(xml_validation, "_ALIGN_BYTES", align)
    bad = {0, 1, 7, 30, 31, 32, 99}
    parts = [_item("bad" if i in bad else "ABC") for i in range(100)]
    parts[50:50] = [_note("x"), _note("5")]
    document = _document(parts)
    aligned, passes = streamed(document)
    assert len(passes) == 1 and passes[0] is not None
    unaligned, _ = streamed(document, filtered=False)
    assert aligned == unaligned
    assert len(aligned) == len(bad) + 1
