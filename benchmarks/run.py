"""Validation speed and memory, beside native peers, as one table.

Run by hand (`make bench`, or `.venv/bin/python benchmarks/run.py`); never
in the tests. Every figure comes from this one run: each workload runs in
child processes, ours and its peer's time measured in turns (the median of
the per-turn ratios is the ratio), and the peak resident memory of a
process that ran ours alone. Workloads, on person@1.1.0 records, 10% of
them invalid in varied ways:

    json       JSON Lines, every invalid record located, beside the native
               hybrid: orjson, jsonschema-rs is_valid, iter_errors on failures
    xml        one XML document per file, beside lxml's per-file validation
               (parse, validate, read the error log)
    large-xml  one large collection file, streamed, beside
               `xmllint --stream --schema` (said when it is not installed)
    jobs       `conformance validate --jobs 2` against `--jobs 1` on the
               JSON Lines and XML files workloads (same results checked)
    growth     the JSON Lines workload at four sizes, the large file at three
    parts      where the time goes (breakdown.py): the JSON Lines workload's
               valid records alone, and whole without its block checks (an
               experiment), lxml's own iterparse on the large file,
               the parts of a run no --jobs worker shares, pytest on ten files

`--only generate` measures generation as before (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from breakdown import (
    iterparse_floor,
    jobs_bound,
    serial_parts,
    valid_records,
    without_block_checks,
)
from generation_bench import NOT_COMPARED, compare, generation_rows
from plugin_bench import bench_plugin, json_folder, plugin_row
from startup_bench import bench_main_job, bench_startup

ROOT = Path(__file__).resolve().parent.parent
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


def peak_mb() -> float:
    """This process's peak resident memory, in MiB.

    Linux's VmHWM, which starts afresh with the program: ``ru_maxrss``
    keeps the high-water mark of the process that forked it (here the
    benchmark, holding the reports of earlier runs).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- measurements, each run in a child process -------------------------------


TURNS = 3
"""Turns of ours and the peer, one after the other, per paired figure."""


def jsonl_path(records: int) -> Path:
    """person records as JSON Lines, generated once per size."""
    path = DATA / f"persons-{records}.jsonl"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        rng = random.Random(20261201)
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            for index in range(records):
                out.write(json.dumps(person(rng, index), ensure_ascii=False) + "\n")
        partial.rename(path)
    return path


def xml_folder(count: int) -> Path:
    """One person document per file, generated once per count."""
    folder = DATA / f"xmlfiles-{count}"
    if not folder.exists():
        partial = DATA / f"xmlfiles-{count}.partial"
        partial.mkdir(parents=True, exist_ok=True)
        rng = random.Random(20261202)
        for index in range(count):
            (partial / f"{index:06}.xml").write_bytes(
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                + person_xml(person(rng, index))
                + b"\n"
            )
        partial.rename(folder)
    return folder


def paired(ours, peer) -> dict:
    """Ours and the peer in turns: the median ratio of the turns, and the
    median time of each."""
    mine, theirs, ratios = [], [], []
    for _ in range(TURNS):
        started = time.perf_counter()
        ours()
        mine.append(time.perf_counter() - started)
        started = time.perf_counter()
        peer()
        theirs.append(time.perf_counter() - started)
        ratios.append(mine[-1] / theirs[-1])
    return {
        "ours s": statistics.median(mine),
        "peer s": statistics.median(theirs),
        "ratio": statistics.median(ratios),
        "ratio min": min(ratios),
        "ratio max": max(ratios),
    }


