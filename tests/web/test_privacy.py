"""Personal data: export of one worker as JSON, erasure after the retention period,
and error reports without an INSZ."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import get_exception_reporter_class, get_exception_reporter_filter

from fla.accounts.access import Caller
from fla.audit.models import HistoryEntry
from fla.core.privacy import (
    ERASE_COUNTS,
    InszExceptionReporter,
    InszExceptionReporterFilter,
    erase_expired,
    retention_cutoff,
)
from fla.rights.models import Account, CreditLine, TrainingRight
from fla.rights.services import compute_rights, refresh_accounts
from fla.trainings.models import Training
from fla.workers.models import Employment, Worker
from tests.factories import grant, make_employer, make_user, make_worker
from tests.web.conftest import declare_training

pytestmark = pytest.mark.django_db


@pytest.fixture
def mgr(client, world):
    for year in (2024, 2025, 2026):
        compute_rights(year, employer_ids=[world["employer"].pk])
    user = make_user("boss", first_name="Bea", last_name="Baas")
    grant(user, world["employer"], "manage")
    client.force_login(user)
    return client


# --- export --------------------------------------------------------------------------


def test_a_manager_exports_everything_held_on_a_worker_and_it_is_recorded(mgr, world):
    worker = world["workers"][0]
    url = reverse("web:worker_export", args=[worker.pk])
    assert (
        reverse("web:worker_export", args=[worker.pk])
        in mgr.get(reverse("web:worker", args=[worker.pk])).content.decode()
    )
    response = mgr.post(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["worker"]["insz"] == worker.insz
    assert data["employer"]["enterprise_number"] == world["employer"].enterprise_number
    assert [t["reference"] for t in data["trainings"]] == ["T-0"]
    assert len(data["employments"]) == 1
    assert data["rights"]["computed"] and data["rights"]["declared"] == []
    assert data["credit_lines"] and data["account"]["trainings_count"] == 1
    assert {h["entity"] for h in data["history"]} >= {"training"}
    entry = HistoryEntry.objects.get(action="export")
    assert (entry.entity, entry.entity_id, entry.channel) == ("worker", str(worker.pk), "web")
    assert entry.employer == world["employer"] and entry.actor == "Bea Baas"
    assert worker.insz not in json.dumps(entry.after)


def test_the_export_holds_only_this_employers_data(mgr, world):
    worker = world["workers"][0]
    other = make_employer("Other")
    Employment.objects.create(
        worker=worker, employer=other, start_date=dt.date(2021, 1, 1), joint_committee="200"
    )
    declare_training(Caller.for_system(), other, worker, "THEIRS")
    data = json.loads(mgr.post(reverse("web:worker_export", args=[worker.pk])).content)
    assert [t["reference"] for t in data["trainings"]] == ["T-0"]
    assert len(data["employments"]) == 1
    assert "THEIRS" not in json.dumps(data)


def test_export_is_for_managers_and_own_workers_only(mgr, world):
    worker = world["workers"][0]
    url = reverse("web:worker_export", args=[worker.pk])
    declarant = Client()
    declarant.force_login(world["user"])
    assert declarant.post(url).status_code == 404
    stranger = make_worker(make_employer("Other"))
    assert mgr.post(reverse("web:worker_export", args=[stranger.pk])).status_code == 404
    assert mgr.get(url).status_code == 405
    assert not HistoryEntry.objects.filter(action="export").exists()


# --- erasure -------------------------------------------------------------------------


@pytest.fixture
def aged(world):
    """Worker A left in mid-2024; worker B stays, with an old and a recent training;
    worker C left this employer in 2024 but still works for another one."""
    employer = world["employer"]
    system = Caller.for_system()
    a = make_worker(employer, end=dt.date(2024, 6, 30), first_name="Ann", last_name="Alt")
    c = make_worker(employer, end=dt.date(2024, 6, 30), first_name="Cor", last_name="Co")
    other = make_employer("Other")
    Employment.objects.create(
        worker=c, employer=other, start_date=dt.date(2024, 7, 1), joint_committee="200"
    )
    b = world["workers"][1]  # has T-1, declared recently
    old = {"start_date": "2024-03-01", "end_date": "2024-03-02", "duration_minutes": 120}
    declare_training(system, employer, a, "A-OLD", **old)
    declare_training(system, employer, b, "B-OLD", **old)
    declare_training(system, employer, c, "C-OLD", **old)
    declare_training(system, other, c, "C-OTHER")
    for year in (2024, 2025):
        compute_rights(year, employer_ids=[employer.pk, other.pk])
    refresh_accounts(employer.pk)
    refresh_accounts(other.pk)
    return {"employer": employer, "other": other, "a": a, "b": b, "c": c}


def test_retention_cutoff_handles_29_february():
    assert retention_cutoff(dt.date(2036, 2, 29), 10) == dt.date(2026, 2, 28)
    assert retention_cutoff(dt.date(2035, 1, 1), 10) == dt.date(2025, 1, 1)


def test_erase_expired_removes_old_data_and_records_counts_only(aged):
    employer, a, b, c = aged["employer"], aged["a"], aged["b"], aged["c"]
    a_insz = a.insz
    a_training = Training.objects.get(reference="A-OLD")
    b_used_before = Account.objects.get(employer=employer, worker=b).used_minutes

    counts = erase_expired(today=dt.date(2035, 1, 1), years=10)  # cut-off 2025-01-01

    # A: everything gone, the worker too.
    assert not Worker.objects.filter(pk=a.pk).exists()
    assert not Training.objects.filter(worker_id=a.pk).exists()
    assert not TrainingRight.objects.filter(worker_id=a.pk).exists()
    assert not CreditLine.objects.filter(worker_id=a.pk).exists()
    entries = HistoryEntry.objects.filter(entity="training", entity_id=str(a_training.pk))
    assert entries.exists() and all(e.before is None and e.after is None for e in entries)
    # B: still employed; the old training is gone, the recent one and his rights stay.
    assert set(Training.objects.filter(worker=b).values_list("reference", flat=True)) == {"T-1"}
    assert TrainingRight.objects.filter(worker=b, employer=employer).exists()
    assert Account.objects.get(employer=employer, worker=b).used_minutes == b_used_before - 120
    # C: this employer's data gone, the other employer's kept.
    assert Worker.objects.filter(pk=c.pk).exists()
    assert not Employment.objects.filter(worker=c, employer=employer).exists()
    assert not Training.objects.filter(worker=c, employer=employer).exists()
    assert Training.objects.filter(worker=c, employer=aged["other"], reference="C-OTHER").exists()
    assert Account.objects.filter(worker=c, employer=aged["other"]).exists()

    assert counts["workers"] == 2 and counts["workers_removed"] == 1
    assert counts["trainings"] == 3
    erase = HistoryEntry.objects.get(employer=employer, action="erase")
    assert (erase.entity, erase.channel) == ("retention", "system")
    assert erase.after["cutoff"] == "2025-01-01" and erase.after["trainings"] == 3
    assert a_insz not in json.dumps(erase.after) and "Ann" not in json.dumps(erase.after)
    assert HistoryEntry.objects.filter(employer=None, action="erase").exists()


def test_nothing_expires_within_the_period(aged):
    trainings = Training.objects.count()
    assert erase_expired(today=dt.date(2026, 1, 1), years=10) == {}
    assert Training.objects.count() == trainings
    assert not HistoryEntry.objects.filter(action="erase").exists()


def test_the_command_uses_the_retention_setting(aged, settings):
    settings.FLA_RETENTION_YEARS = 3
    out = io.StringIO()
    call_command("erase_expired", "--today", "2028-01-01", stdout=out)
    result = json.loads(out.getvalue())
    assert result["cutoff"] == "2025-01-01" and result["trainings"] == 3
    assert not Worker.objects.filter(pk=aged["a"].pk).exists()


def test_the_command_reports_zero_counts_when_nothing_expires(aged):
    out = io.StringIO()
    call_command("erase_expired", "--today", "2026-01-01", "--years", "10", stdout=out)
    result = json.loads(out.getvalue())
    assert result == {"cutoff": "2016-01-01", **{key: 0 for key in ERASE_COUNTS}}
    assert {"batch_files", "trainings", "workers", "workers_removed"} <= set(result)


def test_the_command_reports_every_count_a_run_can_make(aged):
    counts = erase_expired(today=dt.date(2035, 1, 1), years=10)
    assert counts and set(counts) <= set(ERASE_COUNTS)
    out = io.StringIO()
    call_command("erase_expired", "--today", "2035-01-01", "--years", "10", stdout=out)
    assert set(json.loads(out.getvalue())) == {"cutoff", *ERASE_COUNTS}


def test_the_command_refuses_bad_arguments():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("erase_expired", "--today", "2028-02-30")
    with pytest.raises(CommandError):
        call_command("erase_expired", "--years", "0")


# --- error reports -------------------------------------------------------------------

INSZ = "85073003328"


def test_the_settings_use_the_masking_reporter_and_filter(rf: RequestFactory):
    request = rf.get("/")
    assert isinstance(get_exception_reporter_filter(request), InszExceptionReporterFilter)
    assert get_exception_reporter_class(request) is InszExceptionReporter


def test_post_data_and_meta_are_masked(rf: RequestFactory):
    request = rf.post("/app/search/", {"insz": INSZ, "dotted": "85.07.30-033.28", "name": "Jan"})
    request.META["HTTP_X_NOTE"] = f"for {INSZ}"
    flt = InszExceptionReporterFilter()
    post = flt.get_post_parameters(request)
    assert post["insz"] == "850730*****" and post["dotted"] == "850730*****"
    assert post["name"] == "Jan"
    assert flt.get_safe_request_meta(request)["HTTP_X_NOTE"] == "for 850730*****"


def test_traceback_variables_and_message_are_masked_in_text_and_html(rf: RequestFactory):
    request = rf.post("/app/search/?q=85.07.30-033.28", {"insz": INSZ})

    def fail(insz, worker):
        raise ValueError(f"unknown worker {insz}")

    try:
        fail(INSZ, {"insz": "85.07.30-033.28", "name": "Jan"})
    except ValueError:
        reporter = InszExceptionReporter(request, *sys.exc_info())
        text = reporter.get_traceback_text()
        html = reporter.get_traceback_html()
        frames = InszExceptionReporterFilter().get_traceback_frame_variables(
            request, sys.exc_info()[2].tb_next.tb_frame
        )
    for report in (text, html):
        assert INSZ not in report and "85.07.30-033.28" not in report
        assert "850730*****" in report
    assert dict(frames)["insz"] == "850730*****"
    assert "850730*****" in repr(dict(frames)["worker"])


def test_the_debug_500_page_shows_no_insz(rf: RequestFactory):
    from django.views.debug import technical_500_response

    request = rf.post("/x", {"insz": INSZ})
    try:
        raise RuntimeError(f"boom {INSZ}")
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    body = response.content.decode()
    assert response.status_code == 500
    assert INSZ not in body and "850730*****" in body
