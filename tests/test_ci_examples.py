"""The suite in a CI pipeline: a clean checkout, the documented CI examples.

A CI job checks out a repository, runs the suite and keeps what it wrote;
nothing the suite leaves in the checkout may end up committed or confuse
the next step.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from lxml import etree
from profile_helpers import profile_text
from report_helpers import PERSON
from test_sarif import assert_valid_sarif

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
    # fuzz-invalid on create fails (the fault); on the read and the list it passes.
    result.assert_outcomes(failed=1, passed=2)
    assert not (pytester.path / ".hypothesis").exists()
    assert (cache / "egov-conformance" / "hypothesis").is_dir()


# -- the built wheel, in a fresh environment, in a repository of payloads -------


def _example(title: str) -> dict:
    """The YAML block under ``## title`` in docs/ci.md."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    section = text[text.index(f"## {title}\n") :]
    block = section[section.index("```yaml\n") + len("```yaml\n") :]
    return yaml.safe_load(block[: block.index("```")])


def github_commands() -> list[str]:
    """The `run:` commands of the GitHub Actions example, after the install."""
    (job,) = _example("GitHub Actions")["jobs"].values()
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs[0] == "pip install egov-conformance"
    return runs[1:]


def gitlab_commands() -> list[str]:
    """The script of the GitLab CI example (its before_script installs)."""
    job = _example("GitLab CI")["conformance"]
    assert job["before_script"] == ["pip install egov-conformance"]
    return job["script"]


@dataclass
class Fresh:
    """A virtual environment with only the built wheel installed in it."""

    bin: Path
    wheel: Path
    python: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "NO_COLOR", "FORCE_COLOR", "GITHUB_STEP_SUMMARY")
            and not k.startswith("HYPOTHESIS")
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **extra}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Fresh:
    """Build the wheel and install it alone into a new environment, offline.

    The new environment gets the suite from the wheel, and its dependencies
    by a .pth file naming this environment's site-packages (already
    installed: nothing is downloaded); the checkout itself is not on its
    path.
    """
    base = tmp_path_factory.mktemp("fresh")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-w",
            str(base / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (base / "dist").glob("egov_conformance-*.whl")
    venv = base / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)), encoding="utf-8"
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return Fresh(bin=venv / "bin", wheel=wheel, python=python)


def agency_repository(folder: Path) -> Path:
    """A git repository of payloads: one valid, one invalid, and a profile."""
    person = folder / "payloads" / "person"
    person.mkdir(parents=True)
    (person / "good.json").write_text(json.dumps(PERSON, indent=2), encoding="utf-8")
    (person / "bad.json").write_text(
        json.dumps(dict(PERSON, fin="5ZK3T2AB"), indent=2), encoding="utf-8"
    )
    (folder / "tools").mkdir()
    (folder / "tools" / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (folder / "agencies").mkdir()
    (folder / "agencies" / "mia.toml").write_text(
        profile_text(service_lines=("timeout = 5", "rate_limit = 1000")),
        encoding="utf-8",
    )
    (folder / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'conformance_payloads = ["payloads/person = person@1.1.0"]\n',
        encoding="utf-8",
    )
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "payloads"]):
        subprocess.run(["git", *command], cwd=folder, check=True, env=GIT_ENV)
    return folder


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "CI",
    "GIT_AUTHOR_EMAIL": "ci@example.invalid",
    "GIT_COMMITTER_NAME": "CI",
    "GIT_COMMITTER_EMAIL": "ci@example.invalid",
}

ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=[^,:]+(,line=\d+(,col=\d+)?)?,title=[^:]*::.+$"
)


