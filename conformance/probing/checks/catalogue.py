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
from dataclasses import replace
from typing import TypedDict, Unpack, cast

from lxml import etree

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
from conformance.probing.http import Exchange, WriteRefused, is_loopback
from conformance.probing.interfaces import Media, Operation, member_at, split_clark
from conformance.registry.manifest import Status
from conformance.validation.json_validation import json_validator, validate_json
from conformance.validation.xml_validation import validate_xml, xml_validator

JSON = "application/json"
XML = "application/xml"
PROBLEM = "application/problem+json"

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

    Every required parameter is filled (:meth:`CheckContext.path`); a list
    asks for a short page when it documents an optional ``limit``.
    """
    if operation.role == "read":
        return ctx.send("GET", ctx.path(operation), **options)
    if operation.role == "list":
        limit = operation.parameter("limit")
        short = {"limit": 2} if limit is not None and not limit.required else None
        return ctx.send("GET", ctx.path(operation), params=short, **options)
    if operation.role == "create":
        try:
            return ctx.send(
                "POST", ctx.path(operation), json_body=ctx.valid_body(), **options
            )
        except WriteRefused as exc:
            raise Skip(str(exc)) from None
    raise NotApplicable(f"{operation.id} has no role the suite knows")


def _body_findings(
    ctx: CheckContext, operation: Operation, exchange: Exchange
) -> list[Finding]:
    """The reply's body against the schema documented for its status and type."""
    documented = operation.documented(exchange.status) or {}
    media = documented.get(exchange.media_type or "")
    if media is None:
        return []  # the status and content-type checks report this
    if media.xsd_element:
        return _xml_findings(ctx, exchange, media.xsd_element)
    if media.pointer is None:
        return []
    validator = ctx.service.interface.validator(media.pointer)
    return validate_json(exchange.body, validator)


def _xml_findings(ctx: CheckContext, exchange: Exchange, element: str) -> list[Finding]:
    schema = xml_validator(ctx.service.registry, ctx.service.standard)
    findings = validate_xml(exchange.body, schema)
    namespace, local = split_clark(element)
    if not findings:
        parsed = parse_xml(exchange.body)
        assert parsed.tree is not None  # it was read to be validated
        root = etree.QName(parsed.tree.getroot())
        if (root.namespace, root.localname) != (namespace, local):
            findings.append(
                ctx.finding(
                    f"the XML root is {{{root.namespace}}}{root.localname}; the"
                    f" interface documents {element}"
                )
            )
    return findings


def _problem_findings(ctx: CheckContext, exchange: Exchange) -> list[Finding]:
    """Why an error reply is not valid problem details (empty when it is)."""
    found = []
    if exchange.media_type != PROBLEM:
        found.append(
            ctx.finding(
                f"{_status_text(exchange)} with Content-Type"
                f" {exchange.header('Content-Type') or '(none)'}; error replies are"
                f" {PROBLEM} (RFC 9457)",
                rule="problem-details",
            )
        )
    registry = ctx.service.registry
    validator = json_validator(registry, registry.resolve("problem-details@1.0.0"))
    schema = validate_json(exchange.body, validator)
    for finding in schema:
        found.append(
            ctx.finding(
                "the problem details are not valid:"
                f" {finding.location}: {finding.message}",
                pointer=finding.pointer,
                rule="problem-details",
            )
        )
    return found


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
    return []


