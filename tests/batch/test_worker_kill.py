"""Exactly once with a real worker: SIGKILL ``fla db_worker`` mid-file, restart it.

Runs against SQLite database files of its own (the worker is another process), so it
does not use pytest-django's test database.
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLA = [sys.executable, "-m", "fla.cli"]
DECLARATIONS = 1500


def env_for(base: Path, partitions: int = 1) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{base / 'db.sqlite3'}",
            "FLA_DATA_DIR": str(base),
            "MEDIA_ROOT": str(base / "media"),
            "FLA_BATCH_CHUNK": "100",
            "FLA_BATCH_LEASE_SECONDS": "3",
            "FLA_BATCH_PARTITIONS": str(partitions),
            "DJANGO_SETTINGS_MODULE": "fla.settings",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def run(args, env, **kwargs):
    return subprocess.run(
        args, env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=300, **kwargs
    )


def scenario(step, env, *args):
    out = run([sys.executable, "-m", "tests.batch.worker_scenario", step, *args], env).stdout
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else None


def worker(env, base: Path):
    log = open(base / "worker.log", "ab")  # noqa: SIM115
    return subprocess.Popen(
        [
            *FLA,
            "db_worker",
            "--queue-name",
            "batch",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def progress(base: Path):
    with sqlite3.connect(base / "db.sqlite3", timeout=30) as db:
        row = db.execute("select processed, total, status from batch_batchfile").fetchone()
    return row


def wait_until(predicate, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def prepare(base: Path, template: Path, partitions: int) -> dict:
    shutil.copytree(template, base)
    env = env_for(base, partitions)
    receipt = scenario("submit", env, str(DECLARATIONS))
    assert receipt["accepted"] and receipt["declarations"] == DECLARATIONS
    return env


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    base = tmp_path_factory.mktemp("template") / "world"
    base.mkdir()
    env = env_for(base)
    run([*FLA, "migrate", "--noinput", "-v0"], env)
    scenario("seed", env)
    return base


@pytest.mark.parametrize("partitions", [1, 3])
def test_sigkill_mid_file_then_restart_gives_the_uninterrupted_result(
    template, tmp_path, partitions
):
    # The reference: one worker, never interrupted.
    reference_dir = tmp_path / "reference"
    env = prepare(reference_dir, template, partitions)
    process = worker(env, reference_dir)
    try:
        wait_until(lambda: progress(reference_dir)[2] == "done")
    finally:
        process.kill()
        process.wait()
    expected = scenario("summary", env)

    # The same file, with the worker killed in the middle.
    killed_dir = tmp_path / "killed"
    env = prepare(killed_dir, template, partitions)
    first = worker(env, killed_dir)
    try:
        wait_until(lambda: (lambda p: p[0] >= 300 and p[2] == "processing")(progress(killed_dir)))
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
    processed, total, status = progress(killed_dir)
    assert status == "processing" and 300 <= processed < total
    second = worker(env, killed_dir)
    try:
        wait_until(lambda: progress(killed_dir)[2] == "done")
    finally:
        second.kill()
        second.wait()
    got = scenario("summary", env)

    assert got == expected
    assert got["status"] == "done" and got["counts"][0] == DECLARATIONS
    assert got["results"] == DECLARATIONS and got["positions"]
    rejected = sum(1 for i in range(DECLARATIONS) if i % 13 == 0)
    assert got["counts"][3] == rejected
    assert got["trainings"] == DECLARATIONS - rejected == got["history"]
    assert got["versions"] == [1]
    assert got["partitions"] == partitions
