"""The seed's screens in a real browser: login, employer choice, tiles, detail, forms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from tests.browser.conftest import axe_violations, wait_for_count, wait_until
from tests.factories import grant, join, make_mandatary, make_user, mandate
from tests.web.conftest import build_employer, declare_training

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    acme, acme_workers = build_employer(6, "Acme Logistics", trainings=3)
    beta, _ = build_employer(3, "Beta Bakery", trainings=1)
    caller = Caller.for_system("tests")
    today = timezone.localdate()
    # One planned training already over (warning tile) and one starting soon.
    declare_training(
        caller,
        acme,
        acme_workers[3],
        "P-OVER",
        status="planned",
        start_date=(today - dt.timedelta(days=10)).isoformat(),
        end_date=(today - dt.timedelta(days=9)).isoformat(),
    )
    declare_training(
        caller,
        acme,
        acme_workers[4],
        "P-SOON",
        status="planned",
        title="Veilig heftruck rijden",
        start_date=(today + dt.timedelta(days=5)).isoformat(),
        end_date=(today + dt.timedelta(days=5)).isoformat(),
    )
    # Declared legal rights of 5 days (38 h) for last year and this year.
    for year in (today.year - 1, today.year):
        outcomes = submit(
            caller,
            [
                Declaration(
                    "rights",
                    acme.enterprise_number,
                    {"insz": w.insz, "year": year, "legal_minutes": 38 * 60},
                )
                for w in acme_workers
            ],
        )
        assert all(o.accepted for o in outcomes)
    secretariat = make_mandatary("Sociaal Secretariaat Demo")
    mandate(secretariat, acme)
    mandate(secretariat, beta)
    agent = make_user("agent", first_name="Marc", last_name="Mandataris")
    join(agent, secretariat)
    hr = make_user("hr", first_name="Hilde", last_name="Ranst")
    grant(hr, acme, "declare")
    return {"acme": acme, "beta": beta, "workers": acme_workers}


def submit_confirming_warnings(page) -> None:
    """Submit; if the write path answers with warnings only, confirm them."""
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    if page.get_by_test_id("confirm-warnings").count():
        page.get_by_test_id("confirm-warnings").check()
        page.get_by_test_id("submit").click()


def login_as(page, username: str) -> None:
    page.goto("/")
    page.get_by_test_id("start-login").click()
    page.get_by_test_id(f"demo-login-{username}").click()


def test_login_choose_employer_and_click_each_kind_of_tile(page, world, screenshot_dir):
    login_as(page, "agent")
    # A mandatary with two employers picks one.
    expect(page.locator("h1")).to_have_text("Werkgever kiezen")
    page.get_by_test_id(f"choose-{world['acme'].enterprise_number}").click()
    expect(page.get_by_test_id("current-employer")).to_contain_text("Acme Logistics")
    expect(page.locator("h1")).to_have_text("Dashboard")
    wait_for_count(page, "canvas[data-drawn]", 2)
    page.screenshot(path=str(screenshot_dir / "dashboard.png"), full_page=True)

    # Progress tile: the workers still to act on.
    page.get_by_test_id("tile-training").click()
    expect(page.get_by_test_id("filter-label")).to_contain_text("zonder opleiding")
    assert page.locator("#workers-table tbody tr").count() == 3
    # Warning tile: the planned trainings whose end date has passed.
    page.goto("/app/dashboard/")
    page.get_by_test_id("tile-overdue").click()
    expect(page.get_by_test_id("filter-label")).to_be_visible()
    expect(page.locator("#trainings-table tbody")).to_contain_text("P-OVER")
    assert page.locator("#trainings-table tbody tr").count() == 1
    page.goto("/app/dashboard/")
    page.get_by_test_id("tile-upcoming").click()
    expect(page.locator("#trainings-table tbody")).to_contain_text("Veilig heftruck rijden")
    # Informative tile.
    page.goto("/app/dashboard/")
    page.get_by_test_id("tile-workers").click()
    assert page.locator("#workers-table tbody tr").count() == 6

    # The switcher in the header changes the employer at any time.
    page.select_option("#employer-switch", label="Beta Bakery")
    page.get_by_role("button", name="Wisselen").click()
    expect(page.get_by_test_id("current-employer")).to_contain_text("Beta Bakery")


def test_open_a_worker_and_see_the_gauge(page, world, screenshot_dir):
    login_as(page, "hr")
    page.locator("#workers-table tbody tr").first.get_by_role("link", name="Detail").click()
    gauge = page.get_by_test_id("gauge")
    expect(gauge).to_be_visible()
    expect(gauge.locator("svg path.gauge-track")).to_have_count(1)
    expect(page.get_by_test_id("year-table")).to_be_visible()
    wait_for_count(page, "canvas[data-drawn]", 1)
    page.screenshot(path=str(screenshot_dir / "worker-detail.png"), full_page=True)


def test_switch_the_language(page, world):
    login_as(page, "hr")
    expect(page.locator("h1")).to_have_text("Dashboard")
    for code, heading in (("fr", "Tableau de bord"), ("de", "Übersicht"), ("en", "Dashboard")):
        page.select_option("#language", code)
        page.get_by_test_id("language-submit").click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(page.locator("h1")).to_have_text(heading)
    expect(page.get_by_test_id("tile-workers")).to_contain_text("Workers")


def test_declare_a_training_with_a_blocking_error_then_fix_it(page, world):
    login_as(page, "hr")
    worker = world["workers"][5]
    page.goto(f"/app/workers/{worker.pk}/trainings/new/")
    page.fill("#f-title", "Brandveiligheid")
    page.select_option("#f-kind", "formal")
    page.fill("#f-start_date", "2025-03-10")
    page.fill("#f-end_date", "2025-03-01")
    page.fill("#f-duration_minutes", "3:30")
    page.select_option("#f-status", "completed")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("review")).to_be_visible()
    issue = page.get_by_test_id("issues-end_date")
    expect(issue).to_contain_text("E006")
    expect(issue).to_contain_text("De einddatum ligt voor de begindatum")
    # A blocking error offers no confirmation.
    expect(page.get_by_test_id("confirm-warnings")).to_have_count(0)
    page.fill("#f-end_date", "2025-03-11")
    submit_confirming_warnings(page)
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("h1")).to_have_text("Brandveiligheid")
    expect(page.get_by_test_id("history")).to_contain_text("Hilde Ranst")


def test_search_in_the_large_enterprise_version(page, world, settings):
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
    login_as(page, "hr")
    expect(page.locator("h1")).to_have_text("Zoek een werknemer")
    expect(page.get_by_test_id("search-results")).to_contain_text(
        "Gelieve een zoekopdracht uit te voeren"
    )
    page.fill("#s-last", "Janssens002")
    page.get_by_test_id("search-submit").click()
    rows = page.locator("[data-testid=search-results] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Anna2")
    # The INSZ search travels by POST, never in the URL.
    page.fill("#s-last", "")
    page.fill("#s-insz", world["workers"][1].insz)
    page.get_by_test_id("search-submit").click()
    expect(rows.first).to_contain_text("Anna1")
    assert world["workers"][1].insz not in page.url
    rows.first.get_by_role("link", name="Anna1").click()
    expect(page.get_by_test_id("gauge")).to_be_visible()


def test_several_workers_get_one_training(page, world, settings):
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
    login_as(page, "hr")
    page.fill("#s-last", "Janssens")
    page.get_by_test_id("search-submit").click()
    expect(page.locator("[data-testid=search-results] tbody tr")).to_have_count(6)
    page.locator("input[data-select-all]").check()
    page.get_by_test_id("bulk-declare").click()
    expect(page.get_by_test_id("bulk-workers").locator("li")).to_have_count(6)
    page.fill("#f-reference", "EHBO-2025")
    page.fill("#f-title", "EHBO")
    page.select_option("#f-kind", "formal")
    page.fill("#f-start_date", "2025-05-06")
    page.fill("#f-end_date", "2025-05-06")
    page.fill("#f-duration_minutes", "4")
    page.select_option("#f-status", "completed")
    submit_confirming_warnings(page)
    expect(page.locator(".message-success")).to_contain_text("6")
    expect(page.locator("#trainings-table tbody")).to_contain_text("EHBO-2025-6")


@pytest.mark.parametrize("path", ["/", "dashboard", "worker", "training_form", "search"])
def test_axe_finds_no_serious_violations(page, world, settings, path):
    if path == "/":
        page.goto("/")
    else:
        login_as(page, "hr")
        worker = world["workers"][0]
        urls = {
            "dashboard": "/app/dashboard/",
            "worker": f"/app/workers/{worker.pk}/",
            "training_form": f"/app/workers/{worker.pk}/trainings/new/",
        }
        if path == "search":
            settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
            page.goto("/app/search/")
            page.fill("#s-last", "Janssens")
            page.get_by_test_id("search-submit").click()
            page.locator("[data-testid=search-results] tbody tr").first.wait_for()
        else:
            page.goto(urls[path])
        if path == "training_form":
            page.get_by_test_id("submit").click()
            page.get_by_test_id("review").wait_for()
    assert axe_violations(page) == []


def _tooltip_of_the_tallest_bar(page, selector: str) -> list[str]:
    """Hover over the tallest bar of the chart and read the lines of its tooltip."""
    canvas = page.locator(selector)
    canvas.scroll_into_view_if_needed()
    point = canvas.evaluate(
        """c => {
            const chart = Chart.getChart(c);
            const values = chart.data.datasets[0].data;
            const i = values.indexOf(Math.max(...values));
            const bar = chart.getDatasetMeta(0).data[i];
            return {x: bar.x, y: (bar.y + bar.base) / 2};
        }"""
    )
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    wait_until(lambda: canvas.evaluate("c => Chart.getChart(c).tooltip.opacity > 0"))
    return canvas.evaluate("c => Chart.getChart(c).tooltip.body.flatMap(b => b.lines)")


def test_the_charts_tooltips_tell_hours_as_h_mm(page, world):
    login_as(page, "hr")
    wait_for_count(page, "canvas[data-drawn]", 2)
    for line in _tooltip_of_the_tallest_bar(page, "canvas[data-source='chart-per-year']"):
        assert re.fullmatch(r".+: \d+:[0-5]\d", line), line
    # The worker's own chart: one training of 7:30 in its year.
    page.goto(f"/app/workers/{world['workers'][0].pk}/")
    wait_for_count(page, "canvas[data-drawn]", 1)
    lines = _tooltip_of_the_tallest_bar(page, "canvas[data-source='chart-worker']")
    assert lines == ["Totaal uren: 7:30"]
