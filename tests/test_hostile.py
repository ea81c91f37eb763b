"""Every hostile input gives a clear finding, with no network access and no file read.

Network: placeholders in the fixtures point at a loopback server that counts
connections; it must count none. Files: placeholders point at a FIFO; opening
a FIFO for reading blocks until a writer comes, so a validator that tried to
read it would hang, and the subprocess running it would time out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.validation.payloads import Validators, validate_file
from conftest import HOSTILE, hostile_copy

JSON_CASES = {
    "deep-nesting.json": "json-depth",
    "duplicate-keys.json": "json-duplicate-key",
    "nan.json": "json-number",
    "infinity.json": "json-number",
    "huge-integer.json": "json-number",
    "huge-exponent.json": "json-number",
    "unsafe-integer.json": "json-integer-precision",
    "invalid-utf8.json": "json-encoding",
    "overlong-utf8.json": "json-encoding",
    "utf16.json": "json-encoding",
    "binary.json": "unknown-format",
    "lone-surrogate.json": "json-lone-surrogate",
}
XML_CASES = {
    "billion-laughs.xml": "xml-dtd",
    "xxe-local-file.xml": "xml-dtd",
    "xxe-parameter-entity.xml": "xml-dtd",
    "external-dtd.xml": "xml-dtd",
    "remote-schema-location.xml": "xml-schema-location-ignored",
    "xinclude.xml": "cvc-type.3.1.2",
    "deep-nesting.xml": "xml-depth",
    "unknown-encoding.xml": "xml-encoding",
}


def test_every_hostile_payload_has_a_case():
    assert {p.name for p in (HOSTILE / "json").iterdir()} == set(JSON_CASES)
    assert {p.name for p in (HOSTILE / "xml").iterdir()} == set(XML_CASES)


@pytest.mark.parametrize(("name", "rule"), sorted({**JSON_CASES, **XML_CASES}.items()))
def test_hostile_payload_gives_a_clear_finding(
    name, rule, registry, tmp_path, loopback_counter
):
    folder = "json" if name.endswith(".json") else "xml"
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", encoding="utf-8")
    path = hostile_copy(
        f"{folder}/{name}", tmp_path, port=loopback_counter.port, secret=secret
    )
    standard = registry.resolve("person@1.1.0")
    result = validate_file(path, Validators(registry), standard=standard)
    assert result.error is None
    rules = [f.rule for f in result.findings]
    assert rule in rules, rules
    finding = next(f for f in result.findings if f.rule == rule)
    assert finding.message and finding.requirement
    assert "Traceback" not in finding.message
    assert "TOP-SECRET-MARKER" not in repr(result)
    assert loopback_counter.connections == []


@pytest.mark.parametrize(
    "name",
    [
        "remote-ref.schema.json",
        "file-ref.schema.json",
        "climbing-ref.schema.json",
        "remote-import.xsd",
        "file-include.xsd",
        "entity-in-schema.xsd",
    ],
)
def test_hostile_schemas_are_refused_with_a_clear_message(
    name, registry, tmp_path, loopback_counter
):
    from conformance.errors import SchemaError
    from conformance.validation.json_validation import json_validator_for_file
    from conformance.validation.xml_validation import xml_validator_for_file

    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER", encoding="utf-8")
    drafts = tmp_path / "drafts" / "a" / "b"
    drafts.mkdir(parents=True)
    path = hostile_copy(
        f"schemas/{name}", drafts, port=loopback_counter.port, secret=secret
    )
    compile_draft = (
        xml_validator_for_file if name.endswith(".xsd") else json_validator_for_file
    )
    with pytest.raises(SchemaError) as raised:
        compile_draft(path, registry)
    message = str(raised.value)
    assert str(path) in message
    assert "outside the registry" in message or "document type declaration" in message
    assert "TOP-SECRET-MARKER" not in message
    assert loopback_counter.connections == []


def test_a_pathological_pattern_does_not_hang(registry, tmp_path):
    from conformance.validation.json_validation import (
        json_validator_for_file,
        validate_json,
    )

    schema = HOSTILE / "schemas" / "pathological-pattern.schema.json"
    validator = json_validator_for_file(schema, registry)
    payload = json.dumps({"name": "a" * 100_000 + "!"}).encode()
    (finding,) = validate_json(payload, validator)
    assert finding.rule == "pattern"


def test_a_lookaround_pattern_is_refused(registry):
    from conformance.errors import SchemaError
    from conformance.validation.json_validation import json_validator_for_file

    with pytest.raises(SchemaError, match="lookaround is not supported"):
        json_validator_for_file(
            HOSTILE / "schemas" / "lookaround-pattern.schema.json", registry
        )


_READ_PROBE = """
import sys
from pathlib import Path
from conformance.registry.standards import Registry
from conformance.validation.payloads import Validators, validate_file
from conformance.errors import SchemaError
registry = Registry.open()
kind, path = sys.argv[1], Path(sys.argv[2])
if kind == "payload":
    result = validate_file(path, Validators(registry), standard=registry.resolve("person@1.1.0"))
    print(sorted({f.rule for f in result.findings}))
