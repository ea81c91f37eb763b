"""Valid generation beside hypothesis-jsonschema, on the same hypothesis.

hypothesis-jsonschema runs under another interpreter (it fails with the
newest hypothesis; see README.md); ours runs there too, so both draw with
the same hypothesis version, each in a fresh process per turn, the two in
turns. It resolves local references only and knows JSON Schema drafts 4
to 7: it is given each schema with every ``$ref`` inlined and, for
land-parcel, ``prefixItems`` written as draft 7's array form of ``items``
(the same documents are valid: without it, it does not know the GeoJSON
positions are pairs of numbers and draws arbitrary JSON for them).
"""

from __future__ import annotations

import json
import statistics
import subprocess
from pathlib import Path

COMPARED = {"person@1.2.0": 300, "land-parcel@1.2.0": 20}
"""Standards compared, and the examples each generator draws of each: the
same number for both, since hypothesis draws its first examples smaller
than later ones."""

TIMEOUT = 600
"""Seconds a generator's process may take before it is said to fail."""

RATES_CHILD = """
import json, sys, time
from pathlib import Path
from hypothesis import HealthCheck, Phase, given, settings
import hypothesis
generator, ref, examples, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if generator == "ours":
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.strategies import valid_json
    registry = Registry.open(bundled("standards"))
    strategy = valid_json(registry, registry.resolve(ref))
else:  # hypothesis-jsonschema, on the schema file named
    from hypothesis_jsonschema import from_schema
    strategy = from_schema(json.load(open(generator)))
rates = []
for _ in range(rounds):
    drawn = 0
    @settings(max_examples=examples, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(_):
        global drawn
        drawn += 1
    started = time.perf_counter()
    draw()
    rates.append(drawn / (time.perf_counter() - started))
peak = 0.0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        peak = int(line.split()[1]) / 1024
print(json.dumps({"rates": rates, "peak MiB": peak, "hypothesis": hypothesis.__version__}))
"""
"""Rates of one generator on one standard: ``ours`` or the path of a schema
for hypothesis-jsonschema; the first round warms up (compiling, caches)."""


def inlined_schema(ref: str) -> dict:
    """A standard's JSON Schema with every ``$ref`` replaced by its target,
    and ``prefixItems`` as draft 7's ``items`` array (with ``items`` as
    ``additionalItems``), for hypothesis-jsonschema."""
    from urllib.parse import unquote, urldefrag, urljoin

    from conformance.probing.interfaces import member_at
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.validation.json_validation import registry_loader

    registry = Registry.open(bundled("standards"))
    standard = registry.resolve(ref)
    assert standard.json is not None, ref
    loader = registry_loader(registry)
    uri = registry.uri_for(standard.json.path)

    def inline(node: object, base: str) -> object:
        if isinstance(node, list):
            return [inline(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        rest = {
            k: inline(v, base)
            for k, v in node.items()
            if k not in ("$ref", "$defs", "$id", "$schema")
        }
        if "prefixItems" in rest:
            if "items" in rest:
                rest["additionalItems"] = rest.pop("items")
            rest["items"] = rest.pop("prefixItems")
        if "$ref" not in node:
            return rest
        target = urljoin(base, node["$ref"])
        document_uri, fragment = urldefrag(target)
        resolved = inline(
            member_at(loader.retrieve(document_uri), unquote(fragment)), document_uri
        )
        return {"allOf": [resolved, rest]} if rest else resolved

    result = inline(loader.retrieve(uri), uri)
    assert isinstance(result, dict)
    return result


def child_rates(python: str, generator: str, ref: str, rounds: int = 2) -> dict | str:
    """One generator's counted rates (the warm-up left out) and peak memory
    in a fresh process, or what went wrong."""
    command = [python, "-c", RATES_CHILD, generator, ref, str(COMPARED[ref])]
    try:
        done = subprocess.run(
            [*command, str(rounds)],
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"did not draw {COMPARED[ref]} examples {rounds} times in {TIMEOUT} s"
    if done.returncode != 0:
        return done.stderr.strip()[-300:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    found["rates"] = found["rates"][1:]
    return found


def compare(python: str, here: str, folder: Path, turns: int) -> dict:
    """Each standard: hypothesis-jsonschema and ours under ``python``, in
    turns, and ours under ``here`` (this project's hypothesis) after them."""
    result: dict = {}
    for ref in COMPARED:
        schema = folder / f"{ref}.json"
        schema.write_text(json.dumps(inlined_schema(ref)), encoding="utf-8")
        theirs: list[float] = []
        ours: list[float] = []
        ratios: list[float] = []
        peaks: list[float] = []
        failed = None
        version = None
        for _ in range(turns):
            peer = child_rates(python, str(schema), ref)
            mine = child_rates(python, "ours", ref)
            if isinstance(mine, str):
                failed = f"ours under {python}: {mine}"
                break
            ours.append(statistics.median(mine["rates"]))
            peaks.append(mine["peak MiB"])
            version = mine["hypothesis"]
            if isinstance(peer, str):
                failed = f"hypothesis-jsonschema {peer}"
                continue
            theirs.append(statistics.median(peer["rates"]))
            ratios.append(ours[-1] / theirs[-1])
        newest = child_rates(here, "ours", ref)
        result[ref] = {
            "hypothesis": version,
            "ours /s": statistics.median(ours) if ours else None,
            "theirs /s": statistics.median(theirs) if theirs else None,
            "ratio": statistics.median(ratios) if ratios else None,
            "ratio min": min(ratios) if ratios else None,
            "ratio max": max(ratios) if ratios else None,
            "peak MiB": max(peaks) if peaks else None,
            "failed": failed,
            "ours /s, newest hypothesis": (
                statistics.median(newest["rates"])
                if not isinstance(newest, str)
                else None
            ),
            "newest hypothesis": (
                newest["hypothesis"] if not isinstance(newest, str) else newest
            ),
        }
    return result


def generation_rows(found: dict) -> list[tuple[str, ...]]:
    """The table's rows for :func:`compare`: one per standard."""
    rows = []
    for ref, r in found.items():
        if r["ours /s"] is None:
            rows.append((f"valid generation, {ref}", "failed", r["failed"], "n/a", ""))
            continue
        suite = f"{r['ours /s']:,.0f} documents/s"
        if r["ours /s, newest hypothesis"] is not None:
            suite += (
                f" ({r['ours /s, newest hypothesis']:,.0f}/s on hypothesis"
                f" {r['newest hypothesis']})"
            )
        if r["ratio"] is None:
            peer = (
                f"hypothesis-jsonschema on hypothesis {r['hypothesis']}: {r['failed']}"
            )
            ratio = "n/a"
        else:
            peer = (
                f"hypothesis-jsonschema on hypothesis {r['hypothesis']}:"
                f" {r['theirs /s']:,.1f}/s; goal ≥ 25×"
            )
            ratio = (
                f"{r['ratio']:.1f}× (turns {r['ratio min']:.1f}–{r['ratio max']:.1f})"
            )
        rows.append(
            (f"valid generation, {ref}", suite, peer, ratio, f"{r['peak MiB']:.0f} MiB")
        )
    return rows


NOT_COMPARED = (
    "valid generation beside hypothesis-jsonschema: not measured; pass"
    " --hypothesis-jsonschema PYTHON, an interpreter with hypothesis-jsonschema"
    " and this project installed (benchmarks/README.md)"
)
