"""The `conformance` command: exit codes, messages, outputs, reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from report_helpers import interrupted_at

from conformance.cli.main import main
from conformance.registry.locations import bundled
from conformance.validation.json_validation import json_validator, validate_json

PERSON_EXAMPLES = bundled("standards") / "person" / "1.0.0" / "examples"
COMMAND = str(Path(sys.executable).parent / "conformance")


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _person(fin: str = "5ZK3T2A") -> str:
    return json.dumps(
        {
            "fin": fin,
            "givenName": "Aytən",
            "familyName": "Əliyeva",
            "birthDate": "1995-08-09",
            "sex": "female",
        },
        ensure_ascii=False,
    )


def test_valid_files_exit_0(capsys):
    code, out, _ = run_cli(
        capsys, "validate", "--standard", "person@1.0.0", str(PERSON_EXAMPLES / "valid")
    )
    assert code == 0
    assert "verdict: conformant" in out


def test_an_invalid_file_exits_1_and_says_where_and_why(capsys):
    bad = PERSON_EXAMPLES / "invalid" / "fin-eight-characters.json"
    code, out, _ = run_cli(capsys, "validate", "--standard", "person@1.0.0", str(bad))
    assert code == 1
    assert "line 2, column 10, /fin" in out
    assert "rule pattern" in out
    assert "requirement PER-3 (MUST)" in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--standard", "persn@1", "x.json"], "did you mean 'person'"),
        (["validate", "--standard", "person@1.0.0", "nowhere.json"], "no such file"),
        (["validate", "--schema", "nowhere.json", "x.json"], "no such file"),
        (["--registry", "/nonexistent", "standards", "list"], "does not exist"),
        (["standards", "show", "person@7"], "matches no released"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(capsys, tmp_path, args, message):
    os.chdir(tmp_path)
    (tmp_path / "x.json").write_text("{}", encoding="utf-8")
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["validate"])
    assert raised.value.code == 2


def test_json_output_is_a_valid_conformance_report(capsys, registry):
    bad = PERSON_EXAMPLES / "invalid"
    code, out, _ = run_cli(
        capsys, "validate", "--standard", "person@1.0.0", "--format", "json", str(bad)
    )
    assert code == 1
    report = registry.resolve("conformance-report@1.1.0")
    assert validate_json(out.encode(), json_validator(registry, report)) == []
    document = json.loads(out)
    assert document["verdict"] == "non-conformant"
    files = {f for s in document["standards"] for f in s["files"]}
    assert "person/1.0.0/person.schema.json" in files
    assert "address/1.0.0/address.schema.json" in files  # referenced by person


def test_json_lines_report_each_bad_record_by_line(capsys, tmp_path):
    lines = [_person() for _ in range(500)]
    lines[41] = _person(fin="BAD")
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "validate", "--standard", "person@1.1.0", str(path))
    assert code == 1
    assert "1 of 500 records failed" in out
    assert "line 42, column 9, /fin" in out


def test_one_bad_file_among_thousands_neither_stops_nor_hides_the_others(
    capsys, tmp_path, monkeypatch
):
    import conformance.validation.json_validation as jv

    compiled = []
    original = jv.native_validator
    monkeypatch.setattr(
        jv, "native_validator", lambda *a: compiled.append(1) or original(*a)
    )
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(2000):
        (folder / f"p{index:04}.json").write_text(_person(), encoding="utf-8")
    (folder / "p0500.json").write_text(_person(fin="NO"), encoding="utf-8")
    (folder / "p0900.json").write_bytes(b"\xff\xfe garbage")
    (folder / "p1500.json").unlink()
    (folder / "p1500.json").symlink_to(folder / "missing-target.json")
    report = tmp_path / "report.json"
    code, _out, _ = run_cli(
        capsys,
        "--registry",
        str(tmp_registry_copy(tmp_path)),
        "validate",
        "--standard",
        "person@1.1.0",
        "--report",
        str(report),
        str(folder),
    )
    assert code == 1
    document = json.loads(report.read_text(encoding="utf-8"))
    outcomes = {r["id"].rsplit("/", 1)[1]: r["outcome"] for r in document["results"]}
    assert len(outcomes) == 2000
    assert outcomes["p0500.json"] == "failed"
    assert outcomes["p0900.json"] == "failed"
    assert outcomes["p1500.json"] == "error"
    assert list(outcomes.values()).count("passed") == 1997
    assert len(compiled) == 1  # the schema was compiled once for 2000 files


def tmp_registry_copy(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "registry"
    if not target.exists():
        shutil.copytree(bundled("standards"), target)
    return target


def test_a_draft_json_schema_outside_the_registry(capsys, tmp_path):
    draft = tmp_path / "draft.schema.json"
    draft.write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["voen"],
                "properties": {
                    "voen": {"type": "string", "pattern": "^[0-9]{10}$"},
                    "address": {
                        "$ref": "https://standards.e-gov.az/address/1.0.0/address.schema.json"
                    },
                },
            }
        ),
        encoding="utf-8",
    )
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text('{"voen": "1234567891"}', encoding="utf-8")
    bad.write_text('{"voen": "12", "address": {"country": "AZ"}}', encoding="utf-8")
    code, out, _ = run_cli(capsys, "validate", "--schema", str(draft), str(good))
    assert code == 0, out
    code, out, _ = run_cli(capsys, "validate", "--schema", str(draft), str(bad))
    assert code == 1
    assert "/voen" in out
    assert "/address" in out


def test_a_draft_xsd_outside_the_registry(capsys, tmp_path):
    xsd = tmp_path / "draft.xsd"
    xsd.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        '<xs:element name="Code"><xs:simpleType><xs:restriction base="xs:string">'
        '<xs:pattern value="[A-Z]{3}"/></xs:restriction></xs:simpleType></xs:element>'
        "</xs:schema>",
        encoding="utf-8",
    )
    (tmp_path / "ok.xml").write_text("<Code>AZE</Code>", encoding="utf-8")
    (tmp_path / "no.xml").write_text("<Code>az</Code>", encoding="utf-8")
    code, out, _ = run_cli(capsys, "validate", "--schema", str(xsd), str(tmp_path))
    assert code == 1
    assert "no.xml" in out
    assert "cvc-pattern-valid" in out
    assert "ok.xml" not in out


def test_standards_list_and_show(capsys):
    code, out, _ = run_cli(capsys, "standards", "list")
    assert code == 0
    assert "person@1.0.0" in out and "deprecated" in out
    code, out, _ = run_cli(capsys, "standards", "show", "person@1", "--format", "json")
    data = json.loads(out)
    assert data["ref"] == "person@1.2.0"
    assert {r["id"] for r in data["requirements"]} >= {"PER-1", "PER-3"}


def test_standards_show_lists_the_known_binding_differences(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "standards", "show", "person@1.2.0")
    assert code == 0
    assert "known differences between the bindings (person/errata.toml):" in out
    assert (
        "the XML binding alone takes values at /email (64 more of its first"
        " character): The XSD's e-mail type puts no limit" in out
    )
    code, out, _ = run_cli(capsys, "standards", "show", "person@3.0.0")
    assert "known differences" not in out  # the draft that fixes them
    code, out, _ = run_cli(
        capsys, "standards", "show", "person@1.2.0", "--format", "json"
    )
    errata = json.loads(out)["errata"]
    assert errata["problem"] is None
    assert {
        (d["accepted_by"], tuple(d["locations"])) for d in errata["divergences"]
    } == {
        ("xml", ("/email",)),
        ("json", ("/birthDate",)),
        ("json", ("/deathDate",)),
    }
    root = tmp_registry_copy(tmp_path)
    (root / "person" / "errata.toml").write_text("[[divergences]\n", encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "--registry", str(root), "standards", "show", "person@1.2.0"
    )
    assert code == 0
    assert "  errata: " in out and "the errata are not valid TOML" in out


def test_standards_check_passes_on_the_bundled_registry(capsys):
    code, out, _ = run_cli(capsys, "standards", "check")
    assert code == 0, out
    assert " 0 failed" in out


def test_standards_check_fails_on_an_edited_release(capsys, tmp_path):
    root = tmp_registry_copy(tmp_path)
    schema = root / "address" / "1.0.0" / "address.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + " ", encoding="utf-8")
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 1
    assert "address@1.0.0 was released and is immutable" in out


def test_standards_check_names_errata_for_a_version_that_does_not_exist(
    capsys, tmp_path
):
    root = tmp_registry_copy(tmp_path)
    errata = root / "person" / "errata.toml"
    errata.write_text(
        errata.read_text(encoding="utf-8").replace(
            '"1.2.0", "1.3.0", "2.0.0"', '"1.2", "1.3.0", "9.9.9"'
        ),
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 1
    assert "person/errata.toml: the errata do not follow the format" in out
    assert "'1.2' does not match" in out
    errata.write_text(
        errata.read_text(encoding="utf-8").replace('"1.2", ', ""), encoding="utf-8"
    )
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 1
    assert "divergence 1 names version 9.9.9, which person does not have" in out


def test_standards_check_names_an_edge_value_the_self_test_does_not_make(
    capsys, tmp_path
):
    root = tmp_registry_copy(tmp_path)
    errata = root / "person" / "errata.toml"
    errata.write_text(
        errata.read_text(encoding="utf-8").replace(
            'edges = ["year 0000"]', 'edges = ["year zero"]', 1
        ),
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 1
    assert "person/errata.toml: divergence 2 names the edge value 'year zero'," in out
    assert "it makes: 1000 more digits, " in out


def test_standards_lock_records_a_new_release_only(capsys, tmp_path):
    import shutil

    root = tmp_registry_copy(tmp_path)
    shutil.copytree(root / "address" / "1.0.0", root / "address" / "1.0.1")
    for name in ("standard.toml", "address.schema.json"):
        path = root / "address" / "1.0.1" / name
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('"1.0.0"', '"1.0.1"').replace("/1.0.0/", "/1.0.1/"),
            encoding="utf-8",
        )
    # The documented order is check, then lock: an unrecorded release is a
    # note that says to lock it, not a failure.
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 0, out
    assert "note  address@1.0.1: released content is unchanged" in out
    assert "`conformance standards lock address@1.0.1`" in out
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "lock")
    assert (code, out.strip()) == (0, "recorded: address@1.0.1")
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 0, out
    assert "address@1.0.1" not in out
    # Once recorded, a change to its files fails the check.
    schema = root / "address" / "1.0.1" / "address.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "--registry", str(root), "standards", "check")
    assert code == 1
    assert "address@1.0.1 was released and is immutable" in out


def test_run_writes_reports_for_the_sample_agencies(capsys, tmp_path, registry):
    reports = tmp_path / "reports"
    code, out, _ = run_cli(capsys, "run", "--reports-dir", str(reports))
    assert code == 0, out
    assert "agencies: azerpost, justice, labour, mia, property, tax" in out
    document = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    report = registry.resolve("conformance-report@1.1.0")
    data = (reports / "conformance-report.json").read_bytes()
    assert validate_json(data, json_validator(registry, report)) == []
    assert document["run"]["complete"] is True
    summary = document["summary"]
    assert (summary["failed"], summary["error"], summary["skipped"]) == (0, 0, 0)
    assert summary["passed"] > 150
    kinds = {r["kind"] for r in document["results"]}
    assert kinds == {"payload", "service"}
    not_applicable = {
        r["evidence"]["check"]
        for r in document["results"]
        if r["outcome"] == "not_applicable"
        # The OGC features service: the exchange rules its standard leaves
        # out, operations without parameters, headers it documents none of.
        and r["evidence"]["service"] != "property:cadastre-features"
    }
    assert not_applicable <= {
        "tls",
        "xml-body",
        "content-negotiation",
        "same-data",
        "documented-media-types",
    }
    suites = etree.parse(str(reports / "junit.xml")).getroot()
    assert int(suites.get("tests")) == document["summary"]["total"]
    assert "Conformance: conformant" in (reports / "summary.md").read_text("utf-8")


def test_run_with_a_broken_profile_is_a_usage_error(capsys, tmp_path):
    profile = tmp_path / "broken.toml"
    profile.write_text(
        '[agency]\nid = "x"\nname = "X"\n[[payloads]]\npaht = "."\n', encoding="utf-8"
    )
    code, _, err = run_cli(capsys, "run", "--agency", str(profile))
    assert code == 2
    assert "unknown key 'paht' (did you mean 'path'?)" in err


def test_an_interrupted_run_leaves_a_report_marked_incomplete(tmp_path):
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "a.json").write_text(_person(), encoding="utf-8")
    fifo = tmp_path / "b.json"
    os.mkfifo(fifo)  # named, so read: it blocks until the test writes
    report = tmp_path / "report.json"
    returncode, out, err = interrupted_at(
        fifo,
        [
            "validate",
            "--standard",
            "person@1.1.0",
            "--report",
            str(report),
            str(folder),
            str(fifo),
        ],
    )
    assert returncode == 3, (out, err)
    assert "interrupted" in err
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["run"]["complete"] is False
    assert document["verdict"] == "incomplete"
    assert [r["outcome"] for r in document["results"]] == ["passed"]


def test_a_named_pipe_in_a_payload_folder_is_reported_not_read(tmp_path):
    # Reading a FIFO with no writer waits forever; found in a folder, it is
    # reported and the run goes on (named on the command line, it is read).
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "a.json").write_text(_person(), encoding="utf-8")
    os.mkfifo(folder / "b.json")
    try:
        done = subprocess.run(
            [COMMAND, "validate", "--standard", "person@1.1.0", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the run blocked reading the named pipe in the folder")
    assert done.returncode == 3, done.stderr
    assert f"{folder / 'b.json'} is a named pipe, not a regular file" in done.stdout
    assert "name it on the command line to read it" in done.stdout
    assert "2 files checked: 1 passed, 1 error" in done.stdout


def test_the_installed_command_and_module_work():
    done = subprocess.run([COMMAND, "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.startswith("conformance ")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "standards", "list"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert "person@1.1.0" in done.stdout


def test_nothing_to_check_is_incomplete_not_conformant(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("not a payload", encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "validate", "--standard", "person@1.1.0", str(tmp_path)
    )
    assert code == 3
    assert "no payload files were found" in out
    assert "verdict: incomplete" in out


def test_progress_is_shown_on_a_terminal_only(tmp_path):
    import pty

    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(300):
        (folder / f"p{index:03}.json").write_text(_person(), encoding="utf-8")
    leader, follower = pty.openpty()
    done = subprocess.run(
        [COMMAND, "validate", "--standard", "person@1.1.0", str(folder)],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        timeout=120,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert done.returncode == 0
    assert b"[1/300 " in seen  # a total, and a rate
    assert b".json" in seen  # the progress line names the file
    assert "\r" not in done.stdout  # nothing of it on the piped stdout


def test_checks_list_and_the_catalogue_document_agree(capsys):
    from conformance.probing.checks import all_checks

    code, out, _ = run_cli(capsys, "checks", "list", "--format", "json")
    assert code == 0
    listed = json.loads(out)
    assert {row["id"] for row in listed} == set(all_checks())
    assert all(row["level"] in ("MUST", "SHOULD") and row["text"] for row in listed)
    document = (Path(__file__).parent.parent / "docs" / "checks.md").read_text("utf-8")
    for check_id in all_checks():
        assert f"`{check_id}`" in document, f"docs/checks.md does not list {check_id}"


def _generated(capsys, *args: str) -> dict:
    code, out, err = run_cli(capsys, "standards", "generate", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_standards_generate_shows_valid_documents_the_same_for_a_seed(capsys, registry):
    standard = registry.resolve("person@1.2.0")
    first = _generated(capsys, "person@1.2.0", "--count", "4")
    documents = [d["document"] for d in first["documents"]]
    assert len(documents) == 4
    assert len({json.dumps(d, sort_keys=True) for d in documents}) == 4
    validator = json_validator(registry, standard)
    assert all(validator.is_valid(d) for d in documents)
    assert _generated(capsys, "person@1.2.0", "--count", "4") == first
    other = _generated(capsys, "person@1.2.0", "--count", "4", "--seed", "7")
    assert other["seed"] == 7
    assert [d["document"] for d in other["documents"]] != documents


def test_standards_generate_labels_each_invalid_document_with_its_rule(
    capsys, registry
):
    from conformance.validation.xml_validation import validate_xml, xml_validator

    schema = xml_validator(registry, registry.resolve("person@1.2.0"))
    made = _generated(
        capsys, "person@1.2.0", "--binding", "xml", "--kind", "invalid", "--count", "5"
    )["documents"]
    assert len(made) == 5
    for sample in made:
        findings = validate_xml(sample["document"].encode(), schema)
        assert (sample["rule"], sample["location"]) in [
            (f.rule, f.xpath) for f in findings
        ], sample["label"]
        assert sample["label"].startswith(sample["rule"])
        assert sample["location"] in sample["label"]


def test_standards_generate_boundary_cases_say_what_each_is(capsys, registry):
    validator = json_validator(registry, registry.resolve("person@1.2.0"))
    made = _generated(capsys, "person@1.2.0", "--kind", "boundary")["documents"]
    assert {d["valid"] for d in made} == {True, False}
    for sample in made:
        assert validator.is_valid(sample["document"]) is sample["valid"]
    labels = {d["label"] for d in made}
    assert "/givenName: a length of 101" in labels
    assert "/maritalStatus: the value 'widowed'" in labels
    code, out, _ = run_cli(
        capsys, "standards", "generate", "person@1.2.0", "--count", "2"
    )
    assert code == 0
    assert out.startswith("# 1. valid: generated\n{\n")
    assert out.endswith(
        "2 valid JSON documents of person@1.2.0 (seed 20261201), each confirmed"
        " by the validator\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["land-parcel@1.1.0", "--binding", "xml"], "has no XML binding (it has json)"),
        (
            ["person@1.2.0", "--binding", "xml", "--kind", "boundary"],
            "boundary cases are made from the JSON Schema",
        ),
        (
            ["exchange-rules@1.0.0", "--kind", "invalid"],
            "no invalid documents: the schema accepts any JSON value",
        ),
        (["person@1.2.0", "--count", "0"], "--count must be at least 1, not 0"),
    ],
)
def test_standards_generate_says_what_it_cannot_make(capsys, args, message):
    code, out, err = run_cli(capsys, "standards", "generate", *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("max_byts = 10", "unknown keys in [tool.conformance]: max_byts (did you mean"),
        ('max_bytes = "big"', "[tool.conformance] max_bytes = 'big' must be a whole"),
        ("lang = 3", "[tool.conformance] lang = 3 must be a string"),
        ("max_should_failures = true", "max_should_failures = True must be a whole"),
    ],
)
def test_a_wrong_project_setting_is_a_usage_error_naming_it(
    capsys, tmp_path, monkeypatch, table, message
):
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.conformance]\n{table}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "validate", str(PERSON_EXAMPLES / "valid"))
    assert code == 2
    assert str(tmp_path / "pyproject.toml") in err
    assert message in err
    assert "Traceback" not in err


def test_project_settings_choose_the_reports_folder_and_the_history(
    capsys, tmp_path, monkeypatch
):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.conformance]\nreports_dir = "out"\nhistory = "runs.sqlite"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    profile = tmp_path / "mia.toml"
    profile.write_text(
        '[agency]\nid = "mia"\nname = "MIA"\n[[payloads]]\nid = "person"\n'
        f'standard = "person@1.0.0"\npath = "{PERSON_EXAMPLES / "valid"}"\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "run", "--agency", str(profile))
    assert code == 0, out
    assert (tmp_path / "out" / "conformance-report.json").is_file()
    assert (tmp_path / "runs.sqlite").is_file()
    assert not (tmp_path / "out" / "history.sqlite").exists()


def test_checks_of_another_package_register_through_the_entry_point(tmp_path):
    """The documented extension point: @check of conformance.checks, named
    under the conformance.checks entry point group of an installed package."""
    site = tmp_path / "site"
    (site / "agency_checks-1.0.dist-info").mkdir(parents=True)
    (site / "agency_checks-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: agency-checks\nVersion: 1.0\n", encoding="utf-8"
    )
    (site / "agency_checks-1.0.dist-info" / "entry_points.txt").write_text(
        "[conformance.checks]\nagency = agency_checks\n", encoding="utf-8"
    )
    (site / "agency_checks.py").write_text(
        "from conformance.checks import CheckContext, check\n"
        "\n"
        "@check('agency-greeting', title='The service greets', requirement='ER-HTTP-1',\n"
        "       conformance_class='core')\n"
        "def greeting(ctx: CheckContext) -> list:\n"
        "    return [ctx.finding('the service did not greet')]\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run(
        [COMMAND, "checks", "list"], capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0, listed.stderr
    assert "agency-greeting" in listed.stdout
    profile = tmp_path / "mia.toml"
    profile.write_text(
        '[agency]\nid = "mia"\nname = "MIA"\n[[services]]\nid = "register"\n'
        'standard = "person@1.2.0"\nbase_url = "reference"\n',
        encoding="utf-8",
    )
    ran = subprocess.run(
        [
            COMMAND,
            "run",
            "--agency",
            str(profile),
            "--check",
            "agency-greeting",
            "--reports-dir",
            str(tmp_path / "reports"),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "the service did not greet" in ran.stdout


def _with_server(registry: Path, url: str) -> None:
    interface = registry / "person" / "1.2.0" / "openapi.yaml"
    text = interface.read_text(encoding="utf-8")
    interface.write_text(
        text.replace("  - url: /person/v1\n", f"  - url: '{url}'\n"), encoding="utf-8"
    )


def test_an_absolute_server_url_keeps_its_path_the_host_is_the_profiles(
    capsys, tmp_registry, tmp_path
):
    # Published OpenAPI documents name their host; the profile says where an
    # agency serves the API, so only the path of servers[0].url is used.
    _with_server(tmp_registry, "https://api.example.gov/person/v1")
    profile = tmp_path / "mia.toml"
    profile.write_text(
        '[agency]\nid = "mia"\nname = "MIA"\n[[services]]\nid = "register"\n'
        'standard = "person@1.2.0"\nbase_url = "reference"\n'
        '[services.test_data]\nexisting = { fin = ["83EB3H4"] }\n',
        encoding="utf-8",
    )
    common = ("--registry", str(tmp_registry), "run", "--agency", str(profile))
    code, out, _ = run_cli(
        capsys, *common, "--dry-run", "--reports-dir", str(tmp_path / "r")
    )
    assert code == 0, out
    assert "/person/v1/persons/83EB3H4" in out and "api.example.gov" not in out
    code, out, _ = run_cli(
        capsys, *common, "--check", "json-body", "--reports-dir", str(tmp_path / "r")
    )
    assert code == 0, out


def test_an_ambiguous_server_url_is_named_by_standards_check_and_the_run(
    capsys, tmp_registry, tmp_path
):
    _with_server(tmp_registry, "http://api.example.gov\\\\@evil.example/person/v1")
    code, out, _ = run_cli(
        capsys, "--registry", str(tmp_registry), "standards", "check", "person@1.2.0"
    )
    assert code == 1
    assert "servers[0].url" in out and "ambiguous" in out
    profile = tmp_path / "mia.toml"
    profile.write_text(
        '[agency]\nid = "mia"\nname = "MIA"\n[[services]]\nid = "register"\n'
        'standard = "person@1.2.0"\nbase_url = "reference"\n',
        encoding="utf-8",
    )
    code, out, err = run_cli(
        capsys,
        "--registry",
        str(tmp_registry),
        "run",
        "--agency",
        str(profile),
        "--dry-run",
        "--reports-dir",
        str(tmp_path / "r"),
    )
    assert code != 0
    assert "servers[0].url" in out + err
    assert "Traceback" not in out + err
