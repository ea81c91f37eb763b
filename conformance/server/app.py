"""The central compliance service: an ASGI application (Starlette).

Pages (``/``, ``/agencies/{id}``, ``/standards/{id}``, ``/runs/{id}``,
``/certificates/{sha256}``, ``/verify/{sha256}``, ``/badges/...svg``) and a
JSON API under ``/api/v1`` described by ``openapi.yaml`` (the standard
``compliance-service@1.0.0``), whose only write is the push of a run.

The API follows the programme's exchange rules: ``X-Correlation-ID``
echoed, the ``Standard`` header on every reply, ``Accept-Standard``
answered 406 for another major version, errors as problem details, cursor
pagination.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from conformance.history import HistoryStore, open_history
from conformance.history.central import (
    Push,
    audit,
    authenticate,
    find_push,
    latest_pushes,
    push_by_sha256,
    pushes,
    store_push,
)
from conformance.registry.standards import Registry
from conformance.reporting.writers.html import render_html
from conformance.server.intake import check_report
from conformance.server.pages import render_page
from conformance.server.problems import MEDIA_TYPE, Problem
from conformance.server.views import (
    BADGE_COLOURS,
    agency_row,
    overview,
    standard_rows,
    trend,
)

STANDARD = "compliance-service@1.0.0"
MAJOR = "compliance-service@1"
API = "/api/v1"
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_AGENCY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SHA = re.compile(r"^[0-9a-fA-F]{64}$")
# Pages allow only their own inline script and style (the reports' policy);
# the HTTP header says it again for browsers that ignore the meta element.
_PAGE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Settings:
    """How the service runs."""

    database: str
    registry: Path | None = None
    max_body: int = 8 * 1024 * 1024
    pushes_per_minute: int = 120
    public_read: bool = True
    page_size: int = 20


class Stores:
    """Database connections for the worker threads.

    SQLite: one connection, used by one thread at a time (SQLite writes one
    at a time anyway). PostgreSQL: one connection per worker thread, so
    pushes are stored concurrently and the database orders them.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        first = open_history(database)  # migrates, once, before serving
        self.shared = first if first.backend.kind == "sqlite" else None
        if self.shared is None:
            first.close()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened: list[HistoryStore] = []

    @contextlib.contextmanager
    def use(self) -> Iterator[HistoryStore]:
        """A store for this thread."""
        if self.shared is not None:
            with self._lock:
                yield self.shared
            return
        store: HistoryStore | None = getattr(self._local, "store", None)
        if store is None:
            store = open_history(self.database)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        yield store

    def close(self) -> None:
        """Close every connection."""
        for store in [*self._opened, *([self.shared] if self.shared else [])]:
            with contextlib.suppress(Exception):
                store.close()


class RateLimit:
    """At most N pushes per token in any 60 seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> int | None:
        """None when admitted, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, collections.deque())
            while seen and now - seen[0] >= 60:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return max(1, int(60 - (now - seen[0])) + 1)
            seen.append(now)
            return None


