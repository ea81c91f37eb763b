"""The built-in checks. Each tests one requirement of ``exchange-rules@1.2.0``.

A check returns its findings (none means it passed), or raises
:class:`Skip`, :class:`NotApplicable` or :class:`Unavailable`. Every
request it sends is kept as evidence by the context.
"""

from __future__ import annotations

import contextlib
import re
import statistics
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TypedDict, Unpack, cast

from lxml import etree

from conformance.errors import ConformanceError, RegistryError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.inputs.xml_input import parse_xml
from conformance.model import Finding, JsonValue, Severity
from conformance.probing.checks import check
from conformance.probing.checks.context import (
    CheckContext,
    NotApplicable,
    Skip,
    Unavailable,
)
from conformance.probing.conventions import Pagination
from conformance.probing.http import Exchange, WriteRefused, is_loopback
from conformance.probing.interfaces import Media, Operation, clark, member_at
from conformance.probing.media import JSON, PROBLEM, XML
from conformance.probing.parameters import header_readings
from conformance.registry.manifest import Status
from conformance.validation.json_validation import (
    JsonValidator,
    json_validator,
    validate_json,
)
from conformance.validation.xml_validation import validate_xml, xml_validator

# What server internals look like when they leak into a reply.
_LEAKS = [
    (re.compile(r"Traceback \(most recent call last\)"), "a Python traceback"),
    (re.compile(r'File "[^"]+\.py", line \d+'), "a Python source file and line"),
    (
        re.compile(r"\bat [a-z][\w$]*(\.[\w$]+)+\([\w$]+\.java:\d+\)"),
        "a Java stack frame",
    ),
    (re.compile(r"\bException in thread\b"), "a Java exception"),
    (
        re.compile(r"(?:/usr/|/home/|/var/|/opt/|/srv/|[A-Z]:\\\\)[\w./\\-]+"),
        "a file path",
    ),
    (
        re.compile(
            r"\b(?:SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b",
            re.I | re.S,
        ),
        "an SQL statement",
    ),
    (
        re.compile(r"\bSQLSTATE\b|\bORA-\d{5}\b|psycopg2?\.|sqlite3\.|\bjava\.sql\."),
        "a database error",
    ),
    (
        re.compile(
            r"\b(?:werkzeug|django\.|flask\.|uvicorn|gunicorn|Microsoft\.AspNetCore)\b",
            re.I,
        ),
        "a server framework's internals",
    ),
]


def _status_text(exchange: Exchange) -> str:
    return f"{exchange.method} {exchange.url} answered {exchange.status}"


class _MainOptions(TypedDict, total=False):
    accept: str | None
    auth: bool | str


def _main_request(
    ctx: CheckContext, operation: Operation, **options: Unpack[_MainOptions]
) -> Exchange:
    """The operation's ordinary request: read an existing resource, list, create.

    It asks (``Accept``) for the first media type the operation documents
    for success, unless the check asks for another; every required parameter
    is filled (:meth:`CheckContext.path`); a list asks for a short page in its
    pagination style where those parameters are optional.
    """
    if "accept" not in options:
        options["accept"] = _preferred(operation)
    if operation.role == "read":
        return ctx.send("GET", ctx.path(operation), **options)
    if operation.role == "list":
        params = _page_params(ctx.service.conventions.pagination, 2, None)
        short = {
            name: value
            for name, value in params.items()
            if (parameter := operation.parameter(name)) is not None
            and not parameter.required
        }
        return ctx.send("GET", ctx.path(operation), params=short or None, **options)
    if operation.role == "create":
        try:
            return ctx.send(
                "POST", ctx.path(operation), json_body=ctx.valid_body(), **options
            )
        except WriteRefused as exc:
            raise Skip(str(exc)) from None
    raise NotApplicable(f"{operation.id} has no role the suite knows")


def _preferred(operation: Operation) -> str | None:
    for status in ("200", "201", "2XX"):
        media = operation.responses.get(status)
        if media:
            return next(iter(media))
    return JSON


def _charset_findings(ctx: CheckContext, exchange: Exchange) -> list[Finding]:
    """A declared charset must decode the body; JSON is UTF-8 (RFC 8259 §8.1)."""
    value = exchange.header("Content-Type") or ""
    params = dict(
        (k.strip().lower(), v.strip().strip('"'))
        for k, _, v in (p.partition("=") for p in value.split(";")[1:])
    )
    charset = params.get("charset")
    media_type = exchange.media_type or ""
    is_json = media_type == JSON or media_type.endswith("+json")
    if charset is None:
        return []
    if is_json and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        return [
            ctx.finding(
                f"{_status_text(exchange)} with Content-Type {value}; JSON is"
                " exchanged as UTF-8 (RFC 8259 §8.1)"
            )
        ]
    try:
        exchange.body.decode(charset)
    except LookupError:
        return [ctx.finding(f"Content-Type {value} names an unknown charset")]
    except UnicodeDecodeError as exc:
        return [
            ctx.finding(
                f"Content-Type {value}, but the body is not {charset} at byte"
                f" {exc.start}"
            )
        ]
    return []


