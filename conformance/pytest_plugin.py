"""The pytest plugin: the engine's units of work as test items.

Registered through the ``pytest11`` entry point, so any project that
installs the suite gets the options. The plugin translates pytest's options
into the engine's :class:`~conformance.engine.RunOptions`, makes one item
per unit the engine plans (``--agency``: payload files and service checks;
``--standard`` or ``conformance_payloads``: each payload file collected) and
records every item's result in the engine's run on the controller, as it
arrives, so ``pytest --agency`` and ``conformance run`` give the same
results, audit log, history, waivers and gate.

Heavy imports wait until a hook needs them, to keep ``pytest --help`` fast
wherever the plugin is installed.
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

from conformance.cache import user_cache
from conformance.engine.flags import FUZZING, GATE, RECORDING, SELECTION, add_options
from conformance.reporting.escaping import file_name_text, one_line

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Iterator, Sequence

    from _pytest._code.code import TerminalRepr, TracebackStyle

    from conformance.api import Validator
    from conformance.engine import Engine, HistoryListener, RunOptions, RunSession
    from conformance.engine.units import PayloadUnit, Unit
    from conformance.model import Result
    from conformance.registry.manifest import StandardVersion
    from conformance.registry.standards import Registry
    from conformance.results.run import ResultDocument
    from conformance.selfcheck.registry_checks import RegistryCheck

_PAYLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml")
_SEED_KEY = "conformance_fuzz_seed"
_BATCH = 100
"""Payload files per item in a folder that holds more than this many."""

_Node = TypeVar("_Node", bound=pytest.Collector)


def _printed(name: str) -> str:
    """A file name (or a node id holding one) as pytest prints it, as the
    run's results show it: a byte that is not UTF-8 as ``\\xff``, and any
    character a terminal would act on (ESC, CR, a bidirectional control)
    as its visible escape.

    xdist sends node ids, report locations and warnings to its controller
    as UTF-8: one file name with a byte that did not decode stopped the
    session there.
    """
    return one_line(file_name_text(name))


def _fs_node(
    cls: type[_Node], parent: pytest.Collector, path: Path, **kw: Any
) -> _Node:
    """``cls.from_parent(parent, path=path, ...)``, its node id and name
    :func:`_printed`."""
    node = cls.from_parent(parent, path=path, **kw)
    nodeid = _printed(node.nodeid)
    if nodeid == node.nodeid:
        return node
    name = _printed(node.name)
    return cls.from_parent(parent, path=path, nodeid=nodeid, name=name, **kw)


def _shown_path(path: Path) -> Path:
    """``path`` for a report's location, :func:`_printed`."""
    text = str(path)
    shown = _printed(text)
    return path if shown == text else Path(shown)


