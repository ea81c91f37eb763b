"""Fuzzing settings, seeds and saved regression cases.

A run fuzzes with one seed, printed so that it can be repeated
(``--fuzz-seed 1234``, or ``--fuzz-seed last``); in CI (``CI`` set) the seed
is fixed, so every CI run tries the same inputs. Each operation gets a
budget of examples and of seconds. A failure found by fuzzing is shrunk,
sent once more to confirm it, and saved as a regression case that the
next run replays before generating anything new.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NotRequired, TypedDict

from conformance.atomic import write_text_atomic
from conformance.errors import UsageError

if TYPE_CHECKING:
    from conformance.model import JsonValue

CI_SEED = 20261201
DEFAULT_EXAMPLES = 50
DEFAULT_SECONDS = 30.0
_LAST_SEED = "last-fuzz-seed"


class GenerationLock:
    """One thread at a time generates (hypothesis), the others send or judge.

    A run checks services side by side in threads. Hypothesis keeps state
    per search that is not meant to be shared between threads, and it
    parses source code (``ast``) as it runs, which CPython 3.11 does not
    allow in two threads at once. So generating is held by one thread at a
    time; a fuzz check lets go while its request is on the wire
    (:meth:`released`), which is where the time of other threads' work goes.
    It is reentrant in the thread that holds it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def __enter__(self) -> GenerationLock:
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return self
        self._lock.acquire()
        self._owner, self._depth = me, 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self._lock.release()

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """Let other threads generate meanwhile, if this thread holds it."""
        if self._owner != threading.get_ident():
            yield
            return
        depth, self._owner, self._depth = self._depth, None, 0
        self._lock.release()
        try:
            yield
        finally:
            self._lock.acquire()
            self._owner, self._depth = threading.get_ident(), depth


GENERATION = GenerationLock()


@dataclass(frozen=True)
class FuzzSettings:
    """How much to fuzz, with which seed, and where regression cases live."""

    seed: int
    examples: int = DEFAULT_EXAMPLES
    seconds: float = DEFAULT_SECONDS
    regressions: Path | None = None


def resolve_seed(
    option: str | None, state: Path, environ: dict[str, str] | None = None
) -> int:
    """The seed to use: the option's, the last run's, CI's fixed one, or a new one."""
    environ = environ if environ is not None else dict(os.environ)
    if option == "last":
        try:
            return int((state / _LAST_SEED).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            raise UsageError(
                f"--fuzz-seed last: no seed recorded in {state / _LAST_SEED} yet;"
                " run once without it first"
            ) from None
    if option is not None:
        try:
            return int(option)
        except ValueError:
            raise UsageError(
                f"--fuzz-seed {option!r}: give a number or 'last'"
            ) from None
    if environ.get("CI"):
        return CI_SEED
    return random.SystemRandom().randrange(2**32)


def remember_seed(seed: int, state: Path) -> None:
    """Record the seed for ``--fuzz-seed last``."""
    write_text_atomic(state / _LAST_SEED, f"{seed}\n")


class RequestData(TypedDict):
    """A :class:`Request` as a regression case saves it."""

    method: str
    path: str
    params: NotRequired[dict[str, JsonValue]]
    headers: NotRequired[dict[str, str]]
    body: NotRequired[JsonValue]
    broken: NotRequired[str]


@dataclass(frozen=True)
class Request:
    """One request a fuzz check sends (and a regression case replays).

    ``path`` carries the query string, serialized by the parameters' styles
    (``params`` is read from cases saved before); ``broken`` says what an
    invalid request breaks: a parameter (``header X-Correlation-ID``) or a
    member of the body (``body /fin``).
    """

    method: str
    path: str
    params: dict[str, JsonValue] | None = None
    body: JsonValue = None
    has_body: bool = False
    headers: dict[str, str] | None = None
    broken: str | None = None

    def to_dict(self) -> RequestData:
        """The request as a regression case saves it."""
        data: RequestData = {"method": self.method, "path": self.path}
        if self.params:
            data["params"] = self.params
        if self.headers:
            data["headers"] = self.headers
        if self.has_body:
            data["body"] = self.body
        if self.broken:
            data["broken"] = self.broken
        return data

    @classmethod
    def from_dict(cls, data: RequestData) -> Request:
        """A saved request; a damaged one raises ``TypeError`` or ``KeyError``."""
        headers = data.get("headers")
        if headers is not None and not (
            isinstance(headers, dict)
            and all(isinstance(v, str) for v in headers.values())
        ):
            raise TypeError("headers must be an object of strings")
        return cls(
            method=data["method"],
            path=data["path"],
            params=data.get("params"),
            body=data.get("body"),
            has_body="body" in data,
            headers=data.get("headers"),
            broken=data.get("broken"),
        )


def _folder(root: Path, service: str, check: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in service)
    return root / safe / check


def save_regression(
    settings: FuzzSettings, service: str, check: str, request: Request, why: list[str]
) -> Path | None:
    """Keep a failing request so that the next run tries it first."""
    if settings.regressions is None:
        return None
    data = request.to_dict()
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]
    path = _folder(settings.regressions, service, check) / f"{digest}.json"
    record = {
        "check": check,
        "service": service,
        "seed": settings.seed,
        "request": data,
        "findings": why,
    }
    write_text_atomic(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return path


def regressions(
    settings: FuzzSettings, service: str, check: str
) -> tuple[list[tuple[Path, Request]], list[str]]:
    """The saved cases of one service's check, oldest first, and the damaged ones.

    A damaged case (not JSON, no request) is reported, not fatal: the run goes
    on with the others.
    """
    if settings.regressions is None:
        return [], []
    folder = _folder(settings.regressions, service, check)
    found, damaged = [], []
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            found.append((path, Request.from_dict(record["request"])))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            damaged.append(f"{path}: {type(exc).__name__}: {exc}")
    return found, damaged
