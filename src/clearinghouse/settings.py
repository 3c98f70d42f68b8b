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


def _secret_key() -> str:
    """The secret key: from the environment, else generated once into the data dir (never committed)."""
    from_env = os.environ.get("CLEARINGHOUSE_SECRET_KEY", "")
    if from_env:
        return from_env
    DATA_DIR.mkdir(parents=True, exist_ok=True)
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
DEBUG = env_bool("CLEARINGHOUSE_DEBUG", False)
ALLOWED_HOSTS = env_list("CLEARINGHOUSE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CLEARINGHOUSE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "clearinghouse.core",
    "clearinghouse.participants",
    "clearinghouse.catalog",
    "clearinghouse.requirements",
    "clearinghouse.pledges",
    "clearinghouse.clearing",
    "clearinghouse.funds",
    "clearinghouse.ingest",
    "clearinghouse.reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clearinghouse.core.middleware.RequestIdMiddleware",
    "clearinghouse.core.input_guard.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clearinghouse.core.middleware.SessionTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

_database_url = os.environ.get("DATABASE_URL", "")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "clearinghouse.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers
                # never deadlock on lock upgrade; busy_timeout lets the second one wait its turn.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
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

# Login throttling: this many failures per username (or per client address) lock it for the window.
LOGIN_MAX_FAILURES = env_int("CLEARINGHOUSE_LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_SECONDS = env_int("CLEARINGHOUSE_LOGIN_LOCKOUT_SECONDS", 15 * 60)

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

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CLEARINGHOUSE_LOG_LEVEL", "WARNING")},
}