def bench_json(
    records: int, pair: bool, valid: bool = False, unchecked: bool = False
) -> dict:
    """JSON Lines with every invalid record located; with ``pair``, beside
    the native hybrid in turns, else ours once (its time and peak memory).
    With ``valid``, on the file's valid records alone; with ``unchecked``,
    the block checks of the safety defaults skipped (an experiment)."""
    import orjson

    from conformance.registry.standards import Registry
    from conformance.validation.json_validation import json_validator
    from conformance.validation.payloads import Validators, validate_file

    registry = Registry.open()
    standard = registry.resolve("person@1.1.0")
    native = json_validator(registry, standard).native  # compiled outside timing
    path = jsonl_path(records)
    if valid:
        path = valid_records(path, native.is_valid)
    if unchecked:
        without_block_checks()
    found: dict = {}

    def ours() -> None:
        result = validate_file(
            path, Validators(registry), standard=standard, max_findings=10**9
        )
        found["failed"] = result.failed_records
        found["located"] = sum(
            f.pointer is not None and f.line is not None for f in result.findings
        )
        # Which records failed, as one digest: two runs compare by it.
        lines = sorted({f.line for f in result.findings if f.line is not None})
        found["failing lines"] = hashlib.sha256(str(lines).encode()).hexdigest()

    def peer() -> None:
        errors = []
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                value = orjson.loads(line)
                if not native.is_valid(value):
                    errors.extend(
                        (number, e.instance_path, e.message)
                        for e in native.iter_errors(value)
                    )
        found["peer errors"] = len(errors)

    if pair:
        with path.open("rb") as handle:
            count = sum(1 for _ in handle)
        return {**paired(ours, peer), **found, "records": count}
    started = time.perf_counter()
    ours()
    return {"ours s": time.perf_counter() - started, "peak MiB": peak_mb(), **found}


def bench_xml(count: int, pair: bool) -> dict:
    """XML files through the engine (as `conformance validate` checks each),
    beside lxml's per-file validation; or ours once, for its memory."""
    from lxml import etree

    from conformance.engine.options import RunOptions
    from conformance.engine.runner import Engine
    from conformance.probing.profiles import PayloadTarget
    from conformance.validation.xml_validation import xml_validator

    folder = xml_folder(count)
    target = PayloadTarget(id="bench", paths=(folder,), standard=None)
    engine = Engine(RunOptions(command="bench", payloads=(target,)))
    units = engine.plan().units
    schema = xml_validator(engine.registry, engine.registry.resolve("person@1.1.0"))
    files = sorted(folder.iterdir())
    found: dict = {}

    def ours() -> None:
        results = [engine.execute(unit) for unit in units]
        found["failed"] = sum(r.outcome.value == "failed" for r in results)

    def peer() -> None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False
        )
        compiled = schema.compiled
        failed = 0
        messages: list = []
        for file in files:
            tree = etree.parse(str(file), parser)
            if not compiled.validate(tree):
                failed += 1
                messages += [(e.line, e.path, e.message) for e in compiled.error_log]
        found["peer failed"] = failed
        found["peer messages"] = len(messages)

    ours()  # both warm: schema compiled, files in the page cache
    if pair:
        return {**paired(ours, peer), **found, "files": count}
    started = time.perf_counter()
    ours()
    return {"ours s": time.perf_counter() - started, "peak MiB": peak_mb(), **found}


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
    """Ours on one large collection file: time, findings, peak memory."""
    from conformance.registry.standards import Registry
    from conformance.validation.payloads import Validators, validate_file
    from conformance.validation.xml_validation import xml_validator_for_file

    registry = Registry.open()
    path = make_large_xml(megabytes)
    schema = xml_validator_for_file(DATA / "people.xsd", registry)
    started = time.perf_counter()
    result = validate_file(path, Validators(registry, xml_override=schema))
    elapsed = time.perf_counter() - started
    return {
        "ours s": elapsed,
        "findings": len(result.findings),
        "size MB": path.stat().st_size / 1024 / 1024,
        "peak MiB": peak_mb(),
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


ROUNDS = 3
"""Turns of hypothesis-jsonschema and ours, each in a fresh process."""


def bench_hypothesis_jsonschema(python: str) -> dict:
    """Valid generation, ours beside hypothesis-jsonschema under ``python``
    (the same hypothesis for both), in turns: see generation_bench.py."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return compare(python, sys.executable, Path(folder), ROUNDS)


def child(name: str, args: list[str]) -> None:
    if name == "json":
        result = bench_json(
            int(args[0]),
            args[1] != "alone",
            valid=args[1] == "valid",
            unchecked=args[1] == "unchecked",
        )
    elif name == "xml":
        result = bench_xml(int(args[0]), args[1] == "pair")
    elif name == "large-xml":
        result = bench_large_xml(int(args[0]))
    elif name == "iterparse":
        result = iterparse_floor(
            make_large_xml(int(args[0])), DATA / "people.xsd", TURNS
        )
    elif name == "serial":
        result = serial_parts(Path(args[0]), args[1] or None)
    elif name == "exec":
        result = exec_measured(json.loads(args[0]))
    elif name == "generate":
        result = bench_generate()
    elif name == "hypothesis-jsonschema":
        result = bench_hypothesis_jsonschema(args[0])
    else:
        raise SystemExit(f"unknown workload {name}")
    print(json.dumps(result))


def exec_measured(command: list[str]) -> dict:
    """Run a command; its wall time, the processor time of all its processes
    and the peak memory of its largest (workers included: they are its
    children, waited for)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "s": wall,
        "cpu s": usage.ru_utime + usage.ru_stime,
        "peak MiB": usage.ru_maxrss / 1024,
        "exit": done.returncode,
        "out": done.stdout.decode("utf-8", "replace"),
        "err": done.stderr.decode("utf-8", "replace")[-500:],
    }


