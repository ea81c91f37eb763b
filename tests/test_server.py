"""The central service over HTTP: concurrent intake on both back ends, and
the refusals that keep it honest.

A real ``conformance serve`` process on a loopback port; real reports made
by the report model; PostgreSQL is a private cluster (server_helpers).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from server_helpers import ROOT, issue, make_report, postgres_database, serving

from conformance.history import open_history

AGENCIES = [f"agency-{n}" for n in range(8)]
PER_PROCESS = 50
RETRIED = 5

# One pusher process: its agency's reports, then a few of them again.
PUSHER = """
import json, sys, pathlib, requests
url, token, folder = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
files = sorted(folder.glob("*.json"))
codes = []
session = requests.Session()
for path in files + files[:RETRIED]:
    reply = session.post(url + "/api/v1/runs", data=path.read_bytes(),
                         headers={"Authorization": "Bearer " + token}, timeout=60)
    codes.append(reply.status_code)
print(json.dumps(codes))
""".replace("RETRIED", str(RETRIED))


def _database(kind: str, tmp_path: Path) -> str:
    return (
        postgres_database()
        if kind == "postgresql"
        else str(tmp_path / "central.sqlite")
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_eight_processes_push_fifty_runs_each_and_each_is_stored_once(kind, tmp_path):
    database = _database(kind, tmp_path)
    tokens = {a: issue(database, a) for a in AGENCIES}
    expected: set[str] = set()
    for agency in AGENCIES:
        folder = tmp_path / agency
        folder.mkdir()
        for index in range(PER_PROCESS):
            body = make_report(agency, failing=index % 7 == 0)
            expected.add(json.loads(body)["run"]["id"])
            (folder / f"{index:03}.json").write_bytes(body)
    with serving(database) as url:
        pushers = [
            subprocess.Popen(
                [sys.executable, "-c", PUSHER, url, tokens[a], str(tmp_path / a)],
                stdout=subprocess.PIPE,
                text=True,
            )
            for a in AGENCIES
        ]
        outputs = [p.communicate(timeout=120)[0] for p in pushers]
        listed = requests.get(f"{url}/api/v1/agencies", params={"limit": 3}, timeout=10)
    for output in outputs:
        codes = json.loads(output)
        assert codes == [201] * PER_PROCESS + [200] * RETRIED
    store = open_history(database)
    try:
        runs = [row[0] for row in store.execute("SELECT id FROM runs").fetchall()]
        pushed = store.execute(
            "SELECT COUNT(*), COUNT(DISTINCT run_id) FROM pushes"
        ).fetchone()
        results = store.execute("SELECT COUNT(*) FROM results").fetchone()
        audited = store.execute(
            "SELECT outcome, COUNT(*) FROM push_audit GROUP BY outcome"
        ).fetchall()
    finally:
        store.close()
    assert sorted(runs) == sorted(expected)  # none lost, none duplicated
    assert tuple(pushed) == (400, 400)
    assert int(results[0]) == 400 * 3
    assert dict(audited) == {"stored": 400, "replayed": 8 * RETRIED}
    page = listed.json()
    assert len(page["items"]) == 3 and page["next"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """One SQLite-backed service with small limits, and two agencies' tokens."""
    folder = tmp_path_factory.mktemp("central")
    database = str(folder / "central.sqlite")
    tokens = {"mia": issue(database, "mia"), "tax": issue(database, "tax")}
    with serving(database, "--max-body", "200000", "--pushes-per-minute", "30") as url:
        yield url, tokens, database


def _push(url: str, token: str | None, body: bytes) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{url}/api/v1/runs", data=body, headers=headers, timeout=30)


def _problem(reply: requests.Response) -> dict[str, object]:
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.headers["Standard"] == "compliance-service@1.0.0"
    return reply.json()


def test_an_agencys_token_is_refused_for_another_agencys_results(service):
    url, tokens, _ = service
    reply = _push(url, tokens["mia"], make_report("tax"))
    assert reply.status_code == 403
    problem = _problem(reply)
    assert "'mia'" in problem["detail"] and "tax" in problem["detail"]
    assert problem["errors"] == [{"pointer": "/targets/0/agency", "detail": "not mia"}]


def test_a_tampered_report_is_refused_with_the_file_that_does_not_match(service):
    url, tokens, _ = service
    document = json.loads(make_report("mia"))
    used = next(s for s in document["standards"] if s["ref"] == "person@1.1.0")
    name = next(n for n in used["files"] if n.endswith("person.schema.json"))
    used["files"][name] = hashlib.sha256(b"an edited schema").hexdigest()
    reply = _push(url, tokens["mia"], json.dumps(document).encode())
    assert reply.status_code == 422
    problem = _problem(reply)
    assert problem["type"].endswith("/standard-mismatch")
    [error] = problem["errors"]
    assert error["pointer"].endswith("person.schema.json")
    assert "not the recorded hash of person@1.1.0" in error["detail"]


