"""Settings shared by the whole suite."""

import os

import pytest
from django.utils import translation
from hypothesis import HealthCheck, settings

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM
# calls there for the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

settings.register_profile(
    "fla", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("fla")


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language. Django keeps the language a request
    activated (``LocaleMiddleware``) in the thread after the request; without this, a
    test that asked for French would hand French texts to the next test in its
    process, and whether that test passed would depend on what ran before it."""
    translation.deactivate()
    yield
    translation.deactivate()
