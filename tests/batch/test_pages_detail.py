"""The file detail page: labels in the user's language, a failure said plainly, and a
page that shows the final counts, results and download once processing ends."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from fla.api.services import create_client
from fla.batch import services
from fla.batch.models import BatchFile, BatchStatus
from fla.batch.schemas import notification_schema
from tests.batch.test_channels import token
from tests.batch.test_processing import NS, notification

LABELS = {
    "nl": ("Opleiding", "Aanvaard met waarschuwingen", "Geweigerd", "Productie"),
    "fr": ("Formation", "Acceptée avec avertissements", "Refusée", "Production"),
    "de": ("Weiterbildung", "Angenommen mit Warnungen", "Abgelehnt", "Produktion"),
    "en": ("Training", "Accepted with warnings", "Rejected", "Production"),
}


def _received(world, declarations=None) -> BatchFile:
    receipt = services.receive(
        world.caller, io.BytesIO(world.file(declarations=declarations)), production=True
    )
    assert receipt.accepted, receipt.errors
    return BatchFile.objects.get(pk=receipt.file_id)


@pytest.fixture
def web(world) -> Client:
    client = Client()
    client.force_login(world.user)
    return client


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_results_show_labels_not_codes(world, web, language):
    batch = _received(world, [world.training("T1"), world.training("T2", kind="x")])
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    kind, warnings, rejected, production = LABELS[language]
    assert f"<td>{kind}</td>" in body
    assert f'data-status="accepted_with_warnings">{warnings}</td>' in body
    assert f'data-status="rejected">{rejected}</td>' in body
    assert f'data-testid="environment">{production}</dd>' in body
    for code in ("training", "accepted_with_warnings", "rejected", "production"):
        assert f">{code}<" not in body, code
    listing = web.get("/batch/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<td>{production}</td>" in listing and "<td>production</td>" not in listing


FAILURE = "OperationalError: could not connect to server at 10.1.2.3: SELECT insz FROM x"


def test_a_failed_file_says_so_plainly_without_the_exception(world, web):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=FAILURE)
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'data-testid="failure"' in body
    assert f"vermeld bestand {batch.pk}." in body
    assert "OperationalError" not in body and "10.1.2.3" not in body and "SELECT" not in body
    english = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"quoting file {batch.pk}." in english
    assert "werden toegepast" in body
    # A test file stores nothing: what was processed was checked, not applied.
    BatchFile.objects.filter(pk=batch.pk).update(test=True)
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "werden gecontroleerd (er werd niets opgeslagen)" in body
    assert "werden toegepast" not in body
    french = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "ont été contrôlées (rien n'a été enregistré)" in french


def test_staff_still_see_the_technical_error(world, web):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=FAILURE)
    world.user.is_staff = True
    world.user.save(update_fields=["is_staff"])
    body = web.get(f"/batch/{batch.pk}/").content.decode()
    assert 'data-testid="technical-error">OperationalError: could not connect' in body


def test_the_detail_page_reloads_itself_when_processing_ends(world, web):
    batch = _received(world, [world.training("T1"), world.training("T2", kind="x")])
    progress = f"/batch/{batch.pk}/progress/"
    page = web.get(f"/batch/{batch.pk}/").content.decode()
    # While it is processed: the page polls its progress, no results, no download yet.
    assert f'hx-get="{progress}?page=detail&amp;announced=received-0"' in page
    assert 'data-testid="download-xml"' not in page
    polled = web.get(progress, {"page": "detail"}, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in polled
    assert f'hx-get="{progress}?page=detail&amp;announced=received-0"' in polled.content.decode()

    services.process(batch.pk)
    # The poll that sees the end makes htmx reload the page whole...
    done = web.get(progress, {"page": "detail"}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"
    # ... which then has the final counts, results and the download, and polls no more.
    page = web.get(f"/batch/{batch.pk}/").content.decode()
    assert 'data-testid="download-xml"' in page
    assert 'data-testid="accepted">0<' in page and 'data-testid="rejected">1<' in page
    assert 'data-testid="warnings">1<' in page
    assert "hx-get" not in page.split('data-testid="progress-')[1].split(">")[0]
    # The list's poll only swaps its bar: no reload of the list.
    assert "HX-Refresh" not in web.get(progress, HTTP_HX_REQUEST="true")


def test_a_file_that_fails_while_watched_also_reloads_the_page(world, web):
    batch = _received(world)
    BatchFile.objects.filter(pk=batch.pk).update(status=BatchStatus.FAILED, error=FAILURE)
    done = web.get(f"/batch/{batch.pk}/progress/", {"page": "detail"}, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_the_main_menu_leads_to_the_batch_files(world):
    from tests.factories import grant, make_user

    person = make_user()
    grant(person, world.employer, "declare")
    client = Client()
    client.force_login(person)
    from django.urls import reverse

    dashboard = client.get(reverse("web:dashboard"), follow=True).content.decode()
    assert 'href="/batch/" data-testid="nav-batch"' in dashboard
    listing = client.get("/batch/").content.decode()
    assert 'data-testid="nav-batch" aria-current="page"' in listing


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "gecontroleerd in delen van hoogstens 2"),
        ("fr", "par parties de 2 au plus"),
        ("de", "in Teilen von höchstens 2 geprüft"),
        ("en", "checked in parts of at most 2"),
    ],
)
def test_a_test_file_larger_than_a_chunk_says_it_was_checked_in_parts(
    world, web, settings, language, words
):
    """Its rolled-back chunks do not see each other (tests/batch/test_file_order.py):
    the page says so, in the user's language; a smaller one or a production file not."""
    settings.FLA_BATCH_CHUNK, settings.FLA_BATCH_TEST_CHUNK = 1, 2
    trainings = [world.training(f"T{n}") for n in range(3)]
    small, large, production = (
        services.receive(
            world.caller,
            io.BytesIO(world.file(reference, declarations, environment=environment)),
            production=environment == "production",
        )
        for reference, declarations, environment in (
            ("S", trainings[:2], "test"),
            ("L", trainings, "test"),
            ("P", trainings, "production"),
        )
    )
    for receipt in (small, large, production):
        assert receipt.accepted, receipt.errors
        services.process(receipt.file_id)

    def page(receipt):
        return web.get(f"/batch/{receipt.file_id}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    body = page(large)
    assert 'data-testid="checked-in-parts"' in body and words in body
    assert 'data-testid="checked-in-parts"' not in page(small)
    assert 'data-testid="checked-in-parts"' not in page(production)
    # The API's status of the file (and the command line's) says it too.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bearer = token(create_client(name="SSL", mandatary=world.mandatary).client)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    parts = {
        receipt.file_id: api.get(f"/api/v1/batches/{receipt.file_id}").json()["checked_in_parts"]
        for receipt in (small, large, production)
    }
    assert parts == {small.file_id: None, large.file_id: 2, production.file_id: None}
    # And the notification, valid against its schema.
    notified = {}
    for receipt in (small, large, production):
        tree = notification(BatchFile.objects.get(pk=receipt.file_id))
        notification_schema().assertValid(tree)
        notified[receipt.file_id] = tree.findtext("n:summary/n:checked_in_parts", namespaces=NS)
    assert notified == {small.file_id: None, large.file_id: "2", production.file_id: None}


