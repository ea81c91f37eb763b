"""The main job (`conformance run` on the bundled agencies), as a user runs it.

Each test runs the real command in its own process: in an empty working
folder, with an empty user cache (a CI machine's first run), the reference
service in a process of its own that ends with the run, and the services
checked side by side with their results in the plan's order.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from run_helpers import marked, process_name, run_command, run_environ, running

from conformance.engine.options import FuzzOptions, RunOptions
from conformance.engine.runner import Engine
from conformance.engine.units import ServiceUnit
from conformance.probing.profiles import bundled_profiles
from conformance.registry.locations import bundled

REFERENCE = "conformance-ref"


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_a_first_run_in_an_empty_folder_writes_only_the_reports(tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    reports = tmp_path / "reports"
    mark = uuid.uuid4().hex
    done = subprocess.run(
        run_command(reports, "--fuzz-examples", "2"),
        cwd=work,
        env=run_environ(tmp_path, mark),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Nothing in the working folder: no .hypothesis, no cache, no report.
    assert sorted(p.name for p in work.iterdir()) == []
    assert (reports / "conformance-report.json").is_file()
    # Hypothesis's tables went to the user's cache, and not the one it
    # builds by walking all of Unicode for a codec (1.5 s and 170 MiB).
    tables = tmp_path / "cache" / "egov-conformance" / "hypothesis" / "unicode_data"
    assert list(tables.glob("*/charmap.json.gz"))
    assert not list(tables.glob("*/codec-*")), list(tables.glob("*/codec-*"))
    # The reference service ran in its own process, and ended with the run.
    audit = (reports / "audit.log").read_text("utf-8").splitlines()
    assert audit
    assert list(marked(mark)) == []


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_ctrl_c_ends_the_run_and_the_reference_service_process(tmp_path: Path):
    work = tmp_path / "work"
    work.mkdir()
    reports = tmp_path / "reports"
    mark = uuid.uuid4().hex
    with running(run_command(reports), work, run_environ(tmp_path, mark)) as run:
        # Wait until the reference service's process is up, then Ctrl-C the
        # run (as a terminal sends it to the whole group, the child ignores it).
        # The checks take seconds after that; the audit log, which the run
        # writes as it reads results, can come too late to wait for.
        children: list[int] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:
            children = [p for p in list(marked(mark)) if p != run.pid]
            if children:
                break
            time.sleep(0.02)
        assert children, "the reference service never ran in a process of its own"
        time.sleep(0.2)  # the checks under way
        children = [p for p in list(marked(mark)) if p != run.pid]
        for pid in [run.pid, *children]:
            os.kill(pid, signal.SIGINT)
        _, err = run.communicate(timeout=120)
    assert "interrupted" in err
    report = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    assert report["run"]["complete"] is False
    deadline = time.monotonic() + 10
    while list(marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(marked(mark)) == []


def _bundled_run(tmp_path: Path) -> RunOptions:
    """The main job's options, with one fuzz example per operation."""
    return RunOptions(
        command="conformance run",
        registry=bundled("standards"),
        agencies=(bundled_profiles(),),
        reports_dir=tmp_path / "reports",
        fuzz=FuzzOptions(seed=1, examples=1),
    )


def test_services_are_checked_side_by_side_with_results_in_the_plan_s_order(
    tmp_path: Path,
):
    options = _bundled_run(tmp_path)
    with Engine(options) as engine:
        planned = [u.id for u in engine.plan().units]
        session = engine.start()
        session.execute()
        recorded = [r.id for r in session.run.results]
        services = {
            u.planned.target.id
            for u in engine.plan().units
            if isinstance(u, ServiceUnit)
        }
    assert recorded == planned
    assert len(services) > 1
    # Side by side: some two services were being checked at the same time
    # (one after the other, each one's requests would end before the next's).
    spans: dict[str, list[str]] = {}
    for line in options.audit_path.read_text("utf-8").splitlines():
        entry = json.loads(line)
        spans.setdefault(entry["service"], []).append(entry["time"])
    assert set(spans) == services
    ranges = sorted((min(times), max(times)) for times in spans.values())
    assert any(b[0] < a[1] for a, b in itertools.pairwise(ranges))
    outcomes = {r.outcome.value for r in session.run.results if r.kind == "service"}
    assert outcomes <= {"passed", "not_applicable"}, outcomes


