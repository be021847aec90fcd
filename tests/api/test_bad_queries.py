"""Cursors and query parameters that are not what the API gives or takes: 400 or 422
problem+json with a reason, never a 500, on SQLite as on PostgreSQL."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from tests.api.conftest import assert_problem, declare_training


def cursor(values) -> str:
    text = json.dumps(values)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_NAME_CURSORS = [  # (last name, first name, id) for workers
    [None, None, 1],
    ["a\u0000", "b", 1],
    ["\ud800", "a", 1],  # a lone surrogate: valid JSON, no text a database takes
    ["a", "b\u0000", 1],
    ["a", "b", None],
    ["a", "b", "1"],
    ["a", "b", True],
    ["a", "b", 1.5],
    ["a", "b", 0],
    ["a", "b", 2**63],
    ["a", "b", 10**40],
    [1, 2, 3],
    [["a"], {"b": 1}, 1],
    ["a", "b"],
    "a,b,1",
    {"a": 1},
]
GOOD_MOMENT = "2025-01-01T00:00:00+00:00"
BAD_MOMENT_CURSORS = [  # (updated at, id, sync from) for trainings
    ["0001-01-01T00:00:00+14:00", 1, GOOD_MOMENT],
    ["9999-12-31T23:59:59-12:00", 1, GOOD_MOMENT],
    ["2025-01-01T00:00:00", 1, GOOD_MOMENT],  # no offset: never one the API gave
    ["2025-01-01T00:00:00+00:00\u0000", 1, GOOD_MOMENT],
    ["\u0000", 1, GOOD_MOMENT],
    ["\ud800", 1, GOOD_MOMENT],
    [GOOD_MOMENT, 1, "\udfff"],
    [None, 1, GOOD_MOMENT],
    [20250101, 1, GOOD_MOMENT],
    [GOOD_MOMENT, None, GOOD_MOMENT],
    [GOOD_MOMENT, 2**64, GOOD_MOMENT],
    [GOOD_MOMENT, -1, GOOD_MOMENT],
    ["2025-13-01T00:00:00+00:00", 1, GOOD_MOMENT],
    [GOOD_MOMENT, 1, "9999-12-31T23:59:59-12:00"],
    [GOOD_MOMENT, 1, None],
    [GOOD_MOMENT, 1, "soon"],
    [GOOD_MOMENT, 1],  # a cursor of an earlier version, without its sync time
]
BAD_EMPLOYER_CURSORS = [
    [None],
    ["0403\u0000170701"],
    [403170701],
    [],
    ["a", "b"],
    ["\ud800"],
]
NOT_BASE64 = ["!!!", "\u00e9", "%00", "a", "bm9wZQ", quote("\u0000")]


def _base(world) -> str:
    return f"employers/{world.own.employer.enterprise_number}"


@pytest.mark.parametrize("values", BAD_NAME_CURSORS, ids=repr)
def test_a_bad_worker_cursor_gives_400(world, as_employer, values):
    response = as_employer.get(_base(world) + "/workers?cursor=" + cursor(values))
    problem = assert_problem(response, 400)
    assert problem["detail"] == "Deze cursor werd niet door deze API gegeven."


@pytest.mark.parametrize("values", BAD_MOMENT_CURSORS, ids=repr)
def test_a_bad_training_cursor_gives_400(world, as_employer, values):
    response = as_employer.get(_base(world) + "/trainings?cursor=" + cursor(values))
    problem = assert_problem(response, 400)
    assert problem["type"] == "urn:fla:problem:bad-cursor"


@pytest.mark.parametrize("values", BAD_EMPLOYER_CURSORS, ids=repr)
def test_a_bad_employer_cursor_gives_400(world, as_employer, values):
    assert_problem(as_employer.get("employers?cursor=" + cursor(values)), 400)


@pytest.mark.parametrize("text", NOT_BASE64)
@pytest.mark.parametrize("where", ["employers", "{base}/workers", "{base}/trainings"])
def test_a_cursor_that_is_no_cursor_gives_400_or_422(world, as_employer, where, text):
    url = where.format(base=_base(world)) + "?cursor=" + text
    response = as_employer.get(url)
    assert response.status_code in (400, 422), response.content
    assert_problem(response, response.status_code)


def test_the_cursors_the_api_gives_still_work(world, as_employer):
    for n in range(3):
        declare_training(world.own.employer, world.own.worker, f"C-{n}")
    seen, next_cursor = [], None
    while True:
        url = (
            _base(world) + "/trainings?limit=1" + (f"&cursor={next_cursor}" if next_cursor else "")
        )
        data = as_employer.get(url).json()
        seen += [t["reference"] for t in data["items"]]
        next_cursor = data["next_cursor"]
        if not next_cursor:
            break
    assert sorted(seen) == ["C-0", "C-1", "C-2", "T-1"]


@pytest.mark.parametrize(
    "moment,everything",
    [
        ("0001-01-01T00:00:00%2B14:00", True),  # before UTC's first moment
        ("0001-01-01T00:00:00", True),  # naive: Belgian time, also before it
        ("0001-01-01T00:00:00Z", True),
        ("9999-12-31T23:59:59-12:00", False),  # after UTC's last moment
        ("9999-12-31T23:59:59.999999Z", False),
    ],
)
def test_updated_since_at_the_ends_of_time_is_an_answer(world, as_employer, moment, everything):
    """A moment UTC cannot hold still says which trainings changed at or after it: all
    of them before the first one, none after the last one."""
    response = as_employer.get(_base(world) + "/trainings?updated_since=" + moment)
    assert response.status_code == 200, response.content
    references = [t["reference"] for t in response.json()["items"]]
    assert references == (["T-1"] if everything else [])


@pytest.mark.parametrize(
    "query",
    [
        "updated_since=2025-13-01T00:00:00Z",
        "updated_since=yesterday",
        "updated_since=2025-01-01T00:00:00%00",
        "updated_since=%00",
        "year=1800",
        "year=99999999999999999999999",
        "limit=0",
        "limit=1001",
        "limit=-1",
        "limit=1e3",
        "status=%00",
        "insz=%00",
        "insz=12345678901",  # no valid INSZ: refused, not "no such worker"
        "insz=abc",
        "cursor=" + "a" * 201,
    ],
)
def test_bad_training_filters_give_422(world, as_employer, query):
    response = as_employer.get(_base(world) + "/trainings?" + query)
    problem = assert_problem(response, 422)
    assert problem["errors"] and all(e["zone"] for e in problem["errors"]), problem


def test_an_invalid_insz_filter_names_the_anomaly(world, as_employer):
    as_employer.language = "fr"
    problem = assert_problem(as_employer.get(_base(world) + "/trainings?insz=abc"), 422)
    [error] = problem["errors"]
    assert (error["in"], error["zone"], error["code"]) == ("query", "insz", "E001")
    assert error["message"].startswith("Le NISS est invalide")


@pytest.mark.parametrize(
    "query",
    ["name=%00", "name=a%00b", "name=%C0%AF", "name=%ED%A0%80"],
)
def test_odd_characters_in_a_worker_search_never_fail(world, as_employer, query):
    response = as_employer.get(_base(world) + "/workers?" + query)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=x", "name=" + "a" * 101, "insz=" + "1" * 21]
)
def test_bad_worker_filters_give_422(world, as_employer, query):
    assert_problem(as_employer.get(_base(world) + "/workers?" + query), 422)


@pytest.mark.parametrize("query", ["limit=0", "limit=10001", "limit=x", "cursor=" + "a" * 201])
def test_bad_employer_filters_give_422(world, as_employer, query):
    assert_problem(as_employer.get("employers?" + query), 422)


@pytest.mark.parametrize(
    "path",
    [
        "batches/99999999999999999999999999",
        "batches/0",
        "batches/99999999999999999999999999/notification",
        "employers/0403%00170701",
        "employers/{number}/workers/8507%00300332",
        "employers/{number}/trainings/T%00-1",
        "employers/{number}/workers/{insz}/credit%00",
    ],
)
def test_odd_path_values_give_404(world, as_employer, path):
    url = path.format(number=world.own.employer.enterprise_number, insz=world.own.worker.insz)
    assert_problem(as_employer.get(url), 404)


@pytest.mark.parametrize(
    "path", ["batches/1.5", "batches/x", "batches/-1", "{base}/workers/{insz}/rights/1800"]
)
def test_path_values_of_the_wrong_type_give_422(world, as_employer, path):
    url = path.format(base=_base(world), insz=world.own.worker.insz)
    assert_problem(as_employer.get(url), 422)


@pytest.mark.parametrize("insz", ["abc", "%20", "---", "85a07", "%00", "85%0007"])
def test_a_worker_search_by_an_insz_without_digits_is_refused(world, as_employer, insz):
    en = world.own.employer.enterprise_number
    body = assert_problem(as_employer.get(f"employers/{en}/workers?insz={insz}"), 422)
    assert [(e["in"], e["zone"], e["code"]) for e in body["errors"]] == [("query", "insz", "E001")]


def test_a_worker_search_by_the_start_of_an_insz_as_written(world, as_employer):
    en, insz = world.own.employer.enterprise_number, world.own.worker.insz
    written = f"{insz[:2]}.{insz[2:4]}-"
    response = as_employer.get(f"employers/{en}/workers?insz={written}")
    assert response.status_code == 200, response.content
    assert [w["insz"] for w in response.json()["items"]] == [insz]


@pytest.mark.parametrize("lang, detail", [
    ("nl", "Het verzoek telt meer dan 1000 parameters."),
    ("en", "The request has more than 1000 parameters."),
])  # fmt: skip
def test_a_query_of_too_many_parameters_is_a_400(world, as_employer, lang, detail):
    """1,001 parameters fit in the request line gunicorn passes on (8190 bytes): more
    than Django reads (DATA_UPLOAD_MAX_NUMBER_FIELDS), a 400 with the reason."""
    as_employer.language = lang
    en = world.own.employer.enterprise_number
    query = "&".join(["a=1"] * 1001)
    assert len(f"GET /api/v1/employers/{en}/trainings?{query} HTTP/1.1") <= 8190
    problem = assert_problem(as_employer.get(f"employers/{en}/trainings?{query}"), 400)
    assert problem["detail"] == detail
