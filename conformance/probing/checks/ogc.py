"""The OGC API - Features - Part 1 conformance kit: checks of ``ogcapi-features-1``.

Each check tests one requirement of ``ogcapi-features-1@1.0.0`` (OGC's own
identifier, ``/req/core/...``) and is planned only for services of that
standard. Its conformance class is OGC's (Core, GeoJSON, OpenAPI 3.0): the
GeoJSON and OpenAPI 3.0 checks run where the service's own ``/conformance``
reply declares the class (``ServiceContext.class_not_checked``); Core is what
makes a service one of this standard, so its checks always run. The
collection and feature probed are the profile's ``test_data`` (``collectionId``,
``featureId``) or, without them, the first the service lists. See
docs/ogcapi-features.md.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, cast
from urllib.parse import parse_qsl, quote, urlsplit

from conformance.model import Finding, JsonValue
from conformance.probing.checks import CheckFunc, check
from conformance.probing.checks.context import (
    OGC_CLASSES,
    OGC_FEATURES,
    CheckContext,
    NotApplicable,
    Skip,
)
from conformance.probing.fuzzing import GENERATION
from conformance.probing.http import Exchange
from conformance.probing.media import JSON
from conformance.validation.json_schemas import native_validator
from conformance.validation.json_validation import JsonValidator, validate_json

STANDARD = f"{OGC_FEATURES}@1.0.0"
CORE = "ogcapi-features-core"
GEOJSON_CLASS = "ogcapi-features-geojson"
OAS30 = "ogcapi-features-oas30"
GEOJSON = "application/geo+json"
# A page of at most this many requests is followed when a check counts all
# the features a query selects.
_MAX_PAGES = 20
_UNKNOWN_PARAMETER = "egov-conformance-unknown"
_MISSING_FEATURE = "egov-conformance-no-such-feature"

_Json = Any  # a reply's JSON, read as the standard shapes it
Box = tuple[float, float, float, float]


def _kit(
    id: str, *, title: str, requirement: str, conformance_class: str = CORE
) -> Callable[[CheckFunc], CheckFunc]:
    return check(
        id,
        title=title,
        requirement=requirement,
        conformance_class=conformance_class,
        standard=STANDARD,
        for_standard=OGC_FEATURES,
    )


# -- talking to the service ---------------------------------------------------


def _path(ctx: CheckContext, *segments: str) -> str:
    quoted = "".join("/" + quote(s, safe="") for s in segments)
    return ctx.service.interface.prefix + (quoted or "/")


def _get(
    ctx: CheckContext,
    where: str,
    *,
    params: Mapping[str, object] | None = None,
    accept: str | None = JSON,
) -> Exchange:
    return ctx.send("GET", where, params=params, accept=accept)


def _read(exchange: Exchange) -> _Json:
    """The reply's JSON when it answered 200 with JSON, else ``None``."""
    if exchange.status != 200:
        return None
    try:
        return exchange.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _links(document: _Json) -> list[dict[str, _Json]]:
    links = document.get("links") if isinstance(document, dict) else None
    return [x for x in links if isinstance(x, dict)] if isinstance(links, list) else []


def _with_rel(document: _Json, rel: str) -> list[dict[str, _Json]]:
    return [x for x in _links(document) if x.get("rel") == rel]


def _status_findings(
    ctx: CheckContext, exchange: Exchange, what: str, wanted: int = 200
) -> list[Finding]:
    if exchange.status == wanted:
        return []
    return [
        ctx.finding(
            f"{what}: GET {exchange.url} answered {exchange.status}, not {wanted}"
        )
    ]


def _json_findings(ctx: CheckContext, exchange: Exchange, what: str) -> list[Finding]:
    if exchange.status == 200 and _read(exchange) is None:
        return [
            ctx.finding(
                f"{what}: GET {exchange.url} answered 200 with a body that is not"
                f" JSON (Content-Type {exchange.header('Content-Type')})"
            )
        ]
    return []


def _validator(ctx: CheckContext, file_name: str) -> JsonValidator:
    """A validator for one of the standard's schema files, made once per service."""
    key = f"validator:{file_name}"
    cached = ctx.service.cache.get(key)
    if isinstance(cached, JsonValidator):
        return cached
    registry = ctx.service.registry
    standard = ctx.service.standard
    uri = registry.uri_for(standard.folder / file_name)
    schema: dict[str, JsonValue] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": uri,
    }
    loader = ctx.service.interface.loader
    validator = JsonValidator(
        native=native_validator(schema, loader),
        loader=loader,
        standard=standard.ref,
        requirement=ctx.requirement,
        base_uri=registry.base_uri,
        registry=registry,
    )
    ctx.service.cache[key] = validator
    return validator


def _schema_findings(
    ctx: CheckContext, exchange: Exchange, file_name: str, what: str
) -> list[Finding]:
    """The reply against one of the standard's schemas, citing this check's
    requirement (the schema says what the requirement's document is)."""
    if exchange.status != 200 or _read(exchange) is None:
        return []
    return [
        replace(
            f,
            message=f"{what} ({exchange.url}): {f.message}",
            requirement=ctx.requirement,
            standard=ctx.standard_ref,
        )
        for f in validate_json(exchange.body, _validator(ctx, file_name))
    ]


def _landing(ctx: CheckContext) -> _Json:
    landing = _read(_get(ctx, _path(ctx)))
    if not isinstance(landing, dict):
        raise Skip(
            "the landing page cannot be read (the check ogc-landing-page says why)"
        )
    return landing


