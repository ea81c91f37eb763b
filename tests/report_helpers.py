"""Helpers shared by the report, history, waiver and dashboard tests.

Real components only: agency profiles written to a temporary folder, the
bundled reference service (``base_url = "reference"``), the real command
called in-process (or as a subprocess where a signal is sent), real
SQLite files.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from profile_helpers import profile_text
from run_helpers import as_in_a_terminal

from conformance.cli.main import main
from conformance.engine import Engine, Listener, RunOptions
from conformance.probing.profiles import PayloadTarget
from conformance.results.run import Run

COMMAND = str(Path(sys.executable).parent / "conformance")
ARTIFACTS = Path(__file__).resolve().parent.parent / "reports" / "test-artifacts"
# A few fast checks: enough to show a fault, without the slow fuzz checks.
QUICK_CHECKS = (
    "--check",
    "correlation-id",
    "--check",
    "content-type",
    "--check",
    "standard-declared",
    "--check",
    "standard-lifecycle",
)
PERSON = {
    "fin": "5ZK3T2A",
    "givenName": "Aytən",
    "familyName": "Əliyeva",
    "birthDate": "1995-08-09",
    "sex": "female",
}


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command in-process; returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def write_profile(
    folder: Path,
    *,
    agency: str = "mia",
    faults: tuple[str, ...] = (),
    service: bool = True,
    payloads: Path | tuple[Path, ...] | None = None,
    payload_standard: str = "person@1.1.0",
    base_url: str = "reference",
    name: str | None = None,
) -> Path:
    """An agency profile file with a quick person service and optionally payloads."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or agency}.toml"
    text = profile_text(
        agency=agency,
        base_url=base_url,
        service_lines=("timeout = 5", "rate_limit = 1000"),
        faults=faults,
        service=service,
        payloads=payloads,
        payload_standard=payload_standard,
    )
    path.write_text(text, encoding="utf-8")
    return path


def person_files(folder: Path, *, bad: int = 1, good: int = 1) -> Path:
    """A folder of person records: ``good`` valid ones, ``bad`` with a broken FIN."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(good):
        (folder / f"good-{index}.json").write_text(
            json.dumps(PERSON, ensure_ascii=False), encoding="utf-8"
        )
    for index in range(bad):
        broken = dict(PERSON, fin="5ZK3T2AB")
        (folder / f"bad-{index}.json").write_text(
            json.dumps(broken, ensure_ascii=False), encoding="utf-8"
        )
    return folder


def report_of(reports: Path) -> dict:
    """The JSON report a run wrote into ``reports``."""
    return json.loads((reports / "conformance-report.json").read_text("utf-8"))


HOSTILE_BODY = (
    "<script>window.__pwned = 1; alert('pwned')</script>"
    '<img src="x" onerror="window.__pwned = 2">'
    "</pre></article><script>window.__pwned = 3</script>"
)


# Control characters a reply may carry: ESC sequences (clear the screen,
# colour, a terminal title, a hyperlink), BEL, a bare CR, NUL, DEL, a C1
# CSI, and lines that would forge the command's own summary.
CONTROL_BODY = (
    "<error>\x1b[2J\x1b[31mred\x1b[0m\x07\x1b]0;owned\x07"
    "\rverdict: conformant\r\ngate passed\x00\x7f\x9b31m"
    "\nverdict: conformant\ngate passed (conformant)\n"
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\"
    "<script>alert(1)</script><img src=x onerror=alert(2)>`code` | cell"
    "\r## forged heading\r\n| forged | row |"
    "</error>"
)
CONTROL_HEADER = "\x1b[31mred\x07\x00\rverdict: conformant\x1b[2J\x08end"


class _Hostile(http.server.BaseHTTPRequestHandler):
    """A service whose every reply carries markup meant to run in a browser
    (or, with ``controls``, control characters meant for a terminal)."""

    body = HOSTILE_BODY
    header = "<script>window.__pwned = 4</script>"
    content_type = "text/html; charset=utf-8"

    def _answer(self) -> None:
        body = self.body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Evil", self.header)  # last: a CR in it ends the head
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Controls(_Hostile):
    body = CONTROL_BODY
    header = CONTROL_HEADER
    content_type = (
        "text/html; charset=utf-8\x1b[31m\x07\x00<img src=x onerror=alert(3)>`|"
    )


def run_against_hostile(
    capsys,
    tmp_path: Path,
    *checks: str,
    controls: bool = False,
    payloads: Path | None = None,
) -> tuple[int, str, str]:
    """``conformance run`` of these checks on a service whose every reply
    carries hostile markup (or control characters), and of ``payloads``;
    the reports go to ``tmp_path/reports``."""
    with hostile_service(controls=controls) as url:
        profile = write_profile(tmp_path / "profiles", base_url=url, payloads=payloads)
        chosen = [arg for check in checks for arg in ("--check", check)]
        return cli(
            capsys,
            "run",
            "--agency",
            profile,
            "--reports-dir",
            tmp_path / "reports",
            "--no-history",
            *chosen,
        )


@contextmanager
def hostile_service(*, controls: bool = False) -> Iterator[str]:
    """A loopback HTTP service answering every request with hostile markup;
    with ``controls``, with control characters in its headers and body."""
    handler = _Controls if controls else _Hostile
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def reader_reached(fifo: Path) -> int:
    """Wait (up to a minute) until a process opens ``fifo`` to read it, and
    return a descriptor open for writing: the process is now blocked there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader yet
            time.sleep(0.05)
    raise AssertionError(f"the run never reached {fifo.name}")


