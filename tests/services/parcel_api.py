"""A third-party service for tests: the cadastre's parcel API, on loopback.

Written the way another team would write it, from its own documentation
(tests/data/registries/third-party/parcel-api/2.1.0/openapi.yaml), knowing
nothing of the programme's conventions: ``Api-Version`` instead of
``Standard``, ``X-Request-Id`` instead of ``X-Correlation-ID``, pages by
``page``/``pageSize`` with a ``totalCount``, and its own JSON error object.

Each named fault breaks one promise of that documentation.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FAULTS = {
    "wrong-version-value": "declares Api-Version 2.0 although it serves 2.1",
    "other-version-answered": "answers 200 to a request for another major version",
    "missing-required-header": "leaves out the required X-RateLimit-Remaining",
    "leak-in-list-400": "a list request it refuses with 400 shows a stack trace",
    "bad-header-answered": "answers 200 to an Accept-Language outside its list",
    "json-in-latin-1": "labels its JSON as ISO-8859-1 (JSON is UTF-8)",
    "negative-rate-limit": "X-RateLimit-Remaining is -1, below its minimum 0",
}

PARCELS = [
    {
        "id": f"P-{n:05d}",
        "cadastralNumber": f"11:204:{n:04d}",
        "areaSqm": 500.0 + n * 125.5,
        "region": "Abşeron" if n % 2 else "Quba",
        "landUse": "residential" if n % 3 else "agricultural",
    }
    for n in range(1, 8)
]
_ID = re.compile(r"P-[0-9]{5}")
_LANGUAGES = ("az", "en", "ru")
_PREFIX = "/v2"


class _Handler(BaseHTTPRequestHandler):
    server_version = "cadastre-api"
    faults: frozenset[str] = frozenset()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {
            k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()
        }
        request_id = self.headers.get("X-Request-Id")
        if request_id is not None and not 1 <= len(request_id) <= 64:
            return self._error(
                400, "BAD_REQUEST_ID", "X-Request-Id: 1 to 64 characters"
            )
        language = self.headers.get("Accept-Language")
        if (
            language is not None
            and language not in _LANGUAGES
            and "bad-header-answered" not in self.faults
        ):
            return self._error(400, "BAD_LANGUAGE", "Accept-Language: az, en or ru")
        wanted = self.headers.get("Api-Version")
        if (
            wanted is not None
            and wanted.strip() != "2"
            and "other-version-answered" not in self.faults
        ):
            return self._error(400, "UNSUPPORTED_VERSION", "only version 2 is served")
        if parts.path == f"{_PREFIX}/parcels":
            return self._list(query)
        if parts.path.startswith(f"{_PREFIX}/parcels/"):
            parcel_id = parts.path.rsplit("/", 1)[1]
            if not _ID.fullmatch(parcel_id):
                return self._error(400, "BAD_ID", "a parcel id is P- and five digits")
            for parcel in PARCELS:
                if parcel["id"] == parcel_id:
                    return self._json(200, parcel)
            return self._error(404, "NOT_FOUND", f"no parcel {parcel_id}")
        return self._error(404, "NOT_FOUND", "no such resource")

    def _list(self, query: dict[str, str]) -> None:
        try:
            page = int(query.get("page", "1"))
            size = int(query.get("pageSize", "10"))
        except ValueError:
            return self._refuse_list("page and pageSize are integers")
        if page < 1 or not 1 <= size <= 20:
            return self._refuse_list("page from 1, pageSize from 1 to 20")
        region = query.get("region")
        if region is not None and not 1 <= len(region) <= 60:
            return self._refuse_list("region has 1 to 60 characters")
        chosen = [p for p in PARCELS if region is None or p["region"] == region]
        start = (page - 1) * size
        self._json(
            200,
            {
                "data": chosen[start : start + size],
                "page": page,
                "pageSize": size,
                "totalCount": len(chosen),
            },
        )

    def _refuse_list(self, message: str) -> None:
        if "leak-in-list-400" in self.faults:
            message += (
                "\nTraceback (most recent call last):\n"
                '  File "/srv/cadastre/api/views.py", line 88, in search\n'
                "ValueError: invalid literal for int()"
            )
        self._error(400, "BAD_QUERY", message)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"code": code, "message": message}, error=True)

    def _json(self, status: int, value: object, *, error: bool = False) -> None:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        charset = "iso-8859-1" if "json-in-latin-1" in self.faults else "utf-8"
        self.send_header("Content-Type", f"application/json; charset={charset}")
        self.send_header("Content-Length", str(len(body)))
        version = "2.0" if "wrong-version-value" in self.faults else "2.1"
        self.send_header("Api-Version", version)
        self.send_header(
            "X-Request-Id", self.headers.get("X-Request-Id") or str(uuid.uuid4())
        )
        if not error and "missing-required-header" not in self.faults:
            remaining = "-1" if "negative-rate-limit" in self.faults else "99"
            self.send_header("X-RateLimit-Remaining", remaining)
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def parcel_api(*faults: str) -> Iterator[str]:
    """Serve the parcel API on loopback with ``faults``; yields its base URL."""
    unknown = set(faults) - set(FAULTS)
    assert not unknown, f"unknown faults {unknown}; known: {sorted(FAULTS)}"
    handler = type("Handler", (_Handler,), {"faults": frozenset(faults)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
