"""Endpoint fuzzing: generated requests, valid and invalid, on every operation.

Every documented parameter of an operation (path, query and header) and its
request body are generated from the interface's schemas. A parameter's value
is judged as it is sent: serialized by its style
(:mod:`conformance.probing.parameters`) and read back by its schema, so
``12345`` is a valid string and ``12a`` an invalid integer. Valid requests
(boundary cases first) must never get a server error, and get a documented
status and a valid reply (ER-HTTP-20). Invalid ones (one parameter or one
member of the body broken, everything else valid) must get a 4xx with
problem details (ER-HTTP-15, ER-HTTP-4). Every error reply is searched for
leaked internals (ER-HTTP-6).

Saved regression cases are replayed first. Then each *distinct* failure (by
what it breaks and where) is shrunk by hypothesis, sent once more to
confirm it, and saved, up to five an operation: a second fault is not hidden
behind the first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, cast
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyFailure

from conformance.model import Finding, JsonValue
from conformance.probing.checks import check
from conformance.probing.checks.catalogue import (
    _body_findings,
    _error_findings,
    leak_findings,
)
from conformance.probing.checks.context import (
    CheckContext,
    NotApplicable,
    Skip,
    Unavailable,
)
from conformance.probing.fuzzing import (
    GENERATION,
    FuzzSettings,
    Request,
    regressions,
    save_regression,
)
from conformance.probing.http import Exchange
from conformance.probing.interfaces import Operation, Parameter, member_at
from conformance.probing.parameters import (
    belongs,
    sendable,
    serialize,
    text_mutations,
)

if TYPE_CHECKING:
    from conformance.strategies.json import View
    from conformance.strategies.mutations import Mutation

# The strategies (the JSON compiler, ~24 ms to import) are imported where a
# fuzz check runs: listing the checks imports this module without fuzzing.

MAX_FAILURES = 5  # distinct failures reported per operation and check
# Examples in a row that repeat requests already sent, after which an
# operation's search stops: its input space is used up.
STALE_EXAMPLES = 10
# Examples every operation gets, and then how many in a row may show no new
# behaviour (status, finding, shape of the reply) before its search stops:
# past that point examples were seen to repeat what is known, not find more.
FLOOR_EXAMPLES = 20
QUIET_EXAMPLES = 12
LEAKS = "ER-HTTP-6"  # what leak findings cite, whichever check finds them
# Rules whose findings differ by the member they name, not only by place.
_NAMING_RULES = ("required", "additionalProperties", "dependentRequired")

# A judged reply: each finding with the key that tells failures apart.
_Verdict = list[tuple[str, Finding]]
_Judge = Callable[[JsonValue], bool]


class _Misbehaved(Exception):
    """Raised inside the property to make hypothesis shrink the input."""


class _Enough(BaseException):
    """Raised inside the property to end a search at once: hypothesis lets
    what is not an ``Exception`` through, with no shrinking or replay, so no
    example is generated after the budget is spent."""


@dataclass
class _Search:
    """What one search of random examples ran into."""

    unavailable: Unavailable | None = None
    request: Request | None = None
    verdict: _Verdict = field(default_factory=list)
    exhausted: bool = False


@dataclass
class _Found:
    """A confirmed failure: the request, its findings, the exchanges showing it."""

    request: Request
    findings: list[Finding]
    exchanges: list[Exchange]
    notes: dict[str, JsonValue]


@dataclass(frozen=True)
class _Slot:
    """One parameter to fuzz: its valid texts and, if it can break, invalid ones."""

    parameter: Parameter
    valid: st.SearchStrategy[str]
    invalid: st.SearchStrategy[str] | None

    @property
    def where(self) -> tuple[str, str]:
        return self.parameter.location, self.parameter.name


def _settings(fuzz: FuzzSettings) -> settings:
    return settings(
        max_examples=fuzz.examples,
        database=None,
        deadline=None,
        derandomize=False,
        verbosity=Verbosity.quiet,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )


def _fresh(ctx: CheckContext, body: JsonValue, keep: str | None = None) -> JsonValue:
    # The key is refreshed from the document itself, so that a seed replays
    # exactly the same requests.
    if not isinstance(body, dict):
        return body
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode())
    return ctx.with_fresh_key(body, keep=keep, rng=random.Random(digest.hexdigest()))


# -- what is generated ----------------------------------------------------------


def _plain(parameter: Parameter, text: str) -> str:
    """A serialized value's text as a string value would carry it."""
    if parameter.location == "query":
        text = text.partition("=")[2]
    return text if parameter.location == "header" else unquote(text)


