"""Probing agency services over HTTP.

The one HTTP client with its safety limits (:mod:`.http`), the standards'
interfaces as operations (:mod:`.interfaces`), agency profiles
(:mod:`.profiles`), the checks catalogue (:mod:`.checks`), endpoint fuzzing
settings (:mod:`.fuzzing`), the bundled reference service (:mod:`.reference`)
and the planning of service × operation × check units (:mod:`.plan`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.probing.checks import CheckSpec, all_checks, check, select
    from conformance.probing.http import AuditLog, Exchange, HttpLimits, ServiceClient
    from conformance.probing.plan import Planned, Services, run_planned
    from conformance.probing.profiles import (
        PayloadTarget,
        Profile,
        ServiceTarget,
        bundled_profiles,
        load_profiles,
    )
    from conformance.probing.reference import ReferenceService

__all__ = [
    "AuditLog",
    "CheckSpec",
    "Exchange",
    "HttpLimits",
    "PayloadTarget",
    "Planned",
    "Profile",
    "ReferenceService",
    "ServiceClient",
    "ServiceTarget",
    "Services",
    "all_checks",
    "bundled_profiles",
    "check",
    "load_profiles",
    "run_planned",
    "select",
]

__getattr__ = lazy_face(
    __name__,
    {
        "AuditLog": "http",
        "CheckSpec": "checks",
        "Exchange": "http",
        "HttpLimits": "http",
        "PayloadTarget": "profiles",
        "Planned": "plan",
        "Profile": "profiles",
        "ReferenceService": "reference",
        "ServiceClient": "http",
        "ServiceTarget": "profiles",
        "Services": "plan",
        "all_checks": "checks",
        "bundled_profiles": "profiles",
        "check": "checks",
        "load_profiles": "profiles",
        "run_planned": "plan",
        "select": "checks",
    },
)
