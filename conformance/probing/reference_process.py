"""The reference service in a process of its own, for a run.

In one process, the service's work (routing, validating bodies, writing
replies) and the run's (generating requests, judging replies) share one
interpreter lock, so a run on the bundled service uses one core. A run
therefore starts one child process that serves every reference service the
run needs, each with its own faults, token, data and port, as the
in-process :class:`~conformance.probing.reference.ReferenceService` does (it
is the same class, run there).

On Linux, a run with no other thread forks that child: it starts at once,
with the run's registry and what the run has built from it (the XML models
a run builds before it forks its workers), instead of importing the suite
and building them again. The parent asks for a service over a pipe and
reads the base URL back; the run stops the child when it closes, and the
kernel kills it if the run dies without doing so (SIGKILL). Elsewhere the
child is a command of its own (``python -m
conformance.probing.reference_process``): the parent asks by a JSON line on
its standard input (the token travels there, never on a command line) and
reads the base URL from its standard output; the child stops when its
standard input ends, which the system also does when the run dies in any
way. Ctrl-C reaches the whole process group; the child ignores it and
leaves the stopping to the run, so that an interrupted run still finishes
its reports and leaves no process behind.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

import conformance
from conformance.errors import ConformanceError
from conformance.processes import can_fork, serve_the_run, start_forked
from conformance.registry.locations import bundled

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from conformance.probing.reference import ReferenceService
    from conformance.registry.standards import Registry

_STOP_SECONDS = 5.0  # how long a closed child may take before it is killed
_START_SECONDS = 60.0  # a loaded machine may take long to import the suite


class ReferenceProcessError(ConformanceError):
    """The reference service's process could not be started or asked."""


