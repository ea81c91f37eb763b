"""The validators' fast paths give what their careful paths give."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conformance.validation.xml_validation import validate_xml, xml_validator_for_file
from conftest import ROOT

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


@pytest.mark.parametrize(
    "given",
    [
        "a/b.xml",
        "./a/../b.xml",
        "a//b",
        ".",
        "..",
        "a/../../x",
        "../here/q",
        "ABS",
        "ABS/c",
    ],
)
def test_a_shown_path_is_the_path_relative_to_the_working_folder(
    given, tmp_path, monkeypatch
):
    import os
    from pathlib import Path

    from conformance.engine.units import display_path

    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    given = given.replace("ABS", str(tmp_path))
    assert display_path(Path(given)) == os.path.relpath(given)


def test_a_folder_gives_its_payload_files_by_suffix_as_pathlib_reads_it(tmp_path):
    from conformance.validation.payloads import iter_payload_files

    names = ["a.json", "b.XML", "c.jsonl", "d.ndjson", "..xml", ".json", "e.", "f.txt"]
    for name in names:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    found = [path.name for path, named in iter_payload_files([tmp_path])]
    assert found == ["..xml", "a.json", "b.XML", "c.jsonl", "d.ndjson"]


def _fresh_python(code: str, cwd: Path) -> str:
    """What ``code`` prints in a new interpreter: its imports are its own."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_validating_payloads_loads_no_rule_engine_until_a_standard_has_rules():
    # The business rules' XPath and XSD 1.1 engines are half a second of a
    # command's start: `conformance validate` of a standard without rules
    # never loads them.
    probe = (
        "import sys, conformance.cli.run, conformance.engine.runner;"
        "print(sorted(m for m in ('elementpath', 'xmlschema',"
        " 'conformance.validation.rules') if m in sys.modules))"
    )
    assert _fresh_python(probe, ROOT).strip() == "[]"


def test_validating_payloads_loads_nothing_of_the_probing_side(tmp_path):
    # `validate`, each of its --jobs workers and each pytest worker start
    # with these imports; the probing side (requests, the checks, hypothesis)
    # and the dashboard's Jinja2 cost about 0.5 s and are used only when a
    # run has services or draws the dashboard.
    payload = tmp_path / "person.json"
    payload.write_bytes(
        (
            ROOT
            / "fixtures"
            / "samples"
            / "mia"
            / "person"
            / "aygun-mammadova-full.json"
        ).read_bytes()
    )
    probe = (
        "import sys\n"
        "from conformance.cli.main import main\n"
        f"code = main(['validate', {str(payload)!r}, '--standard', 'person@1.1.0'])\n"
        "heavy = ('hypothesis', 'requests', 'jinja2', 'conformance.probing.plan',"
        " 'conformance.probing.checks', 'conformance.probing.http',"
        " 'conformance.reporting.dashboard')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert _fresh_python(probe, tmp_path).strip().splitlines()[-1] == "0 []"