def _slots(ctx: CheckContext, operation: Operation) -> list[_Slot]:
    """Every path, query and header parameter with a schema, ready to fuzz."""
    from conformance.strategies import compiler  # see the note at the top

    interface = ctx.service.interface
    schemas = compiler(ctx.service.registry)
    slots = []
    for parameter in operation.parameters:
        if parameter.location not in ("path", "query", "header"):
            continue
        if parameter.pointer is None:
            continue
        schema: dict[str, JsonValue] = {
            "$ref": f"{interface.uri}#{quote(parameter.pointer, safe='/~-._')}"
        }
        is_valid = interface.validator(parameter.pointer).is_valid
        values = schemas.strategy(schema, interface.uri)
        ordinary = ctx.fill(operation, parameter)
        known = [ordinary] if ordinary is not None else []

        def fits(text: str, p: Parameter = parameter, ok: _Judge = is_valid) -> bool:
            return sendable(p, text) and belongs(p, text, ok)

        valid = values.map(partial(serialize, parameter)).filter(fits)
        if known:
            # A schema whose generated text is seldom sendable (any string,
            # as a header) still gets requests, with the ordinary value.
            valid = st.one_of(valid, st.sampled_from(known))
        fallback = ctx.broken_value(operation, parameter)
        invalid = None
        if fallback is not None:
            view = schemas.merge([(schema, interface.uri)])

            invalid = _broken_texts(parameter, is_valid, view, values, fallback)
        slots.append(_Slot(parameter, valid, invalid))
    return slots


def _broken_texts(
    parameter: Parameter,
    is_valid: _Judge,
    view: View,
    values: st.SearchStrategy[JsonValue],
    fallback: str,
) -> st.SearchStrategy[str]:
    """Serialized values that break the schema, next to generated valid ones."""
    from conformance.strategies.mutations import mutations_here  # see the top

    return _broken(
        parameter=parameter,
        is_valid=is_valid,
        values=values,
        mutate=partial(mutations_here, view),
        fallback=fallback,
    )


# The composite strategies are made here, once: hypothesis reads the source
# of a function each time it is made a composite.


@st.composite
def _broken(
    draw: st.DrawFn,
    *,
    parameter: Parameter,
    is_valid: _Judge,
    values: st.SearchStrategy[JsonValue],
    mutate: Callable[[JsonValue, tuple[str, ...]], Iterable[Mutation]],
    fallback: str,
) -> str:
    value = draw(values)
    near = [m.value for m in mutate(value, ())]
    near += text_mutations(_plain(parameter, serialize(parameter, value)))
    texts = dict.fromkeys(serialize(parameter, v) for v in near)
    options = [
        t
        for t in texts
        if sendable(parameter, t) and not belongs(parameter, t, is_valid)
    ]
    return draw(st.sampled_from(options)) if options else fallback


def _assemble(
    ctx: CheckContext,
    operation: Operation,
    texts: dict[tuple[str, str], str | None],
    *,
    body: JsonValue = None,
    has_body: bool = False,
    broken: str | None = None,
) -> Request:
    path, headers = ctx.request_parts(operation, values=texts)
    return Request(
        operation.method,
        path,
        body=body,
        has_body=has_body,
        headers=headers or None,
        broken=broken,
    )


