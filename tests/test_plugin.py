"""The pytest plugin, used from another project (pytester runs pytest there)."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest
from lxml import etree
from profile_helpers import profile_text

from conformance.registry.locations import bundled
from conformance.validation.json_validation import json_validator, validate_json

pytest_plugins = ["pytester"]

EXAMPLES = bundled("standards") / "person" / "1.0.0" / "examples"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a folder of person payloads: four valid, nine invalid."""
    shutil.copytree(EXAMPLES, pytester.path / "payloads")
    return pytester


def test_each_payload_file_is_one_test(project):
    result = project.runpytest("--standard", "person@1.0.0", "payloads")
    # The deprecated standard is one item of its own (as in `conformance run`),
    # passing with a warning, not a warning on every file.
    result.assert_outcomes(passed=5, failed=9, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "conformance: standard person@1.0.0 (deprecated, sunset 2027-06-30)",
            "*payloads/invalid/fin-eight-characters.json does not conform to person@1.0.0",
            "*error: line 2, column 10, /fin: *5ZK3T2AB* does not match *",
            "*rule pattern; at person/1.0.0/person.schema.json#/$defs/fin/pattern;"
            " requirement PER-3 (MUST): The personal identification number (FIN)*",
        ]
    )
    # Readable findings, not Python tracebacks.
    assert "def runtest" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_xml_files_find_their_standard_from_the_namespace(project):
    project.makeini("[pytest]\nconformance_payloads =\n    payloads = auto\n")
    result = project.runpytest("payloads", "-k", "xml")
    result.assert_outcomes(passed=1, failed=1)


def test_folders_map_to_standards_in_the_configuration(project):
    project.makeini(
        "[pytest]\nconformance_payloads =\n"
        "    payloads/valid = person@1.0.0\n"
        "    payloads/invalid = person@1.0.0\n"
    )
    result = project.runpytest()
    result.assert_outcomes(passed=5, failed=9, warnings=1)


def test_unmapped_files_are_left_alone(project):
    project.makepyfile(test_plain="def test_ok():\n    assert True\n")
    result = project.runpytest()
    result.assert_outcomes(passed=1)


def test_a_wrong_standard_is_a_usage_error(project):
    result = project.runpytest("--standard", "persn@1", "payloads")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*did you mean 'person'*"])


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            "payloads = persn@1.1.0",
            "ERROR: conformance_payloads: *'persn'*did you mean 'person'*",
        ),
        (
            "payload = person@1.1.0",
            "ERROR: conformance_payloads: */payload is not a folder; name a folder*",
        ),
    ],
)
def test_a_wrong_mapping_is_one_usage_error_at_start(project, mapping, message):
    project.makeini(f"[pytest]\nconformance_payloads =\n    {mapping}\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert len(result.stderr.lines) <= 2, result.stderr.lines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_bad_mapping_line_is_a_usage_error(project):
    project.makeini("[pytest]\nconformance_payloads =\n    payloads person@1.0.0\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*is not 'folder = standard'*"])


def test_junit_carries_requirement_and_level(project):
    result = project.runpytest(
        "--standard", "person@1.0.0", "payloads", "--junitxml=junit.xml"
    )
    result.assert_outcomes(passed=5, failed=9, warnings=1)
    root = etree.parse(str(project.path / "junit.xml")).getroot()
    case = next(
        c for c in root.iter("testcase") if "fin-eight-characters" in c.get("classname")
    )
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["requirement"] == "PER-1"
    assert properties["level"] == "MUST"
    assert properties["standard"] == "person@1.0.0"
    assert case.find("failure") is not None


@pytest.mark.parametrize("workers", [None, "2"])
def test_the_json_report_is_written_also_with_xdist(project, registry, workers):
    args = [
        "--standard",
        "person@1.0.0",
        "payloads",
        "--conformance-report=report.json",
    ]
    if workers:
        args += ["-n", workers]
    result = project.runpytest_subprocess(*args)
    result.assert_outcomes(passed=5, failed=9, warnings=None if workers else 1)
    data = (project.path / "report.json").read_bytes()
    report = registry.resolve("conformance-report@1.1.0")
    assert validate_json(data, json_validator(registry, report)) == []
    document = json.loads(data)
    # 13 files and the deprecated standard's lifecycle (a warning)
    assert document["summary"]["total"] == 14
    assert document["summary"]["failed"] == 9
    assert document["summary"]["warning"] == 1
    assert document["run"]["complete"] is True


