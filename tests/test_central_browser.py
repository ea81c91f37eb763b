"""The served pages in a real headless browser (Debian's chromium).

Click through the live dashboard, an agency page and a run page in both
languages; check a badge and a certificate's verification URL. Each page
must log no console error (the Content-Security-Policy blocks anything
that was not ours) and run no script from a report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from server_helpers import issue, make_report, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parent.parent / "reports" / "test-artifacts"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs it")
    pytest.skip(
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> Iterator[tuple[str, dict[str, Any]]]:
    """A service holding a conformant and a failing run of mia, one of tax."""
    database = str(tmp_path_factory.mktemp("central") / "central.sqlite")
    tokens = {a: issue(database, a) for a in ("mia", "tax")}
    with serving(database) as url:
        pushed = {}
        for name, agency, failing in (
            ("good", "mia", False),
            ("tax", "tax", False),
            ("bad", "mia", True),
        ):
            reply = requests.post(
                f"{url}/api/v1/runs", data=make_report(agency, failing=failing),
                headers={"Authorization": f"Bearer {tokens[agency]}"}, timeout=30,
            )  # fmt: skip
            assert reply.status_code == 201, reply.text
            pushed[name] = reply.json()
        yield url, pushed


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _page(browser: Any) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return page, errors, dialogs


@pytest.mark.parametrize("lang", ["az", "en"])
def test_dashboard_to_agency_to_run_in_both_languages(central, browser, lang):
    url, _ = central
    page, errors, dialogs = _page(browser)
    page.goto(f"{url}/?lang={lang}")
    other = "en" if lang == "az" else "az"
    headline = page.locator("#headline")
    expected = {
        "en": "1 of 2 agencies meet every MUST requirement of the standards they implement",
        "az": "1 / 2 qurum tətbiq etdiyi standartların bütün MƏCBURİ tələblərinə cavab verir",
    }
    assert headline.inner_text().strip() == expected[lang]
    # The switch shows the other language in place.
    page.click(f"#lang-{other}")
    assert headline.inner_text().strip() == expected[other]
    page.click(f"#lang-{lang}")
    rows = page.locator("#agencies tbody tr")
    assert rows.count() == 2
    page.click("#agencies tr[data-agency=mia] a.agency-link")
    page.wait_for_selector("#agency-id")
    assert page.locator("#agency-id").inner_text() == "mia"
    assert page.locator("#runs tbody tr").count() == 2
    page.screenshot(path=str(ARTIFACTS / f"central-agency-{lang}.png"), full_page=True)
    # The newest run (the failing one) and its evidence, escaped.
    page.click("#runs tbody tr:first-child a.run-link")
    page.wait_for_selector("article.failure")
    failure = page.locator("article.failure").first.inner_text()
    assert "<script>alert(1)</script>" in failure
    assert dialogs == []
    page.screenshot(path=str(ARTIFACTS / f"central-run-{lang}.png"), full_page=True)
    assert errors == []
    page.close()


def test_a_badge_and_a_certificates_verification_url(central, browser):
    url, pushed = central
    page, errors, _ = _page(browser)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    badge = page.goto(f"{url}/badges/tax/person.svg")
    assert badge.headers["content-type"].startswith("image/svg+xml")
    assert "tax · person: conformant" in page.locator("svg title").text_content()
    certificate = pushed["good"]["certificate"]
    page.goto(certificate + "?lang=en")
    assert page.locator("#cert-agency").inner_text().startswith("mia")
    assert page.locator("#cert-sha256").inner_text() == pushed["good"]["sha256"]
    assert "person@1.1.0" in page.locator("#cert-standards").inner_text()
    page.screenshot(path=str(ARTIFACTS / "central-certificate.png"), full_page=True)
    page.click("#verify-url")
    page.wait_for_selector("#verified")
    assert page.locator("#verify-agency").inner_text() == "mia"
    # A failing run has no certificate; an unknown hash verifies nothing.
    assert (
        requests.get(
            f"{url}/certificates/{pushed['bad']['sha256']}", timeout=10
        ).status_code
        == 404
    )
    assert errors == []
    missing = page.goto(f"{url}/verify/{'0' * 64}")
    assert missing.status == 404
    assert page.locator("#not-verified").count() == 1
    page.close()