def _strategy(
    ctx: CheckContext, operation: Operation, valid: bool
) -> st.SearchStrategy[Request]:
    """Requests to ``operation``: every parameter and the body generated."""
    from conformance.strategies import invalid_json, valid_json  # see the top

    slots = _slots(ctx, operation)
    # The parameters that are not fuzzed must be fillable: the same error
    # (no test data for a path parameter) as every other check gives.
    ctx.request_parts(operation, values={s.where: None for s in slots})
    registry, standard = ctx.service.registry, ctx.service.standard
    writes = operation.role == "create"
    if not slots and not writes:
        raise NotApplicable(f"{operation.id} has no parameter or body to fuzz")
    good_bodies: st.SearchStrategy[JsonValue] = (
        valid_json(registry, standard).map(partial(_fresh, ctx))
        if writes
        else st.none()
    )
    # A body's faults hide behind a refused parameter: with a body, optional
    # parameters come one time in four.
    present = st.sampled_from((False, False, False, True)) if writes else st.booleans()

    if valid:
        return _valid_request(
            ctx=ctx,
            operation=operation,
            slots=slots,
            present=present,
            bodies=good_bodies,
        )
    breakable = [s for s in slots if s.invalid is not None]
    options: list[st.SearchStrategy[Request]] = []
    if writes:
        options.append(
            invalid_json(registry, standard).map(
                lambda bad: _assemble(
                    ctx,
                    operation,
                    {},
                    body=_fresh(ctx, bad.document, keep=bad.violation.location),
                    has_body=True,
                    broken=f"body {bad.violation.location or '/'}",
                )
            )
        )
    if breakable:
        options.append(
            _broken_parameter(
                ctx=ctx,
                operation=operation,
                slots=slots,
                breakable=breakable,
                bodies=good_bodies,
            )
        )
    if not options:
        raise NotApplicable(
            f"no parameter of {operation.id} has a value that breaks its schema"
        )
    return st.one_of(options)


@st.composite
def _valid_request(
    draw: st.DrawFn,
    *,
    ctx: CheckContext,
    operation: Operation,
    slots: list[_Slot],
    present: st.SearchStrategy[bool],
    bodies: st.SearchStrategy[JsonValue],
) -> Request:
    texts: dict[tuple[str, str], str | None] = {}
    for slot in slots:
        wanted = slot.parameter.required or draw(present)
        texts[slot.where] = draw(slot.valid) if wanted else None
    body = draw(bodies)
    writes = operation.role == "create"
    return _assemble(ctx, operation, texts, body=body, has_body=writes)


@st.composite
def _broken_parameter(
    draw: st.DrawFn,
    *,
    ctx: CheckContext,
    operation: Operation,
    slots: list[_Slot],
    breakable: list[_Slot],
    bodies: st.SearchStrategy[JsonValue],
) -> Request:
    slot = draw(st.sampled_from(breakable))
    invalid = slot.invalid
    assert invalid is not None  # only breakable slots are drawn
    where = slot.where
    texts: dict[tuple[str, str], str | None] = {where: draw(invalid)}
    for other in slots:
        # The others as ordinary requests fill them, or generated where
        # nothing fills them (a read without test data).
        needed = other is not slot and other.parameter.required
        if needed and ctx.fill(operation, other.parameter) is None:
            texts[other.where] = draw(other.valid)
    body = draw(bodies)
    return _assemble(
        ctx,
        operation,
        texts,
        body=body,
        has_body=operation.role == "create",
        broken=f"{where[0]} {where[1]}",
    )


def _boundary_requests(
    ctx: CheckContext, operation: Operation, valid: bool
) -> list[Request]:
    from conformance.strategies import boundary_cases  # see the note at the top

    if operation.role != "create":
        return []
    cases = boundary_cases(ctx.service.registry, ctx.service.standard)
    path, headers = ctx.request_parts(operation)
    return [
        Request(
            "POST",
            path,
            body=_fresh(ctx, case.document),
            has_body=True,
            headers=headers or None,
            broken=None if valid else "body (boundary case)",
        )
        for case in cases
        if case.valid == valid
    ]


