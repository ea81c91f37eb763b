"""The run engine: the one orchestration under every front end.

A front end builds :class:`RunOptions`, opens an :class:`Engine`, plans the
run into units, executes them and records each result in a
:class:`RunSession`, which streams it to :class:`Listener` objects (the
history, report files, a progress line) and ends with the gate's decision.

The names below are imported on first use: the pytest plugin reads the
shared flags (:mod:`.flags`) at every pytest start-up, and importing the
whole engine then would slow ``pytest --help`` wherever the suite is
installed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.engine.listeners import HistoryListener, Listener, ReportFiles
    from conformance.engine.options import (
        FuzzOptions,
        GateOptions,
        Limits,
        RunOptions,
        Selection,
    )
    from conformance.engine.runner import INTERRUPTED, Engine, Plan, RunSession
    from conformance.engine.units import (
        LifecycleUnit,
        PayloadUnit,
        ServiceUnit,
        Unit,
        display_path,
    )

_HOMES = {
    "HistoryListener": "listeners",
    "Listener": "listeners",
    "ReportFiles": "listeners",
    "FuzzOptions": "options",
    "GateOptions": "options",
    "Limits": "options",
    "RunOptions": "options",
    "Selection": "options",
    "INTERRUPTED": "runner",
    "Engine": "runner",
    "Plan": "runner",
    "RunSession": "runner",
    "LifecycleUnit": "units",
    "PayloadUnit": "units",
    "ServiceUnit": "units",
    "Unit": "units",
    "display_path": "units",
}

__all__ = [
    "INTERRUPTED",
    "Engine",
    "FuzzOptions",
    "GateOptions",
    "HistoryListener",
    "LifecycleUnit",
    "Limits",
    "Listener",
    "PayloadUnit",
    "Plan",
    "ReportFiles",
    "RunOptions",
    "RunSession",
    "Selection",
    "ServiceUnit",
    "Unit",
    "display_path",
]


__getattr__ = lazy_face(__name__, _HOMES)
