"""Settings, read from the environment through helpers that fail loudly on bad values.

Everything a deployment changes is an environment variable prefixed `CLEARINGHOUSE_`, plus
`DATABASE_URL` (SQLite in the data dir when unset) and `PORT` for `make demo`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str) -> str:
    """A string setting."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """A boolean setting: only `True` or `False` (or unset) are accepted."""
    v = os.environ.get(name, "")
    if v not in ("", "True", "False"):
        raise ImproperlyConfigured(f"Unexpected value {name}={v}, use 'True' or 'False'")
    return default if v == "" else v == "True"


def env_int(name: str, default: int) -> int:
    """An integer setting."""
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        return int(v)
    except ValueError:
        raise ImproperlyConfigured(f"Unexpected value {name}={v}, use a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list setting."""
    v = os.environ.get(name, "")
    return default if v == "" else [item.strip() for item in v.split(",") if item.strip()]


DATA_DIR = Path(env_str("CLEARINGHOUSE_DATA_DIR", str(Path.cwd() / "var"))).resolve()


def private_dir(path: Path) -> Path:
    """Create a directory readable by its owner only (0700); an existing one is left as it is."""
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def _secret_key() -> str:
    """The secret key: from the environment, else generated once into the data dir (never committed)."""
    from_env = os.environ.get("CLEARINGHOUSE_SECRET_KEY", "")
    if from_env:
        return from_env
    private_dir(DATA_DIR)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # O_EXCL: two processes starting at once must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    key = path.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(f"The secret key in {path} is too short; delete it to generate a new one")
    return key


SECRET_KEY = _secret_key()
# Key rotation: the new key in CLEARINGHOUSE_SECRET_KEY, the old ones here (comma-separated) until the
# sessions and signed values made with them have expired (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("CLEARINGHOUSE_SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("CLEARINGHOUSE_DEBUG", False)
# `clearinghouse bench http` only: routes /bench/bare, the reference view of the load benchmark.
BENCH = env_bool("CLEARINGHOUSE_BENCH", False)
ALLOWED_HOSTS = env_list("CLEARINGHOUSE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CLEARINGHOUSE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "clearinghouse.core.admin_site.ClearinghouseAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clearinghouse.core",
    "clearinghouse.participants",
    "clearinghouse.governance",
    "clearinghouse.catalog",
    "clearinghouse.requirements",
    "clearinghouse.pledges",
    "clearinghouse.packages",
    "clearinghouse.logistics",
    "clearinghouse.clearing",
    "clearinghouse.funds",
    "clearinghouse.frameworks",
    "clearinghouse.tracker",
    "clearinghouse.reports",
    "clearinghouse.inbox",
    "clearinghouse.apps.ProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clearinghouse.core.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clearinghouse.core.middleware.RequestIdMiddleware",
    "clearinghouse.core.logs.RequestLogMiddleware",
    "clearinghouse.core.input_guard.InputGuardMiddleware",
    "clearinghouse.core.busy.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clearinghouse.core.i18n.UserLocaleMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clearinghouse.core.mfa.MfaRequiredMiddleware",
    "clearinghouse.core.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clearinghouse.core.middleware.DomainErrorPagesMiddleware",
    "clearinghouse.core.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "clearinghouse.urls"
WSGI_APPLICATION = "clearinghouse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clearinghouse.core.context_processors.clearinghouse",
                "clearinghouse.core.headers.csp_nonce",
                "clearinghouse.inbox.context_processors.unread_notifications",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
            "builtins": ["clearinghouse.core.templatetags.security"],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    # Persistent connections, checked before reuse: each app thread keeps its connection across
    # requests instead of opening one per request (CLEARINGHOUSE_DB_CONN_MAX_AGE seconds; 0 closes
    # after each request, e.g. behind PgBouncer in transaction mode).
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            conn_max_age=env_int("CLEARINGHOUSE_DB_CONN_MAX_AGE", 600),
            conn_health_checks=True,
        )
    }
