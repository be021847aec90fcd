"""The benchmarks in bench/ run: each small one on a few rows, so that a change of the
code they drive cannot leave them broken. PostgreSQL (127.0.0.1:5432) must run; each
benchmark creates its own database and drops it after."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.xdist_group("benchmarks")


def test_file_order_runs_and_cuts_where_a_hire_moves_the_size_class():
    out = subprocess.run(
        [sys.executable, "bench/file_order.py", "--hires", "30", "--trainings", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    by_worker = next(line for line in out.stdout.splitlines() if line.startswith("worker by"))
    # 60 declarations, one chunk, rolled back once and cut where hires take the new
    # employer past 10 and 20 full-time workers
    assert re.search(r"60 declarations in +1 chunks", by_worker), by_worker
    assert re.search(
        r"1 chunks \(60 declarations\) rolled back before writing and cut [1-9]", by_worker
    ), by_worker
