"""A user's registry folder sits beside the bundled one (``--registry``).

A user's standard refers to ``problem-details`` and cites ``exchange-rules``
without copying them; its schemas may keep the ``$id`` their authors gave
them (a URN, another host), and ``$ref``s by those ids resolve inside the
registry, never fetched.
"""

from __future__ import annotations

import json
import shutil
import ssl
from pathlib import Path

import pytest

from conformance.errors import RegistryError, SchemaError
from conformance.model import Outcome
from conformance.probing.plan import opened, plan, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.probing.reference import ReferenceService
from conformance.registry.integrity import write_lock
from conformance.registry.locations import bundled
from conformance.registry.manifest import Agency
from conformance.registry.standards import Registry
from conformance.selfcheck.registry_checks import registry_checks
from conformance.validation.json_validation import json_validator, validate_json


def _renamed(text: str) -> str:
    return (
        text.replace("/address/1.", "/postal-address/1.")
        .replace("address@1.", "postal-address@1.")
        .replace('id = "address"', 'id = "postal-address"')
    )


def user_registry(tmp_path: Path) -> Path:
    """A user's folder with one standard, ``postal-address`` (address renamed).

    Its interface answers errors with ``problem-details@1.0.0`` by a
    ``$ref`` to that standard's file, which only the bundled folder has.
    """
    root = tmp_path / "mine"
    # The released versions; the draft 1.2.0 (business rules) is not needed.
    shutil.copytree(
        bundled("standards") / "address",
        root / "postal-address",
        ignore=shutil.ignore_patterns("1.2.0"),
    )
    for path in (root / "postal-address").rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".json", ".yaml", ".xsd"):
            path.write_text(_renamed(path.read_text("utf-8")), encoding="utf-8")
    return root


def test_a_user_registry_adds_to_the_bundled_one(tmp_path):
    registry = Registry.open(user_registry(tmp_path))
    assert "postal-address" in registry.ids()
    assert {"problem-details", "exchange-rules", "person"} <= set(registry.ids())
    assert registry.root == (tmp_path / "mine").resolve()
    assert registry.roots[-1] == bundled("standards").resolve()
    assert [s.ref for s in registry.own()] == [
        "postal-address@1.0.0",
        "postal-address@1.1.0",
    ]
    assert registry.notes == ()
    assert registry.requirement("exchange-rules@1.1.0", "ER-HTTP-1") is not None


def test_a_user_standard_of_a_bundled_id_replaces_it_with_a_note(tmp_path):
    root = tmp_path / "mine"
    shutil.copytree(
        bundled("standards") / "person" / "1.0.0", root / "person" / "1.0.0"
    )
    registry = Registry.open(root)
    assert [s.ref for s in registry.versions("person")] == ["person@1.0.0"]
    assert (
        registry.resolve("person@1.0.0").folder == root.resolve() / "person" / "1.0.0"
    )
    (note,) = registry.notes
    assert note.startswith("person: the standard in")
    assert "the bundled person is not" in note


def test_a_user_standard_validates_through_a_bundled_schema(tmp_path):
    registry = Registry.open(user_registry(tmp_path))
    standard = registry.resolve("postal-address@1.1.0")
    validator = json_validator(registry, standard)
    good = (standard.folder / "examples" / "valid").glob("*.json")
    for path in good:
        assert validate_json(path.read_bytes(), validator) == []
    problem = registry.resolve("problem-details@1.0.0")
    assert problem.folder.is_relative_to(bundled("standards").resolve())


