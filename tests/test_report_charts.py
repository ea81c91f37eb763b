"""The static reports' headline, agency rows, charts and translations.

The axis of a score chart is a pure function, tested on its own; the pages
are rendered from real runs (the report model, a real SQLite history) and
read back. The browser half (the drop is visible on screen) is in
test_dashboard_browser.py.
"""

from __future__ import annotations

import re

import pytest
from report_helpers import scored_run

from conformance.history import open_history
from conformance.model import Outcome, Result
from conformance.probing.checks import all_checks
from conformance.probing.checks.context import OGC_CLASSES
from conformance.probing.conventions import SERVICE_CLASSES, SUITE_CLASSES
from conformance.registry.standards import Registry
from conformance.reporting.charts import axis_range, score_chart
from conformance.reporting.dashboard import build_dashboard, render_dashboard
from conformance.reporting.i18n import CHECK_TITLES, CLASS_NAMES, check_title
from conformance.reporting.writers.html import render_html
from conformance.results.run import Target
from conformance.results.scores import tally
from conformance.results.standing import headline, latest_standings


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.open()


# -- the axis ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([1.0, 13 / 14], (85, 100)),  # 100 % -> 93 %: not 0..100
        ([1.0, 0.93], (85, 100)),  # 93 exactly stays above the bottom step
        ([1.0, 1.0], (90, 100)),  # flat at the top: still ten percent tall
        ([0.97], (90, 100)),
        ([0.5, 0.75], (45, 75)),
        ([0.0, 0.02], (0, 10)),  # never below zero
        ([0.0, 1.0], (0, 100)),  # the whole range when the data spans it
        ([], (90, 100)),
    ],
)
def test_the_axis_fits_the_scores(scores, expected):
    assert axis_range(scores) == expected


@pytest.mark.parametrize(
    "scores", [[1.0, 0.93], [0.2, 0.21], [0.999], [0.0], [0.41, 0.97, 0.55]]
)
def test_the_axis_holds_every_score_within_0_to_100(scores):
    low, high = axis_range(scores)
    assert 0 <= low < high <= 100
    assert high - low >= 10
    assert all(low <= s * 100 <= high for s in scores)


def test_a_drop_from_100_to_93_fills_the_chart():
    chart = score_chart("overall", ["a", "b"], [1.0, 13 / 14])
    (_, y_full, *_), (_, y_drop, *_) = chart.points
    inner = chart.height - 2 * chart.pad
    # On a 0..100 axis the drop would move the point 7 % of the height.
    assert (y_drop - y_full) / inner > 0.4
    assert y_full == chart.pad  # 100 % is the top of the axis
    # The axis is labelled with the range it spans.
    assert [label for _, label in chart.ticks] == ["100%", "92.5%", "85%"]


def test_a_missing_score_breaks_the_line():
    chart = score_chart("x", ["a", "b", "c"], [1.0, None, 0.5])
    assert len(chart.points) == 2 and len(chart.lines) == 2


# -- translations ------------------------------------------------------------


def test_every_class_has_both_names():
    classes = (*SERVICE_CLASSES, *SUITE_CLASSES, *OGC_CLASSES)
    missing = [c for c in classes if c not in CLASS_NAMES]
    assert missing == []
    for name in classes:
        az, en = CLASS_NAMES[name]
        assert az.strip() and en.strip(), name


def test_every_check_title_has_both_languages():
    checks = all_checks()
    assert sorted(set(checks) - set(CHECK_TITLES)) == []
    for check_id, spec in checks.items():
        az, en = CHECK_TITLES[check_id]
        # The English is the check's own title, so the two stay in step.
        assert en == spec.title, check_id
        assert az.strip() and az != en, check_id


def test_a_result_title_is_translated_with_its_target_and_operation():
    title = "mia:population-register: The correlation id is echoed (GET /persons/{fin})"
    assert check_title("correlation-id", title) == (
        "mia:population-register: Korrelyasiya identifikatoru geri qaytarılır"
        " (GET /persons/{fin})",
        title,
    )
    # A title the catalogue does not know (another version's) stays as it is.
    assert check_title("correlation-id", "x: Something else") == (
        "x: Something else",
        "x: Something else",
    )


def _service_run(registry, outcome_of_writes: Outcome):  # type: ignore[no-untyped-def]
    run = scored_run(registry, {"mia": ("person@1.1.0", 2, 0)})
    target = Target(
        id="mia:register", kind="service", agency="mia", standard="person@1.1.0"
    )
    run.targets.append(target)
    rules = "exchange-rules@1.2.0"
    for check, klass, outcome in (
        ("correlation-id", "correlation", Outcome.PASSED),
        ("invalid-request", "writes", outcome_of_writes),
        ("create-retrievable", "writes", outcome_of_writes),
    ):
        spec = all_checks()[check]
        run.add(
            Result(
                id=f"{target.id}:{check}",
                title=f"{target.id}: {spec.title} (GET /persons)",
                outcome=outcome,
                target=target.id,
                standard=rules,
                kind="service",
                evidence={
                    "check": check,
                    "conformance_class": klass,
                    "agency": "mia",
                    "service": target.id,
                },
            )
        )
    return run


def _class_row(page: str, klass: str) -> str:
    found = re.search(rf'<tr data-class="{klass}">.*?</tr>', page, re.S)
    assert found, klass
    return found.group(0)