def in_child(name: str, *args: str) -> dict:
    """A workload in a fresh process (its peak memory its own)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measured(command: list[str]) -> dict:
    return in_child("exec", json.dumps(command))


def _results(report: str) -> list:
    results = json.loads(report)["results"]
    for result in results:
        result.pop("duration", None)
    return results


def bench_jobs(path: Path, standard: str | None) -> dict:
    """`conformance validate --jobs 2` against `--jobs 1`, whole commands in
    turns: the median of the per-turn speed-ups, and the same results."""
    base = [sys.executable, "-m", "conformance", "validate", str(path)]
    if standard:
        base += ["--standard", standard]
    base += ["--format", "json", "--max-findings", str(10**9)]
    one, two, speedups, peaks = [], [], [], []
    cpu: dict[str, list[float]] = {"1": [], "2": []}
    same = True
    for _ in range(TURNS):
        single = measured([*base, "--jobs", "1"])
        double = measured([*base, "--jobs", "2"])
        one.append(single["s"])
        two.append(double["s"])
        cpu["1"].append(single["cpu s"])
        cpu["2"].append(double["cpu s"])
        peaks.append(double["peak MiB"])
        speedups.append(single["s"] / double["s"])
        same = same and _results(single["out"]) == _results(double["out"])
    # The floor: the same command on one record, its fixed start-up (the
    # interpreter, imports, the registry, planning, the report) that no
    # number of workers shares out.
    tiny = DATA / "one-record.jsonl"
    tiny.write_bytes(jsonl_path(1).read_bytes())
    fixed = [
        measured(
            [
                sys.executable,
                "-m",
                "conformance",
                "validate",
                str(tiny),
                "--standard",
                "person@1.1.0",
                "--format",
                "json",
            ]
        )["s"]
        for _ in range(TURNS)
    ]
    return {
        "start-up s": statistics.median(fixed),
        "jobs 1 s": statistics.median(one),
        "jobs 2 s": statistics.median(two),
        "jobs 1 cpu s": statistics.median(cpu["1"]),
        "jobs 2 cpu s": statistics.median(cpu["2"]),
        "speed-up": statistics.median(speedups),
        "speed-up min": min(speedups),
        "speed-up max": max(speedups),
        "same results": same,
        "peak MiB": max(peaks),
    }


def xmllint_run(path: Path) -> dict | str:
    """xmllint --stream --schema on the file: its time and peak memory, or
    why it could not be run."""
    xmllint = shutil.which("xmllint")
    if xmllint is None:
        return "xmllint is not installed (make bench installs Debian's libxml2-utils)"
    result = measured(
        [
            xmllint,
            "--noout",
            "--stream",
            "--schema",
            str(DATA / "people.xsd"),
            str(path),
        ]
    )
    if result["exit"] not in (0, 3):  # 3: the document does not validate
        return f"xmllint failed (exit {result['exit']}): {result['err'][-200:]}"
    return result


def bench_large(megabytes: int) -> dict:
    """Ours (validation time, in its own process) and xmllint in turns."""
    make_large_xml(megabytes)  # generated outside timing
    path = DATA / f"people-{megabytes}mb.xml"
    mine, theirs, ratios, peaks = [], [], [], []
    missing = None
    for _ in range(TURNS):
        ours = in_child("large-xml", str(megabytes))
        mine.append(ours["ours s"])
        peaks.append(ours["peak MiB"])
        peer = xmllint_run(path)
        if isinstance(peer, str):
            missing = peer
            continue
        theirs.append(peer["s"])
        ratios.append(ours["ours s"] / peer["s"])
    return {
        "size MB": ours["size MB"],
        "findings": ours["findings"],
        "ours s": statistics.median(mine),
        "peak MiB": max(peaks),
        "xmllint s": statistics.median(theirs) if theirs else None,
        "ratio": statistics.median(ratios) if ratios else None,
        "missing": missing,
    }


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def _per_second(count: float, seconds: float, unit: str) -> str:
    return f"{count / seconds:,.0f} {unit}/s"


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _bytecode_as_users_have_it() -> None:
    """Every command measured finds the package's bytecode compiled, as an
    installed package has it: with PYTHONDONTWRITEBYTECODE set, each process
    would compile the package from source (about 0.1 s each, more for each
    worker), while the peers' installed bytecode is used."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    compileall.compile_dir(ROOT / "conformance", quiet=1)


