"""The reference service's OGC API - Features endpoint: the land parcels as features.

Served under ``/features`` (the prefix of ``ogcapi-features-1@1.0.0``'s
interface) by :class:`~conformance.probing.reference.ReferenceService`: a
landing page, the conformance declaration (Core, GeoJSON, OpenAPI 3.0), its
own API definition (the standard's interface with the paging parameter it
adds), one collection ``land-parcels`` and its items, as GeoJSON and JSON,
filtered by ``bbox`` and ``datetime`` (a parcel's time is its registration
date) and paged by ``limit`` and ``offset``. It is conformant unless a named
fault (:data:`FEATURE_FAULTS`) breaks one requirement the way real servers do.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode

import yaml

from conformance.model import JsonValue
from conformance.registry.standards import Registry

FEATURE_FAULTS: dict[str, str] = {
    "landing-without-conformance-link": "the OGC landing page has no conformance link",
    "api-definition-mislabelled": "the OGC API definition is served as text/plain",
    "conformance-without-core": "the OGC /conformance reply leaves out Core",
    "collections-crs-as-string": "/collections gives a collection's crs as one string",
    "collections-without-self": "/collections has no self link",
    "items-link-without-type": "a collection's items links have no type",
    "extent-misses-a-parcel": "a collection's spatial extent leaves out one parcel",
    "collection-title-differs": "/collections/{id} has another title than /collections",
    "counts-as-strings": "numberMatched and numberReturned are strings",
    "default-page-too-large": "without limit a page holds 20 features, not the 10"
    " the API definition gives",
    "limit-ignored": "pages hold the default number of features whatever the limit",
    "lenient-bbox": "a malformed bbox is ignored, not refused with 400",
    "unknown-parameters-ignored": "unknown query parameters are ignored, not refused",
    "bbox-axes-swapped": "bbox is read latitude first",
    "datetime-open-end-refused": "a datetime interval with an open end is refused",
    "self-link-drops-query": "a page's self link leaves out the query",
    "links-without-type": "a page's next link has no type",
    "number-matched-ignores-filter": "numberMatched counts the whole collection,"
    " whatever bbox and datetime select",
    "number-returned-is-limit": "numberReturned is the limit, not the features sent",
    "percent-encoded-id-not-found": "a feature id is not percent-decoded: ids with a"
    " colon are not found",
    "feature-without-collection-link": "a feature has no link to its collection",
    "unknown-feature-200": "an unknown feature id answers 200 with null",
    "geojson-labelled-json": "features are never served as application/geo+json",
    "geometry-type-lowercase": "geometry types are written in lower case (polygon)",
    "api-definition-not-oas30": "the served API definition is not valid OpenAPI 3.0"
    " (no info object)",
    "crash-on-antimeridian": "a bbox whose west edge is east of its east edge (it"
    " crosses the antimeridian) gives 500",
}

PREFIX = "/features"
COLLECTION = "land-parcels"
GEOJSON = "application/geo+json"
JSON = "application/json"
OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
_PARAMETERS = frozenset({"limit", "offset", "bbox", "datetime"})
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$", re.I
)


@dataclass(frozen=True)
class Reply:
    """What the endpoint answers: status, media type, body."""

    status: int
    content_type: str
    body: bytes


class _Invalid(Exception):
    """A query parameter with an invalid value: 400."""


def _json(status: int, value: JsonValue, content_type: str = JSON) -> Reply:
    return Reply(status, content_type, json.dumps(value, ensure_ascii=False).encode())


def _error(status: int, code: str, description: str) -> Reply:
    return _json(status, {"code": code, "description": description})


class FeaturesEndpoint:
    """The land parcels served as OGC API - Features, with named faults."""

    def __init__(self, registry: Registry, data: Path, faults: frozenset[str]) -> None:
        self.registry = registry
        self.faults = faults
        # The classes /conformance declares (of Core, GeoJSON, OpenAPI 3.0):
        # a service may implement less than it could, and declare only that.
        self.classes: tuple[str, ...] = ("core", "geojson", "oas30")
        path = data / "land-parcel.json"
        records: Any = json.loads(path.read_text("utf-8")) if path.exists() else []
        self.features: list[dict[str, Any]] = [r for r in records if "id" in r]

    @staticmethod
    def serves(path: str) -> bool:
        """True for a path of this endpoint."""
        return path == PREFIX or path.startswith(PREFIX + "/")

    def _fault(self, name: str) -> bool:
        return name in self.faults

    def answer(
        self, method: str, path: str, query: str, accept: str, base: str
    ) -> Reply:
        """The reply to one request; ``base`` is the service's URL for links."""
        if method != "GET":
            return _error(405, "MethodNotAllowed", f"{method} is not served here")
        # The percent-decoding of a feature id happens per segment, below.
        parts = path[len(PREFIX) :].strip("/").split("/")
        params = parse_qs(query, keep_blank_values=True)
        root = base + PREFIX
        try:
            if parts == [""]:
                return self._landing(root)
            if parts == ["conformance"]:
                return self._conformance()
            if parts == ["api"]:
                return self._definition()
            if parts == ["collections"]:
                return self._collections(root)
            if len(parts) >= 2 and parts[0] == "collections":
                if unquote(parts[1]) != COLLECTION:
                    return _error(404, "NotFound", f"no collection {unquote(parts[1])}")
                if len(parts) == 2:
                    return _json(200, self._collection(root, listed=False))
                if len(parts) == 3 and parts[2] == "items":
                    return self._items(root, params, accept)
                if len(parts) == 4 and parts[2] == "items":
                    return self._feature(root, parts[3], accept)
        except _Invalid as exc:
            return _error(400, "InvalidParameterValue", str(exc))
        return _error(404, "NotFound", f"nothing is served at {path}")

    # -- the resources ---------------------------------------------------------

    def _landing(self, root: str) -> Reply:
        links: list[JsonValue] = [
            {"href": root + "/", "rel": "self", "type": JSON, "title": "This page"},
            {"href": root + "/api", "rel": "service-desc", "type": OPENAPI_JSON},
            {"href": root + "/conformance", "rel": "conformance", "type": JSON},
            {"href": root + "/collections", "rel": "data", "type": JSON},
        ]
        if self._fault("landing-without-conformance-link"):
            links = [
                link
                for link in links
                if isinstance(link, dict) and link.get("rel") != "conformance"
            ]
        return _json(
            200,
            {
                "title": "Land parcels of the state cadastre (reference service)",
                "description": "The reference land parcels as OGC API - Features",
                "links": links,
            },
        )

    def _conformance(self) -> Reply:
        classes = list(self.classes)
        if self._fault("conformance-without-core") and "core" in classes:
            classes.remove("core")
        return _json(200, {"conformsTo": [_CONF + name for name in classes]})

    def _definition(self) -> Reply:
        standard = self.registry.resolve("ogcapi-features-1@1.0.0")
        assert standard.interface is not None
        document: Any = yaml.safe_load(standard.interface.read_text("utf-8"))
        # The service's own definition: the standard's, with the paging
        # parameter its next links use.
        document["components"]["parameters"]["offset"] = {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "How many selected features come before the page",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        }
        items = document["paths"]["/collections/{collectionId}/items"]["get"]
        items["parameters"].append({"$ref": "#/components/parameters/offset"})
        if self._fault("api-definition-not-oas30"):
            del document["info"]
        body = json.dumps(document).encode()
        if self._fault("api-definition-mislabelled"):
            return Reply(200, "text/plain", body)
        return Reply(200, OPENAPI_JSON, body)

    def _collections(self, root: str) -> Reply:
        links: list[JsonValue] = [
            {"href": root + "/collections", "rel": "self", "type": JSON}
        ]
        if self._fault("collections-without-self"):
            links = []
        return _json(
            200,
            {"links": links, "collections": [self._collection(root, listed=True)]},
        )

    def _collection(self, root: str, *, listed: bool) -> dict[str, JsonValue]:
        here = f"{root}/collections/{COLLECTION}"
        items: list[JsonValue] = [
            {"href": here + "/items", "rel": "items", "type": GEOJSON},
            {"href": here + "/items", "rel": "items", "type": JSON},
        ]
        if self._fault("items-link-without-type"):
            items = [{"href": here + "/items", "rel": "items"}]
        elif self._fault("geojson-labelled-json"):
            items = [{"href": here + "/items", "rel": "items", "type": JSON}]
        features = self.features
        if self._fault("extent-misses-a-parcel"):
            # The extent of a stale summary: the easternmost parcel came later.
            east = max(features, key=lambda f: _east(f.get("geometry")))
            features = [f for f in features if f is not east]
        boxes = [_envelope(f.get("geometry")) for f in features]
        known = [b for b in boxes if b is not None]
        days = sorted(d for d in (_day(f) for f in self.features) if d is not None)
        title = "Land parcels"
        if not listed and self._fault("collection-title-differs"):
            title = "Cadastral parcels"
        crs: JsonValue = [CRS84]
        if listed and self._fault("collections-crs-as-string"):
            crs = CRS84
        extent: dict[str, JsonValue] = {}
        if known:
            extent["spatial"] = {
                "bbox": [
                    [
                        min(b[0] for b in known),
                        min(b[1] for b in known),
                        max(b[2] for b in known),
                        max(b[3] for b in known),
                    ]
                ],
                "crs": CRS84,
            }
        if days:
            extent["temporal"] = {
                "interval": [
                    [
                        f"{days[0].isoformat()}T00:00:00Z",
                        f"{days[-1].isoformat()}T23:59:59Z",
                    ]
                ],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            }
        return {
            "id": COLLECTION,
            "title": title,
            "description": "Cadastral land parcels: the boundary and the registered"
            " data, with the registration date as the time of each parcel",
            "links": [{"href": here, "rel": "self", "type": JSON}, *items],
            "extent": extent,
            "itemType": "feature",
            "crs": crs,
        }

    def _media(self, accept: str) -> str:
        if self._fault("geojson-labelled-json"):
            return JSON
        if GEOJSON in accept or JSON not in accept:
            return GEOJSON
        return JSON

    def _items(self, root: str, params: dict[str, list[str]], accept: str) -> Reply:
        unknown = sorted(set(params) - _PARAMETERS)
        if unknown and not self._fault("unknown-parameters-ignored"):
            raise _Invalid(f"unknown query parameter(s): {', '.join(unknown)}")
        given = {k: v[-1] for k, v in params.items() if k in _PARAMETERS}
        limit = _integer(given, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = _integer(given, "offset", 0, 0, None)
        if self._fault("default-page-too-large") and "limit" not in given:
            limit = 20
        if self._fault("limit-ignored"):
            limit = DEFAULT_LIMIT
        box = self._bbox(given.get("bbox"))
        when = self._datetime(given.get("datetime"))
        selected = [
            f
            for f in self.features
            if (box is None or _intersects(f.get("geometry"), box))
            and (when is None or _in_time(f, when))
        ]
        page = selected[offset : offset + limit]
        media = self._media(accept)
        here = f"{root}/collections/{COLLECTION}/items"
        query = urlencode(given)
        self_href = here if self._fault("self-link-drops-query") else _href(here, query)
        links: list[JsonValue] = [{"href": self_href, "rel": "self", "type": media}]
        if not self._fault("geojson-labelled-json"):
            other = JSON if media == GEOJSON else GEOJSON
            links.append({"href": self_href, "rel": "alternate", "type": other})
        if offset + limit < len(selected):
            following = urlencode({**given, "offset": offset + limit})
            link: dict[str, JsonValue] = {"href": _href(here, following), "rel": "next"}
            if not self._fault("links-without-type"):
                link["type"] = media
            links.append(link)
        matched: JsonValue = len(selected)
        if self._fault("number-matched-ignores-filter"):
            matched = len(self.features)
        returned: JsonValue = len(page)
        if self._fault("number-returned-is-limit"):
            returned = limit
        if self._fault("counts-as-strings"):
            matched, returned = str(matched), str(returned)
        body: dict[str, JsonValue] = {
            "type": "FeatureCollection",
            "features": [self._shown(f) for f in page],
            "links": links,
            "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "numberMatched": matched,
            "numberReturned": returned,
        }
        return _json(200, body, media)

    def _feature(self, root: str, segment: str, accept: str) -> Reply:
        key = (
            segment if self._fault("percent-encoded-id-not-found") else unquote(segment)
        )
        found = next((f for f in self.features if str(f["id"]) == key), None)
        if found is None:
            if self._fault("unknown-feature-200"):
                return _json(200, None)
            return _error(404, "NotFound", f"no feature {key} in {COLLECTION}")
        media = self._media(accept)
        collection = f"{root}/collections/{COLLECTION}"
        here = f"{collection}/items/{segment}"
        links: list[JsonValue] = [{"href": here, "rel": "self", "type": media}]
        if not self._fault("geojson-labelled-json"):
            other = JSON if media == GEOJSON else GEOJSON
            links.append({"href": here, "rel": "alternate", "type": other})
        if not self._fault("feature-without-collection-link"):
            links.append({"href": collection, "rel": "collection", "type": JSON})
        return _json(200, {**self._shown(found), "links": links}, media)

    def _shown(self, feature: dict[str, Any]) -> dict[str, JsonValue]:
        shown: dict[str, JsonValue] = dict(feature)
        geometry = feature.get("geometry")
        if self._fault("geometry-type-lowercase") and isinstance(geometry, dict):
            shown["geometry"] = {**geometry, "type": str(geometry["type"]).lower()}
        return shown

    # -- the query parameters ------------------------------------------------------

    def _bbox(self, text: str | None) -> tuple[float, float, float, float] | None:
        if text is None:
            return None
        try:
            numbers = [float(n) for n in text.split(",")]
        except ValueError:
            if self._fault("lenient-bbox"):
                return None
            raise _Invalid(f"bbox {text!r}: four or six numbers") from None
        if len(numbers) not in (4, 6):
            if self._fault("lenient-bbox"):
                return None
            raise _Invalid(f"bbox {text!r}: four or six numbers, not {len(numbers)}")
        if len(numbers) == 6:
            numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
        west, south, east, north = numbers
        if self._fault("bbox-axes-swapped"):
            south, west, north, east = numbers
        if self._fault("crash-on-antimeridian") and west > east:
            raise ZeroDivisionError("the antimeridian split divides by zero")
        if not all(math.isfinite(n) for n in numbers) or not (
            -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90
        ):
            raise _Invalid(
                f"bbox {text!r}: west, south, east, north in WGS 84 longitude and"
                " latitude, south not above north"
            )
        return west, south, east, north

    def _datetime(
        self, text: str | None
    ) -> tuple[datetime | None, datetime | None] | None:
        if text is None:
            return None
        if "/" not in text:
            instant = _instant(text)
            return instant, instant
        start, _, end = text.partition("/")
        opened = start in ("", "..") or end in ("", "..")
        if opened and self._fault("datetime-open-end-refused"):
            raise _Invalid(f"datetime {text!r}: give both ends of the interval")
        if start in ("", "..") and end in ("", ".."):
            raise _Invalid(f"datetime {text!r}: at most one end may be open")
        low = None if start in ("", "..") else _instant(start)
        high = None if end in ("", "..") else _instant(end)
        if low is not None and high is not None and low > high:
            raise _Invalid(f"datetime {text!r}: the interval ends before it starts")
        return low, high


def _href(path: str, query: str) -> str:
    return f"{path}?{query}" if query else path


def _integer(
    given: dict[str, str], name: str, default: int, low: int, high: int | None
) -> int:
    if name not in given:
        return default
    try:
        value = int(given[name])
    except ValueError:
        raise _Invalid(f"{name} {given[name]!r}: an integer") from None
    if value < low or (high is not None and value > high):
        top = f" and at most {high}" if high is not None else ""
        raise _Invalid(f"{name} {value}: at least {low}{top}")
    return value


def _instant(text: str) -> datetime:
    if not _DATE_TIME.match(text):
        raise _Invalid(f"datetime {text!r}: an RFC 3339 date-time or an interval")
    try:
        if "T" not in text.upper():
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid(f"datetime {text!r}: not a date-time that exists") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _day(feature: dict[str, Any]) -> date | None:
    properties = feature.get("properties") or {}
    value = properties.get("registrationDate") if isinstance(properties, dict) else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _in_time(
    feature: dict[str, Any], when: tuple[datetime | None, datetime | None]
) -> bool:
    day = _day(feature)
    if day is None:
        return True  # a feature without a time matches every datetime
    start = datetime.combine(day, datetime.min.time(), UTC)
    end = start + timedelta(days=1)
    low, high = when
    return (high is None or start <= high) and (low is None or end > low)


def _positions(node: Any) -> list[tuple[float, float]]:
    if (
        isinstance(node, list)
        and node
        and all(isinstance(n, int | float) for n in node)
    ):
        return [(float(node[0]), float(node[1]))]
    if isinstance(node, list):
        return [p for child in node for p in _positions(child)]
    return []


def _envelope(geometry: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(geometry, dict):
        return None
    positions = _positions(geometry.get("coordinates"))
    for part in geometry.get("geometries") or []:
        positions += _positions(
            part.get("coordinates") if isinstance(part, dict) else None
        )
    if not positions:
        return None
    xs = [p[0] for p in positions]
    ys = [p[1] for p in positions]
    return min(xs), min(ys), max(xs), max(ys)


def _east(geometry: Any) -> float:
    envelope = _envelope(geometry)
    return envelope[2] if envelope else -math.inf


def _intersects(geometry: Any, box: tuple[float, float, float, float]) -> bool:
    envelope = _envelope(geometry)
    if envelope is None:
        return True  # a feature without a geometry matches every bbox
    west, south, east, north = box
    if envelope[1] > north or envelope[3] < south:
        return False
    if west <= east:
        return not (envelope[0] > east or envelope[2] < west)
    # Across the antimeridian: the box is two, east of west and west of east.
    return envelope[2] >= west or envelope[0] <= east
