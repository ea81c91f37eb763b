"""The conventions a service's interface follows, and the classes it declares.

A standard version's manifest may hold a ``[service]`` table
(docs/interfaces.md): the conformance classes its interface conforms to, the
names and values of its version and correlation headers, how its lists page
and what its error replies are. Everything left out is the programme's own
convention (exchange-rules), so a manifest without ``[service]`` means what
it meant before the table existed.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from conformance.errors import RegistryError
from conformance.probing.interfaces import Interface
from conformance.registry.manifest import (
    PaginationData,
    ServiceData,
    StandardVersion,
)

# The classes of exchange-rules a standard may declare its interface conforms
# to, each a group of requirements (docs/checks.md lists which check is where).
SERVICE_CLASSES: tuple[str, ...] = (
    "core",
    "correlation",
    "content",
    "errors",
    "problem-details",
    "versioning",
    "pagination",
    "writes",
    "security",
    "transport",
    # Generated requests from the interface's own schemas (ER-HTTP-15, -20):
    # a kit with its own fuzzing (the OGC one) leaves this out.
    "fuzzing",
)
# What the suite itself looks at on any service: whether it answers, and how
# fast. No standard opts out of these; a profile may still leave them out.
SUITE_CLASSES: tuple[str, ...] = ("availability", "performance")

_TEMPLATE_FIELDS = frozenset({"ref", "id", "version", "major", "minor", "patch"})

_PAGINATION_DEFAULTS: dict[str, PaginationData] = {
    "cursor": {
        "limit": "limit",
        "cursor": "cursor",
        "items": "/items",
        "next": "/next",
    },
    "offset": {
        "limit": "limit",
        "offset": "offset",
        "items": "/items",
        "total": "/total",
    },
    "page": {
        "page": "page",
        "size": "size",
        "first_page": 1,
        "items": "/items",
        "total": "/total",
    },
    "links": {
        "limit": "limit",
        "items": "/items",
        "links": "/links",
        "matched": "/numberMatched",
        "returned": "/numberReturned",
    },
}


@dataclass(frozen=True)
class Pagination:
    """How a list operation pages: parameter names and where a page keeps things.

    ``style`` is one of ``cursor`` (``limit`` + ``cursor`` in, ``items`` +
    ``next`` cursor out), ``offset`` (``limit`` + ``offset``, a ``total``),
    ``page`` (``page`` + ``size``, a ``total``) and ``links`` (``limit``, a
    ``links`` array whose ``rel="next"`` link reads the next page, with
    optional ``matched``/``returned`` counts). Pointers are JSON Pointers
    into a page.
    """

    style: str = "cursor"
    limit: str | None = None
    cursor: str | None = None
    offset: str | None = None
    page: str | None = None
    size: str | None = None
    first_page: int = 1
    items: str = "/items"
    next: str | None = None
    total: str | None = None
    links: str | None = None
    matched: str | None = None
    returned: str | None = None

    @property
    def size_parameter(self) -> str:
        """The parameter that asks for a page size."""
        size = self.size if self.style == "page" else self.limit
        assert size is not None  # every style's defaults name one
        return size


@dataclass(frozen=True)
class Conventions:
    """The conventions of one standard version's interface."""

    source: str  # where they were read, for messages
    classes: frozenset[str]
    correlation_header: str = "X-Correlation-ID"
    version_header: str = "Standard"
    version_value: str = "{ref}"
    version_request_header: str = "Accept-Standard"
    version_request_value: str = "{id}@{major}"
    unsupported_version_status: tuple[int, ...] = (406,)
    pagination: Pagination = Pagination(**_PAGINATION_DEFAULTS["cursor"])
    error_media_types: tuple[str, ...] = ("application/problem+json",)
    unknown_status: tuple[int, ...] = (404,)

    def declares(self, conformance_class: str) -> bool:
        """True when the interface conforms to this class (or it is the suite's)."""
        return conformance_class in SUITE_CLASSES or conformance_class in self.classes

    def declared_version(self, standard: StandardVersion) -> str:
        """The value the version header should hold for ``standard``."""
        return _fill(self.version_value, standard.id, *_parts(standard))

    def version_request(self, standard: StandardVersion, major: int) -> str:
        """The version request header's value asking for major version ``major``."""
        return _fill(self.version_request_value, standard.id, major, 0, 0)


def _parts(standard: StandardVersion) -> tuple[int, int, int]:
    version = standard.version
    return version.major, version.minor, version.patch


def _fill(template: str, standard_id: str, major: int, minor: int, patch: int) -> str:
    version = f"{major}.{minor}.{patch}"
    return template.format(
        ref=f"{standard_id}@{version}",
        id=standard_id,
        version=version,
        major=major,
        minor=minor,
        patch=patch,
    )