def machine() -> str:
    import lxml.etree

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} processors, load average {load[0]:.2f} at the start;"
        f" Python {sys.version.split()[0]}, libxml2"
        f" {'.'.join(map(str, lxml.etree.LIBXML_VERSION))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument(
        "--large-mb", type=int, default=100, help="the largest file (and 1/4, 1/2)"
    )
    parser.add_argument("--only", choices=("table", "generate"), default="table")
    parser.add_argument(
        "--hypothesis-jsonschema",
        metavar="PYTHON",
        help="an interpreter with hypothesis-jsonschema installed, to compare",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    _bytecode_as_users_have_it()
    if args.child:
        child(args.child[0], args.child[1:])
        return
    header = ("workload", "suite", "peer or limit", "ratio", "peak memory")
    if args.only == "generate":
        _print_listing("generate", in_child("generate"))
        if args.hypothesis_jsonschema:
            found = bench_hypothesis_jsonschema(args.hypothesis_jsonschema)
            print()
            print(table(generation_rows(found), header))
        else:
            print(f"\n{NOT_COMPARED}")
        return
    print(f"machine: {machine()}")
    records, files, big = args.records, args.files, args.large_mb
    sizes = [records // 4, records // 2, records, records * 2]
    large_sizes = [big // 4, big // 2, big]
    for n in sizes:  # data generated before anything is measured
        jsonl_path(n)
    xml_folder(files)
    json_pair = in_child("json", str(records), "pair")
    json_alone = in_child("json", str(records), "alone")
    growth = {n: in_child("json", str(n), "alone") for n in sizes}
    xml_pair = in_child("xml", str(files), "pair")
    xml_alone = in_child("xml", str(files), "alone")
    large = {mb: bench_large(mb) for mb in large_sizes}
    jobs_json = bench_jobs(jsonl_path(records), "person@1.1.0")
    jobs_xml = bench_jobs(xml_folder(files), None)
    generation = (
        bench_hypothesis_jsonschema(args.hypothesis_jsonschema)
        if args.hypothesis_jsonschema
        else None
    )
    plugin_xml = bench_plugin(xml_folder(files), "auto", measured, TURNS)
    json_files = json_folder(DATA, files // 2, person)
    plugin_json = bench_plugin(json_files, "person@1.1.0", measured, TURNS)
    startup = bench_startup(measured)
    main_job = bench_main_job(measured)
    # Where the time goes, for the notes on the goals not met.
    json_valid = in_child("json", str(records), "valid")
    json_unchecked = in_child("json", str(records), "unchecked")
    floor = in_child("iterparse", str(big))
    serial_json = in_child("serial", str(jsonl_path(records)), "person@1.1.0")
    serial_xml = in_child("serial", str(xml_folder(files)), "")
    plugin_ten = bench_plugin(
        first_files(xml_folder(files), 10), "auto", measured, TURNS
    )
    biggest = large[big]
    rows = [
        (
            f"JSON Lines, {records:,} records, every invalid one located",
            _per_second(records, json_pair["ours s"], "records"),
            "orjson + jsonschema-rs is_valid, iter_errors on failures:"
            f" {_per_second(records, json_pair['peer s'], 'records')}; goal ≤ 1.3×",
            f"{_times(json_pair['ratio'])} (turns {json_pair['ratio min']:.2f}–"
            f"{json_pair['ratio max']:.2f})",
            f"{json_alone['peak MiB']:.0f} MiB",
        ),
        (
            f"XML files, {files:,} against the person XSD",
            _per_second(files, xml_pair["ours s"], "files"),
            "lxml per file (parse, validate, read the error log):"
            f" {_per_second(files, xml_pair['peer s'], 'files')}; goal ≤ 1.5×",
            f"{_times(xml_pair['ratio'])} (turns {xml_pair['ratio min']:.2f}–"
            f"{xml_pair['ratio max']:.2f})",
            f"{xml_alone['peak MiB']:.0f} MiB",
        ),
        (
            f"one XML file of {biggest['size MB']:.0f} MB, streamed",
            f"{biggest['size MB'] / biggest['ours s']:.1f} MB/s",
            biggest["missing"]
            or f"xmllint --stream --schema: {biggest['size MB'] / biggest['xmllint s']:.1f}"
            " MB/s; goal ≤ 2×, under 64 MiB",
            _times(biggest["ratio"]),
            f"{biggest['peak MiB']:.0f} MiB",
        ),
        (
            f"validate --jobs 2, JSON Lines ({records:,} records)",
            f"{jobs_json['jobs 2 s']:.2f} s",
            f"--jobs 1: {jobs_json['jobs 1 s']:.2f} s (start-up alone:"
            f" {jobs_json['start-up s']:.2f} s); goal ≥ 1.7× faster,"
            f" same results: {'yes' if jobs_json['same results'] else 'NO'}",
            f"{jobs_json['speed-up']:.2f}× faster (turns"
            f" {jobs_json['speed-up min']:.2f}–{jobs_json['speed-up max']:.2f})",
            f"{jobs_json['peak MiB']:.0f} MiB",
        ),
        (
            f"validate --jobs 2, XML files ({files:,})",
            f"{jobs_xml['jobs 2 s']:.2f} s",
            f"--jobs 1: {jobs_xml['jobs 1 s']:.2f} s (start-up alone:"
            f" {jobs_xml['start-up s']:.2f} s); goal ≥ 1.7× faster,"
            f" same results: {'yes' if jobs_xml['same results'] else 'NO'}",
            f"{jobs_xml['speed-up']:.2f}× faster (turns"
            f" {jobs_xml['speed-up min']:.2f}–{jobs_xml['speed-up max']:.2f})",
            f"{jobs_xml['peak MiB']:.0f} MiB",
        ),
        plugin_row(f"XML files ({files:,})", plugin_xml),
        plugin_row(f"JSON files ({files // 2:,})", plugin_json),
        (
            "start-up: conformance standards list",
            f"{startup['ours s']:.3f} s",
            f"python -c 'import jsonschema': {startup['peer s']:.3f} s; goal ≤ 1.2×",
            f"{_times(startup['ratio'])} (turns {startup['ratio min']:.2f}–"
            f"{startup['ratio max']:.2f})",
            "",
        ),
        (
            "main job: conformance run, bundled agencies",
            f"{main_job['first s']:.1f} s first run in a fresh folder,"
            f" {main_job['again s']:.1f} s again",
            f"goal ≤ 5 s, ≤ 150 MiB; results: {main_job['checks']}",
            f"{main_job['first s'] / 5:.2f}× the limit",
            f"{main_job['peak MiB']:.0f} MiB",
        ),
    ]
    if generation is not None:
        rows.extend(generation_rows(generation))
    print()
    print(table(rows, header))
    if generation is None:
        print(f"\n{NOT_COMPARED}")
    print("\nhow cost grows: JSON Lines (one process)")
    print(
        table(
            [
                (
                    f"{n:,}",
                    f"{g['ours s']:.2f} s",
                    _per_second(n, g["ours s"], "records"),
                    f"{g['peak MiB']:.0f} MiB",
                )
                for n, g in growth.items()
            ],
            ("records", "time", "rate", "peak memory"),
        )
    )
    print("\nhow cost grows: one large XML file (streamed)")
    print(
        table(
            [
                (
                    f"{g['size MB']:.0f} MB",
                    f"{g['ours s']:.2f} s",
                    "n/a" if g["xmllint s"] is None else f"{g['xmllint s']:.2f} s",
                    _times(g["ratio"]),
                    f"{g['peak MiB']:.0f} MiB",
                )
                for g in large.values()
            ],
            ("size", "time", "xmllint", "ratio", "peak memory"),
        )
    )
    if biggest["missing"]:
        print(f"\nnote: {biggest['missing']}")
    print("\nwhere the time goes")
    print(
        table(
            [
                *json_parts(json_pair, json_valid, json_unchecked),
                (
                    "XML files, one file",
                    f"{xml_pair['ours s'] / files * 1e6:.0f} µs",
                    f"lxml: {xml_pair['peer s'] / files * 1e6:.0f} µs",
                    _times(xml_pair["ratio"]),
                ),
                floor_row(big, floor, biggest["xmllint s"]),
                bound_row("JSON Lines", jobs_json, serial_json),
                bound_row("XML files", jobs_xml, serial_xml),
                processors_row("validate --jobs 2, JSON Lines", "--jobs", jobs_json),
                processors_row("validate --jobs 2, XML files", "--jobs", jobs_xml),
                processors_row("pytest plugin -n 2, XML files", "-n", plugin_xml),
                processors_row("pytest plugin -n 2, JSON files", "-n", plugin_json),
                (
                    "pytest plugin, ten of the XML files",
                    f"-n 2: {plugin_ten['n2 s']:.2f} s",
                    f"-n 0: {plugin_ten['n0 s']:.2f} s",
                    f"{plugin_ten['speed-up']:.2f}× faster",
                ),
            ],
            ("part", "suite", "beside it", "ratio"),
        )
    )
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


def json_parts(whole: dict, valid: dict, unchecked: dict) -> list[tuple[str, ...]]:
    """The JSON Lines workload in two: its valid records alone (reading and
    deciding), and the rest (the failing records, explained); then the
    whole file again with the block checks skipped, what they cost."""
    ours = whole["ours s"] - valid["ours s"]
    peer = whole["peer s"] - valid["peer s"]
    return [
        (
            f"JSON Lines, its {valid['records']:,} valid records alone",
            f"{valid['ours s']:.2f} s",
            f"orjson + is_valid: {valid['peer s']:.2f} s",
            f"{_times(valid['ratio'])} (turns {valid['ratio min']:.2f}–"
            f"{valid['ratio max']:.2f})",
        ),
        (
            f"JSON Lines, the rest: {whole['failed']:,} failing records explained",
            f"{ours:.2f} s",
            f"iter_errors: {peer:.2f} s",
            _times(ours / peer if peer > 0 else None),
        ),
        (
            "JSON Lines, the whole file with the block checks skipped (an"
            " experiment: escapes, first bytes, digit runs, depth, duplicate"
            " member names)",
            f"{unchecked['ours s']:.2f} s",
            f"the peer: {unchecked['peer s']:.2f} s; the same records failed:"
            f" {'yes' if _same_failures(unchecked, whole) else 'NO'}",
            f"{_times(unchecked['ratio'])} (turns {unchecked['ratio min']:.2f}–"
            f"{unchecked['ratio max']:.2f})",
        ),
    ]


def _same_failures(one: dict, other: dict) -> bool:
    """Whether two runs of the JSON Lines workload failed the same records."""
    return (
        one["failed"] == other["failed"]
        and one["failing lines"] == other["failing lines"]
    )


def floor_row(megabytes: int, floor: dict, xmllint: float | None) -> tuple[str, ...]:
    """lxml's own iterparse on the largest streamed file, beside xmllint."""
    return (
        f"one XML file of {megabytes} MB: lxml iterparse with the schema,"
        " each record freed, nothing else",
        f"{floor['s']:.2f} s ({floor['records']:,} records)",
        "xmllint --stream --schema: "
        + ("n/a" if xmllint is None else f"{xmllint:.2f} s"),
        _times(None if xmllint is None else floor["s"] / xmllint),
    )


def bound_row(label: str, jobs: dict, serial: dict) -> tuple[str, ...]:
    """The best ``--jobs 2`` could do: start-up, planning and the report stay
    in one process, the rest is halved."""
    kept = serial["plan s"] + serial["report s"]
    best = jobs_bound(jobs["jobs 1 s"], jobs["start-up s"], kept)
    return (
        f"validate --jobs 2, {label}: the best two workers could do",
        f"{best['best s']:.2f} s",
        f"--jobs 1: {jobs['jobs 1 s']:.2f} s, of which start-up"
        f" {jobs['start-up s']:.2f} s, planning {serial['plan s']:.2f} s,"
        f" report {serial['report s']:.2f} s stay serial",
        f"{best['best ratio']:.2f}× faster at best",
    )


def processors_row(label: str, flag: str, found: dict) -> tuple[str, ...]:
    """Processor time of a two-worker command, all its processes together:
    on this machine's processors its wall time is at least that time shared
    among them, whatever the scheduling, so the single command's wall time
    over that share is the most it could be faster."""
    if flag == "--jobs":
        one, two = "1", "2"
        wall, cpu_one, cpu_two = (
            found["jobs 1 s"],
            found["jobs 1 cpu s"],
            found["jobs 2 cpu s"],
        )
    else:
        one, two = "0", "2"
        wall, cpu_one, cpu_two = found["n0 s"], found["n0 cpu s"], found["n2 cpu s"]
    processors = os.cpu_count() or 1
    share = cpu_two / processors
    return (
        f"{label}: processor time, all its processes",
        f"{flag} {two}: {cpu_two:.2f} s ({share:.2f} s on each of"
        f" {processors} processors)",
        f"{flag} {one}: {cpu_one:.2f} s (wall: {wall:.2f} s)",
        "n/a" if share <= 0 else f"{wall / share:.2f}× faster at best",
    )


def first_files(folder: Path, count: int) -> Path:
    """The first ``count`` files of a folder, copied into one of their own."""
    small = folder.with_name(f"{folder.name}-first{count}")
    if not small.exists():
        partial = small.with_name(small.name + ".partial")
        partial.mkdir(parents=True, exist_ok=True)
        for file in sorted(folder.iterdir())[:count]:
            shutil.copyfile(file, partial / file.name)
        partial.rename(small)
    return small


def _print_listing(name: str, result: dict) -> None:
    print(f"\n{name}")
    for key, value in result.items():
        shown = (
            f"{value:,.0f}"
            if isinstance(value, float) and value >= 100
            else (f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")
        )
        print(f"  {key:<52} {shown:>12}")


if __name__ == "__main__":
    main()
