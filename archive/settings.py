"""Settings, read from the environment with safe defaults for the demo.

Everything the archive writes (database, search index, secret key for the
demo, screenshots of browser tests) goes under ARCHIVE_DATA_DIR.
"""

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from archive.search.engines import haystack_connection

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DATA_DIR = Path(env.str("ARCHIVE_DATA_DIR", default=str(BASE_DIR / "var")))
if not DATA_DIR.is_absolute():
    DATA_DIR = BASE_DIR / DATA_DIR
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# In production the secret must come from the environment; the demo keeps a
# generated one in the data directory so sessions survive restarts.
PRODUCTION = env.bool("ARCHIVE_PRODUCTION", default=False)


def _secret_key() -> str:
    if env.str("SECRET_KEY", default=""):
        return env.str("SECRET_KEY")
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production.")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Before haystack, so our update_index (which also drains the index queue) wins.
    "archive",
    "haystack",
    "simple_history",
    "axes",
    "csp",
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
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "archive.urls"
WSGI_APPLICATION = "archive.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'archive.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several server processes may write at once: wait for the lock instead of
    # failing, and let readers proceed while one process writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

HAYSTACK_CONNECTIONS = {
    "default": haystack_connection(
        env.str("SEARCH_URL", default=f"whoosh://{DATA_DIR / 'whoosh_index'}"), BASE_DIR
    )
}
# Whoosh: seconds a write waits for another process's lock on the index before its changes
# stay queued for the next flush (archive.search.whoosh_backend).
if "SEARCH_LOCK_TIMEOUT" in env:
    HAYSTACK_CONNECTIONS["default"]["LOCK_TIMEOUT"] = env.float("SEARCH_LOCK_TIMEOUT")
# No signal processor: archive.articles.article_changed() queues every change for the
# index explicitly (haystack's default BaseSignalProcessor connects nothing).
HAYSTACK_SEARCH_RESULTS_PER_PAGE = 20
# One model is indexed: no per-query narrowing by model type.
HAYSTACK_LIMIT_TO_REGISTERED_MODELS = False
# Seconds one search may run before it answers with what it has found, saying the
# results may be incomplete (the archive's Whoosh backend; archive.search.cost).
SEARCH_TIME_LIMIT = env.float("SEARCH_TIME_LIMIT", default=3.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The admin lives under a configurable path so it is not where scanners look first.
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
# After a login whose `?next=` is refused (another host), land on the admin's index.
LOGIN_REDIRECT_URL = "admin:index"

# The longest article text accepted, in characters, from an import or the admin.
# The longest in the sample corpora is 58,218 (a Reuters special report); past
# the limit, tagging and the article's page cost more than a reader waits for.
ARCHIVE_MAX_ARTICLE_CHARS = env.int("ARCHIVE_MAX_ARTICLE_CHARS", default=500_000)
# The admin's article form carries the whole body URL-encoded: up to 12 bytes a
# character (4 in UTF-8, each as %XX). Room for a body at the limit in any script
# (Uyghur, Chinese), and Django's default 2.5 MB for the rest of the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * ARCHIVE_MAX_ARTICLE_CHARS + 2_621_440

# Capture from the web (archive.webcapture). Editors type the addresses the server fetches:
# only public addresses unless ARCHIVE_CAPTURE_ALLOW_PRIVATE=1 (tests, a trusted network).
ARCHIVE_CAPTURE_ALLOW_PRIVATE = env.bool("ARCHIVE_CAPTURE_ALLOW_PRIVATE", default=False)
# The largest page kept, in bytes (after decompression), the seconds one capture may take,
# redirects included, and how many redirects it follows.
ARCHIVE_CAPTURE_MAX_BYTES = env.int("ARCHIVE_CAPTURE_MAX_BYTES", default=10 * 1024 * 1024)
ARCHIVE_CAPTURE_TIMEOUT = env.float("ARCHIVE_CAPTURE_TIMEOUT", default=30.0)
ARCHIVE_CAPTURE_MAX_REDIRECTS = env.int("ARCHIVE_CAPTURE_MAX_REDIRECTS", default=5)

# Where readers report an error, shown on the about page; empty: "contact the editors".
ARCHIVE_CONTACT_EMAIL = env.str("ARCHIVE_CONTACT_EMAIL", default="").strip()

LANGUAGE_CODE = "en-gb"
# Dates as "1 December 2026" or 2026-12-01, in the admin and its date fields too
# (archive/formats/en_GB/formats.py): en-gb's own short format is 01/12/2026.
FORMAT_MODULE_PATH = ["archive.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Serve static files straight from static/ too, so the pages are styled even
# before `collectstatic` (which `make demo` runs).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Security. `check --deploy --fail-level WARNING` passes with DEBUG=0,
# ARCHIVE_HTTPS=1, ARCHIVE_PRODUCTION=1, a long random SECRET_KEY and ALLOWED_HOSTS.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# HTTPS-only settings, off by default so the demo also runs over plain HTTP on loopback.
HTTPS = env.bool("ARCHIVE_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# Only behind a proxy that terminates TLS and always sets (never passes on)
# X-Forwarded-Proto: otherwise a client could claim HTTPS by sending the header.
if env.bool("ARCHIVE_PROXY_SETS_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Everything the pages load comes from the archive itself; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Admin logins: 5 failures for one user name from one address lock that pair
# out for an hour (`manage.py axes_reset` lifts every lockout at once).
AUTHENTICATION_BACKENDS = [
    "archive.lockout.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
AXES_RESET_ON_SUCCESS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