def _collections(ctx: CheckContext) -> list[dict[str, _Json]]:
    exchange = _get(ctx, _path(ctx, "collections"))
    document = _read(exchange)
    listed = document.get("collections") if isinstance(document, dict) else None
    if not isinstance(listed, list):
        raise Skip("/collections cannot be read (the check ogc-collections says why)")
    found = [c for c in listed if isinstance(c, dict) and isinstance(c.get("id"), str)]
    if not found:
        raise NotApplicable("the service lists no collection with an id")
    return found


def _collection(ctx: CheckContext) -> dict[str, _Json]:
    """The collection to probe: the profile's ``collectionId``, or the first."""
    collections = _collections(ctx)
    wanted = ctx.service.target.existing.get("collectionId")
    if wanted:
        for collection in collections:
            if collection["id"] == wanted[0]:
                return collection
        raise Skip(
            f"the profile's test_data.existing names the collection {wanted[0]!r},"
            " which /collections does not list"
        )
    return collections[0]


def _declares(ctx: CheckContext, conformance_class: str) -> bool:
    return ctx.service.class_not_checked(conformance_class) is None


def _items_accept(ctx: CheckContext) -> str:
    """Features are asked for as GeoJSON where the class is declared."""
    return GEOJSON if _declares(ctx, GEOJSON_CLASS) else JSON


def _items(
    ctx: CheckContext,
    collection_id: str,
    params: Mapping[str, object] | None = None,
    accept: str | None = None,
) -> tuple[Exchange, _Json]:
    exchange = _get(
        ctx,
        _path(ctx, "collections", collection_id, "items"),
        params=params,
        accept=accept or _items_accept(ctx),
    )
    return exchange, _read(exchange)


def _features(page: _Json) -> list[dict[str, _Json]]:
    features = page.get("features") if isinstance(page, dict) else None
    if not isinstance(features, list):
        return []
    return [f for f in features if isinstance(f, dict)]


def _page(ctx: CheckContext, exchange: Exchange, page: _Json) -> _Json:
    if not isinstance(page, dict) or not isinstance(page.get("features"), list):
        raise Skip(
            f"GET {exchange.url} answered {exchange.status} without a page of"
            " features (the check ogc-items says why)"
        )
    return page


def _definition(ctx: CheckContext) -> _Json:
    """The service's own API definition (its service-desc link), read once."""
    if "definition" not in ctx.service.cache:
        document: _Json = None
        for link in _with_rel(_landing(ctx), "service-desc"):
            if not isinstance(link.get("href"), str):
                continue
            exchange = _get(ctx, link["href"], accept=link.get("type") or JSON)
            document = _read(exchange)
            if isinstance(document, dict):
                break
        ctx.service.cache["definition"] = document
    return ctx.service.cache["definition"]


def _items_operation(definition: _Json) -> dict[str, _Json] | None:
    paths = definition.get("paths") if isinstance(definition, dict) else None
    if not isinstance(paths, dict):
        return None
    for path, item in paths.items():
        if str(path).endswith("/items") and isinstance(item, dict):
            operation = item.get("get")
            if isinstance(operation, dict):
                return operation
    return None


