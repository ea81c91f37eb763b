"""Results and what they add up to.

The run model with its verdict and JSON form (:mod:`.run`), reading reports
back and merging them (:mod:`.report_io`), scores per agency, standard and
class (:mod:`.scores`), waivers (:mod:`.waivers`), the CI gate
(:mod:`.gating`) and the comparison of two runs (:mod:`.compare`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance import lazy_face

if TYPE_CHECKING:
    from conformance.results.compare import Comparison
    from conformance.results.gating import GateDecision, GatePolicy, decide
    from conformance.results.report_io import load_report, merge_runs
    from conformance.results.run import (
        Run,
        Target,
        Verdict,
        result_from_dict,
        result_to_dict,
        to_document,
    )
    from conformance.results.scores import Tally, tally
    from conformance.results.waivers import Waiver, apply_waivers, load_waivers, waive

__all__ = [
    "Comparison",
    "GateDecision",
    "GatePolicy",
    "Run",
    "Tally",
    "Target",
    "Verdict",
    "Waiver",
    "apply_waivers",
    "decide",
    "load_report",
    "load_waivers",
    "merge_runs",
    "result_from_dict",
    "result_to_dict",
    "tally",
    "to_document",
    "waive",
]

__getattr__ = lazy_face(
    __name__,
    {
        "Comparison": "compare",
        "GateDecision": "gating",
        "GatePolicy": "gating",
        "Run": "run",
        "Tally": "scores",
        "Target": "run",
        "Verdict": "run",
        "Waiver": "waivers",
        "apply_waivers": "waivers",
        "decide": "gating",
        "load_report": "report_io",
        "load_waivers": "waivers",
        "merge_runs": "report_io",
        "result_from_dict": "run",
        "result_to_dict": "run",
        "tally": "scores",
        "to_document": "run",
        "waive": "waivers",
    },
)
