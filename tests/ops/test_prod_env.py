"""``make prod`` (``fla.ops.prod``) fills the environment's gaps and keeps what is set."""

from __future__ import annotations

import argparse

import pytest

from fla.ops.prod import production_env

ARGS = argparse.Namespace(
    database_url="postgres://postgres@127.0.0.1:5432/fla_prod",
    redis_url="redis://127.0.0.1:6379/0",
    ports=[8000, 8001],
)
OWN = {
    "CSRF_TRUSTED_ORIGINS": "https://fla.example.be",
    "FLA_DATA_DIR": "/srv/fla-data",
    "STATIC_ROOT": "/srv/fla-static",
    "ALLOWED_HOSTS": "fla.example.be",
    "OIDC_ISSUER": "https://idp.example.be",
    "SECRET_KEY": "k" * 50,
    "CACHE_KEY_PREFIX": "mine",
    "DB_CONN_MAX_AGE": "0",
    "SECURE_SSL_REDIRECT": "true",
}


@pytest.fixture
def clean(monkeypatch):
    for name in [*OWN, "FLA_PROFILE", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"]:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_values_the_user_set_are_kept(clean, tmp_path):
    for name, value in OWN.items():
        clean.setenv(name, value)
    env = production_env(ARGS, tmp_path)
    assert {name: env[name] for name in OWN} == OWN
    # The profile and the addresses of the options are the profile's own.
    assert env["FLA_PROFILE"] == "production"
    assert env["DATABASE_URL"] == ARGS.database_url and env["REDIS_URL"] == ARGS.redis_url


@pytest.mark.parametrize("unset", ["absent", "empty"])
def test_defaults_fill_what_is_unset(clean, tmp_path, unset):
    if unset == "empty":
        for name in OWN:
            clean.setenv(name, "")
    env = production_env(ARGS, tmp_path)
    assert env["CSRF_TRUSTED_ORIGINS"].split(",") == [
        "http://127.0.0.1:8000", "http://localhost:8000",
        "http://127.0.0.1:8001", "http://localhost:8001",
    ]  # fmt: skip
    assert env["FLA_DATA_DIR"] == str(tmp_path)
    assert env["STATIC_ROOT"] == str(tmp_path / "static")
    assert env["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert env["CACHE_KEY_PREFIX"] == "fla-fla_prod"
    assert env["SECURE_SSL_REDIRECT"] == "false"
    assert env["OIDC_ISSUER"] == "http://127.0.0.1:9/local-oidc"
