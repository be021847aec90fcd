"""Reads go to the replica alias when DATABASE_REPLICA_URL is set; writes and reads
inside a transaction go to the primary. The replica alias points at the same database
here (as the settings' TEST MIRROR does under the test runner)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.http import HttpResponse

from fla.core.dbrouter import ReplicaRouter

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from fla.employers.models import Employer

assert settings.DATABASES["replica"]["TEST"]["MIRROR"] == "default"
call_command("migrate", verbosity=0)
with CaptureQueriesContext(connections["default"]) as primary, \\
        CaptureQueriesContext(connections["replica"]) as replica:
    employer = Employer.objects.create(name="Acme", enterprise_number="0403170701")
    assert Employer.objects.all().db == "replica"
    assert Employer.objects.get(pk=employer.pk).name == "Acme"  # read from the replica
    with transaction.atomic():
        assert Employer.objects.all().db == "default"
        locked = Employer.objects.select_for_update().get(pk=employer.pk)
        locked.name = "Acme NV"
        locked.save()
assert any("INSERT" in q["sql"] for q in primary.captured_queries)
assert any("UPDATE" in q["sql"] for q in primary.captured_queries)
assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in replica.captured_queries)
assert any("SELECT" in q["sql"] for q in replica.captured_queries)
print("routed", len(primary.captured_queries), len(replica.captured_queries))
"""


def test_reads_to_the_replica_writes_to_the_primary(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": url,
           "FLA_DATA_DIR": str(tmp_path)}  # fmt: skip
    env.pop("FLA_PROFILE", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("routed")


def test_without_a_replica_the_router_leaves_reads_alone(db):
    router = ReplicaRouter()
    assert router.db_for_read(None) is None
    assert router.db_for_write(None) == "default"
    assert router.allow_migrate("default", "trainings") is True
    assert router.allow_migrate("replica", "trainings") is False


PIN_SCRIPT = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory
from fla.core import replica
from fla.core.replica import COOKIE, ReplicaPinMiddleware
from fla.employers.models import Employer

call_command("migrate", verbosity=0)
middleware = settings.MIDDLEWARE
assert middleware.index("fla.core.replica.ReplicaPinMiddleware") < middleware.index(
    "django.contrib.sessions.middleware.SessionMiddleware")
assert replica.pin_seconds() == 5

class Clock:
    now = 1_000_000.0
    def time(self):
        return self.now

clock = replica.time = Clock()
reads = []

def view(request):
    reads.append(Employer.objects.all().db)
    if request.GET.get("orm"):
        Employer.objects.create(name=f"E{len(reads)}", enterprise_number=f"{len(reads):010d}")
        reads.append(Employer.objects.all().db)  # read after the write, same request
    return HttpResponse(status=int(request.GET.get("status", 200)))

pin = ReplicaPinMiddleware(view)
factory = RequestFactory()

def get(path="/", cookie=None, **extra):
    request = factory.get(path, **extra)
    if cookie:
        request.COOKIES[COOKIE] = cookie
    return pin(request)

response = get()
assert reads[-1] == "replica" and COOKIE not in response.cookies, reads
# A GET that writes through the ORM: the rest of it reads the primary, and so do the
# client's next requests for five seconds.
response = get("/?orm=1")
assert reads[-2:] == ["replica", "default"], reads
cookie = response.cookies[COOKIE]
assert cookie["max-age"] == 5 and cookie["httponly"]
get(cookie=cookie.value)
assert reads[-1] == "default", reads
get()  # another client, without the cookie
assert reads[-1] == "replica", reads
clock.now += 5.5
get(cookie=cookie.value)  # the pin is over
assert reads[-1] == "replica", reads
get(cookie=f"{clock.now + 3600}")  # a forged pin beyond the configured seconds
assert reads[-1] == "replica", reads
get(cookie="not a time")
assert reads[-1] == "replica", reads
# An unsafe method that succeeded pins even without an ORM write (raw SQL, COPY) ...
response = pin(factory.post("/"))
assert COOKIE in response.cookies
# ... one that failed does not.
response = pin(factory.post("/?status=400"))
assert COOKIE not in response.cookies
# API clients may not keep cookies: their Authorization header is the key.
response = pin(factory.put("/", HTTP_AUTHORIZATION="Bearer one"))
assert COOKIE in response.cookies
get(HTTP_AUTHORIZATION="Bearer one")
assert reads[-1] == "default", reads
get(HTTP_AUTHORIZATION="Bearer two")
assert reads[-1] == "replica", reads
clock.now += 6
get(HTTP_AUTHORIZATION="Bearer one")
assert reads[-1] == "replica", reads
# Through the whole stack: requests that only read set no pin.
from django.test import Client
replica.time = __import__("time")
browser = Client()
assert COOKIE not in browser.get("/healthz").cookies
assert COOKIE not in browser.get("/readyz").cookies
# FLA_REPLICA_PIN_SECONDS=0 turns it off.
settings.FLA_REPLICA_PIN_SECONDS = 0
response = get("/?orm=1")
assert COOKIE not in response.cookies
print("pinned", reads.count("default"), reads.count("replica"))
"""


def test_a_client_that_wrote_reads_from_the_primary_for_a_while(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "DATABASE_REPLICA_URL": url,
           "FLA_DATA_DIR": str(tmp_path)}  # fmt: skip
    env.pop("FLA_PROFILE", None)
    env.pop("FLA_REPLICA_PIN_SECONDS", None)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", PIN_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("pinned")


def test_without_a_replica_nothing_is_pinned(rf):
    from fla.core.replica import COOKIE, ReplicaPinMiddleware

    response = ReplicaPinMiddleware(lambda request: HttpResponse())(rf.post("/"))
    assert COOKIE not in response.cookies
