"""`conformance standards import`: a published OpenAPI 3.0 interface, brought in once.

A loopback HTTP server publishes an OpenAPI 3.0.3 document with a `$ref`
to a second document; it is imported into a registry, checked, and a small
loopback service implementing it is probed: the conformant service passes,
and one that sends a value the 3.0 schema refuses fails.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import (
    BaseHTTPRequestHandler,
    SimpleHTTPRequestHandler,
    ThreadingHTTPServer,
)
from pathlib import Path

import pytest

from conformance.cli.main import main

OPENAPI = """\
openapi: 3.0.3
info:
  title: Acme records
  version: 1.0.0
  x-standard: acme-records@1.0.0
servers:
  - url: /acme/v1
paths:
  /records/{id}:
    get:
      operationId: getRecord
      x-role: read
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
            pattern: "^r[0-9]+$"
          example: r1
      responses:
        "200":
          description: One record.
          content:
            application/json:
              schema:
                $ref: "schemas/record.yaml#/Record"
        "404":
          description: No such record.
"""

RECORD = """\
Record:
  type: object
  required: [id, name, score]
  properties:
    id:
      type: string
      example: r1
    name:
      type: string
    nickname:
      type: string
      nullable: true
    score:
      type: integer
      format: int32
      minimum: 0
      exclusiveMinimum: true
    x-origin:
      type: string
"""

MANIFEST = """\
id = "acme-records"
version = "1.0.0"
title = "Acme records"
status = "draft"
interface = "openapi.yaml"

[owner]
id = "acme"
name = "Acme agency"

[json]
schema = "record.schema.json"
requirement = "ACME-1"

[[requirements]]
id = "ACME-1"
level = "MUST"
text = "A record exchanged as JSON validates against record.schema.json."
"""


def record_schema(base_uri: str) -> str:
    return json.dumps(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{base_uri}acme-records/1.0.0/record.schema.json",
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}},
        }
    )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def publish(tmp_path: Path) -> Iterator[callable]:
    """Serve a folder of files on a loopback port; gives its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(files: dict[str, str | bytes]) -> str:
        folder = tmp_path / f"published{len(servers)}"
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            data = text.encode() if isinstance(text, str) else text
            path.write_bytes(data)
        handler = functools.partial(_Quiet, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


RECORDS = {"r1": {"id": "r1", "name": "First", "nickname": None, "score": 3}}


def _service(record: dict[str, object]) -> tuple[ThreadingHTTPServer, str]:
    """A loopback service implementing the imported interface with one record."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            match = re.fullmatch(r"/acme/v1/records/([^/?]+)", self.path.split("?")[0])
            if match and match.group(1) == record["id"]:
                body, status = json.dumps(record).encode(), 200
            else:
                body, status = b'{"title": "not found"}', 404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def acme(tmp_registry: Path) -> Path:
    """The version folder of acme-records@1.0.0, with the test's manifest."""
    folder = tmp_registry / "acme-records" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "standard.toml").write_text(MANIFEST, encoding="utf-8")
    base = "https://standards.e-gov.az/"
    (folder / "record.schema.json").write_text(record_schema(base), encoding="utf-8")
    return folder


def _probe(capsys, registry: Path, tmp_path: Path, record: dict[str, object]):
    server, url = _service(record)
    try:
        profile = tmp_path / "acme.toml"
        profile.write_text(
            "\n".join(
                [
                    "[agency]",
                    'id = "acme"',
                    'name = "Acme agency"',
                    "[[services]]",
                    'id = "records"',
                    'standard = "acme-records@1.0.0"',
                    f'base_url = "{url}"',
                    "[services.test_data]",
                    'existing = { id = ["r1"] }',
                    'missing = { id = ["r999"] }',
                ]
            )
            + "\n",
            encoding="utf-8",
        )
        reports = tmp_path / "reports"
        code, out, err = cli(
            capsys,
            "--registry",
            str(registry),
            "run",
            "--agency",
            str(profile),
            "--check",
            "json-body",
            "--reports-dir",
            str(reports),
            "--no-history",
        )
    finally:
        server.shutdown()
        server.server_close()
    report = reports / "conformance-report.json"
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    return code, out + err, [r for r in results if r.get("kind") == "service"]


