"""Settings shared by the whole suite."""

import os

from hypothesis import HealthCheck, settings

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM
# calls there for the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

settings.register_profile(
    "fla", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("fla")
