"""Probing services: plan the checks of a service, run one, turn it into a result.

The plan is one item per service × operation × check (checks that concern
the service as a whole run once per service). Both the command line and the
pytest plugin call :func:`plan` and :func:`run_planned`, so both give the
same verdicts.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from conformance.errors import (
    ConformanceError,
    RegistryError,
    SchemaError,
    UsageError,
)
from conformance.model import Evidence, Finding, Outcome, Result, outcome_for
from conformance.probing.checks import (
    SERVICE_RULES,
    CheckContext,
    CheckSpec,
    NotApplicable,
    Skip,
    Unavailable,
    all_checks,
)
from conformance.probing.checks.context import OGC_CLASSES, ServiceContext
from conformance.probing.conventions import (
    SERVICE_CLASSES,
    SUITE_CLASSES,
    Conventions,
    conventions_of,
)
from conformance.probing.fuzzing import CI_SEED, FuzzSettings
from conformance.probing.http import (
    AuditLog,
    Exchange,
    HttpLimits,
    Redactor,
    ServiceClient,
    WriteRefused,
    token_problem,
)
from conformance.probing.interfaces import Operation, interface_for
from conformance.probing.media import XML
from conformance.probing.profiles import Profile, ServiceTarget
from conformance.probing.reference_process import ReferenceHost, new_token
from conformance.registry.standards import Registry

if TYPE_CHECKING:
    from conformance.probing.reference import ReferenceService


@dataclass(frozen=True)
class Planned:
    """One check to run on one service (and operation)."""

    target: ServiceTarget
    spec: CheckSpec
    operation: Operation | None

    @property
    def id(self) -> str:
        """A stable id: agency:service:operation:check."""
        where = self.operation.id if self.operation else "service"
        return f"{self.target.id}:{where}:{self.spec.id}"


def plan(
    registry: Registry,
    targets: list[ServiceTarget],
    specs: list[CheckSpec] | None = None,
) -> list[Planned]:
    """Every check item for the given services, in a stable order."""
    specs = specs if specs is not None else list(all_checks().values())
    planned = []
    for target in targets:
        standard = registry.resolve(target.standard)
        if standard.interface is None:
            raise UsageError(
                f"service {target.id}: {standard.ref} has no HTTP interface; name a"
                " version with an interface (conformance standards show"
                f" {standard.id})"
            )
        try:
            interface = interface_for(registry, standard)
            conventions = conventions_of(standard)
        except (SchemaError, RegistryError) as exc:
            raise UsageError(f"service {target.id}: {exc}") from None
        _check_narrowing(target, standard.ref, conventions)
        for spec in specs:
            if spec.for_standard is not None and spec.for_standard != standard.id:
                continue  # a kit's check: only for services of its standard
            if spec.roles is None:
                planned.append(Planned(target, spec, None))
                continue
            for operation in interface.operations:
                # A GET without x-role is planned for checks of the role "get".
                role = operation.role or ("get" if operation.method == "GET" else None)
                if role in spec.roles:
                    planned.append(Planned(target, spec, operation))
    return planned


def _check_narrowing(target: ServiceTarget, ref: str, conventions: Conventions) -> None:
    # A profile may leave classes out, never add one the standard does not
    # declare: that would judge a service by a rule it never promised.
    for name in target.classes or ():
        if name not in OGC_CLASSES and not conventions.declares(name):
            declared = ", ".join(sorted(conventions.classes)) or "none"
            known = name in SERVICE_CLASSES
            why = (
                f"{ref} does not declare it (declared: {declared});"
                " a profile may narrow the classes, never widen them"
                if known
                else "no such class (known: "
                + ", ".join((*SERVICE_CLASSES, *SUITE_CLASSES))
                + ")"
            )
            raise UsageError(
                f"{target.agency.id} profile, service {target.id}: classes names"
                f" {name!r}: {why}"
            )


def require_credentials(
    targets: list[ServiceTarget], environ: dict[str, str] | None = None
) -> None:
    """Fail fast, before any request, when a token variable is not set or
    holds what an HTTP header cannot carry (named, never quoted)."""
    environ = environ if environ is not None else dict(os.environ)
    needed = [(t, t.token_env) for t in targets if t.token_env and not t.is_reference]
    missing = [f"{name} (for {t.id})" for t, name in needed if not environ.get(name)]
    if missing:
        raise UsageError(
            "the environment variables that should hold the services' tokens are"
            f" not set: {', '.join(missing)}; set them (the profile names the"
            " variable, never the token)"
        )
    for target, name in needed:
        _check_token(target, environ[name])


def _check_token(target: ServiceTarget, token: str) -> None:
    problem = token_problem(token)
    if problem:
        raise UsageError(
            f"the environment variable {target.token_env} (for {target.id}) that"
            f" holds its token {problem}"
        )


class ServicesOptions(TypedDict, total=False):
    """The keyword options of :class:`Services` (and :func:`opened`)."""

    audit: Path | None
    dry_run: bool
    environ: dict[str, str] | None
    fuzz: FuzzSettings | None
    reference_process: bool


class Services:
    """Clients (and reference services) for the targets of one run."""

    def __init__(
        self,
        registry: Registry,
        *,
        audit: Path | None = None,
        dry_run: bool = False,
        environ: dict[str, str] | None = None,
        fuzz: FuzzSettings | None = None,
        reference_process: bool = False,
    ) -> None:
        self.registry = registry
        self.fuzz = fuzz or FuzzSettings(seed=CI_SEED)
        self.audit = AuditLog(audit) if audit else None
        self.dry_run = dry_run
        self.environ = environ if environ is not None else dict(os.environ)
        self._contexts: dict[str, ServiceContext] = {}
        # A service no connection could be made to: its id, the first result
        # that found it, and why. Its other checks are skipped with that reason.
        self.unreachable: dict[str, tuple[str, str]] = {}
        self._references: list[ReferenceService] = []
        # A run serves its reference services from a child process (the
        # service's work then runs on another core than the run's); a test
        # that looks inside a service runs it in its own process.
        self._host: ReferenceHost | None = (
            ReferenceHost(registry) if reference_process and not dry_run else None
        )
        self._lock = threading.Lock()
        # Reference services asked for before the run's checks went to worker
        # processes: each target's URL and token, or why it could not start.
        self._opened: dict[str, tuple[str, str] | ConformanceError] = {}
        self._detached = False

    def prepare(self, targets: Iterable[ServiceTarget]) -> None:
        """Start what the targets will need, without waiting for it: the
        reference service's process starts while the run does other work."""
        if self._host is not None and any(t.is_reference for t in targets):
            self._host.launch()

    def open_references(self, targets: Iterable[ServiceTarget]) -> None:
        """Ask the reference process for every reference target now.

        Worker processes then find each URL ready: only this process talks
        to the reference process (two asking at once would mix up answers).
        A service that cannot start is remembered, and each check of it
        gets the error, as when it is asked for later.
        """
        if self._host is None:
            return
        for target in targets:
            if not target.is_reference or target.id in self._opened:
                continue
            try:
                url, token, _ = self._connection(target)
            except ConformanceError as exc:
                self._opened[target.id] = exc
            else:
                assert token is not None  # a reference service always has one
                self._opened[target.id] = (url, token)

    def warm(self, targets: Iterable[ServiceTarget]) -> None:
        """Build, here and once, the XML models the checks of these services
        read (of each standard whose interface offers XML): worker processes
        forked afterwards inherit them, with xmlschema imported and its
        patterns compiled, instead of each building its own."""
        from conformance.validation.bindings import xsd_model

        for target in targets:
            try:
                standard = self.registry.resolve(target.standard)
                if standard.xml is None:
                    continue
                interface = interface_for(self.registry, standard)
                if any(
                    XML in (operation.documented(200) or {})
                    for operation in interface.operations
                ):
                    xsd_model(self.registry, standard)
            except ConformanceError:
                continue  # the checks that need it say what is wrong

    def detach(self) -> None:
        """In a forked worker: leave the reference process to the main one.

        Only the targets opened before the fork are served; the worker never
        writes to the reference process's pipe nor stops it.
        """
        self._host = None
        self._detached = True

    def context(self, target: ServiceTarget) -> ServiceContext:
        """The shared context of one service: client, interface, standard."""
        # Services may be checked side by side, each in its own thread.
        with self._lock:
            return self._context(target)

    def _context(self, target: ServiceTarget) -> ServiceContext:
        if target.id in self._contexts:
            return self._contexts[target.id]
        standard = self.registry.resolve(target.standard)
        conventions = conventions_of(standard)
        base_url, token, verify = self._connection(target)
        client = ServiceClient(
            base_url,
            service=target.id,
            token=token,
            limits=HttpLimits(
                connect_timeout=target.timeout,
                read_timeout=target.timeout,
                total_timeout=target.deadline,
            ),
            rate_limit=target.rate_limit,
            allow_writes=target.allow_writes,
            verify=verify,
            dry_run=self.dry_run,
            audit=self.audit,
            correlation_header=conventions.correlation_header,
        )
        context = ServiceContext(
            target=target,
            registry=self.registry,
            standard=standard,
            interface=interface_for(self.registry, standard),
            client=client,
            conventions=conventions,
            fuzz=self.fuzz,
        )
        self._contexts[target.id] = context
        return context

    def _connection(self, target: ServiceTarget) -> tuple[str, str | None, bool | str]:
        verify: bool | str = str(target.ca_bundle) if target.ca_bundle else True
        if target.is_reference and target.id in self._opened:
            opened = self._opened[target.id]
            if isinstance(opened, ConformanceError):
                # Raised for each check of the service: a trace of its own.
                raise opened.with_traceback(None)
            return opened[0], opened[1], verify
        if target.is_reference and self._detached:
            raise ConformanceError(
                f"service {target.id}: its reference service was not started"
                " before the checks went to worker processes; run with --jobs 1"
            )
        if target.is_reference and self._host is not None:
            fresh = new_token()
            return self._host.open(target.faults, fresh), fresh, verify
        if target.is_reference:
            # Imported here: the bundled reference service (~10 ms to import)
            # only runs for profiles that name it.
            from conformance.probing.reference import ReferenceService

            service = ReferenceService(self.registry, faults=target.faults)
            service.start()
            self._references.append(service)
            return service.url, service.token, verify
        token = None
        if target.token_env:
            token = self.environ.get(target.token_env)
            if not token and self.dry_run:
                token = (
                    f"${target.token_env}"  # nothing is sent; show where it comes from
                )
            if not token:
                raise UsageError(
                    f"service {target.id}: the environment variable"
                    f" {target.token_env} that should hold its token is not set"
                )
            _check_token(target, token)
        return target.base_url, token, verify

    def redactor(self, target: ServiceTarget) -> Redactor:
        """What hides the secrets of a service in what is shown or stored."""
        if target.id in self._contexts:
            return self._contexts[target.id].client.redactor
        token = self.environ.get(target.token_env) if target.token_env else None
        return Redactor([token] if token else [])

    def close(self) -> None:
        """Close clients and stop reference services."""
        for context in self._contexts.values():
            context.client.close()
        for service in self._references:
            service.stop()
        if self._host is not None:
            self._host.close()
        if self.audit is not None:
            self.audit.close()
        self._contexts.clear()
        self._references.clear()

    def exchanges(self) -> Iterator[Exchange]:
        """Every exchange of every client, in order per service."""
        for context in self._contexts.values():
            yield from context.client.exchanges


