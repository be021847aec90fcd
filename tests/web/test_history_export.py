"""The access manager's history page and its CSV export tell the same time."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from fla.audit.models import HistoryEntry
from tests.factories import grant, make_user


def test_the_history_csv_gives_the_local_time_the_page_shows(client, world):
    manager = make_user("boss", first_name="Bea", last_name="Baas")
    grant(manager, world["employer"], "manage")
    client.force_login(manager)
    # 12:00 UTC in January is 13:00 in Brussels; in July, 14:00.
    for at in (dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC),
               dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC)):  # fmt: skip
        HistoryEntry.objects.create(
            at=at, employer=world["employer"], entity="access", entity_id="1",
            action="grant", channel="web", actor="Zeno Tijd",
        )  # fmt: skip
    url = reverse("web:access_history")
    page = client.get(url, {"who": "Zeno"}).content.decode()
    assert "15/01/2026 13:00" in page and "15/07/2026 14:00" in page
    response = client.get(url, {"who": "Zeno", "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    times = sorted(line.split(";")[0] for line in lines[1:])
    assert times == ["2026-01-15 13:00:00", "2026-07-15 14:00:00"]


HISTORY_WORDS = {
    # language: zone labels, values and the kind and action in words
    "nl": ("Duur", "Status", "Gevolgd", "Gepland", "Aangerekend op recht", "Werkgever",
           "Opleiding", "gewijzigd"),
    "fr": ("Durée", "Statut", "Suivie", "Planifiée", "Imputée sur le droit", "Employeur",
           "Formation", "modifié"),
    "de": ("Dauer", "Status", "Besucht", "Geplant", "Angerechnet auf Anspruch", "Arbeitgeber",
           "Weiterbildung", "geändert"),
    "en": ("Duration", "Status", "Completed", "Planned", "Charged to right", "Employer",
           "Training", "changed"),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["nl", "fr", "de", "en"])
def test_the_history_and_its_csv_name_zones_and_values_in_the_users_words(client, world, lang):
    manager = make_user("boss", first_name="Bea", last_name="Baas")
    grant(manager, world["employer"], "manage")
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    HistoryEntry.objects.create(
        at=timezone.now(), employer=world["employer"], entity="training", entity_id="1",
        action="update", channel="web", actor="Zeno Zone",
        before={"duration_minutes": 120, "status": "planned", "right_type": "",
                "kind": "formal"},
        after={"duration_minutes": 450, "status": "completed", "right_type": "employer",
               "kind": "formal"},
    )  # fmt: skip
    words = HISTORY_WORDS[lang]
    url = reverse("web:access_history")
    page = client.get(url, {"who": "Zeno"}).content.decode()
    for shown in ("2:00", "7:30", *words[:6]):
        assert f">{shown}<" in page, shown
    for raw in ("duration_minutes", "right_type", ">completed<", ">planned<", ">120<",
                ">450<", ">employer<"):  # fmt: skip
        assert raw not in page, raw
    response = client.get(url, {"who": "Zeno", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    [row] = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    assert words[6] in row and words[7] in row
    changes = row[-1]
    colon = "\u00a0:" if lang == "fr" else ":"  # French: a no-break space before it
    assert f"{words[0]}{colon} 2:00 → 7:30" in changes
    assert f"{words[1]}{colon} {words[3]} → {words[2]}" in changes
    assert f"{words[5]}" in changes and "duration_minutes" not in changes
    assert "completed" not in changes and "120" not in changes


def test_a_trainings_own_history_names_zones_and_values_in_words(app, world):
    from fla.accounts.access import Caller
    from fla.trainings.models import Training
    from tests.web.conftest import declare_training

    declare_training(Caller.for_system("t"), world["employer"], world["workers"][0], "T-0",
                     duration_minutes=120, status="planned")  # fmt: skip
    training = Training.objects.get(reference="T-0", employer=world["employer"])
    app.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = app.get(reverse("web:training", args=[training.pk])).content.decode()
    assert ">Durée<" in page and ">7:30<" in page and ">2:00<" in page
    assert ">Suivie<" in page and ">Planifiée<" in page
    assert "duration_minutes" not in page and ">completed<" not in page


def test_declared_rights_and_regimes_read_in_the_users_formats(client, world):
    manager = make_user("boss", first_name="Bea", last_name="Baas")
    grant(manager, world["employer"], "manage")
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    HistoryEntry.objects.create(
        at=timezone.now(), employer=world["employer"], entity="rights", entity_id="1:2026",
        action="set", channel="web", actor="Zeno",
        before={"year": 2026, "declared": {}, "opt_out": False},
        after={"year": 2026, "declared": {"employer": 480, "legal": 2280}, "opt_out": True},
    )  # fmt: skip
    HistoryEntry.objects.create(
        at=timezone.now(), employer=world["employer"], entity="employment", entity_id="2",
        action="update", channel="batch", actor="Zeno",
        before={"regime": "1.0000", "joint_committee": "200"},
        after={"regime": "0.8000", "joint_committee": "200"},
    )  # fmt: skip
    page = client.get(reverse("web:access_history"), {"who": "Zeno"}).content.decode()
    assert ">Aangegeven rechten<" in page and ">Wettelijk: 38:00, Werkgever: 8:00<" in page
    assert ">Arbeidsregime<" in page and ">0,8<" in page
    assert "declared" not in page and ">regime<" not in page


def test_the_average_fte_in_the_history_has_two_decimals_as_in_its_table():
    from django.utils import translation

    from fla.web.history import shown

    with translation.override("nl"):
        assert [shown(v, "average_fte") for v in ("13.0000", "12.5000", "8.1250")] == [
            "13,00", "12,50", "8,13",
        ]  # fmt: skip
        assert shown("0.8000", "regime") == "0,8"
    with translation.override("en"):
        assert shown("13.0000", "average_fte") == "13.00"


def test_a_zone_without_a_value_before_or_after_is_no_change_and_zones_keep_form_order():
    from fla.web.history import diff

    entry = HistoryEntry(
        entity="training", action="create", before=None,
        after={"version": 1, "description": "", "title": "Excel", "reference": "R-1",
               "certificate_valid_until": None},
    )  # fmt: skip
    assert [c["name"] for c in diff(entry)["changes"]] == ["reference", "title", "version"]
