"""OpenID Connect end to end: a real provider (node oidc-provider) on 127.0.0.1, the
authorization code flow in chromium, ending logged in as the user with the INSZ claim."""

from __future__ import annotations

import fcntl
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fla.accounts.models import User
from fla.web import oidc
from tests.factories import grant, make_insz, make_user
from tests.web.conftest import build_employer

# One test process installs and runs the provider: two installing it at once (npm ci
# empties node_modules first) would break each other.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("oidc-provider"),
]

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID, CLIENT_SECRET = "fla-web", "fla-test-secret-0123456789abcdef0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def importable(node: str) -> subprocess.CompletedProcess:
    """Whether node can load the provider package from PROVIDER_DIR: a node_modules that
    exists but is incomplete (an install cut short) counts as missing."""
    return subprocess.run(
        [node, "--input-type=module", "-e", "await import('oidc-provider')"],
        cwd=PROVIDER_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def install_provider(node: str) -> None:
    # Under an exclusive lock, so that no other process starts the provider from a
    # node_modules that `npm ci` is still writing.
    with open(PROVIDER_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if importable(node).returncode == 0:
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=PROVIDER_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
        check = importable(node)
        if check.returncode != 0:
            pytest.fail("oidc-provider is installed but cannot be loaded: " + check.stderr)


@pytest.fixture
def provider(live_server):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: apt-get install nodejs npm")
    install_provider(node)
    insz = make_insz()
    redirect_uri = live_server.url + "/oidc/callback/"
    process = subprocess.Popen(
        [node, "server.js", str(free_port()), CLIENT_ID, CLIENT_SECRET, redirect_uri, "insz", insz],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            pytest.fail("the OIDC provider did not start: " + process.stderr.read())
        issuer = json.loads(line)["issuer"]
        yield {"issuer": issuer, "insz": insz}
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        oidc.forget_discovery()


@pytest.fixture
def oidc_settings(settings, provider):
    settings.OIDC_ISSUER = provider["issuer"]
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_INSZ_CLAIM = "insz"
    settings.OIDC_SCOPES = "openid profile"
    oidc.forget_discovery()
    return settings


def go_through_the_provider(page) -> None:
    page.goto("/")
    page.get_by_test_id("start-login").click()
    # The provider's own login form (development interactions): any login is accepted.
    page.wait_for_url("**/interaction/**")
    page.fill("input[name=login]", "olivia")
    page.fill("input[name=password]", "anything")
    page.locator("button[type=submit]").click()
    # Consent.
    page.locator("button[type=submit]").click()


def test_authorization_code_flow_logs_in_the_user_with_that_insz(page, provider, oidc_settings):
    employer, _ = build_employer(2, "OIDC Works", trainings=0)
    user = make_user("olivia", insz=provider["insz"], first_name="Olivia", last_name="D.")
    grant(user, employer)
    go_through_the_provider(page)
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.get_by_test_id("current-employer")).to_contain_text("OIDC Works")
    # The provider's profile claims update the name of the user found by INSZ.
    expect(page.locator(".user-name")).to_have_text("Olivia Dupont")
    assert User.objects.filter(insz=provider["insz"]).count() == 1
    assert provider["insz"] not in page.url


def test_a_first_login_creates_the_user_without_access(page, provider, oidc_settings):
    go_through_the_provider(page)
    expect(page.locator("h1")).to_have_text("Geen toegang")
    user = User.objects.get(insz=provider["insz"])
    assert provider["insz"] not in user.username
    assert (user.first_name, user.last_name) == ("Olivia", "Dupont")
