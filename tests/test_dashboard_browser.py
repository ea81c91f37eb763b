"""The HTML report and the dashboard in a real headless browser.

Debian's chromium (installed by ``make test``), driven by Playwright. One
browser for the module. Each page is opened from disk, must log no console
error, and leaves a screenshot in reports/test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_helpers import (
    ARTIFACTS,
    QUICK_CHECKS,
    run_against_hostile,
    write_profile,
)

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network is closed: without these Chromium waits on refused
# connections (updates, sync, QUIC probes) before it shows a page.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REGRESSION = "mia:population-register:getPerson:correlation-id"

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: `make test` installs it")
    pytest.skip(
        f"{CHROMIUM} is missing: `make test` installs Debian's chromium",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module, with a fresh profile folder."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


class Page:
    """A page opened from disk, with every console error and dialog it caused."""

    def __init__(self, context: Any, path: Path) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(path.resolve().as_uri())

    def shot(self, name: str, *, full: bool = False) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)

    def close(self) -> None:
        assert self.errors == [], self.errors
        self.page.close()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> Path:
    """Two runs against the reference service; the second with a fault on."""
    folder = tmp_path_factory.mktemp("dashboard")
    reports = folder / "reports"
    from conformance.cli.main import main

    good = write_profile(folder / "before")
    faulty = write_profile(folder / "after", faults=("lose-correlation-id",))
    for profile, expected in ((good, 0), (faulty, 1)):
        code = main(
            [
                "run",
                "--agency",
                str(profile),
                "--reports-dir",
                str(reports),
                *QUICK_CHECKS,
            ]
        )
        assert code == expected
    return reports


def test_the_dashboard_shows_the_regression(browser, two_runs):
    page = Page(browser, two_runs / "dashboard.html")
    p = page.page
    cell = p.locator('td.cell[data-agency="mia"][data-standard="person"]')
    assert cell.get_attribute("data-status") == "non-conformant"
    regressions = p.locator('table.changes[data-kind="regression"] tr[data-result]')
    assert regressions.count() == 1
    row = regressions.first
    assert row.get_attribute("data-result") == REGRESSION
    assert row.locator("td").nth(4).locator(".badge.passed").count() == 1  # before
    assert row.locator("td").nth(5).locator(".badge.failed").count() == 1  # now
    assert p.locator("#regressions").is_visible()
    # the regression links to its evidence: the request and the reply
    row.locator("a").click()
    target = p.locator("article.failure:target")
    assert target.is_visible()
    assert "X-Correlation-ID" in target.inner_text()
    assert "curl -i" in target.inner_text()
    # trends: the overall chart has a point per run, the last one failing
    chart = p.locator('figure[data-chart="overall"] svg')
    assert chart.locator("circle").count() == 2
    assert chart.locator("circle.bad").count() == 1
    # the primary source of person data is MIA, whose service now fails
    owner = p.locator('#primary-table tr[data-standard="person"]')
    assert "mia" in owner.inner_text()
    assert owner.locator(".badge.non-conformant").count() == 1
    page.shot("dashboard-regression", full=True)
    page.close()


def test_the_dashboard_switches_language(browser, two_runs):
    page = Page(browser, two_runs / "dashboard.html")
    p = page.page
    heading = p.locator("h1")
    assert heading.inner_text() == "Uyğunluq paneli"  # Azerbaijani by default
    p.locator("#lang-en").click()
    assert heading.inner_text() == "Compliance dashboard"
    assert p.title() == "Compliance dashboard"
    assert p.locator("html").get_attribute("lang") == "en"
    assert p.locator("#regressions").inner_text().startswith("Regressions")
    page.shot("dashboard-en")
    p.locator("#lang-az").click()
    assert heading.inner_text() == "Uyğunluq paneli"
    assert p.locator("#regressions").inner_text().startswith("Geriləmələr")
    page.close()


def test_the_report_filters_and_languages_work(browser, two_runs):
    page = Page(browser, two_runs / "report.html")
    p = page.page
    rows = p.locator('tr[data-filterable="result"]')
    total = rows.count()
    assert total > 4
    assert p.locator("#shown-count").inner_text() == f"{total} / {total}"
    p.select_option("#filter-outcome", "failed")
    visible = [r for r in rows.all() if r.is_visible()]
    assert len(visible) == 1
    # The check's title, in Azerbaijani first (the page's default language).
    assert "Korrelyasiya identifikatoru geri qaytarılır" in visible[0].inner_text()
    assert p.locator("#shown-count").inner_text() == f"1 / {total}"
    failures = p.locator("article.failure")
    assert [f.is_visible() for f in failures.all()] == [True]
    p.select_option("#filter-outcome", "passed")
    assert not failures.first.is_visible()
    p.select_option("#filter-level", "SHOULD")
    assert p.locator("#shown-count").inner_text() == f"0 / {total}"
    p.select_option("#filter-level", "")
    p.select_option("#filter-outcome", "")
    p.select_option("#filter-agency", "mia")
    assert p.locator("#shown-count").inner_text() == f"{total} / {total}"
    p.select_option("#filter-standard", "person@1.2.0")
    assert p.locator("#shown-count").inner_text() == f"{total} / {total}"
    # languages: the headings and the options of the filters follow
    assert p.locator("h1").inner_text() == "Uyğunluq hesabatı"
    p.locator("#lang-en").click()
    assert p.locator("h1").inner_text() == "Conformance report"
    assert p.locator("#filter-outcome option[value='failed']").inner_text() == "failed"
    assert p.locator("#failures h2").inner_text().startswith("Failures")
    assert "The correlation id is echoed" in visible[0].inner_text()
    assert "Korrelyasiya" not in visible[0].inner_text()
    page.shot("report-en", full=True)
    # printing hides the controls and keeps the evidence
    p.emulate_media(media="print")
    assert not p.locator("#filters").is_visible()
    assert not p.locator("#lang-en").is_visible()
    assert p.locator("article.failure").first.is_visible()
    p.emulate_media(media="screen")
    page.close()


def test_a_hostile_reply_does_not_run_in_the_reviewers_browser(
    browser, tmp_path, capsys
):
    code, _, _ = run_against_hostile(capsys, tmp_path, "content-type", "json-body")
    assert code == 1
    page = Page(browser, tmp_path / "reports" / "report.html")
    p = page.page
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert p.locator("article.failure img").count() == 0
    text = p.locator("#failures").inner_text()
    assert "<script>window.__pwned = 1;" in text  # shown as text, for the reviewer
    page.shot("report-hostile-reply", full=True)
    page.close()


@pytest.fixture(scope="module")
def a_drop(tmp_path_factory) -> Path:
    """A dashboard over two runs: mia drops from 100 % to 93 % (13 of 14)."""
    from report_helpers import scored_run

    from conformance.history import open_history
    from conformance.registry.standards import Registry
    from conformance.reporting.dashboard import write_dashboard

    folder = tmp_path_factory.mktemp("drop")
    registry = Registry.open()
    store = open_history(folder / "history.sqlite")
    for started, mia in (("2026-01-05", (14, 0)), ("2026-01-06", (13, 1))):
        agencies = {
            "mia": ("person@1.1.0", *mia),
            "tax": ("person@1.2.0", 14, 0),
        }
        store.save(scored_run(registry, agencies, started=f"{started}T10:00:00+00:00"))
    path = folder / "dashboard.html"
    write_dashboard(store, registry, path)
    return path


def test_a_drop_from_100_to_93_is_visible_on_the_dashboard(browser, a_drop):
    page = Page(browser, a_drop)
    p = page.page
    chart = p.locator('figure[data-chart="mia"] svg')
    svg = chart.bounding_box()
    dots = [c.bounding_box() for c in chart.locator("circle").all()]
    assert len(dots) == 2
    top = svg["y"] + float(chart.get_attribute("data-top"))
    bottom = svg["y"] + float(chart.get_attribute("data-bottom"))
    full, dropped = (d["y"] + d["height"] / 2 for d in dots)
    # On screen: the 7-point drop spans far more than 7 % of the plot.
    assert (dropped - full) / (bottom - top) > 0.4
    assert abs(full - top) < 1  # 100 % is the top of the axis
    ticks = [t.text_content() for t in chart.locator("text.tick").all()]
    assert ticks == ["100%", "92.5%", "85%"]
    page.shot("dashboard-drop")
    page.close()


def test_the_dashboard_headline_and_agency_rows_in_both_languages(browser, a_drop):
    page = Page(browser, a_drop)
    p = page.page
    headline = p.locator("#headline")
    assert headline.inner_text() == (
        "1 / 2 qurum tətbiq etdiyi standartların bütün MƏCBURİ tələblərinə cavab verir"
    )
    rows = p.locator("#standings tr[data-agency]")
    assert [r.get_attribute("data-agency") for r in rows.all()] == ["mia", "tax"]
    mia = p.locator('#standings tr[data-agency="mia"]')
    assert "person@1.1.0" in mia.inner_text()
    assert "uyğun deyil" in mia.inner_text()
    p.locator("#lang-en").click()
    assert headline.inner_text() == (
        "1 of 2 agencies meet every MUST requirement of the standards they implement"
    )
    assert "non-conformant" in mia.inner_text()
    assert "conformant" in p.locator('#standings tr[data-agency="tax"]').inner_text()
    page.shot("dashboard-headline-en")
    page.close()
