"""Authorisation matrix of the online application (and the BATCH pages).

ROWS are every URL pattern Django resolves, walked from ``get_resolver()`` at test time:
a page added tomorrow is a row tomorrow. Its path values are the ids of objects of the
employer the column aims at (see ``fill``). The API patterns are covered by
test_matrix_api.py from the OpenAPI document; the public ones are allow-listed below,
each with its reason. COLUMNS are the kinds of caller of the brief.

For every row, column and method (GET with a hostile query string, POST with a
plausible body aimed at the target): the status, that nothing of an employer the
caller may not see is in the body, and, for callers without rights on the target, that
nothing was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from fla.accounts.models import Mandate
from fla.batch.builder import file_bytes
from tests.security.conftest import diff, snapshot, training_zones, web_client

pytestmark = pytest.mark.django_db

# Public or not employer data, with the reason. Their bodies are still checked for leaks.
PUBLIC = {
    "healthz": "liveness probe: a constant answer",
    "readyz": "readiness probe: the state of the database, cache and queue",
    "metrics": "Prometheus counters, served only to FLA_METRICS_ALLOW addresses",
    "set_language": "Django's language switch: stores a preference in the session",
    "batch:schema": "the published XSDs of the BATCH channel",
    "web:welcome": "the public welcome page (seed §2)",
    "web:favicon": "redirects to the static icon",
    "web:login": "starts the login",
    "web:login_failed": "the page shown after a failed login",
    "web:logout": "ends the caller's own session (POST only)",
    "web:oidc_init": "OIDC: redirects to the identity provider",
    "web:oidc_callback": "OIDC: the identity provider's answer, checked by state and nonce",
    "web:no_access": "tells a signed-in user without any access that they have none (403)",
}
# Not checked for leaks: pages that exist to list demo persons (embedded profile only;
# the URL is absent in production).
NO_LEAK_CHECK = {
    "web:demo_login": "embedded profile only: the one-click list of demo users and employers",
}
# Pages of operators: staff only, 404 for anyone else signed in.
STAFF_ONLY = {"ops": "operators' page: queue, failed tasks, heartbeats"}


@dataclass(frozen=True)
class Row:
    route: str  # the pattern as written, e.g. app/workers/<int:worker_id>/
    name: str  # namespace:name
    manage: bool = False  # for access managers only (mandataries never manage)
    mandatary_manage: bool = False  # for the managers of the mandatary in the path only

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(x for x in (namespace, entry.namespace or "") if x)
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield Row(
                prefix + str(entry.pattern),
                name,
                _wrapped_by(entry.callback, "manager_view."),
                _wrapped_by(entry.callback, "mandatary_manager_view."),
            )


def _wrapped_by(view, decorator: str) -> bool:
    """Whether ``view`` is wrapped by the decorator whose wrapper's qualified name starts
    with ``decorator`` (found through ``__wrapped__``)."""
    while view is not None:
        # functools.wraps copies __qualname__; the code object keeps the wrapper's own
        code = getattr(view, "__code__", None)
        if code is not None and code.co_qualname.startswith(decorator):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def api_route(row: Row) -> bool:
    return row.route.startswith("api/")


ROWS = [
    row
    for row in walk()
    if not api_route(row) and row.name not in PUBLIC and row.name not in NO_LEAK_CHECK
]


# --- columns --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    user: str | None  # attribute of the world
    session: str | None  # org chosen in the session
    target: str  # org whose objects fill the URL
    visible: tuple[str, ...]  # orgs whose data the caller may see
    expect: str  # ok | denied | login


COLUMNS = [
    Column("own", "own_user", "own", "own", ("own",), "ok"),
    Column("mandated", "mandatary_user", "mandated", "mandated", ("mandated",), "ok"),
    Column("no_mandate", "mandatary_user", "mandated", "foreign", ("mandated",), "denied"),
    # the session still names the employer of the ended mandate: it must not hold
    Column("ended_mandate", "mandatary_user", "ended", "ended", ("mandated",), "denied"),
    Column("anonymous", None, None, "own", (), "login"),
    Column("worker_of_other", "worker_user", "home", "foreign", ("home",), "denied"),
    Column("worker_no_access", "worker_only_user", None, "own", (), "denied"),
]


# --- path values ----------------------------------------------------------------------


def _by_model_name(stem: str, org):
    """An object of the target employer for a path value ``<stem>_id`` that no filler
    knows: the model named like the stem (``access_id`` → ``EmployerAccess``) that has an
    ``employer`` field. New pages of employer objects are picked up this way."""
    candidates = []
    for model in apps.get_models():
        if not model.__module__.startswith("fla."):
            continue
        name = model.__name__.lower()
        if name == stem or name.endswith(stem):
            fields = {f.name for f in model._meta.get_fields()}
            if "employer" in fields:
                candidates.append(model)
    for model in candidates:
        obj = model.objects.filter(employer=org.employer).order_by("pk").first()
        if obj is not None:
            return obj.pk
    return None


def fill(row: Row, org) -> dict[str, object]:
    values: dict[str, object] = {}
    for param in row.params:
        if param == "worker_id":
            values[param] = org.worker.pk
        elif param == "training_id":
            values[param] = org.training.pk
        elif param == "file_id":
            values[param] = org.batch_file.pk
        elif param in {"employer_id", "employer"}:
            values[param] = org.employer.pk
        elif param == "insz":
            values[param] = org.worker.insz
        elif param in {"enterprise_number"}:
            values[param] = org.employer.enterprise_number
        elif param == "reference":
            values[param] = org.training.reference
        elif param in {"user_id"}:
            values[param] = org.hr_user.pk
        elif param == "mandatary_id":  # a mandatary holding a mandate of the target
            values[param] = (
                Mandate.objects.filter(employer=org.employer).order_by("pk").first().mandatary_id
            )
        elif param == "name":  # the published XSDs
            values[param] = "fla-batch-v1.xsd"
        elif param == "year":
            values[param] = 2025
        elif param.endswith(("_id", "_pk")) and _by_model_name(param[:-3].replace("_", ""), org):
            values[param] = _by_model_name(param[:-3].replace("_", ""), org)
        else:
            pytest.fail(
                f"{row.route}: no value for <{param}>; teach tests/security/test_matrix_web.py "
                "which object of the target employer it names"
            )
    return values


def url_of(row: Row, org) -> str:
    values = fill(row, org)

    def value(match):
        return str(values[match.group(1)])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, row.route)


def query_of(org) -> dict:
    """Ids of the target in every usual filter; values never echo a secret."""
    return {
        "employer": org.employer.pk,
        "worker": org.worker.pk,
        "workers": org.worker.pk,
        "training": org.training.pk,
        "file": org.batch_file.pk,
        "year": 2025,
    }


def body_of(org, world, sender: str | None = None) -> dict:
    """A plausible form body aimed at the target, for every form the application has.
    ``sender``: the BATCH file's sender, the caller's own organisation (by default the
    target employer)."""
    upload = file_bytes(
        reference="MATRIX-FILE",
        sender=sender or org.employer.enterprise_number,
        employers=[
            (
                org.employer.enterprise_number,
                [("training", training_zones(org.worker.insz, "MATRIX-B", title="Matrix"))],
            )
        ],
    )
    return {
        "employer": org.employer.pk,
        "workers": [org.worker.pk],
        "worker": org.worker.pk,
        "user": org.hr_user.pk,
        "insz": org.worker.insz,
        "enterprise_number": world.spare_mandatary.enterprise_number,
        "mandatary": world.spare_mandatary.enterprise_number,
        "reference": "MATRIX-1",
        "title": "Matrix opleiding",
        "kind": "formal",
        "start_date": "2025-03-10",
        "end_date": "2025-03-11",
        "duration_minutes": "3:30",
        "status": "completed",
        "counts_toward_account": "on",
        "step": "declare",
        "confirm": "on",
        "version": org.training.version,
        "year": "2025",
        "legal_minutes": "38:00",
        "role": "read",
        "name": "Matrix client",
        "scopes": ["read", "declare"],
        "environment": "production",
        "file": SimpleUploadedFile("matrix.xml", upload, content_type="application/xml"),
    }


# --- the checks -----------------------------------------------------------------------


def _client(world, column: Column):
    user = getattr(world, column.user) if column.user else None
    org = getattr(world, column.session) if column.session else None
    return web_client(user, org.employer if org else None)


def _sender(world, column: Column) -> str | None:
    """A file's sender is the organisation that sends it: a mandatary's member sends
    under the mandatary's number (docs/batch.md). Where the caller may not reach the
    target, the file names the target employer as its sender, which is refused whole."""
    if column.user == "mandatary_user" and column.expect == "ok":
        return world.mandatary.enterprise_number
    return None


def _request(client, method: str, url: str, org, world, column: Column):
    if method == "get":
        return client.get(url, query_of(org))
    return client.post(url, body_of(org, world, _sender(world, column)))


def _sent(body: dict) -> str:
    """The text of a form body as sent, files included."""
    parts = []
    for value in body.values():
        if isinstance(value, SimpleUploadedFile):
            value.seek(0)
            parts.append(value.read().decode())
        else:
            parts.append(str(value))
    return " ".join(parts)


def _forbidden_orgs(world, column: Column):
    return [
        org
        for name, org in vars(world).items()
        if name in _ORG_NAMES and name not in column.visible
    ]


_ORG_NAMES = {"own", "mandated", "ended", "foreign", "home"}


def _assert_no_leak(world, column: Column, response, row: Row, sent: str = "") -> None:
    if row.name in NO_LEAK_CHECK:
        return
    content = b"".join(response) if response.streaming else response.content
    leaks = {org.label: org.leaks_in(content, sent) for org in _forbidden_orgs(world, column)}
    leaks = {k: v for k, v in leaks.items() if v}
    assert not leaks, f"{column.name}: {row.route} shows data of {leaks}"


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def _is_no_access_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/app/no-access/")


@pytest.mark.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("row", ROWS, ids=[r.route or "/" for r in ROWS])
def test_web_matrix(world, row, method, column):
    target = getattr(world, column.target)
    url = url_of(row, target)
    client = _client(world, column)
    checked = column.expect != "ok" or row.manage or row.mandatary_manage
    before = snapshot() if checked or row.name in STAFF_ONLY else {}
    response = _request(client, method, url, target, world, column)
    status = response.status_code
    assert status < 500, (status, url)
    sent = url + (_sent(body_of(target, world, _sender(world, column))) if method == "post" else "")
    _assert_no_leak(world, column, response, row, sent)

    if row.name in STAFF_ONLY:
        if column.expect == "login":
            assert _is_login_redirect(response), (status, url)
        else:
            assert status == 404, (status, url)
        assert not diff(before, snapshot())
        return

    expect = column.expect
    if row.manage and column.name == "mandated":
        expect = "denied"  # a mandate never carries the management of accesses
    if row.mandatary_manage and expect == "ok":
        # No caller of the matrix manages a mandatary (the mandatary's user only
        # declares): the managers' own way is tests/web/test_mandatary_clients.py.
        expect = "denied"
    if expect == "ok":
        if status == 405:  # the view does not serve this method to anyone
            return
        assert 200 <= status < 400, (status, url, response.content[:300])
        return

    changes = diff(before, snapshot())
    if expect == "login":
        assert _is_login_redirect(response) or status == 405, (status, url)
        assert not changes, changes
        return

    # denied: an object of an employer the caller may not see answers 404
    assert not changes, f"{column.name} {method.upper()} {url} wrote {changes}"
    if status == 405:
        own_url = url_of(row, world.own)
        own = _request(_client(world, COLUMNS[0]), method, own_url, world.own, world, COLUMNS[0])
        assert own.status_code == 405, "405 for a method the owner may use"
        return
    if column.name == "worker_no_access" and _is_no_access_redirect(response):
        return
    if row.params or row.manage or row.mandatary_manage:
        assert status == 404, (column.name, method, url, status)
    else:
        # pages without an object in the path show the caller's own data (or none)
        assert status < 500 and (status < 400 or status in {400, 403, 404, 422}), status


@pytest.mark.parametrize("column", COLUMNS, ids=[c.name for c in COLUMNS])
@pytest.mark.parametrize("name", sorted(PUBLIC), ids=sorted(PUBLIC))
def test_public_pages_leak_nothing(world, name, column):
    [row] = [r for r in walk() if r.name == name]
    client = _client(world, column)
    response = client.get(url_of(row, getattr(world, column.target)))
    assert response.status_code < 500
    _assert_no_leak(world, column, response, row)


def test_every_url_is_tested_or_allow_listed():
    """A URL is a row of this matrix, a row of the API matrix, or allow-listed."""
    from tests.security.test_matrix_api import API_ALLOWED
    from tests.security.test_matrix_api import ROWS as API_ROWS

    api_paths = {r.path for r in API_ROWS}
    tested = {r.name for r in ROWS}
    for row in walk():
        if api_route(row):
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", row.route)
            assert path in api_paths or row.name in API_ALLOWED, (
                f"{row.route} ({row.name}) is neither an OpenAPI operation nor allow-listed"
            )
            continue
        assert row.name in tested or row.name in PUBLIC or row.name in NO_LEAK_CHECK, row
        assert row.name, f"{row.route} has no name: give it one so that it can be listed"
    for name in (*PUBLIC, *NO_LEAK_CHECK, *STAFF_ONLY):
        assert any(r.name == name for r in walk()), f"allow-list names a missing URL: {name}"