def _resolved(definition: _Json, node: _Json) -> _Json:
    for _ in range(10):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return node
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return None
        node = definition
        for raw in ref[2:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            node = node.get(token) if isinstance(node, dict) else None
    return node


def _query_parameters(definition: _Json) -> dict[str, dict[str, _Json]]:
    """The items operation's query parameters (name → schema) in a definition."""
    operation = _items_operation(definition)
    found: dict[str, dict[str, _Json]] = {}
    for raw in (operation or {}).get("parameters") or []:
        parameter = _resolved(definition, raw)
        if isinstance(parameter, dict) and parameter.get("in") == "query":
            schema = _resolved(definition, parameter.get("schema"))
            found[str(parameter.get("name"))] = (
                schema if isinstance(schema, dict) else {}
            )
    return found


def _limits(ctx: CheckContext) -> tuple[int | None, int | None]:
    """The default and the maximum of limit: the service's own definition's,
    else the standard's interface's."""
    schema = _query_parameters(_definition(ctx)).get("limit")
    if schema is None:
        for operation in ctx.service.interface.by_role("list"):
            parameter = operation.parameter("limit")
            if parameter is not None and parameter.pointer is not None:
                raw = ctx.service.interface.schema_at(parameter.pointer)
                schema = cast(dict[str, _Json], raw) if isinstance(raw, dict) else {}
    schema = schema or {}
    default, maximum = schema.get("default"), schema.get("maximum")
    return (
        default if isinstance(default, int) else None,
        maximum if isinstance(maximum, int) else None,
    )


def _all_features(
    ctx: CheckContext, collection_id: str, params: Mapping[str, object]
) -> tuple[_Json, list[dict[str, _Json]]]:
    """The first page of a query and every feature it selects, page by page."""
    _, maximum = _limits(ctx)
    query: dict[str, object] = {"limit": min(maximum or 1000, 1000), **params}
    exchange, first = _items(ctx, collection_id, query)
    page = _page(ctx, exchange, first)
    features = _features(page)
    seen = {exchange.url}
    for _ in range(_MAX_PAGES):
        following = [
            x for x in _with_rel(page, "next") if isinstance(x.get("href"), str)
        ]
        if not following or following[0]["href"] in seen:
            break
        seen.add(following[0]["href"])
        exchange = _get(ctx, following[0]["href"], accept=_items_accept(ctx))
        page = _read(exchange)
        if not isinstance(page, dict):
            break
        features += _features(page)
    return first, features


def _ids(features: list[dict[str, _Json]]) -> list[str]:
    return [str(f.get("id")) for f in features]


def _positions(node: _Json) -> list[tuple[float, float]]:
    if (
        isinstance(node, list)
        and len(node) >= 2
        and all(isinstance(n, int | float) for n in node)
    ):
        return [(float(node[0]), float(node[1]))]
    if isinstance(node, list):
        return [p for child in node for p in _positions(child)]
    return []


def _envelope(feature: dict[str, _Json]) -> Box | None:
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        return None
    positions = _positions(geometry.get("coordinates"))
    for part in geometry.get("geometries") or []:
        if isinstance(part, dict):
            positions += _positions(part.get("coordinates"))
    if not positions:
        return None
    xs, ys = [p[0] for p in positions], [p[1] for p in positions]
    return min(xs), min(ys), max(xs), max(ys)


def _intersects(envelope: Box, box: Box) -> bool:
    west, south, east, north = box
    if envelope[1] > north or envelope[3] < south:
        return False
    if west <= east:
        return not (envelope[0] > east or envelope[2] < west)
    return envelope[2] >= west or envelope[0] <= east


def _inside(envelope: Box, box: Box, slack: float = 1e-9) -> bool:
    west, south, east, north = box
    if envelope[1] < south - slack or envelope[3] > north + slack:
        return False
    if west <= east:
        return envelope[0] >= west - slack and envelope[2] <= east + slack
    return envelope[0] >= west - slack or envelope[2] <= east + slack


def _first_with_geometry(
    ctx: CheckContext, collection_id: str
) -> tuple[dict[str, _Json], Box]:
    exchange, page = _items(ctx, collection_id, {"limit": 10})
    for feature in _features(_page(ctx, exchange, page)):
        envelope = _envelope(feature)
        if envelope is not None:
            return feature, envelope
    raise NotApplicable(
        f"the first page of {collection_id} has no feature with a geometry"
    )


def _numbers(box: Box | tuple[float, ...]) -> str:
    return ",".join(repr(round(n, 7)) for n in box)


def _query_of(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, sorted(parse_qsl(parts.query, keep_blank_values=True))


def _media(value: object) -> str:
    return str(value or "").split(";", 1)[0].strip().lower()


def _encodings(collection: dict[str, _Json]) -> set[str]:
    """The media types a collection offers its features in (its items links)."""
    return {
        _media(x.get("type")) for x in _with_rel(collection, "items") if x.get("type")
    }


def _feature_id(ctx: CheckContext, collection_id: str) -> str:
    wanted = ctx.service.target.existing.get("featureId")
    if wanted:
        return wanted[0]
    exchange, page = _items(ctx, collection_id, {"limit": 1})
    features = _features(_page(ctx, exchange, page))
    if not features or features[0].get("id") is None:
        raise NotApplicable(f"{collection_id} has no feature with an id to read")
    return str(features[0]["id"])


# -- Core: the landing page, the API definition, the conformance declaration --


@_kit(
    "ogc-landing-page",
    title="The landing page links to the API definition, conformance and data",
    requirement="/req/core/root-success",
)
def landing_page(ctx: CheckContext) -> list[Finding]:
    exchange = _get(ctx, _path(ctx))
    findings = _status_findings(ctx, exchange, "the landing page")
    findings += _json_findings(ctx, exchange, "the landing page")
    findings += _schema_findings(
        ctx, exchange, "landing-page.schema.json", "the landing page"
    )
    document = _read(exchange)
    if not isinstance(document, dict):
        return findings
    rels = {x.get("rel") for x in _links(document)}
    if not rels & {"service-desc", "service-doc"}:
        findings.append(
            ctx.finding(
                "the landing page has no link to the API definition (rel"
                f" service-desc or service-doc); its rels: {sorted(map(str, rels))}"
            )
        )
    for rel, what in (("conformance", "/conformance"), ("data", "/collections")):
        if rel not in rels:
            findings.append(
                ctx.finding(f"the landing page has no link to {what} (rel {rel})")
            )
    return findings


@_kit(
    "ogc-api-definition",
    title="The API definition linked from the landing page is served as its link says",
    requirement="/req/core/api-definition-success",
)
def api_definition(ctx: CheckContext) -> list[Finding]:
    links = [
        x
        for rel in ("service-desc", "service-doc")
        for x in _with_rel(_landing(ctx), rel)
        if isinstance(x.get("href"), str)
    ]
    if not links:
        raise Skip("the landing page links to no API definition (ogc-landing-page)")
    findings: list[Finding] = []
    for link in links[:2]:
        wanted = link.get("type")
        exchange = _get(ctx, link["href"], accept=wanted or None)
        findings += _status_findings(
            ctx, exchange, f"the API definition ({link['rel']})"
        )
        if exchange.status != 200 or not wanted:
            continue
        if exchange.media_type != _media(wanted):
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} with Accept: {wanted} (the link's type)"
                    f" answered Content-Type {exchange.header('Content-Type')}"
                )
            )
        elif _media(wanted).endswith("json") and _read(exchange) is None:
            findings.append(
                ctx.finding(f"GET {exchange.url} answered {wanted} that is not JSON")
            )
    return findings


@_kit(
    "ogc-conformance",
    title="/conformance lists the conformance classes, Core among them",
    requirement="/req/core/conformance-success",
)
def conformance_declaration(ctx: CheckContext) -> list[Finding]:
    exchange = _get(ctx, _path(ctx, "conformance"))
    what = "the conformance declaration"
    findings = _status_findings(ctx, exchange, what)
    findings += _json_findings(ctx, exchange, what)
    findings += _schema_findings(
        ctx, exchange, "conformance-declaration.schema.json", what
    )
    document = _read(exchange)
    listed = document.get("conformsTo") if isinstance(document, dict) else None
    if isinstance(listed, list):
        core = OGC_CLASSES[CORE]
        if core not in {str(x).rstrip("/") for x in listed}:
            findings.append(
                ctx.finding(
                    f"{what} does not list {core}; a service of OGC API - Features"
                    " conforms to Core"
                )
            )
    return findings


