"""The checks catalogue: one small function per requirement of a service.

A check is registered with :func:`check`, which records its id, title,
requirement (in ``exchange-rules``), conformance class and the operation
roles it applies to; a second registration of an id is refused. Other
packages add checks through the ``conformance.checks`` entry point group:
each entry point names a module whose import registers its checks.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from conformance.errors import UsageError
from conformance.model import Finding
from conformance.probing.checks.context import (
    OGC_CLASSES,
    CheckContext,
    NotApplicable,
    Skip,
    Unavailable,
)
from conformance.probing.conventions import SERVICE_CLASSES, SUITE_CLASSES

__all__ = [
    "CHECKS",
    "CheckContext",
    "CheckFunc",
    "CheckSpec",
    "NotApplicable",
    "Skip",
    "Unavailable",
    "all_checks",
    "check",
    "select",
]

SERVICE_RULES = "exchange-rules@1.2.0"
CheckFunc = Callable[[CheckContext], list[Finding]]
"""A check: its findings on one operation (or service); none means it passed."""

# The classes a standard may declare (conventions.SERVICE_CLASSES), the
# suite's own, which apply to every service, and those of external standards
# that a service declares itself (OGC's, read from its /conformance).
CLASSES = (*SERVICE_CLASSES, *SUITE_CLASSES, *OGC_CLASSES)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check."""

    id: str
    title: str
    requirement: str
    conformance_class: str
    roles: frozenset[str] | None  # None: once per service
    func: CheckFunc
    writes: bool = False
    standard: str = SERVICE_RULES
    # The id of the only standard whose services the check is planned for
    # (a conformance kit's checks); None: every service.
    for_standard: str | None = None


CHECKS: dict[str, CheckSpec] = {}


def check(
    id: str,
    *,
    title: str,
    requirement: str,
    conformance_class: str,
    roles: tuple[str, ...] | None = None,
    writes: bool = False,
    standard: str = SERVICE_RULES,
    for_standard: str | None = None,
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check function under a unique id.

    ``standard`` is the standard version whose requirement it cites;
    ``for_standard`` the id of the one standard whose services it is for.
    """
    if conformance_class not in CLASSES:
        raise ValueError(
            f"check {id!r}: unknown conformance class {conformance_class!r}"
        )

    def register(func: CheckFunc) -> CheckFunc:
        if id in CHECKS:
            raise ValueError(f"a check with id {id!r} is already registered")
        CHECKS[id] = CheckSpec(
            id=id,
            title=title,
            requirement=requirement,
            conformance_class=conformance_class,
            roles=frozenset(roles) if roles is not None else None,
            func=func,
            writes=writes,
            standard=standard,
            for_standard=for_standard,
        )
        return func

    return register


_LOADED: list[bool] = []


def all_checks() -> dict[str, CheckSpec]:
    """Every check: the built-in catalogue and those of installed plugins."""
    if not _LOADED:
        # Importing them registers the built-in checks. Here, not at the top:
        # they import check() from this module (an import cycle).
        from conformance.probing.checks import catalogue, fuzz, ogc  # noqa: F401

        for entry in metadata.entry_points(group="conformance.checks"):
            entry.load()
        _LOADED.append(True)
    return CHECKS


def select(
    *,
    ids: list[str] | None = None,
    classes: list[str] | None = None,
    requirements: list[str] | None = None,
    levels: list[str] | None = None,
    level_of: Callable[[CheckSpec], str] | None = None,
) -> list[CheckSpec]:
    """The checks matching every given filter; unknown names are usage errors."""
    checks = all_checks()
    for wanted, known, what in (
        (ids, set(checks), "check"),
        (classes, set(CLASSES), "conformance class"),
        (requirements, {c.requirement for c in checks.values()}, "requirement"),
        (levels, {"MUST", "SHOULD", "MAY"}, "level"),
    ):
        for name in wanted or []:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UsageError(f"unknown {what} {name!r}{hint}")
    chosen = []
    for spec in checks.values():
        if ids and spec.id not in ids:
            continue
        if classes and spec.conformance_class not in classes:
            continue
        if requirements and spec.requirement not in requirements:
            continue
        if levels and level_of is not None and level_of(spec) not in levels:
            continue
        chosen.append(spec)
    return chosen
