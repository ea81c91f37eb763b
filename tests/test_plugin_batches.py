"""The pytest plugin on a folder of many payload files: items check batches."""

from __future__ import annotations

import gc
import json
import os
import shutil
from pathlib import Path

import pytest
from lxml import etree

import conformance
from conformance.registry.locations import bundled

pytest_plugins = ["pytester"]

EXAMPLES = bundled("standards") / "person" / "1.1.0" / "examples"


@pytest.fixture
def many(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """One folder of person payloads: the examples twice."""
    # pytest in a subprocess imports the package these tests import.
    monkeypatch.setenv("PYTHONPATH", str(Path(conformance.__file__).parents[1]))
    folder = pytester.path / "payloads"
    folder.mkdir()
    for copy in ("a", "b"):
        for kind in ("valid", "invalid"):
            for example in sorted((EXAMPLES / kind).iterdir()):
                shutil.copy(example, folder / f"{copy}-{kind}-{example.name}")
    return pytester


def _files(report: str) -> dict[str, tuple[str, list[str]]]:
    """Each file's outcome and findings in a JSON conformance report."""
    results = json.loads(report)["results"]
    return {
        r["id"]: (r["outcome"], [f["message"] for f in r.get("findings", [])])
        for r in results
        if r["kind"] == "payload"
    }


def _count(many: pytest.Pytester) -> tuple[int, int]:
    folder = many.path / "payloads"
    invalid = len(list(folder.glob("*-invalid-*")))
    return len(list(folder.iterdir())), invalid


def test_a_large_folder_is_collected_as_batches(many):
    files, _ = _count(many)
    result = many.runpytest(
        "--standard", "person@1.1.0", "payloads", "--conformance-batch", "10",
        "--collect-only", "-q",
    )  # fmt: skip
    batches = [line for line in result.stdout.lines if "::person@1.1.0[" in line]
    assert len(batches) == -(-files // 10), result.stdout.lines
    names = sorted(p.name for p in (many.path / "payloads").iterdir())
    assert batches[0].endswith(f"[{names[0]}..{names[9]}]")
    assert batches[-1].endswith(f"[{names[20]}..{names[-1]}]")


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_batch_fails_with_every_failing_file_named(many, monkeypatch, ci):
    """The findings once, under each file's name; on a CI machine too, where
    pytest's short summary shows a failure's whole message."""
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    _, invalid = _count(many)
    result = many.runpytest(
        "--standard", "person@1.1.0", "payloads", "--conformance-batch", "10"
    )
    result.assert_outcomes(failed=3)
    out = result.stdout.str()
    # Each invalid file's findings, under its own name, and no traceback.
    for name in sorted(p.name for p in (many.path / "payloads").glob("*-invalid-*")):
        assert f"payloads/{name} does not conform to person@1.1.0" in out, name
    assert "Traceback" not in out
    assert "def runtest" not in out
    result.stdout.fnmatch_lines(["*files do not conform*"])
    assert out.count("does not conform to person@1.1.0") == invalid
    summary = [line for line in result.stdout.lines if line.startswith("FAILED ")]
    assert len(summary) == 3, summary
    if ci:  # not trimmed to the terminal's width there
        assert all(line.endswith("files do not conform") for line in summary)


@pytest.mark.parametrize("ci", ["", "true"])
def test_a_file_fails_with_its_name_as_the_summary(many, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    result = many.runpytest(
        "--standard", "person@1.1.0", "payloads/a-invalid-fin-letter-i.json"
    )
    result.assert_outcomes(failed=1)
    assert result.stdout.str().count("/fin: ") == 1
    if ci:
        result.stdout.fnmatch_lines(
            [
                "FAILED payloads/a-invalid-fin-letter-i.json::person@1.1.0"
                " - *payloads/a-invalid-fin-letter-i.json does not conform to"
                " person@1.1.0"
            ]
        )


def test_a_small_folder_keeps_one_item_per_file(many):
    files, invalid = _count(many)
    result = many.runpytest("--standard", "person@1.1.0", "payloads")
    result.assert_outcomes(passed=files - invalid, failed=invalid)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_batches_give_the_same_report_as_one_item_per_file(many, workers):
    """Same outcome and findings for every file, batched or not, with xdist."""
    base = ["--standard", "person@1.1.0", "payloads", "-p", "no:cacheprovider"]
    one = many.runpytest_subprocess(
        *base, "--conformance-batch", "0", "--conformance-report=one.json"
    )
    _, invalid = _count(many)
    one.assert_outcomes(failed=invalid, passed=_count(many)[0] - invalid)
    batched = many.runpytest_subprocess(
        *base,
        "--conformance-batch", "4",
        "--conformance-report=batched.json",
        "-n", workers,
        "--junitxml=junit.xml",
    )  # fmt: skip
    # 30 files in 8 batches of 4 (by name): the last two batches hold valid ones only.
    batched.assert_outcomes(failed=6, passed=2)
    expected = _files((many.path / "one.json").read_text("utf-8"))
    assert len(expected) == _count(many)[0]
    assert _files((many.path / "batched.json").read_text("utf-8")) == expected
    # In the same order: under xdist too, though the items end in any order.
    assert list(_files((many.path / "batched.json").read_text("utf-8"))) == list(
        expected
    )
    document = json.loads((many.path / "batched.json").read_text("utf-8"))
    assert document["summary"]["failed"] == invalid
    assert document["run"]["complete"] is True
    # JUnit: each batch names its files that do not conform, with the requirement.
    root = etree.parse(str(many.path / "junit.xml")).getroot()
    named = [
        p.get("value")
        for p in root.iter("property")
        if p.get("name") == "not conforming"
    ]
    assert len(named) == invalid
    assert "payloads/a-invalid-fin-letter-i.json: PER-1 (MUST)" in named, named


def test_dist_each_records_each_file_once(many):
    """xdist's ``--dist each`` runs every item in every worker: the run still
    checked each file once, and its report says so, in the items' order."""
    base = ["--standard", "person@1.1.0", "payloads", "-p", "no:cacheprovider"]
    base += ["--conformance-batch", "4"]
    many.runpytest_subprocess(*base, "--conformance-report=one.json")
    each = many.runpytest_subprocess(
        *base, "-n", "2", "--dist", "each", "--conformance-report=each.json"
    )
    assert each.ret == pytest.ExitCode.TESTS_FAILED, each.stdout.str()
    one = json.loads((many.path / "one.json").read_text("utf-8"))
    both = json.loads((many.path / "each.json").read_text("utf-8"))
    assert [r["id"] for r in both["results"]] == [r["id"] for r in one["results"]]
    assert both["summary"] == one["summary"]


@pytest.mark.parametrize("workers", ["0", "2"])
def test_files_pytest_ignores_are_left_out_of_batches(many, workers):
    """``--ignore`` and a conftest's ``collect_ignore_glob`` leave files out
    of a batched folder as they do with one item per file; a batch of
    ignored files alone is skipped, saying why."""
    many.makeconftest('collect_ignore_glob = ["payloads/b-*"]\n')
    base = [
        "--standard", "person@1.1.0", "payloads", "-p", "no:cacheprovider",
        "--ignore=payloads/a-invalid-fin-letter-i.json", "-n", workers, "-rs",
    ]  # fmt: skip
    one = many.runpytest_subprocess(
        *base, "--conformance-batch", "0", "--conformance-report=one.json"
    )
    one.assert_outcomes(failed=8, passed=6)  # the a- files, but one
    expected = _files((many.path / "one.json").read_text("utf-8"))
    names = sorted(p.name for p in (many.path / "payloads").glob("a-*"))
    assert sorted(Path(id.rpartition(":")[2]).name for id in expected) == [
        name for name in names if name != "a-invalid-fin-letter-i.json"
    ]
    batched = many.runpytest_subprocess(
        *base, "--conformance-batch", "4", "--conformance-report=batched.json"
    )
    # 30 files by name in 8 batches of 4: the a- files fill the first four
    # (invalid ones the first three), the b- files the rest.
    batched.assert_outcomes(failed=3, passed=1, skipped=4)
    batched.stdout.fnmatch_lines(["*all 4 files are ignored by pytest's settings*"])
    assert _files((many.path / "batched.json").read_text("utf-8")) == expected


@pytest.mark.parametrize("batch", ["4", "0"])
def test_a_file_name_that_is_not_utf8_is_checked_under_xdist(many, batch):
    """xdist sends node ids, report locations and warnings to its controller
    as UTF-8: a name with a byte that is not UTF-8 is written escaped there,
    as in the run's results, and every file is checked, as under ``-n 0``."""
    folder = many.path / "payloads"
    later = bundled("standards") / "person" / "1.3.0" / "examples" / "invalid"
    copies = {
        "must": sorted((EXAMPLES / "invalid").iterdir())[0],
        "ok": sorted((EXAMPLES / "valid").iterdir())[0],
        "should": later / "death-before-birth.json",  # a SHOULD: a warning
    }
    for kind, source in copies.items():
        name = f"{kind}-\xff-{source.name}".encode("latin-1")
        try:
            shutil.copy(source, folder / os.fsdecode(name))
        except OSError:
            pytest.skip("this file system takes only UTF-8 names")
    base = ["--standard", "person@1.3.0", "payloads", "-p", "no:cacheprovider"]
    base += ["--conformance-batch", batch]
    one = many.runpytest_subprocess(*base, "-n", "0", "--conformance-report=one.json")
    two = many.runpytest_subprocess(*base, "-n", "2", "--conformance-report=two.json")
    for run in (one, two):
        assert run.ret == pytest.ExitCode.TESTS_FAILED, run.stdout.str()
        assert "INTERNALERROR" not in run.stdout.str() + run.stderr.str()
        run.stdout.fnmatch_lines(
            ["*payloads/should-\\xff-death-before-birth.json:*[[]SHOULD PER-9]"]
        )
    expected = _files((many.path / "one.json").read_text("utf-8"))
    assert len(expected) == _count(many)[0]
    assert _files((many.path / "two.json").read_text("utf-8")) == expected
    escaped = {id.rpartition("/")[2]: outcome for id, (outcome, _) in expected.items()}
    assert escaped[f"must-\\xff-{copies['must'].name}"] == "failed"
    assert escaped[f"ok-\\xff-{copies['ok'].name}"] == "passed"
    assert escaped["should-\\xff-death-before-birth.json"] == "warning"
    if batch == "0":
        two.stdout.fnmatch_lines(["*payloads/must-\\xff-*::person@1.3.0*"])


@pytest.mark.parametrize("batch", ["4", "0"])
def test_a_file_name_a_terminal_would_act_on_is_printed_escaped(many, batch):
    """pytest prints node ids and each failure's heading as they are: a
    file name with ESC or a bidirectional control shows them escaped, as
    the run's own lines do, with -n 0 and -n 2."""
    folder = many.path / "payloads"
    source = sorted((EXAMPLES / "invalid").iterdir())[0]
    shutil.copy(source, folder / f"red-\x1b[31m-\u202e-{source.name}")
    base = ["--standard", "person@1.3.0", "payloads", "-p", "no:cacheprovider"]
    base += ["--conformance-batch", batch, "-rfE"]
    for workers in ("0", "2"):
        run = many.runpytest_subprocess(*base, "-n", workers)
        out = run.stdout.str() + run.stderr.str()
        assert run.ret == pytest.ExitCode.TESTS_FAILED, out
        assert "\x1b" not in out
        assert "\u202e" not in out
        run.stdout.fnmatch_lines(["*red-\\x1b[[]31m-\\u202e-*"])
        if batch == "0":
            run.stdout.fnmatch_lines(
                ["FAILED payloads/red-\\x1b[[]31m-\\u202e-*::person@1.3.0*"]
            )


def test_a_pytest_run_in_process_leaves_nothing_frozen(many):
    """The plugin freezes what exists once the engine is open, and thaws it
    at the session's end: pytest run in process (pytester) leaks nothing."""
    gc.unfreeze()  # a command run in this process before (cli.run) froze it
    result = many.runpytest("--standard", "person@1.1.0", "payloads")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert gc.get_freeze_count() == 0


def test_a_bad_batch_size_is_a_usage_error(many):
    many.makeini("[pytest]\nconformance_batch = many\n")
    result = many.runpytest("--standard", "person@1.1.0", "payloads")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*conformance_batch: 'many' is not a number of files*"]
    )
    assert "Traceback" not in result.stderr.str()


def test_a_run_without_payload_files_does_not_import_the_engine(many):
    """The plugin is installed in every run of an agency's project: a run with
    no payload item must not pay for the engine's imports."""
    many.makepyfile(
        test_plain=(
            "import sys\n"
            "def test_engine_not_imported():\n"
            "    assert 'conformance.engine.units' not in sys.modules\n"
        )
    )
    result = many.runpytest_subprocess("test_plain.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
