"""Validation speed and memory, beside the raw libraries on the same data.

Run by hand (`make bench`, or `.venv/bin/python benchmarks/run.py`). Each
measurement runs in its own process so that its peak resident memory is its
own. Workloads: person@1.1.0 records, 10% of them invalid in varied ways.

    json      JSON Lines through `conformance` (read safely, decide natively,
              locate every failure), beside jsonschema-rs is_valid and
              iter_errors and python-jsonschema on the same records
    xml       one document per record through `conformance` (libxml2, with
              located findings), beside lxml and xmlschema
    large-xml one collection file of a few hundred MB, streamed
    generate  documents generated per second by the hypothesis strategies,
              valid and invalid, JSON and XML, for every shipped standard;
              with --hypothesis-jsonschema PYTHON, hypothesis-jsonschema's
              rate on person@1.2.0 too (it needs an older hypothesis, so it
              runs under another interpreter: see benchmarks/README.md)
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
GIVEN = [
    "Gülnarə",
    "Rəşad",
    "İlkin",
    "Aytən",
    "Şəhla",
    "Ömər",
    "Çingiz",
    "Nərgiz",
    "Ağa",
    "Ləman",
]
FAMILY = [
    "Məmmədova",
    "Həsənov",
    "Quliyev",
    "Əliyeva",
    "İsmayılov",
    "Süleymanlı",
    "Rzayeva",
]
FIN_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def person(rng: random.Random, index: int) -> dict:
    record = {
        "fin": "".join(rng.choice(FIN_CHARS) for _ in range(7)),
        "givenName": rng.choice(GIVEN),
        "familyName": rng.choice(FAMILY),
        "birthDate": f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}",
        "sex": rng.choice(["male", "female"]),
        "citizenship": "AZE",
        "registeredAddress": {
            "country": "AZ",
            "administrativeUnit": "BAKU",
            "locality": "Bakı",
            "street": "Nizami küçəsi",
            "building": str(rng.randint(1, 200)),
            "postalCode": f"AZ{rng.randint(1000, 1199)}",
        },
        "phone": f"+99450{rng.randint(1000000, 9999999)}",
        "email": f"user{index}@example.az",
    }
    if index % 10 == 0:
        breakage = (index // 10) % 5
        if breakage == 0:
            record["fin"] = record["fin"] + "X"
        elif breakage == 1:
            record["birthDate"] = "2023-02-30"
        elif breakage == 2:
            del record["familyName"]
        elif breakage == 3:
            record["registeredAddress"]["postalCode"] = "1000"
        else:
            record["email"] = "user@localhost"
    return record


def person_xml(record: dict) -> bytes:
    address = record.get("registeredAddress", {})
    parts = ['<per:Person xmlns:per="urn:az:gov:std:person:1">']
    for key in ("fin", "givenName", "familyName", "birthDate", "sex", "citizenship"):
        if key in record:
            parts.append(f"<{key}>{record[key]}</{key}>")
    parts.append("<registeredAddress>")
    for key in (
        "country",
        "administrativeUnit",
        "locality",
        "street",
        "building",
        "postalCode",
    ):
        parts.append(f"<{key}>{address[key]}</{key}>")
    parts.append("</registeredAddress>")
    for key in ("phone", "email"):
        parts.append(f"<{key}>{record[key]}</{key}>")
    parts.append("</per:Person>")
    return "".join(parts).encode()


def make_data(count: int) -> None:
    DATA.mkdir(exist_ok=True)
    rng = random.Random(20261201)
    records = [person(rng, i) for i in range(count)]
    with (DATA / "persons.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    with (DATA / "persons.xml.lines").open("wb") as out:
        for record in records[: count // 5]:
            out.write(person_xml(record) + b"\n")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- measurements, each run in a child process -------------------------------


def bench_json() -> dict:
    import jsonschema_rs

    from conformance.registry.standards import Registry
    from conformance.validation.json_schemas import reference_validator
    from conformance.validation.json_validation import json_validator, registry_loader
    from conformance.validation.payloads import Validators, validate_file

    registry = Registry.open()
    standard = registry.resolve("person@1.1.0")
    path = DATA / "persons.jsonl"
    validator = json_validator(registry, standard)  # compiled once, outside timing
    started = time.perf_counter()
    result = validate_file(
        path, Validators(registry), standard=standard, max_findings=10**9
    )
    ours = time.perf_counter() - started
    ours_peak = peak_mb()
    lines = path.read_bytes().splitlines()
    located = [
        f for f in result.findings if f.pointer is not None and f.line is not None
    ]
    objects = [json.loads(line) for line in lines]
    native = validator.native
    started = time.perf_counter()
    for item in objects:
        native.is_valid(item)
    rs_valid = time.perf_counter() - started
    started = time.perf_counter()
    for item in objects:
        for _ in native.iter_errors(item):
            pass
    rs_errors = time.perf_counter() - started
    plain = jsonschema_rs.validator_for(
        registry_loader(registry).retrieve(registry.uri_for(standard.json.path)),
        retriever=registry_loader(registry).retrieve,
        validate_formats=True,
    )
    started = time.perf_counter()
    for item in objects:
        plain.is_valid(item)
    rs_plain = time.perf_counter() - started
    loader = registry_loader(registry)
    reference = reference_validator(
        loader.retrieve(registry.uri_for(standard.json.path)), loader
    )
    sample = objects[:2000]
    started = time.perf_counter()
    for item in sample:
        reference.is_valid(item)
    py_valid = time.perf_counter() - started
    n = len(objects)
    return {
        "documents": n,
        "failed records": result.failed_records,
        "located findings": len(located),
        "conformance validate (JSON Lines, docs/s)": n / ours,
        "jsonschema-rs is_valid, our formats (docs/s)": n / rs_valid,
        "jsonschema-rs is_valid, built-in formats (docs/s)": n / rs_plain,
        "jsonschema-rs iter_errors (docs/s)": n / rs_errors,
        "python-jsonschema is_valid (docs/s)": len(sample) / py_valid,
        "peak RSS after conformance (MB)": ours_peak,
        "peak RSS with the raw runs (MB)": peak_mb(),
    }


def bench_xml() -> dict:
    import xmlschema
    from lxml import etree

    from conformance.registry.standards import Registry
    from conformance.validation.xml_validation import validate_xml, xml_validator

    registry = Registry.open()
    standard = registry.resolve("person@1.1.0")
    documents = (DATA / "persons.xml.lines").read_bytes().splitlines()
    schema = xml_validator(registry, standard)  # compiled once, outside timing
    started = time.perf_counter()
    failed = located = 0
    for document in documents:
        findings = validate_xml(document, schema)
        failed += bool(findings)
        located += sum(f.line is not None and f.xpath is not None for f in findings)
    ours = time.perf_counter() - started
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    started = time.perf_counter()
    for document in documents:
        schema.compiled.validate(etree.fromstring(document, parser))
    raw = time.perf_counter() - started
    slow = xmlschema.XMLSchema10(str(standard.xml.path))
    sample = documents[:1000]
    started = time.perf_counter()
    for document in sample:
        slow.is_valid(document.decode())
    py = time.perf_counter() - started
    n = len(documents)
    return {
        "documents": n,
        "failed documents": failed,
        "located findings": located,
        "conformance validate_xml (docs/s)": n / ours,
        "lxml XMLSchema.validate, parse included (docs/s)": n / raw,
        "xmlschema is_valid (docs/s)": len(sample) / py,
        "peak RSS (MB)": peak_mb(),
    }


# A draft collection schema: a root holding person@1 records, for bulk files.
PEOPLE_XSD = (
    Path(__file__).resolve().parent.parent
    / "fixtures"
    / "drafts"
    / "people.xsd.template"
).read_text(encoding="utf-8")


def make_large_xml(megabytes: int) -> Path:
    from conformance.registry.standards import Registry

    registry = Registry.open()
    person_xsd = registry.resolve("person@1.1.0").xml.path
    (DATA / "people.xsd").write_text(
        PEOPLE_XSD.format(person=person_xsd.as_uri()), "utf-8"
    )
    path = DATA / f"people-{megabytes}mb.xml"
    if path.exists():
        return path
    rng = random.Random(7)
    records = [
        person_xml(person(rng, i)).replace(b' xmlns:per="urn:az:gov:std:person:1"', b"")
        for i in range(2000)
    ]
    target = megabytes * 1024 * 1024
    with path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(
            b'<c:People xmlns:c="urn:example:people" xmlns:per="urn:az:gov:std:person:1">\n'
        )
        written = 0
        index = 0
        while written < target:
            record = records[index % len(records)] + b"\n"
            out.write(record)
            written += len(record)
            index += 1
        out.write(b"</c:People>\n")
    return path


def bench_large_xml(megabytes: int) -> dict:
    from conformance.registry.standards import Registry
    from conformance.validation.payloads import Validators, validate_file
    from conformance.validation.xml_validation import xml_validator_for_file

    registry = Registry.open()
    path = make_large_xml(megabytes)
    schema = xml_validator_for_file(DATA / "people.xsd", registry)
    started = time.perf_counter()
    result = validate_file(path, Validators(registry, xml_override=schema))
    elapsed = time.perf_counter() - started
    size = path.stat().st_size / 1024 / 1024
    return {
        "file size (MB)": size,
        "findings": len(result.findings),
        "findings with a line": sum(f.line is not None for f in result.findings),
        "seconds": elapsed,
        "MB/s": size / elapsed,
        "peak RSS (MB)": peak_mb(),
    }


GENERATED = 200  # examples per strategy and standard


def _rate(strategy: object, count: int = GENERATED) -> float:
    """Examples per second that hypothesis draws from a strategy."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn = 0

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(_: object) -> None:
        nonlocal drawn
        drawn += 1

    started = time.perf_counter()
    draw()
    return drawn / (time.perf_counter() - started)


