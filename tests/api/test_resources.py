"""Workers, rights, credit, validation and the catalogue through the API."""

from __future__ import annotations

from fla.rights.models import TrainingRight
from fla.workers.models import Employment, Worker
from tests import factories
from tests.api.conftest import API, assert_problem, training_body


def _base(world):
    return f"employers/{world.own.employer.enterprise_number}"


def test_get_employer_has_an_etag(world, as_employer):
    response = as_employer.get(_base(world))
    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response.json()["formatted_enterprise_number"].count(".") == 2


def test_worker_search_by_insz_and_name(world, as_employer):
    employer = world.own.employer
    factories.make_worker(employer, first_name="Marie", last_name="Dubois")
    factories.make_worker(employer, first_name="Marc", last_name="Dupont")
    factories.make_worker(world.foreign.employer, first_name="Marie", last_name="Elders")
    url = _base(world) + "/workers"
    by_name = as_employer.get(url + "?name=mari").json()["items"]
    assert [(w["first_name"], w["last_name"]) for w in by_name] == [("Marie", "Dubois")]
    insz = world.own.worker.insz
    by_insz = as_employer.get(url + f"?insz={insz[:6]}.{insz[6:9]}").json()["items"]
    assert [w["insz"] for w in by_insz] == [insz]
    seen, cursor = [], None
    while True:
        data = as_employer.get(url + "?limit=1" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [w["last_name"] for w in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == 3


def test_the_worker_search_cursor_holds_no_name_and_stays_with_the_employer(world, as_employer):
    import base64

    employer = world.own.employer
    factories.make_worker(employer, first_name="Marie", last_name="Dubois")
    factories.make_worker(employer, first_name="Marc", last_name="Dupont")
    url = _base(world) + "/workers?limit=1"
    seen, cursor, cursors = [], None, []
    while True:
        data = as_employer.get(url + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [(w["last_name"], w["first_name"]) for w in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
        cursors.append(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    assert seen == sorted(seen) and len(seen) == 3
    for decoded in cursors:  # the cursor travels in URLs and logs: no name in it
        assert not any(name in decoded for pair in seen for name in pair), decoded
    # A cursor naming another employer's worker is not one this API gave this client.
    foreign = base64.urlsafe_b64encode(f"[{world.foreign.worker.pk}]".encode()).decode()
    assert_problem(as_employer.get(url + f"&cursor={foreign}"), 400)
    stale = base64.urlsafe_b64encode(b'["Dubois","Marie",1]').decode()
    assert_problem(as_employer.get(url + f"&cursor={stale}"), 400)


def test_worker_detail_and_unknown_worker(world, as_employer):
    url = _base(world) + f"/workers/{world.own.worker.insz}"
    data = as_employer.get(url).json()
    assert data["employments"][0]["joint_committee"] == "200"
    assert_problem(as_employer.get(_base(world) + f"/workers/{world.foreign.worker.insz}"), 404)
    assert_problem(as_employer.get(_base(world) + "/workers/12345678901"), 404)


def test_put_worker_creates_with_employment_then_updates(world, as_employer):
    insz = factories.make_insz()
    url = _base(world) + f"/workers/{insz}"
    body = {
        "first_name": "Els",
        "last_name": "Maes",
        "employment": {"start_date": "2025-02-01", "regime": 0.5, "joint_committee": "200"},
    }
    created = as_employer.put(url, body)
    assert created.status_code == 201, created.content
    assert created.json()["worker"]["employments"][0]["regime"] == "0.5"
    assert Employment.objects.filter(worker__insz=insz, employer=world.own.employer).count() == 1
    etag = created["ETag"]
    renamed = as_employer.put(
        url, {**body, "last_name": "Maes-Peeters"}, headers={"If-Match": etag}
    )
    assert renamed.status_code == 200, renamed.content
    assert Worker.objects.get(insz=insz).last_name == "Maes-Peeters"
    assert_problem(as_employer.put(url, body, headers={"If-Match": etag}), 412)
    assert Employment.objects.filter(worker__insz=insz, employer=world.own.employer).count() == 1


def test_put_worker_with_bad_zones_gives_422(world, as_employer):
    url = _base(world) + f"/workers/{factories.make_insz()}"
    body = {
        "first_name": "Els",
        "last_name": "Maes",
        "employment": {"start_date": "2025-02-01", "regime": 2, "joint_committee": "abc"},
    }
    problem = assert_problem(as_employer.put(url, body), 422)
    assert {a["code"] for a in problem["anomalies"]} >= {"E014", "E026"}


def test_rights_shows_computed_and_declared_apart(world, as_employer):
    url = _base(world) + f"/workers/{world.own.worker.insz}/rights/2025"
    before = as_employer.get(url)
    assert before.json()["computed"]["legal_minutes"] == 2280
    assert before.json()["declared"]["legal_minutes"] is None
    assert before.json()["effective"]["legal_minutes"] == 2280
    put = as_employer.put(
        url, {"legal_minutes": 1800, "employer_minutes": 120}, headers={"If-Match": before["ETag"]}
    )
    assert put.status_code == 200, put.content
    rights = put.json()["rights"]
    assert rights["computed"]["legal_minutes"] == 2280
    assert rights["declared"] == {
        "legal_minutes": 1800,
        "sector_minutes": None,
        "employer_minutes": 120,
    }
    assert rights["effective"]["legal_minutes"] == 1800
    assert put.json()["status"] == "accepted_with_warnings"  # differs from the computed one
    assert "W006" in [w["code"] for w in put.json()["warnings"]]
    assert TrainingRight.objects.filter(worker=world.own.worker, source="declared").count() == 2
    assert_problem(
        as_employer.put(url, {"legal_minutes": 1}, headers={"If-Match": before["ETag"]}), 412
    )
    assert_problem(as_employer.put(url, {"legal_minutes": -5}), 422)


def test_credit_per_year_and_type(world, as_employer):
    url = _base(world) + f"/workers/{world.own.worker.insz}/credit"
    data = as_employer.get(url).json()
    [year] = [y for y in data["years"] if y["year"] == 2025]
    legal = next(t for t in year["types"] if t["right_type"] == "legal")
    assert (legal["granted_minutes"], legal["used_minutes"]) == (2280, 450)
    assert (legal["granted"], legal["used"], legal["remaining"]) == ("38:00", "7:30", "30:30")
    assert data["remaining_minutes"] == 2280 - 450
    assert data["remaining"] == "30:30"


def test_credit_year_shows_granted_used_and_remaining_as_the_totals_and_types_do(
    world, as_employer
):
    url = _base(world) + f"/workers/{world.own.worker.insz}/credit"
    data = as_employer.get(url).json()
    [year] = [y for y in data["years"] if y["year"] == 2025]
    # the same amounts, in minutes and in h:mm, at every level of the answer
    amounts = set(data) - {"insz", "years"}
    assert set(year) - {"year", "types"} == amounts
    assert all(set(t) - {"right_type"} == amounts for t in year["types"])
    assert (year["granted_minutes"], year["used_minutes"]) == (2280, 450)
    assert (year["granted"], year["used"], year["remaining"]) == ("38:00", "7:30", "30:30")


def test_validate_is_a_dry_run_of_any_kind(world, as_employer):
    from fla.trainings.models import Training

    insz = world.own.worker.insz
    body = {
        "declarations": [
            {"kind": "training", "data": {**training_body(insz), "reference": "DRY-1"}},
            {
                "kind": "training",
                "data": {**training_body(insz, duration_minutes=0), "reference": "D2"},
            },
            {"kind": "rights", "data": {"insz": insz, "year": 2025, "legal_minutes": 60}},
            {
                "kind": "worker",
                "data": {"insz": "12345678901", "first_name": "X", "last_name": "Y"},
            },
            {"kind": "nonsense", "data": {}},
        ]
    }
    as_employer.language = "nl"
    response = as_employer.post(_base(world) + "/declarations/validate", body)
    assert response.status_code == 200, response.content
    outcomes = response.json()["outcomes"]
    assert outcomes[0]["status"] in {"accepted", "accepted_with_warnings"}
    assert outcomes[1]["status"] == "rejected"
    assert [a["code"] for a in outcomes[1]["anomalies"]] == ["E007"]
    assert outcomes[1]["anomalies"][0]["message"] == "De duur moet groter zijn dan nul."
    assert outcomes[3]["status"] == "rejected" and outcomes[4]["status"] == "rejected"
    assert "E031" in [a["code"] for a in outcomes[4]["anomalies"]]
    assert not Training.objects.filter(reference__in=["DRY-1", "D2"]).exists()
    assert not TrainingRight.objects.filter(source="declared").exists()


def test_catalogue_in_the_asked_language(world, as_employer):
    as_employer.language = "de"
    response = as_employer.get("anomalies")
    assert response["Content-Language"] == "de"
    entries = {a["code"]: a for a in response.json()}
    assert entries["E016"]["message"] == "Pflichtfeld fehlt."
    assert len(entries) >= 39
    # None of the four asked: the application's language (nl), for the messages too.
    as_employer.language = "es, it"
    fallback = as_employer.get("anomalies")
    assert fallback["Content-Language"] == "nl"
    assert {a["code"]: a for a in fallback.json()}["E016"][
        "message"
    ] == "Verplichte zone ontbreekt."


def test_put_worker_says_where_the_worker_is(world, as_employer):
    # 201 Created names the new resource (RFC 9110 §15.3.2), as a training's PUT does;
    # the URL carries the INSZ as stored, whatever separators the path had.
    insz = factories.make_insz()
    written = f"{insz[:2]}.{insz[2:4]}.{insz[4:6]}-{insz[6:9]}.{insz[9:]}"
    body = {
        "first_name": "Els",
        "last_name": "Maes",
        "employment": {"start_date": "2025-02-01", "joint_committee": "200"},
    }
    created = as_employer.put(_base(world) + f"/workers/{written}", body)
    assert created.status_code == 201, created.content
    assert created["Location"] == f"{API}/{_base(world)}/workers/{insz}"
    assert as_employer.get(created["Location"]).json() == created.json()["worker"]
    again = as_employer.put(_base(world) + f"/workers/{insz}", body)
    assert (again.status_code, again["Location"]) == (200, created["Location"])
