"""Accessibility of the online application (WCAG 2.1 AA, EN 301 549) in a real browser.

axe-core checks every main page, in Dutch and French, as an employer's manager and as a
social secretariat's agent, with and without form errors; it fails on any serious or
critical violation. What axe cannot judge is checked by hand here: the skip link, a focus
ring that contrasts with what surrounds it, the focus and the links of a form's findings,
errors tied to their fields, what the htmx search announces, and a table beside each chart.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fla.accounts.access import Caller
from fla.declarations.services import submit
from fla.declarations.types import Declaration
from tests.browser.conftest import (
    AXE,
    AXE_VERSION,
    axe_violations,
    batch_training,
    wait_for_count,
    write_batch_file,
)
from tests.factories import grant, join, make_mandatary, make_user, mandate
from tests.web.conftest import build_employer, declare_training

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db, settings):
    # Acme counts as a large enterprise: its pages include the search and the bulk form.
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
    acme, workers = build_employer(6, "Acme Logistics", trainings=3)
    beta, _ = build_employer(2, "Beta Bakery", trainings=1)
    caller = Caller.for_system("tests")
    today = timezone.localdate()
    declare_training(
        caller,
        acme,
        workers[3],
        "P-OVER",
        status="planned",
        start_date=(today - dt.timedelta(days=10)).isoformat(),
        end_date=(today - dt.timedelta(days=9)).isoformat(),
    )
    outcomes = submit(
        caller,
        [
            Declaration(
                "rights",
                acme.enterprise_number,
                {"insz": w.insz, "year": year, "legal_minutes": 38 * 60},
            )
            for year in (today.year - 1, today.year)
            for w in workers
        ],
    )
    assert all(o.accepted for o in outcomes)
    boss = make_user("boss", first_name="Bea", last_name="Baas")
    grant(boss, acme, "manage")
    secretariat = make_mandatary("Sociaal Secretariaat Demo")
    mandate(secretariat, acme)
    mandate(secretariat, beta)
    agent = make_user("agent", first_name="Marc", last_name="Mandataris")
    join(agent, secretariat)
    return {"acme": acme, "beta": beta, "workers": workers, "secretariat": secretariat}


def login_as(page, username: str, employer=None, language: str = "nl") -> None:
    page.goto("/")
    if language != "nl":
        page.select_option("#language", language)
        page.get_by_test_id("language-submit").click()
        expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_test_id("start-login").click()
    page.get_by_test_id(f"demo-login-{username}").click()
    if employer is not None and "/app/employer/" in page.url:
        page.get_by_test_id(f"choose-{employer.enterprise_number}").click()
    expect(page.get_by_test_id("current-employer")).to_be_visible()


def upload(page, path: Path | None) -> None:
    page.goto("/batch/upload/")
    if path is None:
        # What a browser that does not check "required" sends: the server's own answer.
        page.locator("#batch-file").evaluate("input => input.removeAttribute('required')")
    else:
        page.set_input_files("#batch-file", str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def batch_file(tmp_path, world, sender) -> Path:
    """A file for Acme sent by ``sender`` (Acme itself, or the secretariat that holds its
    mandate)."""
    # E011: a rejected line in the notification
    lines = [batch_training("B-1", world["workers"][0].insz, kind="unknown")]
    return write_batch_file(tmp_path, "ACME-A11Y", world["acme"], lines, sender)


def visit_main_pages(page, world, tmp_path, manager: bool):
    """Open every main page (and the answers of its forms); yield each page's name."""
    worker = world["workers"][0]
    for name, url in [
        ("dashboard", "/app/dashboard/"),
        ("workers", "/app/workers/"),
        ("workers without training", "/app/workers/?filter=no_training"),
        ("overdue trainings", "/app/trainings/?filter=overdue"),
        ("trainings", "/app/trainings/"),
        ("worker", f"/app/workers/{worker.pk}/"),
        ("rights form", f"/app/workers/{worker.pk}/rights/"),
        ("training form", f"/app/workers/{worker.pk}/trainings/new/"),
        ("size class", "/app/employer-years/"),
        ("batch files", "/batch/"),
        ("not found", "/app/workers/999999999/"),
    ]:
        page.goto(url)
        yield name
    page.goto(f"/app/workers/{worker.pk}/trainings/new/")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("review").wait_for()
    yield "training form with errors"
    page.goto(f"/app/workers/{worker.pk}/rights/")
    page.fill("#f-legal_minutes", "abc")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("review").wait_for()
    yield "rights form with errors"
    page.goto("/app/trainings/")
    page.locator("#trainings-table tbody a").first.click()
    yield "training"
    page.goto(page.url + "edit/")
    yield "training edit"
    page.goto(page.url.replace("/edit/", "/cancel/"))
    yield "training cancel"
    page.goto("/app/search/")
    page.fill("#s-last", "Janssens")
    page.get_by_test_id("search-submit").click()
    page.locator("[data-testid=search-results] tbody tr").first.wait_for()
    yield "search"
    page.locator("input[data-select-all]").check()
    page.get_by_test_id("bulk-declare").click()
    page.get_by_test_id("bulk-workers").wait_for()
    yield "several workers"
    upload(page, None)
    yield "upload without file"
    upload(page, batch_file(tmp_path, world, world["acme" if manager else "secretariat"]))
    page.get_by_test_id("receipt").wait_for()
    yield "receipt"
    page.get_by_role("link", name=re.compile("notifica", re.I)).click()
    yield "batch file"
    if manager:
        for name, url in [
            ("access users", "/app/access/"),
            ("mandates", "/app/access/mandates/"),
            ("api clients", "/app/access/api-clients/"),
            ("access history", "/app/access/history/"),
        ]:
            page.goto(url)
            yield name
        page.goto("/app/access/")
        page.get_by_test_id("grant-submit").click()
        page.locator("#g-insz[aria-invalid=true]").wait_for()
        yield "grant with errors"


