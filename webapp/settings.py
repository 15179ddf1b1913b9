"""Likeness settings.

Every value comes from an environment variable of the same name and has a
working default: SQLite, a local media folder and an embedded Redis server, so
a fresh checkout runs with `make run`. Nothing else in the code reads
os.environ.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from webapp.core.storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    value = os.getenv(name, default)
    if value not in ("True", "False"):
        raise ImproperlyConfigured(f"{name} must be 'True' or 'False', not {value!r}")
    return value == "True"


def envint(name: str, default: int) -> int:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def envfloat(name: str, default: float) -> float:
    value = os.getenv(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from exc


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


# Mutable state (database, media, generated secret, embedded Redis socket) lives here.
DATA_DIR = Path(os.getenv("DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _private(path: Path, mode: int) -> None:
    """Make `path` (the app's own) readable by the app's user only; leave others' alone."""
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        path.chmod(mode)


_private(DATA_DIR, 0o700)


def _secret_key() -> str:
    """Return SECRET_KEY, or a random one generated once and kept in DATA_DIR.

    Credentials' secret keys are encrypted with a key derived from it, so it
    must stay the same across restarts.
    """
    if os.getenv("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG", "False")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.getenv("SITE_URL", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "webapp.core",
    "webapp.photos",
    "webapp.api",
    "webapp.fusion",
]

MIDDLEWARE = [
    # First: whatever happens, the API routes answer in their own format, never HTML.
    "webapp.api.middleware.ApiLastLineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "webapp.core.middleware.ContentSecurityPolicyMiddleware",
    # Refuses a page upload over the photo limit before it is read (and before CSRF reads it).
    "webapp.core.middleware.UploadLimitMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "webapp.core.context_processors.site",
                "webapp.core.context_processors.language_next",
            ],
        },
    },
]

# SQLite by default; DATABASE_URL (e.g. postgres://user:pass@host/db) switches.
if os.getenv("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    DB_PATH = Path(os.getenv("DB_PATH", str(DATA_DIR / "db.sqlite3")))
    if str(DB_PATH) != ":memory:" and DB_PATH.parent.is_dir():
        # Created here, private, before SQLite creates it world-readable (its WAL files
        # take its mode); an empty file is an empty database.
        os.close(os.open(DB_PATH, os.O_WRONLY | os.O_CREAT, 0o600))
        _private(DB_PATH, 0o600)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DB_PATH,
            # Web threads and the worker write at the same time: wait for the lock.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
            # Kept open between requests, as PostgreSQL's is: opening one (with its PRAGMAs
            # and Django's functions) costs about 0.8 ms, a fifteenth of an API request's
            # own work.
            "CONN_MAX_AGE": 60,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Each language's name is written in that language: it is what the header's switch offers.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The header's switch remembers the visitor's choice for a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = os.getenv("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Empty STORAGE_URL: the local folder MEDIA_ROOT, written to a temporary name, then
    # linked in place (no partial file on a full disk). s3://bucket/prefix: private objects.
    "default": media_storage(
        os.getenv("STORAGE_URL", ""),
        endpoint_url=os.getenv("STORAGE_ENDPOINT_URL", ""),
        access_key_id=os.getenv("STORAGE_ACCESS_KEY_ID", ""),
        secret_access_key=os.getenv("STORAGE_SECRET_ACCESS_KEY", ""),
        region=os.getenv("STORAGE_REGION", ""),
    ),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Uploaded photos are private: they are served only by views that check the
# owner or the share key, never from a public MEDIA_URL.
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", str(DATA_DIR / "media")))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 60 * 60 * 24 * 30)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_HTTPS_PROXY", "False") else None
)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = envbool(
    "BEHIND_HTTPS_PROXY", "False"
)
# Behind HTTPS, browsers are told to come back over HTTPS only, for a year (subdomains on request).
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if envbool("BEHIND_HTTPS_PROXY", "False") else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", "False")
# Pages load scripts, styles and images from this site only; the templates' style
# attributes (per-face colours and sizes) need 'unsafe-inline' styles, never scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

# --- Queue -----------------------------------------------------------------
# Without REDIS_URL the app uses the embedded server that `manage.py serve`
# starts on a Unix socket in DATA_DIR.
EMBEDDED_REDIS_SOCKET = DATA_DIR / "redis.sock"
REDIS_URL = os.getenv("REDIS_URL", "") or f"unix://{EMBEDDED_REDIS_SOCKET}"
# API jobs have a queue of their own, which workers take first; page jobs go to "default".
RQ_QUEUES = {
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
    "api": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300},
}
RQ_SHOW_ADMIN_LINK = True
RQ = {"COMMIT_MODE": "on_db_commit"}
# Seconds a Redis command may take before the connection counts as broken. redis-py 8
# reads for at most 5 s by default, so a wait must block for less than this (half of it).
REDIS_SOCKET_TIMEOUT = envfloat("REDIS_SOCKET_TIMEOUT", 10.0)
# Each worker says it is alive this often; one silent for three beats is dead, and its
# job is requeued (or failed) by another worker.
WORKER_HEARTBEAT_SECONDS = envfloat("WORKER_HEARTBEAT_SECONDS", 5.0)

