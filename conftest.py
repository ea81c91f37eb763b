"""Shared fixtures for the project's own tests (see tests/README.md)."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml  # noqa: F401  (see below)
from hypothesis import settings

import conformance.probing.checks  # noqa: F401  (see below)
from conformance.registry.locations import bundled
from conformance.registry.standards import Registry

# pytester's in-process runs (runpytest) drop from sys.modules every module
# first imported inside them. A run that probes a service imports requests
# and the checks; had the outer process not imported them first, the next
# such run would import a second copy while objects kept by modules that
# stay (the registry's caches) still hold the first one's classes (seen:
# "You can only merge into CookieJar"), depending on which tests ran before.
# Imported here, they are one copy for every in-process run. PyYAML too: its
# C parser stays loaded when its Python modules are dropped, and keeps the
# first copy's node classes ("could not determine a constructor for the tag
# None"); the suite imports it only on first need.

# The project's own hypothesis tests draw the same examples on every run, so
# a CI gate that passed once passes again; HYPOTHESIS_PROFILE=explore draws
# new ones, to look for bugs by hand (the differential test found one so).
settings.register_profile("project", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "project"))

ROOT = Path(__file__).resolve().parent
HOSTILE = ROOT / "fixtures" / "hostile"
PLACEHOLDER_PORT = "48999"
PLACEHOLDER_SECRET = "/tmp/conformance-secret"


def pytest_configure(config: pytest.Config) -> None:
    """The tests keep their caches in a folder of their own (each xdist
    worker too), removed at the end: what they compile and draw for their
    temporary registries would otherwise fill, and evict from, the user's
    cache (``$XDG_CACHE_HOME``), which the commands and the benchmarks read;
    and no test's result depends on what an earlier run left there."""
    cache = tempfile.mkdtemp(prefix="conformance-tests-cache-")
    os.environ["XDG_CACHE_HOME"] = cache
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The bundled registry, read once."""
    return Registry.open(bundled("standards"))


@pytest.fixture
def tmp_registry(tmp_path: Path) -> Path:
    """A private copy of the bundled registry that a test may break."""
    target = tmp_path / "standards"
    shutil.copytree(bundled("standards"), target)
    return target


@dataclass
class ConnectionCounter:
    """A loopback listener that counts every connection made to it."""

    port: int
    connections: list[bytes] = field(default_factory=list)


@pytest.fixture
def loopback_counter() -> Iterator[ConnectionCounter]:
    """A TCP server on 127.0.0.1 that records (and never answers) connections."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    counter = ConnectionCounter(port=server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    counter.connections.append(conn.recv(1024))
                except OSError:
                    counter.connections.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield counter
    stop.set()
    thread.join(timeout=2)
    server.close()


def hostile_copy(
    name: str, tmp_path: Path, *, port: int | None = None, secret: Path | None = None
) -> Path:
    """A hostile fixture with its placeholders pointed at this test's server and file."""
    source = HOSTILE / name
    data = source.read_bytes()
    if port is not None:
        data = data.replace(PLACEHOLDER_PORT.encode(), str(port).encode())
    if secret is not None:
        data = data.replace(PLACEHOLDER_SECRET.encode(), str(secret).encode())
    target = tmp_path / source.name
    target.write_bytes(data)
    return target
