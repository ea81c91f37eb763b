"""The pytest plugin: payload files and registry self-checks as test items.

Registered through the ``pytest11`` entry point, so any project that
installs the suite gets the options. Heavy imports wait until a hook needs
them, to keep ``pytest --help`` fast wherever the plugin is installed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.model import Result
    from conformance.registry.manifest import StandardVersion
    from conformance.registry.standards import Registry
    from conformance.selfcheck.registry_checks import RegistryCheck
    from conformance.validation.payloads import Validators

_PAYLOAD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml")


class ConformanceWarning(UserWarning):
    """A finding at SHOULD or MAY level, or a deprecated standard in use."""


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.engine.options import FUZZING, SELECTION, add_options

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
        help="registry of standards (default: ini conformance_registry,"
        " $CONFORMANCE_REGISTRY, or the bundled registry)",
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
        help="agency profile (TOML) or folder of profiles whose services to probe;"
        " repeatable",
    )
    add_options(group.addoption, SELECTION + FUZZING)
    group.addoption(
        "--history",
        metavar="PATH",
        help="results history where a --agency run is recorded (default: ini"
        " conformance_history, $CONFORMANCE_HISTORY, or reports/history.sqlite)",
    )
    group.addoption(
        "--no-history",
        action="store_true",
        default=False,
        help="do not record the --agency run in the results history",
    )
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
        "conformance_check_registry",
        "collect the registry's self-checks",
        type="bool",
        default=False,
    )


class _State:
    """Per-session state: the registry, the folder mappings, collected results."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._registry: Registry | None = None
        self._validators: Validators | None = None
        self.standard_ref: str | None = config.getoption("standard")
        option = config.getoption("check_registry")
        self.check_registry = (
            bool(option)
            if option is not None
            else config.getini("conformance_check_registry")
        )
        self.report_path: str | None = config.getoption("conformance_report")
        self.history: str | None = config.getoption("history") or None
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
        registry_option = config.getoption("registry") or config.getini(
            "conformance_registry"
        )
        self.registry_path = (
            (base / registry_option).resolve() if registry_option else None
        )
        if self.history is None and config.getini("conformance_history"):
            self.history = str(base / config.getini("conformance_history"))
        self.records_history = not config.getoption("no_history")
        self.results: list[dict[str, Any]] = []
        self.agency_paths = [
            (Path(config.invocation_params.dir) / p).resolve()
            for p in config.getoption("agency") or []
        ]
        self._services: Any = None
        self._seed: int | None = None

    def services(self) -> Any:
        """The clients and reference services of this session (made once)."""
        from conformance.probing.plan import Services

        if self._services is None:
            self._services = Services(self.registry, fuzz=self.fuzz_settings())
        return self._services

    @property
    def reports_dir(self) -> Path:
        """Where the fuzz seed and regression cases are kept."""
        return Path(self.config.invocation_params.dir) / "reports"

    def fuzz_seed(self) -> int:
        """This session's fuzz seed; xdist workers take the controller's."""
        from conformance.errors import UsageError
        from conformance.probing.fuzzing import remember_seed, resolve_seed

        if self._seed is None:
            shared = getattr(self.config, "workerinput", {}).get(
                "conformance_fuzz_seed"
            )
            if shared is not None:
                self._seed = int(shared)
            else:
                try:
                    self._seed = resolve_seed(
                        self.config.getoption("fuzz_seed"), self.reports_dir
                    )
                except UsageError as exc:
                    raise pytest.UsageError(str(exc)) from None
                if self.agency_paths:
                    remember_seed(self._seed, self.reports_dir)
        return self._seed

    def fuzz_settings(self) -> Any:
        from conformance.probing.fuzzing import (
            DEFAULT_EXAMPLES,
            DEFAULT_SECONDS,
            FuzzSettings,
        )

        return FuzzSettings(
            seed=self.fuzz_seed(),
            examples=self.config.getoption("fuzz_examples") or DEFAULT_EXAMPLES,
            seconds=self.config.getoption("fuzz_seconds") or DEFAULT_SECONDS,
            regressions=self.reports_dir / "regressions",
        )

    def close(self) -> None:
        """Stop reference services, close connections."""
        if self._services is not None:
            self._services.close()
            self._services = None

    @property
    def registry(self) -> Registry:
        from conformance.errors import UsageError
        from conformance.registry.standards import Registry

        if self._registry is None:
            try:
                self._registry = Registry.open(self.registry_path)
            except UsageError as exc:
                raise pytest.UsageError(str(exc)) from None
        return self._registry

    @property
    def validators(self) -> Validators:
        from conformance.validation.payloads import Validators

        if self._validators is None:
            self._validators = Validators(self.registry)
        return self._validators

    def standard_for(self, path: Path) -> str | None:
        """The standard reference for a payload file, or ``None`` to leave it alone."""
        if self.standard_ref:
            return self.standard_ref
        resolved = path.resolve()
        for folder, ref in self.mappings:
            if resolved.is_relative_to(folder):
                return ref
        return None

    def resolve(self, ref: str) -> StandardVersion | None:
        from conformance.errors import UsageError

        if ref == "auto":
            return None
        try:
            return self.registry.resolve(ref)
        except UsageError as exc:
            raise pytest.UsageError(
                f"--standard / conformance_payloads: {exc}"
            ) from None