def test_check_and_lock_see_the_user_folder_only(tmp_path):
    root = user_registry(tmp_path)
    registry = Registry.open(root)
    checks = registry_checks(registry)
    assert {c.standard for c in checks} == {
        "postal-address@1.0.0",
        "postal-address@1.1.0",
    }
    results = [c.run() for c in checks]
    failed = [
        (r.id, [f.message for f in r.findings])
        for r in results
        if r.outcome not in (Outcome.PASSED, Outcome.WARNING)
    ]
    assert failed == []
    # Not locked yet: a note that says to lock, not a failure.
    notes = [r for r in results if r.outcome is Outcome.WARNING]
    assert {r.id for r in notes} == {
        "postal-address@1.0.0::integrity",
        "postal-address@1.1.0::integrity",
    }
    assert "conformance standards lock postal-address@1.1.0" in "".join(
        f.message for r in notes for f in r.findings
    )
    bundled_lock = bundled("standards") / "integrity.json"
    before = bundled_lock.read_bytes()
    assert write_lock(registry) == ["postal-address@1.0.0", "postal-address@1.1.0"]
    assert bundled_lock.read_bytes() == before
    recorded = json.loads((root / "integrity.json").read_text("utf-8"))["versions"]
    assert sorted(recorded) == ["postal-address@1.0.0", "postal-address@1.1.0"]
    with pytest.raises(RegistryError, match="only the versions of that folder"):
        write_lock(registry, ["person@1.0.0"])
    relocked = Registry.open(root)
    assert all(c.run().outcome is Outcome.PASSED for c in registry_checks(relocked))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    trustme = pytest.importorskip("trustme")
    folder = tmp_path_factory.mktemp("certs")
    ca = trustme.CA()
    bundle = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return {"ca": ca, "bundle": bundle}


def test_a_service_of_a_user_standard_runs_complete(tmp_path, certificates):
    """Every check of the catalogue runs; none errors for want of problem-details."""
    root = user_registry(tmp_path)
    registry = Registry.open(root)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(
        bundled("fixtures") / "reference-data" / "address.json",
        data / "postal-address.json",
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificates["ca"].issue_cert("127.0.0.1").configure_cert(context)
    service = ReferenceService(registry, data=data, ssl_context=context)
    with service:
        (collection,) = service.collections
        assert collection.standard.ref == "postal-address@1.1.0"
        target = ServiceTarget(
            id="test:postal-address",
            standard=collection.standard.ref,
            base_url=service.url,
            agency=Agency("test", "Test agency"),
            token_env="REFERENCE_TOKEN",
            timeout=5,
            latency_objective_ms=1000,
            latency_samples=5,
            allow_writes=True,
            ca_bundle=certificates["bundle"],
            existing={collection.key: (next(iter(collection.records)),)},
            missing={collection.key: ("999999999999",)},
        )
        with opened(registry, environ={"REFERENCE_TOKEN": service.token}) as services:
            results = [run_planned(services, item) for item in plan(registry, [target])]
    assert results
    errors = [
        (r.id, r.reason, [f.message for f in r.findings])
        for r in results
        if r.outcome is Outcome.ERROR
    ]
    assert errors == []
    failed = [r.id for r in results if r.outcome is Outcome.FAILED]
    assert failed == []


DRAFT = "https://json-schema.org/draft/2020-12/schema"
_EXTERNAL_MANIFEST = """\
id = "ext-record"
version = "1.0.0"
title = "A record of another body's standard"
status = "active"

[json]
schema = "record.schema.json"
requirement = "REC-1"

[[requirements]]
id = "REC-1"
level = "MUST"
text = "A record follows record.schema.json."
"""


def external_registry(tmp_path: Path, record: dict[str, object] | None = None) -> Path:
    """A standard described from another body's docs: its schemas keep their
    own ``$id`` (a URN, an address on their host), and its manifest names no
    owner, Azerbaijani title or release date."""
    folder = tmp_path / "theirs" / "ext-record" / "1.0.0"
    (folder / "defs").mkdir(parents=True)
    (folder / "standard.toml").write_text(_EXTERNAL_MANIFEST, encoding="utf-8")
    documents: dict[str, dict[str, object]] = {
        "record.schema.json": record
        or {
            "$schema": DRAFT,
            "$id": "urn:example:record",
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"$ref": "urn:example:common#/$defs/code"},
                "link": {"$ref": "https://other.example/schemas/link.schema.json"},
            },
        },
        "common.schema.json": {
            "$schema": DRAFT,
            "$id": "urn:example:common",
            "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        },
        # A relative $ref resolves against the schema's own $id.
        "link.schema.json": {
            "$schema": DRAFT,
            "$id": "https://other.example/schemas/link.schema.json",
            "type": "object",
            "properties": {"href": {"$ref": "defs/href.schema.json"}},
        },
        "defs/href.schema.json": {
            "$schema": DRAFT,
            "$id": "https://other.example/schemas/defs/href.schema.json",
            "type": "string",
            "minLength": 5,
        },
    }
    for name, document in documents.items():
        (folder / name).write_text(json.dumps(document), encoding="utf-8")
    return tmp_path / "theirs"


