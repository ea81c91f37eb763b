"""The reference agency service: every interface of the registry, served for real.

It serves, on a loopback port, the latest version with an HTTP interface of
every standard that has reference data in ``fixtures/reference-data``, in
JSON and (where the standard has an XSD) XML. It follows every requirement
of ``exchange-rules@1.1.0``, so the suite passes on it; each named *fault*
breaks one requirement the way real services do, so the project's tests can
show that each check fails when it should.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
import signal
import ssl
import threading
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from lxml import etree

from conformance.probing.interfaces import (
    Interface,
    Operation,
    interface_for,
    member_at,
)
from conformance.probing.parameters import belongs
from conformance.probing.reference_features import FEATURE_FAULTS, FeaturesEndpoint
from conformance.registry.locations import bundled
from conformance.registry.manifest import StandardVersion, Status
from conformance.registry.standards import Registry
from conformance.registry.versions import StandardRef
from conformance.validation.json_validation import validate_json

if TYPE_CHECKING:
    from conformance.model import Finding, JsonValue

FAULTS: dict[str, str] = {
    **FEATURE_FAULTS,  # the OGC API - Features endpoint's (reference_features.py)
    "slow": "every reply waits several seconds, past the client's timeout",
    "sluggish": "every reply waits 300 ms, past a tight latency objective",
    "undocumented-status": "reads answer 203, a status the interface does not document",
    "wrong-content-type": "JSON replies are labelled text/plain",
    "missing-required-field": "JSON resources lose their first required member",
    "invalid-xml": "XML resources lose their first element",
    "ignore-xml-accept": "JSON is served even when XML is asked for",
    "xml-json-mismatch": "the XML representation is of another resource",
    "lose-correlation-id": "the X-Correlation-ID header is not echoed",
    "no-standard-header": "replies do not declare the Standard they implement",
    "ignore-accept-standard": "Accept-Standard is ignored: never 406",
    "server-error-on-missing": "an unknown resource gives 500 with a Python traceback",
    "plain-json-errors": "errors are plain JSON, not problem details",
    "leak-internals": "problem details carry a traceback and a file path",
    "ignore-token": "credentials are not checked",
    "accept-invalid-body": "invalid request bodies are created (201)",
    "problem-without-pointer": "problem details name the document, not the field",
    "lost-create": "the Location of a created resource leads nowhere",
    "oversized-pages": "pages ignore the limit",
    "declare-old-version": "the Standard header declares the oldest version (deprecated"
    " or retired)",
    "untrusted-certificate": "TLS with a certificate from an unknown authority",
    "leak-on-list-400": "a list's 400 reply discloses the SQL statement that failed",
    "accept-bad-header": "header parameters are not checked: an invalid value of"
    " one is answered as if it were valid",
    "incomplete-created-reply": "the 201 reply of a create loses the record's first"
    " required member (what is stored is whole)",
    # Faults only fuzzing finds: each hides behind particular input.
    "crash-on-letter": "a created resource whose text has ğ or Ğ gives 500",
    "accept-long-fin": "a FIN one character too long is accepted on create",
    "crash-on-max-length": "a text member at its full allowed length gives 500",
}
SLOW_SECONDS = 3.0
SLUGGISH_SECONDS = 0.3
_POLL_SECONDS = 0.02
_PROBLEM = "application/problem+json"


@dataclass
class Collection:
    """The resources of one standard, served through its interface."""

    standard: StandardVersion
    interface: Interface
    key: str  # the read operation's path parameter
    pointer: str  # where that key is in a resource
    records: dict[str, JsonValue] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReferenceService:
    """The bundled service; use as a context manager or ``start()``/``stop()``."""

    def __init__(
        self,
        registry: Registry | None = None,
        *,
        faults: Iterable[str] = (),
        data: Path | None = None,
        ssl_context: ssl.SSLContext | None = None,
        token: str | None = None,
    ) -> None:
        unknown = sorted(set(faults) - set(FAULTS))
        if unknown:
            raise ValueError(
                f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}"
            )
        self.registry = registry or Registry.open(bundled("standards"))
        self.faults = frozenset(faults)
        self.token = token or secrets.token_urlsafe(18)
        self.ssl_context = ssl_context
        self.collections = self._load(data or bundled("fixtures") / "reference-data")
        self.features = FeaturesEndpoint(
            self.registry, data or bundled("fixtures") / "reference-data", self.faults
        )
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def _load(self, folder: Path) -> list[Collection]:
        collections = []
        for path in sorted(folder.glob("*.json")):
            standard_id = path.stem
            versions = [
                s
                for s in self.registry.versions(standard_id)
                if s.interface is not None and s.status is Status.ACTIVE
            ]
            if not versions:
                continue
            standard = versions[-1]
            interface = interface_for(self.registry, standard)
            reads = interface.by_role("read")
            if not reads or not reads[0].path_parameters():
                continue
            parameter = reads[0].path_parameters()[0]
            records = json.loads(path.read_text(encoding="utf-8"))
            collection = Collection(
                standard, interface, parameter.name, parameter.key_pointer or ""
            )
            for record in records:
                collection.records[str(member_at(record, collection.pointer))] = record
            collections.append(collection)
        return collections

    # -- life ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, once started."""
        assert self._server is not None, "the service is not started"
        host, port = self._server.server_address[:2]
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host!s}:{port}"

    def start(self) -> str:
        """Listen on a free loopback port; returns the base URL."""
        handler = _handler_for(self)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(
                server.socket, server_side=True
            )
        self._server = server
        self._thread = threading.Thread(
            target=_serve_without_signals,
            args=(server,),
            name="reference-service",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ReferenceService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routing ------------------------------------------------------------

    def route(
        self, method: str, path: str
    ) -> tuple[Collection, Operation, dict[str, str]] | None:
        """The collection and operation a request is for, with path parameters."""
        for collection in self.collections:
            for operation in collection.interface.operations:
                if operation.method != method:
                    continue
                match = _template(operation.path).fullmatch(path)
                if match:
                    params = {k: unquote(v) for k, v in match.groupdict().items()}
                    return collection, operation, params
        return None


@functools.cache
def _template(path: str) -> re.Pattern[str]:
    # A request is matched against the templates of the operations in turn:
    # each made once per path, not once per request (12 µs each).
    pattern = re.sub(
        r"\\\{([A-Za-z_][A-Za-z0-9_]*)\\\}", r"(?P<\1>[^/]+)", re.escape(path)
    )
    return re.compile(pattern)


def _serve_without_signals(server: ThreadingHTTPServer) -> None:
    # Ctrl-C and SIGTERM must reach the main thread: a signal the kernel hands
    # to this thread instead would leave the main thread blocked in a read (a
    # slow pipe, a FIFO) with the interruption never seen. The request
    # threads inherit the mask.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    # stop() waits for the loop to look again: at the default half second a
    # run with seven services spent seconds only stopping them.
    server.serve_forever(poll_interval=_POLL_SECONDS)


def _handler_for(service: ReferenceService) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.service = service
    return Handler


class _Handler(BaseHTTPRequestHandler):
    """One request to the reference service."""

    service: ReferenceService
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write, without Nagle's delay: otherwise
    # each keep-alive exchange waits out the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    wbufsize = -1
    server_version = "reference-agency-service"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        return  # the suite keeps its own evidence; stderr stays quiet

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    # -- the request ----------------------------------------------------------

    def _fault(self, name: str) -> bool:
        return name in self.service.faults

    def _dispatch(self, method: str) -> None:
        self._collection: Collection | None = None
        body = self._read_body()
        if self._fault("slow"):
            time.sleep(SLOW_SECONDS)
        elif self._fault("sluggish"):
            time.sleep(SLUGGISH_SECONDS)
        parts = urlsplit(self.path)
        if self.service.features.serves(parts.path):
            self._features(method, parts.path, parts.query)
            return
        routed = self.service.route(method, parts.path)
        if routed is None:
            self._problem(
                404, "Not Found", f"no operation answers {method} {parts.path}"
            )
            return
        collection, operation, params = routed
        self._collection = collection
        if operation.secured and not self._authorised():
            return
        if not self._headers_valid(collection, operation):
            return
        if not self._version_accepted(collection):
            return
        # A parameter sent empty (limit=) is a value to judge, not an absent one.
        query = {
            k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        try:
            if operation.role == "read":
                self._read(collection, operation, params)
            elif operation.role == "list":
                self._list(collection, query)
            elif operation.role == "create":
                self._create(collection, operation, body)
            else:
                self._problem(405, "Method Not Allowed", f"{method} is not served here")
        except Exception:  # a bug here must still answer with problem details
            self._problem(500, "Internal Server Error", "the reference service failed")

    def _features(self, method: str, path: str, query: str) -> None:
        features = self.service.features
        try:
            reply = features.answer(
                method, path, query, self.headers.get("Accept", ""), self.service.url
            )
        except Exception:  # as a real server's crash: a bare 500
            self._send(500, b"Internal Server Error", "text/plain")
            return
        self._send(reply.status, reply.body, reply.content_type)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, 10 * 1024 * 1024)) if length else b""

    def _authorised(self) -> bool:
        if self._fault("ignore-token"):
            return True
        given = self.headers.get("Authorization")
        if not given:
            self._problem(401, "Unauthorized", "a bearer token is required", auth=True)
            return False
        if given != f"Bearer {self.service.token}":
            self._problem(403, "Forbidden", "the token is not valid for this service")
            return False
        return True

    def _headers_valid(self, collection: Collection, operation: Operation) -> bool:
        # Each documented header parameter that was sent must be valid as
        # sent (its text read back by the schema).
        if self._fault("accept-bad-header"):
            return True
        for parameter in operation.parameters:
            value = self.headers.get(parameter.name)
            if parameter.location != "header" or not parameter.pointer or value is None:
                continue
            validator = collection.interface.validator(parameter.pointer)
            if not belongs(parameter, value, validator.is_valid):
                self._problem(
                    400,
                    "Bad Request",
                    f"the header {parameter.name} is not valid as documented",
                )
                return False
        return True

    def _version_accepted(self, collection: Collection) -> bool:
        wanted = self.headers.get("Accept-Standard")
        if not wanted or self._fault("ignore-accept-standard"):
            return True
        implemented = collection.standard
        try:
            ref = StandardRef.parse(wanted)
        except ValueError:
            ref = None
        if (
            ref is not None
            and ref.id == implemented.id
            and ref.matches(implemented.version)
        ):
            return True
        self._problem(
            406,
            "Not Acceptable",
            f"this service implements {implemented.ref}, not {wanted}",
        )
        return False

    # -- roles ------------------------------------------------------------------

    def _read(
        self, collection: Collection, operation: Operation, params: dict[str, str]
    ) -> None:
        key = params.get(collection.key, "")
        with collection.lock:
            record = collection.records.get(key)
            others = list(collection.records.values())
        if record is None:
            if self._fault("server-error-on-missing"):
                self._traceback_500(key)
                return
            self._problem(404, "Not Found", f"no resource with {collection.key} {key}")
            return
        status = 203 if self._fault("undocumented-status") else 200
        if self._wants_xml(operation):
            shown: JsonValue = record
            if self._fault("xml-json-mismatch"):
                shown = next((r for r in others if r is not record), record)
            self._send_xml(status, collection, shown)
            return
        self._send_json(status, self._resource(collection, record))

    def _list(self, collection: Collection, query: dict[str, str]) -> None:
        try:
            limit = int(query.get("limit", "20"))
            offset = (
                int(base64.urlsafe_b64decode(query["cursor"]).decode())
                if query.get("cursor")
                else 0
            )
        except (ValueError, UnicodeDecodeError):
            self._list_refused(collection, "limit and cursor must be as documented")
            return
        if not 1 <= limit <= 50:
            self._list_refused(collection, "limit must be between 1 and 50")
            return
        with collection.lock:
            records = list(collection.records.values())
        size = limit + 3 if self._fault("oversized-pages") else limit
        page = records[offset : offset + size]
        following = offset + size
        cursor = (
            base64.urlsafe_b64encode(str(following).encode()).decode()
            if following < len(records)
            else None
        )
        items = [self._resource(collection, r) for r in page]
        self._send_json(200, {"items": items, "next": cursor})

    def _list_refused(self, collection: Collection, detail: str) -> None:
        if self._fault("leak-on-list-400"):
            detail += (
                f"\nsqlite3.OperationalError: SELECT * FROM {collection.standard.id}"
                f" ORDER BY {collection.key} LIMIT ? OFFSET ?"
            )
        self._problem(400, "Bad Request", detail)

    def _create(
        self, collection: Collection, operation: Operation, body: bytes
    ) -> None:
        media = operation.request.get("application/json")
        if media is None or media.pointer is None:
            self._problem(415, "Unsupported Media Type", "send application/json")
            return
        if self._crashes_on(body):
            self._send(500, b"Internal Server Error", "text/plain")
            return
        validator = collection.interface.validator(media.pointer)
        findings = [
            f for f in validate_json(body, validator) if f.severity.value == "error"
        ]
        if self._fault("accept-long-fin") and _only_long_fin(findings, body):
            findings = []
        if findings and not self._fault("accept-invalid-body"):
            errors: list[JsonValue] = [
                {
                    "pointer": ""
                    if self._fault("problem-without-pointer")
                    else (f.pointer or ""),
                    # problem-details caps a detail at 500 characters; a
                    # validator message quotes the value, which may be long.
                    "detail": _shorten(f.message, 500),
                }
                for f in findings
            ]
            self._problem(
                422,
                "Unprocessable Content",
                "the request body is not valid",
                errors=errors,
            )
            return
        record: JsonValue
        try:
            record = json.loads(body)
        except ValueError:
            record = {}
        found = (
            member_at(record, collection.pointer) if isinstance(record, dict) else None
        )
        key = str(found) if found is not None else secrets.token_hex(4)
        with collection.lock:
            if key in collection.records:
                self._problem(409, "Conflict", f"{collection.key} {key} already exists")
                return
            if not self._fault("lost-create"):
                collection.records[key] = record
        reads = collection.interface.by_role("read")
        location = reads[0].path.replace(f"{{{collection.key}}}", key) if reads else ""
        if self._fault("lost-create"):
            location = location.rsplit("/", 1)[0] + "/nowhere-" + secrets.token_hex(3)
        shown = record
        if self._fault("incomplete-created-reply"):
            shown = self._without_first_required(collection, record)
        self._send_json(201, shown, extra={"Location": location})

    # -- replies ------------------------------------------------------------------

    def _crashes_on(self, body: bytes) -> bool:
        text = body.decode("utf-8", "replace")
        if self._fault("crash-on-letter") and ("ğ" in text or "Ğ" in text):
            return True
        if self._fault("crash-on-max-length"):
            try:
                value = json.loads(text)
            except ValueError:
                return False
            return any(len(s) >= 100 for s in _strings(value))
        return False

    def _resource(self, collection: Collection, record: JsonValue) -> JsonValue:
        if not self._fault("missing-required-field"):
            return record
        return self._without_first_required(collection, record)

    def _without_first_required(
        self, collection: Collection, record: JsonValue
    ) -> JsonValue:
        if not isinstance(record, dict):  # answered with a 500, as any failure
            raise TypeError(f"the stored resource is not an object: {record!r}")
        binding = collection.standard.json
        assert binding is not None  # a served standard has a JSON binding
        schema = collection.interface.loader.retrieve(
            self.service.registry.uri_for(binding.path)
        )
        required = _required_members(collection, schema)
        return {k: v for k, v in record.items() if not required or k != required[0]}

    def _wants_xml(self, operation: Operation) -> bool:
        accept = self.headers.get("Accept", "")
        offered = (operation.documented(200) or {}).get("application/xml")
        if offered is None or self._fault("ignore-xml-accept"):
            return False
        return "application/xml" in accept and "application/json" not in accept

    def _common_headers(self) -> dict[str, str]:
        headers = {}
        correlation = self.headers.get("X-Correlation-ID")
        if correlation and not self._fault("lose-correlation-id"):
            headers["X-Correlation-ID"] = correlation
        collection = self._collection
        if collection is not None and not self._fault("no-standard-header"):
            declared = collection.standard.ref
            if self._fault("declare-old-version"):
                old = [
                    s
                    for s in self.service.registry.versions(collection.standard.id)
                    if s.status in (Status.DEPRECATED, Status.RETIRED)
                ]
                declared = old[0].ref if old else declared
            headers["Standard"] = declared
        return headers

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**self._common_headers(), **(extra or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(
        self, status: int, value: JsonValue, extra: Mapping[str, str] | None = None
    ) -> None:
        content_type = (
            "text/plain" if self._fault("wrong-content-type") else "application/json"
        )
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self._send(status, body, content_type, extra)

    def _send_xml(self, status: int, collection: Collection, record: JsonValue) -> None:
        # Imported here: the bindings load xmlschema's model (~130 ms), which
        # only an XML reply needs.
        from conformance.validation.bindings import json_to_xml, xsd_model

        standard = collection.standard
        assert standard.xml is not None
        assert standard.xml.root is not None
        data = json_to_xml(
            record, xsd_model(self.service.registry, standard), standard.xml.root
        )
        if self._fault("invalid-xml"):
            root = etree.fromstring(data)
            children = [c for c in root if isinstance(c.tag, str)]
            if children:
                root.remove(children[0])
            data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        self._send(status, data, "application/xml")

    def _problem(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: list[JsonValue] | None = None,
        auth: bool = False,
    ) -> None:
        extra = {"WWW-Authenticate": 'Bearer realm="reference"'} if auth else {}
        if self._fault("plain-json-errors"):
            body = json.dumps({"error": detail}).encode("utf-8")
            self._send(status, body, "application/json", extra)
            return
        problem: dict[str, JsonValue] = {
            "type": "https://standards.e-gov.az/problems/"
            + title.lower().replace(" ", "-"),
            "title": title,
            "status": status,
            "detail": detail,
        }
        if errors:
            problem["errors"] = errors
        correlation = self.headers.get("X-Correlation-ID")
        if correlation and _is_uuid(correlation):
            problem["correlationId"] = correlation
        if self._fault("leak-internals"):
            problem["detail"] = (
                detail
                + "\nTraceback (most recent call last):\n"
                + '  File "/srv/reference/handlers.py", line 212, in read\n'
                + "KeyError: 'resource'"
            )
        body = json.dumps(problem, ensure_ascii=False).encode("utf-8")
        self._send(status, body, _PROBLEM, extra)

    def _traceback_500(self, key: str) -> None:
        try:
            raise KeyError(key)
        except KeyError:
            text = traceback.format_exc()
        self._send(500, text.encode("utf-8"), "text/plain")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _strings(value: JsonValue) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _only_long_fin(findings: list[Finding], body: bytes) -> bool:
    try:
        fin = json.loads(body).get("fin")
    except (ValueError, AttributeError):
        return False
    return (
        len(findings) == 1
        and findings[0].pointer == "/fin"
        and isinstance(fin, str)
        and len(fin) == 8
    )


def _is_uuid(value: str) -> bool:
    return (
        re.fullmatch(
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            value,
        )
        is not None
    )


def _required_members(collection: Collection, document: JsonValue) -> list[str]:
    # The wrapper schemas of interface versions $ref the previous version.
    schema: Any = document  # any JSON, followed through its $refs
    seen = 0
    while (
        isinstance(schema, dict)
        and "required" not in schema
        and "$ref" in schema
        and seen < 5
    ):
        uri = urljoin(schema.get("$id", ""), schema["$ref"].split("#")[0])
        schema = collection.interface.loader.retrieve(uri)
        seen += 1
    required = schema.get("required", []) if isinstance(schema, dict) else []
    key = collection.pointer.lstrip("/")
    return [name for name in required if name != key] or list(required)
