"""``make run`` (fla.serve) starts gunicorn with the documented settings."""

import pytest


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, {"--workers": "2", "--threads": "16", "--timeout": "60"}),
        (
            {"WEB_WORKERS": "3", "WEB_THREADS": "4", "WEB_TIMEOUT": "90"},
            {"--workers": "3", "--threads": "4", "--timeout": "90"},
        ),
    ],
)
def test_web_server_takes_workers_threads_and_timeout_from_the_environment(
    monkeypatch, make_run_command, env, expected
):
    for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    command = make_run_command()
    assert {name: option(command, name) for name in expected} == expected


def test_a_server_that_cannot_start_fails_the_test(monkeypatch, gunicorn_server):
    """The real-server tests fail, not skip, when gunicorn does not come up: here it
    refuses the command line (a timeout that is not a number) and exits."""
    monkeypatch.setenv("WEB_TIMEOUT", "soon")
    with pytest.raises(AssertionError, match="gunicorn did not start") as failure:
        with gunicorn_server("make_run"):
            pass
    assert "--timeout" in str(failure.value) or "timeout" in str(failure.value).lower()
