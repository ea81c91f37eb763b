"""A token given through the environment appears in no report, log or curl command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from profile_helpers import profile_text

from conformance.probing.http import ServiceClient
from conformance.probing.reference import ReferenceService

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
    # Binary files too (the SQLite history): the token must be in no byte of them.
    written = {
        p.name: p.read_bytes().decode("utf-8", "replace") for p in reports.iterdir()
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
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    assert SECRET not in exchange.body.decode()
    assert "***" in evidence


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
