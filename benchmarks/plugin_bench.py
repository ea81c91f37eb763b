"""The pytest plugin on many payload files: ``pytest -n 2`` against ``-n 0``.

Whole pytest commands, measured in turns as ``run.py`` measures
``conformance validate --jobs``, on the workloads' files: the XML files
(one person document each) and the same person records as one JSON file
each. Both commands write a JSON conformance report; the table says
whether the two hold the same results. A JSON Lines file is one file, so
one pytest item: pytest workers cannot share it (``validate --jobs`` can).
"""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

Measured = Callable[[list[str]], dict]


def json_folder(data: Path, count: int, person: Callable[..., dict]) -> Path:
    """The workloads' person records, one JSON file each, generated once."""
    folder = data / f"jsonfiles-{count}"
    if not folder.exists():
        partial = data / f"jsonfiles-{count}.partial"
        partial.mkdir(parents=True, exist_ok=True)
        rng = random.Random(20261203)
        for index in range(count):
            (partial / f"{index:06}.json").write_text(
                json.dumps(person(rng, index), ensure_ascii=False), "utf-8"
            )
        partial.rename(folder)
    return folder


def _results(path: Path) -> list[tuple[str, str, list[str]]]:
    """Each payload file's outcome and findings in a conformance report."""
    results = json.loads(path.read_text("utf-8"))["results"]
    return sorted(
        (r["id"], r["outcome"], [f["message"] for f in r.get("findings", [])])
        for r in results
        if r["kind"] == "payload"
    )


def bench_plugin(folder: Path, standard: str, measured: Measured, turns: int) -> dict:
    """``pytest -n 2`` against ``pytest -n 0`` on a folder of payload files:
    the median of the per-turn speed-ups, peak memory, and the same results.

    ``standard`` is a reference, or ``auto`` for XML found by namespace; the
    folder is mapped in an ini file of its own (no project settings), beside
    it.
    """
    data = folder.parent
    ini = data / f"pytest-{folder.name}.ini"
    ini.write_text(
        f"[pytest]\nconformance_payloads =\n    {folder.name} = {standard}\n", "utf-8"
    )
    base = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        str(ini),
        "--rootdir",
        str(data),
        str(folder),
    ]
    one, two, speedups, peaks = [], [], [], []
    cpu: dict[str, list[float]] = {"0": [], "2": []}
    same = True
    for _ in range(turns):
        reports = [data / f"plugin-n{n}.json" for n in (0, 2)]
        # A folder of pytest's temporary files each, beside the data: with
        # its default one, a run under xdist (which makes it for its workers)
        # also deletes the oldest of the user's earlier pytest runs' folders
        # on the way out, as many megabytes as those runs left.
        single = measured(
            [*base, "-n", "0", f"--conformance-report={reports[0]}",
             f"--basetemp={data / 'pytest-tmp-n0'}"]
        )  # fmt: skip
        double = measured(
            [*base, "-n", "2", f"--conformance-report={reports[1]}",
             f"--basetemp={data / 'pytest-tmp-n2'}"]
        )  # fmt: skip
        for done in (single, double):
            if done["exit"] not in (0, 1):  # 1: some files do not conform
                raise RuntimeError(
                    f"pytest failed (exit {done['exit']}): {done['err']}"
                )
        one.append(single["s"])
        two.append(double["s"])
        cpu["0"].append(single["cpu s"])
        cpu["2"].append(double["cpu s"])
        peaks.append(double["peak MiB"])
        speedups.append(single["s"] / double["s"])
        same = same and _results(reports[0]) == _results(reports[1])
    return {
        "n0 s": statistics.median(one),
        "n2 s": statistics.median(two),
        "n0 cpu s": statistics.median(cpu["0"]),
        "n2 cpu s": statistics.median(cpu["2"]),
        "speed-up": statistics.median(speedups),
        "speed-up min": min(speedups),
        "speed-up max": max(speedups),
        "same results": same,
        "peak MiB": max(peaks),
    }


def plugin_row(label: str, found: dict) -> tuple[str, ...]:
    """The table's row for :func:`bench_plugin`."""
    return (
        f"pytest plugin -n 2, {label}",
        f"{found['n2 s']:.2f} s",
        f"-n 0: {found['n0 s']:.2f} s; goal ≥ 1.5× faster,"
        f" same results: {'yes' if found['same results'] else 'NO'}",
        f"{found['speed-up']:.2f}× faster (turns"
        f" {found['speed-up min']:.2f}–{found['speed-up max']:.2f})",
        f"{found['peak MiB']:.0f} MiB",
    )