else:
    private_dir(DATA_DIR)
    _sqlite_file = DATA_DIR / "clearinghouse.sqlite3"
    if not _sqlite_file.exists():
        # Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(_sqlite_file, os.O_WRONLY | os.O_CREAT, 0o600))
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "clearinghouse.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers
                # never deadlock on lock upgrade; busy_timeout lets the second one wait its turn.
                "transaction_mode": "IMMEDIATE",
                # How long a writer waits for the lock before "database is locked", which requests
                # answer as 503 with Retry-After (core.busy): short, well within the server's timeout.
                "timeout": env_int("CLEARINGHOUSE_SQLITE_LOCK_TIMEOUT", 5),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
            # A file, not shared-cache memory: only a file honours busy_timeout, which the tests that
            # race two writers on real threads need. One file per process, so parallel runs never meet.
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "participants.User"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions: idle timeout and absolute lifetime are enforced by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = env_int("CLEARINGHOUSE_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env_int("CLEARINGHOUSE_SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("CLEARINGHOUSE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Secure cookies mean the site is served over HTTPS: then redirect plain HTTP and send HSTS.
SECURE_SSL_REDIRECT = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("CLEARINGHOUSE_HSTS_SECONDS", 365 * 24 * 3600) if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
# Probes and scrapes come from inside the operator's network, often over plain HTTP.
SECURE_REDIRECT_EXEMPT: list[str] = [r"^healthz$", r"^readyz$", r"^metrics$"]
if env_bool("CLEARINGHOUSE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Login throttling, shared by every sign-in door (core.throttle): failures per address and username
# back off progressively from this many, capped at the lockout window; an address alone gets 4x more.
LOGIN_MAX_FAILURES = env_int("CLEARINGHOUSE_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("CLEARINGHOUSE_LOGIN_LOCKOUT_SECONDS", 15 * 60)
AUTHENTICATION_BACKENDS = ["clearinghouse.core.throttle.ThrottledModelBackend"]

# The anonymous public API (/api/v1/public/...; docs/open-data.md): at most this many requests per
# client address in each window (then 429 with Retry-After), and how long clients and proxies may
# keep an answer (Cache-Control: public, max-age).
PUBLIC_API_RATE_LIMIT = env_int("CLEARINGHOUSE_PUBLIC_API_RATE_LIMIT", 120)
PUBLIC_API_RATE_WINDOW = env_int("CLEARINGHOUSE_PUBLIC_API_RATE_WINDOW", 60)
PUBLIC_API_MAX_AGE = env_int("CLEARINGHOUSE_PUBLIC_API_MAX_AGE", 300)
# The publisher of the IATI export (reports/iati.py): its IATI organisation identifier and name.
IATI_REPORTING_ORG_REF = env_str("CLEARINGHOUSE_IATI_REPORTING_ORG_REF", "XI-IATI-CLEARINGHOUSE")
IATI_REPORTING_ORG_NAME = env_str("CLEARINGHOUSE_IATI_REPORTING_ORG_NAME", "Clearinghouse")

# Multi-factor sign-in (TOTP with recovery codes): required for these roles, available to all.
MFA_REQUIRED_ROLES = env_list("CLEARINGHOUSE_MFA_REQUIRED_ROLES", ["coordinator", "finance_officer", "admin"])
OTP_TOTP_ISSUER = "Clearinghouse"

# Personal API tokens expire after this many days (the most a token may be given).
TOKEN_MAX_DAYS = env_int("CLEARINGHOUSE_TOKEN_DAYS", 90)

# The audit chain's anchors, outside the database: the key that seals events and signs checkpoints,
# and the append-only file of checkpoints. Several app servers must share both: the key as the PEM text
# itself in CLEARINGHOUSE_AUDIT_SIGNING_KEY (which wins over the file), or the same file on every host;
# the checkpoint file on shared storage (docs/operations.md).
CLEARINGHOUSE_AUDIT_SIGNING_KEY = env_str("CLEARINGHOUSE_AUDIT_SIGNING_KEY", "")
CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE = Path(
    env_str("CLEARINGHOUSE_AUDIT_SIGNING_KEY_FILE", str(DATA_DIR / "audit-signing-key.pem"))
)
CLEARINGHOUSE_CHECKPOINT_FILE = Path(
    env_str("CLEARINGHOUSE_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl"))
)

CACHES = {
    "default": {
        # The database cache is shared by every app process, so throttling holds when scaled out.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "core_cache",
    }
}

# API lists: 100 items a page unless `limit` says otherwise, never more than 1,000 (422 beyond).
NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000

# Languages (docs/i18n.md): English by default, French and Ukrainian. A visitor gets the browser's
# preference (Accept-Language) or the switcher's cookie; a signed-in user their profile's language.
# The catalogues live in the package (src/clearinghouse/locale) with their compiled .mo files.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("uk", "Українська")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English pages keep the British formats they always had (day month year, 24-hour clock).
FORMAT_MODULE_PATH = ["clearinghouse.formats"]
LANGUAGE_COOKIE_NAME = "clearinghouse_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Every time is stored in UTC; pages show it in the user's zone (their own, else their participant's).
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
private_dir(DATA_DIR)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Who may read /metrics: client addresses in these networks (CIDR, comma-separated); 404 for the rest.
CLEARINGHOUSE_METRICS_ALLOWED = env_list("CLEARINGHOUSE_METRICS_ALLOWED", ["127.0.0.1/32", "::1/128"])

# Logs: JSON lines on stderr (CLEARINGHOUSE_LOG_FORMAT=text for plain lines), secrets redacted by a
# filter on the handler; one line per request on `clearinghouse.request` (CLEARINGHOUSE_REQUEST_LOG).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A 403 is one line in the log, not a traceback.
    "filters": {
        "one_line_403": {"()": "clearinghouse.core.logfilters.OneLineForbidden"},
        "redact": {"()": "clearinghouse.core.logs.RedactSecrets"},
    },
    "formatters": {
        "json": {"()": "clearinghouse.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": env_str("CLEARINGHOUSE_LOG_FORMAT", "json"),
        }
    },
    "loggers": {
        "django.request": {"filters": ["one_line_403"]},
        "clearinghouse.request": {
            "level": "INFO" if env_bool("CLEARINGHOUSE_REQUEST_LOG", True) else "WARNING",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("CLEARINGHOUSE_LOG_LEVEL", "WARNING")},
}
if LOGGING["handlers"]["console"]["formatter"] not in ("json", "text"):  # type: ignore[index]
    raise ImproperlyConfigured("Unexpected value CLEARINGHOUSE_LOG_FORMAT, use 'json' or 'text'")

# Background jobs (core/jobs.py, docs/operations.md "Background jobs"): a Celery worker over this
# broker when set (`clearinghouse worker`), else a thread pool inside each app process.
CLEARINGHOUSE_BROKER_URL = env_str("CLEARINGHOUSE_BROKER_URL", "")
CLEARINGHOUSE_JOB_QUEUE = env_str("CLEARINGHOUSE_JOB_QUEUE", "clearinghouse")
CLEARINGHOUSE_JOB_THREADS = env_int("CLEARINGHOUSE_JOB_THREADS", 2)
CLEARINGHOUSE_JOB_HEARTBEAT_SECONDS = env_int("CLEARINGHOUSE_JOB_HEARTBEAT_SECONDS", 2)
CLEARINGHOUSE_JOB_STALE_SECONDS = env_int("CLEARINGHOUSE_JOB_STALE_SECONDS", 60)

# E-mail (notifications, docs/inbox.md): printed on the console unless an SMTP host is set; then sent
# through it (CLEARINGHOUSE_EMAIL_PORT, _USER, _PASSWORD, _USE_TLS, _USE_SSL; docs/operations.md).
EMAIL_HOST = env_str("CLEARINGHOUSE_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("CLEARINGHOUSE_EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("CLEARINGHOUSE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("CLEARINGHOUSE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CLEARINGHOUSE_EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("CLEARINGHOUSE_EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    EMAIL_USE_TLS = False  # implicit TLS (port 465) wins: Django refuses both at once
EMAIL_TIMEOUT = env_int("CLEARINGHOUSE_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("CLEARINGHOUSE_EMAIL_FROM", "clearinghouse@localhost")
# The address of this installation as its users reach it: the links in e-mails start with it.
CLEARINGHOUSE_SITE_URL = env_str("CLEARINGHOUSE_SITE_URL", "http://localhost:8000")
# Housekeeping (clearinghouse.housekeeping; docs/operations.md): how long idempotency records, old
# clearing runs (adopted ones are kept) and finished jobs are kept, how many of the newest runs are
# always kept, and how often each `clearinghouse worker` runs it (0: only cron's `clearinghouse
# housekeeping`).
IDEMPOTENCY_RETENTION_DAYS = env_int("CLEARINGHOUSE_IDEMPOTENCY_RETENTION_DAYS", 7)
RUN_RETENTION_DAYS = env_int("CLEARINGHOUSE_RUN_RETENTION_DAYS", 90)
RUN_KEEP_LATEST = env_int("CLEARINGHOUSE_RUN_KEEP_LATEST", 20)
JOB_RETENTION_DAYS = env_int("CLEARINGHOUSE_JOB_RETENTION_DAYS", 30)
HOUSEKEEPING_SECONDS = env_int("CLEARINGHOUSE_HOUSEKEEPING_SECONDS", 3600)