def bench_generate() -> dict:
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.strategies import invalid_json, valid_json
    from conformance.strategies.common import UnsupportedSchema
    from conformance.strategies.xml import invalid_xml, valid_xml

    registry = Registry.open(bundled("standards"))
    result: dict = {}
    for standard in registry:
        if standard.json is not None:
            result[f"{standard.ref} JSON valid /s"] = _rate(
                valid_json(registry, standard)
            )
            try:
                bad = invalid_json(registry, standard)
            except UnsupportedSchema:
                bad = None
            if bad is not None:
                result[f"{standard.ref} JSON invalid /s"] = _rate(bad)
        if standard.xml is not None:
            result[f"{standard.ref} XML valid /s"] = _rate(
                valid_xml(registry, standard)
            )
            result[f"{standard.ref} XML invalid /s"] = _rate(
                invalid_xml(registry, standard)
            )
    result["peak RSS (MB)"] = peak_mb()
    return result


def inlined_person_schema() -> dict:
    """person@1.2.0 with every $ref replaced by its target (local refs only
    are what hypothesis-jsonschema resolves)."""
    from urllib.parse import unquote, urldefrag, urljoin

    from conformance.probing.interfaces import member_at
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.validation.json_validation import registry_loader

    registry = Registry.open(bundled("standards"))
    standard = registry.resolve("person@1.2.0")
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
        if "$ref" not in node:
            return rest
        target = urljoin(base, node["$ref"])
        document_uri, fragment = urldefrag(target)
        resolved = inline(
            member_at(loader.retrieve(document_uri), unquote(fragment)), document_uri
        )
        return {"allOf": [resolved, rest]} if rest else resolved

    return inline(loader.retrieve(uri), uri)