def _body_findings(
    ctx: CheckContext, operation: Operation, exchange: Exchange
) -> list[Finding]:
    """The reply's body against the schema documented for its status and type."""
    documented = operation.documented(exchange.status) or {}
    media = documented.get(exchange.media_type or "")
    if media is None:
        return []  # the status and content-type checks report this
    return _media_findings(ctx, media, exchange)


def _media_findings(
    ctx: CheckContext, media: Media, exchange: Exchange
) -> list[Finding]:
    """The body against one documented media type's schema or XSD elements."""
    if media.xsd_elements:
        return _xml_findings(ctx, exchange, media.xsd_elements)
    if media.pointer is None:
        return []
    validator = ctx.service.interface.validator(media.pointer)
    return validate_json(exchange.body, validator)


def _xml_findings(
    ctx: CheckContext, exchange: Exchange, elements: tuple[str, ...]
) -> list[Finding]:
    """The reply against the documented XSD elements: its root must be one of
    them (of the version's XSDs or of a schema they import), and valid."""
    documented = frozenset(clark(e) for e in elements)
    parsed = parse_xml(exchange.body)
    if parsed.ok and parsed.tree is not None:
        root = etree.QName(parsed.tree.getroot())
        if root.text not in documented:
            return [
                ctx.finding(
                    f"the XML root is {{{root.namespace or ''}}}{root.localname};"
                    f" the interface documents {' or '.join(elements)}"
                )
            ]
    schema = xml_validator(ctx.service.registry, ctx.service.standard)
    return validate_xml(exchange.body, schema, roots=documented)


def _error_findings(
    ctx: CheckContext, operation: Operation | None, exchange: Exchange
) -> list[Finding]:
    """Why an error reply breaks the service's error contract (empty when not).

    The contract is what the interface documents for the operation and status
    (media types and their schemas or XSD elements); where it documents
    nothing, the media types of ``[service.errors]`` (problem details by
    default). A problem-details reply with no documented schema is judged by
    RFC 9457's shape (problem-details@1.0.0).
    """
    conventions = ctx.service.conventions
    documented = operation.documented(exchange.status) if operation else None
    allowed = sorted(documented) if documented else list(conventions.error_media_types)
    media_type = exchange.media_type or ""
    problem = media_type == PROBLEM
    rule = "problem-details" if problem or allowed == [PROBLEM] else "error-contract"
    if media_type not in allowed:
        where = (
            f"{operation.id} documents for {exchange.status}"
            if documented and operation
            else "the error contract ([service.errors] media_types) is"
        )
        return [
            ctx.finding(
                f"{_status_text(exchange)} with Content-Type"
                f" {exchange.header('Content-Type') or '(none)'}; {where}"
                f" {', '.join(allowed)}",
                rule=rule,
            )
        ]
    media = documented.get(media_type) if documented else None
    if media is not None and (media.pointer or media.xsd_elements):
        found = _media_findings(ctx, media, exchange)
    elif problem and (validator := _rfc9457(ctx)) is not None:
        found = validate_json(exchange.body, validator)
    else:
        return []  # a documented media type without a schema: nothing to judge
    what = "problem details" if problem else "error reply"
    return [
        ctx.finding(
            f"the {what} is not valid: {finding.location}: {finding.message}",
            pointer=finding.pointer,
            rule=rule,
        )
        for finding in found
    ]


def _rfc9457(ctx: CheckContext) -> JsonValidator | None:
    registry = ctx.service.registry
    try:
        return json_validator(registry, registry.resolve("problem-details@1.0.0"))
    except ConformanceError:
        return None  # a registry without it: the documented schemas still apply


def _problem(exchange: Exchange) -> dict[str, JsonValue] | None:
    try:
        value = exchange.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


# -- availability and performance --------------------------------------------


