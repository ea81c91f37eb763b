"""``conformance validate --jobs``: the same run on more processes.

Each test runs the real command in a subprocess: workers are real processes,
a crash is a real SIGKILL, Ctrl-C a real SIGINT. Nothing here is timed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_helpers import as_in_a_terminal

from conformance.engine.jobs import SPLIT_BYTES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "standards" / "person" / "1.1.0" / "examples"

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="finds workers through /proc"
)


def _env() -> dict[str, str]:
    # The package of this checkout, whatever is installed.
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", "validate", *args]


def _person(index: int) -> dict[str, object]:
    record: dict[str, object] = {
        "fin": f"{index:07d}"[-7:].replace("0", "A"),
        "givenName": "Səbinə",
        "familyName": "Əliyeva",
        "birthDate": f"19{index % 90 + 10}-0{index % 9 + 1}-1{index % 9}",
        "sex": "female",
        "citizenship": "AZE",
    }
    if index % 7 == 0:
        record["fin"] = "bad"
    if index % 11 == 0:
        del record["familyName"]
    return record


def _payloads(folder: Path) -> list[Path]:
    """Valid and invalid JSON and XML files, and a JSON Lines file large
    enough to be validated in parts, with records only the careful reader
    can explain (a duplicate member, deep nesting, a BOM, a huge integer)."""
    folder.mkdir()
    for source in sorted(EXAMPLES.rglob("*")):
        if source.suffix in (".json", ".xml"):
            for copy in range(12):
                target = folder / f"{source.parent.name}-{copy:02d}-{source.name}"
                target.write_bytes(source.read_bytes())
    hostile = [
        b'{"fin": "1DK7N3B", "fin": "1DK7N3B"}',
        b"[" * 70 + b"]" * 70,
        b'\xef\xbb\xbf{"fin": "1DK7N3B"}',
        b'{"fin": 123456789012345678901234}',
        b'{"fin": NaN}',
        b"not json",
    ]
    lines = folder / "people.jsonl"
    with lines.open("wb") as out:
        index = 0
        while out.tell() < SPLIT_BYTES + 1_000_000:
            if index % 997 == 0:
                out.write(hostile[(index // 997) % len(hostile)] + b"\n")
            out.write(json.dumps(_person(index), ensure_ascii=False).encode() + b"\n")
            index += 1
    return sorted(folder.iterdir())


def _results(report: str) -> list[dict[str, object]]:
    results = json.loads(report)["results"]
    for result in results:
        result.pop("duration", None)
    return results


@pytest.mark.parametrize("max_findings", ["10000", "7"])
def test_two_jobs_give_the_results_of_one_in_the_same_order(tmp_path, max_findings):
    _payloads(tmp_path / "payloads")
    runs = {}
    for jobs in ("1", "2"):
        done = subprocess.run(
            _command(
                "payloads",
                "--standard",
                "person@1.1.0",
                "--jobs",
                jobs,
                "--max-findings",
                max_findings,
                "--format",
                "json",
            ),
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        runs[jobs] = _results(done.stdout)
    assert runs["1"] == runs["2"]
    lines = next(r for r in runs["2"] if str(r["id"]).endswith("people.jsonl"))
    assert lines["evidence"]["records"] > 10_000
    rules = {f["rule"] for f in lines["findings"]}
    if max_findings == "7":
        assert len(lines["findings"]) == 8
        assert "findings-omitted" in rules
    else:
        assert {"json-duplicate-key", "json-depth", "json-byte-order-mark"} <= rules


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The parent id is the second field after the command in parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _opening_a_fifo(pid: int) -> bool:
    """Whether a process waits to open a named pipe (for a writer to come)."""
    try:
        wchan = Path(f"/proc/{pid}/wchan").read_text()
        syscall = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return wchan in ("wait_for_partner", "fifo_open") or syscall[:1] in (
        ["2"],
        ["257"],
    )


def _start_stuck(tmp_path: Path) -> tuple[subprocess.Popen[str], list[Path]]:
    """The command on files and a named pipe nobody writes to: the worker that
    takes the pipe waits forever to open it."""
    folder = tmp_path / "payloads"
    folder.mkdir()
    files = []
    for number in range(200):
        valid = sorted((EXAMPLES / "valid").glob("*.xml"))
        source = valid[number % len(valid)]
        target = folder / f"{number:03d}-{source.name}"
        target.write_bytes(source.read_bytes())
        files.append(target)
    fifo = tmp_path / "stuck.xml"
    os.mkfifo(fifo)
    files.insert(100, fifo)
    process = subprocess.Popen(
        _command(*map(str, files), "--jobs", "2", "--format", "json"),
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=as_in_a_terminal,  # noqa: PLW1509
    )
    return process, files


def _wait_for(condition, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_worker_that_dies_costs_its_file_only(tmp_path):
    process, files = _start_stuck(tmp_path)
    try:
        stuck = _wait_for(
            lambda: [p for p in _children(process.pid) if _opening_a_fifo(p)]
        )
        os.kill(stuck[0], signal.SIGKILL)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 3, err
    results = _results(out)
    assert len(results) == len(files)
    # In the order given, the pipe's result in its place.
    assert [Path(str(r["evidence"]["file"])).name for r in results] == [
        f.name for f in files
    ]
    errors = [r for r in results if r["outcome"] == "error"]
    assert len(errors) == 1
    assert str(errors[0]["evidence"]["file"]).endswith("stuck.xml")
    assert "stopped unexpectedly (killed by SIGKILL)" in errors[0]["reason"]
    assert {r["outcome"] for r in results if r not in errors} == {"passed"}


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_every_worker(tmp_path, how):
    process, _ = _start_stuck(tmp_path)
    try:
        _wait_for(lambda: [p for p in _children(process.pid) if _opening_a_fifo(p)])
        workers = _children(process.pid)
        assert workers
        if how is signal.SIGINT:
            # A terminal's Ctrl-C reaches every process of its group.
            for pid in [process.pid, *workers]:
                # A worker may already be gone: the command, signalled
                # first, stops its workers at once.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, how)
        else:
            process.send_signal(how)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 3, err
    assert "interrupted" in err
    assert "Traceback" not in err
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or (
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        ), f"worker {pid} outlived the command"


def test_forking_workers_leaves_what_the_command_froze_frozen(tmp_path):
    """The command freezes what lives to its run's end before the run; the
    pool, which freezes around each fork, does not thaw it afterwards."""
    folder = tmp_path / "payloads"
    folder.mkdir()
    for source in sorted((EXAMPLES / "valid").glob("*.json"))[:4]:
        (folder / source.name).write_bytes(source.read_bytes())
    probe = (
        "import gc, sys\n"
        "from conformance.cli.main import main\n"
        f"code = main(['validate', {str(folder)!r}, '--standard', 'person@1.1.0',"
        " '--jobs', '2', '--format', 'json'])\n"
        "print(code, gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1] == "0 True", done.stderr


FORK_AND_INTERRUPT = """
import multiprocessing, os, signal, sys, time
from conformance.processes import serve_the_run, start_forked

def child():
    time.sleep(1.0)  # as a busy machine may delay a new worker's first step
    serve_the_run()
    print("child served", flush=True)

process = multiprocessing.get_context("fork").Process(target=child)
start_forked(process)
time.sleep(0.2)
os.kill(process.pid, signal.SIGINT)  # Ctrl-C, before the child ignores it
process.join(30)
print("exit code", process.exitcode)
"""


def test_a_ctrl_c_before_a_forked_worker_is_set_up_does_not_break_it():
    # A terminal's Ctrl-C reaches every process of the run, a worker forked
    # a moment before too: it must not die of KeyboardInterrupt (and have
    # multiprocessing print its traceback) before it can ignore Ctrl-C.
    done = subprocess.run(
        [sys.executable, "-c", FORK_AND_INTERRUPT],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=as_in_a_terminal,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.splitlines() == ["child served", "exit code 0"]
