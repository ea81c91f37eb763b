"""What `conformance run` and `validate` print: colour, progress, next steps.

The real command in a subprocess, its output on a pseudo-terminal (pty) or
a pipe, as a person's terminal or a CI log receives it.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from profile_helpers import profile_text
from report_helpers import PERSON, QUICK_CHECKS, write_profile

from conformance.cli.output import Progress, colour_wanted

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b["


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "conformance", *map(str, args)]


def environment(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "FORCE_COLOR", "GITHUB_STEP_SUMMARY")
    }
    env["PYTHONPATH"] = str(ROOT)  # this checkout's suite
    return {**env, **extra}


def on_a_terminal(args: list[str], cwd: Path, **extra: str) -> tuple[int, str]:
    """Run with stdout and stderr on a pty; the exit code and what it showed."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        args,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=environment(**extra),
        timeout=300,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    return done.returncode, seen.decode("utf-8", "replace")


@pytest.fixture
def payloads(tmp_path) -> Path:
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "good.json").write_text(json.dumps(PERSON), encoding="utf-8")
    (folder / "bad.json").write_text(
        json.dumps(dict(PERSON, fin="5ZK3T2AB")), encoding="utf-8"
    )
    return folder


VALIDATE = ("validate", "payloads", "--standard", "person@1.1.0")


def test_colour_on_a_terminal(payloads):
    code, shown = on_a_terminal(command(*VALIDATE), payloads.parent)
    assert code == 1
    assert f"{ESC}31;1mFAIL{ESC}0m" in shown
    assert f"verdict: {ESC}31;1mnon-conformant{ESC}0m" in shown


@pytest.mark.parametrize(
    ("flags", "extra"),
    [((), {"NO_COLOR": "1"}), (("--no-color",), {}), (("--color", "never"), {})],
    ids=["NO_COLOR", "--no-color", "--color-never"],
)
def test_no_colour_when_asked(payloads, flags, extra):
    code, shown = on_a_terminal(command(*VALIDATE, *flags), payloads.parent, **extra)
    assert code == 1
    assert "FAIL" in shown and "non-conformant" in shown
    assert ESC not in shown


def test_no_colour_in_a_pipe_unless_forced(payloads):
    piped = subprocess.run(
        command(*VALIDATE),
        capture_output=True,
        text=True,
        cwd=payloads.parent,
        env=environment(),
        timeout=300,
    )
    assert piped.returncode == 1
    assert "FAIL" in piped.stdout and ESC not in piped.stdout + piped.stderr
    forced = subprocess.run(
        command(*VALIDATE, "--color", "always"),
        capture_output=True,
        text=True,
        cwd=payloads.parent,
        env=environment(),
        timeout=300,
    )
    assert f"{ESC}31;1mFAIL" in forced.stdout


def test_colour_choice_follows_no_color_and_force_color():
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    assert colour_wanted("auto", terminal, {}) is True
    assert colour_wanted("auto", terminal, {"NO_COLOR": "1"}) is False
    assert colour_wanted("auto", terminal, {"NO_COLOR": ""}) is True  # empty: unset
    assert colour_wanted("auto", terminal, {"TERM": "dumb"}) is False
    assert colour_wanted("auto", io.StringIO(), {"FORCE_COLOR": "1"}) is True
    assert colour_wanted("always", io.StringIO(), {"NO_COLOR": "1"}) is True
    assert colour_wanted("auto", io.StringIO(), {}) is False


def test_progress_in_a_log_has_a_total_a_rate_and_an_end(tmp_path):
    profile = write_profile(tmp_path / "agencies")
    done = subprocess.run(
        command(
            "run",
            "--agency",
            profile,
            "--reports-dir",
            tmp_path / "r",
            "--no-history",
            *QUICK_CHECKS,
        ),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("progress:")]
    total = int(lines[0].split()[1])
    assert lines[0] == f"progress: {total} to check"
    assert lines[-1].startswith(f"progress: {total}/{total} checked in ")
    assert "\r" not in done.stderr  # a log gets lines, never redraws


