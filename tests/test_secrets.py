"""A token given through the environment appears in no report, log or curl command."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from profile_helpers import profile_text

from conformance.errors import UsageError
from conformance.model import Outcome
from conformance.probing.checks import select
from conformance.probing.http import Redactor, ServiceClient
from conformance.probing.plan import opened, plan, require_credentials, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.probing.reference import ReferenceService
from conformance.registry.manifest import Agency

COMMAND = str(Path(sys.executable).parent / "conformance")
SECRET = "tok-7b3f9c-SECRET-3141592653"


def _profile(tmp_path: Path, url: str) -> Path:
    profile = tmp_path / "agency.toml"
    text = profile_text(
        base_url=url,
        service_lines=(
            'token_env = "MIA_TOKEN"',
            "allow_writes = true",
            "latency_objective_ms = 2000",
            "latency_samples = 5",
        ),
    )
    profile.write_text(text, encoding="utf-8")
    return profile


def test_the_token_is_in_no_report_log_or_output(registry, tmp_path):
    # A fault that fills the reports with evidence: failures keep every request.
    service = ReferenceService(registry, faults=["leak-internals"], token=SECRET)
    with service:
        profile = _profile(tmp_path, service.url)
        reports = tmp_path / "reports"
        done = subprocess.run(
            [COMMAND, "run", "--agency", str(profile), "--reports-dir", str(reports)],
            capture_output=True,
            text=True,
            env={**os.environ, "MIA_TOKEN": SECRET},
            timeout=300,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    passed = [r for r in report["results"] if r["outcome"] == "passed"]
    assert any(r["evidence"]["check"] == "json-body" for r in passed)  # token worked
    curls = [
        e["curl"]
        for r in report["results"]
        for e in r.get("evidence", {}).get("exchanges", [])
    ]
    assert any("Authorization: Bearer ***" in c for c in curls)
    # Binary files too (the SQLite history), and the fuzzing regression cases
    # in their folder: the token must be in no byte of them.
    written = {
        str(p.relative_to(reports)): p.read_bytes().decode("utf-8", "replace")
        for p in reports.rglob("*")
        if p.is_file()
    }
    assert set(written) >= {
        "conformance-report.json",
        "junit.xml",
        "summary.md",
        "audit.log",
    }
    for name, text in [
        *written.items(),
        ("stdout", done.stdout),
        ("stderr", done.stderr),
    ]:
        assert SECRET not in text, f"the token leaked into {name}"


def test_a_reply_that_echoes_the_token_is_redacted(registry):
    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"you sent": self.headers.get("Authorization")}).encode()
            self.send_response(200)
            self.send_header("X-Debug-Auth", self.headers.get("Authorization", ""))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = ServiceClient(
            f"http://127.0.0.1:{server.server_address[1]}", token=SECRET
        )
        exchange = client.request("GET", f"/x?token={SECRET}")
    finally:
        server.shutdown()
        server.server_close()
    evidence = json.dumps(exchange.to_evidence())
    assert SECRET not in evidence
    assert SECRET not in exchange.curl()
    assert "***" in evidence
    # What the checks judge is the reply as it came.
    assert exchange.json() == {"you sent": f"Bearer {SECRET}"}
    assert exchange.header("X-Debug-Auth") == f"Bearer {SECRET}"


def _serve(handler) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            handler(self)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def person_reply() -> Iterator[str]:
    """A service whose reply holds "EB3" in a value and in its Location."""

    def reply(request: BaseHTTPRequestHandler) -> None:
        body = b'{"fin": "83EB3H4", "surname": "Aliyev"}'
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Location", "/persons/83EB3H4")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    yield from _serve(reply)


def test_redaction_leaves_what_the_checks_judge_as_it_came(person_reply):
    # A short token, as a test environment's may be: its letters are in a
    # value and in a header of an ordinary reply.
    client = ServiceClient(person_reply, token="EB3")
    exchange = client.request("GET", "/persons/83EB3H4")
    assert exchange.json() == {"fin": "83EB3H4", "surname": "Aliyev"}
    assert exchange.header("Location") == "/persons/83EB3H4"
    # What is shown or stored has it hidden.
    shown = json.dumps(exchange.to_evidence())
    assert "EB3" not in shown
    assert "EB3" not in exchange.curl()
    assert "83***H4" in shown


def test_a_short_token_does_not_fail_a_conforming_service(registry):
    # With a one-letter token, replacing it inside the replies before judging
    # them broke every JSON member name, XML element and Location header.
    token = "e"
    with ReferenceService(registry, token=token) as service:
        target = ServiceTarget(
            id="test:population-register",
            standard="person@1.2.0",
            base_url=service.url,
            agency=Agency("test", "Test agency"),
            token_env="REFERENCE_TOKEN",
            allow_writes=True,
            existing={"fin": ("83EB3H4",)},
            missing={"fin": ("ZZZZZZZ",)},
        )
        checks = select(
            ids=[
                "json-body",
                "xml-body",
                "same-data",
                "correlation-id",
                "create-retrievable",
            ]
        )
        with opened(registry, environ={"REFERENCE_TOKEN": token}) as services:
            results = [
                run_planned(services, item) for item in plan(registry, [target], checks)
            ]
    assert results
    failed = {
        r.id: (r.reason, [f.message for f in r.findings])
        for r in results
        if r.outcome is not Outcome.PASSED
    }
    assert failed == {}


def test_a_missing_token_variable_is_a_usage_error(tmp_path):
    profile = _profile(tmp_path, "http://127.0.0.1:9")
    env = {k: v for k, v in os.environ.items() if k != "MIA_TOKEN"}
    done = subprocess.run(
        [
            COMMAND,
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MIA_TOKEN (for mia:population-register)" in done.stderr
    assert "not set" in done.stderr


def _json_escaped(text: str, upper: bool = False) -> str:
    escaped = "".join(f"\\u{ord(c):04x}" for c in text)
    return escaped.upper().replace("\\U", "\\u") if upper else escaped


SLASHED = "tok/7b3f-SECRET/31415"


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(SLASHED, id="as-is"),
        pytest.param(_json_escaped(SLASHED), id="json-unicode-escapes"),
        pytest.param(_json_escaped(SLASHED, upper=True), id="json-upper-hex"),
        pytest.param(SLASHED.replace("/", "\\/"), id="json-escaped-slash"),
        pytest.param(
            "tok\\/7b3f\\u002dSECRET\\/31415", id="json-some-characters-escaped"
        ),
        pytest.param(quote(SLASHED, safe=""), id="percent-encoded"),
        pytest.param(
            re.sub("%..", lambda m: m[0].lower(), quote(SLASHED, safe="")),
            id="percent-lower-hex",
        ),
        pytest.param(base64.b64encode(SLASHED.encode()).decode(), id="base64"),
        pytest.param(
            base64.b64encode(SLASHED.encode()).decode().rstrip("="),
            id="base64-unpadded",
        ),
        pytest.param(
            base64.urlsafe_b64encode(SLASHED.encode()).decode(), id="base64-urlsafe"
        ),
    ],
)
def test_the_redactor_hides_encoded_forms_of_a_token(form):
    shown = Redactor([SLASHED]).text(f"before {form} after")
    assert form not in shown
    assert shown == "before *** after"


@pytest.mark.parametrize("user", ["", "api", "user", "client-17"])
def test_the_redactor_hides_a_token_in_basic_credentials(user):
    # Basic authentication carries base64 of user:password, so the token's
    # encoding depends on the length of the user name before it.
    credentials = base64.b64encode(f"{user}:{SLASHED}".encode()).decode()
    shown = Redactor([SLASHED]).text(f"Basic {credentials}")
    assert "***" in shown
    # What is left of the encoding does not hold the token any more.
    left = shown.removeprefix("Basic ").replace("***", "")
    assert len(left) <= len(credentials) - len(SLASHED)


def test_a_token_echoed_in_encoded_forms_is_in_no_part_of_a_result(registry):
    # The reply echoes the token JSON-escaped in a value that breaks its
    # pattern: the validator decodes it and the finding's message quotes it.
    escaped = _json_escaped(SLASHED)
    body = '{"fin": "' + escaped + '", "note": "' + SLASHED.replace("/", "\\/") + '"}'

    def reply(request: BaseHTTPRequestHandler) -> None:
        data = body.encode()
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("X-Request-Uri", f"/echo?token={quote(SLASHED, safe='')}")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    for url in _serve(reply):
        target = ServiceTarget(
            id="test:population-register",
            standard="person@1.2.0",
            base_url=url,
            agency=Agency("test", "Test agency"),
            token_env="REFERENCE_TOKEN",
            existing={"fin": ("83EB3H4",)},
            missing={"fin": ("ZZZZZZZ",)},
        )
        with opened(registry, environ={"REFERENCE_TOKEN": SLASHED}) as services:
            results = [
                run_planned(services, item)
                for item in plan(registry, [target], select(ids=["json-body"]))
            ]
    assert {r.outcome for r in results} == {Outcome.FAILED}
    shown = json.dumps(
        [
            {
                "findings": [dataclasses.asdict(f) for f in r.findings],
                "reason": r.reason,
                "evidence": r.evidence,
            }
            for r in results
        ],
        ensure_ascii=False,
    )
    for form in (SLASHED, escaped, quote(SLASHED, safe="")):
        assert form not in shown
    assert SLASHED.replace("/", "\\/") not in shown.replace("\\\\", "\\")
    assert "***" in shown


@pytest.mark.parametrize(
    ("value", "what"),
    [
        (SECRET + "\r", "line break"),
        (SECRET + "\n", "line break"),
        (SECRET + "\r\n", "line break"),
        (SECRET[:5] + "\t" + SECRET[5:], "control character"),
        (SECRET[:5] + "\x00" + SECRET[5:], "control character"),
    ],
)
def test_a_token_with_a_control_character_is_refused_at_start(value, what):
    target = ServiceTarget(
        id="mia:population-register",
        standard="person@1.2.0",
        base_url="https://api.mia.gov.az",
        agency=Agency("mia", "Ministry of Internal Affairs"),
        token_env="MIA_TOKEN",
    )
    with pytest.raises(UsageError) as raised:
        require_credentials([target], {"MIA_TOKEN": value})
    message = str(raised.value)
    assert "MIA_TOKEN (for mia:population-register)" in message
    assert what in message
    assert SECRET[5:] not in message and SECRET[:5] not in message


def test_the_token_read_for_a_service_is_checked_too(registry):
    target = ServiceTarget(
        id="mia:population-register",
        standard="person@1.2.0",
        base_url="http://127.0.0.1:9",
        agency=Agency("mia", "Ministry of Internal Affairs"),
        token_env="MIA_TOKEN",
    )
    with (
        opened(registry, environ={"MIA_TOKEN": SECRET + "\r\n"}) as services,
        pytest.raises(UsageError) as raised,
    ):
        services.context(target)
    assert "MIA_TOKEN" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_token_from_a_windows_file_stops_the_run_before_any_request(
    tmp_path, loopback_counter
):
    profile = _profile(tmp_path, f"http://127.0.0.1:{loopback_counter.port}")
    reports = tmp_path / "reports"
    done = subprocess.run(
        [COMMAND, "run", "--agency", str(profile), "--reports-dir", str(reports)],
        capture_output=True,
        text=True,
        env={**os.environ, "MIA_TOKEN": SECRET + "\r\n"},
        timeout=300,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "MIA_TOKEN" in done.stderr
    assert "line break" in done.stderr
    written = [p.read_bytes() for p in reports.rglob("*") if p.is_file()]
    for text in [done.stdout, done.stderr, *map(bytes.decode, written)]:
        assert SECRET not in text
    assert loopback_counter.connections == []


def test_the_client_refuses_a_token_it_could_not_send():
    with pytest.raises(ValueError, match="line break") as raised:
        ServiceClient("http://127.0.0.1:9", service="mia:x", token=SECRET + "\n")
    assert SECRET not in str(raised.value)