def test_each_result_says_what_it_is_about_without_the_whole_insz(world, web):
    """A worker, rights or employer-year result has no reference: the page names the
    worker (known to the user) with his INSZ masked, and the year."""
    from tests.factories import make_insz

    known = world.workers[0]
    new = make_insz()
    employment = {"start_date": "2024-01-01", "regime": "1", "joint_committee": "200"}
    batch = _received(
        world,
        [
            ("employer_year", {"year": 2025, "size_class": "lt10"}),
            (
                "worker",
                {"insz": new, "first_name": "Nele", "last_name": "Nieuw", "employment": employment},
            ),  # fmt: skip
            ("rights", {"insz": known.insz, "year": 2025, "employer_minutes": 60}),
            world.training("T1"),
        ],
    )
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    rows = body.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    year, hire, rights, training = rows
    assert '<td data-testid="year">2025</td>' in year
    assert "Nele Nieuw" in hire and f"{new[:6]}*****" in hire
    assert f"{known.first_name} {known.last_name}" in rights and f"{known.insz[:6]}*****" in rights
    assert '<td data-testid="year">2025</td>' in rights
    assert f"{known.insz[:6]}*****" in training and "<td>T1</td>" in training
    assert '<td data-testid="year">2025</td>' in training
    for insz in (new, known.insz):
        assert insz not in body


