"""A third-party service described from its own documentation, probed as it is.

The cadastre's parcel API (tests/services/parcel_api.py) follows its own
conventions: ``Api-Version``, ``X-Request-Id``, pages by number with a total,
its own JSON error object. Its standard (tests/data/registries/third-party)
declares those conventions and its conformance classes in ``[service]``. A
conformant service must raise no alarm; each fault must be caught by the
check that owns it and by nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from services.parcel_api import parcel_api

from conformance.cli.main import main

REGISTRY = Path(__file__).parent / "data" / "registries" / "third-party"

# fault -> the checks that must fail on it (and only they). Fuzzing breaks
# each documented parameter, so a service that ignores a header's value is
# also caught there.
CAUGHT_BY = {
    "wrong-version-value": {"standard-declared"},
    "other-version-answered": {"unsupported-version", "fuzz-invalid"},
    "missing-required-header": {"documented-headers"},
    "leak-in-list-400": {"no-internals", "fuzz-invalid"},
    "bad-header-answered": {"fuzz-invalid"},
    "json-in-latin-1": {"content-type"},
    "negative-rate-limit": {"documented-headers"},
}


def _run(tmp_path: Path, url: str, *extra: str) -> tuple[int, list[dict[str, object]]]:
    profile = tmp_path / "integrator.toml"
    profile.write_text(
        "[agency]\n"
        'id = "integrator"\n'
        'name = "An agency that reads parcels"\n'
        "[[services]]\n"
        'id = "parcels"\n'
        'standard = "parcel-api@2.1.0"\n'
        f'base_url = "{url}"\n'
        + "".join(f"{line}\n" for line in extra)
        + "[services.test_data]\n"
        'existing = { parcelId = ["P-00001"] }\n'
        'missing = { parcelId = ["P-99999"] }\n',
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    code = main(
        [
            "--registry",
            str(REGISTRY),
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(reports),
            "--no-history",
            "--fuzz-seed",
            "7",
        ]
    )
    written = reports / "conformance-report.json"
    if not written.exists():
        return code, []
    return code, json.loads(written.read_text("utf-8"))["results"]


def _by_outcome(results: list[dict[str, object]], *outcomes: str) -> dict[str, str]:
    return {
        str(r["id"]): str(r.get("reason") or r.get("findings"))
        for r in results
        if r["outcome"] in outcomes
    }


def test_a_conformant_third_party_service_raises_no_alarm(tmp_path, capsys):
    with parcel_api() as url:
        code, results = _run(tmp_path, url)
    assert code == 0, capsys.readouterr()
    assert _by_outcome(results, "failed", "error", "warning", "skipped") == {}
    checks = {str(r["id"]).rsplit(":", 1)[1]: r for r in results}
    # Judged by its own conventions, not skipped for lacking ours.
    for check in (
        "standard-declared",
        "unsupported-version",
        "correlation-id",
        "pagination",
        "problem-details",
        "unknown-resource",
        "documented-headers",
    ):
        assert checks[check]["outcome"] == "passed", check


def test_classes_the_standard_does_not_declare_are_not_applicable(tmp_path):
    with parcel_api() as url:
        _, results = _run(tmp_path, url)
    reasons = _by_outcome(results, "not_applicable")
    auth = [why for rid, why in reasons.items() if rid.endswith(":authentication")]
    assert auth
    assert all("does not declare the conformance class 'security'" in w for w in auth)
    assert "parcel-api/2.1.0/standard.toml" in auth[0]


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_each_fault_is_caught_by_its_check_alone(tmp_path, fault):
    with parcel_api(fault) as url:
        code, results = _run(tmp_path, url)
    failing = _by_outcome(results, "failed", "error")
    assert {rid.rsplit(":", 1)[1] for rid in failing} == CAUGHT_BY[fault], failing
    if fault == "leak-in-list-400":
        assert any(":searchParcels:no-internals" in rid for rid in failing)
    if fault == "negative-rate-limit":
        # Judged as the number the text stands for, not as a string.
        assert "less than the minimum" in " ".join(failing.values())
    if fault == "bad-header-answered":
        assert "Accept-Language" in " ".join(failing.values())
    assert code != 0


def test_a_profile_may_narrow_the_classes(tmp_path):
    with parcel_api("other-version-answered") as url:
        code, results = _run(tmp_path, url, 'classes = ["core", "errors"]')
    assert code == 0
    versioning = [r for r in results if str(r["id"]).endswith(":unsupported-version")]
    assert versioning and versioning[0]["outcome"] == "not_applicable"
    assert "the profile narrows" in str(versioning[0]["reason"])


def test_a_profile_cannot_widen_the_classes(tmp_path, capsys):
    with parcel_api() as url:
        code, results = _run(tmp_path, url, 'classes = ["core", "security"]')
    assert code == 2
    assert results == []
    err = capsys.readouterr().err
    assert "'security'" in err
    assert "never widen" in err
    assert "Traceback" not in err


def _edited_registry(tmp_path: Path, old: str, new: str) -> Path:
    import shutil

    copy = tmp_path / "registry"
    shutil.copytree(REGISTRY, copy)
    manifest = copy / "parcel-api" / "2.1.0" / "standard.toml"
    text = manifest.read_text("utf-8")
    assert old in text
    manifest.write_text(text.replace(old, new), encoding="utf-8")
    return copy


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'size = "pageSize"',
            'size = "per_page"',
            "pages with the parameter 'per_page', which searchParcels does not"
            " document",
        ),
        (
            '"transport", "fuzzing"]',
            '"transport", "fuzzing", "paging"]',
            "conforms_to names the unknown class 'paging'",
        ),
        (
            'version_value = "{major}.{minor}"',
            'version_value = "{major}.{minr}"',
            "headers.version_value: '{major}.{minr}' names minr",
        ),
        ("unknown_status = 404", "unknown_status = 410", "unknown_status is 410"),
        (
            'searchParcels = { role = "list" }',
            'searchParcel = { role = "list" }',
            "names 'searchParcel', which is not an operationId",
        ),
    ],
)
def test_standards_check_finds_conventions_the_interface_contradicts(
    tmp_path, capsys, old, new, message
):
    registry = _edited_registry(tmp_path, old, new)
    code = main(["--registry", str(registry), "standards", "check"])
    out = capsys.readouterr().out
    assert code == 1
    assert message in out
    assert "parcel-api/2.1.0/standard.toml" in out


def test_standards_show_lists_the_classes_and_conventions(capsys):
    code = main(["--registry", str(REGISTRY), "standards", "show", "parcel-api@2.1.0"])
    out = capsys.readouterr().out
    assert code == 0
    assert (
        "conforms to: core, correlation, errors, fuzzing, pagination, transport" in out
    )
    assert "version header: Api-Version: 2.1" in out
    assert "version request: Api-Version: 3 (refused with 400 or 406)" in out
    assert "pagination: page (items at /data)" in out