def test_an_unknown_standard_version_is_refused(service):
    url, tokens, _ = service
    document = json.loads(make_report("mia"))
    document["standards"][0]["ref"] = "person@9.9.9"
    reply = _push(url, tokens["mia"], json.dumps(document).encode())
    assert reply.status_code == 422
    assert "person@9.9.9 is not in the service's registry" in json.dumps(
        _problem(reply)
    )


def test_a_replayed_push_is_stored_once(service):
    url, tokens, database = service
    body = make_report("mia")
    first, again = _push(url, tokens["mia"], body), _push(url, tokens["mia"], body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["stored"] is False
    run_id = first.json()["runId"]
    store = open_history(database)
    try:
        rows = store.execute(
            "SELECT COUNT(*) FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        results = store.execute(
            "SELECT COUNT(*) FROM results WHERE run_id = ?", (run_id,)
        ).fetchone()
    finally:
        store.close()
    assert (int(rows[0]), int(results[0])) == (1, 3)
    # The same run id with another report is a conflict, not an overwrite.
    other = json.loads(make_report("mia", failing=True, run_id=run_id))
    assert _push(url, tokens["mia"], json.dumps(other).encode()).status_code == 409


def test_an_oversized_body_is_refused(service):
    url, tokens, _ = service
    reply = _push(url, tokens["mia"], b" " * 300_000 + make_report("mia"))
    assert reply.status_code == 413
    assert "200000 bytes" in _problem(reply)["detail"]


def test_no_write_without_a_valid_token(service):
    url, _, database = service
    assert _problem(_push(url, None, make_report("mia")))["status"] == 401
    assert _push(url, "cst_guessed", make_report("mia")).status_code == 401
    revoked = issue(database, "labour")
    subprocess.run(
        [sys.executable, "-m", "conformance", "serve", "--database", database, "tokens", "revoke", "labour"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    reply = _push(url, revoked, make_report("labour"))
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"] == "Bearer"


def test_tokens_are_kept_hashed(service):
    _, tokens, database = service
    store = open_history(database)
    try:
        kept = [
            row[0]
            for row in store.execute("SELECT digest FROM agency_tokens").fetchall()
        ]
    finally:
        store.close()
    assert hashlib.sha256(tokens["mia"].encode()).hexdigest() in kept
    assert not any(token in kept for token in tokens.values())


def test_pushes_beyond_the_rate_are_refused(tmp_path):
    database = str(tmp_path / "rate.sqlite")
    token = issue(database, "mia")
    with serving(database, "--pushes-per-minute", "2") as url:
        codes = [_push(url, token, make_report("mia")).status_code for _ in range(3)]
        last = _push(url, token, make_report("mia"))
    assert codes == [201, 201, 429]
    assert int(last.headers["Retry-After"]) >= 1


def test_report_push_sends_the_token_from_the_environment_and_shows_refusals(
    service, tmp_path
):
    url, tokens, _ = service
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_bytes(make_report("mia"))
    bad.write_bytes(make_report("tax"))
    env = {**os.environ, "CONFORMANCE_TOKEN": tokens["mia"]}
    command = [sys.executable, "-m", "conformance", "report", "push", url, "--report"]
    stored = subprocess.run(
        [*command, str(good)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert stored.returncode == 0, stored.stderr
    assert "stored at" in stored.stdout and "certificate:" in stored.stdout
    refused = subprocess.run(
        [*command, str(bad)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert (
        "HTTP 403" in refused.stderr and "/targets/0/agency: not mia" in refused.stderr
    )
    assert tokens["mia"] not in refused.stderr + refused.stdout
    missing = subprocess.run(
        [*command, str(good)], cwd=ROOT, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "CONFORMANCE_TOKEN"},
    )  # fmt: skip
    assert missing.returncode == 2 and "set $CONFORMANCE_TOKEN" in missing.stderr


def test_every_push_is_audited(service):
    url, tokens, database = service
    _push(url, tokens["tax"], make_report("mia"))
    store = open_history(database)
    try:
        rows = store.execute(
            "SELECT agency, status, outcome FROM push_audit WHERE agency = 'tax'"
        ).fetchall()
    finally:
        store.close()
    assert ("tax", 403, "other-agency") in [tuple(r) for r in rows]
