"""The validators' fast paths give what their careful paths give."""

from __future__ import annotations

from conformance.validation.xml_validation import validate_xml, xml_validator_for_file

LIST_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  targetNamespace="urn:t" xmlns:t="urn:t" elementFormDefault="qualified">
  <xs:element name="List"><xs:complexType><xs:sequence>
    <xs:element name="item" type="xs:int" maxOccurs="unbounded"/>
    <xs:element name="note" type="xs:int" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:schema>
"""


def _list_schema(tmp_path):
    xsd = tmp_path / "list.xsd"
    xsd.write_text(LIST_XSD, encoding="utf-8")
    return xml_validator_for_file(xsd, None)


def test_an_error_path_of_plain_names_is_read_from_libxml2s_path(tmp_path):
    schema = _list_schema(tmp_path)
    found = validate_xml(
        b'<a:List xmlns:a="urn:t"><a:item>1</a:item><a:note>x</a:note></a:List>',
        schema,
    )
    assert [(f.xpath, f.line) for f in found] == [("/List/note", 1)]
    found = validate_xml(
        b'<a:List xmlns:a="urn:t">\n<a:item>1</a:item>\n<a:item>x</a:item></a:List>',
        schema,
    )
    assert [(f.xpath, f.line) for f in found] == [("/List/item[2]", 3)]


def test_same_named_siblings_written_with_two_prefixes_keep_their_position(
    tmp_path,
):
    # libxml2 tells the two items apart by their prefixes and writes no
    # position; they are the same element of one namespace, so the readable
    # path must number them: the path is not read from libxml2's alone.
    schema = _list_schema(tmp_path)
    (finding,) = validate_xml(
        b'<a:List xmlns:a="urn:t" xmlns:b="urn:t">'
        b"<a:item>1</a:item><b:item>x</b:item></a:List>",
        schema,
    )
    assert finding.xpath is not None
    assert finding.xpath.startswith("/List/item[")
