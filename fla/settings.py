"""One settings module, read from the environment.

Two profiles:

* ``embedded`` (the default): an SQLite file under ``data/``, a background worker
  started beside the web server, and a demo login that lists the demo users.
* ``production`` (``FLA_PROFILE=production``): PostgreSQL from ``DATABASE_URL``,
  a secret key, allowed hosts and OpenID Connect settings are required. It refuses
  to start half-configured and names every missing setting.

Every setting is documented in docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def envbool(name: str, default: bool = False) -> bool:
    """A yes/no setting; any other value is refused (a misspelt ``SECURE_SSL_REDIRECT=ture``
    must not quietly turn a protection off)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    word = value.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ImproperlyConfigured(
            f"{name} must be one of 1, true, yes, on, 0, false, no, off; not {value!r}."
        )
    return word in _TRUE


def envint(name: str, default: int) -> int:
    """A whole-number setting; anything else is refused with the setting's name."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def envnetworks(name: str) -> list[str]:
    """Comma-separated addresses or networks; one that is neither is refused at start
    (it failed every request that reads the list)."""
    entries = envlist(name)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} holds {entry!r}, which is not an address or a network."
            ) from None
    return entries


def envchoice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env(name, default)
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be {' or '.join(repr(c) for c in choices)}, not {value!r}."
        )
    return value


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


PROFILE = envchoice("FLA_PROFILE", "embedded", ("embedded", "production"))
PRODUCTION = PROFILE == "production"

if PRODUCTION:
    _required = [
        "DATABASE_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "OIDC_ISSUER",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "REDIS_URL",
    ]
    _missing = [name for name in _required if not env(name)]
    if _missing:
        raise ImproperlyConfigured(
            "The production profile is missing: "
            + ", ".join(_missing)
            + ". See docs/configuration.md."
        )
    if not env("DATABASE_URL").startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured("The production profile needs a PostgreSQL DATABASE_URL.")

DATA_DIR = Path(env("FLA_DATA_DIR", str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY", "embedded-only-secret-key-not-for-production")
DEBUG = envbool("DEBUG", False)
if PRODUCTION and DEBUG:
    # Debug pages show settings, SQL and tracebacks to anyone who causes an error.
    raise ImproperlyConfigured("The production profile refuses DEBUG: unset it or set it false.")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "oauth2_provider",
    "ninja",  # its bundled Swagger UI assets: /api/v1/docs loads nothing from a CDN
    "fla.core",
    "fla.accounts",
    "fla.employers",
    "fla.workers",
    "fla.rights",
    "fla.trainings",
    "fla.audit",
    "fla.declarations",
    "fla.web",
    "fla.api",
    "fla.batch",
    "fla.ops",
]

MIDDLEWARE = [
    "fla.ops.middleware.RequestIdMiddleware",
    "fla.ops.middleware.MetricsMiddleware",
    "fla.core.replica.ReplicaPinMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "fla.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Accept-Language without the languages it refuses (q=0), which LocaleMiddleware
    # would take.
    "fla.core.language.RefusedLanguagesMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "fla.core.htmx.HtmxLoginRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A page for a query or form value with a NUL character, before any view reads it
    # (inside the others: its page has their headers too).
    "fla.web.errors.RefuseNulMiddleware",
    # A page for an empty 405 of the online application (its language and user are known).
    "fla.web.errors.ErrorPageMiddleware",
]

ROOT_URLCONF = "fla.urls"
WSGI_APPLICATION = "fla.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'fla.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", _default_db), conn_max_age=envint("DB_CONN_MAX_AGE", 0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the background worker write while the web server reads.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file too: an in-memory shared-cache database ignores the busy timeout,
    # so concurrent writers would fail instead of waiting as they do in real use.
    # One file per test process, so that concurrent test runs never share one.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"fla-test-{os.getpid()}.sqlite3")
    }

# Reads may go to a PostgreSQL replica (fla.core.dbrouter): writes, and every read inside
# a transaction, stay on "default".
if env("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        env("DATABASE_REPLICA_URL"), conn_max_age=envint("DB_CONN_MAX_AGE", 0)
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["fla.core.dbrouter.ReplicaRouter"]
# With a replica: seconds a client that wrote reads from the primary (fla.core.replica).
FLA_REPLICA_PIN_SECONDS = envint("FLA_REPLICA_PIN_SECONDS", 5)

# --- Cache, sessions, rate-limit counters: Redis when REDIS_URL is set (production) ----
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "fla"),
        }
    }
    SESSION_ENGINE = env("SESSION_ENGINE", "django.contrib.sessions.backends.cache")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = env("SESSION_ENGINE", "django.contrib.sessions.backends.db")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

LANGUAGE_CODE = "nl"
LANGUAGES = [
    ("nl", _("Nederlands")),
    ("fr", _("Français")),
    ("de", _("Deutsch")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "fla" / "locale"]
# One way of writing dates and times in every language: dd/mm/yyyy HH:MM, as in Belgium
# (Django's own are 11/29/2026 6:09 p.m. in English, 29-11-2026 in Dutch, 29.11.2026 in
# German). See fla/formats/.
FORMAT_MODULE_PATH = ["fla.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Brussels"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Uploaded BATCH files and notifications (the default storage): "database" keeps them in
# PostgreSQL (fla.ops.storage), seen by every node; "filesystem" keeps them under
# FLA_MEDIA_ROOT, which must then be a shared (network) folder when there are several nodes.
FLA_STORAGE = envchoice(
    "FLA_STORAGE", "database" if PRODUCTION else "filesystem", ("database", "filesystem")
)
STORAGES = {
    "default": {
        "BACKEND": "fla.ops.storage.DatabaseStorage"
        if FLA_STORAGE == "database"
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "fla.ops.storage.StaticStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "batch", "rights"],
    }
}
# BATCH: declarations per transaction, and how long a worker holds a file between two
# chunks before another worker may take it over (after a crash).
FLA_BATCH_CHUNK = envint("FLA_BATCH_CHUNK", 2000)
FLA_BATCH_LEASE_SECONDS = envint("FLA_BATCH_LEASE_SECONDS", 120)
# BATCH: declarations of a test file checked per (rolled back) transaction; a test file of
# up to that many answers exactly what production would.
FLA_BATCH_TEST_CHUNK = envint("FLA_BATCH_TEST_CHUNK", 10000)
# Incremental reads (fla.core.sync): the clocks of the application servers and the
# database agree within this; on SQLite, no write transaction takes longer than that.
FLA_SYNC_CLOCK_SECONDS = envint("FLA_SYNC_CLOCK_SECONDS", 1)
FLA_SYNC_WRITE_SECONDS = envint("FLA_SYNC_WRITE_SECONDS", 60)
# BATCH: how many partitions (by worker) a large file is shared into, for as many worker
# processes to apply it at once (fla.batch.planning); none smaller than two chunks. Set
# it to the number of worker processes that take the "batch" queue. One on SQLite, whose
# single writer would only make them wait for each other.
FLA_BATCH_PARTITIONS = envint(
    "FLA_BATCH_PARTITIONS",
    1 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 2,
)
# Where uploaded BATCH files and notifications are kept (the default storage).
MEDIA_ROOT = Path(env("FLA_MEDIA_ROOT", env("MEDIA_ROOT", str(DATA_DIR / "media"))))

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:welcome"

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True  # pages carry the token in the form (and htmx's header)
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form (no valid CSRF token) gets the application's page, in the user's language.
CSRF_FAILURE_VIEW = "fla.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Set on every response by fla.web.security (no inline script or style anywhere).
FLA_CONTENT_SECURITY_POLICY = env(
    "FLA_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
)
# Logins started per minute per client address (demo login, OIDC start and callback).
FLA_LOGIN_RATE_LIMIT = envint("FLA_LOGIN_RATE_LIMIT", 10)
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
FLA_TRUSTED_PROXIES = envnetworks("FLA_TRUSTED_PROXIES")
# Error reports (debug page, mails to admins) mask every INSZ-like number.
DEFAULT_EXCEPTION_REPORTER = "fla.core.privacy.InszExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "fla.core.privacy.InszExceptionReporterFilter"
if PRODUCTION:
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- OpenID Connect (the federal identity service, or any OIDC provider) -------------
OIDC_ISSUER = env("OIDC_ISSUER")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_INSZ_CLAIM = env("OIDC_INSZ_CLAIM", "insz")
OIDC_SCOPES = env("OIDC_SCOPES", "openid profile")
# mozilla-django-oidc through fla.web.oidc: endpoints from the issuer's discovery document.
AUTHENTICATION_BACKENDS = [
    "fla.web.oidc.InszOIDCBackend",
    "django.contrib.auth.backends.ModelBackend",
]
OIDC_VERIFY_SSL = envbool("OIDC_VERIFY_SSL", True)

# --- The demo login exists only in the embedded profile --------------------------------
DEMO_LOGIN = (not PRODUCTION) and envbool("FLA_DEMO_LOGIN", True)

# --- Domain settings ------------------------------------------------------------------
# Credit policy: "carry-over" (no reset, the default) or "window" (FLA window).
FLA_CREDIT_POLICY = envchoice("FLA_CREDIT_POLICY", "carry-over", ("carry-over", "window"))
FLA_WINDOW_START = envint("FLA_WINDOW_START", 2024)
FLA_WINDOW_LENGTH = envint("FLA_WINDOW_LENGTH", 5)
if FLA_WINDOW_LENGTH < 1:
    raise ImproperlyConfigured(f"FLA_WINDOW_LENGTH must be at least 1, not {FLA_WINDOW_LENGTH}.")
# Employers with at least this many workers get the large-enterprise version.
FLA_LARGE_ENTERPRISE_THRESHOLD = envint("FLA_LARGE_ENTERPRISE_THRESHOLD", 1000)
# Accepted range of training dates.
FLA_FIRST_YEAR = envint("FLA_FIRST_YEAR", 2024)
FLA_MAX_BATCH_BYTES = envint("FLA_MAX_BATCH_BYTES", 2 * 1024 * 1024 * 1024)
# A web upload is stopped as soon as its file passes FLA_MAX_BATCH_BYTES, before Django
# has spooled it (fla.batch.uploads); then Django's own handlers, as by default.
FILE_UPLOAD_HANDLERS = [
    "fla.batch.uploads.BatchSizeCapHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FLA_RETENTION_YEARS = envint("FLA_RETENTION_YEARS", 10)
# Days a finished BATCH file's content (the stored XML, its results and notification) is
# kept after its receipt; then `fla erase-expired` erases it (the declarations it applied
# are kept, under FLA_RETENTION_YEARS).
FLA_BATCH_RETENTION_DAYS = envint("FLA_BATCH_RETENTION_DAYS", 400)

# --- API: OAuth2 client credentials (django-oauth-toolkit) and limits ------------------
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": envint("FLA_API_TOKEN_SECONDS", 600),
    "SCOPES": {"read": "Read employer data", "declare": "Declare workers, rights, trainings"},
    "DEFAULT_SCOPES": ["read", "declare"],
    "SCOPES_BACKEND_CLASS": "fla.api.oauth.ApiClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "fla.api.oauth.ApiClientValidator",
    # The client credentials grant only: any other grant type is unsupported before
    # anything it carries is looked at (a password grant would check a user's password).
    "OAUTH2_SERVER_CLASS": "oauthlib.oauth2.BackendApplicationServer",
    # Only client credentials are used: adopt RFC 9700 (tokens stored hashed, no implicit
    # or password grant, https redirects) so that `check --deploy` is clean.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}
# Named so that migrations can point at the (unswapped) client model.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
FLA_API_MAX_BODY_BYTES = envint("FLA_API_MAX_BODY_BYTES", 1024 * 1024)
# Requests per minute per API client; counted in the default cache (Redis in production).
FLA_API_RATE_LIMIT = envint("FLA_API_RATE_LIMIT", 6000)
# Token requests per minute from one client address, and failed client authentications
# per minute from one address after which its token requests are refused (0: no limit).
FLA_API_TOKEN_RATE_LIMIT = envint("FLA_API_TOKEN_RATE_LIMIT", 60)
FLA_API_TOKEN_FAILURE_LIMIT = envint("FLA_API_TOKEN_FAILURE_LIMIT", 10)
# Training PUTs of one client that arrive while another is being written are written
# together, in one transaction (fla.declarations.grouping). Off: each alone.
FLA_GROUP_COMMIT = envbool("FLA_GROUP_COMMIT", True)

# --- Operations: metrics, worker heartbeats, logs -------------------------------------
# /metrics answers only to these client addresses (empty: to everyone).
FLA_METRICS_ALLOW = envnetworks("FLA_METRICS_ALLOW")
# While an employer's data keeps changing, its dashboard charts are computed again at
# most once in this many seconds (afresh for a user whose own change is newer than the
# last computation). 0: computed again after every change.
FLA_CHART_REFRESH_SECONDS = envint("FLA_CHART_REFRESH_SECONDS", 10)
# How often each background worker writes its heartbeat row (0: never).
FLA_HEARTBEAT_SECONDS = envint("FLA_HEARTBEAT_SECONDS", 15)
# The running workers delete the heartbeat row of a worker not seen for this many
# seconds (a killed worker that is not coming back): its alert stops. 0: never.
FLA_HEARTBEAT_FORGET_SECONDS = envint(
    "FLA_HEARTBEAT_FORGET_SECONDS", max(3600, 4 * FLA_HEARTBEAT_SECONDS)
)
if 0 < FLA_HEARTBEAT_FORGET_SECONDS < 4 * FLA_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "FLA_HEARTBEAT_FORGET_SECONDS must be 0 or at least four heartbeat periods "
        f"(4 x FLA_HEARTBEAT_SECONDS = {4 * FLA_HEARTBEAT_SECONDS}), "
        f"not {FLA_HEARTBEAT_FORGET_SECONDS}: a worker merely late would be forgotten."
    )
# How much each background worker lowers its own CPU priority (nice increment, 0-19):
# on a machine it shares with a web node, requests are served first and files use the
# rest. 0 leaves the priority as it is.
FLA_WORKER_NICE = envint("FLA_WORKER_NICE", 10)
# Employers per step of the yearly rights computation run in the background.
FLA_RIGHTS_RUN_CHUNK = envint("FLA_RIGHTS_RUN_CHUNK", 200)
# "json" (one JSON object a line, the default in production) or "plain".
FLA_LOG_FORMAT = envchoice("FLA_LOG_FORMAT", "json" if PRODUCTION else "plain", ("json", "plain"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_insz": {"()": "fla.core.logging.MaskInszFilter"},
        "request_id": {"()": "fla.ops.logging.RequestIdFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "fla.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "mask_insz"],
            "formatter": FLA_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own handlers (a console handler when DEBUG is on, mail to ADMINS, the
        # development server's) write without the INSZ mask: its loggers write through
        # the root's handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
    },
}
