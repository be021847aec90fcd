"""The curl examples of docs/api.md, run against a live server."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from tests import factories

GUIDE = django_settings.BASE_DIR / "docs" / "api.md"


def guide_examples() -> list[tuple[int, str]]:
    """(expected status, command) of every ```sh block with an ``# expect:`` line."""
    examples = []
    for block in re.findall(r"```sh\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S):
        match = re.search(r"^# expect: (\d{3})$", block, re.M)
        if match:
            command = re.sub(r"^#.*\n", "", block, flags=re.M).strip()
            examples.append((int(match.group(1)), command))
    return examples


def test_the_guide_has_the_four_journeys():
    commands = " ".join(command for _, command in guide_examples())
    assert "/oauth/token" in commands
    assert "/trainings/" in commands and "-X PUT" in commands
    assert "/credit" in commands
    assert len(guide_examples()) >= 8


@pytest.mark.django_db(transaction=True)
def test_guide_curl_examples_answer_as_documented(live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    employer = factories.make_employer("Bakkerij Peeters")
    worker = factories.make_worker_with_right(employer)
    out = io.StringIO()
    call_command(
        "api_client",
        "create",
        "--employer",
        employer.enterprise_number,
        "--name",
        "Payroll connector",
        "--scopes",
        "read",
        "declare",
        stdout=out,
    )
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if ": " in line)
    env = {
        **os.environ,
        "FLA": live_server.url,
        "CLIENT_ID": lines["client_id"],
        "CLIENT_SECRET": lines["client_secret"],
        "EN": employer.enterprise_number,
        "INSZ": worker.insz,
    }
    examples = guide_examples()
    for expected, command in examples:
        # Same command, also printing the status code after the body.
        probe = command.replace("curl -s", "curl -s -w '\\n%{http_code}'", 1)
        result = subprocess.run(
            ["bash", "-c", probe], env=env, capture_output=True, text=True, timeout=30
        )
        body, _, status = result.stdout.rpartition("\n")
        assert status == str(expected), (command, result.stdout[-800:], result.stderr[-400:])
        if "/oauth/token" in command:
            env["TOKEN"] = json.loads(body)["access_token"]
        if expected >= 400:
            assert json.loads(body)["status"] == expected