def _without_fixed_parameters(ctx: CheckContext, operation: Operation) -> list[Request]:
    """A key-value-pair operation's request without each of its fixed
    parameters in turn: no operation of the interface answers such a
    request, so each is an invalid one."""
    if not operation.kvp:
        return []
    try:
        full = urlsplit(ctx.path(operation))
    except Skip:
        return []
    pairs = parse_qsl(full.query, keep_blank_values=True)
    return [
        Request(
            operation.method,
            full._replace(query=urlencode([p for p in pairs if p[0] != name])).geturl(),
            broken=f"the fixed parameter {name}",
        )
        for name in operation.kvp
    ]


# -- judging ----------------------------------------------------------------------


def _send(ctx: CheckContext, request: Request) -> Exchange:
    # While this request is on the wire, another service's thread generates.
    with GENERATION.released():
        if request.has_body:
            return ctx.send(
                request.method,
                request.path,
                json_body=request.body,
                headers=request.headers,
            )
        return ctx.send(
            request.method,
            request.path,
            params=request.params,
            headers=request.headers,
        )


def _leaks(ctx: CheckContext, exchange: Exchange) -> _Verdict:
    found = leak_findings(ctx, exchange, requirement=LEAKS)
    return [
        (f"leak {f.message.partition(' discloses ')[2].split(':')[0]}", f)
        for f in found
    ]


def _member_key(finding: Finding) -> str:
    # Records of a page differ by index only: one fault, one key.
    pointer = re.sub(r"/[0-9]+(?=/|$)", "/*", finding.pointer or "")
    detail = finding.message if finding.rule in _NAMING_RULES else ""
    return f"{finding.rule} {pointer} {detail}".rstrip()


def _judge_valid(
    ctx: CheckContext, operation: Operation, request: Request, exchange: Exchange
) -> _Verdict:
    status = _status(exchange)
    leaks = _leaks(ctx, exchange)
    if status >= 500:
        finding = ctx.finding(
            "a valid request got a server error:"
            f" {exchange.method} {exchange.url} answered {status}"
        )
        return [(f"status {status}", finding), *leaks]
    if operation.documented(status) is None:
        finding = ctx.finding(
            f"a valid request got {status}, which {operation.id} does not document:"
            f" {exchange.method} {exchange.url}"
        )
        return [(f"status {status}", finding), *leaks]
    if 200 <= status < 300:
        return [(_member_key(f), f) for f in _body_findings(ctx, operation, exchange)]
    return leaks


def _judge_invalid(
    ctx: CheckContext, operation: Operation, request: Request, exchange: Exchange
) -> _Verdict:
    status = _status(exchange)
    broken = request.broken or "the body"
    if not 400 <= status < 500:
        finding = ctx.finding(
            f"an invalid request (breaking {broken}) got {status}, not a 4xx:"
            f" {exchange.method} {exchange.url}"
        )
        return [(f"status {status // 100}xx {broken}", finding), *_leaks(ctx, exchange)]
    problems = [
        (f"problem {_member_key(f)}", f)
        for f in _error_findings(ctx, operation, exchange)
    ]
    return problems + _leaks(ctx, exchange)


def _status(exchange: Exchange) -> int:
    # ctx.send has raised Unavailable for an exchange without a reply, so only
    # a dry run's exchange has no status; its result is reported as skipped.
    if exchange.status is None:
        raise Skip("dry run: nothing was sent")
    return exchange.status


def _behaviour(
    exchange: Exchange, verdict: _Verdict, sent: JsonValue = None
) -> tuple[object, ...]:
    """What a reply showed: its status, media type, findings and shape.

    The shape is the top-level members of a JSON object (or the JSON type)
    that the request's body did not send: a reply that grows or loses
    members of its own is new behaviour even when nothing is wrong with it
    yet, while a created record that echoes another choice of optional
    members is not (else every generated body would be news, and a search
    would never see the service answer alike).
    """
    shape: object = None
    if exchange.body and (exchange.media_type or "").endswith("json"):
        try:
            document = json.loads(exchange.body)
        except ValueError:
            shape = "not JSON"
        else:
            echoed = set(sent) if isinstance(sent, dict) else set()
            shape = (
                tuple(sorted(set(document) - echoed))
                if isinstance(document, dict)
                else type(document).__name__
            )
    keys = tuple(sorted(_keys(verdict)))
    return (exchange.status, exchange.media_type, keys, shape)


