"""A key-value-pair XML catalogue service, the interface of catalogue-record@1.0.0.

It answers on 127.0.0.1 only, in the manner of OGC web services: one path
(``/catalogue/csw``) whose operation is chosen by the query parameters
``service`` and ``request``; records and capabilities as XML; errors as
exception reports of a schema the record's XSD imports
(tests/data/registries/ows-like). Named faults make it misbehave in one way
each, so that tests can show the suite catches it:

- ``invalid-exception-report``: a read of an existing record answers 200
  with an exception report (which the interface allows) that breaks the
  exception schema inside an element declaring its own prefix.
- ``undocumented-root``: a read answers 200 with the capabilities document,
  an element the interface does not document for it.
- ``ignore-missing-request``: a request without ``request`` but with an
  ``id`` is answered 200 with the record, as if it were GetRecordById.
"""

from __future__ import annotations

import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

STANDARD = "catalogue-record@1.0.0"
PATH = "/catalogue/csw"
FAULTS = ("invalid-exception-report", "undocumented-root", "ignore-missing-request")
RECORDS = {
    "REC-0001": ("Administrative units", "2026-10-01"),
    "REC-0002": ("Addresses", "2026-09-15"),
}
_IDENTIFIER = re.compile(r"REC-[0-9]{4}")
_RECORD_NS = "urn:example:catalogue:record:1"
_CAPABILITIES_NS = "urn:example:catalogue:capabilities:1"
_EXCEPTIONS_NS = "urn:example:exceptions:1"


def _record(identifier: str) -> bytes:
    title, modified = RECORDS[identifier]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Record xmlns="{_RECORD_NS}">'
        f"<Identifier>{escape(identifier)}</Identifier><Title>{escape(title)}</Title>"
        f"<Modified>{modified}</Modified></Record>"
    ).encode()


def _capabilities() -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Capabilities'
        f' xmlns="{_CAPABILITIES_NS}" version="1.0.0"><Title>Test catalogue</Title>'
        '<Operation name="GetCapabilities"/><Operation name="GetRecordById"/>'
        "</Capabilities>"
    ).encode()


def exception_report(code: str, locator: str, text: str) -> bytes:
    """A valid exception report with one exception."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ExceptionReport'
        f' xmlns="{_EXCEPTIONS_NS}" version="1.0.0"><Exception exceptionCode='
        f"{quoteattr(code)} locator={quoteattr(locator)}><ExceptionText>"
        f"{escape(text)}</ExceptionText></Exception></ExceptionReport>"
    ).encode()


def broken_exception_report() -> bytes:
    """An exception report whose exception (written with a prefix declared on
    itself, not on the root) has a code the exception schema does not list."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ExceptionReport'
        f' xmlns="{_EXCEPTIONS_NS}" version="1.0.0"><x:Exception'
        f' xmlns:x="{_EXCEPTIONS_NS}" exceptionCode="Unavailable" locator="id">'
        "<x:ExceptionText>try later</x:ExceptionText></x:Exception>"
        "</ExceptionReport>"
    ).encode()


class KvpXmlService:
    """The service on a free loopback port; ``start`` it, then ``stop`` it."""

    def __init__(self, faults: tuple[str, ...] = ()) -> None:
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {', '.join(FAULTS)}")
        self.faults = frozenset(faults)
        self.received: list[str] = []  # every request target, in order
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                service.received.append(self.path)
                status, body = service.answer(
                    self.path, self.headers.get("Accept-Standard")
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Standard", STANDARD)
                self.send_header(
                    "X-Correlation-ID",
                    self.headers.get("X-Correlation-ID") or str(uuid.uuid4()),
                )
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: the suite's evidence has every exchange

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def answer(self, target: str, accept_standard: str | None) -> tuple[int, bytes]:
        """The status and body for a request target (path and query)."""
        parts = urlsplit(target)
        if parts.path != PATH:
            return 404, exception_report(
                "OperationNotSupported", "path", f"nothing is served at {parts.path}"
            )
        if accept_standard and accept_standard not in (
            STANDARD,
            "catalogue-record@1",
            "catalogue-record@1.0",
        ):
            return 406, exception_report(
                "InvalidParameterValue",
                "Accept-Standard",
                f"this service implements {STANDARD} only",
            )
        query = {
            k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        if query.get("service") != "CSW":
            return 400, exception_report(
                "MissingParameterValue", "service", "service must be CSW"
            )
        request = query.get("request")
        if (
            request is None
            and "ignore-missing-request" in self.faults
            and "id" in query
        ):
            request = "GetRecordById"
        if request == "GetCapabilities":
            return 200, _capabilities()
        if request != "GetRecordById":
            code = (
                "MissingParameterValue" if request is None else "OperationNotSupported"
            )
            return 400, exception_report(code, "request", "request names no operation")
        identifier = query.get("id")
        if identifier is None:
            return 400, exception_report("MissingParameterValue", "id", "id is needed")
        if not _IDENTIFIER.fullmatch(identifier):
            return 400, exception_report(
                "InvalidParameterValue", "id", "an id is REC- and four digits"
            )
        if identifier not in RECORDS:
            return 404, exception_report("NotFound", "id", "no such record")
        if "invalid-exception-report" in self.faults:
            return 200, broken_exception_report()
        if "undocumented-root" in self.faults:
            return 200, _capabilities()
        return 200, _record(identifier)
