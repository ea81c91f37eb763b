"""The validators' fast paths give what their careful paths give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from run_helpers import fresh_python

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


USUAL = (
    b'<?xml version="1.0" encoding="UTF-8"?>',
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b'<?xml version="1.0"?>',
)
DTD = b'<!DOCTYPE L [<!ENTITY e "e">]>'


@pytest.mark.parametrize("declaration", USUAL)
@pytest.mark.parametrize(
    ("between", "refused"),
    [
        (b"\n", False),
        (b"\n" + DTD + b"\n", True),
        (b" \r\n\t" + DTD, True),
        (b"<!-- a comment -->" + DTD, True),
        (b"<?pi data?>\n" + DTD, True),
        (b"<!-- a comment -->\n", False),
        (b"\n" * 80 + DTD, True),
    ],
)
def test_a_usual_declaration_and_the_root_next_spare_the_search_for_a_dtd(
    declaration, between, refused
):
    """After the usual XML declaration, the root's start tag next means no
    document type declaration; anything else is searched as before, and a
    "<!" in the body (a comment, CDATA) changes nothing but the path taken."""
    from conformance.inputs.xml_input import parse_xml, plain_prolog, prolog_finding

    body = b"<L><!-- in the body --><![CDATA[<!x]]></L>"
    document = declaration + between + body
    found = parse_xml(document)
    assert [f.rule for f in found.findings] == (["xml-dtd"] if refused else [])
    assert found.ok is not refused
    if plain_prolog(document):
        assert prolog_finding(document) is None
    assert plain_prolog(declaration + b"\n" + body)


@pytest.mark.parametrize(
    ("document", "one_each"),
    [
        (b'<a:L xmlns:a="urn:t" xmlns:b="urn:t"><a:i/><b:i/></a:L>', False),
        (b'<a:L xmlns:a="urn:t"><a:i/><b:i xmlns:b="urn:t"/></a:L>', False),
        (b'<L xmlns="urn:t" xmlns:a="urn:t"><a:i/></L>', False),
        (b'<a:L xmlns:a="urn:t"><i xmlns=""/><a:i/></a:L>', True),
        (
            b'<a:L xmlns:a="urn:t"><a:i xmlns:a="urn:t"><b:j xmlns:b="urn:u"/></a:i></a:L>',
            True,
        ),
        (b'<p:L xmlns:p="urn:t"><p:i><p:j xmlns:p="urn:u"/></p:i></p:L>', True),
        (b"<L><i/><!-- xmlns:b='urn:t' --></L>", True),
    ],
)
def test_one_prefix_per_namespace_is_read_from_the_declarations(document, one_each):
    """Whether each namespace has one prefix is what every element's
    namespaces in scope say (the definition), read from the declarations."""
    from lxml import etree

    from conformance.validation.xml_validation import _Prefixes

    tree = etree.fromstring(document).getroottree()
    prefixes: dict[str, str | None] = {}
    in_scope = all(
        prefixes.setdefault(uri, prefix) == prefix
        for element in tree.iter()
        if isinstance(element.tag, str)
        for prefix, uri in element.nsmap.items()
    )
    assert in_scope is one_each
    assert _Prefixes(tree).one_per_namespace() is one_each


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
    found = [listed.path.name for listed in iter_payload_files([tmp_path])]
    assert found == ["..xml", "a.json", "b.XML", "c.jsonl", "d.ndjson"]


def test_a_folder_is_walked_in_os_walks_order_with_each_files_kind(tmp_path):
    """A folder's files by name, then each subfolder's; hidden folders and
    links to folders left out; only a plain file is listed as regular."""
    import os

    from conformance.validation.payloads import PAYLOAD_SUFFIXES, iter_payload_files

    for name in ("b/z.json", "b/c/y.json", "a.json", ".hidden/x.json", "B/w.xml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    (tmp_path / "link-to-b").symlink_to(tmp_path / "b")
    (tmp_path / "link.json").symlink_to(tmp_path / "a.json")
    os.mkfifo(tmp_path / "pipe.json")

    listed = list(iter_payload_files([tmp_path]))
    walked = []
    for folder, dirs, files in os.walk(tmp_path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        walked += [
            os.path.join(folder, name)
            for name in sorted(files)
            if os.path.splitext(name)[1].lower() in PAYLOAD_SUFFIXES
        ]
    assert [str(found.path) for found in listed] == walked
    regular = {found.path.name for found in listed if found.regular}
    assert regular == {"a.json", "z.json", "y.json", "w.xml"}
    assert not any(found.named for found in listed)


@pytest.mark.parametrize("maker", ["pathlib's helper", "the public way"])
@pytest.mark.parametrize("given", [".", "./data", "data", "data/../data", "ABS"])
def test_a_listed_files_path_is_the_path_its_listing_names(
    given, maker, tmp_path, monkeypatch
):
    """Each file's path, made from its folder's and its name, is the Path
    of the text the listing gives (as ``Path(text)`` parses it), however
    the folder was named; with pathlib's helper or without it."""
    import os

    from conformance.validation import payloads
    from conformance.validation.payloads import iter_payload_files

    if maker == "the public way":
        monkeypatch.setattr(payloads, "_child", payloads._join)
    names = ["a.json", "b c.xml", "ş.json", "sub/d.json", "sub/deeper/e.jsonl"]
    names.append(os.fsdecode(b"\xff.json"))  # not UTF-8: a lone surrogate
    for name in names:
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / name).write_text("{}", encoding="utf-8")
    monkeypatch.chdir(tmp_path if given != "." else tmp_path / "data")
    folder = Path(given.replace("ABS", str(tmp_path / "data")))

    listed = list(iter_payload_files([folder]))
    assert len(listed) == len(names)
    for found in listed:
        assert found.text is not None
        assert found.path == Path(found.text)
        assert str(found.path) == str(Path(found.text))
        assert found.path.parts == Path(found.text).parts
        assert found.path.read_text(encoding="utf-8") == "{}"