@check(
    "json-body",
    title="JSON bodies are valid against the operation's schema",
    requirement="ER-HTTP-12",
    conformance_class="content",
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
    if documented.pointer is None and not documented.xsd_element:
        raise NotApplicable(
            f"the interface documents no schema for {exchange.status}"
            f" {exchange.media_type} of {operation.id}"
        )
    return _body_findings(ctx, operation, exchange)


def _xml_media(operation: Operation) -> Media:
    media = (operation.documented(200) or {}).get(XML)
    if media is None or not media.xsd_element:
        raise NotApplicable(f"{operation.id} does not offer {XML}")
    return media


@check(
    "xml-body",
    title="XML bodies are valid against the documented XSD element",
    requirement="ER-HTTP-12",
    conformance_class="content",
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
    assert media.xsd_element is not None  # _xml_media refuses media without one
    return _xml_findings(ctx, exchange, media.xsd_element)


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
    conformance_class="core",
    roles=("read",),
)
def correlation_id(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    sent = str(uuid.uuid4())
    exchange = ctx.send("GET", ctx.path(operation), correlation_id=sent)
    echoed = exchange.header("X-Correlation-ID")
    if echoed != sent:
        return [
            ctx.finding(
                f"sent X-Correlation-ID {sent}; the reply"
                + (f" echoed {echoed!r}" if echoed else " had no X-Correlation-ID")
            )
        ]
    return []


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
    exchange = ctx.send("GET", ctx.path(operation))
    declared = exchange.header("Standard")
    expected = ctx.service.standard.ref
    if declared is None:
        return [ctx.finding(f"the reply has no Standard header (expected {expected})")]
    if declared.strip() != expected:
        return [
            ctx.finding(
                f"the reply declares Standard: {declared}; the profile says the"
                f" service implements {expected}"
            )
        ]
    return []


@check(
    "unsupported-version",
    title="An unsupported requested version is refused with 406",
    requirement="ER-HTTP-3",
    conformance_class="versioning",
    roles=("read",),
)
def unsupported_version(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    standard = ctx.service.standard
    wanted = f"{standard.id}@{standard.version.major + 1}"
    exchange = ctx.send("GET", ctx.path(operation), headers={"Accept-Standard": wanted})
    if exchange.status != 406:
        return [
            ctx.finding(
                f"asked for Accept-Standard: {wanted}, which the service does not"
                f" implement; {_status_text(exchange)} instead of 406"
            )
        ]
    return _problem_findings(ctx, exchange)


# -- errors ---------------------------------------------------------------------


@check(
    "unknown-resource",
    title="An unknown resource gives 404 with problem details",
    requirement="ER-HTTP-14",
    conformance_class="errors",
    roles=("read",),
)
def unknown_resource(ctx: CheckContext) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    exchange = ctx.send("GET", ctx.path(operation, which="missing"))
    if exchange.status != 404:
        return [
            ctx.finding(
                f"a resource that does not exist: {_status_text(exchange)}, not 404"
            )
        ]
    return _problem_findings(ctx, exchange)


@check(
    "problem-details",
    title="Error replies are problem details",
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
    return _problem_findings(ctx, exchange)


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
    standard = ctx.service.standard
    other = {"Accept-Standard": f"{standard.id}@{standard.version.major + 1}"}
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
    operation = ctx.operation_with_role("read")
    exchange = ctx.send("GET", ctx.path(operation))
    declared = (exchange.header("Standard") or "").strip() or ctx.service.standard.ref
    try:
        standard = registry.resolve(declared)
    except Exception:  # an unknown version is standard-declared's finding
        raise Skip(
            f"the service declares {declared!r}, which is not in the registry"
        ) from None
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
    limit_param = operation.parameter("limit")
    maximum = None
    if limit_param is not None and limit_param.pointer:
        # A parameter's schema is an object.
        schema = cast(
            "dict[str, JsonValue]",
            ctx.service.interface.schema_at(limit_param.pointer),
        )
        maximum = schema.get("maximum")
    key = ctx.key_pointer()
    found = []
    first = ctx.send("GET", operation.path, params={"limit": 2})
    if first.status != 200:
        raise Skip(f"{_status_text(first)}; the list check needs a page")
    page = _page(first)
    if page is None:
        return [ctx.finding('the reply is not a page: {"items": [...], "next": ...}')]
    items, cursor = page
    if len(items) > 2:
        found.append(ctx.finding(f"asked for 2 items, got {len(items)}"))
    if cursor:
        second = ctx.send("GET", operation.path, params={"limit": 2, "cursor": cursor})
        more = _page(second) if second.status == 200 else None
        if more is None:
            found.append(ctx.finding(f"the next cursor gave {_status_text(second)}"))
        else:
            seen = {_key(item, key) for item in items}
            again = [item for item in more[0] if _key(item, key) in seen]
            if again:
                found.append(ctx.finding("the next page repeats items of the first"))
            if len(more[0]) > 2:
                found.append(
                    ctx.finding(f"asked for 2 items, the next page has {len(more[0])}")
                )
    if isinstance(maximum, int):
        over = ctx.send("GET", operation.path, params={"limit": maximum + 1})
        if over.status == 200:
            page = _page(over)
            if page is not None and len(page[0]) > maximum:
                found.append(
                    ctx.finding(
                        f"asked for {maximum + 1} items, above the documented maximum"
                        f" {maximum}, and got {len(page[0])}"
                    )
                )
        elif over.status != 400:
            found.append(
                ctx.finding(
                    f"a limit above the maximum: {_status_text(over)}; expected 400"
                    " or a page clamped to the maximum"
                )
            )
    return found


def _page(exchange: Exchange) -> tuple[list[JsonValue], str | None] | None:
    try:
        value = exchange.json()
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    items = value.get("items")
    if not isinstance(items, list):
        return None
    cursor = value.get("next")
    return items, cursor if isinstance(cursor, str) and cursor else None


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
    conformance_class="errors",
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
