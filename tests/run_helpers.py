"""The main job run as a user runs it: its environment, and its processes.

A run started with :func:`run_environ` carries a mark in its environment,
which every process it starts inherits (the reference service's, forked
workers): :func:`marked` finds them through ``/proc``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "CONFORMANCE_RUN_TEST"


def run_environ(tmp_path: Path, mark: str) -> dict[str, str]:
    """This environment, for a first run: an empty user cache, this
    checkout's package, no CI, and the mark."""
    environ = dict(os.environ)
    environ.pop("HYPOTHESIS_STORAGE_DIRECTORY", None)
    environ.pop("CI", None)
    environ["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # a first run
    environ["PYTHONPATH"] = str(ROOT)  # this checkout's package
    environ[MARK] = mark  # finds this run's processes
    return environ


def marked(mark: str) -> dict[int, str]:
    """The live processes (other than this one) whose environment has the
    mark, each with its name (a forked worker names itself)."""
    found = {}
    needle = f"{MARK}={mark}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if status != "Z":  # a zombie has ended
                    found[int(entry.name)] = process_name(int(entry.name))
        except OSError:
            continue
    return found


def run_command(reports: Path, *more: str) -> list[str]:
    """``conformance run`` on the bundled agencies, seeded, with no history."""
    return [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--reports-dir",
        str(reports),
        "--fuzz-seed",
        "1",
        "--no-history",
        *more,
    ]


def process_name(pid: int) -> str:
    """A process's name: the one it gave itself, or its command's (``python``
    for the reference services' process when it runs a command of its own:
    its command line says ``conformance.probing.reference_process``)."""
    try:
        name = Path(f"/proc/{pid}/comm").read_text().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    if b"conformance.probing.reference_process" in command:
        return "conformance-ref"
    return name


def as_in_a_terminal() -> None:
    """In a child about to run a command: Ctrl-C acts as in a terminal.

    Started from a background job of a shell without job control (a CI
    step run with ``&``, say), the test process ignores SIGINT, and so would
    the command it starts: Python then never turns SIGINT into
    KeyboardInterrupt, and a test pressing Ctrl-C would see it ignored.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def running(
    command: list[str], cwd: Path, environ: dict[str, str]
) -> Iterator[subprocess.Popen[str]]:
    """The command started as a terminal would (Ctrl-C reaches it); killed
    on leaving if it still runs."""
    run = subprocess.Popen(
        command,
        cwd=cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_in_a_terminal,  # noqa: PLW1509
    )
    try:
        yield run
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def fresh_python(code: str, cwd: Path) -> str:
    """What ``code`` prints in a new interpreter: its imports are its own."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
