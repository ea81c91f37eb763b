"""$ref cycles that never move into the instance are refused, naming the chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli.main import main
from conformance.errors import SchemaError
from conformance.validation.json_schemas import lint_schema
from conformance.validation.json_validation import (
    json_validator_for_file,
    registry_loader,
    validate_json,
)
from conformance.validation.ref_cycles import ref_cycles

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _write(path: Path, schema: dict) -> Path:
    path.write_text(json.dumps({"$schema": DRAFT, **schema}), encoding="utf-8")
    return path


def test_a_schema_that_is_only_a_ref_to_itself_is_a_usage_error(capsys, tmp_path: Path):
    schema = _write(tmp_path / "cyclic.json", {"$ref": "#"})
    payload = tmp_path / "x.json"
    payload.write_text('{"anything": true}', encoding="utf-8")
    code = main(["validate", "--schema", str(schema), str(payload)])
    _, err = capsys.readouterr()
    assert code == 2
    assert f"{schema}: circular reference: # → #:" in err


def test_a_chain_through_defs_and_applicators_is_named_by_its_pointers():
    schema = {
        "$schema": DRAFT,
        "properties": {"x": {"$ref": "#/$defs/a"}},
        "$defs": {
            "a": {"allOf": [{"type": "object"}, {"$ref": "#/$defs/b"}]},
            "b": {"not": {"not": {"$ref": "#/$defs/a"}}},
        },
    }
    (problem,) = lint_schema(schema)
    assert problem.startswith("circular reference: ")
    chain = problem.split(": ")[1].split(" → ")
    assert chain[0] == chain[-1]
    assert set(chain) == {
        "#/$defs/a",
        "#/$defs/a/allOf/1",
        "#/$defs/b",
        "#/$defs/b/not",
        "#/$defs/b/not/not",
    }


def test_a_cycle_through_another_file_is_refused_when_compiled(tmp_path: Path):
    first = _write(tmp_path / "a.schema.json", {"$ref": "b.schema.json#/$defs/b"})
    _write(
        tmp_path / "b.schema.json",
        {"$defs": {"b": {"anyOf": [{"type": "string"}, {"$ref": "a.schema.json"}]}}},
    )
    assert lint_schema(json.loads(first.read_text(encoding="utf-8"))) == []
    with pytest.raises(SchemaError) as refused:
        json_validator_for_file(first, None)
    message = str(refused.value)
    assert message.startswith(f"{first}: circular reference: ")
    assert "b.schema.json#/$defs/b → b.schema.json#/$defs/b/anyOf/1 → #" in message


def test_recursion_that_moves_into_the_instance_is_sound(tmp_path: Path):
    tree = _write(
        tmp_path / "tree.schema.json",
        {
            "type": "object",
            "properties": {
                "children": {"type": "array", "items": {"$ref": "#"}},
                "next": {"$ref": "#/$defs/node"},
            },
            "$defs": {
                "node": {
                    "$anchor": "node",
                    "anyOf": [{"type": "null"}, {"$ref": "#/$defs/linked"}],
                },
                "linked": {"properties": {"next": {"$ref": "#node"}}},
            },
            "required": ["children"],
        },
    )
    validator = json_validator_for_file(tree, None)
    deep = {"children": []}
    for _ in range(30):
        deep = {"children": [deep], "next": {"next": {"next": None}}}
    assert validate_json(json.dumps(deep), validator) == []
    (finding,) = validate_json('{"children": [{}]}', validator)
    assert (finding.rule, finding.pointer) == ("required", "/children/0")


def test_no_bundled_schema_has_a_cycle(registry):
    loader = registry_loader(registry)
    for path in sorted(registry.root.glob("*/*/*.schema.json")):
        schema = loader.retrieve(registry.uri_for(path))
        assert ref_cycles(schema, loader) == [], path


def test_standards_check_reports_a_cycle_across_registry_files(
    capsys, tmp_registry: Path
):
    # person 1.1.0's fin refers to 1.2.0's, which refers back to 1.1.0's.
    older = tmp_registry / "person" / "1.1.0" / "person.schema.json"
    schema = json.loads(older.read_text(encoding="utf-8"))
    schema["$defs"]["fin"] = {"$ref": "../1.2.0/person.schema.json#/$defs/fin"}
    older.write_text(json.dumps(schema), encoding="utf-8")
    code = main(["--registry", str(tmp_registry), "standards", "check"])
    out, _ = capsys.readouterr()
    assert code == 1
    reported = [line for line in out.splitlines() if "circular reference: " in line]
    assert any("person/1.1.0/person.schema.json: circular" in r for r in reported)
    # The chain names both files and the pointers.
    assert any(
        "person/1.2.0/person.schema.json#/$defs/fin → #/$defs/fin" in r
        or "#/$defs/fin → person/1.2.0/person.schema.json#/$defs/fin" in r
        for r in reported
    ), reported


def test_a_document_indexed_once_serves_every_schema_reaching_it(tmp_path: Path):
    """What a loader served is walked once per process: the schemas reaching
    it later see the same anchors, cycles and documents as the first."""
    from conformance.registry.schema_resources import ResourceLoader
    from conformance.validation.json_schemas import _reachable

    base = "https://example.test/"
    _write(
        tmp_path / "b.json",
        {
            "$id": f"{base}b.json",
            "$defs": {
                "ok": {"$anchor": "ok", "$ref": "c.json"},
                "loop": {"$anchor": "loop", "anyOf": [{"$ref": "#loop"}]},
            },
        },
    )
    _write(tmp_path / "c.json", {"$ref": "d.json"})
    _write(tmp_path / "d.json", {"type": "string"})
    wrappers = [{"$schema": DRAFT, "$ref": f"{base}b.json#{a}"} for a in ("ok", "loop")]

    def seen(loader: ResourceLoader) -> list[object]:
        return [
            (ref_cycles(w, loader), [uri for uri, _ in _reachable(w, loader)])
            for w in wrappers
        ]

    kept = ResourceLoader([(base, tmp_path)])
    first = seen(kept)
    # The anchor is found through the index the first schema made.
    ((cycle,), documents) = first[0]
    assert "b.json#/$defs/loop → b.json#/$defs/loop/anyOf/0 → " in cycle
    assert documents == [f"{base}b.json", f"{base}c.json", f"{base}d.json"]
    assert seen(kept) == first
    assert seen(ResourceLoader([(base, tmp_path)])) == first
