"""The reference service passes every check; for every check, a fault fails it.

The service runs for real on a loopback port (over TLS with certificates made
for the test), and the checks talk to it through the suite's HTTP client.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.model import Outcome
from conformance.probing.checks import all_checks, select
from conformance.probing.plan import opened, plan, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.probing.reference import FAULTS, ReferenceService
from conformance.registry.manifest import Agency

# The fault that breaks each check. A new check without a fault here makes
# test_every_check_has_a_fault fail: every check must be shown able to fail.
FAULT_FOR_CHECK = {
    "timeout": "slow",
    "latency": "sluggish",
    "documented-status": "undocumented-status",
    "content-type": "wrong-content-type",
    "documented-headers": "no-standard-header",
    "documented-media-types": "invalid-xml",
    "json-body": "missing-required-field",
    "xml-body": "invalid-xml",
    "content-negotiation": "ignore-xml-accept",
    "same-data": "xml-json-mismatch",
    "correlation-id": "lose-correlation-id",
    "standard-declared": "no-standard-header",
    "unsupported-version": "ignore-accept-standard",
    "unknown-resource": "server-error-on-missing",
    "problem-details": "plain-json-errors",
    "no-internals": "leak-internals",
    "authentication": "ignore-token",
    "tls": "untrusted-certificate",
    "standard-lifecycle": "declare-old-version",
    "pagination": "oversized-pages",
    "invalid-request": "accept-invalid-body",
    "problem-pointer": "problem-without-pointer",
    "create-retrievable": "lost-create",
    "fuzz-valid": "crash-on-letter",
    "fuzz-invalid": "accept-long-fin",
}
# Where a fault's effect is a warning (SHOULD) rather than a failure.
WARNS = {"standard-lifecycle"}

PERSON = {"existing": {"fin": ("83EB3H4",)}, "missing": {"fin": ("ZZZZZZZ",)}}


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    trustme = pytest.importorskip("trustme")
    folder = tmp_path_factory.mktemp("certs")
    trusted, unknown = trustme.CA(), trustme.CA()
    bundle = folder / "ca.pem"
    trusted.cert_pem.write_to_path(str(bundle))
    return {"trusted": trusted, "unknown": unknown, "bundle": bundle}


def _context(ca: object) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)  # type: ignore[attr-defined]
    return context


def _target(
    service: ReferenceService, ca_bundle: Path, **changes: object
) -> ServiceTarget:
    collection = next(c for c in service.collections if c.standard.id == "person")
    base = ServiceTarget(
        id="test:population-register",
        standard=collection.standard.ref,
        base_url=service.url,
        agency=Agency("test", "Test agency"),
        token_env="REFERENCE_TOKEN",
        timeout=5,
        latency_objective_ms=1000,
        latency_samples=5,
        allow_writes=True,
        ca_bundle=ca_bundle,
        existing={"fin": PERSON["existing"]["fin"]},
        missing={"fin": PERSON["missing"]["fin"]},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def reference(registry, certificates) -> Iterator[callable]:
    started: list[ReferenceService] = []

    def start(*faults: str, ca: str = "trusted") -> ReferenceService:
        service = ReferenceService(
            registry, faults=faults, ssl_context=_context(certificates[ca])
        )
        service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def _run(registry, targets, token: str, checks: list[str] | None = None):
    specs = select(ids=checks) if checks else None
    with opened(registry, environ={"REFERENCE_TOKEN": token}) as services:
        return [run_planned(services, item) for item in plan(registry, targets, specs)]


def _exchange_rules_checks() -> set[str]:
    # A kit's checks (OGC API - Features) run only on services of their own
    # standard; tests/test_ogc_features.py gives each its fault.
    return {id for id, spec in all_checks().items() if spec.for_standard is None}


def test_every_check_has_a_fault():
    missing = sorted(_exchange_rules_checks() - set(FAULT_FOR_CHECK))
    assert not missing, f"checks without a fault that makes them fail: {missing}"
    unknown = sorted(set(FAULT_FOR_CHECK.values()) - set(FAULTS))
    assert not unknown


def test_the_reference_service_passes_the_whole_catalogue(
    registry, reference, certificates
):
    service = reference()
    targets = []
    for collection in service.collections:
        key = collection.key
        first = next(iter(collection.records))
        targets.append(
            _target(
                service,
                certificates["bundle"],
                id=f"test:{collection.standard.id}",
                standard=collection.standard.ref,
                existing={key: (first,)},
                missing={key: ("ZZZZZZZ",) if key == "fin" else ("99:999:9999:9999",)},
            )
        )
    results = _run(registry, targets, service.token)
    assert {r.evidence["check"] for r in results} == _exchange_rules_checks()
    bad = [
        (r.id, r.outcome.value, r.reason, [f.message for f in r.findings])
        for r in results
        if r.outcome is not Outcome.PASSED
        and not (
            r.outcome is Outcome.NOT_APPLICABLE and "does not offer" in (r.reason or "")
        )
    ]
    assert bad == []


@pytest.mark.parametrize("check_id", sorted(FAULT_FOR_CHECK))
def test_each_check_fails_on_its_fault(check_id, registry, reference, certificates):
    fault = FAULT_FOR_CHECK[check_id]
    if fault == "untrusted-certificate":
        service = reference(ca="unknown")
    else:
        service = reference(fault)
    changes: dict[str, object] = {}
    if fault == "slow":
        changes["timeout"] = 1
    if fault == "sluggish":
        changes["latency_objective_ms"] = 100
    target = _target(service, certificates["bundle"], **changes)
    results = _run(registry, [target], service.token, [check_id])
    assert results, f"{check_id} was not planned for the person service"
    expected = Outcome.WARNING if check_id in WARNS else Outcome.FAILED
    # A fault may touch only some operations (reads, say); those must fail,
    # and nothing may end in an error instead.
    assert Outcome.ERROR not in {r.outcome for r in results}
    failing = [r for r in results if r.outcome is expected]
    assert failing, [(r.id, r.outcome, r.reason) for r in results]
    for result in failing:
        assert result.findings
        assert result.requirement is not None
        finding = result.findings[0]
        assert finding.message
        # Schema findings cite the data standard's own requirement (PER-1...).
        assert finding.requirement
        exchanges = result.evidence["exchanges"]
        assert exchanges, "a failure carries the requests that show it"
        assert exchanges[-1]["curl"].startswith("curl ")


def test_a_body_of_an_undocumented_media_type_is_not_passed(
    registry, reference, certificates
):
    # JSON labelled text/plain: json-body validated nothing, so it must not
    # pass (docs/checks.md: such a check is skipped); content-type fails.
    service = reference("wrong-content-type")
    target = _target(service, certificates["bundle"])
    results = _run(registry, [target], service.token, ["json-body", "content-type"])
    body = [r for r in results if r.evidence["check"] == "json-body"]
    assert body and {r.outcome for r in body} == {Outcome.SKIPPED}
    assert all("does not document" in (r.reason or "") for r in body)
    kinds = [r for r in results if r.evidence["check"] == "content-type"]
    assert Outcome.FAILED in {r.outcome for r in kinds}


def test_a_deprecated_version_warns_with_its_sunset_date(
    registry, reference, certificates
):
    service = reference("declare-old-version")
    target = _target(service, certificates["bundle"])
    (result,) = _run(registry, [target], service.token, ["standard-lifecycle"])
    assert result.outcome is Outcome.WARNING
    assert "person@1.0.0" in result.findings[0].message
    assert "2027-06-30" in result.findings[0].message


def test_a_retired_version_fails(tmp_registry, certificates):
    from conformance.registry.standards import Registry

    manifest = tmp_registry / "person" / "1.0.0" / "standard.toml"
    text = manifest.read_text(encoding="utf-8").replace(
        'status = "deprecated"', 'status = "retired"'
    )
    manifest.write_text(text, encoding="utf-8")
    registry = Registry.open(tmp_registry)
    service = ReferenceService(
        registry,
        faults=["declare-old-version"],
        ssl_context=_context(certificates["trusted"]),
    )
    with service:
        target = _target(service, certificates["bundle"])
        (result,) = _run(registry, [target], service.token, ["standard-lifecycle"])
    assert result.outcome is Outcome.FAILED
    assert "retired" in result.findings[0].message


def test_an_unreachable_service_is_an_error_not_a_failure(registry, certificates):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = ServiceTarget(
        id="test:down",
        standard="person@1.2.0",
        base_url=f"http://127.0.0.1:{port}",
        agency=Agency("test", "Test agency"),
        existing={"fin": ("83EB3H4",)},
        missing={"fin": ("ZZZZZZZ",)},
    )
    results = _run(registry, [target], "unused", ["correlation-id", "json-body"])
    # One error says why; the other checks of the service are skipped with it.
    first, *rest = results
    assert first.outcome is Outcome.ERROR
    assert first.reason.startswith("availability:")
    assert rest and {r.outcome for r in rest} == {Outcome.SKIPPED}
    assert all(first.id in r.reason for r in rest)


def test_writes_are_skipped_unless_the_profile_allows_them(
    registry, reference, certificates
):
    service = reference()
    target = _target(service, certificates["bundle"], allow_writes=False)
    results = _run(
        registry, [target], service.token, ["create-retrievable", "invalid-request"]
    )
    assert {r.outcome for r in results} == {Outcome.SKIPPED}
    assert all("does not allow writes" in r.reason for r in results)


def test_signals_reach_the_main_thread_not_the_service_threads(registry):
    # A Ctrl-C the kernel delivered to a service thread would leave the main
    # thread blocked in a read, the interruption never seen.
    import signal

    def blocked(tid: int) -> int:
        status = Path(f"/proc/self/task/{tid}/status").read_text(encoding="utf-8")
        (line,) = [x for x in status.splitlines() if x.startswith("SigBlk:")]
        return int(line.split()[1], 16)

    wanted = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    with ReferenceService(registry) as service:
        assert blocked(service._thread.native_id) & wanted == wanted
    import threading

    assert blocked(threading.main_thread().native_id) & wanted == 0


def _by_operation(results):
    return {r.evidence["operation"]: r for r in results}


def test_internals_leaked_in_a_list_400_are_caught(registry, reference, certificates):
    clean = reference()
    target = _target(clean, certificates["bundle"])
    results = _run(registry, [target], clean.token, ["no-internals"])
    # Every operation's error replies are looked at, the list's too.
    assert len(results) == 3
    assert {r.outcome for r in results} == {Outcome.PASSED}
    service = reference("leak-on-list-400")
    target = _target(service, certificates["bundle"])
    results = _by_operation(_run(registry, [target], service.token, ["no-internals"]))
    listed = results["GET /person/v1/persons"]
    assert listed.outcome is Outcome.FAILED, (listed.reason, listed.evidence)
    assert any("SQL statement" in f.message for f in listed.findings)
    assert all("400" in f.message for f in listed.findings)
    assert results["GET /person/v1/persons/{fin}"].outcome is Outcome.PASSED


def test_a_header_parameter_answered_200_with_an_invalid_value_is_caught(
    registry, reference, certificates
):
    service = reference("accept-bad-header")
    target = _target(service, certificates["bundle"])
    results = _run(registry, [target], service.token, ["fuzz-invalid"])
    assert Outcome.ERROR not in {r.outcome for r in results}
    read = _by_operation(results)["GET /person/v1/persons/{fin}"]
    assert read.outcome is Outcome.FAILED, (read.reason, read.evidence)
    finding = read.findings[0]
    assert "breaking header " in finding.message
    assert "got 200" in finding.message
    assert read.evidence["fuzz"]["failures"][0]["request"]["broken"].startswith(
        "header "
    )
