"""Endpoint fuzzing: generated requests, valid and invalid, on every operation.

Valid requests (bodies and parameters generated from the interface's
schemas, boundary cases first) must never get a server error, and get a
documented status and a valid reply (ER-HTTP-20). Invalid ones (one rule
broken each) must get a 4xx with problem details (ER-HTTP-15, ER-HTTP-4).
Saved regression cases are replayed first; a new failure is shrunk by
hypothesis, sent once more to confirm it, and saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as with_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky, FlakyFailure

from conformance.model import Finding, JsonValue
from conformance.probing.checks import check
from conformance.probing.checks.catalogue import _body_findings, _error_findings
from conformance.probing.checks.context import (
    CheckContext,
    NotApplicable,
    Skip,
    Unavailable,
)
from conformance.probing.fuzzing import (
    FuzzSettings,
    Request,
    regressions,
    save_regression,
)
from conformance.probing.http import Exchange
from conformance.probing.interfaces import Operation, member_at

# The strategies (the JSON compiler, ~24 ms to import) are imported where a
# fuzz check runs: listing the checks imports this module without fuzzing.


class _Misbehaved(Exception):
    """Raised inside the property to make hypothesis shrink the input."""


@dataclass
class _Failure:
    """What the random examples ran into: the service gone, or a misbehaviour."""

    unavailable: Unavailable | None = None
    request: Request | None = None
    findings: list[Finding] = field(default_factory=list)


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


def _parameter_strategy(
    ctx: CheckContext, operation: Operation, valid: bool
) -> st.SearchStrategy[Request]:
    from conformance.strategies import compiler  # see the note at the top
    from conformance.strategies.mutations import mutations_here

    interface = ctx.service.interface
    key = operation.key_parameter()
    parameters = (
        [key] if key else [p for p in operation.parameters if p.name == "limit"]
    )
    parameter = parameters[0] if parameters else None
    if parameter is None or parameter.pointer is None:
        raise NotApplicable(f"{operation.id} has no parameter to fuzz")
    schema: dict[str, JsonValue] = {
        "$ref": f"{interface.uri}#{quote(parameter.pointer, safe='/~-._')}"
    }
    schemas = compiler(ctx.service.registry)
    validator = interface.validator(parameter.pointer)
    good = schemas.strategy(schema, interface.uri).filter(validator.is_valid)
    values = good
    if not valid:
        view = schemas.merge([(schema, interface.uri)])

        @st.composite
        def broken(draw: st.DrawFn) -> JsonValue:
            value = draw(good)
            options = [m.value for m in mutations_here(view, value, ())]
            options = [o for o in options if not validator.is_valid(o)]
            if not options:
                return "\u0000"
            return draw(st.sampled_from(options))

        values = broken()

    def as_request(value: JsonValue) -> Request:
        if parameter.location == "path":
            path = operation.path.replace(
                f"{{{parameter.name}}}", quote(str(value), safe="")
            )
            return Request("GET", path)
        return Request(operation.method, operation.path, params={parameter.name: value})

    return values.map(as_request)


def _body_strategy(
    ctx: CheckContext, operation: Operation, valid: bool
) -> st.SearchStrategy[Request]:
    from conformance.strategies import invalid_json, valid_json  # see the top

    registry, standard = ctx.service.registry, ctx.service.standard
    if valid:
        return valid_json(registry, standard).map(
            lambda body: Request(
                "POST", operation.path, body=_fresh(ctx, body), has_body=True
            )
        )
    return invalid_json(registry, standard).map(
        lambda bad: Request(
            "POST",
            operation.path,
            body=_fresh(ctx, bad.document, keep=bad.violation.location),
            has_body=True,
        )
    )


def _boundary_requests(
    ctx: CheckContext, operation: Operation, valid: bool
) -> list[Request]:
    from conformance.strategies import boundary_cases  # see the note at the top

    if operation.role != "create":
        return []
    cases = boundary_cases(ctx.service.registry, ctx.service.standard)
    return [
        Request("POST", operation.path, body=_fresh(ctx, case.document), has_body=True)
        for case in cases
        if case.valid == valid
    ]


def _missing_fixed_parameter(ctx: CheckContext, operation: Operation) -> Request | None:
    """A request lacking one of a key-value-pair operation's fixed parameters
    that was not refused with a 4xx (``None`` when every one was).

    No operation of the interface answers such a request, so it is an
    invalid one. Only the status is judged here, so that a refusal in a
    form the error checks dislike does not hide a request answered 200.
    """
    if not operation.kvp:
        return None
    try:
        full = urlsplit(ctx.path(operation))
    except Skip:
        return None
    pairs = parse_qsl(full.query, keep_blank_values=True)
    for name in operation.kvp:
        query = urlencode([p for p in pairs if p[0] != name])
        request = Request(operation.method, full._replace(query=query).geturl())
        if not 400 <= _status(_send(ctx, request)) < 500:
            return request
    return None


def _send(ctx: CheckContext, request: Request) -> Exchange:
    if request.has_body:
        return ctx.send(request.method, request.path, json_body=request.body)
    return ctx.send(request.method, request.path, params=request.params)


def _judge_valid(
    ctx: CheckContext, operation: Operation, exchange: Exchange
) -> list[Finding]:
    status = _status(exchange)
    if status >= 500:
        return [
            ctx.finding(
                "a valid request got a server error:"
                f" {exchange.method} {exchange.url} answered {status}"
            )
        ]
    if operation.documented(status) is None:
        return [
            ctx.finding(
                f"a valid request got {status}, which {operation.id} does not document"
            )
        ]
    if 200 <= status < 300:
        return _body_findings(ctx, operation, exchange)
    return []


def _judge_invalid(
    ctx: CheckContext, operation: Operation, exchange: Exchange
) -> list[Finding]:
    status = _status(exchange)
    if not 400 <= status < 500:
        return [
            ctx.finding(
                f"an invalid request got {status}, not a 4xx:"
                f" {exchange.method} {exchange.url}"
            )
        ]
    return _error_findings(ctx, ctx.operation, exchange)


def _status(exchange: Exchange) -> int:
    # ctx.send has raised Unavailable for an exchange without a reply, so only
    # a dry run's exchange has no status; its result is reported as skipped.
    if exchange.status is None:
        raise Skip("dry run: nothing was sent")
    return exchange.status


def _fuzz(ctx: CheckContext, valid: bool) -> list[Finding]:
    operation = ctx.operation
    assert operation is not None
    fuzz = ctx.service.fuzz
    judge = _judge_valid if valid else _judge_invalid
    if operation.role == "create":
        strategy = _body_strategy(ctx, operation, valid)
    else:
        strategy = _parameter_strategy(ctx, operation, valid)
    service, rule = ctx.service.target.id, ctx.rule

    def attempt(request: Request) -> list[Finding]:
        return judge(ctx, operation, _send(ctx, request))

    # 1. What failed before fails first.
    saved, damaged = regressions(fuzz, service, f"{rule}-{operation.id}")
    if damaged:
        ctx.notes["damaged_regression_cases"] = list(damaged)
    for path, request in saved:
        before = len(ctx.exchanges)
        found = _confirm(ctx, operation, rule, request, [])
        if found:
            ctx.notes["fuzz"] = {"replayed": str(path), "seed": fuzz.seed}
            ctx.exchanges[:] = ctx.exchanges[before:]  # the case's requests only
            return found
    # 2. Deterministic cases, before anything random: a key-value-pair request
    # without one of its fixed parameters, then boundary cases.
    missing = None if valid else _missing_fixed_parameter(ctx, operation)
    if missing is not None:
        return _keep(
            ctx,
            fuzz,
            rule=rule,
            operation=operation,
            request=missing,
            findings=[],
            shrunk=False,
        )
    for request in _boundary_requests(ctx, operation, valid):
        found = attempt(request)
        if found:
            return _keep(
                ctx,
                fuzz,
                rule=rule,
                operation=operation,
                request=request,
                findings=found,
                shrunk=False,
            )
    # 3. Random examples, within the budget of examples and of seconds.
    deadline = time.monotonic() + fuzz.seconds
    failure = _Failure()
    sent = 0

    @_settings(fuzz)
    @with_seed(fuzz.seed)
    @given(strategy)
    def prop(request: Request) -> None:
        nonlocal sent
        if time.monotonic() > deadline or failure.unavailable is not None:
            return  # the budget is spent: the remaining examples cost nothing
        sent += 1
        try:
            found = attempt(request)
        except Unavailable as exc:
            failure.unavailable = exc
            return
        if found:
            failure.request, failure.findings = request, found
            raise _Misbehaved

    # A service whose answers change when asked again (a write that now
    # conflicts) makes hypothesis report flakiness; the first failure stands.
    with contextlib.suppress(_Misbehaved, Flaky, FlakyFailure):
        prop()
    if failure.unavailable is not None:
        raise failure.unavailable
    ctx.notes["fuzz"] = {"seed": fuzz.seed, "requests": sent, "budget": fuzz.examples}
    if failure.request is None:
        ctx.exchanges[:] = ctx.exchanges[-1:]
        return []
    return _keep(
        ctx,
        fuzz,
        rule=rule,
        operation=operation,
        request=failure.request,
        findings=failure.findings,
        shrunk=True,
    )


def _keep(
    ctx: CheckContext,
    fuzz: FuzzSettings,
    *,
    rule: str,
    operation: Operation,
    request: Request,
    findings: list[Finding],
    shrunk: bool,
) -> list[Finding]:
    """Confirm a failure by sending it once more, and save it as a regression."""
    del ctx.exchanges[:]
    if request.has_body and rule == "fuzz-invalid":
        # An invalid example must still be invalid after shrinking.
        pointer = operation.request["application/json"].pointer
        assert pointer is not None  # a create operation documents its body
        validator = ctx.service.interface.validator(pointer)
        if validator.is_valid(request.body):
            raise Skip("the shrunk example turned valid; nothing to report")
    confirmed = _confirm(ctx, operation, rule, request, findings)
    if not confirmed:
        raise Skip(
            "a failure seen while fuzzing did not happen again when replayed;"
            f" the service is not deterministic (seed {fuzz.seed})"
        )
    path = save_regression(
        fuzz,
        ctx.service.target.id,
        f"{rule}-{operation.id}",
        request,
        [f.message for f in confirmed],
    )
    ctx.notes["fuzz"] = {
        "seed": fuzz.seed,
        "shrunk": shrunk,
        "regression_case": str(path) if path else None,
    }
    return confirmed


def _confirm(
    ctx: CheckContext,
    operation: Operation,
    rule: str,
    request: Request,
    findings: list[Finding],
) -> list[Finding]:
    """Send a failing request again; the findings if it still fails."""
    judge = _judge_valid if rule == "fuzz-valid" else _judge_invalid
    replayed = _send(ctx, request)
    confirmed = judge(ctx, operation, replayed)
    if (
        not confirmed
        and rule == "fuzz-invalid"
        and replayed.status == 409
        and request.has_body
    ):
        # The invalid document was stored the first time (by this run or an
        # earlier one): the conflict is the proof.
        confirmed = _stored_anyway(ctx, request, findings)
    return confirmed


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
    roles=("read", "list", "create"),
)
def fuzz_valid(ctx: CheckContext) -> list[Finding]:
    _writes_allowed(ctx)
    return _fuzz(ctx, valid=True)


@check(
    "fuzz-invalid",
    title="Generated invalid requests get a 4xx with problem details",
    requirement="ER-HTTP-15",
    conformance_class="fuzzing",
    roles=("read", "create"),
)
def fuzz_invalid(ctx: CheckContext) -> list[Finding]:
    _writes_allowed(ctx)
    return _fuzz(ctx, valid=False)


def _writes_allowed(ctx: CheckContext) -> None:
    # The fuzz checks also run on reads, so they are not "writes" checks as a
    # whole; only their create operations need the profile's permission.
    operation = ctx.operation
    creates = operation is not None and operation.role == "create"
    if creates and not ctx.service.target.allow_writes:
        raise Skip("fuzzing create writes; the profile does not allow writes")