@check(
    "timeout",
    title="The service answers within the profile's timeout",
    requirement="ER-HTTP-13",
    conformance_class="availability",
)
def answers_in_time(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation_with_role("read")
    exchange = ctx.send("GET", ctx.path(operation), tolerate=True)
    if exchange.error_kind == "timeout":
        return [ctx.finding(f"{exchange.method} {exchange.url}: {exchange.error}")]
    if exchange.status is None:
        raise Unavailable(exchange)
    return []


@check(
    "latency",
    title="The 95th percentile of latency is within the profile's objective",
    requirement="ER-HTTP-13",
    conformance_class="performance",
)
def latency(ctx: CheckContext) -> list[Finding]:
    target = ctx.service.target
    if target.latency_objective_ms is None:
        raise NotApplicable("the profile sets no latency_objective_ms for this service")
    operation = ctx.operation_with_role("read")
    path = ctx.path(operation)
    times = []
    for _ in range(target.latency_samples):
        exchange = ctx.send("GET", path)
        times.append(exchange.elapsed * 1000)
    # Keep the evidence short: the samples, not every exchange.
    ctx.exchanges[:] = ctx.exchanges[:1]
    ordered = sorted(times)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    ctx.notes["latency_ms"] = {
        "samples": len(times),
        "p50": round(cuts[49], 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
        "max": round(ordered[-1], 1),
        "objective_p95": target.latency_objective_ms,
    }
    if cuts[94] > target.latency_objective_ms:
        return [
            ctx.finding(
                f"the 95th percentile of {len(times)} requests is {cuts[94]:.0f} ms;"
                f" the objective is {target.latency_objective_ms:g} ms"
            )
        ]
    return []


# -- what every reply carries --------------------------------------------------


@check(
    "documented-status",
    title="Only status codes the interface documents",
    requirement="ER-HTTP-10",
    conformance_class="core",
    roles=("read", "list", "create"),
)
def documented_status(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = _main_request(ctx, operation)
    if operation.documented(exchange.status) is None:
        listed = ", ".join(sorted(operation.responses))
        return [
            ctx.finding(
                f"{_status_text(exchange)}, which {operation.id} does not document"
                f" (documented: {listed})"
            )
        ]
    return []


@check(
    "content-type",
    title="The Content-Type is a documented media type",
    requirement="ER-HTTP-11",
    conformance_class="core",
    roles=("read", "list"),
)
def content_type(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = _main_request(ctx, operation)
    documented = operation.documented(exchange.status)
    if documented is None:
        raise Skip(f"{_status_text(exchange)}, an undocumented status")
    if documented and exchange.media_type not in documented:
        return [
            ctx.finding(
                f"{_status_text(exchange)} with Content-Type"
                f" {exchange.header('Content-Type') or '(none)'}; documented:"
                f" {', '.join(sorted(documented))}"
            )
        ]
    return _charset_findings(ctx, exchange)


@check(
    "documented-media-types",
    title="Each documented media type is served when Accept asks for it",
    requirement="ER-HTTP-11",
    conformance_class="core",
    roles=("read", "list"),
)
def documented_media_types(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    offered = operation.documented(200) or {}
    if len(offered) < 2:
        raise NotApplicable(
            f"{operation.id} does not offer more than one media type for 200;"
            " content-type and json-body check the one it offers"
        )
    found = []
    for media_type, media in offered.items():
        exchange = _main_request(ctx, operation, accept=media_type)
        documented = operation.documented(exchange.status)
        if exchange.status != 200 or documented is None:
            found.append(
                ctx.finding(
                    f"asked for {media_type}, which {operation.id} documents:"
                    f" {_status_text(exchange)}"
                )
            )
            continue
        if exchange.media_type != media_type:
            continue  # Accept is a preference; content-type judges what came
        found += _media_findings(ctx, media, exchange)
    return found


@check(
    "json-body",
    title="JSON bodies are valid against the operation's schema",
    requirement="ER-HTTP-12",
    conformance_class="core",
    roles=("read", "list"),
)
def json_body(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = _main_request(ctx, operation, accept=JSON)
    if exchange.status not in (200, 201):
        raise Skip(f"{_status_text(exchange)}; the body check needs a success")
    documented = (operation.documented(exchange.status) or {}).get(
        exchange.media_type or ""
    )
    if documented is None:
        # Nothing was validated: skipped, never passed (docs/checks.md); the
        # content-type check reports the undocumented media type.
        raise Skip(
            f"{_status_text(exchange)} with Content-Type {exchange.media_type},"
            " which the interface does not document; the content-type check"
            " reports that"
        )
    if documented.xsd_elements and documented.pointer is None:
        raise NotApplicable(
            f"{_status_text(exchange)} with {exchange.media_type}: an XML body,"
            " which xml-body judges"
        )
    if documented.pointer is None:
        raise NotApplicable(
            f"the interface documents no schema for {exchange.status}"
            f" {exchange.media_type} of {operation.id}"
        )
    return _body_findings(ctx, operation, exchange)


def _xml_media(operation: Operation) -> Media:
    media = (operation.documented(200) or {}).get(XML)
    if media is None or not media.xsd_elements:
        raise NotApplicable(f"{operation.id} does not offer {XML}")
    return media


@check(
    "xml-body",
    title="XML bodies are valid against the documented XSD element",
    requirement="ER-HTTP-12",
    conformance_class="core",
    roles=("read",),
)
def xml_body(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    media = _xml_media(operation)
    exchange = ctx.send("GET", ctx.path(operation), accept=XML)
    if exchange.status != 200 or exchange.media_type != XML:
        raise Skip(
            f"{_status_text(exchange)} with {exchange.media_type}; the"
            " content-negotiation check reports that"
        )
    return _xml_findings(ctx, exchange, media.xsd_elements)


@check(
    "content-negotiation",
    title="XML is served when the Accept header asks for it",
    requirement="ER-HTTP-18",
    conformance_class="content",
    roles=("read",),
)
def content_negotiation(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    _xml_media(operation)
    exchange = ctx.send("GET", ctx.path(operation), accept=XML)
    if exchange.status != 200 or exchange.media_type != XML:
        return [
            ctx.finding(
                f"asked for {XML}, {_status_text(exchange)} with"
                f" {exchange.header('Content-Type') or 'no Content-Type'}"
            )
        ]
    return []


@check(
    "same-data",
    title="The JSON and XML representations carry the same data",
    requirement="ER-HTTP-16",
    conformance_class="content",
    roles=("read",),
)
def same_data(ctx: CheckContext) -> list[Finding]:
    # Imported here: the bindings load xmlschema's model (~130 ms), which only
    # this check needs; listing the checks must not pay for it.
    from conformance.validation.bindings import xml_to_json, xsd_model

    operation = ctx.operation
    assert operation is not None
    _xml_media(operation)
    if JSON not in (operation.documented(200) or {}):
        raise NotApplicable(f"{operation.id} does not offer {JSON} beside XML")
    as_json = ctx.send("GET", ctx.path(operation), accept=JSON)
    as_xml = ctx.send("GET", ctx.path(operation), accept=XML)
    if as_json.status != 200 or as_xml.status != 200 or as_xml.media_type != XML:
        raise Skip("both representations are needed; the other checks say why not")
    try:
        left = as_json.json()
        right = xml_to_json(
            as_xml.body, xsd_model(ctx.service.registry, ctx.service.standard)
        )
    except Exception as exc:  # an unreadable body is the body checks' finding
        raise Skip(f"a representation could not be read: {exc}") from None
    return [
        ctx.finding(f"{where}: JSON has {a!r}, XML has {b!r}", pointer=where)
        for where, a, b in _differences(left, right)
    ]


def _differences(
    left: object, right: object, where: str = ""
) -> list[tuple[str, object, object]]:
    if isinstance(left, dict) and isinstance(right, dict):
        found: list[tuple[str, object, object]] = []
        for key in sorted(set(left) | set(right)):
            here = f"{where}/{escape_pointer_token(key)}"
            found += _differences(
                left.get(key, _MISSING), right.get(key, _MISSING), here
            )
        return found
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        found = []
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            found += _differences(a, b, f"{where}/{index}")
        return found
    if left == right and type(left) is type(right):
        return []
    if (
        isinstance(left, int | float)
        and isinstance(right, int | float)
        and left == right
    ):
        return []
    return [(where or "/", left, right)]


class _Missing:
    def __repr__(self) -> str:
        return "nothing"


_MISSING = _Missing()


# -- headers ------------------------------------------------------------------


@check(
    "correlation-id",
    title="The correlation id is echoed",
    requirement="ER-HTTP-1",
    conformance_class="correlation",
    roles=("read",),
)
def correlation_id(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    name = ctx.service.conventions.correlation_header
    sent = str(uuid.uuid4())
    exchange = ctx.send("GET", ctx.path(operation), correlation_id=sent)
    echoed = exchange.header(name)
    if echoed != sent:
        return [
            ctx.finding(
                f"sent {name} {sent}; the reply"
                + (f" echoed {echoed!r}" if echoed else f" had no {name}")
            )
        ]
    return []


@check(
    "documented-headers",
    title="Replies carry the headers the interface documents, with valid values",
    requirement="ER-HTTP-10",
    conformance_class="core",
    roles=("read", "list", "create"),
)
def documented_headers(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = _main_request(ctx, operation)
    documented = operation.documented_headers(exchange.status)
    if not documented:
        raise NotApplicable(
            f"{operation.id} documents no response header for {exchange.status}"
        )
    found = []
    for header in documented:
        value = exchange.header(header.name)
        if value is None:
            if header.required:
                found.append(
                    ctx.finding(
                        f"{_status_text(exchange)} without the header {header.name},"
                        f" which {operation.id} documents as required"
                    )
                )
            continue
        if header.pointer is None:
            continue
        # A header is text: valid when any value it may stand for is (the
        # same reading as for header parameters).
        validator = ctx.service.interface.validator(header.pointer)
        readings = header_readings(value)
        if any(validator.is_valid(reading) for reading in readings):
            continue
        # Explained by the reading that breaks least, a typed scalar first
        # ("-5" as the number -5, not as text or a list of one).
        explained = [
            (len(found), isinstance(r, list | dict), isinstance(r, str), i, found)
            for i, r in enumerate(readings)
            if (found := validator.findings(r))
        ]
        for problem in min(explained)[-1]:
            found.append(
                ctx.finding(
                    f"{_status_text(exchange)} with {header.name}: {value!r},"
                    f" not valid against its documented schema: {problem.message}"
                )
            )
    return found


@check(
    "standard-declared",
    title="The implemented standard version is declared",
    requirement="ER-HTTP-2",
    conformance_class="versioning",
    roles=("read",),
)
def standard_declared(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    conventions = ctx.service.conventions
    name = conventions.version_header
    exchange = ctx.send("GET", ctx.path(operation))
    declared = exchange.header(name)
    expected = conventions.declared_version(ctx.service.standard)
    if declared is None:
        return [ctx.finding(f"the reply has no {name} header (expected {expected})")]
    if declared.strip() != expected:
        return [
            ctx.finding(
                f"the reply declares {name}: {declared}; the profile says the"
                f" service implements {ctx.service.standard.ref}, declared as"
                f" {expected}"
            )
        ]
    return []


def _unsupported_request(ctx: CheckContext) -> tuple[str, str]:
    """A version request header naming the next major version: (name, value)."""
    conventions = ctx.service.conventions
    standard = ctx.service.standard
    wanted = conventions.version_request(standard, standard.version.major + 1)
    return conventions.version_request_header, wanted


@check(
    "unsupported-version",
    title="An unsupported requested version is refused",
    requirement="ER-HTTP-3",
    conformance_class="versioning",
    roles=("read",),
)
def unsupported_version(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    name, wanted = _unsupported_request(ctx)
    expected = ctx.service.conventions.unsupported_version_status
    exchange = ctx.send("GET", ctx.path(operation), headers={name: wanted})
    if exchange.status not in expected:
        return [
            ctx.finding(
                f"asked for {name}: {wanted}, which the service does not"
                f" implement; {_status_text(exchange)} instead of"
                f" {' or '.join(map(str, expected))}"
            )
        ]
    return _error_findings(ctx, operation, exchange)


# -- errors ---------------------------------------------------------------------


@check(
    "unknown-resource",
    title="An unknown resource gets the documented status and error reply",
    requirement="ER-HTTP-14",
    conformance_class="errors",
    roles=("read",),
)
def unknown_resource(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    expected = ctx.service.conventions.unknown_status
    exchange = ctx.send("GET", ctx.path(operation, which="missing"))
    if exchange.status not in expected:
        return [
            ctx.finding(
                f"a resource that does not exist: {_status_text(exchange)}, not"
                f" {' or '.join(map(str, expected))}"
            )
        ]
    return _error_findings(ctx, operation, exchange)


@check(
    "problem-details",
    title="Error replies follow the documented error contract",
    requirement="ER-HTTP-4",
    conformance_class="errors",
    roles=("read",),
)
def problem_details(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = ctx.send("GET", ctx.path(operation, which="missing"))
    if exchange.status is None or exchange.status < 400:
        raise Skip(f"{_status_text(exchange)}: no error reply to look at")
    return _error_findings(ctx, operation, exchange)


@check(
    "no-internals",
    title="Error replies leak no stack trace, path, SQL or server internals",
    requirement="ER-HTTP-6",
    conformance_class="errors",
    roles=("read", "list", "create", "get"),
)
def no_internals(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    replies = [
        exchange for exchange in _error_replies(ctx, operation) if exchange.status
    ]
    errors = [e for e in replies if e.status is not None and e.status >= 400]
    if not errors:
        raise Skip(
            f"none of the {len(replies)} requests meant to provoke an error of"
            f" {operation.id} got one; no error reply to look at"
        )
    return [finding for exchange in errors for finding in leak_findings(ctx, exchange)]


def _error_replies(ctx: CheckContext, operation: Operation) -> Iterator[Exchange]:
    """Requests that should fail: an unknown resource, another version, a
    wrong token, each parameter with an invalid value, an unreadable body."""
    name, wanted = _unsupported_request(ctx)
    other = {name: wanted}
    if operation.method != "GET":
        # A write is provoked with a body no service can store.
        unreadable: dict[str, str] = {"Content-Type": JSON}
        try:
            path = ctx.path(operation)
            yield ctx.send(operation.method, path, body=b"{", headers=unreadable)
            if operation.secured:
                yield ctx.send(
                    operation.method,
                    path,
                    body=b"{",
                    headers=unreadable,
                    auth="not-a-valid-token",
                )
        except WriteRefused as exc:
            raise Skip(str(exc)) from None
        return
    with contextlib.suppress(Skip):  # without test data, the others still run
        if operation.role == "read":
            yield ctx.send("GET", ctx.path(operation, which="missing"))
    try:
        path = ctx.path(operation)
    except Skip:
        return
    yield ctx.send("GET", path, headers=other)
    if operation.secured:
        yield ctx.send("GET", path, auth="not-a-valid-token")
    for parameter in operation.parameters:
        broken = ctx.broken_request(operation, parameter)
        if broken is not None:
            yield ctx.send("GET", broken[0], headers=broken[1])


def leak_findings(
    ctx: CheckContext, exchange: Exchange, *, requirement: str | None = None
) -> list[Finding]:
    """What server internals an error reply discloses, in its body or headers.

    ``requirement`` is the one the findings cite when another check than
    no-internals looks (fuzzing cites ER-HTTP-6 in its own results).
    """
    if exchange.status is None or exchange.status < 400:
        return []
    text = exchange.body.decode("utf-8", "replace")
    headers = " ".join(f"{k}: {v}" for k, v in exchange.response_headers.items())
    found = []
    for pattern, what in _LEAKS:
        match = pattern.search(text) or pattern.search(headers)
        if match:
            finding = ctx.finding(
                f"{_status_text(exchange)} and its reply discloses {what}:"
                f" {match.group(0)[:120]!r}",
                rule="no-internals" if requirement else None,
            )
            if requirement:
                finding = replace(finding, requirement=requirement)
            found.append(finding)
    return found


# -- security and transport -------------------------------------------------------


@check(
    "authentication",
    title="Missing or wrong credentials give 401 or 403",
    requirement="ER-HTTP-8",
    conformance_class="security",
    roles=("read", "list"),
)
def authentication(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    if not operation.secured:
        raise NotApplicable(f"{operation.id} is not a secured operation")
    found = []
    for label, auth in (
        ("no credential", False),
        ("a wrong token", "not-a-valid-token"),
    ):
        exchange = _main_request(ctx, operation, auth=auth)
        if exchange.status not in (401, 403):
            found.append(
                ctx.finding(
                    f"with {label}, {_status_text(exchange)} instead of 401 or 403"
                )
            )
    return found


@check(
    "tls",
    title="The service is reached over verified TLS",
    requirement="ER-HTTP-7",
    conformance_class="transport",
)
def tls(ctx: CheckContext) -> list[Finding]:
    target = ctx.service.target
    base = ctx.service.client.base_url
    if base.startswith("http://"):
        if is_loopback(base):
            raise NotApplicable(
                "plain HTTP on a loopback test host, which the rules allow"
            )
        return [ctx.finding(f"{base} is plain HTTP")]
    operation = ctx.operation_with_role("read")
    exchange = ctx.send("GET", ctx.path(operation), tolerate=True)
    if exchange.error_kind == "tls":
        where = f" with the CA bundle {target.ca_bundle}" if target.ca_bundle else ""
        return [ctx.finding(f"{base}: {exchange.error}{where}")]
    if exchange.status is None:
        raise Unavailable(exchange)
    return []


# -- versions ---------------------------------------------------------------------


@check(
    "standard-lifecycle",
    title="The implemented standard version is in force",
    requirement="ER-VERSION-1",
    conformance_class="versioning",
)
def standard_lifecycle(ctx: CheckContext) -> list[Finding]:
    registry = ctx.service.registry
    conventions = ctx.service.conventions
    operation = ctx.operation_with_role("read")
    exchange = ctx.send("GET", ctx.path(operation))
    declared = (exchange.header(conventions.version_header) or "").strip()
    standard = ctx.service.standard
    if declared:
        # The header names a version in the standard's own form ("2.1",
        # "person@1.2.0"): the registry version that would declare it so.
        matches = [
            v
            for v in registry.versions(standard.id)
            if conventions.declared_version(v) == declared
        ]
        if not matches:
            raise Skip(
                f"the service declares {conventions.version_header}: {declared!r},"
                f" which no version of {standard.id} in the registry declares"
            )
        standard = max(matches, key=lambda v: v.version)
    if standard.status is Status.RETIRED:
        return [
            ctx.finding(
                f"the service implements {standard.ref}, retired on {standard.sunset}"
            )
        ]
    if standard.status is Status.DEPRECATED:
        return [
            ctx.finding(
                f"the service implements {standard.ref}, deprecated; its sunset date"
                f" is {standard.sunset}",
                severity=Severity.WARNING,
                rule="standard-deprecated",
            )
        ]
    return []


# -- collections ------------------------------------------------------------------


@check(
    "pagination",
    title="Collections paginate within their documented limits",
    requirement="ER-HTTP-9",
    conformance_class="pagination",
    roles=("list",),
)
def pagination(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    style = ctx.service.conventions.pagination
    size_name = style.size_parameter
    names = [size_name, style.cursor if style.style == "cursor" else None]
    names += [style.offset if style.style == "offset" else None]
    names += [style.page if style.style == "page" else None]
    for name in filter(None, names):
        if operation.parameter(name) is None:
            raise RegistryError(
                f"{ctx.service.conventions.source}: pagination style"
                f" {style.style!r} pages with the parameter {name!r}, which"
                f" {operation.id} ({operation.method} {operation.path}) does not"
                " document; name the operation's own parameter in"
                " [service.pagination]"
            )
    key = ctx.key_pointer()
    found = []
    base = ctx.path(operation)  # with the operation's required parameters
    first = ctx.send("GET", base, params=_page_params(style, 2, None))
    if first.status != 200:
        raise Skip(f"{_status_text(first)}; the list check needs a page")
    page = _page(first, style)
    if isinstance(page, str):
        return [ctx.finding(f"the reply is not a page: {page}")]
    found += [ctx.finding(f"the first page: {p}") for p in _page_problems(page, 2)]
    following = _following(base, style, page)
    if following is not None:
        try:
            second = ctx.send("GET", following[0], params=following[1])
        except ValueError as exc:  # a next link off the service
            return [*found, ctx.finding(f"the next page's link: {exc}")]
        more = _page(second, style) if second.status == 200 else None
        if more is None or isinstance(more, str):
            why = f": {more}" if isinstance(more, str) else ""
            found.append(ctx.finding(f"the next page: {_status_text(second)}{why}"))
        else:
            seen = {_key(item, key) for item in page.items}
            if any(_key(item, key) in seen for item in more.items):
                found.append(ctx.finding("the next page repeats items of the first"))
            found += [
                ctx.finding(f"the next page: {p}") for p in _page_problems(more, 2)
            ]
    found += _over_maximum(ctx, operation, base, style, size_name)
    return found


@dataclass(frozen=True)
class _Page:
    items: list[JsonValue]
    cursor: str | None = None  # cursor style
    total: int | None = None  # offset and page styles
    next_href: str | None = None  # links style
    matched: int | None = None
    returned: int | None = None


def _page_params(
    style: Pagination, size: int, position: str | int | None
) -> dict[str, object]:
    """The query of one page: ``position`` is a cursor, an offset or a page."""
    params: dict[str, object] = {style.size_parameter: size}
    if style.style == "cursor" and position is not None and style.cursor:
        params[style.cursor] = position
    elif style.style == "offset" and style.offset:
        params[style.offset] = position or 0
    elif style.style == "page" and style.page:
        params[style.page] = position if position is not None else style.first_page
    return params


def _count(value: JsonValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _page(exchange: Exchange, style: Pagination) -> _Page | str:
    """The page in a reply, or why it is not one."""
    try:
        value = exchange.json()
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON"
    items = member_at(value, style.items) if style.items else value
    if not isinstance(items, list):
        return f"no array of items at {style.items or '/'}"
    page = _Page(items=items)
    if style.style == "cursor" and style.next:
        cursor = member_at(value, style.next)
        page = replace(
            page, cursor=cursor if isinstance(cursor, str) and cursor else None
        )
    if style.total:
        total = _count(member_at(value, style.total))
        if total is None:
            return f"no count of all items (an integer) at {style.total}"
        page = replace(page, total=total)
    if style.style == "links":
        links = member_at(value, style.links or "/links")
        hrefs = [
            link.get("href")
            for link in (links if isinstance(links, list) else [])
            if isinstance(link, dict) and link.get("rel") == "next"
        ]
        href = hrefs[0] if hrefs and isinstance(hrefs[0], str) else None
        page = replace(
            page,
            next_href=href,
            matched=_count(member_at(value, style.matched)) if style.matched else None,
            returned=_count(member_at(value, style.returned))
            if style.returned
            else None,
        )
    return page


def _page_problems(page: _Page, size: int) -> list[str]:
    problems = []
    if len(page.items) > size:
        problems.append(f"asked for {size} items, got {len(page.items)}")
    if page.total is not None and page.total < len(page.items):
        problems.append(
            f"the count of all items is {page.total}, but the page has"
            f" {len(page.items)}"
        )
    if page.returned is not None and page.returned != len(page.items):
        problems.append(
            f"says it returned {page.returned} items, but has {len(page.items)}"
        )
    if (
        page.matched is not None
        and page.returned is not None
        and page.matched < page.returned
    ):
        problems.append(
            f"says {page.matched} items matched, fewer than the {page.returned}"
            " it returned"
        )
    return problems


def _following(
    base: str, style: Pagination, page: _Page
) -> tuple[str, dict[str, object] | None] | None:
    """The request of the page after ``page``: (path or URL, query), if any."""
    if style.style == "cursor":
        if page.cursor is None:
            return None
        return base, _page_params(style, 2, page.cursor)
    if style.style == "links":
        return (page.next_href, None) if page.next_href else None
    if page.total is not None and page.total <= 2:
        return None
    if style.style == "offset":
        return base, _page_params(style, 2, 2)
    return base, _page_params(style, 2, style.first_page + 1)


def _over_maximum(
    ctx: CheckContext,
    operation: Operation,
    base: str,
    style: Pagination,
    size_name: str,
) -> list[Finding]:
    parameter = operation.parameter(size_name)
    if parameter is None or not parameter.pointer:
        return []
    # A parameter's schema is an object.
    schema = cast(
        "dict[str, JsonValue]", ctx.service.interface.schema_at(parameter.pointer)
    )
    maximum = schema.get("maximum")
    if not isinstance(maximum, int):
        return []
    over = ctx.send("GET", base, params=_page_params(style, maximum + 1, None))
    if over.status == 200:
        page = _page(over, style)
        if isinstance(page, _Page) and len(page.items) > maximum:
            return [
                ctx.finding(
                    f"asked for {maximum + 1} items, above the documented maximum"
                    f" {maximum}, and got {len(page.items)}"
                )
            ]
        return []
    if over.status != 400:
        return [
            ctx.finding(
                f"a {size_name} above the maximum: {_status_text(over)}; expected"
                " 400 or a page clamped to the maximum"
            )
        ]
    return []


def _key(item: JsonValue, pointer: str | None) -> JsonValue:
    found = member_at(item, pointer) if pointer else None
    return found if found is not None else repr(item)


# -- writes -----------------------------------------------------------------------


def _invalid_bodies_sent(
    ctx: CheckContext,
) -> Iterator[tuple[Exchange, str | None, str]]:
    """POST each one-field-invalid example body: the reply, its pointer and rule."""
    operation = ctx.operation
    assert operation is not None
    bodies = ctx.invalid_bodies()
    if not bodies:
        raise Skip(
            f"{ctx.service.standard.ref} has no invalid example that breaks one field"
        )
    for body, pointer, rule in bodies:
        try:
            exchange = ctx.send("POST", operation.path, json_body=body)
        except WriteRefused as exc:
            raise Skip(str(exc)) from None
        yield exchange, pointer, rule


@check(
    "invalid-request",
    title="A schema-invalid request gets a 4xx, never 2xx or 5xx",
    requirement="ER-HTTP-15",
    conformance_class="writes",
    roles=("create",),
    writes=True,
)
def invalid_request(ctx: CheckContext) -> list[Finding]:
    found = []
    for exchange, pointer, rule in _invalid_bodies_sent(ctx):
        if exchange.status is None or not 400 <= exchange.status < 500:
            found.append(
                ctx.finding(
                    f"a body breaking {rule} at {pointer or '/'}:"
                    f" {_status_text(exchange)}",
                    pointer=pointer,
                )
            )
    return found


@check(
    "problem-pointer",
    title="Problem details name the offending field by JSON Pointer",
    requirement="ER-HTTP-5",
    conformance_class="problem-details",
    roles=("create",),
    writes=True,
)
def problem_pointer(ctx: CheckContext) -> list[Finding]:
    found = []
    for exchange, pointer, rule in _invalid_bodies_sent(ctx):
        if exchange.status is None or not 400 <= exchange.status < 500:
            continue  # invalid-request reports it
        problem = _problem(exchange) or {}
        errors = problem.get("errors")
        named = (
            [e.get("pointer") for e in errors if isinstance(e, dict)]
            if isinstance(errors, list)
            else []
        )
        if pointer not in named:
            found.append(
                ctx.finding(
                    f"the body broke {rule} at {pointer}; the problem details name"
                    f" {named or 'no field'}",
                    pointer=pointer,
                )
            )
    return found


@check(
    "create-retrievable",
    title="A created resource is retrievable where the reply says, as sent",
    requirement="ER-HTTP-17",
    conformance_class="writes",
    roles=("create",),
    writes=True,
)
def create_retrievable(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    body = ctx.valid_body()
    try:
        created = ctx.send("POST", operation.path, json_body=body)
    except WriteRefused as exc:
        raise Skip(str(exc)) from None
    if created.status != 201:
        return [
            ctx.finding(f"creating a valid resource: {_status_text(created)}, not 201")
        ]
    location = created.header("Location")
    if not location:
        return [ctx.finding("the 201 reply has no Location header")]
    try:
        fetched = ctx.send("GET", location)
    except ValueError as exc:
        return [ctx.finding(f"Location {location!r}: {exc}")]
    if fetched.status != 200:
        return [ctx.finding(f"Location {location}: {_status_text(fetched)}, not 200")]
    try:
        stored = fetched.json()
    except (ValueError, UnicodeDecodeError):
        return [ctx.finding(f"Location {location} did not give JSON")]
    return [
        ctx.finding(f"{where}: sent {a!r}, read back {b!r}", pointer=where)
        for where, a, b in _differences(body, stored)
        if a is not _MISSING
    ]