def _keys(verdict: _Verdict) -> set[str]:
    return {key for key, _ in verdict}


# -- the search -------------------------------------------------------------------


def _fuzz(ctx: CheckContext, valid: bool) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    fuzz = ctx.service.fuzz
    judge = _judge_valid if valid else _judge_invalid
    rule, service = ctx.rule, ctx.service.target.id
    case_name = f"{rule}-{operation.id}"
    strategy = _strategy(ctx, operation, valid)
    found: list[_Found] = []
    known: set[str] = set()
    unconfirmed = 0

    # 1. What failed before fails first.
    saved, damaged = regressions(fuzz, service, case_name)
    if damaged:
        ctx.notes["damaged_regression_cases"] = list(damaged)
    for path, request in saved:
        before = len(ctx.exchanges)
        verdict = _confirm(ctx, operation, rule, request, [])
        if verdict and not _keys(verdict) <= known:
            known |= _keys(verdict)
            findings = [f for _, f in verdict]
            exchanges = ctx.exchanges[before:]
            found.append(_Found(request, findings, exchanges, {"replayed": str(path)}))
        if len(found) >= MAX_FAILURES:
            break
    if found:
        return _report(ctx, fuzz, found, {})

    # Each distinct request is sent once: hypothesis asks again while it
    # shrinks, and a write sent twice would now conflict.
    tried: dict[str, _Verdict] = {}
    counts = {"sent": 0, "examples": 0, "quiet": 0}
    behaviours: set[tuple[object, ...]] = set()

    def attempt(request: Request) -> _Verdict:
        key = json.dumps(request.to_dict(), sort_keys=True, default=str)
        if key not in tried:
            counts["sent"] += 1
            exchange = _send(ctx, request)
            tried[key] = judge(ctx, operation, request, exchange)
            seen = _behaviour(exchange, tried[key], request.body)
            if seen not in behaviours:
                behaviours.add(seen)
                counts["quiet"] = -1  # this example is not a quiet one
        return tried[key]

    def keep(request: Request, verdict: _Verdict, shrunk: bool) -> None:
        nonlocal unconfirmed
        known.update(_keys(verdict))
        kept = _keep(ctx, operation, request, verdict, shrunk=shrunk)
        if kept is None:
            unconfirmed += 1
        else:
            found.append(kept)

    # 2. Deterministic cases, before anything random: a key-value-pair
    # request without one of its fixed parameters, then boundary cases.
    for request in [] if valid else _without_fixed_parameters(ctx, operation):
        verdict = attempt(request)
        if verdict and not _keys(verdict) <= known:
            keep(request, verdict, shrunk=False)
    for request in _boundary_requests(ctx, operation, valid):
        verdict = attempt(request)
        if verdict and not _keys(verdict) <= known:
            keep(request, verdict, shrunk=False)
        if len(found) >= MAX_FAILURES:
            break

    # 3. Random examples, within the budget of examples and of seconds; once
    # more for each new failure, looking past the ones already found.
    deadline = time.monotonic() + fuzz.seconds
    while len(found) < MAX_FAILURES and time.monotonic() < deadline:
        search = _search(
            fuzz, strategy, attempt, known=known, deadline=deadline, counts=counts
        )
        if search.unavailable is not None:
            raise search.unavailable
        if search.request is None:
            break
        keep(search.request, search.verdict, shrunk=True)
    summary: dict[str, JsonValue] = {
        "requests": counts["sent"],
        "examples": counts["examples"],
        "budget": fuzz.examples,
        "behaviours": len(behaviours),
    }
    if not found and unconfirmed:
        raise Skip(
            f"{unconfirmed} failure(s) seen while fuzzing did not happen again when"
            f" replayed; the service is not deterministic (seed {fuzz.seed})"
        )
    if unconfirmed:
        summary["unconfirmed"] = unconfirmed
    return _report(ctx, fuzz, found, summary)