@pytest.mark.parametrize("language", ["nl", "fr"])
@pytest.mark.parametrize("username", ["boss", "agent"])
def test_axe_finds_no_serious_violation_on_any_main_page(page, world, tmp_path, username, language):
    page.goto("/")
    found = {}
    if (v := axe_violations(page)) != []:
        found["welcome"] = v
    login_as(page, username, world["acme"], language)
    for name in visit_main_pages(page, world, tmp_path, manager=username == "boss"):
        assert page.locator("html").get_attribute("lang") == language, name
        if (v := axe_violations(page)) != []:
            found[name] = v
    assert found == {}


def test_axe_is_the_vendored_version_and_finds_a_violation(page):
    page.set_content(
        '<html lang="nl"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>'
    )
    found = axe_violations(page)
    assert page.evaluate("axe.version") == AXE_VERSION
    assert AXE_VERSION in AXE.read_text(encoding="utf-8")[:200]
    assert [v["id"] for v in found] == ["image-alt"]


def test_a_missing_axe_fails_the_test_instead_of_passing_it(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="axe-core is missing"):
        axe_violations(None, axe=tmp_path / "axe.min.js")


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page, world):
    login_as(page, "boss")
    page.goto("/app/dashboard/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0  # shown once it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


# What the contrast checks below compute in the page: a CSS colour's channels, the WCAG
# relative luminance and contrast ratio, and the colour around an element (the first
# opaque background of its ancestors).
CONTRAST_JS = """
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (x, y) => {
    const a = lum(x), b = lum(y);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const around = el => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) { return c; }
    }
    return [255, 255, 255];
  };
"""

FOCUS_RING = (
    "() => {"
    + CONTRAST_JS
    + """
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  return {
    name: (el.innerText || el.getAttribute("aria-label") || el.id || el.tagName).trim().slice(0, 40),
    width: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    contrast: ratio(rgb(style.outlineColor), around(el)),
  };
}"""
)


@pytest.mark.parametrize("path", ["/app/dashboard/", "training_form"])
def test_the_focus_ring_contrasts_three_to_one_with_its_surroundings(page, world, path):
    """WCAG 2.4.7 and 1.4.11: every element reached with Tab shows a ring of at least
    2 px whose colour contrasts at least 3:1 with the background around it."""
    login_as(page, "boss")
    if path == "training_form":
        path = f"/app/workers/{world['workers'][0].pk}/trainings/new/"
    page.goto(path)
    weak = []
    for _ in range(40):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:  # past the last element
            break
        if ring["width"] < 2 or ring["contrast"] < 3:
            weak.append((ring["name"], ring["width"], round(ring["contrast"], 2)))
    assert weak == []


def test_a_refused_form_takes_the_focus_to_its_findings_each_tied_to_its_field(page, world):
    login_as(page, "boss")
    page.goto(f"/app/workers/{world['workers'][0].pk}/trainings/new/")
    page.get_by_test_id("submit").click()
    review = page.get_by_test_id("review")
    expect(review).to_be_focused()
    assert page.title().startswith("Fout:")
    # Every field in error says so and is described by its findings.
    invalid = page.locator("main [aria-invalid=true]")
    assert invalid.count() >= 3
    for i in range(invalid.count()):
        field = invalid.nth(i)
        ids = (field.get_attribute("aria-describedby") or "").split()
        assert f"e-{field.get_attribute('name')}" in ids
        for described_by in ids:
            expect(page.locator(f"#{described_by}")).to_have_count(1)
    # Every finding next to a field belongs to a field marked invalid.
    for issues in page.locator("main .field .issues").all():
        described = page.locator(f"[aria-describedby~='{issues.get_attribute('id')}']")
        expect(described).to_have_attribute("aria-invalid", "true")
    # The summary links to each field in error; following a link focuses the field.
    links = page.get_by_test_id("review-fields").locator("a")
    assert links.count() == invalid.count()
    links.filter(has_text="Titel").click()
    expect(page.locator("#f-title")).to_be_focused()


def test_an_upload_without_file_ties_the_error_to_the_file_field(page, world):
    login_as(page, "boss")
    upload(page, None)
    field = page.locator("#batch-file")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator("#" + field.get_attribute("aria-describedby"))
    expect(error).to_contain_text("Kies een bestand")
    expect(field).to_be_focused()
    assert page.title().startswith("Fout:")


def test_the_search_announces_its_results_and_marks_a_wrong_insz(page, world):
    login_as(page, "boss")
    page.goto("/app/search/")
    status = page.locator("[role=status]#search-status")
    # The announcing region stays in the page; the results swapped by htmx are not read out.
    expect(page.locator("#search-results")).not_to_have_attribute("aria-live", re.compile("."))
    page.fill("#s-insz", "12345678901")
    page.get_by_test_id("search-submit").click()
    expect(page.locator("#s-insz")).to_have_attribute("aria-invalid", "true")
    error = page.locator("#" + page.locator("#s-insz").get_attribute("aria-describedby"))
    expect(error).to_have_attribute("role", "alert")
    expect(error).to_contain_text("INSZ")
    page.fill("#s-insz", "")
    page.fill("#s-last", "Janssens")
    page.get_by_test_id("search-submit").click()
    expect(status).to_have_text("6 werknemers gevonden.")
    expect(page.locator("#s-insz")).not_to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("path", ["/app/dashboard/", "worker"])
def test_every_chart_has_a_table_with_its_figures(page, world, path):
    login_as(page, "boss")
    if path == "worker":
        path = f"/app/workers/{world['workers'][0].pk}/"
    page.goto(path)
    wait_for_count(page, "canvas[data-chart][data-drawn]")
    charts = page.locator("canvas[data-chart]")
    assert charts.count() >= 1
    for i in range(charts.count()):
        canvas = charts.nth(i)
        expect(canvas).to_have_attribute("role", "img")
        label = canvas.get_attribute("aria-label")
        labels = canvas.evaluate("c => Chart.getChart(c).data.labels")
        # A table whose caption is the chart's label holds a row per bar.
        table = page.locator("table").filter(
            has=page.locator("caption", has_text=re.compile(f"^{re.escape(label)}$"))
        )
        expect(table).to_have_count(1)
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(len(labels))
        assert [rows.nth(j).locator("td").first.text_content() for j in range(len(labels))] == [
            str(x) for x in labels
        ]


GAUGE_CONTRAST = (
    "() => {"
    + CONTRAST_JS
    + """
  const svg = document.querySelector("[data-testid=gauge] svg");
  const behind = around(svg);
  const track = rgb(getComputedStyle(svg.querySelector(".gauge-track")).stroke);
  const used = rgb(getComputedStyle(svg.querySelector(".gauge-used")).stroke);
  return {track: ratio(track, behind), used: ratio(used, behind), between: ratio(used, track)};
}"""
)


def test_the_arcs_of_the_credit_gauge_contrast_three_to_one(page, world):
    """WCAG 1.4.11: the remaining and the used credit of the gauge each contrast 3:1 with
    the panel around it, and with each other."""
    login_as(page, "boss")
    page.goto(f"/app/workers/{world['workers'][0].pk}/")
    expect(page.locator("[data-testid=gauge] .gauge-used")).to_have_count(1)
    ratios = page.evaluate(GAUGE_CONTRAST)
    assert min(ratios.values()) >= 3, ratios
