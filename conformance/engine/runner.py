"""The run engine: the one orchestration under every front end.

:class:`Engine` takes typed :class:`~.options.RunOptions`, plans the run
into units of work (:meth:`Engine.plan`: standards resolved, profiles read,
checks chosen, credentials present, waivers read, all before anything is
read or sent), and executes one unit into a result (:meth:`Engine.execute`),
wherever the front end runs it. :class:`RunSession` records each result in
the :class:`Run` and streams it to the listeners (history, progress, report
files), then applies waivers and the gate and returns the decision.

The command line executes every unit in one loop (:meth:`RunSession.execute`);
the pytest plugin makes one test item per unit, executes it in whichever
process runs the item, and records it in the controller's session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from conformance.engine.jobs import WorkerPool, resolve_jobs, worth_workers
from conformance.engine.listeners import Listener, writable_folder
from conformance.engine.options import RunOptions
from conformance.engine.services import service_checks
from conformance.engine.units import (
    FolderPaths,
    LifecycleUnit,
    PayloadUnit,
    ServiceUnit,
    Unit,
    check_lifecycle,
    check_payload,
    check_service,
    payload_target,
)
from conformance.errors import UsageError
from conformance.inputs.json_input import JsonLimits
from conformance.model import Result
from conformance.probing.fuzzing import FuzzSettings, remember_seed, resolve_seed
from conformance.probing.profiles import (
    PayloadTarget,
    Profile,
    ServiceTarget,
    load_profiles,
)
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.results.gating import GateDecision, GatePolicy, decide
from conformance.results.run import Run, Target
from conformance.results.waivers import Waiver, apply_waivers, load_waivers, waive
from conformance.validation.json_validation import json_validator_for_file
from conformance.validation.payloads import (
    Validators,
    iter_payload_files,
    lifecycle_findings,
)
from conformance.validation.xml_validation import xml_validator_for_file

if TYPE_CHECKING:
    from conformance.probing.checks import CheckSpec
    from conformance.probing.http import Exchange
    from conformance.probing.plan import Services

INTERRUPTED = "interrupted (SIGINT or SIGTERM)"


@dataclass(frozen=True, slots=True)
class Plan:
    """What a run will check: its targets and its units, in order."""

    targets: tuple[Target, ...]
    units: tuple[Unit, ...]

    @property
    def fuzzing(self) -> bool:
        """True when a fuzzing check is among the units."""
        return any(
            isinstance(u, ServiceUnit) and u.planned.spec.conformance_class == "fuzzing"
            for u in self.units
        )

    @property
    def probes(self) -> bool:
        """True when requests will be sent to a service."""
        return any(isinstance(u, ServiceUnit) for u in self.units)


class Engine:
    """Plans a run from typed options and executes its units.

    Opening it reads the registry, the waivers and the draft schema (each a
    usage error when wrong); :meth:`close` (or leaving a ``with`` block) stops
    the reference services and closes the HTTP clients it opened.
    """

    def __init__(self, options: RunOptions) -> None:
        if options.limits.max_bytes <= 0 or options.limits.max_findings <= 0:
            raise UsageError("--max-bytes and --max-findings must be positive numbers")
        if options.fuzz.examples <= 0 or options.fuzz.seconds <= 0:
            raise UsageError("--fuzz-examples and --fuzz-seconds must be positive")
        self.options = options
        self.registry = Registry.open(options.registry)
        self.limits = JsonLimits(max_bytes=options.limits.max_bytes)
        self.validators = _validators(self.registry, options.schema)
        self.policy = GatePolicy(max_should_failures=options.gate.max_should_failures)
        self.waivers: list[Waiver] | None = (
            load_waivers(options.gate.waivers, self.registry)
            if options.gate.waivers
            else None
        )
        self.day = dt.datetime.now(dt.UTC).date()
        self._profiles: list[Profile] | None = None
        self._plan: Plan | None = None
        self._fuzz: FuzzSettings | None = None
        self._services: Services | None = None

    # -- planning ---------------------------------------------------------------

    @property
    def profiles(self) -> list[Profile]:
        """The agency profiles named in the options, read once."""
        if self._profiles is None:
            agencies = list(self.options.agencies)
            self._profiles = load_profiles(agencies) if agencies else []
        return self._profiles

    def checks(self) -> list[CheckSpec]:
        """The service checks the selection keeps (a usage error names a typo)."""
        # The probing side (requests, the checks, hypothesis) is imported on
        # first need: a run of payloads alone, every --jobs worker and every
        # pytest worker would otherwise pay about 0.3 s for it at start.
        from conformance.probing.checks import select

        wanted = self.options.selection
        return select(
            ids=list(wanted.ids),
            classes=list(wanted.classes),
            requirements=list(wanted.requirements),
            levels=list(wanted.levels),
            level_of=self.level_of,
        )

    def level_of(self, spec: CheckSpec) -> str:
        """The level of a check's requirement; a check citing none is a MUST."""
        requirement = self.registry.requirement(spec.standard, spec.requirement)
        return requirement.level.value if requirement else "MUST"

    def plan(self) -> Plan:
        """Every unit of the run, in a stable order: payloads, then services.

        Standards, profiles, checks and credentials are resolved here, before
        any file is read or request sent, so a mistake fails fast. A dry run
        plans only the service checks, whose requests it lists.
        """
        if self._plan is None:
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> Plan:
        payloads = [*self.options.payloads]
        payloads += [t for p in self.profiles for t in p.payloads]
        services = [s for p in self.profiles for s in p.services]
        resolved = [
            (t, self.registry.resolve(t.standard) if t.standard else None)
            for t in payloads
        ]
        service_units: list[ServiceUnit] = []
        if services or self.options.selection.narrows:
            # A selection is checked even without services: a typo in a
            # check's name is a usage error whatever the run holds.
            from conformance.probing.plan import plan, require_credentials

            checks = self.checks()
            service_units = [
                ServiceUnit(item) for item in plan(self.registry, services, checks)
            ]
            if not self.options.dry_run:
                require_credentials(services, self.options.environ)
        targets: list[Target] = []
        units: list[Unit] = []
        if not self.options.dry_run:
            for target, standard in resolved:
                targets.append(payload_target(target, standard))
                if standard is not None and lifecycle_findings(standard):
                    units.append(LifecycleUnit(target, standard))
                units += self.payload_units(target, standard)
        targets += [_service_target(s) for s in services]
        units += service_units
        return Plan(targets=tuple(targets), units=tuple(units))

    def payload_units(
        self, target: PayloadTarget, standard: StandardVersion | None
    ) -> list[PayloadUnit]:
        """One unit per payload file under the target's paths."""
        shown = FolderPaths()
        return [
            PayloadUnit(
                target=target,
                path=found.path,
                shown=shown(found.text or found.path),
                standard=standard,
                named=found.named,
                regular=found.regular,
            )
            for found in iter_payload_files(target.paths)
        ]

    def payload_unit(self, path: Path, ref: str | None, target: str) -> PayloadUnit:
        """The unit of one file a front end found itself (``ref`` ``None``: XML
        finds its standard by namespace)."""
        (unit,) = self.found_units([path], ref, target)
        return unit

    def found_units(
        self, paths: Iterable[Path], ref: str | None, target: str
    ) -> list[PayloadUnit]:
        """:meth:`payload_unit` of each file, its standard resolved once and
        each folder's shown path worked out once (a pytest item of a batch
        of files)."""
        standard = self.registry.resolve(ref) if ref else None
        shown = FolderPaths()
        return [
            PayloadUnit(
                target=PayloadTarget(id=target, paths=(path,), standard=ref),
                path=path,
                shown=shown(path),
                standard=standard,
            )
            for path in paths
        ]

    @property
    def fuzz(self) -> FuzzSettings:
        """The fuzzing seed and budget of this run (the seed resolved once)."""
        if self._fuzz is None:
            wanted = self.options.fuzz
            seed = wanted.seed
            if not isinstance(seed, int):
                seed = resolve_seed(seed, self.options.reports_dir)
            self._fuzz = FuzzSettings(
                seed=seed,
                examples=wanted.examples,
                seconds=wanted.seconds,
                regressions=self.options.reports_dir / "regressions",
            )
        return self._fuzz

    # -- executing ----------------------------------------------------------------

    def services(self) -> Services:
        """The clients and reference services of this engine (opened once)."""
        if self._services is None:
            from conformance.probing.plan import Services

            options = self.options
            self._services = Services(
                self.registry,
                audit=None if options.dry_run else options.audit_path,
                dry_run=options.dry_run,
                environ=options.environ,
                fuzz=self.fuzz,
                reference_process=True,
            )
        return self._services

    def execute(self, unit: Unit) -> Result:
        """Check one unit; the result carries the waiver that covers it, if any."""
        if isinstance(unit, PayloadUnit):
            result = check_payload(
                unit,
                self.registry,
                self.validators,
                limits=self.limits,
                max_findings=self.options.limits.max_findings,
            )
        elif isinstance(unit, LifecycleUnit):
            result = check_lifecycle(unit, self.registry)
        else:
            result = check_service(unit, self.services())
        if self.waivers is not None:
            result = waive(result, self.waivers, self.day)
        return result

    def exchanges(self) -> list[Exchange]:
        """Every request made (or, in a dry run, listed) so far, per service."""
        if self._services is None:
            return []
        return list(self._services.exchanges())

    def start(self, listeners: Sequence[Listener] = ()) -> RunSession:
        """Begin recording a run of this plan; the listeners are told at once."""
        plan = self.plan()
        if plan.fuzzing:
            writable_folder(self.options.reports_dir, "the fuzz seed")
            remember_seed(self.fuzz.seed, self.options.reports_dir)
        run = Run(registry=self.registry, command=self.options.command)
        run.source = self.options.source
        run.targets.extend(plan.targets)
        return RunSession(self, run, listeners)

    def close(self) -> None:
        """Stop reference services and close connections."""
        if self._services is not None:
            self._services.close()
            self._services = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class RunSession:
    """One run being recorded: results in, listeners told, decision out."""

    def __init__(self, engine: Engine, run: Run, listeners: Iterable[Listener]) -> None:
        self.engine = engine
        self.run = run
        self.listeners = list(listeners)
        self.decision: GateDecision | None = None
        for listener in self.listeners:
            listener.started(run)

    def record(self, result: Result) -> None:
        """Add one result to the run and tell every listener."""
        self.run.add(result)
        for listener in self.listeners:
            listener.recorded(self.run, result)

    def execute(self, units: Iterable[Unit] | None = None) -> GateDecision:
        """Execute and record every unit (by default the plan's), then conclude.

        Payload files are checked in worker processes when ``jobs`` (in the
        options) allows and there is enough to check (:mod:`.jobs`), and
        services in worker processes when it allows and there are two or
        more (:mod:`.services`); results are recorded in the units' order
        either way. Ctrl-C or SIGTERM stops
        at the unit under way (and every worker); the run is concluded as
        incomplete, with every result so far recorded and reported.
        """
        todo = list(self.engine.plan().units if units is None else units)
        try:
            jobs = resolve_jobs(self.engine.options.jobs)
            pool = worth_workers(self.engine, todo, jobs)
            with service_checks(self.engine, todo, jobs, lazy=pool) as services:

                def check(unit: Unit) -> Result:
                    if isinstance(unit, ServiceUnit):
                        return services.result(unit)
                    return self.engine.execute(unit)

                if pool:
                    WorkerPool(self.engine, jobs, self.record, check).run(todo)
                else:
                    for unit in todo:
                        self.record(check(unit))
        except (KeyboardInterrupt, Exception) as exc:
            if not _interrupted(exc):
                raise
            return self.conclude(complete=False, interruption=INTERRUPTED)
        return self.conclude()

    def conclude(
        self, *, complete: bool = True, interruption: str | None = None
    ) -> GateDecision:
        """End the run: waivers applied, the gate decided, the listeners told."""
        self.run.finish(complete=complete, interruption=interruption)
        if self.engine.waivers is not None:
            apply_waivers(self.run, self.engine.waivers)
        self.decision = decide(self.run, self.engine.policy)
        # Every listener is told, even when one fails (a report that cannot
        # be written must not keep the history from closing the run); the
        # first failure is raised after.
        failure: Exception | None = None
        for listener in self.listeners:
            try:
                listener.finished(self.run, self.decision)
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure
        return self.decision

    def outputs(self) -> list[Path]:
        """The files the listeners wrote."""
        return [path for listener in self.listeners for path in listener.outputs()]


def _interrupted(exc: BaseException) -> bool:
    """Whether Ctrl-C caused ``exc``: Python wraps a KeyboardInterrupt that
    comes while a class is being made (a module imported on first need, say)
    in a RuntimeError."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _validators(registry: Registry, schema: Path | None) -> Validators:
    validators = Validators(registry)
    if schema is None:
        return validators
    if not schema.is_file():
        raise UsageError(f"--schema {schema}: no such file")
    if schema.suffix.lower() == ".xsd":
        validators.xml_override = xml_validator_for_file(schema, registry)
    else:
        validators.json_override = json_validator_for_file(schema, registry)
    return validators


def _service_target(target: ServiceTarget) -> Target:
    return Target(
        id=target.id,
        kind="service",
        agency=target.agency.id,
        agency_name=target.agency.name_az or target.agency.name,
        location="reference service" if target.is_reference else target.base_url,
        standard=target.standard,
    )