class ConformanceWarning(UserWarning):
    """A finding at SHOULD or MAY level, or a deprecated standard in use."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "e-government data-exchange conformance")
    group.addoption(
        "--standard",
        metavar="REF",
        help="validate the payload files among the arguments against this standard"
        " (person@1.1.0, person@1 or person); XML files may omit it",
    )
    group.addoption(
        "--registry",
        metavar="PATH",
        help="a folder of your own standards, read beside the bundled ones"
        " (default: ini conformance_registry, $CONFORMANCE_REGISTRY, or the"
        " bundled registry alone)",
    )
    group.addoption(
        "--check-registry",
        action="store_true",
        default=None,
        help="collect the registry's self-checks (pass the registry folder too)",
    )
    group.addoption(
        "--selftest-standards",
        action="store_true",
        default=False,
        help="collect the standards' self-tests (generated documents) too; pass the"
        " registry folder",
    )
    group.addoption(
        "--conformance-report",
        metavar="FILE",
        help="also write the run as a JSON conformance report",
    )
    group.addoption(
        "--agency",
        action="append",
        metavar="PROFILE",
        help="agency profile (TOML) or folder of profiles whose payloads and"
        " services to check; repeatable",
    )
    group.addoption(
        "--conformance-batch",
        type=int,
        metavar="N",
        help="a folder of more than N payload files is checked N files per test"
        f" item (default: ini conformance_batch or {_BATCH}; 0: one item per file)",
    )
    add_options(group.addoption, SELECTION + FUZZING + RECORDING + GATE)
    parser.addini(
        "conformance_history",
        "results history of --agency runs, relative to the ini file",
        default="",
    )
    parser.addini(
        "conformance_registry",
        "registry of standards, relative to the ini file",
        default="",
    )
    parser.addini(
        "conformance_payloads",
        "folders of payload files and their standards, one 'folder = person@1.1.0' per"
        " line ('auto' for XML found by namespace)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "conformance_batch",
        "payload files per test item in a folder of more than that many"
        " (0: one item per file)",
        default=str(_BATCH),
    )
    parser.addini(
        "conformance_check_registry",
        "collect the registry's self-checks",
        type="bool",
        default=False,
    )


class _State:
    """Per-session state: the options, the engine, and (controller) the run."""

    def __init__(self, config: pytest.Config) -> None:
        from conformance.engine.config import project_settings
        from conformance.errors import UsageError

        self.config = config
        self.standard_ref: str | None = config.getoption("standard")
        option = config.getoption("check_registry")
        self.check_registry = (
            bool(option)
            if option is not None
            else config.getini("conformance_check_registry")
        )
        self.report_path: str | None = config.getoption("conformance_report")
        self.selftest = bool(config.getoption("selftest_standards"))
        base = Path(config.inipath).parent if config.inipath else Path(config.rootpath)
        self.mappings: list[tuple[Path, str]] = []
        for line in config.getini("conformance_payloads"):
            folder, sep, ref = line.partition("=")
            if not sep or not folder.strip() or not ref.strip():
                raise pytest.UsageError(
                    f"conformance_payloads: {line!r} is not 'folder = standard'"
                    " (e.g. 'payloads/person = person@1.1.0')"
                )
            self.mappings.append(((base / folder.strip()).resolve(), ref.strip()))
        self.mappings.sort(key=lambda m: len(m[0].parts), reverse=True)
        batch = config.getoption("conformance_batch")
        if batch is None:
            text = str(config.getini("conformance_batch")).strip()
            if not text.isdigit():
                raise pytest.UsageError(
                    f"conformance_batch: {text!r} is not a number of files; give"
                    f" one (e.g. {_BATCH}), or 0 for one test item per file"
                )
            batch = int(text)
        if batch < 0:
            raise pytest.UsageError(
                f"--conformance-batch: {batch} is negative; give a number of files"
                " per item, or 0 for one item per file"
            )
        self.batch: int = batch
        try:
            self.settings = project_settings(Path(config.rootpath))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        registry_option = config.getoption("registry") or config.getini(
            "conformance_registry"
        )
        self.registry_path = (
            (base / registry_option).resolve()
            if registry_option
            else self.settings.get("registry")
        )
        self.history: str | None = config.getoption("history") or None
        if self.history is None and config.getini("conformance_history"):
            self.history = str(base / config.getini("conformance_history"))
        if self.history is None:
            self.history = self.settings.get("history")
        invoked = Path(config.invocation_params.dir)
        self.agency_paths = tuple(
            (invoked / p).resolve() for p in config.getoption("agency") or []
        )
        self.reports_dir = Path(self.settings.get("reports_dir") or invoked / "reports")
        self._engine: Engine | None = None
        self._registry: Registry | None = None
        self.session: RunSession | None = None
        self.history_listener: HistoryListener | None = None

    @property
    def is_worker(self) -> bool:
        """True in an xdist worker, whose results the controller records."""
        return hasattr(self.config, "workerinput")

    @property
    def records(self) -> bool:
        """Whether this process records a run (report file or history)."""
        return not self.is_worker and bool(self.report_path or self.agency_paths)

    def options(self) -> RunOptions:
        """This pytest run's options, as the engine takes them."""
        from conformance.engine import (
            FuzzOptions,
            GateOptions,
            Limits,
            RunOptions,
            Selection,
        )
        from conformance.reporting.i18n import DEFAULT_LANGUAGE

        config, settings = self.config, self.settings
        seed = getattr(config, "workerinput", {}).get(_SEED_KEY)
        waivers = config.getoption("waivers") or settings.get("waivers")
        threshold = config.getoption("max_should_failures")
        if threshold is None:
            threshold = settings.get("max_should_failures")
        defaults = FuzzOptions()
        limits = Limits(
            **{k: settings[k] for k in ("max_bytes", "max_findings") if k in settings}
        )
        return RunOptions(
            command=f"pytest {' '.join(config.invocation_params.args)}".strip(),
            registry=self.registry_path,
            agencies=self.agency_paths,
            reports_dir=self.reports_dir,
            selection=Selection(
                ids=tuple(config.getoption("check") or ()),
                classes=tuple(config.getoption("check_class") or ()),
                requirements=tuple(config.getoption("requirement") or ()),
                levels=tuple(config.getoption("level") or ()),
            ),
            fuzz=FuzzOptions(
                seed=int(seed) if seed is not None else config.getoption("fuzz_seed"),
                examples=config.getoption("fuzz_examples") or defaults.examples,
                seconds=config.getoption("fuzz_seconds") or defaults.seconds,
            ),
            gate=GateOptions(
                waivers=Path(waivers) if waivers else None,
                max_should_failures=threshold,
            ),
            history=self.history,
            record_history=bool(self.agency_paths)
            and not config.getoption("no_history"),
            lang=settings.get("lang") or DEFAULT_LANGUAGE,
            limits=limits,
        )

    @property
    def engine(self) -> Engine:
        """The engine of this process, opened once; its mistakes are usage errors."""
        if self._engine is not None:
            # Asked for per payload file: no imports on this path.
            return self._engine
        from conformance.engine import Engine
        from conformance.errors import UsageError

        try:
            self._engine = Engine(self.options())
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        if gc.get_freeze_count() == 0:
            # What exists once the engine is open (modules, the registry,
            # compiled schemas, pytest's nodes) lives to the session's end:
            # frozen, the collector stops walking it in every full collection
            # while the items run and in pytest's own at the end. Thawed at
            # the end, so that an in-process pytest (pytester) leaks nothing;
            # a process that froze first keeps its freeze, and nothing of
            # this session is frozen under it.
            gc.freeze()
            self.config.add_cleanup(gc.unfreeze)
        return self._engine

    @property
    def is_controller(self) -> bool:
        """True in the xdist controller, which runs no item itself."""
        return not self.is_worker and self.config.getoption("dist", "no") != "no"

    @property
    def registry(self) -> Registry:
        """The registry of standards the engine uses.

        The xdist controller reads the registry alone until it needs the
        engine: the workers start sooner than they would after the engine's
        imports (the controller's own run begins once they are started).
        """
        if self._engine is not None:
            return self._engine.registry
        from conformance.errors import UsageError
        from conformance.registry.standards import Registry

        if self.is_controller:
            if self._registry is None:
                try:
                    self._registry = Registry.open(self.registry_path)
                except UsageError as exc:
                    raise pytest.UsageError(str(exc)) from None
            return self._registry
        return self.engine.registry

    def plan(self) -> tuple[Unit, ...]:
        """The engine's units for the agencies named (none without ``--agency``)."""
        from conformance.errors import UsageError

        if not self.agency_paths:
            return ()
        try:
            return self.engine.plan().units
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None

    def start(self) -> None:
        """Controller: begin the run the items' results are recorded in."""
        from conformance.engine import HistoryListener, Listener, ReportFiles
        from conformance.errors import UsageError

        self.plan()  # a usage error here stops pytest before any test runs
        listeners: list[Listener] = []
        options = self.engine.options
        if options.record_history:
            try:
                location = options.history_location
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
            self.history_listener = HistoryListener(
                location,
                dashboard=options.reports_dir / "dashboard.html",
                lang=options.lang,
                strict=False,
            )
            listeners.append(self.history_listener)
        if self.report_path is not None:
            listeners.append(ReportFiles(files={"json": Path(self.report_path)}))
        self.session = self.engine.start(listeners)

    def standard_for(self, path: Path) -> str | None:
        """The standard reference for a payload file, or ``None`` to leave it alone."""
        if self.standard_ref:
            return self.standard_ref
        return self.mapped(path.resolve())

    def mapped(self, resolved: Path) -> str | None:
        """The standard ``conformance_payloads`` gives a resolved path, if any."""
        for folder, ref in self.mappings:
            if resolved.is_relative_to(folder):
                return ref
        return None

    @property
    def collects_payloads(self) -> bool:
        """Whether payload files are collected at all (``--standard`` or a mapping)."""
        return bool(self.standard_ref or self.mappings)

    def resolve(self, ref: str) -> StandardVersion | None:
        """A payload standard reference ('auto': found by namespace)."""
        from conformance.errors import UsageError

        if ref == "auto":
            return None
        try:
            return self.registry.resolve(ref)
        except UsageError as exc:
            where = "--standard" if ref == self.standard_ref else "conformance_payloads"
            raise pytest.UsageError(f"{where}: {exc}") from None

    def close(self) -> None:
        """Stop reference services, close connections."""
        if self._engine is not None:
            self._engine.close()


