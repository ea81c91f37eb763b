"""The engine's options, typed.

A front end (the command line, the pytest plugin) reads its own flags
(:mod:`.flags`) and settings and builds one :class:`RunOptions`; the engine
never sees argparse or pytest objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from conformance.history import Location, history_location
from conformance.inputs.json_input import DEFAULT_LIMITS
from conformance.probing.fuzzing import DEFAULT_EXAMPLES, DEFAULT_SECONDS
from conformance.probing.profiles import PayloadTarget
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.validation.payloads import DEFAULT_MAX_FINDINGS

DEFAULT_REPORTS_DIR = Path("reports")


@dataclass(frozen=True, slots=True)
class Selection:
    """Which service checks run; an empty filter keeps every check."""

    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()

    @property
    def narrows(self) -> bool:
        """True when some filter is given (and so must name known checks)."""
        return bool(self.ids or self.classes or self.requirements or self.levels)


@dataclass(frozen=True, slots=True)
class FuzzOptions:
    """The seed and budget of endpoint fuzzing.

    ``seed`` is a number, ``"last"`` (the previous run's) or ``None`` (a new
    one, or the fixed CI seed when ``CI`` is set).
    """

    seed: int | str | None = None
    examples: int = DEFAULT_EXAMPLES
    seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True, slots=True)
class GateOptions:
    """Waivers to apply and how strict the CI gate is beyond failed MUSTs."""

    waivers: Path | None = None
    max_should_failures: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of one payload is read and reported."""

    max_bytes: int = DEFAULT_LIMITS.max_bytes
    max_findings: int = DEFAULT_MAX_FINDINGS


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything one run needs, whichever front end asked for it.

    ``agencies`` are agency profiles (files or folders): their payload
    targets and services are checked. ``payloads`` are payload targets given
    directly (``conformance validate``), validated against their standard or,
    with ``schema``, a draft JSON Schema or XSD outside the registry. ``history``
    is a location (a path or ``sqlite:///...``); ``None`` means the default
    in the reports folder, and ``record_history=False`` records nothing.
    """

    command: str
    registry: Path | None = None
    agencies: tuple[Path, ...] = ()
    payloads: tuple[PayloadTarget, ...] = ()
    schema: Path | None = None
    reports_dir: Path = DEFAULT_REPORTS_DIR
    selection: Selection = field(default_factory=Selection)
    fuzz: FuzzOptions = field(default_factory=FuzzOptions)
    gate: GateOptions = field(default_factory=GateOptions)
    limits: Limits = field(default_factory=Limits)
    dry_run: bool = False
    audit_log: Path | None = None
    history: str | None = None
    record_history: bool = False
    source: str | None = None
    lang: str = DEFAULT_LANGUAGE
    environ: dict[str, str] | None = field(default=None, compare=False)
    jobs: int | None = None
    """Worker processes for payload files; ``None``: one per processor, when
    there is enough to check."""

    @property
    def history_location(self) -> Location:
        """Where the run is recorded: ``history``, ``$CONFORMANCE_HISTORY``, or
        ``history.sqlite`` in the reports folder."""
        return history_location(self.history, self.reports_dir)

    @property
    def audit_path(self) -> Path:
        """Where every request sent is logged (never for a dry run)."""
        return self.audit_log or self.reports_dir / "audit.log"