def _search(
    fuzz: FuzzSettings,
    strategy: st.SearchStrategy[Request],
    attempt: Callable[[Request], _Verdict],
    *,
    known: set[str],
    deadline: float,
    counts: dict[str, int],
) -> _Search:
    """One hypothesis search for a request failing in a way not yet known."""
    search = _Search()
    first = counts["examples"] == 0

    stale = 0  # examples in a row that made no request not sent before

    @_settings(fuzz)
    @with_seed(fuzz.seed)
    @given(strategy)
    def prop(request: Request) -> None:
        nonlocal stale
        if time.monotonic() > deadline:
            raise _Enough  # the budget of seconds is spent
        if first:
            counts["examples"] += 1
        sent = counts["sent"]
        try:
            verdict = attempt(request)
        except Unavailable as exc:
            search.unavailable = exc
            raise _Enough from None
        if verdict and not _keys(verdict) <= known:
            search.request, search.verdict = request, verdict
            raise _Misbehaved
        stale = 0 if counts["sent"] > sent else stale + 1
        if stale >= STALE_EXAMPLES and search.request is None:
            # The operation's inputs are used up (a key of a few values, a
            # parameter of an enum): more examples would only repeat them.
            search.exhausted = True
            raise _Enough
        counts["quiet"] += 1
        if (
            first
            and search.request is None
            and counts["examples"] >= FLOOR_EXAMPLES
            and counts["quiet"] >= QUIET_EXAMPLES
        ):
            # The service answers every kind of example alike by now: the
            # rest of the budget would go on more of the same.
            search.exhausted = True
            raise _Enough

    from conformance.strategies.seeded import repeatable  # loaded with the strategy

    # A service whose answers change when asked again makes hypothesis
    # report flakiness; the failure seen stands, and is confirmed after.
    with repeatable(), contextlib.suppress(_Misbehaved, _Enough, Flaky, FlakyFailure):
        prop()
    return search


def _report(
    ctx: CheckContext,
    fuzz: FuzzSettings,
    found: list[_Found],
    summary: dict[str, JsonValue],
) -> list[Finding]:
    """The findings of every confirmed failure, and their requests as evidence."""
    notes: dict[str, JsonValue] = {"seed": fuzz.seed, **summary}
    if not found:
        ctx.exchanges[:] = ctx.exchanges[-1:]
        ctx.notes["fuzz"] = notes
        return []
    notes.update(found[0].notes)  # the first failure's, as before
    notes["failures"] = [
        {"request": cast("JsonValue", f.request.to_dict()), **f.notes} for f in found
    ]
    ctx.notes["fuzz"] = notes
    ctx.exchanges[:] = [e for f in found for e in f.exchanges]
    return [finding for f in found for finding in f.findings]


def _keep(
    ctx: CheckContext,
    operation: Operation,
    request: Request,
    verdict: _Verdict,
    *,
    shrunk: bool,
) -> _Found | None:
    """Confirm a failure by sending it once more, and save it as a regression."""
    fuzz, rule = ctx.service.fuzz, ctx.rule
    before = len(ctx.exchanges)
    body_broken = request.broken is None or request.broken.startswith("body")
    if request.has_body and rule == "fuzz-invalid" and body_broken:
        # An invalid example must still be invalid after shrinking.
        pointer = operation.request["application/json"].pointer
        assert pointer is not None  # a create operation documents its body
        validator = ctx.service.interface.validator(pointer)
        if validator.is_valid(request.body):
            return None
    confirmed = _confirm(ctx, operation, rule, request, [f for _, f in verdict])
    if not confirmed:
        return None
    findings = [f for _, f in confirmed]
    path = save_regression(
        fuzz,
        ctx.service.target.id,
        f"{rule}-{operation.id}",
        request,
        [f.message for f in findings],
    )
    return _Found(
        request,
        findings,
        ctx.exchanges[before:],
        {"shrunk": shrunk, "regression_case": str(path) if path else None},
    )


