"""JSON <-> XML conversion: every shipped example crosses over validly, and the
mapping rules hold on small hand-written schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from conformance.errors import SchemaError
from conformance.inputs.xml_input import XSI, root_identity
from conformance.registry.locations import bundled
from conformance.registry.standards import Registry
from conformance.validation.bindings import (
    BindingError,
    json_to_xml,
    xml_to_json,
    xsd_model,
)
from conformance.validation.json_validation import json_validator
from conformance.validation.xml_schemas import load_xmlschema
from conformance.validation.xml_validation import validate_xml, xml_validator

XS = "http://www.w3.org/2001/XMLSchema"

# Valid examples of one binding that cannot be represented validly in the
# other: a real inconsistency between the released bindings, which are
# immutable. Key "<id>@<version>/<file name>", value the inconsistency.
KNOWN_INCONSISTENCIES: dict[str, str] = {}


def _examples(suffix: str) -> list[Any]:
    params = []
    for standard in Registry.open(bundled("standards")):
        if not (standard.json and standard.xml):
            continue
        for example in standard.examples:
            if example.valid and example.path.suffix == suffix:
                key = f"{standard.ref}/{example.path.name}"
                reason = KNOWN_INCONSISTENCIES.get(key)
                marks = (
                    [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                )
                params.append(
                    pytest.param(standard.ref, example.path, id=key, marks=marks)
                )
    return params


def _no_findings(data: bytes, registry: Registry, standard: Any) -> None:
    findings = validate_xml(data, xml_validator(registry, standard))
    assert [f"{f.xpath}: {f.message}" for f in findings] == [], data.decode()


# -- every shipped standard with both bindings --------------------------------


def test_every_standard_with_both_bindings_has_examples_to_convert(
    registry: Registry,
):
    both = {s.ref for s in registry if s.json and s.xml}
    assert {"person@2.0.0", "legal-entity@1.1.0"} <= both
    assert {p.values[0] for p in _examples(".json")} == both


@pytest.mark.parametrize(("ref", "path"), _examples(".json"))
def test_a_valid_json_example_becomes_valid_xml_and_comes_back(
    registry: Registry, ref: str, path: Path
):
    standard = registry.resolve(ref)
    assert standard.xml is not None
    value = json.loads(path.read_text(encoding="utf-8"))
    model = xsd_model(registry, standard)
    data = json_to_xml(value, model, standard.xml.root or "")
    _no_findings(data, registry, standard)
    assert xml_to_json(data, model) == value


@pytest.mark.parametrize(("ref", "path"), _examples(".xml"))
def test_a_valid_xml_example_becomes_valid_json_and_goes_back(
    registry: Registry, ref: str, path: Path
):
    standard = registry.resolve(ref)
    assert standard.xml is not None
    model = xsd_model(registry, standard)
    value = xml_to_json(path.read_bytes(), model)
    assert json_validator(registry, standard).is_valid(value), value
    _, _, version = root_identity(path)
    data = json_to_xml(value, model, standard.xml.root or "", version=version)
    _no_findings(data, registry, standard)
    assert root_identity(data)[2] == version
    assert xml_to_json(data, model) == value


def test_the_model_is_built_once_per_registry(registry: Registry):
    standard = registry.resolve("person@1.0.0")
    assert xsd_model(registry, standard) is xsd_model(registry, standard)
    assert type(xsd_model(registry, standard)).__name__ == "XMLSchema10"
    legal = registry.resolve("legal-entity@1.1.0")
    assert type(xsd_model(registry, legal)).__name__ == "XMLSchema11"


def test_a_standard_without_xml_has_no_model(registry: Registry):
    with pytest.raises(SchemaError, match="no XML binding"):
        xsd_model(registry, registry.resolve("problem-details@1.0.0"))


# -- the loader's sandbox holds for XSD 1.0 too -------------------------------


def _write_xsd(path: Path, body: str = "", namespace: str = "urn:t") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="{namespace}">{body}</xs:schema>',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_a_relative_include_inside_the_registry_is_loaded(tmp_path: Path, version: str):
    registry = tmp_path / "registry"
    _write_xsd(registry / "s/1.0.0/s.xsd", '<xs:element name="R" type="xs:string"/>')
    main = _write_xsd(
        registry / "s/1.1.0/s.xsd", '<xs:include schemaLocation="../1.0.0/s.xsd"/>'
    )
    model = load_xmlschema(main, version, [registry])
    assert list(model.elements) == ["R"]


@pytest.mark.parametrize(
    "reference",
    [
        '<xs:include schemaLocation="../../../elsewhere/other.xsd"/>',
        '<xs:import namespace="urn:o" schemaLocation="../../../elsewhere/other.xsd"/>',
        '<xs:import namespace="urn:o" schemaLocation="{outside}"/>',
        '<xs:import namespace="urn:o" schemaLocation="https://example.org/o.xsd"/>',
    ],
)
@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_a_reference_outside_the_registry_is_refused(
    tmp_path: Path, version: str, reference: str
):
    outside = tmp_path / "elsewhere" / "other.xsd"
    _write_xsd(outside, namespace="urn:t" if "include" in reference else "urn:o")
    registry = tmp_path / "registry"
    body = reference.format(outside=outside.as_uri())
    main = _write_xsd(registry / "s/1.0.0/s.xsd", body)
    with pytest.raises(SchemaError, match="outside the registry"):
        load_xmlschema(main, version, [registry])


# -- the mapping rules on small schemas ---------------------------------------


def schema(tmp_path: Path, content: str, extra: str = "", version: str = "1.0"):
    """A schema in namespace urn:t whose root R has ``content`` as its sequence."""
    path = tmp_path / "t.xsd"
    path.write_text(
        f'<xs:schema xmlns:xs="{XS}" xmlns:t="urn:t" targetNamespace="urn:t">'
        '<xs:element name="R"><xs:complexType>'
        f"<xs:sequence>{content}</xs:sequence>"
        '<xs:attribute name="version" type="xs:string"/>'
        f"</xs:complexType></xs:element>{extra}</xs:schema>",
        encoding="utf-8",
    )
    return load_xmlschema(path, version, [tmp_path])


def document(body: str, attrs: str = "") -> bytes:
    return f'<t:R xmlns:t="urn:t"{attrs}>{body}</t:R>'.encode()


def children(data: bytes) -> list[str]:
    return [etree.QName(c).localname for c in etree.fromstring(data)]


def round_trip(model: Any, value: dict[str, Any]) -> bytes:
    data = json_to_xml(value, model, "R")
    assert model.is_valid(data), data.decode()
    assert xml_to_json(data, model) == value
    return data


def test_a_wrapper_element_is_an_array_of_its_items(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element name="codes" minOccurs="0"><xs:complexType><xs:sequence>'
        '<xs:element name="code" type="xs:string" maxOccurs="unbounded"/>'
        "</xs:sequence></xs:complexType></xs:element>"
        '<xs:element name="spouses"><xs:complexType><xs:sequence>'
        '<xs:element name="spouse" minOccurs="0" maxOccurs="2"><xs:complexType>'
        '<xs:sequence><xs:element name="fin" type="xs:string"/></xs:sequence>'
        "</xs:complexType></xs:element></xs:sequence></xs:complexType></xs:element>",
    )
    data = round_trip(
        model, {"codes": ["36.00", "37.00"], "spouses": [{"fin": "A"}, {"fin": "B"}]}
    )
    root = etree.fromstring(data)
    assert [c.text for c in root.find("codes")] == ["36.00", "37.00"]
    assert [c.findtext("fin") for c in root.find("spouses")] == ["A", "B"]
    assert xml_to_json(document("<spouses/>"), model) == {"spouses": []}
    with pytest.raises(BindingError, match="only spouse may appear"):
        xml_to_json(document("<spouses><fin>A</fin></spouses>"), model)
    with pytest.raises(BindingError, match="/codes: a string where an array"):
        json_to_xml({"codes": "36.00", "spouses": []}, model, "R")


def test_a_wrapper_with_more_than_the_item_is_an_object(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element name="list"><xs:complexType><xs:sequence>'
        '<xs:element name="item" type="xs:string" maxOccurs="unbounded"/>'
        '<xs:element name="note" type="xs:string" minOccurs="0"/>'
        "</xs:sequence></xs:complexType></xs:element>",
    )
    round_trip(model, {"list": {"item": ["a", "b"], "note": "n"}})


def test_a_repeated_element_is_an_array_of_its_occurrences(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element name="first" type="xs:string"/>'
        '<xs:element name="tag" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>'
        '<xs:sequence maxOccurs="3"><xs:element name="step" type="xs:int"/>'
        "</xs:sequence>"
        '<xs:element name="last" type="xs:string"/>',
    )
    data = round_trip(
        model, {"first": "a", "tag": ["x", "y", "z"], "step": [1, 2], "last": "b"}
    )
    assert children(data) == ["first", "tag", "tag", "tag", "step", "step", "last"]
    # one occurrence is still an array: the schema, not the count, decides
    single = document("<first>a</first><tag>x</tag><step>1</step><last>b</last>")
    assert xml_to_json(single, model) == {
        "first": "a",
        "tag": ["x"],
        "step": [1],
        "last": "b",
    }
    with pytest.raises(BindingError, match="occurs more than once"):
        xml_to_json(document("<first>a</first><first>b</first>"), model)


def test_a_repeating_group_of_several_elements_is_refused(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:sequence maxOccurs="unbounded"><xs:element name="key" type="xs:string"/>'
        '<xs:element name="value" type="xs:string"/></xs:sequence>',
    )
    with pytest.raises(BindingError, match="interleaving"):
        json_to_xml({"key": ["a"], "value": ["b"]}, model, "R")
    with pytest.raises(BindingError, match="interleaving"):
        xml_to_json(document("<key>a</key><value>b</value>"), model)


SIMPLE = (
    '<xs:element name="int" type="xs:int" minOccurs="0"/>'
    '<xs:element name="positive" type="xs:positiveInteger" minOccurs="0"/>'
    '<xs:element name="small" type="t:Small" minOccurs="0"/>'
    '<xs:element name="amount" type="xs:decimal" minOccurs="0"/>'
    '<xs:element name="ratio" type="xs:double" minOccurs="0"/>'
    '<xs:element name="share" type="xs:float" minOccurs="0"/>'
    '<xs:element name="flag" type="xs:boolean" minOccurs="0"/>'
    '<xs:element name="date" type="xs:date" minOccurs="0"/>'
    '<xs:element name="stamp" type="xs:dateTime" minOccurs="0"/>'
    '<xs:element name="text" type="xs:string" minOccurs="0"/>'
    '<xs:element name="words" type="t:Words" minOccurs="0"/>'
    '<xs:element name="priced" type="t:Priced" minOccurs="0"/>'
)
SIMPLE_TYPES = (
    '<xs:simpleType name="Small"><xs:restriction base="xs:byte">'
    '<xs:maxInclusive value="9"/></xs:restriction></xs:simpleType>'
    '<xs:simpleType name="Words"><xs:list itemType="xs:int"/></xs:simpleType>'
    '<xs:complexType name="Priced"><xs:simpleContent>'
    '<xs:extension base="xs:decimal"/></xs:simpleContent></xs:complexType>'
)


def test_numbers_booleans_and_strings_follow_the_primitive_type(tmp_path: Path):
    model = schema(tmp_path, SIMPLE, SIMPLE_TYPES)
    value = {
        "int": -7,
        "positive": 12,
        "small": 3,
        "amount": 2.5,
        "ratio": 1e-7,
        "share": 0.25,
        "flag": True,
        "date": "2024-02-29",
        "text": "  spaced  ",
        "words": "1 2 3",
        "priced": 250000000,
    }
    data = round_trip(model, value)
    root = etree.fromstring(data)
    assert root.findtext("flag") == "true"
    assert root.findtext("priced") == "250000000"
    assert root.findtext("text") == "  spaced  "
    # xs:decimal has no exponent; an integral float is an integer to JSON
    assert b"<amount>0.0000001</amount>" in round_trip(model, {"amount": 1e-7})
    assert b"<int>3</int>" in round_trip(model, {"int": 3.0})


def test_rfc_3339_lowercase_t_and_z_are_written_as_xsd_wants(tmp_path: Path):
    model = schema(tmp_path, SIMPLE, SIMPLE_TYPES)
    data = json_to_xml({"stamp": "2025-06-12t10:24:37z", "text": "t z"}, model, "R")
    root = etree.fromstring(data)
    assert root.findtext("stamp") == "2025-06-12T10:24:37Z"
    assert root.findtext("text") == "t z"  # a string is left as it is


def test_xml_lexical_forms_read_as_json_values(tmp_path: Path):
    model = schema(tmp_path, SIMPLE, SIMPLE_TYPES)
    body = (
        "<int> +5 </int><amount>1.50</amount><ratio>1E3</ratio>"
        "<flag>0</flag><date> 2024-02-29 </date><priced>7</priced>"
    )
    assert xml_to_json(document(body), model) == {
        "int": 5,
        "amount": 1.5,
        "ratio": 1000.0,
        "flag": False,
        "date": "2024-02-29",
        "priced": 7,
    }
    value = xml_to_json(document("<amount>3</amount><ratio>2</ratio>"), model)
    assert value == {"amount": 3, "ratio": 2}
    assert all(type(v) is int for v in value.values())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<int>1.0</int>", "not a JSON integer"),
        ("<int>1_000</int>", "not a JSON integer"),
        ("<amount>1e3</amount>", "not a JSON number"),
        ("<ratio>INF</ratio>", "not a JSON number"),
        ("<flag>yes</flag>", "not a JSON boolean"),
    ],
)
def test_a_lexical_form_without_a_json_value_is_refused(
    tmp_path: Path, body: str, message: str
):
    model = schema(tmp_path, SIMPLE, SIMPLE_TYPES)
    with pytest.raises(BindingError, match=message):
        xml_to_json(document(body), model)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"int": "5"}, "/int: a string cannot stand for type xs:int"),
        ({"int": 1.5}, "/int: a number cannot stand"),
        ({"int": True}, "/int: a boolean cannot stand"),
        ({"amount": "2.5"}, "/amount: a string cannot stand"),
        ({"flag": 1}, "/flag: a number cannot stand"),
        ({"text": 5}, "/text: a number cannot stand"),
        ({"text": None}, "/text: null cannot stand"),
        ({"text": {"a": 1}}, "/text: an object cannot stand"),
        ({"text": "a\ufffeb"}, "/text: .* holds characters XML 1.0 cannot carry"),
        ({"text": "a\x01"}, "/text: .* holds characters XML 1.0 cannot carry"),
    ],
)
def test_a_json_value_of_the_wrong_kind_is_refused(
    tmp_path: Path, value: dict[str, Any], message: str
):
    model = schema(tmp_path, SIMPLE, SIMPLE_TYPES)
    with pytest.raises(BindingError, match=message):
        json_to_xml(value, model, "R")


CHOICE = (
    '<xs:element name="id" type="xs:string"/>'
    "<xs:choice>"
    '<xs:sequence><xs:element name="dateOfMarriage" type="xs:date"/>'
    '<xs:element name="spouses" type="t:Two"/></xs:sequence>'
    '<xs:sequence><xs:element name="dateOfDivorce" type="xs:date"/>'
    '<xs:element name="spouses" type="t:Two"/>'
    '<xs:element name="basis" type="xs:string"/></xs:sequence>'
    '<xs:element name="other" type="xs:string"/>'
    "</xs:choice>"
    '<xs:element name="note" type="xs:string" minOccurs="0"/>'
)
TWO = (
    '<xs:complexType name="Two"><xs:sequence>'
    '<xs:element name="fin" type="xs:string" minOccurs="2" maxOccurs="2"/>'
    "</xs:sequence></xs:complexType>"
)


def test_a_choice_writes_only_the_chosen_branch_in_its_order(tmp_path: Path):
    model = schema(tmp_path, CHOICE, TWO)
    divorce = {
        "note": "n",
        "basis": "court",
        "spouses": ["A", "B"],
        "dateOfDivorce": "2025-10-28",
        "id": "1",
    }
    data = round_trip(model, divorce)
    assert children(data) == ["id", "dateOfDivorce", "spouses", "basis", "note"]
    marriage = {"id": "1", "spouses": ["A", "B"], "dateOfMarriage": "2025-08-22"}
    assert children(round_trip(model, marriage)) == [
        "id",
        "dateOfMarriage",
        "spouses",
    ]
    assert children(round_trip(model, {"id": "1", "other": "x"})) == ["id", "other"]


def test_members_of_two_branches_are_refused(tmp_path: Path):
    model = schema(tmp_path, CHOICE, TWO)
    mixed = {"id": "1", "dateOfMarriage": "2025-08-22", "other": "x"}
    with pytest.raises(BindingError, match="another branch of an xs:choice"):
        json_to_xml(mixed, model, "R")


def test_an_absent_optional_element_is_an_absent_member(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element name="a" type="xs:string"/>'
        '<xs:element name="b" type="xs:string" minOccurs="0"/>'
        '<xs:element name="c" type="xs:int" minOccurs="0"/>',
    )
    data = round_trip(model, {"c": 1, "a": "x"})
    assert children(data) == ["a", "c"]
    assert xml_to_json(document("<a>x</a>"), model) == {"a": "x"}


def test_element_references_and_empty_content(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element ref="t:Note"/>'
        '<xs:element name="empty" minOccurs="0"><xs:complexType/></xs:element>',
        '<xs:element name="Note" type="xs:string"/>',
    )
    data = round_trip(model, {"Note": "hi", "empty": {}})
    assert etree.fromstring(data)[0].tag == "{urn:t}Note"


def test_the_root_version_attribute_is_not_data(tmp_path: Path):
    model = schema(tmp_path, '<xs:element name="a" type="xs:string"/>')
    data = document("<a>x</a>", ' version="1.1.0"')
    assert xml_to_json(data, model) == {"a": "x"}
    written = json_to_xml({"a": "x"}, model, "R", version="1.1.0")
    assert etree.fromstring(written).get("version") == "1.1.0"
    assert etree.fromstring(json_to_xml({"a": "x"}, model, "R")).get("version") is None


def test_the_output_is_a_utf8_document_in_the_target_namespace(tmp_path: Path):
    model = schema(tmp_path, '<xs:element name="a" type="xs:string"/>')
    data = json_to_xml({"a": "Gəncə"}, model, "R")
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Gəncə".encode() in data
    root = etree.fromstring(data)
    assert (root.tag, root.prefix, root[0].tag) == ("{urn:t}R", "t", "a")


def test_an_element_or_tree_may_be_given(tmp_path: Path):
    model = schema(tmp_path, '<xs:element name="a" type="xs:string"/>')
    root = etree.fromstring(document("<!-- c --><a>x</a>"))
    assert xml_to_json(root, model) == {"a": "x"}
    assert xml_to_json(root.getroottree(), model) == {"a": "x"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (document("<a>x</a><b>y</b>"), "declares no such element"),
        (document('<a id="1">x</a>'), "/R/a/@id: attributes have no JSON form"),
        (document("<a>x</a>", ' lang="az"'), "attributes have no JSON form"),
        (document(f'<a xmlns:xsi="{XSI}" xsi:nil="true"/>'), "@{http"),
        (document("text<a>x</a>"), "text in element-only content"),
        (document("<a><b/></a>"), "inside the simple content"),
        (b'<t:Other xmlns:t="urn:t"/>', "not one of"),
        (b'<R xmlns="urn:other"/>', "not one of"),
        (b"<!DOCTYPE R []><R/>", "document type declaration"),
        (b"<R>", "not well-formed"),
    ],
)
def test_a_document_outside_the_mapping_is_refused(
    tmp_path: Path, data: bytes, message: str
):
    model = schema(tmp_path, '<xs:element name="a" type="xs:string"/>')
    with pytest.raises(BindingError, match=message):
        xml_to_json(data, model)


@pytest.mark.parametrize(
    ("value", "root", "message"),
    [
        ({"a": "x", "z": 1}, "R", "declares no element for 'z'"),
        (["x"], "R", "/: an array where an anonymous type wants an object"),
        ({"a": "x"}, "Missing", "no root 'Missing'"),
    ],
)
def test_a_value_outside_the_mapping_is_refused(
    tmp_path: Path, value: Any, root: str, message: str
):
    model = schema(tmp_path, '<xs:element name="a" type="xs:string"/>')
    with pytest.raises(BindingError, match=message):
        json_to_xml(value, model, root)


def test_a_version_needs_a_declared_version_attribute(tmp_path: Path):
    path = tmp_path / "plain.xsd"
    path.write_text(
        f'<xs:schema xmlns:xs="{XS}" targetNamespace="urn:t">'
        '<xs:element name="R"><xs:complexType><xs:sequence/></xs:complexType>'
        "</xs:element></xs:schema>",
        encoding="utf-8",
    )
    model = load_xmlschema(path, "1.0", [tmp_path])
    assert xml_to_json(json_to_xml({}, model, "R"), model) == {}
    with pytest.raises(BindingError, match="declares no version attribute"):
        json_to_xml({}, model, "R", version="1.0.0")


def test_xsd_11_schemas_convert_the_same_way(tmp_path: Path):
    model = schema(
        tmp_path,
        '<xs:element name="n" type="xs:integer"/>'
        '<xs:element name="codes"><xs:complexType><xs:sequence>'
        '<xs:element name="code" type="xs:string" maxOccurs="20"/>'
        "</xs:sequence>"
        '<xs:assert test="count(code) = count(distinct-values(code))"/>'
        "</xs:complexType></xs:element>",
        version="1.1",
    )
    assert type(model).__name__ == "XMLSchema11"
    round_trip(model, {"n": 3, "codes": ["a", "b"]})
