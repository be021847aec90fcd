"""The load-and-fault test (bench/load_fault.py) as a test: a separate, bounded CI step.

Excluded from ``make test`` (marker ``loadfault``); run it with
``pytest -m loadfault tests/security/test_load_fault.py``. It needs PostgreSQL on
127.0.0.1 and creates and drops its own database. Sizes come from the environment:
LOADFAULT_SECONDS (60), LOADFAULT_RATE (200), LOADFAULT_DECLARATIONS (100000, the
issue's size), LOADFAULT_WORKERS_DATA (2000), LOADFAULT_BATCH_TIMEOUT (300). It fails
on a 5xx, a lost or duplicated declaration, credit that differs from a recomputation,
or fewer than 95 % of the offered requests sent in time and answered.
"""

from __future__ import annotations

import os
import shutil

import pytest

from bench import load_fault

pytestmark = pytest.mark.loadfault


def test_traffic_batch_and_killed_worker_lose_nothing(capsys):
    if not shutil.which("createdb"):
        pytest.fail("createdb is missing: the load-and-fault test needs PostgreSQL's client")
    argv = [
        "--seconds",
        os.environ.get("LOADFAULT_SECONDS", "60"),
        "--rate",
        os.environ.get("LOADFAULT_RATE", "200"),
        "--declarations",
        os.environ.get("LOADFAULT_DECLARATIONS", "100000"),
        "--workers-data",
        os.environ.get("LOADFAULT_WORKERS_DATA", "2000"),
        "--batch-timeout",
        os.environ.get("LOADFAULT_BATCH_TIMEOUT", "300"),
    ]
    code = load_fault.main(argv)
    out = capsys.readouterr().out
    print(out)
    assert code == 0, out