_STATE = pytest.StashKey[_State]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance: a payload or registry check of the conformance suite"
    )
    config.addinivalue_line(
        "markers", "conformance_class(name): the conformance class of a service check"
    )
    state = _State(config)
    config.stash[_STATE] = state
    if state.standard_ref:
        state.resolve(state.standard_ref)  # fail fast on a wrong reference
    # xdist workers send their results to the controller, which writes the
    # report and, for a run of agencies' services, records it in the history
    # (as `conformance run` does; payload checks are a quick look, like
    # `conformance validate`, and are not recorded).
    records = state.agency_paths and state.records_history
    if (state.report_path or records) and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_ReportCollector(state), "conformance-report")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker fuzzes with the controller's seed."""
    state = node.config.stash.get(_STATE, None)
    if state is not None and state.agency_paths:
        node.workerinput["conformance_fuzz_seed"] = state.fuzz_seed()


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash[_STATE]
    if not state.agency_paths:
        return
    from conformance.errors import UsageError
    from conformance.probing.checks import select
    from conformance.probing.plan import plan, require_credentials, targets_of
    from conformance.probing.profiles import load_profiles

    try:
        profiles = load_profiles(state.agency_paths)
        registry = state.registry
        specs = select(
            ids=config.getoption("check"),
            classes=config.getoption("check_class"),
            requirements=config.getoption("requirement"),
            levels=config.getoption("level"),
            level_of=lambda spec: _level(registry, spec),
        )
        targets = targets_of(profiles)
        planned = plan(registry, targets, specs)
        require_credentials(targets)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    collectors: dict[str, AgencyCollector] = {}
    for item in planned:
        agency = item.target.agency.id
        if agency not in collectors:
            collectors[agency] = AgencyCollector.from_parent(
                session, name=f"agency:{agency}"
            )
        items.append(
            ServiceCheckItem.from_parent(collectors[agency], name=item.id, planned=item)
        )


def _level(registry: Registry, spec: Any) -> str:
    requirement = registry.requirement(spec.standard, spec.requirement)
    return requirement.level.value if requirement else "MUST"


class AgencyCollector(pytest.Collector):
    """The service checks of one agency (items are planned, not collected)."""

    def collect(self) -> list[pytest.Item]:
        return []


class ServiceCheckFailure(Exception):
    """A service check did not pass."""

    def __init__(self, result: Result, registry: Registry) -> None:
        super().__init__(result.title)
        self.result = result
        self.registry = registry


class ServiceCheckItem(pytest.Item):
    """One check of one service operation."""

    def __init__(self, *, planned: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planned = planned
        self.add_marker("conformance")
        self.add_marker(pytest.mark.conformance_class(planned.spec.conformance_class))

    def runtest(self) -> None:
        from conformance.model import Outcome
        from conformance.probing.plan import run_planned

        state = self.config.stash[_STATE]
        result = run_planned(state.services(), self.planned)
        _remember(self, result)
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.reason or "skipped")
        if result.outcome is Outcome.NOT_APPLICABLE:
            pytest.skip(f"not applicable: {result.reason}")
        if result.outcome is Outcome.WARNING:
            for finding in result.findings:
                warnings.warn(ConformanceWarning(finding.message), stacklevel=1)
            return
        if result.outcome is not Outcome.PASSED:
            raise ServiceCheckFailure(result, state.registry)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if isinstance(excinfo.value, ServiceCheckFailure):
            return describe_service(excinfo.value.result, excinfo.value.registry)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return f"agency:{self.planned.target.agency.id}", None, self.planned.id


