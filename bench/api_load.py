"""Load test of the API on a production-like server.

Starts gunicorn (``--worker-class``, ``--workers`` x ``--threads``; persistent database
connections) on 127.0.0.1 on a free port against a fresh PostgreSQL database, creates
an employer with workers, rights and a registered API client, gets a token through the
OAuth2 endpoint, then:

* ``paced``: mixed traffic (a third each of GET credit, PUT of a new training and
  ``/healthz``) offered at exactly ``--rate`` requests per second for ``--seconds`` by
  an open-loop generator (``bench/paced.py``: request i is due at start + i/rate,
  latency counted from that due time, so a server that falls behind shows it). This
  is the target's measurement: p99 under 50 ms at 200 req/s of mixed traffic. Three
  seconds of the same mix warm the server up first, unmeasured.
* with wrk (Debian package ``wrk``), for a bounded time each, the most each scenario
  reaches on ``--connections`` busy connections (closed loop):
  ``healthz`` (the baseline), ``credit`` (GET /api/v1/employers/{en}/workers/{insz}/credit),
  ``training`` (PUT /api/v1/employers/{en}/trainings/{ref}, a new training each time)
  ``mixed`` (a third of each), and ``declarations`` (POST
  /api/v1/employers/{en}/declarations with ``--per-request`` new trainings each).
  Skipped when wrk is missing.

Prints req/s, p50 and p99 per scenario, and checks the targets: p99 under 50 ms in the
paced mixed scenario at ``--rate`` (200) with every request answered in time, and
declaration throughput at least half of /healthz's (wrk), for a PUT of one training
and for trainings declared through POST .../declarations.

    python bench/api_load.py [--rate 200] [--seconds 15] [--workers 2] [--threads 16]

Needs: PostgreSQL on 127.0.0.1:5432 (trust auth; PGHOST/PGUSER to change); wrk for the
closed-loop scenarios.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.paced import Paced, Request, summary  # noqa: E402
from bench.server import VENV_BIN, run, start_gunicorn, stop  # noqa: E402

LUA = r"""
local token = os.getenv("BENCH_TOKEN")
local en = os.getenv("BENCH_EN")
local insz = {}
for v in string.gmatch(os.getenv("BENCH_INSZ"), "[^,]+") do insz[#insz + 1] = v end
local mode = os.getenv("BENCH_MODE")
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() + tid)
end

