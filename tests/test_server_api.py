"""The service's own API is a standard we probe: ``conformance run`` passes.

The API is described as ``compliance-service@1.0.0`` in a user registry
(tests/data/registries/central); its openapi.yaml is the one the service
serves. A real ``conformance serve`` holds two pushed runs, and the suite
probes it with the exchange rules, fuzzing included.
"""

from __future__ import annotations

import json
from pathlib import Path

import requests
from server_helpers import ROOT, issue, make_report, serving

from conformance.cli.main import main

REGISTRY = Path(__file__).parent / "data" / "registries" / "central"


def test_the_registrys_document_is_the_one_the_service_serves():
    served = (ROOT / "conformance" / "server" / "openapi.yaml").read_bytes()
    described = (
        REGISTRY / "compliance-service" / "1.0.0" / "openapi.yaml"
    ).read_bytes()
    assert served == described


def test_the_registry_describing_the_service_passes_its_own_checks(capsys):
    # The standard is held to what any agency's standard is held to:
    # enough examples, each invalid one breaking the rule it names.
    code = main(["--registry", str(REGISTRY), "standards", "check"])
    out = capsys.readouterr().out
    assert code == 0, out[-3000:]
    assert "0 failed" in out


def test_conformance_run_against_the_services_api_passes(tmp_path, capsys):
    database = str(tmp_path / "central.sqlite")
    token = issue(database, "mia")
    with serving(database) as url:
        pushed = [
            requests.post(
                f"{url}/api/v1/runs",
                data=make_report("mia", failing=failing),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).json()
            for failing in (False, True)
        ]
        certified = pushed[0]
        profile = tmp_path / "executive-group.toml"
        profile.write_text(
            "[agency]\n"
            'id = "executive-group"\n'
            'name = "Executive group"\n'
            "[[services]]\n"
            'id = "central"\n'
            'standard = "compliance-service@1.0.0"\n'
            f'base_url = "{url}"\n'
            "rate_limit = 1000\n"
            "[services.test_data]\n"
            f'existing = {{ agencyId = ["mia"], runId = ["{certified["runId"]}"],'
            f' sha256 = ["{certified["sha256"]}"] }}\n'
            'missing = { agencyId = ["nobody"],'
            ' runId = ["00000000-0000-4000-8000-000000000000"],'
            f' sha256 = ["{"0" * 64}"] }}\n',
            encoding="utf-8",
        )
        reports = tmp_path / "reports"
        code = main(
            [
                "--registry", str(REGISTRY), "run", "--agency", str(profile),
                "--reports-dir", str(reports), "--no-history", "--fuzz-seed", "7",
            ]
        )  # fmt: skip
    out = capsys.readouterr().out
    results = json.loads((reports / "conformance-report.json").read_text("utf-8"))[
        "results"
    ]
    failing = {
        r["id"]: r.get("findings")
        for r in results
        if r["outcome"] in ("failed", "error")
    }
    assert code == 0, (failing, out[-3000:])
    passed = {
        r["id"].rsplit(":", 2)[-2:][1] for r in results if r["outcome"] == "passed"
    }
    for check in ("correlation-id", "standard-declared", "unsupported-version",
                  "problem-details", "unknown-resource", "pagination", "no-internals",
                  "fuzz-invalid"):  # fmt: skip
        assert check in passed, check