# -- Core: the collections ----------------------------------------------------


@_kit(
    "ogc-collections",
    title="/collections answers with the feature collections",
    requirement="/req/core/fc-md-success",
)
def collections(ctx: CheckContext) -> list[Finding]:
    exchange = _get(ctx, _path(ctx, "collections"))
    findings = _status_findings(ctx, exchange, "/collections")
    findings += _json_findings(ctx, exchange, "/collections")
    return findings + _schema_findings(
        ctx, exchange, "collections.schema.json", "/collections"
    )


@_kit(
    "ogc-collections-links",
    title="/collections links to itself, every link with rel and type",
    requirement="/req/core/fc-md-links",
)
def collections_links(ctx: CheckContext) -> list[Finding]:
    exchange = _get(ctx, _path(ctx, "collections"))
    document = _read(exchange)
    if not isinstance(document, dict):
        raise Skip("/collections cannot be read (the check ogc-collections says why)")
    findings = []
    if not _with_rel(document, "self"):
        findings.append(ctx.finding("/collections has no link to itself (rel self)"))
    for i, link in enumerate(_links(document)):
        missing = [k for k in ("rel", "type") if not link.get(k)]
        if missing:
            findings.append(
                ctx.finding(
                    f"/collections link {link.get('href')} has no"
                    f" {' or '.join(missing)}",
                    pointer=f"/links/{i}",
                )
            )
    return findings


@_kit(
    "ogc-collection-items-link",
    title="Each collection links to its items, with the media type",
    requirement="/req/core/fc-md-items-links",
)
def collection_items_link(ctx: CheckContext) -> list[Finding]:
    findings = []
    for collection in _collections(ctx):
        name = collection["id"]
        items = _with_rel(collection, "items")
        if not items:
            findings.append(
                ctx.finding(
                    f"the collection {name} has no link to its items (rel items)"
                )
            )
        for link in _links(collection):
            missing = [k for k in ("rel", "type") if not link.get(k)]
            if missing:
                findings.append(
                    ctx.finding(
                        f"the collection {name}'s link {link.get('href')} (rel"
                        f" {link.get('rel')}) has no {' or '.join(missing)}"
                    )
                )
    return findings


@_kit(
    "ogc-collection-extent",
    title="A collection's extent contains all its features",
    requirement="/req/core/fc-md-extent",
)
def collection_extent(ctx: CheckContext) -> list[Finding]:
    collection = _collection(ctx)
    extent = collection.get("extent")
    spatial = extent.get("spatial") if isinstance(extent, dict) else None
    boxes = spatial.get("bbox") if isinstance(spatial, dict) else None
    findings: list[Finding] = []
    temporal = extent.get("temporal") if isinstance(extent, dict) else None
    intervals = temporal.get("interval") if isinstance(temporal, dict) else None
    for interval in intervals if isinstance(intervals, list) else []:
        ends = [_when(x) for x in interval] if isinstance(interval, list) else []
        if len(ends) == 2 and ends[0] and ends[1] and ends[0] > ends[1]:
            findings.append(
                ctx.finding(
                    f"the collection {collection['id']}'s temporal extent {interval}"
                    " ends before it starts"
                )
            )
    if not (isinstance(boxes, list) and boxes and isinstance(boxes[0], list)):
        if findings:
            return findings
        raise NotApplicable(
            f"the collection {collection['id']} gives no spatial extent"
        )
    numbers = boxes[0]
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(isinstance(n, int | float) for n in numbers):
        return findings  # the schema check of /collections reports it
    box = cast(Box, tuple(float(n) for n in numbers))
    _, features = _all_features(ctx, collection["id"], {})
    outside = [
        str(f.get("id"))
        for f in features
        if (envelope := _envelope(f)) is not None and not _inside(envelope, box)
    ]
    if outside:
        findings.append(
            ctx.finding(
                f"the collection {collection['id']}'s spatial extent {list(box)} does"
                f" not contain {len(outside)} of its features: {', '.join(outside[:5])}"
            )
        )
    return findings


def _when(value: _Json) -> datetime | None:
    if not isinstance(value, str) or value in ("", ".."):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


@_kit(
    "ogc-collection",
    title="/collections/{collectionId} describes the collection as /collections does",
    requirement="/req/core/sfc-md-success",
)
def collection(ctx: CheckContext) -> list[Finding]:
    findings = []
    for listed in _collections(ctx)[:3]:
        name = listed["id"]
        exchange = _get(ctx, _path(ctx, "collections", name))
        findings += _status_findings(ctx, exchange, f"the collection {name}")
        findings += _json_findings(ctx, exchange, f"the collection {name}")
        findings += _schema_findings(
            ctx, exchange, "collection.schema.json", f"the collection {name}"
        )
        single = _read(exchange)
        if not isinstance(single, dict):
            continue
        for member in ("id", "title", "description", "extent"):
            if single.get(member) != listed.get(member):
                findings.append(
                    ctx.finding(
                        f"the collection {name}: {member} is"
                        f" {json.dumps(single.get(member))[:200]} at"
                        f" /collections/{name} but"
                        f" {json.dumps(listed.get(member))[:200]} in /collections",
                        pointer=f"/{member}",
                    )
                )
    return findings


