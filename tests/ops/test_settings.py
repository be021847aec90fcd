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


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("FLA_BATCH_CHUNK", "2k", "FLA_BATCH_CHUNK must be a whole number, not '2k'."),
        ("DB_CONN_MAX_AGE", "60s", "DB_CONN_MAX_AGE must be a whole number, not '60s'."),
        ("SECURE_SSL_REDIRECT", "ture", "SECURE_SSL_REDIRECT must be one of"),
        ("FLA_GROUP_COMMIT", "enabled", "FLA_GROUP_COMMIT must be one of"),
        ("FLA_CREDIT_POLICY", "windows", "FLA_CREDIT_POLICY must be 'carry-over' or 'window'"),
        ("FLA_LOG_FORMAT", "text", "FLA_LOG_FORMAT must be 'json' or 'plain', not 'text'."),
        ("FLA_WINDOW_LENGTH", "0", "FLA_WINDOW_LENGTH must be at least 1, not 0."),
        ("FLA_TRUSTED_PROXIES", "10.0.0.0/33", "FLA_TRUSTED_PROXIES holds '10.0.0.0/33'"),
        ("FLA_METRICS_ALLOW", "10.0.0.1,prometheus", "FLA_METRICS_ALLOW holds 'prometheus'"),
        ("FLA_HEARTBEAT_FORGET_SECONDS", "30", "FLA_HEARTBEAT_FORGET_SECONDS must be 0 or at"),
    ],
)
def test_a_malformed_setting_is_refused_by_its_name(name, value, says):
    # A value that cannot be read stops the start with the setting's name, instead of a
    # bare ValueError (numbers), a quietly false protection (yes/no settings) or a
    # failure at the first request that uses it (the credit policy).
    result = load_settings({**PRODUCTION, name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in last_line(result) and says in last_line(result)


def test_a_long_heartbeat_period_moves_the_default_forget_horizon():
    code = "import fla.settings as s; print(s.FLA_HEARTBEAT_FORGET_SECONDS)"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLA_HEARTBEAT")}
    for period, horizon in (("15", "3600"), ("1800", "7200")):
        result = subprocess.run(
            [sys.executable, "-c", code], env={**clean, "FLA_HEARTBEAT_SECONDS": period},
            capture_output=True, text=True,
        )  # fmt: skip
        assert result.stdout.strip() == horizon, result.stderr


@pytest.mark.parametrize("value", ["1", "true", "yes", "on", "0", "false", "no", "off", " "])
def test_yes_no_settings_read_every_documented_spelling(value):
    result = load_settings({"FLA_GROUP_COMMIT": value})
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug():
    result = load_settings({**PRODUCTION, "DEBUG": "true"})
    assert result.returncode != 0 and "refuses DEBUG" in last_line(result)
    assert load_settings({**PRODUCTION, "DEBUG": "false"}).returncode == 0


def test_replica_pin_seconds_is_a_setting():
    code = "import fla.settings as s; print(s.FLA_REPLICA_PIN_SECONDS)"
    for env, expected in (({}, "5"), ({"FLA_REPLICA_PIN_SECONDS": "12"}, "12")):
        clean = {k: v for k, v in os.environ.items() if k != "FLA_REPLICA_PIN_SECONDS"}
        result = subprocess.run(
            [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
        )
        assert result.stdout.strip() == expected, result.stderr
