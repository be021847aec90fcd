"""``make run`` (fla.serve) starts gunicorn with the documented settings."""

import pytest

import fla.serve


class Done:
    returncode = 0

    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0


def web_command(monkeypatch) -> list[str]:
    started: list[list[str]] = []
    monkeypatch.setattr(fla.serve.subprocess, "run", lambda *a, **k: None)
    monkeypatch.setattr(
        fla.serve.subprocess, "Popen", lambda args, **k: started.append(list(args)) or Done()
    )
    monkeypatch.setattr(fla.serve.time, "sleep", lambda s: None)
    monkeypatch.setattr(fla.serve.signal, "signal", lambda *a: None)
    fla.serve.main()
    (web,) = [args for args in started if args[0].endswith("gunicorn")]
    return web


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
    monkeypatch, env, expected
):
    for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    command = web_command(monkeypatch)
    assert {name: option(command, name) for name in expected} == expected