def _statuses(
    value: int | list[int] | None, default: tuple[int, ...]
) -> tuple[int, ...]:
    if value is None:
        return default
    return (value,) if isinstance(value, int) else tuple(value)


def _template_problem(template: str) -> str | None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError as exc:
        return f"{template!r} is not a template: {exc}"
    unknown = sorted(names - _TEMPLATE_FIELDS)
    if unknown:
        return (
            f"{template!r} names {', '.join(unknown)}; a template may use"
            f" {', '.join('{' + f + '}' for f in sorted(_TEMPLATE_FIELDS))}"
        )
    return None


def conventions_of(standard: StandardVersion) -> Conventions:
    """The conventions of ``standard``'s interface, defaults filled in.

    A :class:`RegistryError` names the manifest and the key for a class
    the suite does not know or a template it cannot fill.
    """
    data: ServiceData = standard.service or {}
    source = f"{standard.manifest_path} [service]"
    problems = []
    declared = data.get("conforms_to")
    if declared is None:
        classes = frozenset(SERVICE_CLASSES)
    else:
        unknown = [c for c in declared if c not in SERVICE_CLASSES]
        for name in unknown:
            hint = (
                " (the suite checks it on every service; leave it out)"
                if name in SUITE_CLASSES
                else ""
            )
            problems.append(f"conforms_to names the unknown class {name!r}{hint}")
        classes = frozenset(c for c in declared if c in SERVICE_CLASSES)
    headers = data.get("headers", {})
    for key, template in (
        ("version_value", headers.get("version_value")),
        ("version_request_value", headers.get("version_request_value")),
    ):
        if template is not None:
            problem = _template_problem(template)
            if problem:
                problems.append(f"headers.{key}: {problem}")
    raw = data.get("pagination") or {"style": "cursor"}
    style = raw.get("style", "cursor")
    # The style's defaults, then what the manifest names: the keys of
    # [service.pagination] are the fields of Pagination.
    merged: PaginationData = {**_PAGINATION_DEFAULTS[style], **raw, "style": style}
    pagination = Pagination(**merged)
    if problems:
        raise RegistryError(
            f"{source}: " + "; ".join(problems) + " (docs/interfaces.md lists them)"
        )
    errors = data.get("errors", {})
    defaults = Conventions(source=source, classes=classes)
    return Conventions(
        source=source,
        classes=classes,
        correlation_header=headers.get("correlation", defaults.correlation_header),
        version_header=headers.get("version", defaults.version_header),
        version_value=headers.get("version_value", defaults.version_value),
        version_request_header=headers.get(
            "version_request", defaults.version_request_header
        ),
        version_request_value=headers.get(
            "version_request_value", defaults.version_request_value
        ),
        unsupported_version_status=_statuses(
            headers.get("unsupported_version_status"),
            defaults.unsupported_version_status,
        ),
        pagination=pagination,
        error_media_types=tuple(
            errors.get("media_types", list(defaults.error_media_types))
        ),
        unknown_status=_statuses(errors.get("unknown_status"), defaults.unknown_status),
    )


def convention_problems(standard: StandardVersion, interface: Interface) -> list[str]:
    """What in ``[service]`` disagrees with the interface (empty when nothing).

    Caught by ``standards check`` so that a misnamed parameter or status is
    the describer's error, found once, not a failure of the service.
    """
    if standard.service is None:
        return []  # the programme's rules: the checks judge them at run time
    try:
        conventions = conventions_of(standard)
    except RegistryError as exc:
        return [str(exc)]
    problems = []
    style = conventions.pagination
    if conventions.declares("pagination"):
        wanted = [style.size_parameter]
        wanted += [
            name
            for kind, name in (
                ("cursor", style.cursor),
                ("offset", style.offset),
                ("page", style.page),
            )
            if style.style == kind and name
        ]
        for operation in interface.by_role("list"):
            for name in wanted:
                if operation.parameter(name) is None:
                    problems.append(
                        f"{conventions.source}: pagination style {style.style!r}"
                        f" pages with the parameter {name!r}, which {operation.id}"
                        f" does not document (parameters:"
                        f" {', '.join(p.name for p in operation.parameters) or 'none'})"
                    )
    if conventions.declares("errors"):
        for operation in interface.by_role("read"):
            if not any(operation.documented(s) for s in conventions.unknown_status):
                problems.append(
                    f"{conventions.source}: errors.unknown_status is"
                    f" {' or '.join(map(str, conventions.unknown_status))}, which"
                    f" {operation.id} does not document"
                )
    return problems