def test_a_training_result_shows_the_year_of_its_end_date_or_else_its_start_date(world, web):
    """A training has no year zone: its row shows the year of its end date, or of its
    start date when it gives none (a rejected training still says what it was about).
    The notification, which does not repeat the year, stays valid."""
    batch = _received(
        world,
        [
            world.training("T1", start_date="2024-12-30", end_date="2025-01-02"),
            world.training("T2", start_date="2023-05-01", end_date=None),
            world.training("T3", action="cancel", title=None, kind=None, start_date=None,
                           end_date=None, duration_minutes=None, status=None),
        ],
    )  # fmt: skip
    services.process(batch.pk)
    years = dict(batch.results.values_list("reference", "year"))
    assert years == {"T1": 2025, "T2": 2023, "T3": None}
    body = web.get(f"/batch/{batch.pk}/").content.decode()
    rows = body.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
    assert [row.split('<td data-testid="year">')[1].split("</td>")[0] for row in rows] == [
        "2025",
        "2023",
        "",
    ]
    batch.refresh_from_db()
    notification_schema().assertValid(notification(batch))


@pytest.mark.parametrize(
    "zones,year",
    [
        ({"start_date": "2024-12-30", "end_date": "2025-01-02"}, 2025),
        ({"start_date": "2024-12-30", "end_date": " "}, 2024),
        ({"start_date": "2024-12-30"}, 2024),
        ({"start_date": "2024-02-29", "end_date": "2025-02-30"}, None),  # no such day
        ({"start_date": "2024-12-30", "end_date": "20250102"}, None),
        ({"start_date": "2024-13-01"}, None),
        ({"start_date": "0000-01-01"}, None),
        ({"start_date": "x", "end_date": None}, None),
        ({}, None),
    ],
)
def test_the_year_of_a_training_result_only_from_a_real_date(zones, year):
    from fla.batch.services import _result
    from fla.declarations.types import ACCEPTED, Declaration, Outcome

    declaration = Declaration("training", "0123456749", {"reference": "T1", **zones}, position=1)
    row = _result(BatchFile(pk=1), declaration, Outcome(declaration, ACCEPTED))
    assert row[services.RESULT_FIELDS.index("year")] == year


@pytest.mark.parametrize("kind", ["rights", "employer_year"])
@pytest.mark.parametrize(
    "text,year",
    [("2025", 2025), ("+2025", 2025), ("02025", 2025), (" 2025 ", 2025), ("+0002025", 2025),
     ("20x5", None), ("-2025", None), ("", None)],
)  # fmt: skip
def test_the_year_of_a_rights_or_employer_year_result_as_the_xsd_reads_it(kind, text, year):
    """The year zone is an xs:integer, which the XSD and the write path take with a sign
    or leading zeros: the result names the year all the same."""
    from fla.batch.services import _result
    from fla.declarations.types import ACCEPTED, Declaration, Outcome

    declaration = Declaration(kind, "0123456749", {"year": text}, position=1)
    row = _result(BatchFile(pk=1), declaration, Outcome(declaration, ACCEPTED))
    assert row[services.RESULT_FIELDS.index("year")] == year


def test_a_rights_year_written_with_a_sign_is_shown_on_the_page(world, web):
    worker = world.workers[0]
    data = world.file(
        declarations=[("rights", {"insz": worker.insz, "year": "@", "employer_minutes": 60})]
    ).replace(b"<year>@</year>", b"<year>+02025</year>")
    receipt = services.receive(world.caller, io.BytesIO(data), production=True)
    assert receipt.accepted, receipt.errors
    services.process(receipt.file_id)
    (result,) = BatchFile.objects.get(pk=receipt.file_id).results.all()
    assert (result.status, result.year) == ("accepted", 2025)
    body = web.get(f"/batch/{receipt.file_id}/").content.decode()
    assert '<td data-testid="year">2025</td>' in body


def test_a_worker_the_user_may_not_read_is_not_named(world, web):
    from tests.factories import make_employer, make_worker

    stranger = make_worker(make_employer("Elsewhere"), first_name="Geheim", last_name="Iemand")
    batch = _received(
        world, [("rights", {"insz": stranger.insz, "year": 2025, "employer_minutes": 60})]
    )
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/").content.decode()
    assert "Geheim" not in body and f"{stranger.insz[:6]}*****" in body


