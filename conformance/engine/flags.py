"""The flags both front ends spell the engine's options with.

Declared once, with keyword arguments that argparse's ``add_argument`` and
pytest's ``addoption`` both accept. This module imports next to nothing,
so that ``pytest --help`` stays fast wherever the plugin is installed.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.probing.fuzzing import DEFAULT_EXAMPLES, DEFAULT_SECONDS

Option = tuple[str, dict[str, object]]

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
            # `--level must` means what `--level MUST` does.
            "type": str.upper,
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
            "help": f"examples per operation at most (default {DEFAULT_EXAMPLES});"
            " a search stops sooner once examples in a row show nothing new",
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

RECORDING: tuple[Option, ...] = (
    (
        "--history",
        {
            "metavar": "PATH",
            "help": "the results history: a SQLite file or sqlite:///PATH (default:"
            " [tool.conformance] history, $CONFORMANCE_HISTORY, or"
            " REPORTS_DIR/history.sqlite)",
        },
    ),
    (
        "--no-history",
        {"action": "store_true", "default": False, "help": "do not record the run"},
    ),
)
"""Where a run of agencies is recorded."""

GATE: tuple[Option, ...] = (
    (
        "--waivers",
        {
            "metavar": "FILE",
            "help": "waivers granted by the executive group (TOML, see"
            " docs/reports.md; default: [tool.conformance] waivers)",
        },
    ),
    (
        "--max-should-failures",
        {
            "type": int,
            "metavar": "N",
            "help": "fail the gate when more than N SHOULD requirements fail"
            " (default: SHOULD failures never fail it)",
        },
    ),
)
"""Waivers and the CI gate's threshold."""


def jobs_value(text: str) -> int | None:
    """``--jobs``: a number of processes, or ``auto`` (``None``)."""
    if text == "auto":
        return None
    number = int(text)  # a ValueError is the parser's usage error
    if number < 1:
        raise ValueError(text)
    return number


JOBS: tuple[Option, ...] = (
    (
        "--jobs",
        {
            "type": jobs_value,
            "metavar": "N|auto",
            "default": None,
            "help": "worker processes (default auto: one per processor), for"
            " payload files when there are many or a large JSON Lines file, and"
            " for services when two or more are probed; 1 checks everything in"
            " this process; results come in the same order either way",
        },
    ),
)
"""How many processes check payload files and services."""


def add_options(add: Callable[..., object], options: tuple[Option, ...]) -> None:
    """Declare ``options`` with ``add`` (``add_argument`` or ``addoption``)."""
    for flag, settings in options:
        add(flag, **settings)
