"""Hostile and malformed input through every channel: web form, API, BATCH file.

Each input is its own test id per channel. For every one: an anomaly of the catalogue
or a 4xx with a reason (problem+json on the API), never a 5xx; nothing stored when it
is rejected; where it is accepted, the stored text is exactly the input; in a BATCH
file the valid declarations around the hostile one are kept. Text that is shown back
(HTML, JS) is escaped on every page that shows it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from django.test import Client

from fla.accounts.access import Caller
from fla.api.services import create_client
from fla.batch.builder import file_bytes
from fla.batch.models import BatchFile, BatchResult
from fla.batch.services import process, receive
from fla.declarations.anomalies import CATALOGUE
from fla.trainings.models import Training
from tests import factories
from tests.security.conftest import TEST_SETTINGS, bearer, diff, snapshot, training_zones
from tests.web.conftest import post_confirmed

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[EW]\d{3}\b")
TEN_MB = "A" * (10 * 1024 * 1024)


def _bad_checksum(insz: str) -> str:
    return insz[:-2] + f"{(int(insz[-2:]) + 1) % 100:02d}"


@dataclass(frozen=True)
class Case:
    id: str
    zone: str
    value: object
    expect: str  # reject | accept | either
    channels: tuple[str, ...] = ("web", "api", "batch")


XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')

CASES = [
    # identifiers
    Case("insz-bad-checksum", "insz", "BAD_CHECKSUM", "reject"),
    Case("insz-empty", "insz", "", "reject"),
    Case("insz-letters", "insz", "abcdefghijk", "reject"),
    Case("insz-10-digits", "insz", "8507300012", "reject"),
    Case("insz-12-digits", "insz", "850730001277", "reject"),
    Case("insz-zeros", "insz", "00000000000", "reject"),
    Case("insz-unknown-worker", "insz", "UNKNOWN", "reject"),
    Case("insz-sql", "insz", "' OR 1=1 --", "reject"),
    Case("en-bad-checksum", "employer", "BAD_EN", "reject", ("api", "batch")),
    Case("en-letters", "employer", "ABCDEFGHIJ", "reject", ("api", "batch")),
    # dates
    Case("date-2025-02-29", "start_date", "2025-02-29", "reject"),
    Case("date-0000-01-01", "start_date", "0000-01-01", "reject"),
    Case("date-9999-12-31", "end_date", "9999-12-31", "reject"),
    Case("date-month-13", "start_date", "2024-13-01", "reject"),
    Case("date-empty", "end_date", "", "reject"),
    Case("date-leading-space", "start_date", " 2025-03-10", "either"),
    Case("date-no-padding", "start_date", "2025-3-10", "either"),
    Case("date-belgian-format", "start_date", "10/03/2025", "reject"),
    Case("date-1899", "start_date", "1899-12-31", "reject"),
    Case("date-end-before-start", "end_date", "2025-03-01", "reject"),
    Case("date-certificate-feb-30", "certificate_valid_until", "2024-02-30", "reject"),
    Case("date-sql", "start_date", "2025-03-10'; --", "reject"),
    # durations
    Case("duration-negative", "duration_minutes", -1, "reject"),
    Case("duration-zero", "duration_minutes", 0, "reject"),
    Case("duration-huge", "duration_minutes", 10**12, "reject"),
    Case("duration-2-pow-63", "duration_minutes", 2**63, "reject"),
    Case("duration-1e9-text", "duration_minutes", "1e9", "reject"),
    Case("duration-nan", "duration_minutes", "NaN", "reject"),
    Case("duration-infinity", "duration_minutes", "Infinity", "reject"),
    Case("duration-hex", "duration_minutes", "0x10", "reject"),
    Case("duration-12:30", "duration_minutes", "12:30", "either"),
    Case("duration-empty", "duration_minutes", "", "reject"),
    Case("duration-fraction", "duration_minutes", 1.5, "either"),
    # codes
    Case("kind-unknown", "kind", "hybrid", "reject"),
    Case("kind-empty", "kind", "", "reject"),
    Case("kind-nul", "kind", "formal\x00", "reject"),
    Case("status-unknown", "status", "done", "reject"),
    Case("status-upper", "status", "COMPLETED", "either"),
    Case("right-type-unknown", "right_type", "bonus", "reject"),
    # text
    Case("title-10-mb", "title", TEN_MB, "reject"),
    Case("title-201-chars", "title", "x" * 201, "reject"),
    Case("title-empty", "title", "", "reject"),
    Case("title-nul", "title", "Veilig\x00heid", "reject"),
    Case("title-bell", "title", "abc\x07def", "reject"),
    Case("title-escape-sequence", "title", "\x1b[31mrood", "reject"),
    Case("title-rtl-override", "title", "\u202eHeftruck", "either"),
    Case("title-rlm", "title", "Heftruck \u200f", "either"),
    Case("title-newline", "title", "twee\nregels", "either"),
    Case("title-emoji", "title", "🎓 Opleiding", "accept"),
    Case("title-script", "title", XSS[0], "accept"),
    Case("title-img-onerror", "title", XSS[1], "accept"),
    Case("description-svg", "description", "<svg onload=alert(1)>", "accept"),
    Case("provider-script", "provider", XSS[0], "accept"),
    Case("title-sql-drop", "title", "'; DROP TABLE trainings_training; --", "accept"),
    Case("provider-sql", "provider", "Robert'); DROP TABLE workers_worker;--", "accept"),
    Case("description-2001", "description", "d" * 2001, "reject"),
    Case("reference-65", "reference", "R" * 65, "reject"),
    Case("reference-sql", "reference", "x' OR '1'='1", "either"),
    Case("reference-slash", "reference", "../../etc/passwd", "either"),
]
TEXT_ZONES = {"title", "description", "provider", "reference"}


class Setup:
    def __init__(self):
        self.employer = factories.make_employer("Slachtoffer NV")
        self.worker = factories.make_worker(self.employer, start=dt.date(2020, 1, 1))
        self.user = factories.make_user()
        factories.grant(self.user, self.employer, "declare")
        self.client = create_client(name="payroll", employer=self.employer).client

    def zones(self, reference: str, case: Case | None = None) -> dict:
        data = training_zones(self.worker.insz, reference)
        if case is not None and case.zone != "employer":
            data[case.zone] = self.value(case)
        return data

    def value(self, case: Case):
        if case.value == "BAD_CHECKSUM":
            return _bad_checksum(self.worker.insz)
        if case.value == "UNKNOWN":
            return factories.make_insz(dt.date(1990, 2, 2))
        if case.value == "BAD_EN":
            return _bad_checksum(self.employer.enterprise_number)
        return case.value

    def employer_number(self, case: Case) -> str:
        if case.zone == "employer":
            return self.value(case)
        return self.employer.enterprise_number


@pytest.fixture
def setup(db, settings, tmp_path):
    for name, value in TEST_SETTINGS.items():
        setattr(settings, name, value)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "spool").mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    return Setup()


def _stored(setup: Setup, reference: str) -> Training | None:
    return Training.objects.filter(employer=setup.employer, reference=reference).first()


def _check_stored(case: Case, training: Training, channel: str) -> None:
    """An accepted text is stored exactly as sent (the form trims one-line fields)."""
    if case.zone in TEXT_ZONES:
        expected = case.value
        if channel == "web" and case.zone != "description":
            expected = expected.strip()
        assert getattr(training, case.zone) == expected
    assert training.duration_minutes > 0
    assert training.start_date <= training.end_date


def _expect(case: Case, accepted: bool, detail) -> None:
    if case.expect == "reject":
        assert not accepted, f"{case.id} was accepted: {detail!r}"[:500]
    elif case.expect == "accept":
        assert accepted, f"{case.id} was rejected: {detail!r}"[:500]


def _assert_escaped(setup: Setup, case: Case, training: Training) -> None:
    if case.id not in {"title-script", "title-img-onerror", "provider-script", "description-svg"}:
        return
    web = Client()
    web.force_login(setup.user)
    pages = [
        f"/app/trainings/{training.pk}/",
        "/app/trainings/",
        f"/app/workers/{setup.worker.pk}/",
        "/app/dashboard/",
        f"/app/trainings/{training.pk}/edit/",
    ]
    for url in pages:
        response = web.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert case.value not in body, f"{url} shows {case.value!r} unescaped"
    for batch in BatchFile.objects.all():
        body = web.get(f"/batch/{batch.pk}/").content.decode()
        assert case.value not in body


# --- web ------------------------------------------------------------------------------


def web_post(setup: Setup, data: dict):
    client = Client()
    client.force_login(setup.user)
    form = {k: str(v) for k, v in data.items()}
    if data.get("duration_minutes") == 450:  # the form takes hours:minutes
        form["duration_minutes"] = "7:30"
    form["counts_toward_account"] = "on"
    return post_confirmed(client, "/app/trainings/new/", form)


@pytest.mark.parametrize("case", [c for c in CASES if "web" in c.channels], ids=lambda c: c.id)
def test_web_form(setup, case):
    reference = "WEB-BAD-1" if case.zone != "reference" else setup.value(case)
    before = snapshot()
    response = web_post(setup, setup.zones("WEB-BAD-1", case))
    assert response.status_code < 500
    accepted = response.status_code == 302
    if accepted:
        training = _stored(setup, str(reference).strip())
        assert training is not None
        _check_stored(case, training, "web")
        _assert_escaped(setup, case, training)
    else:
        assert response.status_code in {200, 400, 413, 422}, response.status_code
        if response.status_code == 200:
            assert CODE.search(response.content.decode()), "no anomaly code shown"
        assert not diff(before, snapshot())
    _expect(case, accepted, response.status_code)


# --- API ------------------------------------------------------------------------------


def api_put(setup: Setup, employer: str, reference: str, body, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Client().generic(
        "PUT",
        f"/api/v1/employers/{quote(employer, safe='')}/trainings/{quote(reference, safe='')}",
        raw,
        content_type=content_type,
        HTTP_AUTHORIZATION="Bearer " + bearer(setup.client),
    )


def _assert_problem(response) -> dict:
    assert 400 <= response.status_code < 500, response.status_code
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"]
    return problem


@pytest.mark.parametrize("case", [c for c in CASES if "api" in c.channels], ids=lambda c: c.id)
def test_api(setup, case):
    data = setup.zones("API-BAD-1", case)
    reference = data.pop("reference")
    before = snapshot()
    response = api_put(setup, setup.employer_number(case), reference, data)
    assert response.status_code < 500, response.content[:300]
    accepted = response.status_code in {200, 201}
    if accepted:
        training = _stored(setup, reference)
        _check_stored(case, training, "api")
        _assert_escaped(setup, case, training)
    else:
        problem = _assert_problem(response)
        if response.status_code == 422:
            codes = [a.get("code") for a in problem.get("anomalies", [])] + [
                e.get("code") for e in problem.get("errors", [])
            ]
            assert problem.get("anomalies") or problem.get("errors"), problem
            assert all(c is None or c in CATALOGUE for c in codes), codes
        if case.id == "title-10-mb":
            assert response.status_code == 413
        assert not diff(before, snapshot())
    _expect(case, accepted, response.content[:300])


# --- BATCH ----------------------------------------------------------------------------


def batch_receive(setup: Setup, content: bytes):
    caller = Caller(channel="batch", label="payroll", employer_id=setup.employer.pk)
    return receive(caller, io.BytesIO(content), production=True)


@pytest.mark.parametrize("case", [c for c in CASES if "batch" in c.channels], ids=lambda c: c.id)
def test_batch_file(setup, case):
    """The hostile declaration sits between two valid ones."""
    number = setup.employer.enterprise_number
    good = [("training", setup.zones("B-A")), ("training", setup.zones("B-C"))]
    hostile = ("training", setup.zones("B-B", case))
    if case.zone == "employer":
        blocks = [(number, good[:1]), (setup.employer_number(case), [hostile]), (number, good[1:])]
    else:
        blocks = [(number, [good[0], hostile, good[1]])]
    try:
        content = file_bytes(reference="BAD-1", sender=number, employers=blocks)
    except UnicodeEncodeError:  # a lone surrogate cannot even be written as UTF-8
        pytest.skip("not representable in a file")
    before = snapshot()
    receipt = batch_receive(setup, content)
    if not receipt.accepted:
        # rejected whole: with a reason, and nothing stored
        assert receipt.errors and all(e.reason for e in receipt.errors)
        assert not diff(before, snapshot())
        _expect(case, False, receipt.errors)
        return
    process(receipt.file_id)
    batch = BatchFile.objects.get(pk=receipt.file_id)
    assert batch.status == "done", (batch.status, batch.error)
    results = list(BatchResult.objects.filter(file=batch).order_by("position"))
    assert len(results) == 3
    by_reference = {r.reference: r for r in results}
    # the valid rest is kept
    assert _stored(setup, "B-A") is not None and _stored(setup, "B-C") is not None
    middle = results[1]
    accepted = middle.status != "rejected"
    if accepted:
        reference = by_reference.get(str(setup.value(case)), middle).reference
        training = _stored(setup, reference if case.zone == "reference" else "B-B")
        assert training is not None
        _check_stored(case, training, "batch")
        _assert_escaped(setup, case, training)
    else:
        codes = [f["code"] for f in middle.findings]
        assert codes and all(c in CATALOGUE for c in codes), middle.findings
        assert _stored(setup, "B-B") is None
    _expect(case, accepted, middle.findings)


# --- malformed bodies -----------------------------------------------------------------

JSON_BODIES = {
    "empty": (b"", "application/json"),
    "truncated": (b'{"insz": "850730', "application/json"),
    "array": (b"[]", "application/json"),
    "null": (b"null", "application/json"),
    "string": (b'"title"', "application/json"),
    "wrong-content-type": (b'{"title": "x"}', "text/plain"),
    "form-encoded": (b"title=x&kind=formal", "application/x-www-form-urlencoded"),
    "xml": (b"<training><title>x</title></training>", "application/xml"),
    "latin-1-bytes": ('{"title": "Caf\u00e9"}'.encode("latin-1"), "application/json"),
    "utf-16": ('{"title": "x"}'.encode("utf-16"), "application/json; charset=utf-16"),
    "deep-nesting": (b'{"title": ' + b"[" * 100000 + b"]" * 100000 + b"}", "application/json"),
    "nul-byte": (b'{"title": "a\\u0000b"}', "application/json"),
    "lone-surrogate": (b'{"title": "\\ud800"}', "application/json"),
}


@pytest.mark.parametrize("name", sorted(JSON_BODIES))
def test_api_malformed_body(setup, name):
    raw, content_type = JSON_BODIES[name]
    if name in {"nul-byte", "lone-surrogate"}:
        data = setup.zones("X")
        data.pop("reference")
        data.pop("title")
        raw = raw[:-1] + b", " + json.dumps(data).encode()[1:]
    before = snapshot()
    response = api_put(setup, setup.employer.enterprise_number, "API-MAL-1", raw, content_type)
    assert response.status_code < 500, response.content[:300]
    _assert_problem(response)
    assert not diff(before, snapshot())


BATCH_BODIES = {
    "empty": b"",
    "truncated": None,  # a valid file cut in half
    "not-xml": b"insz;title\n85073000127;x\n",
    "json": b'{"declarations": []}',
    "latin-1-declared-utf-8": None,
    "utf-16-declared-utf-8": None,
    "nul-in-text": None,
    "bom-then-garbage": b"\xef\xbb\xbf<<<",
}


def _batch_body(setup: Setup, name: str) -> bytes:
    if BATCH_BODIES[name] is not None:
        return BATCH_BODIES[name]
    number = setup.employer.enterprise_number
    valid = file_bytes(
        reference="MAL-1",
        sender=number,
        employers=[(number, [("training", setup.zones("M-1", None))])],
    )
    if name == "truncated":
        return valid[: len(valid) // 2]
    if name == "latin-1-declared-utf-8":
        return valid.replace(b"Heftruckattest", "Café".encode("latin-1"))
    if name == "utf-16-declared-utf-8":
        return valid.decode().encode("utf-16")
    return valid.replace(b"Heftruckattest", b"Heft\x00ruck")


@pytest.mark.parametrize("name", sorted(BATCH_BODIES))
def test_batch_malformed_file(setup, name):
    before = snapshot()
    receipt = batch_receive(setup, _batch_body(setup, name))
    assert not receipt.accepted
    assert receipt.errors and all(e.reason for e in receipt.errors)
    assert not diff(before, snapshot())


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", ""])
def test_batch_api_wrong_content_type(setup, content_type):
    number = setup.employer.enterprise_number
    content = file_bytes(
        reference="CT-1", sender=number, employers=[(number, [("training", setup.zones("C"))])]
    )
    response = Client().generic(
        "POST",
        "/api/v1/batches",
        content,
        content_type=content_type,
        HTTP_AUTHORIZATION="Bearer " + bearer(setup.client),
    )
    problem = _assert_problem(response)
    assert response.status_code == 415, problem
    assert not BatchFile.objects.exists()


@pytest.mark.parametrize("body", ["", "step=declare", "title=" + "x" * 5000])
def test_web_form_truncated_or_empty(setup, body):
    client = Client()
    client.force_login(setup.user)
    before = snapshot()
    response = client.generic(
        "POST", "/app/trainings/new/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code in {200, 400}
    assert not diff(before, snapshot())


def test_web_form_multipart_cut_short(setup):
    client = Client()
    client.force_login(setup.user)
    body = b'--XX\r\nContent-Disposition: form-data; name="title"\r\n\r\nHeftruck'
    response = client.generic(
        "POST", "/app/trainings/new/", body, content_type="multipart/form-data; boundary=XX"
    )
    assert 200 <= response.status_code < 500
    assert not Training.objects.filter(employer=setup.employer).exists()


def test_sql_fragment_left_the_tables_alone(setup):
    data = setup.zones("SQL-1")
    data["title"] = "'; DROP TABLE trainings_training; --"
    reference = data.pop("reference")
    response = api_put(setup, setup.employer.enterprise_number, reference, data)
    assert response.status_code == 201
    assert Training.objects.get(reference="SQL-1").title == data["title"]
    assert Training.objects.count() >= 1
