"""Start-up and the main job, for `make bench`'s table.

Both are whole commands. Start-up is `conformance standards list` against
`python -c 'import jsonschema'` in turns; the main job is `conformance run`
on the bundled agencies, its first run in a fresh empty folder (nothing
cached there, as on a CI checkout) and a second run in the same folder.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

TURNS = 7
MAIN_JOB_TURNS = 3


def bench_startup(measured: Callable[[list[str]], dict]) -> dict:
    """Medians of the two commands and of the per-turn ratios."""
    ours_command = [sys.executable, "-m", "conformance", "standards", "list"]
    peer_command = [sys.executable, "-c", "import jsonschema"]
    measured(ours_command)  # warm-up: the file cache and the manifest cache
    measured(peer_command)
    ours, peer, ratios = [], [], []
    for _ in range(TURNS):
        mine = measured(ours_command)
        theirs = measured(peer_command)
        if mine["exit"] != 0:
            raise RuntimeError(f"standards list failed: {mine['err']}")
        ours.append(mine["s"])
        peer.append(theirs["s"])
        ratios.append(mine["s"] / theirs["s"])
    return {
        "ours s": statistics.median(ours),
        "peer s": statistics.median(peer),
        "ratio": statistics.median(ratios),
        "ratio min": min(ratios),
        "ratio max": max(ratios),
    }


def bench_main_job(measured: Callable[[list[str]], dict]) -> dict:
    """`conformance run` on the bundled agencies, first and second run."""
    first, again, peaks, checks = [], [], [], set()
    for _ in range(MAIN_JOB_TURNS):
        with tempfile.TemporaryDirectory(prefix="main-job-") as folder:
            reports = Path(folder) / "reports"
            work = Path(folder) / "work"
            work.mkdir()
            command = [
                sys.executable,
                "-m",
                "conformance",
                "run",
                "--reports-dir",
                str(reports),
            ]
            for times in (first, again):
                result = measured(["env", "-C", str(work), *command])
                times.append(result["s"])
                if result["exit"] != 0:
                    # The verdict and what failed are on stdout, the seed on stderr.
                    raise RuntimeError(
                        f"conformance run exited {result['exit']}:"
                        f"\n{result['err']}\n{result['out'][-3000:]}"
                    )
                peaks.append(result["peak MiB"])
                report = reports / "conformance-report.json"
                checks.add(_checked(report.read_text(encoding="utf-8")))
            left = sorted(p.name for p in work.iterdir())
            if left:
                raise RuntimeError(f"conformance run wrote {left} into its folder")
    return {
        "first s": statistics.median(first),
        "again s": statistics.median(again),
        "peak MiB": max(peaks),
        "checks": ", ".join(sorted(checks)),
    }


def _checked(report: str) -> str:
    """How many results a run reported, by outcome: the same in every run."""
    counts: dict[str, int] = {}
    for result in json.loads(report)["results"]:
        outcome = str(result.get("outcome"))
        counts[outcome] = counts.get(outcome, 0) + 1
    return " ".join(f"{n} {k}" for k, n in sorted(counts.items()))
