"""The settings profiles: the production profile refuses to start half-configured."""

import os
import subprocess
import sys

import pytest

PRODUCTION = {
    "FLA_PROFILE": "production",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "fla.example.be",
    "OIDC_ISSUER": "https://idp.example.be",
    "OIDC_CLIENT_ID": "fla",
    "OIDC_CLIENT_SECRET": "secret",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    clean.update(env)
    code = (
        "import fla.settings as s; print(s.PROFILE, s.DEMO_LOGIN, s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)


def test_embedded_default_is_sqlite_with_demo_login():
    result = load_settings({})
    assert result.returncode == 0, result.stderr
    profile, demo, engine = result.stdout.split()
    assert profile == "embedded" and demo == "True"


def test_complete_production_profile_starts_without_demo_login():
    result = load_settings(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["production", "False", "django.db.backends.postgresql"]


@pytest.mark.parametrize(
    "missing",
    [
        "DATABASE_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "REDIS_URL",
    ],
)
def test_half_configured_production_names_what_is_missing(missing):
    env = dict(PRODUCTION)
    del env[missing]
    result = load_settings(env)
    assert result.returncode != 0
    assert f"missing: {missing}" in result.stderr or f", {missing}" in result.stderr


def test_production_refuses_sqlite():
    result = load_settings({**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


def test_production_keeps_cache_sessions_and_files_off_the_node():
    code = (
        "import fla.settings as s; print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE, "
        "s.STORAGES['default']['BACKEND'], s.STORAGES['staticfiles']['BACKEND'], s.FLA_LOG_FORMAT)"
    )
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "FLA_STORAGE"}
    clean.update(PRODUCTION)
    result = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cache",
        "fla.ops.storage.DatabaseStorage",
        "fla.ops.storage.StaticStorage",
        "json",
    ]


def test_unknown_storage_is_refused():
    result = load_settings({"FLA_STORAGE": "s3"})
    assert result.returncode != 0 and "FLA_STORAGE" in result.stderr