def test_registry_self_checks_as_pytest_items(pytester, registry):
    shutil.copytree(bundled("standards"), pytester.path / "standards")
    result = pytester.runpytest(
        "--check-registry", "--registry", "standards", "standards", "-q"
    )
    result.assert_outcomes(passed=len(_checks(registry)) - len(registry.problems))


def test_registry_self_checks_report_an_edited_release(pytester):
    shutil.copytree(bundled("standards"), pytester.path / "standards")
    schema = pytester.path / "standards" / "address" / "1.0.0" / "address.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = pytester.runpytest(
        "--check-registry", "--registry", "standards", "standards/address/1.0.0"
    )
    result.assert_outcomes(failed=1, passed=len(_checks_for("address@1.0.0")) - 1)
    result.stdout.fnmatch_lines(["*address@1.0.0 was released and is immutable*"])


def _checks(registry):
    from conformance.selfcheck.registry_checks import registry_checks

    return [c for c in registry_checks(registry) if not c.id.startswith("registry::")]


def _checks_for(ref):
    from conformance.registry.standards import Registry
    from conformance.selfcheck.registry_checks import registry_checks

    registry = Registry.open(bundled("standards"))
    return registry_checks(registry, [registry.resolve(ref)])


# -- probing services from pytest ------------------------------------------------


def reference_profile(*faults: str) -> str:
    return profile_text(
        service_lines=(
            "allow_writes = true",
            "latency_objective_ms = 2000",
            "latency_samples = 5",
        ),
        faults=faults,
    )


def test_agency_services_become_one_item_per_operation_and_check(pytester):
    pytester.makefile(".toml", mia=reference_profile())
    result = pytester.runpytest("--agency", "mia.toml", "-q", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] > 20
    assert outcomes.get("failed", 0) == 0
    result.stdout.fnmatch_lines(
        ["*not applicable: plain HTTP on a loopback test host*"]
    )


def test_a_faulty_service_fails_readably_with_a_curl_command(pytester):
    pytester.makefile(".toml", mia=reference_profile("lose-correlation-id"))
    result = pytester.runpytest("--agency", "mia.toml", "--check", "correlation-id")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mia:population-register: The correlation id is echoed (GET /person/v1/persons/{fin})",
            "*requirement ER-HTTP-1 (MUST): *correlation id*",
            "*error: sent X-Correlation-ID * the reply had no X-Correlation-ID",
            "*reproduce with:",
            "*curl -i -X GET -H 'X-Correlation-ID: *",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_checks_can_be_chosen_by_class_requirement_and_level(pytester):
    pytester.makefile(".toml", mia=reference_profile())
    by_class = pytester.runpytest("--agency", "mia.toml", "--check-class", "pagination")
    by_class.assert_outcomes(passed=1)
    by_requirement = pytester.runpytest(
        "--agency", "mia.toml", "--requirement", "ER-HTTP-1"
    )
    by_requirement.assert_outcomes(passed=1)
    by_level = pytester.runpytest("--agency", "mia.toml", "--level", "SHOULD", "-q")
    assert by_level.parseoutcomes()["passed"] == 2  # timeout and latency
    wrong = pytester.runpytest("--agency", "mia.toml", "--check", "corelation-id")
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["*did you mean 'correlation-id'*"])


def test_an_agency_run_is_recorded_in_the_results_history(pytester, registry):
    from conformance.history import open_history

    pytester.makefile(".toml", mia=reference_profile("lose-correlation-id"))
    chosen = ("--agency", "mia.toml", "--check", "correlation-id")
    result = pytester.runpytest(*chosen)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["conformance: run * recorded in *history.sqlite"])
    history = pytester.path / "reports" / "history.sqlite"
    store = open_history(history)
    (summary,) = store.runs()
    assert (summary.complete, summary.total, summary.failed) == (True, 1, 1)
    assert summary.command.startswith("pytest --agency mia.toml")
    run = store.load(summary.id, registry)
    assert [r.id for r in run.results] == [
        "mia:population-register:getPerson:correlation-id"
    ]
    store.close()
    # --no-history records nothing; --history records elsewhere
    pytester.runpytest(*chosen, "--no-history").assert_outcomes(failed=1)
    pytester.runpytest(*chosen, "--history", "other.sqlite").assert_outcomes(failed=1)
    store = open_history(history)
    assert len(store.runs()) == 1
    store.close()
    store = open_history(pytester.path / "other.sqlite")
    assert len(store.runs()) == 1
    store.close()


