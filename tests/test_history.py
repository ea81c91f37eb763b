"""The results history: a real SQLite file, migrations, recording, interruption."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import (
    COMMAND,
    PERSON,
    QUICK_CHECKS,
    cli,
    interrupted_at,
    payload_run,
    person_files,
    reader_reached,
    report_of,
    write_profile,
)

from conformance.engine import Engine, HistoryListener, RunOptions
from conformance.errors import UsageError
from conformance.history import migrations, open_history
from conformance.history.backend import parse_location
from conformance.probing.profiles import PayloadTarget
from conformance.registry.locations import bundled
from conformance.results.run import Run, to_document

EXAMPLES = bundled("standards") / "person" / "1.0.0" / "examples"


def _run(registry) -> Run:
    target = PayloadTarget(id="mia:person", paths=(EXAMPLES,), standard="person@1.0.0")
    return payload_run(target)


def test_a_new_history_has_the_newest_schema(tmp_path):
    store = open_history(tmp_path / "history.sqlite")
    versions = [m.version for m in migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    assert store.schema_version() == versions[-1]
    assert store.migrate() == []  # nothing left to apply
    store.close()


def test_an_old_history_is_migrated_and_keeps_its_runs(tmp_path, registry):
    path = tmp_path / "history.sqlite"
    from conformance.history.backend import connect, parse_location
    from conformance.history.store import HistoryStore

    old = HistoryStore(connect(parse_location(path)))
    assert old.migrate(target=1) == [1]
    run = _run(registry)
    # A run written by the first schema: no waiver column yet.
    old.backend.connection.execute(
        "INSERT INTO runs (id, command, started, complete, tool_version, recorded)"
        " VALUES (?, 'conformance run', '2026-01-05T08:00:00Z', 1, '0.1.0',"
        " '2026-01-05T08:00:09Z')",
        (run.id,),
    )
    old.close()
    store = open_history(path)
    assert store.schema_version() == migrations()[-1].version
    (summary,) = store.runs()
    assert summary.id == run.id
    store.close()


def test_a_history_from_a_newer_suite_is_refused(tmp_path):
    path = tmp_path / "history.sqlite"
    open_history(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')"
        )
    with pytest.raises(UsageError, match="newer than this suite knows"):
        open_history(path)


def test_a_run_reads_back_exactly_as_it_was_recorded(tmp_path, registry):
    store = open_history(tmp_path / "history.sqlite")
    run = _run(registry)
    store.save(run)
    again = store.load(store.resolve("latest"), registry)
    assert to_document(again) == to_document(run)
    assert store.resolve(run.id[:8]) == run.id
    with pytest.raises(UsageError, match="already in the results history"):
        store.save(run)
    store.close()


def test_results_are_recorded_as_they_arrive(tmp_path):
    target = PayloadTarget(id="mia:person", paths=(EXAMPLES,), standard="person@1.0.0")
    history = HistoryListener(parse_location(tmp_path / "history.sqlite"))
    with Engine(RunOptions(command="test", payloads=(target,))) as engine:
        session = engine.start([history])
        for unit in engine.plan().units:
            session.record(engine.execute(unit))
        run = session.run
        # Before the run is concluded, a second reader sees every result so far.
        reader = open_history(tmp_path / "history.sqlite")
        (summary,) = reader.runs()
        assert summary.total == len(run.results) > 0
        assert summary.complete is False and summary.verdict == "incomplete"
        session.conclude()
    (summary,) = reader.runs()
    assert summary.complete is True and summary.verdict == run.verdict.value
    reader.close()


@pytest.mark.parametrize(
    ("location", "message"),
    [
        # Nothing listens on port 1: the error says what to check, no traceback.
        (
            "postgresql://egov@127.0.0.1:1/conformance",
            "cannot use the PostgreSQL results history",
        ),
        ("ftp://example/history", "unknown kind of location 'ftp'"),
    ],
)
def test_unsupported_locations_are_usage_errors(tmp_path, capsys, location, message):
    code, _, err = cli(capsys, "report", "list", "--history", location)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_a_file_that_is_not_a_history_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "history.sqlite"
    path.write_text("these are my notes, not a database\n" * 100, encoding="utf-8")
    code, _, err = cli(capsys, "report", "list", "--history", path)
    assert code == 2
    assert f"{path} is not a results history" in err
    assert "Traceback" not in err


def test_an_unknown_run_is_a_usage_error(tmp_path, capsys):
    profile = write_profile(tmp_path / "p")
    reports = tmp_path / "r"
    code, _, _ = cli(
        capsys, "run", "--agency", profile, "--reports-dir", reports, *QUICK_CHECKS
    )
    assert code == 0
    code, _, err = cli(capsys, "report", "render", "0badc0de", "--reports-dir", reports)
    assert code == 2
    assert "no run '0badc0de' in the results history" in err
    assert "conformance report list" in err
    code, _, err = cli(capsys, "report", "render", "previous", "--reports-dir", reports)
    assert code == 2 and "has 1 run(s)" in err


def test_conformance_run_records_each_run_by_default(tmp_path, capsys):
    profile = write_profile(tmp_path / "p")
    reports = tmp_path / "reports"
    for _ in range(2):
        code, out, _ = cli(
            capsys, "run", "--agency", profile, "--reports-dir", reports, *QUICK_CHECKS
        )
        assert code == 0, out
    assert (reports / "history.sqlite").is_file()
    assert (reports / "dashboard.html").is_file()
    code, out, _ = cli(
        capsys, "report", "list", "--reports-dir", reports, "--format", "json"
    )
    listed = json.loads(out)
    assert len(listed) == 2
    assert listed[0]["id"] == report_of(reports)["run"]["id"]  # newest first
    code, _, _ = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        tmp_path / "elsewhere",
        "--no-history",
        *QUICK_CHECKS,
    )
    assert not (tmp_path / "elsewhere" / "history.sqlite").exists()


def test_an_interrupted_run_leaves_a_history_entry_marked_incomplete(tmp_path):
    folder = tmp_path / "payloads"
    person_files(folder, bad=1, good=1)
    fifo = tmp_path / "z-blocks.json"
    os.mkfifo(fifo)  # reading it blocks until the test writes: the run is mid-way
    profile = write_profile(tmp_path / "profiles", payloads=(folder, fifo))
    reports = tmp_path / "reports"
    returncode, out, err = interrupted_at(
        fifo, ["run", "--agency", str(profile), "--reports-dir", str(reports)]
    )
    # bad-0.json failed before the interruption: the run is still incomplete
    # (3), as documented, and the failure found so far is shown.
    assert returncode == 3, (out, err)
    assert "interrupted" in err
    assert "FAIL  " in out and "bad-0.json" in out
    assert "gate failed (incomplete): the run is incomplete" in out
    assert "1 failed MUST requirement(s)" in out
    document = report_of(reports)
    assert document["run"]["complete"] is False
    outcomes = sorted(r["outcome"] for r in document["results"])
    assert outcomes == ["failed", "passed"]  # the two files before the FIFO
    store = open_history(reports / "history.sqlite")
    (summary,) = store.runs()
    assert summary.id == document["run"]["id"]
    assert summary.complete is False
    assert summary.total == 2
    from conformance.registry.standards import Registry

    run = store.load(summary.id, Registry.open())
    assert [r.id for r in run.results] == [r["id"] for r in document["results"]]
    assert run.interruption and "interrupted" in run.interruption
    store.close()
    html = (reports / "report.html").read_text("utf-8")
    assert 'id="incomplete"' in html
    dashboard = (reports / "dashboard.html").read_text("utf-8")
    assert 'id="incomplete"' in dashboard


@pytest.mark.parametrize(
    "front_end",
    [
        [COMMAND, "run"],
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
    ],
    ids=["conformance run", "pytest --agency"],
)
def test_a_run_killed_outright_still_leaves_its_results(tmp_path, registry, front_end):
    # No Python handler runs on SIGKILL: only what was committed survives.
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(PERSON), encoding="utf-8")
    fifo = tmp_path / "b.json"
    os.mkfifo(fifo)  # named in the profile, so it is read (and blocks)
    profile = write_profile(
        tmp_path / "profiles", service=False, payloads=(folder, fifo)
    )
    project = tmp_path / "project"
    project.mkdir()
    process = subprocess.Popen(
        [*front_end, "--agency", str(profile)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    writer = reader_reached(fifo)
    process.kill()
    process.wait(timeout=60)
    os.close(writer)
    store = open_history(project / "reports" / "history.sqlite")
    (summary,) = store.runs()
    assert (summary.complete, summary.verdict, summary.total) == (
        False,
        "incomplete",
        1,
    )
    run = store.load(summary.id, registry)
    assert run.interruption == "the run did not finish"
    assert [r.outcome.value for r in run.results] == ["passed"]
    store.close()


def test_reading_a_history_that_does_not_exist_creates_none(tmp_path, capsys):
    code, _, err = cli(capsys, "report", "dashboard", "--reports-dir", tmp_path)
    assert code == 2
    assert "no results history at" in err and "history.sqlite" in err
    assert list(tmp_path.iterdir()) == []


def test_a_history_truncated_to_nothing_is_refused_not_replaced(tmp_path, capsys):
    profile = write_profile(tmp_path / "profiles", service=False, payloads=EXAMPLES)
    reports = tmp_path / "reports"
    args = ("run", "--agency", profile, "--reports-dir", reports)
    assert cli(capsys, *args)[0] == 1  # the examples include invalid payloads
    history = reports / "history.sqlite"
    history.write_bytes(b"")  # a disk full, a bad copy: the runs are gone
    code, _, err = cli(capsys, *args)
    assert code == 2
    assert f"{history} is empty (0 bytes)" in err
    assert "restore it from a backup" in err
    assert history.stat().st_size == 0  # not silently made a new, empty history


def _read_only(folder: Path, command: list[str]) -> list[str]:
    """``command`` run where ``folder`` is a read-only mount (as a CI artifact
    folder or a shared drive can be): root, who passes every permission
    check, cannot write there either."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to mount a folder read-only")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a mount namespace here: {probe.stderr!r}")
    script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, str(folder), *command]


@pytest.mark.parametrize(
    "extra",
    [(), ("--history", "HISTORY"), ("--history", "HISTORY", "--check", "fuzz-valid")],
    ids=["history in the reports", "history elsewhere", "fuzzing"],
)
def test_a_read_only_reports_folder_is_a_usage_error_at_start(tmp_path, extra):
    payloads = person_files(tmp_path / "payloads", bad=0, good=1)
    profile = write_profile(
        tmp_path / "profiles", service="--check" in extra, payloads=payloads
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    args = [a.replace("HISTORY", str(tmp_path / "h.sqlite")) for a in extra]
    command = [COMMAND, "run", "--agency", str(profile), "--reports-dir", str(reports)]
    done = subprocess.run(
        _read_only(reports, [*command, *args]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot write" in done.stderr and str(reports) in done.stderr
    assert "not a results history" not in done.stderr
    assert "internal error" not in done.stderr
    assert "Traceback" not in done.stderr
    assert list(reports.iterdir()) == []