_STATE = pytest.StashKey[_State]()
_SET_HOME = pytest.StashKey[bool]()
_HYPOTHESIS_HOME = "HYPOTHESIS_STORAGE_DIRECTORY"


@pytest.fixture(scope="session")
def conformance(pytestconfig: pytest.Config) -> Validator:
    """The session's registry and a validator, for an agency's own tests.

    ``conformance.validate(payload, "person@1.1.0")`` returns the findings,
    ``conformance.assert_conforms(payload, "person@1.1.0")`` fails the test
    with them, and ``conformance.registry`` is the registry of standards
    (``--registry``, ``conformance_registry``, or the default).
    """
    from conformance.api import Validator

    return Validator(pytestconfig.stash[_STATE].registry)


_RESULT = pytest.StashKey[str]()
_RESULTS = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance: a payload or registry check of the conformance suite"
    )
    config.addinivalue_line(
        "markers", "conformance_class(name): the conformance class of a service check"
    )
    state = _State(config)
    config.stash[_STATE] = state
    checks = state.agency_paths or state.selftest or state.check_registry
    if checks and _HYPOTHESIS_HOME not in os.environ:
        # The checks fuzz and generate with hypothesis, which would keep its
        # files in ./.hypothesis (a CI checkout): in the user's cache, as
        # the command does; an explicit setting still wins.
        os.environ[_HYPOTHESIS_HOME] = str(user_cache("hypothesis"))
        config.stash[_SET_HOME] = True
    # Fail fast, one line each, on a wrong reference or a folder that is not
    # there; an xdist worker's controller has done so already.
    if state.standard_ref and not state.is_worker:
        state.resolve(state.standard_ref)
    for folder, ref in state.mappings if not state.is_worker else ():
        if not folder.is_dir():
            raise pytest.UsageError(
                f"conformance_payloads: {folder} is not a folder; name a folder of"
                " payload files, relative to the ini file"
            )
        state.resolve(ref)
    if state.records:
        config.pluginmanager.register(_RunRecorder(state), "conformance-run")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: pytest.Item) -> None:
    """xdist: every worker fuzzes with the controller's seed."""
    state = node.config.stash.get(_STATE, None)
    if state is not None and state.agency_paths:
        node.workerinput[_SEED_KEY] = state.engine.fuzz.seed  # type: ignore[attr-defined]