def test_progress_lines_every_interval_in_a_log():
    log = io.StringIO()
    progress = Progress(log, total=4, interval=0.0, terminal=False)
    progress.start()
    for done in range(1, 5):
        progress(done, f"p{done}.json")
    progress.clear()
    lines = log.getvalue().splitlines()
    assert lines[0] == "progress: 4 to check"
    assert lines[1].startswith("progress: [1/4 25%] ") and "/s, ~" in lines[1]
    assert lines[-2].startswith("progress: [4/4 100%] ") and "/s" in lines[-2]
    assert lines[-1].startswith("progress: 4/4 checked in ")
    quiet = io.StringIO()
    short = Progress(quiet, total=4, interval=60.0, terminal=False, announce=False)
    short.start()
    short(4, "p4.json")
    short.clear()
    assert quiet.getvalue() == ""  # a quick look says nothing in a log


def test_progress_names_a_file_only_for_a_line_it_draws():
    # A run of thousands of files told its progress file by file draws ten
    # lines a second on a terminal: the name is asked for only then.
    screen = io.StringIO()
    progress = Progress(screen, total=1000, terminal=True)
    asked: list[int] = []

    def name_of(done: int) -> str:
        asked.append(done)
        return f"p{done}.json"

    for done in range(1, 1001):
        progress(done, lambda done=done: name_of(done))
    assert asked[0] == 1 and asked[-1] == 1000  # the first line and the last
    assert len(asked) <= 100
    assert screen.getvalue().count("\r") == len(asked)
    assert "p1000.json" in screen.getvalue()
    progress(1000, "named.json")  # a plain name is drawn as before
    assert "named.json" in screen.getvalue()


def test_a_failure_shows_its_curl_command_and_the_run_says_what_next(tmp_path):
    profile = write_profile(tmp_path / "agencies", faults=("lose-correlation-id",))
    done = subprocess.run(
        command(
            "run",
            "--agency",
            profile,
            "--reports-dir",
            tmp_path / "r",
            "--no-history",
            *QUICK_CHECKS,
        ),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    out = done.stdout
    failure = out[out.index("FAIL  mia:population-register: The correlation id") :]
    assert "reproduce with:" in failure
    assert "curl -i -X GET -H 'X-Correlation-ID: " in failure
    steps = [line for line in out.splitlines() if line.startswith("next: ")]
    assert steps[0] == "next: read the failures with their evidence in r/report.html"
    assert (
        "next: reproduce a service failure with the curl command shown under it"
        in steps
    )
    assert steps[-1].startswith("next: after fixing, compare with this run:")


def test_a_fuzzing_failure_shows_the_shrunk_request_and_the_seed(tmp_path):
    (tmp_path / "mia.toml").write_text(
        profile_text(
            service_lines=("allow_writes = true",), faults=("accept-long-fin",)
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        command(
            "run",
            "--agency",
            "mia.toml",
            "--check",
            "fuzz-invalid",
            "--fuzz-seed",
            "4242",
            "--reports-dir",
            "r",
            "--no-history",
        ),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "curl -i -X POST" in out
    seed = "found with seed 4242 (repeat: --fuzz-seed 4242)"
    assert (
        f"fuzzing: the shrunk request above, {seed}" in out
        or f"fuzzing: the request above, {seed}" in out
    )
    assert "kept as a regression case: " in out
    assert "next: repeat the fuzzing exactly: --fuzz-seed 4242" in out


def test_the_self_tests_show_progress_in_a_log_too(tmp_path):
    done = subprocess.run(
        command("standards", "selftest", "person@1.0.0"),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("progress:")]
    total = int(lines[0].split()[1])
    assert lines[0] == f"progress: {total} to check" and total > 0
    assert lines[-1].startswith(f"progress: {total}/{total} self-tests in ")


def test_machine_output_takes_what_the_fast_encoder_refuses(capsys):
    # orjson writes --format json; a lone surrogate (a file name's byte that
    # is not UTF-8) or an integer past 64 bits goes the slower way, escaped.
    import json as std_json

    from conformance.cli.output import print_json

    data = {"file": "bad\udcffname\x1b[31m", "size": 2**70, "rate": 0.5}
    print_json(data)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\udcff" not in out
    assert std_json.loads(out) == {
        "file": "bad\udcffname\x1b[31m",
        "size": 2**70,
        "rate": 0.5,
    }