# `manage.py serve` (what `make run` starts).
PORT = envint("PORT", 8000)
WEB_CONCURRENCY = envint("WEB_CONCURRENCY", 2)
WORKERS = envint("WORKERS", 1)

# --- Photos and jobs ----------------------------------------------------------
MAX_UPLOAD_MB = envint("MAX_UPLOAD_MB", 10)
MAX_IMAGE_PIXELS = envint("MAX_IMAGE_PIXELS", 40_000_000)
MIN_IMAGE_SIDE = envint("MIN_IMAGE_SIDE", 32)
# Django refuses request bodies above this before a view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = (MAX_UPLOAD_MB + 1) * 2**20
FILE_UPLOAD_MAX_MEMORY_SIZE = (MAX_UPLOAD_MB + 1) * 2**20
# Django's two handlers, reading 1 MB at a time instead of 64 KB (webapp.core.uploads).
FILE_UPLOAD_HANDLERS = [
    "webapp.core.uploads.MemoryUploadHandler",
    "webapp.core.uploads.TemporaryUploadHandler",
]
# A job running longer than this is stopped by the worker and marked failed.
JOB_TIMEOUT = envint("JOB_TIMEOUT", 120)
# A job still "running" this long after it started lost its worker.
JOB_STALE_AFTER = envint("JOB_STALE_AFTER", JOB_TIMEOUT + 60)
# A job still "queued" this long after it was created never reached a worker.
JOB_QUEUE_TIMEOUT = envint("JOB_QUEUE_TIMEOUT", 60 * 60)
# What one visitor (session) and one address may have waiting (queued or running) on the pages.
PAGE_JOBS_PER_SESSION = envint("PAGE_JOBS_PER_SESSION", 3)
PAGE_JOBS_PER_ADDRESS = envint("PAGE_JOBS_PER_ADDRESS", 10)
# Default retention of photos and results; the admin can change it at run time.
RETENTION_HOURS = envint("RETENTION_HOURS", 24 * 7)

# --- Services -----------------------------------------------------------------
# Per service, <PREFIX>_BACKEND=local runs the engine in the worker; remote sends the
# photo to <PREFIX>_REMOTE_URL (the cloud service or another Likeness) with
# <PREFIX>_REMOTE_APPID, _SECRET_ID and _SECRET_KEY. Each service declares its PREFIX
# (webapp/services); the check core.E002 reports a value that is wrong.
SERVICE_ENV = {
    name: value
    for name, value in os.environ.items()
    if name.endswith("_BACKEND") or "_REMOTE_" in name
}
REMOTE_TIMEOUT = envfloat("REMOTE_TIMEOUT", 30.0)
# The local engine places the face-shape points, the dense contours and the ID check's eye
# line and chin where people annotate them (a refinement fitted on the iBUG 300-W
# annotations, research-only terms: webapp/vision/data/REFINEMENT.md). Off: the mesh's own.
LANDMARK_REFINEMENT = envbool("LANDMARK_REFINEMENT", "True")
# The account id (`uin`) that fusion requests to a remote service carry; the appid if empty.
FUSION_REMOTE_UIN = os.getenv("FUSION_REMOTE_UIN", "")

# --- API ---------------------------------------------------------------------
# How long an API request waits for its job before answering "busy".
API_WAIT_SECONDS = envfloat("API_WAIT_SECONDS", 30.0)
# Signatures may be valid for at most this long (e - t).
SIGNATURE_MAX_AGE = envint("SIGNATURE_MAX_AGE", 90 * 24 * 3600)
SIGNATURE_CLOCK_SKEW = envint("SIGNATURE_CLOCK_SKEW", 300)
DEFAULT_RATE_LIMIT_PER_MINUTE = envint("DEFAULT_RATE_LIMIT_PER_MINUTE", 600)
# face_token values answered by the dense-landmark API stay valid this long (Face++: 72 h).
FACE_TOKEN_HOURS = envint("FACE_TOKEN_HOURS", 72)
# Fetching `url` images.
URL_FETCH_TIMEOUT = envfloat("URL_FETCH_TIMEOUT", 10.0)
URL_FETCH_ALLOW_PRIVATE = envbool("URL_FETCH_ALLOW_PRIVATE", "False")
# How many `url` images a web process fetches at once; one more is answered "cannot be fetched".
URL_FETCH_CONCURRENCY = envint("URL_FETCH_CONCURRENCY", 4)

# --- Operations (webapp.ops) ------------------------------------------------------
# /readyz fails when a job has waited longer than this (seconds) while workers are alive.
READY_QUEUE_MAX_AGE = envint("READY_QUEUE_MAX_AGE", 300)
# /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>` (if set), or one
# from these addresses or networks (not through a proxy); any other gets 404 (403: wrong token).
METRICS_TOKEN = os.getenv("METRICS_TOKEN", "")
METRICS_ALLOWED_ADDRESSES = envlist("METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1")
# Where every process writes its metrics for /metrics to add up (prometheus-client's
# multiprocess mode); `manage.py serve` sets it to DATA_DIR/metrics. Empty: this process only.
METRICS_MULTIPROC_DIR = os.getenv("PROMETHEUS_MULTIPROC_DIR", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