_RATES_CHILD = """
import json, sys, time
from hypothesis import HealthCheck, Phase, given, settings
generator, examples, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if generator == "ours":
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.strategies import valid_json
    registry = Registry.open(bundled("standards"))
    strategy = valid_json(registry, registry.resolve("person@1.2.0"))
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
print(json.dumps(rates))
"""
"""Rates of one generator on person@1.2.0 under another interpreter:
``ours`` or the path of a schema for hypothesis-jsonschema."""


def _child_rates(python: str, generator: str) -> list[float] | str:
    """The counted rates (the warm-up left out), or what went wrong."""
    done = subprocess.run(
        [python, "-c", _RATES_CHILD, generator, str(COMPARED), str(ROUNDS)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return done.stderr.strip()[-300:]
    return json.loads(done.stdout.strip().splitlines()[-1])[1:]


COMPARED = 300
"""Examples drawn by each generator in the comparison: the same number, since
hypothesis draws its first examples smaller than later ones."""
ROUNDS = 4
"""Runs of each generator; the first warms up (compiling, caches) and is not
counted, the median of the others is reported."""


def bench_hypothesis_jsonschema(python: str) -> dict:
    import tempfile

    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    from conformance.strategies import valid_json

    with tempfile.TemporaryDirectory() as folder:
        schema = Path(folder) / "person.json"
        schema.write_text(json.dumps(inlined_person_schema()), encoding="utf-8")
        theirs = _child_rates(python, str(schema))
    if isinstance(theirs, str):
        return {"hypothesis-jsonschema failed": theirs}
    registry = Registry.open(bundled("standards"))
    strategy = valid_json(registry, registry.resolve("person@1.2.0"))
    ours = [_rate(strategy, COMPARED) for _ in range(ROUNDS)][1:]
    their_rate, our_rate = statistics.median(theirs), statistics.median(ours)
    result = {
        "person@1.2.0 hypothesis-jsonschema valid /s": their_rate,
        "person@1.2.0 conformance valid /s": our_rate,
        "ours / hypothesis-jsonschema": our_rate / their_rate,
        "  lowest ratio of the runs": min(ours) / max(theirs),
        "  highest ratio of the runs": max(ours) / min(theirs),
    }
    # Ours again under the other interpreter's (older) hypothesis, where this
    # project is installed there too: the same engine for both.
    same = _child_rates(python, "ours")
    if not isinstance(same, str):
        rate = statistics.median(same)
        result["person@1.2.0 conformance valid /s, same hypothesis"] = rate
        result["ours / hypothesis-jsonschema, same hypothesis"] = rate / their_rate
    return result


def child(name: str, arg: str | None) -> None:
    if name == "json":
        result = bench_json()
    elif name == "xml":
        result = bench_xml()
    elif name == "generate":
        result = bench_generate()
    elif name == "hypothesis-jsonschema":
        result = bench_hypothesis_jsonschema(str(arg))
    else:
        result = bench_large_xml(int(arg or 300))
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--large-mb", type=int, default=300)
    parser.add_argument("--only", choices=("json", "xml", "large-xml", "generate"))
    parser.add_argument(
        "--hypothesis-jsonschema",
        metavar="PYTHON",
        help="an interpreter with hypothesis-jsonschema installed, to compare",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1] if len(args.child) > 1 else None)
        return
    if not (DATA / "persons.jsonl").exists() or args.records != _existing_records():
        make_data(args.records)
    names = ["json", "xml", "large-xml", "generate"]
    if args.hypothesis_jsonschema:
        names.append("hypothesis-jsonschema")
    for name in names:
        if args.only and name not in (args.only, "hypothesis-jsonschema"):
            continue
        extra = [str(args.large_mb)] if name == "large-xml" else []
        if name == "hypothesis-jsonschema":
            extra = [args.hypothesis_jsonschema]
        done = subprocess.run(
            [sys.executable, __file__, "--child", name, *extra],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stderr}")
            continue
        print(f"\n{name}")
        for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
            shown = (
                f"{value:,.0f}"
                if isinstance(value, float) and value >= 100
                else (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")
            )
            print(f"  {key:<52} {shown:>12}")


def _existing_records() -> int:
    with (DATA / "persons.jsonl").open("rb") as handle:
        return sum(1 for _ in handle)


if __name__ == "__main__":
    main()