_PER_ITEM = frozenset({"load", "worksteal", "loadgroup"})
"""xdist's modes that share items out one by one (``load`` is ``-n``'s)."""


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """xdist: each service's checks go to one worker, in the plan's order.

    A service's checks are made in one process, as ``conformance run`` makes
    them whatever ``--jobs`` is: its rate limit holds for the run, where two
    workers each keeping to it sent twice the requests a second. Any other
    item goes to whichever worker is free, as with ``--dist load``; with
    ``--dist loadgroup``, ``xdist_group`` marks keep their meaning. With
    ``loadscope`` and ``loadfile``, xdist keeps each agency's items in one
    worker already; ``each`` runs every item in every worker, as asked.
    """
    state = config.stash.get(_STATE, None)
    if state is None or not state.agency_paths:
        return None
    dist = config.getvalue("dist")
    if dist not in _PER_ITEM:
        return None
    from xdist.scheduler import (  # type: ignore[import-untyped]
        LoadGroupScheduling,
        LoadScopeScheduling,
    )

    from conformance.engine import ServiceUnit

    services = {
        unit.id: unit.service for unit in state.plan() if isinstance(unit, ServiceUnit)
    }
    if not services:
        return None
    grouped = dist == "loadgroup"
    base = LoadGroupScheduling if grouped else LoadScopeScheduling

    class ServiceScheduling(base):  # type: ignore[misc,valid-type]
        def _split_scope(self, nodeid: str) -> str:
            # A service check's node id: the agency's collector, then the unit.
            collector, _, unit = nodeid.lstrip(":").partition("::")
            if collector.startswith("agency:") and unit in services:
                return f"service:{services[unit]}"
            # Any other item: its xdist_group, as loadgroup reads it, or itself.
            return str(super()._split_scope(nodeid)) if grouped else nodeid

    return ServiceScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_SET_HOME, False):
        # Only for this session: a pytest run in the same process (pytester)
        # finds the environment as it was.
        os.environ.pop(_HYPOTHESIS_HOME, None)
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[_STATE]
    collectors: dict[str, AgencyCollector] = {}
    for unit in state.plan():
        agency = _agency_of(unit)
        if agency not in collectors:
            collectors[agency] = AgencyCollector.from_parent(
                session, name=f"agency:{agency}"
            )
        items.append(UnitItem.from_parent(collectors[agency], name=unit.id, unit=unit))
    items.extend(_lifecycle_items(session, state, items))


def _agency_of(unit: Unit) -> str:
    from conformance.engine import ServiceUnit

    if isinstance(unit, ServiceUnit):
        return unit.planned.target.agency.id
    agency = unit.target.agency
    return agency.id if agency else "payloads"


def _lifecycle_items(
    session: pytest.Session, state: _State, items: list[pytest.Item]
) -> list[pytest.Item]:
    """One item per deprecated or retired standard the payload files use."""
    refs = sorted({i.ref for i in items if isinstance(i, _PayloadCheck)})
    if not refs:
        # No payload files: the engine's modules stay unimported (seconds
        # for every pytest run of a project that installs the suite).
        return []

    from conformance.engine import LifecycleUnit
    from conformance.probing.profiles import PayloadTarget
    from conformance.validation.payloads import lifecycle_findings

    found: list[pytest.Item] = []
    parent: AgencyCollector | None = None
    for ref in refs:
        standard = state.resolve(ref)
        if standard is None or not lifecycle_findings(standard):
            continue
        if parent is None:
            parent = AgencyCollector.from_parent(session, name="standards")
        target = PayloadTarget(id=f"pytest:{ref}", paths=(), standard=ref)
        unit = LifecycleUnit(target, standard)
        found.append(UnitItem.from_parent(parent, name=unit.id, unit=unit))
    return found


