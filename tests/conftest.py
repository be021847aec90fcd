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


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache when it is the process's own memory (the
    default without REDIS_URL): the login and API rate limits count per client address
    in it, so that tests which try the limits would otherwise have the next tests of
    their process refused (a browser test's login answered 429)."""
    from django.conf import settings as django_settings
    from django.core.cache import cache

    if django_settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        cache.clear()
    yield
