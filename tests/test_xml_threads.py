"""XSDs compiled in several threads at once, as a worker's service threads do."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import conformance

# Each process compiles its first schemas in eight threads at once, held at
# a barrier so that they start together. Before the suite initialised
# libxml2's built-in schema types itself, about one process in four failed
# this way (seen: "Internal error: xmlSchemaPValAttrNodeValue, the given
# type is not a built-in type", "Document is not valid XML Schema", a
# segmentation fault, "double free or corruption").
_RACE = textwrap.dedent(
    """
    import sys, threading
    from lxml import etree
    from conformance.registry.locations import bundled
    from conformance.registry.standards import Registry
    import conformance.validation.xml_schemas  # noqa: F401  (what is tested)

    xsds = sorted(
        s.xml.path
        for s in Registry.open(bundled("standards"))
        if s.xml is not None and s.xml.xsd_version != "1.1" and not s.xml.paths
    )
    threads = 8
    start = threading.Barrier(threads)
    failed = []

    def compile_one(path):
        document = etree.parse(str(path))
        start.wait()  # every thread's first schema parsed by libxml2 at once
        try:
            etree.XMLSchema(document)
        except Exception as exc:
            failed.append(f"{path.name}: {exc}")

    workers = [
        threading.Thread(target=compile_one, args=(xsds[i % len(xsds)],))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("\\n".join(failed))
    sys.exit(1 if failed else 0)
    """
)


def test_schemas_compiled_in_threads_at_once_all_compile(tmp_path):
    """libxml2 (2.12 and later) sets up its built-in schema types on the
    first schema it parses, without a lock: the suite does it once, when its
    XSD module is imported, before any thread of its can compile one (each
    compiles through that module). Threads held at a barrier make the race
    likely; a fresh process for each try, since the setup is once per
    process."""
    script = tmp_path / "race.py"
    script.write_text(_RACE, encoding="utf-8")
    env_path = str(Path(conformance.__file__).parents[1])
    outcomes = []
    for _ in range(16):
        done = subprocess.run(
            [sys.executable, str(script)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": env_path},  # the tests' own cache
            check=False,
        )
        outcomes.append((done.returncode, done.stdout.strip()[-300:]))
    assert all(code == 0 for code, _ in outcomes), outcomes