class AgencyCollector(pytest.Collector):
    """The units of one agency (items are planned, not collected)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []


class _ResultItem(pytest.Item):
    """An item whose outcome is a conformance result."""

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        """The findings as the failure; their first line as its summary.

        pytest's short test summary (and JUnit's ``message``) show a failure's
        crash message, and on a CI machine (``CI`` set) show it whole: the
        findings would be printed twice. Their first line names the file(s)
        that do not conform, which is what a summary line is for.
        """
        shown = super().repr_failure(excinfo, style)
        failure = excinfo.value
        crash = getattr(shown, "reprcrash", None)
        if (
            isinstance(failure, pytest.fail.Exception)
            and not failure.pytrace
            and crash is not None
            and isinstance(crash.message, str)
        ):
            # A pytest whose crash message cannot be set keeps it whole.
            with contextlib.suppress(AttributeError):
                crash.message = crash.message.split("\n", 1)[0]
        return shown

    def judge(self, result: Result, registry: Registry) -> None:
        """pytest's outcome for a result, as the gate weighs it.

        A failed MUST (or an error) fails the item; a failure under a waiver
        in force is an expected failure; a failed SHOULD or MAY requirement,
        which does not make a run non-conformant, is a warning (the gate's
        ``--max-should-failures`` can still fail the session).
        """
        from conformance.model import Level, Outcome
        from conformance.reporting.text import render_result
        from conformance.results.run import level_of

        _remember(self, result)
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.reason or "skipped")
        if result.outcome is Outcome.NOT_APPLICABLE:
            pytest.skip(f"not applicable: {result.reason}")
        if result.waived:
            assert result.waiver is not None
            pytest.xfail(
                f"waived ({result.waiver.id}) until {result.waiver.expires}:"
                f" {result.waiver.reason}"
            )
        failed = result.outcome is Outcome.FAILED
        if result.outcome is Outcome.ERROR or (
            failed and level_of(result) == Level.MUST.value
        ):
            # The findings are the failure: no Python traceback with them.
            pytest.fail("\n".join(render_result(result, registry)), pytrace=False)
        if failed:
            _warn(self, result, f"{level_of(result)} requirement not met: ")
        elif result.outcome is Outcome.WARNING:
            _warn(self, result)


def _warn(
    item: pytest.Item, result: Result, prefix: str = "", path: Path | None = None
) -> None:
    from conformance.model import Severity
    from conformance.reporting.text import finding_line

    findings = [f for f in result.findings if prefix or f.severity is Severity.WARNING]
    if path is None:
        path = getattr(item, "path", None)
    for finding in findings:
        message = f"{prefix}{finding_line(finding)}"
        if path is not None and result.kind == "payload":
            # Point the warning at the payload, not at this module.
            warnings.warn_explicit(
                ConformanceWarning(message),
                ConformanceWarning,
                filename=_printed(str(path)),
                lineno=finding.line or 0,
            )
        else:
            warnings.warn(ConformanceWarning(message), stacklevel=1)
    if prefix and not findings:
        warnings.warn(
            ConformanceWarning(f"{prefix}{result.title}: {result.reason}"), stacklevel=1
        )


class UnitItem(_ResultItem):
    """One unit the engine planned: a payload file, a lifecycle, a service check."""

    def __init__(self, *, unit: Unit, **kwargs: object) -> None:
        from conformance.engine import ServiceUnit

        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.unit = unit
        self.add_marker("conformance")
        if isinstance(unit, ServiceUnit):
            self.add_marker(
                pytest.mark.conformance_class(unit.planned.spec.conformance_class)
            )

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        self.judge(state.engine.execute(self.unit), state.registry)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.parent.name if self.parent else "conformance", None, self.unit.id


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = config.stash.get(_STATE, None)
    if state is None or not (
        state.standard_ref
        or state.mappings
        or state.check_registry
        or state.agency_paths
        or state.selftest
    ):
        return []
    registry = state.registry
    lines = [f"conformance: registry {registry.name!r} at {registry.root}"]
    if len(registry.folders) > 1:
        lines.append(
            f"conformance: beside the bundled standards at {registry.roots[-1]}"
        )
    lines.extend(f"conformance: note: {note}" for note in registry.notes)
    if state.standard_ref:
        standard = state.resolve(state.standard_ref)
        if standard is not None:
            note = f", sunset {standard.sunset}" if standard.sunset else ""
            lines.append(
                f"conformance: standard {standard.ref} ({standard.status}{note})"
            )
    if state.agency_paths:
        seed = state.engine.fuzz.seed
        lines.append(
            f"conformance: fuzz seed {seed} (repeat with --fuzz-seed {seed} or"
            " --fuzz-seed last)"
        )
    if state.check_registry:
        lines.append(
            f"conformance: registry self-checks are collected from {registry.root}"
            " (pass that folder as an argument)"
        )
    return lines


def pytest_collect_directory(
    path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    state = parent.config.stash[_STATE]
    if not state.collects_payloads or state.batch == 0:
        return None
    if (path / "__init__.py").is_file():
        return None  # a Python package: pytest's own collector
    if not state.standard_ref:
        resolved = path.resolve()
        if not any(
            resolved.is_relative_to(folder) or folder.is_relative_to(resolved)
            for folder, _ in state.mappings
        ):
            return None
    return _fs_node(PayloadDir, parent, path)


class PayloadDir(pytest.Directory):
    """A folder that may hold many payload files: batches of them as items.

    With more payload files than ``conformance_batch`` directly in it, each
    item checks that many files (the findings of every file that fails are
    its failure, named by file; every file's result goes into the run as
    its own), so that pytest's cost per item, paid in every xdist worker
    and the controller, is paid per batch. Collecting is then a listing of
    the folder: no node per file, and no question per file; whether pytest
    ignores a file (``--ignore``, ``collect_ignore``...) is asked when its
    batch runs, so that under xdist each file is asked about once, not once
    per worker. Otherwise, one item per file, as pytest's own folder
    collector gives.
    """

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        state = self.config.stash[_STATE]
        entries = sorted(os.scandir(self.path), key=lambda entry: entry.name)
        ref = self._standard(state)
        batched: list[str] = []
        if ref is not None:
            batched = [
                entry.name
                for entry in entries
                if entry.name.lower().endswith(_PAYLOAD_SUFFIXES) and entry.is_file()
            ]
        if len(batched) <= state.batch:
            batched = []
        chosen = set(batched)
        for entry in entries:
            if entry.name in chosen:
                continue
            path = Path(entry.path)
            if entry.is_dir():
                if _ignored(self, path, with_parents=True):
                    continue
                sub = self.ihook.pytest_collect_directory(path=path, parent=self)
                if sub is not None:
                    yield sub
            elif entry.is_file() and not _ignored(self, path):
                yield from self.ihook.pytest_collect_file(file_path=path, parent=self)
        assert ref is not None or not batched
        for start in range(0, len(batched), state.batch):
            names = tuple(batched[start : start + state.batch])
            yield PayloadBatch.from_parent(
                self,
                name=f"{ref}[{_printed(names[0])}..{_printed(names[-1])}]",
                names=names,
                ref=ref,
            )

    def _standard(self, state: _State) -> str | None:
        """The standard of this folder's payload files (``None``: not collected)."""
        if (
            state.check_registry or state.selftest
        ) and self.path.resolve().is_relative_to(state.registry.root):
            return None  # examples are checked by the registry items
        if state.standard_ref:
            return state.standard_ref
        return state.mapped(self.path.resolve())