@pytest.mark.parametrize(
    "only,zones,expected",
    [
        ("rejected", {}, "Geen geweigerde aangiften."),  # accepted with a warning
        ("accepted_with_warnings", {"kind": "x"}, "Geen aangiften met waarschuwingen."),
        ("accepted", {}, "Geen aanvaarde aangiften."),  # accepted with a warning
    ],
)
def test_an_empty_filter_of_a_finished_file_does_not_say_not_yet(world, web, only, zones, expected):
    batch = _received(world, [world.training("T1", **zones)])
    url = f"/batch/{batch.pk}/?status={only}"
    # While it is processed, nothing is there yet.
    assert "Nog geen resultaten." in web.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    services.process(batch.pk)
    body = web.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert f'data-testid="no-results">{expected}</td>' in body
    assert "Nog geen resultaten." not in body


FILTERS = {
    "nl": ("Alle", "Aanvaard", "Met waarschuwingen", "Geweigerd"),
    "fr": ("Tous", "Acceptée", "Avec avertissements", "Refusée"),
    "de": ("Alle", "Angenommen", "Mit Warnungen", "Abgelehnt"),
    "en": ("All", "Accepted", "With warnings", "Rejected"),
}


@pytest.mark.parametrize("language", ["nl", "fr", "de", "en"])
def test_the_results_can_be_filtered_on_each_status(world, web, language):
    """Accepted results too have their link, beside the rejected and those with
    warnings; the chosen one is marked current."""
    batch = _received(
        world,
        [("employer_year", {"year": 2025, "size_class": "lt10"}),
         world.training("T1"), world.training("T2", kind="x")],
    )  # fmt: skip
    services.process(batch.pk)
    statuses = dict(batch.results.values_list("position", "status"))
    assert sorted(statuses.values()) == ["accepted", "accepted_with_warnings", "rejected"]
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    links = body.split('<nav class="filters"')[1].split("</nav>")[0]
    labels = FILTERS[language]
    queries = ("", "accepted", "accepted_with_warnings", "rejected")
    for query, label in zip(queries, labels, strict=True):
        href = f"?status={query}" if query else "?"
        current = ' aria-current="true"' if not query else ""
        assert f'<a href="{href}"{current}>{label}</a>' in links, (href, links)
    for only in ("accepted", "accepted_with_warnings", "rejected"):
        url = f"/batch/{batch.pk}/?status={only}"
        body = web.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert f'<a href="?status={only}" aria-current="true">' in body
        assert body.count('aria-current="true"') == 1
        shown = body.split("<tbody>")[1].split("</tbody>")[0]
        assert shown.count("<tr") == 1 and f'data-status="{only}"' in shown, only


def test_an_empty_filter_in_english(world, web):
    batch = _received(world)
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/?status=rejected", HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="no-results">No rejected declarations.</td>' in body.content.decode()


@pytest.mark.parametrize(
    "language,text",
    [
        ("nl", "Dubbele referentie T1 in dezelfde indiening."),
        ("fr", "Référence T1 en double dans le même envoi."),
        ("de", "Doppelte Referenz T1 in derselben Einreichung."),
        ("en", "Duplicate reference T1 in the same submission."),
    ],
)
def test_a_reference_used_twice_in_a_file_is_said_so(world, web, language, text):
    """E022 is about the file (or the API request), not about one declaration."""
    batch = _received(world, [world.training("T1"), world.training("T1", title="Again")])
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert text in body


def test_enterprise_numbers_are_written_as_elsewhere_and_no_link_to_the_page_itself(world, web):
    from fla.core.identifiers import format_enterprise_number

    batch = _received(world, [world.training("T1")])
    services.process(batch.pk)
    body = web.get(f"/batch/{batch.pk}/").content.decode()
    sender, employer = world.mandatary.enterprise_number, world.employer.enterprise_number
    assert f"<dd>{format_enterprise_number(sender)}</dd>" in body
    assert f"<td>{format_enterprise_number(employer)}</td>" in body
    assert f">{employer}<" not in body
    # the file's own page does not link to itself from its progress bar; the list does
    assert f'href="/batch/{batch.pk}/"' not in body
    assert f'href="/batch/{batch.pk}/"' in web.get("/batch/").content.decode()


def test_the_receipt_page_is_only_read_and_offers_no_upload_to_a_reader(world, web):
    from tests.factories import join, make_user

    batch = _received(world)
    assert web.post(f"/batch/{batch.pk}/receipt/").status_code == 405
    assert 'name="file"' in web.get(f"/batch/{batch.pk}/receipt/").content.decode()
    reader = make_user("reader")
    join(reader, world.mandatary, "read")
    client = Client()
    client.force_login(reader)
    body = client.get(f"/batch/{batch.pk}/receipt/").content.decode()
    assert 'data-testid="receipt"' in body and 'name="file"' not in body
