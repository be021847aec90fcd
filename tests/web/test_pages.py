"""Every screen through Django's test client: access, content, scoping, exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fla.audit.models import HistoryEntry
from fla.trainings.models import Training
from tests.factories import grant, join, make_mandatary, make_user, mandate
from tests.web.conftest import build_employer, declare_training, post_confirmed

pytestmark = pytest.mark.django_db


def test_welcome_has_description_channels_faq_and_the_login_button(client):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "De opleidingsrekeningen beheren" in body
    assert "BATCH" in body and "API" in body and "Veelgestelde vragen" in body
    assert "<script>" not in body  # no inline script, for the coming strict CSP


@pytest.mark.django_db
def test_welcome_links_the_documentation_the_application_publishes(client):
    """The welcome page holds the channels' documentation (seed §2.1): the XSDs of the
    BATCH channel and the OpenAPI document of the API, which anyone may fetch."""
    body = client.get("/").content.decode()
    links = [
        reverse("batch:schema", args=["fla-batch-v1.xsd"]),
        reverse("batch:schema", args=["fla-notification-v1.xsd"]),
        reverse("api:openapi-json"),
        reverse("api:openapi-view"),
    ]
    for link in links:
        assert f'href="{link}"' in body, link
        assert client.get(link).status_code == 200, link


def test_application_pages_need_a_login(client, world):
    for name in ("web:dashboard", "web:workers", "web:trainings", "web:search"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_login_goes_to_the_demo_login_in_the_embedded_profile(client):
    response = client.get(reverse("web:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:demo_login"))


def test_demo_login_lists_users_with_access_and_logs_in_by_post(client, world):
    make_user("nobody")  # no access: not listed
    page = client.get(reverse("web:demo_login")).content.decode()
    assert "Hilde Ranst" in page and "nobody" not in page
    response = client.post(reverse("web:demo_login"), {"user": world["user"].pk})
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_demo_login_refuses_a_user_without_access(client, world):
    stranger = make_user("stranger")
    client.post(reverse("web:demo_login"), {"user": stranger.pk})
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_demo_login_answers_404_when_switched_off(client, world, settings):
    settings.DEMO_LOGIN = False
    assert client.get("/login/demo/").status_code == 404
    assert client.post("/login/demo/", {"user": world["user"].pk}).status_code == 404


def test_without_oidc_or_demo_login_the_login_says_it_is_unavailable(client, settings):
    settings.DEMO_LOGIN = False
    assert client.get(reverse("web:login")).status_code == 503


def test_logout_is_a_post(app):
    assert app.post(reverse("web:logout")).status_code == 302
    assert app.get(reverse("web:dashboard")).status_code == 302


def test_a_user_without_any_employer_sees_no_access(client):
    client.force_login(make_user("lonely"))
    response = client.get(reverse("web:dashboard"))
    assert response["Location"] == reverse("web:no_access")
    assert client.get(reverse("web:no_access")).status_code == 403


def _agent_of_two_employers(client, world, workers: int = 2):
    """A secretariat's member signed in, with mandates of the world's employer and of
    another one, "Other Ltd": the employer to work on is to be chosen."""
    other, _ = build_employer(workers, "Other Ltd", trainings=0)
    secretariat = make_mandatary()
    mandate(secretariat, world["employer"])
    mandate(secretariat, other)
    agent = make_user("agent")
    join(agent, secretariat)
    client.force_login(agent)
    return other


def test_a_mandatary_picks_an_employer_and_switches(client, world):
    other = _agent_of_two_employers(client, world)
    response = client.get(reverse("web:home"))
    assert response["Location"].startswith(reverse("web:choose_employer"))
    chooser = client.get(reverse("web:choose_employer")).content.decode()
    assert "Acme" in chooser and "Other Ltd" in chooser
    client.post(reverse("web:choose_employer"), {"employer": other.pk})
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Other Ltd" in page and 'id="employer-switch"' in page
    client.post(reverse("web:choose_employer"), {"employer": world["employer"].pk})
    assert "Janssens000" in client.get(reverse("web:workers")).content.decode()


def test_choosing_an_employer_without_access_is_404(app):
    other, _ = build_employer(1, "Secret NV", trainings=0)
    assert app.post(reverse("web:choose_employer"), {"employer": other.pk}).status_code == 404
    assert app.post(reverse("web:choose_employer"), {"employer": "x"}).status_code == 404


def test_an_ended_mandate_cuts_access_at_once(client, world):
    import datetime as dt

    secretariat = make_mandatary()
    mandate(secretariat, world["employer"], start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31))
    agent = make_user("late")
    join(agent, secretariat)
    client.force_login(agent)
    assert client.get(reverse("web:dashboard"))["Location"] == reverse("web:no_access")


def test_dashboard_shows_the_four_zones(app, world):
    body = app.get(reverse("web:dashboard")).content.decode()
    for testid in (
        "tile-rights",
        "tile-training",
        "tile-credit",
        "tile-overdue",
        "tile-upcoming",
        "tile-workers",
        "tile-hours",
        "tile-average",
    ):
        assert f'data-testid="{testid}"' in body
    assert "Alle opleidingen" in body
    assert 'id="chart-per-year"' in body and 'id="chart-per-month"' in body
    assert "Janssens000" in body
    # The recent trainings, each with its Detail link.
    for training in Training.objects.filter(employer=world["employer"]):
        assert reverse("web:training", args=[training.pk]) in body


def test_worker_list_filters_sorts_and_paginates(app, world):
    page = app.get(reverse("web:workers") + "?filter=no_training").content.decode()
    assert "Janssens004" in page and "Janssens000" not in page  # 0 and 1 had a training
    page = app.get(reverse("web:workers") + "?sort=-last_name").content.decode()
    assert page.index("Janssens004") < page.index("Janssens000")
    assert app.get(reverse("web:workers") + "?sort=nonsense&page=99&filter=zzz").status_code == 200


def test_worker_list_exports_csv_and_xlsx(app, world):
    response = app.get(reverse("web:workers") + "?format=csv&sort=last_name")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Naam" and len(rows) == 6
    assert rows[1][0] == "Janssens000"
    response = app.get(reverse("web:workers") + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 6 and sheet.cell(1, 1).value == "Naam"


def test_the_dashboards_worker_list_exports_what_its_links_offer(app, world, settings):
    """The export links of the dashboard's list of workers (zone 4) give the file, in the
    order shown, all rows, not the dashboard page again."""
    dashboard = app.get(reverse("web:dashboard") + "?sort=-last_name").content.decode()
    assert 'href="?sort=-last_name&amp;format=csv"' in dashboard
    response = app.get(reverse("web:dashboard") + "?sort=-last_name&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Naam" and len(rows) == 6 and rows[1][0] == "Janssens004"
    response = app.get(reverse("web:dashboard") + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 6 and sheet.cell(2, 1).value == "Janssens000"


def test_training_list_filters_and_exports(app, world):
    page = app.get(reverse("web:trainings")).content.decode()
    assert "T-0" in page and "T-1" in page
    assert "T-0" not in app.get(reverse("web:trainings") + "?filter=overdue").content.decode()
    response = app.get(reverse("web:trainings") + "?format=xlsx")
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 3


def test_worker_detail_has_gauge_year_table_chart_and_trainings(app, world):
    worker = world["workers"][0]
    body = app.get(reverse("web:worker", args=[worker.pk])).content.decode()
    assert 'data-testid="gauge"' in body and "<svg" in body
    assert 'data-testid="year-table"' in body
    assert 'id="chart-worker"' in body
    assert "T-0" in body
    assert worker.insz not in reverse("web:worker", args=[worker.pk])


def test_worker_of_another_employer_is_404(app):
    _, strangers = build_employer(1, "Elsewhere", trainings=0)
    assert app.get(reverse("web:worker", args=[strangers[0].pk])).status_code == 404
    assert app.get(reverse("web:worker", args=[999999])).status_code == 404


def test_training_detail_shows_the_history(app, world):
    training = Training.objects.get(reference="T-0")
    body = app.get(reverse("web:training", args=[training.pk])).content.decode()
    assert HistoryEntry.objects.filter(entity="training", entity_id=str(training.pk)).exists()
    assert 'data-testid="history"' in body and "Excel voor gevorderden" in body


def test_training_detail_says_what_its_warnings_mean(app, world):
    """A bare code ("W003") tells the HR officer nothing: each warning has its text, in
    the user's language, without the placeholders of values not kept with the code."""
    training = Training.objects.get(reference="T-0")
    Training.objects.filter(pk=training.pk).update(warnings=["W003", "W004"])
    url = reverse("web:training", args=[training.pk])
    body = app.get(url).content.decode()
    assert "W003" in body and "Het krediet van de werknemer is overschreden." in body
    assert "Waarschijnlijk dubbele opleiding" in body
    assert "{remaining}" not in body and "{value}" not in body
    app.post(reverse("set_language"), {"language": "fr"})
    body = app.get(url).content.decode()
    assert "Le crédit du travailleur est dépassé." in body