def _ignored(
    node: pytest.Collector | pytest.Item, path: Path, *, with_parents: bool = False
) -> bool:
    """Whether pytest leaves ``path`` alone (a path given as an argument never)."""
    if node.session.isinitpath(path, with_parents=with_parents):
        return False
    return bool(
        node.ihook.pytest_ignore_collect(collection_path=path, config=node.config)
    )


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    state = parent.config.stash[_STATE]
    collects_registry = state.check_registry or state.selftest
    if collects_registry and file_path.name == "standard.toml":
        if file_path.resolve().is_relative_to(state.registry.root):
            return _fs_node(StandardFile, parent, file_path)
        return None
    if file_path.suffix.lower() not in _PAYLOAD_SUFFIXES:
        return None
    if collects_registry and file_path.resolve().is_relative_to(state.registry.root):
        return None  # examples are checked by the registry items, as labelled
    ref = state.standard_for(file_path)
    if ref is None:
        return None
    return _fs_node(PayloadFile, parent, file_path, ref=ref)


class PayloadFile(pytest.File):
    """A payload file: one test item."""

    def __init__(self, *, ref: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ref = ref

    def collect(self) -> Iterator[pytest.Item]:
        yield PayloadItem.from_parent(self, name=self.ref, ref=self.ref)


class _PayloadCheck(_ResultItem):
    """An item checking payload files against ``ref`` (``auto``: XML by namespace)."""

    def __init__(self, *, ref: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.ref = ref
        self.add_marker("conformance")

    def units(self, paths: Iterable[Path]) -> list[PayloadUnit]:
        """The engine's unit for each payload file, as the engine plans it."""
        engine = self.config.stash[_STATE].engine
        ref = None if self.ref == "auto" else self.ref
        return engine.found_units(paths, ref, "pytest")


class PayloadItem(_PayloadCheck):
    """Validate one payload file collected by pytest, as the engine does."""

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        (unit,) = self.units([self.path])
        self.judge(state.engine.execute(unit), state.registry)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        shown = _shown_path(self.path)
        return shown, None, f"{shown.name} against {self.ref}"


class PayloadBatch(_PayloadCheck):
    """Validate payload files of one folder (``names``), as the engine does each."""

    def __init__(self, *, names: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.names = names

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        paths = [
            path
            for path in (self.path / name for name in self.names)
            if not _ignored(self, path)
        ]
        if not paths:
            pytest.skip(
                f"all {len(self.names)} files are ignored by pytest's settings"
                " (--ignore, --ignore-glob, collect_ignore)"
            )
        units = self.units(paths)
        engine = state.engine
        results = [engine.execute(unit) for unit in units]
        self.judge_all(results, units, state.registry)

    def judge_all(
        self, results: list[Result], units: list[PayloadUnit], registry: Registry
    ) -> None:
        """pytest's outcome for the files' results, each weighed as :meth:`judge`.

        Any file that fails a MUST (or errs) fails the item, with every such
        file's findings; waived failures alone make it an expected failure;
        SHOULD and MAY findings are warnings at each file.
        """
        from conformance.model import Level, Outcome
        from conformance.reporting.text import render_result
        from conformance.results.run import level_of

        _remember_all(self, results, [unit.shown for unit in units])
        failing: list[Result] = []
        waived: list[Result] = []
        skipped = 0
        for unit, result in zip(units, results, strict=True):
            if result.outcome in (Outcome.SKIPPED, Outcome.NOT_APPLICABLE):
                skipped += 1
            elif result.waived:
                waived.append(result)
            elif result.outcome is Outcome.ERROR or (
                result.outcome is Outcome.FAILED
                and level_of(result) == Level.MUST.value
            ):
                failing.append(result)
            elif result.outcome is Outcome.FAILED:
                _warn(
                    self, result, f"{level_of(result)} requirement not met: ", unit.path
                )
            elif result.outcome is Outcome.WARNING:
                _warn(self, result, path=unit.path)
        if failing:
            lines = [f"{len(failing)} of {len(results)} files do not conform"]
            for result in failing:
                lines.extend(render_result(result, registry))
            pytest.fail("\n".join(lines), pytrace=False)
        if waived:
            pytest.xfail(
                "waived: "
                + "; ".join(
                    f"{r.id} ({r.waiver.id} until {r.waiver.expires})"
                    for r in waived
                    if r.waiver is not None
                )
            )
        if skipped == len(results):
            pytest.skip(f"all {skipped} files skipped or not applicable")

    def reportinfo(self) -> tuple[Path, int | None, str]:
        first, last = _printed(self.names[0]), _printed(self.names[-1])
        shown = _shown_path(self.path)
        return (
            shown,
            None,
            f"{len(self.names)} files of {shown.name} ({first} to {last})"
            f" against {self.ref}",
        )


def _remember_all(item: pytest.Item, results: list[Result], names: list[str]) -> None:
    """A batch's results on its report (one string), and JUnit properties."""
    from conformance.json_text import compact_json
    from conformance.model import Outcome
    from conformance.results.run import level_of, result_to_dict

    item.user_properties.append(("files", len(results)))
    standards = sorted({r.standard for r in results if r.standard})
    for standard in standards:
        item.user_properties.append(("standard", standard))
    for name, result in zip(names, results, strict=True):
        if result.outcome in (Outcome.FAILED, Outcome.ERROR):
            what = result.requirement.id if result.requirement else result.outcome.value
            level = f" ({level_of(result)})" if result.requirement else ""
            item.user_properties.append(("not conforming", f"{name}: {what}{level}"))
    item.stash[_RESULTS] = compact_json([result_to_dict(r) for r in results])


def _remember(item: pytest.Item, result: Result) -> None:
    from conformance.json_text import compact_json
    from conformance.results.run import result_to_dict

    if result.requirement is not None:
        item.user_properties.append(("requirement", result.requirement.id))
        item.user_properties.append(("level", result.requirement.level.value))
    if result.standard:
        item.user_properties.append(("standard", result.standard))
    item.stash[_RESULT] = compact_json(result_to_dict(result))


class StandardFile(pytest.File):
    """A ``standard.toml`` of the registry: one item per self-check of that version."""

    def collect(self) -> Iterator[pytest.Item]:
        from conformance.errors import RegistryError
        from conformance.registry.manifest import parse_manifest
        from conformance.selfcheck.registry_checks import registry_checks
        from conformance.selfcheck.selftest import selftests

        state = self.config.stash[_STATE]
        try:
            parse_manifest(self.path)
        except RegistryError as exc:
            yield ManifestItem.from_parent(self, name="manifest", problem=str(exc))
            return
        folder = self.path.parent.resolve()
        standard = next(
            (s for s in state.registry if s.folder.resolve() == folder), None
        )
        if standard is None:
            return
        checks = (
            registry_checks(state.registry, [standard]) if state.check_registry else []
        )
        if state.selftest:
            checks += selftests(state.registry, [standard])
        for check in checks:
            name = check.id.split("::", 1)[1]
            yield RegistryItem.from_parent(self, name=name, check=check)


class ManifestItem(pytest.Item):
    """A manifest that cannot be read."""

    def __init__(self, *, problem: str, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.problem = problem

    def runtest(self) -> None:
        pytest.fail(self.problem, pytrace=False)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path} reads"


class RegistryItem(pytest.Item):
    """One self-check of one standard version."""

    def __init__(self, *, check: RegistryCheck, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.check = check
        self.add_marker("conformance")

    def runtest(self) -> None:
        from conformance.model import Outcome

        result = self.check.run()
        _remember(self, result)
        if result.outcome is Outcome.WARNING:
            for finding in result.findings:
                warnings.warn(ConformanceWarning(finding.message), stacklevel=1)
            return
        if result.outcome is not Outcome.PASSED:
            text = "\n".join(f.message for f in result.findings)
            pytest.fail(
                f"{self.check.title}\n  " + text.replace("\n", "\n  "), pytrace=False
            )

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.check.title


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" and _RESULT in item.stash:
        # A plain string attribute travels with the report to the xdist controller.
        report.conformance_result = item.stash[_RESULT]  # type: ignore[attr-defined]
    if call.when == "call" and _RESULTS in item.stash:
        # A batch's results as one string: one attribute, one message.
        report.conformance_results = item.stash[_RESULTS]  # type: ignore[attr-defined]
    return report


class _RunRecorder:
    """The controller's recording of the run: results in as items report them.

    Registered only where a run is recorded (``--agency`` or
    ``--conformance-report``), in the controller: xdist workers send their
    results with their reports. Under xdist they arrive in whatever order
    the workers finish; the run keeps them in the order of the items, as
    without xdist, so that two runs' reports list them alike.
    """

    def __init__(self, state: _State) -> None:
        self.state = state
        self.items: dict[str, int] = {}
        """Each item's place in the collection, by node id: under xdist, as
        the workers collected them (the controller collects none)."""
        self.places: list[int] = []
        """Under xdist, the place of each recorded result's item."""
        self.every_worker = state.config.getoption("dist", "no") == "each"
        """xdist's ``--dist each``: every worker runs every item."""
        self.reported: set[str] = set()
        """With ``--dist each``, the items whose results are recorded."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(
        self, node: object, ids: Sequence[str]
    ) -> None:
        if not self.items:  # every worker collects the same items
            self.items = {nodeid: place for place, nodeid in enumerate(ids)}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # Last: under xdist the workers are started first, and start up
        # while this process opens its engine.
        self.state.start()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from conformance.json_text import read_json_text
        from conformance.results.run import result_from_dict

        session = self.state.session
        if session is None:
            return
        data = getattr(report, "conformance_result", None)
        batch = getattr(report, "conformance_results", None)
        if self.every_worker and (data is not None or batch is not None):
            # Each item's results once, as the first worker reports them:
            # the run checked each thing once, however many ran it.
            if report.nodeid in self.reported:
                return
            self.reported.add(report.nodeid)
        # Each is what _remember or _remember_all wrote.
        documents: list[ResultDocument] = []
        if data is not None:
            documents.append(cast("ResultDocument", read_json_text(data)))
        if batch is not None:
            documents.extend(cast("list[ResultDocument]", read_json_text(batch)))
        for fields in documents:
            requirement = None
            if fields.get("standard") and fields.get("requirement"):
                requirement = self.state.registry.requirement(
                    fields["standard"], fields["requirement"]
                )
            session.record(result_from_dict(fields, requirement))
        if self.items:
            item = self.items.get(report.nodeid, len(self.items))
            self.places.extend([item] * len(documents))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.state.session is None:
            return
        results = self.state.session.run.results
        if self.places and len(self.places) == len(results):
            # In the items' order; sorted is stable, so an item's results
            # keep theirs (and an item xdist did not name comes last).
            ordered = sorted(zip(self.places, results, strict=True), key=itemgetter(0))
            results[:] = [result for _, result in ordered]
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        decision = self.state.session.conclude(
            complete=not interrupted,
            interruption="pytest was interrupted" if interrupted else None,
        )
        if not decision.passed and session.exitstatus == pytest.ExitCode.OK:
            # The gate fails the session even where every item passed or only
            # warned: a SHOULD threshold (--max-should-failures), or a run that
            # checked nothing but waived failures, as `conformance run` does.
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter
    ) -> None:
        state = self.state
        if state.session is None or state.session.decision is None:
            return
        if state.agency_paths:
            summary = state.session.decision.summary
            terminalreporter.write_line(f"conformance: {summary}")
        if state.history_listener is not None:
            line = state.history_listener.summary(state.session.run)
            terminalreporter.write_line(f"conformance: {line}")
