"""Which named faults of the reference service are caught, endpoint by endpoint.

Run by hand: `.venv/bin/python benchmarks/fault_matrix.py [--out FILE]`. For
the conformant reference service and then for each named fault in turn, it
runs `conformance run` on the bundled agency profiles (every service on the
reference service, that fault switched on) and prints, for every endpoint
(service and operation), the faults some check failed on there and the checks
that failed with no fault at all (false alarms). Each run is a real run of
the command, in its own process.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGENCIES = ROOT / "fixtures" / "agencies"
BAD = ("failed", "error", "warning")


def _profiles(folder: Path, fault: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(AGENCIES.glob("*.toml")):
        text = source.read_text("utf-8")
        # Relative paths of the profile (payload folders) stay where they were.
        text = re.sub(
            r'^path = "([^"]+)"',
            lambda m, here=source.parent: (
                f"path = {json.dumps(str((here / m.group(1)).resolve()))}"
            ),
            text,
            flags=re.M,
        )
        # Writes allowed in every run (the write checks then run), so that a
        # fault's run differs from the conformant one by the fault alone.
        extra = {"allow_writes": "true"}
        if fault is not None:
            extra["faults"] = f'["{fault}"]'
        if fault == "slow":
            extra["timeout"] = "1"
        if fault == "sluggish":
            extra["latency_objective_ms"] = "100"
        for key in extra:
            text = re.sub(rf"^{key}\s*=.*\n", "", text, flags=re.M)
        lines = [f"{key} = {value}" for key, value in extra.items()]
        text = re.sub(
            r'^base_url = "reference"$',
            'base_url = "reference"\n' + "\n".join(lines),
            text,
            flags=re.M,
        )
        (folder / source.name).write_text(text, "utf-8")


def _run(work: Path, fault: str | None) -> list[dict[str, object]]:
    name = fault or "conformant"
    profiles = work / name / "agencies"
    _profiles(profiles, fault)
    reports = work / name / "reports"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--agency",
            str(profiles),
            "--reports-dir",
            str(reports),
            "--no-history",
            "--fuzz-seed",
            "1",
            # Every reply of these two waits; fuzzing's thousands of requests
            # would take many minutes and show nothing more.
            *(["--fuzz-examples", "3"] if fault in ("slow", "sluggish") else []),
        ],
        cwd=work,
        capture_output=True,
        check=False,
    )
    report = reports / "conformance-report.json"
    if not report.exists():
        print(f"{name}: no report: {done.stderr.decode()[-500:]}", file=sys.stderr)
        return []
    results: list[dict[str, object]] = json.loads(report.read_text("utf-8"))["results"]
    return [r for r in results if r.get("kind") == "service"]


def _endpoint(result: dict[str, object]) -> str:
    evidence = result.get("evidence") or {}
    assert isinstance(evidence, dict)
    return f"{evidence.get('service')} {evidence.get('operation') or '(service)'}"


def main() -> int:
    """Print the matrix (Markdown); with --out, write it there too."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from conformance.probing.reference import FAULTS

    caught: dict[str, set[str]] = defaultdict(set)
    alarms: dict[str, set[str]] = defaultdict(set)
    endpoints: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for result in _run(work, None):
            endpoints.add(_endpoint(result))
            if result["outcome"] in BAD:
                alarms[_endpoint(result)].add(str(result["id"]).rsplit(":", 1)[1])
        for fault in FAULTS:
            print(f"fault {fault}...", file=sys.stderr)
            for result in _run(work, fault):
                endpoints.add(_endpoint(result))
                if result["outcome"] in BAD:
                    check = str(result["id"]).rsplit(":", 1)[1]
                    if check not in alarms[_endpoint(result)]:
                        caught[_endpoint(result)].add(fault)
    lines = [
        "| endpoint | faults caught | false alarms (conformant) |",
        "|---|---|---|",
    ]
    for endpoint in sorted(endpoints):
        found = sorted(caught[endpoint])
        lines.append(
            f"| {endpoint} | {len(found)}: {', '.join(found) or '-'} |"
            f" {len(alarms[endpoint])}{': ' + ', '.join(sorted(alarms[endpoint])) if alarms[endpoint] else ''} |"
        )
    missed = sorted(set(FAULTS) - set().union(*caught.values()))
    lines.append("")
    lines.append(f"faults caught nowhere: {', '.join(missed) or 'none'}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
