"""Agency profiles: checked against their schema, with messages that say what to fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from profile_helpers import profile_text

from conformance.errors import UsageError
from conformance.probing.plan import opened, plan
from conformance.probing.profiles import load_profile, load_profiles
from conformance.registry.standards import Registry

COMMAND = str(Path(sys.executable).parent / "conformance")


def _write(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "mia.toml"
    text = profile_text(base_url=url, service_lines=(extra,))
    path.write_text(text, encoding="utf-8")
    return path


def test_a_service_profile_reads(tmp_path):
    profile = load_profile(
        _write(
            tmp_path, "https://api.mia.gov.az", 'token_env = "MIA_TOKEN"\ntimeout = 3'
        )
    )
    (service,) = profile.services
    assert service.id == "mia:population-register"
    assert service.token_env == "MIA_TOKEN"
    assert service.timeout == 3
    assert service.existing == {"fin": ("83EB3H4",)}
    assert not service.allow_writes  # read-only unless the profile says so


@pytest.mark.parametrize(
    ("url", "extra", "message"),
    [
        ("http://api.mia.gov.az", "", "plain HTTP"),
        (
            "https://api.mia.gov.az",
            'faults = ["slow"]',
            "only be switched on for the reference",
        ),
        ("https://api.mia.gov.az", 'token = "abc"', "unknown key 'token'"),
        ("https://api.mia.gov.az", 'token_env = "mia-token"', "token_env"),
        ("https://api.mia.gov.az", "timout = 3", "did you mean 'timeout'"),
        (
            "reference",
            'faults = ["lose-corelation-id"]',
            "unknown fault 'lose-corelation-id'; did you mean 'lose-correlation-id'?",
        ),
        ("ftp://api.mia.gov.az", "", "base_url"),
        ("https://api.mia.gov.az", 'ca_bundle = "nowhere.pem"', "does not exist"),
        # Read as loopback by one parser and as api.example.org by the HTTP
        # library: it must not pass the "plain HTTP only on loopback" rule.
        ("http://api.example.org\\\\@127.0.0.1:8080", "", "base_url"),
        ("http://api.example.org\\\\@127.0.0.1:8080", "", "backslash"),
        ("https://user:secret@api.mia.gov.az", "", "user-info"),
    ],
)
def test_profile_mistakes_are_usage_errors(tmp_path, url, extra, message):
    with pytest.raises(UsageError) as raised:
        load_profile(_write(tmp_path, url, extra))
    assert message in str(raised.value)
    assert str(tmp_path / "mia.toml") in str(raised.value)


def test_a_base_url_with_credentials_is_refused_without_repeating_them(tmp_path):
    with pytest.raises(UsageError) as raised:
        load_profile(_write(tmp_path, "https://user:s3cr3t-pw@api.mia.gov.az"))
    assert "base_url" in str(raised.value)
    assert "s3cr3t-pw" not in str(raised.value)


def test_an_interface_server_that_is_ambiguous_is_refused(tmp_registry, tmp_path):
    interface = tmp_registry / "person" / "1.2.0" / "openapi.yaml"
    text = interface.read_text(encoding="utf-8")
    assert "  - url: /person/v1\n" in text
    interface.write_text(
        text.replace("  - url: /person/v1\n", "  - url: /person\\v1\n"),
        encoding="utf-8",
    )
    profile = load_profile(_write(tmp_path, "https://api.mia.gov.az"))
    with pytest.raises(UsageError) as raised:
        plan(Registry.open(tmp_registry), list(profile.services))
    message = str(raised.value)
    assert "person@1.2.0" in message
    assert "servers" in message
    assert "backslash" in message


def _client_limits(registry, tmp_path, lines: str):
    profile = load_profile(_write(tmp_path, "http://127.0.0.1:9", lines))
    (target,) = profile.services
    with opened(registry) as services:  # no request is sent
        return target, services.context(target).client.limits


def test_the_total_deadline_is_three_timeouts_by_default(registry, tmp_path):
    target, limits = _client_limits(registry, tmp_path, "timeout = 2")
    assert target.total_timeout == 6
    assert (limits.connect_timeout, limits.read_timeout) == (2, 2)
    assert limits.total_timeout == 6  # no hidden floor


def test_the_total_deadline_is_a_profile_setting(registry, tmp_path):
    target, limits = _client_limits(
        registry, tmp_path, "timeout = 2\ntotal_timeout = 4.5"
    )
    assert target.total_timeout == 4.5
    assert limits.total_timeout == 4.5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "total_timeout: 0 is less than or equal to the minimum of 0"),
        ('"30"', "total_timeout: '30' is not of type 'number'"),
        ("100000", "total_timeout: 100000 is greater than the maximum of 3600"),
    ],
)
def test_a_wrong_total_deadline_is_a_usage_error(tmp_path, value, message):
    with pytest.raises(UsageError) as raised:
        load_profile(
            _write(tmp_path, "https://api.mia.gov.az", f"total_timeout = {value}")
        )
    assert message in str(raised.value)


def test_plain_http_is_allowed_on_loopback(tmp_path):
    (service,) = load_profile(_write(tmp_path, "http://127.0.0.1:8080")).services
    assert service.base_url == "http://127.0.0.1:8080"


def test_two_profiles_for_one_agency_are_refused(tmp_path):
    first = _write(tmp_path, "https://api.mia.gov.az")
    second = tmp_path / "again.toml"
    second.write_text(first.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(UsageError, match="agency id 'mia' is also used"):
        load_profiles([tmp_path])


def test_a_dry_run_lists_requests_and_sends_none(tmp_path, loopback_counter):
    profile = _write(
        tmp_path,
        f"http://127.0.0.1:{loopback_counter.port}",
        'token_env = "MIA_TOKEN"\nallow_writes = true',
    )
    reports = tmp_path / "reports"
    done = subprocess.run(
        [
            COMMAND,
            "run",
            "--agency",
            str(profile),
            "--reports-dir",
            str(reports),
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert loopback_counter.connections == []
    listed = (reports / "dry-run.txt").read_text(encoding="utf-8").splitlines()
    assert len(listed) > 20
    assert all(line.startswith("curl ") for line in listed)
    assert any("-X POST" in line for line in listed)
    assert "nothing was sent" in done.stdout


def test_every_request_sent_is_in_the_audit_log(tmp_path):
    profile = tmp_path / "ref.toml"
    profile.write_text(
        profile_text(
            service_lines=("latency_objective_ms = 5000", "latency_samples = 5")
        ),
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    done = subprocess.run(
        [COMMAND, "run", "--agency", str(profile), "--reports-dir", str(reports)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    audit = [
        json.loads(line)
        for line in (reports / "audit.log").read_text("utf-8").splitlines()
    ]
    report = json.loads((reports / "conformance-report.json").read_text("utf-8"))
    in_evidence = sum(
        len(r.get("evidence", {}).get("exchanges", [])) for r in report["results"]
    )
    # The latency check keeps one sample as evidence; the log has them all.
    assert len(audit) >= in_evidence > 20
    assert {entry["service"] for entry in audit} == {"mia:population-register"}
    assert all(entry["method"] == "GET" for entry in audit)  # writes not allowed
