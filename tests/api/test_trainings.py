"""Trainings through the API: idempotent PUT, versions and If-Match, cancel, the list."""

from __future__ import annotations

from fla.audit.models import HistoryEntry
from fla.trainings.models import Training
from tests.api.conftest import assert_problem, declare_training, training_body


def _url(world, reference="NEW-1"):
    return f"employers/{world.own.employer.enterprise_number}/trainings/{reference}"


def test_put_creates_then_replays_without_duplicate(world, as_employer):
    body = training_body(world.own.worker.insz)
    first = as_employer.put(_url(world), body)
    assert first.status_code == 201, first.content
    assert first["ETag"] == '"1"'
    replay = as_employer.put(_url(world), body)
    assert replay.status_code == 200, replay.content
    assert replay["ETag"] == '"1"'
    assert replay.json()["training"] == first.json()["training"]
    assert Training.objects.filter(employer=world.own.employer, reference="NEW-1").count() == 1
    training = Training.objects.get(employer=world.own.employer, reference="NEW-1")
    assert training.channel == "api"
    assert HistoryEntry.objects.filter(entity="training", entity_id=str(training.pk)).count() == 1


def test_put_replaces_and_raises_the_version(world, as_employer):
    as_employer.put(_url(world), training_body(world.own.worker.insz))
    changed = as_employer.put(_url(world), training_body(world.own.worker.insz, title="Nieuw"))
    assert changed.status_code == 200
    assert changed["ETag"] == '"2"'
    assert changed.json()["training"]["title"] == "Nieuw"
    got = as_employer.get(_url(world))
    assert got["ETag"] == '"2"' and got.json()["version"] == 2


