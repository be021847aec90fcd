"""Benchmark: load the whole demo (15 + 250 + 20,000 workers) into an empty database.

Target: under 60 s on a 2-core machine. Runs against a fresh SQLite file in a temporary
folder, or against PostgreSQL when DATABASE_URL is set (the database must be empty).

    .venv/bin/python bench/demo_seed.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60
FLA = str(Path(sys.executable).with_name("fla"))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fla-bench-") as folder:
        env = dict(os.environ, FLA_DATA_DIR=folder)
        subprocess.run([FLA, "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run([FLA, "seed-demo"], env=env, check=True)
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    verdict = "OK" if elapsed < TARGET_SECONDS else "OVER TARGET"
    print(
        f"seed-demo: {elapsed:.1f} s (target < {TARGET_SECONDS} s) {verdict}; "
        f"peak memory {peak_mb:.0f} MB"
    )
    return 0 if elapsed < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
