"""Settings shared by every environment.

All configuration comes from the environment (see README.md, "Configuration"); the defaults
are the embedded ones: a SQLite file in the project and Celery running tasks eagerly.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "accounts",
    "workflows",
    "notifications",
    "notices",
    "applications",
    "documents",
    "nominations",
    "dashboards",
    "administration",
    "devtools",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): a second factor confirmed this session (administration.people).
    "django_otp.middleware.OTPMiddleware",
    # Chinese first; English when the user chooses it (accounts/middleware.py).
    "accounts.middleware.LanguageMiddleware",
    # The roles of OTP_REQUIRED_ROLES see no page before their second factor is verified.
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for a lockout into accounts.lockout.lockout_response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accounts.context_processors.memberships",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
# SQLite, the embedded default, allows one writer at a time. A DEFERRED transaction that reads
# and then writes fails at once with "database is locked" when another writer got there first
# (no busy wait can help it); IMMEDIATE takes the write lock at BEGIN, so concurrent writers
# queue for up to SQLITE_BUSY_TIMEOUT seconds instead, and the later one then reads the earlier
# one's result (a 409, not a 500). WAL lets readers go on while one writes.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
elif DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side parameter binding lets psycopg prepare a statement the fifth time the same one
    # is sent: the engine sends the same few on every transition, and PostgreSQL's planning of
    # them cost more than running them (0.65 ms against 0.1 ms for the duplicate check).
    # Off (DB_SERVER_SIDE_BINDING=false) behind a pooler in transaction mode (PgBouncer < 1.21).
    if env_bool("DB_SERVER_SIDE_BINDING", True):
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out (username, address) before any password is checked.
    "accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous request gets 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "workflows.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zhihui Workflow API",
    "DESCRIPTION": "科技志愿服务“智惠行动”与“四个十佳”申报评审系统 — HTTP API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the vendored sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "NominationCategoryEnum": "nominations.models.Category",
        "BudgetCategoryEnum": "applications.models.BudgetCategory",
    },
}

# Celery: with no broker configured, tasks run eagerly in the calling process (the embedded
# default); with CELERY_BROKER_URL set (e.g. redis://127.0.0.1:6379/0) a worker delivers them.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Rows left pending (broker down at commit) or stuck sending (worker killed) are re-enqueued.
    "relay-pending-notifications": {"task": "notifications.tasks.relay_pending", "schedule": 60.0},
    # Appends committed audit events to the Merkle log and signs a checkpoint.
    "sequence-audit-ledger": {
        "task": "workflows.tasks.sequence_ledger",
        "schedule": float(os.environ.get("AUDIT_SEQUENCER_INTERVAL", "5")),
    },
    "daily-reminders": {"task": "notifications.tasks.send_reminders", "schedule": crontab(hour=8, minute=0)},
    "daily-digests": {"task": "notifications.tasks.send_digests", "schedule": crontab(hour=17, minute=30)},
    # Scheduled notices (定时发布) go public on their day: the first run after midnight.
    "publish-scheduled-notices": {"task": "notices.tasks.publish_due_notices", "schedule": crontab(minute="*/10")},
    # 核查 of objections due within a day: the verifying unit's reviewers are reminded once.
    "remind-objection-verifications": {
        "task": "notices.tasks.remind_objection_verifications",
        "schedule": crontab(hour=9, minute=0),
    },
}
# An overdue task escalates to the unit's reviewers and CAST staff this many days after its due date.
ASSIGNMENT_ESCALATION_DAYS = int(os.environ.get("ASSIGNMENT_ESCALATION_DAYS", "3"))

# E-mail: console by default; EMAIL_URL (smtp://user:pass@host:587/?tls=1, smtps://…,
# console://, locmem://) or the separate Django EMAIL_* variables.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if os.environ.get("EMAIL_URL"):
    from urllib.parse import parse_qs, unquote, urlsplit

    _email = urlsplit(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }[_email.scheme]
    EMAIL_HOST = _email.hostname or EMAIL_HOST
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else EMAIL_PORT)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = parse_qs(_email.query).get("tls", ["0"])[0] in {"1", "true", "yes"}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "zhihui@localhost")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH", "")

# A cache shared by all processes (the objection rate limit counts per address across them):
# CACHE_URL=redis://127.0.0.1:6379/1 in production; one process's memory by default.
if os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
    }
# How many reverse proxies in front of the site append to X-Forwarded-For; 0 trusts none and
# uses REMOTE_ADDR (the audit trail and the rate limit key on this address).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "zhihui-demo")

# -- Audit ledger (workflows/ledger) ------------------------------------------------------------
# The Ed25519 key that signs the ledger's checkpoints lives outside the database, so whoever
# can rewrite the database cannot sign a rewritten history. Development makes one under var/
# on first use; production requires the setting (config/settings/production.py).
AUDIT_SIGNING_KEY_FILE = os.environ.get("AUDIT_SIGNING_KEY_FILE", "") or str(
    BASE_DIR / "var" / "audit" / "signing-key.pem"
)
AUDIT_SIGNING_KEY_AUTOCREATE = True
# After a key rotation, the public keys (PEM files, comma separated) of the earlier keys: the
# checkpoints they signed stay verifiable.
AUDIT_PREVIOUS_PUBLIC_KEY_FILES = env_list("AUDIT_PREVIOUS_PUBLIC_KEY_FILES", [])
# Every signed checkpoint is also appended to checkpoints.log in this folder, outside the database.
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR", "") or str(BASE_DIR / "var" / "audit")
# The log's name in its signed checkpoints (C2SP checkpoint "origin").
AUDIT_LOG_ORIGIN = os.environ.get("AUDIT_LOG_ORIGIN", "zhihui-workflow/audit")
# Seconds between the sequencer's runs by Celery beat (it also runs after every commit that
# appended events).
AUDIT_SEQUENCER_INTERVAL = float(os.environ.get("AUDIT_SEQUENCER_INTERVAL", "5"))
# A bulk action over more records than this runs as a background job (GET /api/v1/jobs/{id}/).
BULK_JOB_THRESHOLD = int(os.environ.get("BULK_JOB_THRESHOLD", "200"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# -- Security ---------------------------------------------------------------------------------

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT failures of one username from one
# address, that pair is refused for LOGIN_COOLOFF_MINUTES (counted from the last failure;
# attempts during the lockout do not extend it); a success clears the count. The login page
# and POST /api/v1/auth/token/ are both covered. The address is the one the audit trail and
# the rate limit use (TRUSTED_PROXY_COUNT), so a client cannot dodge it with X-Forwarded-For.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "common.http.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"

# Content-Security-Policy of every response (config.security.ContentSecurityPolicyMiddleware):
# nothing from other origins, no inline script or style, no plug-ins, no framing.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Views whose own template has inline <script>/<style>: those blocks, and only those, are
# allowed there by their SHA-256 (the Swagger UI page of drf-spectacular).
SECURE_CSP_INLINE_VIEWS = {"api-docs"}

# A signed-in session lasts a working day at most, and ends with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# -- Accounts (administration.people) ----------------------------------------------------------
# A role among these signs in with a second factor (TOTP, or one of its recovery codes): a user
# holding one is sent to enrol, then to verify, before any other page; the API token needs an
# "otp" too. Comma separated; dev and test settings turn it off.
OTP_REQUIRED_ROLES = env_list("OTP_REQUIRED_ROLES", ["cast_staff", "content_reviewer", "auditor"])
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Zhihui")
# Days an invitation link stays valid (it is single-use).
INVITATION_DAYS = int(os.environ.get("INVITATION_DAYS", "7"))
# Seconds a password-reset link stays valid (single-use: it dies with the password it resets).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(24 * 60 * 60)))
