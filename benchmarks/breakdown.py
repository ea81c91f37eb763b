"""Where the time goes: the figures behind the notes on the goals not met.

Each is measured in the same run as the table (``run.py`` calls these in
child processes), so that the README's Speed section can quote them instead
of figures taken by hand:

- JSON Lines: ours and the peer on the file's valid records alone (reading
  and deciding, with nothing to explain), beside the whole file; and the
  whole file with the block checks of the JSON safety defaults skipped, an
  experiment that says what those checks cost;
- the large XML file: lxml's own ``iterparse`` with the schema, doing
  nothing per record but freeing it, the floor of any lxml-based reader;
- ``--jobs``: the parts of a run that no worker shares (planning, the
  report), and from them the best two workers could do;
- the pytest plugin: ``-n 0`` and ``-n 2`` on a folder of ten files, the
  fixed cost of xdist's workers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

PERSON = "{urn:az:gov:std:person:1}Person"


def valid_records(path: Path, is_valid: Callable[[object], bool]) -> Path:
    """The file's records the native validator accepts, as a file of their
    own beside it (made once; ``is_valid`` is jsonschema-rs's verdict)."""
    import orjson

    kept = path.with_name(f"{path.stem}-valid{path.suffix}")
    if not kept.exists():
        partial = kept.with_suffix(".partial")
        with path.open("rb") as source, partial.open("wb") as out:
            for line in source:
                if is_valid(orjson.loads(line)):
                    out.write(line)
        partial.rename(kept)
    return kept


def without_block_checks() -> None:
    """Skip the checks that each block of a JSON Lines file gets before its
    records are read in bulk (escapes, first bytes, digit runs, depth and
    the duplicate member names): the experiment behind the row that says
    what they cost. Only for a measuring process; never the product's
    behaviour. A batch orjson cannot read goes to the careful reader, as
    it would with the checks."""
    import orjson

    from conformance.inputs import json_input
    from conformance.validation import payloads

    def unchecked(block: bytes, lines: Sequence[bytes], limits: object = None):
        loads = orjson.loads
        step = json_input.BATCH_RECORDS
        for first in range(0, len(lines), step):
            batch = lines[first : first + step]
            try:
                yield True, list(map(loads, batch))
            except orjson.JSONDecodeError:
                yield False, [json_input.NEEDS_FINDINGS] * len(batch)

    payloads.read_batches = unchecked


def iterparse_floor(path: Path, xsd: Path, turns: int) -> dict:
    """lxml's ``iterparse`` with the schema on a collection file, each
    record freed as it ends and nothing else done: the median seconds of
    ``turns``, and the records seen (all of them, or it stopped early)."""
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(xsd)))
    times, seen = [], 0
    for _ in range(turns):
        started = time.perf_counter()
        seen = 0
        root = None
        events = etree.iterparse(str(path), tag=PERSON, schema=schema)
        try:
            for _, record in events:
                seen += 1
                if root is None:
                    root = record.getparent()
                record.clear()
                del root[:-1]  # the records before this one
        except etree.XMLSyntaxError:
            pass  # the document is invalid: said at its end
        times.append(time.perf_counter() - started)
    return {"s": statistics.median(times), "records": seen}


def serial_parts(path: Path, standard: str | None) -> dict:
    """Of ``conformance validate --format json`` on ``path``, the two parts
    no worker shares, timed here: planning (listing the files) and the
    report (the document made and written out as the command prints it)."""
    import io

    from conformance.engine.options import RunOptions
    from conformance.engine.runner import Engine
    from conformance.json_text import indented_json
    from conformance.probing.profiles import PayloadTarget
    from conformance.reporting.escaping import json_for_a_terminal
    from conformance.results.run import to_document

    target = PayloadTarget(id="validate", paths=(path,), standard=standard)
    with Engine(RunOptions(command="bench", payloads=(target,), jobs=1)) as engine:
        started = time.perf_counter()
        units = engine.plan().units
        planned = time.perf_counter() - started
        session = engine.start()
        session.execute()
    started = time.perf_counter()
    out = io.StringIO()
    out.write(json_for_a_terminal(indented_json(to_document(session.run))) + "\n")
    reported = time.perf_counter() - started
    return {"plan s": planned, "report s": reported, "units": len(units)}


def jobs_bound(one: float, start_up: float, serial: float, workers: int = 2) -> dict:
    """The best ``--jobs workers`` could do: the start-up and the serial
    parts stay, the rest is shared out evenly with nothing lost."""
    shared = max(one - start_up - serial, 0.0)
    best = start_up + serial + shared / workers
    return {"best s": best, "best ratio": one / best}
