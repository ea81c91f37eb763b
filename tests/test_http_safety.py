"""The HTTP client's safety limits, against misbehaving loopback servers."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.probing.checks.context import CheckContext, ServiceContext
from conformance.probing.conventions import conventions_of
from conformance.probing.http import (
    EXCERPT_BYTES,
    HttpLimits,
    ServiceClient,
    UnsafeUrl,
    WriteRefused,
)
from conformance.probing.interfaces import interface_for
from conformance.probing.profiles import ServiceTarget
from conformance.registry.manifest import Agency


def _serve(handler: Callable[[BaseHTTPRequestHandler], None], context=None):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            handler(self)

        do_POST = do_GET

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def serve() -> Iterator[Callable]:
    servers = []

    def start(handler, context=None):
        server = _serve(handler, context)
        servers.append(server)
        scheme = "https" if context else "http"
        return f"{scheme}://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_stalled_reply_is_a_timeout_not_a_hang(serve):
    def stall(request):
        time.sleep(5)

    client = ServiceClient(serve(stall), limits=HttpLimits(read_timeout=0.5))
    started = time.monotonic()
    exchange = client.request("GET", "/x")
    assert time.monotonic() - started < 4
    assert exchange.status is None
    assert exchange.error_kind == "timeout"
    assert "0.5 s" in exchange.error


def test_an_endless_body_is_cut_at_the_cap(serve):
    def endless(request):
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.end_headers()
        try:
            while True:
                request.wfile.write(b"[" * 65536)
        except OSError:
            pass

    client = ServiceClient(serve(endless), limits=HttpLimits(max_body_bytes=1_000_000))
    exchange = client.request("GET", "/x")
    assert exchange.status == 200
    assert exchange.error_kind == "too-large"
    assert len(exchange.body) <= 1_000_000


def test_a_trickling_body_stops_at_the_total_deadline(serve):
    def trickle(request):
        request.send_response(200)
        request.send_header("Content-Type", "text/plain")
        request.end_headers()
        try:
            for _ in range(100):
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    limits = HttpLimits(read_timeout=1, total_timeout=0.5)
    exchange = ServiceClient(serve(trickle), limits=limits).request("GET", "/x")
    assert exchange.error_kind == "timeout"
    assert "still arriving" in exchange.error


def test_a_redirect_to_another_host_is_not_followed(serve):
    elsewhere: list[str] = []

    def target(request):
        elsewhere.append(request.path)
        request.send_response(200)
        request.send_header("Content-Length", "0")
        request.end_headers()

    other = serve(target).replace("127.0.0.1", "localhost")

    def redirect(request):
        request.send_response(302)
        request.send_header("Location", f"{other}/stolen")
        request.send_header("Content-Length", "0")
        request.end_headers()

    exchange = ServiceClient(serve(redirect)).request("GET", "/x")
    assert exchange.status == 302
    assert exchange.error_kind == "redirect"
    assert "another host" in exchange.error
    assert elsewhere == []


def test_a_redirect_on_the_same_host_is_followed(serve):
    def handler(request):
        if request.path == "/old":
            request.send_response(301)
            request.send_header("Location", "/new")
            request.send_header("Content-Length", "0")
        else:
            request.send_response(200)
            request.send_header("Content-Length", "2")
        request.end_headers()
        if request.path != "/old":
            request.wfile.write(b"ok")

    exchange = ServiceClient(serve(handler)).request("GET", "/old")
    assert (exchange.status, exchange.body) == (200, b"ok")


def test_invalid_tls_is_refused(serve, tmp_path):
    trustme = pytest.importorskip("trustme")
    unknown_ca, trusted_ca = trustme.CA(), trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    unknown_ca.issue_cert("127.0.0.1").configure_cert(context)

    def ok(request):
        request.send_response(200)
        request.send_header("Content-Length", "0")
        request.end_headers()

    url = serve(ok, context)
    bundle = tmp_path / "ca.pem"
    trusted_ca.cert_pem.write_to_path(str(bundle))
    exchange = ServiceClient(url, verify=str(bundle)).request("GET", "/x")
    assert exchange.status is None
    assert exchange.error_kind == "tls"
    assert exchange.error.startswith(
        f"TLS verification failed for {url.removeprefix('https://')}:"
        " certificate verify failed"
    )
    assert "SSLError" not in exchange.error and "Max retries" not in exchange.error
    unknown_ca.cert_pem.write_to_path(str(bundle))
    assert ServiceClient(url, verify=str(bundle)).request("GET", "/x").status == 200


def test_a_refused_connection_is_an_availability_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exchange = ServiceClient(f"http://127.0.0.1:{port}").request("GET", "/x")
    assert exchange.status is None
    assert exchange.error_kind == "connect"  # never established: nothing was sent


def test_writes_are_refused_unless_allowed(serve):
    client = ServiceClient(serve(lambda r: None))
    with pytest.raises(WriteRefused, match="does not allow writes"):
        client.request("POST", "/x", json_body={})


def test_only_the_profile_host_is_contacted(serve):
    client = ServiceClient(serve(lambda r: None))
    with pytest.raises(ValueError, match="only contacts the hosts named"):
        client.request("GET", "http://127.0.0.2:9/x")


def test_the_rate_limit_spaces_requests(serve):
    def ok(request):
        request.send_response(204)
        request.end_headers()

    client = ServiceClient(serve(ok), rate_limit=20)
    for _ in range(6):
        client.request("GET", "/x")
    starts = [e for e in client.exchanges]
    assert len(starts) == 6
    # Spacing is asserted on the client's own pacing record, not on wall time.
    assert client._last > 0


def test_what_goes_on_the_wire(serve):
    """The headers, body and cookies each request carries, as requests'
    session sends them: our own headers over the session's defaults, and a
    cookie the service set sent back on the next request."""
    seen: list[tuple[str, list[tuple[str, str]], bytes]] = []
    paths: list[str] = []

    def record(request):
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        seen.append((request.command, list(request.headers.items()), body))
        paths.append(request.path)
        request.send_response(200)
        request.send_header("Set-Cookie", "visit=7; Path=/")
        request.send_header("Content-Length", "0")
        request.end_headers()

    url = serve(record)
    client = ServiceClient(url, token="tok-123", allow_writes=True)
    client.request("GET", "/a", params={"q": "x y"}, correlation_id="c-1")
    client.request("POST", "/b", json_body={"ä": 1}, correlation_id="c-2")
    client.request("GET", "/c", auth=False, correlation_id="c-3")
    (get, first, none), (post, second, body), (_, third, _) = seen
    assert (get, post, none) == ("GET", "POST", b"")
    assert paths == ["/a?q=x+y", "/b", "/c"]
    assert first == [
        ("Host", url.removeprefix("http://")),
        ("User-Agent", "egov-conformance"),
        ("Accept-Encoding", "gzip, deflate"),
        ("Accept", "application/json"),
        ("Connection", "keep-alive"),
        ("X-Correlation-ID", "c-1"),
        ("Authorization", "Bearer tok-123"),
    ]
    assert body == '{"ä": 1}'.encode()
    assert ("Content-Type", "application/json") in second
    assert ("Content-Length", str(len(body))) in second
    assert ("Cookie", "visit=7") in second
    assert [k for k, _ in third if k == "Authorization"] == []
    assert ("Cookie", "visit=7") in third


def test_a_dry_run_sends_nothing(serve):
    hits = []

    def count(request):
        hits.append(request.path)

    client = ServiceClient(serve(count), dry_run=True, token="s3cr3t-token")
    exchange = client.request("GET", "/persons/5ZK3T2A")
    assert exchange.dry_run
    assert hits == []
    assert "s3cr3t-token" not in exchange.curl()
    assert "Authorization: Bearer ***" in exchange.curl()


@pytest.mark.parametrize(
    ("location", "why"),
    [
        # urlsplit reads the host after the backslash and "@"; the HTTP
        # library reads the one before: the token would go to OTHER.
        ("http://OTHER\\@SERVICE/stolen", "backslash"),
        ("/\\OTHER/stolen", "backslash"),
        ("http://user@SERVICE/stolen", "user-info"),
        ("http://SERVICE/sto len", "space"),
        ("http://SERVICE/sto\x01len", "control character"),
    ],
)
def test_a_redirect_to_an_ambiguous_url_is_not_followed(serve, location, why):
    elsewhere: list[str] = []

    def target(request):
        elsewhere.append(request.headers.get("Authorization", ""))
        request.send_response(200)
        request.send_header("Content-Length", "0")
        request.end_headers()

    other = serve(target).removeprefix("http://").replace("127.0.0.1", "localhost")
    service: list[str] = []

    def redirect(request):
        if request.path != "/x":
            elsewhere.append(request.headers.get("Authorization", ""))
        request.send_response(302)
        request.send_header("Location", location.replace("SERVICE", service[0]))
        request.send_header("Content-Length", "0")
        request.end_headers()

    location = location.replace("OTHER", other)
    base = serve(redirect)
    service.append(base.removeprefix("http://"))
    exchange = ServiceClient(base, token="s3cr3t-token").request("GET", "/x")
    assert exchange.status == 302
    assert exchange.error_kind == "redirect"
    assert why in exchange.error
    assert "not follow" in exchange.error
    assert elsewhere == []


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        ("http://api.example.org\\@127.0.0.1:9", "backslash"),
        ("http://user:password@127.0.0.1:9", "user-info"),
        ("http://127.0.0.1:9\x00.example.org", "control character"),
    ],
)
def test_an_ambiguous_base_url_is_refused(base_url, why):
    with pytest.raises(UnsafeUrl, match=why):
        ServiceClient(base_url)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/persons/a\\b", "backslash"),
        ("/persons/a b", "space"),
        ("/persons/a\r\nX-Injected: 1", "control character"),
        ("http://attacker\\@127.0.0.1/persons", "backslash"),
    ],
)
def test_an_ambiguous_path_is_refused_and_nothing_is_sent(serve, path, why):
    hits: list[str] = []
    client = ServiceClient(serve(lambda request: hits.append(request.path)))
    with pytest.raises(UnsafeUrl, match=why):
        client.request("GET", path)
    assert hits == []
    assert client.exchanges == []


@pytest.fixture
def raw_server() -> Iterator[Callable]:
    """A loopback TCP server running ``handle(conn)`` for each connection;
    ``handle`` may loop until ``stop`` is set. Counts connections."""
    listeners: list[socket.socket] = []
    stop = threading.Event()

    def start(handle: Callable[[socket.socket, threading.Event], None]):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listeners.append(listener)
        accepted: list[socket.socket] = []

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                accepted.append(conn)
                threading.Thread(
                    target=_handle_quietly, args=(handle, conn, stop), daemon=True
                ).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}", accepted

    yield start
    stop.set()
    for listener in listeners:
        listener.close()


def _handle_quietly(handle, conn: socket.socket, stop: threading.Event) -> None:
    try:
        handle(conn, stop)
    except OSError:
        pass
    finally:
        conn.close()


def _send_in_thread(client: ServiceClient, method: str = "GET"):
    """The exchange, or None if the request was still waiting after 120 s."""
    done: list = []
    thread = threading.Thread(
        target=lambda: done.append(client.request(method, "/x")), daemon=True
    )
    thread.start()
    thread.join(timeout=120)  # bounds the test; nothing is asserted on speed
    return done[0] if done else None


def test_endless_interim_replies_stop_at_the_total_deadline(raw_server):
    def interim_forever(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        while not stop.is_set():
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.05)

    url, _ = raw_server(interim_forever)
    limits = HttpLimits(connect_timeout=2, read_timeout=2, total_timeout=1)
    exchange = _send_in_thread(ServiceClient(url, limits=limits))
    assert exchange is not None, "the request was still waiting: no total deadline"
    assert exchange.status is None
    assert exchange.error_kind == "timeout"
    assert "total deadline of 1 s" in exchange.error


def test_headers_trickling_in_stop_at_the_total_deadline(raw_server):
    def slow_headers(conn: socket.socket, stop: threading.Event) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.is_set():  # one header line, a byte at a time
            conn.sendall(b"x")
            time.sleep(0.05)

    url, _ = raw_server(slow_headers)
    limits = HttpLimits(connect_timeout=2, read_timeout=2, total_timeout=1)
    exchange = _send_in_thread(ServiceClient(url, limits=limits))
    assert exchange is not None, "the request was still waiting: no total deadline"
    assert exchange.error_kind == "timeout"
    assert "total deadline of 1 s" in exchange.error


def _close_after_request(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)


def _garbage_status_line(conn: socket.socket, stop: threading.Event) -> None:
    conn.recv(65536)
    conn.sendall(b"GARBAGE\r\n\r\n")


def _reset_on_accept(conn: socket.socket, stop: threading.Event) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00" * 2)


@pytest.mark.parametrize(
    "handle", [_close_after_request, _garbage_status_line, _reset_on_accept]
)
def test_a_request_that_reached_the_service_is_not_sent_again(raw_server, handle):
    # The connection was made: the service may have acted on the request,
    # so it is asked once, whatever came back.
    url, accepted = raw_server(handle)
    exchange = _send_in_thread(ServiceClient(url))
    assert exchange is not None
    assert exchange.status is None
    assert exchange.error
    assert len(accepted) == 1
    assert exchange.attempts == 1


def test_a_read_that_could_not_connect_is_tried_again_a_write_is_not():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    client = ServiceClient(
        f"http://127.0.0.1:{port}", allow_writes=True, limits=HttpLimits(retries=2)
    )
    read = client.request("GET", "/x")
    assert read.error_kind == "connect"
    assert read.attempts == 3
    write = client.request("POST", "/x", json_body={"a": 1})
    assert write.error_kind == "connect"
    assert write.attempts == 1


def _no_python_repr(text: str) -> bool:
    return not any(
        mark in text
        for mark in (
            "Error(",
            "object at 0x",
            "Caused by",
            "Max retries",
            "<",
            "[Errno",
        )
    )


def test_an_unreachable_service_is_named_in_plain_words():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exchange = ServiceClient(f"http://127.0.0.1:{port}").request("GET", "/x")
    assert exchange.error_kind == "connect"
    assert exchange.error.startswith(
        f"could not connect to 127.0.0.1:{port}: connection refused"
    )
    assert _no_python_repr(exchange.error), exchange.error


def test_a_name_that_does_not_resolve_is_said_so():
    # .invalid never resolves (RFC 6761).
    exchange = ServiceClient("http://no-such-agency.invalid:8080").request("GET", "/x")
    assert exchange.error_kind == "connect"
    assert exchange.error.startswith(
        "could not connect to no-such-agency.invalid:8080: the host name"
        " no-such-agency.invalid could not be resolved"
    )
    assert _no_python_repr(exchange.error), exchange.error


@pytest.mark.parametrize(
    ("handle", "said"),
    [
        (_close_after_request, "closed the connection without a reply"),
        (_garbage_status_line, "not an HTTP status line"),
    ],
)
def test_a_broken_reply_is_said_in_plain_words(raw_server, handle, said):
    url, _ = raw_server(handle)
    exchange = _send_in_thread(ServiceClient(url))
    assert exchange is not None
    assert exchange.error_kind == "unavailable"
    assert said in exchange.error
    assert _no_python_repr(exchange.error), exchange.error


def _json_reply(body: bytes) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler replying 200 with ``body`` as JSON."""

    def reply(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    return reply


def test_the_client_keeps_only_excerpts_of_the_replies_it_has_seen(serve):
    size = 1_000_000
    body = b"[" + b"0," * (size // 2 - 1) + b"0]"

    client = ServiceClient(serve(_json_reply(body)), token="s3cr3t-token")
    for _ in range(20):
        exchange = client.request("GET", "/x")
        assert exchange.body == body  # the check judging it gets all of it
    assert len(client.exchanges) == 20
    kept = max(len(e.body) for e in client.exchanges)
    assert kept <= EXCERPT_BYTES + client.redactor.reach
    evidence = client.exchanges[-1].to_evidence()
    assert evidence["response"]["body"].endswith(f"({len(body):,} bytes in all)")


def _person_service(registry, url: str, name: str) -> ServiceContext:
    """A person@1.2.0 service at ``url``, as a run's checks share it."""
    standard = registry.resolve("person@1.2.0")
    return ServiceContext(
        target=ServiceTarget(
            id=name,
            standard=standard.ref,
            base_url=url,
            agency=Agency("test", "Test agency"),
        ),
        registry=registry,
        standard=standard,
        interface=interface_for(registry, standard),
        client=ServiceClient(url),
        conventions=conventions_of(standard),
    )


def test_a_check_keeps_excerpts_as_evidence_and_judges_whole_replies(serve, registry):
    # The latency check sends up to 1000 requests: their evidence must not
    # hold every reply whole while it runs.
    body = b'"' + b"x" * 1_000_000 + b'"'

    service = _person_service(registry, serve(_json_reply(body)), "test:large")
    ctx = CheckContext(
        service, None, requirement="ER-HTTP-13", rule="latency", standard="x@1"
    )
    for _ in range(10):
        assert ctx.send("GET", "/x").body == body
    assert len(ctx.exchanges) == 10
    assert max(len(e.body) for e in ctx.exchanges) <= EXCERPT_BYTES
    assert (
        ctx.exchanges[0]
        .to_evidence()["response"]["body"]
        .endswith(f"({len(body):,} bytes in all)")
    )


def test_an_unreachable_service_is_one_clear_error_the_rest_skipped(tmp_path, capsys):
    # Thirty copies of a connection error told a reader nothing more than one.
    import socket

    from report_helpers import cli, report_of, write_profile

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    profile = write_profile(tmp_path / "profiles", base_url=f"http://127.0.0.1:{port}")
    reports = tmp_path / "reports"
    code, out, _ = cli(capsys, "run", "--agency", profile, "--reports-dir", reports)
    assert code == 3
    results = report_of(reports)["results"]
    errors = [r for r in results if r["outcome"] == "error"]
    assert len(errors) == 1, [r["id"] for r in errors]
    assert (
        f"could not connect to 127.0.0.1:{port}: connection refused"
        in errors[0]["reason"]
    )
    others = [r for r in results if r is not errors[0]]
    assert {r["outcome"] for r in others} == {"skipped"}
    unchecked = [r for r in others if "allow_writes" not in r["reason"]]
    assert unchecked and all(
        r["reason"].startswith("not checked: could not connect")
        and errors[0]["id"] in r["reason"]
        for r in unchecked
    )
    assert "NewConnectionError" not in out and "Errno" not in out


def test_a_parameter_s_values_are_generated_once_per_service(registry, monkeypatch):
    """Every check that fills a parameter from its schema gets the values the
    first one generated, with the run's seed: one generation per service."""
    from conformance import strategies

    made: list[int] = []
    real = strategies.fixed_examples

    def counting(strategy, count, seed):
        made.append(seed)
        return real(strategy, count, seed)

    monkeypatch.setattr(strategies, "fixed_examples", counting)
    url = "http://127.0.0.1:9"  # nothing is sent
    one = _person_service(registry, url, "test:fill")
    limit = next(
        p
        for operation in one.interface.operations
        for p in operation.parameters
        if p.name == "limit"
    )
    values = [
        CheckContext(one, None, requirement="R", rule=rule, standard="x@1")._generated(
            limit
        )
        for rule in ("first", "second", "third")
    ]
    assert values[0] is not None and values.count(values[0]) == 3
    assert len(made) == 1
    # Another service (another run) generates its own.
    two = _person_service(registry, url, "test:fill")
    other = CheckContext(two, None, requirement="R", rule="r", standard="x@1")
    assert other._generated(limit) == values[0]
    assert len(made) == 2


def test_every_ascii_space_or_control_in_a_url_is_named():
    # The check of plain ASCII runs in C: it must stop where the full check
    # of each character does, and let every other character through.
    import unicodedata

    from conformance.probing.http import url_problem

    for code in range(128):
        char = chr(code)
        problem = url_problem(f"http://127.0.0.1:8080/a{char}b")
        if char == "\\":
            assert problem is not None and "backslash" in problem
        elif char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            assert problem is not None and f"(U+{code:04X})" in problem, code
        else:
            assert problem is None, (code, problem)