else:
    from conformance.validation.json_validation import json_validator_for_file
    from conformance.validation.xml_validation import xml_validator_for_file
    compile_draft = xml_validator_for_file if path.suffix == ".xsd" else json_validator_for_file
    try:
        compile_draft(path, registry)
    except SchemaError as exc:
        print("refused")
"""


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("payload", "xml/xxe-local-file.xml"),
        ("payload", "xml/xinclude.xml"),
        ("schema", "schemas/file-ref.schema.json"),
        ("schema", "schemas/file-include.xsd"),
        ("schema", "schemas/entity-in-schema.xsd"),
    ],
)
def test_no_local_file_is_opened(kind, name, tmp_path):
    fifo = tmp_path / "secret.fifo"
    os.mkfifo(fifo)
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    path = hostile_copy(name, drafts, secret=fifo)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _READ_PROBE, kind, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{name}: the validator blocked opening {fifo}: it tried to read it"
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), done.stderr


def test_the_fifo_probe_itself_would_catch_a_read(tmp_path):
    # Guard against a probe that cannot fail: reading the FIFO must block.
    fifo = tmp_path / "secret.fifo"
    os.mkfifo(fifo)
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            [sys.executable, "-c", f"open({str(fifo)!r}).read()"],
            timeout=2,
            capture_output=True,
        )


def test_deep_json_does_not_exhaust_the_stack(registry):
    path = HOSTILE / "json" / "deep-nesting.json"
    assert Path(path).stat().st_size > 100_000
    result = validate_file(
        path, Validators(registry), standard=registry.resolve("person@1.1.0")
    )
    assert [f.rule for f in result.findings] == ["json-depth"]


_JUDGE = """
import sys
from pathlib import Path
from conformance.registry.standards import Registry
from conformance.validation.payloads import Validators, validate_file
registry = Registry.open()
path, ref = Path(sys.argv[1]), sys.argv[2]
result = validate_file(path, Validators(registry), standard=registry.resolve(ref))
print(result.error, sorted({f.rule for f in result.findings}))
print(max(len(f.message) for f in result.findings))
"""


def _with_big_attribute(source: Path, target: Path, where: str) -> None:
    """``source`` with a 20 MB attribute on its root or on the root's first child."""
    text = source.read_text(encoding="utf-8")
    start = text.index("<", text.index("?>") + 2 if text.startswith("<?xml") else 0)
    if where == "child":
        start = text.index("<", text.index(">", start))
    end = text.index(">", start)
    value = "a" * (20 * 1024 * 1024)
    target.write_text(f'{text[:end]} note="{value}"{text[end:]}', encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "where", "verdict"),
    [
        # libxml2 reads no value past 10 MB (and nothing after it): a
        # finding that says so, not the schema errors of what it did read.
        ("person/1.2.0/examples/valid/full-record.xml", "root", "None ['xml-size']"),
        ("person/1.2.0/examples/valid/full-record.xml", "child", "None ['xml-size']"),
        # XSD 1.1: xmlschema streams it, and 'note' is not allowed
        (
            "legal-entity/2.0.0/examples/valid/azersu-joint-stock.xml",
            "root",
            "None ['cvc-",
        ),
    ],
)
def test_a_20_mb_attribute_value_is_judged_without_hanging(
    registry, tmp_path, example, where, verdict
):
    name, version = example.split("/")[:2]
    ref = f"{name}@{version}"
    path = tmp_path / "big-attribute.xml"
    _with_big_attribute(registry.root / example, path, where)
    assert path.stat().st_size > 20 * 1024 * 1024  # streamed, past 16 MB
    try:
        done = subprocess.run(
            [sys.executable, "-c", _JUDGE, str(path), ref],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{ref}: a 20 MB attribute on the {where} was not judged in 60 s")
    assert done.returncode == 0, done.stderr
    judged, longest = done.stdout.splitlines()
    assert judged.startswith(verdict), judged
    assert int(longest) < 2_000