def _confirm(
    ctx: CheckContext,
    operation: Operation,
    rule: str,
    request: Request,
    findings: list[Finding],
) -> _Verdict:
    """Send a failing request again; the verdict if it still fails.

    A valid write is sent again with a fresh key: the first one stored its
    resource, and the same key would now conflict. Where no key can be
    refreshed, a conflict is the proof that the first was stored.
    """
    judge = _judge_valid if rule == "fuzz-valid" else _judge_invalid
    sent = _refreshed(ctx, request) if rule == "fuzz-valid" else request
    replayed = _send(ctx, sent)
    confirmed = judge(ctx, operation, sent, replayed)
    if confirmed or replayed.status != 409 or not request.has_body:
        return confirmed
    if rule == "fuzz-invalid":
        # The invalid document was stored the first time (by this run or an
        # earlier one): the conflict is the proof.
        stored = _stored_anyway(ctx, request, findings)
        return [(f"stored {request.broken}", f) for f in stored]
    if findings:
        return [
            (
                "conflict",
                ctx.finding(
                    f"{findings[0].message}; sent again it conflicts (409): the"
                    " first request was stored"
                ),
            )
        ]
    return []


def _refreshed(ctx: CheckContext, request: Request) -> Request:
    """A write's request with a fresh key, drawn from the run's seed."""
    if not request.has_body or not isinstance(request.body, dict):
        return request
    text = json.dumps(request.to_dict(), sort_keys=True, default=str)
    rng = random.Random(f"{ctx.service.fuzz.seed}:confirm:{text}")
    body = ctx.with_fresh_key(request.body, rng=rng)
    return Request(
        request.method,
        request.path,
        params=request.params,
        body=body,
        has_body=True,
        headers=request.headers,
        broken=request.broken,
    )


def _stored_anyway(
    ctx: CheckContext, request: Request, findings: list[Finding]
) -> list[Finding]:
    """A write replayed into a conflict: confirm by reading what was stored."""
    reads = ctx.service.interface.by_role("read")
    parameters = reads[0].path_parameters() if reads else []
    if not parameters or parameters[0].key_pointer is None:
        return []
    key = member_at(request.body, parameters[0].key_pointer)
    if key is None:
        return []
    path = reads[0].path.replace(f"{{{parameters[0].name}}}", quote(str(key), safe=""))
    stored = ctx.send("GET", path)
    if stored.status != 200:
        return []
    first = (
        findings[0].message
        if findings
        else f"an invalid request was accepted earlier: {request.method} {request.path}"
    )
    return [
        ctx.finding(
            f"{first}; sent again it conflicts (409), and the resource"
            f" is stored: GET {path} answers 200"
        )
    ]


@check(
    "fuzz-valid",
    title="Generated valid requests get no server error and a valid reply",
    requirement="ER-HTTP-20",
    conformance_class="fuzzing",
    roles=("read", "list", "create", "get"),
)
def fuzz_valid(ctx: CheckContext) -> list[Finding]:
    _writes_allowed(ctx)
    with GENERATION:  # services are checked in threads (see GENERATION)
        return _fuzz(ctx, valid=True)


@check(
    "fuzz-invalid",
    title="Generated invalid requests get a 4xx in the documented error form",
    requirement="ER-HTTP-15",
    conformance_class="fuzzing",
    roles=("read", "list", "create", "get"),
)
def fuzz_invalid(ctx: CheckContext) -> list[Finding]:
    _writes_allowed(ctx)
    with GENERATION:  # services are checked in threads (see GENERATION)
        return _fuzz(ctx, valid=False)


def _writes_allowed(ctx: CheckContext) -> None:
    # The fuzz checks also run on reads, so they are not "writes" checks as a
    # whole; only their create operations need the profile's permission.
    operation = ctx.operation
    creates = operation is not None and operation.role == "create"
    if creates and not ctx.service.target.allow_writes:
        raise Skip("fuzzing create writes; the profile does not allow writes")