def test_a_probable_duplicate_warning_links_the_other_training(app, world):
    """W004 keeps only its code on the training: the page names and links the trainings
    it speaks of as they stand now, of this employer only, cancelled ones left out."""
    from fla.accounts.access import Caller
    from fla.declarations.services import submit
    from fla.declarations.types import Declaration
    from fla.workers.models import Employment

    caller = Caller.for_system("tests")
    employer, worker = world["employer"], world["workers"][0]
    first = Training.objects.get(reference="T-0")
    outcome = declare_training(caller, employer, worker, "T-DUP", title="EXCEL voor gevorderden")
    assert "W004" in [f.code for f in outcome.warnings]
    # The same worker at another employer, with the same training there.
    other, _ = build_employer(1, "Elsewhere", trainings=0)
    Employment.objects.create(
        worker=worker, employer=other, start_date=first.start_date, joint_committee="200"
    )
    declare_training(caller, other, worker, "T-ELSEWHERE")
    elsewhere = Training.objects.get(reference="T-ELSEWHERE")

    url = reverse("web:training", args=[Training.objects.get(reference="T-DUP").pk])
    body = app.get(url).content.decode()
    assert 'data-testid="probable-duplicates"' in body
    assert f'href="{reverse("web:training", args=[first.pk])}">T-0</a>' in body
    assert "Waarschijnlijk dubbele opleiding: <a" in body and "T-ELSEWHERE" not in body
    assert reverse("web:training", args=[elsewhere.pk]) not in body
    app.post(reverse("set_language"), {"language": "fr"})
    body = app.get(url).content.decode()
    assert re.search(r"Formation probablement en double\s:\s<a", body)

    [cancelled] = submit(
        caller,
        [
            Declaration(
                "training", employer.enterprise_number, {"reference": "T-0"}, action="cancel"
            )
        ],
    )
    assert cancelled.accepted, cancelled.anomalies("en")
    body = app.get(url).content.decode()
    assert 'data-testid="probable-duplicates"' not in body and ">T-0</a>" not in body
    assert "Formation probablement en double" in body