def test_the_wheel_carries_the_registry_and_the_openapi_schemas(fresh):
    names = set(zipfile.ZipFile(fresh.wheel).namelist())
    assert "conformance/_bundled/standards/person/1.1.0/standard.toml" in names
    for name in (
        "openapi-3.0.schema.json",
        "openapi-3.1.schema.json",
        "LICENSE",
        "NOTICE",
    ):
        assert f"conformance/selfcheck/openapi_schemas/{name}" in names
    where = subprocess.run(
        [str(fresh.python), "-c", "import conformance; print(conformance.__file__)"],
        capture_output=True,
        text=True,
        env=fresh.env(),
        cwd=fresh.bin,
        check=True,
    ).stdout
    assert where.startswith(str(fresh.bin.parent))  # the wheel, not the checkout


def test_the_github_actions_example_runs_in_a_fresh_environment(fresh, tmp_path):
    repo = agency_repository(tmp_path / "repo")
    summary = tmp_path / "step-summary.md"
    env = fresh.env(
        GITHUB_ACTIONS="true",
        CI="true",
        GITHUB_STEP_SUMMARY=str(summary),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    codes, output = [], ""
    for command in github_commands():
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in done.stderr
        codes.append(done.returncode)
        output += done.stdout
    assert codes == [1, 0]  # the invalid payload fails its step; the service passes
    # SARIF that validates against the OASIS schema, finding at file and line.
    log = assert_valid_sarif(repo / "payloads.sarif")
    (result,) = log["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "payloads/person/bad.json"
    assert result["ruleId"] == "PER-3" and location["region"]["startLine"] == 2
    assert_valid_sarif(repo / "reports" / "conformance.sarif")
    # Annotations in GitHub's format, one for the finding of the invalid file.
    annotations = [line for line in output.splitlines() if line.startswith("::")]
    assert annotations and all(ANNOTATION.match(line) for line in annotations)
    assert annotations[0].startswith("::error file=payloads/person/bad.json,line=2,")
    # The job summary: both steps appended theirs.
    text = summary.read_text(encoding="utf-8")
    assert "## Conformance: non-conformant" in text
    assert "## Conformance: conformant" in text
    assert "| PER-3 |" in text
    assert (repo / "payloads-junit.xml").is_file()
    assert not (repo / ".hypothesis").exists()


def test_the_gitlab_example_runs_in_a_fresh_environment(fresh, tmp_path):
    repo = agency_repository(tmp_path / "repo")
    env = fresh.env(GITLAB_CI="true", CI="true", XDG_CACHE_HOME=str(tmp_path / "cache"))
    codes = []
    for command in gitlab_commands():
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in done.stderr
        codes.append(done.returncode)
    assert codes == [1, 0]
    junit = etree.parse(str(repo / "payloads-junit.xml")).getroot()
    failures = junit.findall(".//failure")
    assert [f.get("type") for f in failures] == ["PER-3"]
    assert failures[0].get("message") == (
        "payloads/person/bad.json against person@1.1.0: 1 finding"
    )
    assert_valid_sarif(repo / "payloads.sarif")
    assert (repo / "reports" / "junit.xml").is_file()


def test_pre_commit_try_repo_fails_on_the_invalid_payload_only(fresh, tmp_path):
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (the test extra has it)")
    repo = agency_repository(tmp_path / "repo")
    env = fresh.env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    env.update({k: v for k, v in GIT_ENV.items() if k.startswith("GIT_")})

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        selection = ["--files", *files] if files else ["--all-files"]
        return subprocess.run(
            [
                str(pre_commit),
                "try-repo",
                str(ROOT),
                "conformance-payloads",
                *selection,
            ],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    valid = hook("payloads/person/good.json", "tools/package.json")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "Passed" in valid.stdout
    invalid = hook("payloads/person/bad.json")
    assert invalid.returncode == 1, invalid.stdout + invalid.stderr
    assert "FAIL  payloads/person/bad.json does not conform to person@1.1.0" in (
        invalid.stdout
    )
    everything = hook()
    assert everything.returncode == 1
    assert "payloads/person/bad.json does not conform" in everything.stdout
    assert "good.json does not conform" not in everything.stdout
    assert "2 files checked: 1 passed, 1 failed" in everything.stdout
