"""A minimal Django project serving django-scim2 on SQLite: the like-for-like durable peer.

bench/run.py sets SCIM_BEARER_TOKEN and BENCH_DJANGO_DB (a fresh file per start) and runs
`manage.py migrate` before starting gunicorn.
"""
import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "benchpeer",
]
# Authentication first: django-scim2's own check (in its views) needs request.user.
MIDDLEWARE = ["benchpeer.auth.BearerTokenMiddleware"]
ROOT_URLCONF = "benchpeer.urls"
WSGI_APPLICATION = "benchpeer.wsgi.application"
AUTH_USER_MODEL = "benchpeer.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

SCIM_BEARER_TOKEN = os.environ.get("SCIM_BEARER_TOKEN", "")

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DJANGO_DB", "bench.db"),
        # Keep each worker thread's connection (and its PRAGMAs) instead of reopening per request.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            # Run on every new connection: WAL so readers do not wait for the writer, and
            # synchronous=FULL so a 201 is durable across power loss, the same as Portcullis.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
            # BEGIN IMMEDIATE: a transaction that reads then writes (a PATCH) takes the write
            # lock up front and waits for it (timeout), instead of failing "database is locked"
            # when another worker wrote in between; Django's advice for concurrent SQLite.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        },
    }
}

SCIM_SERVICE_PROVIDER = {
    "SCHEME": "http",
    "NETLOC": "127.0.0.1",
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "A static bearer token"},
    ],
    "GROUP_MODEL": "benchpeer.models.Group",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