def _reference_children() -> list[int]:
    """This process's children serving reference services (forked, or a
    command of their own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == os.getpid() and process_name(int(entry.name)) == REFERENCE:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_reference_services_process_starts_where_units_are_executed(
    tmp_path: Path,
):
    # A pytest -n controller starts the session and records what its workers
    # send back: it never sends a request, so it starts no service process.
    options = _bundled_run(tmp_path)
    with Engine(options) as engine:
        session = engine.start()
        assert _reference_children() == []
        first = next(u for u in engine.plan().units if isinstance(u, ServiceUnit))
        session.execute([first])
        assert len(_reference_children()) == 1
    assert _reference_children() == []
    # Nor is a thread of the run left behind: a process with one may not
    # fork, and validate --jobs would start its workers the slow way.
    import threading

    assert [t.name for t in threading.enumerate() if t.name == "http-deadlines"] == []


def test_ctrl_c_while_a_module_is_first_imported_still_ends_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Python 3.11 wraps a KeyboardInterrupt raised while a class is made
    (``__set_name__``, as elementpath's classes have) in a RuntimeError: the
    run is still concluded as interrupted, with what it had recorded."""

    class _Interrupting:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    executed = Engine.execute

    def execute(engine: Engine, unit: object) -> object:
        if isinstance(unit, ServiceUnit):
            # A module imported on first need, its class made as Ctrl-C comes.
            type("Language", (), {"pattern": _Interrupting()})
        return executed(engine, unit)  # type: ignore[arg-type]

    monkeypatch.setattr(Engine, "execute", execute)
    options = _bundled_run(tmp_path)
    with Engine(options) as engine:
        units = engine.plan().units
        first = next(i for i, u in enumerate(units) if isinstance(u, ServiceUnit))
        session = engine.start()
        session.execute([*units[:first], units[first]])
    assert session.run.complete is False
    assert [r.id for r in session.run.results] == [u.id for u in units[:first]]


_HOST_PROBE = """
import os, sys, threading
from pathlib import Path
import requests
from conformance.probing.reference_process import ReferenceHost, new_token
from conformance.registry.locations import bundled
from conformance.registry.standards import Registry

stop = threading.Event()
if sys.argv[1] == "thread":
    threading.Thread(target=stop.wait, daemon=True).start()
host = ReferenceHost(Registry.open(bundled("standards")))
token = new_token()
url = host.open([], token)
children = [
    int(entry.name)
    for entry in Path("/proc").iterdir()
    if entry.name.isdigit()
    and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid()
]
command = Path(f"/proc/{children[0]}/cmdline").read_bytes()
name = Path(f"/proc/{children[0]}/comm").read_text().strip()
reply = requests.get(
    f"{url}/person/v1/persons/1DK7N3B",
    headers={"Authorization": f"Bearer {token}"},
    timeout=30,
)
host.close()
left = Path(f"/proc/{children[0]}").exists() and (
    Path(f"/proc/{children[0]}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
)
own = Path("/proc/self/cmdline").read_bytes()
print(len(children), command == own, name, reply.status_code, left)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("other", ["none", "thread"])
def test_the_reference_services_process_is_forked_or_a_command(other: str):
    """Forked (and named) from a process with no other thread; a command of
    its own while another thread runs (a fork would copy the locks that
    thread holds). Either serves, and is gone once closed. In a new
    interpreter: this one may have threads other tests left."""
    done = subprocess.run(
        [sys.executable, "-c", _HOST_PROBE, other],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    children, forked, name, status, left = done.stdout.split()
    assert children == "1"
    assert forked == ("False" if other == "thread" else "True")
    assert (name == REFERENCE) == (forked == "True")  # a forked child names itself
    assert status in ("200", "404")
    assert left == "False"