# -- Core: items --------------------------------------------------------------


@_kit(
    "ogc-items",
    title="The items of a collection are a valid feature collection",
    requirement="/req/core/fc-response",
)
def items(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    exchange, _ = _items(ctx, name)
    what = f"the items of {name}"
    findings = _status_findings(ctx, exchange, what)
    findings += _json_findings(ctx, exchange, what)
    return findings + _schema_findings(
        ctx, exchange, "feature-collection.schema.json", what
    )


@_kit(
    "ogc-limit-default",
    title="Without limit a page holds at most the default number of features",
    requirement="/req/core/fc-limit-definition",
)
def limit_default(ctx: CheckContext) -> list[Finding]:
    default, _ = _limits(ctx)
    if default is None:
        raise NotApplicable("the API definition gives no default for limit")
    name = _collection(ctx)["id"]
    exchange, page = _items(ctx, name)
    count = len(_features(_page(ctx, exchange, page)))
    if count > default:
        return [
            ctx.finding(
                f"GET {exchange.url} (no limit) answered {count} features; the API"
                f" definition's default limit is {default}"
            )
        ]
    return []


@_kit(
    "ogc-limit",
    title="A page holds no more features than the limit, nor than its maximum",
    requirement="/req/core/fc-limit-response-1",
)
def limit(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    _, maximum = _limits(ctx)
    findings = []
    exchange, page = _items(ctx, name, {"limit": 2})
    count = len(_features(_page(ctx, exchange, page)))
    if count > 2:
        findings.append(
            ctx.finding(f"GET {exchange.url} asked for 2 features and got {count}")
        )
    if maximum is not None:
        exchange, page = _items(ctx, name, {"limit": maximum + 1})
        count = len(_features(page))
        if exchange.status == 200 and count > maximum:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} (above the maximum limit {maximum}) answered"
                    f" {count} features; a limit above the maximum is refused with"
                    " 400 or served at most the maximum"
                )
            )
        elif exchange.status not in (200, 400):
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} (above the maximum limit {maximum})"
                    f" answered {exchange.status}, neither a page nor 400"
                )
            )
    return findings


_INVALID = (
    ("limit", "0", "a limit below one"),
    ("limit", "ten", "a limit that is not an integer"),
    ("bbox", "44.8,38.4,50.4", "a bbox of three numbers"),
    ("bbox", "west,south,east,north", "a bbox of words"),
    ("datetime", "2024-13-45T25:61:00Z", "a date-time that does not exist"),
    ("datetime", "yesterday", "a datetime that is not RFC 3339"),
)


@_kit(
    "ogc-invalid-parameters",
    title="Invalid limit, bbox and datetime values are refused with 400",
    requirement="/req/core/query-param-invalid",
)
def invalid_parameters(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    findings = []
    for parameter, value, what in _INVALID:
        exchange, _ = _items(ctx, name, {parameter: value})
        if exchange.status != 400:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} ({what}) answered {exchange.status}, not 400"
                )
            )
    return findings


