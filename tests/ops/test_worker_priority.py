"""Background workers lower their own CPU priority, so web requests are served first."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, sys
sys.argv = ["fla", sys.argv[1]]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fla.settings")
import django
django.setup()
print(os.nice(0))
"""


def niceness_after_setup(command: str, **environment: str) -> int:
    env = {**os.environ, "FLA_HEARTBEAT_SECONDS": "0", **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("setting", "expected"), [("7", 7), ("0", 0), ("40", 19)])
def test_a_worker_lowers_its_priority_by_the_setting(setting, expected):
    base = os.nice(0)
    assert niceness_after_setup("db_worker", FLA_WORKER_NICE=setting) == min(19, base + expected)


def test_other_commands_keep_their_priority():
    base = os.nice(0)
    assert niceness_after_setup("migrate", FLA_WORKER_NICE="7") == base