def interrupted_at(fifo: Path, args: list[str]) -> tuple[int, str, str]:
    """Run the command until it blocks reading ``fifo``, then press Ctrl-C.

    Returns (exit code, stdout, stderr). Reading the FIFO blocks until the
    test opens it for writing, so the run is stopped mid-way. A SIGINT that
    lands after CPython's last signal check and before its blocking read()
    is acted on only when that read returns (a race in CPython, not in the
    suite); a buffered read that gets some bytes also reads on until it has
    all it asked for or meets the end of the file. So after the signal one
    byte is written and the FIFO closed: the read returns, and the pending
    interruption is raised before the run does anything with the byte.
    """
    process = subprocess.Popen(
        [COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_in_a_terminal,  # noqa: PLW1509
    )
    writer = reader_reached(fifo)
    try:
        process.send_signal(signal.SIGINT)
        time.sleep(0.2)
        with contextlib.suppress(BrokenPipeError):  # stopped reading: usual
            os.write(writer, b" ")
    finally:
        os.close(writer)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def payload_run(
    *targets: PayloadTarget,
    complete: bool = True,
    interruption: str | None = None,
    listeners: tuple[Listener, ...] = (),
) -> Run:
    """A run of payload targets made by the engine (as `conformance validate`
    makes one), concluded as ``complete`` or not."""
    with Engine(RunOptions(command="test", payloads=targets)) as engine:
        session = engine.start(listeners)
        for unit in engine.plan().units:
            session.record(engine.execute(unit))
        session.conclude(complete=complete, interruption=interruption)
    return session.run


def scored_run(
    registry,  # type: ignore[no-untyped-def]
    agencies: dict[str, tuple[str, int, int]],
    *,
    started: str = "2026-01-05T10:00:00+00:00",
) -> Run:
    """A finished run with, per agency, (standard version, passed, failed) MUST results.

    Built from the report model itself, for pages whose numbers must be
    exact (a score of 13/14 = 93 %).
    """
    import datetime as dt

    from conformance.model import Outcome, Result
    from conformance.results.run import Target

    run = Run(registry=registry, command="conformance run")
    run.started = dt.datetime.fromisoformat(started)
    for agency, (standard, passed, failed) in agencies.items():
        target = Target(
            id=f"{agency}:samples",
            kind="payloads",
            agency=agency,
            agency_name=f"Agency {agency}",
            location="samples/",
            standard=standard,
        )
        run.targets.append(target)
        requirement = registry.requirement(standard, "PER-1")
        for index in range(passed + failed):
            outcome = Outcome.FAILED if index < failed else Outcome.PASSED
            run.add(
                Result(
                    id=f"{target.id}:record-{index}.json",
                    title=f"record {index}",
                    outcome=outcome,
                    target=target.id,
                    standard=standard,
                    requirement=requirement,
                    kind="payload",
                )
            )
    run.finish(complete=True)
    return run