@_kit(
    "ogc-unknown-parameter",
    title="An unknown query parameter is refused with 400",
    requirement="/req/core/query-param-unknown",
)
def unknown_parameter(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    exchange, _ = _items(ctx, name, {_UNKNOWN_PARAMETER: "1"})
    if exchange.status != 400:
        return [
            ctx.finding(
                f"GET {exchange.url} (the parameter {_UNKNOWN_PARAMETER}, which no"
                f" API definition specifies) answered {exchange.status}, not 400"
            )
        ]
    return []


def _far_box(around: Box) -> Box:
    for box in ((-179.9, -89.9, -179.0, -89.0), (179.0, 89.0, 179.9, 89.9)):
        if not _intersects(around, box):
            return box
    return (0.0, -0.001, 0.001, 0.0)


def _bbox_findings(
    ctx: CheckContext, name: str, box: Box, sent: str, must: str | None
) -> tuple[list[Finding], set[str]]:
    exchange, page = _items(ctx, name, {"bbox": sent, "limit": _limits(ctx)[1] or 1000})
    if exchange.status != 200:
        return [
            ctx.finding(f"GET {exchange.url} (bbox {sent}) answered {exchange.status}")
        ], set()
    findings = []
    features = _features(page)
    for feature in features:
        envelope = _envelope(feature)
        if envelope is not None and not _intersects(envelope, box):
            findings.append(
                ctx.finding(
                    f"GET {exchange.url}: the feature {feature.get('id')} (extent"
                    f" {[round(n, 6) for n in envelope]}) does not intersect"
                    f" bbox {sent}"
                )
            )
    ids = set(_ids(features))
    if must is not None and must not in ids:
        findings.append(
            ctx.finding(
                f"GET {exchange.url}: the feature {must}, inside bbox {sent}, is not"
                " selected"
            )
        )
    return findings, ids


@_kit(
    "ogc-bbox",
    title="bbox (four or six numbers) selects exactly the features it intersects",
    requirement="/req/core/fc-bbox-response",
)
def bbox(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    feature, envelope = _first_with_geometry(ctx, name)
    pad = 1e-6
    box = (envelope[0] - pad, envelope[1] - pad, envelope[2] + pad, envelope[3] + pad)
    key = str(feature.get("id"))
    findings, four = _bbox_findings(ctx, name, box, _numbers(box), key)
    six = (box[0], box[1], -1000.0, box[2], box[3], 10000.0)
    more, with_heights = _bbox_findings(ctx, name, box, _numbers(six), key)
    findings += more
    if four and with_heights and four != with_heights:
        findings.append(
            ctx.finding(
                f"bbox {_numbers(six)} (with heights) selects other features than"
                f" {_numbers(box)}"
            )
        )
    far = _far_box(box)
    findings += _bbox_findings(ctx, name, far, _numbers(far), None)[0]
    return findings


@_kit(
    "ogc-datetime",
    title="datetime (instant, interval, open interval) selects by time",
    requirement="/req/core/fc-time-response",
)
def datetime_filter(ctx: CheckContext) -> list[Finding]:
    chosen = _collection(ctx)
    name = chosen["id"]
    extent = chosen.get("extent")
    temporal = extent.get("temporal") if isinstance(extent, dict) else None
    intervals = temporal.get("interval") if isinstance(temporal, dict) else None
    first = intervals[0] if isinstance(intervals, list) and intervals else None
    start = _when(first[0]) if isinstance(first, list) and first else None
    end = _when(first[1]) if isinstance(first, list) and len(first) > 1 else None
    _, everything = _all_features(ctx, name, {})
    every = set(_ids(everything))
    findings: list[Finding] = []
    if start is not None and end is not None:
        before = _stamp(start - timedelta(days=1))
        after = _stamp(end + timedelta(days=1))
        covering = [
            (f"{before}/{after}", "an interval around the temporal extent"),
            (f"{before}/..", "an interval open at the end"),
            (f"../{after}", "an interval open at the start ('..')"),
            (f"/{after}", "an interval open at the start (empty)"),
        ]
        within = [(_stamp(start), "an instant at the start of the temporal extent")]
    else:
        covering = []
        within = [
            ("2020-01-01T00:00:00Z", "an instant"),
            ("2020-01-01T00:00:00Z/2020-12-31T23:59:59Z", "an interval"),
            ("2020-01-01T00:00:00Z/..", "an interval open at the end"),
        ]
    for value, what in covering + within:
        exchange, page = _items(ctx, name, {"datetime": value, "limit": 1})
        if exchange.status != 200 or not isinstance(page, dict):
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} ({what}) answered {exchange.status}, not a"
                    " page of features"
                )
            )
            continue
        _, selected = _all_features(ctx, name, {"datetime": value})
        ids = set(_ids(selected))
        if (value, what) in covering and ids != every:
            findings.append(
                ctx.finding(
                    f"datetime={value} ({what}, which contains the whole temporal"
                    f" extent) selects {len(ids)} of the {len(every)} features"
                )
            )
        elif not ids <= every:
            findings.append(
                ctx.finding(
                    f"datetime={value} ({what}) selects features the collection does"
                    f" not have: {', '.join(sorted(ids - every)[:5])}"
                )
            )
    return findings


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@_kit(
    "ogc-items-links",
    title="A page links to itself as asked, to its other media types and to the next",
    requirement="/req/core/fc-links",
)
def items_links(ctx: CheckContext) -> list[Finding]:
    chosen = _collection(ctx)
    name = chosen["id"]
    offered = _encodings(chosen)
    exchange, page = _items(ctx, name, {"limit": 2})
    page = _page(ctx, exchange, page)
    findings = _page_link_findings(ctx, exchange, page, offered)
    following = [x for x in _with_rel(page, "next") if isinstance(x.get("href"), str)]
    matched = page.get("numberMatched")
    if not following:
        if isinstance(matched, int) and matched > len(_features(page)):
            findings.append(
                ctx.finding(
                    f"GET {exchange.url}: {matched} features match and the page holds"
                    f" {len(_features(page))}, but it has no next link"
                )
            )
        return findings
    second = _get(ctx, following[0]["href"], accept=_items_accept(ctx))
    if second.status != 200 or not isinstance(_read(second), dict):
        findings.append(
            ctx.finding(
                f"the next link {following[0]['href']} answered {second.status}, not"
                " the following page"
            )
        )
        return findings
    next_page = _read(second)
    findings += _page_link_findings(ctx, second, next_page, offered)
    repeated = set(_ids(_features(page))) & set(_ids(_features(next_page)))
    if repeated:
        findings.append(
            ctx.finding(
                f"the next link {following[0]['href']} repeats features of the first"
                f" page: {', '.join(sorted(repeated)[:5])}"
            )
        )
    return findings


def _page_link_findings(
    ctx: CheckContext, exchange: Exchange, page: _Json, offered: set[str]
) -> list[Finding]:
    findings = []
    selves = _with_rel(page, "self")
    if not selves:
        return [ctx.finding(f"GET {exchange.url}: the page has no self link")]
    link = selves[0]
    asked_path, asked = _query_of(exchange.url)
    href_path, given = _query_of(str(link.get("href", "")))
    if href_path != asked_path or given != asked:
        findings.append(
            ctx.finding(
                f"GET {exchange.url}: the self link {link.get('href')} does not"
                " reproduce the request (its query and paging)"
            )
        )
    if link.get("type") and _media(link["type"]) != exchange.media_type:
        findings.append(
            ctx.finding(
                f"GET {exchange.url}: the self link's type {link['type']} is not the"
                f" reply's Content-Type {exchange.header('Content-Type')}"
            )
        )
    alternates = {_media(x.get("type")) for x in _with_rel(page, "alternate")}
    for media in sorted(offered - {exchange.media_type or ""}):
        if media not in alternates:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url}: no alternate link to the page as {media},"
                    " which the collection's items links offer"
                )
            )
    return findings