def test_stale_if_match_gives_412_and_changes_nothing(world, as_employer):
    as_employer.put(_url(world), training_body(world.own.worker.insz))
    as_employer.put(_url(world), training_body(world.own.worker.insz, title="Tweede"))
    stale = as_employer.put(
        _url(world),
        training_body(world.own.worker.insz, title="Derde"),
        headers={"If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    assert Training.objects.get(reference="NEW-1").title == "Tweede"
    fresh = as_employer.put(
        _url(world),
        training_body(world.own.worker.insz, title="Derde"),
        headers={"If-Match": '"2"'},
    )
    assert fresh.status_code == 200 and fresh["ETag"] == '"3"'


def test_if_match_on_an_unknown_training_gives_412(world, as_employer):
    response = as_employer.put(
        _url(world, "NONE"), training_body(world.own.worker.insz), headers={"If-Match": '"1"'}
    )
    assert_problem(response, 412)
    assert not Training.objects.filter(reference="NONE").exists()


def test_blocking_anomalies_give_422_with_every_anomaly_in_the_language(world, as_employer):
    as_employer.language = "fr-BE,fr;q=0.9,en;q=0.5"
    body = training_body(
        world.own.worker.insz,
        title="",
        start_date="2025-03-12",
        end_date="2025-03-11",
        duration_minutes=0,
    )
    response = as_employer.put(_url(world), body)
    problem = assert_problem(response, 422)
    codes = sorted(a["code"] for a in problem["anomalies"])
    assert codes == ["E006", "E007", "E016"]
    e006 = next(a for a in problem["anomalies"] if a["code"] == "E006")
    assert e006["zone"] == "end_date"
    assert e006["message"] == "La date de fin précède la date de début."
    assert response["Content-Language"] == "fr"
    assert not Training.objects.filter(reference="NEW-1").exists()


def test_malformed_zones_give_422_with_catalogue_codes(world, as_employer):
    as_employer.language = "de"
    body = training_body(
        world.own.worker.insz, start_date="10/03/2025", duration_minutes="lang", kind="lecture"
    )
    del body["title"]
    problem = assert_problem(as_employer.put(_url(world), body), 422)
    by_zone = {e["zone"]: e for e in problem["errors"]}
    assert by_zone["title"]["code"] == "E016"
    assert by_zone["start_date"]["code"] == "E010"
    assert by_zone["duration_minutes"]["code"] == "E019"
    assert by_zone["kind"]["code"] == "E011"
    assert by_zone["title"]["message"] == "Pflichtfeld fehlt."


def test_warnings_come_back_with_the_201(world, as_employer):
    body = training_body(world.own.worker.insz, start_date="2099-12-01", end_date="2099-12-02")
    response = as_employer.put(_url(world), body)
    if response.status_code == 422:  # a date this far out may be out of the accepted range
        body = training_body(
            world.own.worker.insz, status="planned", start_date="2024-02-01", end_date="2024-02-02"
        )
        response = as_employer.put(_url(world), body)
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["status"] == "accepted_with_warnings"
    assert result["warnings"] and all(w["severity"] == "warning" for w in result["warnings"])
    assert result["training"]["warnings"] == [w["code"] for w in result["warnings"]]


def test_reference_of_another_worker_is_refused(world, as_employer):
    from tests import factories

    other = factories.make_worker(world.own.employer)
    response = as_employer.put(_url(world, "T-1"), training_body(other.insz))
    problem = assert_problem(response, 422)
    assert [a["code"] for a in problem["anomalies"]] == ["E025"]


def test_delete_cancels_and_honours_if_match(world, as_employer):
    stale = as_employer.delete(_url(world, "T-1"), headers={"If-Match": '"7"'})
    assert_problem(stale, 412)
    response = as_employer.delete(_url(world, "T-1"), headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.content
    assert response.json()["training"]["status"] == "cancelled"
    assert response["ETag"] == '"2"'
    assert Training.objects.get(reference="T-1", employer=world.own.employer).status == "cancelled"
    assert_problem(as_employer.delete(_url(world, "UNKNOWN")), 404)


def test_list_filters_and_cursor_pagination(world, as_employer):
    employer, worker = world.own.employer, world.own.worker
    for n in range(5):
        declare_training(
            employer,
            worker,
            f"L-{n}",
            title=f"Opleiding {n}",
            start_date=f"2025-0{n + 1}-01",
            end_date=f"2025-0{n + 1}-02",
            status="planned" if n % 2 else "completed",
        )
    url = f"employers/{employer.enterprise_number}/trainings"
    seen, cursor = [], None
    while True:
        page = as_employer.get(url + "?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status_code == 200, page.content
        data = page.json()
        assert len(data["items"]) <= 2
        seen += [t["reference"] for t in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(["T-1"] + [f"L-{n}" for n in range(5)])
    assert len(seen) == len(set(seen))
    planned = as_employer.get(url + "?status=planned").json()["items"]
    assert sorted(t["reference"] for t in planned) == ["L-1", "L-3"]
    assert as_employer.get(url + "?year=2024").json()["items"] == []
    mine = as_employer.get(url + f"?insz={worker.insz}").json()["items"]
    assert len(mine) == 6
    later = as_employer.get(url + "?updated_since=2999-01-01T00:00:00Z").json()["items"]
    assert later == []
    assert_problem(as_employer.get(url + "?cursor=bm9wZQ"), 400)
    assert_problem(as_employer.get(url + "?status=unknown"), 422)


def test_a_put_reads_its_employer_once(world, as_employer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"employers/{world.own.employer.enterprise_number}/trainings/ONCE-1"
    with CaptureQueriesContext(connection) as ctx:
        response = as_employer.put(url, training_body(world.own.worker.insz))
    assert response.status_code == 201, response.content
    employer_reads = [
        q["sql"] for q in ctx.captured_queries if 'FROM "employers_employer"' in q["sql"]
    ]
    assert len(employer_reads) == 1, employer_reads


def test_the_reply_shows_the_training_as_stored(world, as_employer):
    """The reply is built from what the write path wrote, without reading it again: it
    must equal a GET afterwards, whatever happened (created, replaced with a credit
    warning added after the write, replayed, cancelled)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    insz = world.own.worker.insz
    over_credit = training_body(
        insz, start_date="2025-01-06", end_date="2025-12-19", duration_minutes=30_000
    )
    steps = [
        ("put", training_body(insz)),
        ("put", over_credit),  # far over the credit: W003 is added after the write
        ("put", over_credit),  # the same again
        ("delete", None),
        ("delete", None),
    ]
    for method, body in steps:
        with CaptureQueriesContext(connection) as ctx:
            if method == "put":
                reply = as_employer.put(_url(world, "ASIS-1"), body)
            else:
                reply = as_employer.delete(_url(world, "ASIS-1"))
        assert reply.status_code in (200, 201), reply.content
        statements = [q["sql"] for q in ctx.captured_queries]
        writes = [i for i, sql in enumerate(statements) if 'INTO "audit_historyentry"' in sql]
        after = statements[writes[-1] + 1 :] if writes else []
        assert not [sql for sql in after if 'FROM "trainings_training" INNER JOIN' in sql]
        stored = as_employer.get(_url(world, "ASIS-1"))
        assert reply.json()["training"] == stored.json(), (method, body)
        assert reply["ETag"] == stored["ETag"]
        if body is over_credit:
            assert "W003" in reply.json()["training"]["warnings"]
    assert as_employer.get(_url(world, "ASIS-1")).json()["status"] == "cancelled"