def run_planned(services: Services, item: Planned) -> Result:
    """Run one planned check; never raises for a target's misbehaviour."""
    registry = services.registry
    spec = item.spec
    requirement = registry.requirement(spec.standard, spec.requirement)
    started = time.perf_counter()
    reason = None
    findings: list[Finding] = []
    outcome: Outcome
    context = None
    try:
        service = services.context(item.target)
        why_not = service.class_not_checked(spec.conformance_class)
        if why_not is not None:
            raise NotApplicable(why_not)
        if item.target.id in services.unreachable:
            first, why = services.unreachable[item.target.id]
            raise Skip(f"not checked: {why} (the result {first} has the details)")
        context = CheckContext(
            service,
            item.operation,
            requirement=spec.requirement,
            rule=spec.id,
            standard=spec.standard,
        )
        if spec.writes and not item.target.allow_writes:
            raise Skip(
                f"this check writes, and the profile does not allow writes on"
                f" {item.target.id} (allow_writes = true on a test service)"
            )
        findings = list(spec.func(context))
        outcome = outcome_for(findings)
    except Skip as exc:
        outcome, reason = Outcome.SKIPPED, str(exc)
    except WriteRefused as exc:
        outcome, reason = Outcome.SKIPPED, str(exc)
    except NotApplicable as exc:
        outcome, reason = Outcome.NOT_APPLICABLE, str(exc)
    except Unavailable as exc:
        outcome = Outcome.ERROR
        sent = exc.exchange
        reason = f"availability: {sent.method} {sent.url}: {sent.error}"
        if sent.error_kind == "connect":
            services.unreachable[item.target.id] = (item.id, sent.error or "")
    except ConformanceError as exc:
        outcome, reason = Outcome.ERROR, str(exc)
    except Exception as exc:  # one broken check must not stop a run
        outcome = Outcome.ERROR
        reason = f"internal error in check {spec.id}: {type(exc).__name__}: {exc}"
    if (
        context is not None
        and context.exchanges
        and all(e.dry_run for e in context.exchanges)
    ):
        outcome, reason, findings = Outcome.SKIPPED, "dry run: nothing was sent", []
    evidence = _evidence(item)
    if context is not None:
        evidence["exchanges"] = [e.to_evidence() for e in context.exchanges]
        if context.notes:
            evidence.update(context.notes)
    # The checks judged the replies as they came; the result is what is shown
    # and stored, so every string of it is redacted (a finding's message may
    # quote a value that a reply echoed, in any encoding, decoded).
    redact = services.redactor(item.target)
    return Result(
        id=item.id,
        title=_title(item),
        outcome=outcome,
        target=item.target.id,
        standard=spec.standard,
        requirement=requirement,
        findings=tuple(_redacted(finding, redact) for finding in findings),
        reason=redact.text(reason) if reason is not None else None,
        evidence=redact.within(evidence),
        duration=time.perf_counter() - started,
        kind="service",
    )


