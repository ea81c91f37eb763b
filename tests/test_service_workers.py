"""``conformance run --jobs``: services checked in worker processes.

Each test runs the real command on the bundled agencies in a subprocess:
the workers are real forked processes, a crash is a real SIGKILL, Ctrl-C a
real SIGINT. Nothing here is timed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_helpers import marked, run_command, run_environ, running

from conformance.engine.options import FuzzOptions, RunOptions
from conformance.engine.runner import Engine
from conformance.engine.units import ServiceUnit
from conformance.probing.profiles import bundled_profiles
from conformance.registry.locations import bundled

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/environ").exists(), reason="finds workers through /proc"
)


def _command(reports: Path, jobs: str) -> list[str]:
    return run_command(reports, "--fuzz-examples", "5", "--jobs", jobs)


def _service_workers(run: subprocess.Popen[str], mark: str) -> list[int]:
    """The run's service workers, by the names they give themselves."""
    return [
        pid
        for pid, name in marked(mark).items()
        if pid != run.pid and name.startswith("conformance-s")
    ]


@contextlib.contextmanager
def _running(tmp_path: Path, mark: str) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """The run with --jobs 2, started as from a terminal."""
    reports = tmp_path / "reports"
    command = _command(reports, "2")
    with running(command, tmp_path, run_environ(tmp_path, mark)) as run:
        yield run, reports


def _requests(audit: Path) -> int:
    try:
        return len(audit.read_bytes().splitlines())
    except FileNotFoundError:
        return 0


def _busy_workers(run: subprocess.Popen[str], mark: str, audit: Path) -> list[int]:
    """The workers, once the services have answered many requests."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        workers = _service_workers(run, mark)
        if len(workers) == 2 and _requests(audit) >= 100:
            return workers
        time.sleep(0.02)
    raise AssertionError("the run never had two busy service workers")


def _planned() -> list[str]:
    """The service checks of the run, in the plan's order."""
    options = RunOptions(
        command="conformance run",
        registry=bundled("standards"),
        agencies=(bundled_profiles(),),
        fuzz=FuzzOptions(seed=1, examples=5),
    )
    with Engine(options) as engine:
        return [u.id for u in engine.plan().units if isinstance(u, ServiceUnit)]


def _shown(result: dict[str, object]) -> tuple[object, ...]:
    findings = result["findings"]
    assert isinstance(findings, list)
    return (
        result["id"],
        result["outcome"],
        result.get("reason"),
        [(f["message"], f.get("pointer")) for f in findings],
    )


def test_two_jobs_and_one_give_the_same_results_in_the_same_order(tmp_path: Path):
    reports = {}
    for jobs in ("1", "2"):
        folder = tmp_path / f"jobs-{jobs}"
        folder.mkdir()
        done = subprocess.run(
            _command(folder / "reports", jobs),
            cwd=folder,
            env=run_environ(folder, uuid.uuid4().hex),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        report = (folder / "reports" / "conformance-report.json").read_text("utf-8")
        reports[jobs] = json.loads(report)["results"]
    one, two = reports["1"], reports["2"]
    assert [r["id"] for r in two if r["kind"] == "service"] == _planned()
    assert [_shown(r) for r in two] == [_shown(r) for r in one]
    # Every request went to the audit log, from whichever process sent it.
    for jobs in ("1", "2"):
        log = tmp_path / f"jobs-{jobs}" / "reports" / "audit.log"
        lines = log.read_text("utf-8").splitlines()
        assert lines
        assert all(json.loads(line)["service"] for line in lines)


def test_a_worker_that_dies_costs_the_check_it_was_making(tmp_path: Path):
    mark = uuid.uuid4().hex
    with _running(tmp_path, mark) as (run, reports):
        victim = _busy_workers(run, mark, reports / "audit.log")[0]
        os.kill(victim, signal.SIGKILL)
        out, err = run.communicate(timeout=600)
    assert "Traceback" not in err, err
    report = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    assert report["run"]["complete"] is True
    results = report["results"]
    # Every check has its result, in the plan's order.
    assert [r["id"] for r in results if r["kind"] == "service"] == _planned()
    errors = [r for r in results if r["outcome"] == "error"]
    assert errors, out
    for error in errors:
        assert "stopped unexpectedly (killed by SIGKILL)" in error["reason"]
        assert "--jobs 1" in error["reason"]
    # At most one check per thread of the worker was under way; the rest of
    # its services' checks were made by the main process, and passed.
    assert len(errors) <= 2
    others = {r["outcome"] for r in results if r not in errors}
    assert others <= {"passed", "not_applicable", "warning"}, others
    assert run.returncode != 0
    assert not marked(mark)


def test_ctrl_c_stops_every_worker_and_keeps_the_results(tmp_path: Path):
    mark = uuid.uuid4().hex
    with _running(tmp_path, mark) as (run, reports):
        workers = _busy_workers(run, mark, reports / "audit.log")
        # A terminal's Ctrl-C reaches every process of its group.
        for pid in [run.pid, *marked(mark)]:
            # A worker may be gone already: the run stops them at once.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
        _, err = run.communicate(timeout=120)
    assert run.returncode == 3, err
    assert "interrupted" in err
    assert "Traceback" not in err
    report = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    assert report["run"]["complete"] is False
    deadline = time.monotonic() + 10
    while marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not marked(mark), f"outlived the run: {workers}"


def _die_claiming(board: object) -> None:
    board.next.get_lock().acquire()  # type: ignore[attr-defined]
    os.kill(os.getpid(), signal.SIGKILL)


def test_services_nobody_can_claim_go_to_the_main_process():
    """A worker killed while claiming leaves the claim's lock held: the
    others stop claiming rather than wait forever, and once every worker has
    ended the main process takes what nobody claimed."""
    import multiprocessing

    from conformance.engine.services import MAIN, _Board

    context = multiprocessing.get_context("fork")
    board = _Board(context, 4)
    assert board.claim(0) == 0
    assert board.claim(1) == 1
    dying = context.Process(target=_die_claiming, args=(board,))
    dying.start()
    dying.join(30)
    assert dying.exitcode == -signal.SIGKILL
    assert board.claim(0) is None
    assert board.unclaimed() == [2, 3]
    assert list(board.owner) == [0, 1, MAIN, MAIN]