def test_a_history_that_cannot_be_written_is_said_not_raised(pytester):
    pytester.makefile(".toml", mia=reference_profile())
    (pytester.path / "a-folder").mkdir()
    result = pytester.runpytest(
        "--agency", "mia.toml", "--check", "correlation-id", "--history", "a-folder"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["conformance: the run was not recorded in the results history: *a-folder*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_payload_checks_are_not_recorded(pytester):
    payload = pytester.path / "p.json"
    payload.write_text('{"fin": "5ZK3T2A"}', encoding="utf-8")
    pytester.runpytest("--standard", "person@1.1.0", "p.json")
    assert not (pytester.path / "reports").exists()


def test_service_checks_run_with_xdist(pytester):
    pytester.makefile(".toml", mia=reference_profile())
    result = pytester.runpytest_subprocess("--agency", "mia.toml", "-n", "2", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] > 20
    assert outcomes.get("failed", 0) == 0
    # recorded once, by the controller, with the workers' results
    from conformance.history import open_history

    store = open_history(pytester.path / "reports" / "history.sqlite")
    (summary,) = store.runs()
    assert summary.passed == outcomes["passed"]
    store.close()


@pytest.mark.parametrize("dist", ["load", "worksteal", "loadgroup"])
def test_a_services_rate_limit_holds_across_xdist_workers(pytester, monkeypatch, dist):
    """The rate limit is the agency's, not each worker's: a service's checks
    are made by one worker, and its requests arrive no closer together than
    the limit allows (give or take the server's own threads). Two workers
    each keeping to it sent requests a fraction of a millisecond apart."""
    import time

    from conformance.probing import reference

    arrived: list[float] = []
    dispatch = reference._Handler._dispatch

    def timed(self: reference._Handler, method: str) -> None:
        arrived.append(time.monotonic())
        dispatch(self, method)

    monkeypatch.setattr(reference._Handler, "_dispatch", timed)
    # A registry of its own: pytester drops the modules a test imported
    # (the XML binding's, on the first XML reply) when it ends, and the
    # session's registry would keep a model made of the dropped classes.
    service = reference.ReferenceService(token="t0ken")
    url = service.start()
    try:
        monkeypatch.setenv("MIA_TOKEN", "t0ken")
        lines = ('token_env = "MIA_TOKEN"', "timeout = 5", "rate_limit = 20")
        pytester.makefile(".toml", mia=profile_text(base_url=url, service_lines=lines))
        result = pytester.runpytest_subprocess(
            "--agency", "mia.toml", "-n", "2", "--dist", dist, "-q",
            "--fuzz-examples", "5", "-p", "no:cacheprovider",
        )  # fmt: skip
    finally:
        service.stop()
    assert result.parseoutcomes().get("failed", 0) == 0, result.stdout.str()
    assert len(arrived) > 30
    gaps = [b - a for a, b in itertools.pairwise(arrived)]
    assert min(gaps) > 0.5 / 20, sorted(gaps)[:5]


def test_project_settings_give_pytest_the_waivers_and_history(pytester, registry):
    from conformance.history import open_history

    pytester.makefile(".toml", mia=reference_profile("lose-correlation-id"))
    pytester.makefile(
        ".toml",
        waivers="""
[[waivers]]
id = "W-7"
agency = "mia"
requirement = "ER-HTTP-1"
standard = "exchange-rules@1.2.0"
reason = "Echoed from the next release"
granted = 2026-01-01
expires = 2099-12-31
""",
    )
    pytester.makepyprojecttoml(
        '[tool.conformance]\nwaivers = "waivers.toml"\nhistory = "runs.sqlite"\n'
    )
    chosen = ("--agency", "mia.toml", "--check", "correlation-id")
    result = pytester.runpytest(*chosen, "--check", "standard-declared")
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["conformance: gate passed (conformant): *waived*"])
    store = open_history(pytester.path / "runs.sqlite")
    (summary, *_) = store.runs()
    results = store.load(summary.id, registry).results
    store.close()
    (waived,) = [r for r in results if r.waived]
    assert waived.waiver.id == "W-7"
    # A waived failure alone checks nothing: incomplete, and the session fails.
    alone = pytester.runpytest(*chosen)
    alone.assert_outcomes(xfailed=1)
    assert alone.ret == pytest.ExitCode.TESTS_FAILED
    alone.stdout.fnmatch_lines(["conformance: gate failed (incomplete): *"])