def _openapi_text() -> str:
    return (
        resources.files("conformance.server")
        .joinpath("openapi.yaml")
        .read_text(encoding="utf-8")
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "az"


def create_app(settings: Settings) -> Starlette:
    """The service's ASGI application."""
    registry = Registry.open(settings.registry)
    stores = Stores(settings.database)
    limiter = RateLimit(settings.pushes_per_minute)
    openapi = _openapi_text()

    def read_allowed(request: Request) -> bool:
        if settings.public_read:
            return True
        token = _bearer(request)
        if token is None:
            return False
        with stores.use() as store:
            return authenticate(store, token) is not None

    # -- the API's conventions ---------------------------------------------

    def api(
        handler: Callable[[Request, str], Awaitable[Response]],
        *,
        write: bool = False,
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get("x-correlation-id")
            correlation = given if given and _UUID.match(given) else str(uuid.uuid4())
            try:
                if given is not None and not _UUID.match(given):
                    raise Problem(
                        400,
                        "bad-request",
                        "Bad request",
                        "X-Correlation-ID must be a UUID (ER-HTTP-1)",
                    )
                wanted = request.headers.get("accept-standard")
                if wanted is not None:
                    _check_accept_standard(wanted)
                if not write and not await run_in_threadpool(read_allowed, request):
                    raise _unauthorized(
                        "reading needs a token: this service is private"
                    )
                response = await handler(request, correlation)
            except Problem as problem:
                response = JSONResponse(
                    problem.document(correlation),
                    status_code=problem.status,
                    media_type=MEDIA_TYPE,
                    headers=problem.headers,
                )
            response.headers["Standard"] = STANDARD
            response.headers["X-Correlation-ID"] = correlation
            response.headers.update(_PAGE_HEADERS)
            return response

        return endpoint

    async def agencies_list(request: Request, _: str) -> Response:
        limit = _int_param(request, "limit", 1, 100, settings.page_size)
        cursor = request.query_params.get("cursor")
        after = ""
        if cursor is not None:
            after = _decode_cursor(cursor)

        def page() -> tuple[list[dict[str, object]], str | None]:
            with stores.use() as store:
                latest = [p for p in latest_pushes(store) if p.agency > after]
                chosen = latest[:limit]
                items = [_agency_json(store, registry, p) for p in chosen]
            more = len(latest) > limit
            return items, _encode_cursor(chosen[-1].agency) if more else None

        items, next_cursor = await run_in_threadpool(page)
        return JSONResponse({"items": items, "next": next_cursor})

    async def agency_read(request: Request, _: str) -> Response:
        agency = request.path_params["agencyId"]
        if not _AGENCY.match(agency):
            raise Problem(
                400,
                "bad-request",
                "Bad request",
                "agencyId: letters, digits, - and _ (1 to 64)",
            )

        def read() -> dict[str, object] | None:
            with stores.use() as store:
                latest = pushes(store, agency, limit=1)
                return _agency_json(store, registry, latest[0]) if latest else None

        found = await run_in_threadpool(read)
        if found is None:
            raise Problem(
                404, "not-found", "Not found", f"no run of agency {agency!r} was pushed"
            )
        return JSONResponse(found)

    async def certificate_read(request: Request, _: str) -> Response:
        sha = request.path_params["sha256"]
        if not _SHA.match(sha):
            raise Problem(
                400, "bad-request", "Bad request", "sha256: 64 hexadecimal digits"
            )

        def read() -> dict[str, object] | None:
            with stores.use() as store:
                push = push_by_sha256(store, sha)
                if push is None or push.verdict != "conformant":
                    return None
                return _certificate_json(store, registry, push, str(request.base_url))

        found = await run_in_threadpool(read)
        if found is None:
            raise Problem(
                404,
                "not-found",
                "Not found",
                "no certificate for a report with this SHA-256",
            )
        return JSONResponse(found)

    async def run_push(request: Request, correlation: str) -> Response:
        remote = request.client.host if request.client else None
        token = _bearer(request)
        if token is None:
            await run_in_threadpool(_audit, stores, 401, "no-token", remote=remote)
            raise _unauthorized(
                "pushing a run needs the agency's token: Authorization: Bearer <token>"
            )

        def who() -> tuple[str, str] | None:
            with stores.use() as store:
                info = authenticate(store, token)
            return (info.agency, info.id) if info else None

        identity = await run_in_threadpool(who)
        if identity is None:
            await run_in_threadpool(_audit, stores, 401, "bad-token", remote=remote)
            raise _unauthorized(
                "the token is unknown or revoked; ask the executive group for one"
            )
        agency, token_id = identity
        wait = limiter.admit(token_id)
        if wait is not None:
            await run_in_threadpool(
                _audit,
                stores,
                429,
                "rate-limited",
                agency=agency,
                token_id=token_id,
                remote=remote,
            )
            raise Problem(
                429,
                "rate-limited",
                "Too many pushes",
                f"at most {settings.pushes_per_minute} pushes a minute per token;"
                f" retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        body = await _read_body(request, settings.max_body)
        if body is None:
            await run_in_threadpool(
                _audit,
                stores,
                413,
                "too-large",
                agency=agency,
                token_id=token_id,
                remote=remote,
            )
            raise Problem(
                413,
                "too-large",
                "The body is too large",
                f"a pushed report may hold at most {settings.max_body} bytes",
            )

        def take() -> tuple[int, dict[str, object]]:
            try:
                intake = check_report(body, registry, agency)
            except Problem as problem:
                _audit(
                    stores,
                    problem.status,
                    problem.kind,
                    agency=agency,
                    token_id=token_id,
                    remote=remote,
                    detail=problem.detail,
                )
                raise
            with stores.use() as store:
                new, push = store_push(
                    store,
                    intake.run,
                    agency=agency,
                    token_id=token_id,
                    document=intake.text,
                    sha256=intake.sha256,
                )
                if not new and push.sha256 != intake.sha256:
                    audit(
                        store,
                        status=409,
                        outcome="conflict",
                        agency=agency,
                        token_id=token_id,
                        run_id=push.run_id,
                        remote=remote,
                    )
                    raise Problem(
                        409,
                        "conflict",
                        "Another report has this run id",
                        f"run {push.run_id} was pushed before with another report"
                        f" (SHA-256 {push.sha256}); a run's report never changes",
                    )
                status = 201 if new else 200
                audit(
                    store,
                    status=status,
                    outcome="stored" if new else "replayed",
                    agency=agency,
                    token_id=token_id,
                    run_id=push.run_id,
                    remote=remote,
                )
            return status, _push_json(push, new, str(request.base_url))

        status, document = await run_in_threadpool(take)
        headers = {"Location": f"{API}/runs/{document['runId']}"}
        return JSONResponse(document, status_code=status, headers=headers)

    async def run_read(request: Request, _: str) -> Response:
        run_id = request.path_params["runId"]
        if not _UUID.match(run_id):
            raise Problem(400, "bad-request", "Bad request", "runId: a UUID")

        def read() -> Push | None:
            with stores.use() as store:
                return find_push(store, run_id)

        push = await run_in_threadpool(read)
        if push is None:
            raise Problem(404, "not-found", "Not found", f"no run {run_id} was pushed")
        return JSONResponse(_push_json(push, False, str(request.base_url)))

    async def openapi_document(request: Request, _: str) -> Response:
        return Response(openapi, media_type="application/yaml")

    async def api_unknown(request: Request, _: str) -> Response:
        raise Problem(
            404, "not-found", "Not found", f"no such resource: {request.url.path}"
        )

    # -- pages -------------------------------------------------------------

    def page(
        build: Callable[[Request, HistoryStore], str | Response],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            def work() -> Response:
                if not read_allowed(request):
                    return HTMLResponse(
                        "a token is needed to read this service",
                        401,
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                with stores.use() as store:
                    made = build(request, store)
                if isinstance(made, Response):
                    return made
                return HTMLResponse(made, headers=_PAGE_HEADERS)

            return await run_in_threadpool(work)

        return endpoint

    def common(request: Request) -> dict[str, object]:
        return {
            "root": str(request.base_url).rstrip("/"),
            "nav_standards": registry.ids(),
        }

    def dashboard(request: Request, store: HistoryStore) -> str:
        view = overview(store, registry)
        charts = [
            (a.id, c) for a in view.agencies if (c := trend(store, registry, a.id))
        ]
        return render_page(
            "dashboard.html.j2",
            lang=_lang(request),
            title_key="central.title",
            view=view,
            charts=charts,
            **common(request),
        )

    def agency_page(request: Request, store: HistoryStore) -> str | Response:
        agency = request.path_params["agency"]
        recent = pushes(store, agency, limit=50)
        if not recent:
            return _not_found("agency")
        run = store.load(recent[0].run_id, registry, evidence=False)
        return render_page(
            "agency.html.j2",
            lang=_lang(request),
            title_key="agency",
            row=agency_row(recent[0], run, registry),
            runs=recent,
            trend=trend(store, registry, agency),
            **common(request),
        )

    def standard_page(request: Request, store: HistoryStore) -> str | Response:
        name = request.path_params["standard"]
        if name not in registry.ids():
            return _not_found("standard")
        latest = registry.versions(name)[-1]
        return render_page(
            "standard.html.j2",
            lang=_lang(request),
            title_key="standard",
            standard=name,
            title=latest.title,
            versions=standard_rows(registry, name, overview(store, registry)),
            **common(request),
        )

    def run_page(request: Request, store: HistoryStore) -> str | Response:
        run_id = request.path_params["run"]
        if find_push(store, run_id) is None:
            return _not_found("run")
        return render_html(store.load(run_id, registry), lang=_lang(request))

    def certificate_page(request: Request, store: HistoryStore) -> str | Response:
        sha = request.path_params["sha256"].lower()
        push = push_by_sha256(store, sha) if _SHA.match(sha) else None
        if push is None or push.verdict != "conformant":
            return _not_found("certificate")
        data = _certificate_json(store, registry, push, str(request.base_url))
        return render_page(
            "certificate.html.j2",
            lang=_lang(request),
            title_key="certificate",
            push=push,
            refs=data["standards"],
            agency_name=data.get("agencyName"),
            verify_url=data["verify"],
            **common(request),
        )

    def verify_page(request: Request, store: HistoryStore) -> str | Response:
        sha = request.path_params["sha256"].lower()
        push = push_by_sha256(store, sha) if _SHA.match(sha) else None
        if push is not None and push.verdict != "conformant":
            push = None
        refs = (
            _certificate_json(store, registry, push, str(request.base_url))["standards"]
            if push
            else []
        )
        html = render_page(
            "verify.html.j2",
            lang=_lang(request),
            title_key="certificate",
            push=push,
            refs=refs,
            sha256=sha,
            **common(request),
        )
        return HTMLResponse(
            html, status_code=200 if push else 404, headers=_PAGE_HEADERS
        )

    def badge(request: Request, store: HistoryStore) -> Response:
        agency = request.path_params["agency"]
        standard = request.path_params["standard"]
        latest = pushes(store, agency, limit=1)
        status = "not-checked"
        if latest:
            row = agency_row(
                latest[0],
                store.load(latest[0].run_id, registry, evidence=False),
                registry,
            )
            found = [u for u in row.uses if u.standard == standard]
            if found:
                status = found[0].status
        from conformance.server.pages import words

        right = words(f"status.{status}", "en")
        left = f"{agency} · {standard}"
        svg = render_page(
            "badge.svg.j2",
            left=left,
            right=right,
            colour=BADGE_COLOURS[status],
            lw=12 + 7 * len(left),
            rw=12 + 7 * len(right),
        )
        return Response(
            svg.strip(),
            media_type="image/svg+xml",
            headers={"Cache-Control": "max-age=300", **_PAGE_HEADERS},
        )

    async def favicon(_: Request) -> Response:
        # Browsers ask for it on every page; no icon, and no 404 in their log.
        return Response(status_code=204)

    routes = [
        Route("/", page(dashboard)),
        Route("/favicon.ico", favicon),
        Route("/agencies/{agency}", page(agency_page)),
        Route("/standards/{standard}", page(standard_page)),
        Route("/runs/{run}", page(run_page)),
        Route("/certificates/{sha256}", page(certificate_page)),
        Route("/verify/{sha256}", page(verify_page)),
        Route("/badges/{agency}/{standard}.svg", page(badge)),
        Route(f"{API}/openapi.yaml", api(openapi_document)),
        Route(f"{API}/agencies", api(agencies_list)),
        Route(f"{API}/agencies/{{agencyId}}", api(agency_read)),
        Route(f"{API}/runs", api(run_push, write=True), methods=["POST"]),
        Route(f"{API}/runs/{{runId}}", api(run_read)),
        Route(f"{API}/certificates/{{sha256}}", api(certificate_read)),
        Route(
            f"{API}/{{rest:path}}",
            api(api_unknown),
            methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
        ),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> collections.abc.AsyncIterator[None]:
        try:
            yield
        finally:
            stores.close()

    return Starlette(routes=routes, lifespan=lifespan)


def _not_found(what: str) -> Response:
    return HTMLResponse(f"no such {what}", 404, headers=_PAGE_HEADERS)


def _unauthorized(detail: str) -> Problem:
    return Problem(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


def _check_accept_standard(wanted: str) -> None:
    value = wanted.strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]*@[0-9]+(\.[0-9]+){0,2}", value):
        raise Problem(
            400,
            "bad-request",
            "Bad request",
            "Accept-Standard is a standard reference: compliance-service@1 or"
            " compliance-service@1.0.0",
        )
    if value not in (MAJOR, "compliance-service@1.0", STANDARD):
        raise Problem(
            406,
            "unsupported-version",
            "Not acceptable",
            f"this service implements {STANDARD} only; Accept-Standard asked for"
            f" {value}",
        )


def _int_param(request: Request, name: str, low: int, high: int, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw) or not low <= int(raw) <= high:
        raise Problem(
            400,
            "bad-request",
            "Bad request",
            f"{name}: an integer from {low} to {high}",
        )
    return int(raw)


def _encode_cursor(agency: str) -> str:
    return base64.urlsafe_b64encode(f"a:{agency}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith("a:") or not _AGENCY.match(text[2:]):
        raise Problem(
            400, "bad-request", "Bad request", "cursor: pass back the next of a page"
        )
    return text[2:]


async def _read_body(request: Request, limit: int) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _audit(
    stores: Stores,
    status: int,
    outcome: str,
    *,
    agency: str | None = None,
    token_id: str | None = None,
    run_id: str | None = None,
    remote: str | None = None,
    detail: str | None = None,
) -> None:
    with stores.use() as store:
        audit(
            store,
            status=status,
            outcome=outcome,
            agency=agency,
            token_id=token_id,
            run_id=run_id,
            remote=remote,
            detail=detail,
        )


def _agency_json(
    store: HistoryStore, registry: Registry, push: Push
) -> dict[str, object]:
    row = agency_row(push, store.load(push.run_id, registry, evidence=False), registry)
    return {
        "id": row.id,
        "meetsEveryMust": row.meets_every_must,
        "latestRun": push.run_id,
        "standards": [
            {"ref": u.ref, "status": u.status, "mustFailed": u.must_failed}
            for u in row.uses
        ],
    }


def _push_json(push: Push, new: bool, base: str) -> dict[str, object]:
    base = base.rstrip("/")
    document: dict[str, object] = {
        "runId": push.run_id,
        "agency": push.agency,
        "stored": new,
        "sha256": push.sha256,
        "verdict": push.verdict,
        "received": push.received,
        "page": f"{base}/runs/{push.run_id}",
    }
    if push.verdict == "conformant":
        document["certificate"] = f"{base}/certificates/{push.sha256}"
    return document


def _certificate_json(
    store: HistoryStore, registry: Registry, push: Push, base: str
) -> dict[str, object]:
    run = store.load(push.run_id, registry, evidence=False)
    refs = sorted({t.standard for t in run.targets if t.standard})
    name = next((t.agency_name for t in run.targets if t.agency_name), None)
    document: dict[str, object] = {
        "agency": push.agency,
        "runId": push.run_id,
        "date": push.started[:10],
        "sha256": push.sha256,
        "standards": refs,
        "verify": f"{base.rstrip('/')}/verify/{push.sha256}",
    }
    if name:
        document["agencyName"] = name
    return document


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the service until it is stopped (Ctrl-C, SIGTERM)."""
    import uvicorn

    app = create_app(settings)
    print(f"conformance serve: listening on http://{host}:{port}/", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        # The server header names the framework: internals (ER-HTTP-6).
        server_header=False,
    )


__all__ = ["Settings", "create_app", "serve"]
