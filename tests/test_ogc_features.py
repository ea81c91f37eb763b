"""The OGC API - Features kit against the reference service's /features endpoint.

The endpoint runs for real on a loopback port. Conformant, it passes every
check of the kit (and the exchange rules its standard declares); each named
fault breaks one OGC requirement and is caught by the kit's check for it
alone. A service that declares only Core gets not_applicable for the GeoJSON
and OpenAPI 3.0 checks; reports show OGC's requirement ids and class names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.cli.main import main
from conformance.model import Outcome, Result
from conformance.probing.checks import all_checks
from conformance.probing.plan import opened, plan, run_planned
from conformance.probing.profiles import ServiceTarget
from conformance.probing.reference import FAULTS, ReferenceService
from conformance.probing.reference_features import FEATURE_FAULTS
from conformance.registry.manifest import Agency

OGC = "ogcapi-features-1@1.0.0"
KIT = {
    spec.id: spec
    for spec in all_checks().values()
    if spec.for_standard == "ogcapi-features-1"
}

# The fault that breaks each kit check. A new kit check without one here
# fails test_every_kit_check_has_a_fault.
FAULT_FOR_CHECK = {
    "ogc-landing-page": "landing-without-conformance-link",
    "ogc-api-definition": "api-definition-mislabelled",
    "ogc-conformance": "conformance-without-core",
    "ogc-collections": "collections-crs-as-string",
    "ogc-collections-links": "collections-without-self",
    "ogc-collection-items-link": "items-link-without-type",
    "ogc-collection-extent": "extent-misses-a-parcel",
    "ogc-collection": "collection-title-differs",
    "ogc-items": "counts-as-strings",
    "ogc-limit-default": "default-page-too-large",
    "ogc-limit": "limit-ignored",
    "ogc-invalid-parameters": "lenient-bbox",
    "ogc-unknown-parameter": "unknown-parameters-ignored",
    "ogc-bbox": "bbox-axes-swapped",
    "ogc-datetime": "datetime-open-end-refused",
    "ogc-items-links": "self-link-drops-query",
    "ogc-items-link-types": "links-without-type",
    "ogc-number-matched": "number-matched-ignores-filter",
    "ogc-number-returned": "number-returned-is-limit",
    "ogc-feature": "percent-encoded-id-not-found",
    "ogc-feature-links": "feature-without-collection-link",
    "ogc-unknown-feature": "unknown-feature-200",
    "ogc-geojson-definition": "geojson-labelled-json",
    "ogc-geojson-content": "geometry-type-lowercase",
    "ogc-oas30-definition": "api-definition-not-oas30",
    "ogc-fuzz-items": "crash-on-antimeridian",
}
# An OGC API service declares none of the exchange rules' classes (its
# conformance is OGC's): no check but the kit's judges it, so a fault is
# caught by its own check alone.
ALSO_CAUGHT: dict[str, set[str]] = {}
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
OAS30 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"


@pytest.fixture
def features(registry) -> Iterator[callable]:
    started: list[ReferenceService] = []

    def start(*faults: str) -> ReferenceService:
        service = ReferenceService(registry, faults=faults)
        service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def _target(service: ReferenceService) -> ServiceTarget:
    return ServiceTarget(
        id="test:cadastre-features",
        standard=OGC,
        base_url=service.url,
        agency=Agency("test", "Test agency"),
        timeout=5,
        existing={
            "collectionId": ("land-parcels",),
            "featureId": ("01:867:1349:0403",),
        },
        missing={"collectionId": ("land-parcels",), "featureId": ("99:999:9999:9999",)},
    )


def _run(registry, service: ReferenceService) -> list[Result]:
    with opened(registry) as services:
        return [
            run_planned(services, item) for item in plan(registry, [_target(service)])
        ]


def _check(result: Result) -> str:
    return str(result.evidence["check"])


def test_every_kit_check_has_a_fault():
    assert KIT, "no kit check is registered"
    missing = sorted(set(KIT) - set(FAULT_FOR_CHECK))
    assert not missing, f"kit checks without a fault that makes them fail: {missing}"
    assert set(FAULT_FOR_CHECK.values()) <= set(FEATURE_FAULTS) <= set(FAULTS)
    # One fault per check: each shows its own check can fail.
    assert len(set(FAULT_FOR_CHECK.values())) == len(FAULT_FOR_CHECK)


def test_kit_checks_cite_ogc_requirements_in_ogc_classes(registry):
    for spec in KIT.values():
        assert spec.standard == OGC
        assert spec.requirement.startswith(
            ("/req/core/", "/req/geojson/", "/req/oas30/")
        )
        assert spec.conformance_class in (
            "ogcapi-features-core",
            "ogcapi-features-geojson",
            "ogcapi-features-oas30",
        )
        assert registry.requirement(OGC, spec.requirement).id == spec.requirement


def test_the_conformant_endpoint_passes_every_kit_check(registry, features):
    results = _run(registry, features())
    kit = {_check(r): r for r in results if _check(r) in KIT}
    assert set(kit) == set(KIT)
    assert {
        name: (r.outcome.value, r.reason, [f.message for f in r.findings])
        for name, r in kit.items()
        if r.outcome is not Outcome.PASSED
    } == {}
    # The exchange rules it declares (Core) raise no alarm either.
    assert [
        (r.id, r.reason, [f.message for f in r.findings])
        for r in results
        if r.outcome in (Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED)
    ] == []


@pytest.mark.parametrize("check_id", sorted(FAULT_FOR_CHECK))
def test_each_fault_is_caught_by_its_check_alone(check_id, registry, features):
    fault = FAULT_FOR_CHECK[check_id]
    results = _run(registry, features(fault))
    failing = {_check(r): r for r in results if r.outcome is not Outcome.PASSED}
    caught = {
        name
        for name, r in failing.items()
        if r.outcome in (Outcome.FAILED, Outcome.ERROR)
    }
    shown = {name: [f.message for f in failing[name].findings] for name in caught}
    # Of the kit, its own check alone; of the exchange rules, at most those
    # that see the same breach (fuzzing finds it within its time budget).
    assert caught & set(KIT) == {check_id}, shown
    assert caught - set(KIT) <= ALSO_CAUGHT.get(fault, set()), shown
    result = failing[check_id]
    assert result.outcome is Outcome.FAILED
    assert result.requirement is not None
    assert result.requirement.id == KIT[check_id].requirement
    assert all(f.requirement == KIT[check_id].requirement for f in result.findings)
    assert result.evidence["exchanges"], "a failure carries the requests that show it"


def test_a_service_declaring_only_core_gets_not_applicable_for_the_rest(
    registry, features
):
    service = features()
    service.features.classes = ("core",)
    results = _run(registry, service)
    by_class: dict[str, set[Outcome]] = {}
    for result in results:
        if _check(result) in KIT:
            by_class.setdefault(KIT[_check(result)].conformance_class, set()).add(
                result.outcome
            )
    assert by_class["ogcapi-features-core"] == {Outcome.PASSED}
    assert by_class["ogcapi-features-geojson"] == {Outcome.NOT_APPLICABLE}
    assert by_class["ogcapi-features-oas30"] == {Outcome.NOT_APPLICABLE}
    reasons = {
        _check(r): r.reason for r in results if r.outcome is Outcome.NOT_APPLICABLE
    }
    assert GEOJSON in reasons["ogc-geojson-content"]
    assert OAS30 in reasons["ogc-oas30-definition"]
    assert "/conformance" in reasons["ogc-fuzz-items"]


def test_kit_checks_are_planned_only_for_their_standard(registry, features):
    service = features()
    person = ServiceTarget(
        id="test:population-register",
        standard="person@1.2.0",
        base_url=service.url,
        agency=Agency("test", "Test agency"),
    )
    planned = {item.spec.id for item in plan(registry, [person])}
    assert planned and not planned & set(KIT)
    planned = {item.spec.id for item in plan(registry, [_target(service)])}
    assert set(KIT) <= planned


def test_reports_show_ogc_requirement_ids_and_class_names(tmp_path, capsys):
    profile = tmp_path / "cadastre.toml"
    profile.write_text(
        "[agency]\n"
        'id = "cadastre"\n'
        'name = "State land cadastre"\n'
        "[[services]]\n"
        'id = "features"\n'
        f'standard = "{OGC}"\n'
        'base_url = "reference"\n'
        'faults = ["bbox-axes-swapped"]\n'
        "[services.test_data]\n"
        'existing = { collectionId = ["land-parcels"], featureId = ["01:867:1349:0403"] }\n'
        'missing = { collectionId = ["land-parcels"], featureId = ["99:999:9999:9999"] }\n',
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    code = main(
        [
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(reports),
            "--history",
            str(tmp_path / "history.sqlite"),
            "--check-class",
            "ogcapi-features-core",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert "/req/core/fc-bbox-response" in out
    written = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    bbox = [r for r in written["results"] if r["id"].endswith(":ogc-bbox")]
    assert bbox and bbox[0]["outcome"] == "failed"
    assert bbox[0]["requirement"] == "/req/core/fc-bbox-response"
    assert bbox[0]["evidence"]["conformance_class"] == "ogcapi-features-core"
    for name in ("summary.md", "junit.xml"):
        text = (reports / name).read_text("utf-8")
        assert "/req/core/fc-bbox-response" in text, name
        assert "ogcapi-features-core" in text, name
    # The pages show the class by its name, in both languages.
    for name in ("report.html", "dashboard.html"):
        text = (reports / name).read_text("utf-8")
        assert "/req/core/fc-bbox-response" in text, name
        assert "OGC API - Features: Core" in text, name
        assert "OGC API - Features: Əsas" in text, name