def describe_service(result: Result, registry: Registry) -> str:
    """A failed service check: the requirement, the findings, how to reproduce."""
    requirement = result.requirement
    lines = [result.title]
    if requirement is not None:
        lines.append(
            f"  requirement {requirement.id} ({requirement.level}): {requirement.text}"
        )
    if result.reason:
        lines.append(f"  {result.outcome.value}: {result.reason}")
    for finding in result.findings:
        lines.append(f"  {finding.severity.value}: {finding.message}")
    exchanges = result.evidence.get("exchanges") or []
    if exchanges:
        lines.append("  reproduce with:")
        lines.extend(f"    {e['curl']}" for e in exchanges[-3:])
        last = exchanges[-1].get("response")
        if last:
            lines.append(f"  last reply: {last['status']} {last['body'][:300]}")
    return "\n".join(lines)


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
    if state.standard_ref:
        standard = state.resolve(state.standard_ref)
        if standard is not None:
            note = f", sunset {standard.sunset}" if standard.sunset else ""
            lines.append(
                f"conformance: standard {standard.ref} ({standard.status}{note})"
            )
    if state.agency_paths:
        seed = state.fuzz_seed()
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


def pytest_collect_file(
    file_path: Path, parent: pytest.Collector
) -> pytest.Collector | None:
    state = parent.config.stash[_STATE]
    collects_registry = state.check_registry or state.selftest
    if collects_registry and file_path.name == "standard.toml":
        if file_path.resolve().is_relative_to(state.registry.root):
            return StandardFile.from_parent(parent, path=file_path)
        return None
    if file_path.suffix.lower() not in _PAYLOAD_SUFFIXES:
        return None
    if collects_registry and file_path.resolve().is_relative_to(state.registry.root):
        return None  # examples are checked by the registry items, as labelled
    ref = state.standard_for(file_path)
    if ref is None:
        return None
    return PayloadFile.from_parent(parent, path=file_path, ref=ref)


