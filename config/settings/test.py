"""Test settings: SQLite in memory unless DATABASE_URL names another database."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, SQLITE_OPTIONS

SECRET_KEY = "test-only-key"
DEBUG = False
if not os.environ.get("DATABASE_URL"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:", "OPTIONS": SQLITE_OPTIONS}}
# The ledger's signing key of a test run: made in a fresh folder, and put in the environment so
# that the processes a test starts (a server, a Celery worker) sign with the same key. Each test
# gets its own checkpoint folder (tests/conftest.py), as each gets its own database.
if not os.environ.get("AUDIT_SIGNING_KEY_FILE"):
    os.environ["AUDIT_SIGNING_KEY_FILE"] = str(Path(tempfile.mkdtemp(prefix="zhihui-audit-")) / "signing-key.pem")
AUDIT_SIGNING_KEY_FILE = os.environ["AUDIT_SIGNING_KEY_FILE"]
AUDIT_CHECKPOINT_DIR = os.environ.get("AUDIT_CHECKPOINT_DIR") or str(Path(AUDIT_SIGNING_KEY_FILE).parent)
# The test-only record type that proves the engine on its own.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A Celery worker started by a test sets EMAIL_BACKEND (file-based) so the test can count mail.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".test-mail"))
MEDIA_ROOT = BASE_DIR / ".test-media"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Static files are served by the finders in tests; no collectstatic needed.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The existing tests sign in with passwords only; tests of the second factor turn it on with
# the settings fixture.
OTP_REQUIRED_ROLES: list[str] = []
