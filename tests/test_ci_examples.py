"""The suite in a CI pipeline: a clean checkout, the documented CI examples.

A CI job checks out a repository, runs the suite and keeps what it wrote;
nothing the suite leaves in the checkout may end up committed or confuse
the next step.
"""

from __future__ import annotations

from pathlib import Path

from profile_helpers import profile_text

ROOT = Path(__file__).resolve().parent.parent


def test_the_pytest_route_keeps_hypothesis_files_out_of_the_checkout(
    pytester, tmp_path, monkeypatch
):
    # Fuzzing under pytest used to leave .hypothesis/ (hypothesis's constants
    # cache) in the folder pytest runs in.
    pytester.makefile(
        ".toml",
        mia=profile_text(
            service_lines=("allow_writes = true",), faults=("accept-long-fin",)
        ),
    )
    cache = tmp_path / "cache"
    monkeypatch.delenv("HYPOTHESIS_STORAGE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's suite
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--agency",
        "mia.toml",
        "--check",
        "fuzz-invalid",
        "--fuzz-seed",
        "77",
    )
    result.assert_outcomes(failed=1, passed=1)
    assert not (pytester.path / ".hypothesis").exists()
    assert (cache / "egov-conformance" / "hypothesis").is_dir()