def test_a_schema_keeps_its_own_id_and_refs_by_it_resolve(tmp_path):
    registry = Registry.open(external_registry(tmp_path))
    standard = registry.resolve("ext-record@1.0.0")
    assert standard.owner is None and standard.released is None
    validator = json_validator(registry, standard)
    good = b'{"code": "ABC", "link": {"href": "https://example.org/"}}'
    assert validate_json(good, validator) == []
    (code,) = validate_json(b'{"code": "ab"}', validator)
    assert (code.rule, code.pointer) == ("pattern", "/code")
    assert code.schema_location == "urn:example:common#/$defs/code/pattern"
    assert code.standard == "ext-record@1.0.0"
    assert code.requirement == "REC-1"
    (href,) = validate_json(b'{"code": "ABC", "link": {"href": "x"}}', validator)
    assert (href.rule, href.pointer) == ("minLength", "/link/href")
    assert href.schema_location == (
        "https://other.example/schemas/defs/href.schema.json#/minLength"
    )


def test_the_registry_check_takes_a_schema_of_its_own_id(tmp_path):
    registry = Registry.open(external_registry(tmp_path))
    (check,) = [c for c in registry_checks(registry) if c.id.endswith("json-schema")]
    result = check.run()
    assert result.outcome is Outcome.PASSED, [f.message for f in result.findings]


def test_a_ref_to_an_id_no_registry_file_declares_stays_an_error(tmp_path):
    record = {
        "$schema": DRAFT,
        "$id": "urn:example:record",
        "properties": {"code": {"$ref": "urn:example:nowhere#/$defs/code"}},
    }
    registry = Registry.open(external_registry(tmp_path, record))
    with pytest.raises(
        SchemaError, match="'urn:example:nowhere' is outside the registry"
    ):
        json_validator(registry, registry.resolve("ext-record@1.0.0"))


def test_two_files_declaring_one_id_are_a_registry_problem(tmp_path):
    root = external_registry(tmp_path)
    folder = root / "ext-record" / "1.0.0"
    twin = json.loads((folder / "common.schema.json").read_text("utf-8"))
    (folder / "twin.schema.json").write_text(json.dumps(twin), encoding="utf-8")
    registry = Registry.open(root)
    (check,) = [c for c in registry_checks(registry) if c.id.endswith("json-schema")]
    messages = [f.message for f in check.run().findings]
    assert any("'urn:example:common' is declared by" in m for m in messages), messages


def test_lists_and_reports_cope_without_owner_title_az_and_release(tmp_path, capsys):
    from conformance.cli.main import main

    root = external_registry(tmp_path)
    assert main(["--registry", str(root), "standards", "list"]) == 0
    out = capsys.readouterr().out
    assert "ext-record@1.0.0" in out
    assert "person@1.2.0" in out and "*" in out
    assert main(["--registry", str(root), "standards", "show", "ext-record@1.0.0"]) == 0
    assert "primary source: not stated" in capsys.readouterr().out
    assert main(["--registry", str(root), "standards", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    (row,) = [r for r in rows if r["ref"] == "ext-record@1.0.0"]
    assert (row["owner"], row["released"]) == (None, None)


def _interface_result(root: Path, ref: str):
    registry = Registry.open(root)
    (check,) = [c for c in registry_checks(registry) if c.id == f"{ref}::interface"]
    return check.run()


def test_a_read_key_no_example_has_is_a_warning_naming_the_parameter(tmp_path):
    root = user_registry(tmp_path)
    ref = "postal-address@1.1.0"
    assert _interface_result(root, ref).outcome is Outcome.PASSED
    interface = root / "postal-address" / "1.1.0" / "openapi.yaml"
    text = interface.read_text("utf-8")
    interface.write_text(
        text.replace("/addresses/{registerCode}:", "/addresses/{code}:").replace(
            "        - name: registerCode\n", "        - name: code\n"
        ),
        encoding="utf-8",
    )
    result = _interface_result(root, ref)
    assert result.outcome is Outcome.WARNING
    (finding,) = result.findings
    assert "the path parameter 'code' names the member '/code'" in finding.message
    assert "Add `x-key-pointer:" in finding.message
    # Naming the key member settles it.
    interface.write_text(
        interface.read_text("utf-8").replace(
            "        - name: code\n",
            "        - name: code\n          x-key-pointer: /registerCode\n",
        ),
        encoding="utf-8",
    )
    assert _interface_result(root, ref).outcome is Outcome.PASSED