class ReferenceHost:
    """One child process serving the run's reference services.

    Start it early (:meth:`launch`: the child imports and reads the
    reference data while the run does other work); :meth:`open` asks it for
    one service and returns the base URL; :meth:`close` ends it.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._process: subprocess.Popen[bytes] | None = None
        self._forked: tuple[BaseProcess, Connection] | None = None
        self._errors: IO[bytes] | None = None
        self._lock = threading.Lock()

    def launch(self) -> None:
        """Start the child, if not yet started; returns at once."""
        with self._lock:
            if self._process is not None or self._forked is not None:
                return
            if can_fork():
                self._fork()
                return
            roots = self.registry.roots
            ours = bundled("standards").resolve()
            # A registry opened alone (without the bundled one) is opened so
            # in the child too: the same standards, the same interfaces.
            alone = len(roots) == 1 and roots[0].resolve() != ours
            package_root = str(Path(conformance.__file__).resolve().parent.parent)
            environ = dict(os.environ)
            # The child imports this very package, wherever it was imported
            # from (a checkout ahead of an installed copy, say).
            environ["PYTHONPATH"] = os.pathsep.join(
                p for p in (package_root, environ.get("PYTHONPATH")) if p
            )
            # Kept open for the child's life; closed in close().
            self._errors = tempfile.TemporaryFile()  # noqa: SIM115
            command = [sys.executable, "-m", __name__, str(roots[0])]
            if alone:
                command.append("--alone")
            try:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._errors,
                    env=environ,
                    close_fds=True,
                )
            except OSError as exc:
                raise ReferenceProcessError(
                    f"could not start the reference service ({sys.executable}): {exc}"
                ) from None

    def _fork(self) -> None:
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        # What the child writes on its standard error (a reply that broke
        # off, say) is kept for the message when it fails, off the run's own.
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        process = context.Process(
            target=_serve_forked,
            args=(theirs, self.registry, self._errors.fileno()),
            daemon=True,
            name="conformance-reference",
        )
        start_forked(process)
        theirs.close()
        self._forked = (process, ours)

    def open(self, faults: Iterable[str], token: str) -> str:
        """Start one reference service with these faults; its base URL."""
        self.launch()
        ask = {"faults": sorted(faults), "token": token}
        with self._lock:
            if self._forked is not None:
                return self._ask_forked(self._forked[1], ask)
            process = self._process
            assert process is not None
            assert process.stdin is not None
            assert process.stdout is not None
            try:
                process.stdin.write(json.dumps(ask).encode() + b"\n")
                process.stdin.flush()
                line = _read_line(process.stdout, _START_SECONDS)
            except OSError as exc:
                raise ReferenceProcessError(self._why(str(exc))) from None
            try:
                answer = json.loads(line)
            except ValueError:
                raise ReferenceProcessError(self._why("no answer")) from None
            return self._url(answer)

    def _ask_forked(self, conn: Connection, ask: Mapping[str, object]) -> str:
        try:
            conn.send(ask)
            if not conn.poll(_START_SECONDS):
                raise ReferenceProcessError(self._why("no answer"))
            answer = conn.recv()
        except (OSError, EOFError) as exc:
            raise ReferenceProcessError(self._why(str(exc) or "it ended")) from None
        return self._url(answer)

    def _url(self, answer: object) -> str:
        if not isinstance(answer, dict) or not isinstance(answer.get("url"), str):
            raise ReferenceProcessError(self._why(str(answer)))
        url: str = answer["url"]
        return url

    def _why(self, what: str) -> str:
        detail = ""
        if self._errors is not None:
            self._errors.seek(0)
            detail = self._errors.read()[-2000:].decode("utf-8", "replace").strip()
        return (
            f"the reference service's process failed ({what})"
            + (f": {detail}" if detail else "")
            + "; run `python -m conformance.probing.reference_process --help` to"
            " see that it starts"
        )

    def close(self) -> None:
        """Stop every service of the child and wait for it to end."""
        with self._lock:
            forked, self._forked = self._forked, None
            if forked is not None:
                child, conn = forked
                conn.close()
                # Nothing of it needs keeping: it ends now.
                child.terminate()
                child.join(_STOP_SECONDS)
                if child.is_alive():
                    child.kill()
                    child.join()
            process, self._process = self._process, None
            if process is not None:
                if process.stdin is not None:
                    with contextlib.suppress(OSError):  # already gone
                        process.stdin.close()
                # Nothing of it needs keeping: it ends now, not after the
                # half second an interpreter takes to wind down.
                process.terminate()
                try:
                    process.wait(timeout=_STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                if process.stdout is not None:
                    process.stdout.close()
            if self._errors is not None:
                self._errors.close()
                self._errors = None


def _read_line(stream: IO[bytes], seconds: float) -> bytes:
    """One line from the child, or ``b""`` when it does not answer in time."""
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return got[0] if got else b""


def new_token() -> str:
    """A fresh token for one reference service."""
    return secrets.token_urlsafe(18)


def main(argv: list[str] | None = None) -> int:
    """Serve reference services, one per line asked on standard input."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m conformance.probing.reference_process",
        description="Serve reference services for a run: each line on standard"
        ' input ({"faults": [...], "token": "..."}) starts one and prints its'
        " base URL as a JSON line; the end of standard input stops them all.",
    )
    parser.add_argument("registry", type=Path, nargs="?", default=None)
    parser.add_argument("--alone", action="store_true")
    args = parser.parse_args(argv)
    # Ctrl-C reaches every process of the group: the run decides when this
    # one ends (by closing standard input), after its reports are written.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from conformance.registry.standards import Registry

    registry = Registry.open(args.registry, alone=args.alone)
    services: list[ReferenceService] = []
    try:
        for line in sys.stdin.buffer:
            try:
                ask = json.loads(line)
            except ValueError as exc:
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            else:
                answer = _start(ask, registry, services)
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        for service in services:
            service.stop()
    return 0


def _start(
    ask: object, registry: Registry, services: list[ReferenceService]
) -> dict[str, str]:
    """Start the service asked for; its URL, or why it could not start."""
    from conformance.probing.reference import ReferenceService

    try:
        if not isinstance(ask, dict):
            raise TypeError(f"an ask is a JSON object, not {type(ask).__name__}")
        service = ReferenceService(registry, faults=ask["faults"], token=ask["token"])
        services.append(service)
        return {"url": service.start()}
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _serve_forked(conn: Connection, registry: Registry, errors: int) -> None:
    """The forked child: a service started for each ask on ``conn``, until
    the run closes it; its standard error goes to the file ``errors``."""
    sys.stderr.flush()
    os.dup2(errors, 2)
    serve_the_run("conformance-ref")
    services: list[ReferenceService] = []
    try:
        while True:
            try:
                ask = conn.recv()
            except (EOFError, OSError):
                break
            conn.send(_start(ask, registry, services))
    finally:
        for service in services:
            service.stop()


if __name__ == "__main__":
    sys.exit(main())
