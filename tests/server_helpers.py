"""A private PostgreSQL cluster and a running central service, for the tests.

PostgreSQL comes from Debian's packages (``make test`` installs it). One
cluster per test session, in a temporary folder, listening on a free
loopback port with its Unix socket in that folder. PostgreSQL refuses to run
as root, so under root the cluster belongs to the ``postgres`` system user
(or ``nobody``) and its programs are started through ``runuser``. When it
cannot be started, the test fails and says why: nothing is skipped.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_CLUSTER: dict[str, str] = {}


def _bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    pytest.fail(
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb):"
        " `make test` installs Debian's postgresql; or apt-get install postgresql"
    )


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(argv: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def _start_cluster() -> str:
    bindir = _bindir()
    user: str | None = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                user = name
                break
        if user is None:
            pytest.fail(
                "running as root and no 'postgres' or 'nobody' user to run PostgreSQL as"
            )
    base = Path(tempfile.mkdtemp(prefix="conformance-pg-"))
    data = base / "data"
    if user:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    port = free_port()
    log = base / "server.log"

    def run(argv: list[str]) -> None:
        done = subprocess.run(
            _as_owner(argv, user), capture_output=True, text=True, cwd=base, timeout=120
        )
        if done.returncode != 0:
            detail = (done.stdout + done.stderr).strip()
            if log.exists():
                detail += "\n" + log.read_text(errors="replace")[-2000:]
            pytest.fail(
                f"PostgreSQL could not be started ({' '.join(argv[:1])}): {detail}"
            )

    run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "conformance",
         "-E", "UTF8", "--no-sync", "--no-instructions"])  # fmt: skip
    options = (
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=120"
    )
    run([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
         "-w", "-t", "60", "start"])  # fmt: skip

    def stop() -> None:
        subprocess.run(
            _as_owner(
                [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                user,
            ),
            capture_output=True,
            cwd=base,
        )
        shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql://conformance@127.0.0.1:{port}"


def postgres_database() -> str:
    """A new, empty database in the session's cluster; its URL."""
    if "url" not in _CLUSTER:
        _CLUSTER["url"] = _start_cluster()
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_CLUSTER["url"] + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{_CLUSTER['url']}/{name}"


ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serving(
    database: str, *extra: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``conformance serve`` in a subprocess on a free port; yields its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "conformance", "serve", "--database", database,
        "--host", "127.0.0.1", "--port", str(port), *extra,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(
        target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True
    )
    reader.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            if process.poll() is not None:
                reader.join(2)
                raise AssertionError(f"conformance serve stopped:\n{''.join(output)}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), 0.2),
            ):
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"conformance serve did not listen:\n{''.join(output)}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def issue(database: str, agency: str) -> str:
    """A token for an agency, issued by the real command; the token."""
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "serve", "--database", database, "tokens", "issue", agency],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = next(w for w in done.stdout.split() if w.startswith("cst_"))
    return token


def make_report(
    agency: str,
    *,
    failing: bool = False,
    run_id: str | None = None,
    standard: str = "person@1.1.0",
) -> bytes:
    """A real report document, made by the report model from a small run."""
    import datetime as dt
    import json

    from conformance.model import Finding, Outcome, Result
    from conformance.registry.standards import Registry
    from conformance.results.run import Run, Target, to_document

    registry = _registry()
    target = Target(id=f"{agency}:samples", kind="payloads", agency=agency,
                    agency_name=f"Agency {agency}", location="samples/", standard=standard)  # fmt: skip
    run = Run(registry=registry, command="conformance run", id=run_id or str(uuid.uuid4()),
              targets=[target])  # fmt: skip
    requirement = registry.requirement(standard, "PER-1")
    for index in range(3):
        outcome = Outcome.FAILED if failing and index == 0 else Outcome.PASSED
        run.add(Result(id=f"{agency}:samples:record-{index}.json", title=f"record {index} <b>",
                       outcome=outcome, target=target.id, standard=standard,
                       requirement=requirement, kind="payload",
                       findings=(Finding(message="the FIN <script>alert(1)</script> has 6 characters",
                                         rule="pattern", pointer="/fin"),) if outcome is Outcome.FAILED else ()))  # fmt: skip
    run.finish(complete=True)
    run.started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _ = Registry
    return json.dumps(to_document(run), ensure_ascii=False).encode("utf-8")


_REGISTRY: list[object] = []


def _registry():  # type: ignore[no-untyped-def]
    from conformance.registry.standards import Registry

    if not _REGISTRY:
        _REGISTRY.append(Registry.open())
    return _REGISTRY[0]
