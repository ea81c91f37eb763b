"""The public face for check authors: register a check with :func:`check`.

Checks of another package live in a module named under the ``conformance.checks``
entry point group; importing that module registers them (docs/checks.md).
"""

from conformance.probing.checks import (
    CheckContext,
    CheckSpec,
    NotApplicable,
    Skip,
    Unavailable,
    all_checks,
    check,
    select,
)

__all__ = [
    "CheckContext",
    "CheckSpec",
    "NotApplicable",
    "Skip",
    "Unavailable",
    "all_checks",
    "check",
    "select",
]