@_kit(
    "ogc-items-link-types",
    title="Every link of a page of features has rel and type",
    requirement="/req/core/fc-rel-type",
)
def items_link_types(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    exchange, page = _items(ctx, name, {"limit": 2})
    findings = []
    for i, link in enumerate(_links(_page(ctx, exchange, page))):
        missing = [k for k in ("rel", "type") if not link.get(k)]
        if missing:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url}: the link {link.get('href')} has no"
                    f" {' or '.join(missing)}",
                    pointer=f"/links/{i}",
                )
            )
    return findings


@_kit(
    "ogc-number-matched",
    title="numberMatched is the number of features the query selects",
    requirement="/req/core/fc-numberMatched",
)
def number_matched(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    _, envelope = _first_with_geometry(ctx, name)
    findings = []
    for params in ({}, {"bbox": _numbers(envelope)}):
        first, features = _all_features(ctx, name, params)
        matched = first.get("numberMatched") if isinstance(first, dict) else None
        counted = isinstance(matched, int) and not isinstance(matched, bool)
        if counted and matched != len(features):
            query = f" with bbox={params['bbox']}" if params else ""
            findings.append(
                ctx.finding(
                    f"the items of {name}{query}: numberMatched is {matched}, and"
                    f" the pages hold {len(features)} features"
                )
            )
    return findings


@_kit(
    "ogc-number-returned",
    title="numberReturned is the number of features on the page",
    requirement="/req/core/fc-numberReturned",
)
def number_returned(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    _, maximum = _limits(ctx)
    findings = []
    for size in sorted({2, min(maximum or 1000, 1000)}):
        exchange, page = _items(ctx, name, {"limit": size})
        page = _page(ctx, exchange, page)
        returned = page.get("numberReturned")
        count = len(_features(page))
        counted = isinstance(returned, int) and not isinstance(returned, bool)
        if counted and returned != count:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url}: numberReturned is {returned}, and the"
                    f" page holds {count} features",
                    pointer="/numberReturned",
                )
            )
    return findings


# -- Core: one feature --------------------------------------------------------