def test_a_class_that_did_not_apply_is_not_incomplete(registry):
    page = render_html(_service_run(registry, Outcome.NOT_APPLICABLE), lang="en")
    writes = _class_row(page, "writes")
    assert "badge incomplete" not in writes
    assert "badge not-applicable" in writes
    # A class that did apply keeps its status.
    assert "badge conformant" in _class_row(page, "correlation")
    # And one that could not be checked is still incomplete.
    page = render_html(_service_run(registry, Outcome.ERROR), lang="en")
    assert "badge incomplete" in _class_row(page, "writes")


def test_not_applicable_only_is_a_status_of_its_own(registry):
    run = _service_run(registry, Outcome.NOT_APPLICABLE)
    writes = tally(
        r for r in run.results if r.evidence.get("conformance_class") == "writes"
    )
    assert writes.class_status() == "not-applicable"
    assert tally(run.results).class_status() == "conformant"


def test_the_report_translates_classes_and_check_titles(registry):
    page = render_html(_service_run(registry, Outcome.FAILED), lang="az")
    assert "Yazma əməliyyatları" in page and "Writes" in page
    assert "Korrelyasiya identifikatoru geri qaytarılır (GET /persons)" in page
    # The failure's class is translated too, in the evidence section.
    assert '<dd><span class="l-az" lang="az">Yazma əməliyyatları</span>' in page


# -- headline and agency rows -------------------------------------------------


def test_the_report_has_the_headline_and_one_row_per_agency(registry):
    run = scored_run(
        registry,
        {
            "mia": ("person@1.1.0", 3, 0),
            "tax": ("person@1.2.0", 2, 1),
            "edu": ("person@1.2.0", 4, 0),
        },
    )
    page = render_html(run, lang="en")
    assert (
        '<span class="l-en" lang="en">2 of 3 agencies meet every MUST requirement'
        " of the standards they implement</span>"
    ) in page
    assert "2 / 3 qurum tətbiq etdiyi standartların bütün MƏCBURİ tələblərinə" in page
    rows = re.findall(r'<tr data-agency="([^"]+)">(.*?)</tr>', page, re.S)
    assert [agency for agency, _ in rows] == ["edu", "mia", "tax"]
    by_agency = dict(rows)
    assert 'data-ref="person@1.2.0" data-status="non-conformant"' in by_agency["tax"]
    assert 'data-ref="person@1.1.0" data-status="conformant"' in by_agency["mia"]
    assert "badge non-conformant" in by_agency["tax"]


def test_the_report_charts_the_score_per_standard_on_a_fitting_axis(registry):
    run = scored_run(
        registry, {"mia": ("person@1.1.0", 14, 0), "tax": ("person@1.2.0", 13, 1)}
    )
    page = render_html(run, lang="en")
    svg = re.search(r'<figure data-chart="by-standard">.*?</figure>', page, re.S)
    assert svg
    assert 'data-low="85" data-high="100"' in svg.group(0)
    assert ">85%</text>" in svg.group(0) and ">100%</text>" in svg.group(0)


def test_the_dashboard_has_the_headline_rows_and_a_fitting_axis(registry, tmp_path):
    store = open_history(tmp_path / "history.sqlite")
    before = scored_run(
        registry,
        {"mia": ("person@1.1.0", 14, 0), "tax": ("person@1.2.0", 14, 0)},
        started="2026-01-05T10:00:00+00:00",
    )
    after = scored_run(
        registry,
        {"mia": ("person@1.1.0", 13, 1), "tax": ("person@1.2.0", 14, 0)},
        started="2026-01-06T10:00:00+00:00",
    )
    store.save(before)
    store.save(after)
    page = render_dashboard(build_dashboard(store, registry), lang="en")
    assert "1 of 2 agencies meet every MUST requirement" in page
    rows = dict(
        re.findall(r'<tr data-agency="([^"]+)"><td><b>.*?</b>(.*?)</tr>', page, re.S)
    )
    assert 'data-status="non-conformant"' in rows["mia"]
    assert 'data-status="conformant"' in rows["tax"]
    mia = re.search(r'<figure data-chart="mia">.*?</figure>', page, re.S)
    assert mia and 'data-low="85" data-high="100"' in mia.group(0)
    cys = [
        float(y)
        for y in re.findall(
            r'<circle class="dot[^"]*" cx="[^"]+" cy="([^"]+)"', mia.group(0)
        )
    ]
    assert len(cys) == 2 and cys[1] - cys[0] > 0.4 * (150 - 2 * 32)


def test_the_static_and_central_headlines_are_one_computation(registry):
    # The central service's rows are built on results.standing: same answer.
    from conformance.history.central import Push
    from conformance.server.views import agency_row

    run = scored_run(
        registry, {"mia": ("person@1.1.0", 3, 0), "tax": ("person@1.2.0", 2, 1)}
    )
    static = headline(latest_standings([run]))
    central = [
        agency_row(
            Push(
                run_id=run.id,
                agency=a,
                token_id="t",
                sha256="",
                size=0,
                started="",
                received="",
                verdict="",
            ),
            run,
            registry,
        )
        for a in ("mia", "tax")
    ]
    assert (static.meeting, static.agencies) == (1, 2)
    assert [r.meets_every_must for r in central] == [True, False]
