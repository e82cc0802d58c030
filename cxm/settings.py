"""CXM settings, read from the environment.

The embedded default is a SQLite database (WAL mode) in ``CXM_DATA_DIR``;
production points ``DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("CXM_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    configured = os.environ.get("CXM_SECRET_KEY")
    if configured:
        return configured
    # The embedded default keeps a generated key in the data directory so that
    # sessions survive restarts without anyone having to invent a secret.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("CXM_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("CXM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CXM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "cxm.access.apps.CXMAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "cxm.access",
    "cxm.connectors",
    "cxm.customers",
    "cxm.interactions",
    "cxm.insights",
    "cxm.feedback",
    "cxm.cases",
    "cxm.channels",
    "cxm.promises",
    "cxm.journeys",
    "cxm.console",
    "cxm.demo",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # Serves the API docs page's Swagger UI from CXM's own static files, not a CDN.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers for locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cxm.access.backends.RoleBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

ROOT_URLCONF = "cxm.urls"
WSGI_APPLICATION = "cxm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cxm" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxm.access.context_processors.access",
            ],
        },
    },
]

_default_db_url = f"sqlite:///{DATA_DIR / 'cxm.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_db_url), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the console read while an import writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write inside a transaction.
        # A 64 MB page cache (the default is 2 MB) keeps the identity and
        # interaction indexes in memory while a large import grows them; a
        # checkpoint every 10,000 pages (40 MB of WAL) rather than every 1,000
        # writes a page changed by several chunks once, and syncs less often.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
            " PRAGMA wal_autocheckpoint=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, not memory, so that a ``cxm`` subprocess (an import
    # killed mid-file, the server under Chromium) sees the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-cxm.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("CXM_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console:customer-search"
LOGOUT_REDIRECT_URL = "login"

# Served over HTTPS behind a TLS-terminating proxy (production): secure
# cookies, HSTS and a redirect of plain HTTP.
HTTPS = _env_bool("CXM_HTTPS", _env_bool("CXM_SECURE_COOKIES", False))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("CXM_SESSION_SECONDS", 12 * 3600))
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CXM_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("CXM_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Addresses in X-Forwarded-For that CXM trusts: the number of proxies in front of it.
CXM_PROXY_COUNT = int(os.environ.get("CXM_PROXY_COUNT", 0))

# No inline script or style anywhere in the console: everything comes from CXM's
# own static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Counters of the rate limits and of django-axes live here, shared by every
# web process that uses the same database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "cxm_cache",
    }
}
CXM_RATE_INGEST = os.environ.get("CXM_RATE_INGEST", "600/m")
CXM_RATE_LOGIN = os.environ.get("CXM_RATE_LOGIN", "30/m")

# Sign-in lockout: five failures for one username from one address lock it for
# 15 minutes; each attempt during the lockout is answered 429 and audited.
AXES_FAILURE_LIMIT = int(os.environ.get("CXM_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = float(os.environ.get("CXM_LOGIN_LOCKOUT_MINUTES", 15)) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "cxm.access.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = CXM_PROXY_COUNT or None
AXES_VERBOSE = False

# A bulk NDJSON body holds up to 10,000 lines and a line may carry a 1 MB body.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("CXM_MAX_REQUEST_BYTES", 64 * 1024 * 1024))

# Background tasks live in the database, run by `cxm worker` processes.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _env_days(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "")
    if value.strip().lower() in ("never", "forever"):
        return None
    return int(value) if value.strip() else default


# Retention per data class, in days (unset: the default; "never": keep for ever).
CXM_RETAIN_AUDIT_DAYS = _env_days("CXM_RETAIN_AUDIT_DAYS", 730)
CXM_RETAIN_INTERACTION_TEXT_DAYS = _env_days("CXM_RETAIN_INTERACTION_TEXT_DAYS", None)

# Outbound requests (webhooks, fetches) go only to public addresses, except
# these networks or host names of on-premise systems (comma-separated).
CXM_OUTBOUND_ALLOW = [
    e.strip() for e in os.environ.get("CXM_OUTBOUND_ALLOW", "").split(",") if e.strip()
]

# Values never used to match customers, beyond CXM's built-in placeholders
# ("N/A", "0000000000", test@test.com, ...): comma-separated, any kind.
CXM_PLACEHOLDER_VALUES = [
    v.strip() for v in os.environ.get("CXM_PLACEHOLDER_VALUES", "").split(",") if v.strip()
]
# The company's own support addresses and numbers, which agents type when a
# customer has none: never a customer's identifier.
CXM_OWN_IDENTIFIERS = [
    v.strip() for v in os.environ.get("CXM_OWN_IDENTIFIERS", "").split(",") if v.strip()
]

# Probabilistic matching (cxm dedupe, and at ingest once a model is trained): merge
# automatically at or above this match probability, propose for review at or above
# the second, else nothing.
CXM_MATCH_AUTO_MERGE = float(os.environ.get("CXM_MATCH_AUTO_MERGE", 0.99))
CXM_MATCH_REVIEW = float(os.environ.get("CXM_MATCH_REVIEW", 0.8))
# `cxm worker` retrains the match model (as `cxm dedupe` does) this often; 0: never.
CXM_MATCH_RETRAIN_DAYS = int(os.environ.get("CXM_MATCH_RETRAIN_DAYS", 7))

# Voice of the customer: no customer is asked for feedback more than once in
# this many days, across all surveys; at most this many invitations a day in
# all (empty: no cap); a detractor's follow-up is due this many days later.
CXM_SURVEY_COOLDOWN_DAYS = int(os.environ.get("CXM_SURVEY_COOLDOWN_DAYS", 30))
CXM_SURVEY_DAILY_CAP = int(os.environ.get("CXM_SURVEY_DAILY_CAP", 0)) or None
CXM_SURVEY_FOLLOW_UP_DAYS = int(os.environ.get("CXM_SURVEY_FOLLOW_UP_DAYS", 2))
# An onboarding behind on a milestone is stuck after this many days without progress.
CXM_ONBOARDING_STUCK_DAYS = int(os.environ.get("CXM_ONBOARDING_STUCK_DAYS", 21))
# Batches with up to this many texts get sentiment and topics at ingest; the
# texts of larger ones are enriched by the worker, so bulk loads keep their pace.
CXM_ENRICH_INLINE_MAX = int(os.environ.get("CXM_ENRICH_INLINE_MAX", 100))

# Region used to read phone numbers written without a country code.
CXM_PHONE_REGION = os.environ.get("CXM_PHONE_REGION", "GB")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CXM_LOG_LEVEL", "WARNING")},
}
