"""Access management in a real browser, and every screen under the strict
Content-Security-Policy without a single violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fla.accounts.models import EmployerAccess, Mandate
from fla.api.models import ApiClient
from fla.audit.models import HistoryEntry
from tests.browser.conftest import axe_violations, wait_for_count
from tests.factories import grant, make_insz, make_mandatary, make_user
from tests.web.conftest import build_employer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture
def world(transactional_db):
    employer, workers = build_employer(4, "Acme Logistics", trainings=2)
    boss = make_user("boss", first_name="Bea", last_name="Baas")
    grant(boss, employer, "manage")
    secretariat = make_mandatary("Sociaal Secretariaat Demo")
    return {"employer": employer, "workers": workers, "secretariat": secretariat}


@pytest.fixture
def watched(page):
    """The page, recording CSP violations and console errors of every document."""
    page.add_init_script(WATCH_CSP)
    console: list[str] = []
    page.on(
        "console",
        lambda msg: (
            console.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.console_errors = console
    return page


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []") + [
        m for m in page.console_errors if "Content Security Policy" in m
    ]


def login_as(page, username: str) -> None:
    page.goto("/")
    page.get_by_test_id("start-login").click()
    page.get_by_test_id(f"demo-login-{username}").click()


def test_a_manager_grants_access_mandates_and_creates_an_api_client(watched, world):
    page = watched
    login_as(page, "boss")
    page.get_by_test_id("nav-access").click()
    expect(page.locator("h1")).to_have_text("Toegangsbeheer")

    insz = make_insz()
    page.locator("#g-insz").fill(insz)
    page.locator("#g-role").select_option("declare")
    page.get_by_label("Voornaam").fill("Nina")
    page.get_by_label("Achternaam").fill("Nieuw")
    page.get_by_test_id("grant-submit").click()
    expect(page.get_by_test_id("access-users")).to_contain_text("Nina Nieuw")
    expect(page.get_by_test_id("access-users")).to_contain_text(insz[:6] + "*****")
    assert EmployerAccess.objects.filter(user__insz=insz, role="declare").exists()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Mandaten").click()
    page.locator("#m-number").fill(world["secretariat"].enterprise_number)
    page.get_by_test_id("mandate-submit").click()
    expect(page.get_by_test_id("mandates")).to_contain_text("Sociaal Secretariaat Demo")
    mandate = Mandate.objects.get(employer=world["employer"])
    assert axe_violations(page) == []
    page.get_by_test_id(f"end-mandate-{mandate.pk}").click()
    expect(page.get_by_test_id("confirm-end-mandate")).to_be_visible()  # asked first
    assert axe_violations(page) == []
    page.get_by_test_id("confirm-submit").click()
    expect(page.get_by_test_id("mandates")).to_contain_text("beëindigd")

    page.get_by_role("link", name="API-clients").click()
    page.locator("#c-name").fill("Loonsoftware")
    page.get_by_test_id("client-submit").click()
    expect(page.get_by_test_id("client-created")).to_be_visible()
    secret = page.get_by_test_id("client-secret").inner_text()
    assert len(secret) > 20
    assert ApiClient.objects.filter(employer=world["employer"], name="Loonsoftware").exists()
    assert axe_violations(page) == []
    # Reloading the page of the secret creates no second client and hides the secret.
    page.reload()
    expect(page.get_by_test_id("client-created")).to_have_count(0)
    assert ApiClient.objects.filter(employer=world["employer"]).count() == 1

    page.get_by_role("link", name="Historiek").click()
    expect(page.get_by_test_id("history")).to_contain_text("API-client")
    page.get_by_label("Soort").select_option("mandate")
    page.get_by_test_id("history-filter").click()
    assert page.locator("[data-testid=history] > li").count() == 2
    assert axe_violations(page) == []
    assert set(
        HistoryEntry.objects.filter(entity__in=["access", "mandate", "api-client"]).values_list(
            "entity", "action"
        )
    ) == {("access", "grant"), ("mandate", "grant"), ("mandate", "end"), ("api-client", "create")}
    assert violations(page) == []


def test_every_screen_loads_under_the_policy_without_violations(watched, world, live_server):
    page = watched
    login_as(page, "boss")
    worker = world["workers"][0]
    paths = [
        "/app/dashboard/",
        "/app/workers/",
        f"/app/workers/{worker.pk}/",
        "/app/trainings/",
        "/app/trainings/new/",
        "/app/search/",
        "/app/access/",
        "/app/access/history/",
        "/batch/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        assert violations(page) == [], (path, violations(page))
    # The charts are drawn by our own script under the policy.
    page.goto("/app/dashboard/")
    wait_for_count(page, "canvas[data-drawn]", 2)
    # htmx still works: the search answers in place.
    page.goto("/app/search/")
    page.get_by_label("Achternaam").fill("Janssens")
    page.get_by_test_id("search-submit").click()
    expect(page.locator("#search-results")).to_contain_text("Janssens")
    assert violations(page) == []


def test_the_api_documentation_works_under_its_policy(watched, live_server):
    page = watched
    response = page.goto("/api/v1/docs")
    assert response.status == 200
    assert "content-security-policy" in response.headers
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    assert violations(page) == []
