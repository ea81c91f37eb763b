"""Edge values: one value of a valid document changed at a time."""

from __future__ import annotations

import json

from lxml import etree

from conformance.selfcheck.edge_values import EDGE_NAMES, json_edges, xml_edges

XML = (
    b'<p:Person xmlns:p="urn:az:gov:std:person:1"><name>Leyla</name>'
    b"<born>1990-05-21</born><seen>2025-06-12T10:24:37Z</seen>"
    b"<site>https://e-gov.az</site><age>35</age><alive>true</alive></p:Person>"
)


def _texts(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)
    return {child.tag: child.text or "" for child in root}


def test_each_xml_edge_changes_one_value_and_says_where():
    original = _texts(XML)
    edges = list(xml_edges(XML))
    assert edges
    for edge in edges:
        changed = {
            tag for tag, text in _texts(edge.document).items() if text != original[tag]
        }
        assert changed == {edge.location.rpartition("/")[2]}, edge


def test_values_are_changed_according_to_what_they_look_like():
    by_place: dict[str, set[str]] = {}
    for edge in xml_edges(XML):
        by_place.setdefault(edge.location, set()).add(edge.name)
    assert "a line separator inside" in by_place["/Person/name"]
    assert "64 more of its first character" in by_place["/Person/name"]
    assert "hour 24 of the last day of 9999" in by_place["/Person/seen"]
    assert "year 0000" in by_place["/Person/born"]
    assert "a broken percent escape" in by_place["/Person/site"]
    # a date is not free text, digits have their own changes, flags none
    assert "a line separator inside" not in by_place["/Person/born"]
    assert by_place["/Person/age"] == {
        "an Arabic-Indic digit last",
        "64 more digits",
        "1000 more digits",
    }
    assert "/Person/alive" not in by_place


def test_json_edges_leave_the_original_document_as_it_was():
    document = {
        "name": "Leyla",
        "aliases": ["Leyli"],
        "phone": "+994501234567",
        "ratio": "1.5",  # a decimal's lexical rules are not text's: left alone
        "address": {"city": "Bakı"},
    }
    before = json.dumps(document)
    edges = list(json_edges(document))
    assert json.dumps(document) == before
    places = {edge.location for edge in edges}
    assert places == {"/name", "/aliases/0", "/phone", "/address/city"}
    phone = {e.name: e.document["phone"] for e in edges if e.location == "/phone"}
    assert phone["an Arabic-Indic digit last"] == "+99450123456\u0667"
    assert "a line separator inside" not in phone
    (bom,) = [
        e for e in edges if e.location == "/address/city" and "byte order" in e.name
    ]
    assert bom.document["address"]["city"] == "\ufeffBakı"
    assert bom.document["name"] == "Leyla"


def test_an_edge_of_one_fixed_value_shows_it():
    (leap,) = [e for e in xml_edges(XML) if e.name == "a leap second"]
    assert leap.value == "2016-12-31T23:59:60Z"
    assert (
        leap.described() == "/Person/seen with a leap second ('2016-12-31T23:59:60Z')"
    )
    assert _texts(leap.document)["seen"] == "2016-12-31T23:59:60Z"
    (bom,) = [e for e in xml_edges(XML) if e.name == "a byte order mark first"]
    assert bom.value is None
    assert bom.described() == "/Person/name with a byte order mark first"


def test_every_edge_has_a_name_errata_can_use():
    names = {e.name for e in xml_edges(XML)}
    assert names <= EDGE_NAMES
    assert {"year 0000", "an offset of 15 hours", "an Arabic-Indic digit last"} <= names


def test_digits_with_white_space_around_are_a_number_left_alone():
    # "35\n" is not a string of digits ($ would match before the newline):
    # an XML integer with white space around, whose lexical rules are its own.
    xml = XML.replace(b"<age>35</age>", b"<age>35\n</age>")
    assert not [e for e in xml_edges(xml) if e.location == "/Person/age"]


def test_a_document_that_is_one_string_is_changed_whole():
    edges = list(json_edges("Leyla"))
    assert {e.location for e in edges} == {""}
    assert "\u2028" in next(e.document for e in edges if "line separator" in e.name)


def test_a_document_that_is_not_xml_has_no_edges():
    assert list(xml_edges(b"<not closed")) == []