def test_a_file_listed_as_regular_that_became_a_pipe_is_refused_not_read(tmp_path):
    """Between the listing and the reading, a file can be replaced: a pipe
    with no writer is then reported, not waited on."""
    import os
    import threading

    from conformance.registry.standards import Registry
    from conformance.validation.payloads import Validators, validate_file

    pipe = tmp_path / "was-a-file.json"
    os.mkfifo(pipe)
    done = []
    validators = Validators(Registry.open())
    reader = threading.Thread(
        target=lambda: done.append(
            validate_file(pipe, validators, named=False, regular=True)
        ),
        daemon=True,
    )
    reader.start()
    reader.join(30)
    if reader.is_alive():
        with open(pipe, "wb"):  # let the blocked reader go
            pass
        pytest.fail("the check waited for a writer to the pipe")
    assert done[0].error is not None
    assert "is a named pipe, not a regular file" in done[0].error


@pytest.mark.parametrize(
    "given",
    [
        "a/b.xml",
        "./a/b.xml",
        "../here/q.json",
        "ABS/c.xml",
        "ABS/work/here/d.json",
        "a/b\udcff.json",
        "a/ş.json",
        "z.json",
    ],
)
def test_a_folders_files_are_shown_as_each_alone_would_be(given, tmp_path, monkeypatch):

    from conformance.engine.units import FolderPaths, display_path

    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = Path(given.replace("ABS", str(tmp_path)))
    shown = FolderPaths()
    assert shown(path) == display_path(path)
    assert shown(path) == display_path(path)  # the folder's, remembered


def test_validating_payloads_loads_no_rule_engine_until_a_standard_has_rules():
    # The business rules' XPath and XSD 1.1 engines are half a second of a
    # command's start: `conformance validate` of a standard without rules
    # never loads them.
    probe = (
        "import sys, conformance.cli.run, conformance.engine.runner;"
        "print(sorted(m for m in ('elementpath', 'xmlschema',"
        " 'conformance.validation.rules') if m in sys.modules))"
    )
    assert fresh_python(probe, ROOT).strip() == "[]"


def test_validating_payloads_loads_nothing_of_the_probing_side(tmp_path):
    # `validate`, each of its --jobs workers and each pytest worker start
    # with these imports; the probing side (requests, the checks, hypothesis),
    # the dashboard's Jinja2 and python-jsonschema with referencing (the
    # reference validator of schemas and the suite's own TOML files) cost
    # about 0.6 s and are used only when a run has services, draws the
    # dashboard or reads a profile. A failing document is explained by the
    # native validator: still none of them. (The first command checks the
    # registry's manifests into the user's cache, with python-jsonschema;
    # the commands after it, as every command on a user's machine, read them
    # from there.)
    sample = (
        ROOT / "fixtures" / "samples" / "mia" / "person" / "aygun-mammadova-full.json"
    )
    (tmp_path / "person.json").write_bytes(sample.read_bytes())
    broken = json.loads(sample.read_text(encoding="utf-8"))
    broken["birthDate"] = "not a date"
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    probe = (
        "import sys\n"
        "from conformance.cli.main import main\n"
        f"code = main(['validate', {str(tmp_path)!r}, '--standard', 'person@1.1.0'])\n"
        "heavy = ('hypothesis', 'requests', 'jinja2', 'conformance.probing.plan',"
        " 'conformance.probing.checks', 'conformance.probing.http',"
        " 'conformance.reporting.dashboard', 'yaml', 'urllib.request',"
        " 'jsonschema', 'referencing')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    fresh_python(probe, tmp_path)
    output = fresh_python(probe, tmp_path)
    assert "broken.json" in output and "birthDate" in output, output
    assert output.strip().splitlines()[-1] == "1 []"