@_kit(
    "ogc-feature",
    title="A feature is served by its id",
    requirement="/req/core/f-success",
)
def feature(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    key = _feature_id(ctx, name)
    exchange = _get(
        ctx, _path(ctx, "collections", name, "items", key), accept=_items_accept(ctx)
    )
    what = f"the feature {key} of {name}"
    findings = _status_findings(ctx, exchange, what)
    findings += _json_findings(ctx, exchange, what)
    findings += _schema_findings(ctx, exchange, "feature.schema.json", what)
    document = _read(exchange)
    if isinstance(document, dict) and "id" in document and str(document["id"]) != key:
        findings.append(
            ctx.finding(
                f"{what}: GET {exchange.url} answered the feature {document['id']}",
                pointer="/id",
            )
        )
    return findings


@_kit(
    "ogc-feature-links",
    title="A feature links to itself, its other media types and its collection",
    requirement="/req/core/f-links",
)
def feature_links(ctx: CheckContext) -> list[Finding]:
    chosen = _collection(ctx)
    name = chosen["id"]
    key = _feature_id(ctx, name)
    exchange = _get(
        ctx, _path(ctx, "collections", name, "items", key), accept=_items_accept(ctx)
    )
    document = _read(exchange)
    if not isinstance(document, dict):
        raise Skip(f"the feature {key} cannot be read (the check ogc-feature says why)")
    findings = []
    for rel in ("self", "collection"):
        if not _with_rel(document, rel):
            findings.append(
                ctx.finding(f"the feature {key} of {name} has no link (rel {rel})")
            )
    alternates = {_media(x.get("type")) for x in _with_rel(document, "alternate")}
    for media in sorted(_encodings(chosen) - {exchange.media_type or ""}):
        if media not in alternates:
            findings.append(
                ctx.finding(
                    f"the feature {key} of {name} has no alternate link to its {media}"
                    " representation"
                )
            )
    for i, link in enumerate(_links(document)):
        missing = [k for k in ("rel", "type") if not link.get(k)]
        if missing:
            findings.append(
                ctx.finding(
                    f"the feature {key}'s link {link.get('href')} has no"
                    f" {' or '.join(missing)}",
                    pointer=f"/links/{i}",
                )
            )
    return findings


@_kit(
    "ogc-unknown-feature",
    title="An unknown feature id gives 404",
    requirement="/req/core/http",
)
def unknown_feature(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    missing = ctx.service.target.missing.get("featureId") or (_MISSING_FEATURE,)
    exchange = _get(
        ctx,
        _path(ctx, "collections", name, "items", missing[0]),
        accept=_items_accept(ctx),
    )
    if exchange.status != 404:
        return [
            ctx.finding(
                f"GET {exchange.url} (a feature {name} does not have) answered"
                f" {exchange.status}, not 404"
            )
        ]
    return []


# -- GeoJSON ------------------------------------------------------------------


@_kit(
    "ogc-geojson-definition",
    title="Features are served as application/geo+json when asked for",
    requirement="/req/geojson/definition",
    conformance_class=GEOJSON_CLASS,
)
def geojson_definition(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    exchanges = [_items(ctx, name, {"limit": 2}, accept=GEOJSON)[0]]
    key = _feature_id(ctx, name)
    exchanges.append(
        _get(ctx, _path(ctx, "collections", name, "items", key), accept=GEOJSON)
    )
    findings = []
    for exchange in exchanges:
        if exchange.status == 200 and exchange.media_type != GEOJSON:
            findings.append(
                ctx.finding(
                    f"GET {exchange.url} with Accept: {GEOJSON} answered"
                    f" Content-Type {exchange.header('Content-Type')}"
                )
            )
    findings += _status_findings(ctx, exchanges[0], f"the items of {name}")
    return findings


@_kit(
    "ogc-geojson-content",
    title="GeoJSON replies are RFC 7946 feature collections and features, with links",
    requirement="/req/geojson/content",
    conformance_class=GEOJSON_CLASS,
)
def geojson_content(ctx: CheckContext) -> list[Finding]:
    name = _collection(ctx)["id"]
    exchange, _ = _items(ctx, name, {"limit": 2}, accept=GEOJSON)
    key = _feature_id(ctx, name)
    single = _get(ctx, _path(ctx, "collections", name, "items", key), accept=GEOJSON)
    findings = []
    for sent, what in (
        (exchange, f"the items of {name}"),
        (single, f"the feature {key}"),
    ):
        if sent.status != 200 or sent.media_type != GEOJSON:
            continue  # ogc-items, ogc-feature and ogc-geojson-definition judge those
        findings += _schema_findings(ctx, sent, "geojson.schema.json", what)
        document = _read(sent)
        if isinstance(document, dict) and not isinstance(document.get("links"), list):
            findings.append(
                ctx.finding(f"{what}: the GeoJSON has no links member ({sent.url})")
            )
    return findings


# -- OpenAPI 3.0 --------------------------------------------------------------


@functools.cache
def _openapi30_checker() -> Any:
    import jsonschema

    # The OpenAPI Initiative's schema the registry checks use (shipped with
    # the package; nothing is fetched), read as data: no selfcheck import.
    text = resources.files("conformance").joinpath(
        "selfcheck/openapi_schemas/openapi-3.0.schema.json"
    )
    schema = json.loads(text.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


@_kit(
    "ogc-oas30-definition",
    title="The API definition is a valid OpenAPI 3.0 document",
    requirement="/req/oas30/oas-definition-2",
    conformance_class=OAS30,
)
def oas30_definition(ctx: CheckContext) -> list[Finding]:
    links = [
        x
        for x in _with_rel(_landing(ctx), "service-desc")
        if isinstance(x.get("href"), str)
    ]
    if not links:
        return [
            ctx.finding("the landing page has no service-desc link to the definition")
        ]
    exchange = _get(ctx, links[0]["href"], accept=links[0].get("type") or JSON)
    try:
        document = json.loads(exchange.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return [
            ctx.finding(
                f"GET {exchange.url} answered {exchange.status} with a body that is"
                f" not JSON: {exc}"
            )
        ]
    if not isinstance(document, dict) or not str(
        document.get("openapi", "")
    ).startswith("3.0."):
        found = document.get("openapi") if isinstance(document, dict) else None
        return [ctx.finding(f"GET {exchange.url}: openapi is {found!r}, not 3.0.x")]
    findings = []
    for error in sorted(_openapi30_checker().iter_errors(document), key=str)[:10]:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        findings.append(
            ctx.finding(
                f"{exchange.url}: not valid OpenAPI 3.0 at {where}:"
                f" {error.message[:300]}",
                pointer=where,
            )
        )
    return findings


@_kit(
    "ogc-fuzz-items",
    title="Generated items queries from the service's definition get no server error",
    requirement="/req/oas30/oas-impl",
    conformance_class=OAS30,
)
def fuzz_items(ctx: CheckContext) -> list[Finding]:
    definition = _definition(ctx)
    operation = _items_operation(definition)
    if operation is None:
        raise Skip(
            "the service's API definition (service-desc) cannot be read or has no"
            " items operation (ogc-oas30-definition says why)"
        )
    parameters = _query_parameters(definition)
    if not parameters:
        raise NotApplicable("the items operation documents no query parameters")
    documented = {str(s) for s in (operation.get("responses") or {})}
    name = _collection(ctx)["id"]
    findings = []
    for query in _generated_queries(ctx, parameters):
        exchange, page = _items(ctx, name, query)
        status = exchange.status or 0
        if status >= 500:
            problem = f"answered {status}, a server error"
        elif not {str(status), f"{str(status)[0]}XX", "default"} & documented:
            problem = (
                f"answered {status}, which the API definition does not document"
                f" (it documents {', '.join(sorted(documented))})"
            )
        elif status == 200 and not (
            isinstance(page, dict) and page.get("type") == "FeatureCollection"
        ):
            problem = "answered 200 without a FeatureCollection"
        else:
            continue
        findings.append(ctx.finding(f"GET {exchange.url} {problem}"))
        if len(findings) >= 3:
            break
    return findings


def _generated_queries(
    ctx: CheckContext, parameters: dict[str, dict[str, _Json]]
) -> list[dict[str, object]]:
    with GENERATION:  # services are checked in threads (see GENERATION)
        # The strategies (hypothesis, the schema compiler) load only when
        # fuzzing.
        from hypothesis import strategies as st

        from conformance.strategies import fixed_examples, from_schema
        from conformance.validation.openapi30 import schema_from_openapi30

        strategies = {}
        for name, schema in sorted(parameters.items()):
            translated = schema_from_openapi30(cast(JsonValue, dict(schema)))
            if isinstance(translated, dict):
                strategies[name] = from_schema(translated)
        queries = st.fixed_dictionaries({}, optional=strategies)
        count = max(1, min(ctx.service.fuzz.examples, 25))
        drawn = fixed_examples(queries, count, ctx.service.fuzz.seed)
    return [{k: _serialized(v) for k, v in query.items()} for query in drawn]


def _serialized(value: JsonValue) -> str:
    # OpenAPI's form style without explode: an array is comma-separated.
    if isinstance(value, list):
        return ",".join(_serialized(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