class PayloadFile(pytest.File):
    """A payload file: one test item."""

    def __init__(self, *, ref: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ref = ref

    def collect(self) -> Any:
        yield PayloadItem.from_parent(self, name=self.ref, ref=self.ref)


class PayloadFailure(Exception):
    """A payload does not conform; carries the result for a readable report."""

    def __init__(self, result: Result, registry: Registry) -> None:
        super().__init__(result.title)
        self.result = result
        self.registry = registry


class PayloadItem(pytest.Item):
    """Validate one payload file."""

    def __init__(self, *, ref: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ref = ref
        self.add_marker("conformance")

    def runtest(self) -> None:
        from conformance.engine.payloads import payload_to_result
        from conformance.model import Outcome, Severity
        from conformance.validation.payloads import lifecycle_findings, validate_file

        state = self.config.stash[_STATE]
        standard = state.resolve(self.ref)
        payload = validate_file(self.path, state.validators, standard=standard)
        result = payload_to_result(state.registry, payload, "pytest", None)
        _remember(self, result)
        if standard is not None and standard.status.value == "retired":
            raise PayloadFailure(_with_lifecycle(result, standard), state.registry)
        if result.outcome in (Outcome.FAILED, Outcome.ERROR):
            raise PayloadFailure(result, state.registry)
        notes = [f for f in result.findings if f.severity is Severity.WARNING]
        if standard is not None and standard.status.value == "deprecated":
            notes = [*lifecycle_findings(standard), *notes]
        for finding in notes:
            # Point the warning at the payload, not at this module.
            warnings.warn_explicit(
                ConformanceWarning(f"{finding.location}: {finding.message}"),
                ConformanceWarning,
                filename=str(self.path),
                lineno=finding.line or 0,
            )

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if isinstance(excinfo.value, PayloadFailure):
            return describe(excinfo.value.result, excinfo.value.registry)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name} against {self.ref}"


def _with_lifecycle(result: Result, standard: StandardVersion) -> Result:
    from dataclasses import replace

    from conformance.model import Outcome
    from conformance.validation.payloads import lifecycle_findings

    return replace(
        result,
        outcome=Outcome.FAILED,
        findings=tuple(lifecycle_findings(standard)) + result.findings,
    )


def describe(result: Result, registry: Registry) -> str:
    """A failing result as a readable list of findings (no Python traceback)."""
    shown = result.evidence.get("file", result.target)
    against = result.standard or "its standard"
    if result.outcome.value == "error":
        lines = [f"{shown} could not be checked against {against}"]
    else:
        lines = [f"{shown} does not conform to {against}"]
    if result.reason:
        lines.append(f"  could not be checked: {result.reason}")
    for finding in result.findings:
        lines.append(
            f"  {finding.severity.value}: {finding.location}: {finding.message}"
        )
        detail = [f"rule {finding.rule}"]
        if finding.schema_location:
            detail.append(f"at {finding.schema_location}")
        if finding.requirement:
            requirement = (
                registry.requirement(finding.standard, finding.requirement)
                if finding.standard
                else None
            )
            detail.append(
                f"requirement {finding.requirement}"
                + (f" ({requirement.level}): {requirement.text}" if requirement else "")
            )
        lines.append("    " + "; ".join(detail))
    return "\n".join(lines)


def _remember(item: pytest.Item, result: Result) -> None:
    from conformance.results.run import result_to_dict

    if result.requirement is not None:
        item.user_properties.append(("requirement", result.requirement.id))
        item.user_properties.append(("level", result.requirement.level.value))
    if result.standard:
        item.user_properties.append(("standard", result.standard))
    item.stash[_RESULT] = json.dumps(result_to_dict(result), ensure_ascii=False)


_RESULT = pytest.StashKey[str]()


class StandardFile(pytest.File):
    """A ``standard.toml`` of the registry: one item per self-check of that version."""

    def collect(self) -> Any:
        from conformance.errors import RegistryError
        from conformance.registry.manifest import parse_manifest
        from conformance.selfcheck.registry_checks import registry_checks

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
            from conformance.selfcheck.selftest import selftests

            checks += selftests(state.registry, [standard])
        for check in checks:
            name = check.id.split("::", 1)[1]
            yield RegistryItem.from_parent(self, name=name, check=check)


class RegistryFailure(Exception):
    """A registry self-check failed."""


class ManifestItem(pytest.Item):
    """A manifest that cannot be read."""

    def __init__(self, *, problem: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def runtest(self) -> None:
        raise RegistryFailure(self.problem)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path} reads"


class RegistryItem(pytest.Item):
    """One self-check of one standard version."""

    def __init__(self, *, check: RegistryCheck, **kwargs: Any) -> None:
        super().__init__(**kwargs)
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
            raise RegistryFailure("\n".join(f.message for f in result.findings))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> Any:
        if isinstance(excinfo.value, RegistryFailure):
            return f"{self.check.title}\n  " + str(excinfo.value).replace("\n", "\n  ")
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.check.title


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if call.when == "call" and _RESULT in item.stash:
        # A plain string attribute travels with the report to the xdist controller.
        report.conformance_result = item.stash[_RESULT]
    return report


class _ReportCollector:
    """Gathers results (from xdist workers too) and writes the JSON report."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.collected: list[dict[str, Any]] = []
        self.recorded = ""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "conformance_result", None)
        if data is not None:
            self.collected.append(json.loads(data))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from conformance.reporting.writers import writer
        from conformance.results.run import Run, result_from_dict

        registry = self.state.registry
        args = " ".join(session.config.invocation_params.args)
        run = Run(registry=registry, command=f"pytest {args}".strip())
        for data in self.collected:
            requirement = None
            if data.get("standard") and data.get("requirement"):
                requirement = registry.requirement(
                    data["standard"], data["requirement"]
                )
            run.add(result_from_dict(data, requirement))
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        run.finish(
            complete=not interrupted,
            interruption="pytest was interrupted" if interrupted else None,
        )
        if self.state.report_path is not None:
            writer("json")(run, Path(self.state.report_path))
        if self.state.agency_paths and self.state.records_history:
            self.recorded = _record(run, self.state)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.recorded:
            terminalreporter.write_line(f"conformance: {self.recorded}")


def _record(run: Any, state: _State) -> str:
    """Save a finished run in the results history; says what happened.

    A history that cannot be written is reported, not raised: the tests
    have run and their outcome stands.
    """
    import sqlite3

    from conformance.errors import ConformanceError
    from conformance.history import history_location, open_history

    try:
        location = history_location(state.history, state.reports_dir)
        store = open_history(location)
        try:
            store.save(run)
        finally:
            store.close()
    except (ConformanceError, OSError, sqlite3.Error) as exc:
        return f"the run was not recorded in the results history: {exc}"
    state_word = "" if run.complete else ", marked incomplete"
    return f"run {run.id} recorded in {location}{state_word}"