def lost_result(
    registry: Registry, item: Planned, reason: str, duration: float = 0.0
) -> Result:
    """The error result of a check whose process stopped before it ended."""
    spec = item.spec
    return Result(
        id=item.id,
        title=_title(item),
        outcome=Outcome.ERROR,
        target=item.target.id,
        standard=spec.standard,
        requirement=registry.requirement(spec.standard, spec.requirement),
        reason=reason,
        evidence=_evidence(item),
        duration=duration,
        kind="service",
    )


def _evidence(item: Planned) -> Evidence:
    spec = item.spec
    evidence = Evidence(
        agency=item.target.agency.id,
        service=item.target.id,
        check=spec.id,
        conformance_class=spec.conformance_class,
    )
    if item.operation is not None:
        evidence["operation"] = f"{item.operation.method} {item.operation.path}"
    return evidence


def _title(item: Planned) -> str:
    operation = item.operation
    where = f" ({operation.method} {operation.path})" if operation else ""
    return f"{item.target.id}: {item.spec.title}{where}"


def _redacted(finding: Finding, redact: Redactor) -> Finding:
    def text(value: str | None) -> str | None:
        return redact.text(value) if value is not None else None

    return replace(
        finding,
        message=redact.text(finding.message),
        rule=redact.text(finding.rule),
        pointer=text(finding.pointer),
        xpath=text(finding.xpath),
        schema_location=text(finding.schema_location),
        requirement=text(finding.requirement),
        standard=text(finding.standard),
    )


def targets_of(profiles: list[Profile]) -> list[ServiceTarget]:
    """The service targets of some profiles."""
    return [service for profile in profiles for service in profile.services]


@contextlib.contextmanager
def opened(
    registry: Registry, **options: Unpack[ServicesOptions]
) -> Iterator[Services]:
    """Services for one run, closed (reference services stopped) at the end."""
    services = Services(registry, **options)
    try:
        yield services
    finally:
        services.close()


__all__ = [
    "SERVICE_RULES",
    "Planned",
    "Services",
    "opened",
    "plan",
    "require_credentials",
    "run_planned",
    "targets_of",
]
