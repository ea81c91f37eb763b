"""Peak memory of validating one JSON document with 200,000 errors.

Run by hand, never in the tests:
``.venv/bin/python benchmarks/many_errors.py [--errors N]``.

Each measurement runs in its own process, so its peak RSS is its own:

- ``native``: every error from jsonschema-rs ``iter_errors``, as before the
  lazy path (the validator is given no schema, so it cannot take it);
- ``lazy``: ``validate_json`` as it is, which past the cap counts the
  errors with the reference validator one at a time;
- ``read``: only reading the document safely (``parse_json``), the floor
  both stand on: what is above it is what validating costs.

Both keep the default cap of findings (10,000) and must give the same count.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "records": {"type": "array", "items": {"$ref": "#/$defs/record"}},
    },
    "$defs": {
        "record": {
            "type": "object",
            "properties": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
        }
    },
}


ROOT = Path(__file__).resolve().parent.parent
MODES = ("read", "native", "lazy")


def measure(mode: str, errors: int) -> dict[str, object]:
    """Validate the document in this process; its peak RSS and findings."""
    # The checkout this script is in, before any installed copy.
    sys.path.insert(0, str(ROOT))
    from conformance.inputs.json_input import parse_json
    from conformance.validation.json_validation import (
        json_validator_for_file,
        validate_json,
    )

    folder = Path(tempfile.mkdtemp())
    schema = folder / "records.schema.json"
    schema.write_text(json.dumps(SCHEMA), encoding="utf-8")
    validator = json_validator_for_file(schema, None)
    if mode == "native":
        validator = dataclasses.replace(validator, schema=None)
    data = json.dumps({"records": [{"code": "abc"}] * errors}).encode()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if mode == "read":
        parse_json(data)
        findings = []
    else:
        findings = validate_json(data, validator)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "errors": errors,
        "findings": len(findings),
        "note": findings[-1].message if findings else "",
        "peak RSS before validating (MB)": round(before, 1),
        "peak RSS (MB)": round(peak, 1),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    """Measure both modes, each in a fresh interpreter."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--errors", type=int, default=200_000)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args.errors)))
        return
    for mode in MODES:
        out = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--errors", str(args.errors)],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(json.dumps(json.loads(out), ensure_ascii=False))


if __name__ == "__main__":
    main()