def test_an_imported_30_interface_is_checked_and_probed(
    capsys, publish, acme, tmp_path
):
    base = publish({"api/openapi.yaml": OPENAPI, "api/schemas/record.yaml": RECORD})
    registry = acme.parent.parent

    code, out, err = cli(
        capsys, "standards", "import", base + "api/openapi.yaml", "--into", str(acme)
    )
    assert code == 0, err
    assert (acme / "openapi.yaml").read_text(encoding="utf-8") == OPENAPI
    assert (acme / "schemas" / "record.yaml").read_text(encoding="utf-8") == RECORD
    assert "added     openapi.yaml" in out
    assert "added     schemas/record.yaml" in out
    assert "kept standard.toml" in out  # the test's own manifest stays

    code, out, err = cli(
        capsys,
        "--registry",
        str(registry),
        "standards",
        "check",
        "acme-records@1.0.0",
        "--format",
        "json",
    )
    checks = {r["id"]: r for r in json.loads(out)}
    interface = checks["acme-records@1.0.0::interface"]
    assert interface["outcome"] == "passed", interface["findings"]

    code, out, results = _probe(capsys, registry, tmp_path, RECORDS["r1"])
    assert code == 0, out
    assert [r["outcome"] for r in results] == ["passed"]
    assert results[0]["evidence"]["check"] == "json-body"

    # null where nullable is false, and a score the boolean exclusiveMinimum
    # refuses: each reported, at its member.
    for fault, where in (({"name": None}, "/name"), ({"score": 0}, "/score")):
        code, out, results = _probe(capsys, registry, tmp_path, RECORDS["r1"] | fault)
        assert code == 1, out
        (result,) = results
        assert result["outcome"] == "failed"
        assert any(f.get("pointer") == where for f in result["findings"]), result


def test_a_30_document_is_checked_against_the_30_schema(capsys, acme):
    (acme / "openapi.yaml").write_text(
        OPENAPI.replace(
            "type: string\n            pattern", "type: text\n            pattern"
        ),
        encoding="utf-8",
    )
    (acme / "schemas").mkdir()
    (acme / "schemas" / "record.yaml").write_text(RECORD, encoding="utf-8")
    code, out, _ = cli(
        capsys,
        "--registry",
        str(acme.parent.parent),
        "standards",
        "check",
        "acme-records@1.0.0",
        "--format",
        "json",
    )
    assert code == 1
    interface = {r["id"]: r for r in json.loads(out)}["acme-records@1.0.0::interface"]
    assert interface["outcome"] == "failed"
    messages = " ".join(f["message"] for f in interface["findings"])
    assert "openapi.yaml: at paths/" in messages


def test_importing_again_changes_only_what_changed(capsys, publish, tmp_path):
    base = publish({"openapi.yaml": OPENAPI, "schemas/record.yaml": RECORD})
    into = tmp_path / "reg" / "acme-records" / "1.0.0"
    code, out, _ = cli(
        capsys, "standards", "import", base + "openapi.yaml", "--into", str(into)
    )
    assert code == 0
    assert "wrote standard.toml" in out
    skeleton = (into / "standard.toml").read_text(encoding="utf-8")
    assert 'id = "acme-records"' in skeleton
    assert 'interface = "openapi.yaml"' in skeleton
    assert "FILL IN" in out + skeleton
    code, out, _ = cli(
        capsys, "standards", "import", base + "openapi.yaml", "--into", str(into)
    )
    assert code == 0
    assert "unchanged openapi.yaml" in out
    assert "0 changed; kept standard.toml" in out
    assert (into / "standard.toml").read_text(encoding="utf-8") == skeleton


def test_an_absolute_ref_is_rewritten_to_the_copy(capsys, publish, tmp_path):
    # The second server publishes the records' schema; the first refers to it.
    other = publish({"shared/record.yaml": RECORD})
    port = other.rsplit(":", 1)[1].rstrip("/")
    text = OPENAPI.replace(
        '"schemas/record.yaml#/Record"', f'"{other}shared/record.yaml#/Record"'
    )
    base = publish({"openapi.yaml": text})
    into = tmp_path / "reg" / "acme-records" / "1.0.0"
    code, _, err = cli(
        capsys,
        "standards",
        "import",
        base + "openapi.yaml",
        "--into",
        str(into),
        "--allow-host",
        f"127.0.0.1:{port}",
    )
    assert code == 0, err
    copy = into / "_external" / f"127.0.0.1_{port}" / "shared" / "record.yaml"
    assert copy.read_text(encoding="utf-8") == RECORD
    written = (into / "openapi.yaml").read_text(encoding="utf-8")
    assert f"_external/127.0.0.1_{port}/shared/record.yaml#/Record" in written
    assert "http://" not in written


def _refused(capsys, source: str, into: Path, *extra: str) -> str:
    code, out, err = cli(
        capsys, "standards", "import", source, "--into", str(into), *extra
    )
    assert code == 2, out + err
    assert "Traceback" not in out + err
    assert not into.exists() or not any(into.iterdir())  # nothing written
    return err