local function credit()
  local who = insz[math.random(#insz)]
  return wrk.format("GET", "/api/v1/employers/" .. en .. "/workers/" .. who .. "/credit",
    {["Authorization"] = "Bearer " .. token})
end

local function training()
  counter = counter + 1
  local who = insz[math.random(#insz)]
  local ref = "B-" .. os.getenv("BENCH_RUN") .. "-" .. tid .. "-" .. counter
  local day = 1 + (counter % 27)
  local body = string.format(
    '{"insz":"%s","title":"Bench %d","kind":"formal","start_date":"2025-05-%02d",' ..
    '"end_date":"2025-05-%02d","duration_minutes":60,"status":"completed"}',
    who, counter, day, day)
  return wrk.format("PUT", "/api/v1/employers/" .. en .. "/trainings/" .. ref,
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

-- BENCH_PER new trainings in one POST .../declarations, for as many workers next to
-- each other on file, as a payroll system sends its day's trainings in the order of
-- its staff: the requests in flight at one time then seldom wait for the same worker.
local per = tonumber(os.getenv("BENCH_PER") or "100")
local posts = 0

local function declarations()
  local items = {}
  posts = posts + 1
  local first = ((posts * 2 + tid) * per) % #insz
  for i = 1, per do
    counter = counter + 1
    local who = insz[1 + (first + i - 1) % #insz]
    local ref = "D-" .. os.getenv("BENCH_RUN") .. "-" .. tid .. "-" .. counter
    local day = 1 + (counter % 27)
    items[i] = string.format(
      '{"kind":"training","data":{"reference":"%s","insz":"%s","title":"Bench %d",' ..
      '"kind":"formal","start_date":"2025-06-%02d","end_date":"2025-06-%02d",' ..
      '"duration_minutes":60,"status":"completed"}}',
      ref, who, counter, day, day)
  end
  return wrk.format("POST", "/api/v1/employers/" .. en .. "/declarations",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"},
    '{"declarations":[' .. table.concat(items, ",") .. ']}')
end

local function healthz()
  return wrk.format("GET", "/healthz")
end

request = function()
  if mode == "credit" then return credit() end
  if mode == "training" then return training() end
  if mode == "healthz" then return healthz() end
  if mode == "declarations" then return declarations() end
  local r = math.random(3)
  if r == 1 then return credit() elseif r == 2 then return training() else return healthz() end
end

local errors = 0
response = function(status, headers, body)
  if status >= 400 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("HTTP " .. status .. " " .. body:sub(1, 200) .. "\n") end
  end
end
"""


def seed(env: dict, workers: int) -> dict:
    """Create the bench data in a child process (settings are read from env there)."""
    code = f"""
import datetime as dt, json
import django
django.setup()
from django.conf import settings
from fla.api.services import create_client
from fla.rights.models import TrainingRight
from fla.rights.services import refresh_accounts
from tests import factories
employer = factories.make_employer("Bench NV")
inszs = []
for n in range({workers}):
    # 997 serials a birth date: more workers need more days of birth.
    insz = factories.make_insz(dt.date(1970, 1, 1) + dt.timedelta(days=n // 900), n % 900 + 1)
    w = factories.make_worker(employer, start=dt.date(2024, 1, 1), insz=insz)
    for year in (2024, 2025):
        TrainingRight.objects.create(employer=employer, worker=w, year=year,
                                     right_type="legal", source="computed", minutes=2280)
    inszs.append(w.insz)
refresh_accounts(employer.pk)
new = create_client(name="Bench client", employer=employer)
print(json.dumps({{"en": employer.enterprise_number, "insz": inszs,
                  "client_id": new.client_id, "secret": new.client_secret}}))
"""
    out = run([str(VENV_BIN / "python"), "-c", code], env, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def get_token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    request = urllib.request.Request(
        base + "/api/v1/oauth/token",
        data=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access_token"]


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(base: str, mode: str, env: dict, args, script: Path) -> dict:
    env = {**env, "BENCH_MODE": mode, "BENCH_RUN": f"{mode}{random.randint(0, 10**6)}"}
    result = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(args.connections),
            "-d",
            f"{args.seconds}s",
            "--latency",
            "--timeout",
            "5s",
            "-s",
            str(script),
            base,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
    )
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if result.stderr.strip():
        print(result.stderr.strip()[:600], file=sys.stderr)
    return {
        "mode": mode,
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def paced(port: int, data: dict, token: str, args) -> dict:
    """Open-loop mixed traffic at ``args.rate``: credit, PUT training, healthz in turn."""
    api = {"Authorization": f"Bearer {token}"}
    inszs, en, run_id = data["insz"], data["en"], random.randint(0, 10**6)

    def request(i: int, run: str = "P") -> Request:
        insz = inszs[(i * 7919) % len(inszs)]
        if i % 3 == 0:
            return Request("credit", "GET", f"/api/v1/employers/{en}/workers/{insz}/credit", api)
        if i % 3 == 1:
            day = 1 + i % 27
            body = {
                "insz": insz,
                "title": f"Bench {i}",
                "kind": "formal",
                "start_date": f"2025-05-{day:02d}",
                "end_date": f"2025-05-{day:02d}",
                "duration_minutes": 60,
                "status": "completed",
            }
            return Request(
                "training",
                "PUT",
                f"/api/v1/employers/{en}/trainings/{run}-{run_id}-{i}",
                {**api, "Content-Type": "application/json"},
                json.dumps(body).encode(),
            )
        return Request("healthz", "GET", "/healthz")

    # Warm-up, not measured: the same mix at the same rate for a few seconds (its PUTs
    # under other references), so that the threads and database connections the run
    # will use exist and have done each kind of request once. A thread's first request
    # opens its connection and warms a new database backend's caches (tens of ms); on
    # a server that has been up for a while that cost is long paid.
    Paced(
        "127.0.0.1", port, args.rate, 3, lambda i: request(i, "W"), max_lag=5, max_connections=64
    ).run()
    generator = Paced(
        "127.0.0.1", port, args.rate, args.seconds, request, max_lag=5, max_connections=64
    )
    load_before = os.getloadavg()[0]
    elapsed = generator.run()
    figures = summary(generator.results, elapsed, generator.shed)
    figures["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15, help="per scenario")
    parser.add_argument("--rate", type=float, default=200, help="paced scenario, req/s")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=16, help="threads per gunicorn worker")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers-data", type=int, default=4000, help="workers of the employer")
    parser.add_argument("--no-wrk", action="store_true", help="the paced scenario only")
    parser.add_argument(
        "--per-request", type=int, default=100, help="trainings per POST .../declarations"
    )
    args = parser.parse_args()
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    if not args.no_wrk and not use_wrk:
        print("wrk is missing (apt-get install -y wrk): the paced scenario only", file=sys.stderr)

    pghost = os.environ.get("PGHOST", "127.0.0.1")
    pguser = os.environ.get("PGUSER", "postgres")
    db = f"fla_bench_{os.getpid()}"
    data_dir = tempfile.mkdtemp(prefix="fla-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fla.settings",
        "DATABASE_URL": f"postgres://{pguser}@{pghost}:5432/{db}",
        "DB_CONN_MAX_AGE": "600",
        "FLA_DATA_DIR": data_dir,
        "FLA_API_RATE_LIMIT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    run(["createdb", "-h", pghost, "-U", pguser, db], env)
    server = None
    try:
        run([str(VENV_BIN / "fla"), "migrate", "-v", "0"], env)
        data = seed(env, args.workers_data)
        server, port = start_gunicorn(env, args.worker_class, args.workers, args.threads)
        base = f"http://127.0.0.1:{port}"
        token = get_token(base, data["client_id"], data["secret"])
        wrk_env = {
            **env,
            "BENCH_TOKEN": token,
            "BENCH_EN": data["en"],
            "BENCH_INSZ": ",".join(data["insz"]),
            "BENCH_PER": str(args.per_request),
        }
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(LUA)
            script = Path(handle.name)
        paced_figures = paced(port, data, token, args)
        results = (
            [
                wrk(base, mode, wrk_env, args, script)
                for mode in ("healthz", "credit", "training", "mixed", "declarations")
            ]
            if use_wrk
            else []
        )
    finally:
        if server is not None:
            stop(server)
        subprocess.run(["dropdb", "-h", pghost, "-U", pguser, "--if-exists", db], env=env)
        shutil.rmtree(data_dir, ignore_errors=True)

    p = paced_figures
    print(
        f"gunicorn {args.worker_class} {args.workers} workers x {args.threads} threads, "
        f"{args.workers_data} workers on file, {args.seconds} s per scenario"
    )
    print(
        f"paced mixed at {args.rate:.0f} req/s offered: {p['req_per_s']} req/s answered, "
        f"p50 {p['p50_ms']} ms, p99 {p['p99_ms']} ms, max {p['max_ms']} ms, "
        f"errors {p['5xx'] + p['4xx'] + p['no_answer']}, not sent {p['shed']} "
        f"(load average {p['load_average'][0]} before, {p['load_average'][1]} after)"
    )
    for kind, k in p["kinds"].items():
        print(
            f"  {kind:10} n={k['n']:6} p50 {k['p50_ms']:7} ms  p99 {k['p99_ms']:7} ms  {k['statuses']}"
        )
    if results:
        print(f"wrk, 2 threads, {args.connections} connections (closed loop: the most it reaches)")
        print(f"{'scenario':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(
            f"{r['mode']:<10} {r['rps']:>9.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
            f"{r['errors']:>7} {r['socket_errors']}"
        )
    answered = p["requests"] >= 0.99 * args.rate * args.seconds and not p["shed"]
    ok_latency = answered and p["p99_ms"] < 50
    print(
        f"target p99 < 50 ms at {args.rate:.0f} req/s mixed: {'met' if ok_latency else 'NOT met'} "
        f"({p['req_per_s']} req/s answered, p99 {p['p99_ms']} ms)"
    )
    by_mode = {r["mode"]: r for r in results}
    if by_mode:
        health, training = by_mode["healthz"], by_mode["training"]
        ok_ratio = training["rps"] >= health["rps"] / 2
        print(
            f"target declarations >= half of /healthz, one PUT a training: "
            f"{'met' if ok_ratio else 'NOT met'} "
            f"({training['rps']:.0f} vs {health['rps']:.0f} req/s, ratio "
            f"{training['rps'] / health['rps']:.3f})"
        )
        many = by_mode["declarations"]
        declared = many["rps"] * args.per_request
        many["declarations_per_s"] = round(declared, 1)
        print(
            f"target declarations >= half of /healthz, {args.per_request} a POST "
            f".../declarations: {'met' if declared >= health['rps'] / 2 else 'NOT met'} "
            f"({declared:.0f} trainings/s vs {health['rps']:.0f} req/s, ratio "
            f"{declared / health['rps']:.3f})"
        )
    print(json.dumps({"paced": p, "wrk": results}))
    errors = sum(r["errors"] for r in results) + p["5xx"] + p["4xx"] + p["no_answer"]
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
