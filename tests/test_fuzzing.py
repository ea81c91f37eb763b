"""Endpoint fuzzing: faults only fuzzing finds, seeds, budgets, regression cases.

The reference service runs for real on a loopback port (plain HTTP: the TLS
check is not what is tested here); the checks fuzz it with the default
budget and a fixed seed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from profile_helpers import profile_text

from conformance.errors import UsageError
from conformance.model import Outcome
from conformance.probing.checks import select
from conformance.probing.checks.fuzz import FLOOR_EXAMPLES
from conformance.probing.fuzzing import (
    CI_SEED,
    DEFAULT_EXAMPLES,
    FuzzSettings,
    remember_seed,
    resolve_seed,
)
from conformance.probing.plan import opened, plan, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.probing.reference import ReferenceService
from conformance.registry.manifest import Agency
from conformance.validation.json_validation import json_validator

pytest_plugins = ["pytester"]

ROOT = Path(__file__).parent.parent
# Each fault breaks nothing the fixed probes send; only generated input finds it.
FUZZ_ONLY = {
    "crash-on-letter": "fuzz-valid",
    "crash-on-max-length": "fuzz-valid",
    "accept-long-fin": "fuzz-invalid",
}


@pytest.fixture
def service(registry) -> Iterator[callable]:
    started: list[ReferenceService] = []

    def start(*faults: str) -> ReferenceService:
        running = ReferenceService(registry, faults=faults)
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def _target(running: ReferenceService) -> ServiceTarget:
    return ServiceTarget(
        id="test:population-register",
        standard="person@1.2.0",
        base_url=running.url,
        agency=Agency("test", "Test agency"),
        token_env="REFERENCE_TOKEN",
        timeout=5,
        allow_writes=True,
        existing={"fin": ("83EB3H4",)},
        missing={"fin": ("ZZZZZZZ",)},
    )


def _fuzz(registry, running, check: str, regressions: Path, seed: int = CI_SEED):
    settings = FuzzSettings(seed=seed, regressions=regressions)
    with opened(
        registry, environ={"REFERENCE_TOKEN": running.token}, fuzz=settings
    ) as services:
        planned = plan(registry, [_target(running)], select(ids=[check]))
        return {
            item.operation.role: run_planned(services, item)
            for item in planned
            if item.operation is not None
        }


@pytest.mark.parametrize("fault", sorted(FUZZ_ONLY))
def test_each_fuzz_only_fault_is_found_and_its_case_replays(
    fault, registry, service, tmp_path
):
    check = FUZZ_ONLY[fault]
    # Without the fault, the same seed finds nothing.
    clean = _fuzz(registry, service(), check, tmp_path / "clean")
    assert {r.outcome for r in clean.values()} == {Outcome.PASSED}
    assert not (tmp_path / "clean").exists()

    running = service(fault)
    # The fixed probes do not see the fault...
    probes = ["json-body", "invalid-request", "create-retrievable", "problem-details"]
    with opened(registry, environ={"REFERENCE_TOKEN": running.token}) as services:
        for item in plan(registry, [_target(running)], select(ids=probes)):
            assert run_planned(services, item).outcome is not Outcome.FAILED
    # ...fuzzing with the default budget does.
    found = _fuzz(registry, running, check, tmp_path / "regressions")
    result = found["create"]
    assert result.outcome is Outcome.FAILED, (result.reason, result.evidence)
    assert result.requirement is not None
    assert result.evidence["fuzz"]["seed"] == CI_SEED
    assert result.evidence["exchanges"][-1]["curl"].startswith("curl ")
    # Each distinct failure found in the budget of seconds is saved: on a
    # quiet machine the search may find a second one.
    cases = sorted((tmp_path / "regressions").rglob("*.json"))
    case = Path(result.evidence["fuzz"]["regression_case"])
    assert case in cases, (case, cases)
    validator = json_validator(registry, registry.resolve("person@1.2.0"))
    for saved in cases:
        record = json.loads(saved.read_text(encoding="utf-8"))
        assert record["check"] == f"{check}-createPerson"
        assert record["findings"]
        body = record["request"]["body"]
        # Shrunk and re-checked: a valid example is still valid, an invalid
        # one still invalid.
        assert validator.is_valid(body) is (check == "fuzz-valid"), body

    # The next run replays the saved case before generating anything.
    again = _fuzz(registry, running, check, tmp_path / "regressions", seed=1)
    replayed = again["create"]
    assert replayed.outcome is Outcome.FAILED
    assert replayed.evidence["fuzz"]["replayed"] in {str(c) for c in cases}
    # Only the saved cases' requests are shown: for each, the POST, and for
    # a write that now conflicts, the GET that proves it was stored.
    first = replayed.evidence["exchanges"][0]
    assert first["curl"].startswith("curl -i -X POST")
    assert len(replayed.evidence["exchanges"]) <= 2 * len(cases)


def test_a_fixed_service_passes_its_old_regression_cases(registry, service, tmp_path):
    faulty = service("crash-on-letter")
    assert _fuzz(registry, faulty, "fuzz-valid", tmp_path)["create"].outcome is (
        Outcome.FAILED
    )
    fixed = service()
    assert _fuzz(registry, fixed, "fuzz-valid", tmp_path)["create"].outcome is (
        Outcome.PASSED
    )


def test_fuzzing_reads_and_lists_too(registry, service, tmp_path):
    results = _fuzz(registry, service(), "fuzz-valid", tmp_path)
    assert set(results) == {"read", "list", "create"}
    assert {r.outcome for r in results.values()} == {Outcome.PASSED}
    fuzzed = results["read"].evidence["fuzz"]
    assert 0 < fuzzed["examples"] <= DEFAULT_EXAMPLES
    # A request generated twice is sent once.
    assert 0 < fuzzed["requests"] <= fuzzed["examples"]


def test_a_search_that_sees_nothing_new_stops_before_its_budget(
    registry, service, tmp_path
):
    # A conformant service answers the list's examples alike after a few:
    # the search stops past the floor instead of spending all 50.
    results = _fuzz(registry, service(), "fuzz-valid", tmp_path)
    fuzzed = results["list"].evidence["fuzz"]
    assert results["list"].outcome is Outcome.PASSED
    assert FLOOR_EXAMPLES <= fuzzed["examples"] < DEFAULT_EXAMPLES, fuzzed
    assert fuzzed["budget"] == DEFAULT_EXAMPLES
    assert fuzzed["behaviours"] >= 1


def test_a_damaged_regression_case_is_reported_not_fatal(registry, service, tmp_path):
    folder = tmp_path / "test_population-register" / "fuzz-valid-createPerson"
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "empty.json").write_text("{}", encoding="utf-8")
    result = _fuzz(registry, service(), "fuzz-valid", tmp_path)["create"]
    assert result.outcome is Outcome.PASSED
    damaged = result.evidence["damaged_regression_cases"]
    assert len(damaged) == 2
    assert any("broken.json" in d for d in damaged)


def test_writes_are_not_fuzzed_unless_the_profile_allows_them(registry, service):
    running = service()
    target = _target(running)
    from dataclasses import replace

    with opened(registry, environ={"REFERENCE_TOKEN": running.token}) as services:
        planned = plan(
            registry, [replace(target, allow_writes=False)], select(ids=["fuzz-valid"])
        )
        results = {i.operation.role: run_planned(services, i) for i in planned}
    assert results["create"].outcome is Outcome.SKIPPED
    assert "does not allow writes" in results["create"].reason


# -- seeds ----------------------------------------------------------------------


def test_a_given_seed_is_used(tmp_path):
    assert resolve_seed("1234", tmp_path, environ={}) == 1234


def test_ci_fuzzes_with_a_fixed_seed(tmp_path):
    assert resolve_seed(None, tmp_path, environ={"CI": "true"}) == CI_SEED


def test_without_ci_each_run_gets_a_new_seed(tmp_path):
    seeds = {resolve_seed(None, tmp_path, environ={}) for _ in range(5)}
    assert len(seeds) > 1


def test_last_reuses_the_remembered_seed(tmp_path):
    with pytest.raises(UsageError, match="no seed recorded"):
        resolve_seed("last", tmp_path, environ={})
    remember_seed(987654, tmp_path)
    assert resolve_seed("last", tmp_path, environ={}) == 987654


def test_a_bad_seed_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="give a number or 'last'"):
        resolve_seed("soon", tmp_path, environ={})


PROFILE = profile_text(
    service_lines=("allow_writes = true",), faults=("accept-long-fin",)
)


def test_the_command_prints_the_seed_and_saves_the_case(tmp_path):
    (tmp_path / "mia.toml").write_text(PROFILE, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--agency",
        str(tmp_path / "mia.toml"),
        "--check",
        "fuzz-invalid",
        "--reports-dir",
        str(tmp_path / "reports"),
    ]
    done = subprocess.run(
        [*command, "--fuzz-seed", "4242"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "fuzz seed 4242 (repeat with --fuzz-seed 4242" in done.stderr
    cases = list((tmp_path / "reports" / "regressions").rglob("*.json"))
    assert len(cases) == 1
    again = subprocess.run(
        [*command, "--fuzz-seed", "last"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert again.returncode == 1, again.stderr
    assert "fuzz seed 4242" in again.stderr
    assert "Traceback" not in again.stderr


def test_the_pytest_header_shows_the_seed(pytester):
    pytester.makefile(".toml", mia=PROFILE)
    result = pytester.runpytest(
        "--agency", "mia.toml", "--check", "fuzz-invalid", "--fuzz-seed", "77"
    )
    result.stdout.fnmatch_lines(
        ["conformance: fuzz seed 77 (repeat with --fuzz-seed 77 or --fuzz-seed last)"]
    )
    result.assert_outcomes(failed=1, passed=2)


@pytest.mark.parametrize(
    "command",
    [
        ("standards", "generate", "person@1.2.0", "--count", "30"),
        ("run", "--check", "fuzz-valid", "--fuzz-examples", "5"),
    ],
    ids=["generate", "run"],
)
def test_the_command_keeps_hypothesis_files_out_of_the_working_folder(
    tmp_path, command
):
    # The first run in a fresh checkout used to write .hypothesis/ (the
    # character tables hypothesis works out once) into the working folder.
    from report_helpers import COMMAND, write_profile

    profile = write_profile(tmp_path / "profiles")
    work = tmp_path / "work"
    work.mkdir()
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    agency = ("--agency", str(profile)) if command[0] == "run" else ()
    done = subprocess.run(
        [COMMAND, *command, *agency],
        cwd=work,
        env={**env, "XDG_CACHE_HOME": str(cache)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stderr
    assert not (work / ".hypothesis").exists()
    if command[0] == "standards":  # text generation always builds its tables
        assert (cache / "egov-conformance" / "hypothesis").is_dir()


def test_no_seed_file_is_written_when_nothing_is_fuzzed(tmp_path, capsys):
    # The seed file is for repeating fuzzing (--fuzz-seed last): a run that
    # fuzzes nothing leaves none, and so cannot fail writing it.
    from report_helpers import cli, write_profile

    profile = write_profile(tmp_path / "profiles")
    reports = tmp_path / "reports"
    code, _, err = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        reports,
        "--check",
        "correlation-id",
    )
    assert code == 0, err
    assert "fuzz seed" not in err
    assert not (reports / "last-fuzz-seed").exists()
    code, _, err = cli(
        capsys,
        "run",
        "--agency",
        profile,
        "--reports-dir",
        reports,
        "--check",
        "fuzz-valid",
        "--fuzz-examples",
        "3",
    )
    assert "fuzz seed" in err
    assert (reports / "last-fuzz-seed").is_file()


# -- every parameter, every failure, the same every time -----------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _run_checks(registry, running, checks, seed, regressions=None):
    settings = FuzzSettings(seed=seed, regressions=regressions)
    with opened(
        registry, environ={"REFERENCE_TOKEN": running.token}, fuzz=settings
    ) as services:
        planned = plan(registry, [_target(running)], select(ids=checks))
        return [run_planned(services, item) for item in planned]


def test_the_same_seed_gives_the_same_requests_and_findings(registry, service):
    # Two fresh services with the same faults, one seed: every request sent
    # and every finding must be the same (the created key too).
    checks = ["create-retrievable", "fuzz-valid", "fuzz-invalid", "no-internals"]
    runs = []
    for _ in range(2):
        running = service("crash-on-letter", "accept-bad-header")

        def same(text: str, url: str = running.url) -> str:
            # The port and the client's own correlation ids differ by run.
            return _UUID.sub("<uuid>", text.replace(url, "<service>"))

        results = _run_checks(registry, running, checks, seed=4242)
        runs.append(
            [
                (
                    r.id,
                    r.outcome,
                    [same(f.message) for f in r.findings],
                    [same(e["curl"]) for e in r.evidence.get("exchanges", [])],
                )
                for r in results
            ]
        )
    first, second = runs
    assert Outcome.FAILED in {outcome for _, outcome, _, _ in first}
    assert first == second
    created = next(r for r in first if r[0].endswith("createPerson:create-retrievable"))
    assert any("-X POST" in curl for curl in created[3])


def test_each_distinct_failure_of_a_list_is_reported(registry, service, tmp_path):
    # Two faults on the list: records lack a required member (every 200), and
    # a refused cursor's 400 leaks SQL. Both are reported, each shrunk.
    running = service("missing-required-field", "leak-on-list-400")
    result = _fuzz(registry, running, "fuzz-valid", tmp_path)["list"]
    assert result.outcome is Outcome.FAILED, (result.reason, result.evidence)
    rules = {f.rule for f in result.findings}
    assert "required" in rules, rules
    assert "no-internals" in rules, rules
    leak = next(f for f in result.findings if f.rule == "no-internals")
    assert leak.requirement == "ER-HTTP-6"
    failures = result.evidence["fuzz"]["failures"]
    assert 2 <= len(failures) <= 5
    assert all(f["shrunk"] for f in failures)
    saved = list(tmp_path.rglob("fuzz-valid-listPersons/*.json"))
    assert len(saved) == len(failures)


def test_a_wrong_201_is_confirmed_with_a_fresh_key(registry, service, tmp_path):
    # The first request created its record; sending the same body again
    # would conflict (409) and hide the wrong reply.
    running = service("incomplete-created-reply")
    result = _fuzz(registry, running, "fuzz-valid", tmp_path)["create"]
    assert result.outcome is Outcome.FAILED, (result.reason, result.evidence)
    assert any(f.rule == "required" for f in result.findings)
    (case,) = tmp_path.rglob("*.json")
    saved = json.loads(case.read_text(encoding="utf-8"))["request"]["body"]
    confirmed = result.evidence["exchanges"][0]["curl"]
    assert "-X POST" in confirmed
    assert json.dumps(saved["fin"]) not in confirmed, "confirmed with the same key"


def test_fuzzing_sends_query_and_header_parameters(registry, service, tmp_path):
    running = service()
    settings = FuzzSettings(seed=7, examples=30)
    with opened(
        registry, environ={"REFERENCE_TOKEN": running.token}, fuzz=settings
    ) as services:
        planned = plan(registry, [_target(running)], select(ids=["fuzz-invalid"]))
        results = {i.operation.role: run_planned(services, i) for i in planned}
        sent = [e.url for e in services.exchanges()]
        headers = [e.request_headers for e in services.exchanges()]
    assert {r.outcome for r in results.values()} == {Outcome.PASSED}
    # The list's invalid limits, as text: "12a" is no integer, 51 too many.
    assert any(
        re.search(r"[?&]limit=([^&]*[^0-9&][^&]*|5[1-9]|0)(&|$)", u) for u in sent
    )
    # Invalid header values: a correlation id that is no UUID, an empty version.
    assert any(not _UUID.fullmatch(h.get("X-Correlation-ID", "")) for h in headers)
    assert any(h.get("Accept-Standard") == "" for h in headers)


def test_a_get_without_a_role_is_fuzzed_and_looked_at_for_leaks(tmp_registry):
    from conformance.registry.standards import Registry

    interface = tmp_registry / "person" / "1.2.0" / "openapi.yaml"
    text = interface.read_text(encoding="utf-8")
    extra = """  /persons/{fin}/photo:
    get:
      operationId: getPhoto
      parameters:
        - name: fin
          in: path
          required: true
          schema: {type: string}
        - name: size
          in: query
          schema: {type: integer, minimum: 1}
      responses:
        "200":
          description: The photo.
components:
"""
    assert text.count("\ncomponents:\n") == 1
    interface.write_text(text.replace("\ncomponents:\n", "\n" + extra), "utf-8")
    registry = Registry.open(tmp_registry)
    target = ServiceTarget(
        id="test:population-register",
        standard="person@1.2.0",
        base_url="http://127.0.0.1:9",
        agency=Agency("test", "Test agency"),
    )
    checks = ["fuzz-valid", "fuzz-invalid", "no-internals", "documented-status"]
    planned = plan(registry, [target], select(ids=checks))
    photo = {i.spec.id for i in planned if i.operation.id == "getPhoto"}
    # Role-less GETs get the checks of the whole interface, not the role ones.
    assert photo == {"fuzz-valid", "fuzz-invalid", "no-internals"}