def test_a_ref_to_a_host_not_allowed_is_refused(capsys, publish, tmp_path):
    text = OPENAPI.replace(
        '"schemas/record.yaml#/Record"',
        '"https://schemas.example.org/record.yaml#/Record"',
    )
    base = publish({"openapi.yaml": text})
    err = _refused(capsys, base + "openapi.yaml", tmp_path / "out")
    assert (
        "openapi.yaml#/paths/~1records~1{id}/get/responses/200/content/"
        "application~1json/schema/$ref" in err
    )
    assert "schemas.example.org is not an allowed host" in err
    assert "--allow-host schemas.example.org" in err


def test_a_missing_document_is_refused(capsys, publish, tmp_path):
    base = publish({"openapi.yaml": OPENAPI})
    err = _refused(capsys, base + "openapi.yaml", tmp_path / "out")
    assert "application~1json/schema/$ref: $ref to http://127.0.0.1:" in err
    assert "schemas/record.yaml: the server answered 404" in err


def test_a_loop_of_refs_between_documents_is_refused(capsys, publish, tmp_path):
    loop = "Record:\n  $ref: 'other.yaml#/Again'\n"
    back = "Again:\n  $ref: 'record.yaml#/Record'\n"
    base = publish(
        {
            "openapi.yaml": OPENAPI,
            "schemas/record.yaml": loop,
            "schemas/other.yaml": back,
        }
    )
    err = _refused(capsys, base + "openapi.yaml", tmp_path / "out")
    assert "go round in a loop" in err
    assert "schemas/record.yaml#/Record -> schemas/other.yaml#/Again" in err


def test_refs_between_documents_through_schemas_are_imported(capsys, publish, tmp_path):
    # A recursive structure across documents is no loop: it holds schemas.
    tree = (
        "Record:\n  type: object\n  properties:\n    children:\n      type: array\n"
        "      items:\n        $ref: 'other.yaml#/Child'\n"
    )
    child = "Child:\n  type: object\n  properties:\n    parent:\n      $ref: 'record.yaml#/Record'\n"
    base = publish(
        {
            "openapi.yaml": OPENAPI,
            "schemas/record.yaml": tree,
            "schemas/other.yaml": child,
        }
    )
    into = tmp_path / "reg" / "acme-records" / "1.0.0"
    code, _, err = cli(
        capsys, "standards", "import", base + "openapi.yaml", "--into", str(into)
    )
    assert code == 0, err
    assert (into / "schemas" / "other.yaml").is_file()


def test_an_oversize_document_is_refused(capsys, publish, tmp_path):
    big = RECORD + "# " + "x" * 5000 + "\n"
    base = publish({"openapi.yaml": OPENAPI, "schemas/record.yaml": big})
    err = _refused(
        capsys, base + "openapi.yaml", tmp_path / "out", "--max-document-bytes", "4000"
    )
    assert "schemas/record.yaml: the document is larger than 4,000 bytes" in err
    assert "--max-document-bytes" in err


def test_a_ref_leaving_the_source_folder_is_refused(capsys, tmp_path):
    source = tmp_path / "api" / "openapi.yaml"
    source.parent.mkdir()
    source.write_text(OPENAPI.replace("schemas/record.yaml", "../secret.yaml"))
    (tmp_path / "secret.yaml").write_text(RECORD)
    err = _refused(capsys, str(source), tmp_path / "out")
    assert "leads outside the folder" in err


def test_plain_http_off_loopback_is_refused(capsys, tmp_path):
    err = _refused(capsys, "http://example.org/openapi.yaml", tmp_path / "out")
    assert "plain HTTP" in err


def test_a_ref_to_a_part_that_does_not_exist_is_refused(capsys, publish, tmp_path):
    base = publish(
        {
            "openapi.yaml": OPENAPI,
            "schemas/record.yaml": RECORD.replace("Record:", "Entry:"),
        }
    )
    err = _refused(capsys, base + "openapi.yaml", tmp_path / "out")
    assert "$ref 'schemas/record.yaml#/Record' points at #/Record of" in err
    assert "schemas/record.yaml, which does not exist" in err


def test_the_import_says_what_it_wrote_and_what_is_left(capsys, publish, tmp_path):
    base = publish({"openapi.yaml": OPENAPI, "schemas/record.yaml": RECORD})
    into = tmp_path / "reg" / "acme-records" / "1.0.0"
    code, out, _ = cli(
        capsys, "standards", "import", base + "openapi.yaml", "--into", str(into)
    )
    assert code == 0
    assert out.startswith(f"imported OpenAPI 3.0 openapi.yaml into {into}\n")
    assert "2 documents, 2 changed; wrote standard.toml" in out
    assert (
        "fill in the owner, the binding ([json] or [xml]) and the requirements" in out
    )
    assert f"conformance --registry {tmp_path / 'reg'} standards check" in out