def test_training_of_another_employer_is_404(app):
    other, _ = build_employer(1, "Elsewhere", trainings=1)
    training = Training.objects.get(employer=other)
    for name in ("web:training", "web:training_edit", "web:training_cancel"):
        assert app.get(reverse(name, args=[training.pk])).status_code == 404


def test_pages_follow_the_language(app, world):
    app.post(reverse("set_language"), {"language": "fr", "next": "/app/dashboard/"})
    assert "Tableau de bord" in app.get(reverse("web:dashboard")).content.decode()
    app.post(reverse("set_language"), {"language": "de"})
    assert "Übersicht" in app.get(reverse("web:dashboard")).content.decode()


def test_browser_language_is_the_default(client, world):
    client.force_login(world["user"])
    body = client.get(reverse("web:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Workers" in body and 'lang="en"' in body


def test_large_enterprise_home_is_the_search(app, world, settings):
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 5
    assert app.get(reverse("web:home"))["Location"] == reverse("web:search")
    settings.FLA_LARGE_ENTERPRISE_THRESHOLD = 6
    assert app.get(reverse("web:home"))["Location"] == reverse("web:dashboard")


def test_search_by_name_and_by_insz_in_a_post(app, world):
    body = app.get(reverse("web:search") + "?last_name=Janssens003").content.decode()
    assert "Anna3" in body and "Anna2" not in body
    insz = world["workers"][2].insz
    body = app.post(reverse("web:search"), {"insz": insz}).content.decode()
    assert "Anna2" in body and "Anna3" not in body
    # An INSZ in the query string is ignored: it must not travel in URLs.
    body = app.get(reverse("web:search") + f"?insz={insz}").content.decode()
    assert "Gelieve een zoekopdracht uit te voeren" in body
    body = app.post(reverse("web:search"), {"insz": "12345678901"}).content.decode()
    assert "ongeldig" in body


def test_a_search_with_more_results_than_shown_does_not_count_only_those_shown(
    app, world, monkeypatch
):
    from fla.web.views import app as views

    monkeypatch.setattr(views, "SEARCH_LIMIT", 3)
    body = app.post(reverse("web:search"), {"last_name": "Janssens"}).content.decode()
    status = body.split('data-testid="search-status">')[1].split("</p>")[0]
    # Five match; three are shown: "3 found" would be untrue.
    assert status.strip().startswith("Meer dan 3 werknemers gevonden.")
    body = app.post(reverse("web:search"), {"last_name": "Janssens001"}).content.decode()
    assert "1 werknemer gevonden." in body.split('data-testid="search-status">')[1]


def test_search_answers_a_fragment_to_htmx(app, world):
    response = app.post(reverse("web:search"), {"last_name": "Janssens"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and 'data-testid="search-results"' in body


def test_a_reader_cannot_open_the_forms(client, world):
    reader = make_user("reader")
    grant(reader, world["employer"], "read")
    client.force_login(reader)
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.get(reverse("web:training_new")).status_code == 404
    assert "Opleiding aangeven" not in client.get(reverse("web:dashboard")).content.decode()


def test_dashboard_charts_follow_a_new_declaration(app, world, settings):
    """The one who declared sees it in the charts at once, even when others changed the
    data after them; others, while the data keeps changing, see figures computed again
    at most once per refresh interval."""
    from django.core.cache import cache
    from django.test import Client

    from fla.accounts.access import Caller
    from fla.web import queries
    from fla.web.current import last_change_of
    from tests.web.conftest import declare_training
    from tests.web.test_declare import FORM

    settings.FLA_CHART_REFRESH_SECONDS = 10
    employer, workers = world["employer"], world["workers"]
    bob = make_user("bob")
    grant(bob, employer, "read")
    bobs = Client()
    bobs.force_login(bob)
    on = queries.today()
    assert bobs.get(reverse("web:dashboard")).status_code == 200  # Bob: computed, kept
    before = queries.compute_charts(employer.pk, on)
    # The HR user declares online, then another party declares for someone else.
    url = reverse("web:worker_training_new", args=[workers[4].pk])
    form = dict(FORM, start_date=f"{on.year}-01-05", end_date=f"{on.year}-01-05")
    assert post_confirmed(app, url, form).status_code == 302
    declare_training(Caller.for_system("tests"), employer, workers[3], "T-OTHER")
    fresh = queries.compute_charts(employer.pk, on)
    assert fresh.this_year_minutes == before.this_year_minutes + 210 + 450
    # Bob, who changed nothing, sees the kept figures while the interval lasts...
    assert queries.charts(employer.pk, on, last_change_of(bobs, employer.pk)) == before
    # ...the HR user's own change is newer than them: computed afresh, and kept.
    mine = last_change_of(app, employer.pk)
    assert mine is not None
    assert queries.charts(employer.pk, on, mine) == fresh
    assert queries.charts(employer.pk, on, None) == fresh
    # Once the interval has passed, anyone gets the figures computed again.
    declare_training(Caller.for_system("tests"), employer, workers[1], "T-LATER")
    assert queries.charts(employer.pk, on, None) == fresh
    cache.delete(f"fla:web:charts-recent:{employer.pk}:{on.isoformat()}")
    assert queries.charts(employer.pk, on, None).this_year_minutes == (
        fresh.this_year_minutes + 450
    )
    fresh = queries.compute_charts(employer.pk, on)
    # ...and with no interval, every change shows at once.
    settings.FLA_CHART_REFRESH_SECONDS = 0
    declare_training(Caller.for_system("tests"), employer, workers[2], "T-THIRD")
    assert queries.charts(employer.pk, on, None).this_year_minutes == (
        fresh.this_year_minutes + 450
    )


def test_an_address_with_several_query_parameters_comes_back_whole(client, world):
    """Through the login and through choosing an employer, ``next`` keeps every query
    parameter of the address asked for (it lost those after the first &)."""
    from urllib.parse import parse_qs, urlsplit

    wanted = reverse("web:workers") + "?q=an&sort=name"
    login = client.get(reverse("web:login"), {"next": wanted})
    assert parse_qs(urlsplit(login["Location"]).query)["next"] == [wanted]
    _agent_of_two_employers(client, world, workers=1)
    chooser = client.get(wanted)
    assert parse_qs(urlsplit(chooser["Location"]).query)["next"] == [wanted]


def test_a_form_shown_for_one_employer_does_not_act_for_the_one_switched_to(client, world):
    other = _agent_of_two_employers(client, world)
    client.post(reverse("web:choose_employer"), {"employer": world["employer"].pk})
    form = client.get(reverse("web:training_new")).content.decode()
    assert f'name="for_employer" value="{world["employer"].pk}"' in form
    # Another window of the same session switches to the other employer meanwhile.
    client.post(reverse("web:choose_employer"), {"employer": other.pk})
    worker = other.account_set.select_related("worker").first().worker
    data = {
        "for_employer": world["employer"].pk,
        "insz": worker.insz,
        "reference": "WRONG-EMPLOYER",
        "title": "EHBO",
        "kind": "formal",
        "start_date": "2025-03-10",
        "end_date": "2025-03-10",
        "duration_minutes": "3:00",
        "status": "completed",
        "counts_toward_account": "on",
    }
    response = post_confirmed(client, reverse("web:training_new"), data, follow=True)
    assert response.redirect_chain[0][0] == reverse("web:home")
    assert "Er werd niets opgeslagen" in response.content.decode()
    assert not Training.objects.filter(reference="WRONG-EMPLOYER").exists()
    # The same form shown for the employer worked on now is stored.
    response = post_confirmed(
        client, reverse("web:training_new"), dict(data, for_employer=other.pk)
    )
    assert response.status_code == 302
    assert Training.objects.get(reference="WRONG-EMPLOYER").employer == other
