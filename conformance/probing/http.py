"""The one HTTP client: safety limits, evidence, redaction.

Every request the suite sends goes through :class:`ServiceClient`. It only
contacts the host of the service's base URL (judged by :func:`origin`, and
checked again on the connection about to be opened), refuses a URL whose
host parsers could read two ways, never follows a redirect to another host,
sends no write (POST, PUT, PATCH, DELETE) unless the profile allows writes,
keeps to the profile's rate limit, stops an exchange that passes its total
deadline (from connecting to the last byte) or a body that is too large,
sends a request again only when its connection was never established, and
records each exchange. The checks judge each reply as it came; what is shown
or stored of it (evidence, curl commands, the audit log) has every secret
replaced by ``***``, and what the client keeps for the run is an excerpt. A
refused connection or a timeout is not an exception: it is an exchange with
an ``error`` in plain words, which checks report as an availability problem,
apart from non-conformance.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import heapq
import http.client
import json
import os
import re
import shlex
import socket
import ssl
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypedDict, TypeVar, cast
from urllib.parse import urlencode, urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from conformance.atomic import write_text_atomic
from conformance.errors import ConformanceError
from conformance.model import (
    ExchangeEvidence,
    ExchangeRequest,
    ExchangeResponse,
    JsonValue,
)

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXCERPT_BYTES = 4096  # of a body, in evidence and in what a client keeps
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_T = TypeVar("_T")
Origin = tuple[str, str, int]  # scheme, host (lower-case), port


class WriteRefused(Exception):
    """A write request on a service whose profile does not allow writes."""


class UnsafeUrl(ConformanceError, ValueError):
    """A URL the suite does not send to: parsers could read its host two ways."""


class RequestOptions(TypedDict, total=False):
    """The keyword options of :meth:`ServiceClient.request`."""

    params: Mapping[str, object] | None
    headers: Mapping[str, str] | None
    json_body: JsonValue
    body: bytes | None
    accept: str | None
    auth: bool | str
    correlation_id: str | None


@dataclass(frozen=True)
class HttpLimits:
    """How long and how much the client waits for and accepts."""

    connect_timeout: float = 5.0  # to open the connection
    read_timeout: float = 10.0  # the longest wait for any one read
    total_timeout: float = 30.0  # the whole exchange: connect to last body byte
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 3
    retries: int = 2  # only for reads whose connection was never established


class Redactor:
    """Replaces every known secret by ``***`` wherever it could appear.

    A secret is found as it is and in the forms a reply or a message may
    carry it in: JSON-escaped (any character as ``\\uXXXX``, ``/`` as
    ``\\/``), percent-encoded, as XML character references, and in base64
    (on its own, or inside Basic credentials ``user:token``, whatever the
    user name's length). Forms may mix within one occurrence.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        alternatives: list[str] = []
        for secret in self._secrets:
            alternatives.append("".join(_char_forms(char) for char in secret))
            alternatives += [re.escape(form) for form in _base64_forms(secret)]
        pattern = "|".join(alternatives)
        self._text = re.compile(pattern) if pattern else None
        self._bytes = re.compile(pattern.encode("utf-8")) if pattern else None
        # The most bytes one occurrence can take (12 per character: %XX four
        # times, or a surrogate pair of \uXXXX).
        self.reach = 12 * max((len(s) for s in self._secrets), default=0)

    def text(self, value: str) -> str:
        """``value`` with secrets replaced."""
        return self._text.sub("***", value) if self._text else value

    def data(self, value: bytes) -> bytes:
        """Bytes with secrets replaced."""
        return self._bytes.sub(b"***", value) if self._bytes else value

    def excerpt(self, body: bytes, limit: int) -> str:
        """About the first ``limit`` bytes of ``body`` as text, secrets
        replaced; never cut inside a secret (no part of one is shown)."""
        window = body[: limit + self.reach]
        cut = limit
        if self._bytes is not None:
            for match in self._bytes.finditer(window):
                if match.start() >= cut:
                    break
                if match.end() > cut:
                    cut = match.start()
                    break
        return self.data(window[:cut]).decode("utf-8", "replace")

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Headers with secrets replaced; credentials always hidden."""
        return {
            name: self.text(value)
            for name, value in masked_credentials(headers).items()
        }

    def within(self, value: _T) -> _T:
        """``value`` with secrets replaced in every string of it, keys too
        (lists, tuples and dicts are walked, as in JSON)."""
        return cast("_T", self._walk(value))

    def _walk(self, value: object) -> object:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self._walk(k): self._walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._walk(v) for v in value)
        return value


_JSON_SHORT = {
    '"': '\\"',
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
_XML_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_MIN_BASE64 = 8  # shorter base64 fragments would hide ordinary text


def _any_case(hex_digits: str) -> str:
    return "".join(
        f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in hex_digits
    )


def _char_forms(char: str) -> str:
    """A pattern for one character of a secret in every form it may take."""
    forms = [re.escape(char)]
    units = char.encode("utf-16-be")
    forms.append(
        "".join(
            r"\\u" + _any_case(units[i : i + 2].hex()) for i in range(0, len(units), 2)
        )
    )
    if char in _JSON_SHORT:
        forms.append(re.escape(_JSON_SHORT[char]))
    forms.append("".join("%" + _any_case(f"{b:02x}") for b in char.encode("utf-8")))
    if char == " ":
        forms.append(r"\+")
    forms.append(f"&#0*{ord(char)};")
    forms.append(f"&#[xX]0*{_any_case(f'{ord(char):x}')};")
    if char in _XML_NAMED:
        forms.append(re.escape(_XML_NAMED[char]))
    return "(?:" + "|".join(forms) + ")"


def _base64_forms(secret: str) -> list[str]:
    """The secret in base64: whole, and the characters that encode only its
    bytes at each of the three alignments it can have inside a longer value
    (``user:token`` in Basic credentials)."""
    raw = secret.encode("utf-8")
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode("ascii")
        forms |= {whole, whole.rstrip("=")}
        for offset in (0, 1, 2):
            encoded = encode(b"\0" * offset + raw).decode("ascii")
            start = -(-offset * 4 // 3)  # the first character of the secret's bits only
            end = (offset + len(raw)) * 8 // 6
            forms.add(encoded[start:end])
    return sorted((f for f in forms if len(f) >= _MIN_BASE64), key=len, reverse=True)


def masked_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers with the values of credential headers replaced by ``***``."""
    clean = {}
    for name, value in headers.items():
        if name.lower() in _CREDENTIAL_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            clean[name] = f"{scheme} ***".strip()
        else:
            clean[name] = value
    return clean


@dataclass
class Exchange:
    """One request and its reply (or why there was none), as sent and received.

    The checks judge the reply as it came: its status, headers and body are
    never altered. What is shown or stored of an exchange (:meth:`to_evidence`,
    :meth:`curl`, the audit log) has every secret ``redactor`` knows replaced
    by ``***``. Credential headers are kept masked even here: no check needs
    the token it sent.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_size: int = 0  # of the whole body (``body`` may be an excerpt of it)
    elapsed: float = 0.0
    error: str | None = None
    # "connect" (no connection was ever established: nothing reached the
    # service), "tls", "timeout", "unavailable" (the connection was made, the
    # reply failed), "too-large", "redirect"
    error_kind: str | None = None
    dry_run: bool = False
    attempts: int = 0  # how many times it was sent (more only for "connect")
    redactor: Redactor = field(default_factory=Redactor, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """A response header, matched case-insensitively."""
        lowered = name.lower()
        for key, value in self.response_headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def media_type(self) -> str | None:
        """The response's media type without parameters, lower-cased."""
        value = self.header("Content-Type")
        return value.split(";", 1)[0].strip().lower() if value else None

    def json(self) -> JsonValue:
        """The body as JSON; ``ValueError`` if it is not."""
        value: JsonValue = json.loads(self.body.decode("utf-8"))
        return value

    def kept(self) -> Exchange:
        """This exchange as a client keeps it for the run: the reply body cut
        to an excerpt (with room to redact a secret across the cut)."""
        keep = EXCERPT_BYTES + self.redactor.reach
        if len(self.body) <= keep:
            return self
        return replace(self, body=self.body[:keep])

    def curl(self) -> str:
        """A curl command that reproduces the request, secrets redacted."""
        redact = self.redactor
        parts = ["curl", "-i", "-X", self.method]
        for name, value in redact.headers(self.request_headers).items():
            parts += ["-H", f"{name}: {value}"]
        if self.request_body is not None:
            body = redact.text(self.request_body.decode("utf-8", "replace"))
            parts += ["--data-binary", body]
        parts.append(redact.text(self.url))
        return " ".join(shlex.quote(p) for p in parts)

    def to_evidence(self) -> ExchangeEvidence:
        """A JSON-ready record: request, reply excerpt, timing, curl command;
        secrets redacted."""
        redact = self.redactor
        request = ExchangeRequest(
            method=self.method,
            url=redact.text(self.url),
            headers=redact.headers(self.request_headers),
        )
        data = ExchangeEvidence(
            request=request,
            curl=self.curl(),
            elapsed_ms=round(self.elapsed * 1000, 1),
        )
        if self.request_body is not None:
            request["body"] = _excerpt(self.request_body, redact, 0)
        if self.dry_run:
            data["dry_run"] = True
        if self.error:
            data["error"] = redact.text(self.error)
        if self.status is not None:
            data["response"] = ExchangeResponse(
                status=self.status,
                headers=redact.headers(self.response_headers),
                body=_excerpt(self.body, redact, self.body_size),
            )
        return data


def _excerpt(body: bytes, redactor: Redactor, size: int) -> str:
    text = redactor.excerpt(body, EXCERPT_BYTES)
    size = max(size, len(body))
    if size > EXCERPT_BYTES:
        text += f"… ({size:,} bytes in all)"
    return text


class AuditLog:
    """One JSON line per request sent: what, where, when, and the answer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, exchange: Exchange, service: str) -> None:
        """Append one exchange, secrets redacted."""
        redact = exchange.redactor
        line = json.dumps(
            {
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "service": service,
                "method": exchange.method,
                "url": redact.text(exchange.url),
                "status": exchange.status,
                "error": redact.text(exchange.error) if exchange.error else None,
                "elapsed_ms": round(exchange.elapsed * 1000, 1),
                "correlation_id": exchange.request_headers.get("X-Correlation-ID"),
            },
            ensure_ascii=False,
        )
        with self._lock:
            # Opened once (an open per request cost as much as a loopback
            # reply); each line is flushed, so a killed run leaves it whole.
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the log's file (it opens again if more is recorded)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def token_problem(token: str) -> str | None:
    """Why a token cannot go in an Authorization header, or ``None``.

    The answer never quotes the token: it is shown to say what to fix.
    """
    if token != token.rstrip("\r\n"):
        return (
            "ends in a line break (CR or LF), as a secret file saved with Windows"
            " line endings does; an HTTP header cannot carry it: remove it (e.g."
            " tr -d '\\r\\n' < file)"
        )
    for char in token:
        if unicodedata.category(char) == "Cc":
            return (
                f"holds a control character (U+{ord(char):04X}), which an HTTP"
                " header cannot carry; set the token without it"
            )
        if not char.isascii():
            return (
                f"holds a character outside ASCII (U+{ord(char):04X}), which an"
                " Authorization header cannot carry; set the token without it"
            )
    return None


# A host name, an IPv4 address or a bracketed IPv6 address, and a port: no
# user-info, no percent-encoding, nothing two parsers could read apart.
_AUTHORITY = re.compile(r"(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")


# The ASCII characters the loop below stops at: every space and control
# character of ASCII is one of them (and ASCII has no format character).
_ASCII_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def _character_problem(text: str) -> str | None:
    if "\\" in text:
        return (
            "it holds a backslash, which URL parsers read differently (some as"
            " a slash, so the host may be taken from before or after it); write"
            " it with forward slashes only"
        )
    # Every request's URL is asked about twice: plain ASCII, the common
    # case, is decided in C.
    if text.isascii() and _ASCII_SPACE_OR_CONTROL.search(text) is None:
        return None
    for char in text:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            kind = "a space" if char == " " else "a control character"
            return (
                f"it holds {kind} (U+{ord(char):04X}), which parsers strip, keep"
                " or refuse differently; percent-encode it"
            )
    return None


def reference_problem(reference: str) -> str | None:
    """Why a URL or a relative reference (a path, a redirect's Location, an
    interface's server) is ambiguous, or ``None``."""
    problem = _character_problem(reference)
    if problem is None and urlsplit(reference).scheme:
        problem = url_problem(reference)
    elif problem is None and reference.startswith("//"):
        problem = url_problem("http:" + reference)
    return problem


def url_problem(url: str) -> str | None:
    """Why an absolute URL is not one the suite sends to, or ``None``: it
    must be http(s), with a plain host and port that every parser (the one
    that judges, the one that connects) reads alike."""
    problem = _character_problem(url)
    if problem is not None:
        return problem
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "it is not an http:// or https:// URL"
    if "@" in parts.netloc:
        return (
            "it holds user-info (a name or password before '@'), which can hide"
            " the host it leads to; credentials never go in a URL"
        )
    if not _AUTHORITY.fullmatch(parts.netloc):
        return (
            f"its host {parts.netloc!r} is not a plain host name or IP address"
            " with an optional port"
        )
    try:
        port = parts.port
        parsed = parse_url(url)
    except (ValueError, LocationParseError):
        return "its port is not a number from 0 to 65535"
    judged = _origin_of(parts.scheme, parts.hostname, port)
    if _origin_of(parsed.scheme, parsed.host, parsed.port) != judged:
        return "the HTTP library reads another host or port in it than a URL parser"
    return None


def _origin_of(scheme: str | None, host: str | None, port: int | None) -> Origin:
    scheme = (scheme or "http").lower()
    host = (host or "").lower().removeprefix("[").removesuffix("]")
    return scheme, host, port or (443 if scheme == "https" else 80)


def origin(url: str) -> Origin:
    """Scheme, host and port a request to ``url`` goes to (default ports
    filled in), read as the HTTP library reads it; :class:`UnsafeUrl` when
    the URL is ambiguous (:func:`url_problem`).

    The one judge of where a URL leads: the client compares it with the
    service's, and checks it again against the connection the HTTP library
    is about to open.
    """
    problem = url_problem(url)
    if problem is not None:
        raise UnsafeUrl(f"the suite does not send to {url!r}: {problem}")
    parsed = parse_url(url)
    return _origin_of(parsed.scheme, parsed.host, parsed.port)


def is_loopback(url: str) -> bool:
    """True when the URL's host is a loopback address."""
    return origin(url)[1] in LOOPBACK_HOSTS


class _Attempt:
    """One attempt at an exchange while it runs: where it may connect, and
    its total deadline.

    Every socket the attempt uses (a new connection, or one reused from the
    pool) is watched: when the deadline passes, a timer shuts it down, which
    ends whatever read is waiting on it (interim replies, headers arriving
    a byte at a time, a TLS handshake, the body). The socket is watched
    through a duplicate of its descriptor, closed when the attempt ends, so
    the timer can never touch a descriptor the system has given to another
    socket.
    """

    def __init__(self, allowed: Origin, deadline: float) -> None:
        self.allowed = allowed
        self.deadline = deadline
        self.expired = False
        self.connected = False  # a connection was established (or reused)
        self._ended = False
        self._twins: list[socket.socket] = []
        self._lock = threading.Lock()
        self._alarm = _WATCHDOG.set(deadline, self._expire)

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock`` down when the deadline passes (now, if it has)."""
        self.connected = True
        try:
            twin = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing left to stop
        with self._lock:
            if not self._ended:
                self._twins.append(twin)
                if not self.expired:
                    return
                _shut(twin)
                return
        twin.close()

    def _expire(self) -> None:
        with self._lock:
            if self._ended:
                return
            self.expired = True
            for twin in self._twins:
                _shut(twin)

    def end(self) -> bool:
        """Stop watching; True if the deadline passed first."""
        _WATCHDOG.cancel(self._alarm)
        with self._lock:
            self._ended = True
            twins, self._twins = self._twins, []
        for twin in twins:
            twin.close()
        return self.expired


class _Watchdog:
    """One thread that calls each alarm's function when its time comes.

    Every exchange sets an alarm for its deadline and cancels it when it
    ends; a thread started per exchange (a ``threading.Timer``) cost more
    than many a reply from a loopback service. The thread ends when the
    clients close with no alarm pending (:meth:`stop_when_idle`): a process
    with a thread left over may not fork, and ``validate --jobs`` then starts
    its workers the slow way.
    """

    def __init__(self) -> None:
        self._alarms: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._next = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def set(self, seconds: float, call: Callable[[], None]) -> int:
        """Call ``call`` in ``seconds`` unless cancelled; the alarm's number."""
        with self._wake:
            self._next += 1
            heapq.heappush(self._alarms, (time.monotonic() + seconds, self._next, call))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="http-deadlines", daemon=True
                )
                self._thread.start()
            elif self._alarms[0][1] == self._next:
                self._wake.notify()  # sooner than the one it waits for
            return self._next

    def cancel(self, alarm: int) -> None:
        """The alarm does not go off (if it has not gone off yet)."""
        with self._wake:
            self._cancelled.add(alarm)
            if len(self._cancelled) > 64 and len(self._cancelled) * 2 > len(
                self._alarms
            ):
                # Most alarms are cancelled long before they would go off.
                self._alarms = [a for a in self._alarms if a[1] not in self._cancelled]
                heapq.heapify(self._alarms)
                self._cancelled.clear()

    def stop_when_idle(self) -> None:
        """End the thread now if no alarm is pending (another set starts one)."""
        with self._wake:
            pending = [a for a in self._alarms if a[1] not in self._cancelled]
            thread = self._thread
            if pending or thread is None:
                return
            self._alarms, self._thread = [], None
            self._cancelled.clear()
            self._wake.notify_all()
        if thread is not threading.current_thread():
            thread.join(timeout=1.0)

    def _run(self) -> None:
        me = threading.current_thread()
        while True:
            with self._wake:
                while True:
                    if self._thread is not me:
                        return  # stopped when idle, or replaced by a newer one
                    while self._alarms and self._alarms[0][1] in self._cancelled:
                        self._cancelled.discard(heapq.heappop(self._alarms)[1])
                    if not self._alarms:
                        self._wake.wait()
                        continue
                    due = self._alarms[0][0] - time.monotonic()
                    if due <= 0:
                        _, _, call = heapq.heappop(self._alarms)
                        break
                    self._wake.wait(due)
            call()  # outside the lock: it may take the attempt's own lock


_WATCHDOG = _Watchdog()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_ACTIVE = threading.local()  # the _Attempt of the exchange this thread sends


def _active() -> _Attempt | None:
    attempt: _Attempt | None = getattr(_ACTIVE, "attempt", None)
    return attempt


def _check_connecting(scheme: str, host: str | None, port: int | None) -> None:
    # The last word on where a request goes: the connection the HTTP library
    # is about to use, judged by the same rule as every URL before it.
    attempt = _active()
    where = _origin_of(scheme, host, port)
    if attempt is not None and where != attempt.allowed:
        raise UnsafeUrl(
            f"the HTTP library was about to connect to {where[0]}://{where[1]}:"
            f"{where[2]}, not the service's origin; nothing was sent there"
        )


def _watch_reused(connection: BaseHTTPConnection) -> BaseHTTPConnection:
    attempt = _active()
    sock = getattr(connection, "sock", None)
    if attempt is not None and isinstance(sock, socket.socket):
        attempt.watch(sock)
    return connection


def _watch_new(sock: socket.socket) -> socket.socket:
    attempt = _active()
    if attempt is not None:
        attempt.watch(sock)
    return sock


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _watch_new(super()._new_conn())


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _watch_new(super()._new_conn())


class _GuardedHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        _check_connecting(self.scheme, self.host, self.port)
        return _watch_reused(super()._get_conn(timeout))


class _GuardedHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        _check_connecting(self.scheme, self.host, self.port)
        return _watch_reused(super()._get_conn(timeout))


def _guarded_adapter() -> requests.adapters.HTTPAdapter:
    adapter = requests.adapters.HTTPAdapter()
    adapter.poolmanager.pool_classes_by_scheme = {
        "http": _GuardedHTTPConnectionPool,
        "https": _GuardedHTTPSConnectionPool,
    }
    return adapter


class ServiceClient:
    """Talks to one service, within its profile's limits."""

    def __init__(
        self,
        base_url: str,
        *,
        service: str = "service",
        token: str | None = None,
        limits: HttpLimits | None = None,
        rate_limit: float | None = None,
        allow_writes: bool = False,
        verify: bool | str = True,
        dry_run: bool = False,
        audit: AuditLog | None = None,
        secrets: Iterable[str] = (),
        correlation_header: str = "X-Correlation-ID",
    ) -> None:
        if token is not None and (problem := token_problem(token)):
            raise ValueError(f"the token for {service} {problem}")
        self.base_url = base_url.rstrip("/")
        self.service = service
        # Every request carries a correlation id, under the name the
        # service's standard uses (so a reply can be tied to its request).
        self.correlation_header = correlation_header
        self._token = token
        self.limits = limits or HttpLimits()
        self.rate_limit = rate_limit
        self.allow_writes = allow_writes
        self.dry_run = dry_run
        self.audit = audit
        self.redactor = Redactor([*(secrets or ()), *([token] if token else [])])
        self._origin = origin(self.base_url)
        self._session = requests.Session()
        self._session.verify = verify
        self._session.trust_env = False  # no proxies or netrc credentials from outside
        adapter = _guarded_adapter()
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._last = 0.0
        self._pace = threading.Lock()
        self.exchanges: list[Exchange] = []

    def close(self) -> None:
        """Release connections (and the deadline thread, once nothing waits)."""
        self._session.close()
        _WATCHDOG.stop_when_idle()

    def url(self, path: str, params: Mapping[str, object] | None = None) -> str:
        """An absolute URL on this service."""
        url = path if "://" in path else self.base_url + "/" + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: JsonValue = None,
        body: bytes | None = None,
        accept: str | None = "application/json",
        auth: bool | str = True,
        correlation_id: str | None = None,
    ) -> Exchange:
        """Send one request (or, in a dry run, only record it).

        ``auth`` True sends the profile's token, False none, and a string
        sends that string as the bearer token (to test a wrong credential).
        """
        method = method.upper()
        if method not in READ_METHODS and not self.allow_writes:
            raise WriteRefused(
                f"{method} is a write and the profile does not allow writes on"
                f" {self.service} (set allow_writes = true for a test service)"
            )
        url = self.url(path, params)
        if origin(url) != self._origin:
            raise ValueError(
                f"{url} is not on {self.base_url}: the suite only contacts the"
                " hosts named in the agency profile"
            )
        sent: dict[str, str] = {
            self.correlation_header: correlation_id or str(uuid.uuid4()),
            "User-Agent": "egov-conformance",
        }
        if accept:
            sent["Accept"] = accept
        if auth is True and self._token:
            sent["Authorization"] = f"Bearer {self._token}"
        elif isinstance(auth, str):
            sent["Authorization"] = f"Bearer {auth}"
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        # Kept as sent (only the credentials masked): redacted when shown.
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=masked_credentials(sent),
            request_body=body,
            redactor=self.redactor,
        )
        if self.dry_run:
            exchange.dry_run = True
            self.exchanges.append(exchange)
            return exchange
        for attempt in range(self.limits.retries + 1):
            self._wait_turn()
            exchange.attempts += 1
            self._send(exchange, method, url, sent, body)
            # Retry only what cannot have reached the service: a read whose
            # connection was never established. A connection closed or reset
            # after it opened, or a reply that makes no sense, may follow a
            # request the service acted on: it is not sent again.
            if exchange.error_kind != "connect" or method not in READ_METHODS:
                break
            if attempt == self.limits.retries:
                exchange.error = f"{exchange.error} (tried {exchange.attempts} times)"
                break
            exchange.error = exchange.error_kind = None
            time.sleep(0.2 * (attempt + 1))
        # Kept for the run (a dry run lists them): excerpts only, or memory
        # would grow with every reply; the caller gets the whole exchange.
        self.exchanges.append(exchange.kept())
        if self.audit is not None:
            self.audit.record(exchange, self.service)
        return exchange

    def _wait_turn(self) -> None:
        # The agency's declared rate limit holds across threads of one run.
        if not self.rate_limit:
            return
        with self._pace:
            gap = 1.0 / self.rate_limit
            wait = self._last + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()

    def _send(
        self,
        exchange: Exchange,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> None:
        started = time.monotonic()
        limits = self.limits
        # The total deadline covers the whole exchange, from connecting to the
        # last byte of the body, redirects included: the attempt's timer stops
        # it wherever it waits. No single wait is longer than the deadline.
        attempt = _Attempt(self._origin, limits.total_timeout)
        waits = (
            min(limits.connect_timeout, limits.total_timeout),
            min(limits.read_timeout, limits.total_timeout),
        )
        _ACTIVE.attempt = attempt
        try:
            for _hop in range(limits.max_redirects + 1):
                response = self._session.send(
                    self._prepared(method, url, headers, body),
                    timeout=waits,
                    allow_redirects=False,
                    stream=True,
                    verify=self._session.verify,
                    proxies={},
                    cert=None,
                )
                location = response.headers.get("Location")
                if response.is_redirect and location:
                    response.close()
                    refused = self._refused_redirect(url, location)
                    if refused is not None:
                        exchange.status = response.status_code
                        exchange.response_headers = dict(response.headers)
                        exchange.error = refused
                        exchange.error_kind = "redirect"
                        return
                    url = urljoin(url, location)
                    continue
                break
            else:
                exchange.error = f"more than {limits.max_redirects} redirects"
                exchange.error_kind = "redirect"
                return
            exchange.status = response.status_code
            # The reply as it came: the checks judge it (redacted only when shown).
            exchange.response_headers = dict(response.headers)
            exchange.body = self._read_capped(response, started, exchange)
            exchange.body_size = len(exchange.body)
        except UnsafeUrl as exc:
            exchange.error = str(exc)
            exchange.error_kind = "redirect"
        except (
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
        ) as exc:
            exchange.error_kind, exchange.error = self._failure(exc, url, exchange)
            if not attempt.connected and exchange.error_kind != "tls":
                exchange.error_kind = "connect"
        finally:
            _ACTIVE.attempt = None
            if attempt.end() and exchange.error_kind in (None, *_STOPPABLE):
                exchange.error_kind = "timeout"
                exchange.error = _deadline_text(exchange, limits.total_timeout)
            exchange.elapsed = time.monotonic() - started

    def _prepared(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> requests.PreparedRequest:
        """The request as ``Session.request`` prepares it, for this session.

        The same steps (the session's default headers under ours, its
        cookies, the body), without the general path's merging of settings
        this client never sets (parameters, hooks, authentication, proxies
        and netrc from the environment), which cost about a tenth of a
        millisecond of the client's 0.9 ms per loopback request.
        """
        session = self._session
        # As requests merges them: the session's defaults first, ours over them.
        merged: CaseInsensitiveDict[str | bytes] = CaseInsensitiveDict(session.headers)
        merged.update(headers)
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method,
            url=url,
            headers=merged,
            data=body or {},
            cookies=session.cookies.copy(),
        )
        return prepared

    def _failure(self, exc: Exception, url: str, exchange: Exchange) -> tuple[str, str]:
        """The kind and a plain sentence for an exchange that failed with
        ``exc`` (no Python names or reprs: people read it)."""
        limits = self.limits
        _, host, port = origin(url)
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        causes = _causes(exc)

        def first(kind: type[BaseException]) -> BaseException | None:
            return next((c for c in causes if isinstance(c, kind)), None)

        cert = first(ssl.SSLCertVerificationError)
        if isinstance(cert, ssl.SSLCertVerificationError):
            return "tls", (
                f"TLS verification failed for {where}: certificate verify failed:"
                f" {cert.verify_message or 'the certificate is not trusted'}"
            )
        handshake = first(ssl.SSLError)
        if isinstance(handshake, ssl.SSLError):
            why = (handshake.reason or "the TLS handshake failed").replace("_", " ")
            return "tls", f"the TLS handshake with {where} failed: {why.lower()}"
        if first(socket.gaierror):
            return "connect", (
                f"could not connect to {where}: the host name {host} could not be"
                " resolved (DNS)"
            )
        if first(urllib3.exceptions.NewConnectionError):
            return "connect", f"could not connect to {where}: {_os_reason(causes)}"
        if first(urllib3.exceptions.ConnectTimeoutError) or isinstance(
            exc, requests.exceptions.ConnectTimeout
        ):
            return "connect", (
                f"could not connect to {where}: no answer within"
                f" {limits.connect_timeout:g} s (connect timeout)"
            )
        if first(urllib3.exceptions.ReadTimeoutError) or first(TimeoutError):
            if exchange.status is None:
                return "timeout", (
                    f"no reply from {where} within {limits.read_timeout:g} s"
                    " (read timeout)"
                )
            return "timeout", (
                f"the reply stopped for more than {limits.read_timeout:g} s"
                " (read timeout)"
            )
        return "unavailable", _broken_reply(causes, where)

    def _refused_redirect(self, url: str, location: str) -> str | None:
        """Why a redirect is not followed, or ``None`` to follow it."""
        problem = reference_problem(location)
        target = urljoin(url, location)
        if problem is None:
            problem = url_problem(target)
        if problem is not None:
            return (
                f"the service redirected to {location!r}; the suite does not"
                f" follow it: {problem}"
            )
        if origin(target) != self._origin:
            return (
                f"the service redirected to {target}, another host; the suite"
                " does not follow redirects off the service named in the profile"
            )
        return None

    def _read_capped(
        self, response: requests.Response, started: float, exchange: Exchange
    ) -> bytes:
        """Read the body, stopping at the size cap or the total deadline.

        ``read1`` returns whatever has arrived, so a body that trickles in a
        byte at a time is measured against the deadline between reads too
        (the attempt's timer ends a read that waits past it).
        """
        limits = self.limits
        chunks = []
        size = 0
        raw = response.raw
        try:
            while True:
                chunk = raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_body_bytes:
                    exchange.error = (
                        f"the reply body passed {limits.max_body_bytes:,} bytes;"
                        " reading stopped there"
                    )
                    exchange.error_kind = "too-large"
                    break
                chunks.append(chunk)
                if time.monotonic() - started > limits.total_timeout:
                    exchange.error = _deadline_text(exchange, limits.total_timeout)
                    exchange.error_kind = "timeout"
                    break
        finally:
            response.close()
        return b"".join(chunks)


# The kinds of failure the total deadline causes when it stops an exchange
# (the socket shut down under a read): reported as the deadline instead.
_STOPPABLE = ("unavailable", "tls", "timeout")


def _deadline_text(exchange: Exchange, seconds: float) -> str:
    if exchange.status is not None:
        return (
            f"the reply was still arriving at the total deadline of {seconds:g} s"
            " (total_timeout), counted from connecting; reading stopped there"
        )
    return (
        f"no whole reply within the total deadline of {seconds:g} s"
        " (total_timeout), counted from connecting to the last byte; the"
        " exchange was stopped there"
    )


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and every error it wraps (requests wraps urllib3, which wraps
    the socket's), outermost first."""
    found: list[BaseException] = []
    waiting: list[BaseException] = [exc]
    while waiting:
        current = waiting.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = [getattr(current, "reason", None), current.__cause__]
        inner += [*current.args, current.__context__]
        waiting += [e for e in inner if isinstance(e, BaseException)]
    return found


def _os_reason(causes: list[BaseException]) -> str:
    """Why a connection could not be opened, from the system's error."""
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if (
            isinstance(cause, OSError)
            and not isinstance(cause, requests.exceptions.RequestException)
            and cause.errno is not None
            and cause.errno > 0
        ):
            return os.strerror(cause.errno).lower()
    return "the connection could not be opened"


def _broken_reply(causes: list[BaseException], where: str) -> str:
    """A plain sentence for a connection that opened and then failed."""
    for cause in causes:
        if isinstance(cause, http.client.RemoteDisconnected):
            return f"{where} closed the connection without a reply"
        if isinstance(cause, http.client.LineTooLong):
            return (
                f"{where} sent a status or header line longer than the HTTP"
                " library reads"
            )
        if isinstance(cause, http.client.BadStatusLine):
            line = str(cause.args[0] if cause.args else "")
            return (
                f"{where} sent a reply whose first line is not an HTTP status"
                f" line: {_quoted(line)}"
            )
        if isinstance(cause, ConnectionResetError):
            return f"{where} reset the connection"
        if isinstance(cause, BrokenPipeError):
            return f"{where} closed the connection while the request was sent"
        if isinstance(cause, urllib3.exceptions.DecodeError):
            return "the reply's Content-Encoding could not be decoded"
        if isinstance(cause, urllib3.exceptions.InvalidChunkLength):
            return "the reply's chunked body is broken (a chunk length is invalid)"
        if isinstance(
            cause, urllib3.exceptions.IncompleteRead | http.client.IncompleteRead
        ):
            return "the reply broke off before the end its headers announced"
    innermost = causes[-1]
    text = _quoted(str(innermost)) if str(innermost) else "no reason given"
    return f"the exchange with {where} failed: {text}"


def _quoted(text: str) -> str:
    """Text from a service or a library, quoted: one line, at most 120
    characters, control characters shown as escapes."""
    shown = json.dumps(text.strip()[:120], ensure_ascii=False)
    return shown


def write_dry_run(exchanges: list[Exchange], path: Path) -> None:
    """The requests a dry run would send, one curl command per line."""
    write_text_atomic(path, "".join(e.curl() + "\n" for e in exchanges))
