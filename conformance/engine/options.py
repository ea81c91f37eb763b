"""Options the ``conformance`` command and the pytest plugin share.

Both take the same check selection and fuzzing options; they are written
once here, with keyword arguments argparse and pytest's ``addoption``
both accept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.probing.fuzzing import DEFAULT_EXAMPLES, DEFAULT_SECONDS

Option = tuple[str, dict[str, Any]]

SELECTION: tuple[Option, ...] = (
    ("--check", {"action": "append", "metavar": "ID", "help": "only this check"}),
    (
        "--check-class",
        {"action": "append", "metavar": "NAME", "help": "only this conformance class"},
    ),
    (
        "--requirement",
        {
            "action": "append",
            "metavar": "ID",
            "help": "only checks of this requirement",
        },
    ),
    (
        "--level",
        {
            "action": "append",
            "choices": ("MUST", "SHOULD", "MAY"),
            "help": "only checks of this level",
        },
    ),
)
"""Which service checks run; each repeatable."""

FUZZING: tuple[Option, ...] = (
    (
        "--fuzz-seed",
        {
            "metavar": "N|last",
            "help": "repeat a run's inputs (default: new each run, fixed when CI"
            " is set)",
        },
    ),
    (
        "--fuzz-examples",
        {
            "type": int,
            "metavar": "N",
            "help": f"examples per operation (default {DEFAULT_EXAMPLES})",
        },
    ),
    (
        "--fuzz-seconds",
        {
            "type": float,
            "metavar": "S",
            "help": f"seconds per operation at most (default {DEFAULT_SECONDS:g})",
        },
    ),
)
"""The budget and seed of endpoint fuzzing."""


def add_options(add: Callable[..., Any], options: tuple[Option, ...]) -> None:
    """Declare ``options`` with ``add`` (``add_argument`` or ``addoption``)."""
    for flag, settings in options:
        add(flag, **settings)
