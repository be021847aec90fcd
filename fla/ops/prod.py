"""``make prod``: the production profile on this machine.

Against the machine's PostgreSQL and Redis, it creates the database if missing,
migrates, seeds the demo when the database is empty, collects the static files, then
starts two web nodes (two gunicorn masters on two ports, each with WEB_WORKERS worker
processes, as two machines behind a load balancer would run) and two background
workers (``fla db_worker``). Ctrl-C (or SIGTERM) stops everything. With ``--duration``
it stops by itself (used by the smoke test).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


class SetupError(Exception):
    pass


def ensure_database(url: str) -> None:
    """Create the database of ``url`` when it does not exist."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
                print(f"created database {name}", flush=True)
    except psycopg.OperationalError as exc:
        raise SetupError(
            f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432} "
            f"({exc.__class__.__name__}: {str(exc).strip()[:200]}). make prod needs a "
            "running PostgreSQL server (see docs/operations.md)."
        ) from exc


def ensure_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise SetupError(
            f"Redis is not reachable at {url} ({exc.__class__.__name__}: {exc}). make prod "
            "needs a running Redis server (see docs/operations.md)."
        ) from exc


def production_env(args: argparse.Namespace, run_dir: Path) -> dict[str, str]:
    """The environment of every process: the production profile, with this machine's
    defaults for what the environment leaves unset (or empty). A value the user set is
    kept; only the profile and the database and Redis addresses (the options, which
    default to DATABASE_URL and REDIS_URL) are imposed."""
    key_file = run_dir / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.update(
        {
            "FLA_PROFILE": "production",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
        }
    )
    defaults = {
        "DB_CONN_MAX_AGE": "60",
        "SECRET_KEY": key_file.read_text().strip(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": ",".join(
            f"http://{host}:{port}" for port in args.ports for host in ("127.0.0.1", "localhost")
        ),
        # Local value set: sign-in goes to this issuer; set the real one to log in.
        "OIDC_ISSUER": "http://127.0.0.1:9/local-oidc",
        "OIDC_CLIENT_ID": "fla-local",
        "OIDC_CLIENT_SECRET": "fla-local-secret",
        # No TLS proxy in front on this machine.
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(run_dir / "static"),
        "FLA_DATA_DIR": str(run_dir),
        "CACHE_KEY_PREFIX": "fla-" + urlsplit(args.database_url).path.lstrip("/"),
    }
    for name, value in defaults.items():
        if not env.get(name, "").strip():
            env[name] = value
    return env


def fla(env: dict[str, str], *command: str) -> None:
    subprocess.run([str(BIN / "fla"), *command], env=env, check=True, cwd=ROOT)


def wait_ready(ports: list[int], deadline: float) -> None:
    for port in ports:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SetupError(f"the web node on port {port} did not become ready")
            time.sleep(0.3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fla_prod"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--ports",
        type=lambda s: [int(p) for p in s.split(",")],
        default=[int(p) for p in os.environ.get("PORTS", "8000,8001").split(",")],
        help="one port per web node (default 8000,8001)",
    )
    parser.add_argument("--workers", type=int, default=int(os.environ.get("TASK_WORKERS", "2")))
    parser.add_argument(
        "--run-dir", default=os.environ.get("FLA_RUN_DIR", str(ROOT / "data" / "prod"))
    )
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds")
    parser.add_argument("--no-seed", action="store_true", help="do not seed the demo data")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print("make prod runs on PostgreSQL: DATABASE_URL must be postgres://…", file=sys.stderr)
        return 2

    run_dir = Path(args.run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        ensure_database(args.database_url)
        ensure_redis(args.redis_url)
    except SetupError as exc:
        print(f"make prod: {exc}", file=sys.stderr)
        return 3
    env = production_env(args, run_dir)
    fla(env, "migrate", "--noinput", "-v", "0")
    if not args.no_seed:
        fla(env, "seed-demo", "--if-empty")
    fla(env, "collectstatic", "--noinput", "-v", "0")

    children: list[subprocess.Popen] = []
    for index, port in enumerate(args.ports):
        metrics_dir = run_dir / f"metrics-node{index + 1}"
        metrics_dir.mkdir(exist_ok=True)
        node_env = {
            **env,
            "FLA_BIND": f"127.0.0.1:{port}",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        children.append(
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    str(ROOT / "deploy" / "gunicorn.conf.py"),
                    "fla.wsgi",
                ],
                env=node_env,
                cwd=ROOT,
            )
        )
    # Workers count into the metrics folder of the node they sit beside.
    for index in range(args.workers):
        metrics_dir = run_dir / f"metrics-node{index % len(args.ports) + 1}"
        children.append(
            subprocess.Popen(
                [
                    str(BIN / "fla"),
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--worker-id",
                    f"prod-{index + 1}",
                ],
                env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
                cwd=ROOT,
            )
        )

    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = time.monotonic()
    code = 0
    try:
        wait_ready(args.ports, started + 120)
        urls = ", ".join(f"http://127.0.0.1:{p}/" for p in args.ports)
        print(
            f"FLA production profile: web nodes {urls}; {args.workers} workers (Ctrl-C stops)",
            flush=True,
        )
        while not stopping:
            if any(child.poll() is not None for child in children):
                print("make prod: a process stopped; stopping the others", file=sys.stderr)
                code = 1
                break
            if args.duration and time.monotonic() - started > args.duration:
                break
            time.sleep(0.3)
    except SetupError as exc:
        print(f"make prod: {exc}", file=sys.stderr)
        code = 1
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    print("make prod: stopped", flush=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
